//! `stickiness(user_id, event_time [, period])`: DAU/MAU as a percentage, exact.

use std::collections::BTreeMap;
use std::mem::size_of;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef, TimeUnit, UInt64Type};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, Documentation, EmitTo, GroupsAccumulator};

use crate::calendar::CalendarUnit;
use crate::calendar::zoned_days::{coerce_event_time, days_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::bit_window;
use crate::common::group_keys::{Entry, GroupKeyTable, GroupedKeys, VACANT};
use crate::common::list_state::{ListElements, group_lists, list_columns, rows_as_groups};
use crate::common::metric::{Distinct, Kernel, Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::{UserIdKind, UserIds};

const NAME: &str = "stickiness";

/// DAU/MAU × 100 = 100 × distinct (user, day) pairs / (days × distinct users), where days
/// spans the group's first to last active day, or the whole calendar periods holding them.
#[derive(Debug)]
pub(crate) struct Stickiness;

shared_udaf!(
    /// The `stickiness` aggregate function.
    stickiness_udaf,
    Stickiness
);

/// The metric from a group's distinct activity; `None` when the group saw none.
fn stickiness(
    period: Option<CalendarUnit>,
    active_pairs: u64,
    users: u64,
    first_day: i32,
    last_day: i32,
) -> Option<f64> {
    let days = match period {
        Some(unit) => unit.days_of_periods(first_day, last_day),
        None => last_day as i64 - first_day as i64 + 1,
    };
    (active_pairs > 0).then(|| 100.0 * active_pairs as f64 / (days as f64 * users as f64))
}

impl Metric for Stickiness {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = Some("%");
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "period")];
    // The metric already counts each (user, day) pair once.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "window_starts", "active_days"];
    /// The calendar period whose whole days are the denominator; `None`: the observed span.
    type Rule = Option<CalendarUnit>;
    type Kernel = Self;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Stickiness (DAU/MAU) as a percentage: 100 × distinct (user, day) pairs / (days × \
                 distinct users), where day is the calendar date of event_time in its own time \
                 zone (the day date_trunc('day', event_time) gives; naive timestamps as they \
                 show). With period ('day', 'week' from Monday, 'month', 'quarter' or 'year', \
                 in the same zone), days are all the days of the whole periods from the one \
                 holding the group's first active day to the one holding its last: a user \
                 active on 4 days of June reads 4 / 30 = 13.3 %, as DAU/MAU for June. Without \
                 period, days are the observed span from the group's first to its last active \
                 day, which reads higher for small groups and partial months. Either way a day \
                 without activity counts as DAU 0. Exact: no sampling. Rows with a NULL input \
                 are skipped; a group without activity gives NULL. Group by month with period \
                 'month' for the classic monthly DAU/MAU.",
                "stickiness(user_id, event_time [, period])",
            )
            .with_sql_example("```sql\nSELECT segment, date_trunc('month', event_time) AS month,\n       stickiness(user_id, event_time, 'month') AS dau_mau\nFROM events\nGROUP BY segment, month;\n\n-- days and months in New York time\nSELECT date_trunc('month', event_time AT TIME ZONE 'America/New_York') AS month,\n       stickiness(user_id, event_time AT TIME ZONE 'America/New_York', 'month') AS dau_mau\nFROM events\nGROUP BY month;\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("period", "Optional: the calendar period whose whole days are the denominator, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the days from the group's first to its last active day.")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, 2, 3, Self::usage())?;
        let mut types = vec![
            UserIdKind::coerce(NAME, "user_id", &arg_types[0])?,
            coerce_event_time(NAME, "event_time", &arg_types[1])?,
        ];
        if let Some(period) = arg_types.get(2) {
            types.push(coerce_string(NAME, "period", period)?);
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        UserIdKind::example_types()
            .into_iter()
            .flat_map(|user| {
                let two = vec![user, DataType::Timestamp(TimeUnit::Microsecond, None)];
                let mut three = two.clone();
                three.push(DataType::Utf8);
                [two, three]
            })
            .collect()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<Option<CalendarUnit>> {
        whole_periods(NAME, constants)
    }
}

/// The optional `period` constant of `stickiness` and `approx_stickiness`: the calendar period
/// whose whole days are the denominator, `None` for the observed span.
pub(crate) fn whole_periods(
    function: &str,
    constants: &[Option<ScalarValue>],
) -> Result<Option<CalendarUnit>> {
    constants[0]
        .as_ref()
        .map(|period| CalendarUnit::of_argument(function, "period", period, &CalendarUnit::ALL))
        .transpose()
}

impl Kernel<Stickiness> for Stickiness {
    // Three lists: users, window starts, and each element's 64-day window.
    const NAMED_STATE_COLUMNS: usize = 3;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let user_type = UserIdKind::of(args.input_fields[0].data_type()).state_type();
        let element_types = [user_type, DataType::Date32, DataType::UInt64];
        Ok(Self::STATE_NAMES
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

    fn accumulator(
        period: Option<CalendarUnit>,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StickinessAccumulator {
            period,
            users: UserIds::new(UserIdKind::of(args.expr_fields[0].data_type())),
            pair_rows: HashMap::new(),
            user_pairs: HashMap::new(),
            day_pairs: BTreeMap::new(),
        }))
    }

    fn groups_accumulator(
        period: Option<CalendarUnit>,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(StickinessGroupsAccumulator {
            period,
            keys: GroupedKeys::new(UserIdKind::of(args.expr_fields[0].data_type())),
            other_windows: BTreeMap::new(),
            activity: vec![],
        }))
    }
}

