//! Scalar functions that label a number: engagement_tier and nps_group.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use crate::common::args::{
    check_arg_count, coerce_numeric, documented_signature, lenient_coercion,
};

/// One labelling function: its name, documentation and the label of a value.
pub(crate) trait Labeler: Debug + Send + Sync + 'static {
    const NAME: &'static str;
    const USAGE: &'static str;
    fn documentation() -> &'static Documentation;
    /// The label of a (non-NULL) value, or an error naming the function, value and what is valid.
    fn label(value: f64) -> Result<&'static str>;
}

/// Defines `pub fn $udf() -> Arc<ScalarUDF>` returning one shared instance of the scalar
/// function for a [`Labeler`].
macro_rules! shared_label_udf {
    ($(#[$doc:meta])* $udf:ident, $labeler:ty) => {
        $crate::common::shared_function!(
            $(#[$doc])* $udf,
            datafusion::logical_expr::ScalarUDF,
            $crate::families::labels::new_label_udf::<$labeler>
        );
    };
}
pub(crate) use shared_label_udf;

/// A new scalar function for a [`Labeler`]; see [`shared_label_udf`] for the shared instance.
pub(crate) fn new_label_udf<L: Labeler>() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(LabelFunction::<L> {
        signature: documented_signature(vec![vec![DataType::Float64]]),
        labeler: PhantomData,
    }))
}

#[derive(Debug)]
struct LabelFunction<L> {
    signature: Signature,
    labeler: PhantomData<L>,
}

impl<L> PartialEq for LabelFunction<L> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl<L> Eq for LabelFunction<L> {}
impl<L: Labeler> Hash for LabelFunction<L> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        L::NAME.hash(state);
    }
}

impl<L: Labeler> ScalarUDFImpl for LabelFunction<L> {
    fn name(&self) -> &str {
        L::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        lenient_coercion(check_arg_types::<L>(arg_types), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        check_arg_types::<L>(arg_types)?;
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        label_values(&args.args[0], L::label)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(L::documentation())
    }
}

fn check_arg_types<L: Labeler>(arg_types: &[DataType]) -> Result<Vec<DataType>> {
    check_arg_count(L::NAME, arg_types, 1, 1, L::USAGE)?;
    Ok(vec![coerce_numeric(L::NAME, "score", &arg_types[0])?])
}

/// The label of each (DOUBLE) value, NULL for NULL: what every labelling scalar returns
/// (`engagement_tier`, `nps_group`, `benchmark_band`).
pub(crate) fn label_values(
    values: &ColumnarValue,
    label: impl Fn(f64) -> Result<&'static str>,
) -> Result<ColumnarValue> {
    let labelled = |values: &ArrayRef| -> Result<ArrayRef> {
        let values = values.as_primitive::<Float64Type>();
        let labels = (0..values.len())
            .map(|i| {
                values
                    .is_valid(i)
                    .then(|| label(values.value(i)))
                    .transpose()
            })
            .collect::<Result<StringArray>>()?;
        Ok(Arc::new(labels))
    };
    Ok(match values {
        ColumnarValue::Scalar(value) => ColumnarValue::Scalar(ScalarValue::try_from_array(
            &labelled(&value.to_array()?)?,
            0,
        )?),
        ColumnarValue::Array(values) => ColumnarValue::Array(labelled(values)?),
    })
}
