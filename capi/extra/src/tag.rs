//! `event2/tag.h`: tagged records in evbuffers, over the encoding of `evrs-tag-proto`
//! (tagproto/).
//!
//! Writers build a number's or a time value's whole record on the stack and append it
//! with one `evbuffer_add`. Readers look at the buffer's first
//! [`LOOKAHEAD`](evrs_tag_proto::LOOKAHEAD) bytes through a pullup (a pointer into the
//! first chunk, nearly always), let the proto crate decide what libevent would answer
//! and drain, and drain that much; payloads that leave whole (strings, fixed fields,
//! nested records) are copied or moved by the core.
//!
//! Where libevent dereferences NULL (a NULL buffer, output pointer, string or time
//! value) these answer -1 or write nothing, leaving the buffer as it was. Readers also
//! never read past the payload of the record they decode (libevent may read an
//! integer from the next record's bytes, then refuse it) and write a number or a time
//! value only when they succeed (libevent may fill part of it before failing).

use std::ffi::{c_char, c_int, c_void, CStr};

use evrs_sibling::buffer::Evbuffer;
use evrs_sibling::sys;
use evrs_tag_proto::{self as proto, decode, Front, Taken, LOOKAHEAD};

// The C names of the types, as the signatures below spell them for the header check.
use libc::timeval;
use sys::evbuffer;

