//! The TCP half of a server port (libevent 2.2): connections accepted by the program's
//! listener, each message prefixed by its 16-bit length, several per connection,
//! pieces gathered until whole; at most `max_clients` connections, each closed after
//! `idle_timeout` without traffic. A client that does not read its replies has its
//! further queries wait once 256 KiB of replies are pending.
//!
//! A connection's record counts references under the port's lock: one while
//! connected, one per request it brought that is not answered yet, one per frame of
//! ours that runs program code. The socket goes when the connection closes; the
//! record when the last reference does, so a late reply finds it (and drops itself).

use std::ffi::{c_int, c_short};
use std::ptr::NonNull;

use evrs_sibling::handler::{self, BuffereventHandler, ListenerHandler};
use evrs_sibling::sys;

use super::{
    base_of, handle_tcp_message, is_closing, lock, log_debug, log_warn, retain, tcp_half, unlock,
    unlock_and_release, ServerPort,
};

/// libevent's defaults: `MAX_CLIENT_CONNECTIONS` and `SERVER_IDLE_CONN_TIMEOUT`.
const DEFAULT_MAX_CLIENTS: usize = 10;
const DEFAULT_IDLE_SECONDS: libc::time_t = 10;
/// The length prefix.
const PREFIX_LEN: usize = 2;
/// Input kept per connection at most: one whole message and its prefix.
const MAX_INPUT: usize = PREFIX_LEN + u16::MAX as usize;
/// Replies waiting for a client that does not read them: past this, its further
/// queries wait until they are gone (libevent lets them grow without bound).
const MAX_PENDING_OUTPUT: usize = 256 * 1024;

pub struct TcpPort {
    /// Freed when the port closes.
    pub listener: Option<NonNull<sys::evconnlistener>>,
    /// The connections open now.
    pub clients: Vec<NonNull<TcpClient>>,
    pub max_clients: usize,
    pub idle_timeout: libc::timeval,
}

impl TcpPort {
    pub fn new(listener: NonNull<sys::evconnlistener>) -> TcpPort {
        TcpPort {
            listener: Some(listener),
            clients: Vec::new(),
            max_clients: DEFAULT_MAX_CLIENTS,
            idle_timeout: libc::timeval {
                tv_sec: DEFAULT_IDLE_SECONDS,
                tv_usec: 0,
            },
        }
    }
}

/// One client connection.
pub struct TcpClient {
    port: NonNull<ServerPort>,
    /// None once closed.
    bev: Option<NonNull<sys::bufferevent>>,
    peer: libc::sockaddr_storage,
    peer_len: libc::socklen_t,
    refs: usize,
    /// Reading stopped until the replies waiting are written.
    paused: bool,
}

impl TcpClient {
    /// The client's address, as the listener reported it.
    pub fn peer(&self) -> (*const libc::sockaddr_storage, libc::socklen_t) {
        (&self.peer, self.peer_len)
    }
}

/// Adds a reference to a client.
///
/// # Safety
/// The client's port is locked; the client is live.
pub unsafe fn retain_client(client: NonNull<TcpClient>) {
    // SAFETY: guarded by the port's lock.
    unsafe { (*client.as_ptr()).refs += 1 };
}

/// Drops a reference to a client, freeing the record with the last one.
///
/// # Safety
/// The client's port is locked; the client is live and may be gone on return.
pub unsafe fn release_client(client: NonNull<TcpClient>) {
    // SAFETY: guarded by the port's lock.
    let refs = unsafe {
        let refs = &mut (*client.as_ptr()).refs;
        *refs -= 1;
        *refs
    };
    if refs == 0 {
        // SAFETY: the last reference; the socket was closed with the connection
        // reference, and the record came from `try_box`.
        drop(unsafe { Box::from_raw(client.as_ptr()) });
    }
}

/// Closes a connection: frees its bufferevent (and socket) and takes it off the
/// port's list; the record stays while requests refer to it.
///
/// # Safety
/// The client's port is live and locked; the client is live and may be gone on
/// return.
pub unsafe fn disconnect(client: NonNull<TcpClient>) {
    // SAFETY: locked; borrowed for these lines only.
    let (bev, port) = unsafe { ((*client.as_ptr()).bev.take(), (*client.as_ptr()).port) };
    let Some(bev) = bev else {
        return;
    };
    // SAFETY: our bufferevent, freed once; its callbacks are cleared first so none
    // runs for a freed record.
    unsafe {
        handler::clear_callbacks(bev);
        sys::bufferevent_free(bev.as_ptr());
    }
    // SAFETY: the port is locked.
    if let Some(tcp) = unsafe { tcp_half(port) } {
        tcp.clients.retain(|&open| open != client);
    }
    // SAFETY: the connection's reference goes.
    unsafe { release_client(client) };
}

