//! One query received by a server port: the program-visible `struct
//! evdns_server_request` (dns_struct.h) at the start of our own record, the questions
//! in `struct evdns_server_question`'s layout with the name stored inline after it (as
//! libevent allocates them), the records the program adds, and the response built
//! from them.

use std::alloc::Layout;
use std::ffi::{c_char, c_int};
use std::ptr::NonNull;

use evrs_dns_proto::message::{self, QuestionRef, Record, RecordData, Section};
use evrs_dns_proto::wire;

use super::tcp::TcpClient;
use super::ServerPort;

/// `struct evdns_server_request` (event2/dns_struct.h).
#[repr(C)]
pub struct evdns_server_request {
    pub flags: c_int,
    pub nquestions: c_int,
    pub questions: *mut *mut evdns_server_question,
}

/// `struct evdns_server_question` (event2/dns_struct.h); `name` extends past the
/// declared array.
#[repr(C)]
pub struct evdns_server_question {
    pub r#type: c_int,
    pub dns_question_class: c_int,
    pub name: [c_char; 1],
}

// The layouts of layout-2.2.1-x86_64.txt (the same on every LP64 and ILP32 target but
// for the pointer).
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(offset_of!(evdns_server_request, flags) == 0);
    assert!(offset_of!(evdns_server_request, nquestions) == 4);
    assert!(offset_of!(evdns_server_request, questions) == 8);
    assert!(size_of::<evdns_server_request>() == 8 + size_of::<usize>());
    assert!(offset_of!(evdns_server_question, r#type) == 0);
    assert!(offset_of!(evdns_server_question, dns_question_class) == 4);
    assert!(offset_of!(evdns_server_question, name) == 8);
    assert!(size_of::<evdns_server_question>() == 12);
};

/// The largest UDP reply without EDNS (RFC 1035), libevent's `DNS_MAX_UDP_SIZE`.
pub const UDP_REPLY_LIMIT: usize = 512;
/// A reply over TCP is limited by its 16-bit length prefix.
pub const TCP_REPLY_LIMIT: usize = 65535;

/// Where the query came from, and so where the reply goes.
pub enum Origin {
    Udp {
        addr: libc::sockaddr_storage,
        len: libc::socklen_t,
    },
    /// The connection; the request holds one of its references.
    Tcp(NonNull<TcpClient>),
}

/// One question block as the program sees it, with the layout it was allocated with.
struct QuestionBlock {
    block: NonNull<evdns_server_question>,
    layout: Layout,
}

impl QuestionBlock {
    /// A block holding `question`, its name NUL-terminated inline; `None` when memory
    /// runs out.
    fn new(question: &QuestionRef<'_>) -> Option<QuestionBlock> {
        let name_offset = std::mem::offset_of!(evdns_server_question, name);
        let size = (name_offset + question.name.len() + 1).max(size_of::<evdns_server_question>());
        let layout = Layout::from_size_align(size, align_of::<evdns_server_question>()).ok()?;
        // SAFETY: the layout has a non-zero size.
        let block =
            NonNull::new(unsafe { std::alloc::alloc(layout) }.cast::<evdns_server_question>())?;
        // SAFETY: the block is fresh and `size` bytes long: the two ints, then the name
        // and its NUL fit from `name_offset` on.
        unsafe {
            let raw = block.as_ptr();
            (&raw mut (*raw).r#type).write(c_int::from(question.qtype));
            (&raw mut (*raw).dns_question_class).write(c_int::from(question.qclass));
            let name = raw.cast::<u8>().add(name_offset);
            std::ptr::copy_nonoverlapping(question.name.as_ptr(), name, question.name.len());
            name.add(question.name.len()).write(0);
        }
        Some(QuestionBlock { block, layout })
    }

    /// The question as it stands now: the program may have changed the fields.
    fn current(&self) -> QuestionRef<'_> {
        let name_offset = std::mem::offset_of!(evdns_server_question, name);
        let room = self.layout.size() - name_offset;
        // SAFETY: the block is live and `layout.size()` bytes long, so `room` bytes
        // from the name on are ours to read.
        let (qtype, qclass, name) = unsafe {
            let raw = self.block.as_ptr();
            let name = std::slice::from_raw_parts(raw.cast::<u8>().add(name_offset), room);
            ((*raw).r#type, (*raw).dns_question_class, name)
        };
        // A name whose NUL the program overwrote ends at the end of its block.
        let len = name.iter().position(|&b| b == 0).unwrap_or(room);
        QuestionRef {
            name: &name[..len],
            qtype: qtype as u16,
            qclass: qclass as u16,
        }
    }
}

impl Drop for QuestionBlock {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.block.as_ptr().cast(), self.layout) }
    }
}

