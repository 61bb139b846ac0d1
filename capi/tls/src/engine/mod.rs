//! The TLS bufferevent engine: one TLS bufferevent's state machine (handshake, read
//! and write loops, blocked-on flags, the write retry rule, dirty shutdown, the error
//! store, the flags), over a [`TlsSession`] and a [`Host`].
//!
//! The engine never runs program code: what the program must hear (read and write
//! callbacks, the event callback) is queued as [`Notice`]s, taken with
//! [`Engine::next_notice`] once the engine is no longer borrowed. [`EngineCell`]
//! wraps an engine for C glue whose driving calls may come back re-entrantly.

mod cell;
mod fifo;
mod host;

pub use cell::{EngineCell, Input};
pub use host::{Direction, Events, Host};

use crate::{ByteCounts, Outcome, Role, TlsSession};
use fifo::Fifo;

/// `BEV_EVENT_*` bits of event notices.
pub mod event {
    pub const READING: u16 = 0x01;
    pub const WRITING: u16 = 0x02;
    pub const EOF: u16 = 0x10;
    pub const ERROR: u16 = 0x20;
    pub const TIMEOUT: u16 = 0x40;
    pub const CONNECTED: u16 = 0x80;
}

/// `BUFFEREVENT_SSL_DIRTY_SHUTDOWN`: a connection ended without close_notify is
/// reported as EOF, not ERROR.
pub const FLAG_DIRTY_SHUTDOWN: u64 = 1;
/// `BUFFEREVENT_SSL_BATCH_WRITE`: the output is made contiguous before writing, so
/// records are as large as the budget allows.
pub const FLAG_BATCH_WRITE: u64 = 2;
const KNOWN_FLAGS: u64 = FLAG_DIRTY_SHUTDOWN | FLAG_BATCH_WRITE;

/// How much one write pass offers at most without a watermark: whole TLS records
/// (16 KiB of plaintext each), four of them. libevent's frame is 15,000 bytes, which
/// it then replaces by the write budget; a frame that is not a multiple of a record
/// cuts one short record per pass.
const WRITE_FRAME: usize = 4 * 16 * 1024;
/// Plaintext read per session call at most (a TLS record holds 16 KiB).
const READ_CHUNK: usize = 16 * 1024;
/// What a read pass that unblocks a write takes (libevent's figure).
const UNBLOCK_READ: usize = 1024;
/// Entries of the error store (libevent keeps three).
const ERROR_SLOTS: usize = 3;

/// Where the ciphertext goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Through a socket: the session's own socket I/O or a transport over the fd;
    /// readiness comes from the fd events ([`Host::watch_fd`]).
    Socket,
    /// Through an underlying bufferevent's buffers; readiness comes from its
    /// callbacks.
    Filter,
}

/// `enum bufferevent_ssl_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Connecting,
    Accepting,
}

impl State {
    fn role(self) -> Option<Role> {
        match self {
            State::Open => None,
            State::Connecting => Some(Role::Connect),
            State::Accepting => Some(Role::Accept),
        }
    }
}

/// Something the program must hear, in order. The caller runs each with no borrow
/// of the engine alive (the program may call any API from its callbacks, including
/// freeing the bufferevent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// `bufferevent_trigger_nolock_(bev, EV_READ, 0)`: the read callback, with the
    /// watermarks and the bufferevent's own deferral option.
    Read,
    /// `bufferevent_trigger_nolock_(bev, EV_WRITE, BEV_OPT_DEFER_CALLBACKS)`: the
    /// write callback, always deferred.
    Write,
    /// `bufferevent_run_eventcb_(bev, events, 0)` with `errno` = `error` (0: leave
    /// it).
    Event { events: u16, error: i32 },
}

/// Why a driving call failed (libevent's -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The session refused: reset, fd binding, renegotiation.
    Session,
    /// The host refused an operation (event add, underlying setfd).
    Host,
    /// The engine is already running (a re-entrant call [`EngineCell`] cannot queue).
    Busy,
}

/// What a read or write pass did (libevent's OP_* bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pass {
    progress: bool,
    blocked: bool,
    failed: bool,
}

impl Pass {
    fn stop(self) -> bool {
        self.blocked || self.failed
    }
    fn merge(&mut self, other: Pass) {
        self.progress |= other.progress;
        self.blocked |= other.blocked;
        self.failed |= other.failed;
    }
}

/// The memory behind `Engine::spare`.
#[derive(Default)]
struct SpareRead {
    /// Plaintext the session gave that the input buffer refused; appended first
    /// next time, so nothing is lost.
    stash: Vec<u8>,
    /// Where a read goes when the input buffer lends no space.
    scratch: Vec<u8>,
}

