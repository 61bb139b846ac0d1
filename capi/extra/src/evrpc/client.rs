//! Pools of client connections and the client side of a call.
//!
//! A call is queued on its pool and sent on the first connection with nothing queued
//! (libevent's choice: evhttp does not pipeline); when a reply comes, the next queued
//! call goes out. Sending a call: the request is encoded into a new HTTP request, the
//! pool's output hooks see it, the timeout (if the pool has one) is armed and the POST
//! to "/.rpc.NAME" is made. The reply passes the input hooks, is decoded into the
//! program's reply message, and the completion callback gets the status.
//!
//! When the timeout expires, the connection is failed as by a read timeout (libevent's
//! handling: the connection is closed and reconnects for the next call) and the call
//! completes with EVRPC_STATUS_ERR_TIMEOUT.

use std::collections::VecDeque;
use std::ffi::{c_int, c_short, c_void};
use std::ptr::{self, NonNull};

use evrs_sibling::alloc::{try_box, LiveFlag};
use evrs_sibling::handler::{self, EventHandler};
use evrs_sibling::sys::{self, event_base};

use super::hooks::{self, Continuation, HookOutcome, Hooks};
use super::{
    evrpc_hook_meta, evrpc_status, remove_item, rpc_path, try_push, warn, ClientCb, FreeFn,
    MarshalFn, UnmarshalFn, EVRPC_CONTINUE, EVRPC_INPUT, EVRPC_OUTPUT, EVRPC_PAUSE,
    EVRPC_TERMINATE, REQ_POST, STATUS_ERR_BADPAYLOAD, STATUS_ERR_HOOKABORTED, STATUS_ERR_NONE,
    STATUS_ERR_TIMEOUT, STATUS_ERR_UNSTARTED,
};
use crate::evhttp::connection::{self, alive_token, cx, evhttp_connection, Conn};
use crate::evhttp::request::{self as http_request, evhttp_request};
use crate::http::connection::{
    evhttp_connection_free, evhttp_connection_set_base, evhttp_connection_set_timeout,
    evhttp_make_request,
};
use crate::http::request::{
    evhttp_cancel_request, evhttp_request_free, evhttp_request_is_owned, evhttp_request_new,
    evhttp_request_own,
};

/// `struct evrpc_pool`.
#[repr(C)]
pub struct evrpc_pool {
    hooks: Hooks,
    base: *mut event_base,
    connections: Vec<Conn>,
    /// Seconds a call may take; -1 (the default) or 0: no limit.
    timeout: c_int,
    /// Calls waiting for an idle connection.
    queue: VecDeque<Ctx>,
    /// Calls whose HTTP request a connection holds.
    in_flight: Vec<Ctx>,
}

pub type Pool = NonNull<evrpc_pool>;

/// Where a call is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Made by evrpc_make_request_ctx(), not started.
    Unstarted,
    Queued,
    /// Worked on by a stack frame of the engine.
    Busy,
    /// Held by an output hook; its HTTP request is ours.
    PausedOutput,
    /// Its HTTP request is on a connection.
    InFlight,
    /// Held by an input hook; its HTTP reply is owned (`evhttp_request_own`).
    PausedInput,
}

/// `struct evrpc_request_wrapper`: a client call. Only its first field is shared with
/// `struct evrpc_req_generic` (the meta data the hook functions reach).
#[repr(C)]
pub struct evrpc_request_wrapper {
    hook_meta: *mut evrpc_hook_meta,
    pool: *mut evrpc_pool,
    /// The pool's liveness, taken when the call starts.
    pool_alive: Option<LiveFlag>,
    evcon: *mut evhttp_connection,
    /// The connection's liveness while the call is on it.
    evcon_alive: Option<LiveFlag>,
    req: *mut evhttp_request,
    timer: *mut sys::event,
    /// "/.rpc.NAME" with its NUL.
    path: Vec<u8>,
    cb: Option<ClientCb>,
    cb_arg: *mut c_void,
    request: *mut c_void,
    reply: *mut c_void,
    request_marshal: MarshalFn,
    reply_clear: FreeFn,
    reply_unmarshal: UnmarshalFn,
    stage: Stage,
}

