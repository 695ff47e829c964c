//! Apache DataSketches' HLL and theta sketches, in DataSketches' own serialized formats, so that
//! a sketch written here is read by DataSketches in Java, C++ and Python (and Druid, Spark,
//! Hive) and theirs here.
//!
//! Values are hashed as every DataSketches library hashes them: an integer as a 64-bit
//! little-endian long (smaller integers sign-extended first), a string as its UTF-8 bytes, an
//! empty string not at all; MurmurHash3 with DataSketches' seed, 9001. The same user id thus
//! lands in the same register everywhere.

use std::ops::RangeInclusive;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt64Type};
use datafusion::common::{ScalarValue, exec_err, internal_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datasketches::hash::value::raw_bytes;
use datasketches::hll::{HllSketch, HllType};
use datasketches::theta::{
    CompactThetaSketch, ThetaANotB, ThetaIntersection, ThetaSketch, ThetaSketchBuilder, ThetaUnion,
    ThetaUnionBuilder,
};

use crate::common::args::{
    check_arg_count, coerce_string, documented_signature, integer_constant, is_string_type,
    lenient_coercion,
};
use crate::common::rows::SelectedRows;
use crate::families::hll_registers::{
    FLAGS_BYTE, HIP_ACCUMULATOR, HLL_PREAMBLE_INTS, HllRegisterUnion, OUT_OF_ORDER_FLAG,
};
use crate::kernels::sketches::{SketchInput, SketchRule};

/// `lg_k` when a call gives none: 4096 registers (HLL: about 1.6 % relative standard error;
/// theta: 4096 hashes kept, about 1.6 % too), DataSketches' own default.
pub(crate) const DEFAULT_LG_K: u8 = 12;
/// The `lg_k` DataSketches accepts for an HLL sketch.
pub(crate) const HLL_LG_K: RangeInclusive<u8> = 4..=21;
/// The `lg_k` DataSketches accepts for a theta sketch.
pub(crate) const THETA_LG_K: RangeInclusive<u8> = 5..=26;

/// Reads an optional `lg_k` constant in `range`.
pub(crate) fn lg_k_constant(
    function: &str,
    constant: Option<&ScalarValue>,
    range: &RangeInclusive<u8>,
) -> Result<u8> {
    let Some(value) = constant else {
        return Ok(DEFAULT_LG_K);
    };
    let lg_k = integer_constant(function, "lg_k", value)?;
    match u8::try_from(lg_k) {
        Ok(lg_k) if range.contains(&lg_k) => Ok(lg_k),
        _ => plan_err!(
            "{function}: lg_k must be from {} to {} (2^lg_k registers or hashes kept), got {lg_k}",
            range.start(),
            range.end()
        ),
    }
}

/// The type a value to sketch is read as: integers as 64-bit (how DataSketches hashes them),
/// strings as they are.
pub(crate) fn coerce_sketch_value(function: &str, data_type: &DataType) -> Result<DataType> {
    match data_type {
        DataType::UInt64 => Ok(DataType::UInt64),
        t if t.is_integer() || t.is_null() => Ok(DataType::Int64),
        t if is_string_type(t) => Ok(t.clone()),
        t => plan_err!(
            "{function}: value must be an integer or a string (Utf8, LargeUtf8, Utf8View or a \
             dictionary), got {t}; cast other types to one of them, as the engine reading the \
             sketch must hash the same"
        ),
    }
}

/// The type a serialized sketch argument is read as.
pub(crate) fn coerce_sketch_bytes(
    function: &str,
    kind: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match data_type {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Ok(data_type.clone()),
        DataType::Null => Ok(DataType::Binary),
        t => {
            let (article, writer) = if kind == "HLL" {
                ("an", "hll_sketch")
            } else {
                ("a", "theta_sketch")
            };
            plan_err!(
                "{function}: sketch must be BINARY, {article} {kind} sketch as {writer} or \
                 DataSketches writes it, got {t}"
            )
        }
    }
}

/// Calls `add` with every selected value of a column, hashed as DataSketches hashes it.
pub(crate) fn for_each_sketch_value(
    values: &ArrayRef,
    rows: &SelectedRows,
    mut add: impl FnMut(usize, SketchValue<'_>),
) -> Result<()> {
    match values.data_type() {
        DataType::Int64 => {
            let ints = values.as_primitive::<Int64Type>().values();
            rows.for_each_value(ints, |row, v| add(row, SketchValue::Long(v)));
        }
        DataType::UInt64 => {
            // DataSketches' longs are signed: the same 8 bytes.
            let ints = values.as_primitive::<UInt64Type>().values();
            rows.for_each_value(ints, |row, v| add(row, SketchValue::Long(v as i64)));
        }
        DataType::Utf8 => {
            let strings = values.as_string::<i32>();
            rows.for_each(|row| add(row, SketchValue::text(strings.value(row))));
        }
        DataType::LargeUtf8 => {
            let strings = values.as_string::<i64>();
            rows.for_each(|row| add(row, SketchValue::text(strings.value(row))));
        }
        DataType::Utf8View => {
            let strings = values.as_string_view();
            rows.for_each(|row| add(row, SketchValue::text(strings.value(row))));
        }
        DataType::Dictionary(_, _) => {
            let dictionary = values.as_any_dictionary();
            if dictionary.values().is_empty() {
                // No values: every key is NULL, so no row is selected.
                return Ok(());
            }
            let keys = dictionary.normalized_keys();
            let strings = datafusion::arrow::compute::cast(dictionary.values(), &DataType::Utf8)?;
            let strings = strings.as_string::<i32>();
            rows.for_each(|row| add(row, SketchValue::text(strings.value(keys[row]))));
        }
        other => return internal_err!("a value to sketch of type {other}"),
    }
    Ok(())
}

/// The bytes of every row of a BINARY column, `None` for NULL.
fn bytes_of(sketches: &ArrayRef) -> Result<Vec<Option<&[u8]>>> {
    Ok(match sketches.data_type() {
        DataType::Binary => sketches.as_binary::<i32>().iter().collect(),
        DataType::LargeBinary => sketches.as_binary::<i64>().iter().collect(),
        DataType::BinaryView => sketches.as_binary_view().iter().collect(),
        DataType::Null => vec![None; sketches.len()],
        other => return internal_err!("a sketch column of type {other}"),
    })
}

/// Calls `f` with the bytes of every selected row of a BINARY column.
pub(crate) fn for_each_sketch_bytes(
    sketches: &ArrayRef,
    rows: &SelectedRows,
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    match sketches.data_type() {
        DataType::Binary => {
            let bytes = sketches.as_binary::<i32>();
            rows.try_for_each(|row| f(row, bytes.value(row)))
        }
        DataType::LargeBinary => {
            let bytes = sketches.as_binary::<i64>();
            rows.try_for_each(|row| f(row, bytes.value(row)))
        }
        DataType::BinaryView => {
            let bytes = sketches.as_binary_view();
            rows.try_for_each(|row| f(row, bytes.value(row)))
        }
        DataType::Null => Ok(()),
        other => internal_err!("a sketch column of type {other}"),
    }
}

/// One value as DataSketches hashes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SketchValue<'a> {
    Long(i64),
    /// A non-empty string, hashed as its UTF-8 bytes.
    Text(&'a str),
    /// An empty string: DataSketches ignores it.
    Nothing,
}

impl<'a> SketchValue<'a> {
    fn text(text: &'a str) -> Self {
        if text.is_empty() {
            Self::Nothing
        } else {
            Self::Text(text)
        }
    }
}

/// What a sketch aggregate keeps per group.
pub(crate) trait SketchBuilder: Send + Sync + 'static {
    /// Adds one value.
    fn add(&mut self, value: SketchValue<'_>);
    /// Combines a serialized sketch into this one; `function` names the caller in errors.
    fn merge(&mut self, function: &str, bytes: &[u8]) -> Result<()>;
    /// The serialized sketch, `None` when there is nothing to show (an intersection of none).
    fn to_bytes(&self) -> Option<Vec<u8>>;
    /// The serialized sketch as a partial state, which the final stage merges: the result's
    /// form unless another is faster to merge and gives the same result.
    fn state_bytes(&self) -> Option<Vec<u8>> {
        self.to_bytes()
    }
    /// Bytes held, for `size()`.
    fn size(&self) -> usize;
}

/// An HLL sketch being built: the values' own sketch (HLL_4, as DataSketches builds one by
/// default, so that its estimate is DataSketches' own for the same values), and a union of the
/// sketches merged in.
pub(crate) struct HllBuilder {
    lg_k: u8,
    hll_type: HllType,
    values: Option<HllSketch>,
    union: Option<HllRegisterUnion>,
}

impl HllBuilder {
    pub(crate) fn new(lg_k: u8, hll_type: HllType) -> Result<Self> {
        if !HLL_LG_K.contains(&lg_k) {
            return internal_err!("an HLL sketch of lg_k {lg_k}");
        }
        Ok(Self {
            lg_k,
            hll_type,
            values: None,
            union: None,
        })
    }

    /// The sketch of everything added and merged.
    fn sketch(&self) -> HllSketch {
        match (&self.values, &self.union) {
            (Some(values), Some(union)) => {
                let mut union = union.to_union();
                union.update(values);
                union.to_sketch(self.hll_type)
            }
            (None, Some(union)) => union.to_sketch(self.hll_type),
            (Some(values), None) => values.clone(),
            (None, None) => HllSketch::new(self.lg_k, self.hll_type).expect("a checked lg_k"),
        }
    }
}

/// Marks a serialized HLL sketch (in HLL mode) as DataSketches marks a sketch built by merging
/// ("out of order"), so that every DataSketches library estimates it with the composite
/// estimator, from its registers alone. A sketch built in one piece otherwise carries the HIP
/// estimate of the order its values came in, and the engine splits the work in any order: the
/// estimate would depend on the split. (List and set modes, below about 3 × 2^lg_k / 32
/// values, count their coupons and are not touched.)
pub(crate) fn mark_as_merged(bytes: &mut [u8]) {
    if bytes.len() >= HIP_ACCUMULATOR.end && bytes[0] == HLL_PREAMBLE_INTS {
        bytes[FLAGS_BYTE] |= OUT_OF_ORDER_FLAG;
        bytes[HIP_ACCUMULATOR].fill(0);
    }
}

/// Reads a serialized HLL sketch.
pub(crate) fn read_hll(function: &str, bytes: &[u8]) -> Result<HllSketch> {
    HllSketch::deserialize(bytes).or_else(|error| {
        exec_err!(
            "{function}: cannot read an HLL sketch from {} bytes: {error}; expected a \
             DataSketches HLL sketch, as hll_sketch writes",
            bytes.len()
        )
    })
}

/// Reads a serialized theta sketch.
pub(crate) fn read_theta(function: &str, bytes: &[u8]) -> Result<CompactThetaSketch> {
    CompactThetaSketch::deserialize(bytes).or_else(|error| {
        exec_err!(
            "{function}: cannot read a theta sketch from {} bytes: {error}; expected a \
             DataSketches theta sketch, as theta_sketch writes",
            bytes.len()
        )
    })
}

impl SketchBuilder for HllBuilder {
    #[inline]
    fn add(&mut self, value: SketchValue<'_>) {
        let (lg_k, hll_type) = (self.lg_k, self.hll_type);
        let sketch = self
            .values
            .get_or_insert_with(|| HllSketch::new(lg_k, hll_type).expect("a checked lg_k"));
        match value {
            SketchValue::Long(v) => sketch.update(v),
            SketchValue::Text(text) => sketch.update(raw_bytes::from_str(text)),
            SketchValue::Nothing => {}
        }
    }

    fn merge(&mut self, function: &str, bytes: &[u8]) -> Result<()> {
        let lg_k = self.lg_k;
        self.union
            .get_or_insert_with(|| HllRegisterUnion::new(lg_k))
            .update(function, bytes)
    }

    fn to_bytes(&self) -> Option<Vec<u8>> {
        let mut bytes = match (&self.values, &self.union) {
            (Some(values), None) => values.serialize(),
            _ => self.sketch().serialize(),
        };
        mark_as_merged(&mut bytes);
        Some(bytes)
    }

    /// A union's state in HLL_8, its registers as they are: the final stage unites it without
    /// converting it twice (to HLL_4 and back, 4 096 registers each way). The union's result
    /// does not depend on the register width of what it unites.
    fn state_bytes(&self) -> Option<Vec<u8>> {
        let (None, Some(union)) = (&self.values, &self.union) else {
            return self.to_bytes();
        };
        let mut bytes = union.to_sketch(HllType::Hll8).serialize();
        mark_as_merged(&mut bytes);
        Some(bytes)
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.values.as_ref().map_or(0, HllSketch::estimated_size)
            + self
                .union
                .as_ref()
                .map_or(0, HllRegisterUnion::estimated_size)
    }
}

/// A theta sketch being built: the values' own sketch and a union of the sketches merged in.
pub(crate) struct ThetaBuilder {
    lg_k: u8,
    values: Option<ThetaSketch>,
    union: Option<ThetaUnion>,
}

impl ThetaBuilder {
    pub(crate) fn new(lg_k: u8) -> Self {
        Self {
            lg_k,
            values: None,
            union: None,
        }
    }

    fn union(&mut self) -> Result<&mut ThetaUnion> {
        if self.union.is_none() {
            let union = ThetaUnionBuilder::default().lg_k(self.lg_k).build();
            self.union = Some(match union {
                Ok(union) => union,
                Err(error) => return internal_err!("a theta union of lg_k {}: {error}", self.lg_k),
            });
        }
        Ok(self.union.as_mut().expect("made above"))
    }

    /// The sketch of everything added and merged.
    pub(crate) fn sketch(&self) -> CompactThetaSketch {
        match (&self.values, &self.union) {
            (Some(values), None) => values.compact(true),
            (None, Some(union)) => union.to_sketch(true),
            (Some(values), Some(union)) => {
                let mut both = ThetaUnionBuilder::default()
                    .lg_k(self.lg_k)
                    .build()
                    .expect("an lg_k checked at planning");
                both.update(&union.to_sketch(true)).expect("one seed");
                both.update(values).expect("one seed");
                both.to_sketch(true)
            }
            (None, None) => ThetaSketchBuilder::default()
                .build()
                .expect("the default sketch")
                .compact(true),
        }
    }
}

impl SketchBuilder for ThetaBuilder {
    #[inline]
    fn add(&mut self, value: SketchValue<'_>) {
        let lg_k = self.lg_k;
        let sketch = self.values.get_or_insert_with(|| {
            ThetaSketchBuilder::default()
                .lg_k(lg_k)
                .build()
                .expect("an lg_k checked at planning")
        });
        match value {
            SketchValue::Long(v) => sketch.update(v),
            SketchValue::Text(text) => sketch.update(raw_bytes::from_str(text)),
            SketchValue::Nothing => {}
        }
    }

    fn merge(&mut self, function: &str, bytes: &[u8]) -> Result<()> {
        let sketch = read_theta(function, bytes)?;
        self.union()?.update(&sketch).or_else(|error| {
            exec_err!("{function}: cannot combine a theta sketch of another seed: {error}")
        })
    }

    fn to_bytes(&self) -> Option<Vec<u8>> {
        Some(self.sketch().serialize())
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.values.as_ref().map_or(0, ThetaSketch::estimated_size)
            + self.union.as_ref().map_or(0, ThetaUnion::estimated_size)
    }
}

/// An intersection of theta sketches being built: none merged yet stands for everything.
#[derive(Default)]
pub(crate) struct ThetaIntersectionBuilder(Option<ThetaIntersection>);

impl SketchBuilder for ThetaIntersectionBuilder {
    fn add(&mut self, _value: SketchValue<'_>) {
        unreachable!("an intersection takes sketches, never values")
    }

    fn merge(&mut self, function: &str, bytes: &[u8]) -> Result<()> {
        let sketch = read_theta(function, bytes)?;
        self.0
            .get_or_insert_with(ThetaIntersection::default)
            .update(&sketch)
            .or_else(|error| {
                exec_err!("{function}: cannot intersect a theta sketch of another seed: {error}")
            })
    }

    fn to_bytes(&self) -> Option<Vec<u8>> {
        let sketch = self.0.as_ref()?.to_sketch(true)?;
        Some(sketch.serialize())
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.0.as_ref().map_or(0, ThetaIntersection::estimated_size)
    }
}

/// A serialized sketch's estimate, for the `*_estimate` scalars.
pub(crate) fn estimate_of(function: &str, kind: SketchKind, bytes: &[u8]) -> Result<f64> {
    Ok(match kind {
        SketchKind::Hll => read_hll(function, bytes)?.estimate(),
        SketchKind::Theta => read_theta(function, bytes)?.estimate(),
    })
}

/// The two sketch families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SketchKind {
    Hll,
    Theta,
}

impl SketchKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Hll => "HLL",
            Self::Theta => "theta",
        }
    }
}

