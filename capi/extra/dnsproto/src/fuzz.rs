//! Invariant checks over arbitrary bytes, for the fuzz targets (`fuzz/fuzz_targets/
//! dns_reply.rs`, `dns_request.rs`, `dns_resolv_conf.rs`, `dns_hosts.rs`) and the
//! corpus replay test. Each function panics when a parser breaks a promise: a name
//! longer than the wire allows, an answer of a kind that was not asked for, counts
//! that disagree with the message, or something parsed that does not survive being
//! written out and read again.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::hosts::{self, Entry};
use crate::message::{
    build_query, build_response, parse_reply, parse_request, parse_request_with_edns,
    randomize_case, Expected, Question, Record, RecordData, Records, Reply, Section,
};
use crate::resolv_conf::{self, parse_nameserver, Directive};
use crate::wire::{
    flags, read_name, write_name, Compressor, Header, WireError, CLASS_IN, HEADER_LEN,
    MAX_NAME_WIRE_LEN, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_PTR,
};

/// The longest dotted name a wire name of 255 bytes gives.
const MAX_NAME_TEXT_LEN: usize = MAX_NAME_WIRE_LEN - 2;

/// `data` as a reply: to the question it carries first (with and without exact
/// case), and to each query type; names read at every offset.
pub fn reply(data: &[u8]) {
    check_names_everywhere(data);
    let Ok(header) = Header::parse(data) else {
        return;
    };
    let mut first_name = Vec::new();
    let first_qtype = read_name(data, HEADER_LEN, &mut first_name)
        .ok()
        .and_then(|end| data.get(end..end + 2))
        .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]));
    let qtypes = [TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_CNAME];
    for qtype in first_qtype.into_iter().chain(qtypes) {
        for case_sensitive in [true, false] {
            let expected = Expected {
                id: header.id,
                name: &first_name,
                qtype,
                case_sensitive,
            };
            check_reply(data, &header, &expected);
        }
    }
    // Another id is never accepted.
    let other = Expected {
        id: header.id.wrapping_add(1),
        name: &first_name,
        qtype: TYPE_A,
        case_sensitive: false,
    };
    assert_eq!(parse_reply(data, &other), Err(WireError::NotAReply));
}

/// `data` as a query a server reads, and the response it gets, and the reply a
/// resolver would read from that response.
pub fn request(data: &[u8]) {
    let Ok((request, udp_size)) = parse_request_with_edns(data) else {
        if let Ok(header) = Header::parse(data) {
            if header.flags & flags::QR == 0 {
                assert!(parse_request(data).is_err());
            }
        }
        return;
    };
    assert_eq!(parse_request(data).as_ref(), Ok(&request));
    let header = Header::parse(data).expect("parsed above");
    assert_eq!(header.flags & flags::QR, 0);
    assert_eq!((request.id, request.flags), (header.id, header.flags));
    assert_eq!(request.questions.len(), usize::from(header.qdcount));
    if udp_size.is_some() {
        assert!(header.arcount > 0);
    }
    for question in &request.questions {
        assert!(question.name.len() <= MAX_NAME_TEXT_LEN);
    }

    // Echoed back without records, the questions read the same.
    let response_flags = flags::QR | (request.flags & (flags::RD | flags::OPCODE_MASK));
    let mut response = Vec::new();
    if build_response(
        &mut response,
        request.id,
        response_flags,
        &request.questions,
        &[],
        65535,
    )
    .is_ok()
        && request
            .questions
            .iter()
            .all(|question| reads_back(&question.name))
    {
        let mut as_query = response.clone();
        as_query[2] &= !0x80;
        let again = parse_request(&as_query).expect("an echoed request parses again");
        assert_eq!(again.questions, request.questions);
        check_response_shape(&response, 65535);
    }

    // With answers made from the data, under a size limit taken from it.
    let records = records_from(data, &request.questions);
    let max_len = data.get(2).map_or(512, |&byte| usize::from(byte) * 8);
    let mut response = Vec::new();
    if build_response(
        &mut response,
        request.id,
        response_flags,
        &request.questions,
        &records,
        max_len,
    )
    .is_ok()
    {
        check_response_shape(&response, max_len);
        if let Some(question) = request.questions.first() {
            let expected = Expected {
                id: request.id,
                name: &question.name,
                qtype: question.qtype,
                case_sensitive: true,
            };
            let header = Header::parse(&response).expect("a header");
            check_reply(&response, &header, &expected);
        }
    }

    // The names as a resolver would send them.
    for question in &request.questions {
        let mut name = question.name.clone();
        randomize_case(&mut name, data);
        assert!(name.eq_ignore_ascii_case(&question.name));
        let mut query = Vec::new();
        if build_query(&mut query, request.id, &name, question.qtype, udp_size).is_ok() {
            let (parsed, size) = parse_request_with_edns(&query).expect("a query parses");
            assert_eq!(size, udp_size);
            assert_eq!(parsed.questions.len(), 1);
            if reads_back(&name) {
                assert_eq!(parsed.questions[0].name, name);
            }
        }
    }
}

