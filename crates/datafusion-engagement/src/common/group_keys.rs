//! A hash table from (group, key) to a per-key value: the distinct-set state of stickiness,
//! feature_adoption, bounce_rate and the other metrics over distinct users or sessions.
//!
//! Distinct-key metrics over millions of keys are bound by memory latency: each row probes a
//! table far larger than the caches. This table is open-addressed with linear probing in one
//! flat array of small slots, and takes rows a batch at a time: it hashes the whole batch
//! first, then prefetches the slot of a row a few rows before probing it, so several cache
//! misses are in flight at once instead of one after another.

use std::hash::BuildHasher;
use std::mem::size_of;

use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::EmitTo;

use super::user_ids::{UserIdKind, UserIds};

/// One slot: a (group, key) and its value. Each metric lays out its own slot so that the
/// value packs around the 4-byte group number.
pub(crate) trait Entry: Copy {
    /// An empty slot: its group is [`VACANT`].
    const EMPTY: Self;
    fn group(&self) -> u32;
    fn key(&self) -> u64;
    fn set_group(&mut self, group: u32);
}

/// The group of an empty slot; callers keep group numbers below it.
pub(crate) const VACANT: u32 = u32::MAX;
/// Rows ahead whose slots are prefetched.
const PREFETCH_DISTANCE: usize = 16;
/// Keys probed per reservation of room in the table.
const RESERVE_CHUNK: usize = 4096;

#[derive(Debug)]
pub(crate) struct GroupKeyTable<E> {
    slots: Vec<E>,
    len: usize,
    seed: u64,
}

impl<E: Entry> GroupKeyTable<E> {
    pub(crate) fn new() -> Self {
        Self {
            slots: vec![],
            len: 0,
            // Per-table, so crafted user ids cannot make every table collide.
            seed: std::collections::hash_map::RandomState::new().hash_one(0u64) | 1,
        }
    }

    #[inline]
    fn hash(&self, group: u32, key: u64) -> u64 {
        // The murmur3 finalizer: every input bit affects every output bit.
        let mut h = (key ^ u64::from(group).rotate_left(40)).wrapping_mul(self.seed);
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
            vec![E::EMPTY; needed.next_power_of_two().max(16)],
        );
        for entry in old.into_iter().filter(|e| e.group() != VACANT) {
            let hash = self.hash(entry.group(), entry.key());
            let mut i = self.home(hash);
            while self.slots[i].group() != VACANT {
                i = (i + 1) & (self.slots.len() - 1);
            }
            self.slots[i] = entry;
        }
    }

    /// Prefetches the home slot of `hash`: both its first and its last byte, since a slot
    /// whose size is not a power of two (24 bytes) may straddle two cache lines, and a probe
    /// reads its group and key from either.
    #[inline(always)]
    fn prefetch(&self, hash: u64) {
        let slot: *const E = &self.slots[self.home(hash)];
        prefetch(slot);
        prefetch(slot.cast::<u8>().wrapping_add(size_of::<E>() - 1));
    }

    /// Calls `visit(row, slot, is_new)` for the slot of each (group, key) of `keys`, in
    /// order, creating it as `new_entry(row)` (which must have that group and key) when absent.
    ///
    /// Room is made a chunk at a time: reserving for all of `keys` at once would size the
    /// table as if every key were new, and a merged state batch (millions of keys, mostly
    /// known) would inflate it several-fold past what it holds.
    pub(crate) fn for_each_slot(
        &mut self,
        keys: &[(u32, u64)],
        mut new_entry: impl FnMut(usize) -> E,
        mut visit: impl FnMut(usize, &mut E, bool),
    ) {
        let mut hashes = Vec::with_capacity(keys.len().min(RESERVE_CHUNK));
        for (chunk_index, chunk) in keys.chunks(RESERVE_CHUNK).enumerate() {
            let first_row = chunk_index * RESERVE_CHUNK;
            self.reserve(chunk.len());
            hashes.clear();
            hashes.extend(chunk.iter().map(|&(g, u)| self.hash(g, u)));
            let mask = self.slots.len() - 1;
            // The slot of the row before: a run of one key (a user's state elements, a log
            // sorted by user) finds it without probing the table again.
            let mut previous: Option<((u32, u64), usize)> = None;
            for (offset, (&(group, key), &hash)) in chunk.iter().zip(&hashes).enumerate() {
                let row = first_row + offset;
                if let Some((previous_key, i)) = previous
                    && previous_key == (group, key)
                {
                    visit(row, &mut self.slots[i], false);
                    continue;
                }
                if let Some(&ahead) = hashes.get(offset + PREFETCH_DISTANCE) {
                    self.prefetch(ahead);
                }
                let mut i = hash as usize & mask;
                loop {
                    let slot = &mut self.slots[i];
                    if slot.group() == group && slot.key() == key {
                        visit(row, slot, false);
                        break;
                    }
                    if slot.group() == VACANT {
                        *slot = new_entry(row);
                        debug_assert!(slot.group() == group && slot.key() == key);
                        self.len += 1;
                        visit(row, slot, true);
                        break;
                    }
                    i = (i + 1) & mask;
                }
                previous = Some(((group, key), i));
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &E> {
        self.slots.iter().filter(|e| e.group() != VACANT)
    }

    /// The entries, to change their values (not their group or key).
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut E> {
        self.slots.iter_mut().filter(|e| e.group() != VACANT)
    }

    /// Keeps only the entries of groups from `n` on, renumbered from 0.
    pub(crate) fn remove_first_groups(&mut self, n: u32) {
        let kept: Vec<E> = self
            .iter()
            .filter(|e| e.group() >= n)
            .map(|e| {
                let mut e = *e;
                e.set_group(e.group() - n);
                e
            })
            .collect();
        *self = Self::new();
        let keys: Vec<(u32, u64)> = kept.iter().map(|e| (e.group(), e.key())).collect();
        self.for_each_slot(&keys, |row| kept[row], |_, _, _| {});
    }

    /// Heap bytes held.
    pub(crate) fn size(&self) -> usize {
        self.slots.capacity() * size_of::<E>()
    }
}

/// Asks the CPU to bring the cache line at `address` in, without waiting for it: a hint
/// that reads nothing, so any address is safe, even a dangling one.
#[inline(always)]
pub(crate) fn prefetch<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching reads nothing and cannot fault; SSE is part of x86_64.
    #[allow(
        unused_unsafe,
        reason = "_mm_prefetch is safe to call on newer toolchains"
    )]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Calls `f(row, group)` for every row of a batch and its group. When the groups' states are
