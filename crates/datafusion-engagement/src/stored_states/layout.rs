//! The stored form of a state: its type, how a state is packed into it, and how stored states
//! are checked before they are merged.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int64Array, IntervalMonthDayNanoArray,
    Scalar, StringArray, StructArray, new_empty_array, new_null_array,
};
use datafusion::arrow::compute::kernels::cmp::not_distinct;
use datafusion::arrow::compute::{and, cast, filter};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Int32Type, Int64Type, IntervalMonthDayNano,
    IntervalMonthDayNanoType, IntervalUnit, Schema,
};
use datafusion::common::{ScalarValue, exec_err, plan_datafusion_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::AggregateUDF;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::utils::collect_columns;

use crate::common::args::evaluate_without_columns;

/// The format of the stored states this release writes and reads. A change of any function's
/// state (its fields or what they mean) takes a new number; a state of another number is
/// refused, never misread.
pub const STATE_FORMAT: i32 = 1;

const FORMAT: &str = "format";
const FUNCTION: &str = "function";
const ARGUMENTS: &str = "arguments";
const STATE: &str = "state";

/// The stored state of one call of a function: a STRUCT of
/// - `format` (INT): [`STATE_FORMAT`];
/// - `function` (VARCHAR): the aggregate, `nps`;
/// - `arguments` (STRUCT `arg_0`, `arg_1`, …): one field per argument of the call, typed as
///   the call's arguments; a constant argument holds its value, a column NULL;
/// - `state` (STRUCT): the aggregate's partial state, the fields DataFusion merges between its
///   partial and final stages.
#[derive(Debug)]
pub(crate) struct StateLayout {
    function: Arc<AggregateUDF>,
    /// The call's arguments, as the aggregate takes them.
    argument_fields: Vec<FieldRef>,
    /// The same as stored (an interval as a STRUCT: Parquet cannot hold Arrow's).
    stored_argument_fields: Fields,
    inner_return_field: FieldRef,
    state_fields: Fields,
    data_type: DataType,
}

impl StateLayout {
    /// The layout of `function`'s calls with these (coerced) argument types.
    pub(crate) fn of_call(function: &Arc<AggregateUDF>, arg_types: &[DataType]) -> Result<Self> {
        let argument_fields: Vec<FieldRef> = arg_types
            .iter()
            .enumerate()
            .map(|(i, data_type)| Arc::new(Field::new(format!("arg_{i}"), data_type.clone(), true)))
            .collect();
        let inner_return_field = function.return_field(&argument_fields)?;
        let state_fields = function.state_fields(StateFieldsArgs {
            name: function.name(),
            input_fields: &argument_fields,
            return_field: Arc::clone(&inner_return_field),
            ordering_fields: &[],
            is_distinct: false,
        })?;
        // DataFusion names state fields after the call (`nps(score)[count]`): a stored state
        // keeps only the part after the call, so that any call's states share one type.
        let state_fields: Fields = state_fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let name = field
                    .name()
                    .rsplit_once('[')
                    .and_then(|(_, rest)| rest.strip_suffix(']'))
                    .map_or_else(|| format!("field_{i}"), str::to_string);
                // Nullable, as every field of the STRUCT: a state written by hand (or by
                // another engine) casts to it whatever its fields' nullability.
                Arc::new(field.as_ref().clone().with_name(name).with_nullable(true))
            })
            .collect();
        let stored_argument_fields: Fields = argument_fields
            .iter()
            .map(|field| {
                let stored = stored_type(field.data_type());
                Arc::new(field.as_ref().clone().with_data_type(stored))
            })
            .collect();
        let data_type = DataType::Struct(Fields::from(vec![
            Field::new(FORMAT, DataType::Int32, true),
            Field::new(FUNCTION, DataType::Utf8, true),
            Field::new(
                ARGUMENTS,
                DataType::Struct(stored_argument_fields.clone()),
                true,
            ),
            Field::new(STATE, DataType::Struct(state_fields.clone()), true),
        ]));
        Ok(Self {
            function: Arc::clone(function),
            argument_fields,
            stored_argument_fields,
            inner_return_field,
            state_fields,
            data_type,
        })
    }

    /// The layout of a stored state of `function` of type `stored`, as `reader` (a `_merge`
    /// or `_union` function) reads it: types a file may have changed (`Utf8View` for `Utf8`,
    /// dictionaries) are mapped back to the call's, by a cast the planner inserts.
    pub(crate) fn of_stored(
        function: &Arc<AggregateUDF>,
        reader: &str,
        stored: &DataType,
    ) -> Result<Self> {
        let expected = || {
            format!(
                "{reader} expects a state written by {}_state: a STRUCT of {FORMAT}, \
                 {FUNCTION}, {ARGUMENTS} and {STATE}, got {stored}",
                function.name()
            )
        };
        let DataType::Struct(fields) = stored else {
            return plan_err!("{}", expected());
        };
        let field = |name: &str| fields.iter().find(|field| field.name() == name);
        let (Some(_), Some(_), Some(arguments), Some(state)) = (
            field(FORMAT),
            field(FUNCTION),
            field(ARGUMENTS),
            field(STATE),
        ) else {
            return plan_err!("{}", expected());
        };
        let (DataType::Struct(arguments), DataType::Struct(state)) =
            (arguments.data_type(), state.data_type())
        else {
            return plan_err!("{}", expected());
        };
        let stored_types: Vec<DataType> = arguments
            .iter()
            .map(|field| call_type(field.data_type()))
            .collect();
        let types = function.coerce_types(&stored_types).map_err(|error| {
            plan_datafusion_err!(
                "{reader}: the state's arguments are not a call of {}: {error}",
                function.name()
            )
        })?;
        let layout = Self::of_call(function, &types)?;
        let names = |fields: &Fields| {
            fields
                .iter()
                .map(|field| field.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if names(&layout.state_fields) != names(state) {
            return plan_err!(
                "{reader}: the state's fields ({}) are not those {}_state writes ({}): was it \
                 written by another function?",
                names(state),
                function.name(),
                names(&layout.state_fields)
            );
        }
        Ok(layout)
    }

    /// The SQL type of the stored state.
    pub(crate) fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// The argument types of the call whose states these are.
    pub(crate) fn argument_types(&self) -> Vec<DataType> {
        self.argument_fields
            .iter()
            .map(|field| field.data_type().clone())
            .collect()
    }

    /// The aggregate's own accumulator arguments, for a call with `args`' arguments (the
    /// `_state` function's own call) but its own return field.
    pub(crate) fn inner_args<'a>(&'a self, args: &AccumulatorArgs<'a>) -> AccumulatorArgs<'a> {
        AccumulatorArgs {
            return_field: Arc::clone(&self.inner_return_field),
            name: self.function.name(),
            ..*args
        }
    }

    /// The `arguments` value of a call with these argument expressions: the constants' values,
    /// NULL for columns.
    pub(crate) fn arguments_of(&self, exprs: &[Arc<dyn PhysicalExpr>]) -> Result<ScalarValue> {
        let values = self
            .argument_fields
            .iter()
            .zip(exprs)
            .map(|(field, expr)| {
                let value = constant_value(expr).unwrap_or(ScalarValue::Null);
                let array = value.to_array_of_size(1)?;
                let array = if array.data_type() == field.data_type() {
                    array
                } else {
                    cast(&array, field.data_type())?
                };
                Ok(to_stored(array))
            })
            .collect::<Result<Vec<_>>>()?;
        let row = StructArray::try_new(self.stored_argument_fields.clone(), values, None)?;
        Ok(ScalarValue::Struct(Arc::new(row)))
    }

    /// Creates the aggregate's accumulator for the call whose `arguments` a state carries: its
    /// constants become literals again (columns, never read when only merging, NULL literals).
    pub(crate) fn create<T>(
        &self,
        arguments: &ScalarValue,
        make: impl FnOnce(&AggregateUDF, AccumulatorArgs) -> Result<T>,
    ) -> Result<T> {
        let ScalarValue::Struct(row) = arguments else {
            return exec_err!("the arguments of a state are a STRUCT, got {arguments:?}");
        };
        let exprs = row
            .columns()
            .iter()
            .zip(&self.argument_fields)
            .map(|(column, field)| {
                let value =
                    ScalarValue::try_from_array(&from_stored(column, field.data_type())?, 0)?;
                Ok(Arc::new(Literal::new(value)) as Arc<dyn PhysicalExpr>)
            })
            .collect::<Result<Vec<_>>>()?;
        let schema = Schema::new(self.argument_fields.clone());
        make(
            &self.function,
            AccumulatorArgs {
                return_field: Arc::clone(&self.inner_return_field),
                schema: &schema,
                ignore_nulls: false,
                order_bys: &[],
                is_reversed: false,
                name: self.function.name(),
                is_distinct: false,
                exprs: &exprs,
                expr_fields: &self.argument_fields,
            },
        )
    }

    /// Packs the aggregate's state columns (one row per group) with the call's `arguments`.
    pub(crate) fn pack(&self, arguments: &ScalarValue, state: Vec<ArrayRef>) -> Result<ArrayRef> {
        let rows = state.first().map_or(0, |column| column.len());
        let state = StructArray::try_new(self.state_fields.clone(), state, None)?;
        let DataType::Struct(fields) = &self.data_type else {
            unreachable!("a stored state is a STRUCT")
        };
        let function = self.function.name();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_value(STATE_FORMAT, rows)),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                function, rows,
            ))),
            arguments.to_array_of_size(rows)?,
            Arc::new(state),
        ];
        Ok(Arc::new(StructArray::try_new(
            fields.clone(),
            columns,
            None,
        )?))
    }

    /// [`Self::pack`] of a single accumulator's state: one stored state.
    pub(crate) fn pack_one(
        &self,
        arguments: &ScalarValue,
        state: Vec<ScalarValue>,
    ) -> Result<ScalarValue> {
        let columns = state
            .iter()
            .map(|value| value.to_array_of_size(1))
            .collect::<Result<Vec<_>>>()?;
        ScalarValue::try_from_array(&self.pack(arguments, columns)?, 0)
    }

    /// The aggregate's state columns with no rows.
    pub(crate) fn empty_state_columns(&self) -> Vec<ArrayRef> {
        self.state_fields
            .iter()
            .map(|field| new_empty_array(field.data_type()))
            .collect()
    }

    /// `rows` stored states of no call: NULL.
    pub(crate) fn nulls(&self, rows: usize) -> ArrayRef {
        new_null_array(&self.data_type, rows)
    }

    /// Reads a batch of stored states for `reader`: the rows that are not NULL and pass the
    /// FILTER, checked to be of this format, of this function and of one call (`arguments`,
    /// set from the first state read). Returns the aggregate's state columns and which rows
    /// they are (`None`: every row), or `None` when no row is left.
    pub(crate) fn read(
        &self,
        reader: &str,
        states: &ArrayRef,
        row_filter: Option<&BooleanArray>,
        arguments: &mut Option<ScalarValue>,
    ) -> Result<Option<StoredRows>> {
        let states = states.as_struct();
        let kept = kept_rows(states, row_filter);
        let kept_count = kept.as_ref().map_or(states.len(), |kept| kept.true_count());
        if kept_count == 0 {
            return Ok(None);
        }
        let rows: Vec<usize> = match &kept {
            Some(kept) => kept.values().set_indices().collect(),
            None => (0..states.len()).collect(),
        };
        let format = states.column(0).as_primitive::<Int32Type>();
        let function = cast(states.column(1), &DataType::Utf8)?;
        let function = function.as_string::<i32>();
        let stored_arguments = states.column(2).as_struct();
        let first = rows[0];
        let expected = match arguments {
            Some(arguments) => arguments.clone(),
            None => ScalarValue::Struct(Arc::new(stored_arguments.slice(first, 1))),
        };
        let ScalarValue::Struct(expected_row) = &expected else {
            unreachable!("arguments are a STRUCT")
        };
        let same_arguments = stored_arguments
            .columns()
            .iter()
            .zip(expected_row.columns())
            .map(|(stored, expected)| same_as(stored, expected))
            .collect::<Result<Vec<_>>>()?;
        let name = self.function.name();
        for &row in &rows {
            if format.is_null(row) || format.value(row) != STATE_FORMAT {
                let found = if format.is_null(row) {
                    "no format".to_string()
                } else {
                    format!("format {}", format.value(row))
                };
                return exec_err!(
                    "{reader}: cannot read a state of {found}: this release reads states of \
                     format {STATE_FORMAT}; write the states again with {name}_state"
                );
            }
            if function.is_null(row) || function.value(row) != name {
                let found = if function.is_null(row) {
                    ""
                } else {
                    function.value(row)
                };
                return exec_err!(
                    "{reader}: the state was written by {found}_state, not {name}_state; \
                     read it with {found}_merge"
                );
            }
            if let Some(argument) = same_arguments.iter().position(|same| !same.value(row)) {
                let value = |array: &ArrayRef, row: usize| {
                    ScalarValue::try_from_array(array, row)
                        .map_or_else(|_| "?".to_string(), |value| value.to_string())
                };
                return exec_err!(
                    "{reader}: cannot combine states of different calls of {name}: argument {} \
                     is {} in one state and {} in another",
                    argument + 1,
                    value(expected_row.column(argument), 0),
                    value(stored_arguments.column(argument), row)
                );
            }
        }
        if arguments.is_none() {
            *arguments = Some(expected);
        }
        let state = states.column(3).as_struct();
        let columns = match &kept {
            None => state.columns().to_vec(),
            Some(kept) => state
                .columns()
                .iter()
                .map(|column| Ok(filter(column, kept)?))
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(Some(StoredRows {
            columns,
            rows: kept.map(|_| rows),
        }))
    }

    /// Stored states as their own partial state, with the rows the FILTER drops made NULL.
    pub(crate) fn filtered(
        states: &ArrayRef,
        row_filter: Option<&BooleanArray>,
    ) -> Result<ArrayRef> {
        let Some(row_filter) = row_filter else {
            return Ok(Arc::clone(states));
        };
        let states = states.as_struct();
        let kept = kept_rows(states, Some(row_filter)).expect("a filter keeps some rows");
        let (fields, columns, _) = states.clone().into_parts();
        Ok(Arc::new(StructArray::try_new(
            fields,
            columns,
            Some(kept.values().clone().into()),
        )?))
    }
}

