//! Request lines, header lines and whole request heads, and a chunked body after them,
//! through evrs-http-proto's parsers with their invariants (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run http_request` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz::request(data);
});
