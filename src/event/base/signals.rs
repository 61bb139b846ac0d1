use super::*;

/// Signal events per signal number, and the signal source that reports them.
#[derive(Default)]
pub(super) struct SignalTable {
    pub(super) lists: Vec<EventList>,
    pub(super) receiver: Option<SignalReceiver>,
    /// The internal event watching the receiver's descriptor.
    pub(super) event: Option<Owned<Event>>,
}

/// The signal source's event: activates the events of the signals that arrived.
pub(super) struct DrainSignals;

impl EventHandler for DrainSignals {
    type Target = Base;
    fn run(base: NonNull<Base>, _fd: RawFd, _what: c_short) {
        // SAFETY: internal events live inside their base, so the base is alive.
        let base = unsafe { base.as_ref() };
        let _held = base.held();
        // SAFETY: the lock is held.
        let st = unsafe { base.state() };
        let mut arrived: Vec<(i32, u32)> = Vec::new();
        if let Some(receiver) = st.sig.receiver.as_mut() {
            receiver.drain(|signo, count| arrived.push((signo, count)));
        }
        for (signo, count) in arrived {
            // SAFETY: the lock is held.
            unsafe { base.activate_signal_nolock(st, signo, count) };
        }
    }
}

/// Stops a running series of signal callbacks for this event.
///
/// # Safety
/// `pncalls`, when set, points at the loop's live counter for this event.
pub(super) unsafe fn stop_signal_calls(e: EventFields) {
    let pncalls = e.signal_calls().pncalls;
    if !pncalls.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { *pncalls = 0 };
    }
}

impl Base {
    pub fn signal_method(&self) -> &'static str {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        match &st.sig.receiver {
            Some(r) => r.method().name(),
            None => self.preferred_signal_method().name(),
        }
    }

    pub(super) fn preferred_signal_method(&self) -> SignalMethod {
        let disallowed = self.flags & flag::DISALLOW_SIGNALFD != 0
            || (self.flags & flag::IGNORE_ENV == 0 && env_set("EVENT_DISALLOW_SIGNALFD"));
        if disallowed || !cfg!(target_os = "linux") {
            SignalMethod::Sigaction
        } else {
            SignalMethod::Signalfd
        }
    }

    /// # Safety
    /// The event is live and not inserted.
    pub(super) unsafe fn signal_insert(
        &self,
        st: &mut State,
        event: NonNull<Event>,
    ) -> Result<(), EventError> {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { EventFields::new(event) };
        let signo = e.fd();
        let Ok(index) = usize::try_from(signo) else {
            return Err(EventError::Invalid);
        };
        if st.sig.receiver.is_none() {
            let receiver = SignalReceiver::new(self.preferred_signal_method())
                .or_else(|_| SignalReceiver::new(SignalMethod::Sigaction))
                .map_err(|err| {
                    log::warn(format_args!("event_add: cannot receive signals: {err}"));
                    EventError::Os(err.raw_os_error().unwrap_or(0))
                })?;
            let internal = new_internal_event(
                self,
                receiver.fd(),
                ev::READ | ev::PERSIST,
                Handler::new::<DrainSignals>(NonNull::from(self)),
            );
            let raw = internal.ptr();
            st.sig.receiver = Some(receiver);
            st.sig.event = Some(internal);
            // SAFETY: the internal event lives in the state.
            unsafe { self.add_nolock(st, raw, None, false) }?;
        }
        if index >= st.sig.lists.len() {
            st.sig.lists.resize_with(index + 1, EventList::default);
        }
        if st.sig.lists[index].is_empty() {
            let receiver = st.sig.receiver.as_mut().expect("created above");
            if let Err(err) = receiver.watch(signo) {
                log::warn(format_args!(
                    "event_add: cannot watch signal {signo}: {err}"
                ));
                return Err(EventError::Os(err.raw_os_error().unwrap_or(0)));
            }
        }
        // SAFETY: the event is live and in no signal list.
        unsafe { st.sig.lists[index].push_front(event) };
        Ok(())
    }

    /// # Safety
    /// The event is live and inserted on its signal.
    pub(super) unsafe fn signal_remove(&self, st: &mut State, event: NonNull<Event>) {
        // SAFETY: guaranteed by the caller.
        let signo = unsafe { (*event.as_ptr()).fd };
        let list = &mut st.sig.lists[signo as usize];
        // SAFETY: the event is in this signal's list.
        unsafe { list.remove(event) };
        if list.is_empty() {
            if let Some(receiver) = st.sig.receiver.as_mut() {
                let _ = receiver.unwatch(signo);
            }
        }
    }

    /// `event_base_active_by_signal`.
    pub fn activate_signal(&self, signo: i32) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let st = unsafe { self.state() };
        // SAFETY: the lock is held.
        unsafe { self.activate_signal_nolock(st, signo, 1) };
    }

    /// # Safety
    /// The lock is held.
    pub(super) unsafe fn activate_signal_nolock(&self, st: &mut State, signo: i32, count: u32) {
        let Some(list) = usize::try_from(signo)
            .ok()
            .and_then(|i| st.sig.lists.get(i))
        else {
            return;
        };
        let ncalls = c_short::try_from(count).unwrap_or(c_short::MAX);
        for event in list.to_vec() {
            // SAFETY: list members are live; the lock is held.
            unsafe { self.activate_nolock(st, event, ev::SIGNAL, ncalls) };
        }
    }
}
