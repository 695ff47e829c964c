//! The pack through DataFusion's FFI, the way Python DataFusion receives it (the
//! `datafusion-engagement-python` crate): every function exported as an FFI struct and imported
//! back as a foreign function. The aggregation must still get each function's grouped
//! accumulator — DataFusion falls back to its slow per-group adapter when
//! `groups_accumulator_supported` says no, which the FFI does when it cannot carry the
//! arguments — and the results must equal the native ones. (The accumulators' own calls cross
//! the FFI only between two libraries; the Python tests run those, against the real wheel.)

use std::sync::Arc;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::logical_expr::{
    AggregateUDF, AggregateUDFImpl, ScalarUDF, ScalarUDFImpl, WindowUDF, WindowUDFImpl,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::prelude::*;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udwf::FFI_WindowUDF;

/// A library marker that is not this library's, so that the import takes the foreign path
/// (this library's marker is the address of one of its statics, never 1).
extern "C" fn another_library() -> usize {
    1
}

/// A context with the pack's functions imported through the FFI.
fn context_with_imported_functions() -> SessionContext {
    let ctx = one_partition();
    for udaf in datafusion_engagement::all_aggregate_functions()
        .into_iter()
        .chain(datafusion_engagement::all_state_functions())
    {
        let mut exported = FFI_AggregateUDF::from(udaf);
        exported.library_marker_id = another_library;
        let imported: Arc<dyn AggregateUDFImpl> = (&exported).into();
        ctx.register_udaf(AggregateUDF::new_from_shared_impl(imported));
    }
    for udf in datafusion_engagement::all_scalar_functions() {
        let mut exported = FFI_ScalarUDF::from(udf);
        exported.library_marker_id = another_library;
        let imported: Arc<dyn ScalarUDFImpl> = (&exported).into();
        ctx.register_udf(ScalarUDF::new_from_shared_impl(imported));
    }
    for udwf in datafusion_engagement::all_window_functions() {
        let mut exported = FFI_WindowUDF::from(udwf);
        exported.library_marker_id = another_library;
        let imported: Arc<dyn WindowUDFImpl> = (&exported).into();
        ctx.register_udwf(WindowUDF::new_from_shared_impl(imported));
    }
    ctx
}

fn one_partition() -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1))
}

/// Two printed tables are the same, numbers to 1e-12 relative (clv adds per-customer sums in
/// hash-map order, which differs between any two runs).
fn assert_same_table(ours: &str, theirs: &str, sql: &str) {
    let tokens = |table: &str| -> Vec<String> {
        table
            .split(|c: char| c.is_whitespace() || c == '|' || c == ',' || c == '{' || c == '}')
            .filter(|token| !token.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (ours, theirs) = (tokens(ours), tokens(theirs));
    assert_eq!(ours.len(), theirs.len(), "{sql}");
    for (a, b) in ours.iter().zip(&theirs) {
        match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{sql}: {a} vs {b}"
            ),
            _ => assert_eq!(a, b, "{sql}"),
        }
    }
}

