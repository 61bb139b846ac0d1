//! kqueue(2): FreeBSD, macOS, NetBSD, OpenBSD, DragonFly.
//!
//! Each watched direction of an fd is one kernel note ("knote") keyed by the fd and a
//! filter: `EVFILT_READ` and `EVFILT_WRITE`; `EV_CLEAR` makes a note report edges.
//! The kernel drops an fd's notes when the file is closed, so the caller's idea of what
//! is registered may be stale: every change re-adds each direction still wanted
//! (`EV_ADD` of a note that exists only updates it), and a delete that finds nothing
//! (`ENOENT`, `EBADF`, FreeBSD's `ENOTCAPABLE`, `EINVAL`) has reached its goal.
//!
//! Changes go to the kernel with `EV_RECEIPT`, so each one comes back as its own entry
//! with its own error and no event is drained on the way; a change that fails halfway
//! is rolled back, so that an error always means "nothing changed". With
//! [`Options::use_changelist`] changes are batched instead, folded per fd and handed
//! to the kernel with the next wait in one call, as libevent always does; a change that
//! fails then is dropped (the caller was already told it succeeded).
//!
//! Adding the write filter of a pipe whose reader is gone fails with `EPIPE` (`EPERM`
//! on some systems). libevent reports a read then, which a watcher of writes alone never
//! sees; here the fd is reported `READ | WRITE` at each wait until its interest changes,
//! as poll(2) reports `POLLERR`, so a write is tried and meets the error.
//!
//! The kernel calls go through [`KqueueSystem`]: [`SystemKqueue`] on the BSDs and
//! Apple's systems, `crate::sim::kqueue::SimKqueue` in this crate's tests on Linux.

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use crate::poll::{grow_table, Changelist};
use crate::{Features, Interest, Options, Poller, Readiness};

/// Filter: the fd has bytes to read (or end of file).
pub const EVFILT_READ: i16 = -1;
/// Filter: the fd has room to write.
pub const EVFILT_WRITE: i16 = -2;

/// Adds a note, or updates the one with the same ident and filter.
pub const EV_ADD: u16 = 0x0001;
/// Removes a note.
pub const EV_DELETE: u16 = 0x0002;
/// Lets a disabled note report again.
pub const EV_ENABLE: u16 = 0x0004;
/// Keeps a note but stops its reports.
pub const EV_DISABLE: u16 = 0x0008;
/// Deletes the note after its first report.
pub const EV_ONESHOT: u16 = 0x0010;
/// Resets the note's state after each report: edges, not levels.
pub const EV_CLEAR: u16 = 0x0020;
/// Every change comes back as an `EV_ERROR` entry (data 0 on success).
pub const EV_RECEIPT: u16 = 0x0040;
/// Disables the note after each report.
pub const EV_DISPATCH: u16 = 0x0080;
/// Out: end of file (peer closed, pipe widowed).
pub const EV_EOF: u16 = 0x8000;
/// Out: the entry is a change's outcome; `data` holds the errno (or 0).
pub const EV_ERROR: u16 = 0x4000;

/// Each direction of interest and its filter.
const DIRECTIONS: [(Interest, i16); 2] = [
    (Interest::READ, EVFILT_READ),
    (Interest::WRITE, EVFILT_WRITE),
];

/// Read filters fire on a regular file at its end too, as select and poll report it
/// (libevent asks for NOTE_EOF where it exists: OpenBSD's; FreeBSD's flag for this is
/// NOTE_FILE_POLL). Sockets and pipes ignore it.
#[cfg(target_os = "openbsd")]
const READ_FFLAGS: u32 = libc::NOTE_EOF;
#[cfg(target_os = "freebsd")]
const READ_FFLAGS: u32 = libc::NOTE_FILE_POLL;
#[cfg(not(any(target_os = "openbsd", target_os = "freebsd")))]
const READ_FFLAGS: u32 = 0;

