//! Whole messages: the queries a resolver sends and the replies it reads (as
//! libevent's evdns_request_data_build and reply_parse), and the queries a server
//! reads and the responses it writes (as request_parse and
//! evdns_server_request_format_response).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::wire::{
    flags, name_equals, read_name, read_u16, read_u32, skip_name, write_name, Compressor, Header,
    WireError, CLASS_IN, HEADER_LEN, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_OPT, TYPE_PTR, TYPE_SOA,
};

/// A query: header (id, RD), one question (IN class), and when `edns_udp_size` is
/// Some an OPT record advertising it. Appended to `out`; on error `out` is left as
/// it was.
pub fn build_query(
    out: &mut Vec<u8>,
    id: u16,
    name: &[u8],
    qtype: u16,
    edns_udp_size: Option<u16>,
) -> Result<(), WireError> {
    let start = out.len();
    Header {
        id,
        flags: flags::RD,
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: u16::from(edns_udp_size.is_some()),
    }
    .write(out);
    if let Err(error) = write_name(out, name) {
        out.truncate(start);
        return Err(error);
    }
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    if let Some(udp_size) = edns_udp_size {
        // RFC 6891 6.1.2: root name, type OPT, the payload size in the class field,
        // no extended rcode or flags, no options.
        out.push(0);
        out.extend_from_slice(&TYPE_OPT.to_be_bytes());
        out.extend_from_slice(&udp_size.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
    }
    Ok(())
}

/// The 0x20 trick: flips the case of each ASCII letter of `name` whose bit in
/// `random` (bit i of random[i / 8]) is set. Bits past the end of `random` count as
/// clear. (libevent sets letters to lower case for a set bit and upper case for a
/// clear one; flipping spreads the same randomness over the name and keeps the
/// caller's spelling when `random` is all zeros.)
pub fn randomize_case(name: &mut [u8], random: &[u8]) {
    for (index, byte) in name.iter_mut().enumerate() {
        let bit_set = random
            .get(index / 8)
            .is_some_and(|bits| bits & (1 << (index % 8)) != 0);
        if bit_set && byte.is_ascii_alphabetic() {
            *byte ^= 0x20;
        }
    }
}

/// The PTR name of an IPv4 address: "4.3.2.1.in-addr.arpa" for 1.2.3.4.
pub fn reverse_name_v4(addr: Ipv4Addr) -> Result<Vec<u8>, WireError> {
    use std::io::Write;
    let [a, b, c, d] = addr.octets();
    // At most "255.255.255.255.in-addr.arpa": written into a block reserved up front.
    let mut name = Vec::new();
    name.try_reserve_exact(29)
        .map_err(|_| WireError::OutOfMemory)?;
    write!(name, "{d}.{c}.{b}.{a}.in-addr.arpa").map_err(|_| WireError::OutOfMemory)?;
    Ok(name)
}

/// The PTR name of an IPv6 address: its 32 nibbles, lowest first, in lower-case hex,
/// then "ip6.arpa".
pub fn reverse_name_v6(addr: Ipv6Addr) -> Result<Vec<u8>, WireError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut name = Vec::new();
    name.try_reserve_exact(72)
        .map_err(|_| WireError::OutOfMemory)?;
    for byte in addr.octets().iter().rev() {
        name.extend_from_slice(&[
            HEX[usize::from(byte & 0x0f)],
            b'.',
            HEX[usize::from(byte >> 4)],
            b'.',
        ]);
    }
    name.extend_from_slice(b"ip6.arpa");
    Ok(name)
}

/// What a resolver expects back: the id and question it sent.
pub struct Expected<'a> {
    pub id: u16,
    /// The name as sent (after [`randomize_case`]).
    pub name: &'a [u8],
    pub qtype: u16,
    /// Compare the question's name byte for byte (randomize-case on) rather than
    /// ignoring ASCII case. (libevent 2.2.1 has the two cases the other way round:
    /// it ignores case exactly when it randomized it, which defeats the point of
    /// the 0x20 trick. Most servers echo the question as sent; one that lower-cases it
    /// fails a case-sensitive match, and the resolver then asks it in lower case.)
    pub case_sensitive: bool,
}

/// The records of the asked type a reply carried.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Records {
    /// No record of the asked type: with rcode 0, libevent's DNS_ERR_NODATA.
    #[default]
    None,
    Ipv4(Vec<Ipv4Addr>),
    Ipv6(Vec<Ipv6Addr>),
    Ptr(Vec<u8>),
}

/// A reply that belongs to the query it was checked against.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub id: u16,
    pub flags: u16,
    /// `flags & RCODE_MASK`.
    pub rcode: u8,
    /// The TC bit.
    pub truncated: bool,
    pub records: Records,
    /// The smallest TTL of the records used; for an answer without them, the
    /// smallest of each SOA record's TTL and minimum in the authority section, as
    /// libevent uses it; 0 when there was neither.
    pub ttl: u32,
    /// The target of the first CNAME record of the answer section.
    pub cname: Option<Vec<u8>>,
}

