//! The values of the timeline metrics that keep every value
//! ([`Timeline::KEEPS_EVERY_VALUE`](super::Timeline::KEEPS_EVERY_VALUE): the funnels): logged
//! as rows come, and sorted to their timelines only when a state or a result is asked for.
//!
//! With a million users, appending a row's value to its user's own list costs a cache miss
//! or two (the list's header, then its end) and an allocation whenever the list grows. The
//! log appends (timeline, value) instead, a sequential write to the log of the timeline's
//! bucket (a range of timeline numbers); settling sorts the log by timeline in one counting
//! pass, bucket after bucket, after which the values of all timelines lie in one array,
//! timeline after timeline, read front to back by the evaluation.

use std::mem::size_of;

use super::{Observation, values_of_bits};

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

#[derive(Debug)]
struct LogChunk {
    timelines: Vec<u32>,
    values: Vec<i64>,
}

/// Values in arrival order with their timelines, in buckets of consecutive timelines.
///
/// Settling writes each value to its timeline's place in one array. Written in arrival
/// order, those places are all over the array, a cache miss each; a bucket's places lie
/// together.
#[derive(Debug, Default)]
pub(super) struct ValueLog {
    /// By bucket (`timeline >> BUCKET_BITS`), its chunks.
    buckets: Vec<Vec<LogChunk>>,
    /// Heap bytes of the chunks.
    bytes: usize,
}

impl ValueLog {
    /// Logs the values of an observation, `value + i` for each set bit `i`.
    #[inline]
    pub(super) fn push_all(&mut self, timeline: u32, observation: &Observation) {
        let bucket = (timeline >> BUCKET_BITS) as usize;
        if bucket >= self.buckets.len() {
            self.buckets.resize_with(bucket + 1, Vec::new);
        }
        let chunks = &mut self.buckets[bucket];
        for value in values_of_bits(observation.value, observation.bits) {
            let chunk = match chunks.last_mut() {
                Some(chunk) if chunk.values.len() < chunk.values.capacity() => chunk,
                last => {
                    let size = last.map_or(FIRST_CHUNK, |full| (full.values.len() * 2).min(CHUNK));
                    chunks.push(LogChunk {
                        timelines: Vec::with_capacity(size),
                        values: Vec::with_capacity(size),
                    });
                    self.bytes += size * (size_of::<u32>() + size_of::<i64>());
                    chunks.last_mut().expect("a chunk was just pushed")
                }
            };
            chunk.timelines.push(timeline);
            chunk.values.push(value);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buckets.iter().all(Vec::is_empty)
    }

    pub(super) fn size(&self) -> usize {
        self.buckets.capacity() * size_of::<Vec<LogChunk>>()
            + self
                .buckets
                .iter()
                .map(|chunks| chunks.capacity() * size_of::<LogChunk>())
                .sum::<usize>()
            + self.bytes
    }

    fn chunks(&self) -> impl Iterator<Item = &LogChunk> {
        self.buckets.iter().flatten()
    }
}

/// Where a timeline's values lie in [`SettledValues::values`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: usize,
    len: usize,
}

/// The settled values of every timeline in one array, timeline after timeline.
#[derive(Debug, Default)]
pub(super) struct SettledValues {
    values: Vec<i64>,
    /// By timeline; a timeline past the end has no values.
    spans: Vec<Span>,
    /// Whether each timeline's values are sorted and distinct.
    compacted: bool,
}

impl SettledValues {
    pub(super) fn of(&self, timeline: usize) -> &[i64] {
        match self.spans.get(timeline) {
            Some(span) => &self.values[span.start..span.start + span.len],
            None => &[],
        }
    }

    pub(super) fn size(&self) -> usize {
        self.values.capacity() * size_of::<i64>() + self.spans.capacity() * size_of::<Span>()
    }

    /// Adds the logged values to their timelines (`timelines` of them) and empties the log:
    /// a counting sort by timeline into a new array, each timeline's settled values first,
    /// the log's chunks freed as they are read.
    pub(super) fn settle(&mut self, log: &mut ValueLog, timelines: usize) {
        if log.is_empty() {
            return;
        }
        let mut spans = vec![Span::default(); timelines];
        for (timeline, span) in spans.iter_mut().enumerate() {
            span.len = self.of(timeline).len();
        }
        for chunk in log.chunks() {
            for &timeline in &chunk.timelines {
                spans[timeline as usize].len += 1;
            }
        }
        // Each span's start, and in `next` one past its end, filled from the back.
        let mut next = Vec::with_capacity(timelines);
        let mut total = 0;
        for span in &mut spans {
            span.start = total;
            total += span.len;
            next.push(total);
        }
        let mut values = vec![0i64; total];
        for chunk in std::mem::take(&mut log.buckets).into_iter().flatten() {
            for (&timeline, &value) in chunk.timelines.iter().zip(&chunk.values) {
                let place = &mut next[timeline as usize];
                *place -= 1;
                values[*place] = value;
            }
        }
        for (timeline, span) in spans.iter().enumerate() {
            let before = self.of(timeline);
            values[span.start..span.start + before.len()].copy_from_slice(before);
        }
        log.bytes = 0;
        *self = Self {
            values,
            spans,
            compacted: false,
        };
    }

