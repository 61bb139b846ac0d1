//! A client and a server session over in-memory transports (and a socketpair), with
//! certificates made at run time by the OpenSSL crate's helper.

use super::*;
use evrs_tls::testing::{self, pattern};
use evrs_tls::MemoryTransport;
use evrs_tls_openssl::testcert::{self_signed, Identity};

/// An `mbedtls_ssl_config` with everything it points at; boxed so the addresses the
/// config keeps stay put. Dropped after the sessions that use it.
struct TestConfig {
    conf: Box<sys::mbedtls_ssl_config>,
    drbg: Box<sys::mbedtls_ctr_drbg_context>,
    entropy: Box<sys::mbedtls_entropy_context>,
    certs: Box<sys::mbedtls_x509_crt>,
    key: Box<sys::mbedtls_pk_context>,
}

/// A zeroed box of an opaque Mbed TLS struct (each has an init function that is
/// called before any use).
fn zeroed<T>() -> Box<T> {
    let layout = std::alloc::Layout::new::<T>();
    // SAFETY: the layout is T's (non-zero size); the opaque structs are plain bytes,
    // so zeroed memory is a valid value, and Box takes the allocation with that layout.
    unsafe {
        let memory = std::alloc::alloc_zeroed(layout).cast::<T>();
        assert!(!memory.is_null());
        Box::from_raw(memory)
    }
}

