//! DNS queries as a server reads them, the responses written to them (compressed,
//! truncated) and those responses read back as replies,
//! through evrs-dns-proto's checks (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run dns_request` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_dns_proto::fuzz::request(data);
});
