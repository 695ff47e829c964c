//! What the session functions share: where a user's events break into sessions, and what the
//! sessions of a raw event log add up to.
//!
//! A session ends when the next event comes **more than** `gap` after the one before (30
//! minutes by default, the web analytics convention; a gap of exactly `gap` stays in the
//! session, as the usual `lag(t) + gap >= t` SQL has it), or when the event would make the
//! session last more than `max_length` from its first event. Times are compared as DataFusion
//! adds an INTERVAL to them, in the event times' own zone. Used by the window functions
//! (`sessionize`, `time_on_page`, `session_entry`, `session_exit`), by `session_summary` and
//! by the raw-log forms of `bounce_rate`, `pages_per_session` and `avg_session_duration`.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::Range;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::intervals::{IntervalArithmetic, coerce_interval, positive_interval};
use crate::calendar::zoned_days::coerce_event_time;
use crate::common::args::check_arg_count;
use crate::common::metric::{Distinct, Metric};
use crate::common::user_ids::UserIdKind;
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Output, ReducedSequences, Reductions, ResultRows,
    Row, TimelineMetric, result_row, result_type,
};

/// The gap that ends a session when the call names none: 30 minutes.
pub(crate) const DEFAULT_GAP: IntervalMonthDayNano =
    IntervalMonthDayNano::new(0, 0, 30 * 60 * 1_000_000_000);

/// The session rule in the window functions' documentation.
pub(crate) const SESSION_RULE_DOC: &str = "Rows are taken in time order within the partition \
    (whatever the window's ORDER BY); a new session starts when an event comes more than gap \
    (default 30 minutes) after the one before, or would make the session last longer than \
    max_length from its first event. Times compare as DataFusion adds an INTERVAL to them, in \
    the event times' own zone.";

/// The gap and maximum length arguments in the functions' documentation.
pub(crate) const GAP_DOC: &str = "How long a pause ends a session: a constant positive \
    INTERVAL. A gap of more than this between two events starts a new session; exactly this \
    much does not.";
pub(crate) const MAX_LENGTH_DOC: &str = "Optional: the longest a session may last from its \
    first event, a constant positive INTERVAL; an event later than that starts a new session.";

/// The raw-log form in the session metrics' documentation.
pub(crate) const FROM_LOG_DOC: &str = "From a raw event log, without a session id: with \
    user_id, event_time and gap, each user's events in time order make the sessions, a new one \
    when the next event comes more than gap after the one before or (with max_length) would \
    make the session last longer than max_length — the sessions sessionize() numbers. Every \
    row is a page view, two at one instant too. Exact across partitions; rows with a NULL \
    user_id or event_time are skipped.";

/// The first argument of the session metrics, in their documentation: a session id, or in
/// the raw-log form a user id (one position, so that parameter lists name it right).
pub(crate) const SESSION_OR_USER_DOC: &str = "Session identifier, or in the raw-log form the \
    user identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).";

/// A call's session rule: its constant gap and maximum length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionRule {
    gap: IntervalMonthDayNano,
    max_length: Option<IntervalMonthDayNano>,
}

impl SessionRule {
    /// From the constants `gap` (`None`: left out, [`DEFAULT_GAP`]) and `max_length`.
    pub(crate) fn of(
        function: &str,
        gap: Option<&ScalarValue>,
        max_length: Option<&ScalarValue>,
    ) -> Result<Self> {
        let gap = match gap {
            Some(gap) => positive_interval(function, "gap", gap)?,
            None => DEFAULT_GAP,
        };
        let max_length = max_length
            .map(|max| positive_interval(function, "max_length", max))
            .transpose()?;
        Ok(Self { gap, max_length })
    }
}

/// The types of a call's trailing gap and max_length arguments, those given.
pub(crate) fn coerce_session_rule(function: &str, given: &[DataType]) -> Result<Vec<DataType>> {
    ["gap", "max_length"]
        .iter()
        .zip(given)
        .map(|(name, given)| coerce_interval(function, name, "30 minutes", given))
        .collect()
}

/// A session rule in the zone of the event times, on microseconds since 1970.
#[derive(Debug, Clone)]
pub(crate) struct SessionBreaks {
    gap: IntervalArithmetic,
    max_length: Option<IntervalArithmetic>,
}

impl SessionBreaks {
    pub(crate) fn new(rule: SessionRule, event_time: &DataType) -> Result<Self> {
        Ok(Self {
            gap: IntervalArithmetic::new(rule.gap, event_time)?,
            max_length: rule
                .max_length
                .map(|max| IntervalArithmetic::new(max, event_time))
                .transpose()?,
        })
    }

    /// Whether an event at `time` starts a new session after a session that started at
    /// `start` and whose last event was at `previous` (`start <= previous <= time`).
    #[inline]
    pub(crate) fn breaks(&self, start: i64, previous: i64, time: i64) -> bool {
        time > self.gap.add(previous, 1)
            || self
                .max_length
                .as_ref()
                .is_some_and(|max| time > max.add(start, 1))
    }

