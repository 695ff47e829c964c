//! The nightly rollup of `sql/rollup_daily.sql`, one day at a time over 60 days (one day run
//! twice), read back by `sql/rollup_report.sql`: every monthly metric from the stored states
//! equals the same metric over the raw rows of those days. July compacted by
//! `sql/rollup_monthly.sql` gives `sql/rollup_report_monthly.sql` the same July numbers.

use super::{engage, text};

const FIRST_DAY: &str = "2026-07-01";
const DAYS: i64 = 60;

/// The raw-row form of each query of `sql/rollup_report.sql`, over the same 60 days: MAU and
/// active days per user in plain SQL (distinct users and user-days).
const RAW_REPORT: &str = "
SELECT date_trunc('month', CAST(event_time AS DATE)) AS month, segment,
       round(stickiness(user_id, event_time, 'month'), 2) AS dau_mau_pct
FROM events GROUP BY 1, 2 ORDER BY 1, 2;

SELECT date_trunc('month', CAST(event_time AS DATE)) AS month, segment,
       count(DISTINCT user_id) AS mau,
       round(CAST(count(DISTINCT concat(user_id, ' ', CAST(event_time AS DATE))) AS DOUBLE)
             / count(DISTINCT user_id), 2) AS active_days_per_user
FROM events GROUP BY 1, 2 ORDER BY 1, 2;

SELECT segment, r['period'] AS week, r['users'] AS users, r['retained'] AS retained,
       round(r['rate'], 1) AS retention_pct
FROM (SELECT segment, unnest(retention(user_id, event_time, INTERVAL '7 days', 8)) AS r
      FROM events GROUP BY segment)
ORDER BY segment, week;

SELECT date_trunc('month', response_date) AS month, segment, count(*) AS answers,
       round(nps(nps_score), 2) AS nps, round(csat(csat_score), 2) AS csat_pct,
       round(ces(ces_score), 2) AS ces
FROM responses GROUP BY 1, 2 ORDER BY 1, 2;
";

#[test]
fn monthly_metrics_from_daily_states_equal_the_raw_rows() {
    let states = tempfile::tempdir().unwrap();
    let states_var = format!("states={}", states.path().display());
    let first = chrono::NaiveDate::parse_from_str(FIRST_DAY, "%Y-%m-%d").unwrap();
    let days: Vec<String> = (0..DAYS)
        .map(|i| (first + chrono::Duration::days(i)).to_string())
        .collect();
    // The 10th day runs twice: its files are replaced, not added to.
    for day in days.iter().chain(std::iter::once(&days[9])) {
        let output = engage(&[
            "-q",
            "--var",
            &format!("day={day}"),
            "--var",
            "lake=examples/data",
            "--var",
            &states_var,
            "-f",
            "sql/rollup_daily.sql",
        ]);
        assert!(output.status.success(), "{day}: {}", text(&output.stderr));
    }
    let files = super::files_below(states.path());
    assert_eq!(files.len(), 2 * DAYS as usize, "{files:?}");

    // A report script over the states, as CSV.
    let report = |script: &str| {
        let output = engage(&["-q", "--format", "csv", "--var", &states_var, "-f", script]);
        assert!(
            output.status.success(),
            "{script}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    let got = report("sql/rollup_report.sql");

    let last = days.last().unwrap();
    let raw = tempfile::NamedTempFile::with_suffix(".sql").unwrap();
    std::fs::write(
        raw.path(),
        format!(
            "CREATE VIEW events AS SELECT * FROM 'examples/data/events.parquet'
             WHERE event_time >= TIMESTAMP '{FIRST_DAY}T00:00:00Z'
               AND event_time < TIMESTAMP '{last}T00:00:00Z' + INTERVAL '1 day';
             CREATE VIEW responses AS SELECT * FROM 'examples/data/responses.parquet'
             WHERE response_date BETWEEN DATE '{FIRST_DAY}' AND DATE '{last}';
             {RAW_REPORT}"
        ),
    )
    .unwrap();
    let expected = engage(&["-q", "--format", "csv", raw.path().to_str().unwrap()]);
    assert!(expected.status.success(), "{}", text(&expected.stderr));
    let expected = text(&expected.stdout);
    // Four exact results (stickiness and MAU for July and August, retention, survey scores),
    // then the approximate MAU and stickiness from the HLL sketches.
    let exact_lines = expected.lines().count();
    assert!(exact_lines > 40, "{expected}");
    assert!(expected.contains("2026-08-01"), "{expected}");
    let got_lines: Vec<&str> = got.lines().collect();
    assert_eq!(
        got_lines[..exact_lines].join("\n"),
        expected.lines().collect::<Vec<_>>().join("\n")
    );
    // July compacted into one file per kind, and read by the monthly report.
    let output = engage(&[
        "-q",
        "--var",
        "month=2026-07",
        "--var",
        &states_var,
        "-f",
        "sql/rollup_monthly.sql",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let monthly = report("sql/rollup_report_monthly.sql");
    assert!(monthly.lines().count() > 10, "{monthly}");
    assert_eq!(july(&monthly), july(&got));

    let approximate = &got_lines[exact_lines..];
    assert_eq!(
        approximate[0],
        "month,segment,approx_mau,approx_dau_mau_pct"
    );
    assert_eq!(approximate.len(), 1 + 8, "{approximate:?}");
    let exact_stickiness = result_rows(&expected, "month,segment,dau_mau_pct");
    let exact_mau = result_rows(&expected, "month,segment,mau,active_days_per_user");
    for row in &approximate[1..] {
        let fields: Vec<&str> = row.split(',').collect();
        let key = format!("{},{}", fields[0], fields[1]);
        let (mau, stickiness): (f64, f64) =
            (fields[2].parse().unwrap(), fields[3].parse().unwrap());
        // Within two standard errors of HLL lg_k 12 (1.6 % each; the ratio's at most their sum).
        let expected_mau = exact_mau[&key][0];
        assert!(
            (mau - expected_mau).abs() <= 0.033 * expected_mau,
            "{row}: MAU {expected_mau}"
        );
        let expected_stickiness = exact_stickiness[&key][0];
        assert!(
            (stickiness - expected_stickiness).abs() <= 0.066 * expected_stickiness,
            "{row}: DAU/MAU {expected_stickiness}"
        );
    }
}

/// The July rows of a CSV report, each result's header kept: what the monthly report of July
/// must print.
fn july(report: &str) -> String {
    report
        .lines()
        .filter(|line| line.starts_with("month,") || line.starts_with("2026-07"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rows of the CSV result with this header: "month,segment" to the numbers after them.
fn result_rows(output: &str, header: &str) -> std::collections::HashMap<String, Vec<f64>> {
    output
        .lines()
        .skip_while(|line| *line != header)
        .skip(1)
        .take_while(|line| line.starts_with("20"))
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let numbers = fields[2..].iter().map(|v| v.parse().unwrap()).collect();
            (format!("{},{}", fields[0], fields[1]), numbers)
        })
        .collect()
}