/// Runs a reader over the start of a buffer: its first [`LOOKAHEAD`] bytes (or all
/// there are), made contiguous by a pullup, as libevent's readers do. When the first
/// chunk holds them, which is nearly always, that only hands out a pointer: nothing is
/// copied. `read` must not touch the buffer.
fn with_front<R>(buf: Evbuffer, read: impl Fn(Front<'_>) -> R) -> R {
    let total_len = buf.len();
    buf.with_prefix(total_len.min(LOOKAHEAD), |bytes| {
        read(Front { bytes, total_len })
    })
    // The pullup found no memory: the reader sees nothing, so it answers -1 and
    // removes nothing.
    .unwrap_or_else(|| {
        read(Front {
            bytes: &[],
            total_len: 0,
        })
    })
}

/// # Safety
/// `buf` is NULL or a live evbuffer that stays so during the call.
unsafe fn buffer(buf: *mut evbuffer) -> Option<Evbuffer> {
    // SAFETY: the entry points pass what the program passed, a live evbuffer (tag.h)
    // or NULL, which gives None; it stays live for the call.
    unsafe { Evbuffer::from_ptr(buf) }
}

/// Drains what a read removed and hands back its value.
fn finish<T>(buf: Evbuffer, taken: Taken<T>) -> Option<T> {
    if taken.consumed > 0 {
        buf.drain(taken.consumed);
    }
    taken.value
}

/// `evtag_unmarshal_header` on a known buffer: the header is gone, the payload
/// (`len` bytes, all there) stays.
fn take_header(buf: Evbuffer) -> Option<proto::Header> {
    finish(buf, with_front(buf, decode::unmarshal_header))
}

fn warn_null(entry_point: &str, what: &str) {
    evrs_sibling::log::warn(format_args!("{entry_point}: {what} is NULL; nothing done"));
}

/// The buffer a writer appends to; NULL (where libevent would crash) is reported.
///
/// # Safety
/// As for [`buffer`].
unsafe fn output(buf: *mut evbuffer, entry_point: &str) -> Option<Evbuffer> {
    // SAFETY: callers pass what the program passed: a live evbuffer or NULL.
    let found = unsafe { buffer(buf) };
    if found.is_none() {
        warn_null(entry_point, "the buffer");
    }
    found
}

/// Nothing to prepare; kept for old programs.
#[no_mangle]
pub extern "C" fn evtag_init() {
    ffi_boundary!("evtag_init", {})
}

#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int(evbuf: *mut evbuffer, number: u32) {
    ffi_boundary!("evtag_encode_int", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        if let Some(buf) = unsafe { output(evbuf, "evtag_encode_int") } {
            buf.append(proto::encode_int(number).as_bytes());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int64(evbuf: *mut evbuffer, number: u64) {
    ffi_boundary!("evtag_encode_int64", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        if let Some(buf) = unsafe { output(evbuf, "evtag_encode_int64") } {
            buf.append(proto::encode_int64(number).as_bytes());
        }
    })
}

/// Appends a record with `payload` in one step: the header and the payload go into
/// one reserved region, so a refused append (frozen buffer, no memory) leaves no half
/// record behind.
fn append_record(buf: Evbuffer, tag: u32, payload: &[u8]) {
    let Ok(len) = u32::try_from(payload.len()) else {
        // libevent writes the length cut to 32 bits, then the whole payload.
        evrs_sibling::log::warn(format_args!(
            "evtag_marshal: a payload of {} bytes does not fit a record; nothing done",
            payload.len()
        ));
        return;
    };
    let header = proto::record_header(tag, len);
    if payload.is_empty() {
        buf.append(header.as_bytes());
        return;
    }
    let total = header.len() + payload.len();
    buf.append_with(total, |space| {
        let (head, body) = space.split_at_mut(header.len());
        head.copy_from_slice(header.as_bytes());
        body[..payload.len()].copy_from_slice(payload);
        total
    });
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal(
    evbuf: *mut evbuffer,
    tag: u32,
    data: *const c_void,
    len: u32,
) {
    ffi_boundary!("evtag_marshal", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { output(evbuf, "evtag_marshal") }) else {
            return;
        };
        if data.is_null() && len > 0 {
            return warn_null("evtag_marshal", "the data");
        }
        let payload = if len == 0 {
            &[][..]
        } else {
            // SAFETY: the program hands `len` readable bytes at `data` (not NULL here).
            unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) }
        };
        append_record(buf, tag, payload);
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_buffer(evbuf: *mut evbuffer, tag: u32, data: *mut evbuffer) {
    ffi_boundary!("evtag_marshal_buffer", {
        // SAFETY: tag.h takes live evbuffers of the program here; NULL gives None.
        let (Some(buf), Some(payload)) = (unsafe { buffer(evbuf) }, unsafe { buffer(data) }) else {
            return warn_null("evtag_marshal_buffer", "a buffer");
        };
        // libevent would write the record into its own payload.
        if buf == payload {
            evrs_sibling::log::warn(format_args!(
                "evtag_marshal_buffer: a buffer cannot be its own payload; nothing done"
            ));
            return;
        }
        let Ok(len) = u32::try_from(payload.len()) else {
            evrs_sibling::log::warn(format_args!(
                "evtag_marshal_buffer: a payload of {} bytes does not fit a record; nothing done",
                payload.len()
            ));
            return;
        };
        if buf.append(proto::record_header(tag, len).as_bytes()) {
            buf.append_buffer(payload);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int(evbuf: *mut evbuffer, tag: u32, integer: u32) {
    ffi_boundary!("evtag_marshal_int", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        if let Some(buf) = unsafe { output(evbuf, "evtag_marshal_int") } {
            buf.append(proto::int_record(tag, integer).as_bytes());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int64(evbuf: *mut evbuffer, tag: u32, integer: u64) {
    ffi_boundary!("evtag_marshal_int64", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        if let Some(buf) = unsafe { output(evbuf, "evtag_marshal_int64") } {
            buf.append(proto::int64_record(tag, integer).as_bytes());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_string(buf: *mut evbuffer, tag: u32, string: *const c_char) {
    ffi_boundary!("evtag_marshal_string", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(out) = (unsafe { output(buf, "evtag_marshal_string") }) else {
            return;
        };
        if string.is_null() {
            return warn_null("evtag_marshal_string", "the string");
        }
        // SAFETY: the program hands a zero-terminated string (not NULL here).
        let text = unsafe { CStr::from_ptr(string) };
        append_record(out, tag, text.to_bytes());
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_timeval(evbuf: *mut evbuffer, tag: u32, tv: *mut timeval) {
    ffi_boundary!("evtag_marshal_timeval", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { output(evbuf, "evtag_marshal_timeval") }) else {
            return;
        };
        // SAFETY: tag.h takes a readable timeval here; NULL gives None.
        let Some(tv) = (unsafe { tv.as_ref() }) else {
            return warn_null("evtag_marshal_timeval", "the time value");
        };
        // Both parts are written as 32-bit integers, cut as libevent cuts them.
        let record = proto::timeval_record(tag, tv.tv_sec as u32, tv.tv_usec as u32);
        buf.append(record.as_bytes());
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_header(evbuf: *mut evbuffer, ptag: *mut u32) -> c_int {
    ffi_boundary!("evtag_unmarshal_header", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { buffer(evbuf) }) else {
            return -1;
        };
        let Some(header) = take_header(buf) else {
            return -1;
        };
        // SAFETY: tag.h takes a writable tag or NULL (no tag wanted) here.
        if let Some(slot) = unsafe { ptag.as_mut() } {
            *slot = header.tag;
        }
        // unmarshal_header refuses lengths over INT_MAX.
        header.payload_len as c_int
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal(
    src: *mut evbuffer,
    ptag: *mut u32,
    dst: *mut evbuffer,
) -> c_int {
    ffi_boundary!("evtag_unmarshal", {
        // SAFETY: tag.h takes live evbuffers of the program here; NULL gives None.
        let (Some(from), Some(to)) = (unsafe { buffer(src) }, unsafe { buffer(dst) }) else {
            return -1;
        };
        // libevent would append the payload to the same buffer and then drain it from
        // the front, moving it behind the records that follow.
        if from == to {
            return -1;
        }
        let Some(header) = take_header(from) else {
            return -1;
        };
        // SAFETY: tag.h takes a writable tag or NULL (no tag wanted) here.
        if let Some(slot) = unsafe { ptag.as_mut() } {
            *slot = header.tag;
        }
        let len = header.payload_len as usize;
        if len > 0 && !move_payload(from, to, len) {
            return -1;
        }
        header.payload_len as c_int
    })
}

/// Moves the first `len` bytes of `from` (it holds them) to the end of `to`; false
/// when the core moved fewer (a frozen end, no memory).
fn move_payload(from: Evbuffer, to: Evbuffer, len: usize) -> bool {
    // SAFETY: both handles come from the entry point's live buffers, which stay
    // live for the call; `len` bytes are in `from`, so the move is in bounds.
    let moved = unsafe { sys::evbuffer_remove_buffer(from.as_ptr(), to.as_ptr(), len) };
    usize::try_from(moved).is_ok_and(|moved| moved == len)
}

#[no_mangle]
pub unsafe extern "C" fn evtag_consume(evbuf: *mut evbuffer) -> c_int {
    ffi_boundary!("evtag_consume", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { buffer(evbuf) }) else {
            return -1;
        };
        let Some(header) = take_header(buf) else {
            return -1;
        };
        buf.drain(header.payload_len as usize);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_peek(evbuf: *mut evbuffer, ptag: *mut u32) -> c_int {
    ffi_boundary!("evtag_peek", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { buffer(evbuf) }) else {
            return -1;
        };
        let Some((tag, tag_len)) = with_front(buf, |front| proto::decode_tag(front.bytes)) else {
            return -1;
        };
        // SAFETY: tag.h takes a writable tag or NULL (no tag wanted) here.
        if let Some(slot) = unsafe { ptag.as_mut() } {
            *slot = tag;
        }
        tag_len as c_int
    })
}

/// `evtag_peek_length` and `evtag_payload_length`: a size read from the header alone.
///
/// # Safety
/// `evbuf` is NULL or live; `plength` is NULL or writable.
unsafe fn report_length(
    evbuf: *mut evbuffer,
    plength: *mut u32,
    read: fn(&[u8]) -> Option<u32>,
) -> c_int {
    // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
    let Some(buf) = (unsafe { buffer(evbuf) }) else {
        return -1;
    };
    // SAFETY: tag.h takes a writable length here; NULL (libevent would write
    // through it) gives None.
    let Some(slot) = (unsafe { plength.as_mut() }) else {
        return -1;
    };
    match with_front(buf, |front| read(front.bytes)) {
        Some(length) => {
            *slot = length;
            0
        }
        None => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_peek_length(evbuf: *mut evbuffer, plength: *mut u32) -> c_int {
    // A record within 10 bytes of 4 GiB is refused, where libevent wraps its size.
    ffi_boundary!("evtag_peek_length", unsafe {
        report_length(evbuf, plength, proto::peek_length)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_payload_length(evbuf: *mut evbuffer, plength: *mut u32) -> c_int {
    ffi_boundary!("evtag_payload_length", unsafe {
        report_length(evbuf, plength, proto::payload_length)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int(
    evbuf: *mut evbuffer,
    need_tag: u32,
    pinteger: *mut u32,
) -> c_int {
    ffi_boundary!("evtag_unmarshal_int", {
        // SAFETY: tag.h takes a live evbuffer and a writable integer here; NULL gives
        // None.
        let (Some(buf), Some(slot)) = (unsafe { buffer(evbuf) }, unsafe { pinteger.as_mut() })
        else {
            return -1;
        };
        let taken = with_front(buf, |front| decode::unmarshal_int(front, need_tag));
        let Some((value, len)) = finish(buf, taken) else {
            return -1;
        };
        *slot = value;
        len as c_int
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int64(
    evbuf: *mut evbuffer,
    need_tag: u32,
    pinteger: *mut u64,
) -> c_int {
    ffi_boundary!("evtag_unmarshal_int64", {
        // SAFETY: tag.h takes a live evbuffer and a writable integer here; NULL gives
        // None.
        let (Some(buf), Some(slot)) = (unsafe { buffer(evbuf) }, unsafe { pinteger.as_mut() })
        else {
            return -1;
        };
        let taken = with_front(buf, |front| decode::unmarshal_int64(front, need_tag));
        let Some((value, len)) = finish(buf, taken) else {
            return -1;
        };
        *slot = value;
        len as c_int
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_fixed(
    src: *mut evbuffer,
    need_tag: u32,
    data: *mut c_void,
    len: usize,
) -> c_int {
    ffi_boundary!("evtag_unmarshal_fixed", {
        // SAFETY: tag.h takes a live evbuffer of the program here; NULL gives None.
        let Some(buf) = (unsafe { buffer(src) }) else {
            return -1;
        };
        if data.is_null() && len > 0 {
            return -1;
        }
        let taken = with_front(buf, |front| decode::expect_record(front, need_tag));
        // A record of the wrong tag or length loses its header; its payload stays.
        match finish(buf, taken) {
            Some(header) if header.payload_len as usize == len => {}
            _ => return -1,
        }
        if len > 0 {
            // SAFETY: the program hands `len` writable bytes at `data` (not NULL here);
            // the buffer holds the whole payload.
            unsafe { sys::evbuffer_copyout(buf.as_ptr(), data, len) };
            buf.drain(len);
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_string(
    evbuf: *mut evbuffer,
    need_tag: u32,
    pstring: *mut *mut c_char,
) -> c_int {
    ffi_boundary!("evtag_unmarshal_string", {
        // SAFETY: tag.h takes a live evbuffer and a writable string pointer here; NULL
        // gives None.
        let (Some(buf), Some(slot)) = (unsafe { buffer(evbuf) }, unsafe { pstring.as_mut() })
        else {
            return -1;
        };
        let taken = with_front(buf, |front| decode::expect_record(front, need_tag));
        let Some(header) = finish(buf, taken) else {
            return -1;
        };
        let len = header.payload_len as usize;
        // The program frees the string with free() (or its event_set_mem_functions
        // free), so it comes from the core's allocator, as in libevent.
        // SAFETY: any size may be asked for; NULL means out of memory.
        let string = unsafe { sys::event_mm_malloc_(len + 1) }.cast::<c_char>();
        if string.is_null() {
            evrs_sibling::log::warn(format_args!("evtag_unmarshal_string: malloc"));
            return -1;
        }
        // SAFETY: `string` has room for `len` bytes and the terminating zero; the
        // buffer holds the whole payload.
        unsafe {
            sys::evbuffer_copyout(buf.as_ptr(), string.cast(), len);
            string.add(len).write(0);
        }
        buf.drain(len);
        *slot = string;
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_timeval(
    evbuf: *mut evbuffer,
    need_tag: u32,
    ptv: *mut timeval,
) -> c_int {
    ffi_boundary!("evtag_unmarshal_timeval", {
        // SAFETY: tag.h takes a live evbuffer and a writable timeval here; NULL gives
        // None.
        let (Some(buf), Some(tv)) = (unsafe { buffer(evbuf) }, unsafe { ptv.as_mut() }) else {
            return -1;
        };
        let taken = with_front(buf, |front| decode::unmarshal_timeval(front, need_tag));
        let Some((seconds, microseconds)) = finish(buf, taken) else {
            return -1;
        };
        tv.tv_sec = seconds.into();
        // As C assigns it: exact where suseconds_t is 64 bits (Linux); where it is 32
        // (macOS) the bits come back as `evtag_marshal_timeval` wrote them.
        tv.tv_usec = microseconds as libc::suseconds_t;
        0
    })
}

// Four functions that libevent exports without declaring them in a header; its own
// regression suite declares and calls them, and programs built against libevent's
// libraries may too.

/// Appends the tag's encoding (to nothing when `evbuf` is NULL); its length in bytes.
#[no_mangle]
pub unsafe extern "C" fn evtag_encode_tag(evbuf: *mut evbuffer, tag: u32) -> c_int {
    ffi_boundary!("evtag_encode_tag", {
        let encoded = proto::encode_tag(tag);
        // SAFETY: a live evbuffer of the program, or NULL to measure only.
        if let Some(buf) = unsafe { buffer(evbuf) } {
            buf.append(encoded.as_bytes());
        }
        encoded.len() as c_int
    })
}

/// Removes the tag at the start of `evbuf`; its length in bytes, or -1 (nothing
/// removed) when no valid tag is there.
#[no_mangle]
pub unsafe extern "C" fn evtag_decode_tag(ptag: *mut u32, evbuf: *mut evbuffer) -> c_int {
    ffi_boundary!("evtag_decode_tag", {
        // SAFETY: a live evbuffer of the program, or NULL, which gives None.
        let Some(buf) = (unsafe { buffer(evbuf) }) else {
            return -1;
        };
        let Some((tag, len)) = with_front(buf, |front| proto::decode_tag(front.bytes)) else {
            return -1;
        };
        buf.drain(len);
        // SAFETY: a writable tag of the program, or NULL when it wants none.
        if let Some(slot) = unsafe { ptag.as_mut() } {
            *slot = tag;
        }
        len as c_int
    })
}

/// Removes one encoded number from the start of `evbuf`: 0, or -1 (nothing removed).
///
/// # Safety
/// `pnumber` is NULL or writable; `evbuf` is NULL or live.
unsafe fn decode_number<T>(
    pnumber: *mut T,
    evbuf: *mut evbuffer,
    read: fn(&[u8]) -> Option<(T, usize)>,
) -> c_int {
    // SAFETY: a live evbuffer of the program, or NULL, which gives None.
    let Some(buf) = (unsafe { buffer(evbuf) }) else {
        return -1;
    };
    // SAFETY: a writable number of the program; NULL, where libevent would write
    // through it, gives None.
    let Some(slot) = (unsafe { pnumber.as_mut() }) else {
        return -1;
    };
    match with_front(buf, |front| read(front.bytes)) {
        Some((value, len)) => {
            buf.drain(len);
            *slot = value;
            0
        }
        None => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int(pnumber: *mut u32, evbuf: *mut evbuffer) -> c_int {
    // SAFETY: the program passes a writable number and a live evbuffer, or NULLs.
    ffi_boundary!("evtag_decode_int", unsafe {
        decode_number(pnumber, evbuf, decode::decode_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int64(pnumber: *mut u64, evbuf: *mut evbuffer) -> c_int {
    // SAFETY: the program passes a writable number and a live evbuffer, or NULLs.
    ffi_boundary!("evtag_decode_int64", unsafe {
        decode_number(pnumber, evbuf, decode::decode_int64)
    })
}
