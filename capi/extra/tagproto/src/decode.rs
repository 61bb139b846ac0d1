//! Readers, with libevent's rules for what each `evtag_unmarshal_*` call removes from
//! its buffer when it fails part way. Each reader looks only at the first
//! [`LOOKAHEAD`](crate::LOOKAHEAD) bytes of a stream and its total length (a
//! [`Front`]), so an evbuffer needs just a small copy of its start.

use crate::{MAX_INT64_LEN, MAX_INT_LEN, MAX_TAG_LEN, MAX_TIMEVAL_LEN};

/// The tag at the start of `bytes` and how many bytes it takes, or None when no valid
/// tag is there: the bytes end before a byte without the continuation bit, the fifth
/// byte continues, or it holds more than the 4 bits left of 32.
pub fn decode_tag(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut tag = 0u32;
    for (index, &byte) in bytes.iter().take(MAX_TAG_LEN).enumerate() {
        let group = byte & 0x7f;
        let shift = 7 * index as u32;
        if shift == 28 && group > 0x0f {
            return None;
        }
        tag |= u32::from(group) << shift;
        if byte & 0x80 == 0 {
            return Some((tag, index + 1));
        }
    }
    None
}

/// An integer of at most `max_digits` nibbles at the start of `bytes` and its length.
/// Needless leading zero digits and a non-zero padding nibble are accepted, as in
/// libevent.
fn decode_nibbles(bytes: &[u8], max_digits: usize) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let digits = usize::from(first >> 4) + 1;
    if digits > max_digits {
        return None;
    }
    let encoded = bytes.get(..digits / 2 + 1)?;
    // Digit 0 is the first byte's low half; after it, byte k holds digit 2k - 1 in its
    // high half and digit 2k in its low half: swapping the halves of those bytes gives
    // the digits from 1 up in order, least significant first.
    let mut tail = [0u8; 8];
    tail[..encoded.len() - 1].copy_from_slice(&encoded[1..]);
    let swapped = u64::from_le_bytes(tail);
    let rest = ((swapped & 0x0f0f_0f0f_0f0f_0f0f) << 4) | ((swapped >> 4) & 0x0f0f_0f0f_0f0f_0f0f);
    let all = (rest << 4) | u64::from(first & 0x0f);
    // Only `digits` digits count: a padding half after them is ignored.
    let value = if digits >= 16 {
        all
    } else {
        all & ((1u64 << (4 * digits)) - 1)
    };
    Some((value, encoded.len()))
}

/// A 32-bit integer at the start of `bytes` and its length; None when the bytes end
/// early or the count says more than 8 digits.
pub fn decode_int(bytes: &[u8]) -> Option<(u32, usize)> {
    let (value, len) = decode_nibbles(bytes, 2 * MAX_INT_LEN - 2)?;
    Some((u32::try_from(value).ok()?, len))
}

/// A 64-bit integer at the start of `bytes` and its length; None when the bytes end
/// early (every count is valid: 16 digits at most).
pub fn decode_int64(bytes: &[u8]) -> Option<(u64, usize)> {
    decode_nibbles(bytes, 2 * MAX_INT64_LEN - 2)
}

/// A record's tag and payload length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    pub tag: u32,
    pub tag_len: usize,
    pub length_len: usize,
    pub payload_len: u32,
}

impl Header {
    /// The header's own size in bytes.
    pub fn len(&self) -> usize {
        self.tag_len + self.length_len
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The whole record's size.
    pub fn record_len(&self) -> usize {
        self.len() + self.payload_len as usize
    }
}

/// Why a header could not be read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HeaderError {
    /// No valid tag.
    Tag,
    /// A valid tag of `tag_len` bytes (its value is `tag`), then no valid length.
    Length { tag: u32, tag_len: usize },
}

/// The header at the start of `bytes` (payload not checked).
pub fn decode_header(bytes: &[u8]) -> Result<Header, HeaderError> {
    let (tag, tag_len) = decode_tag(bytes).ok_or(HeaderError::Tag)?;
    let (payload_len, length_len) =
        decode_int(&bytes[tag_len..]).ok_or(HeaderError::Length { tag, tag_len })?;
    Ok(Header {
        tag,
        tag_len,
        length_len,
        payload_len,
    })
}

