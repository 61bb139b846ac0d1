//! The DNS server: ports on UDP sockets and TCP listeners, requests in
//! `struct evdns_server_request`'s public layout, and replies.
//!
//! A port counts its references: one while it is open, one per request not yet
//! answered or dropped, and one per stack frame of ours that calls program code while
//! working on it. It is freed when the count reaches zero, so a port closed with
//! requests outstanding lives until the last one is answered or dropped, as in
//! libevent. Every field is read and written under the port's lock (the program's
//! lock kind, recursive, as libevent), which is never held while program code runs.

use std::collections::VecDeque;
use std::ffi::{c_int, c_short, c_void};
use std::ptr::NonNull;

use evrs_sibling::lock::CoreLock;
use evrs_sibling::log::Severity;
use evrs_sibling::sys;

pub mod request;
pub mod tcp;

pub use request::{evdns_server_question, evdns_server_request, PendingRecord, ServerRequest};
use request::{Origin, Parsed};
use tcp::{TcpClient, TcpPort};

/// `evdns_request_callback_fn_type`.
pub type evdns_request_callback_fn_type =
    unsafe extern "C" fn(*mut evdns_server_request, *mut c_void);

/// `EVDNS_SOPT_TCP_MAX_CLIENTS` and `EVDNS_SOPT_TCP_IDLE_TIMEOUT`.
pub const SOPT_TCP_MAX_CLIENTS: c_int = 0;
pub const SOPT_TCP_IDLE_TIMEOUT: c_int = 1;

/// `DNS_ERR_NOTIMPL`, the answer to queries with another opcode than QUERY.
const RCODE_NOTIMPL: c_int = 4;

/// Datagrams read per readiness callback, so that a flood cannot hold the loop.
const UDP_READS_PER_WAKE: usize = 64;
/// The largest query read from UDP; longer datagrams are cut and so ignored.
const UDP_QUERY_BUFFER: usize = 4096;

/// What `struct evdns_server_port *` points to.
pub struct ServerPort {
    lock: CoreLock,
    base: NonNull<sys::event_base>,
    /// None: queries are dropped (libevent crashes on the first one).
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
    refs: usize,
    closing: bool,
    transport: Transport,
    /// Where query names are read while parsing, kept between queries.
    name_scratch: Vec<u8>,
}

enum Transport {
    Udp(UdpPort),
    Tcp(TcpPort),
}

struct UdpPort {
    fd: sys::evutil_socket_t,
    read_event: Option<NonNull<sys::event>>,
    write_event: Option<NonNull<sys::event>>,
    /// Replies whose send would have blocked, oldest first; each holds a port
    /// reference through its request.
    queue: VecDeque<NonNull<ServerRequest>>,
    write_waiting: bool,
    /// Set while queries read in one wake are handed to the program: replies made
    /// meanwhile are collected in `batch` and sent together when the reading ends.
    batching: bool,
    /// Replies answered during this wake, not sent yet, oldest first; each holds a
    /// port reference through its request.
    batch: Vec<NonNull<ServerRequest>>,
    /// Room for `RECV_BATCH` queries read by one system call, made on first use
    /// and kept (empty while in use, or when it could not be made).
    recv_area: Vec<u8>,
}

/// Queries read by one `recvmmsg`.
const RECV_BATCH: usize = 8;

/// A warning about the server, through the evdns log (evdns_set_log_fn), as in libevent.
fn log_warn(message: std::fmt::Arguments<'_>) {
    crate::evdns::resolver::config::emit_log(Severity::Warn, message);
}

/// A debug message about the server, through the evdns log.
fn log_debug(message: std::fmt::Arguments<'_>) {
    crate::evdns::resolver::config::emit_log(Severity::Debug, message);
}

/// Takes the port's lock.
///
/// # Safety
/// `port` is live.
unsafe fn lock(port: NonNull<ServerPort>) {
    // SAFETY: the port is live; only the lock field is borrowed, and the lock is made
    // for use from any thread.
    unsafe { (*port.as_ptr()).lock.acquire() }
}

/// Releases the port's lock.
///
/// # Safety
/// `port` is live and locked by this thread.
unsafe fn unlock(port: NonNull<ServerPort>) {
    // SAFETY: the port is live; only the lock field is borrowed.
    unsafe { (*port.as_ptr()).lock.release() }
}

/// Releases the port's lock, first dropping `released` references; frees the port
/// when none is left.
///
/// # Safety
/// `port` is live and locked by this thread; it may be gone on return.
unsafe fn unlock_and_release(port: NonNull<ServerPort>, released: usize) {
    // SAFETY: the port is live and we hold its lock, so nobody else touches `refs`.
    let gone = unsafe {
        let refs = &mut (*port.as_ptr()).refs;
        *refs -= released;
        *refs == 0
    };
    // SAFETY: the port is still live (the count was not zero before this release) and we
    // hold its lock; only the lock field is borrowed.
    unsafe { (*port.as_ptr()).lock.release() };
    if gone {
        // SAFETY: no reference is left, so no request, frame or program handle will
        // use the port again.
        unsafe { free_port(port) };
    }
}

