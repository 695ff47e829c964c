//! Building the chart models from a result: bars, lines, heat maps and flows.

use std::collections::HashMap;

use super::super::table::{Column, ResultTable, Role};
use super::model::*;
use super::shape::*;

pub(super) fn bars(
    table: &ResultTable,
    categories: &[&Column],
    series: Option<&Column>,
    measures: &[&Column],
    intervals: &[Interval<'_>],
    together: bool,
) -> Charts {
    let mut notes = vec![];
    // The interval of each bar of `measure` (its row, if it has one).
    let interval_of = |measure: &Column, rows: &[Option<usize>]| {
        let interval = intervals.iter().find(|i| i.measure == measure.name)?;
        Some(
            rows.iter()
                .map(|row| {
                    let row = (*row)?;
                    Some((interval.low.numbers[row]?, interval.high.numbers[row]?))
                })
                .collect::<Vec<_>>(),
        )
    };
    let mut charts = vec![];
    match series {
        Some(series) => {
            let row_categories: Vec<String> =
                (0..table.rows).map(|r| row_label(categories, r)).collect();
            let row_series: Vec<String> = (0..table.rows)
                .map(|r| series_label(&[series], r))
                .collect();
            let names = distinct_in_order(row_categories.iter().cloned());
            let series_names = distinct_in_order(row_series.iter().cloned());
            let shown = names.len().min(MAX_CATEGORIES);
            let index_of: HashMap<&str, usize> = names[..shown]
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect();
            for measure in measures {
                let mut chart_series = vec![];
                for name in &series_names {
                    let mut values = vec![None; shown];
                    let mut rows = vec![None; shown];
                    for row in (0..table.rows).filter(|&r| &row_series[r] == name) {
                        if let Some(&index) = index_of.get(row_categories[row].as_str()) {
                            values[index] = measure.numbers[row];
                            rows[index] = Some(row);
                        }
                    }
                    let intervals = interval_of(measure, &rows);
                    chart_series.push(BarSeries {
                        name: name.clone(),
                        values,
                        intervals,
                    });
                }
                charts.push(Chart::Bars(Bars {
                    categories: names[..shown].to_vec(),
                    series: chart_series,
                    axis: Axis::of(&[measure]),
                }));
            }
            if names.len() > shown {
                notes.push(format!(
                    "The first {shown} of {} categories are charted.",
                    names.len()
                ));
            }
        }
        None if categories.is_empty() && table.rows == 1 => {
            // One row of numbers: a bar per measure.
            for panel in panels(measures, false, together) {
                charts.push(Chart::Bars(Bars {
                    categories: panel.iter().map(|m| m.name.clone()).collect(),
                    series: vec![BarSeries {
                        name: String::new(),
                        values: panel.iter().map(|m| m.numbers[0]).collect(),
                        intervals: {
                            let bounds: Vec<Option<(f64, f64)>> = panel
                                .iter()
                                .map(|m| interval_of(m, &[Some(0)]).and_then(|i| i[0]))
                                .collect();
                            bounds.iter().any(Option::is_some).then_some(bounds)
                        },
                    }],
                    axis: Axis {
                        title: String::new(),
                        unit: common_unit(&panel),
                        bands: common_bands(&panel),
                    },
                }));
            }
        }
        None => {
            let shown = table.rows.min(MAX_CATEGORIES);
            let rows: Vec<Option<usize>> = (0..shown).map(Some).collect();
            let names: Vec<String> = if categories.is_empty() {
                (0..shown).map(|r| format!("row {}", r + 1)).collect()
            } else {
                (0..shown).map(|r| row_label(categories, r)).collect()
            };
            for panel in panels(measures, false, together) {
                charts.push(Chart::Bars(Bars {
                    categories: names.clone(),
                    series: panel
                        .iter()
                        .map(|m| BarSeries {
                            name: m.name.clone(),
                            values: m.numbers[..shown].to_vec(),
                            intervals: interval_of(m, &rows),
                        })
                        .collect(),
                    axis: Axis::of(&panel),
                }));
            }
            if table.rows > shown {
                notes.push(format!(
                    "The first {shown} of {} rows are charted.",
                    table.rows
                ));
            }
        }
    }
    Charts {
        charts: limit_panels(charts, &mut notes),
        notes,
    }
}

pub(super) fn lines(
    table: &ResultTable,
    x: &Column,
    series: &[&Column],
    measures: &[&Column],
    together: bool,
) -> Charts {
    let mut notes = vec![];
    let row_series: Vec<String> = (0..table.rows).map(|r| series_label(series, r)).collect();
    let series_names = distinct_in_order(row_series.iter().cloned());
    let shown = series_names.len().min(MAX_SERIES);
    if series_names.len() > shown {
        notes.push(format!(
            "The first {shown} of {} series are charted.",
            series_names.len()
        ));
    }
    let measures: Vec<&Column> = measures
        .iter()
        .filter(|m| m.name != x.name)
        .copied()
        .collect();
    let by_series = !series.is_empty();
    let mut charts = vec![];
    for panel in panels(&measures, by_series, together) {
        let mut lines = vec![];
        for measure in &panel {
            for name in &series_names[..shown] {
                let mut points: Vec<(f64, Option<f64>)> = (0..table.rows)
                    .filter(|&row| &row_series[row] == name)
                    .filter_map(|row| Some((x.numbers[row]?, measure.numbers[row])))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                lines.push(LineSeries {
                    name: if by_series {
                        name.clone()
                    } else {
                        measure.name.clone()
                    },
                    points: points.into_iter().map(|(x, y)| Some((x, y?))).collect(),
                });
            }
        }
        charts.push(Chart::Lines(Lines {
            x: Axis::of(&[x]),
            x_is_time: x.role == Role::Time,
            x_in_months: x.role == Role::Time
                && super::super::table::day_labels_are_months(&x.numbers),
            series: lines,
            y: Axis::of(&panel),
        }));
    }
    Charts {
        charts: limit_panels(charts, &mut notes),
        notes,
    }
}

/// A cohort table: a label column, then four or more numeric columns named a common prefix
/// and consecutive numbers (`w1`, `w2`, …; `month_0`, `month_1`, …).
pub(super) fn wide_cohort_heatmap(table: &ResultTable) -> Option<Charts> {
    let rows_column = table.columns.first().filter(|c| c.role != Role::Measure)?;
    let numbered = |c: &Column| -> Option<(String, u64)> {
        let digits = c.name.len()
            - c.name
                .trim_end_matches(|ch: char| ch.is_ascii_digit())
                .len();
        let (prefix, number) = c.name.split_at(c.name.len() - digits);
        Some((prefix.to_string(), number.parse().ok()?))
    };
    let mut best: Vec<&Column> = vec![];
    let mut run: Vec<&Column> = vec![];
    let mut previous: Option<(String, u64)> = None;
    for column in &table.columns[1..] {
        let current = (column.role == Role::Measure)
            .then(|| numbered(column))
            .flatten();
        let continues =
            matches!((&previous, &current), (Some((p, n)), Some((q, m))) if p == q && *m == n + 1);
        if !continues {
            run.clear();
        }
        if current.is_some() {
            run.push(column);
        }
        if run.len() > best.len() {
            best = run.clone();
        }
        previous = current;
    }
    if best.len() < 4 {
        return None;
    }
    let shown = table.rows.min(MAX_CATEGORIES);
    let mut notes = vec![];
    if table.rows > shown {
        notes.push(format!(
            "The first {shown} of {} rows are charted.",
            table.rows
        ));
    }
    Some(Charts {
        charts: vec![Chart::Heatmap(Heatmap {
            rows: (0..shown).map(|r| row_label(&[rows_column], r)).collect(),
            row_axis: rows_column.name.clone(),
            columns: best.iter().map(|c| c.name.clone()).collect(),
            column_axis: String::new(),
            values: (0..shown)
                .map(|r| best.iter().map(|c| c.numbers[r]).collect())
                .collect(),
            // Colours carry the values: no bands on a heat map.
            value: Axis {
                title: String::new(),
                unit: common_unit(&best),
                bands: None,
            },
        })],
        notes,
    })
}

/// A long table (one row per cohort and period) as a heat map.
pub(super) fn long_heatmap(
    table: &ResultTable,
    rows: &Column,
    columns: &Column,
    value: &Column,
) -> Charts {
    let row_of: Vec<String> = (0..table.rows).map(|r| row_label(&[rows], r)).collect();
    let column_of: Vec<String> = (0..table.rows).map(|r| row_label(&[columns], r)).collect();
    let row_names = distinct_in_order(row_of.iter().cloned());
    let mut column_names = distinct_in_order(column_of.iter().cloned());
    if !columns.numbers.is_empty() {
        // Numbered periods in numeric order.
        let position = |name: &String| {
            (0..table.rows)
                .find(|&r| &column_of[r] == name)
                .and_then(|r| columns.numbers[r])
                .unwrap_or(f64::INFINITY)
        };
        column_names.sort_by(|a, b| position(a).total_cmp(&position(b)));
    }
    let shown = row_names.len().min(MAX_CATEGORIES);
    let index = |names: &[String]| -> HashMap<String, usize> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect()
    };
    let (row_index, column_index) = (index(&row_names[..shown]), index(&column_names));
    let mut values = vec![vec![None; column_names.len()]; shown];
    for row in 0..table.rows {
        if let (Some(&r), Some(&c)) = (
            row_index.get(&row_of[row]),
            column_index.get(&column_of[row]),
        ) {
            values[r][c] = value.numbers[row];
        }
    }
    let mut notes = vec![];
    if row_names.len() > shown {
        notes.push(format!(
            "The first {shown} of {} rows are charted.",
            row_names.len()
        ));
    }
    Charts {
        charts: vec![Chart::Heatmap(Heatmap {
            rows: row_names[..shown].to_vec(),
            row_axis: rows.name.clone(),
            columns: column_names,
            column_axis: columns.name.clone(),
            values,
            value: Axis::of(&[value]),
        })],
        notes,
    }
}

