//! The library's integration tests, in one test binary (each test binary links all of
//! DataFusion, and linking is most of a warm test run): accumulators and their states
//! (`accumulators`), planning (`planning`), the functions through DataFusion's FFI (`ffi`), ClickHouse's
//! million-event sequence case (`large_sequences`) and the worked examples through the
//! DataFrame API (`worked_examples`).

#[path = "../support/case.rs"]
mod case;

mod accumulators;
mod catalog;
#[cfg(feature = "ballista")]
mod cluster;
mod ffi;
mod large_sequences;
mod planning;
mod stored_states;
mod worked_examples;

/// The sample data (Parquet and CSV) the cluster and FFI tests read. Read when the test runs: a
/// target directory shared between checkouts may hold a test binary compiled in another one.
fn sample_data() -> std::path::PathBuf {
    std::path::Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
        .join("../../examples/data")
}
