//! The session every statement runs in, configured from the command line.

use std::sync::Arc;

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::ScalarUDF;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::date_trunc::DateTrunc;
use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;

use crate::args::Cli;
use crate::exec::Failure;
use crate::visible_files::VisibleFiles;
use crate::{cluster, object_stores, tables};

/// A session with every engagement function, `information_schema` (for `SHOW FUNCTIONS` and
/// `\d`), paths and URLs usable as tables in FROM, and the `--memory-limit`,
/// `--target-partitions` and `--set` options applied; with `--cluster`, a client of that
/// Ballista cluster. A bad option is a usage error (`Err`).
pub async fn build(cli: &Cli) -> Result<SessionContext, Failure> {
    let config = match &cli.cluster {
        Some(_) => cluster::client_config(&cli.security)?,
        None => SessionConfig::new(),
    };
    let mut config = config.with_information_schema(true);
    tables::configure(config.options_mut());
    if cli.cluster.is_none() {
        collect_small_join_sides(&mut config);
    }
    if let Some(partitions) = cli.target_partitions {
        config = config.with_target_partitions(usize::from(partitions));
    }
    // `datafusion.runtime.*` options belong to the runtime, set once the session exists.
    let (runtime_settings, settings): (Vec<_>, Vec<_>) = cli
        .settings
        .iter()
        .partition(|(key, _)| key.starts_with(RUNTIME_PREFIX));
    for (key, value) in settings {
        config
            .options_mut()
            .set(key, value)
            .map_err(|e| Failure::Usage(format!("--set {key}={value}: {}", e.strip_backtrace())))?;
    }
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = cli.memory_limit {
        // Fair among spilling operators, so a big sort and a big aggregation both get a share.
        runtime = runtime
            .with_memory_pool(Arc::new(FairSpillPool::new(limit)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default()
                    .with_max_spill_merge_fan_in(SPILL_MERGE_FAN_IN_UNDER_A_LIMIT),
            );
    }
    let runtime = runtime
        .build_arc()
        .map_err(|e| Failure::Usage(format!("cannot set up the runtime: {e}")))?;
    let mut state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        // Key-set states (stickiness, the distinct-user metrics) in one stage: faster, and
        // their partial states are the part of a two-stage plan no memory pool can bound.
        .with_physical_optimizer_rule(Arc::new(one_stage_key_sets(cli)))
        .build();
    tables::type_partition_columns(&mut state);
    #[cfg(feature = "delta")]
    state.table_factories_mut().insert(
        crate::delta::FORMAT.to_string(),
        Arc::new(crate::delta::DeltaTableFactory {
            on_cluster: cli.cluster.is_some(),
        }),
    );
    let ctx = match &cli.cluster {
        // The client's session gets the functions after Ballista's upgrade, which drops them.
        Some(address) => cluster::client_session(state, address).await?,
        None => {
            let mut ctx = SessionContext::new_with_state(state);
            datafusion_engagement::register_all(&mut ctx).map_err(|e| {
                Failure::Usage(format!("cannot register the engagement functions: {e}"))
            })?;
            // DataFusion's date_trunc, with calendar units (month, week) computed faster.
            ctx.register_udf(ScalarUDF::new_from_impl(DateTrunc::new()));
            ctx
        }
    };
    let ctx = tables::enable_url_tables(ctx);
    // ORDER BY after UNNEST of a list result (retention, lifecycle, funnel) kept whole.
    datafusion_engagement::keep_sort_keys_after_unnest(&ctx);
    // Local files through the store that leaves hidden files out of directory listings.
    let local = url::Url::parse("file://").expect("a constant URL");
    ctx.register_object_store(
        &local,
        Arc::new(VisibleFiles(Arc::new(LocalFileSystem::new()))),
    );
    object_stores::register_option_namespaces(&ctx);
    for (key, value) in runtime_settings {
        let statement = format!("SET {key} = '{}'", value.replace('\'', "''"));
        ctx.sql(&statement)
            .await
            .map_err(|e| Failure::Usage(format!("--set {key}={value}: {}", e.strip_backtrace())))?;
    }
    Ok(ctx)
}

/// The prefix of the options that configure the runtime rather than the session.
const RUNTIME_PREFIX: &str = "datafusion.runtime.";

/// The most spill files one merge pass reads under a memory limit (DataFusion's default is
/// no limit, its memory then bounded only by an estimate per file). Stickiness by user over
/// 20M events with `--memory-limit 100M` spills about 86 files: merged all at once the
/// process peaked at 230–260 MB, 16 at a time at 176–184 MB, 8 at 183 MB, 32 at 220–235 MB,
/// in about the same time; a sort and stickiness by segment and month did not change.
/// `datafusion.runtime.max_spill_merge_fan_in` (`SET` or `--set`) overrides it.
const SPILL_MERGE_FAN_IN_UNDER_A_LIMIT: usize = 16;

/// The largest build side of a hash join that is collected into one table every partition
/// probes (`CollectLeft`), by its estimated size; a larger one is hash-partitioned with the
/// probe side. DataFusion's defaults (1 MB, 128 Ki rows) partition a 1M-user table joined to
/// 20M events: every event row is then hashed and copied once more before the join, which
/// costs more than building the one table (about 45 ms for 1M rows). One shared table is
/// what DuckDB and ClickHouse build too. Ballista keeps its own (broadcast) thresholds.
const COLLECTED_JOIN_SIDE_BYTES: usize = 64 << 20;
/// The same bound in rows, used when the size in bytes is unknown.
const COLLECTED_JOIN_SIDE_ROWS: usize = 4 << 20;

fn collect_small_join_sides(config: &mut SessionConfig) {
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold = COLLECTED_JOIN_SIDE_BYTES;
    optimizer.hash_join_single_partition_threshold_rows = COLLECTED_JOIN_SIDE_ROWS;
}

/// Hash partitions per target partition for one-stage key-set aggregates when no memory limit
/// is set. With G groups of equal work hashed to one partition per core, the busiest core
/// has on average 1.6 × its share at G = 50 on 8 cores and 2.2 × at G = 14 (a simulation of
/// random hashing, the partitions then taken by the least busy core); with 4 partitions per
/// core, 1.1 × and 1.3 ×. Measured on 2 cores, retention by 14 weekly cohorts (which fall 2
/// and 12): 1.74 cores busy on average before, 1.94 after; the time gained there is within
/// the machine's noise, as its two cores run slower when both are busy.
const KEY_SET_PARTITIONS_PER_TARGET: usize = 4;

/// The one-stage rule, spreading groups over more partitions than cores unless a memory limit
/// is set: the pool gives each partition's aggregate an equal share, and smaller shares spill
/// sooner. Under a limit (and not on a cluster), few groups spill in small batches.
fn one_stage_key_sets(cli: &Cli) -> OneStageKeySetAggregation {
    let rule = OneStageKeySetAggregation::new();
    match (cli.memory_limit, &cli.cluster) {
        (None, _) => rule.with_partitions_per_target(KEY_SET_PARTITIONS_PER_TARGET),
        // A cluster's plans carry no node of this crate (it has no codec for them).
        (Some(_), Some(_)) => rule,
        (Some(_), None) => rule.with_small_spill_batches(KEY_SET_SPILL_BATCH_ROWS),
    }
}

/// Rows per batch of a one-stage key-set aggregate with few groups under a memory limit:
/// its spills and their merge in batches of a few groups' states, which the pool can bound.
/// Stickiness by segment and month over 20M events, `--memory-limit 300M`: peak resident
/// memory 390–446 MB against 499–509 MB with the session's 8,192 rows (16 and 64 rows did not
/// differ beyond the noise).
const KEY_SET_SPILL_BATCH_ROWS: usize = 16;
