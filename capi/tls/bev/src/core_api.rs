//! The few public libevent_core functions this library calls that `evrs_sibling::sys`
//! does not declare (event2/buffer.h, event2/bufferevent.h).

// The C structs keep their C names.
#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_short, c_void};

use evrs_sibling::sys::{bufferevent, evbuffer, evbuffer_iovec, evbuffer_ptr};

/// `struct evbuffer_cb_info`.
#[repr(C)]
pub struct evbuffer_cb_info {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

/// `struct evbuffer_cb_entry`: opaque.
#[repr(C)]
pub struct evbuffer_cb_entry {
    _private: [u8; 0],
}

pub type evbuffer_cb_func =
    unsafe extern "C" fn(buf: *mut evbuffer, info: *const evbuffer_cb_info, arg: *mut c_void);

extern "C" {
    pub fn evbuffer_add_cb(
        buf: *mut evbuffer,
        cb: Option<evbuffer_cb_func>,
        arg: *mut c_void,
    ) -> *mut evbuffer_cb_entry;
    pub fn evbuffer_remove_cb_entry(buf: *mut evbuffer, ent: *mut evbuffer_cb_entry) -> c_int;
    pub fn evbuffer_peek(
        buf: *mut evbuffer,
        len: isize,
        start_at: *mut evbuffer_ptr,
        vec_out: *mut evbuffer_iovec,
        n_vec: c_int,
    ) -> c_int;
    pub fn evbuffer_remove(buf: *mut evbuffer, data: *mut c_void, len: usize) -> c_int;
    pub fn bufferevent_getwatermark(
        bev: *mut bufferevent,
        events: c_short,
        lowmark: *mut usize,
        highmark: *mut usize,
    ) -> c_int;
}
