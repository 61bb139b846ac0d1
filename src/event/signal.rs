//! Signal delivery: each base owns a [`SignalReceiver`] whose descriptor becomes readable
//! when a signal it watches arrives, so the loop treats signals like any other I/O.
//!
//! Two methods, as in libevent 2.2.1:
//!
//! - [`SignalMethod::Sigaction`]: one process-wide handler. It looks up every receiver
//!   watching the signal in a fixed table (`SLOTS`) and writes the signal number, as one
//!   byte, to each receiver's self-pipe. Unlike libevent 2.1, every base watching a
//!   signal gets every delivery, not only the most recent one.
//! - [`SignalMethod::Signalfd`] (Linux): the watched signals are blocked in the calling
//!   thread and read from a signalfd(2). The kernel hands each pending signal to one
//!   reader, so with several signalfd receivers watching one signal, one of them reads
//!   each delivery.
//!
//! Whatever the method, the disposition a signal had before the first receiver in the
//! process watched it is saved (`REGISTRY`) and put back when the last one stops.

use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One more than the highest signal number.
#[cfg(any(target_os = "linux", target_os = "android"))]
const NSIG: i32 = 65;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NSIG: i32 = 32;

// Signal `n` is bit `n - 1` of a `u64`.
const _: () = assert!(NSIG <= 65);

/// How many receivers the process-wide handler can serve at once.
const SLOT_COUNT: usize = 64;

/// At most this many reads per drain, so a flood of signals cannot keep one drain going.
const MAX_READS_PER_DRAIN: usize = 64;

/// How signals reach a base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalMethod {
    /// Linux signalfd(2): the watched signals are blocked in the calling thread and read from a descriptor.
    Signalfd,
    /// A classic sigaction handler that writes to a self-pipe.
    Sigaction,
}

impl SignalMethod {
    /// The name libevent 2.2.1's event_base_get_signal_method reports: "signalfd_signal" or "signal".
    pub fn name(self) -> &'static str {
        match self {
            SignalMethod::Signalfd => "signalfd_signal",
            SignalMethod::Sigaction => "signal",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Process-wide state
// ---------------------------------------------------------------------------------------

/// One receiver's entry in the handler's table. Only atomics, so that the signal handler
/// can read it without locks.
struct Slot {
    /// Write end of the receiver's pipe; -1 while the slot is free.
    write_fd: AtomicI32,
    /// Bit `n - 1` is set while the receiver watches signal `n`.
    signals: AtomicU64,
    /// Handlers currently between reading `write_fd` and finishing their write. The owner
    /// waits for zero after unpublishing a descriptor and before closing it, so a handler
    /// never writes to a closed (or reused) descriptor.
    in_flight: AtomicU32,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            write_fd: AtomicI32::new(-1),
            signals: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
        }
    }
}

/// The receivers the process-wide handler writes to.
static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];

/// Bookkeeping of one signal number across all receivers.
#[derive(Clone, Copy)]
struct SignalState {
    /// Receivers (of either method) watching the signal.
    watchers: u32,
    /// Sigaction receivers watching it: our handler is installed while this is non-zero.
    handler_users: u32,
    /// Signalfd receivers watching it.
    signalfd_users: u32,
    /// The disposition before the first watcher; restored when no watcher needs ours.
    saved: Option<libc::sigaction>,
}

impl SignalState {
    const UNUSED: SignalState = SignalState {
        watchers: 0,
        handler_users: 0,
        signalfd_users: 0,
        saved: None,
    };
}

struct Registry {
    signals: [SignalState; NSIG as usize],
}

impl Registry {
    fn state(&mut self, signo: i32) -> io::Result<&mut SignalState> {
        usize::try_from(signo)
            .ok()
            .and_then(|index| self.signals.get_mut(index))
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
    }
}

/// Saved dispositions and watcher counts; changes to dispositions happen under it.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    signals: [SignalState::UNUSED; NSIG as usize],
});

