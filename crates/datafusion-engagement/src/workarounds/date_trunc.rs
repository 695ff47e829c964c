//! `date_trunc` as DataFusion computes it, with a faster path for the calendar units (week,
//! month, quarter, year) of timestamps without a time zone.
//!
//! Reports group by month and week; DataFusion 55 truncates such a timestamp row by row,
//! through nanoseconds and a `Result` per value, about twice the time of `date_trunc('day',
//! …)`, which is arithmetic on the whole array (BENCHMARKS.md). Here the calendar units are
//! arithmetic on the whole array
//! too, in 32-bit integers, once the batch is known to lie where DataFusion's result is
//! defined. Everything else (time zones, finer units, TIME values, scalars, values near the
//! ends of the nanosecond range) goes to DataFusion's own function, whose name, signature,
//! documentation and errors this one keeps. One addition: the precision may be a column,
//! each row truncated to its own (DataFusion's FFI passes even a constant precision as one,
//! and DataFusion's function takes only a constant).
//!
//! Not part of [`register_all`](crate::register_all), which adds the pack's own functions:
//! registering [`DateTrunc`] replaces DataFusion's `date_trunc`, with the same results, as the
//! `engage` shell does. (The Python package leaves DataFusion's: through the FFI, whose
//! arguments cross as arrays, it saved about 15 % of `date_trunc`'s CPU rather than half.)
//!
//! ```
//! use datafusion::logical_expr::ScalarUDF;
//! use datafusion::prelude::SessionContext;
//! use datafusion_engagement::date_trunc::DateTrunc;
//!
//! let ctx = SessionContext::new();
//! ctx.register_udf(ScalarUDF::new_from_impl(DateTrunc::new()));
//! ```

use std::sync::Arc;

use crate::calendar::CalendarUnit;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray, Scalar};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::datatypes::{
    ArrowTimestampType, DataType, FieldRef, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};

/// DataFusion's `date_trunc`, with the fast path of the [module documentation](self).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DateTrunc {
    datafusion: Arc<ScalarUDF>,
}

impl DateTrunc {
    /// The function, wrapping DataFusion's own.
    pub fn new() -> Self {
        Self {
            datafusion: datafusion::functions::datetime::date_trunc(),
        }
    }
}

impl DateTrunc {
    /// The result for a constant precision: the fast path's, or else DataFusion's.
    fn truncate(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match fast_path(&args.args) {
            Some(array) => Ok(ColumnarValue::Array(array)),
            None => self.datafusion.invoke_with_args(args),
        }
    }

    /// The result for a precision given per row, which DataFusion's own function refuses:
    /// DataFusion's FFI hands a scalar function every argument as an array, a constant one
    /// too (so Python DataFusion calls this one). Each precision the batch holds truncates the
    /// rows that hold it, so that the answer never depends on how rows fall into batches.
    fn truncate_by_row(
        &self,
        precisions: ArrayRef,
        args: ScalarFunctionArgs,
    ) -> Result<ColumnarValue> {
        if precisions.null_count() > 0 {
            return exec_err!("Granularity of `date_trunc` must be non-null scalar Utf8");
        }
        let distinct = match precisions.data_type() {
            DataType::Utf8 => distinct_strings(precisions.as_string::<i32>().iter()),
            DataType::LargeUtf8 => distinct_strings(precisions.as_string::<i64>().iter()),
            DataType::Utf8View => distinct_strings(precisions.as_string_view().iter()),
            // Not a string: DataFusion's error.
            _ => return self.datafusion.invoke_with_args(args),
        };
        let mut truncated: Option<ArrayRef> = None;
        for precision in distinct {
            let precision = ScalarValue::from(precision);
            let mut constant = args.clone();
            constant.args[0] = ColumnarValue::Scalar(precision.clone());
            let by_precision = self.truncate(constant)?.into_array(args.number_rows)?;
            truncated = Some(match truncated {
                None => by_precision,
                Some(others) => {
                    let precision = precision.cast_to(precisions.data_type())?;
                    let rows = eq(&precisions, &Scalar::new(precision.to_array()?))?;
                    zip(&rows, &by_precision, &others)?
                }
            });
        }
        match truncated {
            Some(array) => Ok(ColumnarValue::Array(array)),
            // No rows: DataFusion's answer for none.
            None => self.truncate(ScalarFunctionArgs {
                args: vec![
                    ColumnarValue::Scalar(ScalarValue::from("day")),
                    args.args[1].clone(),
                ],
                ..args
            }),
        }
    }
}

