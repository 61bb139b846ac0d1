//! Windows: readiness through AFD polling over an I/O completion port, the method
//! libevent 2.2.1 calls "wepoll".
//!
//! Winsock's kernel driver, AFD, answers `IOCTL_AFD_POLL`: "complete this request when
//! one of these sockets has one of these events". Sent to an AFD handle that is
//! associated with a completion port, the answer arrives as a completion packet, so a
//! wait on the port (`GetQueuedCompletionStatusEx`) waits for socket readiness the way
//! epoll_wait does. Each request is one-shot; readiness is level-triggered for the
//! caller because a completed request is submitted again while its socket is watched.
//!
//! The rules, as wepoll and mio keep them:
//! - one request at a time per socket; a change of interest that the request in flight
//!   does not cover cancels it (`NtCancelIoFileEx`), and the cancelled completion
//!   (`STATUS_CANCELLED`) submits the new one;
//! - a request's memory belongs to the kernel from submission until its completion is
//!   dequeued, cancelled or not: the kernel writes the result into it. A socket that the
//!   caller stops watching keeps its entry until then;
//! - `AFD_POLL_LOCAL_CLOSE` says the socket was closed: its entry goes away;
//! - the request names the socket's base handle (`SIO_BASE_HANDLE`), since layered
//!   service providers hand programs handles that AFD does not know.
//!
//! The logic is generic over [`AfdSystem`], so a simulation (`crate::sim::afd`) runs it
//! on Linux; [`SystemAfd`] makes the real calls on Windows.

use std::collections::{HashMap, HashSet};
use std::io;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::{Fd, Features, Interest, Options, Poller, Readiness};

/// Data is waiting to be received.
pub const AFD_POLL_RECEIVE: u32 = 0x0001;
/// Out-of-band data is waiting (not asked for: libevent has no use for it).
pub const AFD_POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
/// Data can be sent.
pub const AFD_POLL_SEND: u32 = 0x0004;
/// The peer closed its sending side (a graceful disconnect).
pub const AFD_POLL_DISCONNECT: u32 = 0x0008;
/// The connection was aborted (reset).
pub const AFD_POLL_ABORT: u32 = 0x0010;
/// The socket was closed by this process.
pub const AFD_POLL_LOCAL_CLOSE: u32 = 0x0020;
/// A listening socket has a connection to accept.
pub const AFD_POLL_ACCEPT: u32 = 0x0080;
/// A connect failed.
pub const AFD_POLL_CONNECT_FAIL: u32 = 0x0100;

/// The device control code of a poll request.
pub const IOCTL_AFD_POLL: u32 = 0x0001_2024;

/// NTSTATUS values the poller meets.
pub const STATUS_SUCCESS: i32 = 0;
/// The request is in flight.
pub const STATUS_PENDING: i32 = 0x0000_0103;
/// The request was cancelled.
pub const STATUS_CANCELLED: i32 = 0xC000_0120_u32 as i32;
/// `NtCancelIoFileEx`: no such request in flight (it completed already).
pub const STATUS_NOT_FOUND: i32 = 0xC000_0225_u32 as i32;

/// Reports taken by the first waits; the buffer doubles whenever a wait fills it.
const INITIAL_COMPLETIONS: usize = 32;
/// The buffer stops growing here; more completions just take more waits.
const MAX_COMPLETIONS: usize = 4096;
/// Rounds of resubmission a wait makes once its time is up (see `wait_reports`).
const MAX_ROUNDS_AFTER_DEADLINE: u32 = 4;
/// How long dropping the poller waits for the kernel to hand back cancelled requests.
const DROP_DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// `IO_STATUS_BLOCK`: the kernel's answer to a request. The first field is a union of
/// an `NTSTATUS` and a pointer; an `i32` followed by pointer-aligned `information`
/// has the same layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStatusBlock {
    pub status: i32,
    pub information: usize,
}

/// `AFD_POLL_HANDLE_INFO`: one socket of a poll request.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AfdPollHandleInfo {
    /// The socket's base handle.
    pub handle: usize,
    /// In: the `AFD_POLL_*` events asked for. Out: those that happened.
    pub events: u32,
    pub status: i32,
}

