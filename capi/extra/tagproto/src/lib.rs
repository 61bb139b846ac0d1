//! The evtag encoding of event2/tag.h, byte for byte as libevent 2.2.1 writes and reads
//! it. Pure Rust, no I/O, so that every decoder can be fuzzed and tested on its own;
//! libevent_extra's `evtag_*` entry points (capi/extra/src/tag.rs) are a thin layer
//! over it.
//!
//! The format:
//! - a record is a tag, the payload length as an integer, then the payload;
//! - a tag is 7-bit groups, least significant first, each byte but the last with its
//!   high bit set: 0x66 is `66`, 0x166 is `e6 02`; at most 5 bytes, so any 32-bit tag
//!   fits;
//! - an integer is a nibble count minus one in the high half of the first byte, then
//!   the significant nibbles, least significant first, from the low half of the first
//!   byte on, padded with a zero nibble to whole bytes: 0 is `00`, 0x10 is `10 10`,
//!   0x12345678 is `78 76 54 32 10`. 32-bit values take at most 5 bytes, 64-bit ones 9;
//! - a time value is its seconds, then its microseconds, each a 32-bit integer.
//!
//! Readers accept what libevent accepts: tags and integers with needless zero groups,
//! any padding nibble, and int/time-value payloads longer than what they decode.

#![forbid(unsafe_code)]

pub mod decode;
pub mod encode;
pub mod fuzz;

pub use decode::{
    decode_header, decode_int, decode_int64, decode_tag, payload_length, peek_length, Decoder,
    Front, Header, HeaderError, Taken,
};
pub use encode::{
    encode_int, encode_int64, encode_tag, int64_record, int_record, marshal, record_header,
    timeval_record, Encoded,
};

/// The longest tag: 32 bits in 7-bit groups.
pub const MAX_TAG_LEN: usize = 5;
/// The longest encoded 32-bit integer: a count nibble and 8 digits, padded.
pub const MAX_INT_LEN: usize = 5;
/// The longest encoded 64-bit integer: a count nibble and 16 digits, padded.
pub const MAX_INT64_LEN: usize = 9;
/// The longest record header: a tag and a 32-bit length.
pub const MAX_HEADER_LEN: usize = MAX_TAG_LEN + MAX_INT_LEN;
/// The longest time-value payload: two 32-bit integers.
pub const MAX_TIMEVAL_LEN: usize = 2 * MAX_INT_LEN;
/// How many leading bytes of a stream every decoder here needs to see: a header and
/// the part of a payload that an integer or a time value is read from. Payloads that
/// are copied whole (strings, fixed fields, nested records) are the caller's to move.
pub const LOOKAHEAD: usize = MAX_HEADER_LEN + MAX_TIMEVAL_LEN;