/// Writes a reply, length first; a connection that fails to take it is closed.
///
/// # Safety
/// The client's port is live and locked; the client is live.
pub unsafe fn send_reply(client: NonNull<TcpClient>, response: &[u8]) {
    // SAFETY: locked.
    let Some(bev) = (unsafe { (*client.as_ptr()).bev }) else {
        return;
    };
    let Ok(len) = u16::try_from(response.len()) else {
        return;
    };
    let mut framed = Vec::new();
    if framed
        .try_reserve_exact(PREFIX_LEN + response.len())
        .is_err()
    {
        // SAFETY: as this function's contract.
        unsafe { disconnect(client) };
        return;
    }
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(response);
    // SAFETY: a live bufferevent and a buffer of that length.
    let written =
        unsafe { sys::bufferevent_write(bev.as_ptr(), framed.as_ptr().cast(), framed.len()) };
    if written != 0 {
        log_warn(format_args!(
            "evdns server: could not write a reply; closing the connection"
        ));
        // SAFETY: as this function's contract.
        unsafe { disconnect(client) };
    }
}

/// The listener's callback: a new client connection.
pub struct Accept;

impl ListenerHandler for Accept {
    type Target = ServerPort;

    // `peer` comes from the listener, which passes the accepted peer's address.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn accept(
        port: NonNull<ServerPort>,
        fd: sys::evutil_socket_t,
        peer: *mut libc::sockaddr,
        peer_len: c_int,
    ) {
        // SAFETY: the listener belongs to this live port, which frees it when closed.
        unsafe { lock(port) };
        // SAFETY: locked; nothing below runs program code.
        let accepted = unsafe { open_connection(port, fd, peer, peer_len) };
        if !accepted {
            // SAFETY: the accepted socket is still ours.
            unsafe { sys::evutil_closesocket(fd) };
        }
        // SAFETY: locked above.
        unsafe { unlock(port) };
    }
}

/// Sets a connection up; false when refused (closing, too many clients, no memory).
///
/// # Safety
/// `port` is live and locked; `peer` holds `peer_len` bytes (or is NULL).
unsafe fn open_connection(
    port: NonNull<ServerPort>,
    fd: sys::evutil_socket_t,
    peer: *mut libc::sockaddr,
    peer_len: c_int,
) -> bool {
    // SAFETY: locked.
    if unsafe { is_closing(port) } {
        return false;
    }
    // SAFETY: locked.
    let Some(tcp) = (unsafe { tcp_half(port) }) else {
        return false;
    };
    if tcp.clients.len() >= tcp.max_clients || tcp.clients.try_reserve(1).is_err() {
        log_debug(format_args!(
            "evdns server: refusing a connection (limit {})",
            tcp.max_clients
        ));
        return false;
    }
    let timeout = tcp.idle_timeout;
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let copied = usize::try_from(peer_len)
        .unwrap_or(0)
        .min(size_of::<libc::sockaddr_storage>());
    let copied = if peer.is_null() { 0 } else { copied };
    // SAFETY: `peer` holds at least `copied` bytes; the storage has room for them.
    unsafe {
        std::ptr::copy_nonoverlapping(peer.cast::<u8>(), (&raw mut storage).cast::<u8>(), copied)
    };
    // SAFETY: a live base and an accepted socket, closed with the bufferevent.
    let Some(bev) = NonNull::new(unsafe {
        sys::bufferevent_socket_new(base_of(port).as_ptr(), fd, sys::BEV_OPT_CLOSE_ON_FREE)
    }) else {
        return false;
    };
    let Some(client) = evrs_sibling::alloc::try_box(TcpClient {
        port,
        bev: Some(bev),
        peer: storage,
        peer_len: copied as libc::socklen_t,
        refs: 1,
        paused: false,
    }) else {
        // SAFETY: ours; this also closes the socket, so report it accepted.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
        return true;
    };
    tcp.clients.push(client);
    // SAFETY: a live bufferevent; the record outlives its callbacks (cleared in
    // `disconnect` before the bufferevent is freed).
    unsafe {
        handler::set_callbacks::<Connection>(bev, client);
        sys::bufferevent_set_timeouts(bev.as_ptr(), &timeout, &timeout);
        sys::bufferevent_setwatermark(bev.as_ptr(), sys::EV_READ, 0, MAX_INPUT);
        sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ);
    }
    true
}

