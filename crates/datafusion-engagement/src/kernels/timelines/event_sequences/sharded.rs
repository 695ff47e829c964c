//! The single-group accumulator of the event-sequence kernel over users: its users split by
//! hash among shards, which take their rows in on threads of their own while the rows are
//! read.
//!
//! An ungrouped aggregate runs on one thread (DataFusion's single or final stage), and
//! taking a row in means finding its user in the (group, user) table, a cache miss on a table
//! of a million users, then logging its value: the one thread was the query's bottleneck
//! while the other cores, decoding Parquet, waited for it. Each shard has a table and a log
//! of its own. The observations are read from the rows once, on the calling thread, so that
//! user ids and payloads (pages) are interned once and mean the same in every shard; they are
//! handed to the shards' threads in chunks, and the calling thread reads on meanwhile. A
//! result gathers each shard's sequences into one, the shards' sequences numbered apart.
//!
//! The threads start with the first full chunk, so that the many small accumulators of a
//! window function's partitions start none, and stop when a state or a result is asked for.

use std::mem::size_of;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::Accumulator;
use datafusion::logical_expr::function::AccumulatorArgs;

use super::{EventSequenceMetric, GatherSequences, LoggedSequences, Numbering};
use crate::common::group_keys::GroupKeyTable;
use crate::common::user_ids::UserIds;
use crate::kernels::timelines::{
    ObservedBatch, Output, Store, TimelineSlot, Timelines, keys_by_timeline, observations_of_rows,
    observations_of_states, state_of_parts,
};

/// Observations gathered before they are handed to the shards: enough that a handover costs
/// little beside the work (a few microseconds against milliseconds).
const ROWS_PER_HANDOVER: usize = 1 << 16;
/// Chunks a shard's thread may have waiting before the reading thread waits for it.
const CHUNKS_AHEAD: usize = 2;

/// The accumulator. See the [module documentation](self).
#[derive(Debug)]
pub(super) struct ShardedSequences<M: EventSequenceMetric> {
    ids: UserIds,
    payload_ids: UserIds,
    /// The observations of the batch being read.
    batch: ObservedBatch,
    shards: ShardSet<M>,
}

/// The shards, and the observations on their way to them.
#[derive(Debug)]
struct ShardSet<M: EventSequenceMetric> {
    cx: M::Context,
    /// By shard, the observations handed to it and not yet sent.
    waiting: Vec<ObservedBatch>,
    /// Observations in `waiting`.
    pending: usize,
    place: Place<M>,
}

/// A shard: the timelines of the users that hash to it.
#[derive(Debug)]
struct Shard<M> {
    table: GroupKeyTable<TimelineSlot>,
    store: LoggedSequences<M>,
}

impl<M: EventSequenceMetric> Shard<M> {
    /// Takes in `batch`'s observations and empties it.
    fn take_in(&mut self, cx: &M::Context, batch: &mut ObservedBatch) {
        if !batch.keys.is_empty() {
            self.store.observe(cx, &mut self.table, batch);
        }
        batch.keys.clear();
        batch.observations.clear();
    }

    fn timelines(&self) -> usize {
        self.store.timeline_count()
    }

    fn keys_by_timeline(&self) -> Vec<TimelineSlot> {
        keys_by_timeline(&self.table, self.timelines())
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.table.size() + self.store.size()
    }
}

/// Where the shards are: here, or each on its thread taking in the chunks sent to it.
#[derive(Debug)]
enum Place<M> {
    Here(Vec<Shard<M>>),
    Working(Vec<Worker<M>>),
}

/// A shard's thread.
#[derive(Debug)]
struct Worker<M> {
    chunks: SyncSender<ObservedBatch>,
    /// Chunks taken in, for the reading thread to fill again (behind a lock only because an
    /// accumulator must be `Sync`: the reading thread alone receives).
    emptied: Mutex<Receiver<ObservedBatch>>,
    /// The shard's heap bytes after its last chunk.
    bytes: Arc<AtomicUsize>,
    /// Gives the shard back once `chunks` is dropped.
    thread: JoinHandle<Shard<M>>,
}