/// Adds `count` references; the lock is held.
///
/// # Safety
/// `port` is live and locked by this thread.
unsafe fn retain(port: NonNull<ServerPort>, count: usize) {
    // SAFETY: the caller holds the lock of this live port.
    unsafe { (*port.as_ptr()).refs += count };
}

/// Frees the port and what it still owns.
///
/// # Safety
/// `port` is live, unlocked and has no reference left.
unsafe fn free_port(port: NonNull<ServerPort>) {
    // SAFETY: the port came from `try_box` and nobody refers to it any more.
    let port = unsafe { Box::from_raw(port.as_ptr()) };
    match port.transport {
        Transport::Udp(udp) => {
            for event in [udp.read_event, udp.write_event].into_iter().flatten() {
                // SAFETY: our own event, freed once; its callback only runs while
                // the port has references.
                unsafe { sys::event_free(event.as_ptr()) };
            }
            if udp.fd >= 0 {
                // SAFETY: the program handed the socket to the port, which closes it.
                unsafe { sys::evutil_closesocket(udp.fd) };
            }
        }
        Transport::Tcp(tcp) => {
            if let Some(listener) = tcp.listener {
                // SAFETY: the port took the listener over; freed once.
                unsafe { sys::evconnlistener_free(listener.as_ptr()) };
            }
        }
    }
}

/// The base to run on: the given one, or the 1.x current base as libevent.
fn base_or_current(base: *mut sys::event_base) -> Option<NonNull<sys::event_base>> {
    // SAFETY: a plain query of the core.
    NonNull::new(base).or_else(|| NonNull::new(unsafe { sys::evrs_sibling_current_base() }))
}

