//! In-place exponential moving average of a target network's weights (BYOL).

use candle_core::{bail, CpuStorage, InplaceOp2, Layout, Result};

use super::storage::f32_slice;

/// target ← τ·target + (1 − τ)·source, in place.
pub struct EmaStep {
    pub tau: f32,
}

impl InplaceOp2 for EmaStep {
    fn name(&self) -> &'static str {
        "fused-ema"
    }

    fn cpu_fwd(
        &self,
        st: &mut CpuStorage,
        lt: &Layout,
        ss: &CpuStorage,
        ls: &Layout,
    ) -> Result<()> {
        let s = f32_slice(ss, ls)?;
        let t = match (st, lt.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => &mut v[a..b],
            _ => bail!("fused-ema: the target must be a contiguous f32 tensor"),
        };
        if s.len() != t.len() {
            bail!("fused-ema: {} sources for {} targets", s.len(), t.len());
        }
        let (tau, rest) = (self.tau, 1.0 - self.tau);
        for (tv, sv) in t.iter_mut().zip(s) {
            *tv = *tv * tau + sv * rest;
        }
        Ok(())
    }
}
