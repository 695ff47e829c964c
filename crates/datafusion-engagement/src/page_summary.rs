//! `page_summary(user_id, event_time, page [, gap [, max_length]])`: per page of a raw
//! page-view log, its views, entrances, exits and bounces, exit rate, bounce rate and average
//! time on page, the sessions made as `sessionize` makes them.
//!
//! A page's numbers depend on the views around it in its session (the next view gives its
//! time on page, the last is an exit), so they cannot be grouped by page in SQL before the
//! sessions are made: the aggregate groups by anything else (a segment, or nothing) and gives
//! a list with a row per page. Each user's views run on the event-sequence kernel with the
//! page as the payload of each view's time.

use std::cmp::Reverse;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, IntervalUnit, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use hashbrown::HashMap;

use crate::calendar::zoned_days::coerce_event_time;
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_string};
use crate::common::metric::{Distinct, Metric, shared_udaf};
use crate::common::user_ids::{UserIdKind, UserIds};
use crate::families::sessions::{
    GAP_DOC, MAX_LENGTH_DOC, SessionBreaks, SessionRule, coerce_session_rule, every_row_one_event,
    session_timelines,
};
use crate::kernels::timelines::{
    EventSequenceKernel, EventSequenceMetric, Events, GatherSequences, Payload, ResultRows,
    RowList, TimelineMetric, result_row, result_type,
};

const NAME: &str = "page_summary";

/// Position of the page among the arguments, and of the optional gap after it.
const PAGE_ARG: usize = 2;
const GAP_ARG: usize = 3;

/// The per-page numbers of a raw page-view log.
#[derive(Debug)]
pub(crate) struct PageSummary;

result_row! {
    /// A page's numbers in a group.
    pub(crate) struct PageRow {
        page: Payload,
        views: i64,
        /// Sessions that started on the page (landings).
        entrances: i64,
        /// Views that were the last of their session.
        exits: i64,
        /// Sessions of this one view.
        bounces: i64,
        /// exits / views, in %.
        exit_rate: Option<f64>,
        /// bounces / entrances, in %: NULL for a page no session started on.
        bounce_rate: Option<f64>,
        /// Seconds to the next view of the same session, averaged over the views that have
        /// one: NULL for a page only ever last.
        avg_time_on_page: Option<f64>,
    }
}

impl Metric for PageSummary {
    const NAME: &'static str = NAME;
    const UNIT: Option<&'static str> = None;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[
        ("views", "views"),
        ("entrances", "sessions"),
        ("exits", "views"),
        ("bounces", "sessions"),
        ("exit_rate", "%"),
        ("bounce_rate", "%"),
        ("avg_time_on_page", "s"),
    ];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1, PAGE_ARG];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] =
        &[(GAP_ARG, "gap"), (GAP_ARG + 1, "max_length")];
    // DISTINCT would merge views of a page at one instant, and change the numbers.
    const DISTINCT: Distinct = Distinct::Refused;
    const STATE_NAMES: &'static [&'static str] = &["users", "event_times", "is_start", "pages"];
    type Rule = SessionRule;
    type Kernel = EventSequenceKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Per page of a raw page-view log: a list with a row per page, {page, views, \
                 entrances, exits, bounces, exit_rate, bounce_rate, avg_time_on_page}, the most \
                 viewed first (ties by page). Each user's views in time order make the \
                 sessions as sessionize() makes them: a new one when a view comes more than \
                 gap (default 30 minutes) after the one before, or (with max_length) would \
                 make the session last longer than max_length. A view's time on page is the \
                 time to the next view of its session (time_on_page()); the last view of a \
                 session is an exit and has none. exit_rate = exits / views and bounce_rate = \
                 bounces / entrances (sessions of one view / sessions that started on the \
                 page), in %; avg_time_on_page in seconds over the views that have a next \
                 one, as web analytics tools report it. Views at one instant each count, in \
                 page order. Group by anything but the page (a page's numbers depend on the \
                 views around it) and unnest the list for a row per page. Exact across \
                 partitions; rows with a NULL user_id, event_time or page are skipped; a \
                 group without rows gives NULL.",
                "page_summary(user_id, event_time, page [, gap [, max_length]])",
            )
            .with_sql_example(
                "```sql\nSELECT p.page, p.views, p.exit_rate, p.avg_time_on_page\nFROM (SELECT unnest(page_summary(user_id, viewed_at, url)) AS p FROM page_views)\nORDER BY p.views DESC LIMIT 10;\n```",
            )
            .with_argument(
                "user_id",
                "User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).",
            )
            .with_argument(
                "event_time",
                "When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.",
            )
            .with_argument(
                "page",
                "The page viewed (a URL or a page name): a string column (Utf8, LargeUtf8, \
                 Utf8View or dictionary).",
            )
            .with_argument("gap", GAP_DOC)
            .with_argument("max_length", MAX_LENGTH_DOC)
            .with_related_udf("time_on_page")
            .with_related_udf("session_summary")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(NAME, arg_types, PAGE_ARG + 1, GAP_ARG + 2, Self::usage())?;
        let mut types = vec![
            UserIdKind::coerce(NAME, "user_id", &arg_types[0])?,
            coerce_event_time(NAME, "event_time", &arg_types[1])?,
            coerce_string(NAME, "page", &arg_types[PAGE_ARG])?,
        ];
        types.extend(coerce_session_rule(NAME, &arg_types[GAP_ARG..])?);
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        let interval = DataType::Interval(IntervalUnit::MonthDayNano);
        UserIdKind::example_types()
            .into_iter()
            .flat_map(|user| {
                let three = vec![user, time.clone(), DataType::Utf8];
                let mut four = three.clone();
                four.push(interval.clone());
                [three, four]
            })
            .collect()
    }

    fn return_type() -> DataType {
        result_type::<Self>()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<SessionRule> {
        SessionRule::of(NAME, constants[0].as_ref(), constants[1].as_ref())
    }
}

