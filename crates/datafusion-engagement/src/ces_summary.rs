//! `ces_summary(score [, max_score [, weight]])`: CES with its count and 95 % interval.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::scores::ScoreScale;
use crate::families::survey::{
    Estimate, MAX_SCORE_ARG, SCORE_ON_SCALE_COLUMNS, SummaryShape, SurveyArgs, ces_scale,
    effective_sample_size, for_each_weighted_score,
};
use crate::kernels::tally::{Tally, TallyKernel, TallyRule};

/// `ces` with the response count, standard error and a 95 % interval.
#[derive(Debug)]
pub(crate) struct CesSummary;

const SHAPE: SummaryShape = SummaryShape {
    metric: "ces",
    counts: &["responses"],
};

/// Tallies the weight, the weighted sum of scores and of squared scores, and the squared
/// weights.
#[derive(Debug)]
pub(crate) struct CesSummaryRule {
    scale: ScoreScale,
}

impl CesSummaryRule {
    fn estimate(tally: &Tally<[f64; 4]>) -> Option<Estimate> {
        let [weight, score_sum, square_sum, weight_squares] = tally.sums;
        let mean = score_sum / weight;
        let n = effective_sample_size(weight, weight_squares);
        // The sample variance: the weighted spread around the mean with the reliability-weight
        // correction n / (n − 1), which is Bessel's correction when every weight is 1.
        let variance = (square_sum / weight - mean * mean).max(0.0) * n / (n - 1.0);
        (tally.count > 0).then(|| Estimate {
            value: (weight > 0.0).then_some(mean),
            counts: vec![tally.count],
            std_error: (weight > 0.0 && n > 1.0).then(|| (variance / n).sqrt()),
        })
    }
}

impl TallyRule for CesSummaryRule {
    type Sums = [f64; 4];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        let weight_arg = SurveyArgs::ScoreOnScale.weight_arg();
        let function = CesSummary::NAME;
        for_each_weighted_score(
            function,
            &self.scale,
            inputs,
            weight_arg,
            rows,
            |row, x, w| add(row, Tally::row([w, w * x, w * x * x, w * w])),
        )
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        Self::estimate(tally)?.value
    }

    fn evaluate(&self, tallies: &[Tally<Self::Sums>]) -> Result<ArrayRef> {
        SHAPE.build(tallies.iter().map(Self::estimate).collect())
    }
}

impl Metric for CesSummary {
    const NAME: &'static str = "ces_summary";
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] =
        &[("ces", "score"), ("ci_low", "score"), ("ci_high", "score")];
    const STATE_NAMES: &'static [&'static str] = &[
        "responses",
        "weight",
        "score_sum",
        "square_sum",
        "weight_squares",
    ];
    const REQUIRED_ARGS: &'static [usize] = SCORE_ON_SCALE_COLUMNS;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = MAX_SCORE_ARG;
    type Rule = CesSummaryRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "CES with the numbers to judge it by: a STRUCT {ces, responses, std_error, \
                 ci_low, ci_high}. ces is the (weighted) mean as for `ces`; responses counts \
                 respondents (not weighted); std_error is s / √n, with s the sample standard \
                 deviation of the answers and n the number of answers or, with weights, Kish's \
                 effective sample size (Σw)² / Σw² (s then uses the weighted spread times \
                 n / (n − 1)); ci_low and ci_high are the normal-approximation 95 % interval \
                 ces ± 1.96 × std_error. std_error and the interval are NULL for fewer than two \
                 answers. A group without scores gives NULL. NULLs and errors as for `ces`.",
                "ces_summary(score [, max_score [, weight]])",
            )
            .with_sql_example(
                "```sql\nSELECT channel, ces_summary(ces_score) AS s\nFROM responses\nGROUP BY channel;\n```",
            )
            .with_argument("score", "Answer from 1 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 7.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("ces")
            .with_related_udf("csat_summary")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        SurveyArgs::ScoreOnScale.examples()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        SurveyArgs::ScoreOnScale.coerce(Self::NAME, arg_types)
    }

    fn return_type() -> DataType {
        SHAPE.data_type()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CesSummaryRule> {
        Ok(CesSummaryRule {
            scale: ces_scale(Self::NAME, constants)?,
        })
    }
}

shared_udaf!(
    /// The `ces_summary` aggregate function.
    ces_summary_udaf,
    CesSummary
);
