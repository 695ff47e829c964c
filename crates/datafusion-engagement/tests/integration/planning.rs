//! How the functions are planned: what the optimizer hands to the execution.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::*;

/// The arguments of the aggregate functions in an optimized plan.
fn aggregate_arguments(plan: &LogicalPlan) -> Vec<Vec<Expr>> {
    let mut arguments = vec![];
    plan.apply(|node| {
        if let LogicalPlan::Aggregate(aggregate) = node {
            for expr in &aggregate.aggr_expr {
                expr.apply(|e| {
                    if let Expr::AggregateFunction(function) = e {
                        arguments.push(function.params.args.clone());
                    }
                    Ok(TreeNodeRecursion::Continue)
                })?;
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    arguments
}

#[tokio::test]
async fn a_weights_string_is_planned_as_a_dictionary_literal() -> Result<()> {
    let mut ctx = SessionContext::new();
    datafusion_engagement::register_all(&mut ctx)?;
    let sql = "SELECT engagement_score(event, 'login=1, export=2.5') \
               FROM (VALUES ('login'), ('export'), ('view')) AS t(event)";
    let frame = ctx.sql(sql).await?;
    // The column keeps the name the query gave it.
    let name = r#"engagement_score(t.event,Utf8("login=1, export=2.5"))"#;
    assert_eq!(frame.schema().field(0).name(), name);

    let plan = frame.clone().into_optimized_plan()?;
    let arguments = aggregate_arguments(&plan);
    assert_eq!(arguments.len(), 1);
    // Broadcast per row as a 4-byte key, not as a copy of the string.
    match &arguments[0][1] {
        Expr::Literal(ScalarValue::Dictionary(key, value), _) => {
            assert_eq!(**key, DataType::Int32);
            assert_eq!(
                **value,
                ScalarValue::Utf8(Some("login=1, export=2.5".into()))
            );
        }
        other => panic!("weights planned as {other:?}"),
    }

    let batches = frame.collect().await?;
    assert_eq!(batches[0].schema().field(0).name(), name);
    assert_eq!(
        ScalarValue::try_from_array(batches[0].column(0), 0)?,
        ScalarValue::Float64(Some(3.5))
    );
    Ok(())
}

#[tokio::test]
async fn other_constant_arguments_are_left_as_they_are() -> Result<()> {
    let mut ctx = SessionContext::new();
    datafusion_engagement::register_all(&mut ctx)?;
    let sql = "SELECT csat(score, 10), engagement_score(event, MAP {'login': 1}) \
               FROM (VALUES (9, 'login'), (3, 'view')) AS t(score, event)";
    let plan = ctx.sql(sql).await?.into_optimized_plan()?;
    let arguments = aggregate_arguments(&plan);
    assert_eq!(arguments.len(), 2);
    for args in arguments {
        match &args[1] {
            Expr::Literal(value, _) => assert!(
                !matches!(value, ScalarValue::Dictionary(..)),
                "{value:?} became a dictionary"
            ),
            other => panic!("constant planned as {other:?}"),
        }
    }
    Ok(())
}

/// A registry that can be read but takes no new functions, as some embedders' (Ballista's
/// client registry) are.
#[derive(Debug, Default)]
struct ReadOnlyRegistry;

impl datafusion::execution::FunctionRegistry for ReadOnlyRegistry {
    fn udfs(&self) -> std::collections::HashSet<String> {
        Default::default()
    }
    fn higher_order_function_names(&self) -> std::collections::HashSet<String> {
        Default::default()
    }
    fn udafs(&self) -> std::collections::HashSet<String> {
        Default::default()
    }
    fn udwfs(&self) -> std::collections::HashSet<String> {
        Default::default()
    }
    fn udf(&self, name: &str) -> Result<std::sync::Arc<datafusion::logical_expr::ScalarUDF>> {
        datafusion::common::plan_err!("no function {name}")
    }
    fn higher_order_function(
        &self,
        name: &str,
    ) -> Result<std::sync::Arc<datafusion::logical_expr::HigherOrderUDF>> {
        datafusion::common::plan_err!("no function {name}")
    }
    fn udaf(&self, name: &str) -> Result<std::sync::Arc<datafusion::logical_expr::AggregateUDF>> {
        datafusion::common::plan_err!("no function {name}")
    }
    fn udwf(&self, name: &str) -> Result<std::sync::Arc<datafusion::logical_expr::WindowUDF>> {
        datafusion::common::plan_err!("no function {name}")
    }
    fn expr_planners(
        &self,
    ) -> Vec<std::sync::Arc<dyn datafusion::logical_expr::planner::ExprPlanner>> {
        vec![]
    }
}

#[test]
fn register_all_reports_a_registry_that_refuses_functions() {
    let error = datafusion_engagement::register_all(&mut ReadOnlyRegistry).unwrap_err();
    assert!(
        error.to_string().contains("Registering AggregateUDF"),
        "{error}"
    );
}

#[tokio::test]
async fn register_all_works_on_a_session_state_and_replaces_functions() -> Result<()> {
    let mut state = SessionContext::new().state();
    datafusion_engagement::register_all(&mut state)?;
    // Twice is fine: the same shared instances replace themselves.
    datafusion_engagement::register_all(&mut state)?;
    let ctx = SessionContext::new_with_state(state);
    let batches = ctx
        .sql("SELECT nps(score) FROM (VALUES (10), (0)) AS t(score)")
        .await?
        .collect()
        .await?;
    assert_eq!(
        ScalarValue::try_from_array(batches[0].column(0), 0)?,
        ScalarValue::Float64(Some(0.0))
    );
    Ok(())
}

/// A session with the pack, on 4 partitions, with or without the one-stage rule.
fn partitioned_session(one_stage: bool) -> Result<SessionContext> {
    use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;
    session_with_rule(
        one_stage.then(OneStageKeySetAggregation::new),
        SessionConfig::new(),
    )
}

/// A session with the pack and `rule`, on 4 partitions and otherwise as `config` says.
fn session_with_rule(
    rule: Option<datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation>,
    config: SessionConfig,
) -> Result<SessionContext> {
    use datafusion::execution::SessionStateBuilder;
    let mut state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config.with_target_partitions(4));
    if let Some(rule) = rule {
        state = state.with_physical_optimizer_rule(std::sync::Arc::new(rule));
    }
    let mut ctx = SessionContext::new_with_state(state.build());
    datafusion_engagement::register_all(&mut ctx)?;
    Ok(ctx)
}

/// The physical plan of `sql`, one operator per line, and its result as text.
async fn plan_and_rows(ctx: &SessionContext, sql: &str) -> Result<(String, String)> {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::physical_plan::displayable;
    let frame = ctx.sql(sql).await?;
    let plan = frame.clone().create_physical_plan().await?;
    let plan = displayable(plan.as_ref()).indent(false).to_string();
    let rows = pretty_format_batches(&frame.collect().await?)?.to_string();
    Ok((plan, rows))
}

/// `rows` events (segment, user_id, event_time) of `users` users in `segments` segments, on
/// `days` days from 2026-01-01.
fn generated_events(segments: u32, users: u32, days: u32, rows: u32) -> String {
    format!(
        "SELECT value % {segments} AS segment, value % {users} AS user_id, \
         to_timestamp_seconds(1767225600 + (value * 7919 % {days}) * 86400) AS event_time \
         FROM generate_series(1, {rows})"
    )
}

#[tokio::test]
async fn key_set_aggregates_run_in_one_stage_with_the_rule() -> Result<()> {
    // 40 users in 3 segments over 10 days, with a FILTER and an ordinary aggregate beside.
    let events = generated_events(3, 40, 10, 2000);
    let key_sets = format!(
        "SELECT segment, stickiness(user_id, event_time) AS dau_mau, \
         feature_adoption(user_id, user_id % 2 = 0) FILTER (WHERE user_id > 3) AS adoption, \
         count(*) AS events \
         FROM ({events}) GROUP BY segment ORDER BY segment"
    );
    let (two_stages, expected) = plan_and_rows(&partitioned_session(false)?, &key_sets).await?;
    assert!(two_stages.contains("mode=Partial"), "{two_stages}");
    let ctx = partitioned_session(true)?;
    let (one_stage, rows) = plan_and_rows(&ctx, &key_sets).await?;
    assert_eq!(rows, expected);
    assert!(
        one_stage.contains("AggregateExec: mode=SinglePartitioned")
            && !one_stage.contains("mode=Partial")
            && one_stage.contains("RepartitionExec: partitioning=Hash([segment@0], 4)"),
        "{one_stage}"
    );
    // Aggregates without key sets and grouping sets keep their two stages.
    for untouched in [
        format!(
            "SELECT segment, nps(CAST(user_id % 11 AS INT)) FROM ({events}) GROUP BY segment ORDER BY 1"
        ),
        format!("SELECT nps(CAST(user_id % 11 AS INT)), count(*) FROM ({events})"),
        format!(
            "SELECT segment, user_id % 2, stickiness(user_id, event_time) FROM ({events}) \
             GROUP BY GROUPING SETS ((segment), (segment, user_id % 2)) ORDER BY 1, 2"
        ),
    ] {
        let (with_rule, rows) = plan_and_rows(&ctx, &untouched).await?;
        let (without, expected) = plan_and_rows(&partitioned_session(false)?, &untouched).await?;
        assert_eq!(with_rule, without, "{untouched}");
        assert_eq!(rows, expected);
    }
    Ok(())
}

#[tokio::test]
async fn ungrouped_key_set_aggregates_take_the_rows_in_once() -> Result<()> {
    // Ungrouped, beside ordinary aggregates: a FILTER, DISTINCT, an ordered aggregate, and a
    // per-user sequence metric whose arguments are computed.
    let events = generated_events(3, 40, 10, 2000);
    let ungrouped = format!(
        "SELECT stickiness(user_id, event_time) AS dau_mau, \
         feature_adoption(user_id, user_id % 2 = 0) FILTER (WHERE user_id > 3) AS adoption, \
         funnel(user_id, event_time, INTERVAL '2 days', segment = 0, segment = 1) AS steps, \
         count(DISTINCT user_id % 7) AS residues, \
         first_value(user_id ORDER BY event_time DESC, user_id DESC) AS last_user, \
         count(*) AS events \
         FROM ({events})"
    );
    let (two_stages, expected) = plan_and_rows(&partitioned_session(false)?, &ungrouped).await?;
    assert!(
        two_stages.contains("mode=Partial") && two_stages.contains("mode=Final"),
        "{two_stages}"
    );
    let (one_stage, rows) = plan_and_rows(&partitioned_session(true)?, &ungrouped).await?;
    assert_eq!(rows, expected);
    // The four partitions are read at once below the coalesce, their rows taken in once.
    let below_aggregate = one_stage
        .lines()
        .skip_while(|line| !line.contains("AggregateExec: mode=Single, gby=[]"))
        .skip(1)
        .collect::<Vec<_>>();
    assert!(
        !one_stage.contains("mode=Partial")
            && below_aggregate[0].trim() == "CoalescePartitionsExec"
            && below_aggregate[1].contains("ProjectionExec:")
            && below_aggregate[1].contains("= 1 as __argument_"),
        "{one_stage}"
    );
    Ok(())
}

#[tokio::test]
async fn expression_group_keys_of_a_one_stage_aggregate_are_computed_once() -> Result<()> {
    // 50 users over 70 days in 2 segments, grouped by segment and week, with a FILTER whose
    // column comes after the key's in the input; one input column is named like the key.
    let events = "SELECT value % 2 AS segment, value % 50 AS user_id, \
                  to_timestamp_seconds(1767225600 + (value * 7919 % 70) * 86400) AS event_time, \
                  value % 5 AS __group_key_1 \
                  FROM generate_series(1, 3000)";
    let by_week = format!(
        "SELECT segment, date_trunc('week', event_time) AS week, \
         stickiness(user_id, event_time) FILTER (WHERE __group_key_1 > 0) AS dau_mau, \
         count(__group_key_1) AS events \
         FROM ({events}) GROUP BY segment, date_trunc('week', event_time) ORDER BY 1, 2"
    );
    let (_, expected) = plan_and_rows(&partitioned_session(false)?, &by_week).await?;
    let (one_stage, rows) = plan_and_rows(&partitioned_session(true)?, &by_week).await?;
    assert_eq!(rows, expected);
    assert!(rows.lines().count() > 20, "{rows}");
    // One projection computes the week; the repartition and the aggregate read its column.
    assert_eq!(
        one_stage.matches("date_trunc(week, event_time").count(),
        1,
        "{one_stage}"
    );
    // The input column named like the key is renamed; the filter is computed beside.
    assert!(
        one_stage.contains(
            "ProjectionExec: expr=[segment@0 as segment, \
             date_trunc(week, event_time@2) as __group_key_1, user_id@1 as user_id, \
             event_time@2 as event_time, __group_key_1@3 as ___group_key_1, \
             __group_key_1@3 > 0 as __argument_5]"
        ) && one_stage
            .contains("RepartitionExec: partitioning=Hash([segment@0, __group_key_1@1], 4)"),
        "{one_stage}"
    );
    Ok(())
}

#[tokio::test]
async fn aggregate_arguments_cross_the_repartition_computed() -> Result<()> {
    // A funnel's steps over event names (its window stays a constant), an ordered aggregate,
    // a DISTINCT one and a FILTER (DataFusion computes its condition, common with a step,
    // once): computed below the repartition, which ships booleans and no event names.
    let events = format!(
        "SELECT *, CASE WHEN user_id * 13 % 5 < 2 THEN 'view' ELSE 'buy' END AS event_name \
         FROM ({})",
        generated_events(3, 40, 10, 2000)
    );
    let query = format!(
        "SELECT segment, \
         funnel(user_id, event_time, INTERVAL '2 days', event_name = 'view', event_name = 'buy') AS steps, \
         first_value(user_id ORDER BY event_time DESC, user_id + 1 DESC) AS last_user, \
         count(DISTINCT user_id % 7) AS distinct_residues, \
         count(*) FILTER (WHERE event_name = 'view') AS views \
         FROM ({events}) GROUP BY segment ORDER BY segment"
    );
    let (_, expected) = plan_and_rows(&partitioned_session(false)?, &query).await?;
    let (one_stage, rows) = plan_and_rows(&partitioned_session(true)?, &query).await?;
    assert_eq!(rows, expected);
    assert_eq!(rows.lines().count(), 3 + 4, "{rows}");
    let below_repartition = one_stage
        .lines()
        .skip_while(|line| !line.contains("RepartitionExec: partitioning=Hash([segment@0]"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        below_repartition.starts_with("          ProjectionExec:")
            && below_repartition.contains(" = buy as __argument_")
            && below_repartition.contains(" + 1 as __argument_")
            && below_repartition.contains(" % 7 as __argument_")
            && !below_repartition.contains("as event_name"),
        "{one_stage}"
    );
    assert!(
        one_stage.contains("AggregateExec: mode=SinglePartitioned"),
        "{one_stage}"
    );
    Ok(())
}

#[tokio::test]
async fn groups_spread_over_more_partitions_come_back_in_the_planned_ones() -> Result<()> {
    use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;
    // A key-set aggregate by segment joined by segment to an ordinary one (two stages, 4
    // partitions), the join partitioned: both sides must come out hash-partitioned by segment
    // into the 4 partitions the join was planned with.
    let events = generated_events(7, 60, 20, 3000);
    let joined = format!(
        "SELECT a.segment, a.dau_mau, b.users FROM \
         (SELECT segment, stickiness(user_id, event_time) AS dau_mau FROM ({events}) GROUP BY segment) a \
         JOIN (SELECT segment, count(DISTINCT user_id) AS users \
               FROM ({events}) WHERE user_id > 5 GROUP BY segment) b \
         ON a.segment = b.segment ORDER BY a.segment"
    );
    let mut config = SessionConfig::new();
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold = 0;
    optimizer.hash_join_single_partition_threshold_rows = 0;
    let (_, expected) = plan_and_rows(&session_with_rule(None, config.clone())?, &joined).await?;
    assert_eq!(expected.lines().count(), 7 + 4, "{expected}");
    let spread = OneStageKeySetAggregation::new().with_partitions_per_target(3);
    let (plan, rows) = plan_and_rows(&session_with_rule(Some(spread), config)?, &joined).await?;
    assert_eq!(rows, expected);
    assert!(plan.contains("HashJoinExec: mode=Partitioned"), "{plan}");
    // Rows by segment into 12 partitions, the aggregate's results back into 4.
    assert_eq!(
        plan.matches("AggregateExec: mode=SinglePartitioned")
            .count(),
        1,
        "{plan}"
    );
    assert!(
        plan.contains("partitioning=Hash([segment@0], 12)")
            && plan.contains("partitioning=Hash([segment@0], 4), input_partitions=12"),
        "{plan}"
    );
    Ok(())
}

#[tokio::test]
async fn few_groups_under_a_memory_limit_spill_in_small_batches() -> Result<()> {
    use datafusion::execution::SessionStateBuilder;
    use datafusion::execution::memory_pool::FairSpillPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::physical_plan::{ExecutionPlan, collect};
    use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;
    use std::sync::Arc;

    /// The one-stage aggregate's output batches and spills, summed over its partitions.
    fn aggregate_metrics(plan: &Arc<dyn ExecutionPlan>) -> Option<(usize, usize)> {
        if plan.name() == "AggregateExec" {
            use datafusion::physical_plan::metrics::MetricValue;
            let metrics = plan.metrics()?;
            let batches = metrics
                .sum(|m| matches!(m.value(), MetricValue::OutputBatches(_)))
                .map_or(0, |m| m.as_usize());
            return Some((batches, metrics.spill_count().unwrap_or(0)));
        }
        plan.children().into_iter().find_map(aggregate_metrics)
    }

    // 20 segments of 2,000 users (few groups: small batches) and the same events by user
    // (many groups: the session's batches), on 4 partitions, under a pool that makes them spill.
    let events = generated_events(20, 2000, 30, 40_000);
    let by = |key: &str| {
        format!(
            "SELECT {key}, stickiness(user_id, event_time) AS dau_mau, \
             feature_adoption(user_id, user_id % 3 = 0) AS adoption \
             FROM ({events}) GROUP BY {key} ORDER BY {key}"
        )
    };
    let rule = OneStageKeySetAggregation::new().with_small_spill_batches(2);
    for (key, groups, few) in [("segment", 20, true), ("user_id", 2000, false)] {
        let query = by(key);
        let (_, expected) = plan_and_rows(&partitioned_session(false)?, &query).await?;
        assert_eq!(expected.lines().count(), groups + 4);
        for pool in [None, Some(3_000_000)] {
            let mut runtime = RuntimeEnvBuilder::new();
            if let Some(bytes) = pool {
                runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
            }
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_config(
                    SessionConfig::new()
                        .with_target_partitions(4)
                        .with_sort_spill_reservation_bytes(64 << 10),
                )
                .with_runtime_env(runtime.build_arc()?)
                .with_physical_optimizer_rule(Arc::new(rule))
                .build();
            let mut ctx = SessionContext::new_with_state(state);
            datafusion_engagement::register_all(&mut ctx)?;
            let (plan_text, rows) = plan_and_rows(&ctx, &query).await?;
            assert_eq!(rows, expected, "{key}, pool {pool:?}");
            assert!(
                plan_text.contains("SmallBatchesIfFewGroups: rows=2")
                    && plan_text.contains("ProbedInput"),
                "{plan_text}"
            );
            let plan = ctx.sql(&query).await?.create_physical_plan().await?;
            let results = collect(Arc::clone(&plan), ctx.task_ctx()).await?;
            assert_eq!(results.iter().map(|b| b.num_rows()).sum::<usize>(), groups);
            let (batches, spills) = aggregate_metrics(&plan).expect("an aggregate");
            let shown = datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
                plan.as_ref(),
            )
            .indent(true)
            .to_string();
            // Few groups come out 2 rows a batch; many in the session's batches, a partition
            // (of 4) at a time.
            assert_eq!(
                batches >= groups / 2,
                few,
                "{key}: {batches} batches\n{shown}"
            );
            if pool.is_some() {
                assert!(spills > 0, "{key}: no spill\n{shown}");
            }
        }
    }
    Ok(())
}
