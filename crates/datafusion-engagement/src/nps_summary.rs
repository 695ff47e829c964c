//! `nps_summary(score [, weight])`: the Net Promoter Score with its counts and 95 % interval.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::survey::{
    Estimate, SCORE_COLUMNS, SummaryShape, SurveyArgs, effective_sample_size,
};
use crate::kernels::tally::{Tally, TallyKernel, TallyRule};
use crate::nps::NpsClasses;

/// `nps` with respondent counts, standard error and a 95 % interval.
#[derive(Debug)]
pub(crate) struct NpsSummary;

const SHAPE: SummaryShape = SummaryShape {
    metric: "nps",
    counts: &["responses", "promoters", "passives", "detractors"],
};

/// Tallies weights (of all answers, promoters and detractors), squared weights (for the
/// effective sample size) and the unweighted promoter and detractor counts.
#[derive(Debug)]
pub(crate) struct NpsSummaryRule(NpsClasses);

impl NpsSummaryRule {
    fn estimate(tally: &Tally<[f64; 6]>) -> Option<Estimate> {
        let [
            weight,
            promoter_weight,
            detractor_weight,
            weight_squares,
            promoters,
            detractors,
        ] = tally.sums;
        let (promoters, detractors) = (promoters as u64, detractors as u64);
        let counts = vec![
            tally.count,
            promoters,
            tally.count - promoters - detractors,
            detractors,
        ];
        let (p, d) = (promoter_weight / weight, detractor_weight / weight);
        // The variance of the difference of two shares of one multinomial sample.
        let variance = (p + d - (p - d).powi(2)) / effective_sample_size(weight, weight_squares);
        (tally.count > 0).then(|| Estimate {
            value: (weight > 0.0).then_some(100.0 * (p - d)),
            counts,
            std_error: (weight > 0.0).then(|| 100.0 * variance.max(0.0).sqrt()),
        })
    }
}

impl TallyRule for NpsSummaryRule {
    type Sums = [f64; 6];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        self.0.for_each_answer(
            NpsSummary::NAME,
            inputs,
            rows,
            |row, w, promoter, detractor| {
                add(
                    row,
                    Tally::row([w, w * promoter, w * detractor, w * w, promoter, detractor]),
                )
            },
        )
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        Self::estimate(tally)?.value
    }

    fn evaluate(&self, tallies: &[Tally<Self::Sums>]) -> Result<ArrayRef> {
        SHAPE.build(tallies.iter().map(Self::estimate).collect())
    }
}

impl Metric for NpsSummary {
    const NAME: &'static str = "nps_summary";
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] =
        &[("nps", "NPS"), ("ci_low", "NPS"), ("ci_high", "NPS")];
    const STATE_NAMES: &'static [&'static str] = &[
        "responses",
        "weight",
        "promoter_weight",
        "detractor_weight",
        "weight_squares",
        "promoters",
        "detractors",
    ];
    const REQUIRED_ARGS: &'static [usize] = SCORE_COLUMNS;
    type Rule = NpsSummaryRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Net Promoter Score with the numbers to judge it by: a STRUCT {nps, responses, \
                 promoters, passives, detractors, std_error, ci_low, ci_high}. nps is as for \
                 `nps`; the counts are respondents (not weighted); std_error is \
                 100 × √((p + d − (p − d)²) / n) for the (weighted) shares p of promoters and d of \
                 detractors, where n is the number of answers or, with weights, Kish's effective \
                 sample size (Σw)² / Σw²; ci_low and ci_high are the normal-approximation 95 % \
                 interval nps ± 1.96 × std_error (not clipped to ±100). A group without scores \
                 gives NULL; total weight 0 gives NULL nps and interval. NULLs and errors as for \
                 `nps`.",
                "nps_summary(score [, weight])",
            )
            .with_sql_example(
                "```sql\nSELECT segment, s.nps, s.responses, s.ci_low, s.ci_high\nFROM (SELECT segment, nps_summary(nps_score) AS s FROM responses GROUP BY segment);\n\n-- one field\nSELECT nps_summary(nps_score, survey_weight)['std_error'] FROM responses;\n```",
            )
            .with_argument("score", "Answer on the 0–10 scale: any integer, floating point or DECIMAL column.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("nps")
            .with_related_udf("csat_summary")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        SurveyArgs::Score.examples()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        SurveyArgs::Score.coerce(Self::NAME, arg_types)
    }

    fn return_type() -> DataType {
        SHAPE.data_type()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<NpsSummaryRule> {
        Ok(NpsSummaryRule(NpsClasses::new()))
    }
}

shared_udaf!(
    /// The `nps_summary` aggregate function.
    nps_summary_udaf,
    NpsSummary
);
