//! `struct event_base`: the reactor.
//!
//! All mutable state lives in [`State`] behind an `UnsafeCell`. When the program installed
//! lock callbacks, the base owns one lock that guards the state; otherwise (libevent's
//! single-threaded mode) there is none and the base is used from one thread. The state is
//! only reached through `state()` while the lock is held, and user callbacks run only
//! after the lock is released and every borrow of the state has ended, so a callback
//! may call any function on this base, including freeing the event that called it.

use std::cell::UnsafeCell;
use std::ffi::{c_short, c_void};
use std::io;
use std::os::fd::RawFd;
use std::ptr::{self, NonNull};
use std::time::Duration;

use evrs_backends::{AnyPoller, Features, Interest, Options, Readiness};

use super::config::{flag, Config, DispatchLimits};
use super::heap::TimerHeap;
use super::lists::{CallbackQueue, EventList, TimeoutQueue};
use super::raw::{ev, list, CallbackFn, Closure, Event, EventCallback, EventCallbackFn};
use super::signal::{SignalMethod, SignalReceiver};
use super::time::{common, Tv};
use super::{debug, notify::Notifier, watch::Watchers};
use crate::log;
use crate::thread::{self, Condition, Lock};
use crate::util::time::MonotonicClock;

/// libevent's limit on priorities per base.
pub const MAX_PRIORITIES: usize = 256;
/// How often the wall-clock offset of the cached time is refreshed.
const CLOCK_SYNC_INTERVAL_SECS: i64 = 5;

/// Why an operation on an event failed. The C layer turns every variant into -1;
/// the log has already said what happened where libevent logs.
#[derive(Debug, PartialEq, Eq)]
pub enum EventError {
    NoBase,
    Finalizing,
    Invalid,
    Os(i32),
}

/// `EVLOOP_*` flags.
pub mod loop_flag {
    pub const ONCE: i32 = 0x01;
    pub const NONBLOCK: i32 = 0x02;
    pub const NO_EXIT_ON_EMPTY: i32 = 0x04;
}

/// `EVENT_BASE_COUNT_*` flags.
pub mod count {
    pub const ACTIVE: u32 = 1;
    pub const VIRTUAL: u32 = 2;
    pub const ADDED: u32 = 4;
}

/// How `event_del` treats a callback of the event running in another thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DelMode {
    /// Wait for it to return unless the event has `EV_FINALIZE` (plain `event_del`).
    Auto,
    /// Always wait.
    Block,
    /// Never wait.
    NoBlock,
}

/// The base's state per fd: its events and what the poller is asked to watch.
#[derive(Default)]
struct FdEntry {
    events: EventList,
    nread: u32,
    nwrite: u32,
    nclose: u32,
    edge: bool,
    interest: Interest,
}

impl FdEntry {
    fn wanted(&self) -> Interest {
        let mut i = Interest::NONE;
        if self.nread > 0 {
            i |= Interest::READ;
        }
        if self.nwrite > 0 {
            i |= Interest::WRITE;
        }
        if self.nclose > 0 {
            i |= Interest::CLOSED;
        }
        if self.edge && !i.is_empty() {
            i |= Interest::EDGE;
        }
        i
    }

    fn count(&mut self, events: c_short, delta: i32) {
        let apply = |n: &mut u32| *n = n.wrapping_add_signed(delta);
        if events & ev::READ != 0 {
            apply(&mut self.nread);
        }
        if events & ev::WRITE != 0 {
            apply(&mut self.nwrite);
        }
        if events & ev::CLOSED != 0 {
            apply(&mut self.nclose);
        }
    }
}

/// A queue of events sharing one common timeout duration.
struct CommonTimeout {
    /// The tagged duration handed to the program (`event_base_init_common_timeout`).
    duration: libc::timeval,
    events: TimeoutQueue,
    /// Internal timer that fires when the first queued event is due.
    timer: Box<Event>,
}

/// A heap-allocated one-shot event of `event_base_once`.
struct OnceEvent {
    event: Event,
    callback: Option<EventCallbackFn>,
    arg: *mut c_void,
    base: *const Base,
}

struct State {
    /// Set while the loop waits on the poller with the lock released; changes made
    /// meanwhile (by other threads) wait in `pending_changes`.
    poller_busy: bool,
    pending_changes: Vec<(RawFd, Interest, Interest)>,
    /// Whether the last wait ran callbacks directly (see `Base::dispatch_directly`).
    ran_directly: bool,
    fds: Vec<FdEntry>,
    signals: Vec<EventList>,
    signal_receiver: Option<SignalReceiver>,
    signal_event: Option<Box<Event>>,
    timers: TimerHeap,
    /// Boxed: the program keeps pointers to each queue's duration.
    #[allow(clippy::vec_box)]
    common_timeouts: Vec<Box<CommonTimeout>>,
    active: Vec<CallbackQueue>,
    active_later: CallbackQueue,
    once_events: Vec<*mut OnceEvent>,

    event_count: usize,
    event_count_max: usize,
    active_count: usize,
    active_count_max: usize,
    virtual_count: usize,
    virtual_count_max: usize,

    running_loop: bool,
    owner_thread: u64,
    got_exit: bool,
    got_break: bool,
    continue_now: bool,
    /// Set by loopbreak and loopcontinue: stop running ready callbacks directly.
    stop_dispatch: bool,
    /// Priority of the queue being run, so that activating a more urgent event can
    /// end the run early (libevent's behaviour).
    running_priority: Option<usize>,
    current: *mut EventCallback,
    current_waiters: usize,

    cached_now: Option<Tv>,
    wall_minus_mono: Tv,
    last_clock_sync: i64,

    notifier: Option<Notifier>,
    notify_event: Option<Box<Event>>,
    notify_pending: bool,

    watchers: Watchers,
}

/// `struct event_base`.
pub struct Base {
    state: UnsafeCell<State>,
    /// The OS poller, apart from the state so that the loop can report readiness into
    /// the state while it waits. Reached under the lock, or by the loop while
    /// `State::poller_busy` is set.
    poller: UnsafeCell<AnyPoller>,
    /// What the last wait reported, reused from wait to wait. Only the thread running
    /// the loop (there is at most one) touches it.
    ready: UnsafeCell<Vec<(RawFd, Readiness)>>,
    lock: Option<Lock>,
    wait_for_callback: Option<Condition>,
    clock: MonotonicClock,
    method: &'static str,
    features: Features,
    flags: u32,
    limits: DispatchLimits,
    /// No lock and no dispatch limits: the fixed half of `may_dispatch_directly`.
    direct_capable: bool,
}

// SAFETY: the state is reached only under `lock` when the base is shared between
// threads (the program installed lock callbacks); without them libevent's contract is
// that a base is used from one thread at a time.
unsafe impl Send for Base {}
// SAFETY: as above.
unsafe impl Sync for Base {}

/// Holds the base lock (if any) for a scope.
struct Held<'a>(&'a Base);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(lock) = &self.0.lock {
            lock.unlock();
        }
    }
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some()
}

impl Base {
    /// `event_base_new_with_config`: the first usable method that the config allows.
    pub fn new(config: &Config) -> Option<Box<Base>> {
        let use_env = config.flags & flag::IGNORE_ENV == 0;
        let flags = Self::flags_with_env(config);
        let options = Options {
            use_changelist: flags & flag::EPOLL_USE_CHANGELIST != 0,
            precise_timer: flags & flag::PRECISE_TIMER != 0,
        };
        let mut chosen = None;
        for &(name, features) in evrs_backends::METHODS {
            if config.avoided_methods.iter().any(|a| a == name)
                || !features.contains(config.required_features)
                || (use_env && env_set(&format!("EVENT_NO{}", name.to_ascii_uppercase())))
            {
                continue;
            }
            if let Ok(poller) = AnyPoller::new(name, &options) {
                chosen = Some(poller);
                break;
            }
        }
        let Some(poller) = chosen else {
            log::warn(format_args!(
                "event_base_new_with_config: no event mechanism available"
            ));
            return None;
        };
        if use_env && env_set("EVENT_SHOW_METHOD") {
            log::emit(
                log::Severity::Msg,
                format_args!("libevent using: {}", poller.name()),
            );
        }
        Self::with_poller(config, poller)
    }

    /// The config's flags, with those the environment adds unless it is ignored.
    fn flags_with_env(config: &Config) -> u32 {
        let use_env = config.flags & flag::IGNORE_ENV == 0;
        let mut flags = config.flags;
        if use_env && env_set("EVENT_EPOLL_USE_CHANGELIST") {
            flags |= flag::EPOLL_USE_CHANGELIST;
        }
        if use_env && env_set("EVENT_PRECISE_TIMER") {
            flags |= flag::PRECISE_TIMER;
        }
        flags
    }

    /// A base on `poller` (tests hand in a scripted one).
    pub(crate) fn with_poller(config: &Config, poller: AnyPoller) -> Option<Box<Base>> {
        let flags = Self::flags_with_env(config);
        let locking = flags & flag::NOLOCK == 0 && thread::locking_enabled();
        let lock = if locking { Lock::new(true) } else { None };
        let wait_for_callback = if lock.is_some() {
            Condition::new()
        } else {
            None
        };
        let (method, features) = (poller.name(), poller.features());
        let base = Box::new(Base {
            method,
            features,
            flags,
            limits: config.limits,
            direct_capable: lock.is_none() && config.limits == DispatchLimits::default(),
            clock: MonotonicClock::new(flags & flag::PRECISE_TIMER != 0),
            lock,
            wait_for_callback,
            poller: UnsafeCell::new(poller),
            ready: UnsafeCell::new(Vec::new()),
            state: UnsafeCell::new(State {
                poller_busy: false,
                pending_changes: Vec::new(),
                ran_directly: false,
                fds: Vec::new(),
                signals: Vec::new(),
                signal_receiver: None,
                signal_event: None,
                timers: TimerHeap::default(),
                common_timeouts: Vec::new(),
                active: (0..1).map(|_| CallbackQueue::default()).collect(),
                active_later: CallbackQueue::default(),
                once_events: Vec::new(),
                event_count: 0,
                event_count_max: 0,
                active_count: 0,
                active_count_max: 0,
                virtual_count: 0,
                virtual_count_max: 0,
                running_loop: false,
                owner_thread: 0,
                got_exit: false,
                got_break: false,
                continue_now: false,
                stop_dispatch: false,
                running_priority: None,
                current: ptr::null_mut(),
                current_waiters: 0,
                cached_now: None,
                wall_minus_mono: Tv::ZERO,
                last_clock_sync: i64::MIN,
                notifier: None,
                notify_event: None,
                notify_pending: false,
                watchers: Watchers::default(),
            }),
        });
        debug::note_base_created();
        if base.lock.is_some() && base.make_notifiable().is_err() {
            log::warn(format_args!(
                "event_base_new_with_config: unable to make base notifiable."
            ));
            return None;
        }
        Some(base)
    }

