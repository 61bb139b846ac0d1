//! `struct evhttp_connection`: one HTTP/1.x connection, incoming (a server's) or
//! outgoing (a client's), and the engine that reads messages from its bufferevent and
//! writes them to it.
//!
//! Program callbacks may free the request, the connection or the server from inside
//! any callback. The connection is a heap object reached by raw pointer; every call
//! into program code (or into a core function that can run it) is preceded by copying
//! out what is needed and followed by a liveness check through `alive`.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_short, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::alloc::{try_box, LiveFlag};
use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::handler::{self, BuffereventHandler, EventHandler};
use evrs_sibling::sys::{self, bufferevent};

use super::keyvalq::{self, evkeyvalq};
use super::parse::{self, method, HeaderLine};
use super::request::{self, error, field, set_field, Req, KIND_REQUEST, KIND_RESPONSE};
use super::server::{self, evhttp};
use super::uri_link;

pub type CloseCb = unsafe extern "C" fn(*mut evhttp_connection, *mut c_void);
pub type ChunkWrittenCb = unsafe extern "C" fn(*mut evhttp_connection, *mut c_void);

/// `struct evhttp_ext_method`.
#[repr(C)]
pub struct evhttp_ext_method {
    pub method: *const c_char,
    pub type_: u32,
    pub flags: u16,
}
pub type ExtMethodCb = unsafe extern "C" fn(*mut evhttp_ext_method) -> c_int;
pub const METHOD_HAS_BODY: u16 = 1;

// Connection flags: the public EVHTTP_CON_* ones and libevent's private ones.
pub const CON_INCOMING: u32 = 0x0001;
pub const CON_OUTGOING: u32 = 0x0002;
pub const CON_CLOSEDETECT: u32 = 0x0004;
pub const CON_REUSE_CONNECTED_ADDR: u32 = 0x0008;
pub const CON_READ_ON_WRITE_ERROR: u32 = 0x0010;
pub const CON_LINGERING_CLOSE: u32 = 0x0020;
pub const CON_PUBLIC_FLAGS_END: u32 = 0x100000;
pub const CON_AUTOFREE: u32 = CON_PUBLIC_FLAGS_END;
pub const CON_READING_ERROR: u32 = CON_AUTOFREE << 1;

pub const HTTP_CONNECT_TIMEOUT: i64 = 45;
pub const HTTP_READ_TIMEOUT: i64 = 50;
pub const HTTP_WRITE_TIMEOUT: i64 = 50;
pub const HTTP_INITIAL_RETRY_TIMEOUT: i64 = 2;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Disconnected,
    Connecting,
    Idle,
    ReadingFirstline,
    ReadingHeaders,
    ReadingBody,
    ReadingTrailer,
    Writing,
}

/// What to do once the output buffer has been written (libevent's `evcon->cb`).
#[derive(Clone, Copy)]
enum WriteDone {
    Nothing,
    /// A server's reply is out: next request or close.
    SendDone,
    /// A client's request is out: read the response.
    RequestWritten,
    /// `100 Continue` is out.
    ContinueDone,
    /// A chunk of a reply is out (`evhttp_send_reply_chunk_with_cb`).
    Program(ChunkWrittenCb, *mut c_void),
}

/// Outcome of a read step.
enum Status {
    AllDataRead,
    MoreDataExpected,
    DataCorrupted,
    DataTooLong,
    RequestCanceled,
}

pub struct evhttp_connection {
    pub(crate) bev: *mut bufferevent,
    pub(crate) base: *mut sys::event_base,
    pub(crate) state: State,
    pub(crate) flags: u32,
    pub(crate) requests: VecDeque<Req>,
    pub(crate) server: *mut evhttp,
    /// The peer's numeric address (incoming) or the host to connect to (outgoing).
    pub(crate) address: *mut c_char,
    pub(crate) port: u16,
    pub(crate) bind_address: *mut c_char,
    pub(crate) bind_port: u16,
    pub(crate) family: c_int,
    pub(crate) dns_base: *mut sys::evdns_base,
    pub(crate) unixsocket: Option<Vec<u8>>,
    pub(crate) timeout_connect: libc::timeval,
    pub(crate) timeout_read: libc::timeval,
    pub(crate) timeout_write: libc::timeval,
    pub(crate) initial_retry: libc::timeval,
    pub(crate) retry_cnt: c_int,
    pub(crate) retry_max: c_int,
    retry_ev: *mut sys::event,
    deferred_read_ev: *mut sys::event,
    /// Runs the "written" step of a message that `write_buffer` sent at once.
    write_done_ev: *mut sys::event,
    /// The bufferevent takes direct writes (a socket one): `EV_WRITE` is then enabled
    /// only while output waits for the socket.
    direct_write: bool,
    pub(crate) max_headers_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) closecb: Option<CloseCb>,
    pub(crate) closecb_arg: *mut c_void,
    pub(crate) ext_method_cmp: Option<ExtMethodCb>,
    write_done: WriteDone,
    /// The peer's socket address, for `evhttp_connection_get_addr`.
    pub(crate) peer_addr: libc::sockaddr_storage,
    pub(crate) peer_addr_len: libc::socklen_t,
    /// Cleared when the connection is freed; callers keep a clone across program code.
    alive: LiveFlag,
}

pub type Conn = NonNull<evhttp_connection>;

/// A short borrow of a live connection, for one statement: never kept across program
/// code.
macro_rules! cx {
    ($conn:expr) => {
        $crate::evhttp::connection::place($conn)
    };
}

/// See `cx!`.
pub(crate) fn place<'a>(conn: Conn) -> &'a mut evhttp_connection {
    // SAFETY: the connection is live (callers check `alive` after every call that can
    // run program code) and no other reference to it exists during the statement.
    unsafe { &mut *conn.as_ptr() }
}
pub(crate) use cx;

/// A liveness token for `conn`.
pub fn alive_token(conn: Conn) -> LiveFlag {
    cx!(conn).alive.clone()
}

fn tv_is_set(tv: &libc::timeval) -> bool {
    tv.tv_sec != 0 || tv.tv_usec != 0
}

fn bev_of(conn: Conn) -> NonNull<bufferevent> {
    // SAFETY: a live connection always has its bufferevent except during
    // `start_websocket`, which frees the connection right after taking it.
    unsafe { NonNull::new_unchecked(cx!(conn).bev) }
}

fn input_of(conn: Conn) -> Evbuffer {
    // SAFETY: the bufferevent is live and owns its input buffer.
    unsafe {
        Evbuffer::from_raw(NonNull::new_unchecked(sys::bufferevent_get_input(
            bev_of(conn).as_ptr(),
        )))
    }
}

fn output_of(conn: Conn) -> Evbuffer {
    // SAFETY: as for `input_of`.
    unsafe {
        Evbuffer::from_raw(NonNull::new_unchecked(sys::bufferevent_get_output(
            bev_of(conn).as_ptr(),
        )))
    }
}

fn enable(conn: Conn, what: c_short) {
    // SAFETY: the bufferevent is live; enabling runs no callback synchronously.
    unsafe { sys::bufferevent_enable(bev_of(conn).as_ptr(), what) };
}

fn disable(conn: Conn, what: c_short) {
    // SAFETY: as for `enable`.
    unsafe { sys::bufferevent_disable(bev_of(conn).as_ptr(), what) };
}

fn apply_timeouts(conn: Conn, read: libc::timeval, write: libc::timeval) {
    let as_ptr = |tv: &libc::timeval| {
        if tv_is_set(tv) {
            tv as *const _
        } else {
            ptr::null()
        }
    };
    // SAFETY: the bufferevent is live; the timevals outlive the call.
    unsafe { sys::bufferevent_set_timeouts(bev_of(conn).as_ptr(), as_ptr(&read), as_ptr(&write)) };
}

fn first_request(conn: Conn) -> Option<Req> {
    cx!(conn).requests.front().copied()
}

fn remove_request(conn: Conn, req: Req) {
    let queue = &mut cx!(conn).requests;
    if let Some(i) = queue.iter().position(|&r| r == req) {
        queue.remove(i);
    }
}

/// Whether the connection is in a connected state.
pub fn is_connected(conn: Conn) -> bool {
    !matches!(cx!(conn).state, State::Disconnected | State::Connecting)
}

/// The connection's bufferevent callbacks.
struct Callbacks;

impl BuffereventHandler for Callbacks {
    type Target = evhttp_connection;
    fn read(conn: Conn, _bev: NonNull<bufferevent>) {
        on_read(conn);
    }
    fn write(conn: Conn, _bev: NonNull<bufferevent>) {
        on_write(conn);
    }
    fn event(conn: Conn, _bev: NonNull<bufferevent>, what: c_short) {
        if cx!(conn).state == State::Connecting {
            on_connect_event(conn, what);
        } else {
            on_error(conn, what);
        }
    }
}

/// The deferred "read more" step and the retry timer.
struct DeferredRead;
impl EventHandler for DeferredRead {
    type Target = evhttp_connection;
    fn fire(conn: Conn, _what: c_short) {
        on_read(conn);
    }
}

/// The "written" step after a direct write.
struct WrittenAtOnce;
impl EventHandler for WrittenAtOnce {
    type Target = evhttp_connection;
    fn fire(conn: Conn, _what: c_short) {
        // Output added since then waits for the write event, which ends with `on_write`.
        if output_of(conn).is_empty() {
            on_write(conn);
        }
    }
}

struct RetryTimer;
impl EventHandler for RetryTimer {
    type Target = evhttp_connection;
    fn fire(conn: Conn, _what: c_short) {
        cx!(conn).state = State::Disconnected;
        connect(conn);
    }
}

