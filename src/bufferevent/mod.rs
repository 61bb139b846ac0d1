//! Bufferevents: an input and an output [`Evbuffer`] kept moving by the loop, with
//! watermarks, timeouts, deferred callbacks, optional locking and rate limits
//! (event2/bufferevent.h, bufferevent_struct.h, bufferevent_compat.h).
//!
//! A [`Bufferevent`] starts with `struct bufferevent`'s public layout ([`RawBufferevent`],
//! whose fields hold the live values) and keeps its private state in cells after it.
//! Every field is reached through short accesses, so no borrow is live while program
//! code runs; the program may call anything from a callback, freeing included.
//!
//! Lifetime follows libevent: the program's handle and every operation in progress hold
//! a reference. When the last one goes, the kind is unlinked and the two events are
//! finalized on the base; the memory (and, with `BEV_OPT_CLOSE_ON_FREE`, the socket or
//! the underlying bufferevent) is released from the loop, or by `event_base_free`.

mod callbacks;
mod control;
mod filter;
mod foreign;
mod pair;
pub mod ratelim;
pub mod raw;
mod socket;
#[cfg(test)]
mod tests;

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_int, c_short, c_void};
use std::os::fd::RawFd;
use std::ptr::{addr_of_mut, NonNull};
use std::sync::Arc;

pub use filter::{FilterFn, FreeContextFn};
pub use foreign::ForeignKind;
pub use raw::{DataCallbackFn, EventCallbackFn};
use raw::{KindTag, RawBufferevent, Watermark};
pub use socket::{set_async_resolver, AsyncResolver, SocketAddress, WriteNow};

use crate::buffer::{
    CallbackEntry, CallbackInfo, ChangeHandler, Evbuffer, OnChange, CB_ENABLED, CB_NODEFER,
};
use crate::event::handler::{EventHandler, Handler};
use crate::event::raw::{ev, list, Event, EventCallback};
use crate::event::{self, Base, DelMode, Tv};
use crate::log;
use crate::thread::{Lock, MaybeHeld};
use crate::util::errno;

/// `BEV_OPT_*`.
pub mod options {
    pub const CLOSE_ON_FREE: u32 = 1 << 0;
    pub const THREADSAFE: u32 = 1 << 1;
    pub const DEFER_CALLBACKS: u32 = 1 << 2;
    pub const UNLOCK_CALLBACKS: u32 = 1 << 3;
}

/// `BEV_EVENT_*`.
pub mod what {
    use std::ffi::c_short;
    pub const READING: c_short = 0x01;
    pub const WRITING: c_short = 0x02;
    pub const EOF: c_short = 0x10;
    pub const ERROR: c_short = 0x20;
    pub const TIMEOUT: c_short = 0x40;
    pub const CONNECTED: c_short = 0x80;
}

/// `BEV_TRIG_IGNORE_WATERMARKS`.
pub const TRIG_IGNORE_WATERMARKS: u32 = 1 << 16;
/// `BEV_TRIG_DEFER_CALLBACKS`.
pub const TRIG_DEFER_CALLBACKS: u32 = options::DEFER_CALLBACKS;
const TRIG_ALL: u32 = TRIG_IGNORE_WATERMARKS | TRIG_DEFER_CALLBACKS;

/// The default and the reset value of the per-call read and write sizes.
pub const MAX_SINGLE_DEFAULT: usize = 16384;

/// Why a direction is suspended (independently of whether the program enabled it).
mod suspend {
    /// The input reached the read high-watermark.
    pub const WATERMARK: u16 = 0x01;
    /// The bufferevent's own rate limit is used up.
    pub const BANDWIDTH: u16 = 0x02;
    /// Its rate-limit group's limit is used up.
    pub const GROUP: u16 = 0x04;
    /// A host name is being resolved.
    pub const LOOKUP: u16 = 0x08;
    /// A filter on top does not want input now.
    pub const FILTER_READ: u16 = 0x10;
    /// Every reason.
    pub const ALL: u16 = WATERMARK | BANDWIDTH | GROUP | LOOKUP | FILTER_READ;
}

/// `enum bufferevent_flush_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    Normal = 0,
    Flush = 1,
    Finished = 2,
}

