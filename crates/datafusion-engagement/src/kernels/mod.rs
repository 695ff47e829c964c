//! The kernels: how a family of metrics keeps its state. Each is a small trait saying what a
//! metric must tell it, and a [`Kernel`](crate::common::metric::Kernel) giving the
//! `Accumulator` and the native `GroupsAccumulator` (FILTER, `EmitTo`, `convert_to_state`,
//! merging and `size()`) for every metric of the family:
//!
//! - [`tally`]: a count and a few sums per group (nps, csat, ces, churn_rate, ctr, …):
//!   `TallyRule`.
//! - [`keyed`]: one value per distinct (group, key) — a user, session or customer
//!   (bounce_rate, clv, …): `KeyedRule`.
//! - [`timelines`]: users' events over time — per-user timelines with an optional start
//!   (retention, lifecycle: `UserTimelineMetric`) and ordered event sequences (the funnels:
//!   `EventSequenceMetric`).
//! - [`sketches`]: one Apache DataSketches sketch per group (`hll_sketch`, `theta_union`, …):
//!   `SketchRule`.
//!
//! `stickiness` keeps a state of its own (day windows per (group, user)) on the shared
//! (group, key) table.

pub(crate) mod keyed;
pub(crate) mod sketches;
pub(crate) mod tally;
pub(crate) mod timelines;
