//! The kernels of the event-log functions: per group, each user's events over time, from which
//! the metric folds the group's result. Two kinds, by what their metrics really are:
//!
//! - [`UserTimelineMetric`] ([`UserTimelineKernel`]): retention and lifecycle. Per (group,
//!   user), the user's values (event times, or the calendar periods the user was active in)
//!   and an optional start (a signup); the metric may drop values that cannot change its
//!   result, so a user costs what the metric needs, not one entry per event. A group's result
//!   is folded from its users' timelines.
//! - [`EventSequenceMetric`] ([`EventSequenceKernel`]): the funnels, the sequences, the paths
//!   and retention by events. Every event counts, in order: the values go to one log per
//!   accumulator and are sorted to their sequences only when a state or a result is asked
//!   for; each sequence is reduced to what the result needs of it (a funnel's level), and a
//!   group's result is folded from those.
//!
//! Both share what is here: the (group, user) table numbering timelines, the batches of
//! observations rows and states are read into, the state layout, and typed result rows
//! ([`result_row!`], [`RowList`], [`OneValue`]).
//!
//! The state is three lists per group, one element per (user, value): the user, the value,
//! and whether the value is the user's start rather than an event — or, for metrics over
//! small integers, a 64-bit set of values from it (0 for the start), so that a user's active
//! weeks travel as one element. A metric whose events carry a payload (the page a view is
//! of) has a fourth list, each element's payload. Merging adds elements as update adds rows,
//! so partial states combine exactly in any order.

use std::borrow::Cow;
use std::fmt::Debug;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::BooleanBufferBuilder;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, UInt64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, UInt64Type};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use crate::common::bit_window;
use crate::common::group_keys::{Entry, GroupKeyTable, GroupedKeys, VACANT};
use crate::common::list_state::{ListElements, list_columns, offsets_of};
use crate::common::metric::Metric;
use crate::common::rows::SelectedRows;
use crate::common::user_ids::{UserIdKind, UserIds};

mod event_sequences;
mod logged;
mod result_rows;
mod user_timelines;

pub(crate) use event_sequences::{
    EventSequenceKernel, EventSequenceMetric, GatherSequences, ReducedSequences, Reductions,
};
pub(crate) use logged::Events;
pub(crate) use result_rows::{
    Day, OneRow, OneValue, Output, Payload, ResultRow, ResultRows, ResultValue, RowList, result_row,
};
pub(crate) use user_timelines::{UserTimeline, UserTimelineKernel, UserTimelineMetric};

/// What every metric over users' events says about itself: how times become values, and
/// what its result is. A metric also implements one of the kernels' traits,
/// [`UserTimelineMetric`] or [`EventSequenceMetric`].
pub(crate) trait TimelineMetric: Metric {
    /// What the metric computes with at run time: its rule and what it needs of the input
    /// types (the time zone of event times).
    type Context: Debug + Clone + Send + Sync + 'static;
    /// A group's result: [`RowList`] or [`OneValue`] of the metric's row.
    type Output: Output;
    /// Position of the event time among the arguments: after the user id (or a constant that
    /// rules the call: a window, a pattern).
    const EVENT_TIME_ARG: usize = 1;

    /// `arguments`: how many arguments the call passes.
    fn context(rule: Self::Rule, event_time: &DataType, arguments: usize) -> Result<Self::Context>;
    /// The value of every row of a time column (event times, or starts); meaningless for NULL
    /// rows, which the kernel skips.
    fn values<'a>(cx: &Self::Context, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>>;
}

/// The result row of a timeline metric.
pub(crate) type Row<M> = <<M as TimelineMetric>::Output as Output>::Row;

/// The SQL type of a timeline metric's result, for [`Metric::return_type`].
pub(crate) fn result_type<M: TimelineMetric>() -> DataType {
    M::Output::data_type()
}

/// A (group, user) slot: the number of the user's timeline.
#[derive(Debug, Clone, Copy)]
struct TimelineSlot {
    group: u32,
    timeline: u32,
    user: u64,
}

impl TimelineSlot {
    /// The new slot of `keys[row]`, taking the timeline number `next` (which it advances).
    fn numbered<'a>(keys: &'a [(u32, u64)], next: &'a mut u32) -> impl FnMut(usize) -> Self + 'a {
        move |row| {
            *next += 1;
            Self {
                group: keys[row].0,
                timeline: *next - 1,
                user: keys[row].1,
            }
        }
    }
}

