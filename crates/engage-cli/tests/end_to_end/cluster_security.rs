//! A cluster that lets in only its own clients: a shared secret, TLS and mutual TLS, the
//! executors' Flight ports, `--allow-location`, and the defaults. Real `engage` processes on
//! loopback, with a certificate authority made for the test.

use std::time::Duration;

use super::cluster::{
    LocalCluster, Process, engage_within, engage_within_in, free_port, start_cluster_with,
};
use super::text;

/// A cluster's credentials in files: a secret, a certificate authority, and a certificate
/// (signed by it) for every process and client, valid for localhost and 127.0.0.1.
pub(super) struct ClusterCredentials {
    dir: tempfile::TempDir,
}

impl ClusterCredentials {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let write =
            |name: &str, contents: &str| std::fs::write(dir.path().join(name), contents).unwrap();
        write("secret", "a3f1c9e07b2d4c58a1e6f0b9d7c3e5a2\n");
        write("wrong-secret", "00000000000000000000000000000000\n");
        let (ca, ca_pem) = authority("engage test cluster CA");
        write("ca.pem", &ca_pem);
        let (cert, key) = certificate(&ca);
        write("cert.pem", &cert);
        write("key.pem", &key);
        // A certificate of another authority: a stranger's.
        let (other, _) = authority("another CA");
        let (cert, key) = certificate(&other);
        write("stranger-cert.pem", &cert);
        write("stranger-key.pem", &key);
        Self { dir }
    }

    pub(super) fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// The arguments giving a process or client the secret and its certificate.
    pub(super) fn arguments(&self) -> Vec<String> {
        [
            ("--secret-file", "secret"),
            ("--tls-ca", "ca.pem"),
            ("--tls-cert", "cert.pem"),
            ("--tls-key", "key.pem"),
        ]
        .iter()
        .flat_map(|(option, file)| [option.to_string(), self.path(file)])
        .collect()
    }

    /// The same as environment variables (a client's other way to get them).
    pub(super) fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ENGAGE_CLUSTER_SECRET_FILE", self.path("secret")),
            ("ENGAGE_TLS_CA", self.path("ca.pem")),
            ("ENGAGE_TLS_CERT", self.path("cert.pem")),
            ("ENGAGE_TLS_KEY", self.path("key.pem")),
        ]
    }
}

fn authority(name: &str) -> (rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let issuer =
        rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let pem = issuer.pem();
    (issuer, pem)
}

/// A certificate for both ends of a connection (the cluster's processes are servers and
/// clients), and its key.
fn certificate(issuer: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>) -> (String, String) {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// A cluster whose processes require the secret and, with `mutual`, a client certificate.
pub(super) fn secure_cluster(credentials: &ClusterCredentials, mutual: bool) -> LocalCluster {
    let mut arguments = credentials.arguments();
    if mutual {
        arguments.push("--mutual-tls".to_string());
    }
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    start_cluster_with(None, &arguments)
}

const QUERY: &str = "SELECT segment, nps(nps_score) AS nps FROM 'examples/data/responses.parquet' \
                     GROUP BY segment ORDER BY segment";

/// Runs QUERY on `cluster` with `client` arguments and environment, within 60 s.
fn query_with(
    cluster: &LocalCluster,
    client: &[&str],
    environment: &[(&str, String)],
) -> std::process::Output {
    let mut args = vec!["-q", "--format", "csv", "--cluster", &cluster.address];
    args.extend(client);
    args.extend(["-c", QUERY]);
    engage_within_in(&args, environment, Duration::from_secs(60)).0
}

/// Asserts `output` is a refusal (exit 1, no rows) whose message contains each of `needles`.
fn assert_refused(output: &std::process::Output, needles: &[&str]) {
    assert_failed(output, 1, needles);
}

/// Asserts `output` ended with `status`, printed nothing, and said each of `needles`.
fn assert_failed(output: &std::process::Output, status: i32, needles: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(status), "{stderr}");
    assert!(text(&output.stdout).is_empty(), "{}", text(&output.stdout));
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
}

