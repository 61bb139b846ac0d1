//! Bufferevent kinds a sibling implements (the TLS bufferevents of libevent_openssl
//! and libevent_mbedtls), over the core's `evrs_sibling_bufferevent_*` seam.
//!
//! A kind is a Rust type implementing [`ForeignKind`]; [`foreign_kind_ops!`] declares
//! its operations table (a `static`: its address is what identifies the kind to the
//! core). [`new`] makes a bufferevent owning a boxed kind object, [`kind_of`] finds it
//! again, and the trampolines here are the only place its `void *` is turned back
//! into the type. Each trampoline catches panics, so none unwinds into the core.
//!
//! The operations run with the bufferevent's lock held and a reference the core
//! holds across the call: the kind object stays alive during them. The helpers below
//! are the core's common bufferevent code a kind builds on (libevent's internal
//! `bufferevent_*_` functions).

use std::ffi::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::handler::{event_trampoline, EventHandler};
use crate::sys;

/// A refused operation: -1 to or from the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

/// A bufferevent kind implemented by a sibling library. Every operation gets the
/// kind object as a pointer, not a reference: an operation may run the program's
/// callbacks, which may call back into the same object (an enable, a write) or drop
/// their reference to the bufferevent, so an operation borrows the object only
/// briefly, between such calls. The object itself stays allocated during an operation
/// (the core holds a reference on the bufferevent). `Err(Refused)` is -1 to the core.
pub trait ForeignKind: Sized + 'static {
    /// The kind's table, declared with [`foreign_kind_ops!`].
    fn ops() -> &'static sys::evrs_sibling_bev_ops;
    /// Starts I/O in `events` (`EV_READ`, `EV_WRITE`), now enabled and not suspended.
    fn enable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused>;
    /// Stops I/O in `events` (disabled or suspended).
    fn disable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused>;
    /// The last reference went: stop I/O, let companions go (with
    /// `BEV_OPT_CLOSE_ON_FREE`, free the underlying bufferevent).
    fn unlink(_this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) {}
    /// From the loop after `unlink`: release the session and, with
    /// `BEV_OPT_CLOSE_ON_FREE`, the socket. The object is dropped afterwards; the
    /// core then gives up the reference the kind holds on its underlying bufferevent.
    fn destruct(_this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) {}
    /// `bufferevent_flush`: 0 nothing flushed, 1 something, -1 failure.
    fn flush(
        _this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
        _iotype: c_short,
        _mode: c_int,
    ) -> c_int {
        0
    }
    /// `bufferevent_getfd`.
    fn fd(_this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) -> sys::evutil_socket_t {
        -1
    }
    /// `bufferevent_setfd`.
    fn set_fd(
        _this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
        _fd: sys::evutil_socket_t,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    /// `bufferevent_get_underlying`. A kind with one took a reference on it
    /// ([`incref`]) when it was made.
    fn underlying(
        _this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
    ) -> Option<NonNull<sys::bufferevent>> {
        None
    }
}

/// Declares `static $name`, the operations table of kind `$kind`, for
/// [`ForeignKind::ops`] to return: `foreign_kind_ops!(static TLS_OPS: TlsKind);`.
#[macro_export]
macro_rules! foreign_kind_ops {
    ($vis:vis static $name:ident : $kind:ty) => {
        $vis static $name: $crate::sys::evrs_sibling_bev_ops = $crate::foreign::ops_for::<$kind>();
    };
}

/// The table of `K`'s trampolines; only for [`foreign_kind_ops!`].
pub const fn ops_for<K: ForeignKind>() -> sys::evrs_sibling_bev_ops {
    sys::evrs_sibling_bev_ops {
        size: std::mem::size_of::<sys::evrs_sibling_bev_ops>(),
        enable: Some(enable_trampoline::<K>),
        disable: Some(disable_trampoline::<K>),
        unlink: Some(unlink_trampoline::<K>),
        destruct: Some(destruct_trampoline::<K>),
        flush: Some(flush_trampoline::<K>),
        get_fd: Some(get_fd_trampoline::<K>),
        set_fd: Some(set_fd_trampoline::<K>),
        get_underlying: Some(underlying_trampoline::<K>),
    }
}

