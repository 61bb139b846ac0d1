//! Locks, conditions and thread ids as the program installs them
//! (`evthread_set_lock_callbacks`, `evthread_set_condition_callbacks`,
//! `evthread_set_id_callback`, or `evthread_use_pthreads`, which calls those).
//!
//! As in libevent, nothing is locked until the program installs lock functions (or turns
//! lock debugging on); bases created afterwards get a lock. The core holds the installed
//! functions as trait objects, so it has no C types; the C layer adapts the callback
//! structs.
//!
//! Installing follows libevent's rules: the first complete set of functions wins;
//! installing the very same functions again is accepted, different ones are refused with
//! a warning; a NULL struct removes them (with a warning if they were in use). A [`Lock`]
//! keeps the functions it was made with, so removing or replacing them later does not
//! strand locks that already exist.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::log;

/// The lock functions a program installed.
pub trait LockApi: Send + Sync {
    /// A new lock (`recursive`: `EVTHREAD_LOCKTYPE_RECURSIVE`); None when allocation
    /// fails. The handle is opaque to the core.
    fn alloc(&self, recursive: bool) -> Option<usize>;
    /// Frees a lock; `recursive` is what it was allocated with.
    fn free(&self, handle: usize, recursive: bool);
    /// False when the lock function reported failure.
    fn lock(&self, handle: usize) -> bool;
    fn unlock(&self, handle: usize) -> bool;
    /// Takes the lock only if that needs no waiting (`EVTHREAD_TRY`); false when it
    /// is busy or the function failed.
    fn try_lock(&self, handle: usize) -> bool {
        self.lock(handle)
    }
}

/// The condition-variable functions a program installed.
pub trait ConditionApi: Send + Sync {
    fn alloc(&self) -> Option<usize>;
    fn free(&self, handle: usize);
    /// Wakes one waiter, or all of them with `broadcast`; false on failure.
    fn signal(&self, handle: usize, broadcast: bool) -> bool;
    /// Waits with `lock` (a [`LockApi`] handle) held; it is released while waiting. With
    /// `Some(timeout)` the wait may time out. Ok(true) when signalled, Ok(false) on
    /// timeout, Err when the wait function failed.
    fn wait(
        &self,
        handle: usize,
        lock: usize,
        timeout: Option<Duration>,
    ) -> Result<bool, WaitFailed>;
}

/// The wait function of the installed condition functions reported an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitFailed;

/// What tells "the same functions again" from different ones: the values of every field
/// of the C struct (version, lock types, function addresses), unused slots zero.
pub type Identity = [usize; 6];

/// A set of functions a program asks to install.
pub struct Functions<T: ?Sized> {
    pub identity: Identity,
    /// None when the struct lacks one of the functions.
    pub api: Option<Box<T>>,
}

/// Why installing functions was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// Other functions are in place already; libevent cannot switch them.
    AlreadySet,
    /// One of the functions is missing.
    Incomplete,
}

/// The function that names the calling thread.
pub type IdFn = Box<dyn Fn() -> u64 + Send + Sync>;

/// Installed functions with the identity they were installed under.
struct Installed<T: ?Sized> {
    identity: Identity,
    api: Arc<T>,
}

/// Everything the program installed. The process has one ([`Registry::global`]); unit
/// tests make their own so that they do not disturb each other.
struct Registry {
    locks: Mutex<Option<Installed<dyn LockApi>>>,
    conditions: Mutex<Option<Installed<dyn ConditionApi>>>,
    /// Lock functions installed, or lock debugging on: bases made now get a lock.
    locking: AtomicBool,
    debugging: AtomicBool,
    /// A leaked `IdFn`, so that reading it takes no lock; NULL without one.
    id_fn: AtomicPtr<IdFn>,
    /// Tests collect misuse reports here instead of ending the process.
    #[cfg(test)]
    misuses: Option<Mutex<Vec<&'static str>>>,
}

