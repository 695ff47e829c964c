//! The results of the timeline metrics, typed: a metric declares its result row as a struct
//! with [`result_row!`], whose fields' Rust types give the SQL fields (`i64` → BIGINT, `bool` →
//! BOOLEAN, `Day` → DATE, `Option<f64>` → nullable DOUBLE), and pushes rows of that struct. Whether a group's
//! result is the list of its rows or the one field of its row is the metric's
//! [`Output`]: [`RowList`], [`OneRow`] or [`OneValue`].

use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::array::{Array, StructArray};
use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, ListArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;

use crate::common::list_state::{list_columns, offsets_of};
use crate::common::user_ids::UserIds;

/// A value of a result field: its SQL type, and how a column of it is built.
pub(crate) trait ResultValue: Copy {
    fn data_type() -> DataType;
    /// Whether the field may be NULL within a row.
    const NULLABLE: bool;
    /// The column of `values`; `None` where the whole result is NULL (a group without a row).
    /// `payloads` names the keys of the events' payloads.
    fn column(values: impl Iterator<Item = Option<Self>>, payloads: &UserIds) -> Result<ArrayRef>;
}

/// A whole number: counts, period numbers, steps.
impl ResultValue for i64 {
    fn data_type() -> DataType {
        DataType::Int64
    }
    const NULLABLE: bool = false;
    fn column(values: impl Iterator<Item = Option<Self>>, _: &UserIds) -> Result<ArrayRef> {
        Ok(Arc::new(values.collect::<Int64Array>()))
    }
}

/// A whole number that may be missing: the open end of a histogram's last bucket.
impl ResultValue for Option<i64> {
    fn data_type() -> DataType {
        DataType::Int64
    }
    const NULLABLE: bool = true;
    fn column(values: impl Iterator<Item = Option<Self>>, _: &UserIds) -> Result<ArrayRef> {
        Ok(Arc::new(
            values.map(Option::flatten).collect::<Int64Array>(),
        ))
    }
}

/// A yes or no: whether a pattern matched.
impl ResultValue for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    const NULLABLE: bool = false;
    fn column(values: impl Iterator<Item = Option<Self>>, _: &UserIds) -> Result<ArrayRef> {
        Ok(Arc::new(values.collect::<BooleanArray>()))
    }
}

/// A rate: NULL where its denominator is 0.
impl ResultValue for Option<f64> {
    fn data_type() -> DataType {
        DataType::Float64
    }
    const NULLABLE: bool = true;
    fn column(values: impl Iterator<Item = Option<Self>>, _: &UserIds) -> Result<ArrayRef> {
        Ok(Arc::new(
            values.map(Option::flatten).collect::<Float64Array>(),
        ))
    }
}

/// The payload an event carried (a page), by its key: a VARCHAR field of the payload's
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Payload(pub u32);