/// Reports taken by the first waits (libevent's NEVENT); doubles when a wait fills it.
const INITIAL_EVENTS: usize = 64;
/// The report buffer stops growing here; more ready notes just take more waits.
const MAX_EVENTS: usize = 4096;

/// One change or report, in a layout of our own: libc has no `struct kevent` on Linux,
/// and the BSDs disagree on field types. Filter and flag values are FreeBSD's (the
/// constants above); [`SystemKqueue`] translates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KEvent {
    /// The fd.
    pub ident: usize,
    /// `EVFILT_READ` or `EVFILT_WRITE`.
    pub filter: i16,
    /// `EV_*` flags.
    pub flags: u16,
    /// Filter-specific flags (on `EV_EOF`, a socket's pending error).
    pub fflags: u32,
    /// Filter data: bytes to read, room to write; the errno of an `EV_ERROR` entry.
    pub data: i64,
    /// Handed back unchanged with the note's reports and with a change's receipt.
    pub udata: usize,
}

/// What the poller needs of a kernel queue.
pub trait KqueueSystem: Sized {
    /// kqueue(2): a new, empty queue.
    fn kqueue() -> io::Result<Self>;

    /// kevent(2): applies `changes` in order, then, unless a change produced an
    /// `EV_ERROR` entry, waits up to `timeout` (`None`: no limit) for reports. Returns
    /// how many entries of `events` were filled. A change error for which `events` has
    /// no room fails the whole call with that error.
    fn kevent(
        &mut self,
        changes: &[KEvent],
        events: &mut [KEvent],
        timeout: Option<Duration>,
    ) -> io::Result<usize>;
}

/// A poller on one kernel queue.
#[derive(Debug)]
pub struct Kqueue<S: KqueueSystem = SystemKqueue> {
    system: S,
    /// Where the kernel writes reports and receipts.
    events: Vec<KEvent>,
    /// The changes of one kernel call.
    changes: Vec<KEvent>,
    /// What each entry of `changes` does, found again through its `udata`.
    pending: Vec<Pending>,
    /// With `Options::use_changelist`: changes held back until the next wait.
    changelist: Option<Changelist>,
    /// fds whose write filter could not be added (`EPIPE`): reported `READ | WRITE`
    /// at each wait (once when edge-triggered) until their interest changes.
    widowed: Vec<(RawFd, Interest)>,
    /// Reports the kernel handed back to a change call (systems that ignore
    /// `EV_RECEIPT` wait instead of only applying): given out by the next wait.
    stashed: Vec<KEvent>,
    /// One wait's reports, one per fd.
    reports: Vec<(RawFd, Readiness)>,
    /// fd -> position + 1 in `reports` during one wait (0: none yet).
    report_positions: Vec<u32>,
}

/// What one kernel change is for.
#[derive(Clone, Copy, Debug)]
struct Pending {
    fd: RawFd,
    /// What the fd was watched for before the change this entry belongs to.
    old: Interest,
    /// What it is watched for after.
    new: Interest,
    filter: i16,
    /// An add (else a delete).
    add: bool,
}

/// How one kernel change ended.
enum Outcome {
    Done,
    /// An add the kernel refused because the pipe's other end is gone.
    Widowed,
    Failed(io::Error),
}

/// The wanted state of one direction: `None` (not watched) or `Some(edge)`.
fn direction(interest: Interest, which: Interest) -> Option<bool> {
    interest
        .contains(which)
        .then_some(interest.contains(Interest::EDGE))
}

/// True when `interest` needs a kernel note (EDGE alone watches nothing).
fn watches(interest: Interest) -> bool {
    interest.intersects(Interest::READ | Interest::WRITE)
}

