//! `event2/bufferevent.h` and `event2/bufferevent_compat.h`: buffered I/O on sockets,
//! pairs and filters, with rate limits. (`bufferevent_get_input`/`_output` are in
//! `buffer.rs`, after the header the API lists them under.)

use std::ffi::{c_char, c_int, c_short, c_void};
use std::ptr::{self, NonNull};

use evrs::bufferevent::ratelim::{RateLimitGroup, TokenBucketCfg};
use evrs::bufferevent::{
    Bufferevent, DataCallbackFn, EventCallbackFn, FilterFn, FlushMode, SocketAddress,
};
use evrs::event::Tv;
use evrs::util::resolve::Hints;
use evrs::util::shared::Shared;

use crate::buffer::evbuffer;
use crate::event::{base_or_current, event_base};
use crate::ffi::{borrow, cstr, write_out};
use crate::util::{evutil_addrinfo, sockaddr, timeval};

/// `struct bufferevent`.
pub type bufferevent = Bufferevent;
/// `struct ev_token_bucket_cfg` (opaque to C).
pub type ev_token_bucket_cfg = TokenBucketCfg;
/// `struct bufferevent_rate_limit_group` (opaque to C).
pub type bufferevent_rate_limit_group = RateLimitGroup;
/// `struct evdns_base` (opaque; host names are resolved without it for now).
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

fn status<E>(r: Result<(), E>) -> c_int {
    if r.is_ok() {
        0
    } else {
        -1
    }
}

/// A live bufferevent, or None for NULL.
///
/// # Safety
/// `bev` is NULL or a bufferevent of this library that was not freed.
#[inline]
unsafe fn live<'a>(bev: *const bufferevent) -> Option<&'a Bufferevent> {
    // SAFETY: guaranteed by the caller; the memory stays until the loop tears it down.
    unsafe { borrow(bev) }
}

/// A timeout argument; NULL (or zero) means none.
///
/// # Safety
/// `tv` is NULL or points to a readable timeval.
unsafe fn timeout(tv: *const timeval) -> Option<Tv> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow(tv) }
        .map(|tv| Tv {
            sec: tv.tv_sec,
            usec: tv.tv_usec,
        })
        .filter(|tv| *tv != Tv::ZERO)
}

fn options_of(options: c_int) -> u32 {
    options as u32
}

