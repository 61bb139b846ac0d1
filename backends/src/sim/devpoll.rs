//! A simulated /dev/poll, following illumos poll(4D) (Solaris poll(7D)).
//!
//! - The cache maps fd numbers to events. Writing an entry ORs its events into the
//!   fd's cached ones ("If a pollfd array contains multiple pollfd entries with the
//!   same fd field, the events field in each pollfd entry is OR'ed"); an entry whose
//!   events are exactly POLLREMOVE removes the fd; removing an fd not cached does
//!   nothing. The `revents` of written entries are not used.
//! - A write never fails for a bad fd: the manual has no error for it, and the driver
//!   caches an fd that is not open (reporting POLLNVAL for it at DP_POLL), and skips
//!   an entry whose fd is negative or beyond the process's descriptor table (here: at
//!   or above RLIMIT_NOFILE). A write of more entries than RLIMIT_NOFILE fails with
//!   EINVAL and changes nothing. A write returns the bytes written.
//! - The cache is kept by fd number across a close: a closed fd reports POLLNVAL at
//!   every DP_POLL until removed, and a reused number is polled on its new file with
//!   the cached events.
//! - DP_POLL fills at most `dp_nfds` entries with the ready fds (fd, cached events,
//!   revents); `dp_timeout` is in milliseconds, 0 returns at once and a negative value
//!   waits without limit; a signal fails it with EINTR; 0 means timed out. When the
//!   buffer fills, the next DP_POLL resumes its scan after the last fd reported, as
//!   the driver does, so that no fd starves.
//!
//! Only POLLIN, POLLPRI and POLLOUT are watched (their values are the same on Linux);
//! other cached bits are kept but ignored.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::devpoll::{
    DevpollSystem, PollFd, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLREMOVE,
};
use crate::sim::{deadline, open_files_limit, poll_fds, poll_fds_interruptible, remaining};

/// The poll events the simulation watches.
const WATCHABLE: i16 = POLLIN | POLLPRI | POLLOUT;
/// The events poll(2) reports unasked.
const ALWAYS: i16 = POLLERR | POLLHUP | POLLNVAL;

/// The simulated driver state of one open /dev/poll.
#[derive(Debug, Default)]
pub struct SimDevpoll {
    /// fd number -> cached events.
    cache: BTreeMap<RawFd, i16>,
    /// Where the next scan starts.
    scan_start: RawFd,
}

impl SimDevpoll {
    /// The events cached for `fd` (`None`: not in the set), as DP_ISPOLLED tells.
    pub fn cached(&self, fd: RawFd) -> Option<i16> {
        self.cache.get(&fd).copied()
    }

    /// The cached fds in scan order: from `scan_start` round to just before it.
    fn scan_order(&self) -> Vec<libc::pollfd> {
        let start = self.scan_start;
        self.cache
            .range(start..)
            .chain(self.cache.range(..start))
            .map(|(&fd, &events)| libc::pollfd {
                fd,
                events: (events & WATCHABLE) as libc::c_short,
                revents: 0,
            })
            .collect()
    }

    /// Copies the ready entries of `polled` into `results`; returns how many.
    fn collect(&mut self, polled: &[libc::pollfd], results: &mut [PollFd]) -> usize {
        let mut count = 0;
        for entry in polled {
            let revents = entry.revents & ((entry.events & WATCHABLE) | ALWAYS);
            if revents == 0 {
                continue;
            }
            let Some(slot) = results.get_mut(count) else {
                break;
            };
            *slot = PollFd {
                fd: entry.fd,
                events: self.cache.get(&entry.fd).copied().unwrap_or(0),
                revents,
            };
            count += 1;
            if count == results.len() {
                // Full: the next scan starts after the last fd reported.
                self.scan_start = entry.fd.saturating_add(1);
                break;
            }
        }
        count
    }
}

impl DevpollSystem for SimDevpoll {
    fn open() -> io::Result<Self> {
        Ok(SimDevpoll::default())
    }

    fn write_pollfds(&mut self, entries: &[PollFd]) -> io::Result<usize> {
        let limit = open_files_limit();
        if entries.len() as u64 > limit {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        for entry in entries {
            if entry.fd < 0 || entry.fd as u64 >= limit {
                continue;
            }
            if entry.events == POLLREMOVE {
                self.cache.remove(&entry.fd);
            } else {
                *self.cache.entry(entry.fd).or_insert(0) |= entry.events;
            }
        }
        Ok(std::mem::size_of_val(entries))
    }

    fn dp_poll(&mut self, results: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
        let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        let deadline = deadline(timeout);
        if results.is_empty() {
            // Just a sleep.
            poll_fds_interruptible(&mut [], timeout)?;
            return Ok(0);
        }
        loop {
            let mut polled = self.scan_order();
            // poll(2) itself reports POLLNVAL for a closed fd.
            poll_fds(&mut polled, Some(Duration::ZERO))?;
            let count = self.collect(&polled, results);
            if count > 0 {
                return Ok(count);
            }
            let left = remaining(deadline);
            if left == Some(Duration::ZERO) {
                return Ok(0);
            }
            // Sleeps until a cached fd is ready or the time is up.
            poll_fds_interruptible(&mut polled, left)?;
        }
    }
}
