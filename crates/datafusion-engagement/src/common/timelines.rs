//! The kernel of the event-log functions (retention, lifecycle): per (group, user), the
//! user's values over time — event times, or the calendar periods the user was active in —
//! and an optional start (a signup time), from which the metric folds each group's users.
//!
//! A user's values are kept sorted and distinct, and each metric may drop values that cannot
//! change its result ([`Timeline::compact`]): retention keeps at most two events per shortest
//! period, lifecycle one value per active period. Compaction runs when a user's list fills
//! its allocation, so a user costs what the metric needs, not one entry per event.
//!
//! Metrics that keep every value (the funnels) skip the users' lists: their values go to
//! one log per accumulator and are sorted to their users only when a state or a result is
//! asked for ([`logged`]); their results are folded from one number per user
//! ([`Timeline::reduce`]).
//!
//! The state is three lists per group, one element per (user, value): the user, the value,
//! and whether the value is the user's start rather than an event — or, for metrics over
//! small integers, a 64-bit set of values from it (0 for the start), so that a user's
//! active weeks travel as one element. Merging adds elements as update adds rows, so partial
//! states combine exactly in any order.

use std::borrow::Cow;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, ListArray,
    StructArray, UInt64Array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, UInt64Type};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use super::group_keys::{Entry, GroupedKeys, VACANT, prefetch};
use super::list_state::{ListElements, group_lists, list_columns, offsets_of};
use super::metric::{Kernel, Metric};
use super::rows::SelectedRows;
use super::user_ids::{UserIdKind, UserIds};

mod logged;
use logged::{SettledValues, ValueLog};

/// Position of the event time among the arguments of every timeline metric.
const EVENT_TIME_ARG: usize = 1;

/// What a metric over users' timelines says about itself; the kernel does the rest.
pub(crate) trait Timeline: Metric {
    /// Position of the optional start column (signup time), for a metric that takes one.
    const START_ARG: Option<usize>;
    /// Values are small integers close together for a user (calendar period numbers): kept,
    /// and passed on in the state, as a 64-bit set around the first one seen, a bit per value
    /// instead of an entry; the few outside it go to the list.
    const SMALL_INTEGERS: bool = false;
    /// Whether the first argument is a user id, each group's users kept apart; without one
    /// (window_funnel, grouped by user in SQL) a group is one timeline.
    const PER_USER: bool = true;
    /// Whether the result is the one field's value (each group pushes at most one row)
    /// rather than a list of rows.
    const SCALAR_RESULT: bool = false;
    /// Whether the metric keeps every value (no [`Timeline::compact`], no small-integer
    /// sets). Its values then go to one log per accumulator, in arrival order, and are sorted
    /// to their users only when a state or a result is asked for: an event costs a
    /// sequential write instead of a visit to its user's own list (two cache misses on a
    /// large table). Such a metric takes no start.
    const KEEPS_EVERY_VALUE: bool = false;
    /// What the metric computes with at run time: its rule and what it needs of the input
    /// types (the time zone of event times).
    type Context: Debug + Clone + Send + Sync + 'static;

    /// `arguments`: how many arguments the call passes.
    fn context(rule: Self::Rule, event_time: &DataType, arguments: usize) -> Result<Self::Context>;
    /// The value of every row of a time column (event times, or starts); meaningless for NULL
    /// rows, which the kernel skips.
    fn values<'a>(cx: &Self::Context, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>>;
    /// Per row, the values an event stands for, as offsets from its value: `value + i` for
    /// each set bit `i` (the funnel steps the event meets). `None`: the value alone.
    fn row_bits(_cx: &Self::Context, _arguments: &[ArrayRef]) -> Result<Option<Vec<u64>>> {
        Ok(None)
    }
    /// Drops values that cannot change the result, given the user's start if known. `values`
    /// arrives sorted and distinct, and must stay so. By default every value counts (each
    /// active period of lifecycle, each step event of a funnel): sorted and distinct is all.
    fn compact(_cx: &Self::Context, _start: Option<i64>, _values: &mut Vec<i64>) {}
    /// The fields of the result list's structs: Int64 or Date32 whole numbers and Float64
    /// rates.
    fn result_fields() -> Fields;
    /// A group's result rows, from its users' timelines (values sorted and distinct; at
    /// least one user); none for a NULL result. A metric that keeps every value implements
    /// [`Timeline::reduce`] and [`Timeline::evaluate_reduced`] instead.
    fn evaluate_group(
        _cx: &Self::Context,
        _users: &[UserTimeline<'_>],
        _rows: &mut ResultRows,
    ) -> Result<()> {
        internal_err!("{}: evaluated from reduced timelines", Self::NAME)
    }
    /// For a metric that keeps every value: what its result needs of a timeline (values
    /// sorted and distinct) as one number, a funnel's level. The kernel then settles,
    /// reduces and drops the values a bucket of timelines at a time, never holding them all.
    fn reduce(_cx: &Self::Context, _values: &[i64]) -> Result<u32> {
        internal_err!("{}: evaluated from whole timelines", Self::NAME)
    }
    /// For a metric that keeps every value: a group's result rows from its timelines'
    /// [`Timeline::reduce`]d numbers (at least one timeline, or a user seen without values).
    fn evaluate_reduced(
        _cx: &Self::Context,
        _reduced: &[u32],
        _rows: &mut ResultRows,
    ) -> Result<()> {
        internal_err!("{}: evaluated from whole timelines", Self::NAME)
    }
}

/// One user's timeline within a group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserTimeline<'a> {
    pub start: Option<i64>,
    pub values: &'a [i64],
}

