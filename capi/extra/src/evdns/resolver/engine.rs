//! The resolver's state and its rules: lookups, the transactions they send, name
//! servers with their health, retransmits, probes and the search list. Nothing here
//! calls program code; finished lookups go to `Inner::ready`.

use std::collections::{HashMap, VecDeque};
use std::ffi::{c_int, c_short, CString};
use std::net::SocketAddr;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evrs_dns_proto::message::{self, Expected, Records, Reply};
use evrs_dns_proto::wire::{self, Header, WireError};
use evrs_sibling::handler::{self, EventHandler};
use evrs_sibling::log::Severity;
use evrs_sibling::sys;

use super::dispatch::Ready;
use super::fallible::{self, OutOfMemory};
use super::table::Table;
use super::timeouts::{self, Deadlines, TimerChange};
use super::{net, tcp, with_inner, Base, Request};
use crate::evdns::{Answer, AnswerData, Completion, Query};

pub const DNS_ERR_NONE: c_int = 0;
pub const DNS_ERR_FORMAT: c_int = 1;
pub const DNS_ERR_SERVERFAILED: c_int = 2;
pub const DNS_ERR_NOTEXIST: c_int = 3;
pub const DNS_ERR_NOTIMPL: c_int = 4;
pub const DNS_ERR_REFUSED: c_int = 5;
pub const DNS_ERR_TRUNCATED: c_int = 65;
pub const DNS_ERR_UNKNOWN: c_int = 66;
pub const DNS_ERR_TIMEOUT: c_int = 67;
pub const DNS_ERR_SHUTDOWN: c_int = 68;
pub const DNS_ERR_CANCEL: c_int = 69;
pub const DNS_ERR_NODATA: c_int = 70;

pub const DNS_QUERY_NO_SEARCH: c_int = 0x01;
pub const DNS_QUERY_USEVC: c_int = 0x02;
pub const DNS_QUERY_IGNTC: c_int = 0x04;
pub const DNS_CNAME_CALLBACK: c_int = 0x80;

pub const EVDNS_BASE_INITIALIZE_NAMESERVERS: c_int = 1;
pub const EVDNS_BASE_DISABLE_WHEN_INACTIVE: c_int = 0x8000;
pub const EVDNS_BASE_NAMESERVERS_NO_DEFAULT: c_int = 0x10000;

/// libevent's UDP size without EDNS.
pub const DNS_MAX_UDP_SIZE: usize = 512;

/// The tunables of `evdns_base_set_option`, with libevent's defaults.
pub struct Options {
    pub timeout: Duration,
    /// "attempts": transmissions of one query before DNS_ERR_TIMEOUT.
    pub attempts: u32,
    /// "max-timeouts": timeouts in a row that mark a server down.
    pub max_timeouts: u32,
    pub max_inflight: usize,
    pub randomize_case: bool,
    pub bind_to: Option<SocketAddr>,
    pub initial_probe_timeout: Duration,
    pub max_probe_timeout_secs: u64,
    pub probe_backoff_factor: u32,
    pub getaddrinfo_allow_skew: Duration,
    pub so_rcvbuf: c_int,
    pub so_sndbuf: c_int,
    pub tcp_idle_timeout: Duration,
    /// DNS_QUERY_USEVC / DNS_QUERY_IGNTC for every lookup ("use-vc", "ignore-tc").
    pub tcp_flags: c_int,
    pub max_udp_size: usize,
    /// Times a query is sent to another server after REFUSED or NOTIMPL.
    pub max_reissues: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            attempts: 3,
            max_timeouts: 3,
            max_inflight: 64,
            randomize_case: true,
            bind_to: None,
            initial_probe_timeout: Duration::from_secs(10),
            max_probe_timeout_secs: 3600,
            probe_backoff_factor: 3,
            getaddrinfo_allow_skew: Duration::from_secs(3),
            so_rcvbuf: 0,
            so_sndbuf: 0,
            tcp_idle_timeout: Duration::from_secs(5),
            tcp_flags: 0,
            max_udp_size: DNS_MAX_UDP_SIZE,
            max_reissues: 1,
        }
    }
}

/// The search list and ndots, shared by the lookups that started with it.
#[derive(Clone, Debug)]
pub struct Search {
    pub ndots: c_int,
    pub domains: Vec<Vec<u8>>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            ndots: 1,
            domains: Vec::new(),
        }
    }
}

/// What an event callback needs to find its object again; keys are reused, serials
/// are not.
pub struct Target {
    pub base: *const Base,
    pub key: usize,
    pub serial: u64,
}

pub struct Nameserver {
    pub serial: u64,
    pub addr: SocketAddr,
    pub fd: c_int,
    target: NonNull<Target>,
    read_event: NonNull<sys::event>,
    read_added: bool,
    write_event: NonNull<sys::event>,
    probe_timer: NonNull<sys::event>,
    pub up: bool,
    failed_times: u32,
    timedout: u32,
    pub inflight: usize,
    choked: bool,
    /// The lookup probing this server while it is down.
    probe: Option<usize>,
    /// It answered a query with the name in lower case instead of the case it was
    /// sent in (randomize-case): from then on such replies are taken from it.
    folds_case: bool,
    pub tcp: Option<tcp::Connection>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    A,
    Aaaa,
    Ptr,
}

impl Kind {
    fn qtype(self) -> u16 {
        match self {
            Kind::A => wire::TYPE_A,
            Kind::Aaaa => wire::TYPE_AAAA,
            Kind::Ptr => wire::TYPE_PTR,
        }
    }
}

struct SearchState {
    list: Rc<Search>,
    origname: Vec<u8>,
    index: isize,
}

struct Lookup {
    serial: u64,
    request: *mut Request,
    completion: Option<Completion>,
    kind: Kind,
    tcp_flags: c_int,
    need_cname: bool,
    search: Option<SearchState>,
    tx: Option<usize>,
    probe_of: Option<usize>,
}

/// One query on the wire (a lookup sends several: search names, TCP retries).
struct Tx {
    lookup: usize,
    name: Vec<u8>,
    qtype: u16,
    packet: Vec<u8>,
    id: Option<u16>,
    ns: Option<usize>,
    tx_count: u32,
    reissue_count: u32,
    transmit_me: bool,
    inflight: bool,
    /// Its place among the retransmit deadlines.
    timeout: timeouts::Slot,
}

impl timeouts::Slots for Table<Tx> {
    fn slot(&mut self, key: usize) -> &mut timeouts::Slot {
        &mut self[key].timeout
    }
}

/// A hasher for transaction ids: they are random already, so one multiplication
/// spreads them over the table (SipHash would cost more than the lookup).
#[derive(Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u16(&mut self, id: u16) {
        self.0 = u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type IdMap = HashMap<u16, usize, std::hash::BuildHasherDefault<IdHasher>>;

/// Random bytes taken from the secure generator in blocks, so that a query costs no
/// system call for its id and case bits.
struct RandomPool {
    bytes: [u8; 256],
    used: usize,
}

