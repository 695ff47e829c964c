//! What `sequence_match` and `sequence_count` share: ClickHouse's pattern grammar over a
//! group's events, the conditions each event meets, and how a pattern is matched and counted.
//!
//! A group's timeline (on the [event-sequence kernel](crate::kernels::timelines::EventSequenceMetric))
//! holds one value per (event time, condition met): `time × 2^5 + condition`. The events are
//! read back as (time, conditions met): rows of one group at one instant make one event that
//! meets every condition any of them meets (ClickHouse orders such rows arbitrarily, so no
//! order of them would match it), and rows meeting no condition are no event, as in
//! ClickHouse.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Debug;
use std::marker::PhantomData;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::event_and_start_time;
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, is_string_type};
use crate::common::metric::{Distinct, Metric};
use crate::families::event_codes::{coded_times, condition_bits};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, OneValue, ReducedSequences, Reductions, ResultRow,
    ResultRows, TimelineMetric, result_type,
};

/// The most conditions a pattern may refer to.
pub(crate) const MAX_CONDITIONS: usize = 32;
/// The low bits of a value that hold its condition's number.
const CONDITION_BITS: u32 = 5;
/// Position of the pattern among the arguments.
pub(crate) const PATTERN_ARG: usize = 0;
/// Position of condition 1 among the arguments.
const FIRST_CONDITION_ARG: usize = 2;
/// ClickHouse's bound on the steps one match may take before it gives up: a pattern of many
/// `.*` and time conditions over a long sequence backtracks exponentially.
const MAX_MATCH_STEPS: usize = 1_000_000;

