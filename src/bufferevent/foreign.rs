//! Bufferevent kinds implemented outside the core (libevent_openssl's and
//! libevent_mbedtls's TLS bufferevents, libevent's `bufferevent_ops_ssl`): the core
//! keeps the common state (buffers, callbacks, watermarks, deferral, locking, rate
//! limits, references) and hands every per-kind operation to a [`ForeignKind`].
//!
//! A foreign kind drives its I/O with the bufferevent's own `ev_read` and `ev_write`:
//! with timeouts on the descriptor they watch a socket the kind assigns them to
//! (timeouts re-armed as a socket bufferevent's are); otherwise they stay the core's
//! timeout-only events (a kind over another bufferevent), armed and cleared as a
//! filter's are.

use std::any::Any;
use std::ffi::{c_int, c_short};
use std::os::fd::RawFd;
use std::ptr::NonNull;

use super::raw::KindTag;
use super::{suspend, BevError, BevResult, Bufferevent, FlushMode, Kind};
use crate::event::raw::ev;
use crate::event::{self, Base};

static FOREIGN_TAG: KindTag = KindTag { name: c"foreign" };

/// The operations of a kind implemented outside the core, each run with the
/// bufferevent's lock held. They get the bufferevent's pointer, not a reference: they
/// may call back into the core (enable, trigger callbacks...), and the core holds a
/// reference on the bufferevent across each call, so it stays allocated.
pub trait ForeignKind {
    /// Starts I/O in `events` (`EV_READ`, `EV_WRITE`), which are enabled and not
    /// suspended.
    fn enable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult;
    /// Stops I/O in `events` (disabled or suspended).
    fn disable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult;
    /// The last reference went: stop I/O and let go of companions (with
    /// `BEV_OPT_CLOSE_ON_FREE`, free the underlying bufferevent). The events are
    /// finalized afterwards and [`ForeignKind::destruct`] comes from the loop. No
    /// reference is left: work on this bufferevent here (or in `destruct`) does not
    /// bring it back (a second teardown is refused, a deferred callback dropped).
    fn unlink(&self, bev: NonNull<Bufferevent>);
    /// Releases what the kind holds (the socket with `BEV_OPT_CLOSE_ON_FREE`, its
    /// session). The kind object itself is dropped right after, with the bufferevent;
    /// then the core drops the reference the kind took on its underlying bufferevent.
    fn destruct(&self, bev: NonNull<Bufferevent>);
    /// `bufferevent_flush`: 0 nothing flushed, 1 something, -1 failure.
    fn flush(&self, bev: NonNull<Bufferevent>, iotype: c_short, mode: FlushMode) -> c_int;
    /// `bufferevent_getfd`: -1 when there is none.
    fn fd(&self, bev: NonNull<Bufferevent>) -> RawFd;
    /// `bufferevent_setfd`.
    fn set_fd(&self, bev: NonNull<Bufferevent>, fd: RawFd) -> BevResult;
    /// `bufferevent_get_underlying`. A kind with an underlying bufferevent holds one
    /// reference on it (`bufferevent_incref`) from its creation; the core gives that
    /// reference up once the foreign bufferevent is gone, as libevent does.
    fn underlying(&self, bev: NonNull<Bufferevent>) -> Option<NonNull<Bufferevent>>;
    /// The object itself (`self`), for its library to recognise it by downcasting.
    fn as_any(&self) -> &dyn Any;
}

/// What a foreign bufferevent keeps besides the common state.
pub(super) struct ForeignPart {
    kind: Box<dyn ForeignKind>,
    /// `ev_read`/`ev_write` watch the descriptor (socket-like timeouts), rather than
    /// being timeout-only events.
    timeouts_on_fd: bool,
    /// `bufferevent_socket_connect_hostname` works on a foreign kind too, as
    /// libevent's does on its SSL bufferevents (evhttp's HTTPS connections).
    host_lookup: super::socket::HostLookup,
}

impl ForeignPart {
    pub(super) fn host_lookup(&self) -> &super::socket::HostLookup {
        &self.host_lookup
    }

