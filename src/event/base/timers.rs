use super::*;

/// Timeouts: a heap of deadlines, and the queues of common timeouts.
#[derive(Default)]
pub(super) struct Timeouts {
    pub(super) heap: TimerHeap,
    /// The program keeps pointers to each queue's duration.
    pub(super) common: Vec<Owned<CommonTimeout>>,
}

/// A queue of events sharing one common timeout duration.
pub(super) struct CommonTimeout {
    /// The tagged duration handed to the program (`event_base_init_common_timeout`).
    pub(super) duration: libc::timeval,
    pub(super) events: TimeoutQueue,
    /// Internal timer that fires when the first queued event is due.
    pub(super) timer: Owned<Event>,
    /// The queue's place in the base's list (and in its durations' tag).
    pub(super) index: usize,
}

impl Timeouts {
    /// The common-timeout queue that microseconds value `usec` is tagged with, if it
    /// names one of this base's queues.
    #[inline]
    pub(super) fn common_index(&self, usec: i64) -> Option<usize> {
        common::queue_index(usec).filter(|&i| i < self.common.len())
    }
}

/// When an event's timeout fires, on the base's monotonic clock (the common-timeout
/// tag taken off).
pub(super) fn deadline_of(e: EventFields) -> Tv {
    let t = Tv::from_timeval_raw(&e.timeout());
    Tv::normalized(t.sec, t.usec & common::MICROSECONDS_MASK)
}

impl CommonTimeout {
    /// The tagged duration, as the program keeps it: made from the queue's own pointer,
    /// so later borrows of the queue leave it valid.
    fn duration_ptr(queue: &Owned<CommonTimeout>) -> *const libc::timeval {
        // SAFETY: the queue is live; no reference is made.
        unsafe { ptr::addr_of!((*queue.ptr().as_ptr()).duration) }
    }
}

/// A common-timeout queue's timer: expires the queue's due events.
pub(super) struct ExpireCommonTimeouts;

impl EventHandler for ExpireCommonTimeouts {
    type Target = CommonTimeout;
    fn run(queue: NonNull<CommonTimeout>, _fd: RawFd, _what: c_short) {
        // SAFETY: the queue lives with the base, as long as its timer; the timer's
        // event records the base. Fields are read in place.
        let (base, index) = unsafe {
            let q = queue.as_ptr();
            ((*(*q).timer.ptr().as_ptr()).base, (*q).index)
        };
        // SAFETY: internal events' base outlives them.
        unsafe { &*base }.expire_common_timeouts(index);
    }
}