impl FlushMode {
    pub fn from_raw(mode: c_int) -> Option<FlushMode> {
        match mode {
            0 => Some(FlushMode::Normal),
            1 => Some(FlushMode::Flush),
            2 => Some(FlushMode::Finished),
            _ => None,
        }
    }
}

/// A refused bufferevent operation; -1 to C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BevError;

pub type BevResult<T = ()> = Result<T, BevError>;

/// What a bufferevent is built on.
enum Kind {
    Socket(socket::SocketPart),
    Pair(pair::PairPart),
    Filter(Box<filter::FilterPart>),
    /// Implemented outside the core (the TLS bufferevents).
    Foreign(foreign::ForeignPart),
}

/// `struct bufferevent` and everything behind it.
#[repr(C)]
pub struct Bufferevent {
    /// First, so that a pointer to the bufferevent is a pointer to the public fields.
    raw: UnsafeCell<RawBufferevent>,
    /// Set at creation, or once by a filter that shares its lock before any sharing.
    lock: UnsafeCell<Option<Arc<Lock>>>,
    options: Cell<u32>,
    /// An `int` in libevent; 32 bits here fill the gap after `options`.
    refs: Cell<u32>,
    /// How many `incref_and_lock`s are outstanding, so that a lock installed after the
    /// fact (`enable_locking`) can be taken as often as its unlocks will come.
    lock_depth: Cell<u32>,
    read_suspended: Cell<u16>,
    write_suspended: Cell<u16>,
    /// An outgoing connection is in progress.
    connecting: Cell<bool>,
    /// The last reference went: the teardown started and must not start again, even
    /// when a kind's `unlink` or `destruct` (code outside the core, for foreign kinds)
    /// takes and drops a reference of its own.
    dying: Cell<bool>,
    readcb_pending: Cell<bool>,
    writecb_pending: Cell<bool>,
    eventcb_pending: Cell<c_short>,
    errno_pending: Cell<c_int>,
    max_single_read: Cell<usize>,
    max_single_write: Cell<usize>,
    /// The input callback that applies the read high-watermark, once one was set.
    input_watermark_entry: Cell<Option<NonNull<CallbackEntry>>>,
    /// The filter on top that took this bufferevent's callbacks over
    /// (`bufferevent_filter_new`): it gets them instead of the program.
    filter_above: Cell<Option<NonNull<Bufferevent>>>,
    /// Queued on the base to run deferred callbacks; made on first use, since most
    /// socket bufferevents never defer.
    deferred: UnsafeCell<Option<Box<EventCallback>>>,
    rate: UnsafeCell<Option<Box<ratelim::Limiter>>>,
    kind: Kind,
    /// The pointer made when the bufferevent was allocated: what handlers and groups
    /// keep. One made from `&self` would not permit writes through it, nor the free.
    this: Cell<NonNull<Bufferevent>>,
}

// Neither `Send` nor `Sync`: without `BEV_OPT_THREADSAFE` (and a thread-safe base) a
// bufferevent is used by one thread at a time, so other threads reach it only through
// its address, under libevent's rules (docs/ARCHITECTURE.md, "Threads").

/// A reference and the lock, held for a scope (`bufferevent_incref_and_lock_`).
struct Hold<'a>(&'a Bufferevent);

impl Drop for Hold<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.decref_and_unlock();
    }
}

fn timeout_of(tv: &libc::timeval) -> Option<Tv> {
    Some(Tv::from_timeval_raw(tv)).filter(|tv| *tv != Tv::ZERO)
}

fn to_timeval(tv: Option<Tv>) -> libc::timeval {
    tv.unwrap_or(Tv::ZERO).to_timeval_raw()
}

impl Bufferevent {
    // ----- creation and lifetime -------------------------------------------------------

