//! Invariant checks over arbitrary bytes, for the fuzz target
//! (`fuzz/fuzz_targets/evtag.rs`) and the corpus replay test. [`check`] panics when a
//! reader breaks a promise:
//! - every reader answers the same from the first [`LOOKAHEAD`] bytes and the length
//!   as from the whole input (what lets the C layer copy out only that much);
//! - no reader removes more than there is, and what each removes agrees with the
//!   header it read;
//! - whatever was read, written again in the canonical form, reads back the same;
//! - numbers, tags, time values and records made from the input read back exactly.

use crate::decode::{
    self, decode_header, decode_int, decode_int64, decode_tag, Decoder, Front, Header, HeaderError,
    Taken,
};
use crate::encode::{
    encode_int, encode_int64, encode_tag, int64_record, int_record, marshal, record_header,
    timeval_record,
};
use crate::LOOKAHEAD;

/// Checks `data` as a stream of records and as a source of values to encode.
pub fn check(data: &[u8]) {
    // Readers at a few starting points, so that later records are read too.
    for start in 0..data.len().min(16) {
        check_readers(&data[start..]);
    }
    walk(data);
    round_trips(data);
}

fn front_of(data: &[u8]) -> Front<'_> {
    Front {
        bytes: &data[..data.len().min(LOOKAHEAD)],
        total_len: data.len(),
    }
}

fn same<T: PartialEq + std::fmt::Debug>(short: Taken<T>, whole: Taken<T>, len: usize) -> Taken<T> {
    assert_eq!(short, whole, "lookahead changes the answer");
    assert!(whole.consumed <= len, "removes more than there is");
    whole
}

fn check_readers(data: &[u8]) {
    let short = front_of(data);
    let whole = Front::whole(data);
    let len = data.len();

    let tag = decode_tag(data);
    assert_eq!(tag, decode_tag(short.bytes));
    if let Some((value, tag_len)) = tag {
        assert!((1..=crate::MAX_TAG_LEN).contains(&tag_len));
        assert!(encode_tag(value).len() <= tag_len);
    }
    let header = decode_header(data);
    assert_eq!(header, decode_header(short.bytes));
    match header {
        Err(HeaderError::Tag) => assert!(tag.is_none()),
        Err(HeaderError::Length {
            tag: value,
            tag_len,
        }) => {
            assert_eq!(tag, Some((value, tag_len)));
            assert!(decode_int(&data[tag_len..]).is_none());
        }
        Ok(header) => check_header(data, header),
    }

    let need_tags = [
        tag.map_or(0, |(value, _)| value),
        tag.map_or(1, |(v, _)| v ^ 1),
    ];
    let read = same(
        decode::unmarshal_header(short),
        decode::unmarshal_header(whole),
        len,
    );
    if let Some(header) = read.value {
        assert_eq!(read.consumed, header.len());
        assert!(header.record_len() <= len);
    }
    for need in need_tags {
        let record = same(
            decode::expect_record(short, need),
            decode::expect_record(whole, need),
            len,
        );
        assert!(record.value.is_none_or(|h| h.tag == need));
        let int = same(
            decode::unmarshal_int(short, need),
            decode::unmarshal_int(whole, need),
            len,
        );
        let int64 = same(
            decode::unmarshal_int64(short, need),
            decode::unmarshal_int64(whole, need),
            len,
        );
        if let Some((value, value_len)) = int.value {
            // A 32-bit reading is a 64-bit reading too.
            assert_eq!(int64.value, Some((u64::from(value), value_len)));
            assert_eq!(int.consumed, int64.consumed);
        }
        if let Some((value, value_len)) = int64.value {
            assert!(value_len <= crate::MAX_INT64_LEN);
            assert!(encode_int64(value).len() <= value_len);
        }
        let timeval = same(
            decode::unmarshal_timeval(short, need),
            decode::unmarshal_timeval(whole, need),
            len,
        );
        if let Some((seconds, microseconds)) = timeval.value {
            let header = decode_header(data).expect("a time value has a header");
            assert_eq!(header.tag, need);
            assert_eq!(timeval.consumed, header.record_len());
            let again = timeval_record(need, seconds, microseconds);
            let taken = decode::unmarshal_timeval(Front::whole(again.as_bytes()), need);
            assert_eq!(taken.value, Some((seconds, microseconds)));
        }
    }
}

/// A header read from `data`: the size readers report agrees with it, and its
/// canonical form reads back the same.
fn check_header(data: &[u8], header: Header) {
    let total = header.payload_len.checked_add(header.len() as u32);
    assert_eq!(decode::peek_length(data), total);
    assert_eq!(decode::payload_length(data), Some(header.payload_len));
    let canonical = record_header(header.tag, header.payload_len);
    assert!(canonical.len() <= header.len());
    let again = decode_header(canonical.as_bytes()).expect("canonical header");
    assert_eq!(
        (again.tag, again.payload_len),
        (header.tag, header.payload_len)
    );
}

