//! Evbuffers: byte queues that data is appended to at the back and consumed from the
//! front, with zero-copy moves between buffers, shared memory, file segments,
//! searching, change callbacks and optional locking.
//!
//! An [`Evbuffer`] is a shell around a [`queue::Queue`]: the shell takes the lock,
//! enforces freezing, counts what changed and runs the callbacks after each change,
//! with no borrow of the queue live while program code runs.

mod callbacks;
mod chunk;
mod edit;
pub mod file;
pub mod handler;
mod io;
mod queue;
mod read;
mod search;
#[cfg(test)]
mod tests;

use self::callbacks::Deferred;
use std::cell::UnsafeCell;
use std::ffi::{c_short, c_void};
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use chunk::{share_backing, Backing};
pub use file::{fs_flag, FileSegment, SegmentCleanup};
use handler::ChangeFn;
pub use handler::{ChangeHandler, OnChange};
use queue::{Queue, QueueError};
pub use search::{BufferPtr, EolStyle};

use crate::event::handler::{EventHandler, Handler};
use crate::event::raw::{list, EventCallback};
use crate::event::Base;
use crate::thread::{Lock, MaybeHeld};
use crate::util::shared::Shared;

/// `EVBUFFER_FLAG_DRAINS_TO_FD`.
pub const FLAG_DRAINS_TO_FD: u64 = 1;
/// `EVBUFFER_CB_ENABLED`.
pub const CB_ENABLED: u32 = 1;
/// Runs a callback at once even when the buffer defers callbacks.
pub const CB_NODEFER: u32 = 2;
/// Callback flag bits the program may not change.
const CB_INTERNAL_FLAGS: u32 = 0xffff_0000;
/// The read size limit of a new buffer.
pub const MAX_READ_DEFAULT: usize = 4096;

/// `struct evbuffer_cb_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallbackInfo {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

/// `evbuffer_cb_func`.
pub type CallbackFn = unsafe extern "C" fn(*mut Evbuffer, *const CallbackInfo, *mut c_void);
/// `evbuffer_cb` (the callback of `evbuffer_setcb`): old and new length.
pub type LegacyCallbackFn = unsafe extern "C" fn(*mut Evbuffer, usize, usize, *mut c_void);

/// What a callback entry runs.
#[derive(Clone, Copy)]
enum Function {
    /// The program's `evbuffer_add_cb` function.
    Current(Option<CallbackFn>),
    /// The program's `evbuffer_setcb` function.
    Legacy(LegacyCallbackFn),
    /// One of the core's own callbacks, an [`OnChange`] split in two: its entry's
    /// `arg` is the target.
    Core(ChangeFn),
}

/// `struct evbuffer_cb_entry`: one registered callback.
pub struct CallbackEntry {
    id: u64,
    function: Function,
    arg: *mut c_void,
    flags: u32,
}

/// Why a buffer operation failed; every case is `-1` to C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferError {
    /// The end (or start) the operation changes is frozen.
    Frozen,
    /// A size overflows or cannot be allocated.
    TooLarge,
    /// The allocator failed.
    NoMemory,
    /// The iovecs given to commit do not match the reserved space.
    Mismatch,
    /// The source holds data that cannot be shared.
    NotShareable,
    /// A position or callback that is not in this buffer.
    NotFound,
    /// An argument out of range.
    Invalid,
}

impl From<QueueError> for BufferError {
    fn from(e: QueueError) -> BufferError {
        match e {
            QueueError::TooLarge => BufferError::TooLarge,
            QueueError::NoMemory => BufferError::NoMemory,
            QueueError::Mismatch => BufferError::Mismatch,
            QueueError::NotShareable => BufferError::NotShareable,
        }
    }
}

pub type BufferResult<T> = Result<T, BufferError>;