impl TimelineMetric for PageSummary {
    session_timelines!(RowList<PageRow>);
}

impl EventSequenceMetric for PageSummary {
    const PAYLOAD_ARG: Option<usize> = Some(PAGE_ARG);
    type Gathered = PageTallies;

    fn row_bits(_: &SessionBreaks, arguments: &[ArrayRef]) -> Result<Vec<u64>> {
        every_row_one_event(arguments)
    }
}

/// A page's counts in a group.
#[derive(Debug, Clone, Copy, Default)]
struct PageTally {
    views: u64,
    entrances: u64,
    exits: u64,
    bounces: u64,
    /// Views followed by another in their session, and the microseconds to it, summed.
    timed_views: u64,
    microseconds: i128,
}

/// The (group, page) tallies of the sequences gathered so far.
#[derive(Debug)]
pub(crate) struct PageTallies {
    /// Where each (group, page key) is in `tallies`.
    index: PageIndex,
    tallies: Vec<(u32, u32, PageTally)>,
    /// A sequence's order of views when some share an instant: by time, then page name
    /// (the kernel sorts ties by page key, which depends on the order pages came in).
    order: Vec<usize>,
}

/// Where a (group, page) is in the tallies. Page keys are dense (0 up to the pages seen), so
/// when there are few groups (a segment, or none) a flat array indexed by group and page
/// finds it without hashing; by user, say, a hash map.
#[derive(Debug)]
enum PageIndex {
    /// By `group * pages + page`: the tally's place + 1, or 0.
    Dense {
        pages: usize,
        places: Vec<u32>,
    },
    Hashed(HashMap<(u32, u32), u32>),
}

/// The most (group, page) pairs a dense index holds: 16 MB.
const DENSE_PAIRS: usize = 1 << 22;

impl PageTallies {
    fn tally(&mut self, group: u32, page: u32) -> &mut PageTally {
        let next = self.tallies.len() as u32;
        let place = match &mut self.index {
            PageIndex::Dense { pages, places } => {
                let slot = &mut places[group as usize * *pages + page as usize];
                if *slot == 0 {
                    *slot = next + 1;
                }
                *slot - 1
            }
            PageIndex::Hashed(index) => *index.entry((group, page)).or_insert(next),
        };
        if place == next {
            self.tallies.push((group, page, PageTally::default()));
        }
        &mut self.tallies[place as usize].2
    }
}

/// How two pages' names compare.
fn page_order(pages: &UserIds, a: u32, b: u32) -> std::cmp::Ordering {
    pages.compare(u64::from(a), u64::from(b))
}

