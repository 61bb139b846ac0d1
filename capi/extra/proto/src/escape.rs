//! Percent-encoding, percent-decoding and HTML escaping as libevent 2.2.1's
//! `evhttp_uriencode`, `evhttp_decode_uri`, `evhttp_uridecode` and `evhttp_htmlescape`
//! do them.
//!
//! Every result is built in one allocation whose size is known beforehand and asked for
//! with `try_reserve_exact`, so that running out of memory is an [`OutOfMemory`] error
//! (libevent answers NULL) rather than the end of the process.

use std::fmt;

/// The allocator refused a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of memory")
    }
}

impl std::error::Error for OutOfMemory {}

/// An empty vector able to hold `capacity` bytes without growing.
pub(crate) fn try_vec(capacity: usize) -> Result<Vec<u8>, OutOfMemory> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(capacity).map_err(|_| OutOfMemory)?;
    Ok(bytes)
}

/// A copy of `bytes` in a vector of its own.
pub(crate) fn try_copy(bytes: &[u8]) -> Result<Vec<u8>, OutOfMemory> {
    let mut copy = try_vec(bytes.len())?;
    copy.extend_from_slice(bytes);
    Ok(copy)
}

/// `bytes` up to (not including) its first NUL: what C sees of it as a string.
pub fn until_nul(bytes: &[u8]) -> &[u8] {
    match memchr::memchr(0, bytes) {
        Some(nul) => &bytes[..nul],
        None => bytes,
    }
}

/// RFC 3986's unreserved characters: ASCII letters and digits, '-', '.', '_' and '~'.
/// libevent's `CHAR_IS_UNRESERVED`: these pass through the encoder, and the URI parser
/// builds its character classes on them.
pub fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The length of `uri_encode(input, space_as_plus)`.
pub fn uri_encoded_len(input: &[u8], space_as_plus: bool) -> usize {
    input
        .iter()
        .map(|&b| {
            if is_unreserved(b) || (b == b' ' && space_as_plus) {
                1
            } else {
                3
            }
        })
        .sum()
}

/// `evhttp_uriencode`: unreserved bytes are kept, a space becomes '+' when
/// `space_as_plus` is set, and every other byte (NUL included) becomes `%XX` with
/// upper-case hex digits.
pub fn uri_encode(input: &[u8], space_as_plus: bool) -> Result<Vec<u8>, OutOfMemory> {
    let mut out = try_vec(uri_encoded_len(input, space_as_plus))?;
    for &b in input {
        if is_unreserved(b) {
            out.push(b);
        } else if b == b' ' && space_as_plus {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[
                b'%',
                UPPER_HEX[usize::from(b >> 4)],
                UPPER_HEX[usize::from(b & 0xf)],
            ]);
        }
    }
    Ok(out)
}

/// What the decoder does with '+' (libevent's `decode_plus_ctl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlusDecoding {
    /// '+' stays '+' (`evhttp_uridecode(.., 0, ..)`, request paths).
    Keep,
    /// '+' becomes a space (`evhttp_uridecode(.., 1, ..)`, query values).
    AsSpace,
    /// '+' becomes a space only after the first '?' of the text (`evhttp_decode_uri`,
    /// deprecated); an encoded `%3F` does not count as that '?'.
    AfterQuestionMark,
}

fn hex_value(byte: u8) -> u8 {
    match byte {
        b'0'..=b'9' => byte - b'0',
        b'a'..=b'f' => byte - b'a' + 10,
        _ => byte - b'A' + 10,
    }
}

/// `evhttp_decode_uri_internal`: `%XX` with two hex digits (either case) becomes that
/// byte, which may be NUL; a '%' not followed by two hex digits is kept as it is; '+' is
/// treated as [`PlusDecoding`] says. The result is never longer than the input.
pub fn uri_decode(input: &[u8], plus: PlusDecoding) -> Result<Vec<u8>, OutOfMemory> {
    let mut out = try_vec(input.len())?;
    let mut plus_is_space = plus == PlusDecoding::AsSpace;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'?' {
            if plus == PlusDecoding::AfterQuestionMark {
                plus_is_space = true;
            }
            out.push(b);
        } else if b == b'+' && plus_is_space {
            out.push(b' ');
        } else if b == b'%'
            && i + 2 < input.len()
            && input[i + 1].is_ascii_hexdigit()
            && input[i + 2].is_ascii_hexdigit()
        {
            out.push(hex_value(input[i + 1]) << 4 | hex_value(input[i + 2]));
            i += 2;
        } else {
            out.push(b);
        }
        i += 1;
    }
    Ok(out)
}

