//! `engage scheduler`, two `engage executor` processes and `engage --cluster` on loopback:
//! the report gives the local numbers, and a cluster that is not there is a quick, clear error.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cluster_security::{ClusterCredentials, secure_cluster};
use super::{repo_root, text};

/// A free loopback port.
pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A cluster process, killed when the test ends however it ends.
pub(super) struct Process {
    child: Child,
    /// Its standard error, line by line.
    lines: mpsc::Receiver<String>,
}

impl Process {
    /// Starts `engage ARGS`, in the test's environment or, if given, only in `environment`.
    pub(super) fn start(args: &[&str], environment: Option<&[(&str, String)]>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_engage"));
        if let Some(environment) = environment {
            command
                .env_clear()
                .envs(environment.iter().map(|(k, v)| (k, v)));
        }
        let mut child = command
            .args(args)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Waits (at most 60 s) for a line of standard error containing `text`.
    pub(super) fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = vec![];
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        let status = self.child.try_wait().unwrap();
        panic!("waited for {text:?}; the process ({status:?}) printed {seen:#?}");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scheduler and two executors of one task slot each, all on loopback.
pub(super) struct LocalCluster {
    pub(super) address: String,
    _scheduler: Process,
    executors: Vec<Process>,
    _work_dirs: Vec<tempfile::TempDir>,
}

fn start_cluster() -> LocalCluster {
    start_cluster_in(None)
}

/// [`start_cluster`] with its processes in `environment` only.
fn start_cluster_in(environment: Option<&[(&str, String)]>) -> LocalCluster {
    start_cluster_with(environment, &[])
}

/// [`start_cluster_in`] with `extra` arguments for each process (after their own).
pub(super) fn start_cluster_with(
    environment: Option<&[(&str, String)]>,
    extra: &[&str],
) -> LocalCluster {
    let port = free_port().to_string();
    let mut args = vec!["scheduler", "--bind", "127.0.0.1", "--port", &port];
    args.extend(extra);
    let mut scheduler = Process::start(&args, environment);
    scheduler.wait_for("engage scheduler listening on");
    let address = format!("df://127.0.0.1:{port}");
    let mut executors = vec![];
    let mut work_dirs = vec![];
    for _ in 0..2 {
        let work_dir = tempfile::tempdir().unwrap();
        let (flight, grpc) = (free_port().to_string(), free_port().to_string());
        let mut args = vec![
            "executor",
            "--scheduler",
            &address,
            "--bind",
            "127.0.0.1",
            "--port",
            &flight,
            "--grpc-port",
            &grpc,
            "--concurrent-tasks",
            "1",
            "--work-dir",
            work_dir.path().to_str().unwrap(),
        ];
        args.extend(extra);
        let mut executor = Process::start(&args, environment);
        executor.wait_for("engage executor");
        executors.push(executor);
        work_dirs.push(work_dir);
    }
    LocalCluster {
        address,
        _scheduler: scheduler,
        executors,
        _work_dirs: work_dirs,
    }
}

/// Runs `engage ARGS`, killing it after `limit`.
pub(super) fn engage_within(args: &[&str], limit: Duration) -> (Output, Duration) {
    engage_within_in(args, &[], limit)
}

/// [`engage_within`] with `environment` added to the test's.
pub(super) fn engage_within_in(
    args: &[&str],
    environment: &[(&str, String)],
    limit: Duration,
) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .envs(environment.iter().map(|(k, v)| (k, v)))
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "engage {args:?} ran longer than {limit:?}; it printed {}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child.wait_with_output().unwrap(), started.elapsed())
}

#[test]
fn the_overview_report_on_a_cluster_gives_the_local_output() {
    // A cluster with a secret and mutual TLS; its client has them in its environment.
    let credentials = ClusterCredentials::new();
    let cluster = secure_cluster(&credentials, true);
    let client = credentials.environment();
    let limit = Duration::from_secs(180);
    let (local, _) = engage_within_in(
        &["-q", "--format", "csv", "sql/overview.sql"],
        &client,
        limit,
    );
    assert!(local.status.success(), "{}", text(&local.stderr));
    let (remote, _) = engage_within_in(
        &[
            "-q",
            "--format",
            "csv",
            "--cluster",
            &cluster.address,
            "sql/overview.sql",
        ],
        &client,
        limit,
    );
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    assert!(!text(&local.stdout).is_empty());
    // ENGAGE_CLUSTER does what --cluster does, and the meta-commands work on a cluster too.
    let output = Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(["-q", "-c", "\\h nps", "-c", "SELECT nps(9) AS promoter"])
        .env("ENGAGE_CLUSTER", &cluster.address)
        .envs(client.iter().map(|(k, v)| (k, v)))
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("nps(score [, weight])"));
    assert!(
        text(&output.stdout).contains("100.0"),
        "{}",
        text(&output.stdout)
    );
    // The plan is distributed: the partial aggregation writes a shuffle that a later stage's
    // final aggregation reads.
    let (explained, _) = engage_within_in(
        &[
            "-q",
            "--cluster",
            &cluster.address,
            "-c",
            "EXPLAIN SELECT segment, stickiness(user_id, event_time) \
             FROM 'examples/data/events.parquet' GROUP BY segment",
        ],
        &client,
        limit,
    );
    let plan = text(&explained.stdout);
    let stage_two = plan.find("stage_id=2").expect(&plan);
    let partial = plan.find("mode=Partial").expect(&plan);
    let unresolved = plan.find("UnresolvedShuffleExec").expect(&plan);
    assert!(partial < stage_two && stage_two < unresolved, "{plan}");
    assert!(plan.contains("ShuffleWriterExec"), "{plan}");
    // A table that cannot travel to the executors is a clear error, not "file a bug report".
    let (output, _) = engage_within_in(
        &[
            "--cluster",
            &cluster.address,
            "-c",
            "SELECT count(*) FROM generate_series(1, 10)",
        ],
        &client,
        limit,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("a table the cluster cannot receive"),
        "{stderr}"
    );
    assert!(!stderr.contains("bug report"), "{stderr}");
}

