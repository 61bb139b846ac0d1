use super::*;

/// The loop's flags and what it is running.
#[derive(Default)]
pub(super) struct LoopState {
    pub(super) running: bool,
    pub(super) owner_thread: u64,
    pub(super) got_exit: bool,
    pub(super) got_break: bool,
    pub(super) continue_now: bool,
    /// Set by loopbreak and loopcontinue: stop running ready callbacks directly.
    pub(super) stop_dispatch: bool,
    /// Whether the last wait ran callbacks directly (see `Base::dispatch_directly`).
    pub(super) ran_directly: bool,
    /// Priority of the queue being run, so that activating a more urgent event can
    /// end the run early (libevent's behaviour).
    pub(super) running_priority: Option<usize>,
    /// The callback running now (null when none), and how many threads wait for it.
    pub(super) current: *mut EventCallback,
    pub(super) current_waiters: usize,
    /// Callback runs finished so far: a waiter waits for the run it saw to end.
    pub(super) finished: u64,
}

/// Calls what an event runs: the program's callback, or a core handler.
#[inline(always)]
pub(super) fn run_event_target(target: Target, fd: RawFd, res: c_short) {
    match target {
        // SAFETY: event closures store an event callback.
        Target::Program(f, arg) => {
            if let Some(f) = unsafe { f.event } {
                // SAFETY: calling the program's callback as libevent does.
                unsafe { f(fd, res, arg) };
            }
        }
        Target::Handler(h) => h.call(fd, res),
    }
}

impl Base {
    /// `event_base_loop`: 0 when it ran, 1 when it stopped for lack of events, -1 on error.
    pub fn run(&self, flags: i32) -> i32 {
        let held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if st.run.running {
            log::warn(format_args!(
                "event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once."
            ));
            return -1;
        }
        st.run.running = true;
        st.run.owner_thread = thread::current_thread_id();
        st.run.got_exit = false;
        st.run.got_break = false;
        st.clock.cached_now = None;
        let mut result = 0;
        loop {
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            st.run.continue_now = false;
            st.run.stop_dispatch = false;
            if st.run.got_exit || st.run.got_break {
                break;
            }
            let has_work = st.counts.added > 0 || st.counts.virtual_ > 0 || st.counts.active > 0;
            if flags & loop_flag::NO_EXIT_ON_EMPTY == 0 && !has_work {
                result = 1;
                break;
            }
            // SAFETY: the lock is held.
            st.queues.promote_later();
            let timeout = if st.counts.active > 0 || flags & loop_flag::NONBLOCK != 0 {
                Some(Duration::ZERO)
            } else {
                self.next_timeout(st)
            };
            st.clock.cached_now = None;
            if !st.watchers.is_empty() {
                self.run_prepare_watchers(timeout);
            }
            let waited = self.wait(timeout);
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            if let Err(err) = waited {
                log::warn(format_args!("event_base_loop: dispatch failed: {err}"));
                result = -1;
                break;
            }
            if !st.watchers.is_empty() {
                self.run_check_watchers();
            }
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            let ran_directly = std::mem::take(&mut st.run.ran_directly);
            if st.run.continue_now || st.run.got_break {
                // A callback run during the wait asked for a new poll or a stop.
                continue;
            }
            self.process_timeouts(st);
            if st.counts.active > 0 {
                let ran = self.process_active() + usize::from(ran_directly);
                // SAFETY: the lock is held; earlier borrows ended.
                let st = unsafe { self.state() };
                if flags & loop_flag::ONCE != 0 && st.counts.active == 0 && ran != 0 {
                    break;
                }
            } else if ran_directly {
                // As after running queued callbacks: EVLOOP_ONCE stops, EVLOOP_NONBLOCK
                // polls again until a poll finds nothing (libevent's rule).
                if flags & loop_flag::ONCE != 0 {
                    break;
                }
            } else if flags & loop_flag::NONBLOCK != 0 {
                break;
            }
        }
        // SAFETY: the lock is held; earlier borrows ended.
        let st = unsafe { self.state() };
        st.clock.cached_now = None;
        st.run.running = false;
        st.run.owner_thread = 0;
        drop(held);
        result
    }

