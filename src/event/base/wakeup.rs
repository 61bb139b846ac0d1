use super::*;

/// Cross-thread wake-ups of a waiting loop.
#[derive(Default)]
pub(super) struct Wakeup {
    pub(super) notifier: Option<Notifier>,
    /// The internal event watching the notifier's descriptor.
    pub(super) event: Option<Owned<Event>>,
    /// A wake-up was sent and not consumed yet.
    pub(super) pending: bool,
}

/// The wake-up event: consumes the wake-ups.
pub(super) struct DrainNotifier;

impl EventHandler for DrainNotifier {
    type Target = Base;
    fn run(base: NonNull<Base>, _fd: RawFd, _what: c_short) {
        // SAFETY: internal events live inside their base, so the base is alive.
        let base = unsafe { base.as_ref() };
        let _held = base.held();
        // SAFETY: the lock is held.
        let st = unsafe { base.state() };
        if let Some(n) = &st.wakeup.notifier {
            n.drain();
        }
        st.wakeup.pending = false;
    }
}

impl Base {
    /// `evthread_make_base_notifiable`: lets other threads wake the loop.
    pub fn make_notifiable(&self) -> io::Result<()> {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        if st.wakeup.notifier.is_some() {
            return Ok(());
        }
        let notifier = Notifier::new()?;
        let event = new_internal_event(
            self,
            notifier.fd(),
            ev::READ | ev::PERSIST,
            Handler::new::<DrainNotifier>(NonNull::from(self)),
        );
        let raw = event.ptr();
        // SAFETY: the internal event lives in the state until the base is dropped.
        unsafe { self.add_nolock(st, raw, None, false) }
            .map_err(|_| io::Error::other("cannot watch the notification fd"))?;
        st.wakeup.notifier = Some(notifier);
        st.wakeup.event = Some(event);
        Ok(())
    }

    #[inline]
    pub(super) fn notify_if_needed(&self, st: &mut State) {
        // Only a shared (locked) base can be changed from another thread.
        if self.lock.is_some()
            && st.run.running
            && st.run.owner_thread != thread::current_thread_id()
            && !st.wakeup.pending
        {
            if let Some(n) = &st.wakeup.notifier {
                st.wakeup.pending = true;
                n.notify();
            }
        }
    }

    pub(super) fn in_loop_thread(&self, st: &State) -> bool {
        !st.run.running || st.run.owner_thread == thread::current_thread_id()
    }
}
