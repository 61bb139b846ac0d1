//! The DNS wire format (RFC 1035 section 4): the header, names with compression
//! pointers, and the constants evdns uses.
//!
//! Names are dotted byte strings without the trailing dot (the root is empty), case
//! preserved. Label bytes are copied as they are, like libevent does, so a label that
//! itself contains a `.` cannot be told apart from two labels once read.

/// Resource record types evdns knows.
pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
/// The Internet class.
pub const CLASS_IN: u16 = 1;

/// Bits of the header's flags word.
pub mod flags {
    pub const QR: u16 = 0x8000;
    pub const OPCODE_MASK: u16 = 0x7800;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    /// Checking disabled (RFC 4035); libevent's server keeps it with RD.
    pub const CD: u16 = 0x0010;
    pub const RCODE_MASK: u16 = 0x000f;
}

/// The fixed 12-byte header of every message.
pub const HEADER_LEN: usize = 12;
/// The longest name on the wire, length bytes and the final zero included.
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// The longest label.
pub const MAX_LABEL_LEN: usize = 63;
/// The largest offset a compression pointer can hold.
const MAX_POINTER_OFFSET: usize = 0x3fff;

/// Why a message could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The message ends before what its header or lengths promise (counts larger
    /// than the packet, record data past the end, a bad record data length).
    Truncated,
    /// A compression pointer that points forward, at itself, out of the message, or
    /// into a loop.
    BadPointer,
    /// A label longer than 63 bytes (when writing).
    LabelTooLong,
    /// A name longer than 255 bytes on the wire.
    NameTooLong,
    /// An empty label inside a name being written (`a..b`, `.a`).
    EmptyLabel,
    /// A length byte with the reserved top bits 01 or 10.
    BadLabelType,
    /// Something that does not fit a 16-bit length or count.
    TooLarge,
    /// A query where a reply was expected, or a reply to another transaction id.
    NotAReply,
    /// A reply where a query was expected.
    NotAQuery,
    /// A reply whose question is not the one asked.
    WrongQuestion,
    /// Memory ran out (the program's allocator failed).
    OutOfMemory,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            WireError::Truncated => "message truncated",
            WireError::BadPointer => "bad compression pointer",
            WireError::LabelTooLong => "label longer than 63 bytes",
            WireError::NameTooLong => "name longer than 255 bytes",
            WireError::EmptyLabel => "empty label in name",
            WireError::BadLabelType => "unknown label type",
            WireError::TooLarge => "too large for a DNS message",
            WireError::NotAReply => "not a reply to this query",
            WireError::NotAQuery => "not a query",
            WireError::WrongQuestion => "reply to a different question",
            WireError::OutOfMemory => "out of memory",
        };
        f.write_str(text)
    }
}

impl std::error::Error for WireError {}

/// The message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    /// Reads the header at the start of `packet`.
    pub fn parse(packet: &[u8]) -> Result<Header, WireError> {
        if packet.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let field = |index: usize| u16::from_be_bytes([packet[2 * index], packet[2 * index + 1]]);
        Ok(Header {
            id: field(0),
            flags: field(1),
            qdcount: field(2),
            ancount: field(3),
            nscount: field(4),
            arcount: field(5),
        })
    }

    /// Appends the 12 header bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 12 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0; HEADER_LEN];
        let fields = [
            self.id,
            self.flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ];
        for (pair, field) in bytes.chunks_exact_mut(2).zip(fields) {
            pair.copy_from_slice(&field.to_be_bytes());
        }
        bytes
    }
}

/// Reads the big-endian u16 at `at`.
pub(crate) fn read_u16(packet: &[u8], at: usize) -> Result<u16, WireError> {
    match packet.get(at..at.checked_add(2).ok_or(WireError::Truncated)?) {
        Some(bytes) => Ok(u16::from_be_bytes([bytes[0], bytes[1]])),
        None => Err(WireError::Truncated),
    }
}

