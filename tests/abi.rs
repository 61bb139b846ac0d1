//! Checks of the binary contract with libevent 2.2.1: struct layouts and constants,
//! which symbols each library exports (and `docs/API-STATUS.md` saying so), Rust
//! signatures against the public headers, and that every header stands alone.
//!
//! The libraries are the ones `make` built, in `$EVRS_LIBDIR` (default `build/lib`).
//! `EVRS_UPDATE_API_STATUS=1` rewrites `docs/API-STATUS.md` instead of comparing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "abi/layout_probe.rs"]
mod layout_probe;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn libdir() -> PathBuf {
    let dir = std::env::var_os("EVRS_LIBDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("build/lib"));
    assert!(
        dir.join("libevent_core.so").exists(),
        "no libraries in {}: run `make` first",
        dir.display()
    );
    dir
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/abi-tests").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles (and with `-o`, links) C or C++; panics with the compiler's message on failure.
fn compile(compiler: &str, args: &[&str], what: &str) {
    let output = Command::new(compiler)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {compiler} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn include_flag() -> String {
    format!("-I{}", root().join("include").display())
}

fn public_headers() -> Vec<String> {
    let mut headers = Vec::new();
    for (dir, prefix) in [("include", ""), ("include/event2", "event2/")] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".h") {
                headers.push(format!("{prefix}{name}"));
            }
        }
    }
    headers.sort();
    headers
}

/// The struct sizes, field offsets and constants of `tests/abi/layout-2.2.1-x86_64.txt`,
/// printed by a C program compiled against `include/`, must be the file's own lines.
#[test]
#[cfg(target_arch = "x86_64")]
fn layout_matches_libevent_2_2_1() {
    let expected =
        std::fs::read_to_string(root().join("tests/abi/layout-2.2.1-x86_64.txt")).unwrap();
    let probe = layout_probe::source(&expected);

    let dir = scratch("layout");
    let source = dir.join("probe.c");
    let binary = dir.join("probe");
    std::fs::write(&source, probe).unwrap();
    compile(
        "cc",
        &[
            &include_flag(),
            source.to_str().unwrap(),
            "-o",
            binary.to_str().unwrap(),
        ],
        "layout probe",
    );
    let output = Command::new(&binary).output().unwrap();
    let actual = String::from_utf8(output.stdout).unwrap();
    let differences = layout_probe::differences(&expected, &actual);
    assert!(
        differences.is_empty(),
        "layout differs:\n{}",
        differences.join("\n")
    );
}

/// Public symbol -> (header, library), from `tests/abi/libevent-2.2.1-api.tsv`.
fn api() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(root().join("tests/abi/libevent-2.2.1-api.tsv")).unwrap();
    let mut api: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let [symbol, header, library]: [&str; 3] = line
            .split('\t')
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_else(|_| panic!("bad api line: {line}"));
        api.entry(symbol.to_owned())
            .or_insert_with(|| (header.to_owned(), BTreeSet::new()))
            .1
            .insert(library.to_owned());
    }
    api
}

/// Functions libevent exports from a library without declaring them in any header
/// (its own regression suite declares and calls them), with that library.
fn undeclared_libevent_export(symbol: &str) -> Option<&'static str> {
    matches!(
        symbol,
        "evtag_encode_tag" | "evtag_decode_tag" | "evtag_decode_int" | "evtag_decode_int64"
    )
    .then_some("extra")
}

/// The private interface libevent_core exports for its sibling libraries
/// (capi/src/sibling.rs): upstream's own names for the memory functions, and ours.
fn is_sibling_interface(symbol: &str) -> bool {
    symbol.starts_with("evrs_sibling_")
        || matches!(
            symbol,
            "event_mm_malloc_"
                | "event_mm_calloc_"
                | "event_mm_realloc_"
                | "event_mm_free_"
                | "event_mm_strdup_"
        )
}