/// Runs an operation, answering `failed` instead of unwinding when it panics.
fn guarded<T>(what: &str, failed: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        crate::log::warn(format_args!(
            "{what}: internal error caught in a bufferevent kind"
        ));
        failed
    })
}

/// The kind object and the bufferevent of an operation's call: `ctx` is the box [`new`]
/// gave the core for a `K` (the core passes back the context registered with `K`'s
/// table), alive until `destruct`.
fn parts<K>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
) -> Option<(NonNull<K>, NonNull<sys::bufferevent>)> {
    Some((NonNull::new(ctx.cast::<K>())?, NonNull::new(bev)?))
}

fn status(result: Result<(), Refused>) -> c_int {
    if result.is_ok() {
        0
    } else {
        -1
    }
}

unsafe extern "C" fn enable_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
    events: c_short,
) -> c_int {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return -1;
    };
    guarded("bufferevent enable", -1, || {
        status(K::enable(kind, bev, events))
    })
}

unsafe extern "C" fn disable_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
    events: c_short,
) -> c_int {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return -1;
    };
    guarded("bufferevent disable", -1, || {
        status(K::disable(kind, bev, events))
    })
}

unsafe extern "C" fn unlink_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
) {
    if let Some((kind, bev)) = parts::<K>(ctx, bev) {
        guarded("bufferevent unlink", (), || K::unlink(kind, bev));
    }
}

unsafe extern "C" fn destruct_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
) {
    let Some(kind) = NonNull::new(ctx.cast::<K>()) else {
        return;
    };
    if let Some(bev) = NonNull::new(bev) {
        guarded("bufferevent destruct", (), || K::destruct(kind, bev));
    }
    // SAFETY: the box `new` gave the core, handed back once, at the end; `destruct`
    // above was its last use.
    let kind = unsafe { Box::from_raw(kind.as_ptr()) };
    // A panicking drop is caught too, so that it does not unwind into the core.
    guarded("bufferevent destruct", (), move || drop(kind));
}

unsafe extern "C" fn flush_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
    iotype: c_short,
    mode: c_int,
) -> c_int {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return -1;
    };
    guarded("bufferevent flush", -1, || {
        K::flush(kind, bev, iotype, mode)
    })
}

unsafe extern "C" fn get_fd_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
) -> sys::evutil_socket_t {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return -1;
    };
    guarded("bufferevent getfd", -1, || K::fd(kind, bev))
}

unsafe extern "C" fn set_fd_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
    fd: sys::evutil_socket_t,
) -> c_int {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return -1;
    };
    guarded("bufferevent setfd", -1, || status(K::set_fd(kind, bev, fd)))
}

unsafe extern "C" fn underlying_trampoline<K: ForeignKind>(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
) -> *mut sys::bufferevent {
    let Some((kind, bev)) = parts::<K>(ctx, bev) else {
        return std::ptr::null_mut();
    };
    guarded("bufferevent get_underlying", None, || {
        K::underlying(kind, bev)
    })
    .map_or(std::ptr::null_mut(), NonNull::as_ptr)
}

/// A bufferevent of kind `K` owning `kind`, on `base` with `BEV_OPT_*` `options`;
/// `timeouts_on_fd` when the kind assigns `ev_read`/`ev_write` to its socket. None
/// (with `kind` dropped, no operation called) when the core refuses or memory ran out.
///
/// # Safety
/// `base` is a live event base.
pub unsafe fn new<K: ForeignKind>(
    base: NonNull<sys::event_base>,
    options: c_int,
    kind: K,
    timeouts_on_fd: bool,
) -> Option<NonNull<sys::bufferevent>> {
    let ctx = Box::into_raw(Box::new(kind));
    let flags = if timeouts_on_fd {
        sys::EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD
    } else {
        0
    };
    // SAFETY: a live base and a static table; the core owns `ctx` from here on, unless
    // it answers NULL.
    let bev = unsafe {
        sys::evrs_sibling_bufferevent_new_foreign(
            base.as_ptr(),
            options,
            K::ops(),
            ctx.cast(),
            flags,
        )
    };
    if bev.is_null() {
        // SAFETY: refused: the core did not keep the box.
        drop(unsafe { Box::from_raw(ctx) });
    }
    NonNull::new(bev)
}

