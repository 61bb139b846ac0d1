//! Locks, conditions and thread ids as the program installs them
//! (`evthread_set_lock_callbacks`, `evthread_set_condition_callbacks`,
//! `evthread_set_id_callback`, or `evthread_use_pthreads` which calls those).
//!
//! As in libevent, nothing is locked until the program installs lock functions; bases
//! created afterwards get a lock. The core holds the installed functions as trait
//! objects, so it has no C types; the C layer adapts the callback structs.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::log;

/// Lock functions.
pub trait LockApi: Send + Sync {
    /// A new lock (`recursive`: EVTHREAD_LOCKTYPE_RECURSIVE); None when allocation fails.
    fn alloc(&self, recursive: bool) -> Option<usize>;
    fn free(&self, handle: usize, recursive: bool);
    /// False when the lock function reported failure.
    fn lock(&self, handle: usize) -> bool;
    fn unlock(&self, handle: usize) -> bool;
}

/// Condition-variable functions.
pub trait ConditionApi: Send + Sync {
    fn alloc(&self) -> Option<usize>;
    fn free(&self, handle: usize);
    fn signal(&self, handle: usize, broadcast: bool) -> bool;
    /// Waits with `lock` held: Some(true) when signalled, Some(false) on timeout, None
    /// when the wait function failed.
    fn wait(&self, handle: usize, lock: usize, timeout: Option<Duration>) -> Option<bool>;
}

/// Why installing functions was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError {
    /// Other functions are in place already; libevent cannot switch them.
    AlreadySet,
    /// Some of the functions are missing.
    Incomplete,
}

/// Installed functions with an identity that tells "the same ones again".
struct Installed<T: ?Sized> {
    identity: Vec<usize>,
    api: Arc<T>,
}

static LOCKS: Mutex<Option<Installed<dyn LockApi>>> = Mutex::new(None);
static CONDITIONS: Mutex<Option<Installed<dyn ConditionApi>>> = Mutex::new(None);
static LOCKING: AtomicBool = AtomicBool::new(false);
static DEBUGGING: AtomicBool = AtomicBool::new(false);

pub type IdFn = Box<dyn Fn() -> u64 + Send + Sync>;
/// The installed id function, leaked so reading it needs no lock.
static ID_FN: AtomicPtr<IdFn> = AtomicPtr::new(std::ptr::null_mut());

fn install<T: ?Sized>(
    slot: &Mutex<Option<Installed<T>>>,
    what: &str,
    api: Option<Arc<T>>,
    identity: Vec<usize>,
) -> Result<(), SetError> {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    match (api, slot.as_ref()) {
        (None, current) => {
            if current.is_some() {
                log::warn(format_args!(
                    "Trying to disable {what} functions after they have been set up will probably not work."
                ));
            }
            *slot = None;
            Ok(())
        }
        (Some(_), Some(current)) if current.identity == identity => Ok(()),
        (Some(_), Some(_)) => {
            log::warn(format_args!(
                "Can't change {what} callbacks once they have been initialized."
            ));
            Err(SetError::AlreadySet)
        }
        (Some(api), None) => {
            *slot = Some(Installed { identity, api });
            Ok(())
        }
    }
}

/// Installs (or with None removes) the lock functions. `identity` names them (e.g. the
/// function addresses), so installing the same ones again is accepted.
pub fn set_lock_api(api: Option<Box<dyn LockApi>>, identity: Vec<usize>) -> Result<(), SetError> {
    let result = install(&LOCKS, "lock", api.map(Arc::from), identity);
    let enabled = LOCKS.lock().unwrap_or_else(|e| e.into_inner()).is_some();
    LOCKING.store(enabled, Ordering::Release);
    result
}

/// Installs (or removes) the condition functions.
pub fn set_condition_api(
    api: Option<Box<dyn ConditionApi>>,
    identity: Vec<usize>,
) -> Result<(), SetError> {
    install(&CONDITIONS, "condition", api.map(Arc::from), identity)
}

/// Installs the function that names the calling thread.
pub fn set_thread_id_fn(f: Option<IdFn>) {
    let new = f.map_or(std::ptr::null_mut(), |f| Box::into_raw(Box::new(f)));
    // The old function is leaked on purpose: another thread may be calling it.
    ID_FN.store(new, Ordering::Release);
}

/// `evthread_enable_lock_debugging`: locks created from now on check their use.
pub fn enable_lock_debugging() {
    DEBUGGING.store(true, Ordering::Release);
}

/// True once lock functions are installed.
pub fn locking_enabled() -> bool {
    LOCKING.load(Ordering::Acquire)
}

/// The calling thread's id from the installed id function, or 0 without one.
pub fn current_thread_id() -> u64 {
    let f = ID_FN.load(Ordering::Acquire);
    if f.is_null() {
        0
    } else {
        // SAFETY: installed ids are leaked boxes, never freed.
        unsafe { (*f)() }
    }
}

/// Reports a misused lock through the fatal path.
fn lock_misuse(message: &str) -> ! {
    log::fatal(log::ERR_ABORT, format_args!("lock debugging: {message}"))
}

/// What lock debugging tracks of one lock.
struct DebugState {
    owner: AtomicU64,
    count: AtomicU32,
}

