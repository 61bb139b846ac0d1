//! Query strings ("a=1&b=two+words") split into name/value pairs as libevent 2.2.1's
//! `evhttp_parse_query_str_flags` and `evhttp_parse_query` do it.
//!
//! - Pairs are separated by '&'; a pair's name runs to its first '=', and the value is
//!   the rest (further '=' included). A '&' that ends the text adds no pair.
//! - Values are percent-decoded with '+' as a space; names are kept as written.
//! - Values are stored as C strings, so a decoded value ends at its first NUL ("%00").
//! - Strictly (flags 0), a pair without '=' or with an empty name ("a=1&b",
//!   "a=1&&b=2", "=1") fails the whole string. With [`QUERY_NONCONFORMANT`] a pair
//!   without '=' gets the value "" and a pair with an empty name is skipped.
//! - Names may repeat: every pair is kept, in order. With [`QUERY_LAST_VAL`] a name
//!   (compared ignoring ASCII case) is kept once, with the spelling and value of its
//!   last occurrence and in that occurrence's place; libevent gets there by removing
//!   the earlier entry before each append.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::escape::{try_copy, until_nul, uri_decode, OutOfMemory, PlusDecoding};
use crate::uri::{Uri, UriError};

/// `EVHTTP_URI_QUERY_NONCONFORMANT`: accept pairs without '=' and skip empty names.
pub const QUERY_NONCONFORMANT: u32 = 0x01;
/// `EVHTTP_URI_QUERY_LAST_VAL`: a repeated name keeps its last value.
pub const QUERY_LAST_VAL: u32 = 0x02;

/// Why a query string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// A pair without '=' or with an empty name, in strict mode.
    Malformed,
    /// `evhttp_parse_query` was given text that is not a URI reference.
    BadUri,
    OutOfMemory,
}

impl From<OutOfMemory> for QueryError {
    fn from(_: OutOfMemory) -> Self {
        QueryError::OutOfMemory
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueryError::Malformed => "malformed query string",
            QueryError::BadUri => "invalid URI",
            QueryError::OutOfMemory => "out of memory",
        })
    }
}

impl std::error::Error for QueryError {}

/// One pair: the name as written, the value decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParam {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// The pairs of a query string as written (name, undecoded value), with the strict or
/// nonconformant rule applied; see [`raw_pairs`].
#[derive(Debug, Clone)]
pub struct RawPairs<'a> {
    rest: Option<&'a [u8]>,
    nonconformant: bool,
}

/// Iterates the pairs of `query` (which ends at its first NUL). In strict mode the
/// first malformed pair is reported as an error and ends the iteration.
pub fn raw_pairs(query: &[u8], flags: u32) -> RawPairs<'_> {
    RawPairs {
        rest: Some(until_nul(query)),
        nonconformant: flags & QUERY_NONCONFORMANT != 0,
    }
}

impl<'a> Iterator for RawPairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest.filter(|rest| !rest.is_empty())?;
            let piece = match memchr::memchr(b'&', rest) {
                Some(amp) => {
                    self.rest = Some(&rest[amp + 1..]);
                    &rest[..amp]
                }
                None => {
                    self.rest = None;
                    rest
                }
            };
            let (key, value) = match memchr::memchr(b'=', piece) {
                Some(eq) => (&piece[..eq], Some(&piece[eq + 1..])),
                None => (piece, None),
            };
            if self.nonconformant {
                if key.is_empty() {
                    continue;
                }
                return Some(Ok((key, value.unwrap_or(b""))));
            }
            return match value {
                Some(value) if !key.is_empty() => Some(Ok((key, value))),
                _ => {
                    self.rest = None;
                    Some(Err(QueryError::Malformed))
                }
            };
        }
    }
}

