//! Signals through Linux's signalfd(2): the watched signals are blocked in the calling
//! thread, so that they stay pending until read from the descriptor.

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;

use super::{
    current_action, registry, set_action, signal_bit, signals_in, Counts, SignalMethod,
    SignalSource, Watched, MAX_READS_PER_DRAIN,
};
use crate::sys;

/// The size of one record read from a signalfd (`struct signalfd_siginfo`).
const SIGINFO_SIZE: usize = 128;
const _: () = assert!(std::mem::size_of::<libc::signalfd_siginfo>() == SIGINFO_SIZE);

/// A signal set holding the signals of `mask`.
fn sigset_of(mask: u64) -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is a valid value, which sigemptyset then initialises.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable sigset_t.
    unsafe { libc::sigemptyset(&mut set) };
    for signo in signals_in(mask) {
        // SAFETY: `set` is initialised and `signo` is in range.
        unsafe { libc::sigaddset(&mut set, signo) };
    }
    set
}

/// Blocks (`libc::SIG_BLOCK`) or unblocks (`libc::SIG_UNBLOCK`) `mask` in the calling
/// thread.
fn change_thread_mask(how: c_int, mask: u64) -> io::Result<()> {
    let set = sigset_of(mask);
    // SAFETY: `set` is a valid sigset_t; the old mask is not asked for.
    let rc = unsafe { libc::pthread_sigmask(how, &set, ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// A new non-blocking, close-on-exec signalfd reading the signals of `mask`.
fn make_signalfd(mask: u64) -> io::Result<OwnedFd> {
    let set = sigset_of(mask);
    // SAFETY: `set` is a valid sigset_t; -1 asks for a new descriptor; `owned` checks
    // the result.
    sys::owned(unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) })
}

/// Makes the signalfd `fd` read the signals of `mask`.
fn set_signalfd_mask(fd: RawFd, mask: u64) -> io::Result<()> {
    let set = sigset_of(mask);
    // SAFETY: `fd` is a signalfd we own and `set` a valid sigset_t.
    sys::check(unsafe { libc::signalfd(fd, &set, 0) }).map(drop)
}

/// Takes pending instances of `signo` off the calling thread and the process without
/// running any handler: they arrived while a source watched the signal, so they must
/// not reach the disposition that is about to be unblocked.
fn discard_pending(signo: i32) {
    let set = sigset_of(signal_bit(signo));
    let no_wait = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Real-time signals queue; the bound only guards against an endless stream.
    for _ in 0..1024 {
        // SAFETY: `set` and `no_wait` are valid; the siginfo is not asked for.
        let got = unsafe { libc::sigtimedwait(&set, ptr::null_mut(), &no_wait) };
        if got != signo && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break;
        }
    }
}

/// Signals read from a signalfd.
#[derive(Debug)]
pub struct SignalfdSignals {
    fd: OwnedFd,
    pub(super) watched: Watched,
}

impl SignalSource for SignalfdSignals {
    const METHOD: SignalMethod = SignalMethod::Signalfd;

    fn new() -> io::Result<Self> {
        Ok(SignalfdSignals {
            fd: make_signalfd(0)?,
            watched: Watched::default(),
        })
    }

    fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn watch(&mut self, signo: i32) -> io::Result<()> {
        let Some(bit) = self.watched.bit_to_add(signo)? else {
            return Ok(());
        };
        let fd = self.fd();
        let mut registry = registry();
        let state = registry.state(signo)?;
        let previous = if state.watchers == 0 {
            Some(current_action(signo)?)
        } else {
            None
        };
        set_signalfd_mask(fd, self.watched.mask() | bit)?;
        // Blocked so that the signal stays pending for the signalfd instead of being
        // handled by its disposition (as libevent does, in the calling thread).
        if let Err(err) = change_thread_mask(libc::SIG_BLOCK, bit) {
            let _ = set_signalfd_mask(fd, self.watched.mask());
            return Err(err);
        }
        if previous.is_some() {
            state.saved = previous;
        }
        state.signalfd_users = state.signalfd_users.saturating_add(1);
        state.watchers = state.watchers.saturating_add(1);
        self.watched.0 |= bit;
        Ok(())
    }

    fn unwatch(&mut self, signo: i32) -> io::Result<()> {
        let Some(bit) = self.watched.bit_to_remove(signo)? else {
            return Ok(());
        };
        self.watched.0 &= !bit;
        let mut result = set_signalfd_mask(self.fd(), self.watched.mask());
        let mut registry = registry();
        let state = registry.state(signo)?;
        state.signalfd_users = state.signalfd_users.saturating_sub(1);
        state.watchers = state.watchers.saturating_sub(1);
        if state.watchers == 0 {
            if let Some(saved) = state.saved.take() {
                result = result.and(set_action(signo, &saved));
            }
        }
        if state.signalfd_users == 0 {
            discard_pending(signo);
            result = result.and(change_thread_mask(libc::SIG_UNBLOCK, bit));
        }
        result
    }

    fn drain<F: FnMut(i32, u32)>(&mut self, on_signal: F) {
        let mut counts = Counts::new();
        let mut buf = [0u8; SIGINFO_SIZE * 16];
        sys::drain_fd(self.fd(), &mut buf, MAX_READS_PER_DRAIN, |bytes| {
            for record in bytes.chunks_exact(SIGINFO_SIZE) {
                // `ssi_signo` is the record's first field.
                if let Some(signo) = record.first_chunk::<4>() {
                    counts.add(u32::from_ne_bytes(*signo));
                }
            }
        });
        counts.report(self.watched, on_signal);
    }

    fn reinit_after_fork(&mut self) -> io::Result<RawFd> {
        change_thread_mask(libc::SIG_BLOCK, self.watched.mask())?;
        self.fd = make_signalfd(self.watched.mask())?;
        Ok(self.fd())
    }
}

impl Drop for SignalfdSignals {
    fn drop(&mut self) {
        for signo in self.watched.signals() {
            let _ = self.unwatch(signo);
        }
    }
}
