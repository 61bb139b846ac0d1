//! Header list entry points.

use std::ffi::{c_char, c_int};
use std::ptr;

use super::arg_bytes;
use crate::evhttp::keyvalq::{self, evkeyvalq};
use crate::evhttp::request;

#[no_mangle]
pub unsafe extern "C" fn evhttp_find_header(
    headers: *const evkeyvalq,
    key: *const c_char,
) -> *const c_char {
    ffi_boundary!("evhttp_find_header", {
        // SAFETY: the program passes a live list and a C string.
        let Some(key) = (unsafe { arg_bytes(key) }) else {
            return ptr::null();
        };
        if headers.is_null() {
            return ptr::null();
        }
        // SAFETY: a live list.
        unsafe { keyvalq::find(headers, key) }.map_or(ptr::null(), |e| {
            // SAFETY: a live entry.
            unsafe { (*e.as_ptr()).value.cast_const() }
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_header(
    headers: *mut evkeyvalq,
    key: *const c_char,
) -> c_int {
    ffi_boundary!("evhttp_remove_header", {
        // SAFETY: the program passes a C string.
        let Some(key) = (unsafe { arg_bytes(key) }) else {
            return -1;
        };
        if headers.is_null() {
            return -1;
        }
        // SAFETY: a live list.
        if unsafe { keyvalq::remove_first(headers, key) } {
            0
        } else {
            -1
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_header(
    headers: *mut evkeyvalq,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    ffi_boundary!("evhttp_add_header", {
        // SAFETY: the program passes C strings.
        let (Some(key), Some(value)) = (unsafe { arg_bytes(key) }, unsafe { arg_bytes(value) })
        else {
            return -1;
        };
        if headers.is_null() {
            return -1;
        }
        // SAFETY: a live list.
        unsafe { request::add_header(headers, key, value) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_clear_headers(headers: *mut evkeyvalq) {
    ffi_boundary!("evhttp_clear_headers", {
        if !headers.is_null() {
            // SAFETY: a live list.
            unsafe { keyvalq::clear(headers) };
        }
    })
}
