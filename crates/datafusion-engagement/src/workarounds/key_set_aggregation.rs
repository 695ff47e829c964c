//! A physical optimizer rule: grouped aggregates whose state is a set of keys per group run
//! in one stage.
//!
//! stickiness and the metrics over distinct users or sessions (feature_adoption, bounce_rate,
//! clv, …) keep, per group, the set of keys seen with a value each. DataFusion aggregates in
//! two stages: a partial aggregate per input partition, whose states are hash-repartitioned
//! by group to a final aggregate. With a set per group, one state row can hold millions of
//! keys, and DataFusion sizes batches by rows: under memory pressure the partial stage emits
//! early again and again, the repartition gathers those rows into batches of hundreds of
//! megabytes, and every copy of them (take, concat, spill, read back) is beyond what the
//! memory pool can bound. In one stage (rows repartitioned by group, then aggregated once) no
//! state crosses the repartition, each group's set exists once, and a state larger than the
//! pool is spilled or refused with DataFusion's "Resources exhausted" error.
//!
//! One stage also uses less memory and time without a limit (BENCHMARKS.md has the
//! measurements): repartitioning narrow rows costs less than building, shipping and merging
//! the partial sets.
//!
//! Ungrouped, such an aggregate runs in one stage too, over the input's partitions coalesced:
//! a user's events are spread over every partition, so no partial set can be reduced, and the
//! final stage (one thread) took in every key of every partial set again. Taking in the rows
//! once costs less than that alone (`page_summary` over 20M page views: 1.2–1.5 s and 0.52 GB
//! against 1.7–2.9 s and 1.0 GB). `engage` adds
//! the rule to every session, with 4 partitions per core unless a memory limit is set
//! ([`OneStageKeySetAggregation::with_partitions_per_target`]).

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::Result;
use datafusion::logical_expr::AggregateUDF;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::PhysicalSortExpr;
use datafusion::physical_expr::aggregate::{AggregateExprBuilder, AggregateFunctionExpr};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, PhysicalGroupBy};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};

use crate::all_aggregate_functions;

mod spill_batches;

/// Rewrites `final ← repartition by group ← partial` into `one stage ← repartition by group`
/// for grouped aggregates that include a function of this pack whose state is a set of keys
/// per group, and `final ← coalesce ← partial` into `one stage ← coalesce` for ungrouped ones
/// (see the [module documentation](self)). A group key that is an expression
/// (`date_trunc('month', event_time)`) is computed once, in a projection below the
/// repartition. Other aggregates are left as planned.
///
/// Rows are repartitioned by group into as many partitions as the final stage had, or a
/// multiple of that ([`Self::with_partitions_per_target`]).
///
/// Add it to a session:
///
/// ```
/// use std::sync::Arc;
/// use datafusion::execution::SessionStateBuilder;
/// use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;
///
/// let state = SessionStateBuilder::new()
///     .with_default_features()
///     .with_physical_optimizer_rule(Arc::new(OneStageKeySetAggregation::new()))
///     .build();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OneStageKeySetAggregation {
    partitions_per_target: usize,
    spill_batch_rows: Option<usize>,
}

impl Default for OneStageKeySetAggregation {
    fn default() -> Self {
        Self::new()
    }
}

impl OneStageKeySetAggregation {
    /// The rule, repartitioning rows into as many partitions as the final stage had.
    pub fn new() -> Self {
        Self {
            partitions_per_target: 1,
            spill_batch_rows: None,
        }
    }

    /// Repartitions rows by group into `n` times as many partitions as the final stage had
    /// (`n` of 0 counts as 1), and the aggregate's result rows back to the final stage's
    /// partitioning, so that the operators above see what they were planned for.
    ///
    /// With few groups, a partition per core leaves cores idle: 14 weekly cohorts hashed to
    /// 2 partitions may fall 2 and 12, and the partition of 12 runs alone for most of the
    /// query. More, smaller partitions than cores balance the work; the result rows, one per
    /// group, cost little to repartition again. Under a memory limit, keep 1: DataFusion's
    /// `FairSpillPool` gives each partition's aggregate an equal share of the pool, so more
    /// partitions spill sooner and more often.
    pub fn with_partitions_per_target(self, n: usize) -> Self {
        Self {
            partitions_per_target: n.max(1),
            ..self
        }
    }

