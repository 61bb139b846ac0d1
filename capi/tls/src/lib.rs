//! What a TLS library does for one TLS bufferevent.
//!
//! The TLS bufferevents (event2/bufferevent_ssl.h) run one engine over either TLS
//! library; the engine sees a library only through [`TlsSession`], one TLS connection
//! over the program's own library object (an OpenSSL `SSL`, an Mbed TLS
//! `mbedtls_ssl_context`). The session moves its ciphertext through a [`Transport`]:
//! a socket (the socket kind) or another bufferevent's buffers (the filter kind), or,
//! for the socket kind, the library's own socket I/O ([`TlsSession::bind_socket`]).
//!
//! Every session call returns an [`Outcome`] already classified, so the engine never
//! sees a library's own codes except as the numbers [`TlsSession::take_errors`] gives
//! out (what `bufferevent_get_openssl_error`/`_mbedtls_error` return).

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

/// The result of one session call, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success: bytes of plaintext read or written (0 for a handshake or a
    /// close_notify that completed).
    Done(usize),
    /// The call needs ciphertext from the transport first: call it again (for a
    /// write: with the same bytes, see [`TlsSession::write`]) once the transport is
    /// readable.
    WantRead,
    /// The call needs the transport to take ciphertext first: call again once the
    /// transport is writable.
    WantWrite,
    /// The connection is over. `clean`: the peer sent close_notify; otherwise the
    /// transport ended without it (a dirty shutdown, which the engine reports as EOF
    /// or as an error depending on BUFFEREVENT_SSL_DIRTY_SHUTDOWN).
    Closed { clean: bool },
    /// A protocol, verification or transport failure; [`TlsSession::take_errors`]
    /// gives the codes.
    Error,
}

/// Ciphertext bytes that went through the transport since the session was made;
/// they only grow (wrapping), so the engine charges rate limits with differences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteCounts {
    pub read: u64,
    pub written: u64,
}

/// Why a session could not take the transport or socket it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindError {
    /// The library object already does I/O on another fd than the one given
    /// (libevent refuses this too).
    FdMismatch { existing: i32, given: i32 },
    /// The library object does I/O through something whose fd cannot be known, and
    /// no fd was given.
    UnknownFd,
    /// The library could not allocate its I/O object.
    OutOfMemory,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::FdMismatch { existing, given } => {
                write!(f, "the TLS object already uses fd {existing}, not {given}")
            }
            BindError::UnknownFd => f.write_str("the TLS object's I/O has no known fd"),
            BindError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

impl std::error::Error for BindError {}

/// The session's renegotiation could not start (the protocol version or the
/// library's configuration forbids it, or the handshake is not over yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenegotiationRefused;

/// Which side of the handshake a session plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `BUFFEREVENT_SSL_CONNECTING`: the client.
    Connect,
    /// `BUFFEREVENT_SSL_ACCEPTING`: the server.
    Accept,
}

/// What a transport call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportIo {
    /// Bytes moved (never 0 for a non-empty buffer).
    Ready(usize),
    /// Nothing can move now; the engine will call the session again when it can.
    WouldBlock,
    /// recv: the peer closed its end (no more ciphertext will come).
    /// send: the transport no longer takes data.
    Eof,
    /// An I/O error, as an errno value.
    Failed(i32),
}

/// Where a session reads and writes its ciphertext. The socket kind gives one over
/// its fd, the filter kind one over the underlying bufferevent's input and output
/// (taking no more than the output's high watermark allows, as libevent's BIOs do).
///
/// The session calls it only from inside its own calls (read, write, handshake,
/// close_notify, renegotiate), on the same thread.
pub trait Transport {
    /// Moves received ciphertext into `buf` (not empty).
    fn recv(&mut self, buf: &mut [u8]) -> TransportIo;
    /// Takes ciphertext from `buf` (not empty); may take fewer bytes than given.
    fn send(&mut self, buf: &[u8]) -> TransportIo;
}

/// One TLS connection over a TLS library's object, as the TLS bufferevent engine
/// drives it (libevent's `struct le_ssl_ops`).
///
/// Dropping the session releases what it made (its I/O objects, its transport) and,
/// if it was made owning the library object (`BEV_OPT_CLOSE_ON_FREE`), the object;
/// an object left to the program no longer points at anything the session freed.
/// Closing a socket fd is the engine's business ([`TlsSession::socket_fd`]).
pub trait TlsSession {
    /// Resets the object for a new handshake in `role` (libevent's `clear` followed by
    /// `set_connect_state`/`set_accept_state`, done when a bufferevent starts in the
    /// CONNECTING or ACCEPTING state or gets a new fd). Returns false if the library
    /// refused to reset.
    fn start_handshake(&mut self, role: Role) -> bool;

    /// Advances the handshake: `Done(0)` once it is complete (also when it already
    /// was), WantRead/WantWrite while it needs the transport.
    fn handshake(&mut self) -> Outcome;

    /// Decrypts into `buf` (not empty): `Done(n)` with `n > 0`.
    fn read(&mut self, buf: &mut [u8]) -> Outcome;

