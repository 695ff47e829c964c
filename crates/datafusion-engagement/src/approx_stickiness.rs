//! `approx_stickiness(day, sketch [, period])`: DAU/MAU from stored daily HLL sketches.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Float64Array,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, Documentation, EmitTo, GroupsAccumulator};
use datasketches::hll::{HllSketch, HllType};

use crate::calendar::CalendarUnit;
use crate::calendar::zoned_days::{coerce_event_time, days_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::list_state::{ListElements, list_columns, offsets_of};
use crate::common::metric::{Kernel, Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::hll_registers::HllRegisterUnion;
use crate::families::sketches::{
    HLL_LG_K, SketchKind, coerce_sketch_bytes, for_each_sketch_bytes, read_hll,
};
use crate::stickiness::whole_periods;

const NAME: &str = "approx_stickiness";

/// DAU/MAU × 100 from daily HLL sketches of the active users: 100 × Σ over days of the day's
/// distinct users / (days × the distinct users of all of them).
#[derive(Debug)]
pub(crate) struct ApproxStickiness;

shared_udaf!(
    /// The `approx_stickiness` aggregate function.
    approx_stickiness_udaf,
    ApproxStickiness
);

impl Metric for ApproxStickiness {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = Some("%");
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "period")];
    const STATE_NAMES: &'static [&'static str] = &["days", "sketches"];
    /// The calendar period whose whole days are the denominator; `None`: the observed span.
    type Rule = Option<CalendarUnit>;
    type Kernel = Self;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Stickiness (DAU/MAU) as a percentage from stored daily HLL sketches of the \
                 active users, without the events: 100 × the sum over days of each day's distinct \
                 users / (days × the distinct users of all the days), the sketches of one day \
                 united first (so rows per segment can be read together). days and period as \
                 stickiness has them: with period ('day', 'week', 'month', 'quarter' or 'year'), \
                 all the days of the whole periods from the first day's to the last day's; \
                 without, the span from the first to the last day. Within the sketches' error: \
                 each estimate about 1.6 % at lg_k 12, and the ratio's error at most their sum. \
                 NULL days or sketches are skipped; a group without any gives NULL.",
                "approx_stickiness(day, sketch [, period])",
            )
            .with_sql_example("```sql\n-- monthly DAU/MAU by segment from daily sketches (sql/rollup_report.sql)\nSELECT date_trunc('month', day) AS month, segment,\n       approx_stickiness(day, users, 'month') AS dau_mau\nFROM daily_sketches GROUP BY 1, 2;\n```")
            .with_argument("day", "The day the sketch's users were active: a DATE, or a TIMESTAMP (its calendar day).")
            .with_argument("sketch", "A BINARY HLL sketch of that day's active users, from hll_sketch or DataSketches.")
            .with_argument("period", "Optional: the calendar period whose whole days are the denominator, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the days from the first to the last day.")
            .with_related_udf("stickiness")
            .with_related_udf("hll_sketch")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, 2, 3, Self::usage())?;
        let mut types = vec![
            coerce_event_time(NAME, "day", &arg_types[0])?,
            coerce_sketch_bytes(NAME, SketchKind::Hll.name(), &arg_types[1])?,
        ];
        if let Some(period) = arg_types.get(2) {
            types.push(coerce_string(NAME, "period", period)?);
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let two = vec![DataType::Date32, DataType::Binary];
        let three = [two.clone(), vec![DataType::Utf8]].concat();
        vec![two, three]
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<Option<CalendarUnit>> {
        whole_periods(NAME, constants)
    }
}

