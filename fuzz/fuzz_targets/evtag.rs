//! Arbitrary bytes through every evtag reader of evrs-tag-proto (tags, lengths, headers,
//! numbers, time values, whole records, with libevent's rules for what a failed read
//! removes), and values taken from the input encoded and read back; see its `fuzz`
//! module for the checks.
//! Run with `cargo +nightly fuzz run evtag` from the fuzz directory's parent.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_tag_proto::fuzz::check(data);
});