    /// Waits on the poller, then activates what it reported. Called and returns with
    /// the lock held.
    pub(super) fn wait(&self, timeout: Option<Duration>) -> io::Result<()> {
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.wakeup.pending = false;
        let direct = self.may_dispatch_directly(st);
        // The list is taken out for the round and put back at the end, so no borrow of
        // the base's memory is alive while callbacks run; its capacity is kept.
        // SAFETY: only the running loop uses this list, and a base runs one loop at a
        // time.
        let mut ready = std::mem::take(unsafe { &mut *self.ready.get() });
        ready.clear();
        // The poller only fills `ready`; everything it reported is acted on after the
        // wait, when callbacks may change the poller's registrations again. While
        // busy, other threads queue their changes instead of touching the poller.
        st.io.poller_busy = true;
        let outcome = match &self.lock {
            Some(lock) => {
                lock.unlock();
                // SAFETY: `poller_busy` gives this thread sole use of the poller.
                let outcome = unsafe { self.poller() }.wait_into(timeout, &mut ready);
                lock.lock();
                outcome
            }
            // SAFETY: single-threaded: nothing else uses the poller.
            None => unsafe { self.poller() }.wait_into(timeout, &mut ready),
        };
        // SAFETY: the lock is held again; earlier borrows ended.
        let st = unsafe { self.state() };
        st.io.poller_busy = false;
        // Callbacks and timeouts of this round see the time of this poll.
        self.update_cached_time(st);
        if !st.io.pending_changes.is_empty() {
            self.apply_pending_changes(st);
        }
        if direct {
            // libevent would have all of them active at once: count them that way.
            let reported = ready.len();
            st.counts.active_max = st.counts.active_max.max(st.counts.active + reported);
            st.counts.added_max = st.counts.added_max.max(st.counts.added + reported);
            let mut rest = ready.iter();
            for &(fd, readiness) in rest.by_ref() {
                if self.dispatch_directly(fd, readiness_to_events(readiness, self.edge_bit)) {
                    break;
                }
            }
            // After a break or continue, the rest only becomes active, as in libevent.
            // SAFETY: single-threaded base; the callbacks' borrows ended.
            let st = unsafe { self.state() };
            for &(fd, readiness) in rest {
                // SAFETY: single-threaded base.
                unsafe { self.activate_io(st, fd, readiness_to_events(readiness, self.edge_bit)) };
            }
        } else {
            for &(fd, readiness) in ready.iter() {
                // SAFETY: the lock is held.
                unsafe { self.activate_io(st, fd, readiness_to_events(readiness, self.edge_bit)) };
            }
        }
        // SAFETY: as above; no other borrow of the list exists.
        unsafe { *self.ready.get() = ready };
        outcome
    }

    /// Whether ready events may run as the poller reports them instead of going
    /// through the active queue. That gives the same order and results as queueing
    /// when nothing is queued, there is one priority, no dispatch limit, and no
    /// watcher wants to run between the poll and the callbacks.
    #[inline]
    pub(super) fn may_dispatch_directly(&self, st: &State) -> bool {
        self.direct_capable
            && st.counts.active == 0
            && st.queues.active.len() == 1
            && st.watchers.is_empty()
    }

