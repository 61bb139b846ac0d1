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

#[cfg(any(
    target_os = "illumos",
    target_os = "solaris",
    all(feature = "sim", target_os = "linux")
))]
pub mod devpoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod epoll;
#[cfg(any(
    target_os = "illumos",
    target_os = "solaris",
    all(feature = "sim", target_os = "linux")
))]
pub mod evport;
#[cfg(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_vendor = "apple",
    all(feature = "sim", target_os = "linux")
))]
pub mod kqueue;
#[cfg(feature = "mock")]
pub mod mock;
pub mod poll;
pub mod select;
#[cfg(all(feature = "sim", target_os = "linux"))]
#[doc(hidden)]
pub mod sim;

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
    /// epoll, kqueue: batch changes and apply them right before waiting
    /// (libevent's `EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST`; libevent's kqueue always
    /// batches).
    pub use_changelist: bool,
    /// Wake up for timeouts with better than millisecond precision where the mechanism
    /// can (libevent's `EVENT_BASE_FLAG_PRECISE_TIMER`).
    pub precise_timer: bool,
}

/// The methods compiled in, in libevent's order of preference.
pub const METHODS: &[(&str, Features)] = &[
    #[cfg(any(
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd",
        target_vendor = "apple"
    ))]
    (<kqueue::Kqueue>::NAME, <kqueue::Kqueue>::FEATURES),
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    (evport::NativeEvport::NAME, evport::NativeEvport::FEATURES),
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    (
        devpoll::NativeDevpoll::NAME,
        devpoll::NativeDevpoll::FEATURES,
    ),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (epoll::Epoll::NAME, epoll::Epoll::FEATURES),
    (poll::Poll::NAME, poll::Poll::FEATURES),
    (select::Select::NAME, select::Select::FEATURES),
];

/// Any of the compiled-in pollers, chosen by name at run time.
#[derive(Debug)]
pub enum AnyPoller {
    #[cfg(any(
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd",
        target_vendor = "apple"
    ))]
    Kqueue(kqueue::Kqueue),
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    Evport(evport::NativeEvport),
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    Devpoll(devpoll::NativeDevpoll),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(epoll::Epoll),
    Poll(poll::Poll),
    Select(select::Select),
    /// The scripted poller of tests; [`AnyPoller::new`] never makes it.
    #[cfg(feature = "mock")]
    Mock(mock::Mock),
}

impl AnyPoller {
    /// Creates the poller called `name` (one of [`METHODS`]).
    pub fn new(name: &str, options: &Options) -> io::Result<AnyPoller> {
        match name {
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            <kqueue::Kqueue>::NAME => <kqueue::Kqueue>::new(options).map(AnyPoller::Kqueue),
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            evport::NativeEvport::NAME => evport::NativeEvport::new(options).map(AnyPoller::Evport),
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            devpoll::NativeDevpoll::NAME => {
                devpoll::NativeDevpoll::new(options).map(AnyPoller::Devpoll)
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            epoll::Epoll::NAME => epoll::Epoll::new(options).map(AnyPoller::Epoll),
            poll::Poll::NAME => poll::Poll::new(options).map(AnyPoller::Poll),
            select::Select::NAME => select::Select::new(options).map(AnyPoller::Select),
            _ => Err(io::Error::from(io::ErrorKind::Unsupported)),
        }
    }

    /// The method's name.
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(_) => epoll::Epoll::NAME,
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Evport(_) => evport::NativeEvport::NAME,
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Devpoll(_) => devpoll::NativeDevpoll::NAME,
            AnyPoller::Poll(_) => poll::Poll::NAME,
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            AnyPoller::Kqueue(_) => <kqueue::Kqueue>::NAME,
            AnyPoller::Select(_) => select::Select::NAME,
            #[cfg(feature = "mock")]
            AnyPoller::Mock(_) => mock::Mock::NAME,
        }
    }

    /// The method's features.
    pub fn features(&self) -> Features {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnyPoller::Epoll(_) => epoll::Epoll::FEATURES,
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Evport(_) => evport::NativeEvport::FEATURES,
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Devpoll(_) => devpoll::NativeDevpoll::FEATURES,
            AnyPoller::Poll(_) => poll::Poll::FEATURES,
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            AnyPoller::Kqueue(_) => <kqueue::Kqueue>::FEATURES,
            AnyPoller::Select(_) => select::Select::FEATURES,
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
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Evport(p) => p.change(fd, old, new),
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Devpoll(p) => p.change(fd, old, new),
            AnyPoller::Poll(p) => p.change(fd, old, new),
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            AnyPoller::Kqueue(p) => p.change(fd, old, new),
            AnyPoller::Select(p) => p.change(fd, old, new),
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
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Evport(p) => p.wait_into(timeout, ready),
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Devpoll(p) => p.wait_into(timeout, ready),
            AnyPoller::Poll(p) => p.wait_into(timeout, ready),
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            AnyPoller::Kqueue(p) => p.wait_into(timeout, ready),
            AnyPoller::Select(p) => p.wait_into(timeout, ready),
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
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Evport(p) => p.wait(timeout, on_ready),
            #[cfg(any(target_os = "illumos", target_os = "solaris"))]
            AnyPoller::Devpoll(p) => p.wait(timeout, on_ready),
            AnyPoller::Poll(p) => p.wait(timeout, on_ready),
            #[cfg(any(
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd",
                target_vendor = "apple"
            ))]
            AnyPoller::Kqueue(p) => p.wait(timeout, on_ready),
            AnyPoller::Select(p) => p.wait(timeout, on_ready),
            #[cfg(feature = "mock")]
            AnyPoller::Mock(p) => p.wait(timeout, on_ready),
        }
    }
}
