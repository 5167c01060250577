//! Clean stop on SIGINT/SIGTERM (through `signal-hook`): the first signal asks the run to stop
//! at the next check — every training step, after the analysis of each snapshot, after training,
//! and before `run.json` is written (`runner`, `output::write_record`) — so a signal during the
//! analysis or the report stops the run too. Files written so far are complete; `run.json` is not
//! written, so the directory never passes for a finished run (exit code 130). A second signal
//! ends the process at once with exit code 128 + the signal number.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The error a run stops with when a signal asked it to.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by a signal")]
pub struct Interrupted;

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    flag().load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Install the handlers, once (Unix; elsewhere the default behaviour stays).
pub fn install() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag as hook;
        static INSTALLED: OnceLock<()> = OnceLock::new();
        if INSTALLED.get().is_none() {
            for signal in [SIGINT, SIGTERM] {
                // Registered first, so it sees the flag before this signal sets it: only a
                // second signal finds it set and exits.
                hook::register_conditional_shutdown(signal, 128 + signal, Arc::clone(flag()))?;
                hook::register(signal, Arc::clone(flag()))?;
            }
            let _ = INSTALLED.set(());
        }
    }
    Ok(())
}
