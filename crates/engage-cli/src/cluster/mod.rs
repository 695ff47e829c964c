//! The shell on an Apache DataFusion Ballista cluster (feature `cluster`): `--cluster` makes
//! the session a client of a scheduler, and `engage scheduler` / `engage executor` are that
//! cluster's processes, each with the engagement functions (they travel by name in plans) and
//! the object stores the shell has, opened with the credentials of the process's environment.
//! Who may talk to them is `security.rs`; where they may read and write,
//! `allowed_locations.rs`; the services that check both, `services.rs`.
//! Without the feature, `no_cluster.rs` stands in with the same functions, each a usage error.

mod allowed_locations;
mod security;
mod services;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::RuntimeProducer;
use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::protobuf::GetJobStatusParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::ballista::{
    client_state, executor_function_registry, scheduler_grpc_url, scheduler_host_and_port,
    scheduler_session_state,
};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tonic::transport::Endpoint;

use crate::args::{ProcessProtection, Role, SecurityOptions};
use crate::environment_stores::EnvironmentStores;
use crate::exec::Failure;
use allowed_locations::AllowedLocations;
use security::ClusterSecurity;

/// How long the shell waits to reach the scheduler before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an executor keeps trying to reach its scheduler at start (it may start first).
const EXECUTOR_CONNECT_TIMEOUT_SECONDS: u16 = 30;

/// The configuration a cluster client starts from: Ballista's options, so `--set ballista.*`
/// works, and the cluster's credentials on every connection it opens.
pub fn client_config(options: &SecurityOptions) -> Result<SessionConfig, Failure> {
    let security = ClusterSecurity::from_options("--cluster", options, false, false)?;
    Ok(security.on_connections(SessionConfig::new_with_ballista()))
}

/// A session whose statements the scheduler at `address` plans and its executors run, with
/// every engagement function. Fails within [`CONNECT_TIMEOUT`] when nothing answers there,
/// and at once when the scheduler refuses this client's credentials.
pub async fn client_session(state: SessionState, address: &str) -> Result<SessionContext, Failure> {
    let (host, port) = host_and_port("--cluster", address)?;
    reachable(address, &host, port).await?;
    admitted(address, state.config()).await?;
    let state = client_state(state, address)
        .map_err(|e| Failure::Usage(format!("--cluster {address}: {}", e.strip_backtrace())))?;
    Ok(SessionContext::new_with_state(state))
}

/// Makes one call to the scheduler with the client's credentials, so that a refused secret,
/// a missing certificate or plain text sent to a TLS scheduler is a clear error now, not a
/// failed query later.
async fn admitted(address: &str, config: &SessionConfig) -> Result<(), Failure> {
    let refused = |why: String| {
        Failure::Failed(format!(
            "the Ballista scheduler at {address} refused this client: {why}"
        ))
    };
    let url = scheduler_grpc_url(address)
        .map_err(|e| Failure::Usage(format!("--cluster {address}: {}", e.strip_backtrace())))?;
    // Over TLS, the https address itself, so that the credentials keep this call's timeouts
    // (they rebuild an http:// endpoint with Ballista's).
    let uses_tls = config.ballista_use_tls();
    let url = match url.strip_prefix("http://") {
        Some(rest) if uses_tls => format!("https://{rest}"),
        _ => url,
    };
    let mut endpoint = Endpoint::from_shared(url)
        .map_err(|e| Failure::Usage(format!("--cluster {address}: {e}")))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CONNECT_TIMEOUT);
    if let Some(customize) = config.ballista_override_create_grpc_client_endpoint() {
        endpoint = customize
            .configure_endpoint(endpoint)
            .map_err(|e| Failure::Usage(format!("--cluster {address}: {e}")))?;
    }
    let hint = if uses_tls {
        "; under --mutual-tls the client needs --tls-cert and --tls-key signed by the \
         cluster's authority, and the scheduler's certificate must be signed by --tls-ca and \
         name the host of --cluster"
    } else {
        "; if the cluster uses TLS, give --tls-ca (and --tls-cert, --tls-key under mutual TLS)"
    };
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| refused(format!("{}{hint}", error_chain(&e))))?;
    let probe = SchedulerGrpcClient::new(channel)
        .get_job_status(GetJobStatusParams {
            job_id: "engage-admission-check".to_string(),
        })
        .await;
    match probe {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            Err(refused(status.message().to_string()))
        }
        // A transport failure (a refused handshake, plain text to TLS): tonic's status
        // message, and what the connection said.
        Err(status) => {
            let why = match std::error::Error::source(&status) {
                Some(source) => format!("{} ({})", status.message(), error_chain(source)),
                None => status.message().to_string(),
            };
            Err(refused(format!("{why}{hint}")))
        }
    }
}

