//! Invariant checks over arbitrary bytes, for the fuzz targets (`fuzz/fuzz_targets/
//! http_request.rs`, `http_response.rs`, `http_chunked.rs`) and the corpus replay test.
//! Each function panics when a parser breaks a promise: a slice outside its input, a
//! count past the input, a parsed head that does not survive being written out and
//! read again, an answer that changes with how the input is split, or a chunk-size
//! decision that differs from a plain restatement of the rule.

use crate::chunked::{parse_chunk_size, ChunkEvent, ChunkedDecoder};
use crate::message::{
    append_continuation, find_line, method_from_token, method_name, parse_content_length,
    parse_header_line, parse_request_head, parse_request_line, parse_response_head,
    parse_status_line, Field, HeaderLine, ParseError, RequestHead, RequestLine, ResponseHead,
    StatusLine,
};

/// Request lines, header lines and whole request heads in `data`; a body after a
/// complete head also goes through [`chunked`].
pub fn request(data: &[u8]) {
    for line in lines(data) {
        check_request_line(line);
        check_header_line(line);
    }
    if let Some(taken) = check_request_head(data) {
        chunked(&data[taken..]);
    }
}

/// Status lines, header lines and whole response heads in `data`.
pub fn response(data: &[u8]) {
    for line in lines(data) {
        check_status_line(line);
        check_header_line(line);
    }
    check_response_head(data);
}

/// Chunk-size lines in `data`, and `data` as a chunked body: decoded at once, in
/// pieces, with and without limits, and encoded again.
pub fn chunked(data: &[u8]) {
    for line in lines(data) {
        check_chunk_size_line(line);
    }
    let unlimited = || ChunkedDecoder::new();
    let whole = decode(unlimited(), data, &[]);
    assert_eq!(
        whole,
        decode(unlimited(), data, data),
        "split input decodes differently"
    );
    let limit_byte = |at: usize| data.get(at).map_or(0, |&b| usize::from(b));
    let limited = || {
        ChunkedDecoder::new()
            .with_max_line_length(limit_byte(0) % 24)
            .with_max_body_size(limit_byte(1) as u64 * 4)
    };
    assert_eq!(
        decode(limited(), data, &[]),
        decode(limited(), data, data),
        "split input decodes differently with limits"
    );
    if whole.done {
        check_chunked_round_trip(&whole, data);
    }
}

/// The lines `find_line` cuts from `data`, each checked against its source.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some((line, taken)) = find_line(&data[at..]) {
        let rest = &data[at..];
        assert!(within(line, rest) && line.as_ptr() == rest.as_ptr());
        assert!(taken <= rest.len() && rest[taken - 1] == b'\n');
        assert!(!line.contains(&b'\n'));
        match taken - line.len() {
            1 => assert!(line.last() != Some(&b'\r')),
            2 => assert_eq!(rest[line.len()], b'\r'),
            ending => panic!("line ending of {ending} bytes"),
        }
        found.push(line);
        at += taken;
    }
    assert!(!data[at..].contains(&b'\n'));
    found
}

/// Whether `part` lies inside `whole` in memory.
fn within(part: &[u8], whole: &[u8]) -> bool {
    let start = part.as_ptr() as usize;
    let whole_start = whole.as_ptr() as usize;
    start >= whole_start && start + part.len() <= whole_start + whole.len()
}

fn check_request_line(line: &[u8]) {
    let result = parse_request_line(line);
    // Trailing spaces are cut before anything else is decided.
    let mut padded = line.to_vec();
    padded.extend_from_slice(b"   ");
    assert_eq!(parse_request_line(&padded), result);
    let Ok(parsed) = result else { return };
    assert!(within(parsed.method, line) && within(parsed.target, line));
    assert!(!line.contains(&0) && line.len() >= 14);
    assert!(!parsed.method.contains(&b' ') && !parsed.target.is_empty());
    assert!(parsed.major <= 1 && parsed.minor <= 127);
    assert_eq!(parsed.known_method, method_from_token(parsed.method));
    if let Some(bit) = parsed.known_method {
        assert_eq!(method_name(bit).map(str::as_bytes), Some(parsed.method));
    }
    let rebuilt = write_request_line(&parsed);
    match parse_request_line(&rebuilt) {
        Ok(again) => assert_eq!(again, parsed),
        // Leading zeros in the version may have made the original long enough.
        Err(ParseError::RequestLineTooShort) => assert!(rebuilt.len() < 14),
        Err(error) => panic!("rebuilt request line refused: {error}"),
    }
}