/// Parses a reply to `expected` as libevent's reply_parse does: not a reply, a
/// different id or a question that does not match -> Err (the caller ignores the
/// packet); records of the asked type collected (A/AAAA up to libevent's limits),
/// CNAME noted; malformed -> Err.
///
/// In detail:
/// - `Err(NotAReply)`: the id differs or QR is clear (libevent drops the packet).
/// - A reply with TC set or an rcode other than 0 and 3 (NXDOMAIN) is returned at
///   once with no records and TTL 0, without looking past the header, as libevent
///   does (it fails the request with the error the flags give).
/// - `Err(WrongQuestion)`: no question has the expected name and type (libevent
///   compares the name only, and fails the request with DNS_ERR_UNKNOWN).
/// - Other errors: the message is malformed (libevent fails the request with
///   DNS_ERR_UNKNOWN, or the rcode's error for NXDOMAIN). libevent does not check
///   that record data stays inside the packet when it skips a record; here it must.
/// - Answers: A (class IN) for an A query, AAAA (class IN) for AAAA, and the first
///   PTR (class IN) for PTR, which ends the answer section as in libevent. Each A or
///   AAAA record may hold several addresses (record length a multiple of 4 or 16),
///   as libevent accepts; there is no cap other than the packet's size, as libevent
///   2.2.1 sizes its buffer from the packet.
pub fn parse_reply(packet: &[u8], expected: &Expected<'_>) -> Result<Reply, WireError> {
    let header = Header::parse(packet)?;
    if header.id != expected.id || header.flags & flags::QR == 0 {
        return Err(WireError::NotAReply);
    }
    let mut reply = Reply {
        id: header.id,
        flags: header.flags,
        rcode: (header.flags & flags::RCODE_MASK) as u8,
        truncated: header.flags & flags::TC != 0,
        records: Records::None,
        ttl: 0,
        cname: None,
    };
    let error_bits = header.flags & (flags::RCODE_MASK | flags::TC);
    if error_bits != 0 && error_bits != 3 {
        return Ok(reply);
    }

    let mut at = HEADER_LEN;
    let mut question_matches = false;
    for _ in 0..header.qdcount {
        let (name_matches, end) = name_equals(packet, at, expected.name, expected.case_sensitive)?;
        let qtype = read_u16(packet, end)?;
        read_u16(packet, end + 2)?;
        question_matches |= name_matches && qtype == expected.qtype;
        at = end + 4;
    }
    if !question_matches {
        return Err(WireError::WrongQuestion);
    }

    let mut min_ttl = u32::MAX;
    let mut have_answer = false;
    // Vec::new allocates nothing, so only the kind of answer asked for allocates.
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let mut ptr = None;
    for _ in 0..header.ancount {
        let record = read_record_header(packet, at)?;
        at = record.data_end;
        let data = &packet[record.data_start..record.data_end];
        match (record.rtype, record.class) {
            (TYPE_A, CLASS_IN) if expected.qtype == TYPE_A => {
                if data.len() % 4 != 0 {
                    return Err(WireError::Truncated);
                }
                v4.extend(
                    data.chunks_exact(4).map(|chunk| {
                        Ipv4Addr::from(<[u8; 4]>::try_from(chunk).expect("chunks of 4"))
                    }),
                );
                min_ttl = min_ttl.min(record.ttl);
                have_answer = true;
            }
            (TYPE_AAAA, CLASS_IN) if expected.qtype == TYPE_AAAA => {
                if data.len() % 16 != 0 {
                    return Err(WireError::Truncated);
                }
                v6.extend(data.chunks_exact(16).map(|chunk| {
                    Ipv6Addr::from(<[u8; 16]>::try_from(chunk).expect("chunks of 16"))
                }));
                min_ttl = min_ttl.min(record.ttl);
                have_answer = true;
            }
            (TYPE_PTR, CLASS_IN) if expected.qtype == TYPE_PTR => {
                let mut target = Vec::new();
                read_name(packet, record.data_start, &mut target)?;
                ptr = Some(target);
                min_ttl = min_ttl.min(record.ttl);
                have_answer = true;
                // libevent takes the first PTR and reads no further answers.
                break;
            }
            (TYPE_CNAME, _) => {
                if reply.cname.is_none() {
                    let mut target = Vec::new();
                    read_name(packet, record.data_start, &mut target)?;
                    reply.cname = Some(target);
                } else {
                    skip_name(packet, record.data_start)?;
                }
            }
            _ => {}
        }
    }

    if have_answer {
        reply.records = match expected.qtype {
            TYPE_A => Records::Ipv4(v4),
            TYPE_AAAA => Records::Ipv6(v6),
            _ => ptr.map_or(Records::None, Records::Ptr),
        };
    } else {
        // A negative answer: the SOA records of the authority section say how long
        // to remember it (RFC 2308), libevent taking the smaller of TTL and minimum.
        for _ in 0..header.nscount {
            let record = read_record_header(packet, at)?;
            at = record.data_end;
            if (record.rtype, record.class) == (TYPE_SOA, CLASS_IN) {
                let mname_end = skip_name(packet, record.data_start)?;
                let rname_end = skip_name(packet, mname_end)?;
                // serial, refresh, retry, expire, then minimum.
                let minimum = read_u32(packet, rname_end + 16)?;
                if rname_end + 20 > record.data_end {
                    return Err(WireError::Truncated);
                }
                min_ttl = min_ttl.min(record.ttl).min(minimum);
            }
        }
    }
    // libevent's "no TTL seen" marker; a TTL of exactly 0xffffffff reads as 0 too.
    reply.ttl = if min_ttl == u32::MAX { 0 } else { min_ttl };
    Ok(reply)
}

/// The fixed part of a resource record and where its data lies.
#[derive(Clone, Copy, Debug)]
struct RecordHeader {
    rtype: u16,
    class: u16,
    ttl: u32,
    data_start: usize,
    data_end: usize,
}

/// Reads the record at `at`: owner name (skipped), type, class, TTL, data length;
/// the data must lie inside the packet.
fn read_record_header(packet: &[u8], at: usize) -> Result<RecordHeader, WireError> {
    let name_end = skip_name(packet, at)?;
    let rtype = read_u16(packet, name_end)?;
    let class = read_u16(packet, name_end + 2)?;
    let ttl = read_u32(packet, name_end + 4)?;
    let data_len = usize::from(read_u16(packet, name_end + 8)?);
    let data_start = name_end + 10;
    let data_end = data_start + data_len;
    if data_end > packet.len() {
        return Err(WireError::Truncated);
    }
    Ok(RecordHeader {
        rtype,
        class,
        ttl,
        data_start,
        data_end,
    })
}

