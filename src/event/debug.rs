//! Debug mode (`event_enable_debug_mode`): remembers every event the program set up, so
//! that using one that was never assigned, was freed, or re-assigning one that is still
//! added is caught and reported through the fatal path, as libevent's debug mode does.

use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::raw::Event;
use crate::log;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Bases and events ever created: debug mode must be enabled before the first.
static CREATED: AtomicUsize = AtomicUsize::new(0);
/// Event address -> whether it is added.
static EVENTS: Mutex<Option<HashMap<usize, bool>>> = Mutex::new(None);

fn with_events<R>(f: impl FnOnce(&mut HashMap<usize, bool>) -> R) -> R {
    let mut guard = EVENTS.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `event_enable_debug_mode`.
pub fn enable() {
    if ENABLED.swap(true, Ordering::SeqCst) {
        log::fatal(1, format_args!("event_enable_debug_mode was called twice!"));
    }
    if CREATED.load(Ordering::SeqCst) > 0 {
        log::fatal(
            1,
            format_args!(
                "event_enable_debug_mode must be called *before* creating any events or event_bases"
            ),
        );
    }
}

/// `libevent_global_shutdown`: forgets everything debug mode remembered and turns it
/// off, as libevent does (a program may enable it again afterwards).
pub fn shutdown() {
    *EVENTS.lock().unwrap_or_else(|e| e.into_inner()) = None;
    ENABLED.store(false, Ordering::SeqCst);
}

pub fn note_base_created() {
    CREATED.fetch_add(1, Ordering::Relaxed);
}

fn describe(event: NonNull<Event>) -> String {
    // SAFETY: only called with pointers the program passed as events; reading the
    // public fields is what libevent's message does too.
    let e = unsafe { event.as_ref() };
    format!(
        "{:p} (events: 0x{:x}, fd: {}, flags: 0x{:x})",
        event.as_ptr(),
        e.events,
        e.fd,
        e.callback.flags
    )
}

/// After `event_assign`/`event_new`.
pub fn note_setup(event: NonNull<Event>) {
    CREATED.fetch_add(1, Ordering::Relaxed);
    if enabled() {
        with_events(|m| m.insert(event.as_ptr() as usize, false));
    }
}

/// When an event is freed or unassigned.
pub fn note_teardown(event: NonNull<Event>) {
    if enabled() {
        with_events(|m| m.remove(&(event.as_ptr() as usize)));
    }
}

#[inline]
pub fn note_added(event: NonNull<Event>) {
    if enabled() {
        with_events(|m| {
            if let Some(added) = m.get_mut(&(event.as_ptr() as usize)) {
                *added = true;
            }
        });
    }
}

#[inline]
pub fn note_deleted(event: NonNull<Event>) {
    if enabled() {
        with_events(|m| {
            if let Some(added) = m.get_mut(&(event.as_ptr() as usize)) {
                *added = false;
            }
        });
    }
}

/// Fatal unless the event was set up (and not freed since).
#[inline]
pub fn assert_is_setup(event: NonNull<Event>, caller: &str) {
    if enabled() {
        check_is_setup(event, caller);
    }
}

#[cold]
fn check_is_setup(event: NonNull<Event>, caller: &str) {
    if with_events(|m| !m.contains_key(&(event.as_ptr() as usize))) {
        log::fatal(
            log::ERR_ABORT,
            // The memory may have been freed: only its address is reported.
            format_args!(
                "{caller} called on a non-initialized event {:p}",
                event.as_ptr()
            ),
        );
    }
}

/// Fatal if the event is currently added.
pub fn assert_not_added(event: NonNull<Event>, caller: &str) {
    if enabled() && with_events(|m| m.get(&(event.as_ptr() as usize)) == Some(&true)) {
        log::fatal(
            log::ERR_ABORT,
            format_args!(
                "{caller} called on an already added event {}",
                describe(event)
            ),
        );
    }
}
