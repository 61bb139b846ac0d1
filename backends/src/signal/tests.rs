//! The signal sources through [`AnySignalSource`], each check run for both methods.

use std::ffi::c_int;
use std::io;
use std::os::fd::RawFd;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::sigaction::{deliver_signal, SLOTS};
use super::slots::{claim_slot_in, release_slot, Slot};
use super::*;

/// Serializes the tests: they change process-wide signal state (dispositions, signal
/// masks, sources watching signals).
fn test_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}
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

fn drained(receiver: &mut AnySignalSource) -> Vec<(i32, u32)> {
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
        let receiver = AnySignalSource::new(method).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
        assert_eq!(receiver.watched(), 0);
    }
}

#[test]
fn raised_signal_makes_fd_readable_and_drains_once() {
    let _lock = test_lock();
    let _disposition = DispositionGuard::new(libc::SIGUSR1);
    for method in METHODS {
        let mut receiver = AnySignalSource::new(method).expect("new");
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
    let mut receiver = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
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
    let mut receiver = AnySignalSource::new(SignalMethod::Signalfd).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
    let mut receiver = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
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
    let mut first = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
    let mut second = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
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
        let mut first = AnySignalSource::new(method).expect("new");
        let mut second = AnySignalSource::new(method).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
    let mut watcher = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
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
    let mut receiver = AnySignalSource::new(SignalMethod::Signalfd).expect("new");
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
    let mut with_handler = AnySignalSource::new(SignalMethod::Sigaction).expect("new");
    let mut with_signalfd = AnySignalSource::new(SignalMethod::Signalfd).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
fn child_after_fork(receiver: &mut AnySignalSource, signo: i32) -> c_int {
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
        let mut receiver = AnySignalSource::new(method).expect("new");
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
        let mut receiver = AnySignalSource::new(method).expect("new");
        match receiver.watch(32) {
            Ok(()) => receiver.unwatch(32).expect("unwatch"),
            Err(_) => assert_eq!(receiver.watched(), 0),
        }
        let state = registry().signals[32];
        assert_eq!(state.watchers, 0);
    }
}

#[test]
fn slot_table_fills_and_frees() {
    let table = [const { Slot::new(AtomicI32::new(-1)) }; 2];
    assert_eq!(claim_slot_in(&table, 10), Some(0));
    assert_eq!(claim_slot_in(&table, 11), Some(1));
    assert_eq!(claim_slot_in(&table, 12), None);
    table[0]
        .signals
        .store(signal_bit(libc::SIGUSR1), Ordering::SeqCst);
    release_slot(&table[0]);
    assert_eq!(table[0].signals.load(Ordering::SeqCst), 0);
    assert_eq!(claim_slot_in(&table, 13), Some(0));
    assert_eq!(table[0].target.load(Ordering::SeqCst), 13);
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
