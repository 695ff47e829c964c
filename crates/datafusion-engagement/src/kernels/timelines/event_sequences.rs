//! The event-sequence kernel (the funnels): every event of a sequence counts, in order. The
//! values go to one log per accumulator and are sorted to their sequences only when a state
//! or a result is asked for ([`super::logged`]): an event costs a sequential write instead of
//! a visit to its user's own list (two cache misses on a large table). A result reduces each
//! sequence to what it needs of it ([`EventSequenceMetric::reduce`]) a bucket of sequences at
//! a time, never holding them all.

use std::marker::PhantomData;
use std::mem::size_of;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use super::logged::{SettledValues, ValueLog};
use super::{
    NO_START, Observation, ObservedBatch, ResultRows, Row, STATE_COLUMNS, Store, TimelineMetric,
    TimelineSlot, accumulator, groups_accumulator, state_fields,
};
use crate::common::group_keys::GroupKeyTable;
use crate::common::list_state::group_lists;
use crate::common::metric::Kernel;

/// What a metric over event sequences says about itself; [`EventSequenceKernel`] does the
/// rest. Such a metric takes no start.
pub(crate) trait EventSequenceMetric: TimelineMetric {
    /// Whether the first argument is a user id, each group's users' sequences kept apart;
    /// without one (window_funnel, grouped by user in SQL) a group is one sequence.
    const PER_USER: bool = true;
    /// Whether a sequence keeps a value its events give more than once as often as they give
    /// it (page views at one instant each count), or once (a funnel step met twice at one
    /// time is one step).
    const REPEATS_KEPT: bool = false;
    /// What [`Self::reduce`] makes of a sequence.
    type Reduced: Copy + Default + Send + Sync + 'static;

    /// Per row, the values an event stands for, as offsets from its value: `value + i` for
    /// each set bit `i` (the funnel steps the event meets). 0: the row stands for no value,
    /// but its user was seen.
    fn row_bits(cx: &Self::Context, arguments: &[ArrayRef]) -> Result<Vec<u64>>;
    /// What the result needs of a sequence (its values sorted, and distinct unless
    /// [`Self::REPEATS_KEPT`]): a funnel's level.
    fn reduce(cx: &Self::Context, values: &[i64]) -> Result<Self::Reduced>;
    /// A group's result rows from its sequences' reduced forms (at least one, or a user seen
    /// without values, which reduces to nothing here).
    fn evaluate_group(
        cx: &Self::Context,
        reduced: &[Self::Reduced],
        rows: &mut ResultRows<Row<Self>>,
    ) -> Result<()>;
}

/// The kernel of the [`EventSequenceMetric`]s.
#[derive(Debug)]
pub(crate) struct EventSequenceKernel;

impl<M: EventSequenceMetric> Kernel<M> for EventSequenceKernel {
    const NAMED_STATE_COLUMNS: usize = STATE_COLUMNS;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        state_fields::<M, LoggedSequences<M>>(args)
    }

    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        accumulator::<M, LoggedSequences<M>>(rule, args)
    }

    fn groups_accumulator(
        rule: M::Rule,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        groups_accumulator::<M, LoggedSequences<M>>(rule, args)
    }
}

/// The sequences' values, logged: the store of the [`EventSequenceKernel`].
#[derive(Debug)]
struct LoggedSequences<M> {
    /// How many sequences there are.
    sequences: usize,
    /// The values not yet settled, and those settled.
    log: ValueLog,
    settled: SettledValues,
    /// By group: a user of the group seen without values (an event meeting no funnel step).
    /// Such users get no sequence, but their group has a result (no step reached) rather
    /// than NULL.
    seen: Vec<Option<u64>>,
    metric: PhantomData<M>,
}

impl<M: EventSequenceMetric> Default for LoggedSequences<M> {
    fn default() -> Self {
        Self {
            sequences: 0,
            log: ValueLog::default(),
            settled: SettledValues::new(M::REPEATS_KEPT),
            seen: vec![],
            metric: PhantomData,
        }
    }
}

impl<M: EventSequenceMetric> Store<M> for LoggedSequences<M> {
    const START_ARG: Option<usize> = None;
    const PER_USER: bool = M::PER_USER;
    const VALUE_SETS: bool = false;