/// The engine of one TLS bufferevent.
pub struct Engine {
    session: Box<dyn TlsSession>,
    kind: Kind,
    state: State,
    /// The state a new fd restarts in (libevent's old_state).
    initial_state: State,
    close_on_free: bool,
    flags: u64,
    /// The length of the write that must be repeated (the session's retry rule).
    last_write: Option<usize>,
    read_blocked_on_write: bool,
    write_blocked_on_read: bool,
    /// The fd the socket kind's events watch.
    fd: Option<i32>,
    /// The session's byte counts when last charged to the rate limits.
    charged: ByteCounts,
    errors: [u32; ERROR_SLOTS],
    n_errors: usize,
    /// The connection ended and that was reported (the underlying's EOF then says
    /// nothing more).
    end_reported: bool,
    /// Memory for reads the input buffer could not take in place (it lent no space,
    /// or refused the plaintext); made when needed and let go once emptied.
    spare: Option<Box<SpareRead>>,
    /// The connection ended in a filter's read pass that also brought data: reported
    /// (with the session's error codes and errno of that call) after the data.
    ended_after_data: Option<Box<(Outcome, Vec<u64>, i32)>>,
    notices: Fifo<Notice, 4>,
}

impl Engine {
    /// An engine over `session` for a bufferevent of `kind` starting in `state`;
    /// `close_on_free` is `BEV_OPT_CLOSE_ON_FREE`. Call [`Engine::start`] next.
    pub fn new(
        session: Box<dyn TlsSession>,
        kind: Kind,
        state: State,
        close_on_free: bool,
    ) -> Engine {
        let charged = session.byte_counts();
        Engine {
            session,
            kind,
            state,
            initial_state: state,
            close_on_free,
            flags: 0,
            last_write: None,
            read_blocked_on_write: false,
            write_blocked_on_read: false,
            fd: None,
            charged,
            errors: [0; ERROR_SLOTS],
            n_errors: 0,
            end_reported: false,
            spare: None,
            ended_after_data: None,
            notices: Fifo::new(),
        }
    }

    /// Sets the engine going at creation (the end of `bufferevent_ssl_new_impl`):
    /// `fd` is the socket kind's fd if known (from [`TlsSession::bind_socket`]), None
    /// for the filter kind. The glue has already set the underlying bufferevent's
    /// read watermarks to 0 and enabled it for reading and writing.
    pub fn start(&mut self, host: &mut dyn Host, fd: Option<i32>) -> Result<(), EngineError> {
        self.restart_in(host, self.initial_state, fd)?;
        if self.kind == Kind::Filter && self.state == State::Open && !self.wants_reading(host) {
            host.underlying_reading(false);
        }
        Ok(())
    }

    /// `BEV_CTRL_SET_FD` (`bufferevent_setfd`): the socket kind moves the session's
    /// I/O to `fd`, the filter kind sets the underlying bufferevent's fd; a
    /// handshaking bufferevent starts its handshake again.
    pub fn set_fd(&mut self, host: &mut dyn Host, fd: Option<i32>) -> Result<(), EngineError> {
        if self.kind == Kind::Socket {
            // No fd (-1) detaches the session from the old one, as libevent's
            // BIO_new_socket(-1) does: the program may have closed it already, and
            // its number may be another connection's by the time this one is freed.
            self.session
                .set_socket_fd(fd.unwrap_or(-1))
                .map_err(|_| EngineError::Session)?;
        }
        self.restart_in(host, self.initial_state, fd)
    }

    /// libevent's be_ssl_set_fd.
    fn restart_in(
        &mut self,
        host: &mut dyn Host,
        state: State,
        fd: Option<i32>,
    ) -> Result<(), EngineError> {
        self.state = state;
        match state.role() {
            Some(role) => {
                if !self.session.start_handshake(role) {
                    // What the reset left in the library's error list.
                    let codes = self.session.take_errors();
                    self.store_errors(&codes);
                    return Err(EngineError::Session);
                }
                self.read_blocked_on_write = false;
                self.write_blocked_on_read = false;
                self.last_write = None;
                self.end_reported = false;
                self.handshake_callbacks(host, fd)
            }
            None => self.open_callbacks(host, fd),
        }
    }

    /// libevent's set_handshake_callbacks.
    fn handshake_callbacks(
        &mut self,
        host: &mut dyn Host,
        fd: Option<i32>,
    ) -> Result<(), EngineError> {
        match self.kind {
            Kind::Filter => {
                let Some(fd) = fd else {
                    return Ok(());
                };
                if !host.underlying_set_fd(fd) {
                    // libevent answers 1 here, which its callers take as success.
                    return Err(EngineError::Host);
                }
                self.do_handshake(host)
            }
            Kind::Socket => {
                self.fd = fd;
                if !host.assign_fd(fd, false) {
                    return Err(EngineError::Host);
                }
                if fd.is_some() {
                    let events = self.active(host);
                    self.enable(host, events)?;
                }
                Ok(())
            }
        }
    }