/// `data` as a resolv.conf text: directives, written out again, read the same.
pub fn resolv_conf(data: &[u8]) {
    let directives = resolv_conf::parse(data);
    let mut text = Vec::new();
    for directive in &directives {
        match directive {
            Directive::Nameserver(address) => {
                check_resolv_conf_token(address);
                if let Some(addr) = parse_nameserver(address) {
                    let written = addr.to_string();
                    assert_eq!(parse_nameserver(written.as_bytes()), Some(addr));
                }
                text.extend_from_slice(b"nameserver ");
                text.extend_from_slice(address);
            }
            Directive::Domain(domain) => {
                check_resolv_conf_token(domain);
                text.extend_from_slice(b"domain\t");
                text.extend_from_slice(domain);
            }
            Directive::Search(domains) => {
                text.extend_from_slice(b"search");
                for domain in domains {
                    check_resolv_conf_token(domain);
                    text.push(b' ');
                    text.extend_from_slice(domain);
                }
            }
            Directive::Option { name, value } => {
                assert!(!name.contains(&b':'));
                text.extend_from_slice(b"options ");
                text.extend_from_slice(name);
                if !value.is_empty() || name.is_empty() {
                    text.push(b':');
                    text.extend_from_slice(value);
                }
                let token_len = name.len() + value.len() + 1;
                assert!(token_len <= data.len() + 1);
            }
        }
        text.extend_from_slice(b"\r\n");
    }
    assert_eq!(
        resolv_conf::parse(&text),
        directives,
        "written out and read again"
    );
    parse_nameserver(data);
}

/// `data` as a hosts file: entries, written out again, read the same.
pub fn hosts(data: &[u8]) {
    let entries = hosts::parse(data);
    let mut text = Vec::new();
    for Entry { addr, names } in &entries {
        assert!(!names.is_empty());
        text.extend_from_slice(addr.to_string().as_bytes());
        for name in names {
            check_token(name);
            assert!(!name.contains(&b'#'));
            text.push(b'\t');
            text.extend_from_slice(name);
        }
        text.push(b'\n');
    }
    assert_eq!(hosts::parse(&text), entries, "written out and read again");
}

/// Whether a name read from the wire, once written, reads back as the same text. A
/// label may hold any byte, dots included; writing splits the text at dots again,
/// which gives the same text back unless it ends in a dot (a last label that ends
/// in one, or is one), which is taken as the root's. Names that would have an empty
/// label fail to write and are skipped by the callers anyway.
fn reads_back(name: &[u8]) -> bool {
    !name.ends_with(b".")
}

/// A token of a parsed file: not empty, no blank, newline or NUL inside.
fn check_token(token: &[u8]) {
    assert!(!token.is_empty());
    assert!(!token
        .iter()
        .any(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | 0)));
}

/// A token of a resolv.conf directive: also not a comment, which starts with `#` or
/// `;` there (a hosts file knows only `#`).
fn check_resolv_conf_token(token: &[u8]) {
    check_token(token);
    assert!(!matches!(token[0], b'#' | b';'));
}

/// A name read at any offset ends after where it starts, inside the packet, is no
/// longer than the wire allows, and (when it has no empty or over-long label once
/// split at dots) writes out to a name that reads back the same.
fn check_names_everywhere(data: &[u8]) {
    let mut name = Vec::new();
    let mut written = Vec::new();
    let mut again = Vec::new();
    for at in 0..data.len().min(600) {
        match read_name(data, at, &mut name) {
            Ok(end) => {
                assert!(end > at && end <= data.len());
                assert!(name.len() <= MAX_NAME_TEXT_LEN);
                written.clear();
                if reads_back(&name) && write_name(&mut written, &name).is_ok() {
                    assert!(written.len() <= MAX_NAME_WIRE_LEN);
                    assert_eq!(read_name(&written, 0, &mut again), Ok(written.len()));
                    assert_eq!(again, name);
                }
            }
            Err(_) => assert!(name.is_empty()),
        }
    }
}

