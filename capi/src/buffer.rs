//! `event2/buffer.h` and `event2/buffer_compat.h`: evbuffers. The printf-style pair
//! (`evbuffer_add_printf`, `evbuffer_add_vprintf`) is in `c/printf.c`.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use evrs::buffer::{
    share_backing, Backing, BufferPtr, CallbackEntry, CallbackInfo, EolStyle, Evbuffer, FileSegment,
};
use evrs::thread::Lock;

use crate::bufferevent::bufferevent;
use crate::event::event_base;
use crate::ffi::{
    borrow, borrow_mut, to_boxed_mut_ptr, to_const_ptr, to_mut_ptr, to_shared_const_ptr, try_from,
    try_nonnull, write_out, Status,
};

castable! {
    /// `struct evbuffer` (opaque to C). The program's handle from `evbuffer_new` is a
    /// box; `evbuffer_free` gives it to the core, which frees the memory when nothing
    /// holds the buffer any more.
    evbuffer => Evbuffer, OwnershipBox
}
castable! {
    /// `struct evbuffer_cb_entry` (opaque to C; kept by its buffer).
    evbuffer_cb_entry => CallbackEntry, OwnershipRef
}
castable! {
    /// `struct evbuffer_file_segment` (opaque to C; counted).
    evbuffer_file_segment => FileSegment, OwnershipShared
}
/// `struct evbuffer_ptr`.
pub type evbuffer_ptr = BufferPtr;
/// `struct evbuffer_iovec` (the system's `struct iovec`).
pub type evbuffer_iovec = libc::iovec;
/// `struct evbuffer_cb_info`.
pub type evbuffer_cb_info = CallbackInfo;
/// `enum evbuffer_eol_style`.
pub type evbuffer_eol_style = c_uint;
/// `enum evbuffer_ptr_how`.
pub type evbuffer_ptr_how = c_uint;
/// `evbuffer_cb_func`.
pub type evbuffer_cb_func = Option<evrs::buffer::CallbackFn>;
/// `evbuffer_cb` (`evbuffer_setcb`'s callback).
pub type evbuffer_cb = Option<evrs::buffer::LegacyCallbackFn>;
/// `evbuffer_ref_cleanup_cb`.
pub type evbuffer_ref_cleanup_cb = Option<unsafe extern "C" fn(*const c_void, usize, *mut c_void)>;
/// `evbuffer_file_segment_cleanup_cb`.
pub type evbuffer_file_segment_cleanup_cb =
    Option<unsafe extern "C" fn(*const evbuffer_file_segment, c_int, *mut c_void)>;

const EVBUFFER_PTR_SET: c_uint = 0;
const EVBUFFER_PTR_ADD: c_uint = 1;

/// Runs a call that may run callbacks on a buffer (`missing` for NULL), through the
/// core's [`Evbuffer::enter`]. Calls that only look at the buffer use
/// [`try_ref_from_ptr!`] instead.
///
/// # Safety
/// Under the crate contract.
#[inline]
pub(crate) unsafe fn with<R>(
    buf: *const evbuffer,
    missing: R,
    f: impl FnOnce(&Evbuffer) -> R,
) -> R {
    let Some(b) = try_nonnull(buf) else {
        return missing;
    };
    // SAFETY: a live buffer (crate contract).
    unsafe { Evbuffer::enter(b, f) }
}

/// [`with`] for two buffers.
///
/// # Safety
/// Under the crate contract.
unsafe fn with_pair<R>(
    a: *mut evbuffer,
    b: *mut evbuffer,
    missing: R,
    f: impl FnOnce(&Evbuffer, &Evbuffer) -> R,
) -> R {
    match (try_nonnull(a), try_nonnull(b)) {
        // SAFETY: live buffers (crate contract).
        (Some(a), Some(b)) => unsafe { Evbuffer::enter_pair(a, b, f) },
        _ => missing,
    }
}

