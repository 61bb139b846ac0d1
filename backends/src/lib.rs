//! The OS mechanisms under evrs: readiness pollers, the cross-thread waker, signal
//! sources and `errno`.
//!
//! Each poller is one module behind the [`Poller`] trait; [`AnyPoller`] picks one at
//! run time. This crate knows nothing of events, bases or callbacks: the caller says
//! which file descriptors it wants watched for what ([`Poller::change`]), and asks which
//! are ready ([`Poller::wait`]). Each poller is one module and one line of
//! the `pollers!` table below, in libevent's order of preference.
//!
//! Everything else a loop needs from the OS arrives as a readable descriptor too: a
//! [`Waker`] ([`waker`]) wakes a wait from another thread, a [`SignalSource`]
//! ([`signal`]) turns signals into reads. [`errno`] reads and writes the thread's
//! `errno` on every system.

use std::io;
use std::time::Duration;

pub mod errno;
mod flags;
pub mod signal;
mod sys;
pub mod waker;

/// What a poller watches: a file descriptor on Unix, a socket on Windows (where
/// libevent's `evutil_socket_t` is a `SOCKET`).
#[cfg(unix)]
pub type Fd = std::os::fd::RawFd;
/// What a poller watches: a file descriptor on Unix, a socket on Windows (where
/// libevent's `evutil_socket_t` is a `SOCKET`).
#[cfg(windows)]
pub type Fd = std::os::windows::io::RawSocket;

pub use flags::{Features, Interest, Readiness};
pub use signal::{AnySignalSource, SignalMethod, SignalSource};
pub use waker::{SystemWaker, Waker};

// The pollers of other systems also build on Linux with `sim`, over simulated kernels.
#[cfg(any(has_event_ports, all(feature = "sim", target_os = "linux")))]
pub mod devpoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod epoll;
#[cfg(any(has_event_ports, all(feature = "sim", target_os = "linux")))]
pub mod evport;
#[cfg(any(windows, all(feature = "sim", target_os = "linux")))]
pub mod iocp;
#[cfg(any(has_kqueue, all(feature = "sim", target_os = "linux")))]
pub mod kqueue;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(unix)]
pub mod poll;
#[cfg(unix)]
pub mod select;
#[cfg(all(feature = "sim", target_os = "linux"))]
#[doc(hidden)]
pub mod sim;
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
    fn change(&mut self, fd: Fd, old: Interest, new: Interest) -> io::Result<()>;

    /// Waits until a watched fd is ready or `timeout` passes (`None`: no limit;
    /// `Some(Duration::ZERO)`: do not block), then calls `on_ready` once per ready fd.
    ///
    /// Returns `Ok(())` after an interruption by a signal (`EINTR`) too, having
    /// reported nothing. Never reports an fd that is not watched.
    fn wait<F: FnMut(Fd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()>;

    /// [`Poller::wait`], appending the reports to `ready`.
    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(Fd, Readiness)>,
    ) -> io::Result<()> {
        self.wait(timeout, |fd, readiness| ready.push((fd, readiness)))
    }
}

/// A wait's timeout as the kernel takes it (None: wait without limit).
#[cfg(unix)]
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

/// Declares [`METHODS`] and [`AnyPoller`] from one table of the pollers this system
/// has, in libevent's order of preference, each with its `cfg`.
macro_rules! pollers {
    ($($(#[$cfg:meta])* $variant:ident($poller:ty),)*) => {
        /// The methods compiled in, in libevent's order of preference.
        pub const METHODS: &[(&str, Features)] = &[
            $($(#[$cfg])* (<$poller as Poller>::NAME, <$poller as Poller>::FEATURES),)*
        ];

        /// Any of the compiled-in pollers, chosen by name at run time.
        #[derive(Debug)]
        pub enum AnyPoller {
            $($(#[$cfg])* $variant($poller),)*
            /// The scripted poller of tests; [`AnyPoller::new`] never makes it.
            #[cfg(feature = "mock")]
            Mock(mock::Mock),
        }

        /// Calls `$call` on whichever poller `$any` holds.
        macro_rules! dispatch {
            ($any:expr, $p:ident => $call:expr) => {
                match $any {
                    $($(#[$cfg])* AnyPoller::$variant($p) => $call,)*
                    #[cfg(feature = "mock")]
                    AnyPoller::Mock($p) => $call,
                }
            };
        }

        impl AnyPoller {
            /// Creates the poller called `name` (one of [`METHODS`]).
            pub fn new(name: &str, options: &Options) -> io::Result<AnyPoller> {
                $(
                    $(#[$cfg])*
                    if name == <$poller as Poller>::NAME {
                        return <$poller as Poller>::new(options).map(AnyPoller::$variant);
                    }
                )*
                let _ = options;
                Err(io::Error::from(io::ErrorKind::Unsupported))
            }
        }
    };
}

pollers! {
    #[cfg(has_event_ports)]
    Evport(evport::NativeEvport),
    #[cfg(has_kqueue)]
    Kqueue(kqueue::Kqueue),
    #[cfg(has_event_ports)]
    Devpoll(devpoll::NativeDevpoll),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(epoll::Epoll),
    #[cfg(unix)]
    Poll(poll::Poll),
    #[cfg(unix)]
    Select(select::Select),
    // After every method libevent knows, so that its EVENT_NO<METHOD> variables keep
    // choosing what they chose before (see docs/PERFORMANCE.md, "io_uring"). Boxed: the
    // ring's bookkeeping is several times larger than the other pollers.
    #[cfg(target_os = "linux")]
    Uring(Box<uring::Uring>),
    // Windows: only AFD polling; libevent's win32 select backend is not offered.
    #[cfg(windows)]
    Wepoll(iocp::Wepoll),
}

/// A boxed poller is the poller, kept out of line.
impl<P: Poller> Poller for Box<P> {
    const NAME: &'static str = P::NAME;
    const FEATURES: Features = P::FEATURES;

    fn new(options: &Options) -> io::Result<Self> {
        P::new(options).map(Box::new)
    }

    #[inline]
    fn change(&mut self, fd: Fd, old: Interest, new: Interest) -> io::Result<()> {
        (**self).change(fd, old, new)
    }

    #[inline]
    fn wait<F: FnMut(Fd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()> {
        (**self).wait(timeout, on_ready)
    }
}

impl AnyPoller {
    /// The method's name.
    pub fn name(&self) -> &'static str {
        fn name_of<P: Poller>(_: &P) -> &'static str {
            P::NAME
        }
        dispatch!(self, p => name_of(p))
    }

    /// The method's features.
    pub fn features(&self) -> Features {
        fn features_of<P: Poller>(_: &P) -> Features {
            P::FEATURES
        }
        dispatch!(self, p => features_of(p))
    }

    /// See [`Poller::change`].
    #[inline]
    pub fn change(&mut self, fd: Fd, old: Interest, new: Interest) -> io::Result<()> {
        dispatch!(self, p => p.change(fd, old, new))
    }

    /// See [`Poller::wait_into`].
    #[inline]
    pub fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(Fd, Readiness)>,
    ) -> io::Result<()> {
        dispatch!(self, p => p.wait_into(timeout, ready))
    }

    /// See [`Poller::wait`].
    #[inline]
    pub fn wait<F: FnMut(Fd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()> {
        dispatch!(self, p => p.wait(timeout, on_ready))
    }
}