pub type Ctx = NonNull<evrpc_request_wrapper>;

fn px<'a>(pool: Pool) -> &'a mut evrpc_pool {
    // SAFETY: callers pass a live pool (checked through its `alive` flag after every
    // call into program code) and use the borrow within one statement.
    unsafe { &mut *pool.as_ptr() }
}

fn wx<'a>(ctx: Ctx) -> &'a mut evrpc_request_wrapper {
    // SAFETY: callers pass a live call held by their frame (or a list of its pool) and
    // use the borrow within one statement.
    unsafe { &mut *ctx.as_ptr() }
}

pub fn hooks_of(pool: Pool) -> NonNull<Hooks> {
    pool.cast()
}

fn pool_is_alive(ctx: Ctx) -> bool {
    wx(ctx).pool_alive.as_ref().is_some_and(LiveFlag::get)
}

/// evrpc_pool_new().
pub fn new(base: *mut event_base) -> Option<Pool> {
    let alive = LiveFlag::try_new()?;
    try_box(evrpc_pool {
        hooks: Hooks::new(alive),
        base,
        connections: Vec::new(),
        timeout: -1,
        queue: VecDeque::new(),
        in_flight: Vec::new(),
    })
}

/// evrpc_pool_free(): the calls not yet answered are dropped without their callbacks
/// (as in libevent, which however leaks those in flight or paused and leaves their
/// timers armed), then the connections are freed.
pub fn free(pool: Pool) {
    px(pool).hooks.alive.set(false);
    let queue = std::mem::take(&mut px(pool).queue);
    let paused = std::mem::take(&mut px(pool).hooks.paused);
    let in_flight = std::mem::take(&mut px(pool).in_flight);
    let connections = std::mem::take(&mut px(pool).connections);
    px(pool).hooks.clear();
    // SAFETY: the pool came from `try_box`; nothing refers to it any more.
    drop(unsafe { Box::from_raw(pool.as_ptr()) });
    for ctx in queue {
        free_ctx(ctx);
    }
    for held in paused {
        let Some(ctx) = NonNull::new(held.ctx.cast::<evrpc_request_wrapper>()) else {
            continue;
        };
        // Both kinds of held call own their HTTP request.
        let req = wx(ctx).req;
        if !req.is_null() {
            // SAFETY: the request is ours (not yet made, or owned).
            unsafe { evhttp_request_free(req) };
        }
        free_ctx(ctx);
    }
    for ctx in in_flight {
        let req = wx(ctx).req;
        if wx(ctx).evcon_alive.as_ref().is_some_and(LiveFlag::get) && !req.is_null() {
            // The connection still holds the request: it must not call back into the
            // freed call.
            // SAFETY: a request queued on a live connection is live.
            unsafe {
                (*req).cb = None;
                (*req).cb_arg = ptr::null_mut();
            }
        }
        free_ctx(ctx);
    }
    for conn in connections {
        // SAFETY: the pool owned the connection.
        unsafe { evhttp_connection_free(conn.as_ptr()) };
    }
}

/// evrpc_pool_add_connection(). libevent asserts on a server's connection; this
/// refuses it, and a connection already in the pool, with a warning.
pub fn add_connection(pool: Pool, conn: Conn) {
    if !cx!(conn).server.is_null() {
        warn(format_args!(
            "evrpc_pool_add_connection: a server's connection cannot carry calls; ignored"
        ));
        return;
    }
    if px(pool).connections.contains(&conn) {
        warn(format_args!(
            "evrpc_pool_add_connection: the connection is already in the pool; ignored"
        ));
        return;
    }
    if !try_push(&mut px(pool).connections, conn) {
        warn(format_args!(
            "evrpc_pool_add_connection: out of memory; ignored"
        ));
        return;
    }
    let base = px(pool).base;
    if !base.is_null() && cx!(conn).base != base {
        // SAFETY: a live connection and the program's base.
        unsafe { evhttp_connection_set_base(conn.as_ptr(), base) };
    }
    // A connection with a timeout of its own keeps it.
    if cx!(conn).flags & connection::CON_TIMEOUT_ADJUSTED == 0 {
        let timeout = px(pool).timeout;
        // SAFETY: a live connection.
        unsafe { evhttp_connection_set_timeout(conn.as_ptr(), timeout) };
    }
    if let Some(ctx) = px(pool).queue.pop_front() {
        start_on(pool, conn, ctx);
    }
}

