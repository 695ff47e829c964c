//! `hll_sketch(value [, lg_k])`: an Apache DataSketches HLL sketch of the distinct values.

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::sketches::{HllRule, SketchConstants, SketchKind, sketch_aggregate};
use crate::kernels::sketches::SketchInput;

sketch_aggregate!(
    /// A DataSketches HLL sketch of the group's distinct values.
    hll_sketch_udaf, HllSketch, "hll_sketch",
    input: SketchInput::Values, kind: SketchKind::Hll, constants: SketchConstants::LgKAndType,
    rule: HllRule = |lg_k, hll_type| HllRule { lg_k, hll_type, input: SketchInput::Values },
    documentation: Documentation::builder(
        DOC_SECTION_ENGAGEMENT,
        "An Apache DataSketches HLL sketch of the group's distinct values (BINARY, DataSketches' \
         serialized form, HLL_4 unless type says otherwise): store daily sketches, then hll_union and hll_estimate give the \
         distinct users of any span without the events. DataSketches in Java, C++ and Python \
         (and Druid, Spark, Hive) read it, and hll_union reads theirs: values are hashed as \
         DataSketches hashes them (an integer as a 64-bit long, a string as its UTF-8 bytes; \
         empty strings and NULLs are skipped). The relative standard error is about 1.04 / \
         sqrt(2^lg_k): 1.6 % at the default lg_k 12. A group without values gives NULL.",
        "hll_sketch(value [, lg_k [, type]])",
    )
    .with_argument("value", "What to count distinct values of: an integer or string column (a user id).")
    .with_argument("lg_k", "Optional: log2 of the number of registers, a constant from 4 to 21 (default 12).")
    .with_sql_example("```sql\n-- daily sketches of the active users, per segment\nCOPY (SELECT segment, CAST(event_time AS DATE) AS day, hll_sketch(user_id) AS users\n      FROM events GROUP BY 1, 2) TO 'sketches/' STORED AS PARQUET;\n-- monthly active users from them\nSELECT date_trunc('month', day) AS month, segment, hll_estimate(hll_union(users)) AS mau\nFROM 'sketches/' GROUP BY 1, 2;\n```")
    .with_argument("type", "Optional: the register width of the sketch written, the constant 'HLL_4' (the default, DataSketches' own and the smallest), 'HLL_6' or 'HLL_8' (twice HLL_4's size, and the fastest to read and unite: for sketches that are read often, such as approx_stickiness's daily ones).")
    .with_related_udf("hll_union")
    .with_related_udf("hll_estimate")
    .with_related_udf("theta_sketch")
    .build(),
);
