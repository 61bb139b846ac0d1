//! Raw declarations of the C symbols libevent_core exports: the public API a sibling
//! uses (event2/*.h, same signatures) and the private sibling interface
//! (`capi/src/sibling.rs`). Declarations only; the safe wrappers are beside this module.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_short, c_uint, c_void};

// The private sibling interface.
extern "C" {
    pub fn evrs_sibling_interface_version() -> c_uint;
    pub fn event_mm_malloc_(size: usize) -> *mut c_void;
    pub fn event_mm_calloc_(count: usize, size: usize) -> *mut c_void;
    pub fn event_mm_realloc_(block: *mut c_void, size: usize) -> *mut c_void;
    pub fn event_mm_free_(block: *mut c_void);
    pub fn event_mm_strdup_(text: *const c_char) -> *mut c_char;
    pub fn evrs_sibling_log(severity: c_int, message: *const c_char);
    pub fn evrs_sibling_bufferevent_enable_locking(bev: *mut bufferevent) -> c_int;
    pub fn evrs_sibling_bufferevent_write_now(bev: *mut bufferevent) -> c_int;
    pub fn evrs_sibling_evbuffer_reset(buf: *mut evbuffer) -> c_int;
    pub fn evrs_sibling_evbuffer_shrink(buf: *mut evbuffer, keep_spare: c_int);
    pub fn evrs_sibling_bufferevent_write_now_with(
        bev: *mut bufferevent,
        data: *const c_void,
        len: usize,
    ) -> c_int;
}

/// Opaque libevent_core objects.
#[repr(C)]
pub struct event_base {
    _private: [u8; 0],
}
#[repr(C)]
pub struct event {
    _private: [u8; 0],
}
#[repr(C)]
pub struct evbuffer {
    _private: [u8; 0],
}
#[repr(C)]
pub struct bufferevent {
    _private: [u8; 0],
}
#[repr(C)]
pub struct evconnlistener {
    _private: [u8; 0],
}
#[repr(C)]
pub struct evdns_base {
    _private: [u8; 0],
}

/// `struct evbuffer_ptr` (event2/buffer.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_ptr {
    pub pos: isize,
    pub chain: *mut c_void,
    pub pos_in_chain: usize,
}

/// `struct evbuffer_iovec` (event2/buffer.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}

pub type evutil_socket_t = c_int;
pub type event_callback_fn = unsafe extern "C" fn(evutil_socket_t, c_short, *mut c_void);
pub type bufferevent_data_cb = unsafe extern "C" fn(*mut bufferevent, *mut c_void);
pub type bufferevent_event_cb = unsafe extern "C" fn(*mut bufferevent, c_short, *mut c_void);
pub type evconnlistener_cb = unsafe extern "C" fn(
    *mut evconnlistener,
    evutil_socket_t,
    *mut libc::sockaddr,
    c_int,
    *mut c_void,
);

pub const EV_TIMEOUT: c_short = 0x01;
pub const EV_READ: c_short = 0x02;
pub const EV_WRITE: c_short = 0x04;
pub const EV_PERSIST: c_short = 0x10;

pub const BEV_EVENT_READING: c_short = 0x01;
pub const BEV_EVENT_WRITING: c_short = 0x02;
pub const BEV_EVENT_EOF: c_short = 0x10;
pub const BEV_EVENT_ERROR: c_short = 0x20;
pub const BEV_EVENT_TIMEOUT: c_short = 0x40;
pub const BEV_EVENT_CONNECTED: c_short = 0x80;
pub const BEV_OPT_CLOSE_ON_FREE: c_int = 1;

pub const LEV_OPT_CLOSE_ON_FREE: c_uint = 1 << 1;
pub const LEV_OPT_CLOSE_ON_EXEC: c_uint = 1 << 2;
pub const LEV_OPT_REUSEABLE: c_uint = 1 << 3;

/// `EVBUFFER_EOL_CRLF`: a line ends at CRLF or at a bare LF.
pub const EVBUFFER_EOL_CRLF: c_int = 1;

