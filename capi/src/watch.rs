//! `event2/watch.h`: callbacks around each poll of the loop.

use std::ffi::{c_int, c_void};
use std::ptr;

use evrs::event::watch::{WatchFn, WatchInfo, WatchKind, Watcher};
use evrs::event::Tv;

use crate::event::{event_base, timeval};
use crate::ffi::{to_mut_ptr, try_from, try_nonnull, write_out};

castable! {
    /// `struct evwatch` (opaque to C; kept by its base).
    evwatch => Watcher, OwnershipRef
}
castable! {
    /// `struct evwatch_prepare_cb_info` (opaque to C).
    evwatch_prepare_cb_info => WatchInfo, OwnershipRef
}
castable! {
    /// `struct evwatch_check_cb_info` (opaque to C).
    evwatch_check_cb_info => WatchInfo, OwnershipRef
}
/// `evwatch_prepare_cb`.
pub type evwatch_prepare_cb = Option<WatchFn>;
/// `evwatch_check_cb`.
pub type evwatch_check_cb = Option<WatchFn>;

/// # Safety
/// Under the crate contract.
unsafe fn new_watcher(
    base: *mut event_base,
    kind: WatchKind,
    callback: Option<WatchFn>,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    let (Some(base), Some(callback)) = (unsafe { try_from(base) }, callback) else {
        return ptr::null_mut();
    };
    base.new_watcher(kind, callback, arg)
        .map_or(ptr::null_mut(), |w| to_mut_ptr(w.as_ptr()))
}

#[no_mangle]
pub unsafe extern "C" fn evwatch_prepare_new(
    base: *mut event_base,
    callback: evwatch_prepare_cb,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evwatch_prepare_new", {
        unsafe { new_watcher(base, WatchKind::Prepare, callback, arg) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evwatch_check_new(
    base: *mut event_base,
    callback: evwatch_check_cb,
    arg: *mut c_void,
) -> *mut evwatch {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evwatch_check_new", {
        unsafe { new_watcher(base, WatchKind::Check, callback, arg) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evwatch_base(watcher: *mut evwatch) -> *mut event_base {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evwatch_base", unsafe {
        to_mut_ptr(try_ref_from_ptr!(watcher).base())
    })
}

/// # Safety
/// The watcher's base is still alive.
#[no_mangle]
pub unsafe extern "C" fn evwatch_free(watcher: *mut evwatch) {
    // SAFETY: crate contract; the base is alive (as documented).
    ffi_boundary!("evwatch_free", unsafe {
        let Some(w) = try_nonnull(watcher) else {
            return;
        };
        let base = &*w.as_ref().base();
        base.free_watcher(w);
    })
}

/// # Safety
/// `info` is NULL or the info passed to a prepare callback that is running.
#[no_mangle]
pub unsafe extern "C" fn evwatch_prepare_get_timeout(
    info: *const evwatch_prepare_cb_info,
    timeout: *mut timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evwatch_prepare_get_timeout", unsafe {
        match try_from(info).and_then(|i| i.timeout) {
            Some(t) if write_out(timeout, Tv::from_duration(t).to_timeval_raw()) => 1,
            _ => 0,
        }
    })
}