/// Users ahead whose values are prefetched by [`UserTimeline::prefetching`].
const USERS_PREFETCHED: usize = 8;

impl<'a> UserTimeline<'a> {
    /// The users in order, the first and last values of the user 8 ahead prefetched: a
    /// group's users lie far apart in the accumulator's memory (users of other groups in
    /// between), and without this each user's read waits on memory.
    pub(crate) fn prefetching(users: &[Self]) -> impl Iterator<Item = &Self> {
        users.iter().enumerate().map(move |(i, user)| {
            if let Some(ahead) = users.get(i + USERS_PREFETCHED) {
                let values = ahead.values.as_ptr_range();
                prefetch(values.start);
                prefetch(values.end.wrapping_sub(1));
            }
            user
        })
    }
}

/// The result type of a timeline metric: a list of structs, or the one field's type.
pub(crate) fn result_type<M: Timeline>() -> DataType {
    let fields = M::result_fields();
    if M::SCALAR_RESULT {
        return fields[0].data_type().clone();
    }
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(fields),
        true,
    )))
}

/// The result rows of a batch of groups, built column by column: a group appends its rows
/// with [`ResultRows::push`]; the kernel closes each group.
pub(crate) struct ResultRows {
    /// Whole-number fields (counts, period numbers, dates as days), in field order.
    wholes: Vec<Vec<i64>>,
    /// Rate fields (DOUBLE), in field order.
    rates: Vec<Vec<Option<f64>>>,
    rows: usize,
    lengths: Vec<usize>,
    valid: Vec<bool>,
}

impl ResultRows {
    fn new(fields: &Fields) -> Self {
        let rates = fields
            .iter()
            .filter(|f| f.data_type() == &DataType::Float64)
            .count();
        Self {
            wholes: vec![vec![]; fields.len() - rates],
            rates: vec![vec![]; rates],
            rows: 0,
            lengths: vec![],
            valid: vec![],
        }
    }

    /// Appends one result row of the current group: its whole-number fields and its rates,
    /// each kind in field order.
    pub(crate) fn push(&mut self, wholes: &[i64], rates: &[Option<f64>]) {
        debug_assert_eq!(
            (wholes.len(), rates.len()),
            (self.wholes.len(), self.rates.len())
        );
        for (column, &value) in self.wholes.iter_mut().zip(wholes) {
            column.push(value);
        }
        for (column, &value) in self.rates.iter_mut().zip(rates) {
            column.push(value);
        }
        self.rows += 1;
    }

    /// Ends a group's rows; a group that pushed none is NULL. A scalar result keeps a row
    /// for it, under the NULL.
    fn close_group(&mut self, rows_before: usize, scalar: bool) {
        let valid = self.rows > rows_before;
        if scalar && !valid {
            let (wholes, rates) = (vec![0; self.wholes.len()], vec![None; self.rates.len()]);
            self.push(&wholes, &rates);
        }
        self.lengths.push(self.rows - rows_before);
        self.valid.push(valid);
    }

