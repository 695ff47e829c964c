//! End-to-end tests of the `engage` binary: flags, formats, ordering and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Read when the test runs, not when it is compiled: a target directory shared between
/// checkouts may hold a test binary built from another one.
fn repo_root() -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn engage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

fn engage_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("engage-test-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

const NPS_50: &str = "SELECT nps(score) AS nps FROM (VALUES (10), (9), (8), (7)) AS t(score)";

#[test]
fn table_is_the_default_format() {
    let output = engage(&["-c", NPS_50]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "+------+\n| nps  |\n+------+\n| 50.0 |\n+------+\n"
    );
}

#[test]
fn csv_json_and_ndjson_formats() {
    let query = "SELECT segment, nps(score) AS nps FROM (VALUES ('a', 10), ('a', 0), ('b', 9)) AS t(segment, score) GROUP BY segment ORDER BY segment";
    let csv = engage(&["--format", "csv", "-c", query]);
    assert_eq!(
        stdout(&csv),
        "segment,nps\na,0.0\nb,100.0\n",
        "{}",
        stderr(&csv)
    );
    let json = engage(&["--format", "json", "-c", query]);
    assert_eq!(
        stdout(&json),
        "[{\"segment\":\"a\",\"nps\":0.0},{\"segment\":\"b\",\"nps\":100.0}]\n"
    );
    let ndjson = engage(&["--format", "ndjson", "-c", query]);
    assert_eq!(
        stdout(&ndjson),
        "{\"segment\":\"a\",\"nps\":0.0}\n{\"segment\":\"b\",\"nps\":100.0}\n"
    );
}

#[test]
fn empty_results_keep_their_header() {
    let output = engage(&["--format", "csv", "-c", "SELECT 1 AS one WHERE false"]);
    assert_eq!(stdout(&output), "one\n");
}

#[test]
fn commands_and_files_run_in_the_order_given() {
    let file = temp_file(
        "insert.sql",
        "INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n",
    );
    let output = engage(&[
        "--format",
        "csv",
        "-c",
        "CREATE TABLE t (x INT)",
        "-f",
        file.to_str().unwrap(),
        "-c",
        "SELECT sum(x) AS total FROM t; SELECT count(*) AS n FROM t",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "count\n1\ncount\n1\ntotal\n5\nn\n2\n");
}

#[test]
fn a_failing_statement_stops_the_run_with_status_1() {
    let file = temp_file(
        "failing.sql",
        "SELECT 1 AS first;\nSELECT nps(11) AS second;\nSELECT 3 AS third;\n",
    );
    let output = engage(&[
        "--format",
        "csv",
        "-f",
        file.to_str().unwrap(),
        "-c",
        "SELECT 4 AS fourth",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "first\n1\n");
    let message = stderr(&output);
    assert!(message.contains("statement 2"), "{message}");
    assert!(message.contains(file.to_str().unwrap()), "{message}");
    assert!(
        message.contains("nps: score 11 is not valid: expected a whole number from 0 to 10"),
        "{message}"
    );
}

#[test]
fn a_syntax_error_runs_nothing_from_that_source() {
    let output = engage(&["-c", "SELECT 1; SELEC 2"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("-c #1"), "{}", stderr(&output));
}

#[test]
fn a_missing_file_names_the_path() {
    let output = engage(&["-f", "no/such/report.sql"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot read SQL file no/such/report.sql"),
        "{}",
        stderr(&output)
    );

    let output = engage(&["-c", "SELECT * FROM 'no/such/data.parquet'"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no/such/data.parquet"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_exit_with_status_2() {
    assert_eq!(
        engage(&["--format", "xml", "-c", "SELECT 1"]).status.code(),
        Some(2)
    );
    assert_eq!(engage(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(engage(&["-c"]).status.code(), Some(2));
}

#[test]
fn files_are_queried_by_path_and_as_external_tables() {
    let output = engage(&[
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS responses FROM 'examples/data/responses.parquet'",
        "-c",
        "CREATE EXTERNAL TABLE c STORED AS CSV LOCATION 'examples/data/customers.csv' OPTIONS ('format.has_header' 'true')",
        "-c",
        "SELECT count(*) AS customers FROM c",
        "-c",
        "SELECT count(*) AS rows FROM 'examples/data/*.parquet'",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("responses\n12000\ncustomers\n4000\nrows\n"),
        "{text}"
    );
}

#[test]
fn statements_are_read_from_standard_input() {
    let output = engage_with_stdin(
        &["--format", "csv"],
        "SELECT nps_group(9) AS g;\nSELECT engagement_tier(101) AS t;\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "g\npromoter\nt\npower_user\n");

    let output = engage_with_stdin(&[], "SELECT nps(12);");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("standard input, statement 1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn show_functions_lists_our_documentation() {
    let output = engage(&[
        "--format",
        "csv",
        "-c",
        "SELECT routine_name FROM information_schema.routines WHERE routine_name = 'stickiness'",
    ]);
    assert_eq!(
        stdout(&output),
        "routine_name\nstickiness\n",
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_overview_report_runs() {
    let output = engage(&["-f", "sql/overview.sql"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "enterprise",
        "mid_market",
        "smb",
        "startup",
        "free",
        "pro",
        "2026-07",
        "2026-09",
        "dau_mau_pct",
        "tier",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[test]
fn csv_writes_nested_values_as_text() {
    let output = engage(&[
        "--format",
        "csv",
        "-c",
        "SELECT [1, 2] AS list, NULL AS nothing, 'x' AS text",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "list,nothing,text\n\"[1, 2]\",,x\n");
}