/// The state columns of the rows of a batch of stored states that count.
pub(crate) struct StoredRows {
    /// The aggregate's state columns, one row per kept row.
    pub(crate) columns: Vec<ArrayRef>,
    /// The kept rows, `None` when every row is kept.
    pub(crate) rows: Option<Vec<usize>>,
}

/// The rows of stored states that count: not NULL and passing the FILTER; `None` for all.
fn kept_rows(states: &StructArray, row_filter: Option<&BooleanArray>) -> Option<BooleanArray> {
    let valid = states.nulls().filter(|nulls| nulls.null_count() > 0);
    match (valid, row_filter) {
        (None, None) => None,
        (Some(valid), None) => Some(BooleanArray::new(valid.inner().clone(), None)),
        (valid, Some(row_filter)) => {
            // A NULL filter value drops the row, as SQL's FILTER does.
            let mut kept = row_filter.values().clone();
            if let Some(filter_nulls) = row_filter.nulls() {
                kept = &kept & filter_nulls.inner();
            }
            if let Some(valid) = valid {
                kept = &kept & valid.inner();
            }
            Some(BooleanArray::new(kept, None))
        }
    }
}

/// The type an argument of type `call` is stored as: Parquet has no Arrow interval, so an
/// interval is a STRUCT of its parts.
fn stored_type(call: &DataType) -> DataType {
    match call {
        DataType::Interval(IntervalUnit::MonthDayNano) => DataType::Struct(interval_parts()),
        other => other.clone(),
    }
}

