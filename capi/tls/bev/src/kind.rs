//! The TLS bufferevent kind: a foreign bufferevent kind of the core whose operations,
//! fd events, underlying-bufferevent callbacks and output-buffer callback drive one
//! `EngineCell`, then deliver the engine's notices with no borrow of it alive (the
//! program's callbacks may call any API, freeing the bufferevent included).
//!
//! Lifetime: the kind object is the core's (boxed at creation, dropped after the
//! `destruct` operation). Every entry into it holds a reference on its bufferevent
//! while it runs: the core holds one across an operation, the callbacks here take one
//! ([`IncrefLock`]) before anything else, so the object outlives the call.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};

use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::foreign::{self, ForeignKind, IncrefLock, Refused};
use evrs_sibling::handler::{self, BuffereventHandler, EventHandler};
use evrs_sibling::sys;
use evrs_tls::engine::{Direction, EngineCell, EngineError, Events, Host, Input, Notice};
use evrs_tls::{Transport, TransportIo};

use crate::core_api::{self, evbuffer_cb_entry, evbuffer_cb_info};

/// One TLS bufferevent's state, owned by the core as the kind's context.
pub struct TlsKind {
    /// The engine; None once destructed.
    cell: RefCell<Option<EngineCell>>,
    /// The bufferevent, known once the core made it.
    bev: Cell<Option<NonNull<sys::bufferevent>>>,
    /// The filter kind's underlying bufferevent (we hold a reference on it).
    underlying: Option<NonNull<sys::bufferevent>>,
    /// The program's TLS object (an OpenSSL `SSL`, an `mbedtls_ssl_context`), for
    /// `bufferevent_openssl_get_ssl` and `bufferevent_mbedtls_get_ssl`, which answer it
    /// even while the engine runs.
    tls_object: *mut c_void,
    /// The socket kind's fd as the fd events watch it, -1 for none.
    fd: Cell<c_int>,
    /// Our callback on the bufferevent's output buffer.
    output_cb: Cell<*mut evbuffer_cb_entry>,
}

/// The TLS kind's table: the core's operations, then what lets the other TLS library
/// work a bufferevent of this one (a program linking both libevent_openssl and
/// libevent_mbedtls calls one `bufferevent_ssl_get_flags` for both kinds, as
/// libevent's shared functions take any "ssl" bufferevent): a family mark and a
/// control entry that takes integers only, so that the two libraries share no Rust
/// type. `ops.size` covers the whole table, which is how a reader knows the mark is
/// there to read.
#[repr(C)]
pub struct TlsTable {
    pub ops: sys::evrs_sibling_bev_ops,
    pub family: [u8; 16],
    pub control: unsafe extern "C" fn(
        ctx: *mut c_void,
        bev: *mut sys::bufferevent,
        request: c_int,
        arg: u64,
    ) -> u64,
}

/// The family mark; a change of [`Control`] or of the table's layout changes it.
pub const TLS_FAMILY: [u8; 16] = *b"evrs-tls-ctl/1\0\0";

pub static TLS_TABLE: TlsTable = TlsTable {
    ops: sys::evrs_sibling_bev_ops {
        size: std::mem::size_of::<TlsTable>(),
        ..foreign::ops_for::<TlsKind>()
    },
    family: TLS_FAMILY,
    control: control_trampoline,
};

/// What one TLS library asks of the other's bufferevent through the control entry.
/// Answers are `u64::MAX` for a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Control {
    /// The `BUFFEREVENT_SSL_*` flags.
    Flags = 1,
    /// Sets the flags in `arg`: the old flags.
    SetFlags = 2,
    /// Clears the flags in `arg`: the old flags.
    ClearFlags = 3,
    /// Starts a renegotiation: 0.
    Renegotiate = 4,
    /// Whether dirty shutdowns are allowed: 0 or 1.
    AllowDirtyShutdown = 5,
    /// Allows (`arg` 1) or forbids (0) dirty shutdowns: 0.
    SetAllowDirtyShutdown = 6,
}

