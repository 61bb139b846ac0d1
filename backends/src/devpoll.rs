//! Solaris and illumos /dev/poll: poll(4D) (poll(7D) on Solaris).
//!
//! Writing `pollfd`s to an open /dev/poll adds their events to what the driver caches
//! for each fd number: events are OR-ed into the cached ones, and only the special
//! `POLLREMOVE` entry takes them away, all of them. Watching an fd for fewer events is
//! therefore a `POLLREMOVE` followed by the remaining events. The `DP_POLL` ioctl waits
//! and returns the ready fds. The cache is keyed by fd number and outlives a close: a
//! closed fd reports `POLLNVAL` until removed, and a reused number is polled on
//! whatever file it now refers to, with the old events.
//!
//! As libevent does, changes are collected and written in one batch right before each
//! wait, folded to at most one removal and one addition per fd. A bad fd in the batch
//! does not fail the write (the driver caches it and reports `POLLNVAL`); a write that
//! fails for another reason is retried one fd at a time, so the good changes still take
//! effect.
//!
//! The poller makes its calls through [`DevpollSystem`]: `SystemDevpoll` on illumos
//! and Solaris, the simulation `crate::sim::devpoll::SimDevpoll` in this crate's tests
//! on Linux.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::flags::{poll_events, poll_readiness as readiness};
use crate::poll::{fd_table_len, grow_table};
use crate::{Features, Interest, Options, Poller, Readiness};

/// poll(2) event bits as illumos and Solaris define them (sys/poll.h). These have the
/// same values on Linux, where the simulation runs.
pub const POLLIN: i16 = 0x0001;
/// High-priority data readable.
pub const POLLPRI: i16 = 0x0002;
/// Writable.
pub const POLLOUT: i16 = 0x0004;
/// An error on the fd (reported even when not asked for).
pub const POLLERR: i16 = 0x0008;
/// Hung up (reported even when not asked for).
pub const POLLHUP: i16 = 0x0010;
/// Not an open fd.
pub const POLLNVAL: i16 = 0x0020;
/// As the whole `events` of a written entry: remove the fd from the cached set
/// (sys/poll.h of illumos and Solaris; not in the libc crate).
pub const POLLREMOVE: i16 = 0x0800;

// The shared poll-bit mapping (`crate::flags`) uses libc's values; they must agree.
const _: () = assert!(
    POLLIN == libc::POLLIN
        && POLLOUT == libc::POLLOUT
        && POLLERR == libc::POLLERR
        && POLLHUP == libc::POLLHUP
        && POLLNVAL == libc::POLLNVAL
);

/// Reports the first waits take; the buffer doubles whenever a wait fills it.
const INITIAL_EVENTS: usize = 32;
/// The buffer stops growing here; more ready fds just take more waits (the driver
/// resumes its scan where the last full one stopped, so none starves).
const MAX_EVENTS: usize = 4096;
/// Tries of one write interrupted by a signal before it counts as failed.
const WRITE_TRIES: usize = 8;

/// One `struct pollfd`, with the layout of the C one.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    /// The fd.
    pub fd: i32,
    /// Events asked for, or `POLLREMOVE`.
    pub events: i16,
    /// Events that happened (reports only).
    pub revents: i16,
}

/// The /dev/poll calls the poller makes.
pub trait DevpollSystem: Sized {
    /// open("/dev/poll", O_RDWR).
    fn open() -> io::Result<Self>;
    /// write(2) of `entries` to the device; returns the bytes written.
    fn write_pollfds(&mut self, entries: &[PollFd]) -> io::Result<usize>;
    /// ioctl(DP_POLL) with `dp_fds = results`, `dp_nfds = results.len()` and
    /// `dp_timeout = timeout_ms` (-1: no limit); returns how many of `results` were
    /// filled.
    fn dp_poll(&mut self, results: &mut [PollFd], timeout_ms: i32) -> io::Result<usize>;
}

#[derive(Clone, Copy, Debug, Default)]
struct FdState {
    /// The events the caller wants (0: not watched).
    wanted: i16,
    /// The events the driver caches for this fd, as far as this poller told it.
    told: i16,
    /// In `changed`.
    queued: bool,
    /// The last write of its change failed: reported ready, and tried again.
    refused: bool,
}

/// A poller on one /dev/poll handle.
#[derive(Debug)]
pub struct Devpoll<S: DevpollSystem> {
    system: S,
    /// Indexed by fd.
    fds: Vec<FdState>,
    /// Fds changed since the last wait, each once.
    changed: Vec<RawFd>,
    /// The batch written before a wait.
    batch: Vec<PollFd>,
    /// Fds whose change the driver refused, to report as ready.
    refused: Vec<RawFd>,
    /// Where the driver writes reports; its length is the most one wait returns.
    results: Vec<PollFd>,
}

/// The poller on the real system's /dev/poll.
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
pub type NativeDevpoll = Devpoll<SystemDevpoll>;

