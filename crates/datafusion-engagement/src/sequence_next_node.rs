//! `sequence_next_node(direction, base, event_time, event, base_condition, event_1, …,
//! event_n)`: the event that comes after (or before) a chain of events — ClickHouse's
//! `sequenceNextNode`, the question of a path: "after Home, then Gift, where did they go?".
//!
//! A group's rows (typically one user's), in order of time, then event, are its nodes. `base`
//! picks the base node; from it the nodes must meet event_1, event_2, … one after another
//! (`'forward'`) or one before another (`'backward'`); the result is the event of the node
//! past that chain, NULL when the chain breaks or no node is left.
//!
//! Every row is a node of its own, so the event and the conditions its row meets travel
//! together as the row's payload on the event-sequence kernel (`NodeCode`).

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::{event_and_start_time, microseconds_since_epoch};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIds;
use crate::families::event_codes::condition_bits;
use crate::families::sessions::every_row_one_event;
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Events, GatherSequences, OneValue, ResultRows,
    ResultValue, TimelineMetric, result_row, result_type,
};

const NAME: &str = "sequence_next_node";

/// Positions of the arguments.
const DIRECTION_ARG: usize = 0;
const BASE_ARG: usize = 1;
const EVENT_TIME_ARG: usize = 2;
const EVENT_ARG: usize = 3;
const BASE_CONDITION_ARG: usize = 4;
const FIRST_EVENT_ARG: usize = 5;

/// The most chain events a call may name: ClickHouse's limit.
const MAX_EVENTS: usize = 64;

const USAGE: &str =
    "sequence_next_node(direction, base, event_time, event, base_condition, event_1, …, event_n)";

/// The node after (or before) a chain of events.
#[derive(Debug)]
pub(crate) struct SequenceNextNode;

shared_udaf!(
    /// The `sequence_next_node` aggregate function.
    sequence_next_node_udaf,
    SequenceNextNode
);

/// Which way the chain runs from the base node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Which node is the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// The first node (if it meets base_condition).
    Head,
    /// The last node (if it meets base_condition).
    Tail,
    /// The first node meeting base_condition and event_1.
    FirstMatch,
    /// The last node meeting base_condition and event_1.
    LastMatch,
}

/// The constant arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextNodeRule {
    direction: Direction,
    base: Base,
}

/// The rule, and how many chain events the call names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextNodeContext {
    rule: NextNodeRule,
    events: usize,
}

/// The string constant `name` at `constant`, one of `expected` (which the error lists).
fn keyword(
    constant: Option<&ScalarValue>,
    name: &str,
    expected: &[&'static str],
) -> Result<&'static str> {
    let listed = expected
        .iter()
        .map(|word| format!("'{word}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match constant.map(|value| (value, value.try_as_str())) {
        Some((_, Some(Some(text)))) => match expected.iter().find(|word| **word == text) {
            Some(word) => Ok(word),
            None => plan_err!("{NAME}: unknown {name} '{text}', expected one of {listed}"),
        },
        Some((value, None)) if !value.is_null() => {
            plan_err!("{NAME}: {name} must be a string, one of {listed}, got {value}")
        }
        _ => plan_err!("{NAME}: {name} must not be NULL; expected one of {listed}"),
    }
}

impl NextNodeRule {
    fn of(constants: &[Option<ScalarValue>]) -> Result<Self> {
        let direction = match keyword(constants[0].as_ref(), "direction", &["forward", "backward"])?
        {
            "forward" => Direction::Forward,
            _ => Direction::Backward,
        };
        let bases = ["head", "tail", "first_match", "last_match"];
        let base = match keyword(constants[1].as_ref(), "base", &bases)? {
            "head" => Base::Head,
            "tail" => Base::Tail,
            "first_match" => Base::FirstMatch,
            _ => Base::LastMatch,
        };
        match (direction, base) {
            (Direction::Backward, Base::Head) => plan_err!(
                "{NAME}: base 'head' goes with direction 'forward' only: the head is the \
                 group's first event, no event comes before it"
            ),
            (Direction::Forward, Base::Tail) => plan_err!(
                "{NAME}: base 'tail' goes with direction 'backward' only: the tail is the \
                 group's last event, no event comes after it"
            ),
            _ => Ok(Self { direction, base }),
        }
    }

    /// Where in `nodes` (in order) the result is: the node past the chain of `events`
    /// conditions from the base, as ClickHouse finds it.
    fn next_node(self, events: usize, nodes: &[NodeFlags]) -> Option<usize> {
        let is_match = |node: &NodeFlags| node.can_be_base && node.meets(0);
        let base = match self.base {
            Base::Head => nodes.first().filter(|n| n.can_be_base).map(|_| 0),
            Base::Tail => nodes
                .last()
                .filter(|n| n.can_be_base)
                .map(|_| nodes.len() - 1),
            Base::FirstMatch => nodes.iter().position(is_match),
            Base::LastMatch => nodes.iter().rposition(is_match),
        }?;
        match self.direction {
            Direction::Forward => {
                let chain = nodes.get(base..base + events)?;
                let whole = chain.iter().enumerate().all(|(i, node)| node.meets(i));
                (whole && base + events < nodes.len()).then_some(base + events)
            }
            // ClickHouse's backward chain keeps the node before it in reach: it ends at
            // node 1 at the earliest.
            Direction::Backward => {
                let whole = events <= base && (0..events).all(|i| nodes[base - i].meets(i));
                whole.then(|| base - events)
            }
        }
    }
}

/// What the chain needs of a node: whether it may be the base, and the chain events it meets
/// (bit `i` for event_{i + 1}).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct NodeFlags {
    can_be_base: bool,
    events: u64,
}

