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
                    let mut terminate = Terminate::listen();
                    loop {
                        tokio::select! {
                            result = tokio::signal::ctrl_c() => if result.is_err() { return },
                            () = terminate.recv() => {}
                        }
                        INTERRUPTS.fetch_add(1, Ordering::SeqCst);
                        wake.notify_waiters();
                    }
                });
            })
            .expect("start the signal thread");
        notify
    })
}

/// SIGTERM on Unix; elsewhere Ctrl-C is the only signal, and this never fires.
struct Terminate {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Terminate {
    fn listen() -> Self {
        Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Completes at the next SIGTERM.
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = self.signal.as_mut()
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending().await
    }
}

/// Starts listening (call early, so a signal before the first wait is not the default kill).
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
