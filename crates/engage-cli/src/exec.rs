//! Running statements and meta-commands: batch sources in order (stopping at the first
//! failure), with the last result optionally written to `-o FILE`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use futures::StreamExt;

use crate::command::{self, Flow};
use crate::object_stores;
use crate::output::{FileFormat, OutputFile, OutputWriter};
use crate::print_format::{PrintFormat, ResultWriter};
use crate::progress::Progress;
use crate::report::{Report, SectionWriter};
use crate::script::{self, Item};

/// A session and how its results are shown.
pub struct Shell {
    pub ctx: SessionContext,
    pub format: PrintFormat,
    /// A "N rows in T s" line after each query.
    pub timing: bool,
    /// No timing lines, progress or notices.
    pub quiet: bool,
    /// Statements run on a Ballista cluster (`--cluster`).
    pub on_cluster: bool,
    /// The HTML report of a batch run (`--format html`, `-o FILE.html`): every statement's
    /// result goes there instead of standard output.
    pub report: Option<Mutex<Report>>,
    /// `--var NAME=VALUE`: replaces `${NAME}` in batch sources.
    pub variables: crate::variables::Variables,
}

/// Where a statement's result goes.
#[derive(Clone, Copy)]
pub enum Sink<'a> {
    Stdout,
    File(&'a OutputFile),
}

impl Shell {
    pub fn dialect(&self) -> String {
        self.ctx
            .state()
            .config()
            .options()
            .sql_parser
            .dialect
            .to_string()
    }

    /// Parses `text` into statements and meta-commands.
    pub fn parse(&self, text: &str) -> Result<Vec<Item>> {
        script::parse(text, &self.dialect())
    }

    /// Runs one item. The caller adds to an error which statement of which source failed.
    pub async fn run_item(&mut self, item: Item, sink: Sink<'_>) -> Result<Flow, String> {
        match item {
            Item::Meta(command) => command::run(self, &command).await,
            Item::Statement(statement, comment) => self
                .run_statement(*statement, &comment, sink)
                .await
                .map(|()| Flow::Continue),
        }
    }

    /// Runs SQL text made by a meta-command and prints its result.
    pub async fn run_internal_sql(&mut self, sql: &str) -> Result<(), String> {
        for item in self.parse(sql).map_err(|e| e.strip_backtrace())? {
            if let Item::Statement(statement, _) = item {
                self.run_statement(*statement, &[], Sink::Stdout).await?;
            }
        }
        Ok(())
    }

    /// Runs a statement; a failure is described for a person (see [`describe_failure`]).
    async fn run_statement(
        &self,
        statement: Statement,
        comment: &[String],
        sink: Sink<'_>,
    ) -> Result<(), String> {
        // DataFusion 55 keeps directory listings for the whole session: each statement lists
        // again (its own listings are kept while it is planned and run), so it sees the files
        // an earlier statement, or another process, wrote or replaced since.
        if let Some(listings) = self.ctx.runtime_env().cache_manager.get_list_files_cache() {
            listings.clear();
        }
        let locations = locations_read(&self.ctx, &statement);
        let mut files = vec![];
        let Err(error) = self.execute(statement, comment, &mut files, sink).await else {
            return Ok(());
        };
        // DataFusion reports a path in FROM that it could not open as "table not found";
        // asking the store again brings back the real reason.
        let error = match object_stores::why_unreadable(&self.ctx, &error, &locations).await {
            Some(reason) => reason,
            None => error,
        };
        Err(describe_failure(
            &error,
            if files.is_empty() { &locations } else { &files },
            self.on_cluster,
        ))
    }

