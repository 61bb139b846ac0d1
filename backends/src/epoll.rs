//! Linux epoll(7).
//!
//! The kernel keys its registrations by open file *and* fd number, and drops them when
//! the file closes. Callers only know fd numbers, so a change may meet a registration
//! that is already gone (closed, maybe reopened) or one that survived a `dup`; `apply`
//! retries the way libevent's epoll.c does. One quirk cannot be fixed from here: a
//! registration whose fd was closed while a `dup` keeps the file open stays in the
//! kernel and may still be reported under the old fd number.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::poll::Changelist;
use crate::{Features, Interest, Options, Poller, Readiness};

/// Reports taken by the first waits; the buffer doubles whenever a wait fills it.
const INITIAL_EVENTS: usize = 32;
/// The buffer stops growing here; more ready fds just take more waits.
const MAX_EVENTS: usize = 4096;
/// Kernels up to 2.6.24 could wait forever on a larger epoll_wait timeout (libevent's
/// `MAX_EPOLL_TIMEOUT_MSEC`). Only the fallback for kernels without epoll_pwait2 uses
/// it; waking after 35 minutes with nothing to report just makes the caller wait again.
const MAX_EPOLL_WAIT_MS: u128 = 35 * 60 * 1000;

const NO_EVENT: libc::epoll_event = libc::epoll_event { events: 0, u64: 0 };

/// A poller on one epoll instance.
#[derive(Debug)]
pub struct Epoll {
    epfd: OwnedFd,
    /// Where the kernel writes reports; its length is the most one wait returns.
    events: Vec<libc::epoll_event>,
    /// Cleared once epoll_pwait2 turned out to be missing (kernels before 5.11,
    /// valgrind, old container seccomp profiles); waits then use epoll_wait and whole
    /// milliseconds.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    have_pwait2: bool,
    /// With `Options::use_changelist`: changes held back until the next wait.
    changelist: Option<Changelist>,
}

/// The epoll event mask asking for `interest`.
fn epoll_mask(interest: Interest) -> u32 {
    let mut mask = 0;
    if interest.contains(Interest::READ) {
        mask |= libc::EPOLLIN;
    }
    if interest.contains(Interest::WRITE) {
        mask |= libc::EPOLLOUT;
    }
    if interest.contains(Interest::CLOSED) {
        mask |= libc::EPOLLRDHUP;
    }
    if interest.contains(Interest::EDGE) {
        mask |= libc::EPOLLET;
    }
    mask as u32
}

/// What the kernel's report `mask` means to the caller. Never empty: the kernel only
/// reports what was asked for plus EPOLLERR and EPOLLHUP.
///
/// An error or hang-up reads as `READ | WRITE`, so that whoever watches the fd tries it
/// and meets the error. A half-closed peer (EPOLLRDHUP) is `CLOSED` even then: a full
/// hang-up also carries EPOLLRDHUP, and a watcher of `CLOSED` alone must see it.
fn readiness(mask: u32) -> Readiness {
    let has = |bit: libc::c_int| mask & bit as u32 != 0;
    let mut ready = Readiness::NONE;
    if has(libc::EPOLLERR) || has(libc::EPOLLHUP) {
        ready = Readiness::READ | Readiness::WRITE;
    }
    if has(libc::EPOLLIN) {
        ready |= Readiness::READ;
    }
    if has(libc::EPOLLOUT) {
        ready |= Readiness::WRITE;
    }
    if has(libc::EPOLLRDHUP) {
        ready |= Readiness::CLOSED;
    }
    ready
}

/// True when `interest` needs a kernel registration (EDGE alone watches nothing).
fn watches(interest: Interest) -> bool {
    interest.intersects(Interest::READ | Interest::WRITE | Interest::CLOSED)
}

fn errno(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(0)
}

/// One epoll_ctl call.
fn epoll_ctl(epfd: RawFd, op: libc::c_int, fd: RawFd, interest: Interest) -> io::Result<()> {
    // The kernel hands `u64` back with each report: it is the fd.
    let mut event = libc::epoll_event {
        events: epoll_mask(interest),
        u64: fd as u64,
    };
    // SAFETY: `event` is a valid epoll_event that lives through the call; the kernel
    // validates both descriptors.
    if unsafe { libc::epoll_ctl(epfd, op, fd, &mut event) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Tells the kernel that `fd` is now watched for `new` instead of `old`.
fn apply(epfd: RawFd, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
    if !watches(new) {
        return match epoll_ctl(epfd, libc::EPOLL_CTL_DEL, fd, old) {
            // The fd was closed before this delete, which removed the registration
            // already (ENOENT: reopened since; EBADF: still closed; EPERM: reopened as
            // a file epoll cannot watch).
            Err(e) if matches!(errno(&e), libc::ENOENT | libc::EBADF | libc::EPERM) => Ok(()),
            other => other,
        };
    }
    if !watches(old) {
        return match epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, new) {
            // A registration survived: a redundant add, or the fd was dup2'ed over with
            // the same file, which finds the old registration again.
            Err(e) if errno(&e) == libc::EEXIST => epoll_ctl(epfd, libc::EPOLL_CTL_MOD, fd, new),
            other => other,
        };
    }
    match epoll_ctl(epfd, libc::EPOLL_CTL_MOD, fd, new) {
        // The fd was closed and reopened since it was added: the kernel forgot it.
        Err(e) if errno(&e) == libc::ENOENT => epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, new),
        other => other,
    }
}

/// The epoll_pwait2 timeout: `struct __kernel_timespec`, 64-bit on every architecture
/// (unlike `libc::timespec` on 32-bit targets).
#[cfg(target_os = "linux")]
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

