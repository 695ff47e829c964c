//! What `window_funnel` and `funnel` share: the window, the step conditions, and the level a
//! timeline of step events reaches.
//!
//! A funnel's timeline (on the [event-sequence kernel](crate::kernels::timelines::EventSequenceMetric)) holds one value per (event
//! time, step met): `time × 2^b + step`, `b` the bits the funnel's step numbers need, so that
//! sorting orders by time and then by step, and an event meeting several steps stands for
//! several values (the kernel's row bits). Few bits keep values of months of events close
//! together, which the kernel's log packs in less room.

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::DocumentationBuilder;

use crate::calendar::intervals::{IntervalArithmetic, coerce_interval, positive_interval};
use crate::calendar::zoned_days::event_and_start_time;
use crate::common::args::{check_arg_count, is_string_type};
use crate::common::user_ids::UserIdKind;
use crate::families::event_codes::{coded_times, condition_bits};

/// The most steps a funnel may have.
pub(crate) const MAX_STEPS: usize = 32;
/// The bits of a value that hold its code: 32 steps and the code of a row meeting no step.
const MAX_STEP_BITS: u32 = 6;

/// The modes a funnel takes after its steps: ClickHouse's names, then ours. `strict_increase`
/// is how every chain is evaluated anyway (steps at strictly increasing times): accepted so
/// that ClickHouse calls carry over.
const MODES: [&str; 6] = [
    "strict_order",
    "strict_deduplication",
    "allow_reentry",
    "strict_increase",
    "strict_once",
    "longest_walk",
];

/// The modes in the functions' documentation.
pub(crate) const MODES_DOC: &str = "The level is ClickHouse's windowFunnel(window, \
    'strict_increase', mode, …) with the same modes, evaluated as ClickHouse does: one pass \
    over the group's events in time order (at one time: rows meeting no step first, then the \
    steps in order) that keeps the latest chain of each step, a step-1 event starting one \
    afresh. Where events share a time that can miss a chain (A, then A and B at one time: \
    1); 'strict_once' keeps every chain, as in ClickHouse, and gives the longest (2). Modes, \
    constant strings after the steps: 'strict_order' ends the pass at a row meeting no step, \
    or at an event of a step whose previous step has not been reached (A-B-D-C reaches 2); \
    with 'allow_reentry' such events are skipped instead, so only rows meeting no step end \
    it. 'strict_deduplication' ends the pass at an event of a step already reached, other \
    than step 1 (A-B-C-B-D reaches 3; a repeated row is a step met again). A-B-A-C reaches 3 \
    under either: A again restarts the chain. 'longest_walk', ours, judges by the best \
    attempt instead of the first: without a strict mode the longest chain (as \
    'strict_once'); with one, the longest walk from any step-1 event through the times of \
    the group's later step events, within the window, taking the next step wherever its \
    event comes and stopping where the mode forbids (strict_order: an event of any step but \
    the one just reached; strict_deduplication: an event of a step already reached; rows \
    meeting no step and events at the time of the walk's last step never stop it). A \
    visitor interrupted on Monday who converts on Tuesday reaches the last step with \
    'longest_walk' and stays where Monday's attempt ended without it. 'strict_increase' is \
    accepted and changes nothing: steps are always strictly later.";

/// The `mode` argument in the functions' documentation.
pub(crate) const MODE_ARGUMENT_DOC: &str = "Optional, after the steps, as constant strings: \
    'strict_order', 'strict_deduplication' (one or both), 'allow_reentry' (with \
    'strict_order'), 'longest_walk', 'strict_increase' or 'strict_once'.";

/// What may interrupt a funnel's chain, and how the interruptions are judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FunnelMode {
    /// A row meeting no step, or an event of a step whose previous step is not reached, ends
    /// the evaluation (with [`Self::longest_walk`]: an event of a step other than the one
    /// just reached stops the walk).
    strict_order: bool,
    /// An event of a step already reached ends the evaluation (stops the walk).
    strict_deduplication: bool,
    /// ClickHouse's `allow_reentry`: under `strict_order`, an event of a step whose previous
    /// step is not reached is skipped instead.
    allow_reentry: bool,
    /// ClickHouse's `strict_once`: every chain is kept, not only the latest of each step.
    every_chain: bool,
    /// Ours: the strict modes judged by the best attempt, the longest walk from any step-1
    /// event ([`FunnelSteps::walk_level`]), instead of ClickHouse's one pass (which finds the
    /// longest chain already without them).
    longest_walk: bool,
}

impl FunnelMode {
    fn strict(self) -> bool {
        self.strict_order || self.strict_deduplication
    }

    /// Whether rows meeting no step are logged: they end ClickHouse's `strict_order` pass.
    fn logs_rows_meeting_no_step(self) -> bool {
        self.strict_order && !self.longest_walk
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
            "allow_reentry" => self.allow_reentry = true,
            "longest_walk" => self.longest_walk = true,
            "strict_once" => self.every_chain = true,
            "strict_increase" => {}
            "strict" => {
                return plan_err!(
                    "{function}: mode 'strict' is ClickHouse's old name for \
                     'strict_deduplication': write 'strict_deduplication'"
                );
            }
            _ => {
                let expected = MODES.map(|mode| format!("'{mode}'")).join(", ");
                return plan_err!("{function}: unknown mode '{text}', expected one of {expected}");
            }
        }
        Ok(())
    }

    /// Refuses modes that mean nothing together.
    fn check(self, function: &str) -> Result<()> {
        if self.allow_reentry && !self.strict_order {
            return plan_err!(
                "{function}: mode 'allow_reentry' needs 'strict_order' (it says which events \
                 'strict_order' skips), as in ClickHouse"
            );
        }
        if self.longest_walk && self.allow_reentry {
            return plan_err!(
                "{function}: modes 'allow_reentry' and 'longest_walk' do not combine: \
                 'allow_reentry' changes ClickHouse's one-pass evaluation, which \
                 'longest_walk' replaces"
            );
        }
        Ok(())
    }
}

