//! Reading messages: the first line, the headers and the body (Content-Length, chunked
//! or until close) of a request (server side) or a response (client side), in place
//! in the bufferevent's input, and what happens when one is complete.

use super::*;

pub(super) fn schedule_deferred_read(conn: Conn) {
    if cx!(conn).deferred_read_ev.is_null() {
        let Some(base) = NonNull::new(cx!(conn).base) else {
            return;
        };
        // SAFETY: the event is freed with the connection.
        let ev = unsafe { handler::new_event::<DeferredRead>(base, conn) };
        cx!(conn).deferred_read_ev = ev.map_or(ptr::null_mut(), NonNull::as_ptr);
    }
    let ev = cx!(conn).deferred_read_ev;
    if !ev.is_null() {
        // SAFETY: a live event of ours; activation runs its callback later.
        unsafe { sys::event_active(ev, sys::EV_TIMEOUT as c_int, 1) };
    }
}

pub(super) fn cancel_deferred_read(conn: Conn) {
    let ev = cx!(conn).deferred_read_ev;
    if !ev.is_null() {
        // SAFETY: a live event of ours; deleting it runs no callback.
        unsafe { sys::event_del(ev) };
    }
}

/// `evhttp_start_read_`: expect the first line of the next message.
pub fn start_read(conn: Conn) {
    if cx!(conn).flags & CON_OUTGOING != 0 {
        disable(conn, sys::EV_WRITE);
    }
    enable(conn, sys::EV_READ);
    cx!(conn).state = State::ReadingFirstline;
    cx!(conn).write_done = WriteDone::Nothing;
    if !input_of(conn).is_empty() {
        schedule_deferred_read(conn);
    }
}

pub(super) fn on_read(conn: Conn) {
    cancel_deferred_read(conn);
    let Some(req) = first_request(conn) else {
        if cx!(conn).state == State::Idle {
            reset(conn, true);
        }
        return;
    };
    match cx!(conn).state {
        State::ReadingFirstline => read_firstline(conn, req),
        State::ReadingHeaders => read_headers(conn, req),
        State::ReadingBody => read_body(conn, req),
        State::ReadingTrailer => read_trailer(conn, req),
        State::Idle => reset(conn, true),
        // Data that arrives while a reply is pending waits in the input buffer (read
        // stays enabled so that a closing peer is noticed); a peer that floods stops
        // being read until the reply is out.
        State::Writing => {
            if input_of(conn).len() > 64 * 1024 {
                disable(conn, sys::EV_READ);
            }
        }
        State::Disconnected | State::Connecting => {}
    }
}

/// Reads one line from the input buffer in place and hands it to `f`; None when no
/// complete line is there yet.
pub(super) fn with_line<R>(conn: Conn, f: impl FnOnce(&[u8]) -> R) -> Option<(R, usize)> {
    let input = input_of(conn);
    let span = input.find_line()?;
    let result = input.with_prefix(span.len, f)?;
    input.drain(span.len + span.eol_len);
    Some((result, span.len))
}

pub(super) fn read_firstline(conn: Conn, req: Req) {
    let max = cx!(conn).max_headers_size;
    let input = input_of(conn);
    let Some(span) = input.find_line() else {
        if input.len() > max {
            fail(conn, error::INVALID_HEADER);
        }
        return;
    };
    if span.len > max {
        fail(conn, error::INVALID_HEADER);
        return;
    }
    let kind = field!(req, kind);
    let parsed = input
        .with_prefix(span.len, |line| {
            if kind == KIND_REQUEST {
                parse_request_line_into(conn, req, line)
            } else {
                parse_status_line_into(req, line)
            }
        })
        .unwrap_or(Err(()));
    input.drain(span.len + span.eol_len);
    set_field!(req, headers_size, span.len);
    if parsed.is_err() {
        fail(conn, error::INVALID_HEADER);
        return;
    }
    cx!(conn).state = State::ReadingHeaders;
    read_headers(conn, req);
}

/// The methods libevent 2.1 knows: `EVHTTP_REQ_GET` to `EVHTTP_REQ_PATCH`.
#[cfg(feature = "abi-2-1")]
const METHODS_2_1: u32 = (method::PATCH << 1) - 1;
/// Libevent 2.1's type for every other method (its internal `EVHTTP_REQ_UNKNOWN_`).
#[cfg(feature = "abi-2-1")]
const UNKNOWN_METHOD_2_1: u32 = 1 << 15;

