//! Moving bytes between a queue and a descriptor: readv into free space, writev (or
//! sendfile for file segments) from the front.

use std::io;
use std::os::fd::RawFd;

use super::chunk::{kind, Store};
use super::queue::{Queue, QueueError};

/// Regions one read fills at most.
const READ_REGIONS: usize = 4;
/// Chunks one write sends at most.
const WRITE_REGIONS: usize = 128;

impl From<QueueError> for io::Error {
    fn from(e: QueueError) -> io::Error {
        match e {
            QueueError::NoMemory | QueueError::TooLarge => io::ErrorKind::OutOfMemory.into(),
            _ => io::ErrorKind::InvalidInput.into(),
        }
    }
}

impl Queue {
    /// Reads at most `want` bytes from `fd` onto the end. Ok(0) is end of file.
    pub(super) fn read_from(&mut self, fd: RawFd, want: usize) -> io::Result<usize> {
        if want == 0 {
            return Ok(0);
        }
        self.expand_spread(want, READ_REGIONS)?;
        let mut regions = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; READ_REGIONS];
        let count = self.space_regions(want, &mut regions, true);
        // SAFETY: the regions describe free space of this queue's blocks, which stay
        // allocated during the call.
        let n = unsafe { libc::readv(fd, regions.as_ptr(), count as libc::c_int) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        if n > 0 {
            self.commit_read(n);
        }
        Ok(n)
    }

    /// Writes at most `limit` bytes from the front to `fd` and removes what was
    /// written. A file segment at the front goes out with `sendfile`. With
    /// `no_signal`, a socket whose peer is gone gives EPIPE without raising SIGPIPE.
    pub(super) fn write_to(
        &mut self,
        fd: RawFd,
        limit: usize,
        no_signal: bool,
    ) -> io::Result<usize> {
        let limit = limit.min(self.len);
        if limit == 0 {
            return Ok(0);
        }
        let first = &self.chunks[0];
        let written = if first.kind & kind::SENDFILE != 0 {
            let Store::Shared(backing) = &first.store else {
                unreachable!("sendfile chunks are shared")
            };
            let (source, base) = backing.sendfile_source().expect("a sendfile source");
            let offset = (base + first.start as u64) as libc::off_t;
            send_file(fd, source, offset, first.len().min(limit))?
        } else {
            let mut regions = [libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            }; WRITE_REGIONS];
            let mut count = 0;
            let mut left = limit;
            for c in self.data_chunks() {
                if count == WRITE_REGIONS || left == 0 || c.kind & kind::SENDFILE != 0 {
                    break;
                }
                let len = c.len().min(left);
                regions[count] = libc::iovec {
                    iov_base: c.data_ptr().cast(),
                    iov_len: len,
                };
                left -= len;
                count += 1;
            }
            write_regions(fd, &regions[..count], no_signal)?
        };
        self.drain(written);
        Ok(written)
    }
}

/// Sends at most `count` bytes of the file `source` from `offset` to the socket `fd`
/// with `sendfile`: how many went out, 0 when the socket takes nothing now.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_file(fd: RawFd, source: RawFd, offset: libc::off_t, count: usize) -> io::Result<usize> {
    let mut offset = offset;
    // SAFETY: sendfile reads `source` and writes `fd`; `offset` is a local.
    let n = unsafe { libc::sendfile(fd, source, &mut offset, count) };
    if n < 0 {
        let err = io::Error::last_os_error();
        return match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(err),
        };
    }
    Ok(n as usize)
}

/// As above with the BSDs' `sendfile`, which stops early with EAGAIN or EINTR on a
/// non-blocking socket yet still reports what it sent (as libevent counts it).
#[cfg(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_vendor = "apple"
))]
fn send_file(fd: RawFd, source: RawFd, offset: libc::off_t, count: usize) -> io::Result<usize> {
    #[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
    let (status, sent) = {
        let mut sent: libc::off_t = 0;
        // SAFETY: sendfile reads `source` and writes `fd`; no header or trailer, and
        // `sent` is a local.
        let status = unsafe {
            libc::sendfile(
                source,
                fd,
                offset,
                count,
                std::ptr::null_mut(),
                &mut sent,
                0,
            )
        };
        (status, sent)
    };
    #[cfg(target_vendor = "apple")]
    let (status, sent) = {
        // On macOS the length says first how much to send, then how much went.
        let mut sent = libc::off_t::try_from(count).unwrap_or(libc::off_t::MAX);
        // SAFETY: as above.
        let status =
            unsafe { libc::sendfile(source, fd, offset, &mut sent, std::ptr::null_mut(), 0) };
        (status, sent)
    };
    if status < 0 {
        let err = io::Error::last_os_error();
        if !matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
        ) {
            return Err(err);
        }
    }
    Ok(usize::try_from(sent).unwrap_or(0))
}

/// `writev`, or with `no_signal` `sendmsg(MSG_NOSIGNAL)` (`writev` again for a
/// descriptor that is not a socket).
fn write_regions(fd: RawFd, regions: &[libc::iovec], no_signal: bool) -> io::Result<usize> {
    if no_signal {
        // SAFETY: all-zero is a valid msghdr (no address, no control data).
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_iov = regions.as_ptr().cast_mut();
        message.msg_iovlen = regions.len() as _;
        // SAFETY: the regions describe live data of the caller's queue; sendmsg only
        // reads them.
        let n = unsafe { libc::sendmsg(fd, &message, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ENOTSOCK) {
            return Err(err);
        }
    }
    // SAFETY: as above, for writev.
    let n = unsafe { libc::writev(fd, regions.as_ptr(), regions.len() as libc::c_int) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
