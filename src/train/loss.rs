//! Self-supervised losses as free functions over tensors.

use candle_core::{bail, Result, Tensor};

/// Mean over rows of the negative cosine similarity −⟨p, z⟩ / (‖p‖ ‖z‖), with the norms clamped
/// at 1e-12 as PyTorch's `F.normalize`. Range [−1, 1]; −1 when every pair is aligned.
/// One fused op ([`super::kernels::NegCosineOp`]).
pub fn negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    if p.dims() != z.dims() || p.rank() != 2 {
        bail!(
            "negative_cosine: shapes {:?} and {:?} must be equal N×d",
            p.dims(),
            z.dims()
        );
    }
    super::kernels::negative_cosine(p, z)
}

/// The symmetric loss of SimSiam and BYOL: ½ D(p₁, t₂) + ½ D(p₂, t₁), where tᵢ is the target
/// of view i (the caller detaches it, or not).
pub fn symmetric_negative_cosine(
    p1: &Tensor,
    p2: &Tensor,
    t1: &Tensor,
    t2: &Tensor,
) -> Result<Tensor> {
    (negative_cosine(p1, t2)? + negative_cosine(p2, t1)?)? * 0.5
}

/// The same loss with the two views stacked: p = [p₁; p₂], t = [t₁; t₂] (2B×d), as
/// [`super::model::Network::forward_views`] gives them. One fused op.
pub fn symmetric_negative_cosine_views(p: &Tensor, t: &Tensor) -> Result<Tensor> {
    let (n, _) = p.dims2()?;
    if p.dims() != t.dims() || n % 2 != 0 {
        bail!(
            "symmetric_negative_cosine_views: shapes {:?} and {:?} must be equal 2B×d",
            p.dims(),
            t.dims()
        );
    }
    super::kernels::symmetric_negative_cosine(p, t)
}

/// Barlow Twins (Zbontar et al., ICML 2021): standardise each column of z₁, z₂ over the batch
/// (biased variance, ε = 1e-5, as a batch-norm without affine), C = z̃₁ᵀ z̃₂ / N, and
/// L = Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij².
pub fn barlow_twins(z1: &Tensor, z2: &Tensor, lambda: f64) -> Result<Tensor> {
    if z1.dims() != z2.dims() || z1.rank() != 2 {
        bail!(
            "barlow_twins: shapes {:?} and {:?} must be equal N×d",
            z1.dims(),
            z2.dims()
        );
    }
    let (n, d) = z1.dims2()?;
    let standardise = |z: &Tensor| -> Result<Tensor> {
        let zc = z.broadcast_sub(&z.mean_keepdim(0)?)?;
        let var = zc.sqr()?.mean_keepdim(0)?;
        zc.broadcast_div(&(var + 1e-5)?.sqrt()?)
    };
    let c = (standardise(z1)?.t()?.matmul(&standardise(z2)?)? / n as f64)?;
    let eye = Tensor::eye(d, c.dtype(), c.device())?;
    let on_diag = ((&c - &eye)?.sqr()? * &eye)?.sum_all()?;
    let off_diag = (c.sqr()? * (1.0 - &eye)?)?.sum_all()?;
    on_diag + (off_diag * lambda)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn aligned_rows_give_minus_one_and_opposite_plus_one() {
        let a = Tensor::new(&[[1.0f32, 2.0], [0.0, 3.0]], &Device::Cpu).unwrap();
        let l = negative_cosine(&a, &(&a * 2.0).unwrap())
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((l + 1.0).abs() < 1e-6);
        let l = negative_cosine(&a, &a.neg().unwrap())
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((l - 1.0).abs() < 1e-6);
    }

    #[test]
    fn barlow_twins_is_zero_for_identical_decorrelated_views_and_positive_otherwise() {
        // Two columns, standardised, uncorrelated: C = I exactly, so the loss is 0.
        let z = Tensor::new(
            &[[1.0f32, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]],
            &Device::Cpu,
        )
        .unwrap();
        let l = barlow_twins(&z, &z, 5e-3)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(l.abs() < 1e-4, "{l}");
        // Opposite views: C = −I, on-diagonal term (1 − (−1))² · 2 = 8.
        let l = barlow_twins(&z, &z.neg().unwrap(), 5e-3)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((l - 8.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn orthogonal_rows_give_zero() {
        let a = Tensor::new(&[[1.0f32, 0.0]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[[0.0f32, 5.0]], &Device::Cpu).unwrap();
        let l = negative_cosine(&a, &b).unwrap().to_scalar::<f32>().unwrap();
        assert!(l.abs() < 1e-7);
    }
}