    /// The sessions of one user's event times, sorted: each session's positions.
    pub(crate) fn sessions<'a>(
        &'a self,
        times: &'a [i64],
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            let first = at;
            let start = *times.get(first)?;
            at += 1;
            while at < times.len() && !self.breaks(start, times[at - 1], times[at]) {
                at += 1;
            }
            Some(first..at)
        })
    }
}

/// What sessions add up to: the counts `bounce_rate`, `pages_per_session` and
/// `avg_session_duration` divide.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SessionTotals {
    pub sessions: u64,
    /// Sessions of one event.
    pub bounces: u64,
    /// Events (page views).
    pub views: u64,
    /// The sessions' lengths, last − first event time, summed.
    pub microseconds: i128,
}

impl SessionTotals {
    /// The totals of one user's event times, sorted.
    pub(crate) fn of_user(breaks: &SessionBreaks, times: &[i64]) -> Self {
        let mut totals = Self::default();
        for session in breaks.sessions(times) {
            totals.sessions += 1;
            totals.bounces += u64::from(session.len() == 1);
            totals.views += session.len() as u64;
            totals.microseconds +=
                i128::from(times[session.end - 1]) - i128::from(times[session.start]);
        }
        totals
    }

    pub(crate) fn add(&mut self, other: &Self) {
        self.sessions += other.sessions;
        self.bounces += other.bounces;
        self.views += other.views;
        self.microseconds += other.microseconds;
    }
}

/// What a session function of a raw log, `f(user_id, event_time, gap [, max_length])`, makes
/// of the log's [`SessionTotals`]: a metric (the raw-log forms of `bounce_rate`,
/// `pages_per_session`, `avg_session_duration`, sharing their name and documentation) or
/// all of them (`session_summary`).
pub(crate) trait SessionMeasure: Debug + Send + Sync + 'static {
    /// The SQL name, the unit of the result and of its fields (see [`Metric`]).
    const FUNCTION: &'static str;
    const RESULT_UNIT: Option<&'static str>;
    const RESULT_FIELD_UNITS: &'static [(&'static str, &'static str)] = &[];
    fn function_documentation() -> &'static Documentation;
    /// A group's result: one value or a STRUCT.
    type Output: Output;
    /// The result row of a group's totals.
    fn of_totals(totals: &SessionTotals) -> Row<SessionsFromLog<Self>>
    where
        Self: Sized;
}

/// Gives a session metric of this pack (a [`Metric`] of its own) its raw-log form: the value
/// of a group's `totals` is `$value`.
macro_rules! raw_log_form {
    ($metric:ty, |$totals:ident| $value:expr) => {
        impl $crate::families::sessions::SessionMeasure for $metric {
            const FUNCTION: &'static str = <Self as $crate::common::metric::Metric>::NAME;
            const RESULT_UNIT: Option<&'static str> =
                <Self as $crate::common::metric::Metric>::UNIT;
            type Output =
                $crate::kernels::timelines::OneValue<$crate::families::sessions::SessionValue>;

            fn function_documentation() -> &'static datafusion::logical_expr::Documentation {
                <Self as $crate::common::metric::Metric>::documentation()
            }

            fn of_totals(
                $totals: &$crate::families::sessions::SessionTotals,
            ) -> $crate::families::sessions::SessionValue {
                $crate::families::sessions::SessionValue::new($value)
            }
        }
    };
}
pub(crate) use raw_log_form;

/// The session metric `K` of a raw log: each group's users' events sessionized on the
/// event-sequence kernel, where every page view counts (two at one instant are two).
#[derive(Debug)]
pub(crate) struct SessionsFromLog<K>(PhantomData<K>);

/// Position of the gap among the raw-log form's arguments; its first.
pub(crate) const GAP_ARG: usize = 2;

impl<K: SessionMeasure> Metric for SessionsFromLog<K> {
    const NAME: &'static str = K::FUNCTION;
    const UNIT: Option<&'static str> = K::RESULT_UNIT;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = K::RESULT_FIELD_UNITS;
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] =
        &[(GAP_ARG, "gap"), (GAP_ARG + 1, "max_length")];
    // DISTINCT would merge page views at one instant, and change the number.
    const DISTINCT: Distinct = Distinct::Refused;
    const STATE_NAMES: &'static [&'static str] = &["users", "event_times", "is_start"];
    type Rule = SessionRule;
    type Kernel = EventSequenceKernel;

    /// The function's one documentation (which shows both forms of a metric that has two).
    fn documentation() -> &'static Documentation {
        K::function_documentation()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(
            K::FUNCTION,
            arg_types,
            GAP_ARG + 1,
            GAP_ARG + 2,
            Self::usage(),
        )?;
        let mut types = vec![
            UserIdKind::coerce(K::FUNCTION, "user_id", &arg_types[0])?,
            coerce_event_time(K::FUNCTION, "event_time", &arg_types[1])?,
        ];
        types.extend(coerce_session_rule(K::FUNCTION, &arg_types[GAP_ARG..])?);
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        let interval = DataType::Interval(IntervalUnit::MonthDayNano);
        UserIdKind::example_types()
            .into_iter()
            .map(|user| vec![user, time.clone(), interval.clone()])
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<SessionRule> {
        let Some(gap) = &constants[0] else {
            return plan_err!(
                "{}: gap is required with user_id and event_time",
                K::FUNCTION
            );
        };
        SessionRule::of(K::FUNCTION, Some(gap), constants[1].as_ref())
    }
}

