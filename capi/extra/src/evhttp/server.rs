//! `struct evhttp`: a server (or a virtual host) with its listening sockets, its
//! connections, its handlers and its settings.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};

use evrs_backends::errno;
use evrs_sibling::alloc::{try_box, LiveFlag};
use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::handler::{self, ListenerHandler};
use evrs_sibling::sys::{self, bufferevent, event_base};

use super::connection::{
    self, cx, evhttp_connection, Conn, ExtMethodCb, State, CON_INCOMING, CON_LINGERING_CLOSE,
};
use super::keyvalq;
use super::parse::method;
use super::request::{self, evhttp_request, field, set_field, Req, RequestCb};
use super::uri_link;
use super::websocket::{self, Session};

pub type BevCb = unsafe extern "C" fn(*mut event_base, *mut c_void) -> *mut bufferevent;
pub type NewReqCb = unsafe extern "C" fn(*mut evhttp_request, *mut c_void) -> c_int;
pub type ErrorPageCb = unsafe extern "C" fn(
    *mut evhttp_request,
    *mut sys::evbuffer,
    c_int,
    *const c_char,
    *mut c_void,
) -> c_int;

pub const SERVER_LINGERING_CLOSE: c_int = 0x0001;

struct PathHandler {
    path: Vec<u8>,
    cb: RequestCb,
    arg: *mut c_void,
}

pub struct evhttp_bound_socket {
    pub(crate) listener: *mut sys::evconnlistener,
    pub(crate) http: *mut evhttp,
    pub(crate) bevcb: Option<BevCb>,
    pub(crate) bevcbarg: *mut c_void,
}

pub struct evhttp {
    pub(crate) base: *mut event_base,
    sockets: Vec<NonNull<evhttp_bound_socket>>,
    handlers: Vec<PathHandler>,
    connections: Vec<Conn>,
    /// WebSocket sessions taken over from its connections (`evws_new_session`).
    ws_sessions: Vec<Session>,
    pub(crate) connection_max: c_int,
    pub(crate) timeout_read: libc::timeval,
    pub(crate) timeout_write: libc::timeval,
    pub(crate) max_headers_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) default_content_type: *const c_char,
    pub(crate) allowed_methods: u32,
    pub(crate) ext_method_cmp: Option<ExtMethodCb>,
    pub(crate) gencb: Option<RequestCb>,
    pub(crate) gencbarg: *mut c_void,
    pub(crate) bevcb: Option<BevCb>,
    pub(crate) bevcbarg: *mut c_void,
    pub(crate) newreqcb: Option<NewReqCb>,
    pub(crate) newreqcbarg: *mut c_void,
    pub(crate) errorcb: Option<ErrorPageCb>,
    pub(crate) errorcbarg: *mut c_void,
    vhosts: Vec<NonNull<evhttp>>,
    vhost_pattern: Option<Vec<u8>>,
    aliases: Vec<Vec<u8>>,
    pub(crate) flags: c_int,
    alive: LiveFlag,
}

pub type Http = NonNull<evhttp>;

macro_rules! hx {
    ($http:expr) => {
        place($http)
    };
}

/// A borrow of a live server for one statement (`hx!`).
fn place<'a>(http: Http) -> &'a mut evhttp {
    // SAFETY: the server is live (callers check liveness after program code) and the
    // borrow lasts one statement.
    unsafe { &mut *http.as_ptr() }
}

/// `evhttp_new`.
pub fn new(base: *mut event_base) -> Option<Http> {
    let alive = LiveFlag::try_new()?;
    try_box(evhttp {
        base,
        sockets: Vec::new(),
        handlers: Vec::new(),
        connections: Vec::new(),
        ws_sessions: Vec::new(),
        connection_max: 0,
        timeout_read: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        timeout_write: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        max_headers_size: usize::MAX,
        max_body_size: u64::MAX,
        default_content_type: c"text/html; charset=ISO-8859-1".as_ptr(),
        allowed_methods: method::GET | method::POST | method::HEAD | method::PUT | method::DELETE,
        ext_method_cmp: None,
        gencb: None,
        gencbarg: ptr::null_mut(),
        bevcb: None,
        bevcbarg: ptr::null_mut(),
        newreqcb: None,
        newreqcbarg: ptr::null_mut(),
        errorcb: None,
        errorcbarg: ptr::null_mut(),
        vhosts: Vec::new(),
        vhost_pattern: None,
        aliases: Vec::new(),
        flags: 0,
        alive,
    })
}