/// Checks what parse_reply answers for `data` against the header and `expected`.
fn check_reply(data: &[u8], header: &Header, expected: &Expected<'_>) {
    let result = parse_reply(data, expected);
    if expected.case_sensitive {
        // Exact case is the stricter test: what passes it passes the other.
        let loose = Expected {
            case_sensitive: false,
            ..*expected
        };
        if let Ok(reply) = &result {
            assert_eq!(parse_reply(data, &loose).as_ref(), Ok(reply));
        }
    }
    let reply = match result {
        Ok(reply) => reply,
        Err(WireError::NotAReply) => {
            assert!(header.flags & flags::QR == 0 || header.id != expected.id);
            return;
        }
        Err(_) => return,
    };
    assert_eq!((reply.id, reply.flags), (header.id, header.flags));
    assert_eq!(u16::from(reply.rcode), header.flags & flags::RCODE_MASK);
    assert_eq!(reply.truncated, header.flags & flags::TC != 0);
    let error_bits = header.flags & (flags::RCODE_MASK | flags::TC);
    if error_bits != 0 && error_bits != 3 {
        assert_eq!(reply.records, Records::None);
        assert_eq!((reply.ttl, reply.cname.is_none()), (0, true));
        return;
    }
    match &reply.records {
        Records::None => {}
        Records::Ipv4(addrs) => {
            assert_eq!(expected.qtype, TYPE_A);
            assert!(addrs.len() * 4 <= data.len());
        }
        Records::Ipv6(addrs) => {
            assert_eq!(expected.qtype, TYPE_AAAA);
            assert!(addrs.len() * 16 <= data.len());
        }
        Records::Ptr(name) => {
            assert_eq!(expected.qtype, TYPE_PTR);
            assert!(name.len() <= MAX_NAME_TEXT_LEN);
        }
    }
    if let Some(cname) = &reply.cname {
        assert!(cname.len() <= MAX_NAME_TEXT_LEN);
    }
    check_reply_round_trip(&reply, expected);
}

/// A reply with answers, written out as a server would and read again, gives the
/// same answers, CNAME and TTL.
fn check_reply_round_trip(reply: &Reply, expected: &Expected<'_>) {
    if reply.records == Records::None
        || !reads_back(expected.name)
        || reply
            .cname
            .as_deref()
            .is_some_and(|cname| !reads_back(cname))
        || matches!(&reply.records, Records::Ptr(name) if !reads_back(name))
    {
        return;
    }
    let owner = expected.name.to_vec();
    let answer = |rtype, data| Record {
        section: Section::Answer,
        name: owner.clone(),
        rtype,
        class: CLASS_IN,
        ttl: reply.ttl,
        data,
    };
    let mut records = Vec::new();
    if let Some(cname) = &reply.cname {
        records.push(answer(TYPE_CNAME, RecordData::Name(cname.clone())));
    }
    match &reply.records {
        Records::None => {}
        // An address record with no data counts as an answer with no addresses.
        Records::Ipv4(addrs) if addrs.is_empty() => {
            records.push(answer(TYPE_A, RecordData::Bytes(Vec::new())))
        }
        Records::Ipv6(addrs) if addrs.is_empty() => {
            records.push(answer(TYPE_AAAA, RecordData::Bytes(Vec::new())))
        }
        Records::Ipv4(addrs) => records.extend(
            addrs
                .iter()
                .map(|addr| answer(TYPE_A, RecordData::Bytes(addr.octets().to_vec()))),
        ),
        Records::Ipv6(addrs) => records.extend(
            addrs
                .iter()
                .map(|addr| answer(TYPE_AAAA, RecordData::Bytes(addr.octets().to_vec()))),
        ),
        Records::Ptr(name) => records.push(answer(TYPE_PTR, RecordData::Name(name.clone()))),
    }
    let question = Question {
        name: owner.clone(),
        qtype: expected.qtype,
        qclass: CLASS_IN,
    };
    let mut packet = Vec::new();
    let written = build_response(
        &mut packet,
        reply.id,
        flags::QR | (reply.flags & flags::RD),
        &[question],
        &records,
        65535,
    );
    if written.is_err() || Header::parse(&packet).expect("a header").flags & flags::TC != 0 {
        // A name that does not write (a label with a dot in it, say) or more
        // addresses than one message holds once each has its own record.
        return;
    }
    let again = parse_reply(&packet, expected).expect("a written reply parses");
    assert_eq!(again.records, reply.records);
    assert_eq!(again.cname, reply.cname);
    // A TTL of 0xffffffff stands for "none" and reads back as 0.
    let ttl = if reply.ttl == u32::MAX { 0 } else { reply.ttl };
    assert_eq!(again.ttl, ttl);
}

