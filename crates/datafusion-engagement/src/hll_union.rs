//! `hll_union(sketch [, lg_k])`: the union of HLL sketches.

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::sketches::{HllRule, SketchConstants, SketchKind, sketch_aggregate};
use crate::kernels::sketches::SketchInput;

sketch_aggregate!(
    /// The union of the group's HLL sketches.
    hll_union_udaf, HllUnion, "hll_union",
    input: SketchInput::Sketches, kind: SketchKind::Hll, constants: SketchConstants::LgKAndType,
    rule: HllRule = |lg_k, hll_type| HllRule { lg_k, hll_type, input: SketchInput::Sketches },
    documentation: Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        "The union of the group's HLL sketches (written by hll_sketch, or by DataSketches \
         anywhere): one sketch of every value any of them saw, to store again or to read with \
         hll_estimate. Sketches of different lg_k unite at the smallest of them and lg_k. NULL \
         sketches are skipped; a group with none gives NULL; bytes that are not an HLL sketch \
         are an error.",
        "hll_union(sketch [, lg_k [, type]])",
    )
    .with_argument("sketch", "A BINARY HLL sketch.")
    .with_argument("lg_k", "Optional: the largest lg_k of the union, a constant from 4 to 21 (default 12).")
    .with_sql_example("```sql\nSELECT segment, hll_estimate(hll_union(users)) AS active_users\nFROM 'sketches/' WHERE day >= '2026-07-01' GROUP BY segment;\n```")
    .with_argument("type", "Optional: the register width of the sketch written, the constant 'HLL_4' (the default, DataSketches' own and the smallest), 'HLL_6' or 'HLL_8' (twice HLL_4's size, and the fastest to read and unite: for sketches that are read often, such as approx_stickiness's daily ones).")
    .with_related_udf("hll_sketch")
    .with_related_udf("hll_estimate")
    .build(),
);
