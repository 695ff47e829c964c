//! churn_rate and retention_rate: one pass over (active_at_start, active_at_end) pairs.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use crate::common::args::{check_arg_count, coerce_boolean};
use crate::common::rows::SelectedRows;
use crate::kernels::tally::{Tally, TallyRule};

/// Counts customers active at the start of the period and, among them, those whose
/// `active_at_end` equals `counted_when_active_at_end` (false: churned, true: retained).
#[derive(Debug)]
pub(crate) struct ActiveFlagsRule {
    pub counted_when_active_at_end: bool,
}

impl TallyRule for ActiveFlagsRule {
    type Sums = [f64; 1];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        let (at_start, at_end) = (
            inputs[0].as_boolean().values(),
            inputs[1].as_boolean().values(),
        );
        rows.for_each(|row| {
            if at_start.value(row) {
                let counted = at_end.value(row) == self.counted_when_active_at_end;
                add(row, Tally::row([counted as u8 as f64]))
            }
        });
        Ok(())
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.count > 0).then(|| 100.0 * tally.sums[0] / tally.count as f64)
    }
}

/// Argument types of `f(active_at_start, active_at_end)`.
pub(crate) fn coerce_active_flags_args(
    function: &str,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    check_arg_count(
        function,
        arg_types,
        2,
        2,
        &format!("{function}(active_at_start, active_at_end)"),
    )?;
    Ok(vec![
        coerce_boolean(function, "active_at_start", &arg_types[0])?,
        coerce_boolean(function, "active_at_end", &arg_types[1])?,
    ])
}

/// Typical argument types of `f(active_at_start, active_at_end)`, listed by `SHOW FUNCTIONS`.
pub(crate) fn active_flags_example_args() -> Vec<Vec<DataType>> {
    vec![vec![DataType::Boolean, DataType::Boolean]]
}
