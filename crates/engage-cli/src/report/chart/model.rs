//! What a chart is: bars, lines, a heat map or a flow, with their axes and units, as the page
//! draws them.

use datafusion_engagement::benchmark_band::BenchmarkBand;

use super::super::table::Column;

/// Categories (bars) or series (lines) charted; a note says when there are more.
pub const MAX_CATEGORIES: usize = 100;
pub const MAX_SERIES: usize = 8;
/// Charts a section shows at most.
pub const MAX_PANELS: usize = 4;
/// Nodes a flow draws per step; the smaller ones are merged into one.
pub const MAX_FLOW_NODES: usize = 10;

/// A chart of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Bars(Bars),
    Lines(Lines),
    Heatmap(Heatmap),
    Flow(Flow),
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

/// A flow (Sankey) diagram of paths: a column of nodes per step, the start first, and links
/// between the nodes of neighbouring columns as wide as the value (users) they carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// By column, its nodes, the biggest first.
    pub columns: Vec<Vec<FlowNode>>,
    pub links: Vec<FlowLink>,
    /// What the widths are (`users`).
    pub value: Axis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowNode {
    pub kind: FlowNodeKind,
    /// The most of what flows in and what flows out.
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowNodeKind {
    /// An event (a page) of the paths.
    Event(String),
    /// The smaller events of a step, merged.
    Other,
    /// Where paths end (a NULL next event).
    End,
}

/// What flows from node `from` of column `column` to node `to` of the next column.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLink {
    pub column: usize,
    pub from: usize,
    pub to: usize,
    pub value: f64,
}

/// An axis's title and unit, and the benchmark bands drawn along it.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub title: String,
    pub unit: Option<String>,
    /// The bands of the metric every value on the axis is.
    pub bands: Option<&'static [BenchmarkBand]>,
}

impl Axis {
    pub(super) fn of(columns: &[&Column]) -> Self {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        Self {
            title: names.join(", "),
            unit: common_unit(columns),
            bands: common_bands(columns),
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

/// The benchmark bands all the columns share (the same metric), if any.
pub(super) fn common_bands(columns: &[&Column]) -> Option<&'static [BenchmarkBand]> {
    let first = columns.first()?.benchmark?;
    columns
        .iter()
        .all(|c| c.benchmark.is_some_and(|bands| std::ptr::eq(bands, first)))
        .then_some(first)
}

pub(super) fn common_unit(columns: &[&Column]) -> Option<String> {
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
