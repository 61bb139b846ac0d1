//! Generates C declarations of every `extern "C"` function of the `capi` crate and
//! of libevent_extra's crate (with cbindgen, configured by `cbindgen.toml`) into
//! `$OUT_DIR/capi_exports.h` and `$OUT_DIR/extra_exports.h`.
//! The ABI test compiles them together with `include/`, so a Rust signature that
//! disagrees with its public declaration is a compile error.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=cbindgen.toml");
    generate(&root, "capi/src", "capi_exports.h");
    generate(&root, "capi/extra/src", "extra_exports.h");
}

/// Declarations of the `extern "C"` functions of the crate whose sources are in `src`.
fn generate(root: &Path, src: &str, header: &str) {
    let src = root.join(src);
    println!("cargo:rerun-if-changed={}", src.display());
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // One guard per generated file, as both are included together.
    config.include_guard = Some(format!(
        "EVRS_{}",
        header.replace('.', "_").to_ascii_uppercase()
    ));
    // cbindgen follows `mod` declarations from the crate root.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(src.join("lib.rs"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join(header);
    builder
        .generate()
        .expect("cbindgen reads the crate's sources")
        .write_to_file(out);
}
