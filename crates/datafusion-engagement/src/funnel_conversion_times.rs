//! `funnel_conversion_times(user_id, event_time, window, step_1, …, step_n [, …])`: how long
//! a funnel's users take from step 1 to each step — average, quartiles, 90th percentile —
//! exact, per step.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::metric::shared_udaf;
use crate::families::conversion_times::{
    ConversionReport, ConversionTimesOf, quantile, seconds, usage_of,
};
use crate::families::funnel_steps::{
    EXCLUSIONS_DOC, FunnelSteps, MAX_STEPS, MODES_DOC, with_user_funnel_arguments,
};
use crate::kernels::timelines::{ResultRows, result_row};

const NAME: &str = "funnel_conversion_times";

/// The times to convert, summarized per step.
#[derive(Debug)]
pub(crate) struct Percentiles;

/// `funnel_conversion_times`.
pub(crate) type FunnelConversionTimes = ConversionTimesOf<Percentiles>;

shared_udaf!(
    /// The `funnel_conversion_times` aggregate function.
    funnel_conversion_times_udaf,
    FunnelConversionTimes
);

result_row! {
    /// The times to a step, in seconds.
    pub(crate) struct ConversionTimesRow {
        step: i64,
        users: i64,
        avg_seconds: Option<f64>,
        min_seconds: Option<f64>,
        p25_seconds: Option<f64>,
        median_seconds: Option<f64>,
        p75_seconds: Option<f64>,
        p90_seconds: Option<f64>,
        max_seconds: Option<f64>,
    }
}

impl ConversionReport for Percentiles {
    const NAME: &'static str = NAME;
    const FIELD_UNITS: &'static [(&'static str, &'static str)] = &[
        ("avg_seconds", "s"),
        ("min_seconds", "s"),
        ("p25_seconds", "s"),
        ("median_seconds", "s"),
        ("p75_seconds", "s"),
        ("p90_seconds", "s"),
        ("max_seconds", "s"),
    ];
    type Row = ConversionTimesRow;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            with_user_funnel_arguments(Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                format!(
                    "How long the group's users take to convert, exact: for each step of the \
                     funnel (as funnel's, same arguments), the seconds from step 1 to the \
                     step of each user reaching it. A user's time to step k is taken on the \
                     chain that first reached step k: from its step-1 event to its step-k \
                     event (of several chains reaching it at once, the one started last). \
                     Returns one row per step (up to {MAX_STEPS}): {{step, users, \
                     avg_seconds, min_seconds, p25_seconds, median_seconds, p75_seconds, \
                     p90_seconds, max_seconds}}, users as funnel counts them; the quantiles \
                     interpolate as percentile_cont and median do; NULL for a step no user \
                     reached (step 1's times are 0). funnel_conversion_histogram gives the \
                     distribution. A NULL condition is false; rows with a NULL user_id or \
                     event_time are skipped; a group without any row gives NULL. {MODES_DOC} \
                     {EXCLUSIONS_DOC}"
                ),
                usage_of(NAME),
            ))
            .with_sql_example(
                "```sql\n-- median and 90th percentile time from the view to each step\n\
                 SELECT s['step'] AS step, s['users'] AS users,\n       \
                 s['median_seconds'] AS median, s['p90_seconds'] AS p90\n\
                 FROM (SELECT unnest(funnel_conversion_times(user_id, event_time,\n       \
                 INTERVAL '1 day', event_name = 'view', event_name = 'cart',\n       \
                 event_name = 'pay')) AS s FROM events);\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }

    fn evaluate_group(
        _: &FunnelSteps,
        durations: &[&[i64]],
        rows: &mut ResultRows<ConversionTimesRow>,
    ) {
        for (k, &sorted) in durations.iter().enumerate() {
            let users = sorted.len();
            let total: i128 = sorted.iter().map(|&d| i128::from(d)).sum();
            rows.push(ConversionTimesRow {
                step: k as i64 + 1,
                users: users as i64,
                avg_seconds: (users > 0).then(|| total as f64 / users as f64 / 1e6),
                min_seconds: sorted.first().map(|&d| seconds(d)),
                p25_seconds: quantile(sorted, 0.25),
                median_seconds: quantile(sorted, 0.5),
                p75_seconds: quantile(sorted, 0.75),
                p90_seconds: quantile(sorted, 0.9),
                max_seconds: sorted.last().map(|&d| seconds(d)),
            });
        }
    }
}
