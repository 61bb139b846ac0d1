//! A lock made by libevent_core from the program's lock callbacks
//! (`evthread_set_lock_callbacks`, `evthread_use_pthreads`), as libevent gives each of
//! its own objects. Without threading enabled there is no lock and every call is a
//! no-op, again as in libevent.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

use crate::sys;

/// One lock of the program's kind; freed on drop.
pub struct CoreLock(Option<NonNull<c_void>>);

impl CoreLock {
    /// A new lock (recursive or not), or none at all when the program has not enabled
    /// threading. As in libevent, a lock the program's callback failed to allocate is
    /// no lock either.
    pub fn new(recursive: bool) -> CoreLock {
        // SAFETY: a plain call; the core answers NULL when threading is off.
        let handle = unsafe { sys::evrs_sibling_lock_new(c_int::from(recursive)) };
        CoreLock(NonNull::new(handle))
    }

    /// Whether this is a real lock (threading was enabled when it was made).
    pub fn is_real(&self) -> bool {
        self.0.is_some()
    }

    pub fn acquire(&self) {
        if let Some(handle) = self.0 {
            // SAFETY: `handle` is a live lock from evrs_sibling_lock_new.
            unsafe { sys::evrs_sibling_lock_acquire(handle.as_ptr()) };
        }
    }

    pub fn release(&self) {
        if let Some(handle) = self.0 {
            // SAFETY: as in `acquire`; the caller holds it.
            unsafe { sys::evrs_sibling_lock_release(handle.as_ptr()) };
        }
    }

    /// Holds the lock until the guard is dropped.
    pub fn hold(&self) -> CoreLockGuard<'_> {
        self.acquire();
        CoreLockGuard(self)
    }
}

impl Drop for CoreLock {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // SAFETY: the lock is ours, not held, and freed once.
            unsafe { sys::evrs_sibling_lock_free(handle.as_ptr()) };
        }
    }
}

/// Releases its [`CoreLock`] on drop.
pub struct CoreLockGuard<'a>(&'a CoreLock);

impl Drop for CoreLockGuard<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}
