//! Checks of the build with libevent 2.1.12's binary interface (`make ABI=2.1`), the
//! drop-in for programs built against Debian's libevent-2.1.so.7: the 2.1 layouts and
//! constants, the fields as the library reads and writes them, the exports of each
//! library against Debian's, the file names and SONAMEs, and what its install puts in
//! a prefix.
//!
//! The libraries are in `$EVRS_LIBDIR_21` (default `build/lib-2.1`). When that variable
//! is unset and there is no 2.1 build, the checks that need one pass with a note, so
//! that `cargo test` works without `make ABI=2.1`; `make check` sets the variable.
//! The layout checks compile against the system's libevent 2.1 headers (Debian's
//! libevent-dev), which 2.1 programs are built with, and pass with a note without them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "abi/layout_probe.rs"]
mod layout_probe;

/// The libraries of libevent 2.1 (no libevent_mbedtls) and their file names.
const LIBRARIES: &[&str] = &[
    "event",
    "event_core",
    "event_extra",
    "event_pthreads",
    "event_openssl",
];

fn soname(library: &str) -> String {
    format!("lib{library}-2.1.so.7")
}

fn file_name(library: &str) -> String {
    format!("lib{library}-2.1.so.7.0.1")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The 2.1 build, or None (with a note) when there is none and none was asked for.
fn libdir() -> Option<PathBuf> {
    let (dir, required) = match std::env::var_os("EVRS_LIBDIR_21") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (root().join("build/lib-2.1"), false),
    };
    if dir.join(soname("event_core")).exists() {
        return Some(dir);
    }
    assert!(
        !required,
        "EVRS_LIBDIR_21={}: no 2.1 build there (run `make ABI=2.1`)",
        dir.display()
    );
    eprintln!(
        "note: no 2.1 build in {}; run `make ABI=2.1` to check it",
        dir.display()
    );
    None
}