/// A query being answered. `public` comes first, so the pointer the program holds is
/// also a pointer to the whole record.
#[repr(C)]
pub struct ServerRequest {
    public: evdns_server_request,
    pub port: NonNull<ServerPort>,
    pub origin: Origin,
    id: u16,
    /// The array `public.questions` points to: `single` for at most one question
    /// (no allocation), `question_array` for more.
    single: [*mut evdns_server_question; 1],
    question_array: Vec<*mut evdns_server_question>,
    /// The first question, then the others.
    first: Option<QuestionBlock>,
    rest: Vec<QuestionBlock>,
    records: Vec<Record>,
    max_reply_len: usize,
    /// Set once the reply is built; records can no longer be added.
    pub response: Option<Vec<u8>>,
    /// Waiting in the port's queue for the socket to become writable.
    pub queued: bool,
}

/// What a received query turned into.
pub enum Parsed {
    /// A query to give the program.
    Query(NonNull<ServerRequest>),
    /// A query with an opcode other than QUERY: answered NOTIMPL at once, as libevent
    /// intends.
    NotImplemented(NonNull<ServerRequest>),
}

impl ServerRequest {
    /// A request for `packet`, or `None` when the packet is not a well-formed query
    /// (replies included) or memory runs out: such packets are ignored.
    ///
    /// `name` is scratch space the caller keeps between queries.
    pub fn from_packet(
        packet: &[u8],
        port: NonNull<ServerPort>,
        origin: Origin,
        name: &mut Vec<u8>,
    ) -> Option<Parsed> {
        // Room for the longest name, so that reading names never allocates.
        if name.capacity() < 256 && name.try_reserve(256).is_err() {
            return None;
        }
        let mut first = None;
        let mut rest = Vec::new();
        let mut ok = true;
        let head = message::scan_request(packet, name, |question| {
            // A name that cannot be written back (a label holding a dot, say) could
            // not be echoed in the reply, which would then never go out: such a query
            // is ignored like a malformed one (libevent sends a corrupted name).
            if !ok || wire::check_name(question.name).is_err() {
                ok = false;
                return;
            }
            let Some(block) = QuestionBlock::new(&question) else {
                ok = false;
                return;
            };
            if first.is_none() {
                first = Some(block);
            } else if rest.try_reserve(1).is_ok() {
                rest.push(block);
            } else {
                ok = false;
            }
        })
        .ok()?;
        if !ok {
            return None;
        }
        let count = usize::from(first.is_some()) + rest.len();
        let mut question_array = Vec::new();
        if count > 1 {
            question_array.try_reserve_exact(count).ok()?;
            question_array.extend(
                first
                    .iter()
                    .chain(&rest)
                    .map(|question| question.block.as_ptr()),
            );
        }
        let edns_size = head.edns_udp_size;
        let mut records = Vec::new();
        let mut max_reply_len = match origin {
            Origin::Udp { .. } => UDP_REPLY_LIMIT,
            Origin::Tcp(_) => TCP_REPLY_LIMIT,
        };
        if let Some(size) = edns_size {
            // As libevent: the client's payload size (never below 512) bounds the UDP
            // reply, and the reply carries an OPT record of its own.
            if let Origin::Udp { .. } = origin {
                max_reply_len = usize::from(size).max(UDP_REPLY_LIMIT);
            }
            records.try_reserve(1).ok()?;
            records.push(Record {
                section: Section::Additional,
                name: Vec::new(),
                rtype: wire::TYPE_OPT,
                class: UDP_REPLY_LIMIT as u16,
                ttl: 0,
                data: RecordData::Bytes(Vec::new()),
            });
        }
        let kept_flags = head.flags & (wire::flags::RD | wire::flags::CD);
        let single = [first
            .as_ref()
            .map_or(std::ptr::null_mut(), |question| question.block.as_ptr())];
        let request = ServerRequest {
            public: evdns_server_request {
                flags: c_int::from(kept_flags),
                nquestions: count as c_int,
                questions: std::ptr::null_mut(),
            },
            port,
            origin,
            id: head.id,
            single,
            question_array,
            first,
            rest,
            records,
            max_reply_len,
            response: None,
            queued: false,
        };
        let request = evrs_sibling::alloc::try_box(request)?;
        // SAFETY: fresh and ours; the box does not move, so a pointer to its own
        // `single` field stays valid as long as the request.
        unsafe {
            let raw = request.as_ptr();
            (*raw).public.questions = if count > 1 {
                (*raw).question_array.as_mut_ptr()
            } else {
                (&raw mut (*raw).single).cast()
            };
        }
        // libevent means to answer other opcodes NOTIMPL, but tests the opcode after
        // masking it off and so hands them to the program as plain queries.
        if head.flags & wire::flags::OPCODE_MASK != 0 {
            Some(Parsed::NotImplemented(request))
        } else {
            Some(Parsed::Query(request))
        }
    }

