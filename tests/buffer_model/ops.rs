// Drives two evbuffers with a sequence of operations decoded from bytes and checks
// every result against a plain byte-vector model. Shared by tests/buffer_model.rs
// (seeded random sequences) and fuzz/fuzz_targets/evbuffer_ops.rs (cargo fuzz).

use evrs::buffer::{share_backing, Backing, BufferPtr, EolStyle, Evbuffer};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn size(&mut self) -> Option<usize> {
        // Mostly small sizes, sometimes a few KiB to cross chunk boundaries.
        let a = self.byte()? as usize;
        Some(if a < 200 {
            a
        } else {
            (a - 200) * 97 + self.byte()? as usize
        })
    }
}

struct StaticBytes(Vec<u8>);
impl Backing for StaticBytes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

fn fill(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| match (seed as usize + i) % 11 {
            0 => b'\r',
            1 => b'\n',
            2 => 0,
            k => b'a' + k as u8,
        })
        .collect()
}

/// The whole contents, through peek (copy_out refuses while the front is frozen).
fn contents(b: &Evbuffer) -> Vec<u8> {
    let n = b.peek(None, None, &mut []);
    let mut vecs = vec![
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0
        };
        n
    ];
    assert_eq!(b.peek(None, None, &mut vecs), n);
    let mut out = Vec::with_capacity(b.len());
    for v in &vecs {
        assert!(v.iov_len > 0, "peek reports no empty chunks");
        // SAFETY: peek describes live data.
        out.extend_from_slice(unsafe {
            std::slice::from_raw_parts(v.iov_base.cast::<u8>(), v.iov_len)
        });
    }
    out
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn eol(model: &[u8], style: EolStyle) -> Option<(usize, usize)> {
    match style {
        EolStyle::Any => {
            let at = model.iter().position(|&b| b == b'\r' || b == b'\n')?;
            let run = model[at..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            Some((at, run))
        }
        EolStyle::CrlfStrict => find(model, b"\r\n", 0).map(|p| (p, 2)),
        EolStyle::Lf => model.iter().position(|&b| b == b'\n').map(|p| (p, 1)),
        EolStyle::Nul => model.iter().position(|&b| b == 0).map(|p| (p, 1)),
        EolStyle::Crlf => {
            let lf = model.iter().position(|&b| b == b'\n')?;
            if lf > 0 && model[lf - 1] == b'\r' {
                Some((lf - 1, 2))
            } else {
                Some((lf, 1))
            }
        }
    }
}

const STYLES: [EolStyle; 5] = [
    EolStyle::Any,
    EolStyle::Crlf,
    EolStyle::CrlfStrict,
    EolStyle::Lf,
    EolStyle::Nul,
];

pub fn run_ops(data: &[u8]) {
    let mut input = Bytes(data);
    let bufs = [Evbuffer::new(), Evbuffer::new()];
    let mut models: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut frozen = [[false; 2]; 2]; // [buffer][start?0:1]
    let mut pending: Option<(usize, Vec<libc::iovec>)> = None;
    let mut steps = 0;
    while let Some(op) = input.byte() {
        steps += 1;
        if steps > 400 {
            break;
        }
        let which = (op >> 7) as usize;
        let b = &bufs[which];
        let other = &bufs[1 - which];
        let seed = op;
        match op & 0x1f {
            0 | 1 => {
                let Some(n) = input.size() else { break };
                let bytes = fill(n, seed);
                let r = b.add(&bytes);
                if frozen[which][1] {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    models[which].extend_from_slice(&bytes);
                }
            }
            2 => {
                let Some(n) = input.size() else { break };
                let bytes = fill(n, seed);
                let r = b.prepend(&bytes);
                if frozen[which][0] && !bytes.is_empty() {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    models[which].splice(0..0, bytes);
                }
            }
            3 | 4 => {
                let Some(n) = input.size() else { break };
                let r = b.drain(n);
                if frozen[which][0] && !models[which].is_empty() {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    let n = n.min(models[which].len());
                    models[which].drain(..n);
                }
            }
            5 => {
                let Some(n) = input.size() else { break };
                let mut out = vec![0; n];
                let r = b.remove(&mut out);
                let want = n.min(models[which].len());
                if frozen[which][0] && want > 0 {
                    assert!(r.is_err());
                } else {
                    assert_eq!(r.unwrap(), want);
                    assert_eq!(&out[..want], &models[which][..want]);
                    models[which].drain(..want);
                }
            }
            6 => {
                let Some(n) = input.size() else { break };
                let p = b.pullup(if n == 0 { None } else { Some(n) });
                let m = &models[which];
                let want = if n == 0 { m.len() } else { n };
                if want == 0 || want > m.len() {
                    assert!(p.is_none());
                } else {
                    let p = p.expect("pullup");
                    // SAFETY: pullup returns `want` contiguous bytes.
                    let s = unsafe { std::slice::from_raw_parts(p.as_ptr(), want) };
                    assert_eq!(s, &m[..want]);
                    assert!(b.contiguous_len() >= want);
                }
            }
            7 => {
                // add_buffer: everything from the other buffer
                let r = b.add_buffer(other);
                let n = models[1 - which].len();
                if n == 0 {
                    r.unwrap();
                } else if frozen[which][1] || frozen[1 - which][0] {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    let moved = std::mem::take(&mut models[1 - which]);
                    models[which].extend(moved);
                }
            }
            8 => {
                let Some(n) = input.size() else { break };
                let r = b.remove_buffer(other, n);
                let want = n.min(models[which].len());
                if n > 0 && (frozen[1 - which][1] || frozen[which][0]) {
                    // Refused even when there is nothing to move, as in libevent.
                    assert!(r.is_err());
                } else if want == 0 {
                    assert_eq!(r.unwrap(), 0);
                } else if frozen[1 - which][1] || frozen[which][0] {
                    assert!(r.is_err());
                } else {
                    assert_eq!(r.unwrap(), want);
                    let moved: Vec<u8> = models[which].drain(..want).collect();
                    models[1 - which].extend(moved);
                }
            }
            9 => {
                let r = b.prepend_buffer(other);
                let n = models[1 - which].len();
                if n == 0 {
                    r.unwrap();
                } else if frozen[which][0] || frozen[1 - which][0] {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    let moved = std::mem::take(&mut models[1 - which]);
                    models[which].splice(0..0, moved);
                }
            }
            10 => {
                let r = b.add_buffer_reference(other);
                if models[1 - which].is_empty() {
                    r.unwrap();
                } else if frozen[which][1] {
                    assert!(r.is_err());
                } else if r.is_ok() {
                    let copy = models[1 - which].clone();
                    models[which].extend(copy);
                }
            }
            11 => {
                let Some(n) = input.size() else { break };
                let bytes = fill(n, seed);
                let backing = StaticBytes(bytes.clone());
                let r = b.add_shared(0, n, || share_backing(backing).ok());
                if frozen[which][1] {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    models[which].extend_from_slice(&bytes);
                }
            }
            12 => {
                // reserve, then commit part of it (or stale regions after a change)
                let Some(n) = input.size() else { break };
                let Some(nvec) = input.byte() else { break };
                let nvec = (nvec % 4) as usize + 1;
                let mut vecs = vec![
                    libc::iovec {
                        iov_base: std::ptr::null_mut(),
                        iov_len: 0
                    };
                    nvec
                ];
                match b.reserve(n, &mut vecs) {
                    Ok(k) => {
                        assert!(!frozen[which][1]);
                        let total: usize = vecs[..k].iter().map(|v| v.iov_len).sum();
                        assert!(total >= n || (nvec > 1 && n == 0));
                        vecs.truncate(k);
                        pending = Some((which, vecs));
                    }
                    Err(_) => assert!(frozen[which][1]),
                }
            }
            13 => {
                let Some((w, mut vecs)) = pending.take() else {
                    continue;
                };
                let Some(keep) = input.size() else { break };
                let mut written = Vec::new();
                let mut left = keep;
                for (i, v) in vecs.iter_mut().enumerate() {
                    let n = left.min(v.iov_len);
                    let bytes = fill(n, seed.wrapping_add(i as u8));
                    // SAFETY: reserved space of at least `iov_len` bytes.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.iov_base.cast(), n) };
                    v.iov_len = n;
                    written.extend_from_slice(&bytes);
                    left -= n;
                }
                let r = bufs[w].commit(&vecs);
                if frozen[w][1] {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    models[w].extend_from_slice(&written);
                }
            }
            14 => {
                // search for a needle taken from the model (or a random one)
                let Some(at) = input.size() else { break };
                let Some(len) = input.byte() else { break };
                let m = &models[which];
                let len = (len % 6) as usize + 1;
                let needle: Vec<u8> = if m.len() >= len {
                    let s = at % (m.len() - len + 1);
                    m[s..s + len].to_vec()
                } else {
                    fill(len, seed)
                };
                let Some(from) = input.size() else { break };
                let from = from.min(m.len());
                let mut start = BufferPtr::NOT_FOUND;
                b.ptr_set(&mut start, from, false).unwrap();
                assert_eq!(start.pos as usize, from);
                let got = b.search(&needle, Some(&start), None);
                match find(m, &needle, from) {
                    Some(p) => assert_eq!(got.pos, p as isize),
                    None => assert_eq!(got.pos, -1),
                }
                // Search again just past the hit, through the returned hint.
                if got.pos >= 0 {
                    let mut next = got;
                    if b.ptr_set(&mut next, 1, true).is_ok() {
                        let again = b.search(&needle, Some(&next), None);
                        match find(m, &needle, got.pos as usize + 1) {
                            Some(p) => assert_eq!(again.pos, p as isize),
                            None => assert_eq!(again.pos, -1),
                        }
                    }
                    // A range that ends one byte early misses this hit.
                    let mut end = got;
                    let end_at = got.pos as usize + needle.len() - 1;
                    b.ptr_set(&mut end, end_at, false).unwrap();
                    let ranged = b.search(&needle, Some(&start), Some(&end));
                    assert_eq!(ranged.pos, -1);
                }
            }
            15 => {
                let Some(style) = input.byte() else { break };
                let style = STYLES[style as usize % 5];
                let (p, len) = b.search_eol(None, style);
                match eol(&models[which], style) {
                    Some((at, n)) => {
                        assert_eq!(p.pos, at as isize);
                        assert_eq!(len, n);
                    }
                    None => assert_eq!(p.pos, -1),
                }
            }
            16 => {
                let Some(style) = input.byte() else { break };
                let style = STYLES[style as usize % 5];
                let mut line = Vec::new();
                let got = b.readln(style, |n| {
                    line = vec![0xee; n];
                    Some(unsafe { std::slice::from_raw_parts_mut(line.as_mut_ptr(), n) })
                });
                if frozen[which][0] {
                    assert!(got.is_none());
                } else {
                    match eol(&models[which], style) {
                        Some((at, n)) => {
                            assert_eq!(got, Some(at));
                            assert_eq!(&line[..at], &models[which][..at]);
                            assert_eq!(line[at], 0);
                            models[which].drain(..at + n);
                        }
                        None => assert!(got.is_none()),
                    }
                }
            }
            17 => {
                // peek everything and compare
                let mut vecs = [libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                }; 64];
                let needed = b.peek(None, None, &mut []);
                let n = b.peek(None, None, &mut vecs);
                assert_eq!(n, needed.min(64));
                if needed <= 64 {
                    let mut all = Vec::new();
                    for v in &vecs[..n] {
                        // SAFETY: peek describes live data.
                        all.extend_from_slice(unsafe {
                            std::slice::from_raw_parts(v.iov_base.cast::<u8>(), v.iov_len)
                        });
                    }
                    assert_eq!(all, models[which]);
                }
            }
            18 => {
                let Some(at) = input.size() else { break };
                let Some(n) = input.size() else { break };
                let m = &models[which];
                let mut p = BufferPtr::NOT_FOUND;
                let set = b.ptr_set(&mut p, at, false);
                if at > m.len() {
                    assert!(set.is_err());
                    assert_eq!(p.pos, -1);
                } else {
                    set.unwrap();
                    let mut out = vec![0; n];
                    let want = n.min(m.len() - at);
                    match b.copy_out(Some(&p), &mut out) {
                        Ok(got) => {
                            assert_eq!(got, want);
                            assert_eq!(&out[..want], &m[at..at + want]);
                        }
                        Err(_) => assert!(frozen[which][0] && want > 0),
                    }
                }
            }
            19 => {
                let Some(w) = input.byte() else { break };
                let start = w & 1 == 0;
                if w & 2 == 0 {
                    b.freeze(start);
                    frozen[which][usize::from(!start)] = true;
                } else {
                    b.unfreeze(start);
                    frozen[which][usize::from(!start)] = false;
                }
            }
            20 => {
                let Some(n) = input.size() else { break };
                let r = b.expand(n);
                r.unwrap();
                // Room for n bytes in one piece: adding them must not fail.
            }
            _ => {
                // Thaw everything now and then so that sequences keep doing work.
                for (i, buf) in bufs.iter().enumerate() {
                    buf.unfreeze(true);
                    buf.unfreeze(false);
                    frozen[i] = [false, false];
                }
            }
        }
        // Any change invalidates a reservation, as the documentation says.
        if op & 0x1f != 12
            && op & 0x1f != 17
            && op & 0x1f != 18
            && op & 0x1f != 14
            && op & 0x1f != 15
        {
            if let Some((w, _)) = &pending {
                if *w == which || matches!(op & 0x1f, 7..=10) {
                    pending = None;
                }
            }
        }
        for i in 0..2 {
            assert_eq!(
                bufs[i].len(),
                models[i].len(),
                "length of buffer {i} after op {op:#x}"
            );
            assert_eq!(
                contents(&bufs[i]),
                models[i],
                "contents of buffer {i} after op {op:#x}"
            );
        }
    }
    let [a, b] = bufs;
    for buf in [a, b] {
        // SAFETY: boxes from Evbuffer::new, freed once.
        unsafe { Evbuffer::free(std::ptr::NonNull::new_unchecked(Box::into_raw(buf))) };
    }
}