    fn finish(self, function: &str, fields: &Fields, scalar: bool) -> Result<ArrayRef> {
        let mut wholes = self.wholes.into_iter();
        let mut rates = self.rates.into_iter();
        let arrays = fields
            .iter()
            .map(|field| -> Result<ArrayRef> {
                Ok(match field.data_type() {
                    DataType::Float64 => {
                        Arc::new(Float64Array::from(rates.next().unwrap_or_default()))
                    }
                    DataType::Int64 => {
                        Arc::new(Int64Array::from(wholes.next().unwrap_or_default()))
                    }
                    DataType::Date32 => Arc::new(
                        wholes
                            .next()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|day| i32::try_from(day).ok())
                            .collect::<Date32Array>(),
                    ),
                    other => return internal_err!("{function}: no result column of type {other}"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let nulls = self
            .valid
            .iter()
            .any(|v| !v)
            .then(|| NullBuffer::from(self.valid));
        if scalar {
            let [value] = arrays.try_into().map_err(|_| {
                datafusion::common::internal_datafusion_err!("{function}: one result field")
            })?;
            let data = value.into_data().into_builder().nulls(nulls).build()?;
            return Ok(datafusion::arrow::array::make_array(data));
        }
        let elements = StructArray::try_new(fields.clone(), arrays, None)?;
        let [list] = list_columns(
            function,
            &offsets_of(self.lengths),
            vec![Arc::new(elements) as ArrayRef],
        )?
        .try_into()
        .expect("one list column");
        let list = list.as_list::<i32>().clone();
        let (field, offsets, values, _) = list.into_parts();
        Ok(Arc::new(ListArray::try_new(
            Arc::new(field.as_ref().clone().with_nullable(true)),
            offsets,
            values,
            nulls,
        )?))
    }
}

/// The kernel of the timeline metrics.
#[derive(Debug)]
pub(crate) struct TimelineKernel;

impl<M: Timeline> Kernel<M> for TimelineKernel {
    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let user_type = UserIdKind::of(args.input_fields[0].data_type()).state_type();
        let element_types = [user_type, DataType::Int64, StateBits::<M>::data_type()];
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

    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(TimelineAccumulator(Timelines::<M>::new(
            rule, args,
        )?)))
    }

    fn groups_accumulator(
        rule: M::Rule,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Timelines::<M>::new(rule, args)?))
    }
}

/// A (group, user) slot: the index of the user's timeline.
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

/// One (group, user)'s start and values.
#[derive(Debug, Default)]
struct UserValues {
    start: i64,
    values: Vec<i64>,
    /// The leading values known sorted and distinct.
    sorted: usize,
    /// For [`Timeline::SMALL_INTEGERS`]: values `window_start + i` for each set bit `i`, not
    /// yet in `values`.
    window: u64,
    window_start: i64,
}

impl UserValues {
    fn start(&self) -> Option<i64> {
        (self.start != NO_START).then_some(self.start)
    }

    /// Marks `value` in the window of bits, opening one 32 below it if none is; false when
    /// the value lies outside.
    #[inline]
    fn mark(&mut self, value: i64) -> bool {
        if self.window == 0 {
            self.window_start = value.saturating_sub(32);
        }
        match value.checked_sub(self.window_start) {
            Some(offset @ 0..64) => {
                self.window |= 1 << offset;
                true
            }
            _ => false,
        }
    }

    /// Marks the values `value + i` of the set bits `i`; returns the bits of those outside the
    /// window. A user without a window takes this one as it is.
    fn mark_all(&mut self, value: i64, bits: u64) -> u64 {
        if self.window == 0 || value == self.window_start {
            self.window_start = value;
            self.window |= bits;
            return 0;
        }
        let (mut rest, mut outside) = (bits, 0);
        while rest != 0 {
            let i = rest.trailing_zeros();
            if !self.mark(value.saturating_add(i64::from(i))) {
                outside |= 1 << i;
            }
            rest &= rest - 1;
        }
        outside
    }

    /// The user's state elements as (value, bits): the start, the window, the listed values;
    /// a user seen without any of them (events that meet no funnel step) is one start
    /// element with no start, [`Observation::PRESENT`].
    fn state_elements<'a>(&'a self, values: &'a [i64]) -> impl Iterator<Item = (i64, u64)> + 'a {
        let seen_alone = self.start().is_none() && self.window == 0 && values.is_empty();
        let start = match self.start() {
            Some(start) => Some((start, Observation::START)),
            None => seen_alone.then_some(Observation::PRESENT),
        };
        let window = (self.window != 0).then_some((self.window_start, self.window));
        start
            .into_iter()
            .chain(window)
            .chain(values.iter().map(|&v| (v, Observation::ONE)))
    }

    /// Moves the window's values into the list.
    fn flush_window(&mut self) {
        let mut bits = std::mem::take(&mut self.window);
        while bits != 0 {
            self.values
                .push(self.window_start + i64::from(bits.trailing_zeros()));
            bits &= bits - 1;
        }
    }
}

/// A batch of observations with their (group, user) keys, and the timeline each goes to.
/// An accumulator keeps one and refills it batch after batch: allocating these anew for each
/// batch costs more than using them (fresh pages, zeroed by the kernel).
#[derive(Debug, Default)]
struct ObservedBatch {
    keys: Vec<(u32, u64)>,
    observations: Vec<Observation>,
    timelines: Vec<usize>,
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
    }
}

