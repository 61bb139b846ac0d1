//! `struct evkeyvalq`: the header and query lists programs walk with `TAILQ_FOREACH`.
//!
//! The list lives in C memory with the layout of keyvalq_struct.h, and programs may
//! hold one on their stack (`TAILQ_INIT` and then `evhttp_parse_query`), so it is
//! reached only through raw places here. Entries and their strings come from the core's
//! memory functions, so that `evhttp_clear_headers` frees what any part of the library
//! (or a program using `event_mm_*` semantics) made.

use std::ffi::{c_char, CStr};
use std::ptr::{self, NonNull};

use evrs_sibling::sys;

/// `TAILQ_ENTRY(evkeyval)`.
#[repr(C)]
pub struct evkeyval_link {
    pub tqe_next: *mut evkeyval,
    pub tqe_prev: *mut *mut evkeyval,
}

/// `struct evkeyval`: one name/value pair owned by its list.
#[repr(C)]
pub struct evkeyval {
    pub next: evkeyval_link,
    pub key: *mut c_char,
    pub value: *mut c_char,
}

/// `struct evkeyvalq` (`TAILQ_HEAD(evkeyvalq, evkeyval)`).
#[repr(C)]
pub struct evkeyvalq {
    pub tqh_first: *mut evkeyval,
    pub tqh_last: *mut *mut evkeyval,
}

/// The core's allocator refused a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// A NUL-terminated copy of `bytes` from the core's memory functions; bytes after an
/// interior NUL are dropped, as a C string would end there.
pub fn c_string(bytes: &[u8]) -> Result<NonNull<c_char>, OutOfMemory> {
    let len = memchr_nul(bytes);
    // SAFETY: any size may be asked for; NULL means out of memory.
    let block = unsafe { sys::event_mm_malloc_(len + 1) }.cast::<u8>();
    let block = NonNull::new(block).ok_or(OutOfMemory)?;
    // SAFETY: the block holds `len + 1` bytes and is fresh, so it overlaps nothing.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), block.as_ptr(), len);
        block.as_ptr().add(len).write(0);
    }
    Ok(block.cast())
}

fn memchr_nul(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())
}

/// Frees a string from [`c_string`] (or any block of the core's memory functions).
///
/// # Safety
/// `text` is NULL or a live block of the core's memory functions, not used again.
pub unsafe fn free_c_string(text: *mut c_char) {
    // SAFETY: the caller hands over a live block of the core's allocator, or NULL.
    unsafe { sys::event_mm_free_(text.cast()) }
}

/// The bytes of a C string held by an entry (empty for NULL).
///
/// # Safety
/// `text` is NULL or NUL-terminated, and stays unchanged while the slice is used.
pub unsafe fn bytes_of<'a>(text: *const c_char) -> &'a [u8] {
    if text.is_null() {
        return &[];
    }
    // SAFETY: the caller guarantees a NUL-terminated string that outlives the slice.
    unsafe { CStr::from_ptr(text) }.to_bytes()
}

/// `TAILQ_INIT`.
///
/// # Safety
/// `list` points to writable memory for a `struct evkeyvalq`.
pub unsafe fn init(list: *mut evkeyvalq) {
    // SAFETY: the caller gives a writable list head.
    unsafe {
        (*list).tqh_first = ptr::null_mut();
        (*list).tqh_last = ptr::addr_of_mut!((*list).tqh_first);
    }
}

/// A new, empty list from the core's memory functions.
pub fn new_list() -> Result<NonNull<evkeyvalq>, OutOfMemory> {
    // SAFETY: any size may be asked for; NULL means out of memory.
    let block = unsafe { sys::event_mm_malloc_(size_of::<evkeyvalq>()) }.cast::<evkeyvalq>();
    let list = NonNull::new(block).ok_or(OutOfMemory)?;
    // SAFETY: the block is fresh and large enough for a list head.
    unsafe { init(list.as_ptr()) };
    Ok(list)
}

/// Empties and frees a list from [`new_list`].
///
/// # Safety
/// `list` is NULL or a live list from [`new_list`], not used again.
pub unsafe fn free_list(list: *mut evkeyvalq) {
    if list.is_null() {
        return;
    }
    // SAFETY: the caller hands over a live list of ours.
    unsafe {
        clear(list);
        sys::event_mm_free_(list.cast());
    }
}

/// The first entry, or NULL.
///
/// # Safety
/// `list` is a live, initialised list.
pub unsafe fn first(list: *const evkeyvalq) -> *mut evkeyval {
    // SAFETY: the caller gives a live list head.
    unsafe { (*list).tqh_first }
}

/// The entry after `entry`, or NULL.
///
/// # Safety
/// `entry` is a live entry of a list.
pub unsafe fn next(entry: *const evkeyval) -> *mut evkeyval {
    // SAFETY: the caller gives a live entry.
    unsafe { (*entry).next.tqe_next }
}

