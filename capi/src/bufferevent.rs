//! `event2/bufferevent.h` and `event2/bufferevent_compat.h`: buffered I/O on sockets,
//! pairs and filters, with rate limits. (`bufferevent_get_input`/`_output` are in
//! `buffer.rs`, after the header the API lists them under.)

use std::ffi::{c_char, c_int, c_short, c_void, CStr};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

use evrs::buffer::Evbuffer;
use evrs::bufferevent::ratelim::{RateLimitGroup, TokenBucketCfg};
use evrs::bufferevent::{
    set_async_resolver, AsyncResolver, Bufferevent, DataCallbackFn, EventCallbackFn, FilterFn,
    FlushMode, SocketAddress,
};
use evrs::event::Tv;
use evrs::util::resolve::Hints;
use evrs::util::shared::Shared;

use crate::buffer::evbuffer;
use crate::event::{base_or_current, event_base};
use crate::ffi::{
    borrow, clone_shared, cstr, to_box, to_boxed_mut_ptr, to_const_ptr, to_mut_ptr,
    to_shared_const_ptr, try_from, try_nonnull, write_out, Status,
};
use crate::util::{evutil_addrinfo, sockaddr, timeval};

castable! {
    /// `struct bufferevent` (its public layout comes first; the core keeps it and
    /// frees it when the last reference goes).
    bufferevent => Bufferevent, OwnershipRef
}
castable! {
    /// `struct ev_token_bucket_cfg` (opaque to C; counted, so that bufferevents keep
    /// theirs after the program frees it).
    ev_token_bucket_cfg => TokenBucketCfg, OwnershipShared
}
castable! {
    /// `struct bufferevent_rate_limit_group` (opaque to C).
    bufferevent_rate_limit_group => RateLimitGroup, OwnershipBox
}
/// `struct evdns_base` (opaque; libevent_extra's, reached through the resolver it
/// registers with `evrs_sibling_set_dns_resolver`).
pub type evdns_base = c_void;
/// `bufferevent_data_cb`.
pub type bufferevent_data_cb = Option<DataCallbackFn>;
/// `bufferevent_event_cb`.
pub type bufferevent_event_cb = Option<EventCallbackFn>;
/// `bufferevent_filter_cb`.
pub type bufferevent_filter_cb = Option<FilterFn>;
/// `enum bufferevent_flush_mode`.
pub type bufferevent_flush_mode = c_int;
/// `enum bufferevent_filter_result`.
pub type bufferevent_filter_result = c_int;

/// A timeout argument; NULL (or zero) means none.
///
/// # Safety
/// `tv` is NULL or points to a readable timeval.
unsafe fn timeout(tv: *const timeval) -> Option<Tv> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow(tv) }
        .map(Tv::from_timeval_raw)
        .filter(|tv| *tv != Tv::ZERO)
}

fn options_of(options: c_int) -> u32 {
    options as u32
}

// ----- socket bufferevents ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_new(
    base: *mut event_base,
    fd: c_int,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_socket_new", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        Bufferevent::socket_new(base, fd, options_of(options))
            .map_or(ptr::null_mut(), |b| to_mut_ptr(b.as_ptr()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect(
    bev: *mut bufferevent,
    addr: *const sockaddr,
    socklen: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(bev) = (unsafe { try_from(bev) }) else {
            return -1;
        };
        let address = if addr.is_null() {
            None
        } else {
            let Ok(len) = usize::try_from(socklen) else {
                return -1;
            };
            // SAFETY: the program passes `socklen` readable bytes at `addr`.
            let bytes = unsafe { std::slice::from_raw_parts(addr.cast::<u8>(), len) };
            match SocketAddress::from_bytes(bytes) {
                Some(a) => Some(a),
                None => return -1,
            }
        };
        bev.connect(address.as_ref()).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut bufferevent,
    dns_base: *mut evdns_base,
    family: c_int,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect_hostname", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (Some(bev), Some(host)) = (unsafe { try_from(bev) }, unsafe { cstr(hostname) }) else {
            return -1;
        };
        let hints = Hints {
            flags: 0,
            family,
            socktype: libc::SOCK_STREAM,
            protocol: libc::IPPROTO_TCP,
        };
        connect_hostname_with(bev, dns_base, &hints, host, port)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname_hints(
    bev: *mut bufferevent,
    dns_base: *mut evdns_base,
    hints_in: *const evutil_addrinfo,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect_hostname_hints", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (Some(bev), Some(host), Some(h)) = (
            unsafe { try_from(bev) },
            unsafe { cstr(hostname) },
            unsafe { borrow(hints_in) },
        ) else {
            return -1;
        };
        let hints = Hints {
            flags: h.ai_flags,
            family: h.ai_family,
            socktype: h.ai_socktype,
            protocol: h.ai_protocol,
        };
        connect_hostname_with(bev, dns_base, &hints, host, port)
    })
}

