//! Batch-norm with batch statistics and an optional ReLU (Ioffe & Szegedy, ICML 2015):
//! the per-column kernels, shared with [`super::linear_bn`], and the op of a plain batch-norm.

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

use super::storage::{f32_slice, filled, tensor, with_f32};

/// ε of batch-norm (PyTorch's default).
pub const BN_EPS: f32 = 1e-5;

/// y = [ReLU](γ (x − μ) / √(σ² + ε) + β) with μ, σ² the mean and biased variance of each column
/// of the N×C input, or, with `groups` G > 1, of each of the G equal blocks of N/G consecutive
/// rows (the two views of a training batch go through the network as one 2B×C matrix and are
/// normalised separately, as when forwarded one at a time). The forward keeps μ and
/// 1/√(σ² + ε) of each block for the backward.
pub struct BatchNormOp {
    pub relu: bool,
    pub groups: usize,
    stats: Mutex<Option<(Vec<f32>, Vec<f32>)>>,
}

impl BatchNormOp {
    pub fn new(relu: bool, groups: usize) -> Self {
        BatchNormOp {
            relu,
            groups: groups.max(1),
            stats: Mutex::new(None),
        }
    }
}

/// Width of the column blocks of the batch-norm reductions: a pass over all rows keeps the
/// per-column accumulators of one block in registers (rather than storing and reloading them
/// every row), still adding the rows in order, so the sums are bitwise those of a row-by-row
/// loop. Columns past the last whole block take the row-by-row loop.
const COLS: usize = 32;

/// The block of `COLS` values of `row` from column `j0`.
#[inline(always)]
fn cols(row: &[f32], j0: usize) -> &[f32; COLS] {
    row[j0..j0 + COLS].try_into().expect("a whole column block")
}

/// Column means and inverse standard deviations of z + bias, z an N×C row-major matrix (z + b
/// is recomputed in each pass rather than stored).
#[inline(always)]
fn column_stats(z: &[f32], bias: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let c = bias.len();
    let n = z.len() / c;
    let blocked = c - c % COLS;
    let mut mean = vec![0.0f32; c];
    for j0 in (0..blocked).step_by(COLS) {
        let (b, mut acc) = (cols(bias, j0), [0.0f32; COLS]);
        for row in z.chunks_exact(c) {
            let r = cols(row, j0);
            for t in 0..COLS {
                acc[t] += r[t] + b[t];
            }
        }
        mean[j0..j0 + COLS].copy_from_slice(&acc);
    }
    for row in z.chunks_exact(c) {
        for ((s, v), b) in mean[blocked..]
            .iter_mut()
            .zip(&row[blocked..])
            .zip(&bias[blocked..])
        {
            *s += v + b;
        }
    }
    let inv_n = 1.0 / n as f32;
    mean.iter_mut().for_each(|m| *m *= inv_n);
    let mut var = vec![0.0f32; c];
    for j0 in (0..blocked).step_by(COLS) {
        let (b, m, mut acc) = (cols(bias, j0), cols(&mean, j0), [0.0f32; COLS]);
        for row in z.chunks_exact(c) {
            let r = cols(row, j0);
            for t in 0..COLS {
                let d = (r[t] + b[t]) - m[t];
                acc[t] += d * d;
            }
        }
        var[j0..j0 + COLS].copy_from_slice(&acc);
    }
    for row in z.chunks_exact(c) {
        for ((s, v), (m, b)) in var[blocked..]
            .iter_mut()
            .zip(&row[blocked..])
            .zip(mean[blocked..].iter().zip(&bias[blocked..]))
        {
            let d = (v + b) - m;
            *s += d * d;
        }
    }
    let inv_std = var
        .into_iter()
        .map(|s| 1.0 / (s * inv_n + BN_EPS).sqrt())
        .collect();
    (mean, inv_std)
}