    pub(super) fn timeouts_on_fd(&self) -> bool {
        self.timeouts_on_fd
    }
}

impl Bufferevent {
    /// A bufferevent of a foreign kind (libevent's `bufferevent_init_common_` for an
    /// outside kind). `options` are the `BEV_OPT_*` flags: the core applies
    /// `THREADSAFE`, `DEFER_CALLBACKS` and `UNLOCK_CALLBACKS`; `CLOSE_ON_FREE` is for
    /// the kind ([`Bufferevent::options`]). `ev_read` and `ev_write` start as the
    /// core's timeout-only events; a kind with `timeouts_on_fd` assigns them to its
    /// descriptor itself. None (and `kind` dropped without a call) on failure.
    pub fn foreign_new(
        base: &Base,
        options: u32,
        kind: Box<dyn ForeignKind>,
        timeouts_on_fd: bool,
    ) -> Option<NonNull<Bufferevent>> {
        let part = ForeignPart {
            kind,
            timeouts_on_fd,
            host_lookup: Default::default(),
        };
        let ptr = Bufferevent::new_common(base, Kind::Foreign(part), &FOREIGN_TAG, options, None)?;
        // SAFETY: just made.
        let bev = unsafe { ptr.as_ref() };
        // Both events exist from the start, so that the teardown can finalize them
        // whatever the kind did with them.
        bev.assign_generic_timeouts();
        Some(ptr)
    }

    /// The kind object of a foreign bufferevent, for its own library to recognise it
    /// (downcast through [`ForeignKind::as_any`]). The reference must not be kept across a call that
    /// may free the bufferevent.
    pub fn foreign_kind(&self) -> Option<&dyn ForeignKind> {
        match &self.kind {
            Kind::Foreign(part) => Some(&*part.kind),
            _ => None,
        }
    }

    /// The `BEV_OPT_*` flags the bufferevent was made with.
    pub fn options(&self) -> u32 {
        self.options.get()
    }

    /// Whether an outgoing connection is in progress (set by
    /// `bufferevent_socket_connect`).
    pub fn connecting(&self) -> bool {
        let _held = self.held();
        self.connecting.get()
    }

    /// Sets or clears the connection-in-progress flag (a foreign kind clears it once
    /// its handshake found the socket connected).
    pub fn set_connecting(&self, connecting: bool) {
        let _held = self.held();
        self.connecting.set(connecting);
    }

    /// The reasons `EV_READ` (`events` = `EV_READ`) or `EV_WRITE` is suspended
    /// (`BEV_SUSPEND_*` bits); None for other `events`.
    pub fn suspended(&self, events: c_short) -> Option<u16> {
        let _held = self.held();
        match events {
            ev::READ => Some(self.read_suspended.get()),
            ev::WRITE => Some(self.write_suspended.get()),
            _ => None,
        }
    }

    /// Suspends (or, with `suspend` false, resumes) `EV_READ` or `EV_WRITE` for
    /// `reasons`, `BEV_SUSPEND_*` bits (`bufferevent_suspend_read_` and the like).
    /// Refused for other directions, no reason or an unknown one.
    pub fn set_suspended(&self, events: c_short, reasons: u16, suspended: bool) -> BevResult {
        if reasons == 0 || reasons & !suspend::ALL != 0 {
            return Err(BevError);
        }
        let _hold = self.hold();
        match (events, suspended) {
            (ev::READ, true) => self.suspend_read(reasons),
            (ev::READ, false) => self.unsuspend_read(reasons),
            (ev::WRITE, true) => self.suspend_write(reasons),
            (ev::WRITE, false) => self.unsuspend_write(reasons),
            _ => return Err(BevError),
        }
        Ok(())
    }

