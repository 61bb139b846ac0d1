//! The core's own continuations: Rust functions the loop runs for internal events.
//!
//! A program's event stores a C function and its `void *` argument. The core's events
//! (a bufferevent's I/O and timeouts, rate-limit refills, a listener's socket, the
//! base's wake-up, signal, common-timeout, once and loopexit events) and its bare
//! callbacks (deferred buffer and bufferevent runs) store a [`Handler`] instead: a Rust
//! function paired with the object it works on. The pairing is made once, by the
//! generic [`Handler::new`], so the target's type is checked by the compiler and no
//! handler ever casts a `void *`. The loop calls handlers inside a panic catch, as the
//! C entry points do.

use std::ffi::{c_short, c_void};
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::log;

/// One kind of internal continuation. Implemented by a unit type per handler, so one
/// target type (a bufferevent, say) can have several.
pub trait EventHandler {
    /// The object the handler works on.
    type Target;
    /// Runs for the event's result: `fd` and `what` as a program's callback would get
    /// them; a bare callback or a finalizer gets -1 and 0 (or `EV_FINALIZE`).
    ///
    /// `target` is the pointer given to [`Handler::new`]; keeping it alive while the
    /// event or callback can run is the registering code's duty.
    fn run(target: NonNull<Self::Target>, fd: RawFd, what: c_short);
}

/// What a handler slot of `struct event_callback` holds in its function field.
pub type HandlerFn = fn(NonNull<c_void>, RawFd, c_short);

/// A handler bound to its target: what an internal event runs.
#[derive(Clone, Copy, Debug)]
pub struct Handler {
    run: HandlerFn,
    target: NonNull<c_void>,
}

impl Handler {
    /// Binds handler `H` to `target`.
    pub fn new<H: EventHandler>(target: NonNull<H::Target>) -> Handler {
        Handler {
            run: run_erased::<H>,
            target: target.cast(),
        }
    }

    /// Rebuilds a handler from the two words an event stores.
    pub(super) fn from_parts(run: HandlerFn, target: *mut c_void) -> Option<Handler> {
        NonNull::new(target).map(|target| Handler { run, target })
    }

    pub(super) fn function(self) -> HandlerFn {
        self.run
    }

    pub(super) fn target(self) -> *mut c_void {
        self.target.as_ptr()
    }

    /// Runs the handler; a panic in it is caught and reported, and the loop goes on.
    #[inline]
    pub fn call(self, fd: RawFd, what: c_short) {
        let (run, target) = (self.run, self.target);
        run_caught("event loop", || run(target, fd, what));
    }
}

/// Runs one of the core's continuations. A panic in it is caught and reported as
/// coming from `origin`, so it ends neither the process nor the caller's work.
#[inline]
pub fn run_caught(origin: &'static str, f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        report_panic(origin);
    }
}

/// The only place a target goes back to its type: `Handler::new::<H>` stored a
/// pointer to `H::Target` beside this very function.
fn run_erased<H: EventHandler>(target: NonNull<c_void>, fd: RawFd, what: c_short) {
    H::run(target.cast(), fd, what);
}

#[cold]
fn report_panic(origin: &str) {
    log::warn(format_args!(
        "{origin}: internal error caught in an internal callback"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Bump;
    impl EventHandler for Bump {
        type Target = Cell<i32>;
        fn run(target: NonNull<Cell<i32>>, fd: RawFd, what: c_short) {
            // SAFETY: the test keeps the cell alive across the call.
            let cell = unsafe { target.as_ref() };
            cell.set(cell.get() + fd + i32::from(what));
        }
    }

    struct Panics;
    impl EventHandler for Panics {
        type Target = ();
        fn run(_: NonNull<()>, _: RawFd, _: c_short) {
            panic!("handler failure");
        }
    }

    #[test]
    fn calls_with_its_target() {
        let cell = Cell::new(0);
        let h = Handler::new::<Bump>(NonNull::from(&cell));
        h.call(3, 4);
        let again = Handler::from_parts(h.function(), h.target()).unwrap();
        again.call(1, 0);
        assert_eq!(cell.get(), 8);
    }

    #[test]
    fn panics_are_caught() {
        Handler::new::<Panics>(NonNull::dangling()).call(-1, 0);
    }
}