#[test]
fn a_cluster_with_a_secret_and_mutual_tls_serves_its_clients_and_refuses_strangers() {
    let credentials = ClusterCredentials::new();
    let cluster = secure_cluster(&credentials, true);
    let (local, _) = engage_within(
        &["-q", "--format", "csv", "-c", QUERY],
        Duration::from_secs(60),
    );
    assert!(local.status.success(), "{}", text(&local.stderr));

    // The cluster's client, with options or with environment variables.
    let arguments = credentials.arguments();
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let served = query_with(&cluster, &arguments, &[]);
    assert!(served.status.success(), "{}", text(&served.stderr));
    assert_eq!(text(&served.stdout), text(&local.stdout));
    let served = query_with(&cluster, &[], &credentials.environment());
    assert!(served.status.success(), "{}", text(&served.stderr));
    assert_eq!(text(&served.stdout), text(&local.stdout));

    let refusal = format!(
        "the Ballista scheduler at {} refused this client",
        cluster.address
    );
    let tls = [
        "--tls-ca",
        &credentials.path("ca.pem"),
        "--tls-cert",
        &credentials.path("cert.pem"),
        "--tls-key",
        &credentials.path("key.pem"),
    ];
    // Without the secret, or with another one.
    assert_refused(
        &query_with(&cluster, &tls, &[]),
        &[
            &refusal,
            "requires its shared secret, and the call carried none",
        ],
    );
    let wrong = credentials.path("wrong-secret");
    let mut with_wrong_secret = tls.to_vec();
    with_wrong_secret.extend(["--secret-file", &wrong]);
    assert_refused(
        &query_with(&cluster, &with_wrong_secret, &[]),
        &[&refusal, "is not the cluster's"],
    );
    // The secret without a client certificate, or with a stranger's.
    let secret = credentials.path("secret");
    let ca = credentials.path("ca.pem");
    assert_refused(
        &query_with(&cluster, &["--secret-file", &secret, "--tls-ca", &ca], &[]),
        &[&refusal, "--tls-cert"],
    );
    let (stranger_cert, stranger_key) = (
        credentials.path("stranger-cert.pem"),
        credentials.path("stranger-key.pem"),
    );
    assert_refused(
        &query_with(
            &cluster,
            &[
                "--secret-file",
                &secret,
                "--tls-ca",
                &ca,
                "--tls-cert",
                &stranger_cert,
                "--tls-key",
                &stranger_key,
            ],
            &[],
        ),
        &[&refusal],
    );
    // Plain text to a TLS cluster, the secret notwithstanding.
    assert_refused(
        &query_with(&cluster, &["--secret-file", &secret], &[]),
        &[&refusal, "if the cluster uses TLS, give --tls-ca"],
    );
    // A client trusting another authority does not take the scheduler for the cluster's.
    let stranger_ca = {
        let (_, pem) = authority("a third CA");
        let path = credentials.dir.path().join("third-ca.pem");
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_string()
    };
    let mut trusting_another = arguments.clone();
    let position = trusting_another
        .iter()
        .position(|a| *a == "--tls-ca")
        .unwrap();
    trusting_another[position + 1] = &stranger_ca;
    assert_refused(&query_with(&cluster, &trusting_another, &[]), &[&refusal]);
}

/// The executors' Flight ports (shuffle and result reads) check the same credentials: a
/// process without them is refused before any data is looked up.
#[test]
fn an_executor_flight_port_refuses_a_process_that_is_not_of_the_cluster() {
    let credentials = ClusterCredentials::new();
    let flight_port = free_port();
    let scheduler_port = free_port();
    let arguments = credentials.arguments();
    let mut scheduler_args = vec!["scheduler", "--port"];
    let scheduler_port_text = scheduler_port.to_string();
    scheduler_args.push(&scheduler_port_text);
    scheduler_args.extend(arguments.iter().map(String::as_str));
    let mut scheduler = Process::start(&scheduler_args, None);
    scheduler.wait_for("engage scheduler listening on");
    let address = format!("df://127.0.0.1:{scheduler_port}");
    let flight_port_text = flight_port.to_string();
    let mut executor_args = vec![
        "executor",
        "--scheduler",
        &address,
        "--port",
        &flight_port_text,
    ];
    executor_args.extend(arguments.iter().map(String::as_str));
    let mut executor = Process::start(&executor_args, None);
    executor.wait_for("Flight service listening on 127.0.0.1:");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fetch = |tls: bool, user_agent: Option<String>| -> tonic::Status {
        runtime.block_on(async {
            let scheme = if tls { "https" } else { "http" };
            let mut endpoint = tonic::transport::Endpoint::from_shared(format!(
                "{scheme}://localhost:{flight_port}"
            ))
            .unwrap()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(10));
            if tls {
                let ca = std::fs::read(credentials.path("ca.pem")).unwrap();
                endpoint = endpoint
                    .tls_config(
                        tonic::transport::ClientTlsConfig::new()
                            .ca_certificate(tonic::transport::Certificate::from_pem(ca)),
                    )
                    .unwrap();
            }
            if let Some(agent) = user_agent {
                endpoint = endpoint.user_agent(agent).unwrap();
            }
            let channel = match endpoint.connect().await {
                Ok(channel) => channel,
                Err(e) => return tonic::Status::unavailable(format!("connect: {e:?}")),
            };
            let mut client = arrow_flight::flight_service_client::FlightServiceClient::new(channel);
            let ticket = arrow_flight::Ticket {
                ticket: b"not a ticket".to_vec().into(),
            };
            match client.do_get(ticket).await {
                Ok(_) => tonic::Status::ok("answered"),
                Err(status) => status,
            }
        })
    };
    // Over TLS without the secret, or with a made-up token: refused by the check.
    let refused = fetch(true, None);
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("requires its shared secret"),
        "{refused:?}"
    );
    let refused = fetch(true, Some(format!("engage-cluster/{}", "0".repeat(64))));
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    // Plain text: no gRPC answer at all. Depending on when the TLS server drops the
    // connection, hyper reports a broken or a cancelled call; cancelled only with the
    // transport's "connection closed", never as an answer.
    let refused = fetch(false, None);
    let closed = refused.code() == tonic::Code::Cancelled
        && format!("{refused:?}").contains("connection closed");
    assert!(
        closed
            || matches!(
                refused.code(),
                tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Internal
            ),
        "{refused:?}"
    );
    // The cluster's own client, with the credentials, reads its results from the same port.
    let mut args = vec!["-q", "--cluster", &address];
    args.extend(arguments.iter().map(String::as_str));
    args.extend(["-c", "SELECT nps(9) AS promoter"]);
    let (served, _) = engage_within(&args, Duration::from_secs(60));
    assert!(served.status.success(), "{}", text(&served.stderr));
    drop(executor);
    drop(scheduler);
}

