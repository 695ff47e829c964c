//! `retention(user_id, event_time, period, periods [, start_time])`: the cohort retention
//! curve from an event log, exact, on the user-timeline kernel; and retention by events,
//! `retention(user_id, event_time, period, periods, start_condition, return_condition)`, on
//! the event-sequence kernel (rows that are neither a start nor a return cost no lookup).
//! `unbounded_retention` shares everything here but the rule for "retained".

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::intervals::{IntervalArithmetic, coerce_interval, positive_interval};
use crate::calendar::zoned_days::{event_and_start_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, integer_constant, is_string_type};
use crate::common::list_state::group_lists;
use crate::common::metric::{Distinct, Metric, shared_overloaded_udaf};
use crate::common::user_ids::{UserIdKind, UserIds};
use crate::families::event_codes::{coded_times, condition_bits};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Events, GatherSequences, ResultRows, RowList,
    TimelineMetric, UserTimeline, UserTimelineKernel, UserTimelineMetric, result_row, result_type,
};

/// Position of the optional start_time argument, or of the start condition.
const START_ARG: usize = 4;
/// Position of the return condition, in the form with conditions.
pub(crate) const RETURN_ARG: usize = 5;

/// The most periods a call may ask for: the result has a row per period for every group.
pub(crate) const MAX_PERIODS: i64 = 1_000;

/// Retention; `UNBOUNDED`: retained in period k by an event in period k or later, else by
/// one in period k.
#[derive(Debug)]
pub(crate) struct RetentionOf<const UNBOUNDED: bool>;

/// `retention`: retained in period k = active in period k.
pub(crate) type Retention = RetentionOf<false>;
/// `unbounded_retention`: retained in period k = active in period k or later.
pub(crate) type UnboundedRetention = RetentionOf<true>;

/// Retention by events: the form with a start and a return condition.
pub(crate) type RetentionByEvents = RetentionByEventsOf<false>;
/// Unbounded retention by events.
pub(crate) type UnboundedRetentionByEvents = RetentionByEventsOf<true>;

shared_overloaded_udaf!(
    /// The `retention` aggregate function.
    retention_udaf,
    Retention,
    RetentionByEvents,
    RETURN_ARG + 1
);

/// The constant arguments: the length of a period, and the brackets of periods reported
/// (period 0, then 1, 2, … or the brackets written).
#[derive(Debug, Clone)]
pub(crate) struct RetentionRule {
    period: IntervalMonthDayNano,
    /// Each bracket's first and last period (inclusive), in order; bracket 0 is period 0.
    brackets: Vec<(u32, u32)>,
}

/// Reads `period` and `periods`, naming `function` in errors: a number of periods, or
/// brackets of them written as `'1, 2-7, 8-30'`.
fn rule_of(function: &str, constants: &[Option<ScalarValue>]) -> Result<RetentionRule> {
    let (Some(period), Some(periods)) = (&constants[0], &constants[1]) else {
        return plan_err!("{function}: period and periods are required");
    };
    let interval = positive_interval(function, "period", period)?;
    let mut brackets = vec![(0, 0)];
    if let Some(Some(written)) = periods.try_as_str() {
        brackets.extend(brackets_of(function, written)?);
    } else {
        let periods = integer_constant(function, "periods", periods)?;
        if !(1..=MAX_PERIODS).contains(&periods) {
            return plan_err!(
                "{function}: periods must be between 1 and {MAX_PERIODS} (the number of \
                 periods after period 0), got {periods}"
            );
        }
        brackets.extend((1..=periods as u32).map(|k| (k, k)));
    }
    Ok(RetentionRule {
        period: interval,
        brackets,
    })
}

