//! The single-group `Accumulator` and the native `GroupsAccumulator` of every aggregate agree,
//! and their states are interchangeable: partial results from either merge into the other,
//! and `convert_to_state` produces the same state as updating.

use std::sync::Arc;

use crate::case::Case;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::IntervalMonthDayNano;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::EmitTo;

pub(crate) fn cases() -> Vec<Case> {
    let scores: ArrayRef = Arc::new(Float64Array::from(vec![
        Some(10.0),
        Some(9.0),
        None,
        Some(3.0),
        Some(7.0),
        Some(6.0),
        Some(1.0),
    ]));
    let efforts: ArrayRef = Arc::new(Float64Array::from(vec![
        Some(1.0),
        Some(7.0),
        None,
        Some(3.0),
        Some(5.0),
        Some(2.0),
        Some(4.0),
    ]));
    let at_start: ArrayRef = Arc::new(BooleanArray::from(vec![
        Some(true),
        Some(true),
        Some(false),
        None,
        Some(true),
        Some(true),
        Some(true),
    ]));
    let at_end: ArrayRef = Arc::new(BooleanArray::from(vec![
        Some(false),
        Some(true),
        Some(true),
        Some(true),
        None,
        Some(true),
        Some(false),
    ]));
    let names: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        Some("b"),
        Some("a"),
        None,
        Some("c"),
        Some("a"),
        Some("b"),
    ]));
    let pages: ArrayRef = Arc::new(StringArray::from(vec![
        Some("/"),
        Some("/docs"),
        Some("/docs"),
        Some("/"),
        None,
        Some("/pricing"),
        Some("/"),
    ]));
    let numbers: ArrayRef = Arc::new(Int64Array::from(vec![
        Some(1),
        Some(2),
        Some(1),
        Some(3),
        None,
        Some(1),
        Some(-2),
    ]));
    let day = 86_400_000_000i64;
    let times: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(vec![
            Some(0),
            Some(day),
            Some(2 * day + 5),
            Some(day),
            Some(3 * day),
            None,
            Some(4 * day),
        ])
        .with_timezone("UTC"),
    );
    let events: ArrayRef = Arc::new(StringArray::from(vec![
        Some("login"),
        Some("export"),
        None,
        Some("login"),
        Some("other"),
        Some("ticket"),
        Some("login"),
    ]));
    let weights: ArrayRef = Arc::new(Float64Array::from(vec![
        Some(1.0),
        Some(2.5),
        Some(1.0),
        None,
        Some(0.5),
        Some(3.0),
        Some(1.0),
    ]));
    let hour = 3_600_000_000i64;
    let resolved: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(vec![
            Some(hour),
            Some(day + 2 * hour),
            None,
            Some(day),
            Some(3 * day + 1),
            Some(0),
            Some(5 * day),
        ])
        .with_timezone("UTC"),
    );
    let signups: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(vec![
            Some(-1),
            Some(0),
            Some(0),
            None,
            Some(0),
            Some(0),
            Some(-3 * day),
        ])
        .with_timezone("UTC"),
    );
    let week = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 7, 0)));
    let day = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 1, 0)));
    let two_days = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 2, 0)));
    let periods = |n| ScalarValue::Int64(Some(n));
    let days = |n| ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, n, 0)));
    // The raw-log forms of the session metrics: sessions end after 10 days without a view,
    // or (avg_session_duration) last at most 20 days.
    let session_cases = [
        Case {
            function: "bounce_rate",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![(2, days(10))],
        },
        Case {
            function: "pages_per_session",
            columns: vec![("user", Arc::clone(&numbers)), ("time", Arc::clone(&times))],
            constants: vec![(2, days(10))],
        },
        Case {
            function: "avg_session_duration",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![(2, days(10)), (3, days(20))],
        },
        Case {
            function: "session_summary",
            columns: vec![("user", Arc::clone(&numbers)), ("time", Arc::clone(&times))],
            constants: vec![(2, days(10))],
        },
        Case {
            function: "page_summary",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
                ("page", Arc::clone(&pages)),
            ],
            constants: vec![(3, days(10)), (4, days(20))],
        },
    ];
    let timeline_cases = [
        Case {
            function: "retention",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![(2, day.clone()), (3, periods(3))],
        },
        Case {
            function: "retention",
            columns: vec![
                ("user", Arc::clone(&numbers)),
                ("time", Arc::clone(&times)),
                ("start", Arc::clone(&signups)),
            ],
            constants: vec![(2, week.clone()), (3, periods(5))],
        },
        Case {
            function: "unbounded_retention",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
                ("start", Arc::clone(&signups)),
            ],
            constants: vec![(2, day.clone()), (3, periods(2))],
        },
        Case {
            function: "retention",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
                ("start_if", Arc::clone(&at_start)),
                ("return_if", Arc::clone(&at_end)),
            ],
            constants: vec![(2, day.clone()), (3, ScalarValue::from("1, 2-3, 5"))],
        },
        Case {
            function: "unbounded_retention",
            columns: vec![
                ("user", Arc::clone(&numbers)),
                ("time", Arc::clone(&times)),
                ("start_if", Arc::clone(&at_start)),
                ("return_if", Arc::clone(&at_end)),
            ],
            constants: vec![(2, day), (3, periods(4))],
        },
        Case {
            function: "lifecycle",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![(2, ScalarValue::from("day"))],
        },
        Case {
            function: "lifecycle",
            columns: vec![
                ("user", Arc::clone(&numbers)),
                ("time", Arc::clone(&times)),
                ("start", Arc::clone(&signups)),
            ],
            constants: vec![(2, ScalarValue::from("week"))],
        },
        Case {
            function: "window_funnel",
            columns: vec![
                ("time", Arc::clone(&times)),
                ("step_1", Arc::clone(&at_start)),
                ("step_2", Arc::clone(&at_end)),
            ],
            // Every chain kept: the reference below tries every one.
            constants: vec![(0, two_days.clone()), (4, ScalarValue::from("strict_once"))],
        },
        Case {
            function: "funnel",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
                ("step_1", Arc::clone(&at_start)),
                ("step_2", Arc::clone(&at_end)),
            ],
            constants: vec![(2, two_days.clone()), (5, ScalarValue::from("strict_once"))],
        },
        Case {
            function: "funnel_conversion_times",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
                ("step_1", Arc::clone(&at_start)),
                ("step_2", Arc::clone(&at_end)),
            ],
            constants: vec![(2, two_days.clone()), (5, ScalarValue::from("strict_once"))],
        },
        Case {
            function: "funnel_conversion_histogram",
            columns: vec![
                ("user", Arc::clone(&numbers)),
                ("time", Arc::clone(&times)),
                ("step_1", Arc::clone(&at_start)),
                ("step_2", Arc::clone(&at_end)),
            ],
            constants: vec![(2, two_days), (5, ScalarValue::from("strict_once"))],
        },
    ];
    let max_10 = || vec![(1, ScalarValue::Int64(Some(10)))];
    let weighted = |function, score: &ArrayRef, constants| Case {
        function,
        columns: vec![
            ("score", Arc::clone(score)),
            ("weight", Arc::clone(&weights)),
        ],
        constants,
    };
    let keyed_and_weighted = vec![
        weighted("nps", &scores, vec![]),
        weighted("csat", &scores, max_10()),
        weighted("ces", &efforts, vec![(1, ScalarValue::Int64(Some(7)))]),
        Case {
            function: "nps_summary",
            columns: vec![("score", Arc::clone(&scores))],
            constants: vec![],
        },
        weighted("nps_summary", &scores, vec![]),
        weighted("csat_summary", &scores, max_10()),
        Case {
            function: "ces_summary",
            columns: vec![("score", Arc::clone(&efforts))],
            constants: vec![],
        },
        Case {
            function: "avg_resolution_time",
            columns: vec![("opened", Arc::clone(&times)), ("resolved", resolved)],
            constants: vec![],
        },
        Case {
            function: "feature_adoption",
            columns: vec![
                ("user", Arc::clone(&names)),
                ("used", Arc::clone(&at_start)),
            ],
            constants: vec![],
        },
        Case {
            function: "first_week_active_rate",
            columns: vec![
                ("user", Arc::clone(&numbers)),
                ("time", Arc::clone(&times)),
                ("signup", signups),
            ],
            constants: vec![],
        },
        Case {
            function: "bounce_rate",
            columns: vec![("session", Arc::clone(&names))],
            constants: vec![],
        },
        Case {
            function: "pages_per_session",
            columns: vec![("session", Arc::clone(&numbers))],
            constants: vec![],
        },
        Case {
            function: "avg_session_duration",
            columns: vec![
                ("session", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
            ],
            constants: vec![],
        },
        Case {
            function: "clv",
            columns: vec![
                ("value", Arc::clone(&efforts)),
                ("customer", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
            ],
            constants: vec![(3, ScalarValue::Float64(Some(3.0)))],
        },
    ];
    let mut cases = vec![
        Case {
            function: "nps",
            columns: vec![("score", Arc::clone(&scores))],
            constants: vec![],
        },
        Case {
            function: "csat",
            columns: vec![("score", Arc::clone(&scores))],
            constants: vec![(1, ScalarValue::Int64(Some(10)))],
        },
        Case {
            function: "ces",
            columns: vec![("score", Arc::clone(&efforts))],
            constants: vec![],
        },
        Case {
            function: "churn_rate",
            columns: vec![("s", Arc::clone(&at_start)), ("e", Arc::clone(&at_end))],
            constants: vec![],
        },
        Case {
            function: "retention_rate",
            columns: vec![("s", Arc::clone(&at_start)), ("e", at_end)],
            constants: vec![],
        },
        Case {
            function: "stickiness",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![],
        },
        Case {
            function: "stickiness",
            columns: vec![("user", Arc::clone(&numbers)), ("time", Arc::clone(&times))],
            constants: vec![],
        },
        Case {
            function: "stickiness",
            columns: vec![("user", Arc::clone(&numbers)), ("time", Arc::clone(&times))],
            constants: vec![(2, ScalarValue::Utf8(Some("month".into())))],
        },
        Case {
            function: "stickiness_distribution",
            columns: vec![("user", Arc::clone(&names)), ("time", Arc::clone(&times))],
            constants: vec![],
        },
        Case {
            function: "stickiness_distribution",
            columns: vec![("user", Arc::clone(&numbers)), ("time", Arc::clone(&times))],
            constants: vec![(2, ScalarValue::Utf8(Some("month".into())))],
        },
        Case {
            function: "clv",
            columns: vec![
                ("value", Arc::clone(&efforts)),
                ("customer", Arc::clone(&names)),
                ("time", Arc::clone(&times)),
            ],
            constants: vec![
                (3, ScalarValue::Float64(Some(3.0))),
                (4, ScalarValue::Utf8(Some("month".into()))),
            ],
        },
        Case {
            function: "ctr",
            columns: vec![
                ("clicks", Arc::clone(&efforts)),
                ("impressions", Arc::clone(&scores)),
            ],
            constants: vec![],
        },
        Case {
            function: "ctr",
            columns: vec![("clicked", Arc::clone(&at_start))],
            constants: vec![],
        },
        Case {
            function: "engagement_rate",
            columns: vec![
                ("interactions", Arc::clone(&efforts)),
                ("reach", Arc::clone(&scores)),
            ],
            constants: vec![],
        },
        Case {
            function: "engagement_score",
            columns: vec![("event", events)],
            constants: vec![(
                1,
                ScalarValue::Utf8(Some("login=1, export=2.5, ticket=-3".into())),
            )],
        },
    ];
    // Sketches of user ids, and of sets of users (one sketch per row) to unite or intersect.
    let sketches = sketch_column(&[
        0b1011,
        0b0011,
        0,
        0b1111_0000_0011,
        0b0010,
        0b1000_0001,
        0b0111,
    ]);
    let lg_k = |n: i64| ScalarValue::Int64(Some(n));
    let hll_sets = hll_column(&[
        0b1011,
        0,
        0b0110,
        0b1111_0000_0011,
        0b0010,
        0b1000_0001,
        0b1,
    ]);
    let sketch_cases = [
        Case {
            function: "hll_sketch",
            columns: vec![("user", Arc::clone(&names))],
            constants: vec![],
        },
        Case {
            function: "hll_sketch",
            columns: vec![("user", Arc::clone(&numbers))],
            constants: vec![(1, lg_k(8))],
        },
        Case {
            function: "theta_sketch",
            columns: vec![("user", Arc::clone(&names))],
            constants: vec![(1, lg_k(9))],
        },
        Case {
            function: "theta_sketch",
            columns: vec![("user", Arc::clone(&numbers))],
            constants: vec![],
        },
        Case {
            function: "hll_union",
            columns: vec![(
                "hll_sets",
                hll_column(&[
                    0b1011,
                    0,
                    0b0110,
                    0b1111_0000_0011,
                    0b0010,
                    0b1000_0001,
                    0b1,
                ]),
            )],
            constants: vec![(1, lg_k(10))],
        },
        Case {
            function: "theta_union",
            columns: vec![("theta_sets", Arc::clone(&sketches))],
            constants: vec![],
        },
        Case {
            function: "theta_intersection",
            columns: vec![("theta_sets", sketches)],
            constants: vec![],
        },
        Case {
            function: "approx_stickiness",
            columns: vec![
                ("day", Arc::clone(&times)),
                ("hll_sets", Arc::clone(&hll_sets)),
            ],
            constants: vec![],
        },
        Case {
            function: "approx_stickiness",
            columns: vec![("day", Arc::clone(&times)), ("hll_sets", hll_sets)],
            constants: vec![(2, ScalarValue::Utf8(Some("month".into())))],
        },
    ];
    cases.extend(keyed_and_weighted);
    cases.extend(timeline_cases);
    cases.extend(session_cases);
    cases.extend(sketch_cases);
    cases
}

/// The users of a set (a bit per user of `u0` … `u11`).
fn users_of(set: u16) -> impl Iterator<Item = String> {
    (0..12)
        .filter(move |i| set & (1 << i) != 0)
        .map(|i| format!("u{i}"))
}

thread_local! {
    /// The set each serialized sketch of [`sketch_column`] and [`hll_column`] stands for, for
    /// the reference.
    static SETS_OF_SKETCHES: std::cell::RefCell<std::collections::HashMap<Vec<u8>, u16>> =
        Default::default();
}

fn remember(bytes: Vec<u8>, set: u16) -> Vec<u8> {
    SETS_OF_SKETCHES.with(|sets| sets.borrow_mut().insert(bytes.clone(), set));
    bytes
}

/// A column of theta sketches of these sets of users, one per row (`0`: NULL).
fn sketch_column(sets: &[u16]) -> ArrayRef {
    column_of_sketches(sets, |users| {
        let mut sketch = datasketches::theta::ThetaSketchBuilder::default()
            .build()
            .unwrap();
        users.for_each(|user| sketch.update(user));
        sketch.compact(true).serialize()
    })
}

/// A column of HLL sketches of these sets of users, one per row (`0`: NULL).
fn hll_column(sets: &[u16]) -> ArrayRef {
    column_of_sketches(sets, |users| {
        let mut sketch =
            datasketches::hll::HllSketch::new(12, datasketches::hll::HllType::Hll4).unwrap();
        users.for_each(|user| sketch.update(user));
        sketch.serialize()
    })
}

/// A column of the sketches `build` makes of these sets of users (each user hashed as
/// DataSketches hashes a string), remembered for the reference.
fn column_of_sketches(
    sets: &[u16],
    build: impl Fn(
        &mut dyn Iterator<Item = datasketches::hash::value::raw_bytes::RawBytes<String>>,
    ) -> Vec<u8>,
) -> ArrayRef {
    use datasketches::hash::value::raw_bytes;
    Arc::new(datafusion::arrow::array::BinaryArray::from_iter(
        sets.iter().map(|&set| {
            (set != 0).then(|| {
                let mut users = users_of(set).map(raw_bytes::from_string);
                remember(build(&mut users), set)
            })
        }),
    ))
}

/// The set a sketch of [`sketch_column`] or [`hll_column`] stands for.
fn set_of_sketch(bytes: &[u8]) -> u16 {
    SETS_OF_SKETCHES.with(|sets| *sets.borrow().get(bytes).expect("a sketch of a known set"))
}

/// Rows go to groups 0, 1, 2, 0, 1, 2, …
fn group_of(row: usize) -> usize {
    row % 3
}

/// The results of a groups accumulator, one per group (DOUBLE or STRUCT).
fn as_values(array: &ArrayRef) -> Vec<ScalarValue> {
    (0..array.len())
        .map(|i| ScalarValue::try_from_array(array, i).unwrap())
        .collect()
}

/// The per-group result computed one group at a time by the single-group Accumulator.
fn expected_by_group(case: &Case) -> Vec<ScalarValue> {
    (0..3)
        .map(|group| {
            case.with_args(|udaf, args| {
                let mut accumulator = udaf.accumulator(args).unwrap();
                for row in (0..case.rows()).filter(|r| group_of(*r) == group) {
                    accumulator
                        .update_batch(&case.values(row..row + 1))
                        .unwrap();
                }
                accumulator.evaluate().unwrap()
            })
        })
        .collect()
}

#[test]
fn groups_accumulator_matches_accumulator() {
    for case in cases() {
        let expected = expected_by_group(&case);
        assert!(
            expected.iter().any(|v| !v.is_null()),
            "{}: the case must produce values",
            case.function
        );
        let groups: Vec<usize> = (0..case.rows()).map(group_of).collect();
        let got = case.with_args(|udaf, args| {
            let mut accumulator = udaf.create_groups_accumulator(args).unwrap();
            // Two batches, to cover state carried across batches.
            let half = case.rows() / 2;
            accumulator
                .update_batch(&case.values(0..half), &groups[..half], None, 3)
                .unwrap();
            accumulator
                .update_batch(&case.values(half..case.rows()), &groups[half..], None, 3)
                .unwrap();
            as_values(&accumulator.evaluate(EmitTo::All).unwrap())
        });
        assert_eq!(got, expected, "{}", case.function);
    }
}

#[test]
fn states_are_interchangeable() {
    for case in cases() {
        let expected = expected_by_group(&case);
        let groups: Vec<usize> = (0..case.rows()).map(group_of).collect();
        assert_eq!(
            case.state_field_count(),
            case.with_args(|udaf, args| udaf.accumulator(args).unwrap().state().unwrap().len())
        );

        // Accumulator states (one per group) merged by a GroupsAccumulator.
        let merged = case.with_args(|udaf, args| {
            let mut target = udaf.create_groups_accumulator(args.clone()).unwrap();
            for group in 0..3 {
                let mut source = udaf.accumulator(args.clone()).unwrap();
                for row in (0..case.rows()).filter(|r| group_of(*r) == group) {
                    source.update_batch(&case.values(row..row + 1)).unwrap();
                }
                let state: Vec<ArrayRef> = source
                    .state()
                    .unwrap()
                    .iter()
                    .map(|s| s.to_array().unwrap())
                    .collect();
                target.merge_batch(&state, &[group], 3).unwrap();
            }
            as_values(&target.evaluate(EmitTo::All).unwrap())
        });
        assert_eq!(
            merged, expected,
            "{}: Accumulator state into GroupsAccumulator",
            case.function
        );

        // GroupsAccumulator state merged by one Accumulator per group.
        let merged = case.with_args(|udaf, args| {
            let mut source = udaf.create_groups_accumulator(args.clone()).unwrap();
            source
                .update_batch(&case.values(0..case.rows()), &groups, None, 3)
                .unwrap();
            let state = source.state(EmitTo::All).unwrap();
            (0..3)
                .map(|group| {
                    let mut target = udaf.accumulator(args.clone()).unwrap();
                    let row: Vec<ArrayRef> = state.iter().map(|s| s.slice(group, 1)).collect();
                    target.merge_batch(&row).unwrap();
                    target.evaluate().unwrap()
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(
            merged, expected,
            "{}: GroupsAccumulator state into Accumulator",
            case.function
        );

        // convert_to_state (each row its own group) merged into the groups.
        let merged = case.with_args(|udaf, args| {
            let source = udaf.create_groups_accumulator(args.clone()).unwrap();
            let state = source
                .convert_to_state(&case.values(0..case.rows()), None)
                .unwrap();
            let mut target = udaf.create_groups_accumulator(args).unwrap();
            target.merge_batch(&state, &groups, 3).unwrap();
            as_values(&target.evaluate(EmitTo::All).unwrap())
        });
        assert_eq!(merged, expected, "{}: convert_to_state", case.function);
    }
}

#[test]
fn convert_to_state_honours_the_filter() {
    for case in cases() {
        let filter = BooleanArray::from(
            (0..case.rows())
                .map(|r| Some(r % 2 == 0))
                .collect::<Vec<_>>(),
        );
        let groups: Vec<usize> = (0..case.rows()).map(group_of).collect();
        let (filtered_update, filtered_state) = case.with_args(|udaf, args| {
            let mut direct = udaf.create_groups_accumulator(args.clone()).unwrap();
            direct
                .update_batch(&case.values(0..case.rows()), &groups, Some(&filter), 3)
                .unwrap();
            let source = udaf.create_groups_accumulator(args.clone()).unwrap();
            let state = source
                .convert_to_state(&case.values(0..case.rows()), Some(&filter))
                .unwrap();
            let mut merged = udaf.create_groups_accumulator(args).unwrap();
            merged.merge_batch(&state, &groups, 3).unwrap();
            (
                as_values(&direct.evaluate(EmitTo::All).unwrap()),
                as_values(&merged.evaluate(EmitTo::All).unwrap()),
            )
        });
        assert_eq!(filtered_update, filtered_state, "{}", case.function);
    }
}

#[test]
fn emitting_the_first_groups_keeps_the_rest() {
    for case in cases() {
        let expected = expected_by_group(&case);
        let groups: Vec<usize> = (0..case.rows()).map(group_of).collect();
        let (first, rest, state_first, state_rest) = case.with_args(|udaf, args| {
            let mut accumulator = udaf.create_groups_accumulator(args.clone()).unwrap();
            accumulator
                .update_batch(&case.values(0..case.rows()), &groups, None, 3)
                .unwrap();
            let first = as_values(&accumulator.evaluate(EmitTo::First(1)).unwrap());
            let rest = as_values(&accumulator.evaluate(EmitTo::All).unwrap());
            // The same through state(): emit group 0's state, then the others', and merge back.
            let mut source = udaf.create_groups_accumulator(args.clone()).unwrap();
            source
                .update_batch(&case.values(0..case.rows()), &groups, None, 3)
                .unwrap();
            let head = source.state(EmitTo::First(1)).unwrap();
            let tail = source.state(EmitTo::All).unwrap();
            let mut target = udaf.create_groups_accumulator(args).unwrap();
            target.merge_batch(&head, &[0], 1).unwrap();
            target.merge_batch(&tail, &[1, 2], 3).unwrap();
            let all = as_values(&target.evaluate(EmitTo::All).unwrap());
            (first, rest, all[..1].to_vec(), all[1..].to_vec())
        });
        assert_eq!(first, expected[..1], "{}", case.function);
        assert_eq!(rest, expected[1..], "{}", case.function);
        assert_eq!(state_first, expected[..1], "{}", case.function);
        assert_eq!(state_rest, expected[1..], "{}", case.function);
    }
}

/// Functions over distinct keys (users, sessions, customers). They keep a value per key (a
/// first and last time, a flag) that cannot be taken apart again, so DataFusion refuses them
/// over sliding window frames; their state grows with the keys, not with the groups.
const KEYED: &[&str] = &[
    "approx_stickiness",
    "hll_sketch",
    "hll_union",
    "theta_sketch",
    "theta_union",
    "theta_intersection",
    "feature_adoption",
    "first_week_active_rate",
    "bounce_rate",
    "pages_per_session",
    "avg_session_duration",
    "session_summary",
    "page_summary",
    "clv",
    "retention",
    "unbounded_retention",
    "lifecycle",
    "stickiness_distribution",
    "window_funnel",
    "funnel",
    "funnel_conversion_times",
    "funnel_conversion_histogram",
];

/// The rows of `funnel_conversion_times` or `funnel_conversion_histogram` (a window of two
/// days), by definition: a user's time to step k from the chains of steps 1 to k (each
/// strictly later, all within the window of the first), the earliest to reach step k, of
/// those the one started last.
fn conversion_times_reference(
    function: &str,
    timelines: &std::collections::BTreeMap<String, Vec<(i64, Vec<bool>)>>,
    steps: usize,
) -> Vec<Option<f64>> {
    // Every chain as its times, tried from every start.
    fn chains(events: &[(i64, Vec<bool>)], chain: &mut Vec<i64>, out: &mut Vec<Vec<i64>>) {
        out.push(chain.clone());
        let (step, first, last) = (chain.len(), chain[0], chain[chain.len() - 1]);
        for (t, met) in events {
            if step < met.len() && met[step] && *t > last && *t <= first + 2 * DAY_MICROS {
                chain.push(*t);
                chains(events, chain, out);
                chain.pop();
            }
        }
    }
    let percent = |part: f64, whole: f64| (whole > 0.0).then(|| 100.0 * part / whole);
    let mut durations: Vec<Vec<f64>> = vec![vec![]; steps];
    for events in timelines.values() {
        let mut all = vec![];
        for (t, met) in events {
            if met[0] {
                chains(events, &mut vec![*t], &mut all);
            }
        }
        for (k, of_step) in durations.iter_mut().enumerate() {
            let first = all
                .iter()
                .filter(|c| c.len() > k)
                .map(|c| (c[k], -c[0]))
                .min();
            if let Some((reached, start)) = first {
                of_step.push((reached + start) as f64 / 1e6);
            }
        }
    }
    let quantile = |sorted: &[f64], q: f64| {
        let position = q * (sorted.len() - 1) as f64;
        let (low, high) = (
            sorted[position.floor() as usize],
            sorted[position.ceil() as usize],
        );
        low + (high - low) * (position - position.floor())
    };
    let mut out = vec![];
    for (k, of_step) in durations.iter_mut().enumerate() {
        of_step.sort_by(f64::total_cmp);
        let n = of_step.len();
        if function == "funnel_conversion_times" {
            let stat = |f: &dyn Fn(&[f64]) -> f64| (n > 0).then(|| f(of_step));
            out.extend([
                Some(k as f64 + 1.0),
                Some(n as f64),
                stat(&|d| d.iter().sum::<f64>() / n as f64),
                stat(&|d| d[0]),
                stat(&|d| quantile(d, 0.25)),
                stat(&|d| quantile(d, 0.5)),
                stat(&|d| quantile(d, 0.75)),
                stat(&|d| quantile(d, 0.9)),
                stat(&|d| d[n - 1]),
            ]);
        } else if k > 0 {
            // The buckets starting within two days, the last open.
            let starts = [0.0, 10.0, 60.0, 300.0, 900.0, 3_600.0, 21_600.0, 86_400.0];
            for (b, &from) in starts.iter().enumerate() {
                let to = starts.get(b + 1).copied().unwrap_or(f64::INFINITY);
                let users = of_step.iter().filter(|&&d| d >= from && d < to).count() as f64;
                out.extend([
                    Some(k as f64 + 1.0),
                    Some(from),
                    starts.get(b + 1).copied(),
                    Some(users),
                    percent(users, n as f64),
                ]);
            }
        }
    }
    out
}

/// A growing window frame evaluates the same accumulator after each row: evaluating must
/// leave the state as it was.
#[test]
fn evaluating_keeps_the_state_for_more_rows() {
    for case in cases() {
        case.with_args(|udaf, args| {
            let n = case.rows();
            let mut growing = udaf.accumulator(args.clone()).unwrap();
            let mut so_far = vec![];
            for row in 0..n {
                growing.update_batch(&case.values(row..row + 1)).unwrap();
                so_far.push(growing.evaluate().unwrap());
            }
            let again = growing.evaluate().unwrap();
            assert_eq!(again, so_far[n - 1], "{}: evaluated twice", case.function);
            for (rows, got) in so_far.iter().enumerate().map(|(i, got)| (i + 1, got)) {
                let mut fresh = udaf.accumulator(args.clone()).unwrap();
                fresh.update_batch(&case.values(0..rows)).unwrap();
                assert_eq!(
                    got,
                    &fresh.evaluate().unwrap(),
                    "{}: after {rows} rows",
                    case.function
                );
            }
        });
    }
}

#[test]
fn window_retraction_undoes_updates() {
    for case in cases() {
        case.with_args(|udaf, args| {
            let mut accumulator = udaf.create_sliding_accumulator(args.clone()).unwrap();
            let retractable = !KEYED.contains(&case.function);
            assert_eq!(
                accumulator.supports_retract_batch(),
                retractable,
                "{}",
                case.function
            );
            if !retractable {
                return;
            }
            let n = case.rows();
            accumulator.update_batch(&case.values(0..n)).unwrap();
            accumulator.retract_batch(&case.values(0..n - 2)).unwrap();
            let mut fresh = udaf.accumulator(args).unwrap();
            fresh.update_batch(&case.values(n - 2..n)).unwrap();
            assert_eq!(
                accumulator.evaluate().unwrap(),
                fresh.evaluate().unwrap(),
                "{}",
                case.function
            );
        });
    }
}

#[test]
fn size_accounts_for_the_state() {
    for case in cases() {
        case.with_args(|udaf, args| {
            let mut accumulator = udaf.create_groups_accumulator(args).unwrap();
            let empty = accumulator.size();
            // The case's rows again and again, each time into new groups.
            let repeats = 2_000;
            let groups_needed = repeats * case.rows();
            for repeat in 0..repeats {
                let groups: Vec<usize> =
                    (0..case.rows()).map(|r| repeat * case.rows() + r).collect();
                accumulator
                    .update_batch(&case.values(0..case.rows()), &groups, None, groups_needed)
                    .unwrap();
            }
            // At least one 8-byte counter per group, or for keyed functions a 16-byte
            // (group, key) entry per key: every case has at least 3 rows with a key.
            let at_least = if KEYED.contains(&case.function) {
                repeats * 3 * 16
            } else {
                groups_needed * 8
            };
            assert!(
                accumulator.size() >= empty + at_least,
                "{}: size {} too small",
                case.function,
                accumulator.size()
            );
        });
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same cases, so a
/// failure names a seed that reproduces it.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// Cuts `0..len` into consecutive random pieces.
    fn pieces(&mut self, len: usize) -> Vec<std::ops::Range<usize>> {
        let mut pieces = vec![];
        let mut start = 0;
        while start < len {
            let end = (start + 1 + self.below(len - start)).min(len);
            pieces.push(start..end);
            start = end;
        }
        pieces
    }
}

const DAY_MICROS: i64 = 86_400_000_000;

/// Months since January 1970 of a day since 1970-01-01, by chrono's calendar.
fn month_of_day(day: i64) -> i64 {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp(day * 86_400, 0)
        .unwrap()
        .date_naive();
    (i64::from(date.year()) - 1970) * 12 + i64::from(date.month0())
}

/// The first day (since 1970-01-01) of a month numbered as [`month_of_day`] numbers them.
fn first_day_of_month(month: i64) -> i64 {
    let date = |year: i64, month0: i64| {
        chrono::NaiveDate::from_ymd_opt(year as i32, month0 as u32 + 1, 1).unwrap()
    };
    (date(1970 + month.div_euclid(12), month.rem_euclid(12)) - date(1970, 0)).num_days()
}

/// A case of the same function and argument types with `rows` random rows: every value valid
/// for the function, about one in ten NULL, ids from small pools so keys repeat, and times over
/// 150 days so that day windows overflow.
pub(crate) fn random_case(case: &Case, random: &mut Random, rows: usize) -> Case {
    use datafusion::arrow::array::TimestampMicrosecondArray;
    use datafusion::arrow::datatypes::DataType;
    let mut opened: Vec<Option<i64>> = vec![];
    let mut columns = vec![];
    for (name, column) in &case.columns {
        let value = |random: &mut Random| -> Option<i64> {
            // One in ten NULL.
            (!random.chance(10)).then(|| random.next() as i64)
        };
        let array: ArrayRef = match (*name, column.data_type()) {
            ("start", _) => Arc::new(
                TimestampMicrosecondArray::from_iter((0..rows).map(|_| {
                    // Signups from 20 days before to 60 days into the events, some NULL.
                    value(random)
                        .map(|_| random.below(80 * DAY_MICROS as usize) as i64 - 20 * DAY_MICROS)
                }))
                .with_timezone("UTC"),
            ),
            ("score", _) => {
                let (low, high) = if case.function.starts_with("ces") {
                    (1, 7)
                } else {
                    (0, 10)
                };
                Arc::new(Float64Array::from_iter((0..rows).map(|_| {
                    value(random).map(|_| (low + random.below(high - low + 1)) as f64)
                })))
            }
            ("weight", _) => {
                Arc::new(Float64Array::from_iter((0..rows).map(|_| {
                    value(random).map(|_| [0.0, 0.5, 1.0, 2.5, 3.0][random.below(5)])
                })))
            }
            ("value", _) => Arc::new(Float64Array::from_iter(
                (0..rows).map(|_| value(random).map(|_| random.below(56) as f64 - 5.0)),
            )),
            (_, DataType::Float64) => Arc::new(Float64Array::from_iter(
                (0..rows).map(|_| value(random).map(|_| random.below(11) as f64)),
            )),
            (_, DataType::Boolean) => Arc::new(BooleanArray::from_iter(
                (0..rows).map(|_| value(random).map(|v| v % 2 == 0)),
            )),
            ("page", _) => {
                Arc::new(StringArray::from_iter((0..rows).map(|_| {
                    value(random).map(|_| PAGES[random.below(PAGES.len())])
                })))
            }
            ("event", _) => Arc::new(StringArray::from_iter((0..rows).map(|_| {
                value(random)
                    .map(|_| ["login", "export", "ticket", "other", "view"][random.below(5)])
            }))),
            (_, DataType::Utf8) => {
                Arc::new(StringArray::from_iter((0..rows).map(|_| {
                    value(random).map(|_| format!("u{}", random.below(12)))
                })))
            }
            (_, DataType::Int64) => Arc::new(Int64Array::from_iter(
                (0..rows).map(|_| value(random).map(|_| random.below(12) as i64 - 3)),
            )),
            ("resolved", _) => Arc::new(
                TimestampMicrosecondArray::from_iter((0..rows).map(|row| {
                    // Never before the ticket was opened: that is an error.
                    let resolved = opened[row]? + random.below(5 * DAY_MICROS as usize) as i64;
                    value(random).map(|_| resolved)
                }))
                .with_timezone("UTC"),
            ),
            (_, DataType::Timestamp(_, _)) => {
                let times: Vec<Option<i64>> = (0..rows)
                    .map(|_| value(random).map(|_| random.below(150 * DAY_MICROS as usize) as i64))
                    .collect();
                if *name == "opened" {
                    opened = times.clone();
                }
                Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC"))
            }
            ("theta_sets", _) => sketch_column(
                &(0..rows)
                    .map(|_| {
                        if random.chance(10) {
                            0
                        } else {
                            random.below(1 << 12) as u16
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
            ("hll_sets", _) => hll_column(
                &(0..rows)
                    .map(|_| {
                        if random.chance(10) {
                            0
                        } else {
                            random.below(1 << 12) as u16
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
            (name, other) => panic!("no generator for {name}: {other}"),
        };
        columns.push((*name, array));
    }
    Case {
        function: case.function,
        columns,
        constants: case.constants.clone(),
    }
}

/// The pages of the random page views.
const PAGES: [&str; 5] = ["/", "/blog", "/docs", "/pricing", "/signup"];

/// A page as a number: its place in [`PAGES`].
fn page_number(page: &str) -> f64 {
    PAGES.iter().position(|p| *p == page).expect("a known page") as f64
}

/// A result as numbers: a DOUBLE is one field, a STRUCT its fields in order (counts as
/// numbers, pages by [`page_number`]); `None` for a NULL STRUCT.
fn fields_of(value: &ScalarValue) -> Option<Vec<Option<f64>>> {
    let number = |v: &ScalarValue| match v {
        ScalarValue::Utf8(page) => page.as_deref().map(page_number),
        ScalarValue::Float64(v) => *v,
        ScalarValue::Int64(v) => v.map(|v| v as f64),
        ScalarValue::Date32(v) => v.map(f64::from),
        other => panic!("unexpected field {other:?}"),
    };
    match value {
        // A sketch: its estimate, which is exact (rounded) for the few users of the cases.
        ScalarValue::Binary(None) => None,
        ScalarValue::Binary(Some(bytes)) => {
            let estimate = match datasketches::hll::HllSketch::deserialize(bytes) {
                Ok(hll) => hll.estimate(),
                Err(_) => datasketches::theta::CompactThetaSketch::deserialize(bytes)
                    .unwrap()
                    .estimate(),
            };
            Some(vec![Some(estimate.round())])
        }
        // A list of structs (retention, lifecycle): every row's fields in turn.
        ScalarValue::List(list) if list.is_null(0) => None,
        ScalarValue::List(list) => {
            let rows = list.value(0);
            let rows = rows
                .as_any()
                .downcast_ref::<datafusion::arrow::array::StructArray>()
                .unwrap();
            Some(
                (0..rows.len())
                    .flat_map(|row| {
                        rows.columns()
                            .iter()
                            .map(move |column| {
                                number(&ScalarValue::try_from_array(column, row).unwrap())
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            )
        }
        ScalarValue::Struct(array) if array.is_null(0) => None,
        ScalarValue::Struct(array) => Some(
            array
                .columns()
                .iter()
                .map(|column| number(&ScalarValue::try_from_array(column, 0).unwrap()))
                .collect(),
        ),
        other => Some(vec![number(other)]),
    }
}

fn assert_close(got: &ScalarValue, expected: &Option<Vec<Option<f64>>>, context: &str) {
    // Sketch estimates of a few values are their count within a few parts in 10^9.
    let tolerance = if context.starts_with("approx_") {
        1e-6
    } else {
        1e-9
    };
    let got = fields_of(got);
    let close = match (&got, expected) {
        (Some(got), Some(expected)) => {
            got.len() == expected.len()
                && got.iter().zip(expected).all(|pair| match pair {
                    (Some(a), Some(b)) => (a - b).abs() <= tolerance * b.abs().max(1.0),
                    (None, None) => true,
                    _ => false,
                })
        }
        (None, None) => true,
        _ => false,
    };
    assert!(
        close,
        "{context}: got {got:?}, the reference says {expected:?}"
    );
}

/// The metric computed the plain way, from the rows of one group: the reference the
/// accumulators are checked against.
fn reference(case: &Case, rows: &[usize]) -> Option<Vec<Option<f64>>> {
    use std::collections::{BTreeMap, BTreeSet};
    let cell = |name: &str, row: usize| -> ScalarValue {
        let column = &case.columns.iter().find(|(n, _)| *n == name).unwrap().1;
        ScalarValue::try_from_array(column, row).unwrap()
    };
    let has = |name: &str| case.columns.iter().any(|(n, _)| *n == name);
    let number = |name: &str, row: usize| -> Option<f64> {
        match cell(name, row) {
            ScalarValue::Float64(v) => v,
            ScalarValue::Int64(v) => v.map(|v| v as f64),
            ScalarValue::TimestampMicrosecond(v, _) => v.map(|v| v as f64),
            other => panic!("{name}: {other:?}"),
        }
    };
    let flag = |name: &str, row: usize| match cell(name, row) {
        ScalarValue::Boolean(v) => v,
        other => panic!("{name}: {other:?}"),
    };
    let micros = |name: &str, row: usize| number(name, row).map(|v| v as i64);
    let key = |name: &str, row: usize| {
        let value = cell(name, row);
        (!value.is_null()).then(|| value.to_string())
    };
    let day = |m: i64| m.div_euclid(DAY_MICROS);
    let percent = |part: f64, whole: f64| (whole > 0.0).then(|| 100.0 * part / whole);
    let one = |v: Option<f64>| Some(vec![v]);
    // (score, weight) of the answers: rows with neither NULL; weight 1 without a weight column.
    let answers = || -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|&r| {
                let weight = if has("weight") {
                    number("weight", r)?
                } else {
                    1.0
                };
                Some((number("score", r)?, weight))
            })
            .collect()
    };
    let max_score = |default: f64| {
        case.constants
            .iter()
            .find(|(position, _)| *position == 1)
            .map_or(default, |(_, v)| match v {
                ScalarValue::Int64(Some(v)) => *v as f64,
                other => panic!("max_score {other:?}"),
            })
    };
    let total = |pairs: &[(f64, f64)], pick: &dyn Fn(f64) -> f64| -> f64 {
        pairs.iter().map(|&(score, w)| w * pick(score)).sum()
    };
    const Z: f64 = 1.959_963_984_540_054;
    let with_interval = |value: Option<f64>, se: Option<f64>| {
        let bound = |sign: f64| Some(value? + sign * Z * se?);
        vec![se, bound(-1.0), bound(1.0)]
    };
    let sets = |name: &str| -> Vec<u16> {
        rows.iter()
            .filter_map(|&r| match cell(name, r) {
                ScalarValue::Binary(bytes) => bytes.map(|bytes| set_of_sketch(&bytes)),
                other => panic!("{name}: {other:?}"),
            })
            .collect()
    };
    match case.function {
        "hll_sketch" | "theta_sketch" => {
            let users: BTreeSet<String> = rows.iter().filter_map(|&r| key("user", r)).collect();
            (!users.is_empty()).then(|| vec![Some(users.len() as f64)])
        }
        "hll_union" | "theta_union" | "theta_intersection" => {
            let name = if has("hll_sets") {
                "hll_sets"
            } else {
                "theta_sets"
            };
            let sets = sets(name);
            let combined = if case.function == "theta_intersection" {
                sets.iter().fold(u16::MAX, |all, set| all & set)
            } else {
                sets.iter().fold(0, |all, set| all | set)
            };
            (!sets.is_empty()).then(|| vec![Some(f64::from(combined.count_ones()))])
        }
        "nps" | "nps_summary" => {
            let a = answers();
            let w = total(&a, &|_| 1.0);
            let p = total(&a, &|s| f64::from(s >= 9.0)) / w;
            let d = total(&a, &|s| f64::from(s <= 6.0)) / w;
            let nps = (w > 0.0).then_some(100.0 * (p - d));
            if case.function == "nps" {
                return one(nps);
            }
            let n = w * w / a.iter().map(|x| x.1 * x.1).sum::<f64>();
            let promoters = a.iter().filter(|x| x.0 >= 9.0).count() as f64;
            let detractors = a.iter().filter(|x| x.0 <= 6.0).count() as f64;
            let se = (w > 0.0).then(|| 100.0 * ((p + d - (p - d).powi(2)) / n).max(0.0).sqrt());
            let counts = [
                a.len() as f64,
                promoters,
                a.len() as f64 - promoters - detractors,
                detractors,
            ];
            (!a.is_empty())
                .then(|| [vec![nps], counts.map(Some).to_vec(), with_interval(nps, se)].concat())
        }
        "csat" | "csat_summary" => {
            let a = answers();
            let top = max_score(5.0) - 1.0;
            let w = total(&a, &|_| 1.0);
            let share = total(&a, &|s| f64::from(s >= top)) / w;
            let csat = (w > 0.0).then_some(100.0 * share);
            if case.function == "csat" {
                return one(csat);
            }
            let n = w * w / a.iter().map(|x| x.1 * x.1).sum::<f64>();
            let satisfied = a.iter().filter(|x| x.0 >= top).count() as f64;
            let se = (w > 0.0).then(|| 100.0 * (share * (1.0 - share) / n).max(0.0).sqrt());
            (!a.is_empty()).then(|| {
                [
                    vec![csat, Some(a.len() as f64), Some(satisfied)],
                    with_interval(csat, se),
                ]
                .concat()
            })
        }
        "ces" | "ces_summary" => {
            let a = answers();
            let w = total(&a, &|_| 1.0);
            let mean = (w > 0.0).then(|| total(&a, &|s| s) / w);
            if case.function == "ces" {
                return one(mean);
            }
            let n = w * w / a.iter().map(|x| x.1 * x.1).sum::<f64>();
            let se = mean.filter(|_| n > 1.0).map(|m| {
                let spread = total(&a, &|s| (s - m) * (s - m)) / w;
                (spread * n / (n - 1.0) / n).sqrt()
            });
            (!a.is_empty())
                .then(|| [vec![mean, Some(a.len() as f64)], with_interval(mean, se)].concat())
        }
        "churn_rate" | "retention_rate" => {
            let pairs: Vec<(bool, bool)> = rows
                .iter()
                .filter_map(|&r| Some((flag("s", r)?, flag("e", r)?)))
                .collect();
            let at_start = pairs.iter().filter(|p| p.0).count() as f64;
            let kept = pairs.iter().filter(|p| p.0 && p.1).count() as f64;
            let part = if case.function == "churn_rate" {
                at_start - kept
            } else {
                kept
            };
            one(percent(part, at_start))
        }
        "stickiness" => {
            let pairs: BTreeSet<(String, i64)> = rows
                .iter()
                .filter_map(|&r| Some((key("user", r)?, day(micros("time", r)?))))
                .collect();
            let users: BTreeSet<&String> = pairs.iter().map(|p| &p.0).collect();
            let days = pairs.iter().map(|p| p.1);
            let in_months = !case.constants.is_empty();
            // Observed days, or every day of the months from the first's to the last's.
            let span = days.clone().max().zip(days.min()).map(|(l, f)| {
                if in_months {
                    (first_day_of_month(month_of_day(l) + 1) - first_day_of_month(month_of_day(f)))
                        as f64
                } else {
                    (l - f + 1) as f64
                }
            });
            one(span.map(|span| 100.0 * pairs.len() as f64 / (span * users.len() as f64)))
        }
        "approx_stickiness" => {
            let mut daily: BTreeMap<i64, u16> = BTreeMap::new();
            for &r in rows {
                let (Some(t), ScalarValue::Binary(Some(bytes))) =
                    (micros("day", r), cell("hll_sets", r))
                else {
                    continue;
                };
                *daily.entry(day(t)).or_default() |= set_of_sketch(&bytes);
            }
            let users = daily.values().fold(0, |all, set| all | set).count_ones();
            let active: u32 = daily.values().map(|set| set.count_ones()).sum();
            let (Some((&first, _)), Some((&last, _))) =
                (daily.first_key_value(), daily.last_key_value())
            else {
                return one(None);
            };
            let span = if case.constants.is_empty() {
                (last - first + 1) as f64
            } else {
                (first_day_of_month(month_of_day(last) + 1)
                    - first_day_of_month(month_of_day(first))) as f64
            };
            one((users > 0).then(|| 100.0 * f64::from(active) / (span * f64::from(users))))
        }
        "stickiness_distribution" => {
            let in_months = !case.constants.is_empty();
            let mut periods: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
            for &r in rows {
                let (Some(user), Some(t)) = (key("user", r), micros("time", r)) else {
                    continue;
                };
                let d = day(t);
                periods.entry(user).or_default().insert(if in_months {
                    month_of_day(d)
                } else {
                    d
                });
            }
            let most = periods.values().map(BTreeSet::len).max()?;
            let users = periods.len() as f64;
            let mut out = vec![];
            for k in 1..=most {
                let with_k = periods.values().filter(|p| p.len() == k).count() as f64;
                out.extend([Some(k as f64), Some(with_k), Some(100.0 * with_k / users)]);
            }
            Some(out)
        }
        "ctr" if has("clicked") => {
            let flags: Vec<bool> = rows.iter().filter_map(|&r| flag("clicked", r)).collect();
            one(percent(
                flags.iter().filter(|f| **f).count() as f64,
                flags.len() as f64,
            ))
        }
        "ctr" | "engagement_rate" => {
            let (part, whole) = if has("clicks") {
                ("clicks", "impressions")
            } else {
                ("interactions", "reach")
            };
            let pairs: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|&r| Some((number(part, r)?, number(whole, r)?)))
                .collect();
            one(percent(
                pairs.iter().map(|p| p.0).sum(),
                pairs.iter().map(|p| p.1).sum(),
            ))
        }
        "engagement_score" => {
            let weights: Vec<f64> = rows
                .iter()
                .filter_map(|&r| key("event", r))
                .map(|e| match e.as_str() {
                    "login" => 1.0,
                    "export" => 2.5,
                    "ticket" => -3.0,
                    _ => 0.0,
                })
                .collect();
            one((!weights.is_empty()).then(|| weights.iter().sum()))
        }
        "avg_resolution_time" => {
            let seconds: Vec<f64> = rows
                .iter()
                .filter_map(|&r| Some((micros("resolved", r)? - micros("opened", r)?) as f64 / 1e6))
                .collect();
            one((!seconds.is_empty()).then(|| seconds.iter().sum::<f64>() / seconds.len() as f64))
        }
        "feature_adoption" | "first_week_active_rate" => {
            let mut users: BTreeMap<String, bool> = BTreeMap::new();
            for &r in rows {
                let Some(user) = key("user", r) else { continue };
                let counts = if case.function == "feature_adoption" {
                    flag("used", r) == Some(true)
                } else {
                    let Some(signup) = micros("signup", r) else {
                        continue;
                    };
                    micros("time", r).is_some_and(|t| signup < t && t <= signup + 7 * DAY_MICROS)
                };
                *users.entry(user).or_default() |= counts;
            }
            one(percent(
                users.values().filter(|v| **v).count() as f64,
                users.len() as f64,
            ))
        }
        "bounce_rate" | "pages_per_session" | "avg_session_duration" | "session_summary"
            if has("user") =>
        {
            let interval_micros = |position: usize| {
                let constant = case.constants.iter().find(|c| c.0 == position);
                constant.map(|(_, value)| match value {
                    ScalarValue::IntervalMonthDayNano(Some(v)) => {
                        i64::from(v.days) * DAY_MICROS + v.nanoseconds / 1_000
                    }
                    other => panic!("an interval: {other}"),
                })
            };
            let (gap, max_length) = (interval_micros(2).unwrap(), interval_micros(3));
            let mut by_user: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for &r in rows {
                if let (Some(user), Some(t)) = (key("user", r), micros("time", r)) {
                    by_user.entry(user).or_default().push(t);
                }
            }
            // (views, length) of each session.
            let mut sessions: Vec<(usize, i64)> = vec![];
            for times in by_user.values_mut() {
                times.sort_unstable();
                let (mut start, mut previous) = (times[0], times[0]);
                sessions.push((0, 0));
                for &t in times.iter() {
                    let too_long = max_length.is_some_and(|max| t - start > max);
                    if t - previous > gap || too_long {
                        sessions.push((0, 0));
                        start = t;
                    }
                    let session = sessions.last_mut().unwrap();
                    *session = (session.0 + 1, t - start);
                    previous = t;
                }
            }
            let n = sessions.len() as f64;
            let bounce = percent(sessions.iter().filter(|s| s.0 == 1).count() as f64, n);
            let views = sessions.iter().map(|s| s.0).sum::<usize>() as f64;
            let pages = (n > 0.0).then(|| views / n);
            let seconds =
                (n > 0.0).then(|| sessions.iter().map(|s| s.1 as f64 / 1e6).sum::<f64>() / n);
            match case.function {
                "bounce_rate" => one(bounce),
                "pages_per_session" => one(pages),
                "avg_session_duration" => one(seconds),
                // A group without rows has no STRUCT.
                _ => (n > 0.0).then(|| vec![Some(n), Some(views), bounce, pages, seconds]),
            }
        }
        "page_summary" => {
            let micros_of = |position: usize| match &case.constants.iter().find(|c| c.0 == position)
            {
                Some((_, ScalarValue::IntervalMonthDayNano(Some(v)))) => {
                    Some(i64::from(v.days) * DAY_MICROS + v.nanoseconds / 1_000)
                }
                _ => None,
            };
            let gap = micros_of(3).unwrap_or(30 * 60 * 1_000_000);
            let max_length = micros_of(4);
            // Each user's (time, page) views in order, ties by page.
            let mut by_user: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
            for &r in rows {
                if let (Some(user), Some(t), Some(page)) =
                    (key("user", r), micros("time", r), key("page", r))
                {
                    by_user.entry(user).or_default().push((t, page));
                }
            }
            // page -> [views, entrances, exits, bounces, timed views, microseconds on page]
            let mut pages: BTreeMap<String, [i64; 6]> = BTreeMap::new();
            for views in by_user.values_mut() {
                views.sort();
                let mut session: Vec<(i64, String)> = vec![];
                let mut close = |session: &mut Vec<(i64, String)>| {
                    for (i, (t, page)) in session.iter().enumerate() {
                        let tally = pages.entry(page.clone()).or_default();
                        tally[0] += 1;
                        tally[1] += i64::from(i == 0);
                        tally[3] += i64::from(i == 0 && session.len() == 1);
                        match session.get(i + 1) {
                            Some((next, _)) => {
                                (tally[4], tally[5]) = (tally[4] + 1, tally[5] + next - t)
                            }
                            None => tally[2] += 1,
                        }
                    }
                    session.clear();
                };
                for view in views.iter() {
                    if let (Some(first), Some(last)) = (session.first(), session.last()) {
                        let too_long = max_length.is_some_and(|max| view.0 - first.0 > max);
                        if view.0 - last.0 > gap || too_long {
                            close(&mut session);
                        }
                    }
                    session.push(view.clone());
                }
                close(&mut session);
            }
            if pages.is_empty() {
                return None;
            }
            let mut rows: Vec<(&String, &[i64; 6])> = pages.iter().collect();
            rows.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then(a.0.cmp(b.0)));
            Some(
                rows.into_iter()
                    .flat_map(|(page, t)| {
                        let numbers = t[..4].iter().map(|&n| Some(n as f64));
                        let rates = [
                            percent(t[2] as f64, t[0] as f64),
                            percent(t[3] as f64, t[1] as f64),
                            (t[4] > 0).then(|| t[5] as f64 / 1e6 / t[4] as f64),
                        ];
                        std::iter::once(Some(page_number(page)))
                            .chain(numbers)
                            .chain(rates)
                    })
                    .collect(),
            )
        }
        "bounce_rate" | "pages_per_session" => {
            let mut sessions: BTreeMap<String, usize> = BTreeMap::new();
            for &r in rows {
                if let Some(session) = key("session", r) {
                    *sessions.entry(session).or_default() += 1;
                }
            }
            let n = sessions.len() as f64;
            one(if case.function == "bounce_rate" {
                percent(sessions.values().filter(|v| **v == 1).count() as f64, n)
            } else {
                (n > 0.0).then(|| sessions.values().sum::<usize>() as f64 / n)
            })
        }
        "avg_session_duration" => {
            let mut sessions: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for &r in rows {
                if let (Some(session), Some(t)) = (key("session", r), micros("time", r)) {
                    let span = sessions.entry(session).or_insert((t, t));
                    *span = (span.0.min(t), span.1.max(t));
                }
            }
            let n = sessions.len() as f64;
            one((n > 0.0).then(|| {
                sessions
                    .values()
                    .map(|s| (s.1 - s.0) as f64 / 1e6)
                    .sum::<f64>()
                    / n
            }))
        }
        "clv" => {
            let orders: Vec<(f64, String, i64)> = rows
                .iter()
                .filter_map(|&r| {
                    Some((
                        number("value", r)?,
                        key("customer", r)?,
                        day(micros("time", r)?),
                    ))
                })
                .collect();
            let customers: BTreeSet<&String> = orders.iter().map(|o| &o.1).collect();
            let days = orders.iter().map(|o| o.2);
            let in_months = case.constants.len() > 1;
            // Years observed, or the months from the first order's to the last's in years.
            let years = days.clone().max().zip(days.min()).map(|(l, f)| {
                if in_months {
                    (month_of_day(l) - month_of_day(f) + 1) as f64 / 12.0
                } else {
                    (l - f + 1) as f64 / 365.25
                }
            });
            one(years.map(|years| {
                orders.iter().map(|o| o.0).sum::<f64>() / customers.len() as f64 / years * 3.0
            }))
        }
        "retention" | "unbounded_retention" => {
            let constant = |position| &case.constants.iter().find(|c| c.0 == position).unwrap().1;
            let ScalarValue::IntervalMonthDayNano(Some(period)) = constant(2) else {
                panic!("period")
            };
            let period = i64::from(period.days) * DAY_MICROS;
            // Brackets of periods (first, last): 0, then 1, 2, … or those written.
            let brackets: Vec<(i64, i64)> = match constant(3) {
                ScalarValue::Int64(Some(periods)) => (0..=*periods).map(|k| (k, k)).collect(),
                ScalarValue::Utf8(Some(written)) => std::iter::once((0, 0))
                    .chain(written.split(',').map(|b| match b.split_once('-') {
                        Some((f, l)) => (f.trim().parse().unwrap(), l.trim().parse().unwrap()),
                        None => (b.trim().parse().unwrap(), b.trim().parse().unwrap()),
                    }))
                    .collect(),
                other => panic!("periods {other}"),
            };
            // With conditions: the start is the first event meeting start_if, the returns
            // those meeting return_if.
            let by_events = has("start_if");
            // Each user's returns, start and return times, and earliest start.
            type Timeline = (Vec<i64>, Vec<i64>, Option<i64>);
            let mut users: BTreeMap<String, Timeline> = BTreeMap::new();
            let mut seen = false;
            for &r in rows {
                let Some(user) = key("user", r) else { continue };
                let event = micros("time", r);
                let start = if by_events {
                    event.filter(|_| flag("start_if", r) == Some(true))
                } else if has("start") {
                    micros("start", r)
                } else {
                    None
                };
                let returns = !by_events || flag("return_if", r) == Some(true);
                // With conditions, a row neither a start nor a return only gives its group a
                // result.
                seen |= by_events && event.is_some();
                if (event.is_none() || !returns) && start.is_none() {
                    continue;
                }
                let entry = users.entry(user).or_default();
                if returns {
                    entry.0.extend(event);
                }
                // The data's end: the last start or return.
                if returns || start.is_some() {
                    entry.1.extend(event);
                }
                entry.2 = match (entry.2, start) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            if users.is_empty() && !seen {
                return None;
            }
            let last = users.values().flat_map(|u| u.1.iter().copied()).max();
            let mut out = vec![];
            for &(first, last_period) in &brackets {
                let (mut counted, mut retained) = (0, 0);
                for (returns, events, start) in users.values() {
                    let first_event = events.iter().copied().min();
                    let Some(start) = (if by_events {
                        *start
                    } else {
                        start.or(first_event)
                    }) else {
                        continue;
                    };
                    let window = |t: i64| (t - start).div_euclid(period);
                    if last.is_none_or(|last| start + (last_period + 1) * period > last) {
                        continue;
                    }
                    counted += 1;
                    let retained_here = returns.iter().any(|&t| {
                        t >= start
                            && if case.function == "retention" {
                                (first..=last_period).contains(&window(t))
                            } else {
                                window(t) >= first
                            }
                    });
                    retained += i64::from(retained_here);
                }
                out.extend([
                    Some(first as f64),
                    Some(counted as f64),
                    Some(retained as f64),
                    percent(retained as f64, counted as f64),
                ]);
            }
            Some(out)
        }
        "window_funnel" | "funnel" | "funnel_conversion_times" | "funnel_conversion_histogram" => {
            let steps: Vec<&str> = ["step_1", "step_2"]
                .into_iter()
                .filter(|s| has(s))
                .collect();
            // (time, steps met) of each timeline's events: one timeline per user, or the group.
            let mut timelines: BTreeMap<String, Vec<(i64, Vec<bool>)>> = BTreeMap::new();
            for &r in rows {
                let timeline = if case.function != "window_funnel" {
                    let Some(user) = key("user", r) else { continue };
                    user
                } else {
                    String::new()
                };
                let Some(t) = micros("time", r) else { continue };
                let met = steps.iter().map(|s| flag(s, r) == Some(true)).collect();
                timelines.entry(timeline).or_default().push((t, met));
            }
            // The longest chain, by trying every one.
            fn deepest(events: &[(i64, Vec<bool>)], step: usize, first: i64, last: i64) -> usize {
                let steps = events.first().map_or(0, |e| e.1.len());
                if step == steps {
                    return step;
                }
                events
                    .iter()
                    .filter(|(t, met)| met[step] && *t > last && *t <= first + 2 * DAY_MICROS)
                    .map(|(t, _)| deepest(events, step + 1, first, *t))
                    .max()
                    .unwrap_or(step)
            }
            let level = |events: &[(i64, Vec<bool>)]| {
                events
                    .iter()
                    .filter(|(_, met)| met[0])
                    .map(|&(t, _)| deepest(events, 1, t, t))
                    .max()
                    .unwrap_or(0)
            };
            if case.function == "window_funnel" {
                return one(timelines.values().next().map(|e| level(e) as f64));
            }
            if timelines.is_empty() {
                return None;
            }
            if case.function != "funnel" {
                return Some(conversion_times_reference(
                    case.function,
                    &timelines,
                    steps.len(),
                ));
            }
            let reached: Vec<f64> = (1..=steps.len())
                .map(|k| timelines.values().filter(|e| level(e) >= k).count() as f64)
                .collect();
            let mut out = vec![];
            for (k, &users) in reached.iter().enumerate() {
                let previous = if k == 0 { reached[0] } else { reached[k - 1] };
                out.extend([
                    Some(k as f64 + 1.0),
                    Some(users),
                    Some(previous - users),
                    percent(users, previous),
                    percent(users, reached[0]),
                ]);
            }
            Some(out)
        }
        "lifecycle" => {
            let weeks = matches!(&case.constants[0].1, ScalarValue::Utf8(Some(p)) if p == "week");
            let period_of = |t: i64| {
                let d = day(t);
                if weeks { (d + 3).div_euclid(7) } else { d }
            };
            let first_day = |p: i64| if weeks { p * 7 - 3 } else { p };
            let mut users: BTreeMap<String, (BTreeSet<i64>, Option<i64>)> = BTreeMap::new();
            for &r in rows {
                let Some(user) = key("user", r) else { continue };
                let event = micros("time", r).map(period_of);
                let signup = if has("start") {
                    micros("start", r).map(period_of)
                } else {
                    None
                };
                if event.is_none() && signup.is_none() {
                    continue;
                }
                let entry = users.entry(user).or_default();
                entry.0.extend(event);
                entry.1 = match (entry.1, signup) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            // Active periods from the signup's on.
            let active: Vec<(BTreeSet<i64>, Option<i64>)> = users
                .into_values()
                .map(|(periods, signup)| {
                    (
                        periods
                            .into_iter()
                            .filter(|&p| signup.is_none_or(|s| p >= s))
                            .collect(),
                        signup,
                    )
                })
                .collect();
            let first = active.iter().filter_map(|u| u.0.first()).min().copied()?;
            let last = active.iter().filter_map(|u| u.0.last()).max().copied()?;
            let mut out = vec![];
            let mut previous_active = 0;
            for p in first..=last {
                let is_active = |u: &(BTreeSet<i64>, Option<i64>), p: i64| u.0.contains(&p);
                let now: Vec<_> = active.iter().filter(|u| is_active(u, p)).collect();
                let new = now
                    .iter()
                    .filter(|u| match u.1 {
                        Some(signup) => signup == p,
                        None => u.0.first() == Some(&p),
                    })
                    .count();
                let returning = now.iter().filter(|u| is_active(u, p - 1)).count();
                let dormant = active
                    .iter()
                    .filter(|u| is_active(u, p - 1) && !is_active(u, p))
                    .count();
                let resurrecting = now.len() - new - returning;
                let rate = |part: usize| percent(part as f64, previous_active as f64);
                out.extend([
                    Some(first_day(p) as f64),
                    Some(now.len() as f64),
                    Some(new as f64),
                    Some(returning as f64),
                    Some(resurrecting as f64),
                    Some(dormant as f64),
                    rate(dormant),
                    rate(returning),
                ]);
                previous_active = now.len();
            }
            Some(out)
        }
        other => panic!("no reference for {other}"),
    }
}

/// Partial aggregation the way the engine may run it: the rows of one partition in random
/// batches, into a GroupsAccumulator with the partition's own group numbers, which emits the
/// state of its first groups early at random. Returns the state batches with the global group
/// of each state row.
fn partial_states(
    case: &Case,
    random: &mut Random,
    rows: &[usize],
    group_of: &[usize],
) -> Vec<(Vec<ArrayRef>, Vec<usize>)> {
    use datafusion::arrow::array::UInt32Array;
    let mut out = vec![];
    case.with_args(|udaf, args| {
        let mut partial = udaf.create_groups_accumulator(args).unwrap();
        // Local group number → global group.
        let mut locals: Vec<usize> = vec![];
        for piece in random.pieces(rows.len()) {
            let picks =
                UInt32Array::from_iter_values(rows[piece.clone()].iter().map(|&r| r as u32));
            let values: Vec<ArrayRef> = case
                .values(0..case.rows())
                .iter()
                .map(|v| datafusion::arrow::compute::take(v.as_ref(), &picks, None).unwrap())
                .collect();
            if random.chance(20) {
                // Partial aggregation skipped: every row becomes a state row of its own.
                let state = partial.convert_to_state(&values, None).unwrap();
                out.push((state, rows[piece].iter().map(|&r| group_of[r]).collect()));
            } else {
                let groups: Vec<usize> = rows[piece]
                    .iter()
                    .map(|&r| match locals.iter().position(|&g| g == group_of[r]) {
                        Some(local) => local,
                        None => {
                            locals.push(group_of[r]);
                            locals.len() - 1
                        }
                    })
                    .collect();
                partial
                    .update_batch(&values, &groups, None, locals.len())
                    .unwrap();
            }
            if random.chance(25) && !locals.is_empty() {
                let first = random.below(locals.len()) + 1;
                let state = partial.state(EmitTo::First(first)).unwrap();
                out.push((state, locals.drain(..first).collect()));
            }
        }
        if !locals.is_empty() {
            let state = partial.state(EmitTo::All).unwrap();
            out.push((state, locals));
        }
    });
    out
}

#[test]
fn results_do_not_depend_on_how_the_work_is_split() {
    let seed = std::env::var("ENGAGE_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_u64);
    let mut random = Random(seed);
    for case in cases() {
        for round in 0..40 {
            // At least one row: without rows the engine has no groups to evaluate.
            let rows = 1 + random.below(60);
            let groups = 1 + random.below(6);
            let sample = random_case(&case, &mut random, rows);
            let group_of: Vec<usize> = (0..rows).map(|_| random.below(groups)).collect();
            let context = format!("{} (seed {seed:#x}, round {round})", case.function);

            // Each group's rows, one at a time, into a single-group Accumulator, and the plain
            // computation of the metric: the two must agree.
            let expected: Vec<ScalarValue> = (0..groups)
                .map(|group| {
                    let rows_of_group: Vec<usize> =
                        (0..rows).filter(|&r| group_of[r] == group).collect();
                    let single = sample.with_args(|udaf, args| {
                        let mut accumulator = udaf.accumulator(args).unwrap();
                        for &row in &rows_of_group {
                            accumulator
                                .update_batch(&sample.values(row..row + 1))
                                .unwrap();
                        }
                        accumulator.evaluate().unwrap()
                    });
                    let context = format!("{context}, group {group}");
                    assert_close(&single, &reference(&sample, &rows_of_group), &context);
                    single
                })
                .collect();

            // Rows dealt to up to three partitions in random order.
            let partitions = 1 + random.below(3);
            let mut dealt = vec![vec![]; partitions];
            for row in 0..rows {
                dealt[random.below(partitions)].push(row);
            }
            let mut states = vec![];
            for partition_rows in &dealt {
                states.extend(partial_states(
                    &sample,
                    &mut random,
                    partition_rows,
                    &group_of,
                ));
            }
            // Final aggregation: the state batches in random order, some cut in two.
            let got = sample.with_args(|udaf, args| {
                let mut merged = udaf.create_groups_accumulator(args).unwrap();
                while !states.is_empty() {
                    let (state, state_groups) = states.swap_remove(random.below(states.len()));
                    for piece in random.pieces(state_groups.len()) {
                        let slice: Vec<ArrayRef> = state
                            .iter()
                            .map(|s| s.slice(piece.start, piece.len()))
                            .collect();
                        merged
                            .merge_batch(&slice, &state_groups[piece], groups)
                            .unwrap();
                    }
                }
                // Emitted in random runs of first groups.
                let mut results = vec![];
                let mut left = groups;
                while left > 0 {
                    let first = 1 + random.below(left);
                    let emit = if first == left {
                        EmitTo::All
                    } else {
                        EmitTo::First(first)
                    };
                    results.extend(as_values(&merged.evaluate(emit).unwrap()));
                    left -= first;
                }
                results
            });
            assert_eq!(estimated(got), estimated(expected), "{context}");
        }
    }
}

/// Results with each sketch read as its estimate: a sketch's bytes depend on the order its
/// values came in (a hash table's layout), its estimate only on the values.
fn estimated(results: Vec<ScalarValue>) -> Vec<ScalarValue> {
    results
        .into_iter()
        .map(|result| match &result {
            ScalarValue::Binary(Some(_)) => ScalarValue::Float64(fields_of(&result).unwrap()[0]),
            _ => result,
        })
        .collect()
}

/// An ungrouped aggregate of more users than one bucket of the event-sequence log holds: its
/// final stage is one accumulator, which reads them on several threads at once. With one
/// partition and with several, `page_summary` equals the window functions per page, and
/// `session_summary` the sessions they number.
#[tokio::test]
async fn an_ungrouped_aggregate_of_many_users_equals_the_window_functions() {
    use datafusion::prelude::{SessionConfig, SessionContext};
    // 70 000 visitors, 3 views each, 0 to 67 minutes apart: sessions of 1 to 3 views.
    let many = "CREATE TABLE many AS
        SELECT v % 70000 AS visitor, '/p' || (v % 5) AS page,
               to_timestamp_seconds(1772323200 + (v % 70000) * 10 + (v / 70000) * 1200 + (v % 11) * 400) AS t
        FROM generate_series(0, 209999) AS s(v)";
    let pages = "WITH ours AS (
          SELECT p['page'] AS page, p['views'] AS views, p['entrances'] AS entrances, p['exits'] AS exits,
                 p['avg_time_on_page'] AS time_on_page
          FROM (SELECT unnest(page_summary(visitor, t, page)) AS p FROM many)
        ), windows AS (
          SELECT page, count(*) AS views, sum(CAST(is_entry AS INT)) AS entrances,
                 sum(CAST(is_exit AS INT)) AS exits, avg(seconds) AS time_on_page
          FROM (SELECT page, session_entry(t) OVER w AS is_entry, session_exit(t) OVER w AS is_exit,
                       time_on_page(t) OVER w AS seconds
                FROM many WINDOW w AS (PARTITION BY visitor ORDER BY t, page))
          GROUP BY page
        )
        SELECT count(*) AS pages,
               sum(CAST(ours.views = windows.views AND ours.entrances = windows.entrances
                        AND ours.exits = windows.exits
                        AND abs(ours.time_on_page - windows.time_on_page) < 1e-9 AS BIGINT)) AS equal,
               sum(ours.entrances) AS sessions
        FROM ours JOIN windows USING (page)";
    let sessions = "WITH windows AS (
          SELECT sum(CAST(is_entry AS BIGINT)) AS sessions, sum(CAST(is_entry AND is_exit AS BIGINT)) AS bounces,
                 count(*) AS views
          FROM (SELECT session_entry(t) OVER w AS is_entry, session_exit(t) OVER w AS is_exit
                FROM many WINDOW w AS (PARTITION BY visitor ORDER BY t, page))
        )
        SELECT s['sessions'] = sessions AND s['page_views'] = views
                 AND abs(s['bounce_rate'] - 100.0 * bounces / sessions) < 1e-9
                 AND abs(s['pages_per_session'] - CAST(views AS DOUBLE) / sessions) < 1e-9 AS equal,
               sessions
        FROM (SELECT session_summary(visitor, t, INTERVAL '30 minutes') AS s FROM many), windows";
    for partitions in [1, 4] {
        let config = SessionConfig::new().with_target_partitions(partitions);
        let mut ctx = SessionContext::new_with_config(config);
        datafusion_engagement::register_all(&mut ctx).unwrap();
        ctx.sql(many).await.unwrap().collect().await.unwrap();
        let scalar = |batches: &[datafusion::arrow::array::RecordBatch], column: usize| {
            ScalarValue::try_from_array(batches[0].column(column), 0).unwrap()
        };
        let by_page = ctx.sql(pages).await.unwrap().collect().await.unwrap();
        assert_eq!(
            scalar(&by_page, 0),
            ScalarValue::Int64(Some(5)),
            "{partitions}"
        );
        assert_eq!(
            scalar(&by_page, 1),
            ScalarValue::Int64(Some(5)),
            "{partitions}"
        );
        // Sessions of every length: neither one per visitor nor one per view.
        let ScalarValue::Int64(Some(sessions_made)) = scalar(&by_page, 2) else {
            panic!("a count")
        };
        assert!(
            (80_000..200_000).contains(&sessions_made),
            "{sessions_made}"
        );
        let summary = ctx.sql(sessions).await.unwrap().collect().await.unwrap();
        assert_eq!(
            scalar(&summary, 0),
            ScalarValue::Boolean(Some(true)),
            "{partitions}"
        );
        assert_eq!(scalar(&summary, 1), ScalarValue::Int64(Some(sessions_made)));
    }
}
