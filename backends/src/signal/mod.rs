//! Signal delivery through a descriptor: a [`SignalSource`] becomes readable when a
//! signal it watches arrives, so that a loop treats signals like any other I/O.
//!
//! Two methods, as in libevent 2.2.1 ([`AnySignalSource`] picks one at run time):
//!
//! - [`SignalMethod::Sigaction`] ([`SigactionSignals`]): one process-wide handler. It
//!   looks up every source watching the signal in a fixed table and writes the signal
//!   number, as one byte, to each source's self-pipe. Unlike libevent 2.1, every source
//!   watching a signal gets every delivery, not only the most recent one.
//! - [`SignalMethod::Signalfd`] ([`SignalfdSignals`], Linux and Android): the watched
//!   signals are blocked in the calling thread and read from a signalfd(2). The kernel
//!   hands each pending signal to one reader, so with several signalfd sources
//!   watching one signal, one of them reads each delivery.
//!
//! On Windows the one method is the C runtime's `signal()` ([`CrtSignals`], reported as
//! [`SignalMethod::Sigaction`], "signal", like libevent there): its handler sends the
//! signal number over a loopback socket pair, for SIGINT, SIGILL, SIGFPE, SIGSEGV,
//! SIGTERM, SIGBREAK and SIGABRT only.
//!
//! Whatever the method, the disposition a signal had before the first source in the
//! process watched it is saved (`REGISTRY`) and put back when the last one stops.

use std::io;
#[cfg(unix)]
use std::ptr;
#[cfg(unix)]
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::Fd;

#[cfg(unix)]
mod sigaction;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod signalfd;
mod slots;

#[cfg(unix)]
pub use sigaction::SigactionSignals;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::CrtSignals;

/// The handler-based source of this system.
#[cfg(unix)]
type HandlerSignals = SigactionSignals;
#[cfg(windows)]
type HandlerSignals = CrtSignals;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use signalfd::SignalfdSignals;

// The checks raise Linux signals (real-time ones included) and use signalfd.
#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests;

/// One more than the highest signal number.
#[cfg(any(target_os = "linux", target_os = "android"))]
const NSIG: i32 = 65;
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
const NSIG: i32 = 32;
/// The C runtime's NSIG.
#[cfg(windows)]
const NSIG: i32 = 23;

// Signal `n` is bit `n - 1` of a `u64`.
const _: () = assert!(NSIG <= 65);

/// At most this many reads per drain, so a flood of signals cannot keep one drain going.
const MAX_READS_PER_DRAIN: usize = 64;

/// How signals reach a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalMethod {
    /// Linux signalfd(2): the watched signals are blocked in the calling thread and
    /// read from a descriptor.
    Signalfd,
    /// A classic sigaction handler that writes to a self-pipe (on Windows: a C runtime
    /// `signal()` handler that writes to a socket pair).
    Sigaction,
}

impl SignalMethod {
    /// The name libevent 2.2.1's `event_base_get_signal_method` reports:
    /// "signalfd_signal" or "signal".
    pub fn name(self) -> &'static str {
        match self {
            SignalMethod::Signalfd => "signalfd_signal",
            SignalMethod::Sigaction => "signal",
        }
    }
}

/// One way of receiving signals through a descriptor.
pub trait SignalSource: Sized {
    /// The method this source implements.
    const METHOD: SignalMethod;

    /// Creates a source watching nothing yet.
    fn new() -> io::Result<Self>;

    /// The descriptor to watch for reading (non-blocking, close-on-exec). It changes
    /// only in [`SignalSource::reinit_after_fork`].
    fn fd(&self) -> Fd;

    /// Starts delivering `signo` here. `InvalidInput` for a number outside
    /// `1..NSIG` (65 on Linux), SIGKILL or SIGSTOP; an OS error otherwise, with nothing
    /// changed. Watching a watched signal is `Ok` and changes nothing.
    fn watch(&mut self, signo: i32) -> io::Result<()>;

    /// Stops delivering `signo` here. When no source in the process watches it any
    /// more, its disposition from before the first watch is restored (and a signal
    /// blocked for signalfd is unblocked in the calling thread).
    ///
    /// Unwatching a signal that is not watched is `Ok`. On an OS error the signal is no
    /// longer watched here all the same; the error says that restoring failed.
    fn unwatch(&mut self, signo: i32) -> io::Result<()>;

