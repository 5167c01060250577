//! User data: `.npy`/`.npz`/`.safetensors`/`.csv` arrays of N×D rows or N×C×H×W images, with
//! optional labels (used only for the kNN monitor). The probe set is `dataset.n_probe` rows,
//! at most a quarter of the file.
//!
//! Rows are standardised per column (constant columns are only centred); their augmentation is
//! Gaussian noise N(0, σ²) with σ = `dataset.vector_noise_std`, and their K probe transforms are K
//! fixed offsets drawn from the same distribution. Images keep their values; they get the image
//! augmentations and the first K shape-preserving dihedral transforms as the probe.

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

use super::{images, Augment, Dataset, Probe, SampleShape};
use crate::config::DatasetConfig;
use crate::files::shown;
use crate::input::{self, InputSpec};

/// Load `path` (PATH or PATH:KEY) as a training set, split off the probe with a seeded shuffle.
pub fn dataset(path: &str, cfg: &DatasetConfig, seed: u64) -> Result<Dataset> {
    // Paths are quoted with control characters escaped (they come from the command line or
    // the config).
    let shown_path = shown(path);
    let spec =
        InputSpec::parse(path).with_context(|| format!("dataset.path / --dataset {shown_path}"))?;
    let data = input::read_dataset(&spec, false)?;
    let n = data.len();
    let shape = match data.sample_shape().as_slice() {
        [d] => SampleShape::Vector { dim: *d },
        [c, h, w] => SampleShape::Image {
            channels: *c,
            height: *h,
            width: *w,
        },
        other => bail!("'{shown_path}': unsupported sample shape {other:?}"),
    };
    let labels = match cfg.labels.as_deref() {
        Some(l) => {
            let lspec = InputSpec::parse(l)
                .with_context(|| format!("dataset.labels / --labels {}", shown(l)))?;
            let labels = input::read_labels(&lspec)?;
            if labels.len() != n {
                bail!(
                    "'{}' holds {} labels but '{shown_path}' has {n} rows: labels must be paired with the rows",
                    shown(l),
                    labels.len()
                );
            }
            Some(labels)
        }
        None => None,
    };
    // The probe takes at most a quarter of the rows, so that the default works on small files.
    let n_probe = cfg.n_probe.min(n / 4);
    if n_probe < 2 {
        bail!(
            "'{shown_path}' has {n} rows: at least 8 are needed (a quarter goes to the probe set)"
        );
    }
    let mut x: Vec<f32> = data.into_matrix().iter().map(|&v| v as f32).collect();
    let len = shape.len();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xf11e);
    let (augment, probe) = match shape {
        SampleShape::Vector { dim } => {
            standardise_columns(&mut x, dim);
            let sigma = cfg.vector_noise_std as f32;
            let normal = Normal::new(0.0f32, sigma).context("dataset.vector_noise_std")?;
            // K offsets of `dim` values: refused, not aborted, when they cannot be held.
            let count = cfg.k_views.checked_mul(dim);
            let mut offsets: Vec<f32> = Vec::new();
            if count.is_none_or(|c| offsets.try_reserve_exact(c).is_err()) {
                bail!(
                    "dataset.k_views = {} probe offsets of {dim} values each cannot be held in \
                     memory: use a smaller dataset.k_views",
                    cfg.k_views
                );
            }
            offsets.extend((0..count.unwrap_or(0)).map(|_| normal.sample(&mut rng)));
            (Augment::Noise { noise_std: sigma }, Probe::Offsets(offsets))
        }
        SampleShape::Image { height, width, .. } => {
            let ts = images::shape_preserving(height, width);
            if cfg.k_views < 1 {
                bail!("dataset.k_views must be at least 1");
            }
            let k = cfg.k_views.min(ts.len());
            if k < cfg.k_views {
                eprintln!(
                    "note: {height}×{width} images have {} shape-preserving dihedral transforms: the probe uses K = {k} (dataset.k_views = {})",
                    ts.len(),
                    cfg.k_views
                );
            }
            (
                Augment::Image {
                    dihedral: cfg.image_dihedral,
                    shift: cfg.image_shift_px,
                    noise_std: cfg.image_noise_std as f32,
                },
                Probe::Dihedral(ts[..k].to_vec()),
            )
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let (probe_idx, train_idx) = order.split_at(n_probe);
    let rows = |idx: &[usize]| -> Vec<f32> {
        idx.iter()
            .flat_map(|&i| x[i * len..(i + 1) * len].iter().copied())
            .collect()
    };
    let pick = |idx: &[usize]| {
        labels
            .as_ref()
            .map(|l| idx.iter().map(|&i| l[i]).collect::<Vec<_>>())
    };
    let name = spec.tensor_name();
    Ok(Dataset {
        name,
        shape,
        x_train: rows(train_idx),
        y_train: pick(train_idx),
        x_probe: rows(probe_idx),
        y_probe: pick(probe_idx),
        augment,
        probe,
    })
}

/// Standardise each column of a row-major N × d matrix in place (constant columns: centred only).
fn standardise_columns(x: &mut [f32], d: usize) {
    let n = x.len() / d;
    for j in 0..d {
        let mean = (0..n).map(|i| x[i * d + j] as f64).sum::<f64>() / n as f64;
        let var = (0..n)
            .map(|i| (x[i * d + j] as f64 - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        let scale = if var > 0.0 { 1.0 / var.sqrt() } else { 1.0 };
        for i in 0..n {
            x[i * d + j] = ((x[i * d + j] as f64 - mean) * scale) as f32;
        }
    }
}