// The public libevent_core API (event2/event.h, buffer.h, bufferevent.h, listener.h,
// util.h), with the headers' signatures.
extern "C" {
    pub fn event_base_get_running_event(base: *mut event_base) -> *mut event;
    pub fn event_base_gettimeofday_cached(base: *mut event_base, tv: *mut libc::timeval) -> c_int;
    pub fn event_new(
        base: *mut event_base,
        fd: evutil_socket_t,
        what: c_short,
        cb: Option<event_callback_fn>,
        arg: *mut c_void,
    ) -> *mut event;
    pub fn event_add(ev: *mut event, timeout: *const libc::timeval) -> c_int;
    pub fn event_del(ev: *mut event) -> c_int;
    pub fn event_free(ev: *mut event);
    pub fn event_active(ev: *mut event, res: c_int, ncalls: c_short);
    pub fn event_pending(ev: *const event, what: c_short, tv: *mut libc::timeval) -> c_int;

    pub fn evbuffer_new() -> *mut evbuffer;
    pub fn evbuffer_free(buf: *mut evbuffer);
    pub fn evbuffer_get_length(buf: *const evbuffer) -> usize;
    pub fn evbuffer_add(buf: *mut evbuffer, data: *const c_void, len: usize) -> c_int;
    pub fn evbuffer_add_buffer(dst: *mut evbuffer, src: *mut evbuffer) -> c_int;
    pub fn evbuffer_remove_buffer(src: *mut evbuffer, dst: *mut evbuffer, len: usize) -> c_int;
    pub fn evbuffer_copyout(buf: *mut evbuffer, data: *mut c_void, len: usize) -> isize;
    pub fn evbuffer_reserve_space(
        buf: *mut evbuffer,
        size: isize,
        vec: *mut evbuffer_iovec,
        n_vec: c_int,
    ) -> c_int;
    pub fn evbuffer_commit_space(
        buf: *mut evbuffer,
        vec: *mut evbuffer_iovec,
        n_vecs: c_int,
    ) -> c_int;
    pub fn evbuffer_drain(buf: *mut evbuffer, len: usize) -> c_int;
    pub fn evbuffer_pullup(buf: *mut evbuffer, size: isize) -> *mut u8;
    pub fn evbuffer_search_eol(
        buf: *mut evbuffer,
        start: *mut evbuffer_ptr,
        eol_len_out: *mut usize,
        eol_style: c_int,
    ) -> evbuffer_ptr;
    pub fn evbuffer_freeze(buf: *mut evbuffer, at_front: c_int) -> c_int;
    pub fn evbuffer_unfreeze(buf: *mut evbuffer, at_front: c_int) -> c_int;

    pub fn bufferevent_socket_new(
        base: *mut event_base,
        fd: evutil_socket_t,
        options: c_int,
    ) -> *mut bufferevent;
    pub fn bufferevent_socket_connect(
        bev: *mut bufferevent,
        addr: *const libc::sockaddr,
        socklen: c_int,
    ) -> c_int;
    pub fn bufferevent_socket_connect_hostname(
        bev: *mut bufferevent,
        dns: *mut evdns_base,
        family: c_int,
        hostname: *const c_char,
        port: c_int,
    ) -> c_int;
    pub fn bufferevent_socket_get_dns_error(bev: *mut bufferevent) -> c_int;
    pub fn bufferevent_setcb(
        bev: *mut bufferevent,
        readcb: Option<bufferevent_data_cb>,
        writecb: Option<bufferevent_data_cb>,
        eventcb: Option<bufferevent_event_cb>,
        cbarg: *mut c_void,
    );
    pub fn bufferevent_enable(bev: *mut bufferevent, event: c_short) -> c_int;
    pub fn bufferevent_disable(bev: *mut bufferevent, event: c_short) -> c_int;
    pub fn bufferevent_get_enabled(bev: *mut bufferevent) -> c_short;
    pub fn bufferevent_set_max_single_read(bev: *mut bufferevent, size: usize) -> c_int;
    pub fn bufferevent_set_max_single_write(bev: *mut bufferevent, size: usize) -> c_int;
    pub fn bufferevent_get_input(bev: *mut bufferevent) -> *mut evbuffer;
    pub fn bufferevent_get_output(bev: *mut bufferevent) -> *mut evbuffer;
    pub fn bufferevent_set_timeouts(
        bev: *mut bufferevent,
        timeout_read: *const libc::timeval,
        timeout_write: *const libc::timeval,
    ) -> c_int;
    pub fn bufferevent_free(bev: *mut bufferevent);
    pub fn bufferevent_getfd(bev: *mut bufferevent) -> evutil_socket_t;
    pub fn bufferevent_setfd(bev: *mut bufferevent, fd: evutil_socket_t) -> c_int;
    pub fn bufferevent_replacefd(bev: *mut bufferevent, fd: evutil_socket_t) -> c_int;
    pub fn bufferevent_get_base(bev: *mut bufferevent) -> *mut event_base;
    pub fn bufferevent_base_set(base: *mut event_base, bev: *mut bufferevent) -> c_int;

    pub fn evconnlistener_new(
        base: *mut event_base,
        cb: Option<evconnlistener_cb>,
        ptr: *mut c_void,
        flags: c_uint,
        backlog: c_int,
        fd: evutil_socket_t,
    ) -> *mut evconnlistener;
    pub fn evconnlistener_free(lev: *mut evconnlistener);
    pub fn evconnlistener_get_fd(lev: *mut evconnlistener) -> evutil_socket_t;
    pub fn evconnlistener_set_cb(
        lev: *mut evconnlistener,
        cb: Option<evconnlistener_cb>,
        arg: *mut c_void,
    );

    pub fn evutil_closesocket(sock: evutil_socket_t) -> c_int;
    pub fn evutil_make_socket_nonblocking(sock: evutil_socket_t) -> c_int;
    pub fn evutil_make_socket_closeonexec(sock: evutil_socket_t) -> c_int;
    pub fn evutil_make_listen_socket_reuseable(sock: evutil_socket_t) -> c_int;
    pub fn evutil_getaddrinfo(
        nodename: *const c_char,
        servname: *const c_char,
        hints: *const libc::addrinfo,
        res: *mut *mut libc::addrinfo,
    ) -> c_int;
    pub fn evutil_freeaddrinfo(ai: *mut libc::addrinfo);
}

