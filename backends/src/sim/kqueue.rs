//! A kqueue on Linux, as FreeBSD's kqueue(2) describes it, behind
//! [`KqueueSystem`](crate::kqueue::KqueueSystem).
//!
//! Notes ("knotes") are keyed by (ident, filter); only `EVFILT_READ` and
//! `EVFILT_WRITE` on fds exist here. Changes:
//!
//! - `EV_ADD` makes a note, or updates the existing one's fflags, data and udata
//!   (its `EV_CLEAR` / `EV_ONESHOT` / `EV_DISPATCH` stay as made, as FreeBSD's kernel
//!   keeps them) and evaluates it again; it enables the note unless `EV_DISABLE` is
//!   given. The write filter of a pipe whose reader is gone is refused with `EPIPE`.
//! - `EV_DELETE` removes the note: `ENOENT` when there is none.
//! - `EV_ENABLE` / `EV_DISABLE` let a kept note report or not.
//! - An ident that is not an open fd: `EBADF`, for every action.
//! - A change that fails, or any change with `EV_RECEIPT`, becomes an entry of the
//!   eventlist with `EV_ERROR` in flags and the errno (or 0) in data, and the call then
//!   returns those entries without waiting or draining events. With no room left for
//!   an error the call fails with it and the changes after it are not applied (FreeBSD
//!   stops there; so does a receipt of success with no room, which the page leaves
//!   open).
//!
//! Reports: a level note reports while its condition holds; an `EV_CLEAR` note once
//! per new event (its state is reset when retrieved); `EV_ONESHOT` deletes the note
//! after its report, `EV_DISPATCH` disables it. `EV_EOF` is set when the peer hung up
//! or stopped sending (read) or can no longer take data (write); data is the bytes to
//! read (FIONREAD) or the room to write.
//!
//! Readiness comes from the real fds through poll(2). Edges come from the real kernel
//! too: each `EV_CLEAR` note is also registered, edge-triggered, in a private epoll
//! instance per direction, whose reports stand for the knote activations of a BSD
//! kernel (any new data, any freed room); files epoll refuses (regular files) count an
//! edge whenever their observed state changes.
//!
//! A closed fd loses its notes, as on a BSD. The simulation notices at each call: each
//! note recorded its file's (st_dev, st_ino) when made, and a note whose fd is closed
//! or now names another file is dropped first. (A number closed and then opened again
//! on the same file between two calls cannot be noticed; the note then lives on.)

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::kqueue::{
    KEvent, KqueueSystem, EVFILT_READ, EVFILT_WRITE, EV_ADD, EV_CLEAR, EV_DELETE, EV_DISABLE,
    EV_DISPATCH, EV_ENABLE, EV_EOF, EV_ERROR, EV_ONESHOT, EV_RECEIPT,
};
use crate::sim;

/// The flags a note keeps from the change that made it.
const KEPT_FLAGS: u16 = EV_CLEAR | EV_ONESHOT | EV_DISPATCH;

/// A simulated kernel queue.
#[derive(Debug)]
pub struct SimKqueue {
    notes: BTreeMap<(usize, i16), Knote>,
    /// Edge sources for `EV_CLEAR` notes: epoll instances, edge-triggered, one for
    /// reads and one for writes; each registration's data is its note's `serial`.
    read_edges: OwnedFd,
    write_edges: OwnedFd,
    /// The next note's serial number.
    next_serial: u64,
    /// Tests: the errno that making a note of this filter fails with.
    refused: Option<(i16, i32)>,
}

#[derive(Debug)]
struct Knote {
    /// `KEPT_FLAGS` of the change that made it.
    flags: u16,
    fflags: u32,
    data: i64,
    udata: usize,
    enabled: bool,
    /// (st_dev, st_ino) of the file when the note was made.
    file: (u64, u64),
    /// The file is a pipe or FIFO.
    fifo: bool,
    /// Tells this note's edge reports from those of an older note.
    serial: u64,
    /// `EV_CLEAR`: registered in the edge epoll (false: regular files and the like).
    edge_source: bool,
    /// `EV_CLEAR`: an event happened since the last report.
    armed: bool,
    /// `EV_CLEAR` without an edge source: the state last reported.
    last_reported: Option<State>,
}

