//! Writing messages: the head of a request or a reply formatted in place, bodies whole
//! or chunked, replies written at once when nothing is queued before them, and what
//! happens once a message is out.

use super::*;

/// Sends the output, then `done` (`evhttp_write_buffer`). Read stays enabled to notice
/// a closing peer. When nothing is in flight the output is written at once; the "written"
/// step still runs later from the loop, as after a write event, so that the program's
/// callbacks run when they do in libevent. Only what the socket does not take at once
/// waits for the write event.
pub(super) fn write_buffer(conn: Conn, done: WriteDone) {
    cx!(conn).write_done = done;
    enable(conn, sys::EV_READ);
    let bev = bev_of(conn).as_ptr();
    // SAFETY: the bufferevent is live; the query runs no callback.
    if unsafe { sys::bufferevent_get_enabled(bev) } & sys::EV_WRITE == 0 {
        // SAFETY: as above; a direct write runs no callback either.
        let outcome = unsafe { sys::evrs_sibling_bufferevent_write_now(bev) };
        if after_direct_write(conn, outcome) {
            return;
        }
    }
    enable(conn, sys::EV_WRITE);
}

/// Acts on what a direct write did (`evrs_sibling_bufferevent_write_now*`); false when
/// the rest is for the write event.
pub(super) fn after_direct_write(conn: Conn, outcome: c_int) -> bool {
    match outcome {
        1 => {
            cx!(conn).direct_write = true;
            schedule_written(conn);
            true
        }
        // The event callback reports the failure from the loop.
        2 => {
            cx!(conn).direct_write = true;
            true
        }
        0 => {
            cx!(conn).direct_write = true;
            false
        }
        _ => false,
    }
}

/// Sends the head of `req` and its body, then `done` (`evhttp_make_header` and
/// `evhttp_write_buffer`). A small message with nothing queued before it is written
/// from the stack, without passing through the output buffer.
pub(super) fn send_message(conn: Conn, req: Req, done: WriteDone) {
    let plan = plan_head(conn, req);
    let mut measure = HeadLength(0);
    plan.write(&mut measure);
    let head_len = measure.0;
    let body = request::output_buffer(req);
    let body_len = body.len();
    let send_body = have_expect(req, false) != Expect::Continue && body_len > 0;
    let total = head_len + if send_body { body_len } else { 0 };
    let bev = bev_of(conn).as_ptr();
    // SAFETY: the bufferevent is live; the query runs no callback.
    if total <= STACK_MESSAGE && unsafe { sys::bufferevent_get_enabled(bev) } & sys::EV_WRITE == 0 {
        let mut message = [0u8; STACK_MESSAGE];
        let len = fill_message(&plan, head_len, send_body.then_some(body), &mut message);
        cx!(conn).write_done = done;
        enable(conn, sys::EV_READ);
        // SAFETY: the bufferevent is live; `message` is readable for `len` bytes; no
        // callback runs.
        let outcome = unsafe {
            sys::evrs_sibling_bufferevent_write_now_with(bev, message.as_ptr().cast(), len)
        };
        if outcome != -1 {
            if send_body {
                body.drain(body_len);
            }
            if !after_direct_write(conn, outcome) {
                enable(conn, sys::EV_WRITE);
            }
            return;
        }
    }
    queue_message(conn, &plan, head_len, send_body.then_some(body));
    write_buffer(conn, done);
}

/// Messages up to this size (head and body) may be written from the stack.
pub(super) const STACK_MESSAGE: usize = 2048;

/// Writes the head and then the body (if any) into `space`; returns the length.
pub(super) fn fill_message(
    plan: &HeadPlan,
    head_len: usize,
    body: Option<Evbuffer>,
    space: &mut [u8],
) -> usize {
    let mut writer = HeadWriter { space, at: 0 };
    plan.write(&mut writer);
    let at = writer.at.min(head_len);
    match body {
        Some(body) => at + body.copy_out(&mut space[at..]),
        None => at,
    }
}

