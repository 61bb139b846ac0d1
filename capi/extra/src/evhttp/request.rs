//! `struct evhttp_request`: the C layout of event2/http_struct.h, whose public fields
//! always hold the live values, and its life cycle.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::alloc::try_box;
use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::sys;

use super::connection::evhttp_connection;
use super::keyvalq::{self, evkeyvalq};
use super::uri_link::{self, evhttp_uri};

pub type RequestCb = unsafe extern "C" fn(*mut evhttp_request, *mut c_void);
pub type HeaderCb = unsafe extern "C" fn(*mut evhttp_request, *mut c_void) -> c_int;
pub type ErrorCb = unsafe extern "C" fn(c_int, *mut c_void);

/// `TAILQ_ENTRY(evhttp_request)`; kept for the layout, the connection queues requests
/// itself.
#[repr(C)]
pub struct evhttp_request_link {
    pub tqe_next: *mut evhttp_request,
    pub tqe_prev: *mut *mut evhttp_request,
}

/// `struct evhttp_request` (event2/http_struct.h).
#[repr(C)]
pub struct evhttp_request {
    pub next: evhttp_request_link,
    pub evcon: *mut evhttp_connection,
    pub flags: c_int,
    pub input_headers: *mut evkeyvalq,
    pub output_headers: *mut evkeyvalq,
    pub remote_host: *mut c_char,
    pub remote_port: u16,
    pub host_cache: *mut c_char,
    pub kind: c_int,
    pub type_: c_uint,
    pub headers_size: usize,
    pub body_size: usize,
    pub uri: *mut c_char,
    pub uri_elems: *mut evhttp_uri,
    pub major: c_char,
    pub minor: c_char,
    pub response_code: c_int,
    pub response_code_line: *mut c_char,
    pub input_buffer: *mut sys::evbuffer,
    pub ntoread: i64,
    /// The bit fields `chunked:1, userdone:1`.
    pub bits: c_uint,
    pub output_buffer: *mut sys::evbuffer,
    pub cb: Option<RequestCb>,
    pub cb_arg: *mut c_void,
    pub chunk_cb: Option<RequestCb>,
    pub header_cb: Option<HeaderCb>,
    pub error_cb: Option<ErrorCb>,
    pub on_complete_cb: Option<RequestCb>,
    pub on_complete_cb_arg: *mut c_void,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::offset_of;
    assert!(size_of::<evhttp_request>() == 216);
    assert!(offset_of!(evhttp_request, evcon) == 16);
    assert!(offset_of!(evhttp_request, flags) == 24);
    assert!(offset_of!(evhttp_request, input_headers) == 32);
    assert!(offset_of!(evhttp_request, output_headers) == 40);
    assert!(offset_of!(evhttp_request, remote_host) == 48);
    assert!(offset_of!(evhttp_request, remote_port) == 56);
    assert!(offset_of!(evhttp_request, host_cache) == 64);
    assert!(offset_of!(evhttp_request, kind) == 72);
    assert!(offset_of!(evhttp_request, type_) == 76);
    assert!(offset_of!(evhttp_request, headers_size) == 80);
    assert!(offset_of!(evhttp_request, body_size) == 88);
    assert!(offset_of!(evhttp_request, uri) == 96);
    assert!(offset_of!(evhttp_request, uri_elems) == 104);
    assert!(offset_of!(evhttp_request, major) == 112);
    assert!(offset_of!(evhttp_request, minor) == 113);
    assert!(offset_of!(evhttp_request, response_code) == 116);
    assert!(offset_of!(evhttp_request, response_code_line) == 120);
    assert!(offset_of!(evhttp_request, input_buffer) == 128);
    assert!(offset_of!(evhttp_request, ntoread) == 136);
    assert!(offset_of!(evhttp_request, bits) == 144);
    assert!(offset_of!(evhttp_request, output_buffer) == 152);
    assert!(offset_of!(evhttp_request, cb) == 160);
    assert!(offset_of!(evhttp_request, cb_arg) == 168);
    assert!(offset_of!(evhttp_request, chunk_cb) == 176);
    assert!(offset_of!(evhttp_request, header_cb) == 184);
    assert!(offset_of!(evhttp_request, error_cb) == 192);
    assert!(offset_of!(evhttp_request, on_complete_cb) == 200);
    assert!(offset_of!(evhttp_request, on_complete_cb_arg) == 208);
};