struct Inner {
    queue: Queue,
    freeze_start: bool,
    freeze_end: bool,
    flags: u64,
    max_read: usize,
    /// In registration order; run newest first, as libevent does. Boxed because the
    /// program holds their addresses (`struct evbuffer_cb_entry *`).
    #[allow(clippy::vec_box)]
    callbacks: Vec<Box<CallbackEntry>>,
    next_callback_id: u64,
    n_added: usize,
    n_deleted: usize,
    deferred: Option<Deferred>,
    /// `evbuffer_free` was called; the memory goes when the last reference does.
    freed: bool,
}

/// `struct evbuffer`.
pub struct Evbuffer {
    lock: UnsafeCell<Option<Arc<Lock>>>,
    /// The program's handle plus internal holds (callbacks running, a deferred run
    /// queued, owners such as bufferevents).
    refs: AtomicUsize,
    inner: UnsafeCell<Inner>,
}

// Neither `Send` nor `Sync`: a buffer without a lock, or bound to a base, is used by
// one thread at a time, so other threads reach it only through its address, under
// libevent's rules (docs/ARCHITECTURE.md, "Threads").

impl Evbuffer {
    /// `evbuffer_new`.
    pub fn new() -> Box<Evbuffer> {
        Self::try_new().expect("out of memory")
    }

    /// `evbuffer_new`: None when memory runs out.
    pub fn try_new() -> Option<Box<Evbuffer>> {
        crate::util::try_box(Evbuffer {
            lock: UnsafeCell::new(None),
            refs: AtomicUsize::new(1),
            inner: UnsafeCell::new(Inner {
                queue: Queue::new(),
                freeze_start: false,
                freeze_end: false,
                flags: 0,
                max_read: MAX_READ_DEFAULT,
                callbacks: Vec::new(),
                next_callback_id: 0,
                n_added: 0,
                n_deleted: 0,
                deferred: None,
                freed: false,
            }),
        })
    }

    fn as_ptr(&self) -> *mut Evbuffer {
        (self as *const Evbuffer).cast_mut()
    }

    #[inline]
    fn lock_ref(&self) -> Option<&Lock> {
        // SAFETY: the lock slot only changes in `enable_locking`, which libevent
        // requires to happen before the buffer is shared.
        unsafe { &*self.lock.get() }.as_deref()
    }

