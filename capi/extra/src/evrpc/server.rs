//! The RPC base, its registrations and the server side of a call.
//!
//! A call comes in as a POST to "/.rpc.NAME"; the base's input hooks see the raw body,
//! the request is decoded, the program's handler fills in the reply and ends with
//! evrpc_request_done(), the reply is checked and encoded, the output hooks see the
//! encoded reply, and it goes out as "200 OK". Every failure on the way is answered
//! with "503 Service Unavailable", as in libevent.
//!
//! A registration (`struct evrpc`) outlives its unregistration while calls of it are
//! under way, so that a call's `rpc` field stays valid (libevent frees it, and a later
//! evrpc_request_done() reads freed memory).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};

use evrs_sibling::alloc::{try_box, LiveFlag};
use evrs_sibling::sys;

use super::hooks::{self, Continuation, HookOutcome, Hooks};
use super::{
    evrpc, evrpc_link, evrpc_req_generic, rpc_path, try_copy, try_push, warn, ServerCb,
    EVRPC_INPUT, EVRPC_OUTPUT, EVRPC_PAUSE, EVRPC_TERMINATE, HTTP_OK, HTTP_SERVUNAVAIL, REQ_POST,
};
use crate::evhttp::request::{evhttp_request, field};
use crate::evhttp::server::evhttp;
use crate::http::headers::{evhttp_add_header, evhttp_find_header};
use crate::http::request::{evhttp_send_error, evhttp_send_reply};
use crate::http::server::{evhttp_del_cb, evhttp_set_cb};

/// `TAILQ_HEAD(evrpc_list, evrpc)`.
#[repr(C)]
struct RpcListHead {
    tqh_first: *mut evrpc,
    tqh_last: *mut *mut evrpc,
}

/// `struct evrpc_base`.
#[repr(C)]
pub struct evrpc_base {
    hooks: Hooks,
    http: *mut evhttp,
    registrations: Vec<NonNull<Registration>>,
    /// The list the `next` links of the registered `struct evrpc`s form.
    rpc_list: RpcListHead,
}

pub type RpcBase = NonNull<evrpc_base>;

/// One registered RPC: the program-visible `struct evrpc` and what the engine needs
/// beside it. The HTTP callback's argument.
struct Registration {
    rpc: NonNull<evrpc>,
    /// The base it is registered with (live while `registered`).
    base: RpcBase,
    name: Vec<u8>,
    /// "/.rpc.NAME" with its NUL.
    path: Vec<u8>,
    /// Calls of this RPC under way.
    calls: usize,
    registered: bool,
}

/// The server side of one call: the public `struct evrpc_req_generic` and the engine's
/// fields after it.
#[repr(C)]
pub struct ServerCall {
    generic: evrpc_req_generic,
    registration: NonNull<Registration>,
    base: RpcBase,
    base_alive: LiveFlag,
}

pub type Call = NonNull<ServerCall>;

fn bx<'a>(base: RpcBase) -> &'a mut evrpc_base {
    // SAFETY: callers pass a live base (checked through `alive` after every call into
    // program code) and use the borrow within one statement.
    unsafe { &mut *base.as_ptr() }
}

fn reg<'a>(registration: NonNull<Registration>) -> &'a mut Registration {
    // SAFETY: a registration lives while it is registered or has calls, which is when
    // callers reach it; the borrow lasts one statement.
    unsafe { &mut *registration.as_ptr() }
}

/// The hooks block of a base.
pub fn hooks_of(base: RpcBase) -> NonNull<Hooks> {
    base.cast()
}

/// evrpc_init().
pub fn new(http: *mut evhttp) -> Option<RpcBase> {
    let alive = LiveFlag::try_new()?;
    let base = try_box(evrpc_base {
        hooks: Hooks::new(alive),
        http,
        registrations: Vec::new(),
        rpc_list: RpcListHead {
            tqh_first: ptr::null_mut(),
            tqh_last: ptr::null_mut(),
        },
    })?;
    relink(base);
    Some(base)
}

/// Rewrites the `next` links of the registered `struct evrpc`s and the list head, so
/// that they form the TAILQ a program may walk.
fn relink(base: RpcBase) {
    let b = base.as_ptr();
    // SAFETY: the base is live; its registrations and their `struct evrpc`s too.
    unsafe {
        let mut prev_next: *mut *mut evrpc = ptr::addr_of_mut!((*b).rpc_list.tqh_first);
        for registration in (*b).registrations.iter() {
            let rpc = (*registration.as_ptr()).rpc.as_ptr();
            *prev_next = rpc;
            (*rpc).next.tqe_prev = prev_next;
            prev_next = ptr::addr_of_mut!((*rpc).next.tqe_next);
        }
        *prev_next = ptr::null_mut();
        (*b).rpc_list.tqh_last = prev_next;
    }
}