/// A byte slice argument; None for NULL with a nonzero length.
///
/// # Safety
/// `data` is NULL or valid for reads of `len` bytes for `'a`.
#[inline]
unsafe fn bytes<'a>(data: *const c_void, len: usize) -> Option<&'a [u8]> {
    // The common case (a pointer and a sane length) is tested first.
    if !data.is_null() && len <= isize::MAX as usize {
        // SAFETY: guaranteed by the caller.
        Some(unsafe { std::slice::from_raw_parts(data.cast(), len) })
    } else if len == 0 {
        Some(&[])
    } else {
        None
    }
}

/// A writable byte slice argument; None for NULL with a nonzero length.
///
/// # Safety
/// `data` is NULL or valid for writes of `len` bytes for `'a`.
#[inline]
unsafe fn bytes_mut<'a>(data: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    // As in `bytes`.
    if !data.is_null() && len <= isize::MAX as usize {
        // SAFETY: guaranteed by the caller.
        Some(unsafe { std::slice::from_raw_parts_mut(data.cast(), len) })
    } else if len == 0 {
        Some(&mut [])
    } else {
        None
    }
}

/// The destination of a copy: `len` bytes (at most isize::MAX), or nothing for NULL,
/// so that copying from an empty buffer into NULL returns 0 as in libevent.
///
/// # Safety
/// `data` is NULL or valid for writes of `len` bytes for `'a`.
unsafe fn out_bytes<'a>(data: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    if data.is_null() {
        return Some(&mut []);
    }
    // SAFETY: guaranteed by the caller.
    unsafe { bytes_mut(data, len.min(isize::MAX as usize)) }
}

/// An array of iovecs; None for NULL with a positive count or a negative count.
///
/// # Safety
/// `vec` is NULL or valid for `n` iovecs for `'a`.
unsafe fn iovecs<'a>(vec: *mut evbuffer_iovec, n: c_int) -> Option<&'a mut [evbuffer_iovec]> {
    let n = usize::try_from(n).ok()?;
    if n == 0 {
        Some(&mut [])
    } else if vec.is_null() {
        None
    } else {
        // SAFETY: guaranteed by the caller.
        Some(unsafe { std::slice::from_raw_parts_mut(vec, n) })
    }
}

