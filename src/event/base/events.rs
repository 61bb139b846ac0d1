use super::*;

impl Base {
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
    pub(super) unsafe fn add_nolock(
        &self,
        st: &mut State,
        event: NonNull<Event>,
        timeout: Option<Tv>,
        absolute: bool,
    ) -> Result<(), EventError> {
        // SAFETY: the event is live and we hold the state.
        let e = unsafe { EventFields::new(event) };
        if e.flags() & list::FINALIZING != 0 {
            return Err(EventError::Finalizing);
        }
        let kinds = e.events() & (ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL);
        let placed = e.flags() & (list::INSERTED | list::ACTIVE | list::ACTIVE_LATER);
        if kinds != 0 && placed == 0 {
            if e.events() & ev::SIGNAL != 0 {
                // SAFETY: the event is live until deleted.
                unsafe { self.signal_insert(st, event) }?;
            } else {
                // SAFETY: the event is live until deleted
                unsafe { self.io_insert(st, event) }?;
            }
            e.add_flags(list::INSERTED);
            st.counts.inserted(e.flags(), 1);
        }

        if let Some(tv) = timeout {
            let tag = st.timeouts.common_index(tv.usec);
            // Only a real common timeout's microseconds carry a tag to take off.
            let span = match tag {
                Some(_) => Tv::normalized(tv.sec, tv.usec & common::MICROSECONDS_MASK),
                None => Tv::normalized(tv.sec, tv.usec),
            };
            if e.closure() == Closure::Persist as u8 && !absolute {
                e.set_persist_timeout(tv.to_timeval_raw());
                if tv != Tv::ZERO {
                    e.add_flags(list::PERSIST_TIMEOUT);
                }
            }
            // An event moving within the heap is rescheduled in place.
            let in_heap = e.flags() & list::TIMEOUT != 0
                && st
                    .timeouts
                    .common_index(Tv::from_timeval_raw(&e.timeout()).usec)
                    .is_none();
            let reschedule = in_heap && tag.is_none();
            if e.flags() & list::TIMEOUT != 0 && !reschedule {
                // SAFETY: the event is in a timeout structure of this base.
                unsafe { self.timeout_remove(st, event) };
            }
            // Re-adding an event whose timeout already fired: it is not due any more.
            if e.flags() & list::ACTIVE != 0 && e.res() & ev::TIMEOUT != 0 {
                if e.events() & ev::SIGNAL != 0 {
                    // SAFETY: pncalls, when set, points at the running loop's counter.
                    unsafe { stop_signal_calls(e) };
                }
                // SAFETY: the event is in its priority's queue.
                unsafe { st.queues.remove(&mut st.counts, Event::as_callback(event)) };
            }
            let deadline = if absolute {
                span
            } else {
                st.clock.now(&self.clock).plus(span)
            };
            match tag {
                Some(index) => {
                    e.set_timeout(
                        Tv {
                            sec: deadline.sec,
                            usec: common::encode(index, deadline.usec),
                        }
                        .to_timeval_raw(),
                    );
                    e.add_flags(list::TIMEOUT);
                    st.counts.inserted(e.flags(), 1);
                    let queue = st.timeouts.common[index].get_mut();
                    // SAFETY: the event is live and in no timeout structure now.
                    unsafe { queue.events.push_back(event) };
                    if queue.events.first() == Some(event) {
                        let timer = queue.timer.ptr();
                        // SAFETY: the queue's timer lives as long as the base.
                        unsafe { self.add_nolock(st, timer, Some(deadline), true) }?;
                    }
                }
                None if reschedule => {
                    e.set_timeout(deadline.to_timeval_raw());
                    // SAFETY: the event is live and at its recorded place in the heap.
                    unsafe { st.timeouts.heap.reschedule(e.heap_index(), deadline) };
                }
                None => {
                    e.set_timeout(deadline.to_timeval_raw());
                    e.add_flags(list::TIMEOUT);
                    st.counts.inserted(e.flags(), 1);
                    // SAFETY: the event is live and in no timeout structure now.
                    unsafe { st.timeouts.heap.push(deadline, event) };
                }
            }
        }
        self.notify_if_needed(st);
        debug::note_added(event);
        Ok(())
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
    pub(super) unsafe fn del_nolock(
        &self,
        event: NonNull<Event>,
        mode: DelMode,
    ) -> Result<(), EventError> {
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let events = unsafe { (*event.as_ptr()).events };
        let wait = match mode {
            DelMode::NoBlock => false,
            DelMode::Block => true,
            DelMode::Auto => events & ev::FINALIZE == 0,
        };
        if wait && st.run.current == Event::as_callback(event).as_ptr() && !self.in_loop_thread(st)
        {
            self.wait_for_current(event.cast());
        }
        // SAFETY: the lock is held; waiting ended every earlier borrow.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        unsafe { self.remove_everywhere(st, event) }
    }

    /// Waits, with the lock held, until the run of `cb`'s callback that is going on now
    /// has returned. The loop lets the waiting threads in before it runs anything else,
    /// so a waiting `event_del` gets in before the event can run again.
    pub(super) fn wait_for_current(&self, cb: NonNull<EventCallback>) {
        let (Some(lock), Some(cond)) = (&self.lock, &self.wait_for_callback) else {
            return;
        };
        // SAFETY: the lock is held; the borrow ends before waiting.
        let st = unsafe { self.state() };
        let run = st.run.finished;
        st.run.current_waiters += 1;
        loop {
            // SAFETY: the lock is held; the borrow ends before waiting.
            let st = unsafe { self.state() };
            if st.run.current != cb.as_ptr() || st.run.finished != run {
                st.run.current_waiters -= 1;
                if st.run.current_waiters == 0 {
                    // The loop waits for the last waiter to get in.
                    cond.signal(true);
                }
                return;
            }
            cond.wait(lock, None);
        }
    }

    /// Takes the event out of every structure of the base.
    ///
    /// # Safety
    /// The event is live; the lock is held.
    pub(super) unsafe fn remove_everywhere(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        if e.base().is_null() {
            log::warn(format_args!("event_del: event has no event_base set."));
            return Err(EventError::NoBase);
        }
        if e.events() & ev::SIGNAL != 0 {
            // SAFETY: pncalls, when set, points at the running loop's counter.
            unsafe { stop_signal_calls(e) };
        }
        if e.flags() & list::TIMEOUT != 0 {
            // SAFETY: the event is in a timeout structure.
            unsafe { self.timeout_remove(st, event) };
        }
        if e.flags() & list::ACTIVE != 0 {
            // SAFETY: the event is in its priority's queue.
            unsafe { st.queues.remove(&mut st.counts, Event::as_callback(event)) };
        } else if e.flags() & list::ACTIVE_LATER != 0 {
            // SAFETY: the event is in the active-later queue.
            unsafe {
                st.queues
                    .remove_later(&mut st.counts, Event::as_callback(event))
            };
        }
        let mut result = Ok(());
        if e.flags() & list::INSERTED != 0 {
            e.remove_flags(list::INSERTED);
            st.counts.inserted(e.flags(), -1);
            if e.events() & ev::SIGNAL != 0 {
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

    /// `event_finalize` / `event_free_finalize`: deletes the event without waiting and
    /// queues `finalizer` to run in the loop (see [`Finalizer`]).
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn finalize_with(
        &self,
        event: NonNull<Event>,
        finalizer: Finalizer,
    ) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held; the event is live.
        let st = unsafe { self.state() };
        // SAFETY: the lock is held; the event is live
        unsafe { self.remove_everywhere(st, event) }?;
        let (closure, function) = match finalizer {
            Finalizer::Program(f) => (Closure::EventFinalize, Some(f)),
            Finalizer::ProgramThenFree(f) => (Closure::EventFinalizeFree, Some(f)),
            Finalizer::Handler(_) => (Closure::EventFinalize, None),
        };
        // SAFETY: the event is live; no other reference to its callback is in use.
        let c = unsafe { &mut (*event.as_ptr()).callback };
        c.closure = closure as u8;
        match (finalizer, function) {
            (Finalizer::Handler(h), _) => c.set_handler(h),
            (_, Some(f)) => {
                c.function = CallbackFn { event_finalize: f };
                c.flags &= !list::HANDLER;
            }
            _ => {}
        }
        // SAFETY: the event is live; the lock is held.
        unsafe { self.activate_nolock(st, event, ev::FINALIZE, 1) };
        // SAFETY: the event is live; the lock is held
        unsafe { (*event.as_ptr()).callback.flags |= list::FINALIZING };
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
        let e = unsafe { EventFields::new(event) };
        if e.flags() & list::ACTIVE != 0 {
            return Err(EventError::Invalid);
        }
        match u8::try_from(priority) {
            Ok(p) if usize::from(p) < st.queues.active.len() => {
                e.set_priority(p);
                Ok(())
            }
            _ => Err(EventError::Invalid),
        }
    }
}
