//! `event2/dns.h` entry points of the resolver: bases, name servers, options, lookups.
//! Each checks its arguments, converts them, and makes one call into
//! `crate::evdns::resolver`.

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ptr::{self, NonNull};

use evrs_sibling::sys;

use crate::evdns::resolver::engine::DNS_ERR_UNKNOWN;
use crate::evdns::resolver::{self as engine, config, fallible, net, with_inner, Base, Request};
use crate::evdns::{Answer, AnswerData, Completion, Query};

/// `evdns_callback_type`.
pub type evdns_callback_type =
    unsafe extern "C" fn(c_int, c_char, c_int, c_int, *mut c_void, *mut c_void);

const DNS_IPV4_A: c_char = 1;
const DNS_PTR: c_char = 2;
const DNS_IPV6_AAAA: c_char = 3;
const DNS_CNAME: c_char = 4;

/// The C string `text`, or None for NULL.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
unsafe fn c_str<'a>(text: *const c_char) -> Option<&'a CStr> {
    // SAFETY: the caller gives NULL or a C string.
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) })
}

/// Calls the program's callback with an answer, as libevent does: the addresses (or
/// a pointer to the PTR name), then the CNAME in a second call when asked for.
///
/// # Safety
/// `callback` is the program's function; runs with no lock of ours held.
unsafe fn deliver(callback: evdns_callback_type, arg: *mut c_void, answer: Answer) {
    let ttl = answer.ttl as c_int;
    let cname = answer.cname;
    let cname_after = |callback: evdns_callback_type| {
        if let Some(cname) = &cname {
            // SAFETY: the program's callback, given a string that outlives the call.
            unsafe { callback(0, DNS_CNAME, 1, ttl, cname.as_ptr().cast_mut().cast(), arg) };
        }
    };
    match answer.data {
        AnswerData::Ipv4(addrs) if answer.result == 0 => {
            with_octets(&addrs, Ipv4Addr::octets, |raw| {
                // SAFETY: `raw` holds its in_addr values (network order) for the call.
                unsafe { call_with_array(callback, DNS_IPV4_A, raw, ttl, arg) };
            });
            cname_after(callback);
        }
        AnswerData::Ipv6(addrs) if answer.result == 0 => {
            with_octets(&addrs, Ipv6Addr::octets, |raw| {
                // SAFETY: `raw` holds its in6_addr values for the call.
                unsafe { call_with_array(callback, DNS_IPV6_AAAA, raw, ttl, arg) };
            });
            cname_after(callback);
        }
        AnswerData::Ptr(name) if answer.result == 0 => {
            let mut name_ptr: *const c_char = name.as_ptr();
            // SAFETY: a pointer to the name's pointer, both valid for the call.
            unsafe {
                callback(
                    0,
                    DNS_PTR,
                    1,
                    ttl,
                    (&mut name_ptr as *mut *const c_char).cast(),
                    arg,
                )
            };
        }
        _ => {
            let result = if answer.result == 0 {
                DNS_ERR_UNKNOWN
            } else {
                answer.result
            };
            // SAFETY: the program's callback.
            unsafe { callback(result, 0, 0, ttl, ptr::null_mut(), arg) };
        }
    }
}

/// The program's callback with the addresses of one family, as a C array.
///
/// # Safety
/// `callback` is the program's function; `items` are in the C layout of `kind`'s
/// address type.
unsafe fn call_with_array<T>(
    callback: evdns_callback_type,
    kind: c_char,
    items: &[T],
    ttl: c_int,
    arg: *mut c_void,
) {
    let data = items.as_ptr().cast_mut().cast();
    // SAFETY: `data` holds `items.len()` addresses, valid for the call.
    unsafe { callback(0, kind, items.len() as c_int, ttl, data, arg) };
}

/// Answers with up to this many addresses are laid out for C on the stack.
const SMALL_ANSWER: usize = 16;

/// Runs `with` on the addresses as C's in_addr / in6_addr array: on the stack for
/// the usual few, on the heap beyond.
fn with_octets<A, const N: usize>(
    addrs: &[A],
    octets: impl Fn(&A) -> [u8; N],
    with: impl FnOnce(&[[u8; N]]),
) {
    if addrs.len() <= SMALL_ANSWER {
        let mut small = [[0u8; N]; SMALL_ANSWER];
        for (slot, addr) in small.iter_mut().zip(addrs) {
            *slot = octets(addr);
        }
        with(&small[..addrs.len()]);
    } else {
        let raw: Vec<[u8; N]> = addrs.iter().map(octets).collect();
        with(&raw);
    }
}

