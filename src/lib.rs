//! ib-analyze: train small latent-bootstrapping models with candle, snapshot their latents,
//! measure collapse, judge it, and report. ARCHITECTURE.md (at the repository root) walks
//! through the modules, the data flow and the contracts.

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod estimate;
pub mod external;
pub mod files;
pub mod gate;
pub mod info;
pub mod input;
pub mod interrupt;
pub mod memory;
pub mod output;
pub mod probe;
pub mod records;
pub mod runner;
pub mod snapshot;
pub mod train;
pub mod verdict;

pub use commands::execute;

/// `ib-analyze <version>`.
pub fn tool_version() -> String {
    format!("ib-analyze {}", env!("CARGO_PKG_VERSION"))
}
