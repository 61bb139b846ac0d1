//! HTTP/1.x message heads as libevent 2.2.1's evhttp reads them: line cutting, request
//! and status lines, header lines with obs-fold continuations, Content-Length, method
//! names and the default reason phrases.
//!
//! Every function works on one line (or one header value) and says which libevent rule
//! it follows. Where libevent's C-string handling gives an absurd or unsafe result (a
//! NUL byte silently truncating a line, `sscanf`/`atoi`/`strtoll` accepting signs,
//! whitespace or overflowing numbers), the function refuses instead and says why.
//!
//! [`parse_request_head`], [`parse_response_head`] and [`parse_header_block`] chain the
//! line functions the way evhttp's connection does, for the fuzz targets and benches.

use core::fmt;

/// The method bits of `enum evhttp_cmd_type` (include/event2/http.h).
pub mod method {
    pub const GET: u32 = 1 << 0;
    pub const POST: u32 = 1 << 1;
    pub const HEAD: u32 = 1 << 2;
    pub const PUT: u32 = 1 << 3;
    pub const DELETE: u32 = 1 << 4;
    pub const OPTIONS: u32 = 1 << 5;
    pub const TRACE: u32 = 1 << 6;
    pub const CONNECT: u32 = 1 << 7;
    pub const PATCH: u32 = 1 << 8;
    pub const PROPFIND: u32 = 1 << 9;
    pub const PROPPATCH: u32 = 1 << 10;
    pub const MKCOL: u32 = 1 << 11;
    pub const LOCK: u32 = 1 << 12;
    pub const UNLOCK: u32 = 1 << 13;
    pub const COPY: u32 = 1 << 14;
    pub const MOVE: u32 = 1 << 15;
}

/// What made a line, value or body refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A NUL byte inside a line or value. libevent reads lines as C strings, so it
    /// silently drops everything after a NUL (and takes a header line starting with one
    /// for the blank line that ends the head); we refuse instead, as such a message
    /// means something else to every other parser.
    NulByte,
    /// A request line shorter than `GET / HTTP/1.0` once trailing spaces are cut.
    RequestLineTooShort,
    /// No space after the method (request line) or after the version (status line).
    MissingSpace,
    /// No space between the request target and the version, or an empty target.
    MissingTarget,
    /// The version is not `HTTP/` digits `.` digits.
    BadVersion,
    /// A well-formed version libevent does not speak: major above 1 (or a minor that
    /// would not fit libevent's `char` field).
    UnsupportedVersion,
    /// The status code is missing, zero, signed, or too large for an `int`.
    BadStatusCode,
    /// A header line with no `:`.
    MissingColon,
    /// A header name that is empty or holds a space, tab or carriage return.
    BadFieldName,
    /// A header value with a carriage return not followed by a space or tab.
    BadFieldValue,
    /// A continuation line (starting with a space or tab) before any header.
    ContinuationWithoutField,
    /// A Content-Length that is not a plain decimal number up to `i64::MAX`.
    BadContentLength,
    /// A chunk-size line libevent would not read as a chunk size.
    BadChunkSize,
    /// A chunked body larger than the limit, or than 64 bits can count.
    BodyTooLarge,
    /// A line longer than the decoder's limit.
    LineTooLong,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ParseError::NulByte => "NUL byte in line",
            ParseError::RequestLineTooShort => "request line too short",
            ParseError::MissingSpace => "missing space in first line",
            ParseError::MissingTarget => "missing request target",
            ParseError::BadVersion => "malformed HTTP version",
            ParseError::UnsupportedVersion => "unsupported HTTP version",
            ParseError::BadStatusCode => "bad status code",
            ParseError::MissingColon => "header line without ':'",
            ParseError::BadFieldName => "bad header name",
            ParseError::BadFieldValue => "bad header value",
            ParseError::ContinuationWithoutField => "continuation line before any header",
            ParseError::BadContentLength => "bad Content-Length",
            ParseError::BadChunkSize => "bad chunk size",
            ParseError::BodyTooLarge => "body too large",
            ParseError::LineTooLong => "line too long",
        };
        f.write_str(text)
    }
}

impl std::error::Error for ParseError {}

/// The method bit for a request-line method token, or `None` for a method libevent
/// does not know (which is not an error: libevent keeps parsing and lets the server
/// answer 501, or asks the connection's extension-method callback).
///
/// Like `evhttp_parse_request_line`'s switch: exact and case-sensitive, so `get` and
/// `GET ` are unknown.
pub fn method_from_token(token: &[u8]) -> Option<u32> {
    let bit = match token {
        b"GET" => method::GET,
        b"POST" => method::POST,
        b"HEAD" => method::HEAD,
        b"PUT" => method::PUT,
        b"DELETE" => method::DELETE,
        b"OPTIONS" => method::OPTIONS,
        b"TRACE" => method::TRACE,
        b"CONNECT" => method::CONNECT,
        b"PATCH" => method::PATCH,
        b"PROPFIND" => method::PROPFIND,
        b"PROPPATCH" => method::PROPPATCH,
        b"MKCOL" => method::MKCOL,
        b"LOCK" => method::LOCK,
        b"UNLOCK" => method::UNLOCK,
        b"COPY" => method::COPY,
        b"MOVE" => method::MOVE,
        _ => return None,
    };
    Some(bit)
}

/// The name libevent's `evhttp_method_` gives one method bit; `None` for anything but
/// exactly one of the sixteen known bits (extension methods are named by the
/// program's callback, not here).
pub fn method_name(bit: u32) -> Option<&'static str> {
    let name = match bit {
        method::GET => "GET",
        method::POST => "POST",
        method::HEAD => "HEAD",
        method::PUT => "PUT",
        method::DELETE => "DELETE",
        method::OPTIONS => "OPTIONS",
        method::TRACE => "TRACE",
        method::CONNECT => "CONNECT",
        method::PATCH => "PATCH",
        method::PROPFIND => "PROPFIND",
        method::PROPPATCH => "PROPPATCH",
        method::MKCOL => "MKCOL",
        method::LOCK => "LOCK",
        method::UNLOCK => "UNLOCK",
        method::COPY => "COPY",
        method::MOVE => "MOVE",
        _ => return None,
    };
    Some(name)
}