/// `AFD_POLL_INFO` with room for one socket, which is all the poller ever asks about.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AfdPollInfo {
    /// When the request gives up, in 100 ns units; `i64::MAX`: never.
    pub timeout: i64,
    /// In: entries of `handles`. Out: entries that have events.
    pub number_of_handles: u32,
    /// Non-zero: this request replaces other exclusive ones on the same socket.
    pub exclusive: u32,
    pub handles: [AfdPollHandleInfo; 1],
}

/// One poll request: what the kernel reads and writes, then what only the poller reads.
/// Its address is the request's identity: it is the completion's context.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollRequest {
    pub io_status: IoStatusBlock,
    pub info: AfdPollInfo,
    /// The socket the caller knows (not seen by the kernel).
    pub socket: Fd,
}

/// `OVERLAPPED_ENTRY`: one completion packet taken from the port.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// The completion key the AFD handle was associated with.
    pub key: usize,
    /// The address of the completed [`PollRequest`] (the request's context).
    pub request: usize,
    pub internal: usize,
    pub bytes: u32,
}

/// The system calls the poller makes. [`SystemAfd`] is Windows; a simulation stands in
/// for it on Linux.
pub trait AfdSystem: Sized {
    /// Creates a completion port and an AFD handle associated with it
    /// (`CreateIoCompletionPort`, `NtCreateFile` of `\Device\Afd\...`).
    fn open() -> io::Result<Self>;

    /// The base handle of `socket` (`WSAIoctl(SIO_BASE_HANDLE)`); fails for anything
    /// that is not an open socket.
    fn base_handle(&mut self, socket: Fd) -> io::Result<usize>;

    /// Submits `IOCTL_AFD_POLL` for `request.info` on the AFD handle, with
    /// `request.io_status` as its status block and `request`'s address as its context.
    /// `Ok`: a completion will be queued for it (at once if the socket is ready).
    /// `Err`: it was refused and no completion will come.
    ///
    /// # Safety
    /// `request` points to a valid `PollRequest` that stays allocated, and that the
    /// caller neither reads nor writes, until its completion has been dequeued.
    unsafe fn submit_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<()>;

    /// Asks for `request` to be cancelled (`NtCancelIoFileEx`). `Ok(true)`: its
    /// completion, with `STATUS_CANCELLED`, will follow; `Ok(false)`: it had completed
    /// already (`STATUS_NOT_FOUND`) and that completion is on its way.
    ///
    /// # Safety
    /// `request` was submitted and its completion has not been dequeued yet.
    unsafe fn cancel_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<bool>;

    /// Dequeues up to `entries.len()` completions (`GetQueuedCompletionStatusEx`),
    /// waiting at most `timeout` (`None`: no limit) for the first. `Ok(0)` on timeout.
    fn get_completions(
        &mut self,
        entries: &mut [Completion],
        timeout: Option<Duration>,
    ) -> io::Result<usize>;

    /// Whether a refused submission means the socket is closed (then it is dropped
    /// silently, as epoll drops a closed fd).
    fn is_closed_handle(err: &io::Error) -> bool;
}

/// What the poller knows of one socket.
#[derive(Debug)]
struct Socket {
    base: usize,
    /// What the caller watches; `NONE` once it stopped, while a request is still out.
    interest: Interest,
    /// The address of the request in flight; 0: none.
    request: usize,
    /// The `AFD_POLL_*` events the request in flight asks for.
    polled: u32,
    /// The request in flight was asked to cancel (or is no longer wanted).
    cancelled: bool,
    /// The caller changed the interest since the request in flight was submitted.
    changed: bool,
    /// In `Afd::updates`.
    queued: bool,
}

/// A poller on one completion port and AFD handle.
#[derive(Debug)]
pub struct Afd<S: AfdSystem> {
    system: S,
    sockets: HashMap<Fd, Socket>,
    /// Sockets whose request needs submitting or cancelling before the next wait.
    updates: Vec<Fd>,
    /// Addresses of requests the kernel holds.
    in_flight: HashSet<usize>,
    /// Where completions are dequeued into; its length is the most one wait takes.
    completions: Vec<Completion>,
}

/// The poller on Windows.
#[cfg(windows)]
pub type Wepoll = Afd<SystemAfd>;

/// The `AFD_POLL_*` events that watch for `interest`, as wepoll asks for libevent's
/// epoll events: closes, resets and failed connects always.
fn afd_events(interest: Interest) -> u32 {
    let mut events = AFD_POLL_LOCAL_CLOSE | AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL;
    if interest.contains(Interest::READ) {
        events |= AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT;
    }
    if interest.contains(Interest::WRITE) {
        events |= AFD_POLL_SEND;
    }
    if interest.contains(Interest::CLOSED) {
        events |= AFD_POLL_DISCONNECT;
    }
    events
}

