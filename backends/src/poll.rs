//! poll(2), with ppoll for sub-millisecond timeouts.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::{Features, Interest, Options, Poller, Readiness};

#[derive(Debug, Default)]
pub struct Poll {
    fds: Vec<libc::pollfd>,
    /// fd -> index + 1 in `fds` (0: not watched).
    index: Vec<u32>,
}

fn events_for(interest: Interest) -> libc::c_short {
    let mut e = 0;
    if interest.contains(Interest::READ) {
        e |= libc::POLLIN;
    }
    if interest.contains(Interest::WRITE) {
        e |= libc::POLLOUT;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if interest.contains(Interest::CLOSED) {
        e |= libc::POLLRDHUP;
    }
    e
}

impl Poller for Poll {
    const NAME: &'static str = "poll";
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const FEATURES: Features =
        Features::from_bits(Features::FDS.bits() | Features::EARLY_CLOSE.bits());
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const FEATURES: Features = Features::FDS;

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Poll::default())
    }

    fn change(&mut self, fd: RawFd, _old: Interest, new: Interest) -> io::Result<()> {
        let slot = usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if new.contains(Interest::EDGE)
            || (new.contains(Interest::CLOSED) && !Self::FEATURES.contains(Features::EARLY_CLOSE))
        {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let events = events_for(new);
        let current = self.index.get(slot).copied().unwrap_or(0);
        match (current, events) {
            (0, 0) => {}
            (0, _) => {
                if slot >= self.index.len() {
                    self.index.resize(slot + 1, 0);
                }
                self.fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
                self.index[slot] = self.fds.len() as u32;
            }
            (i, 0) => {
                let i = i as usize - 1;
                self.fds.swap_remove(i);
                self.index[slot] = 0;
                if let Some(moved) = self.fds.get(i) {
                    self.index[moved.fd as usize] = i as u32 + 1;
                }
            }
            (i, _) => self.fds[i as usize - 1].events = events,
        }
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let spec = crate::timespec(timeout);
        let spec_ptr = spec
            .as_ref()
            .map_or(std::ptr::null(), |s| s as *const libc::timespec);
        // SAFETY: `fds` holds `len` valid pollfd entries; the timespec outlives the call.
        let n = unsafe {
            libc::ppoll(
                self.fds.as_mut_ptr(),
                self.fds.len() as libc::nfds_t,
                spec_ptr,
                std::ptr::null(),
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(err)
            };
        }
        let mut left = n;
        for p in &self.fds {
            if left == 0 {
                break;
            }
            if p.revents == 0 {
                continue;
            }
            left -= 1;
            let r = p.revents;
            let mut ready = Readiness::NONE;
            if r & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                ready = Readiness::READ | Readiness::WRITE;
            } else {
                if r & libc::POLLIN != 0 {
                    ready |= Readiness::READ;
                }
                if r & libc::POLLOUT != 0 {
                    ready |= Readiness::WRITE;
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if r & libc::POLLRDHUP != 0 {
                ready |= Readiness::CLOSED;
            }
            on_ready(p.fd, ready);
        }
        Ok(())
    }
}