/// Forward of batch-norm (+ ReLU) of x = z + bias, one block of rows, into `y` (same length as
/// `z`); returns (μ, 1/σ) of the block. A plain batch-norm passes a zero bias. For a Linear
/// layer, z is the product without its bias: z + b is the same number as accumulating the
/// product onto the bias (one rounding of the same sum).
#[inline(always)]
fn bn_forward<const RELU: bool>(
    z: &[f32],
    (bias, gamma, beta): (&[f32], &[f32], &[f32]),
    y: &mut [std::mem::MaybeUninit<f32>],
) -> (Vec<f32>, Vec<f32>) {
    let c = gamma.len();
    let bias = &bias[..c];
    let (mean, inv_std) = column_stats(z, bias);
    // y = (x − μ)·a + β per column, with a = γ/σ.
    let scale: Vec<f32> = gamma.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
    let (m, a, b) = (&mean[..c], &scale[..c], &beta[..c]);
    for (yr, zr) in y.chunks_exact_mut(c).zip(z.chunks_exact(c)) {
        for ((yv, zv), ((mv, av), (bv, bias))) in yr
            .iter_mut()
            .zip(zr)
            .zip(m.iter().zip(a).zip(b.iter().zip(bias)))
        {
            let v = ((zv + bias) - mv) * av + bv;
            yv.write(if RELU { v.max(0.0) } else { v });
        }
    }
    (mean, inv_std)
}

/// Backward of batch-norm (+ ReLU) of x = z + bias on one N×C block of rows: with
/// ga = G ⊙ 1[y > 0] (ReLU) and x̂ = (x − μ)/σ, dβ = Σ ga, dγ = Σ ga·x̂,
/// dx = γ/(σN) (N·ga − dβ − x̂·dγ). Branch-free: the ReLU gate is a multiply, so the loops
/// vectorise and nothing depends on the data's signs. Neither ga nor x̂ nor y is stored or read:
/// both passes recompute them from G and z with the forward's arithmetic (bitwise the same gate).
/// Adds the column sums of dx to `dx_sum` (the bias gradient of a preceding Linear), row by
/// row in order. Returns (dγ, dβ).
#[inline(always)]
fn bn_backward<const RELU: bool>(
    dx: &mut [std::mem::MaybeUninit<f32>],
    g: &[f32],
    z: &[f32],
    (bias, gamma, beta): (&[f32], &[f32], &[f32]),
    stats: (&[f32], &[f32]),
    dx_sum: &mut [f32],
) -> (Vec<f32>, Vec<f32>) {
    let c = gamma.len();
    let n = z.len() / c;
    let (mean, inv_std) = (&stats.0[..c], &stats.1[..c]);
    let (bias, beta) = (&bias[..c], &beta[..c]);
    let fwd_scale: Vec<f32> = gamma.iter().zip(inv_std).map(|(g, s)| g * s).collect();
    let fwd_scale = &fwd_scale[..c];
    // ga and x̂ of one element, as the forward computed x and y.
    let gated = |gv: f32, zv: f32, bias: f32, m: f32, s: f32, fa: f32, fb: f32| {
        let xc = (zv + bias) - m;
        let a = if RELU {
            gv * f32::from(u8::from(xc * fa + fb > 0.0))
        } else {
            gv
        };
        (a, xc * s)
    };
    let blocked = c - c % COLS;
    let mut dbeta = vec![0.0f32; c];
    let mut dgamma = vec![0.0f32; c];
    for j0 in (0..blocked).step_by(COLS) {
        let (bi, m, s) = (cols(bias, j0), cols(mean, j0), cols(inv_std, j0));
        let (fa, fb) = (cols(fwd_scale, j0), cols(beta, j0));
        let (mut db, mut dg) = ([0.0f32; COLS], [0.0f32; COLS]);
        for (gr, zr) in g.chunks_exact(c).zip(z.chunks_exact(c)) {
            let (gr, zr) = (cols(gr, j0), cols(zr, j0));
            for t in 0..COLS {
                let (a, xh) = gated(gr[t], zr[t], bi[t], m[t], s[t], fa[t], fb[t]);
                db[t] += a;
                dg[t] += a * xh;
            }
        }
        dbeta[j0..j0 + COLS].copy_from_slice(&db);
        dgamma[j0..j0 + COLS].copy_from_slice(&dg);
    }
    for (gr, zr) in g.chunks_exact(c).zip(z.chunks_exact(c)) {
        for (((gv, zv), (bias, (m, s))), ((db, dg), (fa, fb))) in gr[blocked..]
            .iter()
            .zip(&zr[blocked..])
            .zip(
                bias[blocked..]
                    .iter()
                    .zip(mean[blocked..].iter().zip(&inv_std[blocked..])),
            )
            .zip(
                dbeta[blocked..]
                    .iter_mut()
                    .zip(dgamma[blocked..].iter_mut())
                    .zip(fwd_scale[blocked..].iter().zip(&beta[blocked..])),
            )
        {
            let (a, xh) = gated(*gv, *zv, *bias, *m, *s, *fa, *fb);
            *db += a;
            *dg += a * xh;
        }
    }
    let inv_n = 1.0 / n as f32;
    let nf = n as f32;
    let scale: Vec<f32> = gamma
        .iter()
        .zip(inv_std)
        .map(|(g, s)| g * s * inv_n)
        .collect();
    let (scale, db, dg) = (&scale[..c], &dbeta[..c], &dgamma[..c]);
    // dx, and its column sums carried on from the caller's running total.
    for j0 in (0..blocked).step_by(COLS) {
        let (bi, m, s) = (cols(bias, j0), cols(mean, j0), cols(inv_std, j0));
        let (fa, fb) = (cols(fwd_scale, j0), cols(beta, j0));
        let (sc, b, gm) = (cols(scale, j0), cols(db, j0), cols(dg, j0));
        let mut acc: [f32; COLS] = *cols(dx_sum, j0);
        for (dr, (gr, zr)) in dx
            .chunks_exact_mut(c)
            .zip(g.chunks_exact(c).zip(z.chunks_exact(c)))
        {
            let (gr, zr) = (cols(gr, j0), cols(zr, j0));
            let dr: &mut [std::mem::MaybeUninit<f32>; COLS] = (&mut dr[j0..j0 + COLS])
                .try_into()
                .expect("a whole column block");
            for t in 0..COLS {
                let (a, xh) = gated(gr[t], zr[t], bi[t], m[t], s[t], fa[t], fb[t]);
                let v = sc[t] * (nf * a - b[t] - xh * gm[t]);
                dr[t].write(v);
                acc[t] += v;
            }
        }
        dx_sum[j0..j0 + COLS].copy_from_slice(&acc);
    }
    for (dr, (gr, zr)) in dx
        .chunks_exact_mut(c)
        .zip(g.chunks_exact(c).zip(z.chunks_exact(c)))
    {
        for ((((d, t), gv), (zv, (bias, (m, s)))), ((sc, (b, g)), (fa, fb))) in dr[blocked..]
            .iter_mut()
            .zip(dx_sum[blocked..].iter_mut())
            .zip(&gr[blocked..])
            .zip(
                zr[blocked..].iter().zip(
                    bias[blocked..]
                        .iter()
                        .zip(mean[blocked..].iter().zip(&inv_std[blocked..])),
                ),
            )
            .zip(
                scale[blocked..]
                    .iter()
                    .zip(db[blocked..].iter().zip(&dg[blocked..]))
                    .zip(fwd_scale[blocked..].iter().zip(&beta[blocked..])),
            )
        {
            let (a, xh) = gated(*gv, *zv, *bias, *m, *s, *fa, *fb);
            let v = sc * (nf * a - b - xh * g);
            d.write(v);
            *t += v;
        }
    }
    (dgamma, dbeta)
}

