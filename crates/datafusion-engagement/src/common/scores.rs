//! Survey scores: the scales nps, csat and ces read and their validation.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::{DataFusionError, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::error::Result;

use super::args::{coerce_numeric, integer_constant};
use super::rows::SelectedRows;

/// The valid whole-number answers of a survey question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoreScale {
    pub min: f64,
    pub max: f64,
}

/// The 0–10 "how likely are you to recommend us" question of the Net Promoter Score.
pub(crate) const NPS_SCALE: ScoreScale = ScoreScale {
    min: 0.0,
    max: 10.0,
};
/// NPS answers from this score up are promoters.
pub(crate) const NPS_PROMOTER_FROM: f64 = 9.0;
/// NPS answers up to this score are detractors.
pub(crate) const NPS_DETRACTOR_UP_TO: f64 = 6.0;

impl ScoreScale {
    /// True for a whole number on the scale. NaN fails every comparison. Within the checked
    /// range the round trip through i64 is exact, and unlike `fract()` it needs no libm call.
    #[inline(always)]
    fn is_valid(&self, score: f64) -> bool {
        score >= self.min && score <= self.max && (score as i64) as f64 == score
    }

    /// The error for an invalid score, naming the function, the value and the valid range.
    #[cold]
    fn invalid(&self, function: &str, score: f64) -> DataFusionError {
        exec_datafusion_err!(
            "{function}: score {score} is not valid: expected a whole number from {} to {}",
            self.min,
            self.max
        )
    }

    /// Checks one score.
    pub(crate) fn check(&self, function: &str, score: f64) -> Result<f64> {
        if self.is_valid(score) {
            Ok(score)
        } else {
            Err(self.invalid(function, score))
        }
    }
}

/// Calls `f(row, score)` for every selected row of the (Float64) score column; fails, naming
/// the first score outside `scale`, if there is one.
#[inline]
pub(crate) fn for_each_score(
    function: &str,
    scale: &ScoreScale,
    scores: &ArrayRef,
    rows: &SelectedRows,
    f: impl FnMut(usize, f64),
) -> Result<()> {
    // Whole numbers by type: only the range is checked, in the column's own type (no cast).
    macro_rules! whole_numbers {
        ($arrow_type:ty) => {{
            let range = scale.min as i64..=scale.max as i64;
            let scores = scores.as_primitive::<$arrow_type>().values();
            // A UInt64 past i64::MAX wraps negative: out of range, reported as it is.
            first_invalid_after(
                scores,
                rows,
                |s| range.contains(&(s as i64)),
                |s| s as f64,
                f,
            )
        }};
    }
    let scores_column = scores;
    let first_invalid = match scores.data_type() {
        DataType::Int8 => whole_numbers!(Int8Type),
        DataType::Int16 => whole_numbers!(Int16Type),
        DataType::Int32 => whole_numbers!(Int32Type),
        DataType::Int64 => whole_numbers!(Int64Type),
        DataType::UInt8 => whole_numbers!(UInt8Type),
        DataType::UInt16 => whole_numbers!(UInt16Type),
        DataType::UInt32 => whole_numbers!(UInt32Type),
        DataType::UInt64 => whole_numbers!(UInt64Type),
        // Fixed point: a whole number is a multiple of 10^digits. The common scales get the
        // power of ten as a constant, so the check compiles to multiplications.
        &DataType::Decimal128(_, digits @ 0..=38) => {
            let scores = scores.as_primitive::<Decimal128Type>().values();
            match digits {
                0 => decimal_scores::<1>(scale, scores, rows, f),
                1 => decimal_scores::<10>(scale, scores, rows, f),
                2 => decimal_scores::<100>(scale, scores, rows, f),
                3 => decimal_scores::<1_000>(scale, scores, rows, f),
                4 => decimal_scores::<10_000>(scale, scores, rows, f),
                // So many fractional digits are rare: read them as DOUBLE.
                _ => {
                    let doubles = cast(scores_column, &DataType::Float64)?;
                    return for_each_score(function, scale, &doubles, rows, f);
                }
            }
        }
        DataType::Float32 => {
            let scores = scores.as_primitive::<Float32Type>().values();
            first_invalid_after(scores, rows, |s| scale.is_valid(f64::from(s)), f64::from, f)
        }
        _ => {
            let scores = scores.as_primitive::<Float64Type>().values();
            first_invalid_after(scores, rows, |s| scale.is_valid(s), |s| s, f)
        }
    };
    match first_invalid {
        Some(score) => Err(scale.invalid(function, score)),
        None => Ok(()),
    }
}

/// Calls `f(row, score)` for every selected valid score and returns the first invalid one.
/// The hot loop carries no Result: the first invalid score is kept and reported after it.
#[inline(always)]
fn first_invalid_after<T: Copy>(
    scores: &[T],
    rows: &SelectedRows,
    is_valid: impl Fn(T) -> bool,
    as_f64: impl Fn(T) -> f64,
    mut f: impl FnMut(usize, f64),
) -> Option<f64> {
    let mut first_invalid = None;
    rows.for_each(|row| {
        let score = scores[row];
        if is_valid(score) {
            f(row, as_f64(score))
        } else if first_invalid.is_none() {
            first_invalid = Some(as_f64(score))
        }
    });
    first_invalid
}

