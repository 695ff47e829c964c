//! The keyed kernel: one value per distinct (group, key) — a user's adoption flag, a session's
//! page count or time span, a customer's order total — folded into the result per group.
//!
//! feature_adoption, first_week_active_rate, bounce_rate, pages_per_session,
//! avg_session_duration and clv differ only in what a row contributes to its key's value and
//! how a group's values become the result. Keys are user, session or customer ids of any
//! integer or string type; the (group, key) table and the ids behind its keys are
//! [`GroupedKeys`], shared with stickiness. The state of a group is the list of its keys with
//! their values, so partial states merge exactly.

use std::fmt::Debug;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use crate::common::group_keys::{Entry, GroupedKeys, VACANT};
use crate::common::list_state::{ListElements, group_lists, list_columns, rows_as_groups};
use crate::common::metric::{Kernel, Metric};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIdKind;

/// What is kept per (group, key), and how it travels in the aggregate state.
pub(crate) trait KeyedValue: Copy + Debug + Send + Sync + 'static {
    /// The value of an empty table slot.
    const EMPTY: Self;
    /// Combines the value of another row or partial state of the same key.
    fn merge(&mut self, other: &Self);
    /// Names and types of the state columns (each a list, one element per key).
    fn state_fields() -> Vec<(&'static str, DataType)>;
    /// The state columns' element arrays for `values`.
    fn to_arrays(values: &[Self]) -> Vec<ArrayRef>;
    /// Element `index` of state element arrays made by [`Self::to_arrays`].
    fn read(arrays: &[ArrayRef], index: usize) -> Self;
}

/// How one metric turns rows into per-key values and a group's values into its result.
pub(crate) trait KeyedRule: Debug + Send + Sync + 'static {
    type Value: KeyedValue;
    /// A group's values folded together.
    type Summary: Copy + Default;
    /// Position of the key argument (user, session or customer id).
    const KEY_ARG: usize = 0;

    /// The value every row contributes (only selected rows are read); fails on the first
    /// invalid selected value with an error naming the function, the value and what is valid.
    fn row_values(&self, inputs: &[ArrayRef], rows: &SelectedRows) -> Result<Vec<Self::Value>>;

    fn fold(summary: &mut Self::Summary, value: &Self::Value);

    /// The metric of a group; `None` (SQL NULL) for a group without keys.
    fn result(&self, summary: &Self::Summary) -> Option<f64>;
}

/// The kernel of the metrics whose [`Metric::Rule`] is a [`KeyedRule`]. Their
/// [`Metric::STATE_NAMES`] is the name of the keys ("users", "sessions", …); the value's
/// fields follow, named by its [`KeyedValue`].
#[derive(Debug)]
pub(crate) struct KeyedKernel;

type ValueOf<M> = <<M as Metric>::Rule as KeyedRule>::Value;

impl<M: Metric<Rule: KeyedRule>> Kernel<M> for KeyedKernel {
    // The keys' name; the value's columns are named by its `KeyedValue`.
    const NAMED_STATE_COLUMNS: usize = 1;

    fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let key_arg = <M::Rule as KeyedRule>::KEY_ARG;
        let key_type = UserIdKind::of(args.input_fields[key_arg].data_type()).state_type();
        let list = |name: &str, element: DataType| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(element, false),
                false,
            ))
        };
        Ok(std::iter::once(list(M::STATE_NAMES[0], key_type))
            .chain(
                ValueOf::<M>::state_fields()
                    .into_iter()
                    .map(|(name, element)| list(name, element)),
            )
            .collect())
    }

    fn accumulator(rule: M::Rule, args: &AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(KeyedAccumulator(KeyedGroups::<M>::new(
            rule, args,
        ))))
    }

    fn groups_accumulator(
        rule: M::Rule,
        args: &AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(KeyedGroups::<M>::new(rule, args)))
    }
}

/// One table slot: 16 bytes plus the value, padded to 8.
#[derive(Debug, Clone, Copy)]
struct KeyedSlot<V> {
    group: u32,
    key: u64,
    value: V,
}

impl<V: KeyedValue> Entry for KeyedSlot<V> {
    const EMPTY: Self = Self {
        group: VACANT,
        key: 0,
        value: V::EMPTY,
    };

    fn group(&self) -> u32 {
        self.group
    }

    fn key(&self) -> u64 {
        self.key
    }

    fn set_group(&mut self, group: u32) {
        self.group = group;
    }
}

/// The list state columns from keys and values laid out group by group by `offsets`.
fn state_lists<V: KeyedValue>(
    function: &str,
    offsets: &[usize],
    keys: ArrayRef,
    values: &[V],
) -> Result<Vec<ArrayRef>> {
    let elements = std::iter::once(keys).chain(V::to_arrays(values)).collect();
    list_columns(function, offsets, elements)
}

/// The keyed state of every group: the native `GroupsAccumulator`, and with one group the
/// state behind the single-group [`KeyedAccumulator`].
#[derive(Debug)]
struct KeyedGroups<M: Metric<Rule: KeyedRule>> {
    rule: M::Rule,
    keys: GroupedKeys<KeyedSlot<ValueOf<M>>>,
}

