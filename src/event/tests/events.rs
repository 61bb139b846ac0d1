//! Adding, deleting and activating events; what the poller is asked; priorities and
//! the loop's flags.

use std::cell::Cell;
use std::rc::Rc;

use evrs_backends::{Interest, Readiness};

use super::support::*;
use crate::event::raw::ev;
use crate::event::{count, loop_flag, EventError};

#[test]
fn add_watches_the_fd_and_del_stops_watching() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    assert_eq!(pending(event, ev::READ), 0);
    add(event, None).unwrap();
    assert_eq!(control.interest(5), Interest::READ);
    assert_eq!(pending(event, ev::READ | ev::WRITE), ev::READ);
    assert_eq!(base.num_events(count::ADDED), 1);
    del(event).unwrap();
    assert_eq!(control.interest(5), Interest::NONE);
    assert_eq!(pending(event, ev::READ), 0);
    assert_eq!(base.num_events(count::ADDED), 0);
    assert!(control.mismatches().is_empty());
    free(event);
    base.free(true);
}

#[test]
fn ready_fd_runs_a_plain_event_once_and_deletes_it() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(journal.take(), [("a", ev::READ)]);
    assert_eq!(pending(event, ev::READ), 0);
    assert_eq!(control.interest(5), Interest::NONE);
    // Nothing is left: the loop stops at once.
    assert_eq!(base.run(0), 1);
    free(event);
    base.free(true);
}

#[test]
fn persistent_event_stays_added() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(journal.names(), ["a", "a"]);
    assert_eq!(pending(event, ev::READ), ev::READ);
    assert_eq!(control.interest(5), Interest::READ);
    free(event);
    assert_eq!(control.interest(5), Interest::NONE);
    base.free(true);
}

/// Sets the events of a deleted event in place, as programs written for libevent 1.x
/// do between `event_del` and `event_add`.
fn set_events_in_place(event: std::ptr::NonNull<crate::event::raw::Event>, events: i16) {
    // SAFETY: a live event of the test, deleted, and no reference to it is alive.
    unsafe { (*event.as_ptr()).events = events };
}

#[test]
fn persist_set_in_place_keeps_the_event_added() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, None).unwrap();
    del(event).unwrap();
    set_events_in_place(event, ev::READ | ev::PERSIST);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    // Run as the fd's only event, then through the queue.
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(pending(event, ev::READ), ev::READ);
    control.set_ready(5, Readiness::NONE);
    activate(event, ev::READ);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(journal.names(), ["a", "a"]);
    assert_eq!(pending(event, ev::READ), ev::READ);
    assert_eq!(control.interest(5), Interest::READ);
    free(event);
    base.free(true);
}

#[test]
fn persist_cleared_in_place_deletes_the_event_before_its_callback() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, Some(crate::event::Tv::normalized(10, 0))).unwrap();
    del(event).unwrap();
    set_events_in_place(event, ev::READ);
    add(event, None).unwrap();
    activate(event, ev::READ);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(journal.names(), ["a"]);
    assert_eq!(pending(event, ev::READ | ev::TIMEOUT), 0);
    assert_eq!(control.interest(5), Interest::NONE);
    free(event);
    base.free(true);
}

#[test]
fn readers_and_writers_of_one_fd_get_their_own_reports() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (r, w) = (Probe::new("r", &journal), Probe::new("w", &journal));
    let reader = Slot::assigned(&base, 6, ev::READ | ev::PERSIST, &r);
    let writer = Slot::assigned(&base, 6, ev::WRITE | ev::PERSIST, &w);
    add(reader.event(), None).unwrap();
    add(writer.event(), None).unwrap();
    assert_eq!(control.interest(6), Interest::READ | Interest::WRITE);
    // Persistent events on a level-triggered fd that stays ready: one round each.
    control.set_ready(6, Readiness::WRITE);
    base.run(loop_flag::ONCE);
    assert_eq!(journal.take(), [("w", ev::WRITE)]);
    control.set_ready(6, Readiness::READ | Readiness::WRITE);
    base.run(loop_flag::ONCE);
    let mut seen = journal.take();
    seen.sort();
    assert_eq!(seen, [("r", ev::READ), ("w", ev::WRITE)]);
    del(writer.event()).unwrap();
    assert_eq!(control.interest(6), Interest::READ);
    del(reader.event()).unwrap();
    assert!(control.registrations().is_empty());
    base.free(true);
}

#[test]
fn activating_an_event_that_is_not_added_runs_it() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 9, ev::READ, &a);
    activate(event, ev::WRITE);
    assert_eq!(pending(event, ev::WRITE), ev::WRITE);
    assert_eq!(base.num_events(count::ACTIVE), 1);
    assert_eq!(control.interest(9), Interest::NONE);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.take(), [("a", ev::WRITE)]);
    assert_eq!(base.num_events(count::ACTIVE | count::ADDED), 0);
    free(event);
    base.free(true);
}

#[test]
fn activating_twice_merges_the_results() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, -1, 0, &a);
    activate(event, ev::READ);
    activate(event, ev::TIMEOUT);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.take(), [("a", ev::READ | ev::TIMEOUT)]);
    free(event);
    base.free(true);
}

