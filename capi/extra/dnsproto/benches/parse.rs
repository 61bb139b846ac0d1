//! Reply parsing (a CNAME chain with several addresses, and a PTR answer) and query
//! building, as a resolver does per lookup.
//! `cargo bench -p evrs-dns-proto --bench parse`

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evrs_dns_proto::message::{
    build_query, build_response, build_response_with, parse_reply, randomize_case, reverse_name_v4,
    scan_request, Expected, Question, QuestionRef, Record, RecordData, Section,
};
use evrs_dns_proto::wire::{flags, CLASS_IN, TYPE_A, TYPE_CNAME, TYPE_NS, TYPE_PTR};

fn record(section: Section, name: &[u8], rtype: u16, data: RecordData) -> Record {
    Record {
        section,
        name: name.to_vec(),
        rtype,
        class: CLASS_IN,
        ttl: 300,
        data,
    }
}

/// A typical CDN answer: one CNAME, four addresses, two NS records with glue.
fn cdn_reply() -> Vec<u8> {
    let question = Question {
        name: b"www.example.com".to_vec(),
        qtype: TYPE_A,
        qclass: CLASS_IN,
    };
    let mut records = vec![record(
        Section::Answer,
        b"www.example.com",
        TYPE_CNAME,
        RecordData::Name(b"www.example.com.cdn.example.net".to_vec()),
    )];
    for last in 1..=4 {
        records.push(record(
            Section::Answer,
            b"www.example.com.cdn.example.net",
            TYPE_A,
            RecordData::Bytes(vec![192, 0, 2, last]),
        ));
    }
    for server in [&b"ns1.example.net"[..], b"ns2.example.net"] {
        records.push(record(
            Section::Authority,
            b"example.net",
            TYPE_NS,
            RecordData::Name(server.to_vec()),
        ));
        records.push(record(
            Section::Additional,
            server,
            TYPE_A,
            RecordData::Bytes(vec![198, 51, 100, server[2]]),
        ));
    }
    let mut out = Vec::new();
    build_response(
        &mut out,
        0x1234,
        flags::QR | flags::RD | flags::RA,
        &[question],
        &records,
        512,
    )
    .expect("reply");
    out
}

fn ptr_reply(name: &[u8]) -> Vec<u8> {
    let question = Question {
        name: name.to_vec(),
        qtype: TYPE_PTR,
        qclass: CLASS_IN,
    };
    let answer = record(
        Section::Answer,
        name,
        TYPE_PTR,
        RecordData::Name(b"host-10.example.com".to_vec()),
    );
    let mut out = Vec::new();
    build_response(&mut out, 7, flags::QR, &[question], &[answer], 512).expect("reply");
    out
}

fn replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_reply");
    let cdn = cdn_reply();
    let expected = Expected {
        id: 0x1234,
        name: b"www.example.com",
        qtype: TYPE_A,
        case_sensitive: true,
    };
    group.throughput(Throughput::Bytes(cdn.len() as u64));
    group.bench_function("cname_and_4_a", |b| {
        b.iter(|| parse_reply(black_box(&cdn), black_box(&expected)).expect("valid reply"))
    });
    let name = reverse_name_v4(Ipv4Addr::new(192, 0, 2, 10)).expect("memory");
    let ptr = ptr_reply(&name);
    let expected = Expected {
        id: 7,
        name: &name,
        qtype: TYPE_PTR,
        case_sensitive: false,
    };
    group.throughput(Throughput::Bytes(ptr.len() as u64));
    group.bench_function("ptr", |b| {
        b.iter(|| parse_reply(black_box(&ptr), black_box(&expected)).expect("valid reply"))
    });
    group.finish();
}

fn queries(c: &mut Criterion) {
    let mut group = c.benchmark_group("build_query");
    let mut out = Vec::with_capacity(512);
    group.bench_function("a_with_edns", |b| {
        b.iter(|| {
            out.clear();
            build_query(
                &mut out,
                0x1234,
                black_box(b"www.example.com"),
                TYPE_A,
                Some(1232),
            )
            .expect("valid name");
            out.len()
        })
    });
    let mut name = b"www.example.com".to_vec();
    group.bench_function("a_randomized_case", |b| {
        b.iter(|| {
            randomize_case(&mut name, black_box(&[0x5a, 0xa5]));
            out.clear();
            build_query(&mut out, 0x1234, &name, TYPE_A, None).expect("valid name");
            out.len()
        })
    });
    group.finish();
}

/// A server's work per query: scan it, then answer the question with one A record.
fn server(c: &mut Criterion) {
    let mut group = c.benchmark_group("server");
    let mut query = Vec::new();
    build_query(&mut query, 0x4321, b"q12345.bench.example", TYPE_A, None).expect("query");
    let answer = [record(
        Section::Answer,
        b"q12345.bench.example",
        TYPE_A,
        RecordData::Bytes(vec![192, 0, 2, 1]),
    )];
    let mut name = Vec::new();
    let mut out = Vec::with_capacity(512);
    group.bench_function("scan_and_answer_a", |b| {
        b.iter(|| {
            let mut qtype = 0;
            let head = scan_request(black_box(&query), &mut name, |q| qtype = q.qtype)
                .expect("valid query");
            out.clear();
            let question = QuestionRef {
                name: &name,
                qtype,
                qclass: CLASS_IN,
            };
            build_response_with(
                &mut out,
                head.id,
                flags::QR | flags::RD,
                [question],
                &answer,
                512,
            )
            .expect("response");
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, replies, queries, server);
criterion_main!(benches);
