//! Query strings (with the query flags in the first byte) split under every flag,
//! checked against libevent's remove-then-append for EVHTTP_URI_QUERY_LAST_VAL.
//! Run with `cargo +nightly fuzz run http_query fuzz/corpus/http_query` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz_uri::check_query(data);
});
