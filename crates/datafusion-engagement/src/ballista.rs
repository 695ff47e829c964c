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
//!   `ExecutorProcessConfig::override_function_registry`: the scheduler's functions, taken from
//!   its session (Ballista's `BallistaFunctionRegistry` has no `register_udaf`, so
//!   [`crate::register_all`] cannot fill it).
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
//! //         datafusion_engagement::ballista::executor_function_registry()?,
//! //     )),
//! //     ..Default::default()
//! // };
//! # Ok(())
//! # }
//! ```
//!
//! Object stores are the runtime's, not the pack's: Ballista's default scheduler session and
//! executor runtime read local files only. To read `s3://…` on a cluster, give the scheduler a
//! session with your runtime (`SessionStateBuilder::new_from_existing(scheduler_session_state(
//! config)?).with_runtime_env(runtime)`) and the executors the same registry through
//! `ExecutorProcessConfig::override_runtime_producer`, as `engage scheduler` and `engage
//! executor` do.
//!
//! `examples/cluster.rs` runs a scheduler, two executors and a client in one process.

use ballista_core::extension::SessionStateExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::prelude::SessionConfig;

use crate::register_all;

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
    Ok(crate::state_keeping_sort_keys_after_unnest(state))
}

/// The functions an executor needs to run the tasks of [`scheduler_session_state`]'s plans:
/// Ballista's defaults and every function of this pack, under their names and aliases. Pass it
/// to `ExecutorProcessConfig::override_function_registry`.
pub fn executor_function_registry() -> Result<BallistaFunctionRegistry> {
    let state = scheduler_session_state(SessionConfig::new())?;
    Ok(BallistaFunctionRegistry::from(&state))
}

/// The host and port of the scheduler at `address`: `df://host[:port]`, `http(s)://host[:port]`
/// or `host[:port]`, the port defaulting to [`DEFAULT_SCHEDULER_PORT`]. An IPv6 host is given
/// in brackets and returned without them.
pub fn scheduler_host_and_port(address: &str) -> Result<(String, u16)> {
    parse_scheduler_address(address).map(|(_, host, port)| (host, port))
}

/// The gRPC address of the scheduler at `address` (written as for
/// [`scheduler_host_and_port`]).
pub fn scheduler_grpc_url(address: &str) -> Result<String> {
    let (scheme, host, port) = parse_scheduler_address(address)?;
    if host.contains(':') {
        Ok(format!("{scheme}://[{host}]:{port}"))
    } else {
        Ok(format!("{scheme}://{host}:{port}"))
    }
}

/// The gRPC scheme (`http` or `https`), host and port of a scheduler address.
fn parse_scheduler_address(address: &str) -> Result<(&'static str, String, u16)> {
    let invalid = |why: String| {
        DataFusionError::Configuration(format!("scheduler address {address:?}: {why}"))
    };
    let (scheme, authority) = address.split_once("://").unwrap_or(("df", address));
    let scheme = match scheme {
        "df" | "http" => "http",
        "https" => "https",
        other => {
            return Err(invalid(format!(
                "unknown scheme {other:?}; expected df://HOST:PORT"
            )));
        }
    };
    let authority = authority.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(invalid("expected df://HOST:PORT".to_string()));
    }
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 address in brackets has colons of its own.
        Some((host, port)) if !host.is_empty() && !port.contains(']') => {
            let port = port
                .parse::<u16>()
                .map_err(|_| invalid(format!("port {port:?} is not a number from 0 to 65535")))?;
            (host, port)
        }
        _ => (authority, DEFAULT_SCHEDULER_PORT),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((scheme, host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        all_aggregate_functions, all_scalar_functions, all_state_functions, all_window_functions,
    };

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
        assert_eq!(
            scheduler_host_and_port("df://[::1]:7000").unwrap(),
            ("::1".to_string(), 7000)
        );
        assert_eq!(
            scheduler_host_and_port("https://scheduler.internal").unwrap(),
            ("scheduler.internal".to_string(), 50050)
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
        let registry = executor_function_registry().unwrap();
        for udaf in all_aggregate_functions()
            .into_iter()
            .chain(all_state_functions())
        {
            assert!(registry.aggregate_functions.contains_key(udaf.name()));
        }
        for udf in all_scalar_functions() {
            assert!(registry.scalar_functions.contains_key(udf.name()));
        }
        for udwf in all_window_functions() {
            assert!(registry.window_functions.contains_key(udwf.name()));
        }
        // Ballista's defaults stay.
        assert!(registry.aggregate_functions.contains_key("avg"));
    }
}