/// A note's condition, as observed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    active: bool,
    eof: bool,
    data: i64,
}

fn epoll_instance() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; the result is checked before use.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn epoll_ctl(epfd: RawFd, op: libc::c_int, fd: RawFd, events: libc::c_int, serial: u64) -> bool {
    let mut event = libc::epoll_event {
        events: events as u32,
        u64: serial,
    };
    // SAFETY: `event` is a valid epoll_event that lives through the call.
    unsafe { libc::epoll_ctl(epfd, op, fd, &mut event) == 0 }
}

/// One ioctl that reads an int; `None` when the file does not answer it.
fn ioctl_int(fd: RawFd, request: libc::c_ulong) -> Option<i64> {
    let mut value: libc::c_int = 0;
    // SAFETY: these requests write one int to the pointer, which is live and writable.
    (unsafe { libc::ioctl(fd, request as _, &mut value) } == 0).then_some(i64::from(value))
}

/// Room to write into `fd`: a pipe's free buffer, a socket's free send buffer.
fn write_room(fd: RawFd, fifo: bool) -> i64 {
    if fifo {
        // SAFETY: F_GETPIPE_SZ takes no argument.
        let size = unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) };
        let used = ioctl_int(fd, libc::FIONREAD).unwrap_or(0);
        return (i64::from(size) - used).max(0);
    }
    let mut size: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: SO_SNDBUF writes one int; `size` and `len` are live and writable.
    let is_socket = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&mut size as *mut libc::c_int).cast(),
            &mut len,
        )
    } == 0;
    if !is_socket {
        return 0;
    }
    let queued = ioctl_int(fd, libc::TIOCOUTQ).unwrap_or(0);
    (i64::from(size) - queued).max(0)
}

/// The condition of a note of `filter` on `fd`, whose poll(2) events are `revents`.
fn observe(fd: RawFd, filter: i16, fifo: bool, revents: libc::c_short) -> State {
    let has = |bits: libc::c_short| revents & bits != 0;
    if filter == EVFILT_READ {
        let eof = has(libc::POLLRDHUP | libc::POLLHUP);
        State {
            active: has(libc::POLLIN | libc::POLLERR) || eof,
            eof,
            data: ioctl_int(fd, libc::FIONREAD).unwrap_or(0),
        }
    } else {
        // A widowed pipe says POLLERR on Linux; a BSD sets EV_EOF.
        let eof = has(libc::POLLHUP) || (fifo && has(libc::POLLERR));
        State {
            active: has(libc::POLLOUT | libc::POLLERR) || eof,
            eof,
            data: write_room(fd, fifo),
        }
    }
}

/// poll(2) events that wait for a note of `filter`.
fn poll_events(filter: i16) -> libc::c_short {
    if filter == EVFILT_READ {
        libc::POLLIN | libc::POLLRDHUP
    } else {
        libc::POLLOUT
    }
}

impl SimKqueue {
    /// Whether a note for (fd, filter) exists.
    pub fn has_note(&self, fd: RawFd, filter: i16) -> bool {
        self.notes.contains_key(&(fd as usize, filter))
    }

    /// How many notes exist.
    pub fn note_count(&self) -> usize {
        self.notes.len()
    }

    /// Makes every `EV_ADD` that would make a note of `filter` fail with `errno`, as a
    /// kernel out of memory does (ENOMEM); `None` stops it.
    pub fn refuse_new_notes(&mut self, refusal: Option<(i16, i32)>) {
        self.refused = refusal;
    }

    fn edges_for(&self, filter: i16) -> RawFd {
        if filter == EVFILT_READ {
            self.read_edges.as_raw_fd()
        } else {
            self.write_edges.as_raw_fd()
        }
    }

    fn remove_note(&mut self, key: (usize, i16)) {
        if let Some(note) = self.notes.remove(&key) {
            if note.edge_source {
                // Fails harmlessly when the fd is closed: epoll forgot it with the file
                // (or keeps reporting a serial that no note has).
                epoll_ctl(
                    self.edges_for(key.1),
                    libc::EPOLL_CTL_DEL,
                    key.0 as RawFd,
                    0,
                    0,
                );
            }
        }
    }

