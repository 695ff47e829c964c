//! Per-key values of the keyed kernel shared by several metrics.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, Int64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt64Type};

use datafusion::error::Result;

use crate::common::args::check_arg_count;
use crate::common::user_ids::UserIdKind;
use crate::kernels::keyed::KeyedValue;

/// Whether any row of the key had the property (a user used the feature, was active in the
/// first week).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flag(pub bool);

impl KeyedValue for Flag {
    const EMPTY: Self = Self(false);

    fn merge(&mut self, other: &Self) {
        self.0 |= other.0;
    }

    fn state_fields() -> Vec<(&'static str, DataType)> {
        vec![("flags", DataType::Boolean)]
    }

    fn to_arrays(values: &[Self]) -> Vec<ArrayRef> {
        vec![Arc::new(BooleanArray::from_iter(
            values.iter().map(|f| Some(f.0)),
        ))]
    }

    fn read(arrays: &[ArrayRef], index: usize) -> Self {
        Self(arrays[0].as_boolean().value(index))
    }
}

/// Keys and flagged keys of a group: 100 × flagged / keys.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlaggedShare {
    keys: u64,
    flagged: u64,
}

impl FlaggedShare {
    pub(crate) fn fold(&mut self, flag: &Flag) {
        self.keys += 1;
        self.flagged += u64::from(flag.0);
    }

    pub(crate) fn percent(&self) -> Option<f64> {
        (self.keys > 0).then(|| 100.0 * self.flagged as f64 / self.keys as f64)
    }
}

/// The number of rows of a key (page views of a session).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowCount(pub u64);

impl RowCount {
    /// Every row of a batch counts once.
    pub(crate) fn one_per_row(inputs: &[ArrayRef]) -> Vec<Self> {
        vec![Self(1); inputs[0].len()]
    }
}

impl KeyedValue for RowCount {
    const EMPTY: Self = Self(0);

    fn merge(&mut self, other: &Self) {
        self.0 += other.0;
    }

    fn state_fields() -> Vec<(&'static str, DataType)> {
        vec![("rows", DataType::UInt64)]
    }

    fn to_arrays(values: &[Self]) -> Vec<ArrayRef> {
        vec![Arc::new(UInt64Array::from_iter_values(
            values.iter().map(|r| r.0),
        ))]
    }

    fn read(arrays: &[ArrayRef], index: usize) -> Self {
        Self(arrays[0].as_primitive::<UInt64Type>().value(index))
    }
}

/// The first and last time of a key, in microseconds since the epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeSpan {
    pub first: i64,
    pub last: i64,
}

impl KeyedValue for TimeSpan {
    const EMPTY: Self = Self { first: 0, last: 0 };

    fn merge(&mut self, other: &Self) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }

    fn state_fields() -> Vec<(&'static str, DataType)> {
        vec![
            ("first_microseconds", DataType::Int64),
            ("last_microseconds", DataType::Int64),
        ]
    }

    fn to_arrays(values: &[Self]) -> Vec<ArrayRef> {
        vec![
            Arc::new(Int64Array::from_iter_values(values.iter().map(|t| t.first))),
            Arc::new(Int64Array::from_iter_values(values.iter().map(|t| t.last))),
        ]
    }

    fn read(arrays: &[ArrayRef], index: usize) -> Self {
        Self {
            first: arrays[0].as_primitive::<Int64Type>().value(index),
            last: arrays[1].as_primitive::<Int64Type>().value(index),
        }
    }
}

/// Argument types of `f(session_id)`; `usage` is the function's, quoted by a count error.
pub(crate) fn coerce_session_arg(
    function: &str,
    arg_types: &[DataType],
    usage: &str,
) -> Result<Vec<DataType>> {
    check_arg_count(function, arg_types, 1, 1, usage)?;
    Ok(vec![UserIdKind::coerce(
        function,
        "session_id",
        &arg_types[0],
    )?])
}

/// Typical argument types of `f(session_id)`.
pub(crate) fn session_arg_examples() -> Vec<Vec<DataType>> {
    UserIdKind::example_types().map(|id| vec![id]).to_vec()
}
