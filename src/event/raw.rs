//! The C layout of `struct event` and `struct event_callback` (event2/event_struct.h).
//!
//! These structs live in the caller's memory (an `event_assign`ed event may be on the
//! stack, static or embedded in another struct), so the core defines them with the
//! exact public layout and links them into its tables through their own fields: adding,
//! deleting and dispatching an assigned event allocates nothing.

use std::ffi::{c_short, c_void};
use std::os::fd::RawFd;
use std::ptr::{self, NonNull};

use super::handler::{Handler, HandlerFn};

/// `void (*)(evutil_socket_t, short, void *)`: an event's callback.
pub type EventCallbackFn = unsafe extern "C" fn(RawFd, c_short, *mut c_void);
/// `void (*)(struct event_callback *, void *)`: a bare callback's function.
pub type SelfCallbackFn = unsafe extern "C" fn(*mut EventCallback, *mut c_void);
/// `void (*)(struct event *, void *)`: an event finalizer.
pub type EventFinalizeFn = unsafe extern "C" fn(*mut Event, *mut c_void);

/// `evcb_flags` bits: where an event is (libevent's public `EVLIST_*` values).
pub mod list {
    pub const TIMEOUT: u16 = 0x01;
    pub const INSERTED: u16 = 0x02;
    pub const SIGNAL: u16 = 0x04;
    pub const ACTIVE: u16 = 0x08;
    pub const INTERNAL: u16 = 0x10;
    pub const ACTIVE_LATER: u16 = 0x20;
    pub const FINALIZING: u16 = 0x40;
    pub const INIT: u16 = 0x80;
    /// Not libevent's: a persistent event whose timeout is re-armed after each run
    /// (above the public `EVLIST_ALL` bits).
    pub const PERSIST_TIMEOUT: u16 = 0x100;
    /// Not libevent's: the callback is one of the core's [`Handler`]s, not a C function.
    pub const HANDLER: u16 = 0x200;
}

/// Event kinds and results (`EV_*`).
pub mod ev {
    pub const TIMEOUT: i16 = 0x01;
    pub const READ: i16 = 0x02;
    pub const WRITE: i16 = 0x04;
    pub const SIGNAL: i16 = 0x08;
    pub const PERSIST: i16 = 0x10;
    pub const ET: i16 = 0x20;
    pub const FINALIZE: i16 = 0x40;
    pub const CLOSED: i16 = 0x80;
}

/// How a queued callback is to be run (`evcb_closure`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Closure {
    /// An event without `EV_PERSIST`: deleted before its callback runs.
    Event = 0,
    /// A signal event: its callback runs once per delivery.
    Signal = 1,
    /// A persistent event: stays added; its timeout is re-armed.
    Persist = 2,
    /// A bare `event_callback` calling its function with itself.
    SelfCallback = 3,
    /// A bare callback's finalizer.
    CallbackFinalize = 4,
    /// An event's finalizer.
    EventFinalize = 5,
    /// An event's finalizer, then the event is freed (`event_free_finalize`).
    EventFinalizeFree = 6,
}

impl Closure {
    pub fn from_raw(raw: u8) -> Closure {
        match raw {
            1 => Closure::Signal,
            2 => Closure::Persist,
            3 => Closure::SelfCallback,
            4 => Closure::CallbackFinalize,
            5 => Closure::EventFinalize,
            6 => Closure::EventFinalizeFree,
            _ => Closure::Event,
        }
    }
}

/// What a queued callback runs: the program's C function or one of the core's handlers.
#[derive(Clone, Copy)]
pub enum Target {
    /// The C function stored for the callback's closure, and its argument.
    Program(CallbackFn, *mut c_void),
    Handler(Handler),
}

/// A link of a doubly linked list threaded through the linked structs themselves.
#[repr(C)]
#[derive(Debug)]
pub struct Link<T> {
    pub next: *mut T,
    pub prev: *mut T,
}

// Manual impls: a link is two pointers and copies whatever `T` is.
impl<T> Clone for Link<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Link<T> {}

impl<T> Link<T> {
    pub const UNLINKED: Link<T> = Link {
        next: ptr::null_mut(),
        prev: ptr::null_mut(),
    };
}

/// The function of a callback; which member is live follows from its [`Closure`], or
/// is `handler` when the flags have [`list::HANDLER`].
#[repr(C)]
#[derive(Clone, Copy)]
pub union CallbackFn {
    pub event: Option<EventCallbackFn>,
    pub self_cb: Option<SelfCallbackFn>,
    pub event_finalize: Option<EventFinalizeFn>,
    pub callback_finalize: Option<SelfCallbackFn>,
    pub handler: HandlerFn,
}