/// Frees a registration's `struct evrpc` (with the core's allocator, as libevent does
/// for the one evrpc_register_rpc() took over) once it is unregistered and has no call.
fn release_if_done(registration: NonNull<Registration>) {
    if reg(registration).registered || reg(registration).calls != 0 {
        return;
    }
    // SAFETY: nothing refers to the registration any more; the `struct evrpc` and its
    // name came from the core's allocator (ours, or the program's per libevent's
    // contract for evrpc_register_rpc()).
    unsafe {
        let registration = Box::from_raw(registration.as_ptr());
        let rpc = registration.rpc.as_ptr();
        sys::event_mm_free_((*rpc).uri.cast_mut().cast());
        sys::event_mm_free_(rpc.cast());
    }
}

/// The registration of `name`, if any.
fn find(base: RpcBase, name: &[u8]) -> Option<NonNull<Registration>> {
    bx(base)
        .registrations
        .iter()
        .copied()
        .find(|r| reg(*r).name == name)
}

/// evrpc_register_rpc(): the base takes `rpc` over on success. libevent registers a
/// name twice (and its HTTP callback fails silently); this refuses with -1, as it does
/// an `rpc` with a missing function, leaving `rpc` to the caller.
pub fn register(base: RpcBase, rpc: NonNull<evrpc>, cb: ServerCb, cb_arg: *mut c_void) -> c_int {
    let r = rpc.as_ptr();
    // SAFETY: the program passes a filled-in `struct evrpc`.
    let (uri, complete) = unsafe {
        let complete = (*r).request_new.is_some()
            && (*r).request_free.is_some()
            && (*r).request_unmarshal.is_some()
            && (*r).reply_new.is_some()
            && (*r).reply_free.is_some()
            && (*r).reply_complete.is_some()
            && (*r).reply_marshal.is_some();
        ((*r).uri, complete)
    };
    if uri.is_null() || !complete {
        warn(format_args!(
            "evrpc_register_rpc: the struct evrpc lacks its name or a function; refused"
        ));
        return -1;
    }
    // SAFETY: a C string, checked above.
    let name = unsafe { CStr::from_ptr(uri) }.to_bytes();
    let http = bx(base).http;
    if http.is_null() {
        warn(format_args!(
            "evrpc_register_rpc: the base has no HTTP server; refused"
        ));
        return -1;
    }
    if find(base, name).is_some() {
        warn(format_args!(
            "evrpc_register_rpc: an RPC named {} is already registered; refused",
            String::from_utf8_lossy(name)
        ));
        return -1;
    }
    let (Some(name), Some(path)) = (try_copy(name), rpc_path(name)) else {
        return -1;
    };
    let Some(registration) = try_box(Registration {
        rpc,
        base,
        name,
        path,
        calls: 0,
        registered: true,
    }) else {
        return -1;
    };
    let fail = |registration: NonNull<Registration>| {
        // SAFETY: the registration was just made and nothing refers to it.
        drop(unsafe { Box::from_raw(registration.as_ptr()) });
        -1
    };
    if bx(base).registrations.try_reserve(1).is_err() {
        return fail(registration);
    }
    let path = reg(registration).path.as_ptr().cast::<c_char>();
    // SAFETY: a live server, a C string, our callback with the registration it expects.
    if unsafe {
        evhttp_set_cb(
            http,
            path,
            Some(on_http_request),
            registration.as_ptr().cast(),
        )
    } != 0
    {
        warn(format_args!(
            "evrpc_register_rpc: the HTTP server already has a callback for that path; refused"
        ));
        return fail(registration);
    }
    // SAFETY: the `struct evrpc` is the program's, handed over now.
    unsafe {
        (*r).cb = Some(cb);
        (*r).cb_arg = cb_arg;
        (*r).base = base.as_ptr();
    }
    bx(base).registrations.push(registration);
    relink(base);
    0
}

/// evrpc_unregister_rpc().
pub fn unregister(base: RpcBase, name: &[u8]) -> c_int {
    let Some(registration) = find(base, name) else {
        return -1;
    };
    super::remove_item(&mut bx(base).registrations, &registration);
    relink(base);
    detach(base, registration);
    0
}

