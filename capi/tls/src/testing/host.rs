//! A [`Host`] over plain Rust values that records what the engine asked, and a
//! harness that runs socket-kind engines over [`MemoryTransport`]s as a loop would.

use std::collections::VecDeque;

use crate::engine::{event, Direction, Engine, Events, Host, Kind, Notice, State};
use crate::{MemoryTransport, TlsSession};

/// libevent's MAX_TO_READ_EVER / MAX_TO_WRITE_EVER: the budget without rate limits.
pub const UNLIMITED_BUDGET: usize = 16_384;

/// One Host call worth checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Watch(Direction, bool),
    Assign(Option<i32>, bool),
    UnderlyingReading(bool),
    UnderlyingSetFd(i32),
    Consumed(Direction, usize),
    /// A rate-limit bucket went empty: the direction is now suspended.
    BandwidthSuspended(Direction),
    RestartTimeout(Direction),
    StopTimeout(Direction),
    CloseFd(i32),
    Release(bool),
    /// with_output_front gave `given` bytes for (min, max).
    Front {
        min: usize,
        max: usize,
        given: usize,
    },
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

/// A bufferevent as plain values.
#[derive(Debug)]
pub struct MockHost {
    pub input: VecDeque<u8>,
    pub output: VecDeque<u8>,
    pub enabled: Events,
    /// Suspended by the test (watermark, lookup...).
    pub suspended: [bool; 2],
    /// Suspended because the bucket ran out.
    pub bandwidth_suspended: [bool; 2],
    pub high_watermark: usize,
    /// Reading suspended by the high watermark.
    pub watermark_suspended: bool,
    pub underlying_room: Option<usize>,
    /// Rate-limit buckets (None: no limit).
    pub buckets: [Option<i64>; 2],
    pub consumed: [usize; 2],
    pub watching: [bool; 2],
    pub underlying_reading: bool,
    pub fd: Option<i32>,
    pub connect_result: Result<bool, i32>,
    /// The input buffer refuses appends (frozen).
    pub input_refuses: bool,
    /// The input buffer accepts appends but lends no space to decrypt into.
    pub input_lends_no_space: bool,
    /// The output buffer's chains are this long: fronts are no longer unless `min`
    /// asks for more.
    pub chunk: usize,
    pub log: Vec<Call>,
}

impl Default for MockHost {
    fn default() -> Self {
        MockHost {
            input: VecDeque::new(),
            output: VecDeque::new(),
            // A new bufferevent has EV_WRITE enabled.
            enabled: Events::WRITE,
            suspended: [false; 2],
            bandwidth_suspended: [false; 2],
            high_watermark: 0,
            watermark_suspended: false,
            underlying_room: None,
            buckets: [None; 2],
            consumed: [0; 2],
            watching: [false; 2],
            underlying_reading: true,
            fd: None,
            connect_result: Ok(true),
            input_refuses: false,
            input_lends_no_space: false,
            chunk: 4096,
            log: Vec::new(),
        }
    }
}

impl MockHost {
    pub fn watching(&self, dir: Direction) -> bool {
        self.watching[index(dir)]
    }

    /// Whether the log holds `call`.
    pub fn saw(&self, call: Call) -> bool {
        self.log.contains(&call)
    }

    /// Refills a bucket and lifts its suspension, as the refill timer would.
    pub fn refill(&mut self, dir: Direction, bytes: i64) {
        self.buckets[index(dir)] = Some(bytes);
        self.bandwidth_suspended[index(dir)] = false;
    }
}

impl MockHost {
    /// The core's input watermark callback suspends reading at the high mark.
    fn check_high_watermark(&mut self) {
        if self.high_watermark > 0 && self.input.len() >= self.high_watermark {
            self.watermark_suspended = true;
        }
    }
}

impl Host for MockHost {
    fn input_len(&self) -> usize {
        self.input.len()
    }

    fn input_append(&mut self, data: &[u8]) -> bool {
        if self.input_refuses {
            return false;
        }
        self.input.extend(data);
        self.check_high_watermark();
        true
    }