impl Control {
    fn from_raw(request: c_int) -> Option<Control> {
        [
            Control::Flags,
            Control::SetFlags,
            Control::ClearFlags,
            Control::Renegotiate,
            Control::AllowDirtyShutdown,
            Control::SetAllowDirtyShutdown,
        ]
        .into_iter()
        .find(|c| *c as c_int == request)
    }
}

unsafe extern "C" fn control_trampoline(
    ctx: *mut c_void,
    bev: *mut sys::bufferevent,
    request: c_int,
    arg: u64,
) -> u64 {
    let (Some(kind), Some(bev), Some(request)) = (
        NonNull::new(ctx.cast::<TlsKind>()),
        NonNull::new(bev),
        Control::from_raw(request),
    ) else {
        return u64::MAX;
    };
    let body = || {
        // SAFETY: the other library found `ctx` as the context of the live `bev`
        // made with this table, so it is this library's kind object of `bev`.
        unsafe { crate::api::control(bev, kind, request, arg) }
    };
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        evrs_sibling::log::warn(format_args!(
            "TLS bufferevent control: internal error caught"
        ));
        u64::MAX
    })
}

impl TlsKind {
    pub fn new(
        cell: EngineCell,
        underlying: Option<NonNull<sys::bufferevent>>,
        tls_object: *mut c_void,
    ) -> TlsKind {
        TlsKind {
            cell: RefCell::new(Some(cell)),
            bev: Cell::new(None),
            underlying,
            tls_object,
            fd: Cell::new(-1),
            output_cb: Cell::new(ptr::null_mut()),
        }
    }

    pub fn tls_object(&self) -> *mut c_void {
        self.tls_object
    }

    /// Runs `f` on the engine without a host (flags, the error store); None when the
    /// engine is running or gone.
    pub fn inspect<R>(&self, f: impl FnOnce(&mut evrs_tls::engine::Engine) -> R) -> Option<R> {
        self.cell.borrow().as_ref()?.inspect(f).ok()
    }
}

/// Who called into the kind, which decides how the read callback runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// The loop: an fd event or the underlying bufferevent's callbacks.
    Loop,
    /// The program, through an API call (`bufferevent_enable`, a drain of the input
    /// that lifts the watermark, `bufferevent_write`...), maybe from inside its own
    /// read callback: the read callback is deferred, so that it never runs nested in
    /// that call and sees the input out of order. (libevent's filter kind runs it
    /// nested there.)
    Program,
}

/// Runs `f` on the engine of `kind` with a host over `bev`, then delivers the
/// notices. None when the engine is gone or busy. For calls from the program.
///
/// # Safety
/// `kind` is the live kind object of the live bufferevent `bev`, and a reference on
/// `bev` is held for the whole call.
pub unsafe fn with_engine<R>(
    kind: NonNull<TlsKind>,
    bev: NonNull<sys::bufferevent>,
    f: impl FnOnce(&mut evrs_tls::engine::Engine, &mut dyn Host) -> R,
) -> Option<R> {
    let mut host = BevHost { kind, bev };
    let result = {
        // SAFETY: the held reference keeps the kind alive; the shared borrow ends
        // before any program code runs (deliver below).
        let kind_ref = unsafe { kind.as_ref() };
        let cell = kind_ref.cell.borrow();
        cell.as_ref().and_then(|cell| cell.with(&mut host, f).ok())
    };
    // SAFETY: as this function's contract says.
    unsafe { deliver(kind, bev, Caller::Program) };
    result
}

