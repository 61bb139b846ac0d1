//! Socket bufferevents: the input is filled with `readv` when the socket is readable,
//! the output drained with `writev` (or `sendfile`) when it is writable, and outgoing
//! connections are made and reported (`BEV_EVENT_CONNECTED`).

use std::cell::Cell;
use std::ffi::{c_int, c_short, c_void, CStr, CString};
use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::RwLock;

use super::raw::KindTag;
use super::{options, suspend, what, BevError, BevResult, Bufferevent, Kind};
use crate::buffer::{CallbackInfo, ChangeHandler, OnChange, FLAG_DRAINS_TO_FD};
use crate::event::handler::{EventHandler, Handler};
use crate::event::raw::ev;
use crate::event::{self, Base, DelMode};
use crate::util::addr::{to_sockaddr_in, to_sockaddr_in6};
use crate::util::errno;
use crate::util::resolve::{self, Hints};
use crate::util::socket as sock;

static SOCKET_TAG: KindTag = KindTag { name: c"socket" };

/// A socket address as the program passed it (`struct sockaddr` and its length).
#[derive(Clone, Copy)]
pub struct SocketAddress {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl SocketAddress {
    /// From the bytes of a `struct sockaddr`; None when too short or too long.
    pub fn from_bytes(bytes: &[u8]) -> Option<SocketAddress> {
        if bytes.len() < size_of::<libc::sa_family_t>()
            || bytes.len() > size_of::<libc::sockaddr_storage>()
        {
            return None;
        }
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        // SAFETY: `bytes` fits in `storage`, checked above.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                bytes.len(),
            )
        };
        Some(SocketAddress {
            storage,
            len: bytes.len() as libc::socklen_t,
        })
    }

    fn from_socket_addr(addr: &SocketAddr) -> SocketAddress {
        fn bytes_of<T>(value: &T) -> &[u8] {
            // SAFETY: a plain C struct, read as the bytes it is made of.
            unsafe { std::slice::from_raw_parts((value as *const T).cast(), size_of::<T>()) }
        }
        match addr {
            SocketAddr::V4(a) => Self::from_bytes(bytes_of(&to_sockaddr_in(a))),
            SocketAddr::V6(a) => Self::from_bytes(bytes_of(&to_sockaddr_in6(a))),
        }
        .expect("fits in sockaddr_storage")
    }

    pub(crate) fn family(&self) -> c_int {
        c_int::from(self.storage.ss_family)
    }

    pub(crate) fn as_raw(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    pub(crate) fn len(&self) -> libc::socklen_t {
        self.len
    }
}

/// The host-name lookup of `bufferevent_socket_connect_hostname`, on a socket or a
/// foreign (TLS) bufferevent.
#[derive(Default)]
pub(super) struct HostLookup {
    /// The `EVUTIL_EAI_*` code of the last host-name lookup.
    dns_error: Cell<c_int>,
    /// The asynchronous lookup in progress for `connect_hostname_async`, if any and
    /// not cancelled.
    request: Cell<Option<NonNull<c_void>>>,
    /// A lookup's answer is still to come (even a cancelled one's).
    outstanding: Cell<bool>,
}

/// What a socket bufferevent keeps besides the common state.
pub(super) struct SocketPart {
    /// A connect refused before the write event could report it.
    connection_refused: Cell<bool>,
    lookup: HostLookup,
    /// How much the next read asks for (at most the read limit): small while reads
    /// bring little, so that request/response traffic reads into one small block that
    /// the input keeps, and growing while reads fill what they ask for.
    read_size: Cell<usize>,
}

/// The smallest (and first) read size: an input emptied by its reader keeps a block
/// of this size for the next read instead of allocating one per read.
const READ_SIZE_MIN: usize = 1024;

impl SocketPart {
    /// Adapts the next read's size to what the last read of `asked` bytes brought;
    /// `limit` is the most a read may ask for now.
    fn adapt_read_size(&self, got: usize, asked: usize, limit: usize) {
        let size = self.read_size.get();
        if got >= asked {
            self.read_size
                .set(size.saturating_mul(4).min(limit).max(READ_SIZE_MIN));
        } else if got < size / 8 {
            self.read_size.set((size / 2).max(READ_SIZE_MIN));
        }
    }
}

