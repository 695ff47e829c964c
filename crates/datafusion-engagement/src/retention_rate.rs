//! `retention_rate(active_at_start, active_at_end)`: the share of customers kept over a period.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::families::active_flags::{
    ActiveFlagsRule, active_flags_example_args, coerce_active_flags_args,
};
use crate::kernels::tally::TallyKernel;

/// 100 × customers active at start and at end / customers active at start.
#[derive(Debug)]
pub(crate) struct RetentionRate;

impl Metric for RetentionRate {
    const NAME: &'static str = "retention_rate";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["customers_at_start", "retained"];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    type Rule = ActiveFlagsRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer retention rate: the percentage of customers active at the start of the \
                 period who are still active at its end, 100 × count(start AND end) / count(start), \
                 a DOUBLE from 0 to 100. The articles' (customers at end − new customers) / \
                 customers at start gives the same number only when the new customers counted \
                 are those still active at the end (new customers who left during the period \
                 make it lower). Rows with either input NULL are skipped; a group with no \
                 customer active at start gives NULL.",
                "retention_rate(active_at_start, active_at_end)",
            )
            .with_sql_example("```sql\nSELECT plan, retention_rate(active_at_start, active_at_end) AS retention\nFROM customers\nGROUP BY plan;\n```")
            .with_argument("active_at_start", "BOOLEAN: the customer was active when the period began.")
            .with_argument("active_at_end", "BOOLEAN: the customer was active when the period ended.")
            .with_related_udf("churn_rate")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        active_flags_example_args()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_active_flags_args(Self::NAME, arg_types)
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<ActiveFlagsRule> {
        Ok(ActiveFlagsRule {
            counted_when_active_at_end: true,
        })
    }
}

shared_udaf!(
    /// The `retention_rate` aggregate function.
    retention_rate_udaf,
    RetentionRate
);
