//! Looking at the data, and moving it to and from descriptors.

use super::*;

impl Evbuffer {
    // ----- looking at the data -------------------------------------------------------

    /// `evbuffer_peek`: describes the data chunks from `start` (or the front) that
    /// cover `len` bytes (all for None) in `out`; returns how many regions that
    /// takes, which may be more than `out.len()`.
    pub fn peek(
        &self,
        len: Option<usize>,
        start: Option<&BufferPtr>,
        out: &mut [libc::iovec],
    ) -> usize {
        self.read(|inner| {
            let q = &inner.queue;
            let (mut chunk, mut so_far, mut n) = (0, 0usize, 0);
            let mut len = len;
            if let Some(p) = start {
                let Some(pos) = q.resolve(p) else { return 0 };
                if pos.chunk >= q.filled {
                    return 0;
                }
                let c = &q.chunks[pos.chunk];
                so_far = c.len() - pos.offset;
                if let Some(slot) = out.first_mut() {
                    *slot = libc::iovec {
                        // SAFETY: `offset` is inside the chunk's data.
                        iov_base: unsafe { c.data_ptr().add(pos.offset) }.cast(),
                        iov_len: so_far,
                    };
                }
                n = 1;
                chunk = pos.chunk + 1;
                if out.is_empty() && len.is_none() {
                    len = Some(q.len - pos.abs);
                }
            } else if out.is_empty() && len.is_none() {
                len = Some(q.len);
            }
            for c in q.data_chunks().skip(chunk) {
                if len.is_some_and(|l| so_far >= l) {
                    break;
                }
                if let Some(slot) = out.get_mut(n) {
                    *slot = libc::iovec {
                        iov_base: c.data_ptr().cast(),
                        iov_len: c.len(),
                    };
                } else if len.is_none() {
                    break;
                }
                n += 1;
                so_far += c.len();
            }
            n
        })
    }

    /// `evbuffer_ptr_set`: `add` moves `ptr` forward by `position`, else sets it to
    /// `position`. A position past the end fails and marks `ptr` not found; a `ptr`
    /// that cannot be moved (negative, or overflowing) fails untouched.
    #[inline]
    pub fn ptr_set(&self, ptr: &mut BufferPtr, position: usize, add: bool) -> BufferResult<()> {
        if self.lock_ref().is_some() {
            return self.ptr_set_locked(ptr, position, add);
        }
        // SAFETY: the buffer has no lock; the borrow ends with the call.
        unsafe { self.inner() }.queue.set_ptr(ptr, position, add)
    }

    /// [`Evbuffer::ptr_set`] with the lock (apart, so that the common path above
    /// holds no lock bookkeeping).
    #[inline(never)]
    pub(super) fn ptr_set_locked(
        &self,
        ptr: &mut BufferPtr,
        position: usize,
        add: bool,
    ) -> BufferResult<()> {
        self.read(|inner| inner.queue.set_ptr(ptr, position, add))
    }

    /// `evbuffer_search_range`: the first place at or after `start` where `needle`
    /// occurs and ends no later than `end`. An empty needle "matches" at `start`.
    pub fn search(
        &self,
        needle: &[u8],
        start: Option<&BufferPtr>,
        end: Option<&BufferPtr>,
    ) -> BufferPtr {
        self.read(|inner| {
            let q = &inner.queue;
            let from = match start {
                Some(p) => {
                    if needle.is_empty() || needle.len() > isize::MAX as usize {
                        return *p;
                    }
                    match q.resolve(p) {
                        Some(pos) => pos,
                        None => return BufferPtr::NOT_FOUND,
                    }
                }
                None => {
                    let from = q.start_pos();
                    if needle.is_empty() || needle.len() > isize::MAX as usize {
                        return q.encode(from);
                    }
                    from
                }
            };
            match q.find(from, needle) {
                Some(at) => {
                    if let Some(e) = end {
                        if (at.abs + needle.len()) as isize > e.pos {
                            return BufferPtr::NOT_FOUND;
                        }
                    }
                    q.encode(at)
                }
                None => BufferPtr::NOT_FOUND,
            }
        })
    }

