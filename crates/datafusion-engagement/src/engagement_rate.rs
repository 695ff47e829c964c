//! `engagement_rate(interactions, reach)`: social engagement rate.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::families::ratio::{RatioRule, coerce_ratio_args};
use crate::kernels::tally::TallyKernel;

const ARGUMENTS: [&str; 2] = ["interactions", "reach"];

/// 100 × Σinteractions / Σreach.
#[derive(Debug)]
pub(crate) struct EngagementRate;

impl Metric for EngagementRate {
    const NAME: &'static str = "engagement_rate";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["rows", ARGUMENTS[0], ARGUMENTS[1]];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    type Rule = RatioRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Engagement rate of social posts: 100 × Σinteractions / Σreach, a DOUBLE, where \
                 interactions are likes + shares + comments and reach is impressions or \
                 followers. Rows with a NULL input are skipped; a group with no reach gives NULL; \
                 a negative, NaN or infinite count is an error.",
                "engagement_rate(interactions, reach)",
            )
            .with_sql_example("```sql\nSELECT channel, engagement_rate(likes + shares + comments, impressions) AS rate_pct\nFROM posts\nGROUP BY channel;\n```")
            .with_argument("interactions", "Interactions with the post (any numeric type).")
            .with_argument("reach", "Impressions or followers the post reached (any numeric type).")
            .with_related_udf("ctr")
            .build()
        });
        &DOCUMENTATION
    }

    // Only coerced types: an example signature matching the input exactly would skip coercion.
    fn example_arg_types() -> Vec<Vec<DataType>> {
        vec![vec![DataType::Float64, DataType::Float64]]
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_ratio_args(Self::NAME, ARGUMENTS, None, arg_types)
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<RatioRule> {
        Ok(RatioRule {
            function: Self::NAME,
            arguments: ARGUMENTS,
        })
    }
}

shared_udaf!(
    /// The `engagement_rate` aggregate function.
    engagement_rate_udaf,
    EngagementRate
);
