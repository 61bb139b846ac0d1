//! Socket addresses and the UDP sockets of the name servers.

use std::ffi::c_int;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use evrs_sibling::sys;

/// A `struct sockaddr` the program gave, read into a Rust address (IPv4 and IPv6 only).
///
/// # Safety
/// `sa` points to at least `len` readable bytes.
pub unsafe fn sockaddr_read(sa: *const libc::sockaddr, len: usize) -> Option<SocketAddr> {
    if sa.is_null() || len < size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: `len` covers the family field.
    let family = c_int::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family and length say this is a sockaddr_in.
            let sin = unsafe { sa.cast::<libc::sockaddr_in>().read_unaligned() };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family and length say this is a sockaddr_in6.
            let sin6 = unsafe { sa.cast::<libc::sockaddr_in6>().read_unaligned() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// `addr` as a C socket address and its length.
pub fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            let sin = unsafe { &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = v4.port().to_be();
            sin.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            let sin6 = unsafe { &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in6) };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = v6.port().to_be();
            sin6.sin6_addr.s6_addr = v6.ip().octets();
            sin6.sin6_flowinfo = v6.flowinfo();
            sin6.sin6_scope_id = v6.scope_id();
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// The forms `evutil_parse_sockaddr_port` takes: `1.2.3.4`, `1.2.3.4:53`, `::1`,
/// `[::1]`, `[::1]:53`. A missing port is 0.
pub fn parse_sockaddr_port(text: &str) -> Option<SocketAddr> {
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = ip.parse().ok()?;
        let port = match after {
            "" => 0,
            _ => parse_port(after.strip_prefix(':')?)?,
        };
        return Some(SocketAddr::new(IpAddr::V6(ip), port));
    }
    if let Ok(ip) = text.parse::<Ipv6Addr>() {
        return Some(SocketAddr::new(IpAddr::V6(ip), 0));
    }
    let (ip, port) = match text.split_once(':') {
        Some((ip, port)) => (ip, parse_port(port)?),
        None => (text, 0),
    };
    let ip: Ipv4Addr = ip.parse().ok()?;
    Some(SocketAddr::new(IpAddr::V4(ip), port))
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Same address and port (what libevent compares for a duplicate name server and for
/// the source of an answer).
pub fn same_endpoint(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.ip() == b.ip() && a.port() == b.port()
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn errno_text(err: c_int) -> String {
    std::io::Error::from_raw_os_error(err).to_string()
}

fn is_retriable(err: c_int) -> bool {
    err == libc::EAGAIN || err == libc::EWOULDBLOCK || err == libc::EINTR
}

/// Why a name server's socket could not be made: libevent's codes of
/// `evdns_base_nameserver_add` (1: no socket, 2: bind failed, -SO_RCVBUF/-SO_SNDBUF).
pub struct SocketOptions {
    pub bind_to: Option<SocketAddr>,
    pub so_rcvbuf: c_int,
    pub so_sndbuf: c_int,
}

/// A UDP socket, non-blocking and close-on-exec from the start where the system has
/// `SOCK_NONBLOCK` and `SOCK_CLOEXEC`.
#[cfg(not(target_vendor = "apple"))]
const UDP_SOCKET_KIND: c_int = libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
/// Made non-blocking and close-on-exec by [`set_nonblocking_cloexec`] (macOS).
#[cfg(target_vendor = "apple")]
const UDP_SOCKET_KIND: c_int = libc::SOCK_DGRAM;

/// Makes a new socket non-blocking and close-on-exec where `socket(2)` could not (as
/// libevent does there). False if either step failed.
#[cfg(target_vendor = "apple")]
fn set_nonblocking_cloexec(fd: c_int) -> bool {
    // SAFETY: our own open socket; the core only changes its descriptor flags.
    unsafe {
        sys::evutil_make_socket_nonblocking(fd) == 0 && sys::evutil_make_socket_closeonexec(fd) == 0
    }
}

/// A non-blocking, close-on-exec UDP socket for talking to `server`.
pub fn udp_socket(server: &SocketAddr, options: &SocketOptions) -> Result<c_int, c_int> {
    let family = match server {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: a plain socket(2) call.
    let fd = unsafe { libc::socket(family, UDP_SOCKET_KIND, 0) };
    if fd < 0 {
        return Err(1);
    }
    let close_with = |code: c_int| {
        // SAFETY: our socket, closed once.
        unsafe { sys::evutil_closesocket(fd) };
        Err(code)
    };
    #[cfg(target_vendor = "apple")]
    if !set_nonblocking_cloexec(fd) {
        return close_with(1);
    }
    if let Some(bind_to) = options.bind_to {
        if !server.ip().is_loopback() {
            let (storage, len) = sockaddr_of(&bind_to);
            // SAFETY: `storage` holds a valid address of `len` bytes.
            let rc =
                unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) };
            if rc < 0 {
                return close_with(2);
            }
        }
    }
    for (option, value) in [
        (libc::SO_RCVBUF, options.so_rcvbuf),
        (libc::SO_SNDBUF, options.so_sndbuf),
    ] {
        if value != 0 {
            // SAFETY: `value` is a c_int, as the option expects.
            let rc = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    option,
                    (&value as *const c_int).cast(),
                    size_of::<c_int>() as libc::socklen_t,
                )
            };
            if rc != 0 {
                return close_with(-option);
            }
        }
    }
    Ok(fd)
}

pub enum Sent {
    Done,
    /// Try again when the socket is writable (or the packet went out short).
    Later,
    Failed(c_int),
}

pub fn send_to(fd: c_int, packet: &[u8], to: &SocketAddr) -> Sent {
    let (storage, len) = sockaddr_of(to);
    // SAFETY: `packet` and `storage` are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            fd,
            packet.as_ptr().cast(),
            packet.len(),
            0,
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    if sent < 0 {
        let err = errno();
        if is_retriable(err) {
            Sent::Later
        } else {
            Sent::Failed(err)
        }
    } else if sent as usize != packet.len() {
        Sent::Later
    } else {
        Sent::Done
    }
}

pub enum Received {
    Packet(usize, Option<SocketAddr>),
    Empty,
    Failed(c_int),
}

pub fn recv_from(fd: c_int, buf: &mut [u8]) -> Received {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `buf` and `storage` are writable for the lengths given.
    let got = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if got < 0 {
        let err = errno();
        return if is_retriable(err) {
            Received::Empty
        } else {
            Received::Failed(err)
        };
    }
    // SAFETY: recvfrom wrote `len` bytes of address into `storage`.
    let from = unsafe {
        sockaddr_read(
            (&storage as *const libc::sockaddr_storage).cast(),
            len as usize,
        )
    };
    Received::Packet(got as usize, from)
}

/// Most datagrams one [`recv_many`] reads.
pub const RECV_BATCH: usize = 16;

/// One datagram of a [`recv_many`]: its length and source.
#[derive(Clone, Copy, Default)]
pub struct Datagram {
    pub len: usize,
    pub from: Option<SocketAddr>,
}

pub enum Batch {
    /// This many datagrams, at the start of `out`.
    Got(usize),
    Empty,
    Failed(c_int),
}

/// Reads up to `out.len()` datagrams (at most [`RECV_BATCH`]) in one system call
/// where there is `recvmmsg`, the i-th into `buf[i * slot..]` (`slot` bytes; longer
/// datagrams are cut, as by `recv_from`).
pub fn recv_many(fd: c_int, buf: &mut [u8], slot: usize, out: &mut [Datagram]) -> Batch {
    let wanted = out.len().min(RECV_BATCH).min(buf.len() / slot.max(1));
    if wanted == 0 {
        return Batch::Empty;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: all-zero iovecs, headers and addresses are valid values.
        let mut iovecs: [libc::iovec; RECV_BATCH] = unsafe { zeroed() };
        // SAFETY: mmsghdr is plain integers and pointers; all-zero is valid, filled in
        // below.
        let mut headers: [libc::mmsghdr; RECV_BATCH] = unsafe { zeroed() };
        // SAFETY: sockaddr_storage is plain bytes; all-zero is a valid (AF_UNSPEC) value.
        let mut addrs: [libc::sockaddr_storage; RECV_BATCH] = unsafe { zeroed() };
        for (index, chunk) in buf.chunks_exact_mut(slot).take(wanted).enumerate() {
            iovecs[index] = libc::iovec {
                iov_base: chunk.as_mut_ptr().cast(),
                iov_len: chunk.len(),
            };
            let header = &mut headers[index].msg_hdr;
            header.msg_name = (&raw mut addrs[index]).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &raw mut iovecs[index];
            header.msg_iovlen = 1;
        }
        // SAFETY: `wanted` headers, each pointing at its own piece of `buf` and its
        // own address, all writable and alive for the call.
        let got = unsafe {
            libc::recvmmsg(
                fd,
                headers.as_mut_ptr(),
                wanted as libc::c_uint,
                0,
                std::ptr::null_mut(),
            )
        };
        if got < 0 {
            let err = errno();
            return if is_retriable(err) {
                Batch::Empty
            } else {
                Batch::Failed(err)
            };
        }
        let got = got as usize;
        for index in 0..got {
            let header = &headers[index];
            out[index] = Datagram {
                len: header.msg_len as usize,
                // SAFETY: recvmmsg wrote `msg_namelen` bytes of address there.
                from: unsafe {
                    sockaddr_read(
                        (&raw const addrs[index]).cast(),
                        header.msg_hdr.msg_namelen as usize,
                    )
                },
            };
        }
        if got == 0 {
            Batch::Empty
        } else {
            Batch::Got(got)
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        match recv_from(fd, &mut buf[..slot]) {
            Received::Packet(len, from) => {
                out[0] = Datagram { len, from };
                Batch::Got(1)
            }
            Received::Empty => Batch::Empty,
            Received::Failed(err) => Batch::Failed(err),
        }
    }
}
