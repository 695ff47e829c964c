//! What `window_funnel` and `funnel` share: the window, the step conditions, and the level a
//! timeline of step events reaches.
//!
//! A funnel's timeline (on the [timeline kernel](super::timelines)) holds one value per (event
//! time, step met): `time × 2^b + step`, `b` the bits the funnel's step numbers need, so that
//! sorting orders by time and then by step, and an event meeting several steps stands for
//! several values (the kernel's row bits). Few bits keep values of months of events close
//! together, which the kernel's log packs in less room.

use std::borrow::Cow;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;

use super::args::{check_arg_count, is_string_type};
use super::days::{event_and_start_time, microseconds_since_epoch};
use super::intervals::{IntervalArithmetic, positive_interval};

/// The most steps a funnel may have: a step is at most 5 bits of a value.
pub(crate) const MAX_STEPS: usize = 32;
const MAX_STEP_BITS: u32 = 5;

/// A funnel's window, from its constant argument.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FunnelWindow(IntervalMonthDayNano);

impl FunnelWindow {
    pub(crate) fn of(function: &str, constant: &Option<ScalarValue>) -> Result<Self> {
        match constant {
            Some(window) => Ok(Self(positive_interval(function, "window", window)?)),
            None => plan_err!("{function}: window is required"),
        }
    }
}

/// A funnel as the accumulators run it: the window in the event times' zone, the steps.
#[derive(Debug, Clone)]
pub(crate) struct FunnelSteps {
    window: IntervalArithmetic,
    /// Position of step 1 among the arguments.
    first_step_arg: usize,
    pub steps: usize,
    /// The low bits of a value that hold its step number.
    step_bits: u32,
}

impl FunnelSteps {
    pub(crate) fn new(
        window: FunnelWindow,
        event_time: &DataType,
        first_step_arg: usize,
        arguments: usize,
    ) -> Result<Self> {
        let steps = arguments.saturating_sub(first_step_arg);
        Ok(Self {
            window: IntervalArithmetic::new(window.0, event_time)?,
            first_step_arg,
            steps,
            step_bits: (usize::BITS - (steps.max(2) - 1).leading_zeros()).min(MAX_STEP_BITS),
        })
    }

    /// Each event's first value, `time × 2^b` (its steps add to it), with the time in
    /// microseconds; an error names the first time too far from 1970 for that with any
    /// number of steps.
    pub(crate) fn values<'a>(&self, function: &str, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        let micros = microseconds_since_epoch(times)?;
        let limit = i64::MAX >> MAX_STEP_BITS;
        let nulls = times.logical_nulls();
        let mut values = Vec::with_capacity(micros.len());
        for (row, &t) in micros.iter().enumerate() {
            if !(-limit..=limit).contains(&t) && nulls.as_ref().is_none_or(|n| n.is_valid(row)) {
                return exec_err!(
                    "{function}: event_time {t} µs from 1970 is out of range: funnels take \
                     times within 9,000 years of 1970"
                );
            }
            values.push(t.clamp(-limit, limit) << self.step_bits);
        }
        Ok(Cow::Owned(values))
    }

    /// Per row, the set of steps whose condition is true (NULL is false).
    pub(crate) fn row_bits(&self, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        let conditions = &arguments[self.first_step_arg..];
        let mut bits = vec![0u64; arguments[0].len()];
        for (step, condition) in conditions.iter().enumerate() {
            if condition.data_type() == &DataType::Null {
                continue;
            }
            let condition = condition.as_boolean();
            let true_rows = match condition.logical_nulls() {
                Some(nulls) => condition.values() & nulls.inner(),
                None => condition.values().clone(),
            };
            for row in true_rows.set_indices() {
                bits[row] |= 1 << step;
            }
        }
        Ok(bits)
    }

    /// The funnel level of a timeline (values sorted and distinct): the most steps of a
    /// chain of events meeting steps 1, 2, … in turn, each strictly later than the one
    /// before, all within the window (inclusive) of the first.
    ///
    /// Exact in one pass: for each step it keeps the latest first-event time of the chains
    /// reaching it (a later start leaves more of the window), and applies the chains a
    /// timestamp makes only once that timestamp is done, so that no chain uses two events of
    /// one time.
    pub(crate) fn level(&self, values: &[i64]) -> usize {
        let mut latest_first = [i64::MIN; MAX_STEPS];
        let mut reached = 0;
        let mut made: Vec<(usize, i64)> = Vec::with_capacity(MAX_STEPS);
        let (bits, mut at) = (self.step_bits, 0);
        while at < values.len() && reached < self.steps {
            let time = values[at] >> bits;
            made.clear();
            while let Some(&value) = values.get(at).filter(|&&v| v >> bits == time) {
                let step = (value & ((1 << bits) - 1)) as usize;
                if step == 0 {
                    made.push((0, time));
                } else if step < self.steps && step <= reached {
                    let first = latest_first[step - 1];
                    if time <= self.window.add(first, 1) {
                        made.push((step, first));
                    }
                }
                at += 1;
            }
            for &(step, first) in &made {
                latest_first[step] = latest_first[step].max(first);
                reached = reached.max(step + 1);
            }
        }
        reached
    }
}

