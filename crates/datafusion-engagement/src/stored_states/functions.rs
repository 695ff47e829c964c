//! The three functions of each aggregate's stored states: `f_state` writes, `f_merge`
//! finishes, `f_union` combines.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, DocSection, Documentation, EmitTo, Expr,
    GroupsAccumulator, Signature, Volatility,
};

use super::layout::{STATE_FORMAT, StateLayout};
use crate::common::identified_by_name;

/// The documentation section of the stored-state functions.
const DOC_SECTION_STORED_STATES: DocSection = DocSection {
    include: true,
    label: "Stored States",
    description: Some(
        "Partial states of the engagement aggregates, to store and to finish or combine later.",
    ),
};

identified_by_name!(StateOf, CombineOf);

/// `f_state`, `f_merge` and `f_union` of one aggregate `f`.
pub(crate) fn state_functions(function: &Arc<AggregateUDF>) -> [Arc<AggregateUDF>; 3] {
    [
        Arc::new(AggregateUDF::from(StateOf::new(function))),
        Arc::new(AggregateUDF::from(CombineOf::new(function, Combine::Merge))),
        Arc::new(AggregateUDF::from(CombineOf::new(function, Combine::Union))),
    ]
}

/// The call of `function` a documentation shows, with `function` renamed `name`.
fn usage_as(function: &AggregateUDF, name: &str) -> String {
    let usage = function.documentation().map_or_else(
        || format!("{}(…)", function.name()),
        |doc| doc.syntax_example.clone(),
    );
    match usage.strip_prefix(function.name()) {
        Some(arguments) => format!("{name}{arguments}"),
        None => usage,
    }
}

/// `f_state(…)`: the partial state of `f` over a group's rows, as a value to store.
#[derive(Debug)]
struct StateOf {
    function: Arc<AggregateUDF>,
    name: String,
    documentation: Documentation,
}

impl StateOf {
    fn new(function: &Arc<AggregateUDF>) -> Self {
        let inner = function.name();
        let name = format!("{inner}_state");
        let documentation = Documentation::builder(
            DOC_SECTION_STORED_STATES,
            format!(
                "The partial state of `{inner}` over the rows, as a value a Parquet file can \
                 store: a STRUCT of `format` ({STATE_FORMAT}), `function`, `arguments` (the \
                 call's constants) and `state`. `{inner}_merge` of stored states gives `{inner}` \
                 of all the rows behind them, exactly; `{inner}_union` combines them into one \
                 state. Takes `{inner}`'s arguments."
            ),
            usage_as(function, &name),
        )
        .with_sql_example(format!(
            "```sql\nCOPY (SELECT day, segment, {name}(…) AS state FROM events GROUP BY day, segment)\n  TO 'states/' STORED AS PARQUET PARTITIONED BY (day);\n```"
        ))
        .with_related_udf(inner)
        .with_related_udf(format!("{inner}_merge"))
        .with_related_udf(format!("{inner}_union"))
        .build();
        Self {
            function: Arc::clone(function),
            name,
            documentation,
        }
    }

    fn layout(&self, args: &AccumulatorArgs) -> Result<StateLayout> {
        let types: Vec<DataType> = args
            .expr_fields
            .iter()
            .map(|field| field.data_type().clone())
            .collect();
        StateLayout::of_call(&self.function, &types)
    }
}

impl AggregateUDFImpl for StateOf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        self.function.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.function.coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(StateLayout::of_call(&self.function, arg_types)?
            .data_type()
            .clone())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.function.state_fields(StateFieldsArgs {
            return_field: self.function.return_field(args.input_fields)?,
            ..args
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let layout = self.layout(&args)?;
        let arguments = layout.arguments_of(args.exprs)?;
        let inner = self.function.accumulator(layout.inner_args(&args))?;
        Ok(Box::new(StateAccumulator {
            inner,
            layout: Arc::new(layout),
            arguments,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let layout = self.layout(&args)?;
        let arguments = layout.arguments_of(args.exprs)?;
        let inner = self
            .function
            .create_groups_accumulator(layout.inner_args(&args))?;
        Ok(Box::new(StateGroupsAccumulator {
            inner,
            layout: Arc::new(layout),
            arguments,
        }))
    }

    // The aggregate's own planning checks: its constants, and what DISTINCT means for it.
    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        self.function.simplify()
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}

/// `f_state` without GROUP BY: `f`'s accumulator, whose state is the result.
#[derive(Debug)]
struct StateAccumulator {
    inner: Box<dyn Accumulator>,
    layout: Arc<StateLayout>,
    arguments: ScalarValue,
}

impl Accumulator for StateAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.layout.pack_one(&self.arguments, self.inner.state()?)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.inner.size() + self.arguments.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }
}

/// `f_state` with GROUP BY: `f`'s grouped accumulator, whose state is the result.
struct StateGroupsAccumulator {
    inner: Box<dyn GroupsAccumulator>,
    layout: Arc<StateLayout>,
    arguments: ScalarValue,
}

impl GroupsAccumulator for StateGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .update_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let state = self.inner.state(emit_to)?;
        self.layout.pack(&self.arguments, state)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.inner.size() + self.arguments.size()
    }
}

