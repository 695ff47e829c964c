//! The values of the timeline metrics that keep every value
//! ([`Timeline::KEEPS_EVERY_VALUE`](super::Timeline::KEEPS_EVERY_VALUE): the funnels): logged
//! as rows come, and sorted to their timelines only when a state or a result is asked for.
//!
//! With a million users, appending a row's value to its user's own list costs a cache miss
//! or two (the list's header, then its end) and an allocation whenever the list grows. The
//! log appends (timeline, value) instead, a sequential write; settling sorts the log by
//! timeline in one counting pass, after which the values of all timelines lie in one
//! array, timeline after timeline, read front to back by the evaluation.

use std::mem::size_of;

use super::Observation;

/// Entries per chunk of the log: it grows by chunks, never copying what it holds.
const CHUNK: usize = 1 << 16;

#[derive(Debug)]
struct LogChunk {
    timelines: Vec<u32>,
    values: Vec<i64>,
}

/// Values in arrival order with their timelines.
#[derive(Debug, Default)]
pub(super) struct ValueLog {
    chunks: Vec<LogChunk>,
}

impl ValueLog {
    /// Logs the values of an observation, `value + i` for each set bit `i`.
    #[inline]
    pub(super) fn push_all(&mut self, timeline: u32, observation: &Observation) {
        let mut bits = observation.bits;
        while bits != 0 {
            let chunk = match self.chunks.last_mut() {
                Some(chunk) if chunk.values.len() < CHUNK => chunk,
                _ => {
                    self.chunks.push(LogChunk {
                        timelines: Vec::with_capacity(CHUNK),
                        values: Vec::with_capacity(CHUNK),
                    });
                    self.chunks.last_mut().expect("a chunk was just pushed")
                }
            };
            let offset = i64::from(bits.trailing_zeros());
            chunk.timelines.push(timeline);
            chunk.values.push(observation.value.saturating_add(offset));
            bits &= bits - 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub(super) fn size(&self) -> usize {
        self.chunks.capacity() * size_of::<LogChunk>()
            + self.chunks.len() * CHUNK * (size_of::<u32>() + size_of::<i64>())
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
        for chunk in &log.chunks {
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
        for chunk in std::mem::take(&mut log.chunks) {
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
