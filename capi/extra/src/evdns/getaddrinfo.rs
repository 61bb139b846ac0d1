//! `evdns_getaddrinfo`: numeric hosts, the hosts table and DNS lookups combined into
//! `struct evutil_addrinfo` answers, and the core's hook for
//! `bufferevent_socket_connect_hostname`.
//!
//! As in libevent, what can be answered without the network (numeric hosts and
//! ports, a missing host, bad arguments, hosts-table names) is answered inside the
//! call, which then returns NULL. Otherwise one lookup per wanted family starts (A
//! first, then AAAA); when one family has answered and the other has not, the
//! `getaddrinfo-allow-skew` timer bounds the wait for it. Answers list the IPv4
//! addresses before the IPv6 ones, each address once per socket type (TCP and UDP
//! when the hints name neither).

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_short, c_void, CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use evrs_sibling::handler::{self, EventHandler};
use evrs_sibling::{alloc, log, sys};

use super::resolver::{self, fallible, Base, Request};
use super::{Answer, AnswerData, Query};

/// `EVUTIL_EAI_*` codes: on Linux the C library's `EAI_*` values, as libevent's
/// header defines them.
pub mod eai {
    use std::ffi::c_int;

    pub const AGAIN: c_int = libc::EAI_AGAIN;
    pub const FAIL: c_int = libc::EAI_FAIL;
    pub const FAMILY: c_int = libc::EAI_FAMILY;
    pub const MEMORY: c_int = libc::EAI_MEMORY;
    /// libevent's own value (-907) where the C library has no `EAI_NODATA` (FreeBSD).
    #[cfg(not(any(target_os = "freebsd", target_os = "dragonfly")))]
    pub const NODATA: c_int = libc::EAI_NODATA;
    #[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
    pub const NODATA: c_int = -907;
    pub const NONAME: c_int = libc::EAI_NONAME;
    /// `EVUTIL_EAI_CANCEL`: libevent's own code.
    pub const CANCEL: c_int = -90001;
}

/// `EVUTIL_AI_*` flags (the C library's on Linux).
const AI_PASSIVE: c_int = libc::AI_PASSIVE;
const AI_CANONNAME: c_int = libc::AI_CANONNAME;
const AI_NUMERICHOST: c_int = libc::AI_NUMERICHOST;
const AI_NUMERICSERV: c_int = libc::AI_NUMERICSERV;
const AI_ADDRCONFIG: c_int = libc::AI_ADDRCONFIG;
/// libevent marks the answers it builds itself with this flag.
const AI_LIBEVENT_ALLOCATED: c_int = 0x8000_0000_u32 as c_int;

/// `DNS_ERR_*` codes the mapping to `EVUTIL_EAI_*` looks at.
const DNS_ERR_NONE: c_int = 0;
const DNS_ERR_NOTEXIST: c_int = 3;
const DNS_ERR_SHUTDOWN: c_int = 68;
const DNS_ERR_CANCEL: c_int = 69;
/// `DNS_CNAME_CALLBACK`: the answer carries the canonical name.
const DNS_CNAME_CALLBACK: c_int = 0x80;

/// `evdns_getaddrinfo_cb`.
pub use sys::DnsGetaddrinfoCb as Callback;

/// The part of `struct evutil_addrinfo` hints that steers a lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    pub flags: c_int,
    pub family: c_int,
    pub socktype: c_int,
    pub protocol: c_int,
}

impl Hints {
    /// The program's hints, or libevent's defaults (any family) for NULL.
    ///
    /// # Safety
    /// `hints` is NULL or points to a readable `struct evutil_addrinfo`.
    pub unsafe fn from_c(hints: *const libc::addrinfo) -> Hints {
        // SAFETY: guaranteed by the caller.
        match unsafe { hints.as_ref() } {
            Some(h) => Hints {
                flags: h.ai_flags,
                family: h.ai_family,
                socktype: h.ai_socktype,
                protocol: h.ai_protocol,
            },
            None => Hints {
                family: libc::AF_UNSPEC,
                ..Hints::default()
            },
        }
    }

    /// A socket type from the protocol and the other way round, as libevent infers
    /// them.
    fn infer_protocols(&mut self) {
        if self.protocol == 0 && self.socktype != 0 {
            match self.socktype {
                libc::SOCK_DGRAM => self.protocol = libc::IPPROTO_UDP,
                libc::SOCK_STREAM => self.protocol = libc::IPPROTO_TCP,
                _ => {}
            }
        }
        if self.socktype == 0 && self.protocol != 0 {
            match self.protocol {
                libc::IPPROTO_UDP => self.socktype = libc::SOCK_DGRAM,
                libc::IPPROTO_TCP | libc::IPPROTO_SCTP => self.socktype = libc::SOCK_STREAM,
                _ => {}
            }
        }
    }
}

// ----- answers without the network ------------------------------------------------------

/// What the part common to every resolver found: a complete answer (an
/// `EVUTIL_EAI_*` code and the addresses), or that the name needs a lookup for `port`.
#[derive(Debug, PartialEq, Eq)]
pub enum Common {
    Done(Result<Vec<SocketAddr>, c_int>),
    NeedResolve { port: u16 },
}

/// The port `strtol` reads from a whole numeric service name (leading blanks and a
/// sign allowed, as libevent accepts them), 0 to 65535; None otherwise.
fn numeric_port(service: &[u8]) -> Option<u16> {
    if service.is_empty() {
        return None;
    }
    // C's isspace: space, \t, \n, \v, \f, \r.
    let blanks = service
        .iter()
        .take_while(|&&b| b == b' ' || (b'\t'..=b'\r').contains(&b))
        .count();
    let text = &service[blanks..];
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().try_fold(0u32, |n, &d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    });
    match (negative, value) {
        (false, Some(n)) => u16::try_from(n).ok(),
        (true, Some(0)) => Some(0),
        _ => None,
    }
}

