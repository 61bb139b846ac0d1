//! [`evrs_tls::TlsSession`] over a program's OpenSSL `SSL` object.
//!
//! Ciphertext goes either through OpenSSL's own socket BIO on an fd (the socket kind,
//! as libevent does it) or through a BIO of ours whose callbacks call a Rust
//! [`Transport`] (the filter kind, or any transport the engine gives).

use std::ffi::{c_char, c_int, c_long, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;

use evrs_tls::{
    BindError, ByteCounts, Outcome, RenegotiationRefused, Role, TlsSession, Transport, TransportIo,
};
use openssl_sys as ffi;

#[cfg(any(test, feature = "test-cert"))]
pub mod testcert;

pub mod sys;

/// Whether dropping the session frees the `SSL` (BEV_OPT_CLOSE_ON_FREE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// `SSL_free` on drop.
    FreeOnDrop,
    /// The program keeps the `SSL`; the session only unhooks its BIO from it.
    Borrowed,
}

/// The Rust side of our BIO: the BIO's data pointer points here.
struct TransportSlot {
    transport: Box<dyn Transport>,
    /// errno of the last Failed, for the SYSCALL class.
    last_errno: i32,
}

/// One TLS connection over a program's `SSL`.
pub struct OpenSslSession {
    ssl: *mut ffi::SSL,
    ownership: Ownership,
    /// Our BIO in the SSL, if the transport is ours (not owned: the SSL holds it).
    our_bio: *mut ffi::BIO,
    /// The transport our BIO calls; from `Box::into_raw`, freed by the session.
    slot: *mut TransportSlot,
    /// Counts of BIOs the SSL no longer uses, so the totals never go back.
    retired_counts: ByteCounts,
    errors: Vec<u64>,
    /// `errno` after the last call that failed in its socket I/O (SSL_ERROR_SYSCALL).
    os_error: i32,
}

impl OpenSslSession {
    /// Takes the program's `SSL` (libevent's `init`: OpenSSL is told that the buffer
    /// of a retried write may move). Returns None for a null pointer.
    ///
    /// # Safety
    /// `ssl` is a valid `SSL` that nothing else uses while the session exists, and
    /// with `FreeOnDrop` nothing else frees it.
    pub unsafe fn new(ssl: *mut ffi::SSL, ownership: Ownership) -> Option<OpenSslSession> {
        if ssl.is_null() {
            return None;
        }
        // SAFETY: `ssl` is a valid SSL by this function's contract; SSL_CTRL_MODE only
        // ORs the mode bits.
        unsafe {
            ffi::SSL_ctrl(
                ssl,
                sys::SSL_CTRL_MODE,
                ffi::SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER as c_long,
                ptr::null_mut(),
            );
        }
        Some(OpenSslSession {
            ssl,
            ownership,
            our_bio: ptr::null_mut(),
            slot: ptr::null_mut(),
            retired_counts: ByteCounts::default(),
            errors: Vec::new(),
            os_error: 0,
        })
    }

    /// The `SSL` (bufferevent_openssl_get_ssl).
    pub fn ssl(&self) -> *mut ffi::SSL {
        self.ssl
    }

    /// How many renegotiations the SSL has started (SSL_num_renegotiations).
    pub fn renegotiations(&self) -> i64 {
        // SAFETY: self.ssl is valid for the session's life (constructor contract);
        // this control only reads a counter.
        let n: c_long = unsafe {
            ffi::SSL_ctrl(
                self.ssl,
                sys::SSL_CTRL_GET_NUM_RENEGOTIATIONS,
                0,
                ptr::null_mut(),
            )
        };
        n as i64
    }

    fn bios(&self) -> (*mut ffi::BIO, *mut ffi::BIO) {
        // SAFETY: self.ssl is valid; the getters return borrowed pointers or null.
        unsafe { (ffi::SSL_get_rbio(self.ssl), ffi::SSL_get_wbio(self.ssl)) }
    }