/// A lock from the installed functions; freed on drop.
pub struct Lock {
    api: Arc<dyn LockApi>,
    handle: usize,
    recursive: bool,
    debug: Option<DebugState>,
}

impl Lock {
    /// None when no lock functions are installed or allocation failed.
    pub fn new(recursive: bool) -> Option<Lock> {
        let api = LOCKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()?
            .api
            .clone();
        let handle = api.alloc(recursive)?;
        let debug = DEBUGGING.load(Ordering::Acquire).then(|| DebugState {
            owner: AtomicU64::new(0),
            count: AtomicU32::new(0),
        });
        Some(Lock {
            api,
            handle,
            recursive,
            debug,
        })
    }

    #[inline]
    pub fn lock(&self) {
        if !self.api.lock(self.handle) {
            lock_misuse("the lock function failed");
        }
        if let Some(d) = &self.debug {
            let me = current_thread_id();
            let count = d.count.load(Ordering::Relaxed);
            if count > 0 && !self.recursive {
                lock_misuse("a non-recursive lock was taken twice");
            }
            d.owner.store(me, Ordering::Relaxed);
            d.count.store(count + 1, Ordering::Relaxed);
        }
    }

    #[inline]
    pub fn unlock(&self) {
        if let Some(d) = &self.debug {
            let count = d.count.load(Ordering::Relaxed);
            if count == 0 || d.owner.load(Ordering::Relaxed) != current_thread_id() {
                lock_misuse("a lock was released by a thread that does not hold it");
            }
            d.count.store(count - 1, Ordering::Relaxed);
        }
        if !self.api.unlock(self.handle) {
            lock_misuse("the unlock function failed");
        }
    }

    /// Whether the calling thread holds the lock (known only with lock debugging).
    pub fn held_by_current_thread(&self) -> Option<bool> {
        self.debug.as_ref().map(|d| {
            d.count.load(Ordering::Relaxed) > 0
                && d.owner.load(Ordering::Relaxed) == current_thread_id()
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(d) = &self.debug {
            if d.count.load(Ordering::Relaxed) > 0 {
                lock_misuse("a lock was freed while held");
            }
        }
        self.api.free(self.handle, self.recursive);
    }
}

/// A condition variable from the installed functions; freed on drop.
pub struct Condition {
    api: Arc<dyn ConditionApi>,
    handle: usize,
}

impl Condition {
    /// None when no condition functions are installed or allocation failed.
    pub fn new() -> Option<Condition> {
        let api = CONDITIONS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()?
            .api
            .clone();
        let handle = api.alloc()?;
        Some(Condition { api, handle })
    }

    pub fn signal(&self, broadcast: bool) {
        self.api.signal(self.handle, broadcast);
    }

    /// Waits with `lock` held by the caller; true when signalled.
    pub fn wait(&self, lock: &Lock, timeout: Option<Duration>) -> bool {
        // The wait releases and retakes the lock; debugging bookkeeping follows it.
        let saved = lock
            .debug
            .as_ref()
            .map(|d| d.count.swap(0, Ordering::Relaxed));
        let result = self.api.wait(self.handle, lock.handle, timeout);
        if let (Some(d), Some(count)) = (&lock.debug, saved) {
            d.owner.store(current_thread_id(), Ordering::Relaxed);
            d.count.store(count, Ordering::Relaxed);
        }
        result == Some(true)
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

    struct Counting {
        allocs: AtomicUsize,
        locks: AtomicUsize,
        unlocks: AtomicUsize,
        frees: AtomicUsize,
    }

    impl LockApi for &'static Counting {
        fn alloc(&self, _recursive: bool) -> Option<usize> {
            Some(self.allocs.fetch_add(1, Ordering::SeqCst) + 1)
        }
        fn free(&self, _handle: usize, _recursive: bool) {
            self.frees.fetch_add(1, Ordering::SeqCst);
        }
        fn lock(&self, _handle: usize) -> bool {
            self.locks.fetch_add(1, Ordering::SeqCst);
            true
        }
        fn unlock(&self, _handle: usize) -> bool {
            self.unlocks.fetch_add(1, Ordering::SeqCst);
            true
        }
    }

    #[test]
    fn install_rules_and_lock_lifecycle() {
        static COUNTS: Counting = Counting {
            allocs: AtomicUsize::new(0),
            locks: AtomicUsize::new(0),
            unlocks: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
        };
        assert!(Lock::new(true).is_none());
        assert_eq!(set_lock_api(Some(Box::new(&COUNTS)), vec![1, 2]), Ok(()));
        assert!(locking_enabled());
        // The same functions again: fine; others: refused.
        assert_eq!(set_lock_api(Some(Box::new(&COUNTS)), vec![1, 2]), Ok(()));
        assert_eq!(
            set_lock_api(Some(Box::new(&COUNTS)), vec![3]),
            Err(SetError::AlreadySet)
        );
        {
            let lock = Lock::new(true).expect("installed");
            lock.lock();
            lock.unlock();
            assert_eq!(COUNTS.locks.load(Ordering::SeqCst), 1);
            assert_eq!(COUNTS.unlocks.load(Ordering::SeqCst), 1);
        }
        assert_eq!(COUNTS.frees.load(Ordering::SeqCst), 1);
        assert_eq!(set_lock_api(None, vec![]), Ok(()));
        assert!(!locking_enabled());
    }
}
