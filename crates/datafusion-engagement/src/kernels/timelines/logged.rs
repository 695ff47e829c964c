//! The values of the event-sequence kernel ([`super::EventSequenceMetric`]: the funnels):
//! logged as rows come, and sorted to their sequences only when a state or a result is asked
//! for.
//!
//! With a million users, appending a row's value to its user's own list costs a cache miss
//! or two (the list's header, then its end) and an allocation whenever the list grows. The
//! log appends (timeline, value) instead, packed in 8 bytes, a sequential write to the log of
//! the timeline's bucket (a range of timeline numbers). Draining sorts one bucket at a time
//! by timeline, in a counting pass into a small array where each timeline's values are then
//! sorted and read while in cache. A result hands them to the metric, which reduces them to
//! a number (a funnel's level), so the values are never all held twice; a state settles
//! them into one array, timeline after timeline.
//!
//! A log may carry a payload with each value (the page a view is of): a 32-bit key kept
//! beside the packed entry, in chunks of the same lengths, and sorted with its value.

use std::mem::size_of;
use std::ops::Range;

use datafusion::error::Result;

use super::Observation;
use crate::common::bit_window;

/// Entries of the log's largest chunks. A bucket's log grows by chunks, never copying what
/// it holds, whose sizes double from [`FIRST_CHUNK`] up to this: a small accumulator stays
/// small, and a bucket's last chunk wastes little.
const CHUNK: usize = 1 << 14;
const FIRST_CHUNK: usize = 64;
/// Timelines per bucket of the log: `1 << BUCKET_BITS` consecutive timeline numbers. Their
/// settled values, a few megabytes at a dozen values a timeline, stay in the last-level
/// cache while the bucket is settled. Fewer timelines per bucket settle faster, but more
/// buckets are written at once: at 8,192, the writes cost what settling saved.
const BUCKET_BITS: u32 = 15;
/// The low bits of a packed log entry: its value's offset from the log's base. The high
/// bits hold the timeline's place in its bucket.
const OFFSET_BITS: u32 = u64::BITS - BUCKET_BITS;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;

/// The log of a range of consecutive timelines.
#[derive(Debug, Default)]
struct Bucket {
    /// Entries `place << OFFSET_BITS | value - base`, `place` the timeline's place in the
    /// bucket: 8 bytes a value where a (timeline, value) pair takes 12, the memory a log of
    /// tens of millions of values is written to, fresh, each time.
    chunks: Vec<Vec<u64>>,
    /// The payload of each packed entry, chunk for chunk; none in a log without payloads.
    payload_chunks: Vec<Vec<u32>>,
    /// (place, value, payload) of the values too far from the base to pack.
    far: Vec<(u16, i64, u32)>,
}

impl Bucket {
    /// How many values the bucket holds.
    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum::<usize>() + self.far.len()
    }

    /// Each entry's place in the bucket.
    fn places(&self) -> impl Iterator<Item = usize> + '_ {
        let packed = self.chunks.iter().flatten();
        let far = self.far.iter().map(|&(place, _, _)| place as usize);
        packed.map(|&e| (e >> OFFSET_BITS) as usize).chain(far)
    }

    /// Each entry as (place in the bucket, value).
    fn entries(&self, base: i64) -> impl Iterator<Item = (usize, i64)> + '_ {
        let packed = self.chunks.iter().flatten();
        let far = self
            .far
            .iter()
            .map(|&(place, value, _)| (place as usize, value));
        packed
            .map(move |&e| ((e >> OFFSET_BITS) as usize, base + (e & OFFSET_MASK) as i64))
            .chain(far)
    }

    /// Each entry's payload, in the order of [`Self::entries`].
    fn payloads(&self) -> impl Iterator<Item = u32> + '_ {
        let far = self.far.iter().map(|&(_, _, payload)| payload);
        self.payload_chunks.iter().flatten().copied().chain(far)
    }
}