    fn row_bits(cx: &M::Context, arguments: &[ArrayRef]) -> Result<Option<Vec<u64>>> {
        M::row_bits(cx, arguments).map(Some)
    }

    /// Logs the values of a batch of observations. An observation without values only marks
    /// its group as seen, without a table lookup.
    fn observe(
        &mut self,
        _cx: &M::Context,
        table: &mut GroupKeyTable<TimelineSlot>,
        batch: &mut ObservedBatch,
    ) {
        let ObservedBatch {
            keys, observations, ..
        } = batch;
        let mut kept = 0;
        for i in 0..keys.len() {
            let ((group, user), observation) = (keys[i], observations[i]);
            debug_assert_eq!(observation.start, NO_START, "{}: a start", M::NAME);
            if observation.bits != 0 {
                (keys[kept], observations[kept]) = (keys[i], observation);
                kept += 1;
                continue;
            }
            let group = group as usize;
            if self.seen.len() <= group {
                self.seen.resize(group + 1, None);
            }
            self.seen[group].get_or_insert(user);
        }
        keys.truncate(kept);
        observations.truncate(kept);
        let log = &mut self.log;
        let mut next_sequence = self.sequences as u32;
        table.for_each_slot(
            keys,
            TimelineSlot::numbered(keys, &mut next_sequence),
            |row, slot, _| log.push_all(slot.timeline, &observations[row]),
        );
        self.sequences = next_sequence as usize;
    }

    fn timeline_count(&self) -> usize {
        self.sequences
    }

    fn settle(&mut self, _cx: &M::Context) -> Result<()> {
        self.settled.settle(&mut self.log, self.sequences)
    }

    fn state_elements(&self, t: usize) -> impl Iterator<Item = (i64, u64)> + '_ {
        let values = self.settled.of(t);
        let seen_alone = values.is_empty().then_some(Observation::PRESENT);
        seen_alone
            .into_iter()
            .chain(values.iter().map(|&v| (v, Observation::ONE)))
    }

    fn seen_alone(&self, group: usize) -> Option<u64> {
        self.seen.get(group).copied().flatten()
    }

    /// Folded from the sequences' reduced forms. When every sequence is emitted and
    /// forgotten next, its values are settled and reduced a bucket at a time and dropped;
    /// else they are all settled, and kept.
    fn evaluate(
        &mut self,
        cx: &M::Context,
        keys: &[TimelineSlot],
        groups: usize,
        forgotten_next: bool,
    ) -> Result<ResultRows<Row<M>>> {
        let mut reduced = vec![M::Reduced::default(); keys.len()];
        if forgotten_next && keys.iter().all(|slot| (slot.group as usize) < groups) {
            self.settled
                .drain(&mut self.log, keys.len(), |sequence, values| {
                    reduced[sequence] = M::reduce(cx, values)?;
                    Ok(())
                })?;
        } else {
            self.settled.settle(&mut self.log, self.sequences)?;
            for (sequence, slot) in keys.iter().enumerate() {
                if (slot.group as usize) < groups {
                    reduced[sequence] = M::reduce(cx, self.settled.of(sequence))?;
                }
            }
        }
        let (offsets, by_group) = group_lists(groups, M::Reduced::default(), || {
            keys.iter()
                .map(|slot| slot.group)
                .zip(reduced.iter().copied())
        });
        let of_group = |group: usize| &by_group[offsets[group]..offsets[group + 1]];
        ResultRows::of_groups(
            groups,
            |group| !of_group(group).is_empty() || self.seen_alone(group).is_some(),
            |group, rows| M::evaluate_group(cx, of_group(group), rows),
        )
    }

    fn take(&mut self, emit_to: EmitTo, kept: &[usize]) {
        // The state or result just taken settled the log.
        debug_assert!(self.log.is_empty());
        match emit_to {
            EmitTo::First(n) if n < self.seen.len() => drop(self.seen.drain(..n)),
            _ => self.seen.clear(),
        }
        self.settled.keep(kept);
        self.sequences = kept.len();
    }

    fn size(&self) -> usize {
        self.log.size() + self.settled.size() + self.seen.capacity() * size_of::<Option<u64>>()
    }
}
