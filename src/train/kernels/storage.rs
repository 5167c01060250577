//! Access to the f32 data of candle's CPU storage, and uninitialised output buffers.

use candle_core::{bail, CpuStorage, Layout, Result, Shape, Storage, Tensor};

/// The contiguous f32 data of a storage under a layout.
pub(super) fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
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
pub(super) fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let t = t.contiguous()?;
    let (st, l) = t.storage_and_layout();
    match &*st {
        Storage::Cpu(c) => f(f32_slice(c, l)?),
        _ => bail!("fused ops run on the CPU only"),
    }
}

pub(super) fn tensor(v: Vec<f32>, shape: impl Into<Shape>, like: &Tensor) -> Result<Tensor> {
    Tensor::from_vec(v, shape.into(), like.device())
}

/// A buffer of `len` f32 that `fill` writes completely (every element, through the
/// `MaybeUninit` slice) before it is read.
#[inline(always)]
pub(super) fn filled(len: usize, fill: impl FnOnce(&mut [std::mem::MaybeUninit<f32>])) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: `fill` initialised all `len` elements (every caller writes each row of an
    // exact chunking of the slice).
    unsafe { v.set_len(len) };
    v
}