    fn bio_counts(&self) -> ByteCounts {
        let (rbio, wbio) = self.bios();
        let mut counts = ByteCounts::default();
        if !rbio.is_null() {
            // SAFETY: rbio is the SSL's live BIO (just fetched); the call reads a counter.
            counts.read = unsafe { sys::BIO_number_read(rbio) };
        }
        if !wbio.is_null() {
            // SAFETY: wbio is the SSL's live BIO (just fetched); the call reads a counter.
            counts.written = unsafe { sys::BIO_number_written(wbio) };
        }
        counts
    }

    /// The fd of the descriptor BIO (socket, fd, connect, accept) in the SSL's write
    /// chain, and that BIO. A BIO that is not a descriptor has no fd, whatever its
    /// BIO_get_fd says (a memory BIO says 0).
    fn descriptor_bio(&self) -> Option<(*mut ffi::BIO, i32)> {
        let (_, wbio) = self.bios();
        if wbio.is_null() {
            return None;
        }
        // SAFETY: wbio is the SSL's live BIO; BIO_find_type walks its chain.
        let bio = unsafe { sys::BIO_find_type(wbio, sys::BIO_TYPE_DESCRIPTOR) };
        if bio.is_null() {
            return None;
        }
        // SAFETY: bio is a live descriptor BIO; BIO_C_GET_FD with a null pointer only
        // returns its fd.
        let fd = unsafe { ffi::BIO_ctrl(bio, sys::BIO_C_GET_FD, 0, ptr::null_mut()) };
        (fd >= 0 && fd <= i32::MAX as c_long).then_some((bio, fd as i32))
    }

    /// Unhooks our BIO (if the SSL still has it) and frees the transport: the SSL may
    /// outlive the session, and its BIO must then fail rather than reach freed memory.
    fn release_transport(&mut self) {
        // The SSL is asked only while our BIO may be in it: after `Drop` freed the
        // SSL (FreeOnDrop), `our_bio` is null and the SSL is not touched.
        if !self.our_bio.is_null() {
            let (rbio, wbio) = self.bios();
            if rbio == self.our_bio || wbio == self.our_bio {
                // SAFETY: our_bio is still one of the SSL's BIOs, so it is alive.
                unsafe { ffi::BIO_set_data(self.our_bio, ptr::null_mut()) };
            }
        }
        self.our_bio = ptr::null_mut();
        if !self.slot.is_null() {
            // SAFETY: slot came from Box::into_raw and no BIO points at it any more.
            drop(unsafe { Box::from_raw(self.slot) });
            self.slot = ptr::null_mut();
        }
    }

    /// Replaces the SSL's BIOs by `bio` (read and write), keeping the byte totals.
    fn install_bio(&mut self, bio: *mut ffi::BIO) {
        let old = self.bio_counts();
        self.retired_counts.read = self.retired_counts.read.wrapping_add(old.read);
        self.retired_counts.written = self.retired_counts.written.wrapping_add(old.written);
        // SAFETY: self.ssl is valid; SSL_set_bio takes our one reference to `bio`
        // (passed for both directions) and frees the old BIOs.
        unsafe { ffi::SSL_set_bio(self.ssl, bio, bio) };
    }

    /// Runs one SSL call with an empty error queue and classifies its result.
    fn call(&mut self, op: impl FnOnce(*mut ffi::SSL) -> c_int) -> Outcome {
        self.errors.clear();
        // SAFETY: clears this thread's OpenSSL error queue; no pointers involved.
        unsafe { ffi::ERR_clear_error() };
        let ret = op(self.ssl);
        if ret > 0 {
            return Outcome::Done(ret as usize);
        }
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        // SAFETY: self.ssl is valid and `ret` is what the call just returned.
        let code = unsafe { ffi::SSL_get_error(self.ssl, ret) };
        self.os_error = if code == ffi::SSL_ERROR_SYSCALL {
            errno
        } else {
            0
        };
        self.classify(code, ret)
    }

