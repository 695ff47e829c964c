//! `session_summary(user_id, event_time, gap [, max_length])`: a raw log's sessions and their
//! bounce rate, pages per session and average length, in one aggregate.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::shared_udaf;
use crate::families::sessions::{
    FROM_LOG_DOC, GAP_DOC, MAX_LENGTH_DOC, SessionMeasure, SessionTotals, SessionsFromLog,
};
use crate::kernels::timelines::{OneRow, result_row};

/// The session metrics of a raw log together: the sessions are made once.
#[derive(Debug)]
pub(crate) struct SessionSummary;

result_row! {
    /// A group's sessions and what they add up to.
    pub(crate) struct SessionSummaryRow {
        sessions: i64,
        page_views: i64,
        bounce_rate: Option<f64>,
        pages_per_session: Option<f64>,
        avg_session_duration: Option<f64>,
    }
}

impl SessionMeasure for SessionSummary {
    const FUNCTION: &'static str = "session_summary";
    const RESULT_UNIT: Option<&'static str> = None;
    const RESULT_FIELD_UNITS: &'static [(&'static str, &'static str)] = &[
        ("bounce_rate", "%"),
        ("pages_per_session", "pages"),
        ("avg_session_duration", "s"),
    ];
    type Output = OneRow<SessionSummaryRow>;

    fn function_documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "The sessions of a raw event log and what they add up to, in one \
                     aggregate: {{sessions, page_views, bounce_rate, pages_per_session, \
                     avg_session_duration}} — the numbers bounce_rate, pages_per_session and \
                     avg_session_duration give from the same arguments (in %, pages and \
                     seconds), for the cost of one of them. {FROM_LOG_DOC} A group without \
                     rows gives NULL."
                ),
                "session_summary(user_id, event_time, gap [, max_length])",
            )
            .with_sql_example("```sql\nSELECT channel, s['sessions'] AS sessions, s['bounce_rate'] AS bounce_pct,\n       s['pages_per_session'] AS pages, s['avg_session_duration'] / 60 AS minutes\nFROM (SELECT channel, session_summary(user_id, viewed_at, INTERVAL '30 minutes') AS s\n      FROM page_views GROUP BY channel);\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("gap", GAP_DOC)
            .with_argument("max_length", MAX_LENGTH_DOC)
            .with_related_udf("bounce_rate")
            .with_related_udf("sessionize")
            .build()
        });
        &DOCUMENTATION
    }

    fn of_totals(totals: &SessionTotals) -> SessionSummaryRow {
        let per_session =
            |total: f64| (totals.sessions > 0).then(|| total / totals.sessions as f64);
        SessionSummaryRow {
            sessions: totals.sessions as i64,
            page_views: totals.views as i64,
            bounce_rate: per_session(100.0 * totals.bounces as f64),
            pages_per_session: per_session(totals.views as f64),
            avg_session_duration: per_session(totals.microseconds as f64 / 1e6),
        }
    }
}

shared_udaf!(
    /// The `session_summary` aggregate function.
    session_summary_udaf,
    SessionsFromLog<SessionSummary>
);
