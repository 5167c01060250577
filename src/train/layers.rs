//! Linear and batch-norm layers over candle `Var`s that we own, so that initialisation is seeded
//! (candle's CPU RNG cannot be seeded) and parameter order is stable (sorted by name).
//!
//! On N×D inputs the layers run through the fused kernels of [`super::kernels`] (one graph node
//! per layer, `gemm` called directly); 4-D (convolutional) batch-norm keeps candle's tensor ops.

use candle_core::{Result, Tensor, Var};
use rand::rngs::StdRng;
use rand_distr::{Distribution, Uniform};
use std::collections::BTreeMap;

use candle_core::Device;

use super::kernels;

/// glibc's malloc returns every freed block above 128 KiB to the kernel and maps it again on the
/// next allocation; a training step allocates and frees dozens of such buffers, so about a third
/// of its time went to page faults. Raise the mmap and trim thresholds once, process-wide.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            extern "C" {
                fn mallopt(param: i32, value: i32) -> i32;
            }
            const M_TRIM_THRESHOLD: i32 = -1;
            const M_MMAP_THRESHOLD: i32 = -3;
            // SAFETY: mallopt only adjusts glibc's allocator parameters; both values are in range
            // (the mmap threshold may be at most 32 MiB on 64-bit glibc).
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, 256 << 20);
            }
        });
    }
}

/// Trainable parameters by dotted name (`encoder.0.weight`); a BTreeMap so that iteration order,
/// and with it every seeded draw, is the same on every run.
#[derive(Default)]
pub struct Params {
    pub vars: BTreeMap<String, Var>,
}

impl Params {
    fn add(&mut self, name: String, values: Vec<f32>, shape: &[usize]) -> Result<Var> {
        tune_allocator();
        let t = Tensor::from_vec(values, shape, &Device::Cpu)?;
        let v = Var::from_tensor(&t)?;
        self.vars.insert(name, v.clone());
        Ok(v)
    }

    /// Set every parameter that `other` also has (by name) to τ·self + (1 − τ)·other: the EMA
    /// update of a BYOL target network. τ = 0 copies.
    pub fn ema_from(&self, other: &Params, tau: f64) -> Result<()> {
        for (name, var) in &self.vars {
            if let Some(src) = other.vars.get(name) {
                if tau == 0.0 {
                    var.set(&src.as_tensor().copy()?)?;
                } else {
                    var.as_tensor()
                        .inplace_op2(src.as_tensor(), &kernels::EmaStep { tau: tau as f32 })?;
                }
            }
        }
        Ok(())
    }

    /// True when every parameter is finite.
    pub fn all_finite(&self) -> Result<bool> {
        for v in self.vars.values() {
            let s = v.as_tensor().sqr()?.sum_all()?.to_scalar::<f32>()?;
            if !s.is_finite() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// y = x Wᵀ + b, initialised as PyTorch's `nn.Linear`: W, b ~ U(−1/√fan_in, 1/√fan_in).
pub struct Linear {
    weight: Var,
    bias: Var,
}

impl Linear {
    pub fn new(
        params: &mut Params,
        name: &str,
        fan_in: usize,
        fan_out: usize,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let bound = 1.0 / (fan_in as f32).sqrt();
        let u = Uniform::new_inclusive(-bound, bound).expect("finite bound");
        let w: Vec<f32> = (0..fan_in * fan_out).map(|_| u.sample(rng)).collect();
        let b: Vec<f32> = (0..fan_out).map(|_| u.sample(rng)).collect();
        Ok(Linear {
            weight: params.add(format!("{name}.weight"), w, &[fan_out, fan_in])?,
            bias: params.add(format!("{name}.bias"), b, &[fan_out])?,
        })
    }

    /// N×D input (fused kernel); other ranks multiply over the last dimension.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.rank() == 2 {
            return kernels::linear(x, self.weight.as_tensor(), self.bias.as_tensor());
        }
        x.broadcast_matmul(&self.weight.as_tensor().t()?)?
            .broadcast_add(self.bias.as_tensor())
    }
}

/// Linear then batch-norm (+ ReLU) on N×D inputs, one fused op ([`kernels::LinearBnOp`]). The
/// weight W is a parameter as in [`Linear`]; the bias and the batch-norm's γ, β are one 3×M
/// parameter `[b; γ; β]`. Initialised as [`Linear`] then [`BatchNorm`] (the same draws in the
/// same order; γ = 1, β = 0).
pub struct LinearBn {
    weight: Var,
    affine: Var,
    relu: bool,
}

impl LinearBn {
    pub fn new(
        params: &mut Params,
        name: &str,
        (fan_in, fan_out): (usize, usize),
        relu: bool,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let bound = 1.0 / (fan_in as f32).sqrt();
        let u = Uniform::new_inclusive(-bound, bound).expect("finite bound");
        let w: Vec<f32> = (0..fan_in * fan_out).map(|_| u.sample(rng)).collect();
        let mut affine: Vec<f32> = (0..fan_out).map(|_| u.sample(rng)).collect();
        affine.extend(std::iter::repeat_n(1.0, fan_out));
        affine.extend(std::iter::repeat_n(0.0, fan_out));
        Ok(LinearBn {
            weight: params.add(format!("{name}.weight"), w, &[fan_out, fan_in])?,
            affine: params.add(format!("{name}.affine"), affine, &[3, fan_out])?,
            relu,
        })
    }

