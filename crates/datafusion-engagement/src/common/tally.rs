//! The tally kernel: one count and up to two sums per group.
//!
//! nps, csat, ces, churn_rate, retention_rate and engagement_score differ only in how a row
//! becomes a contribution (promoter/detractor flags, a satisfied flag, a score, a churned
//! flag, an event weight) and how the totals become the result; the state, the merging, the
//! FILTER handling, the window retraction and the conversion to state are this one kernel.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder, Float64Array, UInt64Array,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo, Expr, GroupsAccumulator,
    Signature,
};

use super::args::{
    check_logical_call, constant_arguments, dictionary_encode_string_constants,
    documented_signature, lenient_coercion, refuse_distinct,
};
use super::rows::SelectedRows;

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
}

/// Everything that makes one tally-based SQL function: its name, documentation, argument
/// rules and the [`TallyRule`] it computes with.
pub(crate) trait TallyDefinition: Debug + Send + Sync + 'static {
    const NAME: &'static str;
    /// State field name of [`Tally::count`].
    const COUNT_NAME: &'static str;
    /// State field names of the [`Tally::sums`] of the rule, one per sum.
    const SUM_NAMES: &'static [&'static str];
    /// Positions of the arguments that are columns read row by row (a row with NULL in any
    /// of them is skipped).
    const COLUMN_ARGS: &'static [usize];
    /// Arguments that must be constants: (position, name).
    const CONSTANT_ARGS: &'static [(usize, &'static str)];
    type Rule: TallyRule;
    /// The state: count and sums unless the definition says otherwise.
    const STATE: StateLayout = StateLayout::CountAndSums;

    fn documentation() -> &'static Documentation;
    /// Checks argument count and types, naming the function and the offending type, and
    /// returns the types to coerce to. Must accept its own output.
    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>>;
    /// Typical argument types, listed by `SHOW FUNCTIONS`.
    fn example_arg_types() -> Vec<Vec<DataType>>;
    /// The SQL type of the result.
    fn return_type() -> DataType {
        DataType::Float64
    }
    /// Builds the rule from the constant arguments (in `CONSTANT_ARGS` order; `None` when an
    /// optional one is absent), validating them.
    fn rule(constants: &[Option<ScalarValue>]) -> Result<Self::Rule>;
}

/// A new DataFusion aggregate function for a [`TallyDefinition`].
pub(crate) fn tally_udaf<D: TallyDefinition>() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::from(TallyAggregate::<D>::new()))
}

/// The DataFusion aggregate for a [`TallyDefinition`].
#[derive(Debug)]
pub(crate) struct TallyAggregate<D> {
    signature: Signature,
    definition: PhantomData<D>,
}

/// The tally of a definition's rule.
type TallyOf<D> = Tally<<<D as TallyDefinition>::Rule as TallyRule>::Sums>;

impl<D: TallyDefinition> TallyAggregate<D> {
    fn new() -> Self {
        assert_eq!(
            D::SUM_NAMES.len(),
            <D::Rule as TallyRule>::Sums::LEN,
            "{}: one state name per sum",
            D::NAME
        );
        assert!(
            D::STATE == StateLayout::CountAndSums || D::SUM_NAMES.len() == 1,
            "{}: a nullable-sum state holds one sum",
            D::NAME
        );
        Self {
            signature: documented_signature(D::example_arg_types()),
            definition: PhantomData,
        }
    }
}

// Two instances of the same function are interchangeable: there is no per-instance setting.
impl<D> PartialEq for TallyAggregate<D> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl<D> Eq for TallyAggregate<D> {}
impl<D: TallyDefinition> Hash for TallyAggregate<D> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        D::NAME.hash(state);
    }
}

impl<D: TallyDefinition> TallyAggregate<D> {
    fn rule_for(args: &AccumulatorArgs) -> Result<D::Rule> {
        refuse_distinct(D::NAME, args.is_distinct)?;
        let constants = constant_arguments(D::NAME, D::CONSTANT_ARGS, args.exprs)?;
        D::rule(&constants)
    }
}

