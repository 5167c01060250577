//! The training core (candle, CPU): one generic loop for every method, seeded end to end.

pub mod kernels;
pub mod layers;
pub mod loss;
pub mod method;
pub mod model;
pub mod optim;

use crate::config::Method;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::config::RunConfig;
use crate::data::rng::AugRng;
use crate::data::Dataset;
use layers::Params;
use method::{LossKind, TargetKind};
use model::{HeadSpec, Network};
use optim::{cosine_lr, MomentumSgd};

/// Seed salts: every stream derives from the config seed, and every method of one run starts
/// from the same encoder weights and sees the same batches, so the method is the only difference.
const INIT_SALT: u64 = 0x1417_0000;
const AUG_SALT: u64 = 0xa06_0000;
const ORDER_SALT: u64 = 0x0dde_0000;

/// The latents of one epoch on the probe set, named as in ARCHITECTURE.md §2.
pub struct Snapshot {
    pub epoch: usize,
    /// (name, tensor): `online.*` are N×d, `views.*` and `target.projector` are N×K×d.
    pub tensors: Vec<(&'static str, Tensor)>,
    pub labels: Option<Vec<i64>>,
    /// Backbone features of the (clean) training inputs, for the kNN monitor; only when labels exist.
    pub train_backbone: Option<Tensor>,
}

/// What the loop reports after each epoch.
pub struct EpochEnd<'a> {
    pub epoch: usize,
    /// Mean loss of the epoch; None at epoch 0 and when it was not finite.
    pub loss: Option<f64>,
    pub lr: Option<f64>,
    /// Present on snapshot epochs.
    pub snapshot: Option<&'a Snapshot>,
}

/// How a training run ended.
pub struct TrainOutcome {
    /// First epoch whose loss or weights were not finite.
    pub diverged_at: Option<usize>,
}

/// The online network, and the target network for EMA methods.
struct Model {
    online: Network,
    online_params: Params,
    target: Option<(Network, Params)>,
}

fn build(cfg: &RunConfig, data: &Dataset, method: Method) -> Result<Model> {
    let m = &cfg.model;
    let projector = HeadSpec {
        input: m.feature_dim,
        hidden: m.projector_hidden,
        output: m.projection_dim,
        output_bn: !method.byol_heads(),
    };
    let predictor = method.has_predictor().then_some(HeadSpec {
        input: m.projection_dim,
        hidden: if method.byol_heads() {
            m.projector_hidden
        } else {
            m.predictor_hidden
        },
        output: m.projection_dim,
        output_bn: false,
    });
    let mut online_params = Params::default();
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ INIT_SALT);
    let online = Network::new(
        m,
        data.shape,
        projector,
        predictor,
        &mut online_params,
        &mut rng,
    )?;
    let target = if method.target() == TargetKind::Ema {
        let mut params = Params::default();
        // Same draws, then overwritten by a copy of the online weights.
        let mut rng = StdRng::seed_from_u64(cfg.seed ^ INIT_SALT);
        let net = Network::new(m, data.shape, projector, None, &mut params, &mut rng)?;
        params.ema_from(&online_params, 0.0)?;
        Some((net, params))
    } else {
        None
    };
    Ok(Model {
        online,
        online_params,
        target,
    })
}

/// BYOL's target decay: τ_k = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2, from τ_base to 1.
pub fn byol_momentum(base: f64, step: usize, total: usize) -> f64 {
    if total == 0 {
        return base;
    }
    1.0 - (1.0 - base) * ((std::f64::consts::PI * step as f64 / total as f64).cos() + 1.0) / 2.0
}