/// An error and its sources, one after the other.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text = format!("{text}: {shown}");
        }
        source = cause.source();
    }
    text
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
            protection,
        } => {
            let (security, allowed) = protected("scheduler", &protection, &bind, insecure, port)?;
            run_scheduler(bind, port, external_host, security, allowed).await
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
            protection,
        } => {
            let (security, allowed) = protected("executor", &protection, &bind, insecure, port)?;
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
            let stores = guarded_stores(allowed);
            let spill_dir = work_dir.clone();
            let runtime: RuntimeProducer = Arc::new(move |_| {
                Ok(Arc::new(
                    RuntimeEnvBuilder::new()
                        .with_temp_file_path(&spill_dir)
                        .with_object_store_registry(Arc::clone(&stores))
                        .build()?,
                ))
            });
            // A task's session: its shuffle reads reach other executors with the credentials.
            let task_security = security.clone();
            let task_config =
                Arc::new(move || task_security.on_connections(SessionConfig::new_with_ballista()));
            let defaults = ExecutorProcessConfig::default();
            let flight = services::executor_flight_service(
                &security,
                defaults.grpc_max_decoding_message_size as usize,
                defaults.grpc_max_encoding_message_size as usize,
            );
            let config = ExecutorProcessConfig {
                external_host: Some(external_host.unwrap_or_else(|| advertised(&bind))),
                bind_host: bind.clone(),
                port,
                grpc_port,
                scheduler_host,
                scheduler_port,
                scheduler_connect_timeout_seconds: EXECUTOR_CONNECT_TIMEOUT_SECONDS,
                task_scheduling_policy: scheduling_policy(&security),
                vcores: concurrent_tasks.map_or(0, usize::from),
                work_dir: Some(work_dir.display().to_string()),
                memory_pool_size: memory_limit.map(|limit| limit as u64),
                override_runtime_producer: Some(runtime),
                override_config_producer: Some(task_config),
                override_create_grpc_client_endpoint: security.endpoint_override(),
                override_arrow_flight_service: Some(flight),
                override_function_registry: Some(Arc::new(
                    executor_function_registry().map_err(|e| {
                        Failure::Failed(format!("executor: {}", e.strip_backtrace()))
                    })?,
                )),
                ..defaults
            };
            eprintln!(
                "engage executor {} listening on {bind}:{port}, running tasks for {scheduler}; \
                 protected by {}",
                config.executor_id,
                security.describe()
            );
            // The executor process handles Ctrl-C and SIGTERM itself: it tells the scheduler
            // it is leaving, then stops.
            start_executor_process(Arc::new(config))
                .await
                .map_err(|e| Failure::Failed(format!("executor: {e}")))
        }
    }
}

/// A scheduler's or executor's credentials and allowed locations, from its options; refuses
/// to listen where other hosts reach it unprotected (see [`check_bind`]).
fn protected(
    role: &'static str,
    protection: &ProcessProtection,
    bind: &str,
    insecure: bool,
    port: u16,
) -> Result<(ClusterSecurity, Option<Arc<AllowedLocations>>), Failure> {
    let security =
        ClusterSecurity::from_options(role, &protection.security, true, protection.mutual_tls)?;
    check_bind(role, bind, insecure, port, &security)?;
    let allowed =
        AllowedLocations::parse(role, &protection.allowed_locations).map_err(Failure::Usage)?;
    Ok((security, allowed))
}

