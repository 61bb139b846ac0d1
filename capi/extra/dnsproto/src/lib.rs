//! The DNS protocol as libevent's evdns speaks it: messages on the wire, resolv.conf
//! and hosts files. Pure Rust, no I/O, so that every parser can be fuzzed and tested
//! on its own.

#![forbid(unsafe_code)]

pub mod fuzz;
pub mod hosts;
pub mod message;
pub mod resolv_conf;
pub mod wire;
