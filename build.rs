//! Generates C declarations of every `extern "C"` function of the `capi` crate and
//! of libevent_extra's, libevent_openssl's and libevent_mbedtls's crates (with
//! cbindgen, configured by `cbindgen.toml`) into `$OUT_DIR/capi_exports.h`,
//! `extra_exports.h`, `openssl_exports.h` and `mbedtls_exports.h`.
//! The ABI test compiles them together with `include/`, so a Rust signature that
//! disagrees with its public declaration is a compile error.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=cbindgen.toml");
    generate(&root, "capi/src", "capi_exports.h", false);
    generate(&root, "capi/extra/src", "extra_exports.h", true);
    generate(&root, "capi/openssl/src", "openssl_exports.h", false);
    generate(&root, "capi/mbedtls/src", "mbedtls_exports.h", false);
}

/// Declarations of the `extern "C"` functions of the crate whose sources are in `src`.
fn generate(root: &Path, src: &str, header: &str, with_typedefs: bool) {
    let src = root.join(src);
    println!("cargo:rerun-if-changed={}", src.display());
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // Callback types that the crate names with a Rust alias are declared too, so that
    // the prototypes using them compile.
    if with_typedefs {
        config.export.item_types.push(cbindgen::ItemType::Typedefs);
    }
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
    let mut text = Vec::new();
    builder
        .generate()
        .expect("cbindgen reads the crate's sources")
        .write(&mut text);
    // A C type that the crate defines as a Rust struct gets cbindgen's own `struct`
    // tag besides the one its rename spells.
    let text = String::from_utf8(text)
        .expect("cbindgen writes UTF-8")
        .replace("struct struct ", "struct ")
        .replace("enum enum ", "enum ");
    std::fs::write(out, unwrap_options(&text)).expect("OUT_DIR is writable");
}

/// `Option<Alias>` of a function-pointer alias is the nullable pointer C spells `Alias`;
/// cbindgen leaves the Rust spelling when the alias is not inline.
fn unwrap_options(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("Option<") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "Option<".len()..];
        match after.find('>') {
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("Option<");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
