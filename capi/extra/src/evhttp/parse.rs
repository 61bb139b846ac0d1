//! The message syntax the connection engine needs, with the names and shapes of
//! `evrs_http_proto::message` and `::chunked`, to which it gives way once that crate
//! provides them. Every function works on one line without its end of line.

/// A line the parser refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError;

/// `enum evhttp_cmd_type` bits.
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

const METHODS: [(&str, u32); 16] = [
    ("GET", method::GET),
    ("POST", method::POST),
    ("HEAD", method::HEAD),
    ("PUT", method::PUT),
    ("DELETE", method::DELETE),
    ("OPTIONS", method::OPTIONS),
    ("TRACE", method::TRACE),
    ("CONNECT", method::CONNECT),
    ("PATCH", method::PATCH),
    ("PROPFIND", method::PROPFIND),
    ("PROPPATCH", method::PROPPATCH),
    ("MKCOL", method::MKCOL),
    ("LOCK", method::LOCK),
    ("UNLOCK", method::UNLOCK),
    ("COPY", method::COPY),
    ("MOVE", method::MOVE),
];

/// The standard method a token names (exact case, as libevent compares).
pub fn method_from_token(token: &[u8]) -> Option<u32> {
    METHODS
        .iter()
        .find(|(name, _)| name.as_bytes() == token)
        .map(|&(_, bit)| bit)
}

/// The name of a standard method bit.
pub fn method_name(bit: u32) -> Option<&'static str> {
    METHODS
        .iter()
        .find(|&&(_, b)| b == bit)
        .map(|&(name, _)| name)
}

/// `Method SP target SP HTTP/x.y`; the target may hold spaces (it runs to the last one).
pub struct RequestLine<'a> {
    pub method: &'a [u8],
    pub known_method: Option<u32>,
    pub target: &'a [u8],
    pub major: u8,
    pub minor: u8,
}

/// `HTTP/<digits>.<digits>` with nothing after; major versions above 1 are refused.
fn parse_version(text: &[u8]) -> Result<(u8, u8), ParseError> {
    let rest = text.strip_prefix(b"HTTP/").ok_or(ParseError)?;
    let dot = rest.iter().position(|&b| b == b'.').ok_or(ParseError)?;
    let number = |digits: &[u8]| -> Result<u32, ParseError> {
        if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(ParseError);
        }
        Ok(digits
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
    };
    let major = number(&rest[..dot])?;
    let minor = number(&rest[dot + 1..])?;
    if major > 1 || minor > 255 {
        return Err(ParseError);
    }
    Ok((major as u8, minor as u8))
}

pub fn parse_request_line(line: &[u8]) -> Result<RequestLine<'_>, ParseError> {
    let mut end = line.len();
    while end > 0 && line[end - 1] == b' ' {
        end -= 1;
    }
    let line = &line[..end];
    if line.len() < b"GET / HTTP/1.0".len() {
        return Err(ParseError);
    }
    let first_space = line.iter().position(|&b| b == b' ').ok_or(ParseError)?;
    let last_space = line.iter().rposition(|&b| b == b' ').ok_or(ParseError)?;
    if last_space == first_space {
        return Err(ParseError);
    }
    let method = &line[..first_space];
    let target = &line[first_space + 1..last_space];
    let (major, minor) = parse_version(&line[last_space + 1..])?;
    Ok(RequestLine {
        method,
        known_method: method_from_token(method),
        target,
        major,
        minor,
    })
}

/// `HTTP/x.y code reason`.
pub struct StatusLine<'a> {
    pub major: u8,
    pub minor: u8,
    pub code: i32,
    pub reason: &'a [u8],
}

pub fn parse_status_line(line: &[u8]) -> Result<StatusLine<'_>, ParseError> {
    let space = line.iter().position(|&b| b == b' ').ok_or(ParseError)?;
    let (major, minor) = parse_version(&line[..space])?;
    let rest = &line[space + 1..];
    let (number, reason) = match rest.iter().position(|&b| b == b' ') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let code = atoi(number);
    if code == 0 {
        return Err(ParseError);
    }
    Ok(StatusLine {
        major,
        minor,
        code,
        reason,
    })
}

/// C's `atoi`: optional blanks and sign, then digits; 0 when there are none.
fn atoi(text: &[u8]) -> i32 {
    let mut i = 0;
    while i < text.len() && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    let negative = i < text.len() && text[i] == b'-';
    if i < text.len() && matches!(text[i], b'+' | b'-') {
        i += 1;
    }
    let mut value: i64 = 0;
    while i < text.len() && text[i].is_ascii_digit() {
        value = (value * 10 + i64::from(text[i] - b'0')).min(i64::from(i32::MAX) + 1);
        i += 1;
    }
    let value = if negative { -value } else { value };
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// One line of a header block.
pub enum HeaderLine<'a> {
    End,
    Field { name: &'a [u8], value: &'a [u8] },
    Continuation(&'a [u8]),
}

fn trim_lws_end(mut text: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = text {
        text = rest;
    }
    text
}

pub fn parse_header_line(line: &[u8]) -> Result<HeaderLine<'_>, ParseError> {
    match line.first() {
        None => Ok(HeaderLine::End),
        Some(b' ' | b'\t') => {
            let start = line
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(line.len());
            Ok(HeaderLine::Continuation(trim_lws_end(&line[start..])))
        }
        Some(_) => {
            let colon = line.iter().position(|&b| b == b':').ok_or(ParseError)?;
            let value = &line[colon + 1..];
            let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
            Ok(HeaderLine::Field {
                name: &line[..colon],
                value: trim_lws_end(&value[start..]),
            })
        }
    }
}

/// A Content-Length value: decimal digits only (an optional leading '+' or blanks,
/// as `strtoll` takes them), no sign, nothing after.
pub fn parse_content_length(text: &[u8]) -> Result<u64, ParseError> {
    let mut i = 0;
    while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
        i += 1;
    }
    if i < text.len() && text[i] == b'+' {
        i += 1;
    }
    let digits = &text[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ParseError);
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or(ParseError)
    })
}

/// A chunk-size line: hex digits, then the end or a space (extensions are ignored).
pub fn parse_chunk_size(line: &[u8]) -> Result<u64, ParseError> {
    let mut i = 0;
    while i < line.len() && matches!(line[i], b' ' | b'\t') {
        i += 1;
    }
    let start = i;
    let mut value: u64 = 0;
    while i < line.len() && line[i].is_ascii_hexdigit() {
        let digit = (line[i] as char).to_digit(16).unwrap_or(0);
        value = value
            .checked_mul(16)
            .and_then(|v| v.checked_add(u64::from(digit)))
            .filter(|&v| v <= i64::MAX as u64)
            .ok_or(ParseError)?;
        i += 1;
    }
    if i == start || (i < line.len() && line[i] != b' ') {
        return Err(ParseError);
    }
    Ok(value)
}

/// libevent's reason phrase for a status code (its table, including its quirks:
/// beyond a class's list the class name is used).
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
    let class = code / 100 - 1;
    let sub = code % 100;
    if !(0..5).contains(&class) {
        return "Unknown Status Class";
    }
    let (name, phrases) = CLASSES[class as usize];
    usize::try_from(sub)
        .ok()
        .and_then(|s| phrases.get(s))
        .copied()
        .unwrap_or(name)
}