/// Reads brackets of periods such as `'1, 2-7, 8-30'`: each a period or a range of them,
/// from 1, in order, none overlapping.
fn brackets_of(function: &str, written: &str) -> Result<Vec<(u32, u32)>> {
    let expected = "expected brackets of periods after period 0 such as '1, 2-7, 8-30': \
                    each a period or a range of them, from 1, in increasing order, without \
                    overlaps";
    let mut brackets: Vec<(u32, u32)> = vec![];
    for part in written.split(',') {
        let number = |text: &str| text.trim().parse::<u32>().ok();
        let bracket = match part.split_once('-') {
            Some((first, last)) => number(first).zip(number(last)),
            None => number(part).map(|k| (k, k)),
        };
        let after = brackets.last().map_or(0, |&(_, last)| last);
        match bracket {
            Some((first, last)) if first > after && first <= last => {
                if i64::from(last) > MAX_PERIODS {
                    return plan_err!(
                        "{function}: the bracket '{}' goes past period {MAX_PERIODS}, the \
                         most a call may report",
                        part.trim()
                    );
                }
                brackets.push((first, last));
            }
            _ => {
                return plan_err!(
                    "{function}: cannot read the bracket '{}' of '{written}': {expected}",
                    part.trim()
                );
            }
        }
    }
    Ok(brackets)
}

/// How many periods from `start` are over by `end`, the group's last event (younger ones are
/// not counted yet); `period_of` finds the period of a time from `start` on.
fn periods_over(start: i64, end: i64, period_of: impl Fn(i64) -> usize) -> usize {
    if end < start { 0 } else { period_of(end) }
}

/// The rule with what the event times' type says: their zone, for calendar arithmetic.
#[derive(Debug, Clone)]
pub(crate) struct RetentionContext {
    rule: RetentionRule,
    step: IntervalArithmetic,
    /// Whether users' starts come from a start_time column (else from their first event).
    has_start: bool,
}

impl RetentionContext {
    pub(crate) fn new(rule: RetentionRule, event_time: &DataType, has_start: bool) -> Result<Self> {
        Ok(Self {
            step: IntervalArithmetic::new(rule.period, event_time)?,
            rule,
            has_start,
        })
    }

    /// The last period reported.
    fn periods(&self) -> usize {
        self.rule
            .brackets
            .last()
            .map_or(0, |&(_, last)| last as usize)
    }

    /// `start + k × period`, see [`IntervalArithmetic::add`].
    fn boundary(&self, start: i64, k: i64) -> i64 {
        self.step.add(start, k)
    }

    /// The starts of periods 0 to `periods + 1` (the end of the last) from `start`.
    fn boundaries(&self, start: i64, out: &mut Vec<i64>) {
        out.clear();
        out.extend((0..=self.periods() as i64 + 1).map(|k| self.boundary(start, k)));
    }

