//! Fused CPU kernels for the training step, as candle custom ops (see shared research
//! `candle-speed.md`): a Linear layer that calls `gemm` directly, batch-norm (batch statistics)
//! with an optional ReLU, the negative-cosine loss, and in-place SGD with momentum.
//!
//! Each op computes in f32 on contiguous CPU storage and writes its own backward pass, so one
//! layer is one node of candle's graph instead of five to fifteen, and backward allocates one
//! buffer per gradient. Every op is checked against candle's own autograd on random inputs by
//! the tests at the bottom of this file.

use candle_core::{
    bail, CpuStorage, CustomOp2, CustomOp3, InplaceOp2, Layout, Result, Shape, Storage, Tensor,
};
use std::cell::RefCell;
use std::sync::Mutex;

/// ε of batch-norm (PyTorch's default).
pub const BN_EPS: f32 = 1e-5;
/// Norm clamp of the cosine loss (PyTorch's `F.normalize`).
pub const NORM_EPS: f32 = 1e-12;

/// The contiguous f32 data of a storage under a layout.
fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let data = match s {
        CpuStorage::F32(v) => v.as_slice(),
        _ => bail!("fused ops take f32 tensors"),
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("fused ops take contiguous tensors"),
    }
}

/// Runs `f` on the contiguous f32 data of a CPU tensor.
fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let t = t.contiguous()?;
    let (st, l) = t.storage_and_layout();
    match &*st {
        Storage::Cpu(c) => f(f32_slice(c, l)?),
        _ => bail!("fused ops run on the CPU only"),
    }
}

fn tensor(v: Vec<f32>, shape: impl Into<Shape>, like: &Tensor) -> Result<Tensor> {
    Tensor::from_vec(v, shape.into(), like.device())
}

/// dst (m×n, row stride `dst_rs`) = read·dst + A·B, where A is m×k with strides (a_rs, a_cs) and
/// B is k×n with strides (b_rs, b_cs). Serial: at these sizes gemm's threads cost more than
/// they give (candle-speed.md), and serial keeps results independent of the thread count.
#[allow(clippy::too_many_arguments)]
fn gemm_f32(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    accumulate: bool,
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
) {
    assert!(dst.len() >= m * n);
    assert!(m == 0 || k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
    assert!(k == 0 || n == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above keep every index gemm reads or writes inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// A fresh m×n row-major buffer holding A·B (strides as in [`gemm_f32`]), written by gemm
/// without being zero-filled first.
fn gemm_new(
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    b_strides: (usize, usize),
) -> Vec<f32> {
    if k == 0 || m == 0 || n == 0 {
        return vec![0.0; m * n];
    }
    let mut dst: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: with `accumulate` false gemm writes every one of the m·n elements and reads none,
    // so they are all initialised when the length is set.
    unsafe {
        let spare = std::slice::from_raw_parts_mut(dst.as_mut_ptr(), m * n);
        gemm_f32((m, n, k), spare, false, a, a_strides, b, b_strides);
        dst.set_len(m * n);
    }
    dst
}

// ---------------------------------------------------------------------------------------------
// Linear: y = x Wᵀ + b

/// y = x Wᵀ + b for x N×K, W M×K, b M. Backward: dx = G W (skipped when x needs no gradient,
/// as for the data layer), dW = Gᵀ x, db = Σ_n G.
pub struct LinearOp;

impl CustomOp3 for LinearOp {
    fn name(&self) -> &'static str {
        "fused-linear"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sw: &CpuStorage,
        lw: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = lx.shape().dims2()?;
        let (m, k2) = lw.shape().dims2()?;
        if k != k2 || lb.shape().dims1()? != m {
            bail!(
                "fused-linear: shapes {:?}, {:?}, {:?}",
                lx.dims(),
                lw.dims(),
                lb.dims()
            );
        }
        let (x, w, b) = (f32_slice(sx, lx)?, f32_slice(sw, lw)?, f32_slice(sb, lb)?);
        // The bias in every row, then gemm accumulates x Wᵀ onto it.
        let mut y = filled(n * m, |y| {
            for row in y.chunks_exact_mut(m) {
                row.iter_mut().zip(b).for_each(|(d, v)| {
                    d.write(*v);
                });
            }
        });
        // y += x (N×K) · Wᵀ (K×M): Wᵀ[k, m] = w[m·K + k].
        gemm_f32((n, m, k), &mut y, true, x, (k, 1), w, (1, k));
        Ok((CpuStorage::F32(y), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, k) = x.dims2()?;
        let m = w.dim(0)?;
        with_f32(grad, |g| {
            let dx = if x.track_op() {
                let dx = with_f32(w, |w| Ok(gemm_new((n, k, m), g, (m, 1), w, (k, 1))))?;
                Some(tensor(dx, (n, k), x)?)
            } else {
                None
            };
            // Gᵀ (M×N): Gᵀ[m, n] = g[n·M + m].
            let dw = with_f32(x, |xs| Ok(gemm_new((m, k, n), g, (1, m), xs, (k, 1))))?;
            let mut db = vec![0.0f32; m];
            for row in g.chunks_exact(m) {
                db.iter_mut().zip(row).for_each(|(d, v)| *d += v);
            }
            Ok((dx, Some(tensor(dw, (m, k), w)?), Some(tensor(db, m, w)?)))
        })
    }
}

/// x Wᵀ + b through [`LinearOp`].
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(weight, bias, LinearOp)
}

// ---------------------------------------------------------------------------------------------
// Batch-norm (batch statistics) with an optional ReLU

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

/// `fn $name` calls the `#[inline(always)]` kernel `$kernel` compiled for AVX-512F, or AVX2,
/// when the CPU has them, else for the baseline. The kernels are element-wise or accumulate per
/// column, and Rust never contracts a·b + c into an FMA, so every path computes bitwise the same
/// numbers: only the vector width changes.
macro_rules! multiversion {
    (fn $name:ident<const $c:ident: bool>($($a:ident: $t:ty),*) = $kernel:ident) => {
        multiversion!(fn $name<const $c: bool>($($a: $t),*) -> () = $kernel);
    };
    (fn $name:ident<const $c:ident: bool>($($a:ident: $t:ty),*) -> $r:ty = $kernel:ident) => {
        fn $name<const $c: bool>($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn v4<const $c: bool>($($a: $t),*) -> $r {
                    $kernel::<$c>($($a),*)
                }
                #[target_feature(enable = "avx2")]
                fn v3<const $c: bool>($($a: $t),*) -> $r {
                    $kernel::<$c>($($a),*)
                }
                if std::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F.
                    return unsafe { v4::<$c>($($a),*) };
                }
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    return unsafe { v3::<$c>($($a),*) };
                }
            }
            $kernel::<$c>($($a),*)
        }
    };
}

