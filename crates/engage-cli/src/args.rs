//! Command-line arguments. `-c`, `-f` and query files given by path may repeat and run in the
//! order given.

use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::print_format::PrintFormat;

#[derive(Debug, Parser)]
#[command(
    name = "engage",
    version,
    args_conflicts_with_subcommands = true,
    about = "SQL shell for customer-engagement metrics (nps, csat, ces, churn_rate, retention_rate, stickiness, engagement_score, …) over Parquet, CSV and Delta Lake tables, local or in object stores",
    after_help = "Examples:\n  engage                                   interactive shell (\\? for help, \\h for our functions)\n  engage -c \"SELECT segment, nps(nps_score) FROM 'examples/data/responses.parquet' GROUP BY segment\"\n  engage sql/overview.sql --format csv\n  engage -f sql/overview.sql -o report.parquet\n  engage -f sql/overview.sql -o overview.html   an HTML report with charts\n  engage -c \"SELECT segment, stickiness(user_id, event_time) FROM 's3://lake/events_delta/' GROUP BY segment\"   a Delta table\n  engage --cluster df://localhost:50050 sql/overview.sql   on a Ballista cluster\n\nWith no statements given and standard input not a terminal, statements are read from standard input.\nExit status: 0 on success, 1 when a statement fails (SQL, data or I/O error), 2 on a usage error."
)]
pub struct Cli {
    /// Run a SQL statement (or several, separated by ';'). Repeatable.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,

    /// Run the statements of a SQL file. Repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// SQL files to run, like -f.
    #[arg(value_name = "QUERY_FILE")]
    query_files: Vec<PathBuf>,

    /// Output format of query results (default: table, or the -o file's extension); html is a
    /// report of the whole run, with charts.
    #[arg(long, value_enum)]
    pub format: Option<PrintFormat>,

    /// Write the result of the last statement to FILE instead of standard output (format from
    /// --format or the extension: .csv .tsv .json .ndjson .jsonl .txt .parquet), or with .html
    /// a report of every statement's result with charts. The file is replaced only when every
    /// statement succeeds.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print only results and errors: no timing lines, progress or banner.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Cap on the memory queries may use, e.g. 512M, 4G (bytes without a suffix). Sorts and
    /// aggregations that exceed it spill to disk or fail with a clear error.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

    /// Number of partitions (threads) queries run with (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub target_partitions: Option<u16>,

    /// Set any DataFusion option, e.g. --set datafusion.execution.batch_size=1024. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,

    /// Replace ${NAME} with VALUE in the statements of -c, -f and query files, e.g. --var
    /// day=2026-07-01 for a nightly job's `WHERE day = DATE '${day}'`. Repeatable. A ${NAME}
    /// without a --var is an error.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_variable)]
    pub variables: Vec<(String, String)>,

    /// Run every statement on the Ballista cluster whose scheduler is at this address
    /// (df://HOST:PORT; the port defaults to 50050). Needs an engage built with the `cluster`
    /// feature.
    #[arg(long, env = "ENGAGE_CLUSTER", value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,

    /// The cluster's credentials, when it requires them.
    #[command(flatten)]
    pub security: SecurityOptions,

    /// Run a cluster process instead of the shell.
    #[command(subcommand)]
    pub role: Option<Role>,

    /// The statement sources, in command-line order.
    #[arg(skip)]
    pub sources: Vec<Source>,
}

/// What a cluster's processes and clients prove themselves with (see the README's "Running on
/// a cluster"). The shared secret is read from a file or from the ENGAGE_CLUSTER_SECRET
/// variable, never from the command line, which `ps` shows.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecurityOptions {
    /// File holding the cluster's shared secret (at least 16 bytes, e.g. from `openssl rand
    /// -hex 32`); or set ENGAGE_CLUSTER_SECRET. Every call between the cluster's processes
    /// and its clients carries it, and every service refuses a call without it.
    #[arg(long, value_name = "FILE", env = "ENGAGE_CLUSTER_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
    /// PEM certificate of the authority that signed the cluster's certificates: connections
    /// use TLS and trust only it.
    #[arg(long, value_name = "FILE", env = "ENGAGE_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// PEM certificate of this process (a scheduler or executor serves TLS with it; a client
    /// presents it under mutual TLS). With --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        env = "ENGAGE_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "ENGAGE_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
}

/// What a scheduler or an executor requires of those who call it, and where it may read and
/// write.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProcessProtection {
    #[command(flatten)]
    pub security: SecurityOptions,
    /// Require of every caller (clients, executors, the scheduler) a certificate signed by
    /// --tls-ca.
    #[arg(long)]
    pub mutual_tls: bool,
    /// A location statements may read and write: a local directory or a bucket prefix such
    /// as s3://lake/events/. The scheduler refuses the plan of a statement reaching
    /// elsewhere; an executor, any read or write there. Repeatable; without it, every
    /// location the process can open. Give the scheduler and every executor the same list.
    #[arg(long = "allow-location", value_name = "URL")]
    pub allowed_locations: Vec<String>,
}