/// Values in arrival order with their timelines, in buckets of consecutive timelines.
///
/// Settling writes each value to its timeline's place in one array. Written in arrival
/// order, those places are all over the array, a cache miss each; a bucket's places lie
/// together.
#[derive(Debug, Default)]
pub(super) struct ValueLog {
    /// By bucket (`timeline >> BUCKET_BITS`).
    buckets: Vec<Bucket>,
    /// What packed values are offsets from: half the offsets' range below the first value
    /// logged, so that values within 2^48 of it either way pack (years of event times in
    /// microseconds, at the few step bits of a funnel).
    base: Option<i64>,
    /// Heap bytes of the packed chunks and their payloads.
    bytes: usize,
    /// Whether each value carries its observation's payload.
    payloads: bool,
}

impl ValueLog {
    /// A log whose values carry their observations' payloads (`payloads`), or not.
    pub(super) fn new(payloads: bool) -> Self {
        Self {
            payloads,
            ..Self::default()
        }
    }

    /// Logs the values of an observation, `value + i` for each set bit `i`.
    #[inline]
    pub(super) fn push_all(&mut self, timeline: u32, observation: &Observation) {
        let bucket = (timeline >> BUCKET_BITS) as usize;
        if bucket >= self.buckets.len() {
            self.buckets.resize_with(bucket + 1, Bucket::default);
        }
        let base = *self
            .base
            .get_or_insert_with(|| observation.value.saturating_sub(1 << (OFFSET_BITS - 1)));
        let place = timeline & ((1 << BUCKET_BITS) - 1);
        let Bucket {
            chunks,
            payload_chunks,
            far,
        } = &mut self.buckets[bucket];
        let payload = observation.payload;
        for value in bit_window::members(observation.value, observation.bits) {
            let offset = match value.checked_sub(base) {
                Some(offset) if (offset as u64) <= OFFSET_MASK => offset as u64,
                _ => {
                    far.push((place as u16, value, payload));
                    continue;
                }
            };
            let chunk = match chunks.last_mut() {
                Some(chunk) if chunk.len() < chunk.capacity() => chunk,
                last => {
                    let size = last.map_or(FIRST_CHUNK, |full| (full.len() * 2).min(CHUNK));
                    chunks.push(Vec::with_capacity(size));
                    self.bytes += size * size_of::<u64>();
                    if self.payloads {
                        payload_chunks.push(Vec::with_capacity(size));
                        self.bytes += size * size_of::<u32>();
                    }
                    chunks.last_mut().expect("a chunk was just pushed")
                }
            };
            chunk.push(u64::from(place) << OFFSET_BITS | offset);
            if self.payloads {
                let payloads = payload_chunks.last_mut().expect("chunks go in pairs");
                payloads.push(payload);
            }
        }
    }

    /// Forgets every value.
    pub(super) fn clear(&mut self) {
        self.take();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buckets
            .iter()
            .all(|b| b.chunks.is_empty() && b.far.is_empty())
    }

    pub(super) fn size(&self) -> usize {
        self.buckets.capacity() * size_of::<Bucket>()
            + self
                .buckets
                .iter()
                .map(|b| {
                    (b.chunks.capacity() + b.payload_chunks.capacity()) * size_of::<Vec<u64>>()
                        + b.far.capacity() * size_of::<(u16, i64, u32)>()
                })
                .sum::<usize>()
            + self.bytes
    }

    /// Empties the log, returning its buckets in order and the base of their values.
    fn take(&mut self) -> (Vec<Bucket>, i64) {
        let base = self.base.take().unwrap_or_default();
        self.bytes = 0;
        (std::mem::take(&mut self.buckets), base)
    }
}

/// Where a timeline's values lie in [`SettledValues::values`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: usize,
    len: usize,
}

/// A timeline's settled values in order, and their payloads (none in a log without
/// payloads; else one per value, a value's payload breaking its ties).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Events<'a> {
    pub(crate) values: &'a [i64],
    pub(crate) payloads: &'a [u32],
}

/// The settled values of every timeline in one array, timeline after timeline, each
/// timeline's sorted, a value logged twice kept twice (every event counts).
#[derive(Debug, Default)]
pub(super) struct SettledValues {
    values: Vec<i64>,
    /// Each value's payload, in a log with payloads.
    payloads: Vec<u32>,
    /// By timeline; a timeline past the end has no values.
    spans: Vec<Span>,
    /// Whether values carry payloads.
    with_payloads: bool,
}

