//! `event2/listener.h`: connection listeners.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr::{self, NonNull};

use evrs::bufferevent::SocketAddress;
use evrs::listener::{AcceptFn, ErrorFn, Listener};

use crate::event::{base_or_current, event_base};
use crate::ffi::borrow;
use crate::util::sockaddr;

/// `struct evconnlistener` (opaque to C).
pub type evconnlistener = Listener;
/// `evconnlistener_cb`.
pub type evconnlistener_cb = Option<AcceptFn>;
/// `evconnlistener_errorcb`.
pub type evconnlistener_errorcb = Option<ErrorFn>;

fn status<E>(r: Result<(), E>) -> c_int {
    if r.is_ok() {
        0
    } else {
        -1
    }
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new(
    base: *mut event_base,
    cb: evconnlistener_cb,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: c_int,
) -> *mut evconnlistener {
    ffi_boundary!("evconnlistener_new", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        Listener::new(base, cb, ptr, flags, backlog, fd).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new_bind(
    base: *mut event_base,
    cb: evconnlistener_cb,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    sa: *const sockaddr,
    socklen: c_int,
) -> *mut evconnlistener {
    ffi_boundary!("evconnlistener_new_bind", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        let addr = if sa.is_null() {
            None
        } else {
            let Ok(len) = usize::try_from(socklen) else {
                return ptr::null_mut();
            };
            // SAFETY: the program passes `socklen` readable bytes at `sa`.
            let bytes = unsafe { std::slice::from_raw_parts(sa.cast::<u8>(), len) };
            match SocketAddress::from_bytes(bytes) {
                Some(a) => Some(a),
                None => return ptr::null_mut(),
            }
        };
        Listener::new_bind(base, cb, ptr, flags, backlog, addr.as_ref())
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_free(lev: *mut evconnlistener) {
    ffi_boundary!("evconnlistener_free", {
        if let Some(lev) = NonNull::new(lev) {
            // SAFETY: a live listener whose handle the program gives up.
            unsafe { Listener::free(lev) };
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_enable(lev: *mut evconnlistener) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_enable", unsafe {
        borrow(lev).map_or(-1, |l| status(l.enable()))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_disable(lev: *mut evconnlistener) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_disable", unsafe {
        borrow(lev).map_or(-1, |l| status(l.disable()))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_base(lev: *mut evconnlistener) -> *mut event_base {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_get_base", unsafe {
        borrow(lev).map_or(ptr::null_mut(), |l| {
            (l.base() as *const event_base).cast_mut()
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_fd(lev: *mut evconnlistener) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_get_fd", unsafe {
        borrow(lev).map_or(-1, Listener::fd)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_cb(
    lev: *mut evconnlistener,
    cb: evconnlistener_cb,
    arg: *mut c_void,
) {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_set_cb", unsafe {
        if let Some(l) = borrow(lev) {
            l.set_callback(cb, arg);
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_error_cb(
    lev: *mut evconnlistener,
    errorcb: evconnlistener_errorcb,
) {
    // SAFETY: crate contract.
    ffi_boundary!("evconnlistener_set_error_cb", unsafe {
        if let Some(l) = borrow(lev) {
            l.set_error_callback(errorcb);
        }
    })
}
