//! `make install` into a temporary prefix gives what libevent 2.2.1's install gives, and
//! a small C consumer builds and runs against it through pkg-config and through CMake.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const LIBRARIES: &[&str] = &[
    "event",
    "event_core",
    "event_extra",
    "event_pthreads",
    "event_openssl",
    "event_mbedtls",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Installs once for all tests of this file; returns the prefix.
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let prefix = root().join("target/install-test/prefix");
        let _ = std::fs::remove_dir_all(&prefix);
        // The libraries are already built (`make check` builds them first); CARGO=true
        // keeps make from starting a second cargo while this one holds the build lock.
        run(Command::new("make")
            .current_dir(root())
            .arg("install")
            .arg("ABI=2.2")
            .arg(format!("PREFIX={}", prefix.display()))
            .arg("CARGO=true"));
        prefix
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/install-test").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn consumer_source() -> PathBuf {
    root().join("tests/consumer/main.c")
}

fn pkg_config(args: &[&str]) -> Vec<String> {
    let out = run(Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig"))
        .env_remove("PKG_CONFIG_LIBDIR")
        .args(args));
    out.split_whitespace().map(str::to_owned).collect()
}

/// The consumer's output, checking it loaded the installed library.
fn run_consumer(binary: &Path) {
    let out = run(Command::new(binary).env_remove("LD_LIBRARY_PATH"));
    assert_eq!(out, "libevent 2.2.1-alpha\n");
}

#[test]
fn installs_headers_libraries_and_package_files() {
    let prefix = prefix();
    for header in std::fs::read_dir(root().join("include/event2")).unwrap() {
        let name = header.unwrap().file_name();
        assert!(
            prefix.join("include/event2").join(&name).exists(),
            "{name:?} installed"
        );
    }
    for legacy in ["event.h", "evdns.h", "evhttp.h", "evrpc.h", "evutil.h"] {
        assert!(
            prefix.join("include").join(legacy).exists(),
            "{legacy} installed"
        );
    }
    let lib = prefix.join("lib");
    for name in LIBRARIES {
        let real = format!("lib{name}-2.2.so.1.0.0");
        let soname = format!("lib{name}-2.2.so.1");
        assert!(lib.join(&real).is_file(), "{real}");
        assert_eq!(
            std::fs::read_link(lib.join(&soname)).unwrap(),
            Path::new(&real)
        );
        assert_eq!(
            std::fs::read_link(lib.join(format!("lib{name}.so"))).unwrap(),
            Path::new(&real)
        );
        assert!(lib.join(format!("lib{name}.a")).is_file());
        assert!(lib.join(format!("pkgconfig/lib{name}.pc")).is_file());
        let dynamic = run(Command::new("readelf").arg("-d").arg(lib.join(&real)));
        assert!(
            dynamic.contains(&format!("Library soname: [{soname}]")),
            "{real}: {dynamic}"
        );
    }
    assert!(lib.join("cmake/libevent/LibeventConfig.cmake").is_file());
    assert!(lib
        .join("cmake/libevent/LibeventConfigVersion.cmake")
        .is_file());
}

#[test]
fn pkg_config_files_match_libevent() {
    let libs = |name: &str| pkg_config(&["--libs-only-l", name]);
    assert_eq!(libs("libevent"), ["-levent_core", "-levent_extra"]);
    assert_eq!(libs("libevent_core"), ["-levent_core"]);
    assert_eq!(libs("libevent_extra"), ["-levent_extra", "-levent_core"]);
    assert_eq!(
        libs("libevent_pthreads"),
        ["-levent_pthreads", "-levent_core"]
    );
    assert_eq!(
        libs("libevent_openssl"),
        ["-levent_openssl", "-levent_core"]
    );
    assert_eq!(
        libs("libevent_mbedtls"),
        ["-levent_mbedtls", "-levent_core"]
    );
    assert_eq!(pkg_config(&["--modversion", "libevent"]), ["2.2.1"]);
}