    /// Drops the notes of fds that were closed (or now name another file).
    fn drop_closed(&mut self) {
        let gone: Vec<(usize, i16)> = self
            .notes
            .iter()
            .filter(|&(&(ident, _), note)| sim::file_identity(ident as RawFd) != Some(note.file))
            .map(|(&key, _)| key)
            .collect();
        for key in gone {
            self.remove_note(key);
        }
    }

    /// One change; the errno on failure.
    fn register(&mut self, change: &KEvent) -> Result<(), i32> {
        if change.filter != EVFILT_READ && change.filter != EVFILT_WRITE {
            return Err(libc::EINVAL);
        }
        let fd = RawFd::try_from(change.ident).map_err(|_| libc::EBADF)?;
        if !sim::is_open(fd) {
            return Err(libc::EBADF);
        }
        let Some(stat) = sim::fstat(fd) else {
            return Err(libc::EBADF);
        };
        let key = (change.ident, change.filter);
        let Some(note) = self.notes.get_mut(&key) else {
            if change.flags & EV_ADD == 0 {
                return Err(libc::ENOENT);
            }
            return self.attach(fd, change, &stat);
        };
        if change.flags & EV_DELETE != 0 {
            self.remove_note(key);
            return Ok(());
        }
        if change.flags & EV_ADD != 0 {
            note.fflags = change.fflags;
            note.data = change.data;
            note.udata = change.udata;
            note.enabled = true;
            // Evaluated again: reported now if its condition holds.
            note.armed = true;
            note.last_reported = None;
        }
        if change.flags & EV_ENABLE != 0 {
            note.enabled = true;
        }
        if change.flags & EV_DISABLE != 0 {
            note.enabled = false;
        }
        Ok(())
    }

    /// Makes the note `change` asks for.
    fn attach(&mut self, fd: RawFd, change: &KEvent, stat: &libc::stat) -> Result<(), i32> {
        if let Some((filter, errno)) = self.refused {
            if filter == change.filter {
                return Err(errno);
            }
        }
        let fifo = stat.st_mode & libc::S_IFMT == libc::S_IFIFO;
        if change.filter == EVFILT_WRITE && fifo && sim::readiness_now(fd) & libc::POLLERR != 0 {
            return Err(libc::EPIPE);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        let flags = change.flags & KEPT_FLAGS;
        let edge_source = flags & EV_CLEAR != 0 && {
            let events = libc::EPOLLET | i32::from(poll_events(change.filter));
            let epfd = self.edges_for(change.filter);
            epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, events, serial)
                // Left behind by a note of a closed fd that shared this file.
                || epoll_ctl(epfd, libc::EPOLL_CTL_MOD, fd, events, serial)
        };
        self.notes.insert(
            (change.ident, change.filter),
            Knote {
                flags,
                fflags: change.fflags,
                data: change.data,
                udata: change.udata,
                enabled: change.flags & EV_DISABLE == 0,
                file: (stat.st_dev, stat.st_ino),
                fifo,
                serial,
                edge_source,
                armed: true,
                last_reported: None,
            },
        );
        Ok(())
    }

