//! Charts drawn as SVG with plotters. No font library: plotters estimates text widths for
//! the layout, and the browser draws the text with its own sans-serif font.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use datafusion_engagement::benchmark_band::BenchmarkBand;

use super::chart::{Bars, Chart, Flow, FlowLink, FlowNodeKind, Heatmap, Lines};
use super::table::date_of_day;

/// The benchmark bands' tints, light enough for bars and lines to read over them, taking turns
/// so that neighbouring bands differ.
const BAND_TINTS: [RGBColor; 2] = [RGBColor(236, 240, 245), RGBColor(246, 247, 249)];
const BAND_LABEL: RGBColor = RGBColor(110, 118, 128);
/// The room a bar chart keeps above its top bar for the bands' labels, in rows.
const BAND_LABEL_ROOM: f64 = 0.5;

/// The parts of a metric's benchmark bands within the values `low..high` an axis shows: (from,
/// to, the band's place, label).
fn visible_bands(
    bands: &[BenchmarkBand],
    low: f64,
    high: f64,
) -> Vec<(f64, f64, usize, &'static str)> {
    let mut from = f64::NEG_INFINITY;
    let mut visible = vec![];
    for (place, band) in bands.iter().enumerate() {
        let (start, end) = (from.max(low), band.upper.min(high));
        if start < end {
            visible.push((start, end, place, band.label));
        }
        from = band.upper;
    }
    visible
}

/// The Okabe–Ito palette, told apart with any colour vision; yellow last, as it is faint on
/// white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

pub fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// `#0072b2`, for the HTML legend.
pub fn css_colour(index: usize) -> String {
    let RGBColor(r, g, b) = colour(index);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The heat maps' colour scale as a CSS gradient, for the legend.
pub fn viridis_gradient() -> String {
    let stops: Vec<String> = (0..=8)
        .map(|i| {
            let RGBColor(r, g, b) = ViridisRGB.get_color_normalized(f64::from(i), 0.0, 8.0);
            format!("#{r:02x}{g:02x}{b:02x}")
        })
        .collect();
    format!("linear-gradient(to right, {})", stops.join(", "))
}

const WIDTH: u32 = 760;
const FONT: &str = "sans-serif";
/// Characters of a category label shown on an axis (the table has it whole).
const LABEL_CHARS: usize = 28;
/// A line's points are dotted up to this many.
const MAX_DOTTED_POINTS: usize = 60;

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut svg = String::new();
    let size = size(chart);
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| match chart {
                Chart::Bars(bars) => draw_bars(&root, bars),
                Chart::Lines(lines) => draw_lines(&root, lines),
                Chart::Heatmap(heatmap) => draw_heatmap(&root, heatmap),
                Chart::Flow(flow) => draw_flow(&root, flow),
            })
            .and_then(|()| root.present().map_err(Into::into));
        drawn.map_err(|e| format!("cannot draw the chart: {e}"))?;
    }
    Ok(svg)
}

fn size(chart: &Chart) -> (u32, u32) {
    let rows = |n: usize, per_row: u32| 70 + n as u32 * per_row;
    match chart {
        Chart::Bars(bars) => {
            let band = (8 + 14 * bars.series.len() as u32).max(22);
            let labels = if bars.axis.bands.is_some() { 14 } else { 0 };
            (WIDTH, rows(bars.categories.len(), band) + labels)
        }
        Chart::Lines(_) => (WIDTH, 340),
        Chart::Heatmap(heatmap) => (WIDTH, rows(heatmap.rows.len(), 24) + 20),
        Chart::Flow(flow) => {
            let nodes = flow.columns.iter().map(Vec::len).max().unwrap_or(1);
            (WIDTH, rows(nodes, 34).max(260))
        }
    }
}

/// `label` cut to [`LABEL_CHARS`] characters by an ellipsis in the middle: labels that differ
/// only at their end (`… 2026 Q3`, `… 101`) stay told apart.
pub fn shorten(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= LABEL_CHARS {
        return label.to_string();
    }
    let head = LABEL_CHARS / 2;
    let tail = LABEL_CHARS - head - 1;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{}…{}", start.trim_end(), end.trim_start())
}

