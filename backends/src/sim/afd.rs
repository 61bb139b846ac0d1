//! A simulated AFD driver and completion port behind [`crate::iocp::Afd`].
//!
//! What it keeps, as wepoll's and mio's accounts of `IOCTL_AFD_POLL` describe the
//! driver:
//! - every request in flight, each naming one socket (a Linux socket's fd number is its
//!   "handle" and its own base handle) and the `AFD_POLL_*` events it waits for. Two
//!   requests on one socket are both kept and both complete: AFD allows that;
//! - a request completes, once, when its socket has one of its events: with
//!   `STATUS_SUCCESS`, `NumberOfHandles` 1 and the events that happened (only those
//!   asked for) written into the request. A socket ready at submission completes at
//!   once; the completion is queued either way, as on a port without
//!   `FILE_SKIP_COMPLETION_PORT_ON_SUCCESS`;
//! - closing the socket completes its requests with `AFD_POLL_LOCAL_CLOSE`. A close is
//!   seen when the fd is no longer open, or when its number names another file than at
//!   submission (fstat's `st_dev`, `st_ino`);
//! - a cancelled request completes with `STATUS_CANCELLED` and no events; cancelling
//!   one that completed already answers `STATUS_NOT_FOUND` (`Ok(false)`);
//! - the port hands out completions in order, up to as many as asked, waiting at
//!   most the timeout for the first (`GetQueuedCompletionStatusEx`). Readiness is taken
//!   lazily, at each call, but every request whose socket is ready by then is
//!   completed before the port is read, as the kernel would have completed it already.
//!   A socket whose poll(2) flags show only events its request did not ask for is
//!   left out for the rest of that call (waiting on it would spin).
//!
//! How Linux readiness (poll(2) flags) reads as AFD events:
//! `POLLIN` -> `RECEIVE` (or `ACCEPT` on a listening socket; not at end of file with
//! nothing left to read), `POLLOUT` -> `SEND`, `POLLRDHUP` -> `DISCONNECT`, `POLLHUP` ->
//! `DISCONNECT | ABORT` (the connection is gone both ways), `POLLERR` -> `ABORT` on a
//! connected socket, `CONNECT_FAIL` on one whose connect failed.
//!
//! Errors are the host's: `EBADF` where Windows says the handle is invalid,
//! `ENOTSOCK` for a descriptor that is not a socket, `EINVAL` for a malformed request.
//! The request's timeout and exclusive flag are not modelled (the poller uses neither).

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::time::Duration;

use super::{deadline, is_open, poll_fds, readiness_now, remaining};
use crate::iocp::{
    AfdPollInfo, AfdSystem, Completion, PollRequest, AFD_POLL_ABORT, AFD_POLL_ACCEPT,
    AFD_POLL_CONNECT_FAIL, AFD_POLL_DISCONNECT, AFD_POLL_LOCAL_CLOSE, AFD_POLL_RECEIVE,
    AFD_POLL_SEND, STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS,
};
use crate::Fd;

/// A file's identity: (st_dev, st_ino).
type Identity = (u64, u64);

/// One request in flight.
#[derive(Debug)]
struct InFlight {
    request: NonNull<PollRequest>,
    fd: RawFd,
    identity: Identity,
    events: u32,
}

/// The simulated driver and port.
#[derive(Debug, Default)]
pub struct SimAfd {
    in_flight: Vec<InFlight>,
    port: VecDeque<Completion>,
    /// Requests submitted so far (for tests).
    pub submitted: usize,
    /// Cancellations that found their request in flight (for tests).
    pub cancelled: usize,
    /// The most requests ever in flight at once on one socket (for tests).
    pub most_per_socket: usize,
    /// Cancelled requests complete one `get_completions` call late, as a real
    /// cancellation completes asynchronously (for tests).
    pub delay_cancellations: bool,
    /// Completions held back by `delay_cancellations`, with the calls still to wait.
    held: Vec<(Completion, u8)>,
}

/// The identity of the file `fd` names, and whether it is a socket; `None` when `fd`
/// is not open.
fn identity(fd: RawFd) -> Option<(Identity, bool)> {
    if !is_open(fd) {
        return None;
    }
    // SAFETY: an all-zero stat is a valid out-parameter.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `stat` is writable; fstat validates `fd`.
    if unsafe { libc::fstat(fd, &mut stat) } != 0 {
        return None;
    }
    let is_socket = stat.st_mode & libc::S_IFMT == libc::S_IFSOCK;
    Some(((stat.st_dev, stat.st_ino), is_socket))
}

/// An integer socket option of `fd`, or `None`.
fn socket_option(fd: RawFd, name: libc::c_int) -> Option<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are writable and describe an int.
    let ret = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (ret == 0).then_some(value)
}

