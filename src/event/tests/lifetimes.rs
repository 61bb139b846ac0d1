//! Finalizers, bare callbacks, and callbacks that free, delete or add events: the
//! cases where the program changes the reactor's structures under its feet.

use std::ptr::NonNull;

use evrs_backends::{Interest, Readiness};

use super::support::*;
use crate::event::raw::{ev, CallbackFn, Closure, EventCallback, Link};
use crate::event::{self, loop_flag, Base, EventError};

fn finalize(event: NonNull<event::raw::Event>, free_after: bool) -> Result<(), EventError> {
    // SAFETY: a live event of the test; with `free_after`, from `event::new`.
    unsafe { event::finalize(event, Some(on_finalize), free_after) }
}

#[test]
fn event_finalize_runs_the_finalizer_from_the_loop() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let slot = Slot::assigned(&base, 5, ev::READ | ev::PERSIST, &a);
    add(slot.event(), None).unwrap();
    finalize(slot.event(), false).unwrap();
    assert_eq!(control.interest(5), Interest::NONE);
    assert_eq!(pending(slot.event(), ev::READ), 0);
    assert_eq!(add(slot.event(), None), Err(EventError::Finalizing));
    assert!(journal.take().is_empty());
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.take(), [("a", ev::FINALIZE)]);
    base.free(true);
}

#[test]
fn event_free_finalize_frees_after_the_finalizer() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, Some(ms(60_000))).unwrap();
    finalize(event, true).unwrap();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.take(), [("a", ev::FINALIZE)]);
    base.free(true);
}

#[test]
fn pending_finalizers_run_when_the_base_is_freed() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let slot = Slot::assigned(&base, -1, 0, &a);
    let event = new_event(&base, -1, 0, &b);
    finalize(slot.event(), false).unwrap();
    finalize(event, true).unwrap();
    base.free(true);
    assert_eq!(journal.names(), ["a", "b"]);
}

#[test]
fn base_free_nofinalize_skips_finalizers() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let slot = Slot::assigned(&base, -1, 0, &a);
    finalize(slot.event(), false).unwrap();
    base.free(false);
    assert!(journal.take().is_empty());
}

/// A bare callback running `on_callback` with the probe, as `closure` says.
fn bare_callback(closure: Closure, probe: &Probe) -> NonNull<EventCallback> {
    let function = match closure {
        Closure::CallbackFinalize => CallbackFn {
            callback_finalize: Some(on_callback),
        },
        _ => CallbackFn {
            self_cb: Some(on_callback),
        },
    };
    NonNull::from(Box::leak(Box::new(EventCallback {
        active_link: Link::UNLINKED,
        flags: 0,
        priority: 0,
        closure: closure as u8,
        function,
        arg: probe.arg(),
    })))
}

fn free_bare_callback(cb: NonNull<EventCallback>) {
    // SAFETY: from Box::leak in `bare_callback`, in no queue any more.
    drop(unsafe { Box::from_raw(cb.as_ptr()) });
}

fn schedule(base: &Base, cb: NonNull<EventCallback>) -> bool {
    // SAFETY: the callback stays where it is until the test frees it after the loop.
    unsafe { base.schedule_callback(cb) }
}

#[test]
fn a_bare_callback_runs_once_per_scheduling() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let cb = bare_callback(Closure::SelfCallback, &a);
    assert!(schedule(&base, cb));
    assert!(!schedule(&base, cb), "already queued");
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    assert!(schedule(&base, cb));
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    free_bare_callback(cb);
    base.free(true);
}

#[test]
fn a_cancelled_bare_callback_does_not_run() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let cb = bare_callback(Closure::SelfCallback, &a);
    assert!(schedule(&base, cb));
    // SAFETY: the callback is live.
    assert!(unsafe { base.cancel_callback(cb) });
    // SAFETY: the callback is live
    assert!(!unsafe { base.cancel_callback(cb) });
    assert_eq!(base.run(loop_flag::NONBLOCK), 1);
    assert!(journal.take().is_empty());
    free_bare_callback(cb);
    base.free(true);
}

#[test]
fn a_bare_callbacks_finalizer_runs_from_the_loop() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let cb = bare_callback(Closure::CallbackFinalize, &a);
    assert!(schedule(&base, cb));
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    free_bare_callback(cb);
    base.free(true);
}

