//! evutil: the portable helpers of `event2/util.h`.
//!
//! Each submodule answers one family of questions in Rust terms (byte slices,
//! `std::net` addresses, `Duration`, `io::Result`), so that the C layer only converts:
//!
//! - [`text`]: locale-independent case-insensitive comparison, C integer parsing;
//! - [`addr`]: IPv4/IPv6 text forms, `host:port` parsing, socket address ordering;
//! - [`socket`]: socket options and descriptor flags;
//! - [`resolve`]: blocking name resolution (`getaddrinfo`);
//! - [`rng`]: the secure random number generator;
//! - [`time`]: monotonic clocks and RFC 1123 dates;
//! - [`shared`]: `Arc`-like sharing whose creation can fail, for objects C makes.

pub mod addr;
pub use evrs_backends::errno;
pub mod owned;
pub mod resolve;
pub mod rng;
pub mod shared;
pub mod socket;
pub mod text;
pub mod time;

use std::ffi::CStr;

/// The C library's description of an `errno` value, as libevent's `event_warn` prints it
/// (no " (os error N)" suffix, unlike `io::Error`'s display).
pub fn os_error_text(code: i32) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length; the XSI strerror_r that libc binds
    // NUL-terminates what it writes within that length.
    let status = unsafe { libc::strerror_r(code, buf.as_mut_ptr().cast(), buf.len()) };
    match CStr::from_bytes_until_nul(&buf) {
        Ok(text) if status == 0 => text.to_string_lossy().into_owned(),
        _ => format!("Unknown error {code}"),
    }
}

/// `Box::new` that reports a failed allocation instead of ending the process, for
/// objects whose C constructor answers NULL when memory runs out.
pub fn try_box<T>(value: T) -> Option<Box<T>> {
    try_box_or_return(value).ok()
}

/// [`try_box`] that hands `value` back when memory runs out, for callers that must
/// undo or disarm it (it may own a descriptor or call the program when dropped).
pub fn try_box_or_return<T>(value: T) -> Result<Box<T>, T> {
    let layout = std::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(Box::new(value));
    }
    // SAFETY: the layout is not zero-sized.
    let p = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if p.is_null() {
        return Err(value);
    }
    // SAFETY: a fresh allocation with `T`'s layout, owned by the box from here on, as
    // `Box::new` would have made it.
    unsafe {
        p.write(value);
        Ok(Box::from_raw(p))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn os_error_text_has_no_rust_suffix() {
        assert_eq!(super::os_error_text(libc::EBADF), "Bad file descriptor");
    }
}