/// How a change's receipt ended; `errno` 0 is success.
fn outcome(pending: Pending, errno: i64) -> Outcome {
    if errno == 0 {
        return Outcome::Done;
    }
    if !pending.add {
        // The note is gone already: the fd was closed (EBADF; ENOTCAPABLE under
        // Capsicum), reopened (ENOENT), or never had one (EINVAL, seen on FreeBSD).
        #[cfg(target_os = "freebsd")]
        if errno == i64::from(libc::ENOTCAPABLE) {
            return Outcome::Done;
        }
        return match errno as i32 {
            libc::ENOENT | libc::EBADF | libc::EINVAL => Outcome::Done,
            _ => Outcome::Failed(os_error(errno)),
        };
    }
    match errno as i32 {
        // macOS and FreeBSD refuse the write filter of a pipe whose other end is gone
        // (EPIPE; EPERM elsewhere, says libevent); NetBSD says EBADF there, which
        // cannot be told from a closed fd.
        libc::EPIPE | libc::EPERM => Outcome::Widowed,
        _ => Outcome::Failed(os_error(errno)),
    }
}

/// The filter flags of a change.
fn change_fflags(filter: i16, flags: u16) -> u32 {
    if filter == EVFILT_READ && flags & EV_ADD != 0 {
        READ_FFLAGS
    } else {
        0
    }
}

fn os_error(errno: i64) -> io::Error {
    io::Error::from_raw_os_error(i32::try_from(errno).unwrap_or(libc::EINVAL))
}

/// A report's meaning to the caller: its filter, or `READ | WRITE` at end of file (a
/// hang-up, a widowed pipe, a peer that stopped sending), so that whoever watches the
/// fd tries it and learns what happened.
fn readiness(event: &KEvent) -> Readiness {
    let mut ready = match event.filter {
        EVFILT_READ => Readiness::READ,
        EVFILT_WRITE => Readiness::WRITE,
        _ => Readiness::NONE,
    };
    if event.flags & (EV_EOF | EV_ERROR) != 0 {
        ready |= Readiness::READ | Readiness::WRITE;
    }
    ready
}

fn invalid_input() -> io::Error {
    io::Error::from(io::ErrorKind::InvalidInput)
}

