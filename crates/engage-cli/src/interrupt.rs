//! Ctrl-C and SIGTERM, heard on a thread of their own.
//!
//! A query keeps both runtime workers busy, and a busy multi-threaded runtime polls its signal
//! driver late or never; so signals are awaited by a small current-thread runtime on a
//! dedicated thread, which wakes whoever waits in [`interrupted`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

fn listener() -> &'static Arc<Notify> {
    static NOTIFY: OnceLock<Arc<Notify>> = OnceLock::new();
    NOTIFY.get_or_init(|| {
        let notify = Arc::new(Notify::new());
        let wake = Arc::clone(&notify);
        let (listening, ready) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("engage-signals".to_string())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let mut signals = Signals::listen();
                    drop(listening);
                    while signals.recv().await {
                        INTERRUPTS.fetch_add(1, Ordering::SeqCst);
                        wake.notify_waiters();
                    }
                });
            })
            .expect("start the signal thread");
        // Wait until the handlers are in place: the line editor saves the SIGINT handler it
        // finds when a prompt opens and puts it back when the prompt closes, so a handler
        // installed by this thread during the first prompt would be undone, and the first
        // Ctrl-C during a query would kill the shell (or do nothing, where SIGINT is ignored).
        let _ = ready.recv();
        notify
    })
}

/// Ctrl-C, and SIGTERM on Unix, listened to from creation on (tokio's `ctrl_c()` installs its
/// handler only when first polled).
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Completes at the next signal with `true`, or with `false` when none can be heard.
    async fn recv(&mut self) -> bool {
        #[cfg(unix)]
        {
            async fn next(signal: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
                match signal {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            }
            if self.interrupt.is_none() && self.terminate.is_none() {
                return false;
            }
            tokio::select! {
                heard = next(&mut self.interrupt) => heard.is_some(),
                heard = next(&mut self.terminate) => heard.is_some(),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.is_ok()
        }
    }
}

/// Starts listening (call before the first prompt, and early, so a signal before the first
/// wait is not the default kill).
pub fn install() {
    listener();
}

/// Interrupts heard so far.
static INTERRUPTS: AtomicU64 = AtomicU64::new(0);

/// Completes at the next Ctrl-C or SIGTERM after this call.
///
/// The count is read now, not when the future is first polled: a statement racing it in a
/// `select!` may keep its thread busy for a while before this future is polled, and a signal in
/// between must not be lost (`Notify::notify_waiters` keeps no permit for later waiters).
pub fn interrupted() -> impl std::future::Future<Output = ()> {
    let seen = INTERRUPTS.load(Ordering::SeqCst);
    async move {
        let notify = listener();
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            // Registered before the count is checked, so no signal falls in between.
            notified.as_mut().enable();
            if INTERRUPTS.load(Ordering::SeqCst) != seen {
                return;
            }
            notified.await;
        }
    }
}
