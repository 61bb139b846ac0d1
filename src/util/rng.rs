//! The secure random number generator: the kernel's CSPRNG.
//!
//! Bytes come straight from `getrandom(2)`, which needs no seeding by the process and
//! cannot be exhausted. Only where that call does not exist (kernels before 3.17, or a
//! sandbox that forbids it) are they read from a device file, `/dev/urandom` unless the
//! program names another.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::log;

/// The device file read when `getrandom(2)` is unavailable; None means `/dev/urandom`.
static DEVICE_FILE: Mutex<Option<PathBuf>> = Mutex::new(None);

const DEFAULT_DEVICE_FILE: &str = "/dev/urandom";

/// Names the device file to read if `getrandom(2)` is unavailable (None: the default,
/// `/dev/urandom`).
pub fn set_device_file(path: Option<PathBuf>) {
    *DEVICE_FILE.lock().unwrap_or_else(|e| e.into_inner()) = path;
}

fn device_file() -> PathBuf {
    DEVICE_FILE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DEVICE_FILE))
}

/// Fills `buf` from `getrandom(2)`. Err(None) when the call itself is unavailable.
#[cfg(not(target_vendor = "apple"))]
fn fill_from_kernel(buf: &mut [u8]) -> Result<(), Option<io::Error>> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: `rest` is writable for `rest.len()` bytes.
        let got = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if got >= 0 {
            filled += got as usize;
            continue;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::ENOSYS | libc::EPERM) => return Err(None),
            _ => return Err(Some(err)),
        }
    }
    Ok(())
}

/// Fills `buf` from the system's `arc4random_buf`, where there is no `getrandom(2)`
/// (macOS; libevent uses it there too). It cannot fail.
#[cfg(target_vendor = "apple")]
fn fill_from_kernel(buf: &mut [u8]) -> Result<(), Option<io::Error>> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    unsafe { libc::arc4random_buf(buf.as_mut_ptr().cast(), buf.len()) };
    Ok(())
}

/// Fills `buf` with cryptographically secure random bytes.
pub fn try_fill(buf: &mut [u8]) -> io::Result<()> {
    match fill_from_kernel(buf) {
        Ok(()) => Ok(()),
        Err(Some(err)) => Err(err),
        Err(None) => File::open(device_file())?.read_exact(buf),
    }
}

/// Fills `buf` with cryptographically secure random bytes. Without any source of
/// entropy there is no safe answer, so the process ends (as the C library's
/// `arc4random` does).
pub fn fill(buf: &mut [u8]) {
    if let Err(err) = try_fill(buf) {
        log::fatal(
            log::ERR_ABORT,
            format_args!("cannot get secure random bytes: {err}"),
        );
    }
}

/// Checks that random bytes can be had now, e.g. before the program gives up access to
/// the device file.
pub fn init() -> io::Result<()> {
    let mut probe = [0u8; 16];
    try_fill(&mut probe)
}

/// Accepts entropy from the program. The kernel generator keeps its own pool, which a
/// process cannot and need not feed, so the bytes are not used; libevent behaves the
/// same wherever the C library provides `arc4random`.
pub fn add_entropy(_bytes: &[u8]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_byte() {
        // Each byte stays zero in all of 8 draws with probability 2^-64.
        let mut seen = [0u8; 37];
        for _ in 0..8 {
            let mut buf = [0u8; 37];
            fill(&mut buf);
            for (s, b) in seen.iter_mut().zip(buf) {
                *s |= b;
            }
        }
        assert!(seen.iter().all(|&b| b != 0));
        assert!(init().is_ok());
        fill(&mut []);
    }
}
