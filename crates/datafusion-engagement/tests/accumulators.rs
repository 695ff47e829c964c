//! The single-group `Accumulator` and the native `GroupsAccumulator` of every aggregate agree,
//! and their states are interchangeable: partial results from either merge into the other,
//! and `convert_to_state` produces the same state as updating.

#[path = "support/case.rs"]
mod case;

use std::sync::Arc;

use case::Case;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::EmitTo;

fn cases() -> Vec<Case> {
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
            columns: vec![("user", names), ("time", Arc::clone(&times))],
            constants: vec![],
        },
        Case {
            function: "stickiness",
            columns: vec![("user", numbers), ("time", times)],
            constants: vec![],
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
    cases.extend(keyed_and_weighted);
    cases
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
    "feature_adoption",
    "first_week_active_rate",
    "bounce_rate",
    "pages_per_session",
    "avg_session_duration",
    "clv",
];

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