/// The distinct values of a string column without NULLs, in order of appearance; a row costs
/// a comparison with the row before (a precision column is nearly always one value).
fn distinct_strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<&'a str> {
    let mut distinct: Vec<&str> = vec![];
    let mut previous = None;
    for value in values.flatten() {
        if previous != Some(value) && !distinct.contains(&value) {
            distinct.push(value);
        }
        previous = Some(value);
    }
    distinct
}

impl Default for DateTrunc {
    fn default() -> Self {
        Self::new()
    }
}

/// The calendar unit a constant `precision` argument names, if the fast path truncates to it:
/// week, month, quarter or year (DataFusion's `day` is already arithmetic on the array).
fn fast_unit(precision: &ColumnarValue) -> Option<CalendarUnit> {
    let ColumnarValue::Scalar(
        ScalarValue::Utf8(Some(name))
        | ScalarValue::Utf8View(Some(name))
        | ScalarValue::LargeUtf8(Some(name)),
    ) = precision
    else {
        return None;
    };
    CalendarUnit::named(name).filter(|unit| *unit != CalendarUnit::Day)
}

/// Days since 1970-01-01 of the timestamps DataFusion's `date_trunc` handles: it truncates in
/// nanoseconds, whose i64 spans 1677-09-21 00:12:43 to 2262-04-11 23:47:16. Whole days only,
/// and a year of margin at the start so that every truncated day is in that span too; beyond
/// these bounds, DataFusion's function decides (an "out of range" error).
const DAYS_IN_RANGE: std::ops::RangeInclusive<i64> = -106_751 + 366..=106_750;

/// The timestamps of `values` truncated to `unit`, or `None` when a valid one lies outside
/// [`DAYS_IN_RANGE`].
fn truncate<T: ArrowTimestampType>(
    values: &PrimitiveArray<T>,
    unit: CalendarUnit,
) -> Option<ArrayRef> {
    let per_day: i64 = match T::UNIT {
        TimeUnit::Second => 86_400,
        TimeUnit::Millisecond => 86_400_000,
        TimeUnit::Microsecond => 86_400_000_000,
        TimeUnit::Nanosecond => 86_400_000_000_000,
    };
    let raw = values.values();
    // The bounds of the valid values: a slot under a NULL may hold anything.
    let (min, max) = match values.nulls() {
        None => raw
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v))),
        Some(nulls) => nulls
            .valid_indices()
            .fold((i64::MAX, i64::MIN), |(lo, hi), i| {
                (lo.min(raw[i]), hi.max(raw[i]))
            }),
    };
    if min > max {
        // Nothing but NULLs (or nothing).
        return Some(Arc::new(values.clone()));
    }
    let day_of = |v: i64| v.div_euclid(per_day);
    let (first_day, last_day) = (day_of(min), day_of(max));
    if !(DAYS_IN_RANGE.contains(&first_day) && DAYS_IN_RANGE.contains(&last_day)) {
        return None;
    }
    // Within the bounds, every slot is a day of DAYS_IN_RANGE, whatever a NULL's slot held.
    let day_of_slot = |v: i64| day_of(v.clamp(min, max)) as i32;
    let days = (last_day - first_day + 1) as usize;
    let truncated: Vec<i64> = if days <= raw.len() / 4 {
        // A batch of an event log spans a few days: each day's start once, then a lookup.
        let starts: Vec<i64> = (first_day as i32..=last_day as i32)
            .map(|day| i64::from(unit.start_of(day)) * per_day)
            .collect();
        raw.iter()
            .map(|&v| starts[(day_of_slot(v) - first_day as i32) as usize])
            .collect()
    } else {
        raw.iter()
            .map(|&v| i64::from(unit.start_of(day_of_slot(v))) * per_day)
            .collect()
    };
    let array = PrimitiveArray::<T>::new(truncated.into(), values.nulls().cloned());
    Some(Arc::new(array))
}

/// The fast path's result for these arguments, if it applies.
fn fast_path(args: &[ColumnarValue]) -> Option<ArrayRef> {
    let unit = fast_unit(args.first()?)?;
    let ColumnarValue::Array(array) = args.get(1)? else {
        return None;
    };
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, None) => {
            truncate(array.as_primitive::<TimestampSecondType>(), unit)
        }
        DataType::Timestamp(TimeUnit::Millisecond, None) => {
            truncate(array.as_primitive::<TimestampMillisecondType>(), unit)
        }
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            truncate(array.as_primitive::<TimestampMicrosecondType>(), unit)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, None) => {
            truncate(array.as_primitive::<TimestampNanosecondType>(), unit)
        }
        _ => None,
    }
}