/// The most exclusions a funnel may have: their codes follow the steps' in a value's low bits.
pub(crate) const MAX_EXCLUSIONS: usize = 16;

/// The exclusions in the functions' documentation.
pub(crate) const EXCLUSIONS_DOC: &str = "Exclusions, after the steps: the constant string \
    'exclude a-b' (or 'exclude', between step 1 and the last step) followed by a BOOLEAN \
    condition, up to 16 of them. An event meeting the condition strictly after a chain's \
    step-a event and before its step-b event ends that chain: the steps it reached count, \
    and it goes no further (view, remove_from_cart, pay with 'exclude 1-3', \
    event_name = 'remove_from_cart': step 1 only; a later view starts a chain of its own). \
    Mixpanel's exclusion steps; PostHog drops such a user from the whole funnel instead.";

/// The exclusion arguments in the functions' documentation.
pub(crate) const EXCLUSION_ARGUMENT_DOC: &str = "Optional, after the steps: an exclusion, \
    the constant string 'exclude a-b' (or 'exclude') and a BOOLEAN condition such as \
    event_name = 'remove_from_cart'; up to 16.";

/// An exclusion: an event meeting its condition between a chain's steps `from` and `to`
/// (from 1) ends the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exclusion {
    from: usize,
    /// `None` for the last step, whatever the number of steps.
    to: Option<usize>,
}

impl Exclusion {
    /// Reads `'exclude'` or `'exclude a-b'`; `None` for a string that is not an exclusion.
    fn parse(function: &str, text: &str) -> Option<Result<Self>> {
        let words = text.trim().to_ascii_lowercase();
        let range = words.strip_prefix("exclude")?.trim().to_string();
        if range.is_empty() {
            return Some(Ok(Self { from: 1, to: None }));
        }
        let steps = range
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
        Some(match steps {
            Some((from, to)) if 1 <= from && from < to => Ok(Self { from, to: Some(to) }),
            _ => plan_err!(
                "{function}: cannot read the exclusion '{text}': expected 'exclude' (between \
                 the first and the last step) or 'exclude a-b' with steps 1 <= a < b, such as \
                 'exclude 1-3'"
            ),
        })
    }
}

/// What follows a funnel's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trailing {
    /// A mode: one constant string.
    Mode,
    /// An exclusion: its constant string, then its condition.
    Exclusion(Exclusion),
}

/// A funnel's constant arguments: the window, the modes and the exclusions after the steps.
#[derive(Debug, Clone)]
pub(crate) struct FunnelRule {
    window: IntervalMonthDayNano,
    mode: FunnelMode,
    /// The arguments after the steps, in order.
    trailing: Vec<Trailing>,
}

impl FunnelRule {
    /// From the constants of [`funnel_constant_args`]: the window, then the strings after the
    /// steps, modes and exclusions. With the call's (coerced) argument types, each
    /// exclusion's string is checked to come before a BOOLEAN condition and every condition
    /// after the steps to follow an exclusion's string.
    pub(crate) fn of(
        function: &str,
        constants: &[Option<ScalarValue>],
        arg_types: Option<&[DataType]>,
        first_step: usize,
    ) -> Result<Self> {
        let window = match constants.first() {
            Some(Some(window)) => positive_interval(function, "window", window)?,
            _ => return plan_err!("{function}: window is required"),
        };
        // The strings' positions, and whether a condition follows each, where the types are
        // known.
        let strings: Option<Vec<(usize, bool)>> =
            arg_types.map(|types| trailing_strings(types, first_step).collect());
        let mut mode = FunnelMode::default();
        let mut trailing = Vec::with_capacity(constants.len() - 1);
        for (n, value) in constants[1..].iter().enumerate() {
            let text = match value.as_ref().map(ScalarValue::try_as_str) {
                Some(Some(Some(text))) => Some(text),
                _ => None,
            };
            let exclusion = text
                .and_then(|text| Exclusion::parse(function, text))
                .transpose()?;
            let (position, before_condition) = match &strings {
                Some(strings) => (Some(strings[n].0), Some(strings[n].1)),
                None => (None, None),
            };
            match (exclusion, before_condition) {
                (Some(_), Some(false)) => {
                    return plan_err!(
                        "{function}: the exclusion '{}' must be followed by its BOOLEAN \
                         condition, such as event_name = 'remove_from_cart'",
                        text.unwrap_or_default()
                    );
                }
                (None, Some(true)) => {
                    let what = match text {
                        Some(text) => format!("the mode '{text}'"),
                        None => "a mode".to_string(),
                    };
                    return plan_err!(
                        "{function}: argument {} is a BOOLEAN condition after {what}: the \
                         steps come before the modes, and a condition after them belongs to \
                         an exclusion, written 'exclude a-b' (or 'exclude') just before it",
                        position.unwrap_or_default() + 2
                    );
                }
                (Some(exclusion), _) => trailing.push(Trailing::Exclusion(exclusion)),
                (None, _) => {
                    if let Some(value) = value {
                        mode.add(function, value)?;
                    }
                    trailing.push(Trailing::Mode);
                }
            }
        }
        mode.check(function)?;
        if let Some(types) = arg_types {
            let steps = first_mode_arg(types, first_step) - first_step;
            for exclusion in trailing.iter().filter_map(|t| match t {
                Trailing::Exclusion(exclusion) => Some(exclusion),
                Trailing::Mode => None,
            }) {
                exclusion_levels(function, *exclusion, steps)?;
            }
        }
        Ok(Self {
            window,
            mode,
            trailing,
        })
    }

    /// How many arguments follow the steps: the strings, and each exclusion's condition.
    fn trailing_args(&self) -> usize {
        self.trailing
            .iter()
            .map(|t| match t {
                Trailing::Mode => 1,
                Trailing::Exclusion(_) => 2,
            })
            .sum()
    }

    /// Why `DISTINCT` would change the level: under ClickHouse's `strict_deduplication` a
    /// row repeated is a step met again, which ends the evaluation.
    pub(crate) fn distinct_refusal(&self) -> Option<&'static str> {
        (self.mode.strict_deduplication && !self.mode.longest_walk).then_some(
            "with 'strict_deduplication', where a repeated row is a step met again, as in \
             ClickHouse: remove DISTINCT, or de-duplicate the rows in a subquery",
        )
    }
}