impl GatherSequences<PageSummary> for PageTallies {
    fn new(_: &SessionBreaks, _sequences: usize, groups: usize, pages: &UserIds) -> Self {
        let pages = pages.strings();
        let index = match groups.checked_mul(pages) {
            Some(pairs) if pairs <= DENSE_PAIRS => PageIndex::Dense {
                pages,
                places: vec![0; pairs],
            },
            _ => PageIndex::Hashed(HashMap::new()),
        };
        Self {
            index,
            tallies: vec![],
            order: vec![],
        }
    }

    fn add(
        &mut self,
        breaks: &SessionBreaks,
        _sequence: usize,
        group: u32,
        events: Events,
        pages: &UserIds,
    ) -> Result<()> {
        let Events {
            values: times,
            payloads: keys,
        } = events;
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        if times.windows(2).any(|pair| pair[0] == pair[1]) {
            // Views at one instant: in page-name order, the same in every partitioning.
            order.extend(0..times.len());
            order.sort_by(|&a, &b| {
                times[a]
                    .cmp(&times[b])
                    .then(page_order(pages, keys[a], keys[b]))
            });
        }
        // The page of the view at `at`; without ties, the kernel's order is the order.
        let page_at = |at: usize| order.get(at).map_or(keys[at], |&view| keys[view]);
        for session in breaks.sessions(times) {
            let last = session.end - 1;
            let bounced = session.len() == 1;
            for at in session.clone() {
                let tally = self.tally(group, page_at(at));
                tally.views += 1;
                if at == session.start {
                    tally.entrances += 1;
                    tally.bounces += u64::from(bounced);
                }
                if at == last {
                    tally.exits += 1;
                } else {
                    tally.timed_views += 1;
                    tally.microseconds += i128::from(times[at + 1]) - i128::from(times[at]);
                }
            }
        }
        self.order = order;
        Ok(())
    }

    fn absorb(&mut self, other: Self) {
        for (group, page, t) in other.tallies {
            let tally = self.tally(group, page);
            tally.views += t.views;
            tally.entrances += t.entrances;
            tally.exits += t.exits;
            tally.bounces += t.bounces;
            tally.timed_views += t.timed_views;
            tally.microseconds += t.microseconds;
        }
    }

    fn rows(
        self,
        _: &SessionBreaks,
        groups: usize,
        seen_alone: impl Fn(usize) -> bool,
        pages: &UserIds,
    ) -> Result<ResultRows<PageRow>> {
        let mut of_group: Vec<Vec<(u32, PageTally)>> = vec![vec![]; groups];
        for (group, page, tally) in self.tallies {
            if let Some(group_pages) = of_group.get_mut(group as usize) {
                group_pages.push((page, tally));
            }
        }
        let percent =
            |part: u64, whole: u64| (whole > 0).then(|| 100.0 * part as f64 / whole as f64);
        for group_pages in &mut of_group {
            group_pages.sort_by(|(a, ta), (b, tb)| {
                Reverse(ta.views)
                    .cmp(&Reverse(tb.views))
                    .then(page_order(pages, *a, *b))
            });
        }
        ResultRows::of_groups(
            groups,
            |group| !of_group[group].is_empty() || seen_alone(group),
            |group, rows| {
                for &(page, t) in &of_group[group] {
                    rows.push(PageRow {
                        page: Payload(page),
                        views: t.views as i64,
                        entrances: t.entrances as i64,
                        exits: t.exits as i64,
                        bounces: t.bounces as i64,
                        exit_rate: percent(t.exits, t.views),
                        bounce_rate: percent(t.bounces, t.entrances),
                        avg_time_on_page: (t.timed_views > 0)
                            .then(|| t.microseconds as f64 / 1e6 / t.timed_views as f64),
                    });
                }
                Ok(())
            },
        )
    }
}

