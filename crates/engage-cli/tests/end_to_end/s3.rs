//! `engage` against a real S3-compatible server on loopback (moto, with IAM authentication),
//! holding the sample Parquet and CSV files: the same numbers as the local files, and clear
//! errors for wrong credentials and a missing bucket.
//!
//! The server runs from a Python virtual environment with moto: `ENGAGE_TEST_PYTHON` names its
//! interpreter, else one is made once under the target directory (needs PyPI).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use super::{repo_root, text};

/// 5.2 or later: 5.1 rejects the signature of a listing whose prefix holds a `/`.
const MOTO_VERSION: &str = "5.2.5";
const BUCKET: &str = "engagement";

/// An interpreter that can import moto.
fn python_with_moto() -> PathBuf {
    if let Some(python) = std::env::var_os("ENGAGE_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-venv");
    let python = venv.join("bin/python");
    let has_moto = |python: &Path| {
        Command::new(python)
            .args([
                "-c",
                &format!("import boto3, moto; assert moto.__version__ == '{MOTO_VERSION}'"),
            ])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_moto(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the S3 tests");
        assert!(made.success(), "python3 -m venv {} failed", venv.display());
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .arg(format!("moto[server]=={MOTO_VERSION}"))
            .status()
            .unwrap();
        assert!(
            installed.success(),
            "pip install moto[server]=={MOTO_VERSION} failed"
        );
    }
    python
}

pub(super) struct Server {
    endpoint: String,
    access_key_id: String,
    pub(super) secret_access_key: String,
    region: String,
    _process: Child,
    /// Closing it (when the test process ends) stops the server.
    _stdin: ChildStdin,
}

fn json_field(line: &str, name: &str) -> String {
    let start = line.find(&format!("\"{name}\": \"")).expect(name) + name.len() + 5;
    let end = start + line[start..].find('"').unwrap();
    line[start..end].to_string()
}

/// One server for all tests in this file, holding the sample files.
pub(super) fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    static STARTING: Mutex<()> = Mutex::new(());
    let _guard = STARTING.lock().unwrap();
    SERVER.get_or_init(|| {
        let root = repo_root();
        let data = root.join("examples/data");
        let mut process = Command::new(python_with_moto())
            .arg(root.join("crates/engage-cli/tests/s3/server.py"))
            .arg(BUCKET)
            .arg(format!(
                "{}=responses.parquet",
                data.join("responses.parquet").display()
            ))
            .arg(format!(
                "{}=customers.csv",
                data.join("customers.csv").display()
            ))
            .arg(format!(
                "{}=events/q3.parquet",
                data.join("events.parquet").display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the S3 server");
        let mut line = String::new();
        BufReader::new(process.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with('{'),
            "the S3 server did not start: {line:?}"
        );
        Server {
            endpoint: json_field(&line, "endpoint"),
            access_key_id: json_field(&line, "access_key_id"),
            secret_access_key: json_field(&line, "secret_access_key"),
            region: json_field(&line, "region"),
            _stdin: process.stdin.take().unwrap(),
            _process: process,
        }
    })
}

/// The whole environment of an `engage` process in these tests: the server's credentials
/// (with `secret`), as the AWS tools read them, and no other AWS configuration.
pub(super) fn s3_environment(secret: &str) -> Vec<(&'static str, String)> {
    let server = server();
    let home = std::env::temp_dir().join("engage-s3-test-home");
    std::fs::create_dir_all(&home).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    vec![
        ("PATH", path),
        ("HOME", home.display().to_string()),
        ("AWS_ACCESS_KEY_ID", server.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_REGION", server.region.clone()),
        ("AWS_ENDPOINT_URL", server.endpoint.clone()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

/// Runs engage in [`s3_environment`].
pub(super) fn engage_s3(args: &[&str], secret: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .env_clear()
        .envs(s3_environment(secret))
        .output()
        .unwrap()
}

fn engage_local(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

/// The same query over S3 and over the local file gives the same bytes.
fn same_as_local(query: &str, s3_location: &str, local_location: &str) {
    let over_s3 = engage_s3(
        &["--format", "csv", "-c", &query.replace("{}", s3_location)],
        &server().secret_access_key,
    );
    assert!(over_s3.status.success(), "{}", text(&over_s3.stderr));
    let local = engage_local(&[
        "--format",
        "csv",
        "-c",
        &query.replace("{}", local_location),
    ]);
    assert!(local.status.success(), "{}", text(&local.stderr));
    assert!(over_s3.stdout.len() > 20, "{}", text(&over_s3.stdout));
    assert_eq!(text(&over_s3.stdout), text(&local.stdout));
}

#[test]
fn parquet_over_s3_gives_the_local_numbers() {
    same_as_local(
        "SELECT segment, nps(nps_score) AS nps, csat(csat_score, 5) AS csat, count(*) AS n FROM '{}' GROUP BY segment ORDER BY segment",
        "s3://engagement/responses.parquet",
        "examples/data/responses.parquet",
    );
}

#[test]
fn a_prefix_of_parquet_files_over_s3() {
    same_as_local(
        "SELECT segment, stickiness(user_id, event_time) AS dau_mau, count(*) AS n FROM '{}' GROUP BY segment ORDER BY segment",
        "s3://engagement/events/",
        "examples/data/events.parquet",
    );
}

#[test]
fn csv_over_s3_as_an_external_table() {
    let server = server();
    let query = "SELECT plan, churn_rate(active_at_start, active_at_end) AS churn, count(*) AS n FROM customers GROUP BY plan ORDER BY plan";
    let over_s3 = engage_s3(
        &[
            "--format",
            "csv",
            "-c",
            "CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 's3://engagement/customers.csv' OPTIONS ('format.has_header' 'true')",
            "-c",
            query,
        ],
        &server.secret_access_key,
    );
    assert!(over_s3.status.success(), "{}", text(&over_s3.stderr));
    let local = engage_local(&[
        "--format",
        "csv",
        "-c",
        "CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 'examples/data/customers.csv' OPTIONS ('format.has_header' 'true')",
        "-c",
        query,
    ]);
    assert_eq!(text(&over_s3.stdout), text(&local.stdout));
    assert!(text(&local.stdout).contains("pro"));
}

#[test]
fn credentials_given_as_table_options() {
    let server = server();
    let create = format!(
        "CREATE EXTERNAL TABLE r STORED AS PARQUET LOCATION 's3://engagement/responses.parquet' OPTIONS ('aws.access_key_id' '{}', 'aws.secret_access_key' '{}', 'aws.region' '{}', 'aws.endpoint' '{}', 'aws.allow_http' 'true')",
        server.access_key_id, server.secret_access_key, server.region, server.endpoint
    );
    // The environment's secret is wrong: only the options can make this work.
    let output = engage_s3(
        &[
            "--format",
            "csv",
            "-c",
            &create,
            "-c",
            "SELECT count(*) AS n FROM r",
        ],
        "not-the-secret",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "n\n12000\n");
}

#[test]
fn wrong_credentials_are_a_clear_error() {
    let output = engage_s3(
        &[
            "-c",
            "SELECT count(*) FROM 's3://engagement/responses.parquet'",
        ],
        "not-the-secret",
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(
        message.contains("s3://engagement/responses.parquet"),
        "{message}"
    );
    assert!(message.contains("403 Forbidden"), "{message}");
    assert!(
        message.contains("the store refused the credentials: check AWS_ACCESS_KEY_ID"),
        "{message}"
    );
}

#[test]
fn a_missing_bucket_is_a_clear_error() {
    let output = engage_s3(
        &[
            "-c",
            "SELECT count(*) FROM 's3://no-such-bucket/responses.parquet'",
        ],
        &server().secret_access_key,
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(
        message.contains("s3://no-such-bucket/responses.parquet"),
        "{message}"
    );
    assert!(message.contains("NoSuchBucket"), "{message}");
}

#[test]
fn results_can_be_copied_to_s3_and_read_back() {
    let secret = &server().secret_access_key;
    let output = engage_s3(
        &[
            "-q",
            "-c",
            "COPY (SELECT segment, nps(nps_score) AS nps FROM 's3://engagement/responses.parquet' GROUP BY segment) TO 's3://engagement/reports/nps.parquet'",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS segments FROM 's3://engagement/reports/nps.parquet'",
        ],
        secret,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).ends_with("segments\n4\n"),
        "{}",
        text(&output.stdout)
    );
}