impl Entry for TimelineSlot {
    const EMPTY: Self = Self {
        group: VACANT,
        timeline: 0,
        user: 0,
    };

    fn group(&self) -> u32 {
        self.group
    }

    fn key(&self) -> u64 {
        self.user
    }

    fn set_group(&mut self, group: u32) {
        self.group = group;
    }
}

/// No start seen yet.
const NO_START: i64 = i64::MAX;

/// A batch of observations with their (group, user) keys, and the timeline each goes to.
/// An accumulator keeps one and refills it batch after batch: allocating these anew for each
/// batch costs more than using them (fresh pages, zeroed by the kernel).
#[derive(Debug, Default)]
struct ObservedBatch {
    keys: Vec<(u32, u64)>,
    observations: Vec<Observation>,
    timelines: Vec<usize>,
    /// By row of the input (or element of the state), its payload's key, read before the
    /// rows are observed ([`payload_keys`]); empty without payloads.
    payloads: Vec<u32>,
}

impl ObservedBatch {
    fn clear(&mut self, capacity: usize) {
        self.keys.clear();
        self.observations.clear();
        self.timelines.clear();
        self.keys.reserve(capacity);
        self.observations.reserve(capacity);
        self.timelines.reserve(capacity);
    }

    fn push(&mut self, key: (u32, u64), observation: Observation) {
        self.keys.push(key);
        self.observations.push(observation);
    }

    fn size(&self) -> usize {
        self.keys.capacity() * size_of::<(u32, u64)>()
            + self.observations.capacity() * size_of::<Observation>()
            + self.timelines.capacity() * size_of::<usize>()
            + self.payloads.capacity() * size_of::<u32>()
    }
}

/// One observation of a user: values, a start, or both (a row's event and start time, so
/// that the row probes the user's slot once).
#[derive(Debug, Clone, Copy)]
struct Observation {
    /// The values `value + i` for each set bit `i` of `bits`: 1 for `value` alone, more from
    /// the 64-bit sets of small-integer states or a funnel's steps; none when `bits` is 0.
    value: i64,
    bits: u64,
    /// A start, or [`NO_START`].
    start: i64,
    /// What each of the values carries (a page's key), or 0 for a metric without payloads.
    payload: u32,
}

impl Observation {
    /// The bits of a state element that is a start.
    const START: u64 = 0;
    const ONE: u64 = 1;
    /// The state element of a user seen with no values and no start: a start element whose
    /// start is [`NO_START`].
    const PRESENT: (i64, u64) = (NO_START, Self::START);

    /// A state element: a start when `bits` is [`Self::START`], else values.
    fn of_element((value, bits, payload): Element) -> Self {
        if bits == Self::START {
            Self {
                value: 0,
                bits,
                start: value,
                payload,
            }
        } else {
            Self {
                value,
                bits,
                start: NO_START,
                payload,
            }
        }
    }

    /// The observation as state elements: the start, then each value (one element each, as
    /// the BOOLEAN third column of most metrics holds them).
    fn elements(&self) -> impl Iterator<Item = Element> {
        let start = if self.start != NO_START || self.bits == 0 {
            Some((self.start, Self::START, self.payload))
        } else {
            None
        };
        let payload = self.payload;
        let values = bit_window::members(self.value, self.bits)
            .map(move |value| (value, Self::ONE, payload));
        start.into_iter().chain(values)
    }
}

/// A state element: (value, bits, payload); the payload is 0 for a metric without payloads.
type Element = (i64, u64, u32);

/// The state's columns: users, values, and each element's bits (and, with payloads, a
/// fourth: each element's payload).
const STATE_COLUMNS: usize = 3;

