//! Calendar days (since 1970-01-01) of event times of any timestamp unit and zone, or dates:
//! the local day of each instant, as `date_trunc('day', …)` gives it.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{exec_datafusion_err, internal_err, plan_err};
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

/// The one type an event time and an optional start time (a signup) are both coerced to, so
/// that they compare as instants in one zone: the event time's TIMESTAMP type, else the start
/// time's, else the event time's DATE type. `start` is (argument name, type).
pub(crate) fn event_and_start_time(
    function: &str,
    event_time: &DataType,
    start: Option<(&str, &DataType)>,
) -> Result<DataType> {
    let event_time = coerce_event_time(function, "event_time", event_time)?;
    let start = match start {
        Some((argument, start)) => Some(coerce_event_time(function, argument, start)?),
        None => None,
    };
    Ok(match (event_time, start) {
        (DataType::Date32 | DataType::Date64, Some(start @ DataType::Timestamp(_, _))) => start,
        (event_time, _) => event_time,
    })
}

/// The calendar day (days since 1970-01-01) of every row, in the timestamp's own time zone —
/// the date `date_trunc('day', t)` gives — and for naive timestamps and dates the day they
/// show. Meaningless for NULL rows, which callers skip.
pub(crate) fn days_since_epoch(function: &str, times: &ArrayRef) -> Result<Vec<i32>> {
    // Clamped, not checked: NULL slots may hold any value, and no real event lies more than
    // five million years from 1970.
    fn floor_days(values: &[i64], per_day: i64, zone: Option<LocalOffsets>) -> Vec<i32> {
        let clamp = |days: i64| days.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        let Some(mut zone) = zone else {
            return values
                .iter()
                .map(|v| clamp(v.div_euclid(per_day)))
                .collect();
        };
        let per_second = per_day / SECONDS_PER_DAY;
        values
            .iter()
            .map(|&v| {
                let offset = zone.offset(v.div_euclid(per_second));
                clamp(v.saturating_add(offset * per_second).div_euclid(per_day))
            })
            .collect()
    }
    let zone = match times.data_type() {
        DataType::Timestamp(_, Some(name)) => Some(LocalOffsets::new(function, name)?),
        _ => None,
    };
    Ok(match times.data_type() {
        DataType::Date32 => times.as_primitive::<Date32Type>().values().to_vec(),
        DataType::Date64 => floor_days(
            times.as_primitive::<Date64Type>().values(),
            86_400_000,
            None,
        ),
        DataType::Timestamp(TimeUnit::Second, _) => floor_days(
            times.as_primitive::<TimestampSecondType>().values(),
            SECONDS_PER_DAY,
            zone,
        ),
        DataType::Timestamp(TimeUnit::Millisecond, _) => floor_days(
            times.as_primitive::<TimestampMillisecondType>().values(),
            86_400_000,
            zone,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => floor_days(
            times.as_primitive::<TimestampMicrosecondType>().values(),
            86_400_000_000,
            zone,
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => floor_days(
            times.as_primitive::<TimestampNanosecondType>().values(),
            86_400_000_000_000,
            zone,
        ),
        other => return internal_err!("expected a TIMESTAMP or DATE column, got {other}"),
    })
}

const SECONDS_PER_DAY: i64 = 86_400;

/// The UTC offset of a time zone at each instant, remembered for the last UTC day seen: rows
/// of a batch mostly share a few days, and a zone's offset changes at most once a day, so a
/// day whose first and last second have the same offset has it throughout.
struct LocalOffsets {
    zone: Tz,
    day: i64,
    /// The offset of the whole of `day`; `None` when it changes that day (a DST switch).
    offset: Option<i64>,
}

impl LocalOffsets {
    fn new(function: &str, name: &str) -> Result<Self> {
        let zone = Tz::from_str(name).map_err(|e| {
            exec_datafusion_err!(
                "{function}: cannot read the time zone '{name}' of event times: {e}"
            )
        })?;
        Ok(Self {
            zone,
            day: i64::MIN,
            offset: None,
        })
    }

    /// Seconds to add to UTC for local time at `second` since the epoch (0 beyond the
    /// calendar's range).
    fn offset_at(&self, second: i64) -> i64 {
        DateTime::from_timestamp(second, 0).map_or(0, |utc| {
            i64::from(
                self.zone
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
    }

    #[inline]
    fn offset(&mut self, second: i64) -> i64 {
        let day = second.div_euclid(SECONDS_PER_DAY);
        if day != self.day {
            let start = day * SECONDS_PER_DAY;
            let first = self.offset_at(start);
            let last = self.offset_at(start.saturating_add(SECONDS_PER_DAY - 1));
            (self.day, self.offset) = (day, (first == last).then_some(first));
        }
        self.offset.unwrap_or_else(|| self.offset_at(second))
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::TimestampSecondArray;

    use super::*;

    /// 2026-03-08T07:00:00Z: New York moves from UTC−5 to UTC−4.
    const SPRING_FORWARD: i64 = 1_772_953_200;

    #[test]
    fn offsets_change_at_the_transition_whatever_the_order_of_rows() {
        let mut zone = LocalOffsets::new("f", "America/New_York").unwrap();
        let hour = 3_600;
        let instants = [
            SPRING_FORWARD - 1,
            SPRING_FORWARD,
            SPRING_FORWARD - 7 * hour,
            SPRING_FORWARD + 16 * hour,
            SPRING_FORWARD - 1,
            SPRING_FORWARD - 40 * 86_400,
            SPRING_FORWARD + 1,
        ];
        let expected = [-5, -4, -5, -4, -5, -5, -4].map(|h| h * hour);
        for (instant, offset) in instants.into_iter().zip(expected) {
            assert_eq!(zone.offset(instant), offset, "at {instant}");
            assert_eq!(zone.offset_at(instant), offset, "uncached at {instant}");
        }
    }

    #[test]
    fn fixed_offsets_utc_and_unknown_zones() {
        let mut zone = LocalOffsets::new("f", "+05:30").unwrap();
        assert_eq!(zone.offset(0), 5 * 3_600 + 1_800);
        let mut zone = LocalOffsets::new("f", "UTC").unwrap();
        assert_eq!(zone.offset(SPRING_FORWARD), 0);
        // Beyond chrono's calendar: no offset rather than a panic.
        assert_eq!(zone.offset(i64::MAX / 2), 0);
        let error = LocalOffsets::new("stickiness", "Mars/Olympus_Mons")
            .err()
            .unwrap();
        assert!(
            error
                .to_string()
                .contains("stickiness: cannot read the time zone 'Mars/Olympus_Mons'"),
            "{error}"
        );
    }

    #[test]
    fn local_days_of_zoned_and_naive_timestamps() {
        // 04:59Z and 05:00Z on 8 March: 23:59 on the 7th and 00:00 on the 8th in New York.
        let seconds = vec![SPRING_FORWARD - 7_201 - 3_600, SPRING_FORWARD - 7_200];
        let naive: ArrayRef = Arc::new(TimestampSecondArray::from(seconds.clone()));
        let zoned: ArrayRef =
            Arc::new(TimestampSecondArray::from(seconds).with_timezone("America/New_York"));
        let march_8 = 20_520;
        assert_eq!(
            days_since_epoch("f", &naive).unwrap(),
            vec![march_8, march_8]
        );
        assert_eq!(
            days_since_epoch("f", &zoned).unwrap(),
            vec![march_8 - 1, march_8]
        );
    }
}