/// Gives `input` to the engine, then delivers the notices.
///
/// # Safety
/// As for [`with_engine`].
unsafe fn drive(
    kind: NonNull<TlsKind>,
    bev: NonNull<sys::bufferevent>,
    input: Input,
    caller: Caller,
) -> Result<(), EngineError> {
    let mut host = BevHost { kind, bev };
    let result = {
        // SAFETY: as in `with_engine`.
        let kind_ref = unsafe { kind.as_ref() };
        let cell = kind_ref.cell.borrow();
        match cell.as_ref() {
            Some(cell) => cell.drive(&mut host, input),
            None => Ok(()),
        }
    };
    // SAFETY: as this function's contract says.
    unsafe { deliver(kind, bev, caller) };
    result
}

/// Runs the program's callbacks the engine queued, oldest first, each with no borrow
/// of the kind alive.
///
/// # Safety
/// As for [`with_engine`].
unsafe fn deliver(kind: NonNull<TlsKind>, bev: NonNull<sys::bufferevent>, caller: Caller) {
    let read_options = match caller {
        Caller::Loop => 0,
        Caller::Program => sys::BEV_TRIG_DEFER_CALLBACKS,
    };
    loop {
        let notice = {
            // SAFETY: the held reference keeps the kind alive; this borrow ends here.
            let kind_ref = unsafe { kind.as_ref() };
            let cell = kind_ref.cell.borrow();
            cell.as_ref().and_then(EngineCell::next_notice)
        };
        let Some(notice) = notice else {
            return;
        };
        // SAFETY: a live bufferevent (the held reference); the callbacks may free it,
        // which only drops the program's reference.
        unsafe {
            match notice {
                Notice::Read => {
                    foreign::trigger(bev, sys::EV_READ, read_options);
                    release_emptied_input(bev);
                }
                Notice::Write => foreign::trigger(bev, sys::EV_WRITE, sys::BEV_OPT_DEFER_CALLBACKS),
                Notice::Event { events, error } => {
                    foreign::run_eventcb(bev, events as c_short, 0, error)
                }
            }
        }
    }
}

/// After the read callback: an input it emptied keeps one small block only, as a
/// socket bufferevent's does (deferred callbacks are shrunk by the core after they
/// run).
///
/// # Safety
/// `bev` is a live bufferevent.
unsafe fn release_emptied_input(bev: NonNull<sys::bufferevent>) {
    // SAFETY: `bev` is live, as this function requires, and has its input buffer.
    if let Some(input) = unsafe { Evbuffer::from_ptr(sys::bufferevent_get_input(bev.as_ptr())) } {
        if input.is_empty() {
            input.shrink(true);
        }
    }
}

/// Entry from a callback of ours (fd event, underlying bufferevent, output buffer):
/// takes a reference and the lock on the TLS bufferevent, then drives.
fn drive_from_callback(kind: NonNull<TlsKind>, input: Input, caller: Caller) {
    // SAFETY: the callbacks are registered with the kind's address and removed before
    // it is dropped (unlink, destruct), so it is alive here.
    let Some(bev) = (unsafe { kind.as_ref() }).bev.get() else {
        return;
    };
    // SAFETY: the kind's bufferevent lives as long as the kind.
    let _hold = unsafe { IncrefLock::new(bev) };
    // SAFETY: the reference just taken is held until the end of this function.
    let _ = unsafe { drive(kind, bev, input, caller) };
}

fn to_dir(which: Direction) -> foreign::Direction {
    match which {
        Direction::Read => foreign::Direction::Read,
        Direction::Write => foreign::Direction::Write,
    }
}

fn status(r: Result<(), EngineError>) -> Result<(), Refused> {
    r.map_err(|_| Refused)
}