/// Reads the whole input as records with the slice decoder, each call chosen by the
/// input, until a call fails with nothing removed.
fn walk(data: &[u8]) {
    let mut decoder = Decoder::new(data);
    let mut choice = data.iter().rev().copied().cycle();
    for _ in 0..64 {
        let before = decoder.rest().len();
        let tag = decoder.peek().map_or(0, |(tag, _)| tag);
        let ok = match choice.next().unwrap_or(0) % 8 {
            0 => decoder.consume().is_some(),
            1 => decoder.unmarshal().is_some(),
            2 => decoder.unmarshal_int(tag).is_some(),
            3 => decoder.unmarshal_int64(tag).is_some(),
            4 => decoder.unmarshal_timeval(tag).is_some(),
            5 => decoder.unmarshal_string(tag).is_some(),
            6 => {
                let len = decoder.payload_length().unwrap_or(0) as usize;
                decoder.unmarshal_fixed(tag, len).is_some()
            }
            _ => decoder.unmarshal_header().is_some(),
        };
        let after = decoder.rest().len();
        assert!(after <= before);
        if ok {
            assert!(after < before, "a record read removes its header");
        }
        if !ok && after == before {
            break;
        }
    }
}

/// Values taken from the input, encoded and read back.
fn round_trips(data: &[u8]) {
    let mut word = [0u8; 8];
    for chunk in data.chunks(8) {
        word[..chunk.len()].copy_from_slice(chunk);
        let wide = u64::from_le_bytes(word);
        // Also values with fewer digits, to reach every length class.
        let shift = u32::from(chunk[0] % 64);
        for value in [wide, wide >> shift] {
            round_trip(value);
        }
    }
    // A stream of records of every kind, read back in order.
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for (index, chunk) in data.chunks(9).enumerate() {
        word = [0; 8];
        let take = chunk.len().min(8);
        word[..take].copy_from_slice(&chunk[..take]);
        let value = u64::from_le_bytes(word) >> (chunk[0] % 64);
        let tag = (value as u32) ^ index as u32;
        match index % 5 {
            0 => stream.extend_from_slice(int_record(tag, value as u32).as_bytes()),
            1 => stream.extend_from_slice(int64_record(tag, value).as_bytes()),
            2 => stream.extend_from_slice(
                timeval_record(tag, value as u32, (value >> 32) as u32).as_bytes(),
            ),
            _ => assert!(marshal(&mut stream, tag, chunk)),
        }
        expected.push((index % 5, tag, value, chunk));
    }
    let mut decoder = Decoder::new(&stream);
    for (kind, tag, value, chunk) in expected {
        match kind {
            0 => assert_eq!(
                decoder.unmarshal_int(tag).map(|(v, _)| v),
                Some(value as u32)
            ),
            1 => assert_eq!(decoder.unmarshal_int64(tag).map(|(v, _)| v), Some(value)),
            2 => assert_eq!(
                decoder.unmarshal_timeval(tag),
                Some((value as u32, (value >> 32) as u32))
            ),
            3 => assert_eq!(decoder.unmarshal_string(tag), Some(chunk)),
            _ => assert_eq!(decoder.unmarshal_fixed(tag, chunk.len()), Some(chunk)),
        }
    }
    assert!(decoder.rest().is_empty());
}

fn round_trip(value: u64) {
    let encoded = encode_int64(value);
    assert_eq!(
        decode_int64(encoded.as_bytes()),
        Some((value, encoded.len()))
    );
    // Every proper prefix is refused.
    for cut in 0..encoded.len() {
        assert_eq!(decode_int64(&encoded.as_bytes()[..cut]), None);
    }
    let narrow = value as u32;
    let encoded = encode_int(narrow);
    assert_eq!(encoded, encode_int64(u64::from(narrow)));
    assert_eq!(
        decode_int(encoded.as_bytes()),
        Some((narrow, encoded.len()))
    );
    let tag = encode_tag(narrow);
    assert_eq!(decode_tag(tag.as_bytes()), Some((narrow, tag.len())));
    for cut in 0..tag.len() {
        assert_eq!(decode_tag(&tag.as_bytes()[..cut]), None);
    }
    let header = record_header(narrow, (value >> 32) as u32);
    let read = decode_header(header.as_bytes()).expect("header reads back");
    assert_eq!((read.tag, read.payload_len), (narrow, (value >> 32) as u32));
}
