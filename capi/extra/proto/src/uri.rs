//! URI references (RFC 3986) as libevent 2.2.1's `struct evhttp_uri` parses, checks,
//! stores and joins them.
//!
//! The parser follows libevent's rules, which are RFC 3986's generic syntax with a few
//! particulars of its own:
//!
//! - A scheme is taken only if the text up to the first ':' is a valid scheme
//!   (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`); otherwise the whole text is a
//!   relative reference, whose first path segment must then hold no ':'.
//! - "//" starts an authority, which runs to the first '/', '?' or '#'. It is
//!   `[userinfo "@"] host [":" port]`: the userinfo up to the first '@' of the rest of
//!   the text when that '@' is inside the authority; a port of decimal digits up to
//!   65535 (an empty port means none); a host that is a bracketed IPv6 address (checked
//!   as libevent's own `evutil_inet_pton` checks it), a bracketed `vHEX.xxx` future
//!   address, or a registered name of unreserved characters, sub-delimiters and `%XX`
//!   escapes. An empty authority gives the host "".
//! - Path, query and fragment hold RFC 3986's `pchar`s, '/' and (query and fragment)
//!   '?'. With [`URI_NONCONFORMANT`] the path is anything up to '?' or '#', the query
//!   anything up to '#', the fragment anything at all.
//! - Escapes are kept as written; nothing is decoded.
//! - The text ends at its first NUL, as the C string would.
//!
//! Where this differs from libevent 2.2.1, libevent misbehaves:
//!
//! - `EVHTTP_URI_UNIX_SOCKET`, "http://unix:/run/app.sock:/index.html": libevent cuts
//!   the text at the socket's closing ':' and takes the socket path as the URI's path
//!   too, dropping "/index.html" and any query. Here the path, query and fragment are
//!   what follows that ':' (the nginx form the flag was made for), so the text above
//!   gives the path "/index.html"; what follows must be a valid path-abempty.
//! - libevent keeps "the host had brackets" as bit 0x02 of the URI's flags, so a
//!   program passing 0x02 gets brackets added around any host on join, and
//!   `evhttp_uri_set_flags` forgets that a stripped host had them. Here it is kept
//!   apart from the flags.
//! - libevent's setters free the old value before copying the new one, so setting a
//!   part from its own getter reads freed memory; here the copy is made first, and a
//!   failed copy leaves the old value in place.

use std::fmt;
use std::ops::Range;

use crate::escape::{is_unreserved, try_vec, until_nul, OutOfMemory};

/// `EVHTTP_URI_NONCONFORMANT`: accept any byte in the path (but '?' and '#'), in the
/// query (but '#') and in the fragment; the setters follow the same rule.
pub const URI_NONCONFORMANT: u32 = 0x01;
/// `EVHTTP_URI_HOST_STRIP_BRACKETS`: store a bracketed host without its brackets;
/// [`Uri::join`] writes them back.
pub const URI_HOST_STRIP_BRACKETS: u32 = 0x04;
/// `EVHTTP_URI_UNIX_SOCKET`: an authority "unix:PATH:" names a Unix socket.
pub const URI_UNIX_SOCKET: u32 = 0x08;

/// Why a URI or one of its parts was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriError {
    /// Not valid where it was given.
    Invalid,
    OutOfMemory,
}

impl From<OutOfMemory> for UriError {
    fn from(_: OutOfMemory) -> Self {
        UriError::OutOfMemory
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UriError::Invalid => "invalid URI",
            UriError::OutOfMemory => "out of memory",
        })
    }
}

impl std::error::Error for UriError {}

/// Why [`Uri::join`] wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinError {
    /// A host is set and the path neither is empty nor starts with '/'.
    PathNotAbsolute,
    /// The text and its NUL do not fit in the buffer.
    NoRoom,
    OutOfMemory,
}

impl From<OutOfMemory> for JoinError {
    fn from(_: OutOfMemory) -> Self {
        JoinError::OutOfMemory
    }
}

/// One stored part of a URI: bytes without NUL, kept with a NUL after them so that C
/// callers can be given a pointer that stays valid until the part is replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct Part {
    with_nul: Vec<u8>,
}

impl Part {
    /// `text` holds no NUL (the callers cut it at the first one).
    fn new(text: &[u8]) -> Result<Part, OutOfMemory> {
        debug_assert!(!text.contains(&0));
        let mut with_nul = try_vec(text.len() + 1)?;
        with_nul.extend_from_slice(text);
        with_nul.push(0);
        Ok(Part { with_nul })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.with_nul[..self.with_nul.len() - 1]
    }

    /// The bytes followed by a NUL.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.with_nul
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_bytes().escape_ascii())
    }
}

/// A URI reference split into its parts (`struct evhttp_uri`). A missing part is
/// `None`, a missing port -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    flags: u32,
    /// The host was given in brackets and stored without them.
    host_has_brackets: bool,
    scheme: Option<Part>,
    userinfo: Option<Part>,
    host: Option<Part>,
    port: i32,
    unixsocket: Option<Part>,
    path: Option<Part>,
    query: Option<Part>,
    fragment: Option<Part>,
}

impl Default for Uri {
    fn default() -> Self {
        Uri::new()
    }
}

/// Which grammar [`end_of_part`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Path,
    Query,
    Fragment,
}

fn is_sub_delim(byte: u8) -> bool {
    b"!$&'()*+,;=".contains(&byte)
}

