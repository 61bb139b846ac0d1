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
pub mod handler;
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
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};

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

// ----- libevent 1.x's current base ---------------------------------------------------

/// The base that calls given no base use: the last one [`init`] made, until it is freed.
static CURRENT_BASE: AtomicPtr<Base> = AtomicPtr::new(ptr::null_mut());

/// `event_init`: a base with the default configuration, which calls given no base use
/// from now on. It is the program's handle to the base, a box given up as
/// `Box::into_raw` does (like those of [`Base::new`] handed to C), and is freed with
/// [`free_base`].
pub fn init() -> Option<NonNull<Base>> {
    let base = NonNull::from(Box::leak(Base::new(&Config::default())?));
    CURRENT_BASE.store(base.as_ptr(), Ordering::Release);
    Some(base)
}

/// The base a call names, or the current base for None (None when there is neither).
///
/// # Safety
/// The current base, if any, is not freed while the answer is in use (libevent's
/// rule: a base is freed only when no call uses it).
pub unsafe fn base_or_current(base: Option<&Base>) -> Option<&Base> {
    // SAFETY: the current base is live until `free_base` (and the caller's guarantee).
    base.or_else(|| unsafe { CURRENT_BASE.load(Ordering::Acquire).as_ref() })
}

/// `event_base_free` / `event_base_free_nofinalize`: frees `base`, or the current base
/// for None; the current base is forgotten when it is the one freed.
///
/// # Safety
/// `base` is as [`Base::free`] takes it; the current base is not in use by any other
/// call (libevent's rule for freeing a base).
pub unsafe fn free_base(base: Option<NonNull<Base>>, run_finalizers: bool) {
    let base = match base {
        Some(base) => {
            let _ = CURRENT_BASE.compare_exchange(
                base.as_ptr(),
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            base
        }
        None => {
            let current = CURRENT_BASE.swap(ptr::null_mut(), Ordering::AcqRel);
            let Some(current) = NonNull::new(current) else {
                log::warn(format_args!("event_base_free: no base to free"));
                return;
            };
            current
        }
    };
    // SAFETY: the caller's base, or the current one: a box `init` gave up, not freed
    // since (freeing it clears the slot).
    unsafe { Base::free(base, run_finalizers) };
}

// ----- events ---------------------------------------------------------------------------

/// The address `event_self_cbarg()` returns: as a callback argument it stands for the
/// event itself.
static SELF_CBARG: u8 = 0;

/// `event_self_cbarg`.
pub fn self_cbarg() -> *mut c_void {
    ptr::addr_of!(SELF_CBARG).cast_mut().cast()
}

/// `event_assign`: `arg` [`self_cbarg`] stands for the event itself.
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
    let arg = if arg == self_cbarg() {
        event.as_ptr().cast()
    } else {
        arg
    };
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

/// Assigns an internal event of the core: like [`assign`], but the event runs
/// `handler` instead of a C callback.
///
/// # Safety
/// As [`assign`]; the handler's target outlives every run of the event.
pub unsafe fn assign_handler(
    event: NonNull<Event>,
    base: &Base,
    fd: RawFd,
    events: c_short,
    handler: handler::Handler,
) -> Result<(), EventError> {
    // SAFETY: guaranteed by the caller.
    unsafe { assign(event, Some(base), fd, events, None, std::ptr::null_mut())? };
    // SAFETY: just assigned, so live and not added.
    unsafe { (*event.as_ptr()).callback.set_handler(handler) };
    Ok(())
}

/// `event_new` (an event allocated here; `arg` as for [`assign`]).
// `arg` is the program's callback argument: stored and passed back, never dereferenced.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn new(
    base: &Base,
    fd: RawFd,
    events: c_short,
    callback: Option<EventCallbackFn>,
    arg: *mut c_void,
) -> Option<NonNull<Event>> {
    let event = base::new_event();
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
        // SAFETY: the event is live
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
    // A negative timeout is a deadline already passed: it fires at once, as in
    // libevent (a bufferevent timeout computed from a past deadline relies on that).
    debug::assert_is_setup(event, "event_add");
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
        // SAFETY: module contract
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
        // SAFETY: module contract
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
    let finalizer = if free_after {
        base::Finalizer::ProgramThenFree(finalizer)
    } else {
        base::Finalizer::Program(finalizer)
    };
    // SAFETY: module contract.
    unsafe { base_of(event, "event_finalize")?.finalize_with(event, finalizer) }
}

/// [`finalize`] with one of the core's handlers as the finalizer.
///
/// # Safety
/// See the module contract; the handler's target outlives the finalizer's run.
pub unsafe fn finalize_with_handler(
    event: NonNull<Event>,
    handler: handler::Handler,
) -> Result<(), EventError> {
    debug::assert_is_setup(event, "event_finalize");
    // SAFETY: module contract.
    unsafe {
        base_of(event, "event_finalize")?.finalize_with(event, base::Finalizer::Handler(handler))
    }
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

#[cfg(test)]
mod api_tests {
    use super::*;

    #[test]
    fn current_base_is_the_last_init_until_freed() {
        let handle = init().expect("a base");
        // SAFETY: the current base is used and freed by this test alone.
        unsafe {
            let current = base_or_current(None).expect("current");
            assert!(ptr::eq(current, handle.as_ptr()));
            free_base(None, true);
            assert!(base_or_current(None).is_none());
        }
        let other = Base::new(&Config::default()).expect("a base");
        // SAFETY: a named base is answered as it is.
        assert!(ptr::eq(
            unsafe { base_or_current(Some(&other)) }.unwrap(),
            &*other
        ));
    }

    #[test]
    fn self_cbarg_stands_for_the_event() {
        let base = Base::new(&Config::default()).expect("a base");
        let event = new(&base, -1, 0, None, self_cbarg()).expect("an event");
        // SAFETY: the event was just made and is freed once.
        unsafe {
            assert_eq!((*event.as_ptr()).callback.arg, event.as_ptr().cast());
            free(event);
        }
    }
}
