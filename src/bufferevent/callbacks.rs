//! The program's callbacks: running them, at once or deferred to the loop.

use super::*;

impl Bufferevent {
    // ----- callbacks ------------------------------------------------------------------

    pub(super) fn defers(&self, options: u32) -> bool {
        (self.options.get() | options) & options::DEFER_CALLBACKS != 0
    }

    pub(super) fn schedule_deferred(&self) {
        // SAFETY: under the lock; the box lives as long as the bufferevent.
        let slot = unsafe { &mut *self.deferred.get() };
        let callback = slot.get_or_insert_with(|| {
            let this = self.this();
            let run = if self.options.get() & options::UNLOCK_CALLBACKS != 0 {
                Handler::new::<RunDeferredUnlocked>(this)
            } else {
                Handler::new::<RunDeferred>(this)
            };
            // The read event carries the bufferevent's priority.
            let priority = self.raw_ref().ev_read.callback.priority;
            Box::new(EventCallback::with_handler(priority, run))
        });
        // Not queued yet: it takes the bufferevent's current priority.
        if callback.flags & (list::ACTIVE | list::ACTIVE_LATER) == 0 {
            callback.priority = self.raw_ref().ev_read.callback.priority;
        }
        // A raw place, not a `&mut`: while queued, the base keeps the pointer of the
        // first scheduling, which a new `&mut` would invalidate.
        let callback = addr_of_mut!(**callback);
        // SAFETY: a queued run holds the reference taken here, which keeps the box; a
        // box's address is not null.
        if unsafe {
            self.base()
                .schedule_callback(NonNull::new_unchecked(callback))
        } {
            self.refs.set(self.refs.get() + 1);
        }
    }

    /// Where the callback that `pick` selects goes now: to the filter on top when
    /// one took the bufferevent over, else to the program's function, if it set one.
    #[inline]
    pub(super) fn receiver<F>(
        &self,
        pick: impl FnOnce(&RawBufferevent) -> Option<F>,
    ) -> Option<Receiver<F>> {
        if let Some(filter) = self.filter_above.get() {
            return Some(Receiver::Filter(filter));
        }
        let raw = self.raw_ref();
        pick(raw).map(|f| Receiver::Program(f, raw.cbarg))
    }

    #[inline]
    pub(super) fn deliver_read(&self, to: Receiver<DataCallbackFn>) {
        match to {
            // SAFETY: the program's callback with its argument.
            Receiver::Program(cb, arg) => unsafe { cb(self.as_ptr(), arg) },
            Receiver::Filter(filter) => filter::underlying_read(filter),
        }
    }

    #[inline]
    pub(super) fn deliver_write(&self, to: Receiver<DataCallbackFn>) {
        match to {
            // SAFETY: the program's callback with its argument.
            Receiver::Program(cb, arg) => unsafe { cb(self.as_ptr(), arg) },
            Receiver::Filter(filter) => filter::underlying_write(filter),
        }
    }

    /// Reports `events`; `error` is the `errno` the program's callback sees.
    #[inline]
    pub(super) fn deliver_event(
        &self,
        to: Receiver<EventCallbackFn>,
        events: c_short,
        error: c_int,
    ) {
        match to {
            Receiver::Program(cb, arg) => {
                errno::set(error);
                // SAFETY: the program's callback with its argument.
                unsafe { cb(self.as_ptr(), events, arg) };
            }
            Receiver::Filter(filter) => filter::underlying_event(filter, events, error),
        }
    }

    /// `bufferevent_run_readcb_`: the caller holds the lock and a reference.
    pub(super) fn run_readcb(&self, options: u32) {
        let Some(to) = self.receiver(|raw| raw.readcb) else {
            return;
        };
        if self.defers(options) {
            self.readcb_pending.set(true);
            self.schedule_deferred();
        } else {
            self.deliver_read(to);
            self.input_watermark_check();
        }
    }

    pub(super) fn run_writecb(&self, options: u32) {
        let Some(to) = self.receiver(|raw| raw.writecb) else {
            return;
        };
        if self.defers(options) {
            self.writecb_pending.set(true);
            self.schedule_deferred();
        } else {
            self.deliver_write(to);
        }
    }

    /// `bufferevent_run_eventcb_`; `error` is the `errno` the callback sees.
    pub(super) fn run_eventcb(&self, events: c_short, options: u32, error: c_int) {
        let Some(to) = self.receiver(|raw| raw.errorcb) else {
            return;
        };
        if self.defers(options) {
            self.eventcb_pending
                .set(self.eventcb_pending.get() | events);
            self.errno_pending.set(error);
            self.schedule_deferred();
        } else {
            self.deliver_event(to, events, error);
        }
    }

