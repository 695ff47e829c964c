//! No code. See `Cargo.toml`: this crate only turns on features of shared dependencies, so
//! that builds of single packages reuse the workspace test build's compiled arrow and DataFusion.