/// One observation of a user: values, a start, or both (a row's event and start time, so
/// that the row probes the user's slot once).
#[derive(Debug, Clone, Copy)]
struct Observation {
    /// The values `value + i` for each set bit `i` of `bits`: 1 for `value` alone, more from
    /// the 64-bit sets of [`Timeline::SMALL_INTEGERS`] states; none when `bits` is 0.
    value: i64,
    bits: u64,
    /// A start, or [`NO_START`].
    start: i64,
}

impl Observation {
    /// The bits of a state element that is a start.
    const START: u64 = 0;
    const ONE: u64 = 1;
    /// The state element of a user seen with no values and no start: a start element whose
    /// start is [`NO_START`].
    const PRESENT: (i64, u64) = (NO_START, Self::START);

    /// A state element: a start when `bits` is [`Self::START`], else values.
    fn of_element(value: i64, bits: u64) -> Self {
        if bits == Self::START {
            Self {
                value: 0,
                bits,
                start: value,
            }
        } else {
            Self {
                value,
                bits,
                start: NO_START,
            }
        }
    }

    /// The observation as state elements (value, bits): the start, then each value (one
    /// element each, as the BOOLEAN third column of most metrics holds them).
    fn elements(&self) -> impl Iterator<Item = (i64, u64)> {
        let start = if self.start != NO_START || self.bits == 0 {
            Some((self.start, Self::START))
        } else {
            None
        };
        let values = values_of_bits(self.value, self.bits).map(|value| (value, Self::ONE));
        start.into_iter().chain(values)
    }
}

/// The values `value + i` for each set bit `i` of `bits`, in increasing order.
#[inline]
fn values_of_bits(value: i64, mut bits: u64) -> impl Iterator<Item = i64> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let offset = bits.trailing_zeros();
            bits &= bits - 1;
            value.saturating_add(i64::from(offset))
        })
    })
}

/// Fills `batch` with the observations of the selected rows of an input batch and their
/// (group, user) keys: one per row with a non-NULL event time or start.
fn observations_of_rows<M: Timeline>(
    cx: &M::Context,
    ids: &mut UserIds,
    values: &[ArrayRef],
    rows: &SelectedRows,
    group_of: impl Fn(usize) -> u32,
    batch: &mut ObservedBatch,
) -> Result<()> {
    let times = &values[EVENT_TIME_ARG];
    let events = M::values(cx, times)?;
    let row_bits = M::row_bits(cx, values)?;
    let event_nulls = times.logical_nulls();
    let starts = match M::START_ARG.and_then(|i| values.get(i)) {
        Some(column) => Some((M::values(cx, column)?, column.logical_nulls())),
        None => None,
    };
    let is_valid =
        |nulls: &Option<NullBuffer>, row: usize| nulls.as_ref().is_none_or(|n| n.is_valid(row));
    batch.clear(values[0].len());
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
            batch.push((group_of(row), user), Observation { value, bits, start });
        }
    };
    if M::PER_USER {
        ids.for_each_key(M::NAME, &values[0], rows, observe)
    } else {
        rows.for_each(|row| observe(row, 0));
        Ok(())
    }
}

/// The third state column: for [`Timeline::SMALL_INTEGERS`] metrics the bits of each
/// element (0 for a start, else the values `value + i` of the set bits), for the others a
/// BOOLEAN "is a start" (each element one value).
struct StateBits<M>(PhantomData<M>);

impl<M: Timeline> StateBits<M> {
    fn data_type() -> DataType {
        if M::SMALL_INTEGERS {
            DataType::UInt64
        } else {
            DataType::Boolean
        }
    }

    /// The three list state columns from elements laid out group by group by `offsets`.
    fn state_lists(
        ids: &UserIds,
        offsets: &[usize],
        users: &[u64],
        values: Vec<i64>,
        bits: Vec<u64>,
    ) -> Result<Vec<ArrayRef>> {
        list_columns(
            M::NAME,
            offsets,
            vec![
                ids.values(users)?,
                Arc::new(Int64Array::from(values)),
                Self::column(bits),
            ],
        )
    }

