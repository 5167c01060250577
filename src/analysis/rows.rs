//! Embedding matrices kept in the precision they were stored in, read as f64 row blocks.
//!
//! An f32 export stays f32 in memory: a 1,000,000 × 128 f32 `.npy` is 512 MB and its f64 copy
//! would be another 1 GB. Every consumer reads it through [`Rows`]: streamed in blocks of
//! [`block_rows`] rows converted to f64 (exact: every f32 is an f64), or as an f64 copy of a
//! selected subset of rows. f64 data is viewed in place, block by block, without copies.

use ndarray::{Array2, ArrayView2, ArrayView3, Axis, CowArray, Ix2};

/// Most rows per block of [`Rows::for_each_block`] (4096 × 128 f64 = 4 MB).
pub const BLOCK_ROWS: usize = 4096;

/// Values per block beyond which wide embeddings get fewer rows per block (32 MB of f64).
pub const BLOCK_VALUES: usize = 1 << 22;

/// Rows per block for d columns: [`BLOCK_ROWS`] up to d = 1024, then [`BLOCK_VALUES`]/d but at
/// least 512, so that an f64 block of a 8192-wide embedding is 32 MB rather than 268 MB while
/// the Gram update of each block still has 512 rows to amortise its d² reads. Fixed by d
/// alone: the block boundaries (and so the summation order) never depend on the machine.
pub fn block_rows(d: usize) -> usize {
    (BLOCK_VALUES / d.max(1)).clamp(512, BLOCK_ROWS)
}

/// An owned N×d embedding, f32 or f64.
#[derive(Debug, Clone)]
pub enum Embedding {
    /// Single precision (also f16/bf16 exports, which f32 holds exactly).
    F32(Array2<f32>),
    /// Double precision (and every integer type).
    F64(Array2<f64>),
}

impl Embedding {
    /// A borrowed view.
    pub fn rows(&self) -> Rows<'_> {
        match self {
            Embedding::F32(a) => Rows::F32(a.view()),
            Embedding::F64(a) => Rows::F64(a.view()),
        }
    }

    /// Bytes held by the values.
    pub fn bytes(&self) -> usize {
        match self {
            Embedding::F32(a) => a.len() * 4,
            Embedding::F64(a) => a.len() * 8,
        }
    }
}

/// A borrowed N×d embedding, f32 or f64.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Single precision.
    F32(ArrayView2<'a, f32>),
    /// Double precision.
    F64(ArrayView2<'a, f64>),
}

impl<'a> From<ArrayView2<'a, f64>> for Rows<'a> {
    fn from(v: ArrayView2<'a, f64>) -> Rows<'a> {
        Rows::F64(v)
    }
}

impl<'a> From<ArrayView2<'a, f32>> for Rows<'a> {
    fn from(v: ArrayView2<'a, f32>) -> Rows<'a> {
        Rows::F32(v)
    }
}

impl<'a> Rows<'a> {
    /// (N, d).
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Rows::F32(a) => a.dim(),
            Rows::F64(a) => a.dim(),
        }
    }

    /// N.
    pub fn nrows(&self) -> usize {
        self.dim().0
    }

    /// True when no value is NaN or infinite.
    pub fn all_finite(&self) -> bool {
        match self {
            Rows::F32(a) => a.iter().all(|v| v.is_finite()),
            Rows::F64(a) => a.iter().all(|v| v.is_finite()),
        }
    }

    /// The largest |value| as f64 (0 for no values; NaN is skipped).
    pub fn max_abs(&self) -> f64 {
        match self {
            Rows::F32(a) => a.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs())),
            Rows::F64(a) => a.iter().fold(0.0f64, |m, &v| m.max(v.abs())),
        }
    }

    /// Calls `f` on consecutive blocks of at most [`block_rows`]`(d)` rows, in row order, as f64;
    /// stops at the first error.
    pub fn for_each_block<E>(
        &self,
        mut f: impl FnMut(ArrayView2<f64>) -> Result<(), E>,
    ) -> Result<(), E> {
        let rows = block_rows(self.dim().1);
        match self {
            Rows::F32(a) => {
                for block in a.axis_chunks_iter(Axis(0), rows) {
                    f(block.mapv(f64::from).view())?;
                }
            }
            Rows::F64(a) => {
                for block in a.axis_chunks_iter(Axis(0), rows) {
                    f(block)?;
                }
            }
        }
        Ok(())
    }

    /// All rows as f64: a view of f64 data, a converted copy of f32 data.
    pub fn to_f64(&self) -> CowArray<'a, f64, Ix2> {
        match *self {
            Rows::F32(a) => CowArray::from(a.mapv(f64::from)),
            Rows::F64(a) => CowArray::from(a),
        }
    }

    /// The listed rows, in that order, as an f64 matrix.
    pub fn select(&self, rows: &[usize]) -> Array2<f64> {
        match self {
            Rows::F32(a) => a.select(Axis(0), rows).mapv(f64::from),
            Rows::F64(a) => a.select(Axis(0), rows),
        }
    }

    /// Folds `f` over the values of row `i` as f64, left to right.
    pub fn fold_row<B>(&self, i: usize, init: B, f: impl FnMut(B, f64) -> B) -> B {
        match self {
            Rows::F32(a) => a.row(i).iter().map(|&v| f64::from(v)).fold(init, f),
            Rows::F64(a) => a.row(i).iter().copied().fold(init, f),
        }
    }
}

