//! The unit and the benchmark of a result column that comes straight from one of the
//! engagement functions: the function's result, maybe rounded, cast or a field of its STRUCT,
//! followed through the plan's projections, sorts, filters and limits to the aggregate that
//! computes it, whose unit and benchmark bands the library states
//! (`datafusion_engagement::result_unit`, `benchmark_band::benchmark_bands`).

use std::collections::HashMap;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion_engagement::benchmark_band::{BenchmarkBand, benchmark_bands};

/// What the plan tells of the result's columns, by the column's name in the report (a
/// STRUCT's fields as `column.field`).
#[derive(Debug, Default)]
pub struct ColumnFacts {
    pub units: HashMap<String, String>,
    /// The benchmark bands of a metric's own result (not of a field of it).
    pub benchmarks: HashMap<String, &'static [BenchmarkBand]>,
}

impl ColumnFacts {
    /// Follows each output column of `plan` once to where it comes from.
    pub fn of(plan: &LogicalPlan) -> Self {
        let mut facts = Self::default();
        for (index, field) in plan.schema().fields().iter().enumerate() {
            let Some(mut origin) = origin_of_column(plan, index) else {
                continue;
            };
            if let Some(unit) = unit_of(&origin) {
                facts.units.insert(field.name().clone(), unit.to_string());
            }
            // Bands for a metric's own result, not for a field of it.
            let bands = benchmark_bands(&origin.function).filter(|_| origin.fields.is_empty());
            if let Some(bands) = bands {
                facts.benchmarks.insert(field.name().clone(), bands);
            }
            if let DataType::Struct(children) = field.data_type() {
                for child in children {
                    origin.fields.push(child.name().clone());
                    if let Some(unit) = unit_of(&origin) {
                        facts.units.insert(
                            format!("{}.{}", field.name(), child.name()),
                            unit.to_string(),
                        );
                    }
                    origin.fields.pop();
                }
            }
        }
        facts
    }
}

/// Where a value comes from: an aggregate function and the fields taken out of its result.
#[derive(Debug, PartialEq)]
struct Origin {
    function: String,
    fields: Vec<String>,
}

fn origin_of_column(plan: &LogicalPlan, index: usize) -> Option<Origin> {
    match plan {
        LogicalPlan::Projection(projection) => {
            origin_of_expr(projection.expr.get(index)?, &projection.input)
        }
        LogicalPlan::Aggregate(aggregate) => {
            let groups = aggregate.group_expr.len();
            if plan.schema().fields().len() != groups + aggregate.aggr_expr.len() {
                // Grouping sets add a column of their own.
                return None;
            }
            match index.checked_sub(groups) {
                Some(aggregate_index) => {
                    origin_of_expr(aggregate.aggr_expr.get(aggregate_index)?, &aggregate.input)
                }
                None => None,
            }
        }
        LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_)
        | LogicalPlan::Filter(_)
        | LogicalPlan::SubqueryAlias(_) => origin_of_column(plan.inputs().first()?, index),
        _ => None,
    }
}

fn origin_of_expr(expr: &Expr, input: &LogicalPlan) -> Option<Origin> {
    match expr {
        Expr::Alias(alias) => origin_of_expr(&alias.expr, input),
        Expr::Cast(cast) => origin_of_expr(&cast.expr, input),
        Expr::TryCast(cast) => origin_of_expr(&cast.expr, input),
        Expr::AggregateFunction(function) => Some(Origin {
            function: function.func.name().to_string(),
            fields: vec![],
        }),
        Expr::Column(column) => {
            origin_of_column(input, input.schema().index_of_column(column).ok()?)
        }
        Expr::ScalarFunction(function) => {
            let first = function.args.first()?;
            match function.func.name() {
                // Rounding keeps the unit.
                "round" => origin_of_expr(first, input),
                // `s['nps']`, and `weeks[2]['rate']` (a list element keeps the unit).
                "get_field" => {
                    let mut origin = origin_of_expr(first, input)?;
                    for name in &function.args[1..] {
                        match name {
                            Expr::Literal(value, _) => origin
                                .fields
                                .push(value.to_string().trim_matches(['\'', '"']).to_string()),
                            _ => return None,
                        }
                    }
                    Some(origin)
                }
                "array_element" => origin_of_expr(first, input),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The unit the function says its result, or the field taken out of it, has.
fn unit_of(origin: &Origin) -> Option<&'static str> {
    match origin.fields.as_slice() {
        [] => datafusion_engagement::result_unit(&origin.function, None),
        [field] => datafusion_engagement::result_unit(&origin.function, Some(field)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn units_follow_the_plan() {
        let mut ctx = datafusion::prelude::SessionContext::new();
        datafusion_engagement::register_all(&mut ctx).unwrap();
        let sql = "SELECT segment, round(raw, 1) AS nps, n, s['ci_low'] AS low, \
                   s['responses'] AS responses, CAST(churn AS DOUBLE) AS churn, \
                   stickiness_value / 2 AS halved \
                   FROM (SELECT segment, nps(score) AS raw, count(*) AS n, \
                         nps_summary(score) AS s, churn_rate(a, b) AS churn, \
                         stickiness(u, t) AS stickiness_value \
                         FROM (VALUES ('a', 9, true, false, 1, TIMESTAMP '2026-01-01')) \
                              AS t(segment, score, a, b, u, t) \
                         GROUP BY segment) \
                   WHERE raw > -200 ORDER BY segment LIMIT 5";
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        let units = ColumnFacts::of(&plan).units;
        let mut units: Vec<(&str, &str)> = units
            .iter()
            .map(|(c, u)| (c.as_str(), u.as_str()))
            .collect();
        units.sort();
        assert_eq!(units, [("churn", "%"), ("low", "NPS"), ("nps", "NPS")]);
        let plan = ctx
            .state()
            .create_logical_plan("SELECT nps_summary(9) AS s, count(*) AS n")
            .await
            .unwrap();
        let units = ColumnFacts::of(&plan).units;
        let mut names: Vec<&str> = units.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["s.ci_high", "s.ci_low", "s.nps"]);
    }

    #[tokio::test]
    async fn benchmarks_follow_the_plan_to_a_metric_s_own_result() {
        let mut ctx = datafusion::prelude::SessionContext::new();
        datafusion_engagement::register_all(&mut ctx).unwrap();
        let sql = "SELECT round(nps(score), 1) AS nps, nps_summary(score)['ci_low'] AS low, \
                   csat(score) AS csat, count(*) AS n FROM (VALUES (9), (3)) AS t(score)";
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        let facts = ColumnFacts::of(&plan);
        let mut names: Vec<&str> = facts.benchmarks.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["csat", "nps"]);
        assert_eq!(facts.benchmarks["nps"][0].label, "poor");
    }
}
