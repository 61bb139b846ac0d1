//! libevent_mbedtls: the TLS bufferevents of event2/bufferevent_ssl.h over the
//! program's Mbed TLS `mbedtls_ssl_context`s.
//!
//! The TLS state machine is `evrs_tls::engine`, the Mbed TLS calls are
//! `evrs_tls_mbedtls`'s session, and the bufferevent kind that drives them, shared
//! with libevent_openssl, is `evrs_tls_bev`; this crate holds the C entry points
//! (`bufferevent_ssl`). It reaches the core only through its exported C symbols
//! (`evrs_sibling`), as libevent_extra does.

/// `ffi_boundary!`, the panic boundary shared by the sibling libraries.
#[macro_use]
extern crate evrs_sibling;
mod bufferevent_ssl;

// Boxes and vectors go through the program's event_set_mem_functions, as the core's do.
#[global_allocator]
static ALLOCATOR: evrs_sibling::CoreAllocator = evrs_sibling::CoreAllocator;
