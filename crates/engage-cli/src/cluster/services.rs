//! The cluster's gRPC services, served by us so that each checks the cluster's credentials:
//! the scheduler's (Ballista's scheduler service and its Flight proxy; with credentials only,
//! since Ballista's own server, used without them, also answers HTTP health probes) and an
//! executor's Flight service (shuffle and result reads). Ballista's own servers take no such
//! check.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_flight::flight_service_server::FlightServiceServer;
use ballista_core::error::BallistaError;
use ballista_core::extension::BallistaConfigGrpcEndpoint;
use ballista_core::flight_proxy_service::BallistaFlightProxyService;
use ballista_core::serde::protobuf::scheduler_grpc_server::{SchedulerGrpc, SchedulerGrpcServer};
use ballista_core::serde::protobuf::{
    CancelJobParams, CancelJobResult, CleanJobDataParams, CleanJobDataResult,
    CreateUpdateSessionParams, CreateUpdateSessionResult, ExecuteQueryParams, ExecuteQueryResult,
    ExecutorStoppedParams, ExecutorStoppedResult, GetJobMetricsParams, GetJobMetricsResult,
    GetJobStatusParams, GetJobStatusResult, HeartBeatParams, HeartBeatResult, PollWorkParams,
    PollWorkResult, RegisterExecutorParams, RegisterExecutorResult, RemoveSessionParams,
    RemoveSessionResult, UpdateTaskStatusParams, UpdateTaskStatusResult, executor_resource,
};
use ballista_core::utils::{create_grpc_server, create_grpc_server_incoming};
use ballista_executor::ArrowFlightServerProvider;
use ballista_executor::flight_service::BallistaFlightService;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_server::SchedulerServer;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tonic::service::InterceptorLayer;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use super::security::ClusterSecurity;

/// `builder` serving TLS when the process has a certificate.
fn with_tls(builder: Server, security: &ClusterSecurity) -> Result<Server, BallistaError> {
    match security.server_tls() {
        Some(tls) => builder.tls_config(tls).map_err(BallistaError::TonicError),
        None => Ok(builder),
    }
}

/// Serves the scheduler on `listener` until `shutdown`: Ballista's scheduler service and its
/// Flight proxy, as Ballista serves them, each call checked.
pub async fn serve_scheduler(
    listener: tokio::net::TcpListener,
    scheduler: SchedulerServer<LogicalPlanNode, PhysicalPlanNode>,
    config: &SchedulerConfig,
    security: &ClusterSecurity,
    shutdown: impl Future<Output = ()>,
) -> Result<(), BallistaError> {
    let max_decoding = config.grpc_server_max_decoding_message_size as usize;
    let max_encoding = config.grpc_server_max_encoding_message_size as usize;
    let scheduler_service = SchedulerGrpcServer::new(PromptPolls(scheduler))
        .max_decoding_message_size(max_decoding)
        .max_encoding_message_size(max_encoding);
    // The proxy reaches the executors as the scheduler's other clients do.
    let customize_endpoint = config
        .override_create_grpc_client_endpoint
        .clone()
        .map(|f| Arc::new(BallistaConfigGrpcEndpoint::new(f)));
    let flight_proxy = BallistaFlightProxyService::new(
        max_decoding,
        max_encoding,
        config.use_tls,
        customize_endpoint,
    );
    let check = security.clone();
    with_tls(Server::builder(), security)?
        .layer(InterceptorLayer::new(move |request| check.check(request)))
        .add_service(scheduler_service)
        .add_service(
            FlightServiceServer::new(flight_proxy)
                .max_decoding_message_size(max_decoding)
                .max_encoding_message_size(max_encoding),
        )
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(BallistaError::TonicError)
}

/// An executor's Flight service as Ballista serves it, each call checked.
pub fn executor_flight_service(
    security: &ClusterSecurity,
    max_decoding: usize,
    max_encoding: usize,
) -> Arc<ArrowFlightServerProvider> {
    let security = security.clone();
    Arc::new(move |work_dir, address, mut shutdown, grpc_config| {
        let security = security.clone();
        tokio::spawn(async move {
            let incoming = create_grpc_server_incoming(address, &grpc_config)?;
            eprintln!(
                "engage executor: Flight service listening on {address}; protected by {}",
                security.describe()
            );
            let check = security.clone();
            with_tls(create_grpc_server(&grpc_config), &security)?
                .layer(InterceptorLayer::new(move |request| check.check(request)))
                .add_service(
                    FlightServiceServer::new(BallistaFlightService::new(work_dir))
                        .max_decoding_message_size(max_decoding)
                        .max_encoding_message_size(max_encoding),
                )
                .serve_with_incoming_shutdown(incoming, async move { shutdown.recv().await })
                .await
                .map_err(BallistaError::TonicError)
        })
    })
}

/// How long the scheduler holds an idle executor's poll for work to come.
const POLL_HOLD: Duration = Duration::from_millis(500);

/// How often a held poll looks for work.
const POLL_RECHECK: Duration = Duration::from_millis(5);

/// The scheduler's service, with an executor's poll for work held until work comes (or
/// [`POLL_HOLD`] passes) instead of answered empty at once. Executors of a cluster with
/// credentials ask for their tasks (see `scheduling_policy`), and Ballista's executor sleeps
/// 50 ms after an empty answer: without the hold, each stage of a query would start up to
/// 50 ms late, about 85 ms a query. Only the poll of an executor with every task slot free is
/// held. The first call delivers the executor's task statuses; the calls that follow ask
/// again without them.
struct PromptPolls(SchedulerServer<LogicalPlanNode, PhysicalPlanNode>);