/// Pixels for a column of labels in 12 px text.
fn label_width(labels: &[String]) -> u32 {
    let longest = labels
        .iter()
        .map(|l| shorten(l).chars().count())
        .max()
        .unwrap_or(0);
    (longest as u32 * 7 + 12).clamp(30, 230)
}

/// An axis number: grouped thousands, no needless decimals, the unit when it is `%`.
pub fn axis_number(value: f64, unit: Option<&str>) -> String {
    let text = if value.abs() >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value.abs() >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let text = if text == "-0" { "0".to_string() } else { text };
    match unit {
        Some("%") => format!("{text}%"),
        _ => text,
    }
}

/// The range `values` span, with 0 and a margin.
fn value_range(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    if include_zero {
        low = low.min(0.0);
        high = high.max(0.0);
    }
    let margin = ((high - low) * 0.06).max(if high == low { 1.0 } else { 0.0 });
    (
        if include_zero && low == 0.0 {
            0.0
        } else {
            low - margin
        },
        if include_zero && high == 0.0 {
            0.0
        } else {
            high + margin
        },
    )
}

/// A numeric axis with the ticks given: each category's position, or a line chart's x values
/// (plotters' own f64 axis picks round numbers).
struct TickedAxis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl TickedAxis {
    /// `n` categories at 0, 1, … n − 1.
    fn categories(n: usize) -> Self {
        Self {
            range: -0.5..(n as f64 - 0.5),
            ticks: (0..n).map(|i| i as f64).collect(),
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (fraction * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold lines and labels at the ticks; no light lines between them.
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Ticks of a line chart's x axis: at the data's own x values (the months, the weeks), at most
/// ten of them, evenly picked.
fn x_ticks(xs: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut xs: Vec<f64> = xs.collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let step = xs.len().div_ceil(10).max(1);
    xs.into_iter().step_by(step).collect()
}

/// The label of category axis position `value` (categories drawn top to bottom).
fn category_at(labels: &[String], value: f64) -> String {
    label_at(labels, labels.len() as f64 - 1.0 - value)
}

/// The label at axis position `index` (0, 1, … for the labels in order), shortened; none
/// between positions.
fn label_at(labels: &[String], index: f64) -> String {
    if (index - index.round()).abs() > 1e-6 || index < -0.5 {
        return String::new();
    }
    labels
        .get(index.round() as usize)
        .map(|l| shorten(l))
        .unwrap_or_default()
}

/// The axis text and grid lines of the bar and line charts.
fn grid_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(text_style(14))
        .axis_desc_style(text_style(15))
        .max_light_lines(1)
        .light_line_style(RGBColor(244, 244, 244))
        .bold_line_style(RGBColor(225, 225, 225))
}

fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&RGBColor(60, 60, 60))
}

fn draw_bars(root: &DrawingArea<SVGBackend, Shift>, bars: &Bars) -> DrawResult<()> {
    let categories = bars.categories.len();
    let values = bars.series.iter().flat_map(|s| {
        let intervals = s
            .intervals
            .iter()
            .flatten()
            .flatten()
            .flat_map(|(l, h)| [*l, *h]);
        s.values.iter().flatten().copied().chain(intervals)
    });
    let (low, high) = value_range(values, true);
    let unit = bars.axis.unit.as_deref();
    let label = bars.axis.label();
    let mut rows = TickedAxis::categories(categories);
    if bars.axis.bands.is_some() {
        // Room above the bars for the bands' labels.
        rows.range.end += BAND_LABEL_ROOM * 1.6;
    }
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(if label.is_empty() { 24 } else { 44 })
        .y_label_area_size(label_width(&bars.categories))
        .build_cartesian_2d(low..high, rows)?;
    grid_style(
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(categories)
            .y_label_formatter(&|v| category_at(&bars.categories, *v))
            .x_labels(7)
            .x_label_formatter(&|v| axis_number(*v, unit))
            .x_desc(label),
    )
    .draw()?;
    if let Some(bands) = bars.axis.bands {
        // Behind the bars: each band across every category, its label above them.
        let top = categories as f64 - 0.5 + BAND_LABEL_ROOM * 1.6;
        for (from, to, place, label) in visible_bands(bands, low, high) {
            let tint = BAND_TINTS[place % BAND_TINTS.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(from, -0.5), (to, top)],
                tint.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                label.to_string(),
                ((from + to) / 2.0, top),
                text_style(11)
                    .color(&BAND_LABEL)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            )))?;
        }
    }
    let groups = bars.series.len().max(1) as f64;
    // Each category's band is 0.8 of its row, shared by its series.
    let bar = 0.8 / groups;
    for (s, series) in bars.series.iter().enumerate() {
        let colour = colour(s);
        let top = |i: usize| (categories - 1 - i) as f64 + 0.4 - s as f64 * bar;
        chart.draw_series(series.values.iter().enumerate().filter_map(|(i, v)| {
            let v = (*v)?;
            Some(Rectangle::new(
                [(0.0, top(i)), (v, top(i) - bar * 0.92)],
                colour.filled(),
            ))
        }))?;
        if let Some(intervals) = &series.intervals {
            chart.draw_series(intervals.iter().enumerate().filter_map(|(i, interval)| {
                let (l, h) = (*interval)?;
                let middle = series.values[i].unwrap_or((l + h) / 2.0);
                Some(ErrorBar::new_horizontal(
                    top(i) - bar * 0.46,
                    l,
                    middle,
                    h,
                    RGBColor(40, 40, 40).stroke_width(1),
                    (bar * 12.0).clamp(4.0, 10.0) as u32,
                ))
            }))?;
        }
    }
    if low < 0.0 {
        // The zero line, which negative bars (an NPS below 0) grow from.
        chart.draw_series(std::iter::once(PathElement::new(
            [(0.0, -0.5), (0.0, categories as f64 - 0.5)],
            RGBColor(90, 90, 90).stroke_width(1),
        )))?;
    }
    Ok(())
}