/// What a function over stored states gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Combine {
    /// `f_merge`: `f`'s result over every row behind the states.
    Merge,
    /// `f_union`: one state standing for every row behind the states.
    Union,
}

/// `f_merge(state)` or `f_union(state)`.
#[derive(Debug)]
struct CombineOf {
    function: Arc<AggregateUDF>,
    combine: Combine,
    name: String,
    signature: Signature,
    documentation: Documentation,
}

impl CombineOf {
    fn new(function: &Arc<AggregateUDF>, combine: Combine) -> Self {
        let inner = function.name();
        let (name, description) = match combine {
            Combine::Merge => (
                format!("{inner}_merge"),
                format!(
                    "`{inner}` of all the rows behind stored states written by `{inner}_state`: \
                     `{inner}_merge(state) GROUP BY month` over daily states equals `{inner}(…) \
                     GROUP BY month` over the rows, exactly. NULL states are skipped; a group \
                     with none gives NULL. States of another format, another function or \
                     another call (other constants) are refused."
                ),
            ),
            Combine::Union => (
                format!("{inner}_union"),
                format!(
                    "One state standing for all the rows behind stored states written by \
                     `{inner}_state` (or `{inner}_union`): daily states into monthly ones, to \
                     store again. `{inner}_merge` finishes it."
                ),
            ),
        };
        let documentation = Documentation::builder(
            DOC_SECTION_STORED_STATES,
            description,
            format!("{name}(state)"),
        )
        .with_argument("state", format!("A state written by `{inner}_state` or `{inner}_union`."))
        .with_sql_example(format!(
            "```sql\nSELECT date_trunc('month', day) AS month, segment, {name}(state)\nFROM 'states/' GROUP BY 1, 2;\n```"
        ))
        .with_related_udf(inner)
        .with_related_udf(format!("{inner}_state"))
        .build();
        Self {
            function: Arc::clone(function),
            combine,
            name,
            signature: Signature::user_defined(Volatility::Immutable),
            documentation,
        }
    }

    fn layout(&self, state_type: &DataType) -> Result<StateLayout> {
        StateLayout::of_stored(&self.function, &self.name, state_type)
    }

    fn accumulator_parts(&self, args: &AccumulatorArgs) -> Result<CombineParts> {
        let [field] = args.expr_fields else {
            return plan_err!("{} takes one argument, a stored state", self.name);
        };
        Ok(CombineParts {
            layout: Arc::new(self.layout(field.data_type())?),
            reader: self.name.clone(),
            combine: self.combine,
            return_type: args.return_field.data_type().clone(),
            arguments: None,
        })
    }
}

