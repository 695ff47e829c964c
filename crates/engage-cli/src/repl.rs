//! The interactive shell: line editing, history, multi-line statements (they end with ';'),
//! syntax highlighting and validation from datafusion-cli's `CliHelper`, meta-commands, and a
//! timing line after each query. Errors are shown and the session goes on.

use std::io::IsTerminal;
use std::path::PathBuf;

use datafusion_cli::helper::CliHelper;
use rustyline::Editor;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;

use crate::command::Flow;
use crate::exec::{Failure, Shell, Sink};

const PROMPT: &str = "engage> ";

/// History lives in `$ENGAGE_HISTORY`, else `~/.engage_history`.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("ENGAGE_HISTORY")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".engage_history"))
        })
}

pub async fn run(shell: &mut Shell) -> Result<(), Failure> {
    let mut editor: Editor<CliHelper, DefaultHistory> =
        Editor::new().map_err(|e| Failure::Failed(format!("cannot start line editing: {e}")))?;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let dialect = shell.ctx.state().config().options().sql_parser.dialect;
    editor.set_helper(Some(CliHelper::new(&dialect, color)));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    if !shell.quiet {
        println!(
            "engage {} — SQL with engagement metrics. \\? for help, \\h for the functions, \\q to quit.",
            env!("CARGO_PKG_VERSION")
        );
    }
    loop {
        match editor.readline(PROMPT) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => {
                let _ = editor.add_history_entry(line.trim_end());
                let items = match shell.parse(&line) {
                    Ok(items) => items,
                    Err(e) => {
                        eprintln!("Error: {}", e.strip_backtrace());
                        continue;
                    }
                };
                let mut quit = false;
                for item in items {
                    let result = tokio::select! {
                        result = shell.run_item(item, Sink::Stdout) => result,
                        () = crate::interrupt::interrupted() => {
                            eprintln!("^C: query cancelled");
                            break;
                        }
                    };
                    match result {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Quit) => {
                            quit = true;
                            break;
                        }
                        Err(message) => {
                            eprintln!("Error: {message}");
                            break;
                        }
                    }
                }
                if quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::Failed(format!("cannot read input: {e}"))),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}
