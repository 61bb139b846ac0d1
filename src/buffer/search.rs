//! Positions inside a buffer (`struct evbuffer_ptr`) and the searches that use them.

use memchr::memmem;

use super::chunk::Chunk;
use super::queue::Queue;
use super::{BufferError, BufferResult};

/// `struct evbuffer_ptr` (24 bytes on LP64): an offset from the start of the buffer,
/// then two words the library may use to find that offset again quickly.
///
/// Here the words are only a hint, checked before use: the chunk's slot in the
/// queue tagged with the buffer's layout generation, and the offset in that chunk. A
/// stale or forged hint costs a walk from the front, never a wrong access.
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

/// `enum evbuffer_eol_style`, with its C values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EolStyle {
    /// Any run of CR and LF bytes.
    Any = 0,
    /// LF, or CR LF.
    Crlf = 1,
    /// CR LF only.
    CrlfStrict = 2,
    /// LF only.
    Lf = 3,
    /// A NUL byte.
    Nul = 4,
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

    /// For the styles whose line end is found at one byte: that byte, and whether a
    /// CR just before it belongs to the line end.
    #[inline]
    fn single_byte(self) -> Option<(u8, bool)> {
        // A table rather than a match: this sits on the path of every line search.
        const BY_STYLE: [Option<(u8, bool)>; 5] = [
            None,                 // Any
            Some((b'\n', true)),  // Crlf
            None,                 // CrlfStrict
            Some((b'\n', false)), // Lf
            Some((0, false)),     // Nul
        ];
        BY_STYLE[self as usize]
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
    pub(super) fn advance(&self, pos: Pos, n: usize) -> Option<Pos> {
        let target = pos.abs.checked_add(n)?;
        if target > self.len {
            return None;
        }
        // Bytes from the start of chunk `chunk` to the target.
        let (mut chunk, mut left) = (pos.chunk, pos.offset + n);
        while chunk < self.filled {
            let len = self.chunks[chunk].len();
            if left < len {
                return Some(Pos {
                    abs: target,
                    chunk,
                    offset: left,
                });
            }
            left -= len;
            chunk += 1;
        }
        Some(self.end_pos())
    }

    /// The position a caller's hint names, with its chunk, when the hint was made for
    /// the current layout and names a byte of the data. The end of the buffer is never
    /// hinted (appends move what lies there); the blocks after the data and the slots
    /// before it are empty, so the offset check also keeps the chunk among the data.
    #[inline]
    fn hinted(&self, ptr: &BufferPtr) -> Option<(Pos, &Chunk)> {
        let slot = decode_hint(ptr.chain, self.generation)?;
        let (chunk, c) = self.chunks.by_slot(slot)?;
        let abs = usize::try_from(ptr.pos).ok()?;
        let offset = ptr.pos_in_chain;
        (offset < c.len() && abs < self.len).then_some((Pos { abs, chunk, offset }, c))
    }

    /// Decodes a caller's position: trusts its hint when the layout has not changed
    /// since it was made, and looks the offset up otherwise.
    #[inline]
    pub(super) fn resolve(&self, ptr: &BufferPtr) -> Option<Pos> {
        match self.hinted(ptr) {
            Some((pos, _)) => Some(pos),
            None => self.locate(usize::try_from(ptr.pos).ok()?),
        }
    }

    #[inline]
    pub(super) fn encode(&self, pos: Pos) -> BufferPtr {
        BufferPtr {
            pos: pos.abs as isize,
            chain: if pos.chunk < self.filled {
                encode_hint(self.generation, self.chunks.slot(pos.chunk))
            } else {
                0
            },
            pos_in_chain: pos.offset,
        }
    }

    /// `evbuffer_ptr_set`: moves `ptr` forward by `n` (`add`) or sets it to `n`. A
    /// target past the end marks `ptr` not found; an invalid `ptr` to move is left
    /// alone.
    #[inline]
    pub(super) fn set_ptr(&self, ptr: &mut BufferPtr, n: usize, add: bool) -> BufferResult<()> {
        if add {
            if let Some((from, c)) = self.hinted(ptr) {
                let left = c.len() - from.offset;
                // `n <= left` fits in an isize (a chunk is memory), and `pos` is not
                // negative, so only the sum can overflow.
                if n <= left {
                    if let Some(to) = ptr.pos.checked_add(n as isize) {
                        if n < left {
                            // Still inside the same chunk: the hint stays as it is.
                            ptr.pos = to;
                            ptr.pos_in_chain = from.offset + n;
                            return Ok(());
                        }
                        if from.chunk + 1 < self.filled {
                            let next = Pos {
                                abs: to as usize,
                                chunk: from.chunk + 1,
                                offset: 0,
                            };
                            *ptr = self.encode(next);
                            return Ok(());
                        }
                    }
                }
            }
        }
        self.set_ptr_slow(ptr, n, add)
    }

    /// [`Queue::set_ptr`] for any position and step.
    #[inline(never)]
    fn set_ptr_slow(&self, ptr: &mut BufferPtr, n: usize, add: bool) -> BufferResult<()> {
        let target = if add {
            // Refused before anything is looked at, as in libevent.
            let from = usize::try_from(ptr.pos).map_err(|_| BufferError::Invalid)?;
            let to = from.checked_add(n).ok_or(BufferError::Invalid)?;
            match self.hinted(ptr) {
                Some((from, _)) => self.advance(from, n),
                None => self.locate(to),
            }
        } else {
            self.locate(n)
        };
        match target.filter(|t| t.abs <= isize::MAX as usize) {
            Some(t) => {
                *ptr = self.encode(t);
                Ok(())
            }
            None => {
                *ptr = BufferPtr::NOT_FOUND;
                Err(BufferError::NotFound)
            }
        }
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
    ///
    /// Looks for the first byte and compares, as libevent does, which is fastest when
    /// the first byte is rare; once false candidates turn out frequent, a substring
    /// searcher takes over.
    pub(super) fn find(&self, from: Pos, needle: &[u8]) -> Option<Pos> {
        debug_assert!(!needle.is_empty());
        if needle.len() == 1 {
            return self
                .find_with(from, |d| find_byte(needle[0], d))
                .map(|(at, _)| at);
        }
        match self.find_by_first_byte(from, needle) {
            Scan::Found(at) => Some(at),
            Scan::Missing => None,
            Scan::Crowded(rest) => self.find_by_finder(rest, needle),
        }
    }

    /// [`Queue::find`] by the first byte, until false candidates average one in 32
    /// bytes.
    fn find_by_first_byte(&self, from: Pos, needle: &[u8]) -> Scan {
        let first = |d: &[u8]| find_byte(needle[0], d);
        let data_chunks = &self.chunks.as_slice()[..self.filled];
        let mut misses = 0usize;
        let (mut chunk, mut chunk_abs, mut i) = (from.chunk, from.abs - from.offset, from.offset);
        while let Some(c) = data_chunks.get(chunk) {
            let data = c.data();
            let mut seen = false;
            while let Some(j) = first(&data[i..]) {
                seen = true;
                let at = Pos {
                    abs: chunk_abs + i + j,
                    chunk,
                    offset: i + j,
                };
                let hit = match data.get(at.offset..at.offset + needle.len()) {
                    Some(bytes) => bytes == needle,
                    None => self.matches_at(at, needle),
                };
                if hit {
                    return Scan::Found(at);
                }
                i = at.offset + 1;
                misses += 1;
                if misses >= 16 && misses * 32 > at.abs - from.abs {
                    let rest = Pos {
                        abs: at.abs + 1,
                        chunk,
                        offset: i,
                    };
                    return Scan::Crowded(rest);
                }
            }
            chunk_abs += data.len();
            chunk += 1;
            i = 0;
            if !seen {
                // Chunks without the first byte tend to come in runs: pass over them in
                // a loop that does nothing else.
                let Some((at, _)) = self.find_with_from(chunk, chunk_abs, first) else {
                    return Scan::Missing;
                };
                (chunk, chunk_abs, i) = (at.chunk, at.abs - at.offset, at.offset);
            }
        }
        Scan::Missing
    }

    /// [`Queue::find`] with a substring searcher, from `from` (whose offset may be
    /// the end of its chunk). A match that runs into the next chunk starts in the
    /// last bytes of one; those are checked one by one.
    #[inline(never)]
    fn find_by_finder(&self, from: Pos, needle: &[u8]) -> Option<Pos> {
        let finder = memmem::Finder::new(needle);
        let mut chunk_abs = from.abs - from.offset;
        let mut i = from.offset;
        for (chunk, c) in (from.chunk..).zip(self.chunks.range(from.chunk..self.filled)) {
            let data = c.data();
            let at = |offset| Pos {
                abs: chunk_abs + offset,
                chunk,
                offset,
            };
            if let Some(k) = finder.find(&data[i..]) {
                return Some(at(i + k));
            }
            i = i.max(data.len().saturating_sub(needle.len() - 1));
            while let Some(j) = find_byte(needle[0], &data[i..]) {
                if self.matches_at(at(i + j), needle) {
                    return Some(at(i + j));
                }
                i += j + 1;
            }
            chunk_abs += data.len();
            i = 0;
        }
        None
    }

    /// The first position at or after `from` where `scan` finds something in a chunk,
    /// with the data of that chunk.
    #[inline]
    fn find_with(
        &self,
        from: Pos,
        mut scan: impl FnMut(&[u8]) -> Option<usize>,
    ) -> Option<(Pos, &[u8])> {
        if from.chunk >= self.filled {
            return None;
        }
        // Most scans end in the chunk they start in.
        let data = self.chunks[from.chunk].data();
        let rest = data.get(from.offset..).unwrap_or_default();
        match scan(rest) {
            Some(i) => {
                let at = Pos {
                    abs: from.abs + i,
                    chunk: from.chunk,
                    offset: from.offset + i,
                };
                Some((at, data))
            }
            None => self.find_with_from(from.chunk + 1, from.abs + rest.len(), scan),
        }
    }

    /// [`Queue::find_with`] from the start of chunk `first`, `abs` bytes from the start.
    #[inline(never)]
    fn find_with_from(
        &self,
        first: usize,
        mut abs: usize,
        mut scan: impl FnMut(&[u8]) -> Option<usize>,
    ) -> Option<(Pos, &[u8])> {
        for (chunk, c) in (first..).zip(self.chunks.range(first..self.filled)) {
            let data = c.data();
            if let Some(i) = scan(data) {
                let at = Pos {
                    abs: abs + i,
                    chunk,
                    offset: i,
                };
                return Some((at, data));
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
        if from.chunk >= self.filled {
            return None;
        }
        self.find_eol_in(from, self.chunks[from.chunk].data(), style)
    }

    /// [`Queue::find_eol`], given the data of the chunk `from` is in. Most lines end
    /// in the chunk they start in.
    #[inline]
    fn find_eol_in(&self, from: Pos, data: &[u8], style: EolStyle) -> Option<(Pos, usize)> {
        let Some((byte, crlf)) = style.single_byte() else {
            return self.find_eol_multi(from, style);
        };
        match line_end_in(data, from.offset, byte, crlf) {
            Some((offset, len)) => {
                let at = Pos {
                    abs: from.abs - from.offset + offset,
                    chunk: from.chunk,
                    offset,
                };
                Some((at, len))
            }
            None => self.find_eol_after(
                from.chunk + 1,
                from.abs - from.offset + data.len(),
                byte,
                crlf,
            ),
        }
    }

    /// The line end of a single-byte style in the chunks from `first` on, which starts
    /// `abs` bytes from the front.
    #[inline(never)]
    fn find_eol_after(
        &self,
        first: usize,
        mut abs: usize,
        byte: u8,
        crlf: bool,
    ) -> Option<(Pos, usize)> {
        for (chunk, c) in (first..).zip(self.chunks.range(first.min(self.filled)..self.filled)) {
            let data = c.data();
            if let Some((offset, len)) = line_end_in(data, 0, byte, crlf) {
                let at = Pos {
                    abs: abs + offset,
                    chunk,
                    offset,
                };
                if crlf && offset == 0 && len == 1 {
                    // An LF that starts the chunk: the CR may end the previous one.
                    let before = self.chunks[chunk - 1].data();
                    if before[before.len() - 1] == b'\r' {
                        let cr = Pos {
                            abs: at.abs - 1,
                            chunk: chunk - 1,
                            offset: before.len() - 1,
                        };
                        return Some((cr, 2));
                    }
                }
                return Some((at, len));
            }
            abs += data.len();
        }
        None
    }

    /// The line ends of `EolStyle::Any` (a run of CR and LF bytes) and
    /// `EolStyle::CrlfStrict`.
    #[inline(never)]
    fn find_eol_multi(&self, from: Pos, style: EolStyle) -> Option<(Pos, usize)> {
        if style == EolStyle::CrlfStrict {
            return Some((self.find(from, b"\r\n")?, 2));
        }
        let (at, _) = self.find_with(from, |d| memchr::memchr2(b'\r', b'\n', d))?;
        Some((at, self.crlf_run(at)))
    }

    /// `evbuffer_search_eol`: where the first line ending at or after `start` (the
    /// front for None) begins, and its length; not found and 0 when there is none.
    // Always inlined: the common path is short, and a call would cost a good part of it.
    #[inline(always)]
    pub(super) fn search_eol(
        &self,
        start: Option<&BufferPtr>,
        style: EolStyle,
    ) -> (BufferPtr, usize) {
        // The common case: a hinted start, and a line end of one byte in its chunk.
        if let (Some(p), Some((byte, crlf))) = (start, style.single_byte()) {
            if let Some((from, c)) = self.hinted(p) {
                let data = c.data();
                if let Some((offset, len)) = line_end_in(data, from.offset, byte, crlf) {
                    // In the same chunk, so the hint carries over.
                    let at = BufferPtr {
                        pos: p.pos + (offset - from.offset) as isize,
                        chain: p.chain,
                        pos_in_chain: offset,
                    };
                    return (at, len);
                }
                return self.search_eol_after_chunk(p, style);
            }
        }
        self.search_eol_slow(start, style)
    }

    /// [`Queue::search_eol`] from a hinted start whose chunk holds no line end of a
    /// single-byte style after it (worked out again from the arguments, which keeps
    /// the common path short).
    #[inline(never)]
    fn search_eol_after_chunk(&self, start: &BufferPtr, style: EolStyle) -> (BufferPtr, usize) {
        match (self.hinted(start), style.single_byte()) {
            (Some((from, c)), Some((byte, crlf))) => {
                let next = from.abs - from.offset + c.len();
                self.encode_eol(self.find_eol_after(from.chunk + 1, next, byte, crlf))
            }
            _ => self.search_eol_slow(Some(start), style),
        }
    }

    /// [`Queue::search_eol`] for any start and style.
    #[inline(never)]
    fn search_eol_slow(&self, start: Option<&BufferPtr>, style: EolStyle) -> (BufferPtr, usize) {
        let from = match start {
            Some(p) => match self.resolve(p) {
                Some(from) => from,
                None => return (BufferPtr::NOT_FOUND, 0),
            },
            None => self.start_pos(),
        };
        self.encode_eol(self.find_eol(from, style))
    }

    #[inline]
    fn encode_eol(&self, found: Option<(Pos, usize)>) -> (BufferPtr, usize) {
        match found {
            Some((at, eol_len)) => (self.encode(at), eol_len),
            None => (BufferPtr::NOT_FOUND, 0),
        }
    }
}

/// How [`Queue::find_by_first_byte`] ended.
enum Scan {
    Found(Pos),
    Missing,
    /// False candidates are frequent; the search goes on from here.
    Crowded(Pos),
}

/// Where the first line end of a single-byte style (`byte`, with a CR before it
/// when `crlf`) at or after `from` in `data` starts, and its length. A CR before
/// `from` does not count.
#[inline]
fn line_end_in(data: &[u8], from: usize, byte: u8, crlf: bool) -> Option<(usize, usize)> {
    let i = from + find_byte(byte, data.get(from..).unwrap_or_default())?;
    if crlf && i > from && data[i - 1] == b'\r' {
        Some((i - 1, 2))
    } else {
        Some((i, 1))
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

// The hint: the layout generation in the upper half, the chunk's slot in the lower.
// Generations are odd, so a zeroed `chain` (a fresh or "not found" position) never
// matches.
#[cfg(target_pointer_width = "64")]
#[inline]
fn encode_hint(generation: u32, slot: usize) -> usize {
    match u32::try_from(slot) {
        Ok(slot) => ((generation as usize) << 32) | slot as usize,
        Err(_) => 0,
    }
}

#[cfg(target_pointer_width = "64")]
#[inline]
fn decode_hint(chain: usize, generation: u32) -> Option<usize> {
    ((chain >> 32) as u32 == generation).then_some(chain as u32 as usize)
}

// Without room for a generation tag, positions are always looked up again.
#[cfg(not(target_pointer_width = "64"))]
fn encode_hint(_generation: u32, _slot: usize) -> usize {
    0
}

#[cfg(not(target_pointer_width = "64"))]
fn decode_hint(_chain: usize, _generation: u32) -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::super::{share_backing, Backing, Evbuffer};
    use super::{BufferPtr, EolStyle};

    struct Piece(Vec<u8>);

    impl Backing for Piece {
        fn bytes(&self) -> &[u8] {
            &self.0
        }
    }

    /// xorshift64*: reproducible layouts without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }
    }

    /// A buffer holding `text` in chunks that end exactly at `cuts`, after two chunks
    /// that were taken off the front (so that chunks do not start at slot 0).
    fn chunked(text: &[u8], cuts: &[usize]) -> Box<Evbuffer> {
        let b = Evbuffer::new();
        let mut start = 0;
        let gone = [b"\n\r\0".as_slice(), b"ab"];
        for &end in cuts.iter().chain(std::iter::once(&text.len())) {
            if end > start {
                let piece = Piece(text[start..end].to_vec());
                b.add_shared(0, end - start, || share_backing(piece).ok())
                    .unwrap();
                start = end;
            }
        }
        for part in gone.iter().rev() {
            b.prepend(part).unwrap();
        }
        b.drain(5).unwrap();
        b
    }

    /// Runs `check` on `runs` buffers of random text over `alphabet` (also given),
    /// each cut into chunks at random places (given as well).
    fn layouts(
        seed: u64,
        runs: usize,
        alphabet: &[u8],
        mut check: impl FnMut(&mut Rng, &[u8], &[usize], &Evbuffer),
    ) {
        let mut rng = Rng(seed);
        for _ in 0..runs {
            let len = 1 + rng.below(40);
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let mut cuts: Vec<usize> = (0..rng.below(8)).map(|_| rng.below(len)).collect();
            cuts.sort_unstable();
            let b = chunked(&text, &cuts);
            check(&mut rng, &text, &cuts, &b);
        }
    }

    /// The line end at or after `from` in the model: where it starts, its length.
    fn model_eol(text: &[u8], from: usize, style: EolStyle) -> Option<(usize, usize)> {
        let rest = &text[from..];
        let at = match style {
            EolStyle::Any => rest.iter().position(|&b| b == b'\r' || b == b'\n')?,
            EolStyle::CrlfStrict => rest.windows(2).position(|w| w == b"\r\n")?,
            EolStyle::Lf | EolStyle::Crlf => rest.iter().position(|&b| b == b'\n')?,
            EolStyle::Nul => rest.iter().position(|&b| b == 0)?,
        };
        let len = match style {
            EolStyle::Any => rest[at..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count(),
            EolStyle::CrlfStrict => 2,
            EolStyle::Crlf if at > 0 && rest[at - 1] == b'\r' => {
                return Some((from + at - 1, 2));
            }
            _ => 1,
        };
        Some((from + at, len))
    }

    /// Walking from line end to line end with `evbuffer_search_eol` and
    /// `evbuffer_ptr_set` finds what the model finds, wherever the chunks end.
    #[test]
    fn eol_walks_match_the_model() {
        let styles = [
            EolStyle::Any,
            EolStyle::Crlf,
            EolStyle::CrlfStrict,
            EolStyle::Lf,
            EolStyle::Nul,
        ];
        layouts(
            0x1234_5678_9abc_def1,
            3000,
            b"ab\r\n\0",
            |_, text, cuts, b| {
                for style in styles {
                    let (mut p, mut len) = b.search_eol(None, style);
                    let mut from = 0;
                    loop {
                        match model_eol(text, from, style) {
                            Some((at, n)) => {
                                assert_eq!(
                                    (p.pos, len),
                                    (at as isize, n),
                                    "{text:?} {cuts:?} {style:?}"
                                );
                                from = at + n;
                            }
                            None => {
                                assert_eq!(p.pos, -1, "{text:?} {cuts:?} {style:?}");
                                break;
                            }
                        }
                        b.ptr_set(&mut p, len, true).unwrap();
                        assert_eq!(p.pos, from as isize);
                        (p, len) = b.search_eol(Some(&p), style);
                    }
                }
            },
        );
    }

    /// Repeated searches from just after each match find every occurrence, including
    /// those that span chunks.
    #[test]
    fn search_walks_match_the_model() {
        layouts(0x0fed_cba9_8765_4321, 3000, b"aab", |rng, text, cuts, b| {
            let needle: Vec<u8> = (0..1 + rng.below(4)).map(|_| b"ab"[rng.below(2)]).collect();
            let expected: Vec<isize> = (0..text.len())
                .filter(|&i| text[i..].starts_with(&needle))
                .map(|i| i as isize)
                .collect();
            let mut found = Vec::new();
            let mut p = b.search(&needle, None, None);
            while p.pos >= 0 {
                found.push(p.pos);
                if b.ptr_set(&mut p, 1, true).is_err() {
                    break;
                }
                p = b.search(&needle, Some(&p), None);
            }
            assert_eq!(found, expected, "{text:?} {cuts:?} {needle:?}");
        });
    }

    /// Moving a position in random steps keeps it where `evbuffer_ptr_set` with the
    /// same offset puts it.
    #[test]
    fn ptr_steps_match_offsets() {
        layouts(
            0x5555_aaaa_3333_cccc,
            2000,
            b"abcdefgh",
            |rng, text, cuts, b| {
                let mut p = BufferPtr::NOT_FOUND;
                b.ptr_set(&mut p, 0, false).unwrap();
                let mut at = 0;
                loop {
                    let step = rng.below(6);
                    if at + step > text.len() {
                        assert!(b.ptr_set(&mut p, step, true).is_err());
                        assert_eq!(p, BufferPtr::NOT_FOUND);
                        break;
                    }
                    b.ptr_set(&mut p, step, true).unwrap();
                    at += step;
                    let mut set = BufferPtr::NOT_FOUND;
                    b.ptr_set(&mut set, at, false).unwrap();
                    assert_eq!(p, set, "{text:?} {cuts:?}");
                    let mut out = [0u8; 1];
                    let n = b.copy_out(Some(&p), &mut out).unwrap();
                    assert_eq!(&out[..n], &text[at..(at + 1).min(text.len())]);
                }
            },
        );
    }

    /// A position at the end of the buffer stays at its offset when data is appended
    /// after it, whether the new bytes go into the last chunk or a new one.
    #[test]
    fn end_position_survives_appends() {
        let b = Evbuffer::new();
        b.add(&[b'a'; 1000]).unwrap();
        let mut p = BufferPtr::NOT_FOUND;
        b.ptr_set(&mut p, 1000, false).unwrap();
        // 24 bytes fit in the first block, the rest goes to a new one.
        let tail: Vec<u8> = (0..100u8).collect();
        b.add(&tail).unwrap();
        let mut out = [0u8; 100];
        assert_eq!(b.copy_out(Some(&p), &mut out), Ok(100));
        assert_eq!(out[..], tail[..]);
        assert_eq!(b.search(&[0, 1, 2], Some(&p), None).pos, 1000);
        b.ptr_set(&mut p, 10, true).unwrap();
        assert_eq!(p.pos, 1010);
        assert_eq!(b.copy_out(Some(&p), &mut out[..1]), Ok(1));
        assert_eq!(out[0], 10);
    }
}
