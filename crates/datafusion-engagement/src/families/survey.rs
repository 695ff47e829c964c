//! What nps, csat, ces and their `_summary` forms share: the argument layouts, the survey
//! weights, and the 95 % intervals of the summaries.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type};
use datafusion::common::{ScalarValue, exec_datafusion_err, plan_err};
use datafusion::error::Result;

use super::scores::{
    CES_DEFAULT_MAX_SCORE, ScoreScale, coerce_score, for_each_score, max_score, score_types,
};
use crate::common::args::{check_arg_count, coerce_numeric};
use crate::common::rows::SelectedRows;

/// The arguments a survey metric takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SurveyArgs {
    /// `f(score [, weight])`: a fixed scale (nps).
    Score,
    /// `f(score [, max_score [, weight]])`: a scale whose top is a constant (csat, ces).
    ScoreOnScale,
}

impl SurveyArgs {
    /// Position of the optional weight column.
    pub(crate) const fn weight_arg(self) -> usize {
        match self {
            Self::Score => 1,
            Self::ScoreOnScale => 2,
        }
    }

    fn usage(self, function: &str) -> String {
        match self {
            Self::Score => format!("{function}(score [, weight])"),
            Self::ScoreOnScale => format!("{function}(score [, max_score [, weight]])"),
        }
    }

    /// The types to coerce to, or an error naming the function, the argument and its type.
    pub(crate) fn coerce(self, function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let weight_arg = self.weight_arg();
        check_arg_count(
            function,
            arg_types,
            1,
            weight_arg + 1,
            &self.usage(function),
        )?;
        let mut coerced = vec![coerce_score(function, &arg_types[0])?];
        if self == Self::ScoreOnScale
            && let Some(max_score) = arg_types.get(1)
        {
            if !max_score.is_integer() {
                return plan_err!(
                    "{function}: max_score must be a whole-number constant, got type {max_score}"
                );
            }
            coerced.push(DataType::Int64);
        }
        if let Some(weight) = arg_types.get(weight_arg) {
            coerced.push(coerce_numeric(function, "weight", weight)?);
        }
        Ok(coerced)
    }

    /// Typical argument types, listed by `SHOW FUNCTIONS` (coerced types only): the score
    /// alone, with max_score where the scale takes one, and with both and a weight.
    pub(crate) fn examples(self) -> Vec<Vec<DataType>> {
        score_types()
            .into_iter()
            .flat_map(|score| {
                let mut forms = vec![vec![score]];
                if self == Self::ScoreOnScale {
                    forms.push([forms[0].clone(), vec![DataType::Int64]].concat());
                }
                let widest = forms.last().expect("the score alone").clone();
                forms.push([widest, vec![DataType::Float64]].concat());
                forms
            })
            .collect()
    }
}

/// Column positions of [`SurveyArgs::Score`] calls: score, weight.
pub(crate) const SCORE_COLUMNS: &[usize] = &[0, 1];
/// Column positions of [`SurveyArgs::ScoreOnScale`] calls: score, weight (max_score is a
/// constant).
pub(crate) const SCORE_ON_SCALE_COLUMNS: &[usize] = &[0, 2];
/// The constant of [`SurveyArgs::ScoreOnScale`] calls.
pub(crate) const MAX_SCORE_ARG: &[(usize, &str)] = &[(1, "max_score")];

/// The ces scale 1…max_score (default 7).
pub(crate) fn ces_scale(function: &str, constants: &[Option<ScalarValue>]) -> Result<ScoreScale> {
    let max = max_score(function, constants[0].as_ref(), CES_DEFAULT_MAX_SCORE)?;
    Ok(ScoreScale { min: 1.0, max })
}