pub(super) fn parse_request_line_into(conn: Conn, req: Req, line: &[u8]) -> Result<(), ()> {
    let parsed = parse::parse_request_line(line).map_err(|_| ())?;
    let mut kind_bits = parsed.known_method.unwrap_or(0);
    if kind_bits == 0 {
        kind_bits = extension_method_type(conn, parsed.method)?;
    }
    // Libevent 2.1 knows nine methods (GET to PATCH) and gives any other request its
    // "unknown" type, bit 15, which a server that allows that bit hands to its
    // callback; the WebDAV methods 2.2 added are unknown to programs built for 2.1.
    #[cfg(feature = "abi-2-1")]
    if kind_bits & METHODS_2_1 == 0 {
        kind_bits = UNKNOWN_METHOD_2_1;
    }
    set_field!(req, type_, kind_bits);
    set_field!(req, major, parsed.major as c_char);
    set_field!(req, minor, parsed.minor as c_char);
    // SAFETY: the field's address inside a live request.
    request::replace_string(
        unsafe { ptr::addr_of_mut!((*req.as_ptr()).uri) },
        parsed.target,
    )
    .ok_or(())?;
    let elems = uri_link::parse_target(parsed.target, kind_bits == method::CONNECT)?;
    set_field!(req, uri_elems, elems);
    // SAFETY: `elems` was just parsed and belongs to the request.
    if unsafe { uri_link::scheme_is_http(elems) } {
        // SAFETY: as above.
        if let Some(host) = unsafe { uri_link::host(elems) } {
            let http = cx!(conn).server;
            // SAFETY: the host string belongs to the parsed target, live here.
            let host = unsafe { keyvalq::bytes_of(host) };
            if !http.is_null() && !server::knows_host(http, host) {
                request::add_flag(req, request::PROXY_REQUEST);
            }
        }
    }
    Ok(())
}

/// The type an extension method maps to through `ext_method_cmp`, 0 when unknown;
/// Err when the callback changed what it must not.
pub(super) fn extension_method_type(conn: Conn, name: &[u8]) -> Result<u32, ()> {
    let Some(cmp) = cx!(conn).ext_method_cmp else {
        return Ok(0);
    };
    let Ok(name_c) = std::ffi::CString::new(name) else {
        return Ok(0);
    };
    let mut ext = evhttp_ext_method {
        method: name_c.as_ptr(),
        type_: 0,
        flags: 0,
    };
    // SAFETY: the program's mapping function with a structure that outlives the call.
    if unsafe { cmp(&mut ext) } != 0 {
        return Ok(0);
    }
    // SAFETY: the callback must leave `method` pointing at a C string.
    if ext.method.is_null() || unsafe { std::ffi::CStr::from_ptr(ext.method) } != name_c.as_c_str()
    {
        evrs_sibling::log::warn(format_args!(
            "evhttp_parse_request_line: modifying the 'method' field of ext_method_cmp's parameter is not allowed"
        ));
        return Err(());
    }
    if ext.flags != 0 {
        evrs_sibling::log::warn(format_args!(
            "evhttp_parse_request_line: modifying the 'flags' field of ext_method_cmp's parameter is not allowed"
        ));
        return Err(());
    }
    Ok(ext.type_)
}

pub(super) fn parse_status_line_into(req: Req, line: &[u8]) -> Result<(), ()> {
    let parsed = parse::parse_status_line(line).map_err(|_| ())?;
    set_field!(req, major, parsed.major as c_char);
    set_field!(req, minor, parsed.minor as c_char);
    set_field!(req, response_code, parsed.code);
    // SAFETY: the field's address inside a live request.
    request::replace_string(
        unsafe { ptr::addr_of_mut!((*req.as_ptr()).response_code_line) },
        parsed.reason,
    )
    .ok_or(())
}

