//! The C entry points of libevent_mbedtls (the Mbed TLS part of
//! event2/bufferevent_ssl.h and the shared flag functions): the program's
//! `mbedtls_ssl_context` made into a session, then the TLS bufferevent of
//! `evrs_tls_bev`.

use std::ffi::{c_int, c_uint, c_ulong};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::{self, bufferevent, event_base, evutil_socket_t};
use evrs_tls::TlsSession;
use evrs_tls_bev::api;
use evrs_tls_mbedtls::sys::{mbedtls_ssl_config, mbedtls_ssl_context};
use evrs_tls_mbedtls::{ContextMemory, MbedTlsSession, Ownership};

/// `enum bufferevent_ssl_state`.
#[allow(non_camel_case_types)]
pub type bufferevent_ssl_state = c_uint;

/// Contexts live in the program's memory (event_set_mem_functions), as libevent's
/// mm_calloc gives them; under BEV_OPT_CLOSE_ON_FREE a context goes back there too.
const CORE_MEMORY: ContextMemory = ContextMemory {
    calloc: sys::event_mm_calloc_,
    free: sys::event_mm_free_,
};

/// The program's context as a session, owned under BEV_OPT_CLOSE_ON_FREE.
///
/// # Safety
/// `ssl` is NULL or a set-up context that the bufferevent may use and, under
/// `owner == FreeOnDrop`, free with [`CORE_MEMORY`].
unsafe fn session_of(ssl: *mut mbedtls_ssl_context, owner: Ownership) -> Option<MbedTlsSession> {
    // SAFETY: as this function requires.
    let mut session = unsafe { MbedTlsSession::new(ssl, owner) }?;
    // SAFETY: a context the session owns was made by
    // bufferevent_mbedtls_dyncontext_new, from CORE_MEMORY.
    unsafe { session.set_context_memory(CORE_MEMORY) };
    Some(session)
}

/// Who frees the context when the bufferevent goes: libevent frees it (with
/// `bufferevent_mbedtls_dyncontext_free`) under `BEV_OPT_CLOSE_ON_FREE`.
fn ownership(options: c_int) -> Ownership {
    if options & sys::BEV_OPT_CLOSE_ON_FREE != 0 {
        Ownership::FreeOnDrop
    } else {
        Ownership::Borrowed
    }
}

/// `bufferevent_mbedtls_socket_new`. libevent crashes on a NULL `ssl` or base; NULL
/// here. As libevent, a context already bound to another fd is refused and stays the
/// program's even under `BEV_OPT_CLOSE_ON_FREE`, while the other failures free it
/// under that option.
///
/// # Safety
/// `base` is NULL or a live base; `ssl` is NULL or a set-up context the bufferevent
/// may use (and, under `BEV_OPT_CLOSE_ON_FREE`, free: one from
/// `bufferevent_mbedtls_dyncontext_new`).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_socket_new(
    base: *mut event_base,
    fd: evutil_socket_t,
    ssl: *mut mbedtls_ssl_context,
    state: bufferevent_ssl_state,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_mbedtls_socket_new", {
        let owner = ownership(options);
        // SAFETY: the caller gives a set-up context, now the session's (freed on drop
        // under CLOSE_ON_FREE).
        let Some(mut session) = (unsafe { session_of(ssl, owner) }) else {
            return ptr::null_mut();
        };
        let (Some(base), Some(state)) = (NonNull::new(base), api::state_of(state)) else {
            return ptr::null_mut();
        };
        // libevent's rule: use the fd the context's I/O has, refuse a different one,
        // else set up socket I/O on `fd`. A refusal leaves the context alone.
        session.set_ownership(Ownership::Borrowed);
        let Ok(fd) = session.bind_socket((fd >= 0).then_some(fd)) else {
            return ptr::null_mut();
        };
        session.set_ownership(owner);
        // SAFETY: a live base; the session is bound to its fd (or none yet).
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

