//! Client connections: creation and settings (`evhttp_connection_base_*_new`).

use std::ffi::c_int;
use std::ptr::{self, NonNull};

use evrs_sibling::sys::{self, bufferevent, event_base};

use super::connection::{self, cx, Conn};
use super::keyvalq;

/// `evhttp_connection_base_bufferevent_new` (and `_base_new` with a NULL `bev`).
pub fn new_tcp(
    base: *mut event_base,
    dns: *mut sys::evdns_base,
    bev: *mut bufferevent,
    address: &[u8],
    port: u16,
) -> Option<Conn> {
    let conn = connection::new(base, bev)?;
    let Ok(copy) = keyvalq::c_string(address) else {
        connection::free(conn);
        return None;
    };
    let c = cx!(conn);
    c.address = copy.as_ptr();
    c.port = port;
    c.dns_base = dns;
    Some(conn)
}

/// `evhttp_connection_base_bufferevent_unix_new`.
pub fn new_unix(base: *mut event_base, bev: *mut bufferevent, path: &[u8]) -> Option<Conn> {
    // SAFETY: all-zero is a valid sockaddr_un; only its size is used.
    let room = unsafe { std::mem::zeroed::<libc::sockaddr_un>() }
        .sun_path
        .len();
    if path.len() >= room {
        evrs_sibling::log::warn(format_args!(
            "evhttp_connection_base_bufferevent_unix_new: unix socket too long"
        ));
        return None;
    }
    let conn = connection::new(base, bev)?;
    let c = cx!(conn);
    c.unixsocket = Some(path.to_vec());
    c.family = libc::AF_UNIX;
    Some(conn)
}

/// Replaces the local address to bind before connecting.
pub fn set_local_address(conn: Conn, address: Option<&[u8]>) {
    let copy = address.and_then(|a| keyvalq::c_string(a).ok());
    let c = cx!(conn);
    // SAFETY: our own string or NULL.
    unsafe { keyvalq::free_c_string(c.bind_address) };
    c.bind_address = copy.map_or(ptr::null_mut(), NonNull::as_ptr);
}

/// `evhttp_set_timeout_tv_`: NULL gives `default` seconds (or clears with -1).
pub fn timeout_from(tv: Option<libc::timeval>, default: i64) -> libc::timeval {
    match tv {
        Some(tv) => tv,
        None if default != -1 => libc::timeval {
            tv_sec: default,
            tv_usec: 0,
        },
        None => libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
    }
}

/// `evhttp_set_timeout_`: -1 gives `default` seconds (or clears with -1).
pub fn timeout_from_secs(timeout: c_int, default: i64) -> libc::timeval {
    let secs = if timeout == -1 {
        default
    } else {
        i64::from(timeout)
    };
    libc::timeval {
        tv_sec: if secs == -1 { 0 } else { secs },
        tv_usec: 0,
    }
}

/// `evhttp_connection_set_timeout(_tv)`: `tv` for reading and writing, or their
/// defaults for `None`. libevent 2.1 keeps one timeout for connecting too, so the 2.1
/// build also sets the connect timeout (2.2 has `set_connect_timeout_tv` for it).
pub fn set_timeout(conn: Conn, tv: Option<libc::timeval>) {
    cx!(conn).timeout_read = timeout_from(tv, connection::HTTP_READ_TIMEOUT);
    cx!(conn).timeout_write = timeout_from(tv, connection::HTTP_WRITE_TIMEOUT);
    if cfg!(feature = "abi-2-1") {
        cx!(conn).timeout_connect = timeout_from(tv, connection::HTTP_CONNECT_TIMEOUT);
        apply_connect_timeout(conn);
    }
    apply_read_write_timeouts(conn);
}

/// Applies the read/write timeouts to the bufferevent unless connecting.
pub fn apply_read_write_timeouts(conn: Conn) {
    if cx!(conn).state == connection::State::Connecting {
        return;
    }
    let (r, w) = (cx!(conn).timeout_read, cx!(conn).timeout_write);
    let bev = cx!(conn).bev;
    if bev.is_null() {
        return;
    }
    let set = |tv: &libc::timeval| tv.tv_sec != 0 || tv.tv_usec != 0;
    // SAFETY: the bufferevent is live; the timevals outlive the call.
    unsafe {
        sys::bufferevent_set_timeouts(
            bev,
            if set(&r) { &r } else { ptr::null() },
            if set(&w) { &w } else { ptr::null() },
        )
    };
}

/// A connect timeout set while connecting applies to the attempt under way, as in
/// libevent 2.2.
pub fn apply_connect_timeout(conn: Conn) {
    let bev = cx!(conn).bev;
    if cx!(conn).state != connection::State::Connecting || bev.is_null() {
        return;
    }
    let tv = cx!(conn).timeout_connect;
    let set = tv.tv_sec != 0 || tv.tv_usec != 0;
    let tv_ptr: *const libc::timeval = if set { &tv } else { ptr::null() };
    // SAFETY: the bufferevent is live; the timeval outlives the call.
    unsafe { sys::bufferevent_set_timeouts(bev, tv_ptr, tv_ptr) };
}
