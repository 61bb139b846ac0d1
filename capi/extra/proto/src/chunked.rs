//! Chunked transfer coding as libevent 2.2.1's `evhttp_handle_chunked_read` and
//! `evhttp_read_trailer` read it: chunk-size lines, chunk data, the last chunk and the
//! trailer lines.
//!
//! The line-level rule is [`parse_chunk_size`]; the state around it (empty lines
//! skipped, data, trailer) is what [`ChunkedDecoder`] does and what a connection that
//! reads line by line has to do the same way.

use crate::message::{find_line, parse_header_line, HeaderLine, ParseError};

/// Reads one chunk-size line (without its line ending) as libevent does with
/// `strtoll(line, &end, 16)` and its checks:
///
/// - The size is a run of hex digits (either case) at the start of the line.
/// - After the digits the line must end, or go on with a space; anything after that
///   space is ignored, so `5 ;name=value` is 5. An extension right after the digits
///   (`5;name=value`) or a tab is refused, as in libevent.
/// - Sizes up to `i64::MAX` are accepted; zero means the last chunk.
///
/// The caller skips empty lines instead of calling this: libevent ignores any number
/// of them before a size line, which is how the CRLF after a chunk's data is consumed
/// (and why libevent also accepts data not followed by CRLF, or blank lines before the
/// first size). Given an empty line, this returns [`ParseError::BadChunkSize`].
///
/// Refused here although `strtoll` reads them (each [`ParseError::BadChunkSize`]):
/// leading whitespace and signs (`-0` would be a last chunk), a `0x` prefix (libevent
/// reads `0x5` as 5 where a plain hex reader sees 0, the last chunk: a smuggling
/// vector), a line with no digits before its space (libevent reads `" foo"` as size 0
/// and ends the body), and sizes past `i64::MAX` (libevent clamps them and then waits
/// forever for the data). A NUL byte is [`ParseError::NulByte`] (libevent would cut
/// the line there).
pub fn parse_chunk_size(line: &[u8]) -> Result<u64, ParseError> {
    if memchr::memchr(0, line).is_some() {
        return Err(ParseError::NulByte);
    }
    let digit_count = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digit_count == 0 || !matches!(line.get(digit_count), None | Some(b' ')) {
        return Err(ParseError::BadChunkSize);
    }
    let mut size: u64 = 0;
    for &digit in &line[..digit_count] {
        let value = (digit as char).to_digit(16).unwrap_or(0);
        size = size
            .checked_mul(16)
            .and_then(|size| size.checked_add(u64::from(value)))
            .filter(|&size| size <= i64::MAX as u64)
            .ok_or(ParseError::BadChunkSize)?;
    }
    Ok(size)
}