/// Whether a request of this known method may carry a body, by the flags
/// `evhttp_method_` gives: every known method but HEAD and TRACE. For anything else
/// `false`: libevent gives an extension method only the flags its callback sets.
pub fn method_may_have_body(bit: u32) -> bool {
    method_name(bit).is_some() && bit != method::HEAD && bit != method::TRACE
}

/// Whether a response with status `code` to a request of method `request_method`
/// carries a body, as `evhttp_response_needs_body`: not for 1xx, 204 and 304 statuses,
/// nor in answer to HEAD or CONNECT.
pub fn response_has_body(code: i32, request_method: u32) -> bool {
    code != 204
        && code != 304
        && !(100..200).contains(&code)
        && request_method != method::CONNECT
        && request_method != method::HEAD
}

/// One line at the start of `buf`: the bytes before `"\n"` or `"\r\n"`, and how many
/// bytes the line and its ending take. `None` if no `'\n'` is there yet.
///
/// This is `evbuffer_readln(…, EVBUFFER_EOL_CRLF)`: a line ends at the first `'\n'`,
/// and one `'\r'` right before it belongs to the ending. A lone `'\r'` elsewhere stays
/// in the line (the parsers below then decide about it).
pub fn find_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let newline = memchr::memchr(b'\n', buf)?;
    let line = &buf[..newline];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, newline + 1))
}

/// A parsed request line. The slices point into the line given to
/// [`parse_request_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// The method token as sent (possibly empty, if the line starts with a space).
    pub method: &'a [u8],
    /// Its bit from [`method_from_token`]; `None` for an unknown method.
    pub known_method: Option<u32>,
    /// Everything between the first and the last space: never empty, and it may hold
    /// spaces itself.
    pub target: &'a [u8],
    pub major: u8,
    pub minor: u8,
}

/// Parses a request line (without its line ending) as `evhttp_parse_request_line`:
///
/// - Trailing spaces (only `' '`) are cut first; the rest must be at least as long as
///   `GET / HTTP/1.0` (14 bytes), else [`ParseError::RequestLineTooShort`]. So an
///   empty line before the request is refused, as in libevent.
/// - The method is everything before the first space (no space:
///   [`ParseError::MissingSpace`]); an unknown method is not an error here.
/// - The version is everything after the *last* space, read by [`parse_http_version`]
///   rules; the target is what lies between, and must not be empty
///   ([`ParseError::MissingTarget`]). Tabs are not separators.
/// - The target is returned as it is: libevent next parses it with
///   `evhttp_uri_parse_with_flags(EVHTTP_URI_NONCONFORMANT)`, or as an authority for
///   CONNECT, and refuses the request if that fails; the caller does that with the
///   `uri` module.
/// - Unlike libevent, a NUL byte anywhere refuses the line ([`ParseError::NulByte`]):
///   libevent would cut the line at the NUL and parse only the part before it.
pub fn parse_request_line(line: &[u8]) -> Result<RequestLine<'_>, ParseError> {
    refuse_nul(line)?;
    let trimmed_len = line.len() - line.iter().rev().take_while(|&&b| b == b' ').count();
    let line = &line[..trimmed_len];
    if line.len() < b"GET / HTTP/1.0".len() {
        return Err(ParseError::RequestLineTooShort);
    }
    let method_end = memchr::memchr(b' ', line).ok_or(ParseError::MissingSpace)?;
    let method = &line[..method_end];
    let rest = &line[method_end + 1..];
    let target_end = match memchr::memrchr(b' ', rest) {
        Some(0) | None => return Err(ParseError::MissingTarget),
        Some(at) => at,
    };
    let target = &rest[..target_end];
    let (major, minor) = parse_http_version(&rest[target_end + 1..])?;
    Ok(RequestLine {
        method,
        known_method: method_from_token(method),
        target,
        major,
        minor,
    })
}

/// A parsed status line; `reason` points into the line given to
/// [`parse_status_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    pub major: u8,
    pub minor: u8,
    pub code: i32,
    pub reason: &'a [u8],
}

/// Parses a status line (without its line ending) as `evhttp_parse_response_line`:
///
/// - The version is everything before the first space (no space at all:
///   [`ParseError::MissingSpace`]), read by [`parse_http_version`] rules.
/// - The code is the next token, up to the next space. Like libevent's `atoi`, its
///   leading decimal digits are the code and anything after them in the token is
///   ignored (`200abc` is 200); zero or no digits is [`ParseError::BadStatusCode`].
///   Unlike `atoi`, leading whitespace or a sign (libevent would take `-5` as a
///   status) and values past `i32::MAX` (undefined in `atoi`) are refused too. Codes
///   outside 100..=599 are accepted, as in libevent.
/// - The reason phrase is everything after the space that ends the code, untrimmed
///   (`HTTP/1.1 200  OK` gives `" OK"`); with no such space it is empty.
/// - Unlike libevent, a NUL byte refuses the line (libevent would cut it there).
pub fn parse_status_line(line: &[u8]) -> Result<StatusLine<'_>, ParseError> {
    refuse_nul(line)?;
    let version_end = memchr::memchr(b' ', line).ok_or(ParseError::MissingSpace)?;
    let rest = &line[version_end + 1..];
    let (number, reason) = match memchr::memchr(b' ', rest) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let (major, minor) = parse_http_version(&line[..version_end])?;
    let code = parse_status_code(number)?;
    Ok(StatusLine {
        major,
        minor,
        code,
        reason,
    })
}

