//! The hooks of a base or a pool, the calls they paused, and the meta data they attach
//! to a call.
//!
//! A base and a pool both begin with a `Hooks` block, so that the `void *vbase` of
//! evrpc_add_hook() and friends can be either, as in libevent.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};

use evrs_sibling::alloc::{try_box, LiveFlag};
use evrs_sibling::sys::evbuffer;

use super::{
    client, server, try_copy, try_push, warn, HookCb, EVRPC_CONTINUE, EVRPC_INPUT, EVRPC_OUTPUT,
    EVRPC_PAUSE, EVRPC_TERMINATE,
};
use crate::evhttp::connection::evhttp_connection;
use crate::evhttp::request::evhttp_request;

/// One hook; its address is the handle evrpc_add_hook() returns.
pub struct Hook {
    process: HookCb,
    arg: *mut c_void,
}

/// Where a paused call goes on when it is resumed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Continuation {
    /// Server: decode the request and run the handler.
    ServerInput,
    /// Server: send the encoded reply.
    ServerOutput,
    /// Client: send the encoded request.
    ClientOutput,
    /// Client: decode the reply and run the completion callback.
    ClientInput,
}

/// A call held by a hook that returned EVRPC_PAUSE.
pub struct Paused {
    pub ctx: *mut c_void,
    pub then: Continuation,
}

/// The part a base and a pool share; the first field of both.
#[repr(C)]
pub struct Hooks {
    input: Vec<NonNull<Hook>>,
    output: Vec<NonNull<Hook>>,
    pub(crate) paused: Vec<Paused>,
    /// Cleared when the base or pool is freed.
    pub(crate) alive: LiveFlag,
}

/// A short borrow of a live hooks block, for one statement: never kept across program
/// code.
fn hx<'a>(owner: NonNull<Hooks>) -> &'a mut Hooks {
    // SAFETY: callers pass a live base or pool (checked through `alive` after every
    // call into program code) and use the borrow within one statement.
    unsafe { &mut *owner.as_ptr() }
}

impl Hooks {
    pub fn new(alive: LiveFlag) -> Hooks {
        Hooks {
            input: Vec::new(),
            output: Vec::new(),
            paused: Vec::new(),
            alive,
        }
    }

    fn list(&mut self, which: c_int) -> Option<&mut Vec<NonNull<Hook>>> {
        match which {
            EVRPC_INPUT => Some(&mut self.input),
            EVRPC_OUTPUT => Some(&mut self.output),
            _ => None,
        }
    }

    pub fn has(&self, which: c_int) -> bool {
        match which {
            EVRPC_INPUT => !self.input.is_empty(),
            _ => !self.output.is_empty(),
        }
    }

    /// Frees every hook (the owner is going away).
    pub fn clear(&mut self) {
        for hook in self.input.drain(..).chain(self.output.drain(..)) {
            // SAFETY: the hook was made by `add` and leaves its list here.
            drop(unsafe { Box::from_raw(hook.as_ptr()) });
        }
    }
}

/// evrpc_add_hook(): None for an unknown hook type or when out of memory.
pub fn add(
    owner: NonNull<Hooks>,
    which: c_int,
    process: HookCb,
    arg: *mut c_void,
) -> Option<NonNull<Hook>> {
    hx(owner).list(which)?;
    let hook = try_box(Hook { process, arg })?;
    let list = hx(owner).list(which)?;
    if !try_push(list, hook) {
        // SAFETY: the hook was just made and is not in any list.
        drop(unsafe { Box::from_raw(hook.as_ptr()) });
        return None;
    }
    Some(hook)
}

/// evrpc_remove_hook(): true if `handle` was a hook of that list.
pub fn remove(owner: NonNull<Hooks>, which: c_int, handle: *mut c_void) -> bool {
    let Some(list) = hx(owner).list(which) else {
        return false;
    };
    let Some(at) = list
        .iter()
        .position(|h| h.as_ptr().cast::<c_void>() == handle)
    else {
        return false;
    };
    let hook = list.remove(at);
    // SAFETY: the hook was made by `add` and has just left its list.
    drop(unsafe { Box::from_raw(hook.as_ptr()) });
    true
}