/// The symbols of a built library's full symbol table (local ones included),
/// demangled: `(kind letter, name)`.
fn all_symbols(library: &str) -> Vec<(char, String)> {
    let path = libdir().join(format!("lib{library}.so"));
    let output = Command::new("nm")
        .args(["--demangle", "--format=posix"])
        .arg(&path)
        .output()
        .expect("nm runs");
    assert!(output.status.success(), "nm {}", path.display());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            // "NAME KIND VALUE SIZE"; demangled names may hold spaces, the kind is the
            // second field from the right end that is a single letter.
            let fields: Vec<&str> = line.split(' ').collect();
            let kind_at = fields.iter().rposition(|f| f.len() == 1)?;
            let kind = fields[kind_at].chars().next()?;
            Some((kind, fields[..kind_at].join(" ")))
        })
        .collect()
}

/// One core per process: libevent_extra reaches the core only through
/// libevent_core's exported symbols. It defines none of them, holds no code of the
/// core crates (its full symbol table, local symbols included, names none), imports
/// the core's functions, and is linked against libevent_core.
#[test]
fn extra_holds_no_copy_of_the_core() {
    holds_no_copy_of_the_core(
        "event_extra",
        "evrs_extra::",
        &[
            "event_mm_malloc_",
            "event_mm_free_",
            "bufferevent_socket_new",
            "evbuffer_add",
        ],
    );
}

/// The same for libevent_openssl, whose TLS bufferevents are a kind of the core's
/// made through the sibling interface.
#[test]
fn openssl_holds_no_copy_of_the_core() {
    holds_no_copy_of_the_core(
        "event_openssl",
        "evrs_tls_bev::",
        &[
            "event_mm_malloc_",
            "evrs_sibling_bufferevent_new_foreign",
            "bufferevent_free",
            "evbuffer_add",
        ],
    );
}

/// And for libevent_mbedtls.
#[test]
fn mbedtls_holds_no_copy_of_the_core() {
    holds_no_copy_of_the_core(
        "event_mbedtls",
        "evrs_tls_bev::",
        &[
            "event_mm_malloc_",
            "evrs_sibling_bufferevent_new_foreign",
            "bufferevent_free",
            "evbuffer_add",
        ],
    );
}

fn holds_no_copy_of_the_core(library: &str, own_code: &str, needed: &[&str]) {
    let core_exports = exports("event_core");
    let sibling_exports = exports(library);
    let shared: Vec<_> = core_exports.intersection(&sibling_exports).collect();
    assert!(
        shared.is_empty(),
        "lib{library} defines core symbols: {shared:?}"
    );

    let symbols = all_symbols(library);
    assert!(
        symbols.iter().any(|(_, name)| name.starts_with(own_code)),
        "lib{library}.so has no symbol table to check (stripped?)"
    );
    let core_code: Vec<_> = symbols
        .iter()
        .filter(|(kind, _)| !matches!(kind, 'U' | 'w' | 'v'))
        .filter(|(_, name)| {
            [
                "evrs::",
                "evrs_capi::",
                "evrs_backends::",
                "<evrs::",
                "<evrs_capi::",
            ]
            .iter()
            .any(|core| name.starts_with(core))
        })
        .map(|(_, name)| name)
        .collect();
    assert!(
        core_code.is_empty(),
        "lib{library}.so holds code of the core crates: {:?}",
        &core_code[..core_code.len().min(10)]
    );

    let imported: BTreeSet<String> = symbols
        .iter()
        .filter(|(kind, _)| *kind == 'U')
        .map(|(_, name)| name.split('@').next().unwrap_or_default().to_owned())
        .collect();
    for needed in needed {
        assert!(
            imported.contains(*needed),
            "lib{library}.so does not import {needed} from libevent_core"
        );
    }
    let dynamic = Command::new("readelf")
        .args(["-d"])
        .arg(libdir().join(format!("lib{library}.so")))
        .output()
        .expect("readelf runs");
    assert!(
        String::from_utf8_lossy(&dynamic.stdout).contains("[libevent_core-2.2.so.1]"),
        "lib{library}.so is not linked against libevent_core"
    );
}