pub(super) fn schedule_written(conn: Conn) {
    if cx!(conn).write_done_ev.is_null() {
        let Some(base) = NonNull::new(cx!(conn).base) else {
            enable(conn, sys::EV_WRITE);
            return;
        };
        // SAFETY: the event is freed with the connection.
        let ev = unsafe { handler::new_event::<WrittenAtOnce>(base, conn) };
        let Some(ev) = ev else {
            // Out of memory: the write event (on an empty output) reports instead.
            enable(conn, sys::EV_WRITE);
            return;
        };
        cx!(conn).write_done_ev = ev.as_ptr();
    }
    // SAFETY: a live event of ours; activation runs its callback later.
    unsafe { sys::event_active(cx!(conn).write_done_ev, sys::EV_TIMEOUT as c_int, 1) };
}

pub(super) fn on_write(conn: Conn) {
    if cx!(conn).direct_write && output_of(conn).is_empty() {
        // Back to direct writes; the write event is already off (the output is empty),
        // so this costs no system call.
        disable(conn, sys::EV_WRITE);
    }
    match cx!(conn).write_done {
        WriteDone::Nothing => {}
        WriteDone::SendDone => send_done(conn),
        WriteDone::RequestWritten => request_written(conn),
        WriteDone::ContinueDone => disable(conn, sys::EV_WRITE),
        WriteDone::Program(cb, arg) => {
            // SAFETY: the program's "chunk written" callback with its argument.
            unsafe { cb(conn.as_ptr(), arg) };
        }
    }
}

/// Queues the head and the body on the output buffer. The head is written in place
/// at the end of the output buffer, into space reserved for the length measured, so
/// that no scratch memory is needed.
pub(super) fn queue_message(conn: Conn, plan: &HeadPlan, head_len: usize, body: Option<Evbuffer>) {
    let output = output_of(conn);
    // A small body goes out in one piece with the head, and the request's buffer keeps
    // its memory; a large one is moved over without copying.
    let copied = body.filter(|b| b.len() <= SMALL_BODY);
    let total = head_len + copied.map_or(0, Evbuffer::len);
    if !output.append_with(total, |space| fill_message(plan, head_len, copied, space)) {
        evrs_sibling::log::warn(format_args!(
            "evhttp_make_header: no room for the message head"
        ));
        return;
    }
    match (body, copied) {
        (_, Some(body)) => body.clear(),
        (Some(body), None) => {
            output.append_buffer(body);
        }
        (None, None) => {}
    }
}

pub(super) fn plan_head(conn: Conn, req: Req) -> HeadPlan {
    if field!(req, kind) == KIND_REQUEST {
        plan_request_head(conn, req)
    } else {
        plan_response_head(conn, req)
    }
}

/// Bodies up to this size are copied behind the head (`queue_message`).
pub(super) const SMALL_BODY: usize = 4096;

/// Where a head is written: measured, then written into reserved space.
trait HeadSink {
    fn put(&mut self, bytes: &[u8]);

    fn put_decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }

    fn put_header(&mut self, key: &[u8], value: &[u8]) {
        self.put(key);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    fn put_headers(&mut self, headers: *const evkeyvalq) {
        // SAFETY: a live header list, walked without changing it.
        unsafe {
            let mut entry = keyvalq::first(headers);
            while !entry.is_null() {
                self.put_header(
                    keyvalq::bytes_of((*entry).key),
                    keyvalq::bytes_of((*entry).value),
                );
                entry = keyvalq::next(entry);
            }
        }
    }

    fn put_version(&mut self, major: c_char, minor: c_char) {
        self.put(b"HTTP/");
        self.put_decimal(major as u64);
        self.put(b".");
        self.put_decimal(minor as u64);
    }
}

pub(super) struct HeadLength(usize);

impl HeadSink for HeadLength {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Writes into `space`, counting what does not fit (nothing does not, as the space
/// was measured with the same plan).
pub(super) struct HeadWriter<'a> {
    space: &'a mut [u8],
    at: usize,
}

impl HeadSink for HeadWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        if let Some(dst) = self.space.get_mut(self.at..end) {
            dst.copy_from_slice(bytes);
        }
        self.at = end;
    }
}