// ----- socket bufferevents ---------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_new(
    base: *mut event_base,
    fd: c_int,
    options: c_int,
) -> *mut bufferevent {
    ffi_boundary!("bufferevent_socket_new", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        Bufferevent::socket_new(base, fd, options_of(options))
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect(
    bev: *mut bufferevent,
    addr: *const sockaddr,
    socklen: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect", {
        // SAFETY: crate contract.
        let Some(bev) = (unsafe { live(bev) }) else {
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
        status(bev.connect(address.as_ref()))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut bufferevent,
    _dns_base: *mut evdns_base,
    family: c_int,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect_hostname", {
        // SAFETY: crate contract.
        let (Some(bev), Some(host)) = (unsafe { live(bev) }, unsafe { cstr(hostname) }) else {
            return -1;
        };
        let hints = Hints {
            flags: 0,
            family,
            socktype: libc::SOCK_STREAM,
            protocol: libc::IPPROTO_TCP,
        };
        status(bev.connect_hostname(&hints, host, port))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_connect_hostname_hints(
    bev: *mut bufferevent,
    _dns_base: *mut evdns_base,
    hints_in: *const evutil_addrinfo,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    ffi_boundary!("bufferevent_socket_connect_hostname_hints", {
        // SAFETY: crate contract.
        let (Some(bev), Some(host), Some(h)) =
            (unsafe { live(bev) }, unsafe { cstr(hostname) }, unsafe {
                borrow(hints_in)
            })
        else {
            return -1;
        };
        let hints = Hints {
            flags: h.ai_flags,
            family: h.ai_family,
            socktype: h.ai_socktype,
            protocol: h.ai_protocol,
        };
        status(bev.connect_hostname(&hints, host, port))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_socket_get_dns_error(bev: *mut bufferevent) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_socket_get_dns_error", unsafe {
        live(bev).map_or(0, Bufferevent::dns_error)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_base_set(
    base: *mut event_base,
    bev: *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_base_set", {
        // SAFETY: crate contract.
        let (Some(base), Some(bev)) = (unsafe { borrow(base) }, unsafe { live(bev) }) else {
            return -1;
        };
        status(bev.set_base(base))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_base", unsafe {
        live(bev).map_or(ptr::null_mut(), |b| {
            (b.base() as *const event_base).cast_mut()
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_priority_set(bev: *mut bufferevent, priority: c_int) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_priority_set", unsafe {
        live(bev).map_or(-1, |b| status(b.set_priority(priority)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_priority(bev: *const bufferevent) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_priority", unsafe {
        live(bev).map_or(-1, Bufferevent::priority)
    })
}

// ----- lifetime, locking and callbacks ---------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_free(bev: *mut bufferevent) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_free", unsafe {
        if let Some(b) = live(bev) {
            b.free();
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_incref(bev: *mut bufferevent) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_incref", unsafe {
        if let Some(b) = live(bev) {
            b.incref();
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_decref(bev: *mut bufferevent) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_decref", unsafe {
        live(bev).map_or(-1, |b| c_int::from(b.decref()))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_lock(bev: *mut bufferevent) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_lock", unsafe {
        if let Some(b) = live(bev) {
            b.lock();
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_unlock(bev: *mut bufferevent) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_unlock", unsafe {
        if let Some(b) = live(bev) {
            b.unlock();
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_setcb(
    bev: *mut bufferevent,
    readcb: bufferevent_data_cb,
    writecb: bufferevent_data_cb,
    eventcb: bufferevent_event_cb,
    cbarg: *mut c_void,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_setcb", unsafe {
        if let Some(b) = live(bev) {
            b.set_callbacks(readcb, writecb, eventcb, cbarg);
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_getcb(
    bev: *mut bufferevent,
    readcb_ptr: *mut bufferevent_data_cb,
    writecb_ptr: *mut bufferevent_data_cb,
    eventcb_ptr: *mut bufferevent_event_cb,
    cbarg_ptr: *mut *mut c_void,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_getcb", unsafe {
        if let Some(b) = live(bev) {
            let (r, w, e, arg) = b.callbacks();
            write_out(readcb_ptr, r);
            write_out(writecb_ptr, w);
            write_out(eventcb_ptr, e);
            write_out(cbarg_ptr, arg);
        }
    })
}

// ----- descriptors and layering ----------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_setfd(bev: *mut bufferevent, fd: c_int) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_setfd", unsafe {
        live(bev).map_or(-1, |b| status(b.set_fd(fd)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_replacefd(bev: *mut bufferevent, fd: c_int) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_replacefd", unsafe {
        live(bev).map_or(-1, |b| status(b.replace_fd(fd)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_getfd(bev: *mut bufferevent) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_getfd", unsafe {
        live(bev).map_or(-1, Bufferevent::fd)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_underlying(bev: *mut bufferevent) -> *mut bufferevent {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_underlying", unsafe {
        live(bev)
            .and_then(Bufferevent::underlying)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

// ----- data ------------------------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_write(
    bev: *mut bufferevent,
    data: *const c_void,
    size: usize,
) -> c_int {
    ffi_boundary!("bufferevent_write", {
        // SAFETY: crate contract.
        let Some(b) = (unsafe { live(bev) }) else {
            return -1;
        };
        if size == 0 {
            return status(b.write(&[]));
        }
        if data.is_null() || size > isize::MAX as usize {
            return -1;
        }
        // SAFETY: the program passes `size` readable bytes at `data`.
        status(b.write(unsafe { std::slice::from_raw_parts(data.cast(), size) }))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_write_buffer(
    bev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    ffi_boundary!("bufferevent_write_buffer", {
        // SAFETY: crate contract.
        let (Some(b), Some(buf)) = (unsafe { live(bev) }, unsafe { borrow(buf) }) else {
            return -1;
        };
        status(b.write_buffer(buf))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_read(
    bev: *mut bufferevent,
    data: *mut c_void,
    size: usize,
) -> usize {
    ffi_boundary!("bufferevent_read", {
        // SAFETY: crate contract.
        let Some(b) = (unsafe { live(bev) }) else {
            return 0;
        };
        if size == 0 || data.is_null() || size > isize::MAX as usize {
            return 0;
        }
        // SAFETY: the program passes `size` writable bytes at `data`.
        b.read(unsafe { std::slice::from_raw_parts_mut(data.cast(), size) })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_read_buffer(
    bev: *mut bufferevent,
    buf: *mut evbuffer,
) -> c_int {
    ffi_boundary!("bufferevent_read_buffer", {
        // SAFETY: crate contract.
        let (Some(b), Some(buf)) = (unsafe { live(bev) }, unsafe { borrow(buf) }) else {
            return -1;
        };
        status(b.read_buffer(buf))
    })
}

// ----- enabling, timeouts, watermarks, flushing and triggering ---------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_enable(bev: *mut bufferevent, event: c_short) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_enable", unsafe {
        live(bev).map_or(-1, |b| status(b.enable(event)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_disable(bev: *mut bufferevent, event: c_short) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_disable", unsafe {
        live(bev).map_or(-1, |b| status(b.disable(event)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_enabled(bev: *mut bufferevent) -> c_short {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_enabled", unsafe {
        live(bev).map_or(0, Bufferevent::enabled)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_timeouts(
    bev: *mut bufferevent,
    timeout_read: *const timeval,
    timeout_write: *const timeval,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_set_timeouts", unsafe {
        live(bev).map_or(-1, |b| {
            status(b.set_timeouts(timeout(timeout_read), timeout(timeout_write)))
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_setwatermark(
    bev: *mut bufferevent,
    events: c_short,
    lowmark: usize,
    highmark: usize,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_setwatermark", unsafe {
        if let Some(b) = live(bev) {
            b.set_watermark(events, lowmark, highmark);
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_getwatermark(
    bev: *mut bufferevent,
    events: c_short,
    lowmark: *mut usize,
    highmark: *mut usize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_getwatermark", unsafe {
        match live(bev).and_then(|b| b.watermark(events)) {
            Some((low, high)) => {
                write_out(lowmark, low);
                write_out(highmark, high);
                0
            }
            None => -1,
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_flush(
    bev: *mut bufferevent,
    iotype: c_short,
    mode: bufferevent_flush_mode,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_flush", unsafe {
        match (live(bev), FlushMode::from_raw(mode)) {
            (Some(b), Some(mode)) => b.flush(iotype, mode),
            _ => -1,
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger(
    bev: *mut bufferevent,
    iotype: c_short,
    options: c_int,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_trigger", unsafe {
        if let Some(b) = live(bev) {
            b.trigger(iotype, options_of(options));
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_trigger_event(
    bev: *mut bufferevent,
    what: c_short,
    options: c_int,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_trigger_event", unsafe {
        if let Some(b) = live(bev) {
            b.trigger_event(what, options_of(options));
        }
    })
}

// ----- per-call sizes --------------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_read(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_set_max_single_read", unsafe {
        live(bev).map_or(-1, |b| status(b.set_max_single_read(size)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_write(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_set_max_single_write", unsafe {
        live(bev).map_or(-1, |b| {
            b.set_max_single_write(size);
            0
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_read(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_max_single_read", unsafe {
        live(bev).map_or(-1, |b| b.max_single_read() as isize)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_write(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_max_single_write", unsafe {
        live(bev).map_or(-1, |b| b.max_single_write() as isize)
    })
}

// ----- pairs and filters -----------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_new(
    base: *mut event_base,
    options: c_int,
    pair: *mut *mut bufferevent,
) -> c_int {
    ffi_boundary!("bufferevent_pair_new", {
        // SAFETY: crate contract.
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
                    pair.write(a.as_ptr());
                    pair.add(1).write(b.as_ptr());
                }
                0
            }
            None => -1,
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_pair_get_partner(bev: *mut bufferevent) -> *mut bufferevent {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_pair_get_partner", unsafe {
        live(bev)
            .and_then(Bufferevent::partner)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
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
        // SAFETY: crate contract.
        let Some(u) = (unsafe { live(underlying) }) else {
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
        .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

// ----- rate limits -----------------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const timeval,
) -> *mut ev_token_bucket_cfg {
    ffi_boundary!("ev_token_bucket_cfg_new", {
        // SAFETY: crate contract.
        let tick = unsafe { borrow(tick_len) }.map(|tv| Tv {
            sec: tv.tv_sec,
            usec: tv.tv_usec,
        });
        TokenBucketCfg::new(read_rate, read_burst, write_rate, write_burst, tick)
            .and_then(|cfg| Shared::try_new(cfg).ok())
            .map_or(ptr::null_mut(), |cfg| Shared::into_raw(cfg).cast_mut())
    })
}

/// The configuration behind a `ev_token_bucket_cfg *`, as a new shared handle.
///
/// # Safety
/// `cfg` is NULL or came from `ev_token_bucket_cfg_new` and was not freed.
unsafe fn shared_cfg(cfg: *const ev_token_bucket_cfg) -> Option<Shared<TokenBucketCfg>> {
    if cfg.is_null() {
        return None;
    }
    // SAFETY: from Shared::into_raw in `ev_token_bucket_cfg_new`, still counted by the
    // program's handle, which ManuallyDrop leaves alone.
    let handle = std::mem::ManuallyDrop::new(unsafe { Shared::from_raw(cfg) });
    Some(Shared::clone(&handle))
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
/// Bufferevents still using the configuration keep their own share of it.
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_free(cfg: *mut ev_token_bucket_cfg) {
    ffi_boundary!("ev_token_bucket_cfg_free", {
        if !cfg.is_null() {
            // SAFETY: the program's handle from `ev_token_bucket_cfg_new`, given up here.
            drop(unsafe { Shared::from_raw(cfg.cast_const()) });
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_rate_limit(
    bev: *mut bufferevent,
    cfg: *mut ev_token_bucket_cfg,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_set_rate_limit", unsafe {
        live(bev).map_or(-1, |b| status(b.set_rate_limit(shared_cfg(cfg))))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_token_bucket_cfg(
    bev: *const bufferevent,
) -> *const ev_token_bucket_cfg {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_token_bucket_cfg", unsafe {
        live(bev)
            .and_then(Bufferevent::token_bucket_cfg)
            .map_or(ptr::null(), |cfg| Shared::as_ptr(&cfg))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_read_limit(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_read_limit", unsafe {
        live(bev).map_or(-1, Bufferevent::read_limit)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_write_limit(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_write_limit", unsafe {
        live(bev).map_or(-1, Bufferevent::write_limit)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_read(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_max_to_read", unsafe {
        live(bev).map_or(-1, Bufferevent::max_to_read)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_write(bev: *mut bufferevent) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_get_max_to_write", unsafe {
        live(bev).map_or(-1, Bufferevent::max_to_write)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_read_limit(
    bev: *mut bufferevent,
    decr: isize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_decrement_read_limit", unsafe {
        live(bev).map_or(-1, |b| status(b.decrement_read_limit(decr)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_write_limit(
    bev: *mut bufferevent,
    decr: isize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_decrement_write_limit", unsafe {
        live(bev).map_or(-1, |b| status(b.decrement_write_limit(decr)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_new(
    base: *mut event_base,
    cfg: *const ev_token_bucket_cfg,
) -> *mut bufferevent_rate_limit_group {
    ffi_boundary!("bufferevent_rate_limit_group_new", {
        // SAFETY: crate contract.
        match (unsafe { borrow(base) }, unsafe { borrow(cfg) }) {
            (Some(base), Some(cfg)) => {
                RateLimitGroup::new(base, cfg).map_or(ptr::null_mut(), Box::into_raw)
            }
            _ => ptr::null_mut(),
        }
    })
}

/// A live group, or None for NULL.
///
/// # Safety
/// `group` is NULL or a group of this library that was not freed.
unsafe fn group<'a>(group: *const bufferevent_rate_limit_group) -> Option<&'a RateLimitGroup> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow(group) }
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_cfg(
    g: *mut bufferevent_rate_limit_group,
    cfg: *const ev_token_bucket_cfg,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_set_cfg", unsafe {
        match (group(g), borrow(cfg)) {
            (Some(g), Some(cfg)) => {
                g.set_cfg(cfg);
                0
            }
            _ => -1,
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_min_share(
    g: *mut bufferevent_rate_limit_group,
    share: usize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_set_min_share", unsafe {
        group(g).map_or(-1, |g| status(g.set_min_share(share)))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_free(g: *mut bufferevent_rate_limit_group) {
    ffi_boundary!("bufferevent_rate_limit_group_free", {
        if !g.is_null() {
            // SAFETY: from Box::into_raw in `bufferevent_rate_limit_group_new`.
            unsafe { Box::from_raw(g) }.free();
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_add_to_rate_limit_group(
    bev: *mut bufferevent,
    g: *mut bufferevent_rate_limit_group,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_add_to_rate_limit_group", unsafe {
        match (live(bev), group(g)) {
            (Some(b), Some(g)) => status(b.add_to_group(g)),
            _ => -1,
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut bufferevent) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_remove_from_rate_limit_group", unsafe {
        live(bev).map_or(-1, |b| status(b.remove_from_group()))
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_read_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_get_read_limit", unsafe {
        group(g).map_or(-1, RateLimitGroup::read_limit)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_write_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_get_write_limit", unsafe {
        group(g).map_or(-1, RateLimitGroup::write_limit)
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_read(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_decrement_read", unsafe {
        group(g).map_or(-1, |g| {
            g.decrement_read(decr);
            0
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_write(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_decrement_write", unsafe {
        group(g).map_or(-1, |g| {
            g.decrement_write(decr);
            0
        })
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_totals(
    g: *mut bufferevent_rate_limit_group,
    total_read_out: *mut u64,
    total_written_out: *mut u64,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_get_totals", unsafe {
        if let Some(g) = group(g) {
            let (read, written) = g.totals();
            write_out(total_read_out, read);
            write_out(total_written_out, written);
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_reset_totals(
    g: *mut bufferevent_rate_limit_group,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_rate_limit_group_reset_totals", unsafe {
        if let Some(g) = group(g) {
            g.reset_totals();
        }
    })
}

// ----- bufferevent_compat.h --------------------------------------------------------------

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
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
                bev.as_ptr()
            }
            None => ptr::null_mut(),
        }
    })
}

/// # Safety
/// Pointer arguments are NULL or valid as the header documents (crate contract).
#[no_mangle]
pub unsafe extern "C" fn bufferevent_settimeout(
    bev: *mut bufferevent,
    timeout_read: c_int,
    timeout_write: c_int,
) {
    // SAFETY: crate contract.
    ffi_boundary!("bufferevent_settimeout", unsafe {
        if let Some(b) = live(bev) {
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
