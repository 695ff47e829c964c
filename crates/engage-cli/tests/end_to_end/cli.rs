//! End-to-end tests of the `engage` binary: flags, formats, ordering and exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::{engage_csv, repo_root};

fn engage(args: &[&str]) -> Output {
    engage_env(args, &[])
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

/// A file of `contents` under the system's temporary directory, its name ending in `name`
/// (which keeps the extension engage reads the format from), removed when dropped.
fn temp_file(name: &str, contents: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new()
        .prefix("engage-test-")
        .suffix(name)
        .tempfile()
        .unwrap();
    std::fs::write(file.path(), contents).unwrap();
    file.into_temp_path()
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
fn the_retention_report_runs() {
    let output = engage(&["--format", "csv", "-f", "sql/retention.sql"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        // The first weekly cohort: 102 users, 32.4 % back in week 1, fewer as weeks pass
        // (tests/slt/retention.slt checks the function against hand-written SQL on this data).
        "cohort,users,w1,w2,",
        "2026-06-29,102,32.4,31.4,22.5,19.6,",
        // The youngest cohort has no week over yet: every rate empty.
        "2026-09-28,0,,,,,,,,,,,,",
        "referral,",
        "week,active,new,returning,resurrecting,dormant,churn_pct,retention_pct",
        "2026-07-06,647,198,449,0,70,13.5,86.5",
        "plan,jul_churn_pct,aug_churn_pct,sep_churn_pct,flags_quarterly_churn_pct",
        "enterprise,",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[test]
fn the_funnels_report_runs() {
    let output = engage(&["--format", "csv", "-f", "sql/funnels.sql"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        // The whole funnel (tests/slt/funnels.slt checks the functions against self-joins).
        "step,users,dropped_off,from_previous_pct,from_view_pct",
        "1,1677,0,100.0,100.0",
        "4,574,167,77.5,34.2",
        // Times to convert (tests/slt/funnel_depth.slt checks them against SQL by hand).
        "step,users,median_minutes,p90_minutes,avg_minutes",
        "4,574,33.3,50.0,40.8",
        "time_to_pay,payers,share_pct",
        "900 s to 3600 s,564,94.2",
        "step,users,users_without_browsing_again",
        // Modes (funnels.slt checks them against a walk written in SQL): a few chains of
        // the generated shop sessions are interrupted.
        "step,users,users_strict_order,users_no_repeat",
        "3,741,740,740",
        "device,viewed,carted,delivery,paid,paid_pct",
        "desktop,699,484,319,259,37.1",
        "mobile,978,676,422,315,32.2",
        // Users per level: as many reach level 4 as the funnel's last step.
        "level,users",
        "4,574",
        "channel,paid_within_hour_pct,paid_within_day_pct,paid_within_week_pct",
        "2026-08-01,4,245,30.2",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[test]
fn the_marketing_support_and_web_reports_run() {
    for (report, expected) in [
        (
            "sql/marketing.sql",
            &[
                "ctr_pct",
                "summer_sale",
                "click_to_open_pct",
                "growth_pct",
                "bounce_pct",
                "avg_minutes",
                "first_week_active_pct",
                "export_pct",
                "clv_3_years",
                "enterprise",
            ][..],
        ),
        (
            "sql/support.sql",
            &[
                "avg_hours_to_resolve",
                "avg_hours_to_first_reply",
                "urgent",
                "csat_95",
                "ces_95",
                "3: over 2 days",
                "nps_weighted_95",
                "passives",
            ][..],
        ),
        (
            "sql/web.sql",
            &[
                "source,sessions,bounce_pct,pages_per_session,avg_minutes",
                "gap_minutes,bounce_pct,pages_per_session",
                "page,views,landings,bounce_pct,exit_pct,avg_seconds_on_page",
                "reached_75_pct",
                "direct",
                "/blog/retention-curves",
                "step,page,next_page,visitors,share_pct",
            ][..],
        ),
    ] {
        let output = engage(&["--format", "csv", "-f", report]);
        assert!(output.status.success(), "{report}: {}", stderr(&output));
        let text = stdout(&output);
        for expected in expected {
            assert!(
                text.contains(expected),
                "{report}: missing {expected} in\n{text}"
            );
        }
        // No metric came out NULL (an empty CSV field) where the sample data has values. The
        // exceptions: the engagement rate, the last column, of campaigns whose channel (the
        // second column) collects no social interactions; and a path's next page where the
        // visitors left (`step,/page,,visitors,share`).
        for line in text.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            let without_interactions = matches!(fields.get(1), Some(&("paid_search" | "email")));
            let empty_last = line.ends_with(',') && !without_interactions;
            let path_end = matches!(
                fields.as_slice(),
                [step, page, "", visitors, _] if step.parse::<u32>().is_ok()
                    && page.starts_with('/') && visitors.parse::<u64>().is_ok()
            );
            assert!(
                (!line.contains(",,") || path_end) && !empty_last,
                "{report}: NULL in {line}"
            );
        }
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

fn engage_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .output()
        .unwrap()
}

/// A fresh, empty directory for output files, removed with what is in it when dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("engage-test-{name}-"))
        .tempdir()
        .unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const BY_SEGMENT: &str = "SELECT segment, nps(score) AS nps FROM (VALUES ('a', 10), ('a', 0), ('b', 9)) AS t(segment, score) GROUP BY segment ORDER BY segment";

#[test]
fn tsv_format() {
    let output = engage(&["--format", "tsv", "-c", BY_SEGMENT]);
    assert_eq!(
        stdout(&output),
        "segment\tnps\na\t0.0\nb\t100.0\n",
        "{}",
        stderr(&output)
    );
}

#[test]
fn query_files_are_taken_by_path() {
    let file = temp_file("by-path.sql", "SELECT 7 AS seven;");
    let output = engage(&[
        "--format",
        "csv",
        file.to_str().unwrap(),
        "-c",
        "SELECT 8 AS eight",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "seven\n7\neight\n8\n");
}

#[test]
fn output_file_takes_the_last_result_in_the_extension_format() {
    let dir = temp_dir("output-csv");
    let target = dir.path().join("nps.csv");
    let output = engage(&[
        "-c",
        "SELECT 1 AS shown_on_stdout",
        "-c",
        BY_SEGMENT,
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("shown_on_stdout"));
    assert!(!stdout(&output).contains("segment"));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "segment,nps\na,0.0\nb,100.0\n"
    );
    assert!(
        stderr(&output).contains("wrote 2 rows to"),
        "{}",
        stderr(&output)
    );
    assert_eq!(entries(dir.path()), ["nps.csv"]);

    // --format wins over the extension; -q drops the notice.
    let output = engage(&[
        "-q",
        "--format",
        "ndjson",
        "-c",
        BY_SEGMENT,
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "{\"segment\":\"a\",\"nps\":0.0}\n{\"segment\":\"b\",\"nps\":100.0}\n"
    );

    for (name, expected_start) in [
        ("r.tsv", "segment\tnps\n"),
        ("r.json", "[{\"segment\":\"a\""),
        ("r.jsonl", "{\"segment\":\"a\""),
        ("r.txt", "+---------+"),
    ] {
        let path = dir.path().join(name);
        let output = engage(&["-q", "-c", BY_SEGMENT, "-o", path.to_str().unwrap()]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with(expected_start), "{name}: {written}");
    }
}

#[test]
fn output_file_in_parquet_reads_back() {
    let dir = temp_dir("output-parquet");
    let target = dir.path().join("by_segment.parquet");
    let output = engage(&["-q", "-c", BY_SEGMENT, "-o", target.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let query = format!(
        "SELECT segment, nps, arrow_typeof(nps) AS type FROM '{}' ORDER BY segment",
        target.display()
    );
    let output = engage(&["--format", "csv", "-c", &query]);
    assert_eq!(
        stdout(&output),
        "segment,nps,type\na,0.0,Float64\nb,100.0,Float64\n",
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failing_run_leaves_no_output_file_and_an_existing_one_untouched() {
    let dir = temp_dir("output-atomic");
    let target = dir.path().join("report.csv");
    // The failure comes from the last statement itself, while it is being computed.
    let failing = "SELECT nps(score) FROM (VALUES (9), (12)) AS t(score)";
    let output = engage(&["-c", failing, "-o", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "nothing may be left behind"
    );

    std::fs::write(&target, "the previous report\n").unwrap();
    for args in [
        vec!["-c", failing],
        vec!["-c", "SELECT nps(11)", "-c", BY_SEGMENT],
        vec![
            "-c",
            BY_SEGMENT,
            "-c",
            "SELECT * FROM 'no/such/file.parquet'",
        ],
    ] {
        let mut args = args.clone();
        args.extend(["-o", target.to_str().unwrap()]);
        let output = engage(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the previous report\n"
        );
        assert_eq!(entries(dir.path()), ["report.csv"], "{args:?}");
    }
}

#[test]
fn an_interrupted_run_exits_130_and_leaves_the_output_file_untouched() {
    // SIGTERM (a scheduler stopping the job) and SIGINT (Ctrl-C in the terminal running it).
    for signal in ["TERM", "INT"] {
        let dir = temp_dir(&format!("output-interrupted-{signal}"));
        let target = dir.path().join("report.parquet");
        std::fs::write(&target, "the previous report\n").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_engage"))
            .args([
                "-c",
                "SELECT count(DISTINCT a.value + b.value) FROM generate_series(1, 100000) a, generate_series(1, 100000) b",
                "-o",
                target.to_str().unwrap(),
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "SIG{signal}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("Interrupted"));
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the previous report\n"
        );
        assert_eq!(entries(dir.path()), ["report.parquet"], "SIG{signal}");
    }
}

#[test]
fn output_file_usage_errors() {
    let output = engage(&["-c", "SELECT 1", "-o", "report.unknown"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("report.unknown"),
        "{}",
        stderr(&output)
    );

    let dir = temp_dir("output-ddl");
    let target = dir.path().join("t.csv");
    let output = engage(&["-c", "\\h", "-o", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let output = engage(&[
        "-c",
        "CREATE TABLE t (x INT)",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no result to write"),
        "{}",
        stderr(&output)
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn engine_options_from_the_command_line() {
    let output = engage(&[
        "--format",
        "csv",
        "--target-partitions",
        "3",
        "--set",
        "datafusion.execution.batch_size=1234",
        "-c",
        "SELECT name, value FROM information_schema.df_settings WHERE name IN ('datafusion.execution.target_partitions', 'datafusion.execution.batch_size') ORDER BY name",
    ]);
    assert_eq!(
        stdout(&output),
        "name,value\ndatafusion.execution.batch_size,1234\ndatafusion.execution.target_partitions,3\n",
        "{}",
        stderr(&output)
    );

    let output = engage(&[
        "--set",
        "datafusion.execution.no_such_option=1",
        "-c",
        "SELECT 1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no_such_option"),
        "{}",
        stderr(&output)
    );
    // Runtime options too, checked as SET checks them.
    let output = engage(&[
        "--format",
        "csv",
        "--set",
        "datafusion.runtime.max_temp_directory_size=2G",
        "-c",
        "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.runtime.max_temp_directory_size'",
    ]);
    assert_eq!(stdout(&output), "value\n2G\n", "{}", stderr(&output));
    let output = engage(&[
        "--set",
        "datafusion.runtime.no_such_option=1",
        "-c",
        "SELECT 1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--set datafusion.runtime.no_such_option=1")
            && stderr(&output).contains("Unknown runtime configuration"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        engage(&["--set", "novalue", "-c", "SELECT 1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        engage(&["--target-partitions", "0", "-c", "SELECT 1"])
            .status
            .code(),
        Some(2)
    );
}

/// A users table of a few MB joined to a larger events table: the shell builds one hash
/// table of the users that every partition probes, instead of hash-partitioning both sides
/// (DataFusion's default above 1 MB); `--set` still decides.
#[test]
fn a_users_table_of_a_few_megabytes_is_joined_without_repartitioning_the_events() {
    let dir = temp_dir("collected-join");
    let users = dir.path().join("users.parquet");
    let events = dir.path().join("events.parquet");
    let (users, events) = (users.to_str().unwrap(), events.to_str().unwrap());
    let written = engage_csv(&[
        &format!(
            "COPY (SELECT value AS user_id, to_timestamp(value * 60) AS signup_time \
             FROM generate_series(1, 400000)) TO '{users}'"
        ),
        &format!(
            "COPY (SELECT value % 400000 AS user_id, to_timestamp(value * 7) AS event_time \
             FROM generate_series(1, 2000000)) TO '{events}'"
        ),
    ]);
    assert!(written.is_ok(), "{written:?}");
    let join = format!(
        "EXPLAIN SELECT count(e.event_time) FROM '{users}' AS u \
         LEFT JOIN '{events}' AS e ON e.user_id = u.user_id"
    );
    let plan = |settings: &[&str]| {
        let mut args = vec!["--target-partitions", "2"];
        for setting in settings {
            args.extend(["--set", setting]);
        }
        args.extend(["-c", join.as_str()]);
        let output = engage(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let collected = plan(&[]);
    assert!(
        collected.contains("HashJoinExec: mode=CollectLeft"),
        "{collected}"
    );
    assert!(
        !collected.contains("RepartitionExec: partitioning=Hash"),
        "{collected}"
    );
    let partitioned = plan(&[
        "datafusion.optimizer.hash_join_single_partition_threshold=1048576",
        "datafusion.optimizer.hash_join_single_partition_threshold_rows=131072",
    ]);
    assert!(
        partitioned.contains("HashJoinExec: mode=Partitioned"),
        "{partitioned}"
    );
}

#[test]
fn memory_limit_is_enforced() {
    let query = "SELECT array_agg(value) FROM generate_series(1, 3000000)";
    let output = engage(&["--memory-limit", "2M", "-c", query]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("Resources exhausted"),
        "{}",
        stderr(&output)
    );
    let output = engage(&[
        "--memory-limit",
        "1G",
        "--format",
        "csv",
        "-c",
        &format!("SELECT cardinality(a) AS n FROM ({query}) t(a)"),
    ]);
    assert_eq!(stdout(&output), "n\n3000000\n", "{}", stderr(&output));
    let output = engage(&["--memory-limit", "lots", "-c", "SELECT 1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("'lots' is not a size"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_malformed_csv_names_the_file_and_line() {
    let file = temp_file(
        "malformed.csv",
        "user_id,score\n1,9\n2,10\n3,7,extra\n4,8\n",
    );
    let output = engage(&[
        "-c",
        &format!("SELECT nps(score) FROM '{}'", file.display()),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains(file.to_str().unwrap()), "{message}");
    assert!(message.contains("line 4"), "{message}");

    let file = temp_file("bad-value.csv", "user_id,score\n1,9\n2,ten\n");
    let output = engage(&[
        "-c",
        &format!(
            "CREATE EXTERNAL TABLE s (user_id BIGINT, score BIGINT) STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true')",
            file.display()
        ),
        "-c",
        "SELECT nps(score) FROM s",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("statement 1 (SELECT nps(score) FROM s)"),
        "{message}"
    );
    assert!(message.contains(file.to_str().unwrap()), "{message}");
    assert!(message.contains("'ten'"), "{message}");
}

#[test]
fn progress_stays_off_when_stderr_is_not_a_terminal() {
    let output = engage_env(
        &["-c", "SELECT count(*) FROM generate_series(1, 20000000)"],
        &[("ENGAGE_PROGRESS_AFTER_MS", "0")],
    );
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
}

#[test]
fn meta_commands_from_standard_input() {
    let output = engage_with_stdin(
        &[],
        "CREATE TABLE answers (segment VARCHAR, score INT);\n\\d\n\\d answers\n\\h\n\\h nps\n\\?\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    // \d lists the table, \d answers its columns.
    assert!(
        text.contains("| datafusion | public | answers | BASE TABLE |"),
        "{text}"
    );
    assert!(text.contains("| segment     | Utf8"), "{text}");
    // \h lists every function of ours with its first sentence.
    for name in [
        "nps",
        "csat",
        "ces",
        "churn_rate",
        "retention_rate",
        "stickiness",
        "engagement_score",
        "engagement_tier",
        "nps_group",
        "ctr",
        "engagement_rate",
        "nps_summary",
        "csat_summary",
        "ces_summary",
        "feature_adoption",
        "bounce_rate",
        "pages_per_session",
        "avg_session_duration",
        "avg_resolution_time",
        "clv",
        "first_week_active_rate",
    ] {
        assert!(
            text.contains(&format!("\n  {name} ")),
            "{name} missing:\n{text}"
        );
    }
    // \h nps is the full documentation.
    assert!(text.contains("Syntax:\n  nps(score [, weight])"), "{text}");
    assert!(text.contains("Arguments:\n  score"), "{text}");
    assert!(text.contains("Example:"), "{text}");
    assert!(text.contains("\\timing [on|off]"), "{text}");

    let output = engage_with_stdin(&[], "\\d 'examples/data/customers.csv'\n");
    assert!(
        stdout(&output).contains("active_at_start"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_on_an_unknown_function_suggests_the_nearest() {
    let output = engage(&["-c", "\\h stickyness"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no function named 'stickyness'. Did you mean stickiness?"),
        "{}",
        stderr(&output)
    );
    // DataFusion's own functions have their documentation too.
    let output = engage(&["-c", "\\h avg"]);
    assert!(
        stdout(&output).contains("Syntax:\n  avg(expression)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn timing_format_and_quit_commands() {
    let output = engage_with_stdin(
        &[],
        "\\timing on\n\\format csv\nSELECT 1 AS one;\n\\q\nSELECT 2 AS never;\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("Timing is on.\none\n1\n1 row in "),
        "{text}"
    );
    assert!(!text.contains("never"), "{text}");

    let output = engage(&["-c", "\\format xml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unknown format 'xml'"));
    let output = engage(&["-c", "\\nosuch"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unknown command '\\nosuch'"));
}

/// Python's static file server on a free loopback port, serving `examples/data`; stopped on drop.
/// Python's web server, serving the sample data on a loopback port (`.1`).
pub(super) struct HttpServer(std::process::Child, pub(super) u16);

impl HttpServer {
    pub(super) fn start() -> Self {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .current_dir(repo_root().join("examples/data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serves the test files over http");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|word| *word != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected http.server banner: {line:?}"));
        Self(child, port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn csv_over_http_gives_the_local_numbers() {
    let server = HttpServer::start();
    let query = "SELECT plan, churn_rate(active_at_start, active_at_end) AS churn, count(*) AS n FROM '{}' GROUP BY plan ORDER BY plan";
    let url = format!("http://127.0.0.1:{}/customers.csv", server.1);
    let over_http = engage(&["--format", "csv", "-c", &query.replace("{}", &url)]);
    assert!(over_http.status.success(), "{}", stderr(&over_http));
    let local = engage(&[
        "--format",
        "csv",
        "-c",
        &query.replace("{}", "examples/data/customers.csv"),
    ]);
    assert_eq!(stdout(&over_http), stdout(&local));
    assert!(stdout(&local).contains("enterprise"));

    let missing = format!("http://127.0.0.1:{}/no-such.csv", server.1);
    let output = engage(&["-c", &format!("SELECT count(*) FROM '{missing}'")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains(&missing), "{message}");
}

/// 1.5 million rows of about 40 bytes: far more than the memory limit the tests below set.
const LARGE_RESULT: &str = "SELECT value, 'user ' || value || ' of a large result' AS label \
                            FROM generate_series(1, 1500000)";

#[test]
fn results_larger_than_the_memory_limit_stream_to_stdout_and_files() {
    for format in ["csv", "tsv", "ndjson"] {
        let output = engage(&[
            "--memory-limit",
            "8M",
            "--format",
            format,
            "-c",
            LARGE_RESULT,
        ]);
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        let text = stdout(&output);
        let header = usize::from(format != "ndjson");
        assert_eq!(text.lines().count(), 1_500_000 + header, "{format}");
        assert!(text.len() > 50_000_000, "{format}: {} bytes", text.len());
    }
    let dir = temp_dir("output-streamed");
    for name in ["large.parquet", "large.csv", "large.jsonl"] {
        let target = dir.path().join(name);
        let output = engage(&[
            "--memory-limit",
            "8M",
            "-c",
            LARGE_RESULT,
            "-o",
            target.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("wrote 1500000 rows"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(
        entries(dir.path()),
        ["large.csv", "large.jsonl", "large.parquet"],
        "no temporary file is left"
    );
    let read_back = engage(&[
        "--format",
        "csv",
        "-c",
        &format!(
            "SELECT count(*) AS n, sum(value) AS total FROM '{}'",
            dir.path().join("large.parquet").display()
        ),
    ]);
    assert_eq!(
        stdout(&read_back),
        "n,total\n1500000,1125000750000\n",
        "{}",
        stderr(&read_back)
    );
}

#[test]
fn a_table_larger_than_the_memory_limit_is_a_clear_error() {
    let output = engage(&["--memory-limit", "8M", "-c", LARGE_RESULT]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("too large to hold for the table format")
            && message.contains("--format csv"),
        "{message}"
    );
    assert!(stdout(&output).is_empty(), "no partial table is printed");
}

#[test]
fn a_rename_that_fails_after_the_data_is_written_leaves_nothing_behind() {
    let dir = temp_dir("output-rename-fails");
    // The target is a directory with a file in it: writing the temporary file succeeds, and
    // only the final rename over the target fails.
    let target = dir.path().join("report.csv");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let output = engage(&["-c", LARGE_RESULT, "-o", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot replace output file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        entries(dir.path()),
        ["report.csv"],
        "the temporary file is removed"
    );
    assert_eq!(entries(&target), ["keep"]);
}

#[test]
fn distinct_key_metrics_by_user_spill_under_a_memory_limit_with_the_same_answer() {
    // 200 000 users of 6 events each, every event in a session of its own user's: the states
    // of 200 000 groups do not fit in 40 MB.
    let events = "SELECT value % 200000 AS user_id, value % 50000 AS session_id, \
                  arrow_cast(value * 997 * 1000000, 'Timestamp(Microsecond, None)') AS t, \
                  arrow_cast((value - value % 7) * 997 * 1000000, 'Timestamp(Microsecond, None)') AS signup, \
                  value % 3 = 0 AS used, value % 40 AS amount \
                  FROM generate_series(1, 1200000)";
    for metric in [
        "stickiness(session_id, t)",
        "feature_adoption(session_id, used)",
        "first_week_active_rate(session_id, t, signup)",
        "bounce_rate(session_id)",
        "pages_per_session(session_id)",
        "avg_session_duration(session_id, t)",
        "clv(amount, session_id, t, 3)",
    ] {
        let query = format!(
            "WITH e AS ({events}) SELECT count(*) AS users, count(m) AS with_value, \
             round(sum(m), 3) AS total FROM (SELECT user_id, {metric} AS m FROM e GROUP BY user_id)"
        );
        let unlimited = engage(&["--format", "csv", "-c", &query]);
        assert!(
            unlimited.status.success(),
            "{metric}: {}",
            stderr(&unlimited)
        );
        assert!(
            stdout(&unlimited).starts_with("users,with_value,total\n200000,"),
            "{metric}: {}",
            stdout(&unlimited)
        );
        let limited = engage(&["--memory-limit", "40M", "--format", "csv", "-c", &query]);
        assert_eq!(
            stdout(&limited),
            stdout(&unlimited),
            "{metric}: {}",
            stderr(&limited)
        );
        let plan = engage(&[
            "--memory-limit",
            "40M",
            "--format",
            "csv",
            "-c",
            &format!("EXPLAIN ANALYZE {query}"),
        ]);
        let spills: u64 = stdout(&plan)
            .split("spill_count=")
            .skip(1)
            .filter_map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum();
        assert!(spills > 0, "{metric} did not spill: {}", stdout(&plan));
    }
}
