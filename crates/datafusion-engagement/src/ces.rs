//! `ces(score [, max_score])`: the Customer Effort Score.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation};

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::rows::SelectedRows;
use crate::common::scores::{
    ScoreScale, coerce_score_args, for_each_score, max_score, score_example_args,
};
use crate::common::tally::{Tally, TallyDefinition, TallyRule, tally_udaf};

/// The mean answer to "how easy was it to …" on a 1…max_score scale.
#[derive(Debug)]
pub(crate) struct Ces;

/// Tallies the sum of the answers.
#[derive(Debug)]
pub(crate) struct CesRule {
    scale: ScoreScale,
}

impl TallyRule for CesRule {
    type Sums = [f64; 1];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        for_each_score("ces", &self.scale, &inputs[0], rows, |row, score| {
            add(row, Tally::row([score]))
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then(|| tally.sums[0] / tally.count as f64)
    }
}

impl TallyDefinition for Ces {
    const NAME: &'static str = "ces";
    const COUNT_NAME: &'static str = "responses";
    const SUM_NAMES: &'static [&'static str] = &["score_sum"];
    const COLUMN_ARGS: usize = 1;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(1, "max_score")];
    type Rule = CesRule;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer Effort Score: the mean answer on a 1…max_score scale (default 1–7), a \
                 DOUBLE. NULL scores are skipped; a group without scores gives NULL. A score that \
                 is not a whole number from 1 to max_score is an error.",
                "ces(score [, max_score])",
            )
            .with_sql_example("```sql\nSELECT channel, round(ces(ces_score), 2) AS ces\nFROM responses\nGROUP BY channel;\n\n-- a 1–5 scale\nSELECT ces(score, 5) FROM effort_survey;\n```")
            .with_argument("score", "Answer from 1 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 7.")
            .with_related_udf("csat")
            .with_related_udf("nps")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        score_example_args()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_score_args(Self::NAME, arg_types)
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CesRule> {
        let max = max_score(Self::NAME, constants[0].as_ref(), 7)?;
        Ok(CesRule {
            scale: ScoreScale { min: 1.0, max },
        })
    }
}

/// The `ces` aggregate function.
pub fn ces_udaf() -> Arc<AggregateUDF> {
    tally_udaf::<Ces>()
}
