use super::*;

/// The fd table and the poller's bookkeeping.
#[derive(Default)]
pub(super) struct FdTable {
    /// Set while the loop waits on the poller with the lock released; changes made
    /// meanwhile (by other threads) wait in `pending_changes`.
    pub(super) poller_busy: bool,
    pub(super) pending_changes: Vec<(RawFd, Interest, Interest)>,
    pub(super) fds: Vec<FdEntry>,
}

/// The base's state per fd: its events and what the poller is asked to watch.
#[derive(Default)]
pub(super) struct FdEntry {
    pub(super) events: EventList,
    pub(super) nread: u32,
    pub(super) nwrite: u32,
    pub(super) nclose: u32,
    pub(super) edge: bool,
    pub(super) interest: Interest,
}

impl FdEntry {
    /// What the poller is asked to watch. Without early-close support, `EV_CLOSED` is
    /// left out, as libevent's backends ignore it: the event is accepted and pending,
    /// and a closed peer shows as readable.
    pub(super) fn wanted(&self, features: Features) -> Interest {
        let mut i = Interest::NONE;
        if self.nread > 0 {
            i |= Interest::READ;
        }
        if self.nwrite > 0 {
            i |= Interest::WRITE;
        }
        if self.nclose > 0 && features.contains(Features::EARLY_CLOSE) {
            i |= Interest::CLOSED;
        }
        if self.edge && !i.is_empty() {
            i |= Interest::EDGE;
        }
        i
    }

    pub(super) fn count(&mut self, events: c_short, delta: i32) {
        let apply = |n: &mut u32| *n = n.wrapping_add_signed(delta);
        if events & ev::READ != 0 {
            apply(&mut self.nread);
        }
        if events & ev::WRITE != 0 {
            apply(&mut self.nwrite);
        }
        if events & ev::CLOSED != 0 {
            apply(&mut self.nclose);
        }
    }
}

/// `EV_READ`, `EV_WRITE` and `EV_CLOSED` for what a poller reported (the same bits);
/// `edge` is `EV_ET` for a backend with edge triggering, which libevent reports to the
/// events that asked for it.
#[inline]
pub(super) fn readiness_to_events(readiness: Readiness, edge: c_short) -> c_short {
    c_short::from(readiness.bits()) | edge
}

