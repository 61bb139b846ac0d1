//! The message syntax the connection engine uses: the protocol crate's line parsers.

pub use evrs_http_proto::chunked::parse_chunk_size;
pub use evrs_http_proto::message::{
    method, method_name, parse_content_length, parse_header_line, parse_request_line,
    parse_status_line, reason_phrase, HeaderLine,
};
