//! The C entry points of libevent_openssl (event2/bufferevent_ssl.h and the OpenSSL
//! constructors of event2/bufferevent.h).

use std::ffi::{c_int, c_uint, c_ulong};
use std::ptr::{self, NonNull};

use evrs_sibling::foreign::{self, IncrefLock};
use evrs_sibling::sys::{self, bufferevent, event_base, evutil_socket_t};
use evrs_tls::engine::{Engine, EngineCell, Kind, State};
use evrs_tls::TlsSession;
use evrs_tls_openssl::{OpenSslSession, Ownership};
use openssl_sys::SSL;

use crate::kind::{self, TlsKind, UnderlyingTransport};

/// `enum bufferevent_ssl_state`.
#[allow(non_camel_case_types)]
pub type bufferevent_ssl_state = c_uint;

/// `BUFFEREVENT_SSL_OPEN`, `_CONNECTING`, `_ACCEPTING`.
fn state_of(state: bufferevent_ssl_state) -> Option<State> {
    match state {
        0 => Some(State::Open),
        1 => Some(State::Connecting),
        2 => Some(State::Accepting),
        _ => None,
    }
}

/// The TLS kind object of `bev`, None for NULL or another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
unsafe fn tls_kind(bev: *mut bufferevent) -> Option<(NonNull<bufferevent>, NonNull<TlsKind>)> {
    let bev = NonNull::new(bev)?;
    // SAFETY: a live bufferevent (the caller's contract).
    let kind = unsafe { foreign::kind_of::<TlsKind>(bev) }?;
    Some((bev, kind))
}

/// A TLS bufferevent over `session` (already bound to its fd or transport); frees the
/// session (and with it, under `BEV_OPT_CLOSE_ON_FREE`, the `SSL`) when refused.
///
/// # Safety
/// `base` is a live base; `underlying` is NULL or a live bufferevent.
unsafe fn new_tls(
    base: NonNull<event_base>,
    underlying: Option<NonNull<bufferevent>>,
    fd: Option<c_int>,
    session: OpenSslSession,
    state: State,
    options: c_int,
) -> *mut bufferevent {
    let ssl = session.ssl();
    let kind = if underlying.is_some() {
        Kind::Filter
    } else {
        Kind::Socket
    };
    let close_on_free = options & sys::BEV_OPT_CLOSE_ON_FREE != 0;
    let engine = Engine::new(Box::new(session), kind, state, close_on_free);
    let tls = TlsKind::new(EngineCell::new(engine), underlying, ssl);
    // SAFETY: a live base.
    let Some(bev) = (unsafe { foreign::new(base, options, tls, kind == Kind::Socket) }) else {
        return ptr::null_mut();
    };
    // SAFETY: the bufferevent just made, which nothing else knows yet.
    if unsafe { kind::start(bev, fd) } {
        bev.as_ptr()
    } else {
        // As libevent: the bufferevent goes (with its SSL, and its underlying
        // bufferevent, under BEV_OPT_CLOSE_ON_FREE).
        // SAFETY: our own reference to the bufferevent just made.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
        ptr::null_mut()
    }
}

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
        let (Some(base), Some(state)) = (NonNull::new(base), state_of(state)) else {
            return ptr::null_mut();
        };
        // libevent's rule: use the fd the SSL has, refuse a different one, else set
        // up socket I/O on `fd`.
        let Ok(fd) = session.bind_socket((fd >= 0).then_some(fd)) else {
            return ptr::null_mut();
        };
        // SAFETY: a live base.
        unsafe { new_tls(base, None, fd, session, state, options) }
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
        // SAFETY: as in bufferevent_openssl_socket_new.
        let Some(mut session) = (unsafe { OpenSslSession::new(ssl, ownership(options)) }) else {
            return ptr::null_mut();
        };
        let (Some(base), Some(underlying), Some(state)) = (
            NonNull::new(base),
            NonNull::new(underlying),
            state_of(state),
        ) else {
            return ptr::null_mut();
        };
        // SAFETY: the kind takes a reference on the underlying bufferevent before the
        // session can use the transport, and drops the session first.
        let transport = unsafe { UnderlyingTransport::new(underlying) };
        if session.set_transport(Box::new(transport)).is_err() {
            return ptr::null_mut();
        }
        // SAFETY: a live base and underlying bufferevent.
        unsafe { new_tls(base, Some(underlying), None, session, state, options) }
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
        match unsafe { tls_kind(bev) } {
            // SAFETY: a kind object lives as long as its bufferevent.
            Some((_, kind)) => unsafe { kind.as_ref() }.ssl(),
            None => ptr::null_mut(),
        }
    })
}

/// Runs `f` on the engine of `bev` under its lock; None for another kind or when
/// the engine is running (a call from inside one of its own operations).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
unsafe fn inspect<R>(bev: *mut bufferevent, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    // SAFETY: the caller gives NULL or a live bufferevent.
    let (bev, kind) = unsafe { tls_kind(bev) }?;
    // SAFETY: a live bufferevent; the reference keeps the kind alive meanwhile.
    let _hold = unsafe { IncrefLock::new(bev) };
    // SAFETY: the reference just taken keeps the kind alive; `f` runs no program code,
    // so nothing can free it or borrow it meanwhile.
    unsafe { kind.as_ref() }.inspect(f)
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
        unsafe { inspect(bev, |e| e.pop_error()) }.unwrap_or(0) as c_ulong
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
        match unsafe { inspect(bev, |e| e.allow_dirty_shutdown()) } {
            Some(allow) => c_int::from(allow),
            None => -1,
        }
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
        unsafe {
            inspect(bev, |e| {
                e.set_allow_dirty_shutdown(allow_dirty_shutdown != 0)
            })
        };
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
        let Some((bev, kind)) = (unsafe { tls_kind(bev) }) else {
            return -1;
        };
        // SAFETY: a live bufferevent; the reference is held across the call, which
        // may run the program's callbacks.
        let _hold = unsafe { IncrefLock::new(bev) };
        // SAFETY: the reference above is held for the whole call.
        match unsafe { kind::with_engine(kind, bev, |e, h| e.renegotiate(h)) } {
            Some(Ok(())) => 0,
            _ => -1,
        }
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
        unsafe { inspect(bev, |e| e.flags()) }.unwrap_or(u64::MAX)
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
        unsafe { inspect(bev, |e| e.set_flags(flags)) }
            .flatten()
            .unwrap_or(u64::MAX)
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
        unsafe { inspect(bev, |e| e.clear_flags(flags)) }
            .flatten()
            .unwrap_or(u64::MAX)
    })
}
