//! scikit-learn's bundled 8×8 handwritten digits (1797 images, `data/digits.csv.gz`, compiled
//! into the binary; see data/README.md for the source and license). Pixels 0..16 are scaled to
//! [0, 1]. A seeded shuffle splits off the probe set.

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::io::Read;

use super::{Augment, Dataset, Probe, SampleShape};

static DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Number of images in the set.
pub const N_DIGITS: usize = 1797;

/// Pixels (row-major, 64 per image, scaled to [0, 1]) and labels of all 1797 digits.
pub fn load_all() -> Result<(Vec<f32>, Vec<i64>)> {
    let mut text = String::new();
    GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .context("the bundled digits.csv.gz is corrupt")?;
    let mut x = Vec::with_capacity(N_DIGITS * 64);
    let mut y = Vec::with_capacity(N_DIGITS);
    for (line_no, line) in text.lines().enumerate() {
        let values: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("digits.csv.gz line {}", line_no + 1))?;
        if values.len() != 65 {
            bail!(
                "digits.csv.gz line {}: {} values, expected 65",
                line_no + 1,
                values.len()
            );
        }
        x.extend(values[..64].iter().map(|v| v / 16.0));
        y.push(values[64] as i64);
    }
    if y.len() != N_DIGITS {
        bail!("digits.csv.gz holds {} rows, expected {N_DIGITS}", y.len());
    }
    Ok((x, y))
}

/// The shape of one image: 1 × 8 × 8.
pub const SHAPE: SampleShape = SampleShape::Image {
    channels: 1,
    height: 8,
    width: 8,
};

/// The settings [`dataset`] accepts: a probe that leaves at least two training images (a
/// training batch is batch-normalised), 1 ≤ K ≤ 8.
pub fn check(n_probe: usize, k_views: usize) -> Result<()> {
    if n_probe > N_DIGITS - 2 {
        bail!(
            "dataset.n_probe = {n_probe} leaves fewer than 2 training images (digits has {N_DIGITS}): \
             use at most {}",
            N_DIGITS - 2
        );
    }
    if !(1..=8).contains(&k_views) {
        bail!("dataset.k_views = {k_views}: image probes use the first K of the 8 dihedral transforms, 1 ≤ K ≤ 8");
    }
    Ok(())
}

/// Build the digits dataset: `n_probe` held-out images (seeded shuffle), the rest for training.
pub fn dataset(n_probe: usize, k_views: usize, augment: Augment, seed: u64) -> Result<Dataset> {
    check(n_probe, k_views)?;
    let (x, y) = load_all()?;
    let mut order: Vec<usize> = (0..N_DIGITS).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed ^ 0xd1_9175));
    let (probe_idx, train_idx) = order.split_at(n_probe);
    let take = |idx: &[usize]| -> (Vec<f32>, Vec<i64>) {
        (
            idx.iter()
                .flat_map(|&i| x[i * 64..(i + 1) * 64].iter().copied())
                .collect(),
            idx.iter().map(|&i| y[i]).collect(),
        )
    };
    let (x_train, y_train) = take(train_idx);
    let (x_probe, y_probe) = take(probe_idx);
    Ok(Dataset {
        name: "digits".into(),
        shape: SHAPE,
        x_train,
        y_train: Some(y_train),
        x_probe,
        y_probe: Some(y_probe),
        augment,
        probe: Probe::Dihedral((0..k_views).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_digits_load_with_ten_balanced_classes() {
        let (x, y) = load_all().unwrap();
        assert_eq!(x.len(), N_DIGITS * 64);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
        let mut counts = [0usize; 10];
        for &l in &y {
            counts[l as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (170..=190).contains(&c)),
            "{counts:?}"
        );
    }
}