    fn classify(&mut self, code: c_int, ret: c_int) -> Outcome {
        let outcome = match code {
            ffi::SSL_ERROR_WANT_READ => return Outcome::WantRead,
            ffi::SSL_ERROR_WANT_WRITE => return Outcome::WantWrite,
            ffi::SSL_ERROR_ZERO_RETURN => {
                // SAFETY: self.ssl is valid; reads the shutdown flags.
                let shutdown = unsafe { ffi::SSL_get_shutdown(self.ssl) };
                Outcome::Closed {
                    clean: shutdown & ffi::SSL_RECEIVED_SHUTDOWN != 0,
                }
            }
            ffi::SSL_ERROR_SYSCALL => {
                // SAFETY: reads this thread's error queue without removing anything.
                let queue_empty = unsafe { sys::ERR_peek_error() } == 0;
                self.errors.push(code as u64);
                if (ret == 0 || ret == -1) && queue_empty {
                    Outcome::Closed { clean: false }
                } else {
                    Outcome::Error
                }
            }
            ffi::SSL_ERROR_SSL => {
                // SAFETY: self.ssl is valid; reads the handshake state.
                let in_handshake = unsafe { ffi::SSL_is_init_finished(self.ssl) } == 0;
                // SAFETY: reads this thread's error queue without removing anything.
                let first = unsafe { sys::ERR_peek_error() };
                // OpenSSL 3 reports a transport EOF without close_notify as this
                // error; libevent 2.2.1 counts it as dirty only during the handshake,
                // and so reports dirty shutdowns of open connections as errors.
                let unexpected_eof = ffi::ERR_GET_LIB(first) == sys::ERR_LIB_SSL
                    && ffi::ERR_GET_REASON(first) == sys::SSL_R_UNEXPECTED_EOF_WHILE_READING;
                self.errors.push(code as u64);
                if (ret == 0 && in_handshake) || unexpected_eof {
                    Outcome::Closed { clean: false }
                } else {
                    Outcome::Error
                }
            }
            _ => {
                // WANT_X509_LOOKUP, WANT_ASYNC, WANT_CONNECT...: nothing the engine
                // can wait for.
                self.errors.push(code as u64);
                Outcome::Error
            }
        };
        self.drain_queue();
        outcome
    }

    fn drain_queue(&mut self) {
        loop {
            // SAFETY: pops this thread's OpenSSL error queue.
            let code = unsafe { ffi::ERR_get_error() };
            if code == 0 {
                break;
            }
            self.errors.push(code as u64);
        }
    }
}

impl Drop for OpenSslSession {
    fn drop(&mut self) {
        if self.ownership == Ownership::FreeOnDrop {
            // SAFETY: the session owns the SSL (FreeOnDrop contract); after this no
            // BIO of ours is alive, so the slot can go.
            unsafe { ffi::SSL_free(self.ssl) };
            self.our_bio = ptr::null_mut();
        }
        self.release_transport();
    }
}

impl TlsSession for OpenSslSession {
    fn start_handshake(&mut self, role: Role) -> bool {
        // SAFETY: self.ssl is valid; SSL_clear resets the connection state.
        if unsafe { sys::SSL_clear(self.ssl) } != 1 {
            self.errors.clear();
            self.drain_queue();
            return false;
        }
        match role {
            // SAFETY: self.ssl is valid; these set the handshake role.
            Role::Connect => unsafe { ffi::SSL_set_connect_state(self.ssl) },
            // SAFETY: self.ssl is valid; this sets the handshake role.
            Role::Accept => unsafe { ffi::SSL_set_accept_state(self.ssl) },
        }
        true
    }

