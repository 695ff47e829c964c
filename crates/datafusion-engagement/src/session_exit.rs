//! `session_exit(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY
//! event_time)`: whether each page view is the last of its session — the exit page.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Documentation;

use crate::families::session_windows::{
    SessionColumn, SessionOrder, session_window_documentation, shared_session_window,
};
use crate::families::sessions::SESSION_RULE_DOC;

/// True for the last view of each session.
#[derive(Debug)]
pub(crate) struct SessionExit;

shared_session_window!(
    /// The `session_exit` window function.
    session_exit_udwf,
    SessionExit
);

impl SessionColumn for SessionExit {
    const NAME: &'static str = "session_exit";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            session_window_documentation(
                "session_exit",
                format!(
                    "Whether each page view is the last of its session (the page the visitor \
                     left from), a BOOLEAN; NULL for a NULL event_time. Of views at one \
                     instant, the last to come ends the session. {SESSION_RULE_DOC} A page's \
                     exit rate is 100 × its exits / its views: 100 * avg(CAST(is_exit AS \
                     DOUBLE)) by page."
                ),
                "```sql\n-- exit rate per URL\nSELECT url, 100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate\nFROM (SELECT url, session_exit(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS is_exit\n      FROM page_views)\nGROUP BY url;\n```",
                "When the page was viewed",
            )
            .with_related_udf("session_entry")
            .with_related_udf("time_on_page")
            .build()
        });
        &DOCUMENTATION
    }

    fn return_type() -> DataType {
        DataType::Boolean
    }

    fn column(order: &SessionOrder) -> ArrayRef {
        let last = |place: usize| Some(order.next_in_session(place).is_none());
        Arc::new(BooleanArray::from(order.by_row(last)))
    }
}
