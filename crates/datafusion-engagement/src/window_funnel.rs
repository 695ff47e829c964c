//! `window_funnel(window, event_time, step_1, …, step_n)`: how far through a funnel a group
//! (typically one user) got — ClickHouse's `windowFunnel`, exact.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, IntervalUnit, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::families::funnel_steps::{
    EXCLUSION_ARGUMENT_DOC, EXCLUSIONS_DOC, FunnelRule, FunnelSteps, MAX_STEPS, MODE_ARGUMENT_DOC,
    MODES_DOC, funnel_arg_types, funnel_constant_args,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, OneValue, ReducedSequences, Reductions, ResultRows,
    TimelineMetric, result_row, result_type,
};

const NAME: &str = "window_funnel";
const USAGE: &str = "window_funnel(window, event_time, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])";
/// Position of the window among the arguments.
const WINDOW: usize = 0;
/// Position of step 1 among the arguments.
const FIRST_STEP: usize = 2;

/// The funnel level of each group.
#[derive(Debug)]
pub(crate) struct WindowFunnel;

shared_udaf!(
    /// The `window_funnel` aggregate function.
    window_funnel_udaf,
    WindowFunnel
);

impl Metric for WindowFunnel {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = Some("steps");
    const REQUIRED_ARGS: &'static [usize] = &[];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(WINDOW, "window")];
    // A repeated row changes no level, but under ClickHouse's strict_deduplication (refused
    // there: `distinct_refusal`).
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "step_events", "is_start"];
    type Rule = FunnelRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "How far through a funnel the group got, typically grouped by user: the \
                     steps reached by a chain of events meeting step_1, step_2, … in that \
                     order, each strictly later than the one before, all at most window after \
                     the first (inclusive). Returns 0 to n (up to {MAX_STEPS} steps). A NULL \
                     condition is false; an event meeting several steps may serve as any one \
                     of them; rows with a NULL event_time are skipped, and a group without any \
                     row gives NULL. {MODES_DOC} {EXCLUSIONS_DOC} Times are compared to the \
                     microsecond."
                ),
                USAGE,
            )
            .with_sql_example(
                "```sql\n-- users per funnel level: view, then cart, then payment within a day\n\
                 SELECT level, count(*) AS users\n\
                 FROM (SELECT user_id,\n             \
                 window_funnel(INTERVAL '1 day', event_time,\n                           \
                 event_name = 'view', event_name = 'cart', event_name = 'pay') AS level\n      \
                 FROM events GROUP BY user_id)\n\
                 GROUP BY level ORDER BY level;\n\
                 -- the same, with no other step's event between two steps of the best attempt\n\
                 SELECT user_id, window_funnel(INTERVAL '1 day', event_time, event_name = 'view',\n       \
                 event_name = 'cart', event_name = 'pay', 'strict_order', 'longest_walk') AS level\n\
                 FROM events GROUP BY user_id;\n```",
            )
            .with_argument("window", "How long a chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.")
            .with_argument("event_time", "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("step_1, …, step_n", "The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.")
            .with_argument("mode", MODE_ARGUMENT_DOC)
            .with_argument("'exclude a-b', condition", EXCLUSION_ARGUMENT_DOC)
            .build()
        });
        &DOCUMENTATION
    }

    fn constant_args(arg_types: &[DataType]) -> Cow<'static, [(usize, &'static str)]> {
        funnel_constant_args(arg_types, WINDOW, FIRST_STEP)
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        funnel_arg_types(NAME, arg_types, WINDOW, FIRST_STEP, USAGE)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let window = DataType::Interval(IntervalUnit::MonthDayNano);
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        (1..=4)
            .map(|steps| {
                let mut types = vec![window.clone(), time.clone()];
                types.extend(std::iter::repeat_n(DataType::Boolean, steps));
                types
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<FunnelRule> {
        FunnelRule::of(NAME, constants, None, FIRST_STEP)
    }

    fn rule_of_call(
        constants: &[Option<ScalarValue>],
        arg_types: Option<&[DataType]>,
    ) -> Result<FunnelRule> {
        FunnelRule::of(NAME, constants, arg_types, FIRST_STEP)
    }

    fn distinct_refusal(rule: &FunnelRule) -> Option<&'static str> {
        rule.distinct_refusal()
    }
}

result_row! {
    /// The level a group reached.
    pub(crate) struct FunnelLevel {
        level: i64,
    }
}

impl TimelineMetric for WindowFunnel {
    type Context = FunnelSteps;
    type Output = OneValue<FunnelLevel>;

    fn context(rule: FunnelRule, event_time: &DataType, arguments: usize) -> Result<FunnelSteps> {
        FunnelSteps::new(NAME, rule, event_time, FIRST_STEP, arguments)
    }

    fn values<'a>(funnel: &FunnelSteps, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        funnel.values(NAME, times)
    }
}

impl EventSequenceMetric for WindowFunnel {
    const PER_USER: bool = false;
    type Gathered = Reductions<Self>;

    fn row_bits(funnel: &FunnelSteps, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        funnel.row_bits(arguments)
    }
}

impl ReducedSequences for WindowFunnel {
    type Reduced = u32;

    fn reduce(funnel: &FunnelSteps, values: &[i64]) -> Result<u32> {
        Ok(funnel.level(values) as u32)
    }

    fn evaluate_group(
        _: &FunnelSteps,
        levels: &[u32],
        rows: &mut ResultRows<FunnelLevel>,
    ) -> Result<()> {
        // One sequence per group: the kernel keeps no users apart here.
        let level = levels.iter().copied().max().unwrap_or(0);
        rows.push(FunnelLevel {
            level: i64::from(level),
        });
        Ok(())
    }
}