impl ScalarUDFImpl for DateTrunc {
    fn name(&self) -> &str {
        self.datafusion.name()
    }

    fn aliases(&self) -> &[String] {
        self.datafusion.aliases()
    }

    fn signature(&self) -> &Signature {
        self.datafusion.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.datafusion.inner().return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.datafusion.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.first() {
            Some(ColumnarValue::Array(precisions)) => {
                self.truncate_by_row(Arc::clone(precisions), args)
            }
            _ => self.truncate(args),
        }
    }

    fn output_ordering(&self, input: &[ExprProperties]) -> Result<SortProperties> {
        self.datafusion.output_ordering(input)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.datafusion.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{RecordBatch, TimestampNanosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    const UNITS: [&str; 4] = ["week", "month", "quarter", "year"];
    const NANOS_PER_DAY: i64 = 86_400_000_000_000;

    /// Nanosecond timestamps: random ones over the whole range the fast path takes, hourly
    /// ones over some months, the days around every first of a month and of a leap day from
    /// 1696 to 2262 (1700, 1800, 1900 and 2100 are not leap years, 2000 is), a second before
    /// and after each, and NULLs.
    fn timestamps() -> Vec<Option<i64>> {
        let mut values = vec![None];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let (first, last) = (*DAYS_IN_RANGE.start(), *DAYS_IN_RANGE.end());
        for _ in 0..5_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let span = (last - first) as u64 * NANOS_PER_DAY as u64;
            let offset = i128::from(state % span);
            values.push(Some((i128::from(first * NANOS_PER_DAY) + offset) as i64));
        }
        // Hourly over two months around year ends and leap days: batches that span a few
        // days, truncated through a table of their days.
        for (year, month) in [(1700, 2), (1900, 2), (1969, 12), (2000, 2), (2100, 12)] {
            let start = days_from(year, month, 1) * NANOS_PER_DAY + 7 * 60_000_000_000;
            values.extend((0..24 * 60).map(|hour| Some(start + hour * 3_600_000_000_000)));
        }
        for year in 1696..2262 {
            for month in 1..=12 {
                let day = days_from(year, month, 1);
                for offset in [-1, 0, 1, 27, 28, 29] {
                    let midnight = (day + offset) * NANOS_PER_DAY;
                    values.extend([midnight - 1_000_000_000, midnight, midnight + 1].map(Some));
                }
            }
        }
        values
    }

    /// Days since 1970-01-01 of a date, counted day by day from a known one (slow and plain,
    /// unlike the code under test).
    fn days_from(year: i64, month: u32, day: i64) -> i64 {
        let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let month_days = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut days: i64 = (1970..year).map(|y| 365 + i64::from(leap(y))).sum();
        days -= (year..1970).map(|y| 365 + i64::from(leap(y))).sum::<i64>();
        days + (1..month).map(|m| month_days(year, m)).sum::<i64>() + day - 1
    }

    /// `date_trunc(unit, ts)` for every unit, over `ts` cast to `timestamp_type`, in a session
    /// with or without this function.
    async fn truncated(values: &[Option<i64>], timestamp_type: &str, ours: bool) -> String {
        let ctx = SessionContext::new();
        if ours {
            ctx.register_udf(ScalarUDF::new_from_impl(DateTrunc::new()));
        }
        let schema = Arc::new(Schema::new(vec![Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            true,
        )]));
        // Batches of 1 000, so that one out of range falls back alone.
        let batches = values
            .chunks(1_000)
            .map(|chunk| {
                let column = TimestampNanosecondArray::from(chunk.to_vec());
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(column)]).unwrap()
            })
            .collect();
        let table = MemTable::try_new(schema, vec![batches]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let columns: Vec<String> = UNITS
            .iter()
            .map(|unit| format!("date_trunc('{unit}', arrow_cast(ts, '{timestamp_type}'))"))
            .collect();
        let sql = format!("SELECT ts, {} FROM t", columns.join(", "));
        match ctx.sql(&sql).await.unwrap().collect().await {
            Ok(batches) => pretty_format_batches(&batches).unwrap().to_string(),
            Err(error) => format!("error: {}", error.strip_backtrace()),
        }
    }

    #[tokio::test]
    async fn calendar_units_are_truncated_as_datafusion_does_in_every_time_unit() {
        let values = timestamps();
        for timestamp_type in [
            "Timestamp(Nanosecond, None)",
            "Timestamp(Microsecond, None)",
            "Timestamp(Millisecond, None)",
            "Timestamp(Second, None)",
        ] {
            let expected = truncated(&values, timestamp_type, false).await;
            assert!(!expected.starts_with("error"), "{expected}");
            assert_eq!(
                truncated(&values, timestamp_type, true).await,
                expected,
                "{timestamp_type}"
            );
        }
    }

    #[test]
    fn the_calendar_is_right_where_it_is_easy_to_get_wrong() {
        let cases = [
            // (date, week, month, quarter, year), as (year, month, day)
            (
                (2000, 2, 29),
                (2000, 2, 28),
                (2000, 2, 1),
                (2000, 1, 1),
                (2000, 1, 1),
            ),
            (
                (2000, 3, 1),
                (2000, 2, 28),
                (2000, 3, 1),
                (2000, 1, 1),
                (2000, 1, 1),
            ),
            (
                (1900, 3, 1),
                (1900, 2, 26),
                (1900, 3, 1),
                (1900, 1, 1),
                (1900, 1, 1),
            ),
            (
                (2100, 12, 31),
                (2100, 12, 27),
                (2100, 12, 1),
                (2100, 10, 1),
                (2100, 1, 1),
            ),
            (
                (1969, 12, 31),
                (1969, 12, 29),
                (1969, 12, 1),
                (1969, 10, 1),
                (1969, 1, 1),
            ),
            (
                (1700, 2, 28),
                (1700, 2, 22),
                (1700, 2, 1),
                (1700, 1, 1),
                (1700, 1, 1),
            ),
            (
                (2024, 7, 1),
                (2024, 7, 1),
                (2024, 7, 1),
                (2024, 7, 1),
                (2024, 1, 1),
            ),
        ];
        for (date, week, month, quarter, year) in cases {
            let day = |(y, m, d): (i64, u32, i64)| days_from(y, m, d) as i32;
            let units = [
                CalendarUnit::Week,
                CalendarUnit::Month,
                CalendarUnit::Quarter,
                CalendarUnit::Year,
            ];
            let starts = units.map(|unit| unit.start_of(day(date)));
            assert_eq!(starts, [week, month, quarter, year].map(day), "{date:?}");
        }
    }

    #[test]
    fn slots_under_nulls_may_hold_anything() {
        use datafusion::arrow::array::TimestampMicrosecondArray;
        use datafusion::arrow::buffer::NullBuffer;
        let micros_per_day = 86_400_000_000;
        let january_15 = days_from(2026, 1, 15) * micros_per_day + 123;
        let february_3 = days_from(2026, 2, 3) * micros_per_day;
        let expected = [days_from(2026, 1, 1), days_from(2026, 2, 1)].map(|d| d * micros_per_day);
        // 4 rows take the path computing each row; 400 the path through a table of days.
        for copies in [1, 100] {
            let values = [january_15, i64::MIN, i64::MAX, february_3].repeat(copies);
            let nulls = NullBuffer::from([true, false, false, true].repeat(copies));
            let array = TimestampMicrosecondArray::new(values.into(), Some(nulls));
            let truncated = truncate(&array, CalendarUnit::Month).expect("the fast path");
            let truncated = truncated.as_primitive::<TimestampMicrosecondType>();
            assert_eq!(truncated.nulls(), array.nulls());
            for row in (0..4 * copies).step_by(4) {
                assert_eq!([truncated.value(row), truncated.value(row + 3)], expected);
            }
        }
        let only_nulls =
            TimestampMicrosecondArray::new(vec![i64::MIN].into(), Some(NullBuffer::new_null(1)));
        let truncated = truncate(&only_nulls, CalendarUnit::Year).expect("the fast path");
        assert_eq!(truncated.null_count(), 1);
    }

    #[test]
    fn the_last_minutes_of_the_nanosecond_range_are_left_to_datafusion() {
        use datafusion::arrow::array::TimestampSecondArray;
        // 2262-04-11 23:50:00 fits seconds but not nanoseconds.
        let last_day = ColumnarValue::Array(Arc::new(TimestampSecondArray::from(vec![
            106_751 * 86_400 + 85_800,
        ])));
        let month = ColumnarValue::Scalar(ScalarValue::from("month"));
        assert!(fast_path(&[month.clone(), last_day]).is_none());
        let day_before = ColumnarValue::Array(Arc::new(TimestampSecondArray::from(vec![
            106_750 * 86_400 + 85_800,
        ])));
        assert!(fast_path(&[month, day_before]).is_some());
    }

    #[tokio::test]
    async fn other_arguments_get_datafusions_answer_and_errors() {
        // Near the start of the nanosecond range: the year before it cannot be represented.
        let early = Some((*DAYS_IN_RANGE.start() - 300) * NANOS_PER_DAY);
        let values = [Some(0), early, None];
        let expected = truncated(&values, "Timestamp(Nanosecond, None)", false).await;
        assert!(expected.contains("out of range"), "{expected}");
        assert_eq!(
            truncated(&values, "Timestamp(Nanosecond, None)", true).await,
            expected
        );
        // Time zones, finer units, scalars and dates.
        let ctx = SessionContext::new();
        ctx.register_udf(ScalarUDF::new_from_impl(DateTrunc::new()));
        let sql = "SELECT date_trunc('month', arrow_cast(ts, 'Timestamp(Second, Some(\"America/New_York\"))')), \
                   date_trunc('hour', ts), date_trunc('year', TIMESTAMP '2024-05-15T10:30:00'), \
                   datetrunc('quarter', DATE '2024-05-15') \
                   FROM (VALUES (TIMESTAMP '2024-03-01T03:30:00')) AS t(ts)";
        let ours = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let theirs = SessionContext::new()
            .sql(sql)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(
            pretty_format_batches(&ours).unwrap().to_string(),
            pretty_format_batches(&theirs).unwrap().to_string()
        );
        assert_eq!(ours[0].schema(), theirs[0].schema());
    }

    /// A precision per row (as DataFusion's FFI passes even a constant one): each row
    /// truncated to its own, in any string type; a NULL one is DataFusion's error.
    #[test]
    fn a_precision_per_row_truncates_each_row_to_its_own() {
        use datafusion::arrow::array::{StringArray, StringViewArray};
        use datafusion::arrow::datatypes::Field;
        let times: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![
            Some(1_709_263_800_000_000_000),
            None,
            Some(1_709_263_800_000_000_000),
            Some(0),
        ]));
        let call = |precision: ColumnarValue| {
            DateTrunc::new().invoke_with_args(ScalarFunctionArgs {
                args: vec![precision, ColumnarValue::Array(Arc::clone(&times))],
                arg_fields: vec![
                    Arc::new(Field::new("p", DataType::Utf8, true)),
                    Arc::new(Field::new("t", times.data_type().clone(), true)),
                ],
                number_rows: times.len(),
                return_field: Arc::new(Field::new("r", times.data_type().clone(), true)),
                config_options: Arc::default(),
            })
        };
        let array = |value: ColumnarValue| value.into_array(times.len()).unwrap();
        let constant =
            |unit: &str| array(call(ColumnarValue::Scalar(ScalarValue::from(unit))).unwrap());
        let (month, hour) = (constant("month"), constant("hour"));
        let repeated = StringArray::from(vec!["month"; 4]);
        assert_eq!(
            &array(call(ColumnarValue::Array(Arc::new(repeated))).unwrap()),
            &month
        );
        let units = ["month", "hour", "HOUR", "month"];
        let expected: Vec<ArrayRef> = units
            .iter()
            .enumerate()
            .map(|(row, unit)| match *unit {
                "month" => month.slice(row, 1),
                _ => hour.slice(row, 1),
            })
            .collect();
        let expected = datafusion::arrow::compute::concat(
            &expected.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        )
        .unwrap();
        for per_row in [
            Arc::new(StringArray::from(units.to_vec())) as ArrayRef,
            Arc::new(StringViewArray::from(units.to_vec())),
        ] {
            assert_eq!(
                &array(call(ColumnarValue::Array(per_row)).unwrap()),
                &expected
            );
        }
        let with_null = StringArray::from(vec![Some("month"), None, Some("day"), Some("day")]);
        let error = call(ColumnarValue::Array(Arc::new(with_null))).unwrap_err();
        assert!(
            error.to_string().contains("must be non-null scalar Utf8"),
            "{error}"
        );
    }
}
