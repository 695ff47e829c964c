//! The tally kernel: one count and up to two sums per group.
//!
//! nps, csat, ces, churn_rate, retention_rate and engagement_score differ only in how a row
//! becomes a contribution (promoter/detractor flags, a satisfied flag, a score, a churned
//! flag, an event weight) and how the totals become the result; the state, the merging, the
//! FILTER handling, the window retraction and the conversion to state are this one kernel.

use std::fmt::Debug;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use crate::common::group_keys::for_each_group;
use crate::common::metric::{Kernel, Metric};
use crate::common::rows::SelectedRows;

/// The metric-specific sums of a [`Tally`]: a fixed number of `f64`, so a function that needs
/// one sum does not carry (or add) a second.
pub(crate) trait Sums: Copy + Debug + PartialEq + Send + Sync + 'static {
    const LEN: usize;
    fn zero() -> Self;
    fn add(&mut self, other: &Self);
    fn subtract(&mut self, other: &Self);
    fn values(&self) -> &[f64];
    fn values_mut(&mut self) -> &mut [f64];
}

impl<const N: usize> Sums for [f64; N] {
    const LEN: usize = N;

    #[inline]
    fn zero() -> Self {
        [0.0; N]
    }

    #[inline]
    fn add(&mut self, other: &Self) {
        for (sum, value) in self.iter_mut().zip(other) {
            *sum += value;
        }
    }

    #[inline]
    fn subtract(&mut self, other: &Self) {
        for (sum, value) in self.iter_mut().zip(other) {
            *sum -= value;
        }
    }

    fn values(&self) -> &[f64] {
        self
    }

    fn values_mut(&mut self) -> &mut [f64] {
        self
    }
}

/// One group's running totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tally<S> {
    /// Rows that count towards the metric (responses, customers active at start, events).
    pub count: u64,
    /// Metric-specific sums (promoters and detractors, satisfied answers, score total, …).
    pub sums: S,
}

impl<S: Sums> Default for Tally<S> {
    fn default() -> Self {
        Self {
            count: 0,
            sums: S::zero(),
        }
    }
}

impl<S: Sums> Tally<S> {
    /// The contribution of one row.
    #[inline]
    pub(crate) fn row(sums: S) -> Self {
        Self { count: 1, sums }
    }

    /// The contribution of one row to a [`StateLayout::Sums`] tally, whose count stays 0: the
    /// per-row loop then adds the sums alone.
    #[inline]
    pub(crate) fn uncounted(sums: S) -> Self {
        Self { count: 0, sums }
    }

    #[inline]
    fn add(&mut self, other: &Self) {
        self.count += other.count;
        self.sums.add(&other.sums);
    }

    #[inline]
    fn subtract(&mut self, other: &Self) {
        self.count -= other.count;
        self.sums.subtract(&other.sums);
    }
}

/// How one metric turns rows into tallies and tallies into its result.
pub(crate) trait TallyRule: Debug + Send + Sync + 'static {
    /// The sums one row contributes to.
    type Sums: Sums;
    /// The state: count and sums unless the rule says otherwise.
    const STATE: StateLayout = StateLayout::CountAndSums;

    /// Calls `add(row, contribution)` for every selected row that counts; fails on the first
    /// invalid value with an error naming the function, the value and what is valid.
    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()>;

    /// The metric for a group's totals; `None` (SQL NULL) when nothing counted.
    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64>;

    /// The results for the tallies of several groups, of the definition's return type:
    /// [`Self::value`] as DOUBLE unless the function returns more than one number.
    fn evaluate(&self, tallies: &[Tally<Self::Sums>]) -> Result<ArrayRef> {
        let values: Float64Array = tallies.iter().map(|t| self.value(t)).collect();
        Ok(Arc::new(values))
    }

    /// Heap bytes the rule holds (event weights, for instance).
    fn heap_size(&self) -> usize {
        0
    }
}