impl AggregateUDFImpl for CombineOf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [state_type] = arg_types else {
            return plan_err!(
                "{} takes one argument, a state written by {}_state; got {} arguments",
                self.name,
                self.function.name(),
                arg_types.len()
            );
        };
        Ok(vec![self.layout(state_type)?.data_type().clone()])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let [state_type] = arg_types else {
            return self.coerce_types(arg_types).map(|_| DataType::Null);
        };
        let layout = self.layout(state_type)?;
        match self.combine {
            Combine::Merge => self.function.return_type(&layout.argument_types()),
            Combine::Union => Ok(layout.data_type().clone()),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let state_type = args.input_fields[0].data_type().clone();
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "state"),
            state_type,
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CombineAccumulator {
            parts: self.accumulator_parts(&args)?,
            inner: None,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(CombineGroupsAccumulator {
            parts: self.accumulator_parts(&args)?,
            inner: None,
            groups: 0,
        }))
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let name = self.name.clone();
        Some(Box::new(move |aggregate, _info| {
            if aggregate.params.distinct {
                return plan_err!(
                    "{name} does not support DISTINCT: each state stands for its own rows, \
                     and equal states of different rows both count"
                );
            }
            Ok(Expr::AggregateFunction(aggregate))
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}

/// What the accumulators of `f_merge` and `f_union` share.
#[derive(Debug)]
struct CombineParts {
    layout: Arc<StateLayout>,
    reader: String,
    combine: Combine,
    return_type: DataType,
    /// The call's `arguments`, from the first state read: `f`'s accumulator is made then.
    arguments: Option<ScalarValue>,
}

/// `f_merge` or `f_union` without GROUP BY.
#[derive(Debug)]
struct CombineAccumulator {
    parts: CombineParts,
    inner: Option<Box<dyn Accumulator>>,
}

impl CombineAccumulator {
    fn absorb(&mut self, states: &ArrayRef) -> Result<()> {
        let parts = &mut self.parts;
        let Some(stored) = parts
            .layout
            .read(&parts.reader, states, None, &mut parts.arguments)?
        else {
            return Ok(());
        };
        let inner = match &mut self.inner {
            Some(inner) => inner,
            None => {
                let arguments = parts.arguments.as_ref().expect("read sets the arguments");
                self.inner.insert(
                    parts
                        .layout
                        .create(arguments, |f, args| f.accumulator(args))?,
                )
            }
        };
        inner.merge_batch(&stored.columns)
    }

    fn packed(&mut self) -> Result<ScalarValue> {
        let (Some(inner), Some(arguments)) = (&mut self.inner, &self.parts.arguments) else {
            return ScalarValue::try_from(self.parts.layout.data_type());
        };
        self.parts.layout.pack_one(arguments, inner.state()?)
    }
}

impl Accumulator for CombineAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.absorb(&values[0])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        match (self.parts.combine, &mut self.inner) {
            (Combine::Merge, Some(inner)) => inner.evaluate(),
            (Combine::Merge, None) => ScalarValue::try_from(&self.parts.return_type),
            (Combine::Union, _) => self.packed(),
        }
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.inner.as_ref().map_or(0, |inner| inner.size())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.packed()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.absorb(&states[0])
    }
}

/// `f_merge` or `f_union` with GROUP BY.
struct CombineGroupsAccumulator {
    parts: CombineParts,
    inner: Option<Box<dyn GroupsAccumulator>>,
    /// Groups so far, which have no state in `inner` while it is not made yet.
    groups: usize,
}

impl CombineGroupsAccumulator {
    fn absorb(
        &mut self,
        states: &ArrayRef,
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups = total_num_groups;
        let parts = &mut self.parts;
        let stored = parts
            .layout
            .read(&parts.reader, states, opt_filter, &mut parts.arguments)?;
        let inner = match (&mut self.inner, &stored) {
            (Some(inner), _) => inner,
            (None, None) => return Ok(()),
            (None, Some(_)) => {
                let arguments = parts.arguments.as_ref().expect("read sets the arguments");
                self.inner.insert(
                    parts
                        .layout
                        .create(arguments, |f, args| f.create_groups_accumulator(args))?,
                )
            }
        };
        match stored {
            Some(stored) => match stored.rows {
                None => inner.merge_batch(&stored.columns, group_indices, total_num_groups),
                Some(rows) => {
                    let indices: Vec<usize> = rows.iter().map(|&row| group_indices[row]).collect();
                    inner.merge_batch(&stored.columns, &indices, total_num_groups)
                }
            },
            // No state to merge, but `inner` must know of the new groups.
            None => {
                let empty = parts.layout.empty_state_columns();
                inner.merge_batch(&empty, &[], total_num_groups)
            }
        }
    }

    /// How many groups `emit_to` emits, taken off the count.
    fn emitted(&mut self, emit_to: EmitTo) -> usize {
        let rows = match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n,
        };
        self.groups -= rows;
        rows
    }

    fn packed(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let rows = self.emitted(emit_to);
        match (&mut self.inner, &self.parts.arguments) {
            (Some(inner), Some(arguments)) => {
                self.parts.layout.pack(arguments, inner.state(emit_to)?)
            }
            _ => Ok(self.parts.layout.nulls(rows)),
        }
    }
}

impl GroupsAccumulator for CombineGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.absorb(&values[0], group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        match self.parts.combine {
            Combine::Union => self.packed(emit_to),
            Combine::Merge => {
                let rows = self.emitted(emit_to);
                match &mut self.inner {
                    Some(inner) => inner.evaluate(emit_to),
                    None => Ok(datafusion::arrow::array::new_null_array(
                        &self.parts.return_type,
                        rows,
                    )),
                }
            }
        }
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.packed(emit_to)?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.absorb(&values[0], group_indices, None, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        Ok(vec![StateLayout::filtered(&values[0], opt_filter)?])
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.inner.as_ref().map_or(0, |inner| inner.size())
    }
}
