//! What the reactor, buffer and bufferevent tests share: a base on the scripted
//! poller, probes that stand for the program's callbacks, and a journal of the calls.

use std::cell::{Cell, RefCell};
use std::ffi::{c_short, c_void};
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::rc::Rc;

use evrs_backends::mock::MockControl;
use evrs_backends::AnyPoller;

use crate::buffer::{CallbackInfo, Evbuffer};
use crate::bufferevent::Bufferevent;
use crate::event::config::flag;
use crate::event::raw::{Event, EventCallback};
use crate::event::{self, Base, Config, Tv};

/// A base on a scripted poller that ignores the environment and reads the precise
/// clock, so that short timers fire in few rounds.
pub(crate) fn mock_base() -> (TestBase, MockControl) {
    let config = Config {
        flags: flag::IGNORE_ENV | flag::PRECISE_TIMER,
        ..Config::default()
    };
    let control = MockControl::new();
    let base = Base::with_poller(&config, AnyPoller::Mock(control.poller())).expect("base");
    (TestBase(NonNull::from(Box::leak(base))), control)
}

/// A base as a program holds it: a pointer from `event_base_new`, given back to
/// `event_base_free`, so that moving the handle asserts nothing about the base's memory.
pub(crate) struct TestBase(NonNull<Base>);

impl TestBase {
    /// `event_base_free` (`run_finalizers`) or `event_base_free_nofinalize`.
    pub(crate) fn free(self, run_finalizers: bool) {
        // SAFETY: from Box::leak in `mock_base`, given back once, as the C layer does.
        unsafe { Base::free(self.0, run_finalizers) };
    }
}

impl std::ops::Deref for TestBase {
    type Target = Base;

    fn deref(&self) -> &Base {
        // SAFETY: live until `free`, which takes the handle.
        unsafe { self.0.as_ref() }
    }
}

/// `n` milliseconds.
pub(crate) fn ms(n: i64) -> Tv {
    Tv::normalized(0, n * 1000)
}

/// What the callbacks saw, in order: who ran, with which `what`.
#[derive(Default)]
pub(crate) struct Journal {
    entries: RefCell<Vec<(&'static str, c_short)>>,
}

impl Journal {
    pub(crate) fn new() -> Rc<Journal> {
        Rc::default()
    }

    fn note(&self, name: &'static str, what: c_short) {
        self.entries.borrow_mut().push((name, what));
    }

    /// Everything noted so far, emptying the journal.
    pub(crate) fn take(&self) -> Vec<(&'static str, c_short)> {
        std::mem::take(&mut *self.entries.borrow_mut())
    }

    /// Who ran, emptying the journal.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.take().into_iter().map(|(name, _)| name).collect()
    }
}

type Action = Rc<dyn Fn(&Probe)>;

/// Stands for one callback of the program: notes each call in the journal, then runs
/// the test's action. Passed to the library as the callback's argument; kept in an
/// `Rc`, since moving a `Box` would invalidate the address the library holds.
pub(crate) struct Probe {
    pub(crate) name: &'static str,
    journal: Rc<Journal>,
    /// The event the probe is the callback of, once made.
    event: Cell<Option<NonNull<Event>>>,
    action: RefCell<Option<Action>>,
    calls: Cell<usize>,
    /// What buffer callbacks were told, in order.
    infos: RefCell<Vec<CallbackInfo>>,
}

impl Probe {
    pub(crate) fn new(name: &'static str, journal: &Rc<Journal>) -> Rc<Probe> {
        Rc::new(Probe {
            name,
            journal: Rc::clone(journal),
            event: Cell::new(None),
            action: RefCell::new(None),
            calls: Cell::new(0),
            infos: RefCell::new(Vec::new()),
        })
    }

    /// The callback argument that leads back to this probe.
    pub(crate) fn arg(&self) -> *mut c_void {
        (self as *const Probe).cast_mut().cast()
    }

    /// Recovers the probe from a callback argument.
    ///
    /// # Safety
    /// `arg` came from [`Probe::arg`] of a probe that is still alive.
    pub(crate) unsafe fn from_arg<'a>(arg: *mut c_void) -> &'a Probe {
        // SAFETY: guaranteed by the caller.
        unsafe { &*(arg as *const Probe) }
    }

    /// What to do on each call (after noting it).
    pub(crate) fn then(&self, action: impl Fn(&Probe) + 'static) {
        *self.action.borrow_mut() = Some(Rc::new(action));
    }

    pub(crate) fn calls(&self) -> usize {
        self.calls.get()
    }

    pub(crate) fn event(&self) -> NonNull<Event> {
        self.event.get().expect("the probe has an event")
    }

    pub(crate) fn set_event(&self, event: NonNull<Event>) {
        self.event.set(Some(event));
    }

    /// Keeps what a buffer callback was told.
    pub(crate) fn told(&self, info: CallbackInfo) {
        self.infos.borrow_mut().push(info);
    }

    /// What the buffer callbacks were told so far, emptying the list.
    pub(crate) fn infos(&self) -> Vec<CallbackInfo> {
        std::mem::take(&mut *self.infos.borrow_mut())
    }

    /// Notes a call and runs the action. The action is cloned out first, so it may
    /// install another one.
    pub(crate) fn fired(&self, what: c_short) {
        self.calls.set(self.calls.get() + 1);
        self.journal.note(self.name, what);
        let action = self.action.borrow().clone();
        if let Some(action) = action {
            action(self);
        }
    }
}