    /// Sorts each timeline's values and drops repeats (the room they leave stays unused).
    pub(super) fn compact(&mut self) {
        if self.compacted {
            return;
        }
        for span in &mut self.spans {
            let values = &mut self.values[span.start..span.start + span.len];
            values.sort_unstable();
            let mut distinct = 0;
            for i in 0..values.len() {
                if distinct == 0 || values[i] != values[distinct - 1] {
                    values[distinct] = values[i];
                    distinct += 1;
                }
            }
            span.len = distinct;
        }
        self.compacted = true;
    }

    /// Keeps the values of the given timelines, renumbered in that order.
    pub(super) fn keep(&mut self, timelines: &[usize]) {
        let mut values = Vec::with_capacity(timelines.iter().map(|&t| self.of(t).len()).sum());
        let mut spans = Vec::with_capacity(timelines.len());
        for &timeline in timelines {
            let kept = self.of(timeline);
            spans.push(Span {
                start: values.len(),
                len: kept.len(),
            });
            values.extend_from_slice(kept);
        }
        (self.values, self.spans) = (values, spans);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::timelines::NO_START;

    fn log(entries: &[(u32, i64)]) -> ValueLog {
        let mut log = ValueLog::default();
        for &(timeline, value) in entries {
            let one = Observation {
                value,
                bits: Observation::ONE,
                start: NO_START,
            };
            log.push_all(timeline, &one);
        }
        log
    }

    #[test]
    fn settling_groups_values_by_timeline_after_those_settled_before() {
        let mut settled = SettledValues::default();
        let mut first = log(&[(1, 30), (0, 20), (1, 10), (1, 30)]);
        settled.settle(&mut first, 3);
        assert!(first.is_empty() && first.size() == 0);
        settled.compact();
        assert_eq!(settled.of(0), [20]);
        assert_eq!(settled.of(1), [10, 30]);
        assert_eq!(settled.of(2), [] as [i64; 0]);

        // More values, for old timelines and a new one: appended after the settled ones.
        let mut second = log(&[(3, 5), (0, 1), (2, 7), (0, 20)]);
        settled.settle(&mut second, 4);
        settled.compact();
        assert_eq!(settled.of(0), [1, 20]);
        assert_eq!(settled.of(1), [10, 30]);
        assert_eq!(settled.of(2), [7]);
        assert_eq!(settled.of(3), [5]);

        // Keeping timelines 3 and 1 renumbers them 0 and 1.
        settled.keep(&[3, 1]);
        assert_eq!(settled.of(0), [5]);
        assert_eq!(settled.of(1), [10, 30]);
        assert_eq!(settled.of(2), [] as [i64; 0]);
    }

    #[test]
    fn timelines_of_many_buckets_settle_in_order() {
        let far = 3 << BUCKET_BITS;
        let (next, last) = (1 << BUCKET_BITS, far + 5);
        let mut settled = SettledValues::default();
        let mut first = log(&[(last, 9), (0, 4), (next, 7), (last, 8), (0, 3)]);
        assert_eq!(first.buckets.len(), 4);
        settled.settle(&mut first, last as usize + 1);
        assert!(first.is_empty() && first.size() == 0);
        settled.compact();
        assert_eq!(settled.of(0), [3, 4]);
        assert_eq!(settled.of(next as usize), [7]);
        assert_eq!(settled.of(last as usize), [8, 9]);
        assert_eq!(settled.of(far as usize), [] as [i64; 0]);
        assert_eq!(settled.values[..2], [3, 4]);
        assert_eq!(settled.values[settled.values.len() - 2..], [8, 9]);
    }

    #[test]
    fn an_observation_of_several_steps_logs_a_value_each_and_chunks_grow() {
        let mut log = ValueLog::default();
        let steps = Observation {
            value: 100,
            bits: 0b1011,
            start: NO_START,
        };
        for _ in 0..1_000 {
            log.push_all(0, &steps);
        }
        // Chunks of 64, 128, … entries: room for the 3 000 values, not a full chunk each.
        assert!(log.size() >= 3_000 * 12 && log.size() < 2 * 4_096 * 12 + 1_000);
        let mut settled = SettledValues::default();
        settled.settle(&mut log, 1);
        assert_eq!(settled.of(0).len(), 3_000);
        settled.compact();
        assert_eq!(settled.of(0), [100, 101, 103]);
    }
}