/// The completion calling the program's callback; None when out of memory.
fn c_completion(callback: Option<evdns_callback_type>, arg: *mut c_void) -> Option<Completion> {
    fallible::completion(move |answer: Answer| {
        if let Some(callback) = callback {
            // SAFETY: the program's callback, run by the dispatcher with no lock held.
            unsafe { deliver(callback, arg, answer) };
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_new(
    event_base: *mut sys::event_base,
    flags: c_int,
) -> *mut Base {
    ffi_boundary!("evdns_base_new", unsafe {
        // libevent takes NULL for the current base (the 1.x API's).
        let event_base = if event_base.is_null() {
            sys::evrs_sibling_current_base()
        } else {
            event_base
        };
        let Some(event_base) = NonNull::new(event_base) else {
            evrs_sibling::log::warn(format_args!("evdns_base_new: no event base"));
            return ptr::null_mut();
        };
        crate::evdns::getaddrinfo::register_with_core();
        engine::base_new(event_base, flags)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_free(base: *mut Base, fail_requests: c_int) {
    ffi_boundary!("evdns_base_free", unsafe {
        if !base.is_null() {
            // A program freeing the global resolver itself leaves no dangling global.
            crate::evdns::global::forget(base);
            crate::evdns::getaddrinfo::base_freed(base);
            engine::base_free(base, fail_requests != 0);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_host_addresses(base: *mut Base) {
    ffi_boundary!("evdns_base_clear_host_addresses", unsafe {
        if !base.is_null() {
            with_inner(base, |inner| inner.hosts.clear());
        }
    })
}

#[no_mangle]
pub extern "C" fn evdns_err_to_string(err: c_int) -> *const c_char {
    ffi_boundary!("evdns_err_to_string", or c"[Unknown error code]".as_ptr(), {
        config::err_to_cstr(err).as_ptr()
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_add(base: *mut Base, address: c_ulong) -> c_int {
    ffi_boundary!("evdns_base_nameserver_add", unsafe {
        if base.is_null() {
            return -1;
        }
        // The address is an in_addr_t: network byte order in memory.
        let ip = Ipv4Addr::from((address as u32).to_ne_bytes());
        with_inner(base, |inner| {
            inner.add_server(std::net::SocketAddr::new(ip.into(), 53))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_count_nameservers(base: *mut Base) -> c_int {
    ffi_boundary!("evdns_base_count_nameservers", unsafe {
        if base.is_null() {
            return 0;
        }
        with_inner(base, |inner| inner.ring.len() as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_nameservers_and_suspend(base: *mut Base) -> c_int {
    ffi_boundary!("evdns_base_clear_nameservers_and_suspend", unsafe {
        if base.is_null() {
            return -1;
        }
        with_inner(base, |inner| inner.clear_servers_and_suspend());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resume(base: *mut Base) -> c_int {
    ffi_boundary!("evdns_base_resume", unsafe {
        if base.is_null() {
            return -1;
        }
        with_inner(base, |inner| inner.resume());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_ip_add(
    base: *mut Base,
    ip_as_string: *const c_char,
) -> c_int {
    ffi_boundary!("evdns_base_nameserver_ip_add", unsafe {
        let Some(text) = c_str(ip_as_string) else {
            return 4;
        };
        if base.is_null() {
            return -1;
        }
        with_inner(base, |inner| inner.add_server_text(text.to_bytes()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_sockaddr_add(
    base: *mut Base,
    sa: *const libc::sockaddr,
    len: libc::socklen_t,
    _flags: c_uint,
) -> c_int {
    ffi_boundary!("evdns_base_nameserver_sockaddr_add", unsafe {
        if base.is_null() {
            return -1;
        }
        // libevent copies whatever it is given; an unreadable address is error 2 here.
        let Some(addr) = net::sockaddr_read(sa, len as usize) else {
            return 2;
        };
        with_inner(base, |inner| inner.add_server(addr))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_get_nameserver_addr(
    base: *mut Base,
    idx: c_int,
    sa: *mut libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    ffi_boundary!("evdns_base_get_nameserver_addr", unsafe {
        if base.is_null() || idx < 0 {
            return -1;
        }
        let Some(addr) = with_inner(base, |inner| inner.nth_server(idx as usize).map(|s| s.addr))
        else {
            return -1;
        };
        let (storage, addr_len) = net::sockaddr_of(&addr);
        if addr_len > len || sa.is_null() {
            return addr_len as c_int;
        }
        // SAFETY: the program gives `len` writable bytes at `sa`, and `addr_len` fits.
        ptr::copy_nonoverlapping(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            sa.cast::<u8>(),
            addr_len as usize,
        );
        addr_len as c_int
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_get_nameserver_fd(
    base: *mut Base,
    idx: c_int,
) -> sys::evutil_socket_t {
    ffi_boundary!("evdns_base_get_nameserver_fd", unsafe {
        if base.is_null() || idx < 0 {
            return -1;
        }
        with_inner(base, |inner| {
            inner.nth_server(idx as usize).map_or(-1, |s| s.fd)
        })
    })
}

/// Starts a lookup for one of the evdns_base_resolve_* entry points.
///
/// # Safety
/// `base` is NULL or a live base.
unsafe fn resolve(
    base: *mut Base,
    query: Query<'_>,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    if base.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: a live base, as the caller says.
    let Some(done) = c_completion(callback, arg) else {
        // Out of memory: NULL, the callback never runs (libevent's answer).
        return ptr::null_mut();
    };
    // SAFETY: a live base, as the caller says.
    unsafe { engine::start_lookup(base, query, flags, done) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv4(
    base: *mut Base,
    name: *const c_char,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> *mut Request {
    ffi_boundary!("evdns_base_resolve_ipv4", unsafe {
        let Some(name) = c_str(name) else {
            return ptr::null_mut();
        };
        resolve(base, Query::Ipv4(name), flags, callback, ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv6(
    base: *mut Base,
    name: *const c_char,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> *mut Request {
    ffi_boundary!("evdns_base_resolve_ipv6", unsafe {
        let Some(name) = c_str(name) else {
            return ptr::null_mut();
        };
        resolve(base, Query::Ipv6(name), flags, callback, ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse(
    base: *mut Base,
    addr: *const libc::in_addr,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> *mut Request {
    ffi_boundary!("evdns_base_resolve_reverse", unsafe {
        if addr.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: the program gives a readable in_addr.
        let ip = Ipv4Addr::from(addr.read_unaligned().s_addr.to_ne_bytes());
        resolve(base, Query::ReverseV4(ip), flags, callback, ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse_ipv6(
    base: *mut Base,
    addr: *const libc::in6_addr,
    flags: c_int,
    callback: Option<evdns_callback_type>,
    ptr: *mut c_void,
) -> *mut Request {
    ffi_boundary!("evdns_base_resolve_reverse_ipv6", unsafe {
        if addr.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: the program gives a readable in6_addr.
        let ip = Ipv6Addr::from(addr.read_unaligned().s6_addr);
        resolve(base, Query::ReverseV6(ip), flags, callback, ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_cancel_request(base: *mut Base, req: *mut Request) {
    ffi_boundary!("evdns_cancel_request", unsafe {
        if req.is_null() {
            return;
        }
        // The base the program names, as libevent (its own base only for NULL): a
        // program racing a cancel against the answer from another thread may pass a
        // handle already freed, and the base is then the one field not to read from
        // it. The lookup is found by slot, serial and handle together, so a handle
        // of another base matches nothing.
        let base = if base.is_null() { (*req).base } else { base };
        if !base.is_null() {
            engine::cancel_lookup(base, req);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_set_option(
    base: *mut Base,
    option: *const c_char,
    val: *const c_char,
) -> c_int {
    ffi_boundary!("evdns_base_set_option", unsafe {
        let Some(option) = c_str(option) else {
            return -1;
        };
        if base.is_null() {
            return -1;
        }
        let value = c_str(val).map(CStr::to_bytes);
        with_inner(base, |inner| {
            inner.set_option(option.to_bytes(), value, config::DNS_OPTIONS_ALL)
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolv_conf_parse(
    base: *mut Base,
    flags: c_int,
    filename: *const c_char,
) -> c_int {
    ffi_boundary!("evdns_base_resolv_conf_parse", unsafe {
        if base.is_null() {
            return config::EVDNS_ERROR_FAILED_TO_OPEN_FILE;
        }
        let filename = c_str(filename);
        with_inner(base, |inner| inner.resolv_conf_parse(flags, filename))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_load_hosts(
    base: *mut Base,
    hosts_fname: *const c_char,
) -> c_int {
    ffi_boundary!("evdns_base_load_hosts", unsafe {
        if base.is_null() {
            return -1;
        }
        let filename = c_str(hosts_fname);
        with_inner(base, |inner| inner.load_hosts(filename))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_clear(base: *mut Base) {
    ffi_boundary!("evdns_base_search_clear", unsafe {
        if !base.is_null() {
            with_inner(base, |inner| inner.search_list_clear());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_add(base: *mut Base, domain: *const c_char) {
    ffi_boundary!("evdns_base_search_add", unsafe {
        let Some(domain) = c_str(domain) else {
            return;
        };
        if !base.is_null() {
            with_inner(base, |inner| inner.search_list_add(domain.to_bytes()));
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_ndots_set(base: *mut Base, ndots: c_int) {
    ffi_boundary!("evdns_base_search_ndots_set", unsafe {
        if !base.is_null() {
            with_inner(base, |inner| inner.search_ndots_set(ndots));
        }
    })
}

#[no_mangle]
pub extern "C" fn evdns_set_log_fn(log_fn: Option<config::LogFn>) {
    ffi_boundary!("evdns_set_log_fn", {
        config::set_log_fn(log_fn);
    })
}

/// `void evdns_set_transaction_id_fn(ev_uint16_t (*fn)(void))`, which libevent 2.2
/// removed. Transaction ids come from the secure random source, so the function is not
/// called, as in libevent since 2.0.4.
#[cfg(feature = "abi-2-1")]
#[no_mangle]
pub extern "C" fn evdns_set_transaction_id_fn(_id_fn: Option<unsafe extern "C" fn() -> u16>) {
    ffi_boundary!("evdns_set_transaction_id_fn", {})
}

/// `void evdns_set_random_bytes_fn(void (*fn)(char *, size_t))`, which libevent 2.2
/// removed; not called, for the reason above.
#[cfg(feature = "abi-2-1")]
#[no_mangle]
pub extern "C" fn evdns_set_random_bytes_fn(
    _random_fn: Option<unsafe extern "C" fn(*mut c_char, usize)>,
) {
    ffi_boundary!("evdns_set_random_bytes_fn", {})
}