/// A buffer of `len` f32 that `fill` writes completely (every element, through the
/// `MaybeUninit` slice) before it is read.
#[inline(always)]
fn filled(len: usize, fill: impl FnOnce(&mut [std::mem::MaybeUninit<f32>])) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: `fill` initialised all `len` elements (every caller writes each row of an
    // exact chunking of the slice).
    unsafe { v.set_len(len) };
    v
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

multiversion!(fn bn_forward_simd<const RELU: bool>(
    z: &[f32],
    params: (&[f32], &[f32], &[f32]),
    y: &mut [std::mem::MaybeUninit<f32>]
) -> (Vec<f32>, Vec<f32>) = bn_forward);

multiversion!(fn bn_backward_simd<const RELU: bool>(
    dx: &mut [std::mem::MaybeUninit<f32>],
    g: &[f32],
    z: &[f32],
    params: (&[f32], &[f32], &[f32]),
    stats: (&[f32], &[f32]),
    dx_sum: &mut [f32]
) -> (Vec<f32>, Vec<f32>) = bn_backward);

/// Batch-norm forward (+ ReLU) of `z` in groups of `block` values (N/groups rows × C), each
/// with its own statistics: y, and the groups' μ and 1/σ concatenated.
fn bn_forward_groups(
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
fn bn_backward_groups(
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

// ---------------------------------------------------------------------------------------------
// Linear then batch-norm (+ ReLU) as one op

/// y = [ReLU](BN(x Wᵀ + b)) for x N×K, W M×K and the layer's affine parameters packed as one
/// 3×M tensor A = [b; γ; β]; batch statistics per block of N/`groups` rows, as
/// [`BatchNormOp`]. One graph node per layer: the pre-normalisation activations z = x Wᵀ + b
/// stay inside the op (kept for the backward), so backward never materialises their gradient
/// as a tensor. Arithmetic identical to [`LinearOp`] followed by [`BatchNormOp`].
pub struct LinearBnOp {
    pub relu: bool,
    pub groups: usize,
    saved: Mutex<Option<Saved>>,
}

/// z = x Wᵀ (without the bias), μ and 1/σ of the last forward of a [`LinearBnOp`].
type Saved = (Vec<f32>, Vec<f32>, Vec<f32>);

impl LinearBnOp {
    pub fn new(relu: bool, groups: usize) -> Self {
        LinearBnOp {
            relu,
            groups: groups.max(1),
            saved: Mutex::new(None),
        }
    }
}

impl CustomOp3 for LinearBnOp {
    fn name(&self) -> &'static str {
        if self.relu {
            "fused-linear-batch-norm-relu"
        } else {
            "fused-linear-batch-norm"
        }
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sw: &CpuStorage,
        lw: &Layout,
        sa: &CpuStorage,
        la: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, k) = lx.shape().dims2()?;
        let (m, k2) = lw.shape().dims2()?;
        if k != k2 || la.dims() != [3, m] || m == 0 {
            bail!(
                "fused-linear-batch-norm: shapes {:?}, {:?}, {:?}",
                lx.dims(),
                lw.dims(),
                la.dims()
            );
        }
        if n % self.groups != 0 {
            bail!(
                "fused-linear-batch-norm: {n} rows in {} groups",
                self.groups
            );
        }
        let (x, w, a) = (f32_slice(sx, lx)?, f32_slice(sw, lw)?, f32_slice(sa, la)?);
        let (b, gamma, beta) = (&a[..m], &a[m..2 * m], &a[2 * m..]);
        // z = x Wᵀ; the batch-norm adds b on the fly (z is kept without it).
        let z = gemm_new((n, m, k), x, (k, 1), w, (1, k));
        let block = (n / self.groups) * m;
        let (y, means, inv_stds) = bn_forward_groups(&z, block, (b, gamma, beta), self.relu);
        *self.saved.lock().expect("saved lock") = Some((z, means, inv_stds));
        Ok((CpuStorage::F32(y), Shape::from((n, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        a: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, k) = x.dims2()?;
        let m = w.dim(0)?;
        let guard = self.saved.lock().expect("saved lock");
        let Some((z, mean, inv_std)) = guard.as_ref() else {
            bail!("fused-linear-batch-norm: backward before forward");
        };
        let block = (n / self.groups) * m;
        with_f32(grad, |g| {
            with_f32(a, |av| {
                let (bias, gamma, beta) = (&av[..m], &av[m..2 * m], &av[2 * m..]);
                // dA = [db; dγ; dβ]; db = Σ_n dz, summed by the batch-norm backward.
                let mut db = vec![0.0f32; m];
                // dz: the batch-norm backward, as BatchNormOp's.
                let (dz, dgamma, dbeta) = bn_backward_groups(
                    g,
                    z,
                    block,
                    (bias, gamma, beta),
                    (mean, inv_std),
                    self.relu,
                    &mut db,
                );
                // The linear backward on dz, as LinearOp's.
                let dx = if x.track_op() {
                    let dx = with_f32(w, |w| Ok(gemm_new((n, k, m), &dz, (m, 1), w, (k, 1))))?;
                    Some(tensor(dx, (n, k), x)?)
                } else {
                    None
                };
                let dw = with_f32(x, |xs| Ok(gemm_new((m, k, n), &dz, (1, m), xs, (k, 1))))?;
                let da = [db, dgamma, dbeta].concat();
                Ok((
                    dx,
                    Some(tensor(dw, (m, k), w)?),
                    Some(tensor(da, (3, m), a)?),
                ))
            })
        })
    }
}

/// [ReLU](BN(x Wᵀ + b)) through [`LinearBnOp`], with `affine` = [b; γ; β] (3×M).
pub fn linear_batch_norm(
    x: &Tensor,
    weight: &Tensor,
    affine: &Tensor,
    relu: bool,
    groups: usize,
) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(weight, affine, LinearBnOp::new(relu, groups))
}

// ---------------------------------------------------------------------------------------------
// Negative cosine similarity

/// −(1/N) Σ_n ⟨p_n, z_n⟩ / (max(‖p_n‖, ε) · max(‖z_n‖, ε)), a scalar. Backward to z only when z
/// needs a gradient (not under stop-gradient). With `swap_halves`, row n of p is paired with row
/// n ± N/2 of z: for p = [p₁; p₂] and z = [z₁; z₂] (two views stacked), the symmetric loss
/// ½ D(p₁, z₂) + ½ D(p₂, z₁) in one op.
pub struct NegCosineOp {
    pub swap_halves: bool,
    /// (⟨p, z⟩, ‖p‖, ‖z‖) of each row pair, from the forward, for the backward.
    dots: Mutex<Option<Vec<(f32, f32, f32)>>>,
}

impl NegCosineOp {
    pub fn new(swap_halves: bool) -> Self {
        NegCosineOp {
            swap_halves,
            dots: Mutex::new(None),
        }
    }
}

/// The rows of z in the order they pair with the rows of p.
fn paired_rows(z: &[f32], d: usize, swap_halves: bool) -> impl Iterator<Item = &[f32]> {
    let half = if swap_halves { z.len() / d / 2 } else { 0 };
    z.chunks_exact(d)
        .skip(half)
        .chain(z.chunks_exact(d).take(half))
}

/// Per row: (⟨p, z⟩, ‖p‖, ‖z‖).
fn row_dots<'a>(
    p: &'a [f32],
    z: impl Iterator<Item = &'a [f32]> + 'a,
    d: usize,
) -> impl Iterator<Item = (f32, f32, f32)> + 'a {
    p.chunks_exact(d).zip(z).map(|(pr, zr)| {
        let (mut pz, mut pp, mut zz) = (0.0f32, 0.0f32, 0.0f32);
        for (a, b) in pr.iter().zip(zr) {
            pz += a * b;
            pp += a * a;
            zz += b * b;
        }
        (pz, pp.sqrt(), zz.sqrt())
    })
}

impl CustomOp2 for NegCosineOp {
    fn name(&self) -> &'static str {
        "fused-negative-cosine"
    }

    fn cpu_fwd(
        &self,
        sp: &CpuStorage,
        lp: &Layout,
        sz: &CpuStorage,
        lz: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, d) = lp.shape().dims2()?;
        if lz.dims() != [n, d] {
            bail!(
                "fused-negative-cosine: shapes {:?}, {:?}",
                lp.dims(),
                lz.dims()
            );
        }
        if self.swap_halves && n % 2 != 0 {
            bail!("fused-negative-cosine: {n} rows do not split into two views");
        }
        let (p, z) = (f32_slice(sp, lp)?, f32_slice(sz, lz)?);
        let dots: Vec<(f32, f32, f32)> =
            row_dots(p, paired_rows(z, d, self.swap_halves), d).collect();
        let sum: f32 = dots
            .iter()
            .map(|&(pz, np, nz)| pz / (np.max(NORM_EPS) * nz.max(NORM_EPS)))
            .sum();
        *self.dots.lock().expect("dots lock") = Some(dots);
        Ok((CpuStorage::F32(vec![-sum / n as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        p: &Tensor,
        z: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (n, d) = p.dims2()?;
        let g = grad.to_scalar::<f32>()?;
        let want_z = z.track_op();
        let guard = self.dots.lock().expect("dots lock");
        let Some(dots) = guard.as_ref() else {
            bail!("fused-negative-cosine: backward before forward");
        };
        with_f32(p, |ps| {
            with_f32(z, |zs| {
                let mut dp = Vec::with_capacity(n * d);
                let mut dz = Vec::with_capacity(if want_z { n * d } else { 0 });
                let c = -g / n as f32;
                let swap = self.swap_halves;
                for (&(pz, np, nz), (pr, zr)) in dots
                    .iter()
                    .zip(ps.chunks_exact(d).zip(paired_rows(zs, d, swap)))
                {
                    // cos = pz / (P Z), P = max(‖p‖, ε): ∂cos/∂p = z/(PZ) − cos·p/(P‖p‖) while
                    // ‖p‖ > ε (the clamp is constant below), likewise for z.
                    let (cp, cz) = (np.max(NORM_EPS), nz.max(NORM_EPS));
                    let cos = pz / (cp * cz);
                    let a = 1.0 / (cp * cz);
                    let bp = if np > NORM_EPS { cos / (cp * np) } else { 0.0 };
                    dp.extend(pr.iter().zip(zr).map(|(pv, zv)| c * (zv * a - pv * bp)));
                    if want_z {
                        let bz = if nz > NORM_EPS { cos / (cz * nz) } else { 0.0 };
                        dz.extend(pr.iter().zip(zr).map(|(pv, zv)| c * (pv * a - zv * bz)));
                    }
                }
                let dz = if want_z {
                    // dz is in the order of p's rows: back to z's.
                    if swap {
                        dz.rotate_left(n / 2 * d);
                    }
                    Some(tensor(dz, (n, d), z)?)
                } else {
                    None
                };
                Ok((Some(tensor(dp, (n, d), p)?), dz))
            })
        })
    }
}

/// The negative cosine loss through [`NegCosineOp`].
pub fn negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    p.contiguous()?
        .apply_op2(&z.contiguous()?, NegCosineOp::new(false))
}

/// ½ D(p₁, z₂) + ½ D(p₂, z₁) for p = [p₁; p₂], z = [z₁; z₂] (2B×d, the two views stacked),
/// through [`NegCosineOp`].
pub fn symmetric_negative_cosine(p: &Tensor, z: &Tensor) -> Result<Tensor> {
    p.contiguous()?
        .apply_op2(&z.contiguous()?, NegCosineOp::new(true))
}

// ---------------------------------------------------------------------------------------------
// In-place SGD with momentum and weight decay

/// PyTorch's SGD step on a weight tensor, in place: g = ∇ + λw; b = μb + g (b = g at the first
/// step); w −= ηb. The momentum buffer lives outside candle's storage.
pub struct SgdStep<'a> {
    pub buffer: RefCell<&'a mut Vec<f32>>,
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
}

impl InplaceOp2 for SgdStep<'_> {
    fn name(&self) -> &'static str {
        "fused-sgd"
    }

    fn cpu_fwd(
        &self,
        sw: &mut CpuStorage,
        lw: &Layout,
        sg: &CpuStorage,
        lg: &Layout,
    ) -> Result<()> {
        let g = f32_slice(sg, lg)?;
        let w = match (sw, lw.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => &mut v[a..b],
            _ => bail!("fused-sgd: the weight must be a contiguous f32 tensor"),
        };
        if g.len() != w.len() {
            bail!("fused-sgd: {} gradients for {} weights", g.len(), w.len());
        }
        let mut buf = self.buffer.borrow_mut();
        let hyper = (self.lr, self.momentum, self.weight_decay);
        if buf.len() != w.len() || self.momentum == 0.0 {
            // First step: b = g.
            buf.clear();
            buf.resize(w.len(), 0.0);
            sgd_simd::<true>(w, g, &mut buf, hyper);
        } else {
            sgd_simd::<false>(w, g, &mut buf, hyper);
        }
        Ok(())
    }
}