/// The levels (steps reached, from 1) of an exclusion in a funnel of `steps` steps, checked:
/// `from..to`.
fn exclusion_levels(function: &str, exclusion: Exclusion, steps: usize) -> Result<(usize, usize)> {
    let to = exclusion.to.unwrap_or(steps);
    if exclusion.to.is_none() && steps < 2 {
        return plan_err!(
            "{function}: the exclusion 'exclude' lies between step 1 and the last step, and \
             needs a funnel of 2 steps or more; this one has {steps}"
        );
    }
    if to > steps {
        return plan_err!(
            "{function}: the exclusion 'exclude {}-{to}' needs steps {} to {to}, but the \
             funnel has {steps} step{}",
            exclusion.from,
            exclusion.from,
            if steps == 1 { "" } else { "s" }
        );
    }
    Ok((exclusion.from, to))
}

/// Where a chain ends at an exclusion event, as bit masks by level (steps reached): a chain
/// whose step `from` came before the event, and whose step `to` is not reached by the
/// event's time.
#[derive(Debug, Clone, Copy, Default)]
struct ExclusionMasks {
    /// Chains that reached their level before the event's time: levels `from..to`.
    before: u64,
    /// Chains that took their last step at the event's time (its own time is not "after"
    /// it): by the level they came from, `from..to - 1`.
    moved_from: u64,
}

impl ExclusionMasks {
    fn new((from, to): (usize, usize)) -> Self {
        let below = |level: usize| (1u64 << level) - 1;
        Self {
            before: below(to) & !below(from),
            moved_from: below(to - 1) & !below(from),
        }
    }

    fn union(self, other: Self) -> Self {
        Self {
            before: self.before | other.before,
            moved_from: self.moved_from | other.moved_from,
        }
    }
}

/// A chain (or a walk) the evaluation keeps: its window's end, the time of its last step and
/// the time of its first.
#[derive(Debug, Clone, Copy)]
struct Chain {
    end: i64,
    last: i64,
    start: i64,
}

const NO_CHAIN: Chain = Chain {
    end: i64::MIN,
    last: i64::MAX,
    start: i64::MIN,
};

impl Chain {
    fn exists(&self) -> bool {
        self.end != i64::MIN
    }

    /// Keeps the chain with the most window left (the latest start), of this one and
    /// `other`, dropping their last times: what the evaluations keep of chains at one level.
    fn keep_latest(&mut self, other: Chain) {
        if (other.end, other.start) > (self.end, self.start) {
            *self = Chain {
                last: i64::MIN,
                ..other
            };
        }
    }
}

/// What a value's code says of its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// A row meeting no step (logged under `strict_order` only).
    NoStep,
    /// A step, from 0.
    Step(usize),
    /// An exclusion's condition, from 0.
    Exclusion(usize),
}

/// A funnel as the accumulators run it: the window in the event times' zone, the steps,
/// the exclusions.
#[derive(Debug, Clone)]
pub(crate) struct FunnelSteps {
    window: IntervalArithmetic,
    mode: FunnelMode,
    /// Position of step 1 among the arguments.
    first_step_arg: usize,
    pub steps: usize,
    /// By exclusion: the position of its condition, and where it ends chains.
    exclusions: Vec<(usize, ExclusionMasks)>,
    /// The low bits of a value that hold its code ([`Self::code_of`]).
    step_bits: u32,
}

impl FunnelSteps {
    pub(crate) fn new(
        function: &str,
        rule: FunnelRule,
        event_time: &DataType,
        first_step_arg: usize,
        arguments: usize,
    ) -> Result<Self> {
        let steps = arguments.saturating_sub(first_step_arg + rule.trailing_args());
        let mut exclusions = vec![];
        let mut position = first_step_arg + steps;
        for trailing in &rule.trailing {
            match trailing {
                Trailing::Mode => position += 1,
                Trailing::Exclusion(exclusion) => {
                    let levels = exclusion_levels(function, *exclusion, steps)?;
                    exclusions.push((position + 1, ExclusionMasks::new(levels)));
                    position += 2;
                }
            }
        }
        let codes = steps + exclusions.len() + usize::from(rule.mode.logs_rows_meeting_no_step());
        Ok(Self {
            window: IntervalArithmetic::new(rule.window, event_time)?,
            mode: rule.mode,
            first_step_arg,
            steps,
            exclusions,
            step_bits: (usize::BITS - (codes.max(2) - 1).leading_zeros()).min(MAX_STEP_BITS),
        })
    }

    /// The longest the window can be, in microseconds (a month of 31 days, a day of 25
    /// hours).
    pub(crate) fn longest_window(&self) -> i64 {
        self.window.longest()
    }