/// `evhttp_free`: listeners, connections (and their requests), handlers and the
/// virtual hosts still attached.
pub fn free(http: Http) {
    hx!(http).alive.set(false);
    while let Some(bound) = hx!(http).sockets.pop() {
        // SAFETY: the bound socket and its listener are ours.
        unsafe {
            sys::evconnlistener_free((*bound.as_ptr()).listener);
            drop(Box::from_raw(bound.as_ptr()));
        }
    }
    while let Some(&conn) = hx!(http).connections.last() {
        // `connection::free` removes it from the list.
        connection::free(conn);
        if hx!(http).connections.last() == Some(&conn) {
            hx!(http).connections.pop();
        }
    }
    while let Some(&session) = hx!(http).ws_sessions.last() {
        // `websocket::free` detaches it.
        websocket::free(session);
        if hx!(http).ws_sessions.last() == Some(&session) {
            hx!(http).ws_sessions.pop();
        }
    }
    while let Some(vhost) = hx!(http).vhosts.pop() {
        free(vhost);
    }
    // SAFETY: the server is ours and nothing refers to it any more.
    unsafe { drop(Box::from_raw(http.as_ptr())) };
}

pub fn forget_connection(http: *mut evhttp, conn: Conn) {
    let Some(http) = NonNull::new(http) else {
        return;
    };
    let list = &mut hx!(http).connections;
    if let Some(i) = list.iter().position(|&c| c == conn) {
        list.swap_remove(i);
    }
}

pub fn connection_count(http: Http) -> c_int {
    (hx!(http).connections.len() + hx!(http).ws_sessions.len()) as c_int
}

/// Counts a WebSocket session among the server's connections until it is detached;
/// false when out of memory.
pub fn attach_session(http: Http, session: Session) -> bool {
    let sessions = &mut hx!(http).ws_sessions;
    if sessions.try_reserve(1).is_err() {
        return false;
    }
    sessions.push(session);
    true
}

pub fn detach_session(http: Http, session: Session) {
    let sessions = &mut hx!(http).ws_sessions;
    if let Some(i) = sessions.iter().position(|&s| s == session) {
        sessions.swap_remove(i);
    }
}

pub fn default_content_type(http: *mut evhttp) -> Option<&'static [u8]> {
    let http = NonNull::new(http)?;
    let ct = hx!(http).default_content_type;
    // SAFETY: the program promised the string outlives the server.
    (!ct.is_null()).then(|| unsafe { CStr::from_ptr(ct) }.to_bytes())
}

/// Runs the custom error page callback; true when it produced a page.
pub fn run_error_cb(
    http: *mut evhttp,
    req: Req,
    buf: Evbuffer,
    code: c_int,
    reason: Option<&[u8]>,
) -> bool {
    let Some(http) = NonNull::new(http) else {
        return false;
    };
    let Some(cb) = hx!(http).errorcb else {
        return false;
    };
    let arg = hx!(http).errorcbarg;
    let reason_c = reason.and_then(|r| std::ffi::CString::new(r).ok());
    let reason_ptr = reason_c.as_ref().map_or(ptr::null(), |r| r.as_ptr());
    // SAFETY: the program's error page callback with live arguments.
    let verdict = unsafe { cb(req.as_ptr(), buf.as_ptr(), code, reason_ptr, arg) };
    verdict >= 0
}

// ---------------------------------------------------------------- handlers, hosts

pub fn set_cb(http: Http, path: &[u8], cb: RequestCb, arg: *mut c_void) -> c_int {
    if hx!(http).handlers.iter().any(|h| h.path == path) {
        return -1;
    }
    hx!(http).handlers.push(PathHandler {
        path: path.to_vec(),
        cb,
        arg,
    });
    0
}

pub fn del_cb(http: Http, path: &[u8]) -> c_int {
    let list = &mut hx!(http).handlers;
    match list.iter().position(|h| h.path == path) {
        Some(i) => {
            list.remove(i);
            0
        }
        None => -1,
    }
}

