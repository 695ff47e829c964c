//! The event-sequence kernel (the funnels): every event of a sequence counts, in order. The
//! values go to one log per accumulator and are sorted to their sequences only when a state
//! or a result is asked for ([`super::logged`]): an event costs a sequential write instead of
//! a visit to its user's own list (two cache misses on a large table). A result gathers what
//! it needs of each sequence ([`GatherSequences`]: most metrics reduce a sequence to a value,
//! [`ReducedSequences`]) a bucket of sequences at a time, never holding them all. An event
//! may carry a payload (the page a view is of) that travels and sorts with its time.
//!
//! Ungrouped, the metrics over users split their users among shards taken in on threads of
//! their own ([`sharded`]): an ungrouped aggregate otherwise runs on one thread.

use std::marker::PhantomData;
use std::mem::size_of;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use super::logged::{Events, SettledValues, ValueLog};
use super::{
    Element, NO_START, Observation, ObservedBatch, ResultRows, Row, STATE_COLUMNS, Store,
    TimelineMetric, TimelineSlot, accumulator, groups_accumulator, payload_keys, state_fields,
};
use crate::common::group_keys::GroupKeyTable;
use crate::common::list_state::group_lists;
use crate::common::metric::Kernel;
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIds;
use sharded::ShardedSequences;

mod sharded;

/// What a metric over event sequences says about itself; [`EventSequenceKernel`] does the
/// rest. Such a metric takes no start.
pub(crate) trait EventSequenceMetric: TimelineMetric {
    /// Whether the first argument is a user id, each group's users' sequences kept apart;
    /// without one (window_funnel, grouped by user in SQL) a group is one sequence.
    const PER_USER: bool = true;
    /// Position of the argument whose value each event carries: a string column (a page),
    /// its NULL rows skipped. Events then sort by value, then payload.
    const PAYLOAD_ARG: Option<usize> = None;
    /// What a result gathers from the sequences.
    type Gathered: GatherSequences<Self>;

    /// Reads the key of each selected row's payload into `keys` (by row): the key of the
    /// [`Self::PAYLOAD_ARG`] column's string, unless the metric derives its payloads from more
    /// arguments (`sequence_next_node`: the event with the conditions its row meets, so that
    /// each row stays one event whole).
    fn payload_keys(
        _cx: &Self::Context,
        payload_ids: &mut UserIds,
        arguments: &[ArrayRef],
        rows: &SelectedRows,
        keys: &mut Vec<u32>,
    ) -> Result<()> {
        let column = Self::PAYLOAD_ARG.map(|arg| &arguments[arg]);
        payload_keys(Self::NAME, payload_ids, column, rows, keys)
    }

    /// Per row, the values an event stands for, as offsets from its value: `value + i` for
    /// each set bit `i` (the funnel steps the event meets). 0: the row stands for no value,
    /// but its user was seen.
    fn row_bits(cx: &Self::Context, arguments: &[ArrayRef]) -> Result<Vec<u64>>;
}

/// What a result gathers from the sequences of an [`EventSequenceMetric`], one at a time in
/// sequence order, and the result rows it makes of them.
pub(crate) trait GatherSequences<M: TimelineMetric>: Sized + Send {
    /// Ready for `sequences` sequences of `groups` groups, whose payload keys `payloads`
    /// names.
    fn new(cx: &M::Context, sequences: usize, groups: usize, payloads: &UserIds) -> Self;
    /// Adds sequence number `sequence` of `group`: its events sorted, an event logged twice
    /// there twice. `payloads` names the payload keys.
    fn add(
        &mut self,
        cx: &M::Context,
        sequence: usize,
        group: u32,
        events: Events,
        payloads: &UserIds,
    ) -> Result<()>;
    /// Adds what `other` gathered from other sequences (read at once, in parts).
    fn absorb(&mut self, other: Self);
    /// The result rows of `groups` groups; `seen_alone(group)`: a user of the group was seen
    /// without values, so that the group has a result even without sequences.
    fn rows(
        self,
        cx: &M::Context,
        groups: usize,
        seen_alone: impl Fn(usize) -> bool,
        payloads: &UserIds,
    ) -> Result<ResultRows<Row<M>>>;
}

/// An [`EventSequenceMetric`] whose result reduces each sequence to a value (a funnel's
/// level), and a group's result from its sequences' values: its
/// [`EventSequenceMetric::Gathered`] is [`Reductions`].
pub(crate) trait ReducedSequences: EventSequenceMetric {
    /// What [`Self::reduce`] makes of a sequence.
    type Reduced: Copy + Default + Send + Sync + 'static;