impl<M: EventSequenceMetric> Worker<M> {
    fn start(mut shard: Shard<M>, cx: M::Context) -> Self {
        let (chunks, to_take_in) = sync_channel::<ObservedBatch>(CHUNKS_AHEAD);
        let (give_back, emptied) = sync_channel(CHUNKS_AHEAD + 1);
        let bytes = Arc::new(AtomicUsize::new(shard.size()));
        let shard_bytes = Arc::clone(&bytes);
        let thread = std::thread::spawn(move || {
            for mut chunk in to_take_in {
                shard.take_in(&cx, &mut chunk);
                shard_bytes.store(shard.size(), Ordering::Relaxed);
                // The reading thread may have stopped taking chunks back: then drop it.
                let _ = give_back.try_send(chunk);
            }
            shard
        });
        Self {
            chunks,
            emptied: Mutex::new(emptied),
            bytes,
            thread,
        }
    }

    /// Waits for the shard's thread to take in what it was sent, and takes the shard back.
    fn stop(self) -> Shard<M> {
        drop(self.chunks);
        match self.thread.join() {
            Ok(shard) => shard,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl<M: EventSequenceMetric> ShardedSequences<M> {
    /// The accumulator with `shards` shards (at least one).
    pub(super) fn new(rule: M::Rule, args: &AccumulatorArgs, shards: usize) -> Result<Self> {
        let Timelines {
            cx,
            keys,
            payload_ids,
            ..
        } = Timelines::<M, LoggedSequences<M>>::new(rule, args)?;
        let shards = shards.max(1);
        let here = (0..shards)
            .map(|_| Shard {
                table: GroupKeyTable::new(),
                store: LoggedSequences::default(),
            })
            .collect();
        Ok(Self {
            ids: keys.ids,
            payload_ids,
            batch: ObservedBatch::default(),
            shards: ShardSet {
                cx,
                waiting: (0..shards).map(|_| ObservedBatch::default()).collect(),
                pending: 0,
                place: Place::Here(here),
            },
        })
    }
}

impl<M: EventSequenceMetric> ShardSet<M> {
    /// Hands each observation of `batch` to the shard of its user, and sends the shards
    /// their chunks once they are full.
    fn hand_over(&mut self, batch: &ObservedBatch) -> Result<()> {
        let count = self.waiting.len() as u64;
        for (&key, &observation) in batch.keys.iter().zip(&batch.observations) {
            // Multiplied, then the high bits: string ids are dense numbers, integer ids anything.
            let mixed = key.1.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
            self.waiting[(mixed % count) as usize].push(key, observation);
        }
        self.pending += batch.keys.len();
        if self.pending >= ROWS_PER_HANDOVER {
            self.send()?;
        }
        Ok(())
    }

    /// Sends each shard its waiting chunk, starting the threads if they are not running.
    fn send(&mut self) -> Result<()> {
        if let Place::Here(shards) = &mut self.place {
            if shards.len() == 1 {
                // One shard: no thread to wait for.
                shards[0].take_in(&self.cx, &mut self.waiting[0]);
                self.pending = 0;
                return Ok(());
            }
            let workers = std::mem::take(shards)
                .into_iter()
                .map(|shard| Worker::start(shard, self.cx.clone()))
                .collect();
            self.place = Place::Working(workers);
        }
        let Place::Working(workers) = &mut self.place else {
            unreachable!("the shards were just started");
        };
        for (worker, waiting) in workers.iter().zip(&mut self.waiting) {
            let emptied = worker.emptied.lock().ok();
            let refill = emptied.and_then(|e| e.try_recv().ok()).unwrap_or_default();
            let chunk = std::mem::replace(waiting, refill);
            if worker.chunks.send(chunk).is_err() {
                // The thread ended before its channel closed: it panicked.
                return internal_err!("{}: a shard's thread stopped", M::NAME);
            }
        }
        self.pending = 0;
        Ok(())
    }

    /// The shards, here with everything taken in (their threads stopped), and the context
    /// they are read with.
    fn here(&mut self) -> (&M::Context, &mut Vec<Shard<M>>) {
        if let Place::Working(workers) = &mut self.place {
            let here = std::mem::take(workers)
                .into_iter()
                .map(Worker::stop)
                .collect();
            self.place = Place::Here(here);
        }
        let Place::Here(shards) = &mut self.place else {
            unreachable!("the shards were just stopped");
        };
        for (shard, waiting) in shards.iter_mut().zip(&mut self.waiting) {
            shard.take_in(&self.cx, waiting);
        }
        self.pending = 0;
        (&self.cx, shards)
    }

    fn check_timelines(&self) -> Result<()> {
        let Place::Here(shards) = &self.place else {
            // A shard's thread stops at u32::MAX timelines only when asked for a result.
            return Ok(());
        };
        if shards.iter().any(|s| s.timelines() >= u32::MAX as usize) {
            return internal_err!("{}: more than {} users in one aggregate", M::NAME, u32::MAX);
        }
        Ok(())
    }

    fn size(&self) -> usize {
        let shards = match &self.place {
            Place::Here(shards) => shards.iter().map(Shard::size).sum::<usize>(),
            Place::Working(workers) => workers
                .iter()
                .map(|w| w.bytes.load(Ordering::Relaxed))
                .sum(),
        };
        self.waiting.iter().map(ObservedBatch::size).sum::<usize>() + shards
    }
}

impl<M: EventSequenceMetric> Accumulator for ShardedSequences<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.shards.check_timelines()?;
        let rows = Timelines::<M, LoggedSequences<M>>::selected_rows(values, None);
        observations_of_rows::<M, LoggedSequences<M>>(
            &self.shards.cx,
            &mut self.ids,
            &mut self.payload_ids,
            values,
            &rows,
            |_| 0,
            &mut self.batch,
        )?;
        self.shards.hand_over(&self.batch)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.shards.check_timelines()?;
        let Self {
            ids,
            payload_ids,
            batch,
            shards,
        } = self;
        let mut handed = Ok(());
        let merged = observations_of_states::<M>(
            (ids, payload_ids),
            states,
            |_| 0,
            batch,
            |batch| {
                if handed.is_ok() {
                    handed = shards.hand_over(batch);
                }
            },
        );
        merged.and(handed)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (cx, shards) = self.shards.here();
        let mut parts: Vec<_> = shards
            .iter_mut()
            .map(|shard| (shard.keys_by_timeline(), &mut shard.store))
            .collect();
        let ids = (&self.ids, &self.payload_ids);
        state_of_parts::<M, LoggedSequences<M>>(cx, &mut parts, 1, ids)?
            .iter()
            .map(|list| ScalarValue::try_from_array(list, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (cx, shards) = self.shards.here();
        let count = shards.len();
        let most = shards.iter().map(Shard::timelines).max().unwrap_or(0);
        let mut gathered: Option<M::Gathered> = None;
        for (shard, part) in shards.iter_mut().enumerate() {
            let numbering = Numbering {
                sequences: most * count,
                shards: count,
                shard,
            };
            let keys = part.keys_by_timeline();
            // A window frame evaluates again as rows come: keep the values.
            let part = part
                .store
                .gather(cx, &keys, 1, false, &self.payload_ids, numbering)?;
            match &mut gathered {
                Some(all) => all.absorb(part),
                None => gathered = Some(part),
            }
        }
        let Some(gathered) = gathered else {
            return internal_err!("{}: an accumulator without shards", M::NAME);
        };
        let shards = &*shards;
        let seen_alone = |group| shards.iter().any(|s| s.store.seen_alone(group).is_some());
        let rows = gathered.rows(cx, 1, seen_alone, &self.payload_ids)?;
        let result = M::Output::finish(M::NAME, rows, &self.payload_ids)?;
        ScalarValue::try_from_array(&result, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.ids.size()
            + self.payload_ids.size()
            + self.batch.size()
            + self.shards.size()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, FieldRef, IntervalMonthDayNano, Schema};
    use datafusion::physical_expr::PhysicalExpr;
    use datafusion::physical_expr::expressions::{Column, Literal};

    use super::*;
    use crate::families::sessions::SessionsFromLog;
    use crate::page_summary::PageSummary;
    use crate::session_summary::SessionSummary;

    /// `rows` page views of 3,000 users (ids spread over the integers) on 7 pages within two
    /// days, some at one instant, a few without a page: (user, time, page) columns.
    fn views(rows: usize) -> Vec<ArrayRef> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut users = Vec::with_capacity(rows);
        let mut times = Vec::with_capacity(rows);
        let mut pages = Vec::with_capacity(rows);
        for _ in 0..rows {
            users.push((next() % 3_000) as i64 * 7_919 - 1_000_000);
            // Whole minutes over two days: views at one instant, and gaps either side of 30.
            times.push((next() % 2_880) as i64 * 60_000_000);
            let page = next() % 8;
            pages.push((page < 7).then(|| format!("/page-{page}")));
        }
        vec![
            Arc::new(Int64Array::from(users)),
            Arc::new(TimestampMicrosecondArray::from(times)),
            Arc::new(StringArray::from(pages)),
        ]
    }

    /// Runs `f` with the accumulator arguments of `M(user_id, viewed_at[, page], INTERVAL
    /// '30 minutes')` over `columns`.
    fn with_args<T>(
        name: &str,
        return_type: DataType,
        columns: &[ArrayRef],
        f: impl FnOnce(&AccumulatorArgs) -> T,
    ) -> T {
        let fields: Vec<FieldRef> = ["user_id", "viewed_at", "page"]
            .iter()
            .zip(columns)
            .map(|(name, column)| Arc::new(Field::new(*name, column.data_type().clone(), true)))
            .collect();
        let schema = Schema::new(fields.clone());
        let gap = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
            0,
            0,
            30 * 60 * 1_000_000_000,
        )));
        let mut exprs: Vec<Arc<dyn PhysicalExpr>> = fields
            .iter()
            .enumerate()
            .map(|(i, field)| Arc::new(Column::new(field.name(), i)) as Arc<dyn PhysicalExpr>)
            .collect();
        exprs.push(Arc::new(Literal::new(gap.clone())));
        let mut expr_fields = fields.clone();
        expr_fields.push(Arc::new(Field::new("gap", gap.data_type(), false)));
        let args = AccumulatorArgs {
            return_field: Arc::new(Field::new(name, return_type, true)),
            schema: &schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name,
            is_distinct: false,
            exprs: &exprs,
            expr_fields: &expr_fields,
        };
        f(&args)
    }