static GLOBAL: Registry = Registry::new();

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The slots hold plain values that a panic cannot leave half-written.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shared part of installing lock or condition functions.
fn install<T: ?Sized>(
    slot: &mut Option<Installed<T>>,
    what: &str,
    functions: Option<Functions<T>>,
    refuse_incomplete: bool,
) -> Result<(), SetError> {
    let Some(functions) = functions else {
        if slot.is_some() {
            log::warn(format_args!(
                "Trying to disable {what} functions after they have been set up will probably not work."
            ));
        }
        *slot = None;
        return Ok(());
    };
    if let Some(current) = slot.as_ref() {
        if current.identity == functions.identity {
            return Ok(());
        }
        log::warn(format_args!(
            "Can't change {what} callbacks once they have been initialized."
        ));
        return Err(SetError::AlreadySet);
    }
    match functions.api {
        Some(api) => {
            *slot = Some(Installed {
                identity: functions.identity,
                api: Arc::from(api),
            });
            Ok(())
        }
        None if refuse_incomplete => Err(SetError::Incomplete),
        // libevent accepts an incomplete condition struct and installs nothing.
        None => Ok(()),
    }
}

impl Registry {
    const fn new() -> Registry {
        Registry {
            locks: Mutex::new(None),
            conditions: Mutex::new(None),
            locking: AtomicBool::new(false),
            debugging: AtomicBool::new(false),
            id_fn: AtomicPtr::new(std::ptr::null_mut()),
            #[cfg(test)]
            misuses: None,
        }
    }

    fn global() -> &'static Registry {
        &GLOBAL
    }

    fn set_lock_api(&self, functions: Option<Functions<dyn LockApi>>) -> Result<(), SetError> {
        let mut slot = guard(&self.locks);
        let result = install(&mut slot, "lock", functions, true);
        let locking = slot.is_some() || self.debugging.load(Ordering::Acquire);
        self.locking.store(locking, Ordering::Release);
        result
    }

    fn set_condition_api(
        &self,
        functions: Option<Functions<dyn ConditionApi>>,
    ) -> Result<(), SetError> {
        install(&mut guard(&self.conditions), "condition", functions, false)
    }

    fn set_thread_id_fn(&self, f: Option<IdFn>) {
        let new = f.map_or(std::ptr::null_mut(), |f| Box::into_raw(Box::new(f)));
        // The old function is leaked on purpose: another thread may be calling it.
        // Programs install one at start-up, so this costs a few bytes at most.
        self.id_fn.store(new, Ordering::Release);
    }

    fn enable_lock_debugging(&self) {
        // Under the lock slot's mutex, so that `locking` agrees with a concurrent install.
        let _slot = guard(&self.locks);
        self.debugging.store(true, Ordering::Release);
        self.locking.store(true, Ordering::Release);
    }

    #[inline]
    fn thread_id(&self) -> u64 {
        let f = self.id_fn.load(Ordering::Acquire);
        if f.is_null() {
            0
        } else {
            // SAFETY: non-NULL values are leaked boxes from `set_thread_id_fn`, never freed.
            unsafe { (*f)() }
        }
    }

    fn new_lock(&'static self, recursive: bool) -> Option<Lock> {
        let debugging = self.debugging.load(Ordering::Acquire);
        let api = guard(&self.locks).as_ref().map(|i| Arc::clone(&i.api));
        if api.is_none() && !debugging {
            return None;
        }
        // A checked lock takes the real one recursively, so that taking a non-recursive
        // lock twice is reported instead of deadlocking.
        let alloc_recursive = recursive || debugging;
        let handle = match &api {
            Some(api) => api.alloc(alloc_recursive)?,
            // Lock debugging without lock functions: the lock only checks its use.
            None => 0,
        };
        Some(Lock {
            registry: self,
            api,
            handle,
            recursive,
            alloc_recursive,
            debug: debugging.then(DebugState::default),
            owned: true,
        })
    }

    fn new_condition(&'static self) -> Option<Condition> {
        let api = guard(&self.conditions)
            .as_ref()
            .map(|i| Arc::clone(&i.api))?;
        let handle = api.alloc()?;
        Some(Condition {
            registry: self,
            api,
            handle,
        })
    }

    /// Reports a misused lock; in the process's registry this does not return.
    #[cold]
    fn misuse(&self, what: &'static str) {
        #[cfg(test)]
        if let Some(misuses) = &self.misuses {
            guard(misuses).push(what);
            return;
        }
        lock_misuse(what)
    }
}