impl<S: KqueueSystem> Kqueue<S> {
    /// A poller on the queue `system`.
    ///
    /// Fails, like libevent, on a kernel that does not report a bad change as an
    /// `EV_ERROR` entry (early macOS): errors would then be lost.
    pub fn with_system(mut system: S, options: &Options) -> io::Result<Self> {
        let probe = KEvent {
            ident: usize::MAX,
            filter: EVFILT_READ,
            flags: EV_ADD,
            ..KEvent::default()
        };
        let mut answer = [KEvent::default()];
        let n = system.kevent(&[probe], &mut answer, Some(Duration::ZERO))?;
        if n != 1 || answer[0].flags & EV_ERROR == 0 || answer[0].ident != usize::MAX {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        Ok(Kqueue {
            system,
            events: vec![KEvent::default(); INITIAL_EVENTS],
            changes: Vec::new(),
            pending: Vec::new(),
            changelist: options.use_changelist.then(Changelist::default),
            widowed: Vec::new(),
            stashed: Vec::new(),
            reports: Vec::new(),
            report_positions: Vec::new(),
        })
    }

    /// The system behind the poller (tests look into the simulated one).
    pub fn system(&self) -> &S {
        &self.system
    }

    /// The system behind the poller, to change (tests make the simulated one fail).
    pub fn system_mut(&mut self) -> &mut S {
        &mut self.system
    }

    /// Appends the kernel changes that take `fd` from `old` to `new`.
    ///
    /// Each direction still wanted is added again even when unchanged: the fd may have
    /// been closed and reopened since, which dropped its notes. A direction whose
    /// edge-triggering changes is deleted and added, because an `EV_ADD` of an existing
    /// note does not change its `EV_CLEAR` on every system.
    fn push_changes(&mut self, fd: RawFd, old: Interest, new: Interest) {
        for (which, filter) in DIRECTIONS {
            let (before, after) = (direction(old, which), direction(new, which));
            let delete = match (before, after) {
                (Some(_), None) => true,
                (Some(was_edge), Some(edge)) => was_edge != edge,
                _ => false,
            };
            if delete {
                self.push_change(fd, (old, new), filter, EV_DELETE);
            }
            if let Some(edge) = after {
                let flags = if edge { EV_ADD | EV_CLEAR } else { EV_ADD };
                self.push_change(fd, (old, new), filter, flags);
            }
        }
    }

    fn push_change(&mut self, fd: RawFd, change: (Interest, Interest), filter: i16, flags: u16) {
        self.changes.push(KEvent {
            // Never negative: checked by `change`.
            ident: fd as usize,
            filter,
            flags,
            fflags: change_fflags(filter, flags),
            data: 0,
            // Finds the change again in its receipt.
            udata: self.pending.len(),
        });
        self.pending.push(Pending {
            fd,
            old: change.0,
            new: change.1,
            filter,
            add: flags & EV_ADD != 0,
        });
    }

    /// Applies `self.changes` now, each with a receipt; returns the first failure.
    /// Clears `changes` and `pending`.
    fn apply_with_receipts(&mut self) -> Option<io::Error> {
        for change in &mut self.changes {
            change.flags |= EV_RECEIPT;
        }
        let count = self.changes.len();
        let mut receipts = std::mem::take(&mut self.events);
        if receipts.len() < count {
            receipts.resize(count, KEvent::default());
        }
        let mut first_error = None;
        match self
            .system
            .kevent(&self.changes, &mut receipts[..count], Some(Duration::ZERO))
        {
            Ok(n) => {
                for entry in &receipts[..n] {
                    if entry.flags & EV_ERROR == 0 {
                        // A system without EV_RECEIPT waited and found this.
                        self.stashed.push(*entry);
                        continue;
                    }
                    let Some(&pending) = self.pending.get(entry.udata) else {
                        continue;
                    };
                    match outcome(pending, entry.data) {
                        Outcome::Done => {}
                        Outcome::Widowed => self.note_widowed(pending),
                        Outcome::Failed(err) => {
                            first_error.get_or_insert(err);
                        }
                    }
                }
                // A change without any receipt (a system without EV_RECEIPT) was
                // applied.
                if first_error.is_some() {
                    self.roll_back();
                }
            }
            // "When kevent() fails with EINTR, all changes have been applied."
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // Nothing said which change failed: undo what may have happened.
            Err(err) => {
                self.roll_back();
                first_error = Some(err);
            }
        }
        self.events = receipts;
        self.changes.clear();
        self.pending.clear();
        first_error
    }

    /// After a failed change: puts every direction that `pending` touched back as it
    /// was before. Best effort: its own errors are ignored (a direction whose change
    /// failed is as it was, or gone with a closed fd).
    fn roll_back(&mut self) {
        let mut undo = Vec::with_capacity(self.pending.len());
        let mut seen: Vec<RawFd> = Vec::new();
        for pending in &self.pending {
            if seen.contains(&pending.fd) {
                continue;
            }
            seen.push(pending.fd);
            for (which, filter) in DIRECTIONS {
                let touched = self
                    .pending
                    .iter()
                    .any(|p| p.fd == pending.fd && p.filter == filter);
                if !touched {
                    continue;
                }
                let flags = match direction(pending.old, which) {
                    None => EV_DELETE,
                    Some(true) => EV_ADD | EV_CLEAR,
                    Some(false) => EV_ADD,
                };
                undo.push(KEvent {
                    ident: pending.fd as usize,
                    filter,
                    flags: flags | EV_RECEIPT,
                    fflags: change_fflags(filter, flags),
                    ..KEvent::default()
                });
            }
        }
        let mut receipts = vec![KEvent::default(); undo.len()];
        if let Ok(n) = self
            .system
            .kevent(&undo, &mut receipts, Some(Duration::ZERO))
        {
            self.stashed.extend(
                receipts[..n]
                    .iter()
                    .filter(|entry| entry.flags & EV_ERROR == 0),
            );
        }
    }

    fn note_widowed(&mut self, pending: Pending) {
        self.widowed.retain(|&(other, _)| other != pending.fd);
        self.widowed.push((pending.fd, pending.new));
    }

    /// Forgets what was known about `fd` outside the kernel, before it changes.
    fn forget(&mut self, fd: RawFd) {
        self.widowed.retain(|&(other, _)| other != fd);
        self.stashed.retain(|event| event.ident != fd as usize);
    }

    /// Waits, first handing the batched changes to the kernel in the same call; fills
    /// `self.reports`.
    fn collect(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.reports.clear();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        self.build_changelist();
        // Room for every change's error: otherwise the kernel fails the whole call on
        // the first one and skips the rest.
        if self.events.len() < self.changes.len() {
            let len = self.changes.len().next_power_of_two();
            grow_table(&mut self.events, len, KEvent::default())?;
        }
        // Something to report already: do not block.
        let mut timeout = if self.stashed.is_empty() && self.widowed.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        loop {
            let result = self.system.kevent(&self.changes, &mut self.events, timeout);
            let n = match result {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => 0,
                Err(err) => {
                    // The batched changes may be lost with the call; like libevent,
                    // they are not retried.
                    self.changes.clear();
                    self.pending.clear();
                    return Err(err);
                }
            };
            let had_changes = !self.changes.is_empty();
            self.changes.clear();
            let mut errors = 0;
            for i in 0..n {
                let event = self.events[i];
                if event.flags & EV_ERROR != 0 && had_changes {
                    errors += 1;
                    if let Some(&pending) = self.pending.get(event.udata) {
                        if let Outcome::Widowed = outcome(pending, event.data) {
                            self.note_widowed(pending);
                        }
                    }
                    // Other failures are dropped: the caller was told the change
                    // succeeded, as libevent's changelist does.
                    continue;
                }
                self.add_report(event.ident, readiness(&event));
            }
            self.pending.clear();
            if n == self.events.len() && n < MAX_EVENTS {
                grow_table(&mut self.events, n * 2, KEvent::default())?;
            }
            // A call whose changes failed returns their errors without waiting: wait
            // again (without changes, so once), for what is left of the time, unless
            // there is something to report already.
            let nothing_else = self.stashed.is_empty() && self.widowed.is_empty();
            if errors > 0 && errors == n && nothing_else {
                timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                continue;
            }
            break;
        }
        let stashed = std::mem::take(&mut self.stashed);
        for event in &stashed {
            self.add_report(event.ident, readiness(event));
        }
        let widowed = std::mem::take(&mut self.widowed);
        for &(fd, _) in &widowed {
            self.add_report(fd as usize, Readiness::READ | Readiness::WRITE);
        }
        // Edge-triggered: reported once.
        self.widowed = widowed;
        self.widowed
            .retain(|&(_, interest)| !interest.contains(Interest::EDGE));
        for &(fd, _) in &self.reports {
            if let Some(position) = self.report_positions.get_mut(fd as usize) {
                *position = 0;
            }
        }
        Ok(())
    }

    /// Merges one report into the wait's list: one entry per fd.
    fn add_report(&mut self, ident: usize, ready: Readiness) {
        let Ok(fd) = RawFd::try_from(ident) else {
            return;
        };
        if ready.is_empty() {
            return;
        }
        if ident >= self.report_positions.len() {
            // Only fds that were open when watched come back, so the table stays in
            // proportion to the process's descriptor table.
            let len = (ident + 1).max(self.report_positions.len() * 2);
            if grow_table(&mut self.report_positions, len, 0).is_err() {
                // Out of memory: merge by search instead.
                match self.reports.iter_mut().find(|(other, _)| *other == fd) {
                    Some(report) => report.1 |= ready,
                    None => self.reports.push((fd, ready)),
                }
                return;
            }
        }
        match self.report_positions[ident] {
            0 => {
                self.reports.push((fd, ready));
                // Fits: at most one entry per fd, and fds are below 2^31.
                self.report_positions[ident] = self.reports.len() as u32;
            }
            position => self.reports[position as usize - 1].1 |= ready,
        }
    }

    /// Turns the batched changes into kernel changes for the next wait.
    fn build_changelist(&mut self) {
        let Some(mut list) = self.changelist.take() else {
            return;
        };
        for change in list.drain() {
            // Added and removed again: the kernel never heard of it.
            if watches(change.old) || watches(change.new) {
                self.push_changes(change.fd, change.old, change.new);
            }
        }
        self.changelist = Some(list);
    }
}

impl<S: KqueueSystem> Poller for Kqueue<S> {
    const NAME: &'static str = "kqueue";
    // As libevent's kqueue: no early close, since EV_EOF on the read filter cannot be
    // asked for without also asking for reads.
    const FEATURES: Features =
        Features::from_bits(Features::ET.bits() | Features::O1.bits() | Features::FDS.bits());