/// Shell-style match with '*' (libevent's `prefix_suffix_match`).
fn pattern_match(pattern: &[u8], name: &[u8], ignore_case: bool) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..name.len()).any(|i| pattern_match(rest, &name[i..], ignore_case)),
        Some((&c, rest)) => match name.split_first() {
            Some((&n, name_rest)) if c == n || (ignore_case && c.eq_ignore_ascii_case(&n)) => {
                pattern_match(rest, name_rest, ignore_case)
            }
            _ => false,
        },
    }
}

fn find_alias(http: Http, host: &[u8]) -> Option<Http> {
    if hx!(http)
        .aliases
        .iter()
        .any(|a| a.eq_ignore_ascii_case(host))
    {
        return Some(http);
    }
    let vhosts = hx!(http).vhosts.clone();
    vhosts.into_iter().find_map(|v| find_alias(v, host))
}

/// The server that answers for `host` (`evhttp_find_vhost`), and whether one matched.
fn find_vhost(mut http: Http, host: &[u8]) -> (Http, bool) {
    if let Some(found) = find_alias(http, host) {
        return (found, true);
    }
    let mut matched = false;
    loop {
        let next = hx!(http).vhosts.iter().copied().find(|&v| {
            hx!(v)
                .vhost_pattern
                .as_deref()
                .is_some_and(|p| pattern_match(p, host, true))
        });
        match next {
            Some(v) => {
                http = v;
                matched = true;
            }
            None => return (http, matched),
        }
    }
}

pub fn knows_host(http: *mut evhttp, host: &[u8]) -> bool {
    NonNull::new(http).is_some_and(|h| find_vhost(h, host).1)
}

pub fn add_virtual_host(http: Http, pattern: &[u8], vhost: Http) -> c_int {
    if hx!(vhost).vhost_pattern.is_some() || !hx!(vhost).sockets.is_empty() || vhost == http {
        return -1;
    }
    hx!(vhost).vhost_pattern = Some(pattern.to_vec());
    hx!(http).vhosts.push(vhost);
    0
}

pub fn remove_virtual_host(http: Http, vhost: Http) -> c_int {
    if hx!(vhost).vhost_pattern.is_none() {
        return -1;
    }
    let list = &mut hx!(http).vhosts;
    if let Some(i) = list.iter().position(|&v| v == vhost) {
        list.remove(i);
    }
    hx!(vhost).vhost_pattern = None;
    0
}

pub fn add_alias(http: Http, alias: &[u8]) -> c_int {
    hx!(http).aliases.push(alias.to_vec());
    0
}

pub fn remove_alias(http: Http, alias: &[u8]) -> c_int {
    let list = &mut hx!(http).aliases;
    match list.iter().position(|a| a.eq_ignore_ascii_case(alias)) {
        Some(i) => {
            list.remove(i);
            0
        }
        None => -1,
    }
}

// ---------------------------------------------------------------- sockets

/// A socket bound to `address:port` (libevent's `bind_socket`); None on failure.
pub fn bind_socket(address: Option<&[u8]>, port: u16, reuse: bool) -> Option<c_int> {
    if address.is_none() && port == 0 {
        return make_socket(libc::AF_INET, None, reuse);
    }
    let node = address
        .map(|a| std::ffi::CString::new(a).ok())
        .unwrap_or(None);
    if address.is_some() && node.is_none() {
        return None;
    }
    let service = std::ffi::CString::new(port.to_string()).ok()?;
    // SAFETY: all-zero is a valid addrinfo hints structure.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_flags = libc::AI_PASSIVE | libc::AI_ADDRCONFIG;
    let mut list: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: valid strings (or NULL node) and hints; the result is freed below.
    let rc = unsafe {
        sys::evutil_getaddrinfo(
            node.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
            service.as_ptr(),
            &hints,
            &mut list,
        )
    };
    if rc != 0 || list.is_null() {
        return None;
    }
    let mut result = None;
    let mut ai = list;
    while !ai.is_null() && result.is_none() {
        // SAFETY: a node of the list getaddrinfo returned.
        let (family, addr, len, next) = unsafe {
            (
                (*ai).ai_family,
                (*ai).ai_addr,
                (*ai).ai_addrlen,
                (*ai).ai_next,
            )
        };
        result = make_socket(family, Some((addr, len)), reuse);
        ai = next;
    }
    // SAFETY: the list from evutil_getaddrinfo.
    unsafe { sys::evutil_freeaddrinfo(list) };
    result
}