/// `evdns_add_server_port_with_base`.
///
/// # Safety
/// `base` is NULL or a live base; `fd` is a UDP socket the port takes over.
pub unsafe fn add_udp_port(
    base: *mut sys::event_base,
    fd: sys::evutil_socket_t,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    let Some(base) = base_or_current(base) else {
        log_warn(format_args!(
            "evdns_add_server_port_with_base: no event base"
        ));
        return std::ptr::null_mut();
    };
    if flags != 0 || fd < 0 {
        return std::ptr::null_mut();
    }
    let Some(port) = evrs_sibling::alloc::try_box(ServerPort {
        lock: CoreLock::new(true),
        base,
        callback,
        user_data,
        refs: 1,
        closing: false,
        name_scratch: Vec::new(),
        transport: Transport::Udp(UdpPort {
            fd,
            read_event: None,
            write_event: None,
            queue: VecDeque::new(),
            write_waiting: false,
            batching: false,
            batch: Vec::new(),
            recv_area: Vec::new(),
        }),
    }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `base` is live; the callbacks get the port, which outlives its events.
    let (read_event, write_event) = unsafe {
        (
            NonNull::new(sys::event_new(
                base.as_ptr(),
                fd,
                sys::EV_READ | sys::EV_PERSIST,
                Some(udp_ready),
                port.as_ptr().cast(),
            )),
            NonNull::new(sys::event_new(
                base.as_ptr(),
                fd,
                sys::EV_WRITE | sys::EV_PERSIST,
                Some(udp_ready),
                port.as_ptr().cast(),
            )),
        )
    };
    // SAFETY: the port is ours alone until returned.
    unsafe {
        if let Transport::Udp(udp) = &mut (*port.as_ptr()).transport {
            udp.read_event = read_event;
            udp.write_event = write_event;
        }
    }
    let added = match (read_event, write_event) {
        // SAFETY: a fresh event of ours.
        (Some(read), Some(_)) => unsafe { sys::event_add(read.as_ptr(), std::ptr::null()) == 0 },
        _ => false,
    };
    if !added {
        // The socket stays the program's on failure, as in libevent.
        // SAFETY: the port is ours alone; the fd is not closed.
        unsafe {
            if let Transport::Udp(udp) = &mut (*port.as_ptr()).transport {
                udp.fd = -1;
            }
            free_port(port);
        }
        return std::ptr::null_mut();
    }
    port.as_ptr()
}

/// `evdns_add_server_port_with_listener`.
///
/// # Safety
/// `base` is NULL or a live base; `listener` is NULL or a live listener the port takes
/// over.
pub unsafe fn add_tcp_port(
    base: *mut sys::event_base,
    listener: *mut sys::evconnlistener,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    let Some(listener) = NonNull::new(listener) else {
        return std::ptr::null_mut();
    };
    // libevent uses the base as given (and crashes on NULL); the listener's is the
    // natural one.
    // SAFETY: a live listener.
    let base = base_or_current(base)
        .or_else(|| NonNull::new(unsafe { sys::evconnlistener_get_base(listener.as_ptr()) }));
    let Some(base) = base else {
        log_warn(format_args!(
            "evdns_add_server_port_with_listener: no event base"
        ));
        return std::ptr::null_mut();
    };
    if flags != 0 {
        return std::ptr::null_mut();
    }
    let Some(port) = evrs_sibling::alloc::try_box(ServerPort {
        lock: CoreLock::new(true),
        base,
        callback,
        user_data,
        refs: 1,
        closing: false,
        name_scratch: Vec::new(),
        transport: Transport::Tcp(TcpPort::new(listener)),
    }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the listener is live; the port outlives it (it frees it).
    unsafe { evrs_sibling::handler::set_listener_callback::<tcp::Accept>(listener, port) };
    port.as_ptr()
}

/// `evdns_close_server_port`.
///
/// # Safety
/// `port` is live and not closed before.
pub unsafe fn close_port(port: NonNull<ServerPort>) {
    // SAFETY: a live port.
    unsafe { lock(port) };
    // SAFETY: locked; no program code runs below while this borrow lives.
    let state = unsafe { &mut *port.as_ptr() };
    if state.closing {
        // libevent drops a reference again and frees the port under its requests.
        log_warn(format_args!("evdns_close_server_port: already closed"));
        state.lock.release();
        return;
    }
    state.closing = true;
    match &mut state.transport {
        Transport::Udp(udp) => {
            // No new queries once closed (libevent goes on reading until the port is
            // freed); queued replies still go out.
            if let Some(event) = udp.read_event {
                // SAFETY: our own live event.
                unsafe { sys::event_del(event.as_ptr()) };
            }
        }
        Transport::Tcp(tcp) => {
            if let Some(listener) = tcp.listener.take() {
                // SAFETY: ours; no connection is accepted from now on.
                unsafe { sys::evconnlistener_free(listener.as_ptr()) };
            }
            let clients = std::mem::take(&mut tcp.clients);
            for client in clients {
                // SAFETY: a live client of this locked port.
                unsafe { tcp::disconnect(client) };
            }
        }
    }
    // SAFETY: locked above; the open reference goes.
    unsafe { unlock_and_release(port, 1) };
}

/// `evdns_server_port_set_option`.
///
/// # Safety
/// `port` is live.
pub unsafe fn set_option(port: NonNull<ServerPort>, option: c_int, value: usize) -> c_int {
    // SAFETY: a live port.
    unsafe { lock(port) };
    // SAFETY: locked; nothing below runs program code.
    let state = unsafe { &mut *port.as_ptr() };
    let result = match (&mut state.transport, option) {
        (Transport::Tcp(tcp), SOPT_TCP_MAX_CLIENTS) => {
            tcp.max_clients = value;
            0
        }
        (Transport::Tcp(tcp), SOPT_TCP_IDLE_TIMEOUT) => {
            tcp.idle_timeout = libc::timeval {
                tv_sec: libc::time_t::try_from(value).unwrap_or(libc::time_t::MAX),
                tv_usec: 0,
            };
            0
        }
        (Transport::Udp(_), SOPT_TCP_MAX_CLIENTS | SOPT_TCP_IDLE_TIMEOUT) => {
            log_warn(format_args!(
                "evdns_server_port_set_option: option {option} applies to TCP ports only"
            ));
            -1
        }
        _ => {
            log_warn(format_args!(
                "evdns_server_port_set_option: unknown option {option}"
            ));
            -1
        }
    };
    state.lock.release();
    result
}

/// Gives a request to the program's callback; called without the lock, holding a
/// reference of the request's.
///
/// # Safety
/// `port` and `request` are live.
unsafe fn dispatch(port: NonNull<ServerPort>, request: NonNull<ServerRequest>) {
    // SAFETY: set at creation and never changed, so reading them needs no lock.
    let (callback, user_data) = unsafe { ((*port.as_ptr()).callback, (*port.as_ptr()).user_data) };
    match callback {
        // SAFETY: the program's callback with the request it now owns; no borrow of
        // ours is alive.
        Some(callback) => unsafe { callback(ServerRequest::public_ptr(request), user_data) },
        // SAFETY: a live request nobody else has.
        None => unsafe { drop_request(request) },
    }
}

/// Turns a received packet into a request: ignored when not a query; a query with
/// another opcode is answered NOTIMPL at once; a query is returned, holding a port
/// reference (and a client reference over TCP), for the caller to dispatch once it
/// has unlocked.
///
/// # Safety
/// `port` is live and locked; a TCP origin's client is live.
unsafe fn accept_packet(
    port: NonNull<ServerPort>,
    packet: &[u8],
    origin: Origin,
) -> Option<NonNull<ServerRequest>> {
    let client = match origin {
        Origin::Tcp(client) => Some(client),
        Origin::Udp { .. } => None,
    };
    // SAFETY: locked; the scratch space is borrowed for the parse only.
    let name = unsafe { &mut (*port.as_ptr()).name_scratch };
    let parsed = ServerRequest::from_packet(packet, port, origin, name)?;
    // SAFETY: locked; the new request holds these.
    unsafe {
        retain(port, 1);
        if let Some(client) = client {
            tcp::retain_client(client);
        }
    }
    match parsed {
        Parsed::Query(request) => Some(request),
        Parsed::NotImplemented(request) => {
            // SAFETY: a fresh request of this locked port; the port keeps its open
            // reference, so releasing the request's cannot free it here.
            unsafe {
                let (result, freed) = respond_locked(port, request, RCODE_NOTIMPL);
                if !freed && result < 0 {
                    free_request(request);
                }
                // A queued reply keeps its reference until it is sent.
                if freed || result < 0 {
                    (*port.as_ptr()).refs -= 1;
                }
            }
            None
        }
    }
}

/// `evdns_server_request_respond` with the lock held: the result code, and whether
/// the request was freed (its port reference then to be released by the caller).
///
/// # Safety
/// `port` is live and locked; `request` is a live request of it.
unsafe fn respond_locked(
    port: NonNull<ServerPort>,
    request: NonNull<ServerRequest>,
    rcode: c_int,
) -> (c_int, bool) {
    {
        // SAFETY: locked; the borrow ends before anything else touches the request.
        let req = unsafe { &mut *request.as_ptr() };
        if req.queued {
            return (1, false);
        }
        if !req.build_response(rcode) {
            return (-1, false);
        }
    }
    // SAFETY: locked, the request is live and nothing below runs program code.
    let origin = unsafe { &(*request.as_ptr()).origin };
    match origin {
        Origin::Udp { .. } => {
            // SAFETY: locked; the transport is borrowed for the send only.
            let Transport::Udp(udp) = (unsafe { &mut (*port.as_ptr()).transport }) else {
                return (-1, false);
            };
            if !udp.queue.is_empty() {
                // Keep the order of replies already waiting.
                // SAFETY: the port's lock is held and the request is live with its response
                // built.
                return unsafe { enqueue(udp, request) };
            }
            if udp.batching && udp.batch.try_reserve(1).is_ok() {
                // Sent with the others of this wake, in one system call.
                udp.batch.push(request);
                // SAFETY: locked; the request is live. Marked like a queued reply:
                // answering it again says so, dropping it takes it out.
                unsafe { (*request.as_ptr()).queued = true };
                return (0, false);
            }
            // SAFETY: the request is live.
            match unsafe { udp_send(udp.fd, request) } {
                SendOutcome::Sent => {
                    // SAFETY: live, not queued; the caller releases the reference.
                    unsafe { free_request(request) };
                    (0, true)
                }
                // SAFETY: the port's lock is held and the request is live, not yet queued.
                SendOutcome::WouldBlock => unsafe { enqueue(udp, request) },
                // As libevent: -1 and the request stays the program's, to answer
                // again or drop.
                SendOutcome::Failed => (-1, false),
            }
        }
        Origin::Tcp(client) => {
            let client = *client;
            // SAFETY: the request's reference keeps the client record live; the
            // response was built above.
            unsafe {
                if let Some(response) = &(*request.as_ptr()).response {
                    tcp::send_reply(client, response);
                }
                free_request(request);
            }
            // A reply for a connection already closed is dropped, as a datagram to
            // a client gone would be (libevent uses the freed connection).
            (0, true)
        }
    }
}

enum SendOutcome {
    Sent,
    WouldBlock,
    Failed,
}

/// Sends a UDP request's built response to its client.
///
/// # Safety
/// `request` is live, from UDP, with its response built.
unsafe fn udp_send(fd: sys::evutil_socket_t, request: NonNull<ServerRequest>) -> SendOutcome {
    // SAFETY: the request is live; borrowed for this call only.
    let req = unsafe { request.as_ref() };
    let (Some(response), Origin::Udp { addr, len }) = (&req.response, &req.origin) else {
        return SendOutcome::Failed;
    };
    // SAFETY: valid buffers of the given lengths.
    let sent = unsafe {
        libc::sendto(
            fd,
            response.as_ptr().cast(),
            response.len(),
            0,
            (addr as *const libc::sockaddr_storage).cast(),
            *len,
        )
    };
    if sent >= 0 {
        return SendOutcome::Sent;
    }
    send_error()
}

/// What the error of a failed send means.
fn send_error() -> SendOutcome {
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EAGAIN | libc::EINTR) => SendOutcome::WouldBlock,
        #[allow(unreachable_patterns)]
        Some(libc::EWOULDBLOCK) => SendOutcome::WouldBlock,
        _ => {
            log_warn(format_args!(
                "evdns server: error {error} while sending a reply"
            ));
            SendOutcome::Failed
        }
    }
}