/// too many for the cache (`states` points to `groups` of them), each row first prefetches the
/// state of the group [`STATES_AHEAD`] rows on (both of its cache lines), so the loads of
/// several rows' states overlap: merging nps's states into a million groups spent two thirds
/// of its time waiting for the state it adds to. Few groups' states are in the cache anyway,
/// and get the plain loop. `states` is only prefetched, never read.
#[inline(always)]
pub(crate) fn for_each_group<T>(
    group_indices: &[usize],
    states: *const T,
    groups: usize,
    mut f: impl FnMut(usize, usize),
) {
    if groups.saturating_mul(size_of::<T>()) < PREFETCHED_STATES_FROM_BYTES {
        for (row, &group) in group_indices.iter().enumerate() {
            f(row, group)
        }
        return;
    }
    for (row, &group) in group_indices.iter().enumerate() {
        if let Some(&ahead) = group_indices.get(row + STATES_AHEAD) {
            let state = states.wrapping_add(ahead);
            prefetch(state);
            // A state whose size does not divide a cache line may straddle two.
            if !CACHE_LINE_BYTES.is_multiple_of(size_of::<T>()) {
                prefetch(state.cast::<u8>().wrapping_add(size_of::<T>() - 1));
            }
        }
        f(row, group)
    }
}

/// Rows ahead whose group state [`for_each_group`] prefetches: with a million nps states, 16
/// rows ahead took a tenth off the merge, 64 and 128 a third.
const STATES_AHEAD: usize = 64;

const CACHE_LINE_BYTES: usize = 64;

/// Group states from this many bytes on are prefetched: about the second-level cache.
const PREFETCHED_STATES_FROM_BYTES: usize = 1 << 20;

/// The grouped state of the distinct-key metrics (the keyed kernel and stickiness): the
/// (group, key) table, the ids its keys stand for, and the number of groups. Resizing, the
/// group-number limit and forgetting emitted groups are here once.
#[derive(Debug)]
pub(crate) struct GroupedKeys<E> {
    pub ids: UserIds,
    pub table: GroupKeyTable<E>,
    groups: usize,
}

impl<E: Entry> GroupedKeys<E> {
    pub(crate) fn new(kind: UserIdKind) -> Self {
        Self {
            ids: UserIds::new(kind),
            table: GroupKeyTable::new(),
            groups: 0,
        }
    }

    /// Makes room for `total_num_groups`; fails past what a slot's group number can hold.
    pub(crate) fn resize(&mut self, function: &str, total_num_groups: usize) -> Result<()> {
        if total_num_groups >= VACANT as usize {
            return exec_err!("{function}: more than {} groups", u32::MAX - 1);
        }
        self.groups = self.groups.max(total_num_groups);
        Ok(())
    }

