//! Drives two sessions against each other over [`MemoryTransport`](crate::MemoryTransport)s, as the engine
//! would, for the TLS libraries' tests: handshakes, transfers that obey the write
//! retry rule, and what each side saw.

use crate::{Outcome, TlsSession};

pub mod cdecl;
pub mod host;

/// How many rounds a loop may take before it is declared stuck.
const MAX_ROUNDS: usize = 100_000;

/// A failed exchange: what happened, with the error codes each side gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub outcome: Outcome,
    pub codes: Vec<u64>,
}

fn fail(what: &str, outcome: Outcome, session: &mut dyn TlsSession) -> Failure {
    Failure {
        what: what.to_owned(),
        outcome,
        codes: session.take_errors(),
    }
}

/// Runs both handshakes to completion. Err names the side that failed first. A side
/// that is done goes on reading, as an enabled bufferevent would (a TLS 1.3 server
/// finishes by sending tickets that the client must take).
pub fn handshake(client: &mut dyn TlsSession, server: &mut dyn TlsSession) -> Result<(), Failure> {
    let (mut client_done, mut server_done) = (false, false);
    let mut scratch = [0u8; 256];
    for _ in 0..MAX_ROUNDS {
        if client_done {
            keep_reading(client, &mut scratch, "client read after handshake")?;
        }
        if server_done {
            keep_reading(server, &mut scratch, "server read after handshake")?;
        }
        if !client_done {
            match client.handshake() {
                Outcome::Done(_) => client_done = true,
                Outcome::WantRead | Outcome::WantWrite => {}
                other => return Err(fail("client handshake", other, client)),
            }
        }
        if !server_done {
            match server.handshake() {
                Outcome::Done(_) => server_done = true,
                Outcome::WantRead | Outcome::WantWrite => {}
                other => return Err(fail("server handshake", other, server)),
            }
        }
        if client_done && server_done {
            return Ok(());
        }
    }
    Err(Failure {
        what: "handshake stuck".into(),
        outcome: Outcome::WantRead,
        codes: Vec::new(),
    })
}

/// One read by a side whose handshake is over; no application data is expected yet.
fn keep_reading(
    session: &mut dyn TlsSession,
    scratch: &mut [u8],
    what: &str,
) -> Result<(), Failure> {
    match session.read(scratch) {
        Outcome::WantRead | Outcome::WantWrite => Ok(()),
        other => Err(fail(what, other, session)),
    }
}

/// What a transfer saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TransferStats {
    /// Writes that said WantWrite/WantRead and were retried with the same bytes.
    pub write_retries: usize,
    /// Reads that said WantRead (nothing decrypted yet).
    pub read_waits: usize,
    /// Writes that took fewer bytes than offered.
    pub short_writes: usize,
}

/// Sends `data` from `writer` to `reader`, writing at most `chunk` bytes a call and
/// reading into `read_buf`-sized buffers; follows the retry rule (after a Want, the
/// same bytes again). Returns what the reader got.
pub fn transfer(
    writer: &mut dyn TlsSession,
    reader: &mut dyn TlsSession,
    data: &[u8],
    chunk: usize,
    read_buf: usize,
) -> Result<(Vec<u8>, TransferStats), Failure> {
    let mut stats = TransferStats::default();
    let mut received = Vec::with_capacity(data.len());
    let mut sent = 0;
    // libevent's last_write: the length of a write that must be repeated.
    let mut last_write: Option<usize> = None;
    let mut buf = vec![0u8; read_buf.max(1)];
    for _ in 0..MAX_ROUNDS {
        if sent < data.len() {
            let len = last_write.unwrap_or_else(|| chunk.min(data.len() - sent));
            match writer.write(&data[sent..sent + len]) {
                Outcome::Done(n) => {
                    assert!(n > 0 && n <= len, "write said Done({n}) for {len} bytes");
                    if n < len {
                        stats.short_writes += 1;
                    }
                    sent += n;
                    last_write = None;
                }
                Outcome::WantRead | Outcome::WantWrite => {
                    stats.write_retries += 1;
                    last_write = Some(len);
                }
                other => return Err(fail("write", other, writer)),
            }
        }
        loop {
            match reader.read(&mut buf) {
                Outcome::Done(n) => received.extend_from_slice(&buf[..n]),
                Outcome::WantRead | Outcome::WantWrite => {
                    stats.read_waits += 1;
                    break;
                }
                other => return Err(fail("read", other, reader)),
            }
            if reader.pending() == 0 {
                break;
            }
        }
        if received.len() >= data.len() && sent == data.len() {
            return Ok((received, stats));
        }
    }
    Err(Failure {
        what: format!("transfer stuck at {sent} sent, {} received", received.len()),
        outcome: Outcome::WantRead,
        codes: Vec::new(),
    })
}

/// Reads from `session` until it says something other than WantRead/Done; returns
/// that (Closed or Error) with the plaintext read on the way.
pub fn read_until_end(session: &mut dyn TlsSession) -> (Outcome, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    for _ in 0..MAX_ROUNDS {
        match session.read(&mut buf) {
            Outcome::Done(n) => got.extend_from_slice(&buf[..n]),
            Outcome::WantRead => return (Outcome::WantRead, got),
            other => return (other, got),
        }
    }
    (Outcome::WantRead, got)
}

/// A deterministic byte pattern of `len` bytes, for checking transfers.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}
