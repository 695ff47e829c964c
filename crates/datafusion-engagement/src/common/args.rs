//! Argument checking shared by every function: type families, constant arguments and the
//! refusal of `DISTINCT` where it has no meaning.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatchOptions;
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{ScalarValue, plan_datafusion_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{ColumnarValue, Signature, TypeSignature, Volatility};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::prelude::Expr;

/// The signature of every function here. Argument checking is our own (`UserDefined`, see
/// [`lenient_coercion`]); the `Exact` examples only give `information_schema.parameters` and
/// `SHOW FUNCTIONS` rows to list, as a purely user-defined signature has none.
pub(crate) fn documented_signature(examples: Vec<Vec<DataType>>) -> Signature {
    let variants = std::iter::once(TypeSignature::UserDefined)
        .chain(examples.into_iter().map(TypeSignature::Exact));
    Signature::one_of(variants.collect(), Volatility::Immutable)
}

/// `coerce_types` for [`documented_signature`]: the checked types, or the types unchanged when
/// the check fails, so that `return_type` (which runs the same check) reports the error with
/// our message rather than DataFusion's "failed to match any signature" internal error.
pub(crate) fn lenient_coercion(
    checked: Result<Vec<DataType>>,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    Ok(checked.unwrap_or_else(|_| arg_types.to_vec()))
}

/// Fails unless the call has between `min` and `max` arguments.
pub(crate) fn check_arg_count(
    function: &str,
    arg_types: &[DataType],
    min: usize,
    max: usize,
    usage: &str,
) -> Result<()> {
    let n = arg_types.len();
    if n < min || n > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return plan_err!(
            "{function} takes {expected} argument(s) but was called with {n}; usage: {usage}"
        );
    }
    Ok(())
}

/// Coerces a numeric score argument (any integer, floating point or DECIMAL type, or NULL)
/// to Float64, the type the score kernels read.
pub(crate) fn coerce_numeric(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    if data_type.is_numeric() || data_type.is_null() {
        return Ok(DataType::Float64);
    }
    if let DataType::Dictionary(_, value_type) = data_type
        && value_type.is_numeric()
    {
        return Ok(DataType::Float64);
    }
    plan_err!(
        "{function}: {argument} must be a number (integer, floating point or DECIMAL), got {data_type}"
    )
}

/// Coerces a BOOLEAN argument (NULL is accepted as a BOOLEAN NULL).
pub(crate) fn coerce_boolean(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match data_type {
        DataType::Boolean | DataType::Null => Ok(DataType::Boolean),
        other => plan_err!("{function}: {argument} must be BOOLEAN, got {other}"),
    }
}

/// True for the string types every function accepts for names and ids.
pub(crate) fn is_string_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value_type) => is_string_type(value_type),
        _ => false,
    }
}

/// Accepts a string argument as it is (Utf8, LargeUtf8, Utf8View or a dictionary of them);
/// NULL becomes Utf8. A number is refused with the cast that makes it a string.
pub(crate) fn coerce_string(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    if is_string_type(data_type) {
        Ok(data_type.clone())
    } else if data_type.is_null() {
        Ok(DataType::Utf8)
    } else {
        let cast = match data_type.is_numeric() {
            true => format!("; cast a numeric {argument} with CAST({argument} AS VARCHAR)"),
            false => String::new(),
        };
        plan_err!(
            "{function}: {argument} must be a string (Utf8, LargeUtf8, Utf8View or a dictionary of strings), got {data_type}{cast}"
        )
    }
}

/// Reads the constant arguments, (position, name), from the physical expressions when an
/// accumulator is created: `None` for an optional one the call leaves out.
pub(crate) fn constant_arguments(
    function: &str,
    constant_args: &[(usize, &str)],
    args: &AccumulatorArgs,
) -> Result<Vec<Option<ScalarValue>>> {
    // Only for an error: through the FFI, reading an expression's types is a call across.
    constant_expressions(function, constant_args, args.exprs, |expr| {
        physical_as_written(expr, args.schema).to_string()
    })
}

/// [`constant_arguments`] of any function's physical argument expressions (a window
/// function's); `written` shows an expression in an error.
pub(crate) fn constant_expressions(
    function: &str,
    constant_args: &[(usize, &str)],
    exprs: &[Arc<dyn PhysicalExpr>],
    written: impl Fn(&Arc<dyn PhysicalExpr>) -> String,
) -> Result<Vec<Option<ScalarValue>>> {
    constant_args
        .iter()
        .map(|&(index, argument)| match exprs.get(index) {
            Some(expr) => constant_argument(function, argument, expr, || written(expr)).map(Some),
            None => Ok(None),
        })
        .collect()
}

