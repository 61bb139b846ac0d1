//! Linux epoll(7).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::{Features, Interest, Options, Poller, Readiness};

const INITIAL_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;

#[derive(Debug)]
pub struct Epoll {
    epfd: OwnedFd,
    events: Vec<libc::epoll_event>,
    /// False once epoll_pwait2 turned out to be missing (old kernels, valgrind).
    have_pwait2: bool,
    changelist: Option<Changelist>,
}

/// Changes batched per fd until the next wait.
#[derive(Debug, Default)]
struct Changelist {
    /// (fd, first old, last new)
    changes: Vec<(RawFd, Interest, Interest)>,
    /// fd -> index + 1 in `changes` (0: none).
    index: Vec<u32>,
}

fn mask(interest: Interest) -> u32 {
    let mut m = 0;
    if interest.contains(Interest::READ) {
        m |= libc::EPOLLIN as u32;
    }
    if interest.contains(Interest::WRITE) {
        m |= libc::EPOLLOUT as u32;
    }
    if interest.contains(Interest::CLOSED) {
        m |= libc::EPOLLRDHUP as u32;
    }
    if interest.contains(Interest::EDGE) {
        m |= libc::EPOLLET as u32;
    }
    m
}

fn is_watching(interest: Interest) -> bool {
    interest.intersects(Interest::READ | Interest::WRITE | Interest::CLOSED)
}

impl Epoll {
    fn ctl(&self, op: libc::c_int, fd: RawFd, interest: Interest) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: mask(interest),
            u64: fd as u64,
        };
        // SAFETY: `event` is a valid epoll_event for the call's duration.
        if unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut event) } < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Applies one change, working around the kernel's view of closed and reopened fds.
    fn apply(&self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        let errno = |e: &io::Error| e.raw_os_error().unwrap_or(0);
        match (is_watching(old), is_watching(new)) {
            (_, false) => match self.ctl(libc::EPOLL_CTL_DEL, fd, old) {
                // The fd was closed (and maybe reopened) already: nothing to remove.
                Err(e) if [libc::ENOENT, libc::EBADF, libc::EPERM].contains(&errno(&e)) => Ok(()),
                other => other,
            },
            (false, true) => match self.ctl(libc::EPOLL_CTL_ADD, fd, new) {
                // Still registered from before a dup/close: modify instead.
                Err(e) if errno(&e) == libc::EEXIST => self.ctl(libc::EPOLL_CTL_MOD, fd, new),
                other => other,
            },
            (true, true) => match self.ctl(libc::EPOLL_CTL_MOD, fd, new) {
                // Closed and reopened since: the kernel forgot it.
                Err(e) if errno(&e) == libc::ENOENT => self.ctl(libc::EPOLL_CTL_ADD, fd, new),
                other => other,
            },
        }
    }

    #[inline]
    fn apply_changelist(&mut self) {
        let Some(list) = self.changelist.as_mut() else {
            return;
        };
        let changes = std::mem::take(&mut list.changes);
        for &(fd, _, _) in &changes {
            list.index[fd as usize] = 0;
        }
        for &(fd, old, new) in &changes {
            if old != new {
                // Callers were told the change succeeded; a failure now is dropped, as
                // libevent's changelist does.
                let _ = self.apply(fd, old, new);
            }
        }
        if let Some(list) = self.changelist.as_mut() {
            list.changes = changes;
            list.changes.clear();
        }
    }

    #[inline]
    fn epoll_wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let epfd = self.epfd.as_raw_fd();
        let max = self.events.capacity() as libc::c_int;
        let buffer = self.events.as_mut_ptr();
        if self.have_pwait2 {
            let spec = crate::timespec(timeout);
            let spec_ptr = spec
                .as_ref()
                .map_or(std::ptr::null(), |s| s as *const libc::timespec);
            // SAFETY: the buffer has room for `max` events; the timespec outlives the call.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buffer,
                    max,
                    spec_ptr,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::ENOSYS) {
                return Err(err);
            }
            self.have_pwait2 = false;
        }
        let ms = match timeout {
            None => -1,
            // Rounded up, so a timer is never reported early.
            Some(t) => t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
        };
        // SAFETY: the buffer has room for `max` events.
        let n = unsafe { libc::epoll_wait(epfd, buffer, max, ms) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

/// What an epoll report means: EPOLLIN (1) -> READ (2), EPOLLOUT (4) -> WRITE (4),
/// EPOLLRDHUP (0x2000) -> CLOSED (0x80); an error or hang-up reads as READ | WRITE.
#[inline]
fn readiness(bits: u32) -> Readiness {
    let io = ((bits & 0x1) << 1) | (bits & 0x4) | ((bits >> 6) & 0x80);
    // EPOLLERR (0x8) and EPOLLHUP (0x10) are bits 3 and 4: either sets READ | WRITE.
    let failed = u32::from((bits >> 3) & 0x3 != 0) * 0x6;
    Readiness::from_bits((io | failed) as u8)
}

impl Epoll {
    /// Applies batched changes and waits; the first `n` entries of `events` are the
    /// reports (0 after an interruption by a signal).
    #[inline]
    fn wait_events(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.apply_changelist();
        let n = match self.epoll_wait(timeout) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(e) => return Err(e),
        };
        // SAFETY: the kernel initialised the first `n` entries.
        unsafe { self.events.set_len(n) };
        Ok(n)
    }

    /// A full buffer may have left reports behind: make room for more next time.
    #[inline]
    fn grow_if_full(&mut self, n: usize) {
        let full = n == self.events.capacity();
        self.events.clear();
        if full && self.events.capacity() < MAX_EVENTS {
            // `events` is empty here, so ask for twice the old capacity outright.
            self.events.reserve_exact(2 * self.events.capacity());
        }
    }
}

impl Poller for Epoll {
    const NAME: &'static str = "epoll";
    const FEATURES: Features = Features::from_bits(
        Features::ET.bits() | Features::O1.bits() | Features::EARLY_CLOSE.bits(),
    );

    fn new(options: &Options) -> io::Result<Self> {
        // SAFETY: plain system call; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Epoll {
            // SAFETY: a new descriptor owned by nobody else.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            events: Vec::with_capacity(INITIAL_EVENTS),
            have_pwait2: true,
            changelist: options.use_changelist.then(Changelist::default),
        })
    }

    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        let index =
            usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let Some(list) = self.changelist.as_mut() else {
            return self.apply(fd, old, new);
        };
        if index >= list.index.len() {
            list.index.resize(index + 1, 0);
        }
        match list.index[index] {
            0 => {
                list.changes.push((fd, old, new));
                list.index[index] = list.changes.len() as u32;
            }
            slot => list.changes[slot as usize - 1].2 = new,
        }
        Ok(())
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

    #[inline]
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

// The bit moves in `readiness` rely on these values.
const _: () = assert!(
    libc::EPOLLIN == 0x1
        && libc::EPOLLOUT == 0x4
        && libc::EPOLLRDHUP == 0x2000
        && libc::EPOLLERR == 0x8
        && libc::EPOLLHUP == 0x10
        && Readiness::READ.bits() == 0x2
        && Readiness::WRITE.bits() == 0x4
        && Readiness::CLOSED.bits() == 0x80
);
