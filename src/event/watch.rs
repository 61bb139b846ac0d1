//! Loop watchers (event2/watch.h): callbacks run right before the loop polls
//! ("prepare") and right after ("check").

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Base;

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

/// `struct evwatch`.
pub struct Watcher {
    kind: WatchKind,
    callback: WatchFn,
    arg: *mut c_void,
    base: *const Base,
    removed: AtomicBool,
}

// SAFETY: nothing in a watcher changes after it is made except `removed`, an atomic,
// so no `&self` method mutates unsynchronised state; the raw pointers are the
// program's callback argument and the base, only handed back (dereferencing the base
// is up to the caller, unsafely). The base's list and a running loop's snapshot of it
// share watchers through `Arc`s.
unsafe impl Send for Watcher {}
// SAFETY: as above.
unsafe impl Sync for Watcher {}

impl Watcher {
    pub fn kind(&self) -> WatchKind {
        self.kind
    }

    pub fn base(&self) -> *const Base {
        self.base
    }

    fn run(self: &Arc<Self>, info: &WatchInfo) {
        if self.removed.load(Ordering::Acquire) {
            return;
        }
        let handle = Arc::as_ptr(self) as *mut Watcher;
        // SAFETY: calling the program's watcher callback with its own handle, as
        // libevent does; the handle stays valid for the call (this Arc keeps it alive).
        unsafe { (self.callback)(handle, info, self.arg) };
    }

    pub(super) fn run_prepare(self: &Arc<Self>, timeout: Option<Duration>) {
        self.run(&WatchInfo { timeout });
    }

    pub(super) fn run_check(self: &Arc<Self>) {
        self.run(&WatchInfo { timeout: None });
    }
}

/// A base's watchers, in the order they were added.
#[derive(Default)]
pub struct Watchers {
    list: Vec<Arc<Watcher>>,
}

impl Watchers {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(super) fn prepare_snapshot(&self) -> Vec<Arc<Watcher>> {
        self.snapshot(WatchKind::Prepare)
    }

    pub(super) fn check_snapshot(&self) -> Vec<Arc<Watcher>> {
        self.snapshot(WatchKind::Check)
    }

    fn snapshot(&self, kind: WatchKind) -> Vec<Arc<Watcher>> {
        self.list
            .iter()
            .filter(|w| w.kind == kind)
            .cloned()
            .collect()
    }
}

impl Base {
    /// `evwatch_prepare_new` / `evwatch_check_new`: returns the watcher's handle, owned
    /// by the caller until [`Base::free_watcher`].
    pub fn new_watcher(
        &self,
        kind: WatchKind,
        callback: WatchFn,
        arg: *mut c_void,
    ) -> *mut Watcher {
        let watcher = Arc::new(Watcher {
            kind,
            callback,
            arg,
            base: self,
            removed: AtomicBool::new(false),
        });
        let handle = Arc::as_ptr(&watcher) as *mut Watcher;
        self.with_watchers(|w| w.list.push(watcher));
        handle
    }

    /// `evwatch_free`. Safe from inside the watcher's own callback.
    ///
    /// # Safety
    /// `handle` came from [`Base::new_watcher`] on this base and was not freed.
    pub unsafe fn free_watcher(&self, handle: *mut Watcher) {
        self.with_watchers(|w| {
            if let Some(i) = w
                .list
                .iter()
                .position(|x| std::ptr::eq(Arc::as_ptr(x), handle))
            {
                let watcher = w.list.remove(i);
                watcher.removed.store(true, Ordering::Release);
            }
        });
    }
}
