//! Criterion benches of every aggregate's native `GroupsAccumulator` (and the weighted form
//! of the survey metrics): update, merge and evaluate, over 1 M rows spread across 10, 1 000
//! and 1 000 000 groups, with and without NULLs (every tenth row) and a FILTER (half the
//! rows).
//!
//! `cargo bench -p datafusion-engagement --bench accumulators` (add a filter such as `nps/` to
//! run one function).

use std::hint::black_box;
use std::sync::{Arc, LazyLock};

#[path = "../tests/support/case.rs"]
#[allow(
    dead_code,
    reason = "the benches use only part of the shared test cases"
)]
mod case;

use case::Case;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::IntervalMonthDayNano;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion_engagement::all_aggregate_functions;

/// Rows per bench: 1 M when measuring (`cargo bench`), 16 K when `cargo test --benches` runs
/// every bench once to check that it works.
static ROWS: LazyLock<usize> = LazyLock::new(|| {
    if std::env::args().any(|arg| arg == "--bench") {
        1 << 20
    } else {
        1 << 14
    }
});
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
    let int64s = |range: std::ops::RangeInclusive<i64>, seed| -> ArrayRef {
        let span = (range.end() - range.start() + 1) as u64;
        Arc::new(Int64Array::from_iter(nullable(
            random(seed)
                .take(*ROWS)
                .map(|r| range.start() + (r % span) as i64),
            nulls,
        )))
    };
    let doubles = |max: u64, seed| -> ArrayRef {
        Arc::new(Float64Array::from_iter(nullable(
            random(seed)
                .take(*ROWS)
                .map(|r| (r % (max * 4 + 1)) as f64 / 4.0),
            nulls,
        )))
    };
    let booleans = |seed| -> ArrayRef {
        Arc::new(BooleanArray::from_iter(nullable(
            random(seed).take(*ROWS).map(|r| r % 4 != 0),
            nulls,
        )))
    };
    let hour = 3_600_000_000i64;
    let timestamps = |values: Vec<i64>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter(nullable(values.into_iter(), nulls))
                .with_timezone("UTC"),
        )
    };
    let start_of_july = 1_782_864_000_000_000i64;
    let times: Vec<i64> = random(8)
        .take(*ROWS)
        .map(|r| start_of_july + (r % (90 * 24)) as i64 * hour)
        .collect();
    // Each event time moved by up to `most_hours` whole hours: forward (1) or back (-1).
    let shifted = |seed, most_hours: u64, direction: i64| -> ArrayRef {
        timestamps(
            random(seed)
                .zip(&times)
                .map(|(r, time)| time + direction * (r % most_hours) as i64 * hour)
                .collect(),
        )
    };
    // 200 000 users, 200 000 sessions of about 5 page views, 100 000 customers.
    let users = int64s(0..=199_999, 7);
    let sessions = int64s(0..=199_999, 12);
    let customers = int64s(0..=99_999, 13);
    let event_times = timestamps(times.clone());
    let names = ["login", "view", "export", "invite", "ticket"];
    let events: ArrayRef = Arc::new(StringArray::from_iter(nullable(
        random(9).take(*ROWS).map(|r| names[(r % 5) as usize]),
        nulls,
    )));
    let weights = doubles(3, 10);
    let column = |function, columns: Vec<(&'static str, &ArrayRef)>| Case {
        function,
        columns: columns
            .into_iter()
            .map(|(n, a)| (n, Arc::clone(a)))
            .collect(),
        constants: vec![],
    };
    let max_score = |mut case: Case, max| {
        case.constants.push((1, ScalarValue::Int64(Some(max))));
        case
    };
    let (nps_scores, csat_scores, ces_scores) =
        (int64s(0..=10, 1), int64s(1..=5, 2), int64s(1..=7, 3));
    let mut clv = column(
        "clv",
        vec![
            ("order_value", &doubles(200, 14)),
            ("customer_id", &customers),
            ("order_time", &event_times),
        ],
    );
    clv.constants.push((3, ScalarValue::Float64(Some(3.0))));
    let mut engagement_score = column("engagement_score", vec![("event", &events)]);
    engagement_score.constants.push((
        1,
        ScalarValue::Utf8(Some(
            "login=0.2, view=0.1, export=1, invite=3, ticket=-2".into(),
        )),
    ));
    let week = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 7, 0)));
    let mut retention = column(
        "retention",
        vec![
            ("user_id", &users),
            ("event_time", &event_times),
            ("start_time", &shifted(22, 14 * 24, -1)),
        ],
    );
    retention.constants = vec![(2, week), (3, ScalarValue::Int64(Some(12)))];
    // Without a start: each user's periods from their first event.
    let unbounded_retention = Case {
        function: "unbounded_retention",
        columns: retention.columns[..2].to_vec(),
        constants: retention.constants.clone(),
    };
    let mut lifecycle = column(
        "lifecycle",
        vec![("user_id", &users), ("event_time", &event_times)],
    );
    lifecycle.constants = vec![(2, ScalarValue::from("week"))];
    // A 3-step funnel over the event names, within a day.
    let step = |name: &str| -> ArrayRef {
        let events = events.as_any().downcast_ref::<StringArray>().unwrap();
        Arc::new(
            events
                .iter()
                .map(|e| e.map(|e| e == name))
                .collect::<BooleanArray>(),
        )
    };
    let (login, view, export) = (step("login"), step("view"), step("export"));
    let day = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 1, 0)));
    // The funnel's users per step, and their times to convert (the histogram's are the same
    // times, counted in buckets).
    let funnel_case = |function: &'static str| {
        let mut case = column(
            function,
            vec![
                ("user_id", &users),
                ("event_time", &event_times),
                ("login", &login),
                ("view", &view),
                ("export", &export),
            ],
        );
        case.constants = vec![(2, day.clone())];
        case
    };
    let funnel = funnel_case("funnel");
    let funnel_conversion_times = funnel_case("funnel_conversion_times");
    let funnel_conversion_histogram = funnel_case("funnel_conversion_histogram");
    let mut window_funnel = column(
        "window_funnel",
        vec![
            ("event_time", &event_times),
            ("login", &login),
            ("view", &view),
            ("export", &export),
        ],
    );
    window_funnel.constants = vec![(0, day)];
    // Patterns over the same conditions: one without time (the automaton), one with a time
    // condition (the backtracking search).
    let sequence = |function: &'static str, pattern: &str| {
        let mut case = column(
            function,
            vec![
                ("event_time", &event_times),
                ("login", &login),
                ("view", &view),
                ("export", &export),
            ],
        );
        case.constants = vec![(0, ScalarValue::from(pattern))];
        case
    };
    let sequence_match = sequence("sequence_match", "(?1).*(?2).*(?3)");
    let stickiness_distribution = column(
        "stickiness_distribution",
        vec![("user_id", &users), ("event_time", &event_times)],
    );
    let sequence_count = sequence("sequence_count", "(?1)(?t<=86400)(?3)");
    // The event after each group's first login, then view.
    let always: ArrayRef = Arc::new(BooleanArray::from(vec![true; events.len()]));
    let mut sequence_next_node = column(
        "sequence_next_node",
        vec![
            ("event_time", &event_times),
            ("event", &events),
            ("base_condition", &always),
            ("login", &login),
            ("view", &view),
        ],
    );
    sequence_next_node.constants = vec![
        (0, ScalarValue::from("forward")),
        (1, ScalarValue::from("first_match")),
    ];
    // Sessions made from the raw log (the raw-log forms of the three session metrics run the
    // same kernel and reduction).
    let mut session_summary = column(
        "session_summary",
        vec![("user_id", &users), ("event_time", &event_times)],
    );
    // Three events on from each user's first login.
    let mut paths = column(
        "paths",
        vec![
            ("user_id", &users),
            ("event_time", &event_times),
            ("event", &events),
            ("login", &login),
        ],
    );
    paths.constants = vec![(4, ScalarValue::Int64(Some(3)))];
    let half_hour = IntervalMonthDayNano::new(0, 0, 30 * 60 * 1_000_000_000);
    session_summary.constants = vec![(2, ScalarValue::IntervalMonthDayNano(Some(half_hour)))];
    // The same sessions, per page (the event names stand for pages).
    let page_summary = column(
        "page_summary",
        vec![
            ("user_id", &users),
            ("event_time", &event_times),
            ("page", &events),
        ],
    );
    // Sketches of 1 000 users each (HLL in HLL mode, theta in estimation mode), 64 of them
    // spread over the rows, for the functions that unite, intersect or read sketches.
    let sketch_pool = |build: &dyn Fn(u64) -> Vec<u8>| -> ArrayRef {
        let pool: Vec<Vec<u8>> = (0..64).map(build).collect();
        Arc::new(datafusion::arrow::array::BinaryArray::from_iter(nullable(
            random(23)
                .take(*ROWS)
                .map(|r| pool[(r % 64) as usize].clone()),
            nulls,
        )))
    };
    let hll_sketches = sketch_pool(&|seed| {
        let mut sketch =
            datasketches::hll::HllSketch::new(12, datasketches::hll::HllType::Hll4).unwrap();
        random(1000 + seed)
            .take(1000)
            .for_each(|r| sketch.update((r % 200_000) as i64));
        sketch.serialize()
    });
    let theta_sketches = sketch_pool(&|seed| {
        let mut sketch = datasketches::theta::ThetaSketchBuilder::default()
            .lg_k(9)
            .build()
            .unwrap();
        random(2000 + seed)
            .take(1000)
            .for_each(|r| sketch.update((r % 200_000) as i64));
        sketch.compact(true).serialize()
    });
    vec![
        column("hll_sketch", vec![("value", &users)]),
        column("theta_sketch", vec![("value", &users)]),
        column("hll_union", vec![("sketch", &hll_sketches)]),
        column("theta_union", vec![("sketch", &theta_sketches)]),
        column("theta_intersection", vec![("sketch", &theta_sketches)]),
        column(
            "approx_stickiness",
            vec![("day", &event_times), ("sketch", &hll_sketches)],
        ),
        column("nps", vec![("score", &nps_scores)]),
        column("nps", vec![("score", &nps_scores), ("weight", &weights)]),
        max_score(column("csat", vec![("score", &csat_scores)]), 5),
        column("ces", vec![("score", &ces_scores)]),
        column("nps_summary", vec![("score", &nps_scores)]),
        max_score(column("csat_summary", vec![("score", &csat_scores)]), 5),
        column("ces_summary", vec![("score", &ces_scores)]),
        column(
            "churn_rate",
            vec![("at_start", &booleans(4)), ("at_end", &booleans(5))],
        ),
        column(
            "retention_rate",
            vec![("at_start", &booleans(4)), ("at_end", &booleans(6))],
        ),
        engagement_score,
        column(
            "ctr",
            vec![
                ("clicks", &doubles(5, 15)),
                ("impressions", &doubles(100, 16)),
            ],
        ),
        column(
            "engagement_rate",
            vec![
                ("interactions", &doubles(20, 17)),
                ("reach", &doubles(1000, 18)),
            ],
        ),
        column(
            "avg_resolution_time",
            vec![
                ("opened_at", &event_times),
                ("resolved_at", &shifted(19, 72, 1)),
            ],
        ),
        column(
            "stickiness",
            vec![("user_id", &users), ("event_time", &event_times)],
        ),
        column(
            "feature_adoption",
            vec![("user_id", &users), ("used_feature", &booleans(20))],
        ),
        column(
            "first_week_active_rate",
            vec![
                ("user_id", &users),
                ("event_time", &event_times),
                ("signup_time", &shifted(21, 14 * 24, -1)),
            ],
        ),
        column("bounce_rate", vec![("session_id", &sessions)]),
        column("pages_per_session", vec![("session_id", &sessions)]),
        column(
            "avg_session_duration",
            vec![("session_id", &sessions), ("event_time", &event_times)],
        ),
        clv,
        retention,
        unbounded_retention,
        lifecycle,
        funnel,
        funnel_conversion_times,
        funnel_conversion_histogram,
        window_funnel,
        sequence_match,
        sequence_count,
        sequence_next_node,
        paths,
        stickiness_distribution,
        session_summary,
        page_summary,
    ]
}

