//! A first-in first-out queue whose first few items live inline. The engine's notices
//! and the calls that wait for it come one or two at a time, so the common case
//! allocates nothing, and an idle TLS bufferevent holds no memory for either queue.

use std::collections::VecDeque;

/// Up to `N` items inline, then the rest on the heap, in order.
pub(super) struct Fifo<T: Copy, const N: usize> {
    ring: [Option<T>; N],
    /// Index of the oldest inline item.
    head: u8,
    /// Inline items.
    len: u8,
    /// Items after the inline ones, oldest first; only there while the ring is full.
    // One word while unused (almost always); a VecDeque is four.
    #[allow(clippy::box_collection)]
    spill: Option<Box<VecDeque<T>>>,
}

impl<T: Copy, const N: usize> Fifo<T, N> {
    pub(super) const fn new() -> Self {
        assert!(N > 0 && N <= u8::MAX as usize);
        Fifo {
            ring: [None; N],
            head: 0,
            len: 0,
            spill: None,
        }
    }

    fn slot(&self, offset: usize) -> usize {
        (usize::from(self.head) + offset) % N
    }

    pub(super) fn push_back(&mut self, item: T) {
        if usize::from(self.len) == N {
            self.spill
                .get_or_insert_with(Default::default)
                .push_back(item);
        } else {
            let slot = self.slot(usize::from(self.len));
            self.ring[slot] = Some(item);
            self.len += 1;
        }
    }

    pub(super) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let head = usize::from(self.head);
        let item = self.ring[head].take();
        self.head = ((head + 1) % N) as u8;
        self.len -= 1;
        // Keeps the order: spilled items come after every inline one.
        let slot = self.slot(usize::from(self.len));
        if let Some(spill) = self.spill.as_mut() {
            if let Some(next) = spill.pop_front() {
                self.ring[slot] = Some(next);
                self.len += 1;
            }
            if spill.is_empty() {
                self.spill = None;
            }
        }
        item
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap memory held, for the tests.
    #[cfg(test)]
    fn heap_capacity(&self) -> usize {
        self.spill.as_ref().map_or(0, |s| s.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::Fifo;

    #[test]
    fn items_come_out_in_order_inline_and_spilled() {
        let mut fifo: Fifo<u32, 3> = Fifo::new();
        let mut next_in = 0;
        let mut next_out = 0;
        // Interleaved pushes and pops around the ring's end and through the spill.
        for round in 0..50 {
            for _ in 0..(round % 7) {
                fifo.push_back(next_in);
                next_in += 1;
            }
            for _ in 0..(round % 5) {
                if let Some(item) = fifo.pop_front() {
                    assert_eq!(item, next_out);
                    next_out += 1;
                }
            }
        }
        while let Some(item) = fifo.pop_front() {
            assert_eq!(item, next_out);
            next_out += 1;
        }
        assert_eq!(next_in, next_out);
        assert!(fifo.is_empty());
    }

    #[test]
    fn an_emptied_queue_holds_no_heap_memory() {
        let mut fifo: Fifo<u32, 2> = Fifo::new();
        for i in 0..10 {
            fifo.push_back(i);
        }
        assert!(fifo.heap_capacity() > 0);
        while fifo.pop_front().is_some() {}
        assert_eq!(fifo.heap_capacity(), 0);
        fifo.push_back(1);
        fifo.push_back(2);
        assert_eq!(fifo.heap_capacity(), 0);
    }
}