    /// The period of a time from `start` on (`periods + 1` past the last period): by division
    /// when periods have one length, else among the boundaries, kept in `bounds`.
    fn period_finder<'a>(
        &'a self,
        start: i64,
        bounds: &'a mut Vec<i64>,
    ) -> impl Fn(i64) -> usize + 'a {
        let (periods, fixed) = (self.periods(), self.step.fixed());
        if fixed.is_none() {
            self.boundaries(start, bounds);
        }
        let bounds = &*bounds;
        move |t: i64| match fixed {
            Some(step) => usize::try_from(t.saturating_sub(start) / step)
                .map_or(periods + 1, |k| k.min(periods + 1)),
            None => bounds[1..].partition_point(|&end| end <= t),
        }
    }

    /// The bracket of each period (`usize::MAX` between brackets).
    fn bracket_of_periods(&self) -> Vec<usize> {
        let mut bracket_of = vec![usize::MAX; self.periods() + 1];
        for (b, &(first, last)) in self.rule.brackets.iter().enumerate() {
            bracket_of[first as usize..=last as usize].fill(b);
        }
        bracket_of
    }

    /// Drops events that cannot change the result: of those past the last period only the
    /// latest (the group's last event time, and "later" for unbounded retention), and of
    /// three events closer together than the shortest period the middle one, which lies in
    /// the period of one of the others whatever the start turns out to be.
    pub(crate) fn compact(&self, start: Option<i64>, events: &mut Vec<i64>) {
        let Some(&first) = events.first() else {
            return;
        };
        // A start can only move earlier as more rows arrive, and the end with it; but a
        // start_time not seen yet may lie after the first event, so without one the end is
        // not known.
        let start = if self.has_start { start } else { Some(first) };
        let end = start.map_or(i64::MAX, |start| {
            self.boundary(start, self.periods() as i64 + 1)
        });
        let within = events.partition_point(|&t| t < end);
        if within + 1 < events.len() {
            let latest = events[events.len() - 1];
            events.truncate(within);
            events.push(latest);
        }
        let shortest = self.step.shortest();
        if shortest > 0 {
            let mut kept = 0;
            for i in 0..events.len() {
                let t = events[i];
                while kept >= 2 && t - events[kept - 2] < shortest {
                    kept -= 1;
                }
                events[kept] = t;
                kept += 1;
            }
            events.truncate(kept);
        }
    }

    /// Adds a user to the counts of each bracket: counted once all its periods have ended by
    /// `over` (the periods over by the group's last event), retained as `retained_in(b)`.
    fn tally(
        &self,
        over: usize,
        retained_in: impl Fn(usize) -> bool,
        counted: &mut [i64],
        retained: &mut [i64],
    ) {
        for (b, &(_, last)) in self.rule.brackets.iter().enumerate() {
            if (last as usize) < over {
                counted[b] += 1;
                retained[b] += i64::from(retained_in(b));
            }
        }
    }

    /// The rows of a group from its counts per bracket.
    fn push_rows(&self, counted: &[i64], retained: &[i64], rows: &mut ResultRows<RetentionRow>) {
        for ((&(first, _), &users), &retained) in
            self.rule.brackets.iter().zip(counted).zip(retained)
        {
            let rate = (users > 0).then(|| 100.0 * retained as f64 / users as f64);
            rows.push(RetentionRow {
                period: i64::from(first),
                users,
                retained,
                rate,
            });
        }
    }

    /// The retention rows of one group: per bracket, the users counted, those retained, and
    /// the rate. `unbounded`: retained in a bracket by an event in it or a later period.
    pub(crate) fn evaluate_group(
        &self,
        users: &[UserTimeline<'_>],
        unbounded: bool,
        rows: &mut ResultRows<RetentionRow>,
    ) {
        let brackets = self.rule.brackets.len();
        let bracket_of = self.bracket_of_periods();
        let last_event = UserTimeline::prefetching(users)
            .filter_map(|u| u.values.last())
            .max()
            .copied();
        let (mut counted, mut retained) = (vec![0i64; brackets], vec![0i64; brackets]);
        let mut bounds = Vec::with_capacity(self.periods() + 2);
        let mut returned = vec![false; brackets];
        for user in UserTimeline::prefetching(users) {
            let (Some(start), Some(last_event)) =
                (user.start.or(user.values.first().copied()), last_event)
            else {
                continue;
            };
            let events = &user.values[user.values.partition_point(|&t| t < start)..];
            let period_of = self.period_finder(start, &mut bounds);
            let over = periods_over(start, last_event, &period_of);
            if unbounded {
                let reached = events.last().map(|&t| period_of(t));
                let brackets = &self.rule.brackets;
                let retained_in = |b: usize| reached.is_some_and(|k| brackets[b].0 as usize <= k);
                self.tally(over, retained_in, &mut counted, &mut retained);
            } else {
                returned.fill(false);
                for &t in events {
                    match bracket_of.get(period_of(t)) {
                        Some(&b) if b != usize::MAX => returned[b] = true,
                        Some(_) => {}
                        None => break,
                    }
                }
                self.tally(over, |b| returned[b], &mut counted, &mut retained);
            }
        }
        self.push_rows(&counted, &retained, rows);
    }
}