/// How one kind of timeline keeps its values: what differs between the two kernels. The
/// accumulator ([`Timelines`]) owns the (group, user) table and numbers the timelines; the
/// store keeps timeline `t`'s values.
trait Store<M: TimelineMetric>: Debug + Default + Send + Sync + 'static {
    /// Position of the optional start column among the arguments.
    const START_ARG: Option<usize>;
    /// Whether the first argument is a user id, each group's users kept apart; else a group
    /// is one timeline.
    const PER_USER: bool;
    /// Whether the state's third column holds 64-bit sets of values (UInt64) rather than
    /// "is a start" (BOOLEAN, each element one value).
    const VALUE_SETS: bool;
    /// Position of the argument whose value each event carries (a page), a string column;
    /// its rows that are NULL are skipped.
    const PAYLOAD_ARG: Option<usize> = None;

    /// Per row, the values an event stands for, as offsets from its value; `None`: the
    /// value alone.
    fn row_bits(cx: &M::Context, arguments: &[ArrayRef]) -> Result<Option<Vec<u64>>>;
    /// Reads the key of each selected row's payload into `keys`, by row (see
    /// [`EventSequenceMetric::payload_keys`]); a store without payloads reads none.
    fn payload_keys(
        _cx: &M::Context,
        _payload_ids: &mut UserIds,
        _arguments: &[ArrayRef],
        _rows: &SelectedRows,
        keys: &mut Vec<u32>,
    ) -> Result<()> {
        keys.clear();
        Ok(())
    }
    /// Adds a batch of observations; `table` finds each key's timeline, numbering new ones
    /// from [`Store::timeline_count`].
    fn observe(
        &mut self,
        cx: &M::Context,
        table: &mut GroupKeyTable<TimelineSlot>,
        batch: &mut ObservedBatch,
    );
    fn timeline_count(&self) -> usize;
    /// Calls `each(t, element)` for every state element of every timeline `t`, in any order.
    fn for_each_element(&mut self, cx: &M::Context, each: impl FnMut(usize, Element))
    -> Result<()>;
    /// A user of `group` seen without values (an event meeting no funnel step), if any: the
    /// group then has a result rather than NULL.
    fn seen_alone(&self, group: usize) -> Option<u64>;
    /// The result rows of the first `groups` groups; `keys[t]` is timeline `t`'s slot.
    /// `forgotten_next`: the caller forgets those groups right after (a groups accumulator's
    /// evaluation), so their values need not be kept; else (a window frame's evaluation,
    /// repeated as rows come) they are. `payloads` names the payload keys.
    fn evaluate(
        &mut self,
        cx: &M::Context,
        keys: &[TimelineSlot],
        groups: usize,
        forgotten_next: bool,
        payloads: &UserIds,
    ) -> Result<ResultRows<Row<M>>>;
    /// Keeps the timelines `kept` (their numbers before, in their order after) once
    /// `emit_to`'s groups are emitted.
    fn take(&mut self, emit_to: EmitTo, kept: &[usize]) -> Result<()>;
    /// Heap bytes held.
    fn size(&self) -> usize;
}

/// Fills `batch` with the observations of the selected rows of an input batch and their
/// (group, user) keys: one per row with a non-NULL event time or start.
fn observations_of_rows<M: TimelineMetric, S: Store<M>>(
    cx: &M::Context,
    ids: &mut UserIds,
    payload_ids: &mut UserIds,
    values: &[ArrayRef],
    rows: &SelectedRows,
    group_of: impl Fn(usize) -> u32,
    batch: &mut ObservedBatch,
) -> Result<()> {
    let times = &values[M::EVENT_TIME_ARG];
    let events = M::values(cx, times)?;
    let row_bits = S::row_bits(cx, values)?;
    let event_nulls = times.logical_nulls();
    let starts = match S::START_ARG.and_then(|i| values.get(i)) {
        Some(column) => Some((M::values(cx, column)?, column.logical_nulls())),
        None => None,
    };
    let is_valid =
        |nulls: &Option<NullBuffer>, row: usize| nulls.as_ref().is_none_or(|n| n.is_valid(row));
    batch.clear(values[0].len());
    let mut payloads = std::mem::take(&mut batch.payloads);
    S::payload_keys(cx, payload_ids, values, rows, &mut payloads)?;
    let mut observe = |row: usize, user: u64| {
        let event = is_valid(&event_nulls, row);
        let start = match &starts {
            Some((starts, nulls)) if is_valid(nulls, row) => starts[row],
            _ => NO_START,
        };
        if event || start != NO_START {
            let bits = match &row_bits {
                _ if !event => 0,
                Some(row_bits) => row_bits[row],
                None => Observation::ONE,
            };
            let value = events[row];
            let payload = payloads.get(row).copied().unwrap_or(0);
            let observation = Observation {
                value,
                bits,
                start,
                payload,
            };
            batch.push((group_of(row), user), observation);
        }
    };
    let observed = if S::PER_USER {
        ids.for_each_key(M::NAME, &values[0], rows, observe)
    } else {
        rows.for_each(|row| observe(row, 0));
        Ok(())
    };
    batch.payloads = payloads;
    observed
}