/// Train `method` on `data` for `cfg.epochs`, calling `on_epoch` after epoch 0 (the initialised
/// network, always a snapshot) and after every epoch; snapshots every `cfg.snapshot_every` epochs
/// and at the last one. Stops early, with a snapshot, when the loss or weights stop being finite.
pub fn train(
    cfg: &RunConfig,
    data: &Dataset,
    method: Method,
    mut on_epoch: impl FnMut(EpochEnd<'_>) -> Result<()>,
) -> Result<TrainOutcome> {
    let dev = Device::Cpu;
    let model = build(cfg, data, method)?;
    let mut aug_rng = AugRng::seed_from_u64(cfg.seed ^ AUG_SALT);
    let mut order_rng = StdRng::seed_from_u64(cfg.seed ^ ORDER_SALT);
    let mut opt = MomentumSgd::new(cfg.optim.momentum, cfg.optim.weight_decay);

    let bs = cfg.optim.batch_size.min(data.n_train());
    let len = data.input_len();
    let steps_per_epoch = data.n_train() / bs;
    let total_steps = steps_per_epoch * cfg.epochs;
    let mut order: Vec<usize> = (0..data.n_train()).collect();
    let mut step = 0usize;

    let snap = snapshot(&model, data, 0).context("snapshot at epoch 0")?;
    on_epoch(EpochEnd {
        epoch: 0,
        loss: None,
        lr: None,
        snapshot: Some(&snap),
    })?;

    for epoch in 1..=cfg.epochs {
        order.shuffle(&mut order_rng);
        let mut sum = 0.0f64;
        let mut finite = true;
        let mut lr = cfg.optim.lr;
        for batch in order.chunks_exact(bs) {
            crate::interrupt::check()?;
            lr = cosine_lr(cfg.optim.lr, step, total_steps);
            // The two views stacked (view 1's rows, then view 2's): one pass through the
            // network, batch-norm per view.
            let mut views = data.augment(batch, &mut aug_rng);
            views.extend(data.augment(batch, &mut aug_rng));
            let x = Tensor::from_vec(views, (2 * bs, len), &dev)?;
            let f = model.online.forward_views(&x, 2)?;
            let loss = match method.loss() {
                LossKind::Barlow => {
                    let (z1, z2) = (
                        f.projector.narrow(0, 0, bs)?,
                        f.projector.narrow(0, bs, bs)?,
                    );
                    (loss::barlow_twins(&z1, &z2, cfg.loss.barlow_lambda)? * cfg.loss.barlow_scale)?
                }
                LossKind::Cosine => {
                    let t = match (method.target(), &model.target) {
                        (TargetKind::Ema, Some((net, _))) => {
                            net.forward_views(&x, 2)?.projector.detach()
                        }
                        (
                            TargetKind::Online {
                                stop_gradient: false,
                            },
                            _,
                        ) => f.projector.clone(),
                        _ => f.projector.detach(),
                    };
                    let p = f.predictor.as_ref().unwrap_or(&f.projector);
                    loss::symmetric_negative_cosine_views(p, &t)?
                }
            };
            let value = loss.to_scalar::<f32>()? as f64;
            step += 1;
            if !value.is_finite() {
                finite = false;
                break;
            }
            sum += value;
            let grads = loss.backward()?;
            opt.step(&model.online_params, &grads, lr)?;
            if let Some((_, target_params)) = &model.target {
                let tau = byol_momentum(cfg.loss.byol_momentum_base, step, total_steps);
                target_params.ema_from(&model.online_params, tau)?;
            }
        }
        finite = finite && model.online_params.all_finite()?;
        let last = epoch == cfg.epochs || !finite;
        let snap = if last || epoch % cfg.snapshot_every == 0 {
            Some(
                snapshot(&model, data, epoch)
                    .with_context(|| format!("snapshot at epoch {epoch}"))?,
            )
        } else {
            None
        };
        on_epoch(EpochEnd {
            epoch,
            loss: finite.then_some(sum / steps_per_epoch as f64),
            lr: Some(lr),
            snapshot: snap.as_ref(),
        })?;
        if !finite {
            return Ok(TrainOutcome {
                diverged_at: Some(epoch),
            });
        }
    }
    Ok(TrainOutcome { diverged_at: None })
}

/// Forward the probe set (clean, and under each of the K transforms) and name the outputs.
/// The target network's output is the EMA network's for BYOL and the online network's (under
/// stop-gradient) otherwise. Batch-norm uses the statistics of the forwarded set.
fn snapshot(model: &Model, data: &Dataset, epoch: usize) -> Result<Snapshot> {
    let dev = Device::Cpu;
    let n = data.n_probe();
    let k = data.k_views();
    let len = data.input_len();
    let clean = Tensor::from_vec(data.x_probe.clone(), (n, len), &dev)?;
    let f = model.online.forward(&clean)?;
    let views = Tensor::from_vec(data.probe_views(), (n * k, len), &dev)?;
    let fv = model.online.forward(&views)?;
    let by_view = |t: &Tensor| -> Result<Tensor> {
        let d = t.dim(1)?;
        Ok(t.detach().reshape((n, k, d))?)
    };
    let mut tensors = vec![
        ("online.backbone", f.backbone.detach()),
        ("online.projector", f.projector.detach()),
    ];
    if let Some(p) = &f.predictor {
        tensors.push(("online.predictor", p.detach()));
    }
    tensors.push(("views.backbone", by_view(&fv.backbone)?));
    tensors.push(("views.projector", by_view(&fv.projector)?));
    let target = match &model.target {
        Some((net, _)) => by_view(&net.forward(&views)?.projector)?,
        None => by_view(&fv.projector)?,
    };
    tensors.push(("target.projector", target));
    let train_backbone = match (&data.y_train, &data.y_probe) {
        (Some(_), Some(_)) => {
            let x = Tensor::from_vec(data.x_train.clone(), (data.n_train(), len), &dev)?;
            Some(model.online.backbone(&x)?.detach())
        }
        _ => None,
    };
    Ok(Snapshot {
        epoch,
        tensors,
        labels: data.y_probe.clone(),
        train_backbone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byol_momentum_goes_from_base_to_one() {
        assert!((byol_momentum(0.996, 0, 100) - 0.996).abs() < 1e-15);
        assert!((byol_momentum(0.996, 100, 100) - 1.0).abs() < 1e-15);
        assert!((byol_momentum(0.996, 50, 100) - 0.998).abs() < 1e-12);
    }
}