    /// What the result needs of a sequence (its values sorted, a value logged twice there
    /// twice): a funnel's level.
    fn reduce(cx: &Self::Context, values: &[i64]) -> Result<Self::Reduced>;
    /// A group's result rows from its sequences' reduced forms (at least one, or a user seen
    /// without values, which reduces to nothing here).
    fn evaluate_group(
        cx: &Self::Context,
        reduced: &[Self::Reduced],
        rows: &mut ResultRows<Row<Self>>,
    ) -> Result<()>;
}

/// Each sequence reduced to a value, with its group: what a [`ReducedSequences`] metric
/// gathers.
#[derive(Debug)]
pub(crate) struct Reductions<M: ReducedSequences> {
    /// By sequence: its group (`u32::MAX` for one not added) and reduced form.
    reduced: Vec<(u32, M::Reduced)>,
}

impl<M: ReducedSequences> GatherSequences<M> for Reductions<M> {
    fn new(_: &M::Context, sequences: usize, _: usize, _: &UserIds) -> Self {
        Self {
            reduced: vec![(u32::MAX, M::Reduced::default()); sequences],
        }
    }

    fn add(
        &mut self,
        cx: &M::Context,
        sequence: usize,
        group: u32,
        events: Events,
        _: &UserIds,
    ) -> Result<()> {
        self.reduced[sequence] = (group, M::reduce(cx, events.values)?);
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        let added = other.reduced.into_iter().enumerate();
        for (sequence, reduced) in added.filter(|(_, (group, _))| *group != u32::MAX) {
            self.reduced[sequence] = reduced;
        }
    }

    fn rows(
        self,
        cx: &M::Context,
        groups: usize,
        seen_alone: impl Fn(usize) -> bool,
        _: &UserIds,
    ) -> Result<ResultRows<Row<M>>> {
        // Sequences not added are of no group below `groups`: left out.
        let (offsets, by_group) = group_lists(groups, M::Reduced::default(), || {
            self.reduced.iter().copied()
        });
        let of_group = |group: usize| &by_group[offsets[group]..offsets[group + 1]];
        ResultRows::of_groups(
            groups,
            |group| !of_group(group).is_empty() || seen_alone(group),
            |group, rows| M::evaluate_group(cx, of_group(group), rows),
        )
    }
}

/// The kernel of the [`EventSequenceMetric`]s.
#[derive(Debug)]
pub(crate) struct EventSequenceKernel;

impl<M: EventSequenceMetric> Kernel<M> for EventSequenceKernel {
    // With payloads, a fourth column holds them.
    const NAMED_STATE_COLUMNS: usize = STATE_COLUMNS + M::PAYLOAD_ARG.is_some() as usize;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        state_fields::<M, LoggedSequences<M>>(args)
    }

    /// Users' sequences in shards taken in at once, on the machine's threads: an ungrouped
    /// aggregate's one thread would otherwise take every row in alone.
    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if M::PER_USER {
            let sharded = ShardedSequences::<M>::new(rule, args, parallelism())?;
            return Ok(Box::new(sharded));
        }
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
            log: ValueLog::new(M::PAYLOAD_ARG.is_some()),
            settled: SettledValues::new(M::PAYLOAD_ARG.is_some()),
            seen: vec![],
            metric: PhantomData,
        }
    }
}

impl<M: EventSequenceMetric> Store<M> for LoggedSequences<M> {
    const START_ARG: Option<usize> = None;
    const PER_USER: bool = M::PER_USER;
    const VALUE_SETS: bool = false;
    const PAYLOAD_ARG: Option<usize> = M::PAYLOAD_ARG;

    fn row_bits(cx: &M::Context, arguments: &[ArrayRef]) -> Result<Option<Vec<u64>>> {
        M::row_bits(cx, arguments).map(Some)
    }