    fn held(&self) -> Held<'_> {
        if let Some(lock) = &self.lock {
            lock.lock();
        }
        Held(self)
    }

    /// The state, for the holder of the lock.
    ///
    /// # Safety
    /// The caller holds the base lock (or the base has none and is used from one
    /// thread), and no other borrow of the state is alive.
    #[allow(clippy::mut_from_ref)]
    unsafe fn state(&self) -> &mut State {
        // SAFETY: exclusive access is the caller's guarantee.
        unsafe { &mut *self.state.get() }
    }

    /// The poller, for the holder of the lock while the loop is not waiting on it.
    ///
    /// # Safety
    /// As [`Base::state`], and `poller_busy` is clear (or the caller is the waiting loop).
    #[allow(clippy::mut_from_ref)]
    unsafe fn poller(&self) -> &mut AnyPoller {
        // SAFETY: exclusive access is the caller's guarantee.
        unsafe { &mut *self.poller.get() }
    }

    pub fn method(&self) -> &'static str {
        self.method
    }

    pub fn features(&self) -> Features {
        self.features
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    pub fn signal_method(&self) -> &'static str {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        match &st.signal_receiver {
            Some(r) => r.method().name(),
            None => self.preferred_signal_method().name(),
        }
    }

    fn preferred_signal_method(&self) -> SignalMethod {
        let disallowed = self.flags & flag::DISALLOW_SIGNALFD != 0
            || (self.flags & flag::IGNORE_ENV == 0 && env_set("EVENT_DISALLOW_SIGNALFD"));
        if disallowed || !cfg!(target_os = "linux") {
            SignalMethod::Sigaction
        } else {
            SignalMethod::Signalfd
        }
    }

    /// The base's pointer as stored in events.
    fn as_ptr(&self) -> *const Base {
        self
    }

    // ----- time -----------------------------------------------------------------

    fn read_clock(&self, st: &mut State) -> Tv {
        let (sec, usec) = self.clock.now_micros();
        let now = Tv { sec, usec };
        if now.sec >= st.last_clock_sync.saturating_add(CLOCK_SYNC_INTERVAL_SECS) {
            st.wall_minus_mono = wall_clock().minus(now);
            st.last_clock_sync = now.sec;
        }
        now
    }

    fn now(&self, st: &mut State) -> Tv {
        match st.cached_now {
            Some(t) => t,
            None => self.read_clock(st),
        }
    }

    fn update_cached_time(&self, st: &mut State) {
        st.cached_now = None;
        if self.flags & flag::NO_CACHE_TIME == 0 {
            st.cached_now = Some(self.read_clock(st));
        }
    }

    /// `event_base_gettimeofday_cached`.
    pub fn gettimeofday_cached(&self) -> Tv {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        match st.cached_now {
            Some(mono) => mono.plus(st.wall_minus_mono),
            None => wall_clock(),
        }
    }

    /// `event_base_update_cache_time`: refreshes the cached time of a running loop.
    pub fn update_cache_time(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        if st.running_loop {
            self.update_cached_time(st);
        }
    }

    /// `event_gettime_monotonic`.
    pub fn monotonic_now(&self) -> Tv {
        let (sec, usec) = self.clock.now_micros();
        Tv { sec, usec }
    }

    // ----- priorities -------------------------------------------------------------

    /// `event_base_priority_init`.
    pub fn priority_init(&self, n: i32) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        let Ok(n) = usize::try_from(n) else {
            return Err(EventError::Invalid);
        };
        if st.active_count > 0 || !(1..MAX_PRIORITIES).contains(&n) {
            return Err(EventError::Invalid);
        }
        if n != st.active.len() {
            st.active = (0..n).map(|_| CallbackQueue::default()).collect();
        }
        Ok(())
    }

    pub fn priorities(&self) -> usize {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        unsafe { self.state() }.active.len()
    }

    /// The priority events get when assigned to this base.
    pub fn default_priority(&self) -> u8 {
        (self.priorities() / 2) as u8
    }

    // ----- counting -----------------------------------------------------------------

    /// Counts a non-internal callback entering (+1) or leaving (-1) one of the base's
    /// structures (fd/signal lists, timeouts, active queues), as libevent counts "added".
    #[inline]
    fn count_inserted(st: &mut State, flags: u16, delta: isize) {
        if flags & list::INTERNAL == 0 {
            st.event_count = st.event_count.wrapping_add_signed(delta);
            if delta > 0 {
                st.event_count_max = st.event_count_max.max(st.event_count);
            }
        }
    }

    /// Counts any callback entering or leaving the active queues.
    #[inline]
    fn count_active(st: &mut State, flags: u16, delta: isize) {
        Self::count_inserted(st, flags, delta);
        st.active_count = st.active_count.wrapping_add_signed(delta);
        if delta > 0 {
            st.active_count_max = st.active_count_max.max(st.active_count);
        }
    }

    /// `event_base_get_num_events`.
    pub fn num_events(&self, which: u32) -> usize {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        let mut n = 0;
        if which & count::ACTIVE != 0 {
            n += st.active_count;
        }
        if which & count::VIRTUAL != 0 {
            n += st.virtual_count;
        }
        if which & count::ADDED != 0 {
            n += st.event_count;
        }
        n
    }

    /// `event_base_get_max_events`.
    pub fn max_events(&self, which: u32, clear: bool) -> usize {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        let mut n = 0;
        if which & count::ACTIVE != 0 {
            n += st.active_count_max;
            if clear {
                st.active_count_max = 0;
            }
        }
        if which & count::VIRTUAL != 0 {
            n += st.virtual_count_max;
            if clear {
                st.virtual_count_max = 0;
            }
        }
        if which & count::ADDED != 0 {
            n += st.event_count_max;
            if clear {
                st.event_count_max = 0;
            }
        }
        n
    }

    /// Keeps the loop from exiting for lack of events (used by deferred work).
    pub fn add_virtual(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        st.virtual_count += 1;
        st.virtual_count_max = st.virtual_count_max.max(st.virtual_count);
    }

    pub fn del_virtual(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        st.virtual_count = st.virtual_count.saturating_sub(1);
        if st.virtual_count == 0 {
            self.notify_if_needed(st);
        }
    }

    // ----- threads ------------------------------------------------------------------

    /// `evthread_make_base_notifiable`: lets other threads wake the loop.
    pub fn make_notifiable(&self) -> io::Result<()> {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        if st.notifier.is_some() {
            return Ok(());
        }
        let notifier = Notifier::new()?;
        let mut event = new_internal_event(self, notifier.fd(), ev::READ | ev::PERSIST, on_notify);
        let raw = NonNull::from(&mut *event);
        // SAFETY: the boxed event lives in the state until the base is dropped.
        unsafe { self.add_nolock(st, raw, None, false) }
            .map_err(|_| io::Error::other("cannot watch the notification fd"))?;
        st.notifier = Some(notifier);
        st.notify_event = Some(event);
        Ok(())
    }

    #[inline]
    fn notify_if_needed(&self, st: &mut State) {
        // Only a shared (locked) base can be changed from another thread.
        if self.lock.is_some()
            && st.running_loop
            && st.owner_thread != thread::current_thread_id()
            && !st.notify_pending
        {
            if let Some(n) = &st.notifier {
                st.notify_pending = true;
                n.notify();
            }
        }
    }

    fn in_loop_thread(&self, st: &State) -> bool {
        !st.running_loop || st.owner_thread == thread::current_thread_id()
    }

    // ----- adding and deleting ------------------------------------------------------

    /// `event_add`.
    ///
    /// # Safety
    /// `event` points to a live event assigned to this base, which stays live while it
    /// is pending or active.
    pub unsafe fn add(&self, event: NonNull<Event>, timeout: Option<Tv>) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held; the event is live (caller's guarantee).
        unsafe { self.add_nolock(self.state(), event, timeout, false) }
    }

    /// # Safety
    /// As [`Base::add`], with the lock held.
    unsafe fn add_nolock(
        &self,
        st: &mut State,
        event: NonNull<Event>,
        timeout: Option<Tv>,
        absolute: bool,
    ) -> Result<(), EventError> {
        // SAFETY: the event is live and we hold the state.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.flags & list::FINALIZING != 0 {
            return Err(EventError::Finalizing);
        }
        let kinds = e.events & (ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL);
        let placed = e.callback.flags & (list::INSERTED | list::ACTIVE | list::ACTIVE_LATER);
        if kinds != 0 && placed == 0 {
            if e.events & ev::SIGNAL != 0 {
                // SAFETY: the event is live until deleted.
                unsafe { self.signal_insert(st, event) }?;
            } else {
                // SAFETY: as above.
                unsafe { self.io_insert(st, event) }?;
            }
            e.callback.flags |= list::INSERTED;
            Self::count_inserted(st, e.callback.flags, 1);
        }

        if let Some(tv) = timeout {
            let tag = common::queue_index(tv.usec).filter(|&i| i < st.common_timeouts.len());
            let span = Tv::normalized(tv.sec, tv.usec & common::MICROSECONDS_MASK);
            if e.callback.closure == Closure::Persist as u8 && !absolute {
                e.kind.extra.persist_timeout = tv.to_timeval_raw();
                if tv != Tv::ZERO {
                    e.callback.flags |= list::PERSIST_TIMEOUT;
                }
            }
            if e.callback.flags & list::TIMEOUT != 0 {
                // SAFETY: the event is in a timeout structure of this base.
                unsafe { self.timeout_remove(st, event) };
            }
            // Re-adding an event whose timeout already fired: it is not due any more.
            if e.callback.flags & list::ACTIVE != 0 && e.res & ev::TIMEOUT != 0 {
                if e.events & ev::SIGNAL != 0 {
                    // SAFETY: pncalls, when set, points at the running loop's counter.
                    unsafe { stop_signal_calls(e) };
                }
                // SAFETY: the event is in its priority's queue.
                unsafe { self.active_remove(st, event) };
            }
            let deadline = if absolute {
                span
            } else {
                self.now(st).plus(span)
            };
            match tag {
                Some(index) => {
                    e.timeout = Tv {
                        sec: deadline.sec,
                        usec: common::encode(index, deadline.usec),
                    }
                    .to_timeval_raw();
                    e.callback.flags |= list::TIMEOUT;
                    Self::count_inserted(st, e.callback.flags, 1);
                    let queue = &mut st.common_timeouts[index];
                    // SAFETY: the event is live and in no timeout structure now.
                    unsafe { queue.events.push_back(event) };
                    if queue.events.first() == Some(event) {
                        let timer = NonNull::from(&mut *queue.timer);
                        // SAFETY: the queue's timer lives as long as the base.
                        unsafe { self.add_nolock(st, timer, Some(deadline), true) }?;
                    }
                }
                None => {
                    e.timeout = deadline.to_timeval_raw();
                    e.callback.flags |= list::TIMEOUT;
                    Self::count_inserted(st, e.callback.flags, 1);
                    // SAFETY: the event is live and in no timeout structure now.
                    unsafe { st.timers.push(deadline, event) };
                }
            }
        }
        self.notify_if_needed(st);
        debug::note_added(event);
        Ok(())
    }

    /// # Safety
    /// The event is live and not inserted.
    unsafe fn io_insert(&self, st: &mut State, event: NonNull<Event>) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        // As in libevent, an event on fd -1 is pending but watches nothing (a socket
        // bufferevent is enabled before it has a socket).
        let Ok(fd) = usize::try_from(e.fd) else {
            return Ok(());
        };
        let edge = e.events & ev::ET != 0;
        if edge && !self.features.contains(Features::ET) {
            log::warn(format_args!(
                "event_add: the {} backend has no edge-triggered mode",
                self.method
            ));
            return Err(EventError::Invalid);
        }
        // An fd beyond the table gets an entry only once the poller accepted it, so a
        // bogus huge fd costs nothing.
        let mut fresh = FdEntry::default();
        let entry = match st.fds.get_mut(fd) {
            Some(entry) => entry,
            None => &mut fresh,
        };
        if !entry.events.is_empty() && entry.edge != edge {
            log::warn(format_args!(
                "Tried to mix edge-triggered and non-edge-triggered events on fd {fd}"
            ));
            return Err(EventError::Invalid);
        }
        entry.edge = edge;
        entry.count(e.events, 1);
        let (old, wanted) = (entry.interest, entry.wanted());
        if wanted != old {
            if let Err(err) = self.poller_change(st, e.fd, old, wanted) {
                if let Some(entry) = st.fds.get_mut(fd) {
                    entry.count(e.events, -1);
                }
                log::warn(format_args!("event_add: cannot watch fd {}: {err}", e.fd));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        if fd >= st.fds.len() {
            st.fds.resize_with(fd + 1, FdEntry::default);
            st.fds[fd] = fresh;
        }
        st.fds[fd].interest = wanted;
        // SAFETY: the event is live and in no fd list.
        unsafe { st.fds[fd].events.push_front(event) };
        Ok(())
    }

    /// Asks the poller to watch `fd` for `new` instead of `old`, or queues the change
    /// while the loop is waiting on the poller in another thread.
    #[inline]
    fn poller_change(
        &self,
        st: &mut State,
        fd: RawFd,
        old: Interest,
        new: Interest,
    ) -> io::Result<()> {
        if st.poller_busy {
            st.pending_changes.push((fd, old, new));
            Ok(())
        } else {
            // SAFETY: the lock is held and the loop is not waiting on the poller.
            unsafe { self.poller() }.change(fd, old, new)
        }
    }

    /// Applies the changes queued while the poller was busy.
    fn apply_pending_changes(&self, st: &mut State) {
        for (fd, old, new) in std::mem::take(&mut st.pending_changes) {
            // SAFETY: the lock is held and the loop is not waiting on the poller.
            if let Err(err) = unsafe { self.poller() }.change(fd, old, new) {
                log::warn(format_args!(
                    "cannot change what fd {fd} is watched for: {err}"
                ));
                if let Some(entry) = usize::try_from(fd).ok().and_then(|i| st.fds.get_mut(i)) {
                    entry.interest = old;
                }
            }
        }
    }

    /// # Safety
    /// The event is live and inserted on its fd.
    unsafe fn io_remove(&self, st: &mut State, event: NonNull<Event>) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        let Ok(fd) = usize::try_from(e.fd) else {
            return Ok(());
        };
        let entry = &mut st.fds[fd];
        // SAFETY: the event is in this fd's list.
        unsafe { entry.events.remove(event) };
        entry.count(e.events, -1);
        let wanted = entry.wanted();
        if wanted != entry.interest {
            let old = entry.interest;
            entry.interest = wanted;
            if let Err(err) = self.poller_change(st, e.fd, old, wanted) {
                log::warn(format_args!("event_del: cannot change fd {}: {err}", e.fd));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        Ok(())
    }

    /// # Safety
    /// The event is live and not inserted.
    unsafe fn signal_insert(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        let signo = e.fd;
        let Ok(index) = usize::try_from(signo) else {
            return Err(EventError::Invalid);
        };
        if st.signal_receiver.is_none() {
            let receiver = SignalReceiver::new(self.preferred_signal_method())
                .or_else(|_| SignalReceiver::new(SignalMethod::Sigaction))
                .map_err(|err| {
                    log::warn(format_args!("event_add: cannot receive signals: {err}"));
                    EventError::Os(err.raw_os_error().unwrap_or(0))
                })?;
            let mut internal =
                new_internal_event(self, receiver.fd(), ev::READ | ev::PERSIST, on_signal_fd);
            internal.callback.priority = 0;
            let raw = NonNull::from(&mut *internal);
            st.signal_receiver = Some(receiver);
            st.signal_event = Some(internal);
            // SAFETY: the boxed internal event lives in the state.
            unsafe { self.add_nolock(st, raw, None, false) }?;
        }
        if index >= st.signals.len() {
            st.signals.resize_with(index + 1, EventList::default);
        }
        if st.signals[index].is_empty() {
            let receiver = st.signal_receiver.as_mut().expect("created above");
            if let Err(err) = receiver.watch(signo) {
                log::warn(format_args!(
                    "event_add: cannot watch signal {signo}: {err}"
                ));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        // SAFETY: the event is live and in no signal list.
        unsafe { st.signals[index].push_front(event) };
        Ok(())
    }

    /// # Safety
    /// The event is live and inserted on its signal.
    unsafe fn signal_remove(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let signo = unsafe { (*event.as_ptr()).fd };
        let list = &mut st.signals[signo as usize];
        // SAFETY: the event is in this signal's list.
        unsafe { list.remove(event) };
        if list.is_empty() {
            if let Some(receiver) = st.signal_receiver.as_mut() {
                let _ = receiver.unwatch(signo);
            }
        }
    }

    /// # Safety
    /// The event is live and in one of this base's timeout structures.
    unsafe fn timeout_remove(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        e.callback.flags &= !list::TIMEOUT;
        Self::count_inserted(st, e.callback.flags, -1);
        match common::queue_index(e.timeout.tv_usec).filter(|&i| i < st.common_timeouts.len()) {
            Some(index) => {
                // SAFETY: the event is in that queue (its tag says so).
                unsafe { st.common_timeouts[index].events.remove(event) };
            }
            None => {
                // SAFETY: the event is in the heap at its recorded index.
                unsafe { st.timers.remove(e.timeout_pos.heap_index) };
                e.timeout_pos.heap_index = usize::MAX;
            }
        }
    }

    /// `event_del`, `event_del_block`, `event_del_noblock`.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn del(&self, event: NonNull<Event>, mode: DelMode) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held; the event is live.
        unsafe { self.del_nolock(event, mode) }
    }

    /// # Safety
    /// As [`Base::del`], with the lock held. May release and retake the lock while
    /// waiting for the event's callback in another thread.
    unsafe fn del_nolock(&self, event: NonNull<Event>, mode: DelMode) -> Result<(), EventError> {
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let events = unsafe { (*event.as_ptr()).events };
        let wait = match mode {
            DelMode::NoBlock => false,
            DelMode::Block => true,
            DelMode::Auto => events & ev::FINALIZE == 0,
        };
        if wait && st.current == Event::as_callback(event).as_ptr() && !self.in_loop_thread(st) {
            self.wait_for_current(event.cast());
        }
        // SAFETY: the lock is held; waiting ended every earlier borrow.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        unsafe { self.remove_everywhere(st, event) }
    }

    /// Waits, with the lock held, until the callback of `cb` is no longer running.
    fn wait_for_current(&self, cb: NonNull<EventCallback>) {
        let (Some(lock), Some(cond)) = (&self.lock, &self.wait_for_callback) else {
            return;
        };
        loop {
            // SAFETY: the lock is held; the borrow ends before waiting.
            let st = unsafe { self.state() };
            if st.current != cb.as_ptr() {
                return;
            }
            st.current_waiters += 1;
            cond.wait(lock, None);
        }
    }

    /// Takes the event out of every structure of the base.
    ///
    /// # Safety
    /// The event is live; the lock is held.
    unsafe fn remove_everywhere(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        if e.base.is_null() {
            log::warn(format_args!("event_del: event has no event_base set."));
            return Err(EventError::NoBase);
        }
        if e.events & ev::SIGNAL != 0 {
            // SAFETY: pncalls, when set, points at the running loop's counter.
            unsafe { stop_signal_calls(e) };
        }
        if e.callback.flags & list::TIMEOUT != 0 {
            // SAFETY: the event is in a timeout structure.
            unsafe { self.timeout_remove(st, event) };
        }
        if e.callback.flags & list::ACTIVE != 0 {
            // SAFETY: the event is in its priority's queue.
            unsafe { self.active_remove(st, event) };
        } else if e.callback.flags & list::ACTIVE_LATER != 0 {
            // SAFETY: the event is in the active-later queue.
            unsafe { self.active_later_remove(st, Event::as_callback(event)) };
        }
        let mut result = Ok(());
        if e.callback.flags & list::INSERTED != 0 {
            e.callback.flags &= !list::INSERTED;
            Self::count_inserted(st, e.callback.flags, -1);
            if e.events & ev::SIGNAL != 0 {
                // SAFETY: the event is in its signal's list.
                unsafe { self.signal_remove(st, event) };
            } else {
                // SAFETY: the event is in its fd's list.
                result = unsafe { self.io_remove(st, event) };
            }
        }
        self.notify_if_needed(st);
        debug::note_deleted(event);
        result
    }

    /// `event_remove_timer`: cancels the timeout only.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn remove_timer(&self, event: NonNull<Event>) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.flags & list::TIMEOUT != 0 {
            // SAFETY: the event is in a timeout structure.
            unsafe { self.timeout_remove(st, event) };
            e.timeout = Tv::ZERO.to_timeval_raw();
        }
        Ok(())
    }

    // ----- activation ---------------------------------------------------------------

    /// Queues a bare callback (`Closure::SelfCallback`) to run from the loop, as the
    /// deferred callbacks of buffers do. Returns false when it is already queued.
    ///
    /// # Safety
    /// `cb` stays live and at the same address until it has run or been cancelled.
    pub unsafe fn schedule_callback(&self, cb: NonNull<EventCallback>) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        if c.flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
            return false;
        }
        c.flags |= list::INTERNAL | list::INIT;
        // SAFETY: live, and in no queue as just checked.
        unsafe { self.active_insert(st, cb) };
        self.notify_if_needed(st);
        true
    }

    /// Takes a bare callback queued by [`Base::schedule_callback`] off its queue.
    /// Returns false when it was not queued.
    ///
    /// # Safety
    /// `cb` is live.
    pub unsafe fn cancel_callback(&self, cb: NonNull<EventCallback>) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        if c.flags & list::ACTIVE != 0 {
            c.flags &= !list::ACTIVE;
            Self::count_active(st, c.flags, -1);
            let priority = usize::from(c.priority).min(st.active.len() - 1);
            // SAFETY: the callback is in that queue.
            unsafe { st.active[priority].remove(cb) };
            true
        } else if c.flags & list::ACTIVE_LATER != 0 {
            // SAFETY: the callback is in the active-later queue.
            unsafe { self.active_later_remove(st, cb) };
            true
        } else {
            false
        }
    }

    /// `event_active`.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn activate(&self, event: NonNull<Event>, res: c_short, ncalls: c_short) {
        let _held = self.held();
        // SAFETY: the lock is held; the event is live.
        unsafe { self.activate_nolock(self.state(), event, res, ncalls) };
    }

    /// # Safety
    /// The event is live; the lock is held.
    #[inline]
    unsafe fn activate_nolock(
        &self,
        st: &mut State,
        event: NonNull<Event>,
        res: c_short,
        ncalls: c_short,
    ) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        let flags = e.callback.flags;
        if flags & list::FINALIZING != 0 {
            return;
        }
        if flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
            e.res |= res;
            return;
        }
        e.res = res;
        if st
            .running_priority
            .is_some_and(|p| usize::from(e.callback.priority) < p)
        {
            st.continue_now = true;
        }
        if e.events & ev::SIGNAL != 0 {
            e.kind.extra.signal = super::raw::SignalCalls {
                ncalls,
                pncalls: ptr::null_mut(),
            };
        }
        // SAFETY: the event is live and in no queue.
        unsafe { self.active_insert(st, Event::as_callback(event)) };
        self.notify_if_needed(st);
    }

    /// # Safety
    /// `cb` is live and in no queue.
    #[inline]
    unsafe fn active_insert(&self, st: &mut State, cb: NonNull<EventCallback>) {
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        c.flags |= list::ACTIVE;
        Self::count_active(st, c.flags, 1);
        let priority = usize::from(c.priority).min(st.active.len() - 1);
        // SAFETY: `cb` is live and in no queue.
        unsafe { st.active[priority].push_back(cb) };
    }

    /// # Safety
    /// The event is live and in its priority's active queue.
    #[inline]
    unsafe fn active_remove(&self, st: &mut State, event: NonNull<Event>) {
        let cb = Event::as_callback(event);
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        c.flags &= !list::ACTIVE;
        Self::count_active(st, c.flags, -1);
        let priority = usize::from(c.priority).min(st.active.len() - 1);
        // SAFETY: the callback is in that queue.
        unsafe { st.active[priority].remove(cb) };
    }

    /// # Safety
    /// `cb` is live and in the active-later queue.
    unsafe fn active_later_remove(&self, st: &mut State, cb: NonNull<EventCallback>) {
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        c.flags &= !list::ACTIVE_LATER;
        Self::count_active(st, c.flags, -1);
        // SAFETY: the callback is in that queue.
        unsafe { st.active_later.remove(cb) };
    }

    /// `event_base_active_by_fd`.
    pub fn activate_fd(&self, fd: RawFd, events: c_short) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if events & ev::TIMEOUT == 0 {
            // SAFETY: the lock is held.
            unsafe { self.activate_io(st, fd, events & (ev::READ | ev::WRITE | ev::CLOSED)) };
            return;
        }
        let mut due: Vec<NonNull<Event>> = st.timers.iter().collect();
        for queue in &st.common_timeouts {
            due.extend(queue.events.to_vec());
        }
        for event in due {
            // SAFETY: events in timeout structures are live.
            if unsafe { (*event.as_ptr()).fd } == fd {
                // SAFETY: as above; the lock is held.
                unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
            }
        }
    }

    /// Activates the events of `fd` that wait for any of `what`.
    ///
    /// # Safety
    /// The lock is held.
    #[inline]
    unsafe fn activate_io(&self, st: &mut State, fd: RawFd, what: c_short) {
        let Some(entry) = usize::try_from(fd).ok().and_then(|i| st.fds.get(i)) else {
            return;
        };
        let mut cursor = entry.events.first();
        while let Some(event) = cursor {
            // SAFETY: list members are live.
            unsafe {
                cursor = EventList::next(event);
                let events = (*event.as_ptr()).events;
                if events & what & !ev::ET != 0 {
                    self.activate_nolock(st, event, events & what, 1);
                }
            }
        }
    }

    /// `event_base_active_by_signal`.
    pub fn activate_signal(&self, signo: i32) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the lock is held.
        unsafe { self.activate_signal_nolock(st, signo, 1) };
    }

    /// # Safety
    /// The lock is held.
    unsafe fn activate_signal_nolock(&self, st: &mut State, signo: i32, count: u32) {
        let Some(list) = usize::try_from(signo).ok().and_then(|i| st.signals.get(i)) else {
            return;
        };
        let ncalls = c_short::try_from(count).unwrap_or(c_short::MAX);
        for event in list.to_vec() {
            // SAFETY: list members are live; the lock is held.
            unsafe { self.activate_nolock(st, event, ev::SIGNAL, ncalls) };
        }
    }

    /// `event_finalize` / `event_free_finalize`: deletes the event without waiting and
    /// queues `finalizer` to run in the loop; with `free_after`, the event (from
    /// `event_new`) is freed after it.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn finalize(
        &self,
        event: NonNull<Event>,
        finalizer: Option<super::raw::EventFinalizeFn>,
        free_after: bool,
    ) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held; the event is live.
        let st = unsafe { self.state() };
        // SAFETY: as above.
        unsafe { self.remove_everywhere(st, event) }?;
        // SAFETY: the event is live.
        let e = unsafe { &mut *event.as_ptr() };
        e.callback.closure = if free_after {
            Closure::EventFinalizeFree
        } else {
            Closure::EventFinalize
        } as u8;
        e.callback.function = CallbackFn {
            event_finalize: finalizer,
        };
        // SAFETY: the event is live; the lock is held.
        unsafe { self.activate_nolock(st, event, ev::FINALIZE, 1) };
        e.callback.flags |= list::FINALIZING;
        Ok(())
    }

    /// `event_priority_set`: refused while the event is active or out of range.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn set_priority(
        &self,
        event: NonNull<Event>,
        priority: i32,
    ) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.flags & list::ACTIVE != 0 {
            return Err(EventError::Invalid);
        }
        match u8::try_from(priority) {
            Ok(p) if usize::from(p) < st.active.len() => {
                e.callback.priority = p;
                Ok(())
            }
            _ => Err(EventError::Invalid),
        }
    }

    // ----- inspection ---------------------------------------------------------------

    /// `event_pending`: which of `what` the event waits for or has been activated with,
    /// and when its timeout fires on the wall clock.
    ///
    /// # Safety
    /// `event` points to a live, assigned event.
    pub unsafe fn pending(&self, event: NonNull<Event>, what: c_short) -> (c_short, Option<Tv>) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let e = unsafe { &*event.as_ptr() };
        let mut flags = 0;
        if e.callback.flags & list::INSERTED != 0 {
            flags |= e.events & (ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL);
        }
        if e.callback.flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
            flags |= e.res;
        }
        if e.callback.flags & list::TIMEOUT != 0 {
            flags |= ev::TIMEOUT;
        }
        let flags = flags & (what & (ev::TIMEOUT | ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL));
        let when = (flags & ev::TIMEOUT != 0).then(|| {
            let mono = Tv::normalized(
                e.timeout.tv_sec,
                e.timeout.tv_usec & common::MICROSECONDS_MASK,
            );
            self.read_clock(st);
            mono.plus(st.wall_minus_mono)
        });
        (flags, when)
    }

    /// `event_base_get_running_event`: the event whose callback runs now in the loop's
    /// thread, if it is an event.
    pub fn running_event(&self) -> Option<NonNull<Event>> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if !st.running_loop || st.owner_thread != thread::current_thread_id() {
            return None;
        }
        let cb = NonNull::new(st.current)?;
        // SAFETY: the running callback is live until it returns.
        let closure = Closure::from_raw(unsafe { cb.as_ref() }.closure);
        matches!(closure, Closure::Event | Closure::Signal | Closure::Persist).then(|| cb.cast())
    }

    /// Every non-internal event that is added or active, for `event_base_foreach_event`
    /// and `event_base_dump_events`; inserted ones first, then pure timers, then
    /// events that are only active.
    fn visible_events(&self, st: &State) -> (Vec<NonNull<Event>>, Vec<NonNull<Event>>) {
        let visible = |e: &NonNull<Event>| {
            // SAFETY: events in the base's structures are live.
            unsafe { e.as_ref() }.callback.flags & list::INTERNAL == 0
        };
        let mut inserted = Vec::new();
        for entry in &st.fds {
            inserted.extend(entry.events.to_vec().into_iter().filter(visible));
        }
        for list in &st.signals {
            inserted.extend(list.to_vec().into_iter().filter(visible));
        }
        let not_inserted = |e: &NonNull<Event>| {
            // SAFETY: as above.
            unsafe { e.as_ref() }.callback.flags & list::INSERTED == 0
        };
        inserted.extend(st.timers.iter().filter(visible).filter(not_inserted));
        for queue in &st.common_timeouts {
            inserted.extend(
                queue
                    .events
                    .to_vec()
                    .into_iter()
                    .filter(visible)
                    .filter(not_inserted),
            );
        }
        let mut active = Vec::new();
        for queue in st.active.iter().chain(std::iter::once(&st.active_later)) {
            for cb in queue.to_vec() {
                // SAFETY: queued callbacks are live.
                let c = unsafe { cb.as_ref() };
                let is_event = matches!(
                    Closure::from_raw(c.closure),
                    Closure::Event | Closure::Signal | Closure::Persist
                );
                if is_event && c.flags & list::INTERNAL == 0 {
                    active.push(cb.cast());
                }
            }
        }
        (inserted, active)
    }

    /// `event_base_foreach_event`: calls `f` on each event until it returns non-zero.
    /// `f` must not add or delete events (libevent's rule); the lock is held.
    pub fn foreach_event(&self, mut f: impl FnMut(NonNull<Event>) -> i32) -> i32 {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        let only_active = active.into_iter().filter(|e| {
            // SAFETY: queued events are live.
            unsafe { e.as_ref() }.callback.flags & (list::INSERTED | list::TIMEOUT) == 0
        });
        for event in inserted.into_iter().chain(only_active) {
            let r = f(event);
            if r != 0 {
                return r;
            }
        }
        0
    }

    /// `event_base_dump_events`: a description of every added and active event.
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        self.read_clock(st);
        let mut out = String::from("Inserted events:\n");
        for event in inserted {
            // SAFETY: the base's events are live.
            let e = unsafe { event.as_ref() };
            let kind = if e.events & ev::SIGNAL != 0 {
                "sig"
            } else {
                "fd "
            };
            let _ = write!(out, "  {:p} [{kind} {}]", event.as_ptr(), e.fd);
            for (bit, name) in [
                (ev::READ, " Read"),
                (ev::WRITE, " Write"),
                (ev::CLOSED, " EOF"),
                (ev::SIGNAL, " Signal"),
                (ev::PERSIST, " Persist"),
                (ev::ET, " ET"),
            ] {
                if e.events & bit != 0 {
                    out.push_str(name);
                }
            }
            if e.callback.flags & list::TIMEOUT != 0 {
                let mono = Tv::normalized(
                    e.timeout.tv_sec,
                    e.timeout.tv_usec & common::MICROSECONDS_MASK,
                );
                let wall = mono.plus(st.wall_minus_mono);
                let _ = write!(out, " Timeout={}.{:06}", wall.sec, wall.usec);
            }
            out.push('\n');
        }
        out.push_str("Active events:\n");
        for event in active {
            // SAFETY: the base's events are live.
            let e = unsafe { event.as_ref() };
            let kind = if e.events & ev::SIGNAL != 0 {
                "sig"
            } else {
                "fd "
            };
            let _ = write!(
                out,
                "  {:p} [{kind} {}, priority={}]",
                event.as_ptr(),
                e.fd,
                e.callback.priority
            );
            for (bit, name) in [
                (ev::READ, " Read"),
                (ev::WRITE, " Write"),
                (ev::CLOSED, " EOF"),
                (ev::SIGNAL, " Signal"),
                (ev::TIMEOUT, " Timeout"),
            ] {
                if e.res & bit != 0 {
                    out.push_str(name);
                }
            }
            let later = if e.callback.flags & list::ACTIVE_LATER != 0 {
                " [NextTime]"
            } else {
                ""
            };
            let _ = writeln!(out, " active{later}");
        }
        out
    }

    // ----- common timeouts ----------------------------------------------------------

    /// `event_base_init_common_timeout`: a tagged duration to pass to `event_add` for
    /// many events with the same timeout, or None when the base has too many.
    pub fn init_common_timeout(&self, duration: Tv) -> Option<*const libc::timeval> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if let Some(index) = common::queue_index(duration.usec) {
            return st
                .common_timeouts
                .get(index)
                .map(|q| &q.duration as *const libc::timeval);
        }
        let duration = Tv::normalized(duration.sec, duration.usec);
        for queue in &st.common_timeouts {
            let known = Tv::normalized(
                queue.duration.tv_sec,
                queue.duration.tv_usec & common::MICROSECONDS_MASK,
            );
            if known == duration {
                return Some(&queue.duration);
            }
        }
        let index = st.common_timeouts.len();
        if index >= common::MAX_QUEUES {
            log::warn(format_args!(
                "event_base_init_common_timeout: Too many common timeouts already in use; we only support {}",
                common::MAX_QUEUES
            ));
            return None;
        }
        let mut queue = Box::new(CommonTimeout {
            duration: Tv {
                sec: duration.sec,
                usec: common::encode(index, duration.usec),
            }
            .to_timeval_raw(),
            events: TimeoutQueue::default(),
            // SAFETY: placeholder replaced right below, before any use.
            timer: new_internal_event(self, -1, 0, on_common_timeout),
        });
        let queue_ptr: *mut CommonTimeout = &mut *queue;
        queue.timer.callback.arg = queue_ptr.cast();
        queue.timer.callback.priority = 0;
        st.common_timeouts.push(queue);
        st.common_timeouts
            .last()
            .map(|q| &q.duration as *const libc::timeval)
    }

    /// Runs when a common-timeout queue's first event is due.
    fn expire_common_timeouts(&self, queue: *mut CommonTimeout) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let now = self.now(st);
        // SAFETY: the queue is one of this base's boxed queues, alive with the base.
        let queue = unsafe { &mut *queue };
        while let Some(event) = queue.events.first() {
            // SAFETY: queued events are live.
            let e = unsafe { &mut *event.as_ptr() };
            let due = Tv::normalized(
                e.timeout.tv_sec,
                e.timeout.tv_usec & common::MICROSECONDS_MASK,
            );
            if due > now {
                let timer = NonNull::from(&mut *queue.timer);
                // SAFETY: the queue's timer lives with the base.
                let _ = unsafe { self.add_nolock(st, timer, Some(due), true) };
                break;
            }
            // SAFETY: the event is live and ours.
            unsafe { self.expire(st, event) };
        }
    }

    /// A timeout fired: deletes (or, for persistent events, only un-times) the event
    /// and activates it with `EV_TIMEOUT` alone.
    ///
    /// # Safety
    /// The event is live and in a timeout structure; the lock is held.
    unsafe fn expire(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.closure == Closure::Persist as u8 {
            // SAFETY: the event is in a timeout structure / its active queue.
            unsafe {
                self.timeout_remove(st, event);
                if e.callback.flags & list::ACTIVE != 0 {
                    self.active_remove(st, event);
                }
            }
        } else {
            // SAFETY: the event is live.
            let _ = unsafe { self.remove_everywhere(st, event) };
        }
        // SAFETY: as above.
        unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
    }

    fn process_timeouts(&self, st: &mut State) {
        if st.timers.is_empty() {
            return;
        }
        let now = self.now(st);
        while let Some((deadline, event)) = st.timers.peek() {
            if deadline > now {
                break;
            }
            // SAFETY: heap events are live; the lock is held.
            unsafe { self.expire(st, event) };
        }
    }

    // ----- one-shot events ------------------------------------------------------------

    /// `event_base_once`.
    pub fn once(
        &self,
        fd: RawFd,
        events: c_short,
        callback: Option<EventCallbackFn>,
        arg: *mut c_void,
        timeout: Option<Tv>,
    ) -> Result<(), EventError> {
        if events & (ev::SIGNAL | ev::PERSIST) != 0 {
            return Err(EventError::Invalid);
        }
        let mut once = Box::new(OnceEvent {
            // SAFETY: replaced by `assign` right below.
            event: zeroed_event(),
            callback,
            arg,
            base: self,
        });
        let once_ptr: *mut OnceEvent = &mut *once;
        let io = events & (ev::READ | ev::WRITE | ev::CLOSED);
        let kind = if io != 0 { io } else { 0 };
        assign(
            &mut once.event,
            Some(self),
            fd,
            kind,
            Some(on_once),
            once_ptr.cast(),
        )?;
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let raw = Box::into_raw(once);
        // SAFETY: `raw` is a live box until `on_once` or base teardown frees it.
        let event = unsafe { NonNull::from(&mut (*raw).event) };
        let immediate = io == 0 && timeout.is_none_or(|t| t == Tv::ZERO);
        let result = if immediate {
            // SAFETY: the event is live; the lock is held.
            unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
            Ok(())
        } else {
            // SAFETY: as above.
            unsafe { self.add_nolock(st, event, timeout, false) }
        };
        match result {
            Ok(()) => {
                st.once_events.push(raw);
                Ok(())
            }
            Err(e) => {
                // SAFETY: `raw` came from Box::into_raw and was not queued.
                drop(unsafe { Box::from_raw(raw) });
                Err(e)
            }
        }
    }

    /// `event_base_loopexit`: ends the loop after `timeout` (after the current round of
    /// callbacks when None).
    pub fn loopexit(&self, timeout: Option<Tv>) -> Result<(), EventError> {
        self.once(
            -1,
            ev::TIMEOUT,
            Some(on_loopexit),
            self.as_ptr() as *mut c_void,
            timeout,
        )
    }

    /// `event_base_loopbreak`.
    pub fn loopbreak(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.got_break = true;
        st.stop_dispatch = true;
        self.notify_if_needed(st);
    }

    /// `event_base_loopcontinue`.
    pub fn loopcontinue(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.continue_now = true;
        st.stop_dispatch = true;
    }

    pub fn got_exit(&self) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.state() }.got_exit
    }

    pub fn got_break(&self) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.state() }.got_break
    }

    // ----- the loop ---------------------------------------------------------------------

    /// `event_base_loop`: 0 when it ran, 1 when it stopped for lack of events, -1 on error.
    pub fn run(&self, flags: i32) -> i32 {
        let held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if st.running_loop {
            log::warn(format_args!(
                "event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once."
            ));
            return -1;
        }
        st.running_loop = true;
        st.owner_thread = thread::current_thread_id();
        st.got_exit = false;
        st.got_break = false;
        st.cached_now = None;
        let mut result = 0;
        loop {
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            st.continue_now = false;
            st.stop_dispatch = false;
            if st.got_exit || st.got_break {
                break;
            }
            let has_work = st.event_count > 0 || st.virtual_count > 0 || st.active_count > 0;
            if flags & loop_flag::NO_EXIT_ON_EMPTY == 0 && !has_work {
                result = 1;
                break;
            }
            // SAFETY: the lock is held.
            unsafe { self.activate_later_events(st) };
            let timeout = if st.active_count > 0 || flags & loop_flag::NONBLOCK != 0 {
                Some(Duration::ZERO)
            } else {
                self.next_timeout(st)
            };
            st.cached_now = None;
            if !st.watchers.is_empty() {
                self.run_prepare_watchers(timeout);
            }
            let waited = self.wait(timeout);
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            if let Err(err) = waited {
                log::warn(format_args!("event_base_loop: dispatch failed: {err}"));
                result = -1;
                break;
            }
            if !st.watchers.is_empty() {
                self.run_check_watchers();
            }
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            let ran_directly = std::mem::take(&mut st.ran_directly);
            if st.continue_now || st.got_break {
                // A callback run during the wait asked for a new poll or a stop.
                continue;
            }
            self.process_timeouts(st);
            if st.active_count > 0 {
                let ran = self.process_active() + usize::from(ran_directly);
                // SAFETY: the lock is held; earlier borrows ended.
                let st = unsafe { self.state() };
                if flags & loop_flag::ONCE != 0 && st.active_count == 0 && ran != 0 {
                    break;
                }
            } else if (flags & loop_flag::ONCE != 0 && ran_directly)
                || flags & loop_flag::NONBLOCK != 0
            {
                break;
            }
        }
        // SAFETY: the lock is held; earlier borrows ended.
        let st = unsafe { self.state() };
        st.cached_now = None;
        st.running_loop = false;
        st.owner_thread = 0;
        drop(held);
        result
    }

    /// Waits on the poller, then activates what it reported. Called and returns with
    /// the lock held.
    fn wait(&self, timeout: Option<Duration>) -> io::Result<()> {
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.notify_pending = false;
        let direct = self.may_dispatch_directly(st);
        // SAFETY: only the running loop uses this list, and a base runs one loop at a
        // time; callbacks cannot reach it.
        let ready = unsafe { &mut *self.ready.get() };
        ready.clear();
        // The poller only fills `ready`; everything it reported is acted on after the
        // wait, when callbacks may change the poller's registrations again. While
        // busy, other threads queue their changes instead of touching the poller.
        st.poller_busy = true;
        let outcome = match &self.lock {
            Some(lock) => {
                lock.unlock();
                // SAFETY: `poller_busy` gives this thread sole use of the poller.
                let outcome = unsafe { self.poller() }.wait_into(timeout, ready);
                lock.lock();
                outcome
            }
            // SAFETY: single-threaded: nothing else uses the poller.
            None => unsafe { self.poller() }.wait_into(timeout, ready),
        };
        // SAFETY: the lock is held again; earlier borrows ended.
        let st = unsafe { self.state() };
        st.poller_busy = false;
        // Callbacks and timeouts of this round see the time of this poll.
        self.update_cached_time(st);
        if !st.pending_changes.is_empty() {
            self.apply_pending_changes(st);
        }
        if direct {
            // libevent would have all of them active at once: count them that way.
            let reported = ready.len();
            st.active_count_max = st.active_count_max.max(st.active_count + reported);
            st.event_count_max = st.event_count_max.max(st.event_count + reported);
            let mut rest = ready.iter();
            for &(fd, readiness) in rest.by_ref() {
                if self.dispatch_directly(fd, readiness_to_events(readiness)) {
                    break;
                }
            }
            // After a break or continue, the rest only becomes active, as in libevent.
            // SAFETY: single-threaded base; the callbacks' borrows ended.
            let st = unsafe { self.state() };
            for &(fd, readiness) in rest {
                // SAFETY: single-threaded base.
                unsafe { self.activate_io(st, fd, readiness_to_events(readiness)) };
            }
        } else {
            for &(fd, readiness) in ready.iter() {
                // SAFETY: the lock is held.
                unsafe { self.activate_io(st, fd, readiness_to_events(readiness)) };
            }
        }
        outcome
    }

    /// Whether ready events may run as the poller reports them instead of going
    /// through the active queue. That gives the same order and results as queueing
    /// when nothing is queued, there is one priority, no dispatch limit, and no
    /// watcher wants to run between the poll and the callbacks.
    #[inline]
    fn may_dispatch_directly(&self, st: &State) -> bool {
        self.direct_capable
            && st.active_count == 0
            && st.active.len() == 1
            && st.watchers.is_empty()
    }

    /// Runs the callback of the one event of `fd` right away when that is
    /// indistinguishable from activating it; otherwise activates as usual. Returns true
    /// when a callback asked for a break or a new poll, so the rest of the batch must
    /// only be activated.
    #[inline(always)]
    fn dispatch_directly(&self, fd: RawFd, what: c_short) -> bool {
        // SAFETY: single-threaded base; no other borrow of the state is alive.
        let st = unsafe { self.state() };
        let single = usize::try_from(fd)
            .ok()
            .and_then(|i| st.fds.get(i))
            .and_then(|entry| entry.events.first())
            // SAFETY: list members are live.
            .filter(|&event| unsafe { EventList::next(event) }.is_none());
        let Some(event) = single else {
            // SAFETY: single-threaded base.
            unsafe { self.activate_io(st, fd, what) };
            return false;
        };
        // SAFETY: list members are live.
        let e = unsafe { &mut *event.as_ptr() };
        // `what` holds only EV_READ, EV_WRITE and EV_CLOSED, so EV_ET cannot match.
        let res = e.events & what;
        if res == 0 {
            return false;
        }
        // Events that are queued, special, or have a persistent timeout to re-arm go
        // through the queue.
        let queued = list::ACTIVE
            | list::ACTIVE_LATER
            | list::FINALIZING
            | list::INTERNAL
            | list::PERSIST_TIMEOUT;
        let closure = e.callback.closure;
        // Closure::Event (0) or Closure::Persist (2), not Closure::Signal (1) or others.
        let plain = closure | Closure::Persist as u8 == Closure::Persist as u8;
        if e.callback.flags & queued != 0 || !plain {
            // SAFETY: single-threaded base.
            unsafe { self.activate_io(st, fd, what) };
            return false;
        }
        e.res = res;
        if closure == Closure::Event as u8 {
            // SAFETY: the event is live and single-threaded.
            let _ = unsafe { self.remove_everywhere(st, event) };
        }
        // SAFETY: event closures store an event callback.
        let (function, arg) = (unsafe { e.callback.function.event }, e.callback.arg);
        st.current = event.as_ptr().cast();
        st.ran_directly = true;
        if let Some(f) = function {
            // SAFETY: calling the program's callback as libevent does; no borrow of
            // the state or the event is used after it.
            unsafe { f(fd, res, arg) };
        }
        // SAFETY: single-threaded base; the callback's borrows ended.
        let st = unsafe { self.state() };
        st.current = ptr::null_mut();
        st.stop_dispatch
    }

    fn next_timeout(&self, st: &mut State) -> Option<Duration> {
        let (deadline, _) = st.timers.peek()?;
        let now = self.now(st);
        Some(deadline.minus(now).to_duration())
    }

    /// Moves callbacks queued for "next round" into their active queues.
    ///
    /// # Safety
    /// The lock is held.
    unsafe fn activate_later_events(&self, st: &mut State) {
        while let Some(cb) = st.active_later.first() {
            // SAFETY: queued callbacks are live.
            unsafe {
                st.active_later.remove(cb);
                let c = &mut *cb.as_ptr();
                c.flags &= !list::ACTIVE_LATER;
                c.flags |= list::ACTIVE;
                let priority = usize::from(c.priority).min(st.active.len() - 1);
                st.active[priority].push_back(cb);
            }
        }
    }

    /// Runs the callbacks of the most urgent non-empty priority. Returns how many
    /// non-internal callbacks ran. Called and returns with the lock held.
    fn process_active(&self) -> usize {
        let mut priority = 0;
        loop {
            // SAFETY: the lock is held; each round takes a fresh borrow, since
            // `run_queue` releases the lock around callbacks.
            let st = unsafe { self.state() };
            let Some(queue) = st.active.get(priority) else {
                return 0;
            };
            if queue.is_empty() {
                priority += 1;
                continue;
            }
            let (max_callbacks, deadline) = if priority < self.limits.from_priority {
                (usize::MAX, None)
            } else {
                let deadline = self
                    .limits
                    .max_interval
                    .map(|d| self.read_clock(st).plus(Tv::from_duration(d)));
                (self.limits.max_callbacks, deadline)
            };
            st.running_priority = Some(priority);
            let ran = self.run_queue(priority, max_callbacks, deadline);
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            st.running_priority = None;
            if ran > 0 || st.got_break {
                return ran;
            }
            priority += 1;
        }
    }

    fn run_queue(&self, priority: usize, max_callbacks: usize, deadline: Option<Tv>) -> usize {
        let mut count = 0;
        loop {
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            let Some(queue) = st.active.get(priority) else {
                break;
            };
            let Some(cb) = queue.first() else { break };
            // SAFETY: queued callbacks are live.
            let c = unsafe { &mut *cb.as_ptr() };
            let closure = Closure::from_raw(c.closure);
            let internal = c.flags & list::INTERNAL != 0;
            let event: NonNull<Event> = cb.cast();
            if closure == Closure::Event {
                // Not persistent: deleted before its callback runs.
                // SAFETY: the event is live.
                let _ = unsafe { self.remove_everywhere(st, event) };
            } else {
                // Everything else only leaves the queue, whose head it is.
                c.flags &= !list::ACTIVE;
                Self::count_active(st, c.flags, -1);
                // SAFETY: queued callbacks are live.
                unsafe { st.active[priority].pop_front() };
            }
            if !internal {
                count += 1;
            }
            st.current = cb.as_ptr();
            st.current_waiters = 0;
            let stop = match closure {
                // The common case, kept inline: a plain or persistent event.
                Closure::Event | Closure::Persist => {
                    // SAFETY: event closures belong to live events.
                    let e = unsafe { &*event.as_ptr() };
                    // SAFETY: persistent events keep their interval in this member.
                    let interval = unsafe { e.kind.extra.persist_timeout };
                    let rearm = closure == Closure::Persist
                        && (interval.tv_sec != 0 || interval.tv_usec != 0);
                    // SAFETY: event closures store an event callback.
                    let (function, fd, res, arg) = (
                        unsafe { e.callback.function.event },
                        e.fd,
                        e.res,
                        e.callback.arg,
                    );
                    if rearm {
                        // SAFETY: the event is live; the lock is held.
                        unsafe { self.rearm_persist_timeout(st, event) };
                    }
                    self.unlocked(|| {
                        if let Some(f) = function {
                            // SAFETY: calling the program's callback as libevent does.
                            unsafe { f(fd, res, arg) };
                        }
                    });
                    false
                }
                // SAFETY: the callback is live (it was queued) and the lock is held.
                _ => unsafe { self.invoke(st, cb, closure) },
            };
            // SAFETY: the lock is held again; earlier borrows ended.
            let st = unsafe { self.state() };
            st.current = ptr::null_mut();
            if st.current_waiters > 0 {
                st.current_waiters = 0;
                if let Some(cond) = &self.wait_for_callback {
                    cond.signal(true);
                }
            }
            if stop || st.got_break {
                break;
            }
            if count >= max_callbacks {
                break;
            }
            if let Some(deadline) = deadline {
                if self.read_clock(st) >= deadline {
                    break;
                }
            }
            if st.continue_now {
                break;
            }
        }
        count
    }

    /// Runs one queued callback with the lock released. Returns true when the loop
    /// must stop running callbacks (a break happened inside a signal's call series).
    ///
    /// # Safety
    /// `cb` is live and was just taken off its queue; the lock is held and `st` is the
    /// only borrow of the state, which ends here.
    #[inline(never)]
    unsafe fn invoke(&self, st: &mut State, cb: NonNull<EventCallback>, closure: Closure) -> bool {
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        let arg = c.arg;
        let event = cb.cast::<Event>();
        match closure {
            Closure::Event | Closure::Persist => {
                // SAFETY: event closures belong to events.
                let e = unsafe { &mut *event.as_ptr() };
                if closure == Closure::Persist {
                    // SAFETY: the event is live; the lock is held.
                    unsafe { self.rearm_persist_timeout(st, event) };
                }
                let (fd, res) = (e.fd, e.res);
                // SAFETY: event closures store an event callback.
                let function = unsafe { c.function.event };
                self.unlocked(|| {
                    if let Some(f) = function {
                        // SAFETY: calling the program's callback as libevent does.
                        unsafe { f(fd, res, arg) };
                    }
                });
                false
            }
            Closure::Signal => {
                // SAFETY: signal closures belong to events.
                let e = unsafe { &*event.as_ptr() };
                let (fd, res) = (e.fd, e.res);
                // SAFETY: signal events store an event callback and their call count.
                let (function, initial) = unsafe { (c.function.event, e.kind.extra.signal.ncalls) };
                // The remaining count lives here; the event points at it (`pncalls`) so
                // that `event_del` can set it to 0. It is only accessed through `counter`.
                let mut remaining = initial;
                let counter: *mut c_short = &mut remaining;
                loop {
                    // SAFETY: `counter` points at `remaining`, alive for this loop.
                    let left = unsafe { counter.read() } - 1;
                    if left < 0 {
                        break;
                    }
                    // A callback that deletes (or frees) its event ends the series without
                    // the event being touched again; no reference to it is held across
                    // the call.
                    // SAFETY: `counter` as above; the event is live since it was not
                    // deleted (deleting zeroes the count).
                    unsafe {
                        counter.write(left);
                        let calls = &mut (*event.as_ptr()).kind.extra.signal;
                        calls.ncalls = left;
                        calls.pncalls = if left > 0 { counter } else { ptr::null_mut() };
                    }
                    self.unlocked(|| {
                        if let Some(f) = function {
                            // SAFETY: calling the program's callback as libevent does.
                            unsafe { f(fd, res, arg) };
                        }
                    });
                    // SAFETY: the lock is held again.
                    if unsafe { self.state() }.got_break {
                        return true;
                    }
                }
                false
            }
            Closure::SelfCallback => {
                // SAFETY: self closures store a self callback.
                let function = unsafe { c.function.self_cb };
                self.unlocked(|| {
                    if let Some(f) = function {
                        // SAFETY: calling the registered function as libevent does.
                        unsafe { f(cb.as_ptr(), arg) };
                    }
                });
                false
            }
            Closure::CallbackFinalize => {
                // SAFETY: finalize closures store a callback finalizer.
                let function = unsafe { c.function.callback_finalize };
                c.flags &= !list::FINALIZING;
                self.unlocked(|| {
                    if let Some(f) = function {
                        // SAFETY: calling the program's finalizer.
                        unsafe { f(cb.as_ptr(), arg) };
                    }
                });
                false
            }
            Closure::EventFinalize | Closure::EventFinalizeFree => {
                // SAFETY: event finalizers store an event finalizer.
                let function = unsafe { c.function.event_finalize };
                debug::note_teardown(event);
                self.unlocked(|| {
                    if let Some(f) = function {
                        // SAFETY: calling the program's finalizer.
                        unsafe { f(event.as_ptr(), arg) };
                    }
                    if closure == Closure::EventFinalizeFree {
                        // SAFETY: finalize-free events were allocated by `event_new`.
                        unsafe { free_event(event) };
                    }
                });
                false
            }
        }
    }

    /// Runs `f` with the base lock released.
    #[inline]
    fn unlocked(&self, f: impl FnOnce()) {
        if let Some(lock) = &self.lock {
            lock.unlock();
            f();
            lock.lock();
        } else {
            f();
        }
    }

    /// Before a persistent event's callback: schedules its next timeout.
    ///
    /// # Safety
    /// The event is live; the lock is held.
    unsafe fn rearm_persist_timeout(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        // SAFETY: persistent events keep their interval in this member.
        let interval = unsafe { e.kind.extra.persist_timeout };
        if interval.tv_sec == 0 && interval.tv_usec == 0 {
            return;
        }
        let span = Tv::normalized(
            interval.tv_sec,
            interval.tv_usec & common::MICROSECONDS_MASK,
        );
        let start = if e.res & ev::TIMEOUT != 0 {
            // Counting from the previous deadline keeps periodic timers from drifting.
            Tv::normalized(
                e.timeout.tv_sec,
                e.timeout.tv_usec & common::MICROSECONDS_MASK,
            )
        } else {
            self.now(st)
        };
        let mut run_at = start.plus(span);
        if let Some(index) = common::queue_index(interval.tv_usec) {
            run_at.usec = common::encode(index, run_at.usec);
        }
        // SAFETY: the event is live; the lock is held.
        let _ = unsafe { self.add_nolock(st, event, Some(run_at), true) };
    }

    fn run_prepare_watchers(&self, timeout: Option<Duration>) {
        // SAFETY: the lock is held.
        let watchers = unsafe { self.state() }.watchers.prepare_snapshot();
        for w in watchers {
            self.unlocked(|| w.run_prepare(timeout));
        }
    }

    fn run_check_watchers(&self) {
        // SAFETY: the lock is held.
        let watchers = unsafe { self.state() }.watchers.check_snapshot();
        for w in watchers {
            self.unlocked(|| w.run_check());
        }
    }

    /// The watcher registry, for the watch module.
    pub(super) fn with_watchers<R>(&self, f: impl FnOnce(&mut Watchers) -> R) -> R {
        let _held = self.held();
        // SAFETY: the lock is held.
        f(&mut unsafe { self.state() }.watchers)
    }

    // ----- fork ---------------------------------------------------------------------

    /// `event_reinit`: after `fork`, gives the base fresh kernel objects and re-adds
    /// every fd and signal.
    pub fn reinit(&self) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let options = Options {
            use_changelist: self.flags & flag::EPOLL_USE_CHANGELIST != 0,
            precise_timer: self.flags & flag::PRECISE_TIMER != 0,
        };
        let poller = AnyPoller::new(self.method, &options).map_err(|err| {
            log::warn(format_args!(
                "event_reinit: cannot recreate the {} backend: {err}",
                self.method
            ));
            EventError::Os(err.raw_os_error().unwrap_or(0))
        })?;
        // SAFETY: the lock is held and no loop runs during reinit.
        *unsafe { self.poller() } = poller;
        if let (Some(receiver), Some(event)) =
            (st.signal_receiver.as_mut(), st.signal_event.as_mut())
        {
            let fd = receiver
                .reinit_after_fork()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            event.fd = fd;
        }
        if let (Some(notifier), Some(event)) = (st.notifier.as_mut(), st.notify_event.as_mut()) {
            let fd = notifier
                .reinit()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            // The internal event's fd entry moves to the new descriptor.
            let old_fd = event.fd;
            let raw = NonNull::from(&mut **event);
            if let Some(entry) = st.fds.get_mut(old_fd as usize) {
                // SAFETY: the internal event is inserted on its old fd.
                unsafe { entry.events.remove(raw) };
                entry.count(event.events, -1);
            }
            event.fd = fd;
            let fd_index = fd as usize;
            if fd_index >= st.fds.len() {
                st.fds.resize_with(fd_index + 1, FdEntry::default);
            }
            let entry = &mut st.fds[fd_index];
            entry.count(event.events, 1);
            // SAFETY: the internal event is live and now in no list.
            unsafe { entry.events.push_front(raw) };
        }
        // The signal event's fd changed too: move its entry the same way.
        if let Some(event) = st.signal_event.as_mut() {
            let raw = NonNull::from(&mut **event);
            for (i, entry) in st.fds.iter_mut().enumerate() {
                if entry.events.to_vec().contains(&raw) && i as RawFd != event.fd {
                    // SAFETY: the internal event is in this list.
                    unsafe { entry.events.remove(raw) };
                    entry.count(event.events, -1);
                    let fd_index = event.fd as usize;
                    if fd_index >= st.fds.len() {
                        st.fds.resize_with(fd_index + 1, FdEntry::default);
                    }
                    let new_entry = &mut st.fds[fd_index];
                    new_entry.count(event.events, 1);
                    // SAFETY: the internal event is live and now in no list.
                    unsafe { new_entry.events.push_front(raw) };
                    break;
                }
            }
        }
        let mut failed = false;
        for (fd, entry) in st.fds.iter_mut().enumerate() {
            entry.interest = Interest::NONE;
            let wanted = entry.wanted();
            if !wanted.is_empty() {
                // SAFETY: as above.
                match unsafe { self.poller() }.change(fd as RawFd, Interest::NONE, wanted) {
                    Ok(()) => entry.interest = wanted,
                    Err(_) => failed = true,
                }
            }
        }
        if failed {
            Err(EventError::Invalid)
        } else {
            Ok(())
        }
    }

    // ----- teardown -----------------------------------------------------------------

    /// `event_base_free` (with `run_finalizers`) and `event_base_free_nofinalize`.
    pub fn free(self: Box<Self>, run_finalizers: bool) {
        // Pending finalizers run first, as libevent runs them, without the lock.
        loop {
            let next = {
                let _held = self.held();
                // SAFETY: the lock is held.
                let st = unsafe { self.state() };
                let mut found = None;
                for priority in 0..st.active.len() {
                    for cb in st.active[priority].to_vec() {
                        // SAFETY: queued callbacks are live.
                        let c = unsafe { &mut *cb.as_ptr() };
                        if c.flags & list::FINALIZING != 0 && c.flags & list::INTERNAL == 0 {
                            c.flags &= !list::ACTIVE;
                            Self::count_active(st, c.flags, -1);
                            // SAFETY: the callback is in this queue.
                            unsafe { st.active[priority].remove(cb) };
                            found = Some((cb, Closure::from_raw(c.closure)));
                            break;
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                }
                found
            };
            let Some((cb, closure)) = next else { break };
            if run_finalizers {
                let _held = self.held();
                // SAFETY: the lock is held; the callback is live.
                unsafe { self.invoke(self.state(), cb, closure) };
            }
        }
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        let mut remaining = 0;
        for event in inserted.into_iter().chain(active) {
            // SAFETY: the base's events are live.
            if unsafe { event.as_ref() }.callback.flags
                & (list::INSERTED | list::TIMEOUT | list::ACTIVE | list::ACTIVE_LATER)
                != 0
            {
                // SAFETY: as above; the lock is held.
                let _ = unsafe { self.remove_everywhere(st, event) };
                remaining += 1;
            }
        }
        for cb in st
            .active
            .iter()
            .flat_map(|q| q.to_vec())
            .collect::<Vec<_>>()
        {
            // SAFETY: queued callbacks are live.
            let c = unsafe { &mut *cb.as_ptr() };
            c.flags &= !list::ACTIVE;
            let priority = usize::from(c.priority).min(st.active.len() - 1);
            // SAFETY: the callback is in that queue.
            unsafe { st.active[priority].remove(cb) };
        }
        if remaining > 0 {
            log::debug(format_args!(
                "event_base_free: {remaining} events were still set in base"
            ));
        }
        for once in std::mem::take(&mut st.once_events) {
            // SAFETY: `once` came from Box::into_raw in `once` and was not freed yet.
            drop(unsafe { Box::from_raw(once) });
        }
        drop(_held);
        drop(self);
    }
}

impl Tv {
    /// To a C timeval without normalising (common-timeout tags stay in `tv_usec`).
    pub fn to_timeval_raw(self) -> libc::timeval {
        libc::timeval {
            tv_sec: self.sec as libc::time_t,
            tv_usec: self.usec as libc::suseconds_t,
        }
    }
}

/// `EV_READ`, `EV_WRITE` and `EV_CLOSED` for what a poller reported (the same bits).
#[inline]
fn readiness_to_events(readiness: Readiness) -> c_short {
    c_short::from(readiness.bits())
}

/// Stops a running series of signal callbacks for this event.
///
/// # Safety
/// `pncalls`, when set, points at the loop's live counter for this event.
unsafe fn stop_signal_calls(e: &mut Event) {
    // SAFETY: signal events keep their call counter in this member.
    let pncalls = unsafe { e.kind.extra.signal.pncalls };
    if !pncalls.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { *pncalls = 0 };
    }
}