impl RandomPool {
    fn new() -> Self {
        RandomPool {
            bytes: [0; 256],
            used: 256,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(self.bytes.len()) {
            if self.bytes.len() - self.used < chunk.len() {
                random_bytes(&mut self.bytes);
                self.used = 0;
            }
            chunk.copy_from_slice(&self.bytes[self.used..self.used + chunk.len()]);
            // Never hand the same bytes out twice.
            self.bytes[self.used..self.used + chunk.len()].fill(0);
            self.used += chunk.len();
        }
    }
}

pub struct Inner {
    pub event_base: *mut sys::event_base,
    base: *const Base,
    pub options: Options,
    pub search: Rc<Search>,
    pub hosts: Vec<(Vec<u8>, std::net::IpAddr)>,
    pub servers: Table<Nameserver>,
    /// Server keys in libevent's ring order; `head` is the next one to pick.
    pub ring: Vec<usize>,
    head: usize,
    good: usize,
    lookups: Table<Lookup>,
    txs: Table<Tx>,
    by_id: IdMap,
    /// Retransmit deadlines of the transactions in flight, and their one timer.
    deadlines: Deadlines,
    timer: Option<NonNull<sys::event>>,
    timer_target: Option<NonNull<Target>>,
    random: RandomPool,
    /// The buffer UDP answers are read into, kept between reads.
    recv_buf: Vec<u8>,
    waiting: VecDeque<usize>,
    inflight: usize,
    next_serial: u64,
    pub disable_when_inactive: bool,
    shutting_down: bool,
    /// Finished lookups for the dispatcher, taken by `with_inner`.
    pub ready: Vec<Ready>,
    /// Messages for the log, written by `with_inner` after unlocking.
    pub logs: Vec<(Severity, String)>,
    /// Completions dropped without running, dropped after unlocking.
    pub dropped: Vec<Completion>,
}

fn timeval(duration: Duration) -> libc::timeval {
    libc::timeval {
        tv_sec: duration.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: duration.subsec_micros() as libc::suseconds_t,
    }
}

fn count_dots(name: &[u8]) -> c_int {
    name.iter()
        .filter(|&&b| b == b'.')
        .count()
        .min(c_int::MAX as usize) as c_int
}

/// A name as `build_query` wants it: without one trailing dot.
fn wire_name(name: &[u8]) -> &[u8] {
    name.strip_suffix(b".").unwrap_or(name)
}

fn cstring_lossy(mut bytes: Vec<u8>) -> CString {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    CString::new(bytes).unwrap_or_default()
}

fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for its length.
    unsafe { sys::evutil_secure_rng_get_bytes(buf.as_mut_ptr().cast(), buf.len()) }
}

impl Inner {
    pub fn new(event_base: *mut sys::event_base) -> Inner {
        Inner {
            event_base,
            base: ptr::null(),
            options: Options::default(),
            search: Rc::new(Search::default()),
            hosts: Vec::new(),
            servers: Table::new(),
            ring: Vec::new(),
            head: 0,
            good: 0,
            lookups: Table::new(),
            txs: Table::new(),
            by_id: IdMap::default(),
            deadlines: Deadlines::default(),
            timer: None,
            timer_target: None,
            random: RandomPool::new(),
            recv_buf: Vec::new(),
            waiting: VecDeque::new(),
            inflight: 0,
            next_serial: 1,
            disable_when_inactive: false,
            shutting_down: false,
            ready: Vec::new(),
            logs: Vec::new(),
            dropped: Vec::new(),
        }
    }

    pub fn base_ptr(&self) -> *const Base {
        self.base
    }

    /// Queues a message for the log; it is lost when memory runs out.
    pub fn log(&mut self, severity: Severity, message: impl std::fmt::Display) {
        if let Some(text) = fallible::format(format_args!("{message}")) {
            let _ = fallible::push(&mut self.logs, (severity, text));
        }
    }

    fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    fn event_base(&self) -> NonNull<sys::event_base> {
        NonNull::new(self.event_base).expect("a base always has an event base")
    }

    /// evdns_base_new's work after allocation; false when the base must be freed.
    pub fn initialize(&mut self, base: *const Base, mut flags: c_int) -> bool {
        self.base = base;
        let Some(target) = evrs_sibling::alloc::try_box(Target {
            base,
            key: 0,
            serial: 0,
        }) else {
            return false;
        };
        // SAFETY: the event base is live; `target` lives until the timer is freed in
        // `free_timer`.
        let Some(timer) = (unsafe { handler::new_event::<TxTimeout>(self.event_base(), target) })
        else {
            // SAFETY: fresh from try_box, known to nobody.
            drop(unsafe { Box::from_raw(target.as_ptr()) });
            return false;
        };
        self.timer = Some(timer);
        self.timer_target = Some(target);
        let known = EVDNS_BASE_INITIALIZE_NAMESERVERS
            | EVDNS_BASE_DISABLE_WHEN_INACTIVE
            | EVDNS_BASE_NAMESERVERS_NO_DEFAULT;
        if flags & !known != 0 {
            self.log(
                Severity::Warn,
                "Unrecognized flag passed to evdns_base_new(). Assuming you meant \
                 EVDNS_BASE_INITIALIZE_NAMESERVERS.",
            );
            flags = EVDNS_BASE_INITIALIZE_NAMESERVERS;
        }
        // Set before reading resolv.conf (libevent sets it after), so that the servers
        // found there do not keep the loop alive either.
        self.disable_when_inactive = flags & EVDNS_BASE_DISABLE_WHEN_INACTIVE != 0;
        if flags & EVDNS_BASE_INITIALIZE_NAMESERVERS != 0 {
            let mut options = super::config::DNS_OPTIONS_ALL;
            if flags & EVDNS_BASE_NAMESERVERS_NO_DEFAULT != 0 {
                options |= super::config::DNS_OPTION_NAMESERVERS_NO_DEFAULT;
            }
            let result = self.resolv_conf_parse(options, Some(c"/etc/resolv.conf"));
            // libevent 2.1 fails when resolv.conf names no server (with
            // EVDNS_BASE_NAMESERVERS_NO_DEFAULT); 2.2 makes a base without servers.
            let no_servers_ok = !cfg!(feature = "abi-2-1");
            if result != 0
                && !(no_servers_ok
                    && result == super::config::EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED)
            {
                return false;
            }
        }
        true
    }

    // ---------------------------------------------------------------- lookups

    pub fn start_lookup(
        &mut self,
        query: Query<'_>,
        flags: c_int,
        done: Completion,
    ) -> Result<*mut Request, Completion> {
        let (kind, name) = match query {
            Query::Ipv4(name) => (Kind::A, fallible::to_vec(name.to_bytes()).ok()),
            Query::Ipv6(name) => (Kind::Aaaa, fallible::to_vec(name.to_bytes()).ok()),
            Query::ReverseV4(addr) => (Kind::Ptr, message::reverse_name_v4(addr).ok()),
            Query::ReverseV6(addr) => (Kind::Ptr, message::reverse_name_v6(addr).ok()),
        };
        let Some(name) = name else {
            return Err(done);
        };
        let serial = self.serial();
        let Some(request) = evrs_sibling::alloc::try_box(Request {
            base: self.base.cast_mut(),
            slot: 0,
            serial,
        }) else {
            return Err(done);
        };
        let request = request.as_ptr();
        let inserted = self.lookups.try_insert(Lookup {
            serial,
            request,
            completion: Some(done),
            kind,
            tcp_flags: self.options.tcp_flags | (flags & (DNS_QUERY_USEVC | DNS_QUERY_IGNTC)),
            need_cname: flags & DNS_CNAME_CALLBACK != 0,
            search: None,
            tx: None,
            probe_of: None,
        });
        let slot = match inserted {
            Ok(slot) => slot,
            Err((lookup, OutOfMemory)) => {
                // SAFETY: the handle is ours and was never given out.
                drop(unsafe { Box::from_raw(request) });
                return Err(lookup.completion.expect("stored just above"));
            }
        };
        // SAFETY: fresh from try_box, ours.
        unsafe { (*request).slot = slot };

        let search = Rc::clone(&self.search);
        let first_name = if kind != Kind::Ptr
            && flags & DNS_QUERY_NO_SEARCH == 0
            && !search.domains.is_empty()
        {
            let (first, index) = if count_dots(&name) >= search.ndots {
                (fallible::to_vec(&name).ok(), -1)
            } else {
                (search_name(&name, &search.domains[0]), 0)
            };
            self.lookups[slot].search = Some(SearchState {
                list: search,
                origname: name,
                index,
            });
            first
        } else {
            Some(name)
        };
        let tx = first_name.and_then(|first| self.new_tx(slot, &first, kind.qtype(), None));
        match tx {
            Some(tx) => {
                self.lookups[slot].tx = Some(tx);
                self.submit(tx);
                Ok(request)
            }
            None => {
                let lookup = self.lookups.remove(slot);
                // SAFETY: the handle is ours and was never given out.
                drop(unsafe { Box::from_raw(request) });
                Err(lookup.completion.expect("stored above"))
            }
        }
    }

