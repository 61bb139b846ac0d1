//! Compiles the C half of the entry points (capi/c/*.c: the printf-style functions,
//! which stable Rust cannot define) into this crate's libraries; with the feature
//! `abi-2-1`, also libevent 2.1's warning functions (`c/warn.c`).
//!
//! `link-library.sh` exports the entry points of the staticlib members whose names
//! start with the crate's name, so the objects are archived here under such names
//! (`evrs_capi-printf.o`) instead of the hashed names the `cc` crate gives them.

use std::path::PathBuf;

const SOURCES: &[&str] = &["c/printf.c"];
/// Only in the build with libevent 2.1's binary interface.
const SOURCES_2_1: &[&str] = &["c/warn.c"];
const LIBRARY: &str = "evrs_capi_c";

fn main() {
    let mut sources = SOURCES.to_vec();
    if std::env::var_os("CARGO_FEATURE_ABI_2_1").is_some() {
        sources.extend(SOURCES_2_1);
    }
    for source in SOURCES.iter().chain(SOURCES_2_1) {
        println!("cargo:rerun-if-changed={source}");
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut build = cc::Build::new();
    build
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true);
    if !can_compile_for_target(&build, &out_dir) {
        return;
    }
    build.files(&sources);

    let members: Vec<PathBuf> = build
        .compile_intermediates()
        .iter()
        .map(|object| {
            // `cc` names objects `<hash>-<source stem>.o`.
            let name = object.file_name().expect("a file name").to_string_lossy();
            let stem = name.split_once('-').map_or(&*name, |(_, stem)| stem);
            let member = out_dir.join(format!("evrs_capi-{stem}"));
            std::fs::copy(object, &member).expect("copy the object file");
            member
        })
        .collect();

    let archive = out_dir.join(format!("lib{LIBRARY}.a"));
    // `ar` adds to an existing archive; start afresh so stale members cannot linger.
    let _ = std::fs::remove_file(&archive);
    let status = build
        .get_archiver()
        .arg("crs")
        .arg(&archive)
        .args(&members)
        .status()
        .expect("run the archiver");
    assert!(
        status.success(),
        "the archiver failed for {}",
        archive.display()
    );

    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static={LIBRARY}");
}

/// Whether C can be compiled for the target. A native build always can (a failure there
/// is a real error, reported by the compile that follows); a cross build without a C
/// compiler for the target (`cargo check --target x86_64-apple-darwin` on Linux) skips
/// the C half with a warning: such a build can be checked, not linked.
fn can_compile_for_target(build: &cc::Build, out_dir: &std::path::Path) -> bool {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target == host {
        return true;
    }
    let probe = out_dir.join("probe.c");
    std::fs::write(&probe, "int evrs_capi_probe;\n").expect("write the probe source");
    let mut probe_build = build.clone();
    probe_build.file(&probe).cargo_warnings(false);
    if probe_build.try_compile_intermediates().is_ok() {
        return true;
    }
    println!(
        "cargo:warning=no C compiler for {target}: capi/c/*.c not compiled; this build can \
         only be checked (`cargo check`), not linked"
    );
    false
}
