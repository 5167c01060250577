//! Negative cosine similarity, the loss of SimSiam (Chen & He, CVPR 2021) and BYOL (Grill et
//! al., NeurIPS 2020).

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

use super::storage::{f32_slice, tensor, with_f32};

/// Norm clamp of the cosine loss (PyTorch's `F.normalize`).
pub const NORM_EPS: f32 = 1e-12;

/// −(1/N) Σ_n ⟨p_n, z_n⟩ / (max(‖p_n‖, ε) · max(‖z_n‖, ε)), a scalar. Backward to z only when z
/// needs a gradient (not under stop-gradient). With `swap_halves`, row n of p is paired with row
/// n ± N/2 of z: for p = [p₁; p₂] and z = [z₁; z₂] (two views stacked), the symmetric loss
/// ½ D(p₁, z₂) + ½ D(p₂, z₁) in one op.
pub struct NegCosineOp {
    pub swap_halves: bool,
    /// (⟨p, z⟩, ‖p‖, ‖z‖) of each row pair, from the forward, for the backward.
    dots: Mutex<Option<Vec<(f32, f32, f32)>>>,
}

impl NegCosineOp {
    pub fn new(swap_halves: bool) -> Self {
        NegCosineOp {
            swap_halves,
            dots: Mutex::new(None),
        }
    }
}

/// The rows of z in the order they pair with the rows of p.
fn paired_rows(z: &[f32], d: usize, swap_halves: bool) -> impl Iterator<Item = &[f32]> {
    let half = if swap_halves { z.len() / d / 2 } else { 0 };
    z.chunks_exact(d)
        .skip(half)
        .chain(z.chunks_exact(d).take(half))
}

/// Per row: (⟨p, z⟩, ‖p‖, ‖z‖).
fn row_dots<'a>(
    p: &'a [f32],
    z: impl Iterator<Item = &'a [f32]> + 'a,
    d: usize,
) -> impl Iterator<Item = (f32, f32, f32)> + 'a {
    p.chunks_exact(d).zip(z).map(|(pr, zr)| {
        let (mut pz, mut pp, mut zz) = (0.0f32, 0.0f32, 0.0f32);
        for (a, b) in pr.iter().zip(zr) {
            pz += a * b;
            pp += a * a;
            zz += b * b;
        }
        (pz, pp.sqrt(), zz.sqrt())
    })
}

impl CustomOp2 for NegCosineOp {
    fn name(&self) -> &'static str {
        "fused-negative-cosine"
    }

    fn cpu_fwd(
        &self,
        sp: &CpuStorage,
        lp: &Layout,
        sz: &CpuStorage,
        lz: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, d) = lp.shape().dims2()?;
        if lz.dims() != [n, d] {
            bail!(
                "fused-negative-cosine: shapes {:?}, {:?}",
                lp.dims(),
                lz.dims()
            );
        }
        if self.swap_halves && n % 2 != 0 {
            bail!("fused-negative-cosine: {n} rows do not split into two views");
        }
        let (p, z) = (f32_slice(sp, lp)?, f32_slice(sz, lz)?);
        let dots: Vec<(f32, f32, f32)> =
            row_dots(p, paired_rows(z, d, self.swap_halves), d).collect();
        let sum: f32 = dots
            .iter()
            .map(|&(pz, np, nz)| pz / (np.max(NORM_EPS) * nz.max(NORM_EPS)))
            .sum();
        *self.dots.lock().expect("dots lock") = Some(dots);
        Ok((CpuStorage::F32(vec![-sum / n as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        p: &Tensor,
        z: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (n, d) = p.dims2()?;
        let g = grad.to_scalar::<f32>()?;
        let want_z = z.track_op();
        let guard = self.dots.lock().expect("dots lock");
        let Some(dots) = guard.as_ref() else {
            bail!("fused-negative-cosine: backward before forward");
        };
        with_f32(p, |ps| {
            with_f32(z, |zs| {
                let mut dp = Vec::with_capacity(n * d);
                let mut dz = Vec::with_capacity(if want_z { n * d } else { 0 });
                let c = -g / n as f32;
                let swap = self.swap_halves;
                for (&(pz, np, nz), (pr, zr)) in dots
                    .iter()
                    .zip(ps.chunks_exact(d).zip(paired_rows(zs, d, swap)))
                {
                    // cos = pz / (P Z), P = max(‖p‖, ε): ∂cos/∂p = z/(PZ) − cos·p/(P‖p‖) while
                    // ‖p‖ > ε (the clamp is constant below), likewise for z.
                    let (cp, cz) = (np.max(NORM_EPS), nz.max(NORM_EPS));
                    let cos = pz / (cp * cz);
                    let a = 1.0 / (cp * cz);
                    let bp = if np > NORM_EPS { cos / (cp * np) } else { 0.0 };
                    dp.extend(pr.iter().zip(zr).map(|(pv, zv)| c * (zv * a - pv * bp)));
                    if want_z {
                        let bz = if nz > NORM_EPS { cos / (cz * nz) } else { 0.0 };
                        dz.extend(pr.iter().zip(zr).map(|(pv, zv)| c * (pv * a - zv * bz)));
                    }
                }
                let dz = if want_z {
                    // dz is in the order of p's rows: back to z's.
                    if swap {
                        dz.rotate_left(n / 2 * d);
                    }
                    Some(tensor(dz, (n, d), z)?)
                } else {
                    None
                };
                Ok((Some(tensor(dp, (n, d), p)?), dz))
            })
        })
    }
}

/// The negative cosine loss through [`NegCosineOp`].
pub fn negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    p.contiguous()?
        .apply_op2(&z.contiguous()?, NegCosineOp::new(false))
}

/// ½ D(p₁, z₂) + ½ D(p₂, z₁) for p = [p₁; p₂], z = [z₁; z₂] (2B×d, the two views stacked),
/// through [`NegCosineOp`].
pub fn symmetric_negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    p.contiguous()?
        .apply_op2(&z.contiguous()?, NegCosineOp::new(true))
}