impl ForeignKind for TlsKind {
    fn ops() -> &'static sys::evrs_sibling_bev_ops {
        &TLS_TABLE.ops
    }

    fn enable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused> {
        let events = Events::from_bits(i32::from(events));
        // SAFETY: the core holds a reference on `bev` across the operation.
        status(unsafe { drive(this, bev, Input::Enable(events), Caller::Program) })
    }

    fn disable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused> {
        let events = Events::from_bits(i32::from(events));
        // SAFETY: the core holds a reference on `bev` across the operation.
        status(unsafe { drive(this, bev, Input::Disable(events), Caller::Program) })
    }

    fn unlink(this: NonNull<Self>, bev: NonNull<sys::bufferevent>) {
        // SAFETY: the core keeps the object until `destruct`; the borrow ends here.
        unsafe { this.as_ref() }.remove_output_cb(bev);
        // SAFETY: the core holds a reference on `bev` across the operation.
        unsafe { with_engine(this, bev, |engine, host| engine.unlink(host)) };
    }

    fn destruct(this: NonNull<Self>, bev: NonNull<sys::bufferevent>) {
        let cell = {
            // SAFETY: the object lives until after this operation; the borrow ends
            // before the engine's teardown below.
            let kind = unsafe { this.as_ref() };
            kind.remove_output_cb(bev);
            kind.cell.borrow_mut().take()
        };
        if let Some(cell) = cell {
            let mut host = BevHost { kind: this, bev };
            cell.into_inner().destruct(&mut host);
        }
    }

    fn flush(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        iotype: c_short,
        _mode: c_int,
    ) -> c_int {
        let iotype = Events::from_bits(i32::from(iotype));
        // SAFETY: the core holds a reference on `bev` across the operation.
        unsafe { with_engine(this, bev, |e, h| e.flush(h, iotype)) }.unwrap_or(-1)
    }

    fn fd(this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) -> sys::evutil_socket_t {
        // SAFETY: the core keeps the object during the operation; only fields are read.
        let (underlying, fd) = unsafe {
            let kind = this.as_ref();
            (kind.underlying, kind.fd.get())
        };
        match underlying {
            // SAFETY: we hold a reference on the underlying bufferevent.
            Some(underlying) => unsafe { sys::bufferevent_getfd(underlying.as_ptr()) },
            None => fd,
        }
    }

    fn set_fd(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        fd: sys::evutil_socket_t,
    ) -> Result<(), Refused> {
        let fd = (fd >= 0).then_some(fd);
        // SAFETY: the core holds a reference on `bev` across the operation.
        let r = unsafe { with_engine(this, bev, |e, h| e.set_fd(h, fd)) };
        match r {
            Some(Ok(())) => Ok(()),
            _ => Err(Refused),
        }
    }

    fn underlying(
        this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
    ) -> Option<NonNull<sys::bufferevent>> {
        // SAFETY: the core keeps the object during the operation; a field is read.
        unsafe { this.as_ref() }.underlying
    }
}

impl TlsKind {
    fn remove_output_cb(&self, bev: NonNull<sys::bufferevent>) {
        let entry = self.output_cb.replace(ptr::null_mut());
        if !entry.is_null() {
            // SAFETY: a live bufferevent, and the entry we added to its output buffer.
            unsafe {
                core_api::evbuffer_remove_cb_entry(sys::bufferevent_get_output(bev.as_ptr()), entry)
            };
        }
    }
}

