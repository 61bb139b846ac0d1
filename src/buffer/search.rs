//! Positions inside a buffer (`struct evbuffer_ptr`) and the searches that use them.

use memchr::memmem;

use super::queue::Queue;

/// `struct evbuffer_ptr` (24 bytes on LP64): an offset from the start of the buffer,
/// then two words the library may use to find that offset again quickly.
///
/// Here the words are only a hint, checked before use: the chunk index (plus one)
/// tagged with the buffer's layout generation, and the offset in that chunk. A stale
/// or forged hint costs a walk from the front, never a wrong access.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferPtr {
    pub pos: isize,
    pub chain: usize,
    pub pos_in_chain: usize,
}

impl BufferPtr {
    /// The "not found" value: position -1.
    pub const NOT_FOUND: BufferPtr = BufferPtr {
        pos: -1,
        chain: 0,
        pos_in_chain: 0,
    };
}

/// `enum evbuffer_eol_style`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EolStyle {
    /// Any run of CR and LF bytes.
    Any,
    /// LF, or CR LF.
    Crlf,
    /// CR LF only.
    CrlfStrict,
    /// LF only.
    Lf,
    /// A NUL byte.
    Nul,
}

impl EolStyle {
    pub fn from_raw(raw: u32) -> Option<EolStyle> {
        Some(match raw {
            0 => EolStyle::Any,
            1 => EolStyle::Crlf,
            2 => EolStyle::CrlfStrict,
            3 => EolStyle::Lf,
            4 => EolStyle::Nul,
            _ => return None,
        })
    }
}

/// A checked position: `abs` bytes from the start, which is byte `offset` of data
/// chunk `chunk`, or (`filled`, 0) for the end of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    pub abs: usize,
    pub chunk: usize,
    pub offset: usize,
}

impl Queue {
    pub(super) fn start_pos(&self) -> Pos {
        Pos {
            abs: 0,
            chunk: 0,
            offset: 0,
        }
    }

    fn end_pos(&self) -> Pos {
        Pos {
            abs: self.len,
            chunk: self.filled,
            offset: 0,
        }
    }

    /// The position `abs` bytes from the start, if inside the buffer or at its end.
    pub(super) fn locate(&self, abs: usize) -> Option<Pos> {
        if abs > self.len {
            return None;
        }
        if abs == self.len {
            return Some(self.end_pos());
        }
        let mut before = 0;
        for (i, c) in self.data_chunks().enumerate() {
            if abs < before + c.len() {
                return Some(Pos {
                    abs,
                    chunk: i,
                    offset: abs - before,
                });
            }
            before += c.len();
        }
        None
    }

    /// Moves a position forward by `n` bytes; None past the end.
    #[inline]
    pub(super) fn advance(&self, pos: Pos, n: usize) -> Option<Pos> {
        let target = pos.abs.checked_add(n)?;
        if target > self.len {
            return None;
        }
        if let Some(c) = self
            .chunks
            .get(pos.chunk)
            .filter(|_| pos.chunk < self.filled)
        {
            if pos.offset + n < c.len() {
                return Some(Pos {
                    abs: target,
                    chunk: pos.chunk,
                    offset: pos.offset + n,
                });
            }
        }
        let (mut chunk, mut offset, mut left) = (pos.chunk, pos.offset, n);
        for c in self.chunks.range(pos.chunk..self.filled) {
            let len = c.len();
            if offset + left < len {
                return Some(Pos {
                    abs: target,
                    chunk,
                    offset: offset + left,
                });
            }
            left -= len - offset;
            chunk += 1;
            offset = 0;
        }
        Some(self.end_pos())
    }

    /// Decodes a caller's position: trusts its hint when the layout has not changed
    /// since it was made, and looks the offset up otherwise.
    pub(super) fn resolve(&self, ptr: &BufferPtr) -> Option<Pos> {
        let abs = usize::try_from(ptr.pos).ok()?;
        if abs > self.len {
            return None;
        }
        if let Some((generation, chunk)) = decode_hint(ptr.chain) {
            if generation == self.generation {
                let offset = ptr.pos_in_chain;
                if chunk < self.filled && offset < self.chunks[chunk].len() {
                    return Some(Pos { abs, chunk, offset });
                }
                if chunk == self.filled && offset == 0 && abs == self.len {
                    return Some(self.end_pos());
                }
            }
        }
        self.locate(abs)
    }

