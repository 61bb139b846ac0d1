//! The event reactor: bases, events, timers, signals and the loop (event2/event.h,
//! event_struct.h, event_compat.h, watch.h).
//!
//! Events live in memory the program owns (`raw::Event` has `struct event`'s layout);
//! the functions here take them as `NonNull<Event>` and are `unsafe` with one contract:
//! the pointer is a live event that was assigned (or is being assigned) by this library,
//! and it stays live while pending or active, as libevent requires.

mod base;
pub mod config;
pub mod debug;
mod heap;
mod lists;
mod notify;
pub mod raw;
pub mod signal;
pub mod time;
pub mod watch;

#[cfg(test)]
pub(crate) mod tests;

use std::ffi::{c_short, c_void};
use std::os::fd::RawFd;
use std::ptr::NonNull;

pub use base::{
    count, loop_flag, wall_clock, zeroed_event, Base, DelMode, EventError, MAX_PRIORITIES,
};
pub use config::Config;
pub use evrs_backends::{Features, METHODS};
use raw::{list, Event, EventCallbackFn, EventFinalizeFn};
pub use time::Tv;

use crate::log;

/// The base an event was assigned to.
///
/// # Safety
/// `event` is live and assigned, and its base is alive.
unsafe fn base_of<'a>(event: NonNull<Event>, caller: &str) -> Result<&'a Base, EventError> {
    // SAFETY: guaranteed by the caller.
    let base = unsafe { (*event.as_ptr()).base };
    if base.is_null() {
        log::warn(format_args!("{caller}: event has no event_base set."));
        return Err(EventError::NoBase);
    }
    // SAFETY: an assigned event's base outlives it (libevent's contract).
    Ok(unsafe { &*base })
}

/// `event_assign`.
///
/// # Safety
/// `event` points to writable memory of `size_of::<Event>()` bytes.
pub unsafe fn assign(
    event: NonNull<Event>,
    base: Option<&Base>,
    fd: RawFd,
    events: c_short,
    callback: Option<EventCallbackFn>,
    arg: *mut c_void,
) -> Result<(), EventError> {
    debug::assert_not_added(event, "event_assign");
    // SAFETY: the caller provides writable event memory.
    base::assign(
        unsafe { &mut *event.as_ptr() },
        base,
        fd,
        events,
        callback,
        arg,
    )?;
    debug::note_setup(event);
    Ok(())
}

/// `event_new`: `self_arg` is the address that stands for "the event itself"
/// (`event_self_cbarg()`).
pub fn new(
    base: &Base,
    fd: RawFd,
    events: c_short,
    callback: Option<EventCallbackFn>,
    arg: *mut c_void,
    self_arg: *mut c_void,
) -> Option<NonNull<Event>> {
    let event = base::new_event();
    let arg = if arg == self_arg {
        event.as_ptr().cast()
    } else {
        arg
    };
    // SAFETY: `event` is a fresh allocation of the right size.
    match unsafe { assign(event, Some(base), fd, events, callback, arg) } {
        Ok(()) => Some(event),
        Err(_) => {
            // SAFETY: fresh, in no structure.
            unsafe { base::free_event(event) };
            None
        }
    }
}

/// `event_free`: deletes (waiting for a running callback as `event_del` does) and
/// releases an event from [`new`].
///
/// # Safety
/// `event` came from [`new`] and is not used afterwards.
pub unsafe fn free(event: NonNull<Event>) {
    debug::assert_is_setup(event, "event_free");
    // SAFETY: the event is live.
    if let Ok(base) = unsafe { base_of(event, "event_free") } {
        // SAFETY: as above.
        let _ = unsafe { base.del(event, DelMode::Auto) };
    }
    debug::note_teardown(event);
    // SAFETY: from `new`, now in no structure.
    unsafe { base::free_event(event) };
}

/// `event_debug_unassign`: forgets an assigned event (debug mode).
///
/// # Safety
/// `event` is live.
pub unsafe fn debug_unassign(event: NonNull<Event>) {
    debug::assert_not_added(event, "event_debug_unassign");
    debug::note_teardown(event);
    // SAFETY: the event is live.
    unsafe { (*event.as_ptr()).callback.flags &= !list::INIT };
}

/// `event_add`.
///
/// # Safety
/// See the module contract.
pub unsafe fn add(event: NonNull<Event>, timeout: Option<Tv>) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_add");
    if let Some(tv) = timeout {
        if tv.sec < 0 || tv.usec < 0 {
            log::warn(format_args!("event_add: negative timeout"));
            return Err(EventError::Invalid);
        }
    }
    // SAFETY: module contract.
    unsafe { base_of(event, "event_add")?.add(event, timeout) }
}

/// `event_del` and its blocking variants.
///
/// # Safety
/// See the module contract.
pub unsafe fn del(event: NonNull<Event>, mode: DelMode) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_del");
    // SAFETY: module contract.
    unsafe { base_of(event, "event_del")?.del(event, mode) }
}

/// `event_remove_timer`.
///
/// # Safety
/// See the module contract.
pub unsafe fn remove_timer(event: NonNull<Event>) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_remove_timer");
    // SAFETY: module contract.
    unsafe { base_of(event, "event_remove_timer")?.remove_timer(event) }
}

/// `event_active`.
///
/// # Safety
/// See the module contract.
pub unsafe fn activate(event: NonNull<Event>, res: c_short, ncalls: c_short) {
    debug::assert_is_setup(event, "event_active");
    // SAFETY: module contract.
    if let Ok(base) = unsafe { base_of(event, "event_active") } {
        // SAFETY: as above.
        unsafe { base.activate(event, res, ncalls) };
    }
}

/// `event_pending`.
///
/// # Safety
/// See the module contract.
pub unsafe fn pending(event: NonNull<Event>, what: c_short) -> (c_short, Option<Tv>) {
    debug::assert_is_setup(event, "event_pending");
    // SAFETY: module contract.
    match unsafe { base_of(event, "event_pending") } {
        // SAFETY: as above.
        Ok(base) => unsafe { base.pending(event, what) },
        Err(_) => (0, None),
    }
}

/// `event_priority_set`.
///
/// # Safety
/// See the module contract.
pub unsafe fn set_priority(event: NonNull<Event>, priority: i32) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_priority_set");
    // SAFETY: module contract.
    unsafe { base_of(event, "event_priority_set")?.set_priority(event, priority) }
}

/// `event_finalize` / `event_free_finalize`.
///
/// # Safety
/// See the module contract; with `free_after`, the event came from [`new`].
pub unsafe fn finalize(
    event: NonNull<Event>,
    finalizer: Option<EventFinalizeFn>,
    free_after: bool,
) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_finalize");
    // SAFETY: module contract.
    unsafe { base_of(event, "event_finalize")?.finalize(event, finalizer, free_after) }
}

/// `event_base_set`: moves a not-pending event to another base.
///
/// # Safety
/// See the module contract.
pub unsafe fn set_base(event: NonNull<Event>, base: &Base) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_base_set");
    // SAFETY: the event is live.
    let e = unsafe { &mut *event.as_ptr() };
    if e.callback.flags & 0xff != list::INIT {
        return Err(EventError::Invalid);
    }
    e.base = base;
    e.callback.priority = base.default_priority();
    Ok(())
}
