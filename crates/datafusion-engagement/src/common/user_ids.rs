//! Exact user identity for distinct-user metrics: every user id (any integer or string type)
//! becomes a 64-bit key, so per-group sets hold small fixed-size keys. Integer ids are their
//! own key (no lookup per row); strings are interned once into a dense id.

use std::hash::BuildHasher;
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, DictionaryArray, Int64Array, StringArray, UInt32Array, UInt64Array,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt32Type, UInt64Type};
use datafusion::common::{exec_err, internal_err, plan_err};
use datafusion::error::Result;
use hashbrown::{DefaultHashBuilder, HashTable};

use super::args::is_string_type;
use super::rows::SelectedRows;
use super::strings::for_each_string;

/// How user ids are kept: integers as 64-bit values, every string type as Utf8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserIdKind {
    Int64,
    UInt64,
    String,
}

impl UserIdKind {
    /// The argument type a user id column is coerced to, or a planning error.
    pub(crate) fn coerce(function: &str, argument: &str, data_type: &DataType) -> Result<DataType> {
        match data_type {
            DataType::UInt64 => Ok(DataType::UInt64),
            t if t.is_integer() || t.is_null() => Ok(DataType::Int64),
            t if is_string_type(t) => Ok(t.clone()),
            t => plan_err!(
                "{function}: {argument} must be an integer or a string (Utf8, LargeUtf8, Utf8View or dictionary), got {t}"
            ),
        }
    }

    /// Typical id types, listed by `SHOW FUNCTIONS`.
    pub(crate) fn example_types() -> [DataType; 2] {
        [DataType::Int64, DataType::Utf8]
    }

    /// The kind of a coerced user id column (or of the state column built from it).
    pub(crate) fn of(data_type: &DataType) -> Self {
        match data_type {
            DataType::UInt64 => Self::UInt64,
            t if is_string_type(t) => Self::String,
            _ => Self::Int64,
        }
    }

    /// The type user ids have in the aggregate state.
    pub(crate) fn state_type(self) -> DataType {
        match self {
            Self::Int64 => DataType::Int64,
            Self::UInt64 => DataType::UInt64,
            Self::String => DataType::Utf8,
        }
    }
}

/// The string with dense id `id` in a concatenated store.
fn string_at<'a>(bytes: &'a str, ends: &[usize], id: u32) -> &'a str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &bytes[start..ends[id]]
}

/// A string user in the intern table: its dense id and where its bytes are, so that a lookup
/// compares the bytes without first reading the offsets (one cache miss fewer per row, the
/// most of what interning a million ids costs).
#[derive(Debug, Clone, Copy)]
struct Interned {
    id: u32,
    len: u32,
    start: usize,
}

impl Interned {
    fn of<'a>(&self, bytes: &'a str) -> &'a str {
        &bytes[self.start..self.start + self.len as usize]
    }
}

/// Turns user ids into keys; holds the distinct string ids seen so far.
#[derive(Debug)]
pub(crate) struct UserIds {
    kind: UserIdKind,
    hasher: DefaultHashBuilder,
    /// Dense ids of string users, hashed by the string they stand for.
    table: HashTable<Interned>,
    /// String user values, concatenated, and the end offset of each by dense id.
    string_bytes: String,
    string_ends: Vec<usize>,
}

impl UserIds {
    pub(crate) fn new(kind: UserIdKind) -> Self {
        Self {
            kind,
            hasher: DefaultHashBuilder::default(),
            table: HashTable::new(),
            string_bytes: String::new(),
            string_ends: vec![],
        }
    }

    pub(crate) fn kind(&self) -> UserIdKind {
        self.kind
    }

    /// The string of a string id's dense key.
    pub(crate) fn string(&self, id: u32) -> &str {
        string_at(&self.string_bytes, &self.string_ends, id)
    }

    fn next_id(&self, function: &str) -> Result<u32> {
        u32::try_from(self.string_ends.len()).or_else(|_| {
            exec_err!(
                "{function}: more than {} distinct user ids in one aggregate",
                u32::MAX
            )
        })
    }

    /// The dense key of a string id, interned if new.
    #[inline]
    pub(crate) fn intern_string(&mut self, function: &str, value: &str) -> Result<u32> {
        let hash = self.hasher.hash_one(value);
        let bytes = &self.string_bytes;
        if let Some(found) = self.table.find(hash, |entry| {
            entry.len as usize == value.len() && entry.of(bytes) == value
        }) {
            return Ok(found.id);
        }
        let id = self.next_id(function)?;
        let Ok(len) = u32::try_from(value.len()) else {
            return exec_err!("{function}: a user id of {} bytes is too long", value.len());
        };
        let start = self.string_bytes.len();
        self.string_bytes.push_str(value);
        self.string_ends.push(self.string_bytes.len());
        let (hasher, bytes) = (&self.hasher, &self.string_bytes);
        self.table
            .insert_unique(hash, Interned { id, len, start }, |entry| {
                hasher.hash_one(entry.of(bytes))
            });
        Ok(id)
    }

