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
    /// written. A file segment at the front goes out with `sendfile`.
    pub(super) fn write_to(&mut self, fd: RawFd, limit: usize) -> io::Result<usize> {
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
            let mut offset = (base + first.start as u64) as libc::off_t;
            let count = first.len().min(limit);
            // SAFETY: sendfile reads `source` and writes `fd`; `offset` is a local.
            let n = unsafe { libc::sendfile(fd, source, &mut offset, count) };
            if n < 0 {
                let err = io::Error::last_os_error();
                return match err.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                    _ => Err(err),
                };
            }
            n as usize
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
            // SAFETY: the regions describe data of this queue, alive during the call.
            let n = unsafe { libc::writev(fd, regions.as_ptr(), count as libc::c_int) };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            n as usize
        };
        self.drain(written);
        Ok(written)
    }
}
