//! Datasets: the synthetic content/style set, scikit-learn's bundled 8×8 digits, and user
//! arrays. Nothing is downloaded: data ship in the binary or are generated from the seed.
//!
//! Every dataset has a held-out probe set and a finite set of K probe transforms (fixed style
//! offsets, the 8 dihedral transforms of an image, fixed noise offsets), so that the entropy of
//! the transform is H(T) = ln K exactly.

pub mod digits;
pub mod file;
pub mod images;
pub mod rng;
pub mod synthetic;

use ib_estimators::cpu::with_simd;
use rand::Rng;

use rng::AugRng;

/// out_r = x_r + σ_n·n_r + Σ_s (σ_s·z_rs)·basis_s for each row r (D values), where z holds per
/// row the S style draws then the D noise draws and basis is S×D. Compiled for the CPU's widest
/// vector instructions ([`with_simd`]): the same arithmetic in the same order (Rust never
/// contracts into FMA), so bitwise the same result on every path.
fn style_shift<'a>(
    (out, len): (&mut [f32], usize),
    rows: impl Iterator<Item = &'a [f32]>,
    z: &[f32],
    basis: &[f32],
    stds: (f32, f32),
) {
    #[inline(always)]
    fn kernel<'a>(
        (out, len): (&mut [f32], usize),
        rows: impl Iterator<Item = &'a [f32]>,
        z: &[f32],
        basis: &[f32],
        (style, noise): (f32, f32),
    ) {
        let per_row = basis.len() / len + len;
        let mut shift = vec![0.0f32; basis.len() / len];
        for ((o, x), zr) in out
            .chunks_exact_mut(len)
            .zip(rows)
            .zip(z.chunks_exact(per_row))
        {
            let (zs, zn) = zr.split_at(per_row - len);
            shift.iter_mut().zip(zs).for_each(|(s, &v)| *s = style * v);
            // Blocks of 16 columns held in registers across the Σ_s loop, then the rest.
            const L: usize = 16;
            let blocked = len - len % L;
            for j in (0..blocked).step_by(L) {
                let mut acc = [0.0f32; L];
                for ((a, &xv), &nv) in acc.iter_mut().zip(&x[j..j + L]).zip(&zn[j..j + L]) {
                    *a = xv + noise * nv;
                }
                for (&sv, b) in shift.iter().zip(basis.chunks_exact(len)) {
                    acc.iter_mut()
                        .zip(&b[j..j + L])
                        .for_each(|(a, &bv)| *a += sv * bv);
                }
                o[j..j + L].copy_from_slice(&acc);
            }
            for ((ov, &xv), &nv) in o[blocked..]
                .iter_mut()
                .zip(&x[blocked..])
                .zip(&zn[blocked..])
            {
                *ov = xv + noise * nv;
            }
            for (&sv, b) in shift.iter().zip(basis.chunks_exact(len)) {
                o[blocked..]
                    .iter_mut()
                    .zip(&b[blocked..])
                    .for_each(|(ov, &bv)| *ov += sv * bv);
            }
        }
    }
    with_simd(
        #[inline(always)]
        || kernel((out, len), rows, z, basis, stds),
    )
}

/// The shape of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleShape {
    Vector {
        dim: usize,
    },
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
}