/// What goes into a head, decided once (with every change to the header lists made)
/// before it is measured and written.
pub(super) enum HeadPlan {
    Request {
        method: Option<std::borrow::Cow<'static, [u8]>>,
        target: *const c_char,
        major: c_char,
        minor: c_char,
        headers: *const evkeyvalq,
    },
    Response {
        major: c_char,
        minor: c_char,
        code: c_int,
        reason: *const c_char,
        headers: *const evkeyvalq,
        date: Option<[u8; 29]>,
        keep_alive: bool,
        content_length: Option<usize>,
        content_type: Option<&'static [u8]>,
        close: bool,
    },
}

impl HeadPlan {
    /// The plan's strings belong to the request, which nothing changes while the head
    /// is written.
    fn write(&self, out: &mut impl HeadSink) {
        match *self {
            HeadPlan::Request {
                ref method,
                target,
                major,
                minor,
                headers,
            } => {
                out.put(method.as_deref().unwrap_or(b"NULL"));
                out.put(b" ");
                // SAFETY: the request's target string (NULL prints as nothing).
                out.put(unsafe { keyvalq::bytes_of(target) });
                out.put(b" ");
                out.put_version(major, minor);
                out.put(b"\r\n");
                out.put_headers(headers);
                out.put(b"\r\n");
            }
            HeadPlan::Response {
                major,
                minor,
                code,
                reason,
                headers,
                ref date,
                keep_alive,
                content_length,
                content_type,
                close,
            } => {
                out.put_version(major, minor);
                out.put(b" ");
                if code < 0 {
                    out.put(b"-");
                }
                out.put_decimal(code.unsigned_abs() as u64);
                out.put(b" ");
                // SAFETY: the request's reason string (NULL prints as nothing).
                out.put(unsafe { keyvalq::bytes_of(reason) });
                out.put(b"\r\n");
                // The headers libevent adds go after the list's, in this order.
                out.put_headers(headers);
                if let Some(date) = date {
                    out.put_header(b"Date", date);
                }
                if keep_alive {
                    out.put_header(b"Connection", b"keep-alive");
                }
                if let Some(len) = content_length {
                    out.put(b"Content-Length: ");
                    out.put_decimal(len as u64);
                    out.put(b"\r\n");
                }
                if let Some(ct) = content_type {
                    out.put_header(b"Content-Type", ct);
                }
                if close {
                    out.put_header(b"Connection", b"close");
                }
                out.put(b"\r\n");
            }
        }
    }
}

pub(super) fn plan_request_head(conn: Conn, req: Req) -> HeadPlan {
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    unsafe { keyvalq::remove_first(headers, b"Proxy-Connection") };
    let kind = field!(req, type_);
    let (method, flags) = method_info(Some(conn), kind);
    let body_len = request::output_buffer(req).len();
    // SAFETY: as above.
    let has_length = unsafe { keyvalq::find(headers, b"Content-Length") }.is_some();
    if flags & METHOD_HAS_BODY != 0
        && (body_len > 0 || kind == method::POST || kind == method::PUT)
        && !has_length
    {
        let mut digits = HeadWriter {
            space: &mut [0u8; 20],
            at: 0,
        };
        digits.put_decimal(body_len as u64);
        let len = digits.at;
        // SAFETY: as above.
        unsafe { request::add_header(headers, b"Content-Length", &digits.space[..len]) };
    }
    HeadPlan::Request {
        method,
        target: field!(req, uri),
        major: field!(req, major),
        minor: field!(req, minor),
        headers,
    }
}

