//! The sketch kernel: one DataSketches sketch per group (`hll_sketch`, `theta_union`, …). The
//! state is the serialized sketch, so partial states, results and stored sketches are one form.

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use crate::common::metric::{Kernel, Metric};
use crate::common::rows::SelectedRows;
use crate::families::sketches::{SketchBuilder, for_each_sketch_bytes, for_each_sketch_value};

/// What a sketch aggregate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SketchInput {
    /// Values to hash (`hll_sketch(user_id)`).
    Values,
    /// Serialized sketches to combine (`hll_union(sketch)`).
    Sketches,
}

/// How a sketch aggregate builds its sketches.
pub(crate) trait SketchRule: Debug + Clone + Send + Sync + 'static {
    type Builder: SketchBuilder;
    fn input(&self) -> SketchInput;
    /// A group's empty sketch.
    fn builder(&self) -> Result<Self::Builder>;
}

/// The kernel of the sketch aggregates.
#[derive(Debug)]
pub(crate) struct SketchKernel;

impl<M: Metric> Kernel<M> for SketchKernel
where
    M::Rule: SketchRule,
{
    const NAMED_STATE_COLUMNS: usize = 1;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, M::STATE_NAMES[0]),
            DataType::Binary,
            true,
        ))])
    }

    fn accumulator(rule: M::Rule, _args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SketchAccumulator::<M> {
            groups: SketchGroups::new(rule),
        }))
    }

    fn groups_accumulator(
        rule: M::Rule,
        _args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SketchGroups::<M>::new(rule)))
    }
}

/// One sketch per group (`None` until the group's first value), and the bytes each holds.
struct SketchGroups<M: Metric>
where
    M::Rule: SketchRule,
{
    rule: M::Rule,
    sketches: Vec<Option<<M::Rule as SketchRule>::Builder>>,
    /// Each group's sketch size when last measured, and their sum: `size()` is asked after every
    /// batch, so only the groups a batch touched are measured again.
    sizes: Vec<usize>,
    held: usize,
    /// The groups a batch touched so far (each listed once): false between batches.
    touched: Vec<bool>,
}

impl<M: Metric> SketchGroups<M>
where
    M::Rule: SketchRule,
{
    fn new(rule: M::Rule) -> Self {
        Self {
            rule,
            sketches: vec![],
            sizes: vec![],
            held: 0,
            touched: vec![],
        }
    }

    /// Adds the selected rows of `input` (values, or serialized sketches when `merging` or
    /// when the function takes sketches) to their groups' sketches.
    fn absorb(
        &mut self,
        input: &ArrayRef,
        rows: &SelectedRows,
        group_indices: &[usize],
        total_num_groups: usize,
        merging: bool,
    ) -> Result<()> {
        if self.sketches.len() < total_num_groups {
            self.sketches.resize_with(total_num_groups, || None);
            self.sizes.resize(total_num_groups, 0);
            self.touched.resize(total_num_groups, false);
        }
        let takes_sketches = merging || self.rule.input() == SketchInput::Sketches;
        let mut touched_groups = vec![];
        let Self {
            rule,
            sketches,
            touched,
            ..
        } = self;
        let mut touch = |row: usize| {
            let group = group_indices[row];
            if !touched[group] {
                touched[group] = true;
                touched_groups.push(group);
            }
            group
        };
        if takes_sketches {
            for_each_sketch_bytes(input, rows, |row, bytes| {
                sketch_at(rule, sketches, touch(row))?.merge(M::NAME, bytes)
            })?;
        } else {
            let mut failed = None;
            for_each_sketch_value(input, rows, |row, value| {
                match sketch_at(rule, sketches, touch(row)) {
                    Ok(sketch) => sketch.add(value),
                    Err(error) => failed = Some(error),
                }
            })?;
            if let Some(error) = failed {
                return Err(error);
            }
        }
        for group in touched_groups {
            self.touched[group] = false;
            let size = self.sketches[group].as_ref().map_or(0, SketchBuilder::size);
            self.held = self.held + size - self.sizes[group];
            self.sizes[group] = size;
        }
        Ok(())
    }

    /// The serialized sketch of the first group, kept, as a result or as a partial state.
    fn peek_first(&self, as_state: bool) -> Result<ScalarValue> {
        let sketch = self.sketches.first().and_then(Option::as_ref);
        Ok(ScalarValue::Binary(sketch.and_then(serializer(as_state))))
    }

    /// The serialized sketches of the groups `emit_to` takes, as results or as partial states.
    fn take(&mut self, emit_to: EmitTo, as_states: bool) -> ArrayRef {
        let sketches = emit_to.take_needed(&mut self.sketches);
        let sizes = emit_to.take_needed(&mut self.sizes);
        // All false between batches: only its length follows the groups'.
        self.touched.truncate(self.sketches.len());
        self.held -= sizes.iter().sum::<usize>();
        let bytes = serializer(as_states);
        Arc::new(BinaryArray::from_iter(
            sketches
                .iter()
                .map(|sketch| sketch.as_ref().and_then(bytes)),
        ))
    }
}

/// How a sketch is serialized: as a partial state, or as a result.
fn serializer<B: SketchBuilder>(as_state: bool) -> fn(&B) -> Option<Vec<u8>> {
    if as_state {
        B::state_bytes
    } else {
        B::to_bytes
    }
}

/// The sketch of `group`, made on its first row.
#[inline]
fn sketch_at<'a, R: SketchRule>(
    rule: &R,
    sketches: &'a mut [Option<R::Builder>],
    group: usize,
) -> Result<&'a mut R::Builder> {
    let sketch = &mut sketches[group];
    if sketch.is_none() {
        *sketch = Some(rule.builder()?);
    }
    Ok(sketch.as_mut().expect("made above"))
}

impl<M: Metric> GroupsAccumulator for SketchGroups<M>
where
    M::Rule: SketchRule,
{
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let rows = M::selected_rows(values, opt_filter);
        self.absorb(&values[0], &rows, group_indices, total_num_groups, false)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(self.take(emit_to, false))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.take(emit_to, true)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let rows = SelectedRows::new(values[0].len(), &[values[0].as_ref()], None);
        self.absorb(&values[0], &rows, group_indices, total_num_groups, true)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own group's sketch.
        let rows = M::selected_rows(values, opt_filter);
        let groups: Vec<usize> = (0..values[0].len()).collect();
        let mut one_per_row = Self::new(self.rule.clone());
        one_per_row.absorb(&values[0], &rows, &groups, groups.len(), false)?;
        Ok(vec![one_per_row.take(EmitTo::All, true)])
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.sketches.capacity() * size_of::<Option<<M::Rule as SketchRule>::Builder>>()
            + self.sizes.capacity() * size_of::<usize>()
            + self.touched.capacity()
            + self.held
    }
}

/// A sketch aggregate without GROUP BY: one group.
struct SketchAccumulator<M: Metric>
where
    M::Rule: SketchRule,
{
    groups: SketchGroups<M>,
}

impl<M: Metric> Debug for SketchAccumulator<M>
where
    M::Rule: SketchRule,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SketchAccumulator")
            .field("function", &M::NAME)
            .finish()
    }
}

impl<M: Metric> Accumulator for SketchAccumulator<M>
where
    M::Rule: SketchRule,
{
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let zeros = vec![0; values[0].len()];
        self.groups.update_batch(values, &zeros, None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.groups.peek_first(false)
    }

    fn size(&self) -> usize {
        self.groups.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.groups.peek_first(true)?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let zeros = vec![0; states[0].len()];
        self.groups.merge_batch(states, &zeros, 1)
    }
}
