//! Which chart a result gets: the `-- chart:` directive above its statement, or a choice made
//! from the result's shape (see the README's "HTML reports").

use std::collections::{HashMap, HashSet};

use datafusion::error::{DataFusionError, Result};

use super::table::{Column, ResultTable, Role};

/// Categories (bars) or series (lines) charted; a note says when there are more.
pub const MAX_CATEGORIES: usize = 100;
pub const MAX_SERIES: usize = 8;
/// Charts a section shows at most.
pub const MAX_PANELS: usize = 4;

/// A chart of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Bars(Bars),
    Lines(Lines),
    Heatmap(Heatmap),
}

/// Horizontal bars: a group of bars per category, one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub axis: Axis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
    /// Each bar's interval (low, high), drawn as an error bar.
    pub intervals: Option<Vec<Option<(f64, f64)>>>,
}

/// Lines over a time (or numeric) axis, one per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Lines {
    pub x: Axis,
    /// The x values are days since 1970-01-01, labelled as dates (months when every point is
    /// a first of month).
    pub x_is_time: bool,
    pub x_in_months: bool,
    pub series: Vec<LineSeries>,
    pub y: Axis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineSeries {
    pub name: String,
    /// (x, y) in x order; a NULL breaks the line.
    pub points: Vec<Option<(f64, f64)>>,
}

/// A table of coloured cells: cohorts (rows) × periods (columns); NULL cells stay empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub rows: Vec<String>,
    pub row_axis: String,
    pub columns: Vec<String>,
    pub column_axis: String,
    pub values: Vec<Vec<Option<f64>>>,
    pub value: Axis,
}

/// An axis's title and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub title: String,
    pub unit: Option<String>,
}

impl Axis {
    fn of(columns: &[&Column]) -> Self {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        Self {
            title: names.join(", "),
            unit: common_unit(columns),
        }
    }

    /// `nps (NPS)`, `churn_pct (%)`; the unit alone without a title.
    pub fn label(&self) -> String {
        match &self.unit {
            Some(unit) if self.title.is_empty() => unit.clone(),
            Some(unit) => format!("{} ({unit})", self.title),
            None => self.title.clone(),
        }
    }
}

fn common_unit(columns: &[&Column]) -> Option<String> {
    let first = columns.first()?.unit.clone()?;
    columns
        .iter()
        .all(|c| c.unit.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The charts of a result and notes about what they leave out.
#[derive(Debug, Default, PartialEq)]
pub struct Charts {
    pub charts: Vec<Chart>,
    pub notes: Vec<String>,
}

/// A `-- chart: KIND key=value …` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub text: String,
    pub kind: Kind,
    pub options: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bar,
    Line,
    Heatmap,
    Table,
}

impl Kind {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Bar => &["x", "y", "series", "error"],
            Self::Line => &["x", "y", "series"],
            Self::Heatmap => &["rows", "columns", "value"],
            Self::Table => &[],
        }
    }
}

impl Directive {
    /// The directive of a comment line, if it is one (`chart:` in any case); a malformed one
    /// is an error that shows what is expected.
    pub fn parse(line: &str) -> Option<Result<Self, String>> {
        let trimmed = line.trim();
        let rest = trimmed
            .get(..6)
            .filter(|head| head.eq_ignore_ascii_case("chart:"))
            .map(|_| &trimmed[6..])?;
        Some(Self::parse_words(trimmed, rest))
    }