/// The rule of the HLL aggregates: `lg_k`, and whether they read values or sketches.
#[derive(Debug, Clone)]
pub(crate) struct HllRule {
    pub(crate) lg_k: u8,
    pub(crate) hll_type: HllType,
    pub(crate) input: SketchInput,
}

impl SketchRule for HllRule {
    type Builder = HllBuilder;
    fn input(&self) -> SketchInput {
        self.input
    }
    fn builder(&self) -> Result<HllBuilder> {
        HllBuilder::new(self.lg_k, self.hll_type)
    }
}

/// The rule of the theta aggregates that build or unite sketches.
#[derive(Debug, Clone)]
pub(crate) struct ThetaRule {
    pub(crate) lg_k: u8,
    pub(crate) input: SketchInput,
}

impl SketchRule for ThetaRule {
    type Builder = ThetaBuilder;
    fn input(&self) -> SketchInput {
        self.input
    }
    fn builder(&self) -> Result<ThetaBuilder> {
        Ok(ThetaBuilder::new(self.lg_k))
    }
}

/// The rule of `theta_intersection`.
#[derive(Debug, Clone)]
pub(crate) struct ThetaIntersectionRule;

impl SketchRule for ThetaIntersectionRule {
    type Builder = ThetaIntersectionBuilder;
    fn input(&self) -> SketchInput {
        SketchInput::Sketches
    }
    fn builder(&self) -> Result<ThetaIntersectionBuilder> {
        Ok(ThetaIntersectionBuilder::default())
    }
}