/// The processes of a Ballista cluster that knows the engagement functions (`cluster` feature).
#[derive(Debug, Clone, Subcommand)]
pub enum Role {
    /// Run a Ballista scheduler: it plans the jobs of `engage --cluster` clients.
    Scheduler {
        /// Address to listen on: loopback unless said otherwise (see --insecure).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        bind: String,
        /// Listen on a --bind address other hosts reach with neither a cluster secret nor
        /// mutual TLS: whoever reaches the port can run SQL on the executors. Only behind a
        /// network boundary that lets in the cluster's own hosts alone.
        #[arg(long)]
        insecure: bool,
        /// Port to listen on.
        #[arg(long, value_name = "N", default_value_t = 50050)]
        port: u16,
        /// Host name executors and clients reach this scheduler at (default: --bind, or
        /// localhost when that is 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
        #[command(flatten)]
        protection: ProcessProtection,
    },
    /// Run a Ballista executor: it runs the tasks the scheduler gives it.
    Executor {
        /// The scheduler to register with.
        #[arg(long, value_name = "df://HOST:PORT")]
        scheduler: String,
        /// Address to listen on: loopback unless said otherwise (see --insecure).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        bind: String,
        /// Listen on a --bind address other hosts reach with neither a cluster secret nor
        /// mutual TLS: whoever reaches the Flight port can fetch shuffle data. Only behind a
        /// network boundary that lets in the cluster's own hosts alone.
        #[arg(long)]
        insecure: bool,
        /// Port other executors and clients fetch results from (Arrow Flight).
        #[arg(long, value_name = "N", default_value_t = 50051)]
        port: u16,
        /// Port of the executor's control service (a cluster with a secret or TLS has none:
        /// its executors ask the scheduler for work).
        #[arg(long, value_name = "N", default_value_t = 50052)]
        grpc_port: u16,
        /// Host name other executors reach this one at (default: --bind, or localhost when
        /// that is 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
        /// Tasks run at once (default: the number of cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        concurrent_tasks: Option<u16>,
        /// Directory for shuffle files (default: a new temporary directory).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Cap on the memory this executor's tasks may use together, e.g. 4G.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        memory_limit: Option<usize>,
        #[command(flatten)]
        protection: ProcessProtection,
    },
}

/// Where statements come from.
#[derive(Debug, Clone)]
pub enum Source {
    Command(String),
    File(PathBuf),
}

impl Cli {
    /// Parses the process arguments (exiting with status 2 on a usage error), keeping the
    /// relative order of `-c`, `-f` and query files.
    pub fn parse_ordered() -> Self {
        Self::parse_ordered_from(std::env::args_os())
    }

    fn parse_ordered_from(
        args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    ) -> Self {
        let matches = Self::command().get_matches_from(args);
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let mut sources: Vec<(usize, Source)> = vec![];
        sources.extend(ordered(
            &matches,
            "commands",
            &mut cli.commands,
            Source::Command,
        ));
        sources.extend(ordered(&matches, "files", &mut cli.files, Source::File));
        sources.extend(ordered(
            &matches,
            "query_files",
            &mut cli.query_files,
            Source::File,
        ));
        sources.sort_by_key(|(index, _)| *index);
        cli.sources = sources.into_iter().map(|(_, source)| source).collect();
        cli
    }
}

/// The values of argument `id`, each with its position on the command line.
fn ordered<T>(
    matches: &ArgMatches,
    id: &str,
    values: &mut Vec<T>,
    source: fn(T) -> Source,
) -> Vec<(usize, Source)> {
    let positions = matches.indices_of(id).into_iter().flatten();
    positions.zip(values.drain(..).map(source)).collect()
}

/// `512M`, `4G`, `1.5GB`, `100k`, `2048`: a byte count with an optional binary suffix.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(digits_end);
    let multiplier: f64 = match suffix.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "'{text}' is not a size: expected a number with an optional K, M, G or T suffix, e.g. 512M"
            ));
        }
    };
    match number.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok((value * multiplier) as usize),
        _ => Err(format!(
            "'{text}' is not a size: expected a positive number with an optional K, M, G or T suffix, e.g. 512M"
        )),
    }
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!(
            "'{text}' is not KEY=VALUE, e.g. datafusion.execution.batch_size=1024"
        )),
    }
}

fn parse_variable(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if crate::variables::is_name(name) => {
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err(format!(
            "'{text}' is not NAME=VALUE with a NAME of letters, digits and _, e.g. day=2026-07-01"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2048"), Ok(2048));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4 GiB"), Ok(4 << 30));
        assert!(
            parse_size("lots")
                .unwrap_err()
                .contains("'lots' is not a size")
        );
        assert!(parse_size("0").is_err());
        assert!(parse_size("12X").is_err());
    }

    #[test]
    fn sources_keep_command_line_order() {
        let cli = Cli::parse_ordered_from(["engage", "b.sql", "-c", "SELECT 1", "-f", "a.sql"]);
        let order: Vec<String> = cli
            .sources
            .iter()
            .map(|s| match s {
                Source::Command(sql) => sql.clone(),
                Source::File(path) => path.display().to_string(),
            })
            .collect();
        assert_eq!(order, ["b.sql", "SELECT 1", "a.sql"]);
    }
}