/// The flow of a table of links, a row each: `step` (1 for the links from the start), `from`
/// the event, `to` the next one (NULL: the paths end), `value` what the link carries. Each
/// step's [`MAX_FLOW_NODES`] biggest nodes are drawn, the others merged.
pub(super) fn flow(
    table: &ResultTable,
    step: &Column,
    from: &Column,
    to: &Column,
    value: &Column,
) -> Charts {
    // (column of `from`, from, to, value) per usable row.
    let mut rows = vec![];
    let first_step = (0..table.rows)
        .filter_map(|r| step.numbers[r])
        .fold(f64::INFINITY, f64::min);
    for r in 0..table.rows {
        let (Some(step), Some(from), Some(value)) =
            (step.numbers[r], from.text[r].as_ref(), value.numbers[r])
        else {
            continue;
        };
        if value > 0.0 && step.fract() == 0.0 && step - first_step < 1000.0 {
            let to = to.text[r]
                .clone()
                .map_or(FlowNodeKind::End, FlowNodeKind::Event);
            rows.push((
                (step - first_step) as usize,
                FlowNodeKind::Event(from.clone()),
                to,
                value,
            ));
        }
    }
    if rows.is_empty() {
        return Charts::default();
    }
    let columns = rows.iter().map(|row| row.0).max().unwrap_or(0) + 2;
    // Each node's inflow and outflow, by column.
    let mut flows: Vec<HashMap<FlowNodeKind, (f64, f64)>> = vec![HashMap::new(); columns];
    for (column, from, to, value) in &rows {
        flows[*column].entry(from.clone()).or_default().1 += value;
        flows[column + 1].entry(to.clone()).or_default().0 += value;
    }
    let mut merged = false;
    let mut kept: Vec<HashMap<FlowNodeKind, usize>> = vec![];
    let mut nodes: Vec<Vec<FlowNode>> = vec![];
    for column in flows {
        // The biggest events first, ties by name; then the merged ones, then the ends.
        let (ends, mut events): (Vec<FlowNode>, Vec<FlowNode>) = column
            .into_iter()
            .map(|(kind, (inflow, outflow))| FlowNode {
                kind,
                value: inflow.max(outflow),
            })
            .partition(|node| node.kind == FlowNodeKind::End);
        events.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.kind.cmp(&b.kind)));
        if events.len() > MAX_FLOW_NODES {
            merged = true;
            let value = events.drain(MAX_FLOW_NODES..).map(|node| node.value).sum();
            events.push(FlowNode {
                kind: FlowNodeKind::Other,
                value,
            });
        }
        let mut column_nodes = events;
        column_nodes.extend(ends);
        let index: HashMap<FlowNodeKind, usize> = column_nodes
            .iter()
            .enumerate()
            .map(|(place, node)| (node.kind.clone(), place))
            .collect();
        kept.push(index);
        nodes.push(column_nodes);
    }
    // Links between the nodes drawn; a merged node's links go to and from "other".
    let place = |column: usize, kind: &FlowNodeKind| {
        kept[column]
            .get(kind)
            .or_else(|| kept[column].get(&FlowNodeKind::Other))
            .copied()
    };
    let mut totals: HashMap<(usize, usize, usize), f64> = HashMap::new();
    for (column, from, to, value) in &rows {
        if let (Some(from), Some(to)) = (place(*column, from), place(column + 1, to)) {
            *totals.entry((*column, from, to)).or_default() += value;
        }
    }
    let mut links: Vec<FlowLink> = totals
        .into_iter()
        .map(|((column, from, to), value)| FlowLink {
            column,
            from,
            to,
            value,
        })
        .collect();
    links.sort_by_key(|l| (l.column, l.from, l.to));
    let mut notes = vec![];
    if merged {
        notes.push(format!(
            "Each step's {MAX_FLOW_NODES} biggest events are drawn; the others are merged into \"other\"."
        ));
    }
    Charts {
        charts: vec![Chart::Flow(Flow {
            columns: nodes,
            links,
            value: Axis::of(&[value]),
        })],
        notes,
    }
}
