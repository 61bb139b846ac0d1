//! The private interface libevent_core exports for its sibling libraries
//! (libevent_extra, libevent_openssl, libevent_mbedtls).
//!
//! The siblings are separate Rust staticlibs, each with its own copy of every crate it
//! links, so they must not link the core crate: they would get a second core with its
//! own globals. They call the core through its exported C symbols instead: the public
//! API, plus these few for what the public API does not offer. The memory functions
//! carry upstream libevent's own internal names (its libevent_core exports them too);
//! the rest are named `evrs_sibling_*`. `capi/sibling` is the one Rust binding over all
//! of them. None of these is declared in a public header.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};

use std::net::SocketAddr;

use evrs::bufferevent::{Bufferevent, WriteNow};
use evrs::log::Severity;
use evrs::thread::Lock;
use evrs::util::addr::SockaddrView;
use evrs::util::resolve::AddrInfo;

use crate::buffer::evbuffer;
use crate::bufferevent::bufferevent;
use crate::event::event_base;
use crate::ffi::{to_mut_ptr, try_from};
use crate::util::{evutil_addrinfo, sockaddr};

/// Bumped whenever a function here changes; a sibling refuses to work with a core that
/// answers another number (`evrs_sibling_interface_version`).
pub const INTERFACE_VERSION: c_uint = 3;

#[no_mangle]
pub extern "C" fn evrs_sibling_interface_version() -> c_uint {
    INTERFACE_VERSION
}

/// `malloc` through the program's memory functions; NULL for 0 bytes, as libevent.
#[no_mangle]
pub extern "C" fn event_mm_malloc_(size: usize) -> *mut c_void {
    ffi_boundary!("event_mm_malloc_", {
        if size == 0 {
            std::ptr::null_mut()
        } else {
            crate::mem::malloc(size)
        }
    })
}

/// `calloc` through the program's memory functions; NULL for 0 bytes or on overflow.
#[no_mangle]
pub extern "C" fn event_mm_calloc_(count: usize, size: usize) -> *mut c_void {
    ffi_boundary!("event_mm_calloc_", {
        match count.checked_mul(size) {
            Some(0) | None => std::ptr::null_mut(),
            Some(total) => {
                let block = crate::mem::malloc(total);
                if !block.is_null() {
                    // SAFETY: `block` is a fresh allocation of `total` bytes.
                    unsafe { block.cast::<u8>().write_bytes(0, total) };
                }
                block
            }
        }
    })
}

/// `realloc` through the program's memory functions.
///
/// # Safety
/// `block` is NULL or a live block from these functions.
#[no_mangle]
pub unsafe extern "C" fn event_mm_realloc_(block: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: the caller passes NULL or a live block of ours.
    ffi_boundary!("event_mm_realloc_", unsafe {
        crate::mem::realloc(block, size)
    })
}

/// `free` through the program's memory functions; NULL is ignored.
///
/// # Safety
/// `block` is NULL or a live block from these functions.
#[no_mangle]
pub unsafe extern "C" fn event_mm_free_(block: *mut c_void) {
    // SAFETY: the caller passes NULL or a live block of ours.
    ffi_boundary!("event_mm_free_", unsafe { crate::mem::free(block) })
}

/// A copy of a C string through the program's memory functions; NULL for NULL or when
/// out of memory.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn event_mm_strdup_(text: *const c_char) -> *mut c_char {
    ffi_boundary!("event_mm_strdup_", {
        if text.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller passes a NUL-terminated string.
        crate::mem::strdup(unsafe { CStr::from_ptr(text) }.to_bytes())
    })
}

/// One message through the library's log (`event_set_log_callback`, the debug mask):
/// `severity` is an `EVENT_LOG_*` value; others are logged as errors.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_log(severity: c_int, message: *const c_char) {
    ffi_boundary!("evrs_sibling_log", {
        let severity = match severity {
            0 => Severity::Debug,
            1 => Severity::Msg,
            2 => Severity::Warn,
            _ => Severity::Err,
        };
        let text = if message.is_null() {
            std::borrow::Cow::Borrowed("")
        } else {
            // SAFETY: the caller passes a NUL-terminated string.
            unsafe { CStr::from_ptr(message) }.to_string_lossy()
        };
        evrs::log::emit(severity, format_args!("{text}"));
    })
}