impl Epoll {
    /// Applies and forgets the batched changes.
    fn apply_changelist(&mut self) {
        let epfd = self.epfd.as_raw_fd();
        let Some(list) = self.changelist.as_mut() else {
            return;
        };
        for change in list.drain() {
            // Added and removed again: the kernel never heard of it. Anything else is
            // applied even when `old == new`, because the fd may have been removed,
            // closed and reopened in between; MOD then finds it missing and adds it.
            if watches(change.old) || watches(change.new) {
                // The caller was told the change succeeded; like libevent, a change
                // that fails now is dropped.
                let _ = apply(epfd, change.fd, change.old, change.new);
            }
        }
    }

    /// Waits for reports; returns how many of `events` the kernel filled.
    fn epoll_wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let epfd = self.epfd.as_raw_fd();
        // At most MAX_EVENTS: always fits.
        let capacity = self.events.len() as libc::c_int;
        let buffer = self.events.as_mut_ptr();

        #[cfg(target_os = "linux")]
        if self.have_pwait2 {
            let spec = timeout.map(|t| KernelTimespec {
                tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(t.subsec_nanos()),
            });
            let spec_ptr = spec
                .as_ref()
                .map_or(std::ptr::null(), |s| s as *const KernelTimespec);
            // SAFETY: `buffer` has room for `capacity` events; `spec_ptr` is null or
            // points to a live timespec of the kernel's layout; a null signal mask makes
            // the kernel ignore the mask size.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buffer,
                    capacity,
                    spec_ptr,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            // EPERM is no epoll_pwait2 error: it comes from seccomp filters that
            // predate the call and refuse it instead of answering ENOSYS.
            if !matches!(errno(&err), libc::ENOSYS | libc::EPERM) {
                return Err(err);
            }
            self.have_pwait2 = false;
        }

        let ms = match timeout {
            None => -1,
            // Rounded up: a timer must never look due before its time.
            Some(t) => t.as_nanos().div_ceil(1_000_000).min(MAX_EPOLL_WAIT_MS) as libc::c_int,
        };
        // SAFETY: `buffer` has room for `capacity` events.
        let n = unsafe { libc::epoll_wait(epfd, buffer, capacity, ms) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    /// Applies batched changes and waits; returns how many reports lead `events`
    /// (none after an interruption by a signal).
    fn wait_events(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.apply_changelist();
        match self.epoll_wait(timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            other => other,
        }
    }

    /// A full buffer may have left reports behind: take more next time.
    fn grow_if_full(&mut self, reported: usize) {
        let len = self.events.len();
        if reported == len && len < MAX_EVENTS {
            self.events.resize(len * 2, NO_EVENT);
        }
    }
}

impl Poller for Epoll {
    const NAME: &'static str = "epoll";
    const FEATURES: Features = Features::from_bits(
        Features::ET.bits() | Features::O1.bits() | Features::EARLY_CLOSE.bits(),
    );

    fn new(options: &Options) -> io::Result<Self> {
        // SAFETY: no pointers involved; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Epoll {
            // SAFETY: `fd` is a new descriptor that nothing else owns.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            events: vec![NO_EVENT; INITIAL_EVENTS],
            have_pwait2: cfg!(target_os = "linux"),
            changelist: options.use_changelist.then(Changelist::default),
        })
    }

    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        let slot = usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let Some(list) = self.changelist.as_mut() else {
            return apply(self.epfd.as_raw_fd(), fd, old, new);
        };
        list.record(fd, slot, old, new, watches(new))
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let n = self.wait_events(timeout)?;
        for event in &self.events[..n] {
            on_ready(event.u64 as RawFd, readiness(event.events));
        }
        self.grow_if_full(n);
        Ok(())
    }

    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        let n = self.wait_events(timeout)?;
        // One capacity check for the whole batch.
        ready.extend(
            self.events[..n]
                .iter()
                .map(|event| (event.u64 as RawFd, readiness(event.events))),
        );
        self.grow_if_full(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn epoll_wait_fallback_never_wakes_early() {
        let mut epoll = Epoll::new(&Options::default()).unwrap();
        epoll.have_pwait2 = false;
        for timeout in [Duration::from_micros(1500), Duration::from_millis(20)] {
            let start = Instant::now();
            let mut reports = 0;
            epoll.wait(Some(timeout), |_, _| reports += 1).unwrap();
            assert_eq!(reports, 0);
            assert!(start.elapsed() >= timeout, "{:?}", start.elapsed());
        }
        let start = Instant::now();
        epoll.wait(Some(Duration::ZERO), |_, _| ()).unwrap();
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn reports_read_as_libevent_does() {
        let bits = |masks: &[libc::c_int]| masks.iter().fold(0, |acc, m| acc | *m as u32);
        let read_write = Readiness::READ | Readiness::WRITE;
        assert_eq!(readiness(bits(&[libc::EPOLLIN])), Readiness::READ);
        assert_eq!(readiness(bits(&[libc::EPOLLOUT])), Readiness::WRITE);
        assert_eq!(readiness(bits(&[libc::EPOLLRDHUP])), Readiness::CLOSED);
        assert_eq!(readiness(bits(&[libc::EPOLLERR])), read_write);
        assert_eq!(readiness(bits(&[libc::EPOLLHUP])), read_write);
        assert_eq!(
            readiness(bits(&[libc::EPOLLHUP, libc::EPOLLRDHUP, libc::EPOLLIN])),
            read_write | Readiness::CLOSED
        );
    }

    #[test]
    fn masks_ask_for_the_interest() {
        let all = Interest::READ | Interest::WRITE | Interest::CLOSED | Interest::EDGE;
        let expected = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
        assert_eq!(epoll_mask(all), expected as u32);
        assert_eq!(epoll_mask(Interest::NONE), 0);
    }
}
