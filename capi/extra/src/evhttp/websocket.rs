//! WebSocket sessions (event2/ws.h): an HTTP request upgraded to RFC 6455 framing on
//! the request's bufferevent.
//!
//! A session lives in memory of its own, reached only by raw pointer: the program's
//! message and close callbacks may free it (`evws_connection_free`), close it, or free
//! the server it belongs to, so no `&`/`&mut` to it is alive across program code.
//! `busy` counts the frames of this module that will look at the session again after
//! such a call; freeing while one is on the stack detaches the session at once (close
//! callback, server, bufferevent) and leaves only the memory for the last of them.
//!
//! Behaviour follows libevent 2.2.1's ws.c, except where that misbehaves:
//! - Frames over 65535 bytes are read and written with their real 64-bit length
//!   (libevent misreads the length on input and writes 0 on output).
//! - Fragmented messages end with a continuation frame as RFC 6455 says (libevent
//!   drops the connection there); libevent's own style, a run of text or binary frames
//!   without FIN, is still reassembled. A message is limited to [`MAX_MESSAGE_LEN`]
//!   bytes: a larger one closes the session with 1009 (WS_CR_DATA_TOO_BIG) instead of
//!   buffering without bound.
//! - Pings are answered with a pong (libevent ignores them). A close frame is
//!   answered with the peer's status code; protocol errors close with 1002
//!   (WS_CR_PROTO_ERR), where libevent sends code 0, which RFC 6455 forbids on the
//!   wire; `evws_close(WS_CR_NONE)` sends a close frame without a code for the same
//!   reason.
//! - An unmasked client frame closes the session with 1002 (WS_CR_PROTO_ERR), as RFC
//!   6455 (5.1) requires of a server; libevent takes such frames as if masked.
//! - A session freed inside its own callback is not used afterwards; frames already
//!   received when the session starts are delivered; a connection error or EOF frees
//!   the session (libevent leaves it until `evhttp_free` when an error or an EOF with
//!   output pending arrives).
//! - `Connection` and `Upgrade` may be token lists (`keep-alive, Upgrade`, as
//!   browsers send), where libevent wants the single token.

use std::ffi::{c_int, c_short, c_void, CStr};
use std::ptr::{self, NonNull};

use evrs_http_proto::ws::{self as frame, FrameError, FrameHeader, WS_CR_NONE, WS_CR_PROTO_ERR};
use evrs_sibling::alloc::try_box;
use evrs_sibling::handler::{self, BuffereventHandler};
use evrs_sibling::{log, sys};

use super::connection;
use super::keyvalq::evkeyvalq;
use super::request::{self, evhttp_request, field};
use super::server::{self, Http};
use crate::http::headers::{evhttp_add_header, evhttp_find_header};
use crate::http::request::{
    evhttp_request_get_input_headers, evhttp_request_get_output_headers, evhttp_send_reply,
};

/// `ws_on_msg_cb`: a complete message, its type, bytes and length.
pub type ws_on_msg_cb =
    unsafe extern "C" fn(*mut evws_connection, c_int, *const u8, usize, *mut c_void);
/// `ws_on_close_cb`: the session is going away.
pub type ws_on_close_cb = unsafe extern "C" fn(*mut evws_connection, *mut c_void);

/// The largest message (one frame, or the fragments of one message together) a session
/// takes; a larger one closes it with 1009. libevent has no limit, and cannot receive
/// a frame over 65535 bytes at all.
pub const MAX_MESSAGE_LEN: usize = 16 << 20;

const HTTP_BADREQUEST: c_int = 400;

/// Where a session is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Messages flow both ways.
    Open,
    /// A close frame is queued, or the peer is gone: incoming bytes are dropped and the
    /// session is freed once its output is written (or the connection fails).
    Closing,
    /// Freed: the bufferevent is gone and no callback runs again; only the memory is
    /// left for a frame of ours still on the stack.
    Freed,
}

