//! Crossing the C boundary: C handles to Rust objects and back, status answers, and
//! typed views of the other pointer arguments.
//!
//! Every opaque C type (`struct event_base`, `struct evbuffer`, ...) is declared with
//! [`castable!`], which ties it to the core type behind it and to one way of owning it:
//!
//! - [`OwnershipBox`]: C holds a box given up with [`to_boxed_mut_ptr`] and gives it
//!   back to be freed ([`to_box`], [`free_box`]). A core type that frees itself in its
//!   own way takes the box back from [`to_box`] (or, as a pointer, [`to_box_ptr`]) and
//!   does the rest.
//! - [`OwnershipArc`]: C holds one counted reference of an `Arc`
//!   ([`to_arc_const_ptr`], [`clone_arc`], [`free_arc`]).
//! - [`OwnershipRef`]: the core keeps the object and frees it through its own methods;
//!   C holds a pointer to it ([`to_mut_ptr`], [`try_nonnull`]).
//!
//! A C type has one kind, so it cannot be released two ways. Entry points borrow
//! handles with [`try_ref_from_ptr!`] and [`try_mut_from_ptr!`], which return the
//! function's failure answer for NULL. Nowhere else in this crate does `as` or `cast`
//! turn one handle type into another.
//!
//! The unsafe functions here rely on the crate's pointer contract (see the crate root)
//! and state only what they add to it.

use std::ffi::{c_char, c_int, CStr};
use std::io;
use std::ptr::NonNull;
use std::sync::Arc;

/// C holds a box ([`Castable::Ownership`]).
pub(crate) struct OwnershipBox;
/// C holds one counted reference of an `Arc`.
pub(crate) struct OwnershipArc;
/// The core keeps the object; C holds a pointer to it.
pub(crate) struct OwnershipRef;

/// One of [`OwnershipBox`], [`OwnershipArc`], [`OwnershipRef`].
pub(crate) trait OwnershipMarker {}
impl OwnershipMarker for OwnershipBox {}
impl OwnershipMarker for OwnershipArc {}
impl OwnershipMarker for OwnershipRef {}

/// A C handle type, the core type behind it, and how C owns it. An associated type
/// rather than a parameter, so that a C type has exactly one kind.
pub(crate) trait Castable {
    type Ownership: OwnershipMarker;
    type RustType;
}