/// `struct event_callback` (40 bytes on LP64).
#[repr(C)]
pub struct EventCallback {
    pub active_link: Link<EventCallback>,
    pub flags: u16,
    pub priority: u8,
    pub closure: u8,
    pub function: CallbackFn,
    pub arg: *mut c_void,
}

impl EventCallback {
    /// A bare callback (`Closure::SelfCallback`) that runs `handler`.
    pub fn with_handler(priority: u8, handler: Handler) -> EventCallback {
        EventCallback {
            active_link: Link::UNLINKED,
            flags: list::INIT | list::INTERNAL | list::HANDLER,
            priority,
            closure: Closure::SelfCallback as u8,
            function: CallbackFn {
                handler: handler.function(),
            },
            arg: handler.target(),
        }
    }

    /// Stores `handler` as what this callback runs.
    pub fn set_handler(&mut self, handler: Handler) {
        self.function = CallbackFn {
            handler: handler.function(),
        };
        self.arg = handler.target();
        self.flags |= list::HANDLER;
    }

    /// What the callback runs.
    #[inline]
    pub fn target(&self) -> Target {
        if self.flags & list::HANDLER != 0 {
            // SAFETY: the flag says the handler member is the live one.
            if let Some(h) = Handler::from_parts(unsafe { self.function.handler }, self.arg) {
                return Target::Handler(h);
            }
        }
        Target::Program(self.function, self.arg)
    }

    /// The program's event callback, or None for a core handler (which has no C
    /// function to hand out).
    pub fn program_event_fn(&self) -> Option<EventCallbackFn> {
        match self.target() {
            // SAFETY: event closures keep an event callback in this member.
            Target::Program(f, _) => unsafe { f.event },
            Target::Handler(_) => None,
        }
    }
}

/// Where an event sits among timeouts: its index in the timer heap, or its link in a
/// common-timeout queue (the `EVLIST_TIMEOUT` flag and the timeout's encoding say which).
#[repr(C)]
#[derive(Clone, Copy)]
pub union TimeoutPos {
    pub queue: Link<Event>,
    pub heap_index: usize,
}

/// The per-kind part of `struct event`: the link in its fd's or signal's list, then the
/// persistent timeout of an I/O event or the call count of a signal event.
#[repr(C)]
pub struct KindPart {
    pub link: Link<Event>,
    pub extra: KindExtra,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union KindExtra {
    /// Interval of a persistent event's timeout (re-armed after each run).
    pub persist_timeout: libc::timeval,
    pub signal: SignalCalls,
}

/// How often a signal event's callback is still to be called in this run.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SignalCalls {
    pub ncalls: c_short,
    pub pncalls: *mut c_short,
}

/// `struct event`: 120 bytes on LP64 in libevent 2.2, which keeps `ev_events` and
/// `ev_res` in the hole after `ev_fd`; 128 in libevent 2.1 (feature `abi-2-1`), which
/// has them after the per-kind part. Only where these two fields sit differs.
#[repr(C)]
pub struct Event {
    pub callback: EventCallback,
    pub timeout_pos: TimeoutPos,
    pub fd: RawFd,
    #[cfg(not(feature = "abi-2-1"))]
    pub events: c_short,
    #[cfg(not(feature = "abi-2-1"))]
    pub res: c_short,
    pub base: *const super::Base,
    pub kind: KindPart,
    #[cfg(feature = "abi-2-1")]
    pub events: c_short,
    #[cfg(feature = "abi-2-1")]
    pub res: c_short,
    /// When the timeout fires, on the base's monotonic clock (common timeouts keep
    /// their queue's tag in the microseconds' high bits).
    pub timeout: libc::timeval,
}

impl Event {
    /// The event as the callback queued for it.
    #[inline]
    pub fn as_callback(event: NonNull<Event>) -> NonNull<EventCallback> {
        // `callback` is the first field of a #[repr(C)] struct.
        event.cast()
    }

    #[inline]
    pub fn flags(&self) -> u16 {
        self.callback.flags
    }
}

/// The fields of a live event, read and written in place.
///
/// The reactor reaches events in the program's memory through this accessor: each
/// access is one raw read or write, so no reference to the event outlives it, and the
/// intrusive lists, the timer heap and the queues may write other fields of the same
/// event in between.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EventFields(NonNull<Event>);

macro_rules! event_field {
    ($get:ident, $set:ident, $t:ty, $($field:ident).+) => {
        #[inline(always)]
        pub fn $get(self) -> $t {
            // SAFETY: `EventFields::new`'s contract: the event is live.
            unsafe { (*self.0.as_ptr()).$($field).+ }
        }
        #[inline(always)]
        pub fn $set(self, value: $t) {
            // SAFETY: `EventFields::new`'s contract: the event is live
            unsafe { (*self.0.as_ptr()).$($field).+ = value }
        }
    };
}

