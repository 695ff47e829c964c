//! `-o FILE`: the last statement's result written atomically.
//!
//! The result goes to a temporary file beside the target, is flushed to disk, and is renamed
//! over the target only when complete. A failing statement, an error while writing, or an
//! interrupt (Ctrl-C, SIGTERM: the shell handles both and unwinds) drops the temporary file, so
//! a report is either the new one, whole, or the old one, untouched.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use crate::print_format::PrintFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Text(PrintFormat),
    Parquet,
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: PathBuf,
    pub format: FileFormat,
}

impl OutputFile {
    /// The format is `--format` when given, else the file's extension; a file with neither is a
    /// usage error.
    pub fn new(path: PathBuf, format: Option<PrintFormat>) -> Result<Self, String> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let format = match (format, extension.as_deref()) {
            (Some(format), _) => FileFormat::Text(format),
            (None, Some("parquet")) => FileFormat::Parquet,
            (None, Some("csv")) => FileFormat::Text(PrintFormat::Csv),
            (None, Some("tsv")) => FileFormat::Text(PrintFormat::Tsv),
            (None, Some("json")) => FileFormat::Text(PrintFormat::Json),
            (None, Some("ndjson" | "jsonl")) => FileFormat::Text(PrintFormat::Ndjson),
            (None, Some("txt")) => FileFormat::Text(PrintFormat::Table),
            (None, _) => {
                return Err(format!(
                    "cannot tell the format of output file '{}' from its extension: use .csv, .tsv, .json, .ndjson, .jsonl, .txt or .parquet, or give --format",
                    path.display()
                ));
            }
        };
        Ok(Self { path, format })
    }

    /// Writes `batches` to a temporary file in the target's directory and renames it over the
    /// target. Returns the number of rows written.
    pub fn write(&self, schema: SchemaRef, batches: &[RecordBatch]) -> Result<usize> {
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let io_error = |action: &str, e: std::io::Error| {
            DataFusionError::Execution(format!(
                "cannot {action} output file {}: {e}",
                self.path.display()
            ))
        };
        let temporary = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(directory)
            .map_err(|e| io_error("create a temporary file for", e))?;
        let mut writer = BufWriter::new(temporary.as_file());
        match self.format {
            FileFormat::Text(format) => format.write(&mut writer, batches)?,
            FileFormat::Parquet => {
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .build();
                let mut parquet = ArrowWriter::try_new(&mut writer, schema, Some(properties))?;
                for batch in batches {
                    parquet.write(batch)?;
                }
                parquet.close()?;
            }
        }
        writer.flush().map_err(|e| io_error("write", e))?;
        drop(writer);
        temporary
            .as_file()
            .sync_all()
            .map_err(|e| io_error("write", e))?;
        temporary
            .persist(&self.path)
            .map_err(|e| io_error("replace", e.error))?;
        Ok(batches.iter().map(RecordBatch::num_rows).sum())
    }
}
