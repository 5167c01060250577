//! The training core (candle, CPU): one generic loop for every method, seeded end to end.

pub mod layers;
pub mod loss;
pub mod method;
pub mod model;
pub mod optim;

pub use method::Method;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::config::RunConfig;
use crate::data::synthetic::{SyntheticData, INPUT_DIM};
use layers::Params;
use model::SiameseNet;
use optim::{cosine_lr, MomentumSgd};

/// Seed salts: every stream derives from the config seed, and every method of one run starts
/// from the same initial weights and sees the same batches, so the method is the only difference.
const INIT_SALT: u64 = 0x1417_0000;
const AUG_SALT: u64 = 0xa06_0000;
const ORDER_SALT: u64 = 0x0dde_0000;

/// The latents of one epoch on the probe set, named as in DESIGN §2.
pub struct Snapshot {
    pub epoch: usize,
    /// (name, tensor): `online.*` are N×d, `views.*` and `target.projector` are N×K×d.
    pub tensors: Vec<(&'static str, Tensor)>,
    pub labels: Vec<i64>,
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

/// Train `method` on `data` for `cfg.epochs`, calling `on_epoch` after epoch 0 (the initialised
/// network, always a snapshot) and after every epoch; snapshots every `cfg.snapshot_every` epochs
/// and at the last one. Stops early, with a snapshot, when the loss or weights stop being finite.
pub fn train(
    cfg: &RunConfig,
    data: &SyntheticData,
    method: Method,
    mut on_epoch: impl FnMut(EpochEnd<'_>) -> Result<()>,
) -> Result<TrainOutcome> {
    let dev = Device::Cpu;
    let mut params = Params::default();
    let mut init_rng = StdRng::seed_from_u64(cfg.seed ^ INIT_SALT);
    let net = SiameseNet::new(&cfg.model, INPUT_DIM, &mut params, &mut init_rng)?;
    let mut aug_rng = StdRng::seed_from_u64(cfg.seed ^ AUG_SALT);
    let mut order_rng = StdRng::seed_from_u64(cfg.seed ^ ORDER_SALT);
    let mut opt = MomentumSgd::new(cfg.optim.momentum, cfg.optim.weight_decay);

    let bs = cfg.optim.batch_size;
    let steps_per_epoch = data.n_train() / bs;
    let total_steps = steps_per_epoch * cfg.epochs;
    let mut order: Vec<usize> = (0..data.n_train()).collect();
    let mut step = 0usize;

    let snap = snapshot(&net, data, method, 0).context("snapshot at epoch 0")?;
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
            lr = cosine_lr(cfg.optim.lr, step, total_steps);
            let x1 = Tensor::from_vec(data.augment(batch, &mut aug_rng), (bs, INPUT_DIM), &dev)?;
            let x2 = Tensor::from_vec(data.augment(batch, &mut aug_rng), (bs, INPUT_DIM), &dev)?;
            let f1 = net.forward(&x1)?;
            let f2 = net.forward(&x2)?;
            let (p1, p2) = if method.has_predictor() {
                (&f1.predictor, &f2.predictor)
            } else {
                (&f1.projector, &f2.projector)
            };
            let loss = loss::simsiam(p1, &f1.projector, p2, &f2.projector, method.stop_gradient())?;
            let value = loss.to_scalar::<f32>()? as f64;
            step += 1;
            if !value.is_finite() {
                finite = false;
                break;
            }
            sum += value;
            let grads = loss.backward()?;
            opt.step(&params, &grads, lr)?;
        }
        finite = finite && params.all_finite()?;
        let last = epoch == cfg.epochs || !finite;
        let snap = if last || epoch % cfg.snapshot_every == 0 {
            Some(
                snapshot(&net, data, method, epoch)
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
/// For SimSiam the target network is the online network under stop-gradient, so
/// `target.projector` equals `views.projector`.
fn snapshot(
    net: &SiameseNet,
    data: &SyntheticData,
    method: Method,
    epoch: usize,
) -> Result<Snapshot> {
    let dev = Device::Cpu;
    let n = data.n_probe();
    let k = data.k_views;
    let clean = Tensor::from_vec(data.x_probe.clone(), (n, INPUT_DIM), &dev)?;
    let f = net.forward(&clean)?;
    let views = Tensor::from_vec(data.probe_views(), (n * k, INPUT_DIM), &dev)?;
    let fv = net.forward(&views)?;
    let by_view = |t: &Tensor| -> Result<Tensor> {
        let d = t.dim(1)?;
        Ok(t.detach().reshape((n, k, d))?)
    };
    let mut tensors = vec![
        ("online.backbone", f.backbone.detach()),
        ("online.projector", f.projector.detach()),
    ];
    if method.has_predictor() {
        tensors.push(("online.predictor", f.predictor.detach()));
    }
    tensors.push(("views.backbone", by_view(&fv.backbone)?));
    tensors.push(("views.projector", by_view(&fv.projector)?));
    tensors.push(("target.projector", by_view(&fv.projector)?));
    Ok(Snapshot {
        epoch,
        tensors,
        labels: data.y_probe.clone(),
    })
}
