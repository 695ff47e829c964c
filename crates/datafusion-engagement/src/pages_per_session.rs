//! `pages_per_session(session_id)`: page views per session.

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

/// Rows / distinct sessions.
#[derive(Debug)]
pub(crate) struct PagesPerSession;

/// Counts rows per session.
#[derive(Debug)]
pub(crate) struct PagesRule;

/// Sessions and rows of a group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pages {
    sessions: u64,
    rows: u64,
}

impl KeyedRule for PagesRule {
    type Value = RowCount;
    type Summary = Pages;

    fn row_values(&self, inputs: &[ArrayRef], _rows: &SelectedRows) -> Result<Vec<RowCount>> {
        Ok(RowCount::one_per_row(inputs))
    }

    fn fold(summary: &mut Pages, value: &RowCount) {
        summary.sessions += 1;
        summary.rows += value.0;
    }

    fn result(&self, summary: &Pages) -> Option<f64> {
        (summary.sessions > 0).then(|| summary.rows as f64 / summary.sessions as f64)
    }
}

impl Metric for PagesPerSession {
    const NAME: &'static str = "pages_per_session";
    const UNIT: Option<&'static str> = Some("pages");
    const STATE_NAMES: &'static [&'static str] = &["sessions"];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    type Rule = PagesRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "Pages per session: rows / distinct sessions, where each row is a page view, \
                     a DOUBLE of at least 1. Exact. Rows with a NULL session_id are skipped; a \
                     group without sessions gives NULL. {FROM_LOG_DOC}"
                ),
                "pages_per_session(session_id) or pages_per_session(user_id, event_time, gap [, max_length])",
            )
            .with_sql_example("```sql\nSELECT device, pages_per_session(session_id) AS pages\nFROM page_views\nGROUP BY device;\n\n-- from a raw log: sessions end after 30 minutes without a view\nSELECT device, pages_per_session(user_id, viewed_at, INTERVAL '30 minutes') AS pages\nFROM page_views\nGROUP BY device;\n```")
            .with_argument("session_id | user_id", SESSION_OR_USER_DOC)
            .with_argument("event_time", "In the raw-log form: when the page was viewed, a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("gap", GAP_DOC)
            .with_argument("max_length", MAX_LENGTH_DOC)
            .with_related_udf("bounce_rate")
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

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<PagesRule> {
        Ok(PagesRule)
    }
}

raw_log_form!(PagesPerSession, |totals| (totals.sessions > 0)
    .then(|| totals.views as f64 / totals.sessions as f64));

shared_overloaded_udaf!(
    /// The `pages_per_session` aggregate function.
    pages_per_session_udaf,
    PagesPerSession,
    SessionsFromLog<PagesPerSession>,
    GAP_ARG + 1
);
