//! `sequence_count(pattern, event_time, condition_1, …, condition_n)`: how many times a
//! group's events, in time order, match a pattern without overlapping — ClickHouse's
//! `sequenceCount`.

use std::sync::LazyLock;

use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::metric::shared_udaf;
use crate::families::sequence_pattern::{
    Event, PATTERN_DOC, SequenceOutcome, SequencePattern, Sequences, sequence_documentation,
};
use crate::kernels::timelines::result_row;

const NAME: &str = "sequence_count";

/// How many times each group's events match the pattern.
#[derive(Debug)]
pub(crate) struct SequenceCount;

shared_udaf!(
    /// The `sequence_count` aggregate function.
    sequence_count_udaf,
    Sequences<SequenceCount>
);

result_row! {
    /// How many times a group matched.
    pub(crate) struct Matches {
        matches: i64,
    }
}

impl SequenceOutcome for SequenceCount {
    const FUNCTION: &'static str = NAME;
    const RESULT_UNIT: Option<&'static str> = Some("matches");
    type Row = Matches;
    type Reduced = i64;

    fn function_documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            sequence_documentation(
                NAME,
                format!(
                    "How many times the group's events, in time order, match the pattern \
                     without overlapping (each search starts after the last event of the \
                     match before), typically grouped by user: ClickHouse's \
                     sequenceCount(pattern)(event_time, condition_1, …). {PATTERN_DOC} A \
                     group whose rows meet no condition gives 0; a group without any row \
                     gives NULL."
                ),
                "```sql\n-- searches followed by a purchase within 10 minutes, per user\n\
                 SELECT user_id,\n       \
                 sequence_count('(?1)(?t<=600)(?2)', event_time,\n                      \
                 event_name = 'search', event_name = 'purchase') AS converting_searches\n\
                 FROM events GROUP BY user_id;\n```",
            )
        });
        &DOCUMENTATION
    }

    fn reduce(pattern: &SequencePattern, events: &[Event]) -> Result<i64> {
        pattern.count(NAME, events)
    }

    fn row(matches: i64) -> Matches {
        Matches { matches }
    }
}
