//! ClickHouse's `00823_sequence_match_dfa` (tests/queries/0_stateless in ClickHouse/ClickHouse),
//! ported: one user with A, then 999 999 B, then C, and a D far later. It "cannot pass without
//! the DFA matching algorithm": a backtracking search over `.*` between a million events gives
//! up at its step limit, where the automaton answers in one pass.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::error::Result;
use datafusion::prelude::*;

#[tokio::test]
async fn a_million_events_match_without_backtracking() -> Result<()> {
    let mut ctx = SessionContext::new();
    datafusion_engagement::register_all(&mut ctx)?;
    ctx.sql(
        "CREATE VIEW sequence AS
         SELECT CASE WHEN value = 0 THEN 'A' WHEN value < 1000000 THEN 'B' ELSE 'C' END AS event_type,
                to_timestamp(value) AS event_time
         FROM generate_series(0, 1000000)
         UNION ALL SELECT 'D', to_timestamp(1000000000)",
    )
    .await?;
    let matched = |pattern: &str, steps: &[&str]| {
        let conditions: Vec<String> = steps
            .iter()
            .map(|step| format!("event_type = '{step}'"))
            .collect();
        format!(
            "sequence_match('{pattern}', event_time, {})",
            conditions.join(", ")
        )
    };
    let sql = format!(
        "SELECT {}, {}, {}, {} FROM sequence",
        matched("(?1).*(?2).*(?3)", &["A", "B", "C"]),
        matched("(?1).*(?2).*(?3)", &["A", "B", "A"]),
        matched("(?1).*(?2).*(?3).*(?4)", &["A", "B", "B", "C"]),
        // Theirs waits 1e13 time units for D after C; here, 999 000 000 seconds. Only C and
        // D are events: the search has two to try.
        matched("(?1)(?t>=999000000)(?2)", &["C", "D"]),
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let row: Vec<bool> = batches[0]
        .columns()
        .iter()
        .map(|column| column.as_boolean().value(0) && column.is_valid(0))
        .collect();
    assert_eq!(row, [true, false, true, true]);
    // A time condition needs the backtracking search: over a million B events it gives up
    // past the step limit with a clear error, as ClickHouse 26.9 does on the same query
    // ("Pattern application proves too difficult, exceeding max iterations (1000000)").
    let sql = format!(
        "SELECT {} FROM sequence",
        matched("(?1).*(?t<=1)(?2)(?t<=1)(?3)", &["B", "B", "C"])
    );
    let error = ctx.sql(&sql).await?.collect().await.unwrap_err();
    assert!(
        error.to_string().contains(
            "sequence_match: the pattern takes more than 1000000 steps to apply to a group's events"
        ),
        "{error}"
    );
    Ok(())
}
