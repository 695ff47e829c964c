//! Stored states: for every aggregate of the pack, `f_merge` of states written by `f_state`
//! (through a Parquet file, as a nightly job stores them) equals `f` over the rows behind them,
//! grouped or not, directly or through `f_union`, however the engine splits the work.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::{Expr, ParquetReadOptions, SessionConfig, SessionContext, col, lit};

use crate::accumulators::{Random, cases, random_case};
use crate::case::Case;

fn function(name: &str) -> Arc<AggregateUDF> {
    datafusion_engagement::all_state_functions()
        .into_iter()
        .chain(datafusion_engagement::all_aggregate_functions())
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

/// The case's call arguments over a table whose columns are named `c0`, `c1`, …
fn call_args(case: &Case) -> Vec<Expr> {
    let mut columns = 0..case.columns.len();
    (0..case.columns.len() + case.constants.len())
        .map(
            |position| match case.constants.iter().find(|(p, _)| *p == position) {
                Some((_, value)) => lit(value.clone()),
                None => col(format!("c{}", columns.next().unwrap())),
            },
        )
        .collect()
}

/// The case's rows, with a group `g` (0–2) and a random `day` (0–4).
fn table(case: &Case, random: &mut Random) -> RecordBatch {
    let rows = case.rows();
    let mut fields = vec![];
    let mut columns: Vec<ArrayRef> = vec![];
    for (i, (_, column)) in case.columns.iter().enumerate() {
        fields.push(Field::new(
            format!("c{i}"),
            column.data_type().clone(),
            true,
        ));
        columns.push(Arc::clone(column));
    }
    fields.push(Field::new(
        "g",
        datafusion::arrow::datatypes::DataType::Int64,
        false,
    ));
    columns.push(Arc::new(Int64Array::from_iter_values(
        (0..rows).map(|r| (r % 3) as i64),
    )));
    fields.push(Field::new(
        "day",
        datafusion::arrow::datatypes::DataType::Int64,
        false,
    ));
    columns.push(Arc::new(Int64Array::from_iter_values(
        (0..rows).map(|_| random.below(5) as i64),
    )));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

async fn shown(frame: DataFrame, by_group: bool) -> String {
    let frame = if by_group {
        frame.sort(vec![col("g").sort(true, false)]).unwrap()
    } else {
        frame
    };
    pretty_format_batches(&frame.collect().await.unwrap())
        .unwrap()
        .to_string()
}

/// Two printed results are the same: numbers within 1e-9 relative (sums of weights or times
/// in another order), everything else equal.
fn assert_same(got: &str, expected: &str, context: &str) {
    let tokens = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .filter(|token| !token.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (got_tokens, expected_tokens) = (tokens(got), tokens(expected));
    let same = got_tokens.len() == expected_tokens.len()
        && got_tokens.iter().zip(&expected_tokens).all(|(a, b)| {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(a), Ok(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                _ => a == b,
            }
        });
    assert!(same, "{context}: got\n{got}\nexpected\n{expected}");
}

/// A result as compared: a sketch by its estimate (its bytes depend on the order its values
/// came in).
fn compared(name: &str, result: Expr) -> Expr {
    let estimate = if name.starts_with("hll_") {
        datafusion_engagement::hll_estimate::hll_estimate_udf()
    } else if name.starts_with("theta_") {
        datafusion_engagement::theta_estimate::theta_estimate_udf()
    } else {
        return result;
    };
    estimate.call(vec![result])
}

async fn check(
    ctx: &SessionContext,
    case: &Case,
    random: &mut Random,
    directory: &std::path::Path,
) {
    let name = case.function;
    let (aggregate, state, merge, union) = (
        function(name),
        function(&format!("{name}_state")),
        function(&format!("{name}_merge")),
        function(&format!("{name}_union")),
    );
    let rows = ctx.read_batch(table(case, random)).unwrap();
    let args = call_args(case);

    // The daily states, stored in Parquet and read back.
    let path = directory.join(format!("{name}-{}.parquet", random.below(1 << 30)));
    let path = path.to_str().unwrap();
    rows.clone()
        .aggregate(
            vec![col("g"), col("day")],
            vec![state.call(args.clone()).alias("state")],
        )
        .unwrap()
        .write_parquet(path, DataFrameWriteOptions::new(), None)
        .await
        .unwrap();
    let states = ctx
        .read_parquet(path, ParquetReadOptions::default())
        .await
        .unwrap();

    for by_group in [true, false] {
        let group = if by_group { vec![col("g")] } else { vec![] };
        let context = format!("{name} {} by group: {by_group}", case.constants.len());
        let expected = shown(
            rows.clone()
                .aggregate(
                    group.clone(),
                    vec![compared(name, aggregate.call(args.clone())).alias("r")],
                )
                .unwrap(),
            by_group,
        )
        .await;
        let merged = shown(
            states
                .clone()
                .aggregate(
                    group.clone(),
                    vec![compared(name, merge.call(vec![col("state")])).alias("r")],
                )
                .unwrap(),
            by_group,
        )
        .await;
        assert_same(&merged, &expected, &format!("{context}, merged"));

        // Two states per group first (odd and even days), then merged.
        let mut union_group = group.clone();
        union_group.push((col("day") % lit(2i64)).alias("half"));
        let unioned = states
            .clone()
            .aggregate(
                union_group,
                vec![union.call(vec![col("state")]).alias("state")],
            )
            .unwrap()
            .aggregate(
                group,
                vec![compared(name, merge.call(vec![col("state")])).alias("r")],
            )
            .unwrap();
        assert_same(
            &shown(unioned, by_group).await,
            &expected,
            &format!("{context}, through {name}_union"),
        );
    }
}

#[tokio::test]
async fn merged_states_equal_the_aggregate_over_the_rows() {
    let directory = tempfile::tempdir().unwrap();
    let mut random = Random(45);
    let configs = [
        SessionConfig::new().with_target_partitions(1),
        SessionConfig::new()
            .with_target_partitions(4)
            .with_batch_size(7)
            .set_usize(
                "datafusion.execution.skip_partial_aggregation_probe_rows_threshold",
                1,
            ),
    ];
    for config in configs {
        let mut ctx = SessionContext::new_with_config(config);
        datafusion_engagement::register_all(&mut ctx).unwrap();
        for case in cases() {
            let case = random_case(&case, &mut random, 150);
            check(&ctx, &case, &mut random, directory.path()).await;
        }
    }
}