/// A base with two priorities, so that ready events go through the active queues
/// instead of running as the poller reports them.
fn queued_base() -> (TestBase, evrs_backends::mock::MockControl) {
    let (base, control) = mock_base();
    base.priority_init(2).unwrap();
    (base, control)
}

fn frees_itself(base: &Base, control: &evrs_backends::mock::MockControl, events: i16) {
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    a.then(|p| free(p.event()));
    let event = new_event(base, 5, events, &a);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    base.run(loop_flag::ONCE);
    assert_eq!(journal.names(), ["a"]);
    assert!(control.registrations().is_empty());
}

#[test]
fn a_callback_frees_its_own_event() {
    let (base, control) = mock_base();
    frees_itself(&base, &control, ev::READ);
    base.free(true);
}

#[test]
fn a_callback_frees_its_own_persistent_event() {
    let (base, control) = mock_base();
    frees_itself(&base, &control, ev::READ | ev::PERSIST);
    base.free(true);
}

#[test]
fn a_queued_callback_frees_its_own_event() {
    let (base, control) = queued_base();
    frees_itself(&base, &control, ev::READ);
    base.free(true);
}

#[test]
fn a_queued_callback_frees_its_own_persistent_event() {
    let (base, control) = queued_base();
    frees_itself(&base, &control, ev::READ | ev::PERSIST);
    base.free(true);
}

#[test]
fn a_callback_deletes_its_own_persistent_event() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    a.then(|p| del(p.event()).unwrap());
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["a"]);
    free(event);
    base.free(true);
}

#[test]
fn a_callback_frees_another_active_event() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let (ea, eb) = (
        new_event(&base, -1, 0, &a),
        new_event(&base, 6, ev::READ | ev::PERSIST, &b),
    );
    add(eb, Some(ms(60_000))).unwrap();
    a.then(move |_| free(eb));
    activate(ea, ev::TIMEOUT);
    activate(eb, ev::READ);
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["a"]);
    free(ea);
    base.free(true);
}

#[test]
fn a_callback_frees_another_pending_event() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let (ea, eb) = (
        new_event(&base, 5, ev::READ, &a),
        new_event(&base, 6, ev::READ, &b),
    );
    add(ea, None).unwrap();
    add(eb, Some(ms(60_000))).unwrap();
    a.then(move |_| free(eb));
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["a"]);
    assert!(control.registrations().is_empty());
    free(ea);
    base.free(true);
}

#[test]
fn a_callback_frees_the_other_event_reported_in_its_round() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let (ea, eb) = (
        new_event(&base, 5, ev::READ, &a),
        new_event(&base, 5, ev::READ, &b),
    );
    // Whichever runs first frees the other.
    a.then(move |_| free(eb));
    b.then(move |_| free(ea));
    add(ea, None).unwrap();
    add(eb, None).unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(0), 1);
    let ran = journal.names();
    assert_eq!(ran.len(), 1);
    free(if ran == ["a"] { ea } else { eb });
    base.free(true);
}

#[test]
fn a_callback_frees_an_event_assigned_in_its_own_memory() {
    let (base, control) = queued_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let sa = Slot::assigned(&base, 5, ev::READ | ev::PERSIST, &a);
    let sb = Slot::assigned(&base, 5, ev::WRITE | ev::PERSIST, &b);
    let (ea, eb) = (sa.event(), sb.event());
    // The program deletes the other event, then reuses its memory for a new one.
    let base_ref = BaseRef::new(&base);
    let c = Probe::new("c", &journal);
    let c_arg = c.arg();
    a.then(move |_| {
        del(eb).unwrap();
        // SAFETY: `eb` is deleted, so its memory may be assigned again.
        unsafe {
            event::assign(eb, Some(base_ref.get()), -1, 0, Some(on_event), c_arg).unwrap();
        }
        activate(eb, ev::TIMEOUT);
    });
    add(ea, None).unwrap();
    add(eb, None).unwrap();
    control.set_ready(5, Readiness::READ | Readiness::WRITE);
    base.run(loop_flag::ONCE);
    let mut ran = journal.take();
    ran.sort();
    // b ran before a or was deleted by it; c ran after a either way.
    assert!(
        ran == [("a", ev::READ), ("c", ev::TIMEOUT)]
            || ran == [("a", ev::READ), ("b", ev::WRITE), ("c", ev::TIMEOUT)],
        "{ran:?}"
    );
    del(ea).unwrap();
    del(eb).unwrap();
    base.free(true);
}
