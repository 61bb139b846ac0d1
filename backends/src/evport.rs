//! illumos and Solaris event ports: port_create(3C), port_associate(3C), port_getn(3C).
//!
//! A file descriptor is *associated* with the port for some poll(2) events; the kernel
//! queues one event when the fd first shows one of them (at once if it already does),
//! carrying the events ready at that moment, and retrieving that event ends the
//! association. So that the caller sees levels, as with poll, every fd a wait reported
//! is associated again right before the next wait if it is still watched: an fd that is
//! still ready fires again at once. Changes are held until then too (see
//! `apply_changes`). Closing an fd ends its association, so a dissociation may meet an
//! association that is already gone (EBADFD: closed; ENOENT: closed and the number
//! reused), which is not an error here.
//!
//! The poller makes its calls through [`PortSystem`]: `SystemPort` on illumos and
//! Solaris, the simulation `crate::sim::evport::SimPort` in this crate's tests on Linux.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::flags;
use crate::poll::{fd_table_len, grow_table};
use crate::{Features, Interest, Options, Poller, Readiness};

/// poll(2) event bits as illumos and Solaris define them (sys/poll.h). These have the
/// same values on Linux, where the simulation runs.
pub const POLLIN: i32 = 0x0001;
/// High-priority data readable.
pub const POLLPRI: i32 = 0x0002;
/// Writable.
pub const POLLOUT: i32 = 0x0004;
/// An error on the fd (reported even when not asked for).
pub const POLLERR: i32 = 0x0008;
/// Hung up (reported even when not asked for).
pub const POLLHUP: i32 = 0x0010;
/// Not an open fd.
pub const POLLNVAL: i32 = 0x0020;
/// `portev_source` of fd events (sys/port.h).
pub const PORT_SOURCE_FD: u16 = 4;

// The shared poll-bit mapping (`crate::flags`) uses libc's values; they must agree.
const _: () = assert!(
    POLLIN == libc::POLLIN as i32
        && POLLOUT == libc::POLLOUT as i32
        && POLLERR == libc::POLLERR as i32
        && POLLHUP == libc::POLLHUP as i32
        && POLLNVAL == libc::POLLNVAL as i32
);

/// Reports the first waits take; the buffer doubles whenever a wait fills it.
const INITIAL_EVENTS: usize = 8;
/// The buffer stops growing here; more ready fds just take more waits.
const MAX_EVENTS: usize = 4096;
/// Longest single wait. Waking after 24 days with nothing to report just makes the
/// caller wait again, and the kernel never meets a timespec it might overflow.
const MAX_WAIT: Duration = Duration::from_millis(i32::MAX as u64);

/// One retrieved event: `port_event_t`'s layout with portable types (`portev_user`
/// as an integer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortEvent {
    /// The poll events that fired (`portev_events`).
    pub events: i32,
    /// `PORT_SOURCE_FD` for fds (`portev_source`).
    pub source: u16,
    /// `portev_pad`.
    pub pad: u16,
    /// The fd (`portev_object`).
    pub object: usize,
    /// The value given to the association (`portev_user`).
    pub user: usize,
}

/// The event-port calls the poller makes, on PORT_SOURCE_FD objects only.
pub trait PortSystem: Sized {
    /// port_create().
    fn create() -> io::Result<Self>;
    /// port_associate(port, PORT_SOURCE_FD, fd, events, user): associates `fd`, or
    /// replaces the events and user of its association.
    fn associate(&mut self, fd: RawFd, events: i32, user: usize) -> io::Result<()>;
    /// port_dissociate(port, PORT_SOURCE_FD, fd).
    fn dissociate(&mut self, fd: RawFd) -> io::Result<()>;
    /// port_getn(port, list, list.len(), nget, timeout): waits until `*nget` events
    /// are queued or `timeout` passes (`None`: no limit), then retrieves up to
    /// `list.len()` of them and sets `*nget` to how many. Fails with ETIME on timeout,
    /// where `*nget` events may have been retrieved all the same.
    fn getn(
        &mut self,
        list: &mut [PortEvent],
        nget: &mut u32,
        timeout: Option<Duration>,
    ) -> io::Result<()>;
}

/// Where an fd's association stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Association {
    /// None: not watched, or the kernel refused or dropped it.
    #[default]
    Idle,
    /// Associated with the port, its event not retrieved yet.
    Armed,
    /// Its event was retrieved by the last wait, which ended the association.
    Spent,
}

#[derive(Clone, Copy, Debug, Default)]
struct FdState {
    /// The poll events the caller wants (0: not watched).
    wanted: i32,
    association: Association,
    /// In `dirty`.
    dirty: bool,
}

