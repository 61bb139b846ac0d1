//! evdns: the asynchronous resolver (`resolver/`), `evdns_getaddrinfo`
//! (`getaddrinfo.rs`), the 1.x global resolver (`global.rs`) and the DNS server
//! (`server/`). The wire format and the configuration files are parsed by the pure
//! crate `evrs-dns-proto`.
//!
//! The types here are what the parts hand each other: a lookup is started with a
//! [`Query`] and finishes, exactly once, with an [`Answer`] given to its
//! [`Completion`].

use std::ffi::{c_int, CStr, CString};
use std::net::{Ipv4Addr, Ipv6Addr};

pub mod getaddrinfo;
pub mod global;
pub mod resolver;
pub mod server;

/// What one lookup asks for: the `evdns_base_resolve_*` kinds.
#[derive(Clone, Copy, Debug)]
pub enum Query<'a> {
    /// A records of a name (search list applies).
    Ipv4(&'a CStr),
    /// AAAA records of a name (search list applies).
    Ipv6(&'a CStr),
    /// The PTR record of an IPv4 address (in-addr.arpa).
    ReverseV4(Ipv4Addr),
    /// The PTR record of an IPv6 address (ip6.arpa).
    ReverseV6(Ipv6Addr),
}

/// The records an answer carries, by kind (`DNS_IPv4_A`, `DNS_IPv6_AAAA`, `DNS_PTR`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AnswerData {
    /// An error, or no record of the kind asked for.
    #[default]
    None,
    Ipv4(Vec<Ipv4Addr>),
    Ipv6(Vec<Ipv6Addr>),
    Ptr(CString),
}

/// How a lookup ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// `DNS_ERR_*`: `DNS_ERR_NONE` with data, otherwise the reason there is none.
    pub result: c_int,
    /// The smallest TTL of the records used, in seconds.
    pub ttl: u32,
    pub data: AnswerData,
    /// The canonical name from a CNAME record, when `DNS_CNAME_CALLBACK` asked for it.
    pub cname: Option<CString>,
}

/// What runs, exactly once and from the event loop, when a lookup ends.
pub type Completion = Box<dyn FnOnce(Answer)>;
