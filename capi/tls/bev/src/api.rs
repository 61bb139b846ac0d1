//! What the entry points of event2/bufferevent_ssl.h do, for any TLS library: the
//! constructors over a made session and the accessors of a TLS bufferevent.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::foreign::{self, IncrefLock};
use evrs_sibling::sys::{self, bufferevent, event_base};
use evrs_tls::engine::{Engine, EngineCell, Kind, State};
use evrs_tls::{TlsSession, Transport};

use crate::kind::{self, Control, TlsKind, TlsTable, UnderlyingTransport, TLS_FAMILY};

/// `BUFFEREVENT_SSL_OPEN`, `_CONNECTING`, `_ACCEPTING`; None for another value.
pub fn state_of(state: c_uint) -> Option<State> {
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
    // SAFETY: `bev` is live, as this function requires.
    let kind = unsafe { foreign::kind_of::<TlsKind>(bev) }?;
    Some((bev, kind))
}

/// The transport of a filter over `underlying`, for the session to send and receive
/// its ciphertext through.
///
/// # Safety
/// `underlying` is a live bufferevent, which the filter made by [`new_tls`] with it
/// keeps (a reference) for as long as the session lives.
pub unsafe fn filter_transport(underlying: NonNull<bufferevent>) -> Box<dyn Transport> {
    // SAFETY: the filter takes its reference on `underlying` before the session can
    // use the transport, and drops the session before that reference.
    Box::new(unsafe { UnderlyingTransport::new(underlying) })
}

/// A TLS bufferevent over `session` (already bound to its fd, or to the transport of
/// `underlying`); `tls_object` is the program's object that `get_ssl` answers. The
/// session goes (with the object, if the session owns it) when refused.
///
/// # Safety
/// `base` is a live base; `underlying` is None or a live bufferevent.
pub unsafe fn new_tls(
    base: NonNull<event_base>,
    underlying: Option<NonNull<bufferevent>>,
    fd: Option<c_int>,
    session: Box<dyn TlsSession>,
    tls_object: *mut c_void,
    state: State,
    options: c_int,
) -> *mut bufferevent {
    let kind = if underlying.is_some() {
        Kind::Filter
    } else {
        Kind::Socket
    };
    let close_on_free = options & sys::BEV_OPT_CLOSE_ON_FREE != 0;
    let engine = Engine::new(session, kind, state, close_on_free);
    let tls = TlsKind::new(EngineCell::new(engine), underlying, tls_object);
    // SAFETY: `base` is live, as this function requires.
    let Some(bev) = (unsafe { foreign::new(base, options, tls, kind == Kind::Socket) }) else {
        return ptr::null_mut();
    };
    // SAFETY: the bufferevent just made, which nothing else knows yet.
    if unsafe { kind::start(bev, fd) } {
        bev.as_ptr()
    } else {
        // As libevent: the bufferevent goes (with its TLS object, and its underlying
        // bufferevent, under BEV_OPT_CLOSE_ON_FREE).
        // SAFETY: our own reference to the bufferevent just made.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
        ptr::null_mut()
    }
}

/// The program's TLS object of `bev`; NULL for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn tls_object(bev: *mut bufferevent) -> *mut c_void {
    // SAFETY: `bev` is NULL or live, as this function requires.
    match unsafe { tls_kind(bev) } {
        // SAFETY: a kind object lives as long as its bufferevent, and only the
        // pointer is read.
        Some((_, kind)) => unsafe { kind.as_ref() }.tls_object(),
        None => ptr::null_mut(),
    }
}

/// Runs `f` on the engine of `bev` under its lock; None for another kind or when
/// the engine is running (a call from inside one of its own operations).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
unsafe fn inspect<R>(bev: *mut bufferevent, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    // SAFETY: `bev` is NULL or live, as this function requires.
    let (bev, kind) = unsafe { tls_kind(bev) }?;
    // SAFETY: `bev` is live; the reference keeps the kind alive meanwhile.
    let _hold = unsafe { IncrefLock::new(bev) };
    // SAFETY: the reference just taken keeps the kind alive; `f` runs no program code,
    // so nothing can free it or borrow it meanwhile.
    unsafe { kind.as_ref() }.inspect(f)
}

/// The newest stored error code, removed; 0 when there is none or `bev` is not a TLS
/// bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn pop_error(bev: *mut bufferevent) -> u64 {
    // SAFETY: `bev` is NULL or live, as this function requires.
    unsafe { inspect(bev, |e| e.pop_error()) }.unwrap_or(0)
}