/// Gives a bufferevent made without `BEV_OPT_THREADSAFE` a lock of its own, as
/// libevent's `bufferevent_enable_locking_` does for a WebSocket session: 0, or -1 when
/// it has one already, no lock functions are installed or the lock cannot be made.
///
/// # Safety
/// `bev` is NULL or a live bufferevent that no other thread uses yet.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_enable_locking(bev: *mut bufferevent) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_enable_locking", unsafe {
        match try_from(bev) {
            Some(b) if b.enable_locking() => 0,
            _ => -1,
        }
    })
}

/// Writes a socket bufferevent's output to its socket at once (libevent_extra sends
/// replies this way instead of waiting a loop iteration for the write event): 1 when
/// the output is now empty, 0 when data remains (the caller enables `EV_WRITE` for the
/// rest), 2 when the write failed (the event callback is told from the loop), -1 when
/// the bufferevent cannot be written this way (not a socket, connecting, suspended).
/// No callback runs.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_write_now(bev: *mut bufferevent) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent, as for the public API.
    ffi_boundary!("evrs_sibling_bufferevent_write_now", unsafe {
        match try_from(bev).map(Bufferevent::write_now) {
            Some(WriteNow::Written) => 1,
            Some(WriteNow::Partly) => 0,
            Some(WriteNow::Failed) => 2,
            Some(WriteNow::Unsupported) | None => -1,
        }
    })
}

/// Empties an evbuffer for reuse as a new one (libevent_extra reuses a finished
/// request's buffers for the next request on its connection): 1 when done, 0 when the
/// buffer carries something a new one would not have (callbacks, a lock, a frozen end,
/// other settings), which the caller then frees and replaces.
///
/// # Safety
/// `buf` is NULL or a live evbuffer.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_evbuffer_reset(buf: *mut evbuffer) -> c_int {
    // SAFETY: the caller passes NULL or a live evbuffer, as for the public API.
    ffi_boundary!("evrs_sibling_evbuffer_reset", unsafe {
        crate::buffer::with(buf, 0, |b| c_int::from(b.reset_if_plain()))
    })
}

/// [`evrs_sibling_bufferevent_write_now`] for a message in the caller's memory: with
/// the output empty and `EV_WRITE` off, `data` (`len` bytes) is written to the socket at
/// once and only what the socket does not take is queued on the output. 1 when all
/// went out, 0 when the rest was queued (the caller enables `EV_WRITE`), 2 when the
/// write failed (the event callback is told from the loop), -1 when nothing was done
/// (output not empty, `EV_WRITE` on, not a socket...): the caller queues the message
/// itself.
///
/// # Safety
/// `bev` is NULL or a live bufferevent; `data` is readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_write_now_with(
    bev: *mut bufferevent,
    data: *const c_void,
    len: usize,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent, and readable data.
    ffi_boundary!("evrs_sibling_bufferevent_write_now_with", unsafe {
        if data.is_null() {
            return -1;
        }
        let data = std::slice::from_raw_parts(data.cast::<u8>(), len);
        match try_from(bev).map(|b| b.write_now_with(data)) {
            Some(WriteNow::Written) => 1,
            Some(WriteNow::Partly) => 0,
            Some(WriteNow::Failed) => 2,
            Some(WriteNow::Unsupported) | None => -1,
        }
    })
}

// ----- version 3: locks, the current base, DNS -----------------------------------------

/// A lock of the program's kind for a sibling's object: a boxed [`Lock`], or NULL when
/// the program has not enabled threading (every lock call is then a no-op, as in
/// libevent) or memory ran out.
#[no_mangle]
pub extern "C" fn evrs_sibling_lock_new(recursive: c_int) -> *mut c_void {
    ffi_boundary!("evrs_sibling_lock_new", {
        match Lock::new(recursive != 0) {
            // Out of memory: NULL (the lock is dropped, freeing the program's lock),
            // which callers take as "no lock", as libevent does when its lock
            // allocation fails.
            Some(lock) => match evrs::util::try_box(lock) {
                Some(lock) => Box::into_raw(lock).cast(),
                None => std::ptr::null_mut(),
            },
            None => std::ptr::null_mut(),
        }
    })
}

/// Takes a lock from [`evrs_sibling_lock_new`]; NULL is ignored.
///
/// # Safety
/// `lock` is NULL or a live lock from [`evrs_sibling_lock_new`].
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_lock_acquire(lock: *mut c_void) {
    ffi_boundary!("evrs_sibling_lock_acquire", {
        // SAFETY: the caller passes NULL or a live boxed Lock.
        if let Some(lock) = unsafe { lock.cast::<Lock>().as_ref() } {
            lock.lock();
        }
    })
}

