//! Image transforms on row-major C × H × W samples.

/// The t-th of the 8 dihedral transforms of a square image: rotation by 90°·(t mod 4)
/// counter-clockwise, then a horizontal flip when t ≥ 4. t = 0 is the identity.
pub fn dihedral(x: &[f32], channels: usize, height: usize, width: usize, t: usize) -> Vec<f32> {
    assert_eq!(height, width, "dihedral transforms need square images");
    let n = height;
    let mut out = vec![0.0; x.len()];
    for c in 0..channels {
        let plane = &x[c * n * n..(c + 1) * n * n];
        let dst = &mut out[c * n * n..(c + 1) * n * n];
        for i in 0..n {
            for j in 0..n {
                // Output pixel (i, j) reads input pixel (si, sj).
                let (i2, j2) = if t >= 4 { (i, n - 1 - j) } else { (i, j) };
                let (si, sj) = match t % 4 {
                    0 => (i2, j2),
                    1 => (j2, n - 1 - i2),
                    2 => (n - 1 - i2, n - 1 - j2),
                    _ => (n - 1 - j2, i2),
                };
                dst[i * n + j] = plane[si * n + sj];
            }
        }
    }
    out
}

/// Translate by (dy, dx) pixels, filling with zeros.
pub fn translate(
    x: &[f32],
    channels: usize,
    height: usize,
    width: usize,
    dy: i64,
    dx: i64,
) -> Vec<f32> {
    if dy == 0 && dx == 0 {
        return x.to_vec();
    }
    let mut out = vec![0.0; x.len()];
    let (h, w) = (height as i64, width as i64);
    for c in 0..channels {
        for i in 0..h {
            let si = i - dy;
            if !(0..h).contains(&si) {
                continue;
            }
            for j in 0..w {
                let sj = j - dx;
                if (0..w).contains(&sj) {
                    out[(c as i64 * h * w + i * w + j) as usize] =
                        x[(c as i64 * h * w + si * w + sj) as usize];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_dihedral_transforms_of_an_asymmetric_image_are_distinct_and_a_group() {
        let x: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let all: Vec<Vec<f32>> = (0..8).map(|t| dihedral(&x, 1, 3, 3, t)).collect();
        for a in 0..8 {
            for b in a + 1..8 {
                assert_ne!(all[a], all[b], "{a} and {b}");
            }
            // Closed under composition: transforming a transform gives one of the eight.
            for t in 0..8 {
                assert!(all.contains(&dihedral(&all[a], 1, 3, 3, t)));
            }
        }
        assert_eq!(all[0], x);
        // Four quarter turns are the identity.
        let mut y = x.clone();
        for _ in 0..4 {
            y = dihedral(&y, 1, 3, 3, 1);
        }
        assert_eq!(y, x);
    }

    #[test]
    fn translation_moves_pixels_and_fills_zeros() {
        let x: Vec<f32> = (1..=4).map(|v| v as f32).collect(); // [[1,2],[3,4]]
        assert_eq!(translate(&x, 1, 2, 2, 0, 1), vec![0.0, 1.0, 0.0, 3.0]);
        assert_eq!(translate(&x, 1, 2, 2, 1, 0), vec![0.0, 0.0, 1.0, 2.0]);
    }
}