/// Reads the key of each selected row's payload in `column` (none without one) into `keys`,
/// by row: a buffer kept from batch to batch.
pub(crate) fn payload_keys(
    function: &str,
    payload_ids: &mut UserIds,
    column: Option<&ArrayRef>,
    rows: &SelectedRows,
    keys: &mut Vec<u32>,
) -> Result<()> {
    keys.clear();
    let Some(column) = column else {
        return Ok(());
    };
    keys.resize(column.len(), 0);
    payload_ids.for_each_key(function, column, rows, |row, key| {
        keys[row] = payload_key(key)
    })
}

/// The key of a payload: payloads are strings, whose keys are dense 32-bit ids.
fn payload_key(key: u64) -> u32 {
    debug_assert!(
        key <= u64::from(u32::MAX),
        "a string payload's key is a 32-bit id"
    );
    key as u32
}

/// How user ids are kept, from the first argument's type: a metric without users (a group is
/// one timeline) keeps user 0 of its own, whatever its first argument is (a window, a
/// pattern).
fn user_id_kind<M: TimelineMetric, S: Store<M>>(first_arg: &DataType) -> UserIdKind {
    if S::PER_USER {
        UserIdKind::of(first_arg)
    } else {
        UserIdKind::Int64
    }
}

/// The state's fields: the users, the values, the bits of each element, and its payload.
fn state_fields<M: TimelineMetric, S: Store<M>>(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
    let user_type = user_id_kind::<M, S>(args.input_fields[0].data_type()).state_type();
    let mut element_types = vec![user_type, DataType::Int64, bits_type::<M, S>()];
    // Payloads are strings, a few distinct ones (pages): dictionary-encoded.
    element_types.extend(S::PAYLOAD_ARG.map(|_| UserIds::dictionary_type()));
    Ok(M::STATE_NAMES
        .iter()
        .zip(element_types)
        .map(|(name, element)| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(element, false),
                false,
            ))
        })
        .collect())
}

/// The third state column's element type: bits of each element (0 for a start, else the
/// values `value + i` of the set bits), or a BOOLEAN "is a start" (each element one value).
fn bits_type<M: TimelineMetric, S: Store<M>>() -> DataType {
    if S::VALUE_SETS {
        DataType::UInt64
    } else {
        DataType::Boolean
    }
}

/// The state's elements, column by column, as they are placed: built straight into the
/// memory the state's arrays then own (a state can hold tens of millions of elements).
struct StateElements {
    users: Vec<u64>,
    values: Vec<i64>,
    /// 64-bit sets of values ([`Store::VALUE_SETS`]), or "is a start" bits.
    sets: Vec<u64>,
    is_start: BooleanBufferBuilder,
    /// With payloads, each element's; else none.
    payloads: Vec<u32>,
}

impl StateElements {
    /// Room for `len` elements, all (0, 0, not a start, 0) until set.
    fn zeroed<M: TimelineMetric, S: Store<M>>(len: usize) -> Self {
        let flags = if S::VALUE_SETS { 0 } else { len };
        let mut is_start = BooleanBufferBuilder::new(flags);
        is_start.append_n(flags, false);
        Self {
            users: vec![0; len],
            values: vec![0; len],
            sets: vec![0; if S::VALUE_SETS { len } else { 0 }],
            is_start,
            payloads: vec![0; if S::PAYLOAD_ARG.is_some() { len } else { 0 }],
        }
    }

    #[inline]
    fn set(&mut self, at: usize, user: u64, (value, bits, payload): Element) {
        (self.users[at], self.values[at]) = (user, value);
        match self.sets.get_mut(at) {
            Some(set) => *set = bits,
            None => self.is_start.set_bit(at, bits == Observation::START),
        }
        if let Some(p) = self.payloads.get_mut(at) {
            *p = payload;
        }
    }

    /// The list state columns of elements laid out group by group by `offsets`.
    fn into_lists<M: TimelineMetric, S: Store<M>>(
        mut self,
        (ids, payload_ids): (&UserIds, &UserIds),
        offsets: &[usize],
    ) -> Result<Vec<ArrayRef>> {
        let bits: ArrayRef = if S::VALUE_SETS {
            Arc::new(UInt64Array::from(self.sets))
        } else {
            Arc::new(BooleanArray::new(self.is_start.finish(), None))
        };
        let users = ids.values_of_owned(self.users)?;
        let mut columns = vec![users, Arc::new(Int64Array::from(self.values)), bits];
        if S::PAYLOAD_ARG.is_some() {
            columns.push(payload_ids.dictionary(self.payloads)?);
        }
        list_columns(M::NAME, offsets, columns)
    }
}

