//! A client and a server session over in-memory transports (and a socketpair), with
//! certificates made at run time.

use super::*;
use evrs_tls::testing::{self, pattern};
use evrs_tls::MemoryTransport;

use crate::testcert::{self_signed, Identity};

struct Config {
    /// TLS 1.2 at most (for renegotiation).
    tls12: bool,
    /// The server accepts renegotiations the client starts (OpenSSL 3 refuses them
    /// unless told).
    client_renegotiation: bool,
    /// The client verifies the server against this certificate.
    trust: Option<Identity>,
}

/// An SSL_CTX for the server (with `identity`) or the client.
fn context(server: Option<&Identity>, config: &Config) -> *mut ffi::SSL_CTX {
    // SAFETY: a fresh context is configured with objects made here; the context
    // keeps its own references, so ours are freed.
    unsafe {
        let ctx = ffi::SSL_CTX_new(ffi::TLS_method());
        assert!(!ctx.is_null());
        if config.tls12 {
            assert_eq!(
                ffi::SSL_CTX_set_max_proto_version(ctx, ffi::TLS1_2_VERSION),
                1
            );
        }
        if server.is_some() && config.client_renegotiation {
            ffi::SSL_CTX_set_options(ctx, sys::SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        }
        if let Some(identity) = server {
            let (cert, key) = identity.load();
            assert_eq!(ffi::SSL_CTX_use_certificate(ctx, cert), 1);
            assert_eq!(ffi::SSL_CTX_use_PrivateKey(ctx, key), 1);
            ffi::X509_free(cert);
            ffi::EVP_PKEY_free(key);
        } else if let Some(trusted) = &config.trust {
            let (cert, key) = trusted.load();
            assert_eq!(
                ffi::X509_STORE_add_cert(ffi::SSL_CTX_get_cert_store(ctx), cert),
                1
            );
            ffi::X509_free(cert);
            ffi::EVP_PKEY_free(key);
            ffi::SSL_CTX_set_verify(ctx, ffi::SSL_VERIFY_PEER, None);
        }
        ctx
    }
}

fn new_ssl(ctx: *mut ffi::SSL_CTX) -> *mut ffi::SSL {
    // SAFETY: ctx is a live context; the SSL takes its own reference to it.
    let ssl = unsafe { ffi::SSL_new(ctx) };
    assert!(!ssl.is_null());
    ssl
}

fn session(ctx: *mut ffi::SSL_CTX, role: Role) -> OpenSslSession {
    // SAFETY: a fresh SSL that only this session uses and frees.
    let mut session = unsafe { OpenSslSession::new(new_ssl(ctx), Ownership::FreeOnDrop) }.unwrap();
    assert!(session.start_handshake(role));
    session
}

fn free_ctx(ctx: *mut ffi::SSL_CTX) {
    // SAFETY: drops the test's reference; SSLs still alive keep their own.
    unsafe { ffi::SSL_CTX_free(ctx) };
}

/// A connected client and server over in-memory transports holding `capacity` bytes
/// each way; the transports are returned to inspect or close.
struct Pair {
    client: OpenSslSession,
    server: OpenSslSession,
    client_end: MemoryTransport,
    server_end: MemoryTransport,
}

fn pair(config: &Config, capacity: usize) -> Pair {
    let identity = config
        .trust
        .clone()
        .unwrap_or_else(|| self_signed("localhost"));
    let server_ctx = context(Some(&identity), config);
    let client_ctx = context(None, config);
    let mut server = session(server_ctx, Role::Accept);
    let mut client = session(client_ctx, Role::Connect);
    free_ctx(server_ctx);
    free_ctx(client_ctx);
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

fn connected(config: &Config, capacity: usize) -> Pair {
    let mut p = pair(config, capacity);
    testing::handshake(&mut p.client, &mut p.server).expect("handshake");
    p
}

const TLS13: Config = Config {
    tls12: false,
    client_renegotiation: false,
    trust: None,
};

#[test]
fn handshake_then_data_both_ways_with_partial_writes() {
    let mut p = connected(&TLS13, 700);
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
    // The counters are the ciphertext the transports moved.
    assert_eq!(p.client.byte_counts(), p.client_end.counts());
    assert_eq!(p.server.byte_counts(), p.server_end.counts());
    assert!(p.client.byte_counts().written > up.len() as u64);
}

#[test]
fn small_reads_leave_the_rest_pending() {
    let mut p = connected(&TLS13, 1 << 20);
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
fn a_blocked_write_is_retried_from_a_moved_buffer() {
    let mut p = connected(&TLS13, 100);
    let data = pattern(10_000);
    assert_eq!(p.client.write(&data), Outcome::WantWrite);
    // Drain the transport; the retry passes the same bytes from another address.
    let copy = data.clone();
    let mut sink = vec![0u8; 20_000];
    let mut got = Vec::new();
    loop {
        if let Outcome::Done(n) = p.server.read(&mut sink) {
            got.extend_from_slice(&sink[..n]);
        }
        match p.client.write(&copy) {
            Outcome::Done(n) => {
                assert_eq!(n, copy.len());
                break;
            }
            Outcome::WantWrite => {}
            other => panic!("retry gave {other:?}"),
        }
    }
    let (_, rest) = testing::read_until_end(&mut p.server);
    got.extend_from_slice(&rest);
    assert!(got == data);
}

#[test]
fn close_notify_is_a_clean_close() {
    let mut p = connected(&TLS13, 4096);
    assert_eq!(p.client.write(b"last words"), Outcome::Done(10));
    assert_eq!(p.client.close_notify(), Outcome::Done(0));
    let (end, got) = testing::read_until_end(&mut p.server);
    assert_eq!(got, b"last words");
    assert_eq!(end, Outcome::Closed { clean: true });
    assert!(p.server.take_errors().is_empty());
}

#[test]
fn close_notify_waits_for_room() {
    let mut p = connected(&TLS13, 1);
    // Fill the one byte of room so the alert cannot go out.
    assert_eq!(p.client.write(b"x"), Outcome::WantWrite);
    let mut p2 = connected(&TLS13, 4096);
    p2.client_end.set_capacity(1);
    assert_eq!(p2.client.write(b"y"), Outcome::WantWrite);
    assert_eq!(p2.client.close_notify(), Outcome::WantWrite);
    drop(p);
}

#[test]
fn eof_without_close_notify_is_a_dirty_close() {
    let mut p = connected(&TLS13, 4096);
    assert_eq!(p.client.write(b"cut"), Outcome::Done(3));
    p.client_end.close();
    let (end, got) = testing::read_until_end(&mut p.server);
    assert_eq!(got, b"cut");
    assert_eq!(end, Outcome::Closed { clean: false });
    let codes = p.server.take_errors();
    // A transport EOF: SSL_ERROR_SYSCALL with an empty queue (OpenSSL 3's
    // unexpected-EOF error, SSL_ERROR_SSL, is classified the same way).
    let first = codes.first().map(|&code| code as c_int);
    assert!(
        first == Some(ffi::SSL_ERROR_SYSCALL) || first == Some(ffi::SSL_ERROR_SSL),
        "{codes:x?}"
    );
    assert!(p.server.take_errors().is_empty(), "taken once");
}

#[test]
fn eof_during_handshake_is_a_dirty_close() {
    let mut p = pair(&TLS13, 4096);
    assert_eq!(p.client.handshake(), Outcome::WantRead);
    p.server_end.close();
    let outcome = p.client.handshake();
    assert_eq!(outcome, Outcome::Closed { clean: false });
}

#[test]
fn verification_failure_is_an_error_with_codes() {
    let trusted_elsewhere = self_signed("localhost");
    let config = Config {
        tls12: false,
        client_renegotiation: false,
        trust: Some(trusted_elsewhere),
    };
    // The server presents another certificate than the one the client trusts.
    let server_ctx = context(Some(&self_signed("localhost")), &config);
    let client_ctx = context(None, &config);
    let mut server = session(server_ctx, Role::Accept);
    let mut client = session(client_ctx, Role::Connect);
    free_ctx(server_ctx);
    free_ctx(client_ctx);
    let (client_end, server_end) = MemoryTransport::pair(4096);
    client.set_transport(Box::new(client_end)).unwrap();
    server.set_transport(Box::new(server_end)).unwrap();
    let failure = testing::handshake(&mut client, &mut server).unwrap_err();
    assert_eq!(failure.what, "client handshake");
    assert_eq!(failure.outcome, Outcome::Error);
    assert_eq!(failure.codes.first(), Some(&(ffi::SSL_ERROR_SSL as u64)));
    // SSL routines: certificate verify failed.
    let verify_failed = failure.codes.iter().any(|&code| {
        let code = code as std::ffi::c_ulong;
        ffi::ERR_GET_LIB(code) == sys::ERR_LIB_SSL
            && ffi::ERR_GET_REASON(code) == sys::SSL_R_CERTIFICATE_VERIFY_FAILED
    });
    assert!(verify_failed, "{:x?}", failure.codes);
    // The server hears the client's alert.
    assert_eq!(server.handshake(), Outcome::Error);
    assert!(!server.take_errors().is_empty());
}

#[test]
fn verification_success_with_the_right_anchor() {
    let identity = self_signed("localhost");
    let config = Config {
        tls12: false,
        client_renegotiation: false,
        trust: Some(identity),
    };
    let mut p = connected(&config, 4096);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, b"ok", 2, 10).unwrap();
    assert_eq!(got, b"ok");
}

/// The client renegotiates; its handshake needs the server's answers, which the
/// server gives while it reads. Returns the client's last handshake outcome.
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

const TLS12_RENEGOTIATING: Config = Config {
    tls12: true,
    client_renegotiation: true,
    trust: None,
};

#[test]
fn renegotiation_under_tls12() {
    let mut p = connected(&TLS12_RENEGOTIATING, 2048);
    assert_eq!(p.client.renegotiations(), 0);
    assert_eq!(client_renegotiation(&mut p), Outcome::Done(0));
    assert_eq!(p.client.renegotiations(), 1);
    let data = pattern(50_000);
    let (got, _) = testing::transfer(&mut p.server, &mut p.client, &data, 4096, 4096).unwrap();
    assert!(got == data);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, &data, 4096, 4096).unwrap();
    assert!(got == data);
}

#[test]
fn a_server_refusing_renegotiation_makes_it_an_error() {
    let config = Config {
        client_renegotiation: false,
        ..TLS12_RENEGOTIATING
    };
    let mut p = connected(&config, 2048);
    assert_eq!(client_renegotiation(&mut p), Outcome::Error);
    let codes = p.client.take_errors();
    let refused = codes
        .iter()
        .any(|&code| ffi::ERR_GET_REASON(code as std::ffi::c_ulong) == sys::SSL_R_NO_RENEGOTIATION);
    assert!(refused, "{codes:x?}");
}

#[test]
fn server_renegotiation_under_tls12() {
    let mut p = connected(&TLS12_RENEGOTIATING, 2048);
    assert_eq!(p.server.renegotiate(), Ok(()));
    // The server's request goes out; the client answers while it reads, the server
    // finishes while it reads.
    let mut buf = [0u8; 64];
    let mut server_done = false;
    for _ in 0..1000 {
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
        for side in [&mut p.client, &mut p.server] {
            match side.read(&mut buf) {
                Outcome::WantRead | Outcome::WantWrite => {}
                other => panic!("read during renegotiation: {other:?}"),
            }
        }
        if server_done && p.server_end.in_flight() == 0 && p.client_end.in_flight() == 0 {
            break;
        }
    }
    assert!(server_done);
    let data = pattern(20_000);
    let (got, _) = testing::transfer(&mut p.server, &mut p.client, &data, 4096, 4096).unwrap();
    assert!(got == data);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, &data, 4096, 4096).unwrap();
    assert!(got == data);
}