impl Base {
    /// # Safety
    /// The event is live and not inserted.
    pub(super) unsafe fn io_insert(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        // As in libevent, an event on fd -1 is pending but watches nothing (a socket
        // bufferevent is enabled before it has a socket).
        let Ok(fd) = usize::try_from(e.fd()) else {
            return Ok(());
        };
        // Without edge triggering in the backend, EV_ET falls back to level-triggered
        // reports, as libevent documents.
        let edge = e.events() & ev::ET != 0 && self.features.contains(Features::ET);
        // An fd beyond the table gets an entry only once the poller accepted it, so a
        // bogus huge fd costs nothing.
        let mut fresh = FdEntry::default();
        let entry = match st.io.fds.get_mut(fd) {
            Some(entry) => entry,
            None => &mut fresh,
        };
        // Mixing edge- and level-triggered events on one fd is refused where it would
        // matter (a backend with edge triggering) and, as libevent does, in debug mode.
        let asked = e.events() & ev::ET != 0;
        let mixed = entry.events.first().is_some_and(|first| {
            // SAFETY: listed events are live; one field is read in place.
            let first_asked = unsafe { (*first.as_ptr()).events } & ev::ET != 0;
            first_asked != asked
        });
        if mixed && (self.features.contains(Features::ET) || debug::enabled()) {
            log::warn(format_args!(
                "Tried to mix edge-triggered and non-edge-triggered events on fd {fd}"
            ));
            return Err(EventError::Invalid);
        }
        entry.edge = edge;
        entry.count(e.events(), 1);
        let (old, wanted) = (entry.interest, entry.wanted(self.features));
        if wanted != old {
            if let Err(err) = self.poller_change(st, e.fd(), old, wanted) {
                if let Some(entry) = st.io.fds.get_mut(fd) {
                    entry.count(e.events(), -1);
                }
                log::warn(format_args!("event_add: cannot watch fd {}: {err}", e.fd()));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        if fd >= st.io.fds.len() {
            st.io.fds.resize_with(fd + 1, FdEntry::default);
            st.io.fds[fd] = fresh;
        }
        st.io.fds[fd].interest = wanted;
        // SAFETY: the event is live and in no fd list.
        unsafe { st.io.fds[fd].events.push_front(event) };
        Ok(())
    }

    /// Asks the poller to watch `fd` for `new` instead of `old`, or queues the change
    /// while the loop is waiting on the poller in another thread.
    #[inline]
    pub(super) fn poller_change(
        &self,
        st: &mut State,
        fd: RawFd,
        old: Interest,
        new: Interest,
    ) -> io::Result<()> {
        if st.io.poller_busy {
            st.io.pending_changes.push((fd, old, new));
            Ok(())
        } else {
            // SAFETY: the lock is held and the loop is not waiting on the poller.
            unsafe { self.poller() }.change(fd, old, new)
        }
    }

    /// Applies the changes queued while the poller was busy.
    pub(super) fn apply_pending_changes(&self, st: &mut State) {
        for (fd, old, new) in std::mem::take(&mut st.io.pending_changes) {
            // SAFETY: the lock is held and the loop is not waiting on the poller.
            if let Err(err) = unsafe { self.poller() }.change(fd, old, new) {
                log::warn(format_args!(
                    "cannot change what fd {fd} is watched for: {err}"
                ));
                if let Some(entry) = usize::try_from(fd).ok().and_then(|i| st.io.fds.get_mut(i)) {
                    entry.interest = old;
                }
            }
        }
    }

    /// # Safety
    /// The event is live and inserted on its fd.
    pub(super) unsafe fn io_remove(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        let Ok(fd) = usize::try_from(e.fd()) else {
            return Ok(());
        };
        let entry = &mut st.io.fds[fd];
        // SAFETY: the event is in this fd's list.
        unsafe { entry.events.remove(event) };
        entry.count(e.events(), -1);
        let wanted = entry.wanted(self.features);
        if wanted != entry.interest {
            let old = entry.interest;
            entry.interest = wanted;
            if let Err(err) = self.poller_change(st, e.fd(), old, wanted) {
                log::warn(format_args!(
                    "event_del: cannot change fd {}: {err}",
                    e.fd()
                ));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        Ok(())
    }

    /// `event_base_active_by_fd`.
    pub fn activate_fd(&self, fd: RawFd, events: c_short) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if events & ev::TIMEOUT == 0 {
            // SAFETY: the lock is held.
            unsafe { self.activate_io(st, fd, events & (ev::READ | ev::WRITE | ev::CLOSED)) };
            return;
        }
        let mut due: Vec<NonNull<Event>> = st.timeouts.heap.iter().collect();
        for queue in st.timeouts.common.iter().map(Owned::get) {
            due.extend(queue.events.to_vec());
        }
        for event in due {
            // SAFETY: events in timeout structures are live.
            if unsafe { (*event.as_ptr()).fd } == fd {
                // SAFETY: as above; the lock is held.
                unsafe { self.activate_nolock(st, event, ev::TIMEOUT, 1) };
            }
        }
    }

    /// Activates the events of `fd` that wait for any of `what`.
    ///
    /// # Safety
    /// The lock is held.
    #[inline]
    pub(super) unsafe fn activate_io(&self, st: &mut State, fd: RawFd, what: c_short) {
        let Some(entry) = usize::try_from(fd).ok().and_then(|i| st.io.fds.get(i)) else {
            return;
        };
        let mut cursor = entry.events.first();
        while let Some(event) = cursor {
            // SAFETY: list members are live.
            unsafe {
                cursor = EventList::next(event);
                let events = (*event.as_ptr()).events;
                if events & what & !ev::ET != 0 {
                    self.activate_nolock(st, event, events & what, 1);
                }
            }
        }
    }
}