    /// Runs the callback of the one event of `fd` right away when that is
    /// indistinguishable from activating it; otherwise activates as usual. Returns true
    /// when a callback asked for a break or a new poll, so the rest of the batch must
    /// only be activated.
    #[inline(always)]
    pub(super) fn dispatch_directly(&self, fd: RawFd, what: c_short) -> bool {
        // SAFETY: single-threaded base; no other borrow of the state is alive.
        let st = unsafe { self.state() };
        let single = usize::try_from(fd)
            .ok()
            .and_then(|i| st.io.fds.get(i))
            .and_then(|entry| entry.events.first())
            // SAFETY: list members are live.
            .filter(|&event| unsafe { EventList::next(event) }.is_none());
        let Some(event) = single else {
            // SAFETY: single-threaded base.
            unsafe { self.activate_io(st, fd, what) };
            return false;
        };
        let e = event.as_ptr();
        // SAFETY: list members are live; fields are read in place, no reference kept.
        let (events, flags, closure) =
            unsafe { ((*e).events, (*e).callback.flags, (*e).callback.closure) };
        // `what` holds EV_READ, EV_WRITE and EV_CLOSED, and EV_ET that only passes on.
        if events & what & !ev::ET == 0 {
            return false;
        }
        let res = events & what;
        // Events that are queued, special, or have a persistent timeout to re-arm go
        // through the queue.
        let queued = list::ACTIVE
            | list::ACTIVE_LATER
            | list::FINALIZING
            | list::INTERNAL
            | list::PERSIST_TIMEOUT;
        // Closure::Event (0) or Closure::Persist (2), not Closure::Signal (1) or others.
        let plain = closure | Closure::Persist as u8 == Closure::Persist as u8;
        if flags & queued != 0 || !plain {
            // SAFETY: single-threaded base.
            unsafe { self.activate_io(st, fd, what) };
            return false;
        }
        // SAFETY: single-threaded base
        unsafe { (*e).res = res };
        // Without EV_PERSIST in the struct as it stands, whatever the closure (see
        // `run_queue`).
        if events & ev::PERSIST == 0 {
            // SAFETY: the event is live and single-threaded.
            let _ = unsafe { self.remove_everywhere(st, event) };
        }
        // SAFETY: as above; the target is copied out.
        let target = unsafe { (*e).callback.target() };
        st.run.current = e.cast();
        st.run.ran_directly = true;
        // Neither `st` nor the event is touched again until the callback returns.
        run_event_target(target, fd, res);
        // SAFETY: single-threaded base; the callback's borrows ended.
        let st = unsafe { self.state() };
        st.run.current = ptr::null_mut();
        st.run.stop_dispatch
    }

    /// Runs the callbacks of the most urgent non-empty priority. Returns how many
    /// non-internal callbacks ran. Called and returns with the lock held.
    pub(super) fn process_active(&self) -> usize {
        let mut priority = 0;
        loop {
            // SAFETY: the lock is held; each round takes a fresh borrow, since
            // `run_queue` releases the lock around callbacks.
            let st = unsafe { self.state() };
            let Some(queue) = st.queues.active.get(priority) else {
                return 0;
            };
            if queue.is_empty() {
                priority += 1;
                continue;
            }
            let (max_callbacks, deadline) = if priority < self.limits.from_priority {
                (usize::MAX, None)
            } else {
                let deadline = self
                    .limits
                    .max_interval
                    .map(|d| st.clock.read(&self.clock).plus(Tv::from_duration(d)));
                (self.limits.max_callbacks, deadline)
            };
            st.run.running_priority = Some(priority);
            let ran = self.run_queue(priority, max_callbacks, deadline);
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            st.run.running_priority = None;
            if ran > 0 || st.run.got_break {
                return ran;
            }
            priority += 1;
        }
    }