/// How a tally function's state looks to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateLayout {
    /// The row count (UInt64) and every sum (Float64).
    CountAndSums,
    /// The one sum, NULL where no row counted: for a metric whose count only says whether the
    /// result is NULL (engagement_score). Half the memory per group and half the bytes per
    /// row passed from partial to final aggregation, which with a million groups is what the
    /// time goes to.
    NullableSum,
    /// The sums alone (Float64), for a metric whose first sum already counts (the survey
    /// metrics' total weight, which is the number of answers when unweighted): contributions
    /// are [`Tally::uncounted`], so the per-row loop adds the sums and nothing more, as
    /// DataFusion's `avg` does; a group without rows has a first sum of 0.
    Sums,
}

/// The kernel of the metrics whose [`Metric::Rule`] is a [`TallyRule`]. Their
/// [`Metric::STATE_NAMES`] name the count and then each sum (the sums alone for
/// [`StateLayout::NullableSum`] and [`StateLayout::Sums`]).
#[derive(Debug)]
pub(crate) struct TallyKernel;

/// The tally of a metric's rule.
type TallyOf<M> = Tally<<<M as Metric>::Rule as TallyRule>::Sums>;

impl<M: Metric> Kernel<M> for TallyKernel
where
    M::Rule: TallyRule,
{
    // The count (unless the layout has none) and each sum.
    const NAMED_STATE_COLUMNS: usize = match <M::Rule as TallyRule>::STATE {
        StateLayout::CountAndSums => 1 + <<M::Rule as TallyRule>::Sums as Sums>::LEN,
        StateLayout::Sums => <<M::Rule as TallyRule>::Sums as Sums>::LEN,
        StateLayout::NullableSum => 1,
    };

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |name: &str, data_type: DataType, nullable: bool| {
            Arc::new(Field::new(
                format_state_name(args.name, name),
                data_type,
                nullable,
            ))
        };
        let (count, sums) = M::STATE_NAMES.split_at(match <M::Rule as TallyRule>::STATE {
            StateLayout::CountAndSums => 1,
            StateLayout::NullableSum | StateLayout::Sums => 0,
        });
        let sums_nullable = <M::Rule as TallyRule>::STATE == StateLayout::NullableSum;
        Ok(count
            .iter()
            .map(|name| field(name, DataType::UInt64, false))
            .chain(
                sums.iter()
                    .map(|name| field(name, DataType::Float64, sums_nullable)),
            )
            .collect())
    }

    fn accumulator(rule: M::Rule, _args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(TallyAccumulator::<M> {
            rule,
            tally: TallyOf::<M>::default(),
        }))
    }

    fn groups_accumulator(
        rule: M::Rule,
        _args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(match <M::Rule as TallyRule>::STATE {
            StateLayout::CountAndSums | StateLayout::Sums => {
                Box::new(TallyGroupsAccumulator::<M> {
                    rule,
                    tallies: vec![],
                })
            }
            StateLayout::NullableSum => {
                Box::new(NullableSumGroupsAccumulator::<M> { rule, sums: vec![] })
            }
        })
    }
}

/// Whether a metric's state has a count column.
fn counted<M: Metric<Rule: TallyRule>>() -> bool {
    <M::Rule as TallyRule>::STATE == StateLayout::CountAndSums
}

/// Reads a state batch of a [`StateLayout::CountAndSums`] or [`StateLayout::Sums`] metric:
/// the counts, if the state has them, and the sums.
fn state_columns<M: Metric<Rule: TallyRule>>(
    states: &[ArrayRef],
) -> (Option<&UInt64Array>, Vec<&Float64Array>) {
    let (counts, sums) = states.split_at(usize::from(counted::<M>()));
    let counts = counts.first().map(|a| a.as_primitive::<UInt64Type>());
    let sums = sums
        .iter()
        .map(|a| a.as_primitive::<Float64Type>())
        .collect();
    (counts, sums)
}

/// The state tally of row `row` of a state batch.
#[inline]
fn state_tally<S: Sums>(
    counts: Option<&UInt64Array>,
    sums: &[&Float64Array],
    row: usize,
) -> Tally<S> {
    let mut tally = Tally {
        count: counts.map_or(0, |counts| counts.value(row)),
        sums: S::zero(),
    };
    for (slot, column) in tally.sums.values_mut().iter_mut().zip(sums) {
        *slot = column.value(row);
    }
    tally
}

