//! What `window_funnel` and `funnel` share: the window, the step conditions, and the level a
//! timeline of step events reaches.
//!
//! A funnel's timeline (on the [event-sequence kernel](crate::kernels::timelines::EventSequenceMetric)) holds one value per (event
//! time, step met): `time × 2^b + step`, `b` the bits the funnel's step numbers need, so that
//! sorting orders by time and then by step, and an event meeting several steps stands for
//! several values (the kernel's row bits). Few bits keep values of months of events close
//! together, which the kernel's log packs in less room.

use std::borrow::Cow;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;

use crate::calendar::intervals::{IntervalArithmetic, coerce_interval, positive_interval};
use crate::calendar::zoned_days::{event_and_start_time, microseconds_since_epoch};
use crate::common::args::{check_arg_count, is_string_type};

/// The most steps a funnel may have: a step is at most 5 bits of a value.
pub(crate) const MAX_STEPS: usize = 32;
const MAX_STEP_BITS: u32 = 5;

/// The modes a funnel takes after its steps, ClickHouse's names. `strict_increase` and
/// `strict_once` are how every chain is evaluated anyway (steps at strictly increasing times,
/// so no event serves two steps): accepted so that ClickHouse calls carry over.
const MODES: [&str; 4] = [
    "strict_order",
    "strict_deduplication",
    "strict_increase",
    "strict_once",
];

/// The modes in the functions' documentation.
pub(crate) const MODES_DOC: &str = "Modes, constant strings after the steps: with \
    'strict_order' or 'strict_deduplication', a walk goes from each step_1 event through the \
    times of the group's later step events, in order, within the window, and takes the next \
    step wherever its event comes; 'strict_order' stops the walk at an event of any step but \
    the one just reached (A-B-D-C reaches 2, A-B-B-C reaches 3), 'strict_deduplication' at an \
    event of a step already reached (A-B-C-B-D reaches 3), and both together at any step event \
    but the next step's. The level is the longest walk. Events at the time of the walk's last \
    step, and rows meeting no step, never stop it (ClickHouse's strict_order also stops at rows \
    meeting no step: leave them out with WHERE to compare). 'strict_increase' and 'strict_once' \
    are accepted and change nothing: steps are always strictly later, so no event serves two.";

/// The `mode` argument in the functions' documentation.
pub(crate) const MODE_ARGUMENT_DOC: &str = "Optional, after the steps: 'strict_order', \
    'strict_deduplication' (one or both), 'strict_increase' or 'strict_once', as constant \
    strings.";

/// What may interrupt a funnel's chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FunnelMode {
    /// An event of a step other than the one just reached stops the chain.
    strict_order: bool,
    /// An event of a step the chain has already reached stops it.
    strict_deduplication: bool,
}

impl FunnelMode {
    /// Whether a chain is evaluated as a walk from each step-1 event (see
    /// [`FunnelSteps::walk_level`]) rather than over every chain.
    fn walks(self) -> bool {
        self.strict_order || self.strict_deduplication
    }

    /// Whether the steps met at one time (bit `s - 1` for step `s`) stop a walk that has
    /// reached `level` steps and does not take a step at that time.
    fn stops(self, steps_met: u64, level: usize) -> bool {
        let just_reached = 1u64 << (level - 1);
        let already_reached = (1u64 << level) - 1;
        (self.strict_order && steps_met & !just_reached != 0)
            || (self.strict_deduplication && steps_met & already_reached != 0)
    }

    fn add(&mut self, function: &str, value: &ScalarValue) -> Result<()> {
        let text = match value.try_as_str() {
            Some(Some(text)) => text,
            _ if value.is_null() => return plan_err!("{function}: mode must not be NULL"),
            _ => return plan_err!("{function}: mode must be a string, got {value}"),
        };
        match text.trim().to_ascii_lowercase().as_str() {
            "strict_order" => self.strict_order = true,
            "strict_deduplication" => self.strict_deduplication = true,
            "strict_increase" | "strict_once" => {}
            _ => {
                let expected = MODES.map(|mode| format!("'{mode}'")).join(", ");
                return plan_err!("{function}: unknown mode '{text}', expected one of {expected}");
            }
        }
        Ok(())
    }
}

/// A funnel's constant arguments: the window and the modes after the steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FunnelRule {
    window: IntervalMonthDayNano,
    mode: FunnelMode,
    /// How many mode arguments follow the steps.
    mode_args: usize,
}

