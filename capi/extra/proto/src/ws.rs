//! WebSocket framing (RFC 6455) for the server side of `event2/ws.h`, as libevent
//! 2.2.1's ws.c speaks it, with its defects fixed where they lose data.
//!
//! What libevent does, and what this module does about it:
//!
//! - Handshake: `Sec-WebSocket-Accept` is base64(SHA-1(key + GUID)) ([`accept_key`]).
//!   libevent formats key and GUID into a 1024-byte buffer first, so a key longer than
//!   987 bytes is cut; here the whole key is hashed (keys are 24 bytes in practice).
//! - Frames from the client: libevent accepts unmasked frames ("for nonconformant
//!   clients") and ignores the RSV bits; so does [`decode_header`], which reports both.
//! - Reserved opcodes (3-7, 0xB-0xF): libevent closes the connection. Here they are
//!   [`FrameError::ReservedOpcode`], reported as soon as the first byte is in.
//! - Lengths: libevent reads the 64-bit length form wrongly (it keeps 16 bits of it,
//!   so such a frame reads as empty) and has no limit at all on frame or message size.
//!   Here the length is read in full, a length with its top bit set is a protocol error
//!   (RFC 6455 5.2), and a frame longer than the caller's `max_payload` is
//!   [`FrameError::TooBig`] as soon as its header is in, before its payload is buffered.
//!   (A message limit across fragments is the caller's: add up the frames.)
//! - Control frames (close, ping, pong): libevent takes any length and fragmented ones.
//!   RFC 6455 5.5 limits them to [`MAX_CONTROL_PAYLOAD`] bytes, unfragmented; here a
//!   longer or unfinished one is [`FrameError::BadControlFrame`].
//! - Fragmentation is the caller's to reassemble. Note how libevent does it: a frame
//!   without FIN (opcode 0, 1 or 2) is buffered, and a final text or binary frame ends
//!   the message, which takes that final frame's type; a final continuation frame
//!   (opcode 0 with FIN, which is how RFC clients end a fragmented message) is not
//!   understood and closes the connection. libevent's own tests send every fragment
//!   as opcode 1, so a compatible reassembler accepts both forms.
//! - Close: libevent answers a close frame, and every error, by sending a close frame
//!   with the code it was given, [`WS_CR_NONE`] (0) for a forced close, then closing.
//!   Ping and pong frames are ignored (no pong is sent). [`FrameError::close_code`]
//!   gives the RFC's code for each error instead: 1002 or 1009.
//! - Server frames are never masked; libevent sends every message as one final text
//!   frame, and its header for payloads over 65535 bytes lacks the length (zeros);
//!   [`encode_frame_header`] writes the length.

use std::fmt;

/// The GUID RFC 6455 appends to the client's key.
pub const WS_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

pub const OPCODE_CONTINUATION: u8 = 0x0;
/// `WS_TEXT_FRAME`.
pub const OPCODE_TEXT: u8 = 0x1;
/// `WS_BINARY_FRAME`.
pub const OPCODE_BINARY: u8 = 0x2;
pub const OPCODE_CLOSE: u8 = 0x8;
pub const OPCODE_PING: u8 = 0x9;
pub const OPCODE_PONG: u8 = 0xA;

/// `WS_CR_NONE`: what libevent sends when it closes on its own (not valid on the wire
/// under RFC 6455, but what libevent's peers see).
pub const WS_CR_NONE: u16 = 0;
/// `WS_CR_NORMAL`.
pub const WS_CR_NORMAL: u16 = 1000;
/// `WS_CR_PROTO_ERR`.
pub const WS_CR_PROTO_ERR: u16 = 1002;
/// `WS_CR_DATA_TOO_BIG`.
pub const WS_CR_DATA_TOO_BIG: u16 = 1009;
/// RFC 6455's "internal error" (not in ws.h): the server could not go on.
pub const WS_CR_INTERNAL_ERR: u16 = 1011;

/// The largest payload of a control frame (RFC 6455 5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The longest frame header: 2 bytes, an 8-byte length and a 4-byte mask.
pub const MAX_HEADER_LEN: usize = 14;

/// Why a frame from the client was refused; the connection should be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Opcodes 3-7 and 0xB-0xF.
    ReservedOpcode(u8),
    /// A close, ping or pong frame without FIN or longer than 125 bytes.
    BadControlFrame,
    /// A 64-bit length with its top bit set.
    BadLength,
    /// A payload longer than the caller's limit; the length announced.
    TooBig(u64),
    /// A close frame payload of one byte.
    BadClosePayload,
    /// No memory for the payload.
    OutOfMemory,
}

