//! `event2/dns.h` entry points of `evdns_getaddrinfo`.

use std::ffi::{c_char, c_void};
use std::ptr;

// The C names of the types, as the signatures below spell them for the header check.
use crate::evdns::getaddrinfo::GetAddrInfoRequest as evdns_getaddrinfo_request;
use crate::evdns::getaddrinfo::{self, Callback as evdns_getaddrinfo_cb};
use crate::evdns::resolver::Base as evdns_base;
use libc::addrinfo as evutil_addrinfo;

/// `evdns_getaddrinfo`: answers at once (the callback runs inside the call, NULL is
/// returned) when no lookup is needed, else starts one and returns its handle.
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo(
    dns_base: *mut evdns_base,
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const evutil_addrinfo,
    cb: Option<evdns_getaddrinfo_cb>,
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
