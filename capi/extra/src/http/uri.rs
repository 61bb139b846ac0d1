//! The URI, escaping and query entry points of `event2/http.h`.
//!
//! Each is thin: it checks and converts its arguments, makes one call into
//! `evrs_http_proto` (uri, escape, query) and converts the answer. Strings handed to
//! the program come from the core's memory functions, as libevent's `mm_malloc` ones
//! do, so the program frees them with `free()` (or its own functions installed with
//! `event_set_mem_functions`).
//!
//! libevent crashes on a NULL where a string or object is required; here such a call
//! gets the function's failure answer (NULL or -1) instead, as each function notes.
//! Pointer arguments follow libevent's contract otherwise: a URI is NULL or a live
//! object from this library, a C string NULL or NUL-terminated, a buffer writable for
//! the size given.

use std::ffi::{c_char, c_int, c_uint, CStr};
use std::ptr::{self, NonNull};

use evrs_http_proto::escape::{html_escape, uri_decode, uri_encode, PlusDecoding};
use evrs_http_proto::query::{parse_query_of_uri, parse_query_str, QueryError, QueryParam};
use evrs_http_proto::uri::{Uri, UriError};
use evrs_sibling::sys;

use crate::evhttp::keyvalq::{self, evkeyvalq};
use crate::evhttp::uri::{evhttp_uri, part_ptr};

/// `ev_ssize_t`.
type ev_ssize_t = isize;

// ----- argument and result helpers ------------------------------------------------------

/// The bytes of a C string argument (without its NUL), or `None` for NULL.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn string_arg<'a>(text: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: the caller gives NULL or a NUL-terminated string.
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_bytes())
}

/// An owned copy of a C string argument: `Ok(None)` for NULL, `Err` when memory runs
/// out.
///
/// A setter's argument may be a pointer the same URI handed out (setting a part to its
/// own value); copying it before the URI is touched means no reference into a part
/// is alive while that part is replaced and freed. (libevent reads freed memory here.)
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
unsafe fn owned_string_arg(text: *const c_char) -> Result<Option<Vec<u8>>, ()> {
    // SAFETY: the caller gives NULL or a NUL-terminated string.
    let Some(bytes) = (unsafe { string_arg(text) }) else {
        return Ok(None);
    };
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len()).map_err(|_| ())?;
    copy.extend_from_slice(bytes);
    Ok(Some(copy))
}

/// A string for the program: `bytes` (NULs included) and a NUL, in a block of the
/// core's memory functions; NULL when memory runs out.
fn string_result(bytes: &[u8]) -> *mut c_char {
    // SAFETY: any size may be asked for; NULL means out of memory. `bytes` is a live
    // slice, so its length is below isize::MAX and `+ 1` does not overflow.
    let block = unsafe { sys::event_mm_malloc_(bytes.len() + 1) }.cast::<u8>();
    if block.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: the block is fresh and holds `bytes.len() + 1` bytes.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), block, bytes.len());
        block.add(bytes.len()).write(0);
    }
    block.cast()
}

/// 0 for success, -1 for failure, as the setters answer.
fn status<E>(result: Result<(), E>) -> c_int {
    if result.is_ok() {
        0
    } else {
        -1
    }
}

// ----- creating, parsing, freeing -------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_new() -> *mut evhttp_uri {
    ffi_boundary!("evhttp_uri_new", {
        evhttp_uri::into_raw(Uri::new()).map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// NULL text gives NULL (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse_with_flags(
    source_uri: *const c_char,
    flags: c_uint,
) -> *mut evhttp_uri {
    // SAFETY: `source_uri` is NULL or NUL-terminated, as the caller promises.
    ffi_boundary!("evhttp_uri_parse_with_flags", unsafe {
        match string_arg(source_uri) {
            Some(text) => evhttp_uri::parse_to_raw(text, flags),
            None => ptr::null_mut(),
        }
    })
}

/// NULL text gives NULL (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse(source_uri: *const c_char) -> *mut evhttp_uri {
    // SAFETY: `source_uri` is NULL or NUL-terminated, as the caller promises.
    ffi_boundary!("evhttp_uri_parse", unsafe {
        match string_arg(source_uri) {
            Some(text) => evhttp_uri::parse_to_raw(text, 0),
            None => ptr::null_mut(),
        }
    })
}

