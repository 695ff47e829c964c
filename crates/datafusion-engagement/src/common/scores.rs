//! Survey scores: the scales nps, csat and ces read and their validation.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
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
    let first_invalid = match scores.data_type() {
        // Whole numbers by type: only the range is checked.
        DataType::Int32 => {
            let range = scale.min as i32..=scale.max as i32;
            let scores = scores.as_primitive::<Int32Type>().values();
            first_invalid_after(scores, rows, |s| range.contains(&s), f64::from, f)
        }
        DataType::Int64 => {
            let range = scale.min as i64..=scale.max as i64;
            let scores = scores.as_primitive::<Int64Type>().values();
            first_invalid_after(scores, rows, |s| range.contains(&s), |s| s as f64, f)
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

/// The type a score column is read as: 32- and 64-bit integers as they are (they hold whole
/// numbers, so only the range is checked), narrower integers as Int32, other numbers as
/// Float64.
pub(crate) fn coerce_score(function: &str, data_type: &DataType) -> Result<DataType> {
    let value_type = match data_type {
        DataType::Dictionary(_, value_type) => value_type.as_ref(),
        other => other,
    };
    Ok(match value_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            DataType::Int32
        }
        DataType::Int64 | DataType::UInt32 => DataType::Int64,
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
