//! `theta_a_not_b(a, b)`: the values of one theta sketch not in another.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use crate::common::{DOC_SECTION_ENGAGEMENT, shared_function};
use crate::families::sketches::{SketchOperation, SketchScalar};

fn documentation() -> &'static Documentation {
    static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            DOC_SECTION_ENGAGEMENT,
            "A theta sketch of the values of sketch a that are not in sketch b: the users active \
             last month but not this one (churned), or this month but not last (new or \
             resurrected). theta_estimate reads it. NULL in either gives NULL; bytes that are not \
             a theta sketch are an error.",
            "theta_a_not_b(a, b)",
        )
        .with_argument("a", "A BINARY theta sketch: the values kept.")
        .with_argument("b", "A BINARY theta sketch: the values taken out.")
        .with_sql_example("```sql\n-- users active in July but not in August\nSELECT theta_estimate(theta_a_not_b(july.users, august.users)) AS churned\nFROM monthly july JOIN monthly august\n  ON july.month = '2026-07' AND august.month = '2026-08';\n```")
        .with_related_udf("theta_sketch")
        .with_related_udf("theta_intersection")
        .with_related_udf("theta_estimate")
        .build()
    });
    &DOCUMENTATION
}

shared_function!(
    /// The `theta_a_not_b` scalar function.
    theta_a_not_b_udf,
    ScalarUDF,
    || std::sync::Arc::new(ScalarUDF::from(SketchScalar::new(
        "theta_a_not_b",
        SketchOperation::ThetaANotB,
        documentation,
    )))
);