ib_estimators::multiversion!(fn bn_forward_simd<const RELU: bool>(
    z: &[f32],
    params: (&[f32], &[f32], &[f32]),
    y: &mut [std::mem::MaybeUninit<f32>]
) -> (Vec<f32>, Vec<f32>) = bn_forward);

ib_estimators::multiversion!(fn bn_backward_simd<const RELU: bool>(
    dx: &mut [std::mem::MaybeUninit<f32>],
    g: &[f32],
    z: &[f32],
    params: (&[f32], &[f32], &[f32]),
    stats: (&[f32], &[f32]),
    dx_sum: &mut [f32]
) -> (Vec<f32>, Vec<f32>) = bn_backward);

/// Batch-norm forward (+ ReLU) of `z` in groups of `block` values (N/groups rows × C), each
/// with its own statistics: y, and the groups' μ and 1/σ concatenated.
pub(super) fn bn_forward_groups(
    z: &[f32],
    block: usize,
    params: (&[f32], &[f32], &[f32]),
    relu: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mut means, mut inv_stds) = (Vec::new(), Vec::new());
    let y = filled(z.len(), |y| {
        for (yg, zg) in y.chunks_exact_mut(block).zip(z.chunks_exact(block)) {
            let (mean, inv_std) = if relu {
                bn_forward_simd::<true>(zg, params, yg)
            } else {
                bn_forward_simd::<false>(zg, params, yg)
            };
            means.extend(mean);
            inv_stds.extend(inv_std);
        }
    });
    (y, means, inv_stds)
}