/// What the events of a completion mean to a caller watching `interest`: what
/// libevent makes of wepoll's epoll events. A failed connect, or a reset that is not
/// also seen as the peer's close by a watcher of `CLOSED`, reads as `READ | WRITE`.
fn readiness(events: u32, interest: Interest) -> Readiness {
    let has = |bits: u32| events & bits != 0;
    let closed_seen = has(AFD_POLL_DISCONNECT) && interest.contains(Interest::CLOSED);
    if has(AFD_POLL_CONNECT_FAIL) || (has(AFD_POLL_ABORT) && !closed_seen) {
        return Readiness::READ | Readiness::WRITE;
    }
    let mut ready = Readiness::NONE;
    if interest.contains(Interest::READ)
        && has(AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT)
    {
        ready |= Readiness::READ;
    }
    if interest.contains(Interest::WRITE) && has(AFD_POLL_SEND) {
        ready |= Readiness::WRITE;
    }
    if closed_seen {
        ready |= Readiness::CLOSED;
    }
    ready
}

/// True when `interest` needs a request.
fn watches(interest: Interest) -> bool {
    interest.intersects(Interest::READ | Interest::WRITE | Interest::CLOSED)
}

/// `fd` as a handle value, or `None` for a value that is never a socket.
fn socket_value(fd: Fd) -> Option<usize> {
    // INVALID_SOCKET, and 0, which is never a handle.
    #[cfg(windows)]
    if fd == u64::MAX || fd == 0 {
        return None;
    }
    usize::try_from(fd).ok()
}

/// A new poll request for `socket`, owned by the caller as a raw allocation.
fn new_request(socket: Fd, base: usize, events: u32) -> NonNull<PollRequest> {
    let request = Box::new(PollRequest {
        io_status: IoStatusBlock {
            status: STATUS_PENDING,
            information: 0,
        },
        info: AfdPollInfo {
            timeout: i64::MAX,
            number_of_handles: 1,
            exclusive: 0,
            handles: [AfdPollHandleInfo {
                handle: base,
                events,
                status: 0,
            }],
        },
        socket,
    });
    NonNull::from(Box::leak(request))
}

/// The request at `address`, which this poller allocated with `new_request` and the
/// kernel has handed back; frees it and returns its contents.
///
/// # Safety
/// `address` came from `expose_provenance` of a request from `new_request` that is
/// not freed yet and that the kernel no longer holds.
unsafe fn take_request(address: usize) -> PollRequest {
    let pointer = std::ptr::with_exposed_provenance_mut::<PollRequest>(address);
    // SAFETY: by the function's contract the allocation is a live Box<PollRequest> that
    // nothing else refers to any more.
    *unsafe { Box::from_raw(pointer) }
}

impl<S: AfdSystem> Afd<S> {
    /// The simulation or system behind the poller (for tests).
    pub fn system(&mut self) -> &mut S {
        &mut self.system
    }

    /// How many requests the kernel holds (for tests).
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// How many sockets have an entry, watched or waiting for a request to come back
    /// (for tests).
    pub fn sockets_known(&self) -> usize {
        self.sockets.len()
    }

    fn queue_update(updates: &mut Vec<Fd>, fd: Fd, socket: &mut Socket) {
        if !socket.queued {
            socket.queued = true;
            updates.push(fd);
        }
    }

    /// Submits a request for `fd` asking for `events`.
    fn submit(&mut self, fd: Fd, base: usize, events: u32) -> io::Result<usize> {
        let request = new_request(fd, base, events);
        // SAFETY: `request` is a fresh allocation that only `in_flight` refers to from
        // here on; it is freed by `take_request` once its completion is dequeued.
        match unsafe { self.system.submit_poll(request) } {
            Ok(()) => {
                let address = request.as_ptr().expose_provenance();
                self.in_flight.insert(address);
                Ok(address)
            }
            Err(err) => {
                // SAFETY: refused, so the kernel never held it; nothing else refers
                // to it.
                drop(unsafe { Box::from_raw(request.as_ptr()) });
                Err(err)
            }
        }
    }