    fn handshake(&mut self) -> Outcome {
        // SAFETY: the SSL is valid, and its BIOs are alive: ours points at the live
        // slot, a socket BIO at an fd that the engine keeps open.
        match self.call(|ssl| unsafe { ffi::SSL_do_handshake(ssl) }) {
            Outcome::Done(_) => Outcome::Done(0),
            other => other,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Outcome {
        if buf.is_empty() {
            return Outcome::Done(0);
        }
        let len = buf.len().min(c_int::MAX as usize) as c_int;
        let out = buf.as_mut_ptr();
        // SAFETY: `out` has room for `len` bytes; the SSL and its BIOs are alive.
        self.call(|ssl| unsafe { ffi::SSL_read(ssl, out.cast(), len) })
    }

    fn write(&mut self, buf: &[u8]) -> Outcome {
        if buf.is_empty() {
            return Outcome::Done(0);
        }
        let len = buf.len().min(c_int::MAX as usize) as c_int;
        let data = buf.as_ptr();
        // SAFETY: `data` holds `len` bytes; the SSL and its BIOs are alive.
        self.call(|ssl| unsafe { ffi::SSL_write(ssl, data.cast(), len) })
    }

    fn pending(&self) -> usize {
        // SAFETY: self.ssl is valid; SSL_pending only reads buffered record state.
        let n = unsafe { ffi::SSL_pending(self.ssl) };
        n.max(0) as usize
    }

    fn renegotiate(&mut self) -> Result<(), RenegotiationRefused> {
        self.errors.clear();
        // SAFETY: clears this thread's error queue.
        unsafe { ffi::ERR_clear_error() };
        // SAFETY: self.ssl is valid; SSL_renegotiate only marks the renegotiation to
        // start (the I/O happens in the next handshake call).
        // libevent checks for a negative return, which OpenSSL never gives: 0 is the
        // refusal (TLS 1.3, or renegotiation disabled).
        if unsafe { sys::SSL_renegotiate(self.ssl) } == 1 {
            Ok(())
        } else {
            self.drain_queue();
            Err(RenegotiationRefused)
        }
    }

    fn close_notify(&mut self) -> Outcome {
        self.errors.clear();
        // SAFETY: clears this thread's error queue.
        unsafe { ffi::ERR_clear_error() };
        // SAFETY: the SSL and its BIOs are alive.
        let ret = unsafe { ffi::SSL_shutdown(self.ssl) };
        if ret >= 0 {
            // 0: ours sent, the peer's not seen yet; 1: both.
            return Outcome::Done(0);
        }
        // SAFETY: self.ssl is valid and `ret` is SSL_shutdown's result.
        let code = unsafe { ffi::SSL_get_error(self.ssl, ret) };
        self.classify(code, ret)
    }

    fn take_errors(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.errors)
    }

    fn os_error(&self) -> i32 {
        self.os_error
    }

    fn unlink(&mut self) {
        // The program may free an `SSL` it kept once bufferevent_free returns, before
        // the session is dropped: our BIO lets go of the transport now, so that the
        // drop does not touch the SSL.
        if self.ownership == Ownership::Borrowed {
            self.release_transport();
        }
    }

    fn byte_counts(&self) -> ByteCounts {
        let now = self.bio_counts();
        ByteCounts {
            read: self.retired_counts.read.wrapping_add(now.read),
            written: self.retired_counts.written.wrapping_add(now.written),
        }
    }

    fn set_transport(&mut self, transport: Box<dyn Transport>) -> Result<(), BindError> {
        let method = transport_bio_method().ok_or(BindError::OutOfMemory)?;
        // SAFETY: `method` is a complete BIO_METHOD that lives for the whole process.
        let bio = unsafe { ffi::BIO_new(method) };
        if bio.is_null() {
            return Err(BindError::OutOfMemory);
        }
        let slot = Box::into_raw(Box::new(TransportSlot {
            transport,
            last_errno: 0,
        }));
        // SAFETY: bio is the fresh BIO; its data is the slot, which lives until the
        // session unhooks it (release_transport) or the SSL is freed first.
        unsafe {
            ffi::BIO_set_data(bio, slot.cast());
            ffi::BIO_set_init(bio, 1);
        }
        self.release_transport();
        self.install_bio(bio);
        self.our_bio = bio;
        self.slot = slot;
        Ok(())
    }

    fn bind_socket(&mut self, fd: Option<i32>) -> Result<Option<i32>, BindError> {
        match (self.descriptor_bio(), fd) {
            (Some((bio, existing)), wanted) => {
                if let Some(given) = wanted.filter(|&given| given != existing) {
                    return Err(BindError::FdMismatch { existing, given });
                }
                // SAFETY: bio is the SSL's live descriptor BIO; the engine, not
                // SSL_free, closes the fd (BEV_OPT_CLOSE_ON_FREE).
                unsafe { ffi::BIO_ctrl(bio, sys::BIO_CTRL_SET_CLOSE, 0, ptr::null_mut()) };
                Ok(Some(existing))
            }
            (None, Some(fd)) => self.set_socket_fd(fd).map(|()| Some(fd)),
            // No fd anywhere: the SSL's I/O stays as it stands until one is set.
            (None, None) => Ok(None),
        }
    }

    fn set_socket_fd(&mut self, fd: i32) -> Result<(), BindError> {
        // SAFETY: makes a socket BIO that does not close `fd` when freed.
        let bio = unsafe { ffi::BIO_new_socket(fd, sys::BIO_NOCLOSE) };
        if bio.is_null() {
            return Err(BindError::OutOfMemory);
        }
        self.release_transport();
        self.install_bio(bio);
        Ok(())
    }

    fn socket_fd(&self) -> Option<i32> {
        self.descriptor_bio().map(|(_, fd)| fd)
    }
}

// ---- our BIO: OpenSSL calls these with the BIO whose data is a TransportSlot ----

/// The BIO method of our transport BIO, made once (never freed, as OpenSSL's own).
fn transport_bio_method() -> Option<*const ffi::BIO_METHOD> {
    static METHOD: OnceLock<usize> = OnceLock::new();
    let address = *METHOD.get_or_init(|| {
        // SAFETY: allocates a new BIO type index and method table, then fills in
        // callbacks that have exactly the signatures OpenSSL expects.
        unsafe {
            let index = sys::BIO_get_new_index();
            if index < 0 {
                return 0;
            }
            let method = ffi::BIO_meth_new(
                index | sys::BIO_TYPE_SOURCE_SINK,
                c"evrs transport".as_ptr(),
            );
            if method.is_null() {
                return 0;
            }
            ffi::BIO_meth_set_write__fixed_rust(method, Some(bio_write));
            ffi::BIO_meth_set_read__fixed_rust(method, Some(bio_read));
            ffi::BIO_meth_set_ctrl__fixed_rust(method, Some(bio_ctrl));
            ffi::BIO_meth_set_destroy__fixed_rust(method, Some(bio_destroy));
            method as usize
        }
    });
    (address != 0).then_some(address as *const ffi::BIO_METHOD)
}

/// The slot of a BIO of ours, or None once the session unhooked it.
///
/// # Safety
/// `bio` is a live BIO of our method.
unsafe fn slot_of<'a>(bio: *mut ffi::BIO) -> Option<&'a mut TransportSlot> {
    // SAFETY: per the contract, bio is live; its data is null or a slot that the
    // session keeps alive while hooked, and OpenSSL calls one callback at a time
    // from inside a session call, so no other reference to the slot exists.
    unsafe { ffi::BIO_get_data(bio).cast::<TransportSlot>().as_mut() }
}

fn set_errno(errno: i32) {
    evrs_backends::errno::set(errno);
}

unsafe extern "C" fn bio_read(bio: *mut ffi::BIO, out: *mut c_char, len: c_int) -> c_int {
    // SAFETY: OpenSSL passes a live BIO of our method.
    unsafe { ffi::BIO_clear_retry_flags(bio) };
    if out.is_null() || len <= 0 {
        return 0;
    }
    // SAFETY: OpenSSL passes a live BIO of our method.
    let Some(slot) = (unsafe { slot_of(bio) }) else {
        return -1;
    };
    // SAFETY: OpenSSL gives `len` writable bytes at `out`.
    let buf = unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), len as usize) };
    let result = catch_unwind(AssertUnwindSafe(|| slot.transport.recv(buf)));
    match result {
        Ok(TransportIo::Ready(n)) => n.min(len as usize) as c_int,
        Ok(TransportIo::WouldBlock) => {
            // SAFETY: `bio` is the live BIO OpenSSL called us with; this sets its flags.
            unsafe { ffi::BIO_set_retry_read(bio) };
            -1
        }
        Ok(TransportIo::Eof) => 0,
        Ok(TransportIo::Failed(errno)) => {
            slot.last_errno = errno;
            set_errno(errno);
            -1
        }
        // A panicking transport is a broken transport: an I/O error, not an abort.
        Err(_) => {
            set_errno(libc::EIO);
            -1
        }
    }
}

