//! Buffer callbacks: what they are told, in which order, and what they may do to the
//! buffer (remove themselves, add to it, free it), run at once or deferred to a base.
//! Driven as the C entry points drive them, so they run under Miri too.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::rc::Rc;

use super::{CallbackFn, CallbackInfo, Evbuffer, CB_ENABLED, CB_NODEFER};
use crate::event::loop_flag;
use crate::event::tests::support::*;

/// A buffer the program holds, as `evbuffer_new` hands it out.
#[derive(Clone, Copy)]
struct Buf(NonNull<Evbuffer>);

impl Buf {
    fn new() -> Buf {
        Buf(NonNull::from(Box::leak(Evbuffer::new())))
    }

    /// One call on the buffer, then the buffer goes if a callback freed it (as every C
    /// entry point that may run callbacks does).
    fn with<R>(self, f: impl FnOnce(&Evbuffer) -> R) -> R {
        // SAFETY: the program's handle is live until `free`; a callback that frees
        // the buffer leaves it to `reap` below.
        let result = f(unsafe { self.0.as_ref() });
        // SAFETY: live at the start of the call.
        unsafe { Evbuffer::reap(self.0) };
        result
    }

    fn add(self, data: &[u8]) {
        self.with(|b| b.add(data)).unwrap();
    }

    fn len(self) -> usize {
        self.with(|b| b.len())
    }

    /// `evbuffer_free`: the handle is not used afterwards.
    fn free(self) {
        // SAFETY: the handle is live and given up here.
        unsafe { Evbuffer::free(self.0) };
    }

    fn watch(self, probe: &Probe) -> NonNull<super::CallbackEntry> {
        self.with(|b| b.add_callback(Some(on_buffer), probe.arg()))
            .expect("evbuffer_add_cb")
    }
}

