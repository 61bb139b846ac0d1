//! Socket and descriptor options, as libevent sets them on Linux.
//!
//! Each function reports the system's error unchanged. The two that change descriptor
//! flags also log a warning naming the failed `fcntl` step, as libevent does; the
//! socket-option calls fail silently, as libevent's do.

use std::ffi::c_int;
use std::io;
use std::os::fd::RawFd;

use super::os_error_text;
use crate::log;

fn check(status: c_int) -> io::Result<c_int> {
    if status == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(status)
    }
}

/// `fcntl(fd, op, arg)`, warning as libevent does when it fails.
fn fcntl_or_warn(fd: RawFd, op: c_int, arg: c_int, op_name: &str) -> io::Result<c_int> {
    // SAFETY: the F_GET*/F_SET* operations used here take an int argument and touch no
    // memory; an invalid descriptor is reported as EBADF.
    let result = check(unsafe { libc::fcntl(fd, op, arg) });
    if let Err(err) = &result {
        let code = err.raw_os_error().unwrap_or(0);
        log::warn(format_args!(
            "fcntl({fd}, {op_name}): {}",
            os_error_text(code)
        ));
    }
    result
}

/// Sets a flag through a get/set pair of `fcntl` operations unless it is already set.
fn add_fd_flag(
    fd: RawFd,
    (get, get_name): (c_int, &str),
    (set, set_name): (c_int, &str),
    flag: c_int,
) -> io::Result<()> {
    let flags = fcntl_or_warn(fd, get, 0, get_name)?;
    if flags & flag == 0 {
        fcntl_or_warn(fd, set, flags | flag, set_name)?;
    }
    Ok(())
}

/// Makes `fd` non-blocking (`O_NONBLOCK`).
pub fn make_nonblocking(fd: RawFd) -> io::Result<()> {
    add_fd_flag(
        fd,
        (libc::F_GETFL, "F_GETFL"),
        (libc::F_SETFL, "F_SETFL"),
        libc::O_NONBLOCK,
    )
}

/// Makes `fd` close on `exec` (`FD_CLOEXEC`).
pub fn make_closeonexec(fd: RawFd) -> io::Result<()> {
    add_fd_flag(
        fd,
        (libc::F_GETFD, "F_GETFD"),
        (libc::F_SETFD, "F_SETFD"),
        libc::FD_CLOEXEC,
    )
}

fn set_int_option(fd: RawFd, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    // SAFETY: `value` is a live int and the length given is its size.
    let status = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const c_int).cast(),
            size_of::<c_int>() as libc::socklen_t,
        )
    };
    check(status).map(drop)
}

/// Lets a listener's address be bound again right after it is closed (`SO_REUSEADDR`).
pub fn make_listen_reuseable(fd: RawFd) -> io::Result<()> {
    set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)
}

/// Lets several sockets that all ask for it listen on one port (`SO_REUSEPORT`).
pub fn make_listen_reuseable_port(fd: RawFd) -> io::Result<()> {
    set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)
}

/// Makes an IPv6 socket IPv6-only (`IPV6_V6ONLY` = `only`) or also IPv4-mapped.
pub fn set_ipv6_only(fd: RawFd, only: bool) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, c_int::from(only))
}

/// Has a TCP listener wake `accept` only once data arrives (`TCP_DEFER_ACCEPT`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn make_tcp_listen_deferred(fd: RawFd) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, 1)
}

/// Without `TCP_DEFER_ACCEPT` this does nothing and succeeds, as in libevent.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn make_tcp_listen_deferred(_fd: RawFd) -> io::Result<()> {
    Ok(())
}

/// How a new descriptor from [`socket`] or [`accept`] starts out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NewFdFlags {
    /// `O_NONBLOCK` (`SOCK_NONBLOCK`).
    pub nonblocking: bool,
    /// `FD_CLOEXEC` (`SOCK_CLOEXEC`).
    pub cloexec: bool,
}

impl NewFdFlags {
    /// The `SOCK_*` bits that `socket(2)` and `accept4(2)` take for these flags.
    #[cfg(not(target_vendor = "apple"))]
    fn sock_bits(self) -> c_int {
        let mut bits = 0;
        if self.nonblocking {
            bits |= libc::SOCK_NONBLOCK;
        }
        if self.cloexec {
            bits |= libc::SOCK_CLOEXEC;
        }
        bits
    }
}

