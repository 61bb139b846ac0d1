//! The panic boundary every entry point of a sibling library (libevent_extra,
//! libevent_openssl, ...) runs inside, so that no panic unwinds into C: a caught panic
//! is logged through the core's log and the entry point returns libevent's failure
//! value for its return type. A sibling brings the macro in with
//! `#[macro_use] extern crate evrs_sibling;`.

/// The value an entry point returns when its body panicked: libevent's failure answer
/// for that return type.
pub trait FailureValue {
    fn failure() -> Self;
}

impl FailureValue for () {
    fn failure() -> Self {}
}

macro_rules! failure_value {
    ($value:expr => $($t:ty),*) => {$(
        impl FailureValue for $t {
            fn failure() -> Self {
                $value
            }
        }
    )*};
}

// Status codes (`int`) and signed sizes (`ev_ssize_t`) report -1.
failure_value!(-1 => i32, isize);
// Unsigned results (sizes, flags, ports), bytes, shorts and 64-bit integers (nothing
// parsed) report 0, as in the core's boundary.
failure_value!(0 => u8, u16, i16, u32, u64, i64, usize);

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

/// Reports a caught panic through the core's log.
#[cold]
pub fn report_panic(entry_point: &str) {
    crate::log::warn(format_args!(
        "{entry_point}: internal error caught; returning failure"
    ));
}

/// Runs an entry point's body so that no panic unwinds into C.
///
/// - `ffi_boundary!("name", { body })` returns the body's value, or
///   [`FailureValue::failure`] for its type if the body panicked;
/// - `ffi_boundary!("name", unsafe { body })` is the same with an unsafe body;
/// - `ffi_boundary!("name", or value, { body })` (or `unsafe { body }`) returns `value`
///   instead, for an entry point whose failure answer is not its type's usual one.
///
/// The name is any `&str` expression: a literal, or `stringify!(entry)` in a macro
/// that defines several entry points.
#[macro_export]
macro_rules! ffi_boundary {
    ($name:expr, or $failure:expr, unsafe { $($body:tt)* }) => {
        $crate::ffi_boundary!($name, or $failure, { unsafe { $($body)* } })
    };
    ($name:expr, or $failure:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => {
                $crate::boundary::report_panic($name);
                $failure
            }
        }
    };
    ($name:expr, unsafe { $($body:tt)* }) => {
        $crate::ffi_boundary!($name, { unsafe { $($body)* } })
    };
    ($name:expr, $body:block) => {
        $crate::ffi_boundary!($name, or $crate::boundary::FailureValue::failure(), $body)
    };
}
