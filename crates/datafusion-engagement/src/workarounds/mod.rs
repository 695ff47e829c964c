//! Stand-ins for what DataFusion 55 does not do yet, kept apart from the metrics: each says
//! the upstream issue or pull request it waits for and when it can go. None changes a
//! result; each either makes a query faster or keeps it within memory, or makes a query
//! correct that DataFusion gets wrong.
//!
//! | here | stands in for | remove when |
//! |---|---|---|
//! | [`date_trunc`] | DataFusion's `date_trunc` truncates to week, month, quarter and year row by row, a `Result` per value (apache/datafusion PR #23542 made each row cheaper; 55.2 has it, still per row); and refuses a precision given as a column, which DataFusion's FFI passes for every constant (apache/datafusion issue #18201) | DataFusion truncates a whole array at once (time `date_trunc('month', t)` over 20M rows against `date_trunc('day', t)`) and the FFI keeps scalars scalar |
//! | [`key_set_aggregation`] | DataFusion sizes a partial aggregate's emitted states in rows, not bytes: a state of a million keys per group passes the repartition in batches the memory pool cannot bound (apache/datafusion issue #24704, blocked memory management in hash aggregation) | two-stage plans of stickiness and the distinct-user metrics keep `engage --memory-limit` (the shell's `tests/end_to_end/memory.rs`, with the rule left out of the session) |
//! | [`sort_keys_after_unnest`] | DataFusion keeps a GROUP BY's functional dependencies through `UNNEST` and drops `ORDER BY` keys of the unnested rows (apache/datafusion PR #24787) | a DataFusion release has PR #24787 (the "ORDER BY after UNNEST" case of `tests/slt/funnels.slt` passes with the rule left in) |
//! | the Python package's `grouped_batches.rs` | datafusion-ffi 55's `FFI_GroupsAccumulator` copies each batch's group indices element by element on the receiving side (no upstream issue filed yet) | datafusion-ffi passes the indices without a copy (its `update_batch` callback in `udaf/groups_accumulator.rs`) |

pub mod date_trunc;
pub mod key_set_aggregation;
pub mod sort_keys_after_unnest;
