//! Aggregate states that hold a list per group (distinct keys with their values): reading the
//! elements of a state batch, and building the list columns.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::Field;
use datafusion::common::exec_err;
use datafusion::error::Result;

use super::rows::SelectedRows;
use super::user_ids::{UserIdKind, UserIds};

/// Elements of a batch of list states, flattened column by column, with the state row
/// (group) each element came from.
pub(crate) struct ListElements {
    pub columns: Vec<ArrayRef>,
    pub state_rows: Vec<usize>,
}

/// Elements per chunk when a batch of list states is read: a few groups can hold millions of
/// keys, and a merge's scratch space (row numbers, keys, values) must not grow with them.
const MERGE_CHUNK: usize = 65_536;

impl ListElements {
    /// Calls `f` with the elements of state columns that are lists with the same offsets, a
    /// chunk of at most 65 536 elements at a time. The columns are slices, not copies.
    pub(crate) fn for_each_chunk(
        states: &[ArrayRef],
        f: impl FnMut(ListElements) -> Result<()>,
    ) -> Result<()> {
        Self::for_each_chunk_of(states, MERGE_CHUNK, f)
    }

    fn for_each_chunk_of(
        states: &[ArrayRef],
        chunk: usize,
        mut f: impl FnMut(ListElements) -> Result<()>,
    ) -> Result<()> {
        let lists: Vec<&ListArray> = states.iter().map(|s| s.as_list::<i32>()).collect();
        let offsets = lists[0].value_offsets();
        let (first, last) = (offsets[0] as usize, offsets[lists[0].len()] as usize);
        // The state row of the next element: the row whose list holds it.
        let mut row = 0;
        for start in (first..last).step_by(chunk) {
            let end = (start + chunk).min(last);
            let mut state_rows = Vec::with_capacity(end - start);
            for element in start..end {
                while offsets[row + 1] as usize <= element {
                    row += 1;
                }
                state_rows.push(row);
            }
            let columns = lists
                .iter()
                .map(|list| list.values().slice(start, end - start))
                .collect();
            f(ListElements {
                columns,
                state_rows,
            })?;
        }
        Ok(())
    }
}

/// List columns, one per element array, all cut into groups by the same `offsets`.
pub(crate) fn list_columns(
    function: &str,
    offsets: &[usize],
    elements: Vec<ArrayRef>,
) -> Result<Vec<ArrayRef>> {
    let offsets = offsets
        .iter()
        .map(|&o| {
            i32::try_from(o).or_else(|_| {
                exec_err!(
                    "{function}: more than {} elements in one state batch",
                    i32::MAX
                )
            })
        })
        .collect::<Result<Vec<i32>>>()?;
    let offsets = OffsetBuffer::new(offsets.into());
    elements
        .into_iter()
        .map(|elements| -> Result<ArrayRef> {
            let field = Arc::new(Field::new_list_field(elements.data_type().clone(), false));
            Ok(Arc::new(ListArray::try_new(
                field,
                offsets.clone(),
                elements,
                None,
            )?))
        })
        .collect()
}

/// Offsets of lists of the given lengths.
pub(crate) fn offsets_of(lengths: impl IntoIterator<Item = usize>) -> Vec<usize> {
    std::iter::once(0)
        .chain(lengths.into_iter().scan(0, |end, len| {
            *end += len;
            Some(*end)
        }))
        .collect()
}

/// Lays out the items of the first `groups` groups group by group, for a list state: the list
/// offsets and the items in that order. `items` is called twice (to count, then to place);
/// items of later groups are left out. `filler` only initialises the output.
pub(crate) fn group_lists<T: Copy, I: Iterator<Item = (u32, T)>>(
    groups: usize,
    filler: T,
    items: impl Fn() -> I,
) -> (Vec<usize>, Vec<T>) {
    let emitted = || items().filter(|&(group, _)| (group as usize) < groups);
    let mut lengths = vec![0usize; groups];
    for (group, _) in emitted() {
        lengths[group as usize] += 1;
    }
    let offsets = offsets_of(lengths);
    let mut cursor = offsets[..groups].to_vec();
    let mut laid_out = vec![filler; offsets[groups]];
    for (group, item) in emitted() {
        let at = &mut cursor[group as usize];
        laid_out[*at] = item;
        *at += 1;
    }
    (offsets, laid_out)
}

