//! Waking a sleeping poller from another thread: a descriptor that the poller watches
//! for reading, made readable by [`Waker::wake`].
//!
//! [`EventFdWaker`] (Linux, Android) is one eventfd(2) counter; [`PipeWaker`] works on
//! every Unix system; [`SocketPairWaker`] is Windows' (a loopback TCP pair, since the
//! AFD poller watches only sockets). [`SystemWaker`] is the one to use where this crate builds; a
//! backend whose mechanism has its own way to wake a wait (kqueue's `EVFILT_USER`,
//! IOCP's completion posts) can provide another [`Waker`].

use std::io;
#[cfg(unix)]
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::sys;
use crate::Fd;

/// A descriptor that becomes readable on demand, from any thread.
pub trait Waker: Sized {
    /// Creates the waker; its descriptor is non-blocking and close-on-exec.
    fn new() -> io::Result<Self>;

    /// The descriptor to watch for reading.
    fn fd(&self) -> Fd;

    /// Makes [`Waker::fd`] readable. Safe to call from any thread, as often as wanted:
    /// wakes that arrive before a drain count as one.
    fn wake(&self);

    /// Consumes the pending wakes, so that the descriptor is no longer readable.
    fn drain(&self);

    /// After fork(): replaces the descriptor, which the child shares with its parent,
    /// with one of its own. Returns the new descriptor.
    fn reinit_after_fork(&mut self) -> io::Result<Fd>;
}

/// The waker for this system.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub type SystemWaker = EventFdWaker;
/// The waker for this system.
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub type SystemWaker = PipeWaker;
/// The waker for this system.
#[cfg(windows)]
pub type SystemWaker = SocketPairWaker;

/// An eventfd: wakes add to its counter, a drain reads it back to zero.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[derive(Debug)]
pub struct EventFdWaker {
    fd: OwnedFd,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn new_eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers; `owned` checks the result.
    sys::owned(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Waker for EventFdWaker {
    fn new() -> io::Result<Self> {
        Ok(EventFdWaker { fd: new_eventfd()? })
    }

    #[inline]
    fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    #[inline]
    fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64. A full counter (EAGAIN) still leaves
        // the fd readable, which is all that matters.
        let _ = unsafe { libc::write(self.fd(), (&one as *const u64).cast(), 8) };
    }

    fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; EAGAIN means nothing was pending.
        let _ = unsafe { libc::read(self.fd(), (&mut count as *mut u64).cast(), 8) };
    }

    fn reinit_after_fork(&mut self) -> io::Result<RawFd> {
        self.fd = new_eventfd()?;
        Ok(self.fd())
    }
}

/// A self-pipe: a wake writes one byte, a drain reads them all.
#[cfg(unix)]
#[derive(Debug)]
pub struct PipeWaker {
    read_end: OwnedFd,
    write_end: OwnedFd,
}

#[cfg(unix)]
impl Waker for PipeWaker {
    fn new() -> io::Result<Self> {
        let (read_end, write_end) = sys::nonblocking_pipe()?;
        Ok(PipeWaker {
            read_end,
            write_end,
        })
    }

    #[inline]
    fn fd(&self) -> RawFd {
        self.read_end.as_raw_fd()
    }

    #[inline]
    fn wake(&self) {
        let byte = 0u8;
        // SAFETY: writes one byte from a live u8. A full pipe (EAGAIN) is readable
        // already.
        let _ = unsafe { libc::write(self.write_end.as_raw_fd(), (&byte as *const u8).cast(), 1) };
    }

    fn drain(&self) {
        // Every byte means the same; a bounded number of reads empties any pipe that
        // wakes have filled.
        let mut buf = [0u8; 256];
        sys::drain_fd(self.fd(), &mut buf, 1024, |_| ());
    }

    fn reinit_after_fork(&mut self) -> io::Result<RawFd> {
        let (read_end, write_end) = sys::nonblocking_pipe()?;
        self.read_end = read_end;
        self.write_end = write_end;
        Ok(self.fd())
    }
}

/// A loopback TCP socket pair: a wake sends one byte, a drain reads them all.
#[cfg(windows)]
#[derive(Debug)]
pub struct SocketPairWaker {
    reader: std::net::TcpStream,
    writer: std::net::TcpStream,
}

#[cfg(windows)]
impl Waker for SocketPairWaker {
    fn new() -> io::Result<Self> {
        let (reader, writer) = sys::loopback_pair()?;
        Ok(SocketPairWaker { reader, writer })
    }

