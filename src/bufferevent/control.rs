//! Enabling and suspending each direction, watermarks and timeouts.

use super::*;

impl Bufferevent {
    // ----- enabling, suspending, watermarks and timeouts --------------------------------

    /// `bufferevent_enable`.
    pub fn enable(&self, events: c_short) -> BevResult {
        let _hold = self.hold();
        let mut wanted = events;
        if self.read_suspended.get() != 0 {
            wanted &= !ev::READ;
        }
        if self.write_suspended.get() != 0 {
            wanted &= !ev::WRITE;
        }
        self.raw_mut().enabled |= events;
        if wanted != 0 {
            self.kind_enable(wanted)?;
        }
        Ok(())
    }

    /// `bufferevent_disable`.
    pub fn disable(&self, events: c_short) -> BevResult {
        let _held = self.held();
        self.raw_mut().enabled &= !events;
        self.kind_disable(events)
    }

    pub(super) fn suspend_read(&self, reason: u16) {
        let _held = self.held();
        if self.read_suspended.get() == 0 {
            let _ = self.kind_disable(ev::READ);
        }
        self.read_suspended.set(self.read_suspended.get() | reason);
    }

    pub(super) fn unsuspend_read(&self, reason: u16) {
        let _held = self.held();
        self.read_suspended.set(self.read_suspended.get() & !reason);
        if self.read_suspended.get() == 0 && self.enabled_bits() & ev::READ != 0 {
            let _ = self.kind_enable(ev::READ);
        }
    }

    pub(super) fn suspend_write(&self, reason: u16) {
        let _held = self.held();
        if self.write_suspended.get() == 0 {
            let _ = self.kind_disable(ev::WRITE);
        }
        self.write_suspended
            .set(self.write_suspended.get() | reason);
    }

    pub(super) fn unsuspend_write(&self, reason: u16) {
        let _held = self.held();
        self.write_suspended
            .set(self.write_suspended.get() & !reason);
        if self.write_suspended.get() == 0 && self.enabled_bits() & ev::WRITE != 0 {
            let _ = self.kind_enable(ev::WRITE);
        }
    }

    /// `bufferevent_setwatermark`.
    pub fn set_watermark(&self, events: c_short, low: usize, high: usize) {
        let _held = self.held();
        if events & ev::WRITE != 0 {
            self.raw_mut().wm_write = Watermark { low, high };
        }
        if events & ev::READ == 0 {
            return;
        }
        self.raw_mut().wm_read = Watermark { low, high };
        let input = self.input();
        if high != 0 {
            let entry = self.input_watermark_entry.get().or_else(|| {
                let entry = input.add_handler(OnChange::new::<ReadWatermark>(self.this()))?;
                self.input_watermark_entry.set(Some(entry));
                Some(entry)
            });
            let Some(entry) = entry else {
                log::warn(format_args!(
                    "bufferevent_setwatermark: out of memory; the read high-watermark is \
                     not applied"
                ));
                return;
            };
            input.update_callback_flags(entry, CB_ENABLED | CB_NODEFER, 0);
            if input.len() >= high {
                self.suspend_read(suspend::WATERMARK);
            } else {
                self.unsuspend_read(suspend::WATERMARK);
            }
        } else {
            if let Some(entry) = self.input_watermark_entry.get() {
                input.update_callback_flags(entry, 0, CB_ENABLED);
            }
            self.unsuspend_read(suspend::WATERMARK);
        }
    }

    /// `bufferevent_getwatermark`: `events` must be exactly `EV_READ` or `EV_WRITE`.
    pub fn watermark(&self, events: c_short) -> Option<(usize, usize)> {
        let _held = self.held();
        let wm = match events {
            ev::READ => self.raw_ref().wm_read,
            ev::WRITE => self.raw_ref().wm_write,
            _ => return None,
        };
        Some((wm.low, wm.high))
    }

    /// `bufferevent_set_timeouts`: None (or zero) clears a timeout.
    pub fn set_timeouts(&self, read: Option<Tv>, write: Option<Tv>) -> BevResult {
        let _held = self.held();
        self.raw_mut().timeout_read = to_timeval(read);
        self.raw_mut().timeout_write = to_timeval(write);
        match self.kind {
            Kind::Socket(_) => self.adjust_existing_timeouts(),
            Kind::Foreign(ref f) if f.timeouts_on_fd() => self.adjust_existing_timeouts(),
            Kind::Pair(_) | Kind::Filter(_) | Kind::Foreign(_) => self.adjust_generic_timeouts(),
        }
    }

