//! Bytes from a WebSocket client (the payload limit picked by the first byte) decoded
//! as frames, whole and cut short, and re-encoded.
//! Run with `cargo +nightly fuzz run ws_frame fuzz/corpus/ws_frame` from the repository root.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evrs_http_proto::fuzz_uri::check_ws_frame(data);
});