impl Bufferevent {
    /// `bufferevent_socket_new`: `fd` may be -1 (set later, or made by connect).
    pub fn socket_new(base: &Base, fd: RawFd, options: u32) -> Option<NonNull<Bufferevent>> {
        let part = SocketPart {
            connection_refused: Cell::new(false),
            lookup: HostLookup::default(),
            read_size: Cell::new(READ_SIZE_MIN),
        };
        let ptr = Bufferevent::new_common(base, Kind::Socket(part), &SOCKET_TAG, options, None)?;
        // SAFETY: just made.
        let bev = unsafe { ptr.as_ref() };
        bev.output().set_flags(FLAG_DRAINS_TO_FD);
        assign_events(bev, fd);
        if bev
            .output()
            .add_handler(OnChange::new::<OutputAdded>(ptr))
            .is_none()
        {
            bev.free();
            return None;
        }
        bev.input().freeze(false);
        bev.output().freeze(true);
        Some(ptr)
    }

    fn socket_part(&self) -> Option<&SocketPart> {
        match &self.kind {
            Kind::Socket(s) => Some(s),
            _ => None,
        }
    }

    /// The host-name lookup state of the kinds that connect (socket and foreign).
    fn host_lookup(&self) -> Option<&HostLookup> {
        match &self.kind {
            Kind::Socket(s) => Some(&s.lookup),
            Kind::Foreign(f) => Some(f.host_lookup()),
            _ => None,
        }
    }

    /// `bufferevent_socket_connect`: connects the socket (made here when the
    /// bufferevent has none) to `addr`, or, with None, waits for a connect the program
    /// started itself.
    ///
    /// On a foreign kind (TLS), as libevent does on its SSL bufferevents, the socket
    /// goes through the kind (`bufferevent_getfd`/`bufferevent_setfd`), which assigns
    /// `ev_write` to it; the write event is then added with the write timeout and the
    /// connection marked in progress, for the kind's handshake to finish.
    pub fn connect(&self, addr: Option<&SocketAddress>) -> BevResult {
        let _hold = self.hold();
        let foreign = matches!(self.kind, Kind::Foreign(_));
        if self.socket_part().is_none() && !foreign {
            return Err(BevError);
        }
        let mut fd = if foreign {
            self.fd()
        } else {
            self.raw_ref().ev_read.fd
        };
        let mut made = false;
        if fd < 0 {
            let Some(addr) = addr else {
                return Err(BevError);
            };
            let nonblocking = sock::NewFdFlags {
                nonblocking: true,
                cloexec: false,
            };
            fd = sock::socket(addr.family(), libc::SOCK_STREAM, 0, nonblocking)
                .map_err(|_| BevError)?;
            made = true;
        }
        let mut outcome = Connect::InProgress;
        if let Some(addr) = addr {
            outcome = match start_connect(fd, addr) {
                Ok(outcome) => outcome,
                Err(_) => {
                    if made {
                        let _ = crate::util::socket::close(fd);
                    }
                    return Err(BevError);
                }
            };
        }
        if foreign {
            if self.set_fd(fd).is_err() {
                // libevent goes on with a socket the kind refused; it is given back
                // here instead.
                if made {
                    let _ = crate::util::socket::close(fd);
                }
                return Err(BevError);
            }
        } else {
            set_fd(self, fd);
        }
        match outcome {
            Connect::InProgress => {
                enable(self, ev::WRITE)?;
                self.connecting.set(true);
            }
            Connect::Done => {
                self.connecting.set(true);
                self.trigger_nolock(ev::WRITE, options::DEFER_CALLBACKS);
            }
            Connect::Refused => {
                self.run_eventcb(what::ERROR, options::DEFER_CALLBACKS, libc::ECONNREFUSED);
                let _ = self.disable(ev::WRITE | ev::READ);
            }
        }
        Ok(())
    }

