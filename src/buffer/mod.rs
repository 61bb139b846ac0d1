//! Evbuffers: byte queues that data is appended to at the back and consumed from the
//! front, with zero-copy moves between buffers, shared memory, file segments,
//! searching, change callbacks and optional locking.
//!
//! An [`Evbuffer`] is a shell around a [`queue::Queue`]: the shell takes the lock,
//! enforces freezing, counts what changed and runs the callbacks after each change,
//! with no borrow of the queue live while program code runs.

mod chunk;
pub mod file;
pub mod handler;
mod io;
mod queue;
mod search;
#[cfg(test)]
mod tests;

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

/// What `evbuffer_defer_callbacks` sets up: the callback queued on a base and the base.
/// It has an allocation of its own, made on first use and kept until the buffer goes,
/// and is reached only by pointer: the borrows of the state that every change takes
/// must not cover it, as the base keeps a pointer to the callback while it is queued.
/// One pointer in the state, so buffers that never defer (a bufferevent's) pay 8 bytes.
struct Deferred(NonNull<DeferredRun>);

struct DeferredRun {
    callback: EventCallback,
    base: NonNull<Base>,
}

impl Deferred {
    /// None when memory runs out.
    fn new(run: DeferredRun) -> Option<Deferred> {
        crate::util::try_box(run).map(|b| Deferred(NonNull::from(Box::leak(b))))
    }

    fn callback(&self) -> NonNull<EventCallback> {
        // SAFETY: owned and live; a field's address, no reference made.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*self.0.as_ptr()).callback)) }
    }

    fn base(&self) -> NonNull<Base> {
        // SAFETY: owned and live; one field read in place.
        unsafe { (*self.0.as_ptr()).base }
    }

    /// Rewrites the run in place; the callback must be in no queue.
    fn set(&self, run: DeferredRun) {
        // SAFETY: owned and live; the caller took the callback off every queue.
        unsafe { self.0.as_ptr().write(run) };
    }

    fn queued(&self) -> bool {
        // SAFETY: owned and live; one field read in place.
        unsafe { (*self.callback().as_ptr()).flags & (list::ACTIVE | list::ACTIVE_LATER) != 0 }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        // SAFETY: leaked from a box in `new`; no base queues it any more (a queued run
        // holds a reference on the buffer, so the buffer outlives it).
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

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
        // SAFETY: as above.
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
            // SAFETY: as above.
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

    /// `evbuffer_get_contiguous_space`.
    pub fn contiguous_len(&self) -> usize {
        self.read(|i| i.queue.first_len())
    }

    // ----- adding ---------------------------------------------------------------------

    /// `evbuffer_add`.
    #[inline]
    pub fn add(&self, data: &[u8]) -> BufferResult<()> {
        self.change(move |inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.queue.append(data)?;
            inner.n_added += data.len();
            Ok(())
        })
    }

    /// `evbuffer_add_iovec`: appends each region in turn; returns the bytes added
    /// (stopping at the first failure).
    pub fn add_slices(&self, parts: &[&[u8]]) -> usize {
        self.change(|inner| {
            if inner.freeze_end {
                return 0;
            }
            // One allocation up front where possible (a failure here is not fatal).
            let total = parts.iter().try_fold(0usize, |t, p| t.checked_add(p.len()));
            if let Some(total) = total.filter(|&t| t > 0) {
                let _ = inner.queue.expand_spread(total, 2);
            }
            let mut added = 0;
            for part in parts {
                if inner.queue.append(part).is_err() {
                    break;
                }
                added += part.len();
            }
            inner.n_added += added;
            added
        })
    }