    #[inline]
    fn fd(&self) -> Fd {
        std::os::windows::io::AsRawSocket::as_raw_socket(&self.reader)
    }

    #[inline]
    fn wake(&self) {
        use std::io::Write;
        // WouldBlock means the socket buffers are full: the reader is readable already.
        let _ = (&self.writer).write(&[0]);
    }

    fn drain(&self) {
        let mut buf = [0u8; 256];
        sys::drain_socket(&self.reader, &mut buf, 1024, |_| ());
    }

    /// Windows has no fork(); this just makes a fresh pair.
    fn reinit_after_fork(&mut self) -> io::Result<Fd> {
        let (reader, writer) = sys::loopback_pair()?;
        self.reader = reader;
        self.writer = writer;
        Ok(self.fd())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::ffi::c_int;

    fn readable(fd: RawFd) -> bool {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; no waiting.
        let n = unsafe { libc::poll(&mut pfd, 1, 0) };
        n == 1 && pfd.revents & libc::POLLIN != 0
    }

    fn flags(fd: RawFd) -> (c_int, c_int) {
        // SAFETY: fcntl queries with integer arguments.
        unsafe {
            (
                libc::fcntl(fd, libc::F_GETFD),
                libc::fcntl(fd, libc::F_GETFL),
            )
        }
    }

    fn wake_then_drain<W: Waker>() {
        let waker = W::new().expect("new");
        let (fd_flags, status_flags) = flags(waker.fd());
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
        assert_ne!(status_flags & libc::O_NONBLOCK, 0);
        assert!(!readable(waker.fd()));
        waker.drain();
        assert!(!readable(waker.fd()), "drain without a wake must not block");

        waker.wake();
        assert!(readable(waker.fd()));
        waker.drain();
        assert!(!readable(waker.fd()));

        for _ in 0..10_000 {
            waker.wake();
        }
        assert!(readable(waker.fd()));
        waker.drain();
        assert!(
            !readable(waker.fd()),
            "many wakes are consumed by one drain"
        );
    }

    fn wake_from_another_thread<W: Waker + Send + Sync + 'static>() {
        let waker = std::sync::Arc::new(W::new().expect("new"));
        let remote = std::sync::Arc::clone(&waker);
        std::thread::spawn(move || remote.wake())
            .join()
            .expect("thread");
        assert!(readable(waker.fd()));
        waker.drain();
        assert!(!readable(waker.fd()));
    }

    fn reinit_gives_a_new_fd<W: Waker>() {
        let mut waker = W::new().expect("new");
        let old_fd = waker.fd();
        waker.wake();
        let new_fd = waker.reinit_after_fork().expect("reinit");
        assert_eq!(new_fd, waker.fd());
        assert_ne!(new_fd, old_fd);
        assert!(!readable(new_fd), "the new descriptor starts empty");
        let (fd_flags, status_flags) = flags(new_fd);
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
        assert_ne!(status_flags & libc::O_NONBLOCK, 0);
        waker.wake();
        assert!(readable(new_fd));
        waker.drain();
        assert!(!readable(new_fd));
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn eventfd_waker() {
        wake_then_drain::<EventFdWaker>();
        wake_from_another_thread::<EventFdWaker>();
        reinit_gives_a_new_fd::<EventFdWaker>();
    }

    #[test]
    fn pipe_waker() {
        wake_then_drain::<PipeWaker>();
        wake_from_another_thread::<PipeWaker>();
        reinit_gives_a_new_fd::<PipeWaker>();
    }

    #[test]
    fn system_waker() {
        wake_then_drain::<SystemWaker>();
    }
}

// Compiled for Windows only; they run where the Windows build is tested.
#[cfg(all(test, windows))]
mod windows_tests {
    use super::*;

    fn readable(waker: &SocketPairWaker) -> bool {
        matches!(waker.reader.peek(&mut [0u8; 1]), Ok(n) if n > 0)
    }

    #[test]
    fn socket_pair_waker() {
        let mut waker = SocketPairWaker::new().expect("new");
        assert!(!readable(&waker));
        waker.drain();
        waker.wake();
        assert!(readable(&waker));
        waker.drain();
        assert!(!readable(&waker));
        for _ in 0..10_000 {
            waker.wake();
        }
        waker.drain();
        assert!(!readable(&waker), "many wakes are consumed by one drain");
        let old = waker.fd();
        assert_ne!(waker.reinit_after_fork().expect("reinit"), old);
        waker.wake();
        assert!(readable(&waker));
    }
}