impl NodeFlags {
    fn meets(self, event: usize) -> bool {
        self.events & (1 << event) != 0
    }
}

/// A node's payload: its event, then a fixed-width code of its conditions — a separator,
/// `0`/`1` for base_condition and 16 hex digits for the chain events. Two rows of one time and
/// event that meet different conditions stay two nodes through states and merges.
struct NodeCode;

impl NodeCode {
    const SUFFIX: usize = 1 + 1 + 16;

    /// `out` becomes the code of a node of `event` meeting `flags`.
    fn write(out: &mut String, event: &str, flags: NodeFlags) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.clear();
        out.push_str(event);
        out.push('\u{0}');
        out.push(if flags.can_be_base { '1' } else { '0' });
        for shift in (0..16).rev() {
            out.push(char::from(HEX[(flags.events >> (shift * 4)) as usize & 15]));
        }
    }

    /// The event and the conditions of a payload.
    fn read(code: &str) -> Result<(&str, NodeFlags)> {
        let Some(split) = code.len().checked_sub(Self::SUFFIX) else {
            return exec_err!("{NAME}: a state holds the node '{code}' without its conditions");
        };
        let (event, suffix) = code.split_at(split);
        let flags = match (suffix.as_bytes()[1], u64::from_str_radix(&suffix[2..], 16)) {
            (base @ (b'0' | b'1'), Ok(events)) => NodeFlags {
                can_be_base: base == b'1',
                events,
            },
            _ => {
                return exec_err!(
                    "{NAME}: a state holds the node '{code}' with unreadable conditions"
                );
            }
        };
        Ok((event, flags))
    }
}

/// The result: the event of the node found, by its payload key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeEvent(u32);

impl ResultValue for NodeEvent {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    const NULLABLE: bool = true;
    fn column(values: impl Iterator<Item = Option<Self>>, payloads: &UserIds) -> Result<ArrayRef> {
        let events = values
            .map(|value| match value {
                Some(NodeEvent(key)) => NodeCode::read(payloads.string(key)).map(|(e, _)| Some(e)),
                None => Ok(None),
            })
            .collect::<Result<StringArray>>()?;
        Ok(Arc::new(events))
    }
}

result_row! {
    /// A group's next node, if found.
    pub(crate) struct NextNode {
        next_node: NodeEvent,
    }
}