/// `struct evws_connection`; C sees only its address.
pub struct evws_connection {
    /// NULL once freed (the close callback still sees it).
    bev: *mut sys::bufferevent,
    on_message: Option<ws_on_msg_cb>,
    message_arg: *mut c_void,
    on_close: Option<ws_on_close_cb>,
    close_arg: *mut c_void,
    /// The server counting the session among its connections, until it is freed.
    server: Option<Http>,
    /// The type of the fragmented message being received, and its bytes so far.
    partial_type: Option<u8>,
    partial: Vec<u8>,
    state: State,
    busy: u32,
}

/// The address of a session; every access is a short raw read or write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Session(NonNull<evws_connection>);

impl Session {
    /// # Safety
    /// `raw` is NULL or a session made by [`new_session`] whose memory is still
    /// allocated (not yet released by its last user).
    pub unsafe fn from_ptr(raw: *mut evws_connection) -> Option<Session> {
        NonNull::new(raw).map(Session)
    }

    pub fn as_ptr(self) -> *mut evws_connection {
        self.0.as_ptr()
    }

    /// Runs `f` on the session's fields. `f` must not call program code or any libevent
    /// function that can, so that the borrow ends before anything else may touch them.
    fn with<R>(self, f: impl FnOnce(&mut evws_connection) -> R) -> R {
        // SAFETY: a `Session` is made only from a live allocation (`from_ptr`'s
        // contract, or the handler argument that `free` clears before releasing), and
        // `f` runs no code that could reach the session meanwhile.
        f(unsafe { &mut *self.0.as_ptr() })
    }

    fn state(self) -> State {
        self.with(|s| s.state)
    }

    fn bufferevent(self) -> Option<NonNull<sys::bufferevent>> {
        self.with(|s| NonNull::new(s.bev))
    }

    /// Keeps the memory allocated until the matching [`Session::leave`].
    fn enter(self) {
        self.with(|s| s.busy += 1);
    }

    /// Ends an [`Session::enter`]; the last one out of a freed session releases it.
    /// The session must not be used afterwards.
    fn leave(self) {
        let release = self.with(|s| {
            s.busy -= 1;
            s.busy == 0 && s.state == State::Freed
        });
        if release {
            // SAFETY: the session came from `try_box`, is detached from everything
            // (`free` ran), and no frame of ours holds it any more.
            unsafe { drop(Box::from_raw(self.0.as_ptr())) };
        }
    }
}

// ----- the handshake ---------------------------------------------------------------

/// Whether a header value, a comma-separated token list, holds `token` (ASCII case
/// ignored).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

/// The value of a request header, if present.
///
/// # Safety
/// `headers` is a live header list.
unsafe fn header<'a>(headers: *mut evkeyvalq, name: &CStr) -> Option<&'a [u8]> {
    // SAFETY: the list is live and `name` is NUL-terminated; the value stays unchanged
    // while the handshake reads it (nothing edits the input headers meanwhile).
    unsafe {
        let value = evhttp_find_header(headers, name.as_ptr());
        (!value.is_null()).then(|| CStr::from_ptr(value).to_bytes())
    }
}

/// Adds a response header; false when out of memory.
///
/// # Safety
/// `headers` is a live header list.
unsafe fn add_header(headers: *mut evkeyvalq, name: &CStr, value: &[u8]) -> bool {
    let Ok(value) = std::ffi::CString::new(value) else {
        return false;
    };
    // SAFETY: the list is live; both strings are NUL-terminated and outlive the call.
    unsafe { evhttp_add_header(headers, name.as_ptr(), value.as_ptr()) == 0 }
}