/// The name `getservbyname` knows a protocol by.
fn protocol_name(protocol: c_int) -> Option<CString> {
    match protocol {
        0 => None,
        libc::IPPROTO_TCP => Some(c"tcp".to_owned()),
        libc::IPPROTO_UDP => Some(c"udp".to_owned()),
        libc::IPPROTO_SCTP => Some(c"sctp".to_owned()),
        other => {
            // SAFETY: a plain lookup; the entry is copied before any other call.
            let entry = unsafe { libc::getprotobynumber(other) };
            // SAFETY: a non-NULL entry is the C library's static protoent.
            let entry = unsafe { entry.as_ref() }?;
            if entry.p_name.is_null() {
                return None;
            }
            // SAFETY: a non-NULL name of a protoent is NUL-terminated.
            Some(unsafe { CStr::from_ptr(entry.p_name) }.to_owned())
        }
    }
}

/// The port of a service: a number, or a name from the services database unless
/// `AI_NUMERICSERV`.
fn service_port(service: &CStr, hints: &Hints) -> Option<u16> {
    if let Some(port) = numeric_port(service.to_bytes()) {
        return Some(port);
    }
    if hints.flags & AI_NUMERICSERV != 0 {
        return None;
    }
    let protocol = protocol_name(hints.protocol);
    // SAFETY: both strings are NUL-terminated (or NULL) and outlive the call; the
    // entry is read at once.
    let entry = unsafe {
        libc::getservbyname(
            service.as_ptr(),
            protocol.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
        )
    };
    // SAFETY: a non-NULL entry is the C library's static answer, read at once.
    unsafe { entry.as_ref() }.map(|e| u16::from_be(e.s_port as u16))
}

extern "C" {
    /// The C library's address parser, which libevent uses on Linux for numeric hosts.
    fn inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int;
}

/// An IPv6 address in text, with an optional `%zone` (an interface name or number),
/// as libevent's `evutil_inet_pton_scope` reads it.
fn parse_ipv6_scoped(text: &CStr) -> Option<(Ipv6Addr, u32)> {
    let bytes = text.to_bytes();
    // Copies are made only with a zone (and without aborting when memory runs out).
    let address_copy;
    let (address, scope) = match bytes.iter().position(|&b| b == b'%') {
        Some(at) => {
            let zone_copy = c_copy(&bytes[at + 1..])?;
            let zone = CStr::from_bytes_with_nul(&zone_copy).ok()?;
            // SAFETY: `zone` is NUL-terminated.
            let mut index = unsafe { libc::if_nametoindex(zone.as_ptr()) };
            if index == 0 {
                let digits = zone.to_bytes();
                if !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                // strtoul: no digits reads 0, too many wraps to its maximum.
                index = std::str::from_utf8(digits)
                    .ok()
                    .map_or(0, |d| d.parse::<u64>().map_or(u32::MAX, |n| n as u32));
            }
            address_copy = c_copy(&bytes[..at])?;
            (CStr::from_bytes_with_nul(&address_copy).ok()?, index)
        }
        None => (text, 0),
    };
    let mut raw = [0u8; 16];
    // SAFETY: `address` is NUL-terminated and `raw` has room for an in6_addr.
    let ok = unsafe { inet_pton(libc::AF_INET6, address.as_ptr(), raw.as_mut_ptr().cast()) };
    (ok == 1).then(|| (Ipv6Addr::from(raw), scope))
}

/// `bytes` and a NUL (None when out of memory).
fn c_copy(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len() + 1).ok()?;
    copy.extend_from_slice(bytes);
    copy.push(0);
    Some(copy)
}

/// An IPv4 address in text, as the C library's `inet_pton` reads it.
fn parse_ipv4(text: &CStr) -> Option<Ipv4Addr> {
    let mut raw = [0u8; 4];
    // SAFETY: `text` is NUL-terminated and `raw` has room for an in_addr.
    let ok = unsafe { inet_pton(libc::AF_INET, text.as_ptr(), raw.as_mut_ptr().cast()) };
    (ok == 1).then(|| Ipv4Addr::from(raw))
}

/// libevent's `evutil_getaddrinfo_common_`: the answers that need no resolver. `hints`
/// get their socket type and protocol inferred.
pub fn common(node: Option<&CStr>, service: Option<&CStr>, hints: &mut Hints) -> Common {
    if node.is_none() && service.is_none() {
        return Common::Done(Err(eai::NONAME));
    }
    if ![libc::AF_UNSPEC, libc::AF_INET, libc::AF_INET6].contains(&hints.family) {
        return Common::Done(Err(eai::FAMILY));
    }
    hints.infer_protocols();
    let port = match service {
        Some(service) => match service_port(service, hints) {
            Some(port) => port,
            None => return Common::Done(Err(eai::NONAME)),
        },
        None => 0,
    };
    let Some(node) = node else {
        // No host: the wildcard address to bind, the loopback to connect; IPv4 first.
        let passive = hints.flags & AI_PASSIVE != 0;
        let mut addrs = Vec::new();
        if addrs.try_reserve_exact(2).is_err() {
            return Common::Done(Err(eai::MEMORY));
        }
        if hints.family != libc::AF_INET6 {
            let ip = if passive {
                Ipv4Addr::UNSPECIFIED
            } else {
                Ipv4Addr::LOCALHOST
            };
            addrs.push(SocketAddr::V4(SocketAddrV4::new(ip, port)));
        }
        if hints.family != libc::AF_INET {
            let ip = if passive {
                Ipv6Addr::UNSPECIFIED
            } else {
                Ipv6Addr::LOCALHOST
            };
            addrs.push(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)));
        }
        return Common::Done(Ok(addrs));
    };
    if hints.family != libc::AF_INET {
        if let Some((ip, scope)) = parse_ipv6_scoped(node) {
            return one_address(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)));
        }
    }
    if hints.family != libc::AF_INET6 {
        if let Some(ip) = parse_ipv4(node) {
            return one_address(SocketAddr::V4(SocketAddrV4::new(ip, port)));
        }
    }
    if hints.flags & AI_NUMERICHOST != 0 {
        return Common::Done(Err(eai::NONAME));
    }
    Common::NeedResolve { port }
}

