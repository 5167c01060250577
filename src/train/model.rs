//! Encoders (MLP, small CNN), projector and predictor heads (ARCHITECTURE.md §7):
//! MLP encoder D-256-128 (Linear+BN+ReLU ×2); CNN encoder conv3×3(16)+BN+ReLU,
//! conv3×3/2(32)+BN+ReLU, Linear→128+BN+ReLU; projector 128-128(BN,ReLU)-64(BN);
//! predictor 64-16(BN,ReLU)-64 (SimSiam's d/4 bottleneck).

use anyhow::bail;
use candle_core::{Result, Tensor};
use rand::rngs::StdRng;

use super::layers::{BatchNorm, Conv2d, Linear, LinearBn, Params};
use crate::config::EncoderKind;
use crate::config::ModelConfig;
use crate::data::SampleShape;

/// Shape of a projector or predictor head: Linear-BN-ReLU-Linear, with an optional output BN.
#[derive(Debug, Clone, Copy)]
pub struct HeadSpec {
    pub input: usize,
    pub hidden: usize,
    pub output: usize,
    pub output_bn: bool,
}

/// Outputs of one forward pass.
pub struct Forward {
    /// Encoder output h (the backbone feature).
    pub backbone: Tensor,
    /// Projector output z.
    pub projector: Tensor,
    /// Predictor output p, when the network has a predictor.
    pub predictor: Option<Tensor>,
}

enum Encoder {
    /// Linear+BN+ReLU twice, each one fused op.
    Mlp { l1: LinearBn, l2: LinearBn },
    Cnn {
        shape: (usize, usize, usize),
        c1: Conv2d,
        bn1: BatchNorm,
        c2: Conv2d,
        bn2: BatchNorm,
        fc: Linear,
        bn3: BatchNorm,
    },
}

impl Encoder {
    fn new(
        cfg: &ModelConfig,
        shape: SampleShape,
        params: &mut Params,
        rng: &mut StdRng,
    ) -> anyhow::Result<Self> {
        Ok(match (cfg.encoder, shape) {
            (EncoderKind::Mlp, shape) => Encoder::Mlp {
                l1: LinearBn::new(
                    params,
                    "encoder.0",
                    (shape.len(), cfg.encoder_hidden),
                    true,
                    rng,
                )?,
                l2: LinearBn::new(
                    params,
                    "encoder.1",
                    (cfg.encoder_hidden, cfg.feature_dim),
                    true,
                    rng,
                )?,
            },
            (
                EncoderKind::Cnn,
                SampleShape::Image {
                    channels,
                    height,
                    width,
                },
            ) => {
                let (k1, k2) = (cfg.cnn_channels[0], cfg.cnn_channels[1]);
                let c1 = Conv2d::new(params, "encoder.conv0", channels, k1, 3, 1, 1, rng)?;
                let c2 = Conv2d::new(params, "encoder.conv1", k1, k2, 3, 2, 1, rng)?;
                let (h, w) = (
                    c2.out_size(c1.out_size(height)),
                    c2.out_size(c1.out_size(width)),
                );
                Encoder::Cnn {
                    shape: (channels, height, width),
                    c1,
                    bn1: BatchNorm::new(params, "encoder.conv0.bn", k1)?,
                    c2,
                    bn2: BatchNorm::new(params, "encoder.conv1.bn", k2)?,
                    fc: Linear::new(params, "encoder.fc", k2 * h * w, cfg.feature_dim, rng)?,
                    bn3: BatchNorm::new(params, "encoder.fc.bn", cfg.feature_dim)?,
                }
            }
            (EncoderKind::Cnn, SampleShape::Vector { dim }) => {
                bail!("model.encoder = \"cnn\" needs image data (N×C×H×W); this data set has {dim}-d vectors: use \"mlp\"")
            }
        })
    }

    fn forward(&self, x: &Tensor, g: usize) -> Result<Tensor> {
        match self {
            Encoder::Mlp { l1, l2 } => l2.forward(&l1.forward(x, g)?, g),
            Encoder::Cnn {
                shape: (c, h, w),
                c1,
                bn1,
                c2,
                bn2,
                fc,
                bn3,
            } => {
                let b = x.dim(0)?;
                let x = x.reshape((b, *c, *h, *w))?;
                let y = bn1.forward_relu(&c1.forward(&x)?, g)?;
                let y = bn2.forward_relu(&c2.forward(&y)?, g)?.flatten_from(1)?;
                bn3.forward_relu(&fc.forward(&y)?, g)
            }
        }
    }
}

struct Head {
    /// Linear+BN+ReLU, fused.
    l1: LinearBn,
    out: HeadOutput,
}

/// The output layer of a head: Linear+BN fused, or a plain Linear.
enum HeadOutput {
    Bn(LinearBn),
    Plain(Linear),
}

