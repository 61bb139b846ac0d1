//! A foreign bufferevent kind written here in Rust, standing for a sibling's TLS kind:
//! its operations are reached, callbacks run with watermarks and deferral, timeouts
//! follow the kind's mode, frees from inside callbacks are safe, the teardown calls
//! unlink then destruct and drops the underlying bufferevent, and rate limits reach
//! the kind as suspensions.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_short};
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::rc::Rc;

use super::super::{options, suspend, what, BevResult, Bufferevent, FlushMode, ForeignKind};
use super::bev;
use crate::bufferevent::ratelim::TokenBucketCfg;
use crate::event::handler::{EventHandler, Handler};
use crate::event::loop_flag;
use crate::event::raw::ev;
use crate::event::tests::support::*;
use crate::event::{self, Base, Config, DelMode};
use crate::util::shared::Shared;

/// What the kind was asked, in order.
type Calls = Rc<RefCell<Vec<String>>>;

/// Code the fake kind runs inside an operation.
type Hook = Box<dyn Fn(NonNull<Bufferevent>)>;

/// The fake kind: notes every operation; with `arms_events` it adds and removes
/// `ev_read`/`ev_write` itself, as a TLS kind on a socket does.
struct FakeKind {
    calls: Calls,
    arms_events: bool,
    fd: Cell<RawFd>,
    underlying: Cell<Option<NonNull<Bufferevent>>>,
    /// Run inside `enable` (a kind that reads buffered data at once calls back).
    on_enable: RefCell<Option<Hook>>,
    /// Run inside `unlink`.
    on_unlink: RefCell<Option<Hook>>,
    /// `set_fd` assigns `ev_write` to the socket, to finish a connect (as a TLS kind's
    /// handshake event does).
    watches_connect: bool,
}

impl FakeKind {
    fn note(&self, call: String) {
        self.calls.borrow_mut().push(call);
    }
}

impl ForeignKind for FakeKind {
    fn enable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult {
        self.note(format!("enable {events}"));
        // SAFETY: the core holds a reference across the call.
        let b = unsafe { bev.as_ref() };
        if self.arms_events {
            for which in [ev::READ, ev::WRITE] {
                if events & which != 0 {
                    b.add_event(which)?;
                }
            }
        }
        let hook = self.on_enable.borrow_mut().take();
        if let Some(hook) = hook {
            hook(bev);
        }
        Ok(())
    }

    fn disable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult {
        self.note(format!("disable {events}"));
        if self.arms_events {
            // SAFETY: the core holds a reference across the call.
            let b = unsafe { bev.as_ref() };
            for which in [ev::READ, ev::WRITE] {
                if events & which != 0 {
                    let event = b.event_of(which).expect("a direction");
                    // SAFETY: the bufferevent's own event.
                    let _ = unsafe { event::del(event, DelMode::Auto) };
                }
            }
        }
        Ok(())
    }

    fn unlink(&self, bev: NonNull<Bufferevent>) {
        self.note("unlink".into());
        let hook = self.on_unlink.borrow_mut().take();
        if let Some(hook) = hook {
            hook(bev);
        }
    }

    fn destruct(&self, bev: NonNull<Bufferevent>) {
        self.note("destruct".into());
        // SAFETY: the core holds the bufferevent until after this call.
        let close = unsafe { bev.as_ref() }.options() & options::CLOSE_ON_FREE != 0;
        if close && self.fd.get() >= 0 {
            let _ = crate::util::socket::close(self.fd.get());
        }
    }

    fn flush(&self, _bev: NonNull<Bufferevent>, iotype: c_short, mode: FlushMode) -> c_int {
        self.note(format!("flush {iotype} {mode:?}"));
        1
    }

    fn fd(&self, _bev: NonNull<Bufferevent>) -> RawFd {
        self.fd.get()
    }

    fn set_fd(&self, bev: NonNull<Bufferevent>, fd: RawFd) -> BevResult {
        self.note(format!("set_fd {fd}"));
        self.fd.set(fd);
        if self.watches_connect {
            // SAFETY: the core holds a reference across the call.
            let b = unsafe { bev.as_ref() };
            let write = b.event_of(ev::WRITE).expect("a direction");
            // SAFETY: the bufferevent's own event, not pending; it is finalized before
            // the bufferevent goes.
            unsafe {
                let _ = event::del(write, DelMode::Auto);
                event::assign_handler(
                    write,
                    b.base(),
                    fd,
                    ev::WRITE | ev::PERSIST | ev::FINALIZE,
                    Handler::new::<ConnectFinished>(bev),
                )
                .map_err(|_| super::super::BevError)?;
            }
        }
        Ok(())
    }