fn make_socket(
    family: c_int,
    addr: Option<(*const libc::sockaddr, libc::socklen_t)>,
    reuse: bool,
) -> Option<c_int> {
    // SAFETY: plain socket calls on a descriptor we own.
    unsafe {
        let fd = libc::socket(family, libc::SOCK_STREAM, 0);
        if fd < 0 {
            return None;
        }
        sys::evutil_make_socket_nonblocking(fd);
        sys::evutil_make_socket_closeonexec(fd);
        let on: c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            ptr::addr_of!(on).cast(),
            size_of::<c_int>() as libc::socklen_t,
        );
        if reuse {
            sys::evutil_make_listen_socket_reuseable(fd);
        }
        if let Some((addr, len)) = addr {
            if libc::bind(fd, addr, len) == -1 {
                let err = errno::get();
                sys::evutil_closesocket(fd);
                errno::set(err);
                return None;
            }
        }
        Some(fd)
    }
}

struct Accept;
impl ListenerHandler for Accept {
    type Target = evhttp_bound_socket;
    fn accept(
        bound: NonNull<evhttp_bound_socket>,
        fd: c_int,
        peer: *mut libc::sockaddr,
        peer_len: c_int,
    ) {
        // SAFETY: the bound socket is live while its listener is.
        let (http, bevcb, bevcbarg) = unsafe {
            let b = bound.as_ptr();
            ((*b).http, (*b).bevcb, (*b).bevcbarg)
        };
        let Some(http) = NonNull::new(http) else {
            // SAFETY: the accepted socket is ours.
            unsafe { sys::evutil_closesocket(fd) };
            return;
        };
        let alive = hx!(http).alive.clone();
        let mut bev = ptr::null_mut();
        if let Some(cb) = bevcb {
            // SAFETY: the program's bufferevent factory.
            bev = unsafe { cb(hx!(http).base, bevcbarg) };
            if !alive.get() {
                // SAFETY: the accepted socket is ours.
                unsafe { sys::evutil_closesocket(fd) };
                return;
            }
        }
        get_request(http, fd, peer, peer_len as libc::socklen_t, bev);
    }
}

pub fn bind_listener(
    http: Http,
    listener: NonNull<sys::evconnlistener>,
) -> Option<NonNull<evhttp_bound_socket>> {
    let bound = NonNull::from(Box::leak(Box::new(evhttp_bound_socket {
        listener: listener.as_ptr(),
        http: http.as_ptr(),
        bevcb: None,
        bevcbarg: ptr::null_mut(),
    })));
    hx!(http).sockets.push(bound);
    // SAFETY: the bound socket lives until its listener is freed with it.
    unsafe { handler::set_listener_callback::<Accept>(listener, bound) };
    Some(bound)
}

pub fn accept_socket(http: Http, fd: c_int) -> Option<NonNull<evhttp_bound_socket>> {
    let flags = sys::LEV_OPT_REUSEABLE | sys::LEV_OPT_CLOSE_ON_EXEC | sys::LEV_OPT_CLOSE_ON_FREE;
    // SAFETY: the program's base and socket; the callback is set by `bind_listener`.
    let listener = NonNull::new(unsafe {
        sys::evconnlistener_new(hx!(http).base, None, ptr::null_mut(), flags, 0, fd)
    })?;
    let bound = bind_listener(http, listener);
    if bound.is_none() {
        // SAFETY: our listener.
        unsafe { sys::evconnlistener_free(listener.as_ptr()) };
    }
    bound
}

pub fn bind_and_listen(
    http: Http,
    address: Option<&[u8]>,
    port: u16,
) -> Option<NonNull<evhttp_bound_socket>> {
    let fd = bind_socket(address, port, true)?;
    // SAFETY: our socket.
    if unsafe { libc::listen(fd, 128) } == -1 {
        evrs_sibling::log::warn(format_args!(
            "evhttp_bind_socket_with_handle: listen failed"
        ));
        // SAFETY: our socket.
        unsafe { sys::evutil_closesocket(fd) };
        return None;
    }
    accept_socket(http, fd)
}