    /// `bufferevent_socket_connect_hostname(_hints)`: resolves `host` (blocking, with
    /// the C library's resolver) and connects to the first answer. A failed lookup is
    /// reported through the event callback (`BEV_EVENT_ERROR`, with the code in
    /// [`Bufferevent::dns_error`]); the call itself succeeds.
    pub fn connect_hostname(&self, hints: &Hints, host: &CStr, port: c_int) -> BevResult {
        if ![libc::AF_INET, libc::AF_INET6, libc::AF_UNSPEC].contains(&hints.family)
            || !(1..=65535).contains(&port)
        {
            return Err(BevError);
        }
        let _hold = self.hold();
        let Some(part) = self.host_lookup() else {
            return Err(BevError);
        };
        part.dns_error.set(0);
        self.suspend_write(suspend::LOOKUP);
        self.suspend_read(suspend::LOOKUP);
        let service = CString::new(port.to_string()).expect("digits");
        let answer = resolve::getaddrinfo(Some(host), Some(&service), hints);
        self.unsuspend_write(suspend::LOOKUP);
        self.unsuspend_read(suspend::LOOKUP);
        match answer {
            Err(e) => {
                part.dns_error.set(e.0);
                self.run_eventcb(what::ERROR, 0, errno::get());
            }
            Ok(answers) => {
                let connected = answers.first().is_some_and(|first| {
                    self.connect(Some(&SocketAddress::from_socket_addr(&first.addr)))
                        .is_ok()
                });
                if !connected {
                    self.run_eventcb(what::ERROR, 0, errno::get());
                }
            }
        }
        Ok(())
    }

    /// `bufferevent_socket_connect_hostname(_hints)` with an `evdns_base`: the lookup
    /// runs through the resolver a sibling library registered ([`set_async_resolver`])
    /// while reading and writing are suspended, and the answer connects the socket
    /// ([`Bufferevent::lookup_finished`]). Without a registered resolver this is
    /// [`Bufferevent::connect_hostname`], as libevent falls back to its blocking lookup.
    pub fn connect_hostname_async(
        &self,
        dns: NonNull<c_void>,
        hints: &Hints,
        host: &CStr,
        port: c_int,
    ) -> BevResult {
        let Some(resolver) = async_resolver() else {
            return self.connect_hostname(hints, host, port);
        };
        if ![libc::AF_INET, libc::AF_INET6, libc::AF_UNSPEC].contains(&hints.family)
            || !(1..=65535).contains(&port)
        {
            return Err(BevError);
        }
        let _hold = self.hold();
        let Some(part) = self.host_lookup() else {
            return Err(BevError);
        };
        if part.outstanding.get() {
            // libevent starts a second lookup over the first, and both answers then
            // act on the bufferevent; one at a time here.
            crate::log::warn(format_args!(
                "bufferevent_socket_connect_hostname: a lookup is still in progress"
            ));
            return Err(BevError);
        }
        part.dns_error.set(0);
        part.outstanding.set(true);
        self.suspend_write(suspend::LOOKUP);
        self.suspend_read(suspend::LOOKUP);
        // The lookup owns a reference until its answer comes (perhaps inside `start`).
        self.incref();
        let service = CString::new(port.to_string()).expect("digits");
        let request = (resolver.start)(dns, host, &service, hints, self.this());
        // An answer given inside `start` came with no request (None).
        if let Some(part) = self.host_lookup() {
            part.request.set(request);
        }
        Ok(())
    }

    /// The answer of a lookup started by [`Bufferevent::connect_hostname_async`]:
    /// `result` is its `EVUTIL_EAI_*` code and `first` its first address. Called once
    /// per lookup, by the resolver; it gives up the reference the lookup held.
    ///
    /// # Safety
    /// `this` is the bufferevent the lookup was started for; the lookup's reference
    /// keeps it alive until this call.
    pub unsafe fn lookup_finished(
        this: NonNull<Bufferevent>,
        result: c_int,
        first: Option<SocketAddress>,
    ) {
        // SAFETY: the lookup's reference keeps the bufferevent alive.
        let bev = unsafe { this.as_ref() };
        {
            let _hold = bev.hold();
            bev.unsuspend_write(suspend::LOOKUP);
            bev.unsuspend_read(suspend::LOOKUP);
            if let Some(part) = bev.host_lookup() {
                part.request.set(None);
                part.outstanding.set(false);
                part.dns_error.set(result);
            }
            if result == resolve::codes::CANCEL {
                // Cancelled by the program (free, setfd): nothing to report.
            } else if result != 0 {
                bev.run_eventcb(what::ERROR, 0, 0);
            } else {
                let connected = first.is_some_and(|addr| bev.connect(Some(&addr)).is_ok());
                if !connected {
                    bev.run_eventcb(what::ERROR, 0, errno::get());
                }
            }
        }
        bev.decref();
    }