/// The one place that decides what a misused lock does: like a failed assertion in
/// libevent, it goes through the fatal path and aborts.
#[cold]
fn lock_misuse(what: &str) -> ! {
    log::fatal(log::ERR_ABORT, format_args!("lock debugging: {what}"))
}

/// Installs (`Some`) or removes (`None`, a NULL struct) the lock functions.
pub fn set_lock_api(functions: Option<Functions<dyn LockApi>>) -> Result<(), SetError> {
    Registry::global().set_lock_api(functions)
}

/// Installs or removes the condition functions. An incomplete set is accepted but not
/// installed, as libevent does.
pub fn set_condition_api(functions: Option<Functions<dyn ConditionApi>>) -> Result<(), SetError> {
    Registry::global().set_condition_api(functions)
}

/// Installs (or with None removes) the function that names the calling thread.
pub fn set_thread_id_fn(f: Option<IdFn>) {
    Registry::global().set_thread_id_fn(f);
}

/// `evthread_enable_lock_debugging`: locks made from now on check how they are used
/// (unlocking a lock this thread does not hold, taking a non-recursive lock twice,
/// freeing a held lock, waiting without holding the lock) and report misuse through the
/// fatal path. Without lock functions, bases then get locks that only check.
pub fn enable_lock_debugging() {
    Registry::global().enable_lock_debugging();
}

/// True once lock functions are installed or lock debugging is on.
#[inline]
pub fn locking_enabled() -> bool {
    Registry::global().locking.load(Ordering::Acquire)
}

/// The calling thread's id from the installed id function, or 0 without one.
#[inline]
pub fn current_thread_id() -> u64 {
    Registry::global().thread_id()
}

/// What lock debugging tracks of one lock. It changes only while the real lock is held,
/// so relaxed atomics suffice.
#[derive(Default)]
struct DebugState {
    owner: AtomicU64,
    count: AtomicU32,
}

/// A lock from the installed functions; freed on drop.
pub struct Lock {
    registry: &'static Registry,
    /// None only for a checking lock made while no lock functions were installed.
    api: Option<Arc<dyn LockApi>>,
    handle: usize,
    recursive: bool,
    /// The lock type the handle was allocated with (and is freed with).
    alloc_recursive: bool,
    /// Present while lock debugging was on when the lock was made.
    debug: Option<DebugState>,
    /// False for a lock the program made and lent (`evbuffer_enable_locking`).
    owned: bool,
}

/// The scope guard of the core's locks: a lock that may be absent (objects made
/// without `BEV_OPT_THREADSAFE` or `evbuffer_enable_locking` have none), held until
/// the guard drops.
///
/// Taking and releasing are out-of-line calls, so that where the guard inlines, the
/// path of an object without a lock stays a test and a branch.
pub struct MaybeHeld<'a>(Option<&'a Lock>);

impl<'a> MaybeHeld<'a> {
    #[inline(always)]
    pub fn new(lock: Option<&'a Lock>) -> MaybeHeld<'a> {
        if let Some(l) = lock {
            acquire(l);
        }
        MaybeHeld(lock)
    }
}

impl Drop for MaybeHeld<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(lock) = self.0 {
            release(lock);
        }
    }
}

#[inline(never)]
fn acquire(lock: &Lock) {
    lock.lock();
}

#[inline(never)]
fn release(lock: &Lock) {
    lock.unlock();
}

impl Lock {
    /// None when no lock functions are installed (and lock debugging is off) or the
    /// allocation failed.
    pub fn new(recursive: bool) -> Option<Lock> {
        Registry::global().new_lock(recursive)
    }

