//! The user-timeline kernel (retention, lifecycle): per (group, user), the user's start and
//! values, each list kept sorted and distinct and compacted by the metric.
//!
//! A metric may drop values that cannot change its result ([`UserTimelineMetric::compact`]):
//! retention keeps at most two events per shortest period, lifecycle one value per active
//! period. Compaction runs when a user's list fills its allocation, so a user costs what the
//! metric needs, not one entry per event.

use std::marker::PhantomData;
use std::mem::size_of;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use super::{
    Element, NO_START, Observation, ObservedBatch, ResultRows, Row, STATE_COLUMNS, Store,
    TimelineMetric, TimelineSlot, accumulator, groups_accumulator, state_fields,
};
use crate::common::bit_window;
use crate::common::group_keys::{GroupKeyTable, prefetch};
use crate::common::metric::Kernel;
use crate::common::user_ids::UserIds;

/// What a metric over users' timelines says about itself; [`UserTimelineKernel`] does the
/// rest.
pub(crate) trait UserTimelineMetric: TimelineMetric {
    /// Position of the optional start column (signup time), for a metric that takes one.
    const START_ARG: Option<usize>;
    /// Values are small integers close together for a user (calendar period numbers): kept,
    /// and passed on in the state, as a 64-bit set around the first one seen, a bit per value
    /// instead of an entry; the few outside it go to the list.
    const SMALL_INTEGERS: bool = false;

