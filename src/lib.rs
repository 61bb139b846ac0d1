//! The evrs core: the event reactor and everything built on it, in safe Rust.
//!
//! This crate speaks Rust only (references, `Result`, enums, slices, `Duration`).
//! The C ABI lives in the `evrs-capi` crate, and OS pollers in `evrs-backends`.
//! See `docs/ARCHITECTURE.md` for the map.

pub mod buffer;
pub mod bufferevent;
pub mod event;
pub mod listener;
pub mod log;
pub mod thread;
pub mod util;
pub mod version;

/// The core's objects are neither `Send` nor `Sync` ("Threads" in
/// docs/ARCHITECTURE.md). The types exist:
///
/// ```
/// fn check<T>() {}
/// check::<evrs::event::Base>();
/// check::<evrs::buffer::Evbuffer>();
/// check::<evrs::bufferevent::Bufferevent>();
/// check::<evrs::bufferevent::ratelim::RateLimitGroup>();
/// check::<evrs::listener::Listener>();
/// check::<evrs::event::watch::Watcher>();
/// ```
///
/// and each of these must fail to compile:
///
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::event::Base>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::event::Base>();
/// ```
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::buffer::Evbuffer>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::buffer::Evbuffer>();
/// ```
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::bufferevent::Bufferevent>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::bufferevent::Bufferevent>();
/// ```
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::bufferevent::ratelim::RateLimitGroup>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::bufferevent::ratelim::RateLimitGroup>();
/// ```
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::listener::Listener>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::listener::Listener>();
/// ```
/// ```compile_fail
/// fn check<T: Sync>() {}
/// check::<evrs::event::watch::Watcher>();
/// ```
/// ```compile_fail
/// fn check<T: Send>() {}
/// check::<evrs::event::watch::Watcher>();
/// ```
#[cfg(doctest)]
pub struct NotSharedBetweenThreads;
