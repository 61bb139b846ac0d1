//! The engine over a scripted session and the recording mock host: the paths real
//! sessions reach only by timing (connect failures, refused input, filter-kind
//! events, re-entrant calls).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::*;
use crate::testing::host::{Call, MockHost};
use crate::{BindError, RenegotiationRefused, Transport};

/// What a scripted session answers, call by call; an empty script answers WantRead.
#[derive(Default)]
struct Script {
    handshakes: VecDeque<Outcome>,
    reads: VecDeque<Outcome>,
    writes: VecDeque<Outcome>,
    /// Lengths the writes were called with.
    write_lengths: Vec<usize>,
    errors: Vec<u64>,
    counts: ByteCounts,
    pending: usize,
    fd: Option<i32>,
    /// Times the engine said the bufferevent is being freed.
    unlinks: usize,
    os_error: i32,
}

struct ScriptSession(Rc<RefCell<Script>>);

impl TlsSession for ScriptSession {
    fn start_handshake(&mut self, _: Role) -> bool {
        true
    }
    fn handshake(&mut self) -> Outcome {
        let mut s = self.0.borrow_mut();
        s.counts.written += 10;
        s.handshakes.pop_front().unwrap_or(Outcome::WantRead)
    }
    fn read(&mut self, buf: &mut [u8]) -> Outcome {
        let mut s = self.0.borrow_mut();
        let outcome = s.reads.pop_front().unwrap_or(Outcome::WantRead);
        if let Outcome::Done(n) = outcome {
            let n = n.min(buf.len());
            buf[..n].fill(b'r');
            s.counts.read += n as u64 + 5;
            return Outcome::Done(n);
        }
        outcome
    }
    fn write(&mut self, buf: &[u8]) -> Outcome {
        let mut s = self.0.borrow_mut();
        s.write_lengths.push(buf.len());
        match s.writes.pop_front() {
            Some(Outcome::Done(_)) | None => {
                s.counts.written += buf.len() as u64 + 5;
                Outcome::Done(buf.len())
            }
            Some(other) => other,
        }
    }
    fn pending(&self) -> usize {
        self.0.borrow().pending
    }
    fn renegotiate(&mut self) -> Result<(), RenegotiationRefused> {
        Ok(())
    }
    fn close_notify(&mut self) -> Outcome {
        Outcome::Done(0)
    }
    fn take_errors(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.0.borrow_mut().errors)
    }
    fn byte_counts(&self) -> ByteCounts {
        self.0.borrow().counts
    }
    fn set_transport(&mut self, _: Box<dyn Transport>) -> Result<(), BindError> {
        Ok(())
    }
    fn bind_socket(&mut self, fd: Option<i32>) -> Result<Option<i32>, BindError> {
        Ok(fd)
    }
    fn set_socket_fd(&mut self, fd: i32) -> Result<(), BindError> {
        self.0.borrow_mut().fd = Some(fd);
        Ok(())
    }
    fn socket_fd(&self) -> Option<i32> {
        self.0.borrow().fd
    }
    fn unlink(&mut self) {
        self.0.borrow_mut().unlinks += 1;
    }
    fn os_error(&self) -> i32 {
        self.0.borrow().os_error
    }
}

fn engine(kind: Kind, state: State) -> (Engine, Rc<RefCell<Script>>) {
    let script = Rc::new(RefCell::new(Script::default()));
    let session = ScriptSession(Rc::clone(&script));
    (Engine::new(Box::new(session), kind, state, true), script)
}

fn notices(engine: &mut Engine) -> Vec<Notice> {
    std::iter::from_fn(|| engine.next_notice()).collect()
}

fn event_notice(events: u16) -> Notice {
    Notice::Event { events, error: 0 }
}

