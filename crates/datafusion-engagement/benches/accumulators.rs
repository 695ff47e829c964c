//! Criterion benches of every aggregate's native `GroupsAccumulator`: update, merge and
//! evaluate, over 1 M rows spread across 10, 1 000 and 1 000 000 groups, with and without
//! NULLs and a FILTER.
//!
//! `cargo bench -p datafusion-engagement --bench accumulators` (add a filter such as `nps/` to
//! run one function).

use std::hint::black_box;
use std::sync::Arc;

#[path = "../tests/support/case.rs"]
#[allow(dead_code)]
mod case;

use case::Case;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

const ROWS: usize = 1 << 20;
const BATCH: usize = 8192;
const GROUP_COUNTS: [usize; 3] = [10, 1_000, 1_000_000];

/// A deterministic pseudo-random sequence (SplitMix64).
fn random(seed: u64) -> impl Iterator<Item = u64> {
    let mut state = seed;
    std::iter::repeat_with(move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// Every tenth value NULL when `nulls`.
fn nullable<T>(values: impl Iterator<Item = T>, nulls: bool) -> impl Iterator<Item = Option<T>> {
    values
        .enumerate()
        .map(move |(i, v)| (!nulls || i % 10 != 3).then_some(v))
}

fn cases(nulls: bool) -> Vec<Case> {
    let scores = |max: u64, seed| -> ArrayRef {
        Arc::new(Int64Array::from_iter(nullable(
            random(seed).take(ROWS).map(|r| (r % (max + 1)) as i64),
            nulls,
        )))
    };
    let booleans = |seed| -> ArrayRef {
        Arc::new(BooleanArray::from_iter(nullable(
            random(seed).take(ROWS).map(|r| r % 4 != 0),
            nulls,
        )))
    };
    let users: ArrayRef = Arc::new(Int64Array::from_iter(nullable(
        random(7).take(ROWS).map(|r| (r % 200_000) as i64),
        nulls,
    )));
    let day = 86_400_000_000i64;
    let times: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from_iter(nullable(
            random(8)
                .take(ROWS)
                .map(|r| 1_782_864_000_000_000 + (r % 90) as i64 * day),
            nulls,
        ))
        .with_timezone("UTC"),
    );
    let names = ["login", "view", "export", "invite", "ticket"];
    let events: ArrayRef = Arc::new(StringArray::from_iter(nullable(
        random(9).take(ROWS).map(|r| names[(r % 5) as usize]),
        nulls,
    )));
    vec![
        Case {
            function: "nps",
            columns: vec![("score", scores(10, 1))],
            constants: vec![],
        },
        Case {
            function: "csat",
            columns: vec![("score", scores(5, 2))],
            constants: vec![(1, ScalarValue::Int64(Some(5)))],
        },
        Case {
            function: "ces",
            columns: vec![("score", scores(7, 3))],
            constants: vec![],
        },
        Case {
            function: "churn_rate",
            columns: vec![("at_start", booleans(4)), ("at_end", booleans(5))],
            constants: vec![],
        },
        Case {
            function: "retention_rate",
            columns: vec![("at_start", booleans(4)), ("at_end", booleans(6))],
            constants: vec![],
        },
        Case {
            function: "engagement_score",
            columns: vec![("event", events)],
            constants: vec![(
                1,
                ScalarValue::Utf8(Some(
                    "login=0.2, view=0.1, export=1, invite=3, ticket=-2".into(),
                )),
            )],
        },
        Case {
            function: "stickiness",
            columns: vec![("user_id", users), ("event_time", times)],
            constants: vec![],
        },
    ]
}

/// Scores of 0 are invalid for csat/ces: shift them into range.
fn in_range(mut case: Case) -> Case {
    if matches!(case.function, "csat" | "ces") {
        let scores = case.columns[0]
            .1
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        case.columns[0].1 = Arc::new(Int64Array::from_iter(
            scores.iter().map(|s| s.map(|s| s.max(1))),
        ));
    }
    case
}

fn accumulator(case: &Case) -> Box<dyn GroupsAccumulator> {
    case.with_args(|udaf, args| udaf.create_groups_accumulator(args).unwrap())
}

/// The argument arrays batch by batch, as the engine passes them.
fn batches(case: &Case) -> Vec<Vec<ArrayRef>> {
    (0..ROWS)
        .step_by(BATCH)
        .map(|start| case.values(start..(start + BATCH).min(ROWS)))
        .collect()
}

/// Group indices of each batch: every group seen, in random order.
fn group_indices(groups: usize) -> Vec<Vec<usize>> {
    let all: Vec<usize> = random(11)
        .take(ROWS)
        .enumerate()
        .map(|(i, r)| {
            if i < groups {
                i
            } else {
                (r % groups as u64) as usize
            }
        })
        .collect();
    all.chunks(BATCH).map(<[usize]>::to_vec).collect()
}

fn update(
    accumulator: &mut dyn GroupsAccumulator,
    batches: &[Vec<ArrayRef>],
    groups: &[Vec<usize>],
    filters: Option<&[BooleanArray]>,
    total_groups: usize,
) {
    for (i, (values, indices)) in batches.iter().zip(groups).enumerate() {
        accumulator
            .update_batch(values, indices, filters.map(|f| &f[i]), total_groups)
            .unwrap();
    }
}

fn bench(c: &mut Criterion) {
    for nulls in [false, true] {
        for case in cases(nulls).into_iter().map(in_range) {
            let batches = batches(&case);
            let filters: Vec<BooleanArray> = (0..batches.len())
                .map(|b| {
                    BooleanArray::from_iter(
                        random(100 + b as u64).take(BATCH).map(|r| Some(r % 2 == 0)),
                    )
                })
                .collect();
            let label = if nulls { "with_nulls" } else { "no_nulls" };
            let mut group = c.benchmark_group(format!("{}/{label}", case.function));
            group.sample_size(10);
            group.warm_up_time(std::time::Duration::from_millis(500));
            group.measurement_time(std::time::Duration::from_secs(2));
            group.throughput(Throughput::Elements(ROWS as u64));
            for groups in GROUP_COUNTS {
                let indices = group_indices(groups);
                group.bench_function(BenchmarkId::new("update", groups), |b| {
                    b.iter_batched_ref(
                        || accumulator(&case),
                        |acc| update(acc.as_mut(), &batches, &indices, None, groups),
                        BatchSize::LargeInput,
                    )
                });
                if !nulls {
                    group.bench_function(BenchmarkId::new("update_filtered", groups), |b| {
                        b.iter_batched_ref(
                            || accumulator(&case),
                            |acc| update(acc.as_mut(), &batches, &indices, Some(&filters), groups),
                            BatchSize::LargeInput,
                        )
                    });
                }
                // Partial states of two halves, merged into a final accumulator.
                let states: Vec<(Vec<ArrayRef>, Vec<usize>)> =
                    [0..batches.len() / 2, batches.len() / 2..batches.len()]
                        .into_iter()
                        .map(|half| {
                            let mut partial = accumulator(&case);
                            let mut seen: Vec<usize> = vec![];
                            let mut local = std::collections::HashMap::new();
                            let local_indices: Vec<Vec<usize>> = indices[half.clone()]
                                .iter()
                                .map(|batch| {
                                    batch
                                        .iter()
                                        .map(|g| {
                                            *local.entry(*g).or_insert_with(|| {
                                                seen.push(*g);
                                                seen.len() - 1
                                            })
                                        })
                                        .collect()
                                })
                                .collect();
                            update(
                                partial.as_mut(),
                                &batches[half],
                                &local_indices,
                                None,
                                seen.len(),
                            );
                            (partial.state(EmitTo::All).unwrap(), seen)
                        })
                        .collect();
                group.bench_function(BenchmarkId::new("merge", groups), |b| {
                    b.iter_batched_ref(
                        || accumulator(&case),
                        |acc| {
                            for (state, group_ids) in &states {
                                for start in (0..group_ids.len()).step_by(BATCH) {
                                    let len = BATCH.min(group_ids.len() - start);
                                    let slice: Vec<ArrayRef> =
                                        state.iter().map(|s| s.slice(start, len)).collect();
                                    acc.merge_batch(&slice, &group_ids[start..start + len], groups)
                                        .unwrap();
                                }
                            }
                        },
                        BatchSize::LargeInput,
                    )
                });
                group.bench_function(BenchmarkId::new("evaluate", groups), |b| {
                    b.iter_batched(
                        || {
                            let mut acc = accumulator(&case);
                            update(acc.as_mut(), &batches, &indices, None, groups);
                            acc
                        },
                        |mut acc| black_box(acc.evaluate(EmitTo::All).unwrap()),
                        BatchSize::LargeInput,
                    )
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
