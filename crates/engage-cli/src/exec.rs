//! Running statements: from -c and -f in order (stopping at the first failure), or from
//! standard input.

use std::fmt;
use std::io::{BufRead, IsTerminal, Read, Write};

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::args::{Cli, Source};
use crate::print_format::PrintFormat;

/// A failed run: which input and statement failed, and why.
#[derive(Debug)]
pub struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error: {}", self.0)
    }
}

/// A session with every engagement function, `information_schema` (for `SHOW FUNCTIONS`) and
/// file paths usable as tables in FROM.
pub fn session() -> Result<SessionContext> {
    let config = SessionConfig::new().with_information_schema(true);
    let ctx = SessionContext::new_with_config(config).enable_url_table();
    datafusion_engagement::register_all(&ctx)?;
    Ok(ctx)
}

pub async fn run(cli: &Cli) -> Result<(), Failure> {
    let ctx = session().map_err(|e| Failure(format!("cannot start the session: {e}")))?;
    if cli.sources.is_empty() {
        return if std::io::stdin().is_terminal() {
            interactive(&ctx, cli.format).await
        } else {
            let mut sql = String::new();
            std::io::stdin()
                .read_to_string(&mut sql)
                .map_err(|e| Failure(format!("cannot read standard input: {e}")))?;
            run_script(&ctx, cli.format, "standard input", &sql).await
        };
    }
    for (number, source) in cli.sources.iter().enumerate() {
        match source {
            Source::Command(sql) => {
                run_script(&ctx, cli.format, &format!("-c #{}", number + 1), sql).await?
            }
            Source::File(path) => {
                let sql = std::fs::read_to_string(path).map_err(|e| {
                    Failure(format!("cannot read SQL file {}: {e}", path.display()))
                })?;
                run_script(&ctx, cli.format, &path.display().to_string(), &sql).await?
            }
        }
    }
    Ok(())
}

/// Parses all of `sql` first (so a syntax error runs nothing), then runs each statement.
async fn run_script(
    ctx: &SessionContext,
    format: PrintFormat,
    origin: &str,
    sql: &str,
) -> Result<(), Failure> {
    let statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
        .map_err(|e| Failure(format!("{origin}: {e}")))?;
    for (index, statement) in statements.into_iter().enumerate() {
        let summary = summarize(&statement);
        run_statement(ctx, format, statement).await.map_err(|e| {
            Failure(format!(
                "{origin}, statement {} ({summary}): {e}",
                index + 1
            ))
        })?;
    }
    Ok(())
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

async fn run_statement(
    ctx: &SessionContext,
    format: PrintFormat,
    statement: Statement,
) -> Result<()> {
    let plan = ctx.state().statement_to_plan(statement).await?;
    let frame = ctx.execute_logical_plan(plan).await?;
    let schema = frame.schema().as_arrow().clone();
    let mut batches = frame.collect().await?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema.into()));
    }
    let mut out = std::io::stdout().lock();
    format.write(&mut out, &batches)?;
    out.flush()?;
    Ok(())
}

/// A line-based prompt: statements end with ';', `\q` quits. Errors are shown and the session
/// goes on.
async fn interactive(ctx: &SessionContext, format: PrintFormat) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    let mut buffer = String::new();
    loop {
        eprint!(
            "{}",
            if buffer.is_empty() {
                "engage> "
            } else {
                "   ...> "
            }
        );
        let mut line = String::new();
        if stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure(e.to_string()))?
            == 0
        {
            return Ok(());
        }
        if buffer.is_empty() && line.trim() == "\\q" {
            return Ok(());
        }
        buffer.push_str(&line);
        if buffer.trim_end().ends_with(';') {
            if let Err(failure) = run_script(ctx, format, "input", &buffer).await {
                eprintln!("{failure}");
            }
            buffer.clear();
        }
    }
}
