//! The keyed kernel: one value per distinct (group, key) — a user's adoption flag, a session's
//! page count or time span, a customer's order total — folded into the result per group.
//!
//! feature_adoption, first_week_active_rate, bounce_rate, pages_per_session,
//! avg_session_duration and clv differ only in what a row contributes to its key's value and
//! how a group's values become the result. Keys are user, session or customer ids of any
//! integer or string type ([`UserIds`]); the (group, key) table is [`GroupKeyTable`]. The state
//! of a group is the list of its keys with their values, so partial states merge exactly.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{ScalarValue, exec_err};
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
use super::group_keys::{Entry, GroupKeyTable, VACANT};
use super::list_state::{ListElements, list_columns, offsets_of};
use super::rows::SelectedRows;
use super::user_ids::{UserIdKind, UserIds};

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

    /// The value every row contributes (only selected rows are read); fails on the first
    /// invalid selected value with an error naming the function, the value and what is valid.
    fn row_values(&self, inputs: &[ArrayRef], rows: &SelectedRows) -> Result<Vec<Self::Value>>;

    fn fold(summary: &mut Self::Summary, value: &Self::Value);

    /// The metric of a group; `None` (SQL NULL) for a group without keys.
    fn result(&self, summary: &Self::Summary) -> Option<f64>;
}

/// Everything that makes one keyed SQL function: name, documentation, arguments and rule.
pub(crate) trait KeyedDefinition: Debug + Send + Sync + 'static {
    const NAME: &'static str;
    /// Position of the key argument (user, session or customer id).
    const KEY_ARG: usize;
    /// State field name of the keys ("users", "sessions", …).
    const KEYS_NAME: &'static str;
    /// Arguments whose NULL skips the row (the key among them).
    const REQUIRED_ARGS: &'static [usize];
    /// Arguments that must be constants: (position, name).
    const CONSTANT_ARGS: &'static [(usize, &'static str)];
    /// True when `DISTINCT` cannot change the result (duplicate rows add nothing), so it is
    /// accepted; otherwise it is refused.
    const DISTINCT_IS_SAME: bool;
    type Rule: KeyedRule;

    fn documentation() -> &'static Documentation;
    /// Checks argument count and types; returns the types to coerce to. Must accept its own
    /// output.
    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>>;
    /// Typical (coerced) argument types, listed by `SHOW FUNCTIONS`.
    fn example_arg_types() -> Vec<Vec<DataType>>;
    /// Builds the rule from the constant arguments, validating them.
    fn rule(constants: &[Option<ScalarValue>]) -> Result<Self::Rule>;
}

type ValueOf<D> = <<D as KeyedDefinition>::Rule as KeyedRule>::Value;

/// A new DataFusion aggregate function for a [`KeyedDefinition`].
pub(crate) fn keyed_udaf<D: KeyedDefinition>() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::from(KeyedAggregate::<D> {
        signature: documented_signature(D::example_arg_types()),
        definition: PhantomData,
    }))
}

#[derive(Debug)]
struct KeyedAggregate<D> {
    signature: Signature,
    definition: PhantomData<D>,
}

// Two instances of the same function are interchangeable: there is no per-instance setting.
impl<D> PartialEq for KeyedAggregate<D> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl<D> Eq for KeyedAggregate<D> {}
impl<D: KeyedDefinition> Hash for KeyedAggregate<D> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        D::NAME.hash(state);
    }
}

impl<D: KeyedDefinition> KeyedAggregate<D> {
    fn groups_for(args: &AccumulatorArgs) -> Result<KeyedGroups<D>> {
        if !D::DISTINCT_IS_SAME {
            refuse_distinct(D::NAME, args.is_distinct)?;
        }
        let constants = constant_arguments(D::NAME, D::CONSTANT_ARGS, args.exprs)?;
        let key_type = args.expr_fields[D::KEY_ARG].data_type();
        Ok(KeyedGroups {
            rule: D::rule(&constants)?,
            keys: UserIds::new(UserIdKind::of(key_type)),
            table: GroupKeyTable::new(),
            groups: 0,
        })
    }
}