/// `bufferevent_mbedtls_filter_new`. NULL for a NULL underlying bufferevent (freeing
/// the context under `BEV_OPT_CLOSE_ON_FREE`, as libevent) or a NULL context (where
/// libevent would crash later).
///
/// # Safety
/// As for [`bufferevent_mbedtls_socket_new`]; `underlying` is NULL or a live
/// bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_filter_new(
    base: *mut event_base,
    underlying: *mut bufferevent,
    ssl: *mut mbedtls_ssl_context,
    state: bufferevent_ssl_state,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_mbedtls_filter_new", {
        // SAFETY: the caller gives a set-up context, now the session's (freed on drop
        // under CLOSE_ON_FREE).
        let Some(mut session) = (unsafe { session_of(ssl, ownership(options)) }) else {
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

/// `bufferevent_mbedtls_get_ssl`: NULL for another kind.
///
/// # Safety
/// `bufev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_get_ssl(
    bufev: *mut bufferevent,
) -> *mut mbedtls_ssl_context {
    ffi_boundary!("bufferevent_mbedtls_get_ssl", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::tls_object(bufev) }.cast::<mbedtls_ssl_context>()
    })
}

/// `bufferevent_get_mbedtls_error`: the newest stored Mbed TLS error code (a negative
/// `int` as `unsigned long`, cut to 32 bits as libevent stores it), removed; 0 when
/// there is none or `bufev` is not a TLS bufferevent.
///
/// # Safety
/// `bufev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_mbedtls_error(bufev: *mut bufferevent) -> c_ulong {
    ffi_boundary!("bufferevent_get_mbedtls_error", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        (unsafe { api::pop_error(bufev) }) as c_ulong
    })
}

/// `bufferevent_mbedtls_get_allow_dirty_shutdown`: 1 or 0; -1 for another kind (as
/// libevent's EV_UINT64_MAX cut to int).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_get_allow_dirty_shutdown(
    bev: *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_mbedtls_get_allow_dirty_shutdown", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::allow_dirty_shutdown(bev) }
    })
}

/// `bufferevent_mbedtls_set_allow_dirty_shutdown`; nothing for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_set_allow_dirty_shutdown(
    bev: *mut bufferevent,
    allow_dirty_shutdown: c_int,
) {
    ffi_boundary!("bufferevent_mbedtls_set_allow_dirty_shutdown", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::set_allow_dirty_shutdown(bev, allow_dirty_shutdown != 0) };
    })
}

/// `bufferevent_mbedtls_renegotiate`: 0, or -1 when the context refuses (renegotiation
/// off in its configuration, a handshake not over) or `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_renegotiate(bev: *mut bufferevent) -> c_int {
    ffi_boundary!("bufferevent_mbedtls_renegotiate", {
        // SAFETY: the caller gives NULL or a live bufferevent.
        unsafe { api::renegotiate(bev) }
    })
}

/// `bufferevent_mbedtls_dyncontext_new`: a context allocated (through the program's
/// event_set_mem_functions, as libevent) and set up with `conf`;
/// NULL for a NULL `conf` (libevent crashes in `mbedtls_ssl_setup`) or when the
/// allocation or the setup fails (libevent hands out a half-made context then).
///
/// # Safety
/// `conf` is NULL or a configured `mbedtls_ssl_config` that outlives the context.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_dyncontext_new(
    conf: *mut mbedtls_ssl_config,
) -> *mut mbedtls_ssl_context {
    ffi_boundary!("bufferevent_mbedtls_dyncontext_new", {
        if conf.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a configured config that outlives the context, as the caller gives;
        // event_mm_calloc_ zeroes and aligns as calloc does.
        unsafe { evrs_tls_mbedtls::dyncontext_new_in(conf, CORE_MEMORY) }
    })
}

/// `bufferevent_mbedtls_dyncontext_free`; NULL is ignored (libevent would crash).
///
/// # Safety
/// `ctx` is NULL or came from `bufferevent_mbedtls_dyncontext_new` and is not used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_mbedtls_dyncontext_free(ctx: *mut mbedtls_ssl_context) {
    ffi_boundary!("bufferevent_mbedtls_dyncontext_free", {
        // SAFETY: NULL or a context from dyncontext_new (CORE_MEMORY), freed once, as
        // the caller gives.
        unsafe { evrs_tls_mbedtls::dyncontext_free_in(ctx, CORE_MEMORY) };
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
