//! The pack on a Ballista cluster in this process: a scheduler and two executors on loopback,
//! every shuffle read over the network, give exactly the embedded engine's rows.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::planner::{DefaultDistributedPlanner, DistributedPlanner};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::ballista::{
    client_state, executor_function_registry, scheduler_session_state,
};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use super::sample_data;

const TABLES: &[(&str, &str)] = &[
    ("responses", "responses.parquet"),
    ("events", "events.parquet"),
    ("page_views", "page_views.parquet"),
    ("tickets", "tickets.parquet"),
    ("users", "users.parquet"),
    ("orders", "orders.parquet"),
    ("customers", "customers.csv"),
    ("campaigns", "campaigns.csv"),
];

/// Every aggregate of the pack, grouped by several columns, with FILTER, weights, constant
/// arguments and DISTINCT where it is accepted; list- and struct-state functions among them.
const QUERIES: &[&str] = &[
    "SELECT segment, channel,
            nps(nps_score) AS nps, nps(nps_score, survey_weight) AS weighted_nps,
            csat(csat_score) AS csat, csat(csat_score, 5, survey_weight) AS weighted_csat,
            ces(ces_score, 7) FILTER (WHERE channel <> 'email') AS ces,
            nps_summary(nps_score) AS nps_summary,
            csat_summary(csat_score, 5, survey_weight) AS csat_summary,
            ces_summary(ces_score) FILTER (WHERE nps_score >= 7) AS ces_summary,
            count(*) AS n
     FROM responses GROUP BY segment, channel ORDER BY segment, channel",
    "SELECT nps_group(nps_score) AS nps_group, segment, count(*) AS n
     FROM responses GROUP BY nps_group(nps_score), segment ORDER BY nps_group, segment",
    "SELECT plan, segment,
            churn_rate(active_at_start, active_at_end) AS churn,
            retention_rate(active_at_start, active_at_end)
                FILTER (WHERE signup_date >= '2024-06-01') AS retention
     FROM customers GROUP BY plan, segment ORDER BY plan, segment",
    "SELECT segment, date_trunc('month', event_time) AS month,
            stickiness(user_id, event_time) AS stickiness,
            stickiness(DISTINCT user_id, event_time) AS stickiness_distinct,
            stickiness(user_id, event_time, 'month') AS stickiness_whole_month,
            feature_adoption(user_id, event_name = 'export') AS adoption,
            feature_adoption(DISTINCT user_id, event_name = 'invite_colleague')
                FILTER (WHERE event_name <> 'login') AS invites
     FROM events GROUP BY segment, date_trunc('month', event_time) ORDER BY segment, month",
    "SELECT user_id,
            engagement_score(event_name, 'login=1, export=2.5, invite_colleague=5, support_ticket=-3')
                AS score,
            engagement_tier(engagement_score(event_name, MAP {'login': 1, 'export': 2}))
                AS tier
     FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT u.acquisition_channel, date_trunc('month', u.signup_time) AS signup_month,
            first_week_active_rate(u.user_id, v.viewed_at, u.signup_time) AS first_week,
            first_week_active_rate(DISTINCT u.user_id, v.viewed_at, u.signup_time)
                FILTER (WHERE v.device <> 'desktop') AS first_week_off_desktop
     FROM users u LEFT JOIN page_views v ON v.user_id = u.user_id AND v.viewed_at > u.signup_time
     GROUP BY u.acquisition_channel, date_trunc('month', u.signup_time)
     ORDER BY u.acquisition_channel, signup_month",
    "SELECT device, channel,
            bounce_rate(session_id) AS bounce, pages_per_session(session_id) AS pages,
            avg_session_duration(session_id, viewed_at) AS duration,
            avg_session_duration(DISTINCT session_id, viewed_at)
                FILTER (WHERE page <> '/') AS duration_off_home
     FROM page_views GROUP BY device, channel ORDER BY device, channel",
    "SELECT device, channel,
            bounce_rate(user_id, viewed_at, INTERVAL '30 minutes') AS bounce_from_log,
            pages_per_session(user_id, viewed_at, INTERVAL '20 minutes') AS pages_from_log,
            avg_session_duration(user_id, viewed_at, INTERVAL '30 minutes', INTERVAL '1 hour')
                FILTER (WHERE page <> '/') AS duration_from_log,
            session_summary(user_id, viewed_at, INTERVAL '30 minutes') AS summary
     FROM page_views GROUP BY device, channel ORDER BY device, channel",
    "SELECT device, page_summary(user_id, viewed_at, page) AS pages,
            page_summary(user_id, viewed_at, page, INTERVAL '10 minutes', INTERVAL '1 hour')
                FILTER (WHERE page <> '/') AS pages_off_home
     FROM page_views GROUP BY device ORDER BY device",
    "SELECT p['page'] AS page, p['views'] AS views, p['exit_rate'] AS exit_rate,
            p['avg_time_on_page'] AS time_on_page
     FROM (SELECT unnest(page_summary(user_id, viewed_at, page)) AS p FROM page_views)
     ORDER BY page",
    "SELECT page, count(*) AS views, avg(seconds) AS time_on_page,
            100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate,
            count(*) FILTER (WHERE is_entry) AS entrances, max(session) AS most_sessions
     FROM (SELECT page, time_on_page(viewed_at) OVER w AS seconds,
                  session_exit(viewed_at) OVER w AS is_exit,
                  session_entry(viewed_at, INTERVAL '30 minutes') OVER w AS is_entry,
                  sessionize(viewed_at, INTERVAL '10 minutes', INTERVAL '1 hour') OVER w AS session
           FROM page_views WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at, page))
     GROUP BY page ORDER BY page",
    "SELECT priority, channel,
            avg_resolution_time(opened_at, resolved_at) AS resolution,
            csat(csat_score) AS csat, ces(ces_score) AS ces
     FROM tickets GROUP BY priority, channel ORDER BY priority, channel",
    "SELECT date_part('year', ordered_at) AS year,
            clv(amount, customer_id, ordered_at, 3) AS clv_3_years,
            clv(amount, customer_id, ordered_at, 3, 'quarter') AS clv_in_quarters,
            clv(amount, customer_id, ordered_at, 1.5) FILTER (WHERE amount > 20) AS clv_big
     FROM orders GROUP BY date_part('year', ordered_at) ORDER BY year",
    "SELECT date_trunc('week', u.signup_time) AS cohort,
            retention(u.user_id, v.viewed_at, INTERVAL '7 days', 12, u.signup_time) AS weeks,
            unbounded_retention(DISTINCT u.user_id, v.viewed_at, INTERVAL '1 month', 2, u.signup_time)
                FILTER (WHERE v.device <> 'desktop') AS months
     FROM users u LEFT JOIN page_views v ON v.user_id = u.user_id
     GROUP BY date_trunc('week', u.signup_time) ORDER BY cohort",
    "SELECT segment,
            retention(user_id, event_time, '1 day', 30) AS days,
            lifecycle(user_id, event_time, 'week') AS weeks,
            stickiness_distribution(user_id, event_time) AS active_days,
            lifecycle(user_id, event_time, 'month') FILTER (WHERE event_name <> 'login') AS months
     FROM events GROUP BY segment ORDER BY segment",
    "SELECT segment,
            funnel(user_id, event_time, INTERVAL '1 day', event_name = 'login',
                   event_name = 'view_dashboard', event_name = 'create_report') AS steps,
            funnel(user_id, event_time, INTERVAL '2 hours', event_name = 'login',
                   event_name = 'export') FILTER (WHERE event_name <> 'support_ticket') AS quick,
            funnel(user_id, event_time, INTERVAL '1 day', event_name = 'login',
                   event_name = 'view_dashboard', event_name = 'create_report',
                   'strict_order') AS in_order,
            funnel_conversion_times(user_id, event_time, INTERVAL '1 day', event_name = 'login',
                   event_name = 'view_dashboard', event_name = 'create_report',
                   'exclude 2-3', event_name = 'support_ticket') AS times,
            funnel_conversion_histogram(user_id, event_time, INTERVAL '1 day',
                   event_name = 'login', event_name = 'export') AS time_to_export
     FROM events GROUP BY segment ORDER BY segment",
    "SELECT level, count(*) AS users
     FROM (SELECT user_id, window_funnel(INTERVAL '1 day', event_time, event_name = 'login',
                    event_name = 'view_dashboard', event_name = 'export') AS level
           FROM events GROUP BY user_id)
     GROUP BY level ORDER BY level",
    "SELECT segment, count(*) FILTER (WHERE converted) AS converted, sum(exports) AS exports
     FROM (SELECT user_id, segment,
                  sequence_match('(?1)(?t<=86400)(?2)', event_time, event_name = 'login',
                                 event_name = 'export') AS converted,
                  sequence_count('(?1).*(?2)', event_time, event_name = 'login',
                                 event_name = 'export') AS exports
           FROM events GROUP BY user_id, segment)
     GROUP BY segment ORDER BY segment",
    "SELECT after_login, count(*) AS users
     FROM (SELECT user_id, sequence_next_node('forward', 'first_match', event_time, event_name,
                                              true, event_name = 'login') AS after_login
           FROM events GROUP BY user_id)
     GROUP BY after_login ORDER BY after_login NULLS FIRST",
    "SELECT segment, paths(user_id, event_time, event_name, event_name = 'login', 2) AS links
     FROM events GROUP BY segment ORDER BY segment",
    "SELECT campaign, channel,
            ctr(clicks, impressions) AS ctr,
            engagement_rate(coalesce(likes, 0) + coalesce(shares, 0) + coalesce(comments, 0),
                            impressions) AS engagement
     FROM campaigns GROUP BY campaign, channel ORDER BY campaign, channel",
    "SELECT segment, nps_merge(n), csat_merge(c) FILTER (WHERE d < DATE '2026-08-01') \
     FROM (SELECT segment, response_date AS d, nps_state(nps_score, survey_weight) AS n, \
           csat_state(csat_score, 5) AS c FROM responses GROUP BY segment, response_date) \
     GROUP BY segment ORDER BY segment",
    "SELECT segment, stickiness_merge(s), retention_merge(r) \
     FROM (SELECT segment, stickiness_union(s) AS s, retention_union(r) AS r \
           FROM (SELECT segment, CAST(event_time AS DATE) AS d, \
                 stickiness_state(user_id, event_time, 'month') AS s, \
                 retention_state(user_id, event_time, INTERVAL '7 days', 4) AS r \
                 FROM events GROUP BY 1, 2) \
           GROUP BY segment, date_trunc('week', d)) \
     GROUP BY segment ORDER BY segment",
    "SELECT segment, hll_estimate(hll_sketch(user_id)), hll_estimate(hll_sketch(event_name, 10)), \
     theta_estimate(theta_sketch(user_id)) FILTER (WHERE event_name = 'login') \
     FROM events GROUP BY segment ORDER BY segment",
    "SELECT segment, hll_estimate(hll_union(h, 11)), approx_stickiness(d, h, 'month'), \
     approx_stickiness(d, h) FILTER (WHERE d < DATE '2026-09-01'), theta_estimate(theta_union(t)), \
     theta_estimate(theta_intersection(t)), \
     theta_estimate(theta_a_not_b(theta_union(t), theta_union(t) FILTER (WHERE d > DATE '2026-08-01'))) \
     FROM (SELECT segment, CAST(event_time AS DATE) AS d, hll_sketch(user_id) AS h, \
           theta_sketch(user_id) AS t FROM events GROUP BY 1, 2) \
     GROUP BY segment ORDER BY segment",
];

