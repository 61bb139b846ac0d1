//! The one panic boundary every entry point of libevent_extra runs inside, and the
//! catch for the library's own callbacks that C code calls.

/// The value an entry point returns when its body panicked: libevent's failure answer
/// for that return type.
pub trait FailureValue {
    fn failure() -> Self;
}

impl FailureValue for () {
    fn failure() -> Self {}
}

impl FailureValue for std::ffi::c_int {
    fn failure() -> Self {
        -1
    }
}

macro_rules! zero_on_failure {
    ($($t:ty),*) => {$(
        impl FailureValue for $t {
            fn failure() -> Self {
                0
            }
        }
    )*};
}

// Unsigned results (counts, sizes, method bits, ports) report 0.
zero_on_failure!(u8, u16, u32, u64, usize, isize, i64);

impl<F> FailureValue for Option<F> {
    fn failure() -> Self {
        None
    }
}

impl<T> FailureValue for *const T {
    fn failure() -> Self {
        std::ptr::null()
    }
}

impl<T> FailureValue for *mut T {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}

/// Reports a caught panic through the core's log.
#[cold]
pub fn report_panic(entry_point: &str) {
    evrs_sibling::log::warn(format_args!(
        "{entry_point}: internal error caught; returning failure"
    ));
}

/// Runs an entry point's body so that no panic unwinds into C.
///
/// `ffi_boundary!(name, { body })` (or `unsafe { body }`) returns the body's value, or
/// [`FailureValue::failure`] for its type if the body panicked.
macro_rules! ffi_boundary {
    ($name:literal, unsafe { $($body:tt)* }) => {
        ffi_boundary!($name, { unsafe { $($body)* } })
    };
    ($name:literal, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => {
                $crate::boundary::report_panic($name);
                $crate::boundary::FailureValue::failure()
            }
        }
    };
}