    pub fn cancel_lookup(&mut self, slot: usize, serial: u64, request: *mut Request) {
        let live = self.lookups.get(slot).is_some_and(|lookup| {
            lookup.serial == serial && lookup.request == request && lookup.probe_of.is_none()
        });
        if live {
            self.finish_lookup(slot, DNS_ERR_CANCEL, 0, AnswerData::None, None);
        }
    }

    /// Ends a lookup: its transaction goes, its completion is queued (or, for a probe,
    /// the server's state is updated).
    fn finish_lookup(
        &mut self,
        slot: usize,
        result: c_int,
        ttl: u32,
        data: AnswerData,
        cname: Option<CString>,
    ) {
        if let Some(tx) = self.lookups[slot].tx.take() {
            self.tx_finished(tx);
        }
        let lookup = self.lookups.remove(slot);
        if let Some(ns) = lookup.probe_of {
            self.probe_done(ns, result);
            return;
        }
        if let Some(completion) = lookup.completion {
            self.ready.push(Ready {
                completion,
                answer: Answer {
                    result,
                    ttl,
                    data,
                    cname,
                },
                request: lookup.request,
            });
        }
    }

    /// A new transaction for lookup `slot`; `forced_ns` puts it in flight on that
    /// server whatever the limit (probes).
    fn new_tx(
        &mut self,
        slot: usize,
        name: &[u8],
        qtype: u16,
        forced_ns: Option<usize>,
    ) -> Option<usize> {
        let name = wire_name(name);
        if name.len() >= 256 {
            return None;
        }
        let mut name = fallible::to_vec(name).ok()?;
        if self.options.randomize_case {
            // Names are under 256 bytes (checked above): 32 bytes of bits suffice.
            let mut bits = [0u8; 32];
            let bits = &mut bits[..name.len().div_ceil(8)];
            self.random.fill(bits);
            for (index, byte) in name.iter_mut().enumerate() {
                if byte.is_ascii_alphabetic() {
                    if bits[index / 8] & (1 << (index % 8)) != 0 {
                        byte.make_ascii_lowercase();
                    } else {
                        byte.make_ascii_uppercase();
                    }
                }
            }
        }
        let edns = (self.options.max_udp_size > DNS_MAX_UDP_SIZE)
            .then(|| self.options.max_udp_size.min(65535) as u16);
        // Room for the whole query (header, name, question, OPT record), so that
        // building it does not allocate; and room for this transaction in the tables
        // every transaction may enter, so that `submit` and `pump_waiting` never do.
        // Exactly: header, the name's labels and root, type and class, OPT record.
        let opt_len = if edns.is_some() { 11 } else { 0 };
        let mut packet = Vec::new();
        packet
            .try_reserve_exact(12 + name.len() + 2 + 4 + opt_len)
            .ok()?;
        let room = self.txs.len() + 1;
        self.by_id
            .try_reserve(room.saturating_sub(self.by_id.len()))
            .ok()?;
        self.waiting
            .try_reserve(room.saturating_sub(self.waiting.len()))
            .ok()?;
        message::build_query(&mut packet, 0xffff, &name, qtype, edns).ok()?;
        let (id, ns) = if let Some(ns) = forced_ns {
            (Some(self.pick_id()), Some(ns))
        } else if self.inflight < self.options.max_inflight {
            (Some(self.pick_id()), self.pick_server())
        } else {
            (None, None)
        };
        if let Some(id) = id {
            packet[..2].copy_from_slice(&id.to_be_bytes());
        }
        // Out of memory: the transaction is not made.
        self.txs
            .try_insert(Tx {
                lookup: slot,
                name,
                qtype,
                packet,
                id,
                ns,
                tx_count: 0,
                reissue_count: 0,
                transmit_me: false,
                inflight: false,
                timeout: timeouts::Slot::default(),
            })
            .ok()
    }