/// The wall-clock time now.
pub fn wall_clock() -> Tv {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Tv::from_duration(now)
}

/// An all-zero event, the state of memory before `event_assign`.
pub fn zeroed_event() -> Event {
    // SAFETY: Event is plain data (integers, raw pointers, Option<fn>) for which all-zero
    // bytes are a valid value.
    unsafe { std::mem::MaybeUninit::<Event>::zeroed().assume_init() }
}

/// `event_assign`: prepares `event` for `base`. Signal events may not also ask for
/// I/O (libevent refuses that combination).
pub fn assign(
    event: &mut Event,
    base: Option<&Base>,
    fd: RawFd,
    events: c_short,
    callback: Option<EventCallbackFn>,
    arg: *mut c_void,
) -> Result<(), EventError> {
    if events & ev::SIGNAL != 0 && events & (ev::READ | ev::WRITE | ev::CLOSED) != 0 {
        log::warn(format_args!(
            "event_assign: EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED"
        ));
        return Err(EventError::Invalid);
    }
    let closure = if events & ev::SIGNAL != 0 {
        Closure::Signal
    } else if events & ev::PERSIST != 0 {
        Closure::Persist
    } else {
        Closure::Event
    };
    *event = zeroed_event();
    event.callback.function = CallbackFn { event: callback };
    event.callback.arg = arg;
    event.callback.flags = list::INIT;
    event.callback.closure = closure as u8;
    event.callback.priority = base.map_or(0, Base::default_priority);
    event.fd = fd;
    event.events = events;
    event.base = base.map_or(ptr::null(), |b| b as *const Base);
    event.timeout_pos.heap_index = usize::MAX;
    Ok(())
}

