//! Image transforms on row-major C × H × W samples.

/// The dihedral transforms that keep an H × W image's shape: all 8 for a square image, the
/// four of {identity, half turn, horizontal flip, vertical flip} otherwise.
pub fn shape_preserving(height: usize, width: usize) -> Vec<usize> {
    if height == width {
        (0..8).collect()
    } else {
        vec![0, 2, 4, 6]
    }
}

/// The t-th of the 8 dihedral transforms: rotation by 90°·(t mod 4) counter-clockwise, then a
/// horizontal flip when t ≥ 4. t = 0 is the identity. Quarter turns (t mod 4 odd) need a square
/// image; see [`shape_preserving`].
pub fn dihedral(x: &[f32], channels: usize, height: usize, width: usize, t: usize) -> Vec<f32> {
    assert!(
        height == width || t.is_multiple_of(2),
        "quarter turns need square images"
    );
    let (h, w) = (height, width);
    let mut out = vec![0.0; x.len()];
    for c in 0..channels {
        let plane = &x[c * h * w..(c + 1) * h * w];
        let dst = &mut out[c * h * w..(c + 1) * h * w];
        for i in 0..h {
            for j in 0..w {
                // Output pixel (i, j) reads input pixel (si, sj).
                let (i2, j2) = if t >= 4 { (i, w - 1 - j) } else { (i, j) };
                let (si, sj) = match t % 4 {
                    0 => (i2, j2),
                    1 => (j2, w - 1 - i2),
                    2 => (h - 1 - i2, w - 1 - j2),
                    _ => (h - 1 - j2, i2),
                };
                dst[i * w + j] = plane[si * w + sj];
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
    fn non_square_images_keep_their_shape_under_the_four_shape_preserving_transforms() {
        let x: Vec<f32> = (0..6).map(|v| v as f32).collect(); // 2 × 3: [[0,1,2],[3,4,5]]
        let ts = shape_preserving(2, 3);
        let all: Vec<Vec<f32>> = ts.iter().map(|&t| dihedral(&x, 1, 2, 3, t)).collect();
        assert_eq!(all[1], vec![5.0, 4.0, 3.0, 2.0, 1.0, 0.0]); // half turn
        assert_eq!(all[2], vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]); // horizontal flip
        assert_eq!(all[3], vec![3.0, 4.0, 5.0, 0.0, 1.0, 2.0]); // vertical flip
    }

    #[test]
    fn translation_moves_pixels_and_fills_zeros() {
        let x: Vec<f32> = (1..=4).map(|v| v as f32).collect(); // [[1,2],[3,4]]
        assert_eq!(translate(&x, 1, 2, 2, 0, 1), vec![0.0, 1.0, 0.0, 3.0]);
        assert_eq!(translate(&x, 1, 2, 2, 1, 0), vec![0.0, 0.0, 1.0, 2.0]);
    }
}
