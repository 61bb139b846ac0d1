//! Signals through one process-wide sigaction handler and a self-pipe per source.

use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicI32, Ordering};

use super::slots::{self, release_slot, send_to_watchers, wait_for_handlers, Slot, SLOT_COUNT};
use super::{
    current_action, registry, set_action, signal_bit, Counts, SignalMethod, SignalSource, Watched,
    MAX_READS_PER_DRAIN,
};
use crate::{errno, sys};

/// The sources the process-wide handler writes to.
pub(super) static SLOTS: [Slot<AtomicI32>; SLOT_COUNT] =
    [const { Slot::new(AtomicI32::new(-1)) }; SLOT_COUNT];

/// The process-wide handler: writes `signo` to the pipe of every source watching it.
/// Async-signal-safe: atomics, errno and write(2) only; no locks, no allocation, no
/// panics.
pub(super) extern "C" fn deliver_signal(signo: c_int) {
    let saved_errno = errno::get();
    let bit = signal_bit(signo);
    if let (true, Ok(byte)) = (bit != 0, u8::try_from(signo)) {
        send_to_watchers(&SLOTS, bit, |fd| {
            // A full pipe drops the byte: the source is readable anyway, and the signal
            // still counts once.
            // SAFETY: `fd` stays open while the handler is counted in flight (see
            // `Slot`), and the buffer is one readable byte.
            unsafe { libc::write(fd, ptr::addr_of!(byte).cast::<c_void>(), 1) };
        });
    }
    // The interrupted code must find errno as it left it.
    errno::set(saved_errno);
}

/// The disposition that routes a signal to [`deliver_signal`].
fn handler_action() -> libc::sigaction {
    // SAFETY: an all-zero sigaction is a valid value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = deliver_signal as extern "C" fn(c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa_mask` is a valid, writable sigset_t. Masking every signal while the
    // handler runs keeps handlers from nesting in one thread.
    unsafe { libc::sigfillset(&mut action.sa_mask) };
    action
}

/// Signals written to a self-pipe by the process-wide handler.
#[derive(Debug)]
pub struct SigactionSignals {
    read_end: OwnedFd,
    /// The end the handler writes to.
    write_end: OwnedFd,
    /// Our entry in [`SLOTS`], taken at the first watch and kept until drop.
    slot: Option<usize>,
    pub(super) watched: Watched,
}

impl SigactionSignals {
    fn slot_entry(&self) -> Option<&'static Slot<AtomicI32>> {
        self.slot.and_then(|index| SLOTS.get(index))
    }

    /// Our slot, taking one at the first watch.
    fn claimed_slot(&mut self) -> io::Result<&'static Slot<AtomicI32>> {
        slots::claimed_slot(&SLOTS, &mut self.slot, self.write_end.as_raw_fd())
    }
}

impl SignalSource for SigactionSignals {
    const METHOD: SignalMethod = SignalMethod::Sigaction;

    fn new() -> io::Result<Self> {
        let (read_end, write_end) = sys::nonblocking_pipe()?;
        Ok(SigactionSignals {
            read_end,
            write_end,
            slot: None,
            watched: Watched::default(),
        })
    }

    fn fd(&self) -> RawFd {
        self.read_end.as_raw_fd()
    }

    fn watch(&mut self, signo: i32) -> io::Result<()> {
        let Some(bit) = self.watched.bit_to_add(signo)? else {
            return Ok(());
        };
        let slot = self.claimed_slot()?;
        let mut registry = registry();
        let state = registry.state(signo)?;
        let first_watcher = state.watchers == 0;
        if first_watcher {
            state.saved = Some(current_action(signo)?);
        }
        // Published before the handler is installed, so the first delivery is not lost.
        slot.signals.fetch_or(bit, Ordering::SeqCst);
        if state.handler_users == 0 {
            if let Err(err) = set_action(signo, &handler_action()) {
                slot.signals.fetch_and(!bit, Ordering::SeqCst);
                if first_watcher {
                    state.saved = None;
                }
                return Err(err);
            }
        }
        state.handler_users = state.handler_users.saturating_add(1);
        state.watchers = state.watchers.saturating_add(1);
        self.watched.0 |= bit;
        Ok(())
    }

    fn unwatch(&mut self, signo: i32) -> io::Result<()> {
        let Some(bit) = self.watched.bit_to_remove(signo)? else {
            return Ok(());
        };
        self.watched.0 &= !bit;
        if let Some(slot) = self.slot_entry() {
            slot.signals.fetch_and(!bit, Ordering::SeqCst);
        }
        let mut registry = registry();
        let state = registry.state(signo)?;
        state.handler_users = state.handler_users.saturating_sub(1);
        state.watchers = state.watchers.saturating_sub(1);
        let mut result = Ok(());
        if state.handler_users == 0 {
            // Signalfd sources that still watch it do not need our handler.
            if let Some(saved) = state.saved.as_ref() {
                result = set_action(signo, saved);
            }
        }
        if state.watchers == 0 {
            state.saved = None;
        }
        result
    }

    fn drain<F: FnMut(i32, u32)>(&mut self, on_signal: F) {
        let mut counts = Counts::new();
        let mut buf = [0u8; 256];
        sys::drain_fd(self.fd(), &mut buf, MAX_READS_PER_DRAIN, |bytes| {
            counts.add_bytes(bytes);
        });
        counts.report(self.watched, on_signal);
    }

    fn reinit_after_fork(&mut self) -> io::Result<RawFd> {
        let (read_end, write_end) = sys::nonblocking_pipe()?;
        if let Some(slot) = self.slot_entry() {
            // Only the forking thread survives, so a non-zero count belongs to a thread
            // that is gone.
            slot.in_flight.store(0, Ordering::SeqCst);
            slot.target.store(write_end.as_raw_fd(), Ordering::SeqCst);
            wait_for_handlers(slot);
        }
        // The old ends, shared with the parent, are closed here.
        self.read_end = read_end;
        self.write_end = write_end;
        // The handler survives fork; installing it again makes sure every watched
        // signal reaches the new pipe.
        let action = handler_action();
        let mut result = Ok(());
        for signo in self.watched.signals() {
            if let Err(err) = set_action(signo, &action) {
                result = Err(err);
            }
        }
        result.map(|()| self.fd())
    }
}

impl Drop for SigactionSignals {
    fn drop(&mut self) {
        for signo in self.watched.signals() {
            let _ = self.unwatch(signo);
        }
        // Before the pipe's write end is closed (when the fields drop).
        if let Some(slot) = self.slot_entry() {
            release_slot(slot);
        }
        self.slot = None;
    }
}