/// Checks the upgrade request and adds the handshake's response headers; false if the
/// request is not a WebSocket upgrade (or the headers could not be added).
///
/// # Safety
/// `req` is a live server request.
unsafe fn answer_handshake(req: NonNull<evhttp_request>) -> bool {
    // SAFETY: the request is live; its header lists live as long as it does.
    unsafe {
        let input = evhttp_request_get_input_headers(req.as_ptr());
        let output = evhttp_request_get_output_headers(req.as_ptr());
        if input.is_null() || output.is_null() {
            return false;
        }
        let upgrade = header(input, c"Upgrade");
        let connection = header(input, c"Connection");
        if !upgrade.is_some_and(|v| has_token(v, b"websocket"))
            || !connection.is_some_and(|v| has_token(v, b"upgrade"))
        {
            return false;
        }
        let Some(key) = header(input, c"Sec-WebSocket-Key") else {
            return false;
        };
        let accept = frame::accept_key(key);
        // Copied out before the output list changes: the two lists are distinct, but
        // the copy keeps the borrow from spanning the additions.
        let protocol = header(input, c"Sec-WebSocket-Protocol").map(<[u8]>::to_vec);
        add_header(output, c"Upgrade", b"websocket")
            && add_header(output, c"Connection", b"Upgrade")
            && add_header(output, c"Sec-WebSocket-Accept", &accept)
            && protocol.is_none_or(|p| add_header(output, c"Sec-WebSocket-Protocol", &p))
    }
}

/// The server whose connection received `req`; None for a request of the client side
/// or one whose connection is gone.
fn server_of(req: NonNull<evhttp_request>) -> Option<Http> {
    if field!(req, kind) != request::KIND_REQUEST {
        return None;
    }
    let conn = NonNull::new(field!(req, evcon))?;
    NonNull::new(connection::cx!(conn).server)
}

/// Answers `req` with 400 Bad Request (which frees it).
///
/// # Safety
/// `req` is a live server request, not answered yet.
unsafe fn refuse(req: NonNull<evhttp_request>) {
    // SAFETY: as the caller promises; the reply takes the request over.
    unsafe { evhttp_send_reply(req.as_ptr(), HTTP_BADREQUEST, ptr::null(), ptr::null_mut()) };
}

/// `evws_new_session`: answers the upgrade and takes the connection over; on a bad
/// request answers 400 and returns None.
///
/// # Safety
/// `req` is a live request, not answered yet.
pub unsafe fn new_session(
    req: NonNull<evhttp_request>,
    on_message: Option<ws_on_msg_cb>,
    message_arg: *mut c_void,
    options: c_int,
) -> Option<Session> {
    let Some(server) = server_of(req) else {
        // libevent dereferences the missing server connection.
        log::warn(format_args!(
            "evws_new_session: the request did not come to a server, or its connection is gone"
        ));
        if field!(req, kind) == request::KIND_REQUEST {
            // SAFETY: a live, unanswered server request.
            unsafe { refuse(req) };
        }
        return None;
    };
    // SAFETY: the caller gives a live, unanswered server request.
    let refused = !unsafe { answer_handshake(req) };
    if refused {
        // SAFETY: as above.
        unsafe { refuse(req) };
        return None;
    }
    let session = try_box(evws_connection {
        bev: ptr::null_mut(),
        on_message,
        message_arg,
        on_close: None,
        close_arg: ptr::null_mut(),
        server: None,
        partial_type: None,
        partial: Vec::new(),
        state: State::Open,
        busy: 0,
    });
    let Some(session) = session else {
        log::warn(format_args!("evws_new_session: out of memory"));
        // SAFETY: as above.
        unsafe { refuse(req) };
        return None;
    };
    let session = Session(session);
    // SAFETY: as above; from here the request is gone (answered and freed).
    let Some(bev) = (unsafe { connection::start_websocket(req) }) else {
        // SAFETY: just made and never shared.
        unsafe { drop(Box::from_raw(session.as_ptr())) };
        return None;
    };
    // A thread-safe session gets a lock of its own after the fact, as in libevent;
    // without lock functions that fails, and so does the session.
    if options & sys::BEV_OPT_THREADSAFE != 0
        // SAFETY: `bev` is live, just detached, and no other thread has seen it.
        && unsafe { sys::evrs_sibling_bufferevent_enable_locking(bev.as_ptr()) } < 0
    {
        log::warn(format_args!(
            "evws_new_session: cannot make the session thread-safe (no lock functions?)"
        ));
        // SAFETY: the detached bufferevent and the session are ours alone.
        unsafe {
            sys::bufferevent_free(bev.as_ptr());
            drop(Box::from_raw(session.as_ptr()));
        }
        return None;
    }
    // Counted among the server's connections, as libevent does, and ended by
    // `evhttp_free` if still open then.
    let server = server::attach_session(server, session).then_some(server);
    session.with(|s| {
        s.bev = bev.as_ptr();
        s.server = server;
    });
    // SAFETY: `bev` is live and now ours; the session stays allocated until `free`
    // clears these callbacks.
    unsafe {
        handler::set_callbacks::<SessionEvents>(bev, session.0);
        // evhttp's idle timeouts would disable reading on a quiet session for good
        // (libevent's session then never reads again); a program that wants timeouts
        // sets them on the bufferevent, and one that fires closes the session.
        sys::bufferevent_set_timeouts(bev.as_ptr(), ptr::null(), ptr::null());
        sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ | sys::EV_WRITE);
        // Frames that came with the request are read on the next loop turn, once the
        // program has the session (libevent waits for more bytes to arrive).
        if sys::evbuffer_get_length(sys::bufferevent_get_input(bev.as_ptr())) > 0 {
            sys::bufferevent_trigger(
                bev.as_ptr(),
                sys::EV_READ,
                sys::BEV_TRIG_IGNORE_WATERMARKS | sys::BEV_TRIG_DEFER_CALLBACKS,
            );
        }
    }
    Some(session)
}