    pub(super) fn run_queue(
        &self,
        priority: usize,
        max_callbacks: usize,
        deadline: Option<Tv>,
    ) -> usize {
        let mut count = 0;
        loop {
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            let Some(queue) = st.queues.active.get(priority) else {
                break;
            };
            let Some(cb) = queue.first() else { break };
            let c = cb.as_ptr();
            // SAFETY: queued callbacks are live; fields are read in place.
            let (closure, flags) = unsafe { (Closure::from_raw((*c).closure), (*c).flags) };
            let event: NonNull<Event> = cb.cast();
            // An event without EV_PERSIST is deleted before its callback runs. As in
            // libevent, the struct's events decide, not the closure chosen when it was
            // assigned: a program may have set or cleared EV_PERSIST in place since.
            let deleted_first = matches!(closure, Closure::Event | Closure::Persist)
                // SAFETY: event closures belong to live events; read in place.
                && unsafe { (*event.as_ptr()).events } & ev::PERSIST == 0;
            if deleted_first {
                // SAFETY: the event is live.
                let _ = unsafe { self.remove_everywhere(st, event) };
            } else {
                // Everything else only leaves the queue, whose head it is.
                // SAFETY: the event is live
                unsafe { (*c).flags = flags & !list::ACTIVE };
                st.counts.activated(flags, -1);
                // SAFETY: queued callbacks are live.
                unsafe { st.queues.active[priority].pop_front() };
            }
            if flags & list::INTERNAL == 0 {
                count += 1;
            }
            st.run.current = c;
            let stop = match closure {
                // The common case, kept inline: a plain or persistent event.
                Closure::Event | Closure::Persist => {
                    let e = event.as_ptr();
                    // SAFETY: event closures belong to live events; persistent ones keep
                    // their interval in this member. Everything is copied out.
                    let (target, fd, res, interval) = unsafe {
                        (
                            (*c).target(),
                            (*e).fd,
                            (*e).res,
                            (*e).kind.extra.persist_timeout,
                        )
                    };
                    if closure == Closure::Persist
                        && !deleted_first
                        && (interval.tv_sec != 0 || interval.tv_usec != 0)
                    {
                        // SAFETY: the event is live; the lock is held.
                        unsafe { self.rearm_persist_timeout(st, event) };
                    }
                    // `st` is not used again: the callback may take the state itself.
                    self.unlocked(|| run_event_target(target, fd, res));
                    false
                }
                // SAFETY: the callback is live (it was queued) and the lock is held.
                _ => unsafe { self.invoke(cb, closure) },
            };
            // SAFETY: the lock is held again; earlier borrows ended.
            let st = unsafe { self.state() };
            st.run.current = ptr::null_mut();
            st.run.finished = st.run.finished.wrapping_add(1);
            if st.run.current_waiters > 0 {
                self.let_waiters_in();
            }
            // SAFETY: the lock is held; earlier borrows ended.
            let st = unsafe { self.state() };
            if stop || st.run.got_break {
                break;
            }
            if count >= max_callbacks {
                break;
            }
            if let Some(deadline) = deadline {
                if st.clock.read(&self.clock) >= deadline {
                    break;
                }
            }
            if st.run.continue_now {
                break;
            }
        }
        count
    }

    /// Runs one queued callback with the lock released. Returns true when the loop
    /// must stop running callbacks (a break happened inside a signal's call series).
    ///
    /// # Safety
    /// `cb` is live and was just taken off its queue; the lock is held and no borrow of
    /// the state is alive.
    #[inline(never)]
    pub(super) unsafe fn invoke(&self, cb: NonNull<EventCallback>, closure: Closure) -> bool {
        let event = cb.cast::<Event>();
        let e = event.as_ptr();
        // SAFETY: guaranteed by the caller; copied out, no reference kept.
        let target = unsafe { (*cb.as_ptr()).target() };
        match closure {
            Closure::Event | Closure::Persist => {
                if closure == Closure::Persist {
                    // SAFETY: the event is live; the lock is held; this borrow of the
                    // state ends before the callback runs.
                    unsafe { self.rearm_persist_timeout(self.state(), event) };
                }
                // SAFETY: event closures belong to live events.
                let (fd, res) = unsafe { ((*e).fd, (*e).res) };
                self.unlocked(|| run_event_target(target, fd, res));
                false
            }
            Closure::Signal => {
                // SAFETY: signal closures belong to live events, which keep their call
                // count in this member.
                let (fd, res, initial) =
                    unsafe { ((*e).fd, (*e).res, (*e).kind.extra.signal.ncalls) };
                // The remaining count lives here; the event points at it (`pncalls`) so
                // that `event_del` can set it to 0. It is only accessed through `counter`.
                let mut remaining = initial;
                let counter: *mut c_short = &mut remaining;
                loop {
                    // SAFETY: `counter` points at `remaining`, alive for this loop.
                    let left = unsafe { counter.read() } - 1;
                    if left < 0 {
                        break;
                    }
                    // A callback that deletes (or frees) its event ends the series without
                    // the event being touched again; no reference to it is held across
                    // the call.
                    // SAFETY: `counter` as above; the event is live since it was not
                    // deleted (deleting zeroes the count).
                    unsafe {
                        counter.write(left);
                        (*e).kind.extra.signal = SignalCalls {
                            ncalls: left,
                            pncalls: if left > 0 { counter } else { ptr::null_mut() },
                        };
                    }
                    self.unlocked(|| run_event_target(target, fd, res));
                    // SAFETY: the lock is held again.
                    if unsafe { self.state() }.run.got_break {
                        return true;
                    }
                }
                false
            }
            Closure::SelfCallback => {
                self.unlocked(|| match target {
                    // SAFETY: self closures store a self callback.
                    Target::Program(f, arg) => {
                        if let Some(f) = unsafe { f.self_cb } {
                            // SAFETY: calling the registered function as libevent does.
                            unsafe { f(cb.as_ptr(), arg) };
                        }
                    }
                    Target::Handler(h) => h.call(-1, 0),
                });
                false
            }
            Closure::CallbackFinalize => {
                // SAFETY: the callback is live.
                unsafe { (*cb.as_ptr()).flags &= !list::FINALIZING };
                self.unlocked(|| match target {
                    // SAFETY: finalize closures store a callback finalizer.
                    Target::Program(f, arg) => {
                        if let Some(f) = unsafe { f.callback_finalize } {
                            // SAFETY: calling the program's finalizer.
                            unsafe { f(cb.as_ptr(), arg) };
                        }
                    }
                    Target::Handler(h) => h.call(-1, 0),
                });
                false
            }
            Closure::EventFinalize | Closure::EventFinalizeFree => {
                // A finalized event that is not freed here stays a valid target for
                // event_free (also from its own finalizer), as in libevent.
                if closure == Closure::EventFinalizeFree {
                    debug::note_teardown(event);
                }
                self.unlocked(|| {
                    match target {
                        // SAFETY: event finalizers store an event finalizer.
                        Target::Program(f, arg) => {
                            if let Some(f) = unsafe { f.event_finalize } {
                                // SAFETY: calling the program's finalizer.
                                unsafe { f(e, arg) };
                            }
                        }
                        Target::Handler(h) => h.call(-1, ev::FINALIZE),
                    }
                    if closure == Closure::EventFinalizeFree {
                        // SAFETY: finalize-free events were allocated by `event_new`.
                        unsafe { free_event(event) };
                    }
                });
                false
            }
        }
    }

