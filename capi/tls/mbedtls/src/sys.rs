//! Hand-written declarations of the Mbed TLS 2.28 functions and constants used here
//! (and by the tests). `tests/abi.rs` turns every declaration of this file into C and
//! compiles it against Debian's headers, so a mismatch fails the build of that test.
//!
//! Structs are opaque blocks of their C size and alignment (checked there too): the
//! session only passes pointers, the tests allocate them.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};

/// `mbedtls_ssl_context`: fields are reached only through `OFFSET_*`.
#[repr(C, align(8))]
pub struct mbedtls_ssl_context {
    _opaque: [u8; 736],
}

#[repr(C, align(8))]
pub struct mbedtls_ssl_config {
    _opaque: [u8; 416],
}

#[repr(C, align(4))]
pub struct mbedtls_net_context {
    pub fd: c_int,
}

#[repr(C, align(8))]
pub struct mbedtls_ctr_drbg_context {
    _opaque: [u8; 392],
}

#[repr(C, align(8))]
pub struct mbedtls_entropy_context {
    _opaque: [u8; 37960],
}

#[repr(C, align(8))]
pub struct mbedtls_x509_crt {
    _opaque: [u8; 616],
}

#[repr(C, align(8))]
pub struct mbedtls_pk_context {
    _opaque: [u8; 16],
}

/// Only ever passed as NULL.
#[repr(C)]
pub struct mbedtls_x509_crl {
    _opaque: [u8; 0],
}

/// Where `mbedtls_ssl_set_bio` keeps its arguments in the context (public fields in
/// 2.28; libevent reads them too, to learn a context's fd).
pub const OFFSET_F_SEND: usize = 48;
pub const OFFSET_F_RECV: usize = 56;
pub const OFFSET_P_BIO: usize = 72;

pub const MBEDTLS_ERR_SSL_WANT_READ: c_int = -0x6900;
pub const MBEDTLS_ERR_SSL_WANT_WRITE: c_int = -0x6880;
pub const MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: c_int = -0x7880;
pub const MBEDTLS_ERR_SSL_CONN_EOF: c_int = -0x7280;
pub const MBEDTLS_ERR_SSL_BAD_INPUT_DATA: c_int = -0x7100;
pub const MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: c_int = -0x7780;
pub const MBEDTLS_ERR_NET_CONN_RESET: c_int = -0x0050;
pub const MBEDTLS_ERR_NET_RECV_FAILED: c_int = -0x004C;
pub const MBEDTLS_ERR_NET_SEND_FAILED: c_int = -0x004E;
pub const MBEDTLS_ERR_NET_INVALID_CONTEXT: c_int = -0x0045;
pub const MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: c_int = -0x2700;
pub const MBEDTLS_SSL_IS_CLIENT: c_int = 0;
pub const MBEDTLS_SSL_IS_SERVER: c_int = 1;
pub const MBEDTLS_SSL_TRANSPORT_STREAM: c_int = 0;
pub const MBEDTLS_SSL_PRESET_DEFAULT: c_int = 0;
pub const MBEDTLS_SSL_VERIFY_NONE: c_int = 0;
pub const MBEDTLS_SSL_VERIFY_REQUIRED: c_int = 2;
pub const MBEDTLS_SSL_RENEGOTIATION_ENABLED: c_int = 1;

/// `mbedtls_ssl_send_t`.
pub type SendFn = unsafe extern "C" fn(*mut c_void, *const u8, usize) -> c_int;
/// `mbedtls_ssl_recv_t`.
pub type RecvFn = unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> c_int;
/// `mbedtls_ssl_recv_timeout_t`.
pub type RecvTimeoutFn = unsafe extern "C" fn(*mut c_void, *mut u8, usize, u32) -> c_int;
/// The random and entropy sources' shape (`f_rng`, `f_entropy`).
pub type RandomFn = unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> c_int;