impl SettledValues {
    /// Settled values that carry payloads (`with_payloads`) or not.
    pub(super) fn new(with_payloads: bool) -> Self {
        Self {
            with_payloads,
            ..Self::default()
        }
    }

    /// An empty array with the same settings.
    fn emptied(&self) -> Self {
        Self::new(self.with_payloads)
    }

    pub(super) fn of(&self, timeline: usize) -> Events<'_> {
        let Some(span) = self.spans.get(timeline) else {
            return Events {
                values: &[],
                payloads: &[],
            };
        };
        let range = span.start..span.start + span.len;
        Events {
            values: &self.values[range.clone()],
            payloads: if self.with_payloads {
                &self.payloads[range]
            } else {
                &[]
            },
        }
    }

    pub(super) fn size(&self) -> usize {
        self.values.capacity() * size_of::<i64>()
            + self.payloads.capacity() * size_of::<u32>()
            + self.spans.capacity() * size_of::<Span>()
    }

    /// Appends a timeline's events.
    fn push(&mut self, events: Events) {
        self.spans.push(Span {
            start: self.values.len(),
            len: events.values.len(),
        });
        self.values.extend_from_slice(events.values);
        self.payloads.extend_from_slice(events.payloads);
    }

    /// Adds the logged values to their timelines (`timelines` of them), sorted, and empties
    /// the log: [`Self::drain`] into a new array, the log's buckets freed as they are read.
    pub(super) fn settle(&mut self, log: &mut ValueLog, timelines: usize) -> Result<()> {
        if log.is_empty() {
            return Ok(());
        }
        let logged = log.buckets.iter().map(Bucket::len).sum::<usize>();
        let mut settled = self.emptied();
        settled.values.reserve(self.values.len() + logged);
        if self.with_payloads {
            settled.payloads.reserve(self.values.len() + logged);
        }
        settled.spans.reserve(timelines);
        self.drain(log, timelines, |_, events| {
            settled.push(events);
            Ok(())
        })?;
        *self = settled;
        Ok(())
    }

    /// Hands each of `timelines` timelines' values, sorted (the settled ones with those
    /// logged), to `each` in timeline order, and forgets them all, emptying the log too. The log's buckets are freed as they are read ([`sorted_timelines`]).
    pub(super) fn drain(
        &mut self,
        log: &mut ValueLog,
        timelines: usize,
        each: impl FnMut(usize, Events) -> Result<()>,
    ) -> Result<()> {
        let settled = std::mem::replace(self, self.emptied());
        let (buckets, base) = log.take();
        sorted_timelines(&settled, buckets.into_iter(), base, timelines, each)
    }

    /// [`Self::drain`] that keeps everything (for a result asked for again as rows come, a
    /// window frame's), without the copy settling would make, and split into up to `parts`
    /// ranges of whole buckets read at once on scoped threads, each into its own
    /// `new_part()`: a result of millions of sequences is otherwise gathered by one thread
    /// alone (an ungrouped aggregate's final stage). Returns the parts in timeline order; one
    /// bucket's worth is read on the calling thread.
    pub(super) fn read_in_parts<G: Send>(
        &self,
        log: &ValueLog,
        timelines: usize,
        parts: usize,
        new_part: impl Fn() -> G + Sync,
        each: impl Fn(&mut G, usize, Events) -> Result<()> + Sync,
    ) -> Result<Vec<G>> {
        let base = log.base.unwrap_or_default();
        let buckets = timelines.div_ceil(1 << BUCKET_BITS);
        let per_part = buckets.div_ceil(parts.max(1)).max(1);
        let read_part = |first_bucket: usize| -> Result<G> {
            let range = (first_bucket << BUCKET_BITS)
                ..timelines.min((first_bucket + per_part) << BUCKET_BITS);
            let mut part = new_part();
            let buckets = log.buckets.iter().skip(first_bucket);
            by_timeline(self, buckets, base, range, true, |t, events| {
                each(&mut part, t, events)
            })?;
            Ok(part)
        };
        if buckets <= 1 {
            return Ok(vec![read_part(0)?]);
        }
        std::thread::scope(|scope| {
            let running: Vec<_> = (0..buckets)
                .step_by(per_part)
                .map(|first_bucket| scope.spawn(move || read_part(first_bucket)))
                .collect();
            running
                .into_iter()
                .map(|part| match part.join() {
                    Ok(part) => part,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// Hands each of `timelines` timelines' values (the settled ones with those logged) to
    /// `each` in timeline order, unsorted and with any repeats: what a state needs, which
    /// takes no order within a timeline, but whose merge finds a timeline's elements together.
    pub(super) fn read_unsorted(
        &self,
        log: &ValueLog,
        timelines: usize,
        each: impl FnMut(usize, Events) -> Result<()>,
    ) -> Result<()> {
        let base = log.base.unwrap_or_default();
        by_timeline(self, log.buckets.iter(), base, 0..timelines, false, each)
    }

    /// Keeps the values of the given timelines, renumbered in that order.
    pub(super) fn keep(&mut self, timelines: &[usize]) {
        let mut kept = self.emptied();
        let values = timelines.iter().map(|&t| self.of(t).values.len()).sum();
        kept.values.reserve(values);
        if self.with_payloads {
            kept.payloads.reserve(values);
        }
        kept.spans.reserve(timelines.len());
        for &timeline in timelines {
            kept.push(self.of(timeline));
        }
        *self = kept;
    }
}

/// Hands each of `timelines` timelines' values, sorted (the `settled` ones with those of the
/// log's `buckets`), to `each` in timeline order. The log is sorted a bucket at a
/// time into one array reused from bucket to bucket: the values are never all held at once,
/// and a bucket's stay in cache while they are sorted and read. With payloads, (value,
/// payload) pairs are sorted. Owned buckets are dropped once read.
fn sorted_timelines<B: std::borrow::Borrow<Bucket>>(
    settled: &SettledValues,
    buckets: impl Iterator<Item = B>,
    base: i64,
    timelines: usize,
    each: impl FnMut(usize, Events) -> Result<()>,
) -> Result<()> {
    by_timeline(settled, buckets, base, 0..timelines, true, each)
}

/// [`sorted_timelines`], each timeline's values sorted (`sorted`) or as they lie (with
/// repeats).
///
/// `timelines` starts at a bucket's first timeline, and `buckets` at that bucket.
fn by_timeline<B: std::borrow::Borrow<Bucket>>(
    settled: &SettledValues,
    buckets: impl Iterator<Item = B>,
    base: i64,
    timelines: Range<usize>,
    sorted: bool,
    mut each: impl FnMut(usize, Events) -> Result<()>,
) -> Result<()> {
    debug_assert_eq!(timelines.start % (1 << BUCKET_BITS), 0);
    let mut buckets = buckets;
    let no_bucket = Bucket::default();
    let (mut values, mut payloads, mut pairs, mut ends) = (vec![], vec![], vec![], vec![]);
    let end = timelines.end;
    for first in timelines.step_by(1 << BUCKET_BITS) {
        let timelines = first..end.min(first + (1 << BUCKET_BITS));
        let next = buckets.next();
        let bucket: &Bucket = next.as_ref().map_or(&no_bucket, |b| b.borrow());
        // Each timeline's count, then where its values start (its settled ones first);
        // `ends` is moved past each value placed, ending at the timeline's end.
        ends.clear();
        ends.extend(timelines.clone().map(|t| settled.of(t).values.len()));
        for place in bucket.places() {
            ends[place] += 1;
        }
        let mut total = 0;
        for end in &mut ends {
            (*end, total) = (total, total + *end);
        }
        values.clear();
        values.resize(total, 0);
        payloads.clear();
        if settled.with_payloads {
            payloads.resize(total, 0);
        }
        for (end, timeline) in ends.iter_mut().zip(timelines) {
            let before = settled.of(timeline);
            let len = before.values.len();
            values[*end..*end + len].copy_from_slice(before.values);
            if settled.with_payloads {
                payloads[*end..*end + len].copy_from_slice(before.payloads);
            }
            *end += len;
        }
        if settled.with_payloads {
            // `entries` and `payloads` list the bucket's entries in the same order.
            for ((place, value), payload) in bucket.entries(base).zip(bucket.payloads()) {
                let end = &mut ends[place];
                (values[*end], payloads[*end]) = (value, payload);
                *end += 1;
            }
        } else {
            for (place, value) in bucket.entries(base) {
                let end = &mut ends[place];
                values[*end] = value;
                *end += 1;
            }
        }
        // A bucket of the drained log is freed here.
        drop(next);
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let timeline = &mut values[start..end];
            let events = if !sorted {
                Events {
                    values: timeline,
                    payloads: payloads.get(start..end).unwrap_or_default(),
                }
            } else if settled.with_payloads {
                let timeline_payloads = &mut payloads[start..end];
                sort_pairs(timeline, timeline_payloads, &mut pairs);
                Events {
                    values: timeline,
                    payloads: timeline_payloads,
                }
            } else {
                timeline.sort_unstable();
                Events {
                    values: timeline,
                    payloads: &[],
                }
            };
            each(first + i, events)?;
            start = end;
        }
    }
    Ok(())
}

/// Sorts a timeline's values with their payloads as pairs, by value then payload, through
/// `pairs` (scratch space reused between timelines).
fn sort_pairs(values: &mut [i64], payloads: &mut [u32], pairs: &mut Vec<(i64, u32)>) {
    pairs.clear();
    pairs.extend(values.iter().copied().zip(payloads.iter().copied()));
    pairs.sort_unstable();
    for (i, &(value, payload)) in pairs.iter().enumerate() {
        (values[i], payloads[i]) = (value, payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::timelines::NO_START;

    fn log(entries: &[(u32, i64)]) -> ValueLog {
        let mut log = ValueLog::default();
        for &(timeline, value) in entries {
            let one = Observation {
                value,
                bits: Observation::ONE,
                start: NO_START,
                payload: 0,
            };
            log.push_all(timeline, &one);
        }
        log
    }

    #[test]
    fn settling_groups_values_by_timeline_after_those_settled_before() {
        let mut settled = SettledValues::default();
        let mut first = log(&[(1, 30), (0, 20), (1, 10), (1, 30)]);
        settled.settle(&mut first, 3).unwrap();
        assert!(first.is_empty() && first.size() == 0);
        assert_eq!(settled.of(0).values, [20]);
        assert_eq!(settled.of(1).values, [10, 30, 30]);
        assert_eq!(settled.of(2).values, [] as [i64; 0]);

        // More values, for old timelines and a new one: appended after the settled ones.
        let mut second = log(&[(3, 5), (0, 1), (2, 7), (0, 20)]);
        settled.settle(&mut second, 4).unwrap();
        assert_eq!(settled.of(0).values, [1, 20, 20]);
        assert_eq!(settled.of(1).values, [10, 30, 30]);
        assert_eq!(settled.of(2).values, [7]);
        assert_eq!(settled.of(3).values, [5]);

        // Keeping timelines 3 and 1 renumbers them 0 and 1.
        settled.keep(&[3, 1]);
        assert_eq!(settled.of(0).values, [5]);
        assert_eq!(settled.of(1).values, [10, 30, 30]);
        assert_eq!(settled.of(2).values, [] as [i64; 0]);
    }

    #[test]
    fn every_event_counts_a_value_logged_twice_is_there_twice() {
        let mut settled = SettledValues::new(false);
        settled
            .settle(&mut log(&[(0, 20), (0, 10), (0, 20), (1, 5)]), 2)
            .unwrap();
        assert_eq!(settled.of(0).values, [10, 20, 20]);
        // Settled again and drained, with more of the same value: still every one.
        settled.settle(&mut log(&[(0, 20)]), 2).unwrap();
        assert_eq!(settled.of(0).values, [10, 20, 20, 20]);
        let mut drained = vec![];
        settled
            .drain(&mut log(&[(1, 5)]), 2, |t, values| {
                drained.push((t, values.values.to_vec()));
                Ok(())
            })
            .unwrap();
        assert_eq!(drained, [(0, vec![10, 20, 20, 20]), (1, vec![5, 5])]);
        // Draining keeps the setting for what comes next.
        settled.settle(&mut log(&[(0, 1), (0, 1)]), 1).unwrap();
        assert_eq!(settled.of(0).values, [1, 1]);
    }

    #[test]
    fn timelines_of_many_buckets_settle_in_order() {
        let far = 3 << BUCKET_BITS;
        let (next, last) = (1 << BUCKET_BITS, far + 5);
        let mut settled = SettledValues::default();
        let mut first = log(&[(last, 9), (0, 4), (next, 7), (last, 8), (0, 3)]);
        assert_eq!(first.buckets.len(), 4);
        settled.settle(&mut first, last as usize + 1).unwrap();
        assert!(first.is_empty() && first.size() == 0);
        assert_eq!(settled.of(0).values, [3, 4]);
        assert_eq!(settled.of(next as usize).values, [7]);
        assert_eq!(settled.of(last as usize).values, [8, 9]);
        assert_eq!(settled.of(far as usize).values, [] as [i64; 0]);
        assert_eq!(settled.values[..2], [3, 4]);
        assert_eq!(settled.values[settled.values.len() - 2..], [8, 9]);
    }

    #[test]
    fn values_far_from_the_first_are_logged_unpacked_and_settle_alike() {
        // The first value, 0, packs those from -2^48 to 2^48 - 1.
        let far = [i64::MIN, i64::MAX, 1 << 48, -(1 << 48) - 1];
        let near = [0, (1 << 48) - 1, -(1 << 48), 7];
        let mut entries = vec![(0, 0)];
        entries.extend(
            far.iter()
                .chain(&near)
                .enumerate()
                .map(|(i, &v)| (i as u32 % 3, v)),
        );
        let mut logged = log(&entries);
        let packed: usize = logged.buckets[0].chunks.iter().map(Vec::len).sum();
        assert_eq!(
            (packed, logged.buckets[0].far.len()),
            (1 + near.len(), far.len())
        );
        let mut settled = SettledValues::default();
        settled.settle(&mut logged, 3).unwrap();
        let mut all: Vec<i64> = (0..3).flat_map(|t| settled.of(t).values.to_vec()).collect();
        let mut expected: Vec<i64> = entries.iter().map(|&(_, v)| v).collect();
        all.sort_unstable();
        expected.sort_unstable();
        assert_eq!(all, expected);
        assert_eq!(
            settled.of(0).values,
            [i64::MIN, -(1 << 48) - 1, -(1 << 48), 0]
        );
        assert_eq!(settled.of(1).values, [0, 7, i64::MAX]);
    }

    #[test]
    fn draining_hands_out_what_settling_holds_and_forgets_it() {
        let far = (2 << BUCKET_BITS) + 3;
        let first_entries = [(far, 9), (0, 4), (1, 7), (0, 3), (0, 4)];
        let second_entries = [(0, 1), (far, 2), (far + 1, 5), (1, 7), (far, 9)];
        // What settling everything holds.
        let mut expected = SettledValues::default();
        expected
            .settle(&mut log(&first_entries), far as usize + 1)
            .unwrap();
        expected
            .settle(&mut log(&second_entries), far as usize + 3)
            .unwrap();

        let mut settled = SettledValues::default();
        settled
            .settle(&mut log(&first_entries), far as usize + 1)
            .unwrap();
        let mut second = log(&second_entries);
        let mut handed = vec![];
        settled
            .drain(&mut second, far as usize + 3, |timeline, values| {
                handed.push((timeline, values.values.to_vec()));
                Ok(())
            })
            .unwrap();
        let timelines: Vec<usize> = handed.iter().map(|(t, _)| *t).collect();
        assert_eq!(timelines, (0..far as usize + 3).collect::<Vec<_>>());
        for (timeline, values) in &handed {
            assert_eq!(values, expected.of(*timeline).values, "timeline {timeline}");
        }
        assert_eq!(handed[0].1, [1, 3, 4, 4]);
        assert_eq!(handed[far as usize].1, [2, 9, 9]);
        assert_eq!(handed[far as usize + 2].1, [] as [i64; 0]);
        assert!(second.is_empty() && second.size() == 0);
        assert_eq!(settled.size(), 0);
    }

    #[test]
    fn an_observation_of_several_steps_logs_a_value_each_and_chunks_grow() {
        let mut log = ValueLog::default();
        let steps = Observation {
            value: 100,
            bits: 0b1011,
            start: NO_START,
            payload: 0,
        };
        for _ in 0..1_000 {
            log.push_all(0, &steps);
        }
        // Chunks of 64, 128, … entries: room for the 3 000 values, not a full chunk each.
        assert!(log.size() >= 3_000 * 8 && log.size() < 2 * 4_096 * 8 + 1_000);
        assert_eq!(log.buckets[0].len(), 3_000);
        let mut settled = SettledValues::default();
        settled.settle(&mut log, 1).unwrap();
        // Each event counts: a value logged 1 000 times is there 1 000 times.
        let values = settled.of(0).values;
        assert_eq!(values.len(), 3_000);
        assert_eq!([values[0], values[1_000], values[2_000]], [100, 101, 103]);
    }

    #[test]
    fn payloads_travel_and_sort_with_their_values() {
        let mut log = ValueLog::new(true);
        let entries = [
            (0, 30, 7),
            (1, 5, 1),
            (0, 10, 9),
            (0, 30, 2),
            (0, i64::MIN, 4),
        ];
        for (timeline, value, payload) in entries {
            let one = Observation {
                value,
                bits: Observation::ONE,
                start: NO_START,
                payload,
            };
            log.push_all(timeline, &one);
        }
        // (30, 2) and (30, 7) both, by payload; a far value keeps its payload.
        let mut settled = SettledValues::new(true);
        settled.settle(&mut log, 2).unwrap();
        let zero = settled.of(0);
        assert_eq!(zero.values, [i64::MIN, 10, 30, 30]);
        assert_eq!(zero.payloads, [4, 9, 2, 7]);
        assert_eq!(settled.of(1).payloads, [1]);
        // Kept and renumbered with their payloads.
        settled.keep(&[1, 0]);
        assert_eq!(settled.of(0).payloads, [1]);
        assert_eq!(settled.of(1).payloads, [4, 9, 2, 7]);
    }

    #[test]
    fn reading_in_parts_hands_out_what_reading_at_once_does() {
        // Timelines in 5 buckets, some settled, with payloads.
        let timelines = (4 << BUCKET_BITS) + 7;
        let mut settled = SettledValues::new(true);
        let mut log = ValueLog::new(true);
        let push = |log: &mut ValueLog, t: usize, value: i64| {
            let one = Observation {
                value,
                bits: Observation::ONE,
                start: NO_START,
                payload: (value % 7) as u32,
            };
            log.push_all(t as u32, &one);
        };
        for t in (0..timelines).step_by(997) {
            push(&mut log, t, 50 - (t as i64 % 13));
        }
        settled.settle(&mut log, timelines).unwrap();
        for t in (0..timelines).step_by(331) {
            push(&mut log, t, t as i64 % 11);
            push(&mut log, t, 3);
        }
        let read = |parts: usize| -> Vec<(usize, Vec<i64>, Vec<u32>)> {
            let parts = settled
                .read_in_parts(&log, timelines, parts, Vec::new, |part, t, events| {
                    if !events.values.is_empty() {
                        part.push((t, events.values.to_vec(), events.payloads.to_vec()));
                    }
                    Ok(())
                })
                .unwrap();
            parts.into_iter().flatten().collect()
        };
        let at_once = read(1);
        assert!(at_once.len() > 100);
        assert!(at_once.iter().any(|(_, values, _)| values.len() == 3));
        for parts in [2, 3, 8] {
            assert_eq!(read(parts), at_once, "{parts} parts");
        }
        // Nothing was consumed.
        assert!(!log.is_empty());
    }
}
