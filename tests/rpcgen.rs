//! event_rpcgen.py: its Python unit tests, and the C it generates for every .rpc file
//! of the repository (capi/extra/rpcgen/testdata/ and c-tests/) compiled warning-free
//! as C99 and GNU C11 against our headers and against the system's libevent 2.1
//! headers. The generated code at work is tested by the c-tests/rpcgen_*.c programs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generator() -> PathBuf {
    root().join("capi/extra/rpcgen/event_rpcgen.py")
}

/// Every .rpc file the repository's tests use.
fn rpc_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["capi/extra/rpcgen/testdata", "c-tests"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("directory exists") {
            let path = entry.expect("readable directory").path();
            if path.extension().is_some_and(|e| e == "rpc") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 4, "too few .rpc files: {files:?}");
    files
}

/// Generates NAME.gen.h and NAME.gen.c for `rpc` in `dir`; returns the .c file.
fn generate(rpc: &Path, dir: &Path) -> PathBuf {
    let stem = rpc.file_stem().unwrap().to_string_lossy().into_owned();
    let header = dir.join(format!("{stem}.gen.h"));
    let code = dir.join(format!("{stem}.gen.c"));
    let output = Command::new("python3")
        .arg(generator())
        .arg("--quiet")
        .arg(rpc)
        .arg(&header)
        .arg(&code)
        .output()
        .expect("python3 runs (it is needed to build and test the project)");
    assert!(
        output.status.success(),
        "{} failed on {}:\n{}",
        generator().display(),
        rpc.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    code
}

/// Compiles every generated file with `cc -c`, adding `include` to the search path.
fn compile_all(label: &str, include: Option<&Path>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rpcgen-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for rpc in rpc_files() {
        let code = generate(&rpc, &dir);
        for std in ["c99", "gnu11"] {
            let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
            cc.arg(format!("-std={std}"))
                .args(["-Wall", "-Wextra", "-Werror", "-c"]);
            if let Some(include) = include {
                cc.arg("-I").arg(include);
            }
            cc.arg(&code).arg("-o").arg(dir.join(format!(
                "{}-{std}.o",
                rpc.file_stem().unwrap().to_string_lossy()
            )));
            let output = cc.output().expect("cc runs");
            if !output.status.success() {
                failures.push(format!(
                    "{} (-std={std}):\n{}",
                    rpc.display(),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn python_unit_tests() {
    let output = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s"])
        .arg(root().join("capi/extra/rpcgen"))
        .current_dir(root())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs (it is needed to build and test the project)");
    assert!(
        output.status.success(),
        "python unit tests failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn generated_code_compiles_against_our_headers() {
    compile_all("ours", Some(&root().join("include")));
}

#[test]
fn generated_code_compiles_against_libevent_headers() {
    if !Path::new("/usr/include/event2/tag.h").exists() {
        eprintln!("skipped: libevent 2.1's headers are not installed in /usr/include/event2");
        return;
    }
    compile_all("libevent", None);
}

#[test]
fn the_generator_is_an_executable_python3_script() {
    let text = std::fs::read_to_string(generator()).unwrap();
    assert!(text.starts_with("#!/usr/bin/env python3\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(generator()).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "event_rpcgen.py is not executable");
    }
}