/// PEM as Mbed TLS parses it: NUL-terminated, the length counting the NUL.
fn pem_bytes(pem: &str) -> Vec<u8> {
    let mut bytes = pem.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

impl TestConfig {
    /// The server presents `identity`; the client trusts `identity` (verification
    /// required) or, with None, does not verify.
    fn new(side: Side, identity: Option<&Identity>, renegotiation: bool) -> TestConfig {
        let mut config = TestConfig {
            conf: zeroed(),
            drbg: zeroed(),
            entropy: zeroed(),
            certs: zeroed(),
            key: zeroed(),
        };
        let endpoint = match side {
            Side::Client => sys::MBEDTLS_SSL_IS_CLIENT,
            Side::Server => sys::MBEDTLS_SSL_IS_SERVER,
        };
        // SAFETY: each struct is initialised by its init function before use; the
        // config keeps pointers to the boxed drbg, certificates and key, which live
        // as long as it (same TestConfig, dropped together, config first).
        unsafe {
            sys::mbedtls_ssl_config_init(&mut *config.conf);
            sys::mbedtls_ctr_drbg_init(&mut *config.drbg);
            sys::mbedtls_entropy_init(&mut *config.entropy);
            sys::mbedtls_x509_crt_init(&mut *config.certs);
            sys::mbedtls_pk_init(&mut *config.key);
            let entropy: *mut sys::mbedtls_entropy_context = &mut *config.entropy;
            assert_eq!(
                sys::mbedtls_ctr_drbg_seed(
                    &mut *config.drbg,
                    Some(sys::mbedtls_entropy_func),
                    entropy.cast(),
                    b"evrs".as_ptr(),
                    4,
                ),
                0
            );
            assert_eq!(
                sys::mbedtls_ssl_config_defaults(
                    &mut *config.conf,
                    endpoint,
                    sys::MBEDTLS_SSL_TRANSPORT_STREAM,
                    sys::MBEDTLS_SSL_PRESET_DEFAULT,
                ),
                0
            );
            let drbg: *mut sys::mbedtls_ctr_drbg_context = &mut *config.drbg;
            sys::mbedtls_ssl_conf_rng(
                &mut *config.conf,
                Some(sys::mbedtls_ctr_drbg_random),
                drbg.cast(),
            );
            if renegotiation {
                sys::mbedtls_ssl_conf_renegotiation(
                    &mut *config.conf,
                    sys::MBEDTLS_SSL_RENEGOTIATION_ENABLED,
                );
            }
            match (side, identity) {
                (Side::Server, Some(identity)) => {
                    let cert = pem_bytes(&identity.cert_pem);
                    assert_eq!(
                        sys::mbedtls_x509_crt_parse(&mut *config.certs, cert.as_ptr(), cert.len()),
                        0
                    );
                    let key = pem_bytes(&identity.key_pem);
                    assert_eq!(
                        sys::mbedtls_pk_parse_key(
                            &mut *config.key,
                            key.as_ptr(),
                            key.len(),
                            ptr::null(),
                            0
                        ),
                        0
                    );
                    assert_eq!(
                        sys::mbedtls_ssl_conf_own_cert(
                            &mut *config.conf,
                            &mut *config.certs,
                            &mut *config.key
                        ),
                        0
                    );
                }
                (Side::Client, Some(trusted)) => {
                    let cert = pem_bytes(&trusted.cert_pem);
                    assert_eq!(
                        sys::mbedtls_x509_crt_parse(&mut *config.certs, cert.as_ptr(), cert.len()),
                        0
                    );
                    sys::mbedtls_ssl_conf_ca_chain(
                        &mut *config.conf,
                        &mut *config.certs,
                        ptr::null_mut(),
                    );
                    sys::mbedtls_ssl_conf_authmode(
                        &mut *config.conf,
                        sys::MBEDTLS_SSL_VERIFY_REQUIRED,
                    );
                }
                (Side::Client, None) => {
                    sys::mbedtls_ssl_conf_authmode(&mut *config.conf, sys::MBEDTLS_SSL_VERIFY_NONE);
                }
                (Side::Server, None) => panic!("a server needs a certificate"),
            }
        }
        config
    }

    /// A session over a fresh context of this configuration, owning it.
    fn session(&self) -> MbedTlsSession {
        // SAFETY: the config is set up and outlives the sessions (tests drop them
        // first); the context is fresh and only the session uses and frees it.
        unsafe {
            let ssl = dyncontext_new(&*self.conf);
            assert!(!ssl.is_null());
            assert_eq!(sys::mbedtls_ssl_set_hostname(ssl, c"localhost".as_ptr()), 0);
            MbedTlsSession::new(ssl, Ownership::FreeOnDrop).unwrap()
        }
    }
}

impl Drop for TestConfig {
    fn drop(&mut self) {
        // SAFETY: frees what new() initialised, the config (which points at the
        // others) first.
        unsafe {
            sys::mbedtls_ssl_config_free(&mut *self.conf);
            sys::mbedtls_x509_crt_free(&mut *self.certs);
            sys::mbedtls_pk_free(&mut *self.key);
            sys::mbedtls_ctr_drbg_free(&mut *self.drbg);
            sys::mbedtls_entropy_free(&mut *self.entropy);
        }
    }
}

/// Configurations for both sides; the client verifies the server's certificate.
struct Configs {
    client: TestConfig,
    server: TestConfig,
}

fn configs(renegotiation: bool) -> Configs {
    let identity = self_signed("localhost");
    Configs {
        client: TestConfig::new(Side::Client, Some(&identity), renegotiation),
        server: TestConfig::new(Side::Server, Some(&identity), renegotiation),
    }
}

struct Pair {
    client: MbedTlsSession,
    server: MbedTlsSession,
    client_end: MemoryTransport,
    server_end: MemoryTransport,
}

fn pair(configs: &Configs, capacity: usize) -> Pair {
    let mut client = configs.client.session();
    let mut server = configs.server.session();
    assert!(client.start_handshake(Role::Connect));
    assert!(server.start_handshake(Role::Accept));
    let (client_end, server_end) = MemoryTransport::pair(capacity);
    client.set_transport(Box::new(client_end.clone())).unwrap();
    server.set_transport(Box::new(server_end.clone())).unwrap();
    Pair {
        client,
        server,
        client_end,
        server_end,
    }
}

fn connected(configs: &Configs, capacity: usize) -> Pair {
    let mut p = pair(configs, capacity);
    testing::handshake(&mut p.client, &mut p.server).expect("handshake");
    p
}

#[test]
fn handshake_with_verification_then_data_both_ways() {
    let configs = configs(false);
    let mut p = connected(&configs, 700);
    // SAFETY: the client's context is valid; the result is a flag word.
    assert_eq!(
        unsafe { sys::mbedtls_ssl_get_verify_result(p.client.ssl()) },
        0
    );
    let up = pattern(200_000);
    let (got, stats) = testing::transfer(&mut p.client, &mut p.server, &up, 16_384, 1000).unwrap();
    assert!(got == up, "client to server data differs");
    assert!(
        stats.write_retries > 0,
        "a 700-byte transport must block writes"
    );
    let down = pattern(70_001);
    let (got, stats) = testing::transfer(&mut p.server, &mut p.client, &down, 5000, 333).unwrap();
    assert!(got == down, "server to client data differs");
    assert!(stats.write_retries > 0);
    assert_eq!(p.client.byte_counts(), p.client_end.counts());
    assert_eq!(p.server.byte_counts(), p.server_end.counts());
    assert!(p.client.byte_counts().written > up.len() as u64);
}

#[test]
fn small_reads_leave_the_rest_pending() {
    let configs = configs(false);
    let mut p = connected(&configs, 1 << 20);
    assert_eq!(p.client.write(b"hello, world"), Outcome::Done(12));
    let mut buf = [0u8; 5];
    assert_eq!(p.server.read(&mut buf), Outcome::Done(5));
    assert_eq!(&buf, b"hello");
    assert_eq!(p.server.pending(), 7);
    let mut rest = [0u8; 16];
    assert_eq!(p.server.read(&mut rest), Outcome::Done(7));
    assert_eq!(p.server.read(&mut rest), Outcome::WantRead);
}

#[test]
fn a_blocked_write_is_retried_with_the_same_bytes() {
    let configs = configs(false);
    let mut p = connected(&configs, 100);
    let data = pattern(10_000);
    assert_eq!(p.client.write(&data), Outcome::WantWrite);
    let copy = data.clone();
    let mut sink = vec![0u8; 20_000];
    let mut got = Vec::new();
    let mut sent = 0;
    while sent < copy.len() {
        if let Outcome::Done(n) = p.server.read(&mut sink) {
            got.extend_from_slice(&sink[..n]);
        }
        // Mbed TLS may take a record's worth at a time (max fragment length).
        match p.client.write(&copy[sent..]) {
            Outcome::Done(n) => sent += n,
            Outcome::WantWrite => {}
            other => panic!("retry gave {other:?}"),
        }
    }
    for _ in 0..100 {
        let (_, rest) = testing::read_until_end(&mut p.server);
        got.extend_from_slice(&rest);
    }
    assert!(got == data);
}

#[test]
fn close_notify_is_a_clean_close() {
    let configs = configs(false);
    let mut p = connected(&configs, 4096);
    assert_eq!(p.client.write(b"last words"), Outcome::Done(10));
    assert_eq!(p.client.close_notify(), Outcome::Done(0));
    let (end, got) = testing::read_until_end(&mut p.server);
    assert_eq!(got, b"last words");
    assert_eq!(end, Outcome::Closed { clean: true });
    let close_notify = stored_code(sys::MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    assert_eq!(p.server.take_errors(), vec![close_notify]);
}

#[test]
fn close_notify_waits_for_room() {
    let configs = configs(false);
    let mut p = connected(&configs, 4096);
    p.client_end.set_capacity(1);
    assert_eq!(p.client.write(b"y"), Outcome::WantWrite);
    // The write's record must go first (same bytes), then the alert.
    let mut sink = [0u8; 64];
    let mut outcome = Outcome::WantWrite;
    for _ in 0..1000 {
        let _ = p.server.read(&mut sink);
        outcome = p.client.write(b"y");
        if outcome != Outcome::WantWrite {
            break;
        }
    }
    assert_eq!(outcome, Outcome::Done(1));
    assert_eq!(p.client.close_notify(), Outcome::WantWrite);
}

#[test]
fn eof_without_close_notify_is_a_dirty_close() {
    let configs = configs(false);
    let mut p = connected(&configs, 4096);
    assert_eq!(p.client.write(b"cut"), Outcome::Done(3));
    p.client_end.close();
    let (end, got) = testing::read_until_end(&mut p.server);
    assert_eq!(got, b"cut");
    assert_eq!(end, Outcome::Closed { clean: false });
}

#[test]
fn eof_during_handshake_is_a_dirty_close() {
    let configs = configs(false);
    let mut p = pair(&configs, 4096);
    assert_eq!(p.client.handshake(), Outcome::WantRead);
    p.server_end.close();
    assert_eq!(p.client.handshake(), Outcome::Closed { clean: false });
    assert_eq!(
        p.client.take_errors(),
        vec![stored_code(sys::MBEDTLS_ERR_SSL_CONN_EOF)]
    );
}

#[test]
fn verification_failure_is_an_error_with_its_code() {
    let trusted = self_signed("localhost");
    let presented = self_signed("localhost");
    let client_config = TestConfig::new(Side::Client, Some(&trusted), false);
    let server_config = TestConfig::new(Side::Server, Some(&presented), false);
    let mut client = client_config.session();
    let mut server = server_config.session();
    let (client_end, server_end) = MemoryTransport::pair(4096);
    client.set_transport(Box::new(client_end)).unwrap();
    server.set_transport(Box::new(server_end)).unwrap();
    let failure = testing::handshake(&mut client, &mut server).unwrap_err();
    assert_eq!(failure.what, "client handshake");
    assert_eq!(failure.outcome, Outcome::Error);
    assert_eq!(
        failure.codes,
        vec![stored_code(sys::MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)]
    );
    assert!(error_text(sys::MBEDTLS_ERR_X509_CERT_VERIFY_FAILED).contains("X509"));
    // SAFETY: the client's context is valid; the result is a flag word.
    assert_ne!(
        unsafe { sys::mbedtls_ssl_get_verify_result(client.ssl()) },
        0
    );
    // The server hears the client's alert.
    let outcome = server.handshake();
    assert_eq!(outcome, Outcome::Error);
    assert_eq!(
        server.take_errors(),
        vec![stored_code(sys::MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)]
    );
}

/// The client renegotiates; its handshake needs the server's answers, which the
/// server gives while it reads.
fn client_renegotiation(p: &mut Pair) -> Outcome {
    assert_eq!(p.client.renegotiate(), Ok(()));
    let mut buf = [0u8; 64];
    for _ in 0..1000 {
        match p.client.handshake() {
            Outcome::WantRead | Outcome::WantWrite => {}
            other => return other,
        }
        match p.server.read(&mut buf) {
            Outcome::WantRead | Outcome::WantWrite => {}
            other => panic!("server during renegotiation: {other:?}"),
        }
    }
    panic!("renegotiation did not finish");
}

#[test]
fn renegotiation() {
    let configs = configs(true);
    let mut p = connected(&configs, 2048);
    assert_eq!(client_renegotiation(&mut p), Outcome::Done(0));
    let data = pattern(50_000);
    let (got, _) = testing::transfer(&mut p.server, &mut p.client, &data, 4096, 4096).unwrap();
    assert!(got == data);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, &data, 4096, 4096).unwrap();
    assert!(got == data);
}

#[test]
fn server_renegotiation() {
    let configs = configs(true);
    let mut p = connected(&configs, 4096);
    // A 10-byte transport cannot take the request at once: the rest goes out from
    // the server's handshake calls.
    p.server_end.set_capacity(10);
    assert_eq!(p.server.renegotiate(), Ok(()));
    assert_eq!(
        p.server.handshake(),
        Outcome::WantWrite,
        "the request is not out yet"
    );
    let mut buf = [0u8; 64];
    let mut server_done = false;
    for _ in 0..2000 {
        if !server_done {
            match p.server.handshake() {
                Outcome::Done(0) => server_done = true,
                Outcome::WantRead | Outcome::WantWrite => {}
                other => panic!(
                    "server renegotiating: {other:?} {:x?}",
                    p.server.take_errors()
                ),
            }
        }
        match p.client.read(&mut buf) {
            Outcome::WantRead | Outcome::WantWrite => {}
            other => panic!("client during renegotiation: {other:?}"),
        }
        match p.server.read(&mut buf) {
            Outcome::WantRead | Outcome::WantWrite => {}
            other => panic!("server during renegotiation: {other:?}"),
        }
        if server_done && p.server_end.in_flight() == 0 && p.client_end.in_flight() == 0 {
            break;
        }
    }
    assert!(server_done);
    p.server_end.set_capacity(4096);
    let data = pattern(20_000);
    let (got, _) = testing::transfer(&mut p.server, &mut p.client, &data, 4096, 4096).unwrap();
    assert!(got == data);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, &data, 4096, 4096).unwrap();
    assert!(got == data);
}