    /// The result of `M` over `columns` with `shards` shards, fed in batches of 8,192 rows:
    /// directly, or (`through_states`) split in three accumulators whose states a fourth
    /// merges.
    fn result_of<M: EventSequenceMetric>(
        columns: &[ArrayRef],
        shards: usize,
        through_states: bool,
    ) -> ScalarValue {
        let new = || {
            with_args(M::NAME, M::return_type(), columns, |args| {
                let gap = args.exprs[args.exprs.len() - 1]
                    .downcast_ref::<Literal>()
                    .map(|l| l.value().clone());
                let rule = M::rule(&[gap, None]).unwrap();
                ShardedSequences::<M>::new(rule, args, shards).unwrap()
            })
        };
        let rows = columns[0].len();
        let batches = (0..rows).step_by(8_192).map(|start| {
            let len = 8_192.min(rows - start);
            columns
                .iter()
                .map(|c| c.slice(start, len))
                .collect::<Vec<_>>()
        });
        if !through_states {
            let mut accumulator = new();
            for batch in batches {
                accumulator.update_batch(&batch).unwrap();
            }
            return accumulator.evaluate().unwrap();
        }
        let mut parts = [new(), new(), new()];
        for (i, batch) in batches.enumerate() {
            parts[i % 3].update_batch(&batch).unwrap();
        }
        let mut whole = new();
        for part in &mut parts {
            let state: Vec<ArrayRef> = part
                .state()
                .unwrap()
                .iter()
                .map(|s| s.to_array().unwrap())
                .collect();
            whole.merge_batch(&state).unwrap();
        }
        whole.evaluate().unwrap()
    }

    fn same_in_any_shards<M: EventSequenceMetric>(columns: &[ArrayRef]) {
        let one = result_of::<M>(columns, 1, false);
        assert!(!one.is_null(), "{}: {one}", M::NAME);
        for shards in [2, 3] {
            assert_eq!(
                result_of::<M>(columns, shards, false),
                one,
                "{shards} shards"
            );
            assert_eq!(
                result_of::<M>(columns, shards, true),
                one,
                "{shards} shards, merged"
            );
        }
    }

    #[test]
    fn shards_give_the_result_of_one_directly_and_through_states() {
        // More rows than a handover, so that the shards take them in on threads.
        let columns = views(3 * ROWS_PER_HANDOVER);
        same_in_any_shards::<PageSummary>(&columns);
        same_in_any_shards::<SessionsFromLog<SessionSummary>>(&columns[..2]);
    }
}
