//! evrpc: remote procedure calls carried as HTTP POSTs to "/.rpc.NAME" over evhttp
//! (event2/rpc.h); the C entry points are in `crate::rpc`.
//!
//! - `server`: the RPC base, its registrations (`struct evrpc`) and the server side of
//!   a call (`struct evrpc_req_generic`), from the HTTP request to the reply;
//! - `client`: pools of client connections, calls (`struct evrpc_request_wrapper`),
//!   their queue and their timeouts;
//! - `hooks`: the hook lists a base and a pool share, paused calls and the meta data
//!   hooks attach to a call.
//!
//! Program code (hooks, handlers, completion callbacks, the message functions the
//! program supplied) may free the base, the pool or the HTTP objects from inside any
//! call into it. The objects are heap blocks reached by raw pointer; every call into
//! program code is preceded by copying out what is needed, and followed by a check of
//! the owner's `LiveFlag`.

pub mod client;
pub mod hooks;
pub mod server;

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;

use evrs_sibling::sys::evbuffer;

use crate::evhttp::request::evhttp_request;

pub use client::{evrpc_pool, evrpc_request_wrapper};
pub use hooks::evrpc_hook_meta;
pub use server::evrpc_base;

/// The path prefix of every RPC.
pub const URI_PREFIX: &[u8] = b"/.rpc.";

/// `EVHTTP_REQ_POST`.
pub const REQ_POST: u32 = 1 << 1;
/// `HTTP_SERVUNAVAIL`: libevent's answer to every call the server cannot serve.
pub const HTTP_SERVUNAVAIL: c_int = 503;
/// `HTTP_OK`.
pub const HTTP_OK: c_int = 200;

/// `enum EVRPC_HOOK_TYPE`.
pub type EVRPC_HOOK_TYPE = c_int;
pub const EVRPC_INPUT: c_int = 0;
pub const EVRPC_OUTPUT: c_int = 1;

/// `enum EVRPC_HOOK_RESULT`.
pub type EVRPC_HOOK_RESULT = c_int;
pub const EVRPC_TERMINATE: c_int = -1;
pub const EVRPC_CONTINUE: c_int = 0;
pub const EVRPC_PAUSE: c_int = 1;

// `EVRPC_STATUS_ERR_*` (rpc_struct.h).
pub const STATUS_ERR_NONE: c_int = 0;
pub const STATUS_ERR_TIMEOUT: c_int = 1;
pub const STATUS_ERR_BADPAYLOAD: c_int = 2;
pub const STATUS_ERR_UNSTARTED: c_int = 3;
pub const STATUS_ERR_HOOKABORTED: c_int = 4;

/// `struct evrpc_status` (rpc_struct.h).
#[repr(C)]
pub struct evrpc_status {
    pub error: c_int,
    pub http_req: *mut evhttp_request,
}

/// The function types of rpc.h.
pub type HookCb =
    unsafe extern "C" fn(*mut c_void, *mut evhttp_request, *mut evbuffer, *mut c_void) -> c_int;
pub type ServerCb = unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void);
pub type ClientCb = unsafe extern "C" fn(*mut evrpc_status, *mut c_void, *mut c_void, *mut c_void);
pub type NewFn = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
pub type FreeFn = unsafe extern "C" fn(*mut c_void);
pub type UnmarshalFn = unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int;
pub type CompleteFn = unsafe extern "C" fn(*mut c_void) -> c_int;
pub type MarshalFn = unsafe extern "C" fn(*mut evbuffer, *mut c_void);

/// `TAILQ_ENTRY(evrpc)`: kept up to date for programs that walk the list.
#[repr(C)]
pub struct evrpc_link {
    pub tqe_next: *mut evrpc,
    pub tqe_prev: *mut *mut evrpc,
}

/// `struct evrpc` (rpc_struct.h): one registered RPC. Its fields hold the live values;
/// the functions are read from it each time they are used, as libevent does.
#[repr(C)]
pub struct evrpc {
    pub next: evrpc_link,
    pub uri: *const c_char,
    pub request_new: Option<NewFn>,
    pub request_new_arg: *mut c_void,
    pub request_free: Option<FreeFn>,
    pub request_unmarshal: Option<UnmarshalFn>,
    pub reply_new: Option<NewFn>,
    pub reply_new_arg: *mut c_void,
    pub reply_free: Option<FreeFn>,
    pub reply_complete: Option<CompleteFn>,
    pub reply_marshal: Option<MarshalFn>,
    pub cb: Option<ServerCb>,
    pub cb_arg: *mut c_void,
    pub base: *mut evrpc_base,
}

/// `struct evrpc_req_generic`: what a server handler receives, laid out as
/// `EVRPC_STRUCT(name)` in rpc.h (programs cast between the two). The engine's own
/// fields follow it in `server::ServerCall`.
#[repr(C)]
pub struct evrpc_req_generic {
    pub hook_meta: *mut evrpc_hook_meta,
    pub request: *mut c_void,
    pub reply: *mut c_void,
    pub rpc: *mut evrpc,
    pub http_req: *mut evhttp_request,
    pub rpc_data: *mut evbuffer,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::offset_of;
    assert!(size_of::<evrpc>() == 120);
    assert!(offset_of!(evrpc, uri) == 16);
    assert!(offset_of!(evrpc, cb) == 96);
    assert!(offset_of!(evrpc, base) == 112);
    assert!(size_of::<evrpc_req_generic>() == 48);
    assert!(offset_of!(evrpc_req_generic, http_req) == 32);
    assert!(size_of::<evrpc_status>() == 16);
};

/// "/.rpc.NAME" with its NUL, for evhttp; None when out of memory.
pub fn rpc_path(name: &[u8]) -> Option<Vec<u8>> {
    let mut path = Vec::new();
    path.try_reserve_exact(URI_PREFIX.len() + name.len() + 1)
        .ok()?;
    path.extend_from_slice(URI_PREFIX);
    path.extend_from_slice(name);
    path.push(0);
    Some(path)
}

/// A copy of `bytes` that answers None when memory runs out.
pub fn try_copy(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len()).ok()?;
    copy.extend_from_slice(bytes);
    Some(copy)
}

/// Pushes onto `list`, answering false instead of aborting when memory runs out.
pub fn try_push<T>(list: &mut Vec<T>, value: T) -> bool {
    if list.try_reserve(1).is_err() {
        return false;
    }
    list.push(value);
    true
}

/// Removes the first element equal to `value`; true if there was one.
pub fn remove_item<T: PartialEq>(list: &mut Vec<T>, value: &T) -> bool {
    match list.iter().position(|item| item == value) {
        Some(at) => {
            list.remove(at);
            true
        }
        None => false,
    }
}

/// Logs a refused argument or a failure libevent would assert on.
pub fn warn(message: std::fmt::Arguments<'_>) {
    evrs_sibling::log::warn(message);
}

/// A pointer argument that must not be NULL.
pub fn non_null<T>(ptr: *mut T) -> Option<NonNull<T>> {
    NonNull::new(ptr)
}
