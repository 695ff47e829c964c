//! `engage scheduler`, two `engage executor` processes and `engage --cluster` on loopback:
//! the report gives the local numbers, and a cluster that is not there is a quick, clear error.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::repo_root;

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A cluster process, killed when the test ends however it ends.
struct Process {
    child: Child,
    /// Its standard error, line by line.
    lines: mpsc::Receiver<String>,
}

impl Process {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_engage"))
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
    fn wait_for(&mut self, text: &str) {
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
struct LocalCluster {
    address: String,
    _scheduler: Process,
    executors: Vec<Process>,
    _work_dirs: Vec<tempfile::TempDir>,
}

fn start_cluster() -> LocalCluster {
    let port = free_port().to_string();
    let mut scheduler = Process::start(&["scheduler", "--bind", "127.0.0.1", "--port", &port]);
    scheduler.wait_for("engage scheduler listening on");
    let address = format!("df://127.0.0.1:{port}");
    let mut executors = vec![];
    let mut work_dirs = vec![];
    for _ in 0..2 {
        let work_dir = tempfile::tempdir().unwrap();
        let (flight, grpc) = (free_port().to_string(), free_port().to_string());
        let mut executor = Process::start(&[
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
        ]);
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
fn engage_within(args: &[&str], limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_overview_report_on_a_cluster_gives_the_local_output() {
    let cluster = start_cluster();
    let limit = Duration::from_secs(180);
    let (local, _) = engage_within(&["-q", "--format", "csv", "sql/overview.sql"], limit);
    assert!(local.status.success(), "{}", text(&local.stderr));
    let (remote, _) = engage_within(
        &[
            "-q",
            "--format",
            "csv",
            "--cluster",
            &cluster.address,
            "sql/overview.sql",
        ],
        limit,
    );
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    assert!(!text(&local.stdout).is_empty());
    // ENGAGE_CLUSTER does what --cluster does, and the meta-commands work on a cluster too.
    let output = Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(["-q", "-c", "\\h nps", "-c", "SELECT nps(9) AS promoter"])
        .env("ENGAGE_CLUSTER", &cluster.address)
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
    let (explained, _) = engage_within(
        &[
            "-q",
            "--cluster",
            &cluster.address,
            "-c",
            "EXPLAIN SELECT segment, stickiness(user_id, event_time) \
             FROM 'examples/data/events.parquet' GROUP BY segment",
        ],
        limit,
    );
    let plan = text(&explained.stdout);
    let stage_two = plan.find("stage_id=2").expect(&plan);
    let partial = plan.find("mode=Partial").expect(&plan);
    let unresolved = plan.find("UnresolvedShuffleExec").expect(&plan);
    assert!(partial < stage_two && stage_two < unresolved, "{plan}");
    assert!(plan.contains("ShuffleWriterExec"), "{plan}");
    // A table that cannot travel to the executors is a clear error, not "file a bug report".
    let (output, _) = engage_within(
        &[
            "--cluster",
            &cluster.address,
            "-c",
            "SELECT count(*) FROM generate_series(1, 10)",
        ],
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
fn stopping_an_executor_during_a_query() {
    let mut cluster = start_cluster();
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
        engage_within(
            &["-q", "--format", "csv", "--cluster", &address, "-c", query],
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