    /// Cancels the lookup in progress, if any; its answer then comes with
    /// `EVUTIL_EAI_CANCEL` and is dropped quietly.
    pub(super) fn cancel_lookup(&self) {
        let Some(request) = self.host_lookup().and_then(|p| p.request.take()) else {
            return;
        };
        if let Some(resolver) = async_resolver() {
            (resolver.cancel)(request);
        }
    }

    /// Writes the output to the socket now rather than when the loop next finds the
    /// socket writable, for a sibling library that answers from inside a callback
    /// (libevent_extra's replies): it saves the write event's round trip through the
    /// loop. At most what the rate limits allow goes out, as from the write event. No
    /// callback runs now; a failed write is reported to the event callback from the
    /// loop (`BEV_EVENT_WRITING | BEV_EVENT_ERROR`, as the write event would).
    pub fn write_now(&self) -> WriteNow {
        let _hold = self.hold();
        let fd = self.raw_ref().ev_write.fd;
        if self.socket_part().is_none()
            || fd < 0
            || self.connecting.get()
            || self.write_suspended.get() != 0
        {
            return WriteNow::Unsupported;
        }
        let output = self.output();
        if output.is_empty() {
            return WriteNow::Written;
        }
        let atmost = super::ratelim::max_to_write(self);
        output.unfreeze(true);
        // This write comes earlier than the loop's would: a peer that left must give
        // EPIPE here, not SIGPIPE where the loop would have seen the close first.
        let result = output.send_to(fd, Some(atmost));
        output.freeze(true);
        match result {
            Some(Ok(n)) if n > 0 => super::ratelim::consumed_write(self, n),
            Some(Err(e)) if !is_retriable(e.raw_os_error().unwrap_or(0)) => {
                let _ = self.disable(ev::WRITE);
                self.run_eventcb(
                    what::WRITING | what::ERROR,
                    options::DEFER_CALLBACKS,
                    e.raw_os_error().unwrap_or(0),
                );
                return WriteNow::Failed;
            }
            _ => {}
        }
        if output.is_empty() {
            output.shrink();
            WriteNow::Written
        } else {
            WriteNow::Partly
        }
    }

    /// [`Bufferevent::write_now`] for a message given here rather than queued: with the
    /// output empty and the write event off, `data` goes to the socket straight from
    /// the caller's memory, and only what the socket does not take is queued on the
    /// output (then `Partly`; `Failed` queues it too). `Unsupported` when the output is
    /// not empty, the write event is on, or the bufferevent cannot be written this
    /// way: nothing is done then.
    pub fn write_now_with(&self, data: &[u8]) -> WriteNow {
        let _hold = self.hold();
        let fd = self.raw_ref().ev_write.fd;
        let output = self.output();
        if self.socket_part().is_none()
            || fd < 0
            || self.connecting.get()
            || self.write_suspended.get() != 0
            || self.enabled_bits() & ev::WRITE != 0
            || !output.is_empty()
        {
            return WriteNow::Unsupported;
        }
        let atmost = super::ratelim::max_to_write(self).min(data.len());
        let sent = match send_bytes(fd, &data[..atmost]) {
            Ok(n) => n,
            Err(e) if is_retriable(e.raw_os_error().unwrap_or(0)) => 0,
            Err(e) => {
                let _ = output.add(data);
                self.run_eventcb(
                    what::WRITING | what::ERROR,
                    options::DEFER_CALLBACKS,
                    e.raw_os_error().unwrap_or(0),
                );
                return WriteNow::Failed;
            }
        };
        if sent > 0 {
            super::ratelim::consumed_write(self, sent);
        }
        if sent == data.len() {
            return WriteNow::Written;
        }
        if output.add(&data[sent..]).is_err() {
            // Out of memory: the message cannot be completed; the connection is told
            // as of a failed write.
            self.run_eventcb(
                what::WRITING | what::ERROR,
                options::DEFER_CALLBACKS,
                libc::ENOMEM,
            );
            return WriteNow::Failed;
        }
        WriteNow::Partly
    }