impl<D: KeyedDefinition> AggregateUDFImpl for KeyedAggregate<D> {
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
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let key_type = UserIdKind::of(args.input_fields[D::KEY_ARG].data_type()).state_type();
        let list = |name: &str, element: DataType| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(element, false),
                false,
            ))
        };
        Ok(std::iter::once(list(D::KEYS_NAME, key_type))
            .chain(
                ValueOf::<D>::state_fields()
                    .into_iter()
                    .map(|(name, element)| list(name, element)),
            )
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(KeyedAccumulator(Self::groups_for(&args)?)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Self::groups_for(&args)?))
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        Some(Box::new(|mut aggregate, _info| {
            // DISTINCT that cannot change the result is dropped here, so that DataFusion does
            // not plan a GROUP BY to remove duplicates for nothing.
            if D::DISTINCT_IS_SAME {
                aggregate.params.distinct = false;
            }
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
struct KeyedGroups<D: KeyedDefinition> {
    rule: D::Rule,
    keys: UserIds,
    table: GroupKeyTable<KeyedSlot<ValueOf<D>>>,
    groups: usize,
}

impl<D: KeyedDefinition> KeyedGroups<D> {
    fn resize(&mut self, total_num_groups: usize) -> Result<()> {
        if total_num_groups >= VACANT as usize {
            return exec_err!("{}: more than {} groups", D::NAME, u32::MAX);
        }
        self.groups = self.groups.max(total_num_groups);
        Ok(())
    }

    fn selected(values: &[ArrayRef], filter: Option<&BooleanArray>) -> SelectedRows {
        let required: Vec<&dyn Array> = D::REQUIRED_ARGS
            .iter()
            .map(|&i| values[i].as_ref())
            .collect();
        SelectedRows::new(values[0].len(), &required, filter)
    }

    /// Merges `values[i]` into the slot of `keys[i]`.
    fn add(&mut self, keys: &[(u32, u64)], values: &[ValueOf<D>]) {
        self.table.for_each_slot(
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
        self.resize(total_num_groups)?;
        let rows = Self::selected(inputs, filter);
        let row_values = self.rule.row_values(inputs, &rows)?;
        let (mut keys, mut values) = (vec![], vec![]);
        self.keys
            .for_each_key(D::NAME, &inputs[D::KEY_ARG], &rows, |row, key| {
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
        self.resize(total_num_groups)?;
        let ListElements {
            columns,
            state_rows,
        } = ListElements::read(states);
        let n = state_rows.len();
        let (mut keys, mut values) = (Vec::with_capacity(n), Vec::with_capacity(n));
        self.keys
            .for_each_key(D::NAME, &columns[0], &SelectedRows::All(n), |i, key| {
                keys.push((group_indices[state_rows[i]] as u32, key));
                values.push(ValueOf::<D>::read(&columns[1..], i));
            })?;
        self.add(&keys, &values);
        Ok(())
    }

    /// The results of the first `n` groups.
    fn results(&self, n: usize) -> Float64Array {
        let mut summaries = vec![<D::Rule as KeyedRule>::Summary::default(); n];
        for slot in self.table.iter().filter(|s| (s.group as usize) < n) {
            D::Rule::fold(&mut summaries[slot.group as usize], &slot.value);
        }
        summaries.iter().map(|s| self.rule.result(s)).collect()
    }

    /// The state of the first `n` groups.
    fn state_of_first(&self, n: usize) -> Result<Vec<ArrayRef>> {
        let emitted = |slot: &&KeyedSlot<ValueOf<D>>| (slot.group as usize) < n;
        let mut lengths = vec![0usize; n];
        for slot in self.table.iter().filter(emitted) {
            lengths[slot.group as usize] += 1;
        }
        let offsets = offsets_of(lengths);
        let mut cursor = offsets[..n].to_vec();
        let (mut keys, mut values) = (vec![0; offsets[n]], vec![ValueOf::<D>::EMPTY; offsets[n]]);
        for slot in self.table.iter().filter(emitted) {
            let at = &mut cursor[slot.group as usize];
            (keys[*at], values[*at]) = (slot.key, slot.value);
            *at += 1;
        }
        state_lists(D::NAME, &offsets, self.keys.values(&keys)?, &values)
    }

    /// Forgets the emitted groups and renumbers the rest from 0.
    fn take(&mut self, emit_to: EmitTo) {
        match emit_to {
            EmitTo::First(n) if n < self.groups => {
                self.table.remove_first_groups(n as u32);
                self.groups -= n;
            }
            _ => {
                self.table = GroupKeyTable::new();
                // String keys are forgotten once no group is left.
                self.keys = UserIds::new(self.keys.kind());
                self.groups = 0;
            }
        }
    }

    fn emitted(&self, emit_to: EmitTo) -> usize {
        match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n.min(self.groups),
        }
    }
}

impl<D: KeyedDefinition> GroupsAccumulator for KeyedGroups<D> {
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
        let results = self.results(self.emitted(emit_to));
        self.take(emit_to);
        Ok(Arc::new(results))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let state = self.state_of_first(self.emitted(emit_to))?;
        self.take(emit_to);
        Ok(state)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row is its own group: a one-element list, or an empty list for a skipped row.
        // String keys are interned in a scratch table of this batch only.
        let mut keys = UserIds::new(self.keys.kind());
        let rows = Self::selected(values, opt_filter);
        let row_values = self.rule.row_values(values, &rows)?;
        let mut lengths = vec![0usize; values[0].len()];
        let (mut row_keys, mut kept) = (vec![], vec![]);
        keys.for_each_key(D::NAME, &values[D::KEY_ARG], &rows, |row, key| {
            row_keys.push(key);
            kept.push(row_values[row]);
            lengths[row] = 1;
        })?;
        let offsets = offsets_of(lengths);
        state_lists(D::NAME, &offsets, keys.values(&row_keys)?, &kept)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.keys.size() + self.table.size()
    }
}

/// The single-group accumulator (no GROUP BY): the grouped state with one group.
///
/// It does not retract: a key's value (a first and last time, an adoption flag) cannot be
/// taken apart again, so DataFusion refuses these functions over sliding window frames.
#[derive(Debug)]
struct KeyedAccumulator<D: KeyedDefinition>(KeyedGroups<D>);

impl<D: KeyedDefinition> Accumulator for KeyedAccumulator<D> {
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
