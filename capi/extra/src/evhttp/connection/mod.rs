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
/// The program set a timeout: an evrpc pool the connection joins keeps it.
pub const CON_TIMEOUT_ADJUSTED: u32 = CON_READING_ERROR << 1;

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
    // Restored for the program's callbacks.
    evrs_backends::errno::set(errno_saved);
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

mod read;
mod write;

pub use read::start_read;
use read::*;
use write::*;
pub use write::{send_error, send_reply, send_reply_chunk, send_reply_end, send_reply_start};
