//! Running the program's callbacks from the loop: finished lookups are queued here
//! under the base's lock, and one event per base runs them with the lock released.
//!
//! This part (the lock, the queue and its event) may outlive the base: answers
//! scheduled before `evdns_base_free` (DNS_ERR_SHUTDOWN with fail_requests) still run
//! from the loop, as libevent's deferred callbacks do, and the last user frees it.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ffi::c_short;
use std::ptr::NonNull;

use evrs_sibling::handler::{self, EventHandler};
use evrs_sibling::lock::CoreLock;
use evrs_sibling::sys;

use super::Request;
use crate::evdns::{Answer, Completion};

/// One finished lookup waiting for the loop.
pub struct Ready {
    pub completion: Completion,
    pub answer: Answer,
    /// The program's handle, freed once the completion ran (NULL for none).
    pub request: *mut Request,
}

struct State {
    queue: VecDeque<Ready>,
    event: Option<NonNull<sys::event>>,
    base_alive: bool,
    /// The dispatcher is running callbacks (so it must not be freed under it).
    running: bool,
}

pub struct Shared {
    pub lock: CoreLock,
    state: UnsafeCell<State>,
}

impl Shared {
    /// A dispatcher on `event_base`, or None when out of memory.
    pub fn new(event_base: NonNull<sys::event_base>) -> Option<NonNull<Shared>> {
        let shared = evrs_sibling::alloc::try_box(Shared {
            lock: CoreLock::new(true),
            state: UnsafeCell::new(State {
                queue: VecDeque::new(),
                event: None,
                base_alive: true,
                running: false,
            }),
        })?;
        // SAFETY: `event_base` is live; `shared` stays valid until the event is freed
        // (in `free_now`).
        let event = unsafe { handler::new_event::<Dispatcher>(event_base, shared) };
        match event {
            Some(event) => {
                // SAFETY: fresh and not shared with anyone yet.
                unsafe { (*shared.as_ref().state.get()).event = Some(event) };
                Some(shared)
            }
            None => {
                // SAFETY: fresh from try_box, known to nobody.
                drop(unsafe { Box::from_raw(shared.as_ptr()) });
                None
            }
        }
    }

    /// Queues `ready` and makes the event run them.
    ///
    /// # Safety
    /// The lock is held; `shared` is live.
    pub unsafe fn schedule(shared: NonNull<Shared>, ready: Vec<Ready>) {
        // SAFETY: the lock is held, so this is the only access to the state.
        let state = unsafe { &mut *shared.as_ref().state.get() };
        let was_empty = state.queue.is_empty();
        state.queue.extend(ready);
        if was_empty && !state.running {
            if let Some(event) = state.event {
                // SAFETY: the event is live until `free_now`.
                unsafe { sys::event_active(event.as_ptr(), sys::EV_TIMEOUT as i32, 1) };
            }
        }
    }

    /// The base is gone: free now if nothing waits, else when the queue is done.
    ///
    /// # Safety
    /// `shared` is live; the base no longer touches it after this.
    pub unsafe fn release_base(shared: NonNull<Shared>) {
        // SAFETY: `shared` is live.
        let lock = unsafe { &shared.as_ref().lock };
        lock.acquire();
        // SAFETY: the lock is held.
        let free_now = unsafe {
            let state = &mut *shared.as_ref().state.get();
            state.base_alive = false;
            state.queue.is_empty() && !state.running
        };
        lock.release();
        if free_now {
            // SAFETY: no base, no queued answer, no running dispatcher: unreachable.
            unsafe { Self::free_now(shared) };
        }
    }

    /// # Safety
    /// Nobody else can reach `shared`.
    unsafe fn free_now(shared: NonNull<Shared>) {
        // SAFETY: unreachable by anyone else, so no other reference exists.
        let event = unsafe { (*shared.as_ref().state.get()).event.take() };
        if let Some(event) = event {
            // SAFETY: our event, freed once; its callback does not run after this.
            unsafe { sys::event_free(event.as_ptr()) };
        }
        // SAFETY: allocated by try_box in `new`.
        drop(unsafe { Box::from_raw(shared.as_ptr()) });
    }
}

/// Nothing left to run and no base to queue more: the dispatcher may go.
fn batch_is_last(state: &State) -> bool {
    !state.running && !state.base_alive && state.queue.is_empty()
}

struct Dispatcher;

impl EventHandler for Dispatcher {
    type Target = Shared;

    fn fire(target: NonNull<Shared>, _what: c_short) {
        loop {
            // SAFETY: the event's target is live until `free_now`, which only runs when
            // nothing is running here.
            let lock = unsafe { &target.as_ref().lock };
            lock.acquire();
            // SAFETY: the lock is held. Taking the batch and leaving the running state
            // happen under one hold, so an answer queued meanwhile is never missed.
            let (batch, free_now) = unsafe {
                let state = &mut *target.as_ref().state.get();
                let batch: Vec<Ready> = state.queue.drain(..).collect();
                state.running = !batch.is_empty();
                (batch, batch_is_last(state))
            };
            lock.release();
            if batch.is_empty() {
                if free_now {
                    // SAFETY: the base is gone and nothing else is queued or running.
                    unsafe { Shared::free_now(target) };
                }
                return;
            }
            for ready in batch {
                let Ready {
                    completion,
                    answer,
                    request,
                } = ready;
                // One failing completion must not stop the others (nor leave the
                // dispatcher marked as running).
                let run = std::panic::AssertUnwindSafe(move || completion(answer));
                if std::panic::catch_unwind(run).is_err() {
                    evrs_sibling::log::warn(format_args!(
                        "evdns: internal error caught in a lookup's completion"
                    ));
                }
                if !request.is_null() {
                    // SAFETY: the handle came from try_box and its lookup is over.
                    drop(unsafe { Box::from_raw(request) });
                }
            }
        }
    }
}
