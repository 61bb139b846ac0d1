//! `struct event_base`: the reactor.
//!
//! All mutable state lives in [`State`] behind an `UnsafeCell`. When the program installed
//! lock callbacks, the base owns one lock that guards the state; otherwise (libevent's
//! single-threaded mode) there is none and the base is used from one thread. The state is
//! only reached through `state()` while the lock is held, and user callbacks run only
//! after the lock is released and every borrow of the state has ended, so a callback
//! may call any function on this base, including freeing the event that called it.

mod clock;
mod dispatch;
mod events;
mod fds;
mod inspect;
mod lifecycle;
mod once;
mod queue;
mod signals;
mod timers;
mod wakeup;

use std::cell::UnsafeCell;
use std::ffi::{c_short, c_void};
use std::io;
use std::os::fd::RawFd;
use std::ptr::{self, NonNull};
use std::time::Duration;

use evrs_backends::{AnyPoller, Features, Interest, Options, Readiness};

use self::dispatch::run_event_target;
use self::fds::{readiness_to_events, FdEntry};
use self::once::OnceEvent;
use self::signals::stop_signal_calls;
use self::timers::deadline_of;
use super::config::{flag, Config, DispatchLimits};
use super::handler::{EventHandler, Handler};
use super::heap::TimerHeap;
use super::lists::{CallbackQueue, EventList, TimeoutQueue};
use super::signal::{SignalMethod, SignalReceiver};
use super::time::{common, Tv};
use super::watch::{WatchInfo, WatchKind, Watchers};
use super::{debug, notify::Notifier};
use crate::event::raw::{
    ev, list, CallbackFn, Closure, Event, EventCallback, EventCallbackFn, EventFields, SignalCalls,
    Target,
};
use crate::log;
use crate::thread::{self, Condition, Lock, MaybeHeld};
use crate::util::owned::Owned;
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

/// What runs when a finalized event leaves its base.
#[derive(Clone, Copy)]
pub enum Finalizer {
    /// `event_finalize`.
    Program(Option<crate::event::raw::EventFinalizeFn>),
    /// `event_free_finalize`: the program's finalizer, then the event is freed.
    ProgramThenFree(Option<crate::event::raw::EventFinalizeFn>),
    /// One of the core's handlers.
    Handler(Handler),
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

/// The base's mutable state, one part per concern; each part's own operations are
/// methods of its type, in the file of that concern.
pub(super) struct State {
    io: fds::FdTable,
    sig: signals::SignalTable,
    timeouts: timers::Timeouts,
    queues: queue::ActiveQueues,
    counts: queue::Counters,
    run: dispatch::LoopState,
    clock: clock::CachedClock,
    wakeup: wakeup::Wakeup,
    once_events: Vec<*mut OnceEvent>,
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
    /// `EV_ET` when the backend triggers on edges (added to what it reports), else 0.
    edge_bit: c_short,
}

// Neither `Send` nor `Sync`: whether another thread may call in depends on lock
// callbacks the compiler cannot see, so other threads reach a base only through its
// address, under libevent's rules (docs/ARCHITECTURE.md, "Threads").

/// Holds the base lock (if any) for a scope.
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
            edge_bit: if features.contains(Features::ET) {
                ev::ET
            } else {
                0
            },
            clock: MonotonicClock::new(flags & flag::PRECISE_TIMER != 0),
            lock,
            wait_for_callback,
            poller: UnsafeCell::new(poller),
            ready: UnsafeCell::new(Vec::new()),
            state: UnsafeCell::new(State {
                io: fds::FdTable::default(),
                sig: signals::SignalTable::default(),
                timeouts: timers::Timeouts::default(),
                queues: queue::ActiveQueues::default(),
                counts: queue::Counters::default(),
                run: dispatch::LoopState::default(),
                clock: clock::CachedClock::default(),
                wakeup: wakeup::Wakeup::default(),
                once_events: Vec::new(),
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

    /// The base's lock for a scope (nothing to take without one). Inlined, so a base
    /// without a lock pays one test.
    #[inline(always)]
    fn held(&self) -> MaybeHeld<'_> {
        MaybeHeld::new(self.lock.as_ref())
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

    // ----- time -----------------------------------------------------------------

    // ----- priorities -------------------------------------------------------------

    // ----- counting -----------------------------------------------------------------

    // ----- threads ------------------------------------------------------------------

    // ----- adding and deleting ------------------------------------------------------

    // ----- activation ---------------------------------------------------------------

    // ----- inspection ---------------------------------------------------------------

    // ----- common timeouts ----------------------------------------------------------

    // ----- one-shot events ------------------------------------------------------------

    // ----- the loop ---------------------------------------------------------------------

    // ----- fork ---------------------------------------------------------------------

    // ----- teardown -----------------------------------------------------------------
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
fn new_internal_event(base: &Base, fd: RawFd, events: c_short, handler: Handler) -> Owned<Event> {
    let mut event = zeroed_event();
    let _ = assign(&mut event, None, fd, events, None, ptr::null_mut());
    event.callback.set_handler(handler);
    event.base = base;
    event.callback.flags |= list::INTERNAL;
    event.callback.priority = 0;
    Owned::new(event)
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

// Pollers report readiness with libevent's own bit values.
const _: () = assert!(
    Readiness::READ.bits() as c_short == ev::READ
        && Readiness::WRITE.bits() as c_short == ev::WRITE
        && Readiness::CLOSED.bits() as c_short == ev::CLOSED
);