/// What one read or write of a connection's own bufferevent moves at most (the
/// bufferevent default is 16 KiB): bodies of many megabytes then take a sixteenth of
/// the system calls and loop iterations. Reads start small and grow to this only while
/// they keep filling what they ask for.
const MAX_SINGLE_IO: usize = 256 * 1024;

/// A new connection object over `bev` (a new socket bufferevent when NULL).
pub(crate) fn new(base: *mut sys::event_base, bev: *mut bufferevent) -> Option<Conn> {
    let given_bev = bev;
    let bev = if bev.is_null() {
        // SAFETY: a NULL base is refused by the core with NULL.
        unsafe { sys::bufferevent_socket_new(base, -1, sys::BEV_OPT_CLOSE_ON_FREE) }
    } else {
        bev
    };
    let bev_nn = NonNull::new(bev)?;
    let made_bev = bev_nn.as_ptr() != given_bev;
    if made_bev {
        // SAFETY: the bufferevent was just made here.
        unsafe {
            sys::bufferevent_set_max_single_read(bev, MAX_SINGLE_IO);
            sys::bufferevent_set_max_single_write(bev, MAX_SINGLE_IO);
        }
    }
    let Some(alive) = LiveFlag::try_new() else {
        release_unused_bufferevent(bev_nn, made_bev);
        return None;
    };
    let conn = try_box(evhttp_connection {
        bev,
        base,
        state: State::Disconnected,
        flags: 0,
        requests: VecDeque::new(),
        server: ptr::null_mut(),
        address: ptr::null_mut(),
        port: 0,
        bind_address: ptr::null_mut(),
        bind_port: 0,
        family: libc::AF_UNSPEC,
        dns_base: ptr::null_mut(),
        unixsocket: None,
        timeout_connect: libc::timeval {
            tv_sec: HTTP_CONNECT_TIMEOUT,
            tv_usec: 0,
        },
        timeout_read: libc::timeval {
            tv_sec: HTTP_READ_TIMEOUT,
            tv_usec: 0,
        },
        timeout_write: libc::timeval {
            tv_sec: HTTP_WRITE_TIMEOUT,
            tv_usec: 0,
        },
        initial_retry: libc::timeval {
            tv_sec: HTTP_INITIAL_RETRY_TIMEOUT,
            tv_usec: 0,
        },
        retry_cnt: 0,
        retry_max: 0,
        retry_ev: ptr::null_mut(),
        deferred_read_ev: ptr::null_mut(),
        write_done_ev: ptr::null_mut(),
        direct_write: false,
        max_headers_size: usize::MAX,
        max_body_size: usize::MAX as u64,
        closecb: None,
        closecb_arg: ptr::null_mut(),
        ext_method_cmp: None,
        write_done: WriteDone::Nothing,
        // SAFETY: all-zero is a valid sockaddr_storage.
        peer_addr: unsafe { std::mem::zeroed() },
        peer_addr_len: 0,
        alive,
    });
    let Some(conn) = conn else {
        release_unused_bufferevent(bev_nn, made_bev);
        return None;
    };
    // SAFETY: the connection outlives its bufferevent's callbacks: `free` clears them
    // (by freeing the bufferevent) before the connection goes.
    unsafe { handler::set_callbacks::<Callbacks>(bev_nn, conn) };
    if !base.is_null() {
        // SAFETY: the bufferevent is live.
        unsafe {
            if sys::bufferevent_get_base(bev) != base {
                sys::bufferevent_base_set(base, bev);
            }
        }
    } else {
        // SAFETY: the bufferevent is live.
        cx!(conn).base = unsafe { sys::bufferevent_get_base(bev) };
    }
    Some(conn)
}

/// A bufferevent made for a connection that could not be: freed if it was made here,
/// left to the program if it was the program's.
fn release_unused_bufferevent(bev: NonNull<bufferevent>, made_here: bool) {
    if made_here {
        // SAFETY: the bufferevent was just made here and nothing else knows it.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
    }
}

/// `evhttp_connection_free`: the close callback (if connected), then every queued
/// request and the connection go.
pub fn free(conn: Conn) {
    if is_connected(conn) {
        let (cb, arg) = (cx!(conn).closecb, cx!(conn).closecb_arg);
        if let Some(cb) = cb {
            let alive = alive_token(conn);
            // SAFETY: the program's close callback with its argument.
            unsafe { cb(conn.as_ptr(), arg) };
            if !alive.get() {
                return;
            }
        }
    }
    cx!(conn).alive.set(false);
    while let Some(req) = cx!(conn).requests.pop_front() {
        set_field!(req, evcon, ptr::null_mut());
        // SAFETY: the queue held the request; nothing else refers to it through the
        // connection any more.
        unsafe { request::free_auto(req) };
    }
    let http = cx!(conn).server;
    if !http.is_null() {
        server::forget_connection(http, conn);
    }
    // SAFETY: the connection is being torn down; these objects are its own.
    unsafe {
        let c = conn.as_ptr();
        if !(*c).retry_ev.is_null() {
            sys::event_free((*c).retry_ev);
        }
        if !(*c).deferred_read_ev.is_null() {
            sys::event_free((*c).deferred_read_ev);
        }
        if !(*c).write_done_ev.is_null() {
            sys::event_free((*c).write_done_ev);
        }
        if !(*c).bev.is_null() {
            handler::clear_callbacks(NonNull::new_unchecked((*c).bev));
            sys::bufferevent_free((*c).bev);
        }
        keyvalq::free_c_string((*c).bind_address);
        keyvalq::free_c_string((*c).address);
        drop(Box::from_raw(c));
    }
}

// ---------------------------------------------------------------- reading

fn schedule_deferred_read(conn: Conn) {
    if cx!(conn).deferred_read_ev.is_null() {
        let Some(base) = NonNull::new(cx!(conn).base) else {
            return;
        };
        // SAFETY: the event is freed with the connection.
        let ev = unsafe { handler::new_event::<DeferredRead>(base, conn) };
        cx!(conn).deferred_read_ev = ev.map_or(ptr::null_mut(), NonNull::as_ptr);
    }
    let ev = cx!(conn).deferred_read_ev;
    if !ev.is_null() {
        // SAFETY: a live event of ours; activation runs its callback later.
        unsafe { sys::event_active(ev, sys::EV_TIMEOUT as c_int, 1) };
    }
}

fn cancel_deferred_read(conn: Conn) {
    let ev = cx!(conn).deferred_read_ev;
    if !ev.is_null() {
        // SAFETY: a live event of ours; deleting it runs no callback.
        unsafe { sys::event_del(ev) };
    }
}

/// `evhttp_start_read_`: expect the first line of the next message.
pub fn start_read(conn: Conn) {
    if cx!(conn).flags & CON_OUTGOING != 0 {
        disable(conn, sys::EV_WRITE);
    }
    enable(conn, sys::EV_READ);
    cx!(conn).state = State::ReadingFirstline;
    cx!(conn).write_done = WriteDone::Nothing;
    if !input_of(conn).is_empty() {
        schedule_deferred_read(conn);
    }
}

fn on_read(conn: Conn) {
    cancel_deferred_read(conn);
    let Some(req) = first_request(conn) else {
        if cx!(conn).state == State::Idle {
            reset(conn, true);
        }
        return;
    };
    match cx!(conn).state {
        State::ReadingFirstline => read_firstline(conn, req),
        State::ReadingHeaders => read_headers(conn, req),
        State::ReadingBody => read_body(conn, req),
        State::ReadingTrailer => read_trailer(conn, req),
        State::Idle => reset(conn, true),
        // Data that arrives while a reply is pending waits in the input buffer (read
        // stays enabled so that a closing peer is noticed); a peer that floods stops
        // being read until the reply is out.
        State::Writing => {
            if input_of(conn).len() > 64 * 1024 {
                disable(conn, sys::EV_READ);
            }
        }
        State::Disconnected | State::Connecting => {}
    }
}

/// Reads one line from the input buffer in place and hands it to `f`; None when no
/// complete line is there yet.
fn with_line<R>(conn: Conn, f: impl FnOnce(&[u8]) -> R) -> Option<(R, usize)> {
    let input = input_of(conn);
    let span = input.find_line()?;
    let result = input.with_prefix(span.len, f)?;
    input.drain(span.len + span.eol_len);
    Some((result, span.len))
}

fn read_firstline(conn: Conn, req: Req) {
    let max = cx!(conn).max_headers_size;
    let input = input_of(conn);
    let Some(span) = input.find_line() else {
        if input.len() > max {
            fail(conn, error::INVALID_HEADER);
        }
        return;
    };
    if span.len > max {
        fail(conn, error::INVALID_HEADER);
        return;
    }
    let kind = field!(req, kind);
    let parsed = input
        .with_prefix(span.len, |line| {
            if kind == KIND_REQUEST {
                parse_request_line_into(conn, req, line)
            } else {
                parse_status_line_into(req, line)
            }
        })
        .unwrap_or(Err(()));
    input.drain(span.len + span.eol_len);
    set_field!(req, headers_size, span.len);
    if parsed.is_err() {
        fail(conn, error::INVALID_HEADER);
        return;
    }
    cx!(conn).state = State::ReadingHeaders;
    read_headers(conn, req);
}

