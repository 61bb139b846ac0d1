//! The C entry points of event2/http.h and http_compat.h: argument checks, conversion,
//! one call into `crate::evhttp`.

pub mod connection;
pub mod headers;
pub mod request;
pub mod server;
pub mod uri;

use std::ffi::{c_char, CStr};

/// The bytes of a C string argument; None for NULL.
///
/// # Safety
/// `text` is NULL or NUL-terminated and outlives the returned slice.
pub(crate) unsafe fn arg_bytes<'a>(text: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: the caller's contract.
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_bytes())
}

/// A `struct timeval *` argument; None for NULL.
///
/// # Safety
/// `tv` is NULL or points to a readable timeval.
pub(crate) unsafe fn arg_tv(tv: *const libc::timeval) -> Option<libc::timeval> {
    // SAFETY: the caller's contract.
    (!tv.is_null()).then(|| unsafe { *tv })
}