/// One question of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Vec<u8>,
    pub qtype: u16,
    pub qclass: u16,
}

/// A query received by a server.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub id: u16,
    /// The flags as received. libevent keeps only RD and CD for its response (and
    /// means to answer other opcodes than QUERY with NOTIMP, though its check runs
    /// after that masking and never fires); the server applies those rules.
    pub flags: u16,
    pub questions: Vec<Question>,
}

/// One question of a query, borrowed: the name as a dotted byte string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuestionRef<'a> {
    pub name: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
}

impl Question {
    pub fn as_ref(&self) -> QuestionRef<'_> {
        QuestionRef {
            name: &self.name,
            qtype: self.qtype,
            qclass: self.qclass,
        }
    }
}

/// A query's header fields, as [`scan_request`] reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub id: u16,
    /// The flags as received (see [`Request::flags`]).
    pub flags: u16,
    pub qdcount: u16,
    /// The UDP payload size of the first OPT record, as [`parse_request_with_edns`].
    pub edns_udp_size: Option<u16>,
}

/// [`parse_request_with_edns`] without allocating: checks the whole query with the
/// same rules, reading each question's name into `name` (cleared first, kept by the
/// caller for the next query) and handing the question to `question` in order.
pub fn scan_request(
    packet: &[u8],
    name: &mut Vec<u8>,
    mut question: impl FnMut(QuestionRef<'_>),
) -> Result<RequestHead, WireError> {
    let header = Header::parse(packet)?;
    if header.flags & flags::QR != 0 {
        return Err(WireError::NotAQuery);
    }
    let mut at = HEADER_LEN;
    for _ in 0..header.qdcount {
        let end = read_name(packet, at, name)?;
        let qtype = read_u16(packet, end)?;
        let qclass = read_u16(packet, end + 2)?;
        question(QuestionRef {
            name,
            qtype,
            qclass,
        });
        at = end + 4;
    }
    for _ in 0..u32::from(header.ancount) + u32::from(header.nscount) {
        at = read_record_header(packet, at)?.data_end;
    }
    let mut edns_udp_size = None;
    for _ in 0..header.arcount {
        let record = read_record_header(packet, at)?;
        at = record.data_end;
        if record.rtype == TYPE_OPT {
            edns_udp_size = Some(record.class);
            break;
        }
    }
    Ok(RequestHead {
        id: header.id,
        flags: header.flags,
        qdcount: header.qdcount,
        edns_udp_size,
    })
}

/// Parses a query as libevent's server does (a reply -> Err(NotAQuery)).
pub fn parse_request(packet: &[u8]) -> Result<Request, WireError> {
    parse_request_with_edns(packet).map(|(request, _)| request)
}

/// [`parse_request`], and the UDP payload size of the first OPT record in the
/// additional section, if any (the raw class field; libevent answers with at most
/// max(that, 512) bytes over UDP).
///
/// The answer and authority records are checked and skipped, as are additional
/// records up to the first OPT one; what follows it is not read, as in libevent.
/// Record data must lie inside the packet (libevent does not check it for the last
/// record it skips). The question count is not trusted for allocation: a count
/// larger than the packet can hold fails as Truncated.
pub fn parse_request_with_edns(packet: &[u8]) -> Result<(Request, Option<u16>), WireError> {
    let mut name = Vec::new();
    // Each question read has taken at least 5 bytes of the packet, so a count larger
    // than the packet cannot make this grow past it.
    let mut questions = Vec::new();
    let head = scan_request(packet, &mut name, |question| {
        questions.push(Question {
            name: question.name.to_vec(),
            qtype: question.qtype,
            qclass: question.qclass,
        });
    })?;
    Ok((
        Request {
            id: head.id,
            flags: head.flags,
            questions,
        },
        head.edns_udp_size,
    ))
}

/// The section a record of a response goes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

/// The data of a record in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordData {
    /// Written as is (A, AAAA, TXT, ...; at most 65535 bytes).
    Bytes(Vec<u8>),
    /// A name, written compressed (CNAME, PTR, NS).
    Name(Vec<u8>),
}

/// A record of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub section: Section,
    pub name: Vec<u8>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RecordData,
}

/// The largest message: TCP's length prefix and libevent's 64 KiB buffer.
const MAX_MESSAGE_LEN: usize = 65535;

/// Writes a response with name compression: header (id, flags, counts), the
/// questions, then the records by section. If the message would exceed `max_len`
/// the records that do not fit are left out and TC is set (libevent's UDP rule).
///
/// Appended to `out` (the message starts at `out.len()` on entry). `flags` is
/// written as given (QR, opcode, AA, RD, rcode: the caller's choice) plus TC when
/// something was left out. Records keep their order within a section. The first
/// item that does not fit and everything after it are left out, whole, and the
/// counts say what was written; libevent instead cuts the message at `max_len`
/// bytes, leaving a partial record the counts still announce. `max_len` is capped
/// at 65535. A bad name or over-long data fails the whole call and leaves `out` as
/// it was.
pub fn build_response(
    out: &mut Vec<u8>,
    id: u16,
    flags: u16,
    questions: &[Question],
    records: &[Record],
    max_len: usize,
) -> Result<(), WireError> {
    build_response_with(
        out,
        id,
        flags,
        questions.iter().map(Question::as_ref),
        records,
        max_len,
    )
}

