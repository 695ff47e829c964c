//! Customer-engagement metrics as Apache DataFusion functions.
//!
//! Survey metrics ([`nps`](expr_fn::nps), [`csat`](expr_fn::csat), [`ces`](expr_fn::ces) and
//! their `_summary` forms with 95 % intervals), lifecycle ([`churn_rate`](expr_fn::churn_rate),
//! [`retention_rate`](expr_fn::retention_rate)), activity ([`stickiness`](expr_fn::stickiness)
//! = DAU/MAU, [`stickiness_distribution`](expr_fn::stickiness_distribution)), a weighted [`engagement_score`](expr_fn::engagement_score), marketing and web
//! metrics ([`ctr`](expr_fn::ctr), [`bounce_rate`](expr_fn::bounce_rate),
//! [`clv`](expr_fn::clv), …), cohort retention curves and lifecycle from event logs
//! ([`retention`](expr_fn::retention), [`unbounded_retention`](expr_fn::unbounded_retention),
//! [`lifecycle`](expr_fn::lifecycle)), conversion funnels ([`window_funnel`](expr_fn::window_funnel),
//! [`funnel`](expr_fn::funnel), with the times to convert:
//! [`funnel_conversion_times`](expr_fn::funnel_conversion_times),
//! [`funnel_conversion_histogram`](expr_fn::funnel_conversion_histogram)) and ClickHouse's sequence patterns
//! ([`sequence_match`](expr_fn::sequence_match), [`sequence_count`](expr_fn::sequence_count),
//! [`sequence_next_node`](expr_fn::sequence_next_node)), paths after a start event
//! ([`paths`](expr_fn::paths)),
//! each a native DataFusion aggregate with a `GroupsAccumulator`,
//! plus the scalar helpers [`engagement_tier`](expr_fn::engagement_tier) and
//! [`nps_group`](expr_fn::nps_group). Every function carries its DataFusion `Documentation`.
//!
//! For nightly jobs that must not rescan the lake: every aggregate `f` has stored states
//! (`f_state`, `f_merge`, `f_union`; [`stored_states`], listed by [`all_state_functions`]), and
//! Apache DataSketches' HLL and theta sketches ([`hll_sketch`](expr_fn::hll_sketch),
//! [`theta_sketch`](expr_fn::theta_sketch), their unions and estimates,
//! [`approx_stickiness`](expr_fn::approx_stickiness)) are read and written in DataSketches' own
//! format.
//!
//! ```no_run
//! use datafusion::prelude::*;
//!
//! # async fn demo() -> datafusion::error::Result<()> {
//! let mut ctx = SessionContext::new();
//! datafusion_engagement::register_all(&mut ctx)?;
//! ctx.sql("SELECT segment, nps(score) FROM 'responses.parquet' GROUP BY segment")
//!     .await?
//!     .show()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! - [`register_all`] registers every function with any [`FunctionRegistry`].
//! - [`expr_fn`] has one helper per function for the DataFrame API.
//! - [`key_set_aggregation::OneStageKeySetAggregation`] is a physical optimizer rule that runs
//!   stickiness, the distinct-user metrics and the per-user sequence metrics in one stage:
//!   faster, and within a session's memory limit where two stages are not. It and the pack's other stand-ins for
//!   what DataFusion does not do yet are in [`workarounds`], each with the upstream issue it
//!   waits for.
//! - With the `ballista` feature, `ballista` has what a Ballista client, scheduler and executor
//!   need to run the pack on a cluster.
//! - Each module (`nps`, `stickiness`, …) exports its function's shared instance
//!   (`nps::nps_udaf()`); [`all_aggregate_functions`] and [`all_scalar_functions`] list them.
//!
//! # Adding a metric
//!
//! A metric is one file under `src/` that says only what is particular to it. Its front end
//! is shared (`common::metric`): a unit struct implementing `Metric` gives the SQL name, the
//! documentation, `check_arg_types` (argument count and types, with errors that name the
//! function), the columns whose NULL skips a row (`REQUIRED_ARGS`), the constants
//! (`CONSTANT_ARGS`, read once when the accumulator is made; a column there is a planning
//! error), what `DISTINCT` means (`Distinct::Refused` or `Distinct::Unchanged`), the state
//! field names, and `rule()`, which builds what the accumulators compute with from the
//! constants. `MetricUdaf` turns that into the `AggregateUDFImpl`: signature, coercion,
//! constant and `DISTINCT` checks at planning, `simplify`, documentation. How the state is
//! kept is the metric's `Kernel`, one of `src/kernels/`, which gives the `Accumulator` and
//! the native `GroupsAccumulator` (FILTER, `EmitTo`, `convert_to_state`, merging, `size()`);
//! a state whose names do not fit the kernel's columns fails to compile.
//!
//! A simple metric, `churn_rate` (`src/churn_rate.rs`): `Kernel = TallyKernel`, `Rule` a
//! `TallyRule` — how a row contributes to a count and a few sums, and how a group's totals
//! become the result. A metric over distinct users, sessions or customers (`bounce_rate`,
//! `clv`) is the same with a `KeyedRule`: what a row contributes to its key, and how a
//! group's keys fold into the result.
//!
//! A timeline metric, `lifecycle` (`src/lifecycle.rs`): `Kernel = UserTimelineKernel`, and
//! two more traits of `kernels::timelines`. `TimelineMetric` says how a time becomes a value
//! (here the calendar period's number) and what the result is: a `RowList` of a row declared
//! with `result_row!` (fields typed `i64`, `Day`, `Option<f64>`) or a `OneValue`.
//! `UserTimelineMetric` says where the optional start is, which values cannot change the
//! result (`compact`) and how a group's users fold into rows (`evaluate_group`). A metric
//! over ordered events (`funnel`, `window_funnel`) implements `EventSequenceMetric` with
//! `EventSequenceKernel` instead: which values a row stands for (`row_bits`), what the result
//! needs of each sequence (`reduce`) and how a group's reduced sequences fold into rows.
//!
//! Then: `shared_udaf!(…)` for its `*_udaf()`; a line in [`all_aggregate_functions`]; an
//! [`expr_fn`] helper; a `.slt` file under `tests/slt/` next to the same number written in
//! plain SQL; a `Case` and a plain computation (`reference`) in
//! `tests/integration/accumulators.rs`, which the property test checks every accumulator
//! against; a bench case.

