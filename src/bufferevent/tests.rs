//! Bufferevent pairs on a base with the scripted poller: data crossing, watermarks,
//! flushing, timeouts, and ends freed from inside their own callbacks. Driven as the C
//! entry points drive them, so they run under Miri too.

mod foreign;

use std::cell::RefCell;
use std::ptr::NonNull;
use std::rc::Rc;

use super::{what, Bufferevent, FlushMode};
use crate::event::loop_flag;
use crate::event::raw::ev;
use crate::event::tests::support::*;

/// A bufferevent the program holds.
fn bev<'a>(handle: NonNull<Bufferevent>) -> &'a Bufferevent {
    // SAFETY: the tests use a handle only until they free it; the memory stays until
    // the loop runs the teardown.
    unsafe { handle.as_ref() }
}

/// What [`pair`] makes: the base, the shared journal, the two probes and the two ends.
type Pair = (
    TestBase,
    Rc<Journal>,
    [Rc<Probe>; 2],
    [NonNull<Bufferevent>; 2],
);

/// A base with a pair whose ends report to probes "a" and "b"; the second end reads.
fn pair() -> Pair {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let probes = ["a", "b"].map(|name| Probe::new(name, &journal));
    let ends = Bufferevent::pair_new(&base, 0).expect("bufferevent_pair_new");
    for (end, probe) in ends.into_iter().zip(&probes) {
        bev(end).set_callbacks(
            Some(on_read),
            Some(on_write),
            Some(on_bev_event),
            probe.arg(),
        );
    }
    bev(ends[1]).enable(ev::READ).unwrap();
    (base, journal, probes, ends)
}

/// Frees both ends and lets the base run their teardown.
fn free_pair(base: TestBase, ends: [NonNull<Bufferevent>; 2]) {
    for end in ends {
        bev(end).free();
    }
    base.free(true);
}

/// Everything in the end's input.
fn drain_input(end: NonNull<Bufferevent>) -> Vec<u8> {
    let mut out = vec![0; bev(end).input().len()];
    assert_eq!(bev(end).read(&mut out), out.len());
    out
}

#[test]
fn data_written_on_one_end_is_read_on_the_other() {
    let (base, journal, [_a, _b], ends) = pair();
    bev(ends[0]).write(b"hello").unwrap();
    // Pair callbacks are always deferred.
    assert!(journal.take().is_empty());
    assert_eq!(bev(ends[1]).input().len(), 5);
    base.run(loop_flag::NONBLOCK);
    let mut seen = journal.take();
    seen.sort();
    assert_eq!(seen, [("a", ev::WRITE), ("b", ev::READ)]);
    assert_eq!(drain_input(ends[1]), b"hello");
    free_pair(base, ends);
}

#[test]
fn an_end_that_does_not_read_keeps_the_data_back() {
    let (base, journal, [_a, _b], ends) = pair();
    bev(ends[1]).disable(ev::READ).unwrap();
    bev(ends[0]).write(b"held").unwrap();
    base.run(loop_flag::NONBLOCK);
    assert!(journal.take().is_empty());
    assert_eq!(bev(ends[0]).output().len(), 4);
    bev(ends[1]).enable(ev::READ).unwrap();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(drain_input(ends[1]), b"held");
    assert!(journal.names().contains(&"b"));
    free_pair(base, ends);
}

#[test]
fn the_read_high_watermark_limits_each_delivery() {
    let (base, _journal, [_a, b], ends) = pair();
    bev(ends[1]).set_watermark(ev::READ, 0, 4);
    let received = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&received);
    let reader = ends[1];
    b.then(move |_| {
        assert!(bev(reader).input().len() <= 4);
        sink.borrow_mut().extend(drain_input(reader));
    });
    bev(ends[0]).write(b"0123456789").unwrap();
    assert_eq!(bev(ends[1]).input().len(), 4);
    base.run(0);
    assert_eq!(&*received.borrow(), b"0123456789");
    assert!(b.calls() >= 3, "{}", b.calls());
    free_pair(base, ends);
}

#[test]
fn the_read_low_watermark_delays_the_read_callback() {
    let (base, _journal, [_a, b], ends) = pair();
    bev(ends[1]).set_watermark(ev::READ, 5, 0);
    assert_eq!(bev(ends[1]).watermark(ev::READ), Some((5, 0)));
    bev(ends[0]).write(b"abc").unwrap();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(b.calls(), 0);
    bev(ends[0]).write(b"def").unwrap();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(b.calls(), 1);
    assert_eq!(drain_input(ends[1]), b"abcdef");
    free_pair(base, ends);
}

#[test]
fn an_end_frees_itself_from_its_read_callback() {
    let (base, _journal, [_a, b], ends) = pair();
    let reader = ends[1];
    b.then(move |_| bev(reader).free());
    bev(ends[0]).write(b"bye").unwrap();
    base.run(0);
    assert_eq!(b.calls(), 1);
    // The other end lost its partner: flushing has nowhere to go.
    assert_eq!(bev(ends[0]).partner(), None);
    assert_eq!(bev(ends[0]).flush(ev::WRITE, FlushMode::Flush), -1);
    bev(ends[0]).free();
    base.free(true);
}

#[test]
fn an_end_frees_its_partner_from_its_read_callback() {
    let (base, _journal, [_a, b], ends) = pair();
    let writer = ends[0];
    b.then(move |_| bev(writer).free());
    bev(ends[0]).write(b"bye").unwrap();
    base.run(0);
    assert_eq!(b.calls(), 1);
    assert_eq!(drain_input(ends[1]), b"bye");
    assert_eq!(bev(ends[1]).partner(), None);
    bev(ends[1]).free();
    base.free(true);
}

#[test]
fn flush_finished_tells_the_partner_the_stream_ended() {
    let (base, journal, [_a, b], ends) = pair();
    bev(ends[1]).set_watermark(ev::READ, 0, 2);
    // Data left at the high-watermark would call the reader again and again.
    let received = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&received);
    let reader = ends[1];
    b.then(move |_| sink.borrow_mut().extend(drain_input(reader)));
    bev(ends[0]).write(b"tail").unwrap();
    assert_eq!(bev(ends[1]).input().len(), 2);
    // A finishing flush moves everything, past the watermark, and reports the end.
    assert_eq!(bev(ends[0]).flush(ev::WRITE, FlushMode::Finished), 0);
    assert_eq!(bev(ends[1]).input().len(), 4);
    base.run(loop_flag::NONBLOCK);
    let seen = journal.take();
    assert!(seen.contains(&("b", what::EOF | what::READING)), "{seen:?}");
    assert!(seen.contains(&("b", ev::READ)), "{seen:?}");
    assert_eq!(&*received.borrow(), b"tail");
    free_pair(base, ends);
}

#[test]
fn a_quiet_end_times_out() {
    let (base, journal, [_a, _b], ends) = pair();
    bev(ends[1]).set_timeouts(Some(ms(1)), None).unwrap();
    base.run(0);
    assert_eq!(journal.take(), [("b", what::TIMEOUT | what::READING)]);
    // A timeout disables the direction.
    assert_eq!(bev(ends[1]).enabled() & ev::READ, 0);
    free_pair(base, ends);
}

#[test]
fn ends_freed_with_data_in_flight_release_everything() {
    let (base, journal, [_a, _b], ends) = pair();
    bev(ends[1]).disable(ev::READ).unwrap();
    bev(ends[0]).write(b"never read").unwrap();
    bev(ends[1]).write(b"nor this").unwrap();
    free_pair(base, ends);
    assert!(journal.take().is_empty());
}