/// evrpc_pool_remove_connection(): the caller owns the connection again; a call on it
/// goes on.
pub fn remove_connection(pool: Pool, conn: Conn) {
    if !remove_item(&mut px(pool).connections, &conn) {
        warn(format_args!(
            "evrpc_pool_remove_connection: the connection is not in the pool"
        ));
    }
}

/// evrpc_pool_set_timeout().
pub fn set_timeout(pool: Pool, secs: c_int) {
    for at in 0..px(pool).connections.len() {
        let conn = px(pool).connections[at];
        // SAFETY: a live connection of the pool; setting a timeout runs no program
        // code.
        unsafe { evhttp_connection_set_timeout(conn.as_ptr(), secs) };
    }
    px(pool).timeout = secs;
}

/// evrpc_make_request_ctx().
#[allow(clippy::too_many_arguments)]
pub fn new_ctx(
    pool: *mut evrpc_pool,
    request: *mut c_void,
    reply: *mut c_void,
    name: &[u8],
    request_marshal: MarshalFn,
    reply_clear: FreeFn,
    reply_unmarshal: UnmarshalFn,
    cb: Option<ClientCb>,
    cb_arg: *mut c_void,
) -> Option<Ctx> {
    let path = rpc_path(name)?;
    try_box(evrpc_request_wrapper {
        hook_meta: ptr::null_mut(),
        pool,
        pool_alive: None,
        evcon: ptr::null_mut(),
        evcon_alive: None,
        req: ptr::null_mut(),
        timer: ptr::null_mut(),
        path,
        cb,
        cb_arg,
        request,
        reply,
        request_marshal,
        reply_clear,
        reply_unmarshal,
        stage: Stage::Unstarted,
    })
}

pub fn get_pool(ctx: Ctx) -> *mut evrpc_pool {
    wx(ctx).pool
}

/// evrpc_request_set_pool(): only before the call starts (libevent lets a running call
/// change pools, which breaks its bookkeeping).
pub fn set_pool(ctx: Ctx, pool: *mut evrpc_pool) {
    if wx(ctx).stage != Stage::Unstarted {
        warn(format_args!(
            "evrpc_request_set_pool: the call has started; ignored"
        ));
        return;
    }
    wx(ctx).pool = pool;
}

pub fn set_cb(ctx: Ctx, cb: Option<ClientCb>, cb_arg: *mut c_void) {
    wx(ctx).cb = cb;
    wx(ctx).cb_arg = cb_arg;
}

/// Frees a call and what it owns (its timer, its meta data); not its HTTP request.
fn free_ctx(ctx: Ctx) {
    // SAFETY: the call came from `try_box`; its frame or list hands it over.
    let ctx = unsafe { Box::from_raw(ctx.as_ptr()) };
    // SAFETY: the timer and the store are the call's own.
    unsafe {
        if !ctx.timer.is_null() {
            sys::event_free(ctx.timer);
        }
        hooks::free_meta(ctx.hook_meta);
    }
}

/// evrpc_make_request(): queues the call and sends it if a connection is idle. A call
/// without a pool or whose pool has no connection (libevent asserts) completes at once
/// with EVRPC_STATUS_ERR_UNSTARTED, and -1 is returned.
pub fn make_request(ctx: Ctx) -> c_int {
    if wx(ctx).stage != Stage::Unstarted {
        warn(format_args!(
            "evrpc_make_request: the call has already started; refused"
        ));
        return -1;
    }
    let Some(pool) = NonNull::new(wx(ctx).pool) else {
        warn(format_args!("evrpc_make_request: the call has no pool"));
        fail_unstarted(ctx);
        return -1;
    };
    if px(pool).connections.is_empty() {
        warn(format_args!(
            "evrpc_make_request: the pool has no connection"
        ));
        fail_unstarted(ctx);
        return -1;
    }
    if px(pool).queue.try_reserve(1).is_err() {
        fail_unstarted(ctx);
        return -1;
    }
    wx(ctx).pool_alive = Some(px(pool).hooks.alive.clone());
    wx(ctx).stage = Stage::Queued;
    px(pool).queue.push_back(ctx);
    schedule(pool);
    0
}

