//! `bounce_rate(session_id)` or `bounce_rate(user_id, event_time, gap [, max_length])`: the
//! share of sessions with a single page view.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Metric, shared_overloaded_udaf};
use crate::common::rows::SelectedRows;
use crate::families::key_values::{RowCount, coerce_session_arg, session_arg_examples};
use crate::families::sessions::{
    FROM_LOG_DOC, GAP_ARG, GAP_DOC, MAX_LENGTH_DOC, SESSION_OR_USER_DOC, SessionsFromLog,
    raw_log_form,
};
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
                format!(
                    "Bounce rate: 100 × sessions with exactly one row / sessions, where each row \
                     is a page view, a DOUBLE from 0 to 100. Exact. Rows with a NULL session_id \
                     are skipped; a group without sessions gives NULL. A session split across \
                     groups counts in each group with its rows there. {FROM_LOG_DOC}"
                ),
                "bounce_rate(session_id) or bounce_rate(user_id, event_time, gap [, max_length])",
            )
            .with_sql_example("```sql\nSELECT landing_page, bounce_rate(session_id) AS bounce\nFROM page_views\nGROUP BY landing_page;\n\n-- from a raw log: sessions end after 30 minutes without a view\nSELECT channel, bounce_rate(user_id, viewed_at, INTERVAL '30 minutes') AS bounce\nFROM page_views\nGROUP BY channel;\n```")
            .with_argument("session_id | user_id", SESSION_OR_USER_DOC)
            .with_argument("event_time", "In the raw-log form: when the page was viewed, a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("gap", GAP_DOC)
            .with_argument("max_length", MAX_LENGTH_DOC)
            .with_related_udf("pages_per_session")
            .with_related_udf("avg_session_duration")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_session_arg(Self::NAME, arg_types, Self::usage())
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        session_arg_examples()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<BounceRule> {
        Ok(BounceRule)
    }
}

raw_log_form!(BounceRate, |totals| (totals.sessions > 0)
    .then(|| 100.0 * totals.bounces as f64 / totals.sessions as f64));

shared_overloaded_udaf!(
    /// The `bounce_rate` aggregate function.
    bounce_rate_udaf,
    BounceRate,
    SessionsFromLog<BounceRate>,
    GAP_ARG + 1
);