/// Reads the big-endian u32 at `at`.
pub(crate) fn read_u32(packet: &[u8], at: usize) -> Result<u32, WireError> {
    match packet.get(at..at.checked_add(4).ok_or(WireError::Truncated)?) {
        Some(bytes) => Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        None => Err(WireError::Truncated),
    }
}

/// Walks the possibly compressed name at `at`, handing each label to `visit` in
/// order; returns the offset just past the name where it started.
///
/// libevent's name_parse follows pointers anywhere inside the packet and gives up on
/// loops only after as many jumps as the packet has bytes; it also takes length
/// bytes 0x40..0xbf for pointers. Here a pointer must point strictly before the
/// start of the run of labels it ends (where the name began, or the previous
/// pointer's target), and the reserved label types are refused. Those starts only
/// decrease, so a walk never visits a byte twice and always ends. A compressor only
/// points at names written before the current one, so real messages pass.
pub(crate) fn walk_name(
    packet: &[u8],
    at: usize,
    mut visit: impl FnMut(&[u8]),
) -> Result<usize, WireError> {
    let mut position = at;
    let mut run_start = at;
    let mut end_of_name = None;
    let mut wire_len = 1; // the final zero
    loop {
        let length_byte = *packet.get(position).ok_or(WireError::Truncated)?;
        match length_byte & 0xc0 {
            0x00 => {
                let label_len = usize::from(length_byte);
                if label_len == 0 {
                    return Ok(end_of_name.unwrap_or(position + 1));
                }
                wire_len += 1 + label_len;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(WireError::NameTooLong);
                }
                let label = packet
                    .get(position + 1..position + 1 + label_len)
                    .ok_or(WireError::Truncated)?;
                visit(label);
                position += 1 + label_len;
            }
            0xc0 => {
                let low = *packet.get(position + 1).ok_or(WireError::Truncated)?;
                let target = usize::from(length_byte & 0x3f) << 8 | usize::from(low);
                if target >= run_start {
                    return Err(WireError::BadPointer);
                }
                end_of_name.get_or_insert(position + 2);
                position = target;
                run_start = target;
            }
            _ => return Err(WireError::BadLabelType),
        }
    }
}