/// Backward of [`bn_forward_groups`]: dz, and dγ, dβ summed over the groups in order; adds the
/// column sums of dz to `dz_sum` (the bias gradient of a preceding Linear).
pub(super) fn bn_backward_groups(
    g: &[f32],
    z: &[f32],
    block: usize,
    params: (&[f32], &[f32], &[f32]),
    (mean, inv_std): (&[f32], &[f32]),
    relu: bool,
    dz_sum: &mut [f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let c = params.1.len();
    let (mut dgamma, mut dbeta) = (vec![0.0f32; c], vec![0.0f32; c]);
    let dz = filled(z.len(), |dz| {
        let blocks = dz
            .chunks_exact_mut(block)
            .zip(g.chunks_exact(block).zip(z.chunks_exact(block)));
        for (i, (dzg, (gg, zg))) in blocks.enumerate() {
            let st = (&mean[i * c..(i + 1) * c], &inv_std[i * c..(i + 1) * c]);
            let (dgg, dbg) = if relu {
                bn_backward_simd::<true>(dzg, gg, zg, params, st, dz_sum)
            } else {
                bn_backward_simd::<false>(dzg, gg, zg, params, st, dz_sum)
            };
            dgamma.iter_mut().zip(&dgg).for_each(|(a, b)| *a += b);
            dbeta.iter_mut().zip(&dbg).for_each(|(a, b)| *a += b);
        }
    });
    (dz, dgamma, dbeta)
}

impl CustomOp3 for BatchNormOp {
    fn name(&self) -> &'static str {
        if self.relu {
            "fused-batch-norm-relu"
        } else {
            "fused-batch-norm"
        }
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sg: &CpuStorage,
        lg: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c) = lx.shape().dims2()?;
        if lg.shape().dims1()? != c || lb.shape().dims1()? != c {
            bail!("fused-batch-norm: shapes {:?}, {:?}", lx.dims(), lg.dims());
        }
        if n % self.groups != 0 || c == 0 {
            bail!("fused-batch-norm: {n}×{c} rows in {} groups", self.groups);
        }
        let (x, gamma, beta) = (f32_slice(sx, lx)?, f32_slice(sg, lg)?, f32_slice(sb, lb)?);
        let block = (n / self.groups) * c;
        let zero = vec![0.0f32; c];
        let (y, means, inv_stds) = bn_forward_groups(x, block, (&zero, gamma, beta), self.relu);
        *self.stats.lock().expect("stats lock") = Some((means, inv_stds));
        Ok((CpuStorage::F32(y), Shape::from((n, c))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, c) = x.dims2()?;
        let guard = self.stats.lock().expect("stats lock");
        let Some((mean, inv_std)) = guard.as_ref() else {
            bail!("fused-batch-norm: backward before forward");
        };
        let block = (n / self.groups) * c;
        with_f32(grad, |g| {
            with_f32(beta, |bt| {
                with_f32(x, |xs| {
                    with_f32(gamma, |gm| {
                        // The column sums of dx (a bias gradient) are not needed here.
                        let mut dx_sum = vec![0.0f32; c];
                        let zero = vec![0.0f32; c];
                        let (dx, dgamma, dbeta) = bn_backward_groups(
                            g,
                            xs,
                            block,
                            (&zero, gm, bt),
                            (mean, inv_std),
                            self.relu,
                            &mut dx_sum,
                        );
                        Ok((
                            Some(tensor(dx, (n, c), x)?),
                            Some(tensor(dgamma, c, gamma)?),
                            Some(tensor(dbeta, c, gamma)?),
                        ))
                    })
                })
            })
        })
    }
}

/// Batch-norm of an N×C tensor with batch statistics, then ReLU if `relu`; with `groups` > 1,
/// each block of N/groups consecutive rows has its own statistics.
pub fn batch_norm(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    relu: bool,
    groups: usize,
) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(gamma, beta, BatchNormOp::new(relu, groups))
}
