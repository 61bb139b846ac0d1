//! `event2/dns.h` entry points of `evdns_getaddrinfo`.

use std::ffi::{c_char, c_void};
use std::ptr;

use crate::evdns::getaddrinfo::{self, Callback, GetAddrInfoRequest};
use crate::evdns::resolver::Base;

/// `struct evdns_getaddrinfo_request` (opaque to C).
pub type evdns_getaddrinfo_request = GetAddrInfoRequest;

/// `evdns_getaddrinfo`: answers at once (the callback runs inside the call, NULL is
/// returned) when no lookup is needed, else starts one and returns its handle.
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo(
    dns_base: *mut Base,
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const libc::addrinfo,
    cb: Option<Callback>,
    arg: *mut c_void,
) -> *mut evdns_getaddrinfo_request {
    // SAFETY: the program passes a live base (or NULL), C strings (or NULL) and
    // readable hints (or NULL), as libevent requires.
    ffi_boundary!("evdns_getaddrinfo", or ptr::null_mut(), unsafe {
        getaddrinfo::getaddrinfo(dns_base, nodename, servname, hints_in, cb, arg)
    })
}

/// `evdns_getaddrinfo_cancel`: the callback comes once, later, with
/// `EVUTIL_EAI_CANCEL`. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo_cancel(req: *mut evdns_getaddrinfo_request) {
    // SAFETY: the program passes NULL or a request whose callback has not run.
    ffi_boundary!("evdns_getaddrinfo_cancel", unsafe {
        getaddrinfo::cancel(req)
    })
}