/// Coerces `event_time` (argument 1), the window (argument `window`) and the steps from
/// `first_step` on, checking their number; `usage` is the call's shape for errors.
pub(crate) fn funnel_arg_types(
    function: &str,
    arg_types: &[DataType],
    window: usize,
    first_step: usize,
    usage: &str,
) -> Result<Vec<DataType>> {
    check_arg_count(
        function,
        arg_types,
        first_step + 1,
        first_step + MAX_STEPS,
        usage,
    )?;
    let mut types = arg_types.to_vec();
    types[1] = event_and_start_time(function, &arg_types[1], None)?;
    types[window] = match &arg_types[window] {
        DataType::Interval(_) | DataType::Null => DataType::Interval(IntervalUnit::MonthDayNano),
        t if is_string_type(t) => DataType::Interval(IntervalUnit::MonthDayNano),
        other => {
            return plan_err!(
                "{function}: window must be an INTERVAL such as INTERVAL '1 day', got {other}"
            );
        }
    };
    for (i, step) in arg_types[first_step..].iter().enumerate() {
        match step {
            DataType::Boolean | DataType::Null => {}
            t if is_string_type(t) => {
                return plan_err!(
                    "{function}: step {} must be a BOOLEAN condition such as event_name = \
                     'cart', got {t} (modes such as 'strict_order' are not supported: steps \
                     always follow each other in strictly increasing time)",
                    i + 1
                );
            }
            other => {
                return plan_err!(
                    "{function}: step {} must be a BOOLEAN condition such as event_name = \
                     'cart', got {other}",
                    i + 1
                );
            }
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn funnel(steps: usize, window_seconds: i64) -> FunnelSteps {
        let window = FunnelWindow(IntervalMonthDayNano::new(
            0,
            0,
            window_seconds * 1_000_000_000,
        ));
        let time = DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None);
        FunnelSteps::new(window, &time, 0, steps).unwrap()
    }

    /// (seconds, step from 1) events of a 3-step funnel as sorted timeline values.
    fn timeline(events: &[(i64, usize)]) -> Vec<i64> {
        let bits = funnel(3, 1).step_bits;
        let mut values: Vec<i64> = events
            .iter()
            .map(|&(t, step)| ((t * SECOND) << bits) + step as i64 - 1)
            .collect();
        values.sort_unstable();
        values.dedup();
        values
    }

    #[test]
    fn step_numbers_take_the_bits_they_need() {
        let bits = |steps| funnel(steps, 1).step_bits;
        assert_eq!(
            [bits(1), bits(2), bits(3), bits(4), bits(5)],
            [1, 1, 2, 2, 3]
        );
        assert_eq!([bits(16), bits(17), bits(32)], [4, 5, 5]);
    }

    #[test]
    fn levels_follow_the_definition() {
        let f = funnel(3, 100);
        assert_eq!(f.level(&timeline(&[])), 0);
        assert_eq!(f.level(&timeline(&[(5, 2), (6, 3)])), 0);
        assert_eq!(f.level(&timeline(&[(5, 1)])), 1);
        assert_eq!(f.level(&timeline(&[(5, 1), (6, 2), (7, 3)])), 3);
        // Out of order: step 2 before step 1 does not count.
        assert_eq!(f.level(&timeline(&[(5, 2), (6, 1), (7, 3)])), 1);
        // Equal times do not chain; the window is inclusive.
        assert_eq!(f.level(&timeline(&[(5, 1), (5, 2), (105, 2)])), 2);
        assert_eq!(f.level(&timeline(&[(5, 1), (106, 2)])), 1);
        // A later start rescues a chain the first one's window cannot hold.
        assert_eq!(
            f.level(&timeline(&[(0, 1), (50, 2), (90, 1), (120, 2), (180, 3)])),
            3
        );
        // An event meeting two steps serves as either, not both.
        assert_eq!(f.level(&timeline(&[(5, 1), (5, 2)])), 1);
        assert_eq!(f.level(&timeline(&[(5, 1), (6, 2), (6, 3)])), 2);
    }

    #[test]
    fn an_older_chain_still_counts_when_a_newer_start_has_not_advanced() {
        // Chains of step 1 at 0 and at 10; step 2 at 10 extends only the one from 0, and
        // step 3 at 20 extends that chain (within 100 of 0).
        let f = funnel(3, 100);
        assert_eq!(f.level(&timeline(&[(0, 1), (10, 1), (10, 2), (20, 3)])), 3);
    }
}
