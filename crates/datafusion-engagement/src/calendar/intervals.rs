//! Constant INTERVAL arguments (a retention period, a funnel's window) and adding them to
//! event times exactly as DataFusion's `t + INTERVAL …` does.

use std::str::FromStr;

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::datatypes::{
    DataType, IntervalMonthDayNano, IntervalUnit, TimestampMicrosecondType,
};
use datafusion::common::{ScalarValue, exec_datafusion_err, plan_err};
use datafusion::error::Result;

pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The type a constant INTERVAL argument is coerced to: any INTERVAL, a string such as
/// '30 minutes' or NULL (refused when read) become a month-day-nanosecond INTERVAL. `example`
/// shows the argument in the error.
pub(crate) fn coerce_interval(
    function: &str,
    argument: &str,
    example: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match data_type {
        DataType::Interval(_) | DataType::Null => {
            Ok(DataType::Interval(IntervalUnit::MonthDayNano))
        }
        t if crate::common::args::is_string_type(t) => {
            Ok(DataType::Interval(IntervalUnit::MonthDayNano))
        }
        other => plan_err!(
            "{function}: {argument} must be an INTERVAL such as INTERVAL '{example}', got {other}"
        ),
    }
}

/// Reads the constant INTERVAL argument `name` of `function`: positive in every part, and at
/// least a microsecond.
pub(crate) fn positive_interval(
    function: &str,
    name: &str,
    value: &ScalarValue,
) -> Result<IntervalMonthDayNano> {
    let interval = match value {
        ScalarValue::IntervalMonthDayNano(Some(v)) => *v,
        ScalarValue::IntervalYearMonth(Some(months)) => IntervalMonthDayNano::new(*months, 0, 0),
        ScalarValue::IntervalDayTime(Some(v)) => {
            IntervalMonthDayNano::new(0, v.days, i64::from(v.milliseconds) * 1_000_000)
        }
        other if other.is_null() => {
            return plan_err!("{function}: {name} must not be NULL");
        }
        other => {
            return plan_err!(
                "{function}: {name} must be an INTERVAL such as INTERVAL '7 days', got {other}"
            );
        }
    };
    let IntervalMonthDayNano {
        months,
        days,
        nanoseconds,
    } = interval;
    let at_least_a_microsecond = months > 0 || days > 0 || nanoseconds >= 1_000;
    if months < 0 || days < 0 || nanoseconds < 0 || !at_least_a_microsecond {
        return plan_err!(
            "{function}: {name} must be a positive INTERVAL of at least a microsecond (such as \
             INTERVAL '7 days' or INTERVAL '1 month'), got {}",
            describe(interval)
        );
    }
    Ok(interval)
}

/// An interval as SQL writes it: "1 months -3 days", "0 seconds".
fn describe(interval: IntervalMonthDayNano) -> String {
    let IntervalMonthDayNano {
        months,
        days,
        nanoseconds,
    } = interval;
    let parts: Vec<String> = [
        (months != 0).then(|| format!("{months} months")),
        (days != 0).then(|| format!("{days} days")),
        (nanoseconds != 0).then(|| format!("{} seconds", nanoseconds as f64 / 1e9)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "0 seconds".to_string()
    } else {
        parts.join(" ")
    }
}

/// A positive interval added to microsecond times in the zone of the event times' type:
/// calendar months, local days, then the rest.
#[derive(Debug, Clone)]
pub(crate) struct IntervalArithmetic {
    interval: IntervalMonthDayNano,
    zone: Tz,
    /// The interval in microseconds when it always has that length (no months, and a zone
    /// without daylight saving time).
    fixed: Option<i64>,
    /// A lower bound of the interval's length, in microseconds.
    shortest: i64,
}

impl IntervalArithmetic {
    pub(crate) fn new(interval: IntervalMonthDayNano, event_time: &DataType) -> Result<Self> {
        let zone_name = match event_time {
            DataType::Timestamp(_, Some(zone)) => Some(zone.as_ref()),
            _ => None,
        };
        let zone = Tz::from_str(zone_name.unwrap_or("+00:00"))
            .map_err(|e| exec_datafusion_err!("cannot read the time zone of event times: {e}"))?;
        // An offset or UTC: every day has 24 hours. Other zones take the general path.
        let fixed_zone = zone_name
            .is_none_or(|name| name.starts_with(['+', '-']) || name.eq_ignore_ascii_case("UTC"));
        let IntervalMonthDayNano {
            months,
            days,
            nanoseconds,
        } = interval;
        let micros = nanoseconds / 1_000;
        let fixed = (months == 0 && fixed_zone)
            .then(|| {
                i64::from(days)
                    .checked_mul(MICROS_PER_DAY)?
                    .checked_add(micros)
            })
            .flatten();
        // A month has at least 28 days; in a zone with daylight saving time a run of local
        // days may be up to a day and more shorter (Samoa skipped 30 Dec 2011), so two days
        // are taken off.
        let calendar_days = i64::from(months) * 28 + i64::from(days);
        let calendar = if fixed_zone {
            calendar_days
        } else {
            (calendar_days - 2).max(0)
        };
        Ok(Self {
            interval,
            zone,
            fixed,
            shortest: calendar
                .saturating_mul(MICROS_PER_DAY)
                .saturating_add(micros),
        })
    }

    /// The interval's length in microseconds, when it has only one.
    pub(crate) fn fixed(&self) -> Option<i64> {
        self.fixed
    }

    /// A lower bound of the interval's length in microseconds: two times closer than this
    /// are never more than one interval apart.
    pub(crate) fn shortest(&self) -> i64 {
        self.shortest
    }

    /// An upper bound of the interval's length in microseconds: months of 31 days, and a
    /// day more in a zone with daylight saving time.
    pub(crate) fn longest(&self) -> i64 {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        let IntervalMonthDayNano {
            months,
            days,
            nanoseconds,
        } = self.interval;
        let days = i64::from(months) * 31 + i64::from(days) + 1;
        days.saturating_mul(MICROS_PER_DAY)
            .saturating_add(nanoseconds / 1_000)
    }

    /// `start + k × interval` as DataFusion adds an interval (calendar months and days in the
    /// event times' zone): the end of month 2 from 31 Jan is `start + INTERVAL '3 months'`, not
    /// the start plus one month three times. `i64::MAX` past the calendar's end.
    pub(crate) fn add(&self, start: i64, k: i64) -> i64 {
        if let Some(step) = self.fixed {
            return step.saturating_mul(k).saturating_add(start);
        }
        let IntervalMonthDayNano {
            months,
            days,
            nanoseconds,
        } = self.interval;
        let times = |part: i32| i32::try_from(i64::from(part) * k).ok();
        let shifted = times(months)
            .zip(times(days))
            .zip(nanoseconds.checked_mul(k))
            .and_then(|((months, days), nanos)| {
                TimestampMicrosecondType::add_month_day_nano(
                    start,
                    IntervalMonthDayNano::new(months, days, nanos),
                    self.zone,
                )
            });
        shifted.unwrap_or(i64::MAX)
    }
}
