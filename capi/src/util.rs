//! `event2/util.h`: the evutil helpers (sockets, addresses, resolution, random bytes,
//! clocks, text). `evutil_snprintf` and `evutil_vsnprintf` are variadic and therefore
//! C, in `capi/c/printf.c`.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, OsStr};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::ptr;

use evrs::event::Tv;
use evrs::util::addr::{self, SockaddrView};
use evrs::util::resolve::{self, codes};
use evrs::util::time::{self, CalendarTime, MonotonicClock};
use evrs::util::{errno, rng, socket, text};

use crate::ffi::{borrow, borrow_mut, cstr, errno_status, free_box, to_boxed_mut_ptr, write_out};
use crate::mem;

/// `struct sockaddr`.
pub type sockaddr = libc::sockaddr;
/// `struct evutil_addrinfo`: on Linux, the system's `struct addrinfo`.
pub type evutil_addrinfo = libc::addrinfo;
/// `struct tm`.
pub type tm = libc::tm;
/// `struct timeval`.
pub type timeval = libc::timeval;

castable! {
    /// `struct evutil_monotonic_timer` (opaque to C).
    evutil_monotonic_timer => MonotonicClock, OwnershipBox
}

const EV_MONOT_PRECISE: c_int = 1;
const EV_MONOT_FALLBACK: c_int = 2;

// ----- argument and result helpers ------------------------------------------------------

/// The bytes of a C string argument (without its NUL), or None for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn string_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: guaranteed by the caller.
    unsafe { cstr(p) }.map(CStr::to_bytes)
}

/// The first `limit` bytes of a C string, or fewer if it ends sooner; None for NULL.
///
/// # Safety
/// `p` is NULL, or readable up to its NUL or `limit` bytes, whichever comes first.
unsafe fn string_prefix<'a>(p: *const c_char, limit: usize) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: strnlen reads no further than the caller guarantees readable.
    let len = unsafe { libc::strnlen(p, limit) };
    // SAFETY: those `len` bytes were just found readable and NUL-free.
    Some(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// Writes `text` and a NUL into `dst` if both fit in `capacity` bytes.
///
/// # Safety
/// `dst` is writable for `capacity` bytes.
unsafe fn write_c_string(dst: *mut c_char, capacity: usize, text: &[u8]) -> bool {
    if text.len() >= capacity {
        return false;
    }
    // SAFETY: `text.len() + 1 <= capacity` bytes are writable; the regions are distinct.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), text.len());
        *dst.add(text.len()) = 0;
    }
    true
}

/// `snprintf("%s")` into `dst`: as much of `text` as fits, always terminated, and the
/// full length as the answer; with `capacity` 0 nothing is written and the answer is 0,
/// as libevent's `evutil_snprintf` has it.
///
/// # Safety
/// `dst` is NULL or writable for `capacity` bytes.
unsafe fn write_truncated(dst: *mut c_char, capacity: usize, text: &[u8]) -> c_int {
    if capacity == 0 {
        return 0;
    }
    if dst.is_null() {
        return -1;
    }
    let kept = text.len().min(capacity - 1);
    // SAFETY: `kept + 1 <= capacity` bytes are writable.
    unsafe { write_c_string(dst, capacity, &text[..kept]) };
    c_int::try_from(text.len()).unwrap_or(c_int::MAX)
}

/// Reads the address behind a `sockaddr` pointer by its family.
///
/// # Safety
/// `sa` is NULL or points to a socket address as large as its family requires.
pub(crate) unsafe fn sockaddr_view(sa: *const sockaddr) -> Option<SockaddrView> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: every socket address starts with its family.
    let family = c_int::from(unsafe { ptr::read_unaligned(sa.cast::<libc::sa_family_t>()) });
    Some(match family {
        // SAFETY: an AF_INET address is a sockaddr_in (possibly unaligned).
        libc::AF_INET => SockaddrView::V4(addr::from_sockaddr_in(&unsafe {
            ptr::read_unaligned(sa.cast::<libc::sockaddr_in>())
        })),
        // SAFETY: an AF_INET6 address is a sockaddr_in6 (possibly unaligned).
        libc::AF_INET6 => SockaddrView::V6(addr::from_sockaddr_in6(&unsafe {
            ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>())
        })),
        other => SockaddrView::Other { family: other },
    })
}

/// A socket address in its C form: the bytes of a `sockaddr_in` or `sockaddr_in6`.
enum RawSockaddr {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
}

