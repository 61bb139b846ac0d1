use super::*;

impl Base {
    /// Counts a non-internal callback entering (+1) or leaving (-1) one of the base's
    /// structures (fd/signal lists, timeouts, active queues), as libevent counts "added".
    #[inline]
    pub(super) fn count_inserted(st: &mut State, flags: u16, delta: isize) {
        if flags & list::INTERNAL == 0 {
            st.event_count = st.event_count.wrapping_add_signed(delta);
            if delta > 0 {
                st.event_count_max = st.event_count_max.max(st.event_count);
            }
        }
    }

    /// Counts any callback entering or leaving the active queues.
    #[inline]
    pub(super) fn count_active(st: &mut State, flags: u16, delta: isize) {
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
    pub(super) unsafe fn activate_nolock(
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
            e.kind.extra.signal = crate::event::raw::SignalCalls {
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
    pub(super) unsafe fn active_insert(&self, st: &mut State, cb: NonNull<EventCallback>) {
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
    pub(super) unsafe fn active_remove(&self, st: &mut State, event: NonNull<Event>) {
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
    pub(super) unsafe fn active_later_remove(&self, st: &mut State, cb: NonNull<EventCallback>) {
        // SAFETY: guaranteed by the caller.
        let c = unsafe { &mut *cb.as_ptr() };
        c.flags &= !list::ACTIVE_LATER;
        Self::count_active(st, c.flags, -1);
        // SAFETY: the callback is in that queue.
        unsafe { st.active_later.remove(cb) };
    }

    /// Moves callbacks queued for "next round" into their active queues.
    ///
    /// # Safety
    /// The lock is held.
    pub(super) unsafe fn activate_later_events(&self, st: &mut State) {
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
}