/// A user's active days as bits: bit `i` is day `start + i`.
type DayBits = u64;

/// One (group, user)'s active days within its window: 24 bytes.
#[derive(Debug, Clone, Copy)]
struct UserDays {
    group: u32,
    start: i32,
    user: u64,
    days: DayBits,
}

impl Entry for UserDays {
    const EMPTY: Self = Self {
        group: VACANT,
        start: 0,
        user: 0,
        days: 0,
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

impl UserDays {
    /// Marks `days` (bits of this entry's window) active; returns those that were not yet.
    #[inline]
    fn mark(&mut self, days: DayBits) -> DayBits {
        let new_days = days & !self.days;
        self.days |= new_days;
        new_days
    }
}

const WINDOW_DAYS: i64 = bit_window::WIDTH;

/// The window for a user first seen on `day` (so a group of a month or a week keeps each
/// user's days in one window) and the bit of `day` in it.
fn day_window(day: i32) -> (i32, DayBits) {
    let start = bit_window::opened_at(i64::from(day)).max(i64::from(i32::MIN));
    (start as i32, 1 << (i64::from(day) - start))
}

/// The days whose bits are set in a window.
fn days_of(start: i32, bits: DayBits) -> impl Iterator<Item = i32> {
    bit_window::members(i64::from(start), bits).map(|day| day as i32)
}

/// A chunk of the (user, window) elements of a state batch, with the state row each came from.
///
/// The state of a group is a list of users, each with a window start and the bits of its
/// active days in that window; a user may appear more than once (days outside its window).
struct StateWindows {
    users: ArrayRef,
    starts: Vec<i32>,
    bits: Vec<DayBits>,
    state_rows: Vec<usize>,
}

impl StateWindows {
    /// Calls `f` with the windows of a state batch, a chunk at a time.
    fn for_each_chunk(states: &[ArrayRef], mut f: impl FnMut(Self) -> Result<()>) -> Result<()> {
        ListElements::for_each_chunk(states, |chunk| {
            let columns = chunk.columns;
            f(Self {
                starts: columns[1].as_primitive::<Date32Type>().values().to_vec(),
                bits: columns[2].as_primitive::<UInt64Type>().values().to_vec(),
                users: Arc::clone(&columns[0]),
                state_rows: chunk.state_rows,
            })
        })
    }
}

/// Builds the three list state columns from windows laid out group by group by `offsets`.
fn state_lists(
    offsets: &[usize],
    users: ArrayRef,
    starts: Vec<i32>,
    bits: Vec<DayBits>,
) -> Result<Vec<ArrayRef>> {
    let elements: Vec<ArrayRef> = vec![
        users,
        Arc::new(Date32Array::from(starts)),
        Arc::new(UInt64Array::from(bits)),
    ];
    list_columns(NAME, offsets, elements)
}

/// Single-group state: counts that allow window frames to retract rows.
#[derive(Debug)]
struct StickinessAccumulator {
    period: Option<CalendarUnit>,
    users: UserIds,
    /// Rows seen per distinct (user, day) pair.
    pair_rows: HashMap<(u64, i32), u64>,
    /// Distinct active days per user.
    user_pairs: HashMap<u64, u64>,
    /// Distinct active users per day, ordered to find the first and last day.
    day_pairs: BTreeMap<i32, u64>,
}

impl StickinessAccumulator {
    fn add(&mut self, user: u64, day: i32) {
        let rows = self.pair_rows.entry((user, day)).or_insert(0);
        *rows += 1;
        if *rows == 1 {
            *self.user_pairs.entry(user).or_insert(0) += 1;
            *self.day_pairs.entry(day).or_insert(0) += 1;
        }
    }

    fn remove(&mut self, user: u64, day: i32) {
        let Some(rows) = self.pair_rows.get_mut(&(user, day)) else {
            return;
        };
        *rows -= 1;
        if *rows == 0 {
            self.pair_rows.remove(&(user, day));
            decrement(&mut self.user_pairs, user);
            if let Some(users) = self.day_pairs.get_mut(&day) {
                *users -= 1;
                if *users == 0 {
                    self.day_pairs.remove(&day);
                }
            }
        }
    }

    fn for_each_row(
        &mut self,
        values: &[ArrayRef],
        mut f: impl FnMut(&mut Self, u64, i32),
    ) -> Result<()> {
        let days = days_since_epoch(NAME, &values[1])?;
        let mut pairs = vec![];
        let rows = Stickiness::selected_rows(values, None);
        self.users
            .for_each_key(NAME, &values[0], &rows, |row, user| {
                pairs.push((user, days[row]))
            })?;
        pairs.into_iter().for_each(|(user, day)| f(self, user, day));
        Ok(())
    }
}

fn decrement(counts: &mut HashMap<u64, u64>, key: u64) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

impl Accumulator for StickinessAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.for_each_row(values, |this, user, day| this.add(user, day))
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.for_each_row(values, |this, user, day| this.remove(user, day))
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        StateWindows::for_each_chunk(states, |windows| {
            let mut pairs = vec![];
            self.users.for_each_key(
                NAME,
                &windows.users,
                &SelectedRows::All(windows.starts.len()),
                |i, user| {
                    pairs.extend(days_of(windows.starts[i], windows.bits[i]).map(|day| (user, day)))
                },
            )?;
            pairs
                .into_iter()
                .for_each(|(user, day)| self.add(user, day));
            Ok(())
        })
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // One window per pair: this accumulator serves single groups and window frames, where
        // the state is small; the grouped accumulator packs days into shared windows.
        let (users, days): (Vec<u64>, Vec<i32>) = self.pair_rows.keys().copied().unzip();
        let bits = vec![1; days.len()];
        let lists = state_lists(&[0, days.len()], self.users.values(&users)?, days, bits)?;
        lists
            .iter()
            .map(|list| ScalarValue::try_from_array(list, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let days = self
            .day_pairs
            .first_key_value()
            .zip(self.day_pairs.last_key_value());
        let value = days.and_then(|((&first, _), (&last, _))| {
            stickiness(
                self.period,
                self.pair_rows.len() as u64,
                self.user_pairs.len() as u64,
                first,
                last,
            )
        });
        Ok(ScalarValue::Float64(value))
    }

    fn size(&self) -> usize {
        // BTreeMap nodes hold up to 11 entries; count a whole entry plus a share of node links.
        size_of::<Self>()
            + self.users.size()
            + self.pair_rows.allocation_size()
            + self.user_pairs.allocation_size()
            + self.day_pairs.len() * (size_of::<(i32, u64)>() + 16)
    }
}

/// One group's distinct activity so far.
#[derive(Debug, Clone, Copy, Default)]
struct GroupActivity {
    pairs: u64,
    users: u64,
    first_day: i32,
    last_day: i32,
}

impl GroupActivity {
    /// Counts the new (user, day) pairs whose days are the set bits of `new_days`.
    #[inline]
    fn add_days(&mut self, start: i32, new_days: DayBits) {
        let first = (start as i64 + new_days.trailing_zeros() as i64) as i32;
        let last = (start as i64 + (WINDOW_DAYS - 1 - new_days.leading_zeros() as i64)) as i32;
        if self.pairs == 0 {
            (self.first_day, self.last_day) = (first, last);
        } else {
            self.first_day = self.first_day.min(first);
            self.last_day = self.last_day.max(last);
        }
        self.pairs += u64::from(new_days.count_ones());
    }
}

/// The (group, user) keys, window starts and day bits of a batch's rows.
type RowWindows = (Vec<(u32, u64)>, Vec<i32>, Vec<DayBits>);

/// The native grouped accumulator: the distinct (user, day) pairs of every group, with running
/// counts per group.
///
/// One table entry per (group, user) holds the user's days as bits, so a row costs one probe
/// and a bit test, and a month of a user's activity is 24 bytes. Days outside the user's first
/// window (groups spanning more than a month) go to further windows of 64 days, laid end to end
/// from the first, one table per window offset: 24 bytes per (group, user, window) rather than
/// a set entry per day.
#[derive(Debug)]
struct StickinessGroupsAccumulator {
    period: Option<CalendarUnit>,
    keys: GroupedKeys<UserDays>,
    /// Windows after (1, 2, …) or before (−1, …) each (group, user)'s first, by offset.
    other_windows: BTreeMap<i64, GroupKeyTable<UserDays>>,
    activity: Vec<GroupActivity>,
}

/// Days of one (group, user) for the window `offset` windows away from its first.
struct OutsideDays {
    offset: i64,
    key: (u32, u64),
    start: i32,
    days: DayBits,
}

impl StickinessGroupsAccumulator {
    fn resize(&mut self, total_num_groups: usize) -> Result<()> {
        self.keys.resize(NAME, total_num_groups)?;
        self.activity
            .resize(total_num_groups, GroupActivity::default());
        Ok(())
    }

    /// Adds, for each (group, user) of `keys`, the days `days` of the window at `starts`.
    fn add_windows(&mut self, keys: &[(u32, u64)], starts: &[i32], days: &[DayBits]) {
        let groups = &mut self.activity;
        let mut outside_days = vec![];
        self.keys.table.for_each_slot(
            keys,
            |row| UserDays {
                group: keys[row].0,
                start: starts[row],
                user: keys[row].1,
                days: 0,
            },
            |row, known, is_new| {
                let activity = &mut groups[keys[row].0 as usize];
                activity.users += u64::from(is_new);
                let (inside, outside) =
                    bit_window::realign(days[row], starts[row] as i64 - known.start as i64);
                let new_days = known.mark(inside);
                if new_days != 0 {
                    activity.add_days(known.start, new_days);
                }
                for day in days_of(starts[row], outside) {
                    let offset = (day as i64 - known.start as i64).div_euclid(WINDOW_DAYS);
                    let start = known.start as i64 + offset * WINDOW_DAYS;
                    outside_days.push(OutsideDays {
                        offset,
                        key: keys[row],
                        // Within i32: `day` is, and the window holds it.
                        start: start as i32,
                        days: 1 << (day as i64 - start),
                    });
                }
            },
        );
        if !outside_days.is_empty() {
            self.add_outside_days(outside_days);
        }
    }

    /// Adds days outside the first windows to the tables of their window offsets.
    fn add_outside_days(&mut self, mut outside_days: Vec<OutsideDays>) {
        outside_days.sort_by_key(|d| d.offset);
        for same_offset in outside_days.chunk_by(|a, b| a.offset == b.offset) {
            let table = self
                .other_windows
                .entry(same_offset[0].offset)
                .or_insert_with(GroupKeyTable::new);
            let keys: Vec<(u32, u64)> = same_offset.iter().map(|d| d.key).collect();
            let groups = &mut self.activity;
            table.for_each_slot(
                &keys,
                |i| UserDays {
                    group: keys[i].0,
                    start: same_offset[i].start,
                    user: keys[i].1,
                    days: 0,
                },
                |i, known, _| {
                    let new_days = known.mark(same_offset[i].days);
                    if new_days != 0 {
                        groups[keys[i].0 as usize].add_days(known.start, new_days);
                    }
                },
            );
        }
    }

    /// The windows of the first `emitted` groups as list state columns.
    fn state_of_first(&self, emitted: usize) -> Result<Vec<ArrayRef>> {
        let (offsets, windows) = group_lists(emitted, (0, 0, 0), || {
            std::iter::once(&self.keys.table)
                .chain(self.other_windows.values())
                .flat_map(|table| table.iter())
                .map(|e| (e.group, (e.user, e.start, e.days)))
        });
        let mut users = Vec::with_capacity(windows.len());
        let mut starts = Vec::with_capacity(windows.len());
        let mut bits = Vec::with_capacity(windows.len());
        for (user, start, days) in windows {
            users.push(user);
            starts.push(start);
            bits.push(days);
        }
        state_lists(&offsets, self.keys.ids.values(&users)?, starts, bits)
    }

    /// Removes the emitted groups and renumbers the rest from 0.
    fn take(&mut self, emit_to: EmitTo) -> Vec<GroupActivity> {
        let emitted = emit_to.take_needed(&mut self.activity);
        self.keys.take(emit_to);
        match emit_to {
            EmitTo::All => self.other_windows.clear(),
            EmitTo::First(_) => {
                for table in self.other_windows.values_mut() {
                    table.remove_first_groups(emitted.len() as u32);
                }
            }
        }
        emitted
    }

    /// The (group, user) keys, window starts and day bits of the selected rows of a batch.
    fn windows_of_rows(
        ids: &mut UserIds,
        values: &[ArrayRef],
        rows: &SelectedRows,
        mut group_of: impl FnMut(usize) -> u32,
    ) -> Result<RowWindows> {
        let days = days_since_epoch(NAME, &values[1])?;
        let (mut keys, mut starts, mut bits) = (vec![], vec![], vec![]);
        ids.for_each_key(NAME, &values[0], rows, |row, user| {
            let (start, bit) = day_window(days[row]);
            keys.push((group_of(row), user));
            starts.push(start);
            bits.push(bit);
        })?;
        Ok((keys, starts, bits))
    }
}

impl GroupsAccumulator for StickinessGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        let rows = Stickiness::selected_rows(values, opt_filter);
        let (keys, starts, bits) =
            Self::windows_of_rows(&mut self.keys.ids, values, &rows, |row| {
                group_indices[row] as u32
            })?;
        self.add_windows(&keys, &starts, &bits);
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        StateWindows::for_each_chunk(values, |windows| {
            let mut keys = Vec::with_capacity(windows.starts.len());
            self.keys.ids.for_each_key(
                NAME,
                &windows.users,
                &SelectedRows::All(windows.starts.len()),
                |i, user| keys.push((group_indices[windows.state_rows[i]] as u32, user)),
            )?;
            self.add_windows(&keys, &windows.starts, &windows.bits);
            Ok(())
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let values: Float64Array = self
            .take(emit_to)
            .iter()
            .map(|g| stickiness(self.period, g.pairs, g.users, g.first_day, g.last_day))
            .collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let lists = self.state_of_first(self.keys.emitted(emit_to))?;
        self.take(emit_to);
        Ok(lists)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let rows = Stickiness::selected_rows(values, opt_filter);
        let days = days_since_epoch(NAME, &values[1])?;
        let (mut starts, mut bits) = (vec![], vec![]);
        let (offsets, users) =
            rows_as_groups(NAME, self.keys.ids.kind(), &values[0], &rows, |row| {
                let (start, bit) = day_window(days[row]);
                starts.push(start);
                bits.push(bit);
            })?;
        state_lists(&offsets, users, starts, bits)
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.keys.size()
            + self
                .other_windows
                .values()
                .map(|table| table.size() + size_of::<(i64, GroupKeyTable<UserDays>)>())
                .sum::<usize>()
            + self.activity.capacity() * size_of::<GroupActivity>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The absolute days of a window.
    fn days(start: i32, bits: DayBits) -> Vec<i32> {
        let mut all: Vec<i32> = days_of(start, bits).collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn a_window_holds_a_month_either_side_of_the_first_day() {
        let (start, bit) = day_window(20_000);
        assert_eq!(start, 20_000 - 32);
        assert_eq!(days(start, bit), vec![20_000]);
        // The extremes of the day range do not overflow.
        let (start, bit) = day_window(i32::MIN);
        assert_eq!(days(start, bit), vec![i32::MIN]);
        let (start, bit) = day_window(i32::MAX);
        assert_eq!(days(start, bit), vec![i32::MAX]);
    }
}