/// Does `request` on a TLS bufferevent of either TLS library: this one's directly,
/// the other's (a program linking both) through its table's control entry. None for
/// another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
unsafe fn request(bev: *mut bufferevent, request: Control, arg: u64) -> Option<u64> {
    let bev = NonNull::new(bev)?;
    // SAFETY: `bev` is live, as this function requires.
    if let Some(kind) = unsafe { foreign::kind_of::<TlsKind>(bev) } {
        // SAFETY: the kind object of the live `bev`.
        return Some(unsafe { control(bev, kind, request, arg) });
    }
    // SAFETY: `bev` is live, as this function requires.
    let (table, ctx) = unsafe { foreign::table_and_ctx(bev) }?;
    // SAFETY: a live table of at least `size` bytes (the core read it so at creation);
    // the mark and the entry are read only when `size` says they are there.
    let control = unsafe {
        let size = ptr::read_unaligned(table.as_ptr().cast::<usize>());
        if size < std::mem::size_of::<TlsTable>() {
            return None;
        }
        let table = table.cast::<TlsTable>().as_ptr();
        if ptr::read_unaligned(ptr::addr_of!((*table).family)) != TLS_FAMILY {
            return None;
        }
        ptr::read_unaligned(ptr::addr_of!((*table).control))
    };
    // SAFETY: the other TLS library's entry for its own bufferevent and context; it
    // takes its own reference and lock.
    Some(unsafe { control(ctx.as_ptr(), bev.as_ptr(), request as c_int, arg) })
}

/// Does `request` on this library's TLS bufferevent `bev` with kind object `kind`
/// (see [`Control`]).
///
/// # Safety
/// `bev` is a live bufferevent and `kind` its kind object.
pub(crate) unsafe fn control(
    bev: NonNull<bufferevent>,
    kind: NonNull<TlsKind>,
    request: Control,
    arg: u64,
) -> u64 {
    // SAFETY: `bev` is live; the reference keeps the kind alive meanwhile, also
    // across the program's callbacks a renegotiation may run.
    let _hold = unsafe { IncrefLock::new(bev) };
    let inspect = |f: &dyn Fn(&mut Engine) -> u64| {
        // SAFETY: the reference above keeps the kind alive; `f` runs no program code,
        // so nothing can free it or borrow it meanwhile.
        unsafe { kind.as_ref() }.inspect(f).unwrap_or(u64::MAX)
    };
    match request {
        Control::Flags => inspect(&|e| e.flags()),
        Control::SetFlags => inspect(&|e| e.set_flags(arg).unwrap_or(u64::MAX)),
        Control::ClearFlags => inspect(&|e| e.clear_flags(arg).unwrap_or(u64::MAX)),
        Control::AllowDirtyShutdown => inspect(&|e| u64::from(e.allow_dirty_shutdown())),
        Control::SetAllowDirtyShutdown => inspect(&|e| {
            e.set_allow_dirty_shutdown(arg != 0);
            0
        }),
        // SAFETY: the reference above is held for the whole call.
        Control::Renegotiate => {
            match unsafe { kind::with_engine(kind, bev, |e, h| e.renegotiate(h)) } {
                Some(Ok(())) => 0,
                _ => u64::MAX,
            }
        }
    }
}

/// Whether dirty shutdowns are allowed: 1 or 0; -1 for another kind (as libevent's
/// EV_UINT64_MAX cut to int).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn allow_dirty_shutdown(bev: *mut bufferevent) -> c_int {
    // SAFETY: `bev` is NULL or live, as this function requires.
    match unsafe { request(bev, Control::AllowDirtyShutdown, 0) } {
        Some(allow @ (0 | 1)) => allow as c_int,
        _ => -1,
    }
}

/// Allows or forbids dirty shutdowns; nothing for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn set_allow_dirty_shutdown(bev: *mut bufferevent, allow: bool) {
    // SAFETY: `bev` is NULL or live, as this function requires.
    unsafe { request(bev, Control::SetAllowDirtyShutdown, u64::from(allow)) };
}

/// Starts a renegotiation: 0, or -1 when the session refuses (TLS 1.3, a handshake
/// not over) or `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn renegotiate(bev: *mut bufferevent) -> c_int {
    // SAFETY: `bev` is NULL or live, as this function requires.
    match unsafe { request(bev, Control::Renegotiate, 0) } {
        Some(0) => 0,
        _ => -1,
    }
}

/// The `BUFFEREVENT_SSL_*` flags; EV_UINT64_MAX for another kind.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn flags(bev: *mut bufferevent) -> u64 {
    // SAFETY: `bev` is NULL or live, as this function requires.
    unsafe { request(bev, Control::Flags, 0) }.unwrap_or(u64::MAX)
}

/// Sets `flags`: the old flags, or EV_UINT64_MAX when none of `flags` is known or
/// `bev` is not a TLS bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn set_flags(bev: *mut bufferevent, flags: u64) -> u64 {
    // SAFETY: `bev` is NULL or live, as this function requires.
    unsafe { request(bev, Control::SetFlags, flags) }.unwrap_or(u64::MAX)
}

/// Clears `flags`, answering as [`set_flags`].
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
pub unsafe fn clear_flags(bev: *mut bufferevent, flags: u64) -> u64 {
    // SAFETY: `bev` is NULL or live, as this function requires.
    unsafe { request(bev, Control::ClearFlags, flags) }.unwrap_or(u64::MAX)
}
