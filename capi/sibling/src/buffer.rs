//! [`Evbuffer`]: a handle to a libevent_core `struct evbuffer` with the operations
//! the sibling libraries use.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

use crate::sys;

/// A borrowed handle to a live evbuffer (the owner frees it). Copying the handle does
/// not copy the buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Evbuffer(NonNull<sys::evbuffer>);

/// The first line of a buffer: its length without the end of line, and the end of
/// line's length.
#[derive(Clone, Copy, Debug)]
pub struct LineSpan {
    pub len: usize,
    pub eol_len: usize,
}

impl Evbuffer {
    /// # Safety
    /// `buf` is a live evbuffer and stays so while the handle is used.
    pub unsafe fn from_raw(buf: NonNull<sys::evbuffer>) -> Self {
        Evbuffer(buf)
    }

    /// # Safety
    /// As for [`Evbuffer::from_raw`]; NULL gives None.
    pub unsafe fn from_ptr(buf: *mut sys::evbuffer) -> Option<Self> {
        NonNull::new(buf).map(Evbuffer)
    }

    pub fn as_ptr(self) -> *mut sys::evbuffer {
        self.0.as_ptr()
    }

    pub fn len(self) -> usize {
        // SAFETY: the handle's contract keeps the buffer live.
        unsafe { sys::evbuffer_get_length(self.0.as_ptr()) }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Appends bytes; false when the buffer refused them (frozen, out of memory).
    pub fn append(self, data: &[u8]) -> bool {
        // SAFETY: `data` is readable for its length; the buffer is live.
        unsafe {
            sys::evbuffer_add(self.0.as_ptr(), data.as_ptr().cast::<c_void>(), data.len()) == 0
        }
    }

    /// Moves all of `other` to the end of `self`.
    pub fn append_buffer(self, other: Evbuffer) -> bool {
        // SAFETY: both buffers are live.
        unsafe { sys::evbuffer_add_buffer(self.0.as_ptr(), other.0.as_ptr()) == 0 }
    }

    /// Moves the first `len` bytes of `self` to the end of `dst`.
    pub fn move_prefix_to(self, dst: Evbuffer, len: usize) -> bool {
        // SAFETY: both buffers are live.
        unsafe { sys::evbuffer_remove_buffer(self.0.as_ptr(), dst.0.as_ptr(), len) >= 0 }
    }

    /// Copies the first `out.len()` bytes (or all there are) into `out`, leaving the
    /// buffer as it is; returns how many were copied.
    pub fn copy_out(self, out: &mut [u8]) -> usize {
        // SAFETY: the buffer is live; `out` is writable for its length.
        let n =
            unsafe { sys::evbuffer_copyout(self.0.as_ptr(), out.as_mut_ptr().cast(), out.len()) };
        n.max(0) as usize
    }

    /// Appends `len` bytes that `fill` writes in place (into contiguous space reserved
    /// at the end); `fill` returns how many it wrote, at most `len`. False when the
    /// space could not be reserved (frozen, out of memory): nothing is added.
    pub fn append_with(self, len: usize, fill: impl FnOnce(&mut [u8]) -> usize) -> bool {
        let Ok(size) = isize::try_from(len) else {
            return false;
        };
        let mut region = sys::evbuffer_iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        // SAFETY: the buffer is live; one region is asked for, so it is contiguous.
        if unsafe { sys::evbuffer_reserve_space(self.0.as_ptr(), size, &mut region, 1) } != 1
            || region.iov_len < len
        {
            return false;
        }
        // SAFETY: the reserved region is writable for at least `len` bytes until it is
        // committed, and nothing else touches the buffer meanwhile (`fill` must not).
        let space = unsafe { std::slice::from_raw_parts_mut(region.iov_base.cast::<u8>(), len) };
        region.iov_len = fill(space).min(len);
        // SAFETY: the region just reserved, with the length written into it.
        unsafe { sys::evbuffer_commit_space(self.0.as_ptr(), &mut region, 1) == 0 }
    }

    pub fn drain(self, len: usize) {
        // SAFETY: the buffer is live; draining more than it holds empties it.
        unsafe { sys::evbuffer_drain(self.0.as_ptr(), len) };
    }

    pub fn clear(self) {
        self.drain(self.len());
    }

    /// Frees the free space the buffer keeps for later appends; with `keep_spare`,
    /// all but one small block.
    pub fn shrink(self, keep_spare: bool) {
        // SAFETY: the buffer is live.
        unsafe { sys::evrs_sibling_evbuffer_shrink(self.0.as_ptr(), c_int::from(keep_spare)) };
    }

    /// Where the first line ends (`EVBUFFER_EOL_CRLF`), or None without one.
    pub fn find_line(self) -> Option<LineSpan> {
        let mut eol_len = 0usize;
        // SAFETY: the buffer is live; a NULL start searches from the beginning.
        let found = unsafe {
            sys::evbuffer_search_eol(
                self.0.as_ptr(),
                std::ptr::null_mut(),
                &mut eol_len,
                sys::EVBUFFER_EOL_CRLF,
            )
        };
        (found.pos >= 0).then_some(LineSpan {
            len: found.pos as usize,
            eol_len,
        })
    }

    /// Makes the first `len` bytes contiguous and runs `f` over them. `f` must not
    /// touch the buffer.
    pub fn with_prefix<R>(self, len: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if len == 0 {
            return Some(f(&[]));
        }
        // SAFETY: the buffer is live and holds at least `len` bytes (callers ask for
        // what `find_line` or `len` reported).
        let data = unsafe { sys::evbuffer_pullup(self.0.as_ptr(), len as isize) };
        if data.is_null() {
            return None;
        }
        // SAFETY: pullup made `len` bytes contiguous at `data`; they stay so until the
        // buffer changes, which `f` does not do.
        Some(f(unsafe { std::slice::from_raw_parts(data, len) }))
    }

    pub fn freeze_front(self, frozen: bool) {
        // SAFETY: the buffer is live.
        unsafe {
            if frozen {
                sys::evbuffer_freeze(self.0.as_ptr(), 1);
            } else {
                sys::evbuffer_unfreeze(self.0.as_ptr(), 1);
            }
        }
    }
}
