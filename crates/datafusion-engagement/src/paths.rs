//! `paths(user_id, event_time, event, start_condition, steps)`: where users go after a start
//! event, step by step — the links of a flow (Sankey) diagram, as PostHog's and Amplitude's
//! paths draw them.
//!
//! Each user's path is their first event meeting start_condition and the `steps` events after
//! it, in order of time, then event. A link is (step, event, next_event): step 1 goes from the
//! start event to the next one. A path shorter than `steps` ends with a link to NULL (the
//! users who left there). The users of each link are counted per group.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use hashbrown::HashMap;

use crate::calendar::zoned_days::event_and_start_time;
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string, integer_constant};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::user_ids::{UserIdKind, UserIds};
use crate::families::event_codes::{coded_times, condition_bits};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Events, GatherSequences, Payload, ResultRows,
    RowList, TimelineMetric, result_row, result_type,
};

const NAME: &str = "paths";

/// Positions of the arguments.
const EVENT_ARG: usize = 2;
const START_CONDITION_ARG: usize = 3;
const STEPS_ARG: usize = 4;

/// The most steps a path may follow: every group's result has a link per step and event pair.
const MAX_STEPS: i64 = 100;

/// Each event's value is its time × 2, + 1 when its row meets start_condition.
const START_BITS: u32 = 1;

/// Where users go after a start event.
#[derive(Debug)]
pub(crate) struct Paths;

shared_udaf!(
    /// The `paths` aggregate function.
    paths_udaf,
    Paths
);

result_row! {
    /// A link of the flow: the users who went from `event` to `next_event` at `step`.
    pub(crate) struct PathLink {
        /// 1 for the link from the start event, 2 for the next one, …
        step: i64,
        event: Payload,
        /// NULL: the path ends at `event` (the user has no later event).
        next_event: Option<Payload>,
        users: i64,
        /// 100 × users / the group's users with a start event.
        share: Option<f64>,
    }
}

impl Metric for Paths {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[("share", "%")];
    const REQUIRED_ARGS: &'static [usize] = &[0];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(STEPS_ARG, "steps")];
    // Two rows of one event at one time are two steps of the path.
    const DISTINCT: Distinct = Distinct::Refused;
    const STATE_NAMES: &'static [&'static str] = &["users", "event_times", "is_start", "events"];
    type Rule = usize;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Where users go after a start event, step by step: the links of a flow \
                 (Sankey) diagram, as PostHog's and Amplitude's paths show them. Each user's \
                 path is their first event meeting start_condition and the steps events after \
                 it, in order of time, then event (every row is an event, two at one time \
                 too). Returns a list with a row per link, {step, event, next_event, users, \
                 share}: the users who went from event to next_event at that step (step 1 \
                 from the start event), next_event NULL for the users whose path ends at \
                 event; share = 100 × users / the group's users with a start event. Rows go \
                 by step, then the most users first, then events. Restrict the events with \
                 WHERE or FILTER (pages only, a period), unnest the list for a row per link; \
                 the HTML reports draw it as a flow. Rows with a NULL user_id, event_time or \
                 event are skipped; a NULL start_condition is false; a group without a start \
                 event gives NULL.",
                "paths(user_id, event_time, event, start_condition, steps)",
            )
            .with_sql_example(
                "```sql\n-- the three pages after the home page, by how many users went each way\n\
                 SELECT l['step'] AS step, l['event'] AS page, l['next_event'] AS next_page, l['users'] AS users\n\
                 FROM (SELECT unnest(paths(user_id, viewed_at, page, page = '/home', 3)) AS l\n      \
                 FROM page_views);\n```",
            )
            .with_argument(
                "user_id",
                "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).",
            )
            .with_argument(
                "event_time",
                "When the event happened: a TIMESTAMP of any unit and zone, or a DATE.",
            )
            .with_argument(
                "event",
                "What a path goes through: a string column such as a page or an event name \
                 (Utf8, LargeUtf8, Utf8View or dictionary).",
            )
            .with_argument(
                "start_condition",
                "BOOLEAN: the events a path may start at, such as page = '/home'; each user's \
                 first one starts their path.",
            )
            .with_argument(
                "steps",
                "A constant whole number from 1 to 100: how many events after the start each \
                 path follows.",
            )
            .with_related_udf("sequence_next_node")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, STEPS_ARG + 1, STEPS_ARG + 1, Self::usage())?;
        let event = coerce_string(NAME, "event", &arg_types[EVENT_ARG])?;
        let start = &arg_types[START_CONDITION_ARG];
        if !matches!(start, DataType::Boolean | DataType::Null) {
            return plan_err!(
                "{NAME}: start_condition must be BOOLEAN, such as page = '/home', got {start}"
            );
        }
        let steps = match &arg_types[STEPS_ARG] {
            t if t.is_integer() || t.is_null() => DataType::Int64,
            t if t.is_numeric() => DataType::Float64,
            other => return plan_err!("{NAME}: steps must be a whole number, got {other}"),
        };
        Ok(vec![
            UserIdKind::coerce(NAME, "user_id", &arg_types[0])?,
            event_and_start_time(NAME, &arg_types[1], None)?,
            event,
            DataType::Boolean,
            steps,
        ])
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .into_iter()
            .map(|user| {
                let event = DataType::Utf8;
                vec![
                    user,
                    time.clone(),
                    event,
                    DataType::Boolean,
                    DataType::Int64,
                ]
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<usize> {
        let Some(Some(steps)) = constants.first() else {
            return plan_err!("{NAME}: steps must not be NULL");
        };
        let steps = integer_constant(NAME, "steps", steps)?;
        if !(1..=MAX_STEPS).contains(&steps) {
            return plan_err!(
                "{NAME}: steps must be between 1 and {MAX_STEPS} (the events each path follows \
                 after its start), got {steps}"
            );
        }
        Ok(steps as usize)
    }
}

impl TimelineMetric for Paths {
    type Context = usize;
    type Output = RowList<PathLink>;

    fn context(steps: usize, _: &DataType, _arguments: usize) -> Result<usize> {
        Ok(steps)
    }

    fn values<'a>(_: &usize, times: &'a ArrayRef) -> Result<Cow<'a, [i64]>> {
        let range = "paths take times within 146,000 years of 1970";
        coded_times(NAME, times, START_BITS, START_BITS, range)
    }
}

