//! The byte queue itself: a deque of chunks with the data at the front and, at the
//! back, empty blocks handed out by `reserve` and not yet committed.

use std::slice::SliceIndex;

use super::chunk::{kind, next_block_size, round_block_size, Backing, Block, Chunk, Store};
use crate::util::shared::Shared;

/// Why an operation on the queue was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueError {
    /// The size would overflow or cannot be allocated.
    TooLarge,
    /// The allocator failed.
    NoMemory,
    /// The regions given do not match the reserved space.
    Mismatch,
    /// The data cannot be shared (file data, or data shared from a third buffer).
    NotShareable,
}

/// Data moved within a block when appending is limited to this, so that realigning
/// stays cheaper than a new block.
const MAX_TO_REALIGN: usize = 2048;
/// A buffer that becomes empty keeps its last block up to this size.
const KEEP_WHEN_EMPTY: usize = 4096;
/// Data copied into a bigger block by `reserve` is limited to this.
const MAX_TO_COPY_IN_EXPAND: usize = 4096;

/// The chunks of a queue, front first. A vector whose first `head` slots are left
/// over from chunks taken off the front (they hold empty placeholders), so that taking
/// the front chunk moves nothing; the slots are reclaimed once they are half of the
/// vector. Unlike a ring buffer, the chunks are always one slice, which makes indexing
/// cheap on the paths every call takes.
pub(super) struct Chunks {
    slots: Vec<Chunk>,
    head: usize,
}

impl Chunks {
    const fn new() -> Chunks {
        Chunks {
            slots: Vec::new(),
            head: 0,
        }
    }

    #[inline]
    pub(super) fn as_slice(&self) -> &[Chunk] {
        &self.slots[self.head..]
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.slots.len() - self.head
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // Indexing goes to the vector directly: one bounds check instead of two.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&Chunk> {
        self.slots.get(self.head + i)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut Chunk> {
        self.slots.get_mut(self.head + i)
    }

    /// Where chunk `i` sits in the vector. Slots change only when chunks are taken
    /// off or put on the front, which is when positions must be looked up again anyway.
    #[inline]
    pub(super) fn slot(&self, i: usize) -> usize {
        self.head + i
    }

    /// The chunk in `slot` (a placeholder holds no data), and its index.
    #[inline]
    pub(super) fn by_slot(&self, slot: usize) -> Option<(usize, &Chunk)> {
        let chunk = self.slots.get(slot)?;
        Some((slot.wrapping_sub(self.head), chunk))
    }

    #[inline]
    pub(super) fn front(&self) -> Option<&Chunk> {
        self.slots.get(self.head)
    }

    #[inline]
    pub(super) fn front_mut(&mut self) -> Option<&mut Chunk> {
        self.slots.get_mut(self.head)
    }

    pub(super) fn back(&self) -> Option<&Chunk> {
        self.as_slice().last()
    }

    /// The chunks in `range` (of indexes counted from the front).
    #[inline]
    pub(super) fn range<R: SliceIndex<[Chunk], Output = [Chunk]>>(
        &self,
        range: R,
    ) -> std::slice::Iter<'_, Chunk> {
        self.as_slice()[range].iter()
    }

