//! The one panic boundary every entry point runs inside.

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

/// Signed sizes (`ev_ssize_t`) report -1.
impl FailureValue for isize {
    fn failure() -> Self {
        -1
    }
}

/// Buffer positions report "not found".
impl FailureValue for evrs::buffer::BufferPtr {
    fn failure() -> Self {
        evrs::buffer::BufferPtr::NOT_FOUND
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

// Unsigned results (sizes, versions, masks), shorts (event flags) and parsed 64-bit
// integers (nothing parsed) report 0.
zero_on_failure!(u8, u16, u32, u64, usize, i16, i64);

/// Optional function pointers (callback getters) report NULL.
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

/// Reports a caught panic through the library's log.
#[cold]
pub fn report_panic(entry_point: &str) {
    evrs::log::warn(format_args!(
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
