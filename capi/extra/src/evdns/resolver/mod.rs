//! The resolver: `struct evdns_base`, its name servers, requests in flight over UDP and
//! TCP, retries, probing, the search list, options and the hosts table.
//!
//! Every piece of state lives in [`engine::Inner`], reached only under the base's lock
//! through [`with_inner`], which never calls program code: answers are queued and run
//! later by the base's dispatcher event ([`dispatch`]), with the lock released and no
//! reference into the base alive, so a callback may free the base, cancel, or start
//! lookups. Messages for the program's log function are queued the same way.

use std::cell::UnsafeCell;
use std::ffi::c_int;
use std::net::IpAddr;
use std::ptr::{self, NonNull};
use std::time::Duration;

use evrs_sibling::sys;

use super::{Completion, Query};

pub mod config;
pub mod dispatch;
pub mod engine;
pub mod fallible;
pub mod net;
pub mod table;
pub mod tcp;
pub mod timeouts;

use dispatch::Shared;
use engine::Inner;

/// `struct evdns_base`.
pub struct Base {
    /// The lock and the queue of answers to run; it may outlive the base while answers
    /// scheduled before the base was freed still wait for the loop.
    shared: NonNull<Shared>,
    inner: UnsafeCell<Inner>,
}

/// `struct evdns_request`: the program's handle on one lookup, freed after its callback
/// ran (or when the base is freed without running it).
pub struct Request {
    /// The base it runs on (for `evdns_cancel_request` with a NULL base).
    pub base: *mut Base,
    /// The lookup's key in `Inner::lookups`, and its serial (keys are reused).
    pub(crate) slot: usize,
    pub(crate) serial: u64,
}

/// Runs `body` on the base's state under its lock, then hands the answers it finished
/// to the dispatcher and writes the log messages it produced, both after the lock is
/// released.
///
/// # Safety
/// `base` is a live base. `body` calls no program code.
pub(crate) unsafe fn with_inner<R>(base: *const Base, body: impl FnOnce(&mut Inner) -> R) -> R {
    // SAFETY: the caller gives a live base; `shared` lives at least as long.
    let shared = unsafe { (*base).shared };
    // SAFETY: `shared` is live while the base is (it may only outlive it), so its lock is
    // too.
    let lock = unsafe { &shared.as_ref().lock };
    // Released on unwinding too, so that a panic caught at the boundary leaves no
    // lock held.
    let guard = lock.hold();
    let (result, ready, logs, dropped) = {
        // SAFETY: the lock is held, and no other reference to the state is alive: the
        // state's code calls no program code and never re-enters `with_inner`, and
        // every other path to the state goes through this function.
        let inner = unsafe { &mut *(*base).inner.get() };
        let result = body(inner);
        (
            result,
            std::mem::take(&mut inner.ready),
            std::mem::take(&mut inner.logs),
            std::mem::take(&mut inner.dropped),
        )
    };
    if !ready.is_empty() {
        // SAFETY: the lock is held; `shared` is live.
        unsafe { Shared::schedule(shared, ready) };
    }
    drop(guard);
    drop(dropped);
    for (severity, message) in logs {
        config::emit_log(severity, &message);
    }
    result
}

/// Makes a base on `event_base` (never NULL here) with `flags` of `evdns_base_new`.
///
/// # Safety
/// `event_base` is a live event base.
pub unsafe fn base_new(event_base: NonNull<sys::event_base>, flags: c_int) -> *mut Base {
    let Some(shared) = Shared::new(event_base) else {
        return ptr::null_mut();
    };
    let Some(base) = evrs_sibling::alloc::try_box(Base {
        shared,
        inner: UnsafeCell::new(Inner::new(event_base.as_ptr())),
    }) else {
        // SAFETY: nothing else knows `shared`.
        unsafe { Shared::release_base(shared) };
        return ptr::null_mut();
    };
    let base = base.as_ptr();
    // SAFETY: the base is fresh and ours.
    let ok = unsafe { with_inner(base, |inner| inner.initialize(base, flags)) };
    if !ok {
        // SAFETY: nobody else knows the base yet.
        unsafe { base_free(base, false) };
        return ptr::null_mut();
    }
    base
}