pub fn del_accept_socket(http: Http, bound: NonNull<evhttp_bound_socket>) {
    let list = &mut hx!(http).sockets;
    if let Some(i) = list.iter().position(|&b| b == bound) {
        list.remove(i);
    }
    // SAFETY: the program hands the bound socket back; it was ours.
    unsafe {
        sys::evconnlistener_free((*bound.as_ptr()).listener);
        drop(Box::from_raw(bound.as_ptr()));
    }
}

pub fn bound_sockets(http: Http) -> Vec<NonNull<evhttp_bound_socket>> {
    hx!(http).sockets.clone()
}

// ---------------------------------------------------------------- connections

/// The peer's numeric host and port.
fn name_from_addr(addr: *const libc::sockaddr, len: libc::socklen_t) -> Option<(Vec<u8>, u16)> {
    // IPv4, the common case, is written here: what getnameinfo writes for it, without
    // its formatting machinery.
    // SAFETY: `addr` is valid for `len` bytes, checked to hold a sockaddr_in.
    if len as usize >= size_of::<libc::sockaddr_in>()
        && c_int::from(unsafe { (*addr).sa_family }) == libc::AF_INET
    {
        // SAFETY: as above; read unaligned as the listener's buffer may be.
        let sin = unsafe { addr.cast::<libc::sockaddr_in>().read_unaligned() };
        let mut host = Vec::with_capacity(15);
        for (i, octet) in sin.sin_addr.s_addr.to_ne_bytes().iter().enumerate() {
            if i > 0 {
                host.push(b'.');
            }
            push_decimal(&mut host, *octet);
        }
        return Some((host, u16::from_be(sin.sin_port)));
    }
    let mut host = [0 as c_char; 1025];
    let mut serv = [0 as c_char; 32];
    // SAFETY: the buffers are writable for the lengths given; `addr` is valid for `len`.
    let rc = unsafe {
        libc::getnameinfo(
            addr,
            len,
            host.as_mut_ptr(),
            // socklen_t on Linux, size_t on FreeBSD.
            host.len() as _,
            serv.as_mut_ptr(),
            serv.len() as _,
            libc::NI_NUMERICHOST | libc::NI_NUMERICSERV,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote NUL-terminated strings.
    let (host, serv) = unsafe { (CStr::from_ptr(host.as_ptr()), CStr::from_ptr(serv.as_ptr())) };
    let port = serv.to_str().ok()?.parse().unwrap_or(0);
    Some((host.to_bytes().to_vec(), port))
}

fn push_decimal(out: &mut Vec<u8>, n: u8) {
    if n >= 100 {
        out.push(b'0' + n / 100);
    }
    if n >= 10 {
        out.push(b'0' + n / 10 % 10);
    }
    out.push(b'0' + n % 10);
}

fn get_request(
    http: Http,
    fd: c_int,
    peer: *mut libc::sockaddr,
    peer_len: libc::socklen_t,
    mut bev: *mut bufferevent,
) {
    let alive = hx!(http).alive.clone();
    if bev.is_null() {
        if let Some(cb) = hx!(http).bevcb {
            // SAFETY: the program's bufferevent factory.
            bev = unsafe { cb(hx!(http).base, hx!(http).bevcbarg) };
            if !alive.get() {
                // SAFETY: the accepted socket is ours.
                unsafe { sys::evutil_closesocket(fd) };
                return;
            }
        }
    }
    let family = if peer.is_null() {
        libc::AF_UNSPEC
        // SAFETY: the listener's peer address.
    } else {
        c_int::from(unsafe { (*peer).sa_family })
    };
    let name = if family == libc::AF_UNIX || peer.is_null() {
        None
    } else {
        match name_from_addr(peer, peer_len) {
            Some(name) => Some(name),
            None => {
                // SAFETY: the accepted socket is ours.
                unsafe { sys::evutil_closesocket(fd) };
                return;
            }
        }
    };
    let Some(conn) = connection::new(hx!(http).base, bev) else {
        // SAFETY: the accepted socket is ours.
        unsafe { sys::evutil_closesocket(fd) };
        return;
    };
    {
        let c = cx!(conn);
        if let Some((host, port)) = name {
            c.address = keyvalq::c_string(&host).map_or(ptr::null_mut(), NonNull::as_ptr);
            c.port = port;
        } else if family == libc::AF_UNIX {
            c.unixsocket = Some(Vec::new());
            c.family = libc::AF_UNIX;
        }
        c.max_headers_size = hx!(http).max_headers_size;
        c.max_body_size = hx!(http).max_body_size;
        if hx!(http).flags & SERVER_LINGERING_CLOSE != 0 {
            c.flags |= CON_LINGERING_CLOSE;
        }
        c.flags |= CON_INCOMING;
        c.state = State::ReadingFirstline;
        if !peer.is_null() {
            let len = (peer_len as usize).min(size_of::<libc::sockaddr_storage>());
            // SAFETY: `peer` is valid for `peer_len` bytes; the copy fits.
            unsafe {
                ptr::copy_nonoverlapping(
                    peer.cast::<u8>(),
                    ptr::addr_of_mut!(c.peer_addr).cast::<u8>(),
                    len,
                )
            };
            c.peer_addr_len = len as libc::socklen_t;
        }
    }
    let bev = cx!(conn).bev;
    // A new bufferevent has EV_WRITE enabled, which the socket would be watched for
    // at once: it is disabled first (nothing is watched yet, so this costs no system
    // call), and the socket is then registered for reading only.
    // SAFETY: the bufferevent is live.
    unsafe { sys::bufferevent_disable(bev, sys::EV_WRITE) };
    // SAFETY: the bufferevent is live and takes the socket over.
    if unsafe { sys::bufferevent_replacefd(bev, fd) } != 0 {
        connection::free(conn);
        // SAFETY: the socket was not taken.
        unsafe { sys::evutil_closesocket(fd) };
        return;
    }
    // SAFETY: the bufferevent is live.
    unsafe { sys::bufferevent_enable(bev, sys::EV_READ) };
    let (read, write) = (hx!(http).timeout_read, hx!(http).timeout_write);
    let set = |tv: &libc::timeval| tv.tv_sec != 0 || tv.tv_usec != 0;
    if set(&read) || set(&write) {
        if set(&read) {
            cx!(conn).timeout_read = read;
        }
        if set(&write) {
            cx!(conn).timeout_write = write;
        }
        let (r, w) = (cx!(conn).timeout_read, cx!(conn).timeout_write);
        // SAFETY: the bufferevent is live; the timevals outlive the call.
        unsafe { sys::bufferevent_set_timeouts(bev, &r, &w) };
    }
    cx!(conn).server = http.as_ptr();
    cx!(conn).ext_method_cmp = hx!(http).ext_method_cmp;
    hx!(http).connections.push(conn);
    let max = hx!(http).connection_max;
    if max > 0 && max < connection_count(http) {
        let Some(req) = request::new(Some(server_request_arrived), http.as_ptr().cast()) else {
            connection::free(conn);
            return;
        };
        set_field!(req, evcon, conn.as_ptr());
        request::add_flag(req, request::REQ_OWN_CONNECTION);
        set_field!(req, kind, request::KIND_REQUEST);
        cx!(conn).requests.push_back(req);
        cx!(conn).state = State::Writing;
        connection::send_error(req, 503, None);
    } else if associate_new_request(conn, None).is_err() {
        connection::free(conn);
    }
}

/// A new request object waits for the next request on `conn`.
/// `finished` is the connection's last request, which is freed, or reused when it can
/// be (`request::free_or_renew`).
pub(crate) fn associate_new_request(conn: Conn, finished: Option<Req>) -> Result<(), ()> {
    let http = cx!(conn).server;
    let cb = Some(server_request_arrived as RequestCb);
    // SAFETY: the connection hands its finished request over.
    let renewed = finished.and_then(|req| unsafe { request::free_or_renew(req, cb, http.cast()) });
    let req = match renewed {
        Some(req) => req,
        None => request::new(cb, http.cast()).ok_or(())?,
    };
    let address = cx!(conn).address;
    // SAFETY: our NUL-terminated copy of the peer's address, and the request's string
    // (kept by a renewed request, NULL in a new one).
    let (host, known) = unsafe {
        (
            keyvalq::bytes_of(address),
            keyvalq::bytes_of(field!(req, remote_host)),
        )
    };
    if address.is_null() {
        // SAFETY: the field's address inside a live request.
        unsafe {
            request::replace_string_with_null(ptr::addr_of_mut!((*req.as_ptr()).remote_host))
        };
    } else if host != known || field!(req, remote_host).is_null() {
        // SAFETY: the field's address inside a live request.
        if request::replace_string(
            unsafe { ptr::addr_of_mut!((*req.as_ptr()).remote_host) },
            host,
        )
        .is_none()
        {
            // SAFETY: the request was just made.
            unsafe { request::free(req) };
            return Err(());
        }
    }
    set_field!(req, remote_port, cx!(conn).port);
    set_field!(req, evcon, conn.as_ptr());
    request::add_flag(req, request::REQ_OWN_CONNECTION);
    request::set_userdone(req, true);
    set_field!(req, kind, request::KIND_REQUEST);
    if let Some(http) = NonNull::new(http) {
        if let Some(cb) = hx!(http).newreqcb {
            let arg = hx!(http).newreqcbarg;
            let alive = connection::alive_token(conn);
            // SAFETY: the program's new-request callback.
            let verdict = unsafe { cb(req.as_ptr(), arg) };
            if verdict == -1 || !alive.get() {
                set_field!(req, evcon, ptr::null_mut());
                // SAFETY: the request was never queued.
                unsafe { request::free(req) };
                return if alive.get() { Err(()) } else { Ok(()) };
            }
        }
    }
    cx!(conn).requests.push_back(req);
    connection::start_read(conn);
    Ok(())
}

/// The request callback of server requests (`evhttp_handle_request`).
unsafe extern "C" fn server_request_arrived(req: *mut evhttp_request, arg: *mut c_void) {
    ffi_boundary!("evhttp_handle_request", {
        if let (Some(req), Some(http)) = (NonNull::new(req), NonNull::new(arg.cast::<evhttp>())) {
            handle_request(req, http);
        }
    })
}

fn handle_request(req: Req, http: Http) {
    request::set_userdone(req, false);
    if field!(req, uri).is_null() {
        connection::send_error(req, field!(req, response_code), None);
        return;
    }
    if hx!(http).allowed_methods & field!(req, type_) == 0 {
        connection::send_error(req, 501, None);
        return;
    }
    let mut target = http;
    // Without aliases or virtual hosts every host is this server's: the host is not
    // looked up (nor cached in the request) for nothing.
    let host = if hx!(http).aliases.is_empty() && hx!(http).vhosts.is_empty() {
        ptr::null()
    } else {
        request::host(req)
    };
    if !host.is_null() {
        // SAFETY: the host string belongs to the request and is unchanged here.
        let host = unsafe { keyvalq::bytes_of(host) };
        target = find_vhost(http, host).0;
    }
    // Without memory for the decoded path no handler matches, as in libevent.
    let found = if hx!(target).handlers.is_empty() {
        None
    } else {
        // SAFETY: the request's own parsed target, live while the request is.
        let path = unsafe { uri_link::decoded_path(field!(req, uri_elems)) };
        path.and_then(|path| {
            hx!(target)
                .handlers
                .iter()
                .find(|h| h.path[..] == path[..])
                .map(|h| (h.cb, h.arg))
        })
    };
    if let Some((cb, arg)) = found {
        // SAFETY: the program's handler.
        unsafe { cb(req.as_ptr(), arg) };
        return;
    }
    if let Some(cb) = hx!(target).gencb {
        let arg = hx!(target).gencbarg;
        // SAFETY: the program's generic handler.
        unsafe { cb(req.as_ptr(), arg) };
        return;
    }
    send_not_found(req);
}

fn html_escape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        match b {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&#039;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            _ => out.push(b),
        }
    }
    out
}

fn send_not_found(req: Req) {
    // SAFETY: the request's target string.
    let uri = unsafe { keyvalq::bytes_of(field!(req, uri)) };
    let mut reason = b"<p>The requested URL ".to_vec();
    reason.extend_from_slice(&html_escape(uri));
    reason.extend_from_slice(b" was not found on this server.</p>");
    connection::send_error(req, 404, Some(&reason));
}

/// The connection type, for the entry points.
pub type Connection = evhttp_connection;
