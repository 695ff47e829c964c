//! Delta Lake tables written by an independent writer (the deltalake Python package, from
//! `tests/stores/delta_tables.py`): every version reads the rows pyarrow reads, time travel by
//! version and by time, the metrics equal those over the same rows as plain Parquet, partitions
//! prune, a directory in FROM is read as its table, and the errors say what is wrong. The same
//! table is read over S3 from the moto server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::stores::{Credentials, Store, engage_on, python_with_servers};
use super::{files_below, repo_root, text};

pub(super) struct Tables {
    dir: tempfile::TempDir,
    /// `answers.json`: per version, `segment,n,user_sum` as CSV, and the columns.
    answers: String,
}

impl Tables {
    pub(super) fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The expected CSV of `version`, read from the answers' JSON (an array of strings).
    fn expected(&self, version: usize) -> String {
        let versions = &self.answers[self.answers.find("\"versions\": [").unwrap() + 13..];
        let mut strings = versions.split('"').skip(1).step_by(2);
        strings.nth(version).unwrap().replace("\\n", "\n")
    }

    /// The events table's files, with their keys under `events_delta/` (for the S3 server).
    pub(super) fn files(&self) -> Vec<(PathBuf, String)> {
        files_below(&self.dir.path().join("events_delta"))
            .into_iter()
            .map(|path| {
                let key = path
                    .strip_prefix(self.dir.path())
                    .unwrap()
                    .display()
                    .to_string();
                (path, key)
            })
            .collect()
    }
}

/// The tables, written once per test process.
pub(super) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = repo_root();
        let written = Command::new(python_with_servers())
            .arg(root.join("crates/engage-cli/tests/stores/delta_tables.py"))
            .arg(root.join("examples/data"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(written.status.success(), "{}", text(&written.stderr));
        let answers = std::fs::read_to_string(dir.path().join("answers.json")).unwrap();
        Tables { dir, answers }
    })
}

use super::engage_csv as csv;

fn create(location: &str, options: &str) -> String {
    format!("CREATE EXTERNAL TABLE events STORED AS DELTATABLE LOCATION '{location}' {options}")
}

const BY_SEGMENT: &str = "SELECT segment, count(*) AS n, sum(user_id) AS user_sum FROM events \
                          GROUP BY segment ORDER BY segment";

#[test]
fn every_version_reads_the_rows_pyarrow_reads() {
    let tables = tables();
    let location = tables.path("events_delta/");
    for version in 0..4 {
        let read = csv(&[
            &create(&location, &format!("OPTIONS ('version' '{version}')")),
            BY_SEGMENT,
        ])
        .unwrap();
        assert_eq!(read, tables.expected(version), "version {version}");
    }
    // Without a version, the latest; its schema grew a column, which earlier versions lack.
    let latest = csv(&[&create(&location, ""), BY_SEGMENT]).unwrap();
    assert_eq!(latest, tables.expected(3));
    assert!(
        !tables.expected(2).contains("smb") && tables.expected(1).contains("smb"),
        "version 2 deletes the smb segment"
    );
    let columns = |options: &str| csv(&[&create(&location, options), "DESCRIBE events"]).unwrap();
    assert!(columns("").contains("channel,"));
    assert!(!columns("OPTIONS ('version' '1')").contains("channel,"));
}

#[test]
fn time_travel_by_time_reads_the_version_committed_by_then() {
    let tables = tables();
    let location = tables.path("events_delta/");
    // Version n was committed on 2026-11-0(n+1) at midnight UTC.
    for (time, version) in [
        ("2026-11-02T12:00:00Z", 1),
        ("2026-11-03T00:00:00Z", 2),
        ("2026-11-03T00:30:00+01:00", 1),
        ("2030-01-01T00:00:00Z", 3),
    ] {
        let read = csv(&[
            &create(&location, &format!("OPTIONS ('timestamp' '{time}')")),
            BY_SEGMENT,
        ])
        .unwrap();
        assert_eq!(read, tables.expected(version), "as of {time}");
    }
    let before = csv(&[&create(
        &location,
        "OPTIONS ('timestamp' '2026-10-31T00:00:00Z')",
    )])
    .unwrap_err();
    assert!(
        before.contains("has no version at or before 2026-10-31T00:00:00Z"),
        "{before}"
    );
}

#[test]
fn metrics_over_a_delta_table_equal_those_over_its_rows_as_parquet() {
    let tables = tables();
    let stickiness = "SELECT segment, month, stickiness(user_id, event_time) AS dau_mau, \
                      feature_adoption(user_id, event_name = 'export') AS adoption \
                      FROM {} GROUP BY segment, month ORDER BY segment, month";
    let over_delta = csv(&[
        &create(&tables.path("events_delta/"), ""),
        &stickiness.replace("{}", "events"),
    ])
    .unwrap();
    let over_parquet = csv(&[&stickiness.replace(
        "{}",
        &format!("'{}'", tables.path("events_current.parquet")),
    )])
    .unwrap();
    assert!(over_delta.lines().count() > 5, "{over_delta}");
    assert_eq!(over_delta, over_parquet);

    let nps = "SELECT segment, nps(nps_score) AS nps, csat(csat_score, 5) AS csat, count(*) AS n \
               FROM {} GROUP BY segment ORDER BY segment";
    let over_delta = csv(&[
        &format!(
            "CREATE EXTERNAL TABLE responses STORED AS DELTATABLE LOCATION '{}'",
            tables.path("responses_delta/")
        ),
        &nps.replace("{}", "responses"),
    ])
    .unwrap();
    let over_sample = csv(&[&nps.replace("{}", "'examples/data/responses.parquet'")]).unwrap();
    assert_eq!(over_delta, over_sample);
}