/// The operations table and context of `bev` if it is a bufferevent of any sibling's
/// kind (its own library's or another's); None for the core's kinds. Only the table's
/// owner knows what the context is.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn table_and_ctx(
    bev: NonNull<sys::bufferevent>,
) -> Option<(NonNull<sys::evrs_sibling_bev_ops>, NonNull<c_void>)> {
    // SAFETY: `bev` is live, as this function requires.
    let ops = NonNull::new(
        unsafe { sys::evrs_sibling_bufferevent_foreign_ops(bev.as_ptr()) }.cast_mut(),
    )?;
    // SAFETY: `bev` is live, and `ops` the table it was made with.
    let ctx = unsafe { sys::evrs_sibling_bufferevent_foreign_ctx(bev.as_ptr(), ops.as_ptr()) };
    Some((ops, NonNull::new(ctx)?))
}

/// The kind object of `bev` if it is a bufferevent of kind `K`. It lives until the
/// bufferevent's last reference goes; hold one ([`incref`], [`IncrefLock`]) across
/// calls that may free it.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn kind_of<K: ForeignKind>(bev: NonNull<sys::bufferevent>) -> Option<NonNull<K>> {
    // SAFETY: a live bufferevent and a static table.
    let ctx = unsafe { sys::evrs_sibling_bufferevent_foreign_ctx(bev.as_ptr(), K::ops()) };
    NonNull::new(ctx.cast::<K>())
}

/// `EV_READ` or `EV_WRITE`: which of the bufferevent's two events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

impl Direction {
    fn bits(self) -> c_short {
        match self {
            Direction::Read => sys::EV_READ,
            Direction::Write => sys::EV_WRITE,
        }
    }
}

/// `&bev->ev_read` or `&bev->ev_write`.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn event(bev: NonNull<sys::bufferevent>, which: Direction) -> NonNull<sys::event> {
    // SAFETY: a live bufferevent; the core answers its own event's address.
    let ev = unsafe { sys::evrs_sibling_bufferevent_event(bev.as_ptr(), which.bits()) };
    NonNull::new(ev).expect("a bufferevent has both events")
}

/// Assigns the bufferevent's `which` event to `fd` with `events` (`EV_PERSIST`,
/// `EV_FINALIZE`... are the caller's), calling `H::fire(target, what)`.
///
/// # Safety
/// `bev` is a live bufferevent whose event is not pending; `target` stays valid while
/// the event can fire (until it is deleted or the bufferevent goes).
pub unsafe fn assign_event<H: EventHandler>(
    bev: NonNull<sys::bufferevent>,
    which: Direction,
    fd: sys::evutil_socket_t,
    events: c_short,
    target: NonNull<H::Target>,
) -> Result<(), Refused> {
    // SAFETY: a live bufferevent, and its own base.
    let (ev, base) = unsafe { (event(bev, which), sys::bufferevent_get_base(bev.as_ptr())) };
    // SAFETY: the bufferevent's own event; the trampoline matches `H`'s target.
    let r = unsafe {
        sys::event_assign(
            ev.as_ptr(),
            base,
            fd,
            events,
            Some(event_trampoline::<H>),
            target.as_ptr().cast(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Refused)
    }
}

/// Adds the bufferevent's `which` event with the timeout for that direction
/// (`bufferevent_add_event_`); on a timeout-only event, restarts the timeout.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn add_event(bev: NonNull<sys::bufferevent>, which: Direction) -> Result<(), Refused> {
    // SAFETY: a live bufferevent.
    match unsafe { sys::evrs_sibling_bufferevent_add_event(bev.as_ptr(), which.bits()) } {
        0 => Ok(()),
        _ => Err(Refused),
    }
}

/// Deletes the bufferevent's `which` event.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn del_event(bev: NonNull<sys::bufferevent>, which: Direction) {
    // SAFETY: a live bufferevent and its own event.
    unsafe { sys::event_del(event(bev, which).as_ptr()) };
}

/// Suspends (`on`) or resumes `which` for `reasons` (`sys::BEV_SUSPEND_*`).
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn set_suspended(
    bev: NonNull<sys::bufferevent>,
    which: Direction,
    reasons: std::ffi::c_uint,
    on: bool,
) -> Result<(), Refused> {
    // SAFETY: a live bufferevent.
    let r = unsafe {
        if on {
            sys::evrs_sibling_bufferevent_suspend(bev.as_ptr(), which.bits(), reasons)
        } else {
            sys::evrs_sibling_bufferevent_unsuspend(bev.as_ptr(), which.bits(), reasons)
        }
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Refused)
    }
}