/// The entity that replaces `byte` in HTML, if it needs one.
fn html_entity(byte: u8) -> Option<&'static [u8]> {
    Some(match byte {
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'"' => b"&quot;",
        b'\'' => b"&#039;",
        b'&' => b"&amp;",
        _ => return None,
    })
}

/// `evhttp_htmlescape`: `<`, `>`, `"`, `'` and `&` become `&lt;`, `&gt;`, `&quot;`,
/// `&#039;` and `&amp;`; every other byte is kept.
pub fn html_escape(input: &[u8]) -> Result<Vec<u8>, OutOfMemory> {
    let len = input
        .iter()
        .map(|&b| html_entity(b).map_or(1, <[u8]>::len))
        .sum();
    let mut out = try_vec(len)?;
    for &b in input {
        match html_entity(b) {
            Some(entity) => out.extend_from_slice(entity),
            None => out.push(b),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str, plus: bool) -> String {
        String::from_utf8(uri_encode(s.as_bytes(), plus).unwrap()).unwrap()
    }

    fn decode(s: &[u8], plus: PlusDecoding) -> Vec<u8> {
        uri_decode(s, plus).unwrap()
    }

    #[test]
    fn unreserved_set_is_rfc3986() {
        let kept: Vec<u8> = (0..=255u8).filter(|&b| is_unreserved(b)).collect();
        let mut want: Vec<u8> = (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(b'0'..=b'9')
            .collect();
        want.extend_from_slice(b"-._~");
        want.sort_unstable();
        assert_eq!(kept, want);
    }

    // libevent's http_uriencode_test.
    #[test]
    fn encodes_like_libevent() {
        assert_eq!(encode("Hello World!", false), "Hello%20World%21");
        assert_eq!(encode("Hello World!", true), "Hello+World%21");
        assert_eq!(
            encode("\"\\\x01\x7f!#$%&'()*+,/:;=?@[]", false),
            "%22%5C%01%7F%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D"
        );
        assert_eq!(encode("", false), "");
        assert_eq!(encode("azAZ09-._~", true), "azAZ09-._~");
        assert_eq!(uri_encode(b"a\0b\xff", false).unwrap(), b"a%00b%FF");
        assert_eq!(uri_encoded_len(b"a b&", true), 6);
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(decode(b"a%20b%41%61", PlusDecoding::Keep), b"a bAa");
        assert_eq!(decode(b"%2f%2F", PlusDecoding::Keep), b"//");
        // A NUL may be decoded; the C caller reports the full length.
        assert_eq!(decode(b"x%00y", PlusDecoding::Keep), b"x\0y");
        // Incomplete or non-hex escapes stay as they are.
        assert_eq!(decode(b"%", PlusDecoding::Keep), b"%");
        assert_eq!(decode(b"%4", PlusDecoding::Keep), b"%4");
        assert_eq!(decode(b"%4g%zz%%41", PlusDecoding::Keep), b"%4g%zz%A");
        assert_eq!(decode(b"ab%41", PlusDecoding::Keep), b"abA");
    }

    #[test]
    fn plus_handling_follows_decode_plus_ctl() {
        assert_eq!(decode(b"a+b?c+d", PlusDecoding::Keep), b"a+b?c+d");
        assert_eq!(decode(b"a+b?c+d", PlusDecoding::AsSpace), b"a b?c d");
        // evhttp_decode_uri: only after the first literal '?'.
        assert_eq!(
            decode(b"/a+b?c+d?e+f", PlusDecoding::AfterQuestionMark),
            b"/a+b?c d?e f"
        );
        assert_eq!(
            decode(b"a+%3Fb+", PlusDecoding::AfterQuestionMark),
            b"a+?b+"
        );
        // '%2B' is a literal plus, never a space.
        assert_eq!(decode(b"%2B+", PlusDecoding::AsSpace), b"+ ");
    }

    #[test]
    fn encode_decode_round_trip() {
        let all: Vec<u8> = (0..=255u8).collect();
        for plus in [false, true] {
            let encoded = uri_encode(&all, plus).unwrap();
            let mode = if plus {
                PlusDecoding::AsSpace
            } else {
                PlusDecoding::Keep
            };
            assert_eq!(uri_decode(&encoded, mode).unwrap(), all);
        }
    }

    #[test]
    fn html_escapes_the_five_characters() {
        assert_eq!(
            html_escape(b"<a href=\"x\">'&'</a>").unwrap(),
            b"&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;"
        );
        assert_eq!(html_escape(b"").unwrap(), b"");
        assert_eq!(html_escape(b"plain \xc3\xa9").unwrap(), b"plain \xc3\xa9");
    }

    #[test]
    fn until_nul_cuts_like_c() {
        assert_eq!(until_nul(b"ab\0cd"), b"ab");
        assert_eq!(until_nul(b"abc"), b"abc");
    }
}
