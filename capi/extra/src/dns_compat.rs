//! `event2/dns_compat.h`: the 1.x resolver API on the current event base.
//!
//! Each function forwards to its `evdns_base_*` counterpart on the global resolver
//! (`evdns/global.rs`). The name-server and option functions create that resolver
//! when there is none, as libevent does; the others need `evdns_init` first and,
//! where libevent would dereference NULL, fail (-1) or do nothing, with a warning.

use std::ffi::{c_char, c_int, c_ulong, c_void};
use std::ptr;

use evrs_sibling::sys;

// The C names of the types, as the signatures below spell them for the header check.
use crate::evdns::global::dns::evdns_server_port;
use crate::evdns::global::dns::{evdns_callback_type, evdns_request_callback_fn_type};
use crate::evdns::global::{self, dns};
use crate::evdns::resolver::Base as evdns_base;
use libc::{in6_addr, in_addr};

#[no_mangle]
pub extern "C" fn evdns_init() -> c_int {
    ffi_boundary!("evdns_init", { global::init() })
}

#[no_mangle]
pub extern "C" fn evdns_get_global_base() -> *mut evdns_base {
    ffi_boundary!("evdns_get_global_base", { global::current() })
}

#[no_mangle]
pub extern "C" fn evdns_shutdown(fail_requests: c_int) {
    ffi_boundary!("evdns_shutdown", { global::shutdown(fail_requests) })
}

#[no_mangle]
pub extern "C" fn evdns_nameserver_add(address: c_ulong) -> c_int {
    ffi_boundary!("evdns_nameserver_add", {
        let base = global::current_or_new();
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver.
        unsafe { dns::evdns_base_nameserver_add(base.cast(), address) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_nameserver_ip_add(ip_as_string: *const c_char) -> c_int {
    ffi_boundary!("evdns_nameserver_ip_add", {
        let base = global::current_or_new();
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver; the string is the program's, checked there.
        unsafe { dns::evdns_base_nameserver_ip_add(base.cast(), ip_as_string) }
    })
}

#[no_mangle]
pub extern "C" fn evdns_count_nameservers() -> c_int {
    ffi_boundary!("evdns_count_nameservers", {
        let base = global::current_or_warn("evdns_count_nameservers");
        if base.is_null() {
            return 0;
        }
        // SAFETY: a live resolver.
        unsafe { dns::evdns_base_count_nameservers(base.cast()) }
    })
}

#[no_mangle]
pub extern "C" fn evdns_clear_nameservers_and_suspend() -> c_int {
    ffi_boundary!("evdns_clear_nameservers_and_suspend", {
        let base = global::current_or_warn("evdns_clear_nameservers_and_suspend");
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver.
        unsafe { dns::evdns_base_clear_nameservers_and_suspend(base.cast()) }
    })
}

#[no_mangle]
pub extern "C" fn evdns_resume() -> c_int {
    ffi_boundary!("evdns_resume", {
        let base = global::current_or_warn("evdns_resume");
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver.
        unsafe { dns::evdns_base_resume(base.cast()) }
    })
}

/// The 1.x answer of a lookup start: 0 when a request was made, else -1.
fn started(request: *mut dns::evdns_request) -> c_int {
    if request.is_null() {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv4(
    name: *const c_char,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> c_int {
    ffi_boundary!("evdns_resolve_ipv4", {
        let base = global::current_or_warn("evdns_resolve_ipv4");
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver; the program's arguments are checked there.
        started(unsafe { dns::evdns_base_resolve_ipv4(base.cast(), name, flags, callback, ptr) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv6(
    name: *const c_char,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> c_int {
    ffi_boundary!("evdns_resolve_ipv6", {
        let base = global::current_or_warn("evdns_resolve_ipv6");
        if base.is_null() {
            return -1;
        }
        // SAFETY: as in evdns_resolve_ipv4.
        started(unsafe { dns::evdns_base_resolve_ipv6(base.cast(), name, flags, callback, ptr) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse(
    address: *const in_addr,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> c_int {
    ffi_boundary!("evdns_resolve_reverse", {
        let base = global::current_or_warn("evdns_resolve_reverse");
        if base.is_null() {
            return -1;
        }
        // SAFETY: as in evdns_resolve_ipv4.
        started(unsafe {
            dns::evdns_base_resolve_reverse(base.cast(), address, flags, callback, ptr)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse_ipv6(
    address: *const in6_addr,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> c_int {
    ffi_boundary!("evdns_resolve_reverse_ipv6", {
        let base = global::current_or_warn("evdns_resolve_reverse_ipv6");
        if base.is_null() {
            return -1;
        }
        // SAFETY: as in evdns_resolve_ipv4.
        started(unsafe {
            dns::evdns_base_resolve_reverse_ipv6(base.cast(), address, flags, callback, ptr)
        })
    })
}

/// `evdns_set_option`: `flags` is ignored, as in libevent.
#[no_mangle]
pub unsafe extern "C" fn evdns_set_option(
    option: *const c_char,
    val: *const c_char,
    _flags: c_int,
) -> c_int {
    ffi_boundary!("evdns_set_option", {
        let base = global::current_or_new();
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver; the strings are checked there.
        unsafe { dns::evdns_base_set_option(base.cast(), option, val) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolv_conf_parse(flags: c_int, filename: *const c_char) -> c_int {
    ffi_boundary!("evdns_resolv_conf_parse", {
        let base = global::current_or_new();
        if base.is_null() {
            return -1;
        }
        // SAFETY: a live resolver; the file name is checked there.
        unsafe { dns::evdns_base_resolv_conf_parse(base.cast(), flags, filename) }
    })
}

#[no_mangle]
pub extern "C" fn evdns_search_clear() {
    ffi_boundary!("evdns_search_clear", {
        let base = global::current_or_warn("evdns_search_clear");
        if !base.is_null() {
            // SAFETY: a live resolver.
            unsafe { dns::evdns_base_search_clear(base.cast()) }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_search_add(domain: *const c_char) {
    ffi_boundary!("evdns_search_add", {
        let base = global::current_or_warn("evdns_search_add");
        if !base.is_null() {
            // SAFETY: a live resolver; the domain is checked there.
            unsafe { dns::evdns_base_search_add(base.cast(), domain) }
        }
    })
}

#[no_mangle]
pub extern "C" fn evdns_search_ndots_set(ndots: c_int) {
    ffi_boundary!("evdns_search_ndots_set", {
        let base = global::current_or_warn("evdns_search_ndots_set");
        if !base.is_null() {
            // SAFETY: a live resolver.
            unsafe { dns::evdns_base_search_ndots_set(base.cast(), ndots) }
        }
    })
}

/// `evdns_add_server_port`: a server port on the current event base.
#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port(
    socket: sys::evutil_socket_t,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut evdns_server_port {
    ffi_boundary!("evdns_add_server_port", or ptr::null_mut(), unsafe {
        // SAFETY: the program's arguments, passed on; NULL means the current base.
        dns::evdns_add_server_port_with_base(ptr::null_mut(), socket, flags, callback, user_data)
    })
}
