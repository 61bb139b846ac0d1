//! Blocking name resolution.
//!
//! On Linux libevent hands `evutil_getaddrinfo` to the C library's `getaddrinfo`, which
//! already does everything libevent would otherwise do itself (numeric hosts without a
//! lookup, a missing host meaning the loopback or wildcard address, numeric and named
//! services, socket type and protocol defaults, and the `AI_*` flags). So does this
//! module, and its answers are therefore exactly libevent's: the same entries in the
//! same order with the same error codes.

use std::ffi::{c_int, CStr, CString};
use std::net::SocketAddr;
use std::ptr;

use super::addr::{from_sockaddr_in, from_sockaddr_in6};

/// The `EVUTIL_EAI_*` error codes. On Linux they are the C library's `EAI_*` values.
pub mod codes {
    use std::ffi::c_int;

    pub const ADDRFAMILY: c_int = -9;
    pub const AGAIN: c_int = libc::EAI_AGAIN;
    pub const BADFLAGS: c_int = libc::EAI_BADFLAGS;
    pub const FAIL: c_int = libc::EAI_FAIL;
    pub const FAMILY: c_int = libc::EAI_FAMILY;
    pub const MEMORY: c_int = libc::EAI_MEMORY;
    /// libevent's own value where the C library has no `EAI_NODATA` (FreeBSD).
    #[cfg(not(any(target_os = "freebsd", target_os = "dragonfly")))]
    pub const NODATA: c_int = libc::EAI_NODATA;
    #[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
    pub const NODATA: c_int = PORTABLE_NODATA;
    pub const NONAME: c_int = libc::EAI_NONAME;
    pub const SERVICE: c_int = libc::EAI_SERVICE;
    pub const SOCKTYPE: c_int = libc::EAI_SOCKTYPE;
    pub const SYSTEM: c_int = libc::EAI_SYSTEM;
    /// A request cancelled before it finished (asynchronous resolution).
    pub const CANCEL: c_int = -90001;
    /// The values `event2/util.h` gives `EVUTIL_EAI_ADDRFAMILY` and `EVUTIL_EAI_NODATA`
    /// when the C library hides its own (without `_GNU_SOURCE`).
    pub const PORTABLE_ADDRFAMILY: c_int = -901;
    pub const PORTABLE_NODATA: c_int = -907;
}

/// The part of `hints` that steers a lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    /// `EVUTIL_AI_*` flags.
    pub flags: c_int,
    /// `AF_UNSPEC`, `AF_INET` or `AF_INET6`.
    pub family: c_int,
    /// `SOCK_*`, 0 for any.
    pub socktype: c_int,
    /// `IPPROTO_*`, 0 for any.
    pub protocol: c_int,
}

/// One answer of a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    pub flags: c_int,
    pub family: c_int,
    pub socktype: c_int,
    pub protocol: c_int,
    pub addr: SocketAddr,
    /// The host's canonical name, on the first answer when `AI_CANONNAME` asked for it.
    pub canonical_name: Option<CString>,
}

/// A failed lookup: one of the [`codes`]. For [`codes::SYSTEM`], `errno` says more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolveError(pub c_int);

/// libevent's private marker for answers it allocated itself; it clears it from hints.
const LIBEVENT_ALLOCATED_FLAG: c_int = 0x8000_0000_u32 as c_int;

/// Reads the socket address of one C library answer.
///
/// # Safety
/// `ai` is a node of a live list from `getaddrinfo`.
unsafe fn socket_addr_of(ai: &libc::addrinfo) -> Option<SocketAddr> {
    if ai.ai_addr.is_null() {
        return None;
    }
    let len = ai.ai_addrlen as usize;
    match ai.ai_family {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the C library stored a sockaddr_in of `len` bytes there.
            let raw = unsafe { ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in>()) };
            Some(SocketAddr::V4(from_sockaddr_in(&raw)))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, a sockaddr_in6.
            let raw = unsafe { ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in6>()) };
            Some(SocketAddr::V6(from_sockaddr_in6(&raw)))
        }
        _ => None,
    }
}