/// `convert_to_state` of a list state: every row is a group of its own, holding one element,
/// or none for a row that is not selected. Calls `element(row)` for every selected row in
/// order and returns the list offsets and the row's keys (ids of `kind`, interned in a scratch
/// table of this batch only).
pub(crate) fn rows_as_groups(
    function: &str,
    kind: UserIdKind,
    key_column: &ArrayRef,
    rows: &SelectedRows,
    mut element: impl FnMut(usize),
) -> Result<(Vec<usize>, ArrayRef)> {
    let mut ids = UserIds::new(kind);
    let mut lengths = vec![0usize; key_column.len()];
    let mut keys = vec![];
    ids.for_each_key(function, key_column, rows, |row, key| {
        keys.push(key);
        element(row);
        lengths[row] = 1;
    })?;
    Ok((offsets_of(lengths), ids.values(&keys)?))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, UInt64Array};
    use datafusion::arrow::datatypes::{Int64Type, UInt64Type};

    use super::*;

    #[test]
    fn offsets_of_lengths() {
        assert_eq!(offsets_of([2, 0, 3]), vec![0, 2, 2, 5]);
        assert_eq!(offsets_of([]), vec![0]);
    }

    #[test]
    fn group_lists_lays_out_by_group_and_leaves_out_later_groups() {
        let items = [
            (2u32, 'a'),
            (0, 'b'),
            (2, 'c'),
            (5, 'x'),
            (1, 'd'),
            (0, 'e'),
        ];
        let (offsets, laid_out) = group_lists(3, ' ', || items.iter().copied());
        assert_eq!(offsets, vec![0, 2, 3, 5]);
        assert_eq!(laid_out, vec!['b', 'e', 'd', 'a', 'c']);
    }

    /// The elements of `states` read in chunks of `chunk`: (state rows, first column as
    /// i64) per chunk.
    fn chunks(states: &[ArrayRef], chunk: usize) -> Vec<(Vec<usize>, Vec<i64>)> {
        let mut read = vec![];
        ListElements::for_each_chunk_of(states, chunk, |elements| {
            let keys = elements.columns[0].as_primitive::<Int64Type>().values();
            assert!(elements.columns.iter().all(|c| c.len() == keys.len()));
            read.push((elements.state_rows, keys.to_vec()));
            Ok(())
        })
        .unwrap();
        read
    }

    #[test]
    fn list_elements_of_sliced_state_arrays() {
        // Three groups' lists: [1, 2], [], [3, 4, 5]; values and keys in two columns.
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5]));
        let values: ArrayRef = Arc::new(UInt64Array::from(vec![10, 20, 30, 40, 50]));
        let lists = list_columns("f", &[0, 2, 2, 5], vec![keys, values]).unwrap();
        // A slice of the last two groups, as DataFusion passes parts of a state batch.
        let sliced: Vec<ArrayRef> = lists.iter().map(|l| l.slice(1, 2)).collect();
        ListElements::for_each_chunk(&sliced, |elements| {
            assert_eq!(elements.state_rows, vec![1, 1, 1]);
            assert_eq!(
                elements.columns[1].as_primitive::<UInt64Type>().values(),
                &[30, 40, 50]
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(chunks(&sliced, 100), vec![(vec![1, 1, 1], vec![3, 4, 5])]);
        // And a slice that starts inside the elements: the first group alone.
        let first: Vec<ArrayRef> = lists.iter().map(|l| l.slice(0, 1)).collect();
        assert_eq!(chunks(&first, 100), vec![(vec![0, 0], vec![1, 2])]);
    }

    #[test]
    fn list_elements_in_chunks_keep_their_state_rows() {
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7]));
        // Lists [1, 2, 3], [], [4], [], [5, 6, 7]: chunks cut across and between lists.
        let lists = list_columns("f", &[0, 3, 3, 4, 4, 7], vec![keys]).unwrap();
        assert_eq!(
            chunks(&lists, 2),
            vec![
                (vec![0, 0], vec![1, 2]),
                (vec![0, 2], vec![3, 4]),
                (vec![4, 4], vec![5, 6]),
                (vec![4], vec![7]),
            ]
        );
        let sliced: Vec<ArrayRef> = lists.iter().map(|l| l.slice(2, 3)).collect();
        assert_eq!(
            chunks(&sliced, 3),
            vec![(vec![0, 2, 2], vec![4, 5, 6]), (vec![2], vec![7])]
        );
        // Empty lists only: nothing to read.
        let empty: Vec<ArrayRef> = lists.iter().map(|l| l.slice(1, 1)).collect();
        assert!(chunks(&empty, 2).is_empty());
    }
}