// ----- sending ---------------------------------------------------------------------

/// Appends one frame to the bufferevent's output: its header and the payload, in one
/// block reserved beforehand so that a frame is written whole or not at all. False when
/// the output refused it.
///
/// # Safety
/// `bev` is live and locked by the caller.
unsafe fn queue_frame(bev: NonNull<sys::bufferevent>, opcode: u8, payload: &[u8]) -> bool {
    let (header, header_len) = frame::encode_frame_header(opcode, true, payload.len());
    let Some(total) = payload.len().checked_add(header_len) else {
        return false;
    };
    // SAFETY: `bev` is live, so is its output; the slices are readable for their
    // lengths. Nothing here calls the session's callbacks.
    unsafe {
        let output = sys::bufferevent_get_output(bev.as_ptr());
        sys::evbuffer_expand(output, total) == 0
            && sys::evbuffer_add(output, header.as_ptr().cast(), header_len) == 0
            && sys::evbuffer_add(output, payload.as_ptr().cast(), payload.len()) == 0
    }
}

/// Runs `f` with the bufferevent locked (a no-op lock without BEV_OPT_THREADSAFE); the
/// lock also holds a reference, so the bufferevent outlives `f` whatever `f` frees.
fn locked<R>(bev: NonNull<sys::bufferevent>, f: impl FnOnce() -> R) -> R {
    /// Unlocks on the way out, a panic's included.
    struct Held(NonNull<sys::bufferevent>);
    impl Drop for Held {
        fn drop(&mut self) {
            // SAFETY: the reference taken with the lock kept the bufferevent live.
            unsafe { sys::bufferevent_unlock(self.0.as_ptr()) };
        }
    }
    // SAFETY: `bev` is live (the caller's session or callback holds it).
    unsafe { sys::bufferevent_lock(bev.as_ptr()) };
    let _held = Held(bev);
    f()
}

/// `evws_send`: one text frame. Ignored once the session is closing (no data may follow
/// a close frame).
pub fn send(session: Session, payload: &[u8]) {
    if session.state() != State::Open {
        return;
    }
    let Some(bev) = session.bufferevent() else {
        return;
    };
    // SAFETY: the lock is held by `locked`; the session is not touched again.
    if !locked(bev, || unsafe {
        queue_frame(bev, frame::OPCODE_TEXT, payload)
    }) {
        log::warn(format_args!(
            "evws_send: a {}-byte message could not be queued",
            payload.len()
        ));
    }
}

// ----- closing and freeing ---------------------------------------------------------

/// The payload of a close frame: the code, or nothing for WS_CR_NONE.
fn close_payload(code: u16) -> ([u8; 2], usize) {
    (code.to_be_bytes(), if code == WS_CR_NONE { 0 } else { 2 })
}