#[test]
fn consumer_builds_with_pkg_config() {
    let dir = scratch("pkg-config");
    for package in ["libevent", "libevent_core"] {
        let binary = dir.join(package);
        let mut flags = pkg_config(&["--cflags", "--libs", package]);
        // Installed outside the loader's path, so the binary says where to look.
        flags.push(format!("-Wl,-rpath,{}", prefix().join("lib").display()));
        run(Command::new("cc")
            .arg(consumer_source())
            .arg("-o")
            .arg(&binary)
            .args(&flags));
        run_consumer(&binary);
        let needed = run(Command::new("ldd").arg(&binary));
        assert!(
            needed.contains(&prefix().join("lib").display().to_string()),
            "{needed}"
        );
        for tls in ["libssl", "libcrypto", "libmbed"] {
            assert!(
                !needed.contains(tls),
                "{package} consumer needs {tls}:\n{needed}"
            );
        }
    }
}

#[test]
fn consumer_links_statically() {
    let dir = scratch("static");
    let binary = dir.join("consumer");
    let mut flags = pkg_config(&["--cflags", "--static", "--libs", "libevent_core"]);
    // Take libevent_core from its archive and everything else as usual.
    for flag in &mut flags {
        if flag == "-levent_core" {
            *flag = prefix().join("lib/libevent_core.a").display().to_string();
        }
    }
    run(Command::new("cc")
        .arg(consumer_source())
        .arg("-o")
        .arg(&binary)
        .args(&flags));
    let needed = run(Command::new("readelf").arg("-d").arg(&binary));
    assert!(!needed.contains("libevent"), "linked statically: {needed}");
    run_consumer(&binary);
}

#[test]
fn consumer_builds_with_cmake() {
    for components in ["core;extra", "core", "core;extra;pthreads;openssl;mbedtls"] {
        let dir = scratch(&format!("cmake-{}", components.replace(';', "-")));
        run(Command::new("cmake")
            .arg("-S")
            .arg(root().join("tests/consumer"))
            .arg("-B")
            .arg(&dir)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix().display()))
            .arg(format!("-DLIBEVENT_COMPONENTS={components}")));
        run(Command::new("cmake").arg("--build").arg(&dir));
        run_consumer(&dir.join("consumer"));
    }
}

#[test]
fn cmake_refuses_a_newer_version() {
    let dir = scratch("cmake-version");
    std::fs::write(
        dir.join("CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.10)\nproject(v C)\nfind_package(Libevent 2.3 QUIET)\n\
         if(Libevent_FOUND)\n  message(FATAL_ERROR \"2.3 accepted\")\nendif()\n\
         find_package(Libevent 2.1 REQUIRED COMPONENTS core)\n",
    )
    .unwrap();
    run(Command::new("cmake")
        .arg("-S")
        .arg(&dir)
        .arg("-B")
        .arg(dir.join("build"))
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix().display())));
}

#[test]
fn core_libraries_need_no_tls_library() {
    let lib = prefix().join("lib");
    for name in ["event", "event_core", "event_extra", "event_pthreads"] {
        let needed = run(Command::new("ldd").arg(lib.join(format!("lib{name}.so"))));
        for tls in ["libssl", "libcrypto", "libmbed"] {
            assert!(!needed.contains(tls), "lib{name}.so needs {tls}:\n{needed}");
        }
    }
}

#[test]
fn installed_generator_builds_messages() {
    let dir = scratch("rpcgen");
    let generator = prefix().join("bin/event_rpcgen.py");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&generator)
            .expect("bin/event_rpcgen.py installed")
            .permissions(),
    );
    assert_eq!(mode & 0o111, 0o111, "event_rpcgen.py is executable");
    // Run as a program (its #! line), with the default output names beside the input.
    let rpc = dir.join("wire_rpcgen.rpc");
    std::fs::copy(root().join("c-tests/wire_rpcgen.rpc"), &rpc).unwrap();
    run(Command::new(&generator).arg("--quiet").arg(&rpc));
    let binary = dir.join("wire_rpcgen");
    let mut flags = pkg_config(&["--cflags", "--libs", "libevent_extra"]);
    flags.push(format!("-Wl,-rpath,{}", prefix().join("lib").display()));
    run(Command::new("cc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-D_DEFAULT_SOURCE",
        ])
        .arg("-I")
        .arg(root().join("c-tests"))
        .arg("-I")
        .arg(&dir)
        .arg(root().join("c-tests/wire_rpcgen.c"))
        .arg(dir.join("wire_rpcgen.gen.c"))
        .arg("-o")
        .arg(&binary)
        .args(&flags));
    run(Command::new(&binary).env_remove("LD_LIBRARY_PATH"));
}
