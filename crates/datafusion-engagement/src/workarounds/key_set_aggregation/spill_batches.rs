//! Small spill batches for one-stage key-set aggregates under a memory limit.
//!
//! An aggregate that spills writes its states sorted by group in batches of the session's
//! batch size (8,192 rows), and merges the spill files back through a stream that holds one
//! batch of every file and copies the rows it merges into output batches of that size. A key-set
//! state row holds a whole group's keys, hundreds of kilobytes: a spill of 75 groups is one
//! batch of tens of megabytes, and the merge of six such spills held all of them and a copy
//! of all of them at once. Stickiness by segment and month peaked at 515 MB under a 300 MB
//! limit. DataFusion sizes those batches by rows only, from the task's configuration, so the
//! aggregate alone is run with a batch size of a few rows: its spill files, merges and output
//! come in small batches, which the memory pool can bound. Its input keeps the session's batch
//! size, and its output is gathered back into batches of that size.
//!
//! Only where groups are few: with a million groups of a few keys each, rows are small, and
//! spills in batches of a few rows are many thousands of batches (stickiness by user under a
//! 100 MB limit took 4.5 × as long). Each partition's aggregate therefore starts by reading
//! [`PROBE_ROWS`] rows of its input and counting their groups; the rows are then handed to the
//! aggregate first, then the rest of the input.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fmt::Formatter;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::BatchCoalescer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::hash_utils::create_hashes_with_hasher;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{internal_datafusion_err, internal_err};
use datafusion::error::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::{Stream, StreamExt, TryStreamExt};

/// Rows of a partition's input read, before its aggregate starts, to count their groups.
const PROBE_ROWS: usize = 65_536;
/// Small batches where the probe's rows are at least this many times its groups: one-stage
/// aggregates by segment and month see a few hundred groups in 65,536 rows, by user
/// tens of thousands (a few thousand even when the input is sorted by user).
const ROWS_PER_GROUP_FOR_SMALL_BATCHES: usize = 64;

/// The aggregate `aggregate` (over group keys that are columns) run with batches of `rows`
/// rows when its groups are few; `aggregate` itself otherwise.
pub(super) fn with_small_batches(
    aggregate: Arc<dyn ExecutionPlan>,
    rows: usize,
) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(exec) = aggregate.downcast_ref::<AggregateExec>() else {
        return Ok(aggregate);
    };
    let group_columns: Option<Vec<usize>> = exec
        .group_expr()
        .expr()
        .iter()
        .map(|(expr, _)| expr.downcast_ref::<Column>().map(Column::index))
        .collect();
    let Some(group_columns) = group_columns else {
        return Ok(aggregate);
    };
    let [input] = aggregate.children()[..] else {
        return internal_err!("an aggregate has one input");
    };
    let input = ProbedInput::new(Arc::clone(input));
    let aggregate = Arc::clone(&aggregate).replace_children(vec![Arc::new(input)], recompute())?;
    Ok(Arc::new(SmallBatchesIfFewGroups {
        properties: Arc::clone(aggregate.properties()),
        aggregate,
        rows,
        group_columns,
    }))
}

/// A partition's probed rows and the rest of its input, from the aggregate above to its input
/// below.
#[derive(Default)]
struct Probed(Mutex<HashMap<usize, ProbedPartition>>);

type ProbedPartition = (Vec<RecordBatch>, SendableRecordBatchStream);

impl Probed {
    fn put(&self, partition: usize, probed: ProbedPartition) -> Result<()> {
        self.partitions()?.insert(partition, probed);
        Ok(())
    }

    fn take(&self, partition: usize) -> Result<Option<ProbedPartition>> {
        Ok(self.partitions()?.remove(&partition))
    }

    fn partitions(&self) -> Result<std::sync::MutexGuard<'_, HashMap<usize, ProbedPartition>>> {
        self.0
            .lock()
            .map_err(|_| internal_datafusion_err!("a probe's lock was poisoned"))
    }
}

impl std::fmt::Debug for Probed {
    fn fmt(&self, f: &mut Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probed")
    }
}

/// Runs the aggregate below it with batches of `rows` rows if the first rows of its input
/// show few groups: see the [module documentation](self).
#[derive(Debug)]
pub(super) struct SmallBatchesIfFewGroups {
    aggregate: Arc<dyn ExecutionPlan>,
    rows: usize,
    /// The group keys' columns in the aggregate's input.
    group_columns: Vec<usize>,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for SmallBatchesIfFewGroups {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut Formatter) -> std::fmt::Result {
        write!(f, "SmallBatchesIfFewGroups: rows={}", self.rows)
    }
}