/// An event callback (`event_callback_fn`).
pub(crate) unsafe extern "C" fn on_event(_fd: RawFd, what: c_short, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments.
    unsafe { Probe::from_arg(arg) }.fired(what);
}

/// An event finalizer (`event_finalize_callback_fn`); noted as `EV_FINALIZE`.
pub(crate) unsafe extern "C" fn on_finalize(_event: *mut Event, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments
    unsafe { Probe::from_arg(arg) }.fired(event::raw::ev::FINALIZE);
}

/// A bare callback's function; noted with `what` 0.
pub(crate) unsafe extern "C" fn on_callback(_cb: *mut EventCallback, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments
    unsafe { Probe::from_arg(arg) }.fired(0);
}

/// A buffer callback (`evbuffer_cb_func`); noted with `what` 0, and its report kept.
pub(crate) unsafe extern "C" fn on_buffer(
    _buf: *mut Evbuffer,
    info: *const CallbackInfo,
    arg: *mut c_void,
) {
    // SAFETY: as above; the buffer passes its report for the call.
    let (probe, info) = unsafe { (Probe::from_arg(arg), *info) };
    probe.told(info);
    probe.fired(0);
}

/// A bufferevent's read callback; noted as `EV_READ`.
pub(crate) unsafe extern "C" fn on_read(_bev: *mut Bufferevent, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments
    unsafe { Probe::from_arg(arg) }.fired(event::raw::ev::READ);
}

/// A bufferevent's write callback; noted as `EV_WRITE`.
pub(crate) unsafe extern "C" fn on_write(_bev: *mut Bufferevent, arg: *mut c_void) {
    // SAFETY: the tests register live probes as arguments
    unsafe { Probe::from_arg(arg) }.fired(event::raw::ev::WRITE);
}

/// A bufferevent's event callback; noted with its `BEV_EVENT_*` bits.
pub(crate) unsafe extern "C" fn on_bev_event(
    _bev: *mut Bufferevent,
    what: c_short,
    arg: *mut c_void,
) {
    // SAFETY: the tests register live probes as arguments
    unsafe { Probe::from_arg(arg) }.fired(what);
}

/// An `event_new`ed event whose callback is the probe.
pub(crate) fn new_event(base: &Base, fd: RawFd, events: c_short, probe: &Probe) -> NonNull<Event> {
    let event = event::new(base, fd, events, Some(on_event), probe.arg()).expect("event_new");
    probe.set_event(event);
    event
}

/// Events without an fd (timers, or events to activate), one probe each, named as
/// given.
pub(crate) fn timer_events<const N: usize>(
    base: &Base,
    journal: &Rc<Journal>,
    names: [&'static str; N],
) -> ([Rc<Probe>; N], [NonNull<Event>; N]) {
    let probes = names.map(|name| Probe::new(name, journal));
    let events = probes.each_ref().map(|p| new_event(base, -1, 0, p));
    (probes, events)
}

/// Event memory the test owns, as a program's `struct event` on the heap or in
/// another struct, for `event_assign`.
pub(crate) struct Slot(NonNull<Event>);

impl Slot {
    /// Memory assigned to `base`, with the probe as callback.
    pub(crate) fn assigned(base: &Base, fd: RawFd, events: c_short, probe: &Probe) -> Slot {
        let slot = Slot(NonNull::from(Box::leak(Box::new(event::zeroed_event()))));
        // SAFETY: fresh writable event memory.
        unsafe { event::assign(slot.0, Some(base), fd, events, Some(on_event), probe.arg()) }
            .expect("event_assign");
        probe.set_event(slot.0);
        slot
    }

    pub(crate) fn event(&self) -> NonNull<Event> {
        self.0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: from Box::leak above; the tests delete or finalize it first.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

// The tests keep every event they pass below live until it is deleted, finalized or
// freed, as the module contract of `crate::event` asks.

pub(crate) fn add(event: NonNull<Event>, timeout: Option<Tv>) -> Result<(), event::EventError> {
    // SAFETY: a live event of the test (see above).
    unsafe { event::add(event, timeout) }
}

pub(crate) fn del(event: NonNull<Event>) -> Result<(), event::EventError> {
    // SAFETY: a live event of the test (see above)
    unsafe { event::del(event, event::DelMode::Auto) }
}

pub(crate) fn activate(event: NonNull<Event>, res: c_short) {
    // SAFETY: a live event of the test (see above)
    unsafe { event::activate(event, res, 1) }
}

/// Which of `what` the event is pending or active for.
pub(crate) fn pending(event: NonNull<Event>, what: c_short) -> c_short {
    // SAFETY: a live event of the test (see above)
    unsafe { event::pending(event, what) }.0
}

/// `event_free` of an `event_new`ed event.
pub(crate) fn free(event: NonNull<Event>) {
    // SAFETY: from `event::new`, and the test does not use it afterwards.
    unsafe { event::free(event) }
}

pub(crate) fn free_all(events: impl IntoIterator<Item = NonNull<Event>>) {
    events.into_iter().for_each(free);
}

/// A base for the actions of probes, which run inside the base's own loop.
#[derive(Clone, Copy)]
pub(crate) struct BaseRef(*const Base);

impl BaseRef {
    pub(crate) fn new(base: &Base) -> BaseRef {
        BaseRef(base)
    }

    pub(crate) fn get(&self) -> &Base {
        // SAFETY: the tests free a base only after its loop and every action ran.
        unsafe { &*self.0 }
    }
}
