//! `avg_resolution_time(opened_at, resolved_at)`: mean seconds from opening to resolution.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::{coerce_event_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::check_arg_count;
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::kernels::tally::{Tally, TallyKernel, TallyRule};

/// The mean time to resolution of resolved tickets, in seconds.
#[derive(Debug)]
pub(crate) struct AvgResolutionTime;

/// Tallies resolved tickets and their total time to resolution in microseconds: whole
/// numbers, so sums (and window retractions) stay exact up to 2⁵³ µs (285 years) in total.
#[derive(Debug)]
pub(crate) struct ResolutionRule;

impl TallyRule for ResolutionRule {
    type Sums = [f64; 1];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        let opened = microseconds_since_epoch(&inputs[0])?;
        let resolved = microseconds_since_epoch(&inputs[1])?;
        let mut first_invalid = None;
        rows.for_each(|row| {
            let micros = resolved[row] as i128 - opened[row] as i128;
            if micros >= 0 {
                add(row, Tally::row([micros as f64]))
            } else if first_invalid.is_none() {
                first_invalid = Some(row)
            }
        });
        let Some(row) = first_invalid else {
            return Ok(());
        };
        let (opened, resolved) = (
            array_value_to_string(&inputs[0], row)?,
            array_value_to_string(&inputs[1], row)?,
        );
        exec_err!(
            "{}: resolved_at {resolved} is before opened_at {opened}: expected a resolution at \
             or after the opening",
            AvgResolutionTime::NAME
        )
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then(|| tally.sums[0] / 1e6 / tally.count as f64)
    }
}

impl Metric for AvgResolutionTime {
    const NAME: &'static str = "avg_resolution_time";
    const UNIT: Option<&'static str> = Some("s");
    const STATE_NAMES: &'static [&'static str] = &["resolved", "microseconds"];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1];
    type Rule = ResolutionRule;
    type Kernel = TallyKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Average resolution time: the mean number of seconds from opened_at to \
                 resolved_at over resolved tickets, a DOUBLE. Unresolved tickets (NULL \
                 resolved_at) and rows with a NULL opened_at are skipped; a group without resolved \
                 tickets gives NULL. A ticket resolved before it was opened is an error. Naive \
                 timestamps are read as UTC, dates as midnight; precision is one microsecond.",
                "avg_resolution_time(opened_at, resolved_at)",
            )
            .with_sql_example("```sql\nSELECT priority, avg_resolution_time(opened_at, resolved_at) / 3600 AS hours\nFROM tickets\nGROUP BY priority;\n```")
            .with_argument("opened_at", "When the ticket was opened: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("resolved_at", "When it was resolved, NULL while open: a TIMESTAMP or DATE.")
            .build()
        });
        &DOCUMENTATION
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        vec![vec![time.clone(), time]]
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 2, 2, Self::usage())?;
        Ok(vec![
            coerce_event_time(Self::NAME, "opened_at", &arg_types[0])?,
            coerce_event_time(Self::NAME, "resolved_at", &arg_types[1])?,
        ])
    }

    fn rule(_constants: &[Option<ScalarValue>]) -> Result<ResolutionRule> {
        Ok(ResolutionRule)
    }
}

shared_udaf!(
    /// The `avg_resolution_time` aggregate function.
    avg_resolution_time_udaf,
    AvgResolutionTime
);
