use super::*;

impl Base {
    /// `event_pending`: which of `what` the event waits for or has been activated with,
    /// and when its timeout fires on the wall clock.
    ///
    /// # Safety
    /// `event` points to a live, assigned event.
    pub unsafe fn pending(&self, event: NonNull<Event>, what: c_short) -> (c_short, Option<Tv>) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the event is live.
        let e = unsafe { EventFields::new(event) };
        let mut flags = 0;
        if e.flags() & list::INSERTED != 0 {
            flags |= e.events() & (ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL);
        }
        if e.flags() & (list::ACTIVE | list::ACTIVE_LATER) != 0 {
            flags |= e.res();
        }
        if e.flags() & list::TIMEOUT != 0 {
            flags |= ev::TIMEOUT;
        }
        let flags = flags & (what & (ev::TIMEOUT | ev::READ | ev::WRITE | ev::CLOSED | ev::SIGNAL));
        let when = (flags & ev::TIMEOUT != 0).then(|| {
            let mono = deadline_of(e);
            st.clock.read(&self.clock);
            mono.plus(st.clock.wall_minus_mono)
        });
        (flags, when)
    }

    /// `event_base_get_running_event`: the event whose callback runs now in the loop's
    /// thread, if it is an event.
    pub fn running_event(&self) -> Option<NonNull<Event>> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        if !st.run.running || st.run.owner_thread != thread::current_thread_id() {
            return None;
        }
        let cb = NonNull::new(st.run.current)?;
        // SAFETY: the running callback is live until it returns.
        let closure = Closure::from_raw(unsafe { cb.as_ref() }.closure);
        matches!(closure, Closure::Event | Closure::Signal | Closure::Persist).then(|| cb.cast())
    }

    /// Every non-internal event that is added or active, for `event_base_foreach_event`
    /// and `event_base_dump_events`; inserted ones first, then pure timers, then
    /// events that are only active.
    pub(super) fn visible_events(&self, st: &State) -> (Vec<NonNull<Event>>, Vec<NonNull<Event>>) {
        let visible = |e: &NonNull<Event>| {
            // SAFETY: events in the base's structures are live.
            unsafe { e.as_ref() }.callback.flags & list::INTERNAL == 0
        };
        let mut inserted = Vec::new();
        for entry in &st.io.fds {
            inserted.extend(entry.events.to_vec().into_iter().filter(visible));
        }
        for list in &st.sig.lists {
            inserted.extend(list.to_vec().into_iter().filter(visible));
        }
        let not_inserted = |e: &NonNull<Event>| {
            // SAFETY: events in the base's structures are live
            unsafe { e.as_ref() }.callback.flags & list::INSERTED == 0
        };
        inserted.extend(st.timeouts.heap.iter().filter(visible).filter(not_inserted));
        for queue in st.timeouts.common.iter().map(Owned::get) {
            inserted.extend(
                queue
                    .events
                    .to_vec()
                    .into_iter()
                    .filter(visible)
                    .filter(not_inserted),
            );
        }
        let mut active = Vec::new();
        for queue in st
            .queues
            .active
            .iter()
            .chain(std::iter::once(&st.queues.later))
        {
            for cb in queue.to_vec() {
                // SAFETY: queued callbacks are live.
                let c = unsafe { cb.as_ref() };
                let is_event = matches!(
                    Closure::from_raw(c.closure),
                    Closure::Event | Closure::Signal | Closure::Persist
                );
                if is_event && c.flags & list::INTERNAL == 0 {
                    active.push(cb.cast());
                }
            }
        }
        (inserted, active)
    }

    /// `event_base_foreach_event`: calls `f` on each event until it returns non-zero.
    /// `f` must not add or delete events (libevent's rule); the lock is held.
    pub fn foreach_event(&self, mut f: impl FnMut(NonNull<Event>) -> i32) -> i32 {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        let only_active = active.into_iter().filter(|e| {
            // SAFETY: queued events are live.
            unsafe { e.as_ref() }.callback.flags & (list::INSERTED | list::TIMEOUT) == 0
        });
        for event in inserted.into_iter().chain(only_active) {
            let r = f(event);
            if r != 0 {
                return r;
            }
        }
        0
    }

    /// `event_base_dump_events`: a description of every added and active event.
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        let (inserted, active) = self.visible_events(st);
        st.clock.read(&self.clock);
        let mut out = String::from("Inserted events:\n");
        for event in inserted {
            // SAFETY: the base's events are live.
            let e = unsafe { EventFields::new(event) };
            describe(&mut out, e, "]", e.events(), INSERTED_NAMES);
            if e.flags() & list::TIMEOUT != 0 {
                let wall = deadline_of(e).plus(st.clock.wall_minus_mono);
                let _ = write!(out, " Timeout={}.{:06}", wall.sec, wall.usec);
            }
            out.push('\n');
        }
        out.push_str("Active events:\n");
        for event in active {
            // SAFETY: the base's events are live.
            let e = unsafe { EventFields::new(event) };
            let priority = format!(", priority={}]", e.priority());
            describe(&mut out, e, &priority, e.res(), ACTIVE_NAMES);
            let later = if e.flags() & list::ACTIVE_LATER != 0 {
                " [NextTime]"
            } else {
                ""
            };
            let _ = writeln!(out, " active{later}");
        }
        out
    }
}

/// How `event_base_dump_events` names what an inserted event waits for.
const INSERTED_NAMES: &[(c_short, &str)] = &[
    (ev::READ, " Read"),
    (ev::WRITE, " Write"),
    (ev::CLOSED, " EOF"),
    (ev::SIGNAL, " Signal"),
    (ev::PERSIST, " Persist"),
    (ev::ET, " ET"),
];

/// How it names what an active event was activated with.
const ACTIVE_NAMES: &[(c_short, &str)] = &[
    (ev::READ, " Read"),
    (ev::WRITE, " Write"),
    (ev::CLOSED, " EOF"),
    (ev::SIGNAL, " Signal"),
    (ev::TIMEOUT, " Timeout"),
];

/// One dump line's start: address, kind and fd, `close`, then the names of `bits`.
fn describe(
    out: &mut String,
    e: EventFields,
    close: &str,
    bits: c_short,
    names: &[(c_short, &str)],
) {
    use std::fmt::Write;
    let kind = if e.events() & ev::SIGNAL != 0 {
        "sig"
    } else {
        "fd "
    };
    let _ = write!(out, "  {:p} [{kind} {}{close}", e.ptr().as_ptr(), e.fd());
    for &(bit, name) in names {
        if bits & bit != 0 {
            out.push_str(name);
        }
    }
}
