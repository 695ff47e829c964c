//! What the metrics over BOOLEAN event conditions share (funnels' steps, sequences'
//! conditions): each event time as a value with room for a code in its low bits, and the
//! conditions each row meets as bits.

use std::borrow::Cow;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::error::Result;

use crate::calendar::zoned_days::microseconds_since_epoch;

/// Each event's value, `time × 2^code_bits`, the time in microseconds, for codes to be added
/// to. The range allowed leaves room for `room_bits` of code whatever `code_bits` a call
/// needs, so that the limit does not depend on the call; an error names the first time out
/// of it, and `range` says it in words.
pub(crate) fn coded_times<'a>(
    function: &str,
    times: &'a ArrayRef,
    code_bits: u32,
    room_bits: u32,
    range: &str,
) -> Result<Cow<'a, [i64]>> {
    let micros = microseconds_since_epoch(times)?;
    let limit = i64::MAX >> room_bits;
    let nulls = times.logical_nulls();
    let mut values = Vec::with_capacity(micros.len());
    for (row, &t) in micros.iter().enumerate() {
        if !(-limit..=limit).contains(&t) && nulls.as_ref().is_none_or(|n| n.is_valid(row)) {
            return exec_err!("{function}: event_time {t} µs from 1970 is out of range: {range}");
        }
        values.push(t.clamp(-limit, limit) << code_bits);
    }
    Ok(Cow::Owned(values))
}

/// Per row, the conditions that are true (bit `n` for `conditions[n]`; NULL is false).
pub(crate) fn condition_bits(conditions: &[ArrayRef], rows: usize) -> Vec<u64> {
    let mut bits = vec![0u64; rows];
    for (n, condition) in conditions.iter().enumerate() {
        if condition.data_type() == &DataType::Null {
            continue;
        }
        let condition = condition.as_boolean();
        let true_rows = match condition.logical_nulls() {
            Some(nulls) => condition.values() & nulls.inner(),
            None => condition.values().clone(),
        };
        for row in true_rows.set_indices() {
            bits[row] |= 1 << n;
        }
    }
    bits
}