/// Takes a registration off the HTTP server; it goes once its calls are over.
fn detach(base: RpcBase, registration: NonNull<Registration>) {
    let http = bx(base).http;
    let path = reg(registration).path.as_ptr().cast::<c_char>();
    // SAFETY: a live server and a C string; removing a callback runs no program code.
    unsafe { evhttp_del_cb(http, path) };
    let rpc = reg(registration).rpc.as_ptr();
    // SAFETY: the registration's live `struct evrpc`: it leaves the list.
    unsafe {
        (*rpc).next = evrpc_link {
            tqe_next: ptr::null_mut(),
            tqe_prev: ptr::null_mut(),
        };
        (*rpc).base = ptr::null_mut();
    }
    reg(registration).registered = false;
    release_if_done(registration);
}

/// evrpc_free(): unregisters every RPC and removes every hook. Calls held by a hook
/// (libevent leaks them, unanswered) are answered with 503 and freed. A call in the
/// program's handler stays valid: evrpc_request_done() sends its reply without output
/// hooks.
pub fn free(base: RpcBase) {
    bx(base).hooks.alive.set(false);
    let registrations = std::mem::take(&mut bx(base).registrations);
    for registration in registrations {
        detach(base, registration);
    }
    let paused = std::mem::take(&mut bx(base).hooks.paused);
    bx(base).hooks.clear();
    // SAFETY: the base came from `try_box`; nothing refers to it any more.
    drop(unsafe { Box::from_raw(base.as_ptr()) });
    for held in paused {
        if let Some(call) = NonNull::new(held.ctx.cast::<ServerCall>()) {
            fail(call);
        }
    }
}

fn call_field<T: Copy>(call: Call, get: impl FnOnce(&ServerCall) -> T) -> T {
    // SAFETY: callers pass a live call; the borrow ends with the copy.
    get(unsafe { &*call.as_ptr() })
}

/// The `struct evrpc` of a call (kept alive by the call).
fn rpc_of(call: Call) -> *mut evrpc {
    reg(call_field(call, |c| c.registration)).rpc.as_ptr()
}

/// The HTTP callback of every registered path (`evrpc_request_cb`).
unsafe extern "C" fn on_http_request(req: *mut evhttp_request, arg: *mut c_void) {
    ffi_boundary!("evrpc: incoming call", {
        let (Some(req), Some(registration)) =
            (NonNull::new(req), NonNull::new(arg.cast::<Registration>()))
        else {
            return;
        };
        start_call(req, registration);
    })
}

fn start_call(req: NonNull<evhttp_request>, registration: NonNull<Registration>) {
    let input = field!(req, input_buffer);
    // SAFETY: the request's live input buffer.
    let body_len = unsafe { sys::evbuffer_get_length(input) };
    let (rpc, base) = (reg(registration).rpc.as_ptr(), reg(registration).base);
    if field!(req, type_) != REQ_POST || body_len == 0 {
        send_unavailable(req.as_ptr());
        return;
    }
    let Some(call) = try_box(ServerCall {
        generic: evrpc_req_generic {
            hook_meta: ptr::null_mut(),
            request: ptr::null_mut(),
            reply: ptr::null_mut(),
            rpc,
            http_req: req.as_ptr(),
            rpc_data: ptr::null_mut(),
        },
        registration,
        base,
        base_alive: bx(base).hooks.alive.clone(),
    }) else {
        send_unavailable(req.as_ptr());
        return;
    };
    reg(registration).calls += 1;
    let hooks = hooks_of(base);
    if bx(base).hooks.has(EVRPC_INPUT) {
        // SAFETY: the call's own `hook_meta` field.
        unsafe {
            hooks::associate(
                ptr::addr_of_mut!((*call.as_ptr()).generic.hook_meta),
                field!(req, evcon),
            )
        };
        match hooks::run(
            hooks,
            EVRPC_INPUT,
            call.as_ptr().cast(),
            req.as_ptr(),
            input,
        ) {
            HookOutcome::OwnerGone => return fail(call),
            HookOutcome::Result(EVRPC_TERMINATE) => return fail(call),
            HookOutcome::Result(EVRPC_PAUSE) => {
                if !hooks::pause(hooks, call.as_ptr().cast(), Continuation::ServerInput) {
                    fail(call);
                }
                return;
            }
            HookOutcome::Result(_) => {}
        }
    }
    continue_input(call, super::EVRPC_CONTINUE);
}