/// Sends the first queued call on an idle connection, if there are both.
fn schedule(pool: Pool) {
    if px(pool).queue.is_empty() {
        return;
    }
    let idle = px(pool)
        .connections
        .iter()
        .copied()
        .find(|&conn| cx!(conn).requests.is_empty());
    if let Some(conn) = idle {
        if let Some(ctx) = px(pool).queue.pop_front() {
            start_on(pool, conn, ctx);
        }
    }
}

/// Completes a call that could not be sent: EVRPC_STATUS_ERR_UNSTARTED. Then the next
/// queued call goes out (libevent leaves it queued until another call completes).
fn fail_unstarted(ctx: Ctx) {
    let c = wx(ctx);
    let (cb, cb_arg, request, reply) = (c.cb, c.cb_arg, c.request, c.reply);
    let pool = c.pool;
    let pool_alive = c.pool_alive.clone();
    free_ctx(ctx);
    let mut status = evrpc_status {
        error: STATUS_ERR_UNSTARTED,
        http_req: ptr::null_mut(),
    };
    if let Some(cb) = cb {
        // SAFETY: the program's completion callback with its own messages.
        unsafe { cb(&mut status, request, reply, cb_arg) };
    }
    if let (Some(pool), Some(true)) = (NonNull::new(pool), pool_alive.map(|a| a.get())) {
        schedule(pool);
    }
}

/// Frees the HTTP request a call made but did not hand to a connection.
fn free_unsent_request(ctx: Ctx) {
    let req = std::mem::replace(&mut wx(ctx).req, ptr::null_mut());
    if !req.is_null() {
        // SAFETY: the request is ours; no connection has it.
        unsafe { evhttp_request_free(req) };
    }
}

/// Drops a call whose pool was freed while the engine worked on it.
fn discard(ctx: Ctx) {
    free_unsent_request(ctx);
    free_ctx(ctx);
}

/// `evrpc_schedule_request`: encodes the request and runs the output hooks.
fn start_on(pool: Pool, conn: Conn, ctx: Ctx) {
    wx(ctx).stage = Stage::Busy;
    // SAFETY: our callback with the call it expects.
    let req = unsafe { evhttp_request_new(Some(on_reply), ctx.as_ptr().cast()) };
    if req.is_null() {
        return fail_unstarted(ctx);
    }
    wx(ctx).req = req;
    wx(ctx).evcon = conn.as_ptr();
    let (marshal, request) = (wx(ctx).request_marshal, wx(ctx).request);
    // SAFETY: the program's encoder, into the new request's body.
    unsafe { marshal((*req).output_buffer, request) };
    if !pool_is_alive(ctx) {
        return discard(ctx);
    }
    if px(pool).hooks.has(EVRPC_OUTPUT) {
        // SAFETY: the call's own `hook_meta` field.
        unsafe { hooks::associate(ptr::addr_of_mut!((*ctx.as_ptr()).hook_meta), conn.as_ptr()) };
        // SAFETY: the request made above.
        let body = unsafe { (*req).output_buffer };
        match hooks::run(hooks_of(pool), EVRPC_OUTPUT, ctx.as_ptr().cast(), req, body) {
            HookOutcome::OwnerGone => return discard(ctx),
            HookOutcome::Result(EVRPC_TERMINATE) => {
                free_unsent_request(ctx);
                return fail_unstarted(ctx);
            }
            HookOutcome::Result(EVRPC_PAUSE) => {
                wx(ctx).stage = Stage::PausedOutput;
                if !hooks::pause(
                    hooks_of(pool),
                    ctx.as_ptr().cast(),
                    Continuation::ClientOutput,
                ) {
                    free_unsent_request(ctx);
                    fail_unstarted(ctx);
                }
                return;
            }
            HookOutcome::Result(_) => {}
        }
    }
    continue_output(ctx, EVRPC_CONTINUE);
}

