//! Tables over directories: Hive-style partitions (typed, pruned), files in plain
//! sub-directories, and directories written by Spark with their bookkeeping files. Each reads
//! the same rows as the sample file they were made from.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{engage, engage_csv, files_below, files_opened, repo_root, text};

/// Runs the statements in CSV format and returns the output of the last one.
fn csv(statements: &[&str]) -> String {
    engage_csv(statements).unwrap_or_else(|error| panic!("{error}"))
}

/// A directory of its own for this test process.
fn scratch(name: &str) -> PathBuf {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    let root = ROOT.get_or_init(|| tempfile::tempdir().unwrap());
    let dir = root.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sample events as a Hive-style directory `seg=…/month=…/`, written once.
fn partitioned_events() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("events_by_segment_and_month");
        csv(&[&format!(
            "COPY (SELECT *, segment AS seg, CAST(date_trunc('month', event_time) AS DATE) AS month \
             FROM 'examples/data/events.parquet') TO '{}/' STORED AS PARQUET PARTITIONED BY (seg, month)",
            dir.display()
        )]);
        dir
    })
}

const METRICS_BY_SEGMENT: &str = "SELECT segment, stickiness(user_id, event_time) AS dau_mau, \
    feature_adoption(user_id, event_name = 'export') AS adoption, count(*) AS n \
    FROM {} GROUP BY segment ORDER BY segment";

fn metrics_by_segment(location: &str) -> String {
    csv(&[&METRICS_BY_SEGMENT.replace("{}", location)])
}

#[test]
fn a_partitioned_directory_reads_the_rows_of_the_file_it_was_made_from() {
    let dir = partitioned_events();
    let expected = metrics_by_segment("'examples/data/events.parquet'");
    assert!(expected.lines().count() == 5, "{expected}");
    assert_eq!(
        metrics_by_segment(&format!("'{}/'", dir.display())),
        expected
    );
    // The partition values are columns.
    let by_partition = csv(&[&format!(
        "SELECT seg, month, count(*) AS n FROM '{}/' GROUP BY seg, month ORDER BY seg, month",
        dir.display()
    )]);
    let by_columns = csv(&[
        "SELECT segment AS seg, CAST(date_trunc('month', event_time) AS DATE) AS month, count(*) AS n \
         FROM 'examples/data/events.parquet' GROUP BY 1, 2 ORDER BY 1, 2",
    ]);
    assert_eq!(by_partition, by_columns);
}

#[test]
fn typed_partition_columns_keep_the_file_columns() {
    let dir = partitioned_events();
    let create = format!(
        "CREATE EXTERNAL TABLE events STORED AS PARQUET PARTITIONED BY (seg VARCHAR, month DATE) LOCATION '{}/'",
        dir.display()
    );
    let described = csv(&[&create, "DESCRIBE events"]);
    for column in [
        "user_id,Int64",
        "event_time,",
        "event_name,",
        "seg,Utf8",
        "month,Date32",
    ] {
        assert!(described.contains(column), "{column} in {described}");
    }
    // A DATE partition compares as a date, and the rows are those of the month.
    let in_september = csv(&[
        &create,
        "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM events WHERE month = DATE '2026-09-01'",
    ]);
    let expected = csv(&[
        "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM 'examples/data/events.parquet' \
         WHERE date_trunc('month', event_time) = TIMESTAMP '2026-09-01'",
    ]);
    assert_eq!(in_september, expected);
}

/// The files a query opened.
fn files_scanned(query: &str) -> usize {
    files_opened(&csv(&[&format!("EXPLAIN ANALYZE {query}")]))
}