/// Releases a lock taken with [`evrs_sibling_lock_acquire`]; NULL is ignored.
///
/// # Safety
/// `lock` is NULL or a live lock from [`evrs_sibling_lock_new`] that the caller holds.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_lock_release(lock: *mut c_void) {
    ffi_boundary!("evrs_sibling_lock_release", {
        // SAFETY: the caller passes NULL or a live boxed Lock.
        if let Some(lock) = unsafe { lock.cast::<Lock>().as_ref() } {
            lock.unlock();
        }
    })
}

/// Frees a lock from [`evrs_sibling_lock_new`]; NULL is ignored.
///
/// # Safety
/// `lock` is NULL or a live lock from [`evrs_sibling_lock_new`], not held, freed once.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_lock_free(lock: *mut c_void) {
    ffi_boundary!("evrs_sibling_lock_free", {
        if !lock.is_null() {
            // SAFETY: a box evrs_sibling_lock_new gave up, given back once.
            drop(unsafe { Box::from_raw(lock.cast::<Lock>()) });
        }
    })
}

/// The 1.x API's current base (`event_init`'s), NULL when there is none.
#[no_mangle]
pub extern "C" fn evrs_sibling_current_base() -> *mut event_base {
    ffi_boundary!("evrs_sibling_current_base", {
        // SAFETY: only the pointer is taken; the program keeps the base alive while it
        // uses it (libevent's rule for the current base).
        match unsafe { evrs::event::base_or_current(None) } {
            Some(base) => to_mut_ptr(base),
            None => std::ptr::null_mut(),
        }
    })
}

/// Registers libevent_extra's `evdns_getaddrinfo` and `evdns_getaddrinfo_cancel` for
/// `bufferevent_socket_connect_hostname(_hints)` with an `evdns_base`. NULL for either
/// leaves things as they are.
#[no_mangle]
pub extern "C" fn evrs_sibling_set_dns_resolver(
    start: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const c_char,
            *const evutil_addrinfo,
            unsafe extern "C" fn(c_int, *mut evutil_addrinfo, *mut c_void),
            *mut c_void,
        ) -> *mut c_void,
    >,
    cancel: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    ffi_boundary!("evrs_sibling_set_dns_resolver", {
        if let (Some(start), Some(cancel)) = (start, cancel) {
            crate::bufferevent::register_evdns(start, cancel);
        }
    })
}

/// One answer node that `evutil_freeaddrinfo` frees: a copy of the IPv4 or IPv6
/// address `addr` (`addrlen` bytes), the type, protocol and flags, a copy of
/// `canonname` (may be NULL), and `next` as its successor. NULL for another family, a
/// short address, or when out of memory.
///
/// # Safety
/// `addr` is NULL or readable for `addrlen` bytes; `canonname` is NULL or a
/// NUL-terminated string; `next` is NULL or a list `evutil_freeaddrinfo` frees.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_addrinfo_new(
    addr: *const sockaddr,
    addrlen: libc::socklen_t,
    socktype: c_int,
    protocol: c_int,
    flags: c_int,
    canonname: *const c_char,
    next: *mut evutil_addrinfo,
) -> *mut evutil_addrinfo {
    ffi_boundary!("evrs_sibling_addrinfo_new", {
        let needed = |family: c_int| match family {
            libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
            _ => std::mem::size_of::<libc::sockaddr_in6>(),
        };
        if addr.is_null() || (addrlen as usize) < std::mem::size_of::<libc::sa_family_t>() {
            return std::ptr::null_mut();
        }
        // SAFETY: `addr` is readable for `addrlen` bytes, at least the family.
        let family =
            c_int::from(unsafe { std::ptr::read_unaligned(addr.cast::<libc::sa_family_t>()) });
        if (addrlen as usize) < needed(family) {
            return std::ptr::null_mut();
        }
        // SAFETY: the address is as large as its family requires (checked above).
        let address: SocketAddr = match unsafe { crate::util::sockaddr_view(addr) } {
            Some(SockaddrView::V4(a)) => a.into(),
            Some(SockaddrView::V6(a)) => a.into(),
            _ => return std::ptr::null_mut(),
        };
        let canonical_name = if canonname.is_null() {
            None
        } else {
            // SAFETY: the caller passes a NUL-terminated string.
            Some(unsafe { CStr::from_ptr(canonname) }.to_owned())
        };
        let answer = AddrInfo {
            flags,
            family,
            socktype,
            protocol,
            addr: address,
            canonical_name,
        };
        crate::util::new_addrinfo_node(&answer, next).unwrap_or(std::ptr::null_mut())
    })
}
