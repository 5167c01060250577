//! Self-supervised losses as free functions over tensors.

use candle_core::{bail, Result, Tensor};

/// Mean over rows of the negative cosine similarity −⟨p, z⟩ / (‖p‖ ‖z‖), with the norms clamped
/// at 1e-12 as PyTorch's `F.normalize`. Range [−1, 1]; −1 when every pair is aligned.
pub fn negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    if p.dims() != z.dims() || p.rank() != 2 {
        bail!(
            "negative_cosine: shapes {:?} and {:?} must be equal N×d",
            p.dims(),
            z.dims()
        );
    }
    let pn = p.broadcast_div(&p.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12)?)?;
    let zn = z.broadcast_div(&z.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12)?)?;
    (pn * zn)?.sum(1)?.mean(0)?.neg()
}

/// SimSiam's symmetric loss ½ D(p₁, sg(z₂)) + ½ D(p₂, sg(z₁)); without stop-gradient the
/// targets are not detached.
pub fn simsiam(
    p1: &Tensor,
    z1: &Tensor,
    p2: &Tensor,
    z2: &Tensor,
    stop_gradient: bool,
) -> Result<Tensor> {
    let (t1, t2) = if stop_gradient {
        (z1.detach(), z2.detach())
    } else {
        (z1.clone(), z2.clone())
    };
    (negative_cosine(p1, &t2)? + negative_cosine(p2, &t1)?)? * 0.5
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
    fn orthogonal_rows_give_zero() {
        let a = Tensor::new(&[[1.0f32, 0.0]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[[0.0f32, 5.0]], &Device::Cpu).unwrap();
        let l = negative_cosine(&a, &b).unwrap().to_scalar::<f32>().unwrap();
        assert!(l.abs() < 1e-7);
    }
}