// ----- creation and configuration ------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_new() -> *mut evbuffer {
    ffi_boundary!("evbuffer_new", {
        Evbuffer::try_new().map_or(ptr::null_mut(), to_boxed_mut_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_free(buf: *mut evbuffer) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_free", unsafe {
        if let Some(buf) = crate::ffi::to_box(buf) {
            buf.free_boxed();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_set_max_read(buf: *mut evbuffer, max: usize) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_set_max_read", unsafe {
        with(buf, -1, |b| b.set_max_read(max).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_max_read(buf: *mut evbuffer) -> usize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_get_max_read", unsafe {
        try_ref_from_ptr!(buf).max_read()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_enable_locking(buf: *mut evbuffer, lock: *mut c_void) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_enable_locking", unsafe {
        with(buf, -1, |b| {
            let lock = if lock.is_null() {
                None
            } else {
                match Lock::borrowed(lock as usize) {
                    Some(l) => Some(Arc::new(l)),
                    None => return -1,
                }
            };
            b.enable_locking(lock).status()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_lock(buf: *mut evbuffer) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_lock", unsafe { with(buf, (), Evbuffer::lock) })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unlock(buf: *mut evbuffer) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_unlock", unsafe {
        with(buf, (), Evbuffer::unlock)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_set_flags(buf: *mut evbuffer, flags: u64) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_set_flags", unsafe {
        with(buf, -1, |b| {
            b.set_flags(flags & u64::from(u32::MAX));
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_clear_flags(buf: *mut evbuffer, flags: u64) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_clear_flags", unsafe {
        with(buf, -1, |b| {
            b.clear_flags(flags & u64::from(u32::MAX));
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_freeze(buf: *mut evbuffer, at_front: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_freeze", unsafe {
        with(buf, -1, |b| {
            b.freeze(at_front != 0);
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unfreeze(buf: *mut evbuffer, at_front: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_unfreeze", unsafe {
        with(buf, -1, |b| {
            b.unfreeze(at_front != 0);
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_defer_callbacks(
    buf: *mut evbuffer,
    base: *mut event_base,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_defer_callbacks", unsafe {
        let base = try_ref_from_ptr!(base);
        with(buf, -1, |b| b.defer_callbacks(base).status())
    })
}

// ----- size ----------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_length(buf: *const evbuffer) -> usize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_get_length", unsafe {
        try_ref_from_ptr!(buf).len()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_contiguous_space(buf: *const evbuffer) -> usize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_get_contiguous_space", unsafe {
        try_ref_from_ptr!(buf).contiguous_len()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_expand(buf: *mut evbuffer, datlen: usize) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_expand", unsafe {
        with(buf, -1, |b| b.expand(datlen).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_reserve_space(
    buf: *mut evbuffer,
    size: isize,
    vec: *mut evbuffer_iovec,
    n_vec: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_reserve_space", unsafe {
        let (Ok(size), Some(vec)) = (usize::try_from(size), iovecs(vec, n_vec)) else {
            return -1;
        };
        with(buf, -1, |b| b.reserve(size, vec).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_commit_space(
    buf: *mut evbuffer,
    vec: *mut evbuffer_iovec,
    n_vecs: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_commit_space", unsafe {
        // A negative count commits nothing, as in libevent.
        let Some(vec) = iovecs(vec, n_vecs.max(0)) else {
            return -1;
        };
        with(buf, -1, |b| b.commit(vec).status())
    })
}

// ----- adding --------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add(
    buf: *mut evbuffer,
    data: *const c_void,
    datlen: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add", unsafe {
        let Some(data) = bytes(data, datlen) else {
            return -1;
        };
        with(buf, -1, |b| b.add(data).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend(
    buf: *mut evbuffer,
    data: *const c_void,
    size: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_prepend", unsafe {
        let Some(data) = bytes(data, size) else {
            return -1;
        };
        with(buf, -1, |b| b.prepend(data).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_iovec(
    buf: *mut evbuffer,
    vec: *mut evbuffer_iovec,
    n_vec: c_int,
) -> usize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_iovec", unsafe {
        let Some(vec) = iovecs(vec, n_vec) else {
            return 0;
        };
        let mut parts = Vec::with_capacity(vec.len());
        for v in vec.iter() {
            match bytes(v.iov_base, v.iov_len) {
                Some(p) => parts.push(p),
                None => break,
            }
        }
        with(buf, 0, |b| b.add_slices(&parts))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer(outbuf: *mut evbuffer, inbuf: *mut evbuffer) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_buffer", unsafe {
        with_pair(outbuf, inbuf, -1, |out, inp| out.add_buffer(inp).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend_buffer(dst: *mut evbuffer, src: *mut evbuffer) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_prepend_buffer", unsafe {
        with_pair(dst, src, -1, |d, s| d.prepend_buffer(s).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer_reference(
    outbuf: *mut evbuffer,
    inbuf: *mut evbuffer,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_buffer_reference", unsafe {
        with_pair(outbuf, inbuf, -1, |out, inp| {
            out.add_buffer_reference(inp).status()
        })
    })
}

/// Program memory lent with `evbuffer_add_reference`; dropping it calls the cleanup.
struct LentMemory {
    data: *const u8,
    len: usize,
    cleanup: evbuffer_ref_cleanup_cb,
    extra: *mut c_void,
}

// SAFETY: the program promises the memory stays valid and unchanged until the cleanup
// call, whichever thread makes it (as with libevent).
unsafe impl Send for LentMemory {}
// SAFETY: only read.
unsafe impl Sync for LentMemory {}

impl Backing for LentMemory {
    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: valid for `len` bytes until the cleanup call (checked non-NULL).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for LentMemory {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup {
            // SAFETY: the program's cleanup function, called once.
            unsafe { f(self.data.cast(), self.len, self.extra) };
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_reference(
    outbuf: *mut evbuffer,
    data: *const c_void,
    datlen: usize,
    cleanupfn: evbuffer_ref_cleanup_cb,
    cleanupfn_arg: *mut c_void,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_reference", unsafe {
        if bytes(data, datlen).is_none() {
            return -1;
        }
        with(outbuf, -1, |b| {
            b.add_shared(0, datlen, || {
                let lent = LentMemory {
                    data: data.cast(),
                    len: datlen,
                    cleanup: cleanupfn,
                    extra: cleanupfn_arg,
                };
                share_backing(lent)
                    .map_err(|mut refused| {
                        // A failed call does not run the cleanup, as in libevent.
                        refused.cleanup = None;
                    })
                    .ok()
            })
            .status()
        })
    })
}

// ----- files ---------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_new(
    fd: c_int,
    offset: i64,
    length: i64,
    flags: c_uint,
) -> *mut evbuffer_file_segment {
    ffi_boundary!("evbuffer_file_segment_new", {
        FileSegment::new(fd, offset, length, flags).map_or(ptr::null_mut(), |seg| {
            to_shared_const_ptr::<evbuffer_file_segment>(seg).cast_mut()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_free(seg: *mut evbuffer_file_segment) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_file_segment_free", unsafe {
        crate::ffi::free_shared(seg)
    })
}

/// A C argument carried into a cleanup closure.
struct CArg(*mut c_void);
// SAFETY: the program chose to receive this pointer in whichever thread frees the
// segment, as in libevent.
unsafe impl Send for CArg {}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_add_cleanup_cb(
    seg: *mut evbuffer_file_segment,
    cb: evbuffer_file_segment_cleanup_cb,
    arg: *mut c_void,
) {
    ffi_boundary!("evbuffer_file_segment_add_cleanup_cb", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(seg) = (unsafe { try_from(seg) }) else {
            return;
        };
        let arg = CArg(arg);
        seg.set_cleanup(cb.map(|f| -> evrs::buffer::SegmentCleanup {
            Box::new(move |s: &FileSegment, flags: u32| {
                let arg = arg;
                // SAFETY: the program's cleanup function, called once.
                unsafe { f(to_const_ptr(s), flags as c_int, arg.0) }
            })
        }));
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file_segment(
    buf: *mut evbuffer,
    seg: *mut evbuffer_file_segment,
    offset: i64,
    length: i64,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_file_segment", unsafe {
        // The program's reference, which the core releases if the segment is refused
        // (a NULL buffer refuses it too).
        let Some(seg) = crate::ffi::take_shared(seg) else {
            return -1;
        };
        with(buf, -1, move |b| {
            match b.add_file_segment(seg, offset, length) {
                Ok(seg) => {
                    // Accepted: the reference goes back to the program's handle.
                    let _handle = to_shared_const_ptr::<evbuffer_file_segment>(seg);
                    0
                }
                Err(_) => -1,
            }
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file(
    buf: *mut evbuffer,
    fd: c_int,
    offset: i64,
    length: i64,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_file", unsafe {
        with(buf, -1, |b| b.add_file(fd, offset, length).status())
    })
}

// ----- removing ------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_drain(buf: *mut evbuffer, len: usize) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_drain", unsafe {
        with(buf, -1, |b| b.drain(len).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove(
    buf: *mut evbuffer,
    data: *mut c_void,
    datlen: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_remove", unsafe {
        // The program's buffer holds `datlen` bytes; no slice may exceed isize::MAX.
        let Some(out) = out_bytes(data, datlen) else {
            return -1;
        };
        with(buf, -1, |b| b.remove(out).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout(
    buf: *mut evbuffer,
    data_out: *mut c_void,
    datlen: usize,
) -> isize {
    // SAFETY: the same contract.
    unsafe { evbuffer_copyout_from(buf, ptr::null(), data_out, datlen) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout_from(
    buf: *mut evbuffer,
    pos: *const evbuffer_ptr,
    data_out: *mut c_void,
    datlen: usize,
) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_copyout_from", unsafe {
        let b = try_ref_from_ptr!(buf);
        let pos = borrow(pos);
        if let Some(p) = pos {
            if p.pos >= 0 && datlen > (isize::MAX - p.pos) as usize {
                return -1;
            }
        }
        let Some(out) = out_bytes(data_out, datlen) else {
            return -1;
        };
        b.copy_out(pos, out).map_or(-1, |n| n as isize)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_buffer(
    src: *mut evbuffer,
    dst: *mut evbuffer,
    datlen: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_remove_buffer", unsafe {
        with_pair(src, dst, -1, |s, d| s.remove_buffer(d, datlen).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_pullup(buf: *mut evbuffer, size: isize) -> *mut u8 {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_pullup", unsafe {
        with(buf, ptr::null_mut(), |b| {
            b.pullup(usize::try_from(size).ok())
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    })
}

/// `readln` with a line allocated for the program (freed with `free()`, or the
/// program's own free function after `event_set_mem_functions`).
///
/// # Safety
/// As for [`with`]; `n_read_out` is NULL or writable.
unsafe fn readln(
    buf: *mut evbuffer,
    n_read_out: *mut usize,
    style: Option<EolStyle>,
) -> *mut c_char {
    let mut line: *mut u8 = ptr::null_mut();
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    let n = unsafe {
        with(buf, None, |b| {
            b.readln(style?, |size| {
                line = crate::mem::malloc(size).cast();
                // SAFETY: a fresh allocation of `size` bytes.
                (!line.is_null()).then(|| std::slice::from_raw_parts_mut(line, size))
            })
        })
    };
    // SAFETY: NULL or writable (contract).
    unsafe { write_out(n_read_out, n.unwrap_or(0)) };
    match n {
        Some(_) => line.cast(),
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_readln(
    buffer: *mut evbuffer,
    n_read_out: *mut usize,
    eol_style: evbuffer_eol_style,
) -> *mut c_char {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_readln", unsafe {
        readln(buffer, n_read_out, EolStyle::from_raw(eol_style))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_readline(buffer: *mut evbuffer) -> *mut c_char {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_readline", unsafe {
        readln(buffer, ptr::null_mut(), Some(EolStyle::Any))
    })
}

// ----- descriptors ---------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_read(buffer: *mut evbuffer, fd: c_int, howmuch: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_read", unsafe {
        with(buffer, -1, |b| {
            b.read_from(fd, usize::try_from(howmuch).ok()).status()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write_atmost(
    buffer: *mut evbuffer,
    fd: c_int,
    howmuch: isize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_write_atmost", unsafe {
        with(buffer, -1, |b| {
            // Nothing to write is a failure too.
            b.write_to(fd, usize::try_from(howmuch).ok())
                .map_or(-1, Status::status)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write(buffer: *mut evbuffer, fd: c_int) -> c_int {
    // SAFETY: the same contract.
    unsafe { evbuffer_write_atmost(buffer, fd, -1) }
}

// ----- positions and searching ---------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_ptr_set(
    buffer: *mut evbuffer,
    ptr: *mut evbuffer_ptr,
    position: usize,
    how: evbuffer_ptr_how,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_ptr_set", unsafe {
        let Some(p) = borrow_mut(ptr) else { return -1 };
        // Set and add are 0 and 1: one comparison rejects anything else.
        const _: () = assert!(EVBUFFER_PTR_SET == 0 && EVBUFFER_PTR_ADD == 1);
        if how > EVBUFFER_PTR_ADD {
            return -1;
        }
        let add = how == EVBUFFER_PTR_ADD;
        try_ref_from_ptr!(buffer).ptr_set(p, position, add).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search(
    buffer: *mut evbuffer,
    what: *const c_char,
    len: usize,
    start: *const evbuffer_ptr,
) -> evbuffer_ptr {
    // SAFETY: the same contract.
    unsafe { evbuffer_search_range(buffer, what, len, start, ptr::null()) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_range(
    buffer: *mut evbuffer,
    what: *const c_char,
    len: usize,
    start: *const evbuffer_ptr,
    end: *const evbuffer_ptr,
) -> evbuffer_ptr {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_search_range", unsafe {
        let needle = if len > isize::MAX as usize {
            Some(&[][..])
        } else {
            bytes(what.cast(), len)
        };
        let Some(needle) = needle else {
            return BufferPtr::NOT_FOUND;
        };
        try_ref_from_ptr!(buffer).search(needle, borrow(start), borrow(end))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_eol(
    buffer: *mut evbuffer,
    start: *mut evbuffer_ptr,
    eol_len_out: *mut usize,
    eol_style: evbuffer_eol_style,
) -> evbuffer_ptr {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_search_eol", unsafe {
        let (found, eol_len) = match EolStyle::from_raw(eol_style) {
            Some(style) => match try_from(buffer) {
                Some(b) => b.search_eol(borrow(start), style),
                None => (BufferPtr::NOT_FOUND, 0),
            },
            None => (BufferPtr::NOT_FOUND, 0),
        };
        write_out(eol_len_out, eol_len);
        found
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_peek(
    buffer: *mut evbuffer,
    len: isize,
    start_at: *mut evbuffer_ptr,
    vec_out: *mut evbuffer_iovec,
    n_vec: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_peek", unsafe {
        let out = iovecs(vec_out, n_vec.max(0)).unwrap_or(&mut []);
        try_ref_from_ptr!(buffer).peek(usize::try_from(len).ok(), borrow(start_at), out) as c_int
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_find(
    buffer: *mut evbuffer,
    what: *const u8,
    len: usize,
) -> *mut u8 {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_find", unsafe {
        let Some(needle) = bytes(what.cast(), len) else {
            return ptr::null_mut();
        };
        with(buffer, ptr::null_mut(), |b| {
            b.find_contiguous(needle)
                .map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    })
}

// ----- callbacks -----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_cb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb_func,
    cbarg: *mut c_void,
) -> *mut evbuffer_cb_entry {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_add_cb", unsafe {
        with(buffer, ptr::null_mut(), |b| {
            b.add_callback(cb, cbarg)
                .map_or(ptr::null_mut(), |e| to_mut_ptr(e.as_ptr()))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb_entry(
    buffer: *mut evbuffer,
    ent: *mut evbuffer_cb_entry,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_remove_cb_entry", unsafe {
        let Some(ent) = try_nonnull(ent) else {
            return -1;
        };
        with(buffer, -1, |b| b.remove_callback_entry(ent).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb_func,
    cbarg: *mut c_void,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_remove_cb", unsafe {
        with(buffer, -1, |b| b.remove_callback(cb, cbarg).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_set_flags(
    buffer: *mut evbuffer,
    cb: *mut evbuffer_cb_entry,
    flags: u32,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_cb_set_flags", unsafe {
        let Some(cb) = try_nonnull(cb) else {
            return -1;
        };
        with(buffer, -1, |b| {
            b.update_callback_flags(cb, flags, 0).status()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_clear_flags(
    buffer: *mut evbuffer,
    cb: *mut evbuffer_cb_entry,
    flags: u32,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_cb_clear_flags", unsafe {
        let Some(cb) = try_nonnull(cb) else {
            return -1;
        };
        with(buffer, -1, |b| {
            b.update_callback_flags(cb, 0, flags).status()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_setcb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb,
    cbarg: *mut c_void,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evbuffer_setcb", unsafe {
        with(buffer, -1, |b| b.set_legacy_callback(cb, cbarg).status())
    })
}

// ----- a bufferevent's buffers (listed under buffer.h) ----------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_input(bufev: *mut bufferevent) -> *mut evbuffer {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_input", unsafe {
        to_mut_ptr(try_ref_from_ptr!(bufev).input())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_output(bufev: *mut bufferevent) -> *mut evbuffer {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_output", unsafe {
        to_mut_ptr(try_ref_from_ptr!(bufev).output())
    })
}
