//! Debian's unchanged tmux, which is linked against libevent_core-2.1.so.7 and reads
//! `struct bufferevent` fields directly, runs on the build with libevent 2.1's binary
//! interface (`make ABI=2.1`, in `$EVRS_LIBDIR_21`, default `build/lib-2.1`): a server
//! with a session, keys typed into a pane and read back, a second window, and a
//! control-mode client.
//!
//! Passes with a note when tmux is not installed or there is no 2.1 build (unless
//! `EVRS_LIBDIR_21` names one).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const CORE: &str = "libevent_core-2.1.so.7";

/// The 2.1 build, or None (with a note) when there is none and none was asked for.
fn libdir() -> Option<PathBuf> {
    let (dir, required) = match std::env::var_os("EVRS_LIBDIR_21") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (root().join("build/lib-2.1"), false),
    };
    if dir.join(CORE).exists() {
        return Some(dir);
    }
    assert!(!required, "EVRS_LIBDIR_21={}: no 2.1 build", dir.display());
    eprintln!("note: no 2.1 build in {}; tmux not run", dir.display());
    None
}

/// The tmux binary, when one is installed that loads libevent 2.1's core library.
fn tmux() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("tmux"))
        .find(|candidate| candidate.is_file());
    let Some(tmux) = found else {
        eprintln!("note: tmux is not installed; not run");
        return None;
    };
    let ldd = Command::new("ldd").arg(&tmux).output().ok()?;
    if !String::from_utf8_lossy(&ldd.stdout).contains(CORE) {
        eprintln!(
            "note: {} is not linked against {CORE}; not run",
            tmux.display()
        );
        return None;
    }
    Some(tmux)
}

/// A tmux server on a private socket, running on the 2.1 build; killed when dropped.
struct Server {
    tmux: PathBuf,
    libdir: PathBuf,
    socket: PathBuf,
}

impl Server {
    fn command(&self) -> Command {
        // coreutils' timeout: a tmux that hangs fails the test instead of stalling it.
        let mut command = Command::new("timeout");
        command
            .arg("20")
            .arg(&self.tmux)
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .env("LD_LIBRARY_PATH", &self.libdir)
            .env_remove("TMUX")
            .env("TERM", "xterm");
        command
    }

    fn run(&self, args: &[&str]) -> String {
        let output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_succeeded(&output, args);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Polls `tmux capture-pane` of `target` until it holds `text` `times` times.
    fn wait_for_pane(&self, target: &str, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pane = self.run(&["capture-pane", "-p", "-t", target]);
            if pane.matches(text).count() >= times {
                return pane;
            }
            assert!(
                Instant::now() < deadline,
                "pane {target} never showed {text:?} {times} times:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdin(Stdio::null())
            .output();
    }
}

fn assert_succeeded(output: &Output, args: &[&str]) {
    assert!(
        output.status.success(),
        "tmux {args:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scratch() -> PathBuf {
    let dir = root().join("target/abi21-tests/tmux");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// True when the process maps the 2.1 build's libevent_core.
fn maps_our_library(pid: &str, libdir: &Path) -> bool {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let ours = libdir
        .join(CORE)
        .canonicalize()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    maps.lines().any(|line| line.ends_with(&ours))
}

#[test]
fn tmux_runs_on_the_2_1_build() {
    let (Some(libdir), Some(tmux)) = (libdir(), tmux()) else {
        return;
    };
    let dir = scratch();
    let server = Server {
        tmux,
        libdir: libdir.clone(),
        socket: dir.join("socket"),
    };

    // A session whose pane echoes what is typed into it.
    server.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "80",
        "-y",
        "24",
        "cat",
    ]);
    let pid = server.run(&["display-message", "-p", "#{pid}"]);
    assert!(!pid.trim().is_empty(), "the tmux server gave no answer");
    assert!(
        maps_our_library(pid.trim(), &libdir),
        "the tmux server did not load the 2.1 build"
    );

    // Keys typed into the pane: the terminal echoes them and cat prints them again.
    server.run(&["send-keys", "-t", "t:0", "typed-into-the-pane", "Enter"]);
    server.wait_for_pane("t:0", "typed-into-the-pane", 2);

    // A second window, with its own pane.
    server.run(&["new-window", "-d", "-t", "t:1", "cat"]);
    let windows = server.run(&["list-windows", "-t", "t", "-F", "#{window_index}"]);
    assert_eq!(windows.lines().collect::<Vec<_>>(), ["0", "1"]);
    server.run(&["send-keys", "-t", "t:1", "second-window", "Enter"]);
    server.wait_for_pane("t:1", "second-window", 2);

    // A control-mode client: commands on its stdin, answers framed by %begin/%end;
    // it leaves when its stdin ends.
    let mut client = server
        .command()
        .args(["-C", "attach-session", "-t", "t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = client.stdin.take().unwrap();
        stdin
            .write_all(b"list-windows -F 'window #{window_index}'\ndisplay-message -p control-ok\n")
            .unwrap();
        // Give the commands time to be answered before the client detaches.
        std::thread::sleep(Duration::from_millis(500));
    }
    let output = client.wait_with_output().unwrap();
    assert_succeeded(&output, &["-C", "attach-session"]);
    let answer = String::from_utf8_lossy(&output.stdout);
    for expected in ["%begin", "%end", "window 0", "window 1", "control-ok"] {
        assert!(
            answer.contains(expected),
            "the control client's output lacks {expected:?}:\n{answer}"
        );
    }

    // The session survives its client and still takes keys.
    server.run(&["send-keys", "-t", "t:0", "after-the-client", "Enter"]);
    server.wait_for_pane("t:0", "after-the-client", 2);
}