/// Resolves `node` (a host name or numeric address; None for the local host) and
/// `service` (a port number or service name; None for port 0), blocking until done.
/// At least one of them must be given.
pub fn getaddrinfo(
    node: Option<&CStr>,
    service: Option<&CStr>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, ResolveError> {
    // SAFETY: all-zero is a valid addrinfo (integers 0, pointers NULL).
    let mut c_hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    c_hints.ai_flags = hints.flags & !LIBEVENT_ALLOCATED_FLAG;
    c_hints.ai_family = hints.family;
    c_hints.ai_socktype = hints.socktype;
    c_hints.ai_protocol = hints.protocol;

    let mut list: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: the strings are NUL-terminated or NULL, `c_hints` is initialised and
    // `list` is a valid place for the result.
    let status = unsafe {
        libc::getaddrinfo(
            node.map_or(ptr::null(), CStr::as_ptr),
            service.map_or(ptr::null(), CStr::as_ptr),
            &c_hints,
            &mut list,
        )
    };
    if status != 0 {
        return Err(ResolveError(status));
    }

    let mut answers = Vec::new();
    let mut node_ptr = list;
    // SAFETY: `list` is the live list getaddrinfo returned, walked before it is freed.
    while let Some(ai) = unsafe { node_ptr.as_ref() } {
        // SAFETY: `ai` is a node of that list.
        if let Some(addr) = unsafe { socket_addr_of(ai) } {
            // SAFETY: a non-NULL canonical name is a NUL-terminated string of the list.
            let canonical_name = (!ai.ai_canonname.is_null())
                .then(|| unsafe { CStr::from_ptr(ai.ai_canonname) }.to_owned());
            answers.push(AddrInfo {
                flags: ai.ai_flags,
                family: ai.ai_family,
                socktype: ai.ai_socktype,
                protocol: ai.ai_protocol,
                addr,
                canonical_name,
            });
        }
        node_ptr = ai.ai_next;
    }
    // SAFETY: freed once, after its last use.
    unsafe { libc::freeaddrinfo(list) };
    Ok(answers)
}

/// The message for an `EVUTIL_EAI_*` code (0 included), as libevent words them; other
/// codes get the C library's message.
pub fn error_text(code: c_int) -> &'static CStr {
    match code {
        0 => c"No error",
        codes::CANCEL => c"Request canceled",
        codes::ADDRFAMILY | codes::PORTABLE_ADDRFAMILY => {
            c"address family for nodename not supported"
        }
        codes::AGAIN => c"temporary failure in name resolution",
        codes::BADFLAGS => c"invalid value for ai_flags",
        codes::FAIL => c"non-recoverable failure in name resolution",
        codes::FAMILY => c"ai_family not supported",
        codes::MEMORY => c"memory allocation failure",
        // One value where the C library has no EAI_NODATA.
        code if code == codes::NODATA || code == codes::PORTABLE_NODATA => {
            c"no address associated with nodename"
        }
        codes::NONAME => c"nodename nor servname provided, or not known",
        codes::SERVICE => c"servname not supported for ai_socktype",
        codes::SOCKTYPE => c"ai_socktype not supported",
        codes::SYSTEM => c"system error",
        // SAFETY: gai_strerror returns a static string for any code.
        other => unsafe { CStr::from_ptr(libc::gai_strerror(other)) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(
        node: Option<&CStr>,
        service: Option<&CStr>,
        hints: Hints,
    ) -> Result<Vec<AddrInfo>, ResolveError> {
        getaddrinfo(node, service, &hints)
    }

    #[test]
    fn numeric_hosts_and_services() {
        let stream = Hints {
            socktype: libc::SOCK_STREAM,
            ..Hints::default()
        };
        let answers = lookup(Some(c"1.2.3.4"), Some(c"8080"), stream).unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].addr, "1.2.3.4:8080".parse().unwrap());
        assert_eq!(answers[0].protocol, libc::IPPROTO_TCP);

        let udp = Hints {
            protocol: libc::IPPROTO_UDP,
            ..Hints::default()
        };
        let answers = lookup(Some(c"1001:b0b::f00f"), Some(c"4321"), udp).unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].addr, "[1001:b0b::f00f]:4321".parse().unwrap());
        assert_eq!(answers[0].socktype, libc::SOCK_DGRAM);

        let passive = Hints {
            flags: libc::AI_PASSIVE,
            family: libc::AF_INET,
            protocol: libc::IPPROTO_TCP,
            ..Hints::default()
        };
        let answers = lookup(None, Some(c"9999"), passive).unwrap();
        assert_eq!(answers[0].addr, "0.0.0.0:9999".parse().unwrap());

        let numeric = Hints {
            flags: libc::AI_NUMERICHOST,
            ..Hints::default()
        };
        assert_eq!(
            lookup(Some(c"localhost"), Some(c"80"), numeric),
            Err(ResolveError(codes::NONAME))
        );
        assert_eq!(
            lookup(None, None, Hints::default()),
            Err(ResolveError(codes::NONAME))
        );
        let bad_family = Hints {
            family: 12345,
            ..Hints::default()
        };
        assert_eq!(
            lookup(Some(c"1.2.3.4"), None, bad_family),
            Err(ResolveError(codes::FAMILY))
        );
    }

    #[test]
    fn messages() {
        assert_eq!(error_text(0), c"No error");
        assert_eq!(
            error_text(codes::NONAME),
            c"nodename nor servname provided, or not known"
        );
        assert_eq!(
            error_text(codes::PORTABLE_NODATA),
            error_text(codes::NODATA)
        );
        assert!(!error_text(12345).is_empty());
    }
}
