//! Expression helpers for the DataFrame API, one per function, with the SQL function's name
//! and arguments: optional arguments are `Option<Expr>`, constants are `Expr` (usually
//! [`lit`]).
//!
//! ```
//! use datafusion::prelude::{col, lit};
//! use datafusion_engagement::expr_fn::{csat, nps};
//!
//! let unweighted = nps(col("score"), None);
//! let weighted = nps(col("score"), Some(col("survey_weight")));
//! // A weight on the default 0–5 scale: max_score may be left out.
//! let csat_weighted = csat(col("csat_score"), None, Some(col("survey_weight")));
//! let csat_ten_point = csat(col("rating"), Some(lit(10)), None);
//! # let _ = (unweighted, weighted, csat_weighted, csat_ten_point);
//! ```
//!
//! [`lit`]: datafusion::prelude::lit

use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, Expr};
use datafusion::prelude::lit;

use crate::families::scores::{CES_DEFAULT_MAX_SCORE, CSAT_DEFAULT_MAX_SCORE};
use crate::families::sessions::DEFAULT_GAP;
use crate::{
    approx_stickiness::approx_stickiness_udaf, avg_resolution_time::avg_resolution_time_udaf,
    avg_session_duration::avg_session_duration_udaf, benchmark_band::benchmark_band_udf,
    bounce_rate::bounce_rate_udaf, ces::ces_udaf, ces_summary::ces_summary_udaf,
    churn_rate::churn_rate_udaf, clv::clv_udaf, csat::csat_udaf, csat_summary::csat_summary_udaf,
    ctr::ctr_udaf, engagement_rate::engagement_rate_udaf, engagement_score::engagement_score_udaf,
    engagement_tier::engagement_tier_udf, feature_adoption::feature_adoption_udaf,
    first_week_active_rate::first_week_active_rate_udaf, funnel::funnel_udaf,
    funnel_conversion_histogram::funnel_conversion_histogram_udaf,
    funnel_conversion_times::funnel_conversion_times_udaf, hll_estimate::hll_estimate_udf,
    hll_sketch::hll_sketch_udaf, hll_union::hll_union_udaf, lifecycle::lifecycle_udaf,
    nps::nps_udaf, nps_group::nps_group_udf, nps_summary::nps_summary_udaf,
    page_summary::page_summary_udaf, pages_per_session::pages_per_session_udaf, paths::paths_udaf,
    retention::retention_udaf, retention_rate::retention_rate_udaf,
    sequence_count::sequence_count_udaf, sequence_match::sequence_match_udaf,
    sequence_next_node::sequence_next_node_udaf, session_entry::session_entry_udwf,
    session_exit::session_exit_udwf, session_summary::session_summary_udaf,
    sessionize::sessionize_udwf, stickiness::stickiness_udaf,
    stickiness_distribution::stickiness_distribution_udaf, theta_a_not_b::theta_a_not_b_udf,
    theta_estimate::theta_estimate_udf, theta_intersection::theta_intersection_udaf,
    theta_sketch::theta_sketch_udaf, theta_union::theta_union_udaf,
    time_on_page::time_on_page_udwf, unbounded_retention::unbounded_retention_udaf,
    window_funnel::window_funnel_udaf,
};

/// `f(score [, weight])`.
fn score_args(score: Expr, weight: Option<Expr>) -> Vec<Expr> {
    std::iter::once(score).chain(weight).collect()
}

/// `f(score [, max_score [, weight]])`: a weight without a `max_score` takes the function's
/// default scale, as SQL has no way to skip the middle argument.
fn scale_args(
    score: Expr,
    max_score: Option<Expr>,
    default_max_score: i64,
    weight: Option<Expr>,
) -> Vec<Expr> {
    let mut args = vec![score];
    if max_score.is_some() || weight.is_some() {
        args.push(max_score.unwrap_or_else(|| lit(default_max_score)));
    }
    args.extend(weight);
    args
}

/// `nps(score [, weight])`: Net Promoter Score, −100 to 100, optionally with survey weights.
pub fn nps(score: Expr, weight: Option<Expr>) -> Expr {
    nps_udaf().call(score_args(score, weight))
}