/// After the output hooks (`evrpc_schedule_request_closure`): arms the timeout and
/// makes the POST. A call whose connection left the pool while it was held fails with
/// EVRPC_STATUS_ERR_UNSTARTED (libevent sends it on the connection, even a freed one).
pub fn continue_output(ctx: Ctx, result: c_int) {
    wx(ctx).stage = Stage::Busy;
    if result == EVRPC_TERMINATE {
        free_unsent_request(ctx);
        return fail_unstarted(ctx);
    }
    let Some(pool) = NonNull::new(wx(ctx).pool).filter(|_| pool_is_alive(ctx)) else {
        return discard(ctx);
    };
    let Some(conn) = NonNull::new(wx(ctx).evcon).filter(|c| px(pool).connections.contains(c))
    else {
        warn(format_args!(
            "evrpc: the connection of a held call left the pool; the call is not sent"
        ));
        free_unsent_request(ctx);
        return fail_unstarted(ctx);
    };
    let timeout = px(pool).timeout;
    if timeout > 0 && !arm_timer(pool, conn, ctx, timeout) {
        free_unsent_request(ctx);
        return fail_unstarted(ctx);
    }
    if !try_push(&mut px(pool).in_flight, ctx) {
        disarm_timer(ctx);
        free_unsent_request(ctx);
        return fail_unstarted(ctx);
    }
    wx(ctx).stage = Stage::InFlight;
    wx(ctx).evcon_alive = Some(alive_token(conn));
    let req = wx(ctx).req;
    let path = wx(ctx).path.as_ptr().cast();
    // SAFETY: a live connection of the pool, our request, a C string. On success the
    // call may already be over (a failed connect completes it), so it is not touched.
    if unsafe { evhttp_make_request(conn.as_ptr(), req, REQ_POST, path) } == 0 {
        return;
    }
    // Refused before anything ran: the connection does not hold the request (which
    // evhttp frees in some of its failure paths, so it is left alone here).
    remove_item(&mut px(pool).in_flight, &ctx);
    disarm_timer(ctx);
    wx(ctx).req = ptr::null_mut();
    fail_unstarted(ctx);
}

/// Arms the call's timeout on the pool's base (or the connection's).
fn arm_timer(pool: Pool, conn: Conn, ctx: Ctx, secs: c_int) -> bool {
    if wx(ctx).timer.is_null() {
        let base = NonNull::new(px(pool).base).or_else(|| NonNull::new(cx!(conn).base));
        let Some(base) = base else {
            return false;
        };
        // SAFETY: a live base; the timer is freed with the call.
        let Some(timer) = (unsafe { handler::new_event::<TimeoutHandler>(base, ctx) }) else {
            return false;
        };
        wx(ctx).timer = timer.as_ptr();
    }
    let tv = libc::timeval {
        tv_sec: libc::time_t::from(secs),
        tv_usec: 0,
    };
    // SAFETY: the call's live timer.
    unsafe { sys::event_add(wx(ctx).timer, &tv) == 0 }
}

fn disarm_timer(ctx: Ctx) {
    let timer = wx(ctx).timer;
    if !timer.is_null() {
        // SAFETY: the call's live timer.
        unsafe { sys::event_del(timer) };
    }
}

struct TimeoutHandler;

impl EventHandler for TimeoutHandler {
    type Target = evrpc_request_wrapper;

    /// `evrpc_request_timeout`: the connection is failed with a timeout, which
    /// completes the call with EVRPC_STATUS_ERR_TIMEOUT.
    fn fire(ctx: Ctx, _what: c_short) {
        if wx(ctx).stage != Stage::InFlight {
            return;
        }
        let req = wx(ctx).req;
        let conn = NonNull::new(wx(ctx).evcon)
            .filter(|_| wx(ctx).evcon_alive.as_ref().is_some_and(LiveFlag::get));
        let Some(conn) = conn else {
            return reply_arrived(ctx, ptr::null_mut());
        };
        let first = cx!(conn).requests.front().map(|r| r.as_ptr());
        if first == Some(req) {
            connection::fail(conn, http_request::error::TIMEOUT);
        } else {
            // Queued behind another request on the same connection (an output hook
            // held a call while the connection looked idle): only this one goes.
            // SAFETY: a request queued on a live connection.
            unsafe { evhttp_cancel_request(req) };
            reply_arrived(ctx, ptr::null_mut());
        }
    }
}