    fn input_fill(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool {
        if self.input_refuses || self.input_lends_no_space {
            return false;
        }
        let mut space = vec![0; len];
        let written = fill(&mut space).min(len);
        self.input.extend(&space[..written]);
        self.check_high_watermark();
        true
    }

    fn output_len(&self) -> usize {
        self.output.len()
    }

    fn with_output_front(&mut self, min: usize, max: usize, write: &mut dyn FnMut(&[u8])) -> bool {
        let len = self.output.len();
        if len == 0 || max == 0 {
            return false;
        }
        let given = len.min(max.max(min)).min(self.chunk.max(min));
        self.log.push(Call::Front { min, max, given });
        let front = self.output.make_contiguous();
        write(&front[..given]);
        true
    }

    fn output_drain(&mut self, len: usize) {
        let len = len.min(self.output.len());
        self.output.drain(..len);
    }

    fn enabled(&self) -> Events {
        self.enabled
    }

    fn suspended(&self, dir: Direction) -> bool {
        self.suspended[index(dir)]
            || self.bandwidth_suspended[index(dir)]
            || (dir == Direction::Read && self.watermark_suspended)
    }

    fn read_high_watermark(&self) -> usize {
        self.high_watermark
    }

    fn underlying_write_room(&self) -> Option<usize> {
        self.underlying_room
    }

    fn budget(&self, dir: Direction) -> usize {
        match self.buckets[index(dir)] {
            None => UNLIMITED_BUDGET,
            Some(left) => (left.max(0) as usize).min(UNLIMITED_BUDGET),
        }
    }

    fn consumed(&mut self, dir: Direction, bytes: usize) {
        self.log.push(Call::Consumed(dir, bytes));
        self.consumed[index(dir)] += bytes;
        if let Some(left) = &mut self.buckets[index(dir)] {
            *left -= bytes as i64;
            if *left <= 0 && !self.bandwidth_suspended[index(dir)] {
                self.bandwidth_suspended[index(dir)] = true;
                self.log.push(Call::BandwidthSuspended(dir));
            }
        }
    }

    fn watch_fd(&mut self, dir: Direction, on: bool) -> bool {
        self.log.push(Call::Watch(dir, on));
        self.watching[index(dir)] = on;
        true
    }

    fn assign_fd(&mut self, fd: Option<i32>, keep_pending: bool) -> bool {
        self.log.push(Call::Assign(fd, keep_pending));
        self.fd = fd;
        if !keep_pending {
            self.watching = [false; 2];
        }
        true
    }

    fn finished_connecting(&mut self) -> Result<bool, i32> {
        self.connect_result
    }

    fn close_fd(&mut self, fd: i32) {
        self.log.push(Call::CloseFd(fd));
    }

    fn underlying_reading(&mut self, on: bool) -> bool {
        self.log.push(Call::UnderlyingReading(on));
        self.underlying_reading = on;
        true
    }

    fn underlying_set_fd(&mut self, fd: i32) -> bool {
        self.log.push(Call::UnderlyingSetFd(fd));
        true
    }

    fn restart_timeout(&mut self, dir: Direction) {
        self.log.push(Call::RestartTimeout(dir));
    }

    fn stop_timeout(&mut self, dir: Direction) {
        self.log.push(Call::StopTimeout(dir));
    }

    fn release_underlying(&mut self, free: bool) {
        self.log.push(Call::Release(free));
    }
}

/// What the program of one side does and saw.
#[derive(Debug, Default)]
pub struct Program {
    /// Plaintext the read callback took from the input.
    pub received: Vec<u8>,
    /// The read callback leaves the input alone (a program that stopped reading).
    pub paused: bool,
    pub read_callbacks: usize,
    pub write_callbacks: usize,
    pub events: Vec<u16>,
    /// The engine's blocked-on flags were seen set: (read on write, write on read).
    pub blocked_seen: (bool, bool),
}

/// One socket-kind TLS bufferevent whose "fd" is a [`MemoryTransport`] end.
pub struct Side {
    pub engine: Engine,
    pub host: MockHost,
    pub end: MemoryTransport,
    pub program: Program,
}

impl Side {
    /// A socket-kind engine over `session` (already given `end` as its transport),
    /// started on a pretend fd.
    pub fn new(session: Box<dyn TlsSession>, end: MemoryTransport, state: State) -> Side {
        let mut side = Side {
            engine: Engine::new(session, Kind::Socket, state, true),
            host: MockHost::default(),
            end,
            program: Program::default(),
        };
        side.engine
            .start(&mut side.host, Some(7))
            .expect("engine start");
        side
    }

