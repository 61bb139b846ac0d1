//! The DNS protocol as libevent's evdns speaks it: messages on the wire, resolv.conf
//! and hosts files. Pure Rust, no I/O, so that every parser can be fuzzed and tested
//! on its own.

pub mod message;
pub mod wire;
