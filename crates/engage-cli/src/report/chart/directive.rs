//! The `-- chart: KIND key=value …` directive above a statement: parsed, checked against the
//! chart kind's keys, and read against the result's columns.

use datafusion::error::{DataFusionError, Result};

use super::super::table::{Column, ResultTable, Role};

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
    Flow,
    Table,
}

impl Kind {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Bar => &["x", "y", "series", "error"],
            Self::Line => &["x", "y", "series"],
            Self::Heatmap => &["rows", "columns", "value"],
            Self::Flow => &["step", "from", "to", "value"],
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
            Some("flow" | "sankey") => Kind::Flow,
            Some("table" | "none") => Kind::Table,
            other => {
                return Err(format!(
                    "chart directive '{text}': {} is not a chart kind; expected bar, line, \
                     heatmap, flow or table",
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

    pub(super) fn error(&self, message: impl std::fmt::Display) -> DataFusionError {
        DataFusionError::Plan(format!("chart directive '{}': {message}", self.text))
    }

    /// The named columns of the result; an unknown one is an error listing the columns.
    pub(super) fn columns<'a>(
        &self,
        table: &'a ResultTable,
        key: &str,
    ) -> Result<Option<Vec<&'a Column>>> {
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

    pub(super) fn numeric_columns<'a>(
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
