//! Windows: signals through the C runtime's `signal()` and a loopback socket pair per
//! source, as libevent's signal.c does there.
//!
//! The C runtime knows seven signals ([`CATCHABLE`]). It resets a signal to `SIG_DFL`
//! before calling its handler, so the handler installs itself again first thing.
//! SIGINT and SIGBREAK handlers run on a thread the system creates for the console
//! event, so sending on a socket from the handler is allowed.

use std::ffi::c_int;
use std::io;
use std::net::TcpStream;
use std::os::windows::io::AsRawSocket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use windows_sys::Win32::Networking::WinSock;

use super::slots::{self, release_slot, send_to_watchers, wait_for_handlers, Slot, SLOT_COUNT};
use super::{signal_bit, Counts, SignalMethod, SignalSource, Watched, MAX_READS_PER_DRAIN, NSIG};
use crate::{errno, sys, Fd};

/// The C runtime's SIGBREAK (Ctrl+Break), which the libc crate does not define.
pub const SIGBREAK: c_int = 21;

/// The signals the C runtime delivers through `signal()`.
pub const CATCHABLE: [c_int; 7] = [
    libc::SIGINT,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGTERM,
    SIGBREAK,
    libc::SIGABRT,
];

/// The sources the handler sends to.
static SLOTS: [Slot<AtomicU64>; SLOT_COUNT] =
    [const { Slot::new(AtomicU64::new(u64::MAX)) }; SLOT_COUNT];

/// The handler: installs itself again, then sends `signo` as one byte to every source
/// watching it. Leaves errno and the socket error as it found them, as libevent does.
extern "C" fn deliver_signal(signo: c_int) {
    let saved_errno = errno::get();
    let saved_socket_error = errno::socket_error();
    // SAFETY: `deliver_signal` is a valid handler for any of the catchable signals.
    unsafe { libc::signal(signo, handler()) };
    let bit = signal_bit(signo);
    if let (true, Ok(byte)) = (bit != 0, u8::try_from(signo)) {
        send_to_watchers(&SLOTS, bit, |socket| {
            // Full buffers drop the byte: the source is readable anyway.
            // SAFETY: `socket` stays open while the handler is counted in flight (see
            // `Slot`), and the buffer is one readable byte.
            unsafe { WinSock::send(socket as WinSock::SOCKET, &byte, 1, 0) };
        });
    }
    errno::set_socket_error(saved_socket_error);
    errno::set(saved_errno);
}

fn handler() -> libc::sighandler_t {
    deliver_signal as extern "C" fn(c_int) as libc::sighandler_t
}

/// Per signal: how many sources watch it, and the handler it had before the first.
struct Registry {
    watchers: [u32; NSIG as usize],
    saved: [libc::sighandler_t; NSIG as usize],
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    watchers: [0; NSIG as usize],
    saved: [libc::SIG_DFL; NSIG as usize],
});

fn registry() -> MutexGuard<'static, Registry> {
    // Consistent at every step, so a panic elsewhere does not make it unusable.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs `handler` for `signo`; returns the previous one.
fn set_handler(signo: c_int, handler: libc::sighandler_t) -> io::Result<libc::sighandler_t> {
    // SAFETY: `signo` is one of CATCHABLE (checked by the caller through
    // `Watched`) and `handler` is SIG_DFL, SIG_IGN, a saved handler or ours.
    let old = unsafe { libc::signal(signo, handler) };
    if old == libc::SIG_ERR as libc::sighandler_t {
        Err(io::Error::from_raw_os_error(errno::get()))
    } else {
        Ok(old)
    }
}

/// Signals sent over a loopback socket pair by the C runtime handler.
#[derive(Debug)]
pub struct CrtSignals {
    reader: TcpStream,
    writer: TcpStream,
    /// Our entry in `SLOTS`, taken at the first watch and kept until drop.
    slot: Option<usize>,
    pub(super) watched: Watched,
}