    fn new(options: &Options) -> io::Result<Self> {
        Kqueue::with_system(S::kqueue()?, options)
    }

    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        let slot = usize::try_from(fd).map_err(|_| invalid_input())?;
        if new.contains(Interest::CLOSED) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        if let Some(list) = self.changelist.as_mut() {
            list.record(fd, slot, old, new, watches(new))?;
            self.forget(fd);
            return Ok(());
        }
        self.forget(fd);
        if !watches(old) && !watches(new) {
            return Ok(());
        }
        self.push_changes(fd, old, new);
        match self.apply_with_receipts() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        self.collect(timeout)?;
        for &(fd, ready) in &self.reports {
            on_ready(fd, ready);
        }
        Ok(())
    }

    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        self.collect(timeout)?;
        ready.extend_from_slice(&self.reports);
        Ok(())
    }
}

/// The systems with kqueue(2).
macro_rules! cfg_kqueue_os {
    ($($item:item)*) => {$(
        #[cfg(any(
            target_os = "freebsd",
            target_os = "dragonfly",
            target_os = "netbsd",
            target_os = "openbsd",
            target_vendor = "apple"
        ))]
        $item
    )*};
}

cfg_kqueue_os! {
    use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};

    // Our flag values are the kernel's on every one of these systems. (The casts are
    // needed where the field is wider, NetBSD.)
    #[allow(clippy::unnecessary_cast)]
    const _: () = assert!(
        libc::EV_ADD as u32 == EV_ADD as u32
            && libc::EV_DELETE as u32 == EV_DELETE as u32
            && libc::EV_ENABLE as u32 == EV_ENABLE as u32
            && libc::EV_DISABLE as u32 == EV_DISABLE as u32
            && libc::EV_ONESHOT as u32 == EV_ONESHOT as u32
            && libc::EV_CLEAR as u32 == EV_CLEAR as u32
            && libc::EV_RECEIPT as u32 == EV_RECEIPT as u32
            && libc::EV_DISPATCH as u32 == EV_DISPATCH as u32
            && libc::EV_EOF as u32 == EV_EOF as u32
            && libc::EV_ERROR as u32 == EV_ERROR as u32
    );

    /// The kernel's queue.
    #[derive(Debug)]
    pub struct SystemKqueue {
        kq: Option<OwnedFd>,
        /// The process that made the queue: a child of fork() has no such queue (the
        /// kernel does not pass it on), and its fd number may be another file there.
        owner: libc::pid_t,
        /// The kernel's copies of one call's changes and reports, kept between calls.
        buffers: Buffers,
    }

    /// Reused `struct kevent` arrays.
    #[derive(Debug, Default)]
    struct Buffers {
        changes: Vec<libc::kevent>,
        events: Vec<libc::kevent>,
    }

    // SAFETY: `udata` is a pointer type on some systems, which makes `struct kevent`
    // not Send; ours only ever holds integers that are never dereferenced, so the
    // arrays are plain data that any thread may own.
    unsafe impl Send for Buffers {}
    // SAFETY: as for Send; nothing in `Buffers` changes through a shared reference.
    unsafe impl Sync for Buffers {}

    /// The longest wait handed to the kernel: OpenBSD refuses timeouts beyond 10^8
    /// seconds (EINVAL). A caller woken after three years with nothing to report just
    /// waits again.
    const MAX_TIMEOUT: Duration = Duration::from_secs(100_000_000);

    impl Drop for SystemKqueue {
        fn drop(&mut self) {
            // SAFETY: getpid takes nothing and cannot fail.
            if unsafe { libc::getpid() } != self.owner {
                // Not ours to close (libevent checks the same).
                if let Some(fd) = self.kq.take() {
                    let _ = fd.into_raw_fd();
                }
            }
        }
    }

    /// Our filter as the kernel numbers it (NetBSD counts from 0).
    fn system_filter(filter: i16) -> i64 {
        match filter {
            EVFILT_READ => libc::EVFILT_READ as i64,
            EVFILT_WRITE => libc::EVFILT_WRITE as i64,
            other => other as i64,
        }
    }

    /// The kernel's filter number as ours.
    fn our_filter(filter: i64) -> i16 {
        if filter == libc::EVFILT_READ as i64 {
            EVFILT_READ
        } else if filter == libc::EVFILT_WRITE as i64 {
            EVFILT_WRITE
        } else {
            // No filter of ours.
            i16::MIN
        }
    }

    fn to_system(event: &KEvent) -> libc::kevent {
        // SAFETY: `struct kevent` is integers and, on some systems, a pointer and
        // padding: all zeroes is a valid value of each.
        let mut out: libc::kevent = unsafe { std::mem::zeroed() };
        out.ident = event.ident as _;
        out.filter = system_filter(event.filter) as _;
        out.flags = event.flags as _;
        out.fflags = event.fflags as _;
        out.data = event.data as _;
        out.udata = event.udata as _;
        out
    }

    // The fields' types differ between the systems: a cast that is needed on one is
    // a no-op on another.
    #[allow(clippy::unnecessary_cast)]
    fn from_system(event: &libc::kevent) -> KEvent {
        KEvent {
            ident: event.ident as usize,
            filter: our_filter(event.filter as i64),
            // The flags fit in 16 bits everywhere (NetBSD's field is wider).
            flags: event.flags as u16,
            fflags: event.fflags as u32,
            data: event.data as i64,
            udata: event.udata as usize,
        }
    }

    impl KqueueSystem for SystemKqueue {
        fn kqueue() -> io::Result<Self> {
            // SAFETY: kqueue takes nothing; the result is checked.
            let fd = crate::sys::owned(unsafe { libc::kqueue() })?;
            // SAFETY: fcntl on a descriptor we own, with an integer argument.
            crate::sys::check(unsafe {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC)
            })?;
            Ok(SystemKqueue {
                kq: Some(fd),
                // SAFETY: getpid takes nothing and cannot fail.
                owner: unsafe { libc::getpid() },
                buffers: Buffers::default(),
            })
        }

        fn kevent(
            &mut self,
            changes: &[KEvent],
            events: &mut [KEvent],
            timeout: Option<Duration>,
        ) -> io::Result<usize> {
            let kq = self.kq.as_ref().map_or(-1, |fd| fd.as_raw_fd());
            let Buffers {
                changes: system_changes,
                events: out,
            } = &mut self.buffers;
            system_changes.clear();
            system_changes.extend(changes.iter().map(to_system));
            if out.len() < events.len() {
                out.resize(events.len(), to_system(&KEvent::default()));
            }
            let changes = &*system_changes;
            let out = &mut out[..events.len()];
            let spec = crate::timespec(timeout.map(|t| t.min(MAX_TIMEOUT)));
            let spec_ptr = spec
                .as_ref()
                .map_or(std::ptr::null(), |s| s as *const libc::timespec);
            // SAFETY: `changes` holds `changes.len()` readable kevents and `out` has
            // room for `out.len()`; `spec_ptr` is null or points to a live timespec.
            let n = unsafe {
                libc::kevent(
                    kq,
                    changes.as_ptr(),
                    changes.len() as _,
                    out.as_mut_ptr(),
                    out.len() as _,
                    spec_ptr,
                )
            };
            let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
            for (slot, event) in events.iter_mut().zip(&out[..n]) {
                *slot = from_system(event);
            }
            Ok(n)
        }
    }
}