impl ResultValue for Payload {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    const NULLABLE: bool = false;
    fn column(values: impl Iterator<Item = Option<Self>>, payloads: &UserIds) -> Result<ArrayRef> {
        let keys: Vec<Option<u64>> = values
            .map(|v| v.map(|Payload(key)| u64::from(key)))
            .collect();
        let present: Vec<u64> = keys.iter().flatten().copied().collect();
        let named = payloads.values(&present)?;
        if present.len() == keys.len() {
            return Ok(named);
        }
        // A NULL result (a group without a row) has a NULL field, under the row's own NULL.
        let mut next = 0;
        let places: UInt32Array = keys
            .iter()
            .map(|key| {
                key.map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(take(&named, &places, None)?)
    }
}

/// A payload that may be missing (where a path ends): a nullable VARCHAR field.
impl ResultValue for Option<Payload> {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    const NULLABLE: bool = true;
    fn column(values: impl Iterator<Item = Option<Self>>, payloads: &UserIds) -> Result<ArrayRef> {
        Payload::column(values.map(Option::flatten), payloads)
    }
}

/// A calendar day, as days since 1970-01-01: a DATE field (NULL past DATE's range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day(pub i64);

impl ResultValue for Day {
    fn data_type() -> DataType {
        DataType::Date32
    }
    const NULLABLE: bool = false;
    fn column(values: impl Iterator<Item = Option<Self>>, _: &UserIds) -> Result<ArrayRef> {
        Ok(Arc::new(
            values
                .map(|day| day.and_then(|Day(day)| i32::try_from(day).ok()))
                .collect::<Date32Array>(),
        ))
    }
}

/// A result row: its SQL fields and the columns of a batch of rows. Declared with
/// [`result_row!`].
pub(crate) trait ResultRow: Copy + Send + Sync + 'static {
    /// How many fields a row has.
    const FIELD_COUNT: usize;
    fn fields() -> Fields;
    /// One column per field; `None` rows are NULL (a group without a row). `payloads`
    /// names payload keys.
    fn columns(rows: &[Option<Self>], payloads: &UserIds) -> Result<Vec<ArrayRef>>;
}

/// Declares a result row struct and its [`ResultRow`] implementation: the fields' names are
/// the SQL field names, in order; their types are [`ResultValue`]s.
macro_rules! result_row {
    ($(#[$doc:meta])* $vis:vis struct $row:ident {
        $($(#[$field_doc:meta])* $field:ident: $type:ty,)+
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $row {
            $($(#[$field_doc])* pub(crate) $field: $type,)+
        }

        impl $crate::kernels::timelines::ResultRow for $row {
            const FIELD_COUNT: usize = [$(stringify!($field)),+].len();

            fn fields() -> datafusion::arrow::datatypes::Fields {
                use $crate::kernels::timelines::ResultValue;
                datafusion::arrow::datatypes::Fields::from(vec![$(
                    datafusion::arrow::datatypes::Field::new(
                        stringify!($field),
                        <$type>::data_type(),
                        <$type>::NULLABLE,
                    ),
                )+])
            }

            fn columns(
                rows: &[Option<Self>],
                payloads: &$crate::common::user_ids::UserIds,
            ) -> datafusion::error::Result<Vec<datafusion::arrow::array::ArrayRef>> {
                use $crate::kernels::timelines::ResultValue;
                Ok(vec![$(
                    <$type>::column(rows.iter().map(|row| row.map(|row| row.$field)), payloads)?,
                )+])
            }
        }
    };
}
pub(crate) use result_row;

/// The result rows of a batch of groups: a group pushes its rows with [`ResultRows::push`];
/// a group that pushes none is NULL.
#[derive(Debug)]
pub(crate) struct ResultRows<R> {
    rows: Vec<R>,
    /// Rows per group.
    lengths: Vec<usize>,
}

impl<R: ResultRow> ResultRows<R> {
    /// The rows of `groups` groups: `evaluate(group, rows)` pushes those of each group that
    /// `has_input(group)`; the others are NULL without asking.
    pub(crate) fn of_groups(
        groups: usize,
        has_input: impl Fn(usize) -> bool,
        mut evaluate: impl FnMut(usize, &mut Self) -> Result<()>,
    ) -> Result<Self> {
        let mut rows = Self {
            rows: vec![],
            lengths: Vec::with_capacity(groups),
        };
        for group in 0..groups {
            let before = rows.rows.len();
            if has_input(group) {
                evaluate(group, &mut rows)?;
            }
            rows.lengths.push(rows.rows.len() - before);
        }
        Ok(rows)
    }

    /// Appends a row of the current group.
    pub(crate) fn push(&mut self, row: R) {
        self.rows.push(row);
    }

    /// Each group's one row, `None` for a group without one.
    fn one_per_group(self) -> Vec<Option<R>> {
        let mut taken = self.rows.into_iter();
        self.lengths
            .iter()
            .map(|&n| {
                debug_assert!(n <= 1, "one row per group");
                (n > 0).then(|| taken.next()).flatten()
            })
            .collect()
    }

    /// NULL for each group without rows, if any.
    fn nulls(&self) -> Option<NullBuffer> {
        let valid: Vec<bool> = self.lengths.iter().map(|&n| n > 0).collect();
        valid.contains(&false).then(|| NullBuffer::from(valid))
    }
}

/// What a group's result is, given its rows.
pub(crate) trait Output: Send + Sync + 'static {
    type Row: ResultRow;
    /// The SQL type of the result.
    fn data_type() -> DataType;
    /// The results of a batch of groups; `payloads` names payload keys.
    fn finish(function: &str, rows: ResultRows<Self::Row>, payloads: &UserIds) -> Result<ArrayRef>;
}

/// A list of rows per group (NULL for a group without rows).
#[derive(Debug)]
pub(crate) struct RowList<R>(PhantomData<R>);

impl<R: ResultRow> Output for RowList<R> {
    type Row = R;

    fn data_type() -> DataType {
        DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(R::fields()),
            true,
        )))
    }

    fn finish(function: &str, rows: ResultRows<R>, payloads: &UserIds) -> Result<ArrayRef> {
        let nulls = rows.nulls();
        let all: Vec<Option<R>> = rows.rows.into_iter().map(Some).collect();
        let elements = StructArray::try_new(R::fields(), R::columns(&all, payloads)?, None)?;
        let [list] = list_columns(
            function,
            &offsets_of(rows.lengths),
            vec![Arc::new(elements) as ArrayRef],
        )?
        .try_into()
        .expect("one list column");
        let (field, offsets, values, _) = list.as_list::<i32>().clone().into_parts();
        Ok(Arc::new(ListArray::try_new(
            Arc::new(field.as_ref().clone().with_nullable(true)),
            offsets,
            values,
            nulls,
        )?))
    }
}

/// A group's one row as a STRUCT (NULL for a group without a row).
#[derive(Debug)]
pub(crate) struct OneRow<R>(PhantomData<R>);

impl<R: ResultRow> Output for OneRow<R> {
    type Row = R;

    fn data_type() -> DataType {
        DataType::Struct(R::fields())
    }

    fn finish(_function: &str, rows: ResultRows<R>, payloads: &UserIds) -> Result<ArrayRef> {
        let nulls = rows.nulls();
        let by_group = rows.one_per_group();
        Ok(Arc::new(StructArray::try_new(
            R::fields(),
            R::columns(&by_group, payloads)?,
            nulls,
        )?))
    }
}

/// The one field of a group's one row (NULL for a group without a row).
#[derive(Debug)]
pub(crate) struct OneValue<R>(PhantomData<R>);

impl<R: ResultRow> OneValue<R> {
    const ONE_FIELD: () = assert!(R::FIELD_COUNT == 1, "a one-value result has one field");
}

impl<R: ResultRow> Output for OneValue<R> {
    type Row = R;

    fn data_type() -> DataType {
        let () = Self::ONE_FIELD;
        R::fields()[0].data_type().clone()
    }

    fn finish(_function: &str, rows: ResultRows<R>, payloads: &UserIds) -> Result<ArrayRef> {
        let () = Self::ONE_FIELD;
        let by_group = rows.one_per_group();
        let [column] = R::columns(&by_group, payloads)?
            .try_into()
            .expect("one field");
        debug_assert_eq!(column.len(), by_group.len());
        Ok(column)
    }
}
