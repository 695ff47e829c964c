//! Kernels and helpers shared by the functions of this pack.

pub(crate) mod args;
pub(crate) mod days;
pub(crate) mod group_keys;
pub(crate) mod key_values;
pub(crate) mod keyed;
pub(crate) mod labels;
pub(crate) mod lifecycle;
pub(crate) mod list_state;
pub(crate) mod metric;
pub(crate) mod ratio;
pub(crate) mod rows;
pub(crate) mod scores;
pub(crate) mod strings;
pub(crate) mod survey;
pub(crate) mod tally;
pub(crate) mod user_ids;

use datafusion::logical_expr::DocSection;

/// The documentation section every function of this pack is listed under.
pub(crate) const DOC_SECTION_ENGAGEMENT: DocSection = DocSection {
    include: true,
    label: "Engagement Functions",
    description: Some("Customer-engagement metrics from datafusion-engagement."),
};