// `flags` bits (http_struct.h).
pub const REQ_OWN_CONNECTION: c_int = 0x0001;
pub const PROXY_REQUEST: c_int = 0x0002;
pub const USER_OWNED: c_int = 0x0004;
pub const REQ_DEFER_FREE: c_int = 0x0008;
pub const REQ_NEEDS_FREE: c_int = 0x0010;

// `kind`.
pub const KIND_REQUEST: c_int = 0;
pub const KIND_RESPONSE: c_int = 1;

const BIT_CHUNKED: c_uint = 1;
const BIT_USERDONE: c_uint = 2;

/// `enum evhttp_request_error`.
pub mod error {
    use std::ffi::c_int;
    pub const TIMEOUT: c_int = 0;
    pub const EOF: c_int = 1;
    pub const INVALID_HEADER: c_int = 2;
    pub const BUFFER_ERROR: c_int = 3;
    pub const REQUEST_CANCEL: c_int = 4;
    pub const DATA_TOO_LONG: c_int = 5;
}

pub type Req = NonNull<evhttp_request>;

// Field access through the raw pointer: a request may be freed by any program
// callback, so no reference to it is kept; these read or write one field at a time.
/// A borrow of a live request for one expression (the `field!`/`set_field!` macros):
/// never kept across program code.
pub(crate) fn place<'a>(req: Req) -> &'a mut evhttp_request {
    // SAFETY: callers pass a live request (the connection's bookkeeping and the
    // program's contract keep it so) and use the borrow within one expression.
    unsafe { &mut *req.as_ptr() }
}

/// One field of a live request, read through the raw place (no reference to the
/// request, which lives in memory the program also reads and writes).
macro_rules! field {
    ($req:expr, $f:ident) => {{
        let req: *mut $crate::evhttp::request::evhttp_request = ($req).as_ptr();
        // Inside a caller's own unsafe block this one is redundant.
        #[allow(unused_unsafe)]
        // SAFETY: callers pass a live request; one field is copied out of it.
        let value = unsafe { (*req).$f };
        value
    }};
}
pub(crate) use field;

/// Writes one field of a live request through the raw place.
macro_rules! set_field {
    ($req:expr, $f:ident, $v:expr) => {{
        let value = $v;
        let req: *mut $crate::evhttp::request::evhttp_request = ($req).as_ptr();
        #[allow(unused_unsafe)]
        // SAFETY: callers pass a live request; one field is written in place.
        let () = unsafe { (*req).$f = value };
    }};
}
pub(crate) use set_field;

pub fn is_chunked(req: Req) -> bool {
    field!(req, bits) & BIT_CHUNKED != 0
}
pub fn set_chunked(req: Req, on: bool) {
    let bits = field!(req, bits);
    set_field!(
        req,
        bits,
        if on {
            bits | BIT_CHUNKED
        } else {
            bits & !BIT_CHUNKED
        }
    );
}
pub fn is_userdone(req: Req) -> bool {
    field!(req, bits) & BIT_USERDONE != 0
}
pub fn set_userdone(req: Req, on: bool) {
    let bits = field!(req, bits);
    set_field!(
        req,
        bits,
        if on {
            bits | BIT_USERDONE
        } else {
            bits & !BIT_USERDONE
        }
    );
}
pub fn has_flag(req: Req, flag: c_int) -> bool {
    field!(req, flags) & flag != 0
}
pub fn add_flag(req: Req, flag: c_int) {
    set_field!(req, flags, field!(req, flags) | flag);
}
pub fn remove_flag(req: Req, flag: c_int) {
    set_field!(req, flags, field!(req, flags) & !flag);
}