impl SampleShape {
    /// Number of values in one sample.
    pub fn len(&self) -> usize {
        match *self {
            SampleShape::Vector { dim } => dim,
            SampleShape::Image {
                channels,
                height,
                width,
            } => channels * height * width,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The sizes of a dataset that decide what a run allocates (`runner::budget`), known before the
/// data are generated ([`planned`]: synthetic, digits) or once a file is read
/// ([`Dataset::data_shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataShape {
    pub sample: SampleShape,
    pub n_train: usize,
    pub n_probe: usize,
    /// K, the number of probe transforms.
    pub k_views: usize,
    /// Whether labels exist (the kNN monitor then runs on a bank of training features).
    pub labels: bool,
}

/// The shape [`load`] will build for `cfg`, without generating or reading anything; `None` for
/// a file (its shape is in the file). Errors are the ones `load` would raise for these settings.
pub fn planned(cfg: &crate::config::DatasetConfig) -> anyhow::Result<Option<DataShape>> {
    use crate::config::DatasetKind;
    Ok(match cfg.kind {
        DatasetKind::Synthetic => Some(DataShape {
            sample: SampleShape::Vector {
                dim: synthetic::INPUT_DIM,
            },
            n_train: cfg.n_train,
            n_probe: cfg.n_probe,
            k_views: cfg.k_views,
            labels: true,
        }),
        DatasetKind::Digits => {
            digits::check(cfg.n_probe, cfg.k_views)?;
            Some(DataShape {
                sample: digits::SHAPE,
                n_train: digits::N_DIGITS - cfg.n_probe,
                n_probe: cfg.n_probe,
                k_views: cfg.k_views,
                labels: true,
            })
        }
        DatasetKind::File => None,
    })
}

/// Training augmentation.
#[derive(Debug, Clone)]
pub enum Augment {
    /// Synthetic data: style += N(0, σ_s²) along the style directions (row-major S × D), plus
    /// input noise N(0, σ_n²).
    Style {
        basis: Vec<f32>,
        style_std: f32,
        noise_std: f32,
    },
    /// Images: a random dihedral transform (if enabled), a random translation of up to `shift`
    /// pixels with zero fill, and pixel noise N(0, σ²).
    Image {
        dihedral: bool,
        shift: usize,
        noise_std: f32,
    },
    /// Plain vectors: noise N(0, σ²).
    Noise { noise_std: f32 },
}

/// The finite set of probe transforms.
#[derive(Debug, Clone)]
pub enum Probe {
    /// K fixed additive offsets (row-major K × D).
    Offsets(Vec<f32>),
    /// Dihedral transforms of an image, by index (see [`images::dihedral`]).
    Dihedral(Vec<usize>),
}

/// A dataset with its train/probe split, augmentation and probe transforms.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub shape: SampleShape,
    /// Training inputs, row-major n_train × shape.len().
    pub x_train: Vec<f32>,
    /// Labels of the training rows, when known (used only for the kNN monitor).
    pub y_train: Option<Vec<i64>>,
    /// Held-out probe inputs, row-major n_probe × shape.len().
    pub x_probe: Vec<f32>,
    pub y_probe: Option<Vec<i64>>,
    pub augment: Augment,
    pub probe: Probe,
}

impl Dataset {
    pub fn input_len(&self) -> usize {
        self.shape.len()
    }

    pub fn n_train(&self) -> usize {
        self.x_train.len() / self.input_len()
    }

    pub fn n_probe(&self) -> usize {
        self.x_probe.len() / self.input_len()
    }

    /// The sizes that decide what a run on these data allocates.
    pub fn data_shape(&self) -> DataShape {
        DataShape {
            sample: self.shape,
            n_train: self.n_train(),
            n_probe: self.n_probe(),
            k_views: self.k_views(),
            labels: self.y_train.is_some() && self.y_probe.is_some(),
        }
    }

    /// K, the number of probe transforms.
    pub fn k_views(&self) -> usize {
        match &self.probe {
            Probe::Offsets(o) => o.len() / self.input_len(),
            Probe::Dihedral(ts) => ts.len(),
        }
    }

