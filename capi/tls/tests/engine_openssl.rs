//! The engine driving real OpenSSL sessions: a client and a server socket-kind
//! engine over in-memory transports, each with a recording mock host.

use std::ffi::c_ulong;

use evrs_tls::engine::{event, Direction, Events, State, FLAG_BATCH_WRITE};
use evrs_tls::testing::host::{pump, Call, Side};
use evrs_tls::testing::pattern;
use evrs_tls::{MemoryTransport, Role, TlsSession};
use evrs_tls_openssl::testcert::{self_signed, Identity};
use evrs_tls_openssl::{sys, OpenSslSession, Ownership};
use openssl_sys as ffi;

#[derive(Clone, Default)]
struct Config {
    tls12: bool,
    trust: Option<Identity>,
}

/// A session in `role` over a fresh SSL of a context made for it.
fn session(role: Role, identity: &Identity, config: &Config) -> OpenSslSession {
    // SAFETY: a fresh context configured with objects made here (the context keeps
    // its own references), one SSL made from it and owned by the session.
    unsafe {
        let ctx = ffi::SSL_CTX_new(ffi::TLS_method());
        assert!(!ctx.is_null());
        if config.tls12 {
            assert_eq!(
                ffi::SSL_CTX_set_max_proto_version(ctx, ffi::TLS1_2_VERSION),
                1
            );
        }
        match role {
            Role::Accept => {
                ffi::SSL_CTX_set_options(ctx, sys::SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
                let (cert, key) = identity.load();
                assert_eq!(ffi::SSL_CTX_use_certificate(ctx, cert), 1);
                assert_eq!(ffi::SSL_CTX_use_PrivateKey(ctx, key), 1);
                ffi::X509_free(cert);
                ffi::EVP_PKEY_free(key);
            }
            Role::Connect => {
                if let Some(trusted) = &config.trust {
                    let (cert, key) = trusted.load();
                    assert_eq!(
                        ffi::X509_STORE_add_cert(ffi::SSL_CTX_get_cert_store(ctx), cert),
                        1
                    );
                    ffi::X509_free(cert);
                    ffi::EVP_PKEY_free(key);
                    ffi::SSL_CTX_set_verify(ctx, ffi::SSL_VERIFY_PEER, None);
                }
            }
        }
        let ssl = ffi::SSL_new(ctx);
        assert!(!ssl.is_null());
        ffi::SSL_CTX_free(ctx);
        OpenSslSession::new(ssl, Ownership::FreeOnDrop).unwrap()
    }
}

/// A client and a server engine, not connected yet, over transports holding
/// `capacity` bytes each way; both enabled for reading and writing.
fn pair(config: &Config, capacity: usize) -> (Side, Side) {
    let identity = self_signed("localhost");
    let (client_end, server_end) = MemoryTransport::pair(capacity);
    let mut client_session = session(Role::Connect, &identity, config);
    let mut server_session = session(Role::Accept, &identity, config);
    client_session
        .set_transport(Box::new(client_end.clone()))
        .unwrap();
    server_session
        .set_transport(Box::new(server_end.clone()))
        .unwrap();
    let mut client = Side::new(Box::new(client_session), client_end, State::Connecting);
    let mut server = Side::new(Box::new(server_session), server_end, State::Accepting);
    client.enable(Events::BOTH);
    server.enable(Events::BOTH);
    (client, server)
}

fn connected(config: &Config, capacity: usize) -> (Side, Side) {
    let (mut client, mut server) = pair(config, capacity);
    assert!(pump(&mut client, &mut server), "handshake stuck");
    assert!(
        client.connected(),
        "client events {:?}",
        client.program.events
    );
    assert!(
        server.connected(),
        "server events {:?}",
        server.program.events
    );
    (client, server)
}

fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

const TLS13: Config = Config {
    tls12: false,
    trust: None,
};

#[test]
fn both_roles_handshake_and_report_connected_once() {
    let (client, server) = connected(&TLS13, 4096);
    assert_eq!(client.program.events, vec![event::CONNECTED]);
    assert_eq!(server.program.events, vec![event::CONNECTED]);
    assert_eq!(client.engine.state(), State::Open);
    assert_eq!(server.engine.state(), State::Open);
    // The handshake's ciphertext was charged to the rate limits.
    assert!(client.host.consumed[0] > 0 && client.host.consumed[1] > 0);
    assert!(server.host.consumed[0] > 0 && server.host.consumed[1] > 0);
}

#[test]
fn eight_mebibytes_each_way_arrive_intact() {
    let (mut client, mut server) = connected(&TLS13, 64 * 1024);
    let up = pattern(8 << 20);
    client.write(&up);
    assert!(pump(&mut client, &mut server));
    assert_eq!(server.program.received.len(), up.len());
    assert_eq!(checksum(&server.program.received), checksum(&up));
    assert!(client.program.write_callbacks > 0);
    assert!(client.host.output.is_empty());
    // Once the output is empty the write event is no longer watched.
    assert!(!client.host.watching(Direction::Write));

    let down: Vec<u8> = pattern(3 << 20).into_iter().rev().collect();
    server.write(&down);
    assert!(pump(&mut client, &mut server));
    assert_eq!(checksum(&client.program.received), checksum(&down));
    assert!(client.program.received == down);
    // Ciphertext charged: more than the plaintext.
    assert!(client.host.consumed[1] > up.len());
    assert!(server.host.consumed[0] > up.len());
}

#[test]
fn the_high_watermark_stops_reading_until_the_input_drains() {
    let (mut client, mut server) = connected(&TLS13, 32 * 1024);
    server.host.high_watermark = 10_000;
    server.program.paused = true;
    let data = pattern(300_000);
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    let held = server.host.input.len();
    // At the mark, plus what one record's pending plaintext adds.
    assert!((10_000..10_000 + 16_384).contains(&held), "{held}");
    assert!(!server.host.watching(Direction::Read));
    assert!(server.host.watermark_suspended);
    assert!(!client.host.output.is_empty(), "the writer is held back");

    server.program.paused = false;
    server.program.received.extend(server.host.input.drain(..));
    server.below_high_watermark();
    assert!(pump(&mut client, &mut server));
    assert!(server.program.received == data);
}

#[test]
fn rate_limit_budgets_are_honoured() {
    let (mut client, mut server) = connected(&TLS13, 256 * 1024);
    client.host.refill(Direction::Write, 40_000);
    let data = pattern(200_000);
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    // The bucket ran out and writing stopped with the first record past it.
    assert!(client.host.saw(Call::BandwidthSuspended(Direction::Write)));
    let charged = client.host.consumed[1];
    let sent = data.len() - client.host.output.len();
    assert!(
        charged >= 40_000 && sent < 40_000 + 16_384,
        "{charged} {sent}"
    );
    // Every offer was within the budget left then (16 KiB at most).
    for call in &client.host.log {
        if let Call::Front { max, .. } = call {
            assert!(*max <= 16_384);
        }
    }
    // The reader's bucket.
    server.host.refill(Direction::Read, 20_000);
    client.host.refill(Direction::Write, 1 << 30);
    client.host.watching[1] = true;
    assert!(pump(&mut client, &mut server));
    assert!(server.host.saw(Call::BandwidthSuspended(Direction::Read)));
    let got = server.program.received.len();
    assert!(got < data.len(), "reading stopped at the budget: {got}");
    assert!(!server.host.watching(Direction::Read));
    // Refilled: everything arrives.
    server.host.refill(Direction::Read, 1 << 30);
    server.enable(Events::READ);
    assert!(pump(&mut client, &mut server));
    assert!(server.program.received == data);
}

#[test]
fn a_blocked_write_is_retried_with_the_same_bytes() {
    let (mut client, mut server) = connected(&TLS13, 1500);
    client.host.chunk = 4000;
    let data = pattern(100_000);
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    assert!(server.program.received == data);
    // After every blocked write, the next offer was exactly as long.
    let fronts: Vec<(usize, usize)> = client
        .host
        .log
        .iter()
        .filter_map(|call| match call {
            Call::Front { min, given, .. } => Some((*min, *given)),
            _ => None,
        })
        .collect();
    let retries = fronts.iter().filter(|(min, _)| *min > 1).count();
    assert!(retries > 0, "a 1500-byte transport must block writes");
    for pair in fronts.windows(2) {
        let (_, given) = pair[0];
        let (min, next_given) = pair[1];
        if min > 1 {
            assert_eq!(min, given, "the retry asks for the blocked length");
            assert_eq!(next_given, given, "and gets exactly it");
        }
    }
    assert_eq!(client.engine.pending_write(), None);
}

#[test]
fn batch_write_offers_whole_frames() {
    let (mut client, mut server) = connected(&TLS13, 1 << 20);
    client.host.chunk = 1000;
    let data = pattern(50_000);
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    let small = client
        .host
        .log
        .iter()
        .any(|call| matches!(call, Call::Front { given, .. } if *given > 1000));
    assert!(
        !small,
        "without the flag, offers follow the buffer's chains"
    );
    assert_eq!(client.engine.set_flags(FLAG_BATCH_WRITE), Some(0));
    client.host.log.clear();
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    let batched = client
        .host
        .log
        .iter()
        .filter(|call| matches!(call, Call::Front { given, .. } if *given > 1000))
        .count();
    assert!(batched > 0);
    assert_eq!(server.program.received.len(), 2 * data.len());
}

#[test]
fn a_clean_close_is_eof() {
    let (mut client, mut server) = connected(&TLS13, 4096);
    client.write(b"last words");
    assert!(pump(&mut client, &mut server));
    assert_eq!(
        client.engine.session_mut().close_notify(),
        evrs_tls::Outcome::Done(0)
    );
    client.end.close();
    assert!(pump(&mut client, &mut server));
    assert_eq!(server.program.received, b"last words");
    assert_eq!(
        server.program.events,
        vec![event::CONNECTED, event::EOF | event::READING]
    );
    assert!(!server.host.watching(Direction::Read));
    assert_eq!(server.engine.pop_error(), 0, "a clean close stores nothing");
}

fn dirty_close(allow: bool) -> (Side, u16) {
    let (mut client, mut server) = connected(&TLS13, 4096);
    server.engine.set_allow_dirty_shutdown(allow);
    assert_eq!(server.engine.allow_dirty_shutdown(), allow);
    client.write(b"cut");
    assert!(pump(&mut client, &mut server));
    client.end.close();
    assert!(pump(&mut client, &mut server));
    assert_eq!(server.program.received, b"cut");
    let last = *server.program.events.last().unwrap();
    (server, last)
}

#[test]
fn a_dirty_shutdown_is_an_error_unless_allowed() {
    let (mut server, last) = dirty_close(false);
    assert_eq!(last, event::ERROR | event::READING);
    assert_ne!(server.engine.pop_error(), 0, "the library's codes are kept");
    let (_, last) = dirty_close(true);
    assert_eq!(last, event::EOF | event::READING);
}

#[test]
fn a_verification_failure_stores_its_codes() {
    let config = Config {
        tls12: false,
        trust: Some(self_signed("localhost")),
    };
    // The server presents another certificate than the one the client trusts.
    let (mut client, mut server) = pair(&config, 4096);
    assert!(pump(&mut client, &mut server));
    assert_eq!(client.program.events, vec![event::ERROR | event::READING]);
    assert!(!client.connected());
    assert_eq!(client.engine.state(), State::Connecting);
    // Newest first; the oldest is SSL_get_error's class.
    let mut codes = Vec::new();
    loop {
        let code = client.engine.pop_error();
        if code == 0 {
            break;
        }
        codes.push(code);
    }
    assert!(!codes.is_empty() && codes.len() <= 3, "{codes:x?}");
    assert_eq!(*codes.last().unwrap(), ffi::SSL_ERROR_SSL as u64);
    let verify_failed = codes.iter().any(|&code| {
        let code = code as c_ulong;
        ffi::ERR_GET_LIB(code) == sys::ERR_LIB_SSL
            && ffi::ERR_GET_REASON(code) == sys::SSL_R_CERTIFICATE_VERIFY_FAILED
    });
    assert!(verify_failed, "{codes:x?}");
    // The server hears the alert.
    let last = *server.program.events.last().unwrap();
    assert_eq!(last & event::ERROR, event::ERROR);
}

const TLS12: Config = Config {
    tls12: true,
    trust: None,
};

#[test]
fn a_server_renegotiation_blocks_the_clients_read_on_write() {
    let (mut client, mut server) = connected(&TLS12, 8192);
    // The client's transport takes one byte at a time: answering the server's
    // request from inside a read, the client's read waits for the transport.
    client.end.set_capacity(1);
    server.engine.renegotiate(&mut server.host).unwrap();
    server.run_notices();
    assert_eq!(
        server.program.events,
        vec![event::CONNECTED, event::CONNECTED],
        "a server's renegotiation is over once its request is out"
    );
    assert!(pump(&mut client, &mut server));
    assert!(client.program.blocked_seen.0, "read blocked on write seen");
    assert_eq!(client.engine.blocked_flags(), (false, false));
    client.end.set_capacity(8192);
    let data = pattern(100_000);
    client.write(&data);
    server.write(&data);
    assert!(pump(&mut client, &mut server));
    assert!(server.program.received == data);
    assert!(client.program.received == data);
    assert_eq!(client.program.events, vec![event::CONNECTED]);
}

#[test]
fn a_renegotiation_during_a_blocked_write_blocks_the_write_on_read() {
    let (mut client, mut server) = connected(&TLS12, 8192);
    // The server stops taking data: the client's transport fills, its write blocks.
    server.host.high_watermark = 1000;
    server.program.paused = true;
    let data = pattern(200_000);
    client.write(&data);
    assert!(pump(&mut client, &mut server));
    assert!(client.engine.pending_write().is_some());
    assert_eq!(client.end.room(), 0);
    // The server asks for a renegotiation; once the server reads again, the client's
    // retried write needs the server's answer first.
    server.engine.renegotiate(&mut server.host).unwrap();
    server.run_notices();
    assert!(pump(&mut client, &mut server));
    server.program.paused = false;
    server.program.received.extend(server.host.input.drain(..));
    server.below_high_watermark();
    assert!(pump(&mut client, &mut server));
    assert!(client.program.blocked_seen.1, "write blocked on read seen");
    assert_eq!(client.engine.blocked_flags(), (false, false));
    assert!(server.program.received == data);
    let reply = pattern(30_000);
    server.write(&reply);
    assert!(pump(&mut client, &mut server));
    assert!(client.program.received == reply);
}

mod filter {
    //! Filter-kind engines whose underlying bufferevents are a pair of byte queues:
    //! what one writes to its underlying output, the other's underlying input gets.

    use super::*;
    use evrs_tls::engine::{Engine, Kind, Notice};
    use evrs_tls::testing::host::MockHost;
    use evrs_tls::{Transport, TransportIo};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    #[derive(Default)]
    struct Underlying {
        input: VecDeque<u8>,
        output: VecDeque<u8>,
        /// The peer's underlying bufferevent is gone: EOF after the input.
        eof: bool,
    }

    /// The session's transport over the underlying bufferevent's buffers.
    struct Buffers(Rc<RefCell<Underlying>>);

    impl Transport for Buffers {
        fn recv(&mut self, buf: &mut [u8]) -> TransportIo {
            let mut u = self.0.borrow_mut();
            if u.input.is_empty() {
                return if u.eof {
                    TransportIo::Eof
                } else {
                    TransportIo::WouldBlock
                };
            }
            let n = buf.len().min(u.input.len());
            for (slot, byte) in buf.iter_mut().zip(u.input.drain(..n)) {
                *slot = byte;
            }
            TransportIo::Ready(n)
        }
        fn send(&mut self, buf: &[u8]) -> TransportIo {
            self.0.borrow_mut().output.extend(buf);
            TransportIo::Ready(buf.len())
        }
    }

    struct FilterSide {
        engine: Engine,
        host: MockHost,
        under: Rc<RefCell<Underlying>>,
        received: Vec<u8>,
        events: Vec<u16>,
    }

    impl FilterSide {
        fn new(mut session: OpenSslSession, state: State) -> FilterSide {
            let under = Rc::new(RefCell::new(Underlying::default()));
            session
                .set_transport(Box::new(Buffers(Rc::clone(&under))))
                .unwrap();
            let mut side = FilterSide {
                engine: Engine::new(Box::new(session), Kind::Filter, state, false),
                host: MockHost::default(),
                under,
                received: Vec::new(),
                events: Vec::new(),
            };
            side.engine.start(&mut side.host, None).unwrap();
            side
        }

        fn enable(&mut self, events: Events) {
            self.host.enabled = events;
            self.engine.enable(&mut self.host, events).unwrap();
        }

        fn write(&mut self, data: &[u8]) {
            let orig_len = self.host.output.len();
            self.host.output.extend(data);
            self.engine.on_output_added(&mut self.host, orig_len);
        }

        fn notices(&mut self) -> bool {
            let mut any = false;
            while let Some(notice) = self.engine.next_notice() {
                any = true;
                match notice {
                    Notice::Read => self.received.extend(self.host.input.drain(..)),
                    Notice::Write => {}
                    Notice::Event { events, .. } => self.events.push(events),
                }
            }
            any
        }
    }

    /// Moves `from`'s underlying output to `to`'s underlying input, then runs the
    /// callbacks the underlying bufferevents would: `to`'s read callback (if its
    /// reading is not suspended), `from`'s write callback (its output drained).
    fn transfer(from: &mut FilterSide, to: &mut FilterSide) -> bool {
        let moved: Vec<u8> = from.under.borrow_mut().output.drain(..).collect();
        if moved.is_empty() {
            return from.notices() | to.notices();
        }
        to.under.borrow_mut().input.extend(moved);
        if to.host.underlying_reading {
            to.engine.on_readable(&mut to.host);
        }
        from.engine.on_writable(&mut from.host);
        from.notices();
        to.notices();
        true
    }

    fn run(a: &mut FilterSide, b: &mut FilterSide) {
        for _ in 0..100_000 {
            let ab = transfer(a, b);
            let ba = transfer(b, a);
            // Input held back while the underlying did not read: read it once it does.
            let mut late = false;
            for side in [&mut *a, &mut *b] {
                if side.host.underlying_reading && !side.under.borrow().input.is_empty() {
                    let before = side.under.borrow().input.len();
                    side.engine.on_readable(&mut side.host);
                    late |= side.under.borrow().input.len() != before;
                    side.notices();
                }
            }
            if !ab && !ba && !late {
                return;
            }
        }
        panic!("filter link stuck");
    }

    fn pair() -> (FilterSide, FilterSide) {
        let identity = self_signed("localhost");
        let mut client =
            FilterSide::new(session(Role::Connect, &identity, &TLS13), State::Connecting);
        let mut server =
            FilterSide::new(session(Role::Accept, &identity, &TLS13), State::Accepting);
        server.enable(Events::BOTH);
        client.enable(Events::BOTH);
        run(&mut client, &mut server);
        assert_eq!(client.events, vec![event::CONNECTED]);
        assert_eq!(server.events, vec![event::CONNECTED]);
        (client, server)
    }

    #[test]
    fn filters_handshake_when_enabled_and_carry_data_both_ways() {
        let (mut client, mut server) = pair();
        let up = pattern(1 << 20);
        client.write(&up);
        run(&mut client, &mut server);
        assert_eq!(checksum(&server.received), checksum(&up));
        let down = pattern(300_000);
        server.write(&down);
        run(&mut client, &mut server);
        assert!(client.received == down);
        assert!(client.host.saw(Call::RestartTimeout(Direction::Write)));
        assert!(server.host.saw(Call::RestartTimeout(Direction::Read)));
    }

    #[test]
    fn the_underlying_output_watermark_bounds_each_write_pass() {
        let (mut client, mut server) = pair();
        client.host.underlying_room = Some(5000);
        client.host.log.clear();
        let data = pattern(60_000);
        client.write(&data);
        for call in &client.host.log {
            if let Call::Front { max, .. } = call {
                assert!(*max <= 5000, "{call:?}");
            }
        }
        client.host.underlying_room = None;
        client.engine.on_writable(&mut client.host);
        run(&mut client, &mut server);
        assert!(server.received == data);
    }

    #[test]
    fn disabled_reading_suspends_the_underlying_reading() {
        let (mut client, mut server) = pair();
        server.host.enabled = Events::WRITE;
        server.engine.disable(&mut server.host, Events::READ);
        assert!(!server.host.underlying_reading);
        client.write(b"held");
        run(&mut client, &mut server);
        assert!(server.received.is_empty());
        assert!(
            !server.under.borrow().input.is_empty(),
            "left in the underlying"
        );
        server.enable(Events::BOTH);
        run(&mut client, &mut server);
        assert_eq!(server.received, b"held");
    }

    #[test]
    fn a_close_notify_before_the_underlying_eof_is_a_clean_eof() {
        let (mut client, mut server) = pair();
        client.write(b"bye");
        run(&mut client, &mut server);
        assert_eq!(
            client.engine.session_mut().close_notify(),
            evrs_tls::Outcome::Done(0)
        );
        // The close_notify and the EOF arrive together; the records are read first.
        let alert: Vec<u8> = client.under.borrow_mut().output.drain(..).collect();
        server.under.borrow_mut().input.extend(alert);
        server.under.borrow_mut().eof = true;
        server
            .engine
            .on_underlying_event(&mut server.host, event::EOF | event::READING, 0);
        server.notices();
        assert_eq!(server.received, b"bye");
        assert_eq!(
            server.events,
            vec![event::CONNECTED, event::EOF | event::READING]
        );
    }

    #[test]
    fn an_underlying_eof_without_close_notify_follows_the_flag() {
        for (allow, expected) in [(false, event::ERROR), (true, event::EOF)] {
            let (_client, mut server) = pair();
            server.engine.set_allow_dirty_shutdown(allow);
            server.under.borrow_mut().eof = true;
            server
                .engine
                .on_underlying_event(&mut server.host, event::EOF | event::READING, 0);
            server.notices();
            let last = *server.events.last().unwrap();
            // Reading first met the transport's EOF (dirty, READING), which is
            // what gets reported; the underlying's own EOF then adds nothing.
            assert_eq!(last & (event::EOF | event::ERROR), expected, "{last:x}");
            assert_eq!(server.events.len(), 2);
        }
    }
}
