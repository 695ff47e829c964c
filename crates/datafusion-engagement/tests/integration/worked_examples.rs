//! The source articles' worked examples, through the DataFrame API and the `expr_fn` helpers.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::functions::core::expr_ext::FieldAccessor;
use datafusion::prelude::*;
use datafusion_engagement::expr_fn::{
    avg_resolution_time, avg_session_duration, bounce_rate, ces, ces_summary, churn_rate, clv,
    clv_per_period, csat, csat_summary, ctr, engagement_rate, engagement_score, engagement_tier,
    feature_adoption, first_week_active_rate, funnel, funnel_conversion_histogram,
    funnel_conversion_times, funnel_with_modes, nps, nps_group, nps_summary, pages_per_session,
    paths, retention_by_events, retention_rate, sequence_count, sequence_match, sequence_next_node,
    stickiness, stickiness_per_period, unbounded_retention_by_events, window_funnel,
    window_funnel_with_modes, with_exclusions,
};

async fn one_value(columns: Vec<(&str, ArrayRef)>, metric: Expr) -> Result<ScalarValue> {
    let mut ctx = SessionContext::new();
    datafusion_engagement::register_all(&mut ctx)?;
    let frame = ctx.read_batch(RecordBatch::try_from_iter(columns)?)?;
    let batches = frame
        .aggregate(vec![], vec![metric.alias("metric")])?
        .collect()
        .await?;
    ScalarValue::try_from_array(batches[0].column(0), 0)
}

fn repeated(values: &[(i64, usize)]) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(
        values.iter().flat_map(|&(v, n)| std::iter::repeat_n(v, n)),
    ))
}

fn assert_close(value: ScalarValue, expected: f64) {
    match value {
        ScalarValue::Float64(Some(v)) => assert!((v - expected).abs() < 1e-9, "{v} != {expected}"),
        other => panic!("expected {expected}, got {other:?}"),
    }
}

#[tokio::test]
async fn nps_300_promoters_100_passives_100_detractors_is_40() -> Result<()> {
    let scores = repeated(&[(10, 300), (8, 100), (2, 100)]);
    assert_close(
        one_value(vec![("score", scores)], nps(col("score"), None)).await?,
        40.0,
    );
    Ok(())
}

#[tokio::test]
async fn nps_50_percent_promoters_10_percent_detractors_is_40() -> Result<()> {
    let scores = repeated(&[(9, 50), (7, 40), (0, 10)]);
    assert_close(
        one_value(vec![("score", scores)], nps(col("score"), None)).await?,
        40.0,
    );
    Ok(())
}

#[tokio::test]
async fn csat_40_satisfied_of_50_is_80() -> Result<()> {
    let scores = repeated(&[(5, 30), (4, 10), (3, 6), (1, 4)]);
    assert_close(
        one_value(vec![("score", scores)], csat(col("score"), None, None)).await?,
        80.0,
    );
    Ok(())
}

#[tokio::test]
async fn churn_100_of_1000_is_10() -> Result<()> {
    let at_start: ArrayRef = Arc::new(BooleanArray::from(vec![true; 1000]));
    let at_end: ArrayRef = Arc::new(BooleanArray::from(
        (0..1000).map(|i| i >= 100).collect::<Vec<_>>(),
    ));
    let columns = vec![("at_start", at_start), ("at_end", at_end)];
    assert_close(
        one_value(columns, churn_rate(col("at_start"), col("at_end"))).await?,
        10.0,
    );
    Ok(())
}

/// 10 000 customers at start, 5 000 new, 12 000 at end: (12 000 − 5 000) / 10 000 = 70 %.
/// One article prints 20 for this case: that is acquired ÷ start, not retention.
#[tokio::test]
async fn retention_10000_at_start_5000_new_12000_at_end_is_70() -> Result<()> {
    let at_start: ArrayRef = Arc::new(BooleanArray::from(
        (0..15_000).map(|i| i < 10_000).collect::<Vec<_>>(),
    ));
    let at_end: ArrayRef = Arc::new(BooleanArray::from(
        (0..15_000)
            .map(|i| !(7_000..10_000).contains(&i))
            .collect::<Vec<_>>(),
    ));
    let columns = vec![("at_start", at_start), ("at_end", at_end)];
    assert_close(
        one_value(columns, retention_rate(col("at_start"), col("at_end"))).await?,
        70.0,
    );
    Ok(())
}