result_row! {
    /// A session metric's value.
    pub(crate) struct SessionValue {
        value: Option<f64>,
    }
}

impl SessionValue {
    pub(crate) fn new(value: Option<f64>) -> Self {
        Self { value }
    }
}

/// The [`TimelineMetric`] items of a session function of a raw log, whose result is
/// `$output`: times in microseconds since 1970, and its session rule in their zone.
macro_rules! session_timelines {
    ($output:ty) => {
        type Context = $crate::families::sessions::SessionBreaks;
        type Output = $output;

        fn context(
            rule: $crate::families::sessions::SessionRule,
            event_time: &datafusion::arrow::datatypes::DataType,
            _arguments: usize,
        ) -> datafusion::error::Result<$crate::families::sessions::SessionBreaks> {
            $crate::families::sessions::SessionBreaks::new(rule, event_time)
        }

        fn values<'a>(
            _: &$crate::families::sessions::SessionBreaks,
            times: &'a datafusion::arrow::array::ArrayRef,
        ) -> datafusion::error::Result<std::borrow::Cow<'a, [i64]>> {
            $crate::calendar::zoned_days::microseconds_since_epoch(times)
        }
    };
}
pub(crate) use session_timelines;

impl<K: SessionMeasure> TimelineMetric for SessionsFromLog<K> {
    session_timelines!(K::Output);
}

impl<K: SessionMeasure> EventSequenceMetric for SessionsFromLog<K> {
    type Gathered = Reductions<Self>;

    fn row_bits(_: &SessionBreaks, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        every_row_one_event(arguments)
    }
}

/// The row bits of a raw log: every row is one event at its time.
pub(crate) fn every_row_one_event(arguments: &[ArrayRef]) -> Result<Vec<u64>> {
    Ok(vec![1; arguments[0].len()])
}

impl<K: SessionMeasure> ReducedSequences for SessionsFromLog<K> {
    type Reduced = SessionTotals;

    fn reduce(breaks: &SessionBreaks, times: &[i64]) -> Result<SessionTotals> {
        Ok(SessionTotals::of_user(breaks, times))
    }

    fn evaluate_group(
        _: &SessionBreaks,
        users: &[SessionTotals],
        rows: &mut ResultRows<Row<Self>>,
    ) -> Result<()> {
        let mut totals = SessionTotals::default();
        users.iter().for_each(|user| totals.add(user));
        rows.push(K::of_totals(&totals));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000_000;

    fn breaks(gap_minutes: i64, max_minutes: Option<i64>) -> SessionBreaks {
        let interval = |minutes: i64| {
            ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
                0,
                0,
                minutes * 60 * 1_000_000_000,
            )))
        };
        let (gap, max) = (interval(gap_minutes), max_minutes.map(interval));
        let rule = SessionRule::of("f", Some(&gap), max.as_ref()).unwrap();
        SessionBreaks::new(rule, &DataType::Date32).unwrap()
    }

    fn sessions(breaks: &SessionBreaks, minutes: &[i64]) -> Vec<Range<usize>> {
        let times: Vec<i64> = minutes.iter().map(|m| m * MINUTE).collect();
        breaks.sessions(&times).collect()
    }

    #[test]
    fn a_gap_of_exactly_the_threshold_stays_in_the_session() {
        let thirty = breaks(30, None);
        assert_eq!(sessions(&thirty, &[0, 30, 61, 61, 200]), [0..2, 2..4, 4..5]);
        assert_eq!(sessions(&thirty, &[]), Vec::<Range<usize>>::new());
        assert_eq!(sessions(&thirty, &[5]), vec![0..1]);
    }

    #[test]
    fn a_session_longer_than_the_maximum_is_cut() {
        // Events every 20 minutes, sessions of at most an hour from their first event.
        let capped = breaks(30, Some(60));
        assert_eq!(
            sessions(&capped, &[0, 20, 40, 60, 80, 100, 120, 140]),
            [0..4, 4..8]
        );
    }

    #[test]
    fn totals_count_sessions_bounces_views_and_lengths() {
        let thirty = breaks(30, None);
        let times: Vec<i64> = [0, 10, 10, 100, 300, 320].map(|m| m * MINUTE).to_vec();
        let totals = SessionTotals::of_user(&thirty, &times);
        assert_eq!(
            totals,
            SessionTotals {
                sessions: 3,
                bounces: 1,
                views: 6,
                microseconds: i128::from(30 * MINUTE),
            }
        );
    }

    #[test]
    fn the_default_gap_is_30_minutes() {
        let rule = SessionRule::of("f", None, None).unwrap();
        let breaks = SessionBreaks::new(rule, &DataType::Date32).unwrap();
        assert_eq!(sessions(&breaks, &[0, 30, 61]), vec![0..2, 2..3]);
    }
}
