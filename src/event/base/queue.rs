use super::*;

/// Callbacks waiting to run: one queue per priority, and those for the next round.
pub(super) struct ActiveQueues {
    pub(super) active: Vec<CallbackQueue>,
    pub(super) later: CallbackQueue,
}

impl Default for ActiveQueues {
    fn default() -> Self {
        ActiveQueues {
            active: vec![CallbackQueue::default()],
            later: CallbackQueue::default(),
        }
    }
}

impl ActiveQueues {
    /// The queue of `priority`, or the least urgent one for a value beyond the range
    /// (priorities can shrink after an event was given one).
    #[inline]
    fn index(&self, priority: u8) -> usize {
        usize::from(priority).min(self.active.len() - 1)
    }

    /// Queues `cb` behind the callbacks of its priority.
    ///
    /// # Safety
    /// `cb` is live and in no queue; it stays live until taken off.
    #[inline]
    pub(super) unsafe fn push(&mut self, counts: &mut Counters, cb: NonNull<EventCallback>) {
        let c = cb.as_ptr();
        // SAFETY: guaranteed by the caller; fields are accessed in place.
        let (flags, priority) = unsafe {
            (*c).flags |= list::ACTIVE;
            ((*c).flags, (*c).priority)
        };
        counts.activated(flags, 1);
        let index = self.index(priority);
        // SAFETY: `cb` is live and in no queue.
        unsafe { self.active[index].push_back(cb) };
    }

    /// Takes `cb` off its priority's queue.
    ///
    /// # Safety
    /// `cb` is live and in its priority's queue.
    #[inline]
    pub(super) unsafe fn remove(&mut self, counts: &mut Counters, cb: NonNull<EventCallback>) {
        let c = cb.as_ptr();
        // SAFETY: guaranteed by the caller; fields are accessed in place.
        let (flags, priority) = unsafe {
            (*c).flags &= !list::ACTIVE;
            ((*c).flags, (*c).priority)
        };
        counts.activated(flags, -1);
        let index = self.index(priority);
        // SAFETY: the callback is in that queue.
        unsafe { self.active[index].remove(cb) };
    }

    /// Takes `cb` off the next round's queue.
    ///
    /// # Safety
    /// `cb` is live and in that queue.
    pub(super) unsafe fn remove_later(
        &mut self,
        counts: &mut Counters,
        cb: NonNull<EventCallback>,
    ) {
        // SAFETY: guaranteed by the caller; the flags are updated in place.
        let flags = unsafe {
            (*cb.as_ptr()).flags &= !list::ACTIVE_LATER;
            (*cb.as_ptr()).flags
        };
        counts.activated(flags, -1);
        // SAFETY: the callback is in that queue.
        unsafe { self.later.remove(cb) };
    }

    /// Moves the callbacks queued for the next round into their priorities' queues.
    pub(super) fn promote_later(&mut self) {
        while let Some(cb) = self.later.first() {
            let c = cb.as_ptr();
            // SAFETY: queued callbacks are live; fields are accessed in place.
            let priority = unsafe {
                self.later.remove(cb);
                (*c).flags = ((*c).flags & !list::ACTIVE_LATER) | list::ACTIVE;
                (*c).priority
            };
            let index = self.index(priority);
            // SAFETY: live, and in no queue since its removal above.
            unsafe { self.active[index].push_back(cb) };
        }
    }
}

/// What `event_base_get_num_events` and `event_base_get_max_events` report.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) added: usize,
    pub(super) added_max: usize,
    pub(super) active: usize,
    pub(super) active_max: usize,
    pub(super) virtual_: usize,
    pub(super) virtual_max: usize,
}

impl Counters {
    /// A non-internal callback entering (+1) or leaving (-1) one of the base's
    /// structures (fd/signal lists, timeouts, active queues), as libevent counts "added".
    #[inline]
    pub(super) fn inserted(&mut self, flags: u16, delta: isize) {
        if flags & list::INTERNAL == 0 {
            self.added = self.added.wrapping_add_signed(delta);
            if delta > 0 {
                self.added_max = self.added_max.max(self.added);
            }
        }
    }

