//! Request entry points (`struct evhttp_request`) and replies.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::sys::evbuffer;

use super::arg_bytes;
use crate::evhttp::connection::{self, evhttp_connection, ChunkWrittenCb};
use crate::evhttp::keyvalq::evkeyvalq;
use crate::evhttp::request::{self, evhttp_request, ErrorCb, HeaderCb, RequestCb};
use crate::evhttp::uri_link::evhttp_uri;

fn some(req: *mut evhttp_request) -> Option<NonNull<evhttp_request>> {
    NonNull::new(req)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_new(
    cb: Option<RequestCb>,
    arg: *mut c_void,
) -> *mut evhttp_request {
    ffi_boundary!("evhttp_request_new", {
        request::new(cb, arg).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_free(req: *mut evhttp_request) {
    ffi_boundary!("evhttp_request_free", {
        if let Some(req) = some(req) {
            // SAFETY: the program hands the request back.
            unsafe { request::free(req) };
        }
    })
}

macro_rules! req_setter {
    ($name:ident, ($($arg:ident: $ty:ty),*), |$r:ident| $body:block) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name(req: *mut evhttp_request, $($arg: $ty),*) {
            ffi_boundary!("evhttp_request setter", {
                let Some(req) = some(req) else { return; };
                let $r = request::place(req);
                $body
            })
        }
    };
}

req_setter!(evhttp_request_set_chunked_cb, (cb: Option<RequestCb>), |r| { r.chunk_cb = cb; });
req_setter!(evhttp_request_set_header_cb, (cb: Option<HeaderCb>), |r| { r.header_cb = cb; });
req_setter!(evhttp_request_set_error_cb, (cb: Option<ErrorCb>), |r| { r.error_cb = cb; });
req_setter!(evhttp_request_set_on_complete_cb, (cb: Option<RequestCb>, arg: *mut c_void), |r| {
    r.on_complete_cb = cb;
    r.on_complete_cb_arg = arg;
});
req_setter!(evhttp_request_own, (), |r| {
    r.flags |= request::USER_OWNED;
});

macro_rules! req_getter {
    ($name:ident, $ty:ty, $fail:expr, |$r:ident| $body:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name(req: *const evhttp_request) -> $ty {
            ffi_boundary!("evhttp_request getter", {
                let Some(req) = some(req.cast_mut()) else {
                    return $fail;
                };
                let $r = request::place(req);
                $body
            })
        }
    };
}

req_getter!(evhttp_request_is_owned, c_int, 0, |r| c_int::from(
    r.flags & request::USER_OWNED != 0
));
req_getter!(
    evhttp_request_get_connection,
    *mut evhttp_connection,
    ptr::null_mut(),
    |r| r.evcon
);
req_getter!(evhttp_request_get_uri, *const c_char, ptr::null(), |r| r
    .uri);
req_getter!(
    evhttp_request_get_evhttp_uri,
    *const evhttp_uri,
    ptr::null(),
    |r| r.uri_elems
);
req_getter!(evhttp_request_get_command, c_uint, 0, |r| r.type_);
req_getter!(evhttp_request_get_response_code, c_int, 0, |r| r
    .response_code);
req_getter!(
    evhttp_request_get_response_code_line,
    *const c_char,
    ptr::null(),
    |r| r.response_code_line
);
req_getter!(
    evhttp_request_get_input_headers,
    *mut evkeyvalq,
    ptr::null_mut(),
    |r| r.input_headers
);
req_getter!(
    evhttp_request_get_output_headers,
    *mut evkeyvalq,
    ptr::null_mut(),
    |r| r.output_headers
);
req_getter!(
    evhttp_request_get_input_buffer,
    *mut evbuffer,
    ptr::null_mut(),
    |r| r.input_buffer
);
req_getter!(
    evhttp_request_get_output_buffer,
    *mut evbuffer,
    ptr::null_mut(),
    |r| r.output_buffer
);

#[no_mangle]
pub unsafe extern "C" fn evhttp_request_get_host(req: *mut evhttp_request) -> *const c_char {
    ffi_boundary!("evhttp_request_get_host", {
        some(req).map_or(ptr::null(), request::host)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_error(
    req: *mut evhttp_request,
    error: c_int,
    reason: *const c_char,
) {
    ffi_boundary!("evhttp_send_error", {
        if let Some(req) = some(req) {
            // SAFETY: the program passes NULL or a C string.
            connection::send_error(req, error, unsafe { arg_bytes(reason) });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply(
    req: *mut evhttp_request,
    code: c_int,
    reason: *const c_char,
    body: *mut evbuffer,
) {
    ffi_boundary!("evhttp_send_reply", {
        if let Some(req) = some(req) {
            // SAFETY: the program passes NULL or a live buffer, and NULL or a C string.
            let body = unsafe { Evbuffer::from_ptr(body) };
            // SAFETY: as above.
            connection::send_reply(req, code, unsafe { arg_bytes(reason) }, body);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_start(
    req: *mut evhttp_request,
    code: c_int,
    reason: *const c_char,
) {
    ffi_boundary!("evhttp_send_reply_start", {
        if let Some(req) = some(req) {
            // SAFETY: the program passes NULL or a C string.
            connection::send_reply_start(req, code, unsafe { arg_bytes(reason) });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk_with_cb(
    req: *mut evhttp_request,
    body: *mut evbuffer,
    cb: Option<ChunkWrittenCb>,
    arg: *mut c_void,
) {
    ffi_boundary!("evhttp_send_reply_chunk_with_cb", {
        // SAFETY: the program passes a live buffer (NULL is refused).
        if let (Some(req), Some(body)) = (some(req), unsafe { Evbuffer::from_ptr(body) }) {
            connection::send_reply_chunk(req, body, cb, arg);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_chunk(req: *mut evhttp_request, body: *mut evbuffer) {
    // SAFETY: the same arguments.
    ffi_boundary!("evhttp_send_reply_chunk", unsafe {
        evhttp_send_reply_chunk_with_cb(req, body, None, ptr::null_mut())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_send_reply_end(req: *mut evhttp_request) {
    ffi_boundary!("evhttp_send_reply_end", {
        if let Some(req) = some(req) {
            connection::send_reply_end(req);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_cancel_request(req: *mut evhttp_request) {
    ffi_boundary!("evhttp_cancel_request", {
        if let Some(req) = some(req) {
            connection::cancel_request(req);
        }
    })
}