    /// libevent's set_open_callbacks: the fd events move to `fd`, pending as before.
    fn open_callbacks(&mut self, host: &mut dyn Host, fd: Option<i32>) -> Result<(), EngineError> {
        if self.kind == Kind::Socket {
            self.fd = fd;
            if !host.assign_fd(fd, true) {
                return Err(EngineError::Host);
            }
        }
        Ok(())
    }

    /// Enabled and not suspended: what `bufferevent_enable` passes on to a kind.
    fn active(&self, host: &dyn Host) -> Events {
        let enabled = host.enabled();
        Events {
            read: enabled.read && !host.suspended(Direction::Read),
            write: enabled.write && !host.suspended(Direction::Write),
        }
    }

    fn wants_reading(&self, host: &dyn Host) -> bool {
        self.active(host).read || self.write_blocked_on_read
    }

    // ---- the base channel (libevent's start_/stop_reading and _writing) ----

    fn start_reading(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        match self.kind {
            Kind::Filter => {
                host.underlying_reading(true);
                Ok(())
            }
            Kind::Socket => {
                let mut ok = host.watch_fd(Direction::Read, true);
                if ok && self.read_blocked_on_write {
                    ok = host.watch_fd(Direction::Write, true);
                }
                ok.then_some(()).ok_or(EngineError::Host)
            }
        }
    }

    fn start_writing(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        match self.kind {
            Kind::Filter => {
                if self.write_blocked_on_read {
                    host.underlying_reading(true);
                }
                Ok(())
            }
            Kind::Socket => {
                let mut ok = host.watch_fd(Direction::Write, true);
                if ok && self.write_blocked_on_read {
                    ok = host.watch_fd(Direction::Read, true);
                }
                ok.then_some(()).ok_or(EngineError::Host)
            }
        }
    }

    fn stop_reading(&mut self, host: &mut dyn Host) {
        if self.write_blocked_on_read {
            return;
        }
        match self.kind {
            Kind::Filter => {
                host.underlying_reading(false);
            }
            Kind::Socket => {
                host.watch_fd(Direction::Read, false);
            }
        }
    }

    fn stop_writing(&mut self, host: &mut dyn Host) {
        if self.read_blocked_on_write {
            return;
        }
        // The filter kind's writes need nothing from the underlying bufferevent
        // (its write callback always comes). libevent resumes the underlying's
        // reading here, which lets it read while the TLS side does not want to;
        // not copied.
        if self.kind == Kind::Socket {
            host.watch_fd(Direction::Write, false);
        }
    }

    fn set_read_blocked_on_write(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        if self.kind == Kind::Socket {
            self.stop_reading(host);
        }
        self.read_blocked_on_write = true;
        self.start_writing(host)
    }

    fn set_write_blocked_on_read(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        if self.kind == Kind::Socket {
            self.stop_writing(host);
        }
        self.write_blocked_on_read = true;
        self.start_reading(host)
    }

    fn clear_read_blocked_on_write(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        self.read_blocked_on_write = false;
        let active = self.active(host);
        if !active.write {
            self.stop_writing(host);
        }
        if active.read {
            self.start_reading(host)?;
        }
        Ok(())
    }

    fn clear_write_blocked_on_read(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        self.write_blocked_on_read = false;
        let active = self.active(host);
        if !active.read {
            self.stop_reading(host);
        }
        if active.write {
            self.start_writing(host)?;
        }
        Ok(())
    }

    // ---- rate limits and errors ----

    /// Charges the ciphertext the session moved since the last charge (libevent's
    /// decrement_buckets), then stops a direction the charge suspended.
    fn charge(&mut self, host: &mut dyn Host) {
        let now = self.session.byte_counts();
        let read = now.read.wrapping_sub(self.charged.read);
        let written = now.written.wrapping_sub(self.charged.written);
        self.charged = now;
        if written > 0 {
            host.consumed(
                Direction::Write,
                usize::try_from(written).unwrap_or(usize::MAX),
            );
        }
        if read > 0 {
            host.consumed(Direction::Read, usize::try_from(read).unwrap_or(usize::MAX));
        }
    }

    /// Keeps the first codes until the store is full (libevent drops later ones).
    fn store_errors(&mut self, codes: &[u64]) {
        for &code in codes {
            if self.n_errors == ERROR_SLOTS {
                break;
            }
            // libevent keeps 32 bits: OpenSSL's packed codes fit, Mbed TLS's are
            // stored as `code as u32`.
            self.errors[self.n_errors] = code as u32;
            self.n_errors += 1;
        }
    }