    /// How many groups `emit_to` emits.
    pub(crate) fn emitted(&self, emit_to: EmitTo) -> usize {
        match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n.min(self.groups),
        }
    }

    /// Forgets the emitted groups and renumbers the rest from 0. String ids are forgotten
    /// once no group is left (until then a kept group may still hold them).
    pub(crate) fn take(&mut self, emit_to: EmitTo) {
        match emit_to {
            EmitTo::First(n) if n < self.groups => {
                self.table.remove_first_groups(n as u32);
                self.groups -= n;
            }
            _ => {
                self.table = GroupKeyTable::new();
                self.ids = UserIds::new(self.ids.kind());
                self.groups = 0;
            }
        }
    }

    /// Heap bytes held.
    pub(crate) fn size(&self) -> usize {
        self.ids.size() + self.table.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Counted {
        group: u32,
        key: u64,
        rows: u64,
    }

    impl Entry for Counted {
        const EMPTY: Self = Self {
            group: VACANT,
            key: 0,
            rows: 0,
        };
        fn group(&self) -> u32 {
            self.group
        }
        fn key(&self) -> u64 {
            self.key
        }
        fn set_group(&mut self, group: u32) {
            self.group = group;
        }
    }

    /// Counts rows per (group, key) in the table; returns how many were new.
    fn count(table: &mut GroupKeyTable<Counted>, keys: &[(u32, u64)]) -> usize {
        let mut new = 0;
        table.for_each_slot(
            keys,
            |row| Counted {
                group: keys[row].0,
                key: keys[row].1,
                rows: 0,
            },
            |_, slot, is_new| {
                slot.rows += 1;
                new += usize::from(is_new);
            },
        );
        new
    }

    fn contents(table: &GroupKeyTable<Counted>) -> Vec<(u32, u64, u64)> {
        let mut all: Vec<_> = table.iter().map(|e| (e.group, e.key, e.rows)).collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn equal_keys_of_other_groups_and_colliding_probes_stay_apart() {
        let mut table = GroupKeyTable::new();
        // The same keys in many groups, keys that differ in one bit, and the extremes: far more
        // entries than the first table has slots, so probes collide and the table grows.
        let mut keys = vec![];
        for group in 0..50u32 {
            for key in [0, 1, 2, 1 << 32, 1 << 63, u64::MAX, u64::MAX - 1] {
                keys.push((group, key));
            }
        }
        assert_eq!(count(&mut table, &keys), keys.len());
        assert_eq!(table.len, keys.len());
        // A second pass finds every one and creates none.
        assert_eq!(count(&mut table, &keys), 0);
        let found = contents(&table);
        assert_eq!(found.len(), keys.len());
        assert!(found.iter().all(|&(_, _, rows)| rows == 2));
        assert!(table.slots.len().is_power_of_two());
        assert!(
            table.len * 4 <= table.slots.len() * 3,
            "load stays at most 3/4"
        );
    }

    #[test]
    fn growth_keeps_every_entry_and_its_value() {
        let mut table = GroupKeyTable::new();
        let mut expected = std::collections::BTreeMap::new();
        // Batches of growing size; keys repeat across batches.
        for batch in 0..20u64 {
            let keys: Vec<(u32, u64)> = (0..batch * 97)
                .map(|i| ((i % 7) as u32, (i * 2_654_435_761) % 5_000))
                .collect();
            count(&mut table, &keys);
            for &(group, key) in &keys {
                *expected.entry((group, key)).or_insert(0u64) += 1;
            }
        }
        let expected: Vec<_> = expected.into_iter().map(|((g, k), n)| (g, k, n)).collect();
        assert_eq!(contents(&table), expected);
        assert_eq!(table.size(), table.slots.capacity() * size_of::<Counted>());
    }

    #[test]
    fn runs_of_one_key_find_its_slot_across_chunks_and_growth() {
        // Keys in runs (sorted input, a user's state elements), runs crossing the reservation
        // chunks while the table grows, the same key in the next group, and a key coming back
        // after a run of another.
        let mut table = GroupKeyTable::new();
        let mut keys = vec![];
        let mut expected = std::collections::BTreeMap::new();
        for key in 0..3_000u64 {
            let group = (key % 2) as u32;
            let run = 1 + key % 5;
            keys.extend(std::iter::repeat_n((group, key), run as usize));
            keys.push((group, key / 2));
            keys.extend([(group + 1, key); 2]);
            *expected.entry((group, key)).or_insert(0u64) += run;
            *expected.entry((group, key / 2)).or_insert(0u64) += 1;
            *expected.entry((group + 1, key)).or_insert(0u64) += 2;
        }
        let news = count(&mut table, &keys);
        let expected: Vec<_> = expected.into_iter().map(|((g, k), n)| (g, k, n)).collect();
        assert_eq!(news, expected.len());
        assert_eq!(contents(&table), expected);
        // Every row is visited with its own row number and its own key.
        let mut visited = vec![];
        table.for_each_slot(
            &keys,
            |_| unreachable!(),
            |row, slot, _| visited.push((row, (slot.group, slot.key))),
        );
        assert!(
            visited
                .iter()
                .enumerate()
                .all(|(i, &(row, key))| row == i && key == keys[i])
        );
    }

    #[test]
    fn known_keys_do_not_grow_the_table() {
        // A merged state batch: a million keys, all already in the table. Room is made for a
        // chunk of new keys at most, not for a million.
        let mut table = GroupKeyTable::new();
        let distinct: Vec<(u32, u64)> = (0..10_000u64).map(|k| ((k % 3) as u32, k)).collect();
        count(&mut table, &distinct);
        let slots = table.slots.len();
        let repeated: Vec<(u32, u64)> = distinct.iter().copied().cycle().take(1_000_000).collect();
        assert_eq!(count(&mut table, &repeated), 0);
        let room_for_a_chunk = ((10_000 + RESERVE_CHUNK) * 4 / 3 + 1).next_power_of_two();
        assert!(table.slots.len() <= room_for_a_chunk.max(slots));
        // Rows keep their numbers across chunks.
        let mut seen = vec![];
        table.for_each_slot(
            &repeated[..10_000],
            |_| unreachable!(),
            |row, slot, _| seen.push((row, slot.key)),
        );
        assert!(seen.iter().all(|&(row, key)| key == row as u64));
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn removing_the_first_groups_renumbers_the_rest() {
        let mut table = GroupKeyTable::new();
        let keys: Vec<(u32, u64)> = (0..10u32)
            .flat_map(|group| (0..30u64).map(move |key| (group, key * 1_000 + u64::from(group))))
            .collect();
        count(&mut table, &keys);
        table.remove_first_groups(3);
        let kept = contents(&table);
        assert_eq!(kept.len(), 7 * 30);
        assert!(kept.iter().all(|&(group, key, rows)| {
            group < 7 && key % 1_000 == u64::from(group) + 3 && rows == 1
        }));
        // Renumbered entries are found under their new group numbers, and only there.
        let renumbered: Vec<(u32, u64)> = kept.iter().map(|&(g, k, _)| (g, k)).collect();
        assert_eq!(count(&mut table, &renumbered), 0);
        assert_eq!(count(&mut table, &[(7, 3_000 + 3)]), 1);
        table.remove_first_groups(100);
        assert_eq!(table.iter().count(), 0);
    }

    #[test]
    fn grouped_keys_emit_and_forget() {
        let mut grouped = GroupedKeys::<Counted>::new(UserIdKind::Int64);
        grouped.resize("f", 5).unwrap();
        grouped.resize("f", 3).unwrap();
        assert_eq!(grouped.emitted(EmitTo::All), 5);
        assert_eq!(grouped.emitted(EmitTo::First(2)), 2);
        assert_eq!(grouped.emitted(EmitTo::First(9)), 5);
        count(&mut grouped.table, &[(0, 1), (2, 1), (4, 1)]);
        grouped.take(EmitTo::First(2));
        assert_eq!(grouped.emitted(EmitTo::All), 3);
        assert_eq!(
            contents(&grouped.table),
            vec![(0, 1, 1), (2, 1, 1)],
            "groups 2 and 4 are now 0 and 2"
        );
        grouped.take(EmitTo::All);
        assert_eq!(grouped.emitted(EmitTo::All), 0);
        assert_eq!(grouped.table.iter().count(), 0);
        let too_many = grouped.resize("f", VACANT as usize).unwrap_err();
        assert!(too_many.to_string().contains("f: more than"), "{too_many}");
    }

    #[test]
    fn every_row_is_visited_with_its_group_with_few_groups_or_many() {
        // 24-byte states: 1 000 of them stay under the prefetch threshold, 100 000 go over it.
        for groups in [1_000, 100_000] {
            let mut states = vec![[0.0_f64; 3]; groups];
            let group_indices: Vec<usize> = (0..10_000).map(|i| i * 7_919 % groups).collect();
            let (prefetched, len) = (states.as_ptr(), states.len());
            let mut visited = vec![];
            for_each_group(&group_indices, prefetched, len, |row, group| {
                states[group][0] += 1.0;
                visited.push((row, group));
            });
            let expected: Vec<(usize, usize)> = group_indices.iter().copied().enumerate().collect();
            assert_eq!(visited, expected, "{groups} groups");
            assert_eq!(states.iter().map(|s| s[0]).sum::<f64>(), 10_000.0);
        }
    }
}