/// `evtag_peek_length`: the whole record's size from its header alone (the payload
/// need not be there yet). libevent wraps the sum around 32 bits for a payload within
/// 10 bytes of 4 GiB; this answers None instead.
pub fn peek_length(bytes: &[u8]) -> Option<u32> {
    let header = decode_header(bytes).ok()?;
    header.payload_len.checked_add(header.len() as u32)
}

/// `evtag_payload_length`: the payload length from the header alone.
pub fn payload_length(bytes: &[u8]) -> Option<u32> {
    decode_header(bytes).ok().map(|header| header.payload_len)
}

/// The start of a stream: its first bytes (at least the first
/// [`LOOKAHEAD`](crate::LOOKAHEAD) or all there are) and its total length.
#[derive(Clone, Copy, Debug)]
pub struct Front<'a> {
    pub bytes: &'a [u8],
    pub total_len: usize,
}

impl<'a> Front<'a> {
    /// A whole stream held in one slice.
    pub fn whole(bytes: &'a [u8]) -> Front<'a> {
        Front {
            bytes,
            total_len: bytes.len(),
        }
    }

    /// Up to `limit` bytes of the payload of a record whose header is `header`.
    fn payload(&self, header: &Header, limit: usize) -> &'a [u8] {
        let start = header.len().min(self.bytes.len());
        let end = (header.len() + limit.min(header.payload_len as usize)).min(self.bytes.len());
        &self.bytes[start..end]
    }

    fn holds_payload(&self, header: &Header) -> bool {
        self.total_len - header.len().min(self.total_len) >= header.payload_len as usize
    }
}

/// What a reading call does to its stream: it removes `consumed` bytes from the front,
/// whether or not it found a `value`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Taken<T> {
    pub consumed: usize,
    pub value: Option<T>,
}

impl<T> Taken<T> {
    fn failed(consumed: usize) -> Taken<T> {
        Taken {
            consumed,
            value: None,
        }
    }
}

/// `evtag_unmarshal_header`: removes a valid tag, then a valid length, then answers
/// the header if the whole payload is there (the payload stays). A bad tag removes
/// nothing; a bad length removes the tag; a short payload removes the header.
///
/// A payload longer than `INT_MAX`, which libevent answers as a negative length, is
/// refused (the header is removed all the same).
pub fn unmarshal_header(front: Front<'_>) -> Taken<Header> {
    match decode_header(front.bytes) {
        Err(HeaderError::Tag) => Taken::failed(0),
        Err(HeaderError::Length { tag_len, .. }) => Taken::failed(tag_len),
        Ok(header) if !front.holds_payload(&header) || header.payload_len > i32::MAX as u32 => {
            Taken::failed(header.len())
        }
        Ok(header) => Taken {
            consumed: header.len(),
            value: Some(header),
        },
    }
}

/// `evtag_unmarshal_fixed` and `evtag_unmarshal_string`: [`unmarshal_header`], then
/// the tag must be `need_tag` (else the header is gone and the payload stays).
pub fn expect_record(front: Front<'_>, need_tag: u32) -> Taken<Header> {
    let taken = unmarshal_header(front);
    match taken.value {
        Some(header) if header.tag != need_tag => Taken::failed(taken.consumed),
        _ => taken,
    }
}

