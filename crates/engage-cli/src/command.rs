//! Backslash meta-commands, the same in the REPL, in files and on standard input.

use crate::exec::Shell;
use crate::help;
use crate::print_format::PrintFormat;

/// Whether the session goes on after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

const COMMANDS: &str = "\
Meta-commands:
  \\?                 this list
  \\q                 quit
  \\d                 list tables
  \\d NAME            describe a table, or a file or URL: \\d 'data/events.parquet'
  \\h                 list the engagement functions
  \\h NAME            a function's documentation, e.g. \\h nps
  \\timing [on|off]   a row-count and elapsed-time line after each query
  \\format NAME       result format: table, csv, tsv, json, ndjson

Statements end with ';' and may span lines. Ctrl-C cancels a running query; Ctrl-D quits.";

pub async fn run(shell: &mut Shell, command: &str) -> Result<Flow, String> {
    let (name, argument) = match command.split_once(char::is_whitespace) {
        Some((name, argument)) => (name, argument.trim()),
        None => (command, ""),
    };
    match (name, argument) {
        ("q" | "quit", _) => return Ok(Flow::Quit),
        ("?", _) => println!("{COMMANDS}"),
        ("d", "") => {
            shell
                .run_internal_sql(
                    "SELECT table_catalog AS catalog, table_schema AS schema, table_name AS name, table_type AS type \
                     FROM information_schema.tables \
                     WHERE table_schema <> 'information_schema' ORDER BY 1, 2, 3",
                )
                .await?
        }
        ("d", table) => shell.run_internal_sql(&format!("DESCRIBE {}", quote_location(table))).await?,
        ("h" | "help", "") => println!("{}", help::list()),
        ("h" | "help", function) => println!("{}", help::describe(&shell.ctx, function)?),
        ("timing", switch) => {
            shell.timing = match switch {
                "" => !shell.timing,
                "on" => true,
                "off" => false,
                other => return Err(format!("\\timing takes on or off, not '{other}'")),
            };
            println!("Timing is {}.", if shell.timing { "on" } else { "off" });
        }
        ("format" | "pset", argument) => {
            let format = argument.strip_prefix("format").unwrap_or(argument).trim();
            if format.is_empty() {
                println!("Format is {}.", shell.format.name());
            } else {
                let chosen = clap::ValueEnum::from_str(format, true).map_err(|_| {
                    format!("unknown format '{format}': expected table, csv, tsv, json or ndjson")
                })?;
                if chosen == PrintFormat::Html {
                    return Err(crate::report::HTML_IS_A_BATCH_REPORT.to_string());
                }
                shell.format = chosen;
            }
        }
        _ => return Err(format!("unknown command '\\{command}': \\? lists the commands")),
    }
    Ok(Flow::Continue)
}

/// `\d data/x.parquet` works without quotes: anything that looks like a path or URL is quoted.
fn quote_location(table: &str) -> String {
    const FILE_EXTENSIONS: [&str; 8] = [
        ".parquet", ".csv", ".tsv", ".json", ".ndjson", ".avro", ".arrow", ".gz",
    ];
    let lower = table.to_ascii_lowercase();
    let looks_like_path =
        table.contains('/') || FILE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext));
    if looks_like_path && !table.starts_with('\'') {
        format!("'{}'", table.replace('\'', "''"))
    } else {
        table.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote_location;

    #[test]
    fn paths_are_quoted() {
        assert_eq!(quote_location("events"), "events");
        assert_eq!(quote_location("public.events"), "public.events");
        assert_eq!(quote_location("events.csv"), "'events.csv'");
        assert_eq!(
            quote_location("data/events.parquet"),
            "'data/events.parquet'"
        );
        assert_eq!(quote_location("'x.csv'"), "'x.csv'");
        assert_eq!(quote_location("s3://b/k.csv"), "'s3://b/k.csv'");
    }
}