    /// Encrypts from `buf` (not empty): `Done(n)`, `0 < n <= buf.len()`.
    ///
    /// The retry rule (OpenSSL's, and Mbed TLS's too): after WantRead or WantWrite,
    /// the library has taken the bytes in part and the next `write` on this session
    /// must pass the same bytes again, at least as many as before, before any other
    /// data. The engine keeps the failed length (libevent's `last_write`) and the
    /// bytes at the front of its output buffer untouched until a `write` returns
    /// `Done`; the buffer may move in memory meanwhile (the session allows that).
    /// Reads may happen in between (a write blocked on read).
    fn write(&mut self, buf: &[u8]) -> Outcome;

    /// Plaintext already decrypted and waiting in the library: readable without
    /// touching the transport.
    fn pending(&self) -> usize;

    /// Starts a renegotiation; the engine then calls [`TlsSession::handshake`] until
    /// `Done` (a server's completes once its request is out: the client answers, and
    /// the server finishes, during later reads). Refused: TLS 1.3 (no renegotiation),
    /// a handshake not over yet, renegotiation disabled by configuration. A peer that
    /// refuses (OpenSSL 3 servers do unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION) shows
    /// as an `Error` from the handshake calls that follow.
    fn renegotiate(&mut self) -> Result<(), RenegotiationRefused>;

    /// Sends close_notify: `Done(0)` once it is handed to the transport, WantWrite
    /// until then. Does not wait for the peer's.
    fn close_notify(&mut self) -> Outcome;

    /// The error codes the last call that returned `Error` or `Closed` left, oldest
    /// first, in the order libevent records them; empty after it is called. Each call
    /// of the session starts with an empty list.
    ///
    /// OpenSSL: the `SSL_get_error` class (1 SSL, 5 SYSCALL, ...) then the thread's
    /// error queue drained (packed `unsigned long` codes); nothing for a clean close.
    /// Mbed TLS: the one negative code as libevent stores it (`code as u32`), also for
    /// a clean close (PEER_CLOSE_NOTIFY) and a transport EOF (CONN_EOF), nothing for a
    /// read that returned 0. The engine keeps the first three
    /// (`bufferevent_get_openssl_error` gives the newest first).
    fn take_errors(&mut self) -> Vec<u64>;

    /// The OS error (`errno`) the socket I/O of the last call that returned `Error`
    /// or `Closed` met, 0 for none: what libevent's event callback finds in `errno`
    /// after a reset (ECONNRESET).
    fn os_error(&self) -> i32 {
        0
    }

    /// Ciphertext moved through the transport so far, for the rate limits.
    fn byte_counts(&self) -> ByteCounts;

    /// The bufferevent is being freed (`bufferevent_free`, its unlink). The core drops
    /// the session later, in the loop, and a program may free the library object it
    /// kept meanwhile (libevent never touches a borrowed one after unlink), so a
    /// session that would touch it on drop lets go of it now. Nothing by default.
    fn unlink(&mut self) {}

    /// Sends and receives ciphertext through `transport` from now on (the filter
    /// kind, and the socket kind where the engine does socket I/O itself).
    fn set_transport(&mut self, transport: Box<dyn Transport>) -> Result<(), BindError>;

    /// The socket kind with the library's own socket I/O, libevent's rule for an
    /// object the program may have set up already: with `fd` None, use the fd the
    /// object already has (Ok(None) if it has none: the engine learns it later through
    /// `BEV_CTRL_SET_FD`); with `Some(fd)`, use the object's I/O as it stands if it is
    /// on that fd, refuse if it is on another fd, else set up I/O on `fd`. The library
    /// never closes the fd. Returns the fd in use.
    ///
    /// OpenSSL: the fd of a descriptor BIO in the SSL's write chain (a memory or other
    /// BIO has none, and stays as it is until an fd is given); that BIO is told not to
    /// close the fd. Mbed TLS: the fd of the program's `mbedtls_net_send/_recv`
    /// binding, rebound to the session's own callbacks on the same fd (as libevent
    /// rebinds); callbacks of the program's own give `UnknownFd` (libevent makes up an
    /// fd from LONG_MAX there).
    fn bind_socket(&mut self, fd: Option<i32>) -> Result<Option<i32>, BindError>;

    /// Sets up the library's own socket I/O on `fd`, replacing what was there
    /// (`bufferevent_setfd` on a socket-kind TLS bufferevent).
    fn set_socket_fd(&mut self, fd: i32) -> Result<(), BindError>;

    /// The fd the library's socket I/O uses, if it has one.
    fn socket_fd(&self) -> Option<i32>;
}

/// One direction of [`MemoryTransport`]: bytes in flight, a capacity, and whether the
/// writer is done.
#[derive(Debug, Default)]
struct Lane {
    bytes: VecDeque<u8>,
    capacity: usize,
    closed: bool,
}

