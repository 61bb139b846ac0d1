//! What the sim_* tests share: interest and readiness shorthands, socket pairs and
//! pipes, descriptors at private numbers, and waits whose reports come sorted.
//!
//! Each test file compiles its own copy and uses only part of it.
#![allow(dead_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use evrs_backends::{Interest, Poller, Readiness};

pub const NONE: Interest = Interest::NONE;
pub const READ: Interest = Interest::READ;
pub const WRITE: Interest = Interest::WRITE;
pub const READ_WRITE: Readiness =
    Readiness::from_bits(Readiness::READ.bits() | Readiness::WRITE.bits());

pub fn pair() -> (UnixStream, UnixStream) {
    UnixStream::pair().unwrap()
}

pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors are new and owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Makes `target` refer to `source`'s file, closing whatever `target` was, in one step
/// (so no other thread's new descriptor can take the number in between).
pub fn dup_onto(source: RawFd, target: RawFd) {
    // SAFETY: both are plain descriptor numbers; the caller owns `target`.
    assert_eq!(unsafe { libc::dup2(source, target) }, target);
}

/// An fd number no other test of this file uses, above anything the system hands out
/// on its own, so that closing and reusing it races with no other test's new
/// descriptor; `None` when RLIMIT_NOFILE cannot be raised that far.
pub fn private_fd_number() -> Option<RawFd> {
    const FIRST: RawFd = 1500;
    const LAST: RawFd = 1999;
    static RAISED: OnceLock<bool> = OnceLock::new();
    static NEXT: AtomicI32 = AtomicI32::new(FIRST);
    let raised = *RAISED.get_or_init(|| raise_fd_limit(LAST as libc::rlim_t + 1));
    if !raised {
        eprintln!("RLIMIT_NOFILE cannot reach {LAST}: skipped");
        return None;
    }
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    assert!(number <= LAST, "out of private fd numbers");
    Some(number)
}

/// A duplicate of `fd` at a private number.
pub fn dup_private(fd: RawFd) -> Option<OwnedFd> {
    let number = private_fd_number()?;
    dup_onto(fd, number);
    // SAFETY: `number` was free and is now this test's own descriptor.
    Some(unsafe { OwnedFd::from_raw_fd(number) })
}

/// `stream`'s socket under a private number only: the original is closed, so that
/// closing the returned one closes the socket.
pub fn private(stream: UnixStream) -> Option<OwnedFd> {
    dup_private(stream.as_raw_fd())
}

/// The reports of one wait of at most `timeout`, sorted by fd.
pub fn ready<P: Poller>(poller: &mut P, timeout: Duration) -> Vec<(RawFd, Readiness)> {
    let mut got = Vec::new();
    poller.wait_into(Some(timeout), &mut got).unwrap();
    got.sort_by_key(|&(fd, _)| fd);
    got
}

/// The reports there are now, sorted by fd.
pub fn idle<P: Poller>(poller: &mut P) -> Vec<(RawFd, Readiness)> {
    ready(poller, Duration::ZERO)
}

/// The reports of a wait for something that is ready or about to be, sorted by fd.
pub fn ready_now<P: Poller>(poller: &mut P) -> Vec<(RawFd, Readiness)> {
    ready(poller, Duration::from_secs(5))
}

/// Runs `wait` while another thread sends SIGUSR1 to this one every 20 ms (the
/// handler does nothing and has no SA_RESTART).
pub fn interrupted<T>(wait: impl FnOnce() -> T) -> T {
    extern "C" fn ignore(_: libc::c_int) {}
    // SAFETY: a zeroed sigaction is valid; the handler does nothing, so it is
    // async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as *const () as libc::sighandler_t;
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    // SAFETY: no preconditions.
    let waiter = unsafe { libc::pthread_self() };
    let done = Arc::new(AtomicBool::new(false));
    let signaller = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(20));
                // SAFETY: `waiter` lives until it has joined this thread.
                unsafe { libc::pthread_kill(waiter, libc::SIGUSR1) };
            }
        })
    };
    let result = wait();
    done.store(true, Ordering::Release);
    signaller.join().unwrap();
    result
}

/// A new non-blocking IPv4 TCP socket.
pub fn nonblocking_tcp_socket() -> OwnedFd {
    // SAFETY: plain integer arguments; the result is checked.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
    assert!(raw >= 0);
    // SAFETY: a new descriptor owned by nothing else.
    unsafe { OwnedFd::from_raw_fd(raw) }
}

/// Starts a connect of `fd` (a non-blocking IPv4 TCP socket) to 127.0.0.1:`port`.
pub fn connect_loopback(fd: RawFd, port: u16) -> io::Result<()> {
    let address = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `address` is a valid sockaddr_in of the size given.
    let ret = unsafe {
        libc::connect(
            fd,
            (&address as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Raises the soft descriptor limit to `wanted` if the hard one allows; false if not.
pub fn raise_fd_limit(wanted: libc::rlim_t) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return false;
    }
    if limit.rlim_cur >= wanted {
        return true;
    }
    if limit.rlim_max < wanted {
        return false;
    }
    limit.rlim_cur = wanted;
    // SAFETY: `limit` is a valid rlimit, within the hard limit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 }
}

/// For a failed io_uring setup: true (and says the caller skips) when the kernel
/// refuses io_uring (before 5.13, `kernel.io_uring_disabled`, a seccomp filter such as
/// container runtimes install); any other error fails the test.
pub fn io_uring_refused(err: &io::Error) -> bool {
    let refused = matches!(
        err.raw_os_error(),
        Some(libc::ENOSYS | libc::EPERM | libc::EACCES)
    ) || err.kind() == io::ErrorKind::Unsupported;
    assert!(refused, "io_uring setup failed: {err}");
    eprintln!("io_uring is not available here ({err}): skipped");
    true
}
