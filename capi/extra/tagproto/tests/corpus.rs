//! Replays the fuzz seed corpus (fuzz/corpus/evtag) through the checks the fuzz target
//! runs, so that every seed, and every input a fuzzing run added there, is checked by
//! `cargo test`.
//!
//! The seeds are written by the ignored test `write_seeds`:
//! `cargo test -p evrs-tag-proto --test corpus -- --ignored write_seeds`.

use std::fs;
use std::path::{Path, PathBuf};

use evrs_tag_proto::{
    encode_int, encode_int64, encode_tag, int64_record, int_record, marshal, record_header,
    timeval_record,
};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fuzz/corpus/evtag")
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn evtag_corpus() {
    let dir = corpus_dir();
    let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        if !path.is_file() {
            continue;
        }
        let data = fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        if std::panic::catch_unwind(|| evrs_tag_proto::fuzz::check(&data)).is_err() {
            panic!("check failed on {}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed >= 24, "only {replayed} seeds in {}", dir.display());
}

fn record(tag: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    assert!(marshal(&mut out, tag, payload));
    out
}

/// Streams of records of every kind and length class, and broken ones.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    // An integer record for each integer length class (1 to 9 bytes) and tag length
    // class (1 to 5 bytes).
    for bytes in 1..=9u32 {
        let digits = 2 * bytes - 1;
        let value = if digits >= 16 {
            u64::MAX
        } else {
            (1u64 << (4 * digits)) - 1
        };
        seeds.push((
            format!("int64_len{bytes}"),
            int64_record(5, value).as_bytes().to_vec(),
        ));
    }
    for (bytes, tag) in [
        (1, 0x7f),
        (2, 0x80),
        (3, 0x4000),
        (4, 0x20_0000),
        (5, 0x1000_0000),
        (5, u32::MAX),
    ] {
        seeds.push((
            format!("tag_len{bytes}_{tag:x}"),
            int_record(tag, 42).as_bytes().to_vec(),
        ));
    }
    seeds.push(("int_zero".into(), int_record(0, 0).as_bytes().to_vec()));
    seeds.push((
        "int_max".into(),
        int_record(1, u32::MAX).as_bytes().to_vec(),
    ));
    seeds.push((
        "timeval".into(),
        timeval_record(2, 1_700_000_000, 999_999)
            .as_bytes()
            .to_vec(),
    ));
    seeds.push((
        "timeval_max".into(),
        timeval_record(u32::MAX, u32::MAX, u32::MAX)
            .as_bytes()
            .to_vec(),
    ));
    seeds.push(("string".into(), record(3, b"hello, evtag")));
    seeds.push(("empty_payload".into(), record(4, b"")));
    // A nested record, as evtag_marshal_buffer writes a message inside a message.
    let mut inner = int_record(1, 7).as_bytes().to_vec();
    inner.extend_from_slice(&record(2, b"name"));
    inner.extend_from_slice(timeval_record(3, 5, 6).as_bytes());
    seeds.push(("nested".into(), record(0x81, &inner)));
    let mut stream = Vec::new();
    for tag in 1..20u32 {
        stream.extend_from_slice(int_record(tag, tag * 0x1111).as_bytes());
    }
    seeds.push(("many_ints".into(), stream));
    // Broken input.
    seeds.push(("tag_unfinished".into(), vec![0x80, 0x80]));
    seeds.push((
        "tag_fifth_byte_too_big".into(),
        vec![0xff, 0xff, 0xff, 0xff, 0x10, 0x00],
    ));
    seeds.push((
        "tag_six_bytes".into(),
        vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00],
    ));
    seeds.push((
        "tag_padded_zero_groups".into(),
        vec![0x81, 0x80, 0x80, 0x00, 0x01, 0x07],
    ));
    seeds.push(("length_truncated".into(), vec![0x01, 0x40, 0x00]));
    seeds.push(("length_nine_digits".into(), vec![0x01, 0x80, 0, 0, 0, 1, 0]));
    let mut short = record(6, b"0123456789");
    short.truncate(8);
    seeds.push(("payload_truncated".into(), short));
    seeds.push((
        "int_longer_than_payload".into(),
        vec![0x07, 0x02, 0x34, 0x32, 0x10],
    ));
    seeds.push((
        "int_shorter_than_payload".into(),
        vec![0x07, 0x03, 0x01, 0xaa, 0xbb],
    ));
    seeds.push((
        "int_padding_nibble_set".into(),
        vec![0x07, 0x02, 0x10, 0x1f],
    ));
    seeds.push((
        "int_leading_zero_digits".into(),
        vec![0x07, 0x05, 0x70, 0, 0, 0, 0],
    ));
    seeds.push(("timeval_seconds_only".into(), vec![0x08, 0x01, 0x05, 0x06]));
    let mut huge = record_header(9, u32::MAX).as_bytes().to_vec();
    huge.extend_from_slice(b"tiny");
    seeds.push(("length_4g".into(), huge));
    let mut raw = encode_tag(10).as_bytes().to_vec();
    raw.extend_from_slice(encode_int(2).as_bytes());
    raw.extend_from_slice(encode_int64(0).as_bytes());
    raw.push(0xff);
    seeds.push(("hand_built".into(), raw));
    seeds.push(("empty".into(), Vec::new()));
    seeds
}

#[test]
#[ignore = "writes the seed files; run by hand"]
fn write_seeds() {
    let dir = corpus_dir();
    fs::create_dir_all(&dir).expect("corpus directory");
    for (name, data) in seeds() {
        fs::write(dir.join(name), data).expect("seed file");
    }
}

#[test]
fn seeds_pass_the_checks() {
    for (name, data) in seeds() {
        assert!(
            std::panic::catch_unwind(|| evrs_tag_proto::fuzz::check(&data)).is_ok(),
            "{name}"
        );
    }
}
