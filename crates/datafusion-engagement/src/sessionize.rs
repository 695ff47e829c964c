//! `sessionize(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY
//! event_time)`: the session number of each event of a raw log.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Documentation;

use crate::families::session_windows::{
    SessionColumn, SessionOrder, session_window_documentation, shared_session_window,
};
use crate::families::sessions::SESSION_RULE_DOC;

/// Each row's session number within its partition, from 1 in time order.
#[derive(Debug)]
pub(crate) struct Sessionize;

shared_session_window!(
    /// The `sessionize` window function.
    sessionize_udwf,
    Sessionize
);

impl SessionColumn for Sessionize {
    const NAME: &'static str = "sessionize";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            session_window_documentation(
                "sessionize",
                format!(
                    "The session number of each event, a BIGINT from 1 within its window \
                     partition (a user), in time order. {SESSION_RULE_DOC} Rows with a NULL \
                     event_time get NULL. Give a session an id across users with \
                     user_id || '-' || sessionize(…), or feed the raw log straight to \
                     bounce_rate, pages_per_session and avg_session_duration."
                ),
                "```sql\nSELECT user_id, viewed_at, url,\n       sessionize(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS session\nFROM page_views;\n\n-- sessions per user and day, 15 minutes of inactivity ending one\nSELECT user_id, count(DISTINCT session) AS sessions\nFROM (SELECT user_id, sessionize(viewed_at, INTERVAL '15 minutes')\n               OVER (PARTITION BY user_id ORDER BY viewed_at) AS session\n      FROM page_views)\nGROUP BY user_id;\n```",
                "When the event happened",
            )
            .with_related_udf("time_on_page")
            .with_related_udf("session_entry")
            .with_related_udf("session_exit")
            .build()
        });
        &DOCUMENTATION
    }

    fn return_type() -> DataType {
        DataType::Int64
    }

    fn column(order: &SessionOrder) -> ArrayRef {
        Arc::new(Int64Array::from(
            order.by_row(|place| Some(order.sessions[place])),
        ))
    }
}