/// Reads a batch of states into `batch`, a chunk of elements at a time, each element an
/// observation of its user (`group_of(state_row)` giving each state row's group), and hands
/// each chunk's to `observe`. User ids and payloads are interned into `ids`.
fn observations_of_states<M: TimelineMetric>(
    (ids, payload_ids): (&mut UserIds, &mut UserIds),
    states: &[ArrayRef],
    group_of: impl Fn(usize) -> u32,
    batch: &mut ObservedBatch,
    mut observe: impl FnMut(&mut ObservedBatch),
) -> Result<()> {
    ListElements::for_each_chunk(states, |chunk| {
        let values = chunk.columns[1].as_primitive::<Int64Type>().values();
        let bits = ReadBits::of(&chunk.columns[2]);
        let every = SelectedRows::All(values.len());
        let mut payloads = std::mem::take(&mut batch.payloads);
        let column = chunk.columns.get(STATE_COLUMNS);
        payload_keys(M::NAME, payload_ids, column, &every, &mut payloads)?;
        batch.clear(values.len());
        ids.for_each_key(M::NAME, &chunk.columns[0], &every, |i, user| {
            let payload = payloads.get(i).copied().unwrap_or(0);
            let observation = Observation::of_element((values[i], bits.at(i), payload));
            batch.push((group_of(chunk.state_rows[i]), user), observation);
        })?;
        batch.payloads = payloads;
        observe(batch);
        Ok(())
    })
}

/// Each timeline's slot in `table` (its group and user), in timeline order: the timelines,
/// and the value lists settled in that order, are then read front to back rather than in the
/// table's hash order.
fn keys_by_timeline(table: &GroupKeyTable<TimelineSlot>, timelines: usize) -> Vec<TimelineSlot> {
    let mut keys = vec![TimelineSlot::EMPTY; timelines];
    for slot in table.iter() {
        keys[slot.timeline as usize] = *slot;
    }
    keys
}

/// The state of the first `groups` groups of the timelines of `parts` (each a store, and its
/// timelines' slots), without forgetting them. The columns are laid out group by group
/// directly, from the stores' elements in two passes (counting, then placing): a state can
/// hold tens of millions of elements, and needs no order within a group.
fn state_of_parts<M: TimelineMetric, S: Store<M>>(
    cx: &M::Context,
    parts: &mut [(Vec<TimelineSlot>, &mut S)],
    groups: usize,
    ids: (&UserIds, &UserIds),
) -> Result<Vec<ArrayRef>> {
    let emitted = |keys: &[TimelineSlot], t: usize| {
        Some(keys[t]).filter(|slot| (slot.group as usize) < groups)
    };
    let mut lengths = vec![0usize; groups];
    for (keys, store) in parts.iter_mut() {
        store.for_each_element(cx, |t, _| {
            if let Some(slot) = emitted(keys, t) {
                lengths[slot.group as usize] += 1;
            }
        })?;
    }
    // A group seen with no values: one element saying one of its users was seen.
    let seen_alone: Vec<(usize, u64)> = (0..groups)
        .filter(|&group| lengths[group] == 0)
        .filter_map(|group| {
            let user = parts
                .iter()
                .find_map(|(_, store)| store.seen_alone(group))?;
            Some((group, user))
        })
        .collect();
    for &(group, _) in &seen_alone {
        lengths[group] = 1;
    }
    let offsets = offsets_of(lengths);
    let mut cursor = offsets[..groups].to_vec();
    let mut elements = StateElements::zeroed::<M, S>(offsets[groups]);
    for (keys, store) in parts.iter_mut() {
        store.for_each_element(cx, |t, element| {
            let Some(slot) = emitted(keys, t) else { return };
            let at = &mut cursor[slot.group as usize];
            elements.set(*at, slot.user, element);
            *at += 1;
        })?;
    }
    for (group, user) in seen_alone {
        let (start, start_bits) = Observation::PRESENT;
        elements.set(cursor[group], user, (start, start_bits, 0));
    }
    elements.into_lists::<M, S>(ids, &offsets)
}

