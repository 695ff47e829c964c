//! `--format html` / `-o report.html`: one self-contained HTML page holding, for every
//! statement that returns rows, its title and description (the `--` comment block above it),
//! its charts (SVG, chosen by the result's shape or a `-- chart:` directive) and its table.

mod chart;
mod draw;
mod page;
mod table;
mod units;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::logical_expr::LogicalPlan;

use chart::{Charts, Directive};
use table::{ROWS_SHOWN, ResultTable};

pub use units::ColumnFacts;

/// Why the interactive shell has no HTML format.
pub const HTML_IS_A_BATCH_REPORT: &str = "the html format is the report of a whole run: engage -f report.sql -o report.html (or --format html > report.html)";

/// The report being built by a batch run.
#[derive(Default)]
pub struct Report {
    /// Where the statements came from (files, `-c`), in order.
    sources: Vec<String>,
    /// The first source's leading comment block: the report's title and introduction.
    header: Vec<String>,
    sections: Vec<Section>,
}

/// One statement's part of the report.
pub struct Section {
    heading: Heading,
    sql: String,
    table: ResultTable,
    charts: Charts,
}

/// A statement's title, description and chart directive, from its comment block.
#[derive(Debug, Default, PartialEq)]
pub struct Heading {
    pub title: Option<String>,
    pub description: Option<String>,
    pub directive: Option<Directive>,
}

impl Heading {
    /// The comment block's first sentence (up to `: ` or `. `) is the title, the rest its
    /// description; a `chart: …` line is the directive.
    pub fn parse(comment: &[String]) -> Result<Self, String> {
        let mut directive = None;
        let mut text = vec![];
        for line in comment {
            match Directive::parse(line) {
                Some(parsed) => directive = Some(parsed?),
                None => text.push(line.trim()),
            }
        }
        let text = text
            .into_iter()
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            return Ok(Self {
                directive,
                ..Self::default()
            });
        }
        let cut = [": ", ". "]
            .iter()
            .filter_map(|separator| text.find(separator))
            .min();
        let (title, description) = match cut {
            Some(cut) => (&text[..cut], text[cut + 2..].trim()),
            None => (text.as_str(), ""),
        };
        let title = title.trim().trim_end_matches('.').to_string();
        let description = (!description.is_empty()).then(|| capitalized(description));
        Ok(Self {
            title: Some(title),
            description,
            directive,
        })
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Report {
    /// Adds a source of statements; the first one's leading `--` lines head the report.
    pub fn add_source(&mut self, origin: &str, text: &str) {
        if self.sources.is_empty() {
            self.header = text
                .lines()
                .map(str::trim)
                .take_while(|line| line.starts_with("--"))
                .map(|line| line.trim_start_matches('-').trim().to_string())
                // A directive there heads the first statement, not the report.
                .filter(|line| Directive::parse(line).is_none())
                .collect();
        }
        self.sources.push(origin.to_string());
    }

    pub fn push(&mut self, section: Section) {
        self.sections.push(section);
    }

    pub fn sections(&self) -> usize {
        self.sections.len()
    }

    /// The whole page.
    pub fn render(&self) -> String {
        page::render(self)
    }
}

/// A statement's rows being collected for the report: its first [`ROWS_SHOWN`] rows are
/// held (counted against the session's memory limit), the rest counted.
pub struct SectionWriter {
    heading: Heading,
    sql: String,
    schema: SchemaRef,
    facts: ColumnFacts,
    batches: Vec<RecordBatch>,
    held: usize,
    total: usize,
    memory: MemoryReservation,
}

impl SectionWriter {
    /// A writer of the section of `plan`'s result, headed by `comment`; a malformed chart
    /// directive is an error before the statement runs.
    pub fn new(
        comment: &[String],
        sql: String,
        plan: &LogicalPlan,
        schema: SchemaRef,
        memory: MemoryReservation,
    ) -> Result<Self> {
        let heading = Heading::parse(comment).map_err(DataFusionError::Plan)?;
        Ok(Self {
            heading,
            sql,
            schema,
            facts: ColumnFacts::of(plan),
            batches: vec![],
            held: 0,
            total: 0,
            memory,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.total += batch.num_rows();
        let wanted = (ROWS_SHOWN - self.held).min(batch.num_rows());
        if wanted == 0 {
            return Ok(());
        }
        let batch = batch.slice(0, wanted);
        self.memory
            .try_grow(batch.get_array_memory_size())
            .map_err(|e| {
                DataFusionError::ResourcesExhausted(format!(
                    "the rows the HTML report shows do not fit in the memory limit ({})",
                    e.strip_backtrace()
                ))
            })?;
        self.held += wanted;
        self.batches.push(batch);
        Ok(())
    }

    /// The section, with its charts; a chart directive naming a column the result lacks is
    /// an error.
    pub fn finish(self) -> Result<Section> {
        let table = ResultTable::new(self.schema, &self.batches, self.total, &self.facts)?;
        let charts = chart::charts(&table, self.heading.directive.as_ref())?;
        Ok(Section {
            heading: self.heading,
            sql: self.sql,
            table,
            charts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(lines: &[&str]) -> Heading {
        Heading::parse(&lines.iter().map(|l| l.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn titles_descriptions_and_directives() {
        let h = heading(&[
            "Survey metrics by segment: NPS (−100…100), CSAT",
            "(% top-2 box of 1–5).",
            "chart: bar y=nps",
        ]);
        assert_eq!(h.title.as_deref(), Some("Survey metrics by segment"));
        assert_eq!(
            h.description.as_deref(),
            Some("NPS (−100…100), CSAT (% top-2 box of 1–5).")
        );
        assert_eq!(h.directive.unwrap().kind, chart::Kind::Bar);
        let h = heading(&["Churn and retention over the quarter, by plan."]);
        assert_eq!(
            h.title.as_deref(),
            Some("Churn and retention over the quarter, by plan")
        );
        assert_eq!(h.description, None);
        assert_eq!(heading(&[]), Heading::default());
        let error = Heading::parse(&["chart: pie".to_string()]).unwrap_err();
        assert!(
            error.contains("'pie' is not a chart kind; expected bar, line, heatmap, flow or table"),
            "{error}"
        );
        let error = Heading::parse(&["chart: bar colour=red".to_string()]).unwrap_err();
        assert!(
            error.contains("takes no 'colour'; it takes x, y, series, error"),
            "{error}"
        );
    }
}