    /// Wraps a lock the program allocated with the installed functions (as a
    /// recursive lock); it is used but never freed. None without lock functions.
    pub fn borrowed(handle: usize) -> Option<Lock> {
        let registry = Registry::global();
        let api = guard(&registry.locks)
            .as_ref()
            .map(|i| Arc::clone(&i.api))?;
        Some(Lock {
            registry,
            api: Some(api),
            handle,
            recursive: true,
            alloc_recursive: true,
            debug: None,
            owned: false,
        })
    }

    /// Takes the lock; a failing lock function is reported as lock misuse.
    #[inline]
    pub fn lock(&self) {
        if let Some(api) = &self.api {
            if !api.lock(self.handle) {
                self.registry.misuse("the lock function failed");
            }
        }
        if let Some(debug) = &self.debug {
            self.mark_locked(debug);
        }
    }

    /// Takes the lock if no other thread holds it; true when taken.
    pub fn try_lock(&self) -> bool {
        if let Some(api) = &self.api {
            if !api.try_lock(self.handle) {
                return false;
            }
        }
        if let Some(debug) = &self.debug {
            self.mark_locked(debug);
        }
        true
    }

    /// Releases the lock; a failing unlock function is reported as lock misuse.
    #[inline]
    pub fn unlock(&self) {
        if let Some(debug) = &self.debug {
            self.mark_unlocked(debug);
        }
        if let Some(api) = &self.api {
            if !api.unlock(self.handle) {
                self.registry.misuse("the unlock function failed");
            }
        }
    }

    /// Whether the calling thread holds the lock; known only with lock debugging.
    pub fn held_by_current_thread(&self) -> Option<bool> {
        let debug = self.debug.as_ref()?;
        Some(
            debug.count.load(Ordering::Relaxed) > 0
                && debug.owner.load(Ordering::Relaxed) == self.registry.thread_id(),
        )
    }

    fn mark_locked(&self, debug: &DebugState) {
        let me = self.registry.thread_id();
        let count = debug.count.load(Ordering::Relaxed) + 1;
        if count > 1 {
            if !self.recursive {
                self.registry.misuse("a non-recursive lock was taken twice");
            } else if debug.owner.load(Ordering::Relaxed) != me {
                self.registry
                    .misuse("a lock held by another thread was taken");
            }
        }
        debug.owner.store(me, Ordering::Relaxed);
        debug.count.store(count, Ordering::Relaxed);
    }

    fn mark_unlocked(&self, debug: &DebugState) {
        let count = debug.count.load(Ordering::Relaxed);
        if count == 0 {
            self.registry
                .misuse("a lock that was not held was released");
            return;
        }
        if debug.owner.load(Ordering::Relaxed) != self.registry.thread_id() {
            self.registry
                .misuse("a lock was released by a thread that does not hold it");
        }
        if count == 1 {
            debug.owner.store(0, Ordering::Relaxed);
        }
        debug.count.store(count - 1, Ordering::Relaxed);
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(debug) = &self.debug {
            if debug.count.load(Ordering::Relaxed) > 0 {
                self.registry.misuse("a lock was freed while held");
            }
        }
        if let Some(api) = &self.api {
            if self.owned {
                api.free(self.handle, self.alloc_recursive);
            }
        }
    }
}

/// A condition variable from the installed functions; freed on drop.
pub struct Condition {
    registry: &'static Registry,
    api: Arc<dyn ConditionApi>,
    handle: usize,
}

impl Condition {
    /// None when no condition functions are installed or the allocation failed.
    pub fn new() -> Option<Condition> {
        Registry::global().new_condition()
    }

    /// Wakes one waiter, or every waiter with `broadcast`. Like libevent, a failure of
    /// the signal function is not reported: waiters then time out or wake spuriously.
    pub fn signal(&self, broadcast: bool) {
        self.api.signal(self.handle, broadcast);
    }

