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
        if let (Some(receiver), Some(event)) =
            (st.signal_receiver.as_mut(), st.signal_event.as_mut())
        {
            let fd = receiver
                .reinit_after_fork()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            event.fd = fd;
        }
        if let (Some(notifier), Some(event)) = (st.notifier.as_mut(), st.notify_event.as_mut()) {
            let fd = notifier
                .reinit()
                .map_err(|e| EventError::Os(e.raw_os_error().unwrap_or(0)))?;
            // The internal event's fd entry moves to the new descriptor.
            let old_fd = event.fd;
            let raw = NonNull::from(&mut **event);
            if let Some(entry) = st.fds.get_mut(old_fd as usize) {
                // SAFETY: the internal event is inserted on its old fd.
                unsafe { entry.events.remove(raw) };
                entry.count(event.events, -1);
            }
            event.fd = fd;
            let fd_index = fd as usize;
            if fd_index >= st.fds.len() {
                st.fds.resize_with(fd_index + 1, FdEntry::default);
            }
            let entry = &mut st.fds[fd_index];
            entry.count(event.events, 1);
            // SAFETY: the internal event is live and now in no list.
            unsafe { entry.events.push_front(raw) };
        }
        // The signal event's fd changed too: move its entry the same way.
        if let Some(event) = st.signal_event.as_mut() {
            let raw = NonNull::from(&mut **event);
            for (i, entry) in st.fds.iter_mut().enumerate() {
                if entry.events.to_vec().contains(&raw) && i as RawFd != event.fd {
                    // SAFETY: the internal event is in this list.
                    unsafe { entry.events.remove(raw) };
                    entry.count(event.events, -1);
                    let fd_index = event.fd as usize;
                    if fd_index >= st.fds.len() {
                        st.fds.resize_with(fd_index + 1, FdEntry::default);
                    }
                    let new_entry = &mut st.fds[fd_index];
                    new_entry.count(event.events, 1);
                    // SAFETY: the internal event is live and now in no list.
                    unsafe { new_entry.events.push_front(raw) };
                    break;
                }
            }
        }
        let mut failed = false;
        for (fd, entry) in st.fds.iter_mut().enumerate() {
            entry.interest = Interest::NONE;
            let wanted = entry.wanted();
            if !wanted.is_empty() {
                // SAFETY: as above.
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
    pub fn free(self: Box<Self>, run_finalizers: bool) {
        // Pending finalizers run first, as libevent runs them, without the lock.
        loop {
            let next = {
                let _held = self.held();
                // SAFETY: the lock is held.
                let st = unsafe { self.state() };
                let mut found = None;
                for priority in 0..st.active.len() {
                    for cb in st.active[priority].to_vec() {
                        // SAFETY: queued callbacks are live.
                        let c = unsafe { &mut *cb.as_ptr() };
                        if c.flags & list::FINALIZING != 0 && c.flags & list::INTERNAL == 0 {
                            c.flags &= !list::ACTIVE;
                            Self::count_active(st, c.flags, -1);
                            // SAFETY: the callback is in this queue.
                            unsafe { st.active[priority].remove(cb) };
                            found = Some((cb, Closure::from_raw(c.closure)));
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
                let _held = self.held();
                // SAFETY: the lock is held; the callback is live.
                unsafe { self.invoke(self.state(), cb, closure) };
            }
        }
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        let mut remaining = 0;
        for event in inserted.into_iter().chain(active) {
            // SAFETY: the base's events are live.
            if unsafe { event.as_ref() }.callback.flags
                & (list::INSERTED | list::TIMEOUT | list::ACTIVE | list::ACTIVE_LATER)
                != 0
            {
                // SAFETY: as above; the lock is held.
                let _ = unsafe { self.remove_everywhere(st, event) };
                remaining += 1;
            }
        }
        for cb in st
            .active
            .iter()
            .flat_map(|q| q.to_vec())
            .collect::<Vec<_>>()
        {
            // SAFETY: queued callbacks are live.
            let c = unsafe { &mut *cb.as_ptr() };
            c.flags &= !list::ACTIVE;
            let priority = usize::from(c.priority).min(st.active.len() - 1);
            // SAFETY: the callback is in that queue.
            unsafe { st.active[priority].remove(cb) };
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
        drop(self);
    }
}