/// Makes a descriptor just made without `SOCK_*` flags what `flags` ask for, as
/// libevent does where the system has no such flags; closes it if that fails (with
/// `errno` left as the failed `fcntl` set it).
#[cfg(target_vendor = "apple")]
fn set_nonblocking_cloexec(fd: RawFd, flags: NewFdFlags) -> io::Result<RawFd> {
    let mut result = Ok(());
    if flags.nonblocking {
        result = make_nonblocking(fd);
    }
    if flags.cloexec && result.is_ok() {
        result = make_closeonexec(fd);
    }
    if let Err(err) = result {
        let _ = close(fd);
        if let Some(code) = err.raw_os_error() {
            crate::util::errno::set(code);
        }
        return Err(err);
    }
    Ok(fd)
}

/// `socket(2)` with the descriptor set up as `flags` ask: in the call itself where the
/// system takes `SOCK_NONBLOCK`/`SOCK_CLOEXEC`, right after it elsewhere (macOS).
/// On failure `errno` is the system's error.
pub fn socket(domain: c_int, kind: c_int, protocol: c_int, flags: NewFdFlags) -> io::Result<RawFd> {
    #[cfg(not(target_vendor = "apple"))]
    // SAFETY: socket(2) takes plain integers and touches no memory.
    let fd = check(unsafe { libc::socket(domain, kind | flags.sock_bits(), protocol) })?;
    #[cfg(target_vendor = "apple")]
    // SAFETY: as above.
    let fd = set_nonblocking_cloexec(
        check(unsafe { libc::socket(domain, kind, protocol) })?,
        flags,
    )?;
    Ok(fd)
}

/// `accept(2)` of a connection on the listening socket `fd`, its peer's address written
/// to `peer` and its length to `len`, the new descriptor set up as `flags` ask (with
/// `accept4` where the system has it). On failure `errno` is the system's error.
pub fn accept(
    fd: RawFd,
    peer: &mut libc::sockaddr_storage,
    len: &mut libc::socklen_t,
    flags: NewFdFlags,
) -> io::Result<RawFd> {
    let peer = (peer as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    *len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    #[cfg(not(target_vendor = "apple"))]
    // SAFETY: `peer` and `len` are exclusive borrows, and `len` says how much room
    // `peer` has (any address fits a sockaddr_storage).
    let new_fd = check(unsafe { libc::accept4(fd, peer, len, flags.sock_bits()) })?;
    #[cfg(target_vendor = "apple")]
    // SAFETY: as above.
    let new_fd = set_nonblocking_cloexec(check(unsafe { libc::accept(fd, peer, len) })?, flags)?;
    Ok(new_fd)
}

/// Closes a socket.
pub fn close(fd: RawFd) -> io::Result<()> {
    // SAFETY: closing a number the caller owns (or an invalid one, reported as EBADF).
    check(unsafe { libc::close(fd) }).map(drop)
}

/// Two connected sockets, as `socketpair(2)` makes them.
pub fn socketpair(domain: c_int, kind: c_int, protocol: c_int) -> io::Result<[RawFd; 2]> {
    let mut fds: [c_int; 2] = [-1, -1];
    // SAFETY: `fds` has room for the two descriptors.
    check(unsafe { libc::socketpair(domain, kind, protocol, fds.as_mut_ptr()) })?;
    Ok(fds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd_flags(fd: RawFd, op: c_int) -> c_int {
        // SAFETY: a query on a descriptor of this test.
        unsafe { libc::fcntl(fd, op) }
    }

    #[test]
    fn flags_and_options() {
        let [a, b] = socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        make_nonblocking(a).unwrap();
        make_nonblocking(a).unwrap();
        assert_ne!(fd_flags(a, libc::F_GETFL) & libc::O_NONBLOCK, 0);
        make_closeonexec(a).unwrap();
        assert_ne!(fd_flags(a, libc::F_GETFD) & libc::FD_CLOEXEC, 0);
        make_listen_reuseable(a).unwrap();
        // Not a TCP or IPv6 socket.
        assert!(make_tcp_listen_deferred(a).is_err());
        assert!(set_ipv6_only(a, true).is_err());
        close(a).unwrap();
        close(b).unwrap();
        assert_eq!(close(-1).unwrap_err().raw_os_error(), Some(libc::EBADF));
        assert!(make_nonblocking(-1).is_err());
        assert!(make_closeonexec(-1).is_err());
        assert!(socketpair(libc::AF_INET, libc::SOCK_STREAM, 0).is_err());
    }
}