impl<D: TallyDefinition> AggregateUDFImpl for TallyAggregate<D> {
    fn name(&self) -> &str {
        D::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(D::check_arg_types(arg_types), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        D::check_arg_types(arg_types)?;
        Ok(D::return_type())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        if D::STATE == StateLayout::NullableSum {
            let sum = Field::new(
                format_state_name(args.name, D::SUM_NAMES[0]),
                DataType::Float64,
                true,
            );
            return Ok(vec![Arc::new(sum)]);
        }
        let count = Field::new(
            format_state_name(args.name, D::COUNT_NAME),
            DataType::UInt64,
            false,
        );
        let sums = D::SUM_NAMES
            .iter()
            .map(|name| Field::new(format_state_name(args.name, name), DataType::Float64, false));
        Ok(std::iter::once(count).chain(sums).map(Arc::new).collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(TallyAccumulator::<D> {
            rule: Self::rule_for(&args)?,
            tally: TallyOf::<D>::default(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let rule = Self::rule_for(&args)?;
        Ok(match D::STATE {
            StateLayout::CountAndSums => Box::new(TallyGroupsAccumulator::<D> {
                rule,
                tallies: vec![],
            }),
            StateLayout::NullableSum => Box::new(NullableSumGroupsAccumulator::<D> {
                rule,
                sums: vec![],
                seen: BooleanBufferBuilder::new(0),
            }),
        })
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        Some(Box::new(|mut aggregate, _info| {
            if let Some(constants) = check_logical_call(D::NAME, &aggregate, D::CONSTANT_ARGS)? {
                D::rule(&constants)?;
            }
            dictionary_encode_string_constants(&mut aggregate, D::CONSTANT_ARGS);
            Ok(Expr::AggregateFunction(aggregate))
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(D::documentation())
    }
}

/// The rows of one batch that a tally function reads.
fn selected_rows<D: TallyDefinition>(
    inputs: &[ArrayRef],
    filter: Option<&BooleanArray>,
) -> SelectedRows {
    // A call may pass fewer arguments than the most a function takes (`ctr(clicked)`).
    let columns: Vec<&dyn Array> = D::COLUMN_ARGS
        .iter()
        .filter_map(|&i| inputs.get(i))
        .map(|a| a.as_ref())
        .collect();
    SelectedRows::new(inputs[0].len(), &columns, filter)
}

/// Reads a state batch: the counts and the sums.
fn state_columns<D: TallyDefinition>(states: &[ArrayRef]) -> (&UInt64Array, Vec<&Float64Array>) {
    let counts = states[0].as_primitive::<UInt64Type>();
    let sums = states[1..=D::SUM_NAMES.len()]
        .iter()
        .map(|a| a.as_primitive::<Float64Type>())
        .collect();
    (counts, sums)
}

/// The state tally of row `row` of a state batch.
#[inline]
fn state_tally<S: Sums>(counts: &UInt64Array, sums: &[&Float64Array], row: usize) -> Tally<S> {
    let mut tally = Tally {
        count: counts.value(row),
        sums: S::zero(),
    };
    for (slot, column) in tally.sums.values_mut().iter_mut().zip(sums) {
        *slot = column.value(row);
    }
    tally
}

/// Builds the state arrays for a list of tallies.
fn state_arrays<S: Sums>(tallies: &[Tally<S>]) -> Vec<ArrayRef> {
    let counts: UInt64Array = tallies.iter().map(|t| t.count).collect::<Vec<_>>().into();
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(counts)];
    for i in 0..S::LEN {
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
struct TallyAccumulator<D: TallyDefinition> {
    rule: D::Rule,
    tally: TallyOf<D>,
}

impl<D: TallyDefinition> Accumulator for TallyAccumulator<D> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = selected_rows::<D>(values, None);
        let tally = &mut self.tally;
        self.rule
            .for_each_contribution(values, &rows, |_, row| tally.add(&row))
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = selected_rows::<D>(values, None);
        let tally = &mut self.tally;
        self.rule
            .for_each_contribution(values, &rows, |_, row| tally.subtract(&row))
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if D::STATE == StateLayout::NullableSum {
            // A partial state counts as one row: all that matters is whether there was one.
            let sums = states[0].as_primitive::<Float64Type>();
            for sum in sums.iter().flatten() {
                self.tally.add(&Tally::row(single_sum(sum)));
            }
            return Ok(());
        }
        let (counts, sums) = state_columns::<D>(states);
        for row in 0..counts.len() {
            self.tally.add(&state_tally(counts, &sums, row));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        if D::STATE == StateLayout::NullableSum {
            let sum = (self.tally.count > 0).then_some(self.tally.sums.values()[0]);
            return Ok(vec![ScalarValue::Float64(sum)]);
        }
        let sums = self
            .tally
            .sums
            .values()
            .iter()
            .map(|s| ScalarValue::Float64(Some(*s)));
        Ok(std::iter::once(ScalarValue::UInt64(Some(self.tally.count)))
            .chain(sums)
            .collect())
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
struct TallyGroupsAccumulator<D: TallyDefinition> {
    rule: D::Rule,
    tallies: Vec<TallyOf<D>>,
}

impl<D: TallyDefinition> GroupsAccumulator for TallyGroupsAccumulator<D> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.tallies
            .resize(total_num_groups, TallyOf::<D>::default());
        let rows = selected_rows::<D>(values, opt_filter);
        let tallies = &mut self.tallies;
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
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
            .resize(total_num_groups, TallyOf::<D>::default());
        let (counts, sums) = state_columns::<D>(values);
        for (row, &group) in group_indices.iter().enumerate() {
            self.tallies[group].add(&state_tally(counts, &sums, row));
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.rule.evaluate(&emit_to.take_needed(&mut self.tallies))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(state_arrays(&emit_to.take_needed(&mut self.tallies)))
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own group: zero where the row does not count.
        let mut tallies = vec![TallyOf::<D>::default(); values[0].len()];
        let rows = selected_rows::<D>(values, opt_filter);
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                tallies[row] = contribution
            })?;
        Ok(state_arrays(&tallies))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.rule.heap_size()
            + self.tallies.capacity() * size_of::<TallyOf<D>>()
    }
}

/// The native grouped accumulator of a [`StateLayout::NullableSum`] function: one sum per group
/// and a bit for whether any row counted.
#[derive(Debug)]
struct NullableSumGroupsAccumulator<D: TallyDefinition> {
    rule: D::Rule,
    sums: Vec<f64>,
    seen: BooleanBufferBuilder,
}

impl<D: TallyDefinition> NullableSumGroupsAccumulator<D> {
    fn resize(&mut self, total_num_groups: usize) {
        self.sums.resize(total_num_groups, 0.0);
        if let Some(new) = total_num_groups.checked_sub(self.seen.len()) {
            self.seen.append_n(new, false);
        }
    }

    /// The sums and seen bits of the groups `emit_to` names, keeping the rest.
    fn take(&mut self, emit_to: EmitTo) -> (Vec<f64>, BooleanBuffer) {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = self.seen.finish();
        let emitted = seen.slice(0, sums.len());
        self.seen
            .append_buffer(&seen.slice(sums.len(), seen.len() - sums.len()));
        (sums, emitted)
    }
}

impl<D: TallyDefinition> GroupsAccumulator for NullableSumGroupsAccumulator<D> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let rows = selected_rows::<D>(values, opt_filter);
        let (sums, seen) = (&mut self.sums, &mut self.seen);
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                let group = group_indices[row];
                sums[group] += contribution.sums.values()[0];
                seen.set_bit(group, true);
            })
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let states = values[0].as_primitive::<Float64Type>();
        let partial_sums = states.values();
        SelectedRows::new(states.len(), &[states as &dyn Array], None).for_each(|row| {
            let group = group_indices[row];
            self.sums[group] += partial_sums[row];
            self.seen.set_bit(group, true);
        });
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (sums, seen) = self.take(emit_to);
        let tallies: Vec<TallyOf<D>> = sums
            .into_iter()
            .zip(&seen)
            .map(|(sum, seen)| Tally {
                count: u64::from(seen),
                sums: single_sum(sum),
            })
            .collect();
        self.rule.evaluate(&tallies)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (sums, seen) = self.take(emit_to);
        let sums = Float64Array::new(sums.into(), Some(NullBuffer::new(seen)));
        Ok(vec![Arc::new(sums)])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own group: NULL where the row does not count.
        let len = values[0].len();
        let mut sums = vec![0.0; len];
        let mut seen = BooleanBufferBuilder::new(len);
        seen.append_n(len, false);
        let rows = selected_rows::<D>(values, opt_filter);
        self.rule
            .for_each_contribution(values, &rows, |row, contribution| {
                sums[row] = contribution.sums.values()[0];
                seen.set_bit(row, true);
            })?;
        let sums = Float64Array::new(sums.into(), Some(NullBuffer::new(seen.finish())));
        Ok(vec![Arc::new(sums)])
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.rule.heap_size()
            + self.sums.capacity() * size_of::<f64>()
            + self.seen.capacity() / 8
    }
}