#[test]
fn a_context_can_handshake_again_after_start_handshake() {
    let configs = configs(false);
    let mut p = connected(&configs, 4096);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, b"first", 5, 16).unwrap();
    assert_eq!(got, b"first");
    // New connections for both contexts (bufferevent_setfd with a new fd).
    let (client_end, server_end) = MemoryTransport::pair(4096);
    assert!(p.client.start_handshake(Role::Connect));
    assert!(p.server.start_handshake(Role::Accept));
    p.client.set_transport(Box::new(client_end)).unwrap();
    p.server.set_transport(Box::new(server_end)).unwrap();
    testing::handshake(&mut p.client, &mut p.server).unwrap();
    let (got, _) = testing::transfer(&mut p.server, &mut p.client, b"second", 6, 16).unwrap();
    assert_eq!(got, b"second");
}

#[test]
fn renegotiation_disabled_by_the_server_is_refused() {
    let identity = self_signed("localhost");
    let client_config = TestConfig::new(Side::Client, Some(&identity), true);
    let server_config = TestConfig::new(Side::Server, Some(&identity), false);
    let mut p = {
        let mut client = client_config.session();
        let mut server = server_config.session();
        let (client_end, server_end) = MemoryTransport::pair(4096);
        client.set_transport(Box::new(client_end.clone())).unwrap();
        server.set_transport(Box::new(server_end.clone())).unwrap();
        Pair {
            client,
            server,
            client_end,
            server_end,
        }
    };
    testing::handshake(&mut p.client, &mut p.server).unwrap();
    // The server answers the new hello with a no_renegotiation warning, which the
    // client takes as a failed handshake.
    let outcome = client_renegotiation(&mut p);
    assert_eq!(outcome, Outcome::Error);
    assert!(!p.client.take_errors().is_empty());
}