/// A boxed internal event of `base` (not counted, not visible to the program).
fn new_internal_event(
    base: &Base,
    fd: RawFd,
    events: c_short,
    callback: EventCallbackFn,
) -> Box<Event> {
    let mut event = Box::new(zeroed_event());
    let _ = assign(
        &mut event,
        None,
        fd,
        events,
        Some(callback),
        base as *const Base as *mut c_void,
    );
    event.base = base;
    event.callback.flags |= list::INTERNAL;
    event.callback.priority = 0;
    event
}

/// Frees an event allocated by [`new_event`].
///
/// # Safety
/// `event` came from [`new_event`] and is in no structure of any base.
pub unsafe fn free_event(event: NonNull<Event>) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { Box::from_raw(event.as_ptr()) });
}

/// `event_new`'s allocation.
pub fn new_event() -> NonNull<Event> {
    NonNull::from(Box::leak(Box::new(zeroed_event())))
}

/// Recovers the base from an internal callback's argument.
///
/// # Safety
/// `arg` is the base pointer stored by `new_internal_event`, and the base is alive.
unsafe fn base_from_arg<'a>(arg: *mut c_void) -> &'a Base {
    // SAFETY: guaranteed by the caller.
    unsafe { &*(arg as *const Base) }
}

unsafe extern "C" fn on_notify(_fd: RawFd, _what: c_short, arg: *mut c_void) {
    // SAFETY: internal events carry their base, which outlives them.
    let base = unsafe { base_from_arg(arg) };
    let _held = base.held();
    // SAFETY: the lock is held.
    let st = unsafe { base.state() };
    if let Some(n) = &st.notifier {
        n.drain();
    }
    st.notify_pending = false;
}