/// K views of each of N inputs: an N×K×d f64 array, or N×d rows (K = 1, e.g. a target
/// network's output paired row by row with the online one, kept in its stored precision).
#[derive(Debug, Clone, Copy)]
pub enum Views<'a> {
    /// N×K×d.
    Array(ArrayView3<'a, f64>),
    /// N×d, read as N×1×d.
    Rows(Rows<'a>),
}

impl<'a> From<ArrayView3<'a, f64>> for Views<'a> {
    fn from(v: ArrayView3<'a, f64>) -> Views<'a> {
        Views::Array(v)
    }
}

impl Views<'_> {
    /// (N, K, d).
    pub fn dim(&self) -> (usize, usize, usize) {
        match self {
            Views::Array(a) => a.dim(),
            Views::Rows(r) => {
                let (n, d) = r.dim();
                (n, 1, d)
            }
        }
    }

    /// True when no value is NaN or infinite.
    pub fn all_finite(&self) -> bool {
        match self {
            Views::Array(a) => a.iter().all(|v| v.is_finite()),
            Views::Rows(r) => r.all_finite(),
        }
    }

    /// Folds `f` over the K×d values of input `i` as f64, in C order.
    pub fn fold_input<B>(&self, i: usize, init: B, f: impl FnMut(B, f64) -> B) -> B {
        match self {
            Views::Array(a) => a.index_axis(Axis(0), i).iter().copied().fold(init, f),
            Views::Rows(r) => r.fold_row(i, init, f),
        }
    }

    /// The views of the listed inputs, in that order, as an (inputs·K)×d f64 matrix.
    pub fn select_flat(&self, inputs: &[usize]) -> Array2<f64> {
        match self {
            Views::Array(a) => {
                let (_, k, d) = a.dim();
                // Row-major whatever layout the selection comes in.
                let values: Vec<f64> = inputs
                    .iter()
                    .flat_map(|&i| a.index_axis(Axis(0), i).into_iter().copied())
                    .collect();
                Array2::from_shape_vec((inputs.len() * k, d), values)
                    .unwrap_or_else(|_| unreachable!("inputs·K·d values"))
            }
            Views::Rows(r) => r.select(inputs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn f32_and_f64_views_give_the_same_blocks_and_rows() {
        let n = BLOCK_ROWS + 3;
        let a32 = Array2::from_shape_fn((n, 3), |(i, j)| (i * 3 + j) as f32 * 0.25);
        let a64 = a32.mapv(f64::from);
        let (r32, r64) = (Rows::from(a32.view()), Rows::from(a64.view()));
        let collect = |r: Rows| {
            let mut sizes = Vec::new();
            let mut all = Vec::new();
            r.for_each_block(|b| {
                sizes.push(b.nrows());
                all.extend(b.iter().copied());
                Ok::<(), ()>(())
            })
            .unwrap();
            (sizes, all)
        };
        assert_eq!(collect(r32), collect(r64));
        assert_eq!(collect(r32).0, vec![BLOCK_ROWS, 3]);
        assert_eq!(block_rows(1024), BLOCK_ROWS);
        assert_eq!((block_rows(2048), block_rows(8192)), (2048, 512));
        assert_eq!(block_rows(1 << 20), 512);
        assert_eq!(r32.select(&[5, 0]), r64.select(&[5, 0]));
        let sum = |r: Rows| r.fold_row(7, 0.0, |s, v| s + v);
        assert_eq!(sum(r32), sum(r64));
        assert_eq!(r32.dim(), (n, 3));
        let mut bad = a32.clone();
        bad[[n - 1, 2]] = f32::NAN;
        assert!(r32.all_finite() && !Rows::from(bad.view()).all_finite());
    }

    #[test]
    fn row_views_read_like_an_n_by_1_by_d_array() {
        let a = Array2::from_shape_fn((5, 3), |(i, j)| (i * 3 + j) as f32 - 4.5);
        let a64 = a.mapv(f64::from).insert_axis(Axis(1));
        let (r, v) = (Views::Rows(Rows::from(a.view())), Views::from(a64.view()));
        assert_eq!(r.dim(), v.dim());
        assert_eq!(r.select_flat(&[4, 1]), v.select_flat(&[4, 1]));
        let sum = |x: Views| x.fold_input(2, 0.0, |s, y| s * 3.0 + y);
        assert_eq!(sum(r), sum(v));
        assert!(r.all_finite() && v.all_finite());
        let k3 = Array3::from_shape_fn((2, 3, 2), |(i, k, j)| (i * 6 + k * 2 + j) as f64);
        let flat = Views::from(k3.view()).select_flat(&[1]);
        assert_eq!(flat.dim(), (3, 2));
        assert_eq!(flat[[2, 1]], 11.0);
    }
}