/// True when the system's libevent 2.1 headers are installed.
fn system_headers_present() -> bool {
    let present = Path::new("/usr/include/event2/event_struct.h").exists();
    if !present {
        eprintln!("note: no libevent 2.1 headers in /usr/include (Debian: libevent-dev)");
    }
    present
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/abi21-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(command: &mut Command) -> std::process::Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn run_ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The sizes, offsets and constants of `tests/abi/layout-2.1.12-x86_64.txt` are the
/// ones the libevent 2.1 headers define.
#[test]
#[cfg(target_arch = "x86_64")]
fn layout_file_is_libevent_2_1_12() {
    if !system_headers_present() {
        return;
    }
    let expected =
        std::fs::read_to_string(root().join("tests/abi/layout-2.1.12-x86_64.txt")).unwrap();
    let dir = scratch("layout");
    let source = dir.join("probe.c");
    let binary = dir.join("probe");
    std::fs::write(&source, layout_probe::source(&expected)).unwrap();
    run_ok(Command::new("cc").arg(&source).arg("-o").arg(&binary));
    let actual = run_ok(&mut Command::new(&binary));
    let differences = layout_probe::differences(&expected, &actual);
    assert!(
        differences.is_empty(),
        "libevent 2.1's headers differ from the layout file:\n{}",
        differences.join("\n")
    );
}

/// Runs the fields probe with `libdir` first on the library path (or with none), and
/// returns the library that answered.
fn run_fields_probe(binary: &Path, libdir: Option<&Path>) -> PathBuf {
    let mut command = Command::new(binary);
    command.env_remove("LD_LIBRARY_PATH");
    if let Some(dir) = libdir {
        command.env("LD_LIBRARY_PATH", dir);
    }
    let output = run(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tests/abi/fields-2.1.c on {}:\n{stdout}{}",
        libdir.map_or("the system's libevent".into(), |d| d.display().to_string()),
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(stdout.lines().next().unwrap_or_default())
}

/// A program built against libevent 2.1's headers finds every public field of struct
/// event and struct bufferevent where those headers put it, 2.1.12's version and struct
/// event size, on our library as on libevent's own (when installed).
#[test]
fn library_keeps_the_fields_where_2_1_headers_put_them() {
    let Some(libdir) = libdir() else { return };
    if !system_headers_present() {
        return;
    }
    let dir = scratch("fields");
    let binary = dir.join("fields");
    // Linked by SONAME, as a Debian binary is: the same file runs on either library.
    run_ok(
        Command::new("cc")
            .arg("-Wall")
            .arg(root().join("tests/abi/fields-2.1.c"))
            .arg("-o")
            .arg(&binary)
            .arg(format!("-L{}", libdir.display()))
            .arg(format!("-l:{}", soname("event_core"))),
    );
    let answered = run_fields_probe(&binary, Some(&libdir));
    assert_eq!(
        answered.canonicalize().ok(),
        libdir.join(soname("event_core")).canonicalize().ok(),
        "the probe did not run on the 2.1 build"
    );
    // The same checks hold on libevent 2.1.12 itself: they test its contract.
    if system_libevent_core_present() {
        let answered = run_fields_probe(&binary, None);
        assert!(!answered.starts_with(&libdir));
    }
}

/// True when the system's libevent_core-2.1.so.7 is installed.
fn system_libevent_core_present() -> bool {
    ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
        .iter()
        .any(|dir| Path::new(dir).join(soname("event_core")).exists())
}

/// The dynamic symbols a library of the 2.1 build defines.
fn exports(libdir: &Path, library: &str) -> BTreeSet<String> {
    let stdout = run_ok(
        Command::new("nm")
            .args(["-D", "--defined-only", "--format=posix"])
            .arg(libdir.join(soname(library))),
    );
    stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|name| name.split('@').next().unwrap_or(name).to_owned())
        .collect()
}

/// Library -> the public symbols Debian's libevent 2.1.12 exports from it, from
/// `tests/abi/libevent-2.1.12-exports.tsv`: the dynamic symbols of each of Debian's
/// libraries that its public headers (/usr/include/event2, /usr/include/ev*.h) name.
/// libevent-2.1.so.7 is libevent_core and libevent_extra together.
fn debian_exports() -> BTreeMap<String, BTreeSet<String>> {
    let text =
        std::fs::read_to_string(root().join("tests/abi/libevent-2.1.12-exports.tsv")).unwrap();
    let mut by_library: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let (symbol, library) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("bad exports line: {line}"));
        by_library
            .entry(format!("event_{library}"))
            .or_default()
            .insert(symbol.to_owned());
    }
    let combined = by_library["event_core"]
        .union(&by_library["event_extra"])
        .cloned()
        .collect();
    by_library.insert("event".to_owned(), combined);
    by_library
}

/// Functions outside libevent's public headers that code generated by libevent 2.1's
/// event_rpcgen.py calls, with the library Debian exports them from.
const CALLED_BY_GENERATED_CODE: &[(&str, &str)] =
    &[("event_warn", "event_core"), ("event_warnx", "event_core")];

