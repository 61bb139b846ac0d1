//! A table of values keyed by small reused integers (`slab::Slab`'s interface), whose
//! insertion fails instead of aborting when memory runs out.

use std::ops::{Index, IndexMut};

use super::fallible::OutOfMemory;

enum Slot<T> {
    Taken(T),
    /// Free; the next free slot (the vector's length for none).
    Free(usize),
}

pub struct Table<T> {
    slots: Vec<Slot<T>>,
    next_free: usize,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table::new()
    }
}

impl<T> Table<T> {
    pub const fn new() -> Table<T> {
        Table {
            slots: Vec::new(),
            next_free: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key the next insertion will use.
    pub fn vacant_key(&self) -> usize {
        self.next_free
    }

    /// Stores `value` under [`Table::vacant_key`]; gives it back when out of memory.
    pub fn try_insert(&mut self, value: T) -> Result<usize, (T, OutOfMemory)> {
        let key = self.next_free;
        if key == self.slots.len() {
            if self.slots.try_reserve(1).is_err() {
                return Err((value, OutOfMemory));
            }
            self.slots.push(Slot::Taken(value));
            self.next_free = self.slots.len();
        } else {
            let Slot::Free(next) = self.slots[key] else {
                unreachable!("the free list holds free slots only");
            };
            self.next_free = next;
            self.slots[key] = Slot::Taken(value);
        }
        self.len += 1;
        Ok(key)
    }

    pub fn get(&self, key: usize) -> Option<&T> {
        match self.slots.get(key) {
            Some(Slot::Taken(value)) => Some(value),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        match self.slots.get_mut(key) {
            Some(Slot::Taken(value)) => Some(value),
            _ => None,
        }
    }

    pub fn contains(&self, key: usize) -> bool {
        self.get(key).is_some()
    }

    pub fn try_remove(&mut self, key: usize) -> Option<T> {
        if !self.contains(key) {
            return None;
        }
        let slot = std::mem::replace(&mut self.slots[key], Slot::Free(self.next_free));
        self.next_free = key;
        self.len -= 1;
        match slot {
            Slot::Taken(value) => Some(value),
            Slot::Free(_) => None,
        }
    }

    /// Removes the value under `key`, which must be there.
    pub fn remove(&mut self, key: usize) -> T {
        self.try_remove(key).expect("no value under this key")
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(key, slot)| match slot {
                Slot::Taken(value) => Some((key, value)),
                Slot::Free(_) => None,
            })
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(key, slot)| match slot {
                Slot::Taken(value) => Some((key, value)),
                Slot::Free(_) => None,
            })
    }
}

impl<T> Index<usize> for Table<T> {
    type Output = T;
    fn index(&self, key: usize) -> &T {
        self.get(key).expect("no value under this key")
    }
}

impl<T> IndexMut<usize> for Table<T> {
    fn index_mut(&mut self, key: usize) -> &mut T {
        self.get_mut(key).expect("no value under this key")
    }
}