    /// The data of the chunk a caller's position points into, and the offset in it,
    /// when its hint is current (the common case of a position this buffer returned
    /// and nothing changed since). None means: resolve it the long way.
    #[inline]
    pub(super) fn hinted_chunk(&self, ptr: &BufferPtr) -> Option<(&[u8], usize)> {
        let (generation, chunk) = decode_hint(ptr.chain)?;
        if generation != self.generation || chunk >= self.filled || ptr.pos < 0 {
            return None;
        }
        let data = self.chunks[chunk].data();
        (ptr.pos_in_chain < data.len()).then_some((data, ptr.pos_in_chain))
    }

    pub(super) fn encode(&self, pos: Pos) -> BufferPtr {
        BufferPtr {
            pos: pos.abs as isize,
            chain: encode_hint(self.generation, pos.chunk),
            pos_in_chain: pos.offset,
        }
    }

    fn byte_at(&self, pos: Pos) -> Option<u8> {
        (pos.chunk < self.filled).then(|| self.chunks[pos.chunk].data()[pos.offset])
    }

    /// Whether the bytes at `pos` are `needle` (which may span chunks).
    fn matches_at(&self, pos: Pos, needle: &[u8]) -> bool {
        if pos.abs + needle.len() > self.len {
            return false;
        }
        let (mut chunk, mut offset, mut rest) = (pos.chunk, pos.offset, needle);
        while !rest.is_empty() {
            let data = &self.chunks[chunk].data()[offset..];
            let n = data.len().min(rest.len());
            if data[..n] != rest[..n] {
                return false;
            }
            rest = &rest[n..];
            chunk += 1;
            offset = 0;
        }
        true
    }

    /// The first position at or after `from` where `needle` starts.
    pub(super) fn find(&self, from: Pos, needle: &[u8]) -> Option<Pos> {
        debug_assert!(!needle.is_empty());
        if needle.len() == 1 {
            return self.find_with(from, |d| find_byte(needle[0], d));
        }
        let mut finder = None;
        let mut abs = from.abs;
        let mut offset = from.offset;
        for (chunk, c) in
            (from.chunk..).zip(self.chunks.range(from.chunk.min(self.filled)..self.filled))
        {
            let data = c.data().get(offset..).unwrap_or_default();
            let at = |i: usize| Pos {
                abs: abs + i,
                chunk,
                offset: offset + i,
            };
            // Complete matches inside the chunk first, then candidates in its tail,
            // which run into the next chunks.
            let mut i = match find_inside(data, needle, &mut finder) {
                Inside::Match(i) => return Some(at(i)),
                Inside::TailFrom(i) => i,
            };
            while i < data.len() {
                let Some(j) = find_byte(needle[0], &data[i..]) else {
                    break;
                };
                if self.matches_at(at(i + j), needle) {
                    return Some(at(i + j));
                }
                i += j + 1;
            }
            abs += data.len();
            offset = 0;
        }
        None
    }

    /// The first position at or after `from` where `scan` finds something in a chunk.
    #[inline]
    fn find_with(&self, from: Pos, mut scan: impl FnMut(&[u8]) -> Option<usize>) -> Option<Pos> {
        if from.chunk >= self.filled {
            return None;
        }
        // Most scans end in the chunk they start in.
        let data = self.chunks[from.chunk]
            .data()
            .get(from.offset..)
            .unwrap_or_default();
        if let Some(i) = scan(data) {
            return Some(Pos {
                abs: from.abs + i,
                chunk: from.chunk,
                offset: from.offset + i,
            });
        }
        let mut abs = from.abs + data.len();
        let first = from.chunk + 1;
        for (chunk, c) in (first..).zip(self.chunks.range(first..self.filled)) {
            let data = c.data();
            if let Some(i) = scan(data) {
                return Some(Pos {
                    abs: abs + i,
                    chunk,
                    offset: i,
                });
            }
            abs += data.len();
        }
        None
    }

    /// How many bytes from `pos` on are CR or LF.
    fn crlf_run(&self, pos: Pos) -> usize {
        let mut n = 0;
        let mut offset = pos.offset;
        for chunk in pos.chunk..self.filled {
            let data = &self.chunks[chunk].data()[offset..];
            let run = data
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            n += run;
            if run < data.len() {
                break;
            }
            offset = 0;
        }
        n
    }

