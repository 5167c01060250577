//! Per-tensor metrics of a snapshot (ARCHITECTURE.md §4, spectral/std metrics), computed with
//! `ib-estimators`' streaming [`Moments`] over f64 row blocks of the latents.

pub mod knn_monitor;
pub mod panel;
pub mod rows;

use anyhow::{bail, Result};
use candle_core::Tensor;
use ib_estimators::moments::MomentsPass1;
use ib_estimators::{spectral, std_metrics, Moments};
use ib_reports::record::TensorRecord;
use ndarray::Array2;
pub use panel::PanelInputs;
pub use rows::{Embedding, Rows, Views};
use std::collections::BTreeMap;

/// The values of an f32 tensor as f64, in row-major order.
fn values_f64(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?
        .to_vec1::<f32>()?
        .into_iter()
        .map(f64::from)
        .collect())
}

/// Copy an N×d f32 tensor into an f64 array.
pub fn to_array(t: &Tensor) -> Result<Array2<f64>> {
    Ok(Array2::from_shape_vec(t.dims2()?, values_f64(t)?)?)
}

/// Copy an N×K×d f32 tensor into an f64 array.
pub fn to_array3(t: &Tensor) -> Result<ndarray::Array3<f64>> {
    Ok(ndarray::Array3::from_shape_vec(t.dims3()?, values_f64(t)?)?)
}

/// All metrics of one N×d embedding. Non-finite input gives `finite = false` and no metrics.
///
/// `bottleneck` is the width of the narrowest layer the tensor passes through when it is below d
/// (SimSiam's predictor 64-16-64): the centred rank can then be at most that width and the
/// uncentred one that plus one (the bias), and the rank ratios are taken against that cap
/// rather than min(N, d), so that a bottleneck by design does not read as dimensional collapse.
///
/// Two streaming passes over the rows ([`Moments`]): no f64 copy of an f32 embedding is made,
/// and memory beyond the embedding is O(d²).
///
/// With N ≤ d the record carries the warning of [`capped_by_n`]. The collapse-metric panel
/// ([`panel::add_panel`]) is added from the same spectrum and `panel`'s views and labels.
///
/// Every value is scale-stable (ARCHITECTURE.md §4): rows whose entries are all 0 have no
/// direction and are counted in `zero_norm_rows`; entries of 1e200 or 1e-300 neither overflow nor
/// vanish. Finite entries too large for the spectrum itself (singular values beyond the f64
/// range, from entries near 1e308) are refused with the reason rather than written as null.
pub fn tensor_metrics(
    z: Rows,
    bottleneck: Option<usize>,
    panel: &PanelInputs,
) -> Result<TensorRecord> {
    let (n, d) = z.dim();
    if !z.all_finite() {
        return Ok(TensorRecord {
            n,
            d,
            finite: false,
            metrics: BTreeMap::new(),
            spectrum: Vec::new(),
            channel_std: Vec::new(),
            warnings: capped_by_n(n, d),
            ..TensorRecord::empty(n, d)
        });
    }
    let moments = moments(z)?;
    let mut record = signals(&moments, bottleneck, || z.max_abs())?;
    panel::add_panel(&mut record, z, &moments.singular_values_centred(), panel);
    Ok(record)
}

/// The streamed collapse signals of a finite N×d tensor from its [`Moments`] (both passes
/// done): std_l2 and its normalised forms, the raw and centred effective ranks and their
/// ratios to the caps (`bottleneck` as in [`tensor_metrics`]), the angular and relative
/// spread, the zero rows, the spectrum, the channel std and the N ≤ d warning; everything of
/// [`tensor_metrics`] but the collapse-metric panel (ARCHITECTURE.md §4, §6).
///
/// `max_abs` gives the largest |entry| for the message that refuses values beyond the f64
/// range.
pub fn signals(
    moments: &Moments,
    bottleneck: Option<usize>,
    max_abs: impl FnOnce() -> f64,
) -> Result<TensorRecord> {
    let (n, d) = (moments.n(), moments.d());
    let std_l2 = moments.std_l2()?;
    let spectrum = moments.singular_values();
    let centred = moments.singular_values_centred();
    let er = spectral::effective_rank(&spectrum);
    let erc = spectral::effective_rank(&centred);
    let mut m = BTreeMap::new();
    m.insert("std_l2".to_string(), std_l2);
    m.insert("expected_std_l2".to_string(), 1.0 / (d as f64).sqrt());
    m.insert("normalised_std_l2".to_string(), std_l2 * (d as f64).sqrt());
    m.insert(
        "collapse_level".to_string(),
        std_metrics::collapse_level(std_l2, d),
    );
    m.insert("effective_rank".to_string(), er);
    m.insert("effective_rank_centred".to_string(), erc);
    let cap = bottleneck.unwrap_or(usize::MAX);
    let cap_centred = (n - 1).min(d).min(cap);
    let cap_raw = n.min(d).min(cap.saturating_add(1));
    m.insert("rank_cap".to_string(), cap_raw as f64);
    m.insert("rank_cap_centred".to_string(), cap_centred as f64);
    m.insert("effective_rank_ratio".to_string(), er / cap_raw as f64);
    m.insert(
        "effective_rank_centred_ratio".to_string(),
        erc / cap_centred.max(1) as f64,
    );
    m.insert("angular_spread".to_string(), moments.angular_spread());
    m.insert(
        "zero_norm_rows".to_string(),
        moments.zero_norm_rows() as f64,
    );
    let rel = moments.relative_spread();
    if rel.is_finite() {
        m.insert("relative_spread".to_string(), rel);
    }
    let channel_std = moments.channel_std()?;
    // The spectrum first: a non-finite singular value is what makes the ranks non-finite.
    let out_of_range = if spectrum.iter().any(|v| !v.is_finite()) {
        Some("singular values")
    } else if channel_std.iter().any(|v| !v.is_finite()) {
        Some("channel std")
    } else {
        m.iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(k, _)| k.as_str())
    };
    if let Some(what) = out_of_range {
        bail!(
            "{what} beyond the range of f64 for this {n}×{d} embedding (entries up to {:e}): \
             divide the embedding by a constant (e.g. 1e100) before exporting it",
            max_abs()
        );
    }
    Ok(TensorRecord {
        n,
        d,
        finite: true,
        metrics: m.into_iter().map(|(k, v)| (k, Some(v))).collect(),
        spectrum,
        channel_std,
        warnings: capped_by_n(n, d),
        ..TensorRecord::empty(n, d)
    })
}

/// The caveat of an N×d tensor with N ≤ d (ARCHITECTURE.md §6): N rows span at most N
/// dimensions (N − 1 once centred), so the rank ratios are taken against min(N−1, d) = N − 1
/// and min(N, d) = N. They still show dimensional collapse within those N rows, but not
/// whether the embedding would use all d dimensions given more rows (RankMe, Garrido et al.
/// 2023, estimates the rank with N ≫ d).
pub fn capped_by_n(n: usize, d: usize) -> Vec<String> {
    if n > d {
        return Vec::new();
    }
    vec![format!(
        "N = {n} ≤ d = {d}: the rank ratios are capped by N (taken against min(N−1, d) = {} \
         and min(N, d) = {n}); use more rows than columns to see all {d} dimensions",
        n.saturating_sub(1)
    )]
}

/// Both passes of [`Moments`] over the blocks of `z`.
pub fn moments(z: Rows) -> Result<Moments> {
    let mut first = MomentsPass1::new(z.dim().1);
    z.for_each_block(|b| first.add(b))?;
    let mut second = first.finish()?;
    z.for_each_block(|b| second.add(b))?;
    Ok(second.finish()?)
}
