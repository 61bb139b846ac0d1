//! URI parsing and joining, escaping, query strings and WebSocket frames:
//! `cargo bench -p evrs-http-proto --bench uri`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use evrs_http_proto::escape::{html_escape, uri_decode, uri_encode, PlusDecoding};
use evrs_http_proto::query::{parse_query_str, QUERY_LAST_VAL};
use evrs_http_proto::uri::{Uri, URI_HOST_STRIP_BRACKETS, URI_NONCONFORMANT};
use evrs_http_proto::ws::{accept_key, decode_frame, unmask};

const URIS: &[(&str, &str, u32)] = &[
    ("request_path", "/index.html", 0),
    ("request_query", "/search?q=libevent+http&lang=en&page=2", 0),
    (
        "absolute",
        "https://user:pw@www.example.org:8443/a/b/c.html?x=1&y=%20z#section-2",
        0,
    ),
    (
        "ipv6",
        "http://[2001:db8::8a2e:370:7334]:8080/path",
        URI_HOST_STRIP_BRACKETS,
    ),
    (
        "nonconformant",
        "/files/a name with spaces/and|pipes?q=a b#frag ment",
        URI_NONCONFORMANT,
    ),
];

fn uri(c: &mut Criterion) {
    let mut group = c.benchmark_group("uri");
    for &(name, text, flags) in URIS {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", name), text, |b, text| {
            b.iter(|| Uri::parse(black_box(text.as_bytes()), flags).unwrap())
        });
        let parsed = Uri::parse(text.as_bytes(), flags).unwrap();
        group.bench_with_input(BenchmarkId::new("join", name), &parsed, |b, parsed| {
            b.iter(|| black_box(parsed).join().unwrap())
        });
    }
    group.finish();
}

fn escaping(c: &mut Criterion) {
    let text: Vec<u8> = (0..1024u32)
        .map(|i| b"ab c/&=%~<>'"[(i % 12) as usize])
        .collect();
    let encoded = uri_encode(&text, true).unwrap();
    let mut group = c.benchmark_group("escape");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("uri_encode_1k", |b| {
        b.iter(|| uri_encode(black_box(&text), true).unwrap())
    });
    group.bench_function("uri_decode_1k", |b| {
        b.iter(|| uri_decode(black_box(&encoded), PlusDecoding::AsSpace).unwrap())
    });
    group.bench_function("html_escape_1k", |b| {
        b.iter(|| html_escape(black_box(&text)).unwrap())
    });
    group.finish();
}

fn query(c: &mut Criterion) {
    let form = b"name=Ann+Example&email=ann%40example.org&age=42&city=S%C3%A3o+Paulo&\
                 tags=a&tags=b&tags=c&comment=Hello%2C+world%21&submit=Send";
    let many: Vec<u8> = (0..200)
        .flat_map(|i| format!("k{}=v{i}&", i % 50).into_bytes())
        .collect();
    let mut group = c.benchmark_group("query");
    group.bench_function("form", |b| {
        b.iter(|| parse_query_str(black_box(form), 0).unwrap())
    });
    group.bench_function("200_pairs_last_val", |b| {
        b.iter(|| parse_query_str(black_box(&many), QUERY_LAST_VAL).unwrap())
    });
    group.finish();
}

fn websocket(c: &mut Criterion) {
    let payload = vec![0x5Au8; 1024];
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut frame = vec![0x82, 0x80 | 126, 0x04, 0x00];
    frame.extend_from_slice(&mask);
    let mut masked = payload.clone();
    unmask(&mut masked, mask, 0);
    frame.extend_from_slice(&masked);
    let mut group = c.benchmark_group("ws");
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("decode_masked_1k", |b| {
        b.iter(|| decode_frame(black_box(&frame), 1 << 20).unwrap().unwrap())
    });
    group.finish();
    c.bench_function("ws/accept_key", |b| {
        b.iter(|| accept_key(black_box(b"dGhlIHNhbXBsZSBub25jZQ==")))
    });
}

criterion_group!(benches, uri, escaping, query, websocket);
criterion_main!(benches);
