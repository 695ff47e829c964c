//! How query results are written: an aligned table, CSV, TSV, a JSON array or newline-delimited
//! JSON. (HTML is a whole report of a batch run: `crate::report`.)

use std::io::Write;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryReservation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    /// A self-contained HTML report of every statement's result, with charts (batch runs).
    Html,
}

impl PrintFormat {
    /// The name `--format` and `\format` take.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// A writer of one statement's result to `out`, batch by batch. CSV, TSV, JSON and NDJSON
    /// stream; the table needs every row to size its columns, so it holds the result, counted
    /// against `memory` (the session's pool: `--memory-limit` bounds it).
    pub fn writer(
        self,
        out: Box<dyn Write + Send>,
        schema: SchemaRef,
        memory: MemoryReservation,
    ) -> Box<dyn ResultWriter> {
        match self {
            Self::Table => Box::new(TableWriter {
                out,
                schema,
                batches: vec![],
                memory,
            }),
            Self::Csv | Self::Tsv => Box::new(CsvWriter {
                writer: WriterBuilder::new()
                    .with_header(true)
                    .with_delimiter(if self == Self::Csv { b',' } else { b'\t' })
                    .build(out),
                schema,
                started: false,
            }),
            Self::Json => Box::new(JsonWriter(ArrayWriter::new(out))),
            Self::Ndjson => Box::new(NdjsonWriter(LineDelimitedWriter::new(out))),
            // A batch run collects the results into its report instead (see `exec`); a single
            // result written on its own is its table.
            Self::Html => Self::Table.writer(out, schema, memory),
        }
    }
}

/// Writes a statement's result as its batches arrive.
pub trait ResultWriter: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Writes what is left (the whole table, a JSON array's end) and flushes.
    fn finish(self: Box<Self>) -> Result<()>;
}

struct TableWriter {
    out: Box<dyn Write + Send>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    memory: MemoryReservation,
}

impl ResultWriter for TableWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.memory
            .try_grow(batch.get_array_memory_size())
            .map_err(|e| {
                DataFusionError::ResourcesExhausted(format!(
                    "the result is too large to hold for the table format within the memory \
                     limit ({}); --format csv, tsv or ndjson and -o FILE write it row by row, \
                     or add a LIMIT",
                    e.strip_backtrace()
                ))
            })?;
        self.batches.push(batch.clone());
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        if self.batches.is_empty() {
            self.batches
                .push(RecordBatch::new_empty(Arc::clone(&self.schema)));
        }
        writeln!(self.out, "{}", pretty_format_batches(&self.batches)?)?;
        self.out.flush()?;
        Ok(())
    }
}

struct CsvWriter {
    writer: datafusion::arrow::csv::Writer<Box<dyn Write + Send>>,
    schema: SchemaRef,
    started: bool,
}

impl ResultWriter for CsvWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.started = true;
        Ok(self.writer.write(&nested_columns_as_text(batch)?)?)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        if !self.started {
            // No rows: the header alone.
            let empty = RecordBatch::new_empty(Arc::clone(&self.schema));
            self.write(&empty)?;
        }
        self.writer.into_inner().flush()?;
        Ok(())
    }
}

struct JsonWriter(ArrayWriter<Box<dyn Write + Send>>);

impl ResultWriter for JsonWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.0.write(batch)?)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.0.finish()?;
        let mut out = self.0.into_inner();
        writeln!(out)?;
        out.flush()?;
        Ok(())
    }
}

struct NdjsonWriter(LineDelimitedWriter<Box<dyn Write + Send>>);

impl ResultWriter for NdjsonWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.0.write(batch)?)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.0.finish()?;
        self.0.into_inner().flush()?;
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