/// Appends the entries that take the driver's cache for `fd` from `told` to
/// `wanted`.
fn push_entries(batch: &mut Vec<PollFd>, fd: RawFd, told: i16, wanted: i16) {
    if told == wanted {
        return;
    }
    // Events are only ever OR-ed in: dropping any needs a removal first.
    if told & !wanted != 0 {
        batch.push(PollFd {
            fd,
            events: POLLREMOVE,
            revents: 0,
        });
    }
    if wanted != 0 {
        batch.push(PollFd {
            fd,
            events: wanted,
            revents: 0,
        });
    }
}

/// Writes all of `entries`, going on after a short write and retrying a write that a
/// signal interrupted.
fn write_all<S: DevpollSystem>(system: &mut S, mut entries: &[PollFd]) -> io::Result<()> {
    let mut interruptions = 0;
    while !entries.is_empty() {
        match system.write_pollfds(entries) {
            // Whole entries only: the driver takes none partly.
            Ok(bytes) => {
                let done = bytes / std::mem::size_of::<PollFd>();
                if done == 0 {
                    return Err(io::Error::from(io::ErrorKind::WriteZero));
                }
                entries = entries.get(done..).unwrap_or(&[]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted && interruptions < WRITE_TRIES => {
                interruptions += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The DP_POLL timeout: milliseconds, rounded up so a timer never looks due before its
/// time; -1 for no limit.
fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(t) => t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32,
    }
}

impl<S: DevpollSystem> Devpoll<S> {
    /// Writes the changes since the last wait.
    fn apply_changes(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        self.batch.clear();
        for &fd in &self.changed {
            let state = self.fds[fd as usize];
            push_entries(&mut self.batch, fd, state.told, state.wanted);
        }
        let all_written = write_all(&mut self.system, &self.batch).is_ok();
        for fd in self.changed.drain(..) {
            // Changed fds are below the table's length and not negative.
            let state = &mut self.fds[fd as usize];
            state.queued = false;
            state.refused = false;
            if all_written {
                state.told = state.wanted;
                continue;
            }
            // Part of the batch may have been applied: one fd at a time now, which
            // leaves the same cache whether or not its entries were applied before.
            self.batch.clear();
            push_entries(&mut self.batch, fd, state.told, state.wanted);
            if write_all(&mut self.system, &self.batch).is_ok() {
                state.told = state.wanted;
                continue;
            }
            // What the driver caches is unknown now: a removal first, whatever comes
            // next. The caller was told the change succeeded; like libevent this poller
            // cannot undo that, but unlike libevent it does not drop the change silently
            // (a watcher would wait forever): the fd reads as ready, so its watcher
            // tries it, and the change is tried again before the next wait.
            let removal = [PollFd {
                fd,
                events: POLLREMOVE,
                revents: 0,
            }];
            state.told = if write_all(&mut self.system, &removal).is_ok() {
                0
            } else {
                POLLIN | POLLOUT
            };
            if state.wanted != 0 {
                state.refused = true;
                self.refused.push(fd);
            }
        }
    }

    /// Queues `fd` (already in the table) for the next batch.
    fn queue(&mut self, fd: RawFd) {
        let state = &mut self.fds[fd as usize];
        if !state.queued {
            state.queued = true;
            self.changed.push(fd);
        }
    }
}

impl<S: DevpollSystem> Devpoll<S> {
    /// The system interface the poller calls (a simulation's state, in tests).
    pub fn system(&self) -> &S {
        &self.system
    }
}

impl<S: DevpollSystem> Poller for Devpoll<S> {
    const NAME: &'static str = "devpoll";
    // As libevent's devpoll.
    const FEATURES: Features = Features::from_bits(Features::FDS.bits() | Features::O1.bits());

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Devpoll {
            system: S::open()?,
            fds: Vec::new(),
            changed: Vec::new(),
            batch: Vec::new(),
            refused: Vec::new(),
            results: vec![PollFd::default(); INITIAL_EVENTS],
        })
    }

    fn change(&mut self, fd: RawFd, _old: Interest, new: Interest) -> io::Result<()> {
        let slot = usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if new.intersects(Interest::EDGE | Interest::CLOSED) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let wanted = poll_events(new);
        if slot >= self.fds.len() {
            if wanted == 0 {
                // Beyond the table, so never watched.
                return Ok(());
            }
            // The driver would cache a never-open fd silently; refused here as the
            // other pollers refuse it.
            let len = fd_table_len(fd, self.fds.len(), slot + 1)?;
            grow_table(&mut self.fds, len, FdState::default())?;
        }
        self.fds[slot].wanted = wanted;
        self.queue(fd);
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        // Refused fds from the last wait are tried again.
        for fd in std::mem::take(&mut self.refused) {
            self.queue(fd);
        }
        self.apply_changes();
        let timeout = if self.refused.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let n = match self.system.dp_poll(&mut self.results, timeout_ms(timeout)) {
            Ok(n) => n.min(self.results.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) if self.refused.is_empty() => return Err(e),
            Err(_) => 0,
        };
        for entry in &self.results[..n] {
            let Some(state) = usize::try_from(entry.fd)
                .ok()
                .and_then(|slot| self.fds.get(slot))
            else {
                continue;
            };
            if state.wanted == 0 || state.refused {
                // Not watched (a stale cache entry), or reported below.
                continue;
            }
            // Only what the caller asks for; the cache may hold more after a failure.
            let revents = entry.revents & (state.wanted | POLLERR | POLLHUP | POLLNVAL);
            if revents != 0 {
                on_ready(entry.fd, readiness(revents));
            }
        }
        for &fd in &self.refused {
            on_ready(fd, Readiness::READ | Readiness::WRITE);
        }
        let len = self.results.len();
        if n == len && len < MAX_EVENTS {
            self.results.resize(len * 2, PollFd::default());
        }
        Ok(())
    }
}

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
pub use system::SystemDevpoll;

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
mod system {
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd};

    use super::{DevpollSystem, PollFd};
    use crate::sys::{check, owned};

    /// `DP_POLL`: `(DPIOC | 1)` with `DPIOC = (0xD0 << 8)`, from illumos
    /// usr/src/uts/common/sys/devpoll.h (the same value on Solaris); not in the libc
    /// crate.
    const DP_POLL: libc::c_int = 0xD001;

    /// `struct dvpoll` of sys/devpoll.h. illumos adds a `dp_setp` member after these,
    /// read only by DP_PPOLL: DP_POLL copies in just the members up to it.
    #[repr(C)]
    struct DvPoll {
        dp_fds: *mut libc::pollfd,
        dp_nfds: libc::nfds_t,
        dp_timeout: libc::c_int,
    }

    // `PollFd` stands for `struct pollfd` in the calls.
    const _: () = assert!(std::mem::size_of::<PollFd>() == std::mem::size_of::<libc::pollfd>());
    const _: () = assert!(std::mem::align_of::<PollFd>() == std::mem::align_of::<libc::pollfd>());

    /// An open /dev/poll of the running kernel.
    #[derive(Debug)]
    pub struct SystemDevpoll {
        device: OwnedFd,
    }

    impl DevpollSystem for SystemDevpoll {
        fn open() -> io::Result<Self> {
            // SAFETY: the path is a NUL-terminated literal; the result is checked.
            let device = owned(unsafe {
                libc::open(c"/dev/poll".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC)
            })?;
            Ok(SystemDevpoll { device })
        }

        fn write_pollfds(&mut self, entries: &[PollFd]) -> io::Result<usize> {
            // pwrite at offset 0, as libevent does: some Solaris releases fail writes
            // once the device's offset has grown past 2 GB.
            // SAFETY: `entries` is readable for its whole length in bytes.
            let n = unsafe {
                libc::pwrite(
                    self.device.as_raw_fd(),
                    entries.as_ptr().cast::<libc::c_void>(),
                    std::mem::size_of_val(entries),
                    0,
                )
            };
            usize::try_from(n).map_err(|_| io::Error::last_os_error())
        }

        fn dp_poll(&mut self, results: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
            let mut request = DvPoll {
                dp_fds: results.as_mut_ptr().cast::<libc::pollfd>(),
                dp_nfds: results.len() as libc::nfds_t,
                dp_timeout: timeout_ms,
            };
            // SAFETY: `request` points to `results`, writable for `dp_nfds` pollfds of
            // the C layout (checked above), and lives through the call.
            let n = check(unsafe {
                libc::ioctl(
                    self.device.as_raw_fd(),
                    DP_POLL,
                    &mut request as *mut DvPoll,
                )
            })?;
            Ok(n as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(told: i16, wanted: i16) -> Vec<(i32, i16)> {
        let mut batch = Vec::new();
        push_entries(&mut batch, 7, told, wanted);
        batch.iter().map(|e| (e.fd, e.events)).collect()
    }

    #[test]
    fn fewer_events_take_a_removal_first() {
        assert_eq!(entries(0, POLLIN), [(7, POLLIN)]);
        assert_eq!(entries(POLLIN, POLLIN | POLLOUT), [(7, POLLIN | POLLOUT)]);
        assert_eq!(
            entries(POLLIN | POLLOUT, POLLOUT),
            [(7, POLLREMOVE), (7, POLLOUT)]
        );
        assert_eq!(entries(POLLIN, POLLOUT), [(7, POLLREMOVE), (7, POLLOUT)]);
        assert_eq!(entries(POLLIN, 0), [(7, POLLREMOVE)]);
        assert_eq!(entries(POLLIN, POLLIN), []);
    }

    #[test]
    fn reports_read_as_poll_does() {
        let read_write = Readiness::READ | Readiness::WRITE;
        assert_eq!(readiness(POLLIN), Readiness::READ);
        assert_eq!(readiness(POLLOUT), Readiness::WRITE);
        for bad in [POLLERR, POLLHUP, POLLNVAL] {
            assert_eq!(readiness(bad), read_write);
        }
    }

    #[test]
    fn timeouts_round_up_to_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1500))), 2);
        assert_eq!(timeout_ms(Some(Duration::MAX)), i32::MAX);
    }
}