// For WebSocket sessions (libevent_extra's evhttp/websocket.rs).
pub const BEV_OPT_THREADSAFE: c_int = 1 << 1;
/// `BEV_TRIG_IGNORE_WATERMARKS`.
pub const BEV_TRIG_IGNORE_WATERMARKS: c_int = 1 << 16;
/// `BEV_TRIG_DEFER_CALLBACKS` (`BEV_OPT_DEFER_CALLBACKS`).
pub const BEV_TRIG_DEFER_CALLBACKS: c_int = 1 << 2;

extern "C" {
    pub fn bufferevent_lock(bev: *mut bufferevent);
    pub fn bufferevent_unlock(bev: *mut bufferevent);
    pub fn bufferevent_trigger(bev: *mut bufferevent, iotype: c_short, options: c_int);
    pub fn evbuffer_expand(buf: *mut evbuffer, datlen: usize) -> c_int;
}

// Version 3 of the private sibling interface: locks, and DNS for libevent_core.
extern "C" {
    pub fn evrs_sibling_lock_new(recursive: c_int) -> *mut c_void;
    pub fn evrs_sibling_lock_acquire(lock: *mut c_void);
    pub fn evrs_sibling_lock_release(lock: *mut c_void);
    pub fn evrs_sibling_lock_free(lock: *mut c_void);
    /// The 1.x API's current base (`event_init`'s), NULL if there is none.
    pub fn evrs_sibling_current_base() -> *mut event_base;
    pub fn evrs_sibling_set_dns_resolver(
        start: Option<DnsGetaddrinfoFn>,
        cancel: Option<DnsGetaddrinfoCancelFn>,
    );
    pub fn evrs_sibling_addrinfo_new(
        addr: *const libc::sockaddr,
        addrlen: libc::socklen_t,
        socktype: c_int,
        protocol: c_int,
        flags: c_int,
        canonname: *const c_char,
        next: *mut libc::addrinfo,
    ) -> *mut libc::addrinfo;
}

/// `evdns_getaddrinfo_cb`.
pub type DnsGetaddrinfoCb = unsafe extern "C" fn(c_int, *mut libc::addrinfo, *mut c_void);
/// `evdns_getaddrinfo`'s signature, as the core calls it.
pub type DnsGetaddrinfoFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    *const c_char,
    *const libc::addrinfo,
    DnsGetaddrinfoCb,
    *mut c_void,
) -> *mut c_void;
/// `evdns_getaddrinfo_cancel`'s signature.
pub type DnsGetaddrinfoCancelFn = unsafe extern "C" fn(*mut c_void);

// evdns resolver: the core's public functions the resolver uses.
extern "C" {
    pub fn evutil_secure_rng_get_bytes(buf: *mut c_void, n: usize);
}

// evdns getaddrinfo: the core's public functions evdns_getaddrinfo uses.
extern "C" {
    pub fn evutil_gai_strerror(err: c_int) -> *const c_char;
}

// evdns server: the core's public functions the DNS server uses.
extern "C" {
    pub fn evconnlistener_enable(lev: *mut evconnlistener) -> c_int;
    pub fn evconnlistener_get_base(lev: *mut evconnlistener) -> *mut event_base;
    pub fn bufferevent_write(bev: *mut bufferevent, data: *const c_void, size: usize) -> c_int;
    pub fn bufferevent_setwatermark(
        bev: *mut bufferevent,
        events: c_short,
        lowmark: usize,
        highmark: usize,
    );
}

// Version 4 of the private sibling interface: bufferevent kinds implemented by a
// sibling (the TLS bufferevents); version 5 adds `evrs_sibling_bufferevent_foreign_ops`.