    /// `bufferevent_socket_get_dns_error`.
    pub fn dns_error(&self) -> c_int {
        let _held = self.held();
        self.host_lookup().map_or(0, |p| p.dns_error.get())
    }
}

/// What [`Bufferevent::write_now`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteNow {
    /// The output is empty.
    Written,
    /// Data remains for the write event.
    Partly,
    /// The write failed; the event callback is told from the loop.
    Failed,
    /// Not a socket bufferevent ready for writing (no socket, connecting, suspended).
    Unsupported,
}

/// [`AsyncResolver::start`]: `(dns, host, service, hints, bev)`.
pub type StartLookupFn =
    fn(NonNull<c_void>, &CStr, &CStr, &Hints, NonNull<Bufferevent>) -> Option<NonNull<c_void>>;

/// An asynchronous resolver a sibling library lends the core for
/// `bufferevent_socket_connect_hostname` with an `evdns_base` (libevent_extra's
/// `evdns_getaddrinfo`).
#[derive(Clone, Copy)]
pub struct AsyncResolver {
    /// Starts a lookup of `host` and `service` with `dns` for `bev`; its answer goes,
    /// exactly once and possibly inside this call, to [`Bufferevent::lookup_finished`].
    /// The request to cancel, or None when there is nothing left to cancel.
    pub start: StartLookupFn,
    /// Cancels a request `start` returned whose answer has not come yet.
    pub cancel: fn(request: NonNull<c_void>),
}

static ASYNC_RESOLVER: RwLock<Option<AsyncResolver>> = RwLock::new(None);

/// Registers the resolver used for lookups with an `evdns_base`.
pub fn set_async_resolver(resolver: AsyncResolver) {
    *ASYNC_RESOLVER.write().unwrap_or_else(|e| e.into_inner()) = Some(resolver);
}

fn async_resolver() -> Option<AsyncResolver> {
    *ASYNC_RESOLVER.read().unwrap_or_else(|e| e.into_inner())
}

enum Connect {
    InProgress,
    Done,
    Refused,
}

fn start_connect(fd: RawFd, addr: &SocketAddress) -> io::Result<Connect> {
    // SAFETY: `addr` holds `len` initialised bytes of a socket address.
    if unsafe { libc::connect(fd, addr.as_raw(), addr.len) } == 0 {
        return Ok(Connect::Done);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINTR | libc::EINPROGRESS) => Ok(Connect::InProgress),
        Some(libc::ECONNREFUSED) => Ok(Connect::Refused),
        _ => Err(e),
    }
}

/// Whether a connect in progress finished: Ok(true) when connected, Ok(false) when
/// still going, Err with the socket error when it failed.
fn finished_connecting(fd: RawFd) -> Result<bool, c_int> {
    let mut error: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `error` and `len` are live and sized for SO_ERROR.
    let status = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut error as *mut c_int).cast(),
            &mut len,
        )
    };
    if status < 0 {
        return Err(errno::get());
    }
    match error {
        0 => Ok(true),
        libc::EINTR | libc::EINPROGRESS => Ok(false),
        e => Err(e),
    }
}

fn assign_events(bev: &Bufferevent, fd: RawFd) {
    let (base, this) = (bev.base(), bev.this());
    // SAFETY: the bufferevent's own event fields; its events end before it does.
    unsafe {
        let _ = event::assign_handler(
            bev.ev_read(),
            base,
            fd,
            ev::READ | ev::PERSIST | ev::FINALIZE,
            Handler::new::<Readable>(this),
        );
        let _ = event::assign_handler(
            bev.ev_write(),
            base,
            fd,
            ev::WRITE | ev::PERSIST | ev::FINALIZE,
            Handler::new::<Writable>(this),
        );
    }
}

/// Adds an event with the bufferevent's timeout for it (none when zero).
fn add_event(event: NonNull<event::raw::Event>, timeout: Option<event::Tv>) -> BevResult {
    // SAFETY: one of the bufferevent's own assigned events.
    unsafe { event::add(event, timeout) }.map_err(|_| BevError)
}