/// Reads header lines into `req->input_headers` until the empty line.
pub(super) fn parse_headers(conn: Conn, req: Req) -> Status {
    let max = cx!(conn).max_headers_size;
    let headers = field!(req, input_headers);
    loop {
        let Some((outcome, len)) = with_line(conn, |line| match parse::parse_header_line(line) {
            Ok(HeaderLine::End) => Ok(true),
            // SAFETY: the request's live header list.
            Ok(HeaderLine::Continuation(more)) => {
                unsafe { append_to_last(headers, more) }.map(|_| false)
            }
            Ok(HeaderLine::Field { name, value }) => {
                // SAFETY: as above.
                if unsafe { request::add_header(headers, name, value) } == 0 {
                    Ok(false)
                } else {
                    Err(())
                }
            }
            Err(_) => Err(()),
        }) else {
            let pending = input_of(conn).len();
            if field!(req, headers_size).saturating_add(pending) > max {
                return Status::DataTooLong;
            }
            return Status::MoreDataExpected;
        };
        let size = field!(req, headers_size) + len;
        set_field!(req, headers_size, size);
        if size > max {
            return Status::DataTooLong;
        }
        match outcome {
            Ok(true) => return Status::AllDataRead,
            Ok(false) => {}
            Err(()) => return Status::DataCorrupted,
        }
    }
}

/// A folded header line continues the last header's value, joined by one space.
pub(super) unsafe fn append_to_last(headers: *mut evkeyvalq, more: &[u8]) -> Result<(), ()> {
    // SAFETY: the caller gives a live list; `tqh_last` points at the last entry's link
    // (the entry's first field) when the list is not empty.
    unsafe {
        if (*headers).tqh_first.is_null() {
            return Err(());
        }
        let last = (*headers).tqh_last.cast::<keyvalq::evkeyval>();
        let mut value = keyvalq::bytes_of((*last).value).to_vec();
        value.push(b' ');
        value.extend_from_slice(more);
        keyvalq::set_value(NonNull::new_unchecked(last), &value).map_err(|_| ())
    }
}

pub(super) fn read_headers(conn: Conn, req: Req) {
    match parse_headers(conn, req) {
        Status::DataCorrupted | Status::DataTooLong => {
            fail(conn, error::INVALID_HEADER);
            return;
        }
        Status::MoreDataExpected | Status::RequestCanceled => return,
        Status::AllDataRead => {}
    }
    if let Some(header_cb) = field!(req, header_cb) {
        let alive = alive_token(conn);
        // SAFETY: the program's header callback with the request and its argument.
        let verdict = unsafe { header_cb(req.as_ptr(), field!(req, cb_arg)) };
        if !alive.get() {
            return;
        }
        if verdict < 0 {
            fail(conn, error::EOF);
            return;
        }
    }
    if field!(req, kind) == KIND_REQUEST {
        get_body(conn, req);
        return;
    }
    // A response.
    if field!(req, response_code) == 100 {
        let body = request::output_buffer(req);
        output_of(conn).append_buffer(body);
        disable(conn, sys::EV_WRITE);
        enable(conn, sys::EV_READ);
        cx!(conn).state = State::ReadingFirstline;
        // The request is written again after 100 Continue.
        write_buffer(conn, WriteDone::RequestWritten);
        return;
    }
    if !response_needs_body(req) {
        connection_done(conn);
    } else {
        get_body(conn, req);
    }
}

/// Method name and flags (`evhttp_method_`).
pub(super) fn method_info(
    conn: Option<Conn>,
    kind: u32,
) -> (Option<std::borrow::Cow<'static, [u8]>>, u16) {
    // For programs built for libevent 2.1 this bit is "unknown" (2.2's MOVE): no name,
    // no body, as in 2.1.
    #[cfg(feature = "abi-2-1")]
    if kind == UNKNOWN_METHOD_2_1 {
        return (None, 0);
    }
    if let Some(name) = parse::method_name(kind) {
        let flags = if kind == method::HEAD || kind == method::TRACE {
            0
        } else {
            METHOD_HAS_BODY
        };
        return (Some(std::borrow::Cow::Borrowed(name.as_bytes())), flags);
    }
    let Some(cmp) = conn.and_then(|c| cx!(c).ext_method_cmp) else {
        return (None, 0);
    };
    let mut ext = evhttp_ext_method {
        method: ptr::null(),
        type_: kind,
        flags: 0,
    };
    // SAFETY: the program's mapping function with a structure that outlives the call.
    if unsafe { cmp(&mut ext) } != 0 || ext.type_ != kind || ext.method.is_null() {
        return (None, 0);
    }
    // SAFETY: the callback filled in a C string (its own, static in practice).
    let name = unsafe { std::ffi::CStr::from_ptr(ext.method) }
        .to_bytes()
        .to_vec();
    (Some(std::borrow::Cow::Owned(name)), ext.flags)
}