/// A poller on one event port.
#[derive(Debug)]
pub struct Evport<S: PortSystem> {
    system: S,
    /// Indexed by fd.
    fds: Vec<FdState>,
    /// Fds to associate (or dissociate) before the next wait: changed ones, and the
    /// ones the last wait reported.
    dirty: Vec<RawFd>,
    /// Fds whose association failed for a reason other than a close; reported ready
    /// and tried again before the next wait.
    refused: Vec<RawFd>,
    /// Where the kernel writes reports; its length is the most one wait returns.
    events: Vec<PortEvent>,
}

/// The poller on the real system's event ports.
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
pub type NativeEvport = Evport<SystemPort>;

/// The poll events asking for `interest`, as the port takes them.
fn poll_events(interest: Interest) -> i32 {
    i32::from(flags::poll_events(interest))
}

/// What the kernel's `portev_events` mean to the caller: only the low poll bits count.
fn readiness(events: i32) -> Readiness {
    flags::poll_readiness(events as i16)
}

fn errno(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(0)
}

/// True for the errors that say the fd was closed, which ended its association.
fn closed(err: &io::Error) -> bool {
    matches!(errno(err), libc::EBADFD | libc::EBADF)
}

/// `Ok` when `fd` is open, else the error (EBADF).
fn ensure_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD takes no argument and accepts any fd number.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl<S: PortSystem> Evport<S> {
    /// Queues `fd` (in the table) for the next wait.
    fn mark_dirty(&mut self, fd: RawFd) {
        let state = &mut self.fds[fd as usize];
        if !state.dirty {
            state.dirty = true;
            self.dirty.push(fd);
        }
    }

    /// Associates or dissociates every dirty fd.
    ///
    /// Done right before the wait, not at each change: an association fires with the
    /// events ready when it is made, so one made at the wait reports what is ready
    /// then, as a level-triggered poller would, and changes that cancel out cost no
    /// call at all.
    fn apply_changes(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for &fd in &dirty {
            // Dirty fds are below the table's length and not negative.
            let state = &mut self.fds[fd as usize];
            state.dirty = false;
            if state.wanted == 0 {
                if state.association == Association::Armed {
                    // Errors change nothing: EBADFD and ENOENT say the close of the fd
                    // ended the association already, and an event of an association
                    // that somehow survived is not reported for an unwatched fd.
                    let _ = self.system.dissociate(fd);
                }
                state.association = Association::Idle;
                continue;
            }
            // Also when associated already: the new association replaces the old one,
            // and attaches to the file now open under `fd` if the old one was closed.
            match self.system.associate(fd, state.wanted, fd as usize) {
                Ok(()) => state.association = Association::Armed,
                Err(e) => {
                    state.association = Association::Idle;
                    // Closed: the caller hears it from the fd itself when it next uses
                    // it, as epoll's callers do; nothing is left to watch. Anything else
                    // (the port's association limit, memory): libevent drops the fd
                    // silently, which leaves its watcher waiting forever. Here it reads
                    // as ready, so the watcher tries it, and the association is tried
                    // again before every wait until it holds.
                    if !closed(&e) {
                        self.refused.push(fd);
                    }
                }
            }
        }
        // Keeps the allocation.
        self.dirty = dirty;
        self.dirty.clear();
    }

    /// Applies the changes, waits, and returns how many reports lead `events`.
    fn wait_events(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.apply_changes();
        // With refused fds to report, only collect what is ready now.
        let timeout = if self.refused.is_empty() {
            timeout.map(|t| t.min(MAX_WAIT))
        } else {
            Some(Duration::ZERO)
        };
        let mut nget = 1;
        match self.system.getn(&mut self.events, &mut nget, timeout) {
            Ok(()) => {}
            // A timeout or a signal: whatever was retrieved is still reported, since its
            // association is gone.
            Err(e) if matches!(errno(&e), libc::ETIME | libc::EINTR | libc::EAGAIN) => {}
            Err(e) if self.refused.is_empty() => return Err(e),
            // The refused fds are reported all the same.
            Err(_) => nget = 0,
        }
        Ok((nget as usize).min(self.events.len()))
    }

    /// Reports the retrieved events and the refused fds.
    fn report<F: FnMut(RawFd, Readiness)>(&mut self, n: usize, mut on_ready: F) {
        for i in 0..n {
            let event = self.events[i];
            let Ok(fd) = RawFd::try_from(event.object) else {
                continue;
            };
            let Some(state) = self.fds.get_mut(event.object) else {
                continue;
            };
            if state.association != Association::Armed || event.source != PORT_SOURCE_FD {
                // Not watched: only associated fds have events.
                continue;
            }
            state.association = Association::Spent;
            // Associated again before the next wait, if still watched then.
            self.mark_dirty(fd);
            on_ready(fd, readiness(event.events));
        }
        for fd in std::mem::take(&mut self.refused) {
            self.mark_dirty(fd);
            on_ready(fd, Readiness::READ | Readiness::WRITE);
        }
        let len = self.events.len();
        if n == len && len < MAX_EVENTS {
            self.events.resize(len * 2, PortEvent::default());
        }
    }
}