/// What running a hook list came to.
pub enum HookOutcome {
    /// Every hook said EVRPC_CONTINUE, or one said EVRPC_TERMINATE or EVRPC_PAUSE (the
    /// hooks after it are not run, as in libevent).
    Result(c_int),
    /// A hook freed the base or pool.
    OwnerGone,
}

/// Runs the hooks of one list in order until one does not say EVRPC_CONTINUE. A result
/// other than the three of `enum EVRPC_HOOK_RESULT` counts as EVRPC_TERMINATE (libevent
/// asserts). Hooks may add or remove hooks while they run.
pub(super) fn run(
    owner: NonNull<Hooks>,
    which: c_int,
    ctx: *mut c_void,
    req: *mut evhttp_request,
    buf: *mut evbuffer,
) -> HookOutcome {
    let alive = hx(owner).alive.clone();
    let mut at = 0;
    loop {
        let Some(&hook) = hx(owner).list(which).and_then(|list| list.get(at)) else {
            return HookOutcome::Result(EVRPC_CONTINUE);
        };
        // SAFETY: the hook is in its list, so live; its fields are copied out.
        let (process, arg) = unsafe { ((*hook.as_ptr()).process, (*hook.as_ptr()).arg) };
        // SAFETY: the program's hook with the arguments libevent gives it.
        let result = unsafe { process(ctx, req, buf, arg) };
        if !alive.get() {
            return HookOutcome::OwnerGone;
        }
        match result {
            EVRPC_CONTINUE => {}
            EVRPC_TERMINATE | EVRPC_PAUSE => return HookOutcome::Result(result),
            other => {
                warn(format_args!(
                    "evrpc: a hook returned {other}, not an EVRPC_HOOK_RESULT; the call is terminated"
                ));
                return HookOutcome::Result(EVRPC_TERMINATE);
            }
        }
        // The next hook is the one after this one, unless this one removed itself.
        if hx(owner).list(which).and_then(|list| list.get(at)) == Some(&hook) {
            at += 1;
        }
    }
}

/// Holds `ctx` until evrpc_resume_request(); false when out of memory.
pub fn pause(owner: NonNull<Hooks>, ctx: *mut c_void, then: Continuation) -> bool {
    try_push(&mut hx(owner).paused, Paused { ctx, then })
}

/// Forgets a paused call; true if it was held.
pub fn unpause(owner: NonNull<Hooks>, ctx: *mut c_void) -> Option<Continuation> {
    let paused = &mut hx(owner).paused;
    let at = paused.iter().position(|p| p.ctx == ctx)?;
    Some(paused.remove(at).then)
}

/// evrpc_resume_request(): the paused call goes on with `result`; -1 if `ctx` is not
/// held by `owner`. The call leaves the paused list before it goes on (libevent removes
/// it after, which breaks when the continuation frees the owner).
pub fn resume(owner: NonNull<Hooks>, ctx: *mut c_void, result: c_int) -> c_int {
    let (Some(then), Some(ctx)) = (unpause(owner, ctx), NonNull::new(ctx)) else {
        return -1;
    };
    match then {
        Continuation::ServerInput => server::continue_input(ctx.cast(), result),
        Continuation::ServerOutput => server::continue_output(ctx.cast(), result),
        Continuation::ClientOutput => client::continue_output(ctx.cast(), result),
        Continuation::ClientInput => client::complete(ctx.cast(), result),
    }
    0
}

// ---------------------------------------------------------------- meta data

struct MetaEntry {
    key: Vec<u8>,
    data: Vec<u8>,
}

/// `struct evrpc_hook_meta`: what hooks attach to one call, and the connection the call
/// travels on. It stays with the call: libevent does not send it across the wire, and
/// neither does this library.
pub struct evrpc_hook_meta {
    entries: Vec<MetaEntry>,
    evcon: *mut evhttp_connection,
}