fn parse_request_line_into(conn: Conn, req: Req, line: &[u8]) -> Result<(), ()> {
    let parsed = parse::parse_request_line(line).map_err(|_| ())?;
    let mut kind_bits = parsed.known_method.unwrap_or(0);
    if kind_bits == 0 {
        kind_bits = extension_method_type(conn, parsed.method)?;
    }
    set_field!(req, type_, kind_bits);
    set_field!(req, major, parsed.major as c_char);
    set_field!(req, minor, parsed.minor as c_char);
    // SAFETY: the field's address inside a live request.
    request::replace_string(
        unsafe { ptr::addr_of_mut!((*req.as_ptr()).uri) },
        parsed.target,
    )
    .ok_or(())?;
    let elems = uri_link::parse_target(parsed.target, kind_bits == method::CONNECT)?;
    set_field!(req, uri_elems, elems);
    // SAFETY: `elems` was just parsed and belongs to the request.
    if unsafe { uri_link::scheme_is_http(elems) } {
        // SAFETY: as above.
        if let Some(host) = unsafe { uri_link::host(elems) } {
            let http = cx!(conn).server;
            // SAFETY: the host string belongs to the parsed target, live here.
            let host = unsafe { keyvalq::bytes_of(host) };
            if !http.is_null() && !server::knows_host(http, host) {
                request::add_flag(req, request::PROXY_REQUEST);
            }
        }
    }
    Ok(())
}

/// The type an extension method maps to through `ext_method_cmp`, 0 when unknown;
/// Err when the callback changed what it must not.
fn extension_method_type(conn: Conn, name: &[u8]) -> Result<u32, ()> {
    let Some(cmp) = cx!(conn).ext_method_cmp else {
        return Ok(0);
    };
    let Ok(name_c) = std::ffi::CString::new(name) else {
        return Ok(0);
    };
    let mut ext = evhttp_ext_method {
        method: name_c.as_ptr(),
        type_: 0,
        flags: 0,
    };
    // SAFETY: the program's mapping function with a structure that outlives the call.
    if unsafe { cmp(&mut ext) } != 0 {
        return Ok(0);
    }
    // SAFETY: the callback must leave `method` pointing at a C string.
    if ext.method.is_null() || unsafe { std::ffi::CStr::from_ptr(ext.method) } != name_c.as_c_str()
    {
        evrs_sibling::log::warn(format_args!(
            "evhttp_parse_request_line: modifying the 'method' field of ext_method_cmp's parameter is not allowed"
        ));
        return Err(());
    }
    if ext.flags != 0 {
        evrs_sibling::log::warn(format_args!(
            "evhttp_parse_request_line: modifying the 'flags' field of ext_method_cmp's parameter is not allowed"
        ));
        return Err(());
    }
    Ok(ext.type_)
}

fn parse_status_line_into(req: Req, line: &[u8]) -> Result<(), ()> {
    let parsed = parse::parse_status_line(line).map_err(|_| ())?;
    set_field!(req, major, parsed.major as c_char);
    set_field!(req, minor, parsed.minor as c_char);
    set_field!(req, response_code, parsed.code);
    // SAFETY: the field's address inside a live request.
    request::replace_string(
        unsafe { ptr::addr_of_mut!((*req.as_ptr()).response_code_line) },
        parsed.reason,
    )
    .ok_or(())
}

/// Reads header lines into `req->input_headers` until the empty line.
fn parse_headers(conn: Conn, req: Req) -> Status {
    let max = cx!(conn).max_headers_size;
    let headers = field!(req, input_headers);
    loop {
        let Some((outcome, len)) = with_line(conn, |line| match parse::parse_header_line(line) {
            Ok(HeaderLine::End) => Ok(true),
            // SAFETY: the request's live header list.
            Ok(HeaderLine::Continuation(more)) => {
                unsafe { append_to_last(headers, more) }.map(|_| false)
            }
            Ok(HeaderLine::Field { name, value }) => {
                // SAFETY: as above.
                if unsafe { request::add_header(headers, name, value) } == 0 {
                    Ok(false)
                } else {
                    Err(())
                }
            }
            Err(_) => Err(()),
        }) else {
            let pending = input_of(conn).len();
            if field!(req, headers_size).saturating_add(pending) > max {
                return Status::DataTooLong;
            }
            return Status::MoreDataExpected;
        };
        let size = field!(req, headers_size) + len;
        set_field!(req, headers_size, size);
        if size > max {
            return Status::DataTooLong;
        }
        match outcome {
            Ok(true) => return Status::AllDataRead,
            Ok(false) => {}
            Err(()) => return Status::DataCorrupted,
        }
    }
}

/// A folded header line continues the last header's value, joined by one space.
unsafe fn append_to_last(headers: *mut evkeyvalq, more: &[u8]) -> Result<(), ()> {
    // SAFETY: the caller gives a live list; `tqh_last` points at the last entry's link
    // (the entry's first field) when the list is not empty.
    unsafe {
        if (*headers).tqh_first.is_null() {
            return Err(());
        }
        let last = (*headers).tqh_last.cast::<keyvalq::evkeyval>();
        let mut value = keyvalq::bytes_of((*last).value).to_vec();
        value.push(b' ');
        value.extend_from_slice(more);
        keyvalq::set_value(NonNull::new_unchecked(last), &value).map_err(|_| ())
    }
}

fn read_headers(conn: Conn, req: Req) {
    match parse_headers(conn, req) {
        Status::DataCorrupted | Status::DataTooLong => {
            fail(conn, error::INVALID_HEADER);
            return;
        }
        Status::MoreDataExpected | Status::RequestCanceled => return,
        Status::AllDataRead => {}
    }
    if let Some(header_cb) = field!(req, header_cb) {
        let alive = alive_token(conn);
        // SAFETY: the program's header callback with the request and its argument.
        let verdict = unsafe { header_cb(req.as_ptr(), field!(req, cb_arg)) };
        if !alive.get() {
            return;
        }
        if verdict < 0 {
            fail(conn, error::EOF);
            return;
        }
    }
    if field!(req, kind) == KIND_REQUEST {
        get_body(conn, req);
        return;
    }
    // A response.
    if field!(req, response_code) == 100 {
        let body = request::output_buffer(req);
        output_of(conn).append_buffer(body);
        disable(conn, sys::EV_WRITE);
        enable(conn, sys::EV_READ);
        cx!(conn).state = State::ReadingFirstline;
        // The request is written again after 100 Continue.
        write_buffer(conn, WriteDone::RequestWritten);
        return;
    }
    if !response_needs_body(req) {
        connection_done(conn);
    } else {
        get_body(conn, req);
    }
}

/// Method name and flags (`evhttp_method_`).
fn method_info(conn: Option<Conn>, kind: u32) -> (Option<std::borrow::Cow<'static, [u8]>>, u16) {
    if let Some(name) = parse::method_name(kind) {
        let flags = if kind == method::HEAD || kind == method::TRACE {
            0
        } else {
            METHOD_HAS_BODY
        };
        return (Some(std::borrow::Cow::Borrowed(name.as_bytes())), flags);
    }
    let Some(cmp) = conn.and_then(|c| cx!(c).ext_method_cmp) else {
        return (None, 0);
    };
    let mut ext = evhttp_ext_method {
        method: ptr::null(),
        type_: kind,
        flags: 0,
    };
    // SAFETY: the program's mapping function with a structure that outlives the call.
    if unsafe { cmp(&mut ext) } != 0 || ext.type_ != kind || ext.method.is_null() {
        return (None, 0);
    }
    // SAFETY: the callback filled in a C string (its own, static in practice).
    let name = unsafe { std::ffi::CStr::from_ptr(ext.method) }
        .to_bytes()
        .to_vec();
    (Some(std::borrow::Cow::Owned(name)), ext.flags)
}

fn response_needs_body(req: Req) -> bool {
    let code = field!(req, response_code);
    let kind = field!(req, type_);
    code != 204
        && code != 304
        && !(100..200).contains(&code)
        && kind != method::CONNECT
        && kind != method::HEAD
}

fn version_at_least(req: Req, major: c_char, minor: c_char) -> bool {
    let (ma, mi) = (field!(req, major), field!(req, minor));
    ma > major || (ma == major && mi >= minor)
}

#[derive(PartialEq, Eq)]
enum Expect {
    No,
    Continue,
    Other,
}

fn have_expect(req: Req, input: bool) -> Expect {
    if field!(req, kind) != KIND_REQUEST || !version_at_least(req, 1, 1) {
        return Expect::No;
    }
    let headers = if input {
        field!(req, input_headers)
    } else {
        field!(req, output_headers)
    };
    // SAFETY: the request's live header list.
    match unsafe { request::find_header(headers, b"Expect") } {
        None => Expect::No,
        Some(v) if v.eq_ignore_ascii_case(b"100-continue") => Expect::Continue,
        Some(_) => Expect::Other,
    }
}

fn get_body(conn: Conn, req: Req) {
    if field!(req, kind) == KIND_REQUEST {
        let (_, flags) = method_info(Some(conn), field!(req, type_));
        if flags & METHOD_HAS_BODY == 0 {
            connection_done(conn);
            return;
        }
    }
    cx!(conn).state = State::ReadingBody;
    let headers = field!(req, input_headers);
    // SAFETY: the request's live header list.
    let chunked = unsafe { request::find_header(headers, b"Transfer-Encoding") }
        .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"));
    if chunked {
        request::set_chunked(req, true);
        set_field!(req, ntoread, -1);
    } else {
        if body_length(req).is_err() {
            fail(conn, error::INVALID_HEADER);
            return;
        }
        if field!(req, kind) == KIND_REQUEST && field!(req, ntoread) < 1 {
            connection_done(conn);
            return;
        }
    }
    match have_expect(req, true) {
        Expect::Continue => {
            let ntoread = field!(req, ntoread);
            let max = cx!(conn).max_body_size;
            if ntoread > 0 && max <= i64::MAX as u64 && ntoread as u64 > max {
                lingering_fail(conn, req);
                return;
            }
            if input_of(conn).is_empty() {
                send_continue(conn, req);
            }
        }
        Expect::Other => {
            send_error(req, 417, None);
            return;
        }
        Expect::No => {}
    }
    read_body(conn, req);
}