    /// `bufferevent_get_openssl_error`/`_mbedtls_error`: the newest stored code,
    /// removed; 0 when there is none.
    pub fn pop_error(&mut self) -> u64 {
        if self.n_errors == 0 {
            return 0;
        }
        self.n_errors -= 1;
        u64::from(self.errors[self.n_errors])
    }

    /// libevent's conn_closed: stores the codes, stops the I/O and reports EOF or
    /// ERROR with `when` (READING or WRITING).
    fn connection_ended(&mut self, host: &mut dyn Host, when: u16, outcome: Outcome) {
        let codes = self.session.take_errors();
        let os_error = self.session.os_error();
        self.report_end(host, when, outcome, &codes, os_error);
    }

    /// Reports an end a read pass kept for after its data (see `ended_after_data`).
    fn report_end_after_data(&mut self, host: &mut dyn Host) {
        if let Some(end) = self.ended_after_data.take() {
            let (outcome, codes, os_error) = *end;
            self.report_end(host, event::READING, outcome, &codes, os_error);
        }
    }

    /// `os_error` is what the event callback finds in `errno`, as libevent leaves it
    /// after the failed call.
    fn report_end(
        &mut self,
        host: &mut dyn Host,
        when: u16,
        outcome: Outcome,
        codes: &[u64],
        os_error: i32,
    ) {
        self.store_errors(codes);
        let what = match outcome {
            Outcome::Closed { clean: true } => event::EOF,
            Outcome::Closed { clean: false } if self.flags & FLAG_DIRTY_SHUTDOWN != 0 => event::EOF,
            _ => event::ERROR,
        };
        // libevent keeps a blocked-on flag here, and with it the fd event the flag
        // needs, which then fires on a dead connection; cleared instead.
        self.read_blocked_on_write = false;
        self.write_blocked_on_read = false;
        self.stop_reading(host);
        self.stop_writing(host);
        self.end_reported = true;
        self.notices.push_back(Notice::Event {
            events: when | what,
            error: os_error,
        });
    }

    // ---- reading and writing ----

    /// Moves stashed plaintext into the input buffer: Some(moved anything), None
    /// if it is still refused.
    fn unstash(&mut self, host: &mut dyn Host) -> Option<bool> {
        let Some(spare) = self.spare.as_ref().filter(|s| !s.stash.is_empty()) else {
            return Some(false);
        };
        if host.input_append(&spare.stash) {
            self.spare = None;
            Some(true)
        } else {
            None
        }
    }

    /// libevent's do_read: decrypts up to `n_to_read` bytes (less under the read
    /// budget) into the input buffer.
    fn do_read(&mut self, host: &mut dyn Host, n_to_read: usize) -> Pass {
        let mut pass = Pass::default();
        if host.suspended(Direction::Read) {
            return pass;
        }
        match self.unstash(host) {
            None => {
                pass.failed = true;
                return pass;
            }
            Some(moved) => pass.progress = moved,
        }
        // Progress from the session's reads, which is what ignores a later error.
        let mut read_any = false;
        let n_to_read = n_to_read.min(host.budget(Direction::Read));
        let mut total = 0;
        while total < n_to_read {
            if host.suspended(Direction::Read) {
                break;
            }
            let want = (n_to_read - total).min(READ_CHUNK);
            let (outcome, appended) = self.read_into_input(host, want);
            self.charge(host);
            match outcome {
                Outcome::Done(n) => {
                    let n = n.min(want);
                    read_any = true;
                    total += n;
                    if !appended {
                        pass.failed = true;
                        break;
                    }
                    pass.progress = true;
                    if self.read_blocked_on_write && self.clear_read_blocked_on_write(host).is_err()
                    {
                        pass.failed = true;
                        break;
                    }
                    // The socket kind reads one record per pass, as libevent does:
                    // what follows stays in the socket, which the loop finds readable
                    // again once the program has had the data. So an end (close_notify,
                    // a reset) is met only at a read after the read callback ran, and
                    // not met at all if it stopped reading.
                    if self.kind == Kind::Socket && self.session.pending() == 0 {
                        break;
                    }
                }
                // With progress made, the data goes up first. A wait shows again on
                // the next call. The filter kind, which reads on while the underlying
                // input holds ciphertext, keeps an end and reports it after the data:
                // nothing may come to read it again (close_notify with the last data,
                // the peer's connection left open). libevent 2.2.1 loses it there.
                ended @ (Outcome::Closed { .. } | Outcome::Error) if read_any => {
                    let codes = self.session.take_errors();
                    let os_error = self.session.os_error();
                    self.ended_after_data = Some(Box::new((ended, codes, os_error)));
                    pass.blocked = true;
                    break;
                }
                _ if read_any => break,
                Outcome::WantRead => {
                    if self.read_blocked_on_write && self.clear_read_blocked_on_write(host).is_err()
                    {
                        pass.failed = true;
                    }
                    pass.blocked = true;
                    break;
                }
                Outcome::WantWrite => {
                    if !self.read_blocked_on_write && self.set_read_blocked_on_write(host).is_err()
                    {
                        pass.failed = true;
                    }
                    pass.blocked = true;
                    break;
                }
                ended @ (Outcome::Closed { .. } | Outcome::Error) => {
                    self.connection_ended(host, event::READING, ended);
                    pass.blocked = true;
                    break;
                }
            }
        }
        if total > 0 && self.kind == Kind::Filter {
            host.restart_timeout(Direction::Read);
        }
        pass
    }