impl FrameError {
    /// The close code RFC 6455 gives this error.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::TooBig(_) => WS_CR_DATA_TOO_BIG,
            FrameError::OutOfMemory => WS_CR_INTERNAL_ERR,
            _ => WS_CR_PROTO_ERR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::BadControlFrame => f.write_str("fragmented or oversized control frame"),
            FrameError::BadLength => f.write_str("invalid 64-bit payload length"),
            FrameError::TooBig(len) => write!(f, "payload of {len} bytes is too big"),
            FrameError::BadClosePayload => f.write_str("close frame payload of one byte"),
            FrameError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

impl std::error::Error for FrameError {}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    /// RSV1-3 as the low three bits; libevent ignores them, and so may the caller.
    pub rsv: u8,
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    pub payload_len: usize,
    /// Bytes before the payload: 2 to [`MAX_HEADER_LEN`].
    pub header_len: usize,
}

impl FrameHeader {
    /// Header and payload.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.payload_len
    }

    /// Close, ping or pong.
    pub fn is_control(&self) -> bool {
        is_control(self.opcode)
    }
}

/// Close, ping and pong (opcodes 8 and up).
pub fn is_control(opcode: u8) -> bool {
    opcode & 0x8 != 0
}

fn is_reserved(opcode: u8) -> bool {
    matches!(opcode, 0x3..=0x7 | 0xB..=0xF)
}

/// Decodes the header at the start of `buf`: `Ok(None)` until enough bytes are there.
/// Errors come as soon as the bytes that show them are in, so that a bad or oversized
/// frame is refused before its payload is waited for.
pub fn decode_header(buf: &[u8], max_payload: usize) -> Result<Option<FrameHeader>, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    let opcode = first & 0x0F;
    if is_reserved(opcode) {
        return Err(FrameError::ReservedOpcode(opcode));
    }
    if is_control(opcode) && !fin {
        return Err(FrameError::BadControlFrame);
    }
    let Some(&second) = buf.get(1) else {
        return Ok(None);
    };
    let masked = second & 0x80 != 0;
    let (payload_len, length_bytes): (u64, usize) = match second & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 2),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(b);
                (u64::from_be_bytes(bytes), 8)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 0),
    };
    if payload_len >> 63 != 0 {
        return Err(FrameError::BadLength);
    }
    if is_control(opcode) && payload_len > MAX_CONTROL_PAYLOAD as u64 {
        return Err(FrameError::BadControlFrame);
    }
    let payload_len = match usize::try_from(payload_len) {
        Ok(len) if len <= max_payload => len,
        _ => return Err(FrameError::TooBig(payload_len)),
    };
    let mut header_len = 2 + length_bytes;
    let mask = if masked {
        let Some(key) = buf.get(header_len..header_len + 4) else {
            return Ok(None);
        };
        header_len += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some(FrameHeader {
        fin,
        rsv: (first >> 4) & 0x7,
        opcode,
        mask,
        payload_len,
        header_len,
    }))
}

/// Unmasks (or masks) `data` in place, `offset` being the position of `data[0]` in the
/// payload, so that a payload may be unmasked piece by piece.
pub fn unmask(data: &mut [u8], mask: [u8; 4], offset: usize) {
    // Eight bytes at a time (a multiple of the key's period, so every word meets the
    // key at the same phase): the per-byte loop was most of a session's receive time.
    let key: [u8; 4] = std::array::from_fn(|i| mask[(offset + i) % 4]);
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut words = data.chunks_exact_mut(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        word.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ wide).to_ne_bytes());
    }
    for (i, byte) in words.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// A whole frame with its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Decodes the frame at the start of `buf`: the frame and the bytes it took, or
/// `Ok(None)` until all of it is there. See [`decode_header`] for the errors.
pub fn decode_frame(buf: &[u8], max_payload: usize) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(header) = decode_header(buf, max_payload)? else {
        return Ok(None);
    };
    let Some(raw) = buf.get(header.header_len..header.frame_len()) else {
        return Ok(None);
    };
    let mut payload = Vec::new();
    payload
        .try_reserve_exact(raw.len())
        .map_err(|_| FrameError::OutOfMemory)?;
    payload.extend_from_slice(raw);
    if let Some(mask) = header.mask {
        unmask(&mut payload, mask, 0);
    }
    let frame = Frame {
        fin: header.fin,
        rsv: header.rsv,
        opcode: header.opcode,
        masked: header.mask.is_some(),
        payload,
    };
    Ok(Some((frame, header.frame_len())))
}