#[test]
fn a_delta_directory_in_from_reads_its_latest_version_not_its_files() {
    let tables = tables();
    let query = "SELECT segment, count(*) AS n, sum(user_id) AS user_sum FROM '{}' \
                 GROUP BY segment ORDER BY segment";
    let read = csv(&[&query.replace("{}", &tables.path("events_delta/"))]).unwrap();
    assert_eq!(read, tables.expected(3));
}

/// The files the last statement, an EXPLAIN ANALYZE, opened.
fn files_opened(statements: &[&str]) -> usize {
    super::files_opened(&csv(statements).unwrap())
}

#[test]
fn filters_on_the_partition_column_and_on_file_statistics_skip_files() {
    let tables = tables();
    let table = create(&tables.path("events_delta/"), "");
    let all = files_opened(&[
        &table,
        "EXPLAIN ANALYZE SELECT count(DISTINCT user_id) FROM events",
    ]);
    let september = files_opened(&[
        &table,
        "EXPLAIN ANALYZE SELECT count(DISTINCT user_id) FROM events WHERE month = '2026-09'",
    ]);
    assert_eq!(september, 1);
    assert!(all > september, "{all}");
    // File statistics prune too: only September's file holds times from mid-September on.
    let late_september = files_opened(&[
        &table,
        "EXPLAIN ANALYZE SELECT count(DISTINCT user_id) FROM events \
         WHERE event_time >= TIMESTAMP '2026-09-15T00:00:00Z'",
    ]);
    assert_eq!(late_september, 1);
}

#[test]
fn errors_name_the_table_and_what_is_wrong() {
    let tables = tables();
    let location = tables.path("events_delta/");
    let error = |options: &str| csv(&[&create(&location, options)]).unwrap_err();
    assert!(
        error("OPTIONS ('version' '9')").contains("has no version 9: the latest is 3"),
        "{}",
        error("OPTIONS ('version' '9')")
    );
    let message = error("OPTIONS ('versoin' '1')");
    assert!(
        message.contains("unknown option 'versoin': expected 'version' or 'timestamp'"),
        "{message}"
    );
    let message = error("OPTIONS ('timestamp' 'yesterday')");
    assert!(
        message.contains("timestamp 'yesterday' is not valid"),
        "{message}"
    );
    let message = error("OPTIONS ('version' '1', 'timestamp' '2026-11-02T00:00:00Z')");
    assert!(message.contains("not both"), "{message}");

    let message = csv(&[&create(
        &repo_root().join("examples/data/").display().to_string(),
        "",
    )])
    .unwrap_err();
    assert!(
        message.contains("is not a Delta table: it has no _delta_log/"),
        "{message}"
    );

    // A reader feature this reader does not know is named.
    let unknown = copy_with_reader_feature(&tables.dir.path().join("events_delta"));
    let message = csv(&[&create(&format!("{}/", unknown.display()), "")]).unwrap_err();
    assert!(message.contains("madeUpFeature"), "{message}");
    assert!(message.contains("not supported"), "{message}");
}

/// A copy of the table whose protocol requires a reader feature nobody supports.
fn copy_with_reader_feature(table: &Path) -> PathBuf {
    let copy = table.with_file_name("events_with_unknown_feature");
    let log = copy.join("_delta_log");
    std::fs::create_dir_all(&log).unwrap();
    let first =
        std::fs::read_to_string(table.join("_delta_log/00000000000000000000.json")).unwrap();
    let protocol = r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["madeUpFeature"],"writerFeatures":["madeUpFeature"]}}"#;
    let rewritten: Vec<&str> = first
        .lines()
        .map(|line| {
            if line.starts_with(r#"{"protocol""#) {
                protocol
            } else {
                line
            }
        })
        .collect();
    std::fs::write(
        log.join("00000000000000000000.json"),
        rewritten.join("\n") + "\n",
    )
    .unwrap();
    copy
}

/// The latest version, version 1 and the directory in FROM, on `store`'s server.
fn reads_on(store: Store) {
    let tables = tables();
    let local = csv(&[&create(&tables.path("events_delta/"), ""), BY_SEGMENT]).unwrap();
    let location = store.url("events_delta/");
    for (statements, expected) in [
        (vec![create(&location, ""), BY_SEGMENT.to_string()], &local),
        (
            vec![
                create(&location, "OPTIONS ('version' '1')"),
                BY_SEGMENT.to_string(),
            ],
            &tables.expected(1),
        ),
        (
            vec![BY_SEGMENT.replace("FROM events", &format!("FROM '{location}'"))],
            &local,
        ),
    ] {
        let mut args = vec!["--format", "csv", "-q"];
        for statement in &statements {
            args.extend(["-c", statement]);
        }
        let output = engage_on(store, &args, Credentials::Valid);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(&text(&output.stdout), expected, "{statements:?}");
    }
}

#[test]
fn a_delta_table_on_s3_reads_as_it_does_locally() {
    reads_on(Store::S3);
    // Credentials as table options, the environment's being refused.
    let with_options = create(
        &Store::S3.url("events_delta/"),
        &format!(
            "OPTIONS ('version' '1', {})",
            super::stores::s3_credential_options()
        ),
    );
    let output = engage_on(
        Store::S3,
        &[
            "--format",
            "csv",
            "-q",
            "-c",
            &with_options,
            "-c",
            BY_SEGMENT,
        ],
        Credentials::Refused,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), tables().expected(1));
}

#[test]
fn a_delta_table_on_gcs_reads_as_it_does_locally() {
    reads_on(Store::Gcs);
}

#[test]
fn a_delta_table_on_azure_reads_as_it_does_locally() {
    reads_on(Store::Azure);
}