/// One grouped query per function, with its constant arguments and a FILTER.
const QUERIES: &[&str] = &[
    "SELECT segment, nps(nps_score), nps(nps_score, survey_weight), csat(csat_score, 5) FILTER (WHERE channel = 'email'), \
     ces(ces_score, 7), nps_summary(nps_score), csat_summary(csat_score), ces_summary(ces_score, 7, survey_weight), \
     nps_group(min(nps_score)), engagement_tier(avg(csat_score) * 20.0), benchmark_band('nps', nps(nps_score)) \
     FROM responses GROUP BY segment ORDER BY segment",
    "SELECT plan, churn_rate(active_at_start, active_at_end), retention_rate(active_at_start, active_at_end) \
     FROM customers GROUP BY plan ORDER BY plan",
    "SELECT segment, stickiness(user_id, event_time), stickiness(user_id, event_time, 'week'), \
     stickiness_distribution(user_id, event_time), stickiness_distribution(user_id, event_time, 'week'), \
     feature_adoption(user_id, event_name = 'export'), \
     engagement_score(event_name, 'login=1, export=3'), \
     window_funnel(INTERVAL '1 day', event_time, event_name = 'login', event_name = 'export'), \
     funnel(user_id, event_time, INTERVAL '1 day', event_name = 'login', event_name = 'export'), \
     window_funnel(INTERVAL '1 day', event_time, event_name = 'login', event_name = 'view_dashboard', \
                   event_name = 'create_report', 'strict_order'), \
     funnel(user_id, event_time, INTERVAL '1 day', event_name = 'login', event_name = 'view_dashboard', \
            event_name = 'create_report', 'strict_deduplication'), \
     funnel_conversion_times(user_id, event_time, INTERVAL '1 day', event_name = 'login', \
            event_name = 'create_report', 'exclude', event_name = 'support_ticket'), \
     funnel_conversion_histogram(user_id, event_time, INTERVAL '1 day', event_name = 'login', \
            event_name = 'create_report'), \
     sequence_match('(?1)(?t<=86400)(?2)', event_time, event_name = 'login', event_name = 'export'), \
     sequence_count('(?1).*(?2)', event_time, event_name = 'login', event_name = 'export') \
         FILTER (WHERE event_name <> 'support_ticket'), \
     sequence_next_node('backward', 'last_match', event_time, event_name, true, event_name = 'export'), \
     paths(user_id, event_time, event_name, event_name = 'login', 2), \
     lifecycle(user_id, event_time, 'month') \
     FROM events GROUP BY segment ORDER BY segment",
    "SELECT campaign, ctr(clicks, impressions), engagement_rate(coalesce(likes, 0), impressions) \
     FROM campaigns GROUP BY campaign ORDER BY campaign",
    "SELECT u.acquisition_channel, first_week_active_rate(u.user_id, v.viewed_at, u.signup_time), \
     retention(u.user_id, v.viewed_at, INTERVAL '7 days', 4, u.signup_time), \
     unbounded_retention(u.user_id, v.viewed_at, INTERVAL '7 days', 4) \
     FROM users u LEFT JOIN page_views v USING (user_id) GROUP BY u.acquisition_channel ORDER BY 1",
    "SELECT device, bounce_rate(session_id), pages_per_session(session_id), avg_session_duration(session_id, viewed_at), \
     bounce_rate(user_id, viewed_at, INTERVAL '30 minutes'), pages_per_session(user_id, viewed_at, INTERVAL '20 minutes'), \
     avg_session_duration(user_id, viewed_at, INTERVAL '30 minutes', INTERVAL '1 hour'), \
     session_summary(user_id, viewed_at, INTERVAL '30 minutes') \
     FROM page_views GROUP BY device ORDER BY device",
    "SELECT device, page_summary(user_id, viewed_at, page), \
     page_summary(user_id, viewed_at, page, INTERVAL '10 minutes', INTERVAL '1 hour') FILTER (WHERE page <> '/') \
     FROM page_views GROUP BY device ORDER BY device",
    "SELECT priority, avg_resolution_time(opened_at, resolved_at) FROM tickets GROUP BY priority ORDER BY priority",
    "SELECT customer_id % 3 AS k, clv(amount, customer_id, ordered_at, 3), \
     clv(amount, customer_id, ordered_at, 3, 'year') FROM orders GROUP BY k ORDER BY k",
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

async fn register_tables(ctx: &SessionContext) -> Result<()> {
    let data = super::sample_data().display().to_string();
    for table in [
        "responses",
        "events",
        "users",
        "page_views",
        "orders",
        "tickets",
    ] {
        ctx.register_parquet(table, format!("{data}/{table}.parquet"), Default::default())
            .await?;
    }
    for table in ["customers", "campaigns"] {
        ctx.register_csv(table, format!("{data}/{table}.csv"), Default::default())
            .await?;
    }
    Ok(())
}

/// Every aggregate of every `AggregateExec` in the plan, and whether it has a grouped
/// accumulator.
fn grouped_accumulators(plan: &Arc<dyn ExecutionPlan>) -> Vec<(String, bool)> {
    let mut found = vec![];
    plan.apply(|node| {
        if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
            for expr in aggregate.aggr_expr() {
                found.push((
                    expr.fun().name().to_string(),
                    expr.groups_accumulator_supported(),
                ));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .expect("the visit does not fail");
    found
}

#[tokio::test]
async fn imported_functions_use_their_grouped_accumulators_and_equal_the_native_ones() -> Result<()>
{
    let imported = context_with_imported_functions();
    let mut native = one_partition();
    datafusion_engagement::register_all(&mut native)?;
    register_tables(&imported).await?;
    register_tables(&native).await?;

    let mut covered = std::collections::BTreeSet::new();
    for sql in QUERIES {
        let frame = imported.sql(sql).await?;
        let plan = frame.clone().create_physical_plan().await?;
        let aggregates = grouped_accumulators(&plan);
        assert!(!aggregates.is_empty(), "{sql}");
        for (name, grouped) in aggregates {
            assert!(
                grouped,
                "{name} has no grouped accumulator through the FFI: {sql}"
            );
            covered.insert(name);
        }
        let through_ffi = pretty_format_batches(&frame.collect().await?)?.to_string();
        let direct = pretty_format_batches(&native.sql(sql).await?.collect().await?)?.to_string();
        assert_same_table(&through_ffi, &direct, sql);
    }
    let every: std::collections::BTreeSet<_> = datafusion_engagement::all_aggregate_functions()
        .iter()
        .map(|udaf| udaf.name().to_string())
        .collect();
    let missing: Vec<_> = every.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "aggregates without an FFI query: {missing:?}"
    );
    Ok(())
}

/// The session window functions through the FFI, their constant gaps included, equal the
/// native ones row by row.
#[tokio::test]
async fn window_functions_through_the_ffi_equal_the_native_ones() -> Result<()> {
    let imported = context_with_imported_functions();
    let mut native = one_partition();
    datafusion_engagement::register_all(&mut native)?;
    register_tables(&imported).await?;
    register_tables(&native).await?;
    let sql = "SELECT user_id, viewed_at, page, sessionize(viewed_at) OVER w AS session, \
               sessionize(viewed_at, INTERVAL '10 minutes', INTERVAL '1 hour') OVER w AS short_session, \
               time_on_page(viewed_at) OVER w AS seconds, session_entry(viewed_at, '20 minutes') OVER w AS entry, \
               session_exit(viewed_at) OVER w AS exit \
               FROM page_views WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at, page) \
               ORDER BY user_id, viewed_at, page LIMIT 2000";
    let through_ffi =
        pretty_format_batches(&imported.sql(sql).await?.collect().await?)?.to_string();
    let direct = pretty_format_batches(&native.sql(sql).await?.collect().await?)?.to_string();
    assert_same_table(&through_ffi, &direct, sql);
    assert!(through_ffi.lines().count() > 2000, "{through_ffi}");
    Ok(())
}

/// The pack's `date_trunc` through the FFI (which passes the precision as an array, as Python
/// DataFusion calls it) equals DataFusion's own: calendar units on the fast path, finer units,
/// time zones, dates, constants and NULLs through DataFusion's function, and its errors.
#[tokio::test]
async fn date_trunc_through_the_ffi_equals_datafusions() -> Result<()> {
    let imported = one_partition();
    let mut exported = FFI_ScalarUDF::from(Arc::new(ScalarUDF::new_from_impl(
        datafusion_engagement::date_trunc::DateTrunc::new(),
    )));
    exported.library_marker_id = another_library;
    let foreign: Arc<dyn ScalarUDFImpl> = (&exported).into();
    imported.register_udf(ScalarUDF::new_from_shared_impl(foreign));
    let native = one_partition();
    for ctx in [&imported, &native] {
        register_tables(ctx).await?;
    }
    let mut queries: Vec<String> = ["week", "month", "quarter", "year", "day", "hour"]
        .iter()
        .map(|unit| {
            format!(
                "SELECT date_trunc('{unit}', event_time) AS period, count(*), \
                 count(DISTINCT user_id) FROM events GROUP BY period ORDER BY period"
            )
        })
        .collect();
    queries.extend([
        "SELECT date_trunc('month', arrow_cast(event_time, 'Timestamp(Millisecond, Some(\"Asia/Kolkata\"))')) AS m, \
         datetrunc('week', CAST(event_time AS DATE)) AS w, count(*) FROM events GROUP BY m, w ORDER BY m, w"
            .to_string(),
        "SELECT date_trunc('month', TIMESTAMP '2024-02-29T10:00:00'), date_trunc('year', NULL::timestamp), \
         date_trunc('quarter', ts) FROM (VALUES (TIMESTAMP '2024-05-15T10:30:00'), (NULL)) AS t(ts)"
            .to_string(),
    ]);
    for sql in &queries {
        let ours = pretty_format_batches(&imported.sql(sql).await?.collect().await?)?.to_string();
        let theirs = pretty_format_batches(&native.sql(sql).await?.collect().await?)?.to_string();
        assert_eq!(ours, theirs, "{sql}");
    }
    let bad = "SELECT date_trunc('fortnight', event_time) FROM events";
    let ours = imported.sql(bad).await?.collect().await.unwrap_err();
    let theirs = native.sql(bad).await?.collect().await.unwrap_err();
    // The same message, which the FFI prefixes with "FFI error: ".
    assert!(
        ours.strip_backtrace().ends_with(&theirs.strip_backtrace()),
        "{ours} | {theirs}"
    );
    Ok(())
}