fn write_request_line(line: &RequestLine<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(line.method);
    out.push(b' ');
    out.extend_from_slice(line.target);
    out.extend_from_slice(format!(" HTTP/{}.{}", line.major, line.minor).as_bytes());
    out
}

fn check_status_line(line: &[u8]) {
    let Ok(parsed) = parse_status_line(line) else {
        return;
    };
    assert!(within(parsed.reason, line));
    assert!(!line.contains(&0));
    assert!(parsed.code > 0 && parsed.major <= 1 && parsed.minor <= 127);
    let rebuilt = write_status_line(&parsed);
    assert_eq!(parse_status_line(&rebuilt), Ok(parsed));
}

fn write_status_line(line: &StatusLine<'_>) -> Vec<u8> {
    let mut out = format!("HTTP/{}.{} {} ", line.major, line.minor, line.code).into_bytes();
    out.extend_from_slice(line.reason);
    out
}

fn check_header_line(line: &[u8]) {
    match parse_header_line(line) {
        Ok(HeaderLine::End) => assert!(line.is_empty()),
        Ok(HeaderLine::Field { name, value }) => {
            assert!(within(name, line) && within(value, line));
            check_field(name, value);
            let mut rebuilt = name.to_vec();
            rebuilt.extend_from_slice(b": ");
            rebuilt.extend_from_slice(value);
            assert_eq!(
                parse_header_line(&rebuilt),
                Ok(HeaderLine::Field { name, value })
            );
        }
        Ok(HeaderLine::Continuation(text)) => {
            assert!(within(text, line));
            assert!(!starts_or_ends_with_lws(text));
            let mut rebuilt = vec![b' '];
            rebuilt.extend_from_slice(text);
            assert_eq!(
                parse_header_line(&rebuilt),
                Ok(HeaderLine::Continuation(text))
            );
        }
        Err(_) => {}
    }
}

fn starts_or_ends_with_lws(bytes: &[u8]) -> bool {
    let lws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    lws(bytes.first()) || lws(bytes.last())
}

/// What every stored field satisfies, whether it came from one line or was folded.
fn check_field(name: &[u8], value: &[u8]) {
    assert!(!name.is_empty());
    assert!(!name
        .iter()
        .any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':' | 0)));
    assert!(!value.iter().any(|b| matches!(b, b'\n' | 0)));
    // A carriage return is always followed by a space or tab after the run.
    let mut rest = value;
    while let Some(at) = rest.iter().position(|&b| b == b'\r') {
        rest = &rest[at..];
        let run = rest.iter().take_while(|&&b| b == b'\r').count();
        assert!(matches!(rest.get(run), Some(b' ' | b'\t')));
        rest = &rest[run..];
    }
    if let Ok(length) = parse_content_length(value) {
        assert!(length <= i64::MAX as u64);
        assert_eq!(
            parse_content_length(length.to_string().as_bytes()),
            Ok(length)
        );
    }
}

/// A value as it reads back after being written on one line: folding can leave
/// leading spaces and trailing spaces or tabs that a header line would lose.
fn normalized(fields: &[Field]) -> Vec<Field> {
    fields
        .iter()
        .map(|field| {
            let value = &field.value;
            let start = value.iter().take_while(|&&b| b == b' ').count();
            let end = value.len()
                - value[start..]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b' ' || b == b'\t')
                    .count();
            Field {
                name: field.name.clone(),
                value: value[start..end].to_vec(),
            }
        })
        .collect()
}