/// After the input hooks (`evrpc_request_cb_closure`): decodes the request, makes the
/// reply and runs the handler. A call whose base was freed meanwhile is answered with
/// 503 (libevent uses the freed base).
pub fn continue_input(call: Call, result: c_int) {
    if result == EVRPC_TERMINATE || !call_field(call, |c| c.base_alive.get()) {
        return fail(call);
    }
    let rpc = rpc_of(call);
    let req = call_field(call, |c| c.generic.http_req);
    // SAFETY: the call's live `struct evrpc`; its functions were checked at
    // registration (a program that cleared one since gets 503).
    let (request_new, request_arg, unmarshal, reply_new, reply_arg) = unsafe {
        (
            (*rpc).request_new,
            (*rpc).request_new_arg,
            (*rpc).request_unmarshal,
            (*rpc).reply_new,
            (*rpc).reply_new_arg,
        )
    };
    let (Some(request_new), Some(unmarshal), Some(reply_new)) = (request_new, unmarshal, reply_new)
    else {
        return fail(call);
    };
    // SAFETY: the program's message constructor.
    let request = unsafe { request_new(request_arg) };
    // SAFETY: the call is live (only this frame holds it now).
    unsafe { (*call.as_ptr()).generic.request = request };
    if request.is_null() {
        return fail(call);
    }
    // SAFETY: the live HTTP request of the call.
    let input = unsafe { (*req).input_buffer };
    // SAFETY: the program's decoder with its message and the body.
    if unsafe { unmarshal(request, input) } == -1 {
        return fail(call);
    }
    // SAFETY: the program's message constructor.
    let reply = unsafe { reply_new(reply_arg) };
    // SAFETY: `call` is the live call this frame owns; the write is one raw store and
    // no reference to the call is alive.
    unsafe { (*call.as_ptr()).generic.reply = reply };
    if reply.is_null() {
        return fail(call);
    }
    // SAFETY: the call's live `struct evrpc`.
    let (cb, cb_arg) = unsafe { ((*rpc).cb, (*rpc).cb_arg) };
    let Some(cb) = cb else {
        return fail(call);
    };
    // SAFETY: the program's handler; the call is the program's until
    // evrpc_request_done().
    unsafe { cb(call.as_ptr().cast(), cb_arg) };
}

/// evrpc_request_done(): checks and encodes the reply, runs the output hooks (unless
/// the base is gone) and sends it.
pub fn request_done(call: Call) {
    let rpc = rpc_of(call);
    let reply = call_field(call, |c| c.generic.reply);
    // SAFETY: the call's live `struct evrpc`.
    let (complete, marshal) = unsafe { ((*rpc).reply_complete, (*rpc).reply_marshal) };
    let (Some(complete), Some(marshal)) = (complete, marshal) else {
        return fail(call);
    };
    // SAFETY: the program's check of its reply.
    if reply.is_null() || unsafe { complete(reply) } == -1 {
        return fail(call);
    }
    // SAFETY: a plain allocation.
    let data = unsafe { sys::evbuffer_new() };
    if data.is_null() {
        return fail(call);
    }
    // SAFETY: the call is live; the buffer is its own from now on.
    unsafe { (*call.as_ptr()).generic.rpc_data = data };
    // SAFETY: the program's encoder with its reply.
    unsafe { marshal(data, reply) };
    let base = call_field(call, |c| c.base);
    if call_field(call, |c| c.base_alive.get()) && bx(base).hooks.has(EVRPC_OUTPUT) {
        let req = call_field(call, |c| c.generic.http_req);
        // SAFETY: the call's own `hook_meta` field; the live HTTP request.
        unsafe {
            hooks::associate(
                ptr::addr_of_mut!((*call.as_ptr()).generic.hook_meta),
                (*req).evcon,
            )
        };
        let hooks = hooks_of(base);
        match hooks::run(hooks, EVRPC_OUTPUT, call.as_ptr().cast(), req, data) {
            HookOutcome::OwnerGone => return fail(call),
            HookOutcome::Result(EVRPC_TERMINATE) => return fail(call),
            HookOutcome::Result(EVRPC_PAUSE) => {
                if !hooks::pause(hooks, call.as_ptr().cast(), Continuation::ServerOutput) {
                    fail(call);
                }
                return;
            }
            HookOutcome::Result(_) => {}
        }
    }
    continue_output(call, super::EVRPC_CONTINUE);
}

