//! Eigenvalues of a symmetric tridiagonal matrix by the implicit QL algorithm with Wilkinson's
//! shift (Bowdler, Martin, Reinsch & Wilkinson, "The QR and QL algorithms for symmetric
//! matrices", Numer. Math. 11, 1968: EISPACK `tql1`). O(d²) operations, eigenvalues accurate
//! to a few units of `ε_mach · ‖T‖` in absolute terms.

/// Most QL iterations per eigenvalue before giving up (EISPACK allows 30).
const MAX_ITERATIONS: usize = 60;

/// `√(a² + b²)`: directly while the squares neither overflow nor underflow, else by
/// `f64::hypot` (several times slower, and this is the inner loop).
#[inline]
fn pythag(a: f64, b: f64) -> f64 {
    let s = a * a + b * b;
    if s.is_finite() && s >= 1e-290 {
        s.sqrt()
    } else {
        a.hypot(b)
    }
}

/// The eigenvalues of the symmetric tridiagonal matrix with diagonal `diag` and subdiagonal
/// `sub` (`sub.len() + 1 == diag.len()`, or both empty), in descending order. If the iteration
/// does not converge (not seen for finite input) or an entry is not finite, every value is NaN.
pub(crate) fn tridiagonal_eigenvalues(diag: &[f64], sub: &[f64]) -> Vec<f64> {
    let n = diag.len();
    assert!(
        sub.len() + 1 == n || (n == 0 && sub.is_empty()),
        "d diagonal and d − 1 subdiagonal entries"
    );
    let mut d = diag.to_vec();
    // e[i] couples i and i+1; e[n−1] = 0.
    let mut e: Vec<f64> = sub.iter().copied().chain(std::iter::once(0.0)).collect();
    if n == 0 {
        return d;
    }
    if !d.iter().chain(&e).all(|v| v.is_finite()) {
        return vec![f64::NAN; n];
    }
    // Couplings below ε·‖T‖ are negligible (EISPACK's test against a running norm, here the
    // whole matrix's ∞-norm): the eigenvalues are accurate to that absolute level anyway, and a
    // test relative to the neighbouring diagonal entries alone never passes inside a cluster of
    // (numerically) zero eigenvalues, whose entries are rounding noise of that level.
    let norm = (0..n)
        .map(|i| d[i].abs() + e[i].abs() + if i > 0 { e[i - 1].abs() } else { 0.0 })
        .fold(0.0f64, f64::max);
    let tiny = f64::EPSILON * norm;
    for l in 0..n {
        let mut iterations = 0;
        loop {
            // The first negligible coupling at or after l.
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd || e[m].abs() <= tiny {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > MAX_ITERATIONS {
                return vec![f64::NAN; n];
            }
            // Wilkinson's shift from the leading 2×2 block.
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = pythag(g, 1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = pythag(f, g);
                e[i + 1] = r;
                if r == 0.0 {
                    // Underflow: the matrix splits here.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    d.sort_by(|x, y| y.total_cmp(x));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_difference_matrix_has_its_known_eigenvalues() {
        // tridiag(−1, 2, −1) of order n: λ_k = 2 − 2 cos(kπ/(n+1)).
        for n in [1usize, 2, 3, 10, 257] {
            let l = tridiagonal_eigenvalues(&vec![2.0; n], &vec![-1.0; n - 1]);
            let mut want: Vec<f64> = (1..=n)
                .map(|k| 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos())
                .collect();
            want.sort_by(|x, y| y.total_cmp(x));
            for (a, b) in l.iter().zip(&want) {
                assert!((a - b).abs() < 1e-13, "n = {n}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn split_matrices_and_repeated_values() {
        let l = tridiagonal_eigenvalues(&[3.0, 3.0, 1.0, 1.0], &[0.0, 0.0, 0.0]);
        assert_eq!(l, vec![3.0, 3.0, 1.0, 1.0]);
        // [[1, 1], [1, 1]] ⊕ [5]: 2, 0 and 5.
        let l = tridiagonal_eigenvalues(&[1.0, 1.0, 5.0], &[1.0, 0.0]);
        assert!((l[0] - 5.0).abs() < 1e-15 && (l[1] - 2.0).abs() < 1e-15 && l[2].abs() < 1e-15);
        assert!(tridiagonal_eigenvalues(&[], &[]).is_empty());
    }

    #[test]
    fn extreme_scales_neither_overflow_nor_vanish() {
        for scale in [1e-200, 1e200] {
            let l = tridiagonal_eigenvalues(&[2.0 * scale, 2.0 * scale], &[scale]);
            assert!((l[0] / scale - 3.0).abs() < 1e-14 && (l[1] / scale - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn non_finite_input_gives_nan_and_terminates() {
        let l = tridiagonal_eigenvalues(&[1.0, f64::NAN, 2.0], &[1.0, 1.0]);
        assert!(l.iter().all(|v| v.is_nan()));
        let l = tridiagonal_eigenvalues(&[1.0, 2.0], &[f64::INFINITY]);
        assert!(l.iter().all(|v| v.is_nan()));
    }
}