    /// `evbuffer_search_eol`: where the first line ending at or after `start`
    /// begins, and its length (0 when none is found).
    #[inline]
    pub fn search_eol(&self, start: Option<&BufferPtr>, style: EolStyle) -> (BufferPtr, usize) {
        if self.lock_ref().is_some() {
            return self.search_eol_locked(start, style);
        }
        // SAFETY: the buffer has no lock; the borrow ends with the call.
        unsafe { self.inner() }.queue.search_eol(start, style)
    }

    /// [`Evbuffer::search_eol`] with the lock (apart, as for `ptr_set`).
    #[inline(never)]
    pub(super) fn search_eol_locked(
        &self,
        start: Option<&BufferPtr>,
        style: EolStyle,
    ) -> (BufferPtr, usize) {
        self.read(|inner| inner.queue.search_eol(start, style))
    }

    /// `evbuffer_readln`: removes the first line and its ending. `alloc` is asked
    /// for `line length + 1` bytes; the line is copied there followed by a NUL.
    /// Returns the line length, or None (no complete line, frozen front, or no
    /// memory).
    pub fn readln<'a>(
        &self,
        style: EolStyle,
        alloc: impl FnOnce(usize) -> Option<&'a mut [u8]>,
    ) -> Option<usize> {
        let _held = self.held();
        let found = {
            // SAFETY: the lock is held; the borrow ends in this block.
            let inner = unsafe { self.inner() };
            if inner.freeze_start {
                return None;
            }
            let q = &inner.queue;
            q.find_eol(q.start_pos(), style)
        };
        let (at, eol_len) = found?;
        let n = at.abs;
        let Some(out) = alloc(n + 1) else {
            crate::log::warn(format_args!("evbuffer_readln: out of memory"));
            return None;
        };
        {
            // SAFETY: the lock is held; the borrow ends in this block.
            let inner = unsafe { self.inner() };
            inner.n_deleted += inner.queue.remove(&mut out[..n]);
            out[n] = 0;
        }
        self.changed();
        if eol_len > 0 {
            {
                // SAFETY: the lock is held; the borrow ends in this block
                let inner = unsafe { self.inner() };
                inner.n_deleted += inner.queue.drain(eol_len);
            }
            self.changed();
        }
        Some(n)
    }

    // ----- descriptors ----------------------------------------------------------------

    /// `evbuffer_read`: reads at most `howmuch` (or the read limit) bytes from `fd`.
    /// Ok(0) is end of file.
    pub fn read_from(&self, fd: RawFd, howmuch: Option<usize>) -> std::io::Result<usize> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(std::io::ErrorKind::PermissionDenied.into());
            }
            let want = howmuch.map_or(inner.max_read, |h| h.min(inner.max_read));
            let n = inner.queue.read_from(fd, want)?;
            inner.n_added += n;
            Ok(n)
        })
    }

    /// `evbuffer_write_atmost`: writes at most `howmuch` (or all) bytes to `fd` and
    /// removes them. None when there was nothing to write (or the front is frozen).
    pub fn write_to(&self, fd: RawFd, howmuch: Option<usize>) -> Option<std::io::Result<usize>> {
        self.write_out(fd, howmuch, false)
    }

    /// [`Evbuffer::write_to`] for a socket whose peer may be gone: EPIPE comes back as
    /// an error without raising SIGPIPE.
    pub fn send_to(&self, fd: RawFd, howmuch: Option<usize>) -> Option<std::io::Result<usize>> {
        self.write_out(fd, howmuch, true)
    }

    fn write_out(
        &self,
        fd: RawFd,
        howmuch: Option<usize>,
        no_signal: bool,
    ) -> Option<std::io::Result<usize>> {
        self.change(|inner| {
            if inner.freeze_start {
                return None;
            }
            let limit = howmuch.map_or(inner.queue.len, |h| h.min(inner.queue.len));
            if limit == 0 {
                return None;
            }
            let result = inner.queue.write_to(fd, limit, no_signal);
            if let Ok(n) = result {
                inner.n_deleted += n;
            }
            Some(result)
        })
    }
}
