//! The session every statement runs in, configured from the command line.

use std::sync::Arc;

use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::args::Cli;
use crate::object_stores;

/// A session with every engagement function, `information_schema` (for `SHOW FUNCTIONS` and
/// `\d`), paths and URLs usable as tables in FROM, and the `--memory-limit`,
/// `--target-partitions` and `--set` options applied. A bad option is a usage error (`Err`).
pub fn build(cli: &Cli) -> Result<SessionContext, String> {
    let mut config = SessionConfig::new().with_information_schema(true);
    if let Some(partitions) = cli.target_partitions {
        config = config.with_target_partitions(usize::from(partitions));
    }
    for (key, value) in &cli.settings {
        config
            .options_mut()
            .set(key, value)
            .map_err(|e| format!("--set {key}={value}: {}", e.strip_backtrace()))?;
    }
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = cli.memory_limit {
        // Fair among spilling operators, so a big sort and a big aggregation both get a share.
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
    }
    let runtime = runtime
        .build_arc()
        .map_err(|e| format!("cannot set up the runtime: {e}"))?;
    let mut ctx = SessionContext::new_with_config_rt(config, runtime).enable_url_table();
    datafusion_engagement::register_all(&mut ctx)
        .map_err(|e| format!("cannot register the engagement functions: {e}"))?;
    object_stores::register_option_namespaces(&ctx);
    Ok(ctx)
}