    #[inline(always)]
    fn held(&self) -> MaybeHeld<'_> {
        MaybeHeld::new(self.lock_ref())
    }

    /// Locks two buffers in a fixed order (once when they share a lock).
    fn held_pair<'a>(a: &'a Evbuffer, b: &'a Evbuffer) -> (MaybeHeld<'a>, MaybeHeld<'a>) {
        match (a.lock_ref(), b.lock_ref()) {
            (Some(x), Some(y)) if std::ptr::eq(x, y) => (a.held(), MaybeHeld::new(None)),
            (Some(x), Some(y)) if (x as *const Lock) > (y as *const Lock) => {
                let second = b.held();
                (a.held(), second)
            }
            _ => {
                let first = a.held();
                (first, b.held())
            }
        }
    }

    /// # Safety
    /// The caller holds the buffer's lock (or the buffer has none) and no other borrow
    /// of the state is live; borrows end before any program code is called.
    #[allow(clippy::mut_from_ref)]
    #[inline]
    unsafe fn inner(&self) -> &mut Inner {
        // SAFETY: guaranteed by the caller.
        unsafe { &mut *self.inner.get() }
    }

    /// Runs `f` on the state under the lock, then reports the change. A buffer
    /// without a lock takes a path of its own, with no lock calls in it.
    #[inline]
    fn change<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        if self.lock_ref().is_some() {
            return self.change_locked(f);
        }
        // SAFETY: the buffer has no lock; the borrow ends with `f`.
        let result = f(unsafe { self.inner() });
        self.changed();
        result
    }

    #[inline(never)]
    fn change_locked<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let _held = self.held();
        // SAFETY: the lock is held; the borrow ends with `f`.
        let result = f(unsafe { self.inner() });
        self.changed();
        result
    }

    /// Reads the state under the lock.
    #[inline]
    fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        let _held = self.held();
        // SAFETY: the lock is held; the borrow ends with `f`.
        f(unsafe { self.inner() })
    }

    // ----- lifetime -------------------------------------------------------------------

    /// Runs `f` on the buffer `this` and then, if a callback that `f` ran freed the
    /// buffer (`evbuffer_free` from inside its own callback), releases the memory, now
    /// that no borrow of it is left. Every call of the program's that may run callbacks
    /// comes in through here (or [`Evbuffer::enter_pair`]); calls that only look at the
    /// buffer may borrow it directly.
    ///
    /// # Safety
    /// `this` is a live buffer.
    #[inline(always)]
    pub unsafe fn enter<R>(this: NonNull<Evbuffer>, f: impl FnOnce(&Evbuffer) -> R) -> R {
        // SAFETY: live (the caller's guarantee); freed only by `reap` below.
        let result = f(unsafe { this.as_ref() });
        // SAFETY: live at the start of this call.
        unsafe { Self::reap(this) };
        result
    }

    /// [`Evbuffer::enter`] for a call on two buffers (the same one twice is allowed).
    ///
    /// # Safety
    /// Both are live buffers.
    pub unsafe fn enter_pair<R>(
        a: NonNull<Evbuffer>,
        b: NonNull<Evbuffer>,
        f: impl FnOnce(&Evbuffer, &Evbuffer) -> R,
    ) -> R {
        // SAFETY: live (the caller's guarantee); freed only by `reap` below.
        let result = f(unsafe { a.as_ref() }, unsafe { b.as_ref() });
        // SAFETY: live at the start of this call. `a` is held while `b` may go, so
        // that the second reap still sees a live count.
        unsafe {
            if a != b {
                a.as_ref().retain();
                Self::reap(b);
                Self::release(a);
            } else {
                Self::reap(a);
            }
        }
        result
    }

    /// Adds an internal reference, which keeps the memory alive after
    /// `evbuffer_free` until [`Evbuffer::release`].
    fn retain(&self) {
        self.refs.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops a reference taken with [`Evbuffer::retain`], freeing the buffer when it
    /// was the last.
    ///
    /// # Safety
    /// `this` is live and the caller owns one reference, which it gives up.
    unsafe fn release(this: NonNull<Evbuffer>) {
        // SAFETY: live, as the caller guarantees.
        unsafe { this.as_ref() }
            .refs
            .fetch_sub(1, Ordering::Release);
        // SAFETY: live, as the caller guarantees
        unsafe { Self::reap(this) };
    }

    /// `evbuffer_free` for the owner of the box from [`Evbuffer::new`].
    pub fn free_boxed(self: Box<Self>) {
        // SAFETY: a box from `new`, given up here.
        unsafe { Self::free(NonNull::from(Box::leak(self))) };
    }

    /// `evbuffer_free`: the program gives up its handle. Callbacks stop at once;
    /// the memory goes when nothing else holds the buffer.
    ///
    /// # Safety
    /// `this` came from [`Evbuffer::new`] (via `Box::into_raw`) and the program's
    /// handle was not freed before.
    pub unsafe fn free(this: NonNull<Evbuffer>) {
        // SAFETY: live, as the caller guarantees.
        let buf = unsafe { this.as_ref() };
        {
            let _held = buf.held();
            // SAFETY: the lock is held.
            let inner = unsafe { buf.inner() };
            inner.freed = true;
            // A deferred run already queued still happens, as in libevent: it holds
            // its own reference and the buffer goes after it. Otherwise callbacks
            // stop now.
            let queued = inner.deferred.as_ref().is_some_and(Deferred::queued);
            let callbacks = if queued {
                Vec::new()
            } else {
                inner.deferred = None;
                std::mem::take(&mut inner.callbacks)
            };
            drop(callbacks);
        }
        // SAFETY: the handle is given up here.
        unsafe { Self::release(this) };
    }

    /// Frees the buffer if nothing holds it any more. Called after every entry that
    /// may have run callbacks (which may have freed the buffer from inside).
    ///
    /// # Safety
    /// `this` points to a buffer that was live at the start of the call in progress.
    #[inline]
    unsafe fn reap(this: NonNull<Evbuffer>) {
        // SAFETY: not freed yet: only this function frees, when the count is 0.
        if unsafe { this.as_ref() }.refs.load(Ordering::Acquire) == 0 {
            // SAFETY: not freed yet: only this function frees, when the count is 0
            unsafe { Self::destroy(this) };
        }
    }

    /// # Safety
    /// No references to the buffer remain; it came from `new`.
    #[cold]
    unsafe fn destroy(this: NonNull<Evbuffer>) {
        // SAFETY: guaranteed by the caller.
        drop(unsafe { Box::from_raw(this.as_ptr()) });
    }

    // ----- configuration ------------------------------------------------------------

    /// `evbuffer_enable_locking`: `lock` is an existing lock to share, or None to
    /// allocate one. Fails when the buffer already has a lock or none can be made.
    pub fn enable_locking(&self, lock: Option<Arc<Lock>>) -> BufferResult<()> {
        // SAFETY: libevent requires this before the buffer is shared between threads.
        let slot = unsafe { &mut *self.lock.get() };
        if slot.is_some() {
            return Err(BufferError::Invalid);
        }
        let lock = match lock {
            Some(l) => l,
            None => Arc::new(Lock::new(true).ok_or(BufferError::NoMemory)?),
        };
        *slot = Some(lock);
        Ok(())
    }

    /// The buffer's lock, for sharing with companions (a bufferevent's two buffers).
    pub fn lock_handle(&self) -> Option<Arc<Lock>> {
        self.lock_ref().map(|_| {
            // SAFETY: as in `lock_ref`.
            Arc::clone(unsafe { &*self.lock.get() }.as_ref().expect("present"))
        })
    }

    /// `evbuffer_lock`.
    pub fn lock(&self) {
        if let Some(l) = self.lock_ref() {
            l.lock();
        }
    }

    /// `evbuffer_unlock`.
    pub fn unlock(&self) {
        if let Some(l) = self.lock_ref() {
            l.unlock();
        }
    }

    /// `evbuffer_set_flags`.
    pub fn set_flags(&self, flags: u64) {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.inner() }.flags |= flags;
    }

    /// `evbuffer_clear_flags`.
    pub fn clear_flags(&self, flags: u64) {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.inner() }.flags &= !flags;
    }

    /// `evbuffer_set_max_read`: at most `INT_MAX`.
    pub fn set_max_read(&self, max: usize) -> BufferResult<()> {
        if max > i32::MAX as usize {
            return Err(BufferError::Invalid);
        }
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.inner() }.max_read = max;
        Ok(())
    }

    /// `evbuffer_get_max_read`.
    pub fn max_read(&self) -> usize {
        self.read(|i| i.max_read)
    }

    /// `evbuffer_freeze`: `start` freezes the front (removals), else the back.
    pub fn freeze(&self, start: bool) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let inner = unsafe { self.inner() };
        if start {
            inner.freeze_start = true;
        } else {
            inner.freeze_end = true;
        }
    }

    /// `evbuffer_unfreeze`.
    pub fn unfreeze(&self, start: bool) {
        let _held = self.held();
        // SAFETY: the lock is held.
        let inner = unsafe { self.inner() };
        if start {
            inner.freeze_start = false;
        } else {
            inner.freeze_end = false;
        }
    }

    // ----- inspection -----------------------------------------------------------------

    /// `evbuffer_get_length`.
    #[inline]
    pub fn len(&self) -> usize {
        self.read(|i| i.queue.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees free space kept for later appends; an empty buffer then holds no block.
    pub fn shrink(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.inner() }.queue.trim();
    }

    /// Empties a buffer for use as a new one, keeping its memory as draining does,
    /// when nothing about it differs from a new buffer but its contents: no
    /// callbacks, lock, frozen end, flags, changed read limit, deferred callbacks or
    /// other holder. False (and nothing done) otherwise.
    pub fn reset_if_plain(&self) -> bool {
        if self.lock_ref().is_some() || self.refs.load(Ordering::Acquire) != 1 {
            return false;
        }
        let plain = self.read(|i| {
            i.callbacks.is_empty()
                && !i.freeze_start
                && !i.freeze_end
                && i.flags == 0
                && i.max_read == MAX_READ_DEFAULT
                && i.deferred.is_none()
                && !i.freed
        });
        plain && self.drain(usize::MAX).is_ok()
    }

    /// Frees free space kept for later appends except one small block, as draining
    /// the buffer empty keeps (what its next append or read fills).
    pub fn shrink_to_spare(&self) {
        let _held = self.held();
        // SAFETY: the lock is held.
        unsafe { self.inner() }.queue.trim_to_spare();
    }

    /// `evbuffer_get_contiguous_space`.
    pub fn contiguous_len(&self) -> usize {
        self.read(|i| i.queue.first_len())
    }
}

