//! The `engage` binary end to end, in one test binary (each test binary links all of
//! DataFusion, and linking is most of a warm test run): flags, formats and exit codes
//! (`cli`), the pseudo-terminal (`terminal`), tables over directories (`directories`), Delta Lake
//! tables (`delta`), S3, GCS
//! and Azure against real local servers (`stores`), memory under a limit (`memory`), HTML
//! reports in a real browser (`reports`) and, with
//! the `cluster` feature, a Ballista cluster of `engage` processes (`cluster`) and its
//! credentials and allowed locations (`cluster_security`).

use std::path::{Path, PathBuf};

mod cli;
#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "cluster")]
mod cluster_security;
#[cfg(feature = "delta")]
mod delta;
mod directories;
mod memory;
mod reports;
mod rollup;
mod stores;
mod terminal;

/// The repository's root. Read when the test runs, not when it is compiled: a target directory
/// shared between checkouts may hold a test binary built from another one.
fn repo_root() -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A process's output as text (lossy: a test reports what it got, whatever the bytes).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `engage` with `args` from the repository's root.
fn engage(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_engage"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

/// Runs `engage` on the statements in CSV format from the repository's root: the output of the
/// last one, or the error.
fn engage_csv(statements: &[&str]) -> Result<String, String> {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_engage"));
    command
        .args(["--format", "csv", "-q"])
        .current_dir(repo_root());
    for statement in statements {
        command.args(["-c", statement]);
    }
    let output = command.output().unwrap();
    if output.status.success() {
        Ok(text(&output.stdout))
    } else {
        Err(text(&output.stderr))
    }
}

/// The files a query opened, from EXPLAIN ANALYZE's output: the `files_opened` metric of its
/// scan (the plan's `file_groups` list is shortened with "..." past a few files).
fn files_opened(plan: &str) -> usize {
    let opened = plan
        .split("files_opened=")
        .nth(1)
        .unwrap_or_else(|| panic!("no files_opened in {plan}"));
    let digits: String = opened.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Every file under `dir`, at any depth, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The directory under the target directory where `scripts/test` installed the packages listed
/// in `tests/prerequisites/{list}` (its `node_modules`, or a Python virtual environment). The
/// script installs them, once, before anything compiles; a test only checks that the install
/// is there and made from the list as it is now.
fn prerequisite(list: &str, installed: &str) -> PathBuf {
    let wanted = std::fs::read_to_string(repo_root().join("tests/prerequisites").join(list))
        .unwrap_or_else(|e| panic!("tests/prerequisites/{list}: {e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(installed);
    let stamp = std::fs::read_to_string(dir.join("installed.txt")).ok();
    assert!(
        stamp.as_deref() == Some(wanted.as_str()),
        "the packages of tests/prerequisites/{list} are not installed in {} (or are from an older \
         list): run `scripts/test prepare`",
        dir.display()
    );
    dir
}