/// `check_arg_types` of a sketch aggregate: `value` (or a sketch) and an optional `lg_k`.
pub(crate) fn coerce_sketch_args(
    function: &str,
    usage: &str,
    arg_types: &[DataType],
    input: SketchInput,
    kind: SketchKind,
    constants: SketchConstants,
) -> Result<Vec<DataType>> {
    check_arg_count(function, arg_types, 1, 1 + constants.args().len(), usage)?;
    let first = match input {
        SketchInput::Values => coerce_sketch_value(function, &arg_types[0])?,
        SketchInput::Sketches => coerce_sketch_bytes(function, kind.name(), &arg_types[0])?,
    };
    let mut types = vec![first];
    if let Some(lg_k) = arg_types.get(1) {
        if !lg_k.is_integer() && !lg_k.is_null() {
            return plan_err!("{function}: lg_k must be an integer constant, got {lg_k}");
        }
        types.push(DataType::Int64);
    }
    if let Some(hll_type) = arg_types.get(2) {
        types.push(coerce_string(function, "type", hll_type)?);
    }
    Ok(types)
}

/// The constant arguments a sketch aggregate takes after its first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SketchConstants {
    None,
    /// `lg_k`.
    LgK,
    /// `lg_k` and an HLL sketch's `type`.
    LgKAndType,
}

