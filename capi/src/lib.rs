//! The `extern "C"` layer of evrs: libevent 2.2.1's public symbols.
//!
//! One module per public header, named after it (`event.h` -> [`event`]). Every entry
//! point is thin: it runs inside [`ffi_boundary!`], turns raw arguments into typed views,
//! makes one call into the `evrs` core and converts the result.
//!
//! # Pointer arguments
//!
//! Unless an entry point says otherwise, a pointer argument must be NULL or point to a
//! live object of the documented type that this library created (or, for caller-owned
//! structs such as `struct event`, that the caller initialised through this library).
//! NULL gets libevent's documented failure answer; anything else invalid is undefined
//! behaviour in C and here alike.

// C names are kept for C types and globals, so that each signature reads like its header.
#![allow(non_camel_case_types, non_upper_case_globals)]

#[macro_use]
mod boundary;
mod ffi;
pub mod mem;

pub mod buffer;
pub mod bufferevent;
pub mod event;
pub mod listener;
pub mod thread;
pub mod util;
pub mod watch;

/// Every Rust allocation of the library goes through `event_set_mem_functions`' choice.
#[global_allocator]
static ALLOCATOR: mem::InstalledAllocator = mem::InstalledAllocator;