/// Reads one constant argument. It must not reference any column; it is evaluated once here.
fn constant_argument(
    function: &str,
    argument: &str,
    expr: &Arc<dyn PhysicalExpr>,
    written: impl Fn() -> String,
) -> Result<ScalarValue> {
    if !collect_columns(expr).is_empty() {
        return plan_err!(
            "{function}: {argument} must be a constant, got the column expression {}",
            written()
        );
    }
    // A column of another DataFusion (a call from Python DataFusion, through the FFI) is not a
    // `Column` here, so `collect_columns` misses it; evaluating it without columns fails.
    evaluate_without_columns(expr).map_err(|error| {
        plan_datafusion_err!(
            "{function}: {argument} must be a constant, got {}, which cannot be evaluated \
             without input columns: {error}",
            written()
        )
    })
}

/// The value of an expression that reads no column, evaluated on a row of no columns.
pub(crate) fn evaluate_without_columns(expr: &Arc<dyn PhysicalExpr>) -> Result<ScalarValue> {
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    match expr.evaluate(&one_row)? {
        ColumnarValue::Scalar(value) => Ok(value),
        ColumnarValue::Array(array) => ScalarValue::try_from_array(&array, 0),
    }
}

/// The logical-plan side of the constant-argument rule and of [`refuse_distinct`]: run from `AggregateUDFImpl::simplify`, before
/// DataFusion rewrites `f(DISTINCT x)` into a GROUP BY, so that an unsupported `DISTINCT` or a
/// non-constant argument is a planning error.
///
/// Returns the constant arguments (`None` for an absent optional one) when all are literals
/// already, so they can be validated early; `None` when some are not folded yet.
pub(crate) fn check_logical_call(
    function: &str,
    aggregate: &AggregateFunction,
    constant_args: &[(usize, &str)],
) -> Result<Option<Vec<Option<ScalarValue>>>> {
    refuse_distinct(function, aggregate.params.distinct)?;
    check_logical_constants(function, &aggregate.params.args, constant_args)
}

/// The constant-argument rule of [`check_logical_call`] over any function's arguments (a
/// window function's).
pub(crate) fn check_logical_constants(
    function: &str,
    args: &[Expr],
    constant_args: &[(usize, &str)],
) -> Result<Option<Vec<Option<ScalarValue>>>> {
    let mut literals = vec![];
    let mut all_folded = true;
    for &(index, argument) in constant_args {
        match args.get(index) {
            None => literals.push(None),
            Some(Expr::Literal(value, _)) => literals.push(Some(value.clone())),
            // Constant folding has not reached this argument yet; it is evaluated, and
            // validated, once when the accumulator is created.
            Some(other) if is_constant(other) => all_folded = false,
            Some(other) => {
                let written = match other {
                    Expr::Cast(cast) if coerced_string_type(cast.field.data_type()).is_some() => {
                        &cast.expr
                    }
                    _ => other,
                };
                return plan_err!(
                    "{function}: {argument} must be a constant, got the expression {written}"
                );
            }
        }
    }
    Ok(all_folded.then_some(literals))
}

/// Coerces the string constants among the arguments to dictionaries of that string type.
///
/// DataFusion broadcasts a literal argument to a column for every batch: a weights string
/// of a hundred bytes becomes a hundred bytes copied per row, more than the aggregate's own
/// work. Cast to a dictionary, the literal folds into a dictionary literal, which broadcasts
/// as one value and a four-byte key per row. Done in `coerce_types` rather than as a rewrite
/// in `simplify` because coercion also reaches functions used through DataFusion's FFI (from
/// Python), whose `simplify` never runs. The accumulator reads either form; the column name
/// keeps the call as written.
pub(crate) fn dictionary_string_constants(
    mut coerced: Vec<DataType>,
    constant_args: &[(usize, &str)],
) -> Vec<DataType> {
    for &(index, _) in constant_args {
        if let Some(data_type) = coerced.get_mut(index)
            && matches!(
                data_type,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            )
        {
            let strings = std::mem::replace(data_type, DataType::Null);
            *data_type = DataType::Dictionary(Box::new(DataType::Int32), Box::new(strings));
        }
    }
    coerced
}