#[test]
fn flags_keep_only_the_known_bits() {
    let (mut engine, _) = engine(Kind::Socket, State::Open);
    assert_eq!(engine.set_flags(0x100), None, "no known flag: nothing done");
    assert_eq!(engine.set_flags(FLAG_BATCH_WRITE | 0x100), Some(0));
    assert_eq!(engine.flags(), FLAG_BATCH_WRITE);
    engine.set_allow_dirty_shutdown(true);
    assert!(engine.allow_dirty_shutdown());
    assert_eq!(
        engine.clear_flags(FLAG_BATCH_WRITE),
        Some(FLAG_BATCH_WRITE | FLAG_DIRTY_SHUTDOWN)
    );
    assert_eq!(engine.flags(), FLAG_DIRTY_SHUTDOWN);
    assert_eq!(engine.clear_flags(0), None);
}

#[test]
fn the_error_store_keeps_the_first_three_and_gives_the_newest_first() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(3)).unwrap();
    {
        let mut s = script.borrow_mut();
        s.reads.push_back(Outcome::Error);
        s.errors = vec![1, 0x1111, 0x2222, 0x3333, 0x4444];
    }
    engine.on_readable(&mut host);
    assert_eq!(
        notices(&mut engine),
        vec![event_notice(event::ERROR | event::READING)]
    );
    assert!(!host.watching(Direction::Read) && !host.watching(Direction::Write));
    assert_eq!(engine.pop_error(), 0x2222);
    assert_eq!(engine.pop_error(), 0x1111);
    assert_eq!(engine.pop_error(), 1);
    assert_eq!(engine.pop_error(), 0);
}

#[test]
fn a_failed_connect_is_an_error_with_its_errno_and_stops_watching() {
    let (mut engine, script) = engine(Kind::Socket, State::Connecting);
    let mut host = MockHost::default();
    engine.start(&mut host, Some(5)).unwrap();
    assert!(host.saw(Call::Assign(Some(5), false)));
    assert!(
        host.watching(Direction::Write),
        "EV_WRITE is enabled by default"
    );
    host.connect_result = Ok(false);
    engine.on_writable(&mut host);
    assert!(script.borrow().handshakes.is_empty());
    assert_eq!(notices(&mut engine), vec![]);
    host.connect_result = Err(111);
    engine.on_writable(&mut host);
    assert_eq!(
        notices(&mut engine),
        vec![Notice::Event {
            events: event::ERROR,
            error: 111
        }]
    );
    assert!(!host.watching(Direction::Read) && !host.watching(Direction::Write));
}

#[test]
fn the_handshake_follows_what_the_session_waits_for_then_reports_connected() {
    let (mut engine, script) = engine(Kind::Socket, State::Accepting);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    script.borrow_mut().handshakes.extend([
        Outcome::WantWrite,
        Outcome::WantRead,
        Outcome::Done(0),
    ]);
    engine.on_readable(&mut host);
    assert!(!host.watching(Direction::Read) && host.watching(Direction::Write));
    engine.on_writable(&mut host);
    assert!(host.watching(Direction::Read) && !host.watching(Direction::Write));
    engine.on_readable(&mut host);
    assert_eq!(engine.state(), State::Open);
    assert_eq!(notices(&mut engine), vec![event_notice(event::CONNECTED)]);
    assert!(host.watching(Direction::Read) && host.watching(Direction::Write));
    // Three handshake calls wrote 10 bytes each: charged to the write bucket.
    assert_eq!(host.consumed[1], 30);
    // Timeouts now say which direction.
    engine.on_timeout(Direction::Read);
    assert_eq!(
        notices(&mut engine),
        vec![event_notice(event::TIMEOUT | event::READING)]
    );
}

#[test]
fn plaintext_the_input_refuses_is_kept_not_lost() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        input_refuses: true,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    script.borrow_mut().reads.push_back(Outcome::Done(100));
    engine.on_readable(&mut host);
    assert!(host.input.is_empty());
    assert_eq!(notices(&mut engine), vec![]);
    host.input_refuses = false;
    script.borrow_mut().reads.push_back(Outcome::Done(50));
    engine.on_readable(&mut host);
    assert_eq!(host.input.len(), 150);
    assert_eq!(notices(&mut engine), vec![Notice::Read]);
}