/// Sets `ntoread` from Content-Length / Connection (`evhttp_get_body_length`).
fn body_length(req: Req) -> Result<(), ()> {
    let headers = field!(req, input_headers);
    // SAFETY: the request's live header list, unchanged while the values are used.
    let (length, connection) = unsafe {
        (
            request::find_header(headers, b"Content-Length"),
            request::find_header(headers, b"Connection"),
        )
    };
    let ntoread = match (length, connection) {
        (None, None) => -1,
        (None, Some(c)) if !c.eq_ignore_ascii_case(b"close") => 0,
        (None, Some(_)) => -1,
        (Some(text), _) => match parse::parse_content_length(text) {
            Ok(length) => length as i64,
            // Too many digits: libevent's strtoll saturates, so the length is the
            // largest there is, which the body size limit then refuses (413).
            Err(_) if is_decimal_overflow(text) => i64::MAX,
            Err(_) => return Err(()),
        },
    };
    set_field!(req, ntoread, ntoread);
    Ok(())
}

/// A Content-Length of decimal digits only (after blanks) too large for 63 bits.
fn is_decimal_overflow(text: &[u8]) -> bool {
    let digits = text.trim_ascii_start();
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

fn send_continue(conn: Conn, req: Req) {
    let line = format!(
        "HTTP/{}.{} 100 Continue\r\n\r\n",
        field!(req, major),
        field!(req, minor)
    );
    output_of(conn).append(line.as_bytes());
    enable(conn, sys::EV_WRITE);
    cx!(conn).write_done = WriteDone::ContinueDone;
}

/// Runs the chunk callback with the request protected from being freed under us;
/// true when the program asked to free it meanwhile.
fn run_chunk_cb(conn: Conn, req: Req) -> Option<bool> {
    let Some(chunk_cb) = field!(req, chunk_cb) else {
        return Some(false);
    };
    let alive = alive_token(conn);
    request::add_flag(req, request::REQ_DEFER_FREE);
    // SAFETY: the program's chunk callback; the request stays allocated because of
    // REQ_DEFER_FREE.
    unsafe { chunk_cb(req.as_ptr(), field!(req, cb_arg)) };
    request::remove_flag(req, request::REQ_DEFER_FREE);
    request::input_buffer(req).clear();
    let cancelled = request::has_flag(req, request::REQ_NEEDS_FREE);
    if !alive.get() {
        if cancelled {
            // SAFETY: the program asked for the free, and the connection (which was
            // its last holder) is gone.
            unsafe { request::free(req) };
        }
        return None;
    }
    Some(cancelled)
}

fn handle_chunked(conn: Conn, req: Req) -> Option<Status> {
    let input = input_of(conn);
    loop {
        let available = input.len();
        if available == 0 {
            return Some(Status::MoreDataExpected);
        }
        if field!(req, ntoread) < 0 {
            let Some((size, _)) = with_line(conn, |line| {
                if line.is_empty() {
                    None
                } else {
                    Some(parse::parse_chunk_size(line))
                }
            }) else {
                return Some(Status::MoreDataExpected);
            };
            let Some(size) = size else {
                continue;
            };
            let Ok(size) = size else {
                return Some(Status::DataCorrupted);
            };
            let body = field!(req, body_size) as u64;
            let Some(total) = body.checked_add(size).filter(|&t| t <= usize::MAX as u64) else {
                return Some(Status::DataCorrupted);
            };
            if total > cx!(conn).max_body_size {
                return Some(Status::DataTooLong);
            }
            set_field!(req, body_size, total as usize);
            set_field!(req, ntoread, size as i64);
            if size == 0 {
                return Some(Status::AllDataRead);
            }
            continue;
        }
        let want = field!(req, ntoread) as u64;
        if (available as u64) < want {
            return Some(Status::MoreDataExpected);
        }
        input.move_prefix_to(request::input_buffer(req), want as usize);
        set_field!(req, ntoread, -1);
        if field!(req, chunk_cb).is_some() {
            match run_chunk_cb(conn, req) {
                None => return None,
                Some(true) => return Some(Status::RequestCanceled),
                Some(false) => {}
            }
        }
    }
}

fn read_trailer(conn: Conn, req: Req) {
    match parse_headers(conn, req) {
        Status::DataCorrupted | Status::DataTooLong => fail(conn, error::DATA_TOO_LONG),
        Status::AllDataRead => {
            // (libevent stops reading here on a client; `connection_done` decides at
            // once whether to read on, so the read event is left as it is.)
            connection_done(conn);
        }
        _ => {}
    }
}

fn lingering_fail(conn: Conn, req: Req) {
    if cx!(conn).flags & CON_LINGERING_CLOSE != 0 {
        lingering_close(conn, req);
    } else {
        fail(conn, error::DATA_TOO_LONG);
    }
}

/// Reads and drops the rest of a too large body before answering, so that the peer
/// sees the answer rather than a reset.
fn lingering_close(conn: Conn, req: Req) {
    let input = input_of(conn);
    let ntoread = field!(req, ntoread).max(0) as u64;
    let n = (input.len() as u64).min(ntoread);
    set_field!(req, ntoread, (ntoread - n) as i64);
    set_field!(req, body_size, field!(req, body_size) + n as usize);
    input.drain(n as usize);
    if field!(req, ntoread) == 0 {
        fail(conn, error::DATA_TOO_LONG);
    }
}

fn read_body(conn: Conn, req: Req) {
    let input = input_of(conn);
    if request::is_chunked(req) {
        match handle_chunked(conn, req) {
            None => return,
            Some(Status::AllDataRead) => {
                cx!(conn).state = State::ReadingTrailer;
                read_trailer(conn, req);
                return;
            }
            Some(Status::DataCorrupted | Status::DataTooLong) => {
                fail(conn, error::DATA_TOO_LONG);
                return;
            }
            Some(Status::RequestCanceled) => {
                drop_cancelled(conn, req);
                return;
            }
            Some(Status::MoreDataExpected) => {}
        }
    } else if field!(req, ntoread) < 0 {
        // Until the connection closes.
        let n = input.len();
        let Some(total) = field!(req, body_size).checked_add(n) else {
            fail(conn, error::INVALID_HEADER);
            return;
        };
        set_field!(req, body_size, total);
        request::input_buffer(req).append_buffer(input);
    } else if field!(req, chunk_cb).is_some() || input.len() as u64 >= field!(req, ntoread) as u64 {
        let n = (input.len() as u64).min(field!(req, ntoread) as u64);
        set_field!(req, ntoread, field!(req, ntoread) - n as i64);
        set_field!(req, body_size, field!(req, body_size) + n as usize);
        input.move_prefix_to(request::input_buffer(req), n as usize);
    }
    let max = cx!(conn).max_body_size;
    let ntoread = field!(req, ntoread);
    if field!(req, body_size) as u64 > max
        || (!request::is_chunked(req) && ntoread >= 0 && ntoread as u64 > max)
    {
        lingering_fail(conn, req);
        return;
    }
    if !request::input_buffer(req).is_empty() && field!(req, chunk_cb).is_some() {
        match run_chunk_cb(conn, req) {
            None => return,
            Some(true) => {
                drop_cancelled(conn, req);
                return;
            }
            Some(false) => {}
        }
    }
    if field!(req, ntoread) == 0 {
        // A client's read event is left on: `connection_done` resets the connection,
        // writes the next request or watches for a close, each reading on (libevent
        // stops reading first and starts again there).
        connection_done(conn);
    }
}

/// The program cancelled or freed `req` from its chunk callback: the free postponed
/// then happens now.
fn drop_cancelled(conn: Conn, req: Req) {
    remove_request(conn, req);
    set_field!(req, evcon, ptr::null_mut());
    // SAFETY: the request is out of the queue and no longer in use up the stack.
    unsafe { request::free_auto(req) };
}

/// A message has been read completely.
fn connection_done(conn: Conn) {
    let Some(req) = first_request(conn) else {
        return;
    };
    let outgoing = cx!(conn).flags & CON_OUTGOING != 0;
    let mut free_conn = false;
    let alive = alive_token(conn);
    if outgoing {
        let need_close = is_request_connection_close(req);
        remove_request(conn, req);
        set_field!(req, evcon, ptr::null_mut());
        cx!(conn).state = State::Idle;
        if need_close {
            reset(conn, true);
        }
        if !alive.get() {
        } else if !cx!(conn).requests.is_empty() {
            if !is_connected(conn) {
                connect(conn);
            } else {
                dispatch_request(conn);
            }
        } else if !need_close {
            start_detect_close(conn);
        } else if cx!(conn).flags & CON_AUTOFREE != 0 {
            free_conn = true;
        }
    } else {
        cx!(conn).state = State::Writing;
    }
    if let Some(cb) = field!(req, cb) {
        // SAFETY: the program's request callback (or the server's dispatcher).
        unsafe { cb(req.as_ptr(), field!(req, cb_arg)) };
    }
    if outgoing {
        // SAFETY: the request left the connection's queue above; it is ours to free
        // unless the program owns it.
        unsafe { request::free_auto(req) };
    }
    if free_conn && alive.get() && cx!(conn).requests.is_empty() {
        free(conn);
    }
}

fn is_connection_close(flags: c_int, headers: *const evkeyvalq) -> bool {
    if flags & request::PROXY_REQUEST != 0 {
        // SAFETY: a live header list.
        let value = unsafe { request::find_header(headers, b"Proxy-Connection") };
        !value.is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive"))
    } else {
        // SAFETY: a live header list.
        let value = unsafe { request::find_header(headers, b"Connection") };
        value.is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
    }
}

fn is_request_connection_close(req: Req) -> bool {
    if field!(req, type_) == method::CONNECT {
        return false;
    }
    let flags = field!(req, flags);
    is_connection_close(flags, field!(req, input_headers))
        || is_connection_close(flags, field!(req, output_headers))
}

fn is_keepalive(headers: *const evkeyvalq) -> bool {
    // SAFETY: a live header list.
    unsafe { request::find_header(headers, b"Connection") }
        .is_some_and(|v| v.len() >= 10 && v[..10].eq_ignore_ascii_case(b"keep-alive"))
}

// ---------------------------------------------------------------- failures

/// `evhttp_connection_fail_`.
pub fn fail(conn: Conn, err: c_int) {
    let errno_saved = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let Some(req) = first_request(conn) else {
        // Nothing to report to; drop an incoming connection.
        if cx!(conn).flags & CON_INCOMING != 0 {
            free(conn);
        } else {
            reset(conn, true);
        }
        return;
    };
    disable(conn, sys::EV_READ | sys::EV_WRITE);
    if cx!(conn).flags & CON_INCOMING != 0 {
        if incoming_fail(conn, req, err) {
            free(conn);
        }
        return;
    }
    let error_cb = field!(req, error_cb);
    let cb_arg = field!(req, cb_arg);
    let cb = if err == error::REQUEST_CANCEL {
        None
    } else {
        field!(req, cb)
    };
    remove_request(conn, req);
    set_field!(req, evcon, ptr::null_mut());
    // SAFETY: the request left the queue; it is ours to free unless owned.
    unsafe { request::free_auto(req) };
    let alive = alive_token(conn);
    reset(conn, true);
    if !alive.get() {
    } else if !cx!(conn).requests.is_empty() {
        connect(conn);
    } else if cx!(conn).flags & CON_OUTGOING != 0 && cx!(conn).flags & CON_AUTOFREE != 0 {
        free(conn);
    }
    // SAFETY: restoring errno for the program's callbacks.
    unsafe { *libc::__errno_location() = errno_saved };
    if let Some(error_cb) = error_cb {
        // SAFETY: the program's error callback with the request's argument.
        unsafe { error_cb(err, cb_arg) };
    }
    if let Some(cb) = cb {
        // SAFETY: the program's callback, told of the failure with NULL.
        unsafe { cb(ptr::null_mut(), cb_arg) };
    }
}

/// Returns true when the connection is to be freed.
fn incoming_fail(conn: Conn, req: Req, err: c_int) -> bool {
    set_field!(
        req,
        response_code,
        if err == error::DATA_TOO_LONG {
            413
        } else {
            400
        }
    );
    match err {
        error::TIMEOUT | error::EOF => {
            if !request::is_userdone(req) {
                // The program still holds the request: it is detached, and freed when
                // the program answers it.
                remove_request(conn, req);
                set_field!(req, evcon, ptr::null_mut());
            }
            true
        }
        _ => {
            // SAFETY: the fields' addresses inside a live request.
            unsafe {
                let r = req.as_ptr();
                keyvalq::free_c_string((*r).uri);
                (*r).uri = ptr::null_mut();
                uri_link::free((*r).uri_elems);
                (*r).uri_elems = ptr::null_mut();
            }
            if let Some(cb) = field!(req, cb) {
                // SAFETY: the server's dispatcher, which answers with an error page.
                unsafe { cb(req.as_ptr(), field!(req, cb_arg)) };
            }
            false
        }
    }
}

fn on_error(conn: Conn, what: c_short) {
    let req = first_request(conn);
    if cx!(conn).state == State::ReadingBody {
        if let Some(req) = req {
            if !request::is_chunked(req)
                && field!(req, ntoread) < 0
                && what == (sys::BEV_EVENT_READING | sys::BEV_EVENT_EOF)
            {
                connection_done(conn);
                return;
            }
        }
    }
    if cx!(conn).flags & CON_CLOSEDETECT != 0 {
        cx!(conn).flags &= !CON_CLOSEDETECT;
        reset(conn, true);
        if cx!(conn).requests.is_empty()
            && cx!(conn).flags & CON_OUTGOING != 0
            && cx!(conn).flags & CON_AUTOFREE != 0
        {
            free(conn);
        }
        return;
    }
    // A server whose peer closed its sending side after the request: the reply that is
    // already queued is still written, then the connection closes.
    if cx!(conn).flags & CON_INCOMING != 0
        && cx!(conn).state == State::Writing
        && what & sys::BEV_EVENT_READING != 0
        && what & sys::BEV_EVENT_EOF != 0
    {
        if let Some(req) = req {
            if !request::is_userdone(req) && field!(req, kind) == KIND_REQUEST {
                // The program has not begun to answer: as in libevent (which stops reading
                // while a request is handled), the close is acted on when the reply
                // is written; the connection stays until then.
                request::add_flag(req, PEER_GONE);
                disable(conn, sys::EV_READ);
                return;
            }
        }
    }
    if req.is_none() {
        if cx!(conn).flags & CON_INCOMING != 0 {
            free(conn);
        } else {
            reset(conn, true);
        }
        return;
    }
    if what & sys::BEV_EVENT_TIMEOUT != 0 {
        fail(conn, error::TIMEOUT);
    } else if what & (sys::BEV_EVENT_EOF | sys::BEV_EVENT_ERROR) != 0 {
        let read_on_write_error = cx!(conn).flags & CON_READ_ON_WRITE_ERROR != 0;
        if what & sys::BEV_EVENT_WRITING != 0 && read_on_write_error {
            if let Some(req) = req {
                read_on_write_error_step(conn, req);
            }
            return;
        }
        if what & sys::BEV_EVENT_READING != 0 && read_on_write_error && !input_of(conn).is_empty() {
            schedule_deferred_read(conn);
            return;
        }
        fail(conn, error::EOF);
    } else if what == sys::BEV_EVENT_CONNECTED {
    } else {
        fail(conn, error::BUFFER_ERROR);
    }
}

/// A private request flag (beyond libevent's): the peer closed while the reply was
/// being written.
const PEER_GONE: c_int = 0x0100;

fn read_on_write_error_step(conn: Conn, req: Req) {
    if cx!(conn).flags & CON_READING_ERROR != 0 {
        cx!(conn).flags &= !CON_READING_ERROR;
        fail(conn, error::EOF);
        return;
    }
    set_field!(req, kind, KIND_RESPONSE);
    let output = output_of(conn);
    output.freeze_front(false);
    output.clear();
    output.freeze_front(true);
    start_read(conn);
    cx!(conn).flags |= CON_READING_ERROR;
}

// ---------------------------------------------------------------- writing

/// Sends the output, then `done` (`evhttp_write_buffer`). Read stays enabled to notice
/// a closing peer. When nothing is in flight the output is written at once; the "written"
/// step still runs later from the loop, as after a write event, so that the program's
/// callbacks run when they do in libevent. Only what the socket does not take at once
/// waits for the write event.
fn write_buffer(conn: Conn, done: WriteDone) {
    cx!(conn).write_done = done;
    enable(conn, sys::EV_READ);
    let bev = bev_of(conn).as_ptr();
    // SAFETY: the bufferevent is live; the query runs no callback.
    if unsafe { sys::bufferevent_get_enabled(bev) } & sys::EV_WRITE == 0 {
        // SAFETY: as above; a direct write runs no callback either.
        let outcome = unsafe { sys::evrs_sibling_bufferevent_write_now(bev) };
        if after_direct_write(conn, outcome) {
            return;
        }
    }
    enable(conn, sys::EV_WRITE);
}

/// Acts on what a direct write did (`evrs_sibling_bufferevent_write_now*`); false when
/// the rest is for the write event.
fn after_direct_write(conn: Conn, outcome: c_int) -> bool {
    match outcome {
        1 => {
            cx!(conn).direct_write = true;
            schedule_written(conn);
            true
        }
        // The event callback reports the failure from the loop.
        2 => {
            cx!(conn).direct_write = true;
            true
        }
        0 => {
            cx!(conn).direct_write = true;
            false
        }
        _ => false,
    }
}

/// Sends the head of `req` and its body, then `done` (`evhttp_make_header` and
/// `evhttp_write_buffer`). A small message with nothing queued before it is written
/// from the stack, without passing through the output buffer.
fn send_message(conn: Conn, req: Req, done: WriteDone) {
    let plan = plan_head(conn, req);
    let mut measure = HeadLength(0);
    plan.write(&mut measure);
    let head_len = measure.0;
    let body = request::output_buffer(req);
    let body_len = body.len();
    let send_body = have_expect(req, false) != Expect::Continue && body_len > 0;
    let total = head_len + if send_body { body_len } else { 0 };
    let bev = bev_of(conn).as_ptr();
    // SAFETY: the bufferevent is live; the query runs no callback.
    if total <= STACK_MESSAGE && unsafe { sys::bufferevent_get_enabled(bev) } & sys::EV_WRITE == 0 {
        let mut message = [0u8; STACK_MESSAGE];
        let len = fill_message(&plan, head_len, send_body.then_some(body), &mut message);
        cx!(conn).write_done = done;
        enable(conn, sys::EV_READ);
        // SAFETY: the bufferevent is live; `message` is readable for `len` bytes; no
        // callback runs.
        let outcome = unsafe {
            sys::evrs_sibling_bufferevent_write_now_with(bev, message.as_ptr().cast(), len)
        };
        if outcome != -1 {
            if send_body {
                body.drain(body_len);
            }
            if !after_direct_write(conn, outcome) {
                enable(conn, sys::EV_WRITE);
            }
            return;
        }
    }
    queue_message(conn, &plan, head_len, send_body.then_some(body));
    write_buffer(conn, done);
}

/// Messages up to this size (head and body) may be written from the stack.
const STACK_MESSAGE: usize = 2048;

/// Writes the head and then the body (if any) into `space`; returns the length.
fn fill_message(
    plan: &HeadPlan,
    head_len: usize,
    body: Option<Evbuffer>,
    space: &mut [u8],
) -> usize {
    let mut writer = HeadWriter { space, at: 0 };
    plan.write(&mut writer);
    let at = writer.at.min(head_len);
    match body {
        Some(body) => at + body.copy_out(&mut space[at..]),
        None => at,
    }
}

fn schedule_written(conn: Conn) {
    if cx!(conn).write_done_ev.is_null() {
        let Some(base) = NonNull::new(cx!(conn).base) else {
            enable(conn, sys::EV_WRITE);
            return;
        };
        // SAFETY: the event is freed with the connection.
        let ev = unsafe { handler::new_event::<WrittenAtOnce>(base, conn) };
        let Some(ev) = ev else {
            // Out of memory: the write event (on an empty output) reports instead.
            enable(conn, sys::EV_WRITE);
            return;
        };
        cx!(conn).write_done_ev = ev.as_ptr();
    }
    // SAFETY: a live event of ours; activation runs its callback later.
    unsafe { sys::event_active(cx!(conn).write_done_ev, sys::EV_TIMEOUT as c_int, 1) };
}

fn on_write(conn: Conn) {
    if cx!(conn).direct_write && output_of(conn).is_empty() {
        // Back to direct writes; the write event is already off (the output is empty),
        // so this costs no system call.
        disable(conn, sys::EV_WRITE);
    }
    match cx!(conn).write_done {
        WriteDone::Nothing => {}
        WriteDone::SendDone => send_done(conn),
        WriteDone::RequestWritten => request_written(conn),
        WriteDone::ContinueDone => disable(conn, sys::EV_WRITE),
        WriteDone::Program(cb, arg) => {
            // SAFETY: the program's "chunk written" callback with its argument.
            unsafe { cb(conn.as_ptr(), arg) };
        }
    }
}

/// Queues the head and the body on the output buffer. The head is written in place
/// at the end of the output buffer, into space reserved for the length measured, so
/// that no scratch memory is needed.
fn queue_message(conn: Conn, plan: &HeadPlan, head_len: usize, body: Option<Evbuffer>) {
    let output = output_of(conn);
    // A small body goes out in one piece with the head, and the request's buffer keeps
    // its memory; a large one is moved over without copying.
    let copied = body.filter(|b| b.len() <= SMALL_BODY);
    let total = head_len + copied.map_or(0, Evbuffer::len);
    if !output.append_with(total, |space| fill_message(plan, head_len, copied, space)) {
        evrs_sibling::log::warn(format_args!(
            "evhttp_make_header: no room for the message head"
        ));
        return;
    }
    match (body, copied) {
        (_, Some(body)) => body.clear(),
        (Some(body), None) => {
            output.append_buffer(body);
        }
        (None, None) => {}
    }
}

fn plan_head(conn: Conn, req: Req) -> HeadPlan {
    if field!(req, kind) == KIND_REQUEST {
        plan_request_head(conn, req)
    } else {
        plan_response_head(conn, req)
    }
}

/// Bodies up to this size are copied behind the head (`queue_message`).
const SMALL_BODY: usize = 4096;

/// Where a head is written: measured, then written into reserved space.
trait HeadSink {
    fn put(&mut self, bytes: &[u8]);

    fn put_decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }

    fn put_header(&mut self, key: &[u8], value: &[u8]) {
        self.put(key);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    fn put_headers(&mut self, headers: *const evkeyvalq) {
        // SAFETY: a live header list, walked without changing it.
        unsafe {
            let mut entry = keyvalq::first(headers);
            while !entry.is_null() {
                self.put_header(
                    keyvalq::bytes_of((*entry).key),
                    keyvalq::bytes_of((*entry).value),
                );
                entry = keyvalq::next(entry);
            }
        }
    }

    fn put_version(&mut self, major: c_char, minor: c_char) {
        self.put(b"HTTP/");
        self.put_decimal(major as u64);
        self.put(b".");
        self.put_decimal(minor as u64);
    }
}

struct HeadLength(usize);

impl HeadSink for HeadLength {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Writes into `space`, counting what does not fit (nothing does not, as the space
/// was measured with the same plan).
struct HeadWriter<'a> {
    space: &'a mut [u8],
    at: usize,
}

impl HeadSink for HeadWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        if let Some(dst) = self.space.get_mut(self.at..end) {
            dst.copy_from_slice(bytes);
        }
        self.at = end;
    }
}

