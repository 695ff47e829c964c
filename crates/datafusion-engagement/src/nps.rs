//! `nps(score [, weight])`: the Net Promoter Score.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::scores::{NPS_DETRACTOR_UP_TO, NPS_PROMOTER_FROM, NPS_SCALE};
use crate::families::survey::{SCORE_COLUMNS, SurveyArgs, for_each_weighted_score};
use crate::kernels::tally::{StateLayout, Tally, TallyKernel, TallyRule};

/// The Net Promoter Score: 100 × (promoters − detractors) / responses, from −100 to 100.
#[derive(Debug)]
pub(crate) struct Nps;

/// How nps and nps_summary class an answer: promoters from 9, detractors up to 6.
///
/// The cut-offs are values read at run time, not constants: compared with constants, the
/// compiler turned the two comparisons of each answer into two branches, mispredicted as often
/// as answers come in random order (nps cost twice csat per row); compared with loaded values,
/// they stay branch-free masks, as csat's top box does.
#[derive(Debug)]
pub(crate) struct NpsClasses {
    promoter_from: f64,
    detractor_up_to: f64,
}

impl NpsClasses {
    pub(crate) fn new() -> Self {
        Self {
            promoter_from: NPS_PROMOTER_FROM,
            detractor_up_to: NPS_DETRACTOR_UP_TO,
        }
    }

    /// Calls `f(row, weight, promoter, detractor)` for every answer of an `nps`-style call
    /// (`f(score [, weight])`), with the flags as 0 or 1.
    #[inline]
    pub(crate) fn for_each_answer(
        &self,
        function: &str,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut f: impl FnMut(usize, f64, f64, f64),
    ) -> Result<()> {
        let weight_arg = SurveyArgs::Score.weight_arg();
        for_each_weighted_score(
            function,
            &NPS_SCALE,
            inputs,
            weight_arg,
            rows,
            |row, score, w| {
                let promoter = f64::from(u8::from(score >= self.promoter_from));
                let detractor = f64::from(u8::from(score <= self.detractor_up_to));
                f(row, w, promoter, detractor)
            },
        )
    }
}

/// Tallies the weight of all answers and the net weight of promoters (9–10) over detractors
/// (0–6); every weight is 1 without a weight column.
#[derive(Debug)]
pub(crate) struct NpsRule(NpsClasses);

impl TallyRule for NpsRule {
    type Sums = [f64; 2];
    const STATE: StateLayout = StateLayout::Sums;

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        self.0
            .for_each_answer(Nps::NAME, inputs, rows, |row, w, promoter, detractor| {
                add(row, Tally::uncounted([w, w * (promoter - detractor)]))
            })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        let [weight, net] = tally.sums;
        (weight > 0.0).then(|| 100.0 * net / weight)
    }
}

impl Metric for Nps {
    const NAME: &'static str = "nps";
    const UNIT: Option<&'static str> = Some("NPS");
    const STATE_NAMES: &'static [&'static str] = &["weight", "net_promoters"];
    const REQUIRED_ARGS: &'static [usize] = SCORE_COLUMNS;
    type Rule = NpsRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Net Promoter Score of 0–10 \"how likely are you to recommend us\" answers: \
                 100 × (promoters (9–10) − detractors (0–6)) / responses, a DOUBLE from −100 to 100. \
                 With a weight column, shares are of the total weight instead of the count. \
                 Rows with a NULL score or weight are skipped; a group without scores (or with \
                 total weight 0) gives NULL. A score that is not a whole number from 0 to 10, or a \
                 negative, NaN or infinite weight, is an error.",
                "nps(score [, weight])",
            )
            .with_sql_example(
                "```sql\nSELECT segment, nps(nps_score) AS nps\nFROM responses\nGROUP BY segment;\n\n-- weighted to the customer base\nSELECT nps(nps_score, survey_weight) FROM responses;\n```",
            )
            .with_argument("score", "Answer on the 0–10 scale: any integer, floating point or DECIMAL column.")
            .with_argument("weight", "Optional survey weight of the answer: a number of at least 0.")
            .with_related_udf("nps_summary")
            .with_related_udf("nps_group")
            .with_related_udf("csat")
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

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<NpsRule> {
        Ok(NpsRule(NpsClasses::new()))
    }
}

shared_udaf!(
    /// The `nps` aggregate function.
    nps_udaf,
    Nps
);