/// `user_id, event_time, period, periods [, start_time | , start_condition,
/// return_condition]`: the types to coerce to; `usage` is the function's.
fn arg_types_of(function: &str, usage: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    check_arg_count(function, arg_types, 4, 6, usage)?;
    let is_condition = |t: &DataType| matches!(t, DataType::Boolean);
    let by_events = arg_types.get(START_ARG).is_some_and(is_condition);
    if by_events != (arg_types.len() == 6) {
        return plan_err!(
            "{function}: after periods comes a start_time column, or a start condition and a \
             return condition (BOOLEAN, such as event_name = 'signup' and event_name = \
             'purchase'), got {}",
            arg_types[START_ARG..]
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let start = (!by_events)
        .then(|| arg_types.get(START_ARG).map(|start| ("start_time", start)))
        .flatten();
    let time = event_and_start_time(function, &arg_types[1], start)?;
    let period = coerce_interval(function, "period", "7 days", &arg_types[2])?;
    let periods = match &arg_types[3] {
        t if t.is_integer() || t.is_null() => DataType::Int64,
        t if t.is_numeric() => DataType::Float64,
        t if is_string_type(t) => DataType::Utf8,
        other => {
            return plan_err!(
                "{function}: periods must be a whole number, or brackets such as \
                 '1, 2-7, 8-30', got {other}"
            );
        }
    };
    let mut types = vec![
        UserIdKind::coerce(function, "user_id", &arg_types[0])?,
        time.clone(),
        period,
        periods,
    ];
    if by_events {
        if !is_condition(&arg_types[RETURN_ARG]) {
            return plan_err!(
                "{function}: return_condition must be a BOOLEAN condition such as event_name \
                 = 'purchase', got {}",
                arg_types[RETURN_ARG]
            );
        }
        types.extend([DataType::Boolean, DataType::Boolean]);
    } else if start.is_some() {
        types.push(time);
    }
    Ok(types)
}

/// Typical argument types, listed by `SHOW FUNCTIONS`.
fn example_types() -> Vec<Vec<DataType>> {
    let time = DataType::Timestamp(TimeUnit::Microsecond, None);
    let period = DataType::Interval(IntervalUnit::MonthDayNano);
    UserIdKind::example_types()
        .into_iter()
        .flat_map(|user| {
            let four = vec![user, time.clone(), period.clone(), DataType::Int64];
            let mut five = four.clone();
            five.push(time.clone());
            let mut six = four.clone();
            six.extend([DataType::Boolean, DataType::Boolean]);
            [four, five, six]
        })
        .collect()
}

/// The documentation of `retention` or `unbounded_retention`.
fn documentation(function: &str, retained: &str) -> Documentation {
    Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        format!(
            "The retention curve of the group's users, exact, from an event log. Each user's \
             period k (0 to periods) is the window [start + k × period, start + (k + 1) × period), \
             where start is start_time (a signup time, say), or the user's first event meeting \
             start_condition, or without either the user's first event in the group; months \
             step by calendar month and days by local day in the event times' zone, as \
             DataFusion adds intervals (start + INTERVAL '2 months' for period 2 of a month). \
             With start_condition and return_condition (\"did A, came back to do B\", from the \
             event log alone), only users with a start event are counted and only events \
             meeting return_condition are returns (the start event too, if it meets it), \
             and rows meeting neither count for nothing but their group's having a result; \
             otherwise every event is a return. \
             {retained} \
             Returns one row per period: {{period, users, retained, rate}}, rate = 100 × \
             retained / users. periods may instead be brackets of periods after period 0, a \
             constant string such as '1, 2-7, 8-30' (Amplitude's custom brackets): a row per \
             bracket, period 0 first, each row's period the bracket's first, retained by a \
             return in any period of the bracket. A user whose period (or bracket) has not \
             ended by the group's last start or return event (its last event, without \
             conditions) is not counted in it (a young cohort does not read as churn); a user with a start but no events (a NULL event_time from a \
             LEFT JOIN) counts as not retained; events before the start are ignored. Rows with \
             a NULL user_id are skipped; a NULL condition is false; the earliest start of a \
             user counts, and a user without a start_time (NULL in every row) starts at their \
             first event. A group without users (with conditions: without rows) gives NULL. \
             Read it wide with \
             r[k + 1]['rate'], or long with UNNEST."
        ),
        format!(
            "{function}(user_id, event_time, period, periods [, start_time | , \
             start_condition, return_condition])"
        ),
    )
    .with_sql_example(format!(
        "```sql\n-- weekly signup cohorts over 12 weeks, wide: one column per week\n\
         SELECT date_trunc('week', u.signup_time) AS cohort,\n       \
         {function}(e.user_id, e.event_time, INTERVAL '7 days', 12, u.signup_time) AS r\n\
         FROM users u LEFT JOIN events e ON e.user_id = u.user_id\n\
         GROUP BY cohort ORDER BY cohort;\n\
         -- then r[2]['rate'] is week 1's rate\n\n\
         -- long: a row per (cohort, period)\n\
         SELECT cohort, p['period'] AS period, p['users'] AS users, p['rate'] AS rate\n\
         FROM (SELECT cohort, unnest(r) AS p FROM cohorts);\n\n\
         -- from the event log alone: users who signed up and came back to buy, on day 1,\n\
         -- days 2 to 7 and days 8 to 30\n\
         SELECT {function}(user_id, event_time, INTERVAL '1 day', '1, 2-7, 8-30',\n       \
         event_name = 'signup', event_name = 'purchase') FROM events;\n```"
    ))
    .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
    .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
    .with_argument("period", "The length of a period: a constant positive INTERVAL, such as INTERVAL '1 day', '7 days' or '1 month'.")
    .with_argument("periods", format!("How many periods follow period 0, a constant from 1 to {MAX_PERIODS}; or brackets of the periods after period 0, a constant string such as '1, 2-7, 8-30' (increasing, without overlaps, up to period {MAX_PERIODS})."))
    .with_argument("start_time", "Optional: when each user's period 0 starts (signup time); a column of the same kind as event_time.")
    .with_argument("start_condition, return_condition", "Optional, instead of start_time: BOOLEAN conditions such as event_name = 'signup' and event_name = 'purchase'. A user's start is their first event meeting start_condition; their returns are the events meeting return_condition.")
    .build()
}

impl<const UNBOUNDED: bool> Metric for RetentionOf<UNBOUNDED> {
    const NAME: &'static str = if UNBOUNDED {
        "unbounded_retention"
    } else {
        "retention"
    };
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[("rate", "%")];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "period"), (3, "periods")];
    // A user's events count once whatever their repeats.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "times", "is_start"];
    type Rule = RetentionRule;
    type Kernel = UserTimelineKernel;

    fn documentation() -> &'static Documentation {
        static BOUNDED: LazyLock<Documentation> = LazyLock::new(|| {
            documentation(
                "retention",
                "A user is retained in period k when they have an event in that period.",
            )
        });
        static UNBOUNDED_DOC: LazyLock<Documentation> = LazyLock::new(|| {
            documentation(
                "unbounded_retention",
                "A user is retained in period k when they have an event in period k or any \
                 later one, even past the last period reported (Amplitude's \"unbounded\", \
                 PostHog's \"on or after\"): each user's retained periods run from 0 without a \
                 gap.",
            )
        });
        if UNBOUNDED { &UNBOUNDED_DOC } else { &BOUNDED }
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        arg_types_of(Self::NAME, Self::usage(), arg_types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        example_types()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<RetentionRule> {
        rule_of(Self::NAME, constants)
    }
}