/// Queues a reply until the socket is writable.
///
/// # Safety
/// `request` is live, with its response built; the port is locked.
unsafe fn enqueue(udp: &mut UdpPort, request: NonNull<ServerRequest>) -> (c_int, bool) {
    if udp.queue.try_reserve(1).is_err() {
        return (-1, false);
    }
    udp.queue.push_back(request);
    // SAFETY: locked; the request is live.
    unsafe { (*request.as_ptr()).queued = true };
    if !udp.write_waiting {
        if let Some(event) = udp.write_event {
            // SAFETY: our own live event.
            if unsafe { sys::event_add(event.as_ptr(), std::ptr::null()) } == 0 {
                udp.write_waiting = true;
            }
        }
    }
    (1, false)
}

/// Frees a request (questions, records, response), taking it off the queue and
/// letting its connection go; the caller releases its port reference.
///
/// # Safety
/// The port is locked; `request` is live and not used again.
unsafe fn free_request(request: NonNull<ServerRequest>) {
    // SAFETY: the request came from `try_box`; nobody uses it after this.
    let request = unsafe { Box::from_raw(request.as_ptr()) };
    if request.queued {
        // SAFETY: locked; the port is live while it has this request.
        if let Transport::Udp(udp) = unsafe { &mut (*request.port.as_ptr()).transport } {
            let raw: *const ServerRequest = &*request;
            udp.queue
                .retain(|queued| queued.as_ptr().cast_const() != raw);
            udp.batch
                .retain(|batched| batched.as_ptr().cast_const() != raw);
        }
    }
    if let Origin::Tcp(client) = request.origin {
        // SAFETY: the request held this reference of a live client.
        unsafe { tcp::release_client(client) };
    }
}

