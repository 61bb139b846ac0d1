//! The calling thread's `errno`, read and written the same way on every system.
//!
//! C programs read `errno` after a failed call into the library, and a signal handler
//! must leave it as it found it; Rust's standard library only reads it. Each C library
//! names the function returning the thread's `errno` differently, so this module binds
//! the right one. Both functions are async-signal-safe.
//!
//! On Windows `errno` is the C runtime's (`_errno()`, which msvcrt and the UCRT both
//! export); socket calls report through `WSAGetLastError` instead, which is what
//! libevent's `EVUTIL_SOCKET_ERROR()` reads there: [`socket_error`] and
//! [`set_socket_error`].

use std::ffi::c_int;

/// The calling thread's `errno`.
#[inline]
pub fn get() -> i32 {
    match location() {
        // SAFETY: a non-null location is the calling thread's errno, valid for the
        // thread's life.
        Some(errno) => unsafe { *errno },
        None => std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    }
}

/// Sets the calling thread's `errno` to `code`.
///
/// On a system whose C library gives no way to reach `errno` this does nothing; every
/// system evrs builds for has one.
#[inline]
pub fn set(code: i32) {
    if let Some(errno) = location() {
        // SAFETY: as in `get`; the location is writable.
        unsafe { *errno = code };
    }
}

#[cfg(any(
    target_os = "linux",
    target_os = "emscripten",
    target_os = "fuchsia",
    target_os = "hurd",
    target_os = "redox",
    target_os = "dragonfly"
))]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::__errno_location() })
}

#[cfg(any(
    target_os = "android",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "cygwin"
))]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::__errno() })
}

#[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::__error() })
}

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::___errno() })
}

#[cfg(target_os = "haiku")]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::_errnop() })
}

#[cfg(target_os = "aix")]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::_Errno() })
}

#[cfg(target_os = "nto")]
fn location() -> Option<*mut c_int> {
    // SAFETY: takes no arguments and returns the calling thread's errno.
    Some(unsafe { libc::__get_errno_ptr() })
}

#[cfg(windows)]
fn location() -> Option<*mut c_int> {
    extern "C" {
        fn _errno() -> *mut c_int;
    }
    // SAFETY: takes no arguments and returns the calling thread's CRT errno.
    Some(unsafe { _errno() })
}

/// The calling thread's last socket error (`WSAGetLastError`, libevent's
/// `EVUTIL_SOCKET_ERROR()` on Windows).
#[cfg(windows)]
#[inline]
pub fn socket_error() -> i32 {
    // SAFETY: takes no arguments; reads the calling thread's Winsock error.
    unsafe { windows_sys::Win32::Networking::WinSock::WSAGetLastError() }
}

/// Sets the calling thread's last socket error (`WSASetLastError`, libevent's
/// `EVUTIL_SET_SOCKET_ERROR` on Windows).
#[cfg(windows)]
#[inline]
pub fn set_socket_error(code: i32) {
    // SAFETY: takes an integer; writes the calling thread's Winsock error.
    unsafe { windows_sys::Win32::Networking::WinSock::WSASetLastError(code) }
}

#[cfg(not(any(
    windows,
    target_os = "linux",
    target_os = "emscripten",
    target_os = "fuchsia",
    target_os = "hurd",
    target_os = "redox",
    target_os = "dragonfly",
    target_os = "android",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "cygwin",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "solaris",
    target_os = "illumos",
    target_os = "haiku",
    target_os = "aix",
    target_os = "nto"
)))]
fn location() -> Option<*mut c_int> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn set_then_get() {
        for code in [libc::EINVAL, libc::EAGAIN, 0, libc::ERANGE] {
            set(code);
            assert_eq!(get(), code);
        }
    }

    #[test]
    fn agrees_with_the_standard_library() {
        set(libc::ENOENT);
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ENOENT)
        );
        // SAFETY: closing a descriptor that is never open fails with EBADF.
        assert_eq!(unsafe { libc::close(-1) }, -1);
        assert_eq!(get(), libc::EBADF);
    }

    #[test]
    fn each_thread_has_its_own() {
        set(libc::EPERM);
        std::thread::spawn(|| {
            set(libc::EIO);
            assert_eq!(get(), libc::EIO);
        })
        .join()
        .expect("thread");
        assert_eq!(get(), libc::EPERM);
    }
}