/// A free loopback port (the executors need theirs before they start).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Cluster {
    scheduler: SocketAddr,
    work_dirs: Vec<tempfile::TempDir>,
}

/// Starts a scheduler and two executors (two task slots each) that know the pack.
async fn start_cluster() -> Cluster {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheduler = listener.local_addr().unwrap();
    let mut config = SchedulerConfig::default()
        .with_hostname("127.0.0.1")
        .with_port(scheduler.port())
        .with_override_session_builder(Arc::new(scheduler_session_state));
    config.bind_host = "127.0.0.1".to_string();
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config).await.unwrap();
    let server = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .unwrap();
    tokio::spawn(start_grpc_service_with_listener(listener, server));

    let registry = Arc::new(executor_function_registry().unwrap());
    let mut work_dirs = vec![];
    for _ in 0..2 {
        let work_dir = tempfile::tempdir().unwrap();
        let config = ExecutorProcessConfig {
            bind_host: "127.0.0.1".to_string(),
            external_host: Some("127.0.0.1".to_string()),
            port: free_port(),
            grpc_port: free_port(),
            scheduler_host: "127.0.0.1".to_string(),
            scheduler_port: scheduler.port(),
            vcores: 2,
            work_dir: Some(work_dir.path().to_str().unwrap().to_string()),
            override_function_registry: Some(Arc::clone(&registry)),
            executor_heartbeat_interval_seconds: 1,
            ..Default::default()
        };
        tokio::spawn(start_executor_process(Arc::new(config)));
        work_dirs.push(work_dir);
    }
    Cluster {
        scheduler,
        work_dirs,
    }
}