/// The answer of a numeric host (EVUTIL_EAI_MEMORY when out of memory).
fn one_address(addr: SocketAddr) -> Common {
    let mut addrs = Vec::new();
    if addrs.try_reserve_exact(1).is_err() {
        return Common::Done(Err(eai::MEMORY));
    }
    addrs.push(addr);
    Common::Done(Ok(addrs))
}

/// Whether the machine has an IPv4 and an IPv6 address that is not loopback,
/// link-local, multicast or unspecified: libevent's interface check, done once.
fn interfaces() -> (bool, bool) {
    static CHECKED: AtomicBool = AtomicBool::new(false);
    static HAVE_V4: AtomicBool = AtomicBool::new(false);
    static HAVE_V6: AtomicBool = AtomicBool::new(false);
    if !CHECKED.load(Ordering::Acquire) {
        let (v4, v6) = scan_interfaces();
        HAVE_V4.store(v4, Ordering::Relaxed);
        HAVE_V6.store(v6, Ordering::Relaxed);
        CHECKED.store(true, Ordering::Release);
    }
    (
        HAVE_V4.load(Ordering::Relaxed),
        HAVE_V6.load(Ordering::Relaxed),
    )
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_unspecified() || o[0] == 127 || (o[0] == 169 && o[1] == 254) || o[0] & 0xf0 == 0xe0
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    let o = ip.octets();
    o[..8].iter().all(|&b| b == 0)
        || o[0] & 0xfe == 0xfc
        || (o[0] == 0xfe && o[1] & 0xc0 == 0x80)
        || (o[0] == 0xfe && o[1] & 0xc0 == 0xc0)
        || o[0] == 0xff
}

fn scan_interfaces() -> (bool, bool) {
    let mut list: *mut libc::ifaddrs = ptr::null_mut();
    // SAFETY: `list` is a valid place for the answer.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        log::warn(format_args!("Unable to call getifaddrs()"));
        return (false, false);
    }
    let (mut v4, mut v6) = (false, false);
    let mut at = list;
    // SAFETY: walking the live list getifaddrs made, freed after the walk.
    while let Some(entry) = unsafe { at.as_ref() } {
        // SAFETY: a non-NULL address is a socket address of its family's size.
        if let Some(sa) = unsafe { entry.ifa_addr.as_ref() } {
            match c_int::from(sa.sa_family) {
                libc::AF_INET => {
                    // SAFETY: an AF_INET address is a sockaddr_in.
                    let sin =
                        unsafe { ptr::read_unaligned(entry.ifa_addr.cast::<libc::sockaddr_in>()) };
                    v4 |= !is_local_v4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
                }
                libc::AF_INET6 => {
                    // SAFETY: an AF_INET6 address is a sockaddr_in6.
                    let sin6 =
                        unsafe { ptr::read_unaligned(entry.ifa_addr.cast::<libc::sockaddr_in6>()) };
                    v6 |= !is_local_v6(Ipv6Addr::from(sin6.sin6_addr.s6_addr));
                }
                _ => {}
            }
        }
        at = entry.ifa_next;
    }
    // SAFETY: the list getifaddrs made, freed once.
    unsafe { libc::freeifaddrs(list) };
    (v4, v6)
}

/// `AI_ADDRCONFIG` with any family: only the family the machine has an address of,
/// when it has addresses of one family only (libevent's rule).
fn adjust_for_addrconfig(hints: &mut Hints) {
    if hints.flags & AI_ADDRCONFIG == 0 || hints.family != libc::AF_UNSPEC {
        return;
    }
    match interfaces() {
        (true, false) => hints.family = libc::AF_INET,
        (false, true) => hints.family = libc::AF_INET6,
        _ => {}
    }
}

// ----- building the C answer ---------------------------------------------------------------

