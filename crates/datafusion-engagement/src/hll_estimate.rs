//! `hll_estimate(sketch)`: the distinct count an HLL sketch stands for.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use crate::common::{DOC_SECTION_ENGAGEMENT, shared_function};
use crate::families::sketches::{SketchKind, SketchOperation, SketchScalar};

fn documentation() -> &'static Documentation {
    static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            DOC_SECTION_ENGAGEMENT,
            "The number of distinct values an HLL sketch stands for (DataSketches' estimate, a \
             DOUBLE): of one sketch from hll_sketch, or of a union from hll_union. NULL gives \
             NULL; bytes that are not an HLL sketch are an error.",
            "hll_estimate(sketch)",
        )
        .with_argument("sketch", "A BINARY HLL sketch, from hll_sketch, hll_union or DataSketches.")
        .with_sql_example("```sql\nSELECT month, hll_estimate(hll_union(users)) AS mau FROM daily_sketches GROUP BY month;\n```")
        .with_related_udf("hll_sketch")
        .with_related_udf("hll_union")
        .build()
    });
    &DOCUMENTATION
}

shared_function!(
    /// The `hll_estimate` scalar function.
    hll_estimate_udf,
    ScalarUDF,
    || std::sync::Arc::new(ScalarUDF::from(SketchScalar::new(
        "hll_estimate",
        SketchOperation::Estimate(SketchKind::Hll),
        documentation,
    )))
);
