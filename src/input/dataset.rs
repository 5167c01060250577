//! Training data read from a file (`ib-analyze run` with a file dataset): N×D rows, or
//! N×C×H×W images kept 4-D or flattened.

use ndarray::{Array2, Array4, ArrayD, Ix4};

use super::checks::{check_finite, check_nonempty, into_matrix, wrong_ndim};
use super::read::read_array;
use super::{InputError, InputSpec};

/// Training data: N×D rows, or N×C×H×W images.
#[derive(Debug, Clone)]
pub enum Dataset {
    /// N×D rows (also flattened images).
    Matrix(Array2<f64>),
    /// N×C×H×W images, kept 4-D.
    Images(Array4<f64>),
}

impl Dataset {
    /// Number of samples N.
    pub fn len(&self) -> usize {
        match self {
            Dataset::Matrix(m) => m.nrows(),
            Dataset::Images(a) => a.shape()[0],
        }
    }

    /// True when there are no samples (never the case for a dataset returned by a reader).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shape of one sample: `[D]` or `[C, H, W]`.
    pub fn sample_shape(&self) -> Vec<usize> {
        match self {
            Dataset::Matrix(m) => vec![m.ncols()],
            Dataset::Images(a) => a.shape()[1..].to_vec(),
        }
    }

    /// N×(features) view of the data, flattening images in C order (C, then H, then W).
    pub fn into_matrix(self) -> Array2<f64> {
        match self {
            Dataset::Matrix(m) => m,
            Dataset::Images(a) => {
                let n = a.shape()[0];
                let d: usize = a.shape()[1..].iter().product();
                // Readers return standard layout: reshaped in place, without a copy.
                let a = if a.is_standard_layout() {
                    a
                } else {
                    a.as_standard_layout().into_owned()
                };
                // Same number of elements in standard layout: cannot fail.
                a.into_shape_with_order((n, d))
                    .unwrap_or_else(|_| Array2::zeros((0, 0)))
            }
        }
    }
}

/// Validates an n-D array as training data (N×D, or N×C×H×W flattened when `flatten`).
pub fn into_dataset(a: ArrayD<f64>, file: &str, flatten: bool) -> Result<Dataset, InputError> {
    const EXPECTED: &str = "a 2-D (N×D) or 4-D (N×C×H×W) array";
    match a.ndim() {
        2 => into_matrix(a, file).map(Dataset::Matrix),
        4 => {
            check_nonempty(&a, file)?;
            check_finite(&a, file)?;
            let a = a
                .into_dimensionality::<Ix4>()
                .map_err(|_| wrong_ndim(file, EXPECTED, &[], "reshape to (N, D)"))?;
            let ds = Dataset::Images(a);
            Ok(if flatten {
                Dataset::Matrix(ds.into_matrix())
            } else {
                ds
            })
        }
        _ => Err(wrong_ndim(
            file,
            EXPECTED,
            a.shape(),
            "reshape to (N, D) or (N, C, H, W)",
        )),
    }
}

/// Reads training data: N×D, or N×C×H×W (returned flattened to N×(C·H·W) when `flatten`).
pub fn read_dataset(spec: &InputSpec, flatten: bool) -> Result<Dataset, InputError> {
    let file = spec.display_name();
    into_dataset(read_array(spec)?, &file, flatten)
}

#[cfg(test)]
mod tests {
    use super::super::npy::test_util::{f64s, npy_bytes, spec_for};
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn dataset_flattens_images() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v: Vec<f64> = (0..24).map(f64::from).collect();
        let s = spec_for(
            dir.path(),
            "img.npy",
            &npy_bytes("<f8", false, &[2, 3, 2, 2], &f64s(&v)),
            None,
        );
        let ds = read_dataset(&s, false).expect("images");
        assert_eq!(ds.sample_shape(), vec![3, 2, 2]);
        assert!(matches!(ds, Dataset::Images(_)));
        let m = match read_dataset(&s, true).expect("flat") {
            Dataset::Matrix(m) => m,
            Dataset::Images(_) => panic!("expected a matrix"),
        };
        assert_eq!(m.shape(), &[2, 12]);
        assert_eq!(m[[1, 0]], 12.0);
        assert_eq!(m[[1, 11]], 23.0);
        // Fortran-ordered images flatten in logical C order too.
        let fv: Vec<f64> = {
            let a = ArrayD::from_shape_vec(IxDyn(&[2, 3, 2, 2]), v.clone()).expect("shape");
            a.t().iter().copied().collect()
        };
        let s = spec_for(
            dir.path(),
            "imgf.npy",
            &npy_bytes("<f8", true, &[2, 3, 2, 2], &f64s(&fv)),
            None,
        );
        let m = read_dataset(&s, true).expect("flat").into_matrix();
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), v);

        let s = spec_for(
            dir.path(),
            "three.npy",
            &npy_bytes("<f8", false, &[2, 3, 4], &f64s(&v)),
            None,
        );
        let e = read_dataset(&s, true).expect_err("3-D").to_string();
        assert!(
            e.contains("expected a 2-D (N×D) or 4-D (N×C×H×W) array"),
            "{e}"
        );
    }
}
