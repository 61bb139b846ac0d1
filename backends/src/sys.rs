//! System-call wrappers that the waker and the signal sources share.

#[cfg(unix)]
use std::ffi::{c_int, c_void};
use std::io;
#[cfg(unix)]
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `Ok(ret)`, or the thread's error when a call returned -1.
#[cfg(unix)]
pub(crate) fn check(ret: c_int) -> io::Result<c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Takes ownership of a descriptor that a successful call just returned.
#[cfg(unix)]
pub(crate) fn owned(fd: c_int) -> io::Result<OwnedFd> {
    let fd = check(fd)?;
    // SAFETY: `fd` is a fresh descriptor from a call that succeeded; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
#[cfg(unix)]
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
#[cfg(unix)]
pub(crate) fn read_some(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast::<c_void>(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Reads with `read` into `buf`, handing each read's bytes to `on_bytes`, until the
/// source is empty (a short read, end of file or an error other than an interruption)
/// or `max_reads` reads were made: a flood of writes cannot keep one drain going.
fn drain_with(
    mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    buf: &mut [u8],
    max_reads: usize,
    mut on_bytes: impl FnMut(&[u8]),
) {
    for _ in 0..max_reads {
        match read(buf) {
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

/// Reads what `fd` (non-blocking) holds into `buf`, handing each read's bytes to
/// `on_bytes`, until it is empty or `max_reads` reads were made.
#[cfg(unix)]
pub(crate) fn drain_fd(fd: RawFd, buf: &mut [u8], max_reads: usize, on_bytes: impl FnMut(&[u8])) {
    drain_with(|buf| read_some(fd, buf), buf, max_reads, on_bytes);
}

/// A connected pair of loopback TCP sockets, both non-blocking and not inherited by
/// child processes: Windows has no pipe that a socket poller can watch, so a waker or
/// a signal source writes to one end and the poller watches the other (libevent's
/// `evutil_socketpair` does the same there).
///
/// The accepted connection must come from the connecting socket: anyone on the host
/// may connect to the short-lived listener first.
#[cfg(windows)]
pub(crate) fn loopback_pair() -> io::Result<(std::net::TcpStream, std::net::TcpStream)> {
    use std::net::{Ipv4Addr, TcpListener, TcpStream};
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let writer = TcpStream::connect(listener.local_addr()?)?;
    let expected_peer = writer.local_addr()?;
    // A stranger's connections are dropped; a bounded number of tries keeps a flood
    // from holding the caller.
    for _ in 0..16 {
        let (reader, peer) = listener.accept()?;
        if peer == expected_peer {
            reader.set_nonblocking(true)?;
            writer.set_nonblocking(true)?;
            // A wake is one byte that must not wait for more.
            writer.set_nodelay(true)?;
            return Ok((reader, writer));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::ConnectionRefused,
        "loopback socket pair: another process kept connecting",
    ))
}

/// Reads what the non-blocking `socket` holds, handing each read's bytes to
/// `on_bytes`, until it is empty or `max_reads` reads were made.
#[cfg(windows)]
pub(crate) fn drain_socket(
    mut socket: &std::net::TcpStream,
    buf: &mut [u8],
    max_reads: usize,
    on_bytes: impl FnMut(&[u8]),
) {
    use std::io::Read;
    drain_with(|buf| socket.read(buf), buf, max_reads, on_bytes);
}