/// Sets up a made TLS bufferevent: the output-buffer callback, the underlying
/// bufferevent's callbacks, then the engine's start. False when the start failed (the
/// caller frees the bufferevent).
///
/// # Safety
/// `bev` is a live bufferevent of kind [`TlsKind`] just made, with no other user yet.
pub unsafe fn start(bev: NonNull<sys::bufferevent>, fd: Option<c_int>) -> bool {
    // SAFETY: a live bufferevent.
    let Some(kind) = (unsafe { foreign::kind_of::<TlsKind>(bev) }) else {
        return false;
    };
    // SAFETY: the kind lives as long as the bufferevent; nothing else uses it yet.
    let kind_ref = unsafe { kind.as_ref() };
    kind_ref.bev.set(Some(bev));
    if let Some(underlying) = kind_ref.underlying {
        // First: the core gives this reference up after destruct, even when the
        // steps below fail and the caller frees the bufferevent.
        // SAFETY: the program's live underlying bufferevent.
        unsafe { foreign::incref(underlying) };
    }
    // SAFETY: a live bufferevent's own output buffer; the entry is removed before the
    // kind is dropped (unlink, destruct).
    let entry = unsafe {
        core_api::evbuffer_add_cb(
            sys::bufferevent_get_output(bev.as_ptr()),
            Some(output_changed),
            kind.as_ptr().cast(),
        )
    };
    if entry.is_null() {
        return false;
    }
    kind_ref.output_cb.set(entry);
    if let Some(underlying) = kind_ref.underlying {
        // SAFETY: the program's live underlying bufferevent; our reference keeps it
        // until after destruct, and unlink takes the callbacks off it.
        unsafe {
            handler::set_callbacks::<UnderlyingEvents>(underlying, kind);
            sys::bufferevent_setwatermark(underlying.as_ptr(), sys::EV_READ, 0, 0);
            sys::bufferevent_enable(underlying.as_ptr(), sys::EV_READ | sys::EV_WRITE);
        }
    }
    // SAFETY: a live bufferevent, which the caller holds (it was just made).
    let r = unsafe { with_engine(kind, bev, |e, h| e.start(h, fd)) };
    matches!(r, Some(Ok(())))
}

/// The core's `void *` callback argument for the output buffer's callback.
unsafe extern "C" fn output_changed(
    _buf: *mut sys::evbuffer,
    info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    let body = || {
        // SAFETY: the core passes its callback information for this call.
        let Some(info) = (unsafe { info.as_ref() }) else {
            return;
        };
        let Some(kind) = NonNull::new(arg.cast::<TlsKind>()) else {
            return;
        };
        if info.n_added > 0 {
            let orig_len = info.orig_size;
            drive_from_callback(kind, Input::OutputAdded { orig_len }, Caller::Program);
        }
    };
    if catch_unwind(AssertUnwindSafe(body)).is_err() {
        evrs_sibling::log::warn(format_args!(
            "TLS bufferevent output callback: internal error caught"
        ));
    }
}

/// The socket kind's `ev_read`.
struct FdRead;
/// The socket kind's `ev_write`.
struct FdWrite;

impl EventHandler for FdRead {
    type Target = TlsKind;
    fn fire(target: NonNull<TlsKind>, what: c_short) {
        let input = if what & sys::EV_TIMEOUT != 0 {
            Input::Timeout(Direction::Read)
        } else {
            Input::Readable
        };
        drive_from_callback(target, input, Caller::Loop);
    }
}

impl EventHandler for FdWrite {
    type Target = TlsKind;
    fn fire(target: NonNull<TlsKind>, what: c_short) {
        let input = if what & sys::EV_TIMEOUT != 0 {
            Input::Timeout(Direction::Write)
        } else {
            Input::Writable
        };
        drive_from_callback(target, input, Caller::Loop);
    }
}

/// The filter kind's callbacks on its underlying bufferevent.
struct UnderlyingEvents;

impl BuffereventHandler for UnderlyingEvents {
    type Target = TlsKind;
    fn read(target: NonNull<TlsKind>, _bev: NonNull<sys::bufferevent>) {
        drive_from_callback(target, Input::Readable, Caller::Loop);
    }
    fn write(target: NonNull<TlsKind>, _bev: NonNull<sys::bufferevent>) {
        drive_from_callback(target, Input::Writable, Caller::Loop);
    }
    fn event(target: NonNull<TlsKind>, _bev: NonNull<sys::bufferevent>, what: c_short) {
        let error = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        drive_from_callback(
            target,
            Input::UnderlyingEvent {
                what: what as u16,
                error,
            },
            Caller::Loop,
        );
    }
}

/// The filter kind's ciphertext path: the underlying bufferevent's input and output,
/// taking no more than its output's high watermark allows.
pub struct UnderlyingTransport {
    underlying: NonNull<sys::bufferevent>,
}