/// Whether `which` is suspended, for any reason.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn is_suspended(bev: NonNull<sys::bufferevent>, which: Direction) -> bool {
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_suspended(bev.as_ptr(), which.bits()) > 0 }
}

/// How much may be read (or written) now under the rate limits
/// (`bufferevent_get_read_max_`).
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn budget(bev: NonNull<sys::bufferevent>, which: Direction) -> usize {
    // SAFETY: a live bufferevent.
    let max = unsafe {
        match which {
            Direction::Read => sys::bufferevent_get_max_to_read(bev.as_ptr()),
            Direction::Write => sys::bufferevent_get_max_to_write(bev.as_ptr()),
        }
    };
    usize::try_from(max).unwrap_or(0)
}

/// Takes `bytes` moved from the rate-limit buckets
/// (`bufferevent_decrement_read_buckets_`).
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn consumed(bev: NonNull<sys::bufferevent>, which: Direction, bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_decrement_buckets(bev.as_ptr(), which.bits(), bytes) };
}

/// Runs the read and/or write callbacks (`iotype`) as `bufferevent_trigger_nolock_`:
/// with the watermarks unless `BEV_TRIG_IGNORE_WATERMARKS`, deferred with
/// `BEV_TRIG_DEFER_CALLBACKS` or the bufferevent's `BEV_OPT_DEFER_CALLBACKS`.
///
/// # Safety
/// `bev` is a live bufferevent. The callbacks may free it: hold a reference when it
/// is used afterwards.
pub unsafe fn trigger(bev: NonNull<sys::bufferevent>, iotype: c_short, options: c_int) {
    // SAFETY: a live bufferevent.
    unsafe { sys::bufferevent_trigger(bev.as_ptr(), iotype, options) };
}

/// Runs the event callback with `events` as `bufferevent_run_eventcb_`, the callback
/// seeing `errno` = `error`.
///
/// # Safety
/// As for [`trigger`].
pub unsafe fn run_eventcb(
    bev: NonNull<sys::bufferevent>,
    events: c_short,
    options: c_int,
    error: c_int,
) {
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_run_eventcb(bev.as_ptr(), events, options, error) };
}

/// The `BEV_OPT_*` flags the bufferevent was made with.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn options(bev: NonNull<sys::bufferevent>) -> c_int {
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_options(bev.as_ptr()) }.max(0)
}

/// Whether `bufferevent_socket_connect` left a connect in progress.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn connecting(bev: NonNull<sys::bufferevent>) -> bool {
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_connecting(bev.as_ptr()) > 0 }
}

/// Sets or clears the connect-in-progress flag.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn set_connecting(bev: NonNull<sys::bufferevent>, on: bool) {
    // SAFETY: a live bufferevent.
    unsafe { sys::evrs_sibling_bufferevent_set_connecting(bev.as_ptr(), c_int::from(on)) };
}

/// A reference on a bufferevent (`bufferevent_incref`), e.g. on the underlying one of
/// a filtering kind; the core drops it after the kind's destruct.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn incref(bev: NonNull<sys::bufferevent>) {
    // SAFETY: a live bufferevent.
    unsafe { sys::bufferevent_incref(bev.as_ptr()) };
}

/// A reference and the lock on a bufferevent for a scope
/// (`bufferevent_incref_and_lock_` ... `bufferevent_decref_and_unlock_`): what an
/// event callback of a kind takes before running code that may call the program.
pub struct IncrefLock(NonNull<sys::bufferevent>);

impl IncrefLock {
    /// # Safety
    /// `bev` is a live bufferevent.
    pub unsafe fn new(bev: NonNull<sys::bufferevent>) -> IncrefLock {
        // SAFETY: a live bufferevent.
        unsafe { sys::evrs_sibling_bufferevent_incref_and_lock(bev.as_ptr()) };
        IncrefLock(bev)
    }
}

impl Drop for IncrefLock {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `new` kept the bufferevent alive.
        unsafe { sys::evrs_sibling_bufferevent_decref_and_unlock(self.0.as_ptr()) };
    }
}