/// A host-name connect through evdns when the program gave an `evdns_base`, else
/// through the blocking resolver.
fn connect_hostname_with(
    bev: &Bufferevent,
    dns_base: *mut evdns_base,
    hints: &Hints,
    host: &CStr,
    port: c_int,
) -> c_int {
    match NonNull::new(dns_base) {
        Some(dns) => bev.connect_hostname_async(dns, hints, host, port),
        None => bev.connect_hostname(hints, host, port),
    }
    .status()
}

// ----- the resolver libevent_extra lends (evdns_getaddrinfo) ---------------------------

/// `evdns_getaddrinfo_cb`.
pub(crate) type DnsGetaddrinfoCb = unsafe extern "C" fn(c_int, *mut evutil_addrinfo, *mut c_void);
/// `evdns_getaddrinfo`.
pub(crate) type DnsGetaddrinfoFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    *const c_char,
    *const evutil_addrinfo,
    DnsGetaddrinfoCb,
    *mut c_void,
) -> *mut c_void;
/// `evdns_getaddrinfo_cancel`.
pub(crate) type DnsGetaddrinfoCancelFn = unsafe extern "C" fn(*mut c_void);

/// The two functions libevent_extra registered. Set once, then read without a lock
/// on every host-name connect.
static EVDNS_FUNCTIONS: OnceLock<(DnsGetaddrinfoFn, DnsGetaddrinfoCancelFn)> = OnceLock::new();

fn evdns_functions() -> Option<(DnsGetaddrinfoFn, DnsGetaddrinfoCancelFn)> {
    EVDNS_FUNCTIONS.get().copied()
}

/// Makes `start` and `cancel` the resolver of host-name connects with an
/// `evdns_base`.
pub(crate) fn register_evdns(start: DnsGetaddrinfoFn, cancel: DnsGetaddrinfoCancelFn) {
    // One libevent_extra per process registers the same pair; a second call changes
    // nothing.
    if EVDNS_FUNCTIONS.set((start, cancel)).is_err() {
        return;
    }
    set_async_resolver(AsyncResolver {
        start: evdns_start,
        cancel: evdns_cancel,
    });
}

fn evdns_start(
    dns: NonNull<c_void>,
    host: &CStr,
    service: &CStr,
    hints: &Hints,
    bev: NonNull<Bufferevent>,
) -> Option<NonNull<c_void>> {
    let (start, _) = evdns_functions()?;
    // SAFETY: all-zero is a valid addrinfo (integers 0, pointers NULL).
    let mut c_hints: evutil_addrinfo = unsafe { std::mem::zeroed() };
    c_hints.ai_flags = hints.flags;
    c_hints.ai_family = hints.family;
    c_hints.ai_socktype = hints.socktype;
    c_hints.ai_protocol = hints.protocol;
    // SAFETY: the strings and hints outlive the call; `evdns_lookup_done` gets `bev`
    // back, which the lookup's reference keeps alive until then.
    NonNull::new(unsafe {
        start(
            dns.as_ptr(),
            host.as_ptr(),
            service.as_ptr(),
            &c_hints,
            evdns_lookup_done,
            bev.as_ptr().cast(),
        )
    })
}

fn evdns_cancel(request: NonNull<c_void>) {
    if let Some((_, cancel)) = evdns_functions() {
        // SAFETY: a request `start` returned whose answer has not come (the
        // bufferevent forgets it when the answer comes).
        unsafe { cancel(request.as_ptr()) };
    }
}

