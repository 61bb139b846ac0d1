//! Replays the fuzz seed corpora (fuzz/corpus/http_request, http_response,
//! http_chunked) through the same checks the fuzz targets run, so every seed, and
//! every input a fuzzing run added there, is checked by `cargo test`.

use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fuzz/corpus")
        .join(name)
}

/// Runs `check` over every file of the corpus directory `name`, naming the file that
/// failed.
fn replay(name: &str, check: fn(&[u8])) {
    let dir = corpus_dir(name);
    let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        if !path.is_file() {
            continue;
        }
        let data = fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("check failed on {}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed >= 10, "only {replayed} seeds in {}", dir.display());
}

#[test]
fn http_request_corpus() {
    replay("http_request", evrs_http_proto::fuzz::request);
}

#[test]
fn http_response_corpus() {
    replay("http_response", evrs_http_proto::fuzz::response);
}

#[test]
fn http_chunked_corpus() {
    replay("http_chunked", evrs_http_proto::fuzz::chunked);
}