#[test]
fn the_shell_on_a_cluster_works_as_it_does_locally() {
    // A cluster with a secret and no TLS; its client has the secret in its environment.
    let credentials = ClusterCredentials::new();
    let secret = ["--secret-file", &credentials.path("secret")];
    let cluster = start_cluster_with(None, &secret);
    let client = [("ENGAGE_CLUSTER_SECRET_FILE", credentials.path("secret"))];
    let create = "CREATE EXTERNAL TABLE r STORED AS PARQUET \
                  LOCATION 'examples/data/responses.parquet'";
    let query = "SELECT segment, nps(nps_score) AS nps FROM r GROUP BY segment ORDER BY segment";
    // \d and DESCRIBE (what \d TABLE runs) are answered from the client's catalog, and -o
    // writes the last statement's rows to a file.
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("nps.csv");
    let (output, _) = engage_within_in(
        &[
            "--cluster",
            &cluster.address,
            "-c",
            create,
            "-c",
            "\\d",
            "-c",
            "\\d r",
            "-c",
            query,
            "-o",
            written.to_str().unwrap(),
        ],
        &client,
        Duration::from_secs(180),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("| r    | BASE TABLE |"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stdout).contains("| nps_score "),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr).contains("wrote 4 rows to"),
        "{}",
        text(&output.stderr)
    );
    let (local, _) = engage_within(
        &["-q", "--format", "csv", "-c", create, "-c", query],
        Duration::from_secs(180),
    );
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        text(&local.stdout)
    );
    // The interactive shell, with the progress line (no local scans: no "rows read"). The
    // line is drawn by a thread of its own: the NPS query can end before a busy machine runs
    // it, so a query of a couple of seconds shows it.
    let slow = "SELECT count(DISTINCT a.user_id * 1000000 + b.user_id) AS pairs \
                FROM 'examples/data/events.parquet' a JOIN 'examples/data/events.parquet' b \
                ON a.segment = b.segment AND a.event_name = b.event_name \
                WHERE a.user_id % 10 = 0";
    let shown = super::terminal::on_terminal(
        &format!("--cluster {}", cluster.address),
        &format!("{create};\n{query};\n{slow};\n\\q\n"),
        &[
            ("ENGAGE_PROGRESS_AFTER_MS", "0"),
            ("ENGAGE_CLUSTER_SECRET_FILE", &credentials.path("secret")),
        ],
    );
    assert!(shown.contains("| enterprise "), "{shown}");
    assert!(shown.contains("4 rows in "), "{shown}");
    assert!(shown.contains(" result rows"), "{shown}");
    assert!(!shown.contains("rows read"), "{shown}");
}

