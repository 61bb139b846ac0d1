//! URIs (with the parse flags in the first byte) parsed, joined, parsed again and
//! rebuilt through the setters, plus percent-encoding and HTML escaping round trips.
//! Run with `cargo +nightly fuzz run http_uri fuzz/corpus/http_uri` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz_uri::check_uri(data);
});
