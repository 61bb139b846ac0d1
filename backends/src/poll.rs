//! poll(2); ppoll where available, for timeouts finer than a millisecond.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::{flags, Features, Interest, Options, Poller, Readiness};

/// True where poll(2) has POLLRDHUP, which `Interest::CLOSED` needs.
const HAVE_RDHUP: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// A poller on one array of `pollfd`s, one entry per watched fd.
#[derive(Debug, Default)]
pub struct Poll {
    fds: Vec<libc::pollfd>,
    /// fd -> position + 1 in `fds` (0: not watched), so a change needs no search.
    positions: Vec<u32>,
}

/// The poll events asking for `interest` (io_uring's poll requests ask the same).
pub(crate) fn poll_events(interest: Interest) -> libc::c_short {
    #[allow(unused_mut)] // Only Linux adds to it.
    let mut events = flags::poll_events(interest);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if interest.contains(Interest::CLOSED) {
        events |= libc::POLLRDHUP;
    }
    events
}

/// What the kernel's `revents` mean to the caller (see `flags::poll_readiness`), and
/// POLLRDHUP where it exists.
fn readiness(revents: libc::c_short) -> Readiness {
    #[allow(unused_mut)] // Only Linux adds to it.
    let mut ready = flags::poll_readiness(revents);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if revents & libc::POLLRDHUP != 0 {
        ready |= Readiness::CLOSED;
    }
    ready
}

/// The length a per-fd table needs to reach `needed` entries for `fd`, which is about to
/// be watched, from `current` entries.
///
/// Only an open fd may grow a table: the process's own descriptor table is then at
/// least as large, which keeps ours in proportion, and a stray huge number fails with
/// EBADF instead of allocating gigabytes. Doubling spares rising fd numbers the check
/// most of the time. (Shared with select's bitmaps and epoll's changelist.)
pub(crate) fn fd_table_len(fd: RawFd, current: usize, needed: usize) -> io::Result<usize> {
    // SAFETY: F_GETFD takes no argument and accepts any fd number.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(needed.max(current.saturating_mul(2)))
}

/// Grows `table` to `len` entries of `fill`; an error instead of an abort when memory
/// runs out.
pub(crate) fn grow_table<T: Clone>(table: &mut Vec<T>, len: usize, fill: T) -> io::Result<()> {
    table
        .try_reserve_exact(len.saturating_sub(table.len()))
        .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
    table.resize(len, fill);
    Ok(())
}

/// Changes batched until the next wait, at most one per fd: `Options::use_changelist`
/// of epoll and kqueue.
#[cfg(any(target_os = "linux", target_os = "android", has_kqueue))]
#[derive(Debug, Default)]
pub(crate) struct Changelist {
    changes: Vec<Change>,
    /// fd -> position + 1 in `changes` (0: none pending), so that a second change to
    /// an fd finds its entry without a search.
    positions: Vec<u32>,
}

/// Every change to one fd since the last wait, folded into one.
#[cfg(any(target_os = "linux", target_os = "android", has_kqueue))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Change {
    pub(crate) fd: RawFd,
    /// The interest before the first change: what the kernel was last told.
    pub(crate) old: Interest,
    /// The interest after the last change.
    pub(crate) new: Interest,
}

#[cfg(any(target_os = "linux", target_os = "android", has_kqueue))]
impl Changelist {
    /// Folds the change of `fd` (table index `slot`) from `old` to `new` into the
    /// list; `new_watches` tells whether `new` asks the kernel for anything.
    pub(crate) fn record(
        &mut self,
        fd: RawFd,
        slot: usize,
        old: Interest,
        new: Interest,
        new_watches: bool,
    ) -> io::Result<()> {
        match self.positions.get(slot).copied().unwrap_or(0) {
            // Beyond the table, so never changed here: nothing to stop watching.
            0 if slot >= self.positions.len() && !new_watches => {}
            0 => {
                if slot >= self.positions.len() {
                    let len = fd_table_len(fd, self.positions.len(), slot + 1)?;
                    grow_table(&mut self.positions, len, 0)?;
                }
                self.changes.push(Change { fd, old, new });
                // Fits: at most one change per fd, and fds are below 2^31.
                self.positions[slot] = self.changes.len() as u32;
            }
            position => self.changes[position as usize - 1].new = new,
        }
        Ok(())
    }

    /// Hands out the batched changes, in the order of their first change, and
    /// forgets them.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, Change> {
        for change in &self.changes {
            self.positions[change.fd as usize] = 0;
        }
        self.changes.drain(..)
    }
}

impl Poll {
    /// Stops watching the fd whose entry is at `position`; the last entry moves there.
    fn remove(&mut self, slot: usize, position: usize) {
        self.fds.swap_remove(position);
        self.positions[slot] = 0;
        if let Some(moved) = self.fds.get(position) {
            // Watched fds are never negative.
            self.positions[moved.fd as usize] = position as u32 + 1;
        }
    }

    /// One poll call; returns how many entries have `revents` set.
    fn poll(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let (fds, count) = (self.fds.as_mut_ptr(), self.fds.len() as libc::nfds_t);

        #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
        let n = {
            let spec = crate::timespec(timeout);
            let spec_ptr = spec
                .as_ref()
                .map_or(std::ptr::null(), |s| s as *const libc::timespec);
            // SAFETY: `fds` points to `count` pollfds; `spec_ptr` is null or points to a
            // live timespec; a null signal mask leaves the mask alone.
            unsafe { libc::ppoll(fds, count, spec_ptr, std::ptr::null()) }
        };

        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
        let n = {
            let ms = match timeout {
                None => -1,
                // Rounded up: a timer must never look due before its time.
                Some(t) => t
                    .as_nanos()
                    .div_ceil(1_000_000)
                    .min(libc::c_int::MAX as u128) as libc::c_int,
            };
            // SAFETY: `fds` points to `count` pollfds.
            unsafe { libc::poll(fds, count, ms) }
        };

        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

impl Poller for Poll {
    const NAME: &'static str = "poll";
    // As libevent: early close wherever POLLRDHUP exists.
    const FEATURES: Features = if HAVE_RDHUP {
        Features::from_bits(Features::FDS.bits() | Features::EARLY_CLOSE.bits())
    } else {
        Features::FDS
    };

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Poll::default())
    }

    fn change(&mut self, fd: RawFd, _old: Interest, new: Interest) -> io::Result<()> {
        let slot = usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if new.contains(Interest::EDGE) || (new.contains(Interest::CLOSED) && !HAVE_RDHUP) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let events = poll_events(new);
        match self.positions.get(slot).copied().unwrap_or(0) {
            0 if events == 0 => {}
            0 => {
                if slot >= self.positions.len() {
                    let len = fd_table_len(fd, self.positions.len(), slot + 1)?;
                    grow_table(&mut self.positions, len, 0)?;
                }
                self.fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
                // Fits: at most one entry per fd, and fds are below 2^31.
                self.positions[slot] = self.fds.len() as u32;
            }
            position if events == 0 => self.remove(slot, position as usize - 1),
            position => self.fds[position as usize - 1].events = events,
        }
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let mut left = match self.poll(timeout) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in &self.fds {
            if left == 0 {
                break;
            }
            if entry.revents != 0 {
                left -= 1;
                on_ready(entry.fd, readiness(entry.revents));
            }
        }
        Ok(())
    }
}