/// NULL is ignored (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_free(uri: *mut evhttp_uri) {
    // SAFETY: `uri` is NULL or a live URI of this library that the program gives up.
    ffi_boundary!("evhttp_uri_free", unsafe { evhttp_uri::free(uri) })
}

/// NULL is ignored (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_flags(uri: *mut evhttp_uri, flags: c_uint) {
    // SAFETY: `uri` is NULL or a live URI of this library, used by one thread at a time.
    ffi_boundary!("evhttp_uri_set_flags", unsafe {
        if let Some(uri) = evhttp_uri::get_mut(uri) {
            uri.set_flags(flags);
        }
    })
}

/// Writes the URI and a NUL into `buf` if they fit in `limit` bytes; `buf` on success,
/// NULL if it does not fit, an argument is missing (NULL, or `limit` 0) or a host is
/// followed by a path that is neither empty nor absolute. Nothing is written on failure.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_join(
    uri: *mut evhttp_uri,
    buf: *mut c_char,
    limit: usize,
) -> *mut c_char {
    // SAFETY: `uri` is NULL or a live URI of this library; `buf` is NULL or writable
    // for `limit` bytes, as the caller promises.
    ffi_boundary!("evhttp_uri_join", unsafe {
        let Some(uri) = evhttp_uri::get(uri) else {
            return ptr::null_mut();
        };
        if buf.is_null() || limit == 0 {
            return ptr::null_mut();
        }
        match uri.join() {
            Ok(text) if text.len() < limit => {
                // `text.len() + 1 <= limit` bytes are written; `text` is our own copy.
                ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
                buf.add(text.len()).write(0);
                buf
            }
            _ => ptr::null_mut(),
        }
    })
}

// ----- getters --------------------------------------------------------------------------