#[test]
fn renegotiation_before_the_handshake_is_refused() {
    let configs = configs(true);
    let mut p = pair(&configs, 4096);
    assert_eq!(p.client.renegotiate(), Err(RenegotiationRefused));
    assert_eq!(
        p.client.take_errors(),
        vec![stored_code(sys::MBEDTLS_ERR_SSL_BAD_INPUT_DATA)]
    );
    assert_eq!(p.server.renegotiate(), Err(RenegotiationRefused));
}

fn socketpair() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors socketpair writes.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(r, 0);
    (fds[0], fds[1])
}

fn close(fd: i32) {
    // SAFETY: closes a descriptor this test opened and no longer uses.
    unsafe { libc::close(fd) };
}

#[test]
fn socket_kind_over_mbedtls_net_io() {
    let configs = configs(false);
    let (a, b) = socketpair();
    let mut client = configs.client.session();
    let mut server = configs.server.session();
    assert_eq!(client.bind_socket(None), Ok(None));
    assert_eq!(client.socket_fd(), None);
    assert_eq!(client.bind_socket(Some(a)), Ok(Some(a)));
    assert_eq!(client.socket_fd(), Some(a));
    // The program bound the server's context to b itself, with Mbed TLS's own
    // net callbacks: the fd is learnt, another fd refused.
    let mut program_net = sys::mbedtls_net_context { fd: b };
    // SAFETY: the context is valid; program_net outlives its use (rebound below).
    unsafe {
        sys::mbedtls_ssl_set_bio(
            server.ssl(),
            (&mut program_net as *mut sys::mbedtls_net_context).cast(),
            Some(sys::mbedtls_net_send),
            Some(sys::mbedtls_net_recv),
            None,
        )
    };
    assert_eq!(server.socket_fd(), Some(b));
    assert_eq!(
        server.bind_socket(Some(a)),
        Err(BindError::FdMismatch {
            existing: b,
            given: a
        })
    );
    assert_eq!(server.bind_socket(None), Ok(Some(b)));
    assert_eq!(server.socket_fd(), Some(b));
    testing::handshake(&mut client, &mut server).unwrap();
    let data = pattern(300_000);
    let (got, _) = testing::transfer(&mut client, &mut server, &data, 16_384, 8192).unwrap();
    assert!(got == data);
    assert!(client.byte_counts().written > data.len() as u64);
    assert_eq!(client.byte_counts().written, server.byte_counts().read);
    drop(client);
    drop(server);
    // SAFETY: fcntl on fds the test still owns; F_GETFD fails only if closed.
    unsafe {
        assert!(libc::fcntl(a, libc::F_GETFD) >= 0);
        assert!(libc::fcntl(b, libc::F_GETFD) >= 0);
    }
    close(a);
    close(b);
}