    /// Arms the `EV_CLEAR` notes whose files had events since the last look.
    fn collect_edges(&mut self) {
        for filter in [EVFILT_READ, EVFILT_WRITE] {
            let epfd = self.edges_for(filter);
            let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
            loop {
                // SAFETY: `events` has room for 64 entries.
                let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 64, 0) };
                let Ok(n) = usize::try_from(n) else { break };
                for event in &events[..n] {
                    let serial = event.u64;
                    if let Some(note) = self
                        .notes
                        .iter_mut()
                        .find(|((_, f), note)| *f == filter && note.serial == serial)
                        .map(|(_, note)| note)
                    {
                        note.armed = true;
                    }
                }
                if n < 64 {
                    break;
                }
            }
        }
    }

    /// Moves the notes that report now into `events`; returns how many.
    fn scan(&mut self, events: &mut [KEvent]) -> usize {
        self.collect_edges();
        let mut written = 0;
        let mut delete = Vec::new();
        for (&(ident, filter), note) in self.notes.iter_mut() {
            if written == events.len() {
                break;
            }
            if !note.enabled {
                continue;
            }
            let fd = ident as RawFd;
            let state = observe(fd, filter, note.fifo, sim::readiness_now(fd));
            if note.flags & EV_CLEAR != 0 {
                if !note.edge_source && note.last_reported != Some(state) {
                    note.armed = true;
                }
                // Activated, but the condition is gone again: a BSD drops it from
                // the queue when it looks at it.
                if !state.active {
                    note.armed = false;
                }
                if !note.armed {
                    continue;
                }
                note.armed = false;
                note.last_reported = Some(state);
            } else if !state.active {
                continue;
            }
            events[written] = KEvent {
                ident,
                filter,
                flags: note.flags | if state.eof { EV_EOF } else { 0 },
                fflags: 0,
                data: state.data,
                udata: note.udata,
            };
            written += 1;
            if note.flags & EV_ONESHOT != 0 {
                delete.push((ident, filter));
            } else if note.flags & EV_DISPATCH != 0 {
                note.enabled = false;
            }
        }
        for key in delete {
            self.remove_note(key);
        }
        written
    }

    /// The poll(2) set that wakes when a note may report: level notes on their own
    /// fds, `EV_CLEAR` notes through their edge epoll. Returns it and whether some
    /// note can only be watched by looking again (then the wait is cut short).
    fn wait_set(&self) -> (Vec<libc::pollfd>, bool) {
        let mut set: Vec<libc::pollfd> = vec![
            libc::pollfd {
                fd: self.read_edges.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.write_edges.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let mut must_look_again = false;
        for (&(ident, filter), note) in &self.notes {
            if !note.enabled {
                continue;
            }
            let wanted = if note.flags & EV_CLEAR == 0 {
                poll_events(filter)
            } else if note.edge_source {
                continue;
            } else {
                must_look_again = true;
                continue;
            };
            match set.last_mut() {
                Some(entry) if entry.fd == ident as RawFd => entry.events |= wanted,
                _ => set.push(libc::pollfd {
                    fd: ident as RawFd,
                    events: wanted,
                    revents: 0,
                }),
            }
        }
        (set, must_look_again)
    }
}

impl KqueueSystem for SimKqueue {
    fn kqueue() -> io::Result<Self> {
        Ok(SimKqueue {
            notes: BTreeMap::new(),
            read_edges: epoll_instance()?,
            write_edges: epoll_instance()?,
            next_serial: 1,
            refused: None,
        })
    }

    fn kevent(
        &mut self,
        changes: &[KEvent],
        events: &mut [KEvent],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let deadline = sim::deadline(timeout);
        self.drop_closed();
        let mut written = 0;
        for change in changes {
            let errno = match self.register(change) {
                Ok(()) => 0,
                Err(errno) => errno,
            };
            if errno == 0 && change.flags & EV_RECEIPT == 0 {
                continue;
            }
            let Some(slot) = events.get_mut(written) else {
                return if errno == 0 {
                    Ok(written)
                } else {
                    Err(io::Error::from_raw_os_error(errno))
                };
            };
            *slot = KEvent {
                flags: EV_ERROR,
                data: i64::from(errno),
                ..*change
            };
            written += 1;
        }
        if written > 0 || events.is_empty() {
            return Ok(written);
        }
        loop {
            let found = self.scan(events);
            if found > 0 {
                return Ok(found);
            }
            let mut left = sim::remaining(deadline);
            if left == Some(Duration::ZERO) {
                return Ok(0);
            }
            let (mut set, must_look_again) = self.wait_set();
            if must_look_again {
                let step = Duration::from_millis(5);
                left = Some(left.map_or(step, |left| left.min(step)));
            }
            sim::poll_fds_interruptible(&mut set, left)?;
            // Closed while waited on (POLLNVAL): the notes go.
            self.drop_closed();
        }
    }
}