/// `evdns_base_free`.
///
/// # Safety
/// `base` is a live base, not used again.
pub unsafe fn base_free(base: *mut Base, fail_requests: bool) {
    // SAFETY: the caller gives a live base.
    unsafe { with_inner(base, |inner| inner.shutdown(fail_requests)) };
    // SAFETY: every event that pointed at the base is freed; the base came from
    // `try_box` in `base_new`.
    let shared = unsafe { (*base).shared };
    drop(unsafe { Box::from_raw(base) });
    // SAFETY: the base no longer uses it.
    unsafe { Shared::release_base(shared) };
}

/// Starts a lookup exactly as evdns_base_resolve_* do (search list, ndots, flags
/// DNS_QUERY_*). `done` runs exactly once, later, from the event loop (never inside
/// this call), with no lock of ours held: with the answer, an error, DNS_ERR_CANCEL
/// after cancel_lookup, or DNS_ERR_SHUTDOWN when the base is freed with
/// fail_requests. NULL when the lookup could not be started (then `done` is dropped
/// without running).
///
/// # Safety
/// `base` is a live base.
pub unsafe fn start_lookup(
    base: *mut Base,
    query: Query<'_>,
    flags: c_int,
    done: Completion,
) -> *mut Request {
    // SAFETY: the caller gives a live base.
    let started = unsafe { with_inner(base, |inner| inner.start_lookup(query, flags, done)) };
    // A completion that could not start is dropped here, with the lock released.
    started.unwrap_or_else(|done| {
        drop(done);
        ptr::null_mut()
    })
}

/// evdns_cancel_request: `done` runs later with DNS_ERR_CANCEL (nothing happens when
/// the lookup already finished and its callback is only waiting to run).
///
/// # Safety
/// `base` is a live base; `req` came from `start_lookup` on it and its callback has
/// not run yet.
pub unsafe fn cancel_lookup(base: *mut Base, req: *mut Request) {
    if req.is_null() {
        return;
    }
    // SAFETY: the caller gives a live request handle.
    let (slot, serial) = unsafe { ((*req).slot, (*req).serial) };
    // SAFETY: the caller gives a live base.
    unsafe { with_inner(base, |inner| inner.cancel_lookup(slot, serial, req)) }
}

/// The event base the resolver runs on.
///
/// # Safety
/// `base` is a live base.
pub unsafe fn event_base_of(base: *mut Base) -> *mut sys::event_base {
    // SAFETY: the caller gives a live base.
    unsafe { with_inner(base, |inner| inner.event_base) }
}

/// The getaddrinfo-allow-skew option (default 3 s).
///
/// # Safety
/// `base` is a live base.
pub unsafe fn getaddrinfo_allow_skew(base: *mut Base) -> Duration {
    // SAFETY: the caller gives a live base.
    unsafe { with_inner(base, |inner| inner.options.getaddrinfo_allow_skew) }
}

/// The hosts entries for `name` (case-insensitive) of one family, in file order;
/// `OutOfMemory` when memory ran out.
///
/// # Safety
/// `base` is a live base.
pub unsafe fn hosts_lookup(
    base: *mut Base,
    name: &[u8],
    want_v4: bool,
    want_v6: bool,
) -> Result<Vec<IpAddr>, fallible::OutOfMemory> {
    // SAFETY: the caller gives a live base.
    unsafe { with_inner(base, |inner| inner.hosts_lookup(name, want_v4, want_v6)) }
}

/// The base's lock (recursive; the program's lock callbacks, as libevent does) for
/// callers that need several calls to be atomic; no-op without threading.
///
/// # Safety
/// `base` is a live base.
pub unsafe fn lock(base: *mut Base) {
    // SAFETY: the caller gives a live base; `shared` outlives it.
    unsafe { (*base).shared.as_ref() }.lock.acquire();
}

/// Releases what [`lock`] took.
///
/// # Safety
/// `base` is a live base whose lock this thread holds.
pub unsafe fn unlock(base: *mut Base) {
    // SAFETY: as in `lock`.
    unsafe { (*base).shared.as_ref() }.lock.release();
}
