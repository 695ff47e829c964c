//! Which chart a result gets: the `-- chart:` directive above its statement, or a choice made
//! from the result's shape (see the README's "HTML reports"): the chart models (`model`), the
//! directive (`directive`), reading the result's shape (`shape`) and building the charts
//! (`build`).

use datafusion::error::Result;

use super::table::{Column, ResultTable, Role};

mod build;
mod directive;
mod model;
mod shape;

use build::{bars, flow, lines, long_heatmap, wide_cohort_heatmap};
pub use directive::{Directive, Kind};
#[cfg(test)]
pub use model::{Axis, BarSeries, LineSeries};
pub use model::{Bars, Chart, Charts, Flow, FlowLink, FlowNodeKind, Heatmap, Lines};
use shape::{Interval, distinct_count, identifying_prefix, measures_and_intervals, series_column};

/// The charts of `table`: as `directive` says, or chosen by the result's shape.
pub fn charts(table: &ResultTable, directive: Option<&Directive>) -> Result<Charts> {
    if table.rows == 0 {
        return Ok(Charts::default());
    }
    match directive {
        None => Ok(automatic(table)),
        Some(directive) => directed(table, directive),
    }
}

fn automatic(table: &ResultTable) -> Charts {
    let labels: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Label | Role::Time))
        .collect();
    let (measures, intervals) = measures_and_intervals(table);
    if measures.is_empty() {
        return Charts::default();
    }
    if let Some(chart) = wide_cohort_heatmap(table) {
        return chart;
    }
    if let Some((step, from, to, value)) = path_links(table) {
        return flow(table, step, from, to, value);
    }
    let time = labels
        .iter()
        .find(|c| c.role == Role::Time && distinct_count(c) >= 3)
        .copied();
    match time {
        Some(x) => {
            let series: Vec<&Column> = labels
                .iter()
                .filter(|c| c.name != x.name)
                .copied()
                .collect();
            lines(table, x, &series, &measures, false)
        }
        None => {
            let series = series_column(table, &labels);
            let others: Vec<&Column> = labels
                .iter()
                .filter(|c| Some(c.name.as_str()) != series.map(|s| s.name.as_str()))
                .copied()
                .collect();
            let categories = if series.is_some() {
                others
            } else {
                identifying_prefix(table, &others)
            };
            bars(table, &categories, series, &measures, &intervals, false)
        }
    }
}

/// The column named `name`, or a STRUCT's field of that name (`l.step`).
fn named<'a>(table: &'a ResultTable, name: &str) -> Option<&'a Column> {
    table
        .columns
        .iter()
        .find(|c| c.name.rsplit('.').next() == Some(name))
}

/// The columns of the links of `paths()`, unnested: `step`, `event`, `next_event` and
/// `users`.
fn path_links(table: &ResultTable) -> Option<(&Column, &Column, &Column, &Column)> {
    let step = named(table, "step").filter(|c| c.is_numeric())?;
    let users = named(table, "users").filter(|c| c.is_numeric())?;
    Some((
        step,
        named(table, "event")?,
        named(table, "next_event")?,
        users,
    ))
}

/// A flow's column `key` as the directive names it, else `default` (a `paths()` column).
fn flow_column<'a>(
    directive: &Directive,
    table: &'a ResultTable,
    key: &str,
    default: Option<&'a Column>,
) -> Result<&'a Column> {
    let named = match key {
        "step" | "value" => directive.numeric_columns(table, key)?,
        _ => directive.columns(table, key)?,
    };
    match named.as_deref() {
        Some([one]) => Ok(*one),
        Some(_) => Err(directive.error(format!("{key}= takes one column"))),
        None => default.ok_or_else(|| {
            directive.error(format!(
                "name the {key} column with {key}= (a flow takes step=, from=, to= and \
                 value=, or the columns of paths(): step, event, next_event, users)"
            ))
        }),
    }
}

