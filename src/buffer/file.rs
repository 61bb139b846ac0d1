//! File segments (`evbuffer_file_segment`): a range of a file that buffers can hold
//! without reading it, sent with `sendfile` or mapped (or read) into memory on demand.

use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock};

use super::chunk::{share_backing, Backing};
use crate::log;
use crate::util::shared::Shared;

/// `EVBUF_FS_*` flags.
pub mod fs_flag {
    pub const CLOSE_ON_FREE: u32 = 0x01;
    pub const DISABLE_MMAP: u32 = 0x02;
    pub const DISABLE_SENDFILE: u32 = 0x04;
    pub const DISABLE_LOCKING: u32 = 0x08;
}

/// What the segment's bytes are once brought into memory.
enum Contents {
    Mapped {
        base: NonNull<u8>,
        map_len: usize,
        skip: usize,
        len: usize,
    },
    Memory(Box<[u8]>),
}

// SAFETY: a private read-only mapping, or owned memory; neither is written after
// creation.
unsafe impl Send for Contents {}
// SAFETY: a private read-only mapping, or owned memory; neither is written after
unsafe impl Sync for Contents {}

impl Contents {
    fn bytes(&self) -> &[u8] {
        match self {
            // SAFETY: the mapping covers `skip + len` readable bytes until dropped.
            Contents::Mapped {
                base, skip, len, ..
            } => unsafe { std::slice::from_raw_parts(base.as_ptr().add(*skip), *len) },
            Contents::Memory(m) => m,
        }
    }
}

impl Drop for Contents {
    fn drop(&mut self) {
        if let Contents::Mapped { base, map_len, .. } = self {
            // SAFETY: the mapping was made by `map` with this length.
            if unsafe { libc::munmap(base.as_ptr().cast(), *map_len) } != 0 {
                let err = std::io::Error::last_os_error();
                log::warn(format_args!(
                    "evbuffer_file_segment_free: munmap failed: {err}"
                ));
            }
        }
    }
}

/// Called once when the segment is finally freed, with the segment and its flags.
pub type SegmentCleanup = Box<dyn FnOnce(&FileSegment, u32) + Send>;

/// A range of a file. Shared between the program's handle and the buffers holding
/// it (each through a [`SegmentView`]); the last one to let go unmaps, closes and calls
/// the cleanup.
pub struct FileSegment {
    fd: RawFd,
    offset: u64,
    length: usize,
    flags: u32,
    can_sendfile: bool,
    contents: OnceLock<Contents>,
    cleanup: Mutex<Option<SegmentCleanup>>,
}

impl FileSegment {
    /// `evbuffer_file_segment_new`: `length` -1 means up to the end of the file.
    /// None for a negative or oversized range, when the data cannot be read, or when
    /// memory runs out; the descriptor is then left open, as libevent leaves it.
    pub fn new(fd: RawFd, offset: i64, length: i64, flags: u32) -> Option<Shared<FileSegment>> {
        let length = if length == -1 {
            // SAFETY: `st` is a plain struct fstat fills in.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: fstat only writes `st`; a bad fd makes it fail.
            if unsafe { libc::fstat(fd, &mut st) } < 0 {
                return None;
            }
            st.st_size
        } else {
            length
        };
        let max = isize::MAX as u64;
        let (Ok(offset), Ok(length)) = (u64::try_from(offset), u64::try_from(length)) else {
            return None;
        };
        if length > max || offset > max - length {
            return None;
        }
        let segment = FileSegment {
            fd,
            offset,
            length: length as usize,
            flags,
            can_sendfile: flags & fs_flag::DISABLE_SENDFILE == 0,
            contents: OnceLock::new(),
            cleanup: Mutex::new(None),
        };
        if !segment.can_sendfile && segment.materialize().is_none() {
            segment.abandon();
            return None;
        }
        Shared::try_new(segment).map_err(FileSegment::abandon).ok()
    }

    /// Drops a segment that was never handed out, leaving its descriptor open.
    fn abandon(mut self) {
        self.flags &= !fs_flag::CLOSE_ON_FREE;
    }

    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Whether a buffer that drains to a descriptor may send this with `sendfile`.
    pub fn can_sendfile(&self) -> bool {
        self.can_sendfile
    }

