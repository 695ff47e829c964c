//! The `engage` binary end to end, in one test binary (each test binary links all of
//! DataFusion, and linking is most of a warm test run): flags, formats and exit codes
//! (`cli`), the pseudo-terminal (`terminal`), tables over directories (`directories`), S3, GCS
//! and Azure against real local servers (`stores`), memory under a limit (`memory`) and, with
//! the `cluster` feature, a Ballista cluster of `engage` processes (`cluster`).

use std::path::{Path, PathBuf};

mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod directories;
mod memory;
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
