//! A statement's result as the report holds it: its first rows, each column as display text
//! and, where it has one, a number or a position in time.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, SchemaRef, TimeUnit};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::Result;
use datafusion_engagement::benchmark_band::BenchmarkBand;
use datafusion_engagement::calendar;

use super::units::ColumnFacts;

/// Rows of a result a report shows in its table and charts; the rest are counted.
pub const ROWS_SHOWN: usize = 1000;

/// What a column holds, for the choice of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Text, booleans and identifiers (integers named `id` or `…_id`): labels and series.
    Label,
    /// Dates and timestamps, and text whose every value is an ISO date or month
    /// (`2026-07`, `2026-07-15`): a time axis, and labels.
    Time,
    /// Any other number.
    Measure,
    /// Lists, maps, binary: shown in the table only.
    Other,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    pub role: Role,
    /// The display text of each row; `None` is NULL.
    pub text: Vec<Option<String>>,
    /// Each row's value as a number (measures), or its day since 1970-01-01 (times).
    pub numbers: Vec<Option<f64>>,
    /// The unit of the values, when known (`%`, `s`, …).
    pub unit: Option<String>,
    /// The benchmark bands of the metric the values are, when they are one of the pack's.
    pub benchmark: Option<&'static [BenchmarkBand]>,
}

impl Column {
    pub fn is_numeric(&self) -> bool {
        self.data_type.is_numeric()
    }
}

/// A result held for the report.
#[derive(Debug, Clone)]
pub struct ResultTable {
    pub columns: Vec<Column>,
    /// Rows held (at most [`ROWS_SHOWN`]).
    pub rows: usize,
    /// Rows the statement returned.
    pub total_rows: usize,
}

impl ResultTable {
    /// The table of `batches` (the first [`ROWS_SHOWN`] rows of a result of `total_rows`), a
    /// STRUCT column becoming one column per field (`s.nps`, `s.ci_low`, …). `facts` gives the
    /// unit and the benchmark of a column, by that name, where the plan tells them.
    pub fn new(
        schema: SchemaRef,
        batches: &[RecordBatch],
        total_rows: usize,
        facts: &ColumnFacts,
    ) -> Result<Self> {
        let batch = concat_batches(&schema, batches)?;
        let mut columns = vec![];
        let unit = |name: &str| facts.units.get(name).cloned();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            match field.data_type() {
                DataType::Struct(children) => {
                    let parent = array.as_struct();
                    for (child, values) in children.iter().zip(parent.columns()) {
                        // A NULL struct's fields are NULL too.
                        let values = with_parent_nulls(values, parent.nulls());
                        let name = format!("{}.{}", field.name(), child.name());
                        columns.push(column(name.clone(), child, &values, unit(&name))?);
                    }
                }
                _ => {
                    let mut column =
                        column(field.name().clone(), field, array, unit(field.name()))?;
                    column.benchmark = facts.benchmarks.get(field.name()).copied();
                    columns.push(column);
                }
            }
        }
        Ok(Self {
            columns,
            rows: batch.num_rows(),
            total_rows,
        })
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

fn with_parent_nulls(
    values: &ArrayRef,
    nulls: Option<&datafusion::arrow::buffer::NullBuffer>,
) -> ArrayRef {
    let Some(parent) = nulls else {
        return Arc::clone(values);
    };
    let combined = datafusion::arrow::buffer::NullBuffer::union(Some(parent), values.nulls());
    let data = values.to_data().into_builder().nulls(combined);
    // The builder keeps every buffer; only the validity is narrowed.
    datafusion::arrow::array::make_array(data.build().unwrap_or_else(|_| values.to_data()))
}

fn column(name: String, field: &Field, array: &ArrayRef, unit: Option<String>) -> Result<Column> {
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
    let text: Vec<Option<String>> = (0..array.len())
        .map(|i| array.is_valid(i).then(|| formatter.value(i).to_string()))
        .collect();
    let data_type = field.data_type().clone();
    let (role, numbers) = match &data_type {
        t if t.is_integer() && is_identifier(&name) => (Role::Label, vec![]),
        t if t.is_numeric() => (Role::Measure, as_f64(array)?),
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            (Role::Time, days_of(array)?)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            let days: Option<Vec<Option<f64>>> = text
                .iter()
                .map(|value| match value {
                    None => Some(None),
                    Some(value) => iso_day(value).map(Some),
                })
                .collect();
            match days {
                Some(days) if days.iter().any(Option::is_some) => (Role::Time, days),
                _ => (Role::Label, vec![]),
            }
        }
        DataType::Boolean => (Role::Label, vec![]),
        _ => (Role::Other, vec![]),
    };
    let unit = unit.or_else(|| unit_from_name(&name).map(str::to_string));
    Ok(Column {
        name,
        data_type,
        role,
        text,
        numbers,
        unit,
        benchmark: None,
    })
}