result_row! {
    /// A period of the retention curve.
    pub(crate) struct RetentionRow {
        period: i64,
        users: i64,
        retained: i64,
        rate: Option<f64>,
    }
}

impl<const UNBOUNDED: bool> TimelineMetric for RetentionOf<UNBOUNDED> {
    type Context = RetentionContext;
    type Output = RowList<RetentionRow>;

    fn context(
        rule: RetentionRule,
        event_time: &DataType,
        arguments: usize,
    ) -> Result<RetentionContext> {
        RetentionContext::new(rule, event_time, arguments > START_ARG)
    }

    fn values<'a>(_cx: &RetentionContext, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        microseconds_since_epoch(times)
    }
}

impl<const UNBOUNDED: bool> UserTimelineMetric for RetentionOf<UNBOUNDED> {
    const START_ARG: Option<usize> = Some(START_ARG);

    fn compact(cx: &RetentionContext, start: Option<i64>, values: &mut Vec<i64>) {
        cx.compact(start, values)
    }

    fn evaluate_group(
        cx: &RetentionContext,
        users: &[UserTimeline<'_>],
        rows: &mut ResultRows<RetentionRow>,
    ) -> Result<()> {
        cx.evaluate_group(users, UNBOUNDED, rows);
        Ok(())
    }
}

/// Retention by events, `retention(user_id, event_time, period, periods, start_condition,
/// return_condition)`: on the event-sequence kernel, each user's start and return events
/// logged as values `time × 2 + code` (0 a return, 1 a start; an event meeting both stands
/// for both), read a user at a time into the brackets they returned in.
#[derive(Debug)]
pub(crate) struct RetentionByEventsOf<const UNBOUNDED: bool>;

impl<const UNBOUNDED: bool> Metric for RetentionByEventsOf<UNBOUNDED> {
    const NAME: &'static str = RetentionOf::<UNBOUNDED>::NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[("rate", "%")];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "period"), (3, "periods")];
    // A user's repeated rows change nothing.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "events", "is_start"];
    type Rule = RetentionRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        RetentionOf::<UNBOUNDED>::documentation()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        arg_types_of(Self::NAME, Self::usage(), arg_types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        example_types()
            .into_iter()
            .filter(|types| types.len() > RETURN_ARG)
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<RetentionRule> {
        rule_of(Self::NAME, constants)
    }
}

impl<const UNBOUNDED: bool> TimelineMetric for RetentionByEventsOf<UNBOUNDED> {
    type Context = RetentionContext;
    type Output = RowList<RetentionRow>;

