//! The siblings' Rust global allocator: every block comes from libevent_core's
//! `event_mm_malloc_` family, that is, from the functions the program installed with
//! `event_set_mem_functions` (libc's until then).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr::{self, NonNull};

use crate::sys;

/// What `malloc` guarantees for alignment on this platform.
const MALLOC_ALIGN: usize = if cfg!(target_pointer_width = "64") {
    16
} else {
    8
};

/// Declare it with `#[global_allocator] static A: CoreAllocator = CoreAllocator;` in
/// the staticlib crate of each sibling library.
pub struct CoreAllocator;

impl CoreAllocator {
    /// Over-aligned requests get a larger block; the address the core returned is kept
    /// just before the aligned one.
    fn alloc_over_aligned(layout: Layout) -> *mut u8 {
        let Some(total) = layout
            .size()
            .checked_add(layout.align() + size_of::<usize>())
        else {
            return ptr::null_mut();
        };
        // SAFETY: any size may be asked for; NULL means out of memory.
        let raw = unsafe { sys::event_mm_malloc_(total) }.cast::<u8>();
        if raw.is_null() {
            return raw;
        }
        let start = raw as usize + size_of::<usize>();
        let aligned = (start + layout.align() - 1) & !(layout.align() - 1);
        // SAFETY: `aligned - size_of::<usize>() >= raw` and the slot is inside the block;
        // `aligned` is a multiple of the requested alignment >= align_of::<usize>().
        unsafe {
            let user = raw.add(aligned - raw as usize);
            user.cast::<*mut u8>().sub(1).write(raw);
            user
        }
    }

    /// # Safety
    /// `block` came from `alloc_over_aligned`.
    unsafe fn free_over_aligned(block: *mut u8) {
        // SAFETY: `alloc_over_aligned` stored the core's address just before `block`.
        unsafe { sys::event_mm_free_(block.cast::<*mut u8>().sub(1).read().cast()) }
    }
}

// SAFETY: blocks come from the core's malloc/realloc/free, which return memory aligned
// for MALLOC_ALIGN; larger alignments are handled by over-allocation.
unsafe impl GlobalAlloc for CoreAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: Rust never asks for 0 bytes here, for which the core answers NULL.
            unsafe { sys::event_mm_malloc_(layout.size()) }.cast()
        } else {
            Self::alloc_over_aligned(layout)
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `block` came from `alloc`/`realloc` with this layout.
            unsafe { sys::event_mm_free_(block.cast()) }
        } else {
            // SAFETY: as above, through the over-aligned path.
            unsafe { Self::free_over_aligned(block) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `block` came from this allocator with `layout`; `new_size` > 0.
            return unsafe { sys::event_mm_realloc_(block.cast(), new_size).cast() };
        }
        // SAFETY: `new_size` with the same (valid) alignment is a valid layout request.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let moved = Self::alloc_over_aligned(new_layout);
        if !moved.is_null() {
            // SAFETY: both blocks are live and at least min(old, new) bytes long.
            unsafe {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                Self::free_over_aligned(block);
            }
        }
        moved
    }
}

/// `Box::new` that answers `None` when memory runs out, where `Box::new` would end the
/// process: what C asks for must fail with NULL instead (libevent's answer). The block
/// comes from the global allocator with `T`'s layout, so `Box::from_raw` frees it.
pub fn try_box<T>(value: T) -> Option<NonNull<T>> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        return Some(NonNull::from(Box::leak(Box::new(value))));
    }
    // SAFETY: the layout has a non-zero size.
    let block = NonNull::new(unsafe { std::alloc::alloc(layout) }.cast::<T>())?;
    // SAFETY: the block is fresh, sized and aligned for a `T`.
    unsafe { block.as_ptr().write(value) };
    Some(block)
}

/// A flag shared by an object and the stack frames working on it, cleared when the
/// object is freed, so that a frame that ran program code can tell whether the object
/// is still there: `Rc<Cell<bool>>`, except that creating one can fail (no
/// `Rc::try_new` on stable Rust). Cloning and dropping never allocate.
pub struct LiveFlag(NonNull<LiveFlagState>);

struct LiveFlagState {
    holders: Cell<usize>,
    alive: Cell<bool>,
}

impl LiveFlag {
    /// A new flag, set; `None` when memory runs out.
    pub fn try_new() -> Option<LiveFlag> {
        try_box(LiveFlagState {
            holders: Cell::new(1),
            alive: Cell::new(true),
        })
        .map(LiveFlag)
    }

    fn state(&self) -> &LiveFlagState {
        // SAFETY: the state lives until the last holder drops it, and this is one.
        unsafe { self.0.as_ref() }
    }

    pub fn get(&self) -> bool {
        self.state().alive.get()
    }

    pub fn set(&self, alive: bool) {
        self.state().alive.set(alive);
    }
}

impl Clone for LiveFlag {
    fn clone(&self) -> LiveFlag {
        let holders = &self.state().holders;
        holders.set(holders.get() + 1);
        LiveFlag(self.0)
    }
}

impl Drop for LiveFlag {
    fn drop(&mut self) {
        let holders = self.state().holders.get() - 1;
        self.state().holders.set(holders);
        if holders == 0 {
            // SAFETY: the last holder frees the state, which `try_box` allocated.
            drop(unsafe { Box::from_raw(self.0.as_ptr()) });
        }
    }
}
