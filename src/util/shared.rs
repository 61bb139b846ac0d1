//! [`Shared`]: a counted reference that threads may share, like `Arc`, but whose
//! creation reports a failed allocation instead of ending the process.
//!
//! `Arc::new` ends the process when memory runs out (`handle_alloc_error`), and
//! `Arc::try_new` is not stable. What a C program makes while its malloc fails (a file
//! segment, a token bucket configuration, a view of memory that evbuffers share) must
//! answer NULL or -1 instead, so it is counted here: one block, a `Box<Counted<T>>`
//! allocated with a null check ([`super::try_box_or_return`]), holds the count and the
//! value, and the last reference to go drops the box. Counting follows `Arc`: relaxed
//! increments, a release decrement and an acquire fence before the value is dropped.

use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// The block behind a [`Shared`]: the count, then the value. The value is last, so that
/// a `Box<Counted<T>>` coerces to a `Box<Counted<dyn Trait>>`.
pub struct Counted<T: ?Sized> {
    refs: AtomicUsize,
    value: T,
}

impl<T> Counted<T> {
    /// A block holding `value` with one reference, or `value` back when memory runs out.
    pub fn try_boxed(value: T) -> Result<Box<Counted<T>>, T> {
        super::try_box_or_return(Counted {
            refs: AtomicUsize::new(1),
            value,
        })
        .map_err(|block| block.value)
    }
}

/// A counted reference to a `T` (possibly a trait object).
pub struct Shared<T: ?Sized> {
    block: NonNull<Counted<T>>,
    _owns: PhantomData<Counted<T>>,
}

// SAFETY: as for `Arc`: the value is reached from every thread holding a reference (so
// it must be `Sync`) and dropped by whichever lets go last (so it must be `Send`); the
// count is atomic.
unsafe impl<T: ?Sized + Send + Sync> Send for Shared<T> {}
// SAFETY: as for `Arc`: the value is reached from every thread holding a reference (so
unsafe impl<T: ?Sized + Send + Sync> Sync for Shared<T> {}

/// A count this high means references leak without end: stop, as `Arc` does.
const MAX_REFS: usize = isize::MAX as usize;

impl<T> Shared<T> {
    /// A first reference to `value`, or `value` back when memory runs out.
    pub fn try_new(value: T) -> Result<Shared<T>, T> {
        Counted::try_boxed(value).map(Shared::from_box)
    }

    /// Gives up the reference as an address for C (the value's), which
    /// [`Shared::from_raw`] takes back.
    pub fn into_raw(this: Shared<T>) -> *const T {
        let value = Self::as_ptr(&this);
        std::mem::forget(this);
        value
    }

    /// Takes back a reference given up with [`Shared::into_raw`].
    ///
    /// # Safety
    /// `value` came from `into_raw` and is taken back at most once per `into_raw`.
    pub unsafe fn from_raw(value: *const T) -> Shared<T> {
        let offset = std::mem::offset_of!(Counted<T>, value);
        // SAFETY: `value` is the `value` field of a live block, `offset` bytes into it,
        // and carries the provenance of the whole block (see `as_ptr`).
        let block = unsafe { value.byte_sub(offset) }.cast::<Counted<T>>();
        Shared {
            // SAFETY: derived from a non-null block address.
            block: unsafe { NonNull::new_unchecked(block.cast_mut()) },
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Shared<T> {
    /// Takes over a block from [`Counted::try_boxed`], which may have been coerced to a
    /// trait object on the way (`Box<Counted<dyn Trait>>`).
    pub fn from_box(block: Box<Counted<T>>) -> Shared<T> {
        Shared {
            block: NonNull::from(Box::leak(block)),
            _owns: PhantomData,
        }
    }

    /// Whether both refer to the same value.
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        std::ptr::addr_eq(a.block.as_ptr(), b.block.as_ptr())
    }

    /// The value's address, for handing to C.
    pub fn as_ptr(this: &Shared<T>) -> *const T {
        // SAFETY: the block is live while `this` is; no reference is made, so the
        // address keeps the provenance of the whole block for `from_raw`.
        unsafe { std::ptr::addr_of!((*this.block.as_ptr()).value) }
    }

    fn counted(&self) -> &Counted<T> {
        // SAFETY: the block lives until the last reference (this one or later) drops.
        unsafe { self.block.as_ref() }
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        if self.counted().refs.fetch_add(1, Ordering::Relaxed) > MAX_REFS {
            std::process::abort();
        }
        Shared {
            block: self.block,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.counted().value
    }
}

impl<T: ?Sized> Drop for Shared<T> {
    fn drop(&mut self) {
        if self.counted().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Every other reference's use of the value happens before it is dropped.
        fence(Ordering::Acquire);
        // SAFETY: the last reference; the block came from a box (`from_box`).
        drop(unsafe { Box::from_raw(self.block.as_ptr()) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    struct Flag<'a>(&'a AtomicBool);

    impl Drop for Flag<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    trait Named {
        fn name(&self) -> &str;
    }

    impl Named for String {
        fn name(&self) -> &str {
            self
        }
    }

    #[test]
    fn the_value_goes_with_the_last_reference() {
        let dropped = AtomicBool::new(false);
        let Ok(first) = Shared::try_new(Flag(&dropped)) else {
            panic!("allocation failed");
        };
        let second = first.clone();
        assert!(Shared::ptr_eq(&first, &second));
        drop(first);
        assert!(!dropped.load(Ordering::Relaxed));
        drop(second);
        assert!(dropped.load(Ordering::Relaxed));
    }

    #[test]
    fn raw_addresses_round_trip() {
        let Ok(shared) = Shared::try_new(7u8) else {
            panic!("allocation failed");
        };
        let keep = shared.clone();
        let raw = Shared::into_raw(shared);
        assert_eq!(raw, Shared::as_ptr(&keep));
        // SAFETY: `raw` came from `into_raw` just above.
        let back = unsafe { Shared::from_raw(raw) };
        assert_eq!(*back, 7);
        assert!(Shared::ptr_eq(&back, &keep));
    }

    #[test]
    fn blocks_coerce_to_trait_objects() {
        let Ok(block) = Counted::try_boxed(String::from("segment")) else {
            panic!("allocation failed");
        };
        let shared: Shared<dyn Named> = Shared::from_box(block);
        let other = shared.clone();
        assert_eq!(other.name(), "segment");
    }
}
