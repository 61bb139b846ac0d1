//! `event2/dns.h` entry points of the DNS server.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::NonNull;

use evrs_dns_proto::message::RecordData;
use evrs_dns_proto::wire;
use evrs_sibling::sys;

use crate::evdns::server::{
    self, evdns_request_callback_fn_type, evdns_server_request, PendingRecord, ServerPort,
    ServerRequest,
};

/// `enum evdns_server_option`.
pub type evdns_server_option = c_int;

/// `EVDNS_ANSWER_SECTION`.
const ANSWER_SECTION: c_int = 0;

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port_with_base(
    base: *mut sys::event_base,
    socket: sys::evutil_socket_t,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    ffi_boundary!("evdns_add_server_port_with_base", unsafe {
        server::add_udp_port(base, socket, flags, callback, user_data)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port_with_listener(
    base: *mut sys::event_base,
    listener: *mut sys::evconnlistener,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    ffi_boundary!("evdns_add_server_port_with_listener", unsafe {
        server::add_tcp_port(base, listener, flags, callback, user_data)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_close_server_port(port: *mut ServerPort) {
    ffi_boundary!("evdns_close_server_port", unsafe {
        if let Some(port) = NonNull::new(port) {
            server::close_port(port);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_port_set_option(
    port: *mut ServerPort,
    option: evdns_server_option,
    value: usize,
) -> c_int {
    ffi_boundary!("evdns_server_port_set_option", unsafe {
        match NonNull::new(port) {
            Some(port) => server::set_option(port, option, value),
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_set_flags(
    req: *mut evdns_server_request,
    flags: c_int,
) {
    ffi_boundary!("evdns_server_request_set_flags", unsafe {
        if let Some(request) = ServerRequest::from_public(req) {
            server::with_request(request, |request| request.set_flags(flags));
        }
    })
}

/// A C string's bytes, copied (names may end in a dot: the protocol crate takes
/// both); `None` for NULL or when memory runs out.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
unsafe fn c_bytes(text: *const c_char) -> Option<Vec<u8>> {
    if text.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string, per the header.
    let bytes = unsafe { CStr::from_ptr(text) }.to_bytes();
    let mut owned = Vec::new();
    owned.try_reserve_exact(bytes.len()).ok()?;
    owned.extend_from_slice(bytes);
    Some(owned)
}

/// Copies `add_reply`'s arguments; `None` when they cannot make a record.
///
/// # Safety
/// `name` and `data` are NULL or valid as the header describes.
#[allow(clippy::too_many_arguments)]
unsafe fn pending_record(
    name: *const c_char,
    rtype: c_int,
    class: c_int,
    ttl: c_int,
    datalen: c_int,
    is_name: c_int,
    data: *const c_char,
) -> Option<PendingRecord> {
    // libevent crashes on a NULL name.
    // SAFETY: as this function's contract.
    let name = unsafe { c_bytes(name) }?;
    let data = if is_name != 0 {
        // A NULL name as data is refused (libevent takes it and crashes when it
        // writes the reply).
        // SAFETY: NULL or a NUL-terminated name.
        RecordData::Name(unsafe { c_bytes(data) }?)
    } else if data.is_null() {
        RecordData::Bytes(Vec::new())
    } else {
        // libevent copies a negative length as a huge one; here it is refused, as
        // is data that cannot fit a record.
        let len = usize::try_from(datalen)
            .ok()
            .filter(|&len| len <= usize::from(u16::MAX))?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).ok()?;
        // SAFETY: the program gives `datalen` readable bytes at `data`.
        bytes.extend_from_slice(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) });
        RecordData::Bytes(bytes)
    };
    Some(PendingRecord {
        name,
        rtype: rtype as u16,
        class: class as u16,
        ttl: ttl as u32,
        data,
    })
}

/// Adds a record to a request's reply.
///
/// # Safety
/// `req` is NULL or a live request.
unsafe fn add_record(
    req: *mut evdns_server_request,
    section: c_int,
    record: Option<PendingRecord>,
) -> c_int {
    let (Some(request), Some(record)) = (ServerRequest::from_public(req), record) else {
        return -1;
    };
    // SAFETY: a live request.
    let added =
        unsafe { server::with_request(request, |request| request.add_record(section, record)) };
    if added {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_reply(
    req: *mut evdns_server_request,
    section: c_int,
    name: *const c_char,
    r#type: c_int,
    dns_class: c_int,
    ttl: c_int,
    datalen: c_int,
    is_name: c_int,
    data: *const c_char,
) -> c_int {
    ffi_boundary!("evdns_server_request_add_reply", unsafe {
        let record = pending_record(name, r#type, dns_class, ttl, datalen, is_name, data);
        add_record(req, section, record)
    })
}

/// `n` addresses of `size` bytes each, as one record's data (libevent's A and AAAA
/// replies put them all in one record).
///
/// # Safety
/// `addrs` holds `n * size` bytes when `n` > 0.
unsafe fn address_record(
    name: *const c_char,
    rtype: u16,
    n: c_int,
    size: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> Option<PendingRecord> {
    let datalen = n.checked_mul(size)?;
    // SAFETY: as this function's contract.
    unsafe {
        pending_record(
            name,
            c_int::from(rtype),
            c_int::from(wire::CLASS_IN),
            ttl,
            datalen,
            0,
            addrs.cast(),
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_a_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_add_a_reply", unsafe {
        let record = address_record(name, wire::TYPE_A, n, 4, addrs, ttl);
        add_record(req, ANSWER_SECTION, record)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_aaaa_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_add_aaaa_reply", unsafe {
        let record = address_record(name, wire::TYPE_AAAA, n, 16, addrs, ttl);
        add_record(req, ANSWER_SECTION, record)
    })
}

/// A record whose data is a name (PTR, CNAME).
///
/// # Safety
/// `name` and `target` are NULL or NUL-terminated.
unsafe fn name_record(
    name: *const c_char,
    rtype: u16,
    target: *const c_char,
    ttl: c_int,
) -> Option<PendingRecord> {
    // SAFETY: as this function's contract.
    unsafe {
        pending_record(
            name,
            c_int::from(rtype),
            c_int::from(wire::CLASS_IN),
            ttl,
            -1,
            1,
            target,
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_ptr_reply(
    req: *mut evdns_server_request,
    addr: *mut libc::in_addr,
    inaddr_name: *const c_char,
    hostname: *const c_char,
    ttl: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_add_ptr_reply", unsafe {
        // Exactly one of the address and its name, as libevent.
        let owner = match (addr.is_null(), inaddr_name.is_null()) {
            (false, true) => {
                let octets = (*addr).s_addr.to_ne_bytes();
                let text = format!(
                    "{}.{}.{}.{}.in-addr.arpa\0",
                    octets[3], octets[2], octets[1], octets[0]
                );
                Some(text)
            }
            (true, false) => None,
            _ => return -1,
        };
        let name_ptr = match &owner {
            Some(text) => text.as_ptr().cast::<c_char>(),
            None => inaddr_name,
        };
        let record = name_record(name_ptr, wire::TYPE_PTR, hostname, ttl);
        add_record(req, ANSWER_SECTION, record)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_cname_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    cname: *const c_char,
    ttl: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_add_cname_reply", unsafe {
        let record = name_record(name, wire::TYPE_CNAME, cname, ttl);
        add_record(req, ANSWER_SECTION, record)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_respond(
    req: *mut evdns_server_request,
    err: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_respond", unsafe {
        match ServerRequest::from_public(req) {
            Some(request) => server::respond(request, err),
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_drop(req: *mut evdns_server_request) -> c_int {
    ffi_boundary!("evdns_server_request_drop", unsafe {
        match ServerRequest::from_public(req) {
            Some(request) => {
                server::drop_request(request);
                0
            }
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_get_requesting_addr(
    req: *mut evdns_server_request,
    sa: *mut libc::sockaddr,
    addr_len: c_int,
) -> c_int {
    ffi_boundary!("evdns_server_request_get_requesting_addr", unsafe {
        match ServerRequest::from_public(req) {
            Some(request) => {
                server::with_request(request, |request| request.requesting_addr(sa, addr_len))
            }
            None => -1,
        }
    })
}
