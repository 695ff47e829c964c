//! `time_on_page(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY
//! event_time)`: seconds from each page view to the next in its session.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Documentation;

use crate::families::session_windows::{
    SessionColumn, SessionOrder, session_window_documentation, shared_session_window,
};
use crate::families::sessions::SESSION_RULE_DOC;

/// Seconds to the next view of the same session; NULL for a session's last view.
#[derive(Debug)]
pub(crate) struct TimeOnPage;

shared_session_window!(
    /// The `time_on_page` window function.
    time_on_page_udwf,
    TimeOnPage
);

impl SessionColumn for TimeOnPage {
    const NAME: &'static str = "time_on_page";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            session_window_documentation(
                "time_on_page",
                format!(
                    "Time on page: the seconds from each page view to the next view of the same \
                     session, a DOUBLE; NULL for the last view of a session (there is no next \
                     view to time it by, as web analytics tools count it) and for a NULL \
                     event_time. Two views at one instant: the first gets 0. {SESSION_RULE_DOC} \
                     avg() of it by page is the average time on page."
                ),
                "```sql\n-- time on page and exit rate per URL, from a raw page-view log\nSELECT url, count(*) AS views,\n       avg(seconds) AS avg_time_on_page,\n       100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate\nFROM (SELECT url, time_on_page(viewed_at) OVER w AS seconds,\n             session_exit(viewed_at) OVER w AS is_exit\n      FROM page_views\n      WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at))\nGROUP BY url;\n```",
                "When the page was viewed",
            )
            .with_related_udf("session_exit")
            .with_related_udf("sessionize")
            .build()
        });
        &DOCUMENTATION
    }

    fn return_type() -> DataType {
        DataType::Float64
    }

    fn column(order: &SessionOrder) -> ArrayRef {
        let seconds = |place: usize| {
            let next = order.next_in_session(place)?;
            let (from, to) = (
                order.times[order.order[place]],
                order.times[order.order[next]],
            );
            Some((i128::from(to) - i128::from(from)) as f64 / 1e6)
        };
        Arc::new(Float64Array::from(order.by_row(seconds)))
    }
}
