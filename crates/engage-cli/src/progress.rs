//! A progress line on stderr for long queries: elapsed time and rows read so far.
//!
//! Shown only when stderr is a terminal (a report job's log stays clean) and only after the
//! query has run for a moment (`ENGAGE_PROGRESS_AFTER_MS`, default 1000), so quick queries never
//! flicker. Rows read are the scan operators' live `output_rows` metrics.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use datafusion::physical_plan::ExecutionPlan;

const REFRESH: Duration = Duration::from_millis(200);
const DEFAULT_DELAY: Duration = Duration::from_millis(1000);

pub struct Progress {
    /// The thread drawing the line, and the sender whose drop stops it. A thread of its own,
    /// not a runtime task: a query that keeps every runtime worker busy (a cross join does not
    /// yield) would starve a task, and the line would freeze just when it is needed.
    drawer: Option<(Sender<()>, JoinHandle<()>)>,
    /// Result rows received so far, counted by the caller.
    pub result_rows: Arc<AtomicUsize>,
}

impl Progress {
    /// Starts the progress line for `plan` if `enabled` and stderr is a terminal. `local` says
    /// the plan runs here: a plan a cluster runs has no scans here to count rows of.
    pub fn start(plan: Arc<dyn ExecutionPlan>, enabled: bool, local: bool) -> Self {
        let result_rows = Arc::new(AtomicUsize::new(0));
        let drawer = (enabled && std::io::stderr().is_terminal()).then(|| {
            let result_rows = Arc::clone(&result_rows);
            let (stop, stopped) = mpsc::channel::<()>();
            let thread = std::thread::Builder::new()
                .name("engage-progress".to_string())
                .spawn(move || {
                    let started = Instant::now();
                    // Nothing is ever sent: the sender's drop (an Err) means stop.
                    let mut wait = delay();
                    let mut tick = 0usize;
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                        draw(local.then_some(plan.as_ref()), started, tick, &result_rows);
                        tick += 1;
                        wait = REFRESH;
                    }
                })
                .expect("start the progress thread");
            (stop, thread)
        });
        Self {
            drawer,
            result_rows,
        }
    }

    /// Stops the line and erases it.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some((stop, thread)) = self.drawer.take() {
            drop(stop);
            // Joined before erasing, so no line is drawn after the erase.
            let _ = thread.join();
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

/// Draws the line once over the previous one, with the rows `local_plan` has read.
fn draw(
    local_plan: Option<&dyn ExecutionPlan>,
    started: Instant,
    tick: usize,
    result_rows: &AtomicUsize,
) {
    let read = local_plan
        .map(|plan| format!("{} rows read · ", with_thousands(rows_read(plan))))
        .unwrap_or_default();
    let line = format!(
        "{} {:.1} s · {read}{} result rows",
        ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][tick % 10],
        started.elapsed().as_secs_f64(),
        with_thousands(result_rows.load(Ordering::Relaxed)),
    );
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "\r\x1b[2K{line}");
    let _ = stderr.flush();
}

fn delay() -> Duration {
    std::env::var("ENGAGE_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_DELAY)
}

/// Rows produced so far by the plan's leaves (the scans).
fn rows_read(plan: &dyn ExecutionPlan) -> usize {
    let children = plan.children();
    if children.is_empty() {
        plan.metrics()
            .and_then(|metrics| metrics.output_rows())
            .unwrap_or(0)
    } else {
        children
            .into_iter()
            .map(|child| rows_read(child.as_ref()))
            .sum()
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