/// `evtag_unmarshal_int` and `_int64`: the tag is checked before the length is read,
/// so a wrong tag removes only the tag; once the whole payload is there, the whole
/// record goes whether or not it holds a number. The payload may be longer than the
/// number; the answer is the number and its encoded length.
fn unmarshal_number<T>(
    front: Front<'_>,
    need_tag: u32,
    max_len: usize,
    decode: fn(&[u8]) -> Option<(T, usize)>,
) -> Taken<(T, usize)> {
    let header = match decode_header(front.bytes) {
        Err(HeaderError::Tag) => return Taken::failed(0),
        // libevent compares the tag before it reads the length; either failure
        // removes only the tag.
        Err(HeaderError::Length { tag_len, .. }) => return Taken::failed(tag_len),
        Ok(header) if header.tag != need_tag => return Taken::failed(header.tag_len),
        Ok(header) => header,
    };
    if !front.holds_payload(&header) {
        return Taken::failed(header.len());
    }
    // libevent reads the number from the buffer and refuses it if it ends past the
    // payload; reading from the payload alone refuses the same records.
    Taken {
        consumed: header.record_len(),
        value: decode(front.payload(&header, max_len)),
    }
}

/// `evtag_unmarshal_int`.
pub fn unmarshal_int(front: Front<'_>, need_tag: u32) -> Taken<(u32, usize)> {
    unmarshal_number(front, need_tag, MAX_INT_LEN, decode_int)
}

/// `evtag_unmarshal_int64`.
pub fn unmarshal_int64(front: Front<'_>, need_tag: u32) -> Taken<(u64, usize)> {
    unmarshal_number(front, need_tag, MAX_INT64_LEN, decode_int64)
}

/// `evtag_unmarshal_timeval`: seconds and microseconds as 32-bit integers. Once the
/// header is read (see [`unmarshal_header`]), the whole record goes, even when its tag
/// is the wrong one.
pub fn unmarshal_timeval(front: Front<'_>, need_tag: u32) -> Taken<(u32, u32)> {
    let taken = unmarshal_header(front);
    let Some(header) = taken.value else {
        return Taken::failed(taken.consumed);
    };
    let consumed = header.record_len();
    if header.tag != need_tag {
        return Taken::failed(consumed);
    }
    let payload = front.payload(&header, MAX_TIMEVAL_LEN);
    let value = decode_int(payload).and_then(|(seconds, seconds_len)| {
        let (microseconds, _) = decode_int(&payload[seconds_len..])?;
        Some((seconds, microseconds))
    });
    Taken { consumed, value }
}