#[tokio::test]
async fn ces_answers_2_4_5_average_3_67() -> Result<()> {
    let scores = repeated(&[(2, 1), (4, 1), (5, 1)]);
    let value = one_value(vec![("score", scores)], ces(col("score"), None, None)).await?;
    assert_close(value.clone(), 11.0 / 3.0);
    assert_eq!(format!("{:.2}", f64::try_from(value)?), "3.67");
    Ok(())
}

#[tokio::test]
async fn engagement_tiers_at_the_boundaries() -> Result<()> {
    let mut ctx = SessionContext::new();
    datafusion_engagement::register_all(&mut ctx)?;
    let scores: ArrayRef = Arc::new(Float64Array::from(vec![
        -1.0, 0.0, 40.0, 40.5, 70.0, 100.0, 100.5,
    ]));
    let frame = ctx.read_batch(RecordBatch::try_from_iter(vec![("score", scores)])?)?;
    let batches = frame
        .select(vec![engagement_tier(col("score"))])?
        .collect()
        .await?;
    let tiers: Vec<String> = (0..7)
        .map(|i| {
            ScalarValue::try_from_array(batches[0].column(0), i)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        tiers,
        [
            "at_risk",
            "very_disengaged",
            "very_disengaged",
            "somewhat_engaged",
            "somewhat_engaged",
            "highly_engaged",
            "power_user"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn the_other_helpers_build_working_expressions() -> Result<()> {
    let users: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b"]));
    let days: ArrayRef = Arc::new(datafusion::arrow::array::Date32Array::from(vec![0, 1, 1]));
    let columns = vec![("user", Arc::clone(&users)), ("day", days)];
    // 3 pairs / (2 days × 2 users)
    assert_close(
        one_value(columns, stickiness(col("user"), col("day"))).await?,
        75.0,
    );
    let events: ArrayRef = Arc::new(StringArray::from(vec!["login", "invite", "other"]));
    let score = engagement_score(col("event"), lit("login=1, invite=5"));
    assert_close(one_value(vec![("event", events)], score).await?, 6.0);
    let ten_point = repeated(&[(10, 1), (9, 1), (2, 1)]);
    assert_close(
        one_value(
            vec![("score", Arc::clone(&ten_point))],
            csat(col("score"), Some(lit(10)), None),
        )
        .await?,
        200.0 / 3.0,
    );
    assert_close(
        one_value(
            vec![("score", ten_point)],
            ces(col("score"), Some(lit(10)), None),
        )
        .await?,
        7.0,
    );
    let scores = repeated(&[(9, 1)]);
    let ctx = SessionContext::new();
    let frame = ctx.read_batch(RecordBatch::try_from_iter(vec![("score", scores)])?)?;
    let batches = frame
        .select(vec![nps_group(col("score"))])?
        .collect()
        .await?;
    assert_eq!(
        ScalarValue::try_from_array(batches[0].column(0), 0)?.to_string(),
        "promoter"
    );
    Ok(())
}

/// ClickHouse's strict_order example, A-B-D-C: the chain A-B-C without a mode, A-B with it.
#[tokio::test]
async fn funnel_helpers_take_modes() -> Result<()> {
    let columns = || -> Vec<(&str, ArrayRef)> {
        vec![
            ("user", Arc::new(StringArray::from(vec!["u"; 4]))),
            (
                "t",
                Arc::new(datafusion::arrow::array::TimestampMicrosecondArray::from(
                    vec![0, 1_000_000, 2_000_000, 3_000_000],
                )),
            ),
            ("e", Arc::new(StringArray::from(vec!["A", "B", "D", "C"]))),
        ]
    };
    let hour = || lit(ScalarValue::new_interval_mdn(0, 0, 3_600_000_000_000));
    let steps = || ["A", "B", "C", "D"].map(|e| col("e").eq(lit(e))).to_vec();
    let level = window_funnel(hour(), col("t"), steps());
    assert_eq!(
        one_value(columns(), level).await?,
        ScalarValue::Int64(Some(3))
    );
    let level = window_funnel_with_modes(hour(), col("t"), steps(), &["strict_order"]);
    assert_eq!(
        one_value(columns(), level).await?,
        ScalarValue::Int64(Some(2))
    );
    // The users reaching step 3 (C), from the list of steps.
    let third_step_users = |f: Expr| {
        datafusion::functions_nested::expr_fn::array_element(f, lit(3_i64)).field("users")
    };
    let all = funnel(col("user"), col("t"), hour(), steps());
    assert_eq!(
        one_value(columns(), third_step_users(all)).await?,
        ScalarValue::Int64(Some(1))
    );
    let in_order = funnel_with_modes(col("user"), col("t"), hour(), steps(), &["strict_order"]);
    assert_eq!(
        one_value(columns(), third_step_users(in_order)).await?,
        ScalarValue::Int64(Some(0))
    );
    // D between B (step 2) and C (step 3) as an exclusion ends the chain at B.
    let excluded = with_exclusions(
        funnel(col("user"), col("t"), hour(), steps()),
        vec![("exclude 2-3", col("e").eq(lit("D")))],
    );
    assert_eq!(
        one_value(columns(), third_step_users(excluded)).await?,
        ScalarValue::Int64(Some(0))
    );
    // C came 2 seconds after A: the times to step 3, and its bucket (10 seconds and less).
    let step_3 = |f: Expr| datafusion::functions_nested::expr_fn::array_element(f, lit(3_i64));
    let times = funnel_conversion_times(col("user"), col("t"), hour(), steps(), &[]);
    assert_eq!(
        one_value(columns(), step_3(times).field("median_seconds")).await?,
        ScalarValue::Float64(Some(3.0))
    );
    let histogram = funnel_conversion_histogram(col("user"), col("t"), hour(), steps(), &[]);
    let first_bucket = datafusion::functions_nested::expr_fn::array_element(histogram, lit(1_i64));
    assert_eq!(
        one_value(columns(), first_bucket.field("users")).await?,
        ScalarValue::Int64(Some(1))
    );
    Ok(())
}

/// ClickHouse's documentation example of sequenceMatch and sequenceCount: events 1, 2, 3 at
/// times 1, 2, 3 and a fourth meeting no condition; (?1)(?2) matches once, and with a time
/// condition too.
#[tokio::test]
async fn sequence_helpers_match_and_count() -> Result<()> {
    let columns = || -> Vec<(&str, ArrayRef)> {
        vec![
            (
                "t",
                Arc::new(datafusion::arrow::array::TimestampSecondArray::from(vec![
                    1, 2, 3, 4, 5, 6,
                ])),
            ),
            ("number", Arc::new(Int64Array::from(vec![1, 2, 3, 1, 2, 4]))),
        ]
    };
    let conditions = || {
        (1..=3)
            .map(|n| col("number").eq(lit(n as i64)))
            .collect::<Vec<_>>()
    };
    let matched = sequence_match("(?1)(?2)", col("t"), conditions());
    assert_eq!(
        one_value(columns(), matched).await?,
        ScalarValue::Boolean(Some(true))
    );
    let missing = sequence_match("(?1)(?3)", col("t"), conditions());
    assert_eq!(
        one_value(columns(), missing).await?,
        ScalarValue::Boolean(Some(false))
    );
    let count = sequence_count("(?1)(?t<=1)(?2)", col("t"), conditions());
    assert_eq!(
        one_value(columns(), count).await?,
        ScalarValue::Int64(Some(2))
    );
    // The number after the last 1, then 2 (the numbers as strings: the nodes' events).
    let next = sequence_next_node(
        "forward",
        "last_match",
        col("t"),
        cast(col("number"), DataType::Utf8),
        lit(true),
        conditions()[..2].to_vec(),
    );
    assert_eq!(
        one_value(columns(), next).await?,
        ScalarValue::Utf8(Some("4".into()))
    );
    // Backward from the tail, 4 then 2: the node before is 1.
    let before = sequence_next_node(
        "backward",
        "tail",
        col("t"),
        cast(col("number"), DataType::Utf8),
        lit(true),
        vec![col("number").eq(lit(4i64)), col("number").eq(lit(2i64))],
    );
    assert_eq!(
        one_value(columns(), before).await?,
        ScalarValue::Utf8(Some("1".into()))
    );
    // One path from the first 2 (user 1): 2 → 3 → 1; its first link carries the one user.
    let path = paths(
        lit("user 1"),
        col("t"),
        cast(col("number"), DataType::Utf8),
        col("number").eq(lit(2i64)),
        2,
    );
    let links = one_value(columns(), path).await?;
    let ScalarValue::List(links) = links else {
        panic!("a list of links: {links:?}")
    };
    let link = ScalarValue::try_from_array(links.values(), 0)?;
    assert_eq!(field(&link, "event"), ScalarValue::Utf8(Some("2".into())));
    assert_eq!(
        field(&link, "next_event"),
        ScalarValue::Utf8(Some("3".into()))
    );
    assert_eq!(field(&link, "users"), ScalarValue::Int64(Some(1)));
    assert_eq!(links.values().len(), 2);
    Ok(())
}

/// The named field of a STRUCT result.
fn field(value: &ScalarValue, name: &str) -> ScalarValue {
    let ScalarValue::Struct(array) = value else {
        panic!("expected a STRUCT, got {value:?}");
    };
    let column = array.column_by_name(name).unwrap();
    ScalarValue::try_from_array(column, 0).unwrap()
}

#[tokio::test]
async fn nps_summary_of_300_promoters_100_passives_100_detractors() -> Result<()> {
    let scores = repeated(&[(10, 300), (8, 100), (2, 100)]);
    let summary = one_value(vec![("score", scores)], nps_summary(col("score"), None)).await?;
    // Worked by hand: p = 0.6, d = 0.2, variance (0.6 + 0.2 − 0.4²) / 500 = 0.00128, so the
    // standard error is 100 × √0.00128 = 3.5777 points and the interval 40 ± 1.96 × 3.5777.
    assert_close(field(&summary, "nps"), 40.0);
    assert_eq!(field(&summary, "responses"), ScalarValue::Int64(Some(500)));
    assert_eq!(field(&summary, "promoters"), ScalarValue::Int64(Some(300)));
    assert_eq!(field(&summary, "passives"), ScalarValue::Int64(Some(100)));
    assert_eq!(field(&summary, "detractors"), ScalarValue::Int64(Some(100)));
    let std_error = 100.0 * 0.00128f64.sqrt();
    assert_close(field(&summary, "std_error"), std_error);
    assert_close(
        field(&summary, "ci_low"),
        40.0 - 1.959963984540054 * std_error,
    );
    assert_close(
        field(&summary, "ci_high"),
        40.0 + 1.959963984540054 * std_error,
    );
    Ok(())
}

#[tokio::test]
async fn weights_of_two_count_twice() -> Result<()> {
    // Weighting the promoters 2 is the same as answering twice: 600 of 800 promoters.
    let scores = repeated(&[(10, 300), (8, 100), (2, 100)]);
    let weights = repeated(&[(2, 300), (1, 200)]);
    let doubled = repeated(&[(10, 600), (8, 100), (2, 100)]);
    let columns = || vec![("score", Arc::clone(&scores)), ("w", Arc::clone(&weights))];
    let doubled = one_value(vec![("score", doubled)], nps(col("score"), None)).await?;
    assert_close(doubled, 62.5);
    assert_close(
        one_value(columns(), nps(col("score"), Some(col("w")))).await?,
        62.5,
    );
    // Kish: n = (Σw)² / Σw² = 800² / 1400, not 800, so the weighted interval is wider.
    let weighted = one_value(columns(), nps_summary(col("score"), Some(col("w")))).await?;
    let (p, d): (f64, f64) = (0.75, 0.125);
    let kish = 800.0 * 800.0 / 1400.0;
    assert_close(
        field(&weighted, "std_error"),
        100.0 * ((p + d - (p - d) * (p - d)) / kish).sqrt(),
    );
    let csat_scores = repeated(&[(5, 1), (1, 1)]);
    let csat_weights = repeated(&[(3, 1), (1, 1)]);
    let columns = vec![("score", csat_scores), ("w", csat_weights)];
    assert_close(
        one_value(columns.clone(), csat(col("score"), None, Some(col("w")))).await?,
        75.0,
    );
    assert_close(
        one_value(
            columns.clone(),
            ces(col("score"), Some(lit(7)), Some(col("w"))),
        )
        .await?,
        4.0,
    );
    let csat_w = one_value(
        columns.clone(),
        csat_summary(col("score"), Some(lit(5)), Some(col("w"))),
    );
    assert_close(field(&csat_w.await?, "csat"), 75.0);
    let ces_w = one_value(
        columns.clone(),
        ces_summary(col("score"), None, Some(col("w"))),
    );
    assert_close(field(&ces_w.await?, "ces"), 4.0);
    let csat_u = one_value(columns.clone(), csat_summary(col("score"), None, None)).await?;
    assert_close(field(&csat_u, "csat"), 50.0);
    // Answers 5 and 1: mean 3, sample standard deviation √8, standard error √8 / √2 = 2.
    let ces_u = one_value(columns, ces_summary(col("score"), Some(lit(7)), None)).await?;
    assert_close(field(&ces_u, "std_error"), 2.0);
    Ok(())
}

#[tokio::test]
async fn clv_20_per_order_12_orders_a_year_over_3_years_is_720() -> Result<()> {
    // One customer's 48 monthly orders of 20 spanning four whole years (1 461 days observed).
    let first = 18_262; // 2020-01-01
    let mut days: Vec<i32> = (0..47).map(|m| first + (m * 1461) / 48).collect();
    days.push(first + 1460); // 2023-12-31
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("value", Arc::new(Float64Array::from(vec![20.0; 48]))),
        ("customer", Arc::new(StringArray::from(vec!["c1"; 48]))),
        (
            "day",
            Arc::new(datafusion::arrow::array::Date32Array::from(days)),
        ),
    ];
    let value = clv(col("value"), col("customer"), col("day"), lit(3));
    assert_close(one_value(columns, value).await?, 720.0);
    Ok(())
}

/// Days since 1970-01-01 of the first of each month from `year`-01 for `months` months.
fn monthly(year: i32, months: u32) -> Vec<i32> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    (0..months)
        .map(|m| {
            let date = chrono::NaiveDate::from_ymd_opt(year + (m / 12) as i32, m % 12 + 1, 1);
            (date.unwrap() - epoch).num_days() as i32
        })
        .collect()
}

async fn clv_of_monthly_orders(value: f64, year: i32, months: u32, lifespan: f64) -> Result<f64> {
    let days = monthly(year, months);
    let n = days.len();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("value", Arc::new(Float64Array::from(vec![value; n]))),
        ("customer", Arc::new(StringArray::from(vec!["c1"; n]))),
        (
            "day",
            Arc::new(datafusion::arrow::array::Date32Array::from(days)),
        ),
    ];
    let clv = clv_per_period(
        col("value"),
        col("customer"),
        col("day"),
        lit(lifespan),
        lit("year"),
    );
    match one_value(columns, clv).await? {
        ScalarValue::Float64(Some(v)) => Ok(v),
        other => panic!("clv: {other:?}"),
    }
}

#[tokio::test]
async fn clv_in_calendar_years_gives_the_articles_1200_and_720_exactly() -> Result<()> {
    // 100 × 12 orders a year (1 January to 1 December) × 1 year.
    assert_eq!(clv_of_monthly_orders(100.0, 2026, 12, 1.0).await?, 1200.0);
    // 20 × 12 orders a year over three calendar years × 3 years.
    assert_eq!(clv_of_monthly_orders(20.0, 2024, 36, 3.0).await?, 720.0);
    Ok(())
}

#[tokio::test]
async fn stickiness_of_four_days_in_june_is_4_of_30() -> Result<()> {
    let days = [3, 10, 17, 24].map(|d| monthly(2026, 6)[5] + d - 1);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("user", Arc::new(StringArray::from(vec!["u"; 4]))),
        (
            "day",
            Arc::new(datafusion::arrow::array::Date32Array::from(days.to_vec())),
        ),
    ];
    let dau_mau = stickiness_per_period(col("user"), col("day"), lit("month"));
    assert_close(one_value(columns, dau_mau).await?, 400.0 / 30.0);
    Ok(())
}

