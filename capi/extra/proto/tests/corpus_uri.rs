//! Replays the seed corpora of the fuzz targets `http_uri`, `http_query` and `ws_frame`
//! (fuzz/corpus/) through their checks, so that `cargo test` runs every seed.

use std::fs;
use std::path::PathBuf;

use evrs_http_proto::fuzz_uri::{check_query, check_uri, check_ws_frame};

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    for seed in seeds {
        let data = fs::read(&seed).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: seed {} fails", seed.display());
    }
}

#[test]
fn http_uri_corpus() {
    replay("http_uri", check_uri);
}

#[test]
fn http_query_corpus() {
    replay("http_query", check_query);
}

#[test]
fn ws_frame_corpus() {
    replay("ws_frame", check_ws_frame);
}