impl SketchConstants {
    pub(crate) const fn args(self) -> &'static [(usize, &'static str)] {
        match self {
            Self::None => &[],
            Self::LgK => &[(1, "lg_k")],
            Self::LgKAndType => &[(1, "lg_k"), (2, "type")],
        }
    }
}

/// Reads an optional HLL `type` constant: DataSketches' register widths, `'HLL_4'` (the
/// default, the smallest), `'HLL_6'` or `'HLL_8'` (twice the size, the fastest to unite).
pub(crate) fn hll_type_constant(function: &str, constant: Option<&ScalarValue>) -> Result<HllType> {
    let Some(value) = constant else {
        return Ok(HllType::Hll4);
    };
    let text = match value {
        ScalarValue::Dictionary(_, inner) => return hll_type_constant(function, Some(inner)),
        ScalarValue::Utf8(Some(text))
        | ScalarValue::LargeUtf8(Some(text))
        | ScalarValue::Utf8View(Some(text)) => text.trim().to_ascii_uppercase(),
        other => {
            return plan_err!("{function}: type must be 'HLL_4', 'HLL_6' or 'HLL_8', got {other}");
        }
    };
    match text.as_str() {
        "HLL_4" => Ok(HllType::Hll4),
        "HLL_6" => Ok(HllType::Hll6),
        "HLL_8" => Ok(HllType::Hll8),
        _ => plan_err!(
            "{function}: type must be 'HLL_4', 'HLL_6' or 'HLL_8' (DataSketches' register \
             widths), got '{text}'"
        ),
    }
}