    fn column(bits: Vec<u64>) -> ArrayRef {
        if M::SMALL_INTEGERS {
            Arc::new(UInt64Array::from(bits))
        } else {
            let is_start: Vec<bool> = bits.iter().map(|&b| b == Observation::START).collect();
            Arc::new(BooleanArray::from(is_start))
        }
    }
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

/// Observations ahead whose timelines are prefetched (and half as far ahead, the ends of
/// their value lists).
const TIMELINE_PREFETCH: usize = 16;

/// Values per list before the first compaction: small lists are cheaper to keep than to
/// sort.
const FIRST_COMPACTION: usize = 8;

/// The grouped accumulator (and, with one group, the state of the single-group one).
#[derive(Debug)]
struct Timelines<M: Timeline> {
    cx: M::Context,
    keys: GroupedKeys<TimelineSlot>,
    timelines: Vec<UserValues>,
    /// Heap bytes of all the value lists.
    value_bytes: usize,
    /// For [`Timeline::KEEPS_EVERY_VALUE`], the number of timelines (with no start and no
    /// list of their own, they are not in `timelines`), the values not yet settled, and
    /// those settled.
    logged_timelines: usize,
    log: ValueLog,
    settled: SettledValues,
    /// For [`Timeline::KEEPS_EVERY_VALUE`], by group: a user of the group seen without
    /// values (an event meeting no funnel step). Such users get no timeline, but their group
    /// has a result (no step reached) rather than NULL.
    seen: Vec<Option<u64>>,
    batch: ObservedBatch,
    metric: PhantomData<M>,
}

impl<M: Timeline> Timelines<M> {
    fn new(rule: M::Rule, args: &AccumulatorArgs) -> Result<Self> {
        const {
            assert!(
                !M::KEEPS_EVERY_VALUE || M::START_ARG.is_none(),
                "a metric that keeps every value takes no start"
            )
        };
        let event_time = args.expr_fields[EVENT_TIME_ARG].data_type();
        Ok(Self {
            cx: M::context(rule, event_time, args.exprs.len())?,
            keys: GroupedKeys::new(UserIdKind::of(args.expr_fields[0].data_type())),
            timelines: vec![],
            value_bytes: 0,
            logged_timelines: 0,
            log: ValueLog::default(),
            settled: SettledValues::default(),
            seen: vec![],
            batch: ObservedBatch::default(),
            metric: PhantomData,
        })
    }

    /// Sorts a user's values and lets the metric drop those it does not need. `growing`: the
    /// list filled up and more values are coming, so it gets room; else (state, evaluate) it
    /// is left as small as it is.
    fn compact(cx: &M::Context, user: &mut UserValues, value_bytes: &mut usize, growing: bool) {
        if user.sorted == user.values.len() {
            return;
        }
        let before = user.values.capacity();
        user.values.sort_unstable();
        user.values.dedup();
        M::compact(cx, user.start(), &mut user.values);
        // Half full after compaction: give the list room to grow before the next one.
        if growing && user.values.len() * 2 > user.values.capacity() {
            user.values.reserve(user.values.len());
        } else if user.values.capacity() > 4 * user.values.len().max(FIRST_COMPACTION) {
            user.values
                .shrink_to(2 * user.values.len().max(FIRST_COMPACTION));
        }
        user.sorted = user.values.len();
        *value_bytes =
            *value_bytes + user.values.capacity() * size_of::<i64>() - before * size_of::<i64>();
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
        observations_of_rows::<M>(
            &self.cx,
            &mut self.keys.ids,
            values,
            rows,
            group_of,
            &mut batch,
        )?;
        self.observe(&mut batch);
        self.batch = batch;
        Ok(())
    }

    /// Adds a batch of observations.
    ///
    /// In two passes, so that memory latency overlaps: the table finds (or makes) each key's
    /// timeline, prefetching slots ahead; then each observation goes to its timeline, with the
    /// timelines, and the ends of their value lists, prefetched a few observations ahead.
    fn observe(&mut self, batch: &mut ObservedBatch) {
        let ObservedBatch {
            keys,
            observations,
            timelines: indices,
        } = batch;
        if M::KEEPS_EVERY_VALUE {
            self.log_observations(keys, observations);
            return;
        }
        let timelines = &mut self.timelines;
        // New slots take the next timeline numbers.
        let mut next_timeline = timelines.len() as u32;
        indices.clear();
        self.keys.table.for_each_slot(
            keys,
            TimelineSlot::numbered(keys, &mut next_timeline),
            |_, slot, is_new| {
                if is_new {
                    timelines.push(UserValues {
                        start: NO_START,
                        ..UserValues::default()
                    });
                }
                indices.push(slot.timeline as usize);
            },
        );
        for (i, (&timeline, observation)) in indices.iter().zip(observations.iter()).enumerate() {
            if let Some(&ahead) = indices.get(i + TIMELINE_PREFETCH) {
                prefetch(&timelines[ahead]);
            }
            if let Some(&near) = indices.get(i + TIMELINE_PREFETCH / 2) {
                let values = &timelines[near].values;
                prefetch(values.as_ptr().wrapping_add(values.len()));
            }
            Self::add(
                &self.cx,
                &mut timelines[timeline],
                &mut self.value_bytes,
                observation,
            );
        }
    }

