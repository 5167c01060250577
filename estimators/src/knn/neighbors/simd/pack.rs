//! Points transposed into blocks of [`LANES`] ("SoA"): the layout every distance kernel reads.

use super::LANES;

/// Points transposed in blocks of [`LANES`]: coordinate c of lane l of block b is at
/// `data[(b·d + c)·LANES + l]`. Lanes past the end of a group repeat its last point (callers
/// mask them out by count).
pub(in crate::knn::neighbors) fn pack_blocks(rows: &[f64], d: usize, out: &mut Vec<f64>) {
    let base = out.len();
    out.resize(base + packed_len(rows.len() / d, d), 0.0);
    pack_into(rows, d, &mut out[base..]);
}

/// Length of `m` points of dimension `d` packed by [`pack_blocks`].
pub(in crate::knn::neighbors) fn packed_len(m: usize, d: usize) -> usize {
    m.div_ceil(LANES) * d * LANES
}

/// [`pack_blocks`] into `blocks`, of length [`packed_len`].
pub(in crate::knn::neighbors) fn pack_into(rows: &[f64], d: usize, blocks: &mut [f64]) {
    let m = rows.len() / d;
    for b in 0..m.div_ceil(LANES) {
        for l in 0..LANES {
            let src = (b * LANES + l).min(m - 1);
            let row = &rows[src * d..(src + 1) * d];
            for (c, &v) in row.iter().enumerate() {
                blocks[(b * d + c) * LANES + l] = v;
            }
        }
    }
}