    /// Asks the kernel to give back the request at `address`.
    fn cancel(&mut self, address: usize) {
        let pointer = std::ptr::with_exposed_provenance_mut::<PollRequest>(address);
        if let Some(request) = NonNull::new(pointer) {
            // SAFETY: `address` is in `in_flight`: submitted, not dequeued yet. A failure
            // leaves the request to complete on its own, which it will when the socket
            // becomes ready or closes.
            let _ = unsafe { self.system.cancel_poll(request) };
        }
    }

    /// Brings the kernel's requests in line with the caller's interests; errors for
    /// sockets that cannot be watched any more are added to `reports`.
    fn apply_updates(&mut self, reports: &mut Vec<(Fd, Readiness)>) {
        let updates = std::mem::take(&mut self.updates);
        for &fd in &updates {
            let Some(socket) = self.sockets.get_mut(&fd) else {
                continue;
            };
            socket.queued = false;
            let wanted = if watches(socket.interest) {
                afd_events(socket.interest)
            } else {
                0
            };
            if socket.request != 0 {
                // A request that asks for less than wanted (or is not wanted at all)
                // is cancelled; its completion submits the next one. One that asks for
                // more may complete for nothing, which just submits again.
                if !socket.cancelled && (wanted == 0 || wanted & !socket.polled != 0) {
                    socket.cancelled = true;
                    let address = socket.request;
                    self.cancel(address);
                }
                continue;
            }
            if wanted == 0 {
                self.sockets.remove(&fd);
                continue;
            }
            let (base, interest) = (socket.base, socket.interest);
            match self.submit(fd, base, wanted) {
                Ok(address) => {
                    if let Some(socket) = self.sockets.get_mut(&fd) {
                        socket.request = address;
                        socket.polled = wanted;
                        socket.cancelled = false;
                        socket.changed = false;
                    }
                }
                Err(err) => {
                    self.sockets.remove(&fd);
                    // A closed socket is forgotten, as epoll forgets a closed fd. Any
                    // other refusal is an error on the socket: whoever watches it tries
                    // it and meets the error, instead of waiting forever.
                    if !S::is_closed_handle(&err)
                        && interest.intersects(Interest::READ | Interest::WRITE)
                    {
                        reports.push((fd, Readiness::READ | Readiness::WRITE));
                    }
                }
            }
        }
        // Keeps the allocation.
        self.updates = updates;
        self.updates.clear();
    }

    /// Handles one dequeued completion; returns the report it makes, if any.
    fn complete(&mut self, completion: Completion) -> Option<(Fd, Readiness)> {
        if !self.in_flight.remove(&completion.request) {
            // Not one of ours (nothing else is associated with the port).
            return None;
        }
        // SAFETY: the address was in `in_flight` (allocated by `new_request`, not freed)
        // and its completion was just dequeued, so the kernel is done with it.
        let request = unsafe { take_request(completion.request) };
        let fd = request.socket;
        let socket = self.sockets.get_mut(&fd)?;
        if socket.request != completion.request {
            return None;
        }
        socket.request = 0;
        socket.polled = 0;
        socket.cancelled = false;
        let changed = std::mem::take(&mut socket.changed);
        if !watches(socket.interest) {
            self.sockets.remove(&fd);
            return None;
        }
        let status = request.io_status.status;
        let events = request.info.handles[0].events;
        let mut report = Readiness::NONE;
        if status == STATUS_CANCELLED {
            // Cancelled for a change of interest: the next request goes out below.
        } else if status < 0 {
            // The request itself failed: an error on the socket, as wepoll reports it.
            report = Readiness::READ | Readiness::WRITE;
        } else if request.info.number_of_handles == 0 {
            // Completed without events (a timeout, or a socket closed for good).
        } else if events & AFD_POLL_LOCAL_CLOSE != 0 {
            // Closed. If the caller changed its interest since this request went out,
            // that change was meant for whatever now has the number (as epoll retries a
            // modification of a reopened fd as an addition).
            let reopened = changed.then(|| self.system.base_handle(fd).ok()).flatten();
            match (reopened, self.sockets.get_mut(&fd)) {
                (Some(base), Some(socket)) => {
                    socket.base = base;
                    Self::queue_update(&mut self.updates, fd, socket);
                }
                _ => {
                    self.sockets.remove(&fd);
                }
            }
            return None;
        } else {
            report = readiness(events, socket.interest);
        }
        // Level-triggered: while watched, a request is always out.
        Self::queue_update(&mut self.updates, fd, socket);
        (!report.is_empty()).then_some((fd, report))
    }