    /// One read of the session of at most `want` bytes, decrypted straight into the
    /// input buffer (no copy, no memory of ours held between reads), or where the
    /// buffer has no room to lend, into scratch memory and then appended. Answers the
    /// session's outcome and whether its plaintext reached the input buffer; what did
    /// not is stashed for the next pass rather than lost.
    fn read_into_input(&mut self, host: &mut dyn Host, want: usize) -> (Outcome, bool) {
        let session = &mut self.session;
        let mut outcome = None;
        let filled = host.input_fill(want, &mut |space| {
            let result = session.read(space);
            let written = match result {
                Outcome::Done(n) => n.min(space.len()),
                _ => 0,
            };
            outcome = Some(result);
            written
        });
        if let Some(outcome) = outcome {
            return (outcome, filled);
        }
        let spare = self.spare.get_or_insert_with(Default::default);
        if spare.scratch.len() < want {
            spare.scratch.resize(want, 0);
        }
        let outcome = self.session.read(&mut spare.scratch[..want]);
        let appended = match outcome {
            Outcome::Done(n) => {
                let n = n.min(want);
                let appended = host.input_append(&spare.scratch[..n]);
                if !appended {
                    spare.stash.extend_from_slice(&spare.scratch[..n]);
                }
                appended
            }
            _ => true,
        };
        if spare.stash.is_empty() {
            self.spare = None;
        }
        (outcome, appended)
    }

    /// libevent's do_write: encrypts from the front of the output buffer, at most
    /// `atmost` bytes under the write budget, or exactly the bytes of a write to
    /// retry.
    fn do_write(&mut self, host: &mut dyn Host, atmost: usize) -> Pass {
        let mut pass = Pass::default();
        // libevent replaces `atmost` by the budget, ignoring the caller's frame and
        // the underlying's watermark room; both are kept here.
        let atmost = match self.last_write {
            Some(len) => len,
            None => atmost.min(host.budget(Direction::Write)),
        };
        let batch = self.flags & FLAG_BATCH_WRITE != 0;
        let mut written = 0;
        while written < atmost {
            if host.suspended(Direction::Write) {
                break;
            }
            let left = atmost - written;
            let min = match self.last_write {
                Some(len) => len,
                None if batch => left,
                None => 1,
            };
            let mut offered = 0;
            let mut outcome = None;
            let session = &mut self.session;
            let called = host.with_output_front(min, left, &mut |front: &[u8]| {
                offered = front.len();
                outcome = Some(session.write(front));
            });
            let Some(outcome) = outcome.filter(|_| called && offered > 0) else {
                break;
            };
            self.charge(host);
            match outcome {
                Outcome::Done(n) => {
                    let n = n.min(offered);
                    pass.progress = true;
                    written += n;
                    self.last_write = None;
                    host.output_drain(n);
                    if self.write_blocked_on_read && self.clear_write_blocked_on_read(host).is_err()
                    {
                        pass.failed = true;
                        break;
                    }
                }
                Outcome::WantWrite => {
                    if self.write_blocked_on_read && self.clear_write_blocked_on_read(host).is_err()
                    {
                        pass.failed = true;
                    }
                    self.last_write = Some(offered);
                    pass.blocked = true;
                    break;
                }
                Outcome::WantRead => {
                    if !self.write_blocked_on_read && self.set_write_blocked_on_read(host).is_err()
                    {
                        pass.failed = true;
                    }
                    self.last_write = Some(offered);
                    pass.blocked = true;
                    break;
                }
                ended @ (Outcome::Closed { .. } | Outcome::Error) => {
                    self.last_write = None;
                    self.connection_ended(host, event::WRITING, ended);
                    pass.blocked = true;
                    break;
                }
            }
        }
        if written > 0 {
            if self.kind == Kind::Filter {
                host.restart_timeout(Direction::Write);
            }
            self.notices.push_back(Notice::Write);
        }
        pass
    }

