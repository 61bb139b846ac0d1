//! A heap value reached only through its pointer.
//!
//! The loop links some of the core's objects by pointer (internal events, common-timeout
//! queues, a buffer's deferred run). If their owner held them in a `Box`, every move or
//! borrow of the owner would assert uniqueness over them and invalidate those pointers;
//! `Owned` keeps only the pointer and frees the value on drop.

use std::ptr::NonNull;

pub struct Owned<T>(NonNull<T>);

impl<T> Owned<T> {
    pub fn new(value: T) -> Owned<T> {
        Owned(NonNull::from(Box::leak(Box::new(value))))
    }

    /// [`Owned::new`], or None when memory runs out.
    pub fn try_new(value: T) -> Option<Owned<T>> {
        super::try_box(value).map(|b| Owned(NonNull::from(Box::leak(b))))
    }

    pub fn ptr(&self) -> NonNull<T> {
        self.0
    }

    /// A short borrow, for code that hands out no pointer meanwhile.
    pub fn get(&self) -> &T {
        // SAFETY: owned and live until drop; the borrow follows `&self`.
        unsafe { self.0.as_ref() }
    }

    /// A short exclusive borrow, for code that hands out no pointer meanwhile.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: owned and live until drop; the borrow follows `&mut self`.
        unsafe { self.0.as_mut() }
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: leaked from a Box in `new` or `try_new` and dropped once, here.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