/// The call's type of an argument stored as `stored`: [`stored_type`] undone.
fn call_type(stored: &DataType) -> DataType {
    match stored {
        DataType::Struct(fields) if fields == &interval_parts() => {
            DataType::Interval(IntervalUnit::MonthDayNano)
        }
        other => other.clone(),
    }
}

fn interval_parts() -> Fields {
    Fields::from(vec![
        Field::new("months", DataType::Int32, true),
        Field::new("days", DataType::Int32, true),
        Field::new("nanoseconds", DataType::Int64, true),
    ])
}

/// An argument's values as stored.
fn to_stored(array: ArrayRef) -> ArrayRef {
    let DataType::Interval(IntervalUnit::MonthDayNano) = array.data_type() else {
        return array;
    };
    let intervals = array.as_primitive::<IntervalMonthDayNanoType>();
    let months = Int32Array::from_iter(intervals.iter().map(|v| v.map(|v| v.months)));
    let days = Int32Array::from_iter(intervals.iter().map(|v| v.map(|v| v.days)));
    let nanoseconds = Int64Array::from_iter(intervals.iter().map(|v| v.map(|v| v.nanoseconds)));
    Arc::new(StructArray::new(
        interval_parts(),
        vec![Arc::new(months), Arc::new(days), Arc::new(nanoseconds)],
        intervals.nulls().cloned(),
    ))
}

