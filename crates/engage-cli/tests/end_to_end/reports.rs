//! HTML reports (`-o report.html`, `--format html`), read back the way a person reads them: in
//! headless Chromium (Debian's package at /usr/bin/chromium, or CHROMIUM), driven by
//! playwright-core with `tests/reports/check_report.mjs`, which also parses the page with
//! parse5. `scripts/test` installs both with npm under the target directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use super::{engage, prerequisite, repo_root, text};

/// The directory holding the checker script and its node_modules.
fn checker() -> &'static Path {
    static CHECKER: OnceLock<PathBuf> = OnceLock::new();
    CHECKER.get_or_init(|| {
        let prefix = prerequisite("report-checker.npm", "report-checker");
        // ES modules resolve packages from the script's own directory.
        std::fs::copy(
            repo_root().join("tests/reports/check_report.mjs"),
            prefix.join("check_report.mjs"),
        )
        .unwrap();
        prefix
    })
}

fn chromium() -> String {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    assert!(
        Path::new(&chromium).exists(),
        "the report tests render in Chromium: run `scripts/test prepare` (it installs Debian's \
         package) or set CHROMIUM to its path"
    );
    chromium
}

/// What the checker saw of `report`; the first chart's screenshot goes to `screenshot`.
fn check(report: &Path, screenshot: &Path) -> Value {
    let output = Command::new("node")
        .arg(checker().join("check_report.mjs"))
        .arg(report)
        .arg(screenshot)
        .env("CHROMIUM", chromium())
        .output()
        .expect("node (Node.js) is needed for the report tests");
    assert!(
        output.status.success(),
        "the checker failed on {}: {}",
        report.display(),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reports")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `sql` to a file in `dir` and runs it with `-o dir/report.html`.
fn run_to_report(dir: &Path, sql: &str) -> Output {
    let script = dir.join("report.sql");
    std::fs::write(&script, sql).unwrap();
    engage(&[
        "-q",
        "-f",
        script.to_str().unwrap(),
        "-o",
        dir.join("report.html").to_str().unwrap(),
    ])
}

/// Runs `sql` to `dir/report.html` and returns what the checker saw of the page, which must
/// be clean.
fn report_of(dir: &Path, sql: &str) -> Value {
    let output = run_to_report(dir, sql);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = check(&dir.join("report.html"), &dir.join("report.png"));
    assert_clean(&page);
    page
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The page loaded with no parse error, console message, uncaught error, script or request.
fn assert_clean(page: &Value) {
    for key in ["parseErrors", "console", "pageErrors", "requests"] {
        assert!(strings(&page[key]).is_empty(), "{key}: {}", page[key]);
    }
    assert_eq!(page["scripts"], 0);
}

/// A section's table as CSV lines: headers, then rows, numbers without their grouping commas
/// and NULL as an empty field, as `--format csv` writes them.
fn table_as_csv(section: &Value) -> Vec<String> {
    let mut lines = vec![strings(&section["headers"]).join(",")];
    for row in section["rows"].as_array().unwrap() {
        let cells: Vec<String> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|cell| {
                if cell["null"].as_bool().unwrap() {
                    return String::new();
                }
                let text = cell["text"].as_str().unwrap();
                let ungrouped = text.replace(',', "");
                if ungrouped.parse::<f64>().is_ok() {
                    ungrouped
                } else if text.contains([',', '"']) {
                    format!("\"{}\"", text.replace('"', "\"\""))
                } else {
                    text.to_string()
                }
            })
            .collect();
        lines.push(cells.join(","));
    }
    lines
}

/// The statements of a sample report that return rows (its queries).
fn queries(sql_file: &str) -> usize {
    let text = std::fs::read_to_string(repo_root().join(sql_file)).unwrap();
    text.split(';')
        .map(|statement| {
            statement
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|statement| statement.starts_with("SELECT") || statement.starts_with("WITH"))
        .count()
}

/// Runs each sample report to HTML, checks it in the browser, and compares every section's
/// table with the same statement's CSV output. With ENGAGE_UPDATE_SCREENSHOTS=1, the first
/// chart's screenshot replaces the one in docs/reports/ that the README shows.
#[test]
fn the_sample_reports_render_in_a_browser_with_their_exact_values() {
    let dir = scratch("samples");
    for name in [
        "overview",
        "marketing",
        "support",
        "retention",
        "funnels",
        "web",
    ] {
        let sql = format!("sql/{name}.sql");
        let report = dir.join(format!("{name}.html"));
        let output = engage(&["-f", &sql, "-o", report.to_str().unwrap()]);
        assert!(output.status.success(), "{sql}: {}", text(&output.stderr));
        assert!(
            text(&output.stderr).contains(&format!("to {}", report.display())),
            "engage says where the report went: {}",
            text(&output.stderr)
        );
        let screenshot = dir.join(format!("{name}.png"));
        let page = check(&report, &screenshot);
        assert_clean(&page);
        let sections = page["sections"].as_array().unwrap();
        assert_eq!(sections.len(), queries(&sql), "{sql}: a section per query");
        let mut charts = 0;
        for section in sections {
            let title = section["title"].as_str().unwrap();
            assert!(
                !title.starts_with("Result "),
                "{sql}: every query has a comment above it: {section}"
            );
            for chart in section["charts"].as_array().unwrap() {
                charts += 1;
                assert!(
                    chart["width"].as_f64().unwrap() > 100.0
                        && chart["height"].as_f64().unwrap() > 50.0
                        && chart["marks"].as_u64().unwrap() > 2,
                    "{sql}, {title}: the chart is drawn: {chart}"
                );
            }
            // The same statement after the file's own, to CSV.
            let statement = section["sql"].as_str().unwrap();
            let csv = dir.join("section.csv");
            let output = engage(&[
                "-q",
                "-f",
                &sql,
                "-c",
                statement,
                "-o",
                csv.to_str().unwrap(),
            ]);
            assert!(
                output.status.success(),
                "{statement}: {}",
                text(&output.stderr)
            );
            let expected: Vec<String> = std::fs::read_to_string(&csv)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            assert_eq!(table_as_csv(section), expected, "{sql}, {title}");
        }
        assert!(charts >= sections.len(), "{sql}: {charts} charts");
        let chart = &page["chart"];
        assert!(
            chart["colours"].as_u64().unwrap() > 8 && chart["inkShare"].as_f64().unwrap() > 0.02,
            "{sql}: the first chart's screenshot is not blank: {chart}"
        );
        if std::env::var_os("ENGAGE_UPDATE_SCREENSHOTS").is_some() {
            std::fs::copy(
                &screenshot,
                repo_root().join(format!("docs/reports/{name}.png")),
            )
            .unwrap();
        }
    }
}

#[test]
fn hostile_strings_come_out_escaped() {
    let dir = scratch("hostile");
    let hostile = r#"<script>alert("x")</script> & 'quotes' "too" </td></table>"#;
    let literal = hostile.replace('\'', "''");
    let identifier = hostile.replace('"', "\"\"");
    let sql = format!(
        "-- {hostile}: the description {hostile}\n\
         SELECT label AS \"{identifier}\", nps(score) AS nps FROM (VALUES ('{literal}', 10), ('{literal}', 0), ('plain', 9)) AS t(label, score) GROUP BY label ORDER BY label"
    );
    let script = dir.join("hostile.sql");
    std::fs::write(&script, &sql).unwrap();
    let output = engage(&["-q", "--format", "html", "-f", script.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let html = text(&output.stdout);
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    let report = dir.join("hostile.html");
    std::fs::write(&report, &html).unwrap();
    let page = check(&report, &dir.join("hostile.png"));
    assert_clean(&page);
    let section = &page["sections"][0];
    // Every string reads back as it was: escaped in the markup, not interpreted.
    assert_eq!(section["title"], hostile);
    assert_eq!(section["description"], format!("The description {hostile}"));
    assert_eq!(section["headers"][0], hostile);
    assert_eq!(section["rows"][0][0]["text"], hostile);
    assert_eq!(section["rows"][0][1]["text"], "0.0");
    assert!(
        section["sql"].as_str().unwrap().contains("alert"),
        "{section}"
    );
    assert_eq!(section["charts"].as_array().unwrap().len(), 1, "{section}");
}

/// One row, 500 rows, NULLs, negative values and long labels: each charted, nothing broken.
#[test]
fn awkward_shapes_render() {
    let dir = scratch("shapes");
    let page = report_of(
        &dir,
        "-- One row: a bar per measure.\n\
         SELECT csat(c) AS csat, bounce_rate(s) AS bounce FROM (VALUES (9, 5), (3, 2)) AS t(s, c);\n\
         -- Five hundred days.\n\
         SELECT DATE '2026-01-01' + CAST(i AS INT) AS day, i % 7 - 3 AS delta FROM generate_series(0, 499) AS t(i);\n\
         -- Five hundred categories, long labels, NULLs and negatives.\n\
         SELECT repeat('a very long segment label ', 3) || i AS segment, \
                CASE WHEN i % 10 = 0 THEN NULL ELSE i - 250 END AS nps_points \
         FROM generate_series(1, 500) AS t(i);\n\
         -- No rows.\n\
         SELECT 1 AS n WHERE false;\n\
         -- Only text.\n\
         SELECT 'a' AS x;\n\
         -- A summary STRUCT: NPS with whiskers.\n\
         SELECT segment, nps_summary(nps_score) AS s FROM 'examples/data/responses.parquet' GROUP BY segment ORDER BY segment;\n",
    );
    let sections = page["sections"].as_array().unwrap();
    let kinds: Vec<Vec<String>> = sections
        .iter()
        .map(|s| {
            s["charts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["kind"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            vec!["bar"],
            vec!["line"],
            vec!["bar"],
            vec![],
            vec![],
            vec!["bar"]
        ],
        "{sections:?}"
    );
    for section in &sections[..3] {
        for chart in section["charts"].as_array().unwrap() {
            assert!(chart["height"].as_f64().unwrap() > 50.0, "{chart}");
        }
    }
    // The table shows 500 rows, NULLs as NULL; the chart its first 100 categories.
    assert_eq!(sections[2]["rows"].as_array().unwrap().len(), 500);
    assert_eq!(sections[2]["rows"][9][1]["text"], "NULL");
    assert!(
        strings(&sections[2]["notes"])
            .iter()
            .any(|n| n.contains("first 100 of 500")),
        "{}",
        sections[2]["notes"]
    );
    assert!(strings(&sections[3]["notes"]).contains(&"No rows.".to_string()));
    // The STRUCT's fields are columns, its NPS charted in NPS points with its interval.
    let summary = &sections[5];
    assert_eq!(summary["headers"][1], "s.nps");
    assert_eq!(summary["headers"][7], "s.ci_low");
    let legend = summary["charts"][0]["legend"].as_str().unwrap();
    assert!(legend.contains("Whiskers: the 95 % interval"), "{summary}");
}

#[test]
fn a_failing_statement_leaves_no_report() {
    let dir = scratch("failing");
    let report = dir.join("report.html");
    let output = engage(&[
        "-c",
        "SELECT 1 AS a",
        "-c",
        "SELECT nps('ten')",
        "-o",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(!report.exists());
    // An earlier report stays as it was.
    std::fs::write(&report, "the previous report").unwrap();
    let output = engage(&[
        "-c",
        "SELECT 1 AS a; SELECT x FROM nowhere",
        "-o",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "the previous report"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file is left"
    );
}

#[test]
fn a_chart_directive_overrides_the_choice_and_a_wrong_one_is_an_error() {
    let dir = scratch("directives");
    let sql = "-- Curves by cohort.\n-- chart: line x=week y=rate series=cohort\n\
               SELECT cohort, week, rate FROM (VALUES ('a', 1, 50.0), ('a', 2, 40.0), ('b', 1, 60.0), ('b', 2, 45.0)) AS t(cohort, week, rate);\n\
               -- The same as a heat map.\n-- chart: heatmap rows=cohort columns=week value=rate\n\
               SELECT cohort, week, rate FROM (VALUES ('a', 1, 50.0), ('a', 2, 40.0), ('b', 1, 60.0)) AS t(cohort, week, rate);\n\
               -- No chart.\n-- chart: table\nSELECT 1 AS n";
    let page = report_of(&dir, sql);
    let kinds: Vec<Option<String>> = page["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["charts"][0]["kind"].as_str().map(str::to_string))
        .collect();
    assert_eq!(kinds, [Some("line".into()), Some("heatmap".into()), None]);
    // The heat map's legend gives its colour scale's ends.
    let legend = page["sections"][1]["charts"][0]["legend"].as_str().unwrap();
    assert_eq!(legend, "Colour: rate, from 40 to 60");

    // A wrong directive fails the run; the report written above stays as it was.
    let report = dir.join("report.html");
    let previous = std::fs::read_to_string(&report).unwrap();

    for (directive, expected) in [
        (
            "-- chart: line x=month",
            "chart directive 'chart: line x=month': x=month: the result has no column 'month' (its columns: segment, n)",
        ),
        (
            "-- chart: pie",
            "'pie' is not a chart kind; expected bar, line, heatmap, flow or table",
        ),
        (
            "-- chart: bar y=segment",
            "y=segment: the column is Utf8, not a number",
        ),
    ] {
        let output = run_to_report(&dir, &format!("{directive}\nSELECT 'a' AS segment, 1 AS n"));
        assert_eq!(output.status.code(), Some(1), "{directive}");
        assert!(
            text(&output.stderr).contains(expected),
            "{directive}: {}",
            text(&output.stderr)
        );
        assert_eq!(std::fs::read_to_string(&report).unwrap(), previous);
    }
}

#[test]
fn html_is_a_report_of_a_batch_run() {
    // Standard output holds the page; engage names no file.
    let output = engage(&["--format", "html", "-c", "SELECT 1 AS n"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).starts_with("<!DOCTYPE html>"));
    // The interactive shell has no HTML.
    let output = engage(&["-c", "\\format html"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("-o report.html"),
        "{}",
        text(&output.stderr)
    );
}
