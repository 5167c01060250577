//! The data of one space: the `l2` or `raw` rows in the used order, reduced by PCA, and the
//! paired views of the pair estimators.

use ib_estimators::normalize::l2_normalize_rows;
use ib_estimators::pca::Pca;
use ndarray::{Array2, Axis};

use super::config::{InfoError, Space};
use super::order::mix;

/// Rows of at most this many inputs' views fit the PCA.
const FIT_ROWS: usize = 4096;

/// Data of one space after transformation and reduction.
pub(super) struct SpaceData {
    /// N × dim: the clean inputs.
    pub clean: Array2<f64>,
    /// N·K × dim (row x·K + a), when views exist.
    pub u: Option<Array2<f64>>,
    /// N·K × dim: V' (target views, or the online views again without a target).
    pub w: Option<Array2<f64>>,
    pub dim: usize,
    /// The PCA found kept axes of zero variance: differential entropies are −∞.
    pub rank_deficient: bool,
    pub warnings: Vec<String>,
}

/// The rows of `space`: for `l2`, every row scaled to unit norm in the full dimension, whatever
/// its scale ([`ib_estimators::normalize`]; zero rows have no direction, stay 0 and are counted
/// in a warning); for `raw`, unchanged.
pub(super) fn transform(
    space: Space,
    (mut c, mut u, mut w): (Array2<f64>, Option<Array2<f64>>, Option<Array2<f64>>),
    warnings: &mut Vec<String>,
) -> (Array2<f64>, Option<Array2<f64>>, Option<Array2<f64>>) {
    if space == Space::L2 {
        let mut zero = l2_normalize_rows(&mut c);
        if let Some(m) = u.as_mut() {
            zero += l2_normalize_rows(m);
        }
        if let Some(m) = w.as_mut() {
            zero += l2_normalize_rows(m);
        }
        if zero > 0 {
            warnings.push(format!(
                "{zero} rows have l2 norm 0 (all entries 0, no direction): they stay at 0, off the unit sphere"
            ));
        }
    }
    (c, u, w)
}

/// The root-mean-square norm of the rows, sqrt(mean ‖row‖²), in the full dimension: the unit
/// of the automatic pairwise widths in the `raw` space (ARCHITECTURE.md §5). 1 when every row
/// is 0 (there is no unit to take; every width then gives the same value).
pub(super) fn radius(m: &Array2<f64>) -> f64 {
    let n = m.nrows().max(1) as f64;
    let r = (m.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
    if r > 0.0 && r.is_finite() {
        r
    } else {
        1.0
    }
}

/// PCA to `dim` axes fitted on the views (or the clean rows without views; at most
/// [`FIT_ROWS`] rows), applied to every array.
pub(super) fn reduce(
    clean: &Array2<f64>,
    u: Option<&Array2<f64>>,
    w: Option<&Array2<f64>>,
    dim: Option<usize>,
    seed: u64,
    base_warnings: &[String],
) -> Result<SpaceData, InfoError> {
    let fit_src = u.unwrap_or(clean);
    let fit_rows = fit_src.nrows().min(FIT_ROWS);
    let red = Pca::fit(
        fit_src.slice(ndarray::s![..fit_rows, ..]),
        dim,
        mix(seed ^ 0x0CA0_0CA0),
    )
    .map_err(|e| InfoError::Shape(format!("PCA: {e}")))?;
    let mut warnings = base_warnings.to_vec();
    if !red.is_identity() {
        let total: f64 = red.variances().iter().sum();
        warnings.push(format!(
            "PCA {} -> {} axes (fitted on {} rows; kept variance {:.4e})",
            clean.ncols(),
            red.dim(),
            fit_rows,
            total
        ));
        if red.zero_variance_axes() > 0 {
            warnings.push(format!(
                "{} of the {} kept PCA axes have zero variance: the data span fewer dimensions \
                 (dimensional collapse)",
                red.zero_variance_axes(),
                red.dim()
            ));
        }
    }
    Ok(SpaceData {
        clean: red.apply(clean.view()),
        u: u.map(|m| red.apply(m.view())),
        w: w.map(|m| red.apply(m.view())),
        dim: red.dim(),
        rank_deficient: red.zero_variance_axes() > 0,
        warnings,
    })
}

/// The N pairs (V = view a of each input, V' = view b of it) of the pair estimators, as two
/// N × dim matrices; None without views.
pub(super) fn pair_matrices(
    sd: &SpaceData,
    pairs: &[(usize, usize)],
) -> Option<(Array2<f64>, Array2<f64>)> {
    let (u, w) = (sd.u.as_ref()?, sd.w.as_ref()?);
    let k = u.nrows() / pairs.len();
    let iu: Vec<usize> = pairs
        .iter()
        .enumerate()
        .map(|(x, &(a, _))| x * k + a)
        .collect();
    let iw: Vec<usize> = pairs
        .iter()
        .enumerate()
        .map(|(x, &(_, b))| x * k + b)
        .collect();
    Some((u.select(Axis(0), &iu), w.select(Axis(0), &iw)))
}