    /// Runs each one-stage aggregate whose groups are few (counted in the first 65,536 rows of
    /// each partition's input) with batches of `rows` rows (0 counts as 1), its input and
    /// output in the session's batch size: for a session with a memory limit.
    ///
    /// DataFusion writes an aggregate's spills, and merges them back, in batches of the
    /// session's batch size in rows, and a key-set state row holds a whole group's keys: the
    /// merge of a few spills of 8,192-row batches held every spilled state, and a copy of it,
    /// outside the pool (stickiness by segment and month peaked at 515 MB under a 300 MB
    /// limit). With batches of a few rows, the pool bounds them. With many groups, rows are
    /// small and small batches would only be many: the aggregate runs as planned. The
    /// aggregate is wrapped in nodes of this crate (`SmallBatchesIfFewGroups` and the
    /// `ProbedInput` below it), which a plan sent to a Ballista cluster cannot carry: leave
    /// this off there.
    pub fn with_small_spill_batches(self, rows: usize) -> Self {
        Self {
            spill_batch_rows: Some(rows.max(1)),
            ..self
        }
    }
}

impl PhysicalOptimizerRule for OneStageKeySetAggregation {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|plan| {
            Ok(match in_one_stage(&plan, *self)? {
                Some(rewritten) => Transformed::yes(rewritten),
                None => Transformed::no(plan),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "OneStageKeySetAggregation"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The one-stage form of `plan`, if it is a final aggregate over a repartitioned partial one
/// that holds key sets, as `rule` says: over more partitions, with small spill batches.
fn in_one_stage(
    plan: &Arc<dyn ExecutionPlan>,
    rule: OneStageKeySetAggregation,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let partitions_per_target = rule.partitions_per_target;
    let Some(final_stage) = plan.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *final_stage.mode() == AggregateMode::Final {
        return ungrouped_in_one_stage(final_stage);
    }
    if *final_stage.mode() != AggregateMode::FinalPartitioned {
        return Ok(None);
    }
    let Some(repartition) = final_stage.input().downcast_ref::<RepartitionExec>() else {
        return Ok(None);
    };
    let Partitioning::Hash(_, partitions) = repartition.partitioning() else {
        return Ok(None);
    };
    let Some(partial) = partial_holding_key_sets(repartition.input()) else {
        return Ok(None);
    };
    let group_by = partial.group_expr();
    if !group_by.is_single() || group_by.is_empty() {
        return Ok(None);
    }
    let inputs = match repartition.preserve_order() {
        // The input's sort order may be on columns no aggregate reads: keep them all.
        true => with_group_keys_as_columns(partial.input(), partial)?,
        false => with_inputs_as_columns(partial)?,
    };
    let AggregateInputs {
        input,
        group_by,
        aggregates,
        filters,
    } = inputs;
    let final_partitioning = final_stage.properties().output_partitioning();
    // More partitions than planned only where the results can be put back in the planned
    // ones: by hash, and not in a sorted order the repartition would have to keep.
    let spread = partitions_per_target > 1
        && !repartition.preserve_order()
        && matches!(final_partitioning, Partitioning::Hash(_, n) if n == partitions);
    let row_partitions = match spread {
        true => partitions.saturating_mul(partitions_per_target),
        false => *partitions,
    };
    // The partitioning by the group keys, computed from the rows instead of the states.
    let rows_by_group = Partitioning::Hash(group_by.input_exprs(), row_partitions);
    let mut rows = RepartitionExec::try_new(Arc::clone(&input), rows_by_group)?;
    if repartition.preserve_order() {
        rows = rows.with_preserve_order();
    }
    let one_stage: Arc<dyn ExecutionPlan> = Arc::new(
        AggregateExec::try_new(
            AggregateMode::SinglePartitioned,
            group_by,
            aggregates,
            filters,
            Arc::new(rows),
            input.schema(),
        )?
        .with_limit_options(final_stage.limit_options()),
    );
    let one_stage = match rule.spill_batch_rows {
        Some(rows) => spill_batches::with_small_batches(one_stage, rows)?,
        None => one_stage,
    };
    if !spread {
        return Ok(Some(one_stage));
    }
    // Result rows back to the final stage's partitioning (the group keys lead its output, as
    // they lead ours), for a parent that relies on it, such as a join by the same keys.
    let results = RepartitionExec::try_new(one_stage, final_partitioning.clone())?;
    Ok(Some(Arc::new(results)))
}

/// The one-stage form of an ungrouped aggregate holding key sets: `final ← coalesce ←
/// partial` becomes `single ← coalesce`, the input's partitions still read at once below
/// the coalesce. In two stages, each partial aggregate keeps every key of its partition (a
/// user's events are spread over all of them, so none can be reduced), emits them as a
/// state, and the final aggregate, on one thread, takes every key in again: the same work as
/// taking in the rows, after the partial stage's. In one stage the rows are taken in once.
fn ungrouped_in_one_stage(final_stage: &AggregateExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(coalesce) = final_stage.input().downcast_ref::<CoalescePartitionsExec>() else {
        return Ok(None);
    };
    let Some(partial) = partial_holding_key_sets(coalesce.input()) else {
        return Ok(None);
    };
    if !partial.group_expr().is_empty() {
        return Ok(None);
    }
    let AggregateInputs {
        input,
        group_by,
        aggregates,
        filters,
    } = with_inputs_as_columns(partial)?;
    let rows = CoalescePartitionsExec::new(Arc::clone(&input)).with_fetch(coalesce.fetch());
    let one_stage = AggregateExec::try_new(
        AggregateMode::Single,
        group_by,
        aggregates,
        filters,
        Arc::new(rows),
        input.schema(),
    )?
    .with_limit_options(final_stage.limit_options());
    Ok(Some(Arc::new(one_stage)))
}

/// What the one-stage aggregate reads: its input, and its expressions over that input.
struct AggregateInputs {
    input: Arc<dyn ExecutionPlan>,
    group_by: PhysicalGroupBy,
    aggregates: Vec<Arc<AggregateFunctionExpr>>,
    filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
}

/// The partial aggregate's input with each group key that is not a column
/// (`date_trunc('month', event_time)`) computed once into a column of its own after the
/// input's columns, and the grouping by those columns. The repartition hashes the keys and the
/// aggregate groups by them: as expressions, both would compute them, twice per row
/// (stickiness by segment and month spent a fifth of its CPU in `date_trunc`, half of it the
/// repeat). Aggregate arguments and filters keep their column positions.
fn with_group_keys_as_columns(
    input: &Arc<dyn ExecutionPlan>,
    partial: &AggregateExec,
) -> Result<AggregateInputs> {
    let unchanged = |input: Arc<dyn ExecutionPlan>, group_by: PhysicalGroupBy| AggregateInputs {
        input,
        group_by,
        aggregates: partial.aggr_expr().to_vec(),
        filters: partial.filter_expr().to_vec(),
    };
    let group_by = partial.group_expr();
    if group_by.expr().iter().all(|(e, _)| is_column(e)) {
        return Ok(unchanged(Arc::clone(input), group_by.clone()));
    }
    let schema = input.schema();
    let mut columns = ProjectedColumns::default();
    for (i, field) in schema.fields().iter().enumerate() {
        columns.add(Arc::new(Column::new(field.name(), i)), field.name());
    }
    let group_by = columns.group_by(group_by);
    Ok(unchanged(columns.projection(input)?, group_by))
}

/// The partial aggregate's input reduced to what the aggregate reads, each expression
/// computed once into a column: the group keys, the arguments and the `FILTER` conditions.
/// They are then computed before the repartition, which ships their values instead of the
/// columns they are computed from: a funnel's steps (`event_name = 'login'`, …) cross it as
/// booleans rather than as the event names. Arguments without columns (the constants our
/// functions read when they are planned) stay where they are.
///
/// Falls back to [`with_group_keys_as_columns`] if an aggregate does not come out the same
/// over the new columns (its output field, say).
fn with_inputs_as_columns(partial: &AggregateExec) -> Result<AggregateInputs> {
    let input = partial.input();
    let mut columns = ProjectedColumns::default();
    let group_by = columns.group_by(partial.group_expr());
    let mut column_of = |expr: &Arc<dyn PhysicalExpr>| match collect_columns(expr).is_empty() {
        true => Arc::clone(expr),
        false => {
            let name = format!("__argument_{}", columns.len());
            columns.add(Arc::clone(expr), &name)
        }
    };
    let mut rewritten = Vec::with_capacity(partial.aggr_expr().len());
    for aggregate in partial.aggr_expr() {
        let args = aggregate.expressions().iter().map(&mut column_of).collect();
        let order_by = aggregate
            .order_bys()
            .iter()
            .map(|sort| PhysicalSortExpr::new(column_of(&sort.expr), sort.options))
            .collect::<Vec<_>>();
        rewritten.push((aggregate, args, order_by));
    }
    let filters: Vec<_> = partial
        .filter_expr()
        .iter()
        .map(|filter| filter.as_ref().map(&mut column_of))
        .collect();
    if columns.all_columns_of(&input.schema()) {
        // Nothing to compute and nothing to leave out.
        return with_group_keys_as_columns(input, partial);
    }
    let projected = columns.projection(input)?;
    let schema = projected.schema();
    let mut aggregates = Vec::with_capacity(rewritten.len());
    for (original, args, order_by) in rewritten {
        let mut builder = AggregateExprBuilder::new(Arc::new(original.fun().clone()), args)
            .schema(Arc::clone(&schema))
            .alias(original.name())
            .order_by(order_by)
            .with_ignore_nulls(original.ignore_nulls())
            .with_distinct(original.is_distinct())
            .with_reversed(original.is_reversed());
        if let Some(display) = original.human_display() {
            builder = builder.human_display(display);
        }
        if let Some(alias) = original.human_display_alias() {
            builder = builder.human_display_alias(alias);
        }
        match builder.build() {
            Ok(aggregate) if aggregate.field() == original.field() => {
                aggregates.push(Arc::new(aggregate))
            }
            _ => return with_group_keys_as_columns(input, partial),
        }
    }
    Ok(AggregateInputs {
        input: projected,
        group_by,
        aggregates,
        filters,
    })
}

/// The columns of a projection being planned: each expression once, under a unique name.
#[derive(Default)]
struct ProjectedColumns {
    columns: Vec<(Arc<dyn PhysicalExpr>, String)>,
}

impl ProjectedColumns {
    /// The column that holds `expr`: added, named after the column it is or `name` (made
    /// unique), unless already there.
    fn add(&mut self, expr: Arc<dyn PhysicalExpr>, name: &str) -> Arc<dyn PhysicalExpr> {
        let index = match self
            .columns
            .iter()
            .position(|(e, _)| e.as_ref() == expr.as_ref())
        {
            Some(index) => index,
            None => {
                let mut name = match expr.downcast_ref::<Column>() {
                    Some(column) => column.name().to_string(),
                    None => name.to_string(),
                };
                while self.columns.iter().any(|(_, taken)| *taken == name) {
                    name.insert(0, '_');
                }
                self.columns.push((expr, name));
                self.columns.len() - 1
            }
        };
        Arc::new(Column::new(&self.columns[index].1, index))
    }

    fn len(&self) -> usize {
        self.columns.len()
    }

    /// `group_by` over columns of the projection; each key keeps its alias.
    fn group_by(&mut self, group_by: &PhysicalGroupBy) -> PhysicalGroupBy {
        let keys = group_by
            .expr()
            .iter()
            .enumerate()
            .map(|(i, (expr, alias))| {
                (
                    self.add(Arc::clone(expr), &format!("__group_key_{i}")),
                    alias.clone(),
                )
            })
            .collect();
        PhysicalGroupBy::new_single(keys)
    }

    /// True if the projection would be `schema`'s columns, in their order.
    fn all_columns_of(&self, schema: &Schema) -> bool {
        self.columns.len() == schema.fields().len()
            && self.columns.iter().enumerate().all(|(i, (expr, _))| {
                expr.downcast_ref::<Column>()
                    .is_some_and(|c| c.index() == i)
            })
    }

    fn projection(self, input: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(ProjectionExec::try_new(
            self.columns,
            Arc::clone(input),
        )?))
    }
}

fn is_column(expr: &Arc<dyn PhysicalExpr>) -> bool {
    expr.downcast_ref::<Column>().is_some()
}

/// `plan` as a partial aggregate that includes a function of this pack holding key sets, if
/// it is one.
fn partial_holding_key_sets(plan: &Arc<dyn ExecutionPlan>) -> Option<&AggregateExec> {
    let partial = plan.downcast_ref::<AggregateExec>()?;
    let holds = partial.aggr_expr().iter().any(|e| holds_key_sets(e));
    (*partial.mode() == AggregateMode::Partial && holds).then_some(partial)
}

/// True for a function of this pack whose state holds a list (a set of keys) per group.
fn holds_key_sets(aggregate: &AggregateFunctionExpr) -> bool {
    let type_of = |function: &AggregateUDF| (function.inner().as_ref() as &dyn Any).type_id();
    let function = type_of(aggregate.fun());
    let ours = all_aggregate_functions()
        .iter()
        .any(|f| type_of(f) == function);
    ours && aggregate.state_fields().is_ok_and(|fields| {
        fields
            .iter()
            .any(|f| matches!(f.data_type(), DataType::List(_)))
    })
}