pub fn input_buffer(req: Req) -> Evbuffer {
    // SAFETY: a live request always has its buffer (made in `new`).
    unsafe { Evbuffer::from_raw(NonNull::new_unchecked(field!(req, input_buffer))) }
}
pub fn output_buffer(req: Req) -> Evbuffer {
    // SAFETY: as for `input_buffer`.
    unsafe { Evbuffer::from_raw(NonNull::new_unchecked(field!(req, output_buffer))) }
}

/// A request and its two header lists in one allocation (the lists are reached
/// through the request's pointers, as programs reach them).
#[repr(C)]
struct RequestBlock {
    request: evhttp_request,
    input_headers: evkeyvalq,
    output_headers: evkeyvalq,
}

/// A request in its initial state over the given buffers, with no header lists yet
/// (the caller points them at the request's own).
fn blank(
    input_buffer: *mut sys::evbuffer,
    output_buffer: *mut sys::evbuffer,
    remote_host: *mut c_char,
    cb: Option<RequestCb>,
    cb_arg: *mut c_void,
) -> evhttp_request {
    evhttp_request {
        next: evhttp_request_link {
            tqe_next: ptr::null_mut(),
            tqe_prev: ptr::null_mut(),
        },
        evcon: ptr::null_mut(),
        flags: 0,
        input_headers: ptr::null_mut(),
        output_headers: ptr::null_mut(),
        remote_host,
        remote_port: 0,
        host_cache: ptr::null_mut(),
        kind: KIND_RESPONSE,
        type_: 0,
        headers_size: 0,
        body_size: 0,
        uri: ptr::null_mut(),
        uri_elems: ptr::null_mut(),
        major: 0,
        minor: 0,
        response_code: 0,
        response_code_line: ptr::null_mut(),
        input_buffer,
        ntoread: 0,
        bits: 0,
        output_buffer,
        cb,
        cb_arg,
        chunk_cb: None,
        header_cb: None,
        error_cb: None,
        on_complete_cb: None,
        on_complete_cb_arg: ptr::null_mut(),
    }
}

/// `evhttp_request_new`: a request with empty header lists and buffers.
pub fn new(cb: Option<RequestCb>, cb_arg: *mut c_void) -> Option<Req> {
    // SAFETY: plain allocations; NULL is handled below.
    let (input_buffer, output_buffer) = unsafe { (sys::evbuffer_new(), sys::evbuffer_new()) };
    let empty_list = || evkeyvalq {
        tqh_first: ptr::null_mut(),
        tqh_last: ptr::null_mut(),
    };
    let block = try_box(RequestBlock {
        request: blank(input_buffer, output_buffer, ptr::null_mut(), cb, cb_arg),
        input_headers: empty_list(),
        output_headers: empty_list(),
    });
    let Some(block) = block else {
        // SAFETY: the buffers were just made and are not shared (NULL is ignored).
        unsafe {
            sys::evbuffer_free(input_buffer);
            sys::evbuffer_free(output_buffer);
        }
        return None;
    };
    // SAFETY: the block is fresh and ours; the lists are initialised in place, where
    // they stay (the block does not move).
    let req = unsafe {
        let b = block.as_ptr();
        keyvalq::init(ptr::addr_of_mut!((*b).input_headers));
        keyvalq::init(ptr::addr_of_mut!((*b).output_headers));
        (*b).request.input_headers = ptr::addr_of_mut!((*b).input_headers);
        (*b).request.output_headers = ptr::addr_of_mut!((*b).output_headers);
        block.cast::<evhttp_request>()
    };
    if input_buffer.is_null() || output_buffer.is_null() {
        // SAFETY: the request was just made and is not shared.
        unsafe { destroy(req) };
        return None;
    }
    Some(req)
}

/// `evhttp_request_free`: postponed while the request is in use further up the stack
/// (`EVHTTP_REQ_DEFER_FREE`).
///
/// # Safety
/// `req` is live and, unless deferred, not used again.
pub unsafe fn free(req: Req) {
    if has_flag(req, REQ_DEFER_FREE) {
        add_flag(req, REQ_NEEDS_FREE);
        return;
    }
    // SAFETY: the caller hands the request over.
    unsafe { destroy(req) }
}