/// `evws_close`: queues a close frame and frees the session once it is written.
pub fn close(session: Session, code: u16) {
    let bev = session.with(|s| {
        if s.state != State::Open {
            return None;
        }
        s.state = State::Closing;
        s.partial_type = None;
        s.partial = Vec::new();
        NonNull::new(s.bev)
    });
    let Some(bev) = bev else {
        return;
    };
    let (payload, len) = close_payload(code);
    let pending = locked(bev, || {
        // SAFETY: the lock is held; `bev` is live.
        unsafe {
            if !queue_frame(bev, frame::OPCODE_CLOSE, &payload[..len]) {
                log::warn(format_args!(
                    "evws_close: the close frame could not be queued"
                ));
            }
            sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ | sys::EV_WRITE);
            sys::evbuffer_get_length(sys::bufferevent_get_output(bev.as_ptr()))
        }
    });
    if pending == 0 {
        // Nothing to write means no write callback will come to finish the close.
        free(session);
    }
}

/// `evws_connection_free`: runs the close callback and frees the session and its
/// bufferevent at once, without a close frame. The memory itself waits for the frames
/// of ours still on the stack.
pub fn free(session: Session) {
    let detached = session.with(|s| {
        if s.state == State::Freed {
            return None;
        }
        s.state = State::Freed;
        s.partial_type = None;
        s.partial = Vec::new();
        Some((
            s.server.take(),
            s.on_close,
            s.close_arg,
            NonNull::new(s.bev),
        ))
    });
    let Some((server, on_close, close_arg, bev)) = detached else {
        return;
    };
    session.enter();
    // Leaves the server first, so that a close callback freeing the server does not
    // find the session again.
    if let Some(http) = server {
        // The server outlives the sessions attached to it (`evhttp_free` ends them).
        server::detach_session(http, session);
    }
    if let Some(bev) = bev {
        // SAFETY: the session owns `bev`; from here no callback of it reaches the
        // session, though the close callback may still use the bufferevent.
        unsafe { handler::clear_callbacks(bev) };
    }
    if let Some(on_close) = on_close {
        // SAFETY: program code, given the live session and its own argument; no
        // borrow of the session is alive.
        unsafe { on_close(session.as_ptr(), close_arg) };
    }
    if let Some(bev) = bev {
        session.with(|s| s.bev = ptr::null_mut());
        // SAFETY: the session owned `bev` and lets it go. A read in progress holds a
        // reference (its lock), which keeps the bufferevent until that read ends.
        unsafe { sys::bufferevent_free(bev.as_ptr()) };
    }
    session.leave();
}

/// `evws_connection_set_closecb`.
pub fn set_close_callback(session: Session, on_close: Option<ws_on_close_cb>, arg: *mut c_void) {
    session.with(|s| {
        s.on_close = on_close;
        s.close_arg = arg;
    });
}

/// `evws_connection_get_bufferevent`; NULL once the session's bufferevent is freed
/// (the close callback still gets it).
pub fn bufferevent(session: Session) -> *mut sys::bufferevent {
    session.with(|s| s.bev)
}

// ----- receiving -------------------------------------------------------------------

/// A received payload where it lies: in the bufferevent's input (unmasked in place) or
/// in a reassembled message. Kept as raw parts so that no reference into it is alive
/// while the program's callback runs.
#[derive(Clone, Copy)]
struct Payload {
    start: NonNull<u8>,
    len: usize,
}

impl Payload {
    fn of(bytes: &mut [u8]) -> Payload {
        Payload {
            start: NonNull::new(bytes.as_mut_ptr()).unwrap_or(NonNull::dangling()),
            len: bytes.len(),
        }
    }