/// A C list of `addrs`, in order, each once per socket type (TCP and UDP when the
/// hints name neither), the first node carrying `canonical_name`. Made of
/// `evrs_sibling_addrinfo_new` nodes, so that `evutil_freeaddrinfo` frees it; NULL
/// for no address. Err(EVUTIL_EAI_MEMORY) when out of memory.
pub fn build_answer(
    addrs: &[SocketAddr],
    hints: &Hints,
    canonical_name: Option<&CStr>,
) -> Result<*mut libc::addrinfo, c_int> {
    let kinds: &[(c_int, c_int)] = if hints.socktype == 0 && hints.protocol == 0 {
        &[
            (libc::SOCK_STREAM, libc::IPPROTO_TCP),
            (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        ]
    } else {
        &[(hints.socktype, hints.protocol)]
    };
    let mut entries: Vec<(SocketAddr, c_int, c_int)> = Vec::new();
    if entries
        .try_reserve_exact(addrs.len() * kinds.len())
        .is_err()
    {
        return Err(eai::MEMORY);
    }
    entries.extend(
        addrs
            .iter()
            .flat_map(|addr| kinds.iter().map(move |&(t, p)| (*addr, t, p))),
    );
    let mut head: *mut libc::addrinfo = ptr::null_mut();
    // Built from the back, each node made pointing at its successor.
    for (index, (addr, socktype, protocol)) in entries.iter().enumerate().rev() {
        let canon = if index == 0 { canonical_name } else { None };
        let node = new_node(addr, *socktype, *protocol, canon, head);
        if node.is_null() {
            // SAFETY: a list made here of core nodes, not handed out.
            unsafe { sys::evutil_freeaddrinfo(head) };
            return Err(eai::MEMORY);
        }
        head = node;
    }
    Ok(head)
}

/// Sets a socket address's length field (`sin_len`, `sin6_len`) on the systems that
/// have one (the BSDs and macOS), as libevent sets it there; nothing elsewhere.
macro_rules! set_sockaddr_len {
    ($field:expr, $sockaddr:ty) => {
        #[cfg(any(
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "dragonfly",
            target_os = "netbsd",
            target_os = "openbsd"
        ))]
        {
            $field = size_of::<$sockaddr>() as u8;
        }
    };
}

fn new_node(
    addr: &SocketAddr,
    socktype: c_int,
    protocol: c_int,
    canonical_name: Option<&CStr>,
    next: *mut libc::addrinfo,
) -> *mut libc::addrinfo {
    let canon = canonical_name.map_or(ptr::null(), CStr::as_ptr);
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: all-zero is a valid sockaddr_in, and the bytes not set below must be
            // zero.
            let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
            set_sockaddr_len!(sin.sin_len, libc::sockaddr_in);
            node_of(&sin, socktype, protocol, canon, next)
        }
        SocketAddr::V6(a) => {
            // SAFETY: all-zero is a valid sockaddr_in6; every field that means something
            // is set below.
            let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            set_sockaddr_len!(sin6.sin6_len, libc::sockaddr_in6);
            node_of(&sin6, socktype, protocol, canon, next)
        }
    }
}

/// A core list node holding a copy of `sockaddr`, followed by `next`. Only for the
/// complete `sockaddr_in` and `sockaddr_in6` that `new_node` builds.
fn node_of<Sockaddr>(
    sockaddr: &Sockaddr,
    socktype: c_int,
    protocol: c_int,
    canon: *const c_char,
    next: *mut libc::addrinfo,
) -> *mut libc::addrinfo {
    // SAFETY: `sockaddr` is a complete socket address of `size_of::<Sockaddr>()` bytes,
    // alive for the call (the node takes a copy); `canon` is NULL or NUL-terminated;
    // `next` is NULL or a core list.
    unsafe {
        sys::evrs_sibling_addrinfo_new(
            (sockaddr as *const Sockaddr).cast(),
            size_of::<Sockaddr>() as libc::socklen_t,
            socktype,
            protocol,
            AI_LIBEVENT_ALLOCATED,
            canon,
            next,
        )
    }
}

/// Calls the program's callback (no lock of ours held, no borrow of ours alive).
fn deliver(cb: Callback, arg: *mut c_void, result: Result<*mut libc::addrinfo, c_int>) {
    let (code, list) = match result {
        Ok(list) => (0, list),
        Err(code) => (code, ptr::null_mut()),
    };
    // SAFETY: the program's callback, with its argument; the list becomes its.
    unsafe { cb(code, list, arg) };
}

// ----- requests in flight ----------------------------------------------------------------

/// `struct evdns_getaddrinfo_request`: a lookup of one name in one or two families.
/// Its state changes only under the resolver base's lock.
pub struct GetAddrInfoRequest {
    base: *mut Base,
    hints: Hints,
    port: u16,
    arg: *mut c_void,
    /// The `getaddrinfo-allow-skew` timer (with both families only).
    timer: Option<NonNull<sys::event>>,
    /// Started by libevent_core for a bufferevent, which waits for an answer.
    from_core: bool,
    /// The base was freed: neither it nor its lock is used again. Read before taking
    /// that lock, hence atomic.
    base_gone: AtomicBool,
    state: RefCell<State>,
}

/// The requests in flight, by address, so that freeing a base can tell its requests
/// (whose lookups may still complete later, or never) not to touch it again.
static LIVE_REQUESTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn live_requests() -> std::sync::MutexGuard<'static, Vec<usize>> {
    LIVE_REQUESTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// For `evdns_base_free`: the requests on `base` stop using it (their skew timer
/// stops, nothing cancels through it any more). Their lookups still end: with
/// DNS_ERR_SHUTDOWN (fail_requests), or by being dropped ([`LookupCompletion`]).
pub fn base_freed(base: *mut Base) {
    // Walked under the registry's lock (stopping a timer runs no program code), so
    // that no copy of the list has to be allocated.
    let requests = live_requests();
    for &address in requests.iter() {
        // SAFETY: a registered request is live until `free_request` unregisters it.
        let req = unsafe { &*(address as *const GetAddrInfoRequest) };
        if req.base != base {
            continue;
        }
        req.base_gone.store(true, Ordering::Release);
        req.stop_timer();
    }
}

