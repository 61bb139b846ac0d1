//! Allocation that reports failure instead of ending the process. Every Rust
//! allocation of the library goes through the program's memory functions, which may
//! fail at any time; evdns answers NULL, -1 or EVUTIL_EAI_MEMORY then, as libevent
//! does, so the paths behind its entry points allocate only through these helpers.

use std::fmt;

use crate::evdns::{Answer, Completion};

/// Memory ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl From<std::collections::TryReserveError> for OutOfMemory {
    fn from(_: std::collections::TryReserveError) -> Self {
        OutOfMemory
    }
}

/// A copy of `bytes`.
pub fn to_vec(bytes: &[u8]) -> Result<Vec<u8>, OutOfMemory> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len())?;
    copy.extend_from_slice(bytes);
    Ok(copy)
}

/// Appends `value` to `vec`.
pub fn push<T>(vec: &mut Vec<T>, value: T) -> Result<(), OutOfMemory> {
    vec.try_reserve(1)?;
    vec.push(value);
    Ok(())
}

/// A `String` that grows with `try_reserve`, so formatting fails instead of aborting.
struct TryString(String);

impl fmt::Write for TryString {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.try_reserve(text.len()).map_err(|_| fmt::Error)?;
        self.0.push_str(text);
        Ok(())
    }
}

/// `format!` that answers None when memory runs out.
pub fn format(args: fmt::Arguments<'_>) -> Option<String> {
    let mut text = TryString(String::new());
    fmt::Write::write_fmt(&mut text, args).ok()?;
    Some(text.0)
}

/// A boxed completion, or None when memory runs out.
pub fn completion<F: FnOnce(Answer) + 'static>(done: F) -> Option<Completion> {
    let boxed = evrs_sibling::alloc::try_box(done)?;
    // SAFETY: `try_box` allocated the block with `F`'s layout from the global
    // allocator, as `Box` does, and gave up ownership of it.
    let boxed = unsafe { Box::from_raw(boxed.as_ptr()) };
    Some(boxed)
}

/// Bytes shown as text, invalid UTF-8 as U+FFFD (`String::from_utf8_lossy` without
/// the copy).
pub struct Lossy<'a>(pub &'a [u8]);

impl fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}