/// The first entry whose key equals `key` ignoring ASCII case, as libevent compares
/// header names.
///
/// # Safety
/// `list` is a live, initialised list whose entries hold NUL-terminated keys.
pub unsafe fn find(list: *const evkeyvalq, key: &[u8]) -> Option<NonNull<evkeyval>> {
    // SAFETY: the caller gives a live list; entries are walked without changing them.
    unsafe {
        let mut entry = first(list);
        while !entry.is_null() {
            if bytes_of((*entry).key).eq_ignore_ascii_case(key) {
                return NonNull::new(entry);
            }
            entry = next(entry);
        }
    }
    None
}

/// Appends a copy of `key` and `value` (`TAILQ_INSERT_TAIL`).
///
/// # Safety
/// `list` is a live, initialised list.
pub unsafe fn push_back(
    list: *mut evkeyvalq,
    key: &[u8],
    value: &[u8],
) -> Result<NonNull<evkeyval>, OutOfMemory> {
    let key = c_string(key)?;
    let value = match c_string(value) {
        Ok(value) => value,
        Err(e) => {
            // SAFETY: `key` was just made and is not linked anywhere.
            unsafe { free_c_string(key.as_ptr()) };
            return Err(e);
        }
    };
    // SAFETY: any size may be asked for; NULL means out of memory.
    let block = unsafe { sys::event_mm_malloc_(size_of::<evkeyval>()) }.cast::<evkeyval>();
    let Some(entry) = NonNull::new(block) else {
        // SAFETY: both strings were just made and are not linked anywhere.
        unsafe {
            free_c_string(key.as_ptr());
            free_c_string(value.as_ptr());
        }
        return Err(OutOfMemory);
    };
    // SAFETY: `entry` is fresh; `list` is a live list whose `tqh_last` points at the
    // last link (or at `tqh_first`), as TAILQ keeps it.
    unsafe {
        entry.as_ptr().write(evkeyval {
            next: evkeyval_link {
                tqe_next: ptr::null_mut(),
                tqe_prev: (*list).tqh_last,
            },
            key: key.as_ptr(),
            value: value.as_ptr(),
        });
        *(*list).tqh_last = entry.as_ptr();
        (*list).tqh_last = ptr::addr_of_mut!((*entry.as_ptr()).next.tqe_next);
    }
    Ok(entry)
}

/// Replaces an entry's value with a copy of `value`.
///
/// # Safety
/// `entry` is a live entry of a list.
pub unsafe fn set_value(entry: NonNull<evkeyval>, value: &[u8]) -> Result<(), OutOfMemory> {
    let copy = c_string(value)?;
    // SAFETY: the caller gives a live entry; its old value is ours to free.
    unsafe {
        let old = (*entry.as_ptr()).value;
        (*entry.as_ptr()).value = copy.as_ptr();
        free_c_string(old);
    }
    Ok(())
}

/// Unlinks `entry` from `list` and frees it with its strings (`TAILQ_REMOVE`).
///
/// # Safety
/// `entry` is a live entry of the live list `list`, not used again.
pub unsafe fn remove(list: *mut evkeyvalq, entry: NonNull<evkeyval>) {
    let e = entry.as_ptr();
    // SAFETY: TAILQ's invariants hold for a live list: `tqe_prev` points at the link
    // that points at `e`, and `tqh_last` at the last entry's `tqe_next`.
    unsafe {
        let following = (*e).next.tqe_next;
        if following.is_null() {
            (*list).tqh_last = (*e).next.tqe_prev;
        } else {
            (*following).next.tqe_prev = (*e).next.tqe_prev;
        }
        *(*e).next.tqe_prev = following;
        free_c_string((*e).key);
        free_c_string((*e).value);
        sys::event_mm_free_(e.cast());
    }
}

/// Removes and frees the first entry named `key`; false if there is none.
///
/// # Safety
/// `list` is a live, initialised list.
pub unsafe fn remove_first(list: *mut evkeyvalq, key: &[u8]) -> bool {
    // SAFETY: the caller gives a live list; the entry found belongs to it.
    unsafe {
        match find(list, key) {
            Some(entry) => {
                remove(list, entry);
                true
            }
            None => false,
        }
    }
}

/// Frees every entry and leaves the list empty (`evhttp_clear_headers`).
///
/// # Safety
/// `list` is a live, initialised list.
pub unsafe fn clear(list: *mut evkeyvalq) {
    // SAFETY: each entry is read before it is freed, and the head is reset at the end.
    unsafe {
        let mut entry = first(list);
        while !entry.is_null() {
            let following = next(entry);
            free_c_string((*entry).key);
            free_c_string((*entry).value);
            sys::event_mm_free_(entry.cast());
            entry = following;
        }
        init(list);
    }
}
