//! The io_uring poller against what the kernel does that epoll does not: a setup call
//! that fails, requests that hold their file, stale completions, completions beyond
//! the queue, wakeups for POLLRDHUP nobody asked for, fork and a change of thread.
//!
//! Tests that change the whole process (a seccomp filter, a fork) run in a child: the
//! test binary again, asked for that one test, with `CHILD_ENV` set.

#![cfg(target_os = "linux")]

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::{Duration, Instant};

use evrs_backends::uring::Uring;
use evrs_backends::{AnyPoller, Interest, Options, Poller, Readiness, METHODS};

mod support;

use support::{idle, raise_fd_limit, ready, NONE, READ, WRITE};

const CHILD_ENV: &str = "EVRS_URING_TEST_CHILD";

/// Runs `test` (this file's test of that name) alone in a child process with
/// `CHILD_ENV=mode`, and fails if it fails there.
fn run_in_child(test: &str, mode: &str) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{test} ({mode}) in a child:\n{text}"
    );
    // The child really ran the test, not an empty selection.
    assert!(text.contains("1 passed"), "{test} ({mode}):\n{text}");
}

fn child_mode() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// A new ring, or `None` (the test skips, saying so) on a kernel that refuses io_uring.
fn uring() -> Option<Uring> {
    Uring::new(&Options::default())
        .map_err(|err| support::io_uring_refused(&err))
        .ok()
}

/// Makes io_uring_setup fail with `errno` in this process from now on, as a seccomp
/// profile or `kernel.io_uring_disabled` does.
fn refuse_io_uring_setup(errno: u32) {
    let filter = [
        // The system call's number (struct seccomp_data starts with it).
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        // io_uring_setup: fail it; anything else: skip to "allow".
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: libc::SYS_io_uring_setup as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | (errno & libc::SECCOMP_RET_DATA),
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let program = libc::sock_fprog {
        len: filter.len() as libc::c_ushort,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: no_new_privs takes integer arguments; the filter program points to
    // `filter`, alive through the call (the kernel copies it).
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &program as *const libc::sock_fprog
            ),
            0,
            "seccomp: {}",
            io::Error::last_os_error()
        );
    }
}

/// Picks the first method that can be made, as the core's `Base::new` does, with
/// io_uring tried first.
fn first_usable_with_io_uring_first() -> &'static str {
    let names = std::iter::once("io_uring").chain(
        METHODS
            .iter()
            .map(|&(name, _)| name)
            .filter(|&name| name != "io_uring"),
    );
    for name in names {
        if let Ok(poller) = AnyPoller::new(name, &Options::default()) {
            return poller.name();
        }
    }
    panic!("no method");
}

#[test]
fn refused_setup_fails_cleanly_and_the_next_method_is_used() {
    match child_mode().as_deref() {
        None => {
            if uring().is_some() {
                assert_eq!(first_usable_with_io_uring_first(), "io_uring");
            }
            run_in_child(
                "refused_setup_fails_cleanly_and_the_next_method_is_used",
                "ENOSYS",
            );
            run_in_child(
                "refused_setup_fails_cleanly_and_the_next_method_is_used",
                "EPERM",
            );
        }
        Some(mode) => {
            let errno = if mode == "EPERM" {
                libc::EPERM
            } else {
                libc::ENOSYS
            };
            refuse_io_uring_setup(errno as u32);
            let err = Uring::new(&Options::default()).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(errno), "{err}");
            let err = AnyPoller::new("io_uring", &Options::default()).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(errno), "{err}");
            assert_eq!(first_usable_with_io_uring_first(), "epoll");
        }
    }
}

#[test]
fn cancelled_request_releases_the_file_of_a_closed_fd() {
    let (mut a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let Some(mut poller) = uring() else {
        return;
    };
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    // Closed without telling: the request keeps the socket open.
    drop(b);
    let mut byte = [0u8; 1];
    let err = a.read(&mut byte).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    // Told: the request is cancelled at once (no wait may come) and the socket
    // really closes.
    poller.change(fd, READ, NONE).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match a.read(&mut byte) {
            Ok(0) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => panic!("peer still open: {other:?}"),
        }
    }
    assert_eq!(idle(&mut poller), vec![]);
}

#[test]
fn completions_of_replaced_requests_are_ignored() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    // The request completes in the kernel, but the fd is removed before the next wait.
    a.write_all(b"x").unwrap();
    std::thread::sleep(Duration::from_millis(10));
    poller.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    // Watched for writing instead: only the new request's report counts.
    poller.change(fd, NONE, WRITE).unwrap();
    assert_eq!(idle(&mut poller), vec![(fd, Readiness::WRITE)]);
    poller.change(fd, WRITE, NONE).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
}

