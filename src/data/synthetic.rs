//! The synthetic content/style data of DESIGN §7 (after the tiny CPU recipe of collapse.md §5.2).
//!
//! content c ∈ R⁸ = 2·prototype(y) + N(0, 0.5²) with 10 unit-norm class prototypes;
//! style s ∈ R²⁴ ~ N(0, 2²); x = M [c; s] ∈ R⁶⁴ with a fixed random orthonormal M (64 × 32).
//! Training augmentation shifts the style, s += N(0, σ_s²), and adds input noise N(0, σ_n²);
//! it keeps the class and perturbs the nuisance. The probe uses K fixed style offsets instead,
//! a finite set of equiprobable transforms, so that H(T) = ln K exactly.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use crate::config::DatasetConfig;

/// Input dimension.
pub const INPUT_DIM: usize = 64;
/// Content dimension.
pub const CONTENT_DIM: usize = 8;
/// Style dimension.
pub const STYLE_DIM: usize = 24;
/// Number of classes.
pub const N_CLASSES: usize = 10;

/// Generated train and probe sets with what is needed to augment them.
#[derive(Debug, Clone)]
pub struct SyntheticData {
    /// Clean training inputs, row-major n_train × 64.
    pub x_train: Vec<f32>,
    pub y_train: Vec<i64>,
    /// Clean probe inputs (held out), row-major n_probe × 64.
    pub x_probe: Vec<f32>,
    pub y_probe: Vec<i64>,
    /// Style directions: row-major 24 × 64 (the style columns of M, transposed).
    style_basis: Vec<f32>,
    /// The K probe transforms as input-space shifts, row-major K × 64.
    pub probe_shifts: Vec<f32>,
    pub k_views: usize,
    style_shift_std: f64,
    input_noise_std: f64,
}

impl SyntheticData {
    /// Draw the data set from `seed`.
    pub fn generate(cfg: &DatasetConfig, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_da7a);
        let normal = Normal::new(0.0f64, 1.0).expect("unit normal");
        let mixing = orthonormal_columns(&mut rng, INPUT_DIM, CONTENT_DIM + STYLE_DIM);
        let prototypes: Vec<Vec<f64>> = (0..N_CLASSES)
            .map(|_| {
                let v: Vec<f64> = (0..CONTENT_DIM).map(|_| normal.sample(&mut rng)).collect();
                let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                v.into_iter().map(|a| a / norm).collect()
            })
            .collect();
        let draw = |n: usize, rng: &mut StdRng| {
            let mut x = Vec::with_capacity(n * INPUT_DIM);
            let mut y = Vec::with_capacity(n);
            let mut latent = vec![0.0f64; CONTENT_DIM + STYLE_DIM];
            for _ in 0..n {
                let label = rng.random_range(0..N_CLASSES);
                for (j, l) in latent.iter_mut().enumerate() {
                    *l = if j < CONTENT_DIM {
                        2.0 * prototypes[label][j] + 0.5 * normal.sample(rng)
                    } else {
                        2.0 * normal.sample(rng)
                    };
                }
                for row in 0..INPUT_DIM {
                    let v: f64 = (0..latent.len())
                        .map(|j| mixing[row * latent.len() + j] * latent[j])
                        .sum();
                    x.push(v as f32);
                }
                y.push(label as i64);
            }
            (x, y)
        };
        let (x_train, y_train) = draw(cfg.n_train, &mut rng);
        let (x_probe, y_probe) = draw(cfg.n_probe, &mut rng);
        let width = CONTENT_DIM + STYLE_DIM;
        let mut style_basis = vec![0.0f32; STYLE_DIM * INPUT_DIM];
        for s in 0..STYLE_DIM {
            for row in 0..INPUT_DIM {
                style_basis[s * INPUT_DIM + row] = mixing[row * width + CONTENT_DIM + s] as f32;
            }
        }
        let mut probe_shifts = vec![0.0f32; cfg.k_views * INPUT_DIM];
        let offset = Normal::new(0.0, cfg.style_shift_std).expect("finite std");
        for k in 0..cfg.k_views {
            let o: Vec<f64> = (0..STYLE_DIM).map(|_| offset.sample(&mut rng)).collect();
            for row in 0..INPUT_DIM {
                probe_shifts[k * INPUT_DIM + row] = (0..STYLE_DIM)
                    .map(|s| o[s] * style_basis[s * INPUT_DIM + row] as f64)
                    .sum::<f64>() as f32;
            }
        }
        SyntheticData {
            x_train,
            y_train,
            x_probe,
            y_probe,
            style_basis,
            probe_shifts,
            k_views: cfg.k_views,
            style_shift_std: cfg.style_shift_std,
            input_noise_std: cfg.input_noise_std,
        }
    }

    pub fn n_train(&self) -> usize {
        self.y_train.len()
    }

    pub fn n_probe(&self) -> usize {
        self.y_probe.len()
    }

    /// One augmented view of the training rows `idx`: style shift + input noise, row-major.
    pub fn augment(&self, idx: &[usize], rng: &mut StdRng) -> Vec<f32> {
        let style = Normal::new(0.0f32, self.style_shift_std as f32).expect("finite std");
        let noise = Normal::new(0.0f32, self.input_noise_std as f32).expect("finite std");
        let mut out = Vec::with_capacity(idx.len() * INPUT_DIM);
        let mut shift = [0.0f32; STYLE_DIM];
        for &i in idx {
            for s in shift.iter_mut() {
                *s = style.sample(rng);
            }
            let x = &self.x_train[i * INPUT_DIM..(i + 1) * INPUT_DIM];
            for (row, &xv) in x.iter().enumerate() {
                let mut v = xv + noise.sample(rng);
                for (s, &sv) in shift.iter().enumerate() {
                    v += sv * self.style_basis[s * INPUT_DIM + row];
                }
                out.push(v);
            }
        }
        out
    }

    /// The probe inputs under every one of the K transforms: row-major (n_probe · K) × 64,
    /// input-major (rows i·K .. i·K+K are the K views of probe input i).
    pub fn probe_views(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.n_probe() * self.k_views * INPUT_DIM);
        for x in self.x_probe.chunks_exact(INPUT_DIM) {
            for shift in self.probe_shifts.chunks_exact(INPUT_DIM) {
                out.extend(x.iter().zip(shift).map(|(a, b)| a + b));
            }
        }
        out
    }
}

