//! `ctr(clicks, impressions)` / `ctr(clicked)`: click-through rate.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::families::ratio::{RatioRule, coerce_ratio_args};
use crate::kernels::tally::TallyKernel;

const ARGUMENTS: [&str; 2] = ["clicks", "impressions"];

/// 100 × Σclicks / Σimpressions, or the share of true rows of a BOOLEAN.
#[derive(Debug)]
pub(crate) struct Ctr;

impl Metric for Ctr {
    const NAME: &'static str = "ctr";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["rows", ARGUMENTS[0], ARGUMENTS[1]];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    type Rule = RatioRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Click-through rate: 100 × Σclicks / Σimpressions over numeric count columns, a \
                 DOUBLE. With one BOOLEAN argument each row is one impression and the result is \
                 the percentage of true rows. Rows with a NULL input are skipped; a group with no \
                 impressions gives NULL; a negative, NaN or infinite count is an error.",
                "ctr(clicks, impressions)",
            )
            .with_alternative_syntax("ctr(clicked)")
            .with_sql_example("```sql\nSELECT campaign, ctr(clicks, impressions) AS ctr_pct\nFROM ad_stats\nGROUP BY campaign;\n\nSELECT placement, ctr(clicked) FROM impressions GROUP BY placement;\n```")
            .with_argument("clicks", "Number of clicks in the row (any numeric type).")
            .with_argument("impressions", "Number of impressions in the row (any numeric type).")
            .with_argument("clicked", "BOOLEAN: this impression was clicked (one-argument form).")
            .with_related_udf("engagement_rate")
            .build()
        });
        &DOCUMENTATION
    }

    // Only coerced types: an example signature matching the input exactly would skip coercion.
    fn example_arg_types() -> Vec<Vec<DataType>> {
        vec![
            vec![DataType::Float64, DataType::Float64],
            vec![DataType::Boolean],
        ]
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_ratio_args(Self::NAME, ARGUMENTS, Some("clicked"), arg_types)
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<RatioRule> {
        Ok(RatioRule {
            function: Self::NAME,
            arguments: ARGUMENTS,
        })
    }
}

shared_udaf!(
    /// The `ctr` aggregate function.
    ctr_udaf,
    Ctr
);