    /// Each event's first value, `time × 2^b` (its steps add to it), with the time in
    /// microseconds; an error names the first time too far from 1970 for that with any
    /// number of steps.
    pub(crate) fn values<'a>(&self, function: &str, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        let range = "funnels take times within 4,500 years of 1970";
        coded_times(function, times, self.step_bits, MAX_STEP_BITS, range)
    }

    /// Per row, the codes of the steps and exclusions whose condition is true (NULL is
    /// false), as bits (see [`Self::code_of`]); a row meeting no step has code 0 when such
    /// rows are logged.
    pub(crate) fn row_bits(&self, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        let mut conditions: Vec<ArrayRef> =
            arguments[self.first_step_arg..self.first_step_arg + self.steps].to_vec();
        conditions.extend(
            self.exclusions
                .iter()
                .map(|&(arg, _)| Arc::clone(&arguments[arg])),
        );
        let mut bits = condition_bits(&conditions, arguments[0].len());
        if self.mode.logs_rows_meeting_no_step() {
            let step_mask = (1u64 << self.steps) - 1;
            for row_bits in &mut bits {
                *row_bits = (*row_bits << 1) | u64::from(*row_bits & step_mask == 0);
            }
        }
        Ok(bits)
    }

    /// What a value's code stands for: code 0 a row meeting no step when such rows are
    /// logged, then the steps' codes in order, then the exclusions', so that at one time such
    /// a row comes first, then the steps in order, as ClickHouse sorts them, and the
    /// exclusions last (an exclusion at a step's own time is not before it).
    fn code_of(&self, value: i64) -> Code {
        let code = (value & ((1 << self.step_bits) - 1)) as usize;
        let first_step_code = usize::from(self.mode.logs_rows_meeting_no_step());
        match code.checked_sub(first_step_code) {
            None => Code::NoStep,
            Some(step) if step < self.steps => Code::Step(step),
            Some(step) => Code::Exclusion(step - self.steps),
        }
    }

    /// The funnel level of a timeline (values sorted; a value repeated is an event repeated).
    pub(crate) fn level(&self, values: &[i64]) -> usize {
        self.conversion(values, |_, _| {})
    }

    /// The funnel level of a timeline, calling `reached(level, duration)` the first time the
    /// evaluation reaches each level (from 1, in order), with the microseconds from the
    /// step-1 event of the chain that reached it (the latest such start, where chains of
    /// several starts reach it at once).
    pub(crate) fn conversion(&self, values: &[i64], reached: impl FnMut(usize, i64)) -> usize {
        if self.mode.longest_walk && self.mode.strict() {
            self.walk_level(values, reached)
        } else {
            self.clickhouse_level(values, reached)
        }
    }

    /// The masks of the exclusions whose bits `met` are set.
    fn masks(&self, met: u64) -> ExclusionMasks {
        let mut masks = ExclusionMasks::default();
        for (j, &(_, of_exclusion)) in self.exclusions.iter().enumerate() {
            if met & (1 << j) != 0 {
                masks = masks.union(of_exclusion);
            }
        }
        masks
    }

    /// ClickHouse's `windowFunnel` with `'strict_increase'` and the same modes, in one pass
    /// over the events in time order (at one time: a row meeting no step first, then the
    /// steps in order, as ClickHouse sorts them). A step-1 event starts a chain; an event of
    /// step k extends a chain that reached step k - 1 if it is strictly later than that
    /// chain's last event and within its window. Once a step-1 event has been seen, the pass
    /// ends, with the steps reached so far: under `strict_order` at a row meeting no step or
    /// at an event of a step whose previous step is not reached (skipped with
    /// `allow_reentry`); under `strict_deduplication` at an event of a step already reached,
    /// other than step 1. An exclusion's event ends the chains it falls within
    /// ([`ExclusionMasks`]).
    ///
    /// Without `strict_once`, as ClickHouse, only the latest chain of each step is kept (a
    /// step-1 event replaces the one before), which misses a chain when events share a time
    /// (A, then A and B at one time: the second A replaces the first, and B cannot follow it
    /// at its own time). With it (or `longest_walk`, which runs here without a strict mode),
    /// every chain is kept, as ClickHouse does: for each step the latest window end of the
    /// chains reaching it at an earlier time (the latest has the most window left), those
    /// of the current time applied once it is done.
    fn clickhouse_level(&self, values: &[i64], mut reached_first: impl FnMut(usize, i64)) -> usize {
        // chains[k]: the kept chain reaching step k + 1; with every chain kept, the latest
        // of those made at earlier times.
        let mut chains = [NO_CHAIN; MAX_STEPS];
        let mut made_now: Vec<(usize, Chain)> = Vec::new();
        let every_chain = self.mode.every_chain || self.mode.longest_walk;
        let (mut reached, mut started, mut now) = (0, false, i64::MIN);
        for &value in values {
            let time = value >> self.step_bits;
            if every_chain && time != now {
                for (step, chain) in made_now.drain(..) {
                    chains[step].keep_latest(chain);
                }
                now = time;
            }
            let step = match self.code_of(value) {
                Code::Step(step) => step,
                Code::NoStep if started => break,
                Code::NoStep => continue,
                Code::Exclusion(j) => {
                    let masks = self.exclusions[j].1;
                    // A chain's level is k + 1; its last step at `time` came from level k.
                    for (k, chain) in chains[..self.steps].iter_mut().enumerate() {
                        let ended = if chain.last < time {
                            masks.before & (1 << (k + 1))
                        } else {
                            masks.moved_from & (1 << k)
                        };
                        if ended != 0 {
                            *chain = NO_CHAIN;
                        }
                    }
                    made_now.retain(|&(step, _)| masks.moved_from & (1 << step) == 0);
                    continue;
                }
            };
            let made = if step == 0 {
                started = true;
                let end = self.window.add(time, 1);
                Chain {
                    end,
                    last: time,
                    start: time,
                }
            } else if self.mode.strict_deduplication && step < reached {
                break;
            } else if self.mode.strict_order && started && step > reached {
                if self.mode.allow_reentry {
                    continue;
                }
                break;
            } else if step <= reached {
                let from = chains[step - 1];
                if !(from.last < time && time <= from.end) {
                    continue;
                }
                Chain { last: time, ..from }
            } else {
                continue;
            };
            if every_chain {
                made_now.push((step, made));
            } else {
                chains[step] = made;
            }
            if step == reached {
                reached += 1;
                reached_first(reached, time - made.start);
                if reached == self.steps {
                    break;
                }
            }
        }
        reached
    }

    /// With `longest_walk` and `strict_order` or `strict_deduplication`: from each step-1
    /// event, a walk through the later times at which the group has step events, in order,
    /// while within the window (inclusive) of the start. At each time the walk takes the next
    /// step if the time has an event of it; otherwise an event the mode forbids there stops
    /// the walk. Events at the time of the walk's last step never stop it; an exclusion's
    /// event ends the walks it falls within. The level is the most steps of any walk.
    ///
    /// Exact in one pass: from any time on, walks that have reached the same step move
    /// alike, except that the one with the later start keeps its window longer; only that
    /// one is kept.
    fn walk_level(&self, values: &[i64], mut reached_first: impl FnMut(usize, i64)) -> usize {
        // walks[k]: the walk that has reached k + 1 steps.
        let mut walks = [NO_CHAIN; MAX_STEPS];
        let mut reached = 0;
        let (bits, mut at) = (self.step_bits, 0);
        while at < values.len() && reached < self.steps {
            let time = values[at] >> bits;
            let (mut steps_met, mut excluded) = (0u64, 0u64);
            while let Some(&value) = values.get(at).filter(|&&v| v >> bits == time) {
                match self.code_of(value) {
                    Code::Step(step) => steps_met |= 1 << step,
                    Code::Exclusion(j) => excluded |= 1 << j,
                    Code::NoStep => unreachable!("rows meeting no step are not logged"),
                }
                at += 1;
            }
            let masks = self.masks(excluded);
            // Deepest walk first, so that a walk moving on is not moved again at this time.
            for level in (1..self.steps).rev() {
                let walk = std::mem::replace(&mut walks[level - 1], NO_CHAIN);
                if !walk.exists() || time > walk.end {
                    // None, or past its window: it can take no more steps.
                } else if steps_met & (1 << level) != 0 {
                    if level == reached {
                        reached += 1;
                        reached_first(reached, time - walk.start);
                    }
                    if masks.moved_from & (1 << level) == 0 {
                        walks[level].keep_latest(walk);
                    }
                } else if !self.mode.stops(steps_met, level) && masks.before & (1 << level) == 0 {
                    walks[level - 1] = walk;
                }
            }
            if steps_met & 1 != 0 {
                let end = self.window.add(time, 1);
                walks[0].keep_latest(Chain {
                    end,
                    last: time,
                    start: time,
                });
                if reached == 0 {
                    reached = 1;
                    reached_first(1, 0);
                }
            }
        }
        reached
    }
}