fn write_fields(out: &mut Vec<u8>, fields: &[Field]) {
    for field in fields {
        out.extend_from_slice(&field.name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(&field.value);
        out.extend_from_slice(b"\r\n");
    }
}

/// Checks a whole request head at the start of `data`; returns its length if complete.
fn check_request_head(data: &[u8]) -> Option<usize> {
    let result = parse_request_head(data);
    let (head, taken) = match result {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return None,
        Err(error) => {
            check_error_is_final(data, error, |bytes| parse_request_head(bytes).err());
            return None;
        }
    };
    check_complete_head(data, taken, parse_request_head);
    for field in &head.fields {
        check_field(&field.name, &field.value);
    }
    assert_eq!(head.known_method, method_from_token(&head.method));
    let (rebuilt, first_line_len) = write_request_head(&head);
    match parse_request_head(&rebuilt) {
        Ok(Some((again, again_taken))) => {
            assert_eq!(again_taken, rebuilt.len());
            let expected = RequestHead {
                fields: normalized(&head.fields),
                ..head
            };
            assert_eq!(again, expected);
        }
        Err(ParseError::RequestLineTooShort) => assert!(first_line_len < 14),
        other => panic!("rebuilt request head read as {other:?}"),
    }
    Some(taken)
}

fn write_request_head(head: &RequestHead) -> (Vec<u8>, usize) {
    let mut out = write_request_line(&RequestLine {
        method: &head.method,
        known_method: head.known_method,
        target: &head.target,
        major: head.major,
        minor: head.minor,
    });
    let first_line_len = out.len();
    out.extend_from_slice(b"\r\n");
    write_fields(&mut out, &head.fields);
    out.extend_from_slice(b"\r\n");
    (out, first_line_len)
}

fn check_response_head(data: &[u8]) {
    let (head, taken) = match parse_response_head(data) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return,
        Err(error) => {
            check_error_is_final(data, error, |bytes| parse_response_head(bytes).err());
            return;
        }
    };
    check_complete_head(data, taken, parse_response_head);
    for field in &head.fields {
        check_field(&field.name, &field.value);
    }
    let mut rebuilt = write_status_line(&StatusLine {
        major: head.major,
        minor: head.minor,
        code: head.code,
        reason: &head.reason,
    });
    rebuilt.extend_from_slice(b"\r\n");
    write_fields(&mut rebuilt, &head.fields);
    rebuilt.extend_from_slice(b"\r\n");
    let expected = ResponseHead {
        fields: normalized(&head.fields),
        ..head
    };
    assert_eq!(
        parse_response_head(&rebuilt),
        Ok(Some((expected, rebuilt.len())))
    );
}

/// A complete head of `taken` bytes reads the same alone, and no shorter prefix of it
/// is complete or refused.
fn check_complete_head<Head: PartialEq + core::fmt::Debug>(
    data: &[u8],
    taken: usize,
    parse: impl Fn(&[u8]) -> Result<Option<(Head, usize)>, ParseError>,
) {
    assert!(taken > 0 && taken <= data.len() && data[taken - 1] == b'\n');
    assert_eq!(parse(&data[..taken]), parse(data));
    assert_eq!(parse(&data[..taken - 1]), Ok(None));
    let cut = usize::from(data[0]) * 7 % taken;
    assert_eq!(parse(&data[..cut]), Ok(None));
}

/// A refusal comes from a complete line, so more bytes after it change nothing.
fn check_error_is_final(
    data: &[u8],
    error: ParseError,
    parse: impl Fn(&[u8]) -> Option<ParseError>,
) {
    let mut longer = data.to_vec();
    longer.extend_from_slice(b"\r\nX: y\r\n\r\n");
    assert_eq!(parse(&longer), Some(error));
}

/// The chunk-size rule restated plainly: hex digits, then the end or a space; at most
/// `i64::MAX`; no NUL anywhere.
fn check_chunk_size_line(line: &[u8]) {
    let expected = if line.contains(&0) {
        Err(ParseError::NulByte)
    } else {
        let digits_end = line
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or(line.len());
        let digits = &line[..digits_end];
        let significant = &digits[digits.iter().take_while(|&&b| b == b'0').count()..];
        if digits.is_empty() || !(digits_end == line.len() || line[digits_end] == b' ') {
            Err(ParseError::BadChunkSize)
        } else if significant.is_empty() {
            Ok(0)
        } else if significant.len() > 16 {
            Err(ParseError::BadChunkSize)
        } else {
            let text = core::str::from_utf8(significant).unwrap_or("");
            match u64::from_str_radix(text, 16) {
                Ok(size) if size <= i64::MAX as u64 => Ok(size),
                _ => Err(ParseError::BadChunkSize),
            }
        }
    };
    assert_eq!(parse_chunk_size(line), expected);
}

/// Everything a decoder reported, owned, with the order of events checked.
#[derive(Debug, PartialEq)]
struct Decoded {
    body: Vec<u8>,
    last_chunk: bool,
    /// Starts with the head's `Transfer-Encoding: chunked`, which a trailer
    /// continuation may extend, as in libevent.
    fields: Vec<Field>,
    done: bool,
    /// Bytes taken, or the error that stopped decoding.
    outcome: Result<usize, ParseError>,
}

impl Decoded {
    fn record(&mut self, event: ChunkEvent<'_>) {
        assert!(!self.done, "event after Done");
        match event {
            ChunkEvent::Data(data) => {
                assert!(!self.last_chunk && !data.is_empty());
                self.body.extend_from_slice(data);
            }
            ChunkEvent::LastChunk => {
                assert!(!self.last_chunk);
                self.last_chunk = true;
            }
            ChunkEvent::Trailer(line) => {
                assert!(self.last_chunk);
                match line {
                    HeaderLine::Field { name, value } => self.fields.push(Field {
                        name: name.to_vec(),
                        value: value.to_vec(),
                    }),
                    HeaderLine::Continuation(text) => {
                        let last = self.fields.last_mut().expect("head field");
                        append_continuation(&mut last.value, text);
                    }
                    HeaderLine::End => panic!("End reported as a trailer"),
                }
            }
            ChunkEvent::Done => {
                assert!(self.last_chunk);
                self.done = true;
            }
        }
    }
}

