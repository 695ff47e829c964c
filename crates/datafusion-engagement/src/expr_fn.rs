//! Expression helpers for the DataFrame API: `df.aggregate(vec![col("segment")], vec![nps(col("score"))])`.

use datafusion::logical_expr::Expr;

use datafusion::prelude::lit;

use crate::{
    avg_resolution_time::avg_resolution_time_udaf, avg_session_duration::avg_session_duration_udaf,
    bounce_rate::bounce_rate_udaf, ces::ces_udaf, ces_summary::ces_summary_udaf,
    churn_rate::churn_rate_udaf, clv::clv_udaf, csat::csat_udaf, csat_summary::csat_summary_udaf,
    ctr::ctr_udaf, engagement_rate::engagement_rate_udaf, engagement_score::engagement_score_udaf,
    engagement_tier::engagement_tier_udf, feature_adoption::feature_adoption_udaf,
    first_week_active_rate::first_week_active_rate_udaf, nps::nps_udaf, nps_group::nps_group_udf,
    nps_summary::nps_summary_udaf, pages_per_session::pages_per_session_udaf,
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
    csat_udaf().call(vec![score, lit(max_score)])
}

/// `ces(score)`: mean Customer Effort Score on a 1–7 scale.
pub fn ces(score: Expr) -> Expr {
    ces_udaf().call(vec![score])
}

/// `ces(score, max_score)`: mean Customer Effort Score on a 1…max_score scale.
pub fn ces_with_scale(score: Expr, max_score: i64) -> Expr {
    ces_udaf().call(vec![score, lit(max_score)])
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

/// `nps(score, weight)`: Net Promoter Score with survey weights.
pub fn nps_weighted(score: Expr, weight: Expr) -> Expr {
    nps_udaf().call(vec![score, weight])
}

/// `csat(score, max_score, weight)`: CSAT with survey weights.
pub fn csat_weighted(score: Expr, max_score: i64, weight: Expr) -> Expr {
    csat_udaf().call(vec![score, lit(max_score), weight])
}

/// `ces(score, max_score, weight)`: weighted mean Customer Effort Score.
pub fn ces_weighted(score: Expr, max_score: i64, weight: Expr) -> Expr {
    ces_udaf().call(vec![score, lit(max_score), weight])
}

/// `nps_summary(score)`: STRUCT {nps, responses, promoters, passives, detractors, std_error,
/// ci_low, ci_high}.
pub fn nps_summary(score: Expr) -> Expr {
    nps_summary_udaf().call(vec![score])
}

/// `nps_summary(score, weight)`: the summary with survey weights (Kish effective sample size).
pub fn nps_summary_weighted(score: Expr, weight: Expr) -> Expr {
    nps_summary_udaf().call(vec![score, weight])
}

/// `csat_summary(score, max_score)`: STRUCT {csat, responses, satisfied, std_error, ci_low,
/// ci_high}.
pub fn csat_summary(score: Expr, max_score: i64) -> Expr {
    csat_summary_udaf().call(vec![score, lit(max_score)])
}

/// `csat_summary(score, max_score, weight)`: the summary with survey weights.
pub fn csat_summary_weighted(score: Expr, max_score: i64, weight: Expr) -> Expr {
    csat_summary_udaf().call(vec![score, lit(max_score), weight])
}

/// `ces_summary(score, max_score)`: STRUCT {ces, responses, std_error, ci_low, ci_high}.
pub fn ces_summary(score: Expr, max_score: i64) -> Expr {
    ces_summary_udaf().call(vec![score, lit(max_score)])
}

/// `ces_summary(score, max_score, weight)`: the summary with survey weights.
pub fn ces_summary_weighted(score: Expr, max_score: i64, weight: Expr) -> Expr {
    ces_summary_udaf().call(vec![score, lit(max_score), weight])
}

/// `feature_adoption(user_id, used_feature)`: percent of distinct users with a true row.
pub fn feature_adoption(user_id: Expr, used_feature: Expr) -> Expr {
    feature_adoption_udaf().call(vec![user_id, used_feature])
}

/// `first_week_active_rate(user_id, event_time, signup_time)`: percent of distinct users with
/// an event in the 7 days after signup.
pub fn first_week_active_rate(user_id: Expr, event_time: Expr, signup_time: Expr) -> Expr {
    first_week_active_rate_udaf().call(vec![user_id, event_time, signup_time])
}

/// `bounce_rate(session_id)`: percent of sessions with exactly one row.
pub fn bounce_rate(session_id: Expr) -> Expr {
    bounce_rate_udaf().call(vec![session_id])
}

/// `pages_per_session(session_id)`: rows per distinct session.
pub fn pages_per_session(session_id: Expr) -> Expr {
    pages_per_session_udaf().call(vec![session_id])
}

/// `avg_session_duration(session_id, event_time)`: mean seconds from a session's first to its
/// last event.
pub fn avg_session_duration(session_id: Expr, event_time: Expr) -> Expr {
    avg_session_duration_udaf().call(vec![session_id, event_time])
}

/// `avg_resolution_time(opened_at, resolved_at)`: mean seconds to resolution.
pub fn avg_resolution_time(opened_at: Expr, resolved_at: Expr) -> Expr {
    avg_resolution_time_udaf().call(vec![opened_at, resolved_at])
}

/// `clv(order_value, customer_id, order_time, lifespan_years)`: customer lifetime value.
pub fn clv(order_value: Expr, customer_id: Expr, order_time: Expr, lifespan_years: f64) -> Expr {
    clv_udaf().call(vec![
        order_value,
        customer_id,
        order_time,
        lit(lifespan_years),
    ])
}
