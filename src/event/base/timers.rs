use super::*;

/// A queue of events sharing one common timeout duration.
pub(super) struct CommonTimeout {
    /// The tagged duration handed to the program (`event_base_init_common_timeout`).
    pub(super) duration: libc::timeval,
    pub(super) events: TimeoutQueue,
    /// Internal timer that fires when the first queued event is due.
    pub(super) timer: Box<Event>,
}

/// A common-timeout queue's timer: expires the queue's due events.
pub(super) struct ExpireCommonTimeouts;

impl EventHandler for ExpireCommonTimeouts {
    type Target = CommonTimeout;
    fn run(queue: NonNull<CommonTimeout>, _fd: RawFd, _what: c_short) {
        // SAFETY: the queue lives with the base, as long as its timer; the timer's
        // event records the base.
        let base = unsafe { &*(*queue.as_ptr()).timer.base };
        base.expire_common_timeouts(queue.as_ptr());
    }
}

impl Base {
    /// # Safety
    /// The event is live and in one of this base's timeout structures.
    pub(super) unsafe fn timeout_remove(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        e.callback.flags &= !list::TIMEOUT;
        Self::count_inserted(st, e.callback.flags, -1);
        match common::queue_index(e.timeout.tv_usec).filter(|&i| i < st.common_timeouts.len()) {
            Some(index) => {
                // SAFETY: the event is in that queue (its tag says so).
                unsafe { st.common_timeouts[index].events.remove(event) };
            }
            None => {
                // SAFETY: the event is in the heap at its recorded index.
                unsafe { st.timers.remove(e.timeout_pos.heap_index) };
                e.timeout_pos.heap_index = usize::MAX;
            }
        }
    }

    /// `event_remove_timer`: cancels the timeout only.
    ///
    /// # Safety
    /// `event` points to a live event of this base.
    pub unsafe fn remove_timer(&self, event: NonNull<Event>) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.flags & list::TIMEOUT != 0 {
            // SAFETY: the event is in a timeout structure.
            unsafe { self.timeout_remove(st, event) };
            e.timeout = Tv::ZERO.to_timeval_raw();
        }
        Ok(())
    }

    /// `event_base_init_common_timeout`: a tagged duration to pass to `event_add` for
    /// many events with the same timeout, or None when the base has too many.
    pub fn init_common_timeout(&self, duration: Tv) -> Option<*const libc::timeval> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if let Some(index) = common::queue_index(duration.usec) {
            return st
                .common_timeouts
                .get(index)
                .map(|q| &q.duration as *const libc::timeval);
        }
        let duration = Tv::normalized(duration.sec, duration.usec);
        for queue in &st.common_timeouts {
            let known = Tv::normalized(
                queue.duration.tv_sec,
                queue.duration.tv_usec & common::MICROSECONDS_MASK,
            );
            if known == duration {
                return Some(&queue.duration);
            }
        }
        let index = st.common_timeouts.len();
        if index >= common::MAX_QUEUES {
            log::warn(format_args!(
                "event_base_init_common_timeout: Too many common timeouts already in use; we only support {}",
                common::MAX_QUEUES
            ));
            return None;
        }
        let mut queue = Box::new(CommonTimeout {
            duration: Tv {
                sec: duration.sec,
                usec: common::encode(index, duration.usec),
            }
            .to_timeval_raw(),
            events: TimeoutQueue::default(),
            // The handler's target is set right below, once the queue has its address.
            timer: new_internal_event(
                self,
                -1,
                0,
                Handler::new::<ExpireCommonTimeouts>(NonNull::dangling()),
            ),
        });
        let queue_ptr = NonNull::from(&mut *queue);
        queue
            .timer
            .callback
            .set_handler(Handler::new::<ExpireCommonTimeouts>(queue_ptr));
        st.common_timeouts.push(queue);
        st.common_timeouts
            .last()
            .map(|q| &q.duration as *const libc::timeval)
    }

    /// Runs when a common-timeout queue's first event is due.
    pub(super) fn expire_common_timeouts(&self, queue: *mut CommonTimeout) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let now = self.now(st);
        // SAFETY: the queue is one of this base's boxed queues, alive with the base.
        let queue = unsafe { &mut *queue };
        while let Some(event) = queue.events.first() {
            // SAFETY: queued events are live.
            let e = unsafe { &mut *event.as_ptr() };
            let due = Tv::normalized(
                e.timeout.tv_sec,
                e.timeout.tv_usec & common::MICROSECONDS_MASK,
            );
            if due > now {
                let timer = NonNull::from(&mut *queue.timer);
                // SAFETY: the queue's timer lives with the base.
                let _ = unsafe { self.add_nolock(st, timer, Some(due), true) };
                break;
            }
            // SAFETY: the event is live and ours.
            unsafe { self.expire(st, event) };
        }
    }

    /// A timeout fired: deletes (or, for persistent events, only un-times) the event
    /// and activates it with `EV_TIMEOUT` alone.
    ///
    /// # Safety
    /// The event is live and in a timeout structure; the lock is held.
    pub(super) unsafe fn expire(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        if e.callback.closure == Closure::Persist as u8 {
            // SAFETY: the event is in a timeout structure / its active queue.
            unsafe {
                self.timeout_remove(st, event);
                if e.callback.flags & list::ACTIVE != 0 {
                    self.active_remove(st, event);
                }
            }
        } else {
            // SAFETY: the event is live.
            let _ = unsafe { self.remove_everywhere(st, event) };
        }
        // SAFETY: as above.
        unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
    }

    pub(super) fn process_timeouts(&self, st: &mut State) {
        if st.timers.is_empty() {
            return;
        }
        let now = self.now(st);
        while let Some((deadline, event)) = st.timers.peek() {
            if deadline > now {
                break;
            }
            // SAFETY: heap events are live; the lock is held.
            unsafe { self.expire(st, event) };
        }
    }

    pub(super) fn next_timeout(&self, st: &mut State) -> Option<Duration> {
        let (deadline, _) = st.timers.peek()?;
        let now = self.now(st);
        Some(deadline.minus(now).to_duration())
    }

    /// Before a persistent event's callback: schedules its next timeout.
    ///
    /// # Safety
    /// The event is live; the lock is held.
    pub(super) unsafe fn rearm_persist_timeout(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { &mut *event.as_ptr() };
        // SAFETY: persistent events keep their interval in this member.
        let interval = unsafe { e.kind.extra.persist_timeout };
        if interval.tv_sec == 0 && interval.tv_usec == 0 {
            return;
        }
        let span = Tv::normalized(
            interval.tv_sec,
            interval.tv_usec & common::MICROSECONDS_MASK,
        );
        let start = if e.res & ev::TIMEOUT != 0 {
            // Counting from the previous deadline keeps periodic timers from drifting.
            Tv::normalized(
                e.timeout.tv_sec,
                e.timeout.tv_usec & common::MICROSECONDS_MASK,
            )
        } else {
            self.now(st)
        };
        let mut run_at = start.plus(span);
        if let Some(index) = common::queue_index(interval.tv_usec) {
            run_at.usec = common::encode(index, run_at.usec);
        }
        // SAFETY: the event is live; the lock is held.
        let _ = unsafe { self.add_nolock(st, event, Some(run_at), true) };
    }
}