    /// Applies changes and waits; calls `on_ready` for each report.
    ///
    /// Like wepoll, keeps dequeuing until a completion makes a report or the time is
    /// up: a cancelled request, a close, or events the caller no longer watches only
    /// lead to a new request, and returning then would end the wait early for nothing.
    /// Even when the time is up, a few more rounds without blocking give the new
    /// requests their chance: a socket that was ready all along is reported now.
    fn wait_reports(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: impl FnMut(Fd, Readiness),
    ) -> io::Result<()> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut completions = std::mem::take(&mut self.completions);
        let mut rounds_after_deadline = 0;
        let result = loop {
            let mut errors = Vec::new();
            self.apply_updates(&mut errors);
            // Errors found while applying are reported at once, without blocking.
            let left = if errors.is_empty() {
                deadline.map(|d| d.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            let n = match self.system.get_completions(&mut completions, left) {
                Ok(n) => n,
                Err(err) => break Err(err),
            };
            let mut reported = !errors.is_empty();
            for &completion in completions.get(..n).unwrap_or(&[]) {
                if let Some((fd, ready)) = self.complete(completion) {
                    on_ready(fd, ready);
                    reported = true;
                }
            }
            for (fd, ready) in errors {
                on_ready(fd, ready);
            }
            let len = completions.len();
            if n == len && len < MAX_COMPLETIONS {
                completions.resize(len * 2, Completion::default());
            }
            // Nothing dequeued: the time is up (or, simulated, a signal came).
            if reported || n == 0 {
                break Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                rounds_after_deadline += 1;
                if rounds_after_deadline > MAX_ROUNDS_AFTER_DEADLINE {
                    break Ok(());
                }
            }
        };
        self.completions = completions;
        result
    }
}

impl<S: AfdSystem> Poller for Afd<S> {
    const NAME: &'static str = "wepoll";
    // As libevent 2.2.1's wepoll backend: no edge-triggered mode, no other files.
    const FEATURES: Features =
        Features::from_bits(Features::O1.bits() | Features::EARLY_CLOSE.bits());

    fn new(_options: &Options) -> io::Result<Self> {
        Ok(Afd {
            system: S::open()?,
            sockets: HashMap::new(),
            updates: Vec::new(),
            in_flight: HashSet::new(),
            completions: vec![Completion::default(); INITIAL_COMPLETIONS],
        })
    }

    fn change(&mut self, fd: Fd, old: Interest, new: Interest) -> io::Result<()> {
        if socket_value(fd).is_none() {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        if new.contains(Interest::EDGE) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "AFD polling has no edge-triggered mode",
            ));
        }
        let Some(socket) = self.sockets.get_mut(&fd) else {
            if !watches(new) {
                return Ok(());
            }
            // New, or forgotten after a close: either way the socket behind the number
            // now is the one to watch.
            let base = self.system.base_handle(fd)?;
            let mut socket = Socket {
                base,
                interest: new,
                request: 0,
                polled: 0,
                cancelled: false,
                changed: true,
                queued: false,
            };
            Self::queue_update(&mut self.updates, fd, &mut socket);
            self.sockets.insert(fd, socket);
            return Ok(());
        };
        if watches(new) && (!watches(old) || !watches(socket.interest)) {
            // Added again while the last request is still out: the number may name
            // another socket by now, and then the request must be replaced.
            let base = self.system.base_handle(fd)?;
            if base != socket.base {
                socket.base = base;
                socket.polled = 0;
            }
        }
        socket.interest = if watches(new) { new } else { Interest::NONE };
        socket.changed = true;
        Self::queue_update(&mut self.updates, fd, socket);
        Ok(())
    }

    fn wait<F: FnMut(Fd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        on_ready: F,
    ) -> io::Result<()> {
        self.wait_reports(timeout, on_ready)
    }
}

impl<S: AfdSystem> Drop for Afd<S> {
    /// Takes every request back from the kernel before freeing it. Requests that do
    /// not come back in time are leaked rather than freed under the kernel's feet.
    fn drop(&mut self) {
        let outstanding: Vec<usize> = self
            .sockets
            .values()
            .filter(|socket| socket.request != 0 && !socket.cancelled)
            .map(|socket| socket.request)
            .collect();
        for address in outstanding {
            self.cancel(address);
        }
        let start = Instant::now();
        let mut entries = vec![Completion::default(); INITIAL_COMPLETIONS];
        while !self.in_flight.is_empty() {
            let left = DROP_DRAIN_LIMIT.saturating_sub(start.elapsed());
            let n = match self.system.get_completions(&mut entries, Some(left)) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for completion in entries.get(..n).unwrap_or(&[]) {
                if self.in_flight.remove(&completion.request) {
                    // SAFETY: one of ours, handed back by the kernel.
                    let _freed = unsafe { take_request(completion.request) };
                }
            }
        }
    }
}