    /// Calls `f(row, key)` with the key of the user of every selected row.
    pub(crate) fn for_each_key(
        &mut self,
        function: &str,
        users: &ArrayRef,
        rows: &SelectedRows,
        mut f: impl FnMut(usize, u64),
    ) -> Result<()> {
        match self.kind {
            UserIdKind::Int64 => {
                let values = users.as_primitive::<Int64Type>().values();
                rows.for_each(|row| f(row, values[row] as u64));
                Ok(())
            }
            UserIdKind::UInt64 => {
                let values = users.as_primitive::<UInt64Type>().values();
                rows.for_each(|row| f(row, values[row]));
                Ok(())
            }
            UserIdKind::String => {
                let mut failure = None;
                for_each_string(
                    users,
                    rows,
                    |user| match self.intern_string(function, user) {
                        Ok(id) => u64::from(id),
                        Err(e) => {
                            failure.get_or_insert(e);
                            0
                        }
                    },
                    &mut f,
                )?;
                failure.map_or(Ok(()), Err)
            }
        }
    }

    /// How many string ids there are: their keys are 0 up to this.
    pub(crate) fn strings(&self) -> usize {
        self.string_ends.len()
    }

    /// The type of [`Self::dictionary`].
    pub(crate) fn dictionary_type() -> DataType {
        DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
    }

    /// The string ids of `keys` (dense ids), dictionary-encoded: the keys themselves over
    /// every string interned so far. A state of many rows and few distinct strings (pages)
    /// stays small, and is read back with one lookup per distinct string.
    pub(crate) fn dictionary(&self, keys: Vec<u32>) -> Result<ArrayRef> {
        if self.kind != UserIdKind::String {
            return internal_err!("a dictionary of {:?} ids", self.kind);
        }
        let all: Vec<u64> = (0..self.string_ends.len() as u64).collect();
        let strings = self.values(&all)?;
        Ok(Arc::new(DictionaryArray::<UInt32Type>::try_new(
            UInt32Array::from(keys),
            strings,
        )?))
    }

    /// How the ids of two keys compare: as numbers, or as strings byte by byte.
    pub(crate) fn compare(&self, a: u64, b: u64) -> std::cmp::Ordering {
        match self.kind {
            UserIdKind::Int64 => (a as i64).cmp(&(b as i64)),
            UserIdKind::UInt64 => a.cmp(&b),
            UserIdKind::String => self.string(a as u32).cmp(self.string(b as u32)),
        }
    }

    /// [`Self::values`] of keys that are no longer needed: integer ids take over their
    /// memory.
    pub(crate) fn values_of_owned(&self, keys: Vec<u64>) -> Result<ArrayRef> {
        Ok(match self.kind {
            UserIdKind::Int64 => {
                let len = keys.len();
                // An Int64 id's key is its bits.
                Arc::new(Int64Array::new(
                    ScalarBuffer::new(Buffer::from_vec(keys), 0, len),
                    None,
                ))
            }
            UserIdKind::UInt64 => Arc::new(UInt64Array::from(keys)),
            UserIdKind::String => self.values(&keys)?,
        })
    }

    /// The user ids of `keys`, as an array of the state type.
    pub(crate) fn values(&self, keys: &[u64]) -> Result<ArrayRef> {
        Ok(match self.kind {
            UserIdKind::Int64 => {
                Arc::new(keys.iter().map(|&key| key as i64).collect::<Int64Array>())
            }
            UserIdKind::UInt64 => Arc::new(UInt64Array::from(keys.to_vec())),
            UserIdKind::String => {
                let mut bytes = Vec::new();
                let mut offsets = Vec::with_capacity(keys.len() + 1);
                offsets.push(0i32);
                for &key in keys {
                    bytes.extend_from_slice(self.string(key as u32).as_bytes());
                    let Ok(end) = i32::try_from(bytes.len()) else {
                        return internal_err!("user id state larger than 2 GiB in one batch");
                    };
                    offsets.push(end);
                }
                let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
                Arc::new(StringArray::try_new(
                    offsets,
                    Buffer::from_vec(bytes),
                    None,
                )?)
            }
        })
    }

    /// Heap bytes held.
    pub(crate) fn size(&self) -> usize {
        self.table.allocation_size()
            + self.string_bytes.capacity()
            + self.string_ends.capacity() * size_of::<usize>()
    }
}