pub(super) fn plan_response_head(conn: Conn, req: Req) -> HeadPlan {
    let input_headers = field!(req, input_headers);
    let headers = field!(req, output_headers);
    let keepalive = is_keepalive(input_headers);
    let needs_body = response_needs_body(req);
    let (major, minor) = (field!(req, major), field!(req, minor));
    // The headers libevent adds are written straight to the head (the list itself
    // gets them too, as in libevent, only where a program could tell: Connection
    // handling).
    let find = |name: &[u8]| {
        // SAFETY: the request's live header list.
        unsafe { keyvalq::find(headers, name) }.is_some()
    };
    let close = is_connection_close(field!(req, flags), input_headers);
    let date = (major == 1 && minor >= 1 && !find(b"Date")).then(crate::evhttp::date::now_rfc1123);
    let keep_alive = major == 1 && minor == 0 && keepalive && !close;
    let content_length = (major == 1
        && (minor >= 1 || keepalive)
        && needs_body
        && !find(b"Transfer-Encoding")
        && !find(b"Content-Length"))
    .then(|| request::output_buffer(req).len());
    let content_type = if needs_body && !find(b"Content-Type") {
        server::default_content_type(cx!(conn).server)
    } else {
        None
    };
    let proxy = request::has_flag(req, request::PROXY_REQUEST);
    if close {
        // SAFETY: the request's live header list.
        unsafe {
            while keyvalq::remove_first(headers, b"Connection") {}
            keyvalq::remove_first(headers, b"Proxy-Connection");
        }
    }
    HeadPlan::Response {
        major,
        minor,
        code: field!(req, response_code),
        reason: field!(req, response_code_line),
        headers,
        date,
        keep_alive,
        content_length,
        content_type,
        close: close && !proxy,
    }
}

/// `evhttp_send`: the reply with its body.
pub(super) fn send(req: Req, body: Option<Evbuffer>) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // The connection went away while the program held the request.
        // SAFETY: the request is detached; the program hands it back by answering.
        unsafe { request::free(req) };
        return;
    };
    if first_request(conn) != Some(req) {
        evrs_sibling::log::warn(format_args!(
            "evhttp_send_reply: the request is not the one being answered on its connection; ignored"
        ));
        return;
    }
    request::set_userdone(req, true);
    if request::has_flag(req, PEER_GONE) {
        // Nobody is there to read the reply: the connection goes, with the request
        // unless the program owns it.
        free(conn);
        return;
    }
    if let Some(body) = body {
        request::output_buffer(req).append_buffer(body);
    }
    send_message(conn, req, WriteDone::SendDone);
}

/// `evhttp_send_reply`.
pub fn send_reply(req: Req, code: c_int, reason: Option<&[u8]>, body: Option<Evbuffer>) {
    request::set_response_code(req, code, reason);
    send(req, body);
}

/// `evhttp_send_page_`: an error page, closing the connection.
pub(super) fn send_page(req: Req, body: Evbuffer) {
    if field!(req, major) == 0 || field!(req, minor) == 0 {
        set_field!(req, major, 1);
        set_field!(req, minor, 1);
    }
    if field!(req, kind) != KIND_RESPONSE {
        request::set_response_code(req, 200, Some(b"OK"));
    }
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    unsafe {
        keyvalq::clear(headers);
        request::add_header(headers, b"Content-Type", b"text/html");
        request::add_header(headers, b"Connection", b"close");
    }
    send(req, Some(body));
}

/// `evhttp_send_error`: libevent's error page, or the server's error callback's.
pub fn send_error(req: Req, code: c_int, reason: Option<&[u8]>) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // SAFETY: a detached request; answering hands it back (as `send` does).
        unsafe { request::free(req) };
        return;
    };
    // SAFETY: a plain allocation.
    let Some(buf) = (unsafe { Evbuffer::from_ptr(sys::evbuffer_new()) }) else {
        free(conn);
        return;
    };
    request::set_response_code(req, code, reason);
    let http = cx!(conn).server;
    let alive = alive_token(conn);
    let custom = server::run_error_cb(http, req, buf, code, reason);
    if !alive.get() {
        // SAFETY: our buffer.
        unsafe { sys::evbuffer_free(buf.as_ptr()) };
        return;
    }
    if !custom {
        let heading = parse::reason_phrase(code);
        let reason = reason.map(String::from_utf8_lossy).unwrap_or_default();
        buf.clear();
        let page = format!(
            "<html><head><title>{code} {heading}</title></head><body><h1>{code} {heading}</h1>{reason}</body></html>"
        );
        buf.append(page.as_bytes());
    }
    send_page(req, buf);
    // SAFETY: our buffer, emptied into the reply.
    unsafe { sys::evbuffer_free(buf.as_ptr()) };
}

