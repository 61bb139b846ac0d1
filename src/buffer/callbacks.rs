//! Callbacks on changes: registration, running, and deferral to a base's loop.

use super::*;
use crate::util::owned::Owned;

/// What `evbuffer_defer_callbacks` sets up: the callback queued on a base and the base.
/// It has an allocation of its own, made on first use and kept until the buffer goes,
/// and is reached only by pointer: the borrows of the state that every change takes
/// must not cover it, as the base keeps a pointer to the callback while it is queued.
/// One pointer in the state, so buffers that never defer (a bufferevent's) pay 8 bytes.
pub(super) struct Deferred(Owned<DeferredRun>);

pub(super) struct DeferredRun {
    callback: EventCallback,
    base: NonNull<Base>,
}

impl Deferred {
    /// None when memory runs out.
    fn new(run: DeferredRun) -> Option<Deferred> {
        Owned::try_new(run).map(Deferred)
    }

    fn callback(&self) -> NonNull<EventCallback> {
        // SAFETY: owned and live; a field's address, no reference made.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*self.0.ptr().as_ptr()).callback)) }
    }

    fn base(&self) -> NonNull<Base> {
        // SAFETY: owned and live; one field read in place.
        unsafe { (*self.0.ptr().as_ptr()).base }
    }

    /// Rewrites the run in place; the callback must be in no queue.
    fn set(&self, run: DeferredRun) {
        // SAFETY: owned and live; the caller took the callback off every queue, and
        // the old value holds nothing to drop.
        unsafe { self.0.ptr().as_ptr().write(run) };
    }

    pub(super) fn queued(&self) -> bool {
        // SAFETY: owned and live; one field read in place.
        unsafe { (*self.callback().as_ptr()).flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 }
    }
}

impl Evbuffer {
    // ----- callbacks ------------------------------------------------------------------