    /// [`Timeline::KEEPS_EVERY_VALUE`]: logs the values of a batch of observations. An
    /// observation without values only marks its group as seen, without a table lookup.
    fn log_observations(
        &mut self,
        keys: &mut Vec<(u32, u64)>,
        observations: &mut Vec<Observation>,
    ) {
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
        let mut next_timeline = self.logged_timelines as u32;
        self.keys.table.for_each_slot(
            keys,
            TimelineSlot::numbered(keys, &mut next_timeline),
            |row, slot, _| log.push_all(slot.timeline, &observations[row]),
        );
        self.logged_timelines = next_timeline as usize;
    }

    /// Adds one observation to a user's timeline.
    #[inline]
    fn add(cx: &M::Context, user: &mut UserValues, value_bytes: &mut usize, o: &Observation) {
        user.start = user.start.min(o.start);
        let mut listed = o.bits;
        if M::SMALL_INTEGERS && listed != 0 {
            listed = if listed == Observation::ONE {
                u64::from(!user.mark(o.value))
            } else {
                user.mark_all(o.value, listed)
            };
        }
        for value in values_of_bits(o.value, listed) {
            Self::push(cx, user, value_bytes, value);
        }
    }

    /// Adds a value to a user's list, compacting the list first when it is full.
    #[inline]
    fn push(cx: &M::Context, user: &mut UserValues, value_bytes: &mut usize, value: i64) {
        if user.values.len() == user.values.capacity() {
            if user.values.len() >= FIRST_COMPACTION {
                Self::compact(cx, user, value_bytes, true);
            }
            if user.values.len() == user.values.capacity() {
                let before = user.values.capacity();
                user.values.reserve(FIRST_COMPACTION.max(before));
                *value_bytes += (user.values.capacity() - before) * size_of::<i64>();
            }
        }
        user.values.push(value);
    }

    fn resize(&mut self, total_num_groups: usize) -> Result<()> {
        if self.timeline_count() >= u32::MAX as usize {
            return internal_err!("{}: more than {} users in one aggregate", M::NAME, u32::MAX);
        }
        self.keys.resize(M::NAME, total_num_groups)
    }

    /// The rows the metric reads: the user (if any) and the FILTER; event and start NULLs
    /// are checked per row (a start without events still counts the user).
    fn selected_rows(values: &[ArrayRef], filter: Option<&BooleanArray>) -> SelectedRows {
        let user: &[&dyn Array] = if M::PER_USER {
            &[values[0].as_ref()]
        } else {
            &[]
        };
        SelectedRows::new(values[0].len(), user, filter)
    }

    /// Merges a batch of states, `group_of(state_row)` giving each state row's group.
    fn merge_states(&mut self, states: &[ArrayRef], group_of: impl Fn(usize) -> u32) -> Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        let merged = ListElements::for_each_chunk(states, |chunk| {
            let values = chunk.columns[1].as_primitive::<Int64Type>().values();
            let bits = ReadBits::of(&chunk.columns[2]);
            batch.clear(values.len());
            self.keys.ids.for_each_key(
                M::NAME,
                &chunk.columns[0],
                &SelectedRows::All(values.len()),
                |i, user| {
                    let observation = Observation::of_element(values[i], bits.at(i));
                    batch.push((group_of(chunk.state_rows[i]), user), observation);
                },
            )?;
            self.observe(&mut batch);
            Ok(())
        });
        self.batch = batch;
        merged
    }

    fn timeline_count(&self) -> usize {
        if M::KEEPS_EVERY_VALUE {
            self.logged_timelines
        } else {
            self.timelines.len()
        }
    }

    /// Each timeline's start and window (for [`Timeline::KEEPS_EVERY_VALUE`], none), in
    /// timeline order.
    fn users(&self) -> impl Iterator<Item = &UserValues> {
        /// A timeline with no start and no window.
        static LOGGED: UserValues = UserValues {
            start: NO_START,
            values: Vec::new(),
            sorted: 0,
            window: 0,
            window_start: 0,
        };
        let logged = std::iter::repeat_n(&LOGGED, self.logged_timelines);
        self.timelines.iter().chain(logged)
    }

    /// Timeline `t`'s values (its user's list, or its settled values).
    fn values_of(&self, t: usize) -> &[i64] {
        if M::KEEPS_EVERY_VALUE {
            self.settled.of(t)
        } else {
            &self.timelines[t].values
        }
    }

