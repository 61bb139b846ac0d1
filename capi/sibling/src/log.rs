//! Messages through libevent_core's log: the program's `event_set_log_callback`, or
//! standard error, and the debug mask for debug messages.

use std::ffi::{c_int, CStr};
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

/// Longest message written; libevent's own log buffer is smaller (512 bytes).
const MAX_MESSAGE: usize = 1024;

/// A message being formatted on the stack: no allocation, so that logging works when
/// memory has run out. Longer text is cut off.
pub struct StackText {
    buf: [u8; MAX_MESSAGE],
    len: usize,
}

impl StackText {
    pub fn new() -> StackText {
        StackText {
            buf: [0; MAX_MESSAGE],
            len: 0,
        }
    }

    /// `message` formatted, cut at its first NUL byte or at the buffer's end.
    pub fn format(message: fmt::Arguments<'_>) -> StackText {
        let mut text = StackText::new();
        // The writer never fails; a failing Display impl leaves what was written.
        let _ = fmt::Write::write_fmt(&mut text, message);
        text
    }

    /// The text, NUL-terminated.
    pub fn as_c_str(&mut self) -> &CStr {
        let end = self.buf[..self.len]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.len);
        self.buf[end] = 0;
        CStr::from_bytes_until_nul(&self.buf[..=end]).unwrap_or_default()
    }
}

impl Default for StackText {
    fn default() -> Self {
        StackText::new()
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // One byte stays free for the NUL.
        let room = MAX_MESSAGE - 1 - self.len;
        let take = text.len().min(room);
        self.buf[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// Writes one message; interior NUL bytes end it early, as in C.
pub fn emit(severity: Severity, message: fmt::Arguments<'_>) {
    let mut text = StackText::format(message);
    // SAFETY: `text` is NUL-terminated and outlives the call.
    unsafe { sys::evrs_sibling_log(severity as c_int, text.as_c_str().as_ptr()) }
}

/// Writes a warning.
pub fn warn(message: fmt::Arguments<'_>) {
    emit(Severity::Warn, message);
}

/// Writes a debug message (shown only while the core's debug logging is on).
pub fn debug(message: fmt::Arguments<'_>) {
    emit(Severity::Debug, message);
}
