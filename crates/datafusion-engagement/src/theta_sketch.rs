//! `theta_sketch(value [, lg_k])`: an Apache DataSketches theta sketch of the distinct values.

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::sketches::{SketchConstants, SketchKind, ThetaRule, sketch_aggregate};
use crate::kernels::sketches::SketchInput;

sketch_aggregate!(
    /// A DataSketches theta sketch of the group's distinct values.
    theta_sketch_udaf, ThetaSketch, "theta_sketch",
    input: SketchInput::Values, kind: SketchKind::Theta, constants: SketchConstants::LgK,
    rule: ThetaRule = |lg_k, _hll_type| ThetaRule { lg_k, input: SketchInput::Values },
    documentation: Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        "An Apache DataSketches theta sketch of the group's distinct values (BINARY, \
         DataSketches' serialized compact form). Unlike HLL, theta sketches intersect and \
         subtract: theta_intersection and theta_a_not_b answer \"active this month and last\" \
         or \"active last month but not this one\" from stored sketches. Exact up to 2^lg_k \
         distinct values; beyond, the relative standard error is about 1 / sqrt(2^lg_k): 1.6 % \
         at the default lg_k 12. Values are hashed as DataSketches hashes them (an integer as a \
         64-bit long, a string as its UTF-8 bytes; empty strings and NULLs are skipped). A \
         group without values gives NULL.",
        "theta_sketch(value [, lg_k])",
    )
    .with_argument("value", "What to count distinct values of: an integer or string column (a user id).")
    .with_argument("lg_k", "Optional: log2 of the number of hashes kept, a constant from 5 to 26 (default 12).")
    .with_sql_example("```sql\nSELECT date_trunc('month', event_time) AS month, theta_sketch(user_id) AS users\nFROM events GROUP BY 1;\n```")
    .with_related_udf("theta_union")
    .with_related_udf("theta_intersection")
    .with_related_udf("theta_estimate")
    .build(),
);
