//! Wakes a sleeping loop from another thread: the backend's waker, whose descriptor the
//! loop watches.

use std::io;
use std::os::fd::RawFd;

use evrs_backends::{SystemWaker, Waker};

#[derive(Debug)]
pub struct Notifier {
    waker: SystemWaker,
}

impl Notifier {
    pub fn new() -> io::Result<Notifier> {
        Ok(Notifier {
            waker: SystemWaker::new()?,
        })
    }

    #[inline]
    pub fn fd(&self) -> RawFd {
        self.waker.fd()
    }

    /// Makes the fd readable.
    #[inline]
    pub fn notify(&self) {
        self.waker.wake();
    }

    /// Consumes the wake-ups.
    #[inline]
    pub fn drain(&self) {
        self.waker.drain();
    }

    /// After fork: a descriptor of this process's own.
    pub fn reinit(&mut self) -> io::Result<RawFd> {
        self.waker.reinit_after_fork()
    }
}
