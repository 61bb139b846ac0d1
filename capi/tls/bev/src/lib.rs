//! The TLS bufferevents of libevent_openssl and libevent_mbedtls, whatever the TLS
//! library: the kind (`kind`: the engine of `evrs_tls` driven as a bufferevent kind of
//! libevent_core's foreign-kind seam) and what the C entry points of
//! event2/bufferevent_ssl.h do with it (`api`). Each of the two libraries makes its
//! session (`evrs_tls::TlsSession`) from the program's TLS object and calls in here;
//! both reach the core only through its exported C symbols (`evrs_sibling`).

pub mod api;
mod core_api;
pub mod kind;