impl UnderlyingTransport {
    /// # Safety
    /// `underlying` is a live bufferevent that outlives the transport (the kind holds
    /// a reference on it until after the session, which owns this, is dropped).
    pub unsafe fn new(underlying: NonNull<sys::bufferevent>) -> UnderlyingTransport {
        UnderlyingTransport { underlying }
    }
}

impl Transport for UnderlyingTransport {
    fn recv(&mut self, buf: &mut [u8]) -> TransportIo {
        // SAFETY: a live bufferevent (constructor contract); `buf` is writable.
        let n = unsafe {
            let input = sys::bufferevent_get_input(self.underlying.as_ptr());
            core_api::evbuffer_remove(input, buf.as_mut_ptr().cast(), buf.len())
        };
        if n > 0 {
            TransportIo::Ready(n as usize)
        } else {
            TransportIo::WouldBlock
        }
    }

    fn send(&mut self, buf: &[u8]) -> TransportIo {
        let take = match write_room(self.underlying) {
            Some(0) => return TransportIo::WouldBlock,
            Some(room) => room.min(buf.len()),
            None => buf.len(),
        };
        // SAFETY: a live bufferevent (constructor contract).
        let output = unsafe { sys::bufferevent_get_output(self.underlying.as_ptr()) };
        // SAFETY: the underlying's live output buffer.
        let output = unsafe { Evbuffer::from_ptr(output) };
        match output {
            Some(output) if output.append(&buf[..take]) => TransportIo::Ready(take),
            _ => TransportIo::Failed(libc::ENOMEM),
        }
    }
}

/// How many more bytes `bev`'s output takes before its high watermark; None without
/// one.
fn write_room(bev: NonNull<sys::bufferevent>) -> Option<usize> {
    let mut high = 0usize;
    // SAFETY: a live bufferevent (callers' contracts); `high` is writable.
    unsafe {
        core_api::bufferevent_getwatermark(bev.as_ptr(), sys::EV_WRITE, ptr::null_mut(), &mut high)
    };
    if high == 0 {
        return None;
    }
    // SAFETY: `bev` is live (callers' contracts), so its output buffer is too.
    let len = unsafe { sys::evbuffer_get_length(sys::bufferevent_get_output(bev.as_ptr())) };
    Some(high.saturating_sub(len))
}

/// The engine's view of one TLS bufferevent: copied pointers, no borrow.
struct BevHost {
    kind: NonNull<TlsKind>,
    bev: NonNull<sys::bufferevent>,
}

impl BevHost {
    fn input(&self) -> Evbuffer {
        // SAFETY: a live bufferevent (the held reference) always has its input buffer.
        unsafe { Evbuffer::from_ptr(sys::bufferevent_get_input(self.bev.as_ptr())) }
            .expect("a bufferevent has an input buffer")
    }

    fn output(&self) -> Evbuffer {
        // SAFETY: as in `input`.
        unsafe { Evbuffer::from_ptr(sys::bufferevent_get_output(self.bev.as_ptr())) }
            .expect("a bufferevent has an output buffer")
    }

    fn underlying(&self) -> Option<NonNull<sys::bufferevent>> {
        // SAFETY: the kind is alive while its host is used (the held reference).
        unsafe { self.kind.as_ref() }.underlying
    }
}

impl Host for BevHost {
    fn input_len(&self) -> usize {
        self.input().len()
    }

    fn input_append(&mut self, data: &[u8]) -> bool {
        self.input().append(data)
    }