    /// After a callback that other threads wait for (a blocking `event_del`): wakes
    /// them and waits until each has taken the lock, so they act before the loop runs
    /// another callback. Called and returns with the lock held.
    #[cold]
    fn let_waiters_in(&self) {
        let (Some(lock), Some(cond)) = (&self.lock, &self.wait_for_callback) else {
            return;
        };
        cond.signal(true);
        // SAFETY: the lock is held; each borrow ends before waiting.
        while unsafe { self.state() }.run.current_waiters > 0 {
            cond.wait(lock, None);
        }
    }

    /// Runs `f` with the base lock released.
    #[inline]
    pub(super) fn unlocked(&self, f: impl FnOnce()) {
        if let Some(lock) = &self.lock {
            lock.unlock();
            f();
            lock.lock();
        } else {
            f();
        }
    }

    pub(super) fn run_prepare_watchers(&self, timeout: Option<Duration>) {
        self.run_watchers(WatchKind::Prepare, &WatchInfo { timeout });
    }

    pub(super) fn run_check_watchers(&self) {
        self.run_watchers(WatchKind::Check, &WatchInfo { timeout: None });
    }

    /// The watcher registry, for the watch module, with the lock already held.
    pub(in crate::event) fn with_watchers_held<R>(&self, f: impl FnOnce(&mut Watchers) -> R) -> R {
        // SAFETY: the caller holds the lock; the borrow ends with `f`, which runs no
        // program code.
        f(&mut unsafe { self.state() }.watchers)
    }

    /// Runs `f` (program code) with the base lock released.
    pub(in crate::event) fn run_unlocked(&self, f: impl FnOnce()) {
        self.unlocked(f);
    }

    /// The watcher registry, for the watch module.
    pub(in crate::event) fn with_watchers<R>(&self, f: impl FnOnce(&mut Watchers) -> R) -> R {
        let _held = self.held();
        // SAFETY: the lock is held.
        f(&mut unsafe { self.state() }.watchers)
    }

    /// `event_base_loopbreak`.
    pub fn loopbreak(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.run.got_break = true;
        st.run.stop_dispatch = true;
        self.notify_if_needed(st);
    }

    /// `event_base_loopcontinue`.
    pub fn loopcontinue(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        st.run.continue_now = true;
        st.run.stop_dispatch = true;
    }

    pub fn got_exit(&self) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.state() }.run.got_exit
    }

    pub fn got_break(&self) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.state() }.run.got_break
    }
}
