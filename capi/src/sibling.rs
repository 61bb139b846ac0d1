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

use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr};

use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::ptr::NonNull;

use evrs::bufferevent::{BevError, BevResult, Bufferevent, FlushMode, ForeignKind, WriteNow};
use evrs::log::Severity;
use evrs::thread::Lock;
use evrs::util::addr::SockaddrView;
use evrs::util::resolve::AddrInfo;

use crate::buffer::evbuffer;
use crate::bufferevent::bufferevent;
use crate::event::{base_or_current, event, event_base};
use crate::ffi::{to_mut_ptr, try_from, try_nonnull, Status};
use crate::util::{evutil_addrinfo, sockaddr};

/// Bumped whenever a function here changes (`evrs_sibling_interface_version`), so that
/// a mismatched pair of installed libraries can be told apart; the libraries are
/// built and installed together, and a sibling that needs a function an older core
/// lacks fails to load.
pub const INTERFACE_VERSION: c_uint = 5;

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

/// Frees the free space an evbuffer keeps for later appends: all of it, or with
/// `keep_spare` all but one small block (what a socket bufferevent keeps on an idle
/// connection's input). A TLS bufferevent calls it on buffers its I/O emptied, as the
/// core's own kinds do, so that an idle connection holds no buffer memory.
///
/// # Safety
/// `buf` is NULL or a live evbuffer.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_evbuffer_shrink(buf: *mut evbuffer, keep_spare: c_int) {
    // SAFETY: the caller passes NULL or a live evbuffer, as for the public API.
    ffi_boundary!("evrs_sibling_evbuffer_shrink", unsafe {
        crate::buffer::with(buf, (), |b| {
            if keep_spare != 0 {
                b.shrink_to_spare()
            } else {
                b.shrink()
            }
        })
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

// ----- version 4: bufferevent kinds implemented by a sibling (TLS) ----------------------

/// `struct evrs_sibling_bev_ops`: the operations of a bufferevent kind a sibling
/// implements (libevent's `struct bufferevent_ops`), each called with the
/// bufferevent's lock held and the sibling's `ctx`. `enable`, `disable` and `destruct`
/// are required; a NULL `unlink` does nothing, a NULL `flush` flushes nothing (0), a
/// NULL `get_fd` has no descriptor (-1), a NULL `set_fd` refuses (-1) and a NULL
/// `get_underlying` has no underlying bufferevent.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evrs_sibling_bev_ops {
    /// `sizeof(struct evrs_sibling_bev_ops)` as the sibling knows it, for growth.
    pub size: usize,
    pub enable: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short) -> c_int>,
    pub disable: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short) -> c_int>,
    /// The last reference went: stop I/O, let companions go.
    pub unlink: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent)>,
    /// From the loop, after `unlink`: release everything, `ctx` included.
    pub destruct: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent)>,
    pub flush: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short, c_int) -> c_int>,
    pub get_fd: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent) -> c_int>,
    pub set_fd: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_int) -> c_int>,
    pub get_underlying:
        Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent) -> *mut bufferevent>,
}

/// `evrs_sibling_bufferevent_new_foreign`'s flag: `ev_read`/`ev_write` watch the
/// descriptor, so that timeouts are re-armed as a socket bufferevent's are (a TLS
/// bufferevent on a socket); without it they are the core's timeout-only events (a
/// TLS filter over another bufferevent).
pub const EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD: c_int = 1;

/// A sibling's kind as the core sees it: its table (whose address identifies the kind;
/// read in place, as it outlives the kind's bufferevents) and its context.
struct SiblingKind {
    identity: NonNull<evrs_sibling_bev_ops>,
    ctx: *mut c_void,
}

impl SiblingKind {
    fn ops(&self) -> &evrs_sibling_bev_ops {
        // SAFETY: checked aligned and long enough when the bufferevent was made, and
        // the sibling keeps it alive and unchanged while the bufferevent lives.
        unsafe { self.identity.as_ref() }
    }
}

fn bev_handle(bev: NonNull<Bufferevent>) -> *mut bufferevent {
    to_mut_ptr(bev.as_ptr())
}

fn bev_result(status: c_int) -> BevResult {
    if status < 0 {
        Err(BevError)
    } else {
        Ok(())
    }
}