/// [`build_response`] with the questions borrowed (so a server need not copy them
/// out of its request first).
pub fn build_response_with<'a>(
    out: &mut Vec<u8>,
    id: u16,
    flags: u16,
    questions: impl IntoIterator<Item = QuestionRef<'a>>,
    records: &[Record],
    max_len: usize,
) -> Result<(), WireError> {
    let start = out.len();
    let result = write_response(out, start, id, flags, questions, records, max_len);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn write_response<'a>(
    out: &mut Vec<u8>,
    start: usize,
    id: u16,
    flags: u16,
    questions: impl IntoIterator<Item = QuestionRef<'a>>,
    records: &[Record],
    max_len: usize,
) -> Result<(), WireError> {
    let max_len = max_len.min(MAX_MESSAGE_LEN);
    let mut header = Header {
        id,
        flags,
        qdcount: 0,
        ancount: 0,
        nscount: 0,
        arcount: 0,
    };
    header.write(out);
    let mut compressor = Compressor::starting_at(start);
    let mut truncated = false;
    let fits = |out: &Vec<u8>| out.len() - start <= max_len;

    for question in questions {
        let mark = out.len();
        compressor.write_name(out, question.name)?;
        out.extend_from_slice(&question.qtype.to_be_bytes());
        out.extend_from_slice(&question.qclass.to_be_bytes());
        if !fits(out) {
            out.truncate(mark);
            truncated = true;
            break;
        }
        header.qdcount = header.qdcount.checked_add(1).ok_or(WireError::TooLarge)?;
    }

    let sections = [Section::Answer, Section::Authority, Section::Additional];
    'sections: for section in sections {
        if truncated {
            break;
        }
        for record in records.iter().filter(|record| record.section == section) {
            let mark = out.len();
            write_record(out, &mut compressor, record)?;
            if !fits(out) {
                out.truncate(mark);
                truncated = true;
                break 'sections;
            }
            let count = match section {
                Section::Answer => &mut header.ancount,
                Section::Authority => &mut header.nscount,
                Section::Additional => &mut header.arcount,
            };
            *count = count.checked_add(1).ok_or(WireError::TooLarge)?;
        }
    }

    if truncated {
        header.flags |= flags::TC;
    }
    out[start..start + HEADER_LEN].copy_from_slice(&header.to_bytes());
    Ok(())
}

