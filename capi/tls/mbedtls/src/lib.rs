//! [`evrs_tls::TlsSession`] over a program's Mbed TLS 2.28 `mbedtls_ssl_context`.
//!
//! The context's I/O callbacks (`mbedtls_ssl_set_bio`) are ours: they call a Rust
//! [`Transport`], or Mbed TLS's own `mbedtls_net_send`/`_recv` on an fd for the socket
//! kind (as libevent does), counting the bytes either way.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use evrs_tls::{
    BindError, ByteCounts, Outcome, RenegotiationRefused, Role, TlsSession, Transport, TransportIo,
};

pub mod sys;

/// Whether dropping the session frees the context (BEV_OPT_CLOSE_ON_FREE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// A context from [`dyncontext_new_in`]: `mbedtls_ssl_free`, then its memory
    /// freed (from [`C_MEMORY`] unless [`MbedTlsSession::set_context_memory`] says
    /// otherwise).
    FreeOnDrop,
    /// The program keeps the context; the session only unhooks its callbacks.
    Borrowed,
}

/// Where contexts of [`dyncontext_new_in`] get their memory: the C allocator
/// ([`C_MEMORY`]), or, in libevent_mbedtls, the program's event_set_mem_functions
/// (libevent's mm_calloc/mm_free).
#[derive(Clone, Copy, Debug)]
pub struct ContextMemory {
    pub calloc: unsafe extern "C" fn(usize, usize) -> *mut c_void,
    pub free: unsafe extern "C" fn(*mut c_void),
}

/// The C allocator.
pub const C_MEMORY: ContextMemory = ContextMemory {
    calloc: libc::calloc,
    free: libc::free,
};

/// A context allocated from the C allocator and set up with `conf`; see
/// [`dyncontext_new_in`].
///
/// # Safety
/// As for [`dyncontext_new_in`].
pub unsafe fn dyncontext_new(
    conf: *const sys::mbedtls_ssl_config,
) -> *mut sys::mbedtls_ssl_context {
    // SAFETY: the caller's contract is this one's.
    unsafe { dyncontext_new_in(conf, C_MEMORY) }
}

/// A context allocated from `memory` and set up with `conf`
/// (`bufferevent_mbedtls_dyncontext_new`); null if allocation or setup fails
/// (libevent ignores a failed setup and hands out a half-made context).
///
/// # Safety
/// `conf` is a configured `mbedtls_ssl_config` that outlives the context; `memory`'s
/// calloc gives zeroed blocks aligned for any type (as malloc does) or null.
pub unsafe fn dyncontext_new_in(
    conf: *const sys::mbedtls_ssl_config,
    memory: ContextMemory,
) -> *mut sys::mbedtls_ssl_context {
    // SAFETY: calloc gives zeroed memory of the context's size, aligned for it (this
    // function's contract); init and setup are the documented way to make it usable,
    // and on failure the half-made context is freed the same way it is on success.
    unsafe {
        let ssl = (memory.calloc)(1, std::mem::size_of::<sys::mbedtls_ssl_context>())
            .cast::<sys::mbedtls_ssl_context>();
        if ssl.is_null() {
            return ssl;
        }
        sys::mbedtls_ssl_init(ssl);
        if sys::mbedtls_ssl_setup(ssl, conf) != 0 {
            dyncontext_free_in(ssl, memory);
            return ptr::null_mut();
        }
        ssl
    }
}

/// Frees a context from [`dyncontext_new`]; see [`dyncontext_free_in`].
///
/// # Safety
/// As for [`dyncontext_free_in`] with [`C_MEMORY`].
pub unsafe fn dyncontext_free(ssl: *mut sys::mbedtls_ssl_context) {
    // SAFETY: the caller's contract is this one's.
    unsafe { dyncontext_free_in(ssl, C_MEMORY) }
}