/// Stored values of an argument as the call's type `call`: [`to_stored`] undone.
fn from_stored(array: &ArrayRef, call: &DataType) -> Result<ArrayRef> {
    let DataType::Interval(IntervalUnit::MonthDayNano) = call else {
        return Ok(Arc::clone(array));
    };
    let parts = array.as_struct();
    let months = cast(parts.column(0), &DataType::Int32)?;
    let days = cast(parts.column(1), &DataType::Int32)?;
    let nanoseconds = cast(parts.column(2), &DataType::Int64)?;
    let (months, days, nanoseconds) = (
        months.as_primitive::<Int32Type>(),
        days.as_primitive::<Int32Type>(),
        nanoseconds.as_primitive::<Int64Type>(),
    );
    Ok(Arc::new(IntervalMonthDayNanoArray::from_iter(
        (0..parts.len()).map(|row| {
            (parts.is_valid(row)).then(|| {
                IntervalMonthDayNano::new(
                    months.value(row),
                    days.value(row),
                    nanoseconds.value(row),
                )
            })
        }),
    )))
}

/// Which rows of a stored argument column hold the `expected` value (a one-row array): NULL
/// equals NULL, a STRUCT (an interval) compares by its parts.
fn same_as(stored: &ArrayRef, expected: &ArrayRef) -> Result<BooleanArray> {
    if let (DataType::Struct(_), Some(stored_parts), Some(expected_parts)) = (
        stored.data_type(),
        stored.as_struct_opt(),
        expected.as_struct_opt(),
    ) {
        let mut same = not_distinct(
            &BooleanArray::from_iter((0..stored.len()).map(|row| Some(stored.is_valid(row)))),
            &Scalar::new(BooleanArray::from(vec![expected.is_valid(0)])),
        )?;
        for (stored, expected) in stored_parts.columns().iter().zip(expected_parts.columns()) {
            same = and(&same, &same_as(stored, expected)?)?;
        }
        return Ok(same);
    }
    Ok(not_distinct(stored, &Scalar::new(expected.slice(0, 1)))?)
}

/// The value of a constant argument expression, `None` for one that reads columns.
fn constant_value(expr: &Arc<dyn PhysicalExpr>) -> Option<ScalarValue> {
    if !collect_columns(expr).is_empty() {
        return None;
    }
    // A column of another DataFusion (through the FFI) is not a `Column` here; it fails to
    // evaluate without input columns, and is a column.
    evaluate_without_columns(expr).ok()
}