/// The third state column of a chunk, read back as bits.
enum ReadBits<'a> {
    Sets(&'a [u64]),
    IsStart(&'a BooleanArray),
}

impl<'a> ReadBits<'a> {
    fn of(column: &'a ArrayRef) -> Self {
        match column.data_type() {
            DataType::UInt64 => Self::Sets(column.as_primitive::<UInt64Type>().values()),
            _ => Self::IsStart(column.as_boolean()),
        }
    }

    #[inline]
    fn at(&self, i: usize) -> u64 {
        match self {
            Self::Sets(bits) => bits[i],
            Self::IsStart(is_start) if is_start.value(i) => Observation::START,
            Self::IsStart(_) => Observation::ONE,
        }
    }
}

/// The grouped accumulator of both kernels (and, with one group, the state of the
/// single-group one).
#[derive(Debug)]
struct Timelines<M: TimelineMetric, S> {
    cx: M::Context,
    keys: GroupedKeys<TimelineSlot>,
    /// The keys of the events' payloads (unused without payloads).
    payload_ids: UserIds,
    store: S,
    batch: ObservedBatch,
}

impl<M: TimelineMetric, S: Store<M>> Timelines<M, S> {
    fn new(rule: M::Rule, args: &AccumulatorArgs) -> Result<Self> {
        let event_time = args.expr_fields[M::EVENT_TIME_ARG].data_type();
        let payload_kind = S::PAYLOAD_ARG.map_or(UserIdKind::String, |arg| {
            UserIdKind::of(args.expr_fields[arg].data_type())
        });
        Ok(Self {
            cx: M::context(rule, event_time, args.exprs.len())?,
            keys: GroupedKeys::new(user_id_kind::<M, S>(args.expr_fields[0].data_type())),
            payload_ids: UserIds::new(payload_kind),
            store: S::default(),
            batch: ObservedBatch::default(),
        })
    }

    /// Adds the observations of the selected rows of an input batch, `group_of(row)` giving
    /// each row's group.
    fn update(
        &mut self,
        values: &[ArrayRef],
        rows: &SelectedRows,
        group_of: impl Fn(usize) -> u32,
    ) -> Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        observations_of_rows::<M, S>(
            &self.cx,
            &mut self.keys.ids,
            &mut self.payload_ids,
            values,
            rows,
            group_of,
            &mut batch,
        )?;
        self.store
            .observe(&self.cx, &mut self.keys.table, &mut batch);
        self.batch = batch;
        Ok(())
    }

    fn resize(&mut self, total_num_groups: usize) -> Result<()> {
        if self.store.timeline_count() >= u32::MAX as usize {
            return internal_err!("{}: more than {} users in one aggregate", M::NAME, u32::MAX);
        }
        self.keys.resize(M::NAME, total_num_groups)
    }

    /// The rows the metric reads: those with a user (if any) and a payload (if any), and
    /// the FILTER; event and start NULLs are checked per row (a start without events still
    /// counts the user).
    fn selected_rows(values: &[ArrayRef], filter: Option<&BooleanArray>) -> SelectedRows {
        let mut required: Vec<&dyn Array> = vec![];
        if S::PER_USER {
            required.push(values[0].as_ref());
        }
        required.extend(S::PAYLOAD_ARG.map(|arg| values[arg].as_ref()));
        SelectedRows::new(values[0].len(), &required, filter)
    }

    /// Merges a batch of states, `group_of(state_row)` giving each state row's group.
    fn merge_states(&mut self, states: &[ArrayRef], group_of: impl Fn(usize) -> u32) -> Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        let Self {
            cx,
            keys,
            payload_ids,
            store,
            ..
        } = self;
        let merged = observations_of_states::<M>(
            (&mut keys.ids, payload_ids),
            states,
            group_of,
            &mut batch,
            |batch| store.observe(cx, &mut keys.table, batch),
        );
        self.batch = batch;
        merged
    }

    /// The state of the first `groups` groups, without forgetting them.
    fn state_of_first(&mut self, groups: usize) -> Result<Vec<ArrayRef>> {
        let keys = keys_by_timeline(&self.keys.table, self.store.timeline_count());
        let ids = (&self.keys.ids, &self.payload_ids);
        state_of_parts::<M, S>(&self.cx, &mut [(keys, &mut self.store)], groups, ids)
    }

    /// The results of the first `groups` groups; `forgotten_next` as [`Store::evaluate`].
    fn evaluate_first(&mut self, groups: usize, forgotten_next: bool) -> Result<ArrayRef> {
        let keys = keys_by_timeline(&self.keys.table, self.store.timeline_count());
        let rows =
            self.store
                .evaluate(&self.cx, &keys, groups, forgotten_next, &self.payload_ids)?;
        M::Output::finish(M::NAME, rows, &self.payload_ids)
    }

    /// Forgets the emitted groups; the timelines of the rest are renumbered with them.
    fn take(&mut self, emit_to: EmitTo) -> Result<()> {
        self.keys.take(emit_to);
        let mut kept = vec![];
        for slot in self.keys.table.iter_mut() {
            kept.push(slot.timeline as usize);
            slot.timeline = (kept.len() - 1) as u32;
        }
        self.store.take(emit_to, &kept)
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.keys.size()
            + self.payload_ids.size()
            + self.store.size()
            + self.batch.size()
    }
}

