//! `sequence_match(pattern, event_time, condition_1, …, condition_n)`: whether a group's
//! events, in time order, match a pattern — ClickHouse's `sequenceMatch`.

use std::sync::LazyLock;

use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::metric::shared_udaf;
use crate::families::sequence_pattern::{
    Event, PATTERN_DOC, SequenceOutcome, SequencePattern, Sequences, sequence_documentation,
};
use crate::kernels::timelines::result_row;

const NAME: &str = "sequence_match";

/// Whether each group's events match the pattern.
#[derive(Debug)]
pub(crate) struct SequenceMatch;

shared_udaf!(
    /// The `sequence_match` aggregate function.
    sequence_match_udaf,
    Sequences<SequenceMatch>
);

result_row! {
    /// Whether a group matched.
    pub(crate) struct Matched {
        matched: bool,
    }
}

impl SequenceOutcome for SequenceMatch {
    const FUNCTION: &'static str = NAME;
    const RESULT_UNIT: Option<&'static str> = None;
    type Row = Matched;
    type Reduced = bool;

    fn function_documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            sequence_documentation(
                NAME,
                format!(
                    "Whether the group's events, in time order, match the pattern, typically \
                     grouped by user: ClickHouse's sequenceMatch(pattern)(event_time, \
                     condition_1, …). {PATTERN_DOC} A group whose rows meet no condition \
                     matches only a pattern that needs no event; a group without any row \
                     gives NULL."
                ),
                "```sql\n-- users who viewed, then paid within an hour of the view\n\
                 SELECT count(*) FILTER (WHERE converted) AS users\n\
                 FROM (SELECT user_id,\n             \
                 sequence_match('(?1)(?t<=3600)(?2)', event_time,\n                            \
                 event_name = 'view', event_name = 'pay') AS converted\n      \
                 FROM events GROUP BY user_id);\n```",
            )
        });
        &DOCUMENTATION
    }

    fn reduce(pattern: &SequencePattern, events: &[Event]) -> Result<bool> {
        pattern.matches(NAME, events)
    }

    fn row(matched: bool) -> Matched {
        Matched { matched }
    }
}