/// Typical argument types of a sketch aggregate, listed by `SHOW FUNCTIONS`.
pub(crate) fn sketch_example_args(
    input: SketchInput,
    constants: SketchConstants,
) -> Vec<Vec<DataType>> {
    let firsts = match input {
        SketchInput::Values => vec![DataType::Int64, DataType::Utf8],
        SketchInput::Sketches => vec![DataType::Binary],
    };
    firsts
        .into_iter()
        .flat_map(|first| {
            let mut calls = vec![vec![first.clone()]];
            if constants != SketchConstants::None {
                calls.push(vec![first.clone(), DataType::Int64]);
            }
            if constants == SketchConstants::LgKAndType {
                calls.push(vec![first, DataType::Int64, DataType::Utf8]);
            }
            calls
        })
        .collect()
}

/// Defines a sketch aggregate: its `Metric` and shared instance. `$rule` builds the rule from
/// the `lg_k` read (the default when the call has none or the function takes none).
macro_rules! sketch_aggregate {
    (
        $(#[$doc:meta])* $udaf:ident, $metric:ident, $name:literal,
        input: $input:expr, kind: $kind:expr, constants: $constants:expr,
        rule: $rule_type:ty = |$lg_k:ident, $hll_type:ident| $rule:expr,
        documentation: $documentation:expr $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $metric;

        impl $crate::common::metric::Metric for $metric {
            const NAME: &'static str = $name;
            const UNIT: Option<&'static str> = None;
            const REQUIRED_ARGS: &'static [usize] = &[0];
            const CONSTANT_ARGS: &'static [(usize, &'static str)] = $constants.args();
            // A distinct count already: DISTINCT changes nothing.
            const DISTINCT: $crate::common::metric::Distinct =
                $crate::common::metric::Distinct::Unchanged;
            const STATE_NAMES: &'static [&'static str] = &["sketch"];
            type Rule = $rule_type;
            type Kernel = $crate::kernels::sketches::SketchKernel;

            fn documentation() -> &'static datafusion::logical_expr::Documentation {
                static DOCUMENTATION: std::sync::LazyLock<datafusion::logical_expr::Documentation> =
                    std::sync::LazyLock::new(|| $documentation);
                &DOCUMENTATION
            }

            fn check_arg_types(
                arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::error::Result<Vec<datafusion::arrow::datatypes::DataType>> {
                $crate::families::sketches::coerce_sketch_args(
                    $name, Self::usage(), arg_types, $input, $kind, $constants,
                )
            }

            fn example_arg_types() -> Vec<Vec<datafusion::arrow::datatypes::DataType>> {
                $crate::families::sketches::sketch_example_args($input, $constants)
            }

            fn return_type() -> datafusion::arrow::datatypes::DataType {
                datafusion::arrow::datatypes::DataType::Binary
            }

            fn rule(
                constants: &[Option<datafusion::common::ScalarValue>],
            ) -> datafusion::error::Result<Self::Rule> {
                let range = match $kind {
                    $crate::families::sketches::SketchKind::Hll => {
                        $crate::families::sketches::HLL_LG_K
                    }
                    $crate::families::sketches::SketchKind::Theta => {
                        $crate::families::sketches::THETA_LG_K
                    }
                };
                let $lg_k = $crate::families::sketches::lg_k_constant(
                    $name,
                    constants.first().and_then(Option::as_ref),
                    &range,
                )?;
                let $hll_type = $crate::families::sketches::hll_type_constant(
                    $name,
                    constants.get(1).and_then(Option::as_ref),
                )?;
                Ok($rule)
            }
        }

        $crate::common::metric::shared_udaf!(
            #[doc = concat!("The `", $name, "` aggregate function.")]
            $udaf,
            $metric
        );
    };
}
pub(crate) use sketch_aggregate;

