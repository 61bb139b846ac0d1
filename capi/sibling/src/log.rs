//! Messages through libevent_core's log: the program's `event_set_log_callback`, or
//! standard error, and the debug mask for debug messages.

use std::ffi::{c_int, CString};
use std::fmt;

use crate::sys;

/// `EVENT_LOG_*` severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Debug = 0,
    Msg = 1,
    Warn = 2,
    Err = 3,
}

/// Writes one message; interior NUL bytes end it early, as in C.
pub fn emit(severity: Severity, message: fmt::Arguments<'_>) {
    let mut text = message.to_string().into_bytes();
    if let Some(nul) = text.iter().position(|&b| b == 0) {
        text.truncate(nul);
    }
    let Ok(text) = CString::new(text) else {
        return;
    };
    // SAFETY: `text` is NUL-terminated and outlives the call.
    unsafe { sys::evrs_sibling_log(severity as c_int, text.as_ptr()) }
}

/// Writes a warning.
pub fn warn(message: fmt::Arguments<'_>) {
    emit(Severity::Warn, message);
}

/// Writes a debug message (shown only while the core's debug logging is on).
pub fn debug(message: fmt::Arguments<'_>) {
    emit(Severity::Debug, message);
}