extern "C" {
    pub fn mbedtls_ssl_init(ssl: *mut mbedtls_ssl_context);
    pub fn mbedtls_ssl_setup(
        ssl: *mut mbedtls_ssl_context,
        conf: *const mbedtls_ssl_config,
    ) -> c_int;
    pub fn mbedtls_ssl_free(ssl: *mut mbedtls_ssl_context);
    pub fn mbedtls_ssl_session_reset(ssl: *mut mbedtls_ssl_context) -> c_int;
    pub fn mbedtls_ssl_set_bio(
        ssl: *mut mbedtls_ssl_context,
        p_bio: *mut c_void,
        f_send: Option<SendFn>,
        f_recv: Option<RecvFn>,
        f_recv_timeout: Option<RecvTimeoutFn>,
    );
    pub fn mbedtls_ssl_handshake(ssl: *mut mbedtls_ssl_context) -> c_int;
    pub fn mbedtls_ssl_read(ssl: *mut mbedtls_ssl_context, buf: *mut u8, len: usize) -> c_int;
    pub fn mbedtls_ssl_write(ssl: *mut mbedtls_ssl_context, buf: *const u8, len: usize) -> c_int;
    pub fn mbedtls_ssl_get_bytes_avail(ssl: *const mbedtls_ssl_context) -> usize;
    pub fn mbedtls_ssl_renegotiate(ssl: *mut mbedtls_ssl_context) -> c_int;
    pub fn mbedtls_ssl_close_notify(ssl: *mut mbedtls_ssl_context) -> c_int;
    pub fn mbedtls_ssl_get_verify_result(ssl: *const mbedtls_ssl_context) -> u32;
    pub fn mbedtls_ssl_set_hostname(
        ssl: *mut mbedtls_ssl_context,
        hostname: *const c_char,
    ) -> c_int;
    pub fn mbedtls_net_init(ctx: *mut mbedtls_net_context);
    pub fn mbedtls_net_send(ctx: *mut c_void, buf: *const u8, len: usize) -> c_int;
    pub fn mbedtls_net_recv(ctx: *mut c_void, buf: *mut u8, len: usize) -> c_int;
    pub fn mbedtls_strerror(errnum: c_int, buffer: *mut c_char, buflen: usize);

    pub fn mbedtls_ssl_config_init(conf: *mut mbedtls_ssl_config);
    pub fn mbedtls_ssl_config_defaults(
        conf: *mut mbedtls_ssl_config,
        endpoint: c_int,
        transport: c_int,
        preset: c_int,
    ) -> c_int;
    pub fn mbedtls_ssl_config_free(conf: *mut mbedtls_ssl_config);
    pub fn mbedtls_ssl_conf_rng(
        conf: *mut mbedtls_ssl_config,
        f_rng: Option<RandomFn>,
        p_rng: *mut c_void,
    );
    pub fn mbedtls_ssl_conf_authmode(conf: *mut mbedtls_ssl_config, authmode: c_int);
    pub fn mbedtls_ssl_conf_ca_chain(
        conf: *mut mbedtls_ssl_config,
        ca_chain: *mut mbedtls_x509_crt,
        ca_crl: *mut mbedtls_x509_crl,
    );
    pub fn mbedtls_ssl_conf_own_cert(
        conf: *mut mbedtls_ssl_config,
        own_cert: *mut mbedtls_x509_crt,
        pk_key: *mut mbedtls_pk_context,
    ) -> c_int;
    pub fn mbedtls_ssl_conf_renegotiation(conf: *mut mbedtls_ssl_config, renegotiation: c_int);
    pub fn mbedtls_ctr_drbg_init(ctx: *mut mbedtls_ctr_drbg_context);
    pub fn mbedtls_ctr_drbg_seed(
        ctx: *mut mbedtls_ctr_drbg_context,
        f_entropy: Option<RandomFn>,
        p_entropy: *mut c_void,
        custom: *const u8,
        len: usize,
    ) -> c_int;
    pub fn mbedtls_ctr_drbg_random(p_rng: *mut c_void, output: *mut u8, output_len: usize)
        -> c_int;
    pub fn mbedtls_ctr_drbg_free(ctx: *mut mbedtls_ctr_drbg_context);
    pub fn mbedtls_entropy_init(ctx: *mut mbedtls_entropy_context);
    pub fn mbedtls_entropy_func(data: *mut c_void, output: *mut u8, len: usize) -> c_int;
    pub fn mbedtls_entropy_free(ctx: *mut mbedtls_entropy_context);
    pub fn mbedtls_x509_crt_init(crt: *mut mbedtls_x509_crt);
    pub fn mbedtls_x509_crt_parse(
        chain: *mut mbedtls_x509_crt,
        buf: *const u8,
        buflen: usize,
    ) -> c_int;
    pub fn mbedtls_x509_crt_free(crt: *mut mbedtls_x509_crt);
    pub fn mbedtls_pk_init(ctx: *mut mbedtls_pk_context);
    pub fn mbedtls_pk_parse_key(
        ctx: *mut mbedtls_pk_context,
        key: *const u8,
        keylen: usize,
        pwd: *const u8,
        pwdlen: usize,
    ) -> c_int;
    pub fn mbedtls_pk_free(ctx: *mut mbedtls_pk_context);
}