/// Declares an opaque C handle type (never constructed in Rust, only pointed to) and
/// its [`Castable`] entry: `castable!(c_name => RustType, OwnershipKind)`.
macro_rules! castable {
    ($(#[$doc:meta])* $c:ident => $rust:ty, $kind:ident) => {
        $(#[$doc])*
        pub struct $c {
            _opaque: [u8; 0],
            _not_send_sync_unpin: ::core::marker::PhantomData<(*mut u8, ::core::marker::PhantomPinned)>,
        }

        impl $crate::ffi::Castable for $c {
            type Ownership = $crate::ffi::$kind;
            type RustType = $rust;
        }
    };
}

#[inline(always)]
fn cast_const_ptr<C: Castable>(p: *const C) -> *const C::RustType {
    p.cast()
}

#[inline(always)]
fn cast_mut_ptr<C: Castable>(p: *mut C) -> *mut C::RustType {
    p.cast()
}

// ----- handing objects to C -------------------------------------------------------------

/// Gives a box to C.
pub(crate) fn to_boxed_mut_ptr<C>(b: Box<C::RustType>) -> *mut C
where
    C: Castable<Ownership = OwnershipBox>,
{
    Box::into_raw(b).cast()
}

/// The C handle for a box that the core gave up with `Box::into_raw` on C's behalf
/// (`event_init`'s base, which the core also records).
pub(crate) fn leaked_box_to_mut_ptr<C>(p: NonNull<C::RustType>) -> *mut C
where
    C: Castable<Ownership = OwnershipBox>,
{
    p.as_ptr().cast()
}

/// Gives C one counted reference.
pub(crate) fn to_arc_const_ptr<C>(a: Arc<C::RustType>) -> *const C
where
    C: Castable<Ownership = OwnershipArc>,
{
    Arc::into_raw(a).cast()
}

/// A pointer for C to an object whose ownership does not move: a handle the core made
/// ([`OwnershipRef`]) or a view of an object that something else owns (C must not free
/// it).
#[inline]
pub(crate) fn to_mut_ptr<C: Castable>(p: *const C::RustType) -> *mut C {
    p.cast_mut().cast()
}

/// [`to_mut_ptr`] for C's `const` pointers.
#[inline]
pub(crate) fn to_const_ptr<C: Castable>(p: *const C::RustType) -> *const C {
    p.cast()
}

// ----- borrowing them back --------------------------------------------------------------

/// The object behind a handle as a pointer, or None for NULL: for calls that hand it
/// to the core as one (the core then decides when the memory goes).
#[inline]
pub(crate) fn try_nonnull<C: Castable>(p: *const C) -> Option<NonNull<C::RustType>> {
    NonNull::new(cast_const_ptr(p).cast_mut())
}

/// The object behind a handle, or None for NULL.
///
/// # Safety
/// The object stays live and unchanged except through shared access for `'a`.
#[inline]
pub(crate) unsafe fn try_from<'a, C: Castable>(p: *const C) -> Option<&'a C::RustType> {
    // SAFETY: NULL or a live object of the handle's type (crate contract).
    unsafe { cast_const_ptr(p).as_ref() }
}

/// The object behind a box handle for exclusive use, or None for NULL.
///
/// # Safety
/// Nothing else reaches the object during `'a`.
#[inline]
pub(crate) unsafe fn try_from_mut<'a, C>(p: *mut C) -> Option<&'a mut C::RustType>
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: NULL or a live box (crate contract); exclusive (the caller's guarantee).
    unsafe { cast_mut_ptr(p).as_mut() }
}

/// [`try_from`], or return from the enclosing function: with the failure answer of its
/// return type ([`FailureValue`](crate::boundary::FailureValue)), or with the value
/// given second. Used in an `unsafe` block, under the crate's pointer contract.
macro_rules! try_ref_from_ptr {
    ($p:expr) => {
        try_ref_from_ptr!($p, $crate::boundary::FailureValue::failure())
    };
    ($p:expr, $missing:expr) => {
        match $crate::ffi::try_from($p) {
            Some(object) => object,
            None => return $missing,
        }
    };
}

/// [`try_from_mut`], or return as [`try_ref_from_ptr!`] does.
macro_rules! try_mut_from_ptr {
    ($p:expr) => {
        try_mut_from_ptr!($p, $crate::boundary::FailureValue::failure())
    };
    ($p:expr, $missing:expr) => {
        match $crate::ffi::try_from_mut($p) {
            Some(object) => object,
            None => return $missing,
        }
    };
}

// ----- ending them ----------------------------------------------------------------------

/// Takes back the box behind a handle that C gives up (None for NULL).
///
/// # Safety
/// `p` is NULL or came from [`to_boxed_mut_ptr`] or [`leaked_box_to_mut_ptr`], and C
/// does not use it afterwards.
#[inline]
pub(crate) unsafe fn to_box<C>(p: *mut C) -> Option<Box<C::RustType>>
where
    C: Castable<Ownership = OwnershipBox>,
{
    let p = NonNull::new(cast_mut_ptr(p))?;
    // SAFETY: a box given up with `Box::into_raw`, now taken back once.
    Some(unsafe { Box::from_raw(p.as_ptr()) })
}

/// The box behind a handle that C gives up, still as a pointer (None for NULL): for a
/// core function that takes the box back itself (`Base::free`, whose finalizers may
/// reach the base by pointer while it runs).
#[inline]
pub(crate) fn to_box_ptr<C>(p: *mut C) -> Option<NonNull<C::RustType>>
where
    C: Castable<Ownership = OwnershipBox>,
{
    try_nonnull(p)
}

/// Frees the box behind a handle that C gives up; NULL is ignored.
///
/// # Safety
/// As for [`to_box`].
pub(crate) unsafe fn free_box<C>(p: *mut C)
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: the caller's guarantee.
    drop(unsafe { to_box(p) });
}

/// A new counted reference to the object behind an `Arc` handle, which C keeps.
///
/// # Safety
/// `p` is NULL or a live handle from [`to_arc_const_ptr`].
pub(crate) unsafe fn clone_arc<C>(p: *const C) -> Option<Arc<C::RustType>>
where
    C: Castable<Ownership = OwnershipArc>,
{
    let p = try_nonnull(p)?;
    // SAFETY: the handle holds a count, so the object is live; the new count belongs
    // to the `Arc` returned.
    unsafe {
        Arc::increment_strong_count(p.as_ptr());
        Some(Arc::from_raw(p.as_ptr()))
    }
}

/// The counted reference that C's handle holds, taken over by the caller: for calls
/// that, as libevent has it, release the caller's reference in some cases. What is not
/// released goes back to the handle with [`to_arc_const_ptr`].
///
/// # Safety
/// `p` is NULL or a live handle from [`to_arc_const_ptr`].
pub(crate) unsafe fn take_arc<C>(p: *const C) -> Option<Arc<C::RustType>>
where
    C: Castable<Ownership = OwnershipArc>,
{
    let p = try_nonnull(p)?;
    // SAFETY: the handle's count, which the caller now owns.
    Some(unsafe { Arc::from_raw(p.as_ptr()) })
}

/// Drops the counted reference of a handle that C gives up; NULL is ignored.
///
/// # Safety
/// As for [`take_arc`]; C does not use the handle afterwards.
pub(crate) unsafe fn free_arc<C>(p: *const C)
where
    C: Castable<Ownership = OwnershipArc>,
{
    // SAFETY: the caller's guarantee.
    drop(unsafe { take_arc(p) });
}

// ----- status answers -------------------------------------------------------------------

/// libevent's status answers: 0 for success, -1 for failure; a count or -1.
pub(crate) trait Status {
    fn status(self) -> c_int;
}

impl<E> Status for Result<(), E> {
    #[inline]
    fn status(self) -> c_int {
        match self {
            Ok(()) => 0,
            Err(_) => -1,
        }
    }
}

/// A count as C's `int` (larger ones wrap, as the C functions' own conversion does).
impl<E> Status for Result<usize, E> {
    #[inline]
    fn status(self) -> c_int {
        match self {
            Ok(n) => n as c_int,
            Err(_) => -1,
        }
    }
}

impl Status for bool {
    #[inline]
    fn status(self) -> c_int {
        if self {
            0
        } else {
            -1
        }
    }
}

/// [`Status`] of a system call: 0, or -1 with `errno` set to the system's error.
pub(crate) fn errno_status(result: io::Result<()>) -> c_int {
    match result {
        Ok(()) => 0,
        Err(err) => {
            if let Some(code) = err.raw_os_error() {
                evrs::util::errno::set(code);
            }
            -1
        }
    }
}

// ----- other pointer arguments ----------------------------------------------------------

/// A shared view of a caller's struct (`struct timeval`, an out-parameter to read), or
/// None for NULL.
///
/// # Safety
/// `p` is NULL or valid for reads of a `T` for `'a`.
#[inline]
pub unsafe fn borrow<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_ref() }
}

/// An exclusive view of a caller's struct, or None for NULL.
///
/// # Safety
/// `p` is NULL or valid for reads and writes of a `T` for `'a`, with no other access.
#[inline]
pub unsafe fn borrow_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }
}

/// A C string argument, or None for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
#[inline]
pub unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    // SAFETY: guaranteed by the caller.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
}

/// Stores `value` through an optional out-pointer; returns whether it was stored.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T`.
#[inline]
pub unsafe fn write_out<T>(p: *mut T, value: T) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: guaranteed by the caller.
    unsafe { p.write(value) };
    true
}
