//! The pieces an evbuffer is made of: owned blocks of memory, and views of memory that
//! is shared (with another buffer, with the program, or with a file segment).

use std::alloc::{self, Layout};
use std::os::fd::RawFd;
use std::ptr::NonNull;

use crate::util::shared::{Counted, Shared};

/// Memory an evbuffer reads from but never writes to or frees itself.
///
/// Dropping the last [`Shared`] reference to a backing is when its owner is told the memory is no
/// longer used (the cleanup callback of `evbuffer_add_reference`, for example).
pub trait Backing: Send + Sync {
    /// All the bytes; chunks refer to a range of them.
    fn bytes(&self) -> &[u8];
    /// Whether this is part of a file (such data cannot be shared by reference).
    fn is_file(&self) -> bool {
        false
    }
    /// The descriptor and file offset of byte 0, when the bytes can be sent with
    /// `sendfile` instead of being read into memory.
    fn sendfile_source(&self) -> Option<(RawFd, u64)> {
        None
    }
}

/// `backing` counted as shared memory that buffers can hold, or `backing` back when
/// memory runs out (the caller decides whether its owner is told).
pub fn share_backing<B: Backing + 'static>(backing: B) -> Result<Shared<dyn Backing>, B> {
    let block: Box<Counted<dyn Backing>> = Counted::try_boxed(backing)?;
    Ok(Shared::from_box(block))
}

/// An owned, uninitialised-at-birth block of memory.
pub(super) struct Block {
    ptr: NonNull<u8>,
    cap: usize,
}

// SAFETY: a Block is a uniquely owned allocation, like a Box<[u8]>.
unsafe impl Send for Block {}
// SAFETY: shared access only reads.
unsafe impl Sync for Block {}

impl Block {
    /// None when the size is impossible or the allocator fails.
    pub(super) fn new(cap: usize) -> Option<Block> {
        let cap = cap.max(1);
        let layout = Layout::array::<u8>(cap).ok()?;
        // SAFETY: the layout has a nonzero size.
        let ptr = NonNull::new(unsafe { alloc::alloc(layout) })?;
        Some(Block { ptr, cap })
    }

    /// A block of no memory: what a chunk slot holds once its chunk was taken out.
    pub(super) const fn none() -> Block {
        Block {
            ptr: NonNull::dangling(),
            cap: 0,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap
    }

    pub(super) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.cap == 0 {
            return;
        }
        // SAFETY: allocated in `new` with this layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), Layout::array::<u8>(self.cap).unwrap()) };
    }
}

/// A block once owned by one buffer, now shared by several
/// (`evbuffer_add_buffer_reference`).
pub(super) struct SharedBlock {
    block: Block,
    /// Bytes below this offset were written before the block was shared.
    written: usize,
}

impl Backing for SharedBlock {
    fn bytes(&self) -> &[u8] {
        // SAFETY: the first `written` bytes were initialised while the block was owned,
        // and nobody writes to a shared block.
        unsafe { std::slice::from_raw_parts(self.block.as_ptr(), self.written) }
    }
}

pub(super) enum Store {
    Owned(Block),
    Shared(Shared<dyn Backing>),
}

/// Chunk flags.
pub(super) mod kind {
    /// Shared from another buffer by `evbuffer_add_buffer_reference`.
    pub const MULTICAST: u8 = 1;
    /// File data to be written with `sendfile`.
    pub const SENDFILE: u8 = 2;
}

/// A run of bytes: `start..end` of its store. For an owned block, `end..capacity` is
/// free space that appends may fill.
pub(super) struct Chunk {
    pub(super) store: Store,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: u8,
}

impl Chunk {
    pub(super) fn owned(block: Block) -> Chunk {
        Chunk {
            store: Store::Owned(block),
            start: 0,
            end: 0,
            kind: 0,
        }
    }