/// The answer of a lookup `evdns_start` made: the first address is kept, the list
/// freed, and the bufferevent told.
unsafe extern "C" fn evdns_lookup_done(result: c_int, ai: *mut evutil_addrinfo, arg: *mut c_void) {
    ffi_boundary!("bufferevent_socket_connect_hostname", {
        // SAFETY: `ai` is NULL or a list of nodes with `ai_addrlen` readable bytes at
        // `ai_addr`, from evrs_sibling_addrinfo_new (or evutil_getaddrinfo).
        let first = unsafe { ai.as_ref() }.and_then(|node| {
            if node.ai_addr.is_null() {
                return None;
            }
            // SAFETY: `ai_addr` is non-NULL and readable for `ai_addrlen` bytes, as every
            // node the resolver hands the core is.
            let bytes = unsafe {
                std::slice::from_raw_parts(node.ai_addr.cast::<u8>(), node.ai_addrlen as usize)
            };
            SocketAddress::from_bytes(bytes)
        });
        // SAFETY: the list is ours to free, once (libevent's contract for the callback).
        unsafe { crate::util::free_addrinfo_list(ai) };
        if let Some(bev) = NonNull::new(arg.cast::<Bufferevent>()) {
            // SAFETY: `arg` is the bufferevent `evdns_start` passed, kept alive by the
            // lookup's reference.
            unsafe { Bufferevent::lookup_finished(bev, result, first) };
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_get_dns_error(bev: *mut bufferevent) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_socket_get_dns_error", unsafe {
        try_from(bev).map_or(0, Bufferevent::dns_error)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_base_set(
    base: *mut event_base,
    bev: *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_base_set", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (Some(base), Some(bev)) = (unsafe { try_from(base) }, unsafe { try_from(bev) }) else {
            return -1;
        };
        bev.set_base(base).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_base", unsafe {
        try_from(bev).map_or(ptr::null_mut(), |b| to_mut_ptr(b.base()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_priority_set(bev: *mut bufferevent, priority: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_priority_set", unsafe {
        try_from(bev).map_or(-1, |b| b.set_priority(priority).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_priority(bev: *const bufferevent) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_priority", unsafe {
        try_from(bev).map_or(-1, Bufferevent::priority)
    })
}

// ----- lifetime, locking and callbacks ---------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_free(bev: *mut bufferevent) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_free", unsafe {
        if let Some(b) = try_from(bev) {
            b.free();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_incref(bev: *mut bufferevent) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_incref", unsafe {
        if let Some(b) = try_from(bev) {
            b.incref();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decref(bev: *mut bufferevent) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_decref", unsafe {
        try_from(bev).map_or(-1, |b| c_int::from(b.decref()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_lock(bev: *mut bufferevent) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_lock", unsafe {
        if let Some(b) = try_from(bev) {
            b.lock();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_unlock(bev: *mut bufferevent) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_unlock", unsafe {
        if let Some(b) = try_from(bev) {
            b.unlock();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setcb(
    bev: *mut bufferevent,
    readcb: bufferevent_data_cb,
    writecb: bufferevent_data_cb,
    eventcb: bufferevent_event_cb,
    cbarg: *mut c_void,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_setcb", unsafe {
        if let Some(b) = try_from(bev) {
            b.set_callbacks(readcb, writecb, eventcb, cbarg);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getcb(
    bev: *mut bufferevent,
    readcb_ptr: *mut bufferevent_data_cb,
    writecb_ptr: *mut bufferevent_data_cb,
    eventcb_ptr: *mut bufferevent_event_cb,
    cbarg_ptr: *mut *mut c_void,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_getcb", unsafe {
        if let Some(b) = try_from(bev) {
            let (r, w, e, arg) = b.callbacks();
            write_out(readcb_ptr, r);
            write_out(writecb_ptr, w);
            write_out(eventcb_ptr, e);
            write_out(cbarg_ptr, arg);
        }
    })
}

// ----- descriptors and layering ----------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setfd(bev: *mut bufferevent, fd: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_setfd", unsafe {
        try_from(bev).map_or(-1, |b| b.set_fd(fd).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_replacefd(bev: *mut bufferevent, fd: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_replacefd", unsafe {
        try_from(bev).map_or(-1, |b| b.replace_fd(fd).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getfd(bev: *mut bufferevent) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_getfd", unsafe {
        try_from(bev).map_or(-1, Bufferevent::fd)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_underlying(bev: *mut bufferevent) -> *mut bufferevent {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_underlying", unsafe {
        try_from(bev)
            .and_then(Bufferevent::underlying)
            .map_or(ptr::null_mut(), |b| to_mut_ptr(b.as_ptr()))
    })
}

// ----- data ------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write(
    bev: *mut bufferevent,
    data: *const c_void,
    size: usize,
) -> c_int {
    ffi_boundary!("bufferevent_write", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(b) = (unsafe { try_from(bev) }) else {
            return -1;
        };
        if size == 0 {
            return b.write(&[]).status();
        }
        if data.is_null() || size > isize::MAX as usize {
            return -1;
        }
        // SAFETY: the program passes `size` readable bytes at `data`.
        b.write(unsafe { std::slice::from_raw_parts(data.cast(), size) })
            .status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_write_buffer(
    bev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_write_buffer", unsafe {
        let (Some(b), Some(buf)) = (try_from(bev), try_nonnull(buf)) else {
            return -1;
        };
        // Through the core's entry, which frees `buf` if a callback freed it.
        Evbuffer::enter(buf, |buf| b.write_buffer(buf)).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read(
    bev: *mut bufferevent,
    data: *mut c_void,
    size: usize,
) -> usize {
    ffi_boundary!("bufferevent_read", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(b) = (unsafe { try_from(bev) }) else {
            return 0;
        };
        if size == 0 || data.is_null() || size > isize::MAX as usize {
            return 0;
        }
        // SAFETY: the program passes `size` writable bytes at `data`.
        b.read(unsafe { std::slice::from_raw_parts_mut(data.cast(), size) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_read_buffer(
    bev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_read_buffer", unsafe {
        let (Some(b), Some(buf)) = (try_from(bev), try_nonnull(buf)) else {
            return -1;
        };
        // Through the core's entry, which frees `buf` if a callback freed it.
        Evbuffer::enter(buf, |buf| b.read_buffer(buf)).status()
    })
}

// ----- enabling, timeouts, watermarks, flushing and triggering ---------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_enable(bev: *mut bufferevent, event: c_short) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_enable", unsafe {
        try_from(bev).map_or(-1, |b| b.enable(event).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_disable(bev: *mut bufferevent, event: c_short) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_disable", unsafe {
        try_from(bev).map_or(-1, |b| b.disable(event).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_enabled(bev: *mut bufferevent) -> c_short {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_enabled", unsafe {
        try_from(bev).map_or(0, Bufferevent::enabled)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_timeouts(
    bev: *mut bufferevent,
    timeout_read: *const timeval,
    timeout_write: *const timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_set_timeouts", unsafe {
        try_from(bev).map_or(-1, |b| {
            b.set_timeouts(timeout(timeout_read), timeout(timeout_write))
                .status()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_setwatermark(
    bev: *mut bufferevent,
    events: c_short,
    lowmark: usize,
    highmark: usize,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_setwatermark", unsafe {
        if let Some(b) = try_from(bev) {
            b.set_watermark(events, lowmark, highmark);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_getwatermark(
    bev: *mut bufferevent,
    events: c_short,
    lowmark: *mut usize,
    highmark: *mut usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_getwatermark", unsafe {
        match try_from(bev).and_then(|b| b.watermark(events)) {
            Some((low, high)) => {
                write_out(lowmark, low);
                write_out(highmark, high);
                0
            }
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_flush(
    bev: *mut bufferevent,
    iotype: c_short,
    mode: bufferevent_flush_mode,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_flush", unsafe {
        match (try_from(bev), FlushMode::from_raw(mode)) {
            (Some(b), Some(mode)) => b.flush(iotype, mode),
            _ => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger(
    bev: *mut bufferevent,
    iotype: c_short,
    options: c_int,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_trigger", unsafe {
        if let Some(b) = try_from(bev) {
            b.trigger(iotype, options_of(options));
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger_event(
    bev: *mut bufferevent,
    what: c_short,
    options: c_int,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_trigger_event", unsafe {
        if let Some(b) = try_from(bev) {
            b.trigger_event(what, options_of(options));
        }
    })
}

// ----- per-call sizes --------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_read(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_set_max_single_read", unsafe {
        try_from(bev).map_or(-1, |b| b.set_max_single_read(size).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_write(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_set_max_single_write", unsafe {
        try_from(bev).map_or(-1, |b| {
            b.set_max_single_write(size);
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_read(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_max_single_read", unsafe {
        try_from(bev).map_or(-1, |b| b.max_single_read() as isize)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_write(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_max_single_write", unsafe {
        try_from(bev).map_or(-1, |b| b.max_single_write() as isize)
    })
}

// ----- pairs and filters -----------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_new(
    base: *mut event_base,
    options: c_int,
    pair: *mut *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_pair_new", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return -1;
        };
        if pair.is_null() {
            return -1;
        }
        match Bufferevent::pair_new(base, options_of(options)) {
            Some([a, b]) => {
                // SAFETY: the program passes room for two pointers.
                unsafe {
                    pair.write(to_mut_ptr(a.as_ptr()));
                    pair.add(1).write(to_mut_ptr(b.as_ptr()));
                }
                0
            }
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_get_partner(bev: *mut bufferevent) -> *mut bufferevent {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_pair_get_partner", unsafe {
        try_from(bev)
            .and_then(Bufferevent::partner)
            .map_or(ptr::null_mut(), |b| to_mut_ptr(b.as_ptr()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_filter_new(
    underlying: *mut bufferevent,
    input_filter: bufferevent_filter_cb,
    output_filter: bufferevent_filter_cb,
    options: c_int,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_filter_new", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(u) = (unsafe { try_from(underlying) }) else {
            return ptr::null_mut();
        };
        Bufferevent::filter_new(
            u,
            input_filter,
            output_filter,
            options_of(options),
            free_context,
            ctx,
        )
        .map_or(ptr::null_mut(), |b| to_mut_ptr(b.as_ptr()))
    })
}

// ----- rate limits -----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const timeval,
) -> *mut ev_token_bucket_cfg {
    ffi_boundary!("ev_token_bucket_cfg_new", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let tick = unsafe { borrow(tick_len) }.map(Tv::from_timeval_raw);
        TokenBucketCfg::new(read_rate, read_burst, write_rate, write_burst, tick)
            .and_then(|cfg| Shared::try_new(cfg).ok())
            .map_or(ptr::null_mut(), |cfg| {
                to_shared_const_ptr::<ev_token_bucket_cfg>(cfg).cast_mut()
            })
    })
}

/// Bufferevents still using the configuration keep their own share of it.
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_free(cfg: *mut ev_token_bucket_cfg) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("ev_token_bucket_cfg_free", unsafe {
        crate::ffi::free_shared(cfg)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_rate_limit(
    bev: *mut bufferevent,
    cfg: *mut ev_token_bucket_cfg,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_set_rate_limit", unsafe {
        try_from(bev).map_or(-1, |b| b.set_rate_limit(clone_shared(cfg)).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_token_bucket_cfg(
    bev: *const bufferevent,
) -> *const ev_token_bucket_cfg {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_token_bucket_cfg", unsafe {
        try_from(bev)
            .and_then(Bufferevent::token_bucket_cfg)
            // The bufferevent keeps another reference, so the pointer stays valid.
            .map_or(ptr::null(), |cfg| to_const_ptr(Shared::as_ptr(&cfg)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_read_limit(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_read_limit", unsafe {
        try_from(bev).map_or(-1, Bufferevent::read_limit)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_write_limit(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_write_limit", unsafe {
        try_from(bev).map_or(-1, Bufferevent::write_limit)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_read(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_max_to_read", unsafe {
        try_from(bev).map_or(-1, Bufferevent::max_to_read)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_write(bev: *mut bufferevent) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_get_max_to_write", unsafe {
        try_from(bev).map_or(-1, Bufferevent::max_to_write)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_read_limit(
    bev: *mut bufferevent,
    decr: isize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_decrement_read_limit", unsafe {
        try_from(bev).map_or(-1, |b| b.decrement_read_limit(decr).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_write_limit(
    bev: *mut bufferevent,
    decr: isize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_decrement_write_limit", unsafe {
        try_from(bev).map_or(-1, |b| b.decrement_write_limit(decr).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_new(
    base: *mut event_base,
    cfg: *const ev_token_bucket_cfg,
) -> *mut bufferevent_rate_limit_group {
    ffi_boundary!("bufferevent_rate_limit_group_new", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        match (unsafe { try_from(base) }, unsafe { try_from(cfg) }) {
            (Some(base), Some(cfg)) => {
                RateLimitGroup::new(base, cfg).map_or(ptr::null_mut(), to_boxed_mut_ptr)
            }
            _ => ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_cfg(
    g: *mut bufferevent_rate_limit_group,
    cfg: *const ev_token_bucket_cfg,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_set_cfg", unsafe {
        match (try_from(g), try_from(cfg)) {
            (Some(g), Some(cfg)) => {
                g.set_cfg(cfg);
                0
            }
            _ => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_min_share(
    g: *mut bufferevent_rate_limit_group,
    share: usize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_set_min_share", unsafe {
        try_from(g).map_or(-1, |g| g.set_min_share(share).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_free(g: *mut bufferevent_rate_limit_group) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_free", unsafe {
        if let Some(g) = to_box(g) {
            g.free();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_add_to_rate_limit_group(
    bev: *mut bufferevent,
    g: *mut bufferevent_rate_limit_group,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_add_to_rate_limit_group", unsafe {
        match (try_from(bev), try_from(g)) {
            (Some(b), Some(g)) => b.add_to_group(g).status(),
            _ => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut bufferevent) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_remove_from_rate_limit_group", unsafe {
        try_from(bev).map_or(-1, |b| b.remove_from_group().status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_read_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_get_read_limit", unsafe {
        try_from(g).map_or(-1, RateLimitGroup::read_limit)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_write_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_get_write_limit", unsafe {
        try_from(g).map_or(-1, RateLimitGroup::write_limit)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_read(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_decrement_read", unsafe {
        try_from(g).map_or(-1, |g| {
            g.decrement_read(decr);
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_write(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_decrement_write", unsafe {
        try_from(g).map_or(-1, |g| {
            g.decrement_write(decr);
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_totals(
    g: *mut bufferevent_rate_limit_group,
    total_read_out: *mut u64,
    total_written_out: *mut u64,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_get_totals", unsafe {
        if let Some(g) = try_from(g) {
            let (read, written) = g.totals();
            write_out(total_read_out, read);
            write_out(total_written_out, written);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_reset_totals(
    g: *mut bufferevent_rate_limit_group,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_rate_limit_group_reset_totals", unsafe {
        if let Some(g) = try_from(g) {
            g.reset_totals();
        }
    })
}

// ----- bufferevent_compat.h --------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn bufferevent_new(
    fd: c_int,
    readcb: bufferevent_data_cb,
    writecb: bufferevent_data_cb,
    eventcb: bufferevent_event_cb,
    cbarg: *mut c_void,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_new", {
        // SAFETY: NULL selects the base made by event_init.
        let Some(base) = (unsafe { base_or_current(ptr::null()) }) else {
            return ptr::null_mut();
        };
        match Bufferevent::socket_new(base, fd, 0) {
            Some(bev) => {
                // SAFETY: just made.
                unsafe { bev.as_ref() }.set_callbacks(readcb, writecb, eventcb, cbarg);
                to_mut_ptr(bev.as_ptr())
            }
            None => ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_settimeout(
    bev: *mut bufferevent,
    timeout_read: c_int,
    timeout_write: c_int,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("bufferevent_settimeout", unsafe {
        if let Some(b) = try_from(bev) {
            let secs = |s: c_int| {
                (s != 0).then_some(Tv {
                    sec: i64::from(s),
                    usec: 0,
                })
            };
            let _ = b.set_timeouts(secs(timeout_read), secs(timeout_write));
        }
    })
}