    /// One augmented view of the training rows `idx`, row-major. Normal draws are σ·z with z
    /// from [`AugRng::fill_normal`] (style-shift data) or [`AugRng::normal`].
    pub fn augment(&self, idx: &[usize], rng: &mut AugRng) -> Vec<f32> {
        let len = self.input_len();
        if let Augment::Style {
            basis,
            style_std,
            noise_std,
        } = &self.augment
        {
            // All draws first, in the order of the per-row formula (S style draws, then D noise
            // draws, row after row), then the arithmetic in vectorised passes: per element the
            // same sums in the same order as style-then-noise-then-Σ_s.
            let per_row = basis.len() / len + len;
            let mut z = vec![0.0f32; idx.len() * per_row];
            rng.fill_normal(&mut z);
            // Gathered first: a plain copy lets the cache misses of the scattered rows overlap.
            let mut gathered = Vec::with_capacity(idx.len() * len);
            for &i in idx {
                gathered.extend_from_slice(&self.x_train[i * len..(i + 1) * len]);
            }
            let mut out = vec![0.0f32; idx.len() * len];
            let rows = gathered.chunks_exact(len);
            style_shift((&mut out, len), rows, &z, basis, (*style_std, *noise_std));
            return out;
        }
        let mut out = Vec::with_capacity(idx.len() * len);
        for &i in idx {
            let x = &self.x_train[i * len..(i + 1) * len];
            match &self.augment {
                Augment::Style { .. } => unreachable!("handled above"),
                Augment::Image {
                    dihedral,
                    shift,
                    noise_std,
                } => {
                    let SampleShape::Image {
                        channels,
                        height,
                        width,
                    } = self.shape
                    else {
                        unreachable!("image augmentation on image data only")
                    };
                    let t = if *dihedral {
                        let ts = images::shape_preserving(height, width);
                        ts[rng.random_range(0..ts.len())]
                    } else {
                        0
                    };
                    let img = images::dihedral(x, channels, height, width, t);
                    let s = *shift as i64;
                    let dy = rng.random_range(-s..=s);
                    let dx = rng.random_range(-s..=s);
                    let img = images::translate(&img, channels, height, width, dy, dx);
                    let noise = *noise_std;
                    out.extend(img.into_iter().map(|v| v + noise * rng.normal()));
                }
                Augment::Noise { noise_std } => {
                    let noise = *noise_std;
                    out.extend(x.iter().map(|v| v + noise * rng.normal()));
                }
            }
        }
        out
    }

    /// The K probe views of probe input `i`, concatenated (K × shape.len()).
    fn views_of(&self, x: &[f32]) -> Vec<f32> {
        match &self.probe {
            Probe::Offsets(offsets) => offsets
                .chunks_exact(x.len())
                .flat_map(|o| x.iter().zip(o).map(|(a, b)| a + b))
                .collect(),
            Probe::Dihedral(ts) => {
                let SampleShape::Image {
                    channels,
                    height,
                    width,
                } = self.shape
                else {
                    unreachable!("dihedral probe on image data only")
                };
                ts.iter()
                    .flat_map(|&t| images::dihedral(x, channels, height, width, t))
                    .collect()
            }
        }
    }

    /// Every probe input under every one of the K transforms: row-major (n_probe · K) × len,
    /// input-major (rows i·K .. i·K+K are the K views of probe input i).
    pub fn probe_views(&self) -> Vec<f32> {
        self.x_probe
            .chunks_exact(self.input_len())
            .flat_map(|x| self.views_of(x))
            .collect()
    }

    /// Fraction of probe inputs whose K transformed inputs are pairwise distinct (bit-exact).
    /// H(V|X) = H(T) = ln K can only hold for those.
    pub fn distinct_view_fraction(&self) -> f64 {
        let len = self.input_len();
        let n = self.n_probe();
        if n == 0 {
            return 0.0;
        }
        let distinct = self
            .x_probe
            .chunks_exact(len)
            .filter(|x| {
                let views = self.views_of(x);
                let v: Vec<&[f32]> = views.chunks_exact(len).collect();
                (0..v.len()).all(|a| (a + 1..v.len()).all(|b| v[a] != v[b]))
            })
            .count();
        distinct as f64 / n as f64
    }
}

/// Build the configured dataset.
pub fn load(cfg: &crate::config::DatasetConfig, seed: u64) -> anyhow::Result<Dataset> {
    use crate::config::DatasetKind;
    Ok(match cfg.kind {
        DatasetKind::Synthetic => synthetic::dataset(
            synthetic::SyntheticSpec {
                n_train: cfg.n_train,
                n_probe: cfg.n_probe,
                k_views: cfg.k_views,
                style_shift_std: cfg.style_shift_std,
                input_noise_std: cfg.input_noise_std,
            },
            seed,
        ),
        DatasetKind::Digits => digits::dataset(
            cfg.n_probe,
            cfg.k_views,
            Augment::Image {
                dihedral: cfg.image_dihedral,
                shift: cfg.image_shift_px,
                noise_std: cfg.image_noise_std as f32,
            },
            seed,
        )?,
        DatasetKind::File => {
            let Some(path) = cfg.path.as_deref() else {
                anyhow::bail!(
                    "dataset.kind = \"file\" needs dataset.path (or pass --dataset FILE.npy)"
                );
            };
            file::dataset(path, cfg, seed)?
        }
    })
}