/// The string type of a dictionary [`dictionary_string_constants`] coerces a string constant
/// to, `None` for other types. Errors about a constant argument show it without that cast:
/// the cast is the pack's, not the user's.
fn coerced_string_type(data_type: &DataType) -> Option<&DataType> {
    match data_type {
        DataType::Dictionary(key, value)
            if **key == DataType::Int32
                && matches!(
                    **value,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
        {
            Some(value)
        }
        _ => None,
    }
}

/// A physical constant argument as the user wrote it: see [`coerced_string_type`]. The cast
/// is recognised by its types (strings to a dictionary of them) rather than as a `CastExpr`,
/// which a call from Python DataFusion, through the FFI, does not show itself as.
fn physical_as_written<'a>(
    expr: &'a Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> &'a Arc<dyn PhysicalExpr> {
    let children = expr.children();
    let (Ok(data_type), [child]) = (expr.data_type(schema), children.as_slice()) else {
        return expr;
    };
    match coerced_string_type(&data_type) {
        Some(strings) if child.data_type(schema).is_ok_and(|from| from == *strings) => child,
        _ => expr,
    }
}

/// No column, no subquery, nothing volatile: the same value for every row and partition.
fn is_constant(expr: &Expr) -> bool {
    let varies = expr
        .exists(|e| {
            Ok(matches!(
                e,
                Expr::Column(_)
                    | Expr::OuterReferenceColumn(..)
                    | Expr::ScalarSubquery(_)
                    | Expr::Placeholder(_)
            ))
        })
        .expect("the predicate does not fail");
    !varies && !expr.is_volatile()
}

/// Refuses `f(DISTINCT …)` for functions where every row is one observation. Checked on the
/// logical plan (see [`check_logical_call`]) and again when an accumulator is created, for
/// plans built without the optimizer.
pub(crate) fn refuse_distinct(function: &str, is_distinct: bool) -> Result<()> {
    if is_distinct {
        return plan_err!(
            "{function} does not support DISTINCT: every row is one observation of the metric; \
             remove DISTINCT or de-duplicate the rows in a subquery"
        );
    }
    Ok(())
}

/// Reads a numeric constant as a finite f64; NULL, a non-number and ±inf/NaN are errors.
pub(crate) fn number_constant(function: &str, argument: &str, value: &ScalarValue) -> Result<f64> {
    if value.is_null() {
        return plan_err!("{function}: {argument} must not be NULL");
    }
    let as_f64 = value
        .cast_to(&DataType::Float64)
        .ok()
        .and_then(|v| match v {
            ScalarValue::Float64(v) => v,
            _ => None,
        });
    match as_f64 {
        Some(v) if v.is_finite() => Ok(v),
        _ => plan_err!("{function}: {argument} must be a finite number, got {value}"),
    }
}

/// Reads a whole-number constant such as `max_score`.
pub(crate) fn integer_constant(function: &str, argument: &str, value: &ScalarValue) -> Result<i64> {
    match number_constant(function, argument, value) {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(v as i64),
        Err(e) if value.is_null() => Err(e),
        _ => plan_err!("{function}: {argument} must be a whole number, got {value}"),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::Field;
    use datafusion::physical_expr::expressions::{CastExpr, Column};

    use super::*;

    #[test]
    fn a_constant_argument_is_shown_without_the_packs_cast_only() {
        let schema = Schema::new(vec![Field::new("p", DataType::Utf8, true)]);
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("p", 0));
        let cast = |to: DataType| -> Arc<dyn PhysicalExpr> {
            Arc::new(CastExpr::new(Arc::clone(&column), to, None))
        };
        let dictionary =
            |key: DataType, value: DataType| DataType::Dictionary(Box::new(key), Box::new(value));
        let ours = cast(dictionary(DataType::Int32, DataType::Utf8));
        assert_eq!(physical_as_written(&ours, &schema).to_string(), "p@0");
        // Casts the coercion never adds stay as written.
        for to in [
            dictionary(DataType::Int8, DataType::Utf8),
            dictionary(DataType::Int32, DataType::LargeUtf8),
            DataType::LargeUtf8,
        ] {
            let other = cast(to);
            assert_eq!(
                physical_as_written(&other, &schema).to_string(),
                other.to_string()
            );
        }
        assert_eq!(physical_as_written(&column, &schema).to_string(), "p@0");
    }
}