    pub(super) fn shared(
        backing: Shared<dyn Backing>,
        start: usize,
        end: usize,
        kind: u8,
    ) -> Chunk {
        Chunk {
            store: Store::Shared(backing),
            start,
            end,
            kind,
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }

    /// The bytes held.
    #[inline]
    pub(super) fn data(&self) -> &[u8] {
        match &self.store {
            // SAFETY: `start..end` of an owned block is always initialised: it was
            // written by a copy or committed by the program after it filled it.
            Store::Owned(b) => unsafe {
                std::slice::from_raw_parts(b.as_ptr().add(self.start), self.len())
            },
            Store::Shared(s) => &s.bytes()[self.start..self.end],
        }
    }

    /// Pointer to the first byte held (for handing out to C).
    #[inline]
    pub(super) fn data_ptr(&self) -> *mut u8 {
        self.data().as_ptr().cast_mut()
    }

    /// The owned block, when appends and prepends may write into this chunk.
    #[inline]
    pub(super) fn block(&self) -> Option<&Block> {
        match &self.store {
            Store::Owned(b) => Some(b),
            Store::Shared(_) => None,
        }
    }

    /// Free bytes after the data (0 for shared chunks).
    #[inline]
    pub(super) fn space(&self) -> usize {
        self.block().map_or(0, |b| b.capacity() - self.end)
    }

    /// Pointer to the free space after the data, when there is an owned block.
    #[inline]
    pub(super) fn space_ptr(&self) -> Option<NonNull<u8>> {
        // SAFETY: `end <= capacity`, so the result stays within (or one past) the block.
        self.block()
            .map(|b| unsafe { NonNull::new_unchecked(b.as_ptr().add(self.end)) })
    }

    /// Appends as much of `bytes` as fits; returns how much did.
    #[inline]
    pub(super) fn push(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.space());
        if n > 0 {
            let dst = self.space_ptr().expect("space implies a block");
            // SAFETY: `n` bytes of free space follow `end`; the source is another object.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.as_ptr(), n) };
            self.end += n;
        }
        n
    }

    /// Writes `bytes` just before the data; the caller checked `start >= bytes.len()`.
    pub(super) fn push_front(&mut self, bytes: &[u8]) {
        let base = self
            .block()
            .expect("prepending into an owned block")
            .as_ptr();
        assert!(bytes.len() <= self.start);
        self.start -= bytes.len();
        // SAFETY: `start..start + len` lies inside the block, before the data.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(self.start), bytes.len()) };
    }

    /// Moves the data of an owned block to its beginning.
    pub(super) fn realign(&mut self) {
        if let Store::Owned(b) = &self.store {
            if self.start > 0 {
                let len = self.len();
                // SAFETY: both ranges are inside the block; `copy` allows overlap.
                unsafe { std::ptr::copy(b.as_ptr().add(self.start), b.as_ptr(), len) };
                self.start = 0;
                self.end = len;
            }
        }
    }

    /// Empties an owned chunk, keeping its block for reuse.
    pub(super) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Turns an owned block into shared storage so that other buffers can refer to it;
    /// false (and the chunk unchanged) when memory runs out.
    pub(super) fn share(&mut self) -> bool {
        if matches!(self.store, Store::Shared(_)) {
            return true;
        }
        let Store::Owned(block) = std::mem::replace(&mut self.store, Store::Owned(Block::none()))
        else {
            unreachable!()
        };
        let written = self.end;
        match share_backing(SharedBlock { block, written }) {
            Ok(shared) => {
                self.store = Store::Shared(shared);
                true
            }
            Err(unshared) => {
                self.store = Store::Owned(unshared.block);
                false
            }
        }
    }
}

/// Size of a new block for `needed` bytes after a block of `previous` bytes: blocks
/// start at 1 KiB and double up to 4 KiB while data keeps coming, and are never
/// smaller than what is needed.
pub(super) fn next_block_size(previous: usize, needed: usize) -> usize {
    const MIN: usize = 1024;
    const AUTO_MAX: usize = 4096;
    let grown = if previous == 0 {
        MIN
    } else if previous <= AUTO_MAX / 2 {
        previous * 2
    } else {
        previous
    };
    round_block_size(grown.max(needed))
}

/// Rounds a request up so that allocations come in a few sizes: powers of two up to
/// 64 KiB, then whole pages.
pub(super) fn round_block_size(size: usize) -> usize {
    const MIN: usize = 1024;
    if size <= MIN {
        MIN
    } else if size <= 64 * 1024 {
        size.next_power_of_two()
    } else {
        size.checked_next_multiple_of(4096).unwrap_or(size)
    }
}
