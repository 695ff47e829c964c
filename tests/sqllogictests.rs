//! Runs every `.slt` file in `tests/slt/` against a session with all engagement functions,
//! once per engine configuration below. The same expected results must hold under each, so
//! every test is also a check that results do not depend on how the engine splits the work.
//!
//! A record marked `skipif small_batches` does not run in the configurations with batches of
//! fewer than 100 rows: for by-hand reference computations (a recursive CTE) that take minutes
//! there; the results they check are written out too, and checked in every configuration.
//!
//! `SLT_FILTER=nps cargo test -p engagement-sqllogictests` runs only files whose name contains
//! `nps`; `SLT_COMPLETE=1` rewrites the expected results from the first configuration (review
//! the diff by hand before committing it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_engagement::key_set_aggregation::OneStageKeySetAggregation;
use datafusion_sqllogictest::{DataFusion, df_value_validator, value_normalizer};
use indicatif::ProgressBar;
use sqllogictest::{Record, default_column_validator, parse_file, strict_column_validator};

/// How the engine splits the work for one run of a file.
struct EngineConfig {
    name: &'static str,
    target_partitions: usize,
    batch_size: usize,
    skip_partial_aggregation: bool,
    /// With the `OneStageKeySetAggregation` rule the shell uses, and its hash partitions per
    /// target partition.
    key_sets_in_one_stage: Option<usize>,
}

// Partial aggregation decides to skip after its first batch, so the skipping configurations
// use small batches: every later batch then goes through `convert_to_state`.
const CONFIGS: [EngineConfig; 7] = [
    EngineConfig {
        name: "1 partition, batches of 8192",
        target_partitions: 1,
        batch_size: 8192,
        skip_partial_aggregation: false,
        key_sets_in_one_stage: None,
    },
    EngineConfig {
        name: "8 partitions, batches of 8192",
        target_partitions: 8,
        batch_size: 8192,
        skip_partial_aggregation: false,
        key_sets_in_one_stage: None,
    },
    EngineConfig {
        name: "8 partitions, batches of 7",
        target_partitions: 8,
        batch_size: 7,
        skip_partial_aggregation: false,
        key_sets_in_one_stage: None,
    },
    EngineConfig {
        name: "8 partitions, batches of 7, partial aggregation skipped",
        target_partitions: 8,
        batch_size: 7,
        skip_partial_aggregation: true,
        key_sets_in_one_stage: None,
    },
    EngineConfig {
        name: "8 partitions, batches of 1, partial aggregation skipped",
        target_partitions: 8,
        batch_size: 1,
        skip_partial_aggregation: true,
        key_sets_in_one_stage: None,
    },
    EngineConfig {
        name: "8 partitions, batches of 8192, key sets in one stage",
        target_partitions: 8,
        batch_size: 8192,
        skip_partial_aggregation: false,
        key_sets_in_one_stage: Some(1),
    },
    EngineConfig {
        name: "3 partitions, batches of 7, key sets in one stage over 9 partitions",
        target_partitions: 3,
        batch_size: 7,
        skip_partial_aggregation: false,
        key_sets_in_one_stage: Some(3),
    },
];

fn session(config: &EngineConfig) -> Result<SessionContext> {
    let mut session_config = SessionConfig::new()
        .with_target_partitions(config.target_partitions)
        .with_batch_size(config.batch_size)
        .with_information_schema(true);
    if config.skip_partial_aggregation {
        let options = session_config.options_mut();
        options
            .execution
            .skip_partial_aggregation_probe_rows_threshold = 1;
        options
            .execution
            .skip_partial_aggregation_probe_ratio_threshold = 0.0;
    }
    let mut state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(session_config);
    if let Some(partitions_per_target) = config.key_sets_in_one_stage {
        let rule =
            OneStageKeySetAggregation::new().with_partitions_per_target(partitions_per_target);
        state = state.with_physical_optimizer_rule(Arc::new(rule));
    }
    let mut ctx = SessionContext::new_with_state(state.build()).enable_url_table();
    datafusion_engagement::register_all(&mut ctx)?;
    datafusion_engagement::keep_sort_keys_after_unnest(&ctx);
    Ok(ctx)
}

async fn run_file(path: &Path, config: &EngineConfig) -> Result<()> {
    let ctx = session(config)?;
    let relative = PathBuf::from(path.file_name().unwrap());
    let mut runner = sqllogictest::Runner::new(|| {
        let (ctx, relative) = (ctx.clone(), relative.clone());
        async move { Ok(DataFusion::new(ctx, relative, ProgressBar::hidden())) }
    });
    if config.batch_size < 100 {
        runner.add_label("small_batches");
    }
    runner.with_column_validator(strict_column_validator);
    runner.with_normalizer(value_normalizer);
    runner.with_validator(df_value_validator);
    let records = parse_file(path).map_err(|e| DataFusionError::External(Box::new(e)))?;
    let mut errors = vec![];
    for record in records {
        if let Record::Halt { .. } = record {
            break;
        }
        if let Err(e) = runner.run_async(record).await {
            errors.push(e.to_string());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DataFusionError::Execution(format!(
            "{} failing record(s):\n{}",
            errors.len(),
            errors.join("\n")
        )))
    }
}

async fn complete_file(path: &Path) -> Result<()> {
    let ctx = session(&CONFIGS[0])?;
    let relative = PathBuf::from(path.file_name().unwrap());
    let mut runner = sqllogictest::Runner::new(|| {
        let (ctx, relative) = (ctx.clone(), relative.clone());
        async move { Ok(DataFusion::new(ctx, relative, ProgressBar::hidden())) }
    });
    runner
        .update_test_file(
            path,
            " ",
            df_value_validator,
            value_normalizer,
            default_column_validator,
        )
        .await
        .map_err(|e| DataFusionError::Execution(e.to_string()))
}

/// This crate's folder, read when the tests run rather than when they are compiled: a target
/// directory shared between checkouts may hold a binary built from another one.
fn crate_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
}

fn slt_files() -> Vec<PathBuf> {
    let folder = crate_dir().join("slt");
    let filter = std::env::var("SLT_FILTER").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/slt exists")
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    files
}

#[tokio::main]
async fn main() {
    // Paths in the .slt files are relative to this crate's folder.
    std::env::set_current_dir(crate_dir()).unwrap();
    let files = slt_files();
    if std::env::var_os("SLT_COMPLETE").is_some() {
        for file in &files {
            complete_file(file)
                .await
                .unwrap_or_else(|e| panic!("completing {}: {e}", file.display()));
            println!("completed {}", file.display());
        }
        return;
    }
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        for config in &CONFIGS {
            let name = file.file_name().unwrap().to_string_lossy();
            match run_file(file, config).await {
                Ok(()) => {
                    passed += 1;
                    println!("ok     {name} [{}]", config.name);
                }
                Err(e) => {
                    failed += 1;
                    println!("FAILED {name} [{}]\n{e}\n", config.name);
                }
            }
        }
    }
    println!("sqllogictest: {passed} passed, {failed} failed");
    if failed > 0 || passed == 0 {
        std::process::exit(1);
    }
}