/// The `hook_meta` slot that both a server call and a client call begin with.
///
/// # Safety
/// `ctx` is a live call given to a hook.
unsafe fn meta_slot(ctx: *mut c_void) -> *mut *mut evrpc_hook_meta {
    ctx.cast()
}

fn new_meta() -> Option<NonNull<evrpc_hook_meta>> {
    try_box(evrpc_hook_meta {
        entries: Vec::new(),
        evcon: ptr::null_mut(),
    })
}

/// Makes sure the call has a meta data store, and records its connection.
///
/// # Safety
/// `slot` is the `hook_meta` field of a live call.
pub unsafe fn associate(slot: *mut *mut evrpc_hook_meta, evcon: *mut evhttp_connection) {
    // SAFETY: the caller's contract.
    unsafe {
        if (*slot).is_null() {
            match new_meta() {
                Some(meta) => *slot = meta.as_ptr(),
                None => {
                    warn(format_args!("evrpc: out of memory for a call's meta data"));
                    return;
                }
            }
        }
        (**slot).evcon = evcon;
    }
}

/// Frees a call's meta data store (NULL is fine).
///
/// # Safety
/// `meta` is NULL or a store made here that nothing uses any more.
pub unsafe fn free_meta(meta: *mut evrpc_hook_meta) {
    if !meta.is_null() {
        // SAFETY: the caller's contract; the store came from `try_box`.
        drop(unsafe { Box::from_raw(meta) });
    }
}

/// evrpc_hook_add_meta(): the key and the data are copied. libevent asserts when
/// memory runs out; this logs and adds nothing.
///
/// # Safety
/// `ctx` is a live call given to a hook; `key` is a C string; `data` is readable for
/// `size` bytes.
pub unsafe fn add_meta(ctx: *mut c_void, key: *const c_char, data: *const c_void, size: usize) {
    // SAFETY: the caller's contract.
    let key = unsafe { CStr::from_ptr(key) }.to_bytes();
    let data = if size == 0 {
        &[][..]
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size) }
    };
    let (Some(key), Some(data)) = (try_copy(key), try_copy(data)) else {
        warn(format_args!(
            "evrpc_hook_add_meta: out of memory; nothing added"
        ));
        return;
    };
    // SAFETY: the caller gives a live call.
    let slot = unsafe { meta_slot(ctx) };
    // SAFETY: `slot` points into the live call just checked; nothing else holds a
    // reference to its meta list while this runs (no program code is called).
    unsafe {
        if (*slot).is_null() {
            let Some(meta) = new_meta() else {
                warn(format_args!(
                    "evrpc_hook_add_meta: out of memory; nothing added"
                ));
                return;
            };
            *slot = meta.as_ptr();
        }
        if !try_push(&mut (**slot).entries, MetaEntry { key, data }) {
            warn(format_args!(
                "evrpc_hook_add_meta: out of memory; nothing added"
            ));
        }
    }
}

/// evrpc_hook_find_meta(): the first entry with `key`.
///
/// # Safety
/// As for [`add_meta`]; `data` and `size` are writable.
pub unsafe fn find_meta(
    ctx: *mut c_void,
    key: *const c_char,
    data: *mut *mut c_void,
    size: *mut usize,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        let key = CStr::from_ptr(key).to_bytes();
        let meta = *meta_slot(ctx);
        if meta.is_null() {
            return -1;
        }
        let Some(entry) = (*meta).entries.iter_mut().find(|e| e.key == key) else {
            return -1;
        };
        *data = entry.data.as_mut_ptr().cast();
        *size = entry.data.len();
    }
    0
}

/// evrpc_hook_get_connection().
///
/// # Safety
/// `ctx` is a live call given to a hook.
pub unsafe fn connection(ctx: *mut c_void) -> *mut evhttp_connection {
    // SAFETY: the caller's contract.
    unsafe {
        let meta = *meta_slot(ctx);
        if meta.is_null() {
            ptr::null_mut()
        } else {
            (*meta).evcon
        }
    }
}
