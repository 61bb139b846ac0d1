//! DNS over TCP to a name server: one connection per server, shared by its queries,
//! closed after tcp-idle-timeout without traffic; each message is preceded by its
//! length in two bytes, and answers are reassembled from whatever pieces arrive.

use std::ffi::c_short;
use std::ptr::NonNull;

use evrs_sibling::handler::{self, BuffereventHandler};
use evrs_sibling::log::Severity;
use evrs_sibling::sys;

use super::engine::{Inner, Target};
use super::{net, with_inner};

/// `BEV_OPT_DEFER_CALLBACKS`: the connection's callbacks always run from the loop, so
/// none runs inside a call the resolver makes.
const BEV_OPT_DEFER_CALLBACKS: i32 = 1 << 2;

pub struct Connection {
    bev: NonNull<sys::bufferevent>,
    target: NonNull<Target>,
    connected: bool,
}

pub enum SendOutcome {
    Sent,
    /// Not sent now; retried later.
    Later,
    Failed,
}

/// Queues `packet` on the server's connection, connecting first if needed.
pub fn send(inner: &mut Inner, ns: usize, packet: &[u8]) -> SendOutcome {
    if packet.len() > usize::from(u16::MAX) {
        return SendOutcome::Failed;
    }
    let bev = match connection_of(inner, ns) {
        Some(bev) => bev,
        None => return SendOutcome::Failed,
    };
    let mut framed = Vec::with_capacity(packet.len() + 2);
    framed.extend_from_slice(&(packet.len() as u16).to_be_bytes());
    framed.extend_from_slice(packet);
    // SAFETY: `bev` is the live connection of this server; the data outlives the call
    // (evbuffer_add copies it).
    let ok = unsafe {
        let output = sys::bufferevent_get_output(bev.as_ptr());
        sys::evbuffer_add(output, framed.as_ptr().cast(), framed.len()) == 0
            && sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ) == 0
    };
    if ok {
        SendOutcome::Sent
    } else {
        inner.log(Severity::Warn, "Failed to send a request via TCP");
        disconnect(inner, ns);
        SendOutcome::Failed
    }
}