/// A session with the sample tables, run by the cluster at `scheduler` or, without one, here.
async fn session(scheduler: Option<SocketAddr>) -> SessionContext {
    let ctx = match scheduler {
        Some(address) => {
            let config = SessionConfig::new_with_ballista()
                .with_target_partitions(4)
                .set_bool("ballista.shuffle.force_remote_read", true);
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_config(config)
                .build();
            let state = client_state(state, &format!("df://{address}")).unwrap();
            SessionContext::new_with_state(state)
        }
        None => {
            let mut ctx = SessionContext::new();
            datafusion_engagement::register_all(&mut ctx).unwrap();
            ctx
        }
    };
    for (name, file) in TABLES {
        let path = sample_data().join(file);
        let path = path.display();
        let sql = if file.ends_with(".csv") {
            format!(
                "CREATE EXTERNAL TABLE {name} STORED AS CSV LOCATION '{path}' \
                 OPTIONS ('format.has_header' 'true')"
            )
        } else {
            format!("CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{path}'")
        };
        ctx.sql(&sql).await.unwrap();
    }
    ctx
}

/// The rows as text, floats to the last bit.
fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = vec![];
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    rows
}

/// Floats summed in another order may differ in their last bits (the embedded engine's own
/// results do too, between partition counts); everything else must be identical. Struct
/// results are compared field by field.
fn assert_same_rows(query: &str, cluster: &[RecordBatch], embedded: &[RecordBatch]) {
    let (got, expected) = (rows(cluster), rows(embedded));
    assert_eq!(got.len(), expected.len(), "{query}");
    assert!(!expected.is_empty(), "{query} returned no rows");
    for (got_row, expected_row) in got.iter().zip(&expected) {
        let same = got_row.len() == expected_row.len()
            && got_row
                .iter()
                .zip(expected_row)
                .all(|(got, expected)| same_cell(got, expected));
        assert!(
            same,
            "{query}\ncluster:  {got_row:?}\nembedded: {expected_row:?}"
        );
    }
}

