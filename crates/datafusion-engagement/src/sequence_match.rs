//! `sequence_match(pattern, event_time, condition_1, …, condition_n)`: whether a group's
//! events, in time order, match a pattern — ClickHouse's `sequenceMatch`.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::families::sequence_pattern::{
    Event, PATTERN_ARG, PATTERN_DOC, SequenceConditions, SequencePattern, example_arg_types,
    pattern_of, sequence_arg_types, sequence_documentation,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, OneValue, ReducedSequences, Reductions, ResultRows,
    TimelineMetric, result_row, result_type,
};

const NAME: &str = "sequence_match";
const USAGE: &str = "sequence_match(pattern, event_time, condition_1, …, condition_n)";

/// Whether each group's events match the pattern.
#[derive(Debug)]
pub(crate) struct SequenceMatch;

shared_udaf!(
    /// The `sequence_match` aggregate function.
    sequence_match_udaf,
    SequenceMatch
);

impl Metric for SequenceMatch {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const REQUIRED_ARGS: &'static [usize] = &[];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(PATTERN_ARG, "pattern")];
    // Rows repeated at one instant are one event already.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "condition_events", "is_start"];
    type Rule = SequencePattern;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            sequence_documentation(
                format!(
                    "Whether the group's events, in time order, match the pattern, typically \
                     grouped by user: ClickHouse's sequenceMatch(pattern)(event_time, \
                     condition_1, …). {PATTERN_DOC} A group whose rows meet no condition \
                     matches only a pattern that needs no event; a group without any row \
                     gives NULL."
                ),
                USAGE,
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

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        sequence_arg_types(NAME, arg_types, USAGE)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        example_arg_types()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<SequencePattern> {
        pattern_of(NAME, constants)
    }
}

result_row! {
    /// Whether a group matched.
    pub(crate) struct Matched {
        matched: bool,
    }
}

impl TimelineMetric for SequenceMatch {
    type Context = SequenceConditions;
    type Output = OneValue<Matched>;

    fn context(
        pattern: SequencePattern,
        _event_time: &DataType,
        arguments: usize,
    ) -> Result<SequenceConditions> {
        SequenceConditions::new(NAME, pattern, arguments)
    }

    fn values<'a>(cx: &SequenceConditions, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        cx.values(NAME, times)
    }
}

impl EventSequenceMetric for SequenceMatch {
    const PER_USER: bool = false;
    type Gathered = Reductions<Self>;

    fn row_bits(cx: &SequenceConditions, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        Ok(cx.row_bits(arguments))
    }
}

impl ReducedSequences for SequenceMatch {
    type Reduced = bool;

    fn reduce(cx: &SequenceConditions, values: &[i64]) -> Result<bool> {
        let mut events = vec![];
        SequenceConditions::events(values, &mut events);
        cx.pattern.matches(NAME, &events)
    }

    fn evaluate_group(
        cx: &SequenceConditions,
        matched: &[bool],
        rows: &mut ResultRows<Matched>,
    ) -> Result<()> {
        // One sequence per group, or none when its rows met no condition.
        let matched = match matched.first() {
            Some(&matched) => matched,
            None => cx.pattern.matches(NAME, &[] as &[Event])?,
        };
        rows.push(Matched { matched });
        Ok(())
    }
}
