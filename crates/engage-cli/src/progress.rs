//! A progress line on stderr for long queries: elapsed time and rows read so far.
//!
//! Shown only when stderr is a terminal (a report job's log stays clean) and only after the
//! query has run for a moment (`ENGAGE_PROGRESS_AFTER_MS`, default 1000), so quick queries never
//! flicker. Rows read are the scan operators' live `output_rows` metrics.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use datafusion::physical_plan::ExecutionPlan;
use tokio::task::JoinHandle;

const REFRESH: Duration = Duration::from_millis(200);
const DEFAULT_DELAY: Duration = Duration::from_millis(1000);

pub struct Progress {
    task: Option<JoinHandle<()>>,
    /// Result rows received so far, counted by the caller.
    pub result_rows: Arc<AtomicUsize>,
}

impl Progress {
    /// Starts the progress line for `plan` if `enabled` and stderr is a terminal.
    pub fn start(plan: Arc<dyn ExecutionPlan>, enabled: bool) -> Self {
        let result_rows = Arc::new(AtomicUsize::new(0));
        let task = (enabled && std::io::stderr().is_terminal()).then(|| {
            let result_rows = Arc::clone(&result_rows);
            tokio::spawn(async move {
                let started = Instant::now();
                tokio::time::sleep(delay()).await;
                let mut tick = 0usize;
                loop {
                    // A plan run by a cluster has no local scans to count.
                    let read = rows_read(plan.as_ref())
                        .map(|rows| format!("{} rows read · ", with_thousands(rows)))
                        .unwrap_or_default();
                    let line = format!(
                        "{} {:.1} s · {read}{} result rows",
                        ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][tick % 10],
                        started.elapsed().as_secs_f64(),
                        with_thousands(result_rows.load(Ordering::Relaxed)),
                    );
                    {
                        let mut stderr = std::io::stderr().lock();
                        let _ = write!(stderr, "\r\x1b[2K{line}");
                        let _ = stderr.flush();
                    }
                    tick += 1;
                    tokio::time::sleep(REFRESH).await;
                }
            })
        });
        Self { task, result_rows }
    }

    /// Stops the line and erases it.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

fn delay() -> Duration {
    std::env::var("ENGAGE_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_DELAY)
}

/// Rows produced so far by the plan's leaves (the scans); `None` when no leaf counts rows here
/// (a plan a Ballista cluster runs is one leaf without metrics).
fn rows_read(plan: &dyn ExecutionPlan) -> Option<usize> {
    let children = plan.children();
    if children.is_empty() {
        plan.metrics()
            .map(|metrics| metrics.output_rows().unwrap_or(0))
    } else {
        children
            .into_iter()
            .filter_map(|child| rows_read(child.as_ref()))
            .reduce(|a, b| a + b)
    }
}

fn with_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::with_thousands(0), "0");
        assert_eq!(super::with_thousands(999), "999");
        assert_eq!(super::with_thousands(1000), "1,000");
        assert_eq!(super::with_thousands(12345678), "12,345,678");
    }
}
