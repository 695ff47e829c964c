//! Reading string columns of every Arrow string type: Utf8, LargeUtf8, Utf8View and
//! dictionaries of them.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArrayType, StringViewArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::internal_err;
use datafusion::error::Result;

use super::rows::SelectedRows;

/// Calls `f(row, lookup(value))` for every selected row of a string column.
///
/// For a dictionary, `lookup` runs once per distinct dictionary value rather than once per row,
/// which is what makes dictionary-encoded event names cheap.
pub(crate) fn for_each_string<T: Copy + Default>(
    strings: &ArrayRef,
    rows: &SelectedRows,
    mut lookup: impl FnMut(&str) -> T,
    mut f: impl FnMut(usize, T),
) -> Result<()> {
    let DataType::Dictionary(_, _) = strings.data_type() else {
        return for_each_plain_string(strings, rows, lookup, f);
    };
    let dictionary = strings.as_any_dictionary();
    let values = dictionary.values();
    if values.is_empty() {
        // No values: every key is NULL, so no row is selected.
        return Ok(());
    }
    let mut mapped = vec![T::default(); values.len()];
    let valid_values = SelectedRows::new(values.len(), &[values.as_ref()], None);
    for_each_plain_string(values, &valid_values, &mut lookup, |value, result| {
        mapped[value] = result
    })?;
    let keys = dictionary.normalized_keys();
    rows.for_each(|row| f(row, mapped[keys[row]]));
    Ok(())
}

/// [`for_each_string`] for the non-dictionary string types.
fn for_each_plain_string<T: Copy + Default>(
    strings: &ArrayRef,
    rows: &SelectedRows,
    lookup: impl FnMut(&str) -> T,
    f: impl FnMut(usize, T),
) -> Result<()> {
    match strings.data_type() {
        DataType::Utf8 => for_each_value(strings.as_string::<i32>(), rows, lookup, f),
        DataType::LargeUtf8 => for_each_value(strings.as_string::<i64>(), rows, lookup, f),
        DataType::Utf8View => for_each_view(strings.as_string_view(), rows, lookup, f),
        other => internal_err!("expected a string column, got {other}"),
    }
}

fn for_each_value<'a, S: StringArrayType<'a>, T>(
    strings: S,
    rows: &SelectedRows,
    mut lookup: impl FnMut(&str) -> T,
    mut f: impl FnMut(usize, T),
) -> Result<()> {
    rows.for_each(|row| f(row, lookup(strings.value(row))));
    Ok(())
}

/// [`for_each_value`] for Utf8View, remembering the results of recent views.
///
/// Equal views are equal strings: a string of up to 12 bytes is stored in its view, and a
/// longer one's view names where its bytes are. Parquet dictionary pages decode to repeated
/// views, so for event names almost every row is found here without decoding or hashing the
/// string.
fn for_each_view<T: Copy + Default>(
    strings: &StringViewArray,
    rows: &SelectedRows,
    mut lookup: impl FnMut(&str) -> T,
    mut f: impl FnMut(usize, T),
) -> Result<()> {
    const SLOTS: usize = 64;
    // No view has length u32::MAX (the low 32 bits), so this marks an empty slot.
    const EMPTY: u128 = u128::MAX;
    let mut recent = [(EMPTY, T::default()); SLOTS];
    let views = strings.views();
    rows.for_each(|row| {
        let view = views[row];
        let mixed = (view as u64 ^ (view >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut recent[(mixed >> 58) as usize];
        if slot.0 != view {
            *slot = (view, lookup(strings.value(row)));
        }
        f(row, slot.1)
    });
    Ok(())
}