/// `id`, `user_id`, `customer-id`: an identifier, whatever its type.
fn is_identifier(name: &str) -> bool {
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    name == "id" || name.ends_with("_id")
}

fn as_f64(array: &ArrayRef) -> Result<Vec<Option<f64>>> {
    let values = cast(array, &DataType::Float64)?;
    Ok(values
        .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
        .iter()
        .map(|v| v.filter(|v| v.is_finite()))
        .collect())
}

const MILLIS_PER_DAY: f64 = 86_400_000.0;

/// Dates and timestamps as days since 1970-01-01 (timestamps with their fraction of a day, in
/// UTC).
fn days_of(array: &ArrayRef) -> Result<Vec<Option<f64>>> {
    let millis = cast(array, &DataType::Timestamp(TimeUnit::Millisecond, None))?;
    Ok(millis
        .as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>()
        .iter()
        .map(|v| v.map(|ms| ms as f64 / MILLIS_PER_DAY))
        .collect())
}

/// `2026-07` (its first day) or `2026-07-15` as days since 1970-01-01.
fn iso_day(text: &str) -> Option<f64> {
    let date = match text.len() {
        7 => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?,
        10 => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?,
        _ => return None,
    };
    Some(calendar::day_of_date(date) as f64)
}

/// The date of a day since 1970-01-01 (its fraction, a time of day, ignored).
pub fn date_of_day(day: f64) -> Option<NaiveDate> {
    calendar::date_of_day(day.floor() as i64)
}

/// Units told by a column's name: `…_pct` / `…_percent` are percentages; `…_seconds`,
/// `…_minutes`, `…_hours`, `…_days` durations.
fn unit_from_name(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    const SUFFIXES: [(&str, &str); 7] = [
        ("_pct", "%"),
        ("_percent", "%"),
        ("_seconds", "s"),
        ("_secs", "s"),
        ("_minutes", "min"),
        ("_hours", "h"),
        ("_days", "days"),
    ];
    SUFFIXES
        .iter()
        .find(|(suffix, _)| name.ends_with(suffix))
        .map(|(_, unit)| *unit)
}

/// The month label of a day (`2026-07`) when `days` are all first days of months, else the
/// date (`2026-07-15`).
pub fn day_labels_are_months(days: &[Option<f64>]) -> bool {
    days.iter()
        .flatten()
        .all(|day| date_of_day(*day).is_some_and(|d| d.day() == 1 && day.fract() == 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray, StructArray};
    use datafusion::arrow::datatypes::{Fields, Schema};

    #[test]
    fn roles_units_and_structs() {
        let summary = StructArray::from(vec![
            (
                Arc::new(Field::new("nps", DataType::Float64, true)),
                Arc::new(Float64Array::from(vec![Some(12.5), None])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("ci_low", DataType::Float64, true)),
                Arc::new(Float64Array::from(vec![Some(10.0), Some(1.0)])) as ArrayRef,
            ),
        ]);
        let fields: Fields = match summary.data_type() {
            DataType::Struct(fields) => fields.clone(),
            _ => unreachable!(),
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("month", DataType::Utf8, true),
            Field::new("user_id", DataType::Int64, true),
            Field::new("churn_pct", DataType::Float64, true),
            Field::new("s", DataType::Struct(fields), true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec![Some("2026-07"), None])),
                Arc::new(Int64Array::from(vec![7, 8])),
                Arc::new(Float64Array::from(vec![Some(1.5), Some(f64::NAN)])),
                Arc::new(summary),
            ],
        )
        .unwrap();
        let table = ResultTable::new(schema, &[batch], 2, &ColumnFacts::default()).unwrap();
        let roles: Vec<_> = table
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("month", Role::Time),
                ("user_id", Role::Label),
                ("churn_pct", Role::Measure),
                ("s.nps", Role::Measure),
                ("s.ci_low", Role::Measure),
            ]
        );
        let month = table.column("month").unwrap();
        assert_eq!(
            date_of_day(month.numbers[0].unwrap()).unwrap().to_string(),
            "2026-07-01"
        );
        assert!(day_labels_are_months(&month.numbers));
        assert_eq!(
            table.column("churn_pct").unwrap().unit.as_deref(),
            Some("%")
        );
        // NaN is shown but not charted.
        assert_eq!(table.column("churn_pct").unwrap().numbers[1], None);
        assert_eq!(
            table.column("s.nps").unwrap().text,
            [Some("12.5".into()), None]
        );
        assert_eq!(
            table.column("s.ci_low").unwrap().numbers,
            [Some(10.0), Some(1.0)]
        );
    }
}
