//! Intrusive lists: events per fd and per signal (linked through `Event::kind.link`) and
//! queues of callbacks waiting to run (linked through `EventCallback::active_link`).
//! Linking and unlinking touch only the neighbours, so they never allocate.

use std::ptr::{self, NonNull};

use super::raw::{Event, EventCallback};

/// Events of one fd or one signal; the newest first, as libevent lists them.
#[derive(Debug)]
pub struct EventList {
    head: *mut Event,
}

impl Default for EventList {
    fn default() -> Self {
        EventList {
            head: ptr::null_mut(),
        }
    }
}

impl EventList {
    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// # Safety
    /// `event` is live and in no list; it stays live until removed.
    pub unsafe fn push_front(&mut self, event: NonNull<Event>) {
        let e = event.as_ptr();
        // SAFETY: `e` and the current head are live (this function's contract and the
        // list's invariant).
        unsafe {
            (*e).kind.link.prev = ptr::null_mut();
            (*e).kind.link.next = self.head;
            if let Some(old) = self.head.as_mut() {
                old.kind.link.prev = e;
            }
        }
        self.head = e;
    }

    /// # Safety
    /// `event` is live and in this list.
    pub unsafe fn remove(&mut self, event: NonNull<Event>) {
        let e = event.as_ptr();
        // SAFETY: `e` and its neighbours are live members of this list.
        unsafe {
            let link = (*e).kind.link;
            match link.prev.as_mut() {
                Some(prev) => prev.kind.link.next = link.next,
                None => self.head = link.next,
            }
            if let Some(next) = link.next.as_mut() {
                next.kind.link.prev = link.prev;
            }
            (*e).kind.link.next = ptr::null_mut();
            (*e).kind.link.prev = ptr::null_mut();
        }
    }

    /// The first event, for walking with [`EventList::next`].
    pub fn first(&self) -> Option<NonNull<Event>> {
        NonNull::new(self.head)
    }

    /// The event after `event`.
    ///
    /// # Safety
    /// `event` is live and in a list.
    #[inline]
    pub unsafe fn next(event: NonNull<Event>) -> Option<NonNull<Event>> {
        // SAFETY: guaranteed by the caller.
        NonNull::new(unsafe { (*event.as_ptr()).kind.link.next })
    }

    /// Collects the members (for iteration that may change the list).
    pub fn to_vec(&self) -> Vec<NonNull<Event>> {
        let mut out = Vec::new();
        let mut cursor = self.first();
        while let Some(e) = cursor {
            out.push(e);
            // SAFETY: list members are live.
            cursor = unsafe { EventList::next(e) };
        }
        out
    }
}

/// Callbacks waiting to run, first in first out.
#[derive(Debug)]
pub struct CallbackQueue {
    head: *mut EventCallback,
    tail: *mut EventCallback,
}

impl Default for CallbackQueue {
    fn default() -> Self {
        CallbackQueue {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        }
    }
}

impl CallbackQueue {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    #[inline]
    pub fn first(&self) -> Option<NonNull<EventCallback>> {
        NonNull::new(self.head)
    }

    /// # Safety
    /// `cb` is live and in no queue; it stays live until removed.
    #[inline]
    pub unsafe fn push_back(&mut self, cb: NonNull<EventCallback>) {
        let c = cb.as_ptr();
        // SAFETY: `c` and the tail are live (contract and invariant).
        unsafe {
            (*c).active_link.next = ptr::null_mut();
            (*c).active_link.prev = self.tail;
            match self.tail.as_mut() {
                Some(tail) => tail.active_link.next = c,
                None => self.head = c,
            }
        }
        self.tail = c;
    }

    /// Takes the first callback off the queue.
    ///
    /// # Safety
    /// The queue's members are live.
    #[inline]
    pub unsafe fn pop_front(&mut self) -> Option<NonNull<EventCallback>> {
        let first = NonNull::new(self.head)?;
        // SAFETY: members are live; `first` is the head.
        unsafe {
            let next = (*first.as_ptr()).active_link.next;
            self.head = next;
            match next.as_mut() {
                Some(n) => n.active_link.prev = ptr::null_mut(),
                None => self.tail = ptr::null_mut(),
            }
            (*first.as_ptr()).active_link.next = ptr::null_mut();
        }
        Some(first)
    }

    /// # Safety
    /// `cb` is live and in this queue.
    #[inline]
    pub unsafe fn remove(&mut self, cb: NonNull<EventCallback>) {
        let c = cb.as_ptr();
        // SAFETY: `c` and its neighbours are live members of this queue.
        unsafe {
            let link = (*c).active_link;
            match link.prev.as_mut() {
                Some(prev) => prev.active_link.next = link.next,
                None => self.head = link.next,
            }
            match link.next.as_mut() {
                Some(next) => next.active_link.prev = link.prev,
                None => self.tail = link.prev,
            }
            (*c).active_link.next = ptr::null_mut();
            (*c).active_link.prev = ptr::null_mut();
        }
    }

    /// Collects the members (for inspection).
    pub fn to_vec(&self) -> Vec<NonNull<EventCallback>> {
        let mut out = Vec::new();
        let mut cursor = self.head;
        while let Some(c) = NonNull::new(cursor) {
            out.push(c);
            // SAFETY: queue members are live.
            cursor = unsafe { (*c.as_ptr()).active_link.next };
        }
        out
    }
}

/// Events of one common-timeout queue in deadline order (they share one duration, so
/// insertion order is deadline order), linked through `Event::timeout_pos.queue`.
#[derive(Debug)]
pub struct TimeoutQueue {
    head: *mut Event,
    tail: *mut Event,
}

impl Default for TimeoutQueue {
    fn default() -> Self {
        TimeoutQueue {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        }
    }
}

impl TimeoutQueue {
    pub fn first(&self) -> Option<NonNull<Event>> {
        NonNull::new(self.head)
    }

    /// # Safety
    /// `event` is live and in no timeout structure; it stays live until removed.
    pub unsafe fn push_back(&mut self, event: NonNull<Event>) {
        let e = event.as_ptr();
        // SAFETY: `e` and the tail are live; the queue member of the union is the one in
        // use for events in a common-timeout queue.
        unsafe {
            (*e).timeout_pos.queue = super::raw::Link {
                next: ptr::null_mut(),
                prev: self.tail,
            };
            match self.tail.as_mut() {
                Some(tail) => tail.timeout_pos.queue.next = e,
                None => self.head = e,
            }
        }
        self.tail = e;
    }

    /// # Safety
    /// `event` is live and in this queue.
    pub unsafe fn remove(&mut self, event: NonNull<Event>) {
        let e = event.as_ptr();
        // SAFETY: `e` and its neighbours are live members of this queue.
        unsafe {
            let link = (*e).timeout_pos.queue;
            match link.prev.as_mut() {
                Some(prev) => prev.timeout_pos.queue.next = link.next,
                None => self.head = link.next,
            }
            match link.next.as_mut() {
                Some(next) => next.timeout_pos.queue.prev = link.prev,
                None => self.tail = link.prev,
            }
            (*e).timeout_pos.heap_index = usize::MAX;
        }
    }

    pub fn to_vec(&self) -> Vec<NonNull<Event>> {
        let mut out = Vec::new();
        let mut cursor = self.head;
        while let Some(e) = NonNull::new(cursor) {
            out.push(e);
            // SAFETY: queue members are live and use the queue member of the union.
            cursor = unsafe { (*e.as_ptr()).timeout_pos.queue.next };
        }
        out
    }
}
