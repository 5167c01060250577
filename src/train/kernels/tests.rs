//! Gradient checks of every fused op against candle's own autograd on the same inputs.

use super::*;
use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::cell::RefCell;

fn randn(rng: &mut StdRng, shape: &[usize]) -> Tensor {
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| normal.sample(rng)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn var(rng: &mut StdRng, shape: &[usize]) -> Var {
    Var::from_tensor(&randn(rng, shape)).unwrap()
}

/// Largest |a − b| over two tensors of the same shape.
pub(crate) fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Loss = Σ y ⊙ R for a fixed random R, so every output element gets a distinct gradient.
/// Returns (output, grads of `vars`) for `f`.
fn run(f: impl Fn() -> Tensor, weights: &Tensor, vars: &[&Var]) -> (Tensor, Vec<Option<Tensor>>) {
    let y = f();
    let loss = (&y * weights).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let g = vars
        .iter()
        .map(|v| grads.get(v.as_tensor()).cloned())
        .collect();
    (y, g)
}

fn assert_close(name: &str, a: &Tensor, b: &Tensor, tol: f32) {
    let d = max_abs_diff(a, b);
    assert!(d <= tol, "{name}: max |fused − candle| = {d} > {tol}");
}

#[test]
fn linear_matches_candle_autograd() {
    let mut rng = StdRng::seed_from_u64(11);
    let (x, w, b) = (
        var(&mut rng, &[9, 7]),
        var(&mut rng, &[5, 7]),
        var(&mut rng, &[5]),
    );
    let r = randn(&mut rng, &[9, 5]);
    let vars = [&x, &w, &b];
    let (yf, gf) = run(
        || linear(x.as_tensor(), w.as_tensor(), b.as_tensor()).unwrap(),
        &r,
        &vars,
    );
    let (yc, gc) = run(
        || {
            x.as_tensor()
                .matmul(&w.as_tensor().t().unwrap())
                .unwrap()
                .broadcast_add(b.as_tensor())
                .unwrap()
        },
        &r,
        &vars,
    );
    assert_close("y", &yf, &yc, 1e-5);
    for (i, (a, c)) in gf.iter().zip(&gc).enumerate() {
        assert_close(
            &format!("grad {i}"),
            a.as_ref().unwrap(),
            c.as_ref().unwrap(),
            1e-5,
        );
    }
}

#[test]
fn linear_skips_the_input_gradient_of_data() {
    let mut rng = StdRng::seed_from_u64(12);
    let x = randn(&mut rng, &[4, 3]);
    let (w, b) = (var(&mut rng, &[2, 3]), var(&mut rng, &[2]));
    let loss = linear(&x, w.as_tensor(), b.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap();
    let grads = loss.backward().unwrap();
    assert!(grads.get(&x).is_none());
    assert!(grads.get(w.as_tensor()).is_some());
}

/// Batch-norm from candle's tensor ops, as `BatchNorm::forward_unfused` on N×C input.
fn reference_bn(x: &Tensor, gamma: &Tensor, beta: &Tensor, relu: bool) -> Tensor {
    let xc = x.broadcast_sub(&x.mean_keepdim(0).unwrap()).unwrap();
    let var = xc.sqr().unwrap().mean_keepdim(0).unwrap();
    let y = xc
        .broadcast_div(&(var + BN_EPS as f64).unwrap().sqrt().unwrap())
        .unwrap()
        .broadcast_mul(gamma)
        .unwrap()
        .broadcast_add(beta)
        .unwrap();
    if relu {
        y.relu().unwrap()
    } else {
        y
    }
}

#[test]
fn batch_norm_matches_candle_autograd() {
    for relu in [false, true] {
        let mut rng = StdRng::seed_from_u64(13 + relu as u64);
        let x = var(&mut rng, &[16, 6]);
        let (g, b) = (var(&mut rng, &[6]), var(&mut rng, &[6]));
        let r = randn(&mut rng, &[16, 6]);
        let vars = [&x, &g, &b];
        let (yf, gf) = run(
            || batch_norm(x.as_tensor(), g.as_tensor(), b.as_tensor(), relu, 1).unwrap(),
            &r,
            &vars,
        );
        let (yc, gc) = run(
            || reference_bn(x.as_tensor(), g.as_tensor(), b.as_tensor(), relu),
            &r,
            &vars,
        );
        assert_close("y", &yf, &yc, 1e-5);
        for (i, (a, c)) in gf.iter().zip(&gc).enumerate() {
            let name = format!("relu {relu}: grad {i}");
            assert_close(&name, a.as_ref().unwrap(), c.as_ref().unwrap(), 1e-5);
        }
    }
}

#[test]
fn grouped_batch_norm_matches_candle_autograd_per_block() {
    // Three blocks of 8 rows, each normalised on its own statistics: the same outputs and
    // gradients as candle's reference on each block, concatenated.
    for (relu, c) in [(false, 5), (true, 5), (false, 70), (true, 70)] {
        let mut rng = StdRng::seed_from_u64(21 + relu as u64 + c as u64);
        let x = var(&mut rng, &[24, c]);
        let (g, b) = (var(&mut rng, &[c]), var(&mut rng, &[c]));
        let r = randn(&mut rng, &[24, c]);
        let vars = [&x, &g, &b];
        let (yf, gf) = run(
            || batch_norm(x.as_tensor(), g.as_tensor(), b.as_tensor(), relu, 3).unwrap(),
            &r,
            &vars,
        );
        let (yc, gc) = run(
            || {
                let blocks: Vec<Tensor> = (0..3)
                    .map(|i| {
                        let xb = x.as_tensor().narrow(0, 8 * i, 8).unwrap();
                        reference_bn(&xb, g.as_tensor(), b.as_tensor(), relu)
                    })
                    .collect();
                Tensor::cat(&blocks, 0).unwrap()
            },
            &r,
            &vars,
        );
        assert_close("y", &yf, &yc, 1e-5);
        for (i, (f, k)) in gf.iter().zip(&gc).enumerate() {
            let name = format!("grouped, relu {relu}, width {c}: grad {i}");
            assert_close(&name, f.as_ref().unwrap(), k.as_ref().unwrap(), 1e-5);
        }
    }
}

#[test]
fn linear_batch_norm_matches_candle_autograd() {
    // x Wᵀ + b, then batch-norm per block of rows (+ ReLU), from candle's tensor ops on the
    // rows of the packed [b; γ; β]: the same outputs and gradients for x, W and the pack.
    // Widths below, at and past the column blocks of the reductions (COLS = 32).
    for (relu, groups, m) in [
        (false, 1, 5),
        (true, 1, 5),
        (true, 2, 5),
        (false, 3, 5),
        (true, 2, 32),
        (true, 2, 70),
        (false, 1, 70),
    ] {
        let mut rng = StdRng::seed_from_u64(30 + groups as u64 + 7 * relu as u64 + m as u64);
        let x = var(&mut rng, &[12, 7]);
        let w = var(&mut rng, &[m, 7]);
        let a = var(&mut rng, &[3, m]);
        let r = randn(&mut rng, &[12, m]);
        let vars = [&x, &w, &a];
        let (yf, gf) = run(
            || {
                linear_batch_norm(x.as_tensor(), w.as_tensor(), a.as_tensor(), relu, groups)
                    .unwrap()
            },
            &r,
            &vars,
        );
        let (yc, gc) = run(
            || {
                let row = |i| a.as_tensor().get(i).unwrap();
                let z = x
                    .as_tensor()
                    .matmul(&w.as_tensor().t().unwrap())
                    .unwrap()
                    .broadcast_add(&row(0))
                    .unwrap();
                let rows = 12 / groups;
                let blocks: Vec<Tensor> = (0..groups)
                    .map(|i| {
                        let zb = z.narrow(0, rows * i, rows).unwrap();
                        reference_bn(&zb, &row(1), &row(2), relu)
                    })
                    .collect();
                Tensor::cat(&blocks, 0).unwrap()
            },
            &r,
            &vars,
        );
        assert_close("y", &yf, &yc, 1e-5);
        for (i, (f, c)) in gf.iter().zip(&gc).enumerate() {
            let name = format!("relu {relu}, {groups} groups, width {m}: grad {i}");
            assert_close(&name, f.as_ref().unwrap(), c.as_ref().unwrap(), 1e-5);
        }
    }
}

#[test]
fn linear_batch_norm_is_bitwise_linear_then_batch_norm() {
    // The fused layer computes exactly what the two ops compute one after the other.
    let mut rng = StdRng::seed_from_u64(40);
    let x = randn(&mut rng, &[16, 6]);
    let (w, a) = (var(&mut rng, &[40, 6]), var(&mut rng, &[3, 40]));
    let fused = linear_batch_norm(&x, w.as_tensor(), a.as_tensor(), true, 2).unwrap();
    let row = |i| a.as_tensor().get(i).unwrap();
    let z = linear(&x, w.as_tensor(), &row(0)).unwrap();
    let two = batch_norm(&z, &row(1), &row(2), true, 2).unwrap();
    let bits = |t: &Tensor| -> Vec<u32> {
        t.flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    assert_eq!(bits(&fused), bits(&two));
}

/// The negative cosine from candle's tensor ops (the formula of `loss::negative_cosine`).
fn reference_neg_cos(p: &Tensor, z: &Tensor) -> Tensor {
    let norm = |t: &Tensor| {
        t.broadcast_div(
            &t.sqr()
                .unwrap()
                .sum_keepdim(1)
                .unwrap()
                .sqrt()
                .unwrap()
                .maximum(NORM_EPS as f64)
                .unwrap(),
        )
        .unwrap()
    };
    (norm(p) * norm(z))
        .unwrap()
        .sum(1)
        .unwrap()
        .mean(0)
        .unwrap()
        .neg()
        .unwrap()
}

#[test]
fn negative_cosine_matches_candle_autograd() {
    let mut rng = StdRng::seed_from_u64(15);
    let (p, z) = (var(&mut rng, &[10, 8]), var(&mut rng, &[10, 8]));
    let r = Tensor::new(3.0f32, &Device::Cpu).unwrap();
    for detach in [false, true] {
        let zt = || {
            if detach {
                z.as_tensor().detach()
            } else {
                z.as_tensor().clone()
            }
        };
        let vars = [&p, &z];
        let (lf, gf) = run(|| negative_cosine(p.as_tensor(), &zt()).unwrap(), &r, &vars);
        let (lc, gc) = run(|| reference_neg_cos(p.as_tensor(), &zt()), &r, &vars);
        assert_close("loss", &lf, &lc, 1e-6);
        assert_close("dp", gf[0].as_ref().unwrap(), gc[0].as_ref().unwrap(), 1e-6);
        if detach {
            assert!(gf[1].is_none() && gc[1].is_none());
        } else {
            assert_close("dz", gf[1].as_ref().unwrap(), gc[1].as_ref().unwrap(), 1e-6);
        }
    }
}

#[test]
fn symmetric_negative_cosine_matches_candle_autograd() {
    // p = [p₁; p₂], z = [z₁; z₂]: ½ D(p₁, z₂) + ½ D(p₂, z₁), with and without stop-gradient.
    let mut rng = StdRng::seed_from_u64(22);
    let (p, z) = (var(&mut rng, &[12, 7]), var(&mut rng, &[12, 7]));
    let r = Tensor::new(2.5f32, &Device::Cpu).unwrap();
    for detach in [false, true] {
        let zt = || {
            if detach {
                z.as_tensor().detach()
            } else {
                z.as_tensor().clone()
            }
        };
        let vars = [&p, &z];
        let (lf, gf) = run(
            || symmetric_negative_cosine(p.as_tensor(), &zt()).unwrap(),
            &r,
            &vars,
        );
        let (lc, gc) = run(
            || {
                let (pt, zz) = (p.as_tensor(), zt());
                let half = |t: &Tensor, i: usize| t.narrow(0, 6 * i, 6).unwrap();
                let a = reference_neg_cos(&half(pt, 0), &half(&zz, 1));
                let b = reference_neg_cos(&half(pt, 1), &half(&zz, 0));
                ((a + b).unwrap() * 0.5).unwrap()
            },
            &r,
            &vars,
        );
        assert_close("loss", &lf, &lc, 1e-6);
        assert_close("dp", gf[0].as_ref().unwrap(), gc[0].as_ref().unwrap(), 1e-6);
        if detach {
            assert!(gf[1].is_none() && gc[1].is_none());
        } else {
            assert_close("dz", gf[1].as_ref().unwrap(), gc[1].as_ref().unwrap(), 1e-6);
        }
    }
}

#[test]
fn a_whole_network_step_matches_candle_autograd() {
    // Linear → BN+ReLU → Linear → BN → cosine against a detached second view, fused and
    // unfused, on the same weights: the gradients of every weight agree.
    let mut rng = StdRng::seed_from_u64(16);
    let x1 = randn(&mut rng, &[32, 12]);
    let x2 = randn(&mut rng, &[32, 12]);
    let (w1, b1) = (var(&mut rng, &[20, 12]), var(&mut rng, &[20]));
    let (g1, c1) = (var(&mut rng, &[20]), var(&mut rng, &[20]));
    let (w2, b2) = (var(&mut rng, &[6, 20]), var(&mut rng, &[6]));
    let (g2, c2) = (var(&mut rng, &[6]), var(&mut rng, &[6]));
    let vars = [&w1, &b1, &g1, &c1, &w2, &b2, &g2, &c2];
    let one = Tensor::new(1.0f32, &Device::Cpu).unwrap();
    let fused_net = |x: &Tensor| {
        let h = linear(x, w1.as_tensor(), b1.as_tensor()).unwrap();
        let h = batch_norm(&h, g1.as_tensor(), c1.as_tensor(), true, 1).unwrap();
        let h = linear(&h, w2.as_tensor(), b2.as_tensor()).unwrap();
        batch_norm(&h, g2.as_tensor(), c2.as_tensor(), false, 1).unwrap()
    };
    let candle_net = |x: &Tensor| {
        let lin = |x: &Tensor, w: &Var, b: &Var| {
            x.matmul(&w.as_tensor().t().unwrap())
                .unwrap()
                .broadcast_add(b.as_tensor())
                .unwrap()
        };
        let h = reference_bn(&lin(x, &w1, &b1), g1.as_tensor(), c1.as_tensor(), true);
        reference_bn(&lin(&h, &w2, &b2), g2.as_tensor(), c2.as_tensor(), false)
    };
    let (lf, gf) = run(
        || negative_cosine(&fused_net(&x1), &fused_net(&x2).detach()).unwrap(),
        &one,
        &vars,
    );
    let (lc, gc) = run(
        || reference_neg_cos(&candle_net(&x1), &candle_net(&x2).detach()),
        &one,
        &vars,
    );
    assert_close("loss", &lf, &lc, 1e-6);
    for (i, (a, c)) in gf.iter().zip(&gc).enumerate() {
        assert_close(
            &format!("grad {i}"),
            a.as_ref().unwrap(),
            c.as_ref().unwrap(),
            1e-5,
        );
    }
}

#[test]
fn in_place_sgd_matches_the_tensor_formula() {
    let mut rng = StdRng::seed_from_u64(17);
    let w = var(&mut rng, &[4, 3]);
    let mut w_ref = w.as_tensor().copy().unwrap();
    let mut buf_ref: Option<Tensor> = None;
    let mut buffer = Vec::new();
    let (lr, mu, wd) = (0.05, 0.9, 1e-2);
    for _ in 0..4 {
        let g = randn(&mut rng, &[4, 3]);
        let op = SgdStep {
            buffer: RefCell::new(&mut buffer),
            lr: lr as f32,
            momentum: mu as f32,
            weight_decay: wd as f32,
        };
        w.as_tensor().inplace_op2(&g, &op).unwrap();
        let gd = (&g + (&w_ref * wd).unwrap()).unwrap();
        let b = match &buf_ref {
            Some(b) => ((b * mu).unwrap() + gd).unwrap(),
            None => gd,
        };
        w_ref = (&w_ref - (&b * lr).unwrap()).unwrap();
        buf_ref = Some(b);
        assert_close("w", w.as_tensor(), &w_ref, 1e-7);
    }
}

#[test]
fn ema_step_blends_in_place() {
    let t = Var::from_tensor(&Tensor::new(&[1.0f32, 2.0], &Device::Cpu).unwrap()).unwrap();
    let s = Tensor::new(&[3.0f32, 6.0], &Device::Cpu).unwrap();
    t.as_tensor()
        .inplace_op2(&s, &EmaStep { tau: 0.75 })
        .unwrap();
    assert_eq!(t.as_tensor().to_vec1::<f32>().unwrap(), vec![1.5, 3.0]);
}

/// Losses of `steps` SimSiam steps of the MLP network, on seeded inputs.
fn simsiam_losses(seed: u64, steps: usize) -> Vec<u32> {
    use crate::config::RunConfig;
    use crate::data::SampleShape;
    use crate::train::layers::Params;
    use crate::train::loss::symmetric_negative_cosine;
    use crate::train::model::{HeadSpec, Network};
    use crate::train::optim::MomentumSgd;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut params = Params::default();
    let mut m = RunConfig::default_config().model;
    m.encoder_hidden = 32;
    m.feature_dim = 16;
    let head = |input, hidden, output, output_bn| HeadSpec {
        input,
        hidden,
        output,
        output_bn,
    };
    let net = Network::new(
        &m,
        SampleShape::Vector { dim: 10 },
        head(16, 16, 8, true),
        Some(head(8, 4, 8, false)),
        &mut params,
        &mut rng,
    )
    .unwrap();
    let mut opt = MomentumSgd::new(0.9, 5e-4);
    (0..steps)
        .map(|_| {
            let (x1, x2) = (randn(&mut rng, &[64, 10]), randn(&mut rng, &[64, 10]));
            let (f1, f2) = (net.forward(&x1).unwrap(), net.forward(&x2).unwrap());
            let loss = symmetric_negative_cosine(
                f1.predictor.as_ref().unwrap(),
                f2.predictor.as_ref().unwrap(),
                &f1.projector.detach(),
                &f2.projector.detach(),
            )
            .unwrap();
            opt.step(&params, &loss.backward().unwrap(), 0.1).unwrap();
            loss.to_scalar::<f32>().unwrap().to_bits()
        })
        .collect()
}

#[test]
fn same_seed_gives_bitwise_the_same_losses() {
    let a = simsiam_losses(5, 8);
    assert_eq!(a, simsiam_losses(5, 8));
    assert_ne!(a, simsiam_losses(6, 8));
    // The loss moves: training happens.
    assert_ne!(a[0], a[7]);
}