impl Kernel<ApproxStickiness> for ApproxStickiness {
    const NAMED_STATE_COLUMNS: usize = 2;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok([DataType::Date32, DataType::Binary]
            .into_iter()
            .zip(Self::STATE_NAMES)
            .map(|(element, name)| {
                Arc::new(Field::new_list(
                    format_state_name(args.name, name),
                    Field::new_list_field(element, false),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(
        period: Option<CalendarUnit>,
        _args: &AccumulatorArgs,
    ) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ApproxStickinessAccumulator(DailyUnions::new(
            period,
        ))))
    }

    fn groups_accumulator(
        period: Option<CalendarUnit>,
        _args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(DailyUnions::new(period)))
    }
}

/// Per group, each day's union of the sketches of that day.
struct DailyUnions {
    period: Option<CalendarUnit>,
    groups: Vec<BTreeMap<i32, DaySketches>>,
    /// The bytes the days' sketches hold, kept as they are added and taken: `size()` is asked
    /// after every batch.
    held: usize,
}

/// A new union: as large as any sketch it may get, the result at the smallest.
fn new_union() -> HllRegisterUnion {
    HllRegisterUnion::new(*HLL_LG_K.end())
}

/// The sketches of one day of a group: most often one (a segment's day), kept as it came, so
/// that it is read once, when the group is evaluated; a union of several.
enum DaySketches {
    One(Vec<u8>),
    Union(HllRegisterUnion),
}

impl DaySketches {
    fn add(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Self::One(first) => {
                let mut union = new_union();
                union.update(NAME, first)?;
                union.update(NAME, bytes)?;
                *self = Self::Union(union);
            }
            Self::Union(union) => union.update(NAME, bytes)?,
        }
        Ok(())
    }

    /// The day's distinct users, as DataSketches estimates a merged sketch; and the day's
    /// sketch united into `all`.
    fn estimate_and_unite(&self, all: &mut HllRegisterUnion) -> Result<f64> {
        match self {
            Self::One(bytes) => {
                all.update(NAME, bytes)?;
                Ok(read_hll(NAME, bytes)?.composite_estimate())
            }
            Self::Union(union) => {
                let sketch: HllSketch = union.to_sketch(HllType::Hll8);
                all.update(NAME, &sketch.serialize())?;
                Ok(sketch.composite_estimate())
            }
        }
    }

    /// The day's sketch, serialized.
    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::One(bytes) => bytes.clone(),
            Self::Union(union) => union.to_sketch(HllType::Hll4).serialize(),
        }
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + match self {
                Self::One(bytes) => bytes.capacity(),
                Self::Union(union) => union.estimated_size(),
            }
    }
}

impl DailyUnions {
    fn new(period: Option<CalendarUnit>) -> Self {
        Self {
            period,
            groups: vec![],
            held: 0,
        }
    }

    fn add(
        &mut self,
        days: &[i32],
        sketches: &ArrayRef,
        rows: &SelectedRows,
        group_of: impl Fn(usize) -> usize,
        total: usize,
    ) -> Result<()> {
        if self.groups.len() < total {
            self.groups.resize_with(total, BTreeMap::new);
        }
        let Self { groups, held, .. } = self;
        for_each_sketch_bytes(sketches, rows, |row, bytes| {
            match groups[group_of(row)].entry(days[row]) {
                std::collections::btree_map::Entry::Vacant(day) => {
                    *held += day.insert(DaySketches::One(bytes.to_vec())).size();
                }
                std::collections::btree_map::Entry::Occupied(mut day) => {
                    let day = day.get_mut();
                    let before = day.size();
                    day.add(bytes)?;
                    *held = *held + day.size() - before;
                }
            }
            Ok(())
        })
    }

    /// The metric of one group's daily unions.
    fn stickiness(&self, days: &BTreeMap<i32, DaySketches>) -> Result<Option<f64>> {
        let (Some(&first), Some(&last)) = (days.keys().next(), days.keys().next_back()) else {
            return Ok(None);
        };
        let mut all = new_union();
        let mut daily_users = 0.0;
        for day in days.values() {
            daily_users += day.estimate_and_unite(&mut all)?;
        }
        let users = all.to_sketch(HllType::Hll8).composite_estimate();
        let span = match self.period {
            Some(unit) => unit.days_of_periods(first, last),
            None => i64::from(last) - i64::from(first) + 1,
        };
        Ok((users > 0.0).then(|| 100.0 * daily_users / (span as f64 * users)))
    }

