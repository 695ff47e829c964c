//! How query results are written: an aligned table, CSV, TSV, a JSON array or newline-delimited
//! JSON.

use std::io::Write;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
}

impl PrintFormat {
    /// The name `--format` and `\format` take.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Writes one statement's result. Statements that return no columns (DDL) print nothing.
    pub fn write(self, out: &mut dyn Write, batches: &[RecordBatch]) -> Result<()> {
        if batches.first().is_none_or(|b| b.num_columns() == 0) {
            return Ok(());
        }
        match self {
            Self::Table => writeln!(out, "{}", pretty_format_batches(batches)?)?,
            Self::Csv | Self::Tsv => {
                let delimiter = if self == Self::Csv { b',' } else { b'\t' };
                let mut writer = WriterBuilder::new()
                    .with_header(true)
                    .with_delimiter(delimiter)
                    .build(&mut *out);
                for batch in batches {
                    writer.write(&nested_columns_as_text(batch)?)?;
                }
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

/// CSV and TSV have no lists, structs or maps: such columns are written as their display text, the way
/// the table format shows them.
fn nested_columns_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type().is_nested())
    {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default().with_null("");
    let mut fields = vec![];
    let mut columns: Vec<ArrayRef> = vec![];
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type().is_nested() {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            let text: StringArray = (0..column.len())
                .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
                .collect();
            fields.push(Field::new(
                field.name(),
                DataType::Utf8,
                field.is_nullable(),
            ));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