macro_rules! part_getters {
    ($($(#[$doc:meta])* $entry:ident => $part:ident;)*) => {$(
        $(#[$doc])*
        /// NULL for a NULL URI (libevent crashes). The string stays valid until this
        /// part is set again or the URI is freed.
        #[no_mangle]
        pub unsafe extern "C" fn $entry(uri: *const evhttp_uri) -> *const c_char {
            // SAFETY: `uri` is NULL or a live URI of this library.
            ffi_boundary!(stringify!($entry), unsafe {
                evhttp_uri::get(uri).map_or(ptr::null(), |uri| part_ptr(uri.$part()))
            })
        }
    )*};
}

part_getters! {
    evhttp_uri_get_scheme => scheme;
    evhttp_uri_get_userinfo => userinfo;
    /// "" for an empty authority, NULL for none; without brackets if the URI was parsed
    /// or the host set with EVHTTP_URI_HOST_STRIP_BRACKETS.
    evhttp_uri_get_host => host;
    evhttp_uri_get_unixsocket => unixsocket;
    evhttp_uri_get_path => path;
    evhttp_uri_get_query => query;
    evhttp_uri_get_fragment => fragment;
}

/// -1 for none, and for a NULL URI (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_port(uri: *const evhttp_uri) -> c_int {
    // SAFETY: `uri` is NULL or a live URI of this library.
    ffi_boundary!("evhttp_uri_get_port", unsafe {
        evhttp_uri::get(uri).map_or(-1, Uri::port)
    })
}

// ----- setters --------------------------------------------------------------------------

macro_rules! part_setters {
    ($($(#[$doc:meta])* $entry:ident => $setter:ident;)*) => {$(
        $(#[$doc])*
        /// -1 for a NULL URI (libevent crashes) and when memory runs out.
        #[no_mangle]
        pub unsafe extern "C" fn $entry(uri: *mut evhttp_uri, value: *const c_char) -> c_int {
            // SAFETY: `value` is NULL or NUL-terminated, and is copied before the URI
            // is touched; `uri` is NULL or a live URI of this library, used by one
            // thread at a time.
            ffi_boundary!(stringify!($entry), unsafe {
                let Ok(value) = owned_string_arg(value) else {
                    return -1;
                };
                match evhttp_uri::get_mut(uri) {
                    Some(uri) => status(uri.$setter(value.as_deref())),
                    None => -1,
                }
            })
        }
    )*};
}

part_setters! {
    /// NULL removes the scheme; -1 for an invalid scheme.
    evhttp_uri_set_scheme => set_scheme;
    /// NULL removes the userinfo; -1 for characters RFC 3986 does not allow there.
    evhttp_uri_set_userinfo => set_userinfo;
    /// NULL removes the host; -1 for an invalid name or bracketed address.
    evhttp_uri_set_host => set_host;
    /// NULL removes the Unix socket path; any path is taken.
    evhttp_uri_set_unixsocket => set_unixsocket;
    /// NULL removes the path; -1 for what the URI's flags do not allow in a path.
    evhttp_uri_set_path => set_path;
    /// NULL removes the query; -1 for a '#' or (strictly) a character not allowed.
    evhttp_uri_set_query => set_query;
    /// NULL removes the fragment; -1 (strictly) for a '#' or a character not allowed.
    evhttp_uri_set_fragment => set_fragment;
}

/// -1 removes the port; -1 is answered for a port below -1 and a NULL URI (libevent
/// crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_port(uri: *mut evhttp_uri, port: c_int) -> c_int {
    // SAFETY: `uri` is NULL or a live URI of this library, used by one thread at a time.
    ffi_boundary!("evhttp_uri_set_port", unsafe {
        match evhttp_uri::get_mut(uri) {
            Some(uri) => status::<UriError>(uri.set_port(port)),
            None => -1,
        }
    })
}

// ----- escaping -------------------------------------------------------------------------

/// NULL for a NULL string (libevent crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_encode_uri(str: *const c_char) -> *mut c_char {
    // SAFETY: `str` is NULL or NUL-terminated, as the caller promises.
    ffi_boundary!("evhttp_encode_uri", unsafe {
        match string_arg(str).map(|text| uri_encode(text, false)) {
            Some(Ok(encoded)) => string_result(&encoded),
            _ => ptr::null_mut(),
        }
    })
}

/// A negative `size` encodes up to the NUL. NULL data of size 0 gives "" as in
/// libevent; NULL data of another size gives NULL (libevent crashes), and so does a
/// range that would wrap around the address space.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uriencode(
    str: *const c_char,
    size: ev_ssize_t,
    space_to_plus: c_int,
) -> *mut c_char {
    // SAFETY: `str` is NULL, NUL-terminated when `size` is negative, and readable for
    // `size` bytes otherwise, as the caller promises.
    ffi_boundary!("evhttp_uriencode", unsafe {
        let data: &[u8] = match usize::try_from(size) {
            Err(_) => match string_arg(str) {
                Some(text) => text,
                None => return ptr::null_mut(),
            },
            Ok(0) if str.is_null() => &[],
            Ok(_) if str.is_null() => return ptr::null_mut(),
            Ok(len) if (str as usize).checked_add(len).is_none() => return ptr::null_mut(),
            // Non-null, readable for `len <= isize::MAX` bytes.
            Ok(len) => std::slice::from_raw_parts(str.cast::<u8>(), len),
        };
        match uri_encode(data, space_to_plus != 0) {
            Ok(encoded) => string_result(&encoded),
            Err(_) => ptr::null_mut(),
        }
    })
}

/// '+' becomes a space only after the first '?'. NULL for a NULL string (libevent
/// crashes).
#[no_mangle]
pub unsafe extern "C" fn evhttp_decode_uri(uri: *const c_char) -> *mut c_char {
    // SAFETY: `uri` is NULL or NUL-terminated, as the caller promises.
    ffi_boundary!("evhttp_decode_uri", unsafe {
        match string_arg(uri).map(|text| uri_decode(text, PlusDecoding::AfterQuestionMark)) {
            Some(Ok(decoded)) => string_result(&decoded),
            _ => ptr::null_mut(),
        }
    })
}

