//! `csat(score [, max_score])`: the Customer Satisfaction score ("top-2 box").

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

/// Share of satisfied answers: 100 × answers in the top two boxes / answers.
#[derive(Debug)]
pub(crate) struct Csat;

/// Tallies answers in the top two boxes of a 0…max_score scale.
#[derive(Debug)]
pub(crate) struct CsatRule {
    scale: ScoreScale,
    satisfied_from: f64,
}

impl TallyRule for CsatRule {
    type Sums = [f64; 1];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        for_each_score("csat", &self.scale, &inputs[0], rows, |row, score| {
            add(
                row,
                Tally::row([(score >= self.satisfied_from) as u8 as f64]),
            )
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then(|| 100.0 * tally.sums[0] / tally.count as f64)
    }
}

impl TallyDefinition for Csat {
    const NAME: &'static str = "csat";
    const COUNT_NAME: &'static str = "responses";
    const SUM_NAMES: &'static [&'static str] = &["satisfied"];
    const COLUMN_ARGS: usize = 1;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(1, "max_score")];
    type Rule = CsatRule;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer Satisfaction score: the percentage of answers in the top two boxes \
                 (score ≥ max_score − 1) of a 0…max_score scale, a DOUBLE from 0 to 100. NULL \
                 scores are skipped; a group without scores gives NULL. A score that is not a \
                 whole number from 0 to max_score is an error.",
                "csat(score [, max_score])",
            )
            .with_sql_example("```sql\nSELECT channel, csat(csat_score) AS csat\nFROM responses\nGROUP BY channel;\n\n-- a 1–10 scale: 9 and 10 are satisfied\nSELECT csat(score, 10) FROM ratings;\n```")
            .with_argument("score", "Answer from 0 to max_score: any integer, floating point or DECIMAL column.")
            .with_argument("max_score", "Top of the scale, a whole-number constant of at least 2. Default 5.")
            .with_related_udf("nps")
            .with_related_udf("ces")
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

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CsatRule> {
        let max = max_score(Self::NAME, constants[0].as_ref(), 5)?;
        Ok(CsatRule {
            scale: ScoreScale { min: 0.0, max },
            satisfied_from: max - 1.0,
        })
    }
}

/// The `csat` aggregate function.
pub fn csat_udaf() -> Arc<AggregateUDF> {
    tally_udaf::<Csat>()
}
