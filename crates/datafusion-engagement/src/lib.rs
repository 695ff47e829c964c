//! Customer-engagement metrics as Apache DataFusion functions.
//!
//! Survey metrics ([`nps`](expr_fn::nps), [`csat`](expr_fn::csat), [`ces`](expr_fn::ces) and
//! their `_summary` forms with 95 % intervals), lifecycle ([`churn_rate`](expr_fn::churn_rate),
//! [`retention_rate`](expr_fn::retention_rate)), activity ([`stickiness`](expr_fn::stickiness)
//! = DAU/MAU), a weighted [`engagement_score`](expr_fn::engagement_score), marketing and web
//! metrics ([`ctr`](expr_fn::ctr), [`bounce_rate`](expr_fn::bounce_rate),
//! [`clv`](expr_fn::clv), …), cohort retention curves and lifecycle from event logs
//! ([`retention`](expr_fn::retention), [`unbounded_retention`](expr_fn::unbounded_retention),
//! [`lifecycle`](expr_fn::lifecycle)), conversion funnels ([`window_funnel`](expr_fn::window_funnel),
//! [`funnel`](expr_fn::funnel)), each a native DataFusion aggregate with a `GroupsAccumulator`,
//! plus the scalar helpers [`engagement_tier`](expr_fn::engagement_tier) and
//! [`nps_group`](expr_fn::nps_group). Every function carries its DataFusion `Documentation`.
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
//!   grouped stickiness and the distinct-user metrics in one stage: faster, and within a
//!   session's memory limit where two stages are not.
//! - With the `ballista` feature, `ballista` has what a Ballista client, scheduler and executor
//!   need to run the pack on a cluster.
//! - Each module (`nps`, `stickiness`, …) exports its function's shared instance
//!   (`nps::nps_udaf()`); [`all_aggregate_functions`] and [`all_scalar_functions`] list them.
//!
//! # Adding a metric
//!
//! A metric is one file under `src/` that says only what is particular to it; the rest is
//! shared (`src/common/`):
//!
//! 1. A unit struct implementing `common::metric::Metric`: the SQL name, the documentation,
//!    `check_arg_types` (argument count and types, with errors that name the function),
//!    which arguments are columns whose NULL skips a row (`REQUIRED_ARGS`) and which are
//!    constants (`CONSTANT_ARGS`, read once when the accumulator is made; a column there is a
//!    planning error), what `DISTINCT` means (`Distinct::Refused` or `Distinct::Unchanged`),
//!    the state field names, and `rule()`, which builds the computation from the constants.
//! 2. The rule, for one of the kernels: a `TallyRule` (a count and a few sums per group —
//!    nps, csat, ctr, …: how a row contributes and how the totals become the result) or a
//!    `KeyedRule` (one value per distinct user, session or customer — bounce_rate, clv, …:
//!    what a row contributes to its key and how a group's keys fold into the result), or a
//!    `Timeline` (each user's values over time with an optional start — retention,
//!    lifecycle, funnels: how a time becomes a value, which values cannot change the result,
//!    and how a group's users fold into result rows; a cohort or funnel function is one such
//!    file, `window_funnel` and `funnel` share `common::funnel_steps`). A metric
//!    that needs a state of its own implements `Kernel` itself, as `stickiness` does, reusing
//!    `GroupedKeys`, `group_lists` and `rows_as_groups` for a list state.
//! 3. `shared_udaf!(…)` for its `*_udaf()`; a line in [`all_aggregate_functions`]; an
//!    [`expr_fn`] helper; a `.slt` file under `tests/slt/` next to the same number written in
//!    plain SQL; a `Case` and a plain computation (`reference`) in `tests/integration/accumulators.rs`, which
//!    the property test checks every accumulator against; a bench case.
//!
//! The front end (`common::metric::MetricUdaf`) provides the signature, type coercion,
//! constant and `DISTINCT` checks at planning time, `simplify` and the documentation; the
//! kernels provide the `Accumulator` and `GroupsAccumulator` with `FILTER`, `EmitTo`,
//! `convert_to_state`, state merging and `size()`.

#![warn(missing_docs)]

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

