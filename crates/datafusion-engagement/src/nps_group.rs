//! `nps_group(score)`: promoter, passive or detractor.

use std::sync::LazyLock;

use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::labels::{Labeler, shared_label_udf};
use crate::families::scores::{NPS_DETRACTOR_UP_TO, NPS_PROMOTER_FROM, NPS_SCALE};

/// The NPS group of one 0–10 answer.
#[derive(Debug)]
pub(crate) struct NpsGroup;

impl Labeler for NpsGroup {
    const NAME: &'static str = "nps_group";
    const USAGE: &'static str = "nps_group(score)";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "The Net Promoter group of a 0–10 answer: 'promoter' (9–10), 'passive' (7–8) or \
                 'detractor' (0–6). NULL gives NULL; a score that is not a whole number from 0 to 10 \
                 is an error.",
                "nps_group(score)",
            )
            .with_sql_example("```sql\nSELECT nps_group(nps_score) AS nps_group, count(*) AS answers\nFROM responses\nGROUP BY 1;\n```")
            .with_argument("score", "Answer on the 0–10 scale: any integer, floating point or DECIMAL expression.")
            .with_related_udf("nps")
            .build()
        });
        &DOCUMENTATION
    }

    fn label(score: f64) -> Result<&'static str> {
        let score = NPS_SCALE.check(Self::NAME, score)?;
        Ok(if score >= NPS_PROMOTER_FROM {
            "promoter"
        } else if score <= NPS_DETRACTOR_UP_TO {
            "detractor"
        } else {
            "passive"
        })
    }
}

shared_label_udf!(
    /// The `nps_group` scalar function.
    nps_group_udf,
    NpsGroup
);
