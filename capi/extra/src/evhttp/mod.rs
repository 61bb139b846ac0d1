//! evhttp's objects and their behaviour; the C entry points are in `crate::http`.

pub mod client;
pub mod connection;
pub mod date;
pub mod keyvalq;
pub mod parse;
pub mod request;
pub mod server;
pub mod uri;
pub mod uri_link;
pub mod websocket;