/// Reads a possibly compressed name at `at` into `out` (cleared first); returns the
/// offset just past the name where it started. Pointer loops, labels > 63, names >
/// 255 bytes on the wire are errors.
pub fn read_name(packet: &[u8], at: usize, out: &mut Vec<u8>) -> Result<usize, WireError> {
    out.clear();
    let result = walk_name(packet, at, |label| {
        if !out.is_empty() {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    });
    if result.is_err() {
        out.clear();
    }
    result
}

/// Checks the name at `at` without copying it; returns the offset just past it.
pub(crate) fn skip_name(packet: &[u8], at: usize) -> Result<usize, WireError> {
    walk_name(packet, at, |_| {})
}

/// Compares the name at `at` with the dotted `name`, byte for byte or ignoring ASCII
/// case; returns whether they are equal and the offset just past the wire name.
pub(crate) fn name_equals(
    packet: &[u8],
    at: usize,
    name: &[u8],
    case_sensitive: bool,
) -> Result<(bool, usize), WireError> {
    let name = strip_trailing_dot(name);
    let mut rest = Some(name).filter(|name| !name.is_empty());
    let mut equal = true;
    let end = walk_name(packet, at, |label| {
        if !equal {
            return;
        }
        let Some(remaining) = rest else {
            equal = false;
            return;
        };
        let (expected, after) = match remaining.iter().position(|&byte| byte == b'.') {
            Some(dot) => (&remaining[..dot], Some(&remaining[dot + 1..])),
            None => (remaining, None),
        };
        equal = if case_sensitive {
            label == expected
        } else {
            label.eq_ignore_ascii_case(expected)
        };
        rest = after;
    })?;
    Ok((equal && rest.is_none(), end))
}

/// Whether the name this compressor wrote at `at` in `message` is exactly the dotted
/// `name`; stops at the first difference, as most candidates differ at once.
fn written_name_is(message: &[u8], at: usize, name: &[u8]) -> bool {
    let mut position = at;
    let mut rest = name;
    // The compressor writes each pointer to an earlier offset, but stay bounded
    // whatever the bytes are.
    for _ in 0..MAX_NAME_WIRE_LEN {
        let Some(&length_byte) = message.get(position) else {
            return false;
        };
        if length_byte & 0xc0 == 0xc0 {
            let Some(&low) = message.get(position + 1) else {
                return false;
            };
            let target = usize::from(length_byte & 0x3f) << 8 | usize::from(low);
            if target >= position {
                return false;
            }
            position = target;
            continue;
        }
        let label_len = usize::from(length_byte);
        if label_len == 0 {
            return rest.is_empty();
        }
        let Some(label) = message.get(position + 1..position + 1 + label_len) else {
            return false;
        };
        let Some(after) = rest.strip_prefix(label) else {
            return false;
        };
        rest = match after.split_first() {
            None => after,
            Some((b'.', remaining)) if !remaining.is_empty() => remaining,
            Some(_) => return false,
        };
        position += 1 + label_len;
    }
    false
}

/// `name` without one trailing dot: libevent accepts "example.com." for
/// "example.com" when it writes names.
fn strip_trailing_dot(name: &[u8]) -> &[u8] {
    name.strip_suffix(b".").unwrap_or(name)
}

/// The labels of a dotted name.
type Labels<'a> = std::slice::Split<'a, u8, fn(&u8) -> bool>;

/// The labels of `name` after checking them: each 1..=63 bytes, at most 255 bytes
/// on the wire. The root (empty or ".") has no labels.
fn checked_labels(name: &[u8]) -> Result<Labels<'_>, WireError> {
    let name = strip_trailing_dot(name);
    let is_dot: fn(&u8) -> bool = |&byte| byte == b'.';
    let labels = name.split(is_dot);
    if name.is_empty() {
        // An iterator over nothing: split of an empty slice yields one empty label,
        // which the caller must not see.
        let mut empty = name.split(is_dot);
        empty.next();
        return Ok(empty);
    }
    let mut wire_len = 1;
    for label in labels.clone() {
        // libevent writes an empty interior label as a zero byte, which ends the
        // name early and leaves the rest of it as garbage; refuse it instead.
        if label.is_empty() {
            return Err(WireError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(WireError::LabelTooLong);
        }
        wire_len += 1 + label.len();
    }
    // libevent only refuses names of more than 255 characters; RFC 1035 limits the
    // wire form to 255 bytes.
    if wire_len > MAX_NAME_WIRE_LEN {
        return Err(WireError::NameTooLong);
    }
    Ok(labels)
}

/// Whether `name` can be written ([`write_name`] would succeed), without writing it.
pub fn check_name(name: &[u8]) -> Result<(), WireError> {
    checked_labels(name).map(|_| ())
}

/// Appends `name` uncompressed.
pub fn write_name(out: &mut Vec<u8>, name: &[u8]) -> Result<(), WireError> {
    for label in checked_labels(name)? {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    Ok(())
}

/// Name compression for one message being written (suffixes at offsets < 0x4000).
///
/// It remembers where each label written so far starts and, for a new name, points
/// at the longest suffix already in the message. Matching is exact (case
/// included), as libevent's label table does, so compression never changes a name.
#[derive(Debug, Default)]
pub struct Compressor {
    /// Where the message starts in the output vector.
    message_start: usize,
    /// Offsets (from the message start) of names written so far, each a suffix: the
    /// first ones in `inline` (most responses need no more, and so no allocation),
    /// the rest in `spilled`.
    inline: [u16; INLINE_SUFFIXES],
    inline_len: usize,
    spilled: Vec<u16>,
}

/// Suffixes kept without allocating.
const INLINE_SUFFIXES: usize = 16;

/// Enough suffixes for any ordinary response; past this, names are still written,
/// just not offered for compression, so the cost of a lookup stays bounded.
const MAX_SUFFIXES: usize = 512;

impl Compressor {
    /// A compressor for a message that starts at offset 0 of the output vector.
    pub fn new() -> Self {
        Compressor::default()
    }

    /// A compressor for a message that starts at `message_start` in the output
    /// vector (after a TCP length prefix, say).
    pub fn starting_at(message_start: usize) -> Self {
        Compressor {
            message_start,
            ..Compressor::default()
        }
    }

    fn suffixes(&self) -> impl Iterator<Item = u16> + '_ {
        self.inline[..self.inline_len]
            .iter()
            .chain(&self.spilled)
            .copied()
    }

    fn suffix_count(&self) -> usize {
        self.inline_len + self.spilled.len()
    }

    fn remember(&mut self, offset: u16) {
        if self.inline_len < INLINE_SUFFIXES {
            self.inline[self.inline_len] = offset;
            self.inline_len += 1;
        } else {
            self.spilled.push(offset);
        }
    }

    /// Appends `name`, ending in a pointer to an earlier copy of its longest suffix
    /// already written through this compressor, if any.
    pub fn write_name(&mut self, out: &mut Vec<u8>, name: &[u8]) -> Result<(), WireError> {
        let labels = checked_labels(name)?;
        let name = strip_trailing_dot(name);
        let message = out.get(self.message_start..).ok_or(WireError::TooLarge)?;
        // Find the longest suffix already present.
        let mut suffix_start = 0;
        let mut pointer = None;
        for label in labels.clone() {
            let suffix = &name[suffix_start..];
            if let Some(offset) = self
                .suffixes()
                .find(|&offset| written_name_is(message, usize::from(offset), suffix))
            {
                pointer = Some(offset);
                break;
            }
            suffix_start += label.len() + 1;
        }
        let mut written = 0;
        for label in labels {
            if written >= suffix_start && pointer.is_some() {
                break;
            }
            let offset = out.len() - self.message_start;
            if offset <= MAX_POINTER_OFFSET && self.suffix_count() < MAX_SUFFIXES {
                self.remember(offset as u16);
            }
            out.push(label.len() as u8);
            out.extend_from_slice(label);
            written += label.len() + 1;
        }
        match pointer {
            Some(offset) => out.extend_from_slice(&(0xc000 | offset).to_be_bytes()),
            None => out.push(0),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(packet: &[u8], at: usize) -> Result<(Vec<u8>, usize), WireError> {
        let mut name = Vec::new();
        let end = read_name(packet, at, &mut name)?;
        Ok((name, end))
    }

    #[test]
    fn header_round_trip() {
        let header = Header {
            id: 0xbeef,
            flags: flags::QR | flags::RD | 3,
            qdcount: 1,
            ancount: 2,
            nscount: 3,
            arcount: 4,
        };
        let mut out = Vec::new();
        header.write(&mut out);
        assert_eq!(out.len(), HEADER_LEN);
        assert_eq!(&out[..4], &[0xbe, 0xef, 0x81, 0x03]);
        assert_eq!(Header::parse(&out), Ok(header));
        assert_eq!(Header::parse(&out[..11]), Err(WireError::Truncated));
    }

    #[test]
    fn plain_and_root_names() {
        let packet = b"\x03www\x07Example\x03com\x00\x00";
        assert_eq!(read(packet, 0), Ok((b"www.Example.com".to_vec(), 17)));
        assert_eq!(read(packet, 17), Ok((Vec::new(), 18)));
        assert_eq!(read(packet, 18), Err(WireError::Truncated));
    }

    #[test]
    fn compressed_name_ends_after_first_pointer() {
        // "example.com" at 0, then "www" + pointer to 0 at 13.
        let packet = b"\x07example\x03com\x00\x03www\xc0\x00\xff";
        assert_eq!(read(packet, 13), Ok((b"www.example.com".to_vec(), 19)));
        // A pointer straight away.
        let packet = b"\x03com\x00\xc0\x00";
        assert_eq!(read(packet, 5), Ok((b"com".to_vec(), 7)));
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_refused() {
        // Points at itself.
        assert_eq!(read(b"\xc0\x00", 0), Err(WireError::BadPointer));
        // Two pointers pointing at each other.
        assert_eq!(read(b"\xc0\x02\xc0\x00", 2), Err(WireError::BadPointer));
        // A label then a pointer back to the label: loops through a label.
        assert_eq!(read(b"\x01a\xc0\x00", 0), Err(WireError::BadPointer));
        // Forward pointer, even to a valid name.
        assert_eq!(read(b"\xc0\x02\x01a\x00", 0), Err(WireError::BadPointer));
        // Out of range.
        assert_eq!(read(b"\x00\x00\x00\xff\xff", 3), Err(WireError::BadPointer));
        // Pointer cut in half.
        assert_eq!(read(b"\x01a\xc0", 0), Err(WireError::Truncated));
    }

    #[test]
    fn loop_entered_through_a_pointer_is_refused() {
        // At 0, "a" then a pointer back to 0: a backward pointer, but a loop once
        // entered through the pointer at 4.
        let packet = b"\x01a\xc0\x00\xc0\x00";
        assert_eq!(read(packet, 4), Err(WireError::BadPointer));
    }

    #[test]
    fn reserved_label_types_are_refused() {
        assert_eq!(read(b"\x40abc", 0), Err(WireError::BadLabelType));
        assert_eq!(read(b"\x80abc", 0), Err(WireError::BadLabelType));
    }

    #[test]
    fn truncated_labels() {
        assert_eq!(read(b"\x05abc", 0), Err(WireError::Truncated));
        assert_eq!(read(b"\x03abc", 0), Err(WireError::Truncated));
        assert_eq!(read(b"", 0), Err(WireError::Truncated));
    }

    #[test]
    fn names_over_255_bytes_are_refused() {
        // 4 labels of 63: 4 * 64 + 1 = 257 bytes on the wire.
        let mut packet = Vec::new();
        for _ in 0..4 {
            packet.push(63);
            packet.extend_from_slice(&[b'x'; 63]);
        }
        packet.push(0);
        assert_eq!(read(&packet, 0), Err(WireError::NameTooLong));
        // 3 labels of 63 and one of 61: exactly 255.
        let mut packet = Vec::new();
        for _ in 0..3 {
            packet.push(63);
            packet.extend_from_slice(&[b'x'; 63]);
        }
        packet.push(61);
        packet.extend_from_slice(&[b'y'; 61]);
        packet.push(0);
        assert_eq!(packet.len(), 255);
        let (name, end) = read(&packet, 0).unwrap();
        assert_eq!((name.len(), end), (253, 255));
        // The limit counts the name behind pointers too.
        let mut long = packet[..192].to_vec(); // three labels of 63
        long.push(0);
        let pointer_at = long.len();
        long.extend_from_slice(&[63]);
        long.extend_from_slice(&[b'z'; 63]);
        long.extend_from_slice(&[0xc0, 0x00]);
        assert_eq!(read(&long, pointer_at), Err(WireError::NameTooLong));
    }

    #[test]
    fn write_name_checks_labels() {
        let mut out = vec![0xaa];
        write_name(&mut out, b"www.example.com").unwrap();
        assert_eq!(out, b"\xaa\x03www\x07example\x03com\x00");
        out.clear();
        write_name(&mut out, b"").unwrap();
        write_name(&mut out, b".").unwrap();
        write_name(&mut out, b"com.").unwrap();
        assert_eq!(out, b"\x00\x00\x03com\x00");
        out.clear();
        assert_eq!(write_name(&mut out, b"a..b"), Err(WireError::EmptyLabel));
        assert_eq!(write_name(&mut out, b".a"), Err(WireError::EmptyLabel));
        assert_eq!(write_name(&mut out, b"a.."), Err(WireError::EmptyLabel));
        let long_label = [b'x'; 64];
        assert_eq!(
            write_name(&mut out, &long_label),
            Err(WireError::LabelTooLong)
        );
        let label = [b'x'; 63];
        let mut long_name = Vec::new();
        for _ in 0..4 {
            long_name.extend_from_slice(&label);
            long_name.push(b'.');
        }
        long_name.pop();
        assert_eq!(
            write_name(&mut out, &long_name),
            Err(WireError::NameTooLong)
        );
        assert!(out.is_empty(), "nothing written on error");
        write_name(&mut out, &long_name[..253]).unwrap();
        assert_eq!(out.len(), 255);
    }

    #[test]
    fn compressor_points_at_longest_suffix() {
        let mut out = vec![0; HEADER_LEN];
        let mut compressor = Compressor::new();
        compressor.write_name(&mut out, b"www.example.com").unwrap();
        assert_eq!(&out[12..], b"\x03www\x07example\x03com\x00");
        let second = out.len();
        compressor
            .write_name(&mut out, b"mail.example.com")
            .unwrap();
        assert_eq!(&out[second..], b"\x04mail\xc0\x10");
        let third = out.len();
        compressor.write_name(&mut out, b"www.example.com").unwrap();
        assert_eq!(&out[third..], b"\xc0\x0c");
        let fourth = out.len();
        // Case matters: no match for "COM", whole name written.
        compressor.write_name(&mut out, b"COM").unwrap();
        assert_eq!(&out[fourth..], b"\x03COM\x00");
        let fifth = out.len();
        compressor.write_name(&mut out, b"").unwrap();
        assert_eq!(&out[fifth..], b"\x00");
        let sixth = out.len();
        // A suffix that was itself written through a pointer.
        compressor
            .write_name(&mut out, b"a.mail.example.com")
            .unwrap();
        assert_eq!(&out[sixth..], &[1, b'a', 0xc0, second as u8]);
        for (at, expected) in [
            (12, &b"www.example.com"[..]),
            (second, b"mail.example.com"),
            (third, b"www.example.com"),
            (sixth, b"a.mail.example.com"),
        ] {
            assert_eq!(read(&out, at).unwrap().0, expected);
        }
    }

    #[test]
    fn compressor_with_message_offset() {
        let mut out = vec![0, 0];
        out.extend_from_slice(&[0; HEADER_LEN]);
        let mut compressor = Compressor::starting_at(2);
        compressor.write_name(&mut out, b"example.com").unwrap();
        compressor.write_name(&mut out, b"example.com").unwrap();
        assert_eq!(&out[out.len() - 2..], b"\xc0\x0c");
        assert_eq!(read(&out[2..], 25).unwrap().0, b"example.com");
    }

    #[test]
    fn compressor_ignores_offsets_past_pointer_range() {
        let mut out = vec![0; 0x4000];
        let mut compressor = Compressor::new();
        compressor.write_name(&mut out, b"far.example").unwrap();
        let again = out.len();
        compressor.write_name(&mut out, b"far.example").unwrap();
        assert_eq!(&out[again..], b"\x03far\x07example\x00");
    }

    #[test]
    fn name_equals_rules() {
        let packet = b"\x03WwW\x07example\x03com\x00";
        assert_eq!(
            name_equals(packet, 0, b"WwW.example.com", true),
            Ok((true, 17))
        );
        assert_eq!(
            name_equals(packet, 0, b"www.example.com", true),
            Ok((false, 17))
        );
        assert_eq!(
            name_equals(packet, 0, b"www.example.com", false),
            Ok((true, 17))
        );
        assert_eq!(
            name_equals(packet, 0, b"www.example.com.", false),
            Ok((true, 17))
        );
        assert_eq!(
            name_equals(packet, 0, b"www.example", false),
            Ok((false, 17))
        );
        assert_eq!(
            name_equals(packet, 0, b"www.example.com.x", false),
            Ok((false, 17))
        );
        assert_eq!(name_equals(packet, 16, b"", true), Ok((true, 17)));
        assert_eq!(name_equals(packet, 0, b"", true), Ok((false, 17)));
    }
}
