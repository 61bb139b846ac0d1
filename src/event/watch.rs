//! Loop watchers (event2/watch.h): callbacks run right before the loop polls
//! ("prepare") and right after ("check").

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::time::Duration;

use super::Base;
use crate::util::try_box;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WatchKind {
    Prepare,
    Check,
}

/// `evwatch_prepare_cb` / `evwatch_check_cb`: (watcher, info, arg).
pub type WatchFn = unsafe extern "C" fn(*mut Watcher, *const WatchInfo, *mut c_void);

/// What a watcher's callback is told (`struct evwatch_prepare_cb_info` and
/// `struct evwatch_check_cb_info`, opaque to C).
#[derive(Debug)]
pub struct WatchInfo {
    /// Prepare: how long the loop will wait at most (None: until an event arrives).
    pub timeout: Option<Duration>,
}

/// `struct evwatch`. Reached by pointer: the base's list holds one reference and a
/// running batch of callbacks one each, so a callback may free any watcher, its own
/// included; the memory goes with the last reference.
pub struct Watcher {
    kind: WatchKind,
    callback: WatchFn,
    arg: *mut c_void,
    base: *const Base,
    removed: Cell<bool>,
    /// References; changed only under the base's lock.
    refs: Cell<usize>,
}

impl Watcher {
    pub fn kind(&self) -> WatchKind {
        self.kind
    }

    pub fn base(&self) -> *const Base {
        self.base
    }
}

/// Runs a watcher's callback unless it was freed meanwhile.
///
/// # Safety
/// `watcher` is live (the caller holds a reference).
unsafe fn run(watcher: NonNull<Watcher>, info: &WatchInfo) {
    // SAFETY: guaranteed by the caller; the fields are copied out.
    let (removed, callback, arg) = unsafe {
        let w = watcher.as_ref();
        (w.removed.get(), w.callback, w.arg)
    };
    if !removed {
        // SAFETY: calling the program's watcher callback with its own handle, as
        // libevent does; the caller's reference keeps the handle valid for the call.
        unsafe { callback(watcher.as_ptr(), info, arg) };
    }
}

/// Drops one reference; the last one frees the watcher.
///
/// # Safety
/// `watcher` is live and the caller owns one of its references; the base's lock is held.
unsafe fn release(watcher: NonNull<Watcher>) {
    // SAFETY: guaranteed by the caller.
    let refs = unsafe { watcher.as_ref() }.refs.get() - 1;
    if refs == 0 {
        // SAFETY: made by `try_box` in `new_watcher`; no reference is left.
        drop(unsafe { Box::from_raw(watcher.as_ptr()) });
    } else {
        // SAFETY: made by `try_box` in `new_watcher`; no reference is left
        unsafe { watcher.as_ref() }.refs.set(refs);
    }
}

/// A base's watchers, in the order they were added.
#[derive(Default)]
pub struct Watchers {
    list: Vec<NonNull<Watcher>>,
    /// Reused for each batch of callbacks, so a running loop allocates nothing.
    batch: Vec<NonNull<Watcher>>,
}

impl Watchers {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The watchers of `kind`, each with a reference taken for the run; None when the
    /// batch cannot be made (no memory), and then none run this time.
    fn take_batch(&mut self, kind: WatchKind) -> Option<Vec<NonNull<Watcher>>> {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        if batch.try_reserve(self.list.len()).is_err() {
            self.batch = batch;
            return None;
        }
        for &w in &self.list {
            // SAFETY: listed watchers are live; the base's lock is held.
            let watcher = unsafe { w.as_ref() };
            if watcher.kind == kind {
                watcher.refs.set(watcher.refs.get() + 1);
                batch.push(w);
            }
        }
        Some(batch)
    }

    /// Gives back the references of a batch that has run.
    fn return_batch(&mut self, mut batch: Vec<NonNull<Watcher>>) {
        for w in batch.drain(..) {
            // SAFETY: the batch took a reference on each; the base's lock is held.
            unsafe { release(w) };
        }
        if batch.capacity() > self.batch.capacity() {
            self.batch = batch;
        }
    }
}

impl Drop for Watchers {
    fn drop(&mut self) {
        for w in self.list.drain(..) {
            // SAFETY: the list holds a reference on each; the base is going away.
            unsafe { release(w) };
        }
    }
}

impl Base {
    /// `evwatch_prepare_new` / `evwatch_check_new`: returns the watcher's handle, owned
    /// by the caller until [`Base::free_watcher`], or None when memory runs out.
    pub fn new_watcher(
        &self,
        kind: WatchKind,
        callback: WatchFn,
        arg: *mut c_void,
    ) -> Option<NonNull<Watcher>> {
        let watcher = try_box(Watcher {
            kind,
            callback,
            arg,
            base: self,
            removed: Cell::new(false),
            refs: Cell::new(1),
        })?;
        let handle = NonNull::from(Box::leak(watcher));
        let listed = self.with_watchers(|w| {
            if w.list.try_reserve(1).is_err() {
                return false;
            }
            w.list.push(handle);
            true
        });
        if !listed {
            // SAFETY: just made, with no other reference.
            drop(unsafe { Box::from_raw(handle.as_ptr()) });
            return None;
        }
        Some(handle)
    }

    /// `evwatch_free`. Safe from inside the watcher's own callback.
    ///
    /// # Safety
    /// `handle` came from [`Base::new_watcher`] on this base and was not freed.
    pub unsafe fn free_watcher(&self, handle: NonNull<Watcher>) {
        self.with_watchers(|w| {
            if let Some(i) = w.list.iter().position(|&x| x == handle) {
                w.list.remove(i);
                // SAFETY: it was listed, so live; the list's reference is dropped here.
                unsafe {
                    handle.as_ref().removed.set(true);
                    release(handle);
                }
            }
        });
    }

    /// Runs the watchers of `kind` with the lock released around each callback.
    /// Called and returns with the lock held.
    pub(super) fn run_watchers(&self, kind: WatchKind, info: &WatchInfo) {
        let Some(batch) = self.with_watchers_held(|w| w.take_batch(kind)) else {
            return;
        };
        for &w in &batch {
            // SAFETY: the batch holds a reference on each watcher.
            self.run_unlocked(|| unsafe { run(w, info) });
        }
        self.with_watchers_held(|w| w.return_batch(batch));
    }
}