fn write_record(
    out: &mut Vec<u8>,
    compressor: &mut Compressor,
    record: &Record,
) -> Result<(), WireError> {
    compressor.write_name(out, &record.name)?;
    out.extend_from_slice(&record.rtype.to_be_bytes());
    out.extend_from_slice(&record.class.to_be_bytes());
    out.extend_from_slice(&record.ttl.to_be_bytes());
    let length_at = out.len();
    out.extend_from_slice(&[0, 0]);
    match &record.data {
        RecordData::Bytes(bytes) => out.extend_from_slice(bytes),
        RecordData::Name(name) => compressor.write_name(out, name)?,
    }
    let data_len = u16::try_from(out.len() - length_at - 2).map_err(|_| WireError::TooLarge)?;
    out[length_at..length_at + 2].copy_from_slice(&data_len.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{TYPE_MX, TYPE_NS, TYPE_TXT};

    const RESPONSE: u16 = flags::QR | flags::RD | flags::RA;

    fn question(name: &[u8], qtype: u16) -> Question {
        Question {
            name: name.to_vec(),
            qtype,
            qclass: CLASS_IN,
        }
    }

    fn record(section: Section, name: &[u8], rtype: u16, ttl: u32, data: RecordData) -> Record {
        Record {
            section,
            name: name.to_vec(),
            rtype,
            class: CLASS_IN,
            ttl,
            data,
        }
    }

    fn a(name: &[u8], ttl: u32, addr: [u8; 4]) -> Record {
        record(
            Section::Answer,
            name,
            TYPE_A,
            ttl,
            RecordData::Bytes(addr.to_vec()),
        )
    }

    fn reply(id: u16, flags: u16, questions: &[Question], records: &[Record]) -> Vec<u8> {
        let mut out = Vec::new();
        build_response(&mut out, id, flags, questions, records, 65535).unwrap();
        out
    }

    fn expect(id: u16, name: &[u8], qtype: u16) -> Expected<'_> {
        Expected {
            id,
            name,
            qtype,
            case_sensitive: false,
        }
    }

    #[test]
    fn query_without_and_with_edns() {
        let mut out = vec![0xff];
        build_query(&mut out, 0x1234, b"www.example.com", TYPE_A, None).unwrap();
        assert_eq!(
            &out[1..],
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\
              \x03www\x07example\x03com\x00\x00\x01\x00\x01"
        );
        out.clear();
        build_query(&mut out, 7, b"example.com", TYPE_AAAA, Some(1232)).unwrap();
        let header = Header::parse(&out).unwrap();
        assert_eq!(
            (header.qdcount, header.arcount, header.flags),
            (1, 1, flags::RD)
        );
        assert_eq!(
            &out[out.len() - 11..],
            b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
        );
        // The server side reads it back with the OPT size.
        let (request, udp_size) = parse_request_with_edns(&out).unwrap();
        assert_eq!(udp_size, Some(1232));
        assert_eq!(request.questions, vec![question(b"example.com", TYPE_AAAA)]);
        assert_eq!(request.id, 7);
        // A bad name leaves the buffer alone.
        let before = out.clone();
        assert_eq!(
            build_query(&mut out, 1, b"a..b", TYPE_A, None),
            Err(WireError::EmptyLabel)
        );
        assert_eq!(out, before);
    }

    #[test]
    fn randomize_case_flips_chosen_letters() {
        let mut name = b"ab-9.Cd".to_vec();
        randomize_case(&mut name, &[0b0010_1111]);
        // bits 0,1,2,3,5 set: a, b flipped, '-' and '9' untouched, 'C' (bit 5) flipped.
        assert_eq!(name, b"AB-9.cd");
        let mut name = b"abcdefghij".to_vec();
        randomize_case(&mut name, &[0, 0b10]);
        assert_eq!(name, b"abcdefghiJ");
        // Too few random bytes: the rest is left alone.
        let mut name = b"abcdefghij".to_vec();
        randomize_case(&mut name, &[0xff]);
        assert_eq!(name, b"ABCDEFGHij");
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name_v4(Ipv4Addr::new(192, 0, 2, 10)).unwrap(),
            b"10.2.0.192.in-addr.arpa"
        );
        let name = reverse_name_v6("2001:db8::567:89ab".parse().unwrap()).unwrap();
        assert_eq!(
            name,
            b"b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa".to_vec()
        );
        let mut query = Vec::new();
        build_query(&mut query, 1, &name, TYPE_PTR, None).unwrap();
    }

    #[test]
    fn a_answers_with_minimum_ttl() {
        let packet = reply(
            9,
            RESPONSE,
            &[question(b"www.example.com", TYPE_A)],
            &[
                a(b"www.example.com", 300, [192, 0, 2, 1]),
                a(b"www.example.com", 60, [192, 0, 2, 2]),
                record(
                    Section::Answer,
                    b"www.example.com",
                    TYPE_AAAA,
                    5,
                    RecordData::Bytes(vec![0; 16]),
                ),
            ],
        );
        let parsed = parse_reply(&packet, &expect(9, b"www.example.com", TYPE_A)).unwrap();
        assert_eq!(
            parsed,
            Reply {
                id: 9,
                flags: RESPONSE,
                rcode: 0,
                truncated: false,
                records: Records::Ipv4(vec![
                    Ipv4Addr::new(192, 0, 2, 1),
                    Ipv4Addr::new(192, 0, 2, 2)
                ]),
                // The AAAA record's TTL does not count for an A query.
                ttl: 60,
                cname: None,
            }
        );
    }

    #[test]
    fn several_addresses_in_one_record() {
        let packet = reply(
            1,
            RESPONSE,
            &[question(b"x", TYPE_A)],
            &[record(
                Section::Answer,
                b"x",
                TYPE_A,
                10,
                RecordData::Bytes(vec![1, 2, 3, 4, 5, 6, 7, 8]),
            )],
        );
        let parsed = parse_reply(&packet, &expect(1, b"x", TYPE_A)).unwrap();
        assert_eq!(
            parsed.records,
            Records::Ipv4(vec![Ipv4Addr::new(1, 2, 3, 4), Ipv4Addr::new(5, 6, 7, 8)])
        );
        // A length that is not a multiple of 4 is malformed.
        let packet = reply(
            1,
            RESPONSE,
            &[question(b"x", TYPE_A)],
            &[record(
                Section::Answer,
                b"x",
                TYPE_A,
                10,
                RecordData::Bytes(vec![1; 5]),
            )],
        );
        assert_eq!(
            parse_reply(&packet, &expect(1, b"x", TYPE_A)),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn aaaa_answer_after_cname() {
        let addr: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let packet = reply(
            2,
            RESPONSE,
            &[question(b"alias.example", TYPE_AAAA)],
            &[
                record(
                    Section::Answer,
                    b"alias.example",
                    TYPE_CNAME,
                    30,
                    RecordData::Name(b"host.example".to_vec()),
                ),
                record(
                    Section::Answer,
                    b"host.example",
                    TYPE_CNAME,
                    30,
                    RecordData::Name(b"real.example".to_vec()),
                ),
                record(
                    Section::Answer,
                    b"real.example",
                    TYPE_AAAA,
                    120,
                    RecordData::Bytes(addr.octets().to_vec()),
                ),
            ],
        );
        let parsed = parse_reply(&packet, &expect(2, b"alias.example", TYPE_AAAA)).unwrap();
        assert_eq!(parsed.records, Records::Ipv6(vec![addr]));
        // The first CNAME, as libevent hands to getaddrinfo; CNAME TTLs do not count.
        assert_eq!(parsed.cname.as_deref(), Some(&b"host.example"[..]));
        assert_eq!(parsed.ttl, 120);
    }

    #[test]
    fn ptr_answer_takes_the_first() {
        let name = reverse_name_v4(Ipv4Addr::new(127, 0, 0, 1)).unwrap();
        let packet = reply(
            3,
            RESPONSE,
            &[question(&name, TYPE_PTR)],
            &[
                record(
                    Section::Answer,
                    &name,
                    TYPE_PTR,
                    50,
                    RecordData::Name(b"localhost".to_vec()),
                ),
                record(
                    Section::Answer,
                    &name,
                    TYPE_PTR,
                    10,
                    RecordData::Name(b"other".to_vec()),
                ),
            ],
        );
        let parsed = parse_reply(&packet, &expect(3, &name, TYPE_PTR)).unwrap();
        assert_eq!(parsed.records, Records::Ptr(b"localhost".to_vec()));
        assert_eq!(parsed.ttl, 50);
        // Records after the first PTR are not read, even broken ones.
        let mut broken = packet.clone();
        let cut = broken.len() - 3;
        broken.truncate(cut);
        assert_eq!(
            parse_reply(&broken, &expect(3, &name, TYPE_PTR)),
            Ok(parsed)
        );
    }

    #[test]
    fn other_types_are_skipped() {
        let packet = reply(
            4,
            RESPONSE,
            &[question(b"example.org", TYPE_A)],
            &[
                record(
                    Section::Answer,
                    b"example.org",
                    TYPE_TXT,
                    1,
                    RecordData::Bytes(b"\x02hi".to_vec()),
                ),
                record(
                    Section::Answer,
                    b"example.org",
                    TYPE_MX,
                    1,
                    RecordData::Bytes(b"\x00\x0a\x00".to_vec()),
                ),
                Record {
                    class: 3, // CHAOS: not an answer
                    ..a(b"example.org", 1, [1, 1, 1, 1])
                },
                a(b"example.org", 77, [10, 0, 0, 1]),
            ],
        );
        let parsed = parse_reply(&packet, &expect(4, b"example.org", TYPE_A)).unwrap();
        assert_eq!(
            parsed.records,
            Records::Ipv4(vec![Ipv4Addr::new(10, 0, 0, 1)])
        );
        assert_eq!(parsed.ttl, 77);
    }

    fn soa(name: &[u8], ttl: u32, minimum: u32) -> Record {
        // mname "ns" and rname "host" as plain labels, then five counters.
        let mut data = b"\x02ns\x00\x04host\x00".to_vec();
        for value in [2024, 3600, 600, 86400, minimum] {
            data.extend_from_slice(&u32::to_be_bytes(value));
        }
        record(
            Section::Authority,
            name,
            TYPE_SOA,
            ttl,
            RecordData::Bytes(data),
        )
    }

    #[test]
    fn negative_answers_take_the_soa_ttl() {
        let questions = [question(b"nope.example", TYPE_A)];
        let expected = expect(5, b"nope.example", TYPE_A);
        // NXDOMAIN: SOA TTL 900, minimum 300 -> 300.
        let packet = reply(5, RESPONSE | 3, &questions, &[soa(b"example", 900, 300)]);
        let parsed = parse_reply(&packet, &expected).unwrap();
        assert_eq!(
            (parsed.rcode, parsed.records, parsed.ttl),
            (3, Records::None, 300)
        );
        // NODATA (rcode 0, no answer): TTL 100 below minimum 300 -> 100.
        let packet = reply(5, RESPONSE, &questions, &[soa(b"example", 100, 300)]);
        let parsed = parse_reply(&packet, &expected).unwrap();
        assert_eq!(
            (parsed.rcode, parsed.records, parsed.ttl),
            (0, Records::None, 100)
        );
        // No SOA: TTL 0.
        let packet = reply(5, RESPONSE | 3, &questions, &[]);
        assert_eq!(parse_reply(&packet, &expected).unwrap().ttl, 0);
        // With an answer the authority section is not consulted.
        let packet = reply(
            5,
            RESPONSE,
            &questions,
            &[
                a(b"nope.example", 1000, [1, 2, 3, 4]),
                soa(b"example", 10, 10),
            ],
        );
        assert_eq!(parse_reply(&packet, &expected).unwrap().ttl, 1000);
        // A SOA shorter than its fields is malformed.
        let mut short = soa(b"example", 10, 10);
        if let RecordData::Bytes(data) = &mut short.data {
            data.truncate(data.len() - 1);
        }
        let packet = reply(5, RESPONSE | 3, &questions, &[short]);
        assert_eq!(parse_reply(&packet, &expected), Err(WireError::Truncated));
    }

    #[test]
    fn error_rcodes_and_tc_stop_at_the_header() {
        let questions = [question(b"x.example", TYPE_A)];
        let expected = expect(6, b"x.example", TYPE_A);
        for rcode in [1u16, 2, 4, 5, 6, 15] {
            let mut packet = reply(
                6,
                RESPONSE | rcode,
                &questions,
                &[a(b"x.example", 5, [1; 4])],
            );
            // Whatever follows the header does not matter.
            packet.truncate(HEADER_LEN);
            let parsed = parse_reply(&packet, &expected).unwrap();
            assert_eq!(
                (parsed.rcode, parsed.truncated, parsed.records, parsed.ttl),
                (rcode as u8, false, Records::None, 0)
            );
        }
        let mut packet = reply(6, RESPONSE | flags::TC, &questions, &[]);
        packet.truncate(HEADER_LEN + 3);
        let parsed = parse_reply(&packet, &expected).unwrap();
        assert!(parsed.truncated);
        assert_eq!(parsed.records, Records::None);
        // TC with NXDOMAIN also stops there.
        let packet = reply(6, RESPONSE | flags::TC | 3, &questions, &[]);
        assert!(
            parse_reply(&packet[..HEADER_LEN], &expected)
                .unwrap()
                .truncated
        );
    }

    #[test]
    fn wrong_id_or_not_a_reply() {
        let questions = [question(b"x.example", TYPE_A)];
        let packet = reply(6, RESPONSE, &questions, &[a(b"x.example", 5, [1; 4])]);
        assert_eq!(
            parse_reply(&packet, &expect(7, b"x.example", TYPE_A)),
            Err(WireError::NotAReply)
        );
        let query = reply(6, flags::RD, &questions, &[]);
        assert_eq!(
            parse_reply(&query, &expect(6, b"x.example", TYPE_A)),
            Err(WireError::NotAReply)
        );
        assert_eq!(
            parse_reply(&packet[..11], &expect(6, b"x.example", TYPE_A)),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn question_must_match() {
        let packet = reply(
            8,
            RESPONSE,
            &[question(b"WwW.ExAmple.com", TYPE_A)],
            &[a(b"www.example.com", 5, [1; 4])],
        );
        let exact = Expected {
            case_sensitive: true,
            ..expect(8, b"WwW.ExAmple.com", TYPE_A)
        };
        assert!(parse_reply(&packet, &exact).is_ok());
        let other_case = Expected {
            case_sensitive: true,
            ..expect(8, b"www.example.com", TYPE_A)
        };
        assert_eq!(
            parse_reply(&packet, &other_case),
            Err(WireError::WrongQuestion)
        );
        // Without randomized case, case does not matter.
        assert!(parse_reply(&packet, &expect(8, b"www.example.com", TYPE_A)).is_ok());
        assert_eq!(
            parse_reply(&packet, &expect(8, b"www.example.org", TYPE_A)),
            Err(WireError::WrongQuestion)
        );
        assert_eq!(
            parse_reply(&packet, &expect(8, b"www.example.com", TYPE_AAAA)),
            Err(WireError::WrongQuestion)
        );
        // No question at all.
        let packet = reply(8, RESPONSE, &[], &[a(b"www.example.com", 5, [1; 4])]);
        assert_eq!(
            parse_reply(&packet, &expect(8, b"www.example.com", TYPE_A)),
            Err(WireError::WrongQuestion)
        );
        // Any of several questions may match.
        let packet = reply(
            8,
            RESPONSE,
            &[question(b"a", TYPE_A), question(b"b", TYPE_A)],
            &[a(b"b", 5, [1; 4])],
        );
        assert!(parse_reply(&packet, &expect(8, b"b", TYPE_A)).is_ok());
    }

    #[test]
    fn counts_larger_than_the_packet() {
        let questions = [question(b"x.example", TYPE_A)];
        let expected = expect(6, b"x.example", TYPE_A);
        let good = reply(6, RESPONSE, &questions, &[a(b"x.example", 5, [1; 4])]);
        for (field, value) in [(4, 2u16), (6, 2), (6, 0xffff), (8, 2), (4, 0xffff)] {
            let mut packet = good.clone();
            packet[field..field + 2].copy_from_slice(&value.to_be_bytes());
            if field == 8 {
                // nscount is read only without an answer.
                packet[6..8].copy_from_slice(&0u16.to_be_bytes());
            }
            assert_eq!(
                parse_reply(&packet, &expected),
                Err(WireError::Truncated),
                "field {field}"
            );
        }
        // Every cut of the packet is truncated, never a success with less data.
        for cut in 0..good.len() {
            assert_eq!(
                parse_reply(&good[..cut], &expected),
                Err(WireError::Truncated),
                "cut at {cut}"
            );
        }
        // Record data longer than the packet.
        let mut packet = good.clone();
        let length_at = packet.len() - 6;
        packet[length_at..length_at + 2].copy_from_slice(&8u16.to_be_bytes());
        assert_eq!(parse_reply(&packet, &expected), Err(WireError::Truncated));
    }

    #[test]
    fn bad_names_in_replies() {
        let expected = expect(1, b"a", TYPE_A);
        // A question whose name is a pointer loop.
        let mut packet = reply(1, RESPONSE, &[question(b"a", TYPE_A)], &[]);
        packet.truncate(HEADER_LEN);
        packet.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
        assert_eq!(parse_reply(&packet, &expected), Err(WireError::BadPointer));
        // An answer owner that points forward.
        let mut packet = reply(1, RESPONSE, &[question(b"a", TYPE_A)], &[]);
        packet[7] = 1;
        packet
            .extend_from_slice(b"\xc0\x20\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04");
        assert_eq!(parse_reply(&packet, &expected), Err(WireError::BadPointer));
        // A CNAME target with a reserved label type.
        let mut packet = reply(1, RESPONSE, &[question(b"a", TYPE_A)], &[]);
        packet[7] = 1;
        packet.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x01\x00\x02\x41\x00");
        assert_eq!(
            parse_reply(&packet, &expected),
            Err(WireError::BadLabelType)
        );
    }

    #[test]
    fn parse_request_reads_questions() {
        let mut query = Vec::new();
        build_query(&mut query, 0x4242, b"Mixed.Case.example", TYPE_MX, None).unwrap();
        let request = parse_request(&query).unwrap();
        assert_eq!(
            request,
            Request {
                id: 0x4242,
                flags: flags::RD,
                questions: vec![question(b"Mixed.Case.example", TYPE_MX)],
            }
        );
        assert_eq!(parse_request_with_edns(&query).unwrap().1, None);
        let mut name = Vec::new();
        let mut seen = Vec::new();
        let head = scan_request(&query, &mut name, |q| {
            seen.push((q.name.to_vec(), q.qtype, q.qclass))
        })
        .unwrap();
        assert_eq!((head.id, head.flags, head.qdcount), (0x4242, flags::RD, 1));
        assert_eq!(
            seen,
            vec![(b"Mixed.Case.example".to_vec(), TYPE_MX, CLASS_IN)]
        );
        // A reply is not a query.
        let response = reply(1, RESPONSE, &[question(b"a", TYPE_A)], &[]);
        assert_eq!(parse_request(&response), Err(WireError::NotAQuery));
        // A question count far beyond the packet.
        let mut huge = query.clone();
        huge[4..6].copy_from_slice(&0xffffu16.to_be_bytes());
        assert_eq!(parse_request(&huge), Err(WireError::Truncated));
        for cut in 0..query.len() {
            assert_eq!(parse_request(&query[..cut]), Err(WireError::Truncated));
        }
    }

    #[test]
    fn parse_request_skips_records_until_opt() {
        // A query carrying an answer, an authority record, and additional records of
        // which the second is OPT; garbage after the OPT is not read.
        let mut packet = Vec::new();
        Header {
            id: 1,
            flags: flags::RD | flags::CD,
            qdcount: 1,
            ancount: 1,
            nscount: 1,
            arcount: 3,
        }
        .write(&mut packet);
        write_name(&mut packet, b"q.example").unwrap();
        packet.extend_from_slice(b"\x00\x01\x00\x01");
        for _ in 0..2 {
            packet.extend_from_slice(
                b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04",
            );
        }
        packet.extend_from_slice(b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x01\x00\x01\x00");
        packet.extend_from_slice(b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00");
        packet.extend_from_slice(b"\xff\xff");
        let (request, udp_size) = parse_request_with_edns(&packet).unwrap();
        assert_eq!(udp_size, Some(4096));
        assert_eq!(request.flags, flags::RD | flags::CD);
        assert_eq!(request.questions, vec![question(b"q.example", TYPE_A)]);
        // Without the OPT record and its successors, the last count is too large.
        let without_opt = &packet[..packet.len() - 13];
        assert_eq!(parse_request(without_opt), Err(WireError::Truncated));
    }

    #[test]
    fn response_compresses_names() {
        let questions = [question(b"www.example.com", TYPE_A)];
        let records = [
            record(
                Section::Answer,
                b"www.example.com",
                TYPE_CNAME,
                60,
                RecordData::Name(b"web.example.com".to_vec()),
            ),
            a(b"web.example.com", 60, [192, 0, 2, 7]),
            record(
                Section::Authority,
                b"example.com",
                TYPE_NS,
                60,
                RecordData::Name(b"ns.example.com".to_vec()),
            ),
            record(
                Section::Additional,
                b"ns.example.com",
                TYPE_A,
                60,
                RecordData::Bytes(vec![192, 0, 2, 53]),
            ),
        ];
        // Sections are ordered whatever the order of the slice.
        let shuffled = [
            records[3].clone(),
            records[2].clone(),
            records[0].clone(),
            records[1].clone(),
        ];
        let mut out = Vec::new();
        build_response(
            &mut out,
            0x99,
            RESPONSE | flags::AA,
            &questions,
            &shuffled,
            512,
        )
        .unwrap();
        let header = Header::parse(&out).unwrap();
        assert_eq!(
            header,
            Header {
                id: 0x99,
                flags: RESPONSE | flags::AA,
                qdcount: 1,
                ancount: 2,
                nscount: 1,
                arcount: 1,
            }
        );
        // 12 header + 17 + 4 question; CNAME: pointer owner (2) + 10 + "web" + ptr (6)
        assert_eq!(&out[33..35], b"\xc0\x0c");
        assert_eq!(&out[43..51], b"\x00\x06\x03web\xc0\x10");
        // Fully compressed, the message is much shorter than spelled out.
        assert!(out.len() < 120, "{} bytes", out.len());
        let parsed = parse_reply(&out, &expect(0x99, b"www.example.com", TYPE_A)).unwrap();
        assert_eq!(
            parsed.records,
            Records::Ipv4(vec![Ipv4Addr::new(192, 0, 2, 7)])
        );
        assert_eq!(parsed.cname.as_deref(), Some(&b"web.example.com"[..]));
        // The request side sees the same question back.
        let mut as_query = out.clone();
        as_query[2] &= !0x80;
        assert_eq!(
            parse_request(&as_query).unwrap().questions,
            questions.to_vec()
        );
    }

    #[test]
    fn response_truncates_whole_records() {
        let questions = [question(b"many.example", TYPE_A)];
        let records: Vec<Record> = (0..100u8)
            .map(|i| a(b"many.example", 60, [10, 0, 0, i]))
            .collect();
        let mut out = Vec::new();
        build_response(&mut out, 1, RESPONSE, &questions, &records, 512).unwrap();
        assert!(out.len() <= 512);
        let header = Header::parse(&out).unwrap();
        assert_ne!(header.flags & flags::TC, 0);
        // 12 + 18 question; each record 2 + 10 + 4 = 16 bytes: (512 - 30) / 16 = 30.
        assert_eq!((header.qdcount, header.ancount), (1, 30));
        assert_eq!(out.len(), 30 + 30 * 16);
        // Everything fits: no TC.
        out.clear();
        build_response(&mut out, 1, RESPONSE, &questions, &records[..3], 512).unwrap();
        let header = Header::parse(&out).unwrap();
        assert_eq!((header.flags & flags::TC, header.ancount), (0, 3));
        // Exactly at the limit fits.
        let exact = out.len();
        out.clear();
        build_response(&mut out, 1, RESPONSE, &questions, &records[..3], exact).unwrap();
        assert_eq!(Header::parse(&out).unwrap().ancount, 3);
        out.clear();
        build_response(&mut out, 1, RESPONSE, &questions, &records[..3], exact - 1).unwrap();
        assert_eq!(Header::parse(&out).unwrap().ancount, 2);
        // Not even the question fits.
        out.clear();
        build_response(&mut out, 1, RESPONSE, &questions, &records, 20).unwrap();
        let header = Header::parse(&out).unwrap();
        assert_eq!(
            (header.qdcount, header.ancount, out.len()),
            (0, 0, HEADER_LEN)
        );
        assert_ne!(header.flags & flags::TC, 0);
        // Once a record is left out the later sections are too.
        out.clear();
        let mut with_additional = records[..3].to_vec();
        with_additional.push(record(
            Section::Additional,
            b"",
            TYPE_OPT,
            0,
            RecordData::Bytes(Vec::new()),
        ));
        build_response(&mut out, 1, RESPONSE, &questions, &with_additional, exact).unwrap();
        let header = Header::parse(&out).unwrap();
        assert_eq!((header.ancount, header.arcount), (3, 0));
    }

    #[test]
    fn response_errors_leave_output_alone() {
        let mut out = b"prefix".to_vec();
        let bad = [a(b"bad..name", 1, [1; 4])];
        assert_eq!(
            build_response(&mut out, 1, RESPONSE, &[], &bad, 512),
            Err(WireError::EmptyLabel)
        );
        let huge = [record(
            Section::Answer,
            b"x",
            TYPE_TXT,
            1,
            RecordData::Bytes(vec![0; 70000]),
        )];
        assert_eq!(
            build_response(&mut out, 1, RESPONSE, &[], &huge, 1 << 20),
            Err(WireError::TooLarge)
        );
        assert_eq!(out, b"prefix");
        // Appending after a prefix: compression is relative to the message start.
        build_response(
            &mut out,
            1,
            RESPONSE,
            &[question(b"p.example", TYPE_A)],
            &[a(b"p.example", 1, [1; 4])],
            512,
        )
        .unwrap();
        let message = &out[6..];
        let parsed = parse_reply(message, &expect(1, b"p.example", TYPE_A)).unwrap();
        assert_eq!(
            parsed.records,
            Records::Ipv4(vec![Ipv4Addr::new(1, 1, 1, 1)])
        );
    }
}