impl Drop for Evbuffer {
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        // Shared memory is released with the program's cleanup functions; nothing
        // else refers to the buffer any more.
        let queue = std::mem::replace(&mut inner.queue, Queue::new());
        drop(queue);
    }
}

#[cfg(test)]
mod shell_tests {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::sync::atomic::AtomicBool;

    use super::*;

    static RELEASED: AtomicBool = AtomicBool::new(false);

    /// Shared memory that records when the buffer holding it lets it go.
    struct Watched;

    impl Backing for Watched {
        fn bytes(&self) -> &[u8] {
            b"shared"
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            RELEASED.store(true, Ordering::SeqCst);
        }
    }

    unsafe extern "C" fn free_own_buffer(
        buf: *mut Evbuffer,
        _: *const CallbackInfo,
        _: *mut c_void,
    ) {
        // SAFETY: the program's handle, given up from inside its callback.
        unsafe { Evbuffer::free(NonNull::new(buf).expect("the buffer")) };
        assert!(!RELEASED.load(Ordering::SeqCst), "freed under the callback");
    }

    #[test]
    fn a_buffer_freed_by_its_callback_goes_when_the_call_returns() {
        let buf = NonNull::from(Box::leak(Evbuffer::new()));
        // SAFETY: live until the call below frees it.
        unsafe {
            let b = buf.as_ref();
            b.add_shared(0, 6, || share_backing(Watched).ok()).unwrap();
            b.add_callback(Some(free_own_buffer), std::ptr::null_mut())
                .unwrap();
            Evbuffer::enter(buf, |b| b.add(b"more").unwrap());
        }
        assert!(RELEASED.load(Ordering::SeqCst));
    }

    #[test]
    fn a_refused_file_segment_releases_the_callers_reference() {
        let path = std::env::temp_dir().join(format!("evrs-segment-{}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        file.write_all(b"segment").unwrap();
        static SEGMENTS_GONE: AtomicUsize = AtomicUsize::new(0);
        let segment = || {
            let segment = FileSegment::new(file.as_raw_fd(), 0, -1, 0).unwrap();
            segment.set_cleanup(Some(Box::new(|_, _| {
                SEGMENTS_GONE.fetch_add(1, Ordering::SeqCst);
            })));
            segment
        };
        let b = Evbuffer::new();

        b.freeze(false);
        assert!(b.add_file_segment(segment(), 0, -1).is_err());
        assert_eq!(SEGMENTS_GONE.load(Ordering::SeqCst), 1);

        b.unfreeze(false);
        drop(b.add_file_segment(segment(), 0, -1).unwrap());
        // The buffer keeps a reference of its own.
        assert_eq!(SEGMENTS_GONE.load(Ordering::SeqCst), 1);
        assert_eq!(b.len(), 7);
        drop(b);
        assert_eq!(SEGMENTS_GONE.load(Ordering::SeqCst), 2);
        std::fs::remove_file(path).unwrap();
    }
}