/// Decodes `data` at once (empty `steps`) or in pieces whose sizes come from `steps`,
/// giving the decoder each time what it left plus the next piece.
fn decode(mut decoder: ChunkedDecoder, data: &[u8], steps: &[u8]) -> Decoded {
    let mut decoded = Decoded {
        body: Vec::new(),
        last_chunk: false,
        fields: vec![Field {
            name: b"Transfer-Encoding".to_vec(),
            value: b"chunked".to_vec(),
        }],
        done: false,
        outcome: Ok(0),
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut total_taken = 0;
    let mut fed = 0;
    let mut step = 0;
    while fed < data.len() || step == 0 {
        let piece = match steps.get(step % steps.len().max(1)) {
            Some(&size) => 1 + usize::from(size) % 13,
            None => data.len(),
        };
        step += 1;
        let end = (fed + piece).min(data.len());
        pending.extend_from_slice(&data[fed..end]);
        fed = end;
        let result = decoder.feed(&pending, |event| {
            if let ChunkEvent::Data(bytes) = event {
                assert!(within(bytes, &pending));
            }
            decoded.record(event);
        });
        match result {
            Ok(taken) => {
                assert!(taken <= pending.len());
                assert_eq!(decoder.is_done(), decoded.done);
                pending.drain(..taken);
                total_taken += taken;
            }
            Err(error) => {
                // The decoder stays failed.
                assert_eq!(decoder.feed(b"0\r\n\r\n", |_| {}), Err(error));
                decoded.outcome = Err(error);
                return decoded;
            }
        }
    }
    assert!(decoded.body.len() as u64 <= decoder.body_size());
    decoded.outcome = Ok(total_taken);
    decoded
}

/// A finished body, encoded again in chunks of other sizes (some with extensions),
/// decodes to the same body and trailers.
fn check_chunked_round_trip(decoded: &Decoded, data: &[u8]) {
    for field in &decoded.fields {
        check_field(&field.name, &field.value);
    }
    let mut encoded = Vec::new();
    let mut rest = &decoded.body[..];
    let mut index = 0;
    while !rest.is_empty() {
        let seed = data.get(index % data.len().max(1)).copied().unwrap_or(0);
        let size = (1 + usize::from(seed) * 3).min(rest.len());
        let extension = if seed % 3 == 0 { " ;ext=1" } else { "" };
        encoded.extend_from_slice(format!("{size:X}{extension}\r\n").as_bytes());
        encoded.extend_from_slice(&rest[..size]);
        encoded.extend_from_slice(b"\r\n");
        rest = &rest[size..];
        index += 1;
    }
    encoded.extend_from_slice(b"0\r\n");
    let trailers = normalized(&decoded.fields[1..]);
    write_fields(&mut encoded, &trailers);
    encoded.extend_from_slice(b"\r\n");
    let again = decode(ChunkedDecoder::new(), &encoded, &[]);
    assert_eq!(again.outcome, Ok(encoded.len()));
    assert!(again.done);
    assert_eq!(again.body, decoded.body);
    assert_eq!(&again.fields[1..], &trailers[..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_pass_on_plain_messages() {
        request(b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n");
        request(b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n \r\n\r\n");
        request(b"GET  HTTP/01.01\r\n\r\n");
        request(b"X /a HTTP/01.0\r\n\r\n");
        response(b"HTTP/1.1 200 OK\r\nContent-Length:\t5\r\n\r\nhello");
        response(b"HTTP/1.0 404\r\n\r\n");
        chunked(b"5\r\nhello\r\n0\r\n\r\n");
        chunked(b"\r\n1 x\r\na0\r\n\r\n");
    }

    #[test]
    fn checks_pass_on_refused_and_odd_input() {
        for data in [
            &b""[..],
            b"\n",
            b"\r\n\r\n",
            b"\0\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\r\n\t\r\n\r\n",
            b"GET / HTTP/1.1\r\n: empty\r\n\r\n",
            b"HTTP/1.1 -1 no\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"7fffffffffffffff\r\n",
            b"8000000000000000\r\n",
            b"0\r\nX: a\rb\r\n\r\n",
        ] {
            request(data);
            response(data);
            chunked(data);
        }
    }
}
