//! select(2), with fd sets sized to the highest watched fd rather than FD_SETSIZE.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::{Features, Interest, Options, Poller, Readiness};

type Word = libc::c_ulong;
const BITS: usize = Word::BITS as usize;

#[derive(Debug, Default)]
pub struct Select {
    read: Vec<Word>,
    write: Vec<Word>,
    /// Copies handed to the kernel, which overwrites them.
    read_out: Vec<Word>,
    write_out: Vec<Word>,
    /// Highest watched fd + 1.
    nfds: usize,
}

fn set(bits: &mut [Word], fd: usize, on: bool) {
    let (word, bit) = (fd / BITS, 1 << (fd % BITS));
    if on {
        bits[word] |= bit;
    } else {
        bits[word] &= !bit;
    }
}

fn get(bits: &[Word], fd: usize) -> bool {
    bits[fd / BITS] & (1 << (fd % BITS)) != 0
}

impl Select {
    fn recompute_nfds(&mut self) {
        while self.nfds > 0 {
            let fd = self.nfds - 1;
            if get(&self.read, fd) || get(&self.write, fd) {
                break;
            }
            self.nfds -= 1;
        }
    }
}

impl Poller for Select {
    const NAME: &'static str = "select";
    const FEATURES: Features = Features::FDS;

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Select::default())
    }

    fn change(&mut self, fd: RawFd, _old: Interest, new: Interest) -> io::Result<()> {
        let fd = usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if new.intersects(Interest::EDGE | Interest::CLOSED) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let words = fd / BITS + 1;
        if words > self.read.len() {
            self.read.resize(words, 0);
            self.write.resize(words, 0);
        }
        set(&mut self.read, fd, new.contains(Interest::READ));
        set(&mut self.write, fd, new.contains(Interest::WRITE));
        if new.intersects(Interest::READ | Interest::WRITE) {
            self.nfds = self.nfds.max(fd + 1);
        } else if fd + 1 == self.nfds {
            self.recompute_nfds();
        }
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let words = self.nfds.div_ceil(BITS);
        self.read_out.clear();
        self.read_out.extend_from_slice(&self.read[..words]);
        self.write_out.clear();
        self.write_out.extend_from_slice(&self.write[..words]);
        let mut tv = timeout.map(|t| libc::timeval {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            // Rounded up, so a timer is never reported early.
            tv_usec: t.subsec_nanos().div_ceil(1000) as libc::suseconds_t,
        });
        let tv_ptr = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut libc::timeval);
        let as_set = |v: &mut Vec<Word>| {
            if v.is_empty() {
                std::ptr::null_mut()
            } else {
                v.as_mut_ptr().cast::<libc::fd_set>()
            }
        };
        let (r, w) = (as_set(&mut self.read_out), as_set(&mut self.write_out));
        // SAFETY: each set pointer covers `words` words, enough bits for `nfds` fds (the
        // kernel reads and writes only that many bits); the timeval outlives the call.
        let n =
            unsafe { libc::select(self.nfds as libc::c_int, r, w, std::ptr::null_mut(), tv_ptr) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(err)
            };
        }
        if n == 0 {
            return Ok(());
        }
        for word in 0..words {
            let hits = self.read_out[word] | self.write_out[word];
            if hits == 0 {
                continue;
            }
            for bit in 0..BITS {
                if hits & (1 << bit) == 0 {
                    continue;
                }
                let fd = word * BITS + bit;
                let mut ready = Readiness::NONE;
                if get(&self.read_out, fd) {
                    ready |= Readiness::READ;
                }
                if get(&self.write_out, fd) {
                    ready |= Readiness::WRITE;
                }
                on_ready(fd as RawFd, ready);
            }
        }
        Ok(())
    }
}
