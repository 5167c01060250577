//! Training-speed benchmark: the ARCHITECTURE.md §7 workload, through the product's own training
//! code (`ib_analyze::train::{layers, model, loss, optim}` and `Dataset::augment`), one thread.
//!
//! `cargo bench --bench bench_train -- --steps 300` prints one JSON line:
//! `{"impl":"candle","steps_per_s":…,"ms_per_step":…,"threads":1,"steps":300,…}`.
//!
//! Workload: synthetic content/style data 4096 × 64 (style shift σ 1.5, input noise σ 0.05),
//! encoder 64-256-128 (Linear+BN+ReLU ×2), projector 128-128(BN,ReLU)-64(BN), predictor
//! 64-16(BN,ReLU)-64, symmetric negative cosine with stop-gradient, SGD momentum 0.9, lr 0.1,
//! weight decay 5e-4, batch 256; 20 warm-up steps, then `--steps` timed steps.

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;

use ib_analyze::config::{EncoderKind, RunConfig};
use ib_analyze::data::rng::AugRng;
use ib_analyze::data::synthetic;
use ib_analyze::train::layers::Params;
use ib_analyze::train::loss::symmetric_negative_cosine_views;
use ib_analyze::train::model::{HeadSpec, Network};
use ib_analyze::train::optim::MomentumSgd;

const WARMUP: usize = 20;
const BATCH: usize = 256;

fn main() -> Result<()> {
    let mut steps = 300usize;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--steps" => steps = args.next().context("--steps N")?.parse()?,
            "--seed" => seed = args.next().context("--seed N")?.parse()?,
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            other => bail!("unknown argument {other} (usage: bench_train [--steps N] [--seed N])"),
        }
    }
    // One thread, as PyTorch's torch.set_num_threads(1); must happen before rayon starts.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let threads = rayon::current_num_threads();

    let data = synthetic::dataset(
        synthetic::SyntheticSpec {
            n_train: 4096,
            n_probe: 64,
            k_views: 8,
            style_shift_std: 1.5,
            input_noise_std: 0.05,
        },
        seed,
    );
    let mut m = RunConfig::default_config().model;
    m.encoder = EncoderKind::Mlp;
    m.encoder_hidden = 256;
    m.feature_dim = 128;
    m.projector_hidden = 128;
    m.projection_dim = 64;
    m.predictor_hidden = 16;
    let projector = HeadSpec {
        input: 128,
        hidden: 128,
        output: 64,
        output_bn: true,
    };
    let predictor = HeadSpec {
        input: 64,
        hidden: 16,
        output: 64,
        output_bn: false,
    };
    let mut params = Params::default();
    let mut rng = StdRng::seed_from_u64(seed);
    let net = Network::new(
        &m,
        data.shape,
        projector,
        Some(predictor),
        &mut params,
        &mut rng,
    )?;
    let mut aug_rng = AugRng::seed_from_u64(seed ^ 0xa06_0000);
    let mut opt = MomentumSgd::new(0.9, 5e-4);
    let (lr, len, dev) = (0.1, data.input_len(), Device::Cpu);
    let mut order: Vec<usize> = (0..data.n_train()).collect();
    let mut cursor = order.len();
    let mut last_loss = f32::NAN;

    let mut run = |n: usize| -> Result<()> {
        for _ in 0..n {
            if cursor + BATCH > order.len() {
                order.shuffle(&mut rng);
                cursor = 0;
            }
            let batch = &order[cursor..cursor + BATCH];
            cursor += BATCH;
            // Both views in one pass, batch-norm per view, as the training loop does.
            let mut views = data.augment(batch, &mut aug_rng);
            views.extend(data.augment(batch, &mut aug_rng));
            let x = Tensor::from_vec(views, (2 * BATCH, len), &dev)?;
            let f = net.forward_views(&x, 2)?;
            let p = f.predictor.as_ref().expect("predictor");
            let loss = symmetric_negative_cosine_views(p, &f.projector.detach())?;
            last_loss = loss.to_scalar::<f32>()?;
            let grads = loss.backward()?;
            opt.step(&params, &grads, lr)?;
        }
        Ok(())
    };
    run(WARMUP)?;
    let t0 = Instant::now();
    run(steps)?;
    let secs = t0.elapsed().as_secs_f64();
    if !last_loss.is_finite() {
        bail!("loss is not finite: {last_loss}");
    }
    // Written by hand so that "impl" comes first, as documented.
    println!(
        "{{\"impl\":\"candle\",\"steps_per_s\":{},\"ms_per_step\":{},\"threads\":{},\"steps\":{},\"batch\":{},\"final_loss\":{}}}",
        steps as f64 / secs,
        1e3 * secs / steps as f64,
        threads,
        steps,
        BATCH,
        last_loss,
    );
    Ok(())
}