/// `struct evrs_sibling_bev_ops`: a sibling's bufferevent kind, each operation called
/// with the bufferevent's lock held and the kind's context. `enable`, `disable` and
/// `destruct` are required.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evrs_sibling_bev_ops {
    /// `size_of::<evrs_sibling_bev_ops>()`.
    pub size: usize,
    pub enable: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short) -> c_int>,
    pub disable: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short) -> c_int>,
    pub unlink: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent)>,
    pub destruct: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent)>,
    pub flush: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, c_short, c_int) -> c_int>,
    pub get_fd: Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent) -> evutil_socket_t>,
    pub set_fd:
        Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent, evutil_socket_t) -> c_int>,
    pub get_underlying:
        Option<unsafe extern "C" fn(*mut c_void, *mut bufferevent) -> *mut bufferevent>,
}

/// `evrs_sibling_bufferevent_new_foreign`'s flag: `ev_read`/`ev_write` watch the
/// descriptor (socket-like timeouts) rather than being the core's timeout-only events.
pub const EVRS_SIBLING_FOREIGN_TIMEOUTS_ON_FD: c_int = 1;

/// `BEV_SUSPEND_*`: why a direction is suspended.
pub const BEV_SUSPEND_WM: c_uint = 0x01;
pub const BEV_SUSPEND_BW: c_uint = 0x02;
pub const BEV_SUSPEND_BW_GROUP: c_uint = 0x04;
pub const BEV_SUSPEND_LOOKUP: c_uint = 0x08;
pub const BEV_SUSPEND_FILT_READ: c_uint = 0x10;

pub const EV_FINALIZE: c_short = 0x40;
pub const BEV_OPT_DEFER_CALLBACKS: c_int = 1 << 2;
pub const BEV_OPT_UNLOCK_CALLBACKS: c_int = 1 << 3;

extern "C" {
    pub fn evrs_sibling_bufferevent_new_foreign(
        base: *mut event_base,
        options: c_int,
        ops: *const evrs_sibling_bev_ops,
        ctx: *mut c_void,
        flags: c_int,
    ) -> *mut bufferevent;
    pub fn evrs_sibling_bufferevent_foreign_ctx(
        bev: *mut bufferevent,
        ops: *const evrs_sibling_bev_ops,
    ) -> *mut c_void;
    pub fn evrs_sibling_bufferevent_foreign_ops(
        bev: *mut bufferevent,
    ) -> *const evrs_sibling_bev_ops;
    pub fn evrs_sibling_bufferevent_options(bev: *mut bufferevent) -> c_int;
    pub fn evrs_sibling_bufferevent_event(bev: *mut bufferevent, which: c_short) -> *mut event;
    pub fn evrs_sibling_bufferevent_add_event(bev: *mut bufferevent, which: c_short) -> c_int;
    pub fn evrs_sibling_bufferevent_suspend(
        bev: *mut bufferevent,
        which: c_short,
        reasons: c_uint,
    ) -> c_int;
    pub fn evrs_sibling_bufferevent_unsuspend(
        bev: *mut bufferevent,
        which: c_short,
        reasons: c_uint,
    ) -> c_int;
    pub fn evrs_sibling_bufferevent_suspended(bev: *mut bufferevent, which: c_short) -> c_int;
    pub fn evrs_sibling_bufferevent_decrement_buckets(
        bev: *mut bufferevent,
        which: c_short,
        bytes: isize,
    ) -> c_int;
    pub fn evrs_sibling_bufferevent_run_eventcb(
        bev: *mut bufferevent,
        events: c_short,
        options: c_int,
        error: c_int,
    );
    pub fn evrs_sibling_bufferevent_connecting(bev: *mut bufferevent) -> c_int;
    pub fn evrs_sibling_bufferevent_set_connecting(bev: *mut bufferevent, connecting: c_int);
    pub fn evrs_sibling_bufferevent_incref_and_lock(bev: *mut bufferevent);
    pub fn evrs_sibling_bufferevent_decref_and_unlock(bev: *mut bufferevent) -> c_int;
}

// The public functions a sibling's bufferevent kind uses besides those above.
extern "C" {
    pub fn event_assign(
        ev: *mut event,
        base: *mut event_base,
        fd: evutil_socket_t,
        events: c_short,
        callback: Option<event_callback_fn>,
        arg: *mut c_void,
    ) -> c_int;
    pub fn event_initialized(ev: *const event) -> c_int;
    pub fn event_get_fd(ev: *const event) -> evutil_socket_t;
    pub fn bufferevent_trigger_event(bev: *mut bufferevent, what: c_short, options: c_int);
    pub fn bufferevent_incref(bev: *mut bufferevent);
    pub fn bufferevent_decref(bev: *mut bufferevent) -> c_int;
    pub fn bufferevent_get_max_to_read(bev: *mut bufferevent) -> isize;
    pub fn bufferevent_get_max_to_write(bev: *mut bufferevent) -> isize;
    pub fn bufferevent_get_underlying(bev: *mut bufferevent) -> *mut bufferevent;
}