/// The bench name of a case: the function, and `weighted` for a weighted survey call.
fn label(case: &Case) -> String {
    match case.columns.iter().any(|(name, _)| *name == "weight") {
        true => format!("{}_weighted", case.function),
        false => case.function.to_string(),
    }
}

fn accumulator(case: &Case) -> Box<dyn GroupsAccumulator> {
    case.with_args(|udaf, args| udaf.create_groups_accumulator(args).unwrap())
}

/// The argument arrays batch by batch, as the engine passes them.
fn batches(case: &Case) -> Vec<Vec<ArrayRef>> {
    (0..*ROWS)
        .step_by(BATCH)
        .map(|start| case.values(start..(start + BATCH).min(*ROWS)))
        .collect()
}

/// Group indices of each batch: every group seen, in random order.
fn group_indices(groups: usize) -> Vec<Vec<usize>> {
    let all: Vec<usize> = random(11)
        .take(*ROWS)
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
        let cases = cases(nulls);
        for function in all_aggregate_functions() {
            assert!(
                cases.iter().any(|case| case.function == function.name()),
                "no bench case for {}",
                function.name()
            );
        }
        for case in cases {
            let batches = batches(&case);
            let filters: Vec<BooleanArray> = (0..batches.len())
                .map(|b| {
                    BooleanArray::from_iter(
                        random(100 + b as u64).take(BATCH).map(|r| Some(r % 2 == 0)),
                    )
                })
                .collect();
            let nulls_label = if nulls { "with_nulls" } else { "no_nulls" };
            let mut group = c.benchmark_group(format!("{}/{nulls_label}", label(&case)));
            group.sample_size(10);
            group.warm_up_time(std::time::Duration::from_millis(500));
            group.measurement_time(std::time::Duration::from_secs(2));
            group.throughput(Throughput::Elements(*ROWS as u64));
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
