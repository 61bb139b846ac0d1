//! Adding, removing and reserving data.

use super::*;

impl Evbuffer {
    // ----- adding ---------------------------------------------------------------------

    /// `evbuffer_add`.
    #[inline]
    pub fn add(&self, data: &[u8]) -> BufferResult<()> {
        self.change(move |inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.queue.append(data)?;
            inner.n_added += data.len();
            Ok(())
        })
    }

    /// `evbuffer_add_iovec`: appends each region in turn; returns the bytes added
    /// (stopping at the first failure).
    pub fn add_slices(&self, parts: &[&[u8]]) -> usize {
        self.change(|inner| {
            if inner.freeze_end {
                return 0;
            }
            // One allocation up front where possible (a failure here is not fatal).
            let total = parts.iter().try_fold(0usize, |t, p| t.checked_add(p.len()));
            if let Some(total) = total.filter(|&t| t > 0) {
                let _ = inner.queue.expand_spread(total, 2);
            }
            let mut added = 0;
            for part in parts {
                if inner.queue.append(part).is_err() {
                    break;
                }
                added += part.len();
            }
            inner.n_added += added;
            added
        })
    }

    /// `evbuffer_prepend`.
    pub fn prepend(&self, data: &[u8]) -> BufferResult<()> {
        self.change(|inner| {
            if data.is_empty() {
                return Ok(());
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            inner.queue.prepend(data)?;
            inner.n_added += data.len();
            Ok(())
        })
    }

    /// `evbuffer_add_reference`: appends `start..end` of shared memory without copying.
    /// `make` builds the backing only once the buffer accepted and has room for it, so
    /// that a refused call never releases the program's memory; None from `make` means
    /// it could not be allocated.
    pub fn add_shared(
        &self,
        start: usize,
        end: usize,
        make: impl FnOnce() -> Option<Shared<dyn Backing>>,
    ) -> BufferResult<()> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.queue.prepare_shared(end - start)?;
            let backing = make().ok_or(BufferError::NoMemory)?;
            inner.queue.push_shared(backing, start, end, 0);
            inner.n_added += end - start;
            Ok(())
        })
    }

    /// `evbuffer_add_file_segment`: `length` -1 means to the end of the segment.
    /// `segment` is a reference that the caller holds (the program's handle). As in
    /// libevent, a refused segment releases it (`evbuffer_add_file` relies on this to
    /// close a fresh segment's file); an accepted one hands it back, and the buffer
    /// keeps references of its own.
    pub fn add_file_segment(
        &self,
        segment: Shared<FileSegment>,
        offset: i64,
        length: i64,
    ) -> Result<Shared<FileSegment>, BufferError> {
        let added = self.change(|inner| {
            let sendfile = inner.flags & FLAG_DRAINS_TO_FD != 0 && segment.can_sendfile();
            if !sendfile && segment.materialize().is_none() {
                return Err(BufferError::Invalid);
            }
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            let size = segment.len() as i64;
            let length = if length < 0 {
                if offset > size || offset < 0 {
                    return Err(BufferError::Invalid);
                }
                size - offset
            } else {
                length
            };
            if offset < 0 || offset.checked_add(length).is_none_or(|end| end > size) {
                return Err(BufferError::Invalid);
            }
            let (start, end) = (offset as usize, (offset + length) as usize);
            inner.queue.prepare_shared(end - start)?;
            let view = file::SegmentView::try_new(&segment).ok_or(BufferError::NoMemory)?;
            let kind = if sendfile { chunk::kind::SENDFILE } else { 0 };
            inner.queue.push_shared(view, start, end, kind);
            inner.n_added += end - start;
            Ok(())
        });
        added.map(|()| segment)
    }

    /// `evbuffer_add_file`: appends `length` bytes (-1: to the end of the file) of
    /// `fd` from `offset`; the buffer closes `fd` when done with it (at once if the
    /// segment is refused after it was made; not at all when it cannot be made).
    pub fn add_file(&self, fd: RawFd, offset: i64, length: i64) -> BufferResult<()> {
        let segment = FileSegment::new(fd, offset, length, fs_flag::CLOSE_ON_FREE)
            .ok_or(BufferError::Invalid)?;
        self.add_file_segment(segment, 0, length).map(drop)
    }

    /// `evbuffer_add_buffer`: moves everything from `src` to the end of `self`.
    pub fn add_buffer(&self, src: &Evbuffer) -> BufferResult<()> {
        self.take_all(src, false)
    }

    /// `evbuffer_prepend_buffer`: moves everything from `src` to the front of `self`.
    pub fn prepend_buffer(&self, src: &Evbuffer) -> BufferResult<()> {
        self.take_all(src, true)
    }

    pub(super) fn take_all(&self, src: &Evbuffer, to_front: bool) -> BufferResult<()> {
        if std::ptr::eq(self, src) {
            return Ok(());
        }
        let result = {
            let _held = Self::held_pair(self, src);
            // SAFETY: both locks are held; the buffers are distinct.
            let (dst_inner, src_inner) = unsafe { (self.inner(), src.inner()) };
            let n = src_inner.queue.len;
            let dst_frozen = if to_front {
                dst_inner.freeze_start
            } else {
                dst_inner.freeze_end
            };
            if n == 0 {
                Ok(())
            } else if dst_frozen || src_inner.freeze_start {
                Err(BufferError::Frozen)
            } else {
                let moved = if to_front {
                    dst_inner.queue.prepend_queue(&mut src_inner.queue)
                } else {
                    dst_inner.queue.append_queue(&mut src_inner.queue)
                };
                moved
                    .map(|()| {
                        src_inner.n_deleted += n;
                        dst_inner.n_added += n;
                    })
                    .map_err(Into::into)
            }
        };
        self.changed_pair(src);
        result
    }

    /// `evbuffer_add_buffer_reference`: appends the contents of `src` without
    /// removing them from it.
    pub fn add_buffer_reference(&self, src: &Evbuffer) -> BufferResult<()> {
        let result = {
            let _held = Self::held_pair(self, src);
            // SAFETY: both locks are held.
            let src_len = unsafe { src.inner() }.queue.len;
            if src_len == 0 {
                Ok(())
            } else if std::ptr::eq(self, src) {
                Err(BufferError::Invalid)
            } else {
                // SAFETY: both locks are held; the buffers are distinct.
                let (dst_inner, src_inner) = unsafe { (self.inner(), src.inner()) };
                if dst_inner.freeze_end {
                    Err(BufferError::Frozen)
                } else {
                    dst_inner
                        .queue
                        .share_from(&mut src_inner.queue)
                        .map(|()| dst_inner.n_added += src_len)
                        .map_err(Into::into)
                }
            }
        };
        self.changed();
        result
    }

    // ----- removing -------------------------------------------------------------------

    /// `evbuffer_drain`: removes up to `n` bytes from the front.
    #[inline]
    pub fn drain(&self, n: usize) -> BufferResult<()> {
        self.change(move |inner| {
            if inner.queue.len == 0 {
                return Ok(());
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            inner.n_deleted += inner.queue.drain(n);
            Ok(())
        })
    }

    /// `evbuffer_remove`: moves up to `out.len()` bytes into `out`.
    #[inline]
    pub fn remove(&self, out: &mut [u8]) -> BufferResult<usize> {
        self.change(move |inner| {
            let n = out.len().min(inner.queue.len);
            if n == 0 {
                return Ok(0);
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            let n = inner.queue.remove(&mut out[..n]);
            inner.n_deleted += n;
            Ok(n)
        })
    }

    /// `evbuffer_copyout_from`: copies bytes starting at `from` (or the front).
    pub fn copy_out(&self, from: Option<&BufferPtr>, out: &mut [u8]) -> BufferResult<usize> {
        self.read(|inner| {
            let q = &inner.queue;
            let pos = match from {
                Some(p) => {
                    if p.pos >= 0 && out.len() > (isize::MAX - p.pos) as usize {
                        return Err(BufferError::TooLarge);
                    }
                    q.resolve(p).ok_or(BufferError::NotFound)?
                }
                None => q.start_pos(),
            };
            let n = out.len().min(q.len - pos.abs);
            if n == 0 {
                return Ok(0);
            }
            if inner.freeze_start {
                return Err(BufferError::Frozen);
            }
            Ok(q.copy_from(pos.chunk, pos.offset, &mut out[..n]))
        })
    }

    /// `evbuffer_remove_buffer`: moves up to `n` bytes from the front of `self` to
    /// the end of `dst`; returns the count.
    pub fn remove_buffer(&self, dst: &Evbuffer, n: usize) -> BufferResult<usize> {
        if std::ptr::eq(self, dst) || n == 0 {
            return Ok(0);
        }
        let result = {
            let _held = Self::held_pair(self, dst);
            // SAFETY: both locks are held; the buffers are distinct.
            let (src_inner, dst_inner) = unsafe { (self.inner(), dst.inner()) };
            if dst_inner.freeze_end || src_inner.freeze_start {
                Err(BufferError::Frozen)
            } else {
                match src_inner.queue.move_front_to(&mut dst_inner.queue, n) {
                    Ok(moved) => {
                        src_inner.n_deleted += moved;
                        dst_inner.n_added += moved;
                        Ok(moved)
                    }
                    Err(e) => Err(e.into()),
                }
            }
        };
        self.changed_pair(dst);
        result
    }

    /// `evbuffer_pullup`: makes the first `size` bytes (all for None) contiguous and
    /// returns a pointer to them; None when `size` is 0 or more than the length.
    pub fn pullup(&self, size: Option<usize>) -> Option<NonNull<u8>> {
        self.change(|inner| {
            let size = size.unwrap_or(inner.queue.len);
            if size == 0 || size > inner.queue.len {
                return None;
            }
            inner.queue.pullup(size).ok().and_then(NonNull::new)
        })
    }

    /// `evbuffer_find`: makes the buffer contiguous up to the end of the first
    /// occurrence of `needle` and points at it; None when there is none.
    pub fn find_contiguous(&self, needle: &[u8]) -> Option<NonNull<u8>> {
        self.change(|inner| {
            let q = &mut inner.queue;
            if needle.is_empty() {
                return None;
            }
            let at = q.find(q.start_pos(), needle)?.abs;
            let start = q.pullup(at + needle.len()).ok()?;
            NonNull::new(start.wrapping_add(at))
        })
    }

    // ----- free space -----------------------------------------------------------------

    /// `evbuffer_expand`: room for `size` more bytes in one chunk.
    pub fn expand(&self, size: usize) -> BufferResult<()> {
        self.change(|inner| {
            inner.queue.expand_contiguous(size)?;
            Ok(())
        })
    }

    /// `evbuffer_reserve_space`: describes at least `size` bytes of free space in up
    /// to `out.len()` regions; returns how many regions were filled in.
    pub fn reserve(&self, size: usize, out: &mut [libc::iovec]) -> BufferResult<usize> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            match out.len() {
                0 => Err(BufferError::Invalid),
                1 => {
                    let index = inner.queue.expand_contiguous(size)?;
                    let chunk = &inner.queue.chunks[index];
                    out[0] = libc::iovec {
                        iov_base: chunk.space_ptr().expect("owned").as_ptr().cast(),
                        iov_len: chunk.space(),
                    };
                    Ok(1)
                }
                n => {
                    inner.queue.expand_spread(size, n)?;
                    Ok(inner.queue.space_regions(size, out, false))
                }
            }
        })
    }

    /// `evbuffer_commit_space`.
    pub fn commit(&self, regions: &[libc::iovec]) -> BufferResult<()> {
        self.change(|inner| {
            if inner.freeze_end {
                return Err(BufferError::Frozen);
            }
            inner.n_added += inner.queue.commit(regions)?;
            Ok(())
        })
    }
}