impl Base {
    /// # Safety
    /// The event is live and in one of this base's timeout structures.
    pub(super) unsafe fn timeout_remove(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        e.remove_flags(list::TIMEOUT);
        st.counts.inserted(e.flags(), -1);
        match st
            .timeouts
            .common_index(Tv::from_timeval_raw(&e.timeout()).usec)
        {
            Some(index) => {
                // SAFETY: the event is in that queue (its tag says so).
                unsafe { st.timeouts.common[index].get_mut().events.remove(event) };
            }
            None => {
                // SAFETY: the event is in the heap at its recorded index.
                unsafe { st.timeouts.heap.remove(e.heap_index()) };
                e.set_heap_index(usize::MAX);
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
        let e = unsafe { EventFields::new(event) };
        if e.flags() & list::TIMEOUT != 0 {
            // SAFETY: the event is in a timeout structure.
            unsafe { self.timeout_remove(st, event) };
            e.set_timeout(Tv::ZERO.to_timeval_raw());
            // A persistent event loses its interval too, so the timeout does not come
            // back after the next run (libevent clears it the same way).
            if e.events() & ev::SIGNAL == 0 {
                e.set_persist_timeout(Tv::ZERO.to_timeval_raw());
                e.remove_flags(list::PERSIST_TIMEOUT);
            }
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
                .timeouts
                .common
                .get(index)
                .map(CommonTimeout::duration_ptr);
        }
        let duration = Tv::normalized(duration.sec, duration.usec);
        for queue in &st.timeouts.common {
            let known = Tv::from_timeval_raw(&queue.get().duration);
            let known = Tv::normalized(known.sec, known.usec & common::MICROSECONDS_MASK);
            if known == duration {
                return Some(CommonTimeout::duration_ptr(queue));
            }
        }
        let index = st.timeouts.common.len();
        if index >= common::MAX_QUEUES {
            log::warn(format_args!(
                "event_base_init_common_timeout: Too many common timeouts already in use; we only support {}",
                common::MAX_QUEUES
            ));
            return None;
        }
        let queue = Owned::new(CommonTimeout {
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
            index,
        });
        let handler = Handler::new::<ExpireCommonTimeouts>(queue.ptr());
        let timer = queue.get().timer.ptr();
        // SAFETY: the timer is live and not added; no reference to it is alive.
        unsafe { (*timer.as_ptr()).callback.set_handler(handler) };
        let duration = CommonTimeout::duration_ptr(&queue);
        st.timeouts.common.push(queue);
        Some(duration)
    }

    /// Runs when a common-timeout queue's first event is due.
    pub(super) fn expire_common_timeouts(&self, index: usize) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let now = st.clock.now(&self.clock);
        loop {
            let queue = st.timeouts.common[index].get();
            let Some(event) = queue.events.first() else {
                break;
            };
            // SAFETY: queued events are live.
            let e = unsafe { EventFields::new(event) };
            let due = deadline_of(e);
            if due > now {
                let timer = queue.timer.ptr();
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
        let e = unsafe { EventFields::new(event) };
        if e.closure() == Closure::Persist as u8 {
            // SAFETY: the event is in a timeout structure / its active queue.
            unsafe {
                self.timeout_remove(st, event);
                if e.flags() & list::ACTIVE != 0 {
                    st.queues.remove(&mut st.counts, Event::as_callback(event));
                }
            }
        } else {
            // SAFETY: the event is live.
            let _ = unsafe { self.remove_everywhere(st, event) };
        }
        // SAFETY: the event is live
        unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
    }

    pub(super) fn process_timeouts(&self, st: &mut State) {
        if st.timeouts.heap.is_empty() {
            return;
        }
        let now = st.clock.now(&self.clock);
        while let Some((deadline, event)) = st.timeouts.heap.peek() {
            if deadline > now {
                break;
            }
            // SAFETY: heap events are live; the lock is held.
            unsafe { self.expire(st, event) };
        }
    }

    pub(super) fn next_timeout(&self, st: &mut State) -> Option<Duration> {
        let (deadline, _) = st.timeouts.heap.peek()?;
        let now = st.clock.now(&self.clock);
        Some(deadline.minus(now).to_duration())
    }

    /// Before a persistent event's callback: schedules its next timeout.
    ///
    /// # Safety
    /// The event is live; the lock is held.
    pub(super) unsafe fn rearm_persist_timeout(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        // SAFETY: persistent events keep their interval in this member.
        let interval = Tv::from_timeval_raw(&e.persist_timeout());
        if interval == Tv::ZERO {
            return;
        }
        let tag = st.timeouts.common_index(interval.usec);
        let span = match tag {
            Some(_) => Tv::normalized(interval.sec, interval.usec & common::MICROSECONDS_MASK),
            None => Tv::normalized(interval.sec, interval.usec),
        };
        let now = st.clock.now(&self.clock);
        // Counting from the previous deadline keeps periodic timers from drifting; a
        // loop that fell behind by more than one interval starts again from now.
        let mut run_at = if e.res() & ev::TIMEOUT != 0 {
            deadline_of(e).plus(span)
        } else {
            now.plus(span)
        };
        if run_at < now {
            run_at = now.plus(span);
        }
        if let Some(index) = tag {
            run_at.usec = common::encode(index, run_at.usec);
        }
        // SAFETY: the event is live; the lock is held.
        let _ = unsafe { self.add_nolock(st, event, Some(run_at), true) };
    }
}
