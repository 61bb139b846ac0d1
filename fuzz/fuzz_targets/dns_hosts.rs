//! hosts files, written out again and re-read,
//! through evrs-dns-proto's checks (see its `fuzz` module).
//! Run with `cargo +nightly fuzz run dns_hosts` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_dns_proto::fuzz::hosts(data);
});