/// The server's connection, made (and connecting) if there is none.
fn connection_of(inner: &mut Inner, ns: usize) -> Option<NonNull<sys::bufferevent>> {
    let event_base = inner.event_base;
    let idle = inner.options.tcp_idle_timeout;
    let base = inner.base_ptr();
    let server = inner.server_by_key(ns)?;
    if let Some(conn) = &server.tcp {
        return Some(conn.bev);
    }
    let addr = server.addr;
    let serial = server.serial;
    // SAFETY: the event base is live; -1: the bufferevent makes its socket on connect.
    let bev = NonNull::new(unsafe {
        sys::bufferevent_socket_new(
            event_base,
            -1,
            sys::BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS,
        )
    })?;
    let Some(target) = evrs_sibling::alloc::try_box(Target {
        base,
        key: ns,
        serial,
    }) else {
        // SAFETY: fresh, ours, with no callbacks.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
        return None;
    };
    let timeout = libc::timeval {
        tv_sec: idle.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: idle.subsec_micros() as libc::suseconds_t,
    };
    let (storage, len) = net::sockaddr_of(&addr);
    // SAFETY: `bev` is live and ours; `target` lives until `disconnect` frees it after
    // clearing the callbacks; the address is valid for `len` bytes.
    let connected = unsafe {
        handler::set_callbacks::<TcpHandler>(bev, target);
        sys::bufferevent_set_timeouts(bev.as_ptr(), &timeout, &timeout);
        sys::bufferevent_socket_connect(
            bev.as_ptr(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len as i32,
        ) == 0
    };
    let server = inner.server_by_key(ns)?;
    server.tcp = Some(Connection {
        bev,
        target,
        connected: false,
    });
    if !connected {
        disconnect(inner, ns);
        return None;
    }
    inner.log(
        Severity::Debug,
        format_args!("New TCP connection to {addr}"),
    );
    Some(bev)
}

/// Closes the server's connection, if any.
pub fn disconnect(inner: &mut Inner, ns: usize) {
    let Some(conn) = inner.server_by_key(ns).and_then(|server| server.tcp.take()) else {
        return;
    };
    // SAFETY: the connection is ours; its callbacks are cleared before the target
    // they point at is freed, and a bufferevent may be freed inside its own callback.
    unsafe {
        handler::clear_callbacks(conn.bev);
        sys::bufferevent_free(conn.bev.as_ptr());
        drop(Box::from_raw(conn.target.as_ptr()));
    }
}

fn live_connection(
    inner: &mut Inner,
    ns: usize,
    serial: u64,
    bev: NonNull<sys::bufferevent>,
) -> bool {
    inner
        .server_by_key(ns)
        .is_some_and(|s| s.serial == serial && s.tcp.as_ref().is_some_and(|c| c.bev == bev))
}

fn on_read(inner: &mut Inner, ns: usize, serial: u64, bev: NonNull<sys::bufferevent>) {
    while live_connection(inner, ns, serial, bev) {
        // SAFETY: the connection is live (checked above).
        let input = unsafe { sys::bufferevent_get_input(bev.as_ptr()) };
        // SAFETY: `input` is the live input buffer of `bev`.
        let available = unsafe { sys::evbuffer_get_length(input) };
        if available < 2 {
            return;
        }
        let mut prefix = [0u8; 2];
        // SAFETY: two bytes are available and `prefix` holds two.
        unsafe { sys::evbuffer_copyout(input, prefix.as_mut_ptr().cast(), 2) };
        let len = usize::from(u16::from_be_bytes(prefix));
        if available < 2 + len {
            return;
        }
        let mut packet = vec![0u8; len];
        // SAFETY: the whole message is there; `packet` holds `len` bytes.
        unsafe {
            sys::evbuffer_drain(input, 2);
            sys::evbuffer_copyout(input, packet.as_mut_ptr().cast(), len);
            sys::evbuffer_drain(input, len);
        }
        inner.handle_packet(&packet);
    }
}

fn on_event(
    inner: &mut Inner,
    ns: usize,
    serial: u64,
    bev: NonNull<sys::bufferevent>,
    what: c_short,
) {
    if !live_connection(inner, ns, serial, bev) {
        return;
    }
    if what & sys::BEV_EVENT_CONNECTED != 0 {
        if let Some(conn) = inner.server_by_key(ns).and_then(|s| s.tcp.as_mut()) {
            conn.connected = true;
        }
    } else if what & (sys::BEV_EVENT_EOF | sys::BEV_EVENT_ERROR | sys::BEV_EVENT_TIMEOUT) != 0 {
        inner.log(
            Severity::Debug,
            format_args!("TCP connection event {what}; closing"),
        );
        disconnect(inner, ns);
    }
}

struct TcpHandler;

impl BuffereventHandler for TcpHandler {
    type Target = Target;

    fn read(target: NonNull<Target>, bev: NonNull<sys::bufferevent>) {
        // SAFETY: the target lives until `disconnect`, which clears these callbacks.
        let (base, key, serial) = unsafe {
            let target = target.as_ref();
            (target.base, target.key, target.serial)
        };
        // SAFETY: the base frees its connections before it goes.
        unsafe { with_inner(base, |inner| on_read(inner, key, serial, bev)) };
    }

    fn write(_target: NonNull<Target>, _bev: NonNull<sys::bufferevent>) {}

    fn event(target: NonNull<Target>, bev: NonNull<sys::bufferevent>, what: c_short) {
        // SAFETY: as in `read`.
        let (base, key, serial) = unsafe {
            let target = target.as_ref();
            (target.base, target.key, target.serial)
        };
        // SAFETY: as in `read`.
        unsafe { with_inner(base, |inner| on_event(inner, key, serial, bev, what)) };
    }
}

impl Connection {
    pub fn is_connected(&self) -> bool {
        self.connected
    }
}
