//! `theta_union(sketch [, lg_k])`: the union of theta sketches.

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::sketches::{SketchConstants, SketchKind, ThetaRule, sketch_aggregate};
use crate::kernels::sketches::SketchInput;

sketch_aggregate!(
    /// The union of the group's theta sketches.
    theta_union_udaf, ThetaUnion, "theta_union",
    input: SketchInput::Sketches, kind: SketchKind::Theta, constants: SketchConstants::LgK,
    rule: ThetaRule = |lg_k, _hll_type| ThetaRule { lg_k, input: SketchInput::Sketches },
    documentation: Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        "The union of the group's theta sketches (written by theta_sketch, or by DataSketches \
         anywhere): one sketch of every value any of them saw. NULL sketches are skipped; a \
         group with none gives NULL; bytes that are not a theta sketch are an error.",
        "theta_union(sketch [, lg_k])",
    )
    .with_argument("sketch", "A BINARY theta sketch.")
    .with_argument("lg_k", "Optional: log2 of the number of hashes the union keeps, a constant from 5 to 26 (default 12).")
    .with_sql_example("```sql\nSELECT segment, theta_estimate(theta_union(users)) AS active_users\nFROM 'sketches/' GROUP BY segment;\n```")
    .with_related_udf("theta_sketch")
    .with_related_udf("theta_intersection")
    .with_related_udf("theta_estimate")
    .build(),
);
