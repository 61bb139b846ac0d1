//! Random operation sequences on two evbuffers, checked against byte-vector models.
//! Run with `cargo +nightly fuzz run evbuffer_ops` from the repository root.
#![no_main]

#[path = "../../tests/buffer_model/ops.rs"]
mod ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ops::run_ops(data);
});