/// `--allow-location`: a statement reading or writing elsewhere fails with a clear error and
/// writes nothing; inside, it runs.
#[test]
fn a_statement_outside_the_allowed_locations_is_refused_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let allowed_out = out.path().join("allowed");
    let outside_out = out.path().join("outside");
    std::fs::create_dir_all(&allowed_out).unwrap();
    let data = super::repo_root().join("examples/data");
    let arguments = [
        "--allow-location",
        data.to_str().unwrap(),
        "--allow-location",
        allowed_out.to_str().unwrap(),
    ];
    let cluster = start_cluster_with(None, &arguments);
    let run = |statement: &str| {
        engage_within(
            &[
                "-q",
                "--format",
                "csv",
                "--cluster",
                &cluster.address,
                "-c",
                statement,
            ],
            Duration::from_secs(60),
        )
        .0
    };
    let served = run(QUERY);
    assert!(served.status.success(), "{}", text(&served.stderr));

    // A file elsewhere, as a table or named in FROM.
    let passwd = engage_within(
        &[
            "--cluster",
            &cluster.address,
            "-c",
            "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd' \
             OPTIONS ('format.has_header' 'false', 'format.delimiter' ':')",
            "-c",
            "SELECT * FROM p",
        ],
        Duration::from_secs(60),
    )
    .0;
    assert_refused(
        &passwd,
        &[
            "/etc/passwd is outside the locations this",
            "--allow-location",
        ],
    );
    let elsewhere = out.path().join("elsewhere.csv");
    std::fs::write(&elsewhere, "a,b\n1,2\n").unwrap();
    assert_refused(
        &run(&format!("SELECT count(*) FROM '{}'", elsewhere.display())),
        &["elsewhere.csv is outside the locations this"],
    );

    // Writing: refused outside, nothing written; inside, written.
    let outside_file = outside_out.join("nps.csv");
    assert_refused(
        &run(&format!(
            "COPY ({QUERY}) TO '{}' STORED AS CSV",
            outside_file.display()
        )),
        &["is outside the locations this"],
    );
    assert!(
        !outside_file.exists() && !outside_out.exists(),
        "something was written outside"
    );
    let inside_file = allowed_out.join("nps.csv");
    let written = run(&format!(
        "COPY ({QUERY}) TO '{}' STORED AS CSV",
        inside_file.display()
    ));
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(inside_file.exists());
}

/// The secret is read from a file or the environment, never the command line, and checked.
#[test]
fn the_secret_is_checked_before_a_process_starts() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short");
    std::fs::write(&short, "hunter2\n").unwrap();
    let limit = Duration::from_secs(30);
    let (output, _) = engage_within(
        &["scheduler", "--secret-file", short.to_str().unwrap()],
        limit,
    );
    assert_failed(
        &output,
        2,
        &["has 7 bytes, expected at least 16; make one with `openssl rand -hex 32`"],
    );
    let (output, _) = engage_within(
        &[
            "executor",
            "--scheduler",
            "df://127.0.0.1:1",
            "--secret-file",
            "/nonexistent/secret",
        ],
        limit,
    );
    assert_failed(&output, 2, &["--secret-file /nonexistent/secret"]);
    // Given twice.
    let good = dir.path().join("good");
    std::fs::write(&good, "0123456789abcdef0123").unwrap();
    let (output, _) = engage_within_in(
        &["scheduler", "--secret-file", good.to_str().unwrap()],
        &[("ENGAGE_CLUSTER_SECRET", "0123456789abcdef0123".to_string())],
        limit,
    );
    assert_failed(&output, 2, &["given twice"]);
    // A TLS server without its own certificate.
    let (output, _) = engage_within(&["scheduler", "--tls-ca", good.to_str().unwrap()], limit);
    assert_failed(&output, 2, &["--tls-cert and --tls-key"]);
}

/// With a secret, a process may listen where other hosts reach it without --insecure.
#[test]
fn a_cluster_with_a_secret_may_listen_on_every_address() {
    let port = free_port();
    let mut scheduler = Process::start(
        &[
            "scheduler",
            "--bind",
            "0.0.0.0",
            "--port",
            &port.to_string(),
        ],
        Some(&[
            ("ENGAGE_CLUSTER_SECRET", "0123456789abcdef0123".to_string()),
            ("PATH", std::env::var("PATH").unwrap_or_default()),
        ]),
    );
    scheduler.wait_for(&format!(
        "engage scheduler listening on 0.0.0.0:{port}; clients and executors use df://localhost:{port}; protected by the cluster secret (no TLS"
    ));
}