unsafe extern "C" fn foreign_send(_: *mut c_void, _: *const u8, _: usize) -> c_int {
    sys::MBEDTLS_ERR_NET_SEND_FAILED
}

unsafe extern "C" fn foreign_recv(_: *mut c_void, _: *mut u8, _: usize) -> c_int {
    sys::MBEDTLS_ERR_NET_RECV_FAILED
}

#[test]
fn program_callbacks_have_no_known_fd() {
    let configs = configs(false);
    let mut client = configs.client.session();
    let mut cookie = 0u8;
    // SAFETY: the context is valid; the callbacks ignore their argument.
    unsafe {
        sys::mbedtls_ssl_set_bio(
            client.ssl(),
            (&mut cookie as *mut u8).cast(),
            Some(foreign_send),
            Some(foreign_recv),
            None,
        )
    };
    assert_eq!(client.socket_fd(), None);
    assert_eq!(client.bind_socket(None), Err(BindError::UnknownFd));
    assert_eq!(client.bind_socket(Some(5)), Err(BindError::UnknownFd));
    // The program's I/O is left as it was.
    assert_eq!(client.handshake(), Outcome::Error);
    assert_eq!(
        client.take_errors(),
        vec![stored_code(sys::MBEDTLS_ERR_NET_SEND_FAILED)]
    );
}

