//! `lifecycle(user_id, event_time, period [, signup_time])`: per calendar period, the active
//! users split into new, returning and resurrecting, the dormant ones, and the churn and
//! retention rates they give — computed from an event log.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::CalendarUnit;
use crate::calendar::zoned_days::event_and_start_time;
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::user_ids::UserIdKind;
use crate::kernels::timelines::{
    Day, ResultRows, RowList, TimelineMetric, UserTimeline, UserTimelineKernel, UserTimelineMetric,
    result_row, result_type,
};

const NAME: &str = "lifecycle";

/// The most periods one group may span: the result has a row for each.
const MAX_SPAN: i64 = 1_000_000;

/// New, returning, resurrecting and dormant users per calendar period.
#[derive(Debug)]
pub(crate) struct Lifecycle;

shared_udaf!(
    /// The `lifecycle` aggregate function.
    lifecycle_udaf,
    Lifecycle
);

/// The calendar units lifecycle counts in.
const PERIODS: [CalendarUnit; 3] = [CalendarUnit::Day, CalendarUnit::Week, CalendarUnit::Month];

/// Counts of one period.
#[derive(Debug, Clone, Copy, Default)]
struct PeriodCounts {
    active: i64,
    new: i64,
    returning: i64,
    resurrecting: i64,
    dormant: i64,
}

impl Metric for Lifecycle {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] =
        &[("churn_rate", "%"), ("retention_rate", "%")];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "period")];
    // Users count once per period whatever their repeats.
    const DISTINCT: Distinct = Distinct::Unchanged;
    // Per user: the signup's period (set 0), 64-period sets (first period, bits), periods.
    const STATE_NAMES: &'static [&'static str] = &["users", "periods", "period_sets"];
    type Rule = CalendarUnit;
    type Kernel = UserTimelineKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "The group's users per calendar period ('day', 'week' starting Monday, or \
                 'month', in the event times' own zone as date_trunc gives them), from the \
                 group's first to its last active period. Returns one row per period: \
                 {period_start, active, new, returning, resurrecting, dormant, churn_rate, \
                 retention_rate}. A user is new in their first active period (with \
                 signup_time: in the period of their signup, and activity before it is \
                 ignored), returning when also active in the previous period, resurrecting \
                 when not active in the previous period but known before, and dormant in the \
                 period after their last active one of a run. churn_rate = 100 × dormant / \
                 active in the previous period; retention_rate = 100 × returning / active in \
                 the previous period (NULL for the first period). Rows with a NULL user_id \
                 or event_time are skipped; a group without activity gives NULL.",
                "lifecycle(user_id, event_time, period [, signup_time])",
            )
            .with_sql_example("```sql\n-- weekly lifecycle, long: one row per week\nSELECT w['period_start'] AS week, w['new'] AS new, w['returning'] AS returning,\n       w['resurrecting'] AS resurrecting, w['dormant'] AS dormant, w['churn_rate'] AS churn\nFROM (SELECT unnest(lifecycle(user_id, event_time, 'week')) AS w FROM events);\n\n-- monthly churn by segment, new users from their signup\nSELECT segment, lifecycle(e.user_id, e.event_time, 'month', u.signup_time) AS months\nFROM events e JOIN users u USING (user_id)\nGROUP BY segment;\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("period", "The calendar period: the constant 'day', 'week' or 'month'.")
            .with_argument("signup_time", "Optional: when each user signed up; decides \"new\" instead of the first event seen.")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, 3, 4, Self::usage())?;
        let signup = arg_types.get(3).map(|signup| ("signup_time", signup));
        let time = event_and_start_time(NAME, &arg_types[1], signup)?;
        let mut types = vec![
            UserIdKind::coerce(NAME, "user_id", &arg_types[0])?,
            time.clone(),
            coerce_string(NAME, "period", &arg_types[2])?,
        ];
        if signup.is_some() {
            types.push(time);
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .into_iter()
            .flat_map(|user| {
                let three = vec![user, time.clone(), DataType::Utf8];
                let mut four = three.clone();
                four.push(time.clone());
                [three, four]
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CalendarUnit> {
        match &constants[0] {
            Some(period) => CalendarUnit::of_argument(NAME, "period", period, &PERIODS),
            None => plan_err!("{NAME}: period is required"),
        }
    }
}

result_row! {
    /// A calendar period's users by their lifecycle state.
    pub(crate) struct LifecycleRow {
        period_start: Day,
        active: i64,
        new: i64,
        returning: i64,
        resurrecting: i64,
        dormant: i64,
        churn_rate: Option<f64>,
        retention_rate: Option<f64>,
    }
}

impl TimelineMetric for Lifecycle {
    type Context = CalendarUnit;
    type Output = RowList<LifecycleRow>;

    fn context(period: CalendarUnit, _: &DataType, _: usize) -> Result<CalendarUnit> {
        Ok(period)
    }

    fn values<'a>(period: &CalendarUnit, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        Ok(Cow::Owned(period.period_numbers(NAME, times)?))
    }
}

impl UserTimelineMetric for Lifecycle {
    const START_ARG: Option<usize> = Some(3);
    // Period numbers: a user's active weeks or months fit one 64-bit set.
    const SMALL_INTEGERS: bool = true;

    fn evaluate_group(
        period: &CalendarUnit,
        users: &[UserTimeline<'_>],
        rows: &mut ResultRows<LifecycleRow>,
    ) -> Result<()> {
        // A user's active periods; with a signup, from the signup's period on.
        fn active<'a>(user: &UserTimeline<'a>) -> &'a [i64] {
            match user.start {
                Some(signup) => &user.values[user.values.partition_point(|&p| p < signup)..],
                None => user.values,
            }
        }
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for periods in UserTimeline::prefetching(users).map(active) {
            if let (Some(&earliest), Some(&latest)) = (periods.first(), periods.last()) {
                (first, last) = (first.min(earliest), last.max(latest));
            }
        }
        if first > last {
            return Ok(());
        }
        let span = last - first + 1;
        if span > MAX_SPAN {
            return exec_err!(
                "{NAME}: a group spans {span} {period:?} periods, more than {MAX_SPAN}; group \
                 by a coarser period or filter the events"
            );
        }
        let mut counts = vec![PeriodCounts::default(); span as usize];
        for user in UserTimeline::prefetching(users) {
            let periods = active(user);
            for (i, &p) in periods.iter().enumerate() {
                let at = &mut counts[(p - first) as usize];
                at.active += 1;
                let previous = i.checked_sub(1).map(|i| periods[i]);
                match (previous, user.start) {
                    (Some(previous), _) if previous == p - 1 => at.returning += 1,
                    (None, None) => at.new += 1,
                    (None, Some(signup)) if signup == p => at.new += 1,
                    _ => at.resurrecting += 1,
                }
                let next = periods.get(i + 1);
                if next != Some(&(p + 1)) && p < last {
                    counts[(p + 1 - first) as usize].dormant += 1;
                }
            }
        }
        let mut previous_active = 0;
        for (offset, c) in counts.iter().enumerate() {
            let Some(start) = period.first_day(first + offset as i64) else {
                return exec_err!("{NAME}: a period beyond the calendar's range");
            };
            let rate = |part: i64| {
                (previous_active > 0).then(|| 100.0 * part as f64 / previous_active as f64)
            };
            rows.push(LifecycleRow {
                period_start: Day(start),
                active: c.active,
                new: c.new,
                returning: c.returning,
                resurrecting: c.resurrecting,
                dormant: c.dormant,
                churn_rate: rate(c.dormant),
                retention_rate: rate(c.returning),
            });
            previous_active = c.active;
        }
        Ok(())
    }
}
