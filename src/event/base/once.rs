use super::*;

/// A heap-allocated one-shot event of `event_base_once`.
pub(super) struct OnceEvent {
    pub(super) event: Event,
    /// What runs when the event fires: the program's callback, or the loop exit.
    pub(super) action: Target,
    pub(super) base: *const Base,
}

/// An `event_base_once` event: releases itself, then runs what it was made for.
pub(super) struct RunOnce;

impl EventHandler for RunOnce {
    type Target = OnceEvent;
    fn run(once: NonNull<OnceEvent>, fd: RawFd, what: c_short) {
        let once = once.as_ptr();
        // SAFETY: `once` is the box made by `Base::once`, freed only here or at base
        // teardown (which cannot run while its loop runs this handler).
        let (action, base) = unsafe { ((*once).action, &*(*once).base) };
        {
            let _held = base.held();
            // SAFETY: the lock is held.
            let st = unsafe { base.state() };
            st.once_events.retain(|&o| o != once);
        }
        // SAFETY: removed from the base's list, so this is the only owner now.
        drop(unsafe { Box::from_raw(once) });
        run_event_target(action, fd, what);
    }
}

/// `event_base_loopexit`'s timer.
pub(super) struct ExitLoop;

impl EventHandler for ExitLoop {
    type Target = Base;
    fn run(base: NonNull<Base>, _fd: RawFd, _what: c_short) {
        // SAFETY: the base outlives its events.
        let base = unsafe { base.as_ref() };
        let _held = base.held();
        // SAFETY: the lock is held.
        unsafe { base.state() }.run.got_exit = true;
    }
}

impl Base {
    /// `event_base_once`.
    pub fn once(
        &self,
        fd: RawFd,
        events: c_short,
        callback: Option<EventCallbackFn>,
        arg: *mut c_void,
        timeout: Option<Tv>,
    ) -> Result<(), EventError> {
        let action = Target::Program(CallbackFn { event: callback }, arg);
        self.once_target(fd, events, action, timeout)
    }

    pub(super) fn once_target(
        &self,
        fd: RawFd,
        events: c_short,
        action: Target,
        timeout: Option<Tv>,
    ) -> Result<(), EventError> {
        let io = events & (ev::READ | ev::WRITE | ev::CLOSED);
        // Neither signals nor persistence fire once; and a timer or I/O must be asked for.
        if events & (ev::SIGNAL | ev::PERSIST) != 0 || (io == 0 && events & ev::TIMEOUT == 0) {
            return Err(EventError::Invalid);
        }
        let raw = Box::into_raw(Box::new(OnceEvent {
            event: zeroed_event(),
            action,
            base: self,
        }));
        // SAFETY: `raw` is a live box until `RunOnce` or base teardown frees it; the
        // event is its own field.
        let (event, once) = unsafe {
            (
                NonNull::from(&mut (*raw).event),
                NonNull::new_unchecked(raw),
            )
        };
        // SAFETY: the event's memory is live and not added.
        if let Err(e) = unsafe {
            crate::event::assign_handler(event, self, fd, io, Handler::new::<RunOnce>(once))
        } {
            // SAFETY: `raw` came from Box::into_raw and was not queued.
            drop(unsafe { Box::from_raw(raw) });
            return Err(e);
        }
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let immediate = io == 0 && timeout.is_none_or(|t| t == Tv::ZERO);
        let result = if immediate {
            // SAFETY: the event is live; the lock is held.
            unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
            Ok(())
        } else {
            // SAFETY: the event is live; the lock is held
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
        let exit = Target::Handler(Handler::new::<ExitLoop>(NonNull::from(self)));
        self.once_target(-1, ev::TIMEOUT, exit, timeout)
    }
}