    /// The part every kind shares (`bufferevent_init_common_`). The events are assigned
    /// by the kind afterwards.
    fn new_common(
        base: &Base,
        kind: Kind,
        tag: &'static KindTag,
        options: u32,
        lock: Option<Arc<Lock>>,
    ) -> Option<NonNull<Bufferevent>> {
        if options & (options::DEFER_CALLBACKS | options::UNLOCK_CALLBACKS)
            == options::UNLOCK_CALLBACKS
        {
            log::warn(format_args!("UNLOCK_CALLBACKS requires DEFER_CALLBACKS"));
            return None;
        }
        let lock = match lock {
            Some(lock) => Some(lock),
            None if options & options::THREADSAFE != 0 => Some(Arc::new(Lock::new(true)?)),
            None => None,
        };
        let input = NonNull::from(Box::leak(Evbuffer::try_new()?));
        let Some(output) = Evbuffer::try_new() else {
            // SAFETY: just made, never shared.
            unsafe { Evbuffer::free(input) };
            return None;
        };
        let output = NonNull::from(Box::leak(output));
        let raw = RawBufferevent {
            ev_base: base,
            be_ops: tag,
            ev_read: event::zeroed_event(),
            ev_write: event::zeroed_event(),
            input: input.as_ptr(),
            output: output.as_ptr(),
            wm_read: Watermark::default(),
            wm_write: Watermark::default(),
            readcb: None,
            writecb: None,
            errorcb: None,
            cbarg: std::ptr::null_mut(),
            timeout_read: to_timeval(None),
            timeout_write: to_timeval(None),
            enabled: ev::WRITE,
        };
        let made = crate::util::try_box(Bufferevent {
            raw: UnsafeCell::new(raw),
            lock: UnsafeCell::new(None),
            options: Cell::new(options),
            refs: Cell::new(1),
            lock_depth: Cell::new(0),
            read_suspended: Cell::new(0),
            write_suspended: Cell::new(0),
            connecting: Cell::new(false),
            dying: Cell::new(false),
            readcb_pending: Cell::new(false),
            writecb_pending: Cell::new(false),
            eventcb_pending: Cell::new(0),
            errno_pending: Cell::new(0),
            max_single_read: Cell::new(MAX_SINGLE_DEFAULT),
            max_single_write: Cell::new(MAX_SINGLE_DEFAULT),
            input_watermark_entry: Cell::new(None),
            filter_above: Cell::new(None),
            deferred: UnsafeCell::new(None),
            rate: UnsafeCell::new(None),
            kind,
            // Set right below, once the allocation's pointer exists.
            this: Cell::new(NonNull::dangling()),
        });
        let Some(made) = made else {
            // SAFETY: both buffers were just made and never shared.
            unsafe {
                Evbuffer::free(input);
                Evbuffer::free(output);
            }
            return None;
        };
        let bev = NonNull::from(Box::leak(made));
        // SAFETY: just made; nothing else sees it yet.
        let this = unsafe { bev.as_ref() };
        this.this.set(bev);
        let _ = this.input().set_max_read(MAX_SINGLE_DEFAULT);
        if let Some(lock) = lock {
            this.install_lock(lock);
        }
        Some(bev)
    }

    /// Makes `lock` the bufferevent's and its buffers' lock (`bufferevent_enable_locking_`).
    fn install_lock(&self, lock: Arc<Lock>) {
        let _ = self.input().enable_locking(Some(Arc::clone(&lock)));
        let _ = self.output().enable_locking(Some(Arc::clone(&lock)));
        // SAFETY: done before the bufferevent is shared with another thread.
        unsafe { *self.lock.get() = Some(lock) };
    }

    /// Gives a bufferevent made without `BEV_OPT_THREADSAFE` a recursive lock of its
    /// own, for its buffers too (libevent's `bufferevent_enable_locking_` without a
    /// lock). Refused when it has a lock already, when no lock functions are installed,
    /// or when the lock cannot be made. Only for a bufferevent that no other thread
    /// uses yet.
    pub fn enable_locking(&self) -> bool {
        if self.lock_ref().is_some() {
            return false;
        }
        let Some(lock) = Lock::new(true) else {
            return false;
        };
        // Callers up the stack took the (absent) lock and will release it: the new,
        // recursive lock is taken as many times, so that those releases balance.
        for _ in 0..self.lock_depth.get() {
            lock.lock();
        }
        self.install_lock(Arc::new(lock));
        true
    }

    fn lock_handle(&self) -> Option<Arc<Lock>> {
        // SAFETY: as in `lock_ref`.
        unsafe { &*self.lock.get() }.clone()
    }

