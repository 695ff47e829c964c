//! `engage`: a SQL shell with the customer-engagement metrics of `datafusion-engagement`.

mod args;
#[cfg(feature = "cluster")]
mod cluster;
#[cfg(not(feature = "cluster"))]
#[path = "no_cluster.rs"]
mod cluster;
mod command;
#[cfg(feature = "delta")]
mod delta;
#[cfg(feature = "cluster")]
mod environment_stores;
mod exec;
mod help;
mod interrupt;
mod object_stores;
mod output;
mod print_format;
mod progress;
mod repl;
mod report;
mod script;
mod session;
mod tables;
mod variables;
mod visible_files;

use std::io::IsTerminal;
use std::process::ExitCode;

use args::{Cli, Source};
use exec::{BatchSource, Failure, Shell};
use output::OutputFile;
use print_format::PrintFormat;

/// mimalloc, as datafusion-cli: faster than glibc's allocator here, and with a purge delay of
/// zero (below) it keeps a spilling query's freed memory resident for less long.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Under `--memory-limit`, memory goes back to the system as soon as it is freed rather than
/// after mimalloc's delay (a second in the bundled version): a spilling query frees and
/// allocates hundreds of megabytes within that second, and stickiness by segment and month
/// on 3M events under a 40 MB limit peaked at 314 MB resident against 178 MB with no delay.
fn return_freed_memory_at_once() {
    /// `mi_option_purge_delay` in mimalloc.h (the same in its v2 and v3).
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: sets one of mimalloc's runtime options, which it reads at each purge; 0 is a
    // documented value of this one (purge at once).
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// Under `--memory-limit`, asks Linux for no transparent huge pages in this process (the
/// kernel's per-process switch, the one `MIMALLOC_ALLOW_THP=0` sets; mimalloc asks for them
/// otherwise). A huge page is 2 MB, resident from its first touch however little of it is
/// used. On the harness's 20M events (2 cores, a virtual machine), alternating with and
/// without: under `--memory-limit 300M` stickiness by segment and month peaked at 382–412 MB
/// against 426–446, and by user under 100M at 283–286 MB against 354–378.
/// Without a limit they stay: queries peaked 8–25 % lower but spent up to 15 % more user time
/// whenever the kernel zeroed huge pages quickly (more TLB misses with 4 KB pages).
#[cfg(target_os = "linux")]
fn use_small_pages() {
    use std::ffi::{c_int, c_ulong};
    /// `PR_SET_THP_DISABLE` in linux/prctl.h.
    const PR_SET_THP_DISABLE: c_int = 41;
    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    let (disable, unused): (c_ulong, c_ulong) = (1, 0);
    // SAFETY: sets a flag of this process and reads no memory of ours. Where the kernel lacks
    // it, the call fails and the system's setting stays.
    let _ = unsafe { prctl(PR_SET_THP_DISABLE, disable, unused, unused, unused) };
}

#[cfg(not(target_os = "linux"))]
fn use_small_pages() {}

fn main() -> ExitCode {
    let cli = Cli::parse_ordered();
    if cli.memory_limit.is_some() {
        return_freed_memory_at_once();
        use_small_pages();
    }
    interrupt::install();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the query runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // A cancelled query's tasks stop at their operator's next yield, and some operators
    // (a cross join feeding an aggregate) go many seconds without one. Give them a moment to
    // stop and drop their spill files, but never keep the user waiting for them.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// How long exiting waits for the tasks of a cancelled query.
const RUNTIME_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Some(role) = cli.role {
        return cluster::run(role).await;
    }
    let output = cli
        .output
        .clone()
        .map(|path| OutputFile::new(path, cli.format))
        .transpose()
        .map_err(Failure::Usage)?;
    let ctx = session::build(&cli).await?;
    let mut shell = Shell {
        ctx,
        format: cli.format.unwrap_or(PrintFormat::Table),
        timing: false,
        quiet: cli.quiet,
        on_cluster: cli.cluster.is_some(),
        report: None,
        variables: variables::Variables::new(cli.variables.clone()),
    };
    if cli.sources.is_empty() && std::io::stdin().is_terminal() {
        if output.is_some() {
            return Err(Failure::Usage(
                "-o needs statements from -c, -f, a query file or standard input".to_string(),
            ));
        }
        if shell.format == PrintFormat::Html {
            return Err(Failure::Usage(report::HTML_IS_A_BATCH_REPORT.to_string()));
        }
        shell.timing = true;
        return repl::run(&mut shell).await;
    }
    let sources = if cli.sources.is_empty() {
        vec![BatchSource::Stdin]
    } else {
        cli.sources
            .into_iter()
            .map(|source| match source {
                Source::Command(sql) => BatchSource::Command(sql),
                Source::File(path) => BatchSource::File(path),
            })
            .collect()
    };
    // An interrupt drops the running statement, and with it any half-written output file.
    tokio::select! {
        result = exec::run_batch(&mut shell, sources, output.as_ref()) => result,
        () = interrupt::interrupted() => Err(Failure::Interrupted),
    }
}