/// Reads an `HTTP/x.y` token as `evhttp_parse_http_version` does with
/// `sscanf("HTTP/%d.%d%c")`: the literal `HTTP/` (case-sensitive), two decimal numbers
/// joined by a dot, nothing after; a major above 1 is refused
/// ([`ParseError::UnsupportedVersion`]), so HTTP/0.9, HTTP/1.0, HTTP/1.1 and HTTP/1.7
/// pass and HTTP/2.0 does not. Leading zeros are fine (`HTTP/01.01` is 1.1).
///
/// Where `%d` is absurd we refuse: leading whitespace or a sign (`HTTP/ 1.1`,
/// `HTTP/-1.1`, which libevent accepts with major -1), numbers that overflow an
/// `int` (libevent can wrap one to 1), and a minor above 127, which libevent's `char`
/// field would turn negative (and then treat the message as HTTP/1.0 while echoing a
/// negative version).
pub fn parse_http_version(token: &[u8]) -> Result<(u8, u8), ParseError> {
    let numbers = token.strip_prefix(b"HTTP/").ok_or(ParseError::BadVersion)?;
    let dot = memchr::memchr(b'.', numbers).ok_or(ParseError::BadVersion)?;
    let major = decimal(&numbers[..dot]).ok_or(ParseError::BadVersion)?;
    let minor = decimal(&numbers[dot + 1..]).ok_or(ParseError::BadVersion)?;
    if major > 1 || minor > 127 {
        return Err(ParseError::UnsupportedVersion);
    }
    Ok((major as u8, minor as u8))
}

/// The value of a non-empty run of ASCII digits, saturating at `u64::MAX`; `None` for
/// anything else.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |value, &digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

/// The status code token: its leading digits, as `atoi` reads them (see
/// [`parse_status_line`]).
fn parse_status_code(token: &[u8]) -> Result<i32, ParseError> {
    let digit_count = token.iter().take_while(|b| b.is_ascii_digit()).count();
    let code = decimal(&token[..digit_count]).ok_or(ParseError::BadStatusCode)?;
    match i32::try_from(code) {
        Ok(0) | Err(_) => Err(ParseError::BadStatusCode),
        Ok(code) => Ok(code),
    }
}

/// What one line of a header block means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLine<'a> {
    /// The empty line that ends the block.
    End,
    /// `name: value`, the value trimmed as libevent trims it.
    Field { name: &'a [u8], value: &'a [u8] },
    /// An obs-fold line (it started with a space or tab): the caller appends one space
    /// and this text to the last header's value (see [`append_continuation`]), and
    /// refuses it with [`ParseError::ContinuationWithoutField`] if there is no header
    /// yet. In a chunked body's trailer, libevent appends it to the last header read
    /// so far, which may be one from the message head.
    Continuation(&'a [u8]),
}

/// Parses one header (or trailer) line, without its line ending, as
/// `evhttp_parse_headers_` and `evhttp_add_header` do:
///
/// - An empty line is [`HeaderLine::End`]. A line of only `"\r"` (from `"\r\r\n"`) is
///   not empty and fails for lack of a colon.
/// - A line starting with a space or tab is a [`HeaderLine::Continuation`]; its
///   leading and trailing spaces and tabs are cut (it may become empty, and then adds
///   just a space to the value, as in libevent).
/// - Otherwise the name is everything before the first `:` (none:
///   [`ParseError::MissingColon`]) and the value everything after it, with leading
///   *spaces* (not tabs: `X:\tv` gives `"\tv"`) and trailing spaces and tabs cut.
/// - A value may hold a carriage return only if a space or tab follows it (libevent's
///   `evhttp_header_is_valid_value`), else [`ParseError::BadFieldValue`]. libevent
///   does not check continuation text at all; we check it the same way, since the
///   folded value would otherwise hold what `evhttp_add_header` refuses.
/// - A name holding a carriage return is refused, as in libevent. Unlike libevent, an
///   empty name and a name holding a space or tab (`Content-Length : 5`) are refused
///   too ([`ParseError::BadFieldName`]): libevent stores `"Content-Length "` as a
///   different header and ignores it, while a proxy in front may honour it, which is
///   how requests get smuggled. RFC 9112 section 5.1 requires refusing it.
/// - Unlike libevent, a NUL byte refuses the line. libevent cuts the line there, so a
///   line starting with NUL would end the head and the rest of the line would be
///   dropped.
pub fn parse_header_line(line: &[u8]) -> Result<HeaderLine<'_>, ParseError> {
    refuse_nul(line)?;
    match line.first() {
        None => return Ok(HeaderLine::End),
        Some(b' ' | b'\t') => {
            let text = trim_end_lws(trim_start(line, |b| b == b' ' || b == b'\t'));
            check_field_value(text)?;
            return Ok(HeaderLine::Continuation(text));
        }
        Some(_) => {}
    }
    let colon = memchr::memchr(b':', line).ok_or(ParseError::MissingColon)?;
    let name = &line[..colon];
    if name.is_empty() || name.iter().any(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Err(ParseError::BadFieldName);
    }
    let value = trim_end_lws(trim_start(&line[colon + 1..], |b| b == b' '));
    check_field_value(value)?;
    Ok(HeaderLine::Field { name, value })
}

/// Appends a continuation line's text to a header value as
/// `evhttp_append_to_last_header` does: one space, then the text.
pub fn append_continuation(value: &mut Vec<u8>, continuation: &[u8]) {
    value.reserve(continuation.len() + 1);
    value.push(b' ');
    value.extend_from_slice(continuation);
}

/// libevent's `evhttp_header_is_valid_value` for a line without `'\n'`: every run of
/// carriage returns must be followed by a space or tab.
fn check_field_value(value: &[u8]) -> Result<(), ParseError> {
    let mut from = 0;
    while let Some(found) = memchr::memchr(b'\r', &value[from..]) {
        let after_run = from
            + found
            + value[from + found..]
                .iter()
                .take_while(|&&b| b == b'\r')
                .count();
        match value.get(after_run) {
            Some(b' ' | b'\t') => from = after_run,
            _ => return Err(ParseError::BadFieldValue),
        }
    }
    Ok(())
}

