//! Diagnostics: libevent's log and fatal-error paths.
//!
//! Messages go to the handler installed with `event_set_log_callback`, or to standard
//! error as `[severity] message`. Debug messages are produced only while debug logging
//! is on (`event_enable_debug_logging`). A fatal error calls the handler installed with
//! `event_set_fatal_callback` and then ends the process, as libevent does.

use std::ffi::CStr;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::RwLock;

/// How serious a message is; the values are libevent's `EVENT_LOG_*` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Debug = 0,
    Msg = 1,
    Warn = 2,
    Err = 3,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Msg => "msg",
            Severity::Warn => "warn",
            Severity::Err => "err",
        }
    }
}

/// The error code libevent uses for assertion-like failures; fatal errors with it abort.
pub const ERR_ABORT: i32 = 0xdeaddead_u32 as i32;

/// Receives each message as a C string (at most [`MAX_MESSAGE`] bytes).
pub type LogHandler = Box<dyn Fn(Severity, &CStr) + Send + Sync>;
pub type FatalHandler = Box<dyn Fn(i32) + Send + Sync>;

static LOG_HANDLER: RwLock<Option<LogHandler>> = RwLock::new(None);
static FATAL_HANDLER: RwLock<Option<FatalHandler>> = RwLock::new(None);
static DEBUG_MASK: AtomicU32 = AtomicU32::new(0);

/// Installs (or with None, removes) the handler of log messages.
pub fn set_handler(handler: Option<LogHandler>) {
    *LOG_HANDLER.write().unwrap_or_else(|e| e.into_inner()) = handler;
}

/// Installs (or removes) the handler called before the process ends on a fatal error.
pub fn set_fatal_handler(handler: Option<FatalHandler>) {
    *FATAL_HANDLER.write().unwrap_or_else(|e| e.into_inner()) = handler;
}

/// Turns debug messages on for the categories in `mask` (0: off).
pub fn set_debug_mask(mask: u32) {
    DEBUG_MASK.store(mask, Ordering::Relaxed);
}

pub fn debug_mask() -> u32 {
    DEBUG_MASK.load(Ordering::Relaxed)
}

/// The longest message passed on, in bytes (as libevent's 1024-byte buffer).
pub const MAX_MESSAGE: usize = 1023;

/// A message formatted on the stack: logging allocates nothing, so it works when the
/// program's allocator is failing (which is often what is being reported).
struct MessageBuffer {
    bytes: [u8; MAX_MESSAGE + 1],
    len: usize,
}

impl fmt::Write for MessageBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == MAX_MESSAGE {
                break;
            }
            // A C string cannot hold NUL.
            self.bytes[self.len] = if b == 0 { b' ' } else { b };
            self.len += 1;
        }
        Ok(())
    }
}

/// Writes one message.
pub fn emit(severity: Severity, message: fmt::Arguments<'_>) {
    if severity == Severity::Debug && debug_mask() == 0 {
        return;
    }
    let mut text = MessageBuffer {
        bytes: [0; MAX_MESSAGE + 1],
        len: 0,
    };
    let _ = fmt::Write::write_fmt(&mut text, message);
    let c_text = CStr::from_bytes_until_nul(&text.bytes[..=text.len]).unwrap_or_default();
    let handler = LOG_HANDLER.read().unwrap_or_else(|e| e.into_inner());
    match handler.as_ref() {
        Some(handler) => handler(severity, c_text),
        None => {
            // A failed write to stderr leaves nothing better to report to.
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"[");
            let _ = err.write_all(severity.label().as_bytes());
            let _ = err.write_all(b"] ");
            let _ = err.write_all(&text.bytes[..text.len]);
            let _ = err.write_all(b"\n");
        }
    }
}

/// Writes a warning.
pub fn warn(message: fmt::Arguments<'_>) {
    emit(Severity::Warn, message);
}

/// Writes a debug message (only while debug logging is on).
pub fn debug(message: fmt::Arguments<'_>) {
    emit(Severity::Debug, message);
}

/// Reports a fatal error and ends the process: the fatal handler runs first; then the
/// process aborts for [`ERR_ABORT`] and exits with `code` otherwise.
pub fn fatal(code: i32, message: fmt::Arguments<'_>) -> ! {
    emit(Severity::Err, message);
    {
        let handler = FATAL_HANDLER.read().unwrap_or_else(|e| e.into_inner());
        if let Some(handler) = handler.as_ref() {
            handler(code);
            std::process::exit(code);
        }
    }
    if code == ERR_ABORT {
        std::process::abort();
    }
    std::process::exit(code)
}
