//! Linear layer: y = x Wᵀ + b.

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::gemm::{gemm_f32, gemm_new};
use super::storage::{f32_slice, filled, tensor, with_f32};

/// y = x Wᵀ + b for x N×K, W M×K, b M. Backward: dx = G W (skipped when x needs no gradient,
/// as for the data layer), dW = Gᵀ x, db = Σ_n G.
pub struct LinearOp;

impl CustomOp3 for LinearOp {
    fn name(&self) -> &'static str {
        "fused-linear"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sw: &CpuStorage,
        lw: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = lx.shape().dims2()?;
        let (m, k2) = lw.shape().dims2()?;
        if k != k2 || lb.shape().dims1()? != m {
            bail!(
                "fused-linear: shapes {:?}, {:?}, {:?}",
                lx.dims(),
                lw.dims(),
                lb.dims()
            );
        }
        let (x, w, b) = (f32_slice(sx, lx)?, f32_slice(sw, lw)?, f32_slice(sb, lb)?);
        // The bias in every row, then gemm accumulates x Wᵀ onto it.
        let mut y = filled(n * m, |y| {
            for row in y.chunks_exact_mut(m) {
                row.iter_mut().zip(b).for_each(|(d, v)| {
                    d.write(*v);
                });
            }
        });
        // y += x (N×K) · Wᵀ (K×M): Wᵀ[k, m] = w[m·K + k].
        gemm_f32((n, m, k), &mut y, true, x, (k, 1), w, (1, k));
        Ok((CpuStorage::F32(y), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, k) = x.dims2()?;
        let m = w.dim(0)?;
        with_f32(grad, |g| {
            let dx = if x.track_op() {
                let dx = with_f32(w, |w| Ok(gemm_new((n, k, m), g, (m, 1), w, (k, 1))))?;
                Some(tensor(dx, (n, k), x)?)
            } else {
                None
            };
            // Gᵀ (M×N): Gᵀ[m, n] = g[n·M + m].
            let dw = with_f32(x, |xs| Ok(gemm_new((m, k, n), g, (1, m), xs, (k, 1))))?;
            let mut db = vec![0.0f32; m];
            for row in g.chunks_exact(m) {
                db.iter_mut().zip(row).for_each(|(d, v)| *d += v);
            }
            Ok((dx, Some(tensor(dw, (m, k), w)?), Some(tensor(db, m, w)?)))
        })
    }
}

/// x Wᵀ + b through [`LinearOp`].
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(weight, bias, LinearOp)
}