/// The pattern grammar in the functions' documentation.
pub(crate) const PATTERN_DOC: &str = "The pattern is ClickHouse's: (?N) an event meeting \
    condition N; . any one event; .* any events, none included; (?t op S) between the events \
    matched before and after it, S whole seconds apart by op (<, <=, >, >=, ==). The pattern \
    may match anywhere in the group's events, in time order. Events are the rows meeting at \
    least one condition (a NULL condition is false); rows of a group at one instant make one \
    event, meeting every condition any of them meets.";

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Action {
    /// An event meeting condition `n` (from 0).
    Condition(u32),
    /// Any one event.
    AnyEvent,
    /// Any events, none included.
    AnyEvents,
    /// The time since the event matched before, compared to a duration in microseconds.
    Time(TimeOp, i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TimeOp {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl TimeOp {
    fn holds(self, elapsed: i64, duration: i64) -> bool {
        match self {
            Self::Less => elapsed < duration,
            Self::LessOrEqual => elapsed <= duration,
            Self::Greater => elapsed > duration,
            Self::GreaterOrEqual => elapsed >= duration,
            Self::Equal => elapsed == duration,
        }
    }
}

/// A state of the automaton that matches a pattern without time conditions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct AutomatonState {
    /// Whether the state stays active on any event (a `.*` here).
    loops: bool,
    /// The move to the next state: on an event meeting a condition, on any event, or none
    /// (the last state).
    next_on: Option<Option<u32>>,
}

/// A parsed pattern, as the accumulators run it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SequencePattern {
    /// The actions, after the implicit leading `.*` (a match may start anywhere).
    actions: Vec<Action>,
    /// The conditions the pattern names, as bits: a group meeting none of one cannot match.
    conditions: u64,
    has_time: bool,
    automaton: Vec<AutomatonState>,
}

impl SequencePattern {
    /// Parses `text`; an error names the function and the position (from 0) of the first
    /// character that does not fit.
    pub(crate) fn parse(function: &str, text: &str) -> Result<Self> {
        let mut actions = vec![Action::AnyEvents];
        let mut automaton = vec![AutomatonState {
            loops: true,
            next_on: None,
        }];
        let (mut conditions, mut has_time) = (0u64, false);
        let bytes = text.as_bytes();
        let mut at = 0;
        let error = |at: usize, expected: &str| {
            plan_err!(
                "{function}: pattern '{text}' does not parse at position {at} ('{}'): expected \
                 {expected}",
                &text[at..]
            )
        };
        while at < bytes.len() {
            if text[at..].starts_with("(?t") {
                let op_at = at + 3;
                let (op, op_len) = match &text[op_at..] {
                    rest if rest.starts_with("<=") => (TimeOp::LessOrEqual, 2),
                    rest if rest.starts_with(">=") => (TimeOp::GreaterOrEqual, 2),
                    rest if rest.starts_with("==") => (TimeOp::Equal, 2),
                    rest if rest.starts_with('<') => (TimeOp::Less, 1),
                    rest if rest.starts_with('>') => (TimeOp::Greater, 1),
                    _ => return error(op_at, "a comparison: <, <=, >, >= or =="),
                };
                let number_at = op_at + op_len;
                let Some((seconds, end)) = whole_number(text, number_at) else {
                    return error(number_at, "a whole number of seconds");
                };
                let Some(micros) = seconds
                    .checked_mul(1_000_000)
                    .filter(|m| *m <= i64::MAX as u64)
                else {
                    return error(number_at, "at most 9223372036854 seconds");
                };
                if matches!(actions.last(), Some(Action::Time(..))) {
                    return error(at, "an event, '.' or '.*' before a time condition");
                }
                if !text[end..].starts_with(')') {
                    return error(end, "')'");
                }
                actions.push(Action::Time(op, micros as i64));
                has_time = true;
                at = end + 1;
            } else if text[at..].starts_with("(?") {
                let number_at = at + 2;
                let Some((number, end)) = whole_number(text, number_at) else {
                    return error(
                        number_at,
                        "a condition number such as 1, or 't' and a time condition",
                    );
                };
                if !(1..=MAX_CONDITIONS as u64).contains(&number) {
                    return error(
                        number_at,
                        &format!("a condition number from 1 to {MAX_CONDITIONS}"),
                    );
                }
                if !text[end..].starts_with(')') {
                    return error(end, "')'");
                }
                let condition = number as u32 - 1;
                actions.push(Action::Condition(condition));
                conditions |= 1 << condition;
                let last = automaton.len() - 1;
                automaton[last].next_on = Some(Some(condition));
                automaton.push(AutomatonState::default());
                at = end + 1;
            } else if text[at..].starts_with(".*") {
                actions.push(Action::AnyEvents);
                let last = automaton.len() - 1;
                automaton[last].loops = true;
                at += 2;
            } else if text[at..].starts_with('.') {
                actions.push(Action::AnyEvent);
                let last = automaton.len() - 1;
                automaton[last].next_on = Some(None);
                automaton.push(AutomatonState::default());
                at += 1;
            } else {
                return error(at, "'(?N)', '.', '.*' or '(?t op seconds)'");
            }
        }
        Ok(Self {
            actions,
            conditions,
            has_time,
            automaton,
        })
    }

    /// The highest condition number (from 1) the pattern names, 0 for none.
    pub(crate) fn highest_condition(&self) -> usize {
        (u64::BITS - self.conditions.leading_zeros()) as usize
    }

    /// Whether the pattern matches somewhere in `events` ((time in µs, conditions met),
    /// in time order).
    pub(crate) fn matches(&self, function: &str, events: &[Event]) -> Result<bool> {
        if !self.conditions_met(events) {
            return Ok(false);
        }
        if !self.has_time {
            return Ok(self.automaton_matches(events));
        }
        let mut from = 0;
        Ok(self.could_match_fixed_parts(function, events)?
            && self.backtracking_match(function, events, &mut from)?)
    }

    /// How many times the pattern matches in `events`, the matches not overlapping: each
    /// search starts after the last event of the match before.
    pub(crate) fn count(&self, function: &str, events: &[Event]) -> Result<i64> {
        if !self.conditions_met(events) || !self.could_match_fixed_parts(function, events)? {
            return Ok(0);
        }
        let (mut from, mut count) = (0, 0);
        while from < events.len() && self.backtracking_match(function, events, &mut from)? {
            count += 1;
        }
        Ok(count)
    }

    /// Whether every condition the pattern names is met by some event.
    fn conditions_met(&self, events: &[Event]) -> bool {
        let met = events.iter().fold(0, |met, event| met | event.conditions);
        met & self.conditions == self.conditions
    }

    /// Without time conditions: the automaton's active states, event after event, until the
    /// last state is reached or none is active.
    fn automaton_matches(&self, events: &[Event]) -> bool {
        let states = self.automaton.len();
        let mut active = vec![false; states];
        let mut next = vec![false; states];
        active[0] = true;
        for event in events {
            if active[states - 1] || !active.contains(&true) {
                break;
            }
            next.fill(false);
            for (state, step) in self.automaton.iter().enumerate() {
                if !active[state] {
                    continue;
                }
                match step.next_on {
                    Some(None) => next[state + 1] = true,
                    Some(Some(condition)) if event.meets(condition) => next[state + 1] = true,
                    _ => {}
                }
                if step.loops {
                    next[state] = true;
                }
            }
            std::mem::swap(&mut active, &mut next);
        }
        active[states - 1]
    }

    /// ClickHouse's quick refusal: the runs of conditions and single events between `.*` and
    /// time conditions must occur in order, each anywhere after the one before.
    fn could_match_fixed_parts(&self, function: &str, events: &[Event]) -> Result<bool> {
        let mut steps = 0;
        let mut at = 0;
        let mut run_start = 0;
        let fixed = |action: &Action| matches!(action, Action::Condition(_) | Action::AnyEvent);
        for end in (0..self.actions.len()).filter(|&i| !fixed(&self.actions[i])) {
            if !self.find_run(function, events, &mut at, run_start..end, &mut steps)? {
                return Ok(false);
            }
            run_start = end + 1;
        }
        let all = self.actions.len();
        self.find_run(function, events, &mut at, run_start..all, &mut steps)
    }

    /// Finds the fixed run `run` of actions in `events` from `at` on, moving `at` past it.
    fn find_run(
        &self,
        function: &str,
        events: &[Event],
        at: &mut usize,
        run: std::ops::Range<usize>,
        steps: &mut usize,
    ) -> Result<bool> {
        let mut tried_from = *at;
        let mut action = run.start;
        while action != run.end && *at < events.len() {
            let fits = match self.actions[action] {
                Action::Condition(condition) => events[*at].meets(condition),
                _ => true,
            };
            if fits {
                *at += 1;
                action += 1;
            } else {
                tried_from += 1;
                *at = tried_from;
                action = run.start;
            }
            *steps += 1;
            if *steps > MAX_MATCH_STEPS {
                return too_many_steps(function);
            }
        }
        Ok(action == run.end)
    }

    /// With time conditions: ClickHouse's backtracking search from `*from`, which it moves
    /// past the match's last event (or one event on, when nothing was taken). A `.*` or a
    /// time condition that holds leaves a point to come back to with one event more; a time
    /// condition of `>`, `>=` or `==` that does not hold yet waits for a later event.
    fn backtracking_match(
        &self,
        function: &str,
        events: &[Event],
        from: &mut usize,
    ) -> Result<bool> {
        let begin = *from;
        let (mut action, mut at, mut base) = (0, begin, begin);
        let mut points: Vec<(usize, usize, usize)> = Vec::new();
        // Resumes at the latest point with one event more; false when none is left.
        let back = |points: &mut Vec<(usize, usize, usize)>,
                    action: &mut usize,
                    at: &mut usize,
                    base: &mut usize| {
            while let Some((point_action, point_at, point_base)) = points.pop() {
                (*action, *at, *base) = (point_action, point_at + 1, point_base);
                if *at != events.len() {
                    return true;
                }
            }
            false
        };
        let mut steps = 0;
        while action < self.actions.len() && at < events.len() {
            match self.actions[action] {
                Action::Condition(condition) => {
                    if events[at].meets(condition) {
                        (base, action, at) = (at, action + 1, at + 1);
                    } else if !back(&mut points, &mut action, &mut at, &mut base) {
                        break;
                    }
                }
                Action::AnyEvent => (base, action, at) = (at, action + 1, at + 1),
                Action::AnyEvents => {
                    points.push((action, at, base));
                    (base, action) = (at, action + 1);
                }
                Action::Time(op, duration) => {
                    let elapsed = events[at].time.saturating_sub(events[base].time);
                    if op.holds(elapsed, duration) {
                        points.push((action, at, base));
                        (base, action) = (at, action + 1);
                    } else if matches!(op, TimeOp::Less | TimeOp::LessOrEqual) {
                        if !back(&mut points, &mut action, &mut at, &mut base) {
                            break;
                        }
                    } else {
                        at += 1;
                        if at == events.len() && !back(&mut points, &mut action, &mut at, &mut base)
                        {
                            break;
                        }
                    }
                }
            }
            steps += 1;
            if steps > MAX_MATCH_STEPS {
                return too_many_steps(function);
            }
        }
        // What is left may match nothing: `.*`, an upper bound on time, or `>= 0`.
        while action < self.actions.len()
            && matches!(
                self.actions[action],
                Action::AnyEvents
                    | Action::Time(TimeOp::Less | TimeOp::LessOrEqual, _)
                    | Action::Time(TimeOp::GreaterOrEqual, 0)
            )
        {
            action += 1;
        }
        *from = if at == begin { at + 1 } else { at };
        Ok(action == self.actions.len())
    }
}

fn too_many_steps<T>(function: &str) -> Result<T> {
    exec_err!(
        "{function}: the pattern takes more than {MAX_MATCH_STEPS} steps to apply to a \
         group's events (ClickHouse's limit too): narrow the groups, or use fewer '.*' and \
         time conditions"
    )
}

/// The whole number at `at` in `text` and where it ends, if there is one.
fn whole_number(text: &str, at: usize) -> Option<(u64, usize)> {
    let digits = text[at..].bytes().take_while(u8::is_ascii_digit).count();
    let number = text[at..at + digits].parse().ok()?;
    Some((number, at + digits))
}

/// An event of a group: its time in microseconds and the conditions it meets (bit `n` for
/// condition `n + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub time: i64,
    pub conditions: u64,
}

