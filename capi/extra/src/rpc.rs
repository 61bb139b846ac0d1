//! The C entry points of event2/rpc.h: argument checks, then one call into
//! `crate::evrpc`. Where libevent asserts or crashes on a NULL or otherwise bad
//! argument, these log a warning and return the failure value.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};

use evrs_sibling::sys::event_base;

use crate::evhttp::connection::evhttp_connection;
use crate::evhttp::server::evhttp;
use crate::evrpc::hooks::{self, Hooks};
use crate::evrpc::{
    client, evrpc, evrpc_base, evrpc_link, evrpc_pool, evrpc_req_generic, evrpc_request_wrapper,
    evrpc_status, server, warn, ClientCb, CompleteFn, FreeFn, HookCb, MarshalFn, NewFn, ServerCb,
    UnmarshalFn, EVRPC_HOOK_RESULT, EVRPC_HOOK_TYPE, STATUS_ERR_UNSTARTED,
};

/// A C string argument; None (with a warning) for NULL.
///
/// # Safety
/// `text` is NULL or NUL-terminated and outlives the returned slice.
unsafe fn name_arg<'a>(entry: &str, text: *const c_char) -> Option<&'a [u8]> {
    if text.is_null() {
        warn(format_args!("{entry}: NULL name; refused"));
        return None;
    }
    // SAFETY: the caller's contract.
    Some(unsafe { CStr::from_ptr(text) }.to_bytes())
}

/// A pointer argument that must not be NULL; None with a warning.
fn required<T>(entry: &str, what: &str, ptr: *mut T) -> Option<NonNull<T>> {
    let nn = NonNull::new(ptr);
    if nn.is_none() {
        warn(format_args!("{entry}: NULL {what}; refused"));
    }
    nn
}

// ---------------------------------------------------------------- server

