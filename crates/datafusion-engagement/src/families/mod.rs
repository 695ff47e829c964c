//! Rules shared by a family of metrics, each family's in one file: the survey scales and
//! weights (nps, csat, ces and their summaries), ratios of sums (ctr, engagement_rate), flags
//! of activity at a period's start and end (churn_rate, retention_rate), funnel steps
//! (window_funnel, funnel), the times to convert (funnel_conversion_times,
//! funnel_conversion_histogram), sequence patterns (sequence_match, sequence_count), per-key values (the session and customer metrics), Apache DataSketches' sketches (hll_sketch, theta_sketch and their unions) and the labels
//! of the scalar functions.

pub(crate) mod active_flags;
pub(crate) mod conversion_times;
pub(crate) mod event_codes;
pub(crate) mod funnel_steps;
pub(crate) mod hll_registers;
pub(crate) mod key_values;
pub(crate) mod labels;
pub(crate) mod ratio;
pub(crate) mod scores;
pub(crate) mod sequence_pattern;
pub(crate) mod session_windows;
pub(crate) mod sessions;
pub(crate) mod sketches;
pub(crate) mod survey;
