//! The C entry points of event2/ws.h. Each checks its arguments and hands over to
//! `evhttp::websocket`, where the sessions live.
//!
//! libevent dereferences a NULL session or request; these return the failure value
//! instead.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::bufferevent;

use crate::evhttp::request::evhttp_request;
use crate::evhttp::websocket::{self, evws_connection, ws_on_close_cb, ws_on_msg_cb, Session};

/// The session behind a pointer the program got from `evws_new_session`.
///
/// # Safety
/// `evws` is NULL or a session not freed yet (or being freed: its close callback runs).
unsafe fn session(evws: *mut evws_connection) -> Option<Session> {
    // SAFETY: as the caller promises, under libevent's contract for `evws`.
    unsafe { Session::from_ptr(evws) }
}

#[no_mangle]
pub unsafe extern "C" fn evws_new_session(
    req: *mut evhttp_request,
    cb: Option<ws_on_msg_cb>,
    arg: *mut c_void,
    options: c_int,
) -> *mut evws_connection {
    ffi_boundary!("evws_new_session", {
        let Some(req) = NonNull::new(req) else {
            return ptr::null_mut();
        };
        // SAFETY: a non-NULL `req` is a live request given to a server callback, as
        // the header requires.
        unsafe { websocket::new_session(req, cb, arg, options) }
            .map_or(ptr::null_mut(), Session::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evws_send(
    evws: *mut evws_connection,
    packet_str: *const c_char,
    str_len: usize,
) {
    ffi_boundary!("evws_send", {
        // SAFETY: `evws` is NULL or a live session (the header's contract).
        let Some(evws) = (unsafe { session(evws) }) else {
            return;
        };
        let payload: &[u8] = if str_len == 0 {
            &[]
        } else if packet_str.is_null() {
            return;
        } else {
            // SAFETY: the program gives `str_len` readable bytes at `packet_str`,
            // which it does not change during the call.
            unsafe { std::slice::from_raw_parts(packet_str.cast(), str_len) }
        };
        websocket::send(evws, payload);
    })
}

#[no_mangle]
pub unsafe extern "C" fn evws_close(evws: *mut evws_connection, reason: u16) {
    ffi_boundary!("evws_close", {
        // SAFETY: `evws` is NULL or a live session (the header's contract).
        if let Some(evws) = unsafe { session(evws) } {
            websocket::close(evws, reason);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evws_connection_set_closecb(
    evws: *mut evws_connection,
    cb: Option<ws_on_close_cb>,
    cbarg: *mut c_void,
) {
    ffi_boundary!("evws_connection_set_closecb", {
        // SAFETY: `evws` is NULL or a live session (the header's contract).
        if let Some(evws) = unsafe { session(evws) } {
            websocket::set_close_callback(evws, cb, cbarg);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evws_connection_free(evws: *mut evws_connection) {
    ffi_boundary!("evws_connection_free", {
        // SAFETY: `evws` is NULL or a live session (the header's contract).
        if let Some(evws) = unsafe { session(evws) } {
            websocket::free(evws);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evws_connection_get_bufferevent(
    evws: *mut evws_connection,
) -> *mut bufferevent {
    ffi_boundary!("evws_connection_get_bufferevent", {
        // SAFETY: `evws` is NULL or a live session (the header's contract).
        unsafe { session(evws) }.map_or(ptr::null_mut(), websocket::bufferevent)
    })
}
