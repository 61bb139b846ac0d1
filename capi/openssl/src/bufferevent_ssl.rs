//! The C entry points of libevent_openssl (event2/bufferevent_ssl.h and the OpenSSL
//! constructors of event2/bufferevent.h): the program's `SSL` made into a session,
//! then the TLS bufferevent of `evrs_tls_bev`.

use std::ffi::{c_int, c_uint, c_ulong};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::{self, bufferevent, event_base, evutil_socket_t};
use evrs_tls::TlsSession;
use evrs_tls_bev::api;
use evrs_tls_openssl::{OpenSslSession, Ownership};
use openssl_sys::SSL;

/// `enum bufferevent_ssl_state`.
#[allow(non_camel_case_types)]
pub type bufferevent_ssl_state = c_uint;

fn ownership(options: c_int) -> Ownership {
    if options & sys::BEV_OPT_CLOSE_ON_FREE != 0 {
        Ownership::FreeOnDrop
    } else {
        Ownership::Borrowed
    }
}

/// `bufferevent_openssl_socket_new`. libevent crashes on a NULL `ssl` or base; NULL
/// here.
///
/// # Safety
/// `base` is NULL or a live base; `ssl` is NULL or a valid `SSL` the bufferevent may
/// use (and, under `BEV_OPT_CLOSE_ON_FREE`, free).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_socket_new(
    base: *mut event_base,
    fd: evutil_socket_t,
    ssl: *mut SSL,
    state: bufferevent_ssl_state,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_openssl_socket_new", {
        // SAFETY: the caller gives a valid SSL, now the session's (freed on drop
        // under CLOSE_ON_FREE, as libevent frees it on failure).
        let Some(mut session) = (unsafe { OpenSslSession::new(ssl, ownership(options)) }) else {
            return ptr::null_mut();
        };
        let (Some(base), Some(state)) = (NonNull::new(base), api::state_of(state)) else {
            return ptr::null_mut();
        };
        // libevent's rule: use the fd the SSL has, refuse a different one, else set
        // up socket I/O on `fd`.
        let Ok(fd) = session.bind_socket((fd >= 0).then_some(fd)) else {
            return ptr::null_mut();
        };
        let ssl = session.ssl();
        // SAFETY: a live base.
        unsafe {
            api::new_tls(
                base,
                None,
                fd,
                Box::new(session),
                ssl.cast(),
                state,
                options,
            )
        }
    })
}

/// `bufferevent_openssl_filter_new`. NULL for a NULL underlying bufferevent (freeing
/// the SSL under `BEV_OPT_CLOSE_ON_FREE`, as libevent).
///
/// # Safety
/// As for [`bufferevent_openssl_socket_new`]; `underlying` is NULL or a live
/// bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_filter_new(
    base: *mut event_base,
    underlying: *mut bufferevent,
    ssl: *mut SSL,
    state: bufferevent_ssl_state,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_openssl_filter_new", {
        // SAFETY: the caller gives a valid SSL, now the session's (freed on drop
        // under CLOSE_ON_FREE, as libevent frees it on failure).
        let Some(mut session) = (unsafe { OpenSslSession::new(ssl, ownership(options)) }) else {
            return ptr::null_mut();
        };
        let (Some(base), Some(underlying), Some(state)) = (
            NonNull::new(base),
            NonNull::new(underlying),
            api::state_of(state),
        ) else {
            return ptr::null_mut();
        };
        // SAFETY: the program's live underlying bufferevent, which the filter made
        // below keeps.
        let transport = unsafe { api::filter_transport(underlying) };
        if session.set_transport(transport).is_err() {
            return ptr::null_mut();
        }
        let ssl = session.ssl();
        // SAFETY: a live base and underlying bufferevent.
        unsafe {
            api::new_tls(
                base,
                Some(underlying),
                None,
                Box::new(session),
                ssl.cast(),
                state,
                options,
            )
        }
    })
}

/// `bufferevent_openssl_get_ssl`: NULL for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_get_ssl(bev: *mut bufferevent) -> *mut SSL {
    ffi_boundary!("bufferevent_openssl_get_ssl", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::tls_object(bev) }.cast::<SSL>()
    })
}

/// `bufferevent_get_openssl_error`: the newest stored error code, removed; 0 when
/// there is none or `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_openssl_error(bev: *mut bufferevent) -> c_ulong {
    ffi_boundary!("bufferevent_get_openssl_error", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        (unsafe { api::pop_error(bev) }) as c_ulong
    })
}

/// `bufferevent_openssl_get_allow_dirty_shutdown`: 1 or 0; -1 for another kind (as
/// libevent's EV_UINT64_MAX cut to int).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_get_allow_dirty_shutdown(
    bev: *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_openssl_get_allow_dirty_shutdown", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::allow_dirty_shutdown(bev) }
    })
}

/// `bufferevent_openssl_set_allow_dirty_shutdown`; nothing for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_openssl_set_allow_dirty_shutdown(
    bev: *mut bufferevent,
    allow_dirty_shutdown: c_int,
) {
    ffi_boundary!("bufferevent_openssl_set_allow_dirty_shutdown", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::set_allow_dirty_shutdown(bev, allow_dirty_shutdown != 0) };
    })
}

/// `bufferevent_ssl_renegotiate`: 0, or -1 when the session refuses (TLS 1.3, a
/// handshake not over) or `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_ssl_renegotiate(bev: *mut bufferevent) -> c_int {
    ffi_boundary!("bufferevent_ssl_renegotiate", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::renegotiate(bev) }
    })
}

/// `bufferevent_ssl_get_flags`: EV_UINT64_MAX for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_ssl_get_flags(bev: *mut bufferevent) -> u64 {
    ffi_boundary!("bufferevent_ssl_get_flags", or u64::MAX, {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::flags(bev) }
    })
}

/// `bufferevent_ssl_set_flags`: the old flags, or EV_UINT64_MAX when none of `flags`
/// is known or `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_ssl_set_flags(bev: *mut bufferevent, flags: u64) -> u64 {
    ffi_boundary!("bufferevent_ssl_set_flags", or u64::MAX, {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::set_flags(bev, flags) }
    })
}

/// `bufferevent_ssl_clear_flags`, as [`bufferevent_ssl_set_flags`].
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_ssl_clear_flags(bev: *mut bufferevent, flags: u64) -> u64 {
    ffi_boundary!("bufferevent_ssl_clear_flags", or u64::MAX, {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::clear_flags(bev, flags) }
    })
}
