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

/// A small deterministic generator (SplitMix64): the same seed gives the same cases, so a
/// failure names a seed that reproduces it.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
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

/// A case whose rows are `rows` rows drawn (with repeats) from the case's own rows, which are
/// all valid for the function: random inputs with NULLs and duplicate keys.
fn resampled(case: &Case, random: &mut Random, rows: usize) -> Case {
    use datafusion::arrow::array::UInt32Array;
    let picks = UInt32Array::from_iter_values((0..rows).map(|_| random.below(case.rows()) as u32));
    Case {
        function: case.function,
        columns: case
            .columns
            .iter()
            .map(|(name, column)| {
                (
                    *name,
                    datafusion::arrow::compute::take(column.as_ref(), &picks, None).unwrap(),
                )
            })
            .collect(),
        constants: case.constants.clone(),
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
            let sample = resampled(&case, &mut random, rows);
            let group_of: Vec<usize> = (0..rows).map(|_| random.below(groups)).collect();
            let context = format!("{} (seed {seed:#x}, round {round})", case.function);

            // The reference: each group's rows, one at a time, into a single-group Accumulator.
            let expected: Vec<ScalarValue> = (0..groups)
                .map(|group| {
                    sample.with_args(|udaf, args| {
                        let mut accumulator = udaf.accumulator(args).unwrap();
                        for row in (0..rows).filter(|&r| group_of[r] == group) {
                            accumulator
                                .update_batch(&sample.values(row..row + 1))
                                .unwrap();
                        }
                        accumulator.evaluate().unwrap()
                    })
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
            assert_eq!(got, expected, "{context}");
        }
    }
}
