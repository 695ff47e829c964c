//! Which rows of a batch an aggregate reads: those where every input is non-NULL and the
//! `FILTER (WHERE …)` clause, if any, is true.

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::util::bit_iterator::BitIndexIterator;

/// The rows to read, computed once per batch with bitmap operations so the per-row loops of
/// the kernels stay free of NULL and filter checks.
pub(crate) enum SelectedRows {
    /// Every row of the batch.
    All(usize),
    /// Only the set bits.
    Some(BooleanBuffer),
}

impl SelectedRows {
    pub(crate) fn new(len: usize, inputs: &[&dyn Array], filter: Option<&BooleanArray>) -> Self {
        let mut selection: Option<NullBuffer> = None;
        for input in inputs {
            selection = NullBuffer::union(selection.as_ref(), input.logical_nulls().as_ref());
        }
        if let Some(filter) = filter {
            // A NULL filter value means the row is not selected, like false.
            let passes = match filter.nulls() {
                Some(nulls) => filter.values() & nulls.inner(),
                None => filter.values().clone(),
            };
            selection = NullBuffer::union(selection.as_ref(), Some(&NullBuffer::new(passes)));
        }
        match selection {
            Some(selection) if selection.null_count() > 0 => Self::Some(selection.into_inner()),
            _ => Self::All(len),
        }
    }

    /// Calls `f` with the index of every selected row, in order.
    ///
    /// One loop over [`Self::indices`] rather than one loop per case: called from two loops,
    /// a kernel's per-row closure was kept out of line, and that call per row cost as much as
    /// the GROUP BY itself.
    #[inline(always)]
    pub(crate) fn for_each(&self, mut f: impl FnMut(usize)) {
        for row in self.indices() {
            f(row)
        }
    }

    /// Calls `f` with the index of every selected row until it fails.
    #[inline(always)]
    pub(crate) fn try_for_each<E>(
        &self,
        mut f: impl FnMut(usize) -> Result<(), E>,
    ) -> Result<(), E> {
        for row in self.indices() {
            f(row)?
        }
        Ok(())
    }

    /// The selected row indices, in order, as one iterator.
    #[inline]
    pub(crate) fn indices(&self) -> Indices<'_> {
        match self {
            Self::All(len) => Indices::All(0..*len),
            Self::Some(bits) => Indices::Some(bits.set_indices()),
        }
    }
}

/// See [`SelectedRows::indices`].
pub(crate) enum Indices<'a> {
    All(std::ops::Range<usize>),
    Some(BitIndexIterator<'a>),
}

impl Iterator for Indices<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        match self {
            Self::All(range) => range.next(),
            Self::Some(bits) => bits.next(),
        }
    }
}