    /// Adds `ev_read` (`events` = `EV_READ`) or `ev_write` with the bufferevent's
    /// timeout for that direction (`bufferevent_add_event_`); on a timeout-only event
    /// this restarts the timeout (`BEV_RESET_GENERIC_*_TIMEOUT`).
    pub fn add_event(&self, events: c_short) -> BevResult {
        let _held = self.held();
        let (event, timeout) = match events {
            ev::READ => (self.ev_read(), self.timeout_read()),
            ev::WRITE => (self.ev_write(), self.timeout_write()),
            _ => return Err(BevError),
        };
        if event_is_timer(event) && timeout.is_none() {
            // A timeout-only event without a timeout has nothing to wait for.
            return Ok(());
        }
        // SAFETY: the bufferevent's own assigned event.
        unsafe { event::add(event, timeout) }.map_err(|_| BevError)
    }

    /// The address of `ev_read` (`events` = `EV_READ`) or `ev_write`, for a foreign
    /// kind to assign (`event_assign`) and add; None for other `events`.
    pub fn event_of(&self, events: c_short) -> Option<NonNull<event::raw::Event>> {
        match events {
            ev::READ => Some(self.ev_read()),
            ev::WRITE => Some(self.ev_write()),
            _ => None,
        }
    }

    /// Takes `bytes` from the rate-limit buckets after I/O, suspending a direction
    /// that ran dry (`bufferevent_decrement_read_buckets_`); `events` is `EV_READ` or
    /// `EV_WRITE`.
    pub fn consume_budget(&self, events: c_short, bytes: usize) -> BevResult {
        let _held = self.held();
        match events {
            ev::READ => super::ratelim::consumed_read(self, bytes),
            ev::WRITE => super::ratelim::consumed_write(self, bytes),
            _ => return Err(BevError),
        }
        Ok(())
    }
}

/// Whether `event` is a timeout-only event (no descriptor, no I/O direction).
fn event_is_timer(event: NonNull<event::raw::Event>) -> bool {
    // SAFETY: one of the bufferevent's own events, read for its flags only.
    let events = unsafe { event.as_ref() }.events;
    events & (ev::READ | ev::WRITE | ev::SIGNAL) == 0
}

// ----- dispatch from the common code ----------------------------------------------------

pub(super) fn enable(bev: &Bufferevent, part: &ForeignPart, events: c_short) -> BevResult {
    if !part.timeouts_on_fd {
        // Before the kind runs, which may read, call back and disable again.
        if events & ev::READ != 0 {
            bev.reset_generic_read_timeout();
        }
        if events & ev::WRITE != 0 {
            bev.reset_generic_write_timeout();
        }
    }
    part.kind.enable(bev.this(), events)
}

pub(super) fn disable(bev: &Bufferevent, part: &ForeignPart, events: c_short) -> BevResult {
    if !part.timeouts_on_fd {
        if events & ev::READ != 0 {
            bev.del_generic_timeout(bev.ev_read());
        }
        if events & ev::WRITE != 0 {
            bev.del_generic_timeout(bev.ev_write());
        }
    }
    part.kind.disable(bev.this(), events)
}

pub(super) fn unlink(bev: &Bufferevent, part: &ForeignPart) {
    part.kind.unlink(bev.this());
}

/// Returns the underlying bufferevent whose reference the core gives up after the
/// memory went.
pub(super) fn destruct(bev: &Bufferevent, part: &ForeignPart) -> Option<NonNull<Bufferevent>> {
    let underlying = part.kind.underlying(bev.this());
    part.kind.destruct(bev.this());
    underlying
}

pub(super) fn flush(
    bev: &Bufferevent,
    part: &ForeignPart,
    iotype: c_short,
    mode: FlushMode,
) -> c_int {
    part.kind.flush(bev.this(), iotype, mode)
}

pub(super) fn fd(bev: &Bufferevent, part: &ForeignPart) -> RawFd {
    part.kind.fd(bev.this())
}

pub(super) fn set_fd(bev: &Bufferevent, part: &ForeignPart, fd: RawFd) -> BevResult {
    part.kind.set_fd(bev.this(), fd)
}

pub(super) fn underlying(bev: &Bufferevent, part: &ForeignPart) -> Option<NonNull<Bufferevent>> {
    part.kind.underlying(bev.this())
}