#[tokio::test]
async fn web_adoption_and_support_helpers() -> Result<()> {
    use datafusion::arrow::array::TimestampSecondArray;
    // Sessions s1 (3 views over 120 s), s2 (1 view): bounce 50 %, 2 pages, 60 s on average.
    let sessions: ArrayRef = Arc::new(StringArray::from(vec!["s1", "s1", "s1", "s2"]));
    let times: ArrayRef = Arc::new(TimestampSecondArray::from(vec![0, 60, 120, 500]));
    let columns = || {
        vec![
            ("session", Arc::clone(&sessions)),
            ("time", Arc::clone(&times)),
        ]
    };
    assert_close(
        one_value(columns(), bounce_rate(col("session"))).await?,
        50.0,
    );
    assert_close(
        one_value(columns(), pages_per_session(col("session"))).await?,
        2.0,
    );
    assert_close(
        one_value(columns(), avg_session_duration(col("session"), col("time"))).await?,
        60.0,
    );
    // Ticket opened at 0 and resolved at 500 s; the other's resolution is unknown.
    let resolved: ArrayRef = Arc::new(TimestampSecondArray::from(vec![
        Some(500),
        None,
        Some(120),
        Some(500),
    ]));
    let tickets = vec![("opened", Arc::clone(&times)), ("resolved", resolved)];
    assert_close(
        one_value(tickets, avg_resolution_time(col("opened"), col("resolved"))).await?,
        (500.0 + 0.0 + 0.0) / 3.0,
    );
    // Users a (used the feature; active 60 s after signup at 0) and b (not; active 500 s
    // after signing up at 500, which is not after signup).
    let users: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b", "b"]));
    let used: ArrayRef = Arc::new(BooleanArray::from(vec![false, true, false, false]));
    let signups: ArrayRef = Arc::new(TimestampSecondArray::from(vec![0, 0, 500, 500]));
    let columns = vec![
        ("user", users),
        ("used", used),
        ("time", Arc::clone(&times)),
        ("signup", signups),
    ];
    assert_close(
        one_value(columns.clone(), feature_adoption(col("user"), col("used"))).await?,
        50.0,
    );
    let activation = first_week_active_rate(col("user"), col("time"), col("signup"));
    assert_close(one_value(columns, activation).await?, 50.0);
    Ok(())
}