/// `csat(score [, max_score [, weight]])`: the percentage of answers in the top two boxes of a
/// 0…max_score scale (default 5).
pub fn csat(score: Expr, max_score: Option<Expr>, weight: Option<Expr>) -> Expr {
    csat_udaf().call(scale_args(score, max_score, CSAT_DEFAULT_MAX_SCORE, weight))
}

/// `ces(score [, max_score [, weight]])`: the mean Customer Effort Score on a 1…max_score
/// scale (default 7).
pub fn ces(score: Expr, max_score: Option<Expr>, weight: Option<Expr>) -> Expr {
    ces_udaf().call(scale_args(score, max_score, CES_DEFAULT_MAX_SCORE, weight))
}

/// `nps_summary(score [, weight])`: STRUCT {nps, responses, promoters, passives, detractors,
/// std_error, ci_low, ci_high}.
pub fn nps_summary(score: Expr, weight: Option<Expr>) -> Expr {
    nps_summary_udaf().call(score_args(score, weight))
}

/// `csat_summary(score [, max_score [, weight]])`: STRUCT {csat, responses, satisfied,
/// std_error, ci_low, ci_high}.
pub fn csat_summary(score: Expr, max_score: Option<Expr>, weight: Option<Expr>) -> Expr {
    csat_summary_udaf().call(scale_args(score, max_score, CSAT_DEFAULT_MAX_SCORE, weight))
}

/// `ces_summary(score [, max_score [, weight]])`: STRUCT {ces, responses, std_error, ci_low,
/// ci_high}.
pub fn ces_summary(score: Expr, max_score: Option<Expr>, weight: Option<Expr>) -> Expr {
    ces_summary_udaf().call(scale_args(score, max_score, CES_DEFAULT_MAX_SCORE, weight))
}

/// `churn_rate(active_at_start, active_at_end)`, in percent.
pub fn churn_rate(active_at_start: Expr, active_at_end: Expr) -> Expr {
    churn_rate_udaf().call(vec![active_at_start, active_at_end])
}

/// `retention_rate(active_at_start, active_at_end)`, in percent.
pub fn retention_rate(active_at_start: Expr, active_at_end: Expr) -> Expr {
    retention_rate_udaf().call(vec![active_at_start, active_at_end])
}

/// `stickiness(user_id, event_time)`: DAU/MAU in percent over the days from the group's first
/// to its last active day.
pub fn stickiness(user_id: Expr, event_time: Expr) -> Expr {
    stickiness_udaf().call(vec![user_id, event_time])
}

/// `stickiness(user_id, event_time, period)`: DAU/MAU in percent over all the days of the
/// whole calendar periods the group's activity falls in; `period` is `lit("month")`,
/// `lit("week")`, `lit("day")`, `lit("quarter")` or `lit("year")`.
pub fn stickiness_per_period(user_id: Expr, event_time: Expr, period: Expr) -> Expr {
    stickiness_udaf().call(vec![user_id, event_time, period])
}

/// `stickiness_distribution(user_id, event_time [, unit])`: the users active on exactly 1, 2,
/// … days (`unit` `"week"` or `"month"`: weeks, months), a list of `{active_periods, users,
/// share}`.
pub fn stickiness_distribution(user_id: Expr, event_time: Expr, unit: Option<&str>) -> Expr {
    let mut args = vec![user_id, event_time];
    args.extend(unit.map(lit));
    stickiness_distribution_udaf().call(args)
}

/// `engagement_score(event, weights)`; `weights` is a constant such as
/// `lit("login=1, invite_colleague=5")` or a MAP literal.
pub fn engagement_score(event: Expr, weights: Expr) -> Expr {
    engagement_score_udaf().call(vec![event, weights])
}

/// `ctr(clicks, impressions)`: click-through rate in percent; `ctr(clicked)` (no
/// `impressions`) with a BOOLEAN: the percentage of true rows, each row one impression.
pub fn ctr(clicks: Expr, impressions: Option<Expr>) -> Expr {
    ctr_udaf().call(std::iter::once(clicks).chain(impressions).collect())
}