    fn payload_keys(
        cx: &M::Context,
        payload_ids: &mut UserIds,
        arguments: &[ArrayRef],
        rows: &SelectedRows,
        keys: &mut Vec<u32>,
    ) -> Result<()> {
        M::payload_keys(cx, payload_ids, arguments, rows, keys)
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

    /// Sequence after sequence, each one's values as they lie: a state needs no order
    /// within a sequence, so nothing is sorted for it. Every sequence has a value (a user
    /// seen without one has none).
    fn for_each_element(
        &mut self,
        _cx: &M::Context,
        mut each: impl FnMut(usize, Element),
    ) -> Result<()> {
        self.settled
            .read_unsorted(&self.log, self.sequences, |sequence, events| {
                for (i, &value) in events.values.iter().enumerate() {
                    let payload = events.payloads.get(i).copied().unwrap_or(0);
                    each(sequence, (value, Observation::ONE, payload));
                }
                Ok(())
            })
    }

    fn seen_alone(&self, group: usize) -> Option<u64> {
        self.seen.get(group).copied().flatten()
    }

    /// Gathered from the sequences.
    fn evaluate(
        &mut self,
        cx: &M::Context,
        keys: &[TimelineSlot],
        groups: usize,
        forgotten_next: bool,
        payloads: &UserIds,
    ) -> Result<ResultRows<Row<M>>> {
        let numbering = Numbering::dense(keys.len());
        let gathered = self.gather(cx, keys, groups, forgotten_next, payloads, numbering)?;
        let seen_alone = |group: usize| self.seen_alone(group).is_some();
        gathered.rows(cx, groups, seen_alone, payloads)
    }

    fn take(&mut self, emit_to: EmitTo, kept: &[usize]) -> Result<()> {
        match emit_to {
            EmitTo::First(n) if n < self.seen.len() => drop(self.seen.drain(..n)),
            _ => self.seen.clear(),
        }
        if kept.is_empty() {
            self.log.clear();
            self.settled = SettledValues::new(M::PAYLOAD_ARG.is_some());
        } else {
            // Some groups stay (an emission of the first groups): their values are settled,
            // and kept renumbered.
            self.settled.settle(&mut self.log, self.sequences)?;
            self.settled.keep(kept);
        }
        self.sequences = kept.len();
        Ok(())
    }

    fn size(&self) -> usize {
        self.log.size() + self.settled.size() + self.seen.capacity() * size_of::<Option<u64>>()
    }
}

impl<M: EventSequenceMetric> LoggedSequences<M> {
    /// What the sequences of the first `groups` groups give, each sequence handed to the
    /// gatherer under its number in `numbering`. When every sequence is emitted and forgotten
    /// next, its values are settled and gathered a bucket at a time and dropped; else they
    /// are all settled, and kept.
    fn gather(
        &mut self,
        cx: &M::Context,
        keys: &[TimelineSlot],
        groups: usize,
        forgotten_next: bool,
        payloads: &UserIds,
        numbering: Numbering,
    ) -> Result<M::Gathered> {
        let mut gathered = M::Gathered::new(cx, numbering.sequences, groups, payloads);
        if forgotten_next && keys.iter().all(|slot| (slot.group as usize) < groups) {
            self.settled
                .drain(&mut self.log, keys.len(), |sequence, events| {
                    let number = numbering.of(sequence);
                    gathered.add(cx, number, keys[sequence].group, events, payloads)
                })?;
        } else {
            // Kept for a window frame's next evaluation, or read by one thread alone when
            // DataFusion's final stage of an ungrouped aggregate calls: read in parts at once.
            let new_part = || M::Gathered::new(cx, numbering.sequences, groups, payloads);
            let parts = self.settled.read_in_parts(
                &self.log,
                keys.len(),
                parallelism(),
                new_part,
                |part, sequence, events| {
                    let group = keys[sequence].group;
                    if (group as usize) < groups {
                        part.add(cx, numbering.of(sequence), group, events, payloads)?;
                    }
                    Ok(())
                },
            )?;
            parts.into_iter().for_each(|part| gathered.absorb(part));
        }
        Ok(gathered)
    }
}

/// The numbers a store's sequences go by in what they are gathered into: their own, or, in
/// shard `shard` of `shards`, `sequence * shards + shard`, so that the shards' numbers never
/// meet.
#[derive(Debug, Clone, Copy)]
struct Numbering {
    /// Sequence numbers below this, in every shard.
    sequences: usize,
    shards: usize,
    shard: usize,
}

impl Numbering {
    fn dense(sequences: usize) -> Self {
        Self {
            sequences,
            shards: 1,
            shard: 0,
        }
    }

    #[inline]
    fn of(&self, sequence: usize) -> usize {
        sequence * self.shards + self.shard
    }
}

/// The threads a result may be read on at once: the machine's, asked once (Linux reads the
/// cgroup's CPU quota from files each time, and a window frame evaluates once per row).
fn parallelism() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