impl ForeignKind for SiblingKind {
    fn enable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult {
        let Some(enable) = self.ops().enable else {
            return Err(BevError);
        };
        // SAFETY: the sibling's function with its own context and a live bufferevent.
        bev_result(unsafe { enable(self.ctx, bev_handle(bev), events) })
    }

    fn disable(&self, bev: NonNull<Bufferevent>, events: c_short) -> BevResult {
        let Some(disable) = self.ops().disable else {
            return Err(BevError);
        };
        // SAFETY: as in `enable`.
        bev_result(unsafe { disable(self.ctx, bev_handle(bev), events) })
    }

    fn unlink(&self, bev: NonNull<Bufferevent>) {
        if let Some(unlink) = self.ops().unlink {
            // SAFETY: as in `enable`.
            unsafe { unlink(self.ctx, bev_handle(bev)) };
        }
    }

    fn destruct(&self, bev: NonNull<Bufferevent>) {
        if let Some(destruct) = self.ops().destruct {
            // SAFETY: as in `enable`; called once, as the last use of `ctx`.
            unsafe { destruct(self.ctx, bev_handle(bev)) };
        }
    }

    fn flush(&self, bev: NonNull<Bufferevent>, iotype: c_short, mode: FlushMode) -> c_int {
        match self.ops().flush {
            // SAFETY: as in `enable`.
            Some(flush) => unsafe { flush(self.ctx, bev_handle(bev), iotype, mode as c_int) },
            None => 0,
        }
    }

    fn fd(&self, bev: NonNull<Bufferevent>) -> RawFd {
        match self.ops().get_fd {
            // SAFETY: as in `enable`.
            Some(get_fd) => unsafe { get_fd(self.ctx, bev_handle(bev)) },
            None => -1,
        }
    }

    fn set_fd(&self, bev: NonNull<Bufferevent>, fd: RawFd) -> BevResult {
        match self.ops().set_fd {
            // SAFETY: as in `enable`.
            Some(set_fd) => bev_result(unsafe { set_fd(self.ctx, bev_handle(bev), fd) }),
            None => Err(BevError),
        }
    }

    fn underlying(&self, bev: NonNull<Bufferevent>) -> Option<NonNull<Bufferevent>> {
        let get_underlying = self.ops().get_underlying?;
        // SAFETY: as in `enable`.
        try_nonnull(unsafe { get_underlying(self.ctx, bev_handle(bev)) })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A bufferevent of the sibling's kind `ops` (a table that lives as long as the
/// library; its address identifies the kind) with `ctx` for its operations. `options`
/// are `BEV_OPT_*`: the core applies `THREADSAFE`, `DEFER_CALLBACKS` and
/// `UNLOCK_CALLBACKS` (refused without `DEFER_CALLBACKS`, as everywhere);
/// `CLOSE_ON_FREE` is the kind's to honour. `flags` may hold
/// `EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD`. NULL for a NULL or short table, a missing
/// `enable`, `disable` or `destruct`, unknown flags, or when out of memory; `ctx` then
/// stays the caller's, and no operation was called.
///
/// # Safety
/// `base` is NULL (the current base) or a live base; `ops` is NULL or a table of at
/// least `ops->size` readable bytes, aligned, that outlives every bufferevent made
/// with it unchanged.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_new_foreign(
    base: *mut event_base,
    options: c_int,
    ops: *const evrs_sibling_bev_ops,
    ctx: *mut c_void,
    flags: c_int,
) -> *mut bufferevent {
    // SAFETY: the caller passes NULL or live objects.
    ffi_boundary!("evrs_sibling_bufferevent_new_foreign", unsafe {
        if ops.is_null() || flags & !EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD != 0 {
            return std::ptr::null_mut();
        }
        // The size first: a shorter table (an older sibling) is not read further.
        let size = std::ptr::read_unaligned(ops.cast::<usize>());
        if size < std::mem::size_of::<evrs_sibling_bev_ops>() {
            evrs::log::warn(format_args!(
                "evrs_sibling_bufferevent_new_foreign: operations table too short"
            ));
            return std::ptr::null_mut();
        }
        if !ops.is_aligned() {
            return std::ptr::null_mut();
        }
        let table = &*ops;
        if table.enable.is_none() || table.disable.is_none() || table.destruct.is_none() {
            return std::ptr::null_mut();
        }
        let Some(base) = base_or_current(base) else {
            return std::ptr::null_mut();
        };
        let Some(kind) = evrs::util::try_box(SiblingKind {
            identity: NonNull::from(table),
            ctx,
        }) else {
            return std::ptr::null_mut();
        };
        let timeouts_on_fd = flags & EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD != 0;
        Bufferevent::foreign_new(base, options as u32, kind, timeouts_on_fd)
            .map_or(std::ptr::null_mut(), |b| to_mut_ptr(b.as_ptr()))
    })
}

/// The `ctx` of a bufferevent made by [`evrs_sibling_bufferevent_new_foreign`] with
/// this `ops` table; NULL for another kind or table (or NULL arguments).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_foreign_ctx(
    bev: *mut bufferevent,
    ops: *const evrs_sibling_bev_ops,
) -> *mut c_void {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_foreign_ctx", unsafe {
        let Some(bev) = try_from(bev) else {
            return std::ptr::null_mut();
        };
        let kind = bev.foreign_kind();
        match kind.and_then(|k| k.as_any().downcast_ref::<SiblingKind>()) {
            Some(kind) if std::ptr::eq(kind.identity.as_ptr(), ops) => kind.ctx,
            _ => std::ptr::null_mut(),
        }
    })
}

