//! libevent_extra: evhttp (event2/http.h, http_compat.h, http_struct.h,
//! keyvalq_struct.h), WebSockets (event2/ws.h), evdns (event2/dns.h, dns_compat.h,
//! dns_struct.h), tagged records (event2/tag.h) and RPC over HTTP (event2/rpc.h,
//! rpc_struct.h).
//!
//! It reaches libevent_core only through the core's exported C symbols, by way of
//! `evrs-sibling`; it never links the core crate. The protocol (parsing and encoding)
//! is the pure crate `evrs-http-proto` (proto/); the evtag encoding is
//! `evrs-tag-proto` (tagproto/).

// C names are kept for C types, so that each signature reads like its header.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

/// `ffi_boundary!`, the panic boundary shared by the sibling libraries.
#[macro_use]
extern crate evrs_sibling;

/// Every Rust allocation of the library goes through the core's memory functions, that
/// is, through the program's `event_set_mem_functions` choice.
#[global_allocator]
static ALLOCATOR: evrs_sibling::CoreAllocator = evrs_sibling::CoreAllocator;

pub mod dns;
pub mod dns_compat;
pub mod evdns;
pub mod evhttp;
pub mod evrpc;
pub mod http;
pub mod rpc;
pub mod tag;
pub mod ws;