/// What goes into a head, decided once (with every change to the header lists made)
/// before it is measured and written.
enum HeadPlan {
    Request {
        method: Option<std::borrow::Cow<'static, [u8]>>,
        target: *const c_char,
        major: c_char,
        minor: c_char,
        headers: *const evkeyvalq,
    },
    Response {
        major: c_char,
        minor: c_char,
        code: c_int,
        reason: *const c_char,
        headers: *const evkeyvalq,
        date: Option<[u8; 29]>,
        keep_alive: bool,
        content_length: Option<usize>,
        content_type: Option<&'static [u8]>,
        close: bool,
    },
}

impl HeadPlan {
    /// The plan's strings belong to the request, which nothing changes while the head
    /// is written.
    fn write(&self, out: &mut impl HeadSink) {
        match *self {
            HeadPlan::Request {
                ref method,
                target,
                major,
                minor,
                headers,
            } => {
                out.put(method.as_deref().unwrap_or(b"NULL"));
                out.put(b" ");
                // SAFETY: the request's target string (NULL prints as nothing).
                out.put(unsafe { keyvalq::bytes_of(target) });
                out.put(b" ");
                out.put_version(major, minor);
                out.put(b"\r\n");
                out.put_headers(headers);
                out.put(b"\r\n");
            }
            HeadPlan::Response {
                major,
                minor,
                code,
                reason,
                headers,
                ref date,
                keep_alive,
                content_length,
                content_type,
                close,
            } => {
                out.put_version(major, minor);
                out.put(b" ");
                if code < 0 {
                    out.put(b"-");
                }
                out.put_decimal(code.unsigned_abs() as u64);
                out.put(b" ");
                // SAFETY: the request's reason string (NULL prints as nothing).
                out.put(unsafe { keyvalq::bytes_of(reason) });
                out.put(b"\r\n");
                // The headers libevent adds go after the list's, in this order.
                out.put_headers(headers);
                if let Some(date) = date {
                    out.put_header(b"Date", date);
                }
                if keep_alive {
                    out.put_header(b"Connection", b"keep-alive");
                }
                if let Some(len) = content_length {
                    out.put(b"Content-Length: ");
                    out.put_decimal(len as u64);
                    out.put(b"\r\n");
                }
                if let Some(ct) = content_type {
                    out.put_header(b"Content-Type", ct);
                }
                if close {
                    out.put_header(b"Connection", b"close");
                }
                out.put(b"\r\n");
            }
        }
    }
}