struct State {
    /// The program's callback, until it has been called.
    callback: Option<Callback>,
    /// The A and AAAA lookups still running (NULL when none).
    v4: *mut Request,
    v6: *mut Request,
    /// The addresses of a family that has answered while the other still runs.
    v4_found: Vec<Ipv4Addr>,
    v6_found: Vec<Ipv6Addr>,
    /// The error of a family that has failed while the other still runs.
    pending_error: c_int,
    /// The first canonical name a lookup reported (with `AI_CANONNAME`).
    canonical_name: Option<CString>,
    /// `evdns_getaddrinfo_cancel` was called.
    canceled: bool,
    /// The last lookup has finished: cancelling is too late.
    finished: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    V4,
    V6,
}

/// `EVUTIL_EAI_*` for a `DNS_ERR_*` code, as libevent maps them.
fn eai_of_dns_error(code: c_int) -> c_int {
    match code {
        DNS_ERR_NONE => 0,
        DNS_ERR_NOTEXIST => eai::NONAME,
        _ => eai::FAIL,
    }
}

/// Holds the resolver base's lock (unless the base is gone) until dropped.
struct BaseLock(*mut Base);

impl BaseLock {
    /// # Safety
    /// `base` is a live resolver base.
    unsafe fn new(base: *mut Base) -> BaseLock {
        // SAFETY: guaranteed by the caller.
        unsafe { resolver::lock(base) };
        BaseLock(base)
    }
}

