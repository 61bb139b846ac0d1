//! The 1.x API's single resolver (`evdns_init`, `evdns_get_global_base`) on the current
//! event base.
//!
//! The dns_compat.h functions act on it; as in libevent, the ones that configure name
//! servers or options create it (without reading resolv.conf) when there is none yet,
//! while the others need `evdns_init` first. Where libevent would then dereference
//! NULL, these answer failure (or do nothing) and log a warning instead.

use std::ffi::{c_char, c_int, c_ulong, c_void};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use evrs_sibling::{log, sys};

use super::resolver::Base;

/// `EVDNS_BASE_INITIALIZE_NAMESERVERS`.
pub const INITIALIZE_NAMESERVERS: c_int = 1;

static GLOBAL_BASE: AtomicPtr<Base> = AtomicPtr::new(ptr::null_mut());

// The dns.h entry points the compat functions forward to (this library's own).
// (Declared with the opaque C type; the resolver's `Base` is behind it.)
extern "C" {
    fn evdns_base_new(event_base: *mut sys::event_base, flags: c_int) -> *mut dns::evdns_base;
    fn evdns_base_free(base: *mut dns::evdns_base, fail_requests: c_int);
}

// The rest of dns.h, for dns_compat.rs.
pub(crate) mod dns {
    use super::*;

    pub use evrs_sibling::sys::evdns_base;

    /// `struct evdns_request`, as C sees it.
    #[repr(C)]
    pub struct evdns_request {
        _private: [u8; 0],
    }

    /// `struct evdns_server_port`, as C sees it.
    #[repr(C)]
    pub struct evdns_server_port {
        _private: [u8; 0],
    }

    pub use crate::evdns::server::evdns_request_callback_fn_type;

    /// `evdns_callback_type`.
    pub type evdns_callback_type =
        unsafe extern "C" fn(c_int, c_char, c_int, c_int, *mut c_void, *mut c_void);
    /// `evdns_debug_log_fn_type`.
    pub type evdns_debug_log_fn_type = unsafe extern "C" fn(c_int, *const c_char);

    extern "C" {
        pub fn evdns_set_log_fn(log_fn: Option<evdns_debug_log_fn_type>);
        pub fn evdns_base_nameserver_add(base: *mut evdns_base, address: c_ulong) -> c_int;
        pub fn evdns_base_nameserver_ip_add(base: *mut evdns_base, ip: *const c_char) -> c_int;
        pub fn evdns_base_count_nameservers(base: *mut evdns_base) -> c_int;
        pub fn evdns_base_clear_nameservers_and_suspend(base: *mut evdns_base) -> c_int;
        pub fn evdns_base_resume(base: *mut evdns_base) -> c_int;
        pub fn evdns_base_resolve_ipv4(
            base: *mut evdns_base,
            name: *const c_char,
            flags: c_int,
            callback: Option<evdns_callback_type>,
            arg: *mut c_void,
        ) -> *mut evdns_request;
        pub fn evdns_base_resolve_ipv6(
            base: *mut evdns_base,
            name: *const c_char,
            flags: c_int,
            callback: Option<evdns_callback_type>,
            arg: *mut c_void,
        ) -> *mut evdns_request;
        pub fn evdns_base_resolve_reverse(
            base: *mut evdns_base,
            address: *const libc::in_addr,
            flags: c_int,
            callback: Option<evdns_callback_type>,
            arg: *mut c_void,
        ) -> *mut evdns_request;
        pub fn evdns_base_resolve_reverse_ipv6(
            base: *mut evdns_base,
            address: *const libc::in6_addr,
            flags: c_int,
            callback: Option<evdns_callback_type>,
            arg: *mut c_void,
        ) -> *mut evdns_request;
        pub fn evdns_base_set_option(
            base: *mut evdns_base,
            option: *const c_char,
            value: *const c_char,
        ) -> c_int;
        pub fn evdns_base_resolv_conf_parse(
            base: *mut evdns_base,
            flags: c_int,
            filename: *const c_char,
        ) -> c_int;
        pub fn evdns_base_search_clear(base: *mut evdns_base);
        pub fn evdns_base_search_add(base: *mut evdns_base, domain: *const c_char);
        pub fn evdns_base_search_ndots_set(base: *mut evdns_base, ndots: c_int);
        pub fn evdns_add_server_port_with_base(
            event_base: *mut sys::event_base,
            socket: sys::evutil_socket_t,
            flags: c_int,
            callback: Option<evdns_request_callback_fn_type>,
            user_data: *mut c_void,
        ) -> *mut evdns_server_port;
    }
}

/// The global resolver, NULL when there is none.
pub fn current() -> *mut Base {
    GLOBAL_BASE.load(Ordering::Acquire)
}

/// A new resolver on the current event base (NULL when it cannot be made, e.g. no
/// `event_init` base).
fn new_base(flags: c_int) -> *mut Base {
    // SAFETY: plain calls; the current base is NULL or live.
    unsafe { evdns_base_new(sys::evrs_sibling_current_base(), flags) }.cast()
}

/// The global resolver, made (without reading resolv.conf) when there is none, as
/// libevent's name-server and option functions do. NULL when it cannot be made.
pub fn current_or_new() -> *mut Base {
    let base = current();
    if !base.is_null() {
        return base;
    }
    let made = new_base(0);
    if made.is_null() {
        return made;
    }
    match GLOBAL_BASE.compare_exchange(ptr::null_mut(), made, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => made,
        Err(other) => {
            // Another thread made one first: use it.
            // SAFETY: ours, just made and never shared.
            unsafe { evdns_base_free(made.cast(), 0) };
            other
        }
    }
}

/// The global resolver for a function that needs `evdns_init` first, or NULL with a
/// warning (libevent would dereference NULL).
pub fn current_or_warn(function: &str) -> *mut Base {
    let base = current();
    if base.is_null() {
        log::warn(format_args!(
            "{function}: no global resolver; call evdns_init() first"
        ));
    }
    base
}

/// `evdns_init`: a new global resolver configured from the system. 0, or -1.
pub fn init() -> c_int {
    let made = new_base(INITIALIZE_NAMESERVERS);
    if made.is_null() {
        return -1;
    }
    let old = GLOBAL_BASE.swap(made, Ordering::AcqRel);
    if !old.is_null() {
        // libevent forgets (leaks) the resolver it replaces; it is freed instead, its
        // pending lookups told DNS_ERR_SHUTDOWN.
        // SAFETY: the former global resolver, no longer reachable through us.
        unsafe { evdns_base_free(old.cast(), 1) };
    }
    0
}

/// `evdns_shutdown`: frees the global resolver (if any) and forgets the log function.
pub fn shutdown(fail_requests: c_int) {
    let base = GLOBAL_BASE.swap(ptr::null_mut(), Ordering::AcqRel);
    if !base.is_null() {
        // SAFETY: the global resolver, taken out of the slot, freed once.
        unsafe { evdns_base_free(base.cast(), fail_requests) };
    }
    // SAFETY: a plain call.
    unsafe { dns::evdns_set_log_fn(None) };
}

/// Forgets `base` if it is the global resolver: for `evdns_base_free`, so that a
/// program freeing the global resolver itself leaves no dangling global.
pub fn forget(base: *mut Base) {
    let _ =
        GLOBAL_BASE.compare_exchange(base, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
}
