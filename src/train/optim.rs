//! SGD with momentum and weight decay, PyTorch's semantics (`torch.optim.SGD`, dampening 0,
//! not Nesterov): g ← ∇ + λ·w; b ← μ·b + g (b = g at the first step); w ← w − η·b.
//! candle-nn's SGD has neither momentum nor weight decay. The update runs in place on each
//! weight's storage ([`super::kernels::SgdStep`]), with the momentum buffers kept as plain vectors.

use candle_core::backprop::GradStore;
use candle_core::Result;
use std::cell::RefCell;
use std::collections::BTreeMap;

use super::kernels::SgdStep;
use super::layers::Params;

pub struct MomentumSgd {
    momentum: f64,
    weight_decay: f64,
    buffers: BTreeMap<String, Vec<f32>>,
}

impl MomentumSgd {
    pub fn new(momentum: f64, weight_decay: f64) -> Self {
        MomentumSgd {
            momentum,
            weight_decay,
            buffers: BTreeMap::new(),
        }
    }

    /// One update at learning rate `lr`. Parameters without a gradient are left alone.
    pub fn step(&mut self, params: &Params, grads: &GradStore, lr: f64) -> Result<()> {
        for (name, var) in &params.vars {
            let Some(grad) = grads.get(var.as_tensor()) else {
                continue;
            };
            let buffer = self.buffers.entry(name.clone()).or_default();
            let op = SgdStep {
                buffer: RefCell::new(buffer),
                lr: lr as f32,
                momentum: self.momentum as f32,
                weight_decay: self.weight_decay as f32,
            };
            var.as_tensor().inplace_op2(&grad.contiguous()?, &op)?;
        }
        Ok(())
    }
}

/// Cosine learning-rate schedule: η_t = η₀ · ½ (1 + cos(π t / T)).
pub fn cosine_lr(base: f64, step: usize, total: usize) -> f64 {
    if total == 0 {
        return base;
    }
    base * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total as f64).cos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor, Var};

    #[test]
    fn matches_pytorch_sgd_by_hand() {
        // w = 1, loss = w², wd = 0.1, momentum 0.9, lr 0.1.
        // step 1: g = 2 + 0.1 = 2.1, b = 2.1, w = 1 − 0.21 = 0.79
        // step 2: g = 1.58 + 0.079 = 1.659, b = 1.89 + 1.659 = 3.549, w = 0.79 − 0.3549 = 0.4351
        let var = Var::from_tensor(&Tensor::new(&[1.0f32], &Device::Cpu).unwrap()).unwrap();
        let mut params = Params::default();
        params.vars.insert("w".into(), var.clone());
        let mut opt = MomentumSgd::new(0.9, 0.1);
        for want in [0.79f32, 0.4351] {
            let loss = var.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            opt.step(&params, &grads, 0.1).unwrap();
            let w = var.as_tensor().to_vec1::<f32>().unwrap()[0];
            assert!((w - want).abs() < 1e-6, "{w} vs {want}");
        }
    }

    #[test]
    fn cosine_schedule_ends_at_zero() {
        assert_eq!(cosine_lr(0.1, 0, 100), 0.1);
        assert!((cosine_lr(0.1, 50, 100) - 0.05).abs() < 1e-12);
        assert!(cosine_lr(0.1, 100, 100).abs() < 1e-12);
    }
}