fn same_cell(got: &str, expected: &str) -> bool {
    let pieces = |cell: &str| -> Vec<String> {
        cell.split(['{', '}', ',', ' '])
            .filter(|piece| !piece.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (got, expected) = (pieces(got), pieces(expected));
    got.len() == expected.len()
        && got.iter().zip(&expected).all(|(a, b)| {
            a == b
                || match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(a), Ok(b)) => (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    _ => false,
                }
        })
}

/// The shuffle files an executor wrote, as `job/stage` directories.
fn stages_written(work_dir: &Path) -> Vec<String> {
    let mut stages = vec![];
    for job in std::fs::read_dir(work_dir).into_iter().flatten().flatten() {
        for stage in std::fs::read_dir(job.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            stages.push(format!(
                "{}/{}",
                job.file_name().to_string_lossy(),
                stage.file_name().to_string_lossy()
            ));
        }
    }
    stages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_function_gives_the_embedded_rows_on_a_cluster() {
    let cluster = start_cluster().await;
    let remote = session(Some(cluster.scheduler)).await;
    let local = session(None).await;
    for query in QUERIES {
        let embedded = local.sql(query).await.unwrap().collect().await.unwrap();
        let distributed = remote
            .sql(query)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_same_rows(query, &distributed, &embedded);
    }
    // Both executors ran tasks: each wrote shuffle output.
    for (i, work_dir) in cluster.work_dirs.iter().enumerate() {
        let stages = stages_written(work_dir.path());
        assert!(!stages.is_empty(), "executor {i} wrote no shuffle output");
    }
}

#[tokio::test]
async fn partial_and_final_aggregation_run_in_different_stages() {
    let config = SessionConfig::new_with_ballista().with_target_partitions(4);
    let state = scheduler_session_state(config.clone()).unwrap();
    let planner_ctx = SessionContext::new_with_state(state);
    planner_ctx
        .register_parquet(
            "events",
            sample_data().join("events.parquet").to_str().unwrap(),
            Default::default(),
        )
        .await
        .unwrap();
    let plan = planner_ctx
        .sql("SELECT segment, stickiness(user_id, event_time) FROM events GROUP BY segment")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let stages = DefaultDistributedPlanner::new()
        .plan_query_stages(&"job".into(), plan, config.options())
        .unwrap();
    let shown: Vec<String> = stages
        .iter()
        .map(|stage| displayable(stage.as_ref()).indent(false).to_string())
        .collect();
    let partial = shown
        .iter()
        .position(|s| s.contains("mode=Partial") && s.contains("stickiness"));
    let last = shown
        .iter()
        .position(|s| s.contains("mode=FinalPartitioned") && s.contains("stickiness"));
    let (Some(partial), Some(last)) = (partial, last) else {
        panic!("no partial and final stickiness aggregation: {shown:#?}");
    };
    assert!(partial < last, "{shown:#?}");
    // The final stage reads the partial stage's output through a shuffle.
    assert!(shown[partial].contains("ShuffleWriterExec"), "{shown:#?}");
    assert!(shown[last].contains("UnresolvedShuffleExec"), "{shown:#?}");
}