#![warn(missing_docs)]

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

use crate::common::metric::Metric;

mod common;
mod families;
mod kernels;

pub mod approx_stickiness;
pub mod avg_resolution_time;
pub mod avg_session_duration;
#[cfg(feature = "ballista")]
pub mod ballista;
pub mod benchmark_band;
pub mod bounce_rate;
pub mod calendar;
pub mod ces;
pub mod ces_summary;
pub mod churn_rate;
pub mod clv;
pub mod csat;
pub mod csat_summary;
pub mod ctr;
pub mod engagement_rate;
pub mod engagement_score;
pub mod engagement_tier;
pub mod expr_fn;
pub mod feature_adoption;
pub mod first_week_active_rate;
pub mod funnel;
pub mod funnel_conversion_histogram;
pub mod funnel_conversion_times;
pub mod hll_estimate;
pub mod hll_sketch;
pub mod hll_union;
pub mod lifecycle;
pub mod nps;
pub mod nps_group;
pub mod nps_summary;
pub mod page_summary;
pub mod pages_per_session;
pub mod paths;
pub mod retention;
pub mod retention_rate;
pub mod sequence_count;
pub mod sequence_match;
pub mod sequence_next_node;
pub mod session_entry;
pub mod session_exit;
pub mod session_summary;
pub mod sessionize;
pub mod stickiness;
pub mod stickiness_distribution;
pub mod stored_states;
pub mod theta_a_not_b;
pub mod theta_estimate;
pub mod theta_intersection;
pub mod theta_sketch;
pub mod theta_union;
pub mod time_on_page;
pub mod unbounded_retention;
pub mod window_funnel;
pub mod workarounds;

pub use workarounds::sort_keys_after_unnest::{
    keep_sort_keys_after_unnest, state_keeping_sort_keys_after_unnest,
};
pub use workarounds::{date_trunc, key_set_aggregation};

/// The one list of the pack's aggregates: each function's module, shared instance and metric.
/// Registration, [`all_aggregate_functions`] and [`result_unit`] read it.
macro_rules! aggregates {
    ($($module:ident::$udaf:ident => $metric:ty,)+) => {
        /// Every aggregate function of this pack.
        pub fn all_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
            vec![$($module::$udaf(),)+]
        }

        /// The unit of an aggregate's result (`field`: `None`), or of a field of its STRUCT
        /// result or of its list's rows: `"%"` for `stickiness`, `"NPS"` for
        /// `nps_summary(…)['ci_low']`, `None` for a count, an amount or a function not of this
        /// pack. The `engage` shell's reports label their numbers with it.
        ///
        /// ```
        /// use datafusion_engagement::result_unit;
        ///
        /// assert_eq!(result_unit("stickiness", None), Some("%"));
        /// assert_eq!(result_unit("nps_summary", Some("ci_low")), Some("NPS"));
        /// assert_eq!(result_unit("retention", Some("users")), None);
        /// ```
        pub fn result_unit(function: &str, field: Option<&str>) -> Option<&'static str> {
            $(
                if function == <$metric as Metric>::NAME {
                    return common::metric::unit_of::<$metric>(field);
                }
            )+
            None
        }
    };
}

