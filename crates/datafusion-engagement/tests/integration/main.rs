//! The library's integration tests, in one test binary (each test binary links all of
//! DataFusion, and linking is most of a warm test run): accumulators and their states
//! (`accumulators`), planning (`planning`), the functions through DataFusion's FFI (`ffi`) and the
//! worked examples through the DataFrame API (`worked_examples`).

#[path = "../support/case.rs"]
mod case;

mod accumulators;
#[cfg(feature = "ballista")]
mod cluster;
mod ffi;
mod planning;
mod worked_examples;
