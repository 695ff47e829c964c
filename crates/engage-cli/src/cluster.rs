//! The shell on an Apache DataFusion Ballista cluster (feature `cluster`): `--cluster` makes
//! the session a client of a scheduler, and `engage scheduler` / `engage executor` are that
//! cluster's processes, each with the engagement functions (they travel by name in plans) and
//! the object stores the shell has, opened with the credentials of the process's environment.
//! Without the feature, `no_cluster.rs` stands in with the same functions, each a usage error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::RuntimeProducer;
use ballista_core::extension::SessionConfigExt;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::ballista::{
    client_state, executor_function_registry, scheduler_host_and_port, scheduler_session_state,
};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use crate::args::Role;
use crate::environment_stores::EnvironmentStores;
use crate::exec::Failure;

/// How long the shell waits to reach the scheduler before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an executor keeps trying to reach its scheduler at start (it may start first).
const EXECUTOR_CONNECT_TIMEOUT_SECONDS: u16 = 30;

/// The configuration a cluster client starts from: Ballista's options, so `--set ballista.*`
/// works.
pub fn client_config() -> Result<SessionConfig, Failure> {
    Ok(SessionConfig::new_with_ballista())
}

/// A session whose statements the scheduler at `address` plans and its executors run, with
/// every engagement function. Fails within [`CONNECT_TIMEOUT`] when nothing answers there.
pub async fn client_session(state: SessionState, address: &str) -> Result<SessionContext, Failure> {
    let (host, port) = host_and_port("--cluster", address)?;
    reachable(address, &host, port).await?;
    let state = client_state(state, address)
        .map_err(|e| Failure::Usage(format!("--cluster {address}: {}", e.strip_backtrace())))?;
    Ok(SessionContext::new_with_state(state))
}

/// The host and port of the scheduler address given to `option`; a malformed one is a usage
/// error.
fn host_and_port(option: &str, address: &str) -> Result<(String, u16), Failure> {
    scheduler_host_and_port(address)
        .map_err(|e| Failure::Usage(format!("{option}: {}", e.strip_backtrace())))
}

/// Checks that something listens at the scheduler's address, so a wrong address or a
/// scheduler that is down is an error now, not at the first query.
async fn reachable(address: &str, host: &str, port: u16) -> Result<(), Failure> {
    let unreachable = |why: String| {
        Failure::Failed(format!(
            "cannot reach the Ballista scheduler at {address}: {why}"
        ))
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Runs a scheduler or an executor until Ctrl-C or SIGTERM.
pub async fn run(role: Role) -> Result<(), Failure> {
    match role {
        Role::Scheduler {
            bind,
            insecure,
            port,
            external_host,
        } => {
            check_bind("scheduler", &bind, insecure, port)?;
            run_scheduler(bind, port, external_host).await
        }
        Role::Executor {
            scheduler,
            bind,
            insecure,
            port,
            grpc_port,
            external_host,
            concurrent_tasks,
            work_dir,
            memory_limit,
        } => {
            check_bind("executor", &bind, insecure, port)?;
            let (scheduler_host, scheduler_port) = host_and_port("--scheduler", &scheduler)?;
            // Without --work-dir, a directory of its own, removed when the executor stops.
            let temporary_work_dir;
            let work_dir = match work_dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        Failure::Failed(format!("executor: work dir {}: {e}", dir.display()))
                    })?;
                    dir
                }
                None => {
                    temporary_work_dir = tempfile::Builder::new()
                        .prefix("engage-executor-")
                        .tempdir()
                        .map_err(|e| Failure::Failed(format!("executor: work dir: {e}")))?;
                    temporary_work_dir.path().to_path_buf()
                }
            };
            let stores = Arc::new(EnvironmentStores::new());
            let spill_dir = work_dir.clone();
            let runtime: RuntimeProducer = Arc::new(move |_| {
                Ok(Arc::new(
                    RuntimeEnvBuilder::new()
                        .with_temp_file_path(&spill_dir)
                        .with_object_store_registry(Arc::clone(&stores) as _)
                        .build()?,
                ))
            });
            let config = ExecutorProcessConfig {
                external_host: Some(external_host.unwrap_or_else(|| advertised(&bind))),
                bind_host: bind.clone(),
                port,
                grpc_port,
                scheduler_host,
                scheduler_port,
                scheduler_connect_timeout_seconds: EXECUTOR_CONNECT_TIMEOUT_SECONDS,
                vcores: concurrent_tasks.map_or(0, usize::from),
                work_dir: Some(work_dir.display().to_string()),
                memory_pool_size: memory_limit.map(|limit| limit as u64),
                override_runtime_producer: Some(runtime),
                override_function_registry: Some(Arc::new(
                    executor_function_registry().map_err(|e| {
                        Failure::Failed(format!("executor: {}", e.strip_backtrace()))
                    })?,
                )),
                ..Default::default()
            };
            eprintln!(
                "engage executor {} listening on {bind}:{port}, running tasks for {scheduler}",
                config.executor_id
            );
            // The executor process handles Ctrl-C and SIGTERM itself: it tells the scheduler
            // it is leaving, then stops.
            start_executor_process(Arc::new(config))
                .await
                .map_err(|e| Failure::Failed(format!("executor: {e}")))
        }
    }
}

