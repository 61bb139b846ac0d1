//! Raw declarations of the C symbols libevent_core exports: the public API a sibling
//! uses (event2/*.h, same signatures) and the private sibling interface
//! (`capi/src/sibling.rs`). Declarations only; the safe wrappers are beside this module.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uint, c_void};

// The private sibling interface.
extern "C" {
    pub fn evrs_sibling_interface_version() -> c_uint;
    pub fn event_mm_malloc_(size: usize) -> *mut c_void;
    pub fn event_mm_calloc_(count: usize, size: usize) -> *mut c_void;
    pub fn event_mm_realloc_(block: *mut c_void, size: usize) -> *mut c_void;
    pub fn event_mm_free_(block: *mut c_void);
    pub fn event_mm_strdup_(text: *const c_char) -> *mut c_char;
    pub fn evrs_sibling_log(severity: c_int, message: *const c_char);
}