#[test]
fn a_session_can_handshake_again_after_start_handshake() {
    let mut p = connected(&TLS13, 4096);
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, b"first", 5, 16).unwrap();
    assert_eq!(got, b"first");
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
fn renegotiation_is_refused_under_tls13() {
    let mut p = connected(&TLS13, 4096);
    assert_eq!(p.client.renegotiate(), Err(RenegotiationRefused));
    // The connection goes on.
    let (got, _) = testing::transfer(&mut p.client, &mut p.server, b"still", 5, 10).unwrap();
    assert_eq!(got, b"still");
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
fn socket_kind_over_openssl_socket_bios() {
    let (a, b) = socketpair();
    let identity = self_signed("localhost");
    let server_ctx = context(Some(&identity), &TLS13);
    let client_ctx = context(None, &TLS13);
    let mut server = session(server_ctx, Role::Accept);
    let mut client = session(client_ctx, Role::Connect);
    // No fd yet: nothing to bind, the SSL stays as it is.
    assert_eq!(client.bind_socket(None), Ok(None));
    assert_eq!(client.socket_fd(), None);
    assert_eq!(client.bind_socket(Some(a)), Ok(Some(a)));
    assert_eq!(client.socket_fd(), Some(a));
    // The program set the server's fd itself: learnt, and a different fd is refused.
    // SAFETY: the server's SSL is valid; SSL_set_fd makes a socket BIO on b.
    assert_eq!(unsafe { sys::SSL_set_fd(server.ssl(), b) }, 1);
    assert_eq!(server.bind_socket(None), Ok(Some(b)));
    assert_eq!(server.bind_socket(Some(b)), Ok(Some(b)));
    assert_eq!(
        server.bind_socket(Some(a)),
        Err(BindError::FdMismatch {
            existing: b,
            given: a
        })
    );
    testing::handshake(&mut client, &mut server).unwrap();
    let data = pattern(300_000);
    let (got, stats) = testing::transfer(&mut client, &mut server, &data, 16_384, 8192).unwrap();
    assert!(got == data);
    let _ = stats;
    assert!(client.byte_counts().written > data.len() as u64);
    assert_eq!(client.byte_counts().written, server.byte_counts().read);
    // Neither SSL_free closes the fds (the engine does, per BEV_OPT_CLOSE_ON_FREE).
    drop(client);
    drop(server);
    // SAFETY: fcntl on fds the test still owns; F_GETFD fails only if closed.
    unsafe {
        assert!(libc::fcntl(a, libc::F_GETFD) >= 0);
        assert!(libc::fcntl(b, libc::F_GETFD) >= 0);
    }
    close(a);
    close(b);
    free_ctx(server_ctx);
    free_ctx(client_ctx);
}

#[test]
fn a_memory_bio_has_no_fd() {
    let ctx = context(None, &TLS13);
    let mut client = session(ctx, Role::Connect);
    // SAFETY: a memory BIO pair handed to the SSL, which owns it from then on.
    unsafe {
        let bio = ffi::BIO_new(ffi::BIO_s_mem());
        ffi::SSL_set_bio(client.ssl(), bio, bio);
    }
    assert_eq!(client.socket_fd(), None);
    assert_eq!(client.bind_socket(None), Ok(None));
    free_ctx(ctx);
}

#[test]
fn set_socket_fd_replaces_a_transport_and_keeps_the_totals() {
    let mut p = connected(&TLS13, 4096);
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
fn a_borrowed_ssl_outlives_its_session_safely() {
    let identity = self_signed("localhost");
    let ctx = context(Some(&identity), &TLS13);
    let ssl = new_ssl(ctx);
    {
        // SAFETY: the SSL stays the test's; the session does not free it.
        let mut borrowed = unsafe { OpenSslSession::new(ssl, Ownership::Borrowed) }.unwrap();
        assert!(borrowed.start_handshake(Role::Accept));
        let (end, _peer) = MemoryTransport::pair(64);
        borrowed.set_transport(Box::new(end)).unwrap();
        assert_eq!(borrowed.handshake(), Outcome::WantRead);
    }
    // The transport is gone; the SSL's BIO now fails instead of touching it.
    let mut buf = [0u8; 16];
    // SAFETY: the SSL is still valid and owned here.
    let r = unsafe { ffi::SSL_read(ssl, buf.as_mut_ptr().cast(), buf.len() as c_int) };
    assert!(r <= 0);
    // SAFETY: frees the test's SSL and context, once.
    unsafe {
        ffi::ERR_clear_error();
        ffi::SSL_free(ssl);
    }
    free_ctx(ctx);
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
    let ctx = context(None, &TLS13);
    let mut client = session(ctx, Role::Connect);
    client.set_transport(Box::new(PanickingTransport)).unwrap();
    let outcome = client.handshake();
    assert!(
        matches!(outcome, Outcome::Error | Outcome::Closed { clean: false }),
        "{outcome:?}"
    );
    let codes = client.take_errors();
    assert_eq!(codes.first(), Some(&(ffi::SSL_ERROR_SYSCALL as u64)));
    free_ctx(ctx);
}
