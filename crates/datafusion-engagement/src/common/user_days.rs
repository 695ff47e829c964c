//! A hash table from (group, user) to the user's active days in that group, as the bits of a
//! 64-day window.
//!
//! Distinct-activity metrics over millions of users are bound by memory latency: each row
//! probes a table far larger than the caches. This table is open-addressed with linear probing
//! in one flat array of 24-byte slots, and takes rows a batch at a time: it hashes the whole
//! batch first, then prefetches the slot of a row a few rows before probing it, so several
//! cache misses are in flight at once instead of one after another.

use std::hash::BuildHasher;
use std::mem::size_of;

/// A user's active days as bits: bit `i` is day `start + i`.
pub(crate) type DayBits = u64;

/// One (group, user)'s active days within its window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserDays {
    pub group: u32,
    pub start: i32,
    pub user: u64,
    pub days: DayBits,
}

/// The group of an empty slot; callers keep group numbers below it.
pub(crate) const VACANT: u32 = u32::MAX;
const EMPTY: UserDays = UserDays {
    group: VACANT,
    start: 0,
    user: 0,
    days: 0,
};
/// Rows ahead whose slots are prefetched.
const PREFETCH_DISTANCE: usize = 16;

#[derive(Debug)]
pub(crate) struct UserDaysTable {
    slots: Vec<UserDays>,
    len: usize,
    seed: u64,
}

impl UserDaysTable {
    pub(crate) fn new() -> Self {
        Self {
            slots: vec![],
            len: 0,
            // Per-table, so crafted user ids cannot make every table collide.
            seed: std::collections::hash_map::RandomState::new().hash_one(0u64) | 1,
        }
    }

    #[inline]
    fn hash(&self, group: u32, user: u64) -> u64 {
        // The murmur3 finalizer: every input bit affects every output bit.
        let mut h = (user ^ u64::from(group).rotate_left(40)).wrapping_mul(self.seed);
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    #[inline]
    fn home(&self, hash: u64) -> usize {
        hash as usize & (self.slots.len() - 1)
    }

    /// Room for `additional` more entries at a load of at most 3/4, without moving slots.
    fn reserve(&mut self, additional: usize) {
        let needed = (self.len + additional).saturating_mul(4) / 3 + 1;
        if needed <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(
            &mut self.slots,
            vec![EMPTY; needed.next_power_of_two().max(16)],
        );
        for entry in old.into_iter().filter(|e| e.group != VACANT) {
            let hash = self.hash(entry.group, entry.user);
            let mut i = self.home(hash);
            while self.slots[i].group != VACANT {
                i = (i + 1) & (self.slots.len() - 1);
            }
            self.slots[i] = entry;
        }
    }

    #[inline(always)]
    fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot: *const UserDays = &self.slots[self.home(hash)];
            // SAFETY: prefetching reads nothing and cannot fault; SSE is part of x86_64.
            #[allow(unused_unsafe)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast())
            };
        }
    }

    /// Calls `visit(slot, is_new)` for the slot of each (group, user) of `keys`, in order,
    /// creating it (with `start` from `new_start` and no days) when absent.
    pub(crate) fn for_each_slot(
        &mut self,
        keys: &[(u32, u64)],
        mut new_start: impl FnMut(usize) -> i32,
        mut visit: impl FnMut(usize, &mut UserDays, bool),
    ) {
        self.reserve(keys.len());
        let hashes: Vec<u64> = keys.iter().map(|&(g, u)| self.hash(g, u)).collect();
        let mask = self.slots.len() - 1;
        for (row, (&(group, user), &hash)) in keys.iter().zip(&hashes).enumerate() {
            if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
                self.prefetch(ahead);
            }
            let mut i = hash as usize & mask;
            loop {
                let slot = &mut self.slots[i];
                if slot.group == group && slot.user == user {
                    visit(row, slot, false);
                    break;
                }
                if slot.group == VACANT {
                    *slot = UserDays {
                        group,
                        start: new_start(row),
                        user,
                        days: 0,
                    };
                    self.len += 1;
                    visit(row, slot, true);
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &UserDays> {
        self.slots.iter().filter(|e| e.group != VACANT)
    }

    /// Keeps only the entries of groups from `n` on, renumbered from 0.
    pub(crate) fn remove_first_groups(&mut self, n: u32) {
        let kept: Vec<UserDays> = self
            .iter()
            .filter(|e| e.group >= n)
            .map(|e| UserDays {
                group: e.group - n,
                ..*e
            })
            .collect();
        *self = Self::new();
        let keys: Vec<(u32, u64)> = kept.iter().map(|e| (e.group, e.user)).collect();
        self.for_each_slot(
            &keys,
            |row| kept[row].start,
            |row, slot, _| slot.days = kept[row].days,
        );
    }

    /// Heap bytes held.
    pub(crate) fn size(&self) -> usize {
        self.slots.capacity() * size_of::<UserDays>()
    }
}