/// Where kqueue does not exist: a queue that cannot be made, so that the default
/// type parameter names something.
#[cfg(not(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_vendor = "apple"
)))]
#[derive(Debug)]
pub enum SystemKqueue {}

#[cfg(not(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_vendor = "apple"
)))]
impl KqueueSystem for SystemKqueue {
    fn kqueue() -> io::Result<Self> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    fn kevent(
        &mut self,
        _changes: &[KEvent],
        _events: &mut [KEvent],
        _timeout: Option<Duration>,
    ) -> io::Result<usize> {
        match *self {}
    }
}

#[cfg(all(test, feature = "sim", target_os = "linux"))]
mod tests {
    use super::*;
    use crate::sim::kqueue::SimKqueue;

    /// (filter, flags) of the changes that take fd 5 from `old` to `new`.
    fn plan(old: Interest, new: Interest) -> Vec<(i16, u16)> {
        let mut kq = Kqueue::<SimKqueue>::new(&Options::default()).unwrap();
        kq.push_changes(5, old, new);
        kq.changes.iter().map(|c| (c.filter, c.flags)).collect()
    }

    #[test]
    fn changes_re_add_what_stays_and_replace_edge_switches() {
        let (read, write, edge) = (Interest::READ, Interest::WRITE, Interest::EDGE);
        assert_eq!(plan(Interest::NONE, read), [(EVFILT_READ, EV_ADD)]);
        // Unchanged directions are added again: the fd may have been reopened.
        assert_eq!(
            plan(read, read | write),
            [(EVFILT_READ, EV_ADD), (EVFILT_WRITE, EV_ADD)]
        );
        assert_eq!(
            plan(read | write, write),
            [(EVFILT_READ, EV_DELETE), (EVFILT_WRITE, EV_ADD)]
        );
        assert_eq!(
            plan(read, read | edge),
            [(EVFILT_READ, EV_DELETE), (EVFILT_READ, EV_ADD | EV_CLEAR)]
        );
        assert_eq!(
            plan(write | edge, Interest::NONE),
            [(EVFILT_WRITE, EV_DELETE)]
        );
        assert_eq!(plan(Interest::NONE, edge), []);
    }

