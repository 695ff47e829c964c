//! ctr and engagement_rate: 100 × Σnumerator / Σdenominator over non-negative counts.
//!
//! The boolean form `ctr(clicked)` reads each row as one impression that was clicked or not, so
//! both forms share one state (count, Σnumerator, Σdenominator) and one result.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_datafusion_err;
use datafusion::error::Result;

use crate::common::args::{check_arg_count, coerce_boolean, coerce_numeric};
use crate::common::rows::SelectedRows;
use crate::kernels::tally::{Tally, TallyRule};

#[derive(Debug)]
pub(crate) struct RatioRule {
    pub function: &'static str,
    /// Names of the numerator and denominator arguments, for error messages.
    pub arguments: [&'static str; 2],
}

impl TallyRule for RatioRule {
    type Sums = [f64; 2];

    fn for_each_contribution(
        &self,
        inputs: &[ArrayRef],
        rows: &SelectedRows,
        mut add: impl FnMut(usize, Tally<Self::Sums>),
    ) -> Result<()> {
        if let [flags] = inputs {
            let flags = flags.as_boolean().values();
            rows.for_each(|row| {
                add(
                    row,
                    Tally::row([f64::from(u8::from(flags.value(row))), 1.0]),
                )
            });
            return Ok(());
        }
        let numerators = inputs[0].as_primitive::<Float64Type>().values();
        let denominators = inputs[1].as_primitive::<Float64Type>().values();
        rows.try_for_each(|row| {
            let (numerator, denominator) = (numerators[row], denominators[row]);
            for (value, argument) in [(numerator, self.arguments[0]), (denominator, self.arguments[1])] {
                // Also false for NaN.
                if !(value >= 0.0 && value.is_finite()) {
                    return Err(exec_datafusion_err!(
                        "{}: {argument} {value} is not valid: expected a non-negative finite number",
                        self.function
                    ));
                }
            }
            add(row, Tally::row([numerator, denominator]));
            Ok(())
        })
    }

    fn value(&self, tally: &Tally<Self::Sums>) -> Option<f64> {
        (tally.sums[1] > 0.0).then(|| 100.0 * tally.sums[0] / tally.sums[1])
    }
}

/// Argument types of `f(numerator, denominator)`, or with `boolean_form`, also `f(flag)`.
pub(crate) fn coerce_ratio_args(
    function: &str,
    arguments: [&str; 2],
    boolean_form: Option<&str>,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    let usage = match boolean_form {
        Some(flag) => format!(
            "{function}({}, {}) or {function}({flag})",
            arguments[0], arguments[1]
        ),
        None => format!("{function}({}, {})", arguments[0], arguments[1]),
    };
    let min_args = if boolean_form.is_some() { 1 } else { 2 };
    check_arg_count(function, arg_types, min_args, 2, &usage)?;
    match (arg_types, boolean_form) {
        ([flag], Some(name)) => Ok(vec![coerce_boolean(function, name, flag)?]),
        _ => Ok(vec![
            coerce_numeric(function, arguments[0], &arg_types[0])?,
            coerce_numeric(function, arguments[1], &arg_types[1])?,
        ]),
    }
}