/// The dynamic symbols a built library defines.
fn exports(library: &str) -> BTreeSet<String> {
    let path = libdir().join(format!("lib{library}.so"));
    let output = Command::new("nm")
        .args(["-D", "--defined-only", "--format=posix"])
        .arg(&path)
        .output()
        .expect("nm runs");
    assert!(output.status.success(), "nm {}", path.display());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Every C symbol must come from exactly the library libevent puts it in; libevent.so
/// is core + extra; `docs/API-STATUS.md` lists exactly what is exported; and every
/// exported symbol is used by at least one C test.
#[test]
fn exports_match_api_status() {
    let api = api();
    let libraries = ["core", "extra", "pthreads", "openssl", "mbedtls"];
    let mut exported: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for library in libraries {
        let symbols = exports(&format!("event_{library}"));
        for symbol in &symbols {
            if is_sibling_interface(symbol) {
                if library != "core" {
                    problems.push(format!(
                        "libevent_{library} exports {symbol}, which only libevent_core \
                         offers to its siblings"
                    ));
                }
                continue;
            }
            if let Some(home) = undeclared_libevent_export(symbol) {
                if home != library {
                    problems.push(format!(
                        "libevent_{library} exports {symbol}, which libevent puts in {home}"
                    ));
                }
                continue;
            }
            match api.get(symbol) {
                Some((_, libs)) if libs.contains(library) => {}
                Some((_, libs)) => problems.push(format!(
                    "libevent_{library} exports {symbol}, which libevent puts in {libs:?}"
                )),
                None => problems.push(format!(
                    "libevent_{library} exports {symbol}, which is not libevent 2.2.1 API"
                )),
            }
        }
        exported.insert(library, symbols);
    }
    let combined: BTreeSet<String> = exported["core"]
        .union(&exported["extra"])
        .cloned()
        .collect();
    let libevent = exports("event");
    if libevent != combined {
        problems.push(format!(
            "libevent.so differs from core + extra: only in libevent.so {:?}, missing {:?}",
            libevent.difference(&combined).collect::<Vec<_>>(),
            combined.difference(&libevent).collect::<Vec<_>>()
        ));
    }

    let tests_text: String = std::fs::read_dir(root().join("c-tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let words: BTreeSet<&str> = tests_text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    for symbols in exported.values() {
        for symbol in symbols {
            if !words.contains(symbol.as_str()) && !is_sibling_interface(symbol) {
                problems.push(format!("{symbol} is exported but no C test uses it"));
            }
        }
    }

    let status = api_status(&api, &exported);
    let path = root().join("docs/API-STATUS.md");
    if std::env::var("EVRS_UPDATE_API_STATUS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &status).unwrap();
    } else {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != status {
            problems.push(
                "docs/API-STATUS.md does not match the built libraries; \
                 regenerate it with EVRS_UPDATE_API_STATUS=1"
                    .to_owned(),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Renders docs/API-STATUS.md from the exports.
fn api_status(
    api: &BTreeMap<String, (String, BTreeSet<String>)>,
    exported: &BTreeMap<&str, BTreeSet<String>>,
) -> String {
    let done = |symbol: &str, libs: &BTreeSet<String>| {
        libs.iter().all(|l| exported[l.as_str()].contains(symbol))
    };
    let mut by_header: BTreeMap<&str, Vec<(&str, &BTreeSet<String>)>> = BTreeMap::new();
    for (symbol, (header, libs)) in api {
        by_header.entry(header).or_default().push((symbol, libs));
    }
    let total = api.len();
    let implemented = api.iter().filter(|(s, (_, l))| done(s, l)).count();

    let mut out = String::new();
    out.push_str("# API status\n\n");
    out.push_str(
        "Which of libevent 2.2.1's public functions this project exports. A function is\n\
         listed as implemented only when every library that libevent puts it in exports it,\n\
         it is fully implemented, and a C test in `c-tests/` uses it; anything else is not\n\
         exported at all. This file is generated by `tests/abi.rs` from the built libraries\n\
         (`EVRS_UPDATE_API_STATUS=1 make check` rewrites it) and the test fails when it\n\
         is out of date.\n\n",
    );
    writeln!(out, "Implemented: **{implemented} of {total}**.\n").unwrap();
    out.push_str("| header | library | implemented | of |\n|---|---|---:|---:|\n");
    for (header, symbols) in &by_header {
        let libs: BTreeSet<&str> = symbols
            .iter()
            .flat_map(|(_, l)| l.iter().map(String::as_str))
            .collect();
        let count = symbols.iter().filter(|(s, l)| done(s, l)).count();
        let libs: Vec<&str> = libs.into_iter().collect();
        writeln!(
            out,
            "| `{header}` | {} | {count} | {} |",
            libs.join(", "),
            symbols.len()
        )
        .unwrap();
    }
    for (header, symbols) in &by_header {
        writeln!(out, "\n## `{header}`\n").unwrap();
        for (symbol, libs) in symbols {
            let mark = if done(symbol, libs) { "x" } else { " " };
            writeln!(out, "- [{mark}] `{symbol}`").unwrap();
        }
    }
    out
}

/// cbindgen's declarations of every export of capi, libevent_extra, libevent_openssl and
/// libevent_mbedtls compile in one translation unit with all public headers: a Rust
/// signature that disagrees with its header is an error.
#[test]
fn capi_signatures_match_headers() {
    let generated = Path::new(env!("OUT_DIR")).join("capi_exports.h");
    let dir = scratch("signatures");
    let source = dir.join("all.c");
    let mut text = String::from("#include <stdint.h>\n#include <stddef.h>\n#include <stdbool.h>\n");
    for header in public_headers() {
        writeln!(text, "#include <{header}>").unwrap();
    }
    writeln!(text, "#include \"{}\"", generated.display()).unwrap();
    let extra = Path::new(env!("OUT_DIR")).join("extra_exports.h");
    writeln!(text, "#include \"{}\"", extra.display()).unwrap();
    let openssl = Path::new(env!("OUT_DIR")).join("openssl_exports.h");
    writeln!(text, "#include \"{}\"", openssl.display()).unwrap();
    let mbedtls = Path::new(env!("OUT_DIR")).join("mbedtls_exports.h");
    writeln!(text, "#include \"{}\"", mbedtls.display()).unwrap();
    std::fs::write(&source, text).unwrap();
    compile(
        "cc",
        &[
            "-fsyntax-only",
            "-std=c11",
            "-Wall",
            "-Werror",
            "-Wno-deprecated-declarations",
            // `T *p[2]` in a header and `T **p` from Rust are the same parameter type.
            "-Wno-array-parameter",
            &include_flag(),
            source.to_str().unwrap(),
        ],
        "capi declarations against include/",
    );
}

/// Each public header compiles on its own, in C and in C++.
#[test]
fn headers_stand_alone() {
    let dir = scratch("headers");
    for header in public_headers() {
        let stem = header.replace(['/', '.'], "_");
        let c = dir.join(format!("{stem}.c"));
        std::fs::write(
            &c,
            format!("#include <{header}>\ntypedef int translation_unit_not_empty;\n"),
        )
        .unwrap();
        compile(
            "cc",
            &[
                "-fsyntax-only",
                "-std=c99",
                "-pedantic",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Wno-deprecated-declarations",
                &include_flag(),
                c.to_str().unwrap(),
            ],
            &header,
        );
        let cpp = dir.join(format!("{stem}.cpp"));
        std::fs::write(
            &cpp,
            format!("#include <{header}>\nextern \"C\" int probe(void);\n"),
        )
        .unwrap();
        compile(
            "c++",
            &[
                "-fsyntax-only",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Wno-deprecated-declarations",
                &include_flag(),
                cpp.to_str().unwrap(),
            ],
            &header,
        );
    }
}
