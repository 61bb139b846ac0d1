//! Timers, common timeouts, `event_base_once` and `event_base_loopexit`.

use std::cell::Cell;
use std::rc::Rc;

use evrs_backends::{Interest, Readiness};

use super::support::*;
use crate::event::raw::ev;
use crate::event::{loop_flag, Tv};

#[test]
fn a_timer_fires_once() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    let event = new_event(&base, -1, 0, &t);
    add(event, Some(ms(1))).unwrap();
    assert_eq!(pending(event, ev::TIMEOUT), ev::TIMEOUT);
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.take(), [("t", ev::TIMEOUT)]);
    assert_eq!(pending(event, ev::TIMEOUT), 0);
    free(event);
    base.free(true);
}

#[test]
fn timers_expire_in_deadline_order() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    // Far apart, so that the time the adds take (long under Miri) cannot reorder them.
    let probes = [("third", 300), ("first", 100), ("second", 200)].map(|(name, n)| {
        let p = Probe::new(name, &journal);
        let event = new_event(&base, -1, 0, &p);
        add(event, Some(ms(n))).unwrap();
        (p, event)
    });
    base.run(0);
    assert_eq!(journal.names(), ["first", "second", "third"]);
    free_all(probes.map(|(_, event)| event));
    base.free(true);
}

#[test]
fn adding_again_replaces_the_timeout() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    let event = new_event(&base, -1, 0, &t);
    add(event, Some(ms(1))).unwrap();
    add(event, Some(ms(60_000))).unwrap();
    std::thread::sleep(ms(2).to_duration());
    base.run(loop_flag::NONBLOCK);
    assert!(journal.take().is_empty());
    assert_eq!(pending(event, ev::TIMEOUT), ev::TIMEOUT);
    // And the other way round: the early timeout is the one that counts.
    add(event, Some(ms(1))).unwrap();
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["t"]);
    free(event);
    base.free(true);
}

#[test]
fn deleting_before_expiry_cancels_the_timer() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    let timer = Slot::assigned(&base, -1, 0, &t);
    add(timer.event(), Some(ms(1))).unwrap();
    del(timer.event()).unwrap();
    std::thread::sleep(ms(2).to_duration());
    assert_eq!(base.run(0), 1);
    assert!(journal.take().is_empty());
    base.free(true);
}

#[test]
fn remove_timer_keeps_the_fd_watched() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, Some(ms(1))).unwrap();
    // SAFETY: a live event of this test.
    unsafe { crate::event::remove_timer(event) }.unwrap();
    assert_eq!(pending(event, ev::READ | ev::TIMEOUT), ev::READ);
    assert_eq!(control.interest(5), Interest::READ);
    std::thread::sleep(ms(2).to_duration());
    base.run(loop_flag::NONBLOCK);
    assert!(journal.take().is_empty());
    free(event);
    base.free(true);
}

#[test]
fn an_fd_that_stays_quiet_times_out() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ, &a);
    add(event, Some(ms(1))).unwrap();
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.take(), [("a", ev::TIMEOUT)]);
    assert_eq!(control.interest(5), Interest::NONE);
    free(event);
    base.free(true);
}

#[test]
fn a_persistent_timeout_is_rearmed_after_each_run() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    let event = new_event(&base, -1, ev::PERSIST, &t);
    t.then(|p| {
        assert_eq!(pending(p.event(), ev::TIMEOUT), ev::TIMEOUT);
        if p.calls() == 3 {
            del(p.event()).unwrap();
        }
    });
    add(event, Some(ms(1))).unwrap();
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.take(), [("t", ev::TIMEOUT); 3]);
    free(event);
    base.free(true);
}

#[test]
fn a_persistent_reader_restarts_its_timeout_on_data() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, Some(ms(60_000))).unwrap();
    control.set_ready(5, Readiness::READ);
    base.run(loop_flag::ONCE);
    assert_eq!(journal.take(), [("a", ev::READ)]);
    assert_eq!(
        pending(event, ev::READ | ev::TIMEOUT),
        ev::READ | ev::TIMEOUT
    );
    free(event);
    base.free(true);
}

/// The tagged duration a common timeout hands out.
fn common_timeout(base: &crate::event::Base, duration: Tv) -> Tv {
    let tv = base
        .init_common_timeout(duration)
        .expect("a common timeout");
    // SAFETY: the base keeps the duration as long as it lives.
    let tv = unsafe { tv.read() };
    Tv {
        sec: tv.tv_sec,
        usec: tv.tv_usec,
    }
}