/// A day as a label: the month, the date, or the date and hour.
fn day_label(day: f64, months: bool) -> String {
    match date_of_day(day) {
        Some(date) if months => date.format("%Y-%m").to_string(),
        Some(date) if day.fract().abs() < 1e-9 => date.to_string(),
        Some(date) => format!("{date} {:02}:00", (day.fract() * 24.0).floor() as u32),
        None => String::new(),
    }
}

fn draw_lines(root: &DrawingArea<SVGBackend, Shift>, lines: &Lines) -> DrawResult<()> {
    let points = || lines.series.iter().flat_map(|s| s.points.iter().flatten());
    let (mut x_low, mut x_high) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
        (l.min(p.0), h.max(p.0))
    });
    if !x_low.is_finite() {
        (x_low, x_high) = (0.0, 1.0);
    }
    if x_low == x_high {
        (x_low, x_high) = (x_low - 1.0, x_high + 1.0);
    }
    let pad = (x_high - x_low) * 0.03;
    let (y_low, y_high) = value_range(points().map(|p| p.1), false);
    let unit = lines.y.unit.as_deref();
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            TickedAxis {
                range: (x_low - pad)..(x_high + pad),
                ticks: x_ticks(points().map(|p| p.0)),
            },
            y_low..y_high,
        )?;
    let x_label = |v: &f64| {
        if lines.x_is_time {
            day_label(*v, lines.x_in_months)
        } else {
            axis_number(*v, lines.x.unit.as_deref())
        }
    };
    grid_style(
        chart
            .configure_mesh()
            .x_label_formatter(&x_label)
            .y_labels(7)
            .y_label_formatter(&|v| axis_number(*v, unit))
            .x_desc(lines.x.label())
            .y_desc(lines.y.label()),
    )
    .draw()?;
    if let Some(bands) = lines.y.bands {
        // Behind the lines: each band across the x axis, its label at the left.
        let (left, right) = (x_low - pad, x_high + pad);
        for (from, to, place, label) in visible_bands(bands, y_low, y_high) {
            let tint = BAND_TINTS[place % BAND_TINTS.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(left, from), (right, to)],
                tint.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                label.to_string(),
                (left, to),
                text_style(11)
                    .color(&BAND_LABEL)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
        }
    }
    for (s, series) in lines.series.iter().enumerate() {
        let colour = colour(s);
        // A NULL breaks the line into pieces.
        for piece in series.points.split(Option::is_none) {
            let piece: Vec<(f64, f64)> = piece.iter().flatten().copied().collect();
            chart.draw_series(LineSeries::new(piece.clone(), colour.stroke_width(2)))?;
            // Dots mark the points while they are few enough to tell apart.
            if series.points.len() <= MAX_DOTTED_POINTS {
                chart.draw_series(
                    piece
                        .into_iter()
                        .map(|p| Circle::new(p, 3, colour.filled())),
                )?;
            }
        }
    }
    Ok(())
}