    /// Reads everything pending without blocking and calls `on_signal(signo, count)`
    /// for each signal that arrived since the last drain, with how many times
    /// (`count >= 1`), in ascending order of `signo`. A signal that is no longer
    /// watched when the drain runs is not reported.
    fn drain<F: FnMut(i32, u32)>(&mut self, on_signal: F);

    /// After fork(): makes a fresh descriptor (the old one is shared with the parent)
    /// and re-arms every watched signal. Returns the new descriptor.
    ///
    /// Takes no lock, so it works in a child forked while another thread held one.
    fn reinit_after_fork(&mut self) -> io::Result<Fd>;
}

/// Any of the compiled-in signal sources, chosen by method at run time.
#[derive(Debug)]
pub enum AnySignalSource {
    Sigaction(HandlerSignals),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Signalfd(SignalfdSignals),
}

impl AnySignalSource {
    /// Creates a source of `method`; `Unsupported` for signalfd outside Linux and
    /// Android, and whatever the OS answers (a caller may then fall back to
    /// [`SignalMethod::Sigaction`]).
    pub fn new(method: SignalMethod) -> io::Result<AnySignalSource> {
        match method {
            SignalMethod::Sigaction => HandlerSignals::new().map(AnySignalSource::Sigaction),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            SignalMethod::Signalfd => SignalfdSignals::new().map(AnySignalSource::Signalfd),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            SignalMethod::Signalfd => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "signalfd is only available on Linux",
            )),
        }
    }

    /// The source's method.
    pub fn method(&self) -> SignalMethod {
        match self {
            AnySignalSource::Sigaction(_) => HandlerSignals::METHOD,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(_) => SignalfdSignals::METHOD,
        }
    }

    /// See [`SignalSource::fd`].
    pub fn fd(&self) -> Fd {
        match self {
            AnySignalSource::Sigaction(s) => s.fd(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.fd(),
        }
    }

    /// See [`SignalSource::watch`].
    pub fn watch(&mut self, signo: i32) -> io::Result<()> {
        match self {
            AnySignalSource::Sigaction(s) => s.watch(signo),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.watch(signo),
        }
    }

    /// See [`SignalSource::unwatch`].
    pub fn unwatch(&mut self, signo: i32) -> io::Result<()> {
        match self {
            AnySignalSource::Sigaction(s) => s.unwatch(signo),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.unwatch(signo),
        }
    }

    /// See [`SignalSource::drain`].
    pub fn drain<F: FnMut(i32, u32)>(&mut self, on_signal: F) {
        match self {
            AnySignalSource::Sigaction(s) => s.drain(on_signal),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.drain(on_signal),
        }
    }

    /// See [`SignalSource::reinit_after_fork`].
    pub fn reinit_after_fork(&mut self) -> io::Result<Fd> {
        match self {
            AnySignalSource::Sigaction(s) => s.reinit_after_fork(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.reinit_after_fork(),
        }
    }

    /// The watched signals: bit `n - 1` for signal `n`.
    #[cfg(all(test, any(target_os = "linux", target_os = "android")))]
    fn watched(&self) -> u64 {
        match self {
            AnySignalSource::Sigaction(s) => s.watched.mask(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            AnySignalSource::Signalfd(s) => s.watched.mask(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Signal numbers and sets
// ---------------------------------------------------------------------------------------

/// The bit of `signo` in a signal mask, or 0 if `signo` is out of range.
fn signal_bit(signo: i32) -> u64 {
    if (1..NSIG).contains(&signo) {
        1u64 << (signo - 1)
    } else {
        0
    }
}

/// The bit of a signal that may be watched, or `InvalidInput`.
fn watchable_bit(signo: i32) -> io::Result<u64> {
    let bit = signal_bit(signo);
    #[cfg(unix)]
    let refused = signo == libc::SIGKILL || signo == libc::SIGSTOP;
    #[cfg(windows)]
    let refused = !windows::CATCHABLE.contains(&signo);
    if bit == 0 || refused {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a signal number that can be watched",
        ));
    }
    Ok(bit)
}

/// The signal numbers in `mask`, ascending.
fn signals_in(mask: u64) -> impl Iterator<Item = i32> {
    (1..NSIG).filter(move |&signo| mask & signal_bit(signo) != 0)
}

/// The signals one source watches.
#[derive(Clone, Copy, Debug, Default)]
struct Watched(u64);

impl Watched {
    // Read by signalfd sources and the tests only.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    fn mask(self) -> u64 {
        self.0
    }

    /// The bit of `signo` if watching it is a change, `None` if it is watched already.
    fn bit_to_add(self, signo: i32) -> io::Result<Option<u64>> {
        let bit = watchable_bit(signo)?;
        Ok((self.0 & bit == 0).then_some(bit))
    }

    /// The bit of `signo` if it is watched, `None` if there is nothing to undo.
    fn bit_to_remove(self, signo: i32) -> io::Result<Option<u64>> {
        let bit = watchable_bit(signo)?;
        Ok((self.0 & bit != 0).then_some(bit))
    }

    fn signals(self) -> impl Iterator<Item = i32> {
        signals_in(self.0)
    }
}

/// How many times each signal arrived during one drain.
struct Counts([u32; NSIG as usize]);

impl Counts {
    fn new() -> Counts {
        Counts([0; NSIG as usize])
    }

    /// Counts one arrival; numbers out of range are ignored.
    fn add(&mut self, signo: u32) {
        if let Some(count) = usize::try_from(signo)
            .ok()
            .and_then(|index| self.0.get_mut(index))
        {
            *count = count.saturating_add(1);
        }
    }

    /// Counts one arrival per byte, each a signal number written by the handler.
    fn add_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.add(u32::from(byte));
        }
    }

    /// Reports the watched signals that arrived, ascending.
    fn report(&self, watched: Watched, mut on_signal: impl FnMut(i32, u32)) {
        for signo in watched.signals() {
            let count = usize::try_from(signo)
                .ok()
                .and_then(|index| self.0.get(index))
                .copied()
                .unwrap_or(0);
            if count > 0 {
                on_signal(signo, count);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Process-wide bookkeeping
// ---------------------------------------------------------------------------------------

/// Bookkeeping of one signal number across all sources.
#[cfg(unix)]
#[derive(Clone, Copy)]
struct SignalState {
    /// Sources (of either method) watching the signal.
    watchers: u32,
    /// Sigaction sources watching it: our handler is installed while this is non-zero.
    handler_users: u32,
    /// Signalfd sources watching it.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    signalfd_users: u32,
    /// The disposition before the first watcher; restored when no watcher needs ours.
    saved: Option<libc::sigaction>,
}

#[cfg(unix)]
impl SignalState {
    const UNUSED: SignalState = SignalState {
        watchers: 0,
        handler_users: 0,
        signalfd_users: 0,
        saved: None,
    };
}

#[cfg(unix)]
struct Registry {
    signals: [SignalState; NSIG as usize],
}

#[cfg(unix)]
impl Registry {
    fn state(&mut self, signo: i32) -> io::Result<&mut SignalState> {
        usize::try_from(signo)
            .ok()
            .and_then(|index| self.signals.get_mut(index))
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
    }
}

/// Saved dispositions and watcher counts; changes to dispositions happen under it.
#[cfg(unix)]
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    signals: [SignalState::UNUSED; NSIG as usize],
});

#[cfg(unix)]
fn registry() -> MutexGuard<'static, Registry> {
    // The registry stays consistent at every step, so a panic elsewhere while it was
    // held does not make it unusable.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------
// System calls
// ---------------------------------------------------------------------------------------

/// The current disposition of `signo`.
#[cfg(unix)]
fn current_action(signo: i32) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask, no flags).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: with a null new action, sigaction only writes the current one to `action`.
    crate::sys::check(unsafe { libc::sigaction(signo, ptr::null(), &mut action) })?;
    Ok(action)
}

#[cfg(unix)]
fn set_action(signo: i32, action: &libc::sigaction) -> io::Result<()> {
    // SAFETY: `action` is a valid sigaction; the old one is not asked for.
    crate::sys::check(unsafe { libc::sigaction(signo, action, ptr::null_mut()) }).map(drop)
}