/// A connection's bufferevent callbacks.
pub struct Connection;

impl BuffereventHandler for Connection {
    type Target = TcpClient;

    fn read(client: NonNull<TcpClient>, _bev: NonNull<sys::bufferevent>) {
        // SAFETY: the callback of a live record.
        unsafe { serve_input(client) }
    }

    /// Called when the output is empty: a paused connection reads again.
    fn write(client: NonNull<TcpClient>, bev: NonNull<sys::bufferevent>) {
        // SAFETY: a connected client's port is open, so live.
        let port = unsafe { (*client.as_ptr()).port };
        // SAFETY: live port and record; the flag is guarded by the port's lock.
        let resume = unsafe {
            lock(port);
            let paused = std::mem::replace(&mut (*client.as_ptr()).paused, false);
            unlock(port);
            paused
        };
        if resume {
            // SAFETY: our live bufferevent; then the messages already buffered.
            unsafe {
                sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ);
                serve_input(client);
            }
        }
    }

    fn event(client: NonNull<TcpClient>, _bev: NonNull<sys::bufferevent>, what: c_short) {
        if what & (sys::BEV_EVENT_EOF | sys::BEV_EVENT_ERROR | sys::BEV_EVENT_TIMEOUT) == 0 {
            return;
        }
        // SAFETY: a connected client's port is open, so live.
        let port = unsafe { (*client.as_ptr()).port };
        // SAFETY: live port, live client; the record may go with the connection.
        unsafe {
            lock(port);
            disconnect(client);
            unlock(port);
        }
    }
}

/// Serves the whole messages buffered on a connection.
///
/// # Safety
/// `client` is a live, connected record (so its port is open and live).
unsafe fn serve_input(client: NonNull<TcpClient>) {
    // SAFETY: set at creation and never changed.
    let port = unsafe { (*client.as_ptr()).port };
    // SAFETY: as this function's contract; the frame references keep port and
    // record through the program's callbacks.
    unsafe {
        lock(port);
        retain(port, 1);
        retain_client(client);
        read_messages(port, client);
        release_client(client);
        unlock_and_release(port, 1);
    }
}

/// Takes every whole message from the connection's input and hands it on.
///
/// # Safety
/// `port` is live and locked with a frame reference; `client` is live with one.
unsafe fn read_messages(port: NonNull<ServerPort>, client: NonNull<TcpClient>) {
    loop {
        // SAFETY: locked.
        let (bev, closing) = unsafe { ((*client.as_ptr()).bev, is_closing(port)) };
        let Some(bev) = bev else {
            return;
        };
        if closing {
            return;
        }
        // SAFETY: a live bufferevent of ours.
        let output = unsafe { sys::bufferevent_get_output(bev.as_ptr()) };
        // SAFETY: its live output buffer.
        if unsafe { sys::evbuffer_get_length(output) } > MAX_PENDING_OUTPUT {
            // SAFETY: locked; the write callback resumes once the output is empty.
            unsafe {
                (*client.as_ptr()).paused = true;
                sys::bufferevent_disable(bev.as_ptr(), sys::EV_READ);
            }
            return;
        }
        // SAFETY: a live bufferevent of ours.
        let input = unsafe { sys::bufferevent_get_input(bev.as_ptr()) };
        // SAFETY: its live input buffer.
        let available = unsafe { sys::evbuffer_get_length(input) };
        if available < PREFIX_LEN {
            return;
        }
        let mut prefix = [0u8; PREFIX_LEN];
        // SAFETY: two bytes are there to copy.
        unsafe { sys::evbuffer_copyout(input, prefix.as_mut_ptr().cast(), PREFIX_LEN) };
        let len = usize::from(u16::from_be_bytes(prefix));
        if len == 0 {
            // As libevent: a zero length ends the connection.
            // SAFETY: locked; the frame reference keeps the record.
            unsafe { disconnect(client) };
            return;
        }
        if available < PREFIX_LEN + len {
            return;
        }
        let mut message = Vec::new();
        if message.try_reserve_exact(len).is_err() {
            // SAFETY: the port's lock is held; the frame reference keeps the client record.
            unsafe { disconnect(client) };
            return;
        }
        message.resize(len, 0);
        // SAFETY: the input holds the prefix and the whole message.
        unsafe {
            sys::evbuffer_drain(input, PREFIX_LEN);
            sys::evbuffer_copyout(input, message.as_mut_ptr().cast(), len);
            sys::evbuffer_drain(input, len);
        }
        // SAFETY: locked, with the frame references.
        unsafe { handle_tcp_message(port, client, &message) };
    }
}