/// A rows × cols matrix (row-major) with orthonormal columns, by Gram–Schmidt on Gaussian draws.
fn orthonormal_columns(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<f64> {
    let normal = Normal::new(0.0f64, 1.0).expect("unit normal");
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(cols);
    while basis.len() < cols {
        let mut v: Vec<f64> = (0..rows).map(|_| normal.sample(rng)).collect();
        for _ in 0..2 {
            for b in &basis {
                let dot: f64 = v.iter().zip(b).map(|(a, c)| a * c).sum();
                v.iter_mut().zip(b).for_each(|(a, c)| *a -= dot * c);
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            basis.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    let mut m = vec![0.0; rows * cols];
    for (j, b) in basis.iter().enumerate() {
        for (i, &v) in b.iter().enumerate() {
            m[i * cols + j] = v;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;

    #[test]
    fn same_seed_same_data_and_shapes() {
        let cfg = RunConfig::default_config().dataset;
        let a = SyntheticData::generate(&cfg, 7);
        let b = SyntheticData::generate(&cfg, 7);
        let c = SyntheticData::generate(&cfg, 8);
        assert_eq!(a.x_train, b.x_train);
        assert_ne!(a.x_train, c.x_train);
        assert_eq!(a.x_train.len(), cfg.n_train * INPUT_DIM);
        assert_eq!(a.probe_views().len(), cfg.n_probe * cfg.k_views * INPUT_DIM);
    }

    #[test]
    fn mixing_is_orthonormal() {
        let mut rng = StdRng::seed_from_u64(3);
        let m = orthonormal_columns(&mut rng, 64, 32);
        for a in 0..32 {
            for b in 0..32 {
                let dot: f64 = (0..64).map(|r| m[r * 32 + a] * m[r * 32 + b]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "({a},{b}) {dot}");
            }
        }
    }

    #[test]
    fn augmentation_moves_only_style_and_noise() {
        let mut cfg = RunConfig::default_config().dataset;
        cfg.input_noise_std = 0.0;
        let data = SyntheticData::generate(&cfg, 1);
        let mut rng = StdRng::seed_from_u64(0);
        let view = data.augment(&[0], &mut rng);
        // The difference lies in the span of the style basis: projecting it on the style
        // directions recovers its whole norm.
        let diff: Vec<f32> = view
            .iter()
            .zip(&data.x_train[..INPUT_DIM])
            .map(|(a, b)| a - b)
            .collect();
        let total: f32 = diff.iter().map(|a| a * a).sum();
        let in_style: f32 = (0..STYLE_DIM)
            .map(|s| {
                let dot: f32 = (0..INPUT_DIM)
                    .map(|r| diff[r] * data.style_basis[s * INPUT_DIM + r])
                    .sum();
                dot * dot
            })
            .sum();
        assert!(total > 1.0);
        assert!(
            (total - in_style).abs() < 1e-3 * total,
            "{total} vs {in_style}"
        );
    }
}
