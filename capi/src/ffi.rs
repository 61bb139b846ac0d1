//! Typed views of C pointer arguments. Each helper states its one assumption; entry
//! points call them under the crate-wide contract (a non-NULL pointer is valid for the
//! documented use).

use std::ffi::{c_char, CStr};

/// A shared view of `*p`, or None for NULL.
///
/// # Safety
/// `p` is NULL or valid for reads of a `T` for `'a`.
#[inline]
pub unsafe fn borrow<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_ref() }
}

/// An exclusive view of `*p`, or None for NULL.
///
/// # Safety
/// `p` is NULL or valid for reads and writes of a `T` for `'a`, with no other access.
#[inline]
pub unsafe fn borrow_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }
}

/// A C string argument, or None for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
#[inline]
pub unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    // SAFETY: guaranteed by the caller.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
}

/// Stores `value` through an optional out-pointer; returns whether it was stored.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T`.
#[inline]
pub unsafe fn write_out<T>(p: *mut T, value: T) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: guaranteed by the caller.
    unsafe { p.write(value) };
    true
}