fn plan_request_head(conn: Conn, req: Req) -> HeadPlan {
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    unsafe { keyvalq::remove_first(headers, b"Proxy-Connection") };
    let kind = field!(req, type_);
    let (method, flags) = method_info(Some(conn), kind);
    let body_len = request::output_buffer(req).len();
    // SAFETY: as above.
    let has_length = unsafe { keyvalq::find(headers, b"Content-Length") }.is_some();
    if flags & METHOD_HAS_BODY != 0
        && (body_len > 0 || kind == method::POST || kind == method::PUT)
        && !has_length
    {
        let mut digits = HeadWriter {
            space: &mut [0u8; 20],
            at: 0,
        };
        digits.put_decimal(body_len as u64);
        let len = digits.at;
        // SAFETY: as above.
        unsafe { request::add_header(headers, b"Content-Length", &digits.space[..len]) };
    }
    HeadPlan::Request {
        method,
        target: field!(req, uri),
        major: field!(req, major),
        minor: field!(req, minor),
        headers,
    }
}

fn plan_response_head(conn: Conn, req: Req) -> HeadPlan {
    let input_headers = field!(req, input_headers);
    let headers = field!(req, output_headers);
    let keepalive = is_keepalive(input_headers);
    let needs_body = response_needs_body(req);
    let (major, minor) = (field!(req, major), field!(req, minor));
    // The headers libevent adds are written straight to the head (the list itself
    // gets them too, as in libevent, only where a program could tell: Connection
    // handling).
    let find = |name: &[u8]| {
        // SAFETY: the request's live header list.
        unsafe { keyvalq::find(headers, name) }.is_some()
    };
    let close = is_connection_close(field!(req, flags), input_headers);
    let date = (major == 1 && minor >= 1 && !find(b"Date")).then(super::date::now_rfc1123);
    let keep_alive = major == 1 && minor == 0 && keepalive && !close;
    let content_length = (major == 1
        && (minor >= 1 || keepalive)
        && needs_body
        && !find(b"Transfer-Encoding")
        && !find(b"Content-Length"))
    .then(|| request::output_buffer(req).len());
    let content_type = if needs_body && !find(b"Content-Type") {
        server::default_content_type(cx!(conn).server)
    } else {
        None
    };
    let proxy = request::has_flag(req, request::PROXY_REQUEST);
    if close {
        // SAFETY: the request's live header list.
        unsafe {
            while keyvalq::remove_first(headers, b"Connection") {}
            keyvalq::remove_first(headers, b"Proxy-Connection");
        }
    }
    HeadPlan::Response {
        major,
        minor,
        code: field!(req, response_code),
        reason: field!(req, response_code_line),
        headers,
        date,
        keep_alive,
        content_length,
        content_type,
        close: close && !proxy,
    }
}

