//! The request engine's uses of URIs: parsing a request target into `req->uri_elems`,
//! its scheme and host, and the decoded path the handlers are matched against.

use std::borrow::Cow;
use std::ffi::c_char;

use evrs_http_proto::escape::{uri_decode, PlusDecoding};
use evrs_http_proto::uri::URI_NONCONFORMANT;

pub use super::uri::evhttp_uri;
use super::uri::part_ptr;

/// The parsed target: libevent parses a request target leniently
/// (`EVHTTP_URI_NONCONFORMANT`), and CONNECT's as an authority ("host:port"). A
/// target that does not parse is refused.
pub(crate) fn parse_target(target: &[u8], is_connect: bool) -> Result<*mut evhttp_uri, ()> {
    let parsed = if is_connect {
        evhttp_uri::parse_authority_to_raw(target, 0)
    } else {
        evhttp_uri::parse_to_raw(target, URI_NONCONFORMANT)
    };
    if parsed.is_null() {
        Err(())
    } else {
        Ok(parsed)
    }
}

/// Frees a parsed target.
///
/// # Safety
/// `uri` is NULL or came from [`parse_target`], and is not used again.
pub unsafe fn free(uri: *mut evhttp_uri) {
    // SAFETY: the caller hands over NULL or a live target of ours.
    unsafe { evhttp_uri::free(uri) }
}

/// The host of a parsed target, as a C string the target owns.
///
/// # Safety
/// `uri` is NULL or a live target from [`parse_target`], unchanged during the call.
pub(crate) unsafe fn host(uri: *mut evhttp_uri) -> Option<*const c_char> {
    // SAFETY: the caller gives NULL or a live target, unchanged during the call.
    let uri = unsafe { evhttp_uri::get(uri) }?;
    uri.host().map(|host| part_ptr(Some(host)))
}

/// Whether a parsed target names the scheme http or https (a proxy request, unless
/// its host is one of the server's).
///
/// # Safety
/// As for [`host`].
pub(crate) unsafe fn scheme_is_http(uri: *mut evhttp_uri) -> bool {
    // SAFETY: as in `host`.
    let Some(uri) = (unsafe { evhttp_uri::get(uri) }) else {
        return false;
    };
    uri.scheme().is_some_and(|scheme| {
        let scheme = scheme.as_bytes();
        scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https")
    })
}

/// The path the handlers are matched against: the target's path with its percent
/// escapes decoded ('+' kept), up to a decoded NUL as libevent's string compare sees
/// it. `None` when memory runs out.
///
/// # Safety
/// As for [`host`].
pub(crate) unsafe fn decoded_path<'a>(uri: *mut evhttp_uri) -> Option<Cow<'a, [u8]>> {
    // SAFETY: as in `host`.
    let path = unsafe { evhttp_uri::get(uri) }
        .and_then(|uri| uri.path())
        .map_or(&b""[..], |path| path.as_bytes());
    if !path.contains(&b'%') {
        // Nothing to decode (and so no NUL either).
        return Some(Cow::Borrowed(path));
    }
    let mut decoded = uri_decode(path, PlusDecoding::Keep).ok()?;
    if let Some(nul) = decoded.iter().position(|&b| b == 0) {
        decoded.truncate(nul);
    }
    Some(Cow::Owned(decoded))
}
