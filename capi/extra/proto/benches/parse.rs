//! Request-head parsing of a typical browser GET and chunked-body decoding.
//! `cargo bench -p evrs-http-proto --bench parse`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evrs_http_proto::chunked::{ChunkEvent, ChunkedDecoder};
use evrs_http_proto::message::{
    find_line, parse_header_line, parse_request_head, parse_request_line, HeaderLine,
};

const BROWSER_GET: &[u8] = b"GET /articles/2024/index.html?ref=home HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Connection: keep-alive\r\n\
Cookie: session=3f2a9c0d1e; theme=dark\r\n\
Upgrade-Insecure-Requests: 1\r\n\
\r\n";

/// What a connection does per request: cut lines and parse them in place, no copies.
fn parse_head_in_place(buf: &[u8]) -> usize {
    let (line, mut taken) = find_line(buf).expect("request line");
    let request = parse_request_line(line).expect("valid request line");
    let mut checksum = request.target.len();
    loop {
        let (line, line_len) = find_line(&buf[taken..]).expect("header line");
        taken += line_len;
        match parse_header_line(line).expect("valid header") {
            HeaderLine::End => return checksum + taken,
            HeaderLine::Field { name, value } => checksum += name.len() + value.len(),
            HeaderLine::Continuation(text) => checksum += text.len(),
        }
    }
}

fn request_head(c: &mut Criterion) {
    let mut group = c.benchmark_group("request_head");
    group.throughput(Throughput::Bytes(BROWSER_GET.len() as u64));
    group.bench_function("browser_get_in_place", |b| {
        b.iter(|| parse_head_in_place(black_box(BROWSER_GET)))
    });
    group.bench_function("browser_get_owned", |b| {
        b.iter(|| parse_request_head(black_box(BROWSER_GET)).expect("valid head"))
    });
    group.finish();
}

/// A body of `chunk_count` chunks of `chunk_size` bytes, with a trailer.
fn chunked_body(chunk_size: usize, chunk_count: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for index in 0..chunk_count {
        body.extend_from_slice(format!("{chunk_size:x}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a' + (index % 26) as u8, chunk_size));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\nX-Checksum: 1234\r\n\r\n");
    body
}

fn decode_all(input: &[u8]) -> usize {
    let mut decoder = ChunkedDecoder::new();
    let mut data_len = 0;
    decoder
        .feed(input, |event| {
            if let ChunkEvent::Data(data) = event {
                data_len += data.len();
            }
        })
        .expect("valid chunked body");
    assert!(decoder.is_done());
    data_len
}

fn chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunked_decode");
    for (name, chunk_size, chunk_count) in [
        ("64k_in_4k_chunks", 4096, 16),
        ("16k_in_64b_chunks", 64, 256),
    ] {
        let body = chunked_body(chunk_size, chunk_count);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| b.iter(|| decode_all(black_box(&body))));
    }
    group.finish();
}

criterion_group!(benches, request_head, chunked);
criterion_main!(benches);