    /// Plans and runs a statement, writing its rows to `sink` as they arrive: nothing but the
    /// table format (and a report's first rows) holds a whole result. `comment` heads its
    /// section of a report.
    async fn execute(
        &self,
        mut statement: Statement,
        comment: &[String],
        files: &mut Vec<String>,
        sink: Sink<'_>,
    ) -> Result<()> {
        let started = Instant::now();
        let sql = self.report.as_ref().map(|_| statement.to_string());
        object_stores::prepare(&self.ctx, &mut statement, self.on_cluster).await?;
        let plan = self.ctx.state().statement_to_plan(statement).await?;
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let physical =
            if self.on_cluster && matches!(frame.logical_plan(), LogicalPlan::DescribeTable(_)) {
                // Ballista would send a DESCRIBE to the cluster, which cannot receive it; the
                // answer is the schema this session already has.
                DefaultPhysicalPlanner::default()
                    .create_physical_plan(frame.logical_plan(), &self.ctx.state())
                    .await?
            } else {
                frame.create_physical_plan().await?
            };
        *files = files_scanned(physical.as_ref());
        let schema = physical.schema();
        let memory =
            MemoryConsumer::new("engage result").register(&self.ctx.runtime_env().memory_pool);
        let mut writer = match sink {
            // A statement without columns (DDL) prints nothing.
            Sink::Stdout if schema.fields().is_empty() => None,
            Sink::Stdout if self.report.is_some() => {
                Some(ResultSink::Report(Box::new(SectionWriter::new(
                    comment,
                    sql.unwrap_or_default(),
                    frame.logical_plan(),
                    Arc::clone(&schema),
                    memory,
                )?)))
            }
            Sink::Stdout => Some(ResultSink::Stdout(self.format.writer(
                Box::new(std::io::stdout()),
                Arc::clone(&schema),
                memory,
            ))),
            Sink::File(file) => {
                if schema.fields().is_empty() {
                    return Err(DataFusionError::Plan(format!(
                        "the last statement returns no result to write to {}",
                        file.path.display()
                    )));
                }
                Some(ResultSink::File(Box::new(
                    file.begin(Arc::clone(&schema), memory)?,
                )))
            }
        };
        // Rows streamed to a terminal would be overwritten by the progress line.
        let streams_to_terminal = matches!(sink, Sink::Stdout)
            && self.format != PrintFormat::Table
            && std::io::stdout().is_terminal();
        let progress = Progress::start(
            Arc::clone(&physical),
            !self.quiet && !streams_to_terminal,
            !self.on_cluster,
        );
        let mut stream = execute_stream(physical, self.ctx.task_ctx())?;
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            progress
                .result_rows
                .fetch_add(batch.num_rows(), Ordering::Relaxed);
            rows += batch.num_rows();
            match &mut writer {
                Some(ResultSink::Stdout(writer)) => writer.write(&batch)?,
                Some(ResultSink::File(writer)) => writer.write(&batch)?,
                Some(ResultSink::Report(writer)) => writer.write(&batch)?,
                None => {}
            }
        }
        progress.finish();
        match writer {
            Some(ResultSink::Stdout(writer)) => {
                writer.finish()?;
                if self.timing && !self.quiet {
                    let mut out = std::io::stdout().lock();
                    writeln!(
                        out,
                        "{rows} row{} in {:.3} s",
                        if rows == 1 { "" } else { "s" },
                        started.elapsed().as_secs_f64()
                    )?;
                    out.flush()?;
                }
            }
            Some(ResultSink::Report(writer)) => {
                let section = writer.finish()?;
                if let Some(report) = &self.report {
                    report
                        .lock()
                        .map_err(|_| DataFusionError::Internal("the report was poisoned".into()))?
                        .push(section);
                }
            }
            Some(ResultSink::File(writer)) => {
                writer.commit()?;
                if !self.quiet
                    && let Sink::File(file) = sink
                {
                    eprintln!(
                        "wrote {rows} row{} to {}",
                        if rows == 1 { "" } else { "s" },
                        file.path.display()
                    );
                }
            }
            None => {}
        }
        Ok(())
    }
}

/// Where the rows of a running statement go.
enum ResultSink {
    Stdout(Box<dyn ResultWriter>),
    File(Box<OutputWriter>),
    Report(Box<SectionWriter>),
}