    /// Waits, with `lock` held by the caller, until signalled (true) or until `timeout`
    /// passes or the wait function fails (false). The lock is held again on return.
    pub fn wait(&self, lock: &Lock, timeout: Option<Duration>) -> bool {
        if lock.held_by_current_thread() == Some(false) {
            self.registry
                .misuse("a condition was waited on without holding its lock");
        }
        // A checking lock without lock functions has nothing to wait on.
        if lock.api.is_none() {
            return false;
        }
        // The wait releases and retakes the real lock; the bookkeeping follows it.
        if let Some(debug) = &lock.debug {
            lock.mark_unlocked(debug);
        }
        let result = self.api.wait(self.handle, lock.handle, timeout);
        if let Some(debug) = &lock.debug {
            lock.mark_locked(debug);
        }
        result == Ok(true)
    }
}

impl Drop for Condition {
    fn drop(&mut self) {
        self.api.free(self.handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A registry of its own that records misuse instead of aborting.
    fn registry() -> &'static Registry {
        Box::leak(Box::new(Registry {
            misuses: Some(Mutex::new(Vec::new())),
            ..Registry::new()
        }))
    }

    fn misuses(registry: &Registry) -> Vec<&'static str> {
        std::mem::take(&mut *guard(
            registry.misuses.as_ref().expect("test registry"),
        ))
    }

    /// Counts calls; every handle is a fresh number. No real exclusion.
    #[derive(Default)]
    struct Counts {
        allocs: AtomicUsize,
        recursive_allocs: AtomicUsize,
        frees: AtomicUsize,
        recursive_frees: AtomicUsize,
        locks: AtomicUsize,
        unlocks: AtomicUsize,
        fail_alloc: AtomicBool,
        fail_lock: AtomicBool,
    }

    struct CountingLocks(Arc<Counts>);

    impl LockApi for CountingLocks {
        fn alloc(&self, recursive: bool) -> Option<usize> {
            if self.0.fail_alloc.load(Ordering::SeqCst) {
                return None;
            }
            if recursive {
                self.0.recursive_allocs.fetch_add(1, Ordering::SeqCst);
            }
            Some(self.0.allocs.fetch_add(1, Ordering::SeqCst) + 100)
        }
        fn free(&self, _handle: usize, recursive: bool) {
            if recursive {
                self.0.recursive_frees.fetch_add(1, Ordering::SeqCst);
            }
            self.0.frees.fetch_add(1, Ordering::SeqCst);
        }
        fn lock(&self, _handle: usize) -> bool {
            self.0.locks.fetch_add(1, Ordering::SeqCst);
            !self.0.fail_lock.load(Ordering::SeqCst)
        }
        fn unlock(&self, _handle: usize) -> bool {
            self.0.unlocks.fetch_add(1, Ordering::SeqCst);
            true
        }
    }

    fn counting(counts: &Arc<Counts>, identity: usize) -> Option<Functions<dyn LockApi>> {
        Some(Functions {
            identity: [1, 1, identity, 0, 0, 0],
            api: Some(Box::new(CountingLocks(Arc::clone(counts)))),
        })
    }

    type Waits = Arc<Mutex<Vec<(usize, usize, Option<Duration>)>>>;

    /// Records what each wait was given and answers with a scripted result.
    struct ScriptedConditions {
        answer: Result<bool, WaitFailed>,
        waits: Waits,
        signals: Arc<AtomicUsize>,
    }

    impl ConditionApi for ScriptedConditions {
        fn alloc(&self) -> Option<usize> {
            Some(7)
        }
        fn free(&self, _handle: usize) {}
        fn signal(&self, _handle: usize, _broadcast: bool) -> bool {
            self.signals.fetch_add(1, Ordering::SeqCst);
            true
        }
        fn wait(
            &self,
            handle: usize,
            lock: usize,
            timeout: Option<Duration>,
        ) -> Result<bool, WaitFailed> {
            guard(&self.waits).push((handle, lock, timeout));
            self.answer
        }
    }

