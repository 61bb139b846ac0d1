//! Simulated kernels for the pollers of other systems, so that their logic runs and is
//! tested on Linux.
//!
//! Each foreign poller (kqueue, /dev/poll, event ports, IOCP with AFD polling) makes its
//! OS calls through a small system interface of its own; on its target the real
//! system stands behind it, here one of these simulations does. A simulation keeps the
//! mechanism's registration state the way its documentation describes it (filters,
//! one-shot associations, pollfd sets, poll-info requests) and takes readiness from
//! the real descriptors it is given, through poll(2): a test drives it with socketpairs
//! and pipes exactly as it drives epoll.
//!
//! Only with the `sim` feature, which the backends' own tests turn on; never in a
//! library.

pub mod devpoll;
pub mod evport;
pub mod kqueue;

use std::io;
use std::os::fd::RawFd;

pub mod afd;
use std::time::{Duration, Instant};

/// The poll(2) events of real readiness a simulation asks about: everything.
pub(crate) const ALL_EVENTS: libc::c_short =
    libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP | libc::POLLPRI;

/// One poll(2) over `fds`, for at most `timeout` (`None`: no limit). Returns how many
/// entries have `revents`; `Ok(0)` on timeout or on EINTR, like a real wait.
pub(crate) fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let timeout_ms = match timeout {
        None => -1,
        // Rounded up, so a wait never ends before its time.
        Some(t) => t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
    };
    // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfd entries for the
    // duration of the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(0)
        } else {
            Err(err)
        };
    }
    Ok(n as usize)
}

/// The real readiness of one descriptor right now (`POLLNVAL` when it is not open).
pub(crate) fn readiness_now(fd: RawFd) -> libc::c_short {
    let mut entry = [libc::pollfd {
        fd,
        events: ALL_EVENTS,
        revents: 0,
    }];
    match poll_fds(&mut entry, Some(Duration::ZERO)) {
        Ok(_) => entry[0].revents,
        Err(_) => 0,
    }
}

/// Whether `fd` is an open descriptor of this process.
pub(crate) fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no pointer; any fd number is a valid argument.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
}

/// The instant a wait of `timeout` started now ends (`None`: never).
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// What is left of a wait until `deadline`.
pub(crate) fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// One poll(2) like [`poll_fds`], except that an interruption by a signal is
/// `Err(EINTR)`, for the simulated waits whose documentation promises EINTR.
pub(crate) fn poll_fds_interruptible(
    fds: &mut [libc::pollfd],
    timeout: Option<Duration>,
) -> io::Result<usize> {
    let timeout_ms = match timeout {
        None => -1,
        // Rounded up, so a wait never ends before its time.
        Some(t) => t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
    };
    // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfd entries for the
    // duration of the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// fstat(2) of `fd`; `None` when it is not open.
pub(crate) fn fstat(fd: RawFd) -> Option<libc::stat> {
    if fd < 0 {
        return None;
    }
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `stat` is writable for the call; any fd number is a valid argument.
    (unsafe { libc::fstat(fd, &mut stat) } == 0).then_some(stat)
}

/// The identity of the file open at `fd` (device, inode), or `None` when `fd` is not
/// open. Recorded at registration, it tells a simulation that an fd number was closed,
/// or closed and reused for another file, since.
pub(crate) fn file_identity(fd: RawFd) -> Option<(u64, u64)> {
    fstat(fd).map(|stat| (stat.st_dev, stat.st_ino))
}

/// The soft RLIMIT_NOFILE: no fd at or above it can be open.
pub(crate) fn open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return u64::MAX;
    }
    limit.rlim_cur
}
