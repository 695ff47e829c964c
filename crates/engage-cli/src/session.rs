//! The session every statement runs in, configured from the command line.

use std::sync::Arc;

use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::args::Cli;
use crate::exec::Failure;
use crate::object_stores;

/// A session with every engagement function, `information_schema` (for `SHOW FUNCTIONS` and
/// `\d`), paths and URLs usable as tables in FROM, and the `--memory-limit`,
/// `--target-partitions` and `--set` options applied; with `--cluster`, a client of that
/// Ballista cluster. A bad option is a usage error (`Err`).
pub async fn build(cli: &Cli) -> Result<SessionContext, Failure> {
    let config = match &cli.cluster {
        Some(_) => cluster_config()?,
        None => SessionConfig::new(),
    };
    let mut config = config.with_information_schema(true);
    if let Some(partitions) = cli.target_partitions {
        config = config.with_target_partitions(usize::from(partitions));
    }
    for (key, value) in &cli.settings {
        config
            .options_mut()
            .set(key, value)
            .map_err(|e| Failure::Usage(format!("--set {key}={value}: {}", e.strip_backtrace())))?;
    }
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = cli.memory_limit {
        // Fair among spilling operators, so a big sort and a big aggregation both get a share.
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
    }
    let runtime = runtime
        .build_arc()
        .map_err(|e| Failure::Usage(format!("cannot set up the runtime: {e}")))?;
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        .build();
    let mut ctx = match &cli.cluster {
        Some(address) => cluster_session(state, address).await?,
        None => SessionContext::new_with_state(state),
    }
    .enable_url_table();
    datafusion_engagement::register_all(&mut ctx)
        .map_err(|e| Failure::Usage(format!("cannot register the engagement functions: {e}")))?;
    object_stores::register_option_namespaces(&ctx);
    Ok(ctx)
}

#[cfg(feature = "cluster")]
fn cluster_config() -> Result<SessionConfig, Failure> {
    Ok(crate::cluster::client_config())
}

#[cfg(feature = "cluster")]
async fn cluster_session(state: SessionState, address: &str) -> Result<SessionContext, Failure> {
    crate::cluster::client_session(state, address).await
}

#[cfg(not(feature = "cluster"))]
fn cluster_config() -> Result<SessionConfig, Failure> {
    Err(without_cluster_support())
}

#[cfg(not(feature = "cluster"))]
async fn cluster_session(_: SessionState, _: &str) -> Result<SessionContext, Failure> {
    Err(without_cluster_support())
}

/// The usage error of a cluster option in an engage built without the `cluster` feature.
#[cfg(not(feature = "cluster"))]
pub fn without_cluster_support() -> Failure {
    Failure::Usage(
        "this engage was built without cluster support; build it with \
         `cargo build --release --bin engage --features cluster`"
            .to_string(),
    )
}