unsafe extern "C" fn bio_write(bio: *mut ffi::BIO, data: *const c_char, len: c_int) -> c_int {
    // SAFETY: OpenSSL passes a live BIO of our method.
    unsafe { ffi::BIO_clear_retry_flags(bio) };
    if data.is_null() || len <= 0 {
        return 0;
    }
    // SAFETY: OpenSSL passes a live BIO of our method.
    let Some(slot) = (unsafe { slot_of(bio) }) else {
        return -1;
    };
    // SAFETY: OpenSSL gives `len` readable bytes at `data`.
    let buf = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) };
    let result = catch_unwind(AssertUnwindSafe(|| slot.transport.send(buf)));
    match result {
        Ok(TransportIo::Ready(n)) if n > 0 => n.min(len as usize) as c_int,
        // Nothing taken: no room (a 0 return without retry would be an error).
        Ok(TransportIo::Ready(_) | TransportIo::WouldBlock) => {
            // SAFETY: `bio` is the live BIO OpenSSL called us with; this sets its flags.
            unsafe { ffi::BIO_set_retry_write(bio) };
            -1
        }
        Ok(TransportIo::Eof) => {
            set_errno(libc::EPIPE);
            -1
        }
        Ok(TransportIo::Failed(errno)) => {
            slot.last_errno = errno;
            set_errno(errno);
            -1
        }
        Err(_) => {
            set_errno(libc::EIO);
            -1
        }
    }
}