/// The operations table a bufferevent of a sibling's kind was made with (what
/// identifies its kind); NULL for NULL or a bufferevent of the core's kinds. A
/// sibling recognises a family of kinds by it (the TLS bufferevents of the two TLS
/// libraries, whose tables carry a family mark after the operations: libevent's
/// `BEV_IS_SSL`, which compares the ops' type name).
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_foreign_ops(
    bev: *mut bufferevent,
) -> *const evrs_sibling_bev_ops {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_foreign_ops", unsafe {
        let Some(bev) = try_from(bev) else {
            return std::ptr::null();
        };
        let kind = bev.foreign_kind();
        match kind.and_then(|k| k.as_any().downcast_ref::<SiblingKind>()) {
            Some(kind) => kind.identity.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// The `BEV_OPT_*` flags `bev` was made with; -1 for NULL.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_options(bev: *mut bufferevent) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_options", unsafe {
        try_from(bev).map_or(-1, |b| b.options() as c_int)
    })
}

/// `&bev->ev_read` (`which` = `EV_READ`) or `&bev->ev_write` (`EV_WRITE`), for a kind
/// to `event_assign` and add; NULL for NULL or another `which`.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_event(
    bev: *mut bufferevent,
    which: c_short,
) -> *mut event {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_event", unsafe {
        try_from(bev)
            .and_then(|b| b.event_of(which))
            .map_or(std::ptr::null_mut(), NonNull::as_ptr)
    })
}

/// Adds `ev_read` (`which` = `EV_READ`) or `ev_write` with the bufferevent's timeout
/// for that direction (libevent's `bufferevent_add_event_`); on a timeout-only event
/// (no descriptor) it restarts that timeout, and does nothing without one. 0, or -1.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_add_event(
    bev: *mut bufferevent,
    which: c_short,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_add_event", unsafe {
        try_from(bev).map_or(-1, |b| b.add_event(which).status())
    })
}

/// Suspends `EV_READ` or `EV_WRITE` (`which`) for `reasons` (`BEV_SUSPEND_*` bits:
/// 0x01 watermark, 0x02 bandwidth, 0x04 group, 0x08 lookup, 0x10 filter read), as
/// libevent's `bufferevent_suspend_read_` and `_write_`. 0, or -1 for NULL, another
/// `which`, no reason or an unknown one.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_suspend(
    bev: *mut bufferevent,
    which: c_short,
    reasons: c_uint,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_suspend", unsafe {
        set_suspended(bev, which, reasons, true)
    })
}

/// Lifts `reasons` from `EV_READ` or `EV_WRITE` (`bufferevent_unsuspend_read_` and
/// `_write_`); the direction restarts when no reason is left and it is enabled.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_unsuspend(
    bev: *mut bufferevent,
    which: c_short,
    reasons: c_uint,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_unsuspend", unsafe {
        set_suspended(bev, which, reasons, false)
    })
}

