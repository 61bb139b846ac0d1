//! The core's own buffer callbacks: Rust functions run when a buffer changes.
//!
//! A program's buffer callback is a C function and its `void *`. The core's callbacks
//! (a bufferevent's read high-watermark, the output callbacks that start writing, a
//! filter's input and output hooks) are [`ChangeHandler`]s instead, bound to the object
//! they work on once, by the generic [`OnChange::new`]: the target keeps its type and
//! nothing casts a `void *`. They run inside a panic catch, like the loop's handlers.

use std::ffi::c_void;
use std::ptr::NonNull;

use super::CallbackInfo;
use crate::event::handler::run_caught;

/// One kind of the core's buffer callback. Implemented by a unit type per callback, so
/// one target type (a bufferevent, say) can have several.
pub trait ChangeHandler {
    /// The object the handler works on.
    type Target;
    /// Runs after a change of the buffer it is registered with, with the report a
    /// program's `evbuffer_cb_func` would get.
    ///
    /// `target` is the pointer given to [`OnChange::new`]; keeping it alive while the
    /// callback is registered is the registering code's duty.
    fn run(target: NonNull<Self::Target>, info: &CallbackInfo);
}

/// What a core entry of a buffer's callback list stores in its function slot.
pub(super) type ChangeFn = fn(NonNull<c_void>, &CallbackInfo);

/// A [`ChangeHandler`] bound to its target: what a core entry of a buffer's callback
/// list runs.
#[derive(Clone, Copy, Debug)]
pub struct OnChange {
    run: ChangeFn,
    target: NonNull<c_void>,
}

impl OnChange {
    /// Binds handler `H` to `target`.
    pub fn new<H: ChangeHandler>(target: NonNull<H::Target>) -> OnChange {
        OnChange {
            run: run_erased::<H>,
            target: target.cast(),
        }
    }

    /// The two words a callback entry stores: the function and, in its `arg`, the
    /// target (so a core entry is no larger than a program's).
    pub(super) fn into_parts(self) -> (ChangeFn, *mut c_void) {
        (self.run, self.target.as_ptr())
    }

    /// Rebuilds a handler from the two words an entry stores.
    pub(super) fn from_parts(run: ChangeFn, target: *mut c_void) -> Option<OnChange> {
        NonNull::new(target).map(|target| OnChange { run, target })
    }

    /// Runs the handler; a panic in it is caught and reported, and the buffer goes
    /// on with its other callbacks.
    #[inline]
    pub(super) fn call(self, info: &CallbackInfo) {
        let (run, target) = (self.run, self.target);
        run_caught("evbuffer", || run(target, info));
    }
}

/// The only place a target goes back to its type: `OnChange::new::<H>` stored a
/// pointer to `H::Target` beside this very function.
fn run_erased<H: ChangeHandler>(target: NonNull<c_void>, info: &CallbackInfo) {
    H::run(target.cast(), info);
}

#[cfg(test)]
mod tests {
    use super::super::{CallbackFn, Evbuffer, CB_ENABLED};
    use super::*;
    use std::cell::{Cell, RefCell};

    /// What the test handlers saw, in order.
    #[derive(Default)]
    struct Seen {
        calls: RefCell<Vec<(&'static str, CallbackInfo)>>,
        panics_left: Cell<u32>,
    }

    impl Seen {
        fn note(target: NonNull<Seen>, name: &'static str, info: &CallbackInfo) {
            // SAFETY: each test keeps its `Seen` alive while its buffer can call back.
            let seen = unsafe { target.as_ref() };
            seen.calls.borrow_mut().push((name, *info));
        }

        fn names(&self) -> Vec<&'static str> {
            self.calls.borrow().iter().map(|(n, _)| *n).collect()
        }
    }

    struct First;
    impl ChangeHandler for First {
        type Target = Seen;
        fn run(target: NonNull<Seen>, info: &CallbackInfo) {
            Seen::note(target, "first", info);
        }
    }

    struct Second;
    impl ChangeHandler for Second {
        type Target = Seen;
        fn run(target: NonNull<Seen>, info: &CallbackInfo) {
            Seen::note(target, "second", info);
        }
    }

    /// Panics while `panics_left` lasts, then behaves.
    struct Faulty;
    impl ChangeHandler for Faulty {
        type Target = Seen;
        fn run(target: NonNull<Seen>, info: &CallbackInfo) {
            // SAFETY: as in `Seen::note`.
            let left = unsafe { target.as_ref() }.panics_left.get();
            if left > 0 {
                // SAFETY: as in `Seen::note`
                unsafe { target.as_ref() }.panics_left.set(left - 1);
                panic!("buffer handler failure");
            }
            Seen::note(target, "faulty", info);
        }
    }

