//! `avg_session_duration(session_id, event_time)` or `avg_session_duration(user_id, event_time,
//! gap [, max_length])`: mean session length in seconds.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::{coerce_event_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::check_arg_count;
use crate::common::metric::{Distinct, Metric, shared_overloaded_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIdKind;
use crate::families::key_values::TimeSpan;
use crate::families::sessions::{
    FROM_LOG_DOC, GAP_ARG, GAP_DOC, MAX_LENGTH_DOC, SESSION_OR_USER_DOC, SessionsFromLog,
    raw_log_form,
};
use crate::kernels::keyed::{KeyedKernel, KeyedRule};

/// The mean over sessions of (last − first event time).
#[derive(Debug)]
pub(crate) struct AvgSessionDuration;

/// Keeps each session's first and last event time.
#[derive(Debug)]
pub(crate) struct DurationRule;

/// Sessions and their total length of a group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Durations {
    sessions: u64,
    microseconds: i128,
}

impl KeyedRule for DurationRule {
    type Value = TimeSpan;
    type Summary = Durations;

    fn row_values(&self, inputs: &[ArrayRef], _rows: &SelectedRows) -> Result<Vec<TimeSpan>> {
        Ok(microseconds_since_epoch(&inputs[1])?
            .iter()
            .map(|&time| TimeSpan {
                first: time,
                last: time,
            })
            .collect())
    }

    fn fold(summary: &mut Durations, span: &TimeSpan) {
        summary.sessions += 1;
        summary.microseconds += span.last as i128 - span.first as i128;
    }

    fn result(&self, summary: &Durations) -> Option<f64> {
        (summary.sessions > 0).then(|| summary.microseconds as f64 / 1e6 / summary.sessions as f64)
    }
}

impl Metric for AvgSessionDuration {
    const NAME: &'static str = "avg_session_duration";
    const UNIT: Option<&'static str> = Some("s");
    const STATE_NAMES: &'static [&'static str] = &["sessions"];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    const DISTINCT: Distinct = Distinct::Unchanged;
    type Rule = DurationRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "Average session duration: the mean over sessions of (last − first \
                     event_time) in seconds, a DOUBLE; a single-event session lasts 0 seconds. \
                     Exact, to the microsecond. Rows with a NULL input are skipped; a group \
                     without sessions gives NULL. Naive timestamps are read as UTC, dates as \
                     midnight. {FROM_LOG_DOC}"
                ),
                "avg_session_duration(session_id, event_time) or avg_session_duration(user_id, event_time, gap [, max_length])",
            )
            .with_sql_example("```sql\nSELECT device, avg_session_duration(session_id, viewed_at) / 60 AS minutes\nFROM page_views\nGROUP BY device;\n\n-- from a raw log: sessions end after 30 minutes without a view\nSELECT device, avg_session_duration(user_id, viewed_at, INTERVAL '30 minutes') / 60 AS minutes\nFROM page_views\nGROUP BY device;\n```")
            .with_argument("session_id | user_id", SESSION_OR_USER_DOC)
            .with_argument("event_time", "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("gap", GAP_DOC)
            .with_argument("max_length", MAX_LENGTH_DOC)
            .with_related_udf("pages_per_session")
            .with_related_udf("bounce_rate")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 2, 2, Self::usage())?;
        Ok(vec![
            UserIdKind::coerce(Self::NAME, "session_id", &arg_types[0])?,
            coerce_event_time(Self::NAME, "event_time", &arg_types[1])?,
        ])
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .map(|session| vec![session, time.clone()])
            .to_vec()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<DurationRule> {
        Ok(DurationRule)
    }
}

raw_log_form!(AvgSessionDuration, |totals| (totals.sessions > 0)
    .then(|| totals.microseconds as f64 / 1e6 / totals.sessions as f64));

shared_overloaded_udaf!(
    /// The `avg_session_duration` aggregate function.
    avg_session_duration_udaf,
    AvgSessionDuration,
    SessionsFromLog<AvgSessionDuration>,
    GAP_ARG + 1
);
