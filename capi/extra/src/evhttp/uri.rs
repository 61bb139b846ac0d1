//! `struct evhttp_uri`: a URI (`evrs_http_proto::uri::Uri`) behind an opaque C pointer.
//!
//! The object lives in a block of the core's allocator (through the library's global
//! allocator), so `event_set_mem_functions` governs it as it does libevent's. The
//! getters hand C pointers into the stored parts, which are kept NUL-terminated; such a
//! pointer stays valid until that part is set again or the URI is freed, as in
//! libevent.

use std::alloc::{self, Layout};
use std::ffi::c_char;
use std::ptr::{self, NonNull};

use evrs_http_proto::uri::{Part, Uri};

/// `struct evhttp_uri` (opaque to C).
pub struct evhttp_uri {
    uri: Uri,
}

impl evhttp_uri {
    /// Moves `uri` into a new object for C; `None` when memory runs out (libevent
    /// answers NULL then), where `Box::new` would end the process.
    pub fn into_raw(uri: Uri) -> Option<NonNull<evhttp_uri>> {
        let layout = Layout::new::<evhttp_uri>();
        // SAFETY: the layout is that of a non-zero-sized type.
        let block = NonNull::new(unsafe { alloc::alloc(layout) }.cast::<evhttp_uri>())?;
        // SAFETY: the block is fresh, and sized and aligned for an `evhttp_uri`.
        unsafe { block.as_ptr().write(evhttp_uri { uri }) };
        Some(block)
    }

    /// A new object holding the parse of `text`; NULL if the text is not a valid URI
    /// reference or memory runs out.
    pub fn parse_to_raw(text: &[u8], flags: u32) -> *mut evhttp_uri {
        Uri::parse(text, flags)
            .ok()
            .and_then(Self::into_raw)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    /// Like [`Self::parse_to_raw`] for the authority form of a request target
    /// ("host:port", for CONNECT).
    pub fn parse_authority_to_raw(text: &[u8], flags: u32) -> *mut evhttp_uri {
        Uri::parse_authority_form(text, flags)
            .ok()
            .and_then(Self::into_raw)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    /// Frees an object from [`Self::into_raw`]; NULL is ignored.
    ///
    /// # Safety
    /// `uri` is NULL or a live object from [`Self::into_raw`], not used afterwards.
    pub unsafe fn free(uri: *mut evhttp_uri) {
        if !uri.is_null() {
            // SAFETY: the object was written into a block allocated with its own layout
            // from the global allocator, which is how a Box holds it.
            drop(unsafe { Box::from_raw(uri) });
        }
    }

    /// The URI behind a C pointer, or `None` for NULL.
    ///
    /// # Safety
    /// `uri` is NULL or a live object from [`Self::into_raw`], not changed while the
    /// reference is used.
    pub unsafe fn get<'a>(uri: *const evhttp_uri) -> Option<&'a Uri> {
        // SAFETY: the caller gives NULL or a live object.
        unsafe { uri.as_ref() }.map(|object| &object.uri)
    }

    /// The URI behind a C pointer for changing, or `None` for NULL.
    ///
    /// # Safety
    /// `uri` is NULL or a live object from [`Self::into_raw`], not used otherwise while
    /// the reference is.
    pub unsafe fn get_mut<'a>(uri: *mut evhttp_uri) -> Option<&'a mut Uri> {
        // SAFETY: the caller gives NULL or a live object used only through this.
        unsafe { uri.as_mut() }.map(|object| &mut object.uri)
    }
}

/// A C pointer to a stored part, NULL for a missing one.
pub fn part_ptr(part: Option<&Part>) -> *const c_char {
    part.map_or(ptr::null(), |part| part.as_bytes_with_nul().as_ptr().cast())
}