    /// Finds the end of the line starting at `from`: where the end-of-line bytes
    /// start, and how many there are.
    pub(super) fn find_eol(&self, from: Pos, style: EolStyle) -> Option<(Pos, usize)> {
        match style {
            EolStyle::Any => {
                let at = self.find_with(from, |d| memchr::memchr2(b'\r', b'\n', d))?;
                Some((at, self.crlf_run(at)))
            }
            EolStyle::CrlfStrict => Some((self.find(from, b"\r\n")?, 2)),
            EolStyle::Lf => Some((self.find_with(from, |d| find_byte(b'\n', d))?, 1)),
            EolStyle::Nul => Some((self.find_with(from, |d| find_byte(0, d))?, 1)),
            EolStyle::Crlf => {
                let lf = self.find_with(from, |d| find_byte(b'\n', d))?;
                if lf.abs > from.abs {
                    let before = if lf.offset > 0 {
                        Pos {
                            abs: lf.abs - 1,
                            chunk: lf.chunk,
                            offset: lf.offset - 1,
                        }
                    } else {
                        let chunk = lf.chunk - 1;
                        Pos {
                            abs: lf.abs - 1,
                            chunk,
                            offset: self.chunks[chunk].len() - 1,
                        }
                    };
                    if self.byte_at(before) == Some(b'\r') {
                        return Some((before, 2));
                    }
                }
                Some((lf, 1))
            }
        }
    }
}

/// What a scan of one chunk found.
enum Inside {
    /// A complete occurrence at this offset.
    Match(usize),
    /// None complete; candidates that run past the end start at or after this offset.
    TailFrom(usize),
}

/// The first complete occurrence of `needle` (at least 2 bytes) inside `hay`, or where
/// the candidates that could only complete in the next chunks start.
///
/// Looks for the first byte and compares, as that is fastest when the first byte is
/// rare (one scan then covers the tail too); once false candidates turn out frequent,
/// a substring searcher (built once per search) takes over.
fn find_inside<'n>(
    hay: &[u8],
    needle: &'n [u8],
    finder: &mut Option<memmem::Finder<'n>>,
) -> Inside {
    if hay.len() < needle.len() {
        return Inside::TailFrom(0);
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    if finder.is_none() {
        let mut misses = 0usize;
        while let Some(j) = find_byte(needle[0], &hay[i..]) {
            let at = i + j;
            if at > last_start {
                return Inside::TailFrom(at);
            }
            if &hay[at..at + needle.len()] == needle {
                return Inside::Match(at);
            }
            i = at + 1;
            misses += 1;
            if misses >= 16 && misses * 32 > i {
                *finder = Some(memmem::Finder::new(needle));
                break;
            }
        }
        if finder.is_none() {
            return Inside::TailFrom(hay.len());
        }
    }
    match finder.as_ref().and_then(|f| f.find(&hay[i..])) {
        Some(k) => Inside::Match(i + k),
        None => Inside::TailFrom(i.max(last_start + 1)),
    }
}

/// The C library's memchr: on x86-64 glibc picks an AVX-512 or AVX2 version at load
/// time, which beats a portable one on the short scans line searches do.
#[inline]
pub(super) fn find_byte(byte: u8, hay: &[u8]) -> Option<usize> {
    if hay.is_empty() {
        return None;
    }
    // SAFETY: reads at most `hay.len()` bytes of `hay`.
    let p = unsafe { libc::memchr(hay.as_ptr().cast(), byte.into(), hay.len()) };
    (!p.is_null()).then(|| p as usize - hay.as_ptr() as usize)
}

#[cfg(target_pointer_width = "64")]
fn encode_hint(generation: u32, chunk: usize) -> usize {
    match u32::try_from(chunk + 1) {
        Ok(tag) if tag != u32::MAX => ((generation as usize) << 32) | tag as usize,
        _ => 0,
    }
}

#[cfg(target_pointer_width = "64")]
fn decode_hint(chain: usize) -> Option<(u32, usize)> {
    let tag = chain & 0xffff_ffff;
    (tag != 0).then(|| ((chain >> 32) as u32, tag - 1))
}

// Without room for a generation tag, positions are always looked up again.
#[cfg(not(target_pointer_width = "64"))]
fn encode_hint(_generation: u32, _chunk: usize) -> usize {
    0
}

#[cfg(not(target_pointer_width = "64"))]
fn decode_hint(_chain: usize) -> Option<(u32, usize)> {
    None
}