shared_udaf!(
    /// The `page_summary` aggregate function.
    page_summary_udaf,
    PageSummary
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::rows::SelectedRows;
    use datafusion::arrow::array::{Array, StringArray};
    use datafusion::arrow::datatypes::IntervalMonthDayNano;

    const MINUTE: i64 = 60_000_000;

    /// Tallies of one user's views (minutes, page) under a 30-minute gap, in group 0 of
    /// `groups`.
    fn tallies_of(views: &[(i64, &str)], groups: usize) -> Vec<(String, PageTally)> {
        let gap = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
            0,
            0,
            30 * 60 * 1_000_000_000,
        )));
        let rule = SessionRule::of(NAME, Some(&gap), None).unwrap();
        let breaks = SessionBreaks::new(rule, &DataType::Date32).unwrap();
        let mut pages = UserIds::new(UserIdKind::String);
        let names: ArrayRef = std::sync::Arc::new(StringArray::from_iter_values(
            views.iter().map(|(_, page)| *page),
        ));
        let mut keys = vec![0; views.len()];
        pages
            .for_each_key(NAME, &names, &SelectedRows::All(names.len()), |i, k| {
                keys[i] = k as u32
            })
            .unwrap();
        // Sorted as the kernel sorts: by time, then page key.
        let mut events: Vec<(i64, u32)> = views
            .iter()
            .zip(&keys)
            .map(|((m, _), &k)| (m * MINUTE, k))
            .collect();
        events.sort_unstable();
        let times: Vec<i64> = events.iter().map(|e| e.0).collect();
        let payloads: Vec<u32> = events.iter().map(|e| e.1).collect();
        let mut gathered = PageTallies::new(&breaks, 1, groups, &pages);
        let events = Events {
            values: &times,
            payloads: &payloads,
        };
        gathered.add(&breaks, 0, 0, events, &pages).unwrap();
        let named = pages.values(
            &gathered
                .tallies
                .iter()
                .map(|t| u64::from(t.1))
                .collect::<Vec<_>>(),
        );
        let named = named.unwrap();
        let named = named.as_any().downcast_ref::<StringArray>().unwrap();
        let mut out: Vec<(String, PageTally)> = gathered
            .tallies
            .iter()
            .enumerate()
            .map(|(i, t)| (named.value(i).to_string(), t.2))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn tallies(views: &[(i64, &str)]) -> Vec<(String, PageTally)> {
        tallies_of(views, 1)
    }

    fn counts(t: &PageTally) -> [u64; 5] {
        [t.views, t.entrances, t.exits, t.bounces, t.timed_views]
    }

    #[test]
    fn pages_count_views_entrances_exits_bounces_and_time_to_the_next_view() {
        // Session 1: home 0, pricing 5, docs 12; session 2 (gap 48 > 30): docs 60 alone.
        let out = tallies(&[(0, "home"), (5, "pricing"), (12, "docs"), (60, "docs")]);
        let by_page: Vec<(&str, [u64; 5], i128)> = out
            .iter()
            .map(|(p, t)| (p.as_str(), counts(t), t.microseconds))
            .collect();
        assert_eq!(
            by_page,
            [
                ("docs", [2, 1, 2, 1, 0], 0),
                ("home", [1, 1, 0, 0, 1], i128::from(5 * MINUTE)),
                ("pricing", [1, 0, 0, 0, 1], i128::from(7 * MINUTE)),
            ]
        );
    }

    #[test]
    fn views_at_one_instant_go_in_page_name_order_whatever_came_first() {
        // "b" interned before "a": the kernel's key order puts b first; names put a first.
        for views in [
            [(0, "b"), (0, "a"), (10, "c")],
            [(0, "a"), (0, "b"), (10, "c")],
        ] {
            let out = tallies(&views);
            let a = &out[0].1;
            let b = &out[1].1;
            assert_eq!((out[0].0.as_str(), out[1].0.as_str()), ("a", "b"));
            // a is the landing with 0 s on page; b gets the 10 minutes to c.
            assert_eq!((a.entrances, a.microseconds), (1, 0));
            assert_eq!((b.entrances, b.microseconds), (0, i128::from(10 * MINUTE)));
        }
    }

    #[test]
    fn many_groups_index_their_pages_by_hash_with_the_same_tallies() {
        let views = [
            (0, "home"),
            (5, "pricing"),
            (12, "docs"),
            (60, "docs"),
            (61, "home"),
        ];
        let many = DENSE_PAIRS; // with 3 pages, more pairs than a dense index holds
        let summarize = |out: Vec<(String, PageTally)>| -> Vec<(String, [u64; 5], i128)> {
            out.into_iter()
                .map(|(page, t)| (page, counts(&t), t.microseconds))
                .collect()
        };
        assert_eq!(
            summarize(tallies_of(&views, many)),
            summarize(tallies_of(&views, 1))
        );
    }
}