    /// A program-style C callback, to check the order among both kinds.
    unsafe extern "C" fn program_cb(
        _buf: *mut Evbuffer,
        info: *const CallbackInfo,
        arg: *mut c_void,
    ) {
        // SAFETY: registered below with a live `Seen`; `info` is the buffer's report.
        unsafe { Seen::note(NonNull::new_unchecked(arg.cast()), "program", &*info) };
    }

    #[test]
    fn binds_each_handler_to_its_target() {
        let (a, b) = (Seen::default(), Seen::default());
        let info = CallbackInfo {
            orig_size: 1,
            n_added: 2,
            n_deleted: 3,
        };
        OnChange::new::<First>(NonNull::from(&a)).call(&info);
        OnChange::new::<Second>(NonNull::from(&b)).call(&info);
        let (run, target) = OnChange::new::<Second>(NonNull::from(&a)).into_parts();
        OnChange::from_parts(run, target)
            .unwrap()
            .call(&CallbackInfo::default());
        assert_eq!(
            *a.calls.borrow(),
            [("first", info), ("second", CallbackInfo::default())]
        );
        assert_eq!(*b.calls.borrow(), [("second", info)]);
    }

    #[test]
    fn a_panic_in_a_handler_is_caught() {
        let seen = Seen::default();
        seen.panics_left.set(1);
        OnChange::new::<Faulty>(NonNull::from(&seen)).call(&CallbackInfo::default());
        assert!(seen.calls.borrow().is_empty());
        OnChange::new::<Faulty>(NonNull::from(&seen)).call(&CallbackInfo::default());
        assert_eq!(seen.names(), ["faulty"]);
    }

    #[test]
    fn runs_in_the_callback_list_with_program_callbacks() {
        let seen = Seen::default();
        let buf = Evbuffer::new();
        let arg = (&seen as *const Seen).cast_mut().cast::<c_void>();
        let first = buf
            .add_handler(OnChange::new::<First>(NonNull::from(&seen)))
            .unwrap();
        let cb: CallbackFn = program_cb;
        buf.add_callback(Some(cb), arg).unwrap();
        let second = buf
            .add_handler(OnChange::new::<Second>(NonNull::from(&seen)))
            .unwrap();
        buf.add(b"hello").unwrap();
        // Newest first, whatever the kind; each gets the same report.
        assert_eq!(seen.names(), ["second", "program", "first"]);
        let report = CallbackInfo {
            orig_size: 0,
            n_added: 5,
            n_deleted: 0,
        };
        assert!(seen.calls.borrow().iter().all(|(_, info)| *info == report));

        // Flags work on core entries as on the program's.
        seen.calls.borrow_mut().clear();
        assert!(buf.update_callback_flags(second, 0, CB_ENABLED));
        buf.drain(2).unwrap();
        assert_eq!(seen.names(), ["program", "first"]);
        assert!(buf.update_callback_flags(second, CB_ENABLED, 0));

        // `evbuffer_remove_cb` names a C function, which a core entry does not have.
        assert!(!buf.remove_callback(None, std::ptr::null_mut()));
        assert!(buf.remove_callback(Some(cb), arg));
        assert!(buf.remove_callback_entry(first));
        assert!(!buf.remove_callback_entry(first));
        seen.calls.borrow_mut().clear();
        buf.drain(1).unwrap();
        assert_eq!(seen.names(), ["second"]);

        // `evbuffer_setcb` clears every callback, the core's included.
        assert!(buf.set_legacy_callback(None, std::ptr::null_mut()));
        seen.calls.borrow_mut().clear();
        buf.drain(1).unwrap();
        assert!(seen.calls.borrow().is_empty());
    }

    #[test]
    fn a_panicking_handler_leaves_the_buffer_and_the_other_callbacks_working() {
        let seen = Seen::default();
        seen.panics_left.set(1);
        let buf = Evbuffer::new();
        buf.add_handler(OnChange::new::<First>(NonNull::from(&seen)))
            .unwrap();
        buf.add_handler(OnChange::new::<Faulty>(NonNull::from(&seen)))
            .unwrap();
        assert_eq!(buf.add(b"abc"), Ok(()));
        assert_eq!(buf.len(), 3);
        assert_eq!(seen.names(), ["first"]);
        buf.drain(1).unwrap();
        assert_eq!(seen.names(), ["first", "faulty", "first"]);
    }
}