pub(super) fn enable(bev: &Bufferevent, events: c_short) -> BevResult {
    if events & ev::READ != 0 {
        add_event(bev.ev_read(), bev.timeout_read())?;
    }
    if events & ev::WRITE != 0 {
        add_event(bev.ev_write(), bev.timeout_write())?;
    }
    Ok(())
}

pub(super) fn disable(bev: &Bufferevent, events: c_short) -> BevResult {
    // SAFETY: the bufferevent's own assigned events.
    unsafe {
        if events & ev::READ != 0 {
            event::del(bev.ev_read(), DelMode::Auto).map_err(|_| BevError)?;
        }
        // A connect in progress is reported through the write event.
        if events & ev::WRITE != 0 && !bev.connecting.get() {
            event::del(bev.ev_write(), DelMode::Auto).map_err(|_| BevError)?;
        }
    }
    Ok(())
}

pub(super) fn destruct(bev: &Bufferevent) {
    let fd = bev.raw_ref().ev_read.fd;
    if bev.options.get() & options::CLOSE_ON_FREE != 0 && fd >= 0 {
        let _ = crate::util::socket::close(fd);
    }
}

/// `bufferevent_setfd` on a socket bufferevent. As in libevent, the buffers are left
/// unfrozen afterwards.
pub(super) fn set_fd(bev: &Bufferevent, fd: RawFd) {
    let _held = bev.held();
    // A new socket ends the lookup in progress, as in libevent.
    bev.cancel_lookup();
    // SAFETY: the bufferevent's own assigned events.
    unsafe {
        let _ = event::del(bev.ev_read(), DelMode::Auto);
        let _ = event::del(bev.ev_write(), DelMode::Auto);
    }
    bev.input().unfreeze(false);
    bev.output().unfreeze(true);
    assign_events(bev, fd);
    if fd >= 0 {
        let _ = bev.enable(bev.enabled_bits());
    }
}

/// Data added to the output starts the write event.
struct OutputAdded;

impl ChangeHandler for OutputAdded {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, info: &CallbackInfo) {
        // SAFETY: registered on the bufferevent's own output, which goes with it.
        let bev = unsafe { bev.as_ref() };
        // SAFETY: the bufferevent's own assigned event.
        if info.n_added > 0
            && bev.enabled_bits() & ev::WRITE != 0
            && unsafe { event::pending(bev.ev_write(), ev::WRITE) }.0 == 0
            && bev.write_suspended.get() == 0
        {
            let _ = add_event(bev.ev_write(), bev.timeout_write());
        }
    }
}

/// `send(MSG_NOSIGNAL)` (`write` for a descriptor that is not a socket): a peer that
/// left gives EPIPE, not SIGPIPE.
fn send_bytes(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    if data.is_empty() {
        return Ok(0);
    }
    // SAFETY: `data` is readable for its length during the call.
    let mut n = unsafe { libc::send(fd, data.as_ptr().cast(), data.len(), libc::MSG_NOSIGNAL) };
    if n < 0 && errno::get() == libc::ENOTSOCK {
        // SAFETY: `data` is readable for its length during this call too.
        n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    }
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

fn is_retriable(code: c_int) -> bool {
    code == libc::EINTR || code == libc::EAGAIN || code == libc::EWOULDBLOCK
}

/// The socket is readable (or the read timeout fired).
struct Readable;

impl EventHandler for Readable {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, fd: RawFd, events: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes.
        on_readable(unsafe { bev.as_ref() }, fd, events);
    }
}

/// The socket is writable (or the write timeout fired).
struct Writable;

impl EventHandler for Writable {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, fd: RawFd, events: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes
        on_writable(unsafe { bev.as_ref() }, fd, events);
    }
}

