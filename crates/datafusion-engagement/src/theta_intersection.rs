//! `theta_intersection(sketch)`: the intersection of theta sketches.

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::sketches::{
    SketchConstants, SketchKind, ThetaIntersectionRule, sketch_aggregate,
};
use crate::kernels::sketches::SketchInput;

sketch_aggregate!(
    /// The intersection of the group's theta sketches.
    theta_intersection_udaf, ThetaIntersection, "theta_intersection",
    input: SketchInput::Sketches, kind: SketchKind::Theta, constants: SketchConstants::None,
    rule: ThetaIntersectionRule = |_lg_k, _hll_type| ThetaIntersectionRule,
    documentation: Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        "The intersection of the group's theta sketches: a sketch of the values every one of \
         them saw, such as the users active in each of two months (the rows of both months in \
         one group). NULL sketches are skipped; a group with none gives NULL; bytes that are not \
         a theta sketch are an error. Its estimate's error is relative to the largest sketch, \
         not to the intersection: a small overlap of large sets is read with less precision.",
        "theta_intersection(sketch)",
    )
    .with_argument("sketch", "A BINARY theta sketch.")
    .with_sql_example("```sql\n-- users active both in July and in August\nSELECT theta_estimate(theta_intersection(users)) AS kept\nFROM monthly_sketches WHERE month IN ('2026-07', '2026-08');\n```")
    .with_related_udf("theta_sketch")
    .with_related_udf("theta_union")
    .with_related_udf("theta_a_not_b")
    .build(),
);