#[test]
fn write_interest_on_a_half_closed_socket_does_not_spin() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let chunk = [0u8; 4096];
    let mut queued = 0;
    loop {
        match b.write(&chunk) {
            Ok(n) => queued += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    // The peer stops writing: POLLRDHUP on `b`, which the kernel adds to every request.
    a.shutdown(Shutdown::Write).unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, WRITE).unwrap();
    let start = Instant::now();
    let mut early = 0;
    for _ in 0..10 {
        let round = Instant::now();
        assert_eq!(ready(&mut poller, Duration::from_millis(20)), vec![]);
        if round.elapsed() < Duration::from_millis(20) {
            early += 1;
        }
    }
    assert!(early <= 2, "{early} early wakeups");
    assert!(start.elapsed() >= Duration::from_millis(160));
    // Room to write again: reported, and again while it lasts (level).
    let mut a = a;
    let mut sink = vec![0u8; queued];
    a.read_exact(&mut sink).unwrap();
    assert_eq!(
        ready(&mut poller, Duration::from_secs(5)),
        vec![(fd, Readiness::WRITE)]
    );
    assert_eq!(idle(&mut poller), vec![(fd, Readiness::WRITE)]);
}

#[test]
fn more_ready_fds_than_the_completion_queue_holds() {
    const PAIRS: usize = 1500;
    if !raise_fd_limit(2 * PAIRS as libc::rlim_t + 64) {
        eprintln!("RLIMIT_NOFILE too low: skipped");
        return;
    }
    let pairs: Vec<_> = (0..PAIRS).map(|_| UnixStream::pair().unwrap()).collect();
    for (level, interest) in [(true, WRITE), (false, WRITE | Interest::EDGE)] {
        let Some(mut poller) = uring() else {
            return;
        };
        for (_, b) in &pairs {
            poller.change(b.as_raw_fd(), NONE, interest).unwrap();
        }
        let first = idle(&mut poller);
        assert_eq!(first.len(), PAIRS, "level {level}");
        assert!(first.iter().all(|&(_, r)| r == Readiness::WRITE));
        if level {
            assert_eq!(idle(&mut poller).len(), PAIRS);
        }
    }
}

#[test]
fn edge_requests_report_every_new_edge() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, READ | Interest::EDGE).unwrap();
    let mut byte = [0u8; 1];
    for round in 0..50 {
        a.write_all(b"x").unwrap();
        assert_eq!(
            ready(&mut poller, Duration::from_secs(5)),
            vec![(fd, Readiness::READ)],
            "round {round}"
        );
        b.read_exact(&mut byte).unwrap();
        assert_eq!(idle(&mut poller), vec![], "round {round}");
    }
}

#[test]
fn another_thread_can_take_over_the_waiting() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    let waiter = std::thread::spawn(move || {
        let got = ready(&mut poller, Duration::from_secs(5));
        (poller, got)
    });
    std::thread::sleep(Duration::from_millis(20));
    a.write_all(b"x").unwrap();
    let (mut poller, got) = waiter.join().unwrap();
    assert_eq!(got, vec![(fd, Readiness::READ)]);
    // And back on this thread, still level-triggered.
    assert_eq!(idle(&mut poller), vec![(fd, Readiness::READ)]);
    drop(b);
}

#[test]
fn a_forked_child_waits_on_a_ring_of_its_own() {
    if child_mode().is_none() {
        run_in_child("a_forked_child_waits_on_a_ring_of_its_own", "fork");
        return;
    }
    let (mut a, b) = UnixStream::pair().unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    // SAFETY: this process runs this one test on one thread (`run_in_child`), so the
    // child may allocate.
    let child = unsafe { libc::fork() };
    assert!(child >= 0);
    if child == 0 {
        // Without event_reinit: the inherited poller must not use the parent's ring,
        // not even to cancel the parent's request for an fd the child stops watching.
        let stopped = poller.change(fd, READ, NONE).is_ok();
        let (mut c, d) = UnixStream::pair().unwrap();
        let d_fd = d.into_raw_fd();
        poller.change(d_fd, NONE, READ).unwrap();
        c.write_all(b"y").unwrap();
        let ok =
            stopped && ready(&mut poller, Duration::from_secs(5)) == vec![(d_fd, Readiness::READ)];
        // SAFETY: ends the child without running the parent's test harness again.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: `child` is this process's child; `status` is a valid int.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    // The parent's requests still work.
    a.write_all(b"x").unwrap();
    assert_eq!(
        ready(&mut poller, Duration::from_secs(5)),
        vec![(fd, Readiness::READ)]
    );
}

#[test]
fn interest_going_back_and_forth_reports_only_what_is_wanted() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let fd = b.as_raw_fd();
    let Some(mut poller) = uring() else {
        return;
    };
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), vec![]);
    for round in 0..3 {
        // A write event added (the request then watches both) and deleted again.
        poller.change(fd, READ, READ | WRITE).unwrap();
        assert_eq!(
            idle(&mut poller),
            vec![(fd, Readiness::WRITE)],
            "round {round}"
        );
        poller.change(fd, READ | WRITE, READ).unwrap();
        assert_eq!(idle(&mut poller), vec![], "round {round}");
        a.write_all(b"x").unwrap();
        assert_eq!(
            ready(&mut poller, Duration::from_secs(5)),
            vec![(fd, Readiness::READ)],
            "round {round}"
        );
        let mut byte = [0u8; 1];
        (&b).read_exact(&mut byte).unwrap();
        assert_eq!(idle(&mut poller), vec![], "round {round}");
    }
    // Edge-triggered within the same request: the state once, then only new edges.
    poller.change(fd, READ, WRITE | Interest::EDGE).unwrap();
    assert_eq!(idle(&mut poller), vec![(fd, Readiness::WRITE)]);
    assert_eq!(idle(&mut poller), vec![]);
}