/// An in-memory transport: two of them ([`MemoryTransport::pair`]) connect a client
/// session to a server session in tests. Each direction holds at most `capacity`
/// bytes, so sends can be partial and would-block, and receives can would-block.
#[derive(Debug, Clone)]
pub struct MemoryTransport {
    incoming: Rc<RefCell<Lane>>,
    outgoing: Rc<RefCell<Lane>>,
    counts: Rc<RefCell<ByteCounts>>,
}

impl MemoryTransport {
    /// Two connected ends; each direction holds at most `capacity` bytes (at least 1).
    pub fn pair(capacity: usize) -> (MemoryTransport, MemoryTransport) {
        let lane = || {
            Rc::new(RefCell::new(Lane {
                capacity: capacity.max(1),
                ..Lane::default()
            }))
        };
        let (a_to_b, b_to_a) = (lane(), lane());
        let a = MemoryTransport {
            incoming: Rc::clone(&b_to_a),
            outgoing: Rc::clone(&a_to_b),
            counts: Rc::default(),
        };
        let b = MemoryTransport {
            incoming: a_to_b,
            outgoing: b_to_a,
            counts: Rc::default(),
        };
        (a, b)
    }

    /// Ends this side's sending: the peer's recv says Eof once it has read the rest.
    pub fn close(&self) {
        self.outgoing.borrow_mut().closed = true;
    }

    /// Bytes sent and not yet received by the peer.
    pub fn in_flight(&self) -> usize {
        self.outgoing.borrow().bytes.len()
    }

    /// Bytes waiting to be received by this end.
    pub fn available(&self) -> usize {
        self.incoming.borrow().bytes.len()
    }

    /// Bytes this end has received and sent through recv/send.
    pub fn counts(&self) -> ByteCounts {
        *self.counts.borrow()
    }

    /// How many more bytes this end can send now.
    pub fn room(&self) -> usize {
        let lane = self.outgoing.borrow();
        if lane.closed {
            return 0;
        }
        lane.capacity.saturating_sub(lane.bytes.len())
    }

    /// Whether the peer closed its sending end and everything it sent was received
    /// (the next recv says Eof).
    pub fn peer_closed(&self) -> bool {
        let lane = self.incoming.borrow();
        lane.closed && lane.bytes.is_empty()
    }

    /// Changes how many bytes each direction from this end holds (at least 1).
    pub fn set_capacity(&self, capacity: usize) {
        self.outgoing.borrow_mut().capacity = capacity.max(1);
    }
}

impl Transport for MemoryTransport {
    fn recv(&mut self, buf: &mut [u8]) -> TransportIo {
        let mut lane = self.incoming.borrow_mut();
        if lane.bytes.is_empty() {
            return if lane.closed {
                TransportIo::Eof
            } else {
                TransportIo::WouldBlock
            };
        }
        let n = buf.len().min(lane.bytes.len());
        for (slot, byte) in buf.iter_mut().zip(lane.bytes.drain(..n)) {
            *slot = byte;
        }
        self.counts.borrow_mut().read += n as u64;
        TransportIo::Ready(n)
    }

    fn send(&mut self, buf: &[u8]) -> TransportIo {
        let mut lane = self.outgoing.borrow_mut();
        if lane.closed {
            return TransportIo::Eof;
        }
        let room = lane.capacity.saturating_sub(lane.bytes.len());
        if room == 0 {
            return TransportIo::WouldBlock;
        }
        let n = buf.len().min(room);
        lane.bytes.extend(&buf[..n]);
        self.counts.borrow_mut().written += n as u64;
        TransportIo::Ready(n)
    }
}

pub mod engine;
pub mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_transport_is_bounded_and_ends() {
        let (mut a, mut b) = MemoryTransport::pair(4);
        let mut buf = [0u8; 8];
        assert_eq!(b.recv(&mut buf), TransportIo::WouldBlock);
        assert_eq!(a.send(b"abcdef"), TransportIo::Ready(4));
        assert_eq!(a.send(b"ef"), TransportIo::WouldBlock);
        assert_eq!(a.in_flight(), 4);
        assert_eq!(b.available(), 4);
        assert_eq!(b.recv(&mut buf[..3]), TransportIo::Ready(3));
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(a.send(b"ef"), TransportIo::Ready(2));
        a.close();
        assert_eq!(a.send(b"g"), TransportIo::Eof);
        assert_eq!(b.recv(&mut buf), TransportIo::Ready(3));
        assert_eq!(&buf[..3], b"def");
        assert_eq!(b.recv(&mut buf), TransportIo::Eof);
        assert_eq!(
            a.counts(),
            ByteCounts {
                read: 0,
                written: 6
            }
        );
        assert_eq!(
            b.counts(),
            ByteCounts {
                read: 6,
                written: 0
            }
        );
        // The other direction is still open.
        assert_eq!(b.send(b"x"), TransportIo::Ready(1));
        assert_eq!(a.recv(&mut buf), TransportIo::Ready(1));
    }

    #[test]
    fn capacity_can_change() {
        let (mut a, _b) = MemoryTransport::pair(1);
        assert_eq!(a.send(b"ab"), TransportIo::Ready(1));
        a.set_capacity(3);
        assert_eq!(a.send(b"bcd"), TransportIo::Ready(2));
    }
}
