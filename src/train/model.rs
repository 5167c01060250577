//! The MLP encoder, projector and predictor of DESIGN §7:
//! encoder 64-256-128 (Linear+BN+ReLU ×2), projector 128-128(BN,ReLU)-64(BN),
//! predictor 64-16(BN,ReLU)-64 (SimSiam's d/4 bottleneck).

use candle_core::{Result, Tensor};
use rand::rngs::StdRng;

use super::layers::{BatchNorm, Linear, Params};
use crate::config::ModelConfig;

/// Outputs of one forward pass.
pub struct Forward {
    /// Encoder output h (the backbone feature).
    pub backbone: Tensor,
    /// Projector output z.
    pub projector: Tensor,
    /// Predictor output p.
    pub predictor: Tensor,
}

pub struct SiameseNet {
    enc1: Linear,
    enc1_bn: BatchNorm,
    enc2: Linear,
    enc2_bn: BatchNorm,
    proj1: Linear,
    proj1_bn: BatchNorm,
    proj2: Linear,
    proj2_bn: BatchNorm,
    pred1: Linear,
    pred1_bn: BatchNorm,
    pred2: Linear,
}

impl SiameseNet {
    pub fn new(
        cfg: &ModelConfig,
        input_dim: usize,
        params: &mut Params,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let (h, f, ph, d, qh) = (
            cfg.encoder_hidden,
            cfg.feature_dim,
            cfg.projector_hidden,
            cfg.projection_dim,
            cfg.predictor_hidden,
        );
        Ok(SiameseNet {
            enc1: Linear::new(params, "encoder.0", input_dim, h, rng)?,
            enc1_bn: BatchNorm::new(params, "encoder.0.bn", h)?,
            enc2: Linear::new(params, "encoder.1", h, f, rng)?,
            enc2_bn: BatchNorm::new(params, "encoder.1.bn", f)?,
            proj1: Linear::new(params, "projector.0", f, ph, rng)?,
            proj1_bn: BatchNorm::new(params, "projector.0.bn", ph)?,
            proj2: Linear::new(params, "projector.1", ph, d, rng)?,
            proj2_bn: BatchNorm::new(params, "projector.1.bn", d)?,
            pred1: Linear::new(params, "predictor.0", d, qh, rng)?,
            pred1_bn: BatchNorm::new(params, "predictor.0.bn", qh)?,
            pred2: Linear::new(params, "predictor.1", qh, d, rng)?,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Forward> {
        let h = self.enc1_bn.forward(&self.enc1.forward(x)?)?.relu()?;
        let backbone = self.enc2_bn.forward(&self.enc2.forward(&h)?)?.relu()?;
        let z = self
            .proj1_bn
            .forward(&self.proj1.forward(&backbone)?)?
            .relu()?;
        let projector = self.proj2_bn.forward(&self.proj2.forward(&z)?)?;
        let p = self
            .pred1_bn
            .forward(&self.pred1.forward(&projector)?)?
            .relu()?;
        let predictor = self.pred2.forward(&p)?;
        Ok(Forward {
            backbone,
            projector,
            predictor,
        })
    }
}