    /// # Safety
    /// The bytes are still where they were when `self` was made, unchanged by others,
    /// and the slice is dropped before program code runs.
    unsafe fn bytes<'a>(self) -> &'a [u8] {
        // SAFETY: as the caller promises; `start` is dangling only when `len` is 0.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

/// The bufferevent callbacks of a session.
struct SessionEvents;

impl BuffereventHandler for SessionEvents {
    type Target = evws_connection;

    fn read(target: NonNull<evws_connection>, bev: NonNull<sys::bufferevent>) {
        let session = Session(target);
        session.enter();
        locked(bev, || read_frames(session, bev));
        session.leave();
    }

    fn write(target: NonNull<evws_connection>, bev: NonNull<sys::bufferevent>) {
        if Session(target).state() == State::Closing && output_len(bev) == 0 {
            free(Session(target));
        }
    }

    fn event(target: NonNull<evws_connection>, bev: NonNull<sys::bufferevent>, what: c_short) {
        let session = Session(target);
        if session.state() != State::Open || what & sys::BEV_EVENT_ERROR != 0 {
            // Closing, or the connection failed: nothing more can be written.
            free(session);
        } else if what & sys::BEV_EVENT_EOF != 0 {
            // The peer is gone; what is queued still goes out before the session ends.
            if output_len(bev) == 0 {
                free(session);
            } else {
                session.with(|s| s.state = State::Closing);
            }
        } else if what & sys::BEV_EVENT_TIMEOUT != 0 {
            // A timeout the program set: an idle reader is told goodbye, a peer that
            // does not read is dropped.
            if what & sys::BEV_EVENT_WRITING != 0 {
                free(session);
            } else {
                close(session, WS_CR_NONE);
            }
        }
    }
}

fn output_len(bev: NonNull<sys::bufferevent>) -> usize {
    // SAFETY: called from the bufferevent's own callbacks, so it is live.
    unsafe { sys::evbuffer_get_length(sys::bufferevent_get_output(bev.as_ptr())) }
}

/// Reads every complete frame in the input. Runs with the bufferevent locked, which
/// also keeps it (and its input) alive whatever the program's callbacks free.
fn read_frames(session: Session, bev: NonNull<sys::bufferevent>) {
    // SAFETY: the bufferevent is live and held for the whole read.
    let input = unsafe { sys::bufferevent_get_input(bev.as_ptr()) };
    loop {
        match session.state() {
            State::Open => {}
            State::Closing => {
                // What the peer still sends is dropped rather than kept; reading it
                // also spares the peer a reset that could lose our close frame.
                // SAFETY: as above.
                unsafe { sys::evbuffer_drain(input, sys::evbuffer_get_length(input)) };
                return;
            }
            State::Freed => return,
        }
        // SAFETY: as above.
        let available = unsafe { sys::evbuffer_get_length(input) };
        let head_len = available.min(frame::MAX_HEADER_LEN);
        if head_len < 2 {
            return;
        }
        // SAFETY: as above; a pullup of no more than the buffer holds.
        let head = unsafe { sys::evbuffer_pullup(input, head_len as isize) };
        if head.is_null() {
            return;
        }
        // SAFETY: pullup made `head_len` bytes contiguous; the slice is dropped before
        // the buffer changes.
        let head = unsafe { std::slice::from_raw_parts(head, head_len) };
        let header = match frame::decode_header(head, MAX_MESSAGE_LEN) {
            Ok(Some(header)) => header,
            Ok(None) => return,
            Err(error) => {
                fail(session, error);
                continue;
            }
        };
        if header.mask.is_none() {
            log::debug(format_args!("websocket: unmasked client frame; closing"));
            close(session, WS_CR_PROTO_ERR);
            continue;
        }
        let (frame_len, payload_len) = (header.frame_len(), header.payload_len);
        if available < frame_len {
            return;
        }
        // The whole frame in one piece: free when it arrived in one chain, one copy
        // otherwise.
        // SAFETY: as above; the buffer holds `frame_len` bytes.
        let Some(whole) = NonNull::new(unsafe { sys::evbuffer_pullup(input, frame_len as isize) })
        else {
            fail(session, FrameError::OutOfMemory);
            continue;
        };
        // SAFETY: `frame_len` contiguous bytes at `whole`, which only this read uses
        // until it drains them below; the slice ends before any program code runs.
        let payload = Payload::of(unsafe {
            std::slice::from_raw_parts_mut(whole.as_ptr().add(header.header_len), payload_len)
        });
        if let Some(mask) = header.mask {
            // SAFETY: as above.
            frame::unmask(
                unsafe { std::slice::from_raw_parts_mut(payload.start.as_ptr(), payload.len) },
                mask,
                0,
            );
        }
        on_frame(session, bev, &header, payload);
        if session.state() == State::Freed {
            return;
        }
        // SAFETY: as above; the frame is still at the front (the input is this
        // session's alone).
        unsafe { sys::evbuffer_drain(input, frame_len) };
    }
}

/// Closes the session for the peer's fault, with RFC 6455's code for it.
fn fail(session: Session, error: FrameError) {
    log::debug(format_args!("websocket: {error}; closing"));
    close(session, error.close_code());
}

/// Handles one complete frame.
fn on_frame(
    session: Session,
    bev: NonNull<sys::bufferevent>,
    header: &FrameHeader,
    payload: Payload,
) {
    let (opcode, fin) = (header.opcode, header.fin);
    match opcode {
        frame::OPCODE_CONTINUATION | frame::OPCODE_TEXT | frame::OPCODE_BINARY => {
            on_data_frame(session, opcode, fin, payload)
        }
        // Control frames come whole and short: `decode_header` refuses others.
        frame::OPCODE_CLOSE => {
            // Answered with the peer's code (none for none), then the session ends.
            // SAFETY: the frame is in the input, untouched until drained.
            match frame::parse_close_payload(unsafe { payload.bytes() }) {
                Ok(code) => close(session, code.map_or(WS_CR_NONE, |(code, _reason)| code)),
                Err(error) => fail(session, error),
            }
        }
        frame::OPCODE_PING => {
            // SAFETY: the read holds the bufferevent's lock; the payload is in the
            // input, untouched until drained.
            if !unsafe { queue_frame(bev, frame::OPCODE_PONG, payload.bytes()) } {
                log::warn(format_args!("websocket: a pong could not be queued"));
            }
        }
        frame::OPCODE_PONG => {}
        reserved => fail(session, FrameError::ReservedOpcode(reserved)),
    }
}

/// A text, binary or continuation frame.
fn on_data_frame(session: Session, opcode: u8, fin: bool, payload: Payload) {
    let in_progress = session.with(|s| s.partial_type);
    let message_type = match (in_progress, opcode) {
        // A continuation with nothing to continue.
        (None, frame::OPCODE_CONTINUATION) => {
            log::debug(format_args!(
                "websocket: a continuation frame starts no message"
            ));
            return close(session, WS_CR_PROTO_ERR);
        }
        // The common case: the message is read where it lies.
        (None, _) if fin => return deliver(session, opcode, payload),
        (None, _) => opcode,
        // A continuation frame keeps the first frame's type (RFC 6455).
        (Some(first), frame::OPCODE_CONTINUATION) => first,
        // libevent takes text and binary frames after a first fragment as further
        // fragments (its tests send messages that way), and gives the message the
        // last frame's type.
        (Some(_), data) => data,
    };
    let appended = session.with(|s| {
        if s.partial.len() + payload.len > MAX_MESSAGE_LEN
            || s.partial.try_reserve(payload.len).is_err()
        {
            return false;
        }
        // SAFETY: the frame is in the input, untouched until drained.
        s.partial.extend_from_slice(unsafe { payload.bytes() });
        s.partial_type = Some(message_type);
        true
    });
    if !appended {
        return fail(session, FrameError::TooBig(payload.len as u64));
    }
    if fin {
        let mut message = session.with(|s| {
            s.partial_type = None;
            std::mem::take(&mut s.partial)
        });
        deliver(session, message_type, Payload::of(&mut message));
    }
}

/// Gives a complete message to the program.
fn deliver(session: Session, message_type: u8, message: Payload) {
    let (on_message, arg) = session.with(|s| (s.on_message, s.message_arg));
    if let Some(on_message) = on_message {
        // SAFETY: program code, given the live session, the message (valid for the
        // call: in the held input, or in a vector owned by the caller) and its own
        // argument. No borrow of the session or of the message is alive, and the read
        // in progress keeps the session's memory (`enter`) and the bufferevent (the
        // lock's reference) whatever the callback frees.
        unsafe {
            on_message(
                session.as_ptr(),
                c_int::from(message_type),
                message.start.as_ptr(),
                message.len,
                arg,
            )
        };
    }
}
