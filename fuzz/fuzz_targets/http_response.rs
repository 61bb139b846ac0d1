//! Status lines, header lines and whole response heads through evrs-http-proto's
//! parsers with their invariants (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run http_response` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz::response(data);
});