impl FunnelRule {
    /// From the constants of [`funnel_constant_args`]: the window, then the modes.
    pub(crate) fn of(function: &str, constants: &[Option<ScalarValue>]) -> Result<Self> {
        let window = match constants.first() {
            Some(Some(window)) => positive_interval(function, "window", window)?,
            _ => return plan_err!("{function}: window is required"),
        };
        let mut mode = FunnelMode::default();
        for value in constants[1..].iter().flatten() {
            mode.add(function, value)?;
        }
        Ok(Self {
            window,
            mode,
            mode_args: constants.len() - 1,
        })
    }
}

/// A funnel as the accumulators run it: the window in the event times' zone, the steps.
#[derive(Debug, Clone)]
pub(crate) struct FunnelSteps {
    window: IntervalArithmetic,
    mode: FunnelMode,
    /// Position of step 1 among the arguments.
    first_step_arg: usize,
    pub steps: usize,
    /// The low bits of a value that hold its step number.
    step_bits: u32,
}

impl FunnelSteps {
    pub(crate) fn new(
        rule: FunnelRule,
        event_time: &DataType,
        first_step_arg: usize,
        arguments: usize,
    ) -> Result<Self> {
        let steps = arguments.saturating_sub(first_step_arg + rule.mode_args);
        Ok(Self {
            window: IntervalArithmetic::new(rule.window, event_time)?,
            mode: rule.mode,
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
        let conditions = &arguments[self.first_step_arg..self.first_step_arg + self.steps];
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

    /// The funnel level of a timeline (values sorted and distinct).
    pub(crate) fn level(&self, values: &[i64]) -> usize {
        if self.mode.walks() {
            self.walk_level(values)
        } else {
            self.chain_level(values)
        }
    }

    /// Without a mode: the most steps of a chain of events meeting steps 1, 2, … in turn,
    /// each strictly later than the one before, all within the window (inclusive) of the
    /// first.
    ///
    /// Exact in one pass: for each step it keeps the latest first-event time of the chains
    /// reaching it (a later start leaves more of the window), and applies the chains a
    /// timestamp makes only once that timestamp is done, so that no chain uses two events of
    /// one time.
    fn chain_level(&self, values: &[i64]) -> usize {
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

    /// With `strict_order` or `strict_deduplication`: from each step-1 event, a walk through
    /// the later times at which the group has step events, in order, while within the window
    /// (inclusive) of the start. At each time the walk takes the next step if the time has an
    /// event of it; otherwise an event the mode forbids there stops the walk. Events at the
    /// time of the walk's last step never stop it. The level is the most steps of any walk.
    ///
    /// Exact in one pass: from any time on, walks that have reached the same step move
    /// alike, except that the one with the later start keeps its window longer; only that
    /// one is kept, as its window's end.
    fn walk_level(&self, values: &[i64]) -> usize {
        const NO_WALK: i64 = i64::MIN;
        // walk_end[k]: the window's end of the walk that has reached k + 1 steps.
        let mut walk_end = [NO_WALK; MAX_STEPS];
        let mut reached = 0;
        let (bits, mut at) = (self.step_bits, 0);
        while at < values.len() && reached < self.steps {
            let time = values[at] >> bits;
            let mut steps_met = 0u64;
            while let Some(&value) = values.get(at).filter(|&&v| v >> bits == time) {
                steps_met |= 1 << (value & ((1 << bits) - 1));
                at += 1;
            }
            // Deepest walk first, so that a walk moving on is not moved again at this time.
            for level in (1..self.steps).rev() {
                let end = walk_end[level - 1];
                if end == NO_WALK {
                    continue;
                }
                if time > end {
                    // Past its window: it can take no more steps.
                    walk_end[level - 1] = NO_WALK;
                } else if steps_met & (1 << level) != 0 {
                    walk_end[level] = walk_end[level].max(end);
                    walk_end[level - 1] = NO_WALK;
                    reached = reached.max(level + 1);
                } else if self.mode.stops(steps_met, level) {
                    walk_end[level - 1] = NO_WALK;
                }
            }
            if steps_met & 1 != 0 {
                walk_end[0] = walk_end[0].max(self.window.add(time, 1));
                reached = reached.max(1);
            }
        }
        reached
    }
}

/// Where a funnel's modes begin among its arguments: at the first string after step 1.
fn first_mode_arg(arg_types: &[DataType], first_step: usize) -> usize {
    arg_types
        .iter()
        .enumerate()
        .skip(first_step + 1)
        .find(|(_, t)| is_string_type(t))
        .map_or(arg_types.len(), |(i, _)| i)
}

/// A funnel's constant arguments: the window, then the modes after the steps.
pub(crate) fn funnel_constant_args(
    arg_types: &[DataType],
    window: usize,
    first_step: usize,
) -> Cow<'static, [(usize, &'static str)]> {
    let modes = first_mode_arg(arg_types, first_step)..arg_types.len();
    let constants = std::iter::once((window, "window")).chain(modes.map(|i| (i, "mode")));
    Cow::Owned(constants.collect())
}

/// Coerces `event_time` (argument 1), the window (argument `window`), the steps from
/// `first_step` on and the modes after them, checking their number; `usage` is the call's
/// shape for errors.
pub(crate) fn funnel_arg_types(
    function: &str,
    arg_types: &[DataType],
    window: usize,
    first_step: usize,
    usage: &str,
) -> Result<Vec<DataType>> {
    let first_mode = first_mode_arg(arg_types, first_step);
    check_arg_count(
        function,
        &arg_types[..first_mode],
        first_step + 1,
        first_step + MAX_STEPS,
        usage,
    )?;
    let mut types = arg_types.to_vec();
    types[1] = event_and_start_time(function, &arg_types[1], None)?;
    types[window] = coerce_interval(function, "window", "1 day", &arg_types[window])?;
    for (i, step) in arg_types[first_step..first_mode].iter().enumerate() {
        if !matches!(step, DataType::Boolean | DataType::Null) {
            let hint = if is_string_type(step) {
                " (modes such as 'strict_order' come after the last step)"
            } else {
                ""
            };
            return plan_err!(
                "{function}: step {} must be a BOOLEAN condition such as event_name = 'cart', \
                 got {step}{hint}",
                i + 1
            );
        }
    }
    for (i, mode) in arg_types.iter().enumerate().skip(first_mode) {
        match mode {
            t if is_string_type(t) => {}
            DataType::Null => types[i] = DataType::Utf8,
            other => {
                return plan_err!(
                    "{function}: argument {} must be a mode such as 'strict_order', got \
                     {other}: the modes come after the last step",
                    i + 1
                );
            }
        }
    }
    if arg_types.len() - first_mode > MODES.len() {
        return plan_err!(
            "{function} takes at most {} modes, got {}",
            MODES.len(),
            arg_types.len() - first_mode
        );
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn funnel(steps: usize, window_seconds: i64) -> FunnelSteps {
        with_modes(steps, window_seconds, &[])
    }

    fn with_modes(steps: usize, window_seconds: i64, modes: &[&str]) -> FunnelSteps {
        let window = ScalarValue::new_interval_mdn(0, 0, window_seconds * 1_000_000_000);
        let constants: Vec<_> = std::iter::once(window)
            .chain(modes.iter().map(|&mode| ScalarValue::from(mode)))
            .map(Some)
            .collect();
        let rule = FunnelRule::of("test", &constants).unwrap();
        let time = DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None);
        FunnelSteps::new(rule, &time, 0, steps + modes.len()).unwrap()
    }

    /// (seconds, step from 1) events of a 3-step funnel as sorted timeline values.
    fn timeline(events: &[(i64, usize)]) -> Vec<i64> {
        timeline_of(&funnel(3, 1), events)
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

    /// (seconds, step from 1) events of a funnel as sorted timeline values.
    fn timeline_of(f: &FunnelSteps, events: &[(i64, usize)]) -> Vec<i64> {
        let mut values: Vec<i64> = events
            .iter()
            .map(|&(t, step)| ((t * SECOND) << f.step_bits) + step as i64 - 1)
            .collect();
        values.sort_unstable();
        values.dedup();
        values
    }

    #[test]
    fn strict_order_stops_at_another_steps_event() {
        let f = with_modes(4, 100, &["strict_order"]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        // ClickHouse's example: A-B-D-C stops at D.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 4)]), 4);
        // A repeat of the step just reached does not stop it; an earlier step does.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 2), (4, 3)]), 3);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 3)]), 2);
        // Another step at the time of the chain's own event does not stop it.
        assert_eq!(level(&[(1, 1), (2, 2), (2, 4), (3, 3)]), 3);
        // A later start is a walk of its own.
        assert_eq!(level(&[(1, 1), (2, 3), (3, 1), (4, 2), (5, 3)]), 3);
        // Events after the window do not count, and cannot stop a finished walk.
        assert_eq!(level(&[(0, 1), (50, 2), (101, 3)]), 2);
        // Without the mode, the interrupted chain goes on.
        let plain = funnel(4, 100);
        assert_eq!(
            plain.level(&timeline_of(&plain, &[(1, 1), (2, 2), (3, 4), (4, 3)])),
            3
        );
    }

    #[test]
    fn strict_deduplication_stops_at_a_repeated_step() {
        let f = with_modes(4, 100, &["strict_deduplication"]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        // Doris's example: A-B-C-B-D stops at the second B.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 2), (5, 4)]), 3);
        // A step not yet reached does not stop it.
        assert_eq!(level(&[(1, 1), (2, 3), (3, 2), (4, 3)]), 3);
        // A repeated step 1 stops the first walk; the second start has no step 2 after it.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 3)]), 2);
        // Both modes: any step event that is not the next one stops the walk.
        let both = with_modes(4, 100, &["strict_order", "strict_deduplication"]);
        let level = |events: &[(i64, usize)]| both.level(&timeline_of(&both, events));
        assert_eq!(level(&[(1, 1), (2, 2), (3, 2), (4, 3)]), 2);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 4)]), 4);
    }

    /// The definition of a walk, followed literally from every step-1 time.
    fn walk_by_definition(f: &FunnelSteps, window: i64, events: &[(i64, usize)]) -> usize {
        let mut times: Vec<i64> = events.iter().map(|&(t, _)| t).collect();
        times.sort_unstable();
        times.dedup();
        let met = |t: i64| -> u64 {
            let at = events.iter().filter(|&&(time, _)| time == t);
            at.fold(0, |bits, &(_, step)| bits | 1 << (step - 1))
        };
        let mut best = 0;
        for (i, &start) in times.iter().enumerate() {
            if met(start) & 1 == 0 {
                continue;
            }
            let mut level = 1;
            for &t in times[i + 1..].iter().take_while(|&&t| t <= start + window) {
                if level == f.steps {
                    break;
                }
                if met(t) & (1 << level) != 0 {
                    level += 1;
                } else if f.mode.stops(met(t), level) {
                    break;
                }
            }
            best = best.max(level);
        }
        best
    }

    #[test]
    fn walks_in_one_pass_equal_walks_from_every_start() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        let modes: [&[&str]; 3] = [
            &["strict_order"],
            &["strict_deduplication"],
            &["strict_deduplication", "strict_order"],
        ];
        for round in 0..3000 {
            let steps = 1 + next(5) as usize;
            let window = 1 + next(20) as i64;
            let f = with_modes(steps, window, modes[round % 3]);
            let events: Vec<(i64, usize)> = (0..next(14))
                .map(|_| (next(30) as i64, 1 + next(steps as u64) as usize))
                .collect();
            assert_eq!(
                f.level(&timeline_of(&f, &events)),
                walk_by_definition(&f, window, &events),
                "{steps} steps, window {window}, {:?}: {events:?}",
                modes[round % 3]
            );
        }
    }

    #[test]
    fn modes_are_checked() {
        let window = Some(ScalarValue::new_interval_mdn(0, 1, 0));
        let rule =
            |mode: ScalarValue| FunnelRule::of("window_funnel", &[window.clone(), Some(mode)]);
        assert!(rule(ScalarValue::from(" Strict_Order ")).is_ok());
        for accepted in ["strict_increase", "strict_once"] {
            assert_eq!(
                rule(ScalarValue::from(accepted)).unwrap().mode,
                FunnelMode::default()
            );
        }
        let error = rule(ScalarValue::from("strict_ordr"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("window_funnel: unknown mode 'strict_ordr', expected one of 'strict_order', 'strict_deduplication', 'strict_increase', 'strict_once'"), "{error}");
        let error = rule(ScalarValue::Utf8(None)).unwrap_err().to_string();
        assert!(
            error.contains("window_funnel: mode must not be NULL"),
            "{error}"
        );
    }
}
