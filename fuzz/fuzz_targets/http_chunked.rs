//! Chunked bodies through evrs-http-proto's chunk-size parser and decoder, whole and
//! split, with and without limits (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run http_chunked` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz::chunked(data);
});