    fn underlying(&self, _bev: NonNull<Bufferevent>) -> Option<NonNull<Bufferevent>> {
        self.note("underlying".into());
        self.underlying.get()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct Made {
    base: TestBase,
    journal: Rc<Journal>,
    probe: Rc<Probe>,
    calls: Calls,
    bev: NonNull<Bufferevent>,
}

fn fake_kind(calls: &Calls, arms_events: bool) -> FakeKind {
    FakeKind {
        calls: Rc::clone(calls),
        arms_events,
        fd: Cell::new(-1),
        underlying: Cell::new(None),
        on_enable: RefCell::new(None),
        on_unlink: RefCell::new(None),
        watches_connect: false,
    }
}

/// A foreign bufferevent on a mock base whose callbacks report to probe "t".
fn made_with(options: u32, timeouts_on_fd: bool, kind: impl FnOnce(&Calls) -> FakeKind) -> Made {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let probe = Probe::new("t", &journal);
    let calls = Calls::default();
    let kind = Box::new(kind(&calls));
    let handle = Bufferevent::foreign_new(&base, options, kind, timeouts_on_fd).expect("made");
    bev(handle).set_callbacks(
        Some(on_read),
        Some(on_write),
        Some(on_bev_event),
        probe.arg(),
    );
    Made {
        base,
        journal,
        probe,
        calls,
        bev: handle,
    }
}

fn made(options: u32) -> Made {
    made_with(options, false, |calls| fake_kind(calls, false))
}

fn take(calls: &Calls) -> Vec<String> {
    std::mem::take(&mut *calls.borrow_mut())
}

fn finish(m: Made) {
    bev(m.bev).free();
    m.base.free(true);
}

#[test]
fn enable_disable_and_suspension_reach_the_kind() {
    let m = made(0);
    let b = bev(m.bev);
    b.enable(ev::READ).unwrap();
    b.disable(ev::WRITE).unwrap();
    assert_eq!(take(&m.calls), ["enable 2", "disable 4"]);
    assert_eq!(b.enabled(), ev::READ);

    // A suspended direction is stopped once, and restarted when the last reason goes.
    b.set_suspended(ev::READ, suspend::FILTER_READ, true)
        .unwrap();
    b.set_suspended(ev::READ, suspend::WATERMARK, true).unwrap();
    assert_eq!(
        b.suspended(ev::READ),
        Some(suspend::FILTER_READ | suspend::WATERMARK)
    );
    b.enable(ev::READ).unwrap();
    b.set_suspended(ev::READ, suspend::FILTER_READ, false)
        .unwrap();
    assert_eq!(take(&m.calls), ["disable 2"]);
    b.set_suspended(ev::READ, suspend::WATERMARK, false)
        .unwrap();
    assert_eq!(take(&m.calls), ["enable 2"]);
    assert_eq!(b.suspended(ev::READ), Some(0));
    // Nonsense is refused.
    assert!(b.set_suspended(ev::READ, 0, true).is_err());
    assert!(b.set_suspended(ev::READ, 0x100, true).is_err());
    assert!(b
        .set_suspended(ev::TIMEOUT, suspend::WATERMARK, true)
        .is_err());

    assert_eq!(b.flush(ev::WRITE, FlushMode::Flush), 1);
    b.set_fd(7).unwrap();
    assert_eq!(b.fd(), 7);
    assert_eq!(b.underlying(), None);
    assert_eq!(take(&m.calls), ["flush 4 Flush", "set_fd 7", "underlying"]);
    b.set_fd(-1).unwrap();
    take(&m.calls);
    finish(m);
}

#[test]
fn read_and_write_callbacks_follow_watermarks() {
    let m = made(0);
    let b = bev(m.bev);
    b.set_watermark(ev::READ, 4, 0);
    b.input().add(b"abc").unwrap();
    b.trigger(ev::READ, 0);
    assert!(m.journal.take().is_empty(), "below the low-watermark");
    b.trigger(ev::READ, super::super::TRIG_IGNORE_WATERMARKS);
    assert_eq!(m.journal.take(), [("t", ev::READ)]);
    b.input().add(b"d").unwrap();
    b.trigger(ev::READ, 0);
    assert_eq!(m.journal.take(), [("t", ev::READ)]);

    // The write callback runs while the output is at most the write low-watermark.
    b.set_watermark(ev::WRITE, 2, 0);
    b.output().add(b"xyz").unwrap();
    b.trigger(ev::WRITE, 0);
    assert!(m.journal.take().is_empty());
    let mut sink = [0u8; 2];
    b.output().remove(&mut sink).unwrap();
    b.trigger(ev::WRITE, 0);
    assert_eq!(m.journal.take(), [("t", ev::WRITE)]);
    finish(m);
}

#[test]
fn deferred_callbacks_run_from_the_loop_in_order() {
    let m = made(options::DEFER_CALLBACKS);
    let b = bev(m.bev);
    b.input().add(b"data").unwrap();
    b.trigger(ev::READ, 0);
    b.trigger(ev::WRITE, 0);
    b.trigger_event_with_error(what::CONNECTED, 0, 0);
    b.trigger_event_with_error(what::EOF | what::READING, 0, 0);
    assert!(m.journal.take().is_empty());
    m.base.run(loop_flag::NONBLOCK);
    assert_eq!(
        m.journal.take(),
        [
            ("t", what::CONNECTED),
            ("t", ev::READ),
            ("t", ev::WRITE),
            ("t", what::EOF | what::READING)
        ]
    );
    finish(m);
}

#[test]
fn the_event_callback_sees_the_given_errno_now_or_deferred() {
    for (opts, defer) in [
        (0, 0),
        (0, options::DEFER_CALLBACKS),
        (options::DEFER_CALLBACKS, 0),
    ] {
        let m = made(opts);
        let b = bev(m.bev);
        let seen = Rc::new(Cell::new(0));
        let noted = Rc::clone(&seen);
        m.probe.then(move |_| noted.set(crate::util::errno::get()));
        b.trigger_event_with_error(what::ERROR | what::READING, defer, libc::ECONNRESET);
        crate::util::errno::set(0);
        m.base.run(loop_flag::NONBLOCK);
        assert_eq!(seen.get(), libc::ECONNRESET);
        finish(m);
    }
}

#[test]
fn generic_timeouts_are_the_cores_for_a_kind_without_descriptor_events() {
    let m = made(0);
    let b = bev(m.bev);
    b.set_timeouts(Some(ms(1)), None).unwrap();
    b.enable(ev::READ).unwrap();
    m.base.run(0);
    assert_eq!(m.journal.take(), [("t", what::TIMEOUT | what::READING)]);
    assert_eq!(b.enabled() & ev::READ, 0);
    assert_eq!(take(&m.calls), ["enable 2", "disable 2"]);

    // Disabled, the timer is gone: nothing fires.
    b.enable(ev::READ).unwrap();
    b.disable(ev::READ).unwrap();
    m.base.run(loop_flag::NONBLOCK);
    assert!(m.journal.take().is_empty());
    finish(m);
}

#[test]
fn descriptor_timeouts_are_armed_by_the_kind_and_rearmed_by_the_core() {
    // A kind that never adds its events has no timeouts, whatever is set.
    let m = made_with(0, true, |calls| fake_kind(calls, false));
    let b = bev(m.bev);
    b.set_timeouts(Some(ms(1)), Some(ms(1))).unwrap();
    b.enable(ev::READ).unwrap();
    m.base.run(loop_flag::NONBLOCK);
    assert!(m.journal.take().is_empty());
    finish(m);

    // One that adds them gets them with the timeouts; a change re-arms only what is
    // pending (the write event is not).
    let m = made_with(0, true, |calls| fake_kind(calls, true));
    let b = bev(m.bev);
    b.set_timeouts(Some(ms(1000)), None).unwrap();
    b.enable(ev::READ).unwrap();
    let read = b.event_of(ev::READ).unwrap();
    let write = b.event_of(ev::WRITE).unwrap();
    // SAFETY: the bufferevent's own events.
    unsafe {
        assert_eq!(event::pending(read, ev::TIMEOUT).0, ev::TIMEOUT);
        assert_eq!(event::pending(write, ev::TIMEOUT).0, 0);
    }
    b.set_timeouts(Some(ms(1)), Some(ms(1))).unwrap();
    // SAFETY: `write` is the live bufferevent's own event.
    unsafe { assert_eq!(event::pending(write, ev::TIMEOUT).0, 0) };
    m.base.run(0);
    assert_eq!(m.journal.take(), [("t", what::TIMEOUT | what::READING)]);
    finish(m);
}

#[test]
fn a_callback_run_from_inside_the_kind_may_free_the_bufferevent() {
    let m = made_with(0, false, |calls| fake_kind(calls, false));
    let handle = m.bev;
    // The program frees the bufferevent from its read callback, which the kind runs
    // from inside `enable`.
    m.probe.then(move |_| bev(handle).free());
    let Some(kind) = bev(m.bev).foreign_kind() else {
        panic!("a foreign bufferevent");
    };
    assert!(kind.as_any().downcast_ref::<String>().is_none());
    let kind = kind
        .as_any()
        .downcast_ref::<FakeKind>()
        .expect("the fake kind");
    *kind.on_enable.borrow_mut() = Some(Box::new(|bev_ptr| {
        // SAFETY: the core holds a reference across `enable`.
        unsafe { bev_ptr.as_ref() }.trigger(ev::READ, super::super::TRIG_IGNORE_WATERMARKS);
    }));
    bev(m.bev).enable(ev::READ).unwrap();
    assert_eq!(m.journal.take(), [("t", ev::READ)]);
    // Freed inside, torn down once `enable` let go; destructed from the loop.
    assert_eq!(take(&m.calls), ["enable 2", "unlink"]);
    m.base.run(loop_flag::NONBLOCK);
    assert_eq!(take(&m.calls), ["underlying", "destruct"]);
    m.base.free(true);
}

#[test]
fn a_deferred_callback_may_free_the_bufferevent() {
    let m = made(options::DEFER_CALLBACKS);
    let handle = m.bev;
    m.probe.then(move |_| bev(handle).free());
    bev(m.bev).trigger_event_with_error(what::EOF, 0, 0);
    m.base.run(loop_flag::NONBLOCK);
    assert_eq!(m.journal.take(), [("t", what::EOF)]);
    assert_eq!(take(&m.calls), ["unlink", "underlying", "destruct"]);
    m.base.free(true);
}

#[test]
fn a_kind_that_takes_references_while_dying_does_not_tear_down_twice() {
    for deferred_first in [false, true] {
        let m = made(options::DEFER_CALLBACKS);
        let kind = bev(m.bev).foreign_kind().expect("foreign");
        let kind = kind.as_any().downcast_ref::<FakeKind>().expect("fake");
        *kind.on_unlink.borrow_mut() = Some(Box::new(|bev_ptr| {
            // SAFETY: the bufferevent is dying but still allocated.
            let b = unsafe { bev_ptr.as_ref() };
            b.lock();
            b.unlock();
            // Queued with a reference on a bufferevent that has none left.
            b.trigger_event_with_error(what::EOF, 0, 0);
        }));
        if deferred_first {
            // The program's own reference goes without clearing its callbacks, so the
            // event queued from `unlink` may still reach them.
            bev(m.bev).decref();
        } else {
            bev(m.bev).free();
        }
        m.base.run(loop_flag::NONBLOCK);
        m.base.run(loop_flag::NONBLOCK);
        let calls = take(&m.calls);
        assert_eq!(calls, ["unlink", "underlying", "destruct"]);
        m.journal.take();
        m.base.free(true);
    }
}

#[test]
fn the_teardown_unlinks_then_destructs_then_drops_the_underlying() {
    let (base, _control) = mock_base();
    let [under, other] = Bufferevent::pair_new(&base, 0).expect("pair");
    let calls = Calls::default();
    let kind = fake_kind(&calls, false);
    // The kind holds a reference on its underlying bufferevent, as libevent's does.
    bev(under).incref();
    kind.underlying.set(Some(under));
    let handle = Bufferevent::foreign_new(&base, options::CLOSE_ON_FREE, Box::new(kind), false)
        .expect("made");
    assert_eq!(bev(handle).underlying(), Some(under));
    assert_eq!(bev(handle).options(), options::CLOSE_ON_FREE);
    take(&calls);
    // The program lets go of the underlying first: the kind's reference keeps it.
    bev(under).free();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(bev(under).partner(), Some(other));
    bev(handle).free();
    assert_eq!(take(&calls), ["unlink"]);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(take(&calls), ["underlying", "destruct"]);
    // The underlying went with the last reference (Miri reports a leak otherwise);
    // its partner saw it go.
    base.run(loop_flag::NONBLOCK);
    assert_eq!(bev(other).partner(), None);
    bev(other).free();
    base.free(true);
}

#[test]
fn rate_limit_budgets_suspend_and_resume_the_kind() {
    let m = made(0);
    let b = bev(m.bev);
    // A long tick, so that no refill comes during the test (Miri is slow).
    let cfg = TokenBucketCfg::new(10, 10, 100, 100, Some(ms(600_000))).expect("cfg");
    b.set_rate_limit(Some(Shared::try_new(cfg).expect("shared")))
        .unwrap();
    b.enable(ev::READ).unwrap();
    take(&m.calls);
    assert_eq!(b.max_to_read(), 10);
    assert_eq!(b.max_to_write(), 100);
    b.consume_budget(ev::READ, 4).unwrap();
    assert_eq!(b.max_to_read(), 6);
    assert!(take(&m.calls).is_empty());
    // The budget runs dry: reading is suspended through the kind...
    b.consume_budget(ev::READ, 6).unwrap();
    assert_eq!(b.suspended(ev::READ), Some(suspend::BANDWIDTH));
    assert_eq!(take(&m.calls), ["disable 2"]);
    // ...and resumed through it when tokens come back.
    b.decrement_read_limit(-10).unwrap();
    assert_eq!(b.suspended(ev::READ), Some(0));
    assert_eq!(take(&m.calls), ["enable 2"]);
    b.consume_budget(ev::WRITE, 30).unwrap();
    assert_eq!(b.max_to_write(), 70);
    assert!(b.consume_budget(ev::TIMEOUT, 1).is_err());
    finish(m);
}

#[test]
fn connecting_is_a_flag_the_kind_clears() {
    let m = made(0);
    let b = bev(m.bev);
    assert!(!b.connecting());
    b.set_connecting(true);
    assert!(b.connecting());
    b.set_connecting(false);
    assert!(!b.connecting());
    finish(m);
}

/// The fake kind's write event on a connecting socket: the connect finished.
struct ConnectFinished;

impl EventHandler for ConnectFinished {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes.
        let b = unsafe { bev.as_ref() };
        b.lock();
        if let Some(write) = b.event_of(ev::WRITE) {
            // SAFETY: the bufferevent's own event.
            let _ = unsafe { event::del(write, DelMode::Auto) };
        }
        if b.connecting() {
            b.set_connecting(false);
            b.trigger_event_with_error(what::CONNECTED, 0, 0);
        }
        b.unlock();
    }
}

#[test]
#[cfg_attr(miri, ignore = "a real socket and poller")]
fn connect_goes_through_the_kind_and_waits_on_its_write_event() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let std::net::SocketAddr::V4(target) = listener.local_addr().expect("address") else {
        panic!("an IPv4 listener");
    };
    let sockaddr = crate::util::addr::to_sockaddr_in(&target);
    // SAFETY: a plain C struct, read as its bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&sockaddr as *const libc::sockaddr_in).cast::<u8>(),
            std::mem::size_of::<libc::sockaddr_in>(),
        )
    };
    let address = super::super::SocketAddress::from_bytes(bytes).expect("address");

    let base = NonNull::from(Box::leak(Base::new(&Config::default()).expect("base")));
    // SAFETY: live until freed at the end.
    let base_ref = unsafe { base.as_ref() };
    let journal = Journal::new();
    let probe = Probe::new("t", &journal);
    let calls = Calls::default();
    let mut kind = fake_kind(&calls, true);
    kind.watches_connect = true;
    let handle = Bufferevent::foreign_new(base_ref, options::CLOSE_ON_FREE, Box::new(kind), true)
        .expect("made");
    let b = bev(handle);
    b.set_callbacks(None, None, Some(on_bev_event), probe.arg());
    // Without a socket nor an address there is nothing to connect.
    assert!(b.connect(None).is_err());

    b.connect(Some(&address)).unwrap();
    let fd = b.fd();
    assert!(fd >= 0);
    assert_eq!(take(&calls), [format!("set_fd {fd}")]);
    assert!(b.connecting());
    let write = b.event_of(ev::WRITE).unwrap();
    // SAFETY: the bufferevent's own event.
    assert_eq!(unsafe { event::pending(write, ev::WRITE) }.0, ev::WRITE);
    let seen = loop {
        let seen = journal.take();
        if !seen.is_empty() {
            break seen;
        }
        base_ref.run(loop_flag::ONCE);
    };
    assert_eq!(seen, [("t", what::CONNECTED)]);
    assert!(!b.connecting());
    b.free();
    base_ref.run(loop_flag::NONBLOCK);
    assert_eq!(take(&calls), ["unlink", "underlying", "destruct"]);
    // SAFETY: from Box::leak above, given back once.
    unsafe { Base::free(base, true) };
}
