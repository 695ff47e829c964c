//! How query results are written: an aligned table, CSV, a JSON array or newline-delimited JSON.

use std::io::Write;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

impl PrintFormat {
    /// Writes one statement's result. Statements that return no columns (DDL) print nothing.
    pub fn write(self, out: &mut dyn Write, batches: &[RecordBatch]) -> Result<()> {
        if batches.first().is_none_or(|b| b.num_columns() == 0) {
            return Ok(());
        }
        match self {
            Self::Table => writeln!(out, "{}", pretty_format_batches(batches)?)?,
            Self::Csv => {
                let mut writer = WriterBuilder::new().with_header(true).build(&mut *out);
                batches.iter().try_for_each(|b| writer.write(b))?;
            }
            Self::Json => {
                let mut writer = ArrayWriter::new(&mut *out);
                writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
                writer.finish()?;
                writeln!(out)?;
            }
            Self::Ndjson => {
                let mut writer = LineDelimitedWriter::new(&mut *out);
                writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
                writer.finish()?;
            }
        }
        Ok(())
    }
}