/// What [`ChunkedDecoder::feed`] found, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkEvent<'a> {
    /// Body bytes (a chunk may come in several pieces as input arrives).
    Data(&'a [u8]),
    /// The zero-size chunk: the body is complete and trailer lines follow.
    LastChunk,
    /// A trailer line: a field, or a continuation for the last header (libevent
    /// appends it to the last header read so far, possibly one from the head). Never
    /// [`HeaderLine::End`].
    Trailer(HeaderLine<'a>),
    /// The blank line after the trailers: the message is complete.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data { remaining: u64 },
    Trailer,
    Done,
    Failed(ParseError),
}

/// An incremental chunked-body reader with libevent's acceptance (see
/// [`parse_chunk_size`] and [`parse_header_line`] for the line rules).
///
/// [`feed`](Self::feed) takes what has arrived and reports events for as much of it as
/// it can; the bytes it did not take (an unfinished line) must be given again, with
/// more after them, on the next call. After [`ChunkEvent::Done`] it takes nothing
/// more: what follows belongs to the next message. After an error it keeps returning
/// that error.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    body_size: u64,
    max_body_size: u64,
    max_line_length: Option<usize>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder with libevent's defaults: no body limit (evhttp's `max_body_size`
    /// starts unlimited) and no line limit.
    pub const fn new() -> Self {
        ChunkedDecoder {
            state: State::Size,
            body_size: 0,
            max_body_size: u64::MAX,
            max_line_length: None,
        }
    }

    /// Refuses ([`ParseError::BodyTooLarge`]) a chunk whose size would take the body
    /// past `max` bytes, checked when its size line is read, as libevent checks
    /// `max_body_size`.
    pub const fn with_max_body_size(mut self, max: u64) -> Self {
        self.max_body_size = max;
        self
    }

    /// Refuses ([`ParseError::LineTooLong`]) a size or trailer line longer than `max`
    /// bytes (without its ending), even before its end arrives. libevent has no such
    /// limit for chunk-size lines and buffers a line without end for ever.
    pub const fn with_max_line_length(mut self, max: usize) -> Self {
        self.max_line_length = Some(max);
        self
    }

    /// The sum of the chunk sizes read so far (libevent's `body_size`).
    pub const fn body_size(&self) -> u64 {
        self.body_size
    }

    /// Whether the blank line after the trailers has been read.
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Reads as much of `input` as it can, reporting each event to `on_event`, and
    /// returns how many bytes it took.
    pub fn feed<'a>(
        &mut self,
        input: &'a [u8],
        mut on_event: impl FnMut(ChunkEvent<'a>),
    ) -> Result<usize, ParseError> {
        let mut taken = 0;
        loop {
            let rest = &input[taken..];
            match self.state {
                State::Failed(error) => return Err(error),
                State::Done => return Ok(taken),
                State::Data { remaining } => {
                    if rest.is_empty() {
                        return Ok(taken);
                    }
                    let piece =
                        usize::try_from(remaining).map_or(rest.len(), |r| r.min(rest.len()));
                    on_event(ChunkEvent::Data(&rest[..piece]));
                    taken += piece;
                    let remaining = remaining - piece as u64;
                    self.state = if remaining == 0 {
                        State::Size
                    } else {
                        State::Data { remaining }
                    };
                }
                State::Size | State::Trailer => {
                    let Some((line, line_len)) = find_line(rest) else {
                        // An unfinished line may still lose one '\r' to its ending.
                        if self
                            .max_line_length
                            .is_some_and(|max| rest.len() > max.saturating_add(1))
                        {
                            return Err(self.fail(ParseError::LineTooLong));
                        }
                        return Ok(taken);
                    };
                    if self.max_line_length.is_some_and(|max| line.len() > max) {
                        return Err(self.fail(ParseError::LineTooLong));
                    }
                    taken += line_len;
                    if self.state == State::Size {
                        if !line.is_empty() {
                            self.read_size_line(line, &mut on_event)?;
                        }
                    } else {
                        match parse_header_line(line) {
                            Ok(HeaderLine::End) => {
                                self.state = State::Done;
                                on_event(ChunkEvent::Done);
                            }
                            Ok(trailer) => on_event(ChunkEvent::Trailer(trailer)),
                            Err(error) => return Err(self.fail(error)),
                        }
                    }
                }
            }
        }
    }

    fn read_size_line<'a>(
        &mut self,
        line: &[u8],
        on_event: &mut impl FnMut(ChunkEvent<'a>),
    ) -> Result<(), ParseError> {
        let size = parse_chunk_size(line).map_err(|error| self.fail(error))?;
        let body_size = self
            .body_size
            .checked_add(size)
            .filter(|&total| total <= self.max_body_size)
            .ok_or_else(|| self.fail(ParseError::BodyTooLarge))?;
        self.body_size = body_size;
        if size == 0 {
            self.state = State::Trailer;
            on_event(ChunkEvent::LastChunk);
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn fail(&mut self, error: ParseError) -> ParseError {
        self.state = State::Failed(error);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(line: &str) -> Result<u64, ParseError> {
        parse_chunk_size(line.as_bytes())
    }

    #[derive(Debug, Default, PartialEq)]
    struct Decoded {
        body: Vec<u8>,
        last_chunk: bool,
        trailers: Vec<String>,
        done: bool,
        taken: usize,
    }

    fn decode_with(decoder: &mut ChunkedDecoder, input: &[u8]) -> Result<Decoded, ParseError> {
        let mut decoded = Decoded::default();
        let mut events = Vec::new();
        decoded.taken = decoder.feed(input, |event| events.push(event))?;
        for event in events {
            match event {
                ChunkEvent::Data(data) => decoded.body.extend_from_slice(data),
                ChunkEvent::LastChunk => decoded.last_chunk = true,
                ChunkEvent::Trailer(line) => decoded.trailers.push(format!("{line:?}")),
                ChunkEvent::Done => decoded.done = true,
            }
        }
        Ok(decoded)
    }

    fn decode(input: &[u8]) -> Result<Decoded, ParseError> {
        decode_with(&mut ChunkedDecoder::new(), input)
    }

    #[test]
    fn chunk_sizes_in_hex() {
        assert_eq!(size("0"), Ok(0));
        assert_eq!(size("5"), Ok(5));
        assert_eq!(size("1a"), Ok(26));
        assert_eq!(size("1A"), Ok(26));
        assert_eq!(size("00000010"), Ok(16));
        assert_eq!(size("7fffffffffffffff"), Ok(i64::MAX as u64));
        assert_eq!(
            size("00000000000000007fffffffffffffff"),
            Ok(i64::MAX as u64)
        );
    }

    #[test]
    fn chunk_extensions_need_a_space() {
        // strtoll's end must be the end of the line or a space.
        assert_eq!(size("5 "), Ok(5));
        assert_eq!(size("5 ;name=value"), Ok(5));
        assert_eq!(size("5 anything at all\r"), Ok(5));
        assert_eq!(size("5;name=value"), Err(ParseError::BadChunkSize));
        assert_eq!(size("5\t"), Err(ParseError::BadChunkSize));
        assert_eq!(size("5\r"), Err(ParseError::BadChunkSize));
        assert_eq!(size("5g"), Err(ParseError::BadChunkSize));
    }

    #[test]
    fn chunk_size_refusals() {
        // libevent's own: empty, negative, junk.
        for bad in ["", "-5", "xyz", ";ext"] {
            assert_eq!(size(bad), Err(ParseError::BadChunkSize), "{bad:?}");
        }
        // strtoll would accept these; see parse_chunk_size.
        for bad in [
            " 5",
            "\t5",
            "+5",
            "-0",
            "0x5",
            "0X5",
            " ",
            " foo",
            "8000000000000000",
            "ffffffffffffffffff",
        ] {
            assert_eq!(size(bad), Err(ParseError::BadChunkSize), "{bad:?}");
        }
        assert_eq!(size("5\0"), Err(ParseError::NulByte));
    }

    #[test]
    fn decodes_a_body_with_trailers() {
        let input = b"5\r\nhello\r\n6 ;ext\r\n world\r\n0\r\nX-Sum: 1\r\n  more\r\n\r\nNEXT";
        let decoded = decode(input).unwrap();
        assert_eq!(decoded.body, b"hello world");
        assert!(decoded.last_chunk && decoded.done);
        assert_eq!(decoded.taken, input.len() - 4);
        assert_eq!(decoded.trailers.len(), 2);
    }

    #[test]
    fn empty_lines_before_sizes_are_skipped() {
        // libevent's "the last chunk is on a new line?" skip: blank lines anywhere a
        // size is expected, and no CRLF needed after data.
        let decoded = decode(b"\r\n\n\r\n3\r\nabc\r\n\r\n\r\n2\nde0\r\n\r\n").unwrap();
        assert_eq!(decoded.body, b"abcde");
        assert!(decoded.done);
    }

    #[test]
    fn bad_lines_fail_and_stay_failed() {
        let mut decoder = ChunkedDecoder::new();
        assert_eq!(
            decode_with(&mut decoder, b"3\r\nabc\r\nzz\r\n"),
            Err(ParseError::BadChunkSize)
        );
        assert_eq!(
            decode_with(&mut decoder, b"0\r\n\r\n"),
            Err(ParseError::BadChunkSize)
        );
        assert_eq!(
            decode(b"0\r\nno colon\r\n\r\n"),
            Err(ParseError::MissingColon)
        );
        // A size line where data should end: "abc" is data, then "0x" is a size line.
        assert_eq!(decode(b"3\r\nabc0x\r\n"), Err(ParseError::BadChunkSize));
    }

    #[test]
    fn incremental_feeding_keeps_unfinished_lines() {
        let input = b"a\r\n0123456789\r\n0\r\nT: v\r\n\r\n";
        let mut decoder = ChunkedDecoder::new();
        let mut pending = Vec::new();
        let mut body = Vec::new();
        let mut trailers = 0;
        for &byte in input {
            pending.push(byte);
            let taken = decoder
                .feed(&pending, |event| match event {
                    ChunkEvent::Data(data) => body.extend_from_slice(data),
                    ChunkEvent::Trailer(_) => trailers += 1,
                    _ => {}
                })
                .unwrap();
            pending.drain(..taken);
        }
        assert!(decoder.is_done());
        assert!(pending.is_empty());
        assert_eq!(body, b"0123456789");
        assert_eq!(trailers, 1);
        assert_eq!(decoder.body_size(), 10);
    }

    #[test]
    fn incomplete_input_waits() {
        let decoded = decode(b"5\r\nhel").unwrap();
        assert_eq!(decoded.body, b"hel");
        assert!(!decoded.done);
        let decoded = decode(b"5").unwrap();
        assert_eq!(decoded.taken, 0);
        let decoded = decode(b"0\r\nX: y\r\n").unwrap();
        assert!(decoded.last_chunk && !decoded.done);
    }

    #[test]
    fn nothing_is_taken_after_done() {
        let mut decoder = ChunkedDecoder::new();
        let decoded = decode_with(&mut decoder, b"0\r\n\r\n5\r\nhello").unwrap();
        assert_eq!(decoded.taken, 5);
        assert_eq!(decode_with(&mut decoder, b"5\r\nhello").unwrap().taken, 0);
    }

    #[test]
    fn body_limit_is_checked_at_the_size_line() {
        let mut decoder = ChunkedDecoder::new().with_max_body_size(8);
        assert_eq!(
            decode_with(&mut decoder, b"5\r\nhello\r\n4\r\n"),
            Err(ParseError::BodyTooLarge)
        );
        let mut decoder = ChunkedDecoder::new().with_max_body_size(8);
        assert!(
            decode_with(&mut decoder, b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
                .unwrap()
                .done
        );
        // Summed sizes past u64 are refused even without a limit.
        let mut decoder = ChunkedDecoder::new();
        for _ in 0..2 {
            decode_with(&mut decoder, b"7fffffffffffffff\r\n").unwrap();
            // Skip the data rather than feed 2^63 bytes.
            decoder.state = State::Size;
        }
        assert_eq!(
            decode_with(&mut decoder, b"2\r\n"),
            Err(ParseError::BodyTooLarge)
        );
    }

    #[test]
    fn line_limit_applies_before_the_end_arrives() {
        let mut decoder = ChunkedDecoder::new().with_max_line_length(4);
        assert_eq!(decode_with(&mut decoder, b"0000").unwrap().taken, 0);
        assert_eq!(decode_with(&mut decoder, b"0000\r").unwrap().taken, 0);
        assert_eq!(decode_with(&mut decoder, b"00001"), Ok(Decoded::default()));
        assert_eq!(
            decode_with(&mut decoder, b"000012"),
            Err(ParseError::LineTooLong)
        );
        let mut decoder = ChunkedDecoder::new().with_max_line_length(4);
        assert_eq!(
            decode_with(&mut decoder, b"00001\r\n"),
            Err(ParseError::LineTooLong)
        );
        let mut decoder = ChunkedDecoder::new().with_max_line_length(4);
        assert_eq!(
            decode_with(&mut decoder, b"0\r\nX: long\r\n"),
            Err(ParseError::LineTooLong)
        );
    }
}