fn registry() -> MutexGuard<'static, Registry> {
    // The registry stays consistent at every step, so a panic elsewhere while it was
    // held does not make it unusable.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

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
    if bit == 0 || signo == libc::SIGKILL || signo == libc::SIGSTOP {
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

/// Takes a free slot of `table` for `write_fd`.
fn claim_slot_in(table: &[Slot], write_fd: RawFd) -> Option<usize> {
    table.iter().position(|slot| {
        slot.write_fd
            .compare_exchange(-1, write_fd, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}

/// Frees `slot`; once this returns, no handler will write to the descriptor it held.
fn release_slot(slot: &Slot) {
    slot.signals.store(0, Ordering::SeqCst);
    slot.write_fd.store(-1, Ordering::SeqCst);
    wait_for_handlers(slot);
}

/// Waits until no handler is using the descriptor `slot` held before its last change.
fn wait_for_handlers(slot: &Slot) {
    // A handler finishes in microseconds. The limit only matters after fork(), where a
    // count may belong to a thread that no longer exists.
    let start = Instant::now();
    while slot.in_flight.load(Ordering::SeqCst) != 0 && start.elapsed() < Duration::from_secs(1) {
        std::thread::yield_now();
    }
}

/// The process-wide handler: writes `signo` to the pipe of every receiver watching it.
/// Async-signal-safe: atomics and write(2) only, no locks, no allocation, no panics.
extern "C" fn deliver_signal(signo: c_int) {
    let errno = errno_location();
    let saved_errno = if errno.is_null() {
        0
    } else {
        // SAFETY: a non-null `errno_location` points to this thread's errno.
        unsafe { *errno }
    };
    let bit = signal_bit(signo);
    if let (true, Ok(byte)) = (bit != 0, u8::try_from(signo)) {
        for slot in &SLOTS {
            if slot.signals.load(Ordering::Relaxed) & bit == 0 {
                continue;
            }
            slot.in_flight.fetch_add(1, Ordering::SeqCst);
            let fd = slot.write_fd.load(Ordering::SeqCst);
            if fd >= 0 && slot.signals.load(Ordering::SeqCst) & bit != 0 {
                // A full pipe drops the byte: the receiver is readable anyway, and the
                // signal still counts once.
                // SAFETY: `fd` stays open while `in_flight` is non-zero (see `Slot`), and
                // the buffer is one readable byte.
                unsafe { libc::write(fd, ptr::addr_of!(byte).cast::<c_void>(), 1) };
            }
            slot.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
    if !errno.is_null() {
        // SAFETY: as above. Restoring errno keeps the interrupted code's view intact.
        unsafe { *errno = saved_errno };
    }
}

// ---------------------------------------------------------------------------------------
// System calls
// ---------------------------------------------------------------------------------------

/// The calling thread's errno.
#[cfg(any(target_os = "linux", target_os = "dragonfly"))]
fn errno_location() -> *mut c_int {
    // SAFETY: always safe to call; returns the calling thread's errno.
    unsafe { libc::__errno_location() }
}

#[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
fn errno_location() -> *mut c_int {
    // SAFETY: always safe to call; returns the calling thread's errno.
    unsafe { libc::__errno() }
}

#[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
fn errno_location() -> *mut c_int {
    // SAFETY: always safe to call; returns the calling thread's errno.
    unsafe { libc::__error() }
}

/// Elsewhere errno is left as the handler found it, which is most likely anyway.
#[cfg(not(any(
    target_os = "linux",
    target_os = "dragonfly",
    target_os = "android",
    target_os = "netbsd",
    target_os = "openbsd",
    target_vendor = "apple",
    target_os = "freebsd"
)))]
fn errno_location() -> *mut c_int {
    ptr::null_mut()
}

fn check(ret: c_int) -> io::Result<c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

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

/// The current disposition of `signo`.
fn current_action(signo: i32) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask, no flags).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: with a null new action, sigaction only writes the current one to `action`.
    check(unsafe { libc::sigaction(signo, ptr::null(), &mut action) })?;
    Ok(action)
}

fn set_action(signo: i32, action: &libc::sigaction) -> io::Result<()> {
    // SAFETY: `action` is a valid sigaction; the old one is not asked for.
    check(unsafe { libc::sigaction(signo, action, ptr::null_mut()) }).map(drop)
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

/// Blocks (`libc::SIG_BLOCK`) or unblocks (`libc::SIG_UNBLOCK`) `mask` in the calling thread.
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

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn make_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [c_int; 2] = [-1, -1];
    #[cfg(not(target_vendor = "apple"))]
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    #[cfg(target_vendor = "apple")]
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    check(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: pipe succeeded, so both are fresh descriptors that nothing else owns.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(target_vendor = "apple")]
    for fd in [&ends.0, &ends.1] {
        // SAFETY: fcntl on a descriptor we own, with integer arguments.
        unsafe {
            check(libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            check(libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK))?;
        }
    }
    Ok(ends)
}

/// A new non-blocking, close-on-exec signalfd reading the signals of `mask`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn make_signalfd(mask: u64) -> io::Result<OwnedFd> {
    let set = sigset_of(mask);
    // SAFETY: `set` is a valid sigset_t; -1 asks for a new descriptor.
    let fd = check(unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) })?;
    // SAFETY: signalfd succeeded, so `fd` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn make_signalfd(_mask: u64) -> io::Result<OwnedFd> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "signalfd is only available on Linux",
    ))
}

/// Makes the signalfd `fd` read the signals of `mask`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_signalfd_mask(fd: RawFd, mask: u64) -> io::Result<()> {
    let set = sigset_of(mask);
    // SAFETY: `fd` is a signalfd we own and `set` a valid sigset_t.
    check(unsafe { libc::signalfd(fd, &set, 0) }).map(drop)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_signalfd_mask(_fd: RawFd, _mask: u64) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Takes pending instances of `signo` off the calling thread and the process without
