//! What the engine needs from its bufferevent and the loop: [`Host`].

/// `EV_READ` or `EV_WRITE` side of a bufferevent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// A set of directions (`EV_READ|EV_WRITE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    pub read: bool,
    pub write: bool,
}

impl Events {
    pub const NONE: Events = Events {
        read: false,
        write: false,
    };
    pub const READ: Events = Events {
        read: true,
        write: false,
    };
    pub const WRITE: Events = Events {
        read: false,
        write: true,
    };
    pub const BOTH: Events = Events {
        read: true,
        write: true,
    };

    /// From `EV_READ` (0x02) / `EV_WRITE` (0x04) bits.
    pub fn from_bits(bits: i32) -> Events {
        Events {
            read: bits & 0x02 != 0,
            write: bits & 0x04 != 0,
        }
    }

    pub fn bits(self) -> i32 {
        (if self.read { 0x02 } else { 0 }) | (if self.write { 0x04 } else { 0 })
    }

    pub fn has(self, dir: Direction) -> bool {
        match dir {
            Direction::Read => self.read,
            Direction::Write => self.write,
        }
    }
}

/// The bufferevent and loop operations the engine drives, one implementation per
/// TLS bufferevent (the C glue implements it over the core's foreign-kind seam, a
/// test over plain Rust values).
///
/// Program code: no method here runs the program's callbacks; what the program must
/// hear about, the engine queues as [`Notice`](super::Notice)s that the caller runs
/// with no borrow of the engine alive. Some methods may make the core or another
/// bufferevent call back into this TLS bufferevent (said on each); the engine does
/// not rely on those calls reaching it while it runs (see
/// [`EngineCell`](super::EngineCell), which queues them) and re-reads every flag it
/// depends on after such a method returns.
pub trait Host {
    /// Bytes in the TLS bufferevent's input buffer.
    fn input_len(&self) -> usize;
    /// Appends plaintext to the input buffer (no callback runs: the engine triggers
    /// the read callback itself). False when the buffer refused it (out of memory, or
    /// the program froze its end).
    fn input_append(&mut self, data: &[u8]) -> bool;
    /// Decrypts in place: calls `fill` once with `len` bytes of contiguous space
    /// reserved at the end of the input buffer and appends the first bytes `fill`
    /// says it wrote (at most `len`), as [`Host::input_append`] would. False, without
    /// calling `fill`, when no such space can be had; the engine then decrypts into
    /// memory of its own and appends.
    fn input_fill(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool;
    /// Bytes in the output buffer.
    fn output_len(&self) -> usize;
    /// Calls `write` once with the first bytes of the output buffer, contiguous: at
    /// least `min` bytes (made contiguous if they are not, as `evbuffer_pullup`) when
    /// the buffer holds that many, else all it holds; at most `max` (the host may give
    /// fewer than `max` but never fewer than `min`). False without calling `write`
    /// when the buffer is empty or the bytes could not be made contiguous.
    fn with_output_front(&mut self, min: usize, max: usize, write: &mut dyn FnMut(&[u8])) -> bool;
    /// Removes `len` bytes from the front of the output buffer (the program's output
    /// callbacks on the evbuffer, if any, are the evbuffer's business).
    fn output_drain(&mut self, len: usize);

    /// Directions the program enabled (`bufferevent_get_enabled`).
    fn enabled(&self) -> Events;
    /// Whether `dir` is suspended for any reason (watermark, bandwidth, group,
    /// lookup): libevent's `read_suspended`/`write_suspended`.
    fn suspended(&self, dir: Direction) -> bool;
    /// The input's high watermark, 0 for none.
    fn read_high_watermark(&self) -> usize;
    /// Filter kind: how many more bytes the underlying bufferevent's output takes
    /// before its high watermark; None without one (and for the socket kind).
    fn underlying_write_room(&self) -> Option<usize>;

    /// How many bytes `dir` may move now under the rate limits
    /// (`bufferevent_get_read_max_`/`_write_max_`).
    fn budget(&self, dir: Direction) -> usize;
    /// Charges `bytes` of ciphertext to `dir`'s rate-limit buckets. May suspend the
    /// direction (the core then calls the kind's disable: a re-entrant call).
    fn consumed(&mut self, dir: Direction, bytes: usize);

    /// Socket kind: adds (`bufferevent_add_event_`, with the direction's timeout) or
    /// deletes the event watching the fd for `dir`. False when the loop refused.
    fn watch_fd(&mut self, dir: Direction, on: bool) -> bool;
    /// Socket kind: points both fd events at `fd` (None: -1, timeouts only). With
    /// `keep_pending`, an event that was pending is pending again afterwards; without,
    /// both are left not pending. False when the loop refused.
    fn assign_fd(&mut self, fd: Option<i32>, keep_pending: bool) -> bool;
    /// Socket kind, while a handshake waits on the fd: whether a connect started by
    /// `bufferevent_socket_connect` is over. Ok(true): connected, or no connect was
    /// pending (the host clears the bufferevent's `connecting` flag); Ok(false):
    /// still in progress; Err(errno): the connect failed (flag cleared too).
    fn finished_connecting(&mut self) -> Result<bool, i32>;
    /// Socket kind with `BEV_OPT_CLOSE_ON_FREE`: closes the socket at destruction.
    fn close_fd(&mut self, fd: i32);

    /// Filter kind: lets the underlying bufferevent read (`on`) or suspends its
    /// reading (`BEV_SUSPEND_FILT_READ`). Resuming may make the underlying one run
    /// its callbacks at once (a pair without deferred callbacks): re-entrant calls.
    fn underlying_reading(&mut self, on: bool) -> bool;
    /// Filter kind: `bufferevent_setfd` on the underlying bufferevent.
    fn underlying_set_fd(&mut self, fd: i32) -> bool;
    /// Filter kind: restarts the read or write timeout (libevent's generic timeout
    /// timers: `BEV_RESET_GENERIC_*_TIMEOUT`).
    fn restart_timeout(&mut self, dir: Direction);
    /// Filter kind: stops the read or write timeout (`BEV_DEL_GENERIC_*_TIMEOUT`).
    fn stop_timeout(&mut self, dir: Direction);
    /// Filter kind, at unlink: with `free`, frees the underlying bufferevent
    /// (`BEV_OPT_CLOSE_ON_FREE`); without, takes our callbacks off it and lets it
    /// read again. May run the underlying bufferevent's teardown; the engine calls
    /// it last.
    fn release_underlying(&mut self, free: bool);
}
