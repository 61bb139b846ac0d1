//! `event2/listener.h`: connection listeners.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;

use evrs::bufferevent::SocketAddress;
use evrs::listener::{AcceptFn, ErrorFn, Listener};

use crate::event::{base_or_current, event_base};
use crate::ffi::{to_mut_ptr, try_from, try_nonnull, Status};
use crate::util::sockaddr;

castable! {
    /// `struct evconnlistener` (opaque to C; the core keeps it, and frees it once the
    /// program's handle and any running callback are done with it).
    evconnlistener => Listener, OwnershipRef
}
/// `evconnlistener_cb`.
pub type evconnlistener_cb = Option<AcceptFn>;
/// `evconnlistener_errorcb`.
pub type evconnlistener_errorcb = Option<ErrorFn>;

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
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        Listener::new(base, cb, ptr, flags, backlog, fd)
            .map_or(ptr::null_mut(), |l| to_mut_ptr(l.as_ptr()))
    })
}

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
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
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
            .map_or(ptr::null_mut(), |l| to_mut_ptr(l.as_ptr()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_free(lev: *mut evconnlistener) {
    ffi_boundary!("evconnlistener_free", {
        if let Some(lev) = try_nonnull(lev) {
            // SAFETY: a live listener whose handle the program gives up.
            unsafe { Listener::free(lev) };
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_enable(lev: *mut evconnlistener) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_enable", unsafe {
        try_from(lev).map_or(-1, |l| l.enable().status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_disable(lev: *mut evconnlistener) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_disable", unsafe {
        try_from(lev).map_or(-1, |l| l.disable().status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_base(lev: *mut evconnlistener) -> *mut event_base {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_get_base", unsafe {
        to_mut_ptr(try_ref_from_ptr!(lev).base())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_fd(lev: *mut evconnlistener) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_get_fd", unsafe {
        try_from(lev).map_or(-1, Listener::fd)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_cb(
    lev: *mut evconnlistener,
    cb: evconnlistener_cb,
    arg: *mut c_void,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_set_cb", unsafe {
        if let Some(l) = try_from(lev) {
            l.set_callback(cb, arg);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_error_cb(
    lev: *mut evconnlistener,
    errorcb: evconnlistener_errorcb,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evconnlistener_set_error_cb", unsafe {
        if let Some(l) = try_from(lev) {
            l.set_error_callback(errorcb);
        }
    })
}
