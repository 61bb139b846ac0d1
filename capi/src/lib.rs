//! The `extern "C"` layer of evrs: libevent 2.2.1's public symbols.
//!
//! One module per public header, named after it (`event.h` -> [`event`]). Every entry
//! point is thin: it runs inside [`ffi_boundary!`], turns raw arguments into typed views,
//! makes one call into the `evrs` core and converts the result.
//!
//! # Pointer arguments
//!
//! Every entry point takes its pointer arguments under one contract, libevent's own,
//! stated here once; an entry point's documentation adds only what differs.
//!
//! - A handle (`struct event_base *`, `struct evbuffer *`, ...) is NULL or a live
//!   object of that type that this library made and handed out. A function that frees
//!   it ends its life: the program does not use it afterwards.
//! - A struct in the program's memory (`struct event`, `struct timeval`,
//!   `struct evbuffer_ptr`, ...) is NULL or valid for the reads and writes its function
//!   makes; an event given to anything but `event_assign`/`event_set` was set up by
//!   this library.
//! - A data pointer with a length is NULL or valid for that many bytes (or elements),
//!   a C string is NULL or NUL-terminated, and an out-pointer is NULL or writable.
//! - Callbacks behave as the header describes.
//! - An object is used from several threads at once only where libevent allows it
//!   (a base once lock callbacks are installed, a buffer with a lock, a bufferevent or
//!   listener made thread-safe); otherwise from one thread at a time. The core's
//!   objects are not `Sync`, so this rule, not the compiler, makes the per-call
//!   references sound.
//!
//! NULL gets libevent's documented failure answer; anything else invalid is undefined
//! behaviour in C and here alike. Handles cross the boundary only through the helpers of
//! `ffi`, which tie each C type to its core type and to one kind of ownership.

// C names are kept for C types and globals, so that each signature reads like its header.
#![allow(non_camel_case_types, non_upper_case_globals)]
// The contract above is every entry point's `# Safety`; the few that add to it say so.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
mod boundary;
#[macro_use]
mod ffi;
pub mod mem;

pub mod buffer;
pub mod bufferevent;
pub mod event;
pub mod listener;
pub mod sibling;
pub mod thread;
pub mod util;
pub mod watch;

/// Every Rust allocation of the library goes through `event_set_mem_functions`' choice.
#[global_allocator]
static ALLOCATOR: mem::InstalledAllocator = mem::InstalledAllocator;