fn draw_heatmap(root: &DrawingArea<SVGBackend, Shift>, heatmap: &Heatmap) -> DrawResult<()> {
    let (rows, columns) = (heatmap.rows.len(), heatmap.columns.len());
    let values = || heatmap.values.iter().flatten().flatten().copied();
    let low = values().fold(f64::INFINITY, f64::min);
    let high = values().fold(f64::NEG_INFINITY, f64::max);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(label_width(&heatmap.rows))
        .build_cartesian_2d(
            TickedAxis::categories(columns),
            TickedAxis::categories(rows),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(columns)
        .x_label_formatter(&|v| label_at(&heatmap.columns, *v))
        .y_labels(rows)
        .y_label_formatter(&|v| category_at(&heatmap.rows, *v))
        .x_desc(&heatmap.column_axis)
        .y_desc(&heatmap.row_axis)
        .label_style(text_style(14))
        .axis_desc_style(text_style(15))
        .draw()?;
    let unit = heatmap.value.unit.as_deref();
    for (r, row) in heatmap.values.iter().enumerate() {
        let y = (rows - 1 - r) as f64;
        for (c, value) in row.iter().enumerate() {
            let Some(value) = *value else { continue };
            let x = c as f64;
            let fill = if high > low {
                ViridisRGB.get_color_normalized(value, low, high)
            } else {
                ViridisRGB.get_color_normalized(0.5, 0.0, 1.0)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.48, y - 0.46), (x + 0.48, y + 0.46)],
                fill.filled(),
            )))?;
            // Dark text on the light (yellow, green) end of viridis, white on the dark end.
            let RGBColor(red, green, blue) = fill;
            let light =
                0.299 * f64::from(red) + 0.587 * f64::from(green) + 0.114 * f64::from(blue) > 140.0;
            let style = (FONT, 11)
                .into_font()
                .color(if light { &BLACK } else { &WHITE })
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series(std::iter::once(Text::new(
                axis_number(value, unit),
                (x, y),
                style,
            )))?;
        }
    }
    Ok(())
}

/// A flow's node colours: an event keeps its colour in every column; the merged events and
/// the ends of paths are grey.
fn flow_colour(kind: &FlowNodeKind, events: &[&str]) -> RGBColor {
    match kind {
        FlowNodeKind::Event(name) => colour(events.iter().position(|e| e == name).unwrap_or(0)),
        FlowNodeKind::Other => RGBColor(185, 185, 185),
        FlowNodeKind::End => RGBColor(120, 120, 120),
    }
}

/// A flow's node as its label says it: the event, "other" or "(end)".
pub fn flow_label(kind: &FlowNodeKind) -> &str {
    match kind {
        FlowNodeKind::Event(name) => name,
        FlowNodeKind::Other => "other",
        FlowNodeKind::End => "(end)",
    }
}