impl RawSockaddr {
    fn new(addr: &SocketAddr) -> Self {
        match addr {
            SocketAddr::V4(a) => RawSockaddr::V4(addr::to_sockaddr_in(a)),
            SocketAddr::V6(a) => RawSockaddr::V6(addr::to_sockaddr_in6(a)),
        }
    }

    fn len(&self) -> usize {
        match self {
            RawSockaddr::V4(_) => size_of::<libc::sockaddr_in>(),
            RawSockaddr::V6(_) => size_of::<libc::sockaddr_in6>(),
        }
    }

    /// Copies the address to `dst`.
    ///
    /// # Safety
    /// `dst` is writable for `self.len()` bytes.
    unsafe fn write_to(&self, dst: *mut c_void) {
        // SAFETY: guaranteed by the caller; unaligned writes need no alignment.
        unsafe {
            match self {
                RawSockaddr::V4(sin) => ptr::write_unaligned(dst.cast(), *sin),
                RawSockaddr::V6(sin6) => ptr::write_unaligned(dst.cast(), *sin6),
            }
        }
    }
}

// ----- text -----------------------------------------------------------------------------

/// NULL arguments order before every string (and equal to each other).
fn compare_present(
    a: Option<&[u8]>,
    b: Option<&[u8]>,
    compare: impl Fn(&[u8], &[u8]) -> c_int,
) -> c_int {
    match (a, b) {
        (Some(a), Some(b)) => compare(a, b),
        (None, None) => 0,
        (None, Some(_)) => -1,
        (Some(_), None) => 1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strcasecmp(
    str1: *const c_char,
    str2: *const c_char,
) -> c_int {
    ffi_boundary!("evutil_ascii_strcasecmp", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (a, b) = unsafe { (string_bytes(str1), string_bytes(str2)) };
        compare_present(a, b, text::ascii_casecmp)
    })
}

/// # Safety
/// `str1`, `str2` are NULL, or readable up to their NUL or `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strncasecmp(
    str1: *const c_char,
    str2: *const c_char,
    n: usize,
) -> c_int {
    ffi_boundary!("evutil_ascii_strncasecmp", {
        if n == 0 {
            return 0;
        }
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (a, b) = unsafe { (string_prefix(str1, n), string_prefix(str2, n)) };
        compare_present(a, b, |a, b| text::ascii_ncasecmp(a, b, n))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_strtoll(
    s: *const c_char,
    endptr: *mut *mut c_char,
    base: c_int,
) -> i64 {
    ffi_boundary!("evutil_strtoll", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(bytes) = (unsafe { string_bytes(s) }) else {
            // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
            unsafe { write_out(endptr, s.cast_mut()) };
            errno::set(libc::EINVAL);
            return 0;
        };
        let parsed = u32::try_from(base)
            .map_err(|_| text::InvalidBase)
            .and_then(|base| text::parse_c_integer(bytes, base));
        match parsed {
            Err(text::InvalidBase) => {
                errno::set(libc::EINVAL);
                0
            }
            Ok(parsed) => {
                if parsed.overflowed {
                    errno::set(libc::ERANGE);
                }
                // SAFETY: `consumed` is within the string; `endptr` per crate contract.
                unsafe { write_out(endptr, s.add(parsed.consumed).cast_mut()) };
                parsed.value
            }
        }
    })
}

// ----- addresses ------------------------------------------------------------------------

/// # Safety
/// `src` is NULL or an `in_addr`/`in6_addr` as `af` says.
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_ntop(
    af: c_int,
    src: *const c_void,
    dst: *mut c_char,
    len: usize,
) -> *const c_char {
    ffi_boundary!("evutil_inet_ntop", {
        if src.is_null() || dst.is_null() {
            return ptr::null();
        }
        let text = match af {
            // SAFETY: `src` holds an in_addr: 4 bytes in network order.
            libc::AF_INET => addr::format_ipv4(Ipv4Addr::from(unsafe {
                ptr::read_unaligned(src.cast::<[u8; 4]>())
            })),
            // SAFETY: `src` holds an in6_addr: 16 bytes in network order.
            libc::AF_INET6 => addr::format_ipv6(Ipv6Addr::from(unsafe {
                ptr::read_unaligned(src.cast::<[u8; 16]>())
            })),
            _ => return ptr::null(),
        };
        // SAFETY: `dst` is writable for `len` bytes (crate contract).
        if unsafe { write_c_string(dst, len, text.as_bytes()) } {
            dst.cast_const()
        } else {
            ptr::null()
        }
    })
}

/// Parses `text` as an address of family `af` into `dst`: 1, 0 if malformed, -1 for a
/// family other than IPv4 and IPv6.
///
/// # Safety
/// `dst` is writable for an `in_addr` or `in6_addr` as `af` says.
unsafe fn inet_pton_into(af: c_int, text: &[u8], dst: *mut c_void) -> c_int {
    match af {
        libc::AF_INET => match addr::parse_ipv4(text) {
            // SAFETY: room for an in_addr (caller's guarantee).
            Some(ip) => unsafe { ptr::write_unaligned(dst.cast::<[u8; 4]>(), ip.octets()) },
            None => return 0,
        },
        libc::AF_INET6 => match addr::parse_ipv6(text) {
            // SAFETY: room for an in6_addr (caller's guarantee).
            Some(ip) => unsafe { ptr::write_unaligned(dst.cast::<[u8; 16]>(), ip.octets()) },
            None => return 0,
        },
        _ => return -1,
    }
    1
}

/// # Safety
/// `dst` is NULL or writable for the address `af` names.
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
) -> c_int {
    ffi_boundary!("evutil_inet_pton", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        match unsafe { string_bytes(src) } {
            // SAFETY: crate contract for `dst`.
            Some(text) if !dst.is_null() => unsafe { inet_pton_into(af, text, dst) },
            _ => -1,
        }
    })
}