/// # Safety
/// `bev` is NULL or a live bufferevent.
unsafe fn set_suspended(bev: *mut bufferevent, which: c_short, reasons: c_uint, on: bool) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    let Some(bev) = (unsafe { try_from(bev) }) else {
        return -1;
    };
    match u16::try_from(reasons) {
        Ok(reasons) => bev.set_suspended(which, reasons, on).status(),
        Err(_) => -1,
    }
}

/// Why `EV_READ` or `EV_WRITE` (`which`) is suspended: its `BEV_SUSPEND_*` bits, 0
/// when it is not; -1 for NULL or another `which`.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_suspended(
    bev: *mut bufferevent,
    which: c_short,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_suspended", unsafe {
        try_from(bev)
            .and_then(|b| b.suspended(which))
            .map_or(-1, c_int::from)
    })
}

/// Takes `bytes` read (`which` = `EV_READ`) or written from the bufferevent's and its
/// group's rate-limit buckets, suspending the direction when one ran dry (libevent's
/// `bufferevent_decrement_read_buckets_` and `_write_`). The budget itself is the public
/// `bufferevent_get_max_to_read`/`_write`. 0, or -1 for NULL, another `which` or a
/// negative count.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_decrement_buckets(
    bev: *mut bufferevent,
    which: c_short,
    bytes: isize,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_decrement_buckets", unsafe {
        match (try_from(bev), usize::try_from(bytes)) {
            (Some(b), Ok(bytes)) => b.consume_budget(which, bytes).status(),
            _ => -1,
        }
    })
}

/// Runs the event callback with `events` as libevent's `bufferevent_run_eventcb_`:
/// at once, or from the loop with `BEV_OPT_DEFER_CALLBACKS` in `options` or the
/// bufferevent's options; the callback sees `errno` = `error`. Takes a reference and
/// the lock around it, so the callback may free the bufferevent.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_run_eventcb(
    bev: *mut bufferevent,
    events: c_short,
    options: c_int,
    error: c_int,
) {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_run_eventcb", unsafe {
        if let Some(b) = try_from(bev) {
            b.trigger_event_with_error(events, options as u32, error);
        }
    })
}

/// Whether a connect is in progress (`bufferevent_socket_connect` sets it): 1, 0, or
/// -1 for NULL.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_connecting(bev: *mut bufferevent) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_connecting", unsafe {
        try_from(bev).map_or(-1, |b| c_int::from(b.connecting()))
    })
}

/// Sets (non-zero) or clears the connect-in-progress flag: a kind clears it when its
/// handshake found the socket connected.
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_set_connecting(
    bev: *mut bufferevent,
    connecting: c_int,
) {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_set_connecting", unsafe {
        if let Some(b) = try_from(bev) {
            b.set_connecting(connecting != 0);
        }
    })
}

/// Takes a reference and the lock (`bufferevent_incref_and_lock_`), so that the
/// bufferevent outlives a callback that frees it; undone by
/// [`evrs_sibling_bufferevent_decref_and_unlock`].
///
/// # Safety
/// `bev` is NULL or a live bufferevent.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_incref_and_lock(bev: *mut bufferevent) {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_incref_and_lock", unsafe {
        if let Some(b) = try_from(bev) {
            b.lock();
        }
    })
}

/// Gives up the lock and the reference taken by
/// [`evrs_sibling_bufferevent_incref_and_lock`]: 1 when that was the last reference
/// (the bufferevent is going; it must not be used again), 0 otherwise, -1 for NULL.
///
/// # Safety
/// `bev` is NULL or a live bufferevent that the caller locked this way.
#[no_mangle]
pub unsafe extern "C" fn evrs_sibling_bufferevent_decref_and_unlock(
    bev: *mut bufferevent,
) -> c_int {
    // SAFETY: the caller passes NULL or a live bufferevent.
    ffi_boundary!("evrs_sibling_bufferevent_decref_and_unlock", unsafe {
        try_from(bev).map_or(-1, |b| c_int::from(b.unlock_last()))
    })
}