/// running any handler: they arrived while a receiver watched the signal, so they must
/// not reach the disposition that is about to be unblocked.
#[cfg(any(target_os = "linux", target_os = "android"))]
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

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn discard_pending(_signo: i32) {}

/// One read(2); `Ok(0)` at end of file.
fn read_some(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast::<c_void>(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// The size of one record read from a signalfd (`struct signalfd_siginfo`).
const SIGINFO_SIZE: usize = 128;
#[cfg(any(target_os = "linux", target_os = "android"))]
const _: () = assert!(std::mem::size_of::<libc::signalfd_siginfo>() == SIGINFO_SIZE);

// ---------------------------------------------------------------------------------------
// The receiver
// ---------------------------------------------------------------------------------------

/// One base's receiver of signals. Its `fd()` becomes readable when a watched signal arrives.
#[derive(Debug)]
pub struct SignalReceiver {
    method: SignalMethod,
    /// The pipe's read end (Sigaction) or the signalfd (Signalfd).
    read_fd: OwnedFd,
    /// The pipe's write end, which the handler writes to (Sigaction only).
    write_fd: Option<OwnedFd>,
    /// Our entry in [`SLOTS`], taken at the first watch and kept until drop (Sigaction only).
    slot: Option<usize>,
    /// Bit `n - 1` is set while signal `n` is watched.
    watched: u64,
}

impl SignalReceiver {
    /// Creates a receiver. Signalfd may fail (e.g. not Linux) -> Err; the caller then falls back to Sigaction.
    pub fn new(method: SignalMethod) -> io::Result<SignalReceiver> {
        let (read_fd, write_fd) = match method {
            SignalMethod::Sigaction => {
                let (read_end, write_end) = make_pipe()?;
                (read_end, Some(write_end))
            }
            SignalMethod::Signalfd => (make_signalfd(0)?, None),
        };
        Ok(SignalReceiver {
            method,
            read_fd,
            write_fd,
            slot: None,
            watched: 0,
        })
    }

    pub fn method(&self) -> SignalMethod {
        self.method
    }

    /// The descriptor to watch for reading (non-blocking, close-on-exec). Stable for the receiver's life (changes only in reinit_after_fork).
    pub fn fd(&self) -> RawFd {
        self.read_fd.as_raw_fd()
    }

    /// Starts delivering `signo` to this receiver. Err(InvalidInput) for signo <= 0 or >= NSIG (65 on Linux) or for SIGKILL/SIGSTOP; Err from the OS otherwise. Watching an already-watched signal is Ok and idempotent.
    pub fn watch(&mut self, signo: i32) -> io::Result<()> {
        let bit = watchable_bit(signo)?;
        if self.watched & bit != 0 {
            return Ok(());
        }
        match self.method {
            SignalMethod::Sigaction => self.watch_with_handler(signo, bit),
            SignalMethod::Signalfd => self.watch_with_signalfd(signo, bit),
        }
    }

    /// Stops delivering `signo` here. When no receiver in the process watches it any more, the signal's previous disposition (saved at the first watch) is restored, and for Signalfd the signal is unblocked again in the calling thread.
    ///
    /// Unwatching a signal that is not watched is `Ok`. On an OS error the signal is no
    /// longer watched here all the same; the error says that restoring failed.
    pub fn unwatch(&mut self, signo: i32) -> io::Result<()> {
        let bit = watchable_bit(signo)?;
        if self.watched & bit == 0 {
            return Ok(());
        }
        self.watched &= !bit;
        match self.method {
            SignalMethod::Sigaction => self.unwatch_with_handler(signo, bit),
            SignalMethod::Signalfd => self.unwatch_with_signalfd(signo, bit),
        }
    }

    /// Reads everything pending without blocking and reports each signal with how many times it arrived since the last drain (on_signal(signo, count), count >= 1, each signo once per drain call).
    ///
    /// Signals are reported in ascending order. A signal that is no longer watched when
    /// the drain runs is not reported.
    pub fn drain(&mut self, mut on_signal: impl FnMut(i32, u32)) {
        let mut counts = [0u32; NSIG as usize];
        match self.method {
            SignalMethod::Sigaction => self.read_pipe(&mut counts),
            SignalMethod::Signalfd => self.read_signalfd(&mut counts),
        }
        for signo in signals_in(self.watched) {
            let count = usize::try_from(signo)
                .ok()
                .and_then(|index| counts.get(index))
                .copied()
                .unwrap_or(0);
            if count > 0 {
                on_signal(signo, count);
            }
        }
    }

    /// After fork(): makes a fresh descriptor (the old pipe/signalfd is shared with the parent) and re-arms every watched signal. Returns the new fd.
    ///
    /// Takes no lock, so it works in a child forked while another thread held one.
    pub fn reinit_after_fork(&mut self) -> io::Result<RawFd> {
        match self.method {
            SignalMethod::Sigaction => {
                let (read_end, write_end) = make_pipe()?;
                if let Some(slot) = self.slot_entry() {
                    // Only the forking thread survives, so a non-zero count belongs to
                    // a thread that is gone.
                    slot.in_flight.store(0, Ordering::SeqCst);
                    slot.write_fd.store(write_end.as_raw_fd(), Ordering::SeqCst);
                    wait_for_handlers(slot);
                }
                // The old ends, shared with the parent, are closed here.
                self.read_fd = read_end;
                self.write_fd = Some(write_end);
                // The handler survives fork; installing it again makes sure every
                // watched signal reaches the new pipe.
                let action = handler_action();
                let mut result = Ok(());
                for signo in signals_in(self.watched) {
                    if let Err(err) = set_action(signo, &action) {
                        result = Err(err);
                    }
                }
                result.map(|()| self.fd())
            }
            SignalMethod::Signalfd => {
                change_thread_mask(libc::SIG_BLOCK, self.watched)?;
                self.read_fd = make_signalfd(self.watched)?;
                Ok(self.fd())
            }
        }
    }

    fn slot_entry(&self) -> Option<&'static Slot> {
        self.slot.and_then(|index| SLOTS.get(index))
    }

    /// Our slot, taking one at the first watch.
    fn claimed_slot(&mut self) -> io::Result<&'static Slot> {
        if let Some(slot) = self.slot_entry() {
            return Ok(slot);
        }
        let write_fd = self
            .write_fd
            .as_ref()
            .map(AsRawFd::as_raw_fd)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let index = claim_slot_in(&SLOTS, write_fd).ok_or_else(|| {
            io::Error::other("too many signal receivers in the process (handler table full)")
        })?;
        self.slot = Some(index);
        SLOTS
            .get(index)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
    }

    fn watch_with_handler(&mut self, signo: i32, bit: u64) -> io::Result<()> {
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
        self.watched |= bit;
        Ok(())
    }

    fn watch_with_signalfd(&mut self, signo: i32, bit: u64) -> io::Result<()> {
        let fd = self.fd();
        let mut registry = registry();
        let state = registry.state(signo)?;
        let previous = if state.watchers == 0 {
            Some(current_action(signo)?)
        } else {
            None
        };
        set_signalfd_mask(fd, self.watched | bit)?;
        // Blocked so that the signal stays pending for the signalfd instead of being
        // handled by its disposition (as libevent does, in the calling thread).
        if let Err(err) = change_thread_mask(libc::SIG_BLOCK, bit) {
            let _ = set_signalfd_mask(fd, self.watched);
            return Err(err);
        }
        if previous.is_some() {
            state.saved = previous;
        }
        state.signalfd_users = state.signalfd_users.saturating_add(1);
        state.watchers = state.watchers.saturating_add(1);
        self.watched |= bit;
        Ok(())
    }

    fn unwatch_with_handler(&mut self, signo: i32, bit: u64) -> io::Result<()> {
        if let Some(slot) = self.slot_entry() {
            slot.signals.fetch_and(!bit, Ordering::SeqCst);
        }
        let mut registry = registry();
        let state = registry.state(signo)?;
        state.handler_users = state.handler_users.saturating_sub(1);
        state.watchers = state.watchers.saturating_sub(1);
        let mut result = Ok(());
        if state.handler_users == 0 {
            // Signalfd receivers that still watch it do not need our handler.
            if let Some(saved) = state.saved.as_ref() {
                result = set_action(signo, saved);
            }
        }
        if state.watchers == 0 {
            state.saved = None;
        }
        result
    }

    fn unwatch_with_signalfd(&mut self, signo: i32, bit: u64) -> io::Result<()> {
        let mut result = set_signalfd_mask(self.fd(), self.watched);
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

    fn read_pipe(&self, counts: &mut [u32]) {
        let mut buf = [0u8; 256];
        for _ in 0..MAX_READS_PER_DRAIN {
            match read_some(self.fd(), &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    for &byte in buf.get(..n).unwrap_or(&[]) {
                        count_signal(counts, u32::from(byte));
                    }
                    if n < buf.len() {
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    fn read_signalfd(&self, counts: &mut [u32]) {
        let mut buf = [0u8; SIGINFO_SIZE * 16];
        for _ in 0..MAX_READS_PER_DRAIN {
            match read_some(self.fd(), &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let records = buf.get(..n).unwrap_or(&[]).chunks_exact(SIGINFO_SIZE);
                    for record in records {
                        // `ssi_signo` is the record's first field.
                        if let Some(signo) = record.first_chunk::<4>() {
                            count_signal(counts, u32::from_ne_bytes(*signo));
                        }
                    }
                    if n < buf.len() {
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }
}

fn count_signal(counts: &mut [u32], signo: u32) {
    if let Some(count) = usize::try_from(signo)
        .ok()
        .and_then(|index| counts.get_mut(index))
    {
        *count = count.saturating_add(1);
    }
}

impl Drop for SignalReceiver {
    fn drop(&mut self) {
        for signo in signals_in(self.watched) {
            let _ = self.unwatch(signo);
        }
        // Before the pipe's write end is closed (when the fields drop).
        if let Some(slot) = self.slot_entry() {
            release_slot(slot);
        }
        self.slot = None;
    }
}

/// Serializes tests that change process-wide signal state (dispositions, signal masks,
/// receivers watching signals), in this module and elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: [SignalMethod; 2] = [SignalMethod::Sigaction, SignalMethod::Signalfd];

    /// Times the test handler ran.
    static CUSTOM_HITS: AtomicU32 = AtomicU32::new(0);

    extern "C" fn custom_handler(_signo: c_int) {
        CUSTOM_HITS.fetch_add(1, Ordering::SeqCst);
    }

    fn custom_handler_address() -> libc::sighandler_t {
        custom_handler as extern "C" fn(c_int) as libc::sighandler_t
    }

    fn deliver_signal_address() -> libc::sighandler_t {
        deliver_signal as extern "C" fn(c_int) as libc::sighandler_t
    }

    /// Puts a signal's disposition back as it was, however the test ends.
    struct DispositionGuard {
        signo: i32,
        saved: libc::sigaction,
    }

    impl DispositionGuard {
        fn new(signo: i32) -> DispositionGuard {
            DispositionGuard {
                signo,
                saved: current_action(signo).expect("sigaction"),
            }
        }
    }

    impl Drop for DispositionGuard {
        fn drop(&mut self) {
            let _ = set_action(self.signo, &self.saved);
        }
    }

    fn install_custom_handler(signo: i32) {
        // SAFETY: an all-zero sigaction is a valid value.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = custom_handler_address();
        action.sa_flags = libc::SA_RESTART;
        set_action(signo, &action).expect("install test handler");
    }

    fn handler_of(signo: i32) -> libc::sighandler_t {
        current_action(signo).expect("sigaction").sa_sigaction
    }

    fn raise(signo: i32) {
        // SAFETY: raising a signal whose disposition the test controls.
        assert_eq!(unsafe { libc::raise(signo) }, 0);
    }

    fn readable(fd: RawFd, timeout_ms: c_int) -> bool {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        n == 1 && pfd.revents & libc::POLLIN != 0
    }

    fn drained(receiver: &mut SignalReceiver) -> Vec<(i32, u32)> {
        let mut seen = Vec::new();
        receiver.drain(|signo, count| seen.push((signo, count)));
        seen
    }

    fn blocked_in_thread(signo: i32) -> bool {
        // SAFETY: an all-zero sigset_t is valid; pthread_sigmask fills it.
        let mut current: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: a null new set only reads the current mask into `current`.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, ptr::null(), &mut current) };
        assert_eq!(rc, 0);
        // SAFETY: `current` is initialised.
        unsafe { libc::sigismember(&current, signo) == 1 }
    }

    fn fd_flags(fd: RawFd) -> (c_int, c_int) {
        // SAFETY: fcntl queries on an open descriptor.
        unsafe {
            (
                libc::fcntl(fd, libc::F_GETFD),
                libc::fcntl(fd, libc::F_GETFL),
            )
        }
    }

    #[test]
    fn method_names() {
        assert_eq!(SignalMethod::Signalfd.name(), "signalfd_signal");
        assert_eq!(SignalMethod::Sigaction.name(), "signal");
    }

    #[test]
    fn descriptors_are_nonblocking_and_close_on_exec() {
        for method in METHODS {
            let receiver = SignalReceiver::new(method).expect("new");
            assert_eq!(receiver.method(), method);
            let (fd_flags, status_flags) = fd_flags(receiver.fd());
            assert_ne!(fd_flags & libc::FD_CLOEXEC, 0, "{method:?}");
            assert_ne!(status_flags & libc::O_NONBLOCK, 0, "{method:?}");
        }
    }

    #[test]
    fn invalid_signal_numbers_are_rejected() {
        let _lock = test_lock();
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            for signo in [
                i32::MIN,
                -1,
                0,
                NSIG,
                NSIG + 1,
                i32::MAX,
                libc::SIGKILL,
                libc::SIGSTOP,
            ] {
                let err = receiver.watch(signo).expect_err("watch must fail");
                assert_eq!(
                    err.kind(),
                    io::ErrorKind::InvalidInput,
                    "{method:?} {signo}"
                );
                let err = receiver.unwatch(signo).expect_err("unwatch must fail");
                assert_eq!(
                    err.kind(),
                    io::ErrorKind::InvalidInput,
                    "{method:?} {signo}"
                );
            }
            assert_eq!(receiver.watched, 0);
        }
    }

    #[test]
    fn raised_signal_makes_fd_readable_and_drains_once() {
        let _lock = test_lock();
        let _disposition = DispositionGuard::new(libc::SIGUSR1);
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(libc::SIGUSR1).expect("watch");
            assert!(!readable(receiver.fd(), 0), "{method:?}");
            assert!(drained(&mut receiver).is_empty(), "{method:?}");

            raise(libc::SIGUSR1);
            assert!(readable(receiver.fd(), 1000), "{method:?}");
            assert_eq!(drained(&mut receiver), [(libc::SIGUSR1, 1)], "{method:?}");
            assert!(!readable(receiver.fd(), 0), "{method:?}");
            assert!(drained(&mut receiver).is_empty(), "{method:?}");
        }
    }

    #[test]
    fn counts_per_signal() {
        let _lock = test_lock();
        let _usr1 = DispositionGuard::new(libc::SIGUSR1);
        let _usr2 = DispositionGuard::new(libc::SIGUSR2);
        let mut receiver = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        receiver.watch(libc::SIGUSR1).expect("watch");
        receiver.watch(libc::SIGUSR2).expect("watch");
        // With a handler, each raise is handled before raise returns.
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR2);
        assert_eq!(
            drained(&mut receiver),
            [(libc::SIGUSR1, 1), (libc::SIGUSR2, 3)]
        );

        // Blocked standard signals merge while pending; each is reported once.
        let mut receiver = SignalReceiver::new(SignalMethod::Signalfd).expect("new");
        receiver.watch(libc::SIGUSR1).expect("watch");
        receiver.watch(libc::SIGUSR2).expect("watch");
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR2);
        assert_eq!(
            drained(&mut receiver),
            [(libc::SIGUSR1, 1), (libc::SIGUSR2, 1)]
        );
    }

    #[test]
    fn realtime_signals_count_every_arrival() {
        let _lock = test_lock();
        let signo = libc::SIGRTMIN() + 2;
        let _disposition = DispositionGuard::new(signo);
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(signo).expect("watch");
            raise(signo);
            raise(signo);
            raise(signo);
            assert!(readable(receiver.fd(), 1000), "{method:?}");
            assert_eq!(drained(&mut receiver), [(signo, 3)], "{method:?}");
        }
    }

    #[test]
    fn process_directed_signal_reaches_handler_receiver() {
        let _lock = test_lock();
        let _disposition = DispositionGuard::new(libc::SIGUSR2);
        let mut receiver = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        receiver.watch(libc::SIGUSR2).expect("watch");
        // SAFETY: signals this process; our handler is installed for SIGUSR2.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
        assert!(readable(receiver.fd(), 1000));
        assert_eq!(drained(&mut receiver), [(libc::SIGUSR2, 1)]);
    }

    #[test]
    fn every_receiver_gets_every_delivery() {
        let _lock = test_lock();
        let _usr1 = DispositionGuard::new(libc::SIGUSR1);
        let _hup = DispositionGuard::new(libc::SIGHUP);
        let mut first = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        let mut second = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        first.watch(libc::SIGUSR1).expect("watch");
        second.watch(libc::SIGUSR1).expect("watch");
        first.watch(libc::SIGHUP).expect("watch");

        raise(libc::SIGUSR1);
        assert!(readable(first.fd(), 1000));
        assert!(readable(second.fd(), 1000));
        assert_eq!(drained(&mut first), [(libc::SIGUSR1, 1)]);
        assert_eq!(drained(&mut second), [(libc::SIGUSR1, 1)]);

        // Only the receiver watching it hears SIGHUP.
        raise(libc::SIGHUP);
        assert!(readable(first.fd(), 1000));
        assert!(!readable(second.fd(), 0));
        assert_eq!(drained(&mut first), [(libc::SIGHUP, 1)]);

        // After the first stops, the second still hears SIGUSR1.
        first.unwatch(libc::SIGUSR1).expect("unwatch");
        raise(libc::SIGUSR1);
        assert!(readable(second.fd(), 1000));
        assert!(!readable(first.fd(), 0));
        assert_eq!(drained(&mut second), [(libc::SIGUSR1, 1)]);
    }

    #[test]
    fn last_unwatch_restores_previous_handler() {
        let _lock = test_lock();
        let signo = libc::SIGHUP;
        let _disposition = DispositionGuard::new(signo);
        for method in METHODS {
            install_custom_handler(signo);
            let mut first = SignalReceiver::new(method).expect("new");
            let mut second = SignalReceiver::new(method).expect("new");
            first.watch(signo).expect("watch");
            second.watch(signo).expect("watch");
            match method {
                SignalMethod::Sigaction => assert_eq!(handler_of(signo), deliver_signal_address()),
                SignalMethod::Signalfd => assert!(blocked_in_thread(signo)),
            }

            first.unwatch(signo).expect("unwatch");
            match method {
                SignalMethod::Sigaction => assert_eq!(handler_of(signo), deliver_signal_address()),
                SignalMethod::Signalfd => assert!(blocked_in_thread(signo)),
            }

            second.unwatch(signo).expect("unwatch");
            assert_eq!(handler_of(signo), custom_handler_address(), "{method:?}");
            assert!(!blocked_in_thread(signo), "{method:?}");
            let hits = CUSTOM_HITS.load(Ordering::SeqCst);
            raise(signo);
            assert_eq!(CUSTOM_HITS.load(Ordering::SeqCst), hits + 1, "{method:?}");
            assert!(!readable(first.fd(), 0) && !readable(second.fd(), 0));
        }
    }

    #[test]
    fn drop_restores_previous_handler() {
        let _lock = test_lock();
        let signo = libc::SIGUSR2;
        let _disposition = DispositionGuard::new(signo);
        let _winch = DispositionGuard::new(libc::SIGWINCH);
        for method in METHODS {
            install_custom_handler(signo);
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(signo).expect("watch");
            receiver.watch(libc::SIGWINCH).expect("watch");
            drop(receiver);
            assert_eq!(handler_of(signo), custom_handler_address(), "{method:?}");
            assert!(!blocked_in_thread(signo), "{method:?}");
            assert!(!blocked_in_thread(libc::SIGWINCH), "{method:?}");
            let hits = CUSTOM_HITS.load(Ordering::SeqCst);
            raise(signo);
            assert_eq!(CUSTOM_HITS.load(Ordering::SeqCst), hits + 1, "{method:?}");
        }
        // Every slot was released.
        assert!(SLOTS
            .iter()
            .all(|slot| slot.signals.load(Ordering::SeqCst) & signal_bit(signo) == 0));
    }

    #[test]
    fn watch_is_idempotent() {
        let _lock = test_lock();
        let signo = libc::SIGUSR1;
        let _disposition = DispositionGuard::new(signo);
        for method in METHODS {
            install_custom_handler(signo);
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(signo).expect("watch");
            receiver.watch(signo).expect("watch again");
            raise(signo);
            assert_eq!(drained(&mut receiver), [(signo, 1)], "{method:?}");

            // One unwatch undoes both watches.
            receiver.unwatch(signo).expect("unwatch");
            assert_eq!(handler_of(signo), custom_handler_address(), "{method:?}");
            assert!(!blocked_in_thread(signo), "{method:?}");
            receiver
                .unwatch(signo)
                .expect("unwatching an unwatched signal is fine");
            let state = registry().signals[signo as usize];
            assert_eq!(state.watchers, 0);
            assert!(state.saved.is_none());
        }
    }

    #[test]
    fn unwatched_signals_are_not_reported() {
        let _lock = test_lock();
        let signo = libc::SIGUSR1;
        let _disposition = DispositionGuard::new(signo);
        install_custom_handler(signo);
        let mut watcher = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        watcher.watch(signo).expect("watch");
        raise(signo);
        watcher.unwatch(signo).expect("unwatch");
        assert!(drained(&mut watcher).is_empty());
    }

    #[test]
    fn signalfd_blocks_and_discards_undrained_signals_on_last_unwatch() {
        let _lock = test_lock();
        let signo = libc::SIGUSR2;
        let _disposition = DispositionGuard::new(signo);
        install_custom_handler(signo);
        let mut receiver = SignalReceiver::new(SignalMethod::Signalfd).expect("new");
        assert!(!blocked_in_thread(signo));
        receiver.watch(signo).expect("watch");
        assert!(blocked_in_thread(signo));
        // Signalfd leaves the disposition alone.
        assert_eq!(handler_of(signo), custom_handler_address());

        let hits = CUSTOM_HITS.load(Ordering::SeqCst);
        raise(signo);
        assert!(readable(receiver.fd(), 1000));
        // It arrived while watched, so the handler must not see it after unwatch.
        receiver.unwatch(signo).expect("unwatch");
        assert!(!blocked_in_thread(signo));
        assert_eq!(CUSTOM_HITS.load(Ordering::SeqCst), hits);
        assert!(!readable(receiver.fd(), 0));
    }

    #[test]
    fn both_methods_on_one_signal() {
        let _lock = test_lock();
        let signo = libc::SIGHUP;
        let _disposition = DispositionGuard::new(signo);
        install_custom_handler(signo);
        let mut with_handler = SignalReceiver::new(SignalMethod::Sigaction).expect("new");
        let mut with_signalfd = SignalReceiver::new(SignalMethod::Signalfd).expect("new");
        with_handler.watch(signo).expect("watch");
        with_signalfd.watch(signo).expect("watch");
        assert_eq!(handler_of(signo), deliver_signal_address());

        // The signalfd receiver alone does not need our handler.
        with_handler.unwatch(signo).expect("unwatch");
        assert_eq!(handler_of(signo), custom_handler_address());
        assert!(blocked_in_thread(signo));
        raise(signo);
        assert!(readable(with_signalfd.fd(), 1000));
        assert_eq!(drained(&mut with_signalfd), [(signo, 1)]);

        // Watching with the handler again installs it again.
        with_handler.watch(signo).expect("watch");
        assert_eq!(handler_of(signo), deliver_signal_address());
        with_signalfd.unwatch(signo).expect("unwatch");
        assert!(!blocked_in_thread(signo));
        raise(signo);
        assert_eq!(drained(&mut with_handler), [(signo, 1)]);
        with_handler.unwatch(signo).expect("unwatch");
        assert_eq!(handler_of(signo), custom_handler_address());
    }

    #[test]
    fn reinit_gives_a_working_new_fd() {
        let _lock = test_lock();
        let signo = libc::SIGUSR1;
        let _disposition = DispositionGuard::new(signo);
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(signo).expect("watch");
            let old_fd = receiver.fd();
            let new_fd = receiver.reinit_after_fork().expect("reinit");
            assert_eq!(new_fd, receiver.fd());
            assert_ne!(new_fd, old_fd, "{method:?}");
            let (fd_flags, status_flags) = fd_flags(new_fd);
            assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
            assert_ne!(status_flags & libc::O_NONBLOCK, 0);

            raise(signo);
            assert!(readable(new_fd, 1000), "{method:?}");
            assert_eq!(drained(&mut receiver), [(signo, 1)], "{method:?}");
        }
    }

    /// The child's half of `reinit_in_forked_child`: no allocation, no panics; the exit
    /// status says which step failed.
    fn child_after_fork(receiver: &mut SignalReceiver, signo: i32) -> c_int {
        let old_fd = receiver.fd();
        let Ok(new_fd) = receiver.reinit_after_fork() else {
            return 10;
        };
        if new_fd == old_fd {
            return 11;
        }
        raise(signo);
        if !readable(new_fd, 2000) {
            return 12;
        }
        let mut total = 0;
        let mut others = 0;
        receiver.drain(|got, count| {
            if got == signo {
                total += count;
            } else {
                others += 1;
            }
        });
        if total != 1 || others != 0 {
            return 13;
        }
        0
    }

    #[test]
    fn reinit_in_forked_child() {
        let _lock = test_lock();
        let signo = libc::SIGUSR2;
        let _disposition = DispositionGuard::new(signo);
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            receiver.watch(signo).expect("watch");
            // SAFETY: the child only runs `child_after_fork` (system calls and atomics)
            // and leaves with _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // SAFETY: in the child; a stuck child dies of SIGALRM instead of hanging.
                unsafe { libc::alarm(10) };
                let status = child_after_fork(&mut receiver, signo);
                // SAFETY: ends the child without running the parent's destructors.
                unsafe { libc::_exit(status) };
            }
            let mut status = 0;
            // SAFETY: waits for our own child.
            let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
            assert_eq!(waited, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "{method:?}: child status {status:#x}"
            );
            // The child's signal went to the child's new descriptor only.
            assert!(!readable(receiver.fd(), 0), "{method:?}");
            assert!(drained(&mut receiver).is_empty(), "{method:?}");
        }
    }

    #[test]
    fn errors_from_the_os_leave_nothing_watched() {
        let _lock = test_lock();
        // glibc keeps signals 32 and 33 for itself and refuses sigaction on them; other
        // C libraries may allow it, so only consistency is checked.
        for method in METHODS {
            let mut receiver = SignalReceiver::new(method).expect("new");
            match receiver.watch(32) {
                Ok(()) => receiver.unwatch(32).expect("unwatch"),
                Err(_) => assert_eq!(receiver.watched, 0),
            }
            let state = registry().signals[32];
            assert_eq!(state.watchers, 0);
        }
    }

    #[test]
    fn slot_table_fills_and_frees() {
        let table = [const { Slot::new() }; 2];
        assert_eq!(claim_slot_in(&table, 10), Some(0));
        assert_eq!(claim_slot_in(&table, 11), Some(1));
        assert_eq!(claim_slot_in(&table, 12), None);
        table[0]
            .signals
            .store(signal_bit(libc::SIGUSR1), Ordering::SeqCst);
        release_slot(&table[0]);
        assert_eq!(table[0].signals.load(Ordering::SeqCst), 0);
        assert_eq!(claim_slot_in(&table, 13), Some(0));
        assert_eq!(table[0].write_fd.load(Ordering::SeqCst), 13);
    }

    #[test]
    fn signal_bits() {
        assert_eq!(signal_bit(0), 0);
        assert_eq!(signal_bit(-5), 0);
        assert_eq!(signal_bit(NSIG), 0);
        assert_eq!(signal_bit(1), 1);
        assert_eq!(signal_bit(NSIG - 1), 1 << (NSIG - 2));
        let mask = signal_bit(3) | signal_bit(NSIG - 1);
        assert_eq!(signals_in(mask).collect::<Vec<_>>(), [3, NSIG - 1]);
        assert!(watchable_bit(libc::SIGKILL).is_err());
        assert!(watchable_bit(libc::SIGSTOP).is_err());
        assert_eq!(
            watchable_bit(libc::SIGINT).ok(),
            Some(signal_bit(libc::SIGINT))
        );
    }
}