/// A buffer with a callback for each name, registered in that order.
fn watched<const N: usize>(names: [&'static str; N]) -> (Rc<Journal>, [Rc<Probe>; N], Buf) {
    let journal = Journal::new();
    let probes = names.map(|name| Probe::new(name, &journal));
    let buf = Buf::new();
    for probe in &probes {
        buf.watch(probe);
    }
    (journal, probes, buf)
}

/// [`watched`], with callbacks deferred to a base of their own.
fn deferred<const N: usize>(
    names: [&'static str; N],
) -> (TestBase, Rc<Journal>, [Rc<Probe>; N], Buf) {
    let (base, _control) = mock_base();
    let (journal, probes, buf) = watched(names);
    buf.with(|b| b.defer_callbacks(&base))
        .expect("evbuffer_defer_callbacks");
    (base, journal, probes, buf)
}

fn info(orig_size: usize, n_added: usize, n_deleted: usize) -> CallbackInfo {
    CallbackInfo {
        orig_size,
        n_added,
        n_deleted,
    }
}

#[test]
fn a_callback_is_told_each_change() {
    let (journal, [a], buf) = watched(["a"]);
    buf.add(b"hello");
    buf.with(|b| b.drain(2)).unwrap();
    let mut out = [0; 8];
    assert_eq!(buf.with(|b| b.remove(&mut out)), Ok(3));
    assert_eq!(a.infos(), [info(0, 5, 0), info(5, 0, 2), info(3, 0, 3)]);
    // A change that changes nothing is not reported.
    buf.with(|b| b.drain(0)).unwrap();
    assert_eq!(journal.names(), ["a", "a", "a"]);
    buf.free();
}

#[test]
fn the_newest_callback_runs_first() {
    let (journal, [_a, _b], buf) = watched(["a", "b"]);
    buf.add(b"x");
    assert_eq!(journal.names(), ["b", "a"]);
    buf.free();
}

#[test]
fn a_callback_removes_itself() {
    let (journal, [_a], buf) = watched(["a"]);
    // `evbuffer_remove_cb` matches the function by address: the one given to add_cb.
    // (Rust gives no two uses of a function name the same address; Miri shows that.)
    let callback: CallbackFn = on_buffer;
    let b = Probe::new("b", &journal);
    buf.with(|x| x.add_callback(Some(callback), b.arg()))
        .expect("evbuffer_add_cb");
    b.then(move |p| assert!(buf.with(|x| x.remove_callback(Some(callback), p.arg()))));
    buf.add(b"x");
    buf.add(b"y");
    assert_eq!(journal.names(), ["b", "a", "a"]);
    buf.free();
}

#[test]
fn a_callback_removes_an_older_one_before_it_runs() {
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let buf = Buf::new();
    let older = buf.watch(&a);
    buf.watch(&b);
    b.then(move |_| {
        buf.with(|x| x.remove_callback_entry(older));
    });
    buf.add(b"x");
    assert_eq!(journal.names(), ["b"]);
    buf.free();
}

#[test]
fn a_callback_adds_to_its_own_buffer() {
    let (journal, [a], buf) = watched(["a"]);
    a.then(move |p| {
        if p.calls() == 1 {
            buf.add(b"more");
        }
    });
    buf.add(b"x");
    assert_eq!(journal.names(), ["a", "a"]);
    assert_eq!(a.infos(), [info(0, 1, 0), info(1, 4, 0)]);
    assert_eq!(buf.len(), 5);
    buf.free();
}

#[test]
fn a_callback_frees_its_buffer() {
    let (journal, [_a, b], buf) = watched(["a", "b"]);
    b.then(move |_| buf.free());
    buf.add(b"x");
    // Freeing stops the callbacks at once; the memory went when `add` returned.
    assert_eq!(journal.names(), ["b"]);
}

#[test]
fn a_disabled_callback_does_not_run() {
    let journal = Journal::new();
    let a = Probe::new("a", &journal);
    let buf = Buf::new();
    let entry = buf.watch(&a);
    assert!(buf.with(|b| b.update_callback_flags(entry, 0, CB_ENABLED)));
    buf.add(b"abc");
    assert!(journal.take().is_empty());
    assert!(buf.with(|b| b.update_callback_flags(entry, CB_ENABLED, 0)));
    buf.add(b"de");
    assert_eq!(a.infos(), [info(3, 2, 0)]);
    buf.free();
}

unsafe extern "C" fn on_length(_buf: *mut Evbuffer, old: usize, new: usize, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments.
    let probe = unsafe { Probe::from_arg(arg) };
    probe.told(info(old, new, 0));
    probe.fired(0);
}

#[test]
fn a_legacy_callback_is_told_old_and_new_lengths() {
    let journal = Journal::new();
    let (a, b) = (Probe::new("a", &journal), Probe::new("b", &journal));
    let buf = Buf::new();
    buf.watch(&a);
    // `evbuffer_setcb` replaces every callback.
    assert!(buf.with(|x| x.set_legacy_callback(Some(on_length), b.arg())));
    buf.add(b"abc");
    buf.with(|x| x.drain(1)).unwrap();
    assert_eq!(journal.names(), ["b", "b"]);
    assert_eq!(b.infos(), [info(0, 3, 0), info(3, 2, 0)]);
    buf.free();
}

#[test]
fn deferred_callbacks_run_from_the_loop() {
    let (base, journal, [a], buf) = deferred(["a"]);
    buf.add(b"abc");
    buf.add(b"de");
    assert!(journal.take().is_empty());
    base.run(loop_flag::NONBLOCK);
    assert_eq!(a.infos(), [info(0, 5, 0)]);
    assert_eq!(journal.names(), ["a"]);
    buf.free();
    base.free(true);
}

#[test]
fn a_nodefer_callback_runs_in_the_call() {
    let (base, _control) = mock_base();
    let journal = Journal::new();
    let (now, later) = (Probe::new("now", &journal), Probe::new("later", &journal));
    let buf = Buf::new();
    buf.with(|b| b.defer_callbacks(&base))
        .expect("evbuffer_defer_callbacks");
    buf.watch(&later);
    let entry = buf.watch(&now);
    assert!(buf.with(|b| b.update_callback_flags(entry, CB_NODEFER, 0)));
    buf.add(b"abc");
    assert_eq!(journal.names(), ["now"]);
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["later"]);
    buf.free();
    base.free(true);
}

#[test]
fn a_buffer_freed_with_a_deferred_run_queued_goes_after_it() {
    let (base, journal, [_a], buf) = deferred(["a"]);
    buf.add(b"abc");
    buf.free();
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    base.free(true);
}

#[test]
fn a_deferred_callback_frees_its_buffer() {
    let (base, journal, [a], buf) = deferred(["a"]);
    a.then(move |_| buf.free());
    buf.add(b"abc");
    base.run(loop_flag::NONBLOCK);
    assert_eq!(journal.names(), ["a"]);
    base.free(true);
}