unsafe extern "C" fn bio_ctrl(
    bio: *mut ffi::BIO,
    cmd: c_int,
    num: c_long,
    _: *mut c_void,
) -> c_long {
    match cmd {
        // SAFETY: OpenSSL passes a live BIO.
        sys::BIO_CTRL_GET_CLOSE => c_long::from(unsafe { sys::BIO_get_shutdown(bio) }),
        sys::BIO_CTRL_SET_CLOSE => {
            // SAFETY: OpenSSL passes a live BIO.
            unsafe { sys::BIO_set_shutdown(bio, num as c_int) };
            1
        }
        sys::BIO_CTRL_FLUSH | sys::BIO_CTRL_DUP => 1,
        sys::BIO_CTRL_PENDING | sys::BIO_CTRL_WPENDING => 0,
        // Not a descriptor: say so instead of 0 (libevent's BIO answers 0, a valid fd).
        sys::BIO_C_GET_FD => -1,
        _ => 0,
    }
}

unsafe extern "C" fn bio_destroy(bio: *mut ffi::BIO) -> c_int {
    if !bio.is_null() {
        // SAFETY: OpenSSL passes the BIO being freed; the slot belongs to the session.
        unsafe { ffi::BIO_set_data(bio, ptr::null_mut()) };
    }
    1
}

#[cfg(test)]
mod tests;