    #[test]
    fn reports_read_as_libevent_does_with_eof_as_hang_up() {
        let event = |filter, flags| KEvent {
            filter,
            flags,
            ..KEvent::default()
        };
        let read_write = Readiness::READ | Readiness::WRITE;
        assert_eq!(readiness(&event(EVFILT_READ, 0)), Readiness::READ);
        assert_eq!(readiness(&event(EVFILT_WRITE, EV_CLEAR)), Readiness::WRITE);
        assert_eq!(readiness(&event(EVFILT_READ, EV_EOF)), read_write);
        assert_eq!(readiness(&event(EVFILT_WRITE, EV_EOF)), read_write);
    }

    #[test]
    fn delete_errors_for_missing_notes_are_success() {
        let delete = Pending {
            fd: 5,
            old: Interest::READ,
            new: Interest::NONE,
            filter: EVFILT_READ,
            add: false,
        };
        let add = Pending {
            add: true,
            ..delete
        };
        for errno in [libc::ENOENT, libc::EBADF, libc::EINVAL] {
            assert!(matches!(outcome(delete, errno.into()), Outcome::Done));
        }
        assert!(matches!(
            outcome(add, libc::EBADF.into()),
            Outcome::Failed(_)
        ));
        assert!(matches!(outcome(add, libc::EPIPE.into()), Outcome::Widowed));
        assert!(matches!(outcome(add, 0), Outcome::Done));
    }
}