/// How many (segment, month) directories the sample events fill, optionally of one segment.
fn partitions_in_sample(segment: Option<&str>) -> usize {
    let filter = segment.map_or(String::new(), |s| format!("WHERE segment = '{s}'"));
    let answer = csv(&[&format!(
        "SELECT count(DISTINCT (segment, date_trunc('month', event_time))) AS n \
         FROM 'examples/data/events.parquet' {filter}"
    )]);
    answer.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_filter_on_partition_columns_reads_only_the_matching_directories() {
    let dir = partitioned_events();
    // A query that reads rows (a count alone is answered from the files' statistics).
    let scanned = |filter: &str| {
        files_scanned(&format!(
            "SELECT count(DISTINCT user_id) FROM '{}/' {filter}",
            dir.display()
        ))
    };
    let all = scanned("");
    assert_eq!(all, partitions_in_sample(None));
    let smb = scanned("WHERE seg = 'smb'");
    assert_eq!(smb, partitions_in_sample(Some("smb")));
    assert!(smb < all, "{smb} of {all}");
    assert_eq!(scanned("WHERE seg = 'smb' AND month = '2026-09-01'"), 1);
}

/// Copies the files of the partitioned directory into `target` under new relative paths.
fn copy_parts(target: &Path, place: impl Fn(usize, &Path) -> PathBuf) {
    for (i, part) in files_below(partitioned_events()).iter().enumerate() {
        let to = target.join(place(i, part));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(part, to).unwrap();
    }
}

#[test]
fn files_in_plain_sub_directories_belong_to_the_table() {
    let dir = scratch("events_by_day_path");
    copy_parts(&dir, |i, _| {
        PathBuf::from(format!("2026/{:02}/{:02}/part-{i}.parquet", 7 + i % 3, i))
    });
    assert_eq!(
        metrics_by_segment(&format!("'{}/'", dir.display())),
        metrics_by_segment("'examples/data/events.parquet'")
    );
}

#[test]
fn a_directory_written_by_spark_skips_its_bookkeeping_files() {
    let dir = scratch("events_by_spark");
    let root = partitioned_events();
    copy_parts(&dir, |_, part| {
        part.strip_prefix(root).unwrap().to_path_buf()
    });
    // What Spark and Hadoop leave next to the data: markers, checksums, an aborted attempt.
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
    let first = std::fs::read_dir(dir.join("seg=smb"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(first.join(".part-00000.parquet.crc"), "not parquet").unwrap();
    let aborted = dir.join("_temporary/0/task_1");
    std::fs::create_dir_all(&aborted).unwrap();
    std::fs::copy(
        repo_root().join("examples/data/events.parquet"),
        aborted.join("part-00000.parquet"),
    )
    .unwrap();
    assert_eq!(
        metrics_by_segment(&format!("'{}/'", dir.display())),
        metrics_by_segment("'examples/data/events.parquet'")
    );
    // Named outright, a file under such a name is read.
    let aborted_file = aborted.join("part-00000.parquet");
    assert_eq!(
        csv(&[&format!(
            "SELECT count(*) AS n FROM '{}'",
            aborted_file.display()
        )]),
        csv(&["SELECT count(*) AS n FROM 'examples/data/events.parquet'"])
    );
}

#[test]
fn a_directory_that_cannot_be_one_table_says_why() {
    let dir = scratch("mixed_depths");
    let source = repo_root().join("examples/data/events.parquet");
    std::fs::copy(&source, dir.join("all.parquet")).unwrap();
    std::fs::create_dir_all(dir.join("seg=smb")).unwrap();
    std::fs::copy(&source, dir.join("seg=smb/part-0.parquet")).unwrap();
    let output = engage(&["-c", &format!("SELECT count(*) FROM '{}/'", dir.display())]);
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains("mixed partition values"), "{message}");
    assert!(!message.contains("not found"), "{message}");

    let empty = scratch("empty");
    let output = engage(&[
        "-c",
        &format!("SELECT count(*) FROM '{}/'", empty.display()),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("no files found at"),
        "{}",
        text(&output.stderr)
    );
}

/// A directory in FROM sees, in the same session, the files an earlier statement wrote or
/// replaced: its listing is not kept between statements, and its files' statistics (kept, so
/// that a directory of many files is not planned from every footer again) are used only for
/// a file of the same size and time. `count(*)` is answered from those statistics, so a stale
/// listing or statistic would give the old count (or fail to read the replaced file).
#[test]
fn a_directory_read_again_sees_the_files_written_since() {
    let dir = scratch("rewritten");
    let dir = dir.display();
    let write = |values: &str, file: &str| {
        format!("COPY (SELECT * FROM (VALUES {values}) AS t(x)) TO '{dir}/{file}'")
    };
    let rows = format!("SELECT count(*) AS n FROM '{dir}/'");
    let total = format!("SELECT sum(x) AS total FROM '{dir}/'");
    let out = csv(&[
        &write("(1), (2)", "day=1/part.parquet"),
        &rows,
        &total,
        &write("(1), (2), (3)", "day=1/part.parquet"),
        &rows,
        &total,
        &write("(10)", "day=2/part.parquet"),
        &rows,
        &total,
    ]);
    let results: Vec<&str> = out
        .lines()
        .filter(|line| line.chars().all(|c| c.is_ascii_digit()))
        .collect();
    // Each COPY's row count, then the rows and the total read back.
    assert_eq!(
        results,
        ["2", "2", "3", "3", "3", "6", "1", "4", "16"],
        "{out}"
    );
}
