//! `event2/watch.h`: callbacks around each poll of the loop.

use std::ffi::{c_int, c_void};
use std::ptr::{self, NonNull};

use evrs::event::watch::{WatchInfo, WatchKind, Watcher};
use evrs::event::Tv;

use crate::event::{event_base, timeval};
use crate::ffi::{borrow, write_out};

/// `struct evwatch` (opaque to C).
pub type evwatch = Watcher;
/// `struct evwatch_prepare_cb_info` (opaque to C).
pub type evwatch_prepare_cb_info = WatchInfo;
/// `struct evwatch_check_cb_info` (opaque to C).
pub type evwatch_check_cb_info = WatchInfo;
/// `evwatch_prepare_cb`.
pub type evwatch_prepare_cb =
    Option<unsafe extern "C" fn(*mut evwatch, *const evwatch_prepare_cb_info, *mut c_void)>;
/// `evwatch_check_cb`.
pub type evwatch_check_cb =
    Option<unsafe extern "C" fn(*mut evwatch, *const evwatch_check_cb_info, *mut c_void)>;

/// # Safety
/// `base` is NULL or a live base.
unsafe fn new_watcher(
    base: *mut event_base,
    kind: WatchKind,
    callback: Option<unsafe extern "C" fn(*mut Watcher, *const WatchInfo, *mut c_void)>,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: crate contract.
    let (Some(base), Some(callback)) = (unsafe { borrow(base) }, callback) else {
        return ptr::null_mut();
    };
    base.new_watcher(kind, callback, arg)
        .map_or(ptr::null_mut(), NonNull::as_ptr)
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evwatch_prepare_new(
    base: *mut event_base,
    callback: evwatch_prepare_cb,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: crate contract.
    ffi_boundary!("evwatch_prepare_new", {
        unsafe { new_watcher(base, WatchKind::Prepare, callback, arg) }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evwatch_check_new(
    base: *mut event_base,
    callback: evwatch_check_cb,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: crate contract.
    ffi_boundary!("evwatch_check_new", {
        unsafe { new_watcher(base, WatchKind::Check, callback, arg) }
    })
}

/// # Safety
/// `watcher` is NULL or a live watcher.
#[no_mangle]
pub unsafe extern "C" fn evwatch_base(watcher: *mut evwatch) -> *mut event_base {
    ffi_boundary!("evwatch_base", {
        // SAFETY: crate contract.
        unsafe { borrow(watcher) }.map_or(ptr::null_mut(), |w| w.base().cast_mut())
    })
}

/// # Safety
/// `watcher` is NULL or a live watcher whose base is alive; not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn evwatch_free(watcher: *mut evwatch) {
    ffi_boundary!("evwatch_free", {
        // SAFETY: crate contract.
        let (Some(w), Some(handle)) = (unsafe { borrow(watcher) }, NonNull::new(watcher)) else {
            return;
        };
        // SAFETY: a watcher's base outlives it.
        let base = unsafe { &*w.base() };
        // SAFETY: the handle came from this base.
        unsafe { base.free_watcher(handle) };
    })
}

/// # Safety
/// `info` is NULL or the info passed to a prepare callback; `timeout` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn evwatch_prepare_get_timeout(
    info: *const evwatch_prepare_cb_info,
    timeout: *mut timeval,
) -> c_int {
    ffi_boundary!("evwatch_prepare_get_timeout", {
        // SAFETY: crate contract.
        match unsafe { borrow(info) }.and_then(|i| i.timeout) {
            // SAFETY: crate contract.
            Some(t) if unsafe { write_out(timeout, Tv::from_duration(t).to_timeval()) } => 1,
            _ => 0,
        }
    })
}
