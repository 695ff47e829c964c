//! `stickiness(user_id, event_time)`: DAU/MAU as a percentage, exact.

use std::collections::BTreeMap;
use std::mem::size_of;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, ListArray, UInt32Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef, TimeUnit};
use datafusion::common::{HashMap, HashSet, ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator,
    Signature,
};

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, documented_signature, lenient_coercion};
use crate::common::days::{coerce_event_time, days_since_epoch};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::{UserIdKind, UserIds};

const NAME: &str = "stickiness";

/// DAU/MAU × 100 = 100 × distinct (user, day) pairs / (days × distinct users), where days
/// spans the group's first to last active day.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stickiness {
    signature: Signature,
}

/// The `stickiness` aggregate function.
pub fn stickiness_udaf() -> Arc<AggregateUDF> {
    let examples = [DataType::Int64, DataType::Utf8]
        .map(|user| vec![user, DataType::Timestamp(TimeUnit::Microsecond, None)]);
    Arc::new(AggregateUDF::from(Stickiness {
        signature: documented_signature(examples.to_vec()),
    }))
}

/// The argument types to coerce to, or an error naming the argument and its type.
fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
    check_arg_count(NAME, arg_types, 2, 2, "stickiness(user_id, event_time)")?;
    Ok(vec![
        UserIdKind::coerce(NAME, &arg_types[0])?,
        coerce_event_time(NAME, "event_time", &arg_types[1])?,
    ])
}

/// The metric from a group's distinct activity; `None` when the group saw none.
fn stickiness(active_pairs: u64, users: u64, first_day: i32, last_day: i32) -> Option<f64> {
    let days = (last_day as i64 - first_day as i64 + 1) as f64;
    (active_pairs > 0).then(|| 100.0 * active_pairs as f64 / (days * users as f64))
}

impl AggregateUDFImpl for Stickiness {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(check_arg_types(arg_types), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        check_arg_types(arg_types)?;
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let user_type = UserIdKind::of(args.input_fields[0].data_type()).state_type();
        Ok(vec![
            Arc::new(Field::new_list(
                format_state_name(args.name, "users"),
                Field::new_list_field(user_type, false),
                false,
            )),
            Arc::new(Field::new_list(
                format_state_name(args.name, "days"),
                Field::new_list_field(DataType::Date32, false),
                false,
            )),
        ])
    }

