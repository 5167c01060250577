//! Linear then batch-norm (+ ReLU) as one op.

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

use super::batch_norm::{bn_backward_groups, bn_forward_groups};
use super::gemm::gemm_new;
use super::storage::{f32_slice, tensor, with_f32};

/// y = [ReLU](BN(x Wᵀ + b)) for x N×K, W M×K and the layer's affine parameters packed as one
/// 3×M tensor A = [b; γ; β]; batch statistics per block of N/`groups` rows, as
/// [`BatchNormOp`]. One graph node per layer: the pre-normalisation activations z = x Wᵀ + b
/// stay inside the op (kept for the backward), so backward never materialises their gradient
/// as a tensor. Arithmetic identical to [`LinearOp`] followed by [`BatchNormOp`].
pub struct LinearBnOp {
    pub relu: bool,
    pub groups: usize,
    saved: Mutex<Option<Saved>>,
}

/// z = x Wᵀ (without the bias), μ and 1/σ of the last forward of a [`LinearBnOp`].
type Saved = (Vec<f32>, Vec<f32>, Vec<f32>);

impl LinearBnOp {
    pub fn new(relu: bool, groups: usize) -> Self {
        LinearBnOp {
            relu,
            groups: groups.max(1),
            saved: Mutex::new(None),
        }
    }
}

impl CustomOp3 for LinearBnOp {
    fn name(&self) -> &'static str {
        if self.relu {
            "fused-linear-batch-norm-relu"
        } else {
            "fused-linear-batch-norm"
        }
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sw: &CpuStorage,
        lw: &Layout,
        sa: &CpuStorage,
        la: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = lx.shape().dims2()?;
        let (m, k2) = lw.shape().dims2()?;
        if k != k2 || la.dims() != [3, m] || m == 0 {
            bail!(
                "fused-linear-batch-norm: shapes {:?}, {:?}, {:?}",
                lx.dims(),
                lw.dims(),
                la.dims()
            );
        }
        if n % self.groups != 0 {
            bail!(
                "fused-linear-batch-norm: {n} rows in {} groups",
                self.groups
            );
        }
        let (x, w, a) = (f32_slice(sx, lx)?, f32_slice(sw, lw)?, f32_slice(sa, la)?);
        let (b, gamma, beta) = (&a[..m], &a[m..2 * m], &a[2 * m..]);
        // z = x Wᵀ; the batch-norm adds b on the fly (z is kept without it).
        let z = gemm_new((n, m, k), x, (k, 1), w, (1, k));
        let block = (n / self.groups) * m;
        let (y, means, inv_stds) = bn_forward_groups(&z, block, (b, gamma, beta), self.relu);
        *self.saved.lock().expect("saved lock") = Some((z, means, inv_stds));
        Ok((CpuStorage::F32(y), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        a: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, k) = x.dims2()?;
        let m = w.dim(0)?;
        let guard = self.saved.lock().expect("saved lock");
        let Some((z, mean, inv_std)) = guard.as_ref() else {
            bail!("fused-linear-batch-norm: backward before forward");
        };
        let block = (n / self.groups) * m;
        with_f32(grad, |g| {
            with_f32(a, |av| {
                let (bias, gamma, beta) = (&av[..m], &av[m..2 * m], &av[2 * m..]);
                // dA = [db; dγ; dβ]; db = Σ_n dz, summed by the batch-norm backward.
                let mut db = vec![0.0f32; m];
                // dz: the batch-norm backward, as BatchNormOp's.
                let (dz, dgamma, dbeta) = bn_backward_groups(
                    g,
                    z,
                    block,
                    (bias, gamma, beta),
                    (mean, inv_std),
                    self.relu,
                    &mut db,
                );
                // The linear backward on dz, as LinearOp's.
                let dx = if x.track_op() {
                    let dx = with_f32(w, |w| Ok(gemm_new((n, k, m), &dz, (m, 1), w, (k, 1))))?;
                    Some(tensor(dx, (n, k), x)?)
                } else {
                    None
                };
                let dw = with_f32(x, |xs| Ok(gemm_new((m, k, n), &dz, (1, m), xs, (k, 1))))?;
                let da = [db, dgamma, dbeta].concat();
                Ok((
                    dx,
                    Some(tensor(dw, (m, k), w)?),
                    Some(tensor(da, (3, m), a)?),
                ))
            })
        })
    }
}

/// [ReLU](BN(x Wᵀ + b)) through [`LinearBnOp`], with `affine` = [b; γ; β] (3×M).
pub fn linear_batch_norm(
    x: &Tensor,
    weight: &Tensor,
    affine: &Tensor,
    relu: bool,
    groups: usize,
) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(weight, affine, LinearBnOp::new(relu, groups))
}