impl<S: PortSystem> Evport<S> {
    /// The system interface the poller calls (a simulation's state, in tests).
    pub fn system(&self) -> &S {
        &self.system
    }
}

impl<S: PortSystem> Poller for Evport<S> {
    const NAME: &'static str = "evport";
    // As libevent's evport: no features claimed.
    const FEATURES: Features = Features::NONE;

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Evport {
            system: S::create()?,
            fds: Vec::new(),
            dirty: Vec::new(),
            refused: Vec::new(),
            events: vec![PortEvent::default(); INITIAL_EVENTS],
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
            // Refused at once when not open (EBADF), without a table sized for it.
            let len = fd_table_len(fd, self.fds.len(), slot + 1)?;
            grow_table(&mut self.fds, len, FdState::default())?;
        } else if wanted != 0 && self.fds[slot].association == Association::Idle {
            // A new watch is associated only at the wait, where a closed fd would be
            // dropped quietly: refused now instead, as libevent's immediate
            // association refuses it.
            ensure_open(fd)?;
        }
        self.fds[slot].wanted = wanted;
        self.mark_dirty(fd);
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()> {
        let n = self.wait_events(timeout)?;
        self.report(n, on_ready);
        Ok(())
    }
}

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
pub use system::SystemPort;

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
mod system {
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd, RawFd};
    use std::time::Duration;

    use super::{PortEvent, PortSystem};
    use crate::sys::{check, owned};

    // `PortEvent` stands for `port_event_t` in the calls.
    const _: () =
        assert!(std::mem::size_of::<PortEvent>() == std::mem::size_of::<libc::port_event>());
    const _: () =
        assert!(std::mem::align_of::<PortEvent>() == std::mem::align_of::<libc::port_event>());

    /// An event port of the running kernel.
    #[derive(Debug)]
    pub struct SystemPort {
        port: OwnedFd,
    }

    impl PortSystem for SystemPort {
        fn create() -> io::Result<Self> {
            // SAFETY: no arguments; the result is checked.
            let port = owned(unsafe { libc::port_create() })?;
            // port_create has no close-on-exec flag: set it before anything can exec.
            // SAFETY: fcntl on a descriptor we own, with integer arguments.
            check(unsafe { libc::fcntl(port.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
            Ok(SystemPort { port })
        }

        fn associate(&mut self, fd: RawFd, events: i32, user: usize) -> io::Result<()> {
            // SAFETY: integer arguments; `user` is handed back, never dereferenced.
            check(unsafe {
                libc::port_associate(
                    self.port.as_raw_fd(),
                    libc::PORT_SOURCE_FD,
                    fd as libc::uintptr_t,
                    events,
                    user as *mut libc::c_void,
                )
            })
            .map(drop)
        }

        fn dissociate(&mut self, fd: RawFd) -> io::Result<()> {
            // SAFETY: integer arguments.
            check(unsafe {
                libc::port_dissociate(
                    self.port.as_raw_fd(),
                    libc::PORT_SOURCE_FD,
                    fd as libc::uintptr_t,
                )
            })
            .map(drop)
        }

        fn getn(
            &mut self,
            list: &mut [PortEvent],
            nget: &mut u32,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            let mut spec = crate::timespec(timeout);
            let spec_ptr = spec
                .as_mut()
                .map_or(std::ptr::null_mut(), |s| s as *mut libc::timespec);
            let max = u32::try_from(list.len()).unwrap_or(u32::MAX);
            // SAFETY: `list` has room for `max` events of port_event_t's layout (checked
            // above); `nget` and `spec_ptr` (null or a live timespec) are valid for the
            // call.
            check(unsafe {
                libc::port_getn(
                    self.port.as_raw_fd(),
                    list.as_mut_ptr().cast::<libc::port_event>(),
                    max,
                    nget,
                    spec_ptr,
                )
            })
            .map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_as_libevent_does() {
        let read_write = Readiness::READ | Readiness::WRITE;
        assert_eq!(readiness(POLLIN), Readiness::READ);
        assert_eq!(readiness(POLLOUT), Readiness::WRITE);
        assert_eq!(readiness(POLLIN | POLLOUT), read_write);
        for bad in [POLLERR, POLLHUP, POLLNVAL] {
            assert_eq!(readiness(bad), read_write);
        }
    }

    #[test]
    fn events_ask_for_the_interest() {
        assert_eq!(
            poll_events(Interest::READ | Interest::WRITE),
            POLLIN | POLLOUT
        );
        assert_eq!(poll_events(Interest::NONE), 0);
    }
}
