//! `session_entry(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY
//! event_time)`: whether each page view opens its session — the entry (landing) page.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Documentation;

use crate::families::session_windows::{
    SessionColumn, SessionOrder, session_window_documentation, shared_session_window,
};
use crate::families::sessions::SESSION_RULE_DOC;

/// True for the first view of each session.
#[derive(Debug)]
pub(crate) struct SessionEntry;

shared_session_window!(
    /// The `session_entry` window function.
    session_entry_udwf,
    SessionEntry
);

impl SessionColumn for SessionEntry {
    const NAME: &'static str = "session_entry";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            session_window_documentation(
                "session_entry",
                format!(
                    "Whether each page view is the first of its session (its entry or landing \
                     page), a BOOLEAN; NULL for a NULL event_time. Of views at one instant, the \
                     first to come opens the session. {SESSION_RULE_DOC} Entrances per page are \
                     count(*) FILTER (WHERE is_entry)."
                ),
                "```sql\n-- landing pages: entrances and their bounce rate\nSELECT url AS landing_page, count(*) AS entrances\nFROM (SELECT url, session_entry(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS is_entry\n      FROM page_views)\nWHERE is_entry\nGROUP BY url ORDER BY entrances DESC;\n```",
                "When the page was viewed",
            )
            .with_related_udf("session_exit")
            .with_related_udf("sessionize")
            .build()
        });
        &DOCUMENTATION
    }

    fn return_type() -> DataType {
        DataType::Boolean
    }

    fn column(order: &SessionOrder) -> ArrayRef {
        Arc::new(BooleanArray::from(
            order.by_row(|place| Some(order.opens(place))),
        ))
    }
}
