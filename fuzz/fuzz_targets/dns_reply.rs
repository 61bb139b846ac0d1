//! DNS replies as a resolver reads them, to every query type, and names at every offset,
//! through evrs-dns-proto's checks (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run dns_reply` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_dns_proto::fuzz::reply(data);
});