#[test]
fn common_timeouts_fire_in_order_of_adding() {
    let (base, _control) = mock_base();
    let short = common_timeout(&base, ms(1));
    assert_eq!(common_timeout(&base, ms(1)), short);
    assert_eq!(common_timeout(&base, short), short);
    assert_ne!(short, ms(1));
    let journal = Journal::new();
    let (_probes, events) = timer_events(&base, &journal, ["a", "b", "c"]);
    for event in events {
        add(event, Some(short)).unwrap();
    }
    assert_eq!(pending(events[1], ev::TIMEOUT), ev::TIMEOUT);
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["a", "b", "c"]);
    free_all(events);
    base.free(true);
}

#[test]
fn deleting_from_a_common_timeout_queue() {
    let (base, _control) = mock_base();
    let short = common_timeout(&base, ms(1));
    let journal = Journal::new();
    let (_probes, events) = timer_events(&base, &journal, ["a", "b"]);
    for event in events {
        add(event, Some(short)).unwrap();
    }
    // The first one leaves: the queue's timer follows the second.
    del(events[0]).unwrap();
    assert_eq!(base.run(0), 1);
    assert_eq!(journal.names(), ["b"]);
    free_all(events);
    base.free(true);
}

#[test]
fn once_runs_its_callback_once() {
    let (base, control) = mock_base();
    let journal = Journal::new();
    let (t, now, r) = (
        Probe::new("timer", &journal),
        Probe::new("now", &journal),
        Probe::new("reader", &journal),
    );
    base.once(-1, ev::TIMEOUT, Some(on_event), t.arg(), Some(ms(1)))
        .unwrap();
    base.once(-1, ev::TIMEOUT, Some(on_event), now.arg(), None)
        .unwrap();
    base.once(5, ev::READ, Some(on_event), r.arg(), None)
        .unwrap();
    control.set_ready(5, Readiness::READ);
    assert_eq!(base.run(0), 1);
    let mut seen = journal.take();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("now", ev::TIMEOUT),
            ("reader", ev::READ),
            ("timer", ev::TIMEOUT)
        ]
    );
    assert!(control.registrations().is_empty());
    base.free(true);
}

#[test]
fn once_refuses_persistent_and_signal_events() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    assert!(base
        .once(5, ev::READ | ev::PERSIST, Some(on_event), t.arg(), None)
        .is_err());
    assert!(base
        .once(2, ev::SIGNAL, Some(on_event), t.arg(), None)
        .is_err());
    assert_eq!(base.run(0), 1);
    base.free(true);
}

#[test]
fn a_once_event_left_pending_goes_with_the_base() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let t = Probe::new("t", &journal);
    base.once(-1, ev::TIMEOUT, Some(on_event), t.arg(), Some(ms(60_000)))
        .unwrap();
    base.free(true);
    assert!(journal.take().is_empty());
}

#[test]
fn loopexit_with_a_timeout_ends_a_busy_loop() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let event = new_event(&base, 5, ev::READ | ev::PERSIST, &a);
    add(event, None).unwrap();
    base.loopexit(Some(ms(1))).unwrap();
    assert_eq!(base.run(0), 0);
    assert!(base.got_exit());
    assert!(journal.take().is_empty());
    assert_eq!(pending(event, ev::READ), ev::READ);
    free(event);
    base.free(true);
}

#[test]
fn loopexit_from_a_callback_finishes_the_round() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let base_ref = BaseRef::new(&base);
    let (probes, events) = timer_events(&base, &journal, ["a", "b", "c"]);
    // Keeps the loop from stopping for lack of events.
    let s = Probe::new("stay", &journal);
    let stay = new_event(&base, -1, ev::PERSIST, &s);
    add(stay, Some(ms(60_000))).unwrap();
    let exits = Rc::new(Cell::new(0));
    let count = Rc::clone(&exits);
    probes[0].then(move |_| {
        base_ref.get().loopexit(None).unwrap();
        count.set(count.get() + 1);
    });
    for event in events {
        activate(event, ev::TIMEOUT);
    }
    assert_eq!(base.run(0), 0);
    assert_eq!(journal.names(), ["a", "b", "c"]);
    assert_eq!(exits.get(), 1);
    assert!(base.got_exit());
    free_all(events.into_iter().chain([stay]));
    base.free(true);
}
