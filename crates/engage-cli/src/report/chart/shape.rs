//! Reading a result's shape: which columns are measures and intervals, which label makes the
//! series, how measures share panels.

use std::collections::HashSet;

use super::super::table::{Column, ResultTable, Role};
use super::model::{Chart, MAX_PANELS, MAX_SERIES};

/// A measure's interval: the columns of its low and high bounds.
#[derive(Debug, Clone)]
pub(super) struct Interval<'a> {
    pub(super) measure: String,
    pub(super) low: &'a Column,
    pub(super) high: &'a Column,
}

/// The numeric columns to chart, and the intervals among them: `X_ci_low`/`X_ci_high` belong
/// to `X`; `ci_low`/`ci_high` (or a STRUCT's `s.ci_low`/`s.ci_high`) to the nearest
/// non-integer measure before them (in the same STRUCT, of the same unit). Interval bounds and standard errors
/// are not charted as measures of their own. When some measures have a known unit, only those
/// are charted.
pub(super) fn measures_and_intervals(table: &ResultTable) -> (Vec<&Column>, Vec<Interval<'_>>) {
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

pub(super) fn distinct_count(column: &Column) -> usize {
    column.text.iter().collect::<HashSet<_>>().len()
}

/// The label column that splits bars into series: the last of two or more, with 2 to
/// [`MAX_SERIES`] values each found on several rows, when the labels together are unique per
/// row (segment × tier; not a column of text that differs on every row).
pub(super) fn series_column<'a>(table: &ResultTable, labels: &[&'a Column]) -> Option<&'a Column> {
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
pub(super) fn identifying_prefix<'a>(
    table: &ResultTable,
    labels: &[&'a Column],
) -> Vec<&'a Column> {
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

pub(super) fn row_label(columns: &[&Column], row: usize) -> String {
    columns
        .iter()
        .map(|c| c.text[row].as_deref().unwrap_or("NULL"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A series' name: its label, with the column's name before a number (`step 2`).
pub(super) fn series_label(columns: &[&Column], row: usize) -> String {
    let label = row_label(columns, row);
    match columns {
        [column] if column.is_numeric() => format!("{} {label}", column.name),
        _ => label,
    }
}

/// Values in first-seen order.
pub(super) fn distinct_in_order(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

/// Groups `measures` into charts: by series (one chart per measure), all in one (the columns
/// a directive names, `together`), or by unit (one chart per unit, its measures side by side).
pub(super) fn panels<'a>(
    measures: &[&'a Column],
    by_series: bool,
    together: bool,
) -> Vec<Vec<&'a Column>> {
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

pub(super) fn limit_panels(mut charts: Vec<Chart>, notes: &mut Vec<String>) -> Vec<Chart> {
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