impl EventFields {
    /// # Safety
    /// `event` points to a live event for as long as the accessor is used, and no
    /// reference to it is alive while the accessor is.
    #[inline(always)]
    pub unsafe fn new(event: NonNull<Event>) -> EventFields {
        EventFields(event)
    }

    #[inline(always)]
    pub fn ptr(self) -> NonNull<Event> {
        self.0
    }

    event_field!(flags, set_flags, u16, callback.flags);
    event_field!(closure, set_closure, u8, callback.closure);
    event_field!(priority, set_priority, u8, callback.priority);
    event_field!(fd, set_fd, RawFd, fd);
    event_field!(events, set_events, c_short, events);
    event_field!(res, set_res, c_short, res);
    event_field!(timeout, set_timeout, libc::timeval, timeout);
    event_field!(base, set_base, *const super::Base, base);

    #[inline(always)]
    pub fn add_flags(self, bits: u16) {
        self.set_flags(self.flags() | bits);
    }

    #[inline(always)]
    pub fn remove_flags(self, bits: u16) {
        self.set_flags(self.flags() & !bits);
    }

    /// The interval of a persistent event's timeout.
    #[inline(always)]
    pub fn persist_timeout(self) -> libc::timeval {
        // SAFETY: live (see `new`); every bit pattern of the union is a valid timeval.
        unsafe { (*self.0.as_ptr()).kind.extra.persist_timeout }
    }

    #[inline(always)]
    pub fn set_persist_timeout(self, interval: libc::timeval) {
        // SAFETY: live (see `new`).
        unsafe { (*self.0.as_ptr()).kind.extra.persist_timeout = interval }
    }

    /// A signal event's call counter of the running series.
    #[inline(always)]
    pub fn signal_calls(self) -> SignalCalls {
        // SAFETY: live (see `new`); every bit pattern is a valid count and pointer.
        unsafe { (*self.0.as_ptr()).kind.extra.signal }
    }

    #[inline(always)]
    pub fn set_signal_calls(self, calls: SignalCalls) {
        // SAFETY: live (see `new`).
        unsafe { (*self.0.as_ptr()).kind.extra.signal = calls }
    }

    /// The event's index in the timer heap (valid while it is there).
    #[inline(always)]
    pub fn heap_index(self) -> usize {
        // SAFETY: live (see `new`); any bit pattern is a valid usize.
        unsafe { (*self.0.as_ptr()).timeout_pos.heap_index }
    }

    #[inline(always)]
    pub fn set_heap_index(self, index: usize) {
        // SAFETY: live (see `new`).
        unsafe { (*self.0.as_ptr()).timeout_pos.heap_index = index }
    }

    /// What the event runs.
    #[inline(always)]
    pub fn target(self) -> Target {
        // SAFETY: live (see `new`); the shared borrow lasts for this call only.
        unsafe { (*self.0.as_ptr()).callback.target() }
    }

    /// The event as the callback queued for it.
    #[inline(always)]
    pub fn callback(self) -> NonNull<EventCallback> {
        Event::as_callback(self.0)
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn callback_layout_is_libevent_2_1_and_2_2() {
        assert_eq!(size_of::<EventCallback>(), 40);
        assert_eq!(offset_of!(EventCallback, flags), 16);
        assert_eq!(offset_of!(EventCallback, priority), 18);
        assert_eq!(offset_of!(EventCallback, closure), 19);
        assert_eq!(offset_of!(EventCallback, function), 24);
        assert_eq!(offset_of!(EventCallback, arg), 32);
    }

    #[test]
    fn event_layout_is_libevent_2_1_and_2_2() {
        assert_eq!(offset_of!(Event, timeout_pos), 40);
        assert_eq!(offset_of!(Event, fd), 56);
        assert_eq!(offset_of!(Event, base), 64);
        assert_eq!(offset_of!(Event, kind), 72);
    }

    #[test]
    #[cfg(not(feature = "abi-2-1"))]
    fn event_layout_is_libevent_2_2() {
        assert_eq!(size_of::<Event>(), 120);
        assert_eq!(offset_of!(Event, events), 60);
        assert_eq!(offset_of!(Event, res), 62);
        assert_eq!(offset_of!(Event, timeout), 104);
    }

    #[test]
    #[cfg(feature = "abi-2-1")]
    fn event_layout_is_libevent_2_1() {
        assert_eq!(size_of::<Event>(), 128);
        assert_eq!(offset_of!(Event, events), 104);
        assert_eq!(offset_of!(Event, res), 106);
        assert_eq!(offset_of!(Event, timeout), 112);
    }
}