type Answer<T> = Result<Response<T>, Status>;

/// The task slots (vcores) a polling executor registered with (`u32::MAX` when it gave none,
/// so that its poll is never taken for idle).
fn vcores_of(params: &PollWorkParams) -> u32 {
    params
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.specification.as_ref())
        .and_then(|specification| {
            specification.resources.iter().find_map(|resource| {
                resource
                    .resource
                    .map(|executor_resource::Resource::Vcores(vcores)| vcores)
            })
        })
        .unwrap_or(u32::MAX)
}

#[async_trait::async_trait]
impl SchedulerGrpc for PromptPolls {
    async fn poll_work(&self, request: Request<PollWorkParams>) -> Answer<PollWorkResult> {
        let (metadata, extensions, mut asked_again) = request.into_parts();
        // The statuses go with the first call only; the calls that follow ask again without.
        let first = PollWorkParams {
            task_status: std::mem::take(&mut asked_again.task_status),
            ..asked_again.clone()
        };
        let first = Request::from_parts(metadata.clone(), extensions.clone(), first);
        let first = SchedulerGrpc::poll_work(&self.0, first).await?;
        // Only an idle executor's poll is held: one running a task reports its end in its
        // next poll, which a held poll would delay.
        if !first.get_ref().tasks.is_empty()
            || asked_again.num_free_vcores < vcores_of(&asked_again)
        {
            return Ok(first);
        }
        let mut answer = first.into_inner();
        let until = Instant::now() + POLL_HOLD;
        while Instant::now() < until {
            tokio::time::sleep(POLL_RECHECK).await;
            let again =
                Request::from_parts(metadata.clone(), extensions.clone(), asked_again.clone());
            let next = SchedulerGrpc::poll_work(&self.0, again).await?.into_inner();
            answer.jobs_to_clean.extend(next.jobs_to_clean);
            if !next.tasks.is_empty() {
                answer.tasks = next.tasks;
                break;
            }
        }
        Ok(Response::new(answer))
    }

    async fn register_executor(
        &self,
        request: Request<RegisterExecutorParams>,
    ) -> Answer<RegisterExecutorResult> {
        SchedulerGrpc::register_executor(&self.0, request).await
    }

    async fn heart_beat_from_executor(
        &self,
        request: Request<HeartBeatParams>,
    ) -> Answer<HeartBeatResult> {
        SchedulerGrpc::heart_beat_from_executor(&self.0, request).await
    }

    async fn update_task_status(
        &self,
        request: Request<UpdateTaskStatusParams>,
    ) -> Answer<UpdateTaskStatusResult> {
        SchedulerGrpc::update_task_status(&self.0, request).await
    }

    async fn create_update_session(
        &self,
        request: Request<CreateUpdateSessionParams>,
    ) -> Answer<CreateUpdateSessionResult> {
        SchedulerGrpc::create_update_session(&self.0, request).await
    }

    async fn remove_session(
        &self,
        request: Request<RemoveSessionParams>,
    ) -> Answer<RemoveSessionResult> {
        SchedulerGrpc::remove_session(&self.0, request).await
    }

    type ExecuteQueryPushStream =
        <SchedulerServer<LogicalPlanNode, PhysicalPlanNode> as SchedulerGrpc>::ExecuteQueryPushStream;

    async fn execute_query_push(
        &self,
        request: Request<ExecuteQueryParams>,
    ) -> Answer<Self::ExecuteQueryPushStream> {
        SchedulerGrpc::execute_query_push(&self.0, request).await
    }

    async fn execute_query(
        &self,
        request: Request<ExecuteQueryParams>,
    ) -> Answer<ExecuteQueryResult> {
        SchedulerGrpc::execute_query(&self.0, request).await
    }

    async fn get_job_status(
        &self,
        request: Request<GetJobStatusParams>,
    ) -> Answer<GetJobStatusResult> {
        SchedulerGrpc::get_job_status(&self.0, request).await
    }

    async fn get_job_metrics(
        &self,
        request: Request<GetJobMetricsParams>,
    ) -> Answer<GetJobMetricsResult> {
        SchedulerGrpc::get_job_metrics(&self.0, request).await
    }

    async fn executor_stopped(
        &self,
        request: Request<ExecutorStoppedParams>,
    ) -> Answer<ExecutorStoppedResult> {
        SchedulerGrpc::executor_stopped(&self.0, request).await
    }

    async fn cancel_job(&self, request: Request<CancelJobParams>) -> Answer<CancelJobResult> {
        SchedulerGrpc::cancel_job(&self.0, request).await
    }

    async fn clean_job_data(
        &self,
        request: Request<CleanJobDataParams>,
    ) -> Answer<CleanJobDataResult> {
        SchedulerGrpc::clean_job_data(&self.0, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballista_core::serde::protobuf::{
        ExecutorRegistration, ExecutorResource, ExecutorSpecification,
    };

    #[test]
    fn only_an_executor_with_every_task_slot_free_counts_as_idle() {
        let params = |vcores: Option<u32>| PollWorkParams {
            metadata: Some(ExecutorRegistration {
                specification: vcores.map(|vcores| ExecutorSpecification {
                    resources: vec![ExecutorResource {
                        resource: Some(executor_resource::Resource::Vcores(vcores)),
                    }],
                }),
                ..Default::default()
            }),
            num_free_vcores: 2,
            task_status: vec![],
        };
        assert_eq!(vcores_of(&params(Some(4))), 4);
        // Without a registration to go by, never idle: its poll is answered at once.
        assert_eq!(vcores_of(&params(None)), u32::MAX);
        assert_eq!(vcores_of(&PollWorkParams::default()), u32::MAX);
    }
}