/// One pass of PyTorch's SGD over a weight tensor: g' = g + λw (λ > 0), b = g' at the first
/// step else μb + g', w −= ηb.
#[inline(always)]
fn sgd_kernel<const FIRST: bool>(
    w: &mut [f32],
    g: &[f32],
    buf: &mut [f32],
    (lr, mu, wd): (f32, f32, f32),
) {
    let decay = wd > 0.0;
    for ((wv, gv), b) in w.iter_mut().zip(g).zip(buf.iter_mut()) {
        let gd = if decay { gv + *wv * wd } else { *gv };
        *b = if FIRST { gd } else { *b * mu + gd };
        *wv -= *b * lr;
    }
}

multiversion!(fn sgd_simd<const FIRST: bool>(
    w: &mut [f32],
    g: &[f32],
    buf: &mut [f32],
    hyper: (f32, f32, f32)
) = sgd_kernel);

/// target ← τ·target + (1 − τ)·source, in place.
pub struct EmaStep {
    pub tau: f32,
}

impl InplaceOp2 for EmaStep {
    fn name(&self) -> &'static str {
        "fused-ema"
    }

    fn cpu_fwd(
        &self,
        st: &mut CpuStorage,
        lt: &Layout,
        ss: &CpuStorage,
        ls: &Layout,
    ) -> Result<()> {
        let s = f32_slice(ss, ls)?;
        let t = match (st, lt.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => &mut v[a..b],
            _ => bail!("fused-ema: the target must be a contiguous f32 tensor"),
        };
        if s.len() != t.len() {
            bail!("fused-ema: {} sources for {} targets", s.len(), t.len());
        }
        let (tau, rest) = (self.tau, 1.0 - self.tau);
        for (tv, sv) in t.iter_mut().zip(s) {
            *tv = *tv * tau + sv * rest;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Gradient checks of every fused op against candle's own autograd on the same inputs.
    use super::*;
    use candle_core::{Device, Var};
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

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
    fn run(
        f: impl Fn() -> Tensor,
        weights: &Tensor,
        vars: &[&Var],
    ) -> (Tensor, Vec<Option<Tensor>>) {
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
}