impl Event {
    fn meets(self, condition: u32) -> bool {
        self.conditions & (1 << condition) != 0
    }
}

/// A sequence function as the accumulators run it: the pattern and its conditions.
#[derive(Debug, Clone)]
pub(crate) struct SequenceConditions {
    pub pattern: SequencePattern,
    conditions: usize,
}

impl SequenceConditions {
    /// Checks that the pattern names no condition past the `arguments`' last.
    pub(crate) fn new(function: &str, pattern: SequencePattern, arguments: usize) -> Result<Self> {
        let conditions = arguments.saturating_sub(FIRST_CONDITION_ARG);
        let highest = pattern.highest_condition();
        if highest > conditions {
            return plan_err!(
                "{function}: the pattern names condition {highest}, but {conditions} \
                 condition{} follow event_time",
                if conditions == 1 { "" } else { "s" }
            );
        }
        Ok(Self {
            pattern,
            conditions,
        })
    }

    /// Each event's first value, `time × 2^5` (its conditions add to it), the time in
    /// microseconds; an error names the first time too far from 1970 for that.
    pub(crate) fn values<'a>(&self, function: &str, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        let range = "sequences take times within 9,000 years of 1970";
        coded_times(function, times, CONDITION_BITS, CONDITION_BITS, range)
    }

    /// Per row, the conditions it meets (NULL is false), as bits.
    pub(crate) fn row_bits(&self, arguments: &[ArrayRef]) -> Vec<u64> {
        let conditions = &arguments[FIRST_CONDITION_ARG..FIRST_CONDITION_ARG + self.conditions];
        condition_bits(conditions, arguments[0].len())
    }

    /// The events of a timeline (values sorted): one per instant, meeting the conditions of
    /// every value there.
    pub(crate) fn events(values: &[i64], events: &mut Vec<Event>) {
        events.clear();
        for &value in values {
            let (time, condition) = (value >> CONDITION_BITS, value & ((1 << CONDITION_BITS) - 1));
            match events.last_mut() {
                Some(last) if last.time == time => last.conditions |= 1 << condition,
                _ => events.push(Event {
                    time,
                    conditions: 1 << condition,
                }),
            }
        }
    }
}