/// `evdns_server_request_respond`.
///
/// # Safety
/// `request` is a live request.
pub unsafe fn respond(request: NonNull<ServerRequest>, rcode: c_int) -> c_int {
    // SAFETY: the request keeps its port alive.
    let port = unsafe { (*request.as_ptr()).port };
    // SAFETY: live port.
    unsafe { lock(port) };
    // SAFETY: locked, live request.
    let (result, freed) = unsafe { respond_locked(port, request, rcode) };
    // SAFETY: locked; a freed request's reference goes.
    unsafe { unlock_and_release(port, usize::from(freed)) };
    result
}

/// `evdns_server_request_drop`.
///
/// # Safety
/// `request` is a live request.
pub unsafe fn drop_request(request: NonNull<ServerRequest>) {
    // SAFETY: the request keeps its port alive.
    let port = unsafe { (*request.as_ptr()).port };
    // SAFETY: live port, then a live request of it, freed once.
    unsafe {
        lock(port);
        free_request(request);
        unlock_and_release(port, 1);
    }
}

/// Runs `body` on a request under its port's lock (records, flags, address).
///
/// # Safety
/// `request` is a live request; `body` runs no program code.
pub unsafe fn with_request<R>(
    request: NonNull<ServerRequest>,
    body: impl FnOnce(&mut ServerRequest) -> R,
) -> R {
    // SAFETY: the request keeps its port alive.
    let port = unsafe { (*request.as_ptr()).port };
    // SAFETY: live port.
    unsafe { lock(port) };
    // SAFETY: locked, and `body` runs no program code while the borrow lives.
    let result = body(unsafe { &mut *request.as_ptr() });
    // SAFETY: locked above.
    unsafe { (*port.as_ptr()).lock.release() };
    result
}

/// The UDP socket's readiness callback: replies waiting when writable, queries when
/// readable.
unsafe extern "C" fn udp_ready(_fd: sys::evutil_socket_t, what: c_short, arg: *mut c_void) {
    let Some(port) = NonNull::new(arg.cast::<ServerPort>()) else {
        return;
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the events carry their port, which lives while its events can fire;
        // the frame's reference keeps it alive through program code.
        unsafe {
            lock(port);
            retain(port, 1);
            if what & sys::EV_WRITE != 0 {
                flush_queue(port);
            }
            if what & sys::EV_READ != 0 {
                read_queries(port);
            }
            unlock_and_release(port, 1);
        }
    }));
    if outcome.is_err() {
        log_warn(format_args!("evdns server: internal error caught"));
    }
}