unsafe extern "C" fn on_signal_fd(_fd: RawFd, _what: c_short, arg: *mut c_void) {
    // SAFETY: internal events carry their base, which outlives them.
    let base = unsafe { base_from_arg(arg) };
    let _held = base.held();
    // SAFETY: the lock is held.
    let st = unsafe { base.state() };
    let mut arrived: Vec<(i32, u32)> = Vec::new();
    if let Some(receiver) = st.signal_receiver.as_mut() {
        receiver.drain(|signo, count| arrived.push((signo, count)));
    }
    for (signo, count) in arrived {
        // SAFETY: the lock is held.
        unsafe { base.activate_signal_nolock(st, signo, count) };
    }
}

unsafe extern "C" fn on_common_timeout(_fd: RawFd, _what: c_short, arg: *mut c_void) {
    // SAFETY: the queue's timer carries its queue, which lives with the base; the
    // timer's event records the base.
    let queue = arg as *mut CommonTimeout;
    // SAFETY: as above.
    let base = unsafe { &*(*queue).timer.base };
    base.expire_common_timeouts(queue);
}

unsafe extern "C" fn on_once(fd: RawFd, what: c_short, arg: *mut c_void) {
    let once = arg as *mut OnceEvent;
    // SAFETY: `arg` is the OnceEvent box made by `Base::once`, freed only here or at
    // base teardown (which cannot run while its loop runs this callback).
    let (callback, user_arg, base) = unsafe { ((*once).callback, (*once).arg, &*(*once).base) };
    {
        let _held = base.held();
        // SAFETY: the lock is held.
        let st = unsafe { base.state() };
        st.once_events.retain(|&o| o != once);
    }
    // SAFETY: removed from the base's list, so this is the only owner now.
    drop(unsafe { Box::from_raw(once) });
    if let Some(f) = callback {
        // SAFETY: calling the program's callback as libevent does.
        unsafe { f(fd, what, user_arg) };
    }
}

unsafe extern "C" fn on_loopexit(_fd: RawFd, _what: c_short, arg: *mut c_void) {
    // SAFETY: loopexit passes the base, which outlives its events.
    let base = unsafe { base_from_arg(arg) };
    let _held = base.held();
    // SAFETY: the lock is held.
    unsafe { base.state() }.got_exit = true;
}

// Pollers report readiness with libevent's own bit values.
const _: () = assert!(
    Readiness::READ.bits() as c_short == ev::READ
        && Readiness::WRITE.bits() as c_short == ev::WRITE
        && Readiness::CLOSED.bits() as c_short == ev::CLOSED
);