    /// Registers a callback; None when memory runs out (as `evbuffer_add_cb`'s NULL).
    pub(super) fn push_callback(
        &self,
        function: Function,
        arg: *mut c_void,
    ) -> Option<NonNull<CallbackEntry>> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let inner = unsafe { self.inner() };
        inner.callbacks.try_reserve(1).ok()?;
        let mut entry = crate::util::try_box(CallbackEntry {
            id: inner.next_callback_id,
            function,
            arg,
            flags: CB_ENABLED,
        })?;
        inner.next_callback_id += 1;
        let ptr = NonNull::from(&mut *entry);
        inner.callbacks.push(entry);
        Some(ptr)
    }

    /// `evbuffer_add_cb`.
    pub fn add_callback(
        &self,
        f: Option<CallbackFn>,
        arg: *mut c_void,
    ) -> Option<NonNull<CallbackEntry>> {
        self.push_callback(Function::Current(f), arg)
    }

    /// Registers one of the core's callbacks; None when memory runs out. It runs, is
    /// ordered, flagged and removed by entry like a program's callback.
    pub fn add_handler(&self, handler: OnChange) -> Option<NonNull<CallbackEntry>> {
        let (run, target) = handler.into_parts();
        self.push_callback(Function::Core(run), target)
    }

    /// `evbuffer_setcb`: removes every callback, then adds `f` (if any).
    pub fn set_legacy_callback(&self, f: Option<LegacyCallbackFn>, arg: *mut c_void) -> bool {
        let removed = {
            let _held = self.held();
            // SAFETY: the lock is held.
            std::mem::take(&mut unsafe { self.inner() }.callbacks)
        };
        drop(removed);
        match f {
            Some(f) => self.push_callback(Function::Legacy(f), arg).is_some(),
            None => true,
        }
    }

    /// `evbuffer_remove_cb_entry`: false if the entry is not one of this buffer's.
    pub fn remove_callback_entry(&self, entry: NonNull<CallbackEntry>) -> bool {
        let removed = {
            let _held = self.held();
            // SAFETY: the lock is held.
            let inner = unsafe { self.inner() };
            let at = inner
                .callbacks
                .iter()
                .position(|e| std::ptr::eq(&**e, entry.as_ptr()));
            at.map(|i| inner.callbacks.remove(i))
        };
        removed.is_some()
    }

    /// `evbuffer_remove_cb`: removes the newest callback with this function and
    /// argument; false if there is none.
    pub fn remove_callback(&self, f: Option<CallbackFn>, arg: *mut c_void) -> bool {
        let removed = {
            let _held = self.held();
            // SAFETY: the lock is held.
            let inner = unsafe { self.inner() };
            let at = inner.callbacks.iter().rposition(|e| {
                matches!(e.function, Function::Current(g)
                    if g.map(|g| g as usize) == f.map(|f| f as usize))
                    && e.arg == arg
            });
            at.map(|i| inner.callbacks.remove(i))
        };
        removed.is_some()
    }

    /// `evbuffer_cb_set_flags` / `evbuffer_cb_clear_flags`; false for an entry that
    /// is not one of this buffer's.
    pub fn update_callback_flags(
        &self,
        entry: NonNull<CallbackEntry>,
        set: u32,
        clear: u32,
    ) -> bool {
        let _held = self.held();
        // SAFETY: the lock is held.
        let inner = unsafe { self.inner() };
        match inner
            .callbacks
            .iter_mut()
            .find(|e| std::ptr::eq(&***e, entry.as_ptr()))
        {
            Some(e) => {
                e.flags = (e.flags | (set & !CB_INTERNAL_FLAGS)) & !(clear & !CB_INTERNAL_FLAGS);
                true
            }
            None => false,
        }
    }

    /// `evbuffer_defer_callbacks`: from now on callbacks (other than `CB_NODEFER`
    /// ones) run from `base`'s loop instead of inside the call that changed the
    /// buffer.
    pub fn defer_callbacks(&self, base: &Base) -> BufferResult<()> {
        let _held = self.held();
        // SAFETY: the lock is held.
        let inner = unsafe { self.inner() };
        let run = DeferredRun {
            callback: EventCallback::with_handler(
                (base.priorities() / 2) as u8,
                Handler::new::<RunDeferred>(NonNull::from(self)),
            ),
            base: NonNull::from(base),
        };
        match &inner.deferred {
            Some(old) => {
                // SAFETY: the old base is live (libevent's contract); the callback is
                // rewritten only after it left that base's queue.
                if unsafe { old.base().as_ref().cancel_callback(old.callback()) } {
                    self.refs.fetch_sub(1, Ordering::Relaxed);
                }
                old.set(run);
            }
            None => inner.deferred = Some(Deferred::new(run).ok_or(BufferError::NoMemory)?),
        }
        Ok(())
    }

    /// After a change: drops released shared memory and runs the callbacks.
    #[inline]
    pub(super) fn changed(&self) {
        // SAFETY: called with the lock held and no borrow live.
        let inner = unsafe { self.inner() };
        // One test for the common case: nothing released, no callbacks.
        if (inner.queue.released.len() | inner.callbacks.len()) == 0 {
            inner.n_added = 0;
            inner.n_deleted = 0;
            return;
        }
        self.report();
    }

    #[inline(never)]
    pub(super) fn report(&self) {
        // SAFETY: called with the lock held and no borrow live.
        let inner = unsafe { self.inner() };
        if !inner.queue.released.is_empty() {
            self.drop_released();
        }
        // SAFETY: as above (the previous borrow is not used any more).
        let inner = unsafe { self.inner() };
        if inner.callbacks.is_empty() {
            inner.n_added = 0;
            inner.n_deleted = 0;
            return;
        }
        if inner.n_added == 0 && inner.n_deleted == 0 {
            return;
        }
        self.invoke_callbacks();
    }

    pub(super) fn changed_pair(&self, other: &Evbuffer) {
        let _held = Self::held_pair(self, other);
        other.changed();
        self.changed();
    }

    #[cold]
    pub(super) fn drop_released(&self) {
        // SAFETY: the lock is held; the borrow ends at once.
        let mut released = std::mem::take(&mut unsafe { self.inner() }.queue.released);
        // The program's cleanup functions may run here; no borrow is live.
        released.clear();
        // SAFETY: the lock is held; the borrow ends at once
        let slot = &mut unsafe { self.inner() }.queue.released;
        if slot.capacity() == 0 {
            *slot = released;
        }
    }

    #[cold]
    pub(super) fn invoke_callbacks(&self) {
        // SAFETY: the lock is held; the borrow ends in this block.
        let inner = unsafe { self.inner() };
        if let Some(d) = &inner.deferred {
            let (base, callback) = (d.base(), d.callback());
            // SAFETY: the base outlives the buffer (libevent's contract); the callback
            // stays in place until it is cancelled.
            if unsafe { base.as_ref().schedule_callback(callback) } {
                self.refs.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.run_callbacks(false);
    }

    pub(super) fn run_callbacks(&self, running_deferred: bool) {
        let (info, new_size, mask, wanted) = {
            // SAFETY: the lock is held; the borrow ends in this block.
            let inner = unsafe { self.inner() };
            if inner.callbacks.is_empty() {
                inner.n_added = 0;
                inner.n_deleted = 0;
                return;
            }
            if inner.n_added == 0 && inner.n_deleted == 0 {
                return;
            }
            let (mask, wanted) = if running_deferred {
                (CB_NODEFER | CB_ENABLED, CB_ENABLED)
            } else if inner.deferred.is_some() {
                (CB_NODEFER | CB_ENABLED, CB_NODEFER | CB_ENABLED)
            } else {
                (CB_ENABLED, CB_ENABLED)
            };
            let new_size = inner.queue.len;
            let info = CallbackInfo {
                orig_size: new_size + inner.n_deleted - inner.n_added,
                n_added: inner.n_added,
                n_deleted: inner.n_deleted,
            };
            // Deferred callbacks will want the counts too.
            if running_deferred || inner.deferred.is_none() {
                inner.n_added = 0;
                inner.n_deleted = 0;
            }
            (info, new_size, mask, wanted)
        };
        // Callbacks may free the buffer; the memory stays until `reap`.
        self.refs.fetch_add(1, Ordering::Relaxed);
        let me = self.as_ptr();
        let mut below = u64::MAX;
        loop {
            let next = {
                // SAFETY: the lock is held; the borrow ends in this block.
                let inner = unsafe { self.inner() };
                let i = inner.callbacks.partition_point(|e| e.id < below);
                (i > 0).then(|| {
                    let e = &inner.callbacks[i - 1];
                    (e.id, e.function, e.arg, e.flags)
                })
            };
            let Some((id, function, arg, flags)) = next else {
                break;
            };
            below = id;
            if flags & mask != wanted {
                continue;
            }
            match function {
                // SAFETY: calling the program's callback as libevent does.
                Function::Current(Some(f)) => unsafe { f(me, &info, arg) },
                Function::Current(None) => {}
                // SAFETY: calling the program's callback as libevent does
                Function::Legacy(f) => unsafe { f(me, info.orig_size, new_size, arg) },
                Function::Core(run) => {
                    if let Some(handler) = OnChange::from_parts(run, arg) {
                        handler.call(&info);
                    }
                }
            }
        }
        self.refs.fetch_sub(1, Ordering::Release);
    }
}

/// Runs a buffer's deferred callbacks from the loop.
pub(super) struct RunDeferred;

impl EventHandler for RunDeferred {
    type Target = Evbuffer;
    fn run(this: NonNull<Evbuffer>, _fd: RawFd, _what: c_short) {
        {
            // SAFETY: a queued run holds a reference, so the buffer is live.
            let buf = unsafe { this.as_ref() };
            let _held = buf.held();
            buf.run_callbacks(true);
            buf.refs.fetch_sub(1, Ordering::Release);
        }
        // SAFETY: live at the start of this call.
        unsafe { Evbuffer::reap(this) };
    }
}
