//! Debian's unchanged memcached, linked against libevent-2.1.so.7, runs on the build
//! with libevent 2.1's binary interface (`make ABI=2.1`, in `$EVRS_LIBDIR_21`, default
//! `build/lib-2.1`): memcached's conformance tool `memccapable` passes against it
//! (ASCII and binary protocols), and a short `memcaslap` load completes.
//!
//! Passes with a note when memcached or libmemcached-tools is not installed or there
//! is no 2.1 build, except under `CI=true`, where .ci/run installs them: there a
//! missing program fails.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The library memcached links (core and extra in one).
const LIBRARY: &str = "libevent-2.1.so.7";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

/// The 2.1 build, or None (with a note) when there is none and none was asked for.
fn libdir() -> Option<PathBuf> {
    let (dir, required) = match std::env::var_os("EVRS_LIBDIR_21") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (root().join("build/lib-2.1"), false),
    };
    if dir.join(LIBRARY).exists() {
        return Some(dir);
    }
    assert!(!required, "EVRS_LIBDIR_21={}: no 2.1 build", dir.display());
    eprintln!("note: no 2.1 build in {}; memcached not run", dir.display());
    None
}

/// A program on PATH, or None with a note (a failure under CI).
fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    assert!(
        found.is_some() || !in_ci(),
        "{name} is not installed (.ci/run installs memcached and libmemcached-tools)"
    );
    if found.is_none() {
        eprintln!("note: {name} is not installed; memcached not run");
    }
    found
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// True when the process maps the 2.1 build's libevent.
fn maps_our_library(pid: u32, libdir: &Path) -> bool {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let ours = libdir.join(LIBRARY).canonicalize().unwrap();
    let ours = ours.to_string_lossy();
    maps.lines().any(|line| line.ends_with(ours.as_ref()))
}

/// memcached on the 2.1 build; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(memcached: &Path, libdir: &Path, port: u16) -> Server {
    let child = Command::new(memcached)
        .args([
            "-l",
            "127.0.0.1",
            "-U",
            "0",
            "-t",
            "2",
            "-u",
            "nobody",
            "-p",
        ])
        .arg(port.to_string())
        .env("LD_LIBRARY_PATH", libdir)
        .stdin(Stdio::null())
        .spawn()
        .expect("memcached starts");
    let server = Server(child);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "memcached does not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// Runs a client program with a time limit (coreutils' timeout); its output.
fn run(program: &Path, args: &[String]) -> String {
    let output = Command::new("timeout")
        .arg("120")
        .arg(program)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("the client runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{} failed ({}):\n{text}",
        program.display(),
        output.status
    );
    text
}

#[test]
fn memcached_runs_on_the_2_1_build() {
    let (Some(libdir), Some(memcached), Some(capable), Some(load)) = (
        libdir(),
        program("memcached"),
        program("memccapable"),
        program("memcaslap"),
    ) else {
        return;
    };
    let port = free_port();
    let mut server = start(&memcached, &libdir, port);
    assert!(
        maps_our_library(server.0.id(), &libdir),
        "memcached did not load the 2.1 build's {LIBRARY}"
    );

    let conformance = run(
        &capable,
        &[
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-t".into(),
            "10".into(),
        ],
    );
    assert!(
        conformance.contains("All tests passed"),
        "memccapable:\n{conformance}"
    );

    let load_report = run(
        &load,
        &[
            "-s".into(),
            format!("127.0.0.1:{port}"),
            "-T".into(),
            "2".into(),
            "-c".into(),
            "16".into(),
            "-x".into(),
            "20000".into(),
        ],
    );
    assert!(
        load_report.contains("Ops: 20000"),
        "memcaslap did not complete its operations:\n{load_report}"
    );

    // Still serving after both.
    assert!(server.0.try_wait().unwrap().is_none(), "memcached exited");
}
