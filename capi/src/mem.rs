//! Memory: every allocation the library makes goes through the functions a program
//! installs with `event_set_mem_functions` (libc's `malloc`, `realloc` and `free` until
//! then), as in libevent. The Rust global allocator of this library is routed here too,
//! so boxes and vectors of the core obey the program's choice as well.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

pub type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
pub type ReallocFn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
pub type FreeFn = unsafe extern "C" fn(*mut c_void);

// The installed functions as addresses; 0 means libc's own.
static MALLOC: AtomicUsize = AtomicUsize::new(0);
static REALLOC: AtomicUsize = AtomicUsize::new(0);
static FREE: AtomicUsize = AtomicUsize::new(0);

/// Installs the program's allocation functions; `None` for all three restores libc's.
/// Like libevent, this must happen before the library allocates anything.
pub fn set_functions(malloc: Option<MallocFn>, realloc: Option<ReallocFn>, free: Option<FreeFn>) {
    MALLOC.store(malloc.map_or(0, |f| f as usize), Ordering::Release);
    REALLOC.store(realloc.map_or(0, |f| f as usize), Ordering::Release);
    FREE.store(free.map_or(0, |f| f as usize), Ordering::Release);
}

/// Allocates `size` bytes for C to use or free; NULL when out of memory.
pub fn malloc(size: usize) -> *mut c_void {
    match MALLOC.load(Ordering::Acquire) {
        // SAFETY: libc's malloc accepts any size.
        0 => unsafe { libc::malloc(size) },
        // SAFETY: the address was stored from a `MallocFn` by `set_functions`.
        f => unsafe { std::mem::transmute::<usize, MallocFn>(f)(size) },
    }
}

/// Resizes a block from [`malloc`]; NULL (and the old block intact) when out of memory.
///
/// # Safety
/// `block` is NULL or came from [`malloc`]/[`realloc`] and was not freed.
pub unsafe fn realloc(block: *mut c_void, size: usize) -> *mut c_void {
    match REALLOC.load(Ordering::Acquire) {
        // SAFETY: the caller guarantees `block` is a live libc block or NULL.
        0 => unsafe { libc::realloc(block, size) },
        // SAFETY: as above, for the installed functions.
        f => unsafe { std::mem::transmute::<usize, ReallocFn>(f)(block, size) },
    }
}

/// Frees a block from [`malloc`]/[`realloc`]; NULL is ignored.
///
/// # Safety
/// `block` is NULL or a live block from this module.
pub unsafe fn free(block: *mut c_void) {
    if block.is_null() {
        return;
    }
    match FREE.load(Ordering::Acquire) {
        // SAFETY: the caller guarantees `block` is a live libc block.
        0 => unsafe { libc::free(block) },
        // SAFETY: as above, for the installed functions.
        f => unsafe { std::mem::transmute::<usize, FreeFn>(f)(block) },
    }
}

/// A NUL-terminated copy of `bytes` that C frees with `free` (through the installed
/// functions); NULL when out of memory.
pub fn strdup(bytes: &[u8]) -> *mut std::ffi::c_char {
    let Some(size) = bytes.len().checked_add(1) else {
        return ptr::null_mut();
    };
    let block = malloc(size).cast::<u8>();
    if !block.is_null() {
        // SAFETY: `block` has room for `size` bytes and does not overlap `bytes`.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), block, bytes.len());
            *block.add(bytes.len()) = 0;
        }
    }
    block.cast()
}

/// What `malloc` guarantees for alignment on this platform.
const MALLOC_ALIGN: usize = if cfg!(target_pointer_width = "64") {
    16
} else {
    8
};

/// The Rust global allocator of the library, on top of the installed functions.
pub struct InstalledAllocator;

impl InstalledAllocator {
    /// Over-aligned requests get a larger block; the address `malloc` returned is kept
    /// just before the aligned one.
    fn alloc_over_aligned(layout: Layout) -> *mut u8 {
        let Some(total) = layout
            .size()
            .checked_add(layout.align() + size_of::<usize>())
        else {
            return ptr::null_mut();
        };
        let raw = malloc(total).cast::<u8>();
        if raw.is_null() {
            return raw;
        }
        let start = raw as usize + size_of::<usize>();
        let aligned = (start + layout.align() - 1) & !(layout.align() - 1);
        let offset = aligned - raw as usize;
        // SAFETY: `aligned - size_of::<usize>() >= raw` and the slot is inside the block;
        // `aligned` is a multiple of the requested alignment >= align_of::<usize>().
        unsafe {
            let user = raw.add(offset);
            user.cast::<*mut u8>().sub(1).write(raw);
            user
        }
    }

    /// # Safety
    /// `block` came from `alloc_over_aligned`.
    unsafe fn free_over_aligned(block: *mut u8) {
        // SAFETY: `alloc_over_aligned` stored the original address just before `block`.
        unsafe { free(block.cast::<*mut u8>().sub(1).read().cast()) }
    }
}

// SAFETY: blocks come from the installed malloc/realloc/free, which return memory
// suitably aligned for MALLOC_ALIGN; larger alignments are handled by over-allocation.
unsafe impl GlobalAlloc for InstalledAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            malloc(layout.size()).cast()
        } else {
            Self::alloc_over_aligned(layout)
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `block` came from `alloc`/`realloc` with this layout.
            unsafe { free(block.cast()) }
        } else {
            // SAFETY: as above, through the over-aligned path.
            unsafe { Self::free_over_aligned(block) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `block` came from this allocator with `layout`.
            return unsafe { realloc(block.cast(), new_size).cast() };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_aligned_blocks_are_aligned_and_survive_realloc() {
        let alloc = InstalledAllocator;
        let layout = Layout::from_size_align(100, 256).unwrap();
        // SAFETY: non-zero size; the block is written within bounds and freed once.
        unsafe {
            let block = alloc.alloc(layout);
            assert_eq!(block as usize % 256, 0);
            block.write_bytes(7, 100);
            let grown = alloc.realloc(block, layout, 5000);
            assert_eq!(grown as usize % 256, 0);
            assert_eq!(*grown.add(99), 7);
            alloc.dealloc(grown, Layout::from_size_align(5000, 256).unwrap());
        }
    }

    #[test]
    fn strdup_terminates() {
        let copy = strdup(b"abc");
        // SAFETY: `copy` is a live NUL-terminated block from `strdup`.
        unsafe {
            assert_eq!(std::ffi::CStr::from_ptr(copy).to_bytes(), b"abc");
            free(copy.cast());
        }
    }
}