    /// After the read callback: data still at the high-watermark would never wake
    /// reading again, so the callback is scheduled once more.
    pub(super) fn input_watermark_check(&self) {
        let high = self.raw_ref().wm_read.high;
        if high == 0 || self.enabled_bits() & ev::READ == 0 || self.input().len() < high {
            return;
        }
        self.trigger(ev::READ, options::DEFER_CALLBACKS);
    }

    /// `bufferevent_trigger_nolock_`.
    #[inline]
    pub(super) fn trigger_nolock(&self, iotype: c_short, options: u32) {
        let ignore = options & TRIG_IGNORE_WATERMARKS != 0;
        if iotype & ev::READ != 0 && (ignore || self.input().len() >= self.raw_ref().wm_read.low) {
            self.run_readcb(options);
        }
        if iotype & ev::WRITE != 0 && (ignore || self.output().len() <= self.raw_ref().wm_write.low)
        {
            self.run_writecb(options);
        }
    }

    /// `bufferevent_trigger`.
    pub fn trigger(&self, iotype: c_short, options: u32) {
        let _hold = self.hold();
        self.trigger_nolock(iotype, options & TRIG_ALL);
    }

    /// `bufferevent_trigger_event`.
    pub fn trigger_event(&self, events: c_short, options: u32) {
        let error = errno::get();
        let _hold = self.hold();
        self.run_eventcb(events, options & TRIG_ALL, error);
    }

    /// `bufferevent_run_eventcb_` for a kind implemented outside the core: as
    /// [`Bufferevent::trigger_event`], with the `errno` the callback sees given.
    pub fn trigger_event_with_error(&self, events: c_short, options: u32, error: c_int) {
        let _hold = self.hold();
        self.run_eventcb(events, options & TRIG_ALL, error);
    }

    /// Runs what was deferred, in libevent's order: a completed connect, then the read
    /// and write callbacks, then the other events merged into one call.
    pub(super) fn run_deferred(&self, unlock_around: bool) {
        if let Some(l) = self.lock_ref() {
            l.lock();
        }
        let call = |f: &dyn Fn()| {
            if unlock_around {
                if let Some(l) = self.lock_ref() {
                    l.unlock();
                }
                f();
                if let Some(l) = self.lock_ref() {
                    l.lock();
                }
            } else {
                f();
            }
        };
        let pending = self.eventcb_pending.get();
        if pending & what::CONNECTED != 0 {
            if let Some(to) = self.receiver(|raw| raw.errorcb) {
                self.eventcb_pending.set(pending & !what::CONNECTED);
                // The connect is reported with `errno` as it is.
                call(&|| self.deliver_event(to, what::CONNECTED, errno::get()));
            }
        }
        if self.readcb_pending.get() {
            if let Some(to) = self.receiver(|raw| raw.readcb) {
                self.readcb_pending.set(false);
                call(&|| self.deliver_read(to));
                if self.input().is_empty() {
                    self.input().shrink();
                }
                self.input_watermark_check();
            }
        }
        if self.writecb_pending.get() {
            if let Some(to) = self.receiver(|raw| raw.writecb) {
                self.writecb_pending.set(false);
                call(&|| self.deliver_write(to));
            }
        }
        let pending = self.eventcb_pending.get();
        if pending != 0 {
            if let Some(to) = self.receiver(|raw| raw.errorcb) {
                let error = self.errno_pending.get();
                self.eventcb_pending.set(0);
                self.errno_pending.set(0);
                call(&|| self.deliver_event(to, pending, error));
            }
        }
        self.decref_and_unlock();
    }
}

/// Where one of a bufferevent's callbacks goes.
#[derive(Clone, Copy)]
pub(super) enum Receiver<F> {
    /// The program's function from `bufferevent_setcb`, with its argument.
    Program(F, *mut c_void),
    /// The filter on top, which took the bufferevent's callbacks over.
    Filter(NonNull<Bufferevent>),
}

/// The deferred callbacks, run with the lock held throughout.
pub(super) struct RunDeferred;

impl EventHandler for RunDeferred {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: queued by `schedule_deferred`, which took a reference.
        unsafe { bev.as_ref() }.run_deferred(false);
    }
}

/// The deferred callbacks, each run with the lock released (`BEV_OPT_UNLOCK_CALLBACKS`).
pub(super) struct RunDeferredUnlocked;

impl EventHandler for RunDeferredUnlocked {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: queued by `schedule_deferred`, which took a reference
        unsafe { bev.as_ref() }.run_deferred(true);
    }
}
