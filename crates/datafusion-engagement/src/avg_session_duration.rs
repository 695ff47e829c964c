//! `avg_session_duration(session_id, event_time)`: mean session length in seconds.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::{coerce_event_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::check_arg_count;
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIdKind;
use crate::families::key_values::TimeSpan;
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
                "Average session duration: the mean over sessions of (last − first event_time) \
                 in seconds, a DOUBLE; a single-event session lasts 0 seconds. Exact, to the \
                 microsecond. Rows with a NULL input are skipped; a group without sessions gives \
                 NULL. Naive timestamps are read as UTC, dates as midnight.",
                "avg_session_duration(session_id, event_time)",
            )
            .with_sql_example("```sql\nSELECT device, avg_session_duration(session_id, viewed_at) / 60 AS minutes\nFROM page_views\nGROUP BY device;\n```")
            .with_argument("session_id", "Session identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.")
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

shared_udaf!(
    /// The `avg_session_duration` aggregate function.
    avg_session_duration_udaf,
    AvgSessionDuration
);