    pub(super) fn iter(&self) -> std::slice::Iter<'_, Chunk> {
        self.as_slice().iter()
    }

    pub(super) fn push_back(&mut self, chunk: Chunk) {
        self.slots.push(chunk);
    }

    /// Makes room for `n` more chunks, at the back or (after reclaiming the slots left
    /// at the front) anywhere.
    pub(super) fn try_reserve(
        &mut self,
        n: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        self.slots.try_reserve(n)
    }

    pub(super) fn pop_back(&mut self) -> Option<Chunk> {
        if self.is_empty() {
            return None;
        }
        self.slots.pop()
    }

    pub(super) fn insert(&mut self, i: usize, chunk: Chunk) {
        self.slots.insert(self.head + i, chunk);
    }

    pub(super) fn remove(&mut self, i: usize) -> Option<Chunk> {
        (i < self.len()).then(|| self.slots.remove(self.head + i))
    }

    pub(super) fn pop_front(&mut self) -> Option<Chunk> {
        let slot = self.slots.get_mut(self.head)?;
        let chunk = std::mem::replace(slot, Chunk::owned(Block::none()));
        self.head += 1;
        if self.head == self.slots.len() {
            self.slots.clear();
            self.head = 0;
        } else if self.head >= 16 && self.head * 2 >= self.slots.len() {
            self.slots.drain(..self.head);
            self.head = 0;
        }
        Some(chunk)
    }

    pub(super) fn push_front(&mut self, chunk: Chunk) {
        if self.head == 0 {
            // Room for as many more as there are chunks, so that prepending chunk by
            // chunk stays linear.
            let room = self.slots.len().max(4);
            let spare = std::iter::repeat_with(|| Chunk::owned(Block::none())).take(room);
            self.slots.splice(0..0, spare);
            self.head = room;
        }
        self.head -= 1;
        self.slots[self.head] = chunk;
    }

    /// Takes the first `n` chunks out.
    pub(super) fn drain_front(&mut self, n: usize) -> std::vec::Drain<'_, Chunk> {
        self.slots.drain(self.head..self.head + n)
    }
}

impl std::ops::Index<usize> for Chunks {
    type Output = Chunk;

    #[inline]
    fn index(&self, i: usize) -> &Chunk {
        &self.slots[self.head + i]
    }
}

impl std::ops::IndexMut<usize> for Chunks {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut Chunk {
        &mut self.slots[self.head + i]
    }
}

pub(super) struct Queue {
    pub(super) chunks: Chunks,
    /// `chunks[..filled]` hold data; `chunks[filled..]` are empty owned blocks.
    pub(super) filled: usize,
    pub(super) len: usize,
    /// Changes whenever chunk indexes or data offsets of existing data may have moved;
    /// positions remembered with an older generation are looked up again. Always odd.
    pub(super) generation: u32,
    /// Shared storage no longer used, dropped by the owner of the queue once no
    /// borrow is live (dropping may call back into the program).
    pub(super) released: Vec<Shared<dyn Backing>>,
}

impl Queue {
    pub(super) const fn new() -> Queue {
        Queue {
            chunks: Chunks::new(),
            filled: 0,
            len: 0,
            generation: 1,
            released: Vec::new(),
        }
    }

    #[inline]
    fn moved(&mut self) {
        self.generation = self.generation.wrapping_add(2);
    }

    /// Bytes available from the first chunk without copying.
    pub(super) fn first_len(&self) -> usize {
        if self.filled > 0 {
            self.chunks[0].len()
        } else {
            0
        }
    }

