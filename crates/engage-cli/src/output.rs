//! `-o FILE`: the last statement's result written atomically.
//!
//! The result streams, batch by batch, into a temporary file beside the target, is flushed to
//! disk, and is renamed over the target only when complete. A failing statement, an error
//! while writing or renaming, or an interrupt (Ctrl-C, SIGTERM: the shell handles both and unwinds) drops the temporary file, so
//! a report is either the new one, whole, or the old one, untouched.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use tempfile::NamedTempFile;

use crate::print_format::{PrintFormat, ResultWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Text(PrintFormat),
    Parquet,
    /// The HTML report of every statement: written whole by [`OutputFile::write_whole`].
    Html,
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
            (Some(PrintFormat::Html), _) | (None, Some("html" | "htm")) => FileFormat::Html,
            (Some(format), _) => FileFormat::Text(format),
            (None, Some("parquet")) => FileFormat::Parquet,
            (None, Some("csv")) => FileFormat::Text(PrintFormat::Csv),
            (None, Some("tsv")) => FileFormat::Text(PrintFormat::Tsv),
            (None, Some("json")) => FileFormat::Text(PrintFormat::Json),
            (None, Some("ndjson" | "jsonl")) => FileFormat::Text(PrintFormat::Ndjson),
            (None, Some("txt")) => FileFormat::Text(PrintFormat::Table),
            (None, _) => {
                return Err(format!(
                    "cannot tell the format of output file '{}' from its extension: use .csv, .tsv, .json, .ndjson, .jsonl, .txt, .parquet or .html, or give --format",
                    path.display()
                ));
            }
        };
        Ok(Self { path, format })
    }

    /// Starts writing a result: a temporary file in the target's directory, which
    /// [`OutputWriter::commit`] renames over the target once every batch is written. Dropping
    /// the writer instead (an error, an interrupt) deletes it.
    pub fn begin(&self, schema: SchemaRef, memory: MemoryReservation) -> Result<OutputWriter> {
        let (temporary, out) = self.temporary()?;
        let sink = match self.format {
            FileFormat::Text(format) => Sink::Text(format.writer(Box::new(out), schema, memory)),
            FileFormat::Parquet => {
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .build();
                Sink::Parquet(Box::new(ArrowWriter::try_new(
                    out,
                    schema,
                    Some(properties),
                )?))
            }
            FileFormat::Html => {
                return Err(DataFusionError::Internal(
                    "an HTML report is written whole, not row by row".to_string(),
                ));
            }
        };
        Ok(OutputWriter {
            target: self.clone(),
            temporary,
            sink,
        })
    }

    /// Writes `contents` as the whole file, atomically as [`OutputFile::begin`] does.
    pub fn write_whole(&self, contents: &[u8]) -> Result<()> {
        let (temporary, mut out) = self.temporary()?;
        out.write_all(contents)
            .and_then(|()| out.flush())
            .map_err(|e| self.io_error("write", e))?;
        drop(out);
        commit(self, temporary)
    }

    /// A new temporary file beside the target, and a buffered writer to it.
    fn temporary(&self) -> Result<(NamedTempFile, BufWriter<File>)> {
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // A report is for others to read: the permissions a new file gets (the umask's), not a
        // temporary file's owner-only ones.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temporary = builder
            .tempfile_in(directory)
            .map_err(|e| self.io_error("create a temporary file for", e))?;
        let file = temporary
            .as_file()
            .try_clone()
            .map_err(|e| self.io_error("create a temporary file for", e))?;
        Ok((temporary, BufWriter::new(file)))
    }

    fn io_error(&self, action: &str, e: std::io::Error) -> DataFusionError {
        DataFusionError::Execution(format!(
            "cannot {action} output file {}: {e}",
            self.path.display()
        ))
    }
}

/// How the rows reach the temporary file.
enum Sink {
    Text(Box<dyn ResultWriter>),
    Parquet(Box<ArrowWriter<BufWriter<File>>>),
}

/// A result being written to `-o FILE`; see [`OutputFile::begin`].
pub struct OutputWriter {
    target: OutputFile,
    temporary: NamedTempFile,
    sink: Sink,
}

impl OutputWriter {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.sink {
            Sink::Text(writer) => writer.write(batch)?,
            Sink::Parquet(writer) => writer.write(batch)?,
        }
        Ok(())
    }

    /// Flushes everything to disk and renames the file over the target.
    pub fn commit(self) -> Result<()> {
        let Self {
            target,
            temporary,
            sink,
        } = self;
        match sink {
            Sink::Text(writer) => writer.finish()?,
            Sink::Parquet(writer) => {
                let mut out = writer.into_inner()?;
                out.flush().map_err(|e| target.io_error("write", e))?;
            }
        }
        commit(&target, temporary)
    }
}

/// Flushes the temporary file to disk and renames it over the target.
fn commit(target: &OutputFile, temporary: NamedTempFile) -> Result<()> {
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| target.io_error("write", e))?;
    temporary
        .persist(&target.path)
        .map_err(|e| target.io_error("replace", e.error))?;
    Ok(())
}