/// Frees a context from [`dyncontext_new_in`] with the same `memory`
/// (`bufferevent_mbedtls_dyncontext_free`); null is ignored (libevent would crash).
///
/// # Safety
/// `ssl` is null or a set-up context whose memory came from `memory`, not used
/// afterwards.
pub unsafe fn dyncontext_free_in(ssl: *mut sys::mbedtls_ssl_context, memory: ContextMemory) {
    if ssl.is_null() {
        return;
    }
    // SAFETY: per the contract, ssl is a set-up context from memory.calloc, freed
    // once.
    unsafe {
        sys::mbedtls_ssl_free(ssl);
        (memory.free)(ssl.cast());
    }
}

/// Mbed TLS's text for an error code (mbedtls_strerror), for log messages.
pub fn error_text(code: c_int) -> String {
    let mut buf = [0 as c_char; 160];
    // SAFETY: the buffer and its length match; mbedtls_strerror NUL-terminates.
    unsafe { sys::mbedtls_strerror(code, buf.as_mut_ptr(), buf.len()) };
    // SAFETY: buf is NUL-terminated (above).
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// The error code as libevent stores it (an `unsigned long` cut to 32 bits).
fn stored_code(code: c_int) -> u64 {
    u64::from(code as u32)
}

/// Where our callbacks send ciphertext.
enum Io {
    Transport(Box<dyn Transport>),
    Socket(sys::mbedtls_net_context),
}

/// The `p_bio` our callbacks get.
struct IoSlot {
    io: Io,
    counts: ByteCounts,
}

/// One TLS connection over a program's `mbedtls_ssl_context`.
pub struct MbedTlsSession {
    ssl: *mut sys::mbedtls_ssl_context,
    ownership: Ownership,
    /// Where an owned context's memory goes back to.
    memory: ContextMemory,
    /// Our `p_bio`, from `Box::into_raw`; null until I/O is set.
    slot: *mut IoSlot,
    /// Counts of slots replaced, so the totals never go back.
    retired_counts: ByteCounts,
    errors: Vec<u64>,
    /// `errno` after the last call that failed in its socket I/O.
    os_error: i32,
    /// A handshake completed on this context: a new one needs a reset first.
    handshake_done: bool,
    /// A renegotiation started and not finished: `handshake` goes on with
    /// `mbedtls_ssl_renegotiate` (which finishes a server's request and continues a
    /// client's handshake).
    renegotiating: bool,
}

impl MbedTlsSession {
    /// Takes the program's context. Returns None for a null pointer.
    ///
    /// # Safety
    /// `ssl` is a set-up context (mbedtls_ssl_setup) that nothing else uses while the
    /// session exists; with `FreeOnDrop` it came from [`dyncontext_new`] (or
    /// [`dyncontext_new_in`], then see [`MbedTlsSession::set_context_memory`]) and nothing
    /// else frees it.
    pub unsafe fn new(
        ssl: *mut sys::mbedtls_ssl_context,
        ownership: Ownership,
    ) -> Option<MbedTlsSession> {
        (!ssl.is_null()).then_some(MbedTlsSession {
            ssl,
            ownership,
            memory: C_MEMORY,
            slot: ptr::null_mut(),
            retired_counts: ByteCounts::default(),
            errors: Vec::new(),
            os_error: 0,
            handshake_done: false,
            renegotiating: false,
        })
    }

    /// Gives the context to the session or back to the program: libevent_mbedtls's
    /// socket constructor leaves the program its context when it refuses the fd,
    /// even under BEV_OPT_CLOSE_ON_FREE.
    pub fn set_ownership(&mut self, ownership: Ownership) {
        self.ownership = ownership;
    }

    /// Where an owned context's memory came from (and goes back to on drop).
    ///
    /// # Safety
    /// Under `FreeOnDrop`, the context's memory came from `memory`.
    pub unsafe fn set_context_memory(&mut self, memory: ContextMemory) {
        self.memory = memory;
    }

    /// The context (bufferevent_mbedtls_get_ssl).
    pub fn ssl(&self) -> *mut sys::mbedtls_ssl_context {
        self.ssl
    }

    /// The context's I/O as `mbedtls_ssl_set_bio` left it: p_bio, f_send, f_recv.
    fn current_bio(&self) -> (*mut c_void, usize, usize) {
        let base = self.ssl.cast::<u8>();
        // SAFETY: the offsets are those of the public fields p_bio, f_send and f_recv
        // of Mbed TLS 2.28's context (checked against its header by tests/abi.rs);
        // the context is valid, and the fields are read as the pointers they are.
        unsafe {
            (
                base.add(sys::OFFSET_P_BIO).cast::<*mut c_void>().read(),
                base.add(sys::OFFSET_F_SEND).cast::<usize>().read(),
                base.add(sys::OFFSET_F_RECV).cast::<usize>().read(),
            )
        }
    }

    /// Installs our callbacks with a new slot for `io`, freeing the old slot.
    fn install(&mut self, io: Io) {
        self.retire_slot();
        let slot = Box::into_raw(Box::new(IoSlot {
            io,
            counts: ByteCounts::default(),
        }));
        // SAFETY: the context is valid; the slot lives until take_slot unhooks it.
        unsafe {
            sys::mbedtls_ssl_set_bio(self.ssl, slot.cast(), Some(send_cb), Some(recv_cb), None)
        };
        self.slot = slot;
    }

    /// Unhooks and frees the slot, keeping its counts in the totals.
    fn retire_slot(&mut self) {
        let old = self.take_slot();
        self.retired_counts.read = self.retired_counts.read.wrapping_add(old.read);
        self.retired_counts.written = self.retired_counts.written.wrapping_add(old.written);
    }

    /// Unhooks our callbacks (if still the context's) and frees the slot; returns its
    /// counts.
    fn take_slot(&mut self) -> ByteCounts {
        if self.slot.is_null() {
            return ByteCounts::default();
        }
        let (p_bio, _, _) = self.current_bio();
        if p_bio == self.slot.cast() {
            // SAFETY: the context is valid; null callbacks make later I/O fail with
            // an error instead of reaching the freed slot.
            unsafe { sys::mbedtls_ssl_set_bio(self.ssl, ptr::null_mut(), None, None, None) };
        }
        // SAFETY: slot came from Box::into_raw and the context no longer points at it.
        let slot = unsafe { Box::from_raw(self.slot) };
        self.slot = ptr::null_mut();
        slot.counts
    }

    fn our_slot(&self) -> Option<&IoSlot> {
        let (p_bio, _, _) = self.current_bio();
        if self.slot.is_null() || p_bio != self.slot.cast() {
            return None;
        }
        // SAFETY: the slot is ours and alive; no callback runs while &self is held.
        Some(unsafe { &*self.slot })
    }

    /// The fd the context's I/O uses: ours on a socket, or the program's own
    /// `mbedtls_net_*` binding. None: no I/O, a transport, or callbacks we do not know.
    fn known_fd(&self) -> Result<Option<i32>, BindError> {
        if let Some(slot) = self.our_slot() {
            return Ok(match &slot.io {
                Io::Socket(net) => Some(net.fd),
                Io::Transport(_) => None,
            });
        }
        let (p_bio, f_send, f_recv) = self.current_bio();
        if p_bio.is_null() {
            return Ok(None);
        }
        let net_send = sys::mbedtls_net_send as sys::SendFn as usize;
        let net_recv = sys::mbedtls_net_recv as sys::RecvFn as usize;
        if f_send == net_send && f_recv == net_recv {
            // SAFETY: with mbedtls_net_send/_recv, p_bio is the program's
            // mbedtls_net_context (their only argument type); its fd is read.
            let fd = unsafe { (*p_bio.cast::<sys::mbedtls_net_context>()).fd };
            return Ok((fd >= 0).then_some(fd));
        }
        let our_send = send_cb as sys::SendFn as usize;
        let our_recv = recv_cb as sys::RecvFn as usize;
        if f_send == our_send && f_recv == our_recv {
            // Another session's slot: the context's earlier bufferevent is freed but
            // not yet finalized (the core finalizes in the loop). Its socket binding
            // is known as libevent knows its own net context's.
            // SAFETY: with our callbacks, p_bio is a live IoSlot: a session unhooks
            // its slot from the context before freeing it. Only the fd is read.
            let io = unsafe { &(*p_bio.cast::<IoSlot>()).io };
            return Ok(match io {
                Io::Socket(net) => (net.fd >= 0).then_some(net.fd),
                Io::Transport(_) => None,
            });
        }
        Err(BindError::UnknownFd)
    }

    /// Runs one call with an empty error list; `Ok(n)` for a non-negative result.
    fn call(
        &mut self,
        op: impl FnOnce(*mut sys::mbedtls_ssl_context) -> c_int,
    ) -> Result<usize, c_int> {
        self.errors.clear();
        let ret = op(self.ssl);
        if ret < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            let socket_failed = matches!(
                ret,
                sys::MBEDTLS_ERR_NET_CONN_RESET
                    | sys::MBEDTLS_ERR_NET_RECV_FAILED
                    | sys::MBEDTLS_ERR_NET_SEND_FAILED
            );
            self.os_error = if socket_failed { errno } else { 0 };
        }
        usize::try_from(ret).map_err(|_| ret)
    }

    fn classify(&mut self, code: c_int) -> Outcome {
        match code {
            sys::MBEDTLS_ERR_SSL_WANT_READ => Outcome::WantRead,
            sys::MBEDTLS_ERR_SSL_WANT_WRITE => Outcome::WantWrite,
            sys::MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY => {
                // libevent records this code too, so it is what
                // bufferevent_get_mbedtls_error gives after a clean close.
                self.errors.push(stored_code(code));
                Outcome::Closed { clean: true }
            }
            sys::MBEDTLS_ERR_SSL_CONN_EOF => {
                self.errors.push(stored_code(code));
                Outcome::Closed { clean: false }
            }
            _ => {
                self.errors.push(stored_code(code));
                Outcome::Error
            }
        }
    }
}