impl<M: TimelineMetric, S: Store<M>> GroupsAccumulator for Timelines<M, S> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        let rows = Self::selected_rows(values, opt_filter);
        self.update(values, &rows, |row| group_indices[row] as u32)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        self.merge_states(values, |row| group_indices[row] as u32)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let result = self.evaluate_first(self.keys.emitted(emit_to), true)?;
        self.take(emit_to)?;
        Ok(result)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let state = self.state_of_first(self.keys.emitted(emit_to))?;
        self.take(emit_to)?;
        Ok(state)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Every row a group of its own: its event and its start, each where not NULL.
        let mut ids = UserIds::new(self.keys.ids.kind());
        let mut payload_ids = UserIds::new(self.payload_ids.kind());
        let rows = Self::selected_rows(values, opt_filter);
        let mut batch = ObservedBatch::default();
        observations_of_rows::<M, S>(
            &self.cx,
            &mut ids,
            &mut payload_ids,
            values,
            &rows,
            |row| row as u32,
            &mut batch,
        )?;
        let mut lengths = vec![0usize; values[0].len()];
        for (&(row, _), observation) in batch.keys.iter().zip(&batch.observations) {
            lengths[row as usize] += observation.elements().count();
        }
        let offsets = offsets_of(lengths);
        let mut elements = StateElements::zeroed::<M, S>(offsets[values[0].len()]);
        let mut at = 0;
        for (&(_, user), observation) in batch.keys.iter().zip(&batch.observations) {
            for element in observation.elements() {
                elements.set(at, user, element);
                at += 1;
            }
        }
        elements.into_lists::<M, S>((&ids, &payload_ids), &offsets)
    }

    fn size(&self) -> usize {
        Timelines::size(self)
    }
}

/// The single-group accumulator: the grouped state with one group.
#[derive(Debug)]
struct TimelineAccumulator<M: TimelineMetric, S>(Timelines<M, S>);

impl<M: TimelineMetric, S: Store<M>> Accumulator for TimelineAccumulator<M, S> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let timelines = &mut self.0;
        timelines.resize(1)?;
        let rows = Timelines::<M, S>::selected_rows(values, None);
        timelines.update(values, &rows, |_| 0)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.resize(1)?;
        self.0.merge_states(states, |_| 0)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.resize(1)?;
        self.0
            .state_of_first(1)?
            .iter()
            .map(|list| ScalarValue::try_from_array(list, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.resize(1)?;
        // A window frame evaluates again as rows come: keep the values.
        ScalarValue::try_from_array(&self.0.evaluate_first(1, false)?, 0)
    }

    fn size(&self) -> usize {
        self.0.size()
    }
}

/// The accumulators of a kernel whose timelines `S` keeps.
fn accumulator<M: TimelineMetric, S: Store<M>>(
    rule: M::Rule,
    args: &AccumulatorArgs,
) -> Result<Box<dyn Accumulator>> {
    Ok(Box::new(TimelineAccumulator(Timelines::<M, S>::new(
        rule, args,
    )?)))
}

fn groups_accumulator<M: TimelineMetric, S: Store<M>>(
    rule: M::Rule,
    args: &AccumulatorArgs,
) -> Result<Box<dyn GroupsAccumulator>> {
    Ok(Box::new(Timelines::<M, S>::new(rule, args)?))
}
