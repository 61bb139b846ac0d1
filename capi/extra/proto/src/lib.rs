//! The protocol half of evhttp: parsers and encoders for HTTP/1.x request and status
//! lines, header blocks, chunked bodies, URIs, query strings, percent-encoding, HTML
//! escaping and WebSocket frames, accepting and refusing exactly what libevent 2.2.1
//! does. Pure Rust over byte slices: no I/O, no C types, no allocation through the
//! program's functions (the library that uses it routes its global allocator there).
//! It is what the fuzz targets and the parser benchmarks drive.

pub mod chunked;
pub mod escape;
pub mod fuzz;
pub mod fuzz_uri;
pub mod message;
pub mod query;
pub mod uri;
pub mod ws;