/// The statement's first 60 characters, on one line, for error messages.
fn summarize(statement: &Statement) -> String {
    let text = statement
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Paths and URLs the statement names as tables or locations (before planning, for errors
/// raised while a file's schema is read).
fn locations_read(ctx: &SessionContext, statement: &Statement) -> Vec<String> {
    let mut locations = match statement {
        Statement::CreateExternalTable(create) => create.locations.clone(),
        _ => vec![],
    };
    if let Ok(names) = object_stores::table_names(ctx, statement) {
        locations.extend(
            names
                .into_iter()
                .filter(|name| name.contains('.') || name.contains('/')),
        );
    }
    locations
}

/// The files the plan's scans read, sorted, each once.
fn files_scanned(plan: &dyn ExecutionPlan) -> Vec<String> {
    fn collect(plan: &dyn ExecutionPlan, files: &mut Vec<String>) {
        if let Some(scan) = plan.downcast_ref::<DataSourceExec>()
            && let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>()
        {
            let store = config.object_store_url.as_str().trim_end_matches('/');
            for group in &config.file_groups {
                for file in group.iter() {
                    let location = file.object_meta.location.as_ref();
                    files.push(if store == "file:" || store == "file://" {
                        format!("/{location}")
                    } else {
                        format!("{store}/{location}")
                    });
                }
            }
        }
        for child in plan.children() {
            collect(child.as_ref(), files);
        }
    }
    let mut files = vec![];
    collect(plan, &mut files);
    files.sort();
    files.dedup();
    files
}

/// Errors raised while reading data name the file(s) being read. Planning errors (unknown
/// column, bad SQL, bad configuration) do not.
fn describe_failure(error: &DataFusionError, files: &[String], on_cluster: bool) -> String {
    let is_data_error = !matches!(
        error.find_root(),
        DataFusionError::Plan(_)
            | DataFusionError::SQL(..)
            | DataFusionError::SchemaError(..)
            | DataFusionError::NotImplemented(_)
            | DataFusionError::Configuration(_)
    );
    let mut message = error.strip_backtrace();
    // DataFusion names the operator and the pool, not what to do. (The table format's own
    // out-of-memory error says it already.)
    if matches!(error.find_root(), DataFusionError::ResourcesExhausted(_))
        && !message.contains("--format")
    {
        message.push_str(
            "; the query needs more memory than the memory limit gives it: raise \
             --memory-limit, or leave it out to use the machine's memory",
        );
    }
    // Ballista's client cannot serialize a table that is not a file listing; DataFusion calls
    // that an internal error and asks for a bug report.
    if message.contains("LogicalExtensionCodec is not provided") {
        return "the query reads a table the cluster cannot receive (a table function such as \
                generate_series, or an in-memory table): on a cluster, tables are files or \
                object-store paths"
            .to_string();
    }
    if !is_data_error || files.is_empty() {
        return message;
    }
    let context = match files {
        [one] => format!("reading {one}"),
        several if several.len() <= 5 => format!("reading one of {}", several.join(", ")),
        several => format!(
            "reading one of {} files: {}, …",
            several.len(),
            several[..5].join(", ")
        ),
    };
    match credentials_hint(&message, files, on_cluster).or_else(|| missing_bucket_hint(&message)) {
        Some(hint) => format!("{message} ({context}; {hint})"),
        None => format!("{message} ({context})"),
    }
}

/// A store that refused the request: say where its credentials come from. On a cluster the
/// scheduler and executors read too, each with its own environment's credentials.
fn credentials_hint(message: &str, files: &[String], on_cluster: bool) -> Option<String> {
    const REFUSALS: [&str; 7] = [
        "403 Forbidden",
        "401 Unauthorized",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "ExpiredToken",
        "AuthenticationFailed",
    ];
    if !REFUSALS.iter().any(|refusal| message.contains(refusal)) {
        return None;
    }
    let scheme = files.first()?.split_once("://")?.0;
    let (variables, options) = match scheme {
        "s3" => (
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE",
            "aws.*",
        ),
        "gs" | "gcs" => ("GOOGLE_APPLICATION_CREDENTIALS", "gcp.*"),
        "az" | "azure" | "abfs" | "abfss" => {
            ("the AZURE_STORAGE_* / AZURE_CLIENT_* variables", "azure.*")
        }
        _ => return Some("the server refused the request: check the credentials".to_string()),
    };
    Some(if on_cluster {
        format!(
            "the store refused the credentials: on a cluster the scheduler and every executor \
             read with the credentials of their own environment ({variables}); the table's \
             {options} options reach only this shell"
        )
    } else {
        format!(
            "the store refused the credentials: check {variables}, or the table's {options} options"
        )
    })
}

/// A store that has no such bucket (S3, GCS) or container (Azure) says so in its own words,
/// among the XML of its answer.
fn missing_bucket_hint(message: &str) -> Option<String> {
    const MISSING: [&str; 4] = [
        "NoSuchBucket",
        "ContainerNotFound",
        "no bucket named",
        "The specified bucket does not exist",
    ];
    MISSING
        .iter()
        .any(|missing| message.contains(missing))
        .then(|| {
            "the bucket (on Azure, the container) does not exist, or these credentials cannot \
             see it: check the name in the location"
                .to_string()
        })
}

/// Why a run stopped early. Each maps to an exit status.
#[derive(Debug)]
pub enum Failure {
    /// A bad command line or option: status 2.
    Usage(String),
    /// A SQL, data or I/O error: status 1.
    Failed(String),
    /// Ctrl-C or SIGTERM: status 130.
    Interrupted,
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Failed(_) => 1,
            Self::Interrupted => 130,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "engage: {message}"),
            Self::Failed(message) => write!(f, "Error: {message}"),
            Self::Interrupted => write!(f, "Interrupted"),
        }
    }
}