fn directed(table: &ResultTable, directive: &Directive) -> Result<Charts> {
    let (auto_measures, intervals) = measures_and_intervals(table);
    let y = directive
        .numeric_columns(table, "y")?
        .unwrap_or_else(|| auto_measures.clone());
    let series = directive
        .columns(table, "series")?
        .map(|columns| match columns.as_slice() {
            [one] => Ok(*one),
            _ => Err(directive.error("series= takes one column")),
        })
        .transpose()?;
    let labels_other_than = |excluded: &[&str]| -> Vec<&Column> {
        table
            .columns
            .iter()
            .filter(|c| matches!(c.role, Role::Label | Role::Time))
            .filter(|c| !excluded.contains(&c.name.as_str()))
            .collect()
    };
    let series_name = series.map(|s| s.name.as_str()).unwrap_or_default();
    match directive.kind {
        Kind::Table => Ok(Charts::default()),
        Kind::Bar => {
            if y.is_empty() {
                return Err(
                    directive.error("the result has no numeric column to chart; name one with y=")
                );
            }
            let categories = directive
                .columns(table, "x")?
                .unwrap_or_else(|| labels_other_than(&[series_name]));
            let mut intervals = intervals;
            if let Some(error) = directive.numeric_columns(table, "error")? {
                let [low, high] = error.as_slice() else {
                    return Err(directive.error("error= takes two columns: low,high"));
                };
                let [measure] = y.as_slice() else {
                    return Err(directive.error("error= needs exactly one y= column"));
                };
                intervals = vec![Interval {
                    measure: measure.name.clone(),
                    low,
                    high,
                }];
            }
            Ok(bars(table, &categories, series, &y, &intervals, true))
        }
        Kind::Line => {
            let x = match directive.columns(table, "x")? {
                Some(columns) => match columns.as_slice() {
                    [x] if !x.numbers.is_empty() => *x,
                    [x] => {
                        return Err(directive.error(format!(
                            "x={}: a line chart's x is a date, a time or a number; the column is {}",
                            x.name, x.data_type
                        )));
                    }
                    _ => return Err(directive.error("x= takes one column")),
                },
                None => table
                    .columns
                    .iter()
                    .find(|c| c.role == Role::Time)
                    .ok_or_else(|| {
                        directive
                            .error("the result has no date or time column; name the x axis with x=")
                    })?,
            };
            if y.is_empty() {
                return Err(
                    directive.error("the result has no numeric column to chart; name one with y=")
                );
            }
            let series: Vec<&Column> = match series {
                Some(series) => vec![series],
                None => labels_other_than(&[x.name.as_str()]),
            };
            Ok(lines(table, x, &series, &y, true))
        }
        Kind::Flow => {
            let automatic = path_links(table);
            Ok(flow(
                table,
                flow_column(directive, table, "step", automatic.map(|a| a.0))?,
                flow_column(directive, table, "from", automatic.map(|a| a.1))?,
                flow_column(directive, table, "to", automatic.map(|a| a.2))?,
                flow_column(directive, table, "value", automatic.map(|a| a.3))?,
            ))
        }
        Kind::Heatmap => {
            let rows = directive.columns(table, "rows")?;
            let columns = directive.columns(table, "columns")?;
            let value = directive.numeric_columns(table, "value")?;
            match (rows, columns, value) {
                (None, None, None) => wide_cohort_heatmap(table).ok_or_else(|| {
                    directive.error(
                        "the result is not a cohort table (a label column, then four or more \
                         numeric columns numbered in order such as w1, w2, …); give \
                         rows=, columns= and value= for a long table",
                    )
                }),
                (Some(rows), Some(columns), Some(value)) => {
                    match (&rows[..], &columns[..], &value[..]) {
                        ([rows], [columns], [value]) => {
                            Ok(long_heatmap(table, rows, columns, value))
                        }
                        _ => {
                            Err(directive.error("rows=, columns= and value= take one column each"))
                        }
                    }
                }
                _ => Err(directive.error("give all of rows=, columns= and value=, or none")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ColumnFacts;
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};

    use super::*;

    fn table(columns: Vec<(&str, ArrayRef)>) -> ResultTable {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        ResultTable::new(
            batch.schema(),
            std::slice::from_ref(&batch),
            batch.num_rows(),
            &ColumnFacts::default(),
        )
        .unwrap()
    }

    fn text(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn numbers(values: &[f64]) -> ArrayRef {
        Arc::new(Float64Array::from(values.to_vec()))
    }

    fn counts(values: &[i64]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    fn directive(text: &str) -> Directive {
        Directive::parse(text).unwrap().unwrap()
    }

    #[test]
    fn measures_with_a_unit_share_a_chart_and_counts_are_left_out() {
        let t = table(vec![
            ("plan", text(&["free", "pro"])),
            ("customers", counts(&[10, 20])),
            ("churn_pct", numbers(&[5.0, 2.5])),
            ("retention_pct", numbers(&[95.0, 97.5])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Bars(bars)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(bars.categories, ["free", "pro"]);
        let names: Vec<&str> = bars.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["churn_pct", "retention_pct"]);
        assert_eq!(bars.axis.unit.as_deref(), Some("%"));
    }

    #[test]
    fn months_make_lines_one_per_segment() {
        let t = table(vec![
            ("segment", text(&["a", "a", "a", "b", "b", "b"])),
            (
                "month",
                text(&[
                    "2026-07", "2026-08", "2026-09", "2026-07", "2026-08", "2026-09",
                ]),
            ),
            ("dau_mau_pct", numbers(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Lines(lines)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert!(lines.x_is_time && lines.x_in_months);
        let names: Vec<&str> = lines.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(lines.series[1].points.len(), 3);
    }

    #[test]
    fn a_second_label_with_few_values_splits_bars_into_series() {
        let t = table(vec![
            ("segment", text(&["a", "a", "b", "b"])),
            ("tier", text(&["low", "high", "low", "high"])),
            ("users", counts(&[1, 2, 3, 4])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Bars(bars)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(bars.categories, ["a", "b"]);
        assert_eq!(bars.series[1].name, "high");
        assert_eq!(bars.series[1].values, [Some(2.0), Some(4.0)]);
        // Text that differs on every row is a label, not a series.
        let t = table(vec![
            ("channel", text(&["email", "web"])),
            ("interval", text(&["1 – 2", "3 – 4"])),
            ("n", counts(&[1, 2])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Bars(bars)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(bars.categories, ["email", "web"]);
        assert_eq!(bars.series.len(), 1);
    }

    #[test]
    fn interval_columns_become_error_bars() {
        let t = table(vec![
            ("segment", text(&["a", "b"])),
            ("nps", numbers(&[-10.0, 20.0])),
            ("nps_ci_low", numbers(&[-15.0, 12.0])),
            ("nps_ci_high", numbers(&[-5.0, 28.0])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Bars(bars)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(bars.series.len(), 1, "the bounds are not measures");
        assert_eq!(
            bars.series[0].intervals,
            Some(vec![Some((-15.0, -5.0)), Some((12.0, 28.0))])
        );
        // The directive's own.
        let d = directive("chart: bar y=nps error=nps_ci_low,nps_ci_high");
        assert!(
            matches!(&charts(&t, Some(&d)).unwrap().charts[0], Chart::Bars(b) if b.series[0].intervals.is_some())
        );
    }

    #[test]
    fn a_cohort_table_is_a_heat_map() {
        let t = table(vec![
            ("cohort", text(&["2026-07-06", "2026-07-13"])),
            ("users", counts(&[10, 20])),
            ("w1", numbers(&[50.0, 40.0])),
            ("w2", numbers(&[45.0, 35.0])),
            ("w3", numbers(&[40.0, f64::NAN])),
            ("w4", numbers(&[35.0, f64::NAN])),
        ]);
        let chosen = charts(&t, None).unwrap().charts;
        let [Chart::Heatmap(heatmap)] = chosen.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(heatmap.columns, ["w1", "w2", "w3", "w4"]);
        assert_eq!(heatmap.values[1], [Some(40.0), Some(35.0), None, None]);
    }

    #[test]
    fn no_numbers_or_no_rows_no_chart() {
        assert_eq!(
            charts(&table(vec![("x", text(&["a"]))]), None).unwrap(),
            Charts::default()
        );
        assert_eq!(
            charts(&table(vec![("n", counts(&[]))]), None).unwrap(),
            Charts::default()
        );
    }

    #[test]
    fn directives_name_real_columns_of_the_right_kind() {
        let t = table(vec![("segment", text(&["a"])), ("n", counts(&[1]))]);
        let error = |text: &str| {
            charts(&t, Some(&directive(text)))
                .unwrap_err()
                .strip_backtrace()
        };
        assert!(
            error("chart: bar y=segment").contains("y=segment: the column is Utf8, not a number")
        );
        assert!(
            error("chart: line x=segment")
                .contains("a line chart's x is a date, a time or a number")
        );
        assert!(
            error("chart: heatmap rows=segment")
                .contains("give all of rows=, columns= and value=, or none")
        );
        assert!(error("chart: heatmap").contains("is not a cohort table"));
        assert!(error("chart: bar series=segment,n").contains("series= takes one column"));
        assert!(error("chart: bar y=n error=n").contains("error= takes two columns: low,high"));
        assert_eq!(
            charts(&t, Some(&directive("chart: table"))).unwrap(),
            Charts::default()
        );
        assert!(Directive::parse("a comment: not a directive").is_none());
        assert!(
            Directive::parse("Chart: bar x")
                .unwrap()
                .unwrap_err()
                .contains("'x' is not key=value")
        );
    }

    /// `paths()` links unnested: (step, event, next_event, users).
    fn links(rows: &[(i64, &str, Option<&str>, i64)]) -> ResultTable {
        let steps: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let events: Vec<&str> = rows.iter().map(|r| r.1).collect();
        let next: ArrayRef = Arc::new(StringArray::from(
            rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        ));
        let users: Vec<i64> = rows.iter().map(|r| r.3).collect();
        table(vec![
            ("l.step", counts(&steps)),
            ("l.event", text(&events)),
            ("l.next_event", next),
            ("l.users", counts(&users)),
        ])
    }

    #[test]
    fn path_links_make_a_flow_with_ends_last() {
        let t = links(&[
            (1, "home", Some("pricing"), 3),
            (1, "home", Some("blog"), 1),
            (1, "home", None, 1),
            (2, "pricing", Some("signup"), 2),
            (2, "blog", None, 1),
            (2, "pricing", None, 1),
        ]);
        let chosen = charts(&t, None).unwrap();
        let [Chart::Flow(flow)] = chosen.charts.as_slice() else {
            panic!("{chosen:?}")
        };
        let names = |column: usize| -> Vec<(String, f64)> {
            flow.columns[column]
                .iter()
                .map(|n| {
                    (
                        crate::report::draw::flow_label(&n.kind).to_string(),
                        n.value,
                    )
                })
                .collect()
        };
        assert_eq!(names(0), [("home".to_string(), 5.0)]);
        // Inflow or outflow, whichever is more: pricing takes 3 in and sends 3 on.
        assert_eq!(
            names(1),
            [
                ("pricing".to_string(), 3.0),
                ("blog".to_string(), 1.0),
                ("(end)".to_string(), 1.0)
            ]
        );
        assert_eq!(
            names(2),
            [("signup".to_string(), 2.0), ("(end)".to_string(), 2.0)]
        );
        let carried: f64 = flow
            .links
            .iter()
            .filter(|l| l.column == 1)
            .map(|l| l.value)
            .sum();
        assert_eq!(carried, 4.0);
        assert!(chosen.notes.is_empty());
        // The directive names the same columns under other names, and a missing one.
        let named = charts(
            &t,
            Some(&directive(
                "chart: flow step=l.step from=l.event to=l.next_event value=l.users",
            )),
        )
        .unwrap();
        assert_eq!(named.charts, chosen.charts);
        let plain = table(vec![("step", counts(&[1])), ("page", text(&["a"]))]);
        let error =
            charts(&plain, Some(&directive("chart: flow step=step from=page"))).unwrap_err();
        assert!(
            error.to_string().contains("name the to column with to="),
            "{error}"
        );
    }

    #[test]
    fn a_flow_merges_the_smaller_events_of_a_step() {
        let rows: Vec<(i64, String, i64)> = (0..14)
            .map(|i| (1, format!("page {i:02}"), 20 - i))
            .collect();
        let rows: Vec<(i64, &str, Option<&str>, i64)> = rows
            .iter()
            .map(|(step, next, users)| (*step, "home", Some(next.as_str()), *users))
            .collect();
        let chosen = charts(&links(&rows), None).unwrap();
        let [Chart::Flow(flow)] = chosen.charts.as_slice() else {
            panic!("{chosen:?}")
        };
        assert_eq!(flow.columns[1].len(), model::MAX_FLOW_NODES + 1);
        let other = flow.columns[1].last().unwrap();
        assert_eq!(other.kind, FlowNodeKind::Other);
        // pages 10 to 13 carry 10 + 9 + 8 + 7 users.
        assert_eq!(other.value, 34.0);
        assert!(
            chosen.notes[0].contains("merged into \"other\""),
            "{:?}",
            chosen.notes
        );
        let svg = crate::report::draw::svg(&chosen.charts[0]).unwrap();
        assert_eq!(
            svg.matches("<polygon").count(),
            14.min(model::MAX_FLOW_NODES + 1),
            "a band per link drawn"
        );
    }
}