    /// `evbuffer_file_segment_add_cleanup_cb`: replaces any earlier one.
    pub fn set_cleanup(&self, cleanup: Option<SegmentCleanup>) {
        *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()) = cleanup;
    }

    /// Brings the bytes into memory (once); None if that fails.
    pub fn materialize(&self) -> Option<&[u8]> {
        if let Some(c) = self.contents.get() {
            return Some(c.bytes());
        }
        let contents = self.map().or_else(|| self.read())?;
        Some(self.contents.get_or_init(|| contents).bytes())
    }

    fn map(&self) -> Option<Contents> {
        if self.flags & fs_flag::DISABLE_MMAP != 0 || self.length == 0 {
            return None;
        }
        // SAFETY: sysconf has no memory effects.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        let skip = (self.offset % page) as usize;
        let map_len = self.length.checked_add(skip)?;
        // SAFETY: a fresh private read-only mapping; failure is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                self.fd,
                (self.offset - skip as u64) as libc::off_t,
            )
        };
        if base == libc::MAP_FAILED {
            let err = std::io::Error::last_os_error();
            log::warn(format_args!(
                "evbuffer_file_segment: mmap({}, {map_len}) failed: {err}",
                self.fd
            ));
            return None;
        }
        Some(Contents::Mapped {
            base: NonNull::new(base.cast())?,
            map_len,
            skip,
            len: self.length,
        })
    }

    fn read(&self) -> Option<Contents> {
        let mut memory = Vec::new();
        memory.try_reserve_exact(self.length).ok()?;
        memory.resize(self.length, 0);
        let mut done = 0;
        while done < self.length {
            // SAFETY: writes at most `length - done` bytes into `memory` after `done`.
            let n = unsafe {
                libc::pread(
                    self.fd,
                    memory.as_mut_ptr().add(done).cast(),
                    self.length - done,
                    (self.offset + done as u64) as libc::off_t,
                )
            };
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                return None;
            }
            done += n as usize;
        }
        Some(Contents::Memory(memory.into_boxed_slice()))
    }
}

impl Backing for FileSegment {
    fn bytes(&self) -> &[u8] {
        match self.materialize() {
            Some(b) => b,
            None => {
                // Only reachable for sendfile segments whose file shrank or became
                // unreadable after they were queued: the range reads as zeros.
                log::warn(format_args!(
                    "evbuffer: file segment of fd {} could not be read; using zeros",
                    self.fd
                ));
                let zeros = Contents::Memory(vec![0; self.length].into_boxed_slice());
                self.contents.get_or_init(|| zeros).bytes()
            }
        }
    }

    fn is_file(&self) -> bool {
        true
    }

    fn sendfile_source(&self) -> Option<(RawFd, u64)> {
        self.can_sendfile.then_some((self.fd, self.offset))
    }
}

/// What a buffer holds of a segment: one more reference to it, in a block of its own
/// so that it can be counted as any other shared memory (`Shared<dyn Backing>`).
pub(super) struct SegmentView(Shared<FileSegment>);

impl SegmentView {
    /// None when memory runs out.
    pub(super) fn try_new(segment: &Shared<FileSegment>) -> Option<Shared<dyn Backing>> {
        share_backing(SegmentView(segment.clone())).ok()
    }
}

impl Backing for SegmentView {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    fn is_file(&self) -> bool {
        true
    }

    fn sendfile_source(&self) -> Option<(RawFd, u64)> {
        self.0.sendfile_source()
    }
}

impl Drop for FileSegment {
    fn drop(&mut self) {
        drop(self.contents.take());
        if self.flags & fs_flag::CLOSE_ON_FREE != 0 && self.fd >= 0 {
            // SAFETY: the segment owns the descriptor when asked to close it.
            unsafe { libc::close(self.fd) };
        }
        let cleanup = self
            .cleanup
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(f) = cleanup {
            f(self, self.flags);
        }
    }
}