    /// Any callback entering or leaving the active queues.
    #[inline]
    pub(super) fn activated(&mut self, flags: u16, delta: isize) {
        self.inserted(flags, delta);
        self.active = self.active.wrapping_add_signed(delta);
        if delta > 0 {
            self.active_max = self.active_max.max(self.active);
        }
    }
}

impl Base {
    /// `event_base_get_num_events`.
    pub fn num_events(&self, which: u32) -> usize {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        let mut n = 0;
        if which & count::ACTIVE != 0 {
            n += st.counts.active;
        }
        if which & count::VIRTUAL != 0 {
            n += st.counts.virtual_;
        }
        if which & count::ADDED != 0 {
            n += st.counts.added;
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
            n += st.counts.active_max;
            if clear {
                st.counts.active_max = 0;
            }
        }
        if which & count::VIRTUAL != 0 {
            n += st.counts.virtual_max;
            if clear {
                st.counts.virtual_max = 0;
            }
        }
        if which & count::ADDED != 0 {
            n += st.counts.added_max;
            if clear {
                st.counts.added_max = 0;
            }
        }
        n
    }

    /// Keeps the loop from exiting for lack of events (used by deferred work).
    pub fn add_virtual(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        st.counts.virtual_ += 1;
        st.counts.virtual_max = st.counts.virtual_max.max(st.counts.virtual_);
    }

    pub fn del_virtual(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        st.counts.virtual_ = st.counts.virtual_.saturating_sub(1);
        if st.counts.virtual_ == 0 {
            self.notify_if_needed(st);
        }
    }

    /// `event_base_priority_init`.
    pub fn priority_init(&self, n: i32) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        let Ok(n) = usize::try_from(n) else {
            return Err(EventError::Invalid);
        };
        if st.counts.active > 0 || !(1..MAX_PRIORITIES).contains(&n) {
            return Err(EventError::Invalid);
        }
        if n != st.queues.active.len() {
            st.queues.active = (0..n).map(|_| CallbackQueue::default()).collect();
        }
        Ok(())
    }

    pub fn priorities(&self) -> usize {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        unsafe { self.state() }.queues.active.len()
    }

    /// The priority events get when assigned to this base.
    pub fn default_priority(&self) -> u8 {
        (self.priorities() / 2) as u8
    }

    /// Queues a bare callback (`Closure::SelfCallback`) to run from the loop, as the
    /// deferred callbacks of buffers do. Returns false when it is already queued.
    ///
    /// # Safety
    /// `cb` stays live and at the same address until it has run or been cancelled.
    pub unsafe fn schedule_callback(&self, cb: NonNull<EventCallback>) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let c = cb.as_ptr();
        // SAFETY: guaranteed by the caller; the flags are accessed in place.
        unsafe {
            if (*c).flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
                return false;
            }
            (*c).flags |= list::INTERNAL | list::INIT;
        }
        // SAFETY: live, and in no queue as just checked.
        unsafe { st.queues.push(&mut st.counts, cb) };
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
        let flags = unsafe { (*cb.as_ptr()).flags };
        if flags & list::ACTIVE != 0 {
            // SAFETY: the callback is in its priority's queue.
            unsafe { st.queues.remove(&mut st.counts, cb) };
            true
        } else if flags & list::ACTIVE_LATER != 0 {
            // SAFETY: the callback is in the active-later queue.
            unsafe { st.queues.remove_later(&mut st.counts, cb) };
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
    pub(super) unsafe fn activate_nolock(
        &self,
        st: &mut State,
        event: NonNull<Event>,
        res: c_short,
        ncalls: c_short,
    ) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        let flags = e.flags();
        if flags & list::FINALIZING != 0 {
            return;
        }
        if flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
            e.set_res(e.res() | res);
            return;
        }
        e.set_res(res);
        if st
            .run
            .running_priority
            .is_some_and(|p| usize::from(e.priority()) < p)
        {
            st.run.continue_now = true;
        }
        if e.events() & ev::SIGNAL != 0 {
            e.set_signal_calls(SignalCalls {
                ncalls,
                pncalls: ptr::null_mut(),
            });
        }
        // SAFETY: the event is live and in no queue.
        unsafe { st.queues.push(&mut st.counts, Event::as_callback(event)) };
        self.notify_if_needed(st);
    }
}