/// Builds the state arrays for a list of tallies of metric `M`.
fn state_arrays<M: Metric<Rule: TallyRule>>(tallies: &[TallyOf<M>]) -> Vec<ArrayRef> {
    let mut arrays: Vec<ArrayRef> = vec![];
    if counted::<M>() {
        let counts: UInt64Array = tallies.iter().map(|t| t.count).collect::<Vec<_>>().into();
        arrays.push(Arc::new(counts));
    }
    for i in 0..<<M::Rule as TallyRule>::Sums as Sums>::LEN {
        let sums: Float64Array = tallies
            .iter()
            .map(|t| t.sums.values()[i])
            .collect::<Vec<_>>()
            .into();
        arrays.push(Arc::new(sums));
    }
    arrays
}

/// The sums of a one-sum tally holding `sum`.
#[inline]
fn single_sum<S: Sums>(sum: f64) -> S {
    let mut sums = S::zero();
    sums.values_mut()[0] = sum;
    sums
}

/// The single-group accumulator (no GROUP BY, window frames).
#[derive(Debug)]
struct TallyAccumulator<M: Metric<Rule: TallyRule>> {
    rule: M::Rule,
    tally: TallyOf<M>,
}

impl<M: Metric<Rule: TallyRule>> Accumulator for TallyAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = M::selected_rows(values, None);
        let tally = &mut self.tally;
        self.rule
            .for_each_contribution(values, &rows, |_, row| tally.add(&row))
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = M::selected_rows(values, None);
        let tally = &mut self.tally;
        self.rule
            .for_each_contribution(values, &rows, |_, row| tally.subtract(&row))
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if <M::Rule as TallyRule>::STATE == StateLayout::NullableSum {
            // A partial state counts as one row: all that matters is whether there was one.
            let sums = states[0].as_primitive::<Float64Type>();
            for sum in sums.iter().flatten() {
                self.tally.add(&Tally::row(single_sum(sum)));
            }
            return Ok(());
        }
        let (counts, sums) = state_columns::<M>(states);
        for row in 0..states[0].len() {
            self.tally.add(&state_tally(counts, &sums, row));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        if <M::Rule as TallyRule>::STATE == StateLayout::NullableSum {
            let sum = (self.tally.count > 0).then_some(self.tally.sums.values()[0]);
            return Ok(vec![ScalarValue::Float64(sum)]);
        }
        let sums = self
            .tally
            .sums
            .values()
            .iter()
            .map(|s| ScalarValue::Float64(Some(*s)));
        let count = counted::<M>().then_some(ScalarValue::UInt64(Some(self.tally.count)));
        Ok(count.into_iter().chain(sums).collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&self.rule.evaluate(&[self.tally])?, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.rule.heap_size()
    }
}

/// The native grouped accumulator: one [`Tally`] per group, in a flat vector.
#[derive(Debug)]
struct TallyGroupsAccumulator<M: Metric<Rule: TallyRule>> {
    rule: M::Rule,
    tallies: Vec<TallyOf<M>>,
}

impl<M: Metric<Rule: TallyRule>> GroupsAccumulator for TallyGroupsAccumulator<M> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.tallies
            .resize(total_num_groups, TallyOf::<M>::default());
        let rows = M::selected_rows(values, opt_filter);
        // A slice moved into the closure: borrowed through the Vec, the loop reloaded the
        // Vec's pointer after every store.
        let tallies = self.tallies.as_mut_slice();
        self.rule
            .for_each_contribution(values, &rows, move |row, contribution| {
                tallies[group_indices[row]].add(&contribution)
            })
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.tallies
            .resize(total_num_groups, TallyOf::<M>::default());
        let (counts, sums) = state_columns::<M>(values);
        let (states, groups) = (self.tallies.as_ptr(), self.tallies.len());
        let tallies = self.tallies.as_mut_slice();
        for_each_group(group_indices, states, groups, |row, group| {
            tallies[group].add(&state_tally(counts, &sums, row))
        });
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.rule.evaluate(&emit_to.take_needed(&mut self.tallies))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(state_arrays::<M>(&emit_to.take_needed(&mut self.tallies)))
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own group: zero where the row does not count.
        let mut tallies = vec![TallyOf::<M>::default(); values[0].len()];
        let rows = M::selected_rows(values, opt_filter);
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                tallies[row] = contribution
            })?;
        Ok(state_arrays::<M>(&tallies))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.rule.heap_size()
            + self.tallies.capacity() * size_of::<TallyOf<M>>()
    }
}