/// A name compared and hashed ignoring ASCII case.
struct Caseless<'a>(&'a [u8]);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.0 {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// Keeps, for each name, only its last occurrence. Linear, where libevent's
/// remove-then-append is quadratic in the number of distinct names.
fn keep_last_values(params: &mut Vec<QueryParam>) -> Result<(), OutOfMemory> {
    let mut keep = Vec::new();
    keep.try_reserve_exact(params.len())
        .map_err(|_| OutOfMemory)?;
    {
        let mut seen = HashSet::new();
        seen.try_reserve(params.len()).map_err(|_| OutOfMemory)?;
        keep.extend(
            params
                .iter()
                .rev()
                .map(|param| seen.insert(Caseless(&param.key))),
        );
    }
    let mut kept = keep.into_iter().rev();
    params.retain(|_| kept.next().unwrap_or(true));
    Ok(())
}

/// `evhttp_parse_query_str_flags`: the decoded pairs of a query string (the part after
/// '?', without it). An empty query gives no pairs.
pub fn parse_query_str(query: &[u8], flags: u32) -> Result<Vec<QueryParam>, QueryError> {
    let mut params = Vec::new();
    for pair in raw_pairs(query, flags) {
        let (key, raw_value) = pair?;
        let mut value = uri_decode(raw_value, PlusDecoding::AsSpace)?;
        value.truncate(until_nul(&value).len());
        let key = try_copy(key)?;
        params.try_reserve(1).map_err(|_| OutOfMemory)?;
        params.push(QueryParam { key, value });
    }
    if flags & QUERY_LAST_VAL != 0 {
        keep_last_values(&mut params)?;
    }
    Ok(params)
}

/// `evhttp_parse_query`: parses `uri` as a URI reference (strictly, flags 0) and then
/// its query, strictly. A URI without a query gives no pairs.
pub fn parse_query_of_uri(uri: &[u8]) -> Result<Vec<QueryParam>, QueryError> {
    let uri = Uri::parse(uri, 0).map_err(|e| match e {
        UriError::Invalid => QueryError::BadUri,
        UriError::OutOfMemory => QueryError::OutOfMemory,
    })?;
    match uri.query() {
        Some(query) => parse_query_str(query.as_bytes(), 0),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str, flags: u32) -> Result<Vec<(String, String)>, QueryError> {
        parse_query_str(query.as_bytes(), flags).map(|params| {
            params
                .into_iter()
                .map(|p| {
                    (
                        String::from_utf8(p.key).unwrap(),
                        String::from_utf8(p.value).unwrap(),
                    )
                })
                .collect()
        })
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_and_decodes_values_only() {
        assert_eq!(
            pairs("q=two+words&x%41=a%41b&e=", 0).unwrap(),
            owned(&[("q", "two words"), ("x%41", "aAb"), ("e", "")])
        );
        // Only the first '=' splits.
        assert_eq!(pairs("k=a=b", 0).unwrap(), owned(&[("k", "a=b")]));
        assert_eq!(pairs("", 0).unwrap(), owned(&[]));
        // A trailing '&' adds nothing.
        assert_eq!(pairs("a=1&", 0).unwrap(), owned(&[("a", "1")]));
        // The query ends at a NUL, as its C string would.
        assert_eq!(
            parse_query_str(b"a=1\0&b=2", 0).unwrap(),
            [QueryParam {
                key: b"a".to_vec(),
                value: b"1".to_vec()
            }]
        );
    }

    #[test]
    fn value_ends_at_decoded_nul() {
        assert_eq!(
            pairs("a=x%00y&b=2", 0).unwrap(),
            owned(&[("a", "x"), ("b", "2")])
        );
    }

    #[test]
    fn strict_mode_refuses_sloppy_pairs() {
        for bad in ["a", "a=1&b", "a=1&&b=2", "=1", "a=1&=2", "&a=1", "&"] {
            assert_eq!(pairs(bad, 0), Err(QueryError::Malformed), "{bad}");
        }
    }

    #[test]
    fn nonconformant_mode_accepts_them() {
        let nc = QUERY_NONCONFORMANT;
        assert_eq!(pairs("a=1&b", nc).unwrap(), owned(&[("a", "1"), ("b", "")]));
        assert_eq!(
            pairs("a=1&&b=2", nc).unwrap(),
            owned(&[("a", "1"), ("b", "2")])
        );
        assert_eq!(pairs("=1&a=1&=2", nc).unwrap(), owned(&[("a", "1")]));
        assert_eq!(pairs("&&&", nc).unwrap(), owned(&[]));
    }

    #[test]
    fn repeated_names_keep_all_values_by_default() {
        assert_eq!(
            pairs("a=1&A=2&a=3", 0).unwrap(),
            owned(&[("a", "1"), ("A", "2"), ("a", "3")])
        );
    }

    #[test]
    fn last_val_keeps_the_last_occurrence_in_its_place() {
        let lv = QUERY_LAST_VAL;
        assert_eq!(
            pairs("a=1&b=2&A=3&c=4", lv).unwrap(),
            owned(&[("b", "2"), ("A", "3"), ("c", "4")])
        );
        assert_eq!(pairs("x=1&x=2&x=3", lv).unwrap(), owned(&[("x", "3")]));
        assert_eq!(
            pairs("a=1&b&a", lv | QUERY_NONCONFORMANT).unwrap(),
            owned(&[("b", ""), ("a", "")])
        );
    }

    /// libevent's algorithm, entry by entry: remove the first match, then append.
    fn remove_then_append(query: &[u8], flags: u32) -> Result<Vec<QueryParam>, QueryError> {
        let mut list: Vec<QueryParam> = Vec::new();
        for param in parse_query_str(query, flags & !QUERY_LAST_VAL)? {
            if let Some(i) = list
                .iter()
                .position(|p| p.key.eq_ignore_ascii_case(&param.key))
            {
                list.remove(i);
            }
            list.push(param);
        }
        Ok(list)
    }

    #[test]
    fn last_val_matches_remove_then_append() {
        for query in [
            &b"a=1&b=2&a=3&B=4&c=5&b=6"[..],
            b"k=1",
            b"",
            b"Aa=1&aA=2&aa=3&x=0",
        ] {
            assert_eq!(
                parse_query_str(query, QUERY_LAST_VAL),
                remove_then_append(query, QUERY_LAST_VAL)
            );
        }
    }

    #[test]
    fn whole_uri_form_reads_the_query_part() {
        let got = parse_query_of_uri(b"/search?q=test&w=two+words#frag").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].value, b"two words");
        assert_eq!(parse_query_of_uri(b"/no/query").unwrap(), []);
        assert_eq!(parse_query_of_uri(b"/empty?").unwrap(), []);
        assert_eq!(parse_query_of_uri(b"/s?a"), Err(QueryError::Malformed));
        assert_eq!(
            parse_query_of_uri(b"http://bad host/"),
            Err(QueryError::BadUri)
        );
        // The URI is parsed strictly: a bad escape anywhere refuses it.
        assert_eq!(parse_query_of_uri(b"/p?a=%zz"), Err(QueryError::BadUri));
    }
}