#[test]
fn plaintext_goes_through_scratch_memory_where_the_input_lends_no_space() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        input_lends_no_space: true,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    script.borrow_mut().reads.push_back(Outcome::Done(100));
    engine.on_readable(&mut host);
    assert_eq!(host.input.len(), 100);
    host.input_lends_no_space = false;
    script.borrow_mut().reads.push_back(Outcome::Done(50));
    engine.on_readable(&mut host);
    assert_eq!(host.input.len(), 150);
}

#[test]
fn a_blocked_write_is_offered_again_with_its_length() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        chunk: 300,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    host.output.extend([b'w'; 1000]);
    script.borrow_mut().writes.push_back(Outcome::WantRead);
    engine.on_output_added(&mut host, 0);
    engine.on_writable(&mut host);
    assert_eq!(engine.pending_write(), Some(300));
    assert_eq!(engine.blocked_flags(), (false, true));
    assert!(
        host.watching(Direction::Read),
        "a write blocked on read reads"
    );
    // Readable: the write goes first, with the same 300 bytes even in a longer chain.
    host.chunk = 1000;
    engine.on_readable(&mut host);
    assert_eq!(script.borrow().write_lengths[..2], [300, 300]);
    assert_eq!(engine.blocked_flags(), (false, false));
    assert_eq!(engine.pending_write(), None);
    assert_eq!(host.output.len(), 700);
    assert!(host.watching(Direction::Write));
    engine.on_writable(&mut host);
    assert!(host.output.is_empty());
    assert!(!host.watching(Direction::Write));
    assert_eq!(notices(&mut engine), vec![Notice::Write, Notice::Write]);
}

#[test]
fn the_filter_kind_reports_the_underlying_eof_by_the_dirty_shutdown_flag() {
    let (mut engine, _) = engine(Kind::Filter, State::Open);
    let mut host = MockHost::default();
    engine.start(&mut host, None).unwrap();
    assert!(host.saw(Call::UnderlyingReading(false)), "not reading yet");
    engine.on_underlying_event(&mut host, event::CONNECTED, 0);
    assert_eq!(notices(&mut engine), vec![]);
    engine.on_underlying_event(&mut host, event::TIMEOUT | event::READING, 0);
    assert_eq!(
        notices(&mut engine),
        vec![event_notice(event::TIMEOUT | event::READING)]
    );
    engine.on_underlying_event(&mut host, event::EOF | event::READING, 0);
    assert_eq!(notices(&mut engine), vec![event_notice(event::ERROR)]);

    let (mut engine, _) = self::engine(Kind::Filter, State::Open);
    engine.set_allow_dirty_shutdown(true);
    engine.start(&mut host, None).unwrap();
    engine.on_underlying_event(&mut host, event::EOF | event::READING, 0);
    assert_eq!(notices(&mut engine), vec![event_notice(event::EOF)]);
}

#[test]
fn a_filter_handshake_starts_when_enabled_and_teardown_releases_the_underlying() {
    let (mut engine, script) = engine(Kind::Filter, State::Connecting);
    let mut host = MockHost::default();
    engine.start(&mut host, None).unwrap();
    assert!(script.borrow().counts.written == 0, "nothing before enable");
    script.borrow_mut().handshakes.push_back(Outcome::WantRead);
    host.enabled = Events::BOTH;
    engine.enable(&mut host, Events::READ).unwrap();
    assert_eq!(script.borrow().counts.written, 10);
    assert!(host.saw(Call::RestartTimeout(Direction::Read)));
    engine.disable(&mut host, Events::WRITE);
    assert!(host.saw(Call::StopTimeout(Direction::Write)));
    engine.unlink(&mut host);
    assert_eq!(host.log.last(), Some(&Call::Release(true)));
}