    fn scripted(
        answer: Result<bool, WaitFailed>,
        waits: &Waits,
    ) -> Option<Functions<dyn ConditionApi>> {
        Some(Functions {
            identity: [1; 6],
            api: Some(Box::new(ScriptedConditions {
                answer,
                waits: Arc::clone(waits),
                signals: Arc::default(),
            })),
        })
    }

    #[test]
    fn nothing_installed_means_no_locks() {
        let reg = registry();
        assert!(reg.new_lock(true).is_none());
        assert!(reg.new_condition().is_none());
        assert!(!reg.locking.load(Ordering::SeqCst));
        assert_eq!(reg.thread_id(), 0);
    }

    #[test]
    fn install_rules() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        let incomplete = Functions::<dyn LockApi> {
            identity: [1, 1, 5, 0, 0, 0],
            api: None,
        };
        assert_eq!(
            reg.set_lock_api(Some(incomplete)),
            Err(SetError::Incomplete)
        );
        assert!(!reg.locking.load(Ordering::SeqCst));
        assert_eq!(reg.set_lock_api(counting(&counts, 1)), Ok(()));
        assert!(reg.locking.load(Ordering::SeqCst));
        // The same functions again are accepted; different ones are refused.
        assert_eq!(reg.set_lock_api(counting(&counts, 1)), Ok(()));
        assert_eq!(
            reg.set_lock_api(counting(&counts, 2)),
            Err(SetError::AlreadySet)
        );
        // Removing is accepted; afterwards other functions may be installed.
        assert_eq!(reg.set_lock_api(None), Ok(()));
        assert!(!reg.locking.load(Ordering::SeqCst));
        assert!(reg.new_lock(false).is_none());
        assert_eq!(reg.set_lock_api(counting(&counts, 2)), Ok(()));
        assert!(reg.new_lock(false).is_some());
    }

    #[test]
    fn condition_install_rules() {
        let reg = registry();
        let waits = Waits::default();
        let incomplete = Functions::<dyn ConditionApi> {
            identity: [1, 3, 0, 0, 0, 0],
            api: None,
        };
        // Accepted, but nothing is installed.
        assert_eq!(reg.set_condition_api(Some(incomplete)), Ok(()));
        assert!(reg.new_condition().is_none());
        assert_eq!(reg.set_condition_api(scripted(Ok(true), &waits)), Ok(()));
        assert_eq!(reg.set_condition_api(scripted(Ok(true), &waits)), Ok(()));
        let mut other = scripted(Ok(true), &waits);
        other.as_mut().unwrap().identity[4] = 2;
        assert_eq!(reg.set_condition_api(other), Err(SetError::AlreadySet));
        assert!(reg.new_condition().is_some());
        assert_eq!(reg.set_condition_api(None), Ok(()));
        assert!(reg.new_condition().is_none());
    }

    #[test]
    fn lock_lifecycle() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        {
            let lock = reg.new_lock(false).expect("installed");
            lock.lock();
            lock.unlock();
            assert_eq!(lock.held_by_current_thread(), None);
            let recursive = reg.new_lock(true).expect("installed");
            recursive.lock();
            recursive.lock();
            recursive.unlock();
            recursive.unlock();
        }
        assert_eq!(counts.allocs.load(Ordering::SeqCst), 2);
        assert_eq!(counts.recursive_allocs.load(Ordering::SeqCst), 1);
        assert_eq!(counts.locks.load(Ordering::SeqCst), 3);
        assert_eq!(counts.unlocks.load(Ordering::SeqCst), 3);
        // Each lock is freed with the type it was allocated with.
        assert_eq!(counts.frees.load(Ordering::SeqCst), 2);
        assert_eq!(counts.recursive_frees.load(Ordering::SeqCst), 1);
        assert!(misuses(reg).is_empty());
    }

    #[test]
    fn failures() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        counts.fail_alloc.store(true, Ordering::SeqCst);
        assert!(reg.new_lock(true).is_none());
        counts.fail_alloc.store(false, Ordering::SeqCst);
        let lock = reg.new_lock(true).expect("installed");
        counts.fail_lock.store(true, Ordering::SeqCst);
        lock.lock();
        assert_eq!(misuses(reg), ["the lock function failed"]);
    }

    #[test]
    fn locks_outlive_removed_functions() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        let lock = reg.new_lock(true).expect("installed");
        reg.set_lock_api(None).unwrap();
        lock.lock();
        lock.unlock();
        drop(lock);
        assert_eq!(counts.locks.load(Ordering::SeqCst), 1);
        assert_eq!(counts.frees.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn debugging_reports_misuse() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        let me = Arc::new(AtomicU64::new(11));
        let id = Arc::clone(&me);
        reg.set_thread_id_fn(Some(Box::new(move || id.load(Ordering::SeqCst))));
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        reg.enable_lock_debugging();

        let plain = reg.new_lock(false).expect("installed");
        // The real lock is recursive so that a second lock is caught, not deadlocked.
        assert_eq!(counts.recursive_allocs.load(Ordering::SeqCst), 1);
        assert_eq!(plain.held_by_current_thread(), Some(false));
        plain.lock();
        assert_eq!(plain.held_by_current_thread(), Some(true));
        assert!(misuses(reg).is_empty());
        plain.lock();
        assert_eq!(misuses(reg), ["a non-recursive lock was taken twice"]);
        plain.unlock();
        plain.unlock();
        assert!(misuses(reg).is_empty());
        plain.unlock();
        assert_eq!(misuses(reg), ["a lock that was not held was released"]);

        // Other threads (ids) taking or releasing a held lock.
        let recursive = reg.new_lock(true).expect("installed");
        recursive.lock();
        recursive.lock();
        assert!(misuses(reg).is_empty());
        me.store(12, Ordering::SeqCst);
        assert_eq!(recursive.held_by_current_thread(), Some(false));
        recursive.lock();
        assert_eq!(misuses(reg), ["a lock held by another thread was taken"]);
        recursive.unlock();
        assert!(misuses(reg).is_empty());
        me.store(13, Ordering::SeqCst);
        recursive.unlock();
        assert_eq!(
            misuses(reg),
            ["a lock was released by a thread that does not hold it"]
        );
        drop(recursive);
        assert_eq!(misuses(reg), ["a lock was freed while held"]);
        drop(plain);
        assert!(misuses(reg).is_empty());
        // Each was freed with the recursive type it was allocated with.
        assert_eq!(counts.recursive_frees.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn debugging_without_lock_functions_checks_only() {
        let reg = registry();
        reg.enable_lock_debugging();
        assert!(reg.locking.load(Ordering::SeqCst));
        let lock = reg.new_lock(false).expect("checking lock");
        lock.lock();
        assert_eq!(lock.held_by_current_thread(), Some(true));
        lock.unlock();
        lock.unlock();
        assert_eq!(misuses(reg), ["a lock that was not held was released"]);
        // Installing lock functions afterwards gives later locks real ones.
        let counts = Arc::new(Counts::default());
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        let real = reg.new_lock(false).expect("installed");
        real.lock();
        real.unlock();
        assert_eq!(counts.locks.load(Ordering::SeqCst), 1);
        assert!(misuses(reg).is_empty());
        // Removing the lock functions leaves locking on while debugging.
        reg.set_lock_api(None).unwrap();
        assert!(reg.locking.load(Ordering::SeqCst));
    }

    #[test]
    fn condition_wait_and_signal() {
        let counts = Arc::new(Counts::default());
        for (answer, signalled) in [
            (Ok(true), true),
            (Ok(false), false),
            (Err(WaitFailed), false),
        ] {
            let reg = registry();
            let waits = Waits::default();
            reg.set_lock_api(counting(&counts, 1)).unwrap();
            reg.set_condition_api(scripted(answer, &waits)).unwrap();
            let lock = reg.new_lock(true).expect("installed");
            let cond = reg.new_condition().expect("installed");
            lock.lock();
            let timeout = Some(Duration::from_millis(5));
            assert_eq!(cond.wait(&lock, timeout), signalled);
            lock.unlock();
            assert_eq!(guard(&waits).as_slice(), &[(7, lock.handle, timeout)]);
        }
    }

    #[test]
    fn condition_signal() {
        let reg = registry();
        let signals = Arc::new(AtomicUsize::new(0));
        reg.set_condition_api(Some(Functions {
            identity: [1; 6],
            api: Some(Box::new(ScriptedConditions {
                answer: Ok(true),
                waits: Waits::default(),
                signals: Arc::clone(&signals),
            })),
        }))
        .unwrap();
        let cond = reg.new_condition().expect("installed");
        cond.signal(false);
        cond.signal(true);
        assert_eq!(signals.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn debugging_follows_condition_waits() {
        let reg = registry();
        let counts = Arc::new(Counts::default());
        let waits = Waits::default();
        reg.set_lock_api(counting(&counts, 1)).unwrap();
        reg.enable_lock_debugging();
        reg.set_condition_api(scripted(Ok(true), &waits)).unwrap();
        let lock = reg.new_lock(true).expect("installed");
        let cond = reg.new_condition().expect("installed");
        lock.lock();
        assert!(cond.wait(&lock, None));
        assert_eq!(lock.held_by_current_thread(), Some(true));
        lock.unlock();
        assert!(misuses(reg).is_empty());
        cond.wait(&lock, None);
        assert_eq!(
            misuses(reg).first(),
            Some(&"a condition was waited on without holding its lock")
        );
    }

    #[test]
    fn checking_lock_cannot_wait() {
        let reg = registry();
        let waits = Waits::default();
        reg.enable_lock_debugging();
        reg.set_condition_api(scripted(Ok(true), &waits)).unwrap();
        let lock = reg.new_lock(true).expect("checking lock");
        let cond = reg.new_condition().expect("installed");
        lock.lock();
        assert!(!cond.wait(&lock, None));
        assert!(guard(&waits).is_empty());
        lock.unlock();
        assert!(misuses(reg).is_empty());
    }

    /// A spin lock per handle: real exclusion without any std lock.
    struct SpinLocks;

    impl LockApi for SpinLocks {
        fn alloc(&self, _recursive: bool) -> Option<usize> {
            Some(Box::into_raw(Box::new(AtomicBool::new(false))) as usize)
        }
        fn free(&self, handle: usize, _recursive: bool) {
            // SAFETY: `handle` came from `alloc` above and is freed once.
            drop(unsafe { Box::from_raw(handle as *mut AtomicBool) });
        }
        fn lock(&self, handle: usize) -> bool {
            // SAFETY: `handle` is a live box from `alloc`.
            let flag = unsafe { &*(handle as *const AtomicBool) };
            while flag
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                std::thread::yield_now();
            }
            true
        }
        fn unlock(&self, handle: usize) -> bool {
            // SAFETY: `handle` is a live box from `alloc`.
            unsafe { &*(handle as *const AtomicBool) }.store(false, Ordering::Release);
            true
        }
    }

    #[test]
    fn locks_exclude_other_threads() {
        let reg = registry();
        reg.set_lock_api(Some(Functions {
            identity: [9; 6],
            api: Some(Box::new(SpinLocks)),
        }))
        .unwrap();
        let lock = reg.new_lock(false).expect("installed");
        // Increments made as a separate load and store are lost without exclusion.
        let total = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        lock.lock();
                        let value = total.load(Ordering::Relaxed);
                        total.store(value + 1, Ordering::Relaxed);
                        lock.unlock();
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 40_000);
    }

    #[test]
    fn thread_ids() {
        let reg = registry();
        assert_eq!(reg.thread_id(), 0);
        reg.set_thread_id_fn(Some(Box::new(|| 42)));
        assert_eq!(reg.thread_id(), 42);
        reg.set_thread_id_fn(None);
        assert_eq!(reg.thread_id(), 0);
    }
}
