//! Shared helpers for the SQL-level tests live in sqllogictests.rs.