pub(super) fn response_needs_body(req: Req) -> bool {
    let code = field!(req, response_code);
    let kind = field!(req, type_);
    code != 204
        && code != 304
        && !(100..200).contains(&code)
        && kind != method::CONNECT
        && kind != method::HEAD
}

pub(super) fn version_at_least(req: Req, major: c_char, minor: c_char) -> bool {
    let (ma, mi) = (field!(req, major), field!(req, minor));
    ma > major || (ma == major && mi >= minor)
}

#[derive(PartialEq, Eq)]
pub(super) enum Expect {
    No,
    Continue,
    Other,
}

pub(super) fn have_expect(req: Req, input: bool) -> Expect {
    if field!(req, kind) != KIND_REQUEST || !version_at_least(req, 1, 1) {
        return Expect::No;
    }
    let headers = if input {
        field!(req, input_headers)
    } else {
        field!(req, output_headers)
    };
    // SAFETY: the request's live header list.
    match unsafe { request::find_header(headers, b"Expect") } {
        None => Expect::No,
        Some(v) if v.eq_ignore_ascii_case(b"100-continue") => Expect::Continue,
        Some(_) => Expect::Other,
    }
}

pub(super) fn get_body(conn: Conn, req: Req) {
    if field!(req, kind) == KIND_REQUEST {
        let (_, flags) = method_info(Some(conn), field!(req, type_));
        if flags & METHOD_HAS_BODY == 0 {
            connection_done(conn);
            return;
        }
    }
    cx!(conn).state = State::ReadingBody;
    let headers = field!(req, input_headers);
    // SAFETY: the request's live header list.
    let chunked = unsafe { request::find_header(headers, b"Transfer-Encoding") }
        .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"));
    if chunked {
        request::set_chunked(req, true);
        set_field!(req, ntoread, -1);
    } else {
        if body_length(req).is_err() {
            fail(conn, error::INVALID_HEADER);
            return;
        }
        if field!(req, kind) == KIND_REQUEST && field!(req, ntoread) < 1 {
            connection_done(conn);
            return;
        }
    }
    match have_expect(req, true) {
        Expect::Continue => {
            let ntoread = field!(req, ntoread);
            let max = cx!(conn).max_body_size;
            if ntoread > 0 && max <= i64::MAX as u64 && ntoread as u64 > max {
                lingering_fail(conn, req);
                return;
            }
            if input_of(conn).is_empty() {
                send_continue(conn, req);
            }
        }
        Expect::Other => {
            send_error(req, 417, None);
            return;
        }
        Expect::No => {}
    }
    read_body(conn, req);
}

/// Sets `ntoread` from Content-Length / Connection (`evhttp_get_body_length`).
pub(super) fn body_length(req: Req) -> Result<(), ()> {
    let headers = field!(req, input_headers);
    // SAFETY: the request's live header list, unchanged while the values are used.
    let (length, connection) = unsafe {
        (
            request::find_header(headers, b"Content-Length"),
            request::find_header(headers, b"Connection"),
        )
    };
    let ntoread = match (length, connection) {
        (None, None) => -1,
        (None, Some(c)) if !c.eq_ignore_ascii_case(b"close") => 0,
        (None, Some(_)) => -1,
        (Some(text), _) => match parse::parse_content_length(text) {
            Ok(length) => length as i64,
            // Too many digits: libevent's strtoll saturates, so the length is the
            // largest there is, which the body size limit then refuses (413).
            Err(_) if is_decimal_overflow(text) => i64::MAX,
            Err(_) => return Err(()),
        },
    };
    set_field!(req, ntoread, ntoread);
    Ok(())
}