    /// libevent's bytes_to_read: 0 when reading should not happen.
    fn bytes_to_read(&self, host: &dyn Host) -> usize {
        if self.write_blocked_on_read || !host.enabled().read || host.suspended(Direction::Read) {
            return 0;
        }
        let mut result = 0;
        let high = host.read_high_watermark();
        if high > 0 {
            let len = host.input_len();
            if len >= high {
                return 0;
            }
            result = high - len;
        }
        let limit = host.budget(Direction::Read);
        if result == 0 || result > limit {
            result = limit;
        }
        result
    }

    /// libevent's consider_reading.
    fn consider_reading(&mut self, host: &mut dyn Host) {
        while self.write_blocked_on_read {
            let pass = self.do_write(host, WRITE_FRAME);
            // A pass that neither moved nor blocked (budget gone) would spin.
            if pass.stop() || !pass.progress {
                break;
            }
        }
        if self.write_blocked_on_read {
            return;
        }
        let mut all = Pass::default();
        let mut n_to_read = self.bytes_to_read(host);
        while n_to_read > 0 {
            let pass = self.do_read(host, n_to_read);
            all.merge(pass);
            if pass.stop() || !pass.progress || host.suspended(Direction::Read) {
                break;
            }
            // What the session already decrypted: no transport I/O. The filter kind
            // goes on while the underlying input has ciphertext, else nothing would
            // read it until more arrives.
            n_to_read = self.session.pending();
            if n_to_read == 0 && self.kind == Kind::Filter {
                n_to_read = self.bytes_to_read(host);
            }
        }
        if all.progress {
            self.notices.push_back(Notice::Read);
        }
        self.report_end_after_data(host);
        if self.kind == Kind::Socket && !self.active(host).read && !self.write_blocked_on_read {
            host.watch_fd(Direction::Read, false);
        }
    }

    /// libevent's consider_writing.
    fn consider_writing(&mut self, host: &mut dyn Host) {
        while self.read_blocked_on_write {
            let pass = self.do_read(host, UNBLOCK_READ);
            if pass.progress {
                self.notices.push_back(Notice::Read);
            }
            self.report_end_after_data(host);
            if pass.stop() || !pass.progress {
                break;
            }
        }
        if self.read_blocked_on_write {
            return;
        }
        while self.active(host).write && host.output_len() > 0 {
            let n_to_write = match host.underlying_write_room() {
                Some(0) => break,
                Some(room) => room,
                None => WRITE_FRAME,
            };
            let pass = self.do_write(host, n_to_write);
            if pass.stop() || !pass.progress {
                break;
            }
        }
        if self.kind == Kind::Socket
            && !self.write_blocked_on_read
            && (host.output_len() == 0 || !self.active(host).write)
        {
            host.watch_fd(Direction::Write, false);
        }
    }

    // ---- the handshake ----

    /// libevent's do_handshake: one step; Err when the connection ended (reported)
    /// or the host refused to watch what the session waits for.
    fn do_handshake(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        if self.state == State::Open {
            return Ok(());
        }
        let outcome = self.session.handshake();
        self.charge(host);
        match outcome {
            Outcome::Done(_) => {
                self.state = State::Open;
                // Reported before the data the enable below may read (libevent
                // reads first for the filter kind, so a program could see data
                // before CONNECTED).
                self.notices.push_back(Notice::Event {
                    events: event::CONNECTED,
                    error: 0,
                });
                let events = self.active(host);
                self.enable(host, events)?;
                if self.kind == Kind::Filter && !self.wants_reading(host) {
                    host.underlying_reading(false);
                }
                Ok(())
            }
            Outcome::WantWrite => {
                self.stop_reading(host);
                self.start_writing(host)
            }
            Outcome::WantRead => {
                self.stop_writing(host);
                self.start_reading(host)
            }
            ended @ (Outcome::Closed { .. } | Outcome::Error) => {
                self.connection_ended(host, event::READING, ended);
                Err(EngineError::Session)
            }
        }
    }

    /// The socket kind's fd is ready during the handshake (libevent's
    /// be_ssl_handshakeeventcb): a connect in progress is checked first.
    fn handshake_on_fd(&mut self, host: &mut dyn Host) {
        match host.finished_connecting() {
            Ok(true) => {
                let _ = self.do_handshake(host);
            }
            // libevent goes on with the handshake on a socket still connecting;
            // waiting for writability is enough here.
            Ok(false) => {
                host.watch_fd(Direction::Write, true);
            }
            Err(errno) => {
                // libevent leaves both events watching a failed socket, which then
                // reports the error again and again; stopped here.
                host.watch_fd(Direction::Read, false);
                host.watch_fd(Direction::Write, false);
                self.end_reported = true;
                self.notices.push_back(Notice::Event {
                    events: event::ERROR,
                    error: errno,
                });
            }
        }
    }

    // ---- driving calls ----

