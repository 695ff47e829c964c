//! The source articles' worked examples, through the DataFrame API and the `expr_fn` helpers.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::prelude::*;
use datafusion_engagement::expr_fn::{
    ces, ces_with_scale, churn_rate, csat, csat_with_scale, engagement_score, engagement_tier, nps,
    nps_group, retention_rate, stickiness,
};

async fn one_value(columns: Vec<(&str, ArrayRef)>, metric: Expr) -> Result<ScalarValue> {
    let ctx = SessionContext::new();
    datafusion_engagement::register_all(&ctx)?;
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
        one_value(vec![("score", scores)], nps(col("score"))).await?,
        40.0,
    );
    Ok(())
}

#[tokio::test]
async fn nps_50_percent_promoters_10_percent_detractors_is_40() -> Result<()> {
    let scores = repeated(&[(9, 50), (7, 40), (0, 10)]);
    assert_close(
        one_value(vec![("score", scores)], nps(col("score"))).await?,
        40.0,
    );
    Ok(())
}

#[tokio::test]
async fn csat_40_satisfied_of_50_is_80() -> Result<()> {
    let scores = repeated(&[(5, 30), (4, 10), (3, 6), (1, 4)]);
    assert_close(
        one_value(vec![("score", scores)], csat(col("score"))).await?,
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
    let value = one_value(vec![("score", scores)], ces(col("score"))).await?;
    assert_close(value.clone(), 11.0 / 3.0);
    assert_eq!(format!("{:.2}", f64::try_from(value)?), "3.67");
    Ok(())
}

#[tokio::test]
async fn engagement_tiers_at_the_boundaries() -> Result<()> {
    let ctx = SessionContext::new();
    datafusion_engagement::register_all(&ctx)?;
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
            csat_with_scale(col("score"), 10),
        )
        .await?,
        200.0 / 3.0,
    );
    assert_close(
        one_value(vec![("score", ten_point)], ces_with_scale(col("score"), 10)).await?,
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
