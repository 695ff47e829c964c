//! The engagement functions on an Apache DataFusion Ballista cluster, in one process: a
//! scheduler, two executors and a client, wired the way separate processes on separate hosts
//! would be. Run it with `cargo run -p engagement-examples --features cluster --example cluster`.
//!
//! Each process needs the pack, because plans carry functions by name:
//! - the scheduler plans in `scheduler_session_state` (Ballista's session with the pack),
//! - executors decode tasks with `executor_function_registry`,
//! - the client's session comes from `client_state` (registered after Ballista's upgrade, which
//!   would otherwise drop them).

use std::net::TcpListener;
use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::error::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::ballista::{
    client_state, executor_function_registry, scheduler_session_state,
};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

#[tokio::main]
async fn main() -> Result<()> {
    // The scheduler (`engage scheduler` in production).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let scheduler = listener.local_addr()?;
    let config = Arc::new(
        SchedulerConfig::default()
            .with_hostname("127.0.0.1")
            .with_port(scheduler.port())
            .with_override_session_builder(Arc::new(scheduler_session_state)),
    );
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    let server = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    tokio::spawn(start_grpc_service_with_listener(listener, server));

    // Two executors (`engage executor` in production), each with the pack's functions.
    let functions = Arc::new(executor_function_registry()?);
    for _ in 0..2 {
        let executor = ExecutorProcessConfig {
            bind_host: "127.0.0.1".to_string(),
            external_host: Some("127.0.0.1".to_string()),
            port: free_port()?,
            grpc_port: free_port()?,
            scheduler_host: "127.0.0.1".to_string(),
            scheduler_port: scheduler.port(),
            vcores: 1,
            override_function_registry: Some(Arc::clone(&functions)),
            ..Default::default()
        };
        tokio::spawn(start_executor_process(Arc::new(executor)));
    }

    // The client: the same SQL as on one machine.
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(SessionConfig::new_with_ballista().with_target_partitions(4))
        .build();
    let ctx = SessionContext::new_with_state(client_state(state, &format!("df://{scheduler}"))?);
    // cargo sets the variable at run time too; the compile-time value serves a copied binary.
    let data = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        + "/data";
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE responses STORED AS PARQUET LOCATION '{data}/responses.parquet'"
    ))
    .await?;
    let results = ctx
        .sql(
            "SELECT segment, round(nps(nps_score), 1) AS nps, \
                    round(nps(nps_score, survey_weight), 1) AS weighted_nps \
             FROM responses GROUP BY segment ORDER BY segment",
        )
        .await?
        .collect()
        .await?;
    datafusion::arrow::util::pretty::print_batches(&results)?;
    assert!(results.iter().map(|batch| batch.num_rows()).sum::<usize>() > 0);
    Ok(())
}

/// A free loopback port for an executor to listen on.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