    fn pick_id(&mut self) -> u16 {
        loop {
            let mut bytes = [0u8; 2];
            self.random.fill(&mut bytes);
            let id = u16::from_be_bytes(bytes);
            if id != 0xffff && !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// Puts a transaction in flight when it has a server, else in the waiting queue.
    fn submit(&mut self, tx: usize) {
        match (self.txs[tx].ns, self.txs[tx].id) {
            (Some(ns), Some(id)) => {
                self.by_id.insert(id, tx);
                self.txs[tx].inflight = true;
                self.inflight += 1;
                self.servers[ns].inflight += 1;
                self.transmit(tx);
            }
            _ => {
                self.txs[tx].id = None;
                self.txs[tx].ns = None;
                self.waiting.push_back(tx);
            }
        }
    }

    /// Removes a transaction from flight or from the waiting queue and frees it.
    fn tx_finished(&mut self, tx: usize) {
        let key = tx;
        self.disarm_timeout(key);
        let tx = self.txs.remove(key);
        if !tx.inflight {
            self.waiting.retain(|&waiting| waiting != key);
        }
        if tx.inflight {
            if let Some(id) = tx.id {
                self.by_id.remove(&id);
            }
            self.inflight -= 1;
            if let Some(ns) = tx.ns {
                let server = &mut self.servers[ns];
                server.inflight -= 1;
                if server.inflight == 0 && self.disable_when_inactive {
                    server.read_added = false;
                    // SAFETY: the server's events are live while it is.
                    unsafe {
                        sys::event_del(server.read_event.as_ptr());
                        sys::event_del(server.probe_timer.as_ptr());
                    }
                }
            }
        }
        self.pump_waiting();
    }

    /// Moves waiting transactions into flight while there is room.
    fn pump_waiting(&mut self) {
        if self.shutting_down {
            return;
        }
        while self.inflight < self.options.max_inflight && !self.waiting.is_empty() {
            let Some(ns) = self.pick_server() else {
                return;
            };
            let Some(tx) = self.waiting.pop_front() else {
                return;
            };
            let id = self.pick_id();
            let entry = &mut self.txs[tx];
            entry.id = Some(id);
            entry.ns = Some(ns);
            entry.packet[..2].copy_from_slice(&id.to_be_bytes());
            self.submit(tx);
            self.transmit_all();
        }
    }

    fn transmit_all(&mut self) {
        let pending: Vec<usize> = self
            .txs
            .iter()
            .filter(|(_, tx)| tx.inflight && tx.transmit_me)
            .map(|(key, _)| key)
            .collect();
        for tx in pending {
            if self.txs.contains(tx) {
                self.transmit(tx);
            }
        }
    }

    /// Sends a transaction to its server; false when it waits to be sent.
    fn transmit(&mut self, tx: usize) -> bool {
        self.txs[tx].transmit_me = true;
        let Some(ns) = self.txs[tx].ns else {
            return false;
        };
        if self.servers[ns].choked {
            return false;
        }
        let use_tcp = self.lookups[self.txs[tx].lookup].tcp_flags & DNS_QUERY_USEVC != 0;
        let outcome = if use_tcp {
            let packet = self.txs[tx].packet.clone();
            match tcp::send(self, ns, &packet) {
                tcp::SendOutcome::Sent => 0,
                tcp::SendOutcome::Later => return false,
                tcp::SendOutcome::Failed => 2,
            }
        } else {
            self.ensure_reading(ns);
            let server = &self.servers[ns];
            match net::send_to(server.fd, &self.txs[tx].packet, &server.addr) {
                net::Sent::Done => 0,
                net::Sent::Later => 1,
                net::Sent::Failed(err) => {
                    self.server_failed(ns, &net::errno_text(err));
                    2
                }
            }
        };
        if outcome == 1 {
            let server = &mut self.servers[ns];
            server.choked = true;
            // SAFETY: the server's write event is live while it is.
            unsafe { sys::event_add(server.write_event.as_ptr(), ptr::null()) };
            return false;
        }
        self.arm_timeout(tx);
        let entry = &mut self.txs[tx];
        entry.tx_count += 1;
        entry.transmit_me = false;
        outcome == 0
    }

    fn ensure_reading(&mut self, ns: usize) {
        let server = &mut self.servers[ns];
        if !server.read_added {
            // SAFETY: the read event is live while the server is.
            unsafe { sys::event_add(server.read_event.as_ptr(), ptr::null()) };
            server.read_added = true;
        }
    }

    fn swap_server(&mut self, tx: usize, to: Option<usize>) {
        let Some(to) = to else {
            return;
        };
        let from = self.txs[tx].ns;
        if from == Some(to) {
            return;
        }
        if let Some(from) = from {
            self.servers[from].inflight -= 1;
        }
        self.servers[to].inflight += 1;
        self.txs[tx].ns = Some(to);
    }

    // ---------------------------------------------------------------- answers

    /// A packet from server `ns` (over UDP or TCP).
    pub fn handle_packet(&mut self, packet: &[u8]) {
        let Ok(header) = Header::parse(packet) else {
            return;
        };
        let Some(&tx) = self.by_id.get(&header.id) else {
            return;
        };
        let entry = &self.txs[tx];
        let expected = Expected {
            id: header.id,
            name: &entry.name,
            qtype: entry.qtype,
            case_sensitive: self.options.randomize_case,
        };
        match message::parse_reply(packet, &expected) {
            Ok(reply) => self.handle_reply(tx, reply),
            Err(WireError::WrongQuestion) if self.options.randomize_case => {
                self.handle_case_folded(tx, header.id, packet);
            }
            Err(error) => {
                // Ignored rather than failing the request as libevent does, so that a
                // forged or broken packet cannot end a lookup; the query times out
                // and is retried instead.
                self.log(
                    Severity::Debug,
                    format_args!("Ignoring a DNS reply that does not parse: {error:?}"),
                );
            }
        }
    }

    /// A reply whose question differs from the query's name: some servers answer
    /// with the name in lower case, which libevent accepts by ignoring case whenever
    /// it randomized it. Ignoring case would let a forger skip guessing the 0x20 bits,
    /// so only the all-lower-case form counts: the first time a server does this the
    /// query goes to it again in lower case (a forged reply is never taken), and
    /// later such replies from that server are taken as they are.
    fn handle_case_folded(&mut self, tx: usize, id: u16, packet: &[u8]) {
        let entry = &self.txs[tx];
        // Names sent are shorter than 256 bytes (new_tx).
        let mut lower_buf = [0u8; 256];
        let Some(lower_name) = lower_buf.get_mut(..entry.name.len()) else {
            return;
        };
        lower_name.copy_from_slice(&entry.name);
        lower_name.make_ascii_lowercase();
        let expected = Expected {
            id,
            name: lower_name,
            qtype: entry.qtype,
            case_sensitive: true,
        };
        let Ok(reply) = message::parse_reply(packet, &expected) else {
            self.log(Severity::Debug, "Ignoring a DNS reply to another question");
            return;
        };
        let Some(ns) = entry.ns else {
            return;
        };
        if self.servers[ns].folds_case {
            self.handle_reply(tx, reply);
            return;
        }
        self.servers[ns].folds_case = true;
        let addr = self.servers[ns].addr;
        self.log(
            Severity::Debug,
            format_args!("Nameserver {addr} answers in lower case; asking it again in lower case"),
        );
        let entry = &mut self.txs[tx];
        entry.name.make_ascii_lowercase();
        // The question's name starts after the 12-byte header; its label lengths
        // (at most 63) are not letters, so lowering every byte of it is safe.
        let name_end = (12 + entry.name.len() + 2).min(entry.packet.len());
        entry.packet[12..name_end].make_ascii_lowercase();
        // Not an attempt of its own: the server did answer.
        entry.tx_count = entry.tx_count.saturating_sub(1);
        self.transmit(tx);
    }

    fn handle_reply(&mut self, tx: usize, reply: Reply) {
        let slot = self.txs[tx].lookup;
        let ns = self.txs[tx].ns;
        let has_answer = reply.records != Records::None;
        let rcode = reply.flags & wire::flags::RCODE_MASK;
        if rcode == 0 && !reply.truncated && has_answer {
            let lookup = &self.lookups[slot];
            let cname = if lookup.need_cname {
                reply.cname.map(cstring_lossy)
            } else {
                None
            };
            let data = match reply.records {
                Records::Ipv4(addrs) => AnswerData::Ipv4(addrs),
                Records::Ipv6(addrs) => AnswerData::Ipv6(addrs),
                Records::Ptr(name) => AnswerData::Ptr(cstring_lossy(name)),
                Records::None => AnswerData::None,
            };
            if let Some(ns) = ns {
                self.forget_probe_if(ns, slot);
            }
            self.finish_lookup(slot, DNS_ERR_NONE, reply.ttl, data, cname);
            if let Some(ns) = ns {
                self.server_up(ns);
            }
            return;
        }
        let mut retry_over_tcp = false;
        let error = if reply.truncated {
            // libevent 2.1 has no DNS over TCP: the truncated answer is the result.
            retry_over_tcp = !cfg!(feature = "abi-2-1")
                && self.lookups[slot].tcp_flags & (DNS_QUERY_IGNTC | DNS_QUERY_USEVC) == 0;
            DNS_ERR_TRUNCATED
        } else if rcode != 0 {
            match rcode {
                1 => DNS_ERR_FORMAT,
                2 => DNS_ERR_SERVERFAILED,
                3 => DNS_ERR_NOTEXIST,
                4 => DNS_ERR_NOTIMPL,
                5 => DNS_ERR_REFUSED,
                _ => DNS_ERR_UNKNOWN,
            }
        } else {
            DNS_ERR_NODATA
        };
        match error {
            DNS_ERR_NOTIMPL | DNS_ERR_REFUSED => {
                if self.txs[tx].reissue_count < self.options.max_reissues {
                    if let Some(ns) = ns {
                        let reason = format!(
                            "Bad response {error} ({})",
                            super::config::err_to_str(error)
                        );
                        self.server_failed(ns, &reason);
                    }
                    if self.reissue(tx) {
                        return;
                    }
                }
            }
            DNS_ERR_SERVERFAILED => {
                // Sometimes "we are broken", sometimes "that was confusing": treated as
                // a timeout, as libevent does.
                self.on_timeout_of(tx);
                return;
            }
            _ => {
                if let Some(ns) = ns {
                    self.forget_probe_if(ns, slot);
                    self.server_up(ns);
                }
            }
        }
        if retry_over_tcp && self.retry_over_tcp(tx) {
            return;
        }
        if self.lookups[slot].kind != Kind::Ptr && self.search_next(slot) {
            return;
        }
        self.finish_lookup(slot, error, reply.ttl, AnswerData::None, None);
    }

    /// The probe of `ns` answered itself: it must not be cancelled by `server_up`.
    fn forget_probe_if(&mut self, ns: usize, slot: usize) {
        if let Some(server) = self.servers.get_mut(ns) {
            if server.probe == Some(slot) {
                server.probe = None;
            }
        }
    }

    /// Sends a query again to another server (after REFUSED or NOTIMPL); false when
    /// the only choice is the same server.
    fn reissue(&mut self, tx: usize) -> bool {
        let last = self.txs[tx].ns;
        let picked = self.pick_server();
        self.swap_server(tx, picked);
        if self.txs[tx].ns == last {
            return false;
        }
        let entry = &mut self.txs[tx];
        entry.reissue_count += 1;
        entry.tx_count = 0;
        self.disarm_timeout(tx);
        // Sent now; libevent only marks it and waits for its timer.
        self.transmit(tx);
        true
    }

    /// A truncated UDP answer: the same question again over TCP.
    fn retry_over_tcp(&mut self, tx: usize) -> bool {
        let slot = self.txs[tx].lookup;
        self.lookups[slot].tcp_flags |= DNS_QUERY_USEVC;
        let name = self.txs[tx].name.clone();
        let qtype = self.txs[tx].qtype;
        self.log(
            Severity::Debug,
            "Received a truncated reply; retransmitting via TCP",
        );
        // The name keeps the case it was sent with.
        let randomize = std::mem::replace(&mut self.options.randomize_case, false);
        let new = self.new_tx(slot, &name, qtype, None);
        self.options.randomize_case = randomize;
        let Some(new) = new else {
            return false;
        };
        self.lookups[slot].tx = Some(new);
        self.tx_finished(tx);
        self.submit(new);
        true
    }

    /// The next name of the search list after a failure; false when there is none.
    fn search_next(&mut self, slot: usize) -> bool {
        let Some(state) = self.lookups[slot].search.as_mut() else {
            return false;
        };
        state.index += 1;
        let list = Rc::clone(&state.list);
        let index = state.index;
        let origname = state.origname.clone();
        let next_name = if index as usize >= list.domains.len() {
            if count_dots(&origname) < list.ndots {
                self.log(Severity::Debug, "Search: trying the raw name");
                self.lookups[slot].search = None;
                Some(origname)
            } else {
                None
            }
        } else {
            search_name(&origname, &list.domains[index as usize])
        };
        let Some(next_name) = next_name else {
            return false;
        };
        let qtype = self.lookups[slot].kind.qtype();
        let Some(new) = self.new_tx(slot, &next_name, qtype, None) else {
            return false;
        };
        if let Some(old) = self.lookups[slot].tx.replace(new) {
            self.tx_finished(old);
        }
        self.submit(new);
        true
    }

    // ---------------------------------------------------------------- timeouts

    /// The base's timer fired: every transaction whose deadline passed times out,
    /// in deadline order, unless an earlier one's handling changed its timer.
    fn on_timer(&mut self) {
        let now = Instant::now();
        self.deadlines.fired();
        while let Some(tx) = self.deadlines.pop_due(&mut self.txs, now) {
            self.on_timeout_of(tx);
        }
        let change = self.deadlines.rearm(&mut self.txs, now);
        self.apply_timer_change(change);
    }

    /// (Re)starts the retransmit timeout of `tx`, as event_add of its own timer did.
    fn arm_timeout(&mut self, tx: usize) {
        let now = Instant::now();
        let deadline = now + self.options.timeout;
        let change = self.deadlines.arm(&mut self.txs, tx, deadline, now);
        self.apply_timer_change(change);
    }

    /// Stops the retransmit timeout of `tx`, as event_del of its own timer did.
    fn disarm_timeout(&mut self, tx: usize) {
        let change = self.deadlines.disarm(&mut self.txs, tx);
        self.apply_timer_change(change);
    }

    fn apply_timer_change(&mut self, change: TimerChange) {
        let Some(timer) = self.timer else {
            return;
        };
        match change {
            TimerChange::None => {}
            TimerChange::Arm(after) => {
                // Rounded up to the next microsecond, so that it never fires before
                // the deadline it was armed for.
                let after = after + Duration::from_nanos(999);
                let tv = timeval(after);
                // SAFETY: the timer is live until `free_timer`.
                unsafe { sys::event_add(timer.as_ptr(), &tv) };
            }
            TimerChange::Delete => {
                // SAFETY: the timer is live until `free_timer`, which this path does not
                // call.
                unsafe { sys::event_del(timer.as_ptr()) };
            }
        }
    }

    /// Frees the base's timer (the base is going).
    fn free_timer(&mut self) {
        if let Some(timer) = self.timer.take() {
            // SAFETY: ours, freed once; its target goes after it.
            unsafe { sys::event_free(timer.as_ptr()) };
        }
        if let Some(target) = self.timer_target.take() {
            // SAFETY: from try_box in `initialize`; no event refers to it any more.
            drop(unsafe { Box::from_raw(target.as_ptr()) });
        }
    }

    fn on_timeout_of(&mut self, tx: usize) {
        let slot = self.txs[tx].lookup;
        let ns = self.txs[tx].ns;
        if self.txs[tx].tx_count >= self.options.attempts {
            self.finish_lookup(slot, DNS_ERR_TIMEOUT, 0, AnswerData::None, None);
            if let Some(ns) = ns {
                self.server_failed(ns, "request timed out.");
            }
            return;
        }
        if self.lookups[slot].tcp_flags & DNS_QUERY_USEVC != 0 {
            if let Some(ns) = ns {
                tcp::disconnect(self, ns);
                self.retransmit_tcp_of(ns);
            }
            return;
        }
        self.disarm_timeout(tx);
        // A probe stays on the server it probes (libevent lets it move on).
        if self.lookups[slot].probe_of.is_none() {
            let picked = self.pick_server();
            self.swap_server(tx, picked);
        }
        self.transmit(tx);
        if let Some(ns) = self.txs.get(tx).and_then(|entry| entry.ns) {
            let server = &mut self.servers[ns];
            server.timedout += 1;
            if server.timedout > self.options.max_timeouts {
                server.timedout = 0;
                self.server_failed(ns, "request timed out.");
            }
        }
    }

    /// After a TCP connection to `ns` broke: every TCP query to it goes again (on a
    /// new connection), or fails when out of attempts.
    pub fn retransmit_tcp_of(&mut self, ns: usize) {
        let on_tcp: Vec<usize> = self
            .txs
            .iter()
            .filter(|(_, tx)| {
                tx.inflight
                    && tx.ns == Some(ns)
                    && self.lookups[tx.lookup].tcp_flags & DNS_QUERY_USEVC != 0
            })
            .map(|(key, _)| key)
            .collect();
        for tx in on_tcp {
            if !self.txs.contains(tx) {
                continue;
            }
            if self.txs[tx].tx_count >= self.options.attempts {
                let slot = self.txs[tx].lookup;
                self.finish_lookup(slot, DNS_ERR_TIMEOUT, 0, AnswerData::None, None);
            } else {
                self.disarm_timeout(tx);
                self.transmit(tx);
            }
        }
    }

    // ---------------------------------------------------------------- servers

    /// libevent's round robin over the ring, skipping servers that are down unless
    /// all are.
    fn pick_server(&mut self) -> Option<usize> {
        let len = self.ring.len();
        if len == 0 {
            return None;
        }
        if self.good == 0 {
            self.head = (self.head + 1) % len;
            return Some(self.ring[self.head]);
        }
        let started_at = self.head;
        loop {
            let candidate = self.ring[self.head];
            self.head = (self.head + 1) % len;
            if self.servers[candidate].up {
                return Some(candidate);
            }
            if self.head == started_at {
                let picked = self.ring[self.head];
                self.head = (self.head + 1) % len;
                return Some(picked);
            }
        }
    }

    /// The server at position `index` from the ring's head, as libevent counts.
    pub fn nth_server(&self, index: usize) -> Option<&Nameserver> {
        if index >= self.ring.len() {
            return None;
        }
        let key = self.ring[(self.head + index) % self.ring.len()];
        self.servers.get(key)
    }

    fn server_failed(&mut self, ns: usize, reason: &str) {
        let Some(server) = self.servers.get_mut(ns) else {
            return;
        };
        if !server.up {
            return;
        }
        server.up = false;
        server.failed_times = 1;
        let addr = server.addr;
        let probe_timer = server.probe_timer;
        self.log(
            Severity::Msg,
            format_args!("Nameserver {addr} has failed: {reason}"),
        );
        self.good -= 1;
        if self.good == 0 {
            self.log(Severity::Msg, "All nameservers have failed");
        }
        tcp::disconnect(self, ns);
        let timeout = timeval(self.options.initial_probe_timeout);
        // SAFETY: the probe timer is live while the server is.
        unsafe { sys::event_add(probe_timer.as_ptr(), &timeout) };
        if self.good == 0 {
            return;
        }
        let unsent: Vec<usize> = self
            .txs
            .iter()
            .filter(|(_, tx)| tx.inflight && tx.tx_count == 0 && tx.ns == Some(ns))
            .map(|(key, _)| key)
            .collect();
        for tx in unsent {
            let picked = self.pick_server();
            self.swap_server(tx, picked);
        }
    }

    fn server_up(&mut self, ns: usize) {
        let Some(server) = self.servers.get_mut(ns) else {
            return;
        };
        if server.up {
            return;
        }
        server.up = true;
        server.failed_times = 0;
        server.timedout = 0;
        let probe = server.probe.take();
        // SAFETY: the probe timer is live while the server is.
        unsafe { sys::event_del(server.probe_timer.as_ptr()) };
        let addr = server.addr;
        self.good += 1;
        self.log(Severity::Msg, format_args!("Nameserver {addr} is back up"));
        if let Some(probe) = probe {
            if self.lookups.contains(probe) {
                self.finish_lookup(probe, DNS_ERR_CANCEL, 0, AnswerData::None, None);
            }
        }
    }

    fn probe_done(&mut self, ns: usize, result: c_int) {
        if result == DNS_ERR_CANCEL {
            return;
        }
        let Some(server) = self.servers.get_mut(ns) else {
            return;
        };
        server.probe = None;
        if result == DNS_ERR_NONE || result == DNS_ERR_NOTEXIST {
            self.server_up(ns);
        } else {
            self.probe_failed(ns);
        }
    }

    fn probe_failed(&mut self, ns: usize) {
        let initial = self.options.initial_probe_timeout;
        let max = self.options.max_probe_timeout_secs;
        let factor = self.options.probe_backoff_factor;
        let server = &mut self.servers[ns];
        // SAFETY: the probe timer is live while the server is.
        unsafe { sys::event_del(server.probe_timer.as_ptr()) };
        if server.up {
            return;
        }
        // Whole seconds are compared with the maximum, as libevent does: the wait
        // stops growing once they reach it and is cut only when they exceed it.
        let mut timeout = initial;
        for _ in 0..server.failed_times {
            if timeout.as_secs() >= max {
                break;
            }
            timeout = timeout.saturating_mul(factor);
        }
        if timeout.as_secs() > max {
            timeout = Duration::from_secs(max);
        }
        server.failed_times += 1;
        let timeout = timeval(timeout);
        // SAFETY: the probe timer is live while the server is, and `server` is borrowed
        // here.
        unsafe { sys::event_add(server.probe_timer.as_ptr(), &timeout) };
    }

    fn on_probe_timer(&mut self, ns: usize, serial: u64) {
        if self.servers.get(ns).is_none_or(|s| s.serial != serial) {
            return;
        }
        let addr = self.servers[ns].addr;
        self.log(Severity::Debug, format_args!("Sending probe to {addr}"));
        let serial = self.serial();
        let inserted = self.lookups.try_insert(Lookup {
            serial,
            request: ptr::null_mut(),
            completion: None,
            kind: Kind::A,
            // Probes always go over UDP, as in libevent.
            tcp_flags: 0,
            need_cname: false,
            search: None,
            tx: None,
            probe_of: Some(ns),
        });
        let Ok(slot) = inserted else {
            // Out of memory: tried again later.
            self.probe_failed(ns);
            return;
        };
        match self.new_tx(slot, b"google.com", wire::TYPE_A, Some(ns)) {
            Some(tx) => {
                self.lookups[slot].tx = Some(tx);
                self.servers[ns].probe = Some(slot);
                self.submit(tx);
            }
            None => {
                self.lookups.remove(slot);
                self.probe_failed(ns);
            }
        }
    }

    fn on_readable(&mut self, ns: usize, serial: u64) {
        // Room for a batch of the largest answers, at most 64 KiB.
        let slot = self.options.max_udp_size.max(DNS_MAX_UDP_SIZE);
        let batch = (65536 / slot).clamp(1, net::RECV_BATCH);
        // Taken out of the state while packets are handled, and kept for next time.
        let mut buf = std::mem::take(&mut self.recv_buf);
        let mut batch = batch;
        while buf.len() < slot * batch && buf.try_reserve(slot * batch - buf.len()).is_err() {
            if batch == 1 {
                // Out of memory: the answers stay queued in the socket for now.
                self.recv_buf = buf;
                return;
            }
            batch = 1;
        }
        if buf.len() < slot * batch {
            buf.resize(slot * batch, 0);
        }
        self.read_packets(ns, serial, &mut buf, slot);
        self.recv_buf = buf;
    }

    fn read_packets(&mut self, ns: usize, serial: u64, buf: &mut [u8], slot: usize) {
        // Bounded, so that a flood cannot keep the loop here.
        let mut left = 64;
        while left > 0 {
            let Some(server) = self.servers.get(ns).filter(|s| s.serial == serial) else {
                return;
            };
            let (fd, expected) = (server.fd, server.addr);
            let mut got = [net::Datagram::default(); net::RECV_BATCH];
            let asked = left.min(buf.len() / slot).min(net::RECV_BATCH);
            let count = match net::recv_many(fd, buf, slot, &mut got[..asked]) {
                net::Batch::Empty => return,
                net::Batch::Failed(err) => {
                    self.server_failed(ns, &net::errno_text(err));
                    return;
                }
                net::Batch::Got(count) => count,
            };
            left -= count;
            for (index, datagram) in got[..count].iter().enumerate() {
                let from = datagram.from;
                if !from.is_some_and(|from| net::same_endpoint(&from, &expected)) {
                    let from = from.map_or_else(|| "?".to_string(), |a| a.to_string());
                    self.log(
                        Severity::Warn,
                        format_args!(
                            "Address mismatch on received DNS packet.  Apparent source was {from}"
                        ),
                    );
                    continue;
                }
                let Some(server) = self.servers.get_mut(ns).filter(|s| s.serial == serial) else {
                    return;
                };
                server.timedout = 0;
                let start = index * slot;
                self.handle_packet(&buf[start..start + datagram.len.min(slot)]);
            }
            if count < asked {
                // The socket had no more.
                return;
            }
        }
    }

    fn on_writable(&mut self, ns: usize, serial: u64) {
        let Some(server) = self.servers.get_mut(ns).filter(|s| s.serial == serial) else {
            return;
        };
        server.choked = false;
        self.transmit_all();
    }

    /// evdns_base_nameserver_sockaddr_add: 0, 3 for a duplicate, or libevent's
    /// socket error codes.
    pub fn add_server(&mut self, addr: SocketAddr) -> c_int {
        if self
            .ring
            .iter()
            .any(|&key| net::same_endpoint(&self.servers[key].addr, &addr))
        {
            return 3;
        }
        // Room for it in the ring, so that nothing fails once the socket exists.
        if self.ring.try_reserve(1).is_err() {
            self.log(
                Severity::Warn,
                format_args!("Unable to add nameserver {addr}: out of memory"),
            );
            return 2;
        }
        let socket_options = net::SocketOptions {
            bind_to: self.options.bind_to,
            so_rcvbuf: self.options.so_rcvbuf,
            so_sndbuf: self.options.so_sndbuf,
        };
        let fd = match net::udp_socket(&addr, &socket_options) {
            Ok(fd) => fd,
            Err(code) => {
                if code == 2 {
                    self.log(Severity::Warn, "Couldn't bind to outgoing address");
                }
                self.log(
                    Severity::Warn,
                    format_args!("Unable to add nameserver {addr}: error {code}"),
                );
                return code;
            }
        };
        match self.server_events(fd) {
            Some((serial, target, read_event, write_event, probe_timer)) => {
                let read_added = !self.disable_when_inactive;
                if read_added {
                    // SAFETY: a fresh event of ours.
                    unsafe { sys::event_add(read_event.as_ptr(), ptr::null()) };
                }
                let inserted = self.servers.try_insert(Nameserver {
                    serial,
                    addr,
                    fd,
                    target,
                    read_event,
                    read_added,
                    write_event,
                    probe_timer,
                    up: true,
                    failed_times: 0,
                    timedout: 0,
                    inflight: 0,
                    choked: false,
                    probe: None,
                    folds_case: false,
                    tcp: None,
                });
                let key = match inserted {
                    Ok(key) => key,
                    Err((server, OutOfMemory)) => {
                        // SAFETY: fresh events and socket of ours, freed once; the
                        // target goes after the events that point at it.
                        unsafe {
                            sys::event_free(server.read_event.as_ptr());
                            sys::event_free(server.write_event.as_ptr());
                            sys::event_free(server.probe_timer.as_ptr());
                            sys::evutil_closesocket(server.fd);
                            drop(Box::from_raw(server.target.as_ptr()));
                        }
                        self.log(
                            Severity::Warn,
                            format_args!("Unable to add nameserver {addr}: out of memory"),
                        );
                        return 2;
                    }
                };
                if self.ring.is_empty() {
                    self.ring.push(key);
                    self.head = 0;
                } else {
                    // libevent links a new server just after the head of its ring.
                    self.ring.insert(self.head + 1, key);
                }
                self.good += 1;
                self.log(Severity::Debug, format_args!("Added nameserver {addr}"));
                0
            }
            None => {
                // SAFETY: our socket, closed once.
                unsafe { sys::evutil_closesocket(fd) };
                self.log(
                    Severity::Warn,
                    format_args!("Unable to add nameserver {addr}: error 2"),
                );
                2
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn server_events(
        &mut self,
        fd: c_int,
    ) -> Option<(
        u64,
        NonNull<Target>,
        NonNull<sys::event>,
        NonNull<sys::event>,
        NonNull<sys::event>,
    )> {
        let serial = self.serial();
        let target = evrs_sibling::alloc::try_box(Target {
            base: self.base,
            key: self.servers.vacant_key(),
            serial,
        })?;
        let arg = target.as_ptr().cast();
        // SAFETY: the event base is live; `target` outlives the events (freed with
        // the server).
        let read = NonNull::new(unsafe {
            sys::event_new(
                self.event_base,
                fd,
                sys::EV_READ | sys::EV_PERSIST,
                Some(server_ready),
                arg,
            )
        });
        // SAFETY: the event base is live; `target` outlives the event (freed with the
        // server).
        let write = NonNull::new(unsafe {
            sys::event_new(self.event_base, fd, sys::EV_WRITE, Some(server_ready), arg)
        });
        // SAFETY: the event base is live; `target` lives until the server frees its events.
        let probe = unsafe { handler::new_event::<ProbeTimer>(self.event_base(), target) };
        match (read, write, probe) {
            (Some(read), Some(write), Some(probe)) => Some((serial, target, read, write, probe)),
            (read, write, probe) => {
                for event in [read, write, probe].into_iter().flatten() {
                    // SAFETY: fresh events of ours, never added.
                    unsafe { sys::event_free(event.as_ptr()) };
                }
                // SAFETY: fresh from try_box; no event refers to it any more.
                drop(unsafe { Box::from_raw(target.as_ptr()) });
                None
            }
        }
    }

    /// Frees one server's socket, events and connection (its queries are dealt with
    /// by the caller).
    fn free_server(&mut self, ns: usize) {
        tcp::disconnect(self, ns);
        let server = self.servers.remove(ns);
        // SAFETY: the server's events and socket are ours, freed once; the target
        // goes after the events that pointed at it.
        unsafe {
            sys::event_free(server.read_event.as_ptr());
            sys::event_free(server.write_event.as_ptr());
            sys::event_free(server.probe_timer.as_ptr());
            sys::evutil_closesocket(server.fd);
            drop(Box::from_raw(server.target.as_ptr()));
        }
    }

    /// Ends the probes of every server (their callbacks are internal).
    fn end_probes(&mut self) {
        let probes: Vec<usize> = self
            .servers
            .iter_mut()
            .filter_map(|(_, s)| s.probe.take())
            .collect();
        for probe in probes {
            if self.lookups.contains(probe) {
                self.finish_lookup(probe, DNS_ERR_CANCEL, 0, AnswerData::None, None);
            }
        }
    }

    /// evdns_base_clear_nameservers_and_suspend.
    pub fn clear_servers_and_suspend(&mut self) {
        if self.ring.is_empty() {
            return;
        }
        let was = std::mem::replace(&mut self.shutting_down, true);
        self.end_probes();
        self.shutting_down = was;
        let mut suspended: Vec<usize> = self
            .txs
            .iter()
            .filter(|(_, tx)| tx.inflight)
            .map(|(key, _)| key)
            .collect();
        suspended.sort_unstable();
        for &tx in &suspended {
            let entry = &mut self.txs[tx];
            entry.tx_count = 0;
            entry.reissue_count = 0;
            entry.ns = None;
            entry.id = None;
            entry.transmit_me = false;
            entry.inflight = false;
            self.disarm_timeout(tx);
        }
        self.by_id.clear();
        self.inflight = 0;
        // Queries in flight go before those already waiting, as in libevent.
        for &tx in suspended.iter().rev() {
            self.waiting.push_front(tx);
        }
        let keys: Vec<usize> = self.ring.drain(..).collect();
        for key in keys {
            self.free_server(key);
        }
        self.head = 0;
        self.good = 0;
    }

    /// evdns_base_resume.
    pub fn resume(&mut self) {
        self.pump_waiting();
    }

    /// Changes max-inflight and starts waiting queries that now fit.
    pub fn set_max_inflight(&mut self, max: usize) {
        self.options.max_inflight = max.max(1);
        self.pump_waiting();
    }

    /// Everything ends: with `fail_requests` each lookup's callback is queued with
    /// DNS_ERR_SHUTDOWN, otherwise it is dropped.
    pub fn shutdown(&mut self, fail_requests: bool) {
        self.shutting_down = true;
        self.end_probes();
        let slots: Vec<usize> = self.lookups.iter().map(|(key, _)| key).collect();
        for slot in slots {
            if !self.lookups.contains(slot) {
                continue;
            }
            if fail_requests {
                self.finish_lookup(slot, DNS_ERR_SHUTDOWN, 0, AnswerData::None, None);
            } else {
                if let Some(tx) = self.lookups[slot].tx.take() {
                    self.tx_finished(tx);
                }
                let lookup = self.lookups.remove(slot);
                self.dropped.extend(lookup.completion);
                if !lookup.request.is_null() {
                    // SAFETY: the handle came from try_box and its lookup is over.
                    drop(unsafe { Box::from_raw(lookup.request) });
                }
            }
        }
        let keys: Vec<usize> = self.ring.drain(..).collect();
        for key in keys {
            self.free_server(key);
        }
        self.good = 0;
        self.free_timer();
    }

    /// The matching entries, or `OutOfMemory`.
    pub fn hosts_lookup(
        &self,
        name: &[u8],
        want_v4: bool,
        want_v6: bool,
    ) -> Result<Vec<std::net::IpAddr>, OutOfMemory> {
        let mut found = Vec::new();
        let matching = self.hosts.iter().filter(|(host, addr)| {
            host.eq_ignore_ascii_case(name)
                && match addr {
                    std::net::IpAddr::V4(_) => want_v4,
                    std::net::IpAddr::V6(_) => want_v6,
                }
        });
        for (_, addr) in matching {
            fallible::push(&mut found, *addr)?;
        }
        Ok(found)
    }

    pub fn search_list_clear(&mut self) {
        self.search = Rc::new(Search::default());
    }

    /// evdns_base_search_add: as in libevent, a domain added this way is tried
    /// before those added earlier.
    pub fn search_list_add(&mut self, domain: &[u8]) {
        // Out of memory: nothing is added, as in libevent.
        let Ok(domain) = fallible::to_vec(strip_leading_dots(domain)) else {
            return;
        };
        let domains = &mut Rc::make_mut(&mut self.search).domains;
        if domains.try_reserve(1).is_ok() {
            domains.insert(0, domain);
        }
    }

    /// A domain of a resolv.conf `search` line: tried in the file's order.
    pub fn search_list_append(&mut self, domain: &[u8]) {
        let Ok(domain) = fallible::to_vec(strip_leading_dots(domain)) else {
            return;
        };
        let _ = fallible::push(&mut Rc::make_mut(&mut self.search).domains, domain);
    }

    pub fn search_ndots_set(&mut self, ndots: c_int) {
        Rc::make_mut(&mut self.search).ndots = ndots;
    }

    pub fn server_by_key(&mut self, ns: usize) -> Option<&mut Nameserver> {
        self.servers.get_mut(ns)
    }
}

fn strip_leading_dots(mut domain: &[u8]) -> &[u8] {
    while let Some(rest) = domain.strip_prefix(b".") {
        domain = rest;
    }
    domain
}

/// `name` followed by a search domain (a dot between unless the name ends with one).
fn search_name(name: &[u8], domain: &[u8]) -> Option<Vec<u8>> {
    if name.is_empty() {
        return None;
    }
    let mut full = Vec::new();
    full.try_reserve_exact(name.len() + 1 + domain.len()).ok()?;
    full.extend_from_slice(name);
    if !name.ends_with(b".") {
        full.push(b'.');
    }
    full.extend_from_slice(domain);
    Some(full)
}

/// Reads the target of an event callback: base, key and serial.
///
/// # Safety
/// `target` is the live target of the event that is running.
unsafe fn read_target(target: NonNull<Target>) -> (*const Base, usize, u64) {
    // SAFETY: live while its event is; copied out so no reference stays alive.
    let target = unsafe { target.as_ref() };
    (target.base, target.key, target.serial)
}

struct TxTimeout;

impl EventHandler for TxTimeout {
    type Target = Target;
    fn fire(target: NonNull<Target>, _what: c_short) {
        // SAFETY: the timer's target lives as long as the timer.
        let (base, _, _) = unsafe { read_target(target) };
        // SAFETY: the base frees its timer before it goes.
        unsafe { with_inner(base, |inner| inner.on_timer()) };
    }
}

struct ProbeTimer;

impl EventHandler for ProbeTimer {
    type Target = Target;
    fn fire(target: NonNull<Target>, _what: c_short) {
        // SAFETY: the timer's target lives as long as the timer.
        let (base, key, serial) = unsafe { read_target(target) };
        // SAFETY: the base frees its timers before it goes.
        unsafe { with_inner(base, |inner| inner.on_probe_timer(key, serial)) };
    }
}

/// The read and write events of a server's UDP socket.
unsafe extern "C" fn server_ready(
    _fd: sys::evutil_socket_t,
    what: c_short,
    arg: *mut std::ffi::c_void,
) {
    let Some(target) = NonNull::new(arg.cast::<Target>()) else {
        return;
    };
    let run = || {
        // SAFETY: the events' target lives as long as they do.
        let (base, key, serial) = unsafe { read_target(target) };
        // SAFETY: the base frees its servers' events before it goes.
        unsafe {
            with_inner(base, |inner| {
                if what & sys::EV_WRITE != 0 {
                    inner.on_writable(key, serial);
                }
                if what & sys::EV_READ != 0 {
                    inner.on_readable(key, serial);
                }
            })
        };
    };
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).is_err() {
        evrs_sibling::log::warn(format_args!("evdns: internal error caught in a callback"));
    }
}
