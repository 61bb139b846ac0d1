//! The one place that reaches the URI code (`crate::http::uri`, written beside this
//! library): parsing a request target into `req->uri_elems`, its host and its path.
//! Until that code is merged, targets are not parsed (`uri_elems` stays NULL) and the
//! path is taken from the raw target.

use std::ffi::c_char;

/// `struct evhttp_uri`, opaque here.
#[repr(C)]
pub struct evhttp_uri {
    _private: [u8; 0],
}

/// The parsed target, or NULL (not available yet).
pub(crate) fn parse_target(_target: &[u8], _is_connect: bool) -> Result<*mut evhttp_uri, ()> {
    Ok(std::ptr::null_mut())
}

/// Frees a parsed target.
///
/// # Safety
/// `uri` is NULL or came from [`parse_target`].
pub unsafe fn free(uri: *mut evhttp_uri) {
    debug_assert!(uri.is_null());
}

/// The host of a parsed target.
pub fn host(_uri: *mut evhttp_uri) -> Option<*const c_char> {
    None
}

/// The scheme of a parsed target.
pub fn scheme_is_http(_uri: *mut evhttp_uri) -> bool {
    false
}

/// The path the handlers are matched against: the target's path with its percent
/// escapes decoded ('+' kept).
pub fn decoded_path(_uri: *mut evhttp_uri, target: &[u8]) -> Vec<u8> {
    // An absolute URI ("http://host/path") is matched on its path.
    let target = match target.windows(3).position(|w| w == b"://") {
        Some(i) if !target[..i].is_empty() && target[..i].iter().all(u8::is_ascii_alphanumeric) => {
            let rest = &target[i + 3..];
            rest.iter()
                .position(|&b| b == b'/')
                .map_or(&b""[..], |p| &rest[p..])
        }
        _ => target,
    };
    let end = target
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    percent_decode(&target[..end])
}

fn percent_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' && i + 2 < text.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(text[i + 1]), hex(text[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}
