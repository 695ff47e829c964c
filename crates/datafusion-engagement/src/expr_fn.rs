//! Expression helpers for the DataFrame API: `df.aggregate(vec![col("segment")], vec![nps(col("score"))])`.

use datafusion::logical_expr::Expr;

use crate::{
    ces::ces_udaf, churn_rate::churn_rate_udaf, csat::csat_udaf, ctr::ctr_udaf,
    engagement_rate::engagement_rate_udaf, engagement_score::engagement_score_udaf,
    engagement_tier::engagement_tier_udf, nps::nps_udaf, nps_group::nps_group_udf,
    retention_rate::retention_rate_udaf, stickiness::stickiness_udaf,
};

/// `nps(score)`: Net Promoter Score, −100 to 100.
pub fn nps(score: Expr) -> Expr {
    nps_udaf().call(vec![score])
}

/// `csat(score)`: share of 4s and 5s on a 0–5 scale, in percent.
pub fn csat(score: Expr) -> Expr {
    csat_udaf().call(vec![score])
}

/// `csat(score, max_score)`: share of the top two boxes of a 0…max_score scale, in percent.
pub fn csat_with_scale(score: Expr, max_score: i64) -> Expr {
    csat_udaf().call(vec![score, datafusion::prelude::lit(max_score)])
}

/// `ces(score)`: mean Customer Effort Score on a 1–7 scale.
pub fn ces(score: Expr) -> Expr {
    ces_udaf().call(vec![score])
}

/// `ces(score, max_score)`: mean Customer Effort Score on a 1…max_score scale.
pub fn ces_with_scale(score: Expr, max_score: i64) -> Expr {
    ces_udaf().call(vec![score, datafusion::prelude::lit(max_score)])
}

/// `churn_rate(active_at_start, active_at_end)`, in percent.
pub fn churn_rate(active_at_start: Expr, active_at_end: Expr) -> Expr {
    churn_rate_udaf().call(vec![active_at_start, active_at_end])
}

/// `retention_rate(active_at_start, active_at_end)`, in percent.
pub fn retention_rate(active_at_start: Expr, active_at_end: Expr) -> Expr {
    retention_rate_udaf().call(vec![active_at_start, active_at_end])
}

/// `stickiness(user_id, event_time)`: DAU/MAU in percent.
pub fn stickiness(user_id: Expr, event_time: Expr) -> Expr {
    stickiness_udaf().call(vec![user_id, event_time])
}

/// `engagement_score(event, weights)`; `weights` is a constant such as
/// `lit("login=1, invite_colleague=5")`.
pub fn engagement_score(event: Expr, weights: Expr) -> Expr {
    engagement_score_udaf().call(vec![event, weights])
}

/// `engagement_tier(score)`: 'at_risk', 'very_disengaged', 'somewhat_engaged', 'highly_engaged'
/// or 'power_user'.
pub fn engagement_tier(score: Expr) -> Expr {
    engagement_tier_udf().call(vec![score])
}

/// `nps_group(score)`: 'promoter', 'passive' or 'detractor'.
pub fn nps_group(score: Expr) -> Expr {
    nps_group_udf().call(vec![score])
}

/// `ctr(clicks, impressions)`: click-through rate in percent.
pub fn ctr(clicks: Expr, impressions: Expr) -> Expr {
    ctr_udaf().call(vec![clicks, impressions])
}

/// `ctr(clicked)`: the percentage of true rows of a BOOLEAN (each row one impression).
pub fn ctr_of_flags(clicked: Expr) -> Expr {
    ctr_udaf().call(vec![clicked])
}

/// `engagement_rate(interactions, reach)`: social engagement rate in percent.
pub fn engagement_rate(interactions: Expr, reach: Expr) -> Expr {
    engagement_rate_udaf().call(vec![interactions, reach])
}
