//! Stored states: every aggregate's partial state as a value a table can store, to finish or
//! combine later without the rows (ClickHouse's `-State`/`-Merge`, DuckDB's
//! `AGGREGATE_STATE`/`FINALIZE`, Doris's `_state`/`_merge`/`_union`).
//!
//! For each aggregate `f` of the pack:
//! - `f_state(…)`, with `f`'s arguments, gives the state of a group's rows;
//! - `f_merge(state)` gives `f` of every row behind the states it aggregates, exactly;
//! - `f_union(state)` gives one state standing for them, to store again.
//!
//! A stored state is a STRUCT (see [`STATE_FORMAT`] for its fields). It carries a format
//! number, so that a state this release cannot read is refused with an error instead of being
//! misread; the function, so that `nps_merge` refuses `csat`'s states; and the call's constant
//! arguments, so that states of different calls (a `retention` by week and one by day) are not
//! combined. The aggregate's own accumulator does the work: `f_state` is `f`'s accumulator
//! whose state is the result, and `f_merge` merges states into `f`'s accumulator as
//! DataFusion's final stage does.

mod functions;
mod layout;

pub use layout::STATE_FORMAT;

pub(crate) use functions::state_functions;
