//! The cluster's gRPC services, served by us so that each checks the cluster's credentials:
//! the scheduler's (Ballista's scheduler service and its Flight proxy; with credentials only,
//! since Ballista's own server, used without them, also answers HTTP health probes) and an
//! executor's Flight service (shuffle and result reads). Ballista's own servers take no such
//! check.

use std::future::Future;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use ballista_core::error::BallistaError;
use ballista_core::extension::BallistaConfigGrpcEndpoint;
use ballista_core::flight_proxy_service::BallistaFlightProxyService;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::utils::{create_grpc_server, create_grpc_server_incoming};
use ballista_executor::ArrowFlightServerProvider;
use ballista_executor::flight_service::BallistaFlightService;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_server::SchedulerServer;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tonic::service::InterceptorLayer;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

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
    let scheduler_service = SchedulerGrpcServer::new(scheduler)
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