    /// `evbuffer_prepend`.
    pub fn prepend(&self, data: &[u8]) -> BufferResult<()> {
        self.change(|inner| {
            if data.is_empty() {
                return Ok(());
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            inner.queue.prepend(data)?;
            inner.n_added += data.len();
            Ok(())
        })
    }

    /// `evbuffer_add_reference`: appends `start..end` of shared memory without copying.
    /// `make` builds the backing only once the buffer accepted and has room for it, so
    /// that a refused call never releases the program's memory; None from `make` means
    /// it could not be allocated.
    pub fn add_shared(
        &self,
        start: usize,
        end: usize,
        make: impl FnOnce() -> Option<Shared<dyn Backing>>,
    ) -> BufferResult<()> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.queue.prepare_shared(end - start)?;
            let backing = make().ok_or(BufferError::NoMemory)?;
            inner.queue.push_shared(backing, start, end, 0);
            inner.n_added += end - start;
            Ok(())
        })
    }

    /// `evbuffer_add_file_segment`: `length` -1 means to the end of the segment.
    /// `segment` is a reference that the caller holds (the program's handle). As in
    /// libevent, a refused segment releases it (`evbuffer_add_file` relies on this to
    /// close a fresh segment's file); an accepted one hands it back, and the buffer
    /// keeps references of its own.
    pub fn add_file_segment(
        &self,
        segment: Shared<FileSegment>,
        offset: i64,
        length: i64,
    ) -> Result<Shared<FileSegment>, BufferError> {
        let added = self.change(|inner| {
            let sendfile = inner.flags & FLAG_DRAINS_TO_FD != 0 && segment.can_sendfile();
            if !sendfile && segment.materialize().is_none() {
                return Err(BufferError::Invalid);
            }
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            let size = segment.len() as i64;
            let length = if length < 0 {
                if offset > size || offset < 0 {
                    return Err(BufferError::Invalid);
                }
                size - offset
            } else {
                length
            };
            if offset < 0 || offset.checked_add(length).is_none_or(|end| end > size) {
                return Err(BufferError::Invalid);
            }
            let (start, end) = (offset as usize, (offset + length) as usize);
            inner.queue.prepare_shared(end - start)?;
            let view = file::SegmentView::try_new(&segment).ok_or(BufferError::NoMemory)?;
            let kind = if sendfile { chunk::kind::SENDFILE } else { 0 };
            inner.queue.push_shared(view, start, end, kind);
            inner.n_added += end - start;
            Ok(())
        });
        added.map(|()| segment)
    }

    /// `evbuffer_add_file`: appends `length` bytes (-1: to the end of the file) of
    /// `fd` from `offset`; the buffer closes `fd` when done with it (at once if the
    /// segment is refused after it was made; not at all when it cannot be made).
    pub fn add_file(&self, fd: RawFd, offset: i64, length: i64) -> BufferResult<()> {
        let segment = FileSegment::new(fd, offset, length, fs_flag::CLOSE_ON_FREE)
            .ok_or(BufferError::Invalid)?;
        self.add_file_segment(segment, 0, length).map(drop)
    }

    /// `evbuffer_add_buffer`: moves everything from `src` to the end of `self`.
    pub fn add_buffer(&self, src: &Evbuffer) -> BufferResult<()> {
        self.take_all(src, false)
    }

    /// `evbuffer_prepend_buffer`: moves everything from `src` to the front of `self`.
    pub fn prepend_buffer(&self, src: &Evbuffer) -> BufferResult<()> {
        self.take_all(src, true)
    }

    fn take_all(&self, src: &Evbuffer, to_front: bool) -> BufferResult<()> {
        if std::ptr::eq(self, src) {
            return Ok(());
        }
        let result = {
            let _held = Self::held_pair(self, src);
            // SAFETY: both locks are held; the buffers are distinct.
            let (dst_inner, src_inner) = unsafe { (self.inner(), src.inner()) };
            let n = src_inner.queue.len;
            let dst_frozen = if to_front {
                dst_inner.freeze_start
            } else {
                dst_inner.freeze_end
            };
            if n == 0 {
                Ok(())
            } else if dst_frozen || src_inner.freeze_start {
                Err(BufferError::Frozen)
            } else {
                let moved = if to_front {
                    dst_inner.queue.prepend_queue(&mut src_inner.queue)
                } else {
                    dst_inner.queue.append_queue(&mut src_inner.queue)
                };
                moved
                    .map(|()| {
                        src_inner.n_deleted += n;
                        dst_inner.n_added += n;
                    })
                    .map_err(Into::into)
            }
        };
        self.changed_pair(src);
        result
    }

    /// `evbuffer_add_buffer_reference`: appends the contents of `src` without
    /// removing them from it.
    pub fn add_buffer_reference(&self, src: &Evbuffer) -> BufferResult<()> {
        let result = {
            let _held = Self::held_pair(self, src);
            // SAFETY: both locks are held.
            let src_len = unsafe { src.inner() }.queue.len;
            if src_len == 0 {
                Ok(())
            } else if std::ptr::eq(self, src) {
                Err(BufferError::Invalid)
            } else {
                // SAFETY: both locks are held; the buffers are distinct.
                let (dst_inner, src_inner) = unsafe { (self.inner(), src.inner()) };
                if dst_inner.freeze_end {
                    Err(BufferError::Frozen)
                } else {
                    dst_inner
                        .queue
                        .share_from(&mut src_inner.queue)
                        .map(|()| dst_inner.n_added += src_len)
                        .map_err(Into::into)
                }
            }
        };
        self.changed();
        result
    }

    // ----- removing -------------------------------------------------------------------

    /// `evbuffer_drain`: removes up to `n` bytes from the front.
    #[inline]
    pub fn drain(&self, n: usize) -> BufferResult<()> {
        self.change(move |inner| {
            if inner.queue.len == 0 {
                return Ok(());
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            inner.n_deleted += inner.queue.drain(n);
            Ok(())
        })
    }

    /// `evbuffer_remove`: moves up to `out.len()` bytes into `out`.
    #[inline]
    pub fn remove(&self, out: &mut [u8]) -> BufferResult<usize> {
        self.change(move |inner| {
            let n = out.len().min(inner.queue.len);
            if n == 0 {
                return Ok(0);
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            let n = inner.queue.remove(&mut out[..n]);
            inner.n_deleted += n;
            Ok(n)
        })
    }

    /// `evbuffer_copyout_from`: copies bytes starting at `from` (or the front).
    pub fn copy_out(&self, from: Option<&BufferPtr>, out: &mut [u8]) -> BufferResult<usize> {
        self.read(|inner| {
            let q = &inner.queue;
            let pos = match from {
                Some(p) => {
                    if p.pos >= 0 && out.len() > (isize::MAX - p.pos) as usize {
                        return Err(BufferError::TooLarge);
                    }
                    q.resolve(p).ok_or(BufferError::NotFound)?
                }
                None => q.start_pos(),
            };
            let n = out.len().min(q.len - pos.abs);
            if n == 0 {
                return Ok(0);
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            Ok(q.copy_from(pos.chunk, pos.offset, &mut out[..n]))
        })
    }

    /// `evbuffer_remove_buffer`: moves up to `n` bytes from the front of `self` to
    /// the end of `dst`; returns the count.
    pub fn remove_buffer(&self, dst: &Evbuffer, n: usize) -> BufferResult<usize> {
        if std::ptr::eq(self, dst) || n == 0 {
            return Ok(0);
        }
        let result = {
            let _held = Self::held_pair(self, dst);
            // SAFETY: both locks are held; the buffers are distinct.
            let (src_inner, dst_inner) = unsafe { (self.inner(), dst.inner()) };
            if dst_inner.freeze_end || src_inner.freeze_start {
                Err(BufferError::Frozen)
            } else {
                match src_inner.queue.move_front_to(&mut dst_inner.queue, n) {
                    Ok(moved) => {
                        src_inner.n_deleted += moved;
                        dst_inner.n_added += moved;
                        Ok(moved)
                    }
                    Err(e) => Err(e.into()),
                }
            }
        };
        self.changed_pair(dst);
        result
    }

    /// `evbuffer_pullup`: makes the first `size` bytes (all for None) contiguous and
    /// returns a pointer to them; None when `size` is 0 or more than the length.
    pub fn pullup(&self, size: Option<usize>) -> Option<NonNull<u8>> {
        self.change(|inner| {
            let size = size.unwrap_or(inner.queue.len);
            if size == 0 || size > inner.queue.len {
                return None;
            }
            inner.queue.pullup(size).ok().and_then(NonNull::new)
        })
    }

    /// `evbuffer_find`: makes the buffer contiguous up to the end of the first
    /// occurrence of `needle` and points at it; None when there is none.
    pub fn find_contiguous(&self, needle: &[u8]) -> Option<NonNull<u8>> {
        self.change(|inner| {
            let q = &mut inner.queue;
            if needle.is_empty() {
                return None;
            }
            let at = q.find(q.start_pos(), needle)?.abs;
            let start = q.pullup(at + needle.len()).ok()?;
            NonNull::new(start.wrapping_add(at))
        })
    }

    // ----- free space -----------------------------------------------------------------

    /// `evbuffer_expand`: room for `size` more bytes in one chunk.
    pub fn expand(&self, size: usize) -> BufferResult<()> {
        self.change(|inner| {
            inner.queue.expand_contiguous(size)?;
            Ok(())
        })
    }

    /// `evbuffer_reserve_space`: describes at least `size` bytes of free space in up
    /// to `out.len()` regions; returns how many regions were filled in.
    pub fn reserve(&self, size: usize, out: &mut [libc::iovec]) -> BufferResult<usize> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            match out.len() {
                0 => Err(BufferError::Invalid),
                1 => {
                    let index = inner.queue.expand_contiguous(size)?;
                    let chunk = &inner.queue.chunks[index];
                    out[0] = libc::iovec {
                        iov_base: chunk.space_ptr().expect("owned").as_ptr().cast(),
                        iov_len: chunk.space(),
                    };
                    Ok(1)
                }
                n => {
                    inner.queue.expand_spread(size, n)?;
                    Ok(inner.queue.space_regions(size, out, false))
                }
            }
        })
    }

    /// `evbuffer_commit_space`.
    pub fn commit(&self, regions: &[libc::iovec]) -> BufferResult<()> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.n_added += inner.queue.commit(regions)?;
            Ok(())
        })
    }

    // ----- looking at the data -------------------------------------------------------

    /// `evbuffer_peek`: describes the data chunks from `start` (or the front) that
    /// cover `len` bytes (all for None) in `out`; returns how many regions that
    /// takes, which may be more than `out.len()`.
    pub fn peek(
        &self,
        len: Option<usize>,
        start: Option<&BufferPtr>,
        out: &mut [libc::iovec],
    ) -> usize {
        self.read(|inner| {
            let q = &inner.queue;
            let (mut chunk, mut so_far, mut n) = (0, 0usize, 0);
            let mut len = len;
            if let Some(p) = start {
                let Some(pos) = q.resolve(p) else { return 0 };
                if pos.chunk >= q.filled {
                    return 0;
                }
                let c = &q.chunks[pos.chunk];
                so_far = c.len() - pos.offset;
                if let Some(slot) = out.first_mut() {
                    *slot = libc::iovec {
                        // SAFETY: `offset` is inside the chunk's data.
                        iov_base: unsafe { c.data_ptr().add(pos.offset) }.cast(),
                        iov_len: so_far,
                    };
                }
                n = 1;
                chunk = pos.chunk + 1;
                if out.is_empty() && len.is_none() {
                    len = Some(q.len - pos.abs);
                }
            } else if out.is_empty() && len.is_none() {
                len = Some(q.len);
            }
            for c in q.data_chunks().skip(chunk) {
                if len.is_some_and(|l| so_far >= l) {
                    break;
                }
                if let Some(slot) = out.get_mut(n) {
                    *slot = libc::iovec {
                        iov_base: c.data_ptr().cast(),
                        iov_len: c.len(),
                    };
                } else if len.is_none() {
                    break;
                }
                n += 1;
                so_far += c.len();
            }
            n
        })
    }

    /// `evbuffer_ptr_set`: `add` moves `ptr` forward by `position`, else sets it to
    /// `position`. A position past the end fails and marks `ptr` not found; a `ptr`
    /// that cannot be moved (negative, or overflowing) fails untouched.
    #[inline]
    pub fn ptr_set(&self, ptr: &mut BufferPtr, position: usize, add: bool) -> BufferResult<()> {
        if self.lock_ref().is_some() {
            return self.ptr_set_locked(ptr, position, add);
        }
        // SAFETY: the buffer has no lock; the borrow ends with the call.
        unsafe { self.inner() }.queue.set_ptr(ptr, position, add)
    }

    /// [`Evbuffer::ptr_set`] with the lock (apart, so that the common path above
    /// holds no lock bookkeeping).
    #[inline(never)]
    fn ptr_set_locked(&self, ptr: &mut BufferPtr, position: usize, add: bool) -> BufferResult<()> {
        self.read(|inner| inner.queue.set_ptr(ptr, position, add))
    }

    /// `evbuffer_search_range`: the first place at or after `start` where `needle`
    /// occurs and ends no later than `end`. An empty needle "matches" at `start`.
    pub fn search(
        &self,
        needle: &[u8],
        start: Option<&BufferPtr>,
        end: Option<&BufferPtr>,
    ) -> BufferPtr {
        self.read(|inner| {
            let q = &inner.queue;
            let from = match start {
                Some(p) => {
                    if needle.is_empty() || needle.len() > isize::MAX as usize {
                        return *p;
                    }
                    match q.resolve(p) {
                        Some(pos) => pos,
                        None => return BufferPtr::NOT_FOUND,
                    }
                }
                None => {
                    let from = q.start_pos();
                    if needle.is_empty() || needle.len() > isize::MAX as usize {
                        return q.encode(from);
                    }
                    from
                }
            };
            match q.find(from, needle) {
                Some(at) => {
                    if let Some(e) = end {
                        if (at.abs + needle.len()) as isize > e.pos {
                            return BufferPtr::NOT_FOUND;
                        }
                    }
                    q.encode(at)
                }
                None => BufferPtr::NOT_FOUND,
            }
        })
    }

    /// `evbuffer_search_eol`: where the first line ending at or after `start`
    /// begins, and its length (0 when none is found).
    #[inline]
    pub fn search_eol(&self, start: Option<&BufferPtr>, style: EolStyle) -> (BufferPtr, usize) {
        if self.lock_ref().is_some() {
            return self.search_eol_locked(start, style);
        }
        // SAFETY: the buffer has no lock; the borrow ends with the call.
        unsafe { self.inner() }.queue.search_eol(start, style)
    }

    /// [`Evbuffer::search_eol`] with the lock (apart, as for `ptr_set`).
    #[inline(never)]
    fn search_eol_locked(&self, start: Option<&BufferPtr>, style: EolStyle) -> (BufferPtr, usize) {
        self.read(|inner| inner.queue.search_eol(start, style))
    }

    /// `evbuffer_readln`: removes the first line and its ending. `alloc` is asked
    /// for `line length + 1` bytes; the line is copied there followed by a NUL.
    /// Returns the line length, or None (no complete line, frozen front, or no
    /// memory).
    pub fn readln<'a>(
        &self,
        style: EolStyle,
        alloc: impl FnOnce(usize) -> Option<&'a mut [u8]>,
    ) -> Option<usize> {
        let _held = self.held();
        let found = {
            // SAFETY: the lock is held; the borrow ends in this block.
            let inner = unsafe { self.inner() };
            if inner.freeze_start {
                return None;
            }
            let q = &inner.queue;
            q.find_eol(q.start_pos(), style)
        };
        let (at, eol_len) = found?;
        let n = at.abs;
        let Some(out) = alloc(n + 1) else {
            crate::log::warn(format_args!("evbuffer_readln: out of memory"));
            return None;
        };
        {
            // SAFETY: the lock is held; the borrow ends in this block.
            let inner = unsafe { self.inner() };
            inner.n_deleted += inner.queue.remove(&mut out[..n]);
            out[n] = 0;
        }
        self.changed();
        if eol_len > 0 {
            {
                // SAFETY: as above.
                let inner = unsafe { self.inner() };
                inner.n_deleted += inner.queue.drain(eol_len);
            }
            self.changed();
        }
        Some(n)
    }

    // ----- descriptors ----------------------------------------------------------------

    /// `evbuffer_read`: reads at most `howmuch` (or the read limit) bytes from `fd`.
    /// Ok(0) is end of file.
    pub fn read_from(&self, fd: RawFd, howmuch: Option<usize>) -> std::io::Result<usize> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(std::io::ErrorKind::PermissionDenied.into());
            }
            let want = howmuch.map_or(inner.max_read, |h| h.min(inner.max_read));
            let n = inner.queue.read_from(fd, want)?;
            inner.n_added += n;
            Ok(n)
        })
    }

    /// `evbuffer_write_atmost`: writes at most `howmuch` (or all) bytes to `fd` and
    /// removes them. None when there was nothing to write (or the front is frozen).
    pub fn write_to(&self, fd: RawFd, howmuch: Option<usize>) -> Option<std::io::Result<usize>> {
        self.change(|inner| {
            if inner.freeze_start {
                return None;
            }
            let limit = howmuch.map_or(inner.queue.len, |h| h.min(inner.queue.len));
            if limit == 0 {
                return None;
            }
            let result = inner.queue.write_to(fd, limit);
            if let Ok(n) = result {
                inner.n_deleted += n;
            }
            Some(result)
        })
    }

    // ----- callbacks ------------------------------------------------------------------

    /// Registers a callback; None when memory runs out (as `evbuffer_add_cb`'s NULL).
    fn push_callback(
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
    fn changed(&self) {
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
    fn report(&self) {
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

    fn changed_pair(&self, other: &Evbuffer) {
        let _held = Self::held_pair(self, other);
        other.changed();
        self.changed();
    }

    #[cold]
    fn drop_released(&self) {
        // SAFETY: the lock is held; the borrow ends at once.
        let mut released = std::mem::take(&mut unsafe { self.inner() }.queue.released);
        // The program's cleanup functions may run here; no borrow is live.
        released.clear();
        // SAFETY: as above.
        let slot = &mut unsafe { self.inner() }.queue.released;
        if slot.capacity() == 0 {
            *slot = released;
        }
    }

    #[cold]
    fn invoke_callbacks(&self) {
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

    fn run_callbacks(&self, running_deferred: bool) {
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
                // SAFETY: as above.
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
struct RunDeferred;

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