impl Drop for BaseLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new` on a base that is still live (its lookups run).
        unsafe { resolver::unlock(self.0) };
    }
}

/// What a finished lookup or the timer leaves to do once the lock is released.
enum Next {
    Nothing,
    Free,
    Deliver {
        callback: Callback,
        result: Result<*mut libc::addrinfo, c_int>,
        free: bool,
    },
}

impl GetAddrInfoRequest {
    /// The answer so far (IPv4 addresses first), as a C list with the canonical name.
    fn collected_answer(&self, state: &mut State) -> Result<*mut libc::addrinfo, c_int> {
        let port = self.port;
        let canon = state.canonical_name.take();
        let mut addrs: Vec<SocketAddr> = Vec::new();
        let count = state.v4_found.len() + state.v6_found.len();
        if addrs.try_reserve_exact(count).is_err() {
            return Err(eai::MEMORY);
        }
        addrs.extend(
            state
                .v4_found
                .drain(..)
                .map(|ip| SocketAddr::V4(SocketAddrV4::new(ip, port)))
                .chain(
                    state
                        .v6_found
                        .drain(..)
                        .map(|ip| SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0))),
                ),
        );
        build_answer(&addrs, &self.hints, canon.as_deref())
    }

    fn is_base_gone(&self) -> bool {
        self.base_gone.load(Ordering::Acquire)
    }

    fn has_found(state: &State) -> bool {
        !state.v4_found.is_empty() || !state.v6_found.is_empty()
    }

    fn start_timer(&self) {
        let Some(timer) = self.timer else {
            return;
        };
        // SAFETY: the base is live (not shut down: callers check).
        let skew = unsafe { resolver::getaddrinfo_allow_skew(self.base) };
        let tv = libc::timeval {
            tv_sec: skew.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_usec: skew.subsec_micros() as libc::suseconds_t,
        };
        // SAFETY: our own live timer.
        unsafe { sys::event_add(timer.as_ptr(), &tv) };
    }

    fn stop_timer(&self) {
        if let Some(timer) = self.timer {
            // SAFETY: our own live timer.
            unsafe { sys::event_del(timer.as_ptr()) };
        }
    }

    /// One family's lookup ended: libevent's `evdns_getaddrinfo_gotresolve`.
    fn lookup_done(&self, family: Family, answer: Answer) -> Next {
        let mut state = self.state.borrow_mut();
        if answer.result == DNS_ERR_SHUTDOWN {
            self.base_gone.store(true, Ordering::Release);
        }
        match family {
            Family::V4 => state.v4 = ptr::null_mut(),
            Family::V6 => state.v6 = ptr::null_mut(),
        }
        let other_running = match family {
            Family::V4 => !state.v6.is_null(),
            Family::V6 => !state.v4.is_null(),
        };
        if !other_running {
            state.finished = true;
        }
        if let Some(name) = answer.cname {
            state.canonical_name.get_or_insert(name);
        }
        let last = if other_running {
            Next::Nothing
        } else {
            Next::Free
        };
        // Our own cancel (the timer's), or an answer after the program got one.
        if (answer.result == DNS_ERR_CANCEL && !state.canceled) || state.callback.is_none() {
            return last;
        }
        let error = match (&answer.result, &answer.data) {
            (&DNS_ERR_NONE, AnswerData::Ipv4(a)) if !a.is_empty() => 0,
            (&DNS_ERR_NONE, AnswerData::Ipv6(a)) if !a.is_empty() => 0,
            (&DNS_ERR_NONE, _) => eai::NODATA,
            (&code, _) => eai_of_dns_error(code),
        };
        if error != 0 {
            if other_running {
                // The other family may still answer; wait for it, at most the skew.
                if !self.is_base_gone() && !state.canceled {
                    self.start_timer();
                }
                state.pending_error = error;
                return Next::Nothing;
            }
            let callback = state.callback.take().expect("checked above");
            let result = if state.canceled {
                Err(eai::CANCEL)
            } else if Self::has_found(&state) {
                self.collected_answer(&mut state)
            } else {
                // libevent keeps this family's error over the other's.
                Err(error)
            };
            return Next::Deliver {
                callback,
                result,
                free: true,
            };
        }
        if state.canceled {
            if other_running {
                return Next::Nothing;
            }
            let callback = state.callback.take().expect("checked above");
            return Next::Deliver {
                callback,
                result: Err(eai::CANCEL),
                free: true,
            };
        }
        match answer.data {
            AnswerData::Ipv4(a) => state.v4_found = a,
            AnswerData::Ipv6(a) => state.v6_found = a,
            _ => {}
        }
        if other_running {
            if !self.is_base_gone() {
                self.start_timer();
            }
            return Next::Nothing;
        }
        let callback = state.callback.take().expect("checked above");
        let result = self.collected_answer(&mut state);
        Next::Deliver {
            callback,
            result,
            free: true,
        }
    }

    /// The skew timer: the family still running is cancelled and the program gets
    /// what the other one found.
    fn skew_expired(&self) -> Next {
        let mut state = self.state.borrow_mut();
        if self.is_base_gone() || state.canceled || state.finished {
            return Next::Nothing;
        }
        let Some(callback) = state.callback.take() else {
            return Next::Nothing;
        };
        for running in [state.v4, state.v6] {
            if !running.is_null() {
                // SAFETY: a lookup of this base still running; its completion comes
                // later with DNS_ERR_CANCEL and frees the request.
                unsafe { resolver::cancel_lookup(self.base, running) };
            }
        }
        let result = if Self::has_found(&state) {
            self.collected_answer(&mut state)
        } else if state.pending_error != 0 {
            Err(state.pending_error)
        } else {
            Err(eai::AGAIN)
        };
        Next::Deliver {
            callback,
            result,
            free: false,
        }
    }

    /// `evdns_getaddrinfo_cancel`: the running lookups are cancelled; the program's
    /// callback comes once, later, with `EVUTIL_EAI_CANCEL`.
    fn cancel(&self) {
        let mut state = self.state.borrow_mut();
        if state.finished || self.is_base_gone() || state.callback.is_none() {
            // Done already, or answered from the skew timer: nothing to cancel (libevent
            // would cancel again; the callback has been called).
            return;
        }
        self.stop_timer();
        state.canceled = true;
        for running in [state.v4, state.v6] {
            if !running.is_null() {
                // SAFETY: a lookup of this base still running.
                unsafe { resolver::cancel_lookup(self.base, running) };
            }
        }
    }
}

/// Runs what a lookup's end or the timer decided, with no lock held.
///
/// # Safety
/// `request` is live; with `Next::Free` or `free: true` nothing else refers to it
/// any more.
unsafe fn carry_out(request: NonNull<GetAddrInfoRequest>, next: Next) {
    match next {
        Next::Nothing => {}
        Next::Free => {
            // SAFETY: guaranteed by the caller.
            unsafe { free_request(request) }
        }
        Next::Deliver {
            callback,
            result,
            free,
        } => {
            // SAFETY: live until freed below; the argument is copied out first.
            let arg = unsafe { request.as_ref() }.arg;
            deliver(callback, arg, result);
            if free {
                // SAFETY: guaranteed by the caller; the callback cannot free it (its
                // handle is not valid once the callback ran, libevent's rule).
                unsafe { free_request(request) }
            }
        }
    }
}

/// # Safety
/// `request` came from `try_box` in [`getaddrinfo`], has no lookup running and is not
/// used again.
unsafe fn free_request(request: NonNull<GetAddrInfoRequest>) {
    let address = request.as_ptr() as usize;
    live_requests().retain(|&a| a != address);
    // SAFETY: guaranteed by the caller.
    let boxed = unsafe { Box::from_raw(request.as_ptr()) };
    if let Some(timer) = boxed.timer {
        // SAFETY: our own timer, freed once; event_free deletes it first.
        unsafe { sys::event_free(timer.as_ptr()) };
    }
    drop(boxed);
}

/// A lookup's completion: the request's state under the base's lock, then the
/// program's callback without it.
fn on_lookup_done(request: NonNull<GetAddrInfoRequest>, family: Family, answer: Answer) {
    // SAFETY: a request lives until its last lookup has completed, and this is one.
    let req = unsafe { request.as_ref() };
    let gone = answer.result == DNS_ERR_SHUTDOWN || req.is_base_gone();
    let next = if gone {
        req.lookup_done(family, answer)
    } else {
        // SAFETY: the base is live while its lookups complete normally.
        let _lock = unsafe { BaseLock::new(req.base) };
        req.lookup_done(family, answer)
    };
    // SAFETY: `next` says whether the request is now unreferenced.
    unsafe { carry_out(request, next) };
}

/// What a lookup's completion holds: it reports the answer, or, when the resolver
/// drops it without running it (its base freed without fail_requests), lets the
/// request go (libevent would leak it, its skew timer pointing at the freed base).
struct LookupCompletion {
    request: NonNull<GetAddrInfoRequest>,
    family: Family,
    ran: bool,
}

impl LookupCompletion {
    fn run(mut self, answer: Answer) {
        self.ran = true;
        on_lookup_done(self.request, self.family, answer);
    }
}

impl Drop for LookupCompletion {
    fn drop(&mut self) {
        if !self.ran {
            lookup_dropped(self.request, self.family);
        }
    }
}

/// A lookup the resolver dropped without an answer. At start (the lookup was never
/// recorded as running) nothing is to be done; otherwise its base was freed.
fn lookup_dropped(request: NonNull<GetAddrInfoRequest>, family: Family) {
    // SAFETY: a request lives until its last lookup has completed, and this is one.
    let req = unsafe { request.as_ref() };
    let next = {
        let Ok(mut guard) = req.state.try_borrow_mut() else {
            return;
        };
        let state = &mut *guard;
        let (slot, other) = match family {
            Family::V4 => (&mut state.v4, state.v6),
            Family::V6 => (&mut state.v6, state.v4),
        };
        if slot.is_null() {
            return;
        }
        *slot = ptr::null_mut();
        req.base_gone.store(true, Ordering::Release);
        if !other.is_null() {
            return;
        }
        state.finished = true;
        match state.callback.take() {
            // libevent_core's bufferevent holds a reference until it hears back; it
            // takes EVUTIL_EAI_CANCEL quietly. A program's own callback is not called,
            // as libevent drops such requests silently.
            Some(callback) if req.from_core => Next::Deliver {
                callback,
                result: Err(eai::CANCEL),
                free: true,
            },
            _ => Next::Free,
        }
    };
    req.stop_timer();
    // SAFETY: no lookup of the request remains.
    unsafe { carry_out(request, next) };
}

/// The skew timer's handler.
struct SkewTimer;

impl EventHandler for SkewTimer {
    type Target = GetAddrInfoRequest;
    fn fire(target: NonNull<GetAddrInfoRequest>, _what: c_short) {
        // SAFETY: the timer is freed with its request, so the request is live.
        let req = unsafe { target.as_ref() };
        if req.is_base_gone() {
            return;
        }
        let next = {
            // SAFETY: the base is live (not shut down).
            let _lock = unsafe { BaseLock::new(req.base) };
            req.skew_expired()
        };
        // SAFETY: the timer never frees (`free: false`).
        unsafe { carry_out(target, next) };
    }
}

/// The hosts-table answer for `node`, if the table has the name: libevent answers
/// with the entries of the wanted family, and with an empty answer when the name is
/// there only in the other family. `Some(Err(EVUTIL_EAI_MEMORY))` when memory ran out.
///
/// # Safety
/// `base` is a live resolver base.
unsafe fn from_hosts(
    base: *mut Base,
    node: &CStr,
    hints: &Hints,
    port: u16,
) -> Option<Result<Vec<SocketAddr>, c_int>> {
    // SAFETY: guaranteed by the caller.
    let entries = unsafe {
        let _lock = BaseLock::new(base);
        resolver::hosts_lookup(base, node.to_bytes(), true, true)
    };
    let Ok(entries) = entries else {
        return Some(Err(eai::MEMORY));
    };
    if entries.is_empty() {
        return None;
    }
    let mut addrs = Vec::new();
    if addrs.try_reserve_exact(entries.len()).is_err() {
        return Some(Err(eai::MEMORY));
    }
    addrs.extend(entries.into_iter().filter_map(|ip| match ip {
        IpAddr::V4(ip) if hints.family != libc::AF_INET6 => {
            Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        IpAddr::V6(ip) if hints.family != libc::AF_INET => {
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)))
        }
        _ => None,
    }));
    Some(Ok(addrs))
}

/// `evdns_getaddrinfo`. `base` NULL means the 1.x global resolver.
///
/// # Safety
/// `base` is NULL or a live resolver base; `node` and `service` are NULL or
/// NUL-terminated; `hints` is NULL or readable.
pub unsafe fn getaddrinfo(
    base: *mut Base,
    node: *const c_char,
    service: *const c_char,
    hints_in: *const libc::addrinfo,
    callback: Option<Callback>,
    arg: *mut c_void,
    from_core: bool,
) -> *mut GetAddrInfoRequest {
    let Some(callback) = callback else {
        // libevent would call through NULL; there is nobody to answer.
        log::warn(format_args!("evdns_getaddrinfo: no callback given"));
        return ptr::null_mut();
    };
    let base = if base.is_null() {
        super::global::current()
    } else {
        base
    };
    if base.is_null() {
        log::warn(format_args!(
            "Call to getaddrinfo_async with no evdns_base configured."
        ));
        deliver(callback, arg, Err(eai::FAIL));
        return ptr::null_mut();
    }
    // SAFETY: the caller passes NULL or NUL-terminated strings.
    let node = (!node.is_null()).then(|| unsafe { CStr::from_ptr(node) });
    // SAFETY: `service` is NULL or a NUL-terminated string the program keeps for the call.
    let service_c = (!service.is_null()).then(|| unsafe { CStr::from_ptr(service) });
    // SAFETY: the caller passes NULL or readable hints.
    let mut hints = unsafe { Hints::from_c(hints_in) };

    if hints.flags & AI_NUMERICHOST != 0 {
        // Must be answered now: the blocking resolver does it, as in libevent.
        let mut list: *mut libc::addrinfo = ptr::null_mut();
        // SAFETY: the program's arguments, passed on; `list` is a valid place.
        let code = unsafe {
            sys::evutil_getaddrinfo(
                node.map_or(ptr::null(), CStr::as_ptr),
                service,
                hints_in,
                &mut list,
            )
        };
        // SAFETY: the program's callback; the list becomes its.
        unsafe { callback(code, if code == 0 { list } else { ptr::null_mut() }, arg) };
        return ptr::null_mut();
    }

    adjust_for_addrconfig(&mut hints);
    let port = match common(node, service_c, &mut hints) {
        Common::Done(Ok(addrs)) => {
            deliver(callback, arg, build_answer(&addrs, &hints, None));
            return ptr::null_mut();
        }
        Common::Done(Err(code)) => {
            deliver(callback, arg, Err(code));
            return ptr::null_mut();
        }
        Common::NeedResolve { port } => port,
    };
    let node = node.expect("a missing host is answered by `common`");

    // SAFETY: `base` is live (the caller's, or the global one).
    if let Some(addrs) = unsafe { from_hosts(base, node, &hints, port) } {
        let answer = addrs.and_then(|addrs| build_answer(&addrs, &hints, None));
        deliver(callback, arg, answer);
        return ptr::null_mut();
    }

    let Some(request) = alloc::try_box(GetAddrInfoRequest {
        base,
        hints,
        port,
        arg,
        timer: None,
        from_core,
        base_gone: AtomicBool::new(false),
        state: RefCell::new(State {
            callback: Some(callback),
            v4: ptr::null_mut(),
            v6: ptr::null_mut(),
            v4_found: Vec::new(),
            v6_found: Vec::new(),
            pending_error: 0,
            canonical_name: None,
            canceled: false,
            finished: false,
        }),
    }) else {
        deliver(callback, arg, Err(eai::MEMORY));
        return ptr::null_mut();
    };
    if fallible::push(&mut live_requests(), request.as_ptr() as usize).is_err() {
        // SAFETY: just made, nothing refers to it.
        unsafe { free_request(request) };
        deliver(callback, arg, Err(eai::MEMORY));
        return ptr::null_mut();
    }
    let want_v4 = hints.family != libc::AF_INET6;
    let want_v6 = hints.family != libc::AF_INET;
    if want_v4 && want_v6 {
        // SAFETY: the base is live; the timer is freed with the request.
        let event_base = NonNull::new(unsafe { resolver::event_base_of(base) });
        // SAFETY: the request outlives its timer (freed together).
        let timer =
            event_base.and_then(|eb| unsafe { handler::new_event::<SkewTimer>(eb, request) });
        let Some(timer) = timer else {
            // SAFETY: just made, nothing refers to it.
            unsafe { free_request(request) };
            deliver(callback, arg, Err(eai::MEMORY));
            return ptr::null_mut();
        };
        // SAFETY: not shared yet.
        unsafe { (*request.as_ptr()).timer = Some(timer) };
    }
    let flags = if hints.flags & AI_CANONNAME != 0 {
        DNS_CNAME_CALLBACK
    } else {
        0
    };
    let started = {
        // SAFETY: the base is live; held while both lookups start, so that no answer
        // is handled before the request knows its lookups.
        let _lock = unsafe { BaseLock::new(base) };
        // SAFETY: live and not yet shared with a completion.
        let req = unsafe { request.as_ref() };
        if want_v4 {
            log::debug(format_args!("Sending request for {node:?} on ipv4"));
            let completion = LookupCompletion {
                request,
                family: Family::V4,
                ran: false,
            };
            // Out of memory: the lookup is not started (and the dropped completion
            // finds no lookup recorded, so does nothing).
            if let Some(done) = fallible::completion(move |answer| completion.run(answer)) {
                // SAFETY: the base is live; `done` runs later, from the loop.
                let r = unsafe { resolver::start_lookup(base, Query::Ipv4(node), flags, done) };
                req.state.borrow_mut().v4 = r;
            }
        }
        if want_v6 {
            log::debug(format_args!("Sending request for {node:?} on ipv6"));
            let completion = LookupCompletion {
                request,
                family: Family::V6,
                ran: false,
            };
            if let Some(done) = fallible::completion(move |answer| completion.run(answer)) {
                // SAFETY: the base is live (its lock is held above); `done` runs later,
                // from the loop.
                let r = unsafe { resolver::start_lookup(base, Query::Ipv6(node), flags, done) };
                req.state.borrow_mut().v6 = r;
            }
        }
        let state = req.state.borrow();
        !state.v4.is_null() || !state.v6.is_null()
    };
    if !started {
        // SAFETY: no lookup runs, nothing refers to it.
        unsafe { free_request(request) };
        deliver(callback, arg, Err(eai::FAIL));
        return ptr::null_mut();
    }
    request.as_ptr()
}

/// `evdns_getaddrinfo_cancel`.
///
/// # Safety
/// `request` is NULL or a request whose callback has not run yet (libevent's rule).
pub unsafe fn cancel(request: *mut GetAddrInfoRequest) {
    if request.is_null() {
        return;
    }
    if !live_requests().contains(&(request as usize)) {
        // Finished and freed already: libevent would touch freed memory.
        log::warn(format_args!(
            "evdns_getaddrinfo_cancel: the request is not in progress"
        ));
        return;
    }
    // SAFETY: registered, hence live (the caller does not free it meanwhile).
    let req = unsafe { &*request };
    if req.is_base_gone() {
        return;
    }
    // SAFETY: the base is live while the request has lookups of it.
    let _lock = unsafe { BaseLock::new(req.base) };
    req.cancel();
}

// ----- the core's hook ------------------------------------------------------------------

unsafe extern "C" fn core_start(
    base: *mut c_void,
    node: *const c_char,
    service: *const c_char,
    hints: *const libc::addrinfo,
    callback: Callback,
    arg: *mut c_void,
) -> *mut c_void {
    ffi_boundary!("evdns_getaddrinfo", unsafe {
        getaddrinfo(base.cast(), node, service, hints, Some(callback), arg, true).cast()
    })
}

unsafe extern "C" fn core_cancel(request: *mut c_void) {
    ffi_boundary!("evdns_getaddrinfo_cancel", unsafe {
        cancel(request.cast())
    })
}

/// Makes libevent_core resolve `bufferevent_socket_connect_hostname(_hints)` through
/// evdns when given an `evdns_base`. Calling it again changes nothing.
pub fn register_with_core() {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if REGISTERED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: both functions have the signatures the core calls them with and live as
    // long as the library.
    unsafe { sys::evrs_sibling_set_dns_resolver(Some(core_start), Some(core_cancel)) };
}
