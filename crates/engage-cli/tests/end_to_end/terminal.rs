//! `engage` on a pseudo-terminal (through util-linux `script`): the interactive shell with
//! multi-line statements, meta-commands, timing lines and history, and the progress line that
//! only a terminal gets.

use std::io::Write;
use std::process::{Command, Stdio};

use super::repo_root;

/// Runs `engage ARGS` with its standard streams on a pseudo-terminal, typing `input` a line at
/// a time, and returns everything the terminal showed.
pub(super) fn on_terminal(args: &str, input: &str, env: &[(&str, &str)]) -> String {
    // One line at a time, as typed. A line that starts a statement waits for an empty prompt
    // (its hint names `\q`): typed while the previous statement still runs, it would be lost
    // when the line editor takes the terminal back. A continuation line follows at once.
    let mut statement_done = true;
    let steps: Vec<Step> = input
        .split_inclusive('\n')
        .map(|line| {
            let wait_for = if statement_done { EMPTY_PROMPT } else { "" };
            let trimmed = line.trim();
            statement_done = trimmed.ends_with(';') || trimmed.starts_with('\\');
            Step {
                wait_for,
                text: line,
                pause: 0,
            }
        })
        .collect();
    typed_on_terminal(args, &steps, env)
}

/// What the terminal shows once the shell waits for a new statement: the banner, or the hint
/// on an empty prompt.
const EMPTY_PROMPT: &str = "\\q to quit";

/// One piece of typing: once the terminal shows `wait_for` (at most 30 s) after the previous
/// piece was typed, type `text`, then pause `pause` milliseconds.
struct Step<'a> {
    wait_for: &'a str,
    text: &'a str,
    pause: u64,
}

/// [`on_terminal`] with each piece of input typed when the terminal is ready for it.
fn typed_on_terminal(args: &str, steps: &[Step], env: &[(&str, &str)]) -> String {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    // `exec`: the shell `script` starts replaces itself with engage. A dash left waiting for
    // engage would be in the terminal's foreground group, die of the Ctrl-C meant for engage,
    // and make `script` report status 130 while engage goes on.
    let command = format!("exec {} {args}", env!("CARGO_BIN_EXE_engage"));
    let child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(repo_root())
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs commands on a pseudo-terminal");
    let mut child = KilledOnDrop(child);
    let child = &mut child.0;
    // The terminal's output, as it arrives.
    let shown = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let shown = Arc::clone(&shown);
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut chunk) {
                shown.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        })
    };
    let text_since =
        |from: usize| String::from_utf8_lossy(&shown.lock().unwrap()[from..]).into_owned();
    let text_so_far = || text_since(0);
    let mut stdin = child.stdin.take().unwrap();
    // Where the output stood when the previous piece was typed: what a step waits for must
    // come after it.
    let mut typed_at = 0;
    for step in steps {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !text_since(typed_at).contains(step.wait_for) {
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {:?}; the terminal shows: {}",
                step.wait_for,
                text_so_far()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        typed_at = shown.lock().unwrap().len();
        stdin.write_all(step.text.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(step.pause));
    }
    // Standard input stays open until the shell has left by itself: closing it hangs the
    // terminal up, and a shell still answering the last line would die of the hangup.
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        status.success(),
        "{status}: {stderr}\nthe terminal shows: {}",
        text_so_far()
    );
    text_so_far()
}

/// `script` and the shell it runs, killed if a test fails before the shell has left: a shell
/// left running a long query would slow every test after it.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let script = &mut self.0;
        if script.try_wait().ok().flatten().is_none() {
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &script.id().to_string()])
                .status();
            let _ = script.kill();
            let _ = script.wait();
        }
    }
}

#[test]
fn interactive_session() {
    let history = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let shown = on_terminal(
        "",
        "SELECT nps(score) AS nps\nFROM (VALUES (10), (9), (0)) AS t(score);\n\\h nps\nSELECT nps(12);\n\\d\n\\q\n",
        &[("ENGAGE_HISTORY", history.to_str().unwrap())],
    );
    assert!(
        shown.contains("\\? for help, \\h for the functions, \\q to quit"),
        "{shown}"
    );
    // The two-line statement ran as one, with its timing line.
    assert!(shown.contains("| 33.333333333333336 |"), "{shown}");
    assert!(shown.contains("1 row in "), "{shown}");
    assert!(shown.contains("Syntax:"), "{shown}");
    // An error is shown and the session goes on.
    assert!(shown.contains("nps: score 12 is not valid"), "{shown}");
    assert!(
        shown.contains("table_type") || shown.contains("| type"),
        "{shown}"
    );
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("SELECT nps(12);"), "{saved}");
}

#[test]
fn progress_is_shown_on_a_terminal() {
    let shown = on_terminal(
        "-c 'SELECT count(DISTINCT value % 1000003) AS n FROM generate_series(1, 30000000)'",
        "",
        &[("ENGAGE_PROGRESS_AFTER_MS", "0")],
    );
    assert!(shown.contains("rows read"), "{shown}");
    assert!(shown.contains("1000003"), "{shown}");
}

#[test]
fn ctrl_c_cancels_the_running_query_and_the_session_goes_on() {
    let long_query = "SELECT count(DISTINCT a.value + b.value) FROM generate_series(1, 100000) a, \
                      generate_series(1, 100000) b;\n";
    let started = std::time::Instant::now();
    let shown = typed_on_terminal(
        "",
        &[
            Step {
                wait_for: "\\q to quit",
                text: long_query,
                pause: 0,
            },
            // Ctrl-C once the query runs (its progress line shows): the terminal turns it
            // into SIGINT for the shell.
            Step {
                wait_for: "rows read",
                text: "\x03",
                pause: 0,
            },
            Step {
                wait_for: "query cancelled",
                text: "SELECT 6 * 7 AS answer;\n",
                pause: 0,
            },
            Step {
                wait_for: "| 42 ",
                text: "\\q\n",
                pause: 0,
            },
        ],
        &[("ENGAGE_PROGRESS_AFTER_MS", "0")],
    );
    assert!(shown.contains("^C: query cancelled"), "{shown}");
    assert!(shown.contains("| 42 "), "{shown}");
    assert!(
        !shown.contains("10000000000"),
        "the long query did not finish: {shown}"
    );
    // The cancelled query's cross join keeps its workers for a minute before it next yields
    // (apache/datafusion#19358); quitting must not wait for it.
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(20),
        "the session took {took:?}"
    );
}