    /// Compacts every user's values (the logged ones settled first); `flush`: with the
    /// windows' values moved into the list first.
    fn compact_all(&mut self, flush: bool) -> Result<()> {
        if M::KEEPS_EVERY_VALUE {
            return self.settled.settle(&mut self.log, self.logged_timelines);
        }
        for user in &mut self.timelines {
            if flush && user.window != 0 {
                let before = user.values.capacity();
                user.flush_window();
                self.value_bytes += (user.values.capacity() - before) * size_of::<i64>();
            }
            Self::compact(&self.cx, user, &mut self.value_bytes, false);
        }
        Ok(())
    }

    /// The state of the first `groups` groups, without forgetting them. The three columns
    /// are laid out group by group directly: a state can hold tens of millions of elements.
    fn state_of_first(&mut self, groups: usize) -> Result<Vec<ArrayRef>> {
        self.compact_all(false)?;
        let keys = self.keys_by_timeline();
        let emitted = || {
            keys.iter()
                .zip(self.users())
                .enumerate()
                .filter(move |(_, (slot, _))| (slot.group as usize) < groups)
                .map(|(t, (slot, user))| (slot, user.state_elements(self.values_of(t))))
        };
        let mut lengths = vec![0usize; groups];
        for (slot, elements) in emitted() {
            lengths[slot.group as usize] += elements.count();
        }
        // A group seen with no values: one element saying one of its users was seen.
        let seen_alone: Vec<(usize, u64)> = (0..groups)
            .filter(|&group| lengths[group] == 0)
            .filter_map(|group| Some((group, self.seen.get(group).copied().flatten()?)))
            .collect();
        for &(group, _) in &seen_alone {
            lengths[group] = 1;
        }
        let offsets = offsets_of(lengths);
        let total = offsets[groups];
        let mut cursor = offsets[..groups].to_vec();
        let (mut users, mut values, mut bits) =
            (vec![0u64; total], vec![0i64; total], vec![0u64; total]);
        for (slot, elements) in emitted() {
            let at = &mut cursor[slot.group as usize];
            for (value, value_bits) in elements {
                (users[*at], values[*at], bits[*at]) = (slot.user, value, value_bits);
                *at += 1;
            }
        }
        for (group, user) in seen_alone {
            let (start, start_bits) = Observation::PRESENT;
            (
                users[cursor[group]],
                values[cursor[group]],
                bits[cursor[group]],
            ) = (user, start, start_bits);
        }
        StateBits::<M>::state_lists(&self.keys.ids, &offsets, &users, values, bits)
    }

    /// Each timeline's slot (its group and user), in timeline order: the timelines, and the
    /// value lists settled in that order, are then read front to back rather than in the
    /// table's hash order.
    fn keys_by_timeline(&self) -> Vec<TimelineSlot> {
        let mut keys = vec![TimelineSlot::EMPTY; self.timeline_count()];
        for slot in self.keys.table.iter() {
            keys[slot.timeline as usize] = *slot;
        }
        keys
    }

    /// The results of the first `groups` groups. `forgotten_next`: the caller forgets those
    /// groups right after (a groups accumulator's evaluation), so their values need not be
    /// kept; else (a window frame's evaluation, repeated as rows come) they are.
    fn evaluate_first(&mut self, groups: usize, forgotten_next: bool) -> Result<ArrayRef> {
        if M::KEEPS_EVERY_VALUE {
            return self.evaluate_reduced_first(groups, forgotten_next);
        }
        self.compact_all(true)?;
        let mut users_of: Vec<Vec<UserTimeline<'_>>> = vec![vec![]; groups];
        let keys = self.keys_by_timeline();
        for (t, (slot, user)) in keys.iter().zip(self.users()).enumerate() {
            if let Some(users) = users_of.get_mut(slot.group as usize) {
                users.push(UserTimeline {
                    start: user.start(),
                    values: self.values_of(t),
                });
            }
        }
        self.results(
            groups,
            |group| !users_of[group].is_empty(),
            |group, rows| M::evaluate_group(&self.cx, &users_of[group], rows),
        )
    }

    /// The results of the first `groups` groups: `evaluate(group, rows)` pushes the rows of
    /// each group with timelines (`has_timelines(group)`) or a user seen without values; the
    /// others are NULL.
    fn results(
        &self,
        groups: usize,
        has_timelines: impl Fn(usize) -> bool,
        mut evaluate: impl FnMut(usize, &mut ResultRows) -> Result<()>,
    ) -> Result<ArrayRef> {
        let fields = M::result_fields();
        let mut rows = ResultRows::new(&fields);
        for group in 0..groups {
            let before = rows.rows;
            let seen = self.seen.get(group).is_some_and(Option::is_some);
            if has_timelines(group) || seen {
                evaluate(group, &mut rows)?;
            }
            rows.close_group(before, M::SCALAR_RESULT);
        }
        rows.finish(M::NAME, &fields, M::SCALAR_RESULT)
    }