fn is_hex_at(text: &[u8], index: usize) -> bool {
    text.get(index).is_some_and(u8::is_ascii_hexdigit)
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn scheme_ok(text: &[u8]) -> bool {
    match text.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// Unreserved characters, sub-delimiters, `%XX` escapes and (userinfo only) ':'.
fn escaped_run_ok(text: &[u8], allow_colon: bool) -> bool {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if is_unreserved(b) || is_sub_delim(b) || (allow_colon && b == b':') {
            i += 1;
        } else if b == b'%' && is_hex_at(text, i + 1) && is_hex_at(text, i + 2) {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

fn userinfo_ok(text: &[u8]) -> bool {
    escaped_run_ok(text, true)
}

/// A registered name or an IPv4 address (libevent checks both with one rule).
fn regname_ok(text: &[u8]) -> bool {
    escaped_run_ok(text, false)
}

/// C's `isspace` in the "C" locale.
fn is_c_space(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One `%u` of `sscanf`: blanks, an optional sign and decimal digits, valued as
/// `strtoul` values them (saturating; a '-' negates modulo 2^64) and cut to 32 bits.
/// Gives the value and the bytes read.
fn scan_c_unsigned(text: &[u8]) -> Option<(u32, usize)> {
    let mut pos = text.iter().take_while(|b| is_c_space(b)).count();
    let sign = text.get(pos).copied().filter(|b| matches!(b, b'+' | b'-'));
    if sign.is_some() {
        pos += 1;
    }
    let negative = sign == Some(b'-');
    let digits = text[pos..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let value = text[pos..pos + digits]
        .iter()
        .try_fold(0u64, |value, &b| {
            value.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
        .map_or(u64::MAX, |value| {
            if negative {
                value.wrapping_neg()
            } else {
                value
            }
        });
    Some((value as u32, pos + digits))
}

/// `sscanf(text, "%u.%u.%u.%u%c") == 4` with every number up to 255.
fn dotted_quad_ok(text: &[u8]) -> bool {
    let mut pos = 0;
    for octet in 0..4 {
        if octet > 0 {
            if text.get(pos) != Some(&b'.') {
                return false;
            }
            pos += 1;
        }
        match scan_c_unsigned(&text[pos..]) {
            Some((value, used)) if value <= 255 => pos += used,
            _ => return false,
        }
    }
    pos == text.len()
}

/// How many bytes `strtol(text, &end, 16)` reads from `text`, which starts with a hex
/// digit: a "0x" prefix counts when a hex digit follows it.
fn hex_group_len(text: &[u8]) -> usize {
    let prefixed = text.len() > 2
        && text[0] == b'0'
        && matches!(text[1], b'x' | b'X')
        && text[2].is_ascii_hexdigit();
    let start = if prefixed { 2 } else { 0 };
    start
        + text[start..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count()
}

/// An IPv6 address as libevent's own `evutil_inet_pton(AF_INET6)` takes it (libevent
/// always uses its own, not the system's): up to eight groups of at most four
/// characters read as by `strtol(.., 16)` ("0x12" included), one "::", and optionally
/// a dotted quad read as by `sscanf("%u.%u.%u.%u")` (leading zeros, blanks and signs
/// included) in place of the last two groups. A ':' may end the groups ("1:2:3:4:5:6:7:8:").
fn ipv6_text_ok(text: &[u8]) -> bool {
    let mut words = 0;
    let groups_end = match memchr::memchr(b'.', text) {
        Some(0) => return false,
        None => text.len(),
        Some(dot) => {
            let start = dot
                - text[..dot]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            if !dotted_quad_ok(&text[start..]) {
                return false;
            }
            words += 2;
            start
        }
    };
    let mut groups = 0;
    let mut gap = false;
    let mut pos = 0;
    while pos < groups_end {
        if groups > 7 {
            return false;
        }
        let b = text[pos];
        if b.is_ascii_hexdigit() {
            let used = hex_group_len(&text[pos..]);
            if used > 4 {
                return false;
            }
            groups += 1;
            words += 1;
            pos += used;
            if pos != groups_end && text.get(pos) != Some(&b':') {
                return false;
            }
            pos += 1;
        } else if b == b':' && !gap && (groups > 0 || text.get(pos + 1) == Some(&b':')) {
            gap = true;
            pos += if groups > 0 { 1 } else { 2 };
        } else {
            return false;
        }
    }
    if gap {
        words < 8
    } else {
        words == 8
    }
}

/// A bracketed host: `[IPv6address]` or `[vHEX.chars]` (chars being unreserved,
/// sub-delimiters or ':'; libevent accepts none at all after the '.').
fn bracket_addr_ok(text: &[u8]) -> bool {
    let n = text.len();
    if n < 3 || text[0] != b'[' || text[n - 1] != b']' {
        return false;
    }
    if text[1] == b'v' {
        let inner = &text[2..n - 1];
        let version_len = inner.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if version_len == 0 || inner.get(version_len) != Some(&b'.') {
            return false;
        }
        inner[version_len + 1..]
            .iter()
            .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':')
    } else {
        // libevent copies the address into a 64-byte buffer first.
        let inner = &text[1..n - 1];
        inner.len() < 64 && ipv6_text_ok(inner)
    }
}

/// Decimal digits up to 65535 (leading zeros allowed); `None` if larger.
fn parse_port(digits: &[u8]) -> Option<i32> {
    digits.iter().try_fold(0i32, |port, &b| {
        let port = port * 10 + i32::from(b - b'0');
        (port <= 65535).then_some(port)
    })
}

/// Where an authority starting at the beginning of `text` ends: at the first '/', '?'
/// or '#'.
fn end_of_authority(text: &[u8]) -> usize {
    text.iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(text.len())
}

/// How many bytes from the start of `text` belong to a part of the given kind.
fn end_of_part(text: &[u8], kind: PartKind, flags: u32) -> usize {
    if flags & URI_NONCONFORMANT != 0 {
        let stop: &[u8] = match kind {
            PartKind::Path => b"?#",
            PartKind::Query => b"#",
            PartKind::Fragment => b"",
        };
        return text
            .iter()
            .position(|b| stop.contains(b))
            .unwrap_or(text.len());
    }
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'/') {
            i += 1;
        } else if b == b'%' && is_hex_at(text, i + 1) && is_hex_at(text, i + 2) {
            i += 3;
        } else if b == b'?' && kind != PartKind::Path {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// A relative reference's first path segment holds no ':' (it would read as a scheme).
fn path_matches_noscheme(path: &[u8]) -> bool {
    path.iter().find(|&&b| b == b':' || b == b'/') != Some(&b':')
}

/// `value` in decimal, written at the end of `buf`.
fn decimal(mut value: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[start..];
        }
    }
}

fn copy_part(text: &[u8]) -> Result<Option<Part>, OutOfMemory> {
    Part::new(text).map(Some)
}

fn part_bytes(part: &Option<Part>) -> Option<&[u8]> {
    part.as_ref().map(Part::as_bytes)
}

impl Uri {
    /// A URI with no parts (`evhttp_uri_new`): every part `None`, port -1, flags 0.
    pub fn new() -> Self {
        Uri {
            flags: 0,
            host_has_brackets: false,
            scheme: None,
            userinfo: None,
            host: None,
            port: -1,
            unixsocket: None,
            path: None,
            query: None,
            fragment: None,
        }
    }

    /// `evhttp_uri_parse_with_flags`: an absolute URI or a relative reference.
    pub fn parse(text: &[u8], flags: u32) -> Result<Uri, UriError> {
        let text = until_nul(text);
        let mut uri = Uri::new();
        uri.flags = flags;

        let mut rest = 0;
        if let Some(colon) = memchr::memchr(b':', text) {
            if scheme_ok(&text[..colon]) {
                uri.scheme = copy_part(&text[..colon])?;
                rest = colon + 1;
            }
        }

        let got_authority = text[rest..].starts_with(b"//");
        if got_authority {
            let start = rest + 2;
            let end = start + end_of_authority(&text[start..]);
            rest = uri.parse_authority(text, start..end)?;
        }

        let path = rest..rest + end_of_part(&text[rest..], PartKind::Path, flags);
        let mut pos = path.end;
        let mut query = None;
        if text.get(pos) == Some(&b'?') {
            let start = pos + 1;
            pos = start + end_of_part(&text[start..], PartKind::Query, flags);
            query = Some(start..pos);
        }
        let mut fragment = None;
        if text.get(pos) == Some(&b'#') {
            let start = pos + 1;
            pos = start + end_of_part(&text[start..], PartKind::Fragment, flags);
            fragment = Some(start..pos);
        }
        if pos != text.len() {
            return Err(UriError::Invalid);
        }

        let path_text = &text[path];
        if got_authority && !path_text.is_empty() && path_text[0] != b'/' {
            return Err(UriError::Invalid);
        }
        if !got_authority && path_text.starts_with(b"//") {
            return Err(UriError::Invalid);
        }
        if uri.scheme.is_none() && !path_matches_noscheme(path_text) {
            return Err(UriError::Invalid);
        }
        uri.path = copy_part(path_text)?;
        if let Some(query) = query {
            uri.query = copy_part(&text[query])?;
        }
        if let Some(fragment) = fragment {
            uri.fragment = copy_part(&text[fragment])?;
        }
        Ok(uri)
    }

    /// The authority form of a request target ("host:port", for CONNECT), as
    /// libevent's `evhttp_uri_parse_authority`: an authority up to the first '/', '?'
    /// or '#' (anything after it is ignored) and the path "".
    pub fn parse_authority_form(text: &[u8], flags: u32) -> Result<Uri, UriError> {
        let text = until_nul(text);
        let mut uri = Uri::new();
        uri.flags = flags;
        uri.parse_authority(text, 0..end_of_authority(text))?;
        uri.path = copy_part(b"")?;
        Ok(uri)
    }

    /// Fills userinfo, host and port (or the Unix socket) from `text[authority]`, and
    /// gives the position where the path starts.
    fn parse_authority(&mut self, text: &[u8], authority: Range<usize>) -> Result<usize, UriError> {
        let Range { start, end } = authority;
        if start == end {
            self.host = copy_part(b"")?;
            return Ok(end);
        }
        let mut host_start = start;
        if let Some(at) = memchr::memchr(b'@', &text[start..]).map(|at| start + at) {
            if at < end {
                if !userinfo_ok(&text[start..at]) {
                    return Err(UriError::Invalid);
                }
                self.userinfo = copy_part(&text[start..at])?;
                host_start = at + 1;
            }
        }

        if self.flags & URI_UNIX_SOCKET != 0 && text[host_start..].starts_with(b"unix:") {
            // The socket path runs to the next ':', wherever it is; the path follows.
            let socket_start = host_start + 5;
            let Some(close) = memchr::memchr(b':', &text[socket_start..]) else {
                return Err(UriError::Invalid);
            };
            let socket_end = socket_start + close;
            self.unixsocket = copy_part(&text[socket_start..socket_end])?;
            return Ok(socket_end + 1);
        }

        let mut host_end = end;
        let digits = text[host_start..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let port_start = end - digits;
        if port_start > host_start && text[port_start - 1] == b':' {
            self.port = if digits == 0 {
                -1
            } else {
                parse_port(&text[port_start..end]).ok_or(UriError::Invalid)?
            };
            host_end = port_start - 1;
        }

        let host = &text[host_start..host_end];
        if host.len() >= 2 && host[0] == b'[' && host[host.len() - 1] == b']' {
            if !bracket_addr_ok(host) {
                return Err(UriError::Invalid);
            }
            if self.flags & URI_HOST_STRIP_BRACKETS != 0 {
                self.host = copy_part(&host[1..host.len() - 1])?;
                self.host_has_brackets = true;
                return Ok(end);
            }
        } else if !regname_ok(host) {
            return Err(UriError::Invalid);
        }
        self.host = copy_part(host)?;
        Ok(end)
    }

    /// The `EVHTTP_URI_*` flags the URI was parsed with or given.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// `evhttp_uri_set_flags`: replaces the flags, which govern the later setters.
    pub fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }

    pub fn scheme(&self) -> Option<&Part> {
        self.scheme.as_ref()
    }

    pub fn userinfo(&self) -> Option<&Part> {
        self.userinfo.as_ref()
    }

    /// The host; `Some("")` for an empty authority ("file:///x"), `None` for none.
    pub fn host(&self) -> Option<&Part> {
        self.host.as_ref()
    }

    /// The host was bracketed and is stored without its brackets.
    pub fn host_has_brackets(&self) -> bool {
        self.host_has_brackets
    }

    /// The port, or -1.
    pub fn port(&self) -> i32 {
        self.port
    }

    pub fn unixsocket(&self) -> Option<&Part> {
        self.unixsocket.as_ref()
    }

    /// The path; a parsed URI always has one, possibly empty.
    pub fn path(&self) -> Option<&Part> {
        self.path.as_ref()
    }

    /// The query, without its '?'.
    pub fn query(&self) -> Option<&Part> {
        self.query.as_ref()
    }

    /// The fragment, without its '#'.
    pub fn fragment(&self) -> Option<&Part> {
        self.fragment.as_ref()
    }

    /// Checks a new value with `valid`, copies it and only then replaces the old one.
    fn replace(
        slot: &mut Option<Part>,
        value: Option<&[u8]>,
        valid: impl FnOnce(&[u8]) -> bool,
    ) -> Result<(), UriError> {
        *slot = match value.map(until_nul) {
            Some(text) if !valid(text) => return Err(UriError::Invalid),
            Some(text) => copy_part(text)?,
            None => None,
        };
        Ok(())
    }

    /// `evhttp_uri_set_scheme`: `None` removes it; refuses an invalid scheme ("" too).
    pub fn set_scheme(&mut self, scheme: Option<&[u8]>) -> Result<(), UriError> {
        Self::replace(&mut self.scheme, scheme, scheme_ok)
    }

    /// `evhttp_uri_set_userinfo`: refuses anything but unreserved characters,
    /// sub-delimiters, ':' and `%XX` escapes.
    pub fn set_userinfo(&mut self, userinfo: Option<&[u8]>) -> Result<(), UriError> {
        Self::replace(&mut self.userinfo, userinfo, userinfo_ok)
    }

    /// `evhttp_uri_set_host`: a registered name, an IPv4 address, "" or a bracketed
    /// address; with [`URI_HOST_STRIP_BRACKETS`] a bracketed address is stored without
    /// its brackets.
    pub fn set_host(&mut self, host: Option<&[u8]>) -> Result<(), UriError> {
        let host = host.map(until_nul);
        let bracketed = host.is_some_and(|h| h.first() == Some(&b'['));
        if let Some(text) = host {
            let ok = if bracketed {
                bracket_addr_ok(text)
            } else {
                regname_ok(text)
            };
            if !ok {
                return Err(UriError::Invalid);
            }
        }
        let strip = bracketed && self.flags & URI_HOST_STRIP_BRACKETS != 0;
        self.host = match host {
            Some(text) if strip => copy_part(&text[1..text.len() - 1])?,
            Some(text) => copy_part(text)?,
            None => None,
        };
        self.host_has_brackets = strip;
        Ok(())
    }

    /// `evhttp_uri_set_unixsocket`: any path, unchecked, as libevent has it.
    pub fn set_unixsocket(&mut self, unixsocket: Option<&[u8]>) -> Result<(), UriError> {
        Self::replace(&mut self.unixsocket, unixsocket, |_| true)
    }

    /// `evhttp_uri_set_port`: -1 removes it; below -1 is refused; any larger value is
    /// kept as given (libevent checks no upper bound here).
    pub fn set_port(&mut self, port: i32) -> Result<(), UriError> {
        if port < -1 {
            return Err(UriError::Invalid);
        }
        self.port = port;
        Ok(())
    }

    /// `evhttp_uri_set_path`: refuses what the parser would not take as a path under the
    /// URI's flags ('?' and '#' always). Whether it fits the host is checked on join.
    pub fn set_path(&mut self, path: Option<&[u8]>) -> Result<(), UriError> {
        let flags = self.flags;
        Self::replace(&mut self.path, path, |text| {
            end_of_part(text, PartKind::Path, flags) == text.len()
        })
    }

    /// `evhttp_uri_set_query`: without the '?'; refuses '#' always.
    pub fn set_query(&mut self, query: Option<&[u8]>) -> Result<(), UriError> {
        let flags = self.flags;
        Self::replace(&mut self.query, query, |text| {
            end_of_part(text, PartKind::Query, flags) == text.len()
        })
    }

    /// `evhttp_uri_set_fragment`: without the '#'; refuses '#' unless nonconformant.
    pub fn set_fragment(&mut self, fragment: Option<&[u8]>) -> Result<(), UriError> {
        let flags = self.flags;
        Self::replace(&mut self.fragment, fragment, |text| {
            end_of_part(text, PartKind::Fragment, flags) == text.len()
        })
    }

    /// Hands the pieces of `evhttp_uri_join`'s text to `emit`, in order.
    fn emit_joined(&self, emit: &mut impl FnMut(&[u8])) -> Result<(), JoinError> {
        if let Some(scheme) = part_bytes(&self.scheme) {
            emit(scheme);
            emit(b":");
        }
        let authority_start = |emit: &mut dyn FnMut(&[u8])| {
            emit(b"//");
            if let Some(userinfo) = part_bytes(&self.userinfo) {
                emit(userinfo);
                emit(b"@");
            }
        };
        if let Some(socket) = part_bytes(&self.unixsocket) {
            authority_start(emit);
            emit(b"unix:");
            emit(socket);
            emit(b":");
        } else if let Some(host) = part_bytes(&self.host) {
            if let Some(path) = part_bytes(&self.path) {
                if !path.is_empty() && path[0] != b'/' {
                    return Err(JoinError::PathNotAbsolute);
                }
            }
            authority_start(emit);
            if self.host_has_brackets {
                emit(b"[");
                emit(host);
                emit(b"]");
            } else {
                emit(host);
            }
            if self.port >= 0 {
                emit(b":");
                emit(decimal(self.port.unsigned_abs(), &mut [0; 10]));
            }
        }
        for (mark, part) in [
            (&b""[..], &self.path),
            (b"?", &self.query),
            (b"#", &self.fragment),
        ] {
            if let Some(text) = part_bytes(part) {
                emit(mark);
                emit(text);
            }
        }
        Ok(())
    }

    /// `evhttp_uri_join`'s text, without NUL: scheme ":", then "//" userinfo "@" and
    /// either "unix:" socket ":" or the host (bracketed again if stored stripped) and
    /// ":" port (when not -1), then path, "?" query and "#" fragment, each only if set.
    /// Parts are written as stored, unescaped. A host with a path that is neither empty
    /// nor absolute is refused.
    pub fn join(&self) -> Result<Vec<u8>, JoinError> {
        let mut len = 0;
        self.emit_joined(&mut |piece| len += piece.len())?;
        let mut out = try_vec(len)?;
        self.emit_joined(&mut |piece| out.extend_from_slice(piece))?;
        Ok(out)
    }

    /// `evhttp_uri_join` into a caller's buffer: writes the text and a NUL only if both
    /// fit in `buf` (so at most `buf.len()` bytes), leaving `buf` untouched otherwise,
    /// and gives the text's length without the NUL.
    pub fn join_into(&self, buf: &mut [u8]) -> Result<usize, JoinError> {
        let text = self.join()?;
        if text.len() >= buf.len() {
            return Err(JoinError::NoRoom);
        }
        buf[..text.len()].copy_from_slice(&text);
        buf[text.len()] = 0;
        Ok(text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, flags: u32) -> Option<Uri> {
        Uri::parse(text.as_bytes(), flags).ok()
    }

    fn text(part: Option<&Part>) -> Option<&str> {
        part.map(|p| std::str::from_utf8(p.as_bytes()).unwrap())
    }

    /// scheme, userinfo, host, port, path, query, fragment.
    type Parts<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        i32,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    fn parts(uri: &Uri) -> Parts<'_> {
        (
            text(uri.scheme()),
            text(uri.userinfo()),
            text(uri.host()),
            uri.port(),
            text(uri.path()),
            text(uri.query()),
            text(uri.fragment()),
        )
    }

    fn joined(uri: &Uri) -> String {
        String::from_utf8(uri.join().unwrap()).unwrap()
    }

    #[track_caller]
    fn check(source: &str, flags: u32, want: Parts<'_>, want_joined: &str) {
        let uri = parse(source, flags).unwrap_or_else(|| panic!("refused {source:?}"));
        assert_eq!(parts(&uri), want, "{source:?}");
        assert_eq!(joined(&uri), want_joined, "{source:?}");
    }

    #[test]
    fn full_absolute_uri() {
        check(
            "wss://ann:pw@example.org:8443/a/b;c?x=1&y=%20#sec",
            0,
            (
                Some("wss"),
                Some("ann:pw"),
                Some("example.org"),
                8443,
                Some("/a/b;c"),
                Some("x=1&y=%20"),
                Some("sec"),
            ),
            "wss://ann:pw@example.org:8443/a/b;c?x=1&y=%20#sec",
        );
    }

    #[test]
    fn authority_forms() {
        // Empty authority: host "" (not None), path as written.
        check(
            "file:///etc/hosts",
            0,
            (
                Some("file"),
                None,
                Some(""),
                -1,
                Some("/etc/hosts"),
                None,
                None,
            ),
            "file:///etc/hosts",
        );
        // All digits is a host, not a port; ":digits" with no host is a port.
        check(
            "http://4242/",
            0,
            (Some("http"), None, Some("4242"), -1, Some("/"), None, None),
            "http://4242/",
        );
        check(
            "http://:4242",
            0,
            (Some("http"), None, Some(""), 4242, Some(""), None, None),
            "http://:4242",
        );
        // An empty port is no port, and join leaves the ':' out.
        check(
            "http://h:?q",
            0,
            (Some("http"), None, Some("h"), -1, Some(""), Some("q"), None),
            "http://h?q",
        );
        // Leading zeros and the upper bound.
        assert_eq!(parse("http://h:00080/", 0).unwrap().port(), 80);
        assert_eq!(parse("http://h:65535/", 0).unwrap().port(), 65535);
        assert!(parse("http://h:65536/", 0).is_none());
        assert!(parse("http://h:99999999999999999999/", 0).is_none());
        assert!(parse("http://h:8x/", 0).is_none());
        // An empty userinfo is kept.
        check(
            "http://@/",
            0,
            (Some("http"), Some(""), Some(""), -1, Some("/"), None, None),
            "http://@/",
        );
        // The userinfo ends at the first '@'; the rest must be a host.
        assert!(parse("http://a@b@c/", 0).is_none());
        // An '@' after the authority is the path's.
        check(
            "http://h/x@y",
            0,
            (Some("http"), None, Some("h"), -1, Some("/x@y"), None, None),
            "http://h/x@y",
        );
        // A relative reference may have an authority.
        check(
            "//h:1",
            0,
            (None, None, Some("h"), 1, Some(""), None, None),
            "//h:1",
        );
    }

    #[test]
    fn host_characters() {
        assert!(parse("http://%41b.c/", 0).is_some());
        assert!(parse("http://a!$&'()*+,;=-._~z/", 0).is_some());
        for bad in [
            "http://a%4/",
            "http://a%4g/",
            "http://a b/",
            "http://a\x01b/",
            "http://a[b]/",
            "http://[/",
            "http://a]/",
            "http://é/",
            "http://f%0red@h/",
            "http://u\"@h/",
        ] {
            assert!(parse(bad, 0).is_none(), "{bad:?}");
            assert!(parse(bad, URI_NONCONFORMANT).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn bracketed_hosts() {
        for good in [
            "[::1]",
            "[::]",
            "[1:2:3:4:5:6:7:8]",
            "[1::8]",
            "[1:2:3:4:5:6:7::]",
            "[::ffff:10.0.0.1]",
            "[1::1.2.3.4]",
            // libevent's own inet_pton: "0x" groups, leading zeros and a trailing ':'.
            "[0x12::]",
            "[::1.2.3.04]",
            "[1:2:3:4:5:6:7:8:]",
            // sscanf reads the octets after a dot with blanks and signs.
            "[::1. 2.+3.-0]",
            "[v7.x]",
            "[vA1.not_(any:time)_soon]",
            "[v5.]",
        ] {
            assert!(parse(&format!("http://{good}:80/"), 0).is_some(), "{good}");
        }
        for bad in [
            "[]",
            "[:]",
            "[:::]",
            "[1:2]",
            "[1::2::3]",
            "[:1::]",
            "[12345::]",
            "[0x123::]",
            "[1:2:3:4:5:6:7:8::]",
            "[1:2:3:4:5:6:7:8:9]",
            "[::1.2.3]",
            "[::1.2.3.4.5]",
            "[::256.1.1.1]",
            "[::1.2.3.4 ]",
            "[::ab12.1.2.3]",
            "[.1.2.3.4]",
            "[1.2.3.4]",
            "[hello]",
            "[v.x]",
            "[vX.x]",
            "[v5]",
            "[v5X]",
            "[v5.a%41]",
            "[V5.a]",
            "[::1]]",
            "[::1]x",
        ] {
            assert!(parse(&format!("http://{bad}/"), 0).is_none(), "{bad}");
        }
        let long = format!("[{}::]", "0".repeat(62));
        assert!(parse(&format!("http://{long}/"), 0).is_none());
    }

    #[test]
    fn strip_brackets_keeps_them_for_join() {
        let uri = parse("ftp://[ff00::127.0.0.1]:21/?q", URI_HOST_STRIP_BRACKETS).unwrap();
        assert_eq!(text(uri.host()), Some("ff00::127.0.0.1"));
        assert!(uri.host_has_brackets());
        assert_eq!(joined(&uri), "ftp://[ff00::127.0.0.1]:21/?q");
        // A future address is stripped too; a name is not touched.
        let uri = parse("http://[v1.a]/", URI_HOST_STRIP_BRACKETS).unwrap();
        assert_eq!(text(uri.host()), Some("v1.a"));
        let uri = parse("http://name/", URI_HOST_STRIP_BRACKETS).unwrap();
        assert!(!uri.host_has_brackets());
        // Changing the flags later does not lose the brackets (libevent's would).
        let mut uri = parse("http://[::1]/", URI_HOST_STRIP_BRACKETS).unwrap();
        uri.set_flags(0);
        assert_eq!(joined(&uri), "http://[::1]/");
    }

    #[test]
    fn scheme_rules() {
        check(
            "a+b.c-d:x",
            0,
            (Some("a+b.c-d"), None, None, -1, Some("x"), None, None),
            "a+b.c-d:x",
        );
        check(
            "mailto:me@example.org",
            0,
            (
                Some("mailto"),
                None,
                None,
                -1,
                Some("me@example.org"),
                None,
                None,
            ),
            "mailto:me@example.org",
        );
        check(
            "x:",
            0,
            (Some("x"), None, None, -1, Some(""), None, None),
            "x:",
        );
        // Not a scheme, so a relative path whose first segment holds a ':'.
        for bad in ["1a:x", "://h/", "99:99/x", "h%3ttp://h/", "a_b:c"] {
            assert!(parse(bad, 0).is_none(), "{bad:?}");
        }
        // A ':' after the first '/' is fine in a relative reference.
        check(
            "rel/a:b",
            0,
            (None, None, None, -1, Some("rel/a:b"), None, None),
            "rel/a:b",
        );
        check(
            "/a:b",
            0,
            (None, None, None, -1, Some("/a:b"), None, None),
            "/a:b",
        );
    }

    #[test]
    fn relative_references() {
        check("", 0, (None, None, None, -1, Some(""), None, None), "");
        check(
            "#f?g",
            0,
            (None, None, None, -1, Some(""), None, Some("f?g")),
            "#f?g",
        );
        check(
            "p?q=1?2#f",
            0,
            (None, None, None, -1, Some("p"), Some("q=1?2"), Some("f")),
            "p?q=1?2#f",
        );
        check(
            "?",
            0,
            (None, None, None, -1, Some(""), Some(""), None),
            "?",
        );
        // "//" always starts an authority, so the path may begin with "//" after one.
        check(
            "http:////x",
            0,
            (Some("http"), None, Some(""), -1, Some("//x"), None, None),
            "http:////x",
        );
    }

    #[test]
    fn strict_path_query_fragment() {
        for bad in [
            "/a b", "/a\x01", "/a%4", "/a%zz", "/a?b c", "/a?%g0", "/a#b#c", "/a#b c", "/a\\b",
            "/a|b", "/a^b", "/é",
        ] {
            assert!(parse(bad, 0).is_none(), "{bad:?}");
            assert!(parse(bad, URI_NONCONFORMANT).is_some(), "{bad:?}");
        }
        let uri = parse("/a b?c d#e#f", URI_NONCONFORMANT).unwrap();
        assert_eq!(
            parts(&uri),
            (None, None, None, -1, Some("/a b"), Some("c d"), Some("e#f"))
        );
    }

    #[test]
    fn text_ends_at_nul() {
        let uri = Uri::parse(b"/a\0 b", 0).unwrap();
        assert_eq!(text(uri.path()), Some("/a"));
    }

    #[test]
    fn unix_socket_authority() {
        let uri = parse("http://unix:/run/app.sock:/index.html?x#y", URI_UNIX_SOCKET).unwrap();
        assert_eq!(text(uri.unixsocket()), Some("/run/app.sock"));
        assert_eq!(uri.host(), None);
        assert_eq!(text(uri.path()), Some("/index.html"));
        assert_eq!(text(uri.query()), Some("x"));
        assert_eq!(joined(&uri), "http://unix:/run/app.sock:/index.html?x#y");
        let uri = parse("http://me@unix:rel.sock:", URI_UNIX_SOCKET).unwrap();
        assert_eq!(text(uri.userinfo()), Some("me"));
        assert_eq!(text(uri.unixsocket()), Some("rel.sock"));
        assert_eq!(text(uri.path()), Some(""));
        assert_eq!(joined(&uri), "http://me@unix:rel.sock:");
        // No closing ':', or something other than a path after it.
        assert!(parse("http://unix:/run/app.sock", URI_UNIX_SOCKET).is_none());
        assert!(parse("http://unix:a:b", URI_UNIX_SOCKET).is_none());
        // Without the flag "unix" is a host and the rest a port.
        assert!(parse("http://unix:/x", 0).is_some_and(|u| u.unixsocket().is_none()));
        assert!(parse("http://unix:a:/x", 0).is_none());
    }

    #[test]
    fn authority_form_for_connect() {
        let uri = Uri::parse_authority_form(b"example.org:443", 0).unwrap();
        assert_eq!(
            parts(&uri),
            (None, None, Some("example.org"), 443, Some(""), None, None)
        );
        // What follows the authority is ignored, as libevent does.
        let uri = Uri::parse_authority_form(b"h:1/ignored junk", 0).unwrap();
        assert_eq!(uri.port(), 1);
        assert!(Uri::parse_authority_form(b"h:x", 0).is_err());
        assert_eq!(
            text(Uri::parse_authority_form(b"", 0).unwrap().host()),
            Some("")
        );
    }

    #[test]
    fn new_uri_is_empty() {
        let uri = Uri::new();
        assert_eq!(parts(&uri), (None, None, None, -1, None, None, None));
        assert_eq!(joined(&uri), "");
    }

    fn set_ok(result: Result<(), UriError>) -> bool {
        result.is_ok()
    }

    #[test]
    fn setters_check_like_the_parser() {
        let mut uri = Uri::new();
        assert!(!set_ok(uri.set_scheme(Some(b""))));
        assert!(!set_ok(uri.set_scheme(Some(b"1x"))));
        assert!(!set_ok(uri.set_scheme(Some(b"a!"))));
        assert!(set_ok(uri.set_scheme(Some(b"coap+tcp"))));
        assert!(set_ok(uri.set_scheme(None)));
        assert_eq!(uri.scheme(), None);

        assert!(!set_ok(uri.set_userinfo(Some(b"a@b"))));
        assert!(!set_ok(uri.set_userinfo(Some(b"a%2"))));
        assert!(set_ok(uri.set_userinfo(Some(b"a:b%20c"))));

        assert!(!set_ok(uri.set_host(Some(b"[1.2.3.4]"))));
        assert!(!set_ok(uri.set_host(Some(b"["))));
        assert!(!set_ok(uri.set_host(Some(b"a.[b].c"))));
        assert!(!set_ok(uri.set_host(Some(b"::1"))));
        for host in [&b"name.example"[..], b"10.0.0.1", b"[::1]", b"[v1.x]", b""] {
            assert!(set_ok(uri.set_host(Some(host))));
            assert_eq!(uri.host().unwrap().as_bytes(), host);
        }
        assert!(set_ok(uri.set_host(None)));

        assert!(!set_ok(uri.set_port(-2)));
        assert!(set_ok(uri.set_port(-1)));
        // No upper bound, as libevent.
        assert!(set_ok(uri.set_port(70000)));

        assert!(!set_ok(uri.set_path(Some(b"a?b"))));
        assert!(!set_ok(uri.set_path(Some(b"a#b"))));
        assert!(!set_ok(uri.set_path(Some(b"a b"))));
        assert!(set_ok(uri.set_path(Some(b"rel:ative/p"))));
        assert!(!set_ok(uri.set_query(Some(b"a#b"))));
        assert!(set_ok(uri.set_query(Some(b"a?b=c&d"))));
        assert!(!set_ok(uri.set_fragment(Some(b"a#b"))));
        assert!(set_ok(uri.set_fragment(Some(b"a?b"))));

        // A refused value leaves the old one.
        assert!(!set_ok(uri.set_query(Some(b"x y"))));
        assert_eq!(uri.query().unwrap().as_bytes(), b"a?b=c&d");

        // Unix socket paths are not checked.
        assert!(set_ok(uri.set_unixsocket(Some(b"/any thing:#"))));
    }

    #[test]
    fn nonconformant_flag_governs_setters() {
        let mut uri = Uri::new();
        uri.set_flags(URI_NONCONFORMANT);
        assert!(set_ok(uri.set_path(Some(b"a b\x01"))));
        assert!(!set_ok(uri.set_path(Some(b"a?b"))));
        assert!(!set_ok(uri.set_path(Some(b"a#b"))));
        assert!(set_ok(uri.set_query(Some(b"x y?"))));
        assert!(!set_ok(uri.set_query(Some(b"x#y"))));
        assert!(set_ok(uri.set_fragment(Some(b"x#y z"))));
    }

    #[test]
    fn set_host_strips_brackets_by_flag() {
        let mut uri = Uri::new();
        uri.set_flags(URI_HOST_STRIP_BRACKETS);
        uri.set_host(Some(b"[::1]")).unwrap();
        assert_eq!(uri.host().unwrap().as_bytes(), b"::1");
        assert_eq!(joined(&uri), "//[::1]");
        uri.set_host(Some(b"plain")).unwrap();
        assert!(!uri.host_has_brackets());
        assert_eq!(joined(&uri), "//plain");
    }

    #[test]
    fn join_writes_parts_in_order() {
        let mut uri = Uri::new();
        uri.set_scheme(Some(b"http")).unwrap();
        uri.set_userinfo(Some(b"u")).unwrap();
        uri.set_host(Some(b"h")).unwrap();
        uri.set_port(0).unwrap();
        uri.set_path(Some(b"/p")).unwrap();
        uri.set_query(Some(b"")).unwrap();
        uri.set_fragment(Some(b"")).unwrap();
        assert_eq!(joined(&uri), "http://u@h:0/p?#");
        // The socket wins over the host, and hides the port.
        uri.set_unixsocket(Some(b"/s")).unwrap();
        assert_eq!(joined(&uri), "http://u@unix:/s:/p?#");
        // Userinfo and port are only written with an authority.
        let mut uri = Uri::new();
        uri.set_userinfo(Some(b"u")).unwrap();
        uri.set_port(80).unwrap();
        uri.set_path(Some(b"p")).unwrap();
        assert_eq!(joined(&uri), "p");
    }

    #[test]
    fn join_refuses_relative_path_after_host() {
        let mut uri = Uri::new();
        uri.set_host(Some(b"h")).unwrap();
        uri.set_path(Some(b"rel")).unwrap();
        assert_eq!(uri.join(), Err(JoinError::PathNotAbsolute));
        uri.set_path(Some(b"")).unwrap();
        assert_eq!(joined(&uri), "//h");
        // With a socket instead of a host, libevent does not check.
        let mut uri = Uri::new();
        uri.set_unixsocket(Some(b"s")).unwrap();
        uri.set_path(Some(b"rel")).unwrap();
        assert_eq!(joined(&uri), "//unix:s:rel");
    }

    #[test]
    fn join_into_needs_room_for_the_nul() {
        let uri = parse("http://h/p", 0).unwrap();
        let len = "http://h/p".len();
        let mut buf = [0xAAu8; 32];
        assert_eq!(uri.join_into(&mut buf[..len]), Err(JoinError::NoRoom));
        assert_eq!(buf, [0xAA; 32], "untouched when it does not fit");
        assert_eq!(uri.join_into(&mut buf[..0]), Err(JoinError::NoRoom));
        assert_eq!(uri.join_into(&mut buf[..len + 1]), Ok(len));
        assert_eq!(&buf[..len + 1], b"http://h/p\0");
        assert_eq!(buf[len + 1], 0xAA);
    }

    #[test]
    fn parts_carry_a_nul() {
        let uri = parse("s:p", 0).unwrap();
        assert_eq!(uri.scheme().unwrap().as_bytes_with_nul(), b"s\0");
        assert_eq!(format!("{:?}", uri.path().unwrap()), "\"p\"");
    }
}