/// What a sketch scalar computes from its sketch arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SketchOperation {
    /// `hll_estimate(sketch)`, `theta_estimate(sketch)`: the distinct count, a DOUBLE.
    Estimate(SketchKind),
    /// `theta_a_not_b(a, b)`: the sketch of the values of `a` not in `b`.
    ThetaANotB,
}

/// A scalar over serialized sketches.
#[derive(Debug)]
pub(crate) struct SketchScalar {
    name: &'static str,
    operation: SketchOperation,
    signature: Signature,
    documentation: fn() -> &'static Documentation,
}

impl SketchScalar {
    pub(crate) fn new(
        name: &'static str,
        operation: SketchOperation,
        documentation: fn() -> &'static Documentation,
    ) -> Self {
        let arguments = match operation {
            SketchOperation::Estimate(_) => 1,
            SketchOperation::ThetaANotB => 2,
        };
        Self {
            name,
            operation,
            // Sketches' type listed, for information_schema and SHOW FUNCTIONS.
            signature: documented_signature(vec![vec![DataType::Binary; arguments]]),
            documentation,
        }
    }

    fn arguments(&self) -> usize {
        match self.operation {
            SketchOperation::Estimate(_) => 1,
            SketchOperation::ThetaANotB => 2,
        }
    }