#[test]
fn set_socket_fd_replaces_a_transport_and_keeps_the_totals() {
    let configs = configs(false);
    let mut p = connected(&configs, 4096);
    let before = p.client.byte_counts();
    assert!(before.read > 0 && before.written > 0);
    let (a, b) = socketpair();
    p.client.set_socket_fd(a).unwrap();
    assert_eq!(p.client.socket_fd(), Some(a));
    assert_eq!(p.client.byte_counts(), before);
    drop(p);
    close(a);
    close(b);
}

#[test]
fn a_borrowed_context_outlives_its_session_safely() {
    let configs = configs(false);
    // SAFETY: a context for the test, freed below.
    let ssl = unsafe { dyncontext_new(&*configs.server.conf) };
    assert!(!ssl.is_null());
    {
        // SAFETY: the context stays the test's; the session does not free it.
        let mut borrowed = unsafe { MbedTlsSession::new(ssl, Ownership::Borrowed) }.unwrap();
        let (end, _peer) = MemoryTransport::pair(64);
        borrowed.set_transport(Box::new(end)).unwrap();
        assert_eq!(borrowed.handshake(), Outcome::WantRead);
    }
    // The callbacks are unhooked: Mbed TLS refuses I/O instead of using freed memory.
    // SAFETY: the context is still valid and owned here.
    let r = unsafe { sys::mbedtls_ssl_handshake(ssl) };
    assert!(r < 0 && r != sys::MBEDTLS_ERR_SSL_WANT_READ, "{r}");
    // SAFETY: frees the test's context once.
    unsafe { dyncontext_free(ssl) };
}