    /// The pointer the program gets.
    pub fn public_ptr(request: NonNull<ServerRequest>) -> *mut evdns_server_request {
        request.as_ptr().cast()
    }

    /// The request behind a pointer the program gives back.
    pub fn from_public(public: *mut evdns_server_request) -> Option<NonNull<ServerRequest>> {
        NonNull::new(public.cast())
    }

    /// `evdns_server_request_add_reply`: false when the section is unknown, the reply
    /// was already built, the name is not a valid DNS name, or memory runs out.
    pub fn add_record(&mut self, section: c_int, record: PendingRecord) -> bool {
        if self.response.is_some() {
            return false;
        }
        let section = match section {
            0 => Section::Answer,
            1 => Section::Authority,
            2 => Section::Additional,
            _ => return false,
        };
        // A name that cannot be written is refused now rather than spoiling the
        // whole reply later (libevent sends a cut reply with TC set instead).
        if wire::check_name(&record.name).is_err() {
            return false;
        }
        if let RecordData::Name(target) = &record.data {
            if wire::check_name(target).is_err() {
                return false;
            }
        }
        if self.records.try_reserve(1).is_err() {
            return false;
        }
        self.records.push(Record {
            section,
            name: record.name,
            rtype: record.rtype,
            class: record.class,
            ttl: record.ttl,
            data: record.data,
        });
        true
    }

    /// `evdns_server_request_set_flags`: AA and 0x80 (what libevent calls
    /// EVDNS_FLAGS_RD) are replaced, other bits are added, as libevent does.
    pub fn set_flags(&mut self, flags: c_int) {
        self.public.flags &= !(0x400 | 0x080);
        self.public.flags |= flags;
    }

    /// Builds the reply once, from the live flags and questions: false when `rcode`
    /// is outside 0..=15 or the reply cannot be written.
    pub fn build_response(&mut self, rcode: c_int) -> bool {
        if self.response.is_some() {
            return true;
        }
        if !(0..=15).contains(&rcode) {
            return false;
        }
        let flags = (self.public.flags as u16) | wire::flags::QR | rcode as u16;
        let mut out = Vec::new();
        if out.try_reserve(self.max_reply_len.min(4096)).is_err() {
            return false;
        }
        let questions = self.first.iter().chain(&self.rest);
        if message::build_response_with(
            &mut out,
            self.id,
            flags,
            questions.map(QuestionBlock::current),
            &self.records,
            self.max_reply_len,
        )
        .is_err()
        {
            return false;
        }
        self.records = Vec::new();
        self.response = Some(out);
        true
    }

    /// `evdns_server_request_get_requesting_addr`: the client's address, or -1 when
    /// `room` bytes are too few.
    pub fn requesting_addr(&self, out: *mut libc::sockaddr, room: c_int) -> c_int {
        let (addr, len) = match &self.origin {
            Origin::Udp { addr, len } => (addr as *const libc::sockaddr_storage, *len),
            // SAFETY: the request holds a reference to its connection, so the client
            // record is live (its socket may be closed; the address stays).
            Origin::Tcp(client) => unsafe { client.as_ref().peer() },
        };
        let Ok(len_int) = c_int::try_from(len) else {
            return -1;
        };
        if room < len_int || out.is_null() {
            return -1;
        }
        // SAFETY: `out` has room for `len` bytes (checked), `addr` holds `len` bytes.
        unsafe { std::ptr::copy_nonoverlapping(addr.cast::<u8>(), out.cast::<u8>(), len as usize) };
        len_int
    }
}

/// A record the program asked to add, already copied out of its arguments.
pub struct PendingRecord {
    pub name: Vec<u8>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RecordData,
}