#[test]
fn destruct_closes_the_socket_with_close_on_free() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost::default();
    engine.start(&mut host, Some(9)).unwrap();
    engine.unlink(&mut host);
    // The session hears of the free at unlink, before the core's finalizer drops it.
    assert_eq!(script.borrow().unlinks, 1);
    engine.destruct(&mut host);
    assert_eq!(host.log.last(), Some(&Call::CloseFd(9)));
}

#[test]
fn a_socket_taken_away_is_not_closed_at_destruct() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost::default();
    engine.start(&mut host, Some(9)).unwrap();
    // evhttp closes the socket itself, then sets no fd; the number may be reused.
    engine.set_fd(&mut host, None).unwrap();
    assert_eq!(script.borrow().fd, Some(-1), "the session lets go of fd 9");
    engine.unlink(&mut host);
    engine.destruct(&mut host);
    assert!(!host.log.iter().any(|c| matches!(c, Call::CloseFd(_))));
}

#[test]
fn the_socket_kind_leaves_what_follows_a_record_in_the_socket() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    script
        .borrow_mut()
        .reads
        .extend([Outcome::Done(100), Outcome::Closed { clean: true }]);
    engine.on_readable(&mut host);
    assert_eq!(host.input.len(), 100);
    assert_eq!(notices(&mut engine), vec![Notice::Read]);
    // The next readiness meets the end.
    engine.on_readable(&mut host);
    assert_eq!(
        notices(&mut engine),
        vec![event_notice(event::EOF | event::READING)]
    );
}

#[test]
fn a_filter_reports_an_end_met_with_data_after_the_data() {
    let (mut engine, script) = engine(Kind::Filter, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, None).unwrap();
    script
        .borrow_mut()
        .reads
        .extend([Outcome::Done(100), Outcome::Closed { clean: true }]);
    engine.on_readable(&mut host);
    assert_eq!(host.input.len(), 100);
    assert_eq!(
        notices(&mut engine),
        vec![Notice::Read, event_notice(event::EOF | event::READING)]
    );
}

#[test]
fn a_reset_is_reported_with_its_errno() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    script.borrow_mut().reads.push_back(Outcome::Error);
    script.borrow_mut().os_error = 104;
    engine.on_readable(&mut host);
    assert_eq!(
        notices(&mut engine),
        vec![Notice::Event {
            events: event::ERROR | event::READING,
            error: 104
        }]
    );
}

#[test]
fn a_rate_limit_suspension_during_a_read_stops_reading() {
    let (mut engine, script) = engine(Kind::Socket, State::Open);
    let mut host = MockHost {
        enabled: Events::BOTH,
        ..MockHost::default()
    };
    engine.start(&mut host, Some(5)).unwrap();
    host.refill(Direction::Read, 150);
    script.borrow_mut().pending = 1;
    script
        .borrow_mut()
        .reads
        .extend([Outcome::Done(100), Outcome::Done(100), Outcome::Done(100)]);
    engine.enable(&mut host, Events::READ).unwrap();
    engine.on_readable(&mut host);
    // The pass asks for the 150 the bucket holds: 100 (105 charged), then 50 (55
    // charged), which empties the bucket and suspends reading.
    assert_eq!(host.input.len(), 150);
    assert_eq!(host.consumed[0], 160);
    assert!(host.saw(Call::BandwidthSuspended(Direction::Read)));
    assert!(!host.watching(Direction::Read));
}

/// A host whose rate-limit charge makes the core disable reading at once: a
/// re-entrant call into the kind, as bufferevent_suspend_read_ makes.
struct ReentrantHost<'a> {
    inner: MockHost,
    cell: &'a EngineCell,
    reentered: Vec<Result<(), EngineError>>,
}