/// Position of the window among the arguments of a funnel over users (`funnel` and the times
/// to convert: `user_id, event_time, window, step_1, …`).
pub(crate) const USER_FUNNEL_WINDOW: usize = 2;
/// Position of step 1 among the arguments of a funnel over users.
pub(crate) const USER_FUNNEL_FIRST_STEP: usize = 3;

/// The argument types of a funnel over users to coerce to; `usage` is the call's shape.
pub(crate) fn user_funnel_arg_types(
    function: &str,
    arg_types: &[DataType],
    usage: &str,
) -> Result<Vec<DataType>> {
    let (window, first_step) = (USER_FUNNEL_WINDOW, USER_FUNNEL_FIRST_STEP);
    let mut types = funnel_arg_types(function, arg_types, window, first_step, usage)?;
    types[0] = UserIdKind::coerce(function, "user_id", &arg_types[0])?;
    Ok(types)
}

/// Typical argument types of a funnel over users of `steps` steps, for `SHOW FUNCTIONS`.
pub(crate) fn user_funnel_example_types(steps: usize) -> Vec<Vec<DataType>> {
    let window = DataType::Interval(IntervalUnit::MonthDayNano);
    let time = DataType::Timestamp(TimeUnit::Microsecond, None);
    UserIdKind::example_types()
        .into_iter()
        .map(|user| {
            let mut types = vec![user, time.clone(), window.clone()];
            types.extend(std::iter::repeat_n(DataType::Boolean, steps));
            types
        })
        .collect()
}

