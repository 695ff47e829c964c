//! `nps(score)`: the Net Promoter Score.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation};

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::check_arg_count;
use crate::common::rows::SelectedRows;
use crate::common::scores::{
    NPS_DETRACTOR_UP_TO, NPS_PROMOTER_FROM, NPS_SCALE, coerce_score, for_each_score, score_types,
};
use crate::common::tally::{Tally, TallyDefinition, TallyRule, tally_udaf};

/// The Net Promoter Score: 100 × (promoters − detractors) / responses, from −100 to 100.
#[derive(Debug)]
pub(crate) struct Nps;

/// Tallies promoters (9–10) and detractors (0–6).
#[derive(Debug)]
pub(crate) struct NpsRule;

impl TallyRule for NpsRule {
    type Sums = [f64; 2];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        for_each_score("nps", &NPS_SCALE, &inputs[0], rows, |row, score| {
            let promoter = (score >= NPS_PROMOTER_FROM) as u8 as f64;
            let detractor = (score <= NPS_DETRACTOR_UP_TO) as u8 as f64;
            add(row, Tally::row([promoter, detractor]))
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then(|| 100.0 * (tally.sums[0] - tally.sums[1]) / tally.count as f64)
    }
}

impl TallyDefinition for Nps {
    const NAME: &'static str = "nps";
    const COUNT_NAME: &'static str = "responses";
    const SUM_NAMES: &'static [&'static str] = &["promoters", "detractors"];
    const COLUMN_ARGS: usize = 1;
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[];
    type Rule = NpsRule;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Net Promoter Score of 0–10 \"how likely are you to recommend us\" answers: \
                 100 × (promoters (9–10) − detractors (0–6)) / responses, a DOUBLE from −100 to 100. \
                 NULL scores are skipped; a group without scores gives NULL. A score that is not a \
                 whole number from 0 to 10 is an error.",
                "nps(score)",
            )
            .with_sql_example(
                "```sql\nSELECT segment, nps(nps_score) AS nps\nFROM responses\nGROUP BY segment;\n```",
            )
            .with_argument("score", "Answer on the 0–10 scale: any integer, floating point or DECIMAL column.")
            .with_related_udf("nps_group")
            .with_related_udf("csat")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        score_types().into_iter().map(|score| vec![score]).collect()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 1, 1, "nps(score)")?;
        Ok(vec![coerce_score(Self::NAME, &arg_types[0])?])
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<NpsRule> {
        Ok(NpsRule)
    }
}

/// The `nps` aggregate function.
pub fn nps_udaf() -> Arc<AggregateUDF> {
    tally_udaf::<Nps>()
}