    fn parse_words(text: &str, rest: &str) -> Result<Self, String> {
        let mut words = rest.split_whitespace();
        let kind = match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("bar" | "bars") => Kind::Bar,
            Some("line" | "lines") => Kind::Line,
            Some("heatmap") => Kind::Heatmap,
            Some("table" | "none") => Kind::Table,
            other => {
                return Err(format!(
                    "chart directive '{text}': {} is not a chart kind; expected bar, line, \
                     heatmap or table",
                    other.map_or("nothing".to_string(), |k| format!("'{k}'"))
                ));
            }
        };
        let mut options = vec![];
        for word in words {
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!(
                    "chart directive '{text}': '{word}' is not key=value (e.g. x=segment)"
                ));
            };
            let key = key.to_ascii_lowercase();
            if !kind.keys().contains(&key.as_str()) {
                return Err(format!(
                    "chart directive '{text}': a {kind:?} chart takes no '{key}'; it takes {}",
                    if kind.keys().is_empty() {
                        "no options".to_string()
                    } else {
                        kind.keys().join(", ")
                    }
                ));
            }
            let values: Vec<String> = value.split(',').map(str::to_string).collect();
            if values.iter().any(String::is_empty) {
                return Err(format!(
                    "chart directive '{text}': '{word}' names an empty column"
                ));
            }
            options.push((key, values));
        }
        Ok(Self {
            text: text.to_string(),
            kind,
            options,
        })
    }

    fn option(&self, key: &str) -> Option<&[String]> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    fn error(&self, message: impl std::fmt::Display) -> DataFusionError {
        DataFusionError::Plan(format!("chart directive '{}': {message}", self.text))
    }

    /// The named columns of the result; an unknown one is an error listing the columns.
    fn columns<'a>(&self, table: &'a ResultTable, key: &str) -> Result<Option<Vec<&'a Column>>> {
        let Some(names) = self.option(key) else {
            return Ok(None);
        };
        names
            .iter()
            .map(|name| {
                table.column(name).ok_or_else(|| {
                    self.error(format!(
                        "{key}={name}: the result has no column '{name}' (its columns: {})",
                        table
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn numeric_columns<'a>(
        &self,
        table: &'a ResultTable,
        key: &str,
    ) -> Result<Option<Vec<&'a Column>>> {
        let columns = self.columns(table, key)?;
        for column in columns.iter().flatten() {
            if column.numbers.is_empty() || column.role == Role::Time && key != "x" {
                return Err(self.error(format!(
                    "{key}={}: the column is {}, not a number",
                    column.name, column.data_type
                )));
            }
        }
        Ok(columns)
    }
}

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

/// A measure's interval: the columns of its low and high bounds.
#[derive(Debug, Clone)]
struct Interval<'a> {
    measure: String,
    low: &'a Column,
    high: &'a Column,
}

/// The numeric columns to chart, and the intervals among them: `X_ci_low`/`X_ci_high` belong
/// to `X`; `ci_low`/`ci_high` (or a STRUCT's `s.ci_low`/`s.ci_high`) to the nearest
/// non-integer measure before them (in the same STRUCT, of the same unit). Interval bounds and standard errors
/// are not charted as measures of their own. When some measures have a known unit, only those
/// are charted.
fn measures_and_intervals(table: &ResultTable) -> (Vec<&Column>, Vec<Interval<'_>>) {
    let mut intervals = vec![];
    let mut bounds: HashSet<&str> = HashSet::new();
    for (index, low) in table.columns.iter().enumerate() {
        let Some(prefix) = low.name.strip_suffix("ci_low") else {
            continue;
        };
        let Some(high) = table.column(&format!("{prefix}ci_high")) else {
            continue;
        };
        if low.role != Role::Measure || high.role != Role::Measure {
            continue;
        }
        let measure = if let Some(measure) = prefix.strip_suffix('_').filter(|m| !m.is_empty()) {
            table.column(measure).map(|c| c.name.clone())
        } else {
            // Not a count, not the standard error, and in the bounds' unit when they have one
            // (a `_summary` STRUCT: `s.nps` for `s.ci_low`).
            table.columns[..index]
                .iter()
                .rev()
                .take_while(|c| c.name.starts_with(prefix))
                .find(|c| {
                    c.role == Role::Measure
                        && !c.data_type.is_integer()
                        && !c.name.ends_with("std_error")
                        && (low.unit.is_none() || c.unit == low.unit)
                })
                .map(|c| c.name.clone())
        };
        if let Some(measure) = measure {
            bounds.insert(&low.name);
            bounds.insert(&high.name);
            intervals.push(Interval { measure, low, high });
        }
    }
    let measures: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| c.role == Role::Measure && !bounds.contains(c.name.as_str()))
        .filter(|c| !c.name.ends_with("std_error"))
        .collect();
    let with_units: Vec<&Column> = measures
        .iter()
        .filter(|c| c.unit.is_some())
        .copied()
        .collect();
    if with_units.is_empty() {
        (measures, intervals)
    } else {
        (with_units, intervals)
    }
}

fn distinct_count(column: &Column) -> usize {
    column.text.iter().collect::<HashSet<_>>().len()
}

/// The label column that splits bars into series: the last of two or more, with 2 to
/// [`MAX_SERIES`] values each found on several rows, when the labels together are unique per
/// row (segment × tier; not a column of text that differs on every row).
fn series_column<'a>(table: &ResultTable, labels: &[&'a Column]) -> Option<&'a Column> {
    let [first, .., last] = labels else {
        return None;
    };
    let values = distinct_count(last);
    let unique = |columns: &[&Column]| {
        let rows: HashSet<Vec<&Option<String>>> = (0..table.rows)
            .map(|row| columns.iter().map(|c| &c.text[row]).collect())
            .collect();
        rows.len() == table.rows
    };
    ((2..=MAX_SERIES).contains(&values)
        && values < table.rows
        && !unique(&[first])
        && unique(labels))
    .then_some(*last)
}

