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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{BooleanArray, DictionaryArray, StringArray};
    use datafusion::arrow::datatypes::Int8Type;

    use super::*;

    /// The strings `for_each_string` reports for every selected row.
    fn read(strings: &ArrayRef, rows: &SelectedRows) -> Vec<(usize, String)> {
        // The lookup's result stands for the string: its index in a list of those seen.
        let mut seen: Vec<String> = vec![];
        let mut found = vec![];
        for_each_string(
            strings,
            rows,
            |s| match seen.iter().position(|known| known == s) {
                Some(i) => i,
                None => {
                    seen.push(s.to_string());
                    seen.len() - 1
                }
            },
            |row, i| found.push((row, i)),
        )
        .unwrap();
        found
            .into_iter()
            .map(|(row, i)| (row, seen[i].clone()))
            .collect()
    }

    #[test]
    fn utf8_view_cache_never_confuses_strings() {
        // Short strings (inline in the view), long ones sharing a 4-byte prefix (which only the
        // buffer offset tells apart), repeated in an order that revisits every cache slot.
        let distinct: Vec<String> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("e{i}"),
                1 => format!("event_name_{i:05}_with_a_long_tail"),
                _ => format!("event_name_{i:05}"),
            })
            .collect();
        let rows: Vec<&str> = (0..5_000)
            .map(|i| distinct[(i * 7 + i / 11) % distinct.len()].as_str())
            .collect();
        let view: ArrayRef = Arc::new(StringViewArray::from(rows.clone()));
        let plain: ArrayRef = Arc::new(StringArray::from(rows.clone()));
        let expected: Vec<(usize, String)> = rows
            .iter()
            .enumerate()
            .map(|(row, s)| (row, s.to_string()))
            .collect();
        assert_eq!(read(&view, &SelectedRows::All(rows.len())), expected);
        assert_eq!(read(&plain, &SelectedRows::All(rows.len())), expected);
        // Only the selected rows, on a slice of the array.
        let filter = BooleanArray::from((0..4_000).map(|i| i % 3 != 0).collect::<Vec<_>>());
        let sliced = view.slice(1_000, 4_000);
        let selected = SelectedRows::new(4_000, &[], Some(&filter));
        let expected: Vec<(usize, String)> = (0..4_000)
            .filter(|i| i % 3 != 0)
            .map(|i| (i, rows[1_000 + i].to_string()))
            .collect();
        assert_eq!(read(&sliced, &selected), expected);
    }

    #[test]
    fn dictionaries_look_up_each_value_once_and_skip_null_keys() {
        let dictionary: DictionaryArray<Int8Type> = vec![Some("a"), None, Some("b"), Some("a")]
            .into_iter()
            .collect();
        let strings: ArrayRef = Arc::new(dictionary);
        let rows = SelectedRows::new(4, &[strings.as_ref()], None);
        let mut lookups = 0;
        let mut found = vec![];
        for_each_string(
            &strings,
            &rows,
            |s| {
                lookups += 1;
                s.len()
            },
            |row, len| found.push((row, len)),
        )
        .unwrap();
        assert_eq!(lookups, 2, "one lookup per dictionary value");
        assert_eq!(found, vec![(0, 1), (2, 1), (3, 1)]);
    }
}
