//! `bounce_rate(session_id)`: the share of sessions with a single page view.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::families::key_values::{RowCount, coerce_session_arg, session_arg_examples};
use crate::kernels::keyed::{KeyedKernel, KeyedRule};

/// 100 × sessions with exactly one row / sessions.
#[derive(Debug)]
pub(crate) struct BounceRate;

/// Counts rows per session.
#[derive(Debug)]
pub(crate) struct BounceRule;

/// Sessions and single-row sessions of a group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounces {
    sessions: u64,
    bounces: u64,
}

impl KeyedRule for BounceRule {
    type Value = RowCount;
    type Summary = Bounces;

    fn row_values(&self, inputs: &[ArrayRef], _rows: &SelectedRows) -> Result<Vec<RowCount>> {
        Ok(RowCount::one_per_row(inputs))
    }

    fn fold(summary: &mut Bounces, value: &RowCount) {
        summary.sessions += 1;
        summary.bounces += u64::from(value.0 == 1);
    }

    fn result(&self, summary: &Bounces) -> Option<f64> {
        (summary.sessions > 0).then(|| 100.0 * summary.bounces as f64 / summary.sessions as f64)
    }
}

impl Metric for BounceRate {
    const NAME: &'static str = "bounce_rate";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["sessions"];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    type Rule = BounceRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Bounce rate: 100 × sessions with exactly one row / sessions, where each row is \
                 a page view, a DOUBLE from 0 to 100. Exact. Rows with a NULL session_id are \
                 skipped; a group without sessions gives NULL. A session split across groups \
                 counts in each group with its rows there.",
                "bounce_rate(session_id)",
            )
            .with_sql_example("```sql\nSELECT landing_page, bounce_rate(session_id) AS bounce\nFROM page_views\nGROUP BY landing_page;\n```")
            .with_argument("session_id", "Session identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_related_udf("pages_per_session")
            .with_related_udf("avg_session_duration")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_session_arg(Self::NAME, arg_types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        session_arg_examples()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<BounceRule> {
        Ok(BounceRule)
    }
}

shared_udaf!(
    /// The `bounce_rate` aggregate function.
    bounce_rate_udaf,
    BounceRate
);