#[test]
fn deleting_an_active_event_cancels_its_callback() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, None).unwrap();
    activate(event, ev::READ);
    del(event).unwrap();
    assert_eq!(base.run(loop_flag::NONBLOCK), 1);
    assert!(journal.take().is_empty());
    free(event);
    base.free(true);
}

#[test]
fn pending_reports_the_timeout_on_the_wall_clock() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, Some(ms(10_000))).unwrap();
    // SAFETY: a live event of this test.
    let (what, when) = unsafe { crate::event::pending(event, ev::READ | ev::TIMEOUT) };
    assert_eq!(what, ev::READ | ev::TIMEOUT);
    let left = when.expect("a timeout").minus(crate::event::wall_clock());
    assert!(left > ms(8_000) && left <= ms(10_000), "{left:?}");
    free(event);
    base.free(true);
}

#[test]
fn more_urgent_priorities_run_first() {
    let (base, _control) = mock_base();
    base.priority_init(3).unwrap();
    let journal = Journal::new();
    let probes = [("low", 2), ("high", 0), ("mid", 1)].map(|(name, priority)| {
        let p = Probe::new(name, &journal);
        let event = new_event(&base, -1, 0, &p);
        // SAFETY: a live event of this test.
        unsafe { crate::event::set_priority(event, priority) }.unwrap();
        (p, event)
    });
    for (_, event) in &probes {
        activate(*event, ev::TIMEOUT);
    }
    base.run(0);
    assert_eq!(journal.names(), ["high", "mid", "low"]);
    free_all(probes.map(|(_, event)| event));
    base.free(true);
}

#[test]
fn events_take_the_middle_priority_by_default() {
    let (base, _control) = mock_base();
    base.priority_init(4).unwrap();
    assert_eq!(base.priorities(), 4);
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, -1, 0, &a);
    // SAFETY: a live event of this test.
    assert_eq!(unsafe { event.as_ref() }.callback.priority, 2);
    // SAFETY: a live event of this test
    let refused = unsafe { crate::event::set_priority(event, 4) };
    assert_eq!(refused, Err(EventError::Invalid));
    free(event);
    base.free(true);
}

#[test]
fn priority_init_refuses_bad_counts_and_active_bases() {
    let (base, _control) = mock_base();
    assert!(base.priority_init(0).is_err());
    assert!(base.priority_init(256).is_err());
    assert!(base.priority_init(-1).is_err());
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, -1, 0, &a);
    activate(event, ev::TIMEOUT);
    assert!(base.priority_init(2).is_err());
    base.run(loop_flag::NONBLOCK);
    assert!(base.priority_init(2).is_ok());
    free(event);
    base.free(true);
}

#[test]
fn activating_a_more_urgent_event_ends_the_less_urgent_run() {
    let (base, _control) = mock_base();
    base.priority_init(2).unwrap();
    let journal = Journal::new();
    let (a, b, urgent) = (
        Probe::new("a", &journal),
        Probe::new("b", &journal),
        Probe::new("urgent", &journal),
    );
    let (ea, eb, eu) = (
        new_event(&base, -1, 0, &a),
        new_event(&base, -1, 0, &b),
        new_event(&base, -1, 0, &urgent),
    );
    // SAFETY: a live event of this test.
    unsafe { crate::event::set_priority(eu, 0) }.unwrap();
    a.then(move |_| activate(eu, ev::TIMEOUT));
    activate(ea, ev::TIMEOUT);
    activate(eb, ev::TIMEOUT);
    base.run(0);
    assert_eq!(journal.names(), ["a", "urgent", "b"]);
    free_all([ea, eb, eu]);
    base.free(true);
}

#[test]
fn loopbreak_from_a_callback_stops_the_round() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let base_ref = BaseRef::new(&base);
    let (probes, events) = timer_events(&base, &journal, ["a", "b", "c"]);
    probes[0].then(move |_| base_ref.get().loopbreak());
    for event in events {
        activate(event, ev::TIMEOUT);
    }
    assert_eq!(base.run(0), 0);
    assert_eq!(journal.names(), ["a"]);
    assert!(base.got_break());
    // The rest stays active for the next run.
    assert_eq!(base.num_events(count::ACTIVE), 2);
    base.run(loop_flag::NONBLOCK);
    assert!(!base.got_break());
    assert_eq!(journal.names(), ["b", "c"]);
    free_all(events);
    base.free(true);
}

#[test]
fn loopcontinue_from_a_callback_polls_before_the_rest() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let base_ref = BaseRef::new(&base);
    let (probes, events) = timer_events(&base, &journal, ["a", "b", "c"]);
    let waits_seen = Rc::new(Cell::new((0, 0)));
    let (seen, ctl) = (Rc::clone(&waits_seen), control.clone());
    probes[0].then(move |_| {
        seen.set((ctl.waits(), 0));
        base_ref.get().loopcontinue();
    });
    let (seen, ctl) = (Rc::clone(&waits_seen), control.clone());
    probes[1].then(move |_| seen.set((seen.get().0, ctl.waits())));
    for event in events {
        activate(event, ev::TIMEOUT);
    }
    base.run(0);
    assert_eq!(journal.names(), ["a", "b", "c"]);
    let (at_a, at_b) = waits_seen.get();
    assert_eq!(at_b, at_a + 1);
    free_all(events);
    base.free(true);
}

