//! The C entry points of `event2/dns.h`: the resolver (`resolver.rs`),
//! `evdns_getaddrinfo` (`getaddrinfo.rs`) and the server (`server.rs`).

pub mod getaddrinfo;
pub mod resolver;
pub mod server;
