//! Writers: every encoding fits a small fixed array, so that the C layer appends a whole
//! record of a number or a time value with one `evbuffer_add` and no allocation.

use crate::{MAX_HEADER_LEN, MAX_INT64_LEN, MAX_INT_LEN, MAX_TAG_LEN, MAX_TIMEVAL_LEN};

/// The capacity of [`Encoded`]: the longest fixed-size record, a header and a time value.
const CAPACITY: usize = MAX_HEADER_LEN + MAX_TIMEVAL_LEN;

/// Up to 20 encoded bytes, on the stack.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Encoded {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Encoded {
    fn new() -> Encoded {
        Encoded {
            bytes: [0; CAPACITY],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends another encoding; callers stay within CAPACITY by construction (every
    /// record built here is at most a header and a time value).
    fn extend(mut self, more: &Encoded) -> Encoded {
        let end = self.len + more.len;
        self.bytes[self.len..end].copy_from_slice(more.as_bytes());
        self.len = end;
        self
    }
}

/// The tag in 7-bit groups, least significant first, with the high bit set on every
/// byte but the last.
pub fn encode_tag(tag: u32) -> Encoded {
    let mut out = Encoded::new();
    let mut rest = tag;
    loop {
        let group = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.bytes[out.len] = group;
            out.len += 1;
            debug_assert!(out.len <= MAX_TAG_LEN);
            return out;
        }
        out.bytes[out.len] = group | 0x80;
        out.len += 1;
    }
}

/// The integer form for any value up to 64 bits: a count nibble (significant digits
/// minus one; 0 for zero) then the digits, least significant first, padded.
fn encode_nibbles(value: u64) -> Encoded {
    let significant = (u64::BITS - value.leading_zeros()).div_ceil(4) as usize;
    let mut out = Encoded::new();
    // The count nibble and digit 0 share the first byte; after it, byte k holds digit
    // 2k - 1 in its high half and digit 2k in its low half, which is each byte of the
    // value shifted past digit 0 with its two halves swapped (unused halves are zero).
    out.bytes[0] = ((significant.saturating_sub(1) as u8) << 4) | (value & 0x0f) as u8;
    let rest = value >> 4;
    let swapped = ((rest & 0x0f0f_0f0f_0f0f_0f0f) << 4) | ((rest >> 4) & 0x0f0f_0f0f_0f0f_0f0f);
    out.bytes[1..9].copy_from_slice(&swapped.to_le_bytes());
    out.len = (significant + 2) / 2;
    out
}

/// A 32-bit integer: 1 to 5 bytes.
pub fn encode_int(value: u32) -> Encoded {
    let out = encode_nibbles(u64::from(value));
    debug_assert!(out.len <= MAX_INT_LEN);
    out
}

/// A 64-bit integer: 1 to 9 bytes.
pub fn encode_int64(value: u64) -> Encoded {
    let out = encode_nibbles(value);
    debug_assert!(out.len <= MAX_INT64_LEN);
    out
}

/// The tag and payload length that start a record.
pub fn record_header(tag: u32, payload_len: u32) -> Encoded {
    encode_tag(tag).extend(&encode_int(payload_len))
}

fn record_of(tag: u32, payload: &Encoded) -> Encoded {
    record_header(tag, payload.len as u32).extend(payload)
}

/// A whole record holding a 32-bit integer (`evtag_marshal_int`).
pub fn int_record(tag: u32, value: u32) -> Encoded {
    record_of(tag, &encode_int(value))
}

/// A whole record holding a 64-bit integer (`evtag_marshal_int64`).
pub fn int64_record(tag: u32, value: u64) -> Encoded {
    record_of(tag, &encode_int64(value))
}

/// A whole record holding a time value (`evtag_marshal_timeval`). libevent stores the
/// seconds and microseconds as 32-bit integers; the caller truncates them as it does.
pub fn timeval_record(tag: u32, seconds: u32, microseconds: u32) -> Encoded {
    record_of(tag, &encode_int(seconds).extend(&encode_int(microseconds)))
}

/// Appends a record with an arbitrary payload (`evtag_marshal`). Payloads longer than
/// 32 bits can say are refused (false, nothing written).
pub fn marshal(out: &mut Vec<u8>, tag: u32, payload: &[u8]) -> bool {
    let Ok(len) = u32::try_from(payload.len()) else {
        return false;
    };
    out.extend_from_slice(record_header(tag, len).as_bytes());
    out.extend_from_slice(payload);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(encoded: Encoded) -> Vec<u8> {
        encoded.as_bytes().to_vec()
    }

    #[test]
    fn integers_by_length_class() {
        assert_eq!(hex(encode_int(0)), [0x00]);
        assert_eq!(hex(encode_int(1)), [0x01]);
        assert_eq!(hex(encode_int(0xf)), [0x0f]);
        assert_eq!(hex(encode_int(0x10)), [0x10, 0x10]);
        assert_eq!(hex(encode_int(0xff)), [0x1f, 0xf0]);
        assert_eq!(hex(encode_int(0x100)), [0x20, 0x01]);
        assert_eq!(hex(encode_int(0x123)), [0x23, 0x21]);
        assert_eq!(hex(encode_int(0x1234)), [0x34, 0x32, 0x10]);
        assert_eq!(hex(encode_int(0x12345)), [0x45, 0x43, 0x21]);
        assert_eq!(hex(encode_int(0x123456)), [0x56, 0x54, 0x32, 0x10]);
        assert_eq!(hex(encode_int(0x1234567)), [0x67, 0x65, 0x43, 0x21]);
        assert_eq!(hex(encode_int(0x12345678)), [0x78, 0x76, 0x54, 0x32, 0x10]);
        assert_eq!(hex(encode_int(u32::MAX)), [0x7f, 0xff, 0xff, 0xff, 0xf0]);
    }

    #[test]
    fn int64_extremes() {
        assert_eq!(hex(encode_int64(0)), [0x00]);
        assert_eq!(hex(encode_int64(1 << 32)), [0x80, 0, 0, 0, 0x01]);
        assert_eq!(
            hex(encode_int64(u64::MAX)),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]
        );
        assert_eq!(
            hex(encode_int64(0x8000_0000_0000_0001)),
            [0xf1, 0, 0, 0, 0, 0, 0, 0, 0x80]
        );
        assert_eq!(encode_int64(0x1234), encode_int(0x1234));
    }

    #[test]
    fn tags_by_length_class() {
        assert_eq!(hex(encode_tag(0)), [0x00]);
        assert_eq!(hex(encode_tag(0x7f)), [0x7f]);
        assert_eq!(hex(encode_tag(0x80)), [0x80, 0x01]);
        assert_eq!(hex(encode_tag(0x166)), [0xe6, 0x02]);
        assert_eq!(hex(encode_tag(0x3fff)), [0xff, 0x7f]);
        assert_eq!(hex(encode_tag(0x4000)), [0x80, 0x80, 0x01]);
        assert_eq!(hex(encode_tag(0x1f_ffff)), [0xff, 0xff, 0x7f]);
        assert_eq!(hex(encode_tag(0x20_0000)), [0x80, 0x80, 0x80, 0x01]);
        assert_eq!(hex(encode_tag(0x0fff_ffff)), [0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(hex(encode_tag(0x1000_0000)), [0x80, 0x80, 0x80, 0x80, 0x01]);
        assert_eq!(hex(encode_tag(u32::MAX)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn records() {
        assert_eq!(hex(record_header(1, 0)), [0x01, 0x00]);
        assert_eq!(hex(record_header(0x80, 0x10)), [0x80, 0x01, 0x10, 0x10]);
        assert_eq!(hex(int_record(2, 0x1234)), [0x02, 0x03, 0x34, 0x32, 0x10]);
        assert_eq!(
            hex(int64_record(3, u64::MAX)),
            [3, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]
        );
        assert_eq!(hex(timeval_record(4, 1, 0x10)), [4, 3, 0x01, 0x10, 0x10]);
        let longest = timeval_record(u32::MAX, u32::MAX, u32::MAX);
        assert_eq!(longest.len(), MAX_HEADER_LEN + MAX_TIMEVAL_LEN - 4);
        let mut out = Vec::new();
        assert!(marshal(&mut out, 5, b"abc"));
        assert_eq!(out, [5, 3, b'a', b'b', b'c']);
    }
}