/// The header of an unmasked (server) frame: the bytes and how many of them to send.
/// The length takes 7, 16 or 64 bits, the fewest that hold it.
pub fn encode_frame_header(opcode: u8, fin: bool, len: usize) -> ([u8; 10], usize) {
    let mut header = [0u8; 10];
    header[0] = if fin { 0x80 } else { 0 } | (opcode & 0x0F);
    let used = if len <= 125 {
        header[1] = len as u8;
        2
    } else if let Ok(len16) = u16::try_from(len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&len16.to_be_bytes());
        4
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    (header, used)
}

/// A close frame's payload: the code (big-endian) and as much of `reason` as fits in a
/// control frame (123 bytes, cut back to a UTF-8 character boundary if the reason is
/// UTF-8). libevent sends the code alone, whatever it is, 0 included; so does this with
/// an empty reason. Gives the bytes and how many of them are used.
pub fn close_payload(code: u16, reason: &[u8]) -> ([u8; MAX_CONTROL_PAYLOAD], usize) {
    let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
    payload[..2].copy_from_slice(&code.to_be_bytes());
    let room = MAX_CONTROL_PAYLOAD - 2;
    let mut kept = reason.len().min(room);
    if kept < reason.len() && std::str::from_utf8(reason).is_ok() {
        // Continuation bytes look like 0b10xx_xxxx: step back to a character start.
        while kept > 0 && reason[kept] & 0xC0 == 0x80 {
            kept -= 1;
        }
    }
    payload[2..2 + kept].copy_from_slice(&reason[..kept]);
    (payload, 2 + kept)
}

/// Reads a close frame's payload: `None` when it carries no code, else the code and
/// the reason. One byte is a protocol error (RFC 6455 5.5.1).
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<(u16, &[u8])>, FrameError> {
    match payload {
        [] => Ok(None),
        [_] => Err(FrameError::BadClosePayload),
        [high, low, reason @ ..] => Ok(Some((u16::from_be_bytes([*high, *low]), reason))),
    }
}

/// Codes a peer may send in a close frame (RFC 6455 7.4): 1000-1003, 1007-1011 (and
/// 1012-1014, registered since) and 3000-4999.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`:
/// base64(SHA-1(key + [`WS_GUID`])), 28 ASCII bytes.
pub fn accept_key(client_key: &[u8]) -> [u8; 28] {
    let mut sha = Sha1::new();
    sha.update(client_key);
    sha.update(WS_GUID);
    base64_20(&sha.finish())
}

/// SHA-1 (FIPS 180-4), enough for the handshake. Written here rather than taken from a
/// crate so that libevent_extra, like libevent with its own sha1.c, brings in no
/// dependency for 60 lines; the FIPS and RFC 6455 vectors in the tests pin it.
struct Sha1 {
    state: [u32; 5],
    block: [u8; 64],
    block_len: usize,
    total_len: u64,
}

impl Sha1 {
    fn new() -> Self {
        Sha1 {
            state: [
                0x6745_2301,
                0xEFCD_AB89,
                0x98BA_DCFE,
                0x1032_5476,
                0xC3D2_E1F0,
            ],
            block: [0; 64],
            block_len: 0,
            total_len: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.block_len).min(data.len());
            self.block[self.block_len..self.block_len + take].copy_from_slice(&data[..take]);
            self.block_len += take;
            data = &data[take..];
            if self.block_len == 64 {
                self.compress();
                self.block_len = 0;
            }
        }
    }

    fn compress(&mut self) {
        let mut w = [0u32; 80];
        for (i, word) in self.block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = self.state;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }

    fn finish(mut self) -> [u8; 20] {
        let bit_len = self.total_len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.block_len != 56 {
            self.update(&[0]);
        }
        self.block[56..].copy_from_slice(&bit_len.to_be_bytes());
        self.compress();
        let mut digest = [0u8; 20];
        for (out, s) in digest.chunks_exact_mut(4).zip(self.state) {
            out.copy_from_slice(&s.to_be_bytes());
        }
        digest
    }
}