aggregates! {
    nps::nps_udaf => nps::Nps,
    csat::csat_udaf => csat::Csat,
    ces::ces_udaf => ces::Ces,
    churn_rate::churn_rate_udaf => churn_rate::ChurnRate,
    retention_rate::retention_rate_udaf => retention_rate::RetentionRate,
    stickiness::stickiness_udaf => stickiness::Stickiness,
    stickiness_distribution::stickiness_distribution_udaf => stickiness_distribution::StickinessDistribution,
    engagement_score::engagement_score_udaf => engagement_score::EngagementScore,
    ctr::ctr_udaf => ctr::Ctr,
    engagement_rate::engagement_rate_udaf => engagement_rate::EngagementRate,
    nps_summary::nps_summary_udaf => nps_summary::NpsSummary,
    csat_summary::csat_summary_udaf => csat_summary::CsatSummary,
    ces_summary::ces_summary_udaf => ces_summary::CesSummary,
    avg_resolution_time::avg_resolution_time_udaf => avg_resolution_time::AvgResolutionTime,
    feature_adoption::feature_adoption_udaf => feature_adoption::FeatureAdoption,
    first_week_active_rate::first_week_active_rate_udaf => first_week_active_rate::FirstWeekActiveRate,
    bounce_rate::bounce_rate_udaf => bounce_rate::BounceRate,
    pages_per_session::pages_per_session_udaf => pages_per_session::PagesPerSession,
    avg_session_duration::avg_session_duration_udaf => avg_session_duration::AvgSessionDuration,
    session_summary::session_summary_udaf => families::sessions::SessionsFromLog<session_summary::SessionSummary>,
    page_summary::page_summary_udaf => page_summary::PageSummary,
    clv::clv_udaf => clv::Clv,
    retention::retention_udaf => retention::Retention,
    unbounded_retention::unbounded_retention_udaf => retention::UnboundedRetention,
    window_funnel::window_funnel_udaf => window_funnel::WindowFunnel,
    funnel::funnel_udaf => funnel::Funnel,
    funnel_conversion_times::funnel_conversion_times_udaf => funnel_conversion_times::FunnelConversionTimes,
    funnel_conversion_histogram::funnel_conversion_histogram_udaf => funnel_conversion_histogram::FunnelConversionHistogram,
    sequence_match::sequence_match_udaf => families::sequence_pattern::Sequences<sequence_match::SequenceMatch>,
    sequence_count::sequence_count_udaf => families::sequence_pattern::Sequences<sequence_count::SequenceCount>,
    sequence_next_node::sequence_next_node_udaf => sequence_next_node::SequenceNextNode,
    paths::paths_udaf => paths::Paths,
    lifecycle::lifecycle_udaf => lifecycle::Lifecycle,
    hll_sketch::hll_sketch_udaf => hll_sketch::HllSketch,
    hll_union::hll_union_udaf => hll_union::HllUnion,
    theta_sketch::theta_sketch_udaf => theta_sketch::ThetaSketch,
    theta_union::theta_union_udaf => theta_union::ThetaUnion,
    theta_intersection::theta_intersection_udaf => theta_intersection::ThetaIntersection,
    approx_stickiness::approx_stickiness_udaf => approx_stickiness::ApproxStickiness,
}

/// The stored-state functions of every aggregate `f` of this pack: `f_state`, `f_merge` and
/// `f_union` (see [`stored_states`]).
pub fn all_state_functions() -> Vec<Arc<AggregateUDF>> {
    all_aggregate_functions()
        .iter()
        .flat_map(stored_states::state_functions)
        .collect()
}

/// Every scalar function of this pack.
pub fn all_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        engagement_tier::engagement_tier_udf(),
        nps_group::nps_group_udf(),
        benchmark_band::benchmark_band_udf(),
        hll_estimate::hll_estimate_udf(),
        theta_estimate::theta_estimate_udf(),
        theta_a_not_b::theta_a_not_b_udf(),
    ]
}

/// Every window function of this pack: the session functions over a raw event log.
pub fn all_window_functions() -> Vec<Arc<WindowUDF>> {
    vec![
        sessionize::sessionize_udwf(),
        time_on_page::time_on_page_udwf(),
        session_entry::session_entry_udwf(),
        session_exit::session_exit_udwf(),
    ]
}

/// Registers every function of this pack with a [`FunctionRegistry`]: a `SessionContext`, a
/// `SessionState` or a `TaskContext`. Replaces functions of the same name.
///
/// Unlike `SessionContext::register_udaf`, which discards registration errors, this returns the
/// first one.
///
/// ```
/// # fn main() -> datafusion::error::Result<()> {
/// let mut ctx = datafusion::prelude::SessionContext::new();
/// datafusion_engagement::register_all(&mut ctx)?;
/// # Ok(())
/// # }
/// ```
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for udaf in all_aggregate_functions()
        .into_iter()
        .chain(all_state_functions())
    {
        registry.register_udaf(udaf)?;
    }
    for udf in all_scalar_functions() {
        registry.register_udf(udf)?;
    }
    for udwf in all_window_functions() {
        registry.register_udwf(udwf)?;
    }
    Ok(())
}