    /// The socket kind's fd is readable, or the filter kind's underlying bufferevent
    /// ran its read callback.
    pub fn on_readable(&mut self, host: &mut dyn Host) {
        match (self.state, self.kind) {
            (State::Open, _) => self.consider_reading(host),
            (_, Kind::Socket) => self.handshake_on_fd(host),
            (_, Kind::Filter) => {
                let _ = self.do_handshake(host);
            }
        }
    }

    /// The socket kind's fd is writable, or the underlying bufferevent ran its write
    /// callback.
    pub fn on_writable(&mut self, host: &mut dyn Host) {
        match (self.state, self.kind) {
            (State::Open, _) => self.consider_writing(host),
            (_, Kind::Socket) => self.handshake_on_fd(host),
            (_, Kind::Filter) => {
                let _ = self.do_handshake(host);
            }
        }
    }

    /// The socket kind's fd event for `dir` timed out.
    pub fn on_timeout(&mut self, dir: Direction) {
        let events = match (self.state, dir) {
            // libevent's handshake callback says only TIMEOUT.
            (State::Connecting | State::Accepting, _) => event::TIMEOUT,
            (State::Open, Direction::Read) => event::TIMEOUT | event::READING,
            (State::Open, Direction::Write) => event::TIMEOUT | event::WRITING,
        };
        self.notices.push_back(Notice::Event { events, error: 0 });
    }

    /// The filter kind's underlying bufferevent ran its event callback with `what`
    /// (BEV_EVENT_* bits) and `error` (its errno).
    pub fn on_underlying_event(&mut self, host: &mut dyn Host, what: u16, error: i32) {
        let events = if what & event::EOF != 0 {
            // Records still waiting in the underlying input (a close_notify among
            // them) are read first; libevent reports the EOF without reading them.
            if self.state == State::Open && !self.end_reported {
                self.consider_reading(host);
            }
            if self.end_reported {
                return;
            }
            if self.flags & FLAG_DIRTY_SHUTDOWN != 0 {
                event::EOF
            } else {
                event::ERROR
            }
        } else if what & (event::TIMEOUT | event::ERROR) != 0 {
            what
        } else {
            // CONNECTED: the handshake reports its own.
            return;
        };
        self.end_reported |= events & (event::EOF | event::ERROR) != 0;
        self.notices.push_back(Notice::Event { events, error });
    }

    /// Bytes were added to the output buffer, which held `orig_len` before
    /// (libevent's be_ssl_outbuf_cb).
    pub fn on_output_added(&mut self, host: &mut dyn Host, orig_len: usize) {
        if self.state != State::Open {
            return;
        }
        // libevent adds the write event even when writing is disabled, which then
        // fires for nothing; only an active direction is watched here.
        if orig_len == 0 && self.active(host).write {
            match self.kind {
                Kind::Socket => {
                    host.watch_fd(Direction::Write, true);
                }
                Kind::Filter => host.restart_timeout(Direction::Write),
            }
        }
        if self.kind == Kind::Filter {
            self.consider_writing(host);
        }
    }

    /// The kind's enable operation (`events` enabled and not suspended).
    pub fn enable(&mut self, host: &mut dyn Host, events: Events) -> Result<(), EngineError> {
        let mut result = Ok(());
        if events.read {
            result = result.and(self.start_reading(host));
        }
        if events.write {
            result = result.and(self.start_writing(host));
        }
        if self.kind == Kind::Filter {
            if events.read {
                host.restart_timeout(Direction::Read);
            }
            if events.write {
                host.restart_timeout(Direction::Write);
            }
            if self.state == State::Open {
                if events.read {
                    self.consider_reading(host);
                }
                if events.write {
                    self.consider_writing(host);
                }
            } else if events.read || (events.write && host.output_len() > 0) {
                // libevent's filter handshake starts as a side effect of the read, or
                // of the write of pending output, that its enable attempts; started
                // explicitly here. Enabling writing with nothing to write starts
                // nothing: evhttp does that before it connects a filter whose socket
                // has no fd yet, and a ClientHello queued then would be followed by a
                // second one when the connect resets the session.
                let _ = self.do_handshake(host);
            }
        } else if events.read && self.state == State::Open && self.session.pending() > 0 {
            // Plaintext the session decrypted before reading stopped (at the high
            // watermark, say) would otherwise wait for the fd to be readable again,
            // maybe forever: libevent stalls there.
            self.consider_reading(host);
        }
        result
    }

    /// The kind's disable operation.
    pub fn disable(&mut self, host: &mut dyn Host, events: Events) {
        if events.read {
            self.stop_reading(host);
        }
        if events.write {
            self.stop_writing(host);
        }
        if self.kind == Kind::Filter {
            if events.read {
                host.stop_timeout(Direction::Read);
            }
            if events.write {
                host.stop_timeout(Direction::Write);
            }
        }
    }

