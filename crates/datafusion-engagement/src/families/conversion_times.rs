//! What `funnel_conversion_times` and `funnel_conversion_histogram` share: a funnel's call
//! (as `funnel`'s), and each user's time to convert to each step they reach, gathered per
//! group and step for a report of them.
//!
//! A user's time to step k is measured on the chain that first reached step k in the
//! funnel's evaluation ([`FunnelSteps::conversion`]): from that chain's step-1 event to its
//! step-k event. Its count per step is the user count `funnel` gives for the step.

use std::borrow::Cow;
use std::fmt::Debug;
use std::marker::PhantomData;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::common::list_state::group_lists;
use crate::common::metric::{Distinct, Metric};
use crate::common::user_ids::UserIds;
use crate::families::funnel_steps::{
    FunnelRule, FunnelSteps, USER_FUNNEL_FIRST_STEP, USER_FUNNEL_WINDOW, funnel_constant_args,
    user_funnel_arg_types, user_funnel_example_types,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Events, GatherSequences, ResultRow, ResultRows, Row,
    RowList, TimelineMetric,
};

/// Position of the window among the arguments.
const WINDOW: usize = USER_FUNNEL_WINDOW;
/// Position of step 1 among the arguments.
const FIRST_STEP: usize = USER_FUNNEL_FIRST_STEP;

/// A report of the times to convert: its name, documentation and rows.
pub(crate) trait ConversionReport: Debug + Send + Sync + 'static {
    const NAME: &'static str;
    const FIELD_UNITS: &'static [(&'static str, &'static str)];
    type Row: ResultRow;

    fn documentation() -> &'static Documentation;
    /// A group's rows from `durations[k]`: the microseconds to step k + 1 of each of the
    /// group's users reaching it, sorted.
    fn evaluate_group(funnel: &FunnelSteps, durations: &[&[i64]], rows: &mut ResultRows<Self::Row>);
}

/// A report of the times to convert: a funnel's call, the report's rows.
#[derive(Debug)]
pub(crate) struct ConversionTimesOf<R>(PhantomData<R>);

/// The usage of a report's call.
pub(crate) fn usage_of(name: &str) -> String {
    format!(
        "{name}(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', \
         condition, …])"
    )
}

impl<R: ConversionReport> Metric for ConversionTimesOf<R> {
    const NAME: &'static str = R::NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = R::FIELD_UNITS;
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(WINDOW, "window")];
    // Repeated rows change no chain, but under ClickHouse's strict_deduplication.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "step_events", "is_start"];
    type Rule = FunnelRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        R::documentation()
    }

    fn constant_args(arg_types: &[DataType]) -> Cow<'static, [(usize, &'static str)]> {
        funnel_constant_args(arg_types, WINDOW, FIRST_STEP)
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        user_funnel_arg_types(R::NAME, arg_types, &usage_of(R::NAME))
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        user_funnel_example_types(3)
    }

    fn return_type() -> DataType {
        crate::kernels::timelines::result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<FunnelRule> {
        FunnelRule::of(R::NAME, constants, None, FIRST_STEP)
    }

    fn rule_of_call(
        constants: &[Option<ScalarValue>],
        arg_types: Option<&[DataType]>,
    ) -> Result<FunnelRule> {
        FunnelRule::of(R::NAME, constants, arg_types, FIRST_STEP)
    }

    fn distinct_refusal(rule: &FunnelRule) -> Option<&'static str> {
        rule.distinct_refusal()
    }
}

impl<R: ConversionReport> TimelineMetric for ConversionTimesOf<R> {
    type Context = FunnelSteps;
    type Output = RowList<R::Row>;

    fn context(rule: FunnelRule, event_time: &DataType, arguments: usize) -> Result<FunnelSteps> {
        FunnelSteps::new(R::NAME, rule, event_time, FIRST_STEP, arguments)
    }

    fn values<'a>(funnel: &FunnelSteps, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        funnel.values(R::NAME, times)
    }
}

impl<R: ConversionReport> EventSequenceMetric for ConversionTimesOf<R> {
    type Gathered = ConversionDurations<R>;