impl Head {
    fn new(spec: HeadSpec, name: &str, params: &mut Params, rng: &mut StdRng) -> Result<Self> {
        let l1 = LinearBn::new(
            params,
            &format!("{name}.0"),
            (spec.input, spec.hidden),
            true,
            rng,
        )?;
        let (l2, dims) = (format!("{name}.1"), (spec.hidden, spec.output));
        let out = if spec.output_bn {
            HeadOutput::Bn(LinearBn::new(params, &l2, dims, false, rng)?)
        } else {
            HeadOutput::Plain(Linear::new(params, &l2, dims.0, dims.1, rng)?)
        };
        Ok(Head { l1, out })
    }

    fn forward(&self, x: &Tensor, g: usize) -> Result<Tensor> {
        let h = self.l1.forward(x, g)?;
        match &self.out {
            HeadOutput::Bn(l) => l.forward(&h, g),
            HeadOutput::Plain(l) => l.forward(&h),
        }
    }
}

/// Encoder + projector (+ predictor).
pub struct Network {
    encoder: Encoder,
    projector: Head,
    predictor: Option<Head>,
}

impl Network {
    /// Build the network, drawing its initial weights from `rng` in a fixed order.
    pub fn new(
        cfg: &ModelConfig,
        shape: SampleShape,
        projector: HeadSpec,
        predictor: Option<HeadSpec>,
        params: &mut Params,
        rng: &mut StdRng,
    ) -> anyhow::Result<Self> {
        Ok(Network {
            encoder: Encoder::new(cfg, shape, params, rng)?,
            projector: Head::new(projector, "projector", params, rng)?,
            predictor: predictor
                .map(|p| Head::new(p, "predictor", params, rng))
                .transpose()?,
        })
    }

    /// One forward pass, batch-norm over the whole input.
    pub fn forward(&self, x: &Tensor) -> Result<Forward> {
        self.forward_views(x, 1)
    }

    /// One forward pass of `views` views stacked along dim 0 (V·B rows, view after view), each
    /// view batch-normalised with its own statistics: the same outputs as forwarding the views
    /// one at a time, with one matrix product per layer instead of V.
    pub fn forward_views(&self, x: &Tensor, views: usize) -> Result<Forward> {
        let g = views;
        let backbone = self.encoder.forward(x, g)?;
        let projector = self.projector.forward(&backbone, g)?;
        let predictor = self
            .predictor
            .as_ref()
            .map(|p| p.forward(&projector, g))
            .transpose()?;
        Ok(Forward {
            backbone,
            projector,
            predictor,
        })
    }

    /// The backbone feature only (for the kNN monitor).
    pub fn backbone(&self, x: &Tensor) -> Result<Tensor> {
        self.encoder.forward(x, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;
    use candle_core::{Device, Tensor};
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn stacked_views_give_the_outputs_and_gradients_of_separate_passes() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut params = Params::default();
        let mut m = RunConfig::default_config().model;
        m.encoder = EncoderKind::Mlp;
        m.encoder_hidden = 24;
        m.feature_dim = 12;
        let head = |input, hidden, output, output_bn| HeadSpec {
            input,
            hidden,
            output,
            output_bn,
        };
        let net = Network::new(
            &m,
            SampleShape::Vector { dim: 10 },
            head(12, 12, 6, true),
            Some(head(6, 3, 6, false)),
            &mut params,
            &mut rng,
        )
        .unwrap();
        let normal = Normal::new(0.0f32, 1.0).unwrap();
        let v: Vec<f32> = (0..2 * 16 * 10).map(|_| normal.sample(&mut rng)).collect();
        let x = Tensor::from_vec(v, (32, 10), &Device::Cpu).unwrap();
        let (x1, x2) = (x.narrow(0, 0, 16).unwrap(), x.narrow(0, 16, 16).unwrap());
        let stacked = net.forward_views(&x, 2).unwrap();
        let (f1, f2) = (net.forward(&x1).unwrap(), net.forward(&x2).unwrap());
        let max_diff = crate::train::kernels::tests::max_abs_diff;
        let cat = |a: &Tensor, b: &Tensor| Tensor::cat(&[a, b], 0).unwrap();
        let p = stacked.predictor.as_ref().unwrap();
        let (p1, p2) = (
            f1.predictor.as_ref().unwrap(),
            f2.predictor.as_ref().unwrap(),
        );
        assert!(max_diff(&stacked.backbone, &cat(&f1.backbone, &f2.backbone)) < 1e-5);
        assert!(max_diff(&stacked.projector, &cat(&f1.projector, &f2.projector)) < 1e-5);
        assert!(max_diff(p, &cat(p1, p2)) < 1e-5);
        // The SimSiam loss both ways: the same value and the same weight gradients.
        use crate::train::loss::{symmetric_negative_cosine, symmetric_negative_cosine_views};
        let a = symmetric_negative_cosine_views(p, &stacked.projector.detach()).unwrap();
        let b = symmetric_negative_cosine(p1, p2, &f1.projector.detach(), &f2.projector.detach())
            .unwrap();
        assert!(max_diff(&a, &b) < 1e-6);
        let (ga, gb) = (a.backward().unwrap(), b.backward().unwrap());
        for (name, var) in &params.vars {
            let (u, w) = (ga.get(var.as_tensor()), gb.get(var.as_tensor()));
            assert!(max_diff(u.unwrap(), w.unwrap()) < 1e-5, "{name}");
        }
    }
}