/// Frees `req` or, where the free would happen now, makes it the new request that
/// [`new`] would make, with its memory (the object, the header lists, the buffers)
/// kept: the server's next request on the same connection. None when it was not
/// reused (freed, or its free postponed).
///
/// # Safety
/// As for [`free`].
pub unsafe fn free_or_renew(req: Req, cb: Option<RequestCb>, cb_arg: *mut c_void) -> Option<Req> {
    if has_flag(req, REQ_DEFER_FREE) {
        add_flag(req, REQ_NEEDS_FREE);
        return None;
    }
    // SAFETY: the caller hands the request over; every field was made by `new` or
    // the functions named, and each is released once and reset below.
    unsafe {
        let r = req.as_ptr();
        for slot in [
            ptr::addr_of_mut!((*r).input_buffer),
            ptr::addr_of_mut!((*r).output_buffer),
        ] {
            if sys::evrs_sibling_evbuffer_reset(*slot) != 1 {
                // The buffer carries the program's settings: a new one replaces it.
                sys::evbuffer_free(*slot);
                *slot = sys::evbuffer_new();
                if (*slot).is_null() {
                    destroy(req);
                    return None;
                }
            }
        }
        clear_list((*r).input_headers);
        clear_list((*r).output_headers);
        keyvalq::free_c_string((*r).uri);
        uri_link::free((*r).uri_elems);
        keyvalq::free_c_string((*r).response_code_line);
        keyvalq::free_c_string((*r).host_cache);
        // The peer's address is the same for the next request on the connection;
        // `remote_host` is kept for the caller to check.
        r.write(blank(
            (*r).input_buffer,
            (*r).output_buffer,
            (*r).remote_host,
            cb,
            cb_arg,
        ));
        // The lists are the request's own again (a program may have stored others).
        let block = r.cast::<RequestBlock>();
        keyvalq::init(ptr::addr_of_mut!((*block).input_headers));
        keyvalq::init(ptr::addr_of_mut!((*block).output_headers));
        (*r).input_headers = ptr::addr_of_mut!((*block).input_headers);
        (*r).output_headers = ptr::addr_of_mut!((*block).output_headers);
    }
    Some(req)
}

/// Frees `req` unless the program owns it (`evhttp_request_free_auto`).
///
/// # Safety
/// As for [`free`].
pub unsafe fn free_auto(req: Req) {
    if !has_flag(req, USER_OWNED) {
        // SAFETY: the caller hands the request over.
        unsafe { free(req) }
    }
}

unsafe fn destroy(req: Req) {
    // SAFETY: the caller hands over a live request made by `new`; every field was made
    // by the core's allocator or the functions named.
    unsafe {
        let r = req.as_ptr();
        keyvalq::free_c_string((*r).remote_host);
        keyvalq::free_c_string((*r).uri);
        uri_link::free((*r).uri_elems);
        keyvalq::free_c_string((*r).response_code_line);
        keyvalq::free_c_string((*r).host_cache);
        clear_list((*r).input_headers);
        clear_list((*r).output_headers);
        if !(*r).input_buffer.is_null() {
            sys::evbuffer_free((*r).input_buffer);
        }
        if !(*r).output_buffer.is_null() {
            sys::evbuffer_free((*r).output_buffer);
        }
        drop(Box::from_raw(r.cast::<RequestBlock>()));
    }
}

/// Empties one of a request's header lists (NULL, if a program stored that in the
/// field, is left alone).
///
/// # Safety
/// `list` is NULL or a live, initialised list.
unsafe fn clear_list(list: *mut evkeyvalq) {
    if !list.is_null() {
        // SAFETY: the caller gives a live list.
        unsafe { keyvalq::clear(list) };
    }
}

/// Replaces a C string field with a copy of `value` (None when out of memory).
pub(crate) fn replace_string(slot: *mut *mut c_char, value: &[u8]) -> Option<()> {
    let copy = keyvalq::c_string(value).ok();
    // SAFETY: `slot` is a string field of a live request, holding NULL or a string of
    // the core's allocator.
    unsafe {
        keyvalq::free_c_string(*slot);
        *slot = copy.map_or(ptr::null_mut(), NonNull::as_ptr);
    }
    copy.map(|_| ())
}

