//! select(2), with fd sets sized to the highest watched fd instead of FD_SETSIZE.
//!
//! The kernel reads and writes only the first `nfds` bits of each set, in words of a C
//! `unsigned long`, so a bitmap of such words just long enough works for any fd. libc's
//! `FD_SET` helpers stop at FD_SETSIZE, so the bit arithmetic is done here.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::poll::{fd_table_len, grow_table};
use crate::{Features, Interest, Options, Poller, Readiness};

type Word = libc::c_ulong;
const WORD_BITS: usize = Word::BITS as usize;

/// A poller on two fd bitmaps, one for reading and one for writing.
#[derive(Debug, Default)]
pub struct Select {
    /// Fds watched for reading, one bit each.
    read: Vec<Word>,
    /// Fds watched for writing; as long as `read`.
    write: Vec<Word>,
    /// The copies handed to select, which leaves only the ready fds in them.
    ready_read: Vec<Word>,
    ready_write: Vec<Word>,
    /// Highest watched fd + 1 (0: none).
    nfds: usize,
}

/// The word holding `fd`'s bit, and the bit within it.
fn locate(fd: usize) -> (usize, Word) {
    (fd / WORD_BITS, 1 << (fd % WORD_BITS))
}

fn set_bit(word: &mut Word, bit: Word, on: bool) {
    if on {
        *word |= bit;
    } else {
        *word &= !bit;
    }
}

/// `timeout` as select takes it, rounded up to the microsecond: a timer must never look
/// due before its time.
fn timeval(timeout: Duration) -> libc::timeval {
    let micros = timeout.subsec_nanos().div_ceil(1000);
    let secs = timeout
        .as_secs()
        .saturating_add(u64::from(micros / 1_000_000));
    libc::timeval {
        tv_sec: secs.min(libc::time_t::MAX as u64) as libc::time_t,
        tv_usec: (micros % 1_000_000) as libc::suseconds_t,
    }
}

/// A set for select: null when empty, so that no dangling pointer reaches libc.
fn set_ptr(words: &mut [Word]) -> *mut libc::fd_set {
    if words.is_empty() {
        std::ptr::null_mut()
    } else {
        words.as_mut_ptr().cast()
    }
}

impl Select {
    /// Highest watched fd + 1, found by scanning down from the old value.
    fn highest_watched_plus_one(&self) -> usize {
        for word in (0..self.nfds.div_ceil(WORD_BITS)).rev() {
            let bits = self.read[word] | self.write[word];
            if bits != 0 {
                return word * WORD_BITS + (WORD_BITS - bits.leading_zeros() as usize);
            }
        }
        0
    }

    /// One select call on copies of the sets; returns how many fds are ready.
    fn select(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let nfds = libc::c_int::try_from(self.nfds)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let words = self.nfds.div_ceil(WORD_BITS);
        self.ready_read.clear();
        self.ready_read.extend_from_slice(&self.read[..words]);
        self.ready_write.clear();
        self.ready_write.extend_from_slice(&self.write[..words]);
        let mut tv = timeout.map(timeval);
        let tv_ptr = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut libc::timeval);
        let (read, write) = (
            set_ptr(&mut self.ready_read),
            set_ptr(&mut self.ready_write),
        );
        // SAFETY: each set is null or points to `words` live words, enough bits for
        // `nfds` fds, and the kernel touches no more (an `fd_set` is the same kind of
        // word array, so the cast changes no layout); `tv_ptr` is null or points to a
        // live timeval, which the kernel may overwrite.
        let n = unsafe { libc::select(nfds, read, write, std::ptr::null_mut(), tv_ptr) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
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
        let index =
            usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if new.intersects(Interest::EDGE | Interest::CLOSED) {
            return Err(io::Error::from(io::ErrorKind::Unsupported));
        }
        let watch = new.intersects(Interest::READ | Interest::WRITE);
        let (word, bit) = locate(index);
        if word >= self.read.len() {
            if !watch {
                // Beyond the sets, so not watched: nothing to clear.
                return Ok(());
            }
            let len = fd_table_len(fd, self.read.len(), word + 1)?;
            grow_table(&mut self.read, len, 0)?;
            grow_table(&mut self.write, len, 0)?;
        }
        set_bit(&mut self.read[word], bit, new.contains(Interest::READ));
        set_bit(&mut self.write[word], bit, new.contains(Interest::WRITE));
        if watch {
            self.nfds = self.nfds.max(index + 1);
        } else if index + 1 == self.nfds {
            self.nfds = self.highest_watched_plus_one();
        }
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let mut left = match self.select(timeout) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            // EBADF among them: a watched fd was closed. As libevent, the wait fails.
            Err(e) => return Err(e),
        };
        for (word, (&read, &write)) in self.ready_read.iter().zip(&self.ready_write).enumerate() {
            if left == 0 {
                break;
            }
            // select counts an fd once per set it is ready in.
            left = left.saturating_sub((read.count_ones() + write.count_ones()) as usize);
            let mut hits = read | write;
            while hits != 0 {
                let bit = hits & hits.wrapping_neg();
                hits &= !bit;
                let mut ready = Readiness::NONE;
                if read & bit != 0 {
                    ready |= Readiness::READ;
                }
                if write & bit != 0 {
                    ready |= Readiness::WRITE;
                }
                let fd = word * WORD_BITS + bit.trailing_zeros() as usize;
                on_ready(fd as RawFd, ready);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn timeouts_round_up_to_the_microsecond() {
        let tv = |t: Duration| {
            let tv = timeval(t);
            (tv.tv_sec as u64, tv.tv_usec as u64)
        };
        assert_eq!(tv(Duration::ZERO), (0, 0));
        assert_eq!(tv(Duration::from_nanos(1)), (0, 1));
        assert_eq!(tv(Duration::from_nanos(1_001)), (0, 2));
        assert_eq!(tv(Duration::new(3, 999_999_999)), (4, 0));
        assert_eq!(tv(Duration::MAX), (libc::time_t::MAX as u64, 0));
    }

    #[test]
    fn highest_watched_fd_follows_changes() {
        let mut select = Select::default();
        let files: Vec<_> = (0..3)
            .map(|_| std::fs::File::open(std::env::current_exe().unwrap()).unwrap())
            .collect();
        let fds: Vec<RawFd> = files.iter().map(|f| f.as_raw_fd()).collect();
        let (low, high) = (*fds.iter().min().unwrap(), *fds.iter().max().unwrap());
        for &fd in &fds {
            select.change(fd, Interest::NONE, Interest::WRITE).unwrap();
        }
        assert_eq!(select.nfds, high as usize + 1);
        for &fd in &fds {
            if fd != low {
                select.change(fd, Interest::WRITE, Interest::NONE).unwrap();
            }
        }
        assert_eq!(select.nfds, low as usize + 1);
        select.change(low, Interest::WRITE, Interest::NONE).unwrap();
        assert_eq!(select.nfds, 0);
    }
}