/// The HTTP request's callback (`evrpc_reply_done`): NULL when the request failed.
unsafe extern "C" fn on_reply(req: *mut evhttp_request, arg: *mut c_void) {
    ffi_boundary!("evrpc: reply", {
        if let Some(ctx) = NonNull::new(arg.cast::<evrpc_request_wrapper>()) {
            reply_arrived(ctx, req);
        }
    })
}

fn reply_arrived(ctx: Ctx, req: *mut evhttp_request) {
    if wx(ctx).stage != Stage::InFlight {
        return;
    }
    disarm_timer(ctx);
    wx(ctx).stage = Stage::Busy;
    wx(ctx).req = req;
    let Some(pool) = NonNull::new(wx(ctx).pool).filter(|_| pool_is_alive(ctx)) else {
        return free_ctx(ctx);
    };
    remove_item(&mut px(pool).in_flight, &ctx);
    if req.is_null() || !px(pool).hooks.has(EVRPC_INPUT) {
        return complete(ctx, EVRPC_CONTINUE);
    }
    let evcon = wx(ctx).evcon;
    // SAFETY: the call's own `hook_meta` field.
    unsafe { hooks::associate(ptr::addr_of_mut!((*ctx.as_ptr()).hook_meta), evcon) };
    // SAFETY: the live reply.
    let body = unsafe { (*req).input_buffer };
    match hooks::run(hooks_of(pool), EVRPC_INPUT, ctx.as_ptr().cast(), req, body) {
        // The reply stays with evhttp, which frees it.
        HookOutcome::OwnerGone => free_ctx(ctx),
        HookOutcome::Result(EVRPC_PAUSE) => {
            // evhttp frees the reply when this callback returns, unless it is owned.
            // SAFETY: the live reply.
            unsafe { evhttp_request_own(req) };
            wx(ctx).stage = Stage::PausedInput;
            if !hooks::pause(
                hooks_of(pool),
                ctx.as_ptr().cast(),
                Continuation::ClientInput,
            ) {
                complete(ctx, EVRPC_TERMINATE);
            }
        }
        HookOutcome::Result(result) => complete(ctx, result),
    }
}

/// After the input hooks (`evrpc_reply_done_closure`): decodes the reply and runs the
/// completion callback; then the next queued call goes out.
pub fn complete(ctx: Ctx, result: c_int) {
    wx(ctx).stage = Stage::Busy;
    let c = wx(ctx);
    let (req, reply, unmarshal, clear) = (c.req, c.reply, c.reply_unmarshal, c.reply_clear);
    let error = if req.is_null() {
        STATUS_ERR_TIMEOUT
    } else if result == EVRPC_TERMINATE {
        STATUS_ERR_HOOKABORTED
    // SAFETY: the program's decoder with its reply and the live HTTP reply's body.
    } else if unsafe { unmarshal(reply, (*req).input_buffer) } == -1 {
        STATUS_ERR_BADPAYLOAD
    } else {
        STATUS_ERR_NONE
    };
    if error != STATUS_ERR_NONE {
        // SAFETY: the program's function that empties its reply.
        unsafe { clear(reply) };
    }
    let c = wx(ctx);
    let (cb, cb_arg, request, pool) = (c.cb, c.cb_arg, c.request, c.pool);
    let pool_alive = c.pool_alive.clone();
    free_ctx(ctx);
    let mut status = evrpc_status {
        error,
        http_req: req,
    };
    if let Some(cb) = cb {
        // SAFETY: the program's completion callback with its own messages.
        unsafe { cb(&mut status, request, reply, cb_arg) };
    }
    // A reply held by an input hook was taken over; it is freed now.
    // SAFETY: the reply is live: evhttp frees it after this returns, unless owned.
    if !req.is_null() && unsafe { evhttp_request_is_owned(req) } != 0 {
        // SAFETY: an owned request is ours to free.
        unsafe { evhttp_request_free(req) };
    }
    if let (Some(pool), Some(true)) = (NonNull::new(pool), pool_alive.map(|a| a.get())) {
        schedule(pool);
    }
}