    fn row_bits(funnel: &FunnelSteps, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        funnel.row_bits(arguments)
    }
}

/// Each user's time to each step they reach, with their group.
#[derive(Debug)]
pub(crate) struct ConversionDurations<R> {
    /// By step (from 0): (group, microseconds to the step) per user reaching it.
    by_step: Vec<Vec<(u32, i64)>>,
    /// By group: whether a user of it has events (of any step or exclusion).
    has_users: Vec<bool>,
    report: PhantomData<R>,
}

impl<R: ConversionReport> GatherSequences<ConversionTimesOf<R>> for ConversionDurations<R> {
    fn new(funnel: &FunnelSteps, _sequences: usize, groups: usize, _: &UserIds) -> Self {
        Self {
            by_step: vec![vec![]; funnel.steps],
            has_users: vec![false; groups],
            report: PhantomData,
        }
    }

    fn add(
        &mut self,
        funnel: &FunnelSteps,
        _sequence: usize,
        group: u32,
        events: Events,
        _: &UserIds,
    ) -> Result<()> {
        let by_step = &mut self.by_step;
        funnel.conversion(events.values, |level, duration| {
            by_step[level - 1].push((group, duration));
        });
        let group = group as usize;
        if self.has_users.len() <= group {
            self.has_users.resize(group + 1, false);
        }
        self.has_users[group] = true;
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        for (mine, theirs) in self.by_step.iter_mut().zip(other.by_step) {
            mine.extend(theirs);
        }
        if self.has_users.len() < other.has_users.len() {
            self.has_users.resize(other.has_users.len(), false);
        }
        for (mine, theirs) in self.has_users.iter_mut().zip(other.has_users) {
            *mine |= theirs;
        }
    }

    fn rows(
        self,
        funnel: &FunnelSteps,
        groups: usize,
        seen_alone: impl Fn(usize) -> bool,
        _: &UserIds,
    ) -> Result<ResultRows<Row<ConversionTimesOf<R>>>> {
        // By step: each group's durations, sorted, one after another.
        let laid_out: Vec<(Vec<usize>, Vec<i64>)> = self
            .by_step
            .iter()
            .map(|of_step| {
                let (offsets, mut durations) = group_lists(groups, 0, || of_step.iter().copied());
                for group in 0..groups {
                    durations[offsets[group]..offsets[group + 1]].sort_unstable();
                }
                (offsets, durations)
            })
            .collect();
        let has_users = |group: usize| self.has_users.get(group) == Some(&true);
        let mut of_group: Vec<&[i64]> = Vec::with_capacity(funnel.steps);
        ResultRows::of_groups(
            groups,
            |group| has_users(group) || seen_alone(group),
            |group, rows| {
                of_group.clear();
                of_group.extend(
                    laid_out
                        .iter()
                        .map(|(offsets, durations)| &durations[offsets[group]..offsets[group + 1]]),
                );
                R::evaluate_group(funnel, &of_group, rows);
                Ok(())
            },
        )
    }
}

/// Microseconds as seconds.
pub(crate) fn seconds(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// The `q` quantile of sorted values, interpolated between the two nearest ranks as SQL's
/// `percentile_cont` (and `median`) do; `None` without values.
pub(crate) fn quantile(sorted: &[i64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q * last as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    let (low, high) = (seconds(sorted[below]), seconds(sorted[above]));
    Some(low + (high - low) * (position - below as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_as_percentile_cont() {
        let s = 1_000_000;
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7 * s], 0.9), Some(7.0));
        assert_eq!(quantile(&[s, 2 * s, 3 * s, 10 * s], 0.5), Some(2.5));
        assert_eq!(quantile(&[s, 2 * s, 3 * s, 10 * s], 0.25), Some(1.75));
        assert!((quantile(&[s, 2 * s, 3 * s, 10 * s], 0.9).unwrap() - 7.9).abs() < 1e-9);
        assert_eq!(quantile(&[s, 2 * s, 3 * s, 10 * s], 1.0), Some(10.0));
    }
}
