//! Embedding the engagement functions in a plain DataFusion program, through SQL and through
//! the DataFrame API.
//!
//! Run from the repository root: `cargo run -p engagement-examples --example embed`.

use std::path::PathBuf;

use datafusion::error::Result;
use datafusion::prelude::*;
use datafusion_engagement::expr_fn::{
    churn_rate, engagement_score, engagement_tier, nps, retention_rate,
};

fn data(file: &str) -> String {
    // cargo sets the variable at run time too; the compile-time value serves a copied binary.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("data")
        .join(file)
        .display()
        .to_string()
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut ctx = SessionContext::new();
    // One call registers every function; unlike SessionContext::register_udaf it reports errors.
    datafusion_engagement::register_all(&mut ctx)?;

    // SQL.
    ctx.register_parquet(
        "responses",
        data("responses.parquet"),
        ParquetReadOptions::default(),
    )
    .await?;
    ctx.sql(
        "SELECT segment, round(nps(nps_score), 1) AS nps, round(csat(csat_score), 1) AS csat, \
                round(ces(ces_score), 2) AS ces \
         FROM responses GROUP BY segment ORDER BY segment",
    )
    .await?
    .show()
    .await?;

    // The DataFrame API, with the expr_fn helpers.
    let customers = ctx
        .read_csv(data("customers.csv"), CsvReadOptions::new())
        .await?;
    customers
        .aggregate(
            vec![col("plan")],
            vec![
                churn_rate(col("active_at_start"), col("active_at_end")).alias("churn"),
                retention_rate(col("active_at_start"), col("active_at_end")).alias("retention"),
            ],
        )?
        .sort(vec![col("plan").sort(true, false)])?
        .show()
        .await?;

    let events = ctx
        .read_parquet(data("events.parquet"), ParquetReadOptions::default())
        .await?;
    let weights = lit("login=1, create_report=3, export=2, invite_colleague=5, support_ticket=-3");
    events
        .aggregate(
            vec![col("user_id")],
            vec![engagement_score(col("event_name"), weights).alias("score")],
        )?
        .select(vec![
            col("user_id"),
            col("score"),
            engagement_tier(col("score")).alias("tier"),
        ])?
        .sort(vec![
            col("score").sort(false, false),
            col("user_id").sort(true, false),
        ])?
        .limit(0, Some(5))?
        .show()
        .await?;

    ctx.table("responses")
        .await?
        .aggregate(
            vec![col("channel")],
            vec![
                nps(col("nps_score"), None).alias("nps"),
                // Optional arguments are Option<Expr>: weighted to the customer base.
                nps(col("nps_score"), Some(col("survey_weight"))).alias("weighted_nps"),
            ],
        )?
        .sort(vec![col("channel").sort(true, false)])?
        .show()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        super::main().unwrap();
    }
}