/// The pattern among a call's constants.
fn pattern_of(function: &str, constants: &[Option<ScalarValue>]) -> Result<SequencePattern> {
    match constants.first() {
        Some(Some(value)) => match value.try_as_str() {
            Some(Some(text)) => SequencePattern::parse(function, text),
            Some(None) => plan_err!("{function}: pattern must not be NULL"),
            None => {
                plan_err!("{function}: pattern must be a string such as '(?1).*(?2)', got {value}")
            }
        },
        _ => plan_err!("{function}: pattern must not be NULL"),
    }
}

/// A sequence function's call, for its documentation and errors.
fn usage(function: &str) -> String {
    format!("{function}(pattern, event_time, condition_1, …, condition_n)")
}

/// Coerces a sequence function's arguments: the pattern (a string), event_time, then 1 to 32
/// BOOLEAN conditions.
fn sequence_arg_types(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    check_arg_count(
        function,
        arg_types,
        FIRST_CONDITION_ARG + 1,
        FIRST_CONDITION_ARG + MAX_CONDITIONS,
        &usage(function),
    )?;
    let mut types = arg_types.to_vec();
    match &arg_types[PATTERN_ARG] {
        t if is_string_type(t) => {}
        DataType::Null => types[PATTERN_ARG] = DataType::Utf8,
        other => {
            return plan_err!(
                "{function}: pattern must be a string such as '(?1).*(?2)', got {other}"
            );
        }
    }
    types[1] = event_and_start_time(function, &arg_types[1], None)?;
    for (i, condition) in arg_types[FIRST_CONDITION_ARG..].iter().enumerate() {
        if !matches!(condition, DataType::Boolean | DataType::Null) {
            return plan_err!(
                "{function}: condition {} must be BOOLEAN, such as event_name = 'cart', got {condition}",
                i + 1
            );
        }
    }
    Ok(types)
}

