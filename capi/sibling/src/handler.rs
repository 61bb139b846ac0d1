//! Typed Rust handlers for the callbacks libevent_core makes: bufferevent read, write
//! and event callbacks, event (timer, deferred work) callbacks and listener callbacks.
//!
//! A handler names the object it works on (`Target`); the library registers the
//! callback with a pointer to that object as the `void *` argument, and the generic
//! trampolines here turn it back into `NonNull<Target>`. This is the one place where
//! that conversion happens. Each trampoline catches panics, so none unwinds into the
//! core.

use std::ffi::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::sys;

/// Runs a handler body, logging instead of unwinding when it panics.
fn guarded(what: &str, body: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(body)).is_err() {
        crate::log::warn(format_args!("{what}: internal error caught in a callback"));
    }
}

/// Turns the callback argument back into the handler's target.
///
/// # Safety
/// `arg` is the pointer given to one of the `set_*`/`new_*` functions below with the
/// same `T`, so it points to a `T` (or to memory the handler can check itself).
unsafe fn target_of<T>(arg: *mut c_void) -> Option<NonNull<T>> {
    NonNull::new(arg.cast::<T>())
}

/// The three callbacks of a bufferevent.
pub trait BuffereventHandler {
    type Target;
    fn read(target: NonNull<Self::Target>, bev: NonNull<sys::bufferevent>);
    fn write(target: NonNull<Self::Target>, bev: NonNull<sys::bufferevent>);
    fn event(target: NonNull<Self::Target>, bev: NonNull<sys::bufferevent>, what: c_short);
}

unsafe extern "C" fn bev_read_trampoline<H: BuffereventHandler>(
    bev: *mut sys::bufferevent,
    arg: *mut c_void,
) {
    // SAFETY: `set_callbacks::<H>` registered `arg` as a pointer to `H::Target`.
    let (Some(target), Some(bev)) = (unsafe { target_of::<H::Target>(arg) }, NonNull::new(bev))
    else {
        return;
    };
    guarded("bufferevent read", || H::read(target, bev));
}

unsafe extern "C" fn bev_write_trampoline<H: BuffereventHandler>(
    bev: *mut sys::bufferevent,
    arg: *mut c_void,
) {
    // SAFETY: as in `bev_read_trampoline`.
    let (Some(target), Some(bev)) = (unsafe { target_of::<H::Target>(arg) }, NonNull::new(bev))
    else {
        return;
    };
    guarded("bufferevent write", || H::write(target, bev));
}

unsafe extern "C" fn bev_event_trampoline<H: BuffereventHandler>(
    bev: *mut sys::bufferevent,
    what: c_short,
    arg: *mut c_void,
) {
    // SAFETY: as in `bev_read_trampoline`.
    let (Some(target), Some(bev)) = (unsafe { target_of::<H::Target>(arg) }, NonNull::new(bev))
    else {
        return;
    };
    guarded("bufferevent event", || H::event(target, bev, what));
}

/// Installs `H`'s callbacks on `bev` with `target` as their argument.
///
/// # Safety
/// `bev` is a live bufferevent; `target` stays valid until the callbacks are replaced
/// ([`clear_callbacks`]) or the bufferevent is freed.
pub unsafe fn set_callbacks<H: BuffereventHandler>(
    bev: NonNull<sys::bufferevent>,
    target: NonNull<H::Target>,
) {
    // SAFETY: the caller gives a live bufferevent; the trampolines match the types.
    unsafe {
        sys::bufferevent_setcb(
            bev.as_ptr(),
            Some(bev_read_trampoline::<H>),
            Some(bev_write_trampoline::<H>),
            Some(bev_event_trampoline::<H>),
            target.as_ptr().cast(),
        )
    }
}

/// Removes every callback of `bev`.
///
/// # Safety
/// `bev` is a live bufferevent.
pub unsafe fn clear_callbacks(bev: NonNull<sys::bufferevent>) {
    // SAFETY: the caller gives a live bufferevent.
    unsafe { sys::bufferevent_setcb(bev.as_ptr(), None, None, None, std::ptr::null_mut()) }
}

/// The callback of an event (timer, deferred work).
pub trait EventHandler {
    type Target;
    fn fire(target: NonNull<Self::Target>, what: c_short);
}

pub(crate) unsafe extern "C" fn event_trampoline<H: EventHandler>(
    _fd: sys::evutil_socket_t,
    what: c_short,
    arg: *mut c_void,
) {
    // SAFETY: `new_event::<H>` registered `arg` as a pointer to `H::Target`.
    let Some(target) = (unsafe { target_of::<H::Target>(arg) }) else {
        return;
    };
    guarded("event", || H::fire(target, what));
}

/// A new event with no file descriptor whose callback is `H::fire(target)`; NULL when
/// out of memory.
///
/// # Safety
/// `base` is a live event base; `target` stays valid until the event is freed.
pub unsafe fn new_event<H: EventHandler>(
    base: NonNull<sys::event_base>,
    target: NonNull<H::Target>,
) -> Option<NonNull<sys::event>> {
    // SAFETY: the caller gives a live base; the trampoline matches the callback type.
    NonNull::new(unsafe {
        sys::event_new(
            base.as_ptr(),
            -1,
            0,
            Some(event_trampoline::<H>),
            target.as_ptr().cast(),
        )
    })
}

/// The callback of a listener.
pub trait ListenerHandler {
    type Target;
    fn accept(
        target: NonNull<Self::Target>,
        fd: sys::evutil_socket_t,
        peer: *mut libc::sockaddr,
        peer_len: c_int,
    );
}

unsafe extern "C" fn listener_trampoline<H: ListenerHandler>(
    _listener: *mut sys::evconnlistener,
    fd: sys::evutil_socket_t,
    peer: *mut libc::sockaddr,
    peer_len: c_int,
    arg: *mut c_void,
) {
    // SAFETY: `set_listener_callback::<H>` registered `arg` as a pointer to `H::Target`.
    let Some(target) = (unsafe { target_of::<H::Target>(arg) }) else {
        // SAFETY: the accepted socket is ours and nobody else will close it.
        unsafe { sys::evutil_closesocket(fd) };
        return;
    };
    guarded("listener", || H::accept(target, fd, peer, peer_len));
}

/// Makes `H::accept(target, ...)` the callback of `listener`.
///
/// # Safety
/// `listener` is live; `target` stays valid until the listener is freed or its
/// callback replaced.
pub unsafe fn set_listener_callback<H: ListenerHandler>(
    listener: NonNull<sys::evconnlistener>,
    target: NonNull<H::Target>,
) {
    // SAFETY: the caller gives a live listener; the trampoline matches the type.
    unsafe {
        sys::evconnlistener_set_cb(
            listener.as_ptr(),
            Some(listener_trampoline::<H>),
            target.as_ptr().cast(),
        )
    }
}