/// Standard base64 with padding of a 20-byte digest: 28 characters.
fn base64_20(digest: &[u8; 20]) -> [u8; 28] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [b'='; 28];
    for (group, chunk) in digest.chunks(3).enumerate() {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let bits = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        // A chunk of n bytes gives n + 1 characters; '=' pads the rest.
        for k in 0..=chunk.len() {
            out[group * 4 + k] = ALPHABET[(bits >> (18 - 6 * k) & 0x3F) as usize];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1_hex(data: &[u8]) -> String {
        let mut sha = Sha1::new();
        sha.update(data);
        sha.finish().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha1_fips_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&[b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        // Split updates give the same digest.
        let mut sha = Sha1::new();
        for piece in b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".chunks(7) {
            sha.update(piece);
        }
        assert_eq!(sha.finish(), {
            let mut one = Sha1::new();
            one.update(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
            one.finish()
        });
    }

    #[test]
    fn accept_key_matches_rfc6455_and_libevent_tests() {
        // RFC 6455 1.3.
        assert_eq!(
            &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        // The key and answer of libevent's WebSocket test.
        assert_eq!(
            &accept_key(b"x3JJHMbDL1EzLkh9GBhXDw=="),
            b"HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }

    #[test]
    fn base64_pads_the_last_group() {
        let digest: [u8; 20] = std::array::from_fn(|i| (i * 10) as u8);
        assert_eq!(&base64_20(&digest), b"AAoUHigyPEZQWmRueIKMlqCqtL4=");
    }

    fn masked_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut frame = vec![first];
        match payload.len() {
            0..=125 => frame.push(0x80 | payload.len() as u8),
            126..=65535 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            }
            _ => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        let mut body = payload.to_vec();
        unmask(&mut body, mask, 0);
        frame.extend_from_slice(&body);
        frame
    }

    #[test]
    fn decodes_a_masked_text_frame() {
        // RFC 6455 5.7: "Hello", masked.
        let bytes = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let (frame, used) = decode_frame(&bytes, 1024).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(
            frame,
            Frame {
                fin: true,
                rsv: 0,
                opcode: OPCODE_TEXT,
                masked: true,
                payload: b"Hello".to_vec()
            }
        );
    }

    #[test]
    fn accepts_unmasked_frames_as_libevent_does() {
        let bytes = [0x01, 0x03, b'H', b'e', b'l', 0xFF];
        let (frame, used) = decode_frame(&bytes, 1024).unwrap().unwrap();
        assert_eq!(used, 5);
        assert!(!frame.fin && !frame.masked);
        assert_eq!(frame.payload, b"Hel");
    }

    #[test]
    fn waits_for_the_whole_frame() {
        let bytes = masked_frame(0x82, &[7u8; 300], [1, 2, 3, 4]);
        for cut in 0..bytes.len() {
            assert_eq!(decode_frame(&bytes[..cut], 1024), Ok(None), "cut at {cut}");
        }
        let (frame, used) = decode_frame(&bytes, 1024).unwrap().unwrap();
        assert_eq!((frame.payload.len(), used), (300, 300 + 8));
    }

    #[test]
    fn reads_all_three_length_forms() {
        for len in [0usize, 125, 126, 65535, 65536, 70000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let bytes = masked_frame(0x82, &payload, [9, 8, 7, 6]);
            let header = decode_header(&bytes, usize::MAX).unwrap().unwrap();
            assert_eq!(header.payload_len, len);
            let (frame, _) = decode_frame(&bytes, usize::MAX).unwrap().unwrap();
            assert_eq!(frame.payload, payload);
        }
    }

    #[test]
    fn reports_rsv_bits_without_refusing() {
        let header = decode_header(&[0xF1, 0x00], 10).unwrap().unwrap();
        assert_eq!(header.rsv, 0x7);
        assert_eq!(header.opcode, OPCODE_TEXT);
    }

    #[test]
    fn refuses_reserved_opcodes_at_once() {
        for opcode in (0x3..=0x7).chain(0xB..=0xF) {
            let err = decode_header(&[0x80 | opcode], 10).unwrap_err();
            assert_eq!(err, FrameError::ReservedOpcode(opcode));
            assert_eq!(err.close_code(), WS_CR_PROTO_ERR);
        }
        for opcode in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
            assert_eq!(decode_header(&[0x80 | opcode], 10), Ok(None));
        }
    }

    #[test]
    fn control_frames_are_short_and_final() {
        assert_eq!(
            decode_header(&[OPCODE_PING, 0x00], 1000),
            Err(FrameError::BadControlFrame)
        );
        assert_eq!(
            decode_header(&[0x80 | OPCODE_CLOSE, 126, 0, 126], 1000),
            Err(FrameError::BadControlFrame)
        );
        let frame = masked_frame(0x80 | OPCODE_PONG, &[1; 125], [0; 4]);
        assert!(decode_frame(&frame, 1000).unwrap().is_some());
    }

    #[test]
    fn refuses_big_payloads_from_the_header() {
        let header = [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0];
        let err = decode_header(&header, 65535).unwrap_err();
        assert_eq!(err, FrameError::TooBig(65536));
        assert_eq!(err.close_code(), WS_CR_DATA_TOO_BIG);
        assert_eq!(
            decode_header(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0], usize::MAX),
            Err(FrameError::BadLength)
        );
        assert!(decode_header(&[0x82, 5], 5).unwrap().is_some());
        assert_eq!(decode_header(&[0x82, 6], 5), Err(FrameError::TooBig(6)));
    }

    #[test]
    fn unmask_matches_the_bytewise_rule() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        for len in 0..40 {
            for offset in 0..8 {
                let original: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
                let mut fast = original.clone();
                unmask(&mut fast, mask, offset);
                let slow: Vec<u8> = original
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ mask[(offset + i) % 4])
                    .collect();
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn unmask_works_piecewise() {
        let mask = [0xA, 0xB, 0xC, 0xD];
        let mut whole = *b"abcdefghij";
        unmask(&mut whole, mask, 0);
        let mut pieces = *b"abcdefghij";
        let (first, rest) = pieces.split_at_mut(3);
        unmask(first, mask, 0);
        unmask(rest, mask, 3);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn encodes_server_headers() {
        assert_eq!(
            encode_frame_header(OPCODE_TEXT, true, 5),
            ([0x81, 5, 0, 0, 0, 0, 0, 0, 0, 0], 2)
        );
        assert_eq!(
            encode_frame_header(OPCODE_BINARY, false, 126),
            ([0x02, 126, 0, 126, 0, 0, 0, 0, 0, 0], 4)
        );
        assert_eq!(
            encode_frame_header(OPCODE_TEXT, true, 65535).0[..4],
            [0x81, 126, 0xFF, 0xFF]
        );
        assert_eq!(
            encode_frame_header(OPCODE_TEXT, true, 65536),
            ([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0], 10)
        );
        for len in [0, 1, 125, 126, 65535, 65536, 1 << 40] {
            let (header, used) = encode_frame_header(OPCODE_BINARY, true, len);
            let decoded = decode_header(&header[..used], usize::MAX).unwrap().unwrap();
            assert_eq!(
                (decoded.payload_len, decoded.header_len, decoded.mask),
                (len, used, None)
            );
        }
    }

    #[test]
    fn close_payloads() {
        // libevent's evws_close(evws, 0) sends the two bytes 0, 0.
        let (bytes, len) = close_payload(WS_CR_NONE, b"");
        assert_eq!(&bytes[..len], &[0, 0]);
        let (bytes, len) = close_payload(WS_CR_NORMAL, b"bye");
        assert_eq!(&bytes[..len], b"\x03\xe8bye");
        assert_eq!(
            parse_close_payload(&bytes[..len]),
            Ok(Some((1000, &b"bye"[..])))
        );
        assert_eq!(parse_close_payload(b""), Ok(None));
        assert_eq!(
            parse_close_payload(b"\x03"),
            Err(FrameError::BadClosePayload)
        );
        // Long reasons are cut to fit, at a character boundary when UTF-8.
        let (_, len) = close_payload(1000, &[b'x'; 200]);
        assert_eq!(len, MAX_CONTROL_PAYLOAD);
        let reason = "é".repeat(100);
        let (bytes, len) = close_payload(1000, reason.as_bytes());
        assert_eq!(len, 2 + 122);
        assert!(std::str::from_utf8(&bytes[2..len]).is_ok());
        assert!(is_valid_close_code(1000) && is_valid_close_code(4999));
        assert!(
            !is_valid_close_code(1005) && !is_valid_close_code(0) && !is_valid_close_code(2999)
        );
    }
}
