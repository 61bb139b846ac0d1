//! The table through which the process-wide handler reaches each handler-based source:
//! one slot per source, only atomics, so that the handler reads it without locks.

use std::io;
#[cfg(unix)]
use std::sync::atomic::AtomicI32;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many sources the handler can serve at once.
pub(super) const SLOT_COUNT: usize = 64;

/// Where the handler sends a source's signals: an atomic descriptor (Unix) or socket
/// (Windows) number, with one value that marks the slot free.
pub(super) trait Target {
    type Raw: Copy + PartialEq;
    /// The value of a free slot.
    const FREE: Self::Raw;
    fn get(&self) -> Self::Raw;
    fn set(&self, raw: Self::Raw);
    /// Takes a free target for `raw`; false when it is in use.
    fn try_claim(&self, raw: Self::Raw) -> bool;
}

/// The write end of a source's pipe.
#[cfg(unix)]
impl Target for AtomicI32 {
    type Raw = i32;
    const FREE: i32 = -1;
    fn get(&self) -> i32 {
        self.load(Ordering::SeqCst)
    }
    fn set(&self, raw: i32) {
        self.store(raw, Ordering::SeqCst);
    }
    fn try_claim(&self, raw: i32) -> bool {
        self.compare_exchange(-1, raw, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

/// The writing socket of a source's loopback pair.
#[cfg(windows)]
impl Target for AtomicU64 {
    type Raw = u64;
    const FREE: u64 = u64::MAX;
    fn get(&self) -> u64 {
        self.load(Ordering::SeqCst)
    }
    fn set(&self, raw: u64) {
        self.store(raw, Ordering::SeqCst);
    }
    fn try_claim(&self, raw: u64) -> bool {
        self.compare_exchange(u64::MAX, raw, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

/// One source's entry in the handler's table.
pub(super) struct Slot<T> {
    /// Where the handler sends; `Target::FREE` while the slot is free.
    pub(super) target: T,
    /// Bit `n - 1` is set while the source watches signal `n`.
    pub(super) signals: AtomicU64,
    /// Handlers currently between reading `target` and finishing their send. The owner
    /// waits for zero after unpublishing a target and before closing it, so a handler
    /// never sends to a closed (or reused) descriptor or socket.
    pub(super) in_flight: AtomicU32,
}

impl<T> Slot<T> {
    /// A free slot; `free` must hold `Target::FREE`.
    pub(super) const fn new(free: T) -> Slot<T> {
        Slot {
            target: free,
            signals: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
        }
    }
}

/// Takes a free slot of `table` for `raw`.
pub(super) fn claim_slot_in<T: Target>(table: &[Slot<T>], raw: T::Raw) -> Option<usize> {
    table.iter().position(|slot| slot.target.try_claim(raw))
}

/// The slot of `table` that a source holds at `index`, taking a free one for `raw` at
/// the source's first watch.
pub(super) fn claimed_slot<T: Target>(
    table: &'static [Slot<T>],
    index: &mut Option<usize>,
    raw: T::Raw,
) -> io::Result<&'static Slot<T>> {
    if let Some(slot) = index.and_then(|held| table.get(held)) {
        return Ok(slot);
    }
    let claimed = claim_slot_in(table, raw).ok_or_else(|| {
        io::Error::other("too many signal receivers in the process (handler table full)")
    })?;
    *index = Some(claimed);
    table
        .get(claimed)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Frees `slot`; once this returns, no handler will send to the target it held.
pub(super) fn release_slot<T: Target>(slot: &Slot<T>) {
    slot.signals.store(0, Ordering::SeqCst);
    slot.target.set(T::FREE);
    wait_for_handlers(slot);
}

/// Waits until no handler is using the target `slot` held before its last change.
pub(super) fn wait_for_handlers<T>(slot: &Slot<T>) {
    // A handler finishes in microseconds. The limit only matters after fork(), where a
    // count may belong to a thread that no longer exists.
    let start = Instant::now();
    while slot.in_flight.load(Ordering::SeqCst) != 0 && start.elapsed() < Duration::from_secs(1) {
        std::thread::yield_now();
    }
}

/// For the handler: calls `send` with the target of every slot of `table` watching
/// `bit`, counted in flight meanwhile. Atomics only: async-signal-safe as long as
/// `send` is.
pub(super) fn send_to_watchers<T: Target>(
    table: &[Slot<T>],
    bit: u64,
    mut send: impl FnMut(T::Raw),
) {
    for slot in table {
        if slot.signals.load(Ordering::Relaxed) & bit == 0 {
            continue;
        }
        slot.in_flight.fetch_add(1, Ordering::SeqCst);
        let raw = slot.target.get();
        if raw != T::FREE && slot.signals.load(Ordering::SeqCst) & bit != 0 {
            send(raw);
        }
        slot.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
