//! Generates C declarations of every `extern "C"` function of the `capi` crate
//! (with cbindgen, configured by `cbindgen.toml`) into `$OUT_DIR/capi_exports.h`.
//! The ABI test compiles them together with `include/`, so a Rust signature that
//! disagrees with its public declaration is a compile error.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let capi_src = root.join("capi/src");
    println!("cargo:rerun-if-changed={}", capi_src.display());
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // cbindgen follows `mod` declarations from the crate root.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(capi_src.join("lib.rs"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("capi_exports.h");
    builder
        .generate()
        .expect("cbindgen reads the capi sources")
        .write_to_file(out);
}
