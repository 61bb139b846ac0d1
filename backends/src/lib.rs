//! The OS mechanisms under evrs: readiness pollers, the cross-thread waker, signal
//! sources and `errno`.
//!
//! Each poller is one module behind the [`Poller`] trait; [`AnyPoller`] picks one at
//! run time. This crate knows nothing of events, bases or callbacks: the caller says
//! which file descriptors it wants watched for what ([`Poller::change`]), and asks which
//! are ready ([`Poller::wait`]). Adding kqueue, devpoll, evport or IOCP is one new module
//! and one new [`AnyPoller`] variant.
//!
//! Everything else a loop needs from the OS arrives as a readable descriptor too: a
//! [`Waker`] ([`waker`]) wakes a wait from another thread, a [`SignalSource`]
//! ([`signal`]) turns signals into reads. [`errno`] reads and writes the thread's
//! `errno` on every system.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

pub mod errno;
mod flags;
pub mod signal;
mod sys;
pub mod waker;

pub use flags::{Features, Interest, Readiness};
pub use signal::{AnySignalSource, SignalMethod, SignalSource};
pub use waker::{SystemWaker, Waker};

#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod epoll;
#[cfg(feature = "mock")]
pub mod mock;
pub mod poll;
pub mod select;
#[cfg(all(feature = "sim", target_os = "linux"))]
// Unused until the first simulated poller lands.
#[allow(dead_code)]
pub(crate) mod sim;
#[cfg(target_os = "linux")]
pub mod uring;

/// One OS readiness mechanism.
pub trait Poller: Sized {
    /// The method name libevent reports ("epoll", "poll", "select").
    const NAME: &'static str;
    /// What the mechanism can do.
    const FEATURES: Features;

    /// Creates the poller.
    fn new(options: &Options) -> io::Result<Self>;

    /// Changes what `fd` is watched for from `old` to `new`.
    ///
    /// The caller tracks each fd's interest and always passes the previous value as
    /// `old`; `Interest::NONE` as `old` means "not watched yet", as `new` means "stop
    /// watching". [`Interest::EDGE`] asks for edge-triggered reports where supported.
    /// An error means the change did not happen (e.g. `EBADF`, or `EPERM` for a file
    /// that the mechanism cannot watch); the caller's tracking stays at `old`.
    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()>;

    /// Waits until a watched fd is ready or `timeout` passes (`None`: no limit;
    /// `Some(Duration::ZERO)`: do not block), then calls `on_ready` once per ready fd.
    ///
    /// Returns `Ok(())` after an interruption by a signal (`EINTR`) too, having
    /// reported nothing. Never reports an fd that is not watched.
    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()>;

    /// [`Poller::wait`], appending the reports to `ready`.
    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        self.wait(timeout, |fd, readiness| ready.push((fd, readiness)))
    }
}

/// A wait's timeout as the kernel takes it (None: wait without limit).
pub(crate) fn timespec(timeout: Option<Duration>) -> Option<libc::timespec> {
    timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    })
}

/// Options a poller may honour.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// epoll: batch changes and apply them right before waiting
    /// (libevent's `EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST`).
    pub use_changelist: bool,
    /// Wake up for timeouts with better than millisecond precision where the mechanism
    /// can (libevent's `EVENT_BASE_FLAG_PRECISE_TIMER`).
    pub precise_timer: bool,
}

/// The methods compiled in, in libevent's order of preference.
pub const METHODS: &[(&str, Features)] = &[
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (epoll::Epoll::NAME, epoll::Epoll::FEATURES),
    (poll::Poll::NAME, poll::Poll::FEATURES),
    (select::Select::NAME, select::Select::FEATURES),
    // After every method libevent knows, so that its EVENT_NO<METHOD> variables keep
    // choosing what they chose before (see docs/PERFORMANCE.md, "io_uring").
    #[cfg(target_os = "linux")]
    (uring::Uring::NAME, uring::Uring::FEATURES),
];

/// Any of the compiled-in pollers, chosen by name at run time.
#[derive(Debug)]
pub enum AnyPoller {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(epoll::Epoll),
    Poll(poll::Poll),
    Select(select::Select),
    /// Boxed: the ring's bookkeeping is several times larger than the others.
    #[cfg(target_os = "linux")]
    Uring(Box<uring::Uring>),
    /// The scripted poller of tests; [`AnyPoller::new`] never makes it.
    #[cfg(feature = "mock")]
    Mock(mock::Mock),
}

impl AnyPoller {
    /// Creates the poller called `name` (one of [`METHODS`]).
    pub fn new(name: &str, options: &Options) -> io::Result<AnyPoller> {
        match name {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            epoll::Epoll::NAME => epoll::Epoll::new(options).map(AnyPoller::Epoll),
            poll::Poll::NAME => poll::Poll::new(options).map(AnyPoller::Poll),
            select::Select::NAME => select::Select::new(options).map(AnyPoller::Select),
            #[cfg(target_os = "linux")]
            uring::Uring::NAME => {
                uring::Uring::new(options).map(|uring| AnyPoller::Uring(Box::new(uring)))
            }
            _ => Err(io::Error::from(io::ErrorKind::Unsupported)),
        }
    }

    /// The method's name.
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(_) => epoll::Epoll::NAME,
            AnyPoller::Poll(_) => poll::Poll::NAME,
            AnyPoller::Select(_) => select::Select::NAME,
            #[cfg(target_os = "linux")]
            AnyPoller::Uring(_) => uring::Uring::NAME,
            #[cfg(feature = "mock")]
            AnyPoller::Mock(_) => mock::Mock::NAME,
        }
    }

    /// The method's features.
    pub fn features(&self) -> Features {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(_) => epoll::Epoll::FEATURES,
            AnyPoller::Poll(_) => poll::Poll::FEATURES,
            AnyPoller::Select(_) => select::Select::FEATURES,
            #[cfg(target_os = "linux")]
            AnyPoller::Uring(_) => uring::Uring::FEATURES,
            #[cfg(feature = "mock")]
            AnyPoller::Mock(_) => mock::Mock::FEATURES,
        }
    }

    /// See [`Poller::change`].
    #[inline]
    pub fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(p) => p.change(fd, old, new),
            AnyPoller::Poll(p) => p.change(fd, old, new),
            AnyPoller::Select(p) => p.change(fd, old, new),
            #[cfg(target_os = "linux")]
            AnyPoller::Uring(p) => p.change(fd, old, new),
            #[cfg(feature = "mock")]
            AnyPoller::Mock(p) => p.change(fd, old, new),
        }
    }

    /// See [`Poller::wait_into`].
    #[inline]
    pub fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(p) => p.wait_into(timeout, ready),
            AnyPoller::Poll(p) => p.wait_into(timeout, ready),
            AnyPoller::Select(p) => p.wait_into(timeout, ready),
            #[cfg(target_os = "linux")]
            AnyPoller::Uring(p) => p.wait_into(timeout, ready),
            #[cfg(feature = "mock")]
            AnyPoller::Mock(p) => p.wait_into(timeout, ready),
        }
    }

    /// See [`Poller::wait`].
    #[inline]
    pub fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(p) => p.wait(timeout, on_ready),
            AnyPoller::Poll(p) => p.wait(timeout, on_ready),
            AnyPoller::Select(p) => p.wait(timeout, on_ready),
            #[cfg(target_os = "linux")]
            AnyPoller::Uring(p) => p.wait(timeout, on_ready),
            #[cfg(feature = "mock")]
            AnyPoller::Mock(p) => p.wait(timeout, on_ready),
        }
    }
}