/// A batch source, read in full before anything runs.
pub enum BatchSource {
    Command(String),
    File(std::path::PathBuf),
    Stdin,
}

/// Runs every source in order and stops at the first failure. All sources are read and parsed
/// first, so a missing file or a syntax error runs nothing. With `output`, the last statement's
/// result goes to that file instead of standard output; with HTML (`--format html` or an
/// `.html` output file), every statement's result goes into one report, written once all
/// have run.
pub async fn run_batch(
    shell: &mut Shell,
    sources: Vec<BatchSource>,
    output: Option<&OutputFile>,
) -> Result<(), Failure> {
    let html = match output {
        Some(file) => file.format == FileFormat::Html,
        None => shell.format == PrintFormat::Html,
    };
    if html {
        shell.report = Some(Mutex::new(Report::default()));
    }
    let result = run_scripts(shell, sources, output.filter(|_| !html)).await;
    let Some(report) = shell.report.take() else {
        return result;
    };
    result?;
    let report = report
        .into_inner()
        .map_err(|_| Failure::Failed("the report was poisoned".to_string()))?;
    let page = report.render();
    match output {
        Some(file) => {
            file.write_whole(page.as_bytes())
                .map_err(|e| Failure::Failed(e.strip_backtrace()))?;
            if !shell.quiet {
                let sections = report.sections();
                eprintln!(
                    "wrote a report of {sections} result{} to {}",
                    if sections == 1 { "" } else { "s" },
                    file.path.display()
                );
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(page.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Failure::Failed(format!("cannot write the report: {e}")))?;
        }
    }
    Ok(())
}

async fn run_scripts(
    shell: &mut Shell,
    sources: Vec<BatchSource>,
    output: Option<&OutputFile>,
) -> Result<(), Failure> {
    let mut scripts = vec![];
    for (index, source) in sources.into_iter().enumerate() {
        let (origin, text) = match source {
            BatchSource::Command(sql) => (format!("-c #{}", index + 1), sql),
            BatchSource::File(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Failure::Failed(format!("cannot read SQL file {}: {e}", path.display()))
                })?;
                (path.display().to_string(), text)
            }
            BatchSource::Stdin => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .map_err(|e| Failure::Failed(format!("cannot read standard input: {e}")))?;
                ("standard input".to_string(), text)
            }
        };
        let text = shell
            .variables
            .substitute(&text)
            .map_err(|e| Failure::Failed(format!("{origin}: {e}")))?;
        let items = shell
            .parse(&text)
            .map_err(|e| Failure::Failed(format!("{origin}: {}", e.strip_backtrace())))?;
        if let Some(report) = &shell.report
            && let Ok(mut report) = report.lock()
        {
            report.add_source(&origin, &text);
        }
        scripts.push((origin, items));
    }
    let last_statement = scripts
        .iter()
        .enumerate()
        .flat_map(|(s, (_, items))| {
            items
                .iter()
                .enumerate()
                .filter(|(_, item)| matches!(item, Item::Statement(..)))
                .map(move |(i, _)| (s, i))
        })
        .next_back();
    if output.is_some() && last_statement.is_none() {
        return Err(Failure::Usage(
            "-o needs a SQL statement whose result it writes".to_string(),
        ));
    }
    for (script_index, (origin, items)) in scripts.into_iter().enumerate() {
        let mut statement_number = 0;
        for (item_index, item) in items.into_iter().enumerate() {
            let sink = match output {
                Some(file) if last_statement == Some((script_index, item_index)) => {
                    Sink::File(file)
                }
                _ => Sink::Stdout,
            };
            let label = match &item {
                Item::Statement(statement, _) => {
                    statement_number += 1;
                    format!(
                        "{origin}, statement {statement_number} ({}):",
                        summarize(statement)
                    )
                }
                Item::Meta(command) => format!("{origin}, \\{command}:"),
            };
            match shell.run_item(item, sink).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => return Ok(()),
                Err(message) => return Err(Failure::Failed(format!("{label} {message}"))),
            }
        }
    }
    Ok(())
}