    fn context(rule: RetentionRule, event_time: &DataType, _: usize) -> Result<RetentionContext> {
        RetentionContext::new(rule, event_time, true)
    }

    /// `time × 2`: room for the code.
    fn values<'a>(_cx: &RetentionContext, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        let range = "retention takes times within 146,000 years of 1970";
        coded_times(Self::NAME, times, 1, 1, range)
    }
}

impl<const UNBOUNDED: bool> EventSequenceMetric for RetentionByEventsOf<UNBOUNDED> {
    type Gathered = UserReturns<UNBOUNDED>;

    /// Bit 0 (the value itself): a return; bit 1 (value + 1): a start. A row meeting neither
    /// stands for nothing.
    fn row_bits(_cx: &RetentionContext, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        let met = condition_bits(&arguments[START_ARG..=RETURN_ARG], arguments[0].len());
        // condition_bits: bit 0 the start, bit 1 the return; swapped into the codes.
        Ok(met.into_iter().map(|m| ((m & 1) << 1) | (m >> 1)).collect())
    }
}

/// What retention by events keeps of each user: their group's last start or return, and, of
/// a user with a start, the start, the brackets they returned in and their latest return.
#[derive(Debug)]
pub(crate) struct UserReturns<const UNBOUNDED: bool> {
    /// By group: the time of its last start or return (`i64::MIN`: none yet).
    group_end: Vec<i64>,
    /// By user with a start: group, start, and the period of the latest return from the start
    /// on (`u32::MAX`: none).
    users: Vec<(u32, i64, u32)>,
    /// By user with a start, `words` words: the brackets with a return in them.
    returned: Vec<u64>,
    words: usize,
    /// Scratch: a sequence's period boundaries.
    bounds: Vec<i64>,
    bracket_of: Vec<usize>,
}

impl<const UNBOUNDED: bool> GatherSequences<RetentionByEventsOf<UNBOUNDED>>
    for UserReturns<UNBOUNDED>
{
    fn new(cx: &RetentionContext, _sequences: usize, groups: usize, _: &UserIds) -> Self {
        Self {
            group_end: vec![i64::MIN; groups],
            users: vec![],
            returned: vec![],
            words: cx.rule.brackets.len().div_ceil(64),
            bounds: vec![],
            bracket_of: cx.bracket_of_periods(),
        }
    }

    fn add(
        &mut self,
        cx: &RetentionContext,
        _sequence: usize,
        group: u32,
        events: Events,
        _: &UserIds,
    ) -> Result<()> {
        let values = events.values;
        let Some(&last) = values.last() else {
            return Ok(());
        };
        let group_index = group as usize;
        if self.group_end.len() <= group_index {
            self.group_end.resize(group_index + 1, i64::MIN);
        }
        let end = &mut self.group_end[group_index];
        *end = (*end).max(last >> 1);
        let Some(&start) = values.iter().find(|&&v| v & 1 == 1) else {
            return Ok(());
        };
        let start = start >> 1;
        let period_of = cx.period_finder(start, &mut self.bounds);
        let at = self.returned.len();
        self.returned.resize(at + self.words, 0);
        let mut latest = u32::MAX;
        // Returns from the start's time on (one at the start's own time too).
        let from = values.partition_point(|&v| v >> 1 < start);
        for &v in values[from..].iter().filter(|&&v| v & 1 == 0) {
            let k = period_of(v >> 1);
            latest = k as u32;
            if let Some(&b) = self.bracket_of.get(k).filter(|&&b| b != usize::MAX) {
                self.returned[at + b / 64] |= 1 << (b % 64);
            }
        }
        self.users.push((group, start, latest));
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        if self.group_end.len() < other.group_end.len() {
            self.group_end.resize(other.group_end.len(), i64::MIN);
        }
        for (mine, theirs) in self.group_end.iter_mut().zip(other.group_end) {
            *mine = (*mine).max(theirs);
        }
        self.users.extend(other.users);
        self.returned.extend(other.returned);
    }

    fn rows(
        mut self,
        cx: &RetentionContext,
        groups: usize,
        seen_alone: impl Fn(usize) -> bool,
        _: &UserIds,
    ) -> Result<ResultRows<RetentionRow>> {
        let (offsets, by_group) = group_lists(groups, usize::MAX, || {
            self.users.iter().map(|u| u.0).zip(0..)
        });
        let brackets = &cx.rule.brackets;
        let (mut counted, mut retained) = (vec![0; brackets.len()], vec![0; brackets.len()]);
        let (words, returned) = (self.words, &self.returned);
        let mut bounds = std::mem::take(&mut self.bounds);
        ResultRows::of_groups(
            groups,
            |group| self.group_end.get(group).is_some_and(|&e| e != i64::MIN) || seen_alone(group),
            |group, rows| {
                counted.fill(0);
                retained.fill(0);
                let end = self.group_end.get(group).copied().unwrap_or(i64::MIN);
                for &user in &by_group[offsets[group]..offsets[group + 1]] {
                    let (_, start, latest) = self.users[user];
                    let over = periods_over(start, end, cx.period_finder(start, &mut bounds));
                    let bits = &returned[user * words..(user + 1) * words];
                    let retained_in = |b: usize| {
                        if UNBOUNDED {
                            latest != u32::MAX && brackets[b].0 <= latest
                        } else {
                            bits[b / 64] & (1 << (b % 64)) != 0
                        }
                    };
                    cx.tally(over, retained_in, &mut counted, &mut retained);
                }
                cx.push_rows(&counted, &retained, rows);
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::calendar::intervals::MICROS_PER_DAY;

    fn context(period: IntervalMonthDayNano, zone: Option<&str>) -> RetentionContext {
        let rule = RetentionRule {
            period,
            brackets: vec![(0, 0), (1, 1), (2, 2), (3, 3)],
        };
        let time = DataType::Timestamp(TimeUnit::Microsecond, zone.map(Arc::from));
        RetentionContext::new(rule, &time, false).unwrap()
    }

    const WEEK: IntervalMonthDayNano = IntervalMonthDayNano::new(0, 7, 0);

    #[test]
    fn months_step_from_the_start_by_calendar_month() {
        let cx = context(IntervalMonthDayNano::new(1, 0, 0), None);
        // 2024-01-31 00:00 UTC: + 1 month is 29 Feb, + 2 months 31 Mar (not 29 Mar).
        let jan_31 = 19_753 * MICROS_PER_DAY;
        assert_eq!(cx.boundary(jan_31, 1), (19_753 + 29) * MICROS_PER_DAY);
        assert_eq!(cx.boundary(jan_31, 2), (19_753 + 60) * MICROS_PER_DAY);
    }

    #[test]
    fn days_are_local_days_in_a_zone_with_daylight_saving_time() {
        // 2026-03-07 12:00 in New York (17:00Z); a week later is 16:00Z, after the switch.
        let cx = context(WEEK, Some("America/New_York"));
        let start = 1_772_902_800 * 1_000_000;
        assert_eq!(cx.step.fixed(), None);
        assert_eq!(
            cx.boundary(start, 1),
            start + 7 * MICROS_PER_DAY - 3_600_000_000
        );
        let utc = context(WEEK, Some("UTC"));
        assert_eq!(utc.boundary(start, 1), start + 7 * MICROS_PER_DAY);
    }

    #[test]
    fn compaction_keeps_every_period_with_an_event_whatever_the_start() {
        let cx = context(WEEK, None);
        let hour = 3_600_000_000;
        // Events every 5 hours over 30 days.
        let all: Vec<i64> = (0..150).map(|i| i * 5 * hour).collect();
        let mut kept = all.clone();
        cx.compact(None, &mut kept);
        assert!(kept.len() < 20, "{}", kept.len());
        assert_eq!(kept.first(), all.first());
        assert_eq!(kept.last(), all.last());
        // For any start at or before the first event, the same periods have events.
        let periods_of = |events: &[i64], start: i64| -> Vec<i64> {
            let mut periods: Vec<i64> = events
                .iter()
                .map(|&t| (t - start).div_euclid(7 * MICROS_PER_DAY))
                .filter(|&k| k <= 3)
                .collect();
            periods.dedup();
            periods
        };
        for start in (0..40).map(|h| -h * 7 * hour) {
            assert_eq!(
                periods_of(&kept, start),
                periods_of(&all, start),
                "start {start}"
            );
        }
    }

    #[test]
    fn compaction_is_exact_for_calendar_months_in_a_zone() {
        let cx = context(IntervalMonthDayNano::new(1, 0, 0), Some("America/New_York"));
        assert!(cx.step.shortest() > 20 * MICROS_PER_DAY);
        // A pseudo-random walk of events over a year, a few hours to days apart.
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut t = 1_767_225_600_000_000; // 2026-01-01Z
        let mut all = vec![];
        for _ in 0..400 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            t += (seed % (3 * MICROS_PER_DAY as u64)) as i64;
            all.push(t);
        }
        let mut kept = all.clone();
        cx.compact(None, &mut kept);
        assert!(
            kept.len() < all.len() / 4,
            "{} of {}",
            kept.len(),
            all.len()
        );
        let periods_with_events = |events: &[i64], start: i64| -> Vec<usize> {
            let mut bounds = vec![];
            cx.boundaries(start, &mut bounds);
            let mut periods: Vec<usize> = events
                .iter()
                .filter(|&&e| e >= start)
                .map(|&e| bounds[1..].partition_point(|&end| end <= e))
                .collect();
            periods.dedup();
            periods
        };
        // Any start at or before the first event: month ends, DST switches and all.
        for hours_before in (0..24 * 60).step_by(7) {
            let start = all[0] - hours_before * 3_600_000_000;
            assert_eq!(
                periods_with_events(&kept, start),
                periods_with_events(&all, start),
                "start {hours_before} hours before the first event"
            );
        }
    }

    #[test]
    fn bad_periods_are_refused_with_the_value() {
        let rule = |period: ScalarValue, periods: i64| {
            rule_of(
                "retention",
                &[Some(period), Some(ScalarValue::Int64(Some(periods)))],
            )
            .unwrap_err()
            .to_string()
        };
        let zero = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 0, 0)));
        assert!(rule(zero, 3).contains("retention: period must be a positive INTERVAL"));
        let negative = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(1, -3, 0)));
        assert!(rule(negative, 3).contains("got 1 months -3 days"));
        let week = ScalarValue::IntervalMonthDayNano(Some(WEEK));
        assert!(rule(week.clone(), 0).contains("periods must be between 1 and 1000"));
        assert!(rule(week, 5000).contains("got 5000"));
    }
}