/// `evhttp_send`: the reply with its body.
fn send(req: Req, body: Option<Evbuffer>) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // The connection went away while the program held the request.
        // SAFETY: the request is detached; the program hands it back by answering.
        unsafe { request::free(req) };
        return;
    };
    if first_request(conn) != Some(req) {
        evrs_sibling::log::warn(format_args!(
            "evhttp_send_reply: the request is not the one being answered on its connection; ignored"
        ));
        return;
    }
    request::set_userdone(req, true);
    if request::has_flag(req, PEER_GONE) {
        // Nobody is there to read the reply: the connection goes, with the request
        // unless the program owns it.
        free(conn);
        return;
    }
    if let Some(body) = body {
        request::output_buffer(req).append_buffer(body);
    }
    send_message(conn, req, WriteDone::SendDone);
}

/// `evhttp_send_reply`.
pub fn send_reply(req: Req, code: c_int, reason: Option<&[u8]>, body: Option<Evbuffer>) {
    request::set_response_code(req, code, reason);
    send(req, body);
}

/// `evhttp_send_page_`: an error page, closing the connection.
fn send_page(req: Req, body: Evbuffer) {
    if field!(req, major) == 0 || field!(req, minor) == 0 {
        set_field!(req, major, 1);
        set_field!(req, minor, 1);
    }
    if field!(req, kind) != KIND_RESPONSE {
        request::set_response_code(req, 200, Some(b"OK"));
    }
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    unsafe {
        keyvalq::clear(headers);
        request::add_header(headers, b"Content-Type", b"text/html");
        request::add_header(headers, b"Connection", b"close");
    }
    send(req, Some(body));
}

/// `evhttp_send_error`: libevent's error page, or the server's error callback's.
pub fn send_error(req: Req, code: c_int, reason: Option<&[u8]>) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // SAFETY: a detached request; answering hands it back (as `send` does).
        unsafe { request::free(req) };
        return;
    };
    // SAFETY: a plain allocation.
    let Some(buf) = (unsafe { Evbuffer::from_ptr(sys::evbuffer_new()) }) else {
        free(conn);
        return;
    };
    request::set_response_code(req, code, reason);
    let http = cx!(conn).server;
    let alive = alive_token(conn);
    let custom = server::run_error_cb(http, req, buf, code, reason);
    if !alive.get() {
        // SAFETY: our buffer.
        unsafe { sys::evbuffer_free(buf.as_ptr()) };
        return;
    }
    if !custom {
        let heading = parse::reason_phrase(code);
        let reason = reason.map(String::from_utf8_lossy).unwrap_or_default();
        buf.clear();
        let page = format!(
            "<html><head><title>{code} {heading}</title></head><body><h1>{code} {heading}</h1>{reason}</body></html>"
        );
        buf.append(page.as_bytes());
    }
    send_page(req, buf);
    // SAFETY: our buffer, emptied into the reply.
    unsafe { sys::evbuffer_free(buf.as_ptr()) };
}

/// `evhttp_send_reply_start`.
pub fn send_reply_start(req: Req, code: c_int, reason: Option<&[u8]>) {
    request::set_response_code(req, code, reason);
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        return;
    };
    if request::has_flag(req, PEER_GONE) {
        // The peer left: the request is detached (the program's later chunks are
        // ignored and its `evhttp_send_reply_end` frees it) and the connection goes.
        remove_request(conn, req);
        set_field!(req, evcon, ptr::null_mut());
        free(conn);
        return;
    }
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    let has_length = unsafe { keyvalq::find(headers, b"Content-Length") }.is_some();
    if !has_length && version_at_least(req, 1, 1) && response_needs_body(req) {
        // SAFETY: as above.
        unsafe { request::add_header(headers, b"Transfer-Encoding", b"chunked") };
        request::set_chunked(req, true);
    } else {
        request::set_chunked(req, false);
    }
    send_message(conn, req, WriteDone::Nothing);
}

/// `evhttp_send_reply_chunk_with_cb`.
pub fn send_reply_chunk(req: Req, data: Evbuffer, cb: Option<ChunkWrittenCb>, arg: *mut c_void) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        return;
    };
    let len = data.len();
    if len == 0 || !response_needs_body(req) {
        return;
    }
    let output = output_of(conn);
    if request::is_chunked(req) {
        let mut line = [0u8; 18];
        let at = hex_line(&mut line, len);
        output.append(&line[at..]);
    }
    output.append_buffer(data);
    if request::is_chunked(req) {
        output.append(b"\r\n");
    }
    write_buffer(
        conn,
        cb.map_or(WriteDone::Nothing, |cb| WriteDone::Program(cb, arg)),
    );
}

/// Writes "<len in hex>\r\n" at the end of `out`; returns where it starts.
fn hex_line(out: &mut [u8; 18], mut len: usize) -> usize {
    let mut at = out.len() - 2;
    out[at..].copy_from_slice(b"\r\n");
    loop {
        at -= 1;
        out[at] = b"0123456789abcdef"[len & 15];
        len >>= 4;
        if len == 0 {
            return at;
        }
    }
}

/// `evhttp_send_reply_end`.
pub fn send_reply_end(req: Req) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // SAFETY: a detached request; ending the reply hands it back.
        unsafe { request::free(req) };
        return;
    };
    request::set_userdone(req, true);
    if request::is_chunked(req) {
        output_of(conn).append(b"0\r\n\r\n");
        write_buffer(conn, WriteDone::SendDone);
        request::set_chunked(req, false);
    } else if output_of(conn).is_empty() {
        send_done(conn);
    } else {
        cx!(conn).write_done = WriteDone::SendDone;
    }
}

/// A server's reply is out: the next request, or close.
fn send_done(conn: Conn) {
    let Some(req) = cx!(conn).requests.pop_front() else {
        return;
    };
    cx!(conn).write_done = WriteDone::Nothing;
    let alive = alive_token(conn);
    if let Some(done) = field!(req, on_complete_cb) {
        // SAFETY: the program's completion callback with its argument.
        unsafe { done(req.as_ptr(), field!(req, on_complete_cb_arg)) };
        if !alive.get() {
            set_field!(req, evcon, ptr::null_mut());
            // SAFETY: the request had left the queue; nobody else frees it.
            unsafe { request::free(req) };
            return;
        }
    }
    let need_close = (!version_at_least(req, 1, 1) && !is_keepalive(field!(req, input_headers)))
        || is_request_connection_close(req)
        || request::has_flag(req, PEER_GONE);
    set_field!(req, evcon, ptr::null_mut());
    if need_close {
        // SAFETY: the request left the queue; server requests are the library's to
        // free.
        unsafe { request::free(req) };
        free(conn);
        return;
    }
    // The finished request is freed, or reused for the next one.
    if server::associate_new_request(conn, Some(req)).is_err() {
        free(conn);
    }
}

// ---------------------------------------------------------------- client side

/// `evhttp_connection_reset_`.
pub fn reset(conn: Conn, hard: bool) {
    if hard {
        disable(conn, sys::EV_READ | sys::EV_WRITE);
        if is_connected(conn) {
            if let Some(cb) = cx!(conn).closecb {
                let arg = cx!(conn).closecb_arg;
                let alive = alive_token(conn);
                // SAFETY: the program's close callback.
                unsafe { cb(conn.as_ptr(), arg) };
                if !alive.get() {
                    return;
                }
            }
        }
        // SAFETY: the bufferevent is live; replacing its socket closes the old one.
        unsafe { sys::bufferevent_replacefd(bev_of(conn).as_ptr(), -1) };
        let output = output_of(conn);
        output.freeze_front(false);
        output.clear();
        input_of(conn).clear();
    }
    cx!(conn).flags &= !(CON_READING_ERROR | CON_CLOSEDETECT);
    cx!(conn).state = State::Disconnected;
}

fn start_detect_close(conn: Conn) {
    cx!(conn).flags |= CON_CLOSEDETECT;
    enable(conn, sys::EV_READ);
}

/// Writes the first queued request (`evhttp_request_dispatch`).
fn dispatch_request(conn: Conn) {
    let Some(req) = first_request(conn) else {
        return;
    };
    // No longer watching for a close; reading stays on, as writing the request
    // enables it anyway (libevent stops and restarts it).
    cx!(conn).flags &= !CON_CLOSEDETECT;
    cx!(conn).state = State::Writing;
    send_message(conn, req, WriteDone::RequestWritten);
}

fn request_written(conn: Conn) {
    let Some(req) = first_request(conn) else {
        return;
    };
    if !output_of(conn).is_empty() {
        return;
    }
    set_field!(req, kind, KIND_RESPONSE);
    start_read(conn);
}

