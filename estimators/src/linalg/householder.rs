//! Householder reflectors `H = I − τ v vᵀ` (v₀ = 1) for the two-stage tridiagonalisation
//! ([`super::band`], [`super::bulge_chase`]); the convention of LAPACK's `dlarfg`
//! (Golub & Van Loan, *Matrix Computations*, 4th ed., §5.1.2).

/// A reflector `H = I − τ v vᵀ` with `H x = β e₁`; `v` is stored without its leading 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reflector {
    /// τ ∈ [1, 2], or 0 when x already is a multiple of e₁ (H = I).
    pub tau: f64,
    /// The first entry of `H x`: `−sign(x₀)·‖x‖₂`, or x₀ when τ = 0.
    pub beta: f64,
}

/// ‖x‖₂ without overflow or underflow for any finite x (scaled by the largest |xᵢ|).
pub(crate) fn norm2(x: &[f64]) -> f64 {
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        return max;
    }
    let inv = 1.0 / max;
    let s: f64 = x.iter().map(|v| (v * inv) * (v * inv)).sum();
    max * s.sqrt()
}

/// Turns `x` into the reflector that maps it to `β e₁`: on return `x[1..]` holds `v[1..]`
/// (v₀ = 1 implied) and `x[0]` holds β. x = 0 (or already β e₁) gives τ = 0.
pub(crate) fn make_reflector(x: &mut [f64]) -> Reflector {
    let Some((&alpha, tail)) = x.split_first() else {
        return Reflector {
            tau: 0.0,
            beta: 0.0,
        };
    };
    let tail_norm = norm2(tail);
    if tail_norm == 0.0 {
        return Reflector {
            tau: 0.0,
            beta: alpha,
        };
    }
    let norm = norm2(&[alpha, tail_norm]);
    let beta = if alpha >= 0.0 { -norm } else { norm };
    let tau = (beta - alpha) / beta;
    let scale = 1.0 / (alpha - beta);
    for v in x[1..].iter_mut() {
        *v *= scale;
    }
    x[0] = beta;
    Reflector { tau, beta }
}

/// `Σᵢ aᵢ bᵢ` over the common length, summed in 8 interleaved partial sums (a fixed order, so
/// that the loop vectorises and the bits do not depend on the machine's vector width).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y −= s·x` over the common length.
#[inline(always)]
pub(crate) fn axpy(s: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y -= s * x;
    }
}

/// `Σᵢ vᵢ yᵢ` with v₀ = 1 implied: `v_tail` = v[1..], `y` the full vector.
#[inline(always)]
pub(crate) fn dot_unit(v_tail: &[f64], y: &[f64]) -> f64 {
    y[0] + dot(v_tail, &y[1..])
}

/// `y −= s·v` with v₀ = 1 implied.
#[inline(always)]
pub(crate) fn axpy_unit(s: f64, v_tail: &[f64], y: &mut [f64]) {
    y[0] -= s;
    axpy(s, v_tail, &mut y[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reflector_maps_x_to_beta_e1_and_is_orthogonal() {
        for x0 in [
            vec![3.0, 4.0],
            vec![-1.0, 2.0, -2.0],
            vec![1e-200, 3e-200, 0.0, -4e-200],
            vec![1e200, -1e200, 1e200],
            vec![0.0, 0.0, 5.0],
        ] {
            let mut x = x0.clone();
            let r = make_reflector(&mut x);
            let (beta, v_tail) = (x[0], x[1..].to_vec());
            assert_eq!(beta, r.beta);
            assert!((beta.abs() - norm2(&x0)).abs() <= 1e-15 * norm2(&x0));
            // H x0 = x0 − τ (vᵀ x0) v
            let s = r.tau * dot_unit(&v_tail, &x0);
            let mut hx = x0.clone();
            axpy_unit(s, &v_tail, &mut hx);
            assert!((hx[0] - beta).abs() <= 1e-15 * beta.abs(), "{x0:?}");
            for v in &hx[1..] {
                assert!(v.abs() <= 1e-15 * beta.abs(), "{x0:?}: {hx:?}");
            }
            // Orthogonal: τ (vᵀv) = 2 for a proper reflector.
            let vtv = 1.0 + v_tail.iter().map(|v| v * v).sum::<f64>();
            assert!((r.tau * vtv - 2.0).abs() < 1e-14);
        }
    }

    #[test]
    fn a_multiple_of_e1_and_zero_give_the_identity() {
        let mut x = vec![-2.0, 0.0, 0.0];
        let r = make_reflector(&mut x);
        assert_eq!((r.tau, r.beta), (0.0, -2.0));
        let mut z = vec![0.0; 4];
        assert_eq!(make_reflector(&mut z).tau, 0.0);
        assert_eq!(norm2(&[]), 0.0);
    }
}