/// Every public symbol Debian's 2.1.12 exports is exported by the 2.1 build, from the
/// same library; none of them from a library Debian does not put it in. So are the
/// functions that generated RPC code calls.
#[test]
fn exports_include_debians() {
    let Some(libdir) = libdir() else { return };
    let mut expected = debian_exports();
    for (symbol, library) in CALLED_BY_GENERATED_CODE {
        for home in [*library, "event"] {
            expected.get_mut(home).unwrap().insert((*symbol).to_owned());
        }
    }
    let mut problems = Vec::new();
    for library in LIBRARIES {
        let ours = exports(&libdir, library);
        for symbol in expected[*library].difference(&ours) {
            problems.push(format!("{} does not export {symbol}", soname(library)));
        }
        for (home, symbols) in &expected {
            if home == library || *library == "event" || home == "event" {
                continue;
            }
            for symbol in symbols.intersection(&ours) {
                if !expected[*library].contains(symbol) {
                    problems.push(format!(
                        "{} exports {symbol}, which libevent 2.1 puts in {}",
                        soname(library),
                        soname(home)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The committed export list is what the installed Debian libraries and headers give.
#[test]
fn export_list_is_debians() {
    let system = Path::new("/usr/lib/x86_64-linux-gnu");
    if !system.join(soname("event_core")).exists() || !system_headers_present() {
        eprintln!("note: no Debian libevent 2.1 to compare the export list with");
        return;
    }
    let mut words = BTreeSet::new();
    for dir in ["/usr/include/event2", "/usr/include"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let is_header =
                name.ends_with(".h") && (dir.ends_with("event2") || name.starts_with("ev"));
            if !is_header || !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            words.extend(
                text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map(str::to_owned),
            );
        }
    }
    let expected = debian_exports();
    for library in LIBRARIES {
        let public: BTreeSet<String> = exports(system, library)
            .intersection(&words)
            .cloned()
            .collect();
        assert_eq!(
            public,
            expected[*library],
            "tests/abi/libevent-2.1.12-exports.tsv differs from Debian's {}",
            soname(library)
        );
    }
}

/// The `NEEDED` and `SONAME` entries of a library's dynamic section.
fn dynamic_entries(path: &Path) -> (Vec<String>, Option<String>) {
    let stdout = run_ok(Command::new("readelf").arg("-d").arg(path));
    let bracketed = |line: &str| {
        let start = line.find('[')? + 1;
        let end = line.rfind(']')?;
        Some(line[start..end].to_owned())
    };
    let needed = stdout
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(bracketed)
        .collect();
    let soname = stdout
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .and_then(bracketed);
    (needed, soname)
}

/// File names, SONAMEs and links as Debian's; the libraries that call libevent_core
/// load the 2.1 one, and nothing loads a 2.2 library.
#[test]
fn names_are_debians() {
    let Some(libdir) = libdir() else { return };
    for library in LIBRARIES {
        let real = libdir.join(file_name(library));
        assert!(real.is_file(), "{} is missing", real.display());
        let link = std::fs::read_link(libdir.join(soname(library))).unwrap();
        assert_eq!(link, Path::new(&file_name(library)));
        let (needed, name) = dynamic_entries(&real);
        assert_eq!(name, Some(soname(library)));
        let needs_core = matches!(*library, "event_extra" | "event_pthreads" | "event_openssl");
        assert_eq!(
            needed.contains(&soname("event_core")),
            needs_core,
            "{}: NEEDED {needed:?}",
            soname(library)
        );
        assert!(
            !needed.iter().any(|n| n.contains("-2.2.so")),
            "{} loads a 2.2 library: {needed:?}",
            soname(library)
        );
    }
}

/// Every regular file and link under `dir`, relative to it, with its contents (a link's
/// target).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                files.insert(relative, target.to_string_lossy().as_bytes().to_vec());
            } else {
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn make_install(prefix: &Path, abi: &str) {
    // The libraries are already built; CARGO=true keeps make from starting a second
    // cargo while this one holds the build lock.
    run_ok(
        Command::new("make")
            .current_dir(root())
            .arg("install")
            .arg(format!("ABI={abi}"))
            .arg(format!("PREFIX={}", prefix.display()))
            .arg("CARGO=true"),
    );
}

/// `make install ABI=2.1` installs the shared libraries and their SONAME links only, and
/// into a prefix that holds a 2.2 install (when that build exists too) changes none of
/// its files.
#[test]
fn install_is_the_runtime_files_only() {
    let Some(_) = libdir() else { return };
    let prefix = scratch("install").join("prefix");
    make_install(&prefix, "2.1");
    let installed: BTreeSet<PathBuf> = tree(&prefix).into_keys().collect();
    let expected: BTreeSet<PathBuf> = LIBRARIES
        .iter()
        .flat_map(|l| [file_name(l), soname(l)])
        .map(|name| Path::new("lib").join(name))
        .collect();
    assert_eq!(installed, expected);

    if !root().join("build/lib/libevent_core.so").exists() {
        eprintln!("note: no 2.2 build; the install beside a 2.2 install is not checked");
        return;
    }
    let shared = scratch("install-beside-2.2").join("prefix");
    make_install(&shared, "2.2");
    let before = tree(&shared);
    make_install(&shared, "2.1");
    let after = tree(&shared);
    for (path, contents) in &before {
        assert!(
            after.get(path) == Some(contents),
            "the 2.1 install changed {}",
            path.display()
        );
    }
    let added: BTreeSet<PathBuf> = after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .cloned()
        .collect();
    assert_eq!(added, expected);
}
