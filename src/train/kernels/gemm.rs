//! Matrix products through the `gemm` crate (the one candle uses), called directly on slices.

/// dst (m×n, row stride `dst_rs`) = read·dst + A·B, where A is m×k with strides (a_rs, a_cs) and
/// B is k×n with strides (b_rs, b_cs). Serial: at these sizes (a few hundred rows and columns) gemm's threads cost
/// more than they give, and serial keeps results independent of the thread count.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_f32(
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
pub(super) fn gemm_new(
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