/// The documented arguments of a funnel over users.
pub(crate) fn with_user_funnel_arguments(doc: DocumentationBuilder) -> DocumentationBuilder {
    doc.with_argument("user_id", "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
        .with_argument("event_time", "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.")
        .with_argument("window", "How long a user's chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.")
        .with_argument("step_1, …, step_n", "The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.")
        .with_argument("mode", MODE_ARGUMENT_DOC)
        .with_argument("'exclude a-b', condition", EXCLUSION_ARGUMENT_DOC)
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

/// The strings after a funnel's steps, by position, each with whether a condition follows it
/// (an exclusion's string) or not (a mode).
fn trailing_strings(
    arg_types: &[DataType],
    first_step: usize,
) -> impl Iterator<Item = (usize, bool)> + '_ {
    (first_mode_arg(arg_types, first_step)..arg_types.len())
        .filter(|&i| arg_types[i] != DataType::Boolean)
        .map(|i| (i, arg_types.get(i + 1) == Some(&DataType::Boolean)))
}

/// A funnel's constant arguments: the window, then the strings after the steps (modes, and
/// exclusions before their conditions).
pub(crate) fn funnel_constant_args(
    arg_types: &[DataType],
    window: usize,
    first_step: usize,
) -> Cow<'static, [(usize, &'static str)]> {
    let strings = trailing_strings(arg_types, first_step).map(|(i, before_condition)| {
        (
            i,
            if before_condition {
                "exclusion"
            } else {
                "mode"
            },
        )
    });
    Cow::Owned(std::iter::once((window, "window")).chain(strings).collect())
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
            // An exclusion's condition, after its string.
            DataType::Boolean if arg_types[i - 1] != DataType::Boolean => {}
            other => {
                return plan_err!(
                    "{function}: argument {} must be a mode such as 'strict_order' or an \
                     exclusion such as 'exclude 1-3' followed by its BOOLEAN condition, got \
                     {other}: the modes and exclusions come after the last step",
                    i + 1
                );
            }
        }
    }
    let (exclusions, modes): (Vec<_>, Vec<_>) = trailing_strings(arg_types, first_step)
        .partition(|&(_, before_condition)| before_condition);
    if modes.len() > MODES.len() {
        return plan_err!(
            "{function} takes at most {} modes, got {}",
            MODES.len(),
            modes.len()
        );
    }
    if exclusions.len() > MAX_EXCLUSIONS {
        return plan_err!(
            "{function} takes at most {MAX_EXCLUSIONS} exclusions, got {}",
            exclusions.len()
        );
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    /// A funnel that keeps every chain.
    fn funnel(steps: usize, window_seconds: i64) -> FunnelSteps {
        with_modes(steps, window_seconds, &["strict_once"])
    }

    fn with_modes(steps: usize, window_seconds: i64, modes: &[&str]) -> FunnelSteps {
        with_exclusions(steps, window_seconds, modes, &[])
    }

    /// A funnel with these modes, then exclusions (steps `a` to `b`) in that order.
    fn with_exclusions(
        steps: usize,
        window_seconds: i64,
        modes: &[&str],
        exclusions: &[(usize, usize)],
    ) -> FunnelSteps {
        let window = ScalarValue::new_interval_mdn(0, 0, window_seconds * 1_000_000_000);
        let exclusions = exclusions.iter().map(|(a, b)| format!("exclude {a}-{b}"));
        let constants: Vec<_> = std::iter::once(window)
            .chain(modes.iter().map(|&mode| ScalarValue::from(mode)))
            .chain(exclusions.map(ScalarValue::from))
            .map(Some)
            .collect();
        let rule = FunnelRule::of("test", &constants, None, 0).unwrap();
        let time = DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None);
        let arguments = steps + rule.trailing_args();
        FunnelSteps::new("test", rule, &time, 0, arguments).unwrap()
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

    /// (seconds, step from 1) events of a funnel as sorted timeline values; step 0 is a row
    /// meeting no step, logged only where the mode ends ClickHouse's pass at one.
    fn timeline_of(f: &FunnelSteps, events: &[(i64, usize)]) -> Vec<i64> {
        let first_step_code = i64::from(f.mode.logs_rows_meeting_no_step());
        let mut values: Vec<i64> = events
            .iter()
            .filter(|&&(_, step)| step > 0 || first_step_code == 1)
            .map(|&(t, step)| ((t * SECOND) << f.step_bits) + step as i64 - 1 + first_step_code)
            .collect();
        values.sort_unstable();
        values
    }

    #[test]
    fn a_longest_walk_under_strict_order_stops_at_another_steps_event() {
        let f = with_modes(4, 100, &["strict_order", "longest_walk"]);
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
        // Without a strict mode, the interrupted chain goes on.
        let plain = funnel(4, 100);
        assert_eq!(
            plain.level(&timeline_of(&plain, &[(1, 1), (2, 2), (3, 4), (4, 3)])),
            3
        );
    }

    #[test]
    fn a_longest_walk_under_strict_deduplication_stops_at_a_repeated_step() {
        let f = with_modes(4, 100, &["strict_deduplication", "longest_walk"]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        // Doris's example: A-B-C-B-D stops at the second B.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 2), (5, 4)]), 3);
        // A step not yet reached does not stop it.
        assert_eq!(level(&[(1, 1), (2, 3), (3, 2), (4, 3)]), 3);
        // A repeated step 1 stops the first walk; the second start has no step 2 after it.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 3)]), 2);
        // Both modes: any step event that is not the next one stops the walk.
        let both = with_modes(
            4,
            100,
            &["strict_order", "strict_deduplication", "longest_walk"],
        );
        let level = |events: &[(i64, usize)]| both.level(&timeline_of(&both, events));
        assert_eq!(level(&[(1, 1), (2, 2), (3, 2), (4, 3)]), 2);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 4)]), 4);
    }

    /// The longest chain by definition: steps 1, 2, … at strictly increasing times, all
    /// within `window` of the first, tried from every event.
    fn chain_by_definition(steps: usize, window: i64, events: &[(i64, usize)]) -> usize {
        fn extend(
            events: &[(i64, usize)],
            steps: usize,
            end: i64,
            last: i64,
            step: usize,
        ) -> usize {
            if step == steps {
                return step;
            }
            let next = events
                .iter()
                .filter(|&&(t, s)| s == step + 1 && t > last && t <= end);
            next.map(|&(t, _)| extend(events, steps, end, t, step + 1))
                .max()
                .unwrap_or(step)
        }
        let starts = events.iter().filter(|&&(_, s)| s == 1);
        starts
            .map(|&(t, _)| extend(events, steps, t + window, t, 1))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn keeping_every_chain_finds_the_longest_and_the_latest_chain_never_more() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for _ in 0..3000 {
            let steps = 1 + next(5) as usize;
            let window = 1 + next(20) as i64;
            let (every, latest, walk) = (
                with_modes(steps, window, &["strict_once"]),
                with_modes(steps, window, &[]),
                with_modes(steps, window, &["longest_walk"]),
            );
            // Few distinct times: many events share one.
            let events: Vec<(i64, usize)> = (0..next(14))
                .map(|_| (next(12) as i64, 1 + next(steps as u64) as usize))
                .collect();
            let in_micros: Vec<(i64, usize)> =
                events.iter().map(|&(t, s)| (t * SECOND, s)).collect();
            let longest = chain_by_definition(steps, window * SECOND, &in_micros);
            let level = |f: &FunnelSteps| f.level(&timeline_of(f, &events));
            assert_eq!(
                level(&every),
                longest,
                "{steps} steps, window {window}: {events:?}"
            );
            assert_eq!(
                level(&walk),
                longest,
                "{steps} steps, window {window}: {events:?}"
            );
            assert!(
                level(&latest) <= longest,
                "{steps} steps, window {window}: {events:?}"
            );
        }
    }

    #[test]
    fn clickhouses_pass_keeps_the_latest_chain_of_each_step() {
        let (latest, every) = (with_modes(3, 100, &[]), funnel(3, 100));
        let levels = |events: &[(i64, usize)]| {
            let level = |f: &FunnelSteps| f.level(&timeline_of(f, events));
            (level(&latest), level(&every))
        };
        // Without events at one time they agree: the latest start has the most window left.
        assert_eq!(
            levels(&[(0, 1), (50, 2), (90, 1), (120, 2), (180, 3)]),
            (3, 3)
        );
        assert_eq!(levels(&[(5, 2), (6, 1), (7, 3)]), (1, 1));
        // A at 0, then A and B at 10: the second A replaces the first, and B cannot follow
        // it at its own time; the chain from the first A reaches B, then C.
        assert_eq!(levels(&[(0, 1), (10, 1), (10, 2), (20, 3)]), (1, 3));
    }

    #[test]
    fn clickhouses_strict_order_ends_the_pass_at_the_first_interruption() {
        let f = with_modes(4, 100, &["strict_order"]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        // A-B-D-C: D skips ahead of C, the pass ends at 2.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
        // A step already reached does not end it, and A again restarts the chain.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 2), (4, 3)]), 3);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 3)]), 3);
        // A row meeting no step ends it once step 1 was seen, not before.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 0), (4, 3)]), 2);
        assert_eq!(level(&[(0, 0), (1, 1), (2, 2), (4, 3)]), 3);
        // At one time, a row meeting no step comes before the steps.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (3, 0), (4, 4)]), 2);
        // A step out of the window does not end it: a later start goes on.
        assert_eq!(
            level(&[(0, 1), (50, 2), (200, 3), (300, 1), (301, 2), (302, 3)]),
            3
        );
        // An interruption ends it for good, where a later attempt converts; the longest
        // walk takes that attempt.
        let events = [(0, 1), (50, 2), (60, 0), (300, 1), (301, 2), (302, 3)];
        assert_eq!(level(&events), 2);
        let longest = with_modes(4, 100, &["strict_order", "longest_walk"]);
        assert_eq!(longest.level(&timeline_of(&longest, &events)), 3);
        // ClickHouse's allow_reentry skips a step that comes too early.
        let reentry = with_modes(4, 100, &["strict_order", "allow_reentry"]);
        let level = |events: &[(i64, usize)]| reentry.level(&timeline_of(&reentry, events));
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 3);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 0), (4, 3)]), 2);
    }

    #[test]
    fn clickhouses_strict_deduplication_ends_the_pass_at_a_step_met_again() {
        let f = with_modes(4, 100, &["strict_deduplication"]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        // Doris's example: A-B-C-B-D ends at the second B.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 3), (4, 2), (5, 4)]), 3);
        // A-B-A-B: step 1 again restarts the chain; B again ends the pass at 2.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 2)]), 2);
        // view, cart, view, checkout: the repeated first step restarts, 3.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 1), (4, 3)]), 3);
        // A repeated row is a step met again.
        assert_eq!(level(&[(1, 1), (2, 2), (2, 2), (3, 3)]), 2);
        // No row meeting no step is logged: such rows change nothing.
        assert_eq!(level(&[(1, 1), (2, 0), (3, 2)]), 2);
        // Steps must be strictly later and within the window of the chain's first event.
        assert_eq!(level(&[(1, 1), (1, 2), (2, 2), (200, 3)]), 2);
    }

    #[test]
    fn thirty_two_steps_and_rows_meeting_none_fit_the_codes() {
        let f = with_modes(32, 100, &["strict_order"]);
        assert_eq!(f.step_bits, 6);
        let events: Vec<(i64, usize)> = (1..=32).map(|step| (step as i64, step)).collect();
        assert_eq!(f.level(&timeline_of(&f, &events)), 32);
        let mut interrupted = events.clone();
        // A row meeting no step at step 10's time comes before it.
        interrupted.push((10, 0));
        assert_eq!(f.level(&timeline_of(&f, &interrupted)), 9);
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
            &["strict_order", "longest_walk"],
            &["strict_deduplication", "longest_walk"],
            &["strict_deduplication", "strict_order", "longest_walk"],
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

    /// The level and the first reach of each level by definition: chains of events of steps
    /// 1, 2, … at strictly increasing times within the window of the first, none with an
    /// exclusion's event strictly between its step a and its step b (or its last step, if it
    /// has not reached b). A level is first reached at the earliest time of a chain reaching
    /// it, from the latest start of such chains. Events: (seconds, step from 1; steps + 1 + j
    /// for exclusion j).
    fn conversion_by_definition(
        steps: usize,
        window: i64,
        exclusions: &[(usize, usize)],
        events: &[(i64, usize)],
    ) -> (usize, Vec<i64>) {
        let excluded_at = |j: usize| {
            let code = steps + 1 + j;
            events
                .iter()
                .filter(move |&&(_, s)| s == code)
                .map(|&(t, _)| t)
        };
        let valid = |chain: &[i64]| {
            exclusions.iter().enumerate().all(|(j, &(a, b))| {
                let k = chain.len();
                k <= a || excluded_at(j).all(|x| !(chain[a - 1] < x && x < chain[b.min(k) - 1]))
            })
        };
        // best[l - 1]: (time reached, start) of level l's first reach.
        let mut best: Vec<(i64, i64)> = vec![(i64::MAX, i64::MIN); steps];
        fn extend(
            chain: &mut Vec<i64>,
            events: &[(i64, usize)],
            steps: usize,
            window: i64,
            valid: &dyn Fn(&[i64]) -> bool,
            best: &mut Vec<(i64, i64)>,
        ) {
            let k = chain.len();
            let (last, start) = (chain[k - 1], chain[0]);
            let first = &mut best[k - 1];
            if last < first.0 || (last == first.0 && start > first.1) {
                *first = (last, start);
            }
            if k == steps {
                return;
            }
            for &(t, s) in events {
                if s == k + 1 && t > last && t <= start + window {
                    chain.push(t);
                    if valid(chain) {
                        extend(chain, events, steps, window, valid, best);
                    }
                    chain.pop();
                }
            }
        }
        for &(t, s) in events {
            if s == 1 {
                extend(&mut vec![t], events, steps, window, &valid, &mut best);
            }
        }
        let level = best.iter().take_while(|b| b.0 != i64::MAX).count();
        let durations = best[..level].iter().map(|&(t, start)| (t - start) * SECOND);
        (level, durations.collect())
    }

    /// A funnel's level, and the durations [`FunnelSteps::conversion`] reports.
    fn conversion_of(f: &FunnelSteps, events: &[(i64, usize)]) -> (usize, Vec<i64>) {
        let mut durations = vec![];
        let level = f.conversion(&timeline_of(f, events), |level, duration| {
            assert_eq!(level, durations.len() + 1);
            durations.push(duration);
        });
        (level, durations)
    }

    #[test]
    fn exclusions_end_the_chains_they_fall_within() {
        // view, cart, pay; 'exclude 2-3' of a remove_from_cart (code 4).
        let f = with_exclusions(3, 100, &[], &[(2, 3)]);
        let level = |events: &[(i64, usize)]| f.level(&timeline_of(&f, events));
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
        // Before step 2, or at its time, or at the payment's: not between.
        assert_eq!(level(&[(1, 1), (2, 4), (3, 2), (4, 3)]), 3);
        assert_eq!(level(&[(1, 1), (2, 2), (2, 4), (4, 3)]), 3);
        assert_eq!(level(&[(1, 1), (2, 2), (4, 4), (4, 3)]), 3);
        // A chain started after the exclusion converts.
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (5, 1), (6, 2), (7, 3)]), 3);
        // 'exclude' spans the whole funnel; the steps reached before it count.
        let whole = with_exclusions(3, 100, &["strict_once"], &[(1, 3)]);
        let level = |events: &[(i64, usize)]| whole.level(&timeline_of(&whole, events));
        assert_eq!(level(&[(1, 1), (2, 4), (3, 2), (4, 3)]), 1);
        assert_eq!(level(&[(1, 1), (2, 2), (3, 4), (4, 3)]), 2);
    }

    #[test]
    fn conversion_times_are_from_the_start_of_the_chain_first_reaching_each_step() {
        let f = with_modes(3, 100, &[]);
        // Starts at 0 and 10; step 2 at 30 from the latest start (20 s), step 3 at 35.
        assert_eq!(
            conversion_of(&f, &[(0, 1), (10, 1), (30, 2), (35, 3)]),
            (3, vec![0, 20 * SECOND, 25 * SECOND])
        );
        // The window of the later start has ended: the earlier one, still open, reaches.
        let f = with_modes(2, 20, &["strict_once"]);
        assert_eq!(conversion_of(&f, &[(0, 1), (5, 1), (26, 2)]), (1, vec![0]));
        assert_eq!(
            conversion_of(&f, &[(0, 1), (5, 1), (25, 2)]),
            (2, vec![0, 20 * SECOND])
        );
    }

    #[test]
    fn every_chain_and_walks_follow_the_definition_with_exclusions_and_times() {
        let mut seed = 0x5851_f42d_4c95_7f2d_u64;
        let mut next = |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for round in 0..3000 {
            let steps = 2 + next(4) as usize;
            let window = 1 + next(20) as i64;
            let exclusions: Vec<(usize, usize)> = (0..next(3))
                .map(|_| {
                    let a = 1 + next(steps as u64 - 1) as usize;
                    (a, a + 1 + next((steps - a) as u64) as usize)
                })
                .collect();
            let codes = (steps + exclusions.len()) as u64;
            let events: Vec<(i64, usize)> = (0..next(14))
                .map(|_| (next(12) as i64, 1 + next(codes) as usize))
                .collect();
            let every = with_exclusions(steps, window, &["strict_once"], &exclusions);
            assert_eq!(
                conversion_of(&every, &events),
                conversion_by_definition(steps, window, &exclusions, &events),
                "round {round}: {steps} steps, window {window}, exclusions {exclusions:?}: \
                 {events:?}"
            );
            // A walk without a mode that stops it is a chain, taking each step at its first
            // time: the longest chain.
            let walk = with_exclusions(
                steps,
                window,
                &["strict_deduplication", "longest_walk"],
                &exclusions,
            );
            let no_repeats = |events: &[(i64, usize)]| {
                let mut seen = std::collections::HashSet::new();
                events.iter().all(|&(_, s)| s > steps || seen.insert(s))
            };
            if no_repeats(&events) {
                assert_eq!(
                    conversion_of(&walk, &events),
                    conversion_by_definition(steps, window, &exclusions, &events),
                    "round {round}: {steps} steps, window {window}, exclusions \
                     {exclusions:?}: {events:?}"
                );
            }
        }
    }

    #[test]
    fn modes_are_checked() {
        let window = Some(ScalarValue::new_interval_mdn(0, 1, 0));
        let rule = |mode: ScalarValue| {
            FunnelRule::of("window_funnel", &[window.clone(), Some(mode)], None, 3)
        };
        assert!(rule(ScalarValue::from(" Strict_Order ")).is_ok());
        assert_eq!(
            rule(ScalarValue::from("strict_increase")).unwrap().mode,
            FunnelMode::default()
        );
        let error = rule(ScalarValue::from("strict_ordr"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("window_funnel: unknown mode 'strict_ordr', expected one of 'strict_order', 'strict_deduplication', 'allow_reentry', 'strict_increase', 'strict_once', 'longest_walk'"), "{error}");
        let error = rule(ScalarValue::Utf8(None)).unwrap_err().to_string();
        assert!(
            error.contains("window_funnel: mode must not be NULL"),
            "{error}"
        );
        let modes = |modes: &[&str]| {
            let constants: Vec<_> = std::iter::once(window.clone())
                .chain(modes.iter().map(|&mode| Some(ScalarValue::from(mode))))
                .collect();
            FunnelRule::of("window_funnel", &constants, None, 3).map_err(|e| e.to_string())
        };
        assert!(modes(&["strict_order", "allow_reentry"]).is_ok());
        assert!(modes(&["strict_deduplication", "longest_walk"]).is_ok());
        assert!(modes(&["longest_walk"]).is_ok());
        for (wrong, expected) in [
            (
                &["allow_reentry"][..],
                "mode 'allow_reentry' needs 'strict_order'",
            ),
            (
                &["strict_order", "allow_reentry", "longest_walk"][..],
                "modes 'allow_reentry' and 'longest_walk' do not combine",
            ),
            (&["strict"][..], "mode 'strict' is ClickHouse's old name"),
        ] {
            let error = modes(wrong).unwrap_err();
            assert!(error.contains(expected), "{wrong:?}: {error}");
        }
        let dedup = modes(&["strict_deduplication"]).unwrap();
        assert!(dedup.distinct_refusal().is_some());
        let walk = modes(&["strict_deduplication", "longest_walk"]).unwrap();
        assert!(walk.distinct_refusal().is_none());
    }
}