/// A flow: a column of nodes per step, stacked biggest first, and each link a band from its
/// node to the next column's, as wide as its value, curved as an S.
fn draw_flow(root: &DrawingArea<SVGBackend, Shift>, flow: &Flow) -> DrawResult<()> {
    const NODE_WIDTH: i32 = 12;
    const GAP: f64 = 10.0;
    const TOP: i32 = 28;
    let (width, height) = root.dim_in_pixel();
    let (left, right, bottom) = (12, 12, 12);
    let columns = flow.columns.len().max(2);
    let events: Vec<&str> = {
        let mut seen = vec![];
        for node in flow.columns.iter().flatten() {
            if let FlowNodeKind::Event(name) = &node.kind
                && !seen.contains(&name.as_str())
            {
                seen.push(name.as_str());
            }
        }
        seen
    };
    let x_of = |column: usize| {
        left + (column as i32) * (width as i32 - left - right - NODE_WIDTH) / (columns as i32 - 1)
    };
    // One scale for every column: the fullest fits.
    let room = f64::from(height as i32 - TOP - bottom);
    let scale = flow
        .columns
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| (room - GAP * (c.len() - 1) as f64) / c.iter().map(|n| n.value).sum::<f64>())
        .fold(f64::INFINITY, f64::min);
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    // Each node's top, by column.
    let tops: Vec<Vec<f64>> = flow
        .columns
        .iter()
        .map(|nodes| {
            let mut y = f64::from(TOP);
            nodes
                .iter()
                .map(|node| {
                    let top = y;
                    y += node.value * scale + GAP;
                    top
                })
                .collect()
        })
        .collect();
    // Step titles over their columns, the last one ending at the chart's edge.
    for column in 0..flow.columns.len() {
        let header = match column {
            0 => "start".to_string(),
            c => format!("step {c}"),
        };
        let (anchor, x) = match column + 1 == flow.columns.len() {
            true => (HPos::Right, x_of(column) + NODE_WIDTH),
            false => (HPos::Left, x_of(column)),
        };
        let style = text_style(12).pos(Pos::new(anchor, VPos::Top));
        root.draw(&Text::new(header, (x, 6), style))?;
    }
    // Bands: leaving a node in the order of the nodes they reach, reaching a node in the
    // order of the nodes they leave (the links come sorted by column, from, to).
    let mut out_offset: Vec<Vec<f64>> = flow.columns.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut in_offset = out_offset.clone();
    let mut incoming: Vec<&FlowLink> = flow.links.iter().collect();
    incoming.sort_by_key(|l| (l.column, l.to, l.from));
    let mut in_top = std::collections::HashMap::new();
    for link in incoming {
        let at = &mut in_offset[link.column + 1][link.to];
        in_top.insert(
            (link.column, link.from, link.to),
            tops[link.column + 1][link.to] + *at,
        );
        *at += link.value * scale;
    }
    for link in &flow.links {
        let thickness = (link.value * scale).max(1.0);
        let start_y = tops[link.column][link.from] + out_offset[link.column][link.from];
        out_offset[link.column][link.from] += link.value * scale;
        let end_y = in_top[&(link.column, link.from, link.to)];
        let (x0, x1) = (
            f64::from(x_of(link.column) + NODE_WIDTH),
            f64::from(x_of(link.column + 1)),
        );
        let curve = |t: f64, y0: f64, y1: f64| {
            let eased = t * t * (3.0 - 2.0 * t);
            ((x0 + (x1 - x0) * t) as i32, (y0 + (y1 - y0) * eased) as i32)
        };
        let mut points: Vec<(i32, i32)> = (0..=20)
            .map(|i| curve(f64::from(i) / 20.0, start_y, end_y))
            .collect();
        points.extend(
            (0..=20)
                .rev()
                .map(|i| curve(f64::from(i) / 20.0, start_y + thickness, end_y + thickness)),
        );
        let node = &flow.columns[link.column][link.from];
        let fill = flow_colour(&node.kind, &events).mix(0.35);
        root.draw(&Polygon::new(points, fill.filled()))?;
    }
    for (column, nodes) in flow.columns.iter().enumerate() {
        let x = x_of(column);
        let last = column + 1 == flow.columns.len();
        for (node, &top) in nodes.iter().zip(&tops[column]) {
            let bottom_y = top + (node.value * scale).max(2.0);
            root.draw(&Rectangle::new(
                [(x, top as i32), (x + NODE_WIDTH, bottom_y as i32)],
                flow_colour(&node.kind, &events).filled(),
            ))?;
            let label = format!(
                "{} {}",
                shorten(flow_label(&node.kind)),
                axis_number(node.value, None)
            );
            let (anchor, at) = if last {
                (HPos::Right, x - 4)
            } else {
                (HPos::Left, x + NODE_WIDTH + 4)
            };
            let style = text_style(12).pos(Pos::new(anchor, VPos::Center));
            root.draw(&Text::new(
                label,
                (at, ((top + bottom_y) / 2.0) as i32),
                style,
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::{Axis, BarSeries, LineSeries};

    #[test]
    fn numbers_on_axes() {
        assert_eq!(axis_number(12_500.0, None), "12k");
        assert_eq!(axis_number(2_500_000.0, None), "2.5M");
        assert_eq!(axis_number(-12.5, Some("%")), "-12.5%");
        assert_eq!(axis_number(3.0, Some("s")), "3");
        assert_eq!(axis_number(-0.0001, None), "0");
    }

    #[test]
    fn labels_are_escaped_and_shortened() {
        let chart = Chart::Bars(Bars {
            categories: vec![
                "<script>alert('x')</script> & \"friends\"".to_string(),
                "b".repeat(40),
            ],
            series: vec![BarSeries {
                name: "nps".to_string(),
                values: vec![Some(-20.0), Some(35.0)],
                intervals: Some(vec![Some((-25.0, -15.0)), None]),
            }],
            axis: Axis {
                title: "nps".to_string(),
                unit: Some("NPS".to_string()),
                bands: None,
            },
        });
        let svg = svg(&chart).unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(
            svg.contains(&format!("{}…{}", "b".repeat(14), "b".repeat(13))),
            "{svg}"
        );
        assert_eq!(
            shorten("a very long segment label, the 101st one"),
            "a very long se…the 101st one"
        );
        assert_eq!(shorten("short"), "short");
        assert!(svg.contains("nps (NPS)"));
    }

    #[test]
    fn benchmark_bands_are_drawn_behind_bars_and_lines() {
        let bands = datafusion_engagement::benchmark_band::benchmark_bands("nps");
        // Values from −23 to 8: the axis shows 'poor' (to 0) and 'good' (0 to 20), not the
        // bands above.
        assert_eq!(
            visible_bands(bands.unwrap(), -25.0, 10.0),
            [(-25.0, 0.0, 0, "poor"), (0.0, 10.0, 1, "good")]
        );
        let axis = Axis {
            title: "nps".to_string(),
            unit: Some("NPS".to_string()),
            bands,
        };
        let bars = Chart::Bars(Bars {
            categories: vec!["smb".to_string(), "enterprise".to_string()],
            series: vec![BarSeries {
                name: "nps".to_string(),
                values: vec![Some(-23.0), Some(8.0)],
                intervals: None,
            }],
            axis: axis.clone(),
        });
        let drawn = svg(&bars).unwrap();
        assert!(
            drawn.contains("\npoor\n") && drawn.contains("\ngood\n"),
            "{drawn}"
        );
        assert!(!drawn.contains("\ngreat\n"), "{drawn}");
        assert!(
            drawn.contains("#ECF0F5") || drawn.contains("rgb(236,240,245)"),
            "{drawn}"
        );
        let lines = Chart::Lines(Lines {
            x: Axis {
                title: "month".to_string(),
                unit: None,
                bands: None,
            },
            x_is_time: false,
            x_in_months: false,
            series: vec![LineSeries {
                name: "nps".to_string(),
                points: vec![Some((1.0, 10.0)), Some((2.0, 30.0))],
            }],
            y: axis,
        });
        let drawn = svg(&lines).unwrap();
        assert!(
            drawn.contains("\ngood\n") && drawn.contains("\ngreat\n"),
            "{drawn}"
        );
    }
}