/// Whether `fd` has a peer (a connect that succeeded).
fn connected(fd: RawFd) -> bool {
    // SAFETY: an all-zero sockaddr_storage is a valid out-parameter.
    let mut address: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `address` and `len` are writable and describe the storage.
    unsafe {
        libc::getpeername(
            fd,
            (&mut address as *mut libc::sockaddr_storage).cast(),
            &mut len,
        ) == 0
    }
}

/// Bytes waiting to be read on `fd`.
fn bytes_waiting(fd: RawFd) -> libc::c_int {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to `count`.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) } != 0 {
        return 0;
    }
    count
}

/// The AFD events that poll(2)'s `revents` for socket `fd` amount to.
pub fn afd_events_of(fd: RawFd, revents: libc::c_short) -> u32 {
    let has = |flag: libc::c_short| revents & flag != 0;
    let mut events = 0;
    if has(libc::POLLNVAL) {
        return AFD_POLL_LOCAL_CLOSE;
    }
    if has(libc::POLLIN) {
        if socket_option(fd, libc::SO_ACCEPTCONN) == Some(1) {
            events |= AFD_POLL_ACCEPT;
        } else if !(has(libc::POLLRDHUP | libc::POLLHUP) && bytes_waiting(fd) == 0) {
            events |= AFD_POLL_RECEIVE;
        }
    }
    if has(libc::POLLOUT) {
        events |= AFD_POLL_SEND;
    }
    if has(libc::POLLRDHUP) {
        events |= AFD_POLL_DISCONNECT;
    }
    if has(libc::POLLHUP) {
        events |= AFD_POLL_DISCONNECT | AFD_POLL_ABORT;
    }
    if has(libc::POLLERR) {
        events |= if connected(fd) {
            AFD_POLL_ABORT
        } else {
            AFD_POLL_CONNECT_FAIL
        };
    }
    events
}

/// The poll(2) events that can show the AFD `events`.
fn poll_events_for(events: u32) -> libc::c_short {
    let mut flags = 0;
    if events & (AFD_POLL_RECEIVE | AFD_POLL_ACCEPT) != 0 {
        flags |= libc::POLLIN;
    }
    if events & AFD_POLL_SEND != 0 {
        flags |= libc::POLLOUT;
    }
    if events & AFD_POLL_DISCONNECT != 0 {
        flags |= libc::POLLRDHUP;
    }
    // POLLHUP, POLLERR and POLLNVAL come unasked.
    flags
}

impl SimAfd {
    /// How many requests are in flight (for tests); a request cancelled but not yet
    /// handed back counts.
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.len() + self.held.len()
    }

    /// How many completions wait in the port (for tests).
    pub fn queued_completions(&self) -> usize {
        self.port.len()
    }

    /// Ends the request at `index` of `in_flight` with `status` and `events`, and queues
    /// its completion.
    fn finish(&mut self, index: usize, status: i32, events: u32) {
        let done = self.in_flight.swap_remove(index);
        let request = done.request.as_ptr();
        let information = if status == STATUS_CANCELLED {
            0
        } else {
            size_of::<AfdPollInfo>()
        };
        // SAFETY: by `submit_poll`'s contract the request stays valid and untouched by
        // its owner until this completion is dequeued; the driver writes its answer
        // here, as the kernel does.
        unsafe {
            if status != STATUS_CANCELLED {
                (*request).info.number_of_handles = u32::from(events != 0);
                (*request).info.handles[0].events = events;
                (*request).info.handles[0].status = 0;
            }
            (*request).io_status.status = status;
            (*request).io_status.information = information;
        }
        let completion = Completion {
            key: 0,
            request: request.expose_provenance(),
            internal: 0,
            bytes: information as u32,
        };
        if status == STATUS_CANCELLED && self.delay_cancellations {
            self.held.push((completion, 1));
        } else {
            self.port.push_back(completion);
        }
    }

    /// Queues the held completions whose time has come.
    fn release_held(&mut self) {
        let mut index = 0;
        while let Some((completion, calls_left)) = self.held.get_mut(index) {
            if *calls_left == 0 {
                let completion = *completion;
                self.held.remove(index);
                self.port.push_back(completion);
            } else {
                *calls_left -= 1;
                index += 1;
            }
        }
    }

    /// Completes the requests whose socket was closed (or its number reused).
    fn notice_closes(&mut self) {
        let mut index = 0;
        while let Some(entry) = self.in_flight.get(index) {
            let same_file = identity(entry.fd).is_some_and(|(id, _)| id == entry.identity);
            if same_file {
                index += 1;
                continue;
            }
            let events = entry.events & AFD_POLL_LOCAL_CLOSE;
            self.finish(index, STATUS_SUCCESS, events);
        }
    }

    /// Completes the request at `index` if its socket has one of its events now;
    /// returns whether it did.
    fn complete_if_ready(&mut self, index: usize, revents: libc::c_short) -> bool {
        let Some(entry) = self.in_flight.get(index) else {
            return false;
        };
        let events = afd_events_of(entry.fd, revents) & entry.events;
        if events == 0 {
            return false;
        }
        self.finish(index, STATUS_SUCCESS, events);
        true
    }

    /// One poll(2) over the requests in flight (but `quiet` ones) for at most
    /// `timeout`; completes those whose socket has one of their events, and adds the
    /// others that poll(2) reported to `quiet`. Returns poll(2)'s count.
    fn complete_ready(
        &mut self,
        timeout: Option<Duration>,
        quiet: &mut Vec<NonNull<PollRequest>>,
    ) -> io::Result<usize> {
        let watched: Vec<usize> = (0..self.in_flight.len())
            .filter(|&i| !quiet.contains(&self.in_flight[i].request))
            .collect();
        let mut fds: Vec<libc::pollfd> = watched
            .iter()
            .map(|&i| libc::pollfd {
                fd: self.in_flight[i].fd,
                events: poll_events_for(self.in_flight[i].events),
                revents: 0,
            })
            .collect();
        let n = poll_fds(&mut fds, timeout)?;
        // Highest index first, so that completing one does not move the others.
        let mut ready: Vec<(usize, libc::c_short)> = watched
            .iter()
            .zip(&fds)
            .filter(|(_, pfd)| pfd.revents != 0)
            .map(|(&i, pfd)| (i, pfd.revents))
            .collect();
        ready.sort_by_key(|&(index, _)| std::cmp::Reverse(index));
        for (index, revents) in ready {
            let request = self.in_flight[index].request;
            if !self.complete_if_ready(index, revents) {
                quiet.push(request);
            }
        }
        Ok(n)
    }

    fn index_of(&self, request: NonNull<PollRequest>) -> Option<usize> {
        self.in_flight
            .iter()
            .position(|entry| entry.request == request)
    }
}

