//! Fused CPU kernels for the training step, as candle custom ops: a Linear layer that calls
//! `gemm` directly ([`linear`](mod@linear)), batch-norm with batch statistics and an optional
//! ReLU ([`batch_norm`](mod@batch_norm)), both as one op ([`linear_bn`]), the negative-cosine
//! loss ([`cosine`]), and in-place parameter updates: SGD with momentum ([`sgd`]) and the EMA of
//! a target network ([`ema`]).
//!
//! Each op computes in f32 on contiguous CPU storage and writes its own backward pass, so one
//! layer is one node of candle's graph instead of five to fifteen, and backward allocates one
//! buffer per gradient. Every op is checked against candle's own autograd on random inputs by
//! the tests in `tests.rs`.
//!
//! The element-wise and per-column loops are `#[inline(always)]` kernels dispatched by
//! [`ib_estimators::multiversion`], which compiles them for the widest vector instructions
//! of the CPU. Rust never contracts a·b + c into a fused multiply-add, so every instruction set
//! computes bitwise the same numbers: only the vector width changes.

pub mod batch_norm;
pub mod cosine;
pub mod ema;
mod gemm;
pub mod linear;
pub mod linear_bn;
pub mod sgd;
mod storage;

pub use batch_norm::{batch_norm, BatchNormOp, BN_EPS};
pub use cosine::{negative_cosine, symmetric_negative_cosine, NegCosineOp, NORM_EPS};
pub use ema::EmaStep;
pub use linear::{linear, LinearOp};
pub use linear_bn::{linear_batch_norm, LinearBnOp};
pub use sgd::SgdStep;

#[cfg(test)]
pub(crate) mod tests;