    fn input_fill(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool {
        self.input().append_with(len, fill)
    }

    fn output_len(&self) -> usize {
        self.output().len()
    }

    fn with_output_front(&mut self, min: usize, max: usize, write: &mut dyn FnMut(&[u8])) -> bool {
        let output = self.output();
        let len = output.len();
        if len == 0 {
            return false;
        }
        let min = min.min(len).max(1);
        let mut first = first_chunk(output);
        if first.iov_len < min {
            // SAFETY: the live output buffer holds at least `min` bytes.
            if unsafe { sys::evbuffer_pullup(output.as_ptr(), min as isize) }.is_null() {
                return false;
            }
            first = first_chunk(output);
        }
        if first.iov_base.is_null() || first.iov_len < min {
            return false;
        }
        let give = first.iov_len.min(max.max(min));
        // SAFETY: the first chunk of the buffer is `iov_len` readable bytes, which
        // stay put until the buffer changes; `write` only reads them (the engine
        // hands them to the session, which does not touch this buffer).
        let bytes = unsafe { std::slice::from_raw_parts(first.iov_base.cast::<u8>(), give) };
        write(bytes);
        true
    }

    fn output_drain(&mut self, len: usize) {
        let output = self.output();
        output.drain(len);
        // An idle connection keeps no buffer memory, as a socket bufferevent's.
        if output.is_empty() {
            output.shrink(false);
        }
    }

    fn enabled(&self) -> Events {
        // SAFETY: a live bufferevent.
        let bits = unsafe { sys::bufferevent_get_enabled(self.bev.as_ptr()) };
        Events::from_bits(i32::from(bits))
    }

    fn suspended(&self, dir: Direction) -> bool {
        // SAFETY: a live bufferevent.
        unsafe { foreign::is_suspended(self.bev, to_dir(dir)) }
    }

    fn read_high_watermark(&self) -> usize {
        let mut high = 0usize;
        // SAFETY: a live bufferevent; `high` is writable.
        unsafe {
            core_api::bufferevent_getwatermark(
                self.bev.as_ptr(),
                sys::EV_READ,
                ptr::null_mut(),
                &mut high,
            )
        };
        high
    }

    fn underlying_write_room(&self) -> Option<usize> {
        write_room(self.underlying()?)
    }

    fn budget(&self, dir: Direction) -> usize {
        // SAFETY: a live bufferevent.
        unsafe { foreign::budget(self.bev, to_dir(dir)) }
    }

    fn consumed(&mut self, dir: Direction, bytes: usize) {
        // SAFETY: a live bufferevent.
        unsafe { foreign::consumed(self.bev, to_dir(dir), bytes) }
    }

    fn watch_fd(&mut self, dir: Direction, on: bool) -> bool {
        // SAFETY: a live bufferevent.
        unsafe {
            if on {
                foreign::add_event(self.bev, to_dir(dir)).is_ok()
            } else {
                foreign::del_event(self.bev, to_dir(dir));
                true
            }
        }
    }

    fn assign_fd(&mut self, fd: Option<i32>, keep_pending: bool) -> bool {
        // SAFETY: the kind is alive while its host is used.
        unsafe { self.kind.as_ref() }.fd.set(fd.unwrap_or(-1));
        let mut ok = true;
        for dir in [Direction::Read, Direction::Write] {
            let which = to_dir(dir);
            // SAFETY: a live bufferevent's own event.
            let ev = unsafe { foreign::event(self.bev, which) };
            // SAFETY: `ev` is the live bufferevent's own event, initialised at creation.
            let pending = unsafe {
                sys::event_pending(
                    ev.as_ptr(),
                    sys::EV_READ | sys::EV_WRITE | sys::EV_TIMEOUT,
                    ptr::null_mut(),
                )
            } != 0;
            // SAFETY: the live bufferevent's own event; it is deleted before it is
            // assigned again.
            unsafe { foreign::del_event(self.bev, which) };
            let (fd, events) = match (fd, dir) {
                (Some(fd), Direction::Read) => (fd, sys::EV_READ),
                (Some(fd), Direction::Write) => (fd, sys::EV_WRITE),
                // No fd: a timeout-only event until one comes.
                (None, _) => (-1, 0),
            };
            let events = events | sys::EV_PERSIST | sys::EV_FINALIZE;
            // SAFETY: the event is not pending (deleted above); the kind outlives its
            // bufferevent's events (destruct comes after they are finalized).
            let assigned = unsafe {
                match dir {
                    Direction::Read => {
                        foreign::assign_event::<FdRead>(self.bev, which, fd, events, self.kind)
                    }
                    Direction::Write => {
                        foreign::assign_event::<FdWrite>(self.bev, which, fd, events, self.kind)
                    }
                }
            };
            ok &= assigned.is_ok();
            if assigned.is_ok() && keep_pending && pending {
                // SAFETY: a live bufferevent.
                ok &= unsafe { foreign::add_event(self.bev, which) }.is_ok();
            }
        }
        ok
    }

    fn finished_connecting(&mut self) -> Result<bool, i32> {
        // SAFETY: a live bufferevent.
        if !unsafe { foreign::connecting(self.bev) } {
            return Ok(true);
        }
        // SAFETY: the kind is alive while its host is used.
        let fd = unsafe { self.kind.as_ref() }.fd.get();
        let mut error: c_int = 0;
        let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
        // SAFETY: `error` and `len` are writable and sized for SO_ERROR.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut error as *mut c_int).cast(),
                &mut len,
            )
        };
        if r != 0 {
            error = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EBADF);
        }
        if error == libc::EINPROGRESS || error == libc::EINTR {
            return Ok(false);
        }
        // SAFETY: a live bufferevent.
        unsafe { foreign::set_connecting(self.bev, false) };
        if error == 0 {
            Ok(true)
        } else {
            Err(error)
        }
    }

    fn close_fd(&mut self, fd: i32) {
        // SAFETY: the socket the bufferevent owns (BEV_OPT_CLOSE_ON_FREE), closed once
        // at destruct.
        unsafe { sys::evutil_closesocket(fd) };
    }

    fn underlying_reading(&mut self, on: bool) -> bool {
        let Some(underlying) = self.underlying() else {
            return false;
        };
        // SAFETY: we hold a reference on the underlying bufferevent.
        unsafe {
            foreign::set_suspended(
                underlying,
                foreign::Direction::Read,
                sys::BEV_SUSPEND_FILT_READ,
                !on,
            )
        }
        .is_ok()
    }

    fn underlying_set_fd(&mut self, fd: i32) -> bool {
        let Some(underlying) = self.underlying() else {
            return false;
        };
        // SAFETY: we hold a reference on the underlying bufferevent.
        unsafe { sys::bufferevent_setfd(underlying.as_ptr(), fd) == 0 }
    }

    fn restart_timeout(&mut self, dir: Direction) {
        // Generic timeouts: adding the timeout-only event restarts it.
        // SAFETY: a live bufferevent.
        let _ = unsafe { foreign::add_event(self.bev, to_dir(dir)) };
    }

    fn stop_timeout(&mut self, dir: Direction) {
        // SAFETY: a live bufferevent.
        unsafe { foreign::del_event(self.bev, to_dir(dir)) };
    }

    fn release_underlying(&mut self, free: bool) {
        let Some(underlying) = self.underlying() else {
            return;
        };
        // SAFETY: we hold a reference on the underlying bufferevent, so it is live even
        // after bufferevent_free (which only drops the program's).
        unsafe {
            handler::clear_callbacks(underlying);
            if free {
                sys::bufferevent_free(underlying.as_ptr());
            } else {
                let _ = foreign::set_suspended(
                    underlying,
                    foreign::Direction::Read,
                    sys::BEV_SUSPEND_FILT_READ,
                    false,
                );
            }
        }
    }
}

/// The first contiguous chunk of `buf` (null and 0 when empty).
fn first_chunk(buf: Evbuffer) -> sys::evbuffer_iovec {
    let mut chunk = sys::evbuffer_iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    };
    // SAFETY: a live buffer; one iovec is writable.
    unsafe { core_api::evbuffer_peek(buf.as_ptr(), -1, ptr::null_mut(), &mut chunk, 1) };
    chunk
}
