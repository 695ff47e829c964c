//! `engage` on a pseudo-terminal (through util-linux `script`): the interactive shell with
//! multi-line statements, meta-commands, timing lines and history, and the progress line that
//! only a terminal gets.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo_root() -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `engage ARGS` with its standard streams on a pseudo-terminal, typing `input` a line at
/// a time, and returns everything the terminal showed.
fn on_terminal(args: &str, input: &str, env: &[(&str, &str)]) -> String {
    // One line at a time, as typed; the shell answers each before the next arrives.
    let steps: Vec<(&str, u64)> = input
        .split_inclusive('\n')
        .map(|line| (line, 300))
        .collect();
    typed_on_terminal(args, &steps, env)
}

/// [`on_terminal`] with each piece of input followed by its own pause, in milliseconds.
fn typed_on_terminal(args: &str, steps: &[(&str, u64)], env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_engage"));
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(repo_root())
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs commands on a pseudo-terminal");
    let mut stdin = child.stdin.take().unwrap();
    for (text, pause) in steps {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*pause));
    }
    // Time to answer the last line before standard input closes (which hangs the terminal up).
    std::thread::sleep(std::time::Duration::from_millis(1000));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn interactive_session() {
    let history = std::env::temp_dir().join(format!("engage-history-{}", std::process::id()));
    let _ = std::fs::remove_file(&history);
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
    let shown = typed_on_terminal(
        "",
        &[
            (long_query, 2_000),
            // Ctrl-C: the terminal turns it into SIGINT for the shell.
            ("\x03", 1_000),
            ("SELECT 6 * 7 AS answer;\n", 1_500),
            ("\\q\n", 500),
        ],
        &[],
    );
    assert!(shown.contains("^C: query cancelled"), "{shown}");
    assert!(shown.contains("| 42 "), "{shown}");
    assert!(
        !shown.contains("10000000000"),
        "the long query did not finish: {shown}"
    );
}
