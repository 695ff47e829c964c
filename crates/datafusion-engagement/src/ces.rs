//! `ces(score [, max_score [, weight]])`: the Customer Effort Score.

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
    MAX_SCORE_ARG, SCORE_ON_SCALE_COLUMNS, SurveyArgs, ces_scale, for_each_weighted_score,
};
use crate::kernels::tally::{StateLayout, Tally, TallyKernel, TallyRule};

/// The mean answer to "how easy was it to …" on a 1…max_score scale.
#[derive(Debug)]
pub(crate) struct Ces;

/// Tallies the weight of the answers and their weighted sum.
#[derive(Debug)]
pub(crate) struct CesRule {
    scale: ScoreScale,
}

impl TallyRule for CesRule {
    type Sums = [f64; 2];
    const STATE: StateLayout = StateLayout::Sums;

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        let weight_arg = SurveyArgs::ScoreOnScale.weight_arg();
        for_each_weighted_score(
            Ces::NAME,
            &self.scale,
            inputs,
            weight_arg,
            rows,
            |row, score, w| add(row, Tally::uncounted([w, w * score])),
        )
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        let [weight, score_sum] = tally.sums;
        (weight > 0.0).then(|| score_sum / weight)
    }
}

impl Metric for Ces {
    const NAME: &'static str = "ces";
    const UNIT: Option<&'static str> = Some("score");
    const STATE_NAMES: &'static [&'static str] = &["weight", "score_sum"];
    const REQUIRED_ARGS: &'static [usize] = SCORE_ON_SCALE_COLUMNS;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = MAX_SCORE_ARG;
    type Rule = CesRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer Effort Score: the mean answer on a 1…max_score scale (default 1–7), a \
                 DOUBLE; with a weight column, the weighted mean. Rows with a NULL score or weight \
                 are skipped; a group without scores (or with total weight 0) gives NULL. A score \
                 that is not a whole number from 1 to max_score, or a negative, NaN or infinite \
                 weight, is an error.",
                "ces(score [, max_score [, weight]])",
            )
            .with_sql_example("```sql\nSELECT channel, round(ces(ces_score), 2) AS ces\nFROM responses\nGROUP BY channel;\n\n-- a 1–5 scale\nSELECT ces(score, 5) FROM effort_survey;\n\n-- weighted answers on the default 1–7 scale\nSELECT ces(ces_score, 7, survey_weight) FROM responses;\n```")
            .with_argument("score", "Answer from 1 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 7.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("ces_summary")
            .with_related_udf("csat")
            .with_related_udf("nps")
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

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CesRule> {
        Ok(CesRule {
            scale: ces_scale(Self::NAME, constants)?,
        })
    }
}

shared_udaf!(
    /// The `ces` aggregate function.
    ces_udaf,
    Ces
);