/// Sends queued replies until the socket would block again.
///
/// # Safety
/// `port` is live and locked, and has a frame reference.
unsafe fn flush_queue(port: NonNull<ServerPort>) {
    loop {
        // SAFETY: locked; borrowed until the next free.
        let Transport::Udp(udp) = (unsafe { &mut (*port.as_ptr()).transport }) else {
            return;
        };
        let Some(&request) = udp.queue.front() else {
            if udp.write_waiting {
                if let Some(event) = udp.write_event {
                    // SAFETY: our own live event.
                    unsafe { sys::event_del(event.as_ptr()) };
                }
                udp.write_waiting = false;
            }
            return;
        };
        // SAFETY: a queued request is live.
        match unsafe { udp_send(udp.fd, request) } {
            SendOutcome::WouldBlock => return,
            // As libevent, a reply that fails for good is dropped.
            SendOutcome::Sent | SendOutcome::Failed => {
                udp.queue.pop_front();
                // SAFETY: off the queue now; the frame reference keeps the port.
                unsafe {
                    (*request.as_ptr()).queued = false;
                    free_request(request);
                    (*port.as_ptr()).refs -= 1;
                }
            }
        }
    }
}

/// Reads queries and gives them to the program, unlocking around each callback.
///
/// # Safety
/// `port` is live and locked, and has a frame reference; locked again on return.
unsafe fn read_queries(port: NonNull<ServerPort>) {
    // SAFETY: locked.
    if let Transport::Udp(udp) = unsafe { &mut (*port.as_ptr()).transport } {
        udp.batching = true;
    }
    // SAFETY: as this function's contract.
    unsafe { read_queries_batched(port) };
    // SAFETY: locked again by `read_queries_batched`.
    if let Transport::Udp(udp) = unsafe { &mut (*port.as_ptr()).transport } {
        udp.batching = false;
    }
    // SAFETY: locked, with the frame reference.
    unsafe { flush_batch(port) };
}

/// Sends the replies of this wake's batch: together where the system has
/// `sendmmsg`; what would block joins the queue for the write event, and a reply
/// that fails for good is dropped, as a queued one is.
///
/// # Safety
/// `port` is live and locked, and has a frame reference.
unsafe fn flush_batch(port: NonNull<ServerPort>) {
    // SAFETY: locked; borrowed until the requests are freed below.
    let Transport::Udp(udp) = (unsafe { &mut (*port.as_ptr()).transport }) else {
        return;
    };
    if udp.batch.is_empty() {
        return;
    }
    let batch = std::mem::take(&mut udp.batch);
    let fd = udp.fd;
    let mut done = 0;
    while done < batch.len() {
        // SAFETY: the batched requests are live, from UDP, with responses built.
        let (sent, outcome) = unsafe { udp_send_many(fd, &batch[done..]) };
        for &request in &batch[done..done + sent] {
            // SAFETY: sent; the frame reference keeps the port.
            unsafe {
                (*request.as_ptr()).queued = false;
                free_request(request);
                (*port.as_ptr()).refs -= 1;
            }
        }
        done += sent;
        match outcome {
            SendOutcome::Sent => {}
            SendOutcome::WouldBlock => break,
            SendOutcome::Failed => {
                // As a queued reply that fails for good: dropped.
                let request = batch[done];
                // SAFETY: the port's lock is held; the batch's requests are live until
                // freed here.
                unsafe {
                    (*request.as_ptr()).queued = false;
                    free_request(request);
                    (*port.as_ptr()).refs -= 1;
                }
                done += 1;
            }
        }
    }
    for &request in &batch[done..] {
        // SAFETY: locked; the transport is borrowed for the queueing only.
        let Transport::Udp(udp) = (unsafe { &mut (*port.as_ptr()).transport }) else {
            return;
        };
        // SAFETY: live, with its response built.
        unsafe { (*request.as_ptr()).queued = false };
        // SAFETY: the port's lock is held and the request is live, no longer in the batch.
        let (result, _) = unsafe { enqueue(udp, request) };
        if result < 0 {
            // No room to queue it: dropped, as a reply that cannot be sent.
            // SAFETY: the port's lock is held; the request is live and in no queue, so
            // freeing it leaves no pointer to it.
            unsafe {
                free_request(request);
                (*port.as_ptr()).refs -= 1;
            }
        }
    }
    // Kept for the next wake.
    // SAFETY: locked.
    if let Transport::Udp(udp) = unsafe { &mut (*port.as_ptr()).transport } {
        let mut batch = batch;
        batch.clear();
        if udp.batch.is_empty() {
            udp.batch = batch;
        }
    }
}