/// [`first_invalid_after`] for DECIMAL scores with `UNIT` = 10^scale.
#[inline(always)]
fn decimal_scores<const UNIT: i64>(
    scale: &ScoreScale,
    scores: &[i128],
    rows: &SelectedRows,
    f: impl FnMut(usize, f64),
) -> Option<f64> {
    let range = scale.min as i64..=scale.max as i64;
    // Scores past 64 bits are out of any scale's range; their truncation is rejected by the
    // round trip.
    let whole = |s: i128| {
        let units = s as i64;
        let score = units / UNIT;
        (units as i128 == s && score * UNIT == units && range.contains(&score)).then_some(score)
    };
    first_invalid_after(
        scores,
        rows,
        |s| whole(s).is_some(),
        |s| whole(s).map_or(s as f64 / UNIT as f64, |score| score as f64),
        f,
    )
}

/// The type a score column is read as: its own for integers, DOUBLE, FLOAT and DECIMAL
/// (read as they are, without a cast: integers need only a range check, decimals a check for
/// a whole number of units), a dictionary's value type, other numbers as Float64.
pub(crate) fn coerce_score(function: &str, data_type: &DataType) -> Result<DataType> {
    let value_type = match data_type {
        DataType::Dictionary(_, value_type) => value_type.as_ref(),
        other => other,
    };
    Ok(match value_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, 0..=38) => value_type.clone(),
        _ => coerce_numeric(function, "score", data_type)?,
    })
}

/// The types scores are read as (see [`coerce_score`]).
pub(crate) fn score_types() -> Vec<DataType> {
    vec![DataType::Float64, DataType::Int32, DataType::Int64]
}

/// The top of the csat scale when the call gives no `max_score`.
pub(crate) const CSAT_DEFAULT_MAX_SCORE: i64 = 5;
/// The top of the ces scale when the call gives no `max_score`.
pub(crate) const CES_DEFAULT_MAX_SCORE: i64 = 7;

/// Reads the optional constant `max_score` argument: at least 2, so a scale has a top-2 box.
pub(crate) fn max_score(
    function: &str,
    constant: Option<&ScalarValue>,
    default: i64,
) -> Result<f64> {
    let Some(value) = constant else {
        return Ok(default as f64);
    };
    let max = integer_constant(function, "max_score", value)?;
    if !(2..=1_000_000).contains(&max) {
        return plan_err!(
            "{function}: max_score must be a whole number from 2 to 1000000, got {value}"
        );
    }
    Ok(max as f64)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Decimal128Array, Float32Array, Int8Array, Int16Array, UInt8Array, UInt64Array,
    };

    use super::*;

    /// The scores read from `column` (all rows selected), or the error.
    fn read(column: ArrayRef) -> Result<Vec<f64>> {
        let coerced = coerce_score("f", column.data_type())?;
        assert_eq!(
            &coerced,
            column.data_type(),
            "read as it is, without a cast"
        );
        let mut seen = vec![];
        let rows = SelectedRows::All(column.len());
        for_each_score("f", &NPS_SCALE, &column, &rows, |_, s| seen.push(s))?;
        Ok(seen)
    }

    #[test]
    fn every_integer_float_and_decimal_type_is_read_as_it_is() {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int8Array::from(vec![0, 9, 10])),
            Arc::new(Int16Array::from(vec![0, 9, 10])),
            Arc::new(UInt8Array::from(vec![0, 9, 10])),
            Arc::new(UInt64Array::from(vec![0, 9, 10])),
            Arc::new(Float32Array::from(vec![0.0, 9.0, 10.0])),
            Arc::new(
                Decimal128Array::from(vec![0, 90, 100])
                    .with_precision_and_scale(4, 1)
                    .unwrap(),
            ),
        ];
        for column in columns {
            assert_eq!(
                read(Arc::clone(&column)).unwrap(),
                [0.0, 9.0, 10.0],
                "{column:?}"
            );
        }
    }

    #[test]
    fn out_of_range_and_fractional_scores_are_named_in_the_error() {
        let invalid: Vec<(ArrayRef, &str)> = vec![
            (Arc::new(Int8Array::from(vec![3, -1])), "score -1 "),
            (Arc::new(UInt8Array::from(vec![3, 200])), "score 200 "),
            (
                Arc::new(UInt64Array::from(vec![u64::MAX])),
                "score 18446744073709552000 ",
            ),
            (Arc::new(Float32Array::from(vec![3.5])), "score 3.5 "),
            (
                Arc::new(
                    Decimal128Array::from(vec![75])
                        .with_precision_and_scale(4, 1)
                        .unwrap(),
                ),
                "score 7.5 ",
            ),
            (
                Arc::new(
                    Decimal128Array::from(vec![110])
                        .with_precision_and_scale(4, 1)
                        .unwrap(),
                ),
                "score 11 ",
            ),
        ];
        for (column, named) in invalid {
            let error = read(column).unwrap_err().to_string();
            assert!(
                error.contains(named) && error.contains("whole number from 0 to 10"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_decimal_with_many_fractional_digits_is_read_as_double() {
        let column: ArrayRef = Arc::new(
            Decimal128Array::from(vec![9 * 10i128.pow(30)])
                .with_precision_and_scale(38, 30)
                .unwrap(),
        );
        let mut seen = vec![];
        for_each_score("f", &NPS_SCALE, &column, &SelectedRows::All(1), |_, s| {
            seen.push(s)
        })
        .unwrap();
        assert_eq!(seen, [9.0]);
    }
}