    /// [`Timeline::KEEPS_EVERY_VALUE`]: the results of the first `groups` groups, folded from
    /// their timelines' reduced numbers. When every timeline is emitted and forgotten next,
    /// its values are settled and reduced a bucket at a time and dropped; else they are all
    /// settled, and kept.
    fn evaluate_reduced_first(&mut self, groups: usize, forgotten_next: bool) -> Result<ArrayRef> {
        let keys = self.keys_by_timeline();
        let mut reduced = vec![0u32; keys.len()];
        if forgotten_next && keys.iter().all(|slot| (slot.group as usize) < groups) {
            let cx = &self.cx;
            self.settled
                .drain(&mut self.log, keys.len(), |timeline, values| {
                    reduced[timeline] = M::reduce(cx, values)?;
                    Ok(())
                })?;
        } else {
            self.compact_all(true)?;
            for (timeline, slot) in keys.iter().enumerate() {
                if (slot.group as usize) < groups {
                    reduced[timeline] = M::reduce(&self.cx, self.settled.of(timeline))?;
                }
            }
        }
        let (offsets, by_group) = group_lists(groups, 0, || {
            keys.iter()
                .map(|slot| slot.group)
                .zip(reduced.iter().copied())
        });
        let numbers = |group: usize| &by_group[offsets[group]..offsets[group + 1]];
        self.results(
            groups,
            |group| !numbers(group).is_empty(),
            |group, rows| M::evaluate_reduced(&self.cx, numbers(group), rows),
        )
    }

    /// Forgets the emitted groups; the timelines of the rest are renumbered with them.
    fn take(&mut self, emit_to: EmitTo) {
        // The state or result just taken settled the log.
        debug_assert!(self.log.is_empty());
        match emit_to {
            EmitTo::First(n) if n < self.seen.len() => drop(self.seen.drain(..n)),
            _ => self.seen.clear(),
        }
        self.keys.take(emit_to);
        let count = self.keys.table.iter().count();
        let mut kept = Vec::with_capacity(if M::KEEPS_EVERY_VALUE { 0 } else { count });
        let mut kept_numbers = Vec::with_capacity(count);
        for slot in self.keys.table.iter_mut() {
            if let Some(user) = self.timelines.get_mut(slot.timeline as usize) {
                kept.push(std::mem::take(user));
            }
            kept_numbers.push(slot.timeline as usize);
            slot.timeline = (kept_numbers.len() - 1) as u32;
        }
        if M::KEEPS_EVERY_VALUE {
            self.settled.keep(&kept_numbers);
            self.logged_timelines = kept_numbers.len();
        }
        self.value_bytes = kept
            .iter()
            .map(|u| u.values.capacity() * size_of::<i64>())
            .sum();
        self.timelines = kept;
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.keys.size()
            + self.timelines.capacity() * size_of::<UserValues>()
            + self.value_bytes
            + self.log.size()
            + self.settled.size()
            + self.seen.capacity() * size_of::<Option<u64>>()
            + self.batch.size()
    }
}

impl<M: Timeline> GroupsAccumulator for Timelines<M> {
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
        self.take(emit_to);
        Ok(result)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let state = self.state_of_first(self.keys.emitted(emit_to))?;
        self.take(emit_to);
        Ok(state)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Every row a group of its own: its event and its start, each where not NULL.
        let mut ids = UserIds::new(self.keys.ids.kind());
        let rows = Self::selected_rows(values, opt_filter);
        let mut batch = ObservedBatch::default();
        observations_of_rows::<M>(
            &self.cx,
            &mut ids,
            values,
            &rows,
            |row| row as u32,
            &mut batch,
        )?;
        let (mut lengths, mut users, mut element_values, mut element_bits) =
            (vec![0usize; values[0].len()], vec![], vec![], vec![]);
        for (&(row, user), observation) in batch.keys.iter().zip(&batch.observations) {
            for (value, bits) in observation.elements() {
                lengths[row as usize] += 1;
                users.push(user);
                element_values.push(value);
                element_bits.push(bits);
            }
        }
        StateBits::<M>::state_lists(
            &ids,
            &offsets_of(lengths),
            &users,
            element_values,
            element_bits,
        )
    }

    fn size(&self) -> usize {
        Timelines::size(self)
    }
}

/// The single-group accumulator: the grouped state with one group.
#[derive(Debug)]
struct TimelineAccumulator<M: Timeline>(Timelines<M>);

impl<M: Timeline> Accumulator for TimelineAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let timelines = &mut self.0;
        timelines.resize(1)?;
        let rows = Timelines::<M>::selected_rows(values, None);
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
