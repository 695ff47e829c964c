//! `engagement_tier(score)`: the label of an engagement score.

use std::sync::LazyLock;

use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::families::labels::{Labeler, shared_label_udf};

/// Tiers by score: below 0, [0, 40], (40, 70], (70, 100], above 100.
#[derive(Debug)]
pub(crate) struct EngagementTier;

impl Labeler for EngagementTier {
    const NAME: &'static str = "engagement_tier";
    const USAGE: &'static str = "engagement_tier(score)";

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Labels an engagement score: 'at_risk' (below 0), 'very_disengaged' (0 to 40), \
                 'somewhat_engaged' (over 40 to 70), 'highly_engaged' (over 70 to 100), \
                 'power_user' (over 100). NULL gives NULL; NaN or infinity is an error.",
                "engagement_tier(score)",
            )
            .with_sql_example("```sql\nSELECT user_id, engagement_tier(engagement_score(event_name, 'login=1, export=3')) AS tier\nFROM events\nGROUP BY user_id;\n```")
            .with_argument("score", "An engagement score: any numeric expression.")
            .with_related_udf("engagement_score")
            .build()
        });
        &DOCUMENTATION
    }

    fn label(score: f64) -> Result<&'static str> {
        Ok(match score {
            s if !s.is_finite() => {
                return exec_err!(
                    "engagement_tier: score {s} is not valid: expected a finite number"
                );
            }
            s if s < 0.0 => "at_risk",
            s if s <= 40.0 => "very_disengaged",
            s if s <= 70.0 => "somewhat_engaged",
            s if s <= 100.0 => "highly_engaged",
            _ => "power_user",
        })
    }
}

shared_label_udf!(
    /// The `engagement_tier` scalar function.
    engagement_tier_udf,
    EngagementTier
);