    /// `bufferevent_flush`. libevent's does nothing and answers 0; this one writes
    /// what the output holds (as far as the transport takes it) for `EV_WRITE` on an
    /// open connection and answers 1 if bytes went out.
    pub fn flush(&mut self, host: &mut dyn Host, iotype: Events) -> i32 {
        if !iotype.write || self.state != State::Open || self.read_blocked_on_write {
            return 0;
        }
        let mut progress = false;
        while host.output_len() > 0 {
            let pass = self.do_write(host, WRITE_FRAME);
            progress |= pass.progress;
            if pass.stop() || !pass.progress {
                break;
            }
        }
        i32::from(progress)
    }

    /// `bufferevent_ssl_renegotiate`: starts a renegotiation and drives its
    /// handshake (CONNECTED is reported again when it is over).
    pub fn renegotiate(&mut self, host: &mut dyn Host) -> Result<(), EngineError> {
        self.session
            .renegotiate()
            .map_err(|_| EngineError::Session)?;
        // libevent says CONNECTING whatever the role; only "not open" matters.
        self.state = State::Connecting;
        // libevent drives the filter kind's renegotiation only once the underlying
        // bufferevent has something to say, so a client's request waits for the
        // server; both kinds start it now.
        self.do_handshake(host)
    }

    /// The kind's unlink operation (`bufferevent_free`): stops the I/O; the filter
    /// kind frees or releases its underlying bufferevent (last).
    pub fn unlink(&mut self, host: &mut dyn Host) {
        self.read_blocked_on_write = false;
        self.write_blocked_on_read = false;
        self.session.unlink();
        match self.kind {
            Kind::Socket => {
                host.watch_fd(Direction::Read, false);
                host.watch_fd(Direction::Write, false);
            }
            Kind::Filter => host.release_underlying(self.close_on_free),
        }
    }

    /// The kind's destruct operation: drops the session (and, if it owns it, the
    /// library object), then with `BEV_OPT_CLOSE_ON_FREE` closes the socket kind's
    /// fd (a dirty shutdown, as in libevent: no close_notify is sent).
    pub fn destruct(self, host: &mut dyn Host) {
        let fd = match self.kind {
            Kind::Socket if self.close_on_free => self.session.socket_fd().or(self.fd),
            _ => None,
        };
        drop(self.session);
        if let Some(fd) = fd.filter(|&fd| fd >= 0) {
            host.close_fd(fd);
        }
    }

    /// The next thing the program must hear, oldest first.
    pub fn next_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// `bufferevent_ssl_get_flags`.
    pub fn flags(&self) -> u64 {
        self.flags
    }

    /// `bufferevent_ssl_set_flags`: ORs in the known flags among `flags`; returns the
    /// old flags, or None when none of `flags` is known (libevent's EV_UINT64_MAX).
    pub fn set_flags(&mut self, flags: u64) -> Option<u64> {
        let flags = flags & KNOWN_FLAGS;
        if flags == 0 {
            return None;
        }
        let old = self.flags;
        self.flags |= flags;
        Some(old)
    }

    /// `bufferevent_ssl_clear_flags`, as [`Engine::set_flags`].
    pub fn clear_flags(&mut self, flags: u64) -> Option<u64> {
        let flags = flags & KNOWN_FLAGS;
        if flags == 0 {
            return None;
        }
        let old = self.flags;
        self.flags &= !flags;
        Some(old)
    }

    /// `bufferevent_ssl_set_allow_dirty_shutdown`.
    pub fn set_allow_dirty_shutdown(&mut self, allow: bool) {
        if allow {
            self.flags |= FLAG_DIRTY_SHUTDOWN;
        } else {
            self.flags &= !FLAG_DIRTY_SHUTDOWN;
        }
    }

    /// `bufferevent_ssl_get_allow_dirty_shutdown`.
    pub fn allow_dirty_shutdown(&self) -> bool {
        self.flags & FLAG_DIRTY_SHUTDOWN != 0
    }

    /// The socket kind's fd (`BEV_CTRL_GET_FD`); the filter kind answers its
    /// underlying bufferevent's, which the glue asks itself.
    pub fn fd(&self) -> Option<i32> {
        self.fd
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The blocked-on flags: (read blocked on write, write blocked on read).
    pub fn blocked_flags(&self) -> (bool, bool) {
        (self.read_blocked_on_write, self.write_blocked_on_read)
    }

    /// The length of the write to repeat, if one blocked.
    pub fn pending_write(&self) -> Option<usize> {
        self.last_write
    }

    /// The session (`bufferevent_openssl_get_ssl` and the like).
    pub fn session(&self) -> &dyn TlsSession {
        &*self.session
    }

    pub fn session_mut(&mut self) -> &mut dyn TlsSession {
        &mut *self.session
    }
}

#[cfg(test)]
mod tests;