/// `evhttp_connection_connect_`.
pub fn connect(conn: Conn) -> c_int {
    if cx!(conn).state == State::Connecting {
        return 0;
    }
    let old_state = cx!(conn).state;
    reset(conn, false);
    cx!(conn).flags |= CON_OUTGOING;
    let (bind_address, bind_port) = (cx!(conn).bind_address, cx!(conn).bind_port);
    if !bind_address.is_null() || bind_port != 0 {
        // SAFETY: a NUL-terminated string of ours, or NULL.
        let address = unsafe { keyvalq::bytes_of(bind_address) }.to_vec();
        let Some(fd) = super::server::bind_socket(
            (!bind_address.is_null()).then_some(&address[..]),
            bind_port,
            false,
        ) else {
            return -1;
        };
        // SAFETY: the bufferevent is live; it takes the socket over.
        if unsafe { sys::bufferevent_replacefd(bev_of(conn).as_ptr(), fd) } != 0 {
            return -1;
        }
    }
    let connect_tv = cx!(conn).timeout_connect;
    apply_timeouts(conn, connect_tv, connect_tv);
    enable(conn, sys::EV_WRITE);
    cx!(conn).state = State::Connecting;
    let bev = bev_of(conn).as_ptr();
    let reuse = cx!(conn).flags & CON_REUSE_CONNECTED_ADDR != 0
        && matches!(
            cx!(conn).peer_addr.ss_family as c_int,
            libc::AF_INET | libc::AF_INET6
        );
    let ret = if reuse {
        let addr = ptr::addr_of!(cx!(conn).peer_addr).cast::<libc::sockaddr>();
        let len = cx!(conn).peer_addr_len as c_int;
        // SAFETY: the stored address is valid for `len` bytes.
        unsafe { sys::bufferevent_socket_connect(bev, addr, len) }
    } else if let Some(path) = cx!(conn).unixsocket.clone() {
        // SAFETY: all-zero is a valid sockaddr_un; the path fits (checked at creation).
        let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (dst, &src) in sun.sun_path.iter_mut().zip(path.iter()) {
            *dst = src as c_char;
        }
        // SAFETY: a complete sockaddr_un on the stack.
        unsafe {
            sys::bufferevent_socket_connect(
                bev,
                ptr::addr_of!(sun).cast(),
                size_of::<libc::sockaddr_un>() as c_int,
            )
        }
    } else {
        let (dns, family, address, port) = (
            cx!(conn).dns_base,
            cx!(conn).family,
            cx!(conn).address,
            cx!(conn).port,
        );
        // SAFETY: the address is our NUL-terminated string; the DNS base is the
        // program's (NULL: the C library's resolver).
        unsafe {
            sys::bufferevent_socket_connect_hostname(bev, dns, family, address, c_int::from(port))
        }
    };
    if ret < 0 {
        cx!(conn).state = old_state;
        evrs_sibling::log::warn(format_args!(
            "evhttp_connection_connect_: connection failed"
        ));
        connect_cleanup(conn);
    }
    0
}

fn on_connect_event(conn: Conn, what: c_short) {
    if what & sys::BEV_EVENT_CONNECTED == 0 {
        let refused = std::io::Error::last_os_error().raw_os_error() == Some(libc::ECONNREFUSED);
        if refused || what & sys::BEV_EVENT_TIMEOUT != 0 {
            connect_cleanup(conn);
        } else {
            on_error(conn, what);
        }
        return;
    }
    cx!(conn).retry_cnt = 0;
    cx!(conn).state = State::Idle;
    // Remember where we connected (evhttp_connection_get_addr, REUSE_CONNECTED_ADDR).
    // SAFETY: the bufferevent is live; getpeername writes at most `len` bytes.
    unsafe {
        let fd = sys::bufferevent_getfd(bev_of(conn).as_ptr());
        let c = conn.as_ptr();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, ptr::addr_of_mut!((*c).peer_addr).cast(), &mut len) == 0 {
            (*c).peer_addr_len = len;
        }
    }
    let (read, write) = (cx!(conn).timeout_read, cx!(conn).timeout_write);
    apply_timeouts(conn, read, write);
    // The connect was watched through the write event; requests are written at once
    // (`write_buffer`), with the write event only for what the socket does not take.
    disable(conn, sys::EV_WRITE);
    dispatch_request(conn);
}

/// A failed connection attempt: retry later, or fail every queued request.
fn connect_cleanup(conn: Conn) {
    reset(conn, true);
    let (retry_cnt, retry_max) = (cx!(conn).retry_cnt, cx!(conn).retry_max);
    if retry_max < 0 || retry_cnt < retry_max {
        let mut tv = cx!(conn).initial_retry;
        for _ in 0..retry_cnt {
            tv.tv_usec *= 2;
            if tv.tv_usec > 1_000_000 {
                tv.tv_usec -= 1_000_000;
                tv.tv_sec += 1;
            }
            tv.tv_sec *= 2;
            if tv.tv_sec > 3600 {
                tv.tv_sec = 3600;
                tv.tv_usec = 0;
            }
        }
        if cx!(conn).retry_ev.is_null() {
            if let Some(base) = NonNull::new(cx!(conn).base) {
                // SAFETY: the timer is freed with the connection.
                let ev = unsafe { handler::new_event::<RetryTimer>(base, conn) };
                cx!(conn).retry_ev = ev.map_or(ptr::null_mut(), NonNull::as_ptr);
            }
        }
        let ev = cx!(conn).retry_ev;
        if !ev.is_null() {
            // SAFETY: our live timer.
            unsafe { sys::event_add(ev, &tv) };
        }
        cx!(conn).retry_cnt += 1;
        return;
    }
    // Every queued request fails (its callback gets it with no response, as in
    // libevent); callbacks may queue new ones, which stay.
    let failed: Vec<Req> = cx!(conn).requests.drain(..).collect();
    let alive = alive_token(conn);
    for req in failed {
        set_field!(req, evcon, ptr::null_mut());
        if let Some(cb) = field!(req, cb) {
            // SAFETY: the program's request callback, with the failed request.
            unsafe { cb(req.as_ptr(), field!(req, cb_arg)) };
        }
        // SAFETY: the request left the queue; ours unless owned.
        unsafe { request::free_auto(req) };
    }
    if alive.get() && cx!(conn).requests.is_empty() && cx!(conn).flags & CON_AUTOFREE != 0 {
        free(conn);
    }
}

/// `evhttp_make_request`.
pub fn make_request(conn: Conn, req: Req, kind: u32, uri: &[u8]) -> c_int {
    set_field!(req, kind, KIND_REQUEST);
    set_field!(req, type_, kind);
    // SAFETY: the field's address inside a live request.
    if request::replace_string(unsafe { ptr::addr_of_mut!((*req.as_ptr()).uri) }, uri).is_none() {
        // SAFETY: the program handed the request over.
        unsafe { request::free_auto(req) };
        return -1;
    }
    if field!(req, major) == 0 && field!(req, minor) == 0 {
        set_field!(req, major, 1);
        set_field!(req, minor, 1);
    }
    if !field!(req, evcon).is_null() {
        evrs_sibling::log::warn(format_args!(
            "evhttp_make_request: the request is already queued; refused"
        ));
        return -1;
    }
    set_field!(req, evcon, conn.as_ptr());
    cx!(conn).requests.push_back(req);
    if cx!(conn).retry_cnt != 0 {
        return 0;
    }
    if !is_connected(conn) {
        let res = connect(conn);
        if res != 0 {
            remove_request(conn, req);
            set_field!(req, evcon, ptr::null_mut());
        }
        return res;
    }
    if first_request(conn) == Some(req) {
        dispatch_request(conn);
    }
    0
}

/// `evhttp_cancel_request`.
pub fn cancel_request(req: Req) {
    if let Some(conn) = NonNull::new(field!(req, evcon)) {
        if first_request(conn) == Some(req) {
            fail(conn, error::REQUEST_CANCEL);
            return;
        }
        remove_request(conn, req);
        set_field!(req, evcon, ptr::null_mut());
    }
    // SAFETY: the request is out of every queue.
    unsafe { request::free_auto(req) };
}

/// For WebSockets: answers `req` with 101 Switching Protocols, writes the head, and
/// returns the connection's bufferevent detached from it; the request and the
/// connection are freed. None when the request has no connection any more.
///
/// # Safety
/// `req` is a live request being answered on a server connection.
pub unsafe fn start_websocket(
    req: NonNull<request::evhttp_request>,
) -> Option<NonNull<bufferevent>> {
    request::set_response_code(req, 101, Some(b"Switching Protocols"));
    let conn = NonNull::new(field!(req, evcon))?;
    send_message(conn, req, WriteDone::Nothing);
    remove_request(conn, req);
    let bev = NonNull::new(cx!(conn).bev)?;
    // SAFETY: the bufferevent leaves the connection; its callbacks must not reach the
    // connection that is about to go.
    unsafe { handler::clear_callbacks(bev) };
    cx!(conn).bev = ptr::null_mut();
    cx!(conn).closecb = None;
    set_field!(req, evcon, ptr::null_mut());
    // SAFETY: the request left the queue; the library frees it as libevent does.
    unsafe { request::free(req) };
    free_without_bev(conn);
    Some(bev)
}

/// Frees a connection whose bufferevent was taken away.
fn free_without_bev(conn: Conn) {
    cx!(conn).state = State::Disconnected;
    free(conn);
}
