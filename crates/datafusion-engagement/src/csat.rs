//! `csat(score [, max_score [, weight]])`: the Customer Satisfaction score ("top-2 box").

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::scores::{CSAT_DEFAULT_MAX_SCORE, ScoreScale, max_score};
use crate::families::survey::{
    MAX_SCORE_ARG, SCORE_ON_SCALE_COLUMNS, SurveyArgs, for_each_weighted_score,
};
use crate::kernels::tally::{StateLayout, Tally, TallyKernel, TallyRule};

/// Share of satisfied answers: 100 × answers in the top two boxes / answers.
#[derive(Debug)]
pub(crate) struct Csat;

/// A 0…max_score scale whose top two boxes are satisfied answers.
#[derive(Debug)]
pub(crate) struct CsatScale {
    function: &'static str,
    scale: ScoreScale,
    satisfied_from: f64,
}

impl CsatScale {
    /// The scale of a `csat`-style call from its constant `max_score` (default 5): 0…max_score,
    /// satisfied from max_score − 1.
    pub(crate) fn new(function: &'static str, constants: &[Option<ScalarValue>]) -> Result<Self> {
        let max = max_score(function, constants[0].as_ref(), CSAT_DEFAULT_MAX_SCORE)?;
        Ok(Self {
            function,
            scale: ScoreScale { min: 0.0, max },
            satisfied_from: max - 1.0,
        })
    }

    /// Calls `f(row, weight, satisfied)` for every answer, with `satisfied` 0 or 1.
    #[inline]
    pub(crate) fn for_each_answer(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut f: impl FnMut(usize, f64, f64),
    ) -> Result<()> {
        let weight_arg = SurveyArgs::ScoreOnScale.weight_arg();
        for_each_weighted_score(
            self.function,
            &self.scale,
            inputs,
            weight_arg,
            rows,
            |row, score, w| f(row, w, f64::from(u8::from(score >= self.satisfied_from))),
        )
    }
}

/// Tallies the weight of all answers and of the answers in the top two boxes.
#[derive(Debug)]
pub(crate) struct CsatRule(CsatScale);

impl TallyRule for CsatRule {
    type Sums = [f64; 2];
    const STATE: StateLayout = StateLayout::Sums;

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        self.0.for_each_answer(inputs, rows, |row, w, satisfied| {
            add(row, Tally::uncounted([w, w * satisfied]))
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        let [weight, satisfied] = tally.sums;
        (weight > 0.0).then(|| 100.0 * satisfied / weight)
    }
}

impl Metric for Csat {
    const NAME: &'static str = "csat";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["weight", "satisfied"];
    const REQUIRED_ARGS: &'static [usize] = SCORE_ON_SCALE_COLUMNS;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = MAX_SCORE_ARG;
    type Rule = CsatRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer Satisfaction score: the percentage of answers in the top two boxes \
                 (score ≥ max_score − 1) of a 0…max_score scale, a DOUBLE from 0 to 100. With a \
                 weight column, the share of the total weight. Rows with a NULL score or weight \
                 are skipped; a group without scores (or with total weight 0) gives NULL. A score \
                 that is not a whole number from 0 to max_score, or a negative, NaN or infinite \
                 weight, is an error.",
                "csat(score [, max_score [, weight]])",
            )
            .with_sql_example("```sql\nSELECT channel, csat(csat_score) AS csat\nFROM responses\nGROUP BY channel;\n\n-- a 1–10 scale: 9 and 10 are satisfied\nSELECT csat(score, 10) FROM ratings;\n\n-- weighted answers on the default 0–5 scale\nSELECT csat(csat_score, 5, survey_weight) FROM responses;\n```")
            .with_argument("score", "Answer from 0 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 5.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("csat_summary")
            .with_related_udf("nps")
            .with_related_udf("ces")
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

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CsatRule> {
        Ok(CsatRule(CsatScale::new(Self::NAME, constants)?))
    }
}

shared_udaf!(
    /// The `csat` aggregate function.
    csat_udaf,
    Csat
);