impl AfdSystem for SimAfd {
    fn open() -> io::Result<Self> {
        Ok(SimAfd::default())
    }

    fn base_handle(&mut self, socket: Fd) -> io::Result<usize> {
        match identity(socket) {
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
            Some((_, false)) => Err(io::Error::from_raw_os_error(libc::ENOTSOCK)),
            Some((_, true)) => {
                usize::try_from(socket).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))
            }
        }
    }

    unsafe fn submit_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<()> {
        self.notice_closes();
        // SAFETY: the caller hands over a valid request; reading it before it is in
        // flight races with nothing.
        let info = unsafe { (*request.as_ptr()).info };
        if info.number_of_handles != 1 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let handle = info.handles[0].handle;
        let fd = RawFd::try_from(handle).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
        let (identity, is_socket) =
            identity(fd).ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))?;
        if !is_socket {
            return Err(io::Error::from_raw_os_error(libc::ENOTSOCK));
        }
        // SAFETY: as above; the request is the driver's from here on.
        unsafe { (*request.as_ptr()).io_status.status = STATUS_PENDING };
        self.in_flight.push(InFlight {
            request,
            fd,
            identity,
            events: info.handles[0].events,
        });
        self.submitted += 1;
        let on_socket = self.in_flight.iter().filter(|entry| entry.fd == fd).count();
        self.most_per_socket = self.most_per_socket.max(on_socket);
        let index = self.in_flight.len() - 1;
        self.complete_if_ready(index, readiness_now(fd));
        Ok(())
    }

    unsafe fn cancel_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<bool> {
        self.notice_closes();
        let Some(index) = self.index_of(request) else {
            return Ok(false);
        };
        self.cancelled += 1;
        self.finish(index, STATUS_CANCELLED, 0);
        Ok(true)
    }

    fn get_completions(
        &mut self,
        entries: &mut [Completion],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        if entries.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let deadline = deadline(timeout);
        self.release_held();
        // Sockets whose poll(2) flags show nothing their request asked for: left out
        // of the rest of this wait, which would otherwise spin on them.
        let mut quiet: Vec<NonNull<PollRequest>> = Vec::new();
        loop {
            // The kernel completes a request the moment its event happens, so every
            // request whose socket is ready by now is in the port already.
            self.notice_closes();
            self.complete_ready(Some(Duration::ZERO), &mut quiet)?;
            if !self.port.is_empty() {
                let mut taken = 0;
                for entry in entries.iter_mut() {
                    let Some(completion) = self.port.pop_front() else {
                        break;
                    };
                    *entry = completion;
                    taken += 1;
                }
                return Ok(taken);
            }
            // Nothing by the deadline (or a signal came): the port had nothing to give.
            if self.complete_ready(remaining(deadline), &mut quiet)? == 0 {
                return Ok(0);
            }
        }
    }

    fn is_closed_handle(err: &io::Error) -> bool {
        err.raw_os_error() == Some(libc::EBADF)
    }
}