    fn results(&self, groups: &[BTreeMap<i32, DaySketches>]) -> Result<ArrayRef> {
        Ok(Arc::new(
            groups
                .iter()
                .map(|days| self.stickiness(days))
                .collect::<Result<Float64Array>>()?,
        ))
    }

    /// Each group's days and day sketches, as two list columns.
    fn state_of(groups: &[BTreeMap<i32, DaySketches>]) -> Result<Vec<ArrayRef>> {
        let offsets = offsets_of(groups.iter().map(BTreeMap::len));
        let days =
            Date32Array::from_iter_values(groups.iter().flat_map(|days| days.keys().copied()));
        let sketches: Vec<Vec<u8>> = groups
            .iter()
            .flat_map(|days| days.values().map(DaySketches::bytes))
            .collect();
        let sketches = BinaryArray::from_iter_values(sketches);
        list_columns(NAME, &offsets, vec![Arc::new(days), Arc::new(sketches)])
    }

    fn merge(&mut self, states: &[ArrayRef], group_indices: &[usize], total: usize) -> Result<()> {
        ListElements::for_each_chunk(states, |elements| {
            let days = elements.columns[0].as_primitive::<Date32Type>().values();
            self.add(
                days,
                &elements.columns[1],
                &SelectedRows::All(elements.state_rows.len()),
                |element| group_indices[elements.state_rows[element]],
                total,
            )
        })
    }

    fn held(&self) -> usize {
        self.held + self.groups.capacity() * size_of::<BTreeMap<i32, DaySketches>>()
    }

    /// The groups `emit_to` takes, their sketches' bytes no longer held.
    fn take(&mut self, emit_to: EmitTo) -> Vec<BTreeMap<i32, DaySketches>> {
        let taken = emit_to.take_needed(&mut self.groups);
        self.held -= taken
            .iter()
            .flat_map(BTreeMap::values)
            .map(DaySketches::size)
            .sum::<usize>();
        taken
    }
}

impl GroupsAccumulator for DailyUnions {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let rows = ApproxStickiness::selected_rows(values, opt_filter);
        let days = days_since_epoch(NAME, &values[0])?;
        self.add(
            &days,
            &values[1],
            &rows,
            |row| group_indices[row],
            total_num_groups,
        )
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = self.take(emit_to);
        self.results(&groups)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let groups = self.take(emit_to);
        Self::state_of(&groups)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.merge(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let mut one_per_row = Self::new(self.period);
        let groups: Vec<usize> = (0..values[0].len()).collect();
        one_per_row.update_batch(values, &groups, opt_filter, groups.len())?;
        Self::state_of(&one_per_row.groups)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.held()
    }
}

/// `approx_stickiness` without GROUP BY: one group.
struct ApproxStickinessAccumulator(DailyUnions);

impl std::fmt::Debug for ApproxStickinessAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApproxStickinessAccumulator")
    }
}

impl Accumulator for ApproxStickinessAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let zeros = vec![0; values[0].len()];
        self.0.update_batch(values, &zeros, None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let result = match self.0.groups.first() {
            Some(days) => self.0.stickiness(days)?,
            None => None,
        };
        Ok(ScalarValue::Float64(result))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.0.held()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let no_days = [BTreeMap::new()];
        let groups = match self.0.groups.first() {
            Some(days) => std::slice::from_ref(days),
            None => &no_days[..],
        };
        DailyUnions::state_of(groups)?
            .iter()
            .map(|column| ScalarValue::try_from_array(column, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let zeros = vec![0; states[0].len()];
        self.0.merge(states, &zeros, 1)
    }
}
