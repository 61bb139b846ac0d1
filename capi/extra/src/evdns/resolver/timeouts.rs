//! The retransmit timeouts of the transactions in flight: one timer event per base
//! over a list of deadlines, instead of one event per transaction that is made,
//! added, deleted and freed for every query.
//!
//! Every transaction gets the same timeout, so a new deadline almost always goes at
//! the tail; the list is doubly linked through `Slot`s kept beside the transactions
//! (same keys), so taking a transaction out is O(1) too. The event is armed for the
//! head's deadline, moved only when an earlier deadline arrives, and deleted when the
//! list empties (a pending timer would keep the loop running). Answers take the head
//! away without moving the event: it then fires early once and is armed again.
//!
//! When it fires, due entries are taken off the head one at a time, each handled
//! before the next is looked at: one whose timer the handling of an earlier one
//! stopped is no longer in the list, as a deleted libevent timer does not run even
//! when it was already due.

use std::time::{Duration, Instant};

/// The list state of one transaction.
#[derive(Clone, Copy, Default)]
pub struct Slot {
    /// When its timeout expires; None when not in the list.
    pub deadline: Option<Instant>,
    prev: Option<usize>,
    next: Option<usize>,
}

/// What the timer event has to do after a change.
#[derive(Debug, PartialEq, Eq)]
pub enum TimerChange {
    None,
    /// Arm (or move) the event to fire after this long.
    Arm(Duration),
    /// Delete the event: nothing waits.
    Delete,
}

/// The list's ends and the deadline the event is armed for.
#[derive(Default)]
pub struct Deadlines {
    head: Option<usize>,
    tail: Option<usize>,
    armed_for: Option<Instant>,
}

/// Access to the `Slot` of each transaction key.
pub trait Slots {
    fn slot(&mut self, key: usize) -> &mut Slot;
}

impl Deadlines {
    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Puts `key` in the list with `deadline` (taking it out first if it was in).
    pub fn arm(
        &mut self,
        slots: &mut impl Slots,
        key: usize,
        deadline: Instant,
        now: Instant,
    ) -> TimerChange {
        self.unlink(slots, key);
        // From the tail back to the last deadline not after this one.
        let mut after = self.tail;
        while let Some(at) = after {
            let slot = slots.slot(at);
            if slot.deadline.is_some_and(|d| d <= deadline) {
                break;
            }
            after = slot.prev;
        }
        let next = match after {
            Some(at) => slots.slot(at).next,
            None => self.head,
        };
        *slots.slot(key) = Slot {
            deadline: Some(deadline),
            prev: after,
            next,
        };
        match after {
            Some(at) => slots.slot(at).next = Some(key),
            None => self.head = Some(key),
        }
        match next {
            Some(at) => slots.slot(at).prev = Some(key),
            None => self.tail = Some(key),
        }
        if self.armed_for.is_none_or(|armed| deadline < armed) {
            self.armed_for = Some(deadline);
            TimerChange::Arm(deadline.saturating_duration_since(now))
        } else {
            TimerChange::None
        }
    }

    /// Takes `key` out of the list (nothing when it is not in).
    pub fn disarm(&mut self, slots: &mut impl Slots, key: usize) -> TimerChange {
        if !self.unlink(slots, key) {
            return TimerChange::None;
        }
        if self.head.is_none() && self.armed_for.take().is_some() {
            TimerChange::Delete
        } else {
            TimerChange::None
        }
    }

    fn unlink(&mut self, slots: &mut impl Slots, key: usize) -> bool {
        let slot = slots.slot(key);
        if slot.deadline.is_none() {
            return false;
        }
        let (prev, next) = (slot.prev, slot.next);
        *slot = Slot::default();
        match prev {
            Some(at) => slots.slot(at).next = next,
            None => self.head = next,
        }
        match next {
            Some(at) => slots.slot(at).prev = prev,
            None => self.tail = prev,
        }
        true
    }

    /// The timer fired: it is no longer armed.
    pub fn fired(&mut self) {
        self.armed_for = None;
    }

    /// Takes the head out when it is due at `now`.
    pub fn pop_due(&mut self, slots: &mut impl Slots, now: Instant) -> Option<usize> {
        let key = self.head?;
        if slots.slot(key).deadline.is_some_and(|d| d > now) {
            return None;
        }
        self.unlink(slots, key);
        Some(key)
    }

    /// After the due entries were handled: the event is armed for the head's
    /// deadline unless it already is for an earlier one.
    pub fn rearm(&mut self, slots: &mut impl Slots, now: Instant) -> TimerChange {
        let Some(key) = self.head else {
            return TimerChange::None;
        };
        let deadline = slots.slot(key).deadline.unwrap_or(now);
        if self.armed_for.is_none_or(|armed| deadline < armed) {
            self.armed_for = Some(deadline);
            TimerChange::Arm(deadline.saturating_duration_since(now))
        } else {
            TimerChange::None
        }
    }
}
