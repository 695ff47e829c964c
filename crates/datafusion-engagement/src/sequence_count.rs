//! `sequence_count(pattern, event_time, condition_1, …, condition_n)`: how many times a
//! group's events, in time order, match a pattern without overlapping — ClickHouse's
//! `sequenceCount`.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::families::sequence_pattern::{
    PATTERN_ARG, PATTERN_DOC, SequenceConditions, SequencePattern, example_arg_types, pattern_of,
    sequence_arg_types, sequence_documentation,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, OneValue, ReducedSequences, Reductions, ResultRows,
    TimelineMetric, result_row, result_type,
};

const NAME: &str = "sequence_count";
const USAGE: &str = "sequence_count(pattern, event_time, condition_1, …, condition_n)";

/// How many times each group's events match the pattern.
#[derive(Debug)]
pub(crate) struct SequenceCount;

shared_udaf!(
    /// The `sequence_count` aggregate function.
    sequence_count_udaf,
    SequenceCount
);

impl Metric for SequenceCount {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = Some("matches");
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
                    "How many times the group's events, in time order, match the pattern \
                     without overlapping (each search starts after the last event of the \
                     match before), typically grouped by user: ClickHouse's \
                     sequenceCount(pattern)(event_time, condition_1, …). {PATTERN_DOC} A \
                     group whose rows meet no condition gives 0; a group without any row \
                     gives NULL."
                ),
                USAGE,
                "```sql\n-- searches followed by a purchase within 10 minutes, per user\n\
                 SELECT user_id,\n       \
                 sequence_count('(?1)(?t<=600)(?2)', event_time,\n                      \
                 event_name = 'search', event_name = 'purchase') AS converting_searches\n\
                 FROM events GROUP BY user_id;\n```",
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
    /// How many times a group matched.
    pub(crate) struct Matches {
        matches: i64,
    }
}

impl TimelineMetric for SequenceCount {
    type Context = SequenceConditions;
    type Output = OneValue<Matches>;

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

impl EventSequenceMetric for SequenceCount {
    const PER_USER: bool = false;
    type Gathered = Reductions<Self>;

    fn row_bits(cx: &SequenceConditions, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        Ok(cx.row_bits(arguments))
    }
}

impl ReducedSequences for SequenceCount {
    type Reduced = i64;

    fn reduce(cx: &SequenceConditions, values: &[i64]) -> Result<i64> {
        let mut events = vec![];
        SequenceConditions::events(values, &mut events);
        cx.pattern.count(NAME, &events)
    }

    fn evaluate_group(
        _: &SequenceConditions,
        counts: &[i64],
        rows: &mut ResultRows<Matches>,
    ) -> Result<()> {
        // One sequence per group, or none when its rows met no condition: no match.
        let matches = counts.first().copied().unwrap_or(0);
        rows.push(Matches { matches });
        Ok(())
    }
}