/// Calls `f(row, score, weight)` for every selected row; the weight is 1 for an unweighted
/// call. Fails on the first score outside `scale`, or else on the first weight that is
/// negative, NaN or infinite. (Rows with a NULL weight are not selected.)
#[inline]
pub(crate) fn for_each_weighted_score(
    function: &str,
    scale: &ScoreScale,
    inputs: &[ArrayRef],
    weight_arg: usize,
    rows: &SelectedRows,
    mut f: impl FnMut(usize, f64, f64),
) -> Result<()> {
    let Some(weights) = inputs.get(weight_arg) else {
        return for_each_score(function, scale, &inputs[0], rows, |row, score| {
            f(row, score, 1.0)
        });
    };
    let weights = weights.as_primitive::<Float64Type>().values();
    let mut first_invalid = None;
    for_each_score(function, scale, &inputs[0], rows, |row, score| {
        let weight = weights[row];
        // Also false for NaN.
        if weight >= 0.0 && weight.is_finite() {
            f(row, score, weight)
        } else if first_invalid.is_none() {
            first_invalid = Some(weight)
        }
    })?;
    match first_invalid {
        Some(weight) => Err(exec_datafusion_err!(
            "{function}: weight {weight} is not valid: expected a finite number of at least 0"
        )),
        None => Ok(()),
    }
}

/// Two-sided 95 % quantile of the standard normal distribution.
const Z_95: f64 = 1.959_963_984_540_054;

/// Kish's effective sample size (Σw)² / Σw²: the number of unweighted answers that would give
/// an estimate as precise. Equals the number of answers when every weight is 1.
pub(crate) fn effective_sample_size(weight_sum: f64, weight_square_sum: f64) -> f64 {
    weight_sum * weight_sum / weight_square_sum
}

/// The standard error of a (weighted) proportion `p`, in percentage points.
pub(crate) fn proportion_std_error(p: f64, effective_n: f64) -> f64 {
    100.0 * (p * (1.0 - p) / effective_n).max(0.0).sqrt()
}

/// One group's summary: the estimate, the respondent counts and the standard error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    /// The metric; `None` when every answer has weight 0.
    pub value: Option<f64>,
    /// Counts in the order of [`SummaryShape::counts`], responses first.
    pub counts: Vec<u64>,
    /// `None` when the sample is too small to estimate it.
    pub std_error: Option<f64>,
}

/// The STRUCT a `_summary` function returns: {metric, counts…, std_error, ci_low, ci_high}.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SummaryShape {
    pub metric: &'static str,
    /// Names of the BIGINT count fields, `responses` first.
    pub counts: &'static [&'static str],
}

impl SummaryShape {
    fn fields(&self) -> Fields {
        let double = |name: &str| Field::new(name, DataType::Float64, true);
        std::iter::once(double(self.metric))
            .chain(
                self.counts
                    .iter()
                    .map(|name| Field::new(*name, DataType::Int64, false)),
            )
            .chain(["std_error", "ci_low", "ci_high"].map(double))
            .collect()
    }

    pub(crate) fn data_type(&self) -> DataType {
        DataType::Struct(self.fields())
    }

    /// The STRUCT array of a list of group summaries; a group without answers is NULL.
    ///
    /// The interval is the normal-approximation (Wald) 95 % interval, estimate ± 1.96 × standard
    /// error, not clipped to the scale.
    pub(crate) fn build(&self, estimates: Vec<Option<Estimate>>) -> Result<ArrayRef> {
        let present = |f: &dyn Fn(&Estimate) -> Option<f64>| -> Float64Array {
            estimates.iter().map(|e| e.as_ref().and_then(f)).collect()
        };
        let interval = |sign: f64| move |e: &Estimate| Some(e.value? + sign * Z_95 * e.std_error?);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(present(&|e| e.value))];
        for i in 0..self.counts.len() {
            let counts: Int64Array = estimates
                .iter()
                .map(|e| e.as_ref().map_or(0, |e| e.counts[i] as i64))
                .collect();
            columns.push(Arc::new(counts));
        }
        columns.push(Arc::new(present(&|e| e.std_error)));
        columns.push(Arc::new(present(&interval(-1.0))));
        columns.push(Arc::new(present(&interval(1.0))));
        let nulls = NullBuffer::from_iter(estimates.iter().map(Option::is_some));
        Ok(Arc::new(StructArray::try_new(
            self.fields(),
            columns,
            Some(nulls),
        )?))
    }
}