/// Reads records from a slice with the semantics of the `evtag_*` calls on an evbuffer
/// holding the same bytes: each call removes from the slice what the evbuffer call
/// would drain, also when it fails.
#[derive(Clone, Copy, Debug)]
pub struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: bytes }
    }

    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    fn apply<T>(&mut self, taken: Taken<T>) -> Option<T> {
        self.rest = &self.rest[taken.consumed.min(self.rest.len())..];
        taken.value
    }

    /// Removes `len` bytes and returns them.
    fn take(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.rest.split_at(len.min(self.rest.len()));
        self.rest = rest;
        taken
    }

    /// `evtag_peek`: the next tag and its length; nothing is removed.
    pub fn peek(&self) -> Option<(u32, usize)> {
        decode_tag(self.rest)
    }

    /// `evtag_peek_length`.
    pub fn peek_length(&self) -> Option<u32> {
        peek_length(self.rest)
    }

    /// `evtag_payload_length`.
    pub fn payload_length(&self) -> Option<u32> {
        payload_length(self.rest)
    }

    /// `evtag_unmarshal_header`: the tag and payload length; the payload stays.
    pub fn unmarshal_header(&mut self) -> Option<(u32, u32)> {
        let header = self.apply(unmarshal_header(Front::whole(self.rest)))?;
        Some((header.tag, header.payload_len))
    }

    /// `evtag_consume`.
    pub fn consume(&mut self) -> Option<()> {
        let (_, len) = self.unmarshal_header()?;
        self.take(len as usize);
        Some(())
    }

    /// `evtag_unmarshal`: the tag and the payload.
    pub fn unmarshal(&mut self) -> Option<(u32, &'a [u8])> {
        let (tag, len) = self.unmarshal_header()?;
        Some((tag, self.take(len as usize)))
    }

    /// `evtag_unmarshal_int`: the number and its encoded length.
    pub fn unmarshal_int(&mut self, need_tag: u32) -> Option<(u32, usize)> {
        self.apply(unmarshal_int(Front::whole(self.rest), need_tag))
    }

    /// `evtag_unmarshal_int64`: the number and its encoded length.
    pub fn unmarshal_int64(&mut self, need_tag: u32) -> Option<(u64, usize)> {
        self.apply(unmarshal_int64(Front::whole(self.rest), need_tag))
    }

    /// `evtag_unmarshal_timeval`: seconds and microseconds.
    pub fn unmarshal_timeval(&mut self, need_tag: u32) -> Option<(u32, u32)> {
        self.apply(unmarshal_timeval(Front::whole(self.rest), need_tag))
    }

    /// `evtag_unmarshal_string`: the payload (the C call adds a terminating zero).
    pub fn unmarshal_string(&mut self, need_tag: u32) -> Option<&'a [u8]> {
        let header = self.apply(expect_record(Front::whole(self.rest), need_tag))?;
        Some(self.take(header.payload_len as usize))
    }

    /// `evtag_unmarshal_fixed`: the payload, which must be `len` bytes; a record of
    /// another length loses its header and keeps its payload.
    pub fn unmarshal_fixed(&mut self, need_tag: u32, len: usize) -> Option<&'a [u8]> {
        let header = self.apply(expect_record(Front::whole(self.rest), need_tag))?;
        if header.payload_len as usize != len {
            return None;
        }
        Some(self.take(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{encode_int, encode_int64, encode_tag, int_record, marshal};

    #[test]
    fn tags_round_trip_at_the_limits() {
        for tag in [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            0x0fff_ffff,
            0x1000_0000,
            u32::MAX,
        ] {
            let encoded = encode_tag(tag);
            assert_eq!(decode_tag(encoded.as_bytes()), Some((tag, encoded.len())));
        }
    }

    #[test]
    fn bad_tags() {
        assert_eq!(decode_tag(&[]), None);
        assert_eq!(decode_tag(&[0x80]), None);
        assert_eq!(decode_tag(&[0xff, 0xff, 0xff, 0xff]), None);
        // A fifth byte over 4 bits, or one that continues.
        assert_eq!(decode_tag(&[0xff, 0xff, 0xff, 0xff, 0x10]), None);
        assert_eq!(decode_tag(&[0x80, 0x80, 0x80, 0x80, 0x81, 0x00]), None);
        // Needless zero groups are fine.
        assert_eq!(decode_tag(&[0x81, 0x80, 0x00]), Some((1, 3)));
        assert_eq!(decode_tag(&[0x80, 0x80, 0x80, 0x80, 0x00]), Some((0, 5)));
    }

    #[test]
    fn integers() {
        for value in [0, 1, 0xf, 0x10, 0xfff, 0x1000, 0x1234_5678, u32::MAX] {
            let encoded = encode_int(value);
            assert_eq!(decode_int(encoded.as_bytes()), Some((value, encoded.len())));
            assert_eq!(
                decode_int64(encoded.as_bytes()),
                Some((u64::from(value), encoded.len()))
            );
        }
        for value in [1u64 << 32, u64::MAX, 0x8000_0000_0000_0001] {
            let encoded = encode_int64(value);
            assert_eq!(
                decode_int64(encoded.as_bytes()),
                Some((value, encoded.len()))
            );
            assert_eq!(decode_int(encoded.as_bytes()), None);
        }
        // Truncated; padding and leading zero digits ignored.
        assert_eq!(decode_int(&[0x70, 0, 0]), None);
        assert_eq!(decode_int(&[]), None);
        assert_eq!(decode_int(&[0x10, 0x1f]), Some((0x10, 2)));
        assert_eq!(decode_int(&[0x70, 0, 0, 0, 0]), Some((0, 5)));
    }

    #[test]
    fn header_failures_remove_what_libevent_drains() {
        let mut record = int_record(0x80, 7).as_bytes().to_vec();
        assert_eq!(unmarshal_header(Front::whole(&[0x80])).consumed, 0);
        assert_eq!(unmarshal_header(Front::whole(&[0x05, 0x30])).consumed, 1);
        record.pop();
        let short = unmarshal_header(Front::whole(&record));
        assert_eq!((short.consumed, short.value), (3, None));
        // A payload longer than INT_MAX is refused.
        let mut huge = Vec::from(crate::record_header(1, 0x8000_0000).as_bytes());
        huge.push(0);
        let front = Front {
            bytes: &huge,
            total_len: 0x8000_0010,
        };
        assert_eq!(unmarshal_header(front).value, None);
    }

    #[test]
    fn numbers_with_wrong_tag_or_payload() {
        let record = int_record(3, 0x1234);
        // Wrong tag: only the tag goes.
        let taken = unmarshal_int(Front::whole(record.as_bytes()), 4);
        assert_eq!((taken.consumed, taken.value), (1, None));
        // A payload longer than the number is accepted, and removed whole.
        let mut long = Vec::new();
        marshal(&mut long, 3, &[0x01, 0xaa, 0xbb]);
        let taken = unmarshal_int(Front::whole(&long), 3);
        assert_eq!((taken.consumed, taken.value), (5, Some((1, 1))));
        // A number that runs past its payload: the record goes, no value.
        let mut cut = Vec::new();
        marshal(&mut cut, 3, &[0x34, 0x32]);
        cut.push(0x10);
        let taken = unmarshal_int(Front::whole(&cut), 3);
        assert_eq!((taken.consumed, taken.value), (4, None));
        // Nine digits in a 32-bit read.
        let mut wide = Vec::new();
        marshal(&mut wide, 3, encode_int64(1 << 32).as_bytes());
        let taken = unmarshal_int(Front::whole(&wide), 3);
        assert_eq!((taken.consumed, taken.value), (7, None));
        let taken = unmarshal_int64(Front::whole(&wide), 3);
        assert_eq!((taken.consumed, taken.value), (7, Some((1 << 32, 5))));
    }

    #[test]
    fn timevals() {
        let record = crate::timeval_record(9, 1_700_000_000, 999_999);
        let taken = unmarshal_timeval(Front::whole(record.as_bytes()), 9);
        assert_eq!(taken.value, Some((1_700_000_000, 999_999)));
        assert_eq!(taken.consumed, record.len());
        // Wrong tag: the whole record goes.
        let taken = unmarshal_timeval(Front::whole(record.as_bytes()), 8);
        assert_eq!((taken.consumed, taken.value), (record.len(), None));
        // Only the seconds.
        let mut half = Vec::new();
        marshal(&mut half, 9, &[0x05]);
        half.extend_from_slice(&[0x06]);
        let taken = unmarshal_timeval(Front::whole(&half), 9);
        assert_eq!((taken.consumed, taken.value), (3, None));
    }

    #[test]
    fn decoder_walks_a_stream() {
        let mut stream = Vec::new();
        marshal(&mut stream, 1, b"hello");
        stream.extend_from_slice(int_record(0x4000, 42).as_bytes());
        marshal(&mut stream, 2, b"fixed");
        marshal(&mut stream, 3, b"");
        let mut decoder = Decoder::new(&stream);
        assert_eq!(decoder.peek(), Some((1, 1)));
        assert_eq!(decoder.peek_length(), Some(7));
        assert_eq!(decoder.payload_length(), Some(5));
        assert_eq!(decoder.unmarshal_string(1), Some(&b"hello"[..]));
        assert_eq!(decoder.unmarshal_int(0x4000), Some((42, 2)));
        assert_eq!(decoder.unmarshal_fixed(2, 5), Some(&b"fixed"[..]));
        assert_eq!(decoder.unmarshal(), Some((3, &b""[..])));
        assert!(decoder.rest().is_empty());
        assert_eq!(decoder.consume(), None);
        // A fixed field of another length keeps its payload.
        let mut decoder = Decoder::new(&stream[13..]);
        assert_eq!(decoder.unmarshal_fixed(2, 4), None);
        assert_eq!(decoder.rest(), &stream[15..]);
    }
}