/// What a sequence function makes of a group's events: `sequence_match` whether the pattern
/// matches, `sequence_count` how many times.
pub(crate) trait SequenceOutcome: Debug + Send + Sync + 'static {
    const FUNCTION: &'static str;
    const RESULT_UNIT: Option<&'static str>;
    fn function_documentation() -> &'static Documentation;
    /// The result's one field.
    type Row: ResultRow;
    /// What the result needs of a group's events.
    type Reduced: Copy + Default + Send + Sync + 'static;
    fn reduce(pattern: &SequencePattern, events: &[Event]) -> Result<Self::Reduced>;
    /// The result row of a group's events' reduced form.
    fn row(reduced: Self::Reduced) -> Self::Row;
}

/// A sequence function of the pack (a [`Metric`] of its own), over its pattern and conditions.
#[derive(Debug)]
pub(crate) struct Sequences<K>(PhantomData<K>);

impl<K: SequenceOutcome> Metric for Sequences<K> {
    const NAME: &'static str = K::FUNCTION;
    const UNIT: Option<&'static str> = K::RESULT_UNIT;
    const REQUIRED_ARGS: &'static [usize] = &[];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(PATTERN_ARG, "pattern")];
    // Rows repeated at one instant are one event already.
    const DISTINCT: Distinct = Distinct::Unchanged;
    const STATE_NAMES: &'static [&'static str] = &["users", "condition_events", "is_start"];
    type Rule = SequencePattern;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        K::function_documentation()
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        sequence_arg_types(K::FUNCTION, arg_types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        (1..=3)
            .map(|conditions| {
                let time = DataType::Timestamp(TimeUnit::Microsecond, None);
                let mut types = vec![DataType::Utf8, time];
                types.extend(std::iter::repeat_n(DataType::Boolean, conditions));
                types
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<SequencePattern> {
        pattern_of(K::FUNCTION, constants)
    }
}

impl<K: SequenceOutcome> TimelineMetric for Sequences<K> {
    type Context = SequenceConditions;
    type Output = OneValue<K::Row>;

    fn context(
        pattern: SequencePattern,
        _event_time: &DataType,
        arguments: usize,
    ) -> Result<SequenceConditions> {
        SequenceConditions::new(K::FUNCTION, pattern, arguments)
    }

    fn values<'a>(cx: &SequenceConditions, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        cx.values(K::FUNCTION, times)
    }
}

impl<K: SequenceOutcome> EventSequenceMetric for Sequences<K> {
    // One sequence per group: grouped by user in SQL.
    const PER_USER: bool = false;
    type Gathered = Reductions<Self>;

    fn row_bits(cx: &SequenceConditions, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        Ok(cx.row_bits(arguments))
    }
}

impl<K: SequenceOutcome> ReducedSequences for Sequences<K> {
    type Reduced = K::Reduced;

    fn reduce(cx: &SequenceConditions, values: &[i64]) -> Result<K::Reduced> {
        thread_local! {
            // The events of one sequence after another: one buffer per thread, not one per
            // sequence (a user each, a million of them).
            static EVENTS: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
        }
        EVENTS.with_borrow_mut(|events| {
            SequenceConditions::events(values, events);
            K::reduce(&cx.pattern, events)
        })
    }

    fn evaluate_group(
        cx: &SequenceConditions,
        reduced: &[K::Reduced],
        rows: &mut ResultRows<K::Row>,
    ) -> Result<()> {
        // The group's one sequence, or none when its rows met no condition: no events.
        let reduced = match reduced.first() {
            Some(&reduced) => reduced,
            None => K::reduce(&cx.pattern, &[])?,
        };
        rows.push(K::row(reduced));
        Ok(())
    }
}

/// A sequence function's documentation: its description, call and example, and the
/// arguments every one takes.
pub(crate) fn sequence_documentation(
    function: &str,
    description: String,
    example: &str,
) -> Documentation {
    Documentation::builder(DOC_SECTION_ENGAGEMENT, description, usage(function))
        .with_sql_example(example)
        .with_argument("pattern", "A constant string in ClickHouse's pattern grammar, such as '(?1).*(?t<=3600)(?2)'.")
        .with_argument("event_time", "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.")
        .with_argument("condition_1, …, condition_n", "The conditions the pattern names as (?1), (?2), …: BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.")
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events at (seconds, condition from 1), one condition each.
    fn events(list: &[(i64, u32)]) -> Vec<Event> {
        list.iter()
            .map(|&(seconds, condition)| Event {
                time: seconds * 1_000_000,
                conditions: 1 << (condition - 1),
            })
            .collect()
    }

    fn matches(pattern: &str, list: &[(i64, u32)]) -> bool {
        SequencePattern::parse("f", pattern)
            .unwrap()
            .matches("f", &events(list))
            .unwrap()
    }

    fn count(pattern: &str, list: &[(i64, u32)]) -> i64 {
        SequencePattern::parse("f", pattern)
            .unwrap()
            .count("f", &events(list))
            .unwrap()
    }

    #[test]
    fn patterns_match_as_in_clickhouse() {
        let log = [(0, 1), (10, 2), (15, 1), (20, 3)];
        assert!(matches("(?1)(?2)", &log));
        assert!(!matches("(?2)(?1)(?1)", &log));
        assert!(matches("(?1).*(?3)", &log));
        assert!(matches("(?1)..(?3)", &log));
        assert!(!matches("(?1).(?3)", &log));
        assert!(matches("(?1)(?t<=10)(?2)", &log));
        assert!(!matches("(?1)(?t<10)(?2)", &log));
        assert!(matches("(?2)(?t>=10)(?3)", &log));
        // A time condition may skip events: `>` waits for a later one, and `<=` comes back
        // for one when the next does not fit (ClickHouse's answers, chDB 4.4).
        assert!(matches("(?1)(?t>12)(?3)", &log));
        assert!(matches("(?2)(?t<=30)(?3)", &log));
        assert!(!matches("(?2)(?t<=5)(?3)", &log));
        assert_eq!(count("(?1)", &log), 2);
        assert_eq!(count("(?1).*(?3)", &log), 1);
        assert_eq!(count(".", &log), 4);
        assert_eq!(count("", &log), 4);
    }

    #[test]
    fn malformed_patterns_name_the_position() {
        let error = |pattern: &str| {
            SequencePattern::parse("sequence_match", pattern)
                .unwrap_err()
                .to_string()
        };
        assert!(error("(?1)(?x)").contains("pattern '(?1)(?x)' does not parse at position 6 ('x)'): expected a condition number"), "{}", error("(?1)(?x)"));
        assert!(error("(?1)(?t~5)").contains("at position 7 ('~5)'): expected a comparison"));
        assert!(
            error("(?1)(?t<)").contains("at position 8 (')'): expected a whole number of seconds")
        );
        assert!(error("(?1").contains("at position 3 (''): expected ')'"));
        assert!(
            error("(?0)")
                .contains("at position 2 ('0)'): expected a condition number from 1 to 32")
        );
        assert!(error("(?33)").contains("from 1 to 32"));
        assert!(error("(?1)x").contains("at position 4 ('x'): expected '(?N)'"));
        assert!(error("(?1)(?t<5)(?t>1)(?2)").contains(
            "at position 10 ('(?t>1)(?2)'): expected an event, '.' or '.*' before a time condition"
        ));
    }

    #[test]
    fn the_condition_numbers_must_have_conditions() {
        let pattern = SequencePattern::parse("f", "(?1)(?3)").unwrap();
        assert_eq!(pattern.highest_condition(), 3);
        assert!(SequenceConditions::new("f", pattern.clone(), 5).is_ok());
        let error = SequenceConditions::new("f", pattern, 4)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("f: the pattern names condition 3, but 2 conditions follow event_time"),
            "{error}"
        );
    }

    #[test]
    fn rows_of_one_instant_are_one_event() {
        let mut out = vec![];
        let values = [
            (5 << CONDITION_BITS),
            (5 << CONDITION_BITS) + 2,
            (7 << CONDITION_BITS) + 1,
        ];
        SequenceConditions::events(&values, &mut out);
        assert_eq!(
            out,
            [
                Event {
                    time: 5,
                    conditions: 0b101
                },
                Event {
                    time: 7,
                    conditions: 0b10
                }
            ]
        );
    }
}