fn trim_start(bytes: &[u8], cut: impl Fn(u8) -> bool) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| cut(b)).count();
    &bytes[skip..]
}

/// `evutil_rtrim_lws_`: cuts trailing spaces and tabs.
fn trim_end_lws(bytes: &[u8]) -> &[u8] {
    let keep = bytes.len()
        - bytes
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
    &bytes[..keep]
}

fn refuse_nul(line: &[u8]) -> Result<(), ParseError> {
    match memchr::memchr(0, line) {
        Some(_) => Err(ParseError::NulByte),
        None => Ok(()),
    }
}

/// Reads a Content-Length value (as stored by [`parse_header_line`], possibly folded)
/// the way `evhttp_get_body_length` does with `strtoll(…, 10)`: a decimal number with
/// nothing after it, not negative; leading spaces and tabs are skipped (a value sent
/// as `Content-Length:\t5` is stored as `"\t5"`). Several values (`5, 5`) or trailing
/// junk are refused, as in libevent. libevent uses the first Content-Length header
/// and ignores the others.
///
/// Unlike `strtoll`, a sign (`+5`, `-0`), other whitespace (`\v`, `\f`, `\r`) and
/// values past `i64::MAX` are refused ([`ParseError::BadContentLength`]): libevent
/// would clamp an overflowing length to `i64::MAX` and wait for that much body, and a
/// proxy that reads these forms differently frames the body differently.
pub fn parse_content_length(value: &[u8]) -> Result<u64, ParseError> {
    let digits = trim_start(value, |b| b == b' ' || b == b'\t');
    match decimal(digits) {
        Some(length) if length <= i64::MAX as u64 => Ok(length),
        _ => Err(ParseError::BadContentLength),
    }
}

/// The reason phrase libevent's `evhttp_response_phrase_internal` gives a status code
/// when the program passes none: its table of RFC 2616 phrases (with its spellings,
/// such as "Request Time-out"), the class name ("Success", "Client Error", …) for an
/// unknown code of a known class, and "Unknown Status Class" outside 100..=599.
///
/// libevent's 3xx table skips 306, so it names 306 "Temporary Redirect" and 307 just
/// "Redirection"; we give 307 its phrase and 306 the class name.
pub fn reason_phrase(code: i32) -> &'static str {
    const INFORMATIONAL: &[&str] = &["Continue", "Switching Protocols"];
    const SUCCESS: &[&str] = &[
        "OK",
        "Created",
        "Accepted",
        "Non-Authoritative Information",
        "No Content",
        "Reset Content",
        "Partial Content",
    ];
    const REDIRECTION: &[&str] = &[
        "Multiple Choices",
        "Moved Permanently",
        "Found",
        "See Other",
        "Not Modified",
        "Use Proxy",
        "",
        "Temporary Redirect",
    ];
    const CLIENT_ERROR: &[&str] = &[
        "Bad Request",
        "Unauthorized",
        "Payment Required",
        "Forbidden",
        "Not Found",
        "Method Not Allowed",
        "Not Acceptable",
        "Proxy Authentication Required",
        "Request Time-out",
        "Conflict",
        "Gone",
        "Length Required",
        "Precondition Failed",
        "Request Entity Too Large",
        "Request-URI Too Large",
        "Unsupported Media Type",
        "Requested range not satisfiable",
        "Expectation Failed",
    ];
    const SERVER_ERROR: &[&str] = &[
        "Internal Server Error",
        "Not Implemented",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Time-out",
        "HTTP Version not supported",
    ];
    const CLASSES: [(&str, &[&str]); 5] = [
        ("Informational", INFORMATIONAL),
        ("Success", SUCCESS),
        ("Redirection", REDIRECTION),
        ("Client Error", CLIENT_ERROR),
        ("Server Error", SERVER_ERROR),
    ];
    if !(100..600).contains(&code) {
        return "Unknown Status Class";
    }
    let (class_name, phrases) = CLASSES[(code / 100 - 1) as usize];
    match phrases.get((code % 100) as usize) {
        Some(phrase) if !phrase.is_empty() => phrase,
        _ => class_name,
    }
}

/// One header of a parsed head, owned (a continuation may have grown its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

/// A whole request head, from [`parse_request_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: Vec<u8>,
    pub known_method: Option<u32>,
    pub target: Vec<u8>,
    pub major: u8,
    pub minor: u8,
    pub fields: Vec<Field>,
}

/// A whole response head, from [`parse_response_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub major: u8,
    pub minor: u8,
    pub code: i32,
    pub reason: Vec<u8>,
    pub fields: Vec<Field>,
}

/// Reads a request head (request line, header lines, blank line) from the start of
/// `buf` as evhttp's connection does line by line: the head and how many bytes it
/// took, `Ok(None)` if it is not complete yet, or the first refused line's error
/// (reported as soon as that line is complete, as libevent fails the connection
/// then). Size limits (`max_headers_size`) are the caller's.
pub fn parse_request_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, ParseError> {
    let Some((line, first_len)) = find_line(buf) else {
        return Ok(None);
    };
    let request = parse_request_line(line)?;
    let mut fields = Vec::new();
    let Some(block_len) = parse_header_block(&buf[first_len..], &mut fields)? else {
        return Ok(None);
    };
    let head = RequestHead {
        method: request.method.to_vec(),
        known_method: request.known_method,
        target: request.target.to_vec(),
        major: request.major,
        minor: request.minor,
        fields,
    };
    Ok(Some((head, first_len + block_len)))
}

