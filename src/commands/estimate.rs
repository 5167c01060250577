//! `ib-analyze estimate`: one entropy, mutual information or conditional entropy from columns
//! of a file, in nats.

use anyhow::Result;

use crate::cli::EstimateArgs;
use crate::estimate;

/// The command.
pub fn execute(args: &EstimateArgs) -> Result<u8> {
    let out = estimate::run(&args.request())?;
    estimate::print(&out, args.json)?;
    Ok(0)
}