#[tokio::test]
async fn click_through_and_engagement_rate_helpers() -> Result<()> {
    // 3 clicks of 200 impressions, and one row of each form with a NULL that is skipped.
    let clicks: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), Some(2), None]));
    let impressions: ArrayRef = Arc::new(Int64Array::from(vec![Some(100), Some(100), Some(50)]));
    let clicked: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
    let columns = || {
        vec![
            ("clicks", Arc::clone(&clicks)),
            ("impressions", Arc::clone(&impressions)),
            ("clicked", Arc::clone(&clicked)),
        ]
    };
    assert_close(
        one_value(columns(), ctr(col("clicks"), Some(col("impressions")))).await?,
        1.5,
    );
    assert_close(one_value(columns(), ctr(col("clicked"), None)).await?, 50.0);
    assert_close(
        one_value(
            columns(),
            engagement_rate(col("clicks"), col("impressions")),
        )
        .await?,
        1.5,
    );
    Ok(())
}

#[test]
fn every_udaf_is_one_shared_instance() {
    use datafusion_engagement::{all_aggregate_functions, all_scalar_functions};
    for (first, second) in all_aggregate_functions()
        .iter()
        .zip(all_aggregate_functions())
    {
        assert!(
            Arc::ptr_eq(first, &second),
            "{} is built twice",
            first.name()
        );
    }
    for (first, second) in all_scalar_functions().iter().zip(all_scalar_functions()) {
        assert!(
            Arc::ptr_eq(first, &second),
            "{} is built twice",
            first.name()
        );
    }
}

