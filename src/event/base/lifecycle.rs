use super::*;

impl Base {
    /// `event_reinit`: after `fork`, gives the base fresh kernel objects and re-adds
    /// every fd and signal.
    pub fn reinit(&self) -> Result<(), EventError> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let options = Options {
            use_changelist: self.flags & flag::EPOLL_USE_CHANGELIST != 0,
            precise_timer: self.flags & flag::PRECISE_TIMER != 0,
        };
        let poller = AnyPoller::new(self.method, &options).map_err(|err| {
            log::warn(format_args!(
                "event_reinit: cannot recreate the {} backend: {err}",
                self.method
            ));
            EventError::Os(err.raw_os_error().unwrap_or(0))
        })?;
        // SAFETY: the lock is held and no loop runs during reinit.
        *unsafe { self.poller() } = poller;
        if let (Some(receiver), Some(event)) = (st.sig.receiver.as_mut(), st.sig.event.as_ref()) {
            let fd = receiver
                .reinit_after_fork()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            let event = event.ptr();
            // SAFETY: the internal event lives in the state.
            unsafe { move_to_fd(st, event, fd) };
        }
        if let (Some(notifier), Some(event)) =
            (st.wakeup.notifier.as_mut(), st.wakeup.event.as_ref())
        {
            let fd = notifier
                .reinit()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            let event = event.ptr();
            // SAFETY: the internal event lives in the state
            unsafe { move_to_fd(st, event, fd) };
        }
        let mut failed = false;
        for (fd, entry) in st.io.fds.iter_mut().enumerate() {
            entry.interest = Interest::NONE;
            let wanted = entry.wanted(self.features);
            if !wanted.is_empty() {
                // SAFETY: the internal event lives in the state
                match unsafe { self.poller() }.change(fd as RawFd, Interest::NONE, wanted) {
                    Ok(()) => entry.interest = wanted,
                    Err(_) => failed = true,
                }
            }
        }
        if failed {
            Err(EventError::Invalid)
        } else {
            Ok(())
        }
    }

    /// `event_base_free` (with `run_finalizers`) and `event_base_free_nofinalize`.
    ///
    /// # Safety
    /// `base` came from `Box::into_raw` of [`Base::new`]'s box and is not used again.
    /// It is taken as a pointer, not a `Box`, so that the finalizers run here may reach
    /// the base through the pointers their events keep.
    pub unsafe fn free(base: NonNull<Base>, run_finalizers: bool) {
        // SAFETY: guaranteed by the caller; released at the end.
        let this = unsafe { base.as_ref() };
        // Pending finalizers run first, as libevent runs them, without the lock.
        loop {
            let next = {
                let _held = this.held();
                // SAFETY: the lock is held.
                let st = unsafe { this.state() };
                let mut found = None;
                for priority in 0..st.queues.active.len() {
                    for cb in st.queues.active[priority].to_vec() {
                        // SAFETY: queued callbacks are live.
                        let (flags, closure) =
                            unsafe { ((*cb.as_ptr()).flags, (*cb.as_ptr()).closure) };
                        if flags & list::FINALIZING != 0 && flags & list::INTERNAL == 0 {
                            // SAFETY: the callback is in its priority's queue.
                            unsafe { st.queues.remove(&mut st.counts, cb) };
                            found = Some((cb, Closure::from_raw(closure)));
                            break;
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                }
                found
            };
            let Some((cb, closure)) = next else { break };
            if run_finalizers {
                let _held = this.held();
                // SAFETY: the lock is held; the callback is live.
                unsafe { this.invoke(cb, closure) };
            }
        }
        let _held = this.held();
        // SAFETY: the lock is held.
        let st = unsafe { this.state() };
        let (inserted, active) = this.visible_events(st);
        let mut remaining = 0;
        for event in inserted.into_iter().chain(active) {
            // SAFETY: the base's events are live.
            if unsafe { (*event.as_ptr()).callback.flags }
                & (list::INSERTED | list::TIMEOUT | list::ACTIVE | list::ACTIVE_LATER)
                != 0
            {
                // SAFETY: as above; the lock is held.
                let _ = unsafe { this.remove_everywhere(st, event) };
                remaining += 1;
            }
        }
        for cb in st
            .queues
            .active
            .iter()
            .flat_map(|q| q.to_vec())
            .collect::<Vec<_>>()
        {
            // SAFETY: queued callbacks are live and in their priority's queue.
            unsafe { st.queues.remove(&mut st.counts, cb) };
        }
        if remaining > 0 {
            log::debug(format_args!(
                "event_base_free: {remaining} events were still set in base"
            ));
        }
        for once in std::mem::take(&mut st.once_events) {
            // SAFETY: `once` came from Box::into_raw in `once` and was not freed yet.
            drop(unsafe { Box::from_raw(once) });
        }
        drop(_held);
        // SAFETY: from `Box::into_raw` (the caller's guarantee); nothing uses it now.
        drop(unsafe { Box::from_raw(base.as_ptr()) });
    }
}

/// After fork: an internal event's descriptor was replaced; its fd entry moves along.
///
/// # Safety
/// `event` is a live internal event of this state, inserted on its current fd.
unsafe fn move_to_fd(st: &mut State, event: NonNull<Event>, fd: RawFd) {
    // SAFETY: guaranteed by the caller.
    let e = unsafe { EventFields::new(event) };
    let (old_fd, events) = (e.fd(), e.events());
    if old_fd == fd {
        return;
    }
    if let Some(entry) = usize::try_from(old_fd)
        .ok()
        .and_then(|i| st.io.fds.get_mut(i))
    {
        // SAFETY: the event is inserted on its old fd.
        unsafe { entry.events.remove(event) };
        entry.count(events, -1);
    }
    e.set_fd(fd);
    let Ok(index) = usize::try_from(fd) else {
        return;
    };
    if index >= st.io.fds.len() {
        st.io.fds.resize_with(index + 1, FdEntry::default);
    }
    let entry = &mut st.io.fds[index];
    entry.count(events, 1);
    // SAFETY: the event is live and now in no fd list.
    unsafe { entry.events.push_front(event) };
}