/// How executors get their tasks. With credentials, they ask the scheduler for work (which
/// holds an idle executor's request until work comes: `services::PromptPolls`): pushed tasks
/// would arrive on the executor's control port, which Ballista serves itself, without any
/// check, so that port is not opened at all.
fn scheduling_policy(security: &ClusterSecurity) -> TaskSchedulingPolicy {
    if security.is_configured() {
        TaskSchedulingPolicy::PullStaged
    } else {
        TaskSchedulingPolicy::PushStaged
    }
}

/// The process's object stores, limited to `allowed` when given.
fn guarded_stores(allowed: Option<Arc<AllowedLocations>>) -> Arc<dyn ObjectStoreRegistry> {
    let stores: Arc<dyn ObjectStoreRegistry> = Arc::new(EnvironmentStores::new());
    match allowed {
        Some(allowed) => allowed.guard(stores),
        None => stores,
    }
}

/// Refuses to listen where other hosts reach a process that checks no client (neither a
/// cluster secret nor mutual TLS) without `--insecure`: whoever reaches the port would run SQL
/// on the executors (the scheduler) or fetch their shuffle data (an executor's Flight port).
/// With it, says so loudly.
fn check_bind(
    role: &str,
    bind: &str,
    insecure: bool,
    port: u16,
    security: &ClusterSecurity,
) -> Result<(), Failure> {
    let loopback = bind.eq_ignore_ascii_case("localhost")
        || bind
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || security.checks_clients() {
        return Ok(());
    }
    let what = if role == "scheduler" {
        "run SQL on the executors, reading every file and bucket they can"
    } else {
        "fetch the shuffle data of every query"
    };
    if !insecure {
        return Err(Failure::Usage(format!(
            "{role}: --bind {bind} would let anyone who reaches port {port} {what}: give the \
             cluster a shared secret (ENGAGE_CLUSTER_SECRET or --secret-file, the same on every \
             process and client), or certificates with --mutual-tls; keep the default \
             (127.0.0.1) for a cluster on one machine; or add --insecure to listen on {bind} \
             behind a network boundary (firewall, private network) that lets in only the \
             cluster's own hosts"
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
    security: ClusterSecurity,
    allowed: Option<Arc<AllowedLocations>>,
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
    // Planning lists the files of a table, so the scheduler reads object stores too (and a
    // location outside --allow-location fails the plan).
    let writes_checked = allowed.as_ref().map(AllowedLocations::writes_checked);
    let runtime = RuntimeEnvBuilder::new()
        .with_object_store_registry(guarded_stores(allowed))
        .build_arc()
        .map_err(|e| Failure::Failed(format!("scheduler: {e}")))?;
    let session_builder = move |config| {
        let mut state = SessionStateBuilder::new_from_existing(scheduler_session_state(config)?)
            .with_runtime_env(Arc::clone(&runtime))
            .build();
        if let Some(rule) = &writes_checked {
            state.add_analyzer_rule(Arc::clone(rule));
        }
        Ok(state)
    };
    let mut config = SchedulerConfig::default()
        .with_hostname(external_host.clone())
        .with_port(listening.port())
        .with_scheduler_policy(scheduling_policy(&security))
        .with_override_session_builder(Arc::new(session_builder));
    if let Some(endpoint_override) = security.endpoint_override() {
        config = config
            .with_override_create_grpc_client_endpoint(endpoint_override)
            .with_use_tls(security.uses_tls());
    }
    config.bind_host = bind;
    let config = Arc::new(config);
    let failed =
        |e: ballista_core::error::BallistaError| Failure::Failed(format!("scheduler: {e}"));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(failed)?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::clone(&config))
            .await
            .map_err(failed)?;
    eprintln!(
        "engage scheduler listening on {listening}; clients and executors use df://{external_host}:{}; protected by {}",
        listening.port(),
        security.describe()
    );
    let stopped = async {
        crate::interrupt::interrupted().await;
        eprintln!("engage scheduler stopped");
    };
    if !security.is_configured() {
        // Without credentials, Ballista serves the scheduler itself, with its HTTP health
        // routes (/healthz, /readyz) on the same port.
        return tokio::select! {
            result = start_grpc_service_with_listener(listener, scheduler) => result.map_err(failed),
            () = stopped => Ok(()),
        };
    }
    services::serve_scheduler(listener, scheduler, &config, &security, stopped)
        .await
        .map_err(failed)
}
