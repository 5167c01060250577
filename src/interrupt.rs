//! Clean stop on SIGINT/SIGTERM: the first signal asks the training loop to stop at the next
//! step (files written so far are complete; `run.json` is not written, so the directory never
//! passes for a finished run); a second signal kills the process at once.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The error a run stops with when a signal asked it to.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by a signal")]
pub struct Interrupted;

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

#[cfg(unix)]
mod unix {
    use super::REQUESTED;
    use std::sync::atomic::Ordering;

    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    const SIG_DFL: usize = 0;

    extern "C" {
        // POSIX; async-signal-safe.
        fn signal(signum: i32, handler: usize) -> usize;
    }

    extern "C" fn on_signal(signum: i32) {
        REQUESTED.store(true, Ordering::SeqCst);
        // A second signal takes the default action (terminate).
        // SAFETY: signal() is async-signal-safe; SIG_DFL is a valid disposition.
        unsafe {
            signal(signum, SIG_DFL);
        }
    }

    pub fn install() {
        let handler = on_signal as extern "C" fn(i32) as usize;
        // SAFETY: installing a handler that only stores to an atomic and resets its disposition.
        unsafe {
            signal(SIGINT, handler);
            signal(SIGTERM, handler);
        }
    }
}

/// Install the handlers (Unix; elsewhere the default behaviour stays).
pub fn install() {
    #[cfg(unix)]
    unix::install();
}
