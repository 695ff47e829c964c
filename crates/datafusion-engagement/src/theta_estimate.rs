//! `theta_estimate(sketch)`: the distinct count a theta sketch stands for.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use crate::common::{DOC_SECTION_ENGAGEMENT, shared_function};
use crate::families::sketches::{SketchKind, SketchOperation, SketchScalar};

fn documentation() -> &'static Documentation {
    static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            DOC_SECTION_ENGAGEMENT,
            "The number of distinct values a theta sketch stands for (DataSketches' estimate, a \
             DOUBLE): of one sketch from theta_sketch, or of a union from theta_union. NULL gives \
             NULL; bytes that are not an theta sketch are an error.",
            "theta_estimate(sketch)",
        )
        .with_argument("sketch", "A BINARY theta sketch, from theta_sketch, theta_union or DataSketches.")
        .with_sql_example("```sql\nSELECT month, theta_estimate(theta_union(users)) AS mau FROM daily_sketches GROUP BY month;\n```")
        .with_related_udf("theta_sketch")
        .with_related_udf("theta_union")
        .with_related_udf("theta_intersection")
        .build()
    });
    &DOCUMENTATION
}

shared_function!(
    /// The `theta_estimate` scalar function.
    theta_estimate_udf,
    ScalarUDF,
    || std::sync::Arc::new(ScalarUDF::from(SketchScalar::new(
        "theta_estimate",
        SketchOperation::Estimate(SketchKind::Theta),
        documentation,
    )))
);