    /// The data chunks.
    pub(super) fn data_chunks(&self) -> impl DoubleEndedIterator<Item = &Chunk> + '_ {
        self.chunks.range(..self.filled)
    }

    fn retire(&mut self, chunk: Chunk) {
        if let Store::Shared(s) = chunk.store {
            self.released.push(s);
        }
    }

    fn drop_trailing_empty(&mut self) {
        while self.chunks.len() > self.filled {
            let c = self.chunks.pop_back().expect("nonempty");
            self.retire(c);
        }
    }

    /// Makes room for `n` more chunks, so that the pushes that follow cannot fail.
    fn reserve_chunks(&mut self, n: usize) -> Result<(), QueueError> {
        self.chunks.try_reserve(n).map_err(|_| QueueError::NoMemory)
    }

    /// Puts a data chunk after the current data.
    fn insert_data(&mut self, chunk: Chunk) {
        debug_assert!(chunk.len() > 0);
        if self.filled == self.chunks.len() {
            self.chunks.push_back(chunk);
        } else {
            self.chunks.insert(self.filled, chunk);
        }
        self.filled += 1;
    }

    fn check_growth(&self, extra: usize) -> Result<(), QueueError> {
        if extra > usize::MAX - self.len || extra > isize::MAX as usize {
            Err(QueueError::TooLarge)
        } else {
            Ok(())
        }
    }

    fn new_block(size: usize) -> Result<Block, QueueError> {
        if size > isize::MAX as usize {
            return Err(QueueError::TooLarge);
        }
        Block::new(size).ok_or(QueueError::NoMemory)
    }

    fn should_realign(chunk: &Chunk, wanted: usize) -> bool {
        match chunk.block() {
            Some(b) => {
                chunk.start > 0
                    && b.capacity() - chunk.len() >= wanted
                    && chunk.len() < b.capacity() / 2
                    && chunk.len() <= MAX_TO_REALIGN
            }
            None => false,
        }
    }

    // ----- adding ---------------------------------------------------------------------

    /// Copies bytes onto the end.
    #[inline]
    pub(super) fn append(&mut self, bytes: &[u8]) -> Result<(), QueueError> {
        // The common case: the bytes fit after the data of the last chunk, or in the
        // block an empty buffer kept.
        let index = self.filled.saturating_sub(1);
        if let Some(last) = self.chunks.get_mut(index) {
            if let Store::Owned(block) = &last.store {
                if block.capacity() - last.end >= bytes.len() && !bytes.is_empty() {
                    // The bookkeeping first, so that little has to outlive the copy.
                    let end = last.end;
                    last.end += bytes.len();
                    self.len += bytes.len();
                    self.filled = index + 1;
                    // SAFETY: `bytes.len()` bytes of free space follow `end`.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            bytes.as_ptr(),
                            block.as_ptr().add(end),
                            bytes.len(),
                        )
                    };
                    return Ok(());
                }
            }
        }
        self.append_slow(bytes)
    }

    #[cold]
    #[inline(never)]
    fn append_slow(&mut self, mut bytes: &[u8]) -> Result<(), QueueError> {
        // Realigning the last chunk makes room: how a small buffer that is drained as
        // it fills keeps to one block. (The fast path found too little space after it.)
        if let Some(last) = self.filled.checked_sub(1).map(|i| &mut self.chunks[i]) {
            if !bytes.is_empty() && Self::should_realign(last, bytes.len()) {
                last.realign();
                let n = last.push(bytes);
                debug_assert_eq!(n, bytes.len());
                self.len += n;
                return Ok(());
            }
        }
        self.check_growth(bytes.len())?;
        self.reserve_chunks(1)?;
        if bytes.is_empty() {
            return Ok(());
        }
        let total = bytes.len();
        let mut previous_cap = 0;
        if self.filled > 0 {
            let last = &mut self.chunks[self.filled - 1];
            if let Some(b) = last.block() {
                previous_cap = b.capacity();
                let n = last.push(bytes);
                bytes = &bytes[n..];
            }
        }
        if !bytes.is_empty() {
            // The first empty block at the back if it is big enough, or a new one.
            if let Some(spare) = self.chunks.get_mut(self.filled) {
                if spare.space() >= bytes.len() {
                    spare.push(bytes);
                    self.filled += 1;
                    self.len += total;
                    return Ok(());
                }
            }
            let mut chunk = match Self::new_block(next_block_size(previous_cap, bytes.len())) {
                Ok(b) => Chunk::owned(b),
                Err(e) => {
                    // Undo the part written to the last chunk: the call fails whole.
                    let written = total - bytes.len();
                    if written > 0 {
                        self.chunks[self.filled - 1].end -= written;
                    }
                    return Err(e);
                }
            };
            chunk.push(bytes);
            self.insert_data(chunk);
        }
        self.len += total;
        Ok(())
    }

    /// Copies bytes onto the front.
    pub(super) fn prepend(&mut self, mut bytes: &[u8]) -> Result<(), QueueError> {
        self.check_growth(bytes.len())?;
        self.reserve_chunks(1)?;
        if bytes.is_empty() {
            return Ok(());
        }
        let total = bytes.len();
        self.moved();
        if self.filled > 0 {
            let first = &mut self.chunks[0];
            if first.block().is_some() && first.start > 0 {
                let n = first.start.min(bytes.len());
                first.push_front(&bytes[bytes.len() - n..]);
                bytes = &bytes[..bytes.len() - n];
            }
        }
        if !bytes.is_empty() {
            let block = match Self::new_block(round_block_size(bytes.len())) {
                Ok(b) => b,
                Err(e) => {
                    let written = total - bytes.len();
                    if written > 0 {
                        self.chunks[0].start += written;
                    }
                    return Err(e);
                }
            };
            let cap = block.capacity();
            let mut chunk = Chunk::owned(block);
            chunk.start = cap;
            chunk.end = cap;
            chunk.push_front(bytes);
            self.chunks.push_front(chunk);
            self.filled += 1;
        }
        self.len += total;
        Ok(())
    }

    /// Makes room for a view of `len` bytes of shared memory, so that the
    /// [`Queue::push_shared`] that follows cannot fail.
    pub(super) fn prepare_shared(&mut self, len: usize) -> Result<(), QueueError> {
        self.check_growth(len)?;
        self.reserve_chunks(1)?;
        self.released
            .try_reserve(1)
            .map_err(|_| QueueError::NoMemory)
    }

    /// Appends a view of shared memory, after [`Queue::prepare_shared`].
    pub(super) fn push_shared(
        &mut self,
        backing: Shared<dyn Backing>,
        start: usize,
        end: usize,
        chunk_kind: u8,
    ) {
        let len = end - start;
        if len == 0 {
            self.released.push(backing);
            return;
        }
        self.insert_data(Chunk::shared(backing, start, end, chunk_kind));
        self.len += len;
    }

    // ----- removing -------------------------------------------------------------------

    /// Removes up to `n` bytes from the front; returns how many were removed.
    #[inline]
    pub(super) fn drain(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        if n == 0 {
            return 0;
        }
        self.moved();
        self.len -= n;
        let only = self.chunks.len() == 1;
        if let Some(first) = self.chunks.front_mut() {
            let len = first.len();
            if n < len {
                first.start += n;
                return n;
            }
            if n == len && only && Self::worth_keeping(first) {
                first.clear();
                self.filled = 0;
                return n;
            }
        }
        self.drain_chunks(n);
        n
    }

    #[cold]
    #[inline(never)]
    fn drain_chunks(&mut self, mut left: usize) {
        while left > 0 {
            let only = self.filled == 1 && self.chunks.len() == 1;
            let first = &mut self.chunks[0];
            let len = first.len();
            if left < len {
                first.start += left;
                break;
            }
            left -= len;
            if only && Self::worth_keeping(first) {
                // The buffer is now empty: keep a small block for the next append
                // instead of freeing it and allocating another.
                first.clear();
                self.filled = 0;
                break;
            }
            let chunk = self.chunks.pop_front().expect("data remains");
            self.filled -= 1;
            self.retire(chunk);
        }
    }

    #[inline]
    fn worth_keeping(chunk: &Chunk) -> bool {
        chunk.kind == 0
            && chunk
                .block()
                .is_some_and(|b| b.capacity() <= KEEP_WHEN_EMPTY)
    }

    /// Frees the free-space blocks kept at the back (an idle buffer then holds no
    /// memory besides itself).
    pub(super) fn trim(&mut self) {
        self.drop_trailing_empty();
        if self.chunks.is_empty() {
            self.chunks = Chunks::new();
        }
    }

    /// [`Queue::trim`], except that an empty queue keeps its first block when an
    /// emptied queue would (small, plain).
    pub(super) fn trim_to_spare(&mut self) {
        if self.filled == 0 && self.chunks.front().is_some_and(Self::worth_keeping) {
            while self.chunks.len() > 1 {
                let c = self.chunks.pop_back().expect("nonempty");
                self.retire(c);
            }
            return;
        }
        self.trim();
    }

    /// Moves the first `out.len()` bytes (at most the length) into `out`; returns how
    /// many were moved.
    #[inline]
    pub(super) fn remove(&mut self, out: &mut [u8]) -> usize {
        // The common case: fewer bytes than the first chunk holds, taken in one pass.
        // (An empty block kept at the front has no data and never qualifies.)
        if let Some(first) = self.chunks.front_mut() {
            let data = first.data();
            if out.len() < data.len() {
                out.copy_from_slice(&data[..out.len()]);
                first.start += out.len();
                self.len -= out.len();
                self.moved();
                return out.len();
            }
        }
        self.remove_slow(out)
    }

    #[inline(never)]
    fn remove_slow(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let copied = match self.chunks.front() {
            // All of the first chunk (as when the buffer is emptied).
            Some(first) if first.len() == n => {
                out[..n].copy_from_slice(first.data());
                n
            }
            _ => self.copy_from(0, 0, &mut out[..n]),
        };
        self.drain(copied)
    }

    /// Copies bytes starting at chunk `index`, offset `offset`, into `out`; returns
    /// how many were copied.
    #[inline]
    pub(super) fn copy_from(&self, mut index: usize, mut offset: usize, out: &mut [u8]) -> usize {
        if let Some(c) = self.chunks.get(index) {
            let data = c.data();
            if index < self.filled && data.len() - offset >= out.len() {
                out.copy_from_slice(&data[offset..offset + out.len()]);
                return out.len();
            }
        }
        let mut done = 0;
        while done < out.len() && index < self.filled {
            let data = &self.chunks[index].data()[offset..];
            let n = data.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&data[..n]);
            done += n;
            index += 1;
            offset = 0;
        }
        done
    }

    /// Makes the first `size` bytes contiguous; returns a pointer to them.
    #[inline]
    pub(super) fn pullup(&mut self, size: usize) -> Result<*mut u8, QueueError> {
        debug_assert!(size > 0 && size <= self.len);
        // Nearly always the first chunk holds them already (readers look at a header);
        // the copying stays out of line so that this check is all callers pay.
        match self.chunks.front() {
            Some(first) if first.len() >= size => Ok(first.data_ptr()),
            _ => self.pullup_by_copying(size),
        }
    }

    #[cold]
    #[inline(never)]
    fn pullup_by_copying(&mut self, size: usize) -> Result<*mut u8, QueueError> {
        self.reserve_chunks(1)?;
        self.moved();
        let first = &self.chunks[0];
        let fits_in_first = first
            .block()
            .is_some_and(|b| b.capacity() >= size && first.kind == 0);
        let (mut target, mut next) = if fits_in_first {
            let mut first = self.chunks.pop_front().expect("data");
            self.filled -= 1;
            let cap = first.block().expect("owned").capacity();
            if cap - first.start < size {
                first.realign();
            }
            (first, 0)
        } else {
            let block = Self::new_block(round_block_size(size))?;
            (Chunk::owned(block), 0)
        };
        // Move bytes from the following chunks into the target.
        while target.len() < size {
            let want = size - target.len();
            let source = &mut self.chunks[next];
            let n = want.min(source.len());
            let copied = target.push(&source.data()[..n]);
            debug_assert_eq!(copied, n);
            source.start += n;
            if source.len() == 0 {
                next += 1;
            }
        }
        for _ in 0..next {
            let chunk = self.chunks.pop_front().expect("consumed chunk");
            self.filled -= 1;
            self.retire(chunk);
        }
        self.chunks.push_front(target);
        self.filled += 1;
        Ok(self.chunks[0].data_ptr())
    }

    // ----- moving between queues ----------------------------------------------------

    /// Moves all data of `other` to the end of this queue.
    pub(super) fn append_queue(&mut self, other: &mut Queue) -> Result<(), QueueError> {
        self.check_growth(other.len)?;
        self.reserve_chunks(other.filled)?;
        if other.len == 0 {
            return Ok(());
        }
        other.moved();
        if self.chunks.is_empty() {
            std::mem::swap(&mut self.chunks, &mut other.chunks);
            self.filled = other.filled;
            other.filled = 0;
        } else {
            for chunk in other.chunks.drain_front(other.filled) {
                if self.filled == self.chunks.len() {
                    self.chunks.push_back(chunk);
                } else {
                    self.chunks.insert(self.filled, chunk);
                }
                self.filled += 1;
            }
            other.filled = 0;
        }
        self.len += other.len;
        other.len = 0;
        Ok(())
    }

    /// Moves all data of `other` to the front of this queue.
    pub(super) fn prepend_queue(&mut self, other: &mut Queue) -> Result<(), QueueError> {
        self.check_growth(other.len)?;
        self.reserve_chunks(other.filled)?;
        if other.len == 0 {
            return Ok(());
        }
        self.moved();
        other.moved();
        for chunk in other.chunks.drain_front(other.filled).rev() {
            self.chunks.push_front(chunk);
            self.filled += 1;
        }
        other.filled = 0;
        self.len += other.len;
        other.len = 0;
        Ok(())
    }

    /// Moves up to `n` bytes from the front of this queue to the end of `dst`:
    /// whole chunks are relinked, a partial one is copied. Returns the count moved.
    pub(super) fn move_front_to(&mut self, dst: &mut Queue, n: usize) -> Result<usize, QueueError> {
        let n = n.min(self.len);
        if n == 0 {
            return Ok(0);
        }
        dst.check_growth(n)?;
        let mut whole = 0;
        let mut covered = 0;
        for c in self.data_chunks() {
            if covered + c.len() > n {
                break;
            }
            covered += c.len();
            whole += 1;
        }
        dst.reserve_chunks(whole + 1)?;
        if n == self.len {
            dst.append_queue(self)?;
            return Ok(n);
        }
        self.moved();
        let mut moved = 0;
        while moved + self.chunks[0].len() <= n {
            let chunk = self.chunks.pop_front().expect("data");
            self.filled -= 1;
            let len = chunk.len();
            moved += len;
            self.len -= len;
            dst.insert_data(chunk);
            dst.len += len;
        }
        if moved < n {
            let rest = n - moved;
            dst.append(&self.chunks[0].data()[..rest])?;
            self.chunks[0].start += rest;
            self.len -= rest;
            moved += rest;
        }
        Ok(moved)
    }

    /// Adds views of all data of `source` to the end of this queue; `source` keeps its
    /// data, which becomes read-only for it. On failure nothing is added (chunks of
    /// `source` already made shared stay so, which changes none of its bytes).
    pub(super) fn share_from(&mut self, source: &mut Queue) -> Result<(), QueueError> {
        self.check_growth(source.len)?;
        self.reserve_chunks(source.filled)?;
        let shareable = source.data_chunks().all(|c| {
            c.kind & (kind::MULTICAST | kind::SENDFILE) == 0
                && !matches!(&c.store, Store::Shared(s) if s.is_file())
        });
        if !shareable {
            return Err(QueueError::NotShareable);
        }
        for i in 0..source.filled {
            if !source.chunks[i].share() {
                return Err(QueueError::NoMemory);
            }
        }
        for chunk in source.data_chunks() {
            let Store::Shared(backing) = &chunk.store else {
                unreachable!("shared just above")
            };
            let view = Chunk::shared(backing.clone(), chunk.start, chunk.end, kind::MULTICAST);
            self.insert_data(view);
        }
        self.len += source.len;
        Ok(())
    }

    // ----- free space -----------------------------------------------------------------

    /// Index of the first chunk whose free space appends would use: the last data
    /// chunk when it has free space, else the first empty block.
    fn first_with_space(&self) -> usize {
        if self.filled > 0 && self.chunks[self.filled - 1].space() > 0 {
            self.filled - 1
        } else {
            self.filled
        }
    }

    /// Makes sure one chunk has `size` contiguous free bytes; returns its index.
    pub(super) fn expand_contiguous(&mut self, size: usize) -> Result<usize, QueueError> {
        self.check_growth(size)?;
        self.reserve_chunks(1)?;
        if self.filled > 0 {
            let last = &mut self.chunks[self.filled - 1];
            if let Some(b) = last.block() {
                let cap = b.capacity();
                let space = last.space();
                if space > 0 && space >= size {
                    return Ok(self.filled - 1);
                }
                if Self::should_realign(last, size) {
                    last.realign();
                    return Ok(self.filled - 1);
                }
                if space >= cap / 8 && last.len() <= MAX_TO_COPY_IN_EXPAND && space > 0 {
                    // Worth a bigger block: copy the data rather than waste the space.
                    let block = Self::new_block(round_block_size(last.len() + size))?;
                    let mut bigger = Chunk::owned(block);
                    bigger.push(last.data());
                    bigger.kind = last.kind;
                    let old = std::mem::replace(last, bigger);
                    self.retire(old);
                    return Ok(self.filled - 1);
                }
            }
        }
        if let Some(c) = self.chunks.get(self.filled) {
            if c.space() >= size {
                return Ok(self.filled);
            }
        }
        self.drop_trailing_empty();
        let block = Self::new_block(round_block_size(size))?;
        self.chunks.push_back(Chunk::owned(block));
        Ok(self.filled)
    }

    /// Makes sure the free space of at most `max_chunks` chunks adds up to `size`.
    pub(super) fn expand_spread(
        &mut self,
        size: usize,
        max_chunks: usize,
    ) -> Result<(), QueueError> {
        self.check_growth(size)?;
        self.reserve_chunks(1)?;
        let mut avail = 0;
        let mut used = 0;
        for c in self.chunks.range(self.first_with_space()..) {
            if used == max_chunks || avail >= size {
                break;
            }
            avail += c.space();
            used += 1;
        }
        if avail >= size {
            return Ok(());
        }
        if used == max_chunks {
            // Replace the empty blocks by one that is big enough.
            self.drop_trailing_empty();
            avail = self
                .chunks
                .get(self.first_with_space())
                .map_or(0, Chunk::space);
        }
        let block = Self::new_block(round_block_size(size - avail))?;
        self.chunks.push_back(Chunk::owned(block));
        Ok(())
    }

    /// Describes the free space of up to `out.len()` chunks, stopping once `size`
    /// bytes are covered; `exact` trims the last region to `size`. Returns the count.
    pub(super) fn space_regions(&self, size: usize, out: &mut [libc::iovec], exact: bool) -> usize {
        let mut so_far = 0;
        let mut n = 0;
        for c in self.chunks.range(self.first_with_space()..) {
            if n == out.len() || so_far >= size {
                break;
            }
            let mut len = c.space();
            if exact {
                len = len.min(size - so_far);
            }
            out[n] = libc::iovec {
                iov_base: c
                    .space_ptr()
                    .map_or(std::ptr::null_mut(), |p| p.as_ptr().cast()),
                iov_len: len,
            };
            so_far += len;
            n += 1;
        }
        n
    }

    /// Turns bytes written into free space into data. `regions` must describe the
    /// free space in order, starting at the chunk appends use, or the single region
    /// of the last chunk; lengths may be lowered. Returns the bytes added.
    pub(super) fn commit(&mut self, regions: &[libc::iovec]) -> Result<usize, QueueError> {
        if regions.is_empty() {
            return Ok(0);
        }
        let first = if regions.len() == 1
            && self
                .chunks
                .back()
                .and_then(Chunk::space_ptr)
                .is_some_and(|p| p.as_ptr().cast() == regions[0].iov_base)
        {
            self.chunks.len() - 1
        } else {
            self.first_with_space()
        };
        let mut total = 0usize;
        for (i, r) in regions.iter().enumerate() {
            let c = self.chunks.get(first + i).ok_or(QueueError::Mismatch)?;
            let matches = c
                .space_ptr()
                .is_some_and(|p| p.as_ptr().cast() == r.iov_base && r.iov_len <= c.space());
            if !matches {
                return Err(QueueError::Mismatch);
            }
            total = total.checked_add(r.iov_len).ok_or(QueueError::TooLarge)?;
        }
        self.check_growth(total)?;
        for (i, r) in regions.iter().enumerate() {
            self.chunks[first + i].end += r.iov_len;
        }
        self.len += total;
        self.settle_filled();
        Ok(total)
    }

    /// After free space was filled: empty blocks that now sit between data chunks are
    /// dropped and `filled` counts the data chunks again.
    fn settle_filled(&mut self) {
        let Some(mut last) = self.chunks.iter().rposition(|c| c.len() > 0) else {
            self.filled = 0;
            return;
        };
        let mut i = self.filled.saturating_sub(1);
        while i < last {
            if self.chunks[i].len() == 0 {
                let c = self.chunks.remove(i).expect("in range");
                self.retire(c);
                last -= 1;
            } else {
                i += 1;
            }
        }
        self.filled = last + 1;
    }

    /// Takes `n` bytes just written into the regions described by `space_regions`.
    pub(super) fn commit_read(&mut self, mut n: usize) {
        let mut i = self.first_with_space();
        self.len += n;
        while n > 0 {
            let c = &mut self.chunks[i];
            let take = c.space().min(n);
            c.end += take;
            n -= take;
            i += 1;
        }
        self.settle_filled();
    }
}
