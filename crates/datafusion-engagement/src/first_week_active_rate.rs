//! `first_week_active_rate(user_id, event_time, signup_time)`: the share of users active in
//! the week after signing up.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef};
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
use crate::families::key_values::{Flag, FlaggedShare};
use crate::kernels::keyed::{KeyedKernel, KeyedRule};

/// 100 × distinct users with an event in (signup, signup + 7 days] / distinct users.
#[derive(Debug)]
pub(crate) struct FirstWeekActiveRate;

const WEEK_MICROSECONDS: i64 = 7 * 86_400_000_000;

/// Flags a user with an event in the week after signup.
#[derive(Debug)]
pub(crate) struct FirstWeekRule;

impl KeyedRule for FirstWeekRule {
    type Value = Flag;
    type Summary = FlaggedShare;

    fn row_values(&self, inputs: &[ArrayRef], _rows: &SelectedRows) -> Result<Vec<Flag>> {
        let events = microseconds_since_epoch(&inputs[1])?;
        let signups = microseconds_since_epoch(&inputs[2])?;
        // A NULL event time (a user without events, from an outer join) counts the user as
        // not active.
        let has_event = |row: usize| inputs[1].is_valid(row);
        Ok((0..events.len())
            .map(|row| {
                let since_signup = events[row] as i128 - signups[row] as i128;
                Flag(
                    has_event(row) && since_signup > 0 && since_signup <= WEEK_MICROSECONDS as i128,
                )
            })
            .collect())
    }

    fn fold(summary: &mut FlaggedShare, value: &Flag) {
        summary.fold(value)
    }

    fn result(&self, summary: &FlaggedShare) -> Option<f64> {
        summary.percent()
    }
}

impl Metric for FirstWeekActiveRate {
    const NAME: &'static str = "first_week_active_rate";
    const UNIT: Option<&'static str> = Some("%");
    const STATE_NAMES: &'static [&'static str] = &["users"];
    const REQUIRED_ARGS: &'static [usize] = &[0, 2];
    const DISTINCT: Distinct = Distinct::Unchanged;
    type Rule = FirstWeekRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "First-week activation: 100 × distinct users with an event in (signup_time, \
                 signup_time + 7 days] / distinct users, a DOUBLE from 0 to 100. Exact. Each row \
                 is judged by its own signup_time. Rows with a NULL user_id or signup_time are \
                 skipped; a row with a NULL event_time (a user without events, from an outer join) \
                 counts the user as not active. A group without users gives NULL.",
                "first_week_active_rate(user_id, event_time, signup_time)",
            )
            .with_sql_example("```sql\nSELECT date_trunc('month', u.signup_time) AS cohort,\n       first_week_active_rate(u.user_id, e.event_time, u.signup_time) AS activated\nFROM users u LEFT JOIN events e ON e.user_id = u.user_id\nGROUP BY cohort;\n```")
            .with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("event_time", "When the user was active: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("signup_time", "When the user signed up: a TIMESTAMP or DATE.")
            .with_related_udf("stickiness")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 3, 3, Self::usage())?;
        Ok(vec![
            UserIdKind::coerce(Self::NAME, "user_id", &arg_types[0])?,
            coerce_event_time(Self::NAME, "event_time", &arg_types[1])?,
            coerce_event_time(Self::NAME, "signup_time", &arg_types[2])?,
        ])
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .map(|user| vec![user, time.clone(), time.clone()])
            .to_vec()
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<FirstWeekRule> {
        Ok(FirstWeekRule)
    }
}

shared_udaf!(
    /// The `first_week_active_rate` aggregate function.
    first_week_active_rate_udaf,
    FirstWeekActiveRate
);
