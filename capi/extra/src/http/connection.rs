//! Connection entry points (`struct evhttp_connection`), mostly for clients.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::{self, bufferevent, evdns_base, event_base};

use super::{arg_bytes, arg_tv};
use crate::evhttp::client;
use crate::evhttp::connection::{self, cx, evhttp_connection, CloseCb, ExtMethodCb, State};
use crate::evhttp::request::evhttp_request;
use crate::evhttp::server::evhttp;

fn some(conn: *mut evhttp_connection) -> Option<NonNull<evhttp_connection>> {
    NonNull::new(conn)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_bufferevent_new(
    base: *mut event_base,
    dns: *mut evdns_base,
    bev: *mut bufferevent,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    ffi_boundary!("evhttp_connection_base_bufferevent_new", {
        // SAFETY: the program passes a C string.
        let Some(address) = (unsafe { arg_bytes(address) }) else {
            return ptr::null_mut();
        };
        client::new_tcp(base, dns, bev, address, port).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_new(
    base: *mut event_base,
    dns: *mut evdns_base,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    // SAFETY: the same arguments.
    ffi_boundary!("evhttp_connection_base_new", unsafe {
        evhttp_connection_base_bufferevent_new(base, dns, ptr::null_mut(), address, port)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_new(
    address: *const c_char,
    port: u16,
) -> *mut evhttp_connection {
    // SAFETY: the same arguments.
    ffi_boundary!("evhttp_connection_new", unsafe {
        evhttp_connection_base_bufferevent_new(
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            address,
            port,
        )
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_base_bufferevent_unix_new(
    base: *mut event_base,
    bev: *mut bufferevent,
    path: *const c_char,
) -> *mut evhttp_connection {
    ffi_boundary!("evhttp_connection_base_bufferevent_unix_new", {
        // SAFETY: the program passes a C string.
        let Some(path) = (unsafe { arg_bytes(path) }) else {
            return ptr::null_mut();
        };
        client::new_unix(base, bev, path).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_free(conn: *mut evhttp_connection) {
    ffi_boundary!("evhttp_connection_free", {
        if let Some(conn) = some(conn) {
            connection::free(conn);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_make_request(
    conn: *mut evhttp_connection,
    req: *mut evhttp_request,
    kind: u32,
    uri: *const c_char,
) -> c_int {
    ffi_boundary!("evhttp_make_request", {
        let (Some(conn), Some(req)) = (some(conn), NonNull::new(req)) else {
            return -1;
        };
        // SAFETY: the program passes a C string.
        let Some(uri) = (unsafe { arg_bytes(uri) }) else {
            // SAFETY: the request was handed over; refused requests are freed.
            unsafe { crate::evhttp::request::free_auto(req) };
            return -1;
        };
        connection::make_request(conn, req, kind, uri)
    })
}

/// Records whether the program chose the connection's timeouts
/// (`EVHTTP_CON_TIMEOUT_ADJUSTED`), which an evrpc pool respects.
fn adjust_timeout_flag(conn: NonNull<evhttp_connection>, adjusted: bool) {
    if adjusted {
        cx!(conn).flags |= connection::CON_TIMEOUT_ADJUSTED;
    } else {
        cx!(conn).flags &= !connection::CON_TIMEOUT_ADJUSTED;
    }
}

macro_rules! conn_setter {
    ($name:ident, ($($arg:ident: $ty:ty),*), |$c:ident| $body:block) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name(conn: *mut evhttp_connection, $($arg: $ty),*) {
            ffi_boundary!("evhttp_connection setter", {
                let Some($c) = some(conn) else { return; };
                $body
            })
        }
    };
}

conn_setter!(evhttp_connection_set_family, (family: c_int), |c| { cx!(c).family = family; });
conn_setter!(evhttp_connection_free_on_completion, (), |c| {
    cx!(c).flags |= connection::CON_AUTOFREE;
});
conn_setter!(evhttp_connection_set_ext_method_cmp, (cmp: Option<ExtMethodCb>), |c| { cx!(c).ext_method_cmp = cmp; });
conn_setter!(evhttp_connection_set_max_headers_size, (size: isize), |c| {
    cx!(c).max_headers_size = if size < 0 { usize::MAX } else { size as usize };
});
conn_setter!(evhttp_connection_set_max_body_size, (size: isize), |c| {
    cx!(c).max_body_size = if size < 0 { u64::MAX } else { size as u64 };
});
conn_setter!(evhttp_connection_set_local_address, (address: *const c_char), |c| {
    // SAFETY: the program passes NULL or a C string.
    client::set_local_address(c, unsafe { arg_bytes(address) });
});
conn_setter!(evhttp_connection_set_local_port, (port: u16), |c| { cx!(c).bind_port = port; });
conn_setter!(evhttp_connection_set_retries, (retry_max: c_int), |c| { cx!(c).retry_max = retry_max; });
conn_setter!(evhttp_connection_set_closecb, (cb: Option<CloseCb>, arg: *mut c_void), |c| {
    cx!(c).closecb = cb;
    cx!(c).closecb_arg = arg;
});
conn_setter!(evhttp_connection_set_initial_retry_tv, (tv: *const libc::timeval), |c| {
    // SAFETY: the program passes NULL or a timeval.
    cx!(c).initial_retry = client::timeout_from(unsafe { arg_tv(tv) }, connection::HTTP_INITIAL_RETRY_TIMEOUT);
});
conn_setter!(evhttp_connection_set_timeout, (timeout: c_int), |c| {
    let tv = (timeout != -1).then_some(libc::timeval { tv_sec: timeout.into(), tv_usec: 0 });
    adjust_timeout_flag(c, tv.is_some());
    client::set_timeout(c, tv);
});
conn_setter!(evhttp_connection_set_timeout_tv, (tv: *const libc::timeval), |c| {
    // SAFETY: the program passes NULL or a timeval.
    let tv = unsafe { arg_tv(tv) };
    adjust_timeout_flag(c, tv.is_some());
    client::set_timeout(c, tv);
});
conn_setter!(evhttp_connection_set_connect_timeout_tv, (tv: *const libc::timeval), |c| {
    adjust_timeout_flag(c, true);
    // SAFETY: the program passes NULL or a timeval.
    cx!(c).timeout_connect = client::timeout_from(unsafe { arg_tv(tv) }, connection::HTTP_CONNECT_TIMEOUT);
    client::apply_connect_timeout(c);
});
conn_setter!(evhttp_connection_set_read_timeout_tv, (tv: *const libc::timeval), |c| {
    adjust_timeout_flag(c, true);
    // SAFETY: the program passes NULL or a timeval.
    cx!(c).timeout_read = client::timeout_from(unsafe { arg_tv(tv) }, -1);
    client::apply_read_write_timeouts(c);
});
conn_setter!(evhttp_connection_set_write_timeout_tv, (tv: *const libc::timeval), |c| {
    adjust_timeout_flag(c, true);
    // SAFETY: the program passes NULL or a timeval.
    cx!(c).timeout_write = client::timeout_from(unsafe { arg_tv(tv) }, -1);
    client::apply_read_write_timeouts(c);
});
conn_setter!(evhttp_connection_set_base, (base: *mut event_base), |c| {
    if cx!(c).state != State::Disconnected || base.is_null() {
        evrs_sibling::log::warn(format_args!("evhttp_connection_set_base: the connection is in use; ignored"));
        return;
    }
    cx!(c).base = base;
    let bev = cx!(c).bev;
    if !bev.is_null() {
        // SAFETY: the connection's live bufferevent.
        unsafe { sys::bufferevent_base_set(base, bev) };
    }
});

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_set_flags(
    conn: *mut evhttp_connection,
    flags: c_int,
) -> c_int {
    ffi_boundary!("evhttp_connection_set_flags", {
        let Some(c) = some(conn) else {
            return 1;
        };
        let available =
            (connection::CON_REUSE_CONNECTED_ADDR | connection::CON_READ_ON_WRITE_ERROR) as c_int;
        if flags & !available != 0 || flags as u32 > connection::CON_PUBLIC_FLAGS_END {
            return 1;
        }
        cx!(c).flags = (cx!(c).flags & !(available as u32)) | flags as u32;
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_peer(
    conn: *mut evhttp_connection,
    address: *mut *const c_char,
    port: *mut u16,
) {
    ffi_boundary!("evhttp_connection_get_peer", {
        let Some(c) = some(conn) else {
            return;
        };
        // SAFETY: the program passes writable places (NULL ones are skipped).
        unsafe {
            if !address.is_null() {
                *address = cx!(c).address;
            }
            if !port.is_null() {
                *port = cx!(c).port;
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_addr(
    conn: *mut evhttp_connection,
) -> *const libc::sockaddr {
    ffi_boundary!("evhttp_connection_get_addr", {
        let Some(c) = some(conn) else {
            return ptr::null();
        };
        if cx!(c).peer_addr_len == 0 {
            return ptr::null();
        }
        ptr::addr_of!(cx!(c).peer_addr).cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_bufferevent(
    conn: *mut evhttp_connection,
) -> *mut bufferevent {
    ffi_boundary!("evhttp_connection_get_bufferevent", {
        some(conn).map_or(ptr::null_mut(), |c| cx!(c).bev)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_server(conn: *mut evhttp_connection) -> *mut evhttp {
    ffi_boundary!("evhttp_connection_get_server", {
        some(conn).map_or(ptr::null_mut(), |c| cx!(c).server)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_connection_get_base(
    conn: *mut evhttp_connection,
) -> *mut event_base {
    ffi_boundary!("evhttp_connection_get_base", {
        some(conn).map_or(ptr::null_mut(), |c| cx!(c).base)
    })
}
