//! `csat_summary(score [, max_score [, weight]])`: CSAT with its counts and 95 % interval.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::csat::CsatScale;
use crate::families::survey::{
    Estimate, MAX_SCORE_ARG, SCORE_ON_SCALE_COLUMNS, SummaryShape, SurveyArgs,
    effective_sample_size, proportion_std_error,
};
use crate::kernels::tally::{Tally, TallyKernel, TallyRule};

/// `csat` with respondent counts, standard error and a 95 % interval.
#[derive(Debug)]
pub(crate) struct CsatSummary;

const SHAPE: SummaryShape = SummaryShape {
    metric: "csat",
    counts: &["responses", "satisfied"],
};

/// Tallies weights (of all answers and of satisfied ones), squared weights and the
/// unweighted count of satisfied answers.
#[derive(Debug)]
pub(crate) struct CsatSummaryRule(CsatScale);

impl CsatSummaryRule {
    fn estimate(tally: &Tally<[f64; 4]>) -> Option<Estimate> {
        let [weight, satisfied_weight, weight_squares, satisfied] = tally.sums;
        let share = satisfied_weight / weight;
        let n = effective_sample_size(weight, weight_squares);
        (tally.count > 0).then(|| Estimate {
            value: (weight > 0.0).then_some(100.0 * share),
            counts: vec![tally.count, satisfied as u64],
            std_error: (weight > 0.0).then(|| proportion_std_error(share, n)),
        })
    }
}

impl TallyRule for CsatSummaryRule {
    type Sums = [f64; 4];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        self.0.for_each_answer(inputs, rows, |row, w, satisfied| {
            add(row, Tally::row([w, w * satisfied, w * w, satisfied]))
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        Self::estimate(tally)?.value
    }

    fn evaluate(&self, tallies: &[Tally<Self::Sums>]) -> Result<ArrayRef> {
        SHAPE.build(tallies.iter().map(Self::estimate).collect())
    }
}

impl Metric for CsatSummary {
    const NAME: &'static str = "csat_summary";
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] =
        &[("csat", "%"), ("ci_low", "%"), ("ci_high", "%")];
    const STATE_NAMES: &'static [&'static str] = &[
        "responses",
        "weight",
        "satisfied_weight",
        "weight_squares",
        "satisfied",
    ];
    const REQUIRED_ARGS: &'static [usize] = SCORE_ON_SCALE_COLUMNS;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = MAX_SCORE_ARG;
    type Rule = CsatSummaryRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "CSAT with the numbers to judge it by: a STRUCT {csat, responses, satisfied, \
                 std_error, ci_low, ci_high}. csat is as for `csat`; the counts are respondents \
                 (not weighted); std_error is 100 × √(p (1 − p) / n) for the (weighted) satisfied \
                 share p, where n is the number of answers or, with weights, Kish's effective \
                 sample size (Σw)² / Σw²; ci_low and ci_high are the normal-approximation 95 % \
                 interval csat ± 1.96 × std_error (not clipped to 0–100). A group without scores \
                 gives NULL; total weight 0 gives NULL csat and interval. NULLs and errors as for \
                 `csat`.",
                "csat_summary(score [, max_score [, weight]])",
            )
            .with_sql_example(
                "```sql\nSELECT channel, csat_summary(csat_score) AS s\nFROM responses\nGROUP BY channel;\n\n-- weighted, on the default 0–5 scale\nSELECT csat_summary(csat_score, 5, survey_weight)['ci_low'] FROM responses;\n```",
            )
            .with_argument("score", "Answer from 0 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 5.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("csat")
            .with_related_udf("nps_summary")
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

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CsatSummaryRule> {
        Ok(CsatSummaryRule(CsatScale::new(Self::NAME, constants)?))
    }
}

shared_udaf!(
    /// The `csat_summary` aggregate function.
    csat_summary_udaf,
    CsatSummary
);
