//! The pack on an Apache DataFusion Ballista cluster (feature `ballista`).
//!
//! Functions travel between a Ballista client, its scheduler and its executors by name, inside
//! serialized plans; constant arguments (weights, `max_score`, lifespans) travel as literals in
//! the same expressions. So every process that decodes a plan must know the pack:
//!
//! - **Client**: [`client_state`] turns a `SessionState` into a Ballista client session that
//!   has the pack. (Ballista's own `upgrade_for_ballista` replaces the state's function lists
//!   with its defaults, so functions registered before it vanish; this registers after.)
//! - **Scheduler**: [`scheduler_session_state`] is a session builder for
//!   `SchedulerConfig::with_override_session_builder`: the session each job is planned in.
//! - **Executor**: [`executor_function_registry`] for
//!   `ExecutorProcessConfig::override_function_registry` (Ballista's `BallistaFunctionRegistry`
//!   has no `register_udaf`, so [`crate::register_all`] cannot fill it).
//!
//! ```no_run
//! # fn demo() -> datafusion::error::Result<()> {
//! use std::sync::Arc;
//! use datafusion::execution::SessionStateBuilder;
//! use datafusion::prelude::{SessionConfig, SessionContext};
//! use ballista_core::extension::SessionConfigExt;
//!
//! // Client: queries written as for one machine, planned by the scheduler at this address.
//! let state = SessionStateBuilder::new()
//!     .with_default_features()
//!     .with_config(SessionConfig::new_with_ballista())
//!     .build();
//! let state = datafusion_engagement::ballista::client_state(state, "df://localhost:50050")?;
//! let ctx = SessionContext::new_with_state(state);
//!
//! // Scheduler and executors (in their own processes):
//! // SchedulerConfig::default()
//! //     .with_override_session_builder(Arc::new(datafusion_engagement::ballista::scheduler_session_state));
//! // ExecutorProcessConfig {
//! //     override_function_registry: Some(Arc::new(
//! //         datafusion_engagement::ballista::executor_function_registry(),
//! //     )),
//! //     ..Default::default()
//! // };
//! # Ok(())
//! # }
//! ```
//!
//! `examples/cluster.rs` runs a scheduler, two executors and a client in one process.

use ballista_core::extension::SessionStateExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::prelude::SessionConfig;

use crate::{all_aggregate_functions, all_scalar_functions, register_all};

/// The port a Ballista scheduler listens on when an address names none.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Turns `state` into the session of a Ballista client whose queries the scheduler at
/// `scheduler` (`df://host:port`, `http://host:port` or `host:port`) plans and runs, with every
/// function of this pack. The state's own configuration (target partitions, options) is kept.
pub fn client_state(state: SessionState, scheduler: &str) -> Result<SessionState> {
    let mut state = state.upgrade_for_ballista(scheduler_grpc_url(scheduler)?)?;
    register_all(&mut state)?;
    Ok(state)
}

/// The session a Ballista scheduler plans a job in: Ballista's default session for `config`,
/// with every function of this pack. Pass it to `SchedulerConfig::with_override_session_builder`.
pub fn scheduler_session_state(config: SessionConfig) -> Result<SessionState> {
    let mut state = default_session_builder(config)?;
    register_all(&mut state)?;
    Ok(state)
}

/// Ballista's default functions and every function of this pack, for an executor
/// (`ExecutorProcessConfig::override_function_registry`).
pub fn executor_function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for udaf in all_aggregate_functions() {
        for name in std::iter::once(udaf.name()).chain(udaf.aliases().iter().map(String::as_str)) {
            registry
                .aggregate_functions
                .insert(name.to_string(), std::sync::Arc::clone(&udaf));
        }
    }
    for udf in all_scalar_functions() {
        for name in std::iter::once(udf.name()).chain(udf.aliases().iter().map(String::as_str)) {
            registry
                .scalar_functions
                .insert(name.to_string(), std::sync::Arc::clone(&udf));
        }
    }
    registry
}

/// The gRPC address of the scheduler at `address`: `df://host[:port]`, `http(s)://host[:port]`
/// or `host[:port]`, the port defaulting to [`DEFAULT_SCHEDULER_PORT`].
pub fn scheduler_grpc_url(address: &str) -> Result<String> {
    let (scheme, rest) = match address.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None => ("df", address),
    };
    let scheme = match scheme {
        "df" | "http" => "http",
        "https" => "https",
        other => {
            return Err(DataFusionError::Configuration(format!(
                "scheduler address {address:?}: unknown scheme {other:?}; expected df://HOST:PORT"
            )));
        }
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(DataFusionError::Configuration(format!(
            "scheduler address {address:?}: expected df://HOST:PORT"
        )));
    }
    let has_port = match authority.rsplit_once(':') {
        // An IPv6 address in brackets has colons of its own.
        Some((host, port)) => !host.is_empty() && !port.contains(']'),
        None => false,
    };
    if has_port {
        let port = authority
            .rsplit_once(':')
            .map(|(_, port)| port)
            .unwrap_or_default();
        port.parse::<u16>().map_err(|_| {
            DataFusionError::Configuration(format!(
                "scheduler address {address:?}: port {port:?} is not a number from 0 to 65535"
            ))
        })?;
        Ok(format!("{scheme}://{authority}"))
    } else {
        Ok(format!("{scheme}://{authority}:{DEFAULT_SCHEDULER_PORT}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses() {
        assert_eq!(
            scheduler_grpc_url("df://localhost:50050").unwrap(),
            "http://localhost:50050"
        );
        assert_eq!(
            scheduler_grpc_url("df://10.0.0.7").unwrap(),
            "http://10.0.0.7:50050"
        );
        assert_eq!(
            scheduler_grpc_url("scheduler.internal:7000").unwrap(),
            "http://scheduler.internal:7000"
        );
        assert_eq!(
            scheduler_grpc_url("df://[::1]:7000").unwrap(),
            "http://[::1]:7000"
        );
        assert_eq!(
            scheduler_grpc_url("df://[::1]").unwrap(),
            "http://[::1]:50050"
        );
        let error = scheduler_grpc_url("df://localhost:99999")
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"99999\""), "{error}");
        let error = scheduler_grpc_url("s3://bucket").unwrap_err().to_string();
        assert!(error.contains("\"s3\""), "{error}");
    }

    #[test]
    fn executors_know_every_function() {
        let registry = executor_function_registry();
        for udaf in all_aggregate_functions() {
            assert!(registry.aggregate_functions.contains_key(udaf.name()));
        }
        for udf in all_scalar_functions() {
            assert!(registry.scalar_functions.contains_key(udf.name()));
        }
        // Ballista's defaults stay.
        assert!(registry.aggregate_functions.contains_key("avg"));
    }
}