/// `engagement_rate(interactions, reach)`: social engagement rate in percent.
pub fn engagement_rate(interactions: Expr, reach: Expr) -> Expr {
    engagement_rate_udaf().call(vec![interactions, reach])
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

/// `clv(order_value, customer_id, order_time, lifespan_years)`: customer lifetime value;
/// `lifespan_years` is a positive constant such as `lit(3)`.
pub fn clv(order_value: Expr, customer_id: Expr, order_time: Expr, lifespan_years: Expr) -> Expr {
    clv_udaf().call(vec![order_value, customer_id, order_time, lifespan_years])
}

/// `benchmark_band(metric, value)`: the label of a metric's value against the articles'
/// benchmark, `metric` a constant such as `lit("nps")`.
pub fn benchmark_band(metric: Expr, value: Expr) -> Expr {
    benchmark_band_udf().call(vec![metric, value])
}

/// `bounce_rate(user_id, event_time, gap [, max_length])`: [`bounce_rate`] of the sessions of
/// a raw event log, `gap` a constant INTERVAL such as
/// `lit(ScalarValue::new_interval_mdn(0, 0, 30 * 60 * 1_000_000_000))`.
pub fn bounce_rate_from_log(
    user_id: Expr,
    event_time: Expr,
    gap: Expr,
    max_length: Option<Expr>,
) -> Expr {
    bounce_rate_udaf().call(session_log_args(user_id, event_time, gap, max_length))
}

/// `pages_per_session(user_id, event_time, gap [, max_length])`: [`pages_per_session`] of
/// the sessions of a raw event log.
pub fn pages_per_session_from_log(
    user_id: Expr,
    event_time: Expr,
    gap: Expr,
    max_length: Option<Expr>,
) -> Expr {
    pages_per_session_udaf().call(session_log_args(user_id, event_time, gap, max_length))
}

/// `avg_session_duration(user_id, event_time, gap [, max_length])`: [`avg_session_duration`]
/// of the sessions of a raw event log.
pub fn avg_session_duration_from_log(
    user_id: Expr,
    event_time: Expr,
    gap: Expr,
    max_length: Option<Expr>,
) -> Expr {
    avg_session_duration_udaf().call(session_log_args(user_id, event_time, gap, max_length))
}

/// `session_summary(user_id, event_time, gap [, max_length])`: a raw log's sessions, bounce
/// rate, pages per session and average session length in one STRUCT.
pub fn session_summary(
    user_id: Expr,
    event_time: Expr,
    gap: Expr,
    max_length: Option<Expr>,
) -> Expr {
    session_summary_udaf().call(session_log_args(user_id, event_time, gap, max_length))
}

/// `page_summary(user_id, event_time, page [, gap [, max_length]])`: per page of a raw
/// page-view log, its views, entrances, exits, bounces, exit rate, bounce rate and average
/// time on page, as a list with a row per page. Without `gap`, sessions break after 30
/// minutes.
pub fn page_summary(
    user_id: Expr,
    event_time: Expr,
    page: Expr,
    gap: Option<Expr>,
    max_length: Option<Expr>,
) -> Expr {
    let mut args = vec![user_id, event_time, page];
    args.extend(optional_session_rule(gap, max_length));
    page_summary_udaf().call(args)
}

fn session_log_args(
    user_id: Expr,
    event_time: Expr,
    gap: Expr,
    max_length: Option<Expr>,
) -> Vec<Expr> {
    let mut args = vec![user_id, event_time, gap];
    args.extend(max_length);
    args
}

/// The arguments of a session window function.
fn session_window_args(event_time: Expr, gap: Option<Expr>, max_length: Option<Expr>) -> Vec<Expr> {
    let mut args = vec![event_time];
    args.extend(optional_session_rule(gap, max_length));
    args
}

/// The trailing gap and max_length arguments, each optional.
fn optional_session_rule(gap: Option<Expr>, max_length: Option<Expr>) -> Vec<Expr> {
    // A maximum length needs the gap before it: the default 30 minutes.
    let gap = gap.or_else(|| {
        max_length
            .is_some()
            .then(|| lit(ScalarValue::IntervalMonthDayNano(Some(DEFAULT_GAP))))
    });
    gap.into_iter().chain(max_length).collect()
}

/// `sessionize(event_time [, gap [, max_length]])`: each event's session number, a window
/// function: complete it with `.partition_by(vec![col("user_id")])` and
/// `.order_by(…).build()` from [`datafusion::logical_expr::ExprFunctionExt`].
pub fn sessionize(event_time: Expr, gap: Option<Expr>, max_length: Option<Expr>) -> Expr {
    sessionize_udwf().call(session_window_args(event_time, gap, max_length))
}

/// `time_on_page(event_time [, gap [, max_length]])`: seconds to the next view of the
/// session, a window function like [`sessionize`].
pub fn time_on_page(event_time: Expr, gap: Option<Expr>, max_length: Option<Expr>) -> Expr {
    time_on_page_udwf().call(session_window_args(event_time, gap, max_length))
}

/// `session_entry(event_time [, gap [, max_length]])`: whether the view opens its session, a
/// window function like [`sessionize`].
pub fn session_entry(event_time: Expr, gap: Option<Expr>, max_length: Option<Expr>) -> Expr {
    session_entry_udwf().call(session_window_args(event_time, gap, max_length))
}

/// `session_exit(event_time [, gap [, max_length]])`: whether the view ends its session, a
/// window function like [`sessionize`].
pub fn session_exit(event_time: Expr, gap: Option<Expr>, max_length: Option<Expr>) -> Expr {
    session_exit_udwf().call(session_window_args(event_time, gap, max_length))
}

/// `clv(order_value, customer_id, order_time, lifespan_years, period)`: [`clv`] with the
/// purchase frequency counted over whole calendar periods, `period` such as `lit("year")`.
pub fn clv_per_period(
    order_value: Expr,
    customer_id: Expr,
    order_time: Expr,
    lifespan_years: Expr,
    period: Expr,
) -> Expr {
    clv_udaf().call(vec![
        order_value,
        customer_id,
        order_time,
        lifespan_years,
        period,
    ])
}

/// `retention(user_id, event_time, period, periods [, start_time])`: the retention curve,
/// a list of `{period, users, retained, rate}`; `period` is a constant INTERVAL and
/// `periods` a constant count, such as `lit(ScalarValue::new_interval_mdn(0, 7, 0))` and
/// `lit(12)`.
pub fn retention(
    user_id: Expr,
    event_time: Expr,
    period: Expr,
    periods: Expr,
    start_time: Option<Expr>,
) -> Expr {
    retention_udaf().call(retention_args(
        user_id, event_time, period, periods, start_time,
    ))
}

/// `unbounded_retention(user_id, event_time, period, periods [, start_time])`: as
/// [`retention`], retained in period k by an event in period k or later.
pub fn unbounded_retention(
    user_id: Expr,
    event_time: Expr,
    period: Expr,
    periods: Expr,
    start_time: Option<Expr>,
) -> Expr {
    unbounded_retention_udaf().call(retention_args(
        user_id, event_time, period, periods, start_time,
    ))
}

/// `retention(user_id, event_time, period, periods, start_condition, return_condition)`:
/// retention by events, from the event log alone — each user's start their first event
/// meeting `start_condition`, their returns the events meeting `return_condition` (BOOLEAN
/// expressions such as `col("event_name").eq(lit("signup"))`). `periods` is a constant count,
/// or custom brackets such as `lit("1, 2-7, 8-30")`; a list of `{period, users, retained,
/// rate}`.
pub fn retention_by_events(
    user_id: Expr,
    event_time: Expr,
    period: Expr,
    periods: Expr,
    start_condition: Expr,
    return_condition: Expr,
) -> Expr {
    let args = vec![
        user_id,
        event_time,
        period,
        periods,
        start_condition,
        return_condition,
    ];
    retention_udaf().call(args)
}

/// [`retention_by_events`], retained in period k by a return in period k or later.
pub fn unbounded_retention_by_events(
    user_id: Expr,
    event_time: Expr,
    period: Expr,
    periods: Expr,
    start_condition: Expr,
    return_condition: Expr,
) -> Expr {
    let args = vec![
        user_id,
        event_time,
        period,
        periods,
        start_condition,
        return_condition,
    ];
    unbounded_retention_udaf().call(args)
}

fn retention_args(
    user_id: Expr,
    event_time: Expr,
    period: Expr,
    periods: Expr,
    start_time: Option<Expr>,
) -> Vec<Expr> {
    let mut args = vec![user_id, event_time, period, periods];
    args.extend(start_time);
    args
}

/// `lifecycle(user_id, event_time, period [, signup_time])`: new, returning, resurrecting
/// and dormant users per calendar period; `period` is `lit("day")`, `lit("week")` or
/// `lit("month")`.
pub fn lifecycle(user_id: Expr, event_time: Expr, period: Expr, signup_time: Option<Expr>) -> Expr {
    let mut args = vec![user_id, event_time, period];
    args.extend(signup_time);
    lifecycle_udaf().call(args)
}

/// `window_funnel(window, event_time, step_1, …, step_n)`: the funnel level (0 to n) of the
/// group; `window` is a constant INTERVAL such as
/// `lit(ScalarValue::new_interval_mdn(0, 1, 0))` and each step a BOOLEAN condition such as
/// `col("event_name").eq(lit("cart"))`. With modes: [`window_funnel_with_modes`].
pub fn window_funnel(window: Expr, event_time: Expr, steps: Vec<Expr>) -> Expr {
    window_funnel_with_modes(window, event_time, steps, &[])
}

/// `window_funnel(window, event_time, step_1, …, step_n, mode, …)`: [`window_funnel`] with
/// modes: ClickHouse's `"strict_order"`, `"strict_deduplication"`, `"allow_reentry"`,
/// `"strict_once"`, and ours, `"longest_walk"`.
pub fn window_funnel_with_modes(
    window: Expr,
    event_time: Expr,
    steps: Vec<Expr>,
    modes: &[&str],
) -> Expr {
    let mut args = vec![window, event_time];
    args.extend(steps);
    args.extend(modes.iter().map(|&mode| lit(mode)));
    window_funnel_udaf().call(args)
}

/// `funnel(user_id, event_time, window, step_1, …, step_n)`: the users reaching each step,
/// those lost from the step before and the conversions, a list of `{step, users, dropped_off,
/// conversion_from_previous, conversion_from_first}`; arguments as for [`window_funnel`]. With modes:
/// [`funnel_with_modes`].
pub fn funnel(user_id: Expr, event_time: Expr, window: Expr, steps: Vec<Expr>) -> Expr {
    funnel_with_modes(user_id, event_time, window, steps, &[])
}

/// `funnel(user_id, event_time, window, step_1, …, step_n, mode, …)`: [`funnel`] with modes,
/// as for [`window_funnel_with_modes`].
pub fn funnel_with_modes(
    user_id: Expr,
    event_time: Expr,
    window: Expr,
    steps: Vec<Expr>,
    modes: &[&str],
) -> Expr {
    funnel_udaf().call(funnel_call_args(user_id, event_time, window, steps, modes))
}

/// `funnel_conversion_times(user_id, event_time, window, step_1, …, step_n, mode, …)`: per
/// step, the users reaching it and their seconds from step 1 — `{step, users, avg_seconds,
/// min_seconds, p25_seconds, median_seconds, p75_seconds, p90_seconds, max_seconds}`;
/// arguments and modes as for [`funnel_with_modes`] (`&[]` for none).
pub fn funnel_conversion_times(
    user_id: Expr,
    event_time: Expr,
    window: Expr,
    steps: Vec<Expr>,
    modes: &[&str],
) -> Expr {
    funnel_conversion_times_udaf().call(funnel_call_args(user_id, event_time, window, steps, modes))
}

/// `funnel_conversion_histogram(user_id, event_time, window, step_1, …, step_n, mode, …)`:
/// for steps 2 to n, the users reaching the step within each fixed bucket of seconds from
/// step 1 — `{step, from_seconds, to_seconds, users, share}`; arguments as for
/// [`funnel_conversion_times`].
pub fn funnel_conversion_histogram(
    user_id: Expr,
    event_time: Expr,
    window: Expr,
    steps: Vec<Expr>,
    modes: &[&str],
) -> Expr {
    funnel_conversion_histogram_udaf()
        .call(funnel_call_args(user_id, event_time, window, steps, modes))
}

/// The arguments of a funnel over users: the user, the time, the window, the steps, the modes.
fn funnel_call_args(
    user_id: Expr,
    event_time: Expr,
    window: Expr,
    steps: Vec<Expr>,
    modes: &[&str],
) -> Vec<Expr> {
    let mut args = vec![user_id, event_time, window];
    args.extend(steps);
    args.extend(modes.iter().map(|&mode| lit(mode)));
    args
}

/// A funnel's call ([`window_funnel`], [`funnel`], [`funnel_conversion_times`],
/// [`funnel_conversion_histogram`] and their forms with modes) with exclusions after its
/// steps and modes: each `(range, condition)`, the range `"exclude"` (between step 1 and the
/// last) or `"exclude a-b"`, the condition a BOOLEAN expression such as
/// `col("event_name").eq(lit("remove_from_cart"))`. An event meeting it between a chain's
/// steps a and b ends the chain. Any other expression is returned as it is.
pub fn with_exclusions(funnel_call: Expr, exclusions: Vec<(&str, Expr)>) -> Expr {
    match funnel_call {
        Expr::AggregateFunction(mut call) => {
            for (range, condition) in exclusions {
                call.params.args.push(lit(range));
                call.params.args.push(condition);
            }
            Expr::AggregateFunction(call)
        }
        other => other,
    }
}

/// `sequence_match(pattern, event_time, condition_1, …, condition_n)`: whether the group's
/// events match `pattern`, ClickHouse's grammar such as `"(?1).*(?t<=3600)(?2)"`; each
/// condition a BOOLEAN expression such as `col("event_name").eq(lit("cart"))`.
pub fn sequence_match(pattern: &str, event_time: Expr, conditions: Vec<Expr>) -> Expr {
    sequence_match_udaf().call(sequence_args(pattern, event_time, conditions))
}

/// `sequence_count(pattern, event_time, condition_1, …, condition_n)`: how many times the
/// group's events match `pattern` without overlapping; arguments as for [`sequence_match`].
pub fn sequence_count(pattern: &str, event_time: Expr, conditions: Vec<Expr>) -> Expr {
    sequence_count_udaf().call(sequence_args(pattern, event_time, conditions))
}

/// `sequence_next_node(direction, base, event_time, event, base_condition, event_1, …,
/// event_n)`: the event past the chain `chain_events` from the base node, ClickHouse's
/// `sequenceNextNode`; `direction` `"forward"` or `"backward"`, `base` `"head"`, `"tail"`,
/// `"first_match"` or `"last_match"`.
pub fn sequence_next_node(
    direction: &str,
    base: &str,
    event_time: Expr,
    event: Expr,
    base_condition: Expr,
    chain_events: Vec<Expr>,
) -> Expr {
    let mut args = vec![lit(direction), lit(base), event_time, event, base_condition];
    args.extend(chain_events);
    sequence_next_node_udaf().call(args)
}

/// `paths(user_id, event_time, event, start_condition, steps)`: the links of the users' paths
/// from their first event meeting `start_condition`, `steps` events on — a list of
/// `{step, event, next_event, users, share}`.
pub fn paths(
    user_id: Expr,
    event_time: Expr,
    event: Expr,
    start_condition: Expr,
    steps: i64,
) -> Expr {
    paths_udaf().call(vec![
        user_id,
        event_time,
        event,
        start_condition,
        lit(steps),
    ])
}

/// `f(pattern, event_time, condition_1, …)`.
fn sequence_args(pattern: &str, event_time: Expr, conditions: Vec<Expr>) -> Vec<Expr> {
    let mut args = vec![lit(pattern), event_time];
    args.extend(conditions);
    args
}

/// `engagement_tier(score)`: 'at_risk', 'very_disengaged', 'somewhat_engaged',
/// 'highly_engaged' or 'power_user'.
pub fn engagement_tier(score: Expr) -> Expr {
    engagement_tier_udf().call(vec![score])
}

/// `hll_sketch(value [, lg_k [, type]])`: a DataSketches HLL sketch of the distinct values
/// (BINARY); `hll_type` `"HLL_4"` (the default), `"HLL_6"` or `"HLL_8"`, with `lg_k` 12 when
/// only the type is given.
pub fn hll_sketch(value: Expr, lg_k: Option<Expr>, hll_type: Option<&str>) -> Expr {
    hll_sketch_udaf().call(hll_args(value, lg_k, hll_type))
}

/// `hll_union(sketch [, lg_k [, type]])`: the union of HLL sketches.
pub fn hll_union(sketch: Expr, lg_k: Option<Expr>, hll_type: Option<&str>) -> Expr {
    hll_union_udaf().call(hll_args(sketch, lg_k, hll_type))
}

/// `f(first [, lg_k [, type]])` of the HLL aggregates.
fn hll_args(first: Expr, lg_k: Option<Expr>, hll_type: Option<&str>) -> Vec<Expr> {
    let lg_k = match (lg_k, hll_type) {
        (None, Some(_)) => Some(lit(i64::from(crate::families::sketches::DEFAULT_LG_K))),
        (lg_k, _) => lg_k,
    };
    std::iter::once(first)
        .chain(lg_k)
        .chain(hll_type.map(lit))
        .collect()
}

/// `hll_estimate(sketch)`: the distinct count of an HLL sketch.
pub fn hll_estimate(sketch: Expr) -> Expr {
    hll_estimate_udf().call(vec![sketch])
}

/// `approx_stickiness(day, sketch [, period])`: DAU/MAU × 100 from daily HLL sketches of the
/// active users; `period` such as `"month"` makes the denominator whole calendar periods.
pub fn approx_stickiness(day: Expr, sketch: Expr, period: Option<&str>) -> Expr {
    approx_stickiness_udaf().call([day, sketch].into_iter().chain(period.map(lit)).collect())
}

/// `theta_sketch(value [, lg_k])`: a DataSketches theta sketch of the distinct values (BINARY).
pub fn theta_sketch(value: Expr, lg_k: Option<Expr>) -> Expr {
    theta_sketch_udaf().call(std::iter::once(value).chain(lg_k).collect())
}

/// `theta_union(sketch [, lg_k])`: the union of theta sketches.
pub fn theta_union(sketch: Expr, lg_k: Option<Expr>) -> Expr {
    theta_union_udaf().call(std::iter::once(sketch).chain(lg_k).collect())
}

/// `theta_intersection(sketch)`: the intersection of theta sketches.
pub fn theta_intersection(sketch: Expr) -> Expr {
    theta_intersection_udaf().call(vec![sketch])
}

/// `theta_estimate(sketch)`: the distinct count of a theta sketch.
pub fn theta_estimate(sketch: Expr) -> Expr {
    theta_estimate_udf().call(vec![sketch])
}

/// `theta_a_not_b(a, b)`: a theta sketch of the values of `a` not in `b`.
pub fn theta_a_not_b(a: Expr, b: Expr) -> Expr {
    theta_a_not_b_udf().call(vec![a, b])
}

/// The stored-state form `f_state(…)` of a call of one of the pack's aggregates `f`, built by
/// its helper here: its arguments and FILTER kept.
///
/// ```
/// use datafusion::prelude::col;
/// use datafusion_engagement::expr_fn::{merge_of, nps, state_of};
///
/// let daily_state = state_of(nps(col("score"), None))?;
/// let monthly_nps = merge_of("nps", col("daily_state"))?;
/// # let _ = (daily_state, monthly_nps);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn state_of(aggregate_call: Expr) -> Result<Expr> {
    match aggregate_call {
        Expr::AggregateFunction(mut call) => {
            call.func = state_function(&format!("{}_state", call.func.name()))?;
            Ok(Expr::AggregateFunction(call))
        }
        other => plan_err!("state_of takes a call of one of the pack's aggregates, got {other}"),
    }
}

/// `f_merge(state)`: `f` of all the rows behind stored states of `f` (`function`, its name).
pub fn merge_of(function: &str, state: Expr) -> Result<Expr> {
    Ok(state_function(&format!("{function}_merge"))?.call(vec![state]))
}

/// `f_union(state)`: one state standing for stored states of `f` (`function`, its name).
pub fn union_of(function: &str, state: Expr) -> Result<Expr> {
    Ok(state_function(&format!("{function}_union"))?.call(vec![state]))
}

fn state_function(name: &str) -> Result<std::sync::Arc<AggregateUDF>> {
    crate::all_state_functions()
        .into_iter()
        .find(|function| function.name() == name)
        .map_or_else(
            || plan_err!("{name} is not a stored-state function of the pack's aggregates"),
            Ok,
        )
}

/// `nps_group(score)`: 'promoter', 'passive' or 'detractor'.
pub fn nps_group(score: Expr) -> Expr {
    nps_group_udf().call(vec![score])
}