    /// The argument count and types, with errors that name the function.
    fn check_arg_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let usage = &(self.documentation)().syntax_example;
        check_arg_count(
            self.name,
            arg_types,
            self.arguments(),
            self.arguments(),
            usage,
        )?;
        arg_types
            .iter()
            .map(|t| coerce_sketch_bytes(self.name, self.kind().name(), t))
            .collect()
    }

    fn kind(&self) -> SketchKind {
        match self.operation {
            SketchOperation::Estimate(kind) => kind,
            SketchOperation::ThetaANotB => SketchKind::Theta,
        }
    }
}

crate::common::identified_by_name!(SketchScalar);

impl ScalarUDFImpl for SketchScalar {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(self.check_arg_types(arg_types), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.check_arg_types(arg_types)?;
        Ok(match self.operation {
            SketchOperation::Estimate(_) => DataType::Float64,
            SketchOperation::ThetaANotB => DataType::Binary,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let result: ArrayRef = match self.operation {
            SketchOperation::Estimate(kind) => Arc::new(
                bytes_of(&arrays[0])?
                    .into_iter()
                    .map(|bytes| {
                        bytes
                            .map(|bytes| estimate_of(self.name, kind, bytes))
                            .transpose()
                    })
                    .collect::<Result<Float64Array>>()?,
            ),
            SketchOperation::ThetaANotB => {
                let (a, b) = (bytes_of(&arrays[0])?, bytes_of(&arrays[1])?);
                Arc::new(
                    a.into_iter()
                        .zip(b)
                        .map(|pair| match pair {
                            (Some(a), Some(b)) => {
                                let (a, b) = (read_theta(self.name, a)?, read_theta(self.name, b)?);
                                let difference = ThetaANotB::default()
                                    .compute(&a, &b, true)
                                    .or_else(|error| {
                                        exec_err!(
                                            "{}: cannot subtract theta sketches: {error}",
                                            self.name
                                        )
                                    })?;
                                Ok(Some(difference.serialize()))
                            }
                            _ => Ok(None),
                        })
                        .collect::<Result<BinaryArray>>()?,
                )
            }
        };
        Ok(
            if args
                .args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)))
            {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
            } else {
                ColumnarValue::Array(result)
            },
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some((self.documentation)())
    }
}
