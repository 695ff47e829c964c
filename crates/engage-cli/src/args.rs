//! Command-line arguments. `-c` and `-f` may repeat and run in the order given.

use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::print_format::PrintFormat;

#[derive(Debug, Parser)]
#[command(
    name = "engage",
    version,
    about = "SQL shell for customer-engagement metrics (nps, csat, ces, churn_rate, retention_rate, stickiness, engagement_score) over Parquet and CSV",
    after_help = "Examples:\n  engage -c \"SELECT segment, nps(nps_score) FROM 'examples/data/responses.parquet' GROUP BY segment\"\n  engage -f sql/overview.sql --format csv\n\nWith neither -c nor -f, statements are read from standard input. Exit status: 0 on success, 1 when a statement fails, 2 on a usage error."
)]
pub struct Cli {
    /// Run a SQL statement (or several, separated by ';'). Repeatable.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,

    /// Run the statements of a SQL file. Repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Output format of query results.
    #[arg(long, value_enum, default_value_t = PrintFormat::Table)]
    pub format: PrintFormat,

    /// The -c and -f sources, in command-line order.
    #[arg(skip)]
    pub sources: Vec<Source>,
}

/// Where statements come from.
#[derive(Debug, Clone)]
pub enum Source {
    Command(String),
    File(PathBuf),
}

impl Cli {
    /// Parses the process arguments (exiting with status 2 on a usage error), keeping the
    /// relative order of `-c` and `-f`.
    pub fn parse_ordered() -> Self {
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let mut sources: Vec<(usize, Source)> = vec![];
        sources.extend(
            indexed(&matches, "commands")
                .zip(cli.commands.drain(..))
                .map(|(i, c)| (i, Source::Command(c))),
        );
        sources.extend(
            indexed(&matches, "files")
                .zip(cli.files.drain(..))
                .map(|(i, f)| (i, Source::File(f))),
        );
        sources.sort_by_key(|(index, _)| *index);
        cli.sources = sources.into_iter().map(|(_, source)| source).collect();
        cli
    }
}

fn indexed<'a>(matches: &'a ArgMatches, id: &str) -> impl Iterator<Item = usize> + 'a {
    matches.indices_of(id).into_iter().flatten()
}