/// After the output hooks (`evrpc_request_done_closure`): "200 OK" with the encoded
/// reply, Content-Type application/octet-stream unless a hook set one.
pub fn continue_output(call: Call, result: c_int) {
    if result == EVRPC_TERMINATE {
        return fail(call);
    }
    let (req, data) = call_field(call, |c| (c.generic.http_req, c.generic.rpc_data));
    // SAFETY: the live HTTP request of the call; C strings.
    unsafe {
        let headers = (*req).output_headers;
        if evhttp_find_header(headers, c"Content-Type".as_ptr()).is_null() {
            evhttp_add_header(
                headers,
                c"Content-Type".as_ptr(),
                c"application/octet-stream".as_ptr(),
            );
        }
        evhttp_send_reply(req, HTTP_OK, c"OK".as_ptr(), data);
    }
    free_call(call);
}

/// Frees the call and answers its HTTP request with 503.
pub fn fail(call: Call) {
    let req = call_field(call, |c| c.generic.http_req);
    free_call(call);
    send_unavailable(req);
}

fn send_unavailable(req: *mut evhttp_request) {
    // SAFETY: a live HTTP request being served.
    unsafe { evhttp_send_error(req, HTTP_SERVUNAVAIL, ptr::null()) };
}

/// Frees a call: its meta data, buffer and messages (with the program's functions,
/// called last, once nothing of the call is left).
fn free_call(call: Call) {
    // SAFETY: the call came from `try_box` and only this frame holds it now.
    let call = unsafe { Box::from_raw(call.as_ptr()) };
    let rpc = reg(call.registration).rpc.as_ptr();
    // SAFETY: the registration's live `struct evrpc` (the call keeps it).
    let (request_free, reply_free) = unsafe { ((*rpc).request_free, (*rpc).reply_free) };
    let generic = &call.generic;
    let (request, reply, data, meta) = (
        generic.request,
        generic.reply,
        generic.rpc_data,
        generic.hook_meta,
    );
    reg(call.registration).calls -= 1;
    release_if_done(call.registration);
    drop(call);
    // SAFETY: the store and the buffer were the call's own.
    unsafe {
        hooks::free_meta(meta);
        if !data.is_null() {
            sys::evbuffer_free(data);
        }
    }
    if let (false, Some(free)) = (request.is_null(), request_free) {
        // SAFETY: the program's destructor of the request it made.
        unsafe { free(request) };
    }
    if let (false, Some(free)) = (reply.is_null(), reply_free) {
        // SAFETY: the program's destructor of the reply it made.
        unsafe { free(reply) };
    }
}

/// evrpc_register_generic(): a `struct evrpc` made from the given functions. NULL
/// functions are refused with -1 (libevent calls them).
pub fn register_generic(base: RpcBase, name: &[u8], fns: super::evrpc) -> c_int {
    // SAFETY: a plain allocation; zeroed is a valid `struct evrpc` (NULL pointers).
    let rpc = unsafe { sys::event_mm_calloc_(1, size_of::<evrpc>()) }.cast::<evrpc>();
    let Some(rpc) = NonNull::new(rpc) else {
        return -1;
    };
    let Some(uri) = rpc_name_copy(name) else {
        // SAFETY: the block was just allocated and is not shared.
        unsafe { sys::event_mm_free_(rpc.as_ptr().cast()) };
        return -1;
    };
    // SAFETY: the fresh block is ours.
    unsafe { rpc.as_ptr().write(evrpc { uri, ..fns }) };
    let (cb, cb_arg) = (fns.cb, fns.cb_arg);
    let result = match cb {
        Some(cb) => register(base, rpc, cb, cb_arg),
        None => {
            warn(format_args!("evrpc_register_generic: no callback; refused"));
            -1
        }
    };
    if result != 0 {
        // SAFETY: refused, so the block and its name are still ours.
        unsafe {
            sys::event_mm_free_(uri.cast_mut().cast());
            sys::event_mm_free_(rpc.as_ptr().cast());
        }
    }
    result
}

/// A copy of `name` made by the core's allocator, as `struct evrpc`'s `uri` is freed.
fn rpc_name_copy(name: &[u8]) -> Option<*const c_char> {
    let mut text = try_copy(name)?;
    if !try_push(&mut text, 0) {
        return None;
    }
    // SAFETY: a NUL-terminated string.
    let copy = unsafe { sys::event_mm_strdup_(text.as_ptr().cast()) };
    (!copy.is_null()).then_some(copy.cast_const())
}