/// A group's sum before any row counted: negative zero. A sum of addends none of which is
/// negative zero is never negative zero (a zero sum of two numbers of opposite sign is +0),
/// so, with every addend made +0 when it is −0, the sum itself tells whether the group has
/// seen a row. Without a bitmap to set, adding a row is one load, add and store, as in
/// `count`; with a million groups, updating and merging are most of the aggregate's time.
const UNSEEN: f64 = -0.0;

/// Whether a [`NullableSumGroupsAccumulator`] sum has seen a row.
#[inline]
fn seen(sum: f64) -> bool {
    sum.to_bits() != UNSEEN.to_bits()
}

/// The validity of a state column of sums: NULL where a sum has seen no row, `None` when
/// every one has.
fn unseen_as_nulls(sums: &[f64]) -> Option<NullBuffer> {
    let seen = NullBuffer::from_iter(sums.iter().map(|&sum| seen(sum)));
    (seen.null_count() > 0).then_some(seen)
}

/// `value` with negative zero made positive (adding +0 does that and changes nothing else),
/// so that adding it to a sum marks the sum as seen.
#[inline(always)]
fn counting(value: f64) -> f64 {
    value + 0.0
}

/// The native grouped accumulator of a [`StateLayout::NullableSum`] function: one sum per
/// group, [`UNSEEN`] until a row counts.
#[derive(Debug)]
struct NullableSumGroupsAccumulator<M: Metric<Rule: TallyRule>> {
    rule: M::Rule,
    sums: Vec<f64>,
}

impl<M: Metric<Rule: TallyRule>> GroupsAccumulator for NullableSumGroupsAccumulator<M> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, UNSEEN);
        let rows = M::selected_rows(values, opt_filter);
        let sums = self.sums.as_mut_slice();
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                sums[group_indices[row]] += counting(contribution.sums.values()[0]);
            })
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, UNSEEN);
        let states = values[0].as_primitive::<Float64Type>();
        let partial_sums = states.values();
        // A slice, not the Vec, in the loop: each store through the Vec reloaded its pointer
        // (merging is most of the final stage when the partial one is skipped).
        let (prefetched, groups) = (self.sums.as_ptr(), self.sums.len());
        let sums = self.sums.as_mut_slice();
        if states.null_count() == 0 {
            // Without checking the bounds of the row index twice (the usual case: the partial
            // stage skipped, every event counted).
            let partial_sums = &partial_sums[..group_indices.len()];
            for_each_group(group_indices, prefetched, groups, |row, group| {
                sums[group] += counting(partial_sums[row])
            });
            return Ok(());
        }
        SelectedRows::new(states.len(), &[states as &dyn Array], None).for_each(|row| {
            sums[group_indices[row]] += counting(partial_sums[row]);
        });
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let tallies: Vec<TallyOf<M>> = sums
            .into_iter()
            .map(|sum| Tally {
                count: u64::from(seen(sum)),
                sums: single_sum(sum),
            })
            .collect();
        self.rule.evaluate(&tallies)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = unseen_as_nulls(&sums);
        Ok(vec![Arc::new(Float64Array::new(sums.into(), seen))])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own group: NULL where the row does not count.
        let len = values[0].len();
        let mut sums = vec![UNSEEN; len];
        let rows = M::selected_rows(values, opt_filter);
        let mut contributions = 0;
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                sums[row] = counting(contribution.sums.values()[0]);
                contributions += 1;
            })?;
        // Every row counted (events without a weight count 0): no NULLs, and the final
        // stage merges without a bitmap.
        let seen = (contributions < len)
            .then(|| unseen_as_nulls(&sums))
            .flatten();
        Ok(vec![Arc::new(Float64Array::new(sums.into(), seen))])
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.rule.heap_size() + self.sums.capacity() * size_of::<f64>()
    }
}