#[no_mangle]
pub unsafe extern "C" fn evrpc_init(server: *mut evhttp) -> *mut evrpc_base {
    ffi_boundary!("evrpc_init", {
        server::new(server).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_free(base: *mut evrpc_base) {
    ffi_boundary!("evrpc_free", {
        if let Some(base) = NonNull::new(base) {
            server::free(base);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_register_rpc(
    base: *mut evrpc_base,
    rpc: *mut evrpc,
    cb: Option<ServerCb>,
    cb_arg: *mut c_void,
) -> c_int {
    ffi_boundary!("evrpc_register_rpc", {
        let entry = "evrpc_register_rpc";
        let (Some(base), Some(rpc)) = (required(entry, "base", base), required(entry, "rpc", rpc))
        else {
            return -1;
        };
        let Some(cb) = cb else {
            warn(format_args!("{entry}: NULL callback; refused"));
            return -1;
        };
        server::register(base, rpc, cb, cb_arg)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_register_generic(
    base: *mut evrpc_base,
    name: *const c_char,
    callback: Option<ServerCb>,
    cbarg: *mut c_void,
    req_new: Option<NewFn>,
    req_new_arg: *mut c_void,
    req_free: Option<FreeFn>,
    req_unmarshal: Option<UnmarshalFn>,
    rpl_new: Option<NewFn>,
    rpl_new_arg: *mut c_void,
    rpl_free: Option<FreeFn>,
    rpl_complete: Option<CompleteFn>,
    rpl_marshal: Option<MarshalFn>,
) -> c_int {
    ffi_boundary!("evrpc_register_generic", {
        let entry = "evrpc_register_generic";
        let Some(base) = required(entry, "base", base) else {
            return -1;
        };
        // SAFETY: the program passes NULL or a C string.
        let Some(name) = (unsafe { name_arg(entry, name) }) else {
            return -1;
        };
        let functions = evrpc {
            next: evrpc_link {
                tqe_next: ptr::null_mut(),
                tqe_prev: ptr::null_mut(),
            },
            uri: ptr::null(),
            request_new: req_new,
            request_new_arg: req_new_arg,
            request_free: req_free,
            request_unmarshal: req_unmarshal,
            reply_new: rpl_new,
            reply_new_arg: rpl_new_arg,
            reply_free: rpl_free,
            reply_complete: rpl_complete,
            reply_marshal: rpl_marshal,
            cb: callback,
            cb_arg: cbarg,
            base: ptr::null_mut(),
        };
        server::register_generic(base, name, functions)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_unregister_rpc(base: *mut evrpc_base, name: *const c_char) -> c_int {
    ffi_boundary!("evrpc_unregister_rpc", {
        let entry = "evrpc_unregister_rpc";
        let Some(base) = required(entry, "base", base) else {
            return -1;
        };
        // SAFETY: the program passes NULL or a C string.
        let Some(name) = (unsafe { name_arg(entry, name) }) else {
            return -1;
        };
        server::unregister(base, name)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_done(req: *mut evrpc_req_generic) {
    ffi_boundary!("evrpc_request_done", {
        if let Some(call) = required("evrpc_request_done", "call", req) {
            server::request_done(call.cast());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_request(req: *mut evrpc_req_generic) -> *mut c_void {
    ffi_boundary!("evrpc_get_request", {
        // SAFETY: the program passes a call its handler received.
        NonNull::new(req).map_or(ptr::null_mut(), |r| unsafe { (*r.as_ptr()).request })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_reply(req: *mut evrpc_req_generic) -> *mut c_void {
    ffi_boundary!("evrpc_get_reply", {
        // SAFETY: the program passes a call its handler received.
        NonNull::new(req).map_or(ptr::null_mut(), |r| unsafe { (*r.as_ptr()).reply })
    })
}

// ---------------------------------------------------------------- client

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_new(base: *mut event_base) -> *mut evrpc_pool {
    ffi_boundary!("evrpc_pool_new", {
        client::new(base).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_free(pool: *mut evrpc_pool) {
    ffi_boundary!("evrpc_pool_free", {
        if let Some(pool) = NonNull::new(pool) {
            client::free(pool);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_add_connection(
    pool: *mut evrpc_pool,
    evcon: *mut evhttp_connection,
) {
    ffi_boundary!("evrpc_pool_add_connection", {
        let entry = "evrpc_pool_add_connection";
        if let (Some(pool), Some(conn)) = (
            required(entry, "pool", pool),
            required(entry, "connection", evcon),
        ) {
            client::add_connection(pool, conn);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_remove_connection(
    pool: *mut evrpc_pool,
    evcon: *mut evhttp_connection,
) {
    ffi_boundary!("evrpc_pool_remove_connection", {
        let entry = "evrpc_pool_remove_connection";
        if let (Some(pool), Some(conn)) = (
            required(entry, "pool", pool),
            required(entry, "connection", evcon),
        ) {
            client::remove_connection(pool, conn);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_set_timeout(pool: *mut evrpc_pool, timeout_in_secs: c_int) {
    ffi_boundary!("evrpc_pool_set_timeout", {
        if let Some(pool) = required("evrpc_pool_set_timeout", "pool", pool) {
            client::set_timeout(pool, timeout_in_secs);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_make_request_ctx(
    pool: *mut evrpc_pool,
    request: *mut c_void,
    reply: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<MarshalFn>,
    rpl_clear: Option<FreeFn>,
    rpl_unmarshal: Option<UnmarshalFn>,
    cb: Option<ClientCb>,
    cbarg: *mut c_void,
) -> *mut evrpc_request_wrapper {
    ffi_boundary!("evrpc_make_request_ctx", {
        let entry = "evrpc_make_request_ctx";
        // SAFETY: the program passes NULL or a C string.
        let Some(name) = (unsafe { name_arg(entry, rpcname) }) else {
            return ptr::null_mut();
        };
        let (Some(marshal), Some(clear), Some(unmarshal)) = (req_marshal, rpl_clear, rpl_unmarshal)
        else {
            warn(format_args!("{entry}: a message function is NULL; refused"));
            return ptr::null_mut();
        };
        client::new_ctx(
            pool, request, reply, name, marshal, clear, unmarshal, cb, cbarg,
        )
        .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_make_request(ctx: *mut evrpc_request_wrapper) -> c_int {
    ffi_boundary!("evrpc_make_request", {
        match required("evrpc_make_request", "context", ctx) {
            Some(ctx) => client::make_request(ctx),
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_send_request_generic(
    pool: *mut evrpc_pool,
    request: *mut c_void,
    reply: *mut c_void,
    cb: Option<ClientCb>,
    cb_arg: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<MarshalFn>,
    rpl_clear: Option<FreeFn>,
    rpl_unmarshal: Option<UnmarshalFn>,
) -> c_int {
    ffi_boundary!("evrpc_send_request_generic", {
        // SAFETY: the same arguments.
        let ctx = unsafe {
            evrpc_make_request_ctx(
                pool,
                request,
                reply,
                rpcname,
                req_marshal,
                rpl_clear,
                rpl_unmarshal,
                cb,
                cb_arg,
            )
        };
        if let Some(ctx) = NonNull::new(ctx) {
            return client::make_request(ctx);
        }
        let mut status = evrpc_status {
            error: STATUS_ERR_UNSTARTED,
            http_req: ptr::null_mut(),
        };
        if let Some(cb) = cb {
            // SAFETY: the program's completion callback with its own messages.
            unsafe { cb(&mut status, request, reply, cb_arg) };
        }
        -1
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_get_pool(
    ctx: *mut evrpc_request_wrapper,
) -> *mut evrpc_pool {
    ffi_boundary!("evrpc_request_get_pool", {
        NonNull::new(ctx).map_or(ptr::null_mut(), client::get_pool)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_pool(
    ctx: *mut evrpc_request_wrapper,
    pool: *mut evrpc_pool,
) {
    ffi_boundary!("evrpc_request_set_pool", {
        if let Some(ctx) = required("evrpc_request_set_pool", "context", ctx) {
            client::set_pool(ctx, pool);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_cb(
    ctx: *mut evrpc_request_wrapper,
    cb: Option<ClientCb>,
    cb_arg: *mut c_void,
) {
    ffi_boundary!("evrpc_request_set_cb", {
        if let Some(ctx) = required("evrpc_request_set_cb", "context", ctx) {
            client::set_cb(ctx, cb, cb_arg);
        }
    })
}

// ---------------------------------------------------------------- hooks

#[no_mangle]
pub unsafe extern "C" fn evrpc_add_hook(
    vbase: *mut c_void,
    hook_type: EVRPC_HOOK_TYPE,
    cb: Option<HookCb>,
    cb_arg: *mut c_void,
) -> *mut c_void {
    ffi_boundary!("evrpc_add_hook", {
        let entry = "evrpc_add_hook";
        let Some(owner) = required(entry, "base or pool", vbase.cast::<Hooks>()) else {
            return ptr::null_mut();
        };
        let Some(cb) = cb else {
            warn(format_args!("{entry}: NULL hook; refused"));
            return ptr::null_mut();
        };
        match hooks::add(owner, hook_type, cb, cb_arg) {
            Some(hook) => hook.as_ptr().cast(),
            None => {
                warn(format_args!(
                    "{entry}: unknown hook type or out of memory; refused"
                ));
                ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_remove_hook(
    vbase: *mut c_void,
    hook_type: EVRPC_HOOK_TYPE,
    handle: *mut c_void,
) -> c_int {
    ffi_boundary!("evrpc_remove_hook", or 0, {
        match required("evrpc_remove_hook", "base or pool", vbase.cast::<Hooks>()) {
            Some(owner) => c_int::from(hooks::remove(owner, hook_type, handle)),
            None => 0,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_resume_request(
    vbase: *mut c_void,
    ctx: *mut c_void,
    res: EVRPC_HOOK_RESULT,
) -> c_int {
    ffi_boundary!("evrpc_resume_request", {
        match required(
            "evrpc_resume_request",
            "base or pool",
            vbase.cast::<Hooks>(),
        ) {
            Some(owner) => hooks::resume(owner, ctx, res),
            None => -1,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_add_meta(
    ctx: *mut c_void,
    key: *const c_char,
    data: *const c_void,
    data_size: usize,
) {
    ffi_boundary!("evrpc_hook_add_meta", {
        let entry = "evrpc_hook_add_meta";
        if ctx.is_null() || key.is_null() || (data.is_null() && data_size != 0) {
            warn(format_args!("{entry}: NULL argument; refused"));
            return;
        }
        // SAFETY: a call given to a hook, a C string, `data_size` readable bytes.
        unsafe { hooks::add_meta(ctx, key, data, data_size) };
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_find_meta(
    ctx: *mut c_void,
    key: *const c_char,
    data: *mut *mut c_void,
    data_size: *mut usize,
) -> c_int {
    ffi_boundary!("evrpc_hook_find_meta", {
        if ctx.is_null() || key.is_null() || data.is_null() || data_size.is_null() {
            warn(format_args!("evrpc_hook_find_meta: NULL argument; refused"));
            return -1;
        }
        // SAFETY: a call given to a hook, a C string, writable results.
        unsafe { hooks::find_meta(ctx, key, data, data_size) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_get_connection(ctx: *mut c_void) -> *mut evhttp_connection {
    ffi_boundary!("evrpc_hook_get_connection", {
        if ctx.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a call given to a hook.
        unsafe { hooks::connection(ctx) }
    })
}
