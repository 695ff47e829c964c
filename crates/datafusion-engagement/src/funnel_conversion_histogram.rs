//! `funnel_conversion_histogram(user_id, event_time, window, step_1, …, step_n [, …])`: the
//! distribution of a funnel's times to convert, per step, in fixed buckets from 10 seconds
//! to 30 days, exact.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::shared_udaf;
use crate::families::conversion_times::{ConversionReport, ConversionTimesOf, usage_of};
use crate::families::funnel_steps::{
    EXCLUSIONS_DOC, FunnelSteps, MODES_DOC, with_user_funnel_arguments,
};
use crate::kernels::timelines::{ResultRows, result_row};

/// The buckets' lower ends, in seconds: 10 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 day, 7 days,
/// 30 days. Fixed, so that groups and runs compare bucket by bucket.
const BUCKET_STARTS: [i64; 10] = [
    0, 10, 60, 300, 900, 3_600, 21_600, 86_400, 604_800, 2_592_000,
];

const NAME: &str = "funnel_conversion_histogram";

/// The times to convert, as a histogram per step.
#[derive(Debug)]
pub(crate) struct Histogram;

/// `funnel_conversion_histogram`.
pub(crate) type FunnelConversionHistogram = ConversionTimesOf<Histogram>;

shared_udaf!(
    /// The `funnel_conversion_histogram` aggregate function.
    funnel_conversion_histogram_udaf,
    FunnelConversionHistogram
);

result_row! {
    /// The users of a step whose time to it falls in a bucket.
    pub(crate) struct HistogramBucket {
        step: i64,
        from_seconds: i64,
        /// NULL for the last bucket, which holds every longer time.
        to_seconds: Option<i64>,
        users: i64,
        share: Option<f64>,
    }
}

impl ConversionReport for Histogram {
    const NAME: &'static str = NAME;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] =
        &[("from_seconds", "s"), ("to_seconds", "s"), ("share", "%")];
    type Row = HistogramBucket;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            with_user_funnel_arguments(Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "The distribution of the group's times to convert, exact: for steps 2 to \
                     n of the funnel (as funnel's, same arguments), how many users reached \
                     the step within each bucket of seconds from step 1, the times taken as \
                     funnel_conversion_times takes them. The buckets are fixed, so that \
                     groups compare bucket by bucket: from 0, 10 seconds, 1 minute, 5 \
                     minutes, 15 minutes, 1 hour, 6 hours, 1 day, 7 days and 30 days, each \
                     up to the next (exclusive); only those starting within the window are \
                     listed, the last of them open (it holds every longer time). Returns one \
                     row per step and bucket: {{step, from_seconds, to_seconds, users, \
                     share}}, to_seconds NULL for the open bucket, share = 100 × users / the \
                     users reaching the step (NULL when none does). A NULL condition is \
                     false; rows with a NULL user_id or event_time are skipped; a group \
                     without any row gives NULL. {MODES_DOC} {EXCLUSIONS_DOC}"
                ),
                usage_of(NAME),
            ))
            .with_sql_example(
                "```sql\n-- how long visitors take from the view to the payment\n\
                 SELECT b['from_seconds'] AS from_seconds, b['to_seconds'] AS to_seconds,\n       \
                 b['users'] AS users, b['share'] AS share\n\
                 FROM (SELECT unnest(funnel_conversion_histogram(user_id, event_time,\n       \
                 INTERVAL '1 day', event_name = 'view', event_name = 'pay')) AS b\n      \
                 FROM events);\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }

    fn evaluate_group(
        funnel: &FunnelSteps,
        durations: &[&[i64]],
        rows: &mut ResultRows<HistogramBucket>,
    ) {
        let starts = buckets_within(funnel.longest_window());
        for (k, &sorted) in durations.iter().enumerate().skip(1) {
            let reached = sorted.len() as i64;
            for (b, &from) in starts.iter().enumerate() {
                let to = starts.get(b + 1).copied();
                let below = |seconds: Option<i64>| {
                    seconds.map_or(sorted.len(), |s| {
                        sorted.partition_point(|&d| d < s * 1_000_000)
                    })
                };
                let users = (below(to) - below(Some(from))) as i64;
                rows.push(HistogramBucket {
                    step: k as i64 + 1,
                    from_seconds: from,
                    to_seconds: to,
                    users,
                    share: (reached > 0).then(|| 100.0 * users as f64 / reached as f64),
                });
            }
        }
    }
}

/// The buckets' starts for a window of at most `longest` microseconds: those below it.
fn buckets_within(longest: i64) -> &'static [i64] {
    let listed = BUCKET_STARTS.partition_point(|&from| from * 1_000_000 < longest);
    &BUCKET_STARTS[..listed.max(1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_end_with_the_one_holding_the_window() {
        let second = 1_000_000;
        assert_eq!(buckets_within(3_600 * second), &[0, 10, 60, 300, 900]);
        assert_eq!(
            buckets_within(3_601 * second),
            &[0, 10, 60, 300, 900, 3_600]
        );
        assert_eq!(buckets_within(5 * second), &[0]);
        assert_eq!(buckets_within(400 * 86_400 * second), &BUCKET_STARTS);
    }
}