impl Drop for MbedTlsSession {
    fn drop(&mut self) {
        // Touches the context only if the slot is still there: not after `unlink`.
        self.take_slot();
        if self.ownership == Ownership::FreeOnDrop {
            // SAFETY: the session owns the context, whose memory came from
            // self.memory (constructor and set_context_memory contracts); nothing
            // uses it after this.
            unsafe { dyncontext_free_in(self.ssl, self.memory) };
        }
    }
}

impl TlsSession for MbedTlsSession {
    fn start_handshake(&mut self, _role: Role) -> bool {
        // The role is the configuration's endpoint (mbedtls_ssl_config_defaults).
        // libevent does nothing here for Mbed TLS, so a context whose handshake is
        // over (a new fd given to the bufferevent) would not start again; a fresh
        // context is left alone (a reset would drop a session set for resumption).
        self.renegotiating = false;
        if !self.handshake_done {
            return true;
        }
        // SAFETY: the context is valid and set up; the reset keeps its config and I/O.
        let ret = unsafe { sys::mbedtls_ssl_session_reset(self.ssl) };
        self.handshake_done = ret != 0;
        ret == 0
    }

    fn handshake(&mut self) -> Outcome {
        let result = if self.renegotiating {
            // SAFETY: the context and its I/O are alive.
            self.call(|ssl| unsafe { sys::mbedtls_ssl_renegotiate(ssl) })
        } else {
            // SAFETY: the context is valid; its I/O is our live slot, the program's,
            // or none (then Mbed TLS fails with BAD_INPUT_DATA).
            self.call(|ssl| unsafe { sys::mbedtls_ssl_handshake(ssl) })
        };
        match result {
            Ok(_) => {
                self.handshake_done = true;
                self.renegotiating = false;
                Outcome::Done(0)
            }
            Err(code) => {
                let outcome = self.classify(code);
                if !matches!(outcome, Outcome::WantRead | Outcome::WantWrite) {
                    self.renegotiating = false;
                }
                outcome
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Outcome {
        if buf.is_empty() {
            return Outcome::Done(0);
        }
        let (out, len) = (buf.as_mut_ptr(), buf.len().min(c_int::MAX as usize));
        // SAFETY: `out` has room for `len` bytes; the context and its I/O are alive.
        match self.call(|ssl| unsafe { sys::mbedtls_ssl_read(ssl, out, len) }) {
            Ok(0) => {
                // The transport ended without close_notify (libevent: a read that
                // returns 0 is a dirty shutdown).
                Outcome::Closed { clean: false }
            }
            Ok(n) => Outcome::Done(n),
            Err(code) => self.classify(code),
        }
    }

    fn write(&mut self, buf: &[u8]) -> Outcome {
        if buf.is_empty() {
            return Outcome::Done(0);
        }
        let (data, len) = (buf.as_ptr(), buf.len().min(c_int::MAX as usize));
        // SAFETY: `data` holds `len` bytes; the context and its I/O are alive.
        match self.call(|ssl| unsafe { sys::mbedtls_ssl_write(ssl, data, len) }) {
            Ok(0) => {
                // Never for a non-empty buffer; an error rather than a busy loop.
                self.errors.push(0);
                Outcome::Error
            }
            Ok(n) => Outcome::Done(n),
            Err(code) => self.classify(code),
        }
    }

    fn pending(&self) -> usize {
        // SAFETY: the context is valid; this only reads the record state.
        unsafe { sys::mbedtls_ssl_get_bytes_avail(self.ssl) }
    }

    fn renegotiate(&mut self) -> Result<(), RenegotiationRefused> {
        // SAFETY: the context and its I/O are alive. A client's renegotiation starts
        // the handshake at once and, over non-blocking I/O, says WANT_READ/WRITE:
        // started (libevent takes any negative result, these too, for a refusal).
        match self.call(|ssl| unsafe { sys::mbedtls_ssl_renegotiate(ssl) }) {
            Ok(_) => Ok(()),
            Err(sys::MBEDTLS_ERR_SSL_WANT_READ | sys::MBEDTLS_ERR_SSL_WANT_WRITE) => {
                self.renegotiating = true;
                Ok(())
            }
            Err(code) => {
                self.errors.push(stored_code(code));
                Err(RenegotiationRefused)
            }
        }
    }

    fn close_notify(&mut self) -> Outcome {
        // SAFETY: the context and its I/O are alive.
        match self.call(|ssl| unsafe { sys::mbedtls_ssl_close_notify(ssl) }) {
            Ok(_) => Outcome::Done(0),
            Err(code) => self.classify(code),
        }
    }

    fn take_errors(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.errors)
    }

    fn os_error(&self) -> i32 {
        self.os_error
    }

    fn unlink(&mut self) {
        // The program may free a borrowed context once bufferevent_free returns, before
        // the session is dropped: unhook now, so that the drop does not touch it.
        self.retire_slot();
    }

    fn byte_counts(&self) -> ByteCounts {
        let now = if self.slot.is_null() {
            ByteCounts::default()
        } else {
            // SAFETY: the slot is ours and alive; no callback runs while &self is held.
            unsafe { (*self.slot).counts }
        };
        ByteCounts {
            read: self.retired_counts.read.wrapping_add(now.read),
            written: self.retired_counts.written.wrapping_add(now.written),
        }
    }

    fn set_transport(&mut self, transport: Box<dyn Transport>) -> Result<(), BindError> {
        self.install(Io::Transport(transport));
        Ok(())
    }

    fn bind_socket(&mut self, fd: Option<i32>) -> Result<Option<i32>, BindError> {
        match (self.known_fd()?, fd) {
            (Some(existing), Some(given)) if existing != given => {
                Err(BindError::FdMismatch { existing, given })
            }
            (Some(existing), _) => {
                // libevent rebinds to its own net context on the same fd; so do we,
                // with our counting callbacks around the same mbedtls_net_* calls.
                self.set_socket_fd(existing)?;
                Ok(Some(existing))
            }
            (None, Some(given)) => self.set_socket_fd(given).map(|()| Some(given)),
            (None, None) => Ok(None),
        }
    }

    fn set_socket_fd(&mut self, fd: i32) -> Result<(), BindError> {
        let mut net = sys::mbedtls_net_context { fd: -1 };
        // SAFETY: initialises the plain net context above.
        unsafe { sys::mbedtls_net_init(&mut net) };
        net.fd = fd;
        self.install(Io::Socket(net));
        Ok(())
    }

    fn socket_fd(&self) -> Option<i32> {
        self.known_fd().ok().flatten()
    }
}

// ---- the callbacks Mbed TLS calls with our slot as p_bio ----

/// Our slot, or None.
///
/// # Safety
/// `ctx` is null or the p_bio we installed, which the session keeps alive while it is
/// installed; Mbed TLS calls one callback at a time from inside a session call.
unsafe fn slot_of<'a>(ctx: *mut c_void) -> Option<&'a mut IoSlot> {
    // SAFETY: see the contract: no other reference to the slot exists meanwhile.
    unsafe { ctx.cast::<IoSlot>().as_mut() }
}

unsafe extern "C" fn send_cb(ctx: *mut c_void, buf: *const u8, len: usize) -> c_int {
    // SAFETY: Mbed TLS passes the p_bio we installed.
    let Some(slot) = (unsafe { slot_of(ctx) }) else {
        return sys::MBEDTLS_ERR_NET_INVALID_CONTEXT;
    };
    if buf.is_null() || len == 0 {
        return 0;
    }
    let len = len.min(c_int::MAX as usize);
    let result = catch_unwind(AssertUnwindSafe(|| match &mut slot.io {
        Io::Transport(transport) => {
            // SAFETY: Mbed TLS gives `len` readable bytes at `buf`.
            let data = unsafe { std::slice::from_raw_parts(buf, len) };
            match transport.send(data) {
                // 0 would read as "all flushed" to Mbed TLS: treat it as no room.
                TransportIo::Ready(0) | TransportIo::WouldBlock => sys::MBEDTLS_ERR_SSL_WANT_WRITE,
                TransportIo::Ready(n) => n.min(len) as c_int,
                TransportIo::Eof => sys::MBEDTLS_ERR_NET_CONN_RESET,
                TransportIo::Failed(_) => sys::MBEDTLS_ERR_NET_SEND_FAILED,
            }
        }
        // SAFETY: the net context is ours and `buf` holds `len` bytes.
        Io::Socket(net) => unsafe {
            sys::mbedtls_net_send((net as *mut sys::mbedtls_net_context).cast(), buf, len)
        },
    }));
    let ret = result.unwrap_or(sys::MBEDTLS_ERR_NET_SEND_FAILED);
    if ret > 0 {
        slot.counts.written = slot.counts.written.wrapping_add(ret as u64);
    }
    ret
}

unsafe extern "C" fn recv_cb(ctx: *mut c_void, buf: *mut u8, len: usize) -> c_int {
    // SAFETY: Mbed TLS passes the p_bio we installed.
    let Some(slot) = (unsafe { slot_of(ctx) }) else {
        return sys::MBEDTLS_ERR_NET_INVALID_CONTEXT;
    };
    if buf.is_null() || len == 0 {
        return 0;
    }
    let len = len.min(c_int::MAX as usize);
    let result = catch_unwind(AssertUnwindSafe(|| match &mut slot.io {
        Io::Transport(transport) => {
            // SAFETY: Mbed TLS gives `len` writable bytes at `buf`.
            let out = unsafe { std::slice::from_raw_parts_mut(buf, len) };
            match transport.recv(out) {
                TransportIo::Ready(n) => n.min(len) as c_int,
                TransportIo::WouldBlock => sys::MBEDTLS_ERR_SSL_WANT_READ,
                TransportIo::Eof => 0,
                TransportIo::Failed(_) => sys::MBEDTLS_ERR_NET_RECV_FAILED,
            }
        }
        // SAFETY: the net context is ours and `buf` has room for `len` bytes.
        Io::Socket(net) => unsafe {
            sys::mbedtls_net_recv((net as *mut sys::mbedtls_net_context).cast(), buf, len)
        },
    }));
    // A panicking transport is a broken transport: an I/O error, not an abort.
    let ret = result.unwrap_or(sys::MBEDTLS_ERR_NET_RECV_FAILED);
    if ret > 0 {
        slot.counts.read = slot.counts.read.wrapping_add(ret as u64);
    }
    ret
}

#[cfg(test)]
mod tests;
