//! A simulated event port, following illumos port_create(3C), port_associate(3C) and
//! port_get(3C) for PORT_SOURCE_FD objects.
//!
//! - An association records the poll events asked for, the user value and the file's
//!   identity (device, inode). Associating an fd that is associated already replaces
//!   its events and user value (and withdraws an event queued but not retrieved, as
//!   the association is polled anew).
//! - "At most one event notification will be generated per associated file
//!   descriptor": at once if the fd already shows an asked-for event when associated,
//!   otherwise when it first does. Errors, hang-ups and POLLNVAL fire whatever was
//!   asked, as in poll(2).
//! - "When an event for a PORT_SOURCE_FD object is retrieved, the object no longer has
//!   an association with the port."
//! - Closing an fd ends its association, with any event queued for it. A close is seen
//!   at the next call through the recorded identity; a close followed by a reopen of
//!   the *same* file under the same number cannot be told apart and keeps the
//!   association (the kernel would have dropped it).
//! - Errors: EBADFD for an fd that is not open (associate and dissociate), ENOENT for
//!   dissociating an fd without an association, EINVAL from port_getn when
//!   `*nget > max > 0`, ETIME when the timeout passes before `*nget` events are queued
//!   (with the queued ones retrieved all the same, up to `max`), EINTR on a signal
//!   (nothing retrieved).
//! - port_getn with `max == 0` sets `*nget` to the number of queued events and
//!   retrieves none; with `*nget == 0` it returns what is queued, up to `max`, without
//!   waiting.
//!
//! Only POLLIN, POLLPRI and POLLOUT are watched (their values are the same on Linux);
//! other asked-for bits are ignored.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::evport::{
    PortEvent, PortSystem, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, PORT_SOURCE_FD,
};
use crate::sim::{
    deadline, file_identity, is_open, poll_fds, poll_fds_interruptible, readiness_now, remaining,
};

/// The poll events the simulation watches.
const WATCHABLE: i32 = POLLIN | POLLPRI | POLLOUT;
/// The events poll(2) reports unasked.
const ALWAYS: i32 = POLLERR | POLLHUP | POLLNVAL;

#[derive(Clone, Copy, Debug)]
struct Association {
    events: i32,
    user: usize,
    identity: (u64, u64),
    /// Its event is queued, waiting to be retrieved.
    fired: bool,
}

/// The simulated kernel state of one event port.
#[derive(Debug, Default)]
pub struct SimPort {
    associations: HashMap<RawFd, Association>,
    /// Fired events, oldest first.
    queue: VecDeque<PortEvent>,
}

fn error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

impl SimPort {
    /// The number of associations (fired or not), for tests.
    pub fn associations(&self) -> usize {
        self.associations.len()
    }

    /// Queues the event of `fd`'s association, which fired with `events`.
    fn fire(&mut self, fd: RawFd, events: i32) {
        let Some(association) = self.associations.get_mut(&fd) else {
            return;
        };
        association.fired = true;
        self.queue.push_back(PortEvent {
            events,
            source: PORT_SOURCE_FD,
            pad: 0,
            object: fd as usize,
            user: association.user,
        });
    }

    /// Drops the association of `fd` and its queued event.
    fn drop_association(&mut self, fd: RawFd) {
        if self.associations.remove(&fd).is_some() {
            self.queue.retain(|event| event.object != fd as usize);
        }
    }

    /// Ends the associations of fds closed since they were made.
    fn forget_closed(&mut self) {
        let closed: Vec<RawFd> = self
            .associations
            .iter()
            .filter(|(&fd, association)| file_identity(fd) != Some(association.identity))
            .map(|(&fd, _)| fd)
            .collect();
        for fd in closed {
            self.drop_association(fd);
        }
    }

    /// Polls the associations whose event has not fired, for at most `timeout`;
    /// queues an event for each that fired. EINTR only with `interruptible`.
    fn poll_armed(&mut self, timeout: Option<Duration>, interruptible: bool) -> io::Result<()> {
        let mut fds: Vec<libc::pollfd> = self
            .associations
            .iter()
            .filter(|(_, association)| !association.fired)
            .map(|(&fd, association)| libc::pollfd {
                fd,
                events: (association.events & WATCHABLE) as libc::c_short,
                revents: 0,
            })
            .collect();
        // Oldest fd first, so that events queue in a stable order.
        fds.sort_by_key(|entry| entry.fd);
        let ready = if interruptible {
            poll_fds_interruptible(&mut fds, timeout)?
        } else {
            poll_fds(&mut fds, timeout)?
        };
        if ready == 0 {
            return Ok(());
        }
        for entry in fds {
            let revents = i32::from(entry.revents);
            if revents & POLLNVAL != 0 {
                // Closed between the identity check and the poll: the kernel would
                // have ended the association.
                self.drop_association(entry.fd);
                continue;
            }
            let Some(association) = self.associations.get(&entry.fd) else {
                continue;
            };
            let fired = revents & ((association.events & WATCHABLE) | ALWAYS);
            if fired != 0 {
                self.fire(entry.fd, fired);
            }
        }
        Ok(())
    }

    /// Moves up to `list.len()` queued events into `list`, ending their associations.
    fn retrieve(&mut self, list: &mut [PortEvent]) -> u32 {
        let mut count = 0;
        for slot in list.iter_mut() {
            let Some(event) = self.queue.pop_front() else {
                break;
            };
            self.associations.remove(&(event.object as RawFd));
            *slot = event;
            count += 1;
        }
        count
    }
}

impl PortSystem for SimPort {
    fn create() -> io::Result<Self> {
        Ok(SimPort::default())
    }

    fn associate(&mut self, fd: RawFd, events: i32, user: usize) -> io::Result<()> {
        self.forget_closed();
        if !is_open(fd) {
            return Err(error(libc::EBADFD));
        }
        let identity = file_identity(fd).ok_or_else(|| error(libc::EBADFD))?;
        // Replaces any association, withdrawing its queued event.
        self.drop_association(fd);
        // Already showing an asked-for event: it fires now.
        let fired = i32::from(readiness_now(fd)) & ((events & WATCHABLE) | ALWAYS);
        self.associations.insert(
            fd,
            Association {
                events,
                user,
                identity,
                fired: false,
            },
        );
        if fired != 0 {
            self.fire(fd, fired);
        }
        Ok(())
    }

    fn dissociate(&mut self, fd: RawFd) -> io::Result<()> {
        self.forget_closed();
        if !is_open(fd) {
            return Err(error(libc::EBADFD));
        }
        if !self.associations.contains_key(&fd) {
            return Err(error(libc::ENOENT));
        }
        self.drop_association(fd);
        Ok(())
    }

    fn getn(
        &mut self,
        list: &mut [PortEvent],
        nget: &mut u32,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let max = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let wanted = *nget;
        if max > 0 && wanted > max {
            return Err(error(libc::EINVAL));
        }
        *nget = 0;
        self.forget_closed();
        self.poll_armed(Some(Duration::ZERO), false)?;
        if max == 0 {
            // Only counts.
            *nget = self.queue.len().try_into().unwrap_or(u32::MAX);
            return Ok(());
        }
        let deadline = deadline(timeout);
        loop {
            if self.queue.len() >= wanted as usize {
                *nget = self.retrieve(list);
                return Ok(());
            }
            let left = remaining(deadline);
            if left == Some(Duration::ZERO) {
                *nget = self.retrieve(list);
                return Err(error(libc::ETIME));
            }
            // Sleeps until an armed fd fires (or, with none, until the time is up).
            self.poll_armed(left, true)?;
            self.forget_closed();
        }
    }
}