fn on_readable(bev: &Bufferevent, fd: RawFd, events: c_short) {
    let _hold = bev.hold();
    let mut report = what::READING;
    let error;
    'read: {
        if events == ev::TIMEOUT {
            report |= what::TIMEOUT;
            error = errno::get();
            break 'read;
        }
        let input = bev.input();
        let mut howmuch = super::ratelim::max_to_read(bev);
        let high = bev.raw_ref().wm_read.high;
        if high != 0 {
            let room = high.saturating_sub(input.len());
            if room == 0 {
                bev.suspend_read(suspend::WATERMARK);
                return;
            }
            howmuch = howmuch.min(room);
        }
        if bev.read_suspended.get() != 0 || howmuch == 0 {
            return;
        }
        let limit = howmuch;
        if let Some(part) = bev.socket_part() {
            howmuch = howmuch.min(part.read_size.get());
        }
        input.unfreeze(false);
        let result = input.read_from(fd, Some(howmuch));
        input.freeze(false);
        match result {
            Ok(0) => {
                report |= what::EOF;
                error = errno::get();
            }
            Ok(n) => {
                if let Some(part) = bev.socket_part() {
                    part.adapt_read_size(n, howmuch, limit);
                }
                super::ratelim::consumed_read(bev, n);
                bev.trigger_nolock(ev::READ, 0);
                // An idle connection keeps no more buffer memory than an emptied
                // evbuffer does: one small block, which the next read fills.
                if input.is_empty() {
                    input.shrink_to_spare();
                }
                return;
            }
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(0);
                if is_retriable(code) {
                    return;
                }
                if code == libc::ECONNREFUSED {
                    if let Some(part) = bev.socket_part() {
                        part.connection_refused.set(true);
                    }
                    return;
                }
                report |= what::ERROR;
                error = code;
            }
        }
    }
    let _ = bev.disable(ev::READ);
    bev.run_eventcb(report, 0, error);
}

fn on_writable(bev: &Bufferevent, fd: RawFd, events: c_short) {
    let _hold = bev.hold();
    let mut report = what::WRITING;
    let error;
    let mut connected = false;
    'write: {
        if events == ev::TIMEOUT {
            report |= what::TIMEOUT;
            error = errno::get();
            break 'write;
        }
        if bev.connecting.get() {
            let mut status = finished_connecting(fd);
            if let Some(part) = bev.socket_part() {
                if part.connection_refused.replace(false) {
                    status = Err(libc::ECONNREFUSED);
                }
            }
            match status {
                Ok(false) => return,
                Err(code) => {
                    bev.connecting.set(false);
                    // SAFETY: the bufferevent's own assigned events.
                    unsafe {
                        let _ = event::del(bev.ev_write(), DelMode::Auto);
                        let _ = event::del(bev.ev_read(), DelMode::Auto);
                    }
                    bev.run_eventcb(what::ERROR, 0, code);
                    return;
                }
                Ok(true) => {
                    bev.connecting.set(false);
                    connected = true;
                    bev.run_eventcb(what::CONNECTED, 0, 0);
                    if bev.enabled_bits() & ev::WRITE == 0 || bev.write_suspended.get() != 0 {
                        // SAFETY: the bufferevent's own assigned events
                        let _ = unsafe { event::del(bev.ev_write(), DelMode::Auto) };
                        return;
                    }
                }
            }
        }
        let atmost = super::ratelim::max_to_write(bev);
        if bev.write_suspended.get() != 0 {
            return;
        }
        let output = bev.output();
        let mut written = 0;
        if !output.is_empty() {
            output.unfreeze(true);
            let result = output.write_to(fd, Some(atmost));
            output.freeze(true);
            match result {
                Some(Ok(0)) => {
                    report |= what::EOF;
                    error = errno::get();
                    break 'write;
                }
                Some(Ok(n)) => {
                    written = n;
                    super::ratelim::consumed_write(bev, n);
                }
                Some(Err(e)) => {
                    let code = e.raw_os_error().unwrap_or(0);
                    if is_retriable(code) {
                        if output.is_empty() {
                            // SAFETY: the bufferevent's own assigned events
                            let _ = unsafe { event::del(bev.ev_write(), DelMode::Auto) };
                        }
                        return;
                    }
                    report |= what::ERROR;
                    error = code;
                    break 'write;
                }
                None => {}
            }
        }
        if output.is_empty() {
            // SAFETY: the bufferevent's own assigned events
            let _ = unsafe { event::del(bev.ev_write(), DelMode::Auto) };
            output.shrink();
        }
        // The write callback runs after data went out, or for a writable socket that
        // was not connecting (so enabling EV_WRITE on an empty output calls it once).
        if written > 0 || !connected {
            bev.trigger_nolock(ev::WRITE, 0);
        }
        return;
    }
    let _ = bev.disable(ev::WRITE);
    bev.run_eventcb(report, 0, error);
}
