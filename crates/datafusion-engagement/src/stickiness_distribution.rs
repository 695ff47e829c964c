//! `stickiness_distribution(user_id, event_time [, unit])`: how many of the group's users were
//! active on exactly 1, 2, … days (or weeks, months) — PostHog's stickiness chart.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::CalendarUnit;
use crate::calendar::zoned_days::event_and_start_time;
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::user_ids::UserIdKind;
use crate::kernels::timelines::{
    ResultRows, RowList, TimelineMetric, UserTimeline, UserTimelineKernel, UserTimelineMetric,
    result_row, result_type,
};

const NAME: &str = "stickiness_distribution";

/// The calendar units a user's activity is counted in.
const UNITS: [CalendarUnit; 3] = [CalendarUnit::Day, CalendarUnit::Week, CalendarUnit::Month];

/// The users of each number of active days (weeks, months).
#[derive(Debug)]
pub(crate) struct StickinessDistribution;

shared_udaf!(
    /// The `stickiness_distribution` aggregate function.
    stickiness_distribution_udaf,
    StickinessDistribution
);

impl Metric for StickinessDistribution {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[("share", "%")];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(2, "unit")];
    // A user's active days count once whatever their repeats.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "periods", "period_sets"];
    type Rule = CalendarUnit;
    type Kernel = UserTimelineKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "How sticky the group's users are, as PostHog's stickiness chart shows it: how \
                 many of them were active on exactly 1, 2, … N calendar days of the group's \
                 events (with unit 'week' or 'month': weeks starting Monday, months; in the \
                 event times' own zone as date_trunc gives them). Returns one row per count \
                 from 1 to the most any user has, rows without users included: \
                 {active_periods, users, share}, share being 100 × users / the group's \
                 users. Restrict the period with WHERE (the last 30 days) or GROUP BY it \
                 (per month). Rows with a NULL user_id or event_time are skipped; a group \
                 without activity gives NULL.",
                "stickiness_distribution(user_id, event_time [, unit])",
            )
            .with_sql_example("```sql\n-- users by the number of days they were active in June\nSELECT d['active_periods'] AS days, d['users'] AS users, round(d['share'], 1) AS pct\nFROM (SELECT unnest(stickiness_distribution(user_id, event_time)) AS d\n      FROM events WHERE event_time >= '2026-06-01' AND event_time < '2026-07-01');\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("unit", "Optional: what is counted, the constant 'day' (the default), 'week' or 'month'.")
            .with_related_udf("stickiness")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, 2, 3, Self::usage())?;
        let mut types = vec![
            UserIdKind::coerce(NAME, "user_id", &arg_types[0])?,
            event_and_start_time(NAME, &arg_types[1], None)?,
        ];
        if let Some(unit) = arg_types.get(2) {
            types.push(coerce_string(NAME, "unit", unit)?);
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .into_iter()
            .flat_map(|user| {
                let two = vec![user, time.clone()];
                let mut three = two.clone();
                three.push(DataType::Utf8);
                [two, three]
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<CalendarUnit> {
        match constants.first() {
            Some(Some(unit)) => CalendarUnit::of_argument(NAME, "unit", unit, &UNITS),
            _ => Ok(CalendarUnit::Day),
        }
    }
}

result_row! {
    /// The users active in exactly `active_periods` periods.
    pub(crate) struct ActivePeriodsRow {
        active_periods: i64,
        users: i64,
        share: Option<f64>,
    }
}

impl TimelineMetric for StickinessDistribution {
    type Context = CalendarUnit;
    type Output = RowList<ActivePeriodsRow>;

    fn context(unit: CalendarUnit, _: &DataType, _: usize) -> Result<CalendarUnit> {
        Ok(unit)
    }

    fn values<'a>(unit: &CalendarUnit, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        Ok(Cow::Owned(unit.period_numbers(NAME, times)?))
    }
}

impl UserTimelineMetric for StickinessDistribution {
    const START_ARG: Option<usize> = None;
    // Period numbers: a user's active days of two months fit one 64-bit set.
    const SMALL_INTEGERS: bool = true;

    fn evaluate_group(
        _: &CalendarUnit,
        users: &[UserTimeline<'_>],
        rows: &mut ResultRows<ActivePeriodsRow>,
    ) -> Result<()> {
        // users_with[k - 1]: the users active in exactly k periods (their values are distinct).
        let mut users_with: Vec<i64> = vec![];
        let mut active_users = 0;
        for user in UserTimeline::prefetching(users) {
            let periods = user.values.len();
            if periods == 0 {
                continue;
            }
            if users_with.len() < periods {
                users_with.resize(periods, 0);
            }
            users_with[periods - 1] += 1;
            active_users += 1;
        }
        for (k, &users) in users_with.iter().enumerate() {
            rows.push(ActivePeriodsRow {
                active_periods: k as i64 + 1,
                users,
                share: Some(100.0 * users as f64 / active_users as f64),
            });
        }
        Ok(())
    }
}
