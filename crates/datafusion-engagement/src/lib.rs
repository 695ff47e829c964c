//! Customer-engagement metrics as Apache DataFusion functions.
//!
//! Survey metrics ([`nps`](expr_fn::nps), [`csat`](expr_fn::csat), [`ces`](expr_fn::ces)),
//! lifecycle metrics ([`churn_rate`](expr_fn::churn_rate),
//! [`retention_rate`](expr_fn::retention_rate)), activity
//! ([`stickiness`](expr_fn::stickiness) = DAU/MAU) and a weighted
//! [`engagement_score`](expr_fn::engagement_score), each a native DataFusion aggregate with a
//! `GroupsAccumulator`, plus the scalar helpers `engagement_tier` and `nps_group`.
//!
//! ```no_run
//! use datafusion::prelude::*;
//!
//! # async fn demo() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! datafusion_engagement::register_all(&ctx)?;
//! ctx.sql("SELECT segment, nps(score) FROM 'responses.parquet' GROUP BY segment")
//!     .await?
//!     .show()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

mod common;

pub mod avg_resolution_time;
pub mod avg_session_duration;
pub mod bounce_rate;
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
pub mod nps;
pub mod nps_group;
pub mod nps_summary;
pub mod pages_per_session;
pub mod retention_rate;
pub mod stickiness;

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
    ]
}

/// Every scalar function of this pack.
pub fn all_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        engagement_tier::engagement_tier_udf(),
        nps_group::nps_group_udf(),
    ]
}

/// Registers every function of this pack with a [`FunctionRegistry`] (a `SessionState`, a
/// `TaskContext`, …). Fails if any registration fails.
pub fn register_all_with_registry(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for udaf in all_aggregate_functions() {
        registry.register_udaf(udaf)?;
    }
    for udf in all_scalar_functions() {
        registry.register_udf(udf)?;
    }
    Ok(())
}

/// Registers every function of this pack with a [`SessionContext`].
///
/// Unlike `SessionContext::register_udaf`, which discards registration errors, this reports them.
pub fn register_all(ctx: &SessionContext) -> Result<()> {
    let state = ctx.state_ref();
    let mut state = state.write();
    register_all_with_registry(&mut *state)
}
