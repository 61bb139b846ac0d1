//! What openssl-sys leaves out: functions, and the values of function-like macros.
//! `tests/abi.rs` turns every declaration here into C and compiles it against
//! Debian's OpenSSL headers.

use std::ffi::{c_int, c_ulong};

pub use openssl_sys::{BIO, SSL};

pub const BIO_CTRL_GET_CLOSE: c_int = 8;
pub const BIO_CTRL_SET_CLOSE: c_int = 9;
pub const BIO_CTRL_PENDING: c_int = 10;
pub const BIO_CTRL_FLUSH: c_int = 11;
pub const BIO_CTRL_DUP: c_int = 12;
pub const BIO_CTRL_WPENDING: c_int = 13;
pub const BIO_C_GET_FD: c_int = 105;
pub const BIO_NOCLOSE: c_int = 0;
pub const BIO_TYPE_DESCRIPTOR: c_int = 0x0100;
pub const BIO_TYPE_SOURCE_SINK: c_int = 0x0400;
pub const SSL_CTRL_MODE: c_int = 33;
pub const SSL_CTRL_GET_NUM_RENEGOTIATIONS: c_int = 10;
pub const ERR_LIB_SSL: c_int = 20;
pub const SSL_R_UNEXPECTED_EOF_WHILE_READING: c_int = 294;
pub const SSL_R_CERTIFICATE_VERIFY_FAILED: c_int = 134;
pub const SSL_R_NO_RENEGOTIATION: c_int = 339;
pub const SSL_OP_ALLOW_CLIENT_RENEGOTIATION: u64 = 1 << 8;

extern "C" {
    pub fn BIO_number_read(bio: *mut BIO) -> u64;
    pub fn BIO_number_written(bio: *mut BIO) -> u64;
    pub fn BIO_find_type(bio: *mut BIO, bio_type: c_int) -> *mut BIO;
    pub fn BIO_get_shutdown(bio: *mut BIO) -> c_int;
    pub fn BIO_set_shutdown(bio: *mut BIO, shut: c_int);
    pub fn BIO_get_new_index() -> c_int;
    pub fn SSL_clear(ssl: *mut SSL) -> c_int;
    pub fn SSL_renegotiate(ssl: *mut SSL) -> c_int;
    pub fn SSL_set_fd(ssl: *mut SSL, fd: c_int) -> c_int;
    pub fn ERR_peek_error() -> c_ulong;
}
