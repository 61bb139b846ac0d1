//! The one Rust binding over libevent_core's exported C symbols that the sibling
//! libraries (libevent_extra, and later libevent_openssl and libevent_mbedtls) share.
//!
//! A sibling is its own staticlib, so linking the core crate would give it a second,
//! private core (lock callbacks, memory functions, debug mode, the current base, the
//! signal registry). It reaches the one core in the process only through this crate,
//! which declares the C symbols libevent_core exports (the public API, and the small
//! private interface of `capi/src/sibling.rs`) and wraps them once in safe Rust.
//!
//! - `sys`: the raw declarations, nothing else.
//! - `boundary`: `ffi_boundary!`, the panic boundary of every sibling entry point.
//! - `alloc`: [`CoreAllocator`], the siblings' Rust global allocator, so that their
//!   boxes and vectors go through the program's `event_set_mem_functions` as the
//!   core's do.
//! - `log`: messages through the core's log callback and debug mask.
//! - `buffer`: [`buffer::Evbuffer`], a handle with the evbuffer operations used.
//! - `handler`: typed Rust handlers behind the core's C callbacks.
//! - `foreign`: [`foreign::ForeignKind`], a bufferevent kind a sibling implements
//!   (the TLS bufferevents), with the core's common bufferevent code it builds on.

pub mod alloc;
#[macro_use]
pub mod boundary;
pub mod buffer;
pub mod foreign;
pub mod handler;
pub mod lock;
pub mod log;
pub mod sys;

pub use alloc::CoreAllocator;