mod common;

pub mod avg_resolution_time;
pub mod avg_session_duration;
#[cfg(feature = "ballista")]
pub mod ballista;
pub mod bounce_rate;
pub mod ces;
pub mod ces_summary;
pub mod churn_rate;
pub mod clv;
pub mod csat;
pub mod csat_summary;
pub mod ctr;
pub mod date_trunc;
pub mod engagement_rate;
pub mod engagement_score;
pub mod engagement_tier;
pub mod expr_fn;
pub mod feature_adoption;
pub mod first_week_active_rate;
pub mod funnel;
pub mod key_set_aggregation;
pub mod lifecycle;
pub mod nps;
pub mod nps_group;
pub mod nps_summary;
pub mod pages_per_session;
pub mod retention;
pub mod retention_rate;
pub mod stickiness;
pub mod unbounded_retention;
pub mod window_funnel;

/// Every aggregate function of this pack.
pub fn all_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        nps::nps_udaf(),
        csat::csat_udaf(),
        ces::ces_udaf(),
        churn_rate::churn_rate_udaf(),
        retention_rate::retention_rate_udaf(),
        stickiness::stickiness_udaf(),
        engagement_score::engagement_score_udaf(),
        ctr::ctr_udaf(),
        engagement_rate::engagement_rate_udaf(),
        nps_summary::nps_summary_udaf(),
        csat_summary::csat_summary_udaf(),
        ces_summary::ces_summary_udaf(),
        avg_resolution_time::avg_resolution_time_udaf(),
        feature_adoption::feature_adoption_udaf(),
        first_week_active_rate::first_week_active_rate_udaf(),
        bounce_rate::bounce_rate_udaf(),
        pages_per_session::pages_per_session_udaf(),
        avg_session_duration::avg_session_duration_udaf(),
        clv::clv_udaf(),
        retention::retention_udaf(),
        unbounded_retention::unbounded_retention_udaf(),
        window_funnel::window_funnel_udaf(),
        funnel::funnel_udaf(),
        lifecycle::lifecycle_udaf(),
    ]
}

/// Keeps every `ORDER BY` key of a query that sorts the rows `UNNEST` makes of an aggregate's
/// list — `SELECT g, unnest(funnel(…)) AS s … GROUP BY g ORDER BY g, s['step']` — by removing
/// DataFusion's `eliminate_duplicated_expr` optimizer rule from the session.
///
/// DataFusion 55 keeps a GROUP BY's functional dependencies through `UNNEST`, so it believes
/// `g` determines `s['step']` and drops that sort key: the rows come out in any order
/// (upstream: apache/datafusion PR #24787, "Unnest must not keep its input's uniqueness"). The
/// rule otherwise only removes repeated sort keys, so little is lost. `engage` does this in
/// every session.
///
/// ```
/// let ctx = datafusion::prelude::SessionContext::new();
/// datafusion_engagement::keep_sort_keys_after_unnest(&ctx);
/// ```
pub fn keep_sort_keys_after_unnest(ctx: &datafusion::prelude::SessionContext) {
    ctx.remove_optimizer_rule(SORT_KEY_PRUNING_RULE);
}

/// [`keep_sort_keys_after_unnest`] for a session state (a Ballista scheduler's, say).
pub fn state_keeping_sort_keys_after_unnest(
    state: datafusion::execution::SessionState,
) -> datafusion::execution::SessionState {
    let rules = state
        .optimizers()
        .iter()
        .filter(|rule| rule.name() != SORT_KEY_PRUNING_RULE)
        .cloned()
        .collect();
    datafusion::execution::SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .build()
}

/// The DataFusion optimizer rule that prunes sort keys by functional dependencies.
const SORT_KEY_PRUNING_RULE: &str = "eliminate_duplicated_expr";

/// Every scalar function of this pack.
pub fn all_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        engagement_tier::engagement_tier_udf(),
        nps_group::nps_group_udf(),
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
    for udaf in all_aggregate_functions() {
        registry.register_udaf(udaf)?;
    }
    for udf in all_scalar_functions() {
        registry.register_udf(udf)?;
    }
    Ok(())
}