/// Records for a response to `questions`, their kinds and contents taken from
/// `data`, in every section.
fn records_from(data: &[u8], questions: &[Question]) -> Vec<Record> {
    let owner = |index: usize| {
        questions
            .get(index % questions.len().max(1))
            .map_or_else(|| b"example.com".to_vec(), |question| question.name.clone())
    };
    data.chunks(6)
        .take(64)
        .enumerate()
        .map(|(index, chunk)| {
            let section = match chunk[0] % 3 {
                0 => Section::Answer,
                1 => Section::Authority,
                _ => Section::Additional,
            };
            let (rtype, data) = match chunk.get(1).map_or(0, |byte| byte % 4) {
                0 => {
                    let mut octets = [0; 4];
                    octets[..chunk.len().min(4)].copy_from_slice(&chunk[..chunk.len().min(4)]);
                    (
                        TYPE_A,
                        RecordData::Bytes(Ipv4Addr::from(octets).octets().to_vec()),
                    )
                }
                1 => (
                    TYPE_AAAA,
                    RecordData::Bytes(Ipv6Addr::from(u128::from(chunk[0])).octets().to_vec()),
                ),
                2 => (TYPE_CNAME, RecordData::Name(owner(index + 1))),
                _ => (16, RecordData::Bytes(chunk.to_vec())),
            };
            Record {
                section,
                name: owner(index),
                rtype,
                class: CLASS_IN,
                ttl: u32::from(chunk[0]) * 60,
                data,
            }
        })
        .collect()
}

/// A response fits `max_len` (when that can hold a header), its counts match what
/// is in it, every name in it reads, and nothing trails the last record.
fn check_response_shape(response: &[u8], max_len: usize) {
    if max_len >= HEADER_LEN {
        assert!(response.len() <= max_len);
    }
    let header = Header::parse(response).expect("a header");
    let mut name = Vec::new();
    let mut at = HEADER_LEN;
    for _ in 0..header.qdcount {
        at = read_name(response, at, &mut name).expect("question name") + 4;
    }
    let records = u32::from(header.ancount) + u32::from(header.nscount) + u32::from(header.arcount);
    for _ in 0..records {
        at = read_name(response, at, &mut name).expect("owner name");
        let rtype = u16::from_be_bytes([response[at], response[at + 1]]);
        let length = usize::from(u16::from_be_bytes([response[at + 8], response[at + 9]]));
        at += 10;
        if rtype == TYPE_CNAME {
            assert_eq!(read_name(response, at, &mut name), Ok(at + length));
        }
        at += length;
    }
    assert_eq!(at, response.len());
    // Compression never changes a name: writing the same names through a fresh
    // compressor reads back the same.
    let mut out = vec![0; HEADER_LEN];
    let mut compressor = Compressor::new();
    let mut at = HEADER_LEN;
    for _ in 0..header.qdcount {
        at = read_name(response, at, &mut name).expect("question name") + 4;
        let start = out.len();
        compressor
            .write_name(&mut out, &name)
            .expect("a name read writes");
        let mut again = Vec::new();
        read_name(&out, start, &mut again).expect("a compressed name reads");
        assert_eq!(again, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_accept_ordinary_input() {
        let mut query = Vec::new();
        build_query(&mut query, 7, b"www.example.com", TYPE_A, Some(1232)).unwrap();
        request(&query);
        reply(&query);
        resolv_conf(b"nameserver 1.2.3.4\nsearch a b\noptions ndots:2 rotate :\n");
        hosts(b"127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
        for length in 0..query.len() {
            request(&query[..length]);
            reply(&query[..length]);
        }
    }
}
