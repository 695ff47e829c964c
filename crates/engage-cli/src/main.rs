//! `engage`: a SQL shell with the customer-engagement metrics of `datafusion-engagement`.

mod args;
mod exec;
mod print_format;

use std::process::ExitCode;

use args::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_ordered();
    match exec::run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(1)
        }
    }
}
