//! Calendar days (since 1970-01-01) of event times of any timestamp unit and zone, or dates.

use std::borrow::Cow;

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{internal_err, plan_err};
use datafusion::error::Result;

/// Accepts TIMESTAMP (any unit, with or without zone), DATE32 and DATE64; NULL becomes DATE32.
pub(crate) fn coerce_event_time(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match data_type {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => Ok(data_type.clone()),
        DataType::Null => Ok(DataType::Date32),
        other => plan_err!("{function}: {argument} must be a TIMESTAMP or DATE, got {other}"),
    }
}

/// The day number of every row (meaningless for NULL rows, which callers skip).
///
/// Timestamps are stored as instants since the epoch in UTC, so flooring to whole days gives
/// the UTC calendar date for zoned timestamps and the wall-clock date for naive ones.
pub(crate) fn days_since_epoch(times: &ArrayRef) -> Result<Vec<i32>> {
    // Clamped, not checked: NULL slots may hold any value, and no real event lies more than
    // five million years from 1970.
    fn floor_days(values: &[i64], per_day: i64) -> Vec<i32> {
        let clamp = |days: i64| days.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        values
            .iter()
            .map(|v| clamp(v.div_euclid(per_day)))
            .collect()
    }
    Ok(match times.data_type() {
        DataType::Date32 => times.as_primitive::<Date32Type>().values().to_vec(),
        DataType::Date64 => floor_days(times.as_primitive::<Date64Type>().values(), 86_400_000),
        DataType::Timestamp(TimeUnit::Second, _) => {
            floor_days(times.as_primitive::<TimestampSecondType>().values(), 86_400)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => floor_days(
            times.as_primitive::<TimestampMillisecondType>().values(),
            86_400_000,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => floor_days(
            times.as_primitive::<TimestampMicrosecondType>().values(),
            86_400_000_000,
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => floor_days(
            times.as_primitive::<TimestampNanosecondType>().values(),
            86_400_000_000_000,
        ),
        other => return internal_err!("expected a TIMESTAMP or DATE column, got {other}"),
    })
}

/// Microseconds since the epoch of every row of a TIMESTAMP (any unit; naive ones read as
/// UTC) or DATE column (meaningless for NULL rows, which callers skip). Nanoseconds are
/// floored to whole microseconds. Saturating, not checked: NULL slots may hold any value, and
/// only instants more than 292 000 years from 1970 (DATE allows millions) reach the bounds.
pub(crate) fn microseconds_since_epoch(times: &ArrayRef) -> Result<Cow<'_, [i64]>> {
    fn scaled(values: &[i64], f: impl Fn(i64) -> i64) -> Cow<'static, [i64]> {
        Cow::Owned(values.iter().map(|&v| f(v)).collect())
    }
    Ok(match times.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Cow::Borrowed(times.as_primitive::<TimestampMicrosecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => scaled(
            times.as_primitive::<TimestampNanosecondType>().values(),
            |v| v.div_euclid(1_000),
        ),
        DataType::Timestamp(TimeUnit::Millisecond, _) => scaled(
            times.as_primitive::<TimestampMillisecondType>().values(),
            |v| v.saturating_mul(1_000),
        ),
        DataType::Timestamp(TimeUnit::Second, _) => {
            scaled(times.as_primitive::<TimestampSecondType>().values(), |v| {
                v.saturating_mul(1_000_000)
            })
        }
        DataType::Date64 => scaled(times.as_primitive::<Date64Type>().values(), |v| {
            v.saturating_mul(1_000)
        }),
        DataType::Date32 => Cow::Owned(
            times
                .as_primitive::<Date32Type>()
                .values()
                .iter()
                .map(|&d| i64::from(d).saturating_mul(86_400_000_000))
                .collect(),
        ),
        other => return internal_err!("expected a TIMESTAMP or DATE column, got {other}"),
    })
}