#[cfg(windows)]
pub use system::SystemAfd;

/// The real calls, through ntdll, kernel32 and Winsock.
#[cfg(windows)]
mod system {
    use std::ffi::c_void;
    use std::io;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
    use std::ptr::{self, NonNull};
    use std::sync::Once;
    use std::time::Duration;

    use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
    use windows_sys::Wdk::Storage::FileSystem::{NtCancelIoFileEx, NtCreateFile, FILE_OPEN};
    use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
    use windows_sys::Win32::Foundation::{
        GetLastError, RtlNtStatusToDosError, ERROR_INVALID_HANDLE, INVALID_HANDLE_VALUE,
        UNICODE_STRING, WAIT_TIMEOUT,
    };
    use windows_sys::Win32::Networking::WinSock::{
        WSAGetLastError, WSAIoctl, WSAStartup, SIO_BASE_HANDLE, SIO_BSP_HANDLE,
        SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE_SELECT, SOCKET, SOCKET_ERROR, WSADATA,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
    };
    use windows_sys::Win32::System::IO::{
        CreateIoCompletionPort, GetQueuedCompletionStatusEx, IO_STATUS_BLOCK, OVERLAPPED_ENTRY,
    };

    use super::{
        AfdPollInfo, AfdSystem, Completion, IoStatusBlock, PollRequest, IOCTL_AFD_POLL,
        STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS,
    };
    use crate::Fd;

    // Our mirrors must have the system's layout.
    const _: () = assert!(size_of::<IoStatusBlock>() == size_of::<IO_STATUS_BLOCK>());
    const _: () = assert!(size_of::<Completion>() == size_of::<OVERLAPPED_ENTRY>());
    const _: () = assert!(align_of::<Completion>() == align_of::<OVERLAPPED_ENTRY>());

    /// `FILE_SKIP_SET_EVENT_ON_HANDLE`: completions do not signal the AFD handle.
    const FILE_SKIP_SET_EVENT_ON_HANDLE: u8 = 2;
    /// `INFINITE` for waits.
    const INFINITE: u32 = u32::MAX;

    /// `\Device\Afd\Evrs`: opening AFD with a name under it and no extended
    /// attributes gives a handle to the driver that is no socket.
    const AFD_NAME: [u16; 16] = {
        let text = b"\\Device\\Afd\\Evrs";
        let mut wide = [0u16; 16];
        let mut i = 0;
        while i < text.len() {
            wide[i] = text[i] as u16;
            i += 1;
        }
        wide
    };

    fn nt_error(status: i32) -> io::Error {
        // SAFETY: a pure conversion of a status code.
        io::Error::from_raw_os_error(unsafe { RtlNtStatusToDosError(status) } as i32)
    }

    /// Winsock must be started before WSAIoctl; std starts it lazily too, and like
    /// std this never calls WSACleanup.
    fn start_winsock() {
        static STARTED: Once = Once::new();
        STARTED.call_once(|| {
            // SAFETY: an all-zero WSADATA is a valid out-parameter.
            let mut data: WSADATA = unsafe { std::mem::zeroed() };
            // SAFETY: `data` is writable; version 2.2.
            unsafe { WSAStartup(0x0202, &mut data) };
        });
    }

    /// A completion port and an AFD handle associated with it.
    #[derive(Debug)]
    pub struct SystemAfd {
        port: OwnedHandle,
        afd: OwnedHandle,
    }

    fn owned(handle: *mut c_void) -> io::Result<OwnedHandle> {
        if handle.is_null() {
            Err(io::Error::last_os_error())
        } else {
            // SAFETY: a handle a call just created; nothing else owns it.
            Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
        }
    }

