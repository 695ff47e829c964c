//! `funnel(user_id, event_time, window, step_1, …, step_n)`: a group's whole conversion
//! funnel — the users reaching each step and the conversion between steps — in one
//! aggregate.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::families::funnel_steps::{
    EXCLUSIONS_DOC, FunnelRule, FunnelSteps, MAX_STEPS, MODES_DOC, USER_FUNNEL_FIRST_STEP,
    USER_FUNNEL_WINDOW, funnel_constant_args, user_funnel_arg_types, user_funnel_example_types,
    with_user_funnel_arguments,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, ReducedSequences, Reductions, ResultRows, RowList,
    TimelineMetric, result_row, result_type,
};

const NAME: &str = "funnel";
const USAGE: &str = "funnel(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])";
/// Position of the window among the arguments.
const WINDOW: usize = USER_FUNNEL_WINDOW;
/// Position of step 1 among the arguments.
const FIRST_STEP: usize = USER_FUNNEL_FIRST_STEP;

/// The users reaching each step of a funnel.
#[derive(Debug)]
pub(crate) struct Funnel;

shared_udaf!(
    /// The `funnel` aggregate function.
    funnel_udaf,
    Funnel
);

impl Metric for Funnel {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(WINDOW, "window")];
    // A user's repeated rows change no level, but under ClickHouse's strict_deduplication
    // (refused there: `distinct_refusal`).
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "step_events", "is_start"];
    type Rule = FunnelRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            with_user_funnel_arguments(Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "The conversion funnel of the group's users, exact. A user reaches step k \
                     when their window_funnel level, with the same modes, is k or more: \
                     events meeting step_1, …, step_k in that order, each strictly later than \
                     the one before, all at most window after the first (inclusive). Returns \
                     one row per step \
                     (up to {MAX_STEPS}): {{step, users, dropped_off, \
                     conversion_from_previous, conversion_from_first}}: the users reaching \
                     the step, those of the step before who did not (0 for step 1), and 100 \
                     × users / the previous step's users and / step 1's users (100 for step \
                     1, NULL when the step before has no users). funnel_conversion_times \
                     and funnel_conversion_histogram give how long the users took. A user's events may be split over \
                     any partitions and batches. A NULL condition is false; rows with a NULL \
                     user_id or event_time are skipped; a group without any row gives NULL. \
                     {MODES_DOC} {EXCLUSIONS_DOC}"
                ),
                USAGE,
            ))
            .with_sql_example(
                "```sql\n-- a 4-step funnel by segment, within a day of the view\n\
                 SELECT segment, funnel(user_id, event_time, INTERVAL '1 day',\n       \
                 event_name = 'view', event_name = 'cart', event_name = 'checkout',\n       \
                 event_name = 'pay') AS f\n\
                 FROM events GROUP BY segment;\n\
                 -- long: a row per (segment, step)\n\
                 SELECT segment, s['step'] AS step, s['users'] AS users,\n       \
                 s['conversion_from_first'] AS conversion\n\
                 FROM (SELECT segment, unnest(f) AS s FROM funnels);\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }

    fn constant_args(arg_types: &[DataType]) -> Cow<'static, [(usize, &'static str)]> {
        funnel_constant_args(arg_types, WINDOW, FIRST_STEP)
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        user_funnel_arg_types(NAME, arg_types, USAGE)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        user_funnel_example_types(4)
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
    /// A step of the funnel.
    pub(crate) struct FunnelStep {
        step: i64,
        users: i64,
        dropped_off: i64,
        conversion_from_previous: Option<f64>,
        conversion_from_first: Option<f64>,
    }
}

impl TimelineMetric for Funnel {
    type Context = FunnelSteps;
    type Output = RowList<FunnelStep>;

    fn context(rule: FunnelRule, event_time: &DataType, arguments: usize) -> Result<FunnelSteps> {
        FunnelSteps::new(NAME, rule, event_time, FIRST_STEP, arguments)
    }

    fn values<'a>(funnel: &FunnelSteps, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        funnel.values(NAME, times)
    }
}

impl EventSequenceMetric for Funnel {
    type Gathered = Reductions<Self>;

    fn row_bits(funnel: &FunnelSteps, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        funnel.row_bits(arguments)
    }
}

impl ReducedSequences for Funnel {
    type Reduced = u32;

    fn reduce(funnel: &FunnelSteps, values: &[i64]) -> Result<u32> {
        Ok(funnel.level(values) as u32)
    }

    fn evaluate_group(
        funnel: &FunnelSteps,
        levels: &[u32],
        rows: &mut ResultRows<FunnelStep>,
    ) -> Result<()> {
        // reached[k]: the users whose level is k + 1 or more.
        let mut reached = vec![0i64; funnel.steps];
        for &level in levels {
            reached[..level as usize].iter_mut().for_each(|r| *r += 1);
        }
        let percent =
            |part: i64, whole: i64| (whole > 0).then(|| 100.0 * part as f64 / whole as f64);
        let first = reached.first().copied().unwrap_or(0);
        let mut previous = first;
        for (k, &users) in reached.iter().enumerate() {
            rows.push(FunnelStep {
                step: k as i64 + 1,
                users,
                dropped_off: if k == 0 { 0 } else { previous - users },
                conversion_from_previous: percent(users, previous),
                conversion_from_first: percent(users, first),
            });
            previous = users;
        }
        Ok(())
    }
}
