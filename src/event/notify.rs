//! Wakes a sleeping loop from another thread: an eventfd the loop watches.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

#[derive(Debug)]
pub struct Notifier {
    fd: OwnedFd,
}

fn new_eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers; the result is checked before use.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Notifier {
    pub fn new() -> io::Result<Notifier> {
        Ok(Notifier { fd: new_eventfd()? })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Makes the fd readable.
    pub fn notify(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64; a full counter (EAGAIN) still leaves
        // the fd readable, which is all that matters.
        let _ = unsafe { libc::write(self.fd(), (&one as *const u64).cast(), 8) };
    }

    /// Consumes the wake-ups.
    pub fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; EAGAIN means nothing was pending.
        let _ = unsafe { libc::read(self.fd(), (&mut count as *mut u64).cast(), 8) };
    }

    /// After fork: a descriptor of this process's own.
    pub fn reinit(&mut self) -> io::Result<RawFd> {
        self.fd = new_eventfd()?;
        Ok(self.fd())
    }
}