impl EventSequenceMetric for Paths {
    const PAYLOAD_ARG: Option<usize> = Some(EVENT_ARG);
    type Gathered = PathLinks;

    /// Every row is one event: its value, + 1 when it meets start_condition.
    fn row_bits(_: &usize, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        let rows = arguments[0].len();
        let starts = condition_bits(&arguments[START_CONDITION_ARG..STEPS_ARG], rows);
        Ok(starts.into_iter().map(|start| 1 << start).collect())
    }
}

/// Where a path ends: the `next_event` of its last link.
const END: u32 = u32::MAX;

/// The links of the paths gathered so far, and each group's users with a start.
#[derive(Debug, Default)]
pub(crate) struct PathLinks {
    /// (group, step, event, next event or [`END`]) → users.
    links: HashMap<(u32, u32, u32, u32), u64>,
    starts: HashMap<u32, u64>,
    /// A path's events in order: (time, event key, is a start); kept from path to path.
    events: Vec<(i64, u32, bool)>,
}

impl GatherSequences<Paths> for PathLinks {
    fn new(_: &usize, _sequences: usize, _groups: usize, _: &UserIds) -> Self {
        Self::default()
    }

    fn add(
        &mut self,
        &steps: &usize,
        _sequence: usize,
        group: u32,
        events: Events,
        names: &UserIds,
    ) -> Result<()> {
        let Events {
            values,
            payloads: keys,
        } = events;
        self.events.clear();
        self.events.extend(
            values
                .iter()
                .zip(keys)
                .map(|(&value, &key)| (value >> START_BITS, key, value & 1 == 1)),
        );
        if self.events.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            // Events of one time: by event name (the kernel sorts by start flag, then key,
            // which depends on the order the events came in), then start flag.
            self.events.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| names.compare(u64::from(a.1), u64::from(b.1)))
                    .then(a.2.cmp(&b.2))
            });
        }
        let Some(start) = self.events.iter().position(|event| event.2) else {
            return Ok(());
        };
        let path = &self.events[start..self.events.len().min(start + steps + 1)];
        *self.starts.entry(group).or_default() += 1;
        for (step, pair) in path.windows(2).enumerate() {
            *self
                .links
                .entry((group, step as u32 + 1, pair[0].1, pair[1].1))
                .or_default() += 1;
        }
        if path.len() <= steps {
            let last = path[path.len() - 1].1;
            *self
                .links
                .entry((group, path.len() as u32, last, END))
                .or_default() += 1;
        }
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        for (link, users) in other.links {
            *self.links.entry(link).or_default() += users;
        }
        for (group, users) in other.starts {
            *self.starts.entry(group).or_default() += users;
        }
    }

    fn rows(
        self,
        _: &usize,
        groups: usize,
        _seen_alone: impl Fn(usize) -> bool,
        names: &UserIds,
    ) -> Result<ResultRows<PathLink>> {
        let mut of_group: Vec<Vec<(u32, u32, u32, u64)>> = vec![vec![]; groups];
        for ((group, step, event, next), users) in self.links {
            if let Some(links) = of_group.get_mut(group as usize) {
                links.push((step, event, next, users));
            }
        }
        // A path's end after the events: NULL sorts last, as in ORDER BY … NULLS LAST.
        let next_order = |a: u32, b: u32| match (a, b) {
            (END, END) => std::cmp::Ordering::Equal,
            (END, _) => std::cmp::Ordering::Greater,
            (_, END) => std::cmp::Ordering::Less,
            _ => names.compare(u64::from(a), u64::from(b)),
        };
        for links in &mut of_group {
            links.sort_by(|a, b| {
                (a.0, Reverse(a.3))
                    .cmp(&(b.0, Reverse(b.3)))
                    .then_with(|| names.compare(u64::from(a.1), u64::from(b.1)))
                    .then_with(|| next_order(a.2, b.2))
            });
        }
        ResultRows::of_groups(
            groups,
            |group| !of_group[group].is_empty(),
            |group, rows| {
                let started = self.starts.get(&(group as u32)).copied().unwrap_or(0);
                for &(step, event, next, users) in &of_group[group] {
                    rows.push(PathLink {
                        step: i64::from(step),
                        event: Payload(event),
                        next_event: (next != END).then_some(Payload(next)),
                        users: users as i64,
                        share: (started > 0).then(|| 100.0 * users as f64 / started as f64),
                    });
                }
                Ok(())
            },
        )
    }
}