/// Reads a response head from the start of `buf`, like [`parse_request_head`].
pub fn parse_response_head(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>, ParseError> {
    let Some((line, first_len)) = find_line(buf) else {
        return Ok(None);
    };
    let status = parse_status_line(line)?;
    let mut fields = Vec::new();
    let Some(block_len) = parse_header_block(&buf[first_len..], &mut fields)? else {
        return Ok(None);
    };
    let head = ResponseHead {
        major: status.major,
        minor: status.minor,
        code: status.code,
        reason: status.reason.to_vec(),
        fields,
    };
    Ok(Some((head, first_len + block_len)))
}

/// Reads header lines up to and including the blank line, appending them to `fields`
/// (a continuation may extend the last header already there, as libevent's trailer
/// reading does with the head's headers). Returns the bytes taken, or `Ok(None)` if
/// the blank line has not arrived; on `Ok(None)` and on an error `fields` is left as
/// it was.
pub fn parse_header_block(
    buf: &[u8],
    fields: &mut Vec<Field>,
) -> Result<Option<usize>, ParseError> {
    let original_count = fields.len();
    let original_last_len = fields.last().map_or(0, |field| field.value.len());
    let restore = |fields: &mut Vec<Field>| {
        fields.truncate(original_count);
        if let Some(last) = fields.last_mut() {
            last.value.truncate(original_last_len);
        }
    };
    let mut taken = 0;
    while let Some((line, line_len)) = find_line(&buf[taken..]) {
        taken += line_len;
        match parse_header_line(line) {
            Ok(HeaderLine::End) => return Ok(Some(taken)),
            Ok(HeaderLine::Field { name, value }) => fields.push(Field {
                name: name.to_vec(),
                value: value.to_vec(),
            }),
            Ok(HeaderLine::Continuation(text)) => match fields.last_mut() {
                Some(last) => append_continuation(&mut last.value, text),
                None => {
                    restore(fields);
                    return Err(ParseError::ContinuationWithoutField);
                }
            },
            Err(error) => {
                restore(fields);
                return Err(error);
            }
        }
    }
    restore(fields);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Result<RequestLine<'_>, ParseError> {
        parse_request_line(line.as_bytes())
    }

    fn status(line: &str) -> Result<StatusLine<'_>, ParseError> {
        parse_status_line(line.as_bytes())
    }

    fn header(line: &str) -> Result<HeaderLine<'_>, ParseError> {
        parse_header_line(line.as_bytes())
    }

    fn field<'a>(name: &'a str, value: &'a str) -> HeaderLine<'a> {
        HeaderLine::Field {
            name: name.as_bytes(),
            value: value.as_bytes(),
        }
    }

    #[test]
    fn method_bits_match_evhttp_cmd_type() {
        let names = [
            "GET",
            "POST",
            "HEAD",
            "PUT",
            "DELETE",
            "OPTIONS",
            "TRACE",
            "CONNECT",
            "PATCH",
            "PROPFIND",
            "PROPPATCH",
            "MKCOL",
            "LOCK",
            "UNLOCK",
            "COPY",
            "MOVE",
        ];
        for (shift, name) in names.iter().enumerate() {
            assert_eq!(method_from_token(name.as_bytes()), Some(1 << shift));
            assert_eq!(method_name(1 << shift), Some(*name));
        }
        assert_eq!(method_name(1 << 16), None);
        assert_eq!(method_name(0), None);
        assert_eq!(method_name(method::GET | method::POST), None);
    }

    #[test]
    fn method_tokens_are_exact_and_case_sensitive() {
        // evhttp_parse_request_line compares byte by byte, length first.
        for token in [
            "get",
            "Get",
            "GETS",
            "GE",
            "",
            "POST ",
            "PROPFINDX",
            "FLOOP",
        ] {
            assert_eq!(method_from_token(token.as_bytes()), None, "{token}");
        }
    }

    #[test]
    fn which_messages_have_bodies() {
        assert!(method_may_have_body(method::GET));
        assert!(method_may_have_body(method::POST));
        assert!(method_may_have_body(method::MOVE));
        assert!(!method_may_have_body(method::HEAD));
        assert!(!method_may_have_body(method::TRACE));
        assert!(!method_may_have_body(1 << 16));
        assert!(response_has_body(200, method::GET));
        assert!(response_has_body(404, method::POST));
        assert!(response_has_body(99, method::GET));
        assert!(response_has_body(-1, method::GET));
        assert!(!response_has_body(100, method::GET));
        assert!(!response_has_body(199, method::GET));
        assert!(!response_has_body(204, method::GET));
        assert!(!response_has_body(304, method::GET));
        assert!(!response_has_body(200, method::HEAD));
        assert!(!response_has_body(200, method::CONNECT));
    }

    #[test]
    fn lines_end_at_lf_with_an_optional_cr() {
        assert_eq!(find_line(b"abc\r\ndef"), Some((&b"abc"[..], 5)));
        assert_eq!(find_line(b"abc\ndef"), Some((&b"abc"[..], 4)));
        assert_eq!(find_line(b"\n"), Some((&b""[..], 1)));
        assert_eq!(find_line(b"\r\n"), Some((&b""[..], 2)));
        // Only one CR belongs to the ending; a lone CR stays in the line.
        assert_eq!(find_line(b"a\r\r\n"), Some((&b"a\r"[..], 4)));
        assert_eq!(find_line(b"a\rb\n"), Some((&b"a\rb"[..], 4)));
        assert_eq!(find_line(b"abc"), None);
        assert_eq!(find_line(b"abc\r"), None);
        assert_eq!(find_line(b""), None);
    }

    #[test]
    fn request_line_basic() {
        let parsed = request("GET /index.html HTTP/1.1").unwrap();
        assert_eq!(parsed.method, b"GET");
        assert_eq!(parsed.known_method, Some(method::GET));
        assert_eq!(parsed.target, b"/index.html");
        assert_eq!((parsed.major, parsed.minor), (1, 1));
        let parsed = request("CONNECT example.com:443 HTTP/1.0").unwrap();
        assert_eq!(parsed.known_method, Some(method::CONNECT));
        assert_eq!(parsed.target, b"example.com:443");
    }

    #[test]
    fn unknown_methods_parse_without_a_bit() {
        // libevent keeps going and answers 501 later (regress: "FLOOP /test").
        let parsed = request("FLOOP /test HTTP/1.1").unwrap();
        assert_eq!(parsed.method, b"FLOOP");
        assert_eq!(parsed.known_method, None);
        assert_eq!(request("get /test HTTP/1.1").unwrap().known_method, None);
    }

    #[test]
    fn request_line_trailing_spaces_are_cut_before_the_length_check() {
        assert_eq!(request("GET / HTTP/1.0   ").unwrap().target, b"/");
        assert_eq!(request("GET / HTTP/1.0").unwrap().minor, 0);
        // 13 bytes, or 13 plus spaces: too short.
        assert_eq!(
            request("X /a HTTP/1.0"),
            Err(ParseError::RequestLineTooShort)
        );
        assert_eq!(
            request("X /a HTTP/1.0  "),
            Err(ParseError::RequestLineTooShort)
        );
        assert_eq!(request(""), Err(ParseError::RequestLineTooShort));
        // Tabs are not cut.
        assert_eq!(request("GET / HTTP/1.0\t"), Err(ParseError::BadVersion));
    }

    #[test]
    fn request_line_splits_at_first_and_last_space() {
        let parsed = request("GET /a b c HTTP/1.1").unwrap();
        assert_eq!(parsed.target, b"/a b c");
        let parsed = request("GET  /double HTTP/1.1").unwrap();
        assert_eq!(parsed.target, b" /double");
        let parsed = request("GET /x  HTTP/1.1").unwrap();
        assert_eq!(parsed.target, b"/x ");
        // A line starting with a space has an empty method.
        let parsed = request(" /index.html HTTP/1.1").unwrap();
        assert_eq!(parsed.method, b"");
        assert_eq!(parsed.known_method, None);
        assert_eq!(parsed.target, b"/index.html");
    }

    #[test]
    fn request_line_refusals() {
        assert_eq!(
            request("GET/index.htmlHTTP/1.1"),
            Err(ParseError::MissingSpace)
        );
        assert_eq!(
            request("GET\t/index.html\tHTTP/1.1"),
            Err(ParseError::MissingSpace)
        );
        // One space only: no target/version split.
        assert_eq!(
            request("GET /index.html/HTTP/1.1"),
            Err(ParseError::MissingTarget)
        );
        // The only space after the method starts the rest: empty target.
        assert_eq!(request("GET  HTTP/1.1xxxx"), Err(ParseError::MissingTarget));
        assert_eq!(
            request("GET /index HTTP/2.0"),
            Err(ParseError::UnsupportedVersion)
        );
        assert_eq!(request("GET /index http/1.1"), Err(ParseError::BadVersion));
        assert_eq!(
            request("GET /index HTTP/1.1\r"),
            Err(ParseError::BadVersion)
        );
        assert_eq!(request("GET /index\0 HTTP/1.1"), Err(ParseError::NulByte));
        assert_eq!(
            request("GET /index HTTP/1.1\0junk"),
            Err(ParseError::NulByte)
        );
    }

    #[test]
    fn versions_follow_sscanf_without_its_absurdities() {
        let version = |token: &str| parse_http_version(token.as_bytes());
        assert_eq!(version("HTTP/1.1"), Ok((1, 1)));
        assert_eq!(version("HTTP/1.0"), Ok((1, 0)));
        assert_eq!(version("HTTP/0.9"), Ok((0, 9)));
        assert_eq!(version("HTTP/1.7"), Ok((1, 7)));
        assert_eq!(version("HTTP/01.010"), Ok((1, 10)));
        assert_eq!(version("HTTP/1.127"), Ok((1, 127)));
        // Major above 1: libevent's own refusal.
        assert_eq!(version("HTTP/2.0"), Err(ParseError::UnsupportedVersion));
        assert_eq!(version("HTTP/10.0"), Err(ParseError::UnsupportedVersion));
        // sscanf would wrap these; a char field would hold a negative minor.
        assert_eq!(
            version("HTTP/4294967297.0"),
            Err(ParseError::UnsupportedVersion)
        );
        assert_eq!(version("HTTP/1.128"), Err(ParseError::UnsupportedVersion));
        // "%d%c" must match exactly two numbers and nothing after.
        for bad in [
            "HTTP/1",
            "HTTP/1.",
            "HTTP/.1",
            "HTTP/1.1x",
            "HTTP/1.1.1",
            "HTTP/",
            "HTTP1.1",
            "http/1.1",
            "HTTPS/1.1",
            "",
        ] {
            assert_eq!(version(bad), Err(ParseError::BadVersion), "{bad}");
        }
        // %d's whitespace and signs, refused here.
        for bad in [
            "HTTP/ 1.1",
            "HTTP/\t1.1",
            "HTTP/-1.1",
            "HTTP/+1.1",
            "HTTP/1.-1",
        ] {
            assert_eq!(version(bad), Err(ParseError::BadVersion), "{bad}");
        }
    }

    #[test]
    fn status_line_basic() {
        let parsed = status("HTTP/1.1 200 OK").unwrap();
        assert_eq!((parsed.major, parsed.minor, parsed.code), (1, 1, 200));
        assert_eq!(parsed.reason, b"OK");
        let parsed = status("HTTP/1.0 404 Not Found Here").unwrap();
        assert_eq!(parsed.code, 404);
        assert_eq!(parsed.reason, b"Not Found Here");
    }

    #[test]
    fn status_line_reason_is_optional_and_untrimmed() {
        assert_eq!(status("HTTP/1.1 200").unwrap().reason, b"");
        assert_eq!(status("HTTP/1.1 200 ").unwrap().reason, b"");
        assert_eq!(status("HTTP/1.1 200  OK ").unwrap().reason, b" OK ");
        assert_eq!(status("HTTP/1.1 204 \tx").unwrap().reason, b"\tx");
    }

    #[test]
    fn status_codes_as_atoi_reads_them() {
        assert_eq!(status("HTTP/1.1 200abc OK").unwrap().code, 200);
        assert_eq!(status("HTTP/1.1 200\tOK").unwrap().code, 200);
        assert_eq!(status("HTTP/1.1 2 x").unwrap().code, 2);
        assert_eq!(status("HTTP/1.1 999 x").unwrap().code, 999);
        assert_eq!(status("HTTP/1.1 0200 x").unwrap().code, 200);
        assert_eq!(status("HTTP/1.1 2147483647").unwrap().code, i32::MAX);
        // Zero (also atoi's answer for no digits) is libevent's refusal.
        for bad in [
            "HTTP/1.1 0 OK",
            "HTTP/1.1 000",
            "HTTP/1.1 abc",
            "HTTP/1.1  200 OK",
            "HTTP/1.1 ",
        ] {
            assert_eq!(status(bad), Err(ParseError::BadStatusCode), "{bad}");
        }
        // atoi's sign, whitespace and overflow, refused here.
        for bad in [
            "HTTP/1.1 -5 x",
            "HTTP/1.1 +200 x",
            "HTTP/1.1 \t200 x",
            "HTTP/1.1 2147483648 x",
        ] {
            assert_eq!(status(bad), Err(ParseError::BadStatusCode), "{bad}");
        }
    }

    #[test]
    fn status_line_refusals() {
        assert_eq!(status("HTTP/1.1"), Err(ParseError::MissingSpace));
        assert_eq!(status(""), Err(ParseError::MissingSpace));
        assert_eq!(status("HTTP/2 200 OK"), Err(ParseError::BadVersion));
        assert_eq!(
            status("HTTP/2.0 200 OK"),
            Err(ParseError::UnsupportedVersion)
        );
        assert_eq!(status(" HTTP/1.1 200 OK"), Err(ParseError::BadVersion));
        assert_eq!(status("ICY 200 OK"), Err(ParseError::BadVersion));
        assert_eq!(status("HTTP/1.1 200 O\0K"), Err(ParseError::NulByte));
        // The version is checked before the code, as in libevent.
        assert_eq!(status("HTTP/9.9 0"), Err(ParseError::UnsupportedVersion));
    }

    #[test]
    fn header_fields_and_trimming() {
        assert_eq!(
            header("Host: example.com"),
            Ok(field("Host", "example.com"))
        );
        assert_eq!(header("Host:example.com"), Ok(field("Host", "example.com")));
        assert_eq!(header("X:   a b  \t "), Ok(field("X", "a b")));
        assert_eq!(header("X:"), Ok(field("X", "")));
        assert_eq!(header("X:    "), Ok(field("X", "")));
        // Only spaces are skipped before the value.
        assert_eq!(header("X:\tv"), Ok(field("X", "\tv")));
        // The first colon splits.
        assert_eq!(header("X: a:b"), Ok(field("X", "a:b")));
        assert_eq!(header("Weird(name): v"), Ok(field("Weird(name)", "v")));
    }

    #[test]
    fn header_end_and_continuations() {
        assert_eq!(header(""), Ok(HeaderLine::End));
        assert_eq!(header(" a"), Ok(HeaderLine::Continuation(b"a")));
        assert_eq!(header("\t\t\t2.1 "), Ok(HeaderLine::Continuation(b"2.1")));
        assert_eq!(header(" \t x y \t"), Ok(HeaderLine::Continuation(b"x y")));
        assert_eq!(header("   "), Ok(HeaderLine::Continuation(b"")));
        assert_eq!(
            header(" No: colon needed"),
            Ok(HeaderLine::Continuation(b"No: colon needed"))
        );
    }

    #[test]
    fn header_refusals() {
        assert_eq!(header("no colon here"), Err(ParseError::MissingColon));
        assert_eq!(header("\r"), Err(ParseError::MissingColon));
        // libevent refuses CR in a name.
        assert_eq!(header("X\rY: v"), Err(ParseError::BadFieldName));
        // Refused here only: empty names and whitespace before the colon.
        assert_eq!(header(": v"), Err(ParseError::BadFieldName));
        assert_eq!(header("Content-Length : 5"), Err(ParseError::BadFieldName));
        assert_eq!(header("Content\tLength: 5"), Err(ParseError::BadFieldName));
        // CR in a value must be followed by a space or tab.
        assert_eq!(header("X: a\rb"), Err(ParseError::BadFieldValue));
        assert_eq!(header("X: a\r"), Err(ParseError::BadFieldValue));
        assert_eq!(header("X: a\r "), Err(ParseError::BadFieldValue));
        assert_eq!(header("X: a\r\r\tb"), Ok(field("X", "a\r\r\tb")));
        assert_eq!(header("X: a\r b"), Ok(field("X", "a\r b")));
        assert_eq!(header(" a\rb"), Err(ParseError::BadFieldValue));
        // NUL: libevent would end the head at "\0..." or cut the value.
        assert_eq!(header("\0X: y"), Err(ParseError::NulByte));
        assert_eq!(header("X: a\0b"), Err(ParseError::NulByte));
    }

    #[test]
    fn content_length_rules() {
        let length = |value: &str| parse_content_length(value.as_bytes());
        assert_eq!(length("0"), Ok(0));
        assert_eq!(length("42"), Ok(42));
        assert_eq!(length("007"), Ok(7));
        assert_eq!(length("\t5"), Ok(5));
        assert_eq!(length(" \t 5"), Ok(5));
        assert_eq!(length("9223372036854775807"), Ok(i64::MAX as u64));
        // libevent's refusals: empty, junk after, negative.
        for bad in ["", "5 ", "5x", "0x10", "5, 5", "-5", "-100", " ", "\t"] {
            assert_eq!(length(bad), Err(ParseError::BadContentLength), "{bad:?}");
        }
        // strtoll accepts these; refused here.
        for bad in [
            "+5",
            "-0",
            "\x0b5",
            "\r5",
            "9223372036854775808",
            "99999999999999999999",
        ] {
            assert_eq!(length(bad), Err(ParseError::BadContentLength), "{bad:?}");
        }
    }

    #[test]
    fn reason_phrases_follow_libevent_table() {
        assert_eq!(reason_phrase(100), "Continue");
        assert_eq!(reason_phrase(101), "Switching Protocols");
        assert_eq!(reason_phrase(102), "Informational");
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(206), "Partial Content");
        assert_eq!(reason_phrase(207), "Success");
        assert_eq!(reason_phrase(301), "Moved Permanently");
        assert_eq!(reason_phrase(305), "Use Proxy");
        assert_eq!(reason_phrase(307), "Temporary Redirect");
        assert_eq!(reason_phrase(306), "Redirection");
        assert_eq!(reason_phrase(308), "Redirection");
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(408), "Request Time-out");
        assert_eq!(reason_phrase(417), "Expectation Failed");
        assert_eq!(reason_phrase(418), "Client Error");
        assert_eq!(reason_phrase(500), "Internal Server Error");
        assert_eq!(reason_phrase(505), "HTTP Version not supported");
        assert_eq!(reason_phrase(599), "Server Error");
        for unknown in [0, 99, 600, 999, -1, -200, i32::MIN, i32::MAX] {
            assert_eq!(reason_phrase(unknown), "Unknown Status Class", "{unknown}");
        }
    }

    #[test]
    fn request_head_with_folded_headers() {
        // The message of libevent's multi-line header regression test.
        let message = b"GET /test HTTP/1.1\r\n\
            Host: somehost\r\n\
            Connection: close\r\n\
            X-Multi-Extra-WS:  libevent  \r\n\
            \t\t\t2.1 \r\n\
            X-Multi:  aaaaaaaa\r\n \
            a\r\n\
            \tEND\r\n\
            X-Last: last\r\n\
            \r\nbody";
        let (head, taken) = parse_request_head(message).unwrap().unwrap();
        assert_eq!(taken, message.len() - 4);
        assert_eq!(head.known_method, Some(method::GET));
        assert_eq!(head.target, b"/test");
        let value = |name: &[u8]| {
            head.fields
                .iter()
                .find(|field| field.name == name)
                .map(|field| field.value.clone())
        };
        assert_eq!(value(b"X-Multi-Extra-WS").unwrap(), b"libevent 2.1");
        assert_eq!(value(b"X-Multi").unwrap(), b"aaaaaaaa a END");
        assert_eq!(value(b"X-Last").unwrap(), b"last");
        assert_eq!(head.fields.len(), 5);
    }

    #[test]
    fn heads_wait_for_the_blank_line() {
        let message = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for cut in 0..message.len() {
            assert_eq!(parse_request_head(&message[..cut]), Ok(None), "{cut}");
        }
        assert!(parse_request_head(message).unwrap().is_some());
        // Bare LF endings work too.
        let (head, taken) = parse_request_head(b"GET / HTTP/1.0\nA: b\n\nrest")
            .unwrap()
            .unwrap();
        assert_eq!(taken, 21);
        assert_eq!(head.fields[0].value, b"b");
    }

    #[test]
    fn heads_refuse_as_soon_as_a_line_is_bad() {
        // The bad first line is refused before the headers arrive.
        assert_eq!(
            parse_request_head(b"BAD\r\n"),
            Err(ParseError::RequestLineTooShort)
        );
        assert_eq!(
            parse_request_head(b"GET / HTTP/1.1\r\nbroken\r\nHost: x"),
            Err(ParseError::MissingColon)
        );
        assert_eq!(
            parse_request_head(b"GET / HTTP/1.1\r\n folded\r\n\r\n"),
            Err(ParseError::ContinuationWithoutField)
        );
        // An empty line before the request line is refused, as in libevent.
        assert_eq!(
            parse_request_head(b"\r\nGET / HTTP/1.1\r\n\r\n"),
            Err(ParseError::RequestLineTooShort)
        );
    }

    #[test]
    fn response_head() {
        let message = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let (head, taken) = parse_response_head(message).unwrap().unwrap();
        assert_eq!(taken, message.len() - 5);
        assert_eq!(head.code, 200);
        assert_eq!(head.reason, b"OK");
        assert_eq!(parse_content_length(&head.fields[0].value), Ok(5));
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\n"), Ok(None));
        assert_eq!(
            parse_response_head(b"HTTP/1.1 0 OK\r\n"),
            Err(ParseError::BadStatusCode)
        );
    }

    #[test]
    fn header_block_continues_existing_fields_and_restores_on_failure() {
        let mut fields = vec![Field {
            name: b"A".to_vec(),
            value: b"1".to_vec(),
        }];
        // Trailers: a continuation extends the head's last header, as in libevent.
        assert_eq!(
            parse_header_block(b" 2\r\nB: 3\r\n\r\n", &mut fields),
            Ok(Some(12))
        );
        assert_eq!(fields[0].value, b"1 2");
        assert_eq!(fields[1].value, b"3");
        let before = fields.clone();
        assert_eq!(
            parse_header_block(b" more\r\nC: 4\r\n", &mut fields),
            Ok(None)
        );
        assert_eq!(fields, before);
        assert_eq!(
            parse_header_block(b" more\r\nbad\r\n", &mut fields),
            Err(ParseError::MissingColon)
        );
        assert_eq!(fields, before);
        let mut empty = Vec::new();
        assert_eq!(
            parse_header_block(b" x\r\n\r\n", &mut empty),
            Err(ParseError::ContinuationWithoutField)
        );
    }

    #[test]
    fn empty_continuation_adds_a_space() {
        let (head, _) = parse_request_head(b"GET / HTTP/1.1\r\nX: a\r\n  \r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.fields[0].value, b"a ");
    }
}