/// Refuses to listen where other hosts reach a process without `--insecure`: the cluster
/// checks no credentials, so whoever reaches the port runs SQL on the executors (the
/// scheduler) or fetches their shuffle data (an executor's Flight port). With it, says so
/// loudly.
fn check_bind(role: &str, bind: &str, insecure: bool, port: u16) -> Result<(), Failure> {
    let loopback = bind.eq_ignore_ascii_case("localhost")
        || bind
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return Ok(());
    }
    let what = if role == "scheduler" {
        "run SQL on the executors, reading every file and bucket they can"
    } else {
        "fetch the shuffle data of every query"
    };
    if !insecure {
        return Err(Failure::Usage(format!(
            "{role}: --bind {bind} would let anyone who reaches port {port} {what}: the \
             cluster checks no credentials yet. Keep the default (127.0.0.1) for a cluster on \
             one machine, or add --insecure to listen on {bind} behind a network boundary \
             (firewall, private network) that lets in only the cluster's own hosts"
        )));
    }
    eprintln!(
        "engage {role}: WARNING: listening on {bind} without authentication (--insecure): \
         anyone who reaches port {port} can {what}"
    );
    Ok(())
}

/// The host others reach a process at when it listens on `bind`.
fn advertised(bind: &str) -> String {
    match bind {
        "0.0.0.0" | "::" | "[::]" => "localhost".to_string(),
        host => host.to_string(),
    }
}

async fn run_scheduler(
    bind: String,
    port: u16,
    external_host: Option<String>,
) -> Result<(), Failure> {
    let listen: SocketAddr = format!("{bind}:{port}")
        .parse()
        .or_else(|_| format!("[{bind}]:{port}").parse())
        .map_err(|e| Failure::Usage(format!("scheduler: --bind {bind}: {e}")))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::Failed(format!("scheduler: cannot listen on {listen}: {e}")))?;
    let listening = listener
        .local_addr()
        .map_err(|e| Failure::Failed(format!("scheduler: {e}")))?;
    let external_host = external_host.unwrap_or_else(|| advertised(&bind));
    // Planning lists the files of a table, so the scheduler reads object stores too.
    let runtime = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(EnvironmentStores::new()))
        .build_arc()
        .map_err(|e| Failure::Failed(format!("scheduler: {e}")))?;
    let session_builder = move |config| {
        Ok(
            SessionStateBuilder::new_from_existing(scheduler_session_state(config)?)
                .with_runtime_env(Arc::clone(&runtime))
                .build(),
        )
    };
    let mut config = SchedulerConfig::default()
        .with_hostname(external_host.clone())
        .with_port(listening.port())
        .with_override_session_builder(Arc::new(session_builder));
    config.bind_host = bind;
    let config = Arc::new(config);
    let failed =
        |e: ballista_core::error::BallistaError| Failure::Failed(format!("scheduler: {e}"));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(failed)?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(failed)?;
    eprintln!(
        "engage scheduler listening on {listening}; clients and executors use df://{external_host}:{}",
        listening.port()
    );
    tokio::select! {
        result = start_grpc_service_with_listener(listener, scheduler) => result.map_err(failed),
        () = crate::interrupt::interrupted() => {
            eprintln!("engage scheduler stopped");
            Ok(())
        }
    }
}