#[test]
fn stopping_an_executor_during_a_query() {
    // On a cluster with a secret and mutual TLS: the leaving executor tells the scheduler
    // through them too.
    let credentials = ClusterCredentials::new();
    let mut cluster = secure_cluster(&credentials, true);
    let client = credentials.environment();
    // A few seconds of work for two executors with one task slot each.
    let query = "SELECT count(DISTINCT a.user_id * 1000000 + b.user_id) AS pairs \
                 FROM 'examples/data/events.parquet' a JOIN 'examples/data/events.parquet' b \
                 ON a.segment = b.segment AND a.event_name = b.event_name \
                 WHERE a.user_id % 3 = 0";
    let limit = Duration::from_secs(180);
    let (local, _) = engage_within(&["-q", "--format", "csv", "-c", query], limit);
    assert!(local.status.success(), "{}", text(&local.stderr));
    let address = cluster.address.clone();
    let remote = std::thread::spawn(move || {
        engage_within_in(
            &["-q", "--format", "csv", "--cluster", &address, "-c", query],
            &client,
            limit,
        )
    });
    std::thread::sleep(Duration::from_secs(2));
    let stopped = cluster.executors.remove(0);
    let status = Command::new("kill")
        .args(["-TERM", &stopped.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (remote, _) = remote.join().unwrap();
    // The query completes on the other executor, or fails with a clear error and status 1.
    if remote.status.success() {
        assert_eq!(text(&remote.stdout), text(&local.stdout));
    } else {
        assert_eq!(remote.status.code(), Some(1), "{}", text(&remote.stderr));
        assert!(
            text(&remote.stderr).contains("Error"),
            "{}",
            text(&remote.stderr)
        );
    }
    drop(stopped);
}

#[test]
fn a_scheduler_that_is_not_there_is_a_clear_error() {
    // Nothing listens on a port just freed.
    let address = format!("df://127.0.0.1:{}", free_port());
    let (output, took) = engage_within(
        &["--cluster", &address, "-c", "SELECT 1"],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot reach the Ballista scheduler at {address}")),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // A malformed address is a usage error.
    let (output, _) = engage_within(
        &["--cluster", "s3://bucket", "-c", "SELECT 1"],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("s3://bucket"));
}

/// The scheduler lists a table's files and the executors read them, each with the object
/// stores of its own environment: S3 and HTTP give the numbers of the local files, and the
/// cluster's credentials refused (the client's being good) are a clear error.
#[test]
fn object_store_tables_on_a_cluster() {
    use super::stores::{Credentials, Store, engage_on, environment};
    // A cluster with a secret and TLS (its clients need no certificate of their own).
    let cluster_credentials = ClusterCredentials::new();
    let secret_and_tls = cluster_credentials.arguments();
    let secret_and_tls: Vec<&str> = secret_and_tls.iter().map(String::as_str).collect();
    let client_tls = [
        "--secret-file",
        &cluster_credentials.path("secret"),
        "--tls-ca",
        &cluster_credentials.path("ca.pem"),
    ]
    .map(str::to_string);
    let cluster = start_cluster_with(
        Some(&environment(Store::S3, Credentials::Valid)),
        &secret_and_tls,
    );
    // The statements as -c arguments, run through the cluster as CSV with S3 credentials.
    let csv_on_cluster = |statements: &[&str]| {
        let mut args = vec!["-q", "--format", "csv", "--cluster", &cluster.address];
        args.extend(client_tls.iter().map(String::as_str));
        for statement in statements {
            args.extend(["-c", statement]);
        }
        engage_on(Store::S3, &args, Credentials::Valid)
    };
    let query = "SELECT e.segment, dau_mau, nps, n FROM \
                 (SELECT segment, stickiness(user_id, event_time) AS dau_mau, count(*) AS n \
                  FROM {events} GROUP BY segment) e JOIN \
                 (SELECT segment, nps(nps_score) FILTER (WHERE channel <> 'email') AS nps \
                  FROM {responses} GROUP BY segment) r ON e.segment = r.segment \
                 ORDER BY e.segment";
    let on_s3 = query
        .replace("{events}", "'s3://engagement/events/'")
        .replace("{responses}", "'s3://engagement/responses.parquet'");
    let local = query
        .replace("{events}", "'examples/data/events.parquet'")
        .replace("{responses}", "'examples/data/responses.parquet'");
    let (expected, _) = engage_within(
        &["-q", "--format", "csv", "-c", &local],
        Duration::from_secs(180),
    );
    assert!(expected.status.success(), "{}", text(&expected.stderr));
    let remote = csv_on_cluster(&[&on_s3]);
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert_eq!(text(&remote.stdout), text(&expected.stdout));
    assert!(text(&expected.stdout).lines().count() > 2);
    // A CSV external table, created by the client and read by the executors.
    let remote = csv_on_cluster(&[
        "CREATE EXTERNAL TABLE customers STORED AS CSV \
         LOCATION 's3://engagement/customers.csv' OPTIONS ('format.has_header' 'true')",
        "SELECT plan, churn_rate(active_at_start, active_at_end) AS churn FROM customers \
         GROUP BY plan ORDER BY plan",
    ]);
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert!(text(&remote.stdout).starts_with("plan,churn\n"));
    assert_eq!(
        text(&remote.stdout).lines().count(),
        5,
        "{}",
        text(&remote.stdout)
    );
    // A file over HTTP.
    let web = super::cli::HttpServer::start();
    let query = "SELECT plan, churn_rate(active_at_start, active_at_end) AS churn FROM '{}' \
                 GROUP BY plan ORDER BY plan";
    let over_http = query.replace("{}", &format!("http://127.0.0.1:{}/customers.csv", web.1));
    let (remote, _) = engage_within(
        &[
            "-q",
            "--format",
            "csv",
            "--cluster",
            &cluster.address,
            "--secret-file",
            &cluster_credentials.path("secret"),
            "--tls-ca",
            &cluster_credentials.path("ca.pem"),
            "-c",
            &over_http,
        ],
        Duration::from_secs(180),
    );
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    let (local, _) = engage_within(
        &[
            "-q",
            "--format",
            "csv",
            "-c",
            &query.replace("{}", "examples/data/customers.csv"),
        ],
        Duration::from_secs(180),
    );
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    drop(cluster);

    // The client may read the bucket; the cluster's processes may not.
    let refused = start_cluster_in(Some(&environment(Store::S3, Credentials::Refused)));
    let output = engage_on(
        Store::S3,
        &[
            "--cluster",
            &refused.address,
            "-c",
            "SELECT count(*) FROM 's3://engagement/responses.parquet'",
        ],
        Credentials::Valid,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("engagement"), "{stderr}");
    assert!(stderr.contains("403"), "{stderr}");
    assert!(
        stderr.contains(
            "the scheduler and every executor read with the credentials of their own environment"
        ),
        "{stderr}"
    );
}

/// A Delta table cannot be read on a cluster yet: named as such or as a directory in FROM (whose
/// files include those its log removed), it is a clear error, never its raw files.
#[cfg(feature = "delta")]
#[test]
fn a_delta_table_on_a_cluster_is_a_clear_error() {
    let location = super::delta::tables().path("events_delta/");
    let cluster = start_cluster();
    for statement in [
        format!("CREATE EXTERNAL TABLE events STORED AS DELTATABLE LOCATION '{location}'"),
        format!("SELECT count(*) FROM '{location}'"),
    ] {
        let (output, _) = engage_within(
            &["--cluster", &cluster.address, "-c", &statement],
            Duration::from_secs(60),
        );
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let message = text(&output.stderr);
        assert!(
            message.contains(&format!(
                "{location} is a Delta table, which engage reads without --cluster only"
            )),
            "{message}"
        );
    }
}

/// An address of this machine other hosts could reach it at, if it has one: the interface a
/// datagram to a documentation address would leave by (nothing is sent).
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Without credentials, the cluster's processes listen on loopback unless told otherwise, and
/// listening where other hosts reach them needs --insecure, said loudly.
#[test]
fn cluster_processes_listen_on_loopback_unless_told_otherwise() {
    // No --bind: the scheduler listens on 127.0.0.1 only.
    let port = free_port();
    let mut scheduler = Process::start(&["scheduler", "--port", &port.to_string()], None);
    scheduler.wait_for(&format!("engage scheduler listening on 127.0.0.1:{port}"));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    match non_loopback_address() {
        Some(ip) => assert!(
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::new(ip, port),
                Duration::from_secs(2)
            )
            .is_err(),
            "the scheduler answers on {ip}:{port}"
        ),
        None => eprintln!("no non-loopback address here: only the loopback side is checked"),
    }
    drop(scheduler);

    // A reachable address without --insecure: refused at once, with what to do.
    for (args, role) in [
        (vec!["scheduler", "--bind", "0.0.0.0"], "scheduler"),
        (
            vec![
                "executor",
                "--scheduler",
                "df://127.0.0.1:1",
                "--bind",
                "::",
            ],
            "executor",
        ),
    ] {
        let (output, took) = engage_within(&args, Duration::from_secs(30));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
        assert!(
            stderr.contains(&format!("{role}: --bind "))
                && stderr.contains("give the cluster a shared secret")
                && stderr.contains("add --insecure"),
            "{args:?}: {stderr}"
        );
    }

    // With --insecure it listens there, and says so.
    let port = free_port();
    let mut open = Process::start(
        &[
            "scheduler",
            "--bind",
            "0.0.0.0",
            "--insecure",
            "--port",
            &port.to_string(),
        ],
        None,
    );
    open.wait_for("WARNING: listening on 0.0.0.0 without authentication (--insecure)");
    open.wait_for(&format!("engage scheduler listening on 0.0.0.0:{port}"));
}