impl<M: Metric<Rule: KeyedRule>> KeyedGroups<M> {
    const KEY_ARG: usize = <M::Rule as KeyedRule>::KEY_ARG;

    fn new(rule: M::Rule, args: &AccumulatorArgs) -> Self {
        let key_type = args.expr_fields[Self::KEY_ARG].data_type();
        Self {
            rule,
            keys: GroupedKeys::new(UserIdKind::of(key_type)),
        }
    }

    /// Merges `values[i]` into the slot of `keys[i]`.
    fn add(&mut self, keys: &[(u32, u64)], values: &[ValueOf<M>]) {
        self.keys.table.for_each_slot(
            keys,
            |i| KeyedSlot {
                group: keys[i].0,
                key: keys[i].1,
                value: values[i],
            },
            |i, slot, is_new| {
                if !is_new {
                    slot.value.merge(&values[i])
                }
            },
        );
    }

    fn update(
        &mut self,
        inputs: &[ArrayRef],
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.keys.resize(M::NAME, total_num_groups)?;
        let rows = M::selected_rows(inputs, filter);
        let row_values = self.rule.row_values(inputs, &rows)?;
        let (mut keys, mut values) = (vec![], vec![]);
        self.keys
            .ids
            .for_each_key(M::NAME, &inputs[Self::KEY_ARG], &rows, |row, key| {
                keys.push((group_indices[row] as u32, key));
                values.push(row_values[row]);
            })?;
        self.add(&keys, &values);
        Ok(())
    }

    fn merge(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.keys.resize(M::NAME, total_num_groups)?;
        ListElements::for_each_chunk(states, |chunk| {
            let n = chunk.state_rows.len();
            let (mut keys, mut values) = (Vec::with_capacity(n), Vec::with_capacity(n));
            let columns = &chunk.columns;
            self.keys
                .ids
                .for_each_key(M::NAME, &columns[0], &SelectedRows::All(n), |i, key| {
                    keys.push((group_indices[chunk.state_rows[i]] as u32, key));
                    values.push(ValueOf::<M>::read(&columns[1..], i));
                })?;
            self.add(&keys, &values);
            Ok(())
        })
    }

    /// The results of the first `n` groups.
    fn results(&self, n: usize) -> Float64Array {
        let mut summaries = vec![<M::Rule as KeyedRule>::Summary::default(); n];
        for slot in self.keys.table.iter().filter(|s| (s.group as usize) < n) {
            M::Rule::fold(&mut summaries[slot.group as usize], &slot.value);
        }
        summaries.iter().map(|s| self.rule.result(s)).collect()
    }

    /// The state of the first `n` groups.
    fn state_of_first(&self, n: usize) -> Result<Vec<ArrayRef>> {
        let (offsets, slots) = group_lists(n, (0, ValueOf::<M>::EMPTY), || {
            self.keys
                .table
                .iter()
                .map(|slot| (slot.group, (slot.key, slot.value)))
        });
        let (keys, values): (Vec<u64>, Vec<ValueOf<M>>) = slots.into_iter().unzip();
        state_lists(M::NAME, &offsets, self.keys.ids.values(&keys)?, &values)
    }
}

impl<M: Metric<Rule: KeyedRule>> GroupsAccumulator for KeyedGroups<M> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.update(values, group_indices, opt_filter, total_num_groups)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.merge(values, group_indices, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let results = self.results(self.keys.emitted(emit_to));
        self.keys.take(emit_to);
        Ok(Arc::new(results))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let state = self.state_of_first(self.keys.emitted(emit_to))?;
        self.keys.take(emit_to);
        Ok(state)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let rows = M::selected_rows(values, opt_filter);
        let row_values = self.rule.row_values(values, &rows)?;
        let mut kept = vec![];
        let (offsets, keys) = rows_as_groups(
            M::NAME,
            self.keys.ids.kind(),
            &values[Self::KEY_ARG],
            &rows,
            |row| kept.push(row_values[row]),
        )?;
        state_lists(M::NAME, &offsets, keys, &kept)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.keys.size()
    }
}

/// The single-group accumulator (no GROUP BY): the grouped state with one group.
///
/// It does not retract: a key's value (a first and last time, an adoption flag) cannot be
/// taken apart again, so DataFusion refuses these functions over sliding window frames.
#[derive(Debug)]
struct KeyedAccumulator<M: Metric<Rule: KeyedRule>>(KeyedGroups<M>);

impl<M: Metric<Rule: KeyedRule>> Accumulator for KeyedAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.update(values, &vec![0; values[0].len()], None, 1)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.merge(states, &vec![0; states[0].len()], 1)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0
            .state_of_first(1)?
            .iter()
            .map(|list| ScalarValue::try_from_array(list, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&self.0.results(1), 0)
    }

    fn size(&self) -> usize {
        // The grouped state is all there is; its size counts its own struct.
        self.0.size()
    }
}