/// The result may hold NUL bytes ("%00"); `size_out` gets its full length. NULL for a
/// NULL string (libevent crashes), and `size_out` is then left alone.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uridecode(
    uri: *const c_char,
    decode_plus: c_int,
    size_out: *mut usize,
) -> *mut c_char {
    // SAFETY: `uri` is NULL or NUL-terminated, `size_out` NULL or writable, as the
    // caller promises.
    ffi_boundary!("evhttp_uridecode", unsafe {
        let plus = if decode_plus != 0 {
            PlusDecoding::AsSpace
        } else {
            PlusDecoding::Keep
        };
        let Some(Ok(decoded)) = string_arg(uri).map(|text| uri_decode(text, plus)) else {
            return ptr::null_mut();
        };
        let result = string_result(&decoded);
        if !result.is_null() && !size_out.is_null() {
            size_out.write(decoded.len());
        }
        result
    })
}

/// NULL for a NULL string (libevent answers NULL too).
#[no_mangle]
pub unsafe extern "C" fn evhttp_htmlescape(html: *const c_char) -> *mut c_char {
    // SAFETY: `html` is NULL or NUL-terminated, as the caller promises.
    ffi_boundary!("evhttp_htmlescape", unsafe {
        match string_arg(html).map(html_escape) {
            Some(Ok(escaped)) => string_result(&escaped),
            _ => ptr::null_mut(),
        }
    })
}

// ----- query strings --------------------------------------------------------------------

/// Appends the pairs to the (empty) list; on failure the list is left empty, as
/// libevent clears it.
///
/// # Safety
/// `headers` is a live, initialised list.
unsafe fn fill_list(headers: *mut evkeyvalq, parsed: Result<Vec<QueryParam>, QueryError>) -> c_int {
    let Ok(params) = parsed else {
        return -1;
    };
    for param in &params {
        // SAFETY: the caller gives a live list.
        if unsafe { keyvalq::push_back(headers, &param.key, &param.value) }.is_err() {
            // SAFETY: as above; the entries pushed so far are ours.
            unsafe { keyvalq::clear(headers) };
            return -1;
        }
    }
    0
}

/// Like libevent, the list is first made empty with `TAILQ_INIT` (programs often pass
/// an uninitialised one), so entries it held are not freed. A NULL list gives -1
/// (libevent crashes); a NULL query gives 0 and an empty list, as in libevent.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query_str_flags(
    uri: *const c_char,
    headers: *mut evkeyvalq,
    flags: c_uint,
) -> c_int {
    // SAFETY: `uri` is NULL or NUL-terminated; `headers` is NULL or writable for a
    // list head, as the caller promises.
    ffi_boundary!("evhttp_parse_query_str_flags", unsafe {
        if headers.is_null() {
            return -1;
        }
        keyvalq::init(headers);
        match string_arg(uri) {
            Some(query) => fill_list(headers, parse_query_str(query, flags)),
            None => 0,
        }
    })
}

/// evhttp_parse_query_str_flags() with no flags.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query_str(
    uri: *const c_char,
    headers: *mut evkeyvalq,
) -> c_int {
    // SAFETY: as the caller promises for evhttp_parse_query_str_flags.
    ffi_boundary!("evhttp_parse_query_str", unsafe {
        evhttp_parse_query_str_flags(uri, headers, 0)
    })
}

/// The query of a whole URI, parsed strictly. The list is first made empty as in
/// evhttp_parse_query_str_flags(); -1 for a NULL list or URI (libevent crashes) and
/// for text that is not a URI reference.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query(uri: *const c_char, headers: *mut evkeyvalq) -> c_int {
    // SAFETY: `uri` is NULL or NUL-terminated; `headers` is NULL or writable for a
    // list head, as the caller promises.
    ffi_boundary!("evhttp_parse_query", unsafe {
        if headers.is_null() {
            return -1;
        }
        keyvalq::init(headers);
        match string_arg(uri) {
            Some(text) => fill_list(headers, parse_query_of_uri(text)),
            None => -1,
        }
    })
}