    /// Drops values that cannot change the result, given the user's start if known. `values`
    /// arrives sorted and distinct, and must stay so. By default every value counts (each
    /// active period of lifecycle): sorted and distinct is all.
    fn compact(_cx: &Self::Context, _start: Option<i64>, _values: &mut Vec<i64>) {}
    /// A group's result rows, from its users' timelines (values sorted and distinct; at
    /// least one user); none for a NULL result.
    fn evaluate_group(
        cx: &Self::Context,
        users: &[UserTimeline<'_>],
        rows: &mut ResultRows<Row<Self>>,
    ) -> Result<()>;
}

/// The kernel of the [`UserTimelineMetric`]s.
#[derive(Debug)]
pub(crate) struct UserTimelineKernel;

impl<M: UserTimelineMetric> Kernel<M> for UserTimelineKernel {
    const NAMED_STATE_COLUMNS: usize = STATE_COLUMNS;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        state_fields::<M, UserValueLists<M>>(args)
    }

    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        accumulator::<M, UserValueLists<M>>(rule, args)
    }

    fn groups_accumulator(
        rule: M::Rule,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        groups_accumulator::<M, UserValueLists<M>>(rule, args)
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

/// One (group, user)'s start and values.
#[derive(Debug, Default)]
struct UserValues {
    start: i64,
    values: Vec<i64>,
    /// The leading values known sorted and distinct.
    sorted: usize,
    /// For [`UserTimelineMetric::SMALL_INTEGERS`]: values `window_start + i` for each set
    /// bit `i`, not yet in `values`.
    window: u64,
    window_start: i64,
}

impl UserValues {
    fn start(&self) -> Option<i64> {
        (self.start != NO_START).then_some(self.start)
    }

    /// Marks `value` in the window of bits, opening one around it if none is; false when
    /// the value lies outside.
    #[inline]
    fn mark(&mut self, value: i64) -> bool {
        if self.window == 0 {
            self.window_start = bit_window::opened_at(value);
        }
        match bit_window::bit_of(self.window_start, value) {
            Some(bit) => {
                self.window |= bit;
                true
            }
            None => false,
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
    /// a user seen without any of them is one start element with no start,
    /// [`Observation::PRESENT`].
    fn state_elements(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        let seen_alone = self.start().is_none() && self.window == 0 && self.values.is_empty();
        let start = match self.start() {
            Some(start) => Some((start, Observation::START)),
            None => seen_alone.then_some(Observation::PRESENT),
        };
        let window = (self.window != 0).then_some((self.window_start, self.window));
        start
            .into_iter()
            .chain(window)
            .chain(self.values.iter().map(|&v| (v, Observation::ONE)))
    }

    /// Moves the window's values into the list.
    fn flush_window(&mut self) {
        let bits = std::mem::take(&mut self.window);
        self.values
            .extend(bit_window::members(self.window_start, bits));
    }
}

/// Observations ahead whose timelines are prefetched (and half as far ahead, the ends of
/// their value lists).
const TIMELINE_PREFETCH: usize = 16;

/// Values per list before the first compaction: small lists are cheaper to keep than to
/// sort.
const FIRST_COMPACTION: usize = 8;

/// Every user's values in a list of its own: the store of the [`UserTimelineKernel`].
#[derive(Debug)]
struct UserValueLists<M> {
    timelines: Vec<UserValues>,
    /// Heap bytes of all the value lists.
    value_bytes: usize,
    metric: PhantomData<M>,
}

impl<M> Default for UserValueLists<M> {
    fn default() -> Self {
        Self {
            timelines: vec![],
            value_bytes: 0,
            metric: PhantomData,
        }
    }
}

impl<M: UserTimelineMetric> UserValueLists<M> {
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
        for value in bit_window::members(o.value, listed) {
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

    /// Compacts every user's values; `flush`: with the windows' values moved into the list
    /// first.
    fn compact_all(&mut self, cx: &M::Context, flush: bool) {
        for user in &mut self.timelines {
            if flush && user.window != 0 {
                let before = user.values.capacity();
                user.flush_window();
                self.value_bytes += (user.values.capacity() - before) * size_of::<i64>();
            }
            Self::compact(cx, user, &mut self.value_bytes, false);
        }
    }
}

impl<M: UserTimelineMetric> Store<M> for UserValueLists<M> {
    const START_ARG: Option<usize> = M::START_ARG;
    const PER_USER: bool = true;
    const VALUE_SETS: bool = M::SMALL_INTEGERS;

    fn row_bits(_cx: &M::Context, _arguments: &[ArrayRef]) -> Result<Option<Vec<u64>>> {
        Ok(None)
    }

    /// In two passes, so that memory latency overlaps: the table finds (or makes) each key's
    /// timeline, prefetching slots ahead; then each observation goes to its timeline, with the
    /// timelines, and the ends of their value lists, prefetched a few observations ahead.
    fn observe(
        &mut self,
        cx: &M::Context,
        table: &mut GroupKeyTable<TimelineSlot>,
        batch: &mut ObservedBatch,
    ) {
        let ObservedBatch {
            keys,
            observations,
            timelines: indices,
            ..
        } = batch;
        let timelines = &mut self.timelines;
        // New slots take the next timeline numbers.
        let mut next_timeline = timelines.len() as u32;
        indices.clear();
        table.for_each_slot(
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
                cx,
                &mut timelines[timeline],
                &mut self.value_bytes,
                observation,
            );
        }
    }

    fn timeline_count(&self) -> usize {
        self.timelines.len()
    }

    fn for_each_element(
        &mut self,
        cx: &M::Context,
        mut each: impl FnMut(usize, Element),
    ) -> Result<()> {
        self.compact_all(cx, false);
        for (t, user) in self.timelines.iter().enumerate() {
            // No payloads here.
            let elements = user.state_elements().map(|(value, bits)| (value, bits, 0));
            elements.for_each(|element| each(t, element));
        }
        Ok(())
    }

    fn seen_alone(&self, _group: usize) -> Option<u64> {
        None
    }

    fn evaluate(
        &mut self,
        cx: &M::Context,
        keys: &[TimelineSlot],
        groups: usize,
        _forgotten_next: bool,
        _payloads: &UserIds,
    ) -> Result<ResultRows<Row<M>>> {
        self.compact_all(cx, true);
        let mut users_of: Vec<Vec<UserTimeline<'_>>> = vec![vec![]; groups];
        for (slot, user) in keys.iter().zip(&self.timelines) {
            if let Some(users) = users_of.get_mut(slot.group as usize) {
                users.push(UserTimeline {
                    start: user.start(),
                    values: &user.values,
                });
            }
        }
        ResultRows::of_groups(
            groups,
            |group| !users_of[group].is_empty(),
            |group, rows| M::evaluate_group(cx, &users_of[group], rows),
        )
    }

    fn take(&mut self, _emit_to: EmitTo, kept: &[usize]) -> Result<()> {
        let kept: Vec<UserValues> = kept
            .iter()
            .map(|&t| std::mem::take(&mut self.timelines[t]))
            .collect();
        self.value_bytes = kept
            .iter()
            .map(|u| u.values.capacity() * size_of::<i64>())
            .sum();
        self.timelines = kept;
        Ok(())
    }

    fn size(&self) -> usize {
        self.timelines.capacity() * size_of::<UserValues>() + self.value_bytes
    }
}