impl CrtSignals {
    fn slot_entry(&self) -> Option<&'static Slot<AtomicU64>> {
        self.slot.and_then(|index| SLOTS.get(index))
    }

    fn claimed_slot(&mut self) -> io::Result<&'static Slot<AtomicU64>> {
        slots::claimed_slot(&SLOTS, &mut self.slot, self.writer.as_raw_socket())
    }
}

impl SignalSource for CrtSignals {
    const METHOD: SignalMethod = SignalMethod::Sigaction;

    fn new() -> io::Result<Self> {
        let (reader, writer) = sys::loopback_pair()?;
        Ok(CrtSignals {
            reader,
            writer,
            slot: None,
            watched: Watched::default(),
        })
    }

    fn fd(&self) -> Fd {
        self.reader.as_raw_socket()
    }

    fn watch(&mut self, signo: i32) -> io::Result<()> {
        let Some(bit) = self.watched.bit_to_add(signo)? else {
            return Ok(());
        };
        let slot = self.claimed_slot()?;
        let mut registry = registry();
        let index = usize::try_from(signo).map_err(|_| io::ErrorKind::InvalidInput)?;
        let watchers = registry
            .watchers
            .get(index)
            .copied()
            .ok_or(io::ErrorKind::InvalidInput)?;
        // Published before the handler is installed, so the first delivery is not lost.
        slot.signals.fetch_or(bit, Ordering::SeqCst);
        if watchers == 0 {
            match set_handler(signo, handler()) {
                Ok(old) => {
                    if let Some(saved) = registry.saved.get_mut(index) {
                        *saved = old;
                    }
                }
                Err(err) => {
                    slot.signals.fetch_and(!bit, Ordering::SeqCst);
                    return Err(err);
                }
            }
        }
        if let Some(count) = registry.watchers.get_mut(index) {
            *count = count.saturating_add(1);
        }
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
        let index = usize::try_from(signo).map_err(|_| io::ErrorKind::InvalidInput)?;
        let saved = registry.saved.get(index).copied().unwrap_or(libc::SIG_DFL);
        let Some(count) = registry.watchers.get_mut(index) else {
            return Ok(());
        };
        *count = count.saturating_sub(1);
        if *count == 0 {
            set_handler(signo, saved).map(drop)
        } else {
            Ok(())
        }
    }

    fn drain<F: FnMut(i32, u32)>(&mut self, on_signal: F) {
        let mut counts = Counts::new();
        let mut buf = [0u8; 256];
        sys::drain_socket(&self.reader, &mut buf, MAX_READS_PER_DRAIN, |bytes| {
            counts.add_bytes(bytes);
        });
        counts.report(self.watched, on_signal);
    }

    /// Windows has no fork(); this makes a fresh pair and points the handler at it.
    fn reinit_after_fork(&mut self) -> io::Result<Fd> {
        let (reader, writer) = sys::loopback_pair()?;
        if let Some(slot) = self.slot_entry() {
            slot.target.store(writer.as_raw_socket(), Ordering::SeqCst);
            wait_for_handlers(slot);
        }
        self.reader = reader;
        self.writer = writer;
        Ok(self.fd())
    }
}

impl Drop for CrtSignals {
    fn drop(&mut self) {
        for signo in self.watched.signals() {
            let _ = self.unwatch(signo);
        }
        // Before the writer socket is closed (when the fields drop).
        if let Some(slot) = self.slot_entry() {
            release_slot(slot);
        }
        self.slot = None;
    }
}

// Compiled for Windows only; they run where the Windows build is tested.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_signal_is_drained() {
        let mut source = CrtSignals::new().expect("new");
        assert_eq!(
            source.watch(10).unwrap_err().kind(),
            io::ErrorKind::InvalidInput,
            "not a C runtime signal"
        );
        source.watch(libc::SIGTERM).expect("watch");
        // SAFETY: our handler is installed for SIGTERM; raise runs it in this thread.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        // The handler installed itself again: a second delivery is caught too.
        // SAFETY: as above.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        let mut got = Vec::new();
        source.drain(|signo, count| got.push((signo, count)));
        assert_eq!(got, vec![(libc::SIGTERM, 2)]);
        source.unwatch(libc::SIGTERM).expect("unwatch");
    }
}