/// # Safety
/// As for `evutil_inet_pton`.
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton_scope(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
    indexp: *mut c_uint,
) -> c_int {
    ffi_boundary!("evutil_inet_pton_scope", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        unsafe { write_out(indexp, 0) };
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(text) = (unsafe { string_bytes(src) }).filter(|_| !dst.is_null()) else {
            return -1;
        };
        if af != libc::AF_INET6 {
            // SAFETY: crate contract for `dst`.
            return unsafe { inet_pton_into(af, text, dst) };
        }
        let (ip, scope_id) = addr::parse_ipv6_scoped(text);
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        unsafe { write_out(indexp, scope_id) };
        match ip {
            Some(ip) => {
                // SAFETY: room for an in6_addr (crate contract).
                unsafe { ptr::write_unaligned(dst.cast::<[u8; 16]>(), ip.octets()) };
                1
            }
            None => 0,
        }
    })
}

/// # Safety
/// `out` is NULL or writable for `*outlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_parse_sockaddr_port(
    ip_as_string: *const c_char,
    out: *mut sockaddr,
    outlen: *mut c_int,
) -> c_int {
    ffi_boundary!("evutil_parse_sockaddr_port", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (Some(text), Some(outlen)) = (unsafe { string_bytes(ip_as_string) }, unsafe {
            borrow_mut(outlen)
        }) else {
            return -1;
        };
        if out.is_null() {
            return -1;
        }
        let Some(parsed) = addr::parse_sockaddr_port(text) else {
            return -1;
        };
        let raw = RawSockaddr::new(&parsed);
        let (Ok(capacity), Ok(needed)) = (usize::try_from(*outlen), c_int::try_from(raw.len()))
        else {
            return -1;
        };
        if raw.len() > capacity {
            return -1;
        }
        // SAFETY: `out` is writable for `capacity >= raw.len()` bytes (crate contract).
        unsafe {
            out.cast::<u8>().write_bytes(0, capacity);
            raw.write_to(out.cast());
        }
        *outlen = needed;
        0
    })
}

/// # Safety
/// `sa1`, `sa2` are NULL or socket addresses as large as their families require.
#[no_mangle]
pub unsafe extern "C" fn evutil_sockaddr_cmp(
    sa1: *const sockaddr,
    sa2: *const sockaddr,
    include_port: c_int,
) -> c_int {
    ffi_boundary!("evutil_sockaddr_cmp", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (Some(a), Some(b)) = (unsafe { sockaddr_view(sa1) }, unsafe { sockaddr_view(sa2) })
        else {
            return -1;
        };
        addr::compare_sockaddrs(&a, &b, include_port != 0)
    })
}

// ----- sockets --------------------------------------------------------------------------