/// Sends the built responses of `requests` from the start: how many went out, and
/// what stopped the rest (`Sent` when all did).
///
/// # Safety
/// The requests are live, from UDP, with their responses built.
unsafe fn udp_send_many(
    fd: sys::evutil_socket_t,
    requests: &[NonNull<ServerRequest>],
) -> (usize, SendOutcome) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        const MAX: usize = 64;
        // SAFETY: all-zero iovecs and headers are valid values, filled in below.
        let mut iovecs: [libc::iovec; MAX] = unsafe { std::mem::zeroed() };
        // SAFETY: mmsghdr is plain integers and pointers; all-zero is valid, filled in
        // below.
        let mut headers: [libc::mmsghdr; MAX] = unsafe { std::mem::zeroed() };
        let count = requests.len().min(MAX);
        for (index, &request) in requests[..count].iter().enumerate() {
            // SAFETY: live requests; borrowed until the call returns, and nothing
            // else touches them meanwhile (the lock is held).
            let req = unsafe { &*request.as_ptr() };
            let (Some(response), Origin::Udp { addr, len }) = (&req.response, &req.origin) else {
                return if index == 0 {
                    (0, SendOutcome::Failed)
                } else {
                    (index, SendOutcome::Sent)
                };
            };
            iovecs[index] = libc::iovec {
                iov_base: response.as_ptr().cast_mut().cast(),
                iov_len: response.len(),
            };
            let header = &mut headers[index].msg_hdr;
            header.msg_name = (addr as *const libc::sockaddr_storage).cast_mut().cast();
            header.msg_namelen = *len;
            header.msg_iov = &mut iovecs[index];
            header.msg_iovlen = 1;
        }
        // SAFETY: `count` headers, each pointing at a live response and address.
        let sent = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), count as libc::c_uint, 0) };
        if sent > 0 {
            return (sent as usize, SendOutcome::Sent);
        }
        // Nothing went out: the error is the first reply's.
        (0, send_error())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: as this function's contract.
        match unsafe { udp_send(fd, requests[0]) } {
            SendOutcome::Sent => (1, SendOutcome::Sent),
            other => (0, other),
        }
    }
}

/// Reads queries and gives them to the program, unlocking around each callback.
///
/// # Safety
/// `port` is live and locked, and has a frame reference; locked again on return.
unsafe fn read_queries_batched(port: NonNull<ServerPort>) {
    // SAFETY: locked; taken out while in use (callbacks run in between, but this
    // event's callback does not run again meanwhile).
    let mut area = match unsafe { &mut (*port.as_ptr()).transport } {
        Transport::Udp(udp) => std::mem::take(&mut udp.recv_area),
        Transport::Tcp(_) => return,
    };
    let wanted = RECV_BATCH * UDP_QUERY_BUFFER;
    if area.len() < wanted && area.try_reserve_exact(wanted - area.len()).is_ok() {
        area.resize(wanted, 0);
    }
    let mut single = [0u8; UDP_QUERY_BUFFER];
    let mut left = UDP_READS_PER_WAKE;
    while left > 0 {
        // SAFETY: locked.
        let (closing, fd) = unsafe {
            match &(*port.as_ptr()).transport {
                Transport::Udp(udp) => ((*port.as_ptr()).closing, udp.fd),
                Transport::Tcp(_) => break,
            }
        };
        if closing {
            break;
        }
        let mut received = [Received::default(); RECV_BATCH];
        let asked = if area.len() >= wanted {
            left.min(RECV_BATCH)
        } else {
            1
        };
        let count = if area.len() >= wanted {
            receive_many(fd, &mut area, &mut received[..asked])
        } else {
            receive_many(fd, &mut single, &mut received[..asked])
        };
        let Some(count) = count else {
            break;
        };
        left -= count;
        let buffer: &[u8] = if area.len() >= wanted { &area } else { &single };
        for (index, got) in received[..count].iter().enumerate() {
            // SAFETY: locked (again, after each callback).
            if unsafe { (*port.as_ptr()).closing } {
                break;
            }
            let start = index * UDP_QUERY_BUFFER;
            let packet = &buffer[start..start + got.len];
            let origin = Origin::Udp {
                addr: got.addr,
                len: got.addr_len,
            };
            // SAFETY: locked.
            let Some(request) = (unsafe { accept_packet(port, packet, origin) }) else {
                continue;
            };
            // SAFETY: unlocked around the program's callback; the frame reference
            // keeps the port, the request's keeps the request until the program lets
            // it go.
            unsafe {
                (*port.as_ptr()).lock.release();
                dispatch(port, request);
                lock(port);
            }
        }
        if count < asked {
            // The socket had no more.
            break;
        }
    }
    // SAFETY: locked.
    if let Transport::Udp(udp) = unsafe { &mut (*port.as_ptr()).transport } {
        udp.recv_area = area;
    }
}

/// One datagram read by [`receive_many`].
#[derive(Clone, Copy)]
struct Received {
    len: usize,
    addr: libc::sockaddr_storage,
    addr_len: libc::socklen_t,
}