impl Host for ReentrantHost<'_> {
    fn input_len(&self) -> usize {
        self.inner.input_len()
    }
    fn input_append(&mut self, data: &[u8]) -> bool {
        self.inner.input_append(data)
    }
    fn input_fill(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool {
        self.inner.input_fill(len, fill)
    }
    fn output_len(&self) -> usize {
        self.inner.output_len()
    }
    fn with_output_front(&mut self, min: usize, max: usize, write: &mut dyn FnMut(&[u8])) -> bool {
        self.inner.with_output_front(min, max, write)
    }
    fn output_drain(&mut self, len: usize) {
        self.inner.output_drain(len)
    }
    fn enabled(&self) -> Events {
        self.inner.enabled()
    }
    fn suspended(&self, dir: Direction) -> bool {
        self.inner.suspended(dir)
    }
    fn read_high_watermark(&self) -> usize {
        self.inner.read_high_watermark()
    }
    fn underlying_write_room(&self) -> Option<usize> {
        self.inner.underlying_write_room()
    }
    fn budget(&self, dir: Direction) -> usize {
        self.inner.budget(dir)
    }
    fn consumed(&mut self, dir: Direction, bytes: usize) {
        self.inner.consumed(dir, bytes);
        if self.inner.suspended(dir) {
            let mut nested = MockHost::default();
            let events = if dir == Direction::Read {
                Events::READ
            } else {
                Events::WRITE
            };
            let r = self.cell.drive(&mut nested, Input::Disable(events));
            self.reentered.push(r);
        }
    }
    fn watch_fd(&mut self, dir: Direction, on: bool) -> bool {
        self.inner.watch_fd(dir, on)
    }
    fn assign_fd(&mut self, fd: Option<i32>, keep_pending: bool) -> bool {
        self.inner.assign_fd(fd, keep_pending)
    }
    fn finished_connecting(&mut self) -> Result<bool, i32> {
        self.inner.finished_connecting()
    }
    fn close_fd(&mut self, fd: i32) {
        self.inner.close_fd(fd)
    }
    fn underlying_reading(&mut self, on: bool) -> bool {
        self.inner.underlying_reading(on)
    }
    fn underlying_set_fd(&mut self, fd: i32) -> bool {
        self.inner.underlying_set_fd(fd)
    }
    fn restart_timeout(&mut self, dir: Direction) {
        self.inner.restart_timeout(dir)
    }
    fn stop_timeout(&mut self, dir: Direction) {
        self.inner.stop_timeout(dir)
    }
    fn release_underlying(&mut self, free: bool) {
        self.inner.release_underlying(free)
    }
}

#[test]
fn a_reentrant_call_is_queued_and_run_after_the_running_one() {
    let (engine, script) = engine(Kind::Socket, State::Open);
    let cell = EngineCell::new(engine);
    let mut host = ReentrantHost {
        inner: MockHost {
            enabled: Events::BOTH,
            ..MockHost::default()
        },
        cell: &cell,
        reentered: Vec::new(),
    };
    cell.with(&mut host, |engine, host| engine.start(host, Some(4)))
        .unwrap()
        .unwrap();
    cell.drive(&mut host, Input::Enable(Events::READ)).unwrap();
    host.inner.refill(Direction::Read, 50);
    script.borrow_mut().reads.push_back(Outcome::Done(100));
    cell.drive(&mut host, Input::Readable).unwrap();
    assert_eq!(host.reentered, vec![Ok(())], "queued, not refused");
    assert_eq!(cell.next_notice(), Some(Notice::Read));
    assert_eq!(cell.next_notice(), None);
    // The queued disable ran after the read, with the outer host.
    let log = &host.inner.log;
    let read_watch_off = log
        .iter()
        .rposition(|call| *call == Call::Watch(Direction::Read, false));
    assert!(read_watch_off.is_some());
    assert!(!host.inner.watching(Direction::Read));
    assert_eq!(cell.inspect(|engine| engine.flags()), Ok(0));
}
