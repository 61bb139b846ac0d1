//! System-call wrappers that the waker and the signal sources share.

use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `Ok(ret)`, or the thread's error when a call returned -1.
pub(crate) fn check(ret: c_int) -> io::Result<c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Takes ownership of a descriptor that a successful call just returned.
pub(crate) fn owned(fd: c_int) -> io::Result<OwnedFd> {
    let fd = check(fd)?;
    // SAFETY: `fd` is a fresh descriptor from a call that succeeded; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
pub(crate) fn nonblocking_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [c_int; 2] = [-1, -1];
    #[cfg(not(target_vendor = "apple"))]
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    #[cfg(target_vendor = "apple")]
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    check(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    let ends = (owned(fds[0])?, owned(fds[1])?);
    #[cfg(target_vendor = "apple")]
    for fd in [&ends.0, &ends.1] {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor we own, with integer arguments.
        unsafe {
            check(libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            check(libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK))?;
        }
    }
    Ok(ends)
}

/// One read(2); `Ok(0)` at end of file.
pub(crate) fn read_some(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast::<c_void>(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Reads what `fd` (non-blocking) holds into `buf`, handing each read's bytes to
/// `on_bytes`, until it is empty or `max_reads` reads were made: a flood of writes
/// cannot keep one drain going.
pub(crate) fn drain_fd(
    fd: RawFd,
    buf: &mut [u8],
    max_reads: usize,
    mut on_bytes: impl FnMut(&[u8]),
) {
    for _ in 0..max_reads {
        match read_some(fd, buf) {
            Ok(0) => break,
            Ok(n) => {
                on_bytes(buf.get(..n).unwrap_or(&[]));
                if n < buf.len() {
                    break;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}