    #[inline]
    fn lock_ref(&self) -> Option<&Lock> {
        // SAFETY: the slot only changes before the bufferevent is shared.
        unsafe { &*self.lock.get() }.as_deref()
    }

    #[inline]
    fn held(&self) -> MaybeHeld<'_> {
        MaybeHeld::new(self.lock_ref())
    }

    #[inline]
    fn hold(&self) -> Hold<'_> {
        self.incref_and_lock();
        Hold(self)
    }

    fn incref_and_lock(&self) {
        if let Some(l) = self.lock_ref() {
            l.lock();
        }
        self.lock_depth.set(self.lock_depth.get() + 1);
        self.refs.set(self.refs.get() + 1);
    }

    /// Drops a reference and the lock; the last reference starts the teardown.
    /// Returns whether it was the last.
    fn decref_and_unlock(&self) -> bool {
        let refs = self.refs.get();
        let last = refs == 1;
        if refs == 0 {
            log::warn(format_args!(
                "bufferevent_decref: bufferevent has no references left"
            ));
        } else {
            self.refs.set(refs - 1);
            if last && !self.dying.replace(true) {
                self.start_teardown();
            }
        }
        self.lock_depth.set(self.lock_depth.get().saturating_sub(1));
        if let Some(l) = self.lock_ref() {
            l.unlock();
        }
        last
    }

    /// `bufferevent_incref`.
    pub fn incref(&self) {
        let _held = self.held();
        self.refs.set(self.refs.get() + 1);
    }

    /// `bufferevent_decref`: true when that was the last reference.
    pub fn decref(&self) -> bool {
        if let Some(l) = self.lock_ref() {
            l.lock();
        }
        self.decref_and_unlock()
    }

    /// `bufferevent_lock`: the lock and a reference, until [`Bufferevent::unlock`].
    pub fn lock(&self) {
        self.incref_and_lock();
    }

    /// `bufferevent_unlock`.
    pub fn unlock(&self) {
        self.decref_and_unlock();
    }

    /// [`Bufferevent::unlock`] that tells whether it gave up the last reference (the
    /// bufferevent is then going and must not be used again).
    pub fn unlock_last(&self) -> bool {
        self.decref_and_unlock()
    }

    /// `bufferevent_free`: callbacks stop now; the rest goes with the last reference.
    pub fn free(&self) {
        if let Some(l) = self.lock_ref() {
            l.lock();
        }
        self.set_callbacks(None, None, None, std::ptr::null_mut());
        // libevent lets the lookup of a freed bufferevent run on (and connect); it is
        // cancelled here instead, so that a freed bufferevent does no more work.
        self.cancel_lookup();
        self.decref_and_unlock();
    }

    /// The bufferevent's own pointer, for handlers and groups that keep it.
    #[inline]
    pub(crate) fn this(&self) -> NonNull<Bufferevent> {
        self.this.get()
    }

    /// Out of references: unlink from companions and finalize the events; the memory
    /// goes in [`Destroy`], run by the loop.
    fn start_teardown(&self) {
        self.kind_unlink();
        // SAFETY: the events live in this bufferevent, which stays until the finalizer.
        unsafe {
            if let Some(refill) = ratelim::refill_event(self) {
                let _ = event::finalize(refill, None, false);
            }
            let _ = event::finalize(self.ev_write(), None, false);
            let _ =
                event::finalize_with_handler(self.ev_read(), Handler::new::<Destroy>(self.this()));
        }
    }

    /// The end of a bufferevent, from its read event's finalizer.
    ///
    /// # Safety
    /// `this` came from `new_common`, has no references left and is not used again.
    unsafe fn destroy(this: NonNull<Bufferevent>) {
        // SAFETY: live until the end of this function.
        let bev = unsafe { this.as_ref() };
        let underlying = {
            let _held = bev.held();
            // Finalizations queued with this one but not run yet must not outlive it.
            // SAFETY: the events live in this bufferevent until the end of the function.
            unsafe {
                let base = bev.base();
                base.cancel_callback(Event::as_callback(bev.ev_write()));
                if let Some(refill) = ratelim::refill_event(bev) {
                    base.cancel_callback(Event::as_callback(refill));
                }
                // Deferred callbacks hold a reference, so none is queued now, unless a
                // kind's `unlink` queued one on the dying bufferevent: it goes with it.
                if let Some(deferred) = (*bev.deferred.get()).as_mut() {
                    // A raw place, as in `schedule_deferred`: the base holds the pointer.
                    base.cancel_callback(NonNull::new_unchecked(addr_of_mut!(**deferred)));
                }
            }
            let underlying = bev.kind_destruct();
            ratelim::leave_group(bev, false);
            // SAFETY: the buffers belong to the bufferevent and are given up once.
            unsafe {
                Evbuffer::free(NonNull::new_unchecked(bev.raw_ref().input));
                Evbuffer::free(NonNull::new_unchecked(bev.raw_ref().output));
            }
            underlying
        };
        // SAFETY: from Box::leak in `new_common`; nothing refers to it any more.
        drop(unsafe { Box::from_raw(this.as_ptr()) });
        if let Some(u) = underlying {
            // SAFETY: the filter held a reference on it until now.
            unsafe { u.as_ref() }.decref();
        }
    }

    // ----- field access ---------------------------------------------------------------

    /// The address C knows the bufferevent by.
    #[inline]
    pub fn as_ptr(&self) -> *mut Bufferevent {
        (self as *const Bufferevent).cast_mut()
    }

    /// The public fields, read-only.
    #[inline]
    fn raw_ref(&self) -> &RawBufferevent {
        // SAFETY: the fields are written only through `raw_mut` in short statements
        // that no reference returned here overlaps (every use copies a field out).
        unsafe { &*self.raw.get() }
    }

    /// The public fields, for one write.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn raw_mut(&self) -> &mut RawBufferevent {
        // SAFETY: called with the lock held (or by the only thread using an unlocked
        // bufferevent), for a single statement.
        unsafe { &mut *self.raw.get() }
    }

    #[inline]
    fn ev_read(&self) -> NonNull<Event> {
        // SAFETY: a field of a live bufferevent.
        unsafe { NonNull::new_unchecked(addr_of_mut!((*self.raw.get()).ev_read)) }
    }

    #[inline]
    fn ev_write(&self) -> NonNull<Event> {
        // SAFETY: a field of a live bufferevent.
        unsafe { NonNull::new_unchecked(addr_of_mut!((*self.raw.get()).ev_write)) }
    }

    /// `bufferevent_get_base`.
    pub fn base(&self) -> &Base {
        // SAFETY: the base outlives its bufferevents (libevent's contract).
        unsafe { &*self.raw_ref().ev_base }
    }

    /// `bufferevent_get_input`.
    #[inline]
    pub fn input(&self) -> &Evbuffer {
        // SAFETY: the bufferevent owns its buffers until `destroy`.
        unsafe { &*self.raw_ref().input }
    }

    /// `bufferevent_get_output`.
    #[inline]
    pub fn output(&self) -> &Evbuffer {
        // SAFETY: the bufferevent owns its buffers until `destroy`
        unsafe { &*self.raw_ref().output }
    }

    #[inline]
    fn enabled_bits(&self) -> c_short {
        self.raw_ref().enabled
    }

    /// `bufferevent_get_enabled`.
    pub fn enabled(&self) -> c_short {
        let _held = self.held();
        self.enabled_bits()
    }

    fn timeout_read(&self) -> Option<Tv> {
        timeout_of(&self.raw_ref().timeout_read)
    }

    fn timeout_write(&self) -> Option<Tv> {
        timeout_of(&self.raw_ref().timeout_write)
    }

    /// `bufferevent_setcb`.
    pub fn set_callbacks(
        &self,
        readcb: Option<DataCallbackFn>,
        writecb: Option<DataCallbackFn>,
        eventcb: Option<EventCallbackFn>,
        arg: *mut c_void,
    ) {
        let _held = self.held();
        // The program's callbacks replace a filter's hold, as they replace the
        // filter's callbacks in libevent.
        self.filter_above.set(None);
        let raw = self.raw_mut();
        raw.readcb = readcb;
        raw.writecb = writecb;
        raw.errorcb = eventcb;
        raw.cbarg = arg;
    }

    /// `bufferevent_getcb`.
    pub fn callbacks(
        &self,
    ) -> (
        Option<DataCallbackFn>,
        Option<DataCallbackFn>,
        Option<EventCallbackFn>,
        *mut c_void,
    ) {
        let _held = self.held();
        let raw = self.raw_ref();
        (raw.readcb, raw.writecb, raw.errorcb, raw.cbarg)
    }

    // ----- data -----------------------------------------------------------------------

    /// `bufferevent_write`.
    pub fn write(&self, data: &[u8]) -> BevResult {
        self.output().add(data).map_err(|_| BevError)
    }

    /// `bufferevent_write_buffer`.
    pub fn write_buffer(&self, buf: &Evbuffer) -> BevResult {
        self.output().add_buffer(buf).map_err(|_| BevError)
    }

    /// `bufferevent_read`: the number of bytes removed.
    pub fn read(&self, out: &mut [u8]) -> usize {
        self.input().remove(out).unwrap_or(0)
    }

    /// `bufferevent_read_buffer`.
    pub fn read_buffer(&self, buf: &Evbuffer) -> BevResult {
        buf.add_buffer(self.input()).map_err(|_| BevError)
    }

    // ----- per-kind operations ----------------------------------------------------------

    fn kind_enable(&self, events: c_short) -> BevResult {
        match &self.kind {
            Kind::Socket(_) => socket::enable(self, events),
            Kind::Pair(p) => pair::enable(self, p, events),
            Kind::Filter(f) => filter::enable(self, f, events),
            Kind::Foreign(f) => foreign::enable(self, f, events),
        }
    }

    fn kind_disable(&self, events: c_short) -> BevResult {
        match &self.kind {
            Kind::Socket(_) => socket::disable(self, events),
            Kind::Pair(_) => {
                pair::disable(self, events);
                Ok(())
            }
            Kind::Filter(f) => {
                filter::disable(self, f, events);
                Ok(())
            }
            Kind::Foreign(f) => foreign::disable(self, f, events),
        }
    }

    fn kind_unlink(&self) {
        match &self.kind {
            Kind::Socket(_) => {}
            Kind::Pair(p) => pair::unlink(p),
            Kind::Filter(f) => filter::unlink(self, f),
            Kind::Foreign(f) => foreign::unlink(self, f),
        }
    }

    /// Releases what the kind holds; returns a bufferevent to drop a reference on
    /// once this one is gone.
    fn kind_destruct(&self) -> Option<NonNull<Bufferevent>> {
        match &self.kind {
            Kind::Socket(_) => {
                socket::destruct(self);
                None
            }
            Kind::Pair(_) => None,
            Kind::Filter(f) => {
                filter::destruct(self, f);
                Some(f.underlying)
            }
            Kind::Foreign(f) => foreign::destruct(self, f),
        }
    }

    /// `bufferevent_flush`: 0 when nothing was flushed, 1 when something was, -1 on
    /// failure.
    pub fn flush(&self, iotype: c_short, mode: FlushMode) -> c_int {
        let _held = self.held();
        match &self.kind {
            Kind::Socket(_) => 0,
            Kind::Pair(p) => pair::flush(self, p, iotype, mode),
            Kind::Filter(f) => filter::flush(self, f, iotype, mode),
            Kind::Foreign(f) => foreign::flush(self, f, iotype, mode),
        }
    }

    /// `bufferevent_getfd`: -1 when the kind has none.
    pub fn fd(&self) -> RawFd {
        let _held = self.held();
        match &self.kind {
            Kind::Socket(_) => self.raw_ref().ev_read.fd,
            Kind::Pair(_) => -1,
            // SAFETY: the filter holds a reference on its underlying bufferevent.
            Kind::Filter(f) => unsafe { f.underlying.as_ref() }.fd(),
            Kind::Foreign(f) => foreign::fd(self, f),
        }
    }

    /// `bufferevent_setfd`.
    pub fn set_fd(&self, fd: RawFd) -> BevResult {
        let _held = self.held();
        match &self.kind {
            Kind::Socket(_) => {
                socket::set_fd(self, fd);
                Ok(())
            }
            Kind::Pair(_) => Err(BevError),
            // SAFETY: the filter holds a reference on its underlying bufferevent
            Kind::Filter(f) => unsafe { f.underlying.as_ref() }.set_fd(fd),
            Kind::Foreign(f) => foreign::set_fd(self, f, fd),
        }
    }

    /// `bufferevent_replacefd`: closes the current socket (if any) and takes `fd`.
    pub fn replace_fd(&self, fd: RawFd) -> BevResult {
        let _held = self.held();
        if matches!(self.kind, Kind::Pair(_)) {
            return Err(BevError);
        }
        let old = self.fd();
        if old >= 0 && crate::util::socket::close(old).is_err() {
            return Err(BevError);
        }
        self.set_fd(fd)
    }

    /// `bufferevent_get_underlying`.
    pub fn underlying(&self) -> Option<NonNull<Bufferevent>> {
        let _held = self.held();
        match &self.kind {
            Kind::Filter(f) => Some(f.underlying),
            Kind::Foreign(f) => foreign::underlying(self, f),
            _ => None,
        }
    }

    /// `bufferevent_pair_get_partner`: None for other kinds or after the partner went.
    pub fn partner(&self) -> Option<NonNull<Bufferevent>> {
        let _held = self.held();
        match &self.kind {
            Kind::Pair(p) => p.partner.get(),
            _ => None,
        }
    }

    /// `bufferevent_get_priority`.
    pub fn priority(&self) -> c_int {
        let _held = self.held();
        let read = &self.raw_ref().ev_read;
        if read.callback.flags & list::INIT != 0 {
            c_int::from(read.callback.priority)
        } else {
            (self.base().priorities() / 2) as c_int
        }
    }

    /// `bufferevent_priority_set`: socket bufferevents only.
    pub fn set_priority(&self, priority: c_int) -> BevResult {
        let _held = self.held();
        let Kind::Socket(_) = self.kind else {
            return Err(BevError);
        };
        // SAFETY: the bufferevent's own assigned events.
        unsafe {
            event::set_priority(self.ev_read(), priority).map_err(|_| BevError)?;
            event::set_priority(self.ev_write(), priority).map_err(|_| BevError)?;
        }
        Ok(())
    }

    /// `bufferevent_base_set`: socket bufferevents only, while not pending.
    pub fn set_base(&self, base: &Base) -> BevResult {
        let _held = self.held();
        let Kind::Socket(_) = self.kind else {
            return Err(BevError);
        };
        self.raw_mut().ev_base = base;
        // SAFETY: the bufferevent's own assigned events.
        unsafe {
            event::set_base(self.ev_read(), base).map_err(|_| BevError)?;
            event::set_base(self.ev_write(), base).map_err(|_| BevError)
        }
    }

    // ----- per-call sizes ---------------------------------------------------------------

    /// `bufferevent_set_max_single_read`: 0 (or too large) restores the default.
    pub fn set_max_single_read(&self, size: usize) -> BevResult {
        let _held = self.held();
        let size = if size == 0 || size > isize::MAX as usize {
            MAX_SINGLE_DEFAULT
        } else {
            size
        };
        self.max_single_read.set(size);
        self.input().set_max_read(size).map_err(|_| BevError)
    }

    /// `bufferevent_set_max_single_write`.
    pub fn set_max_single_write(&self, size: usize) {
        let _held = self.held();
        let size = if size == 0 || size > isize::MAX as usize {
            MAX_SINGLE_DEFAULT
        } else {
            size
        };
        self.max_single_write.set(size);
    }

    /// `bufferevent_get_max_single_read`.
    pub fn max_single_read(&self) -> usize {
        let _held = self.held();
        self.max_single_read.get()
    }

    /// `bufferevent_get_max_single_write`.
    pub fn max_single_write(&self) -> usize {
        let _held = self.held();
        self.max_single_write.get()
    }
}

/// The read event's finalizer: the last step of a bufferevent.
struct Destroy;

impl EventHandler for Destroy {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: finalized by `start_teardown` with no references left.
        unsafe { Bufferevent::destroy(bev) };
    }
}