/// A Content-Length of decimal digits only (after blanks) too large for 63 bits.
pub(super) fn is_decimal_overflow(text: &[u8]) -> bool {
    let digits = text.trim_ascii_start();
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

pub(super) fn send_continue(conn: Conn, req: Req) {
    let line = format!(
        "HTTP/{}.{} 100 Continue\r\n\r\n",
        field!(req, major),
        field!(req, minor)
    );
    output_of(conn).append(line.as_bytes());
    enable(conn, sys::EV_WRITE);
    cx!(conn).write_done = WriteDone::ContinueDone;
}

/// Runs the chunk callback with the request protected from being freed under us;
/// true when the program asked to free it meanwhile.
pub(super) fn run_chunk_cb(conn: Conn, req: Req) -> Option<bool> {
    let Some(chunk_cb) = field!(req, chunk_cb) else {
        return Some(false);
    };
    let alive = alive_token(conn);
    request::add_flag(req, request::REQ_DEFER_FREE);
    // SAFETY: the program's chunk callback; the request stays allocated because of
    // REQ_DEFER_FREE.
    unsafe { chunk_cb(req.as_ptr(), field!(req, cb_arg)) };
    request::remove_flag(req, request::REQ_DEFER_FREE);
    request::input_buffer(req).clear();
    let cancelled = request::has_flag(req, request::REQ_NEEDS_FREE);
    if !alive.get() {
        if cancelled {
            // SAFETY: the program asked for the free, and the connection (which was
            // its last holder) is gone.
            unsafe { request::free(req) };
        }
        return None;
    }
    Some(cancelled)
}

pub(super) fn handle_chunked(conn: Conn, req: Req) -> Option<Status> {
    let input = input_of(conn);
    loop {
        let available = input.len();
        if available == 0 {
            return Some(Status::MoreDataExpected);
        }
        if field!(req, ntoread) < 0 {
            let Some((size, _)) = with_line(conn, |line| {
                if line.is_empty() {
                    None
                } else {
                    Some(parse::parse_chunk_size(line))
                }
            }) else {
                return Some(Status::MoreDataExpected);
            };
            let Some(size) = size else {
                continue;
            };
            let Ok(size) = size else {
                return Some(Status::DataCorrupted);
            };
            let body = field!(req, body_size) as u64;
            let Some(total) = body.checked_add(size).filter(|&t| t <= usize::MAX as u64) else {
                return Some(Status::DataCorrupted);
            };
            if total > cx!(conn).max_body_size {
                return Some(Status::DataTooLong);
            }
            set_field!(req, body_size, total as usize);
            set_field!(req, ntoread, size as i64);
            if size == 0 {
                return Some(Status::AllDataRead);
            }
            continue;
        }
        let want = field!(req, ntoread) as u64;
        if (available as u64) < want {
            return Some(Status::MoreDataExpected);
        }
        input.move_prefix_to(request::input_buffer(req), want as usize);
        set_field!(req, ntoread, -1);
        if field!(req, chunk_cb).is_some() {
            match run_chunk_cb(conn, req) {
                None => return None,
                Some(true) => return Some(Status::RequestCanceled),
                Some(false) => {}
            }
        }
    }
}

pub(super) fn read_trailer(conn: Conn, req: Req) {
    match parse_headers(conn, req) {
        Status::DataCorrupted | Status::DataTooLong => fail(conn, error::DATA_TOO_LONG),
        Status::AllDataRead => {
            // (libevent stops reading here on a client; `connection_done` decides at
            // once whether to read on, so the read event is left as it is.)
            connection_done(conn);
        }
        _ => {}
    }
}

pub(super) fn lingering_fail(conn: Conn, req: Req) {
    if cx!(conn).flags & CON_LINGERING_CLOSE != 0 {
        lingering_close(conn, req);
    } else {
        fail(conn, error::DATA_TOO_LONG);
    }
}

/// Reads and drops the rest of a too large body before answering, so that the peer
/// sees the answer rather than a reset.
pub(super) fn lingering_close(conn: Conn, req: Req) {
    let input = input_of(conn);
    let ntoread = field!(req, ntoread).max(0) as u64;
    let n = (input.len() as u64).min(ntoread);
    set_field!(req, ntoread, (ntoread - n) as i64);
    set_field!(req, body_size, field!(req, body_size) + n as usize);
    input.drain(n as usize);
    if field!(req, ntoread) == 0 {
        fail(conn, error::DATA_TOO_LONG);
    }
}

pub(super) fn read_body(conn: Conn, req: Req) {
    let input = input_of(conn);
    if request::is_chunked(req) {
        match handle_chunked(conn, req) {
            None => return,
            Some(Status::AllDataRead) => {
                cx!(conn).state = State::ReadingTrailer;
                read_trailer(conn, req);
                return;
            }
            Some(Status::DataCorrupted | Status::DataTooLong) => {
                fail(conn, error::DATA_TOO_LONG);
                return;
            }
            Some(Status::RequestCanceled) => {
                drop_cancelled(conn, req);
                return;
            }
            Some(Status::MoreDataExpected) => {}
        }
    } else if field!(req, ntoread) < 0 {
        // Until the connection closes.
        let n = input.len();
        let Some(total) = field!(req, body_size).checked_add(n) else {
            fail(conn, error::INVALID_HEADER);
            return;
        };
        set_field!(req, body_size, total);
        request::input_buffer(req).append_buffer(input);
    } else if field!(req, chunk_cb).is_some() || input.len() as u64 >= field!(req, ntoread) as u64 {
        let n = (input.len() as u64).min(field!(req, ntoread) as u64);
        set_field!(req, ntoread, field!(req, ntoread) - n as i64);
        set_field!(req, body_size, field!(req, body_size) + n as usize);
        input.move_prefix_to(request::input_buffer(req), n as usize);
    }
    let max = cx!(conn).max_body_size;
    let ntoread = field!(req, ntoread);
    if field!(req, body_size) as u64 > max
        || (!request::is_chunked(req) && ntoread >= 0 && ntoread as u64 > max)
    {
        lingering_fail(conn, req);
        return;
    }
    if !request::input_buffer(req).is_empty() && field!(req, chunk_cb).is_some() {
        match run_chunk_cb(conn, req) {
            None => return,
            Some(true) => {
                drop_cancelled(conn, req);
                return;
            }
            Some(false) => {}
        }
    }
    if field!(req, ntoread) == 0 {
        // A client's read event is left on: `connection_done` resets the connection,
        // writes the next request or watches for a close, each reading on (libevent
        // stops reading first and starts again there).
        connection_done(conn);
    }
}

/// The program cancelled or freed `req` from its chunk callback: the free postponed
/// then happens now.
pub(super) fn drop_cancelled(conn: Conn, req: Req) {
    remove_request(conn, req);
    set_field!(req, evcon, ptr::null_mut());
    // SAFETY: the request is out of the queue and no longer in use up the stack.
    unsafe { request::free_auto(req) };
}

/// A message has been read completely.
pub(super) fn connection_done(conn: Conn) {
    let Some(req) = first_request(conn) else {
        return;
    };
    let outgoing = cx!(conn).flags & CON_OUTGOING != 0;
    let mut free_conn = false;
    let alive = alive_token(conn);
    if outgoing {
        let need_close = is_request_connection_close(req);
        remove_request(conn, req);
        set_field!(req, evcon, ptr::null_mut());
        cx!(conn).state = State::Idle;
        if need_close {
            reset(conn, true);
        }
        if !alive.get() {
        } else if !cx!(conn).requests.is_empty() {
            if !is_connected(conn) {
                connect(conn);
            } else {
                dispatch_request(conn);
            }
        } else if !need_close {
            start_detect_close(conn);
        } else if cx!(conn).flags & CON_AUTOFREE != 0 {
            free_conn = true;
        }
    } else {
        cx!(conn).state = State::Writing;
    }
    if let Some(cb) = field!(req, cb) {
        // SAFETY: the program's request callback (or the server's dispatcher).
        unsafe { cb(req.as_ptr(), field!(req, cb_arg)) };
    }
    if outgoing {
        // SAFETY: the request left the connection's queue above; it is ours to free
        // unless the program owns it.
        unsafe { request::free_auto(req) };
    }
    if free_conn && alive.get() && cx!(conn).requests.is_empty() {
        free(conn);
    }
}

pub(super) fn is_connection_close(flags: c_int, headers: *const evkeyvalq) -> bool {
    if flags & request::PROXY_REQUEST != 0 {
        // SAFETY: a live header list.
        let value = unsafe { request::find_header(headers, b"Proxy-Connection") };
        !value.is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive"))
    } else {
        // SAFETY: a live header list.
        let value = unsafe { request::find_header(headers, b"Connection") };
        value.is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
    }
}

pub(super) fn is_request_connection_close(req: Req) -> bool {
    if field!(req, type_) == method::CONNECT {
        return false;
    }
    let flags = field!(req, flags);
    is_connection_close(flags, field!(req, input_headers))
        || is_connection_close(flags, field!(req, output_headers))
}

pub(super) fn is_keepalive(headers: *const evkeyvalq) -> bool {
    // SAFETY: a live header list.
    unsafe { request::find_header(headers, b"Connection") }
        .is_some_and(|v| v.len() >= 10 && v[..10].eq_ignore_ascii_case(b"keep-alive"))
}
