//! The timer min-heap: events ordered by when their timeout fires. Each event records its
//! own position (`timeout_pos.heap_index`), so removal is O(log n) with no search.

use std::ptr::NonNull;

use super::raw::Event;
use super::time::Tv;

#[derive(Default)]
pub struct TimerHeap {
    /// (deadline, event); the deadline is kept here so sifting reads no event memory.
    slots: Vec<(Tv, NonNull<Event>)>,
}

/// Records `index` as the event's heap position.
///
/// # Safety
/// `event` is live and the caller holds the base's state.
#[inline]
unsafe fn set_index(event: NonNull<Event>, index: usize) {
    // SAFETY: the caller guarantees the event is live; writing a union field is sound.
    unsafe { (*event.as_ptr()).timeout_pos.heap_index = index };
}

impl TimerHeap {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The earliest deadline and its event.
    #[inline]
    pub fn peek(&self) -> Option<(Tv, NonNull<Event>)> {
        self.slots.first().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = NonNull<Event>> + '_ {
        self.slots.iter().map(|&(_, e)| e)
    }

    /// Inserts `event` with `deadline`.
    ///
    /// # Safety
    /// `event` is live, not in the heap, and stays live until removed.
    pub unsafe fn push(&mut self, deadline: Tv, event: NonNull<Event>) {
        self.slots.push((deadline, event));
        let last = self.slots.len() - 1;
        // SAFETY: every event in the heap is live (this function's contract).
        unsafe { self.sift_up(last) };
    }

    /// Gives the event at `index` (its recorded heap position) a new deadline, moving
    /// it up or down in place: cheaper than a removal and an insertion.
    ///
    /// # Safety
    /// `index` is the recorded position of a live event in this heap.
    pub unsafe fn reschedule(&mut self, index: usize, deadline: Tv) {
        self.slots[index].0 = deadline;
        // SAFETY: heap events are live.
        unsafe {
            if index > 0 && deadline < self.slots[(index - 1) / 2].0 {
                self.sift_up(index);
            } else {
                self.sift_down(index);
            }
        }
    }

    /// Removes the event at `index` (its recorded heap position).
    ///
    /// # Safety
    /// `index` is the recorded position of a live event in this heap.
    pub unsafe fn remove(&mut self, index: usize) {
        let last = self.slots.len() - 1;
        self.slots.swap(index, last);
        self.slots.pop();
        if index < self.slots.len() {
            // SAFETY: heap events are live.
            unsafe {
                set_index(self.slots[index].1, index);
                if index > 0 && self.slots[index].0 < self.slots[(index - 1) / 2].0 {
                    self.sift_up(index);
                } else {
                    self.sift_down(index);
                }
            }
        }
    }

    /// Removes and returns the earliest event.
    ///
    /// # Safety
    /// Every event in the heap is live.
    #[cfg(test)]
    pub unsafe fn pop(&mut self) -> Option<NonNull<Event>> {
        let first = self.slots.first()?.1;
        // SAFETY: 0 is the recorded index of the first event.
        unsafe { self.remove(0) };
        Some(first)
    }

    /// # Safety
    /// Heap events are live.
    unsafe fn sift_up(&mut self, mut index: usize) {
        let item = self.slots[index];
        while index > 0 {
            let parent = (index - 1) / 2;
            if self.slots[parent].0 <= item.0 {
                break;
            }
            self.slots[index] = self.slots[parent];
            // SAFETY: heap events are live.
            unsafe { set_index(self.slots[index].1, index) };
            index = parent;
        }
        self.slots[index] = item;
        // SAFETY: heap events are live.
        unsafe { set_index(item.1, index) };
    }

    /// # Safety
    /// Heap events are live.
    unsafe fn sift_down(&mut self, mut index: usize) {
        let len = self.slots.len();
        let item = self.slots[index];
        loop {
            let left = 2 * index + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.slots[right].0 < self.slots[left].0 {
                right
            } else {
                left
            };
            if item.0 <= self.slots[child].0 {
                break;
            }
            self.slots[index] = self.slots[child];
            // SAFETY: heap events are live.
            unsafe { set_index(self.slots[index].1, index) };
            index = child;
        }
        self.slots[index] = item;
        // SAFETY: heap events are live.
        unsafe { set_index(item.1, index) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::MaybeUninit;

    fn events(n: usize) -> Vec<Event> {
        // SAFETY: Event is plain data for which all-zero bytes are a valid value.
        (0..n)
            .map(|_| unsafe { MaybeUninit::<Event>::zeroed().assume_init() })
            .collect()
    }

    #[test]
    fn pops_in_deadline_order_and_removes_from_the_middle() {
        let mut evs = events(50);
        let mut heap = TimerHeap::default();
        let deadlines: Vec<i64> = (0..50).map(|i| (i * 37) % 50).collect();
        for (ev, &d) in evs.iter_mut().zip(&deadlines) {
            // SAFETY: the events outlive the heap.
            unsafe { heap.push(Tv { sec: d, usec: 0 }, NonNull::from(ev)) };
        }
        // Remove the event with deadline 10 using its recorded index.
        let target = deadlines.iter().position(|&d| d == 10).unwrap();
        // SAFETY: the event is in the heap, so its index is recorded.
        unsafe { heap.remove(evs[target].timeout_pos.heap_index) };
        let mut last = -1;
        let mut count = 0;
        // SAFETY: all events are live.
        while let Some(ev) = unsafe { heap.pop() } {
            let i = (ev.as_ptr() as usize - evs.as_ptr() as usize) / size_of::<Event>();
            assert!(deadlines[i] > last);
            assert_ne!(deadlines[i], 10);
            last = deadlines[i];
            count += 1;
        }
        assert_eq!(count, 49);
    }
}