struct PanickingTransport;

impl Transport for PanickingTransport {
    fn recv(&mut self, _: &mut [u8]) -> TransportIo {
        panic!("transport bug");
    }
    fn send(&mut self, _: &[u8]) -> TransportIo {
        panic!("transport bug");
    }
}

#[test]
fn a_panicking_transport_is_an_io_error() {
    let configs = configs(false);
    let mut client = configs.client.session();
    client.set_transport(Box::new(PanickingTransport)).unwrap();
    assert_eq!(client.handshake(), Outcome::Error);
    assert_eq!(
        client.take_errors(),
        vec![stored_code(sys::MBEDTLS_ERR_NET_SEND_FAILED)]
    );
}

#[test]
fn null_and_dyncontext_edges() {
    // SAFETY: null is documented as ignored / refused.
    unsafe {
        dyncontext_free(ptr::null_mut());
        assert!(MbedTlsSession::new(ptr::null_mut(), Ownership::Borrowed).is_none());
    }
}

#[test]
fn a_second_session_learns_the_fd_of_the_first_and_ownership_can_change() {
    let configs = configs(false);
    // SAFETY: a context for the test, freed below.
    let ssl = unsafe { dyncontext_new(&*configs.client.conf) };
    assert!(!ssl.is_null());
    let (a, b) = socketpair();
    // SAFETY: the context stays the test's while the sessions are Borrowed.
    let mut first = unsafe { MbedTlsSession::new(ssl, Ownership::Borrowed) }.unwrap();
    assert_eq!(first.bind_socket(Some(a)), Ok(Some(a)));
    {
        // SAFETY: the context stays the test's (Borrowed), and the first session is
        // not used while this one lives.
        let mut second = unsafe { MbedTlsSession::new(ssl, Ownership::Borrowed) }.unwrap();
        assert_eq!(second.bind_socket(None), Ok(Some(a)));
        assert!(matches!(
            second.bind_socket(Some(b)),
            Err(BindError::FdMismatch { .. })
        ));
        // Given back and taken again: dropped Borrowed, the context stays.
        second.set_ownership(Ownership::FreeOnDrop);
        second.set_ownership(Ownership::Borrowed);
    }
    drop(first);
    // SAFETY: frees the test's context once.
    unsafe { dyncontext_free(ssl) };
    close(a);
    close(b);
}

#[test]
fn after_unlink_the_drop_leaves_a_borrowed_context_alone() {
    let configs = configs(false);
    // SAFETY: a context for the test, freed below.
    let ssl = unsafe { dyncontext_new(&*configs.server.conf) };
    assert!(!ssl.is_null());
    // SAFETY: the context stays the test's; the session does not free it.
    let mut borrowed = unsafe { MbedTlsSession::new(ssl, Ownership::Borrowed) }.unwrap();
    let (end, _peer) = MemoryTransport::pair(64);
    borrowed.set_transport(Box::new(end)).unwrap();
    assert_eq!(borrowed.handshake(), Outcome::WantRead);
    let counts = borrowed.byte_counts();
    borrowed.unlink();
    assert_eq!(borrowed.byte_counts(), counts);
    // The program frees its context before the session goes (a bufferevent freed
    // but not yet finalized); the drop must not read it (Miri/valgrind would see it).
    // SAFETY: frees the test's context once; the session no longer refers to it.
    unsafe { dyncontext_free(ssl) };
    drop(borrowed);
}