/// `evhttp_send_reply_start`.
pub fn send_reply_start(req: Req, code: c_int, reason: Option<&[u8]>) {
    request::set_response_code(req, code, reason);
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        return;
    };
    if request::has_flag(req, PEER_GONE) {
        // The peer left: the request is detached (the program's later chunks are
        // ignored and its `evhttp_send_reply_end` frees it) and the connection goes.
        remove_request(conn, req);
        set_field!(req, evcon, ptr::null_mut());
        free(conn);
        return;
    }
    let headers = field!(req, output_headers);
    // SAFETY: the request's live header list.
    let has_length = unsafe { keyvalq::find(headers, b"Content-Length") }.is_some();
    if !has_length && version_at_least(req, 1, 1) && response_needs_body(req) {
        // SAFETY: as above.
        unsafe { request::add_header(headers, b"Transfer-Encoding", b"chunked") };
        request::set_chunked(req, true);
    } else {
        request::set_chunked(req, false);
    }
    send_message(conn, req, WriteDone::Nothing);
}

/// `evhttp_send_reply_chunk_with_cb`.
pub fn send_reply_chunk(req: Req, data: Evbuffer, cb: Option<ChunkWrittenCb>, arg: *mut c_void) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        return;
    };
    let len = data.len();
    if len == 0 || !response_needs_body(req) {
        return;
    }
    let output = output_of(conn);
    if request::is_chunked(req) {
        let mut line = [0u8; 18];
        let at = hex_line(&mut line, len);
        output.append(&line[at..]);
    }
    output.append_buffer(data);
    if request::is_chunked(req) {
        output.append(b"\r\n");
    }
    write_buffer(
        conn,
        cb.map_or(WriteDone::Nothing, |cb| WriteDone::Program(cb, arg)),
    );
}

/// Writes "<len in hex>\r\n" at the end of `out`; returns where it starts.
pub(super) fn hex_line(out: &mut [u8; 18], mut len: usize) -> usize {
    let mut at = out.len() - 2;
    out[at..].copy_from_slice(b"\r\n");
    loop {
        at -= 1;
        out[at] = b"0123456789abcdef"[len & 15];
        len >>= 4;
        if len == 0 {
            return at;
        }
    }
}

/// `evhttp_send_reply_end`.
pub fn send_reply_end(req: Req) {
    let Some(conn) = NonNull::new(field!(req, evcon)) else {
        // SAFETY: a detached request; ending the reply hands it back.
        unsafe { request::free(req) };
        return;
    };
    request::set_userdone(req, true);
    if request::is_chunked(req) {
        output_of(conn).append(b"0\r\n\r\n");
        write_buffer(conn, WriteDone::SendDone);
        request::set_chunked(req, false);
    } else if output_of(conn).is_empty() {
        send_done(conn);
    } else {
        cx!(conn).write_done = WriteDone::SendDone;
    }
}

/// A server's reply is out: the next request, or close.
pub(super) fn send_done(conn: Conn) {
    let Some(req) = cx!(conn).requests.pop_front() else {
        return;
    };
    cx!(conn).write_done = WriteDone::Nothing;
    let alive = alive_token(conn);
    if let Some(done) = field!(req, on_complete_cb) {
        // SAFETY: the program's completion callback with its argument.
        unsafe { done(req.as_ptr(), field!(req, on_complete_cb_arg)) };
        if !alive.get() {
            set_field!(req, evcon, ptr::null_mut());
            // SAFETY: the request had left the queue; nobody else frees it.
            unsafe { request::free(req) };
            return;
        }
    }
    let need_close = (!version_at_least(req, 1, 1) && !is_keepalive(field!(req, input_headers)))
        || is_request_connection_close(req)
        || request::has_flag(req, PEER_GONE);
    set_field!(req, evcon, ptr::null_mut());
    if need_close {
        // SAFETY: the request left the queue; server requests are the library's to
        // free.
        unsafe { request::free(req) };
        free(conn);
        return;
    }
    // The finished request is freed, or reused for the next one.
    if server::associate_new_request(conn, Some(req)).is_err() {
        free(conn);
    }
}