impl Default for Received {
    fn default() -> Self {
        Received {
            len: 0,
            // SAFETY: all-zero is a valid sockaddr_storage.
            addr: unsafe { std::mem::zeroed() },
            addr_len: 0,
        }
    }
}

/// Reads up to `into.len()` datagrams, the i-th into `buffer` at i *
/// UDP_QUERY_BUFFER (longer ones are cut, and so fail to parse): how many, or None
/// when none was waiting or reading failed (logged unless it would block).
fn receive_many(
    fd: sys::evutil_socket_t,
    buffer: &mut [u8],
    into: &mut [Received],
) -> Option<usize> {
    let slots = into.len().min(buffer.len() / UDP_QUERY_BUFFER);
    if slots == 0 {
        return None;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let got = {
        // SAFETY: all-zero iovecs and headers are valid values, filled in below.
        let mut iovecs: [libc::iovec; RECV_BATCH] = unsafe { std::mem::zeroed() };
        // SAFETY: mmsghdr is plain integers and pointers; all-zero is valid, filled in
        // below.
        let mut headers: [libc::mmsghdr; RECV_BATCH] = unsafe { std::mem::zeroed() };
        let slots = slots.min(RECV_BATCH);
        for (index, chunk) in buffer
            .chunks_exact_mut(UDP_QUERY_BUFFER)
            .take(slots)
            .enumerate()
        {
            iovecs[index] = libc::iovec {
                iov_base: chunk.as_mut_ptr().cast(),
                iov_len: chunk.len(),
            };
            let header = &mut headers[index].msg_hdr;
            header.msg_name = (&raw mut into[index].addr).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &raw mut iovecs[index];
            header.msg_iovlen = 1;
        }
        // SAFETY: `slots` headers, each pointing at its own buffer chunk and address
        // slot, all writable and alive for the call.
        let got = unsafe {
            libc::recvmmsg(
                fd,
                headers.as_mut_ptr(),
                slots as libc::c_uint,
                0,
                std::ptr::null_mut(),
            )
        };
        if got > 0 {
            for (slot, header) in into.iter_mut().zip(&headers[..got as usize]) {
                slot.len = header.msg_len as usize;
                slot.addr_len = header.msg_hdr.msg_namelen;
            }
        }
        got
    };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let got = {
        let slot = &mut into[0];
        let mut addr_len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: valid buffers with their sizes.
        let got = unsafe {
            libc::recvfrom(
                fd,
                buffer.as_mut_ptr().cast(),
                UDP_QUERY_BUFFER,
                0,
                (&raw mut slot.addr).cast(),
                &mut addr_len,
            )
        };
        if got >= 0 {
            slot.len = got as usize;
            slot.addr_len = addr_len;
            1
        } else {
            got
        }
    };
    if got > 0 {
        return Some(got as usize);
    }
    if got == 0 {
        return None;
    }
    let error = std::io::Error::last_os_error();
    if !matches!(error.raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) {
        log_warn(format_args!(
            "evdns server: error {error} while reading a query"
        ));
    }
    None
}

/// The port's TCP half, for the connection code.
///
/// # Safety
/// `port` is live and locked.
unsafe fn tcp_half<'a>(port: NonNull<ServerPort>) -> Option<&'a mut TcpPort> {
    // SAFETY: the caller holds the lock and keeps no other borrow of the port.
    match unsafe { &mut (*port.as_ptr()).transport } {
        Transport::Tcp(tcp) => Some(tcp),
        Transport::Udp(_) => None,
    }
}

/// Whether the port was closed.
///
/// # Safety
/// `port` is live and locked.
unsafe fn is_closing(port: NonNull<ServerPort>) -> bool {
    // SAFETY: locked.
    unsafe { (*port.as_ptr()).closing }
}

/// The port's event base.
///
/// # Safety
/// `port` is live.
unsafe fn base_of(port: NonNull<ServerPort>) -> NonNull<sys::event_base> {
    // SAFETY: set at creation and never changed.
    unsafe { (*port.as_ptr()).base }
}

/// For the TCP code: a packet read from `client`, turned into a dispatched query.
///
/// # Safety
/// `port` is live and locked, with a frame reference; `client` is live. Locked again
/// on return.
unsafe fn handle_tcp_message(port: NonNull<ServerPort>, client: NonNull<TcpClient>, packet: &[u8]) {
    // SAFETY: locked.
    let Some(request) = (unsafe { accept_packet(port, packet, Origin::Tcp(client)) }) else {
        return;
    };
    // SAFETY: unlocked around program code, as in `read_queries`.
    unsafe {
        (*port.as_ptr()).lock.release();
        dispatch(port, request);
        lock(port);
    }
}