    /// A `WSAIoctl` that answers a socket handle.
    fn socket_ioctl(socket: Fd, code: u32) -> io::Result<usize> {
        let mut base: SOCKET = 0;
        let mut bytes = 0u32;
        // SAFETY: the output buffer is `base`, of the size given; no overlapped call.
        // An invalid `socket` is an error, not undefined behaviour.
        let ret = unsafe {
            WSAIoctl(
                socket as SOCKET,
                code,
                ptr::null(),
                0,
                (&mut base as *mut SOCKET).cast(),
                size_of::<SOCKET>() as u32,
                &mut bytes,
                ptr::null_mut(),
                None,
            )
        };
        if ret == SOCKET_ERROR {
            // SAFETY: reads the calling thread's socket error.
            return Err(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }));
        }
        Ok(base)
    }

    impl AfdSystem for SystemAfd {
        fn open() -> io::Result<Self> {
            start_winsock();
            // SAFETY: creates a new port not associated with any file.
            let port = owned(unsafe {
                CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0)
            })?;
            let name = UNICODE_STRING {
                Length: (AFD_NAME.len() * 2) as u16,
                MaximumLength: (AFD_NAME.len() * 2) as u16,
                Buffer: AFD_NAME.as_ptr().cast_mut(),
            };
            let attributes = OBJECT_ATTRIBUTES {
                Length: size_of::<OBJECT_ATTRIBUTES>() as u32,
                RootDirectory: ptr::null_mut(),
                ObjectName: &name,
                Attributes: 0,
                SecurityDescriptor: ptr::null(),
                SecurityQualityOfService: ptr::null(),
            };
            let mut handle = ptr::null_mut();
            // SAFETY: all-zero is a valid IO_STATUS_BLOCK.
            let mut status_block: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
            // SAFETY: every pointer refers to a live local; the name is static.
            let status = unsafe {
                NtCreateFile(
                    &mut handle,
                    SYNCHRONIZE,
                    &attributes,
                    &mut status_block,
                    ptr::null(),
                    0,
                    FILE_SHARE_READ | FILE_SHARE_WRITE,
                    FILE_OPEN,
                    0,
                    ptr::null(),
                    0,
                )
            };
            if status != STATUS_SUCCESS {
                return Err(nt_error(status));
            }
            let afd = owned(handle)?;
            // SAFETY: both handles are open and ours; key 0.
            let associated =
                unsafe { CreateIoCompletionPort(afd.as_raw_handle(), port.as_raw_handle(), 0, 0) };
            if associated.is_null() {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: an open file handle of ours.
            if unsafe {
                SetFileCompletionNotificationModes(
                    afd.as_raw_handle(),
                    FILE_SKIP_SET_EVENT_ON_HANDLE,
                )
            } == 0
            {
                return Err(io::Error::last_os_error());
            }
            Ok(SystemAfd { port, afd })
        }

        fn base_handle(&mut self, socket: Fd) -> io::Result<usize> {
            // Some layered providers refuse SIO_BASE_HANDLE but answer the provider
            // queries that select() and WSAPoll() use; mio asks them in this order.
            let first = socket_ioctl(socket, SIO_BASE_HANDLE);
            if first.is_ok() {
                return first;
            }
            for code in [SIO_BSP_HANDLE_SELECT, SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE] {
                if let Ok(base) = socket_ioctl(socket, code) {
                    if base != socket as usize {
                        return Ok(base);
                    }
                }
            }
            first
        }

        unsafe fn submit_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<()> {
            let request = request.as_ptr();
            // SAFETY: the caller guarantees `request` is valid and ours until its
            // completion; the kernel writes only the status block and the info.
            let status = unsafe {
                (*request).io_status.status = STATUS_PENDING;
                let info = ptr::addr_of_mut!((*request).info);
                NtDeviceIoControlFile(
                    self.afd.as_raw_handle(),
                    ptr::null_mut(),
                    None,
                    request.cast::<c_void>(),
                    ptr::addr_of_mut!((*request).io_status).cast::<IO_STATUS_BLOCK>(),
                    IOCTL_AFD_POLL,
                    info.cast::<c_void>(),
                    size_of::<AfdPollInfo>() as u32,
                    info.cast::<c_void>(),
                    size_of::<AfdPollInfo>() as u32,
                )
            };
            if status == STATUS_SUCCESS || status == STATUS_PENDING {
                Ok(())
            } else {
                Err(nt_error(status))
            }
        }

        unsafe fn cancel_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<bool> {
            // SAFETY: all-zero is a valid IO_STATUS_BLOCK.
            let mut cancel_block: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
            // SAFETY: the request is in flight, so its status block is the one the
            // kernel knows it by; only its address is used.
            let status = unsafe {
                NtCancelIoFileEx(
                    self.afd.as_raw_handle(),
                    request.as_ptr().cast::<IO_STATUS_BLOCK>(),
                    &mut cancel_block,
                )
            };
            match status {
                STATUS_SUCCESS => Ok(true),
                STATUS_NOT_FOUND => Ok(false),
                other => Err(nt_error(other)),
            }
        }

        fn get_completions(
            &mut self,
            entries: &mut [Completion],
            timeout: Option<Duration>,
        ) -> io::Result<usize> {
            let ms = match timeout {
                None => INFINITE,
                // Rounded up so a timer never looks due early; just below INFINITE.
                Some(t) => t
                    .as_nanos()
                    .div_ceil(1_000_000)
                    .min(u128::from(INFINITE - 1)) as u32,
            };
            let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
            let mut removed = 0u32;
            // SAFETY: `Completion` has OVERLAPPED_ENTRY's layout (asserted above) and
            // `entries` has room for `count` of them. Not alertable.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    self.port.as_raw_handle(),
                    entries.as_mut_ptr().cast::<OVERLAPPED_ENTRY>(),
                    count,
                    &mut removed,
                    ms,
                    0,
                )
            };
            if ok == 0 {
                // SAFETY: reads the calling thread's last error.
                let err = unsafe { GetLastError() };
                return if err == WAIT_TIMEOUT {
                    Ok(0)
                } else {
                    Err(io::Error::from_raw_os_error(err as i32))
                };
            }
            Ok(removed as usize)
        }

        fn is_closed_handle(err: &io::Error) -> bool {
            err.raw_os_error() == Some(ERROR_INVALID_HANDLE as i32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ_WRITE: Readiness =
        Readiness::from_bits(Readiness::READ.bits() | Readiness::WRITE.bits());

    #[test]
    fn requests_ask_as_wepoll_does() {
        let always = AFD_POLL_LOCAL_CLOSE | AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL;
        assert_eq!(afd_events(Interest::NONE), always);
        assert_eq!(
            afd_events(Interest::READ),
            always | AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT
        );
        assert_eq!(afd_events(Interest::WRITE), always | AFD_POLL_SEND);
        assert_eq!(afd_events(Interest::CLOSED), always | AFD_POLL_DISCONNECT);
    }

    #[test]
    fn completions_read_as_libevent_does() {
        let read = Interest::READ;
        let all = Interest::READ | Interest::WRITE | Interest::CLOSED;
        assert_eq!(readiness(AFD_POLL_RECEIVE, read), Readiness::READ);
        assert_eq!(readiness(AFD_POLL_ACCEPT, read), Readiness::READ);
        assert_eq!(readiness(AFD_POLL_SEND, read), Readiness::NONE);
        assert_eq!(readiness(AFD_POLL_SEND, all), Readiness::WRITE);
        // A graceful close is end of file for a reader, CLOSED for who asked.
        assert_eq!(readiness(AFD_POLL_DISCONNECT, read), Readiness::READ);
        assert_eq!(
            readiness(AFD_POLL_DISCONNECT, all),
            Readiness::READ | Readiness::CLOSED
        );
        assert_eq!(
            readiness(AFD_POLL_DISCONNECT, Interest::CLOSED),
            Readiness::CLOSED
        );
        // Resets and failed connects are errors.
        assert_eq!(readiness(AFD_POLL_ABORT, read), READ_WRITE);
        assert_eq!(readiness(AFD_POLL_CONNECT_FAIL, all), READ_WRITE);
        assert_eq!(
            readiness(AFD_POLL_ABORT | AFD_POLL_DISCONNECT, read),
            READ_WRITE
        );
        assert_eq!(
            readiness(AFD_POLL_ABORT | AFD_POLL_DISCONNECT, all),
            Readiness::READ | Readiness::CLOSED
        );
    }

    #[test]
    fn layouts_are_the_kernel_ones() {
        let word = size_of::<usize>();
        assert_eq!(size_of::<IoStatusBlock>(), 2 * word);
        assert_eq!(size_of::<AfdPollHandleInfo>(), word + 8);
        assert_eq!(size_of::<AfdPollInfo>(), 16 + word + 8);
        assert_eq!(std::mem::offset_of!(PollRequest, io_status), 0);
        assert_eq!(size_of::<Completion>(), 4 * word);
    }
}