    // DISTINCT is accepted: the metric already counts each (user, day) pair once, so
    // `stickiness(DISTINCT user_id, event_time)` is the same number.
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StickinessAccumulator {
            users: UserIds::new(UserIdKind::of(args.expr_fields[0].data_type())),
            pair_rows: HashMap::new(),
            user_pairs: HashMap::new(),
            day_pairs: BTreeMap::new(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(StickinessGroupsAccumulator {
            users: UserIds::new(UserIdKind::of(args.expr_fields[0].data_type())),
            activity: GroupedActivity::default(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Stickiness (DAU/MAU) as a percentage: 100 × distinct (user, day) pairs / (days × \
                 distinct users), where day is the calendar date of event_time (UTC for zoned \
                 timestamps) and days runs from the group's first to its last active day, so a day \
                 without activity counts as DAU 0. Exact: no sampling. Rows with a NULL input are \
                 skipped; a group without activity gives NULL. Group by month for the classic \
                 monthly DAU/MAU.",
                "stickiness(user_id, event_time)",
            )
            .with_sql_example("```sql\nSELECT segment, date_trunc('month', event_time) AS month,\n       stickiness(user_id, event_time) AS dau_mau\nFROM events\nGROUP BY segment, month;\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
            .build()
        });
        Some(&DOCUMENTATION)
    }
}

/// The rows of a batch that count: user and time both present, FILTER passed.
fn selected(values: &[ArrayRef], filter: Option<&BooleanArray>) -> SelectedRows {
    SelectedRows::new(
        values[0].len(),
        &[values[0].as_ref(), values[1].as_ref()],
        filter,
    )
}

/// The (user, day) pairs of a state batch, flattened, with the state row each came from.
struct StatePairs {
    users: ArrayRef,
    days: Vec<i32>,
    state_rows: Vec<usize>,
}

impl StatePairs {
    fn read(states: &[ArrayRef]) -> Self {
        let (users, days) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        let offsets = users.value_offsets();
        let (start, end) = (offsets[0] as usize, offsets[users.len()] as usize);
        let state_rows = offsets
            .windows(2)
            .enumerate()
            .flat_map(|(row, w)| std::iter::repeat_n(row, (w[1] - w[0]) as usize))
            .collect();
        Self {
            users: users.values().slice(start, end - start),
            days: days.values().as_primitive::<Date32Type>().values()[start..end].to_vec(),
            state_rows,
        }
    }
}

/// Builds the two list state columns from (user, day) pairs laid out group by group by `offsets`.
fn state_lists(offsets: Vec<i32>, users: ArrayRef, days: Vec<i32>) -> Result<Vec<ArrayRef>> {
    let offsets = OffsetBuffer::new(offsets.into());
    let user_field = Arc::new(Field::new_list_field(users.data_type().clone(), false));
    let day_field = Arc::new(Field::new_list_field(DataType::Date32, false));
    Ok(vec![
        Arc::new(ListArray::try_new(
            user_field,
            offsets.clone(),
            users,
            None,
        )?),
        Arc::new(ListArray::try_new(
            day_field,
            offsets,
            Arc::new(Date32Array::from(days)),
            None,
        )?),
    ])
}

fn list_offset(len: usize) -> Result<i32> {
    i32::try_from(len).or_else(|_| {
        exec_err!(
            "{NAME}: more than {} (user, day) pairs in one state batch",
            i32::MAX
        )
    })
}

/// Single-group state: counts that allow window frames to retract rows.
#[derive(Debug)]
struct StickinessAccumulator {
    users: UserIds,
    /// Rows seen per distinct (user, day) pair.
    pair_rows: HashMap<(u32, i32), u64>,
    /// Distinct active days per user.
    user_pairs: HashMap<u32, u64>,
    /// Distinct active users per day, ordered to find the first and last day.
    day_pairs: BTreeMap<i32, u64>,
}

impl StickinessAccumulator {
    fn add(&mut self, user: u32, day: i32) {
        let rows = self.pair_rows.entry((user, day)).or_insert(0);
        *rows += 1;
        if *rows == 1 {
            *self.user_pairs.entry(user).or_insert(0) += 1;
            *self.day_pairs.entry(day).or_insert(0) += 1;
        }
    }

    fn remove(&mut self, user: u32, day: i32) {
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
        mut f: impl FnMut(&mut Self, u32, i32),
    ) -> Result<()> {
        let days = days_since_epoch(&values[1])?;
        let mut pairs = vec![];
        self.users
            .for_each_id(NAME, &values[0], &selected(values, None), |row, user| {
                pairs.push((user, days[row]))
            })?;
        pairs.into_iter().for_each(|(user, day)| f(self, user, day));
        Ok(())
    }
}

fn decrement(counts: &mut HashMap<u32, u64>, key: u32) {
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
        let pairs = StatePairs::read(states);
        let mut ids = vec![];
        self.users.for_each_id(
            NAME,
            &pairs.users,
            &SelectedRows::All(pairs.days.len()),
            |i, user| ids.push((user, pairs.days[i])),
        )?;
        ids.into_iter().for_each(|(user, day)| self.add(user, day));
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (user_ids, days): (Vec<u32>, Vec<i32>) = self.pair_rows.keys().copied().unzip();
        let lists = state_lists(
            vec![0, list_offset(days.len())?],
            self.users.values(&user_ids)?,
            days,
        )?;
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

/// Distinct (group, user, day) and (group, user) sets over all groups, with running counts.
#[derive(Debug, Default)]
struct GroupedActivity {
    pairs: HashSet<(u32, u32, i32)>,
    group_users: HashSet<(u32, u32)>,
    groups: Vec<GroupActivity>,
}

impl GroupedActivity {
    #[inline]
    fn add(&mut self, group: u32, user: u32, day: i32) {
        if self.pairs.insert((group, user, day)) {
            let activity = &mut self.groups[group as usize];
            if activity.pairs == 0 {
                (activity.first_day, activity.last_day) = (day, day);
            } else {
                activity.first_day = activity.first_day.min(day);
                activity.last_day = activity.last_day.max(day);
            }
            activity.pairs += 1;
            if self.group_users.insert((group, user)) {
                activity.users += 1;
            }
        }
    }

    fn resize(&mut self, total_num_groups: usize) -> Result<()> {
        if total_num_groups > u32::MAX as usize {
            return exec_err!("{NAME}: more than {} groups", u32::MAX);
        }
        self.groups
            .resize(total_num_groups, GroupActivity::default());
        Ok(())
    }

    /// Removes the emitted groups and renumbers the rest from 0.
    fn take(&mut self, emit_to: EmitTo) -> Vec<GroupActivity> {
        let emitted = emit_to.take_needed(&mut self.groups);
        match emit_to {
            EmitTo::All => {
                self.pairs = HashSet::new();
                self.group_users = HashSet::new();
            }
            EmitTo::First(n) => {
                let n = n as u32;
                self.pairs = self
                    .pairs
                    .drain()
                    .filter(|p| p.0 >= n)
                    .map(|(g, u, d)| (g - n, u, d))
                    .collect();
                self.group_users = self
                    .group_users
                    .drain()
                    .filter(|p| p.0 >= n)
                    .map(|(g, u)| (g - n, u))
                    .collect();
            }
        }
        emitted
    }
}

/// The native grouped accumulator.
#[derive(Debug)]
struct StickinessGroupsAccumulator {
    users: UserIds,
    activity: GroupedActivity,
}

impl GroupsAccumulator for StickinessGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.activity.resize(total_num_groups)?;
        let days = days_since_epoch(&values[1])?;
        let activity = &mut self.activity;
        self.users.for_each_id(
            NAME,
            &values[0],
            &selected(values, opt_filter),
            |row, user| activity.add(group_indices[row] as u32, user, days[row]),
        )
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.activity.resize(total_num_groups)?;
        let pairs = StatePairs::read(values);
        let activity = &mut self.activity;
        self.users.for_each_id(
            NAME,
            &pairs.users,
            &SelectedRows::All(pairs.days.len()),
            |i, user| {
                activity.add(
                    group_indices[pairs.state_rows[i]] as u32,
                    user,
                    pairs.days[i],
                )
            },
        )
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let emitted = self.activity.take(emit_to);
        if self.activity.groups.is_empty() {
            self.users = UserIds::new(self.users.kind());
        }
        let values: Float64Array = emitted
            .iter()
            .map(|g| stickiness(g.pairs, g.users, g.first_day, g.last_day))
            .collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let emitted = match emit_to {
            EmitTo::All => self.activity.groups.len(),
            EmitTo::First(n) => n,
        };
        // Lay the pairs out group by group: each group's slot range is known from its count.
        let mut offsets = Vec::with_capacity(emitted + 1);
        offsets.push(0usize);
        for group in &self.activity.groups[..emitted] {
            offsets.push(offsets.last().unwrap() + group.pairs as usize);
        }
        let total = *offsets.last().unwrap();
        let (mut user_ids, mut days) = (vec![0u32; total], vec![0i32; total]);
        let mut cursor = offsets[..emitted].to_vec();
        for &(group, user, day) in &self.activity.pairs {
            if let Some(slot) = cursor.get_mut(group as usize) {
                (user_ids[*slot], days[*slot]) = (user, day);
                *slot += 1;
            }
        }
        let offsets = offsets
            .into_iter()
            .map(list_offset)
            .collect::<Result<Vec<_>>>()?;
        let lists = state_lists(offsets, self.users.values(&user_ids)?, days)?;
        self.activity.take(emit_to);
        if self.activity.groups.is_empty() {
            self.users = UserIds::new(self.users.kind());
        }
        Ok(lists)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row is its own group: a one-pair list, or an empty list for a skipped row.
        let rows = selected(values, opt_filter);
        let mut taken = vec![];
        let mut offsets = vec![0i32; values[0].len() + 1];
        rows.for_each(|row| {
            taken.push(row as u32);
            offsets[row + 1] = 1;
        });
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let indices = UInt32Array::from(taken);
        let users = cast(
            &take(&values[0], &indices, None)?,
            &self.users.kind().state_type(),
        )?;
        let all_days = days_since_epoch(&values[1])?;
        let days: Vec<i32> = indices
            .values()
            .iter()
            .map(|&row| all_days[row as usize])
            .collect();
        state_lists(offsets, users, days)
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.users.size()
            + self.activity.pairs.allocation_size()
            + self.activity.group_users.allocation_size()
            + self.activity.groups.capacity() * size_of::<GroupActivity>()
    }
}
