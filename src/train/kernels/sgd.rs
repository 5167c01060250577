//! In-place SGD with momentum and weight decay (PyTorch's `torch.optim.SGD`).

use candle_core::{bail, CpuStorage, InplaceOp2, Layout, Result};
use std::cell::RefCell;

use super::storage::f32_slice;

/// PyTorch's SGD step on a weight tensor, in place: g = ∇ + λw; b = μb + g (b = g at the first
/// step); w −= ηb. The momentum buffer lives outside candle's storage.
pub struct SgdStep<'a> {
    pub buffer: RefCell<&'a mut Vec<f32>>,
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
}

impl InplaceOp2 for SgdStep<'_> {
    fn name(&self) -> &'static str {
        "fused-sgd"
    }

    fn cpu_fwd(
        &self,
        sw: &mut CpuStorage,
        lw: &Layout,
        sg: &CpuStorage,
        lg: &Layout,
    ) -> Result<()> {
        let g = f32_slice(sg, lg)?;
        let w = match (sw, lw.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => &mut v[a..b],
            _ => bail!("fused-sgd: the weight must be a contiguous f32 tensor"),
        };
        if g.len() != w.len() {
            bail!("fused-sgd: {} gradients for {} weights", g.len(), w.len());
        }
        let mut buf = self.buffer.borrow_mut();
        let hyper = (self.lr, self.momentum, self.weight_decay);
        if buf.len() != w.len() || self.momentum == 0.0 {
            // First step: b = g.
            buf.clear();
            buf.resize(w.len(), 0.0);
            sgd_simd::<true>(w, g, &mut buf, hyper);
        } else {
            sgd_simd::<false>(w, g, &mut buf, hyper);
        }
        Ok(())
    }
}

/// One pass of PyTorch's SGD over a weight tensor: g' = g + λw (λ > 0), b = g' at the first
/// step else μb + g', w −= ηb.
#[inline(always)]
fn sgd_kernel<const FIRST: bool>(
    w: &mut [f32],
    g: &[f32],
    buf: &mut [f32],
    (lr, mu, wd): (f32, f32, f32),
) {
    let decay = wd > 0.0;
    for ((wv, gv), b) in w.iter_mut().zip(g).zip(buf.iter_mut()) {
        let gd = if decay { gv + *wv * wd } else { *gv };
        *b = if FIRST { gd } else { *b * mu + gd };
        *wv -= *b * lr;
    }
}

ib_estimators::multiversion!(fn sgd_simd<const FIRST: bool>(
    w: &mut [f32],
    g: &[f32],
    buf: &mut [f32],
    hyper: (f32, f32, f32)
) = sgd_kernel);