#[test]
fn loop_once_returns_after_one_round() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(loop_flag::ONCE), 0);
    assert_eq!(journal.names(), ["a"]);
    assert_eq!(control.waits(), 1);
    free(event);
    base.free(true);
}

#[test]
fn loop_nonblock_returns_when_nothing_is_ready() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, None).unwrap();
    assert_eq!(base.run(loop_flag::NONBLOCK), 0);
    assert!(journal.take().is_empty());
    assert_eq!(control.waits(), 1);
    assert_eq!(
        control.last_timeout(),
        Some(Some(std::time::Duration::ZERO))
    );
    free(event);
    base.free(true);
}

#[test]
fn loop_on_an_empty_base_returns_at_once() {
    let (base, control) = mock_base();
    assert_eq!(base.run(0), 1);
    assert_eq!(control.waits(), 0);
    base.free(true);
}

#[test]
fn a_callback_adds_and_activates_other_events() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (a, b, c) = (
        Probe::new("a", &journal),
        Probe::new("b", &journal),
        Probe::new("c", &journal),
    );
    let (ea, eb, ec) = (
        new_event(&base, 5, ev::READ, &a),
        new_event(&base, 7, ev::READ, &b),
        new_event(&base, -1, 0, &c),
    );
    a.then(move |_| {
        add(eb, None).unwrap();
        activate(ec, ev::TIMEOUT);
    });
    add(ea, None).unwrap();
    control.set_ready(5, Readiness::READ);
    control.set_ready(7, Readiness::READ);
    assert_eq!(base.run(0), 1);
    // c was activated in a's round; b's fd was watched only from the next poll on.
    assert_eq!(journal.names(), ["a", "c", "b"]);
    assert!(control.registrations().is_empty());
    free_all([ea, eb, ec]);
    base.free(true);
}

#[test]
fn edge_triggered_events_run_once_per_edge() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST | ev::ET, &a);
    add(event, None).unwrap();
    assert_eq!(control.interest(5), Interest::READ | Interest::EDGE);
    control.set_ready(5, Readiness::READ);
    base.run(loop_flag::NONBLOCK);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    control.set_ready(5, Readiness::READ);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    free(event);
    base.free(true);
}

#[test]
fn edge_and_level_events_do_not_mix_on_one_fd() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let edge = new_event(&base, 5, ev::READ | ev::ET, &a);
    let level = new_event(&base, 5, ev::WRITE, &b);
    add(edge, None).unwrap();
    assert_eq!(add(level, None), Err(EventError::Invalid));
    assert_eq!(control.interest(5), Interest::READ | Interest::EDGE);
    assert_eq!(pending(level, ev::WRITE), 0);
    free(level);
    free(edge);
    base.free(true);
}

#[test]
fn an_fd_the_poller_refuses_is_not_added() {
    let (base, control) = mock_base();
    control.refuse(5, libc::EPERM);
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    assert_eq!(add(event, None), Err(EventError::Os(libc::EPERM)));
    assert_eq!(pending(event, ev::READ), 0);
    assert_eq!(base.num_events(count::ADDED), 0);
    free(event);
    base.free(true);
}

#[test]
fn active_by_fd_runs_the_fds_events() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let (r, w) = (Probe::new("r", &journal), Probe::new("w", &journal));
    let reader = new_event(&base, 5, ev::READ, &r);
    let writer = new_event(&base, 5, ev::WRITE, &w);
    add(reader, None).unwrap();
    add(writer, None).unwrap();
    base.activate_fd(5, ev::READ);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.take(), [("r", ev::READ)]);
    free(reader);
    free(writer);
    base.free(true);
}

#[test]
fn running_event_is_the_callbacks_own() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let base_ref = BaseRef::new(&base);
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    let seen = Rc::new(Cell::new(None));
    let inside = Rc::clone(&seen);
    a.then(move |_| inside.set(base_ref.get().running_event()));
    add(event, None).unwrap();
    control.set_ready(5, Readiness::READ);
    base.run(0);
    assert_eq!(seen.get(), Some(event));
    assert_eq!(base.running_event(), None);
    free(event);
    base.free(true);
}

#[test]
fn foreach_event_sees_added_and_active_events() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let (ea, eb) = (
        new_event(&base, 5, ev::READ, &a),
        new_event(&base, -1, 0, &b),
    );
    add(ea, None).unwrap();
    activate(eb, ev::TIMEOUT);
    let mut seen = Vec::new();
    assert_eq!(
        base.foreach_event(|e| {
            seen.push(e);
            0
        }),
        0
    );
    assert_eq!(seen, [ea, eb]);
    assert!(base.dump().contains("Active events:"));
    free(ea);
    free(eb);
    base.free(true);
}
