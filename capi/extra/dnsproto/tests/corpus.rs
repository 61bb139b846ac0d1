//! Replays the fuzz seed corpora (fuzz/corpus/dns_reply, dns_request,
//! dns_resolv_conf, dns_hosts) through the same checks the fuzz targets run, so every
//! seed, and every input a fuzzing run added there, is checked by `cargo test`.
//!
//! The binary seeds are written by the ignored test `write_seeds`:
//! `cargo test -p evrs-dns-proto --test corpus -- --ignored write_seeds`.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use evrs_dns_proto::message::{
    build_query, build_response, reverse_name_v4, reverse_name_v6, Question, Record, RecordData,
    Section,
};
use evrs_dns_proto::wire::{
    flags, Header, CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_MX, TYPE_NS, TYPE_OPT, TYPE_PTR,
    TYPE_SOA, TYPE_TXT,
};

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fuzz/corpus")
        .join(name)
}

/// Runs `check` over every file of the corpus directory `name`, naming the file that
/// failed.
fn replay(name: &str, check: fn(&[u8])) {
    let dir = corpus_dir(name);
    let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        if !path.is_file() {
            continue;
        }
        let data = fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("check failed on {}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed >= 10, "only {replayed} seeds in {}", dir.display());
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn dns_reply_corpus() {
    replay("dns_reply", evrs_dns_proto::fuzz::reply);
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn dns_request_corpus() {
    replay("dns_request", evrs_dns_proto::fuzz::request);
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn dns_resolv_conf_corpus() {
    replay("dns_resolv_conf", evrs_dns_proto::fuzz::resolv_conf);
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn dns_hosts_corpus() {
    replay("dns_hosts", evrs_dns_proto::fuzz::hosts);
}

const RESPONSE: u16 = flags::QR | flags::RD | flags::RA;

fn question(name: &str, qtype: u16) -> Question {
    Question {
        name: name.as_bytes().to_vec(),
        qtype,
        qclass: CLASS_IN,
    }
}

fn record(section: Section, name: &str, rtype: u16, ttl: u32, data: RecordData) -> Record {
    Record {
        section,
        name: name.as_bytes().to_vec(),
        rtype,
        class: CLASS_IN,
        ttl,
        data,
    }
}

fn answer(name: &str, rtype: u16, ttl: u32, data: RecordData) -> Record {
    record(Section::Answer, name, rtype, ttl, data)
}

fn bytes(data: &[u8]) -> RecordData {
    RecordData::Bytes(data.to_vec())
}

fn name(text: &str) -> RecordData {
    RecordData::Name(text.as_bytes().to_vec())
}

fn soa(zone: &str, ttl: u32, minimum: u32) -> Record {
    let mut data = b"\x03ns1\x07example\x00\x0ahostmaster\x07example\x00".to_vec();
    for value in [2024120401u32, 7200, 3600, 1209600, minimum] {
        data.extend_from_slice(&value.to_be_bytes());
    }
    record(
        Section::Authority,
        zone,
        TYPE_SOA,
        ttl,
        RecordData::Bytes(data),
    )
}

fn response(id: u16, flags: u16, questions: &[Question], records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    build_response(&mut out, id, flags, questions, records, 65535).expect("seed response");
    out
}

fn query(id: u16, name: &str, qtype: u16, edns: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    build_query(&mut out, id, name.as_bytes(), qtype, edns).expect("seed query");
    out
}

/// Replies a resolver may read: answers of each kind, compressed; negative answers;
/// errors; truncated and malformed packets.
fn reply_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let www = [question("www.example.com", TYPE_A)];
    let a_answer = response(
        0x1a2b,
        RESPONSE,
        &www,
        &[
            answer("www.example.com", TYPE_A, 300, bytes(&[93, 184, 216, 34])),
            answer("www.example.com", TYPE_A, 60, bytes(&[93, 184, 216, 35])),
        ],
    );
    let mut seeds = vec![
        ("a_two_answers", a_answer.clone()),
        (
            "aaaa_after_cname_chain",
            response(
                7,
                RESPONSE,
                &[question("Alias.Example.org", TYPE_AAAA)],
                &[
                    answer("Alias.Example.org", TYPE_CNAME, 30, name("cdn.example.net")),
                    answer(
                        "cdn.example.net",
                        TYPE_CNAME,
                        30,
                        name("edge.cdn.example.net"),
                    ),
                    answer(
                        "edge.cdn.example.net",
                        TYPE_AAAA,
                        120,
                        bytes(
                            &"2001:db8::1"
                                .parse::<std::net::Ipv6Addr>()
                                .unwrap()
                                .octets(),
                        ),
                    ),
                    record(
                        Section::Authority,
                        "example.net",
                        TYPE_NS,
                        3600,
                        name("ns1.example.net"),
                    ),
                    record(
                        Section::Additional,
                        "ns1.example.net",
                        TYPE_A,
                        3600,
                        bytes(&[192, 0, 2, 53]),
                    ),
                    record(Section::Additional, "", TYPE_OPT, 0, bytes(&[])),
                ],
            ),
        ),
        (
            "ptr_v4",
            response(
                9,
                RESPONSE | flags::AA,
                &[question(
                    std::str::from_utf8(&reverse_name_v4(Ipv4Addr::new(192, 0, 2, 1)).unwrap())
                        .unwrap(),
                    TYPE_PTR,
                )],
                &[answer(
                    "1.2.0.192.in-addr.arpa",
                    TYPE_PTR,
                    86400,
                    name("host.example.com"),
                )],
            ),
        ),
        (
            "ptr_v6",
            response(
                10,
                RESPONSE,
                &[question(
                    std::str::from_utf8(&reverse_name_v6("2001:db8::1".parse().unwrap()).unwrap())
                        .unwrap(),
                    TYPE_PTR,
                )],
                &[],
            ),
        ),
        (
            "nxdomain_with_soa",
            response(
                11,
                RESPONSE | 3,
                &[question("nope.example", TYPE_A)],
                &[soa("example", 900, 300)],
            ),
        ),
        (
            "nodata_with_soa",
            response(
                12,
                RESPONSE,
                &[question("mx.example", TYPE_AAAA)],
                &[soa("example", 60, 3600)],
            ),
        ),
        (
            "servfail",
            response(13, RESPONSE | 2, &[question("broken.example", TYPE_A)], &[]),
        ),
        ("refused_header_only", response(14, RESPONSE | 5, &[], &[])),
        (
            "other_types_skipped",
            response(
                15,
                RESPONSE,
                &[question("example.org", TYPE_A)],
                &[
                    answer("example.org", TYPE_TXT, 5, bytes(b"\x0bhello world")),
                    answer(
                        "example.org",
                        TYPE_MX,
                        5,
                        bytes(b"\x00\x0a\x04mail\xc0\x0c"),
                    ),
                    answer("example.org", TYPE_A, 5, bytes(&[10, 0, 0, 1, 10, 0, 0, 2])),
                ],
            ),
        ),
        (
            "query_not_reply",
            query(16, "www.example.com", TYPE_A, Some(1232)),
        ),
    ];
    // Many answers, then cut by a 512-byte limit with TC set.
    let many: Vec<Record> = (0..60u8)
        .map(|index| answer("many.example", TYPE_A, 60, bytes(&[10, 1, 0, index])))
        .collect();
    let mut truncated = Vec::new();
    build_response(
        &mut truncated,
        17,
        RESPONSE,
        &[question("many.example", TYPE_A)],
        &many,
        512,
    )
    .unwrap();
    seeds.push(("tc_set_at_512", truncated));
    // Cut in the middle of the second answer.
    seeds.push(("cut_mid_record", a_answer[..a_answer.len() - 6].to_vec()));
    // A question name that is a pointer to itself.
    let mut looping = a_answer[..HEADER_END].to_vec();
    looping.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
    seeds.push(("pointer_loop", looping));
    // An answer whose owner points forward.
    let mut forward = a_answer.clone();
    let owner = HEADER_END + 17 + 4;
    forward[owner..owner + 2].copy_from_slice(&[0xc0, 0xff]);
    seeds.push(("forward_pointer", forward));
    // An answer count far beyond the packet.
    let mut counts = a_answer.clone();
    counts[6..8].copy_from_slice(&[0xff, 0xff]);
    seeds.push(("count_too_large", counts));
    // A label length with the reserved 01 bits.
    let mut reserved = a_answer.clone();
    reserved[HEADER_END] = 0x43;
    seeds.push(("reserved_label_type", reserved));
    seeds
}

const HEADER_END: usize = 12;

/// A name of 253 characters, 255 bytes on the wire.
fn longest_name() -> String {
    let labels = [
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61),
    ];
    labels.join(".")
}

/// Queries a server may read.
fn request_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut two_questions = Vec::new();
    Header {
        id: 0x77,
        flags: flags::RD | flags::CD,
        qdcount: 2,
        ancount: 0,
        nscount: 0,
        arcount: 2,
    }
    .write(&mut two_questions);
    two_questions.extend_from_slice(b"\x04host\x07example\x00\x00\x01\x00\x01");
    two_questions.extend_from_slice(b"\xc0\x0c\x00\x1c\x00\x01");
    // A TXT record in the additional section, then OPT with a 4096-byte size.
    two_questions.extend_from_slice(b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x00\x00\x02\x01x");
    two_questions.extend_from_slice(b"\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00");
    let mut iquery = query(3, "example.com", TYPE_A, None);
    iquery[2] |= 0x08; // opcode 1
    let mut huge_count = query(4, "example.com", TYPE_A, None);
    huge_count[4..6].copy_from_slice(&[0xff, 0xff]);
    vec![
        ("a_plain", query(1, "www.example.com", TYPE_A, None)),
        (
            "aaaa_edns",
            query(2, "WwW.ExAmPlE.CoM", TYPE_AAAA, Some(1232)),
        ),
        ("ptr_v4", query(5, "4.3.2.1.in-addr.arpa", TYPE_PTR, None)),
        (
            "ptr_v6",
            query(
                6,
                std::str::from_utf8(&reverse_name_v6("::1".parse().unwrap()).unwrap()).unwrap(),
                TYPE_PTR,
                Some(4096),
            ),
        ),
        ("root_ns", query(7, "", TYPE_NS, None)),
        ("mx_longest_name", query(8, &longest_name(), TYPE_MX, None)),
        ("two_questions_opt", two_questions),
        ("opcode_iquery", iquery),
        ("count_too_large", huge_count),
        (
            "reply_not_query",
            response(9, RESPONSE, &[question("x.example", TYPE_A)], &[]),
        ),
        ("header_only", query(10, "x", TYPE_A, None)[..12].to_vec()),
    ]
}

fn resolv_conf_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let text = |text: &str| text.as_bytes().to_vec();
    vec![
        ("debian", text("# Generated by resolvconf\ndomain example.com\nsearch example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n")),
        ("systemd_stub", text("# This is /run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n")),
        ("ipv6_ports", text("nameserver 2001:db8::53\nnameserver [::1]:5353\nnameserver 192.0.2.1:53\nnameserver [fe80::1%2]\n")),
        ("options", text("options ndots:2 timeout:1.5 attempts:3 rotate max-timeouts:5 edns-udp-size:1232 randomize-case:0 bind-to:0.0.0.0 initial-probe-timeout:2 getaddrinfo-allow-skew:0.5\n")),
        ("many_search", text("search a.example b.example c.example d.example e.example f.example\tg.example\n")),
        ("comments_and_blanks", text("; semicolon comment\n\n   \n#nameserver 10.0.0.1\nnameserver 10.0.0.2 # trailing\n\tdomain\tlan\n")),
        ("crlf", text("nameserver 10.0.0.3\r\nsearch lan corp\r\noptions ndots:1\r\n")),
        ("unknown_lines", text("sortlist 130.155.160.0/255.255.240.0\nlookup file bind\nNameserver 10.0.0.4\nnameserver\ndomain\n")),
        ("no_final_newline", text("nameserver 10.0.0.5")),
        ("nul_inside", b"nameserver 10.0.0.6\n\0nameserver 10.0.0.7\n".to_vec()),
        ("bad_addresses", text("nameserver 1.2.3\nnameserver 1.2.3.4:0\nnameserver [::1\nnameserver fe80::1%eth0\n")),
    ]
}

fn hosts_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let text = |text: &str| text.as_bytes().to_vec();
    vec![
        ("debian", text("127.0.0.1\tlocalhost\n127.0.1.1\tmyhost.example\tmyhost\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n")),
        ("comments_mid_line", text("192.0.2.10 web.example www # the web server\n192.0.2.11 mail#x\n192.0.2.12 #none\n")),
        ("bad_addresses", text("300.1.1.1 a\n1.2.3 b\n1.2.3.4:80 c\nexample.com d\nfe80::1%eth0 e\n[::1 f\n10.0.0.1 good\n")),
        ("brackets", text("[2001:db8::5] bracketed.example\n[::ffff:192.0.2.1] mapped\n")),
        ("tabs_and_crlf", text("\t10.0.0.2\t\tindented  \r\n10.0.0.3 crlf\r\n")),
        ("address_only", text("10.0.0.4\n10.0.0.5   \n")),
        ("many_aliases", text("10.1.1.1 a b c d e f g h i j k l m n o p q r s t u v w x y z\n")),
        ("no_final_newline", text("10.0.0.6 last")),
        ("nul_inside", b"10.0.0.7 a\0\n10.0.0.8 b\n".to_vec()),
        ("empty", Vec::new()),
        ("windows", text("# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n")),
    ]
}

#[test]
#[ignore = "writes the seed files; run by hand"]
fn write_seeds() {
    for (target, seeds) in [
        ("dns_reply", reply_seeds()),
        ("dns_request", request_seeds()),
        ("dns_resolv_conf", resolv_conf_seeds()),
        ("dns_hosts", hosts_seeds()),
    ] {
        let dir = corpus_dir(target);
        fs::create_dir_all(&dir).expect("corpus directory");
        for (file, data) in seeds {
            fs::write(dir.join(file), data).expect("seed file");
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "reads files; slow under Miri")]
fn seeds_pass_the_checks() {
    for (name, data) in reply_seeds() {
        assert!(
            std::panic::catch_unwind(|| evrs_dns_proto::fuzz::reply(&data)).is_ok(),
            "{name}"
        );
    }
    for (name, data) in request_seeds() {
        assert!(
            std::panic::catch_unwind(|| evrs_dns_proto::fuzz::request(&data)).is_ok(),
            "{name}"
        );
    }
}