    /// Re-arms the pending events with the current timeouts (socket bufferevents).
    pub(super) fn adjust_existing_timeouts(&self) -> BevResult {
        let mut result = Ok(());
        for (event, what, timeout) in [
            (self.ev_read(), ev::READ, self.timeout_read()),
            (self.ev_write(), ev::WRITE, self.timeout_write()),
        ] {
            // SAFETY: the bufferevent's own assigned events.
            unsafe {
                if event::pending(event, what).0 == 0 {
                    continue;
                }
                let r = match timeout {
                    Some(tv) => event::add(event, Some(tv)),
                    None => event::remove_timer(event),
                };
                if r.is_err() {
                    result = Err(BevError);
                }
            }
        }
        result
    }

    /// Arms or clears the timeout-only events of pairs and filters.
    pub(super) fn adjust_generic_timeouts(&self) -> BevResult {
        let enabled = self.enabled_bits();
        let read = (enabled & ev::READ != 0 && self.read_suspended.get() == 0)
            .then(|| self.timeout_read())
            .flatten();
        let write = (enabled & ev::WRITE != 0
            && self.write_suspended.get() == 0
            && !self.output().is_empty())
        .then(|| self.timeout_write())
        .flatten();
        let r1 = self.set_generic_timeout(self.ev_read(), read);
        let r2 = self.set_generic_timeout(self.ev_write(), write);
        r1.and(r2)
    }

    pub(super) fn set_generic_timeout(
        &self,
        event: NonNull<Event>,
        timeout: Option<Tv>,
    ) -> BevResult {
        // SAFETY: the bufferevent's own assigned timer events.
        let r = unsafe {
            match timeout {
                Some(tv) => event::add(event, Some(tv)),
                None => event::del(event, DelMode::Auto),
            }
        };
        r.map_err(|_| BevError)
    }

    /// Restarts the read timeout of a pair or filter, if one is set.
    pub(super) fn reset_generic_read_timeout(&self) {
        if let Some(tv) = self.timeout_read() {
            // SAFETY: the bufferevent's own assigned timer event.
            let _ = unsafe { event::add(self.ev_read(), Some(tv)) };
        }
    }

    pub(super) fn reset_generic_write_timeout(&self) {
        if let Some(tv) = self.timeout_write() {
            // SAFETY: the bufferevent's own assigned timer event
            let _ = unsafe { event::add(self.ev_write(), Some(tv)) };
        }
    }

    pub(super) fn del_generic_timeout(&self, event: NonNull<Event>) {
        // SAFETY: the bufferevent's own assigned timer event.
        let _ = unsafe { event::del(event, DelMode::Auto) };
    }

    /// Assigns the timeout-only events of pairs and filters.
    pub(super) fn assign_generic_timeouts(&self) {
        let (base, this) = (self.base(), self.this());
        // SAFETY: the bufferevent's own event fields; its events end before it does.
        unsafe {
            let _ = event::assign_handler(
                self.ev_read(),
                base,
                -1,
                ev::FINALIZE,
                Handler::new::<ReadTimeout>(this),
            );
            let _ = event::assign_handler(
                self.ev_write(),
                base,
                -1,
                ev::FINALIZE,
                Handler::new::<WriteTimeout>(this),
            );
        }
    }

    /// A pair's or filter's timeout for `direction` (`EV_READ` or `EV_WRITE`) fired:
    /// the direction is disabled and the program told.
    pub(super) fn generic_timeout(&self, direction: c_short, report: c_short) {
        let _hold = self.hold();
        let _ = self.disable(direction);
        self.run_eventcb(what::TIMEOUT | report, 0, errno::get());
    }
}

/// The input callback that applies the read high-watermark.
pub(super) struct ReadWatermark;

impl ChangeHandler for ReadWatermark {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _info: &CallbackInfo) {
        // SAFETY: registered on the bufferevent's own input, which goes with it.
        let bev = unsafe { bev.as_ref() };
        if bev.input().len() >= bev.raw_ref().wm_read.high {
            bev.suspend_read(suspend::WATERMARK);
        } else {
            bev.unsuspend_read(suspend::WATERMARK);
        }
    }
}

/// A pair's or filter's read timeout.
pub(super) struct ReadTimeout;

impl EventHandler for ReadTimeout {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes.
        unsafe { bev.as_ref() }.generic_timeout(ev::READ, what::READING);
    }
}

/// A pair's or filter's write timeout.
pub(super) struct WriteTimeout;

impl EventHandler for WriteTimeout {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes
        unsafe { bev.as_ref() }.generic_timeout(ev::WRITE, what::WRITING);
    }
}
