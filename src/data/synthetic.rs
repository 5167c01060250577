//! The synthetic content/style data of ARCHITECTURE.md §7.
//!
//! content c ∈ R⁸ = 2·prototype(y) + N(0, 0.5²) with 10 unit-norm class prototypes;
//! style s ∈ R²⁴ ~ N(0, 2²); x = M [c; s] ∈ R⁶⁴ with a fixed random orthonormal M (64 × 32).
//! Training augmentation shifts the style, s += N(0, σ_s²), and adds input noise N(0, σ_n²);
//! it keeps the class and perturbs the nuisance. The probe uses K fixed style offsets instead,
//! a finite set of equiprobable transforms, so that H(T) = ln K exactly.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::{Augment, Dataset, Probe, SampleShape};

/// Input dimension.
pub const INPUT_DIM: usize = 64;
/// Content dimension.
pub const CONTENT_DIM: usize = 8;
/// Style dimension.
pub const STYLE_DIM: usize = 24;
/// Number of classes.
pub const N_CLASSES: usize = 10;

/// Parameters of the generator.
#[derive(Debug, Clone, Copy)]
pub struct SyntheticSpec {
    pub n_train: usize,
    pub n_probe: usize,
    pub k_views: usize,
    /// Std of the style shift of the training augmentation and of the K probe offsets.
    pub style_shift_std: f64,
    pub input_noise_std: f64,
}

/// Draw the data set from `seed`.
pub fn dataset(spec: SyntheticSpec, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_da7a);
    let normal = Normal::new(0.0f64, 1.0).expect("unit normal");
    let width = CONTENT_DIM + STYLE_DIM;
    let mixing = orthonormal_columns(&mut rng, INPUT_DIM, width);
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
        let mut latent = vec![0.0f64; width];
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
                let v: f64 = (0..width)
                    .map(|j| mixing[row * width + j] * latent[j])
                    .sum();
                x.push(v as f32);
            }
            y.push(label as i64);
        }
        (x, y)
    };
    let (x_train, y_train) = draw(spec.n_train, &mut rng);
    let (x_probe, y_probe) = draw(spec.n_probe, &mut rng);
    let mut basis = vec![0.0f32; STYLE_DIM * INPUT_DIM];
    for s in 0..STYLE_DIM {
        for row in 0..INPUT_DIM {
            basis[s * INPUT_DIM + row] = mixing[row * width + CONTENT_DIM + s] as f32;
        }
    }
    let mut offsets = vec![0.0f32; spec.k_views * INPUT_DIM];
    let offset = Normal::new(0.0, spec.style_shift_std).expect("finite std");
    for k in 0..spec.k_views {
        let o: Vec<f64> = (0..STYLE_DIM).map(|_| offset.sample(&mut rng)).collect();
        for row in 0..INPUT_DIM {
            offsets[k * INPUT_DIM + row] = (0..STYLE_DIM)
                .map(|s| o[s] * basis[s * INPUT_DIM + row] as f64)
                .sum::<f64>() as f32;
        }
    }
    Dataset {
        name: "synthetic-content-style".into(),
        shape: SampleShape::Vector { dim: INPUT_DIM },
        x_train,
        y_train: Some(y_train),
        x_probe,
        y_probe: Some(y_probe),
        augment: Augment::Style {
            basis,
            style_std: spec.style_shift_std as f32,
            noise_std: spec.input_noise_std as f32,
        },
        probe: Probe::Offsets(offsets),
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
    use crate::data::rng::AugRng;

    fn spec() -> SyntheticSpec {
        SyntheticSpec {
            n_train: 512,
            n_probe: 64,
            k_views: 8,
            style_shift_std: 3.0,
            input_noise_std: 0.0,
        }
    }

    #[test]
    fn same_seed_same_data_and_shapes() {
        let a = dataset(spec(), 7);
        let b = dataset(spec(), 7);
        let c = dataset(spec(), 8);
        assert_eq!(a.x_train, b.x_train);
        assert_ne!(a.x_train, c.x_train);
        assert_eq!(a.n_train(), 512);
        assert_eq!(a.k_views(), 8);
        assert_eq!(a.probe_views().len(), 64 * 8 * INPUT_DIM);
        assert_eq!(a.distinct_view_fraction(), 1.0);
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
    fn augmentation_moves_only_style() {
        let data = dataset(spec(), 1);
        let Augment::Style { basis, .. } = &data.augment else {
            panic!()
        };
        let mut rng = AugRng::seed_from_u64(0);
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
                    .map(|r| diff[r] * basis[s * INPUT_DIM + r])
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

    #[test]
    fn augmentation_is_bitwise_the_reference_formula() {
        // The element-by-element formula the vectorised augmentation must reproduce exactly:
        // style shift drawn first, then per element x + noise + Σ_s shift_s·basis_s in order.
        let data = dataset(spec(), 4);
        let Augment::Style {
            basis,
            style_std,
            noise_std,
        } = data.augment.clone()
        else {
            panic!()
        };
        let noise_std = noise_std.max(0.1);
        let data = Dataset {
            augment: Augment::Style {
                basis: basis.clone(),
                style_std,
                noise_std,
            },
            ..data
        };
        let idx = [3usize, 0, 7, 3];
        let got = data.augment(&idx, &mut AugRng::seed_from_u64(9));
        let mut rng = AugRng::seed_from_u64(9);
        let mut z = vec![0.0f32; idx.len() * (STYLE_DIM + INPUT_DIM)];
        rng.fill_normal(&mut z);
        let mut z = z.into_iter();
        let mut want = Vec::new();
        for &i in &idx {
            let x = &data.x_train[i * INPUT_DIM..(i + 1) * INPUT_DIM];
            let shift: Vec<f32> = (0..STYLE_DIM)
                .map(|_| style_std * z.next().unwrap())
                .collect();
            for (row, &xv) in x.iter().enumerate() {
                let mut v = xv + noise_std * z.next().unwrap();
                for (s, &sv) in shift.iter().enumerate() {
                    v += sv * basis[s * INPUT_DIM + row];
                }
                want.push(v);
            }
        }
        let bits = |v: &[f32]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
    }
}