    /// `bufferevent_enable`: the enabled set grows; active directions go to the kind.
    pub fn enable(&mut self, events: Events) {
        self.host.enabled.read |= events.read;
        self.host.enabled.write |= events.write;
        let active = Events {
            read: events.read && !self.host.suspended(Direction::Read),
            write: events.write && !self.host.suspended(Direction::Write),
        };
        self.engine.enable(&mut self.host, active).expect("enable");
    }

    /// `bufferevent_disable`.
    pub fn disable(&mut self, events: Events) {
        self.host.enabled.read &= !events.read;
        self.host.enabled.write &= !events.write;
        self.engine.disable(&mut self.host, events);
    }

    /// `bufferevent_write`.
    pub fn write(&mut self, data: &[u8]) {
        let orig_len = self.host.output.len();
        self.host.output.extend(data);
        self.engine.on_output_added(&mut self.host, orig_len);
    }

    fn snapshot(&self) -> (usize, usize, usize, usize, State, [bool; 2], (bool, bool)) {
        (
            self.end.available(),
            self.end.in_flight(),
            self.host.input.len(),
            self.host.output.len(),
            self.engine.state(),
            self.host.watching,
            self.engine.blocked_flags(),
        )
    }

    /// Runs the fd events that are ready and then the notices; true if anything
    /// changed.
    pub fn step(&mut self) -> bool {
        let before = self.snapshot();
        if self.host.watching(Direction::Read)
            && (self.end.available() > 0 || self.end.peer_closed())
        {
            self.engine.on_readable(&mut self.host);
        }
        if self.host.watching(Direction::Write) && self.end.room() > 0 {
            self.engine.on_writable(&mut self.host);
        }
        let (rbow, wbor) = self.engine.blocked_flags();
        self.program.blocked_seen.0 |= rbow;
        self.program.blocked_seen.1 |= wbor;
        let ran = self.run_notices();
        ran || before != self.snapshot()
    }

    /// Runs the queued notices as the core would run the callbacks.
    pub fn run_notices(&mut self) -> bool {
        let mut any = false;
        while let Some(notice) = self.engine.next_notice() {
            any = true;
            match notice {
                Notice::Read => {
                    self.program.read_callbacks += 1;
                    if !self.program.paused {
                        self.program.received.extend(self.host.input.drain(..));
                        self.below_high_watermark();
                    }
                }
                Notice::Write => self.program.write_callbacks += 1,
                Notice::Event { events, .. } => self.program.events.push(events),
            }
        }
        any
    }

    /// The core lifts the watermark suspension once the input is below the high
    /// watermark, and enables reading again.
    pub fn below_high_watermark(&mut self) {
        if self.host.watermark_suspended && self.host.input.len() < self.host.high_watermark {
            self.host.watermark_suspended = false;
            if self.host.enabled.read && !self.host.suspended(Direction::Read) {
                self.engine
                    .enable(&mut self.host, Events::READ)
                    .expect("enable");
            }
        }
    }

    pub fn connected(&self) -> bool {
        self.program.events.contains(&event::CONNECTED)
    }
}

/// Steps both sides until nothing happens for a round; false if that took too long.
pub fn pump(a: &mut Side, b: &mut Side) -> bool {
    for _ in 0..1_000_000 {
        let busy_a = a.step();
        let busy_b = b.step();
        if !busy_a && !busy_b {
            return true;
        }
    }
    false
}