impl Metric for SequenceNextNode {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const REQUIRED_ARGS: &'static [usize] = &[];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] =
        &[(DIRECTION_ARG, "direction"), (BASE_ARG, "base")];
    // Two rows of one event at one time are two nodes: DISTINCT would change the chain.
    const DISTINCT: Distinct = Distinct::Refused;
    const STATE_NAMES: &'static [&'static str] = &["users", "event_times", "is_start", "nodes"];
    type Rule = NextNodeRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "The event that comes after (or before) a chain of events, typically grouped \
                 by user: ClickHouse's sequenceNextNode(direction, base)(event_time, event, \
                 base_condition, event_1, …). The group's rows in order of time, then event, \
                 are its nodes. base picks the base node: 'head' the first node, 'tail' the \
                 last, either only if it meets base_condition; 'first_match' ('last_match') \
                 the first (last) node meeting base_condition and event_1. From the base, the \
                 nodes must meet event_1, event_2, … one after another ('forward') or one \
                 before another ('backward'); the result is the event of the node past that \
                 chain, NULL when the chain breaks or no node is left. Without chain events \
                 ('head' or 'tail' only) it is the base's own event. Every row is a node, \
                 two at one time too; rows of one time and one event go in order of the \
                 conditions they meet, so that the result does not depend on how the engine \
                 splits the rows (ClickHouse keeps them as they came, and compares whole \
                 seconds). Rows with a NULL event_time or event are skipped; a NULL condition \
                 is false; a group without rows gives NULL.",
                USAGE,
            )
            .with_sql_example(
                "```sql\n-- where users went after Home, then Gift: the most frequent next pages\n\
                 SELECT next_page, count(*) AS users\n\
                 FROM (SELECT user_id,\n             \
                 sequence_next_node('forward', 'first_match', viewed_at, page, true,\n                                \
                 page = 'Home', page = 'Gift') AS next_page\n      \
                 FROM page_views GROUP BY user_id)\n\
                 WHERE next_page IS NOT NULL\n\
                 GROUP BY next_page ORDER BY users DESC LIMIT 10;\n```",
            )
            .with_argument(
                "direction",
                "A constant: 'forward' (the chain runs to later nodes, the result follows it) \
                 or 'backward' (to earlier nodes, the result precedes it).",
            )
            .with_argument(
                "base",
                "A constant: 'head' (forward only), 'tail' (backward only), 'first_match' or \
                 'last_match'.",
            )
            .with_argument(
                "event_time",
                "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.",
            )
            .with_argument(
                "event",
                "What the result reports of a node: a string column such as a page or an \
                 event name (Utf8, LargeUtf8, Utf8View or dictionary).",
            )
            .with_argument(
                "base_condition",
                "BOOLEAN: whether a node may be the base, such as country = 'DE' or true.",
            )
            .with_argument(
                "event_1, …, event_n",
                "BOOLEAN conditions the chain's nodes meet in turn from the base, the base \
                 itself meeting event_1; 0 to 64 of them (at least one with 'first_match' or \
                 'last_match').",
            )
            .with_related_udf("sequence_match")
            .with_related_udf("window_funnel")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(
            NAME,
            arg_types,
            FIRST_EVENT_ARG,
            FIRST_EVENT_ARG + MAX_EVENTS,
            USAGE,
        )?;
        let mut types = arg_types.to_vec();
        for (arg, name) in [
            (DIRECTION_ARG, "direction"),
            (BASE_ARG, "base"),
            (EVENT_ARG, "event"),
        ] {
            types[arg] = coerce_string(NAME, name, &arg_types[arg])?;
        }
        types[EVENT_TIME_ARG] = event_and_start_time(NAME, &arg_types[EVENT_TIME_ARG], None)?;
        for (i, condition) in arg_types[BASE_CONDITION_ARG..].iter().enumerate() {
            if !matches!(condition, DataType::Boolean | DataType::Null) {
                let name = match i {
                    0 => "base_condition".to_string(),
                    i => format!("event_{i}"),
                };
                return plan_err!(
                    "{NAME}: {name} must be BOOLEAN, such as page = 'Home', got {condition}"
                );
            }
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        (0..=2)
            .map(|events| {
                let time = DataType::Timestamp(TimeUnit::Microsecond, None);
                let mut types = vec![DataType::Utf8, DataType::Utf8, time, DataType::Utf8];
                types.extend(std::iter::repeat_n(DataType::Boolean, events + 1));
                types
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<NextNodeRule> {
        NextNodeRule::of(constants)
    }
}

impl TimelineMetric for SequenceNextNode {
    type Context = NextNodeContext;
    type Output = OneValue<NextNode>;
    const EVENT_TIME_ARG: usize = EVENT_TIME_ARG;

    fn context(rule: NextNodeRule, _: &DataType, arguments: usize) -> Result<NextNodeContext> {
        let events = arguments.saturating_sub(FIRST_EVENT_ARG);
        if events == 0 && matches!(rule.base, Base::FirstMatch | Base::LastMatch) {
            return plan_err!(
                "{NAME}: base 'first_match' and 'last_match' need event_1 (the base is a node \
                 meeting base_condition and event_1); usage: {USAGE}"
            );
        }
        Ok(NextNodeContext { rule, events })
    }

    fn values<'a>(_: &NextNodeContext, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        microseconds_since_epoch(times)
    }
}

impl EventSequenceMetric for SequenceNextNode {
    // One sequence per group: grouped by user in SQL, as ClickHouse's.
    const PER_USER: bool = false;
    const PAYLOAD_ARG: Option<usize> = Some(EVENT_ARG);
    type Gathered = NextNodes;

    fn row_bits(_: &NextNodeContext, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        every_row_one_event(arguments)
    }

    /// Each selected row's event and conditions as one payload ([`NodeCode`]), interned
    /// from one buffer: no string is made per row.
    fn payload_keys(
        cx: &NextNodeContext,
        payload_ids: &mut UserIds,
        arguments: &[ArrayRef],
        rows: &SelectedRows,
        keys: &mut Vec<u32>,
    ) -> Result<()> {
        let events = &arguments[EVENT_ARG];
        let len = events.len();
        let chain = &arguments[FIRST_EVENT_ARG..FIRST_EVENT_ARG + cx.events];
        let chain_bits = condition_bits(chain, len);
        let base_bits = condition_bits(&arguments[BASE_CONDITION_ARG..FIRST_EVENT_ARG], len);
        keys.clear();
        keys.resize(len, 0);
        let mut code = String::new();
        let mut intern = |row: usize, event: &str| -> Result<()> {
            let flags = NodeFlags {
                can_be_base: base_bits[row] != 0,
                events: chain_bits[row],
            };
            NodeCode::write(&mut code, event, flags);
            keys[row] = payload_ids.intern_string(NAME, &code)?;
            Ok(())
        };
        match events.data_type() {
            DataType::Utf8 => {
                let events = events.as_string::<i32>();
                rows.try_for_each(|row| intern(row, events.value(row)))
            }
            DataType::LargeUtf8 => {
                let events = events.as_string::<i64>();
                rows.try_for_each(|row| intern(row, events.value(row)))
            }
            DataType::Utf8View => {
                let events = events.as_string_view();
                rows.try_for_each(|row| intern(row, events.value(row)))
            }
            // A dictionary: its values as plain strings.
            _ => {
                let plain = cast(events, &DataType::Utf8)?;
                let events = plain.as_string::<i32>();
                rows.try_for_each(|row| intern(row, events.value(row)))
            }
        }
    }
}

/// The node found in each group's sequence: (group, payload key).
#[derive(Debug, Default)]
pub(crate) struct NextNodes {
    found: Vec<(u32, u32)>,
    /// By payload key: the conditions its nodes meet, read once (`None`: a state's node
    /// without readable conditions).
    flags_of_key: Vec<Option<NodeFlags>>,
    /// A sequence's nodes in order: (time, payload key); kept from sequence to sequence.
    nodes: Vec<(i64, u32)>,
    flags: Vec<NodeFlags>,
}

impl GatherSequences<SequenceNextNode> for NextNodes {
    fn new(_: &NextNodeContext, _sequences: usize, _groups: usize, payloads: &UserIds) -> Self {
        let flags_of_key = (0..payloads.strings() as u32)
            .map(|key| {
                NodeCode::read(payloads.string(key))
                    .ok()
                    .map(|(_, flags)| flags)
            })
            .collect();
        Self {
            flags_of_key,
            ..Self::default()
        }
    }

    fn add(
        &mut self,
        cx: &NextNodeContext,
        _sequence: usize,
        group: u32,
        events: Events,
        payloads: &UserIds,
    ) -> Result<()> {
        let Events {
            values: times,
            payloads: keys,
        } = events;
        self.nodes.clear();
        self.nodes
            .extend(times.iter().copied().zip(keys.iter().copied()));
        if times.windows(2).any(|pair| pair[0] == pair[1]) {
            // Nodes of one time: by event (ClickHouse's order), then conditions — not by
            // key, which depends on the order the events came in. Their codes compare so
            // (events holding a NUL character aside).
            self.nodes.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| payloads.compare(u64::from(a.1), u64::from(b.1)))
            });
        }
        self.flags.clear();
        for &(_, key) in &self.nodes {
            match self.flags_of_key.get(key as usize).copied().flatten() {
                Some(flags) => self.flags.push(flags),
                None => {
                    let code = payloads.string(key);
                    return exec_err!(
                        "{NAME}: a state holds the node '{code}' without readable conditions"
                    );
                }
            }
        }
        if let Some(at) = cx.rule.next_node(cx.events, &self.flags) {
            self.found.push((group, self.nodes[at].1));
        }
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        self.found.extend(other.found);
    }

    fn rows(
        self,
        _: &NextNodeContext,
        groups: usize,
        _seen_alone: impl Fn(usize) -> bool,
        _: &UserIds,
    ) -> Result<ResultRows<NextNode>> {
        let mut by_group = vec![None; groups];
        for (group, key) in self.found {
            if let Some(slot) = by_group.get_mut(group as usize) {
                *slot = Some(key);
            }
        }
        ResultRows::of_groups(
            groups,
            |group| by_group[group].is_some(),
            |group, rows| {
                let key = by_group[group].expect("asked for groups with a node only");
                rows.push(NextNode {
                    next_node: NodeEvent(key),
                });
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: &str, base: &str) -> Result<NextNodeRule> {
        NextNodeRule::of(&[
            Some(ScalarValue::from(direction)),
            Some(ScalarValue::from(base)),
        ])
    }

    /// Nodes from (can be base, chain events met as 1-based numbers).
    fn nodes(list: &[(bool, &[usize])]) -> Vec<NodeFlags> {
        list.iter()
            .map(|&(can_be_base, met)| NodeFlags {
                can_be_base,
                events: met.iter().map(|n| 1 << (n - 1)).sum(),
            })
            .collect()
    }

    #[test]
    fn the_chain_runs_from_the_base_and_the_next_node_is_past_it() {
        // A B C D with event_1 = A, event_2 = B.
        let abcd = nodes(&[(true, &[1]), (true, &[2]), (true, &[]), (true, &[])]);
        let forward_head = rule("forward", "head").unwrap();
        assert_eq!(forward_head.next_node(2, &abcd), Some(2));
        assert_eq!(forward_head.next_node(0, &abcd), Some(0));
        // The chain breaks: B does not meet event_1.
        assert_eq!(forward_head.next_node(1, &abcd[1..]), None);
        // No node after the chain.
        assert_eq!(forward_head.next_node(2, &abcd[..2]), None);
        // The head must meet base_condition.
        let no_base = nodes(&[(false, &[1]), (true, &[2]), (true, &[])]);
        assert_eq!(forward_head.next_node(2, &no_base), None);
    }

    #[test]
    fn matches_find_the_first_or_last_base_meeting_event_1() {
        // X A(base) B Y A(base) B Z
        let list = nodes(&[
            (true, &[]),
            (true, &[1]),
            (true, &[2]),
            (true, &[]),
            (true, &[1]),
            (true, &[2]),
            (true, &[]),
        ]);
        assert_eq!(
            rule("forward", "first_match").unwrap().next_node(2, &list),
            Some(3)
        );
        assert_eq!(
            rule("forward", "last_match").unwrap().next_node(2, &list),
            Some(6)
        );
        // Backward from the last A: event_1 = A, event_2 = Y; the node before is B.
        let mut backward = list.clone();
        backward[3].events |= 2;
        assert_eq!(
            rule("backward", "last_match")
                .unwrap()
                .next_node(2, &backward),
            Some(2)
        );
        // Backward from the first A (node 1) with two events: ClickHouse keeps node 0 out
        // of the chain, so nothing.
        let mut first = list.clone();
        first[0].events |= 2;
        assert_eq!(
            rule("backward", "first_match")
                .unwrap()
                .next_node(2, &first),
            None
        );
        assert_eq!(
            rule("backward", "first_match")
                .unwrap()
                .next_node(1, &first),
            Some(0)
        );
    }

    #[test]
    fn tail_runs_backward() {
        let list = nodes(&[(true, &[]), (true, &[2]), (true, &[1])]);
        assert_eq!(
            rule("backward", "tail").unwrap().next_node(2, &list),
            Some(0)
        );
        assert_eq!(
            rule("backward", "tail").unwrap().next_node(0, &list),
            Some(2)
        );
    }

    #[test]
    fn bad_constants_say_what_is_expected() {
        let error = |d: &str, b: &str| rule(d, b).unwrap_err().to_string();
        assert!(error("forwards", "head").contains(
            "sequence_next_node: unknown direction 'forwards', expected one of 'forward', 'backward'"
        ));
        assert!(error("forward", "first").contains(
            "unknown base 'first', expected one of 'head', 'tail', 'first_match', 'last_match'"
        ));
        assert!(
            error("backward", "head").contains("base 'head' goes with direction 'forward' only")
        );
        assert!(
            error("forward", "tail").contains("base 'tail' goes with direction 'backward' only")
        );
        let missing =
            SequenceNextNode::context(rule("forward", "first_match").unwrap(), &DataType::Null, 5);
        assert!(missing.unwrap_err().to_string().contains("need event_1"));
    }

    #[test]
    fn node_codes_keep_the_event_and_conditions() {
        let mut code = String::new();
        let flags = NodeFlags {
            can_be_base: true,
            events: u64::MAX,
        };
        NodeCode::write(&mut code, "Home\u{0}page", flags);
        assert_eq!(NodeCode::read(&code).unwrap(), ("Home\u{0}page", flags));
        assert!(NodeCode::read("short").is_err());
    }
}
