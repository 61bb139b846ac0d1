//! Server entry points (`struct evhttp`).

use std::ffi::{c_char, c_int, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::{self, evconnlistener, event_base};

use super::{arg_bytes, arg_tv};
use crate::evhttp::client;
use crate::evhttp::connection::ExtMethodCb;
use crate::evhttp::request::RequestCb;
use crate::evhttp::server::{self, evhttp, evhttp_bound_socket, BevCb, ErrorPageCb, NewReqCb};

pub type BoundForeachFn = unsafe extern "C" fn(*mut evhttp_bound_socket, *mut c_void);

fn some_http(http: *mut evhttp) -> Option<NonNull<evhttp>> {
    NonNull::new(http)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_new(base: *mut event_base) -> *mut evhttp {
    ffi_boundary!("evhttp_new", {
        server::new(base).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_start(address: *const c_char, port: u16) -> *mut evhttp {
    ffi_boundary!("evhttp_start", {
        let Some(http) = server::new(ptr::null_mut()) else {
            return ptr::null_mut();
        };
        // SAFETY: the program passes NULL or a C string.
        let address = unsafe { arg_bytes(address) };
        if server::bind_and_listen(http, address, port).is_none() {
            server::free(http);
            return ptr::null_mut();
        }
        http.as_ptr()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_free(http: *mut evhttp) {
    ffi_boundary!("evhttp_free", {
        if let Some(http) = some_http(http) {
            server::free(http);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket_with_handle(
    http: *mut evhttp,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_bound_socket {
    ffi_boundary!("evhttp_bind_socket_with_handle", {
        let Some(http) = some_http(http) else {
            return ptr::null_mut();
        };
        // SAFETY: the program passes NULL or a C string.
        let address = unsafe { arg_bytes(address) };
        server::bind_and_listen(http, address, port).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket(
    http: *mut evhttp,
    address: *const c_char,
    port: u16,
) -> c_int {
    // SAFETY: the same arguments.
    ffi_boundary!("evhttp_bind_socket", unsafe {
        if evhttp_bind_socket_with_handle(http, address, port).is_null() {
            -1
        } else {
            0
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket_with_handle(
    http: *mut evhttp,
    fd: c_int,
) -> *mut evhttp_bound_socket {
    ffi_boundary!("evhttp_accept_socket_with_handle", {
        let Some(http) = some_http(http) else {
            return ptr::null_mut();
        };
        server::accept_socket(http, fd).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket(http: *mut evhttp, fd: c_int) -> c_int {
    // SAFETY: the same arguments.
    ffi_boundary!("evhttp_accept_socket", unsafe {
        if evhttp_accept_socket_with_handle(http, fd).is_null() {
            -1
        } else {
            0
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_listener(
    http: *mut evhttp,
    listener: *mut evconnlistener,
) -> *mut evhttp_bound_socket {
    ffi_boundary!("evhttp_bind_listener", {
        let (Some(http), Some(listener)) = (some_http(http), NonNull::new(listener)) else {
            return ptr::null_mut();
        };
        server::bind_listener(http, listener).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_listener(
    bound: *mut evhttp_bound_socket,
) -> *mut evconnlistener {
    ffi_boundary!("evhttp_bound_socket_get_listener", {
        if bound.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a live bound socket.
        unsafe { (*bound).listener }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_fd(bound: *mut evhttp_bound_socket) -> c_int {
    ffi_boundary!("evhttp_bound_socket_get_fd", {
        if bound.is_null() {
            return -1;
        }
        // SAFETY: a live bound socket and its listener.
        unsafe { sys::evconnlistener_get_fd((*bound).listener) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_set_bevcb(
    bound: *mut evhttp_bound_socket,
    cb: Option<BevCb>,
    arg: *mut c_void,
) {
    ffi_boundary!("evhttp_bound_set_bevcb", {
        if !bound.is_null() {
            // SAFETY: a live bound socket.
            unsafe {
                (*bound).bevcb = cb;
                (*bound).bevcbarg = arg;
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_foreach_bound_socket(
    http: *mut evhttp,
    function: Option<BoundForeachFn>,
    argument: *mut c_void,
) {
    ffi_boundary!("evhttp_foreach_bound_socket", {
        let (Some(http), Some(function)) = (some_http(http), function) else {
            return;
        };
        for bound in server::bound_sockets(http) {
            // SAFETY: the program's function with a live bound socket.
            unsafe { function(bound.as_ptr(), argument) };
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_accept_socket(
    http: *mut evhttp,
    bound: *mut evhttp_bound_socket,
) {
    ffi_boundary!("evhttp_del_accept_socket", {
        if let (Some(http), Some(bound)) = (some_http(http), NonNull::new(bound)) {
            server::del_accept_socket(http, bound);
        }
    })
}

macro_rules! setter {
    ($name:ident, ($($arg:ident: $ty:ty),*), |$http:ident| $body:block) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name(http: *mut evhttp, $($arg: $ty),*) {
            ffi_boundary!("evhttp setter", {
                if http.is_null() {
                    return;
                }
                // SAFETY: a live server; the borrow ends with the statement.
                let $http = unsafe { &mut *http };
                $body
            })
        }
    };
}

setter!(evhttp_set_max_headers_size, (size: isize), |h| {
    h.max_headers_size = if size < 0 { usize::MAX } else { size as usize };
});
setter!(evhttp_set_max_body_size, (size: isize), |h| {
    h.max_body_size = if size < 0 { u64::MAX } else { size as u64 };
});
setter!(evhttp_set_max_connections, (max: c_int), |h| {
    h.connection_max = max.max(0);
});
setter!(evhttp_set_default_content_type, (content_type: *const c_char), |h| {
    h.default_content_type = content_type;
});
setter!(evhttp_set_allowed_methods, (methods: u32), |h| {
    // Libevent 2.1 declares the argument `ev_uint16_t`: a program built for it need not
    // clear the register's upper half.
    #[cfg(feature = "abi-2-1")]
    let methods = methods & 0xffff;
    h.allowed_methods = methods;
});
setter!(evhttp_set_ext_method_cmp, (cmp: Option<ExtMethodCb>), |h| {
    h.ext_method_cmp = cmp;
});
setter!(evhttp_set_gencb, (cb: Option<RequestCb>, arg: *mut c_void), |h| {
    h.gencb = cb;
    h.gencbarg = arg;
});
setter!(evhttp_set_bevcb, (cb: Option<BevCb>, arg: *mut c_void), |h| {
    h.bevcb = cb;
    h.bevcbarg = arg;
});
setter!(evhttp_set_newreqcb, (cb: Option<NewReqCb>, arg: *mut c_void), |h| {
    h.newreqcb = cb;
    h.newreqcbarg = arg;
});
setter!(evhttp_set_errorcb, (cb: Option<ErrorPageCb>, arg: *mut c_void), |h| {
    h.errorcb = cb;
    h.errorcbarg = arg;
});
setter!(evhttp_set_timeout, (timeout: c_int), |h| {
    let tv = client::timeout_from_secs(timeout, -1);
    h.timeout_read = tv;
    h.timeout_write = tv;
});
setter!(evhttp_set_timeout_tv, (tv: *const libc::timeval), |h| {
    // SAFETY: the program passes NULL or a timeval.
    let tv = client::timeout_from(unsafe { arg_tv(tv) }, -1);
    h.timeout_read = tv;
    h.timeout_write = tv;
});
setter!(evhttp_set_read_timeout_tv, (tv: *const libc::timeval), |h| {
    // SAFETY: the program passes NULL or a timeval.
    h.timeout_read = client::timeout_from(unsafe { arg_tv(tv) }, -1);
});
setter!(evhttp_set_write_timeout_tv, (tv: *const libc::timeval), |h| {
    // SAFETY: the program passes NULL or a timeval.
    h.timeout_write = client::timeout_from(unsafe { arg_tv(tv) }, -1);
});

#[no_mangle]
pub unsafe extern "C" fn evhttp_get_connection_count(http: *mut evhttp) -> c_int {
    ffi_boundary!("evhttp_get_connection_count", {
        some_http(http).map_or(0, server::connection_count)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_flags(http: *mut evhttp, flags: c_int) -> c_int {
    ffi_boundary!("evhttp_set_flags", {
        if http.is_null() || flags & !server::SERVER_LINGERING_CLOSE != 0 {
            return 1;
        }
        // SAFETY: a live server.
        unsafe { (*http).flags = flags };
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_cb(
    http: *mut evhttp,
    path: *const c_char,
    cb: Option<RequestCb>,
    arg: *mut c_void,
) -> c_int {
    ffi_boundary!("evhttp_set_cb", {
        // SAFETY: the program passes a C string.
        let (Some(http), Some(path), Some(cb)) = (some_http(http), unsafe { arg_bytes(path) }, cb)
        else {
            return -1;
        };
        server::set_cb(http, path, cb, arg)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_cb(http: *mut evhttp, path: *const c_char) -> c_int {
    ffi_boundary!("evhttp_del_cb", {
        // SAFETY: the program passes a C string.
        let (Some(http), Some(path)) = (some_http(http), unsafe { arg_bytes(path) }) else {
            return -1;
        };
        server::del_cb(http, path)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_virtual_host(
    http: *mut evhttp,
    pattern: *const c_char,
    vhost: *mut evhttp,
) -> c_int {
    ffi_boundary!("evhttp_add_virtual_host", {
        // SAFETY: the program passes a C string.
        let (Some(http), Some(pattern), Some(vhost)) = (
            some_http(http),
            unsafe { arg_bytes(pattern) },
            some_http(vhost),
        ) else {
            return -1;
        };
        server::add_virtual_host(http, pattern, vhost)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_virtual_host(
    http: *mut evhttp,
    vhost: *mut evhttp,
) -> c_int {
    ffi_boundary!("evhttp_remove_virtual_host", {
        let (Some(http), Some(vhost)) = (some_http(http), some_http(vhost)) else {
            return -1;
        };
        server::remove_virtual_host(http, vhost)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_server_alias(http: *mut evhttp, alias: *const c_char) -> c_int {
    ffi_boundary!("evhttp_add_server_alias", {
        // SAFETY: the program passes a C string.
        let (Some(http), Some(alias)) = (some_http(http), unsafe { arg_bytes(alias) }) else {
            return -1;
        };
        server::add_alias(http, alias)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_server_alias(
    http: *mut evhttp,
    alias: *const c_char,
) -> c_int {
    ffi_boundary!("evhttp_remove_server_alias", {
        // SAFETY: the program passes a C string.
        let (Some(http), Some(alias)) = (some_http(http), unsafe { arg_bytes(alias) }) else {
            return -1;
        };
        server::remove_alias(http, alias)
    })
}