/// # Safety
/// `sv` is NULL or writable for two descriptors.
///
/// cbindgen:ptrs-as-arrays=[[sv;2]]
#[no_mangle]
pub unsafe extern "C" fn evutil_socketpair(
    d: c_int,
    type_: c_int,
    protocol: c_int,
    sv: *mut c_int,
) -> c_int {
    ffi_boundary!("evutil_socketpair", {
        if sv.is_null() {
            errno::set(libc::EINVAL);
            return -1;
        }
        match socket::socketpair(d, type_, protocol) {
            Ok(pair) => {
                // SAFETY: `sv` has room for two descriptors (crate contract).
                unsafe { ptr::write_unaligned(sv.cast::<[c_int; 2]>(), pair) };
                0
            }
            Err(err) => errno_status(Err(err)),
        }
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_socket_nonblocking", {
        errno_status(socket::make_nonblocking(sock))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_socket_closeonexec", {
        errno_status(socket::make_closeonexec(sock))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_listen_socket_reuseable", {
        errno_status(socket::make_listen_reuseable(sock))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable_port(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_listen_socket_reuseable_port", {
        errno_status(socket::make_listen_reuseable_port(sock))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_ipv6only(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_listen_socket_ipv6only", {
        errno_status(socket::set_ipv6_only(sock, true))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_not_ipv6only(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_listen_socket_not_ipv6only", {
        errno_status(socket::set_ipv6_only(sock, false))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_tcp_listen_socket_deferred(sock: c_int) -> c_int {
    ffi_boundary!("evutil_make_tcp_listen_socket_deferred", {
        errno_status(socket::make_tcp_listen_deferred(sock))
    })
}

#[no_mangle]
pub extern "C" fn evutil_closesocket(sock: c_int) -> c_int {
    ffi_boundary!("evutil_closesocket", { errno_status(socket::close(sock)) })
}

// ----- name resolution ------------------------------------------------------------------

/// One node of a C answer list: a block holding the `addrinfo` with its socket address
/// right after it, and a separately allocated canonical name. None when out of memory.
pub(crate) fn new_addrinfo_node(
    answer: &resolve::AddrInfo,
    next: *mut evutil_addrinfo,
) -> Option<*mut evutil_addrinfo> {
    let raw = RawSockaddr::new(&answer.addr);
    let node = mem::malloc(size_of::<evutil_addrinfo>() + raw.len()).cast::<evutil_addrinfo>();
    if node.is_null() {
        return None;
    }
    let canonname = match &answer.canonical_name {
        Some(name) => {
            let copy = mem::strdup(name.to_bytes());
            if copy.is_null() {
                // SAFETY: `node` is the block just allocated and not yet shared.
                unsafe { mem::free(node.cast()) };
                return None;
            }
            copy
        }
        None => ptr::null_mut(),
    };
    // SAFETY: the block has room for the addrinfo (malloc alignment suffices) and, right
    // after it, for the socket address.
    unsafe {
        let addr_slot = node.add(1).cast::<sockaddr>();
        raw.write_to(addr_slot.cast());
        node.write(evutil_addrinfo {
            ai_flags: answer.flags,
            ai_family: answer.family,
            ai_socktype: answer.socktype,
            ai_protocol: answer.protocol,
            ai_addrlen: raw.len() as libc::socklen_t,
            ai_addr: addr_slot,
            ai_canonname: canonname,
            ai_next: next,
        });
    }
    Some(node)
}

/// The C list of `answers`, in order, to be released with `evutil_freeaddrinfo`; None
/// when out of memory.
pub(crate) fn addrinfo_list(answers: &[resolve::AddrInfo]) -> Option<*mut evutil_addrinfo> {
    let mut head: *mut evutil_addrinfo = ptr::null_mut();
    // Built from the back so that each node is made pointing at its successor.
    for answer in answers.iter().rev() {
        match new_addrinfo_node(answer, head) {
            Some(node) => head = node,
            None => {
                // SAFETY: `head` is a list built here and not yet handed out.
                unsafe { free_addrinfo_list(head) };
                return None;
            }
        }
    }
    Some(head)
}

/// Releases a list made by [`addrinfo_list`].
///
/// # Safety
/// `head` is NULL or such a list, not used afterwards.
pub(crate) unsafe fn free_addrinfo_list(mut head: *mut evutil_addrinfo) {
    // SAFETY: each node of the list is a live block from `new_addrinfo_node`.
    while let Some(node) = unsafe { head.as_ref() } {
        let next = node.ai_next;
        // SAFETY: the name and the node were allocated by this module, once each.
        unsafe {
            mem::free(node.ai_canonname.cast());
            mem::free(head.cast());
        }
        head = next;
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo(
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const evutil_addrinfo,
    res: *mut *mut evutil_addrinfo,
) -> c_int {
    ffi_boundary!("evutil_getaddrinfo", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        if !unsafe { write_out(res, ptr::null_mut()) } {
            return codes::FAIL;
        }
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let hints =
            unsafe { borrow(hints_in) }.map_or_else(resolve::Hints::default, |h| resolve::Hints {
                flags: h.ai_flags,
                family: h.ai_family,
                socktype: h.ai_socktype,
                protocol: h.ai_protocol,
            });
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let (node, service) = unsafe { (cstr(nodename), cstr(servname)) };
        match resolve::getaddrinfo(node, service, &hints) {
            Err(resolve::ResolveError(code)) => code,
            Ok(answers) if answers.is_empty() => codes::NODATA,
            Ok(answers) => match addrinfo_list(&answers) {
                Some(list) => {
                    // SAFETY: checked writable above.
                    unsafe { res.write(list) };
                    0
                }
                None => codes::MEMORY,
            },
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_freeaddrinfo(ai: *mut evutil_addrinfo) {
    ffi_boundary!("evutil_freeaddrinfo", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        unsafe { free_addrinfo_list(ai) }
    })
}

#[no_mangle]
pub extern "C" fn evutil_gai_strerror(err: c_int) -> *const c_char {
    ffi_boundary!("evutil_gai_strerror", { resolve::error_text(err).as_ptr() })
}

// ----- random bytes ---------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_get_bytes(buf: *mut c_void, n: usize) {
    ffi_boundary!("evutil_secure_rng_get_bytes", {
        if buf.is_null() || n == 0 {
            return;
        }
        // SAFETY: `buf` is writable for `n` bytes (crate contract).
        rng::fill(unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n) });
    })
}

#[no_mangle]
pub extern "C" fn evutil_secure_rng_init() -> c_int {
    ffi_boundary!("evutil_secure_rng_init", { errno_status(rng::init()) })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_set_urandom_device_file(fname: *mut c_char) -> c_int {
    ffi_boundary!("evutil_secure_rng_set_urandom_device_file", {
        // The name is copied, so the caller's string need not outlive the call.
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let path =
            unsafe { string_bytes(fname) }.map(|name| PathBuf::from(OsStr::from_bytes(name)));
        rng::set_device_file(path);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_add_bytes(dat: *const c_char, datlen: usize) {
    ffi_boundary!("evutil_secure_rng_add_bytes", {
        if dat.is_null() {
            return;
        }
        // SAFETY: `dat` is readable for `datlen` bytes (crate contract).
        rng::add_entropy(unsafe { std::slice::from_raw_parts(dat.cast::<u8>(), datlen) });
    })
}

// ----- time -----------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_new() -> *mut evutil_monotonic_timer {
    ffi_boundary!("evutil_monotonic_timer_new", {
        // Usable before evutil_configure_monotonic_time, reading the precise clock.
        to_boxed_mut_ptr(Box::new(MonotonicClock::new(true)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_monotonic_timer_free(timer: *mut evutil_monotonic_timer) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evutil_monotonic_timer_free", unsafe { free_box(timer) })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_configure_monotonic_time(
    timer: *mut evutil_monotonic_timer,
    flags: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evutil_configure_monotonic_time", unsafe {
        *try_mut_from_ptr!(timer) = MonotonicClock::with_options(
            flags & EV_MONOT_PRECISE != 0,
            flags & EV_MONOT_FALLBACK != 0,
        );
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_gettime_monotonic(
    timer: *mut evutil_monotonic_timer,
    tp: *mut timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evutil_gettime_monotonic", unsafe {
        let timer = try_ref_from_ptr!(timer);
        if tp.is_null() {
            return -1;
        }
        write_out(tp, Tv::from_duration(timer.now()).to_timeval_raw());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_date_rfc1123(
    date: *mut c_char,
    datelen: usize,
    tm: *const tm,
) -> c_int {
    ffi_boundary!("evutil_date_rfc1123", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let when = unsafe { borrow(tm) }.map_or_else(CalendarTime::now_utc, |tm| CalendarTime {
            year: 1900 + i64::from(tm.tm_year),
            month: tm.tm_mon,
            day: tm.tm_mday,
            hour: tm.tm_hour,
            minute: tm.tm_min,
            second: tm.tm_sec,
            weekday: tm.tm_wday,
        });
        match time::rfc1123_date(&when) {
            // SAFETY: `date` is NULL or writable for `datelen` bytes (crate contract).
            Some(text) => unsafe { write_truncated(date, datelen, text.as_bytes()) },
            None => -1,
        }
    })
}