/// Retention by events through the helpers: a and b sign up on day 0; a buys on day 1.5, b on
/// day 5 (the data's end). Day 1: a came back; on or after day 1: both; days 1 to 3 as one
/// bracket: a.
#[tokio::test]
async fn retention_by_events_helpers_count_returns_after_the_start() -> Result<()> {
    const DAY: i64 = 86_400_000_000;
    let columns = || -> Vec<(&str, ArrayRef)> {
        vec![
            (
                "user",
                Arc::new(StringArray::from(vec!["a", "a", "b", "b"])),
            ),
            (
                "t",
                Arc::new(datafusion::arrow::array::TimestampMicrosecondArray::from(
                    vec![0, 3 * DAY / 2, 0, 5 * DAY],
                )),
            ),
            (
                "e",
                Arc::new(StringArray::from(vec!["signup", "buy", "signup", "buy"])),
            ),
        ]
    };
    let day = || lit(ScalarValue::new_interval_mdn(0, 1, 0));
    let (signup, buy) = (|| col("e").eq(lit("signup")), || col("e").eq(lit("buy")));
    let retained = |f: Expr, k: i64| {
        datafusion::functions_nested::expr_fn::array_element(f, lit(k)).field("retained")
    };
    let n_day = retention_by_events(col("user"), col("t"), day(), lit(2_i64), signup(), buy());
    assert_eq!(
        one_value(columns(), retained(n_day, 2)).await?,
        ScalarValue::Int64(Some(1))
    );
    let on_or_after =
        unbounded_retention_by_events(col("user"), col("t"), day(), lit(2_i64), signup(), buy());
    assert_eq!(
        one_value(columns(), retained(on_or_after, 2)).await?,
        ScalarValue::Int64(Some(2))
    );
    let bracket = retention_by_events(col("user"), col("t"), day(), lit("1-3"), signup(), buy());
    assert_eq!(
        one_value(columns(), retained(bracket, 2)).await?,
        ScalarValue::Int64(Some(1))
    );
    Ok(())
}