/// The fewest leading label columns that tell the rows apart (all of them when none do).
fn identifying_prefix<'a>(table: &ResultTable, labels: &[&'a Column]) -> Vec<&'a Column> {
    for end in 1..labels.len() {
        let rows: HashSet<Vec<&Option<String>>> = (0..table.rows)
            .map(|row| labels[..end].iter().map(|c| &c.text[row]).collect())
            .collect();
        if rows.len() == table.rows {
            return labels[..end].to_vec();
        }
    }
    labels.to_vec()
}

fn row_label(columns: &[&Column], row: usize) -> String {
    columns
        .iter()
        .map(|c| c.text[row].as_deref().unwrap_or("NULL"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A series' name: its label, with the column's name before a number (`step 2`).
fn series_label(columns: &[&Column], row: usize) -> String {
    let label = row_label(columns, row);
    match columns {
        [column] if column.is_numeric() => format!("{} {label}", column.name),
        _ => label,
    }
}

/// Values in first-seen order.
fn distinct_in_order(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

/// Groups `measures` into charts: by series (one chart per measure), all in one (the columns
/// a directive names, `together`), or by unit (one chart per unit, its measures side by side).
fn panels<'a>(measures: &[&'a Column], by_series: bool, together: bool) -> Vec<Vec<&'a Column>> {
    if by_series {
        return measures.iter().map(|m| vec![*m]).collect();
    }
    if together {
        return vec![measures.to_vec()];
    }
    let mut panels: Vec<Vec<&Column>> = vec![];
    for measure in measures {
        match panels
            .iter_mut()
            .find(|p| measure.unit.is_some() && p[0].unit == measure.unit)
        {
            Some(panel) => panel.push(measure),
            None => panels.push(vec![measure]),
        }
    }
    panels
}

fn limit_panels(mut charts: Vec<Chart>, notes: &mut Vec<String>) -> Vec<Chart> {
    if charts.len() > MAX_PANELS {
        notes.push(format!(
            "{} of {} charts shown; name the columns to chart with a `-- chart:` directive",
            MAX_PANELS,
            charts.len()
        ));
        charts.truncate(MAX_PANELS);
    }
    charts
}

fn bars(
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

fn lines(
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
            x_in_months: x.role == Role::Time && super::table::day_labels_are_months(&x.numbers),
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
fn wide_cohort_heatmap(table: &ResultTable) -> Option<Charts> {
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
            value: Axis {
                title: String::new(),
                unit: common_unit(&best),
            },
        })],
        notes,
    })
}

/// A long table (one row per cohort and period) as a heat map.
fn long_heatmap(table: &ResultTable, rows: &Column, columns: &Column, value: &Column) -> Charts {
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};

    use super::*;

    fn table(columns: Vec<(&str, ArrayRef)>) -> ResultTable {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        ResultTable::new(
            batch.schema(),
            std::slice::from_ref(&batch),
            batch.num_rows(),
            &HashMap::new(),
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
}
