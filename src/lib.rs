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