impl ExecutionPlan for SmallBatchesIfFewGroups {
    fn name(&self) -> &str {
        "SmallBatchesIfFewGroups"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.aggregate]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [aggregate] = &children[..] else {
            return internal_err!("SmallBatchesIfFewGroups takes one input");
        };
        // Rebuilt around the new aggregate, so that its input is probed again.
        let Some(exec) = aggregate.downcast_ref::<AggregateExec>() else {
            return Ok(Arc::clone(aggregate));
        };
        let [input] = exec.children()[..] else {
            return internal_err!("an aggregate has one input");
        };
        let input = match input.downcast_ref::<ProbedInput>() {
            Some(probed) => Arc::clone(&probed.input),
            None => Arc::clone(input),
        };
        let aggregate = Arc::clone(aggregate).replace_children(vec![input], recompute())?;
        with_small_batches(aggregate, self.rows)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, recompute())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let aggregate = Arc::clone(&self.aggregate);
        let [input] = aggregate.children()[..] else {
            return internal_err!("an aggregate has one input");
        };
        // The rows go to the aggregate through the input node it reads from.
        let (input, probed) = match input.downcast_ref::<ProbedInput>() {
            Some(probed) => (Arc::clone(&probed.input), Arc::clone(&probed.probed)),
            None => return aggregate.execute(partition, context),
        };
        let (rows, group_columns) = (self.rows, self.group_columns.clone());
        let schema = aggregate.schema();
        let start = async move {
            let mut rest = input.execute(partition, Arc::clone(&context))?;
            let mut probe = vec![];
            let mut probe_rows = 0;
            while probe_rows < PROBE_ROWS {
                let Some(batch) = rest.next().await else {
                    break;
                };
                let batch = batch?;
                probe_rows += batch.num_rows();
                probe.push(batch);
            }
            let few_groups = distinct_groups(&probe, &group_columns)?
                * ROWS_PER_GROUP_FOR_SMALL_BATCHES
                <= probe_rows;
            probed.put(partition, (probe, rest))?;
            if !few_groups {
                return aggregate.execute(partition, context);
            }
            let session_rows = context.session_config().batch_size();
            let config = context.session_config().clone().with_batch_size(rows);
            let small = Arc::new(TaskContext::new(
                context.task_id(),
                context.session_id(),
                config,
                context.scalar_functions().clone(),
                context.higher_order_functions().clone(),
                context.aggregate_functions().clone(),
                context.window_functions().clone(),
                context.runtime_env(),
            ));
            let output = aggregate.execute(partition, small)?;
            Ok(Box::pin(Gathered::new(output, session_rows)) as SendableRecordBatchStream)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::once(start).try_flatten(),
        )))
    }
}

/// How many distinct group keys (by hash) the batches hold.
fn distinct_groups(batches: &[RecordBatch], group_columns: &[usize]) -> Result<usize> {
    let state = RandomState::new();
    let mut seen = HashSet::new();
    let mut hashes = vec![];
    for batch in batches {
        hashes.clear();
        hashes.resize(batch.num_rows(), 0);
        let keys: Vec<&ArrayRef> = group_columns.iter().map(|&i| batch.column(i)).collect();
        create_hashes_with_hasher(keys, &state, &mut hashes)?;
        seen.extend(hashes.iter().copied());
    }
    Ok(seen.len())
}

/// The aggregate's input: a partition's probed rows and then the rest of it, as left by the
/// [`SmallBatchesIfFewGroups`] above; the input itself if nothing was left (the aggregate run
/// on its own).
#[derive(Debug)]
struct ProbedInput {
    input: Arc<dyn ExecutionPlan>,
    probed: Arc<Probed>,
    properties: Arc<PlanProperties>,
}

impl ProbedInput {
    fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        let properties = Arc::clone(input.properties());
        Self {
            input,
            probed: Arc::new(Probed::default()),
            properties,
        }
    }
}

impl DisplayAs for ProbedInput {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut Formatter) -> std::fmt::Result {
        write!(f, "ProbedInput")
    }
}

impl ExecutionPlan for ProbedInput {
    fn name(&self) -> &str {
        "ProbedInput"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("ProbedInput takes one input, not {}", children.len());
        }
        Ok(Arc::new(Self::new(children.swap_remove(0))))
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, recompute())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some((probe, rest)) = self.probed.take(partition)? else {
            return self.input.execute(partition, context);
        };
        let schema = rest.schema();
        let replayed = futures::stream::iter(probe.into_iter().map(Ok)).chain(rest);
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, replayed)))
    }
}

fn recompute() -> ReplaceChildrenOptions {
    ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute)
}

/// The aggregate's small output batches gathered into batches of the session's size.
struct Gathered {
    input: SendableRecordBatchStream,
    coalescer: BatchCoalescer,
    finished: bool,
}

impl Gathered {
    fn new(input: SendableRecordBatchStream, rows: usize) -> Self {
        let coalescer = BatchCoalescer::new(input.schema(), rows);
        Self {
            input,
            coalescer,
            finished: false,
        }
    }
}

impl Stream for Gathered {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(batch) = self.coalescer.next_completed_batch() {
                return Poll::Ready(Some(Ok(batch)));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            match ready!(self.input.poll_next_unpin(cx)) {
                Some(Ok(batch)) => {
                    if let Err(e) = self.coalescer.push_batch(batch) {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    self.finished = true;
                    if let Err(e) = self.coalescer.finish_buffered_batch() {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
            }
        }
    }
}

impl RecordBatchStream for Gathered {
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
}