/// Frees a C string field and leaves NULL in it.
pub(crate) fn replace_string_with_null(slot: *mut *mut c_char) {
    // SAFETY: `slot` is a string field of a live request, holding NULL or a string of
    // the core's allocator.
    unsafe {
        keyvalq::free_c_string(*slot);
        *slot = ptr::null_mut();
    }
}

/// `evhttp_response_code_`: the request becomes a response with this status.
pub fn set_response_code(req: Req, code: c_int, reason: Option<&[u8]>) {
    set_field!(req, kind, KIND_RESPONSE);
    set_field!(req, response_code, code);
    let reason = reason.unwrap_or_else(|| super::parse::reason_phrase(code).as_bytes());
    // SAFETY: the field's address inside a live request.
    if replace_string(
        unsafe { ptr::addr_of_mut!((*req.as_ptr()).response_code_line) },
        reason,
    )
    .is_none()
    {
        evrs_sibling::log::warn(format_args!("evhttp_response_code_: out of memory"));
    }
}

/// `evhttp_request_get_host`: the target's host, else the Host header without a port
/// (cached in `host_cache`).
pub fn host(req: Req) -> *const c_char {
    let cache = field!(req, host_cache);
    if !cache.is_null() {
        return cache;
    }
    // SAFETY: the request's own parsed target, live while the request is.
    if let Some(host) = unsafe { uri_link::host(field!(req, uri_elems)) } {
        return host;
    }
    let headers = field!(req, input_headers);
    if headers.is_null() {
        return ptr::null();
    }
    // SAFETY: a live request's header list.
    let Some(entry) = (unsafe { keyvalq::find(headers, b"Host") }) else {
        return ptr::null();
    };
    // SAFETY: a live entry's value string.
    let value_ptr = unsafe { (*entry.as_ptr()).value };
    // SAFETY: as above; the slice is used before anything changes the list.
    let value = unsafe { keyvalq::bytes_of(value_ptr) };
    let mut p = value.len().saturating_sub(1);
    while p > 0 && value[p].is_ascii_digit() {
        p -= 1;
    }
    if p > 0 && value[p] == b':' {
        // SAFETY: the field's address inside a live request.
        let slot = unsafe { ptr::addr_of_mut!((*req.as_ptr()).host_cache) };
        if replace_string(slot, &value[..p]).is_none() {
            return ptr::null();
        }
        return field!(req, host_cache);
    }
    value_ptr
}

/// libevent's header value check: a CR or LF must start a continuation (be followed,
/// after the line break, by a space or tab).
pub fn header_value_is_valid(value: &[u8]) -> bool {
    let mut i = 0;
    while i < value.len() {
        if matches!(value[i], b'\r' | b'\n') {
            while i < value.len() && matches!(value[i], b'\r' | b'\n') {
                i += 1;
            }
            if i >= value.len() || !matches!(value[i], b' ' | b'\t') {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// `evhttp_add_header`: refuses names with CR/LF and values that would break the
/// message.
///
/// # Safety
/// `headers` is a live list.
pub unsafe fn add_header(headers: *mut evkeyvalq, key: &[u8], value: &[u8]) -> c_int {
    if key.iter().any(|&b| b == b'\r' || b == b'\n') || !header_value_is_valid(value) {
        return -1;
    }
    // SAFETY: the caller gives a live list.
    match unsafe { keyvalq::push_back(headers, key, value) } {
        Ok(_) => 0,
        Err(_) => -1,
    }
}

/// The value of the first header named `key`, as bytes.
///
/// # Safety
/// `headers` is live and unchanged while the slice is used.
pub unsafe fn find_header<'a>(headers: *const evkeyvalq, key: &[u8]) -> Option<&'a [u8]> {
    // SAFETY: the caller's contract.
    unsafe { keyvalq::find(headers, key).map(|e| keyvalq::bytes_of((*e.as_ptr()).value)) }
}