    /// N×D input; with `groups` > 1 each block of N/groups rows is normalised on its own.
    pub fn forward(&self, x: &Tensor, groups: usize) -> Result<Tensor> {
        kernels::linear_batch_norm(
            x,
            self.weight.as_tensor(),
            self.affine.as_tensor(),
            self.relu,
            groups,
        )
    }
}

/// 2-D convolution (NCHW), initialised as PyTorch's `nn.Conv2d`: U(−1/√fan_in, 1/√fan_in) with
/// fan_in = in_channels·k·k.
pub struct Conv2d {
    weight: Var,
    bias: Var,
    stride: usize,
    padding: usize,
}

impl Conv2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        params: &mut Params,
        name: &str,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let fan_in = in_channels * kernel * kernel;
        let bound = 1.0 / (fan_in as f32).sqrt();
        let u = Uniform::new_inclusive(-bound, bound).expect("finite bound");
        let w: Vec<f32> = (0..fan_in * out_channels).map(|_| u.sample(rng)).collect();
        let b: Vec<f32> = (0..out_channels).map(|_| u.sample(rng)).collect();
        Ok(Conv2d {
            weight: params.add(
                format!("{name}.weight"),
                w,
                &[out_channels, in_channels, kernel, kernel],
            )?,
            bias: params.add(format!("{name}.bias"), b, &[out_channels])?,
            stride,
            padding,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.conv2d(self.weight.as_tensor(), self.padding, self.stride, 1, 1)?;
        let c = self.bias.dim(0)?;
        y.broadcast_add(&self.bias.as_tensor().reshape((1, c, 1, 1))?)
    }

    /// Output side length for an input side length.
    pub fn out_size(&self, size: usize) -> usize {
        let k = self.weight.dim(2).unwrap_or(1);
        (size + 2 * self.padding - k) / self.stride + 1
    }
}

/// Batch normalisation over dim 0 with batch statistics (biased variance, ε = 1e-5), affine
/// γ = 1, β = 0 at init. Snapshots are taken the same way, with the statistics of the whole
/// probe set, so the analysed embedding is normalised as the network normalises during training.
pub struct BatchNorm {
    gamma: Var,
    beta: Var,
}

impl BatchNorm {
    pub const EPS: f64 = 1e-5;

    pub fn new(params: &mut Params, name: &str, dim: usize) -> Result<Self> {
        Ok(BatchNorm {
            gamma: params.add(format!("{name}.weight"), vec![1.0; dim], &[dim])?,
            beta: params.add(format!("{name}.bias"), vec![0.0; dim], &[dim])?,
        })
    }

    /// N×C input: statistics over N. N×C×H×W input: per channel, over N, H and W. With
    /// `groups` > 1, each block of N/groups consecutive samples has its own statistics (the
    /// views of a batch, stacked).
    pub fn forward(&self, x: &Tensor, groups: usize) -> Result<Tensor> {
        if x.rank() == 2 {
            let (g, b) = (self.gamma.as_tensor(), self.beta.as_tensor());
            return kernels::batch_norm(x, g, b, false, groups);
        }
        self.forward_grouped(x, groups)
    }

    /// ReLU(batch-norm(x)), fused into one op for N×C inputs.
    pub fn forward_relu(&self, x: &Tensor, groups: usize) -> Result<Tensor> {
        if x.rank() == 2 {
            let (g, b) = (self.gamma.as_tensor(), self.beta.as_tensor());
            return kernels::batch_norm(x, g, b, true, groups);
        }
        self.forward_grouped(x, groups)?.relu()
    }

    /// [`Self::forward_unfused`] on each block of N/groups samples.
    fn forward_grouped(&self, x: &Tensor, groups: usize) -> Result<Tensor> {
        if groups <= 1 {
            return self.forward_unfused(x);
        }
        let blocks = (0..groups)
            .map(|i| {
                let n = x.dim(0)? / groups;
                self.forward_unfused(&x.narrow(0, i * n, n)?)
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&blocks, 0)
    }

    /// The same normalisation from candle's tensor ops (the reference of the fused kernel, and
    /// the path of 4-D inputs).
    pub fn forward_unfused(&self, x: &Tensor) -> Result<Tensor> {
        let (mean, gamma, beta) = if x.rank() == 4 {
            let c = x.dim(1)?;
            (
                x.mean_keepdim(3)?.mean_keepdim(2)?.mean_keepdim(0)?,
                self.gamma.as_tensor().reshape((1, c, 1, 1))?,
                self.beta.as_tensor().reshape((1, c, 1, 1))?,
            )
        } else {
            (
                x.mean_keepdim(0)?,
                self.gamma.as_tensor().clone(),
                self.beta.as_tensor().clone(),
            )
        };
        let xc = x.broadcast_sub(&mean)?;
        let sq = xc.sqr()?;
        let var = if x.rank() == 4 {
            sq.mean_keepdim(3)?.mean_keepdim(2)?.mean_keepdim(0)?
        } else {
            sq.mean_keepdim(0)?
        };
        let xn = xc.broadcast_div(&(var + Self::EPS)?.sqrt()?)?;
        xn.broadcast_mul(&gamma)?.broadcast_add(&beta)
    }
}
