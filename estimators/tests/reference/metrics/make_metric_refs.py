#!/usr/bin/env python3
"""Reference values of the collapse-metric panel (α-ReQ, LiDAR, alignment, uniformity, TwoNN,
NC1), an implementation in numpy (float64) written from the metrics' definitions in
ARCHITECTURE.md §4 and the papers, independent of the crate's code.

Writes, next to this script:
  data/<name>.csv          one float64 matrix per dataset (header row; every value is the shortest
                           round-trip repr, so `str::parse::<f64>` gives the exact doubles).
                           Rows datasets hold N×d; views datasets hold N′·K rows, row i·K + a
                           being view a of input i (K is in refs.json).
  data/<name>_labels.csv   integer class labels (header `label`), for the NC1 datasets
  refs.json                dataset descriptions and the expected value of every metric
and, with --fixture DIR, the CLI fixture of exported embeddings (emb.npy float32 600×256,
views.npy float32 150×4×256, labels.npy int64 600, expected.json) into DIR.

Usage (pinned environment: requirements-metrics.txt, Python 3.11):
  python make_metric_refs.py                         # rewrite data/ and refs.json
  python make_metric_refs.py --check                 # recompute, compare with the files on disk
  python make_metric_refs.py --fixture ../../../../tests/data/panel [--check]

Definitions (nats; i, j 1-based ranks; "spec" below):
  α-ReQ (Agrawal et al., NeurIPS 2022): λ_1 ≥ λ_2 ≥ … eigenvalues of the covariance of the centred
    Z (divisor N−1), ranks i = 1..min(N−1, d), dropping λ_i ≤ 1e-12·λ_1 (the others keep their
    rank i); OLS of ln λ_i on ln i with an intercept; alpha = −slope, r2 = R² of the fit.
  LiDAR (Thilak et al., ICLR 2024): μ_i mean of input i's K views, μ mean of the μ_i;
    Σ_b = Σ_i (μ_i − μ)(μ_i − μ)ᵀ/(N′−1); Σ_w = Σ_i Σ_a (v_ia − μ_i)(v_ia − μ_i)ᵀ/(N′(K−1)) + δI,
    δ = 1e-6; Σ_lidar = Σ_w^{−½} Σ_b Σ_w^{−½}; lidar = exp(−Σ p_k ln p_k), p_k = λ_k/Σ_j λ_j + 1e-7
    over the d eigenvalues of Σ_lidar clipped at 0.
  alignment (Wang & Isola, ICML 2020, α = 2): mean over inputs and unordered view pairs a < b of
    ‖u_ia − u_ib‖², u = v/‖v‖; inputs with a zero view are skipped.
  uniformity (same paper, t = 2): ln of the mean over unordered pairs i < j of exp(−2‖u_i − u_j‖²)
    (log-sum-exp), u = rows/‖row‖; zero rows are left out.
  TwoNN (Facco et al., Sci. Rep. 2017): μ_i = r₂/r₁ (Euclidean, itself excluded); points with
    r₁ = 0 dropped; the M remaining μ sorted; the first k = int(M·(1 − 0.1)) kept;
    F_j = j/M for j = 1..k (the empirical CDF at the j-th smallest μ, as in the paper and in
    scikit-dimension ≥ 0.3.7); dimension = Σ x_j y_j / Σ x_j², x_j = ln μ_(j), y_j = −ln(1 − F_j).
    The variant with F_j = (j−1)/M (scikit-dimension ≤ 0.3.4) is recorded as
    `zero_based_variant` for comparison only.
  NC1 (Papyan, Han & Donoho, PNAS 2020): Σ_W = Σ_c Σ_{i∈c}(z_i − μ_c)(z_i − μ_c)ᵀ/N,
    Σ_B = Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ/C with μ_G the global mean of all rows (the paper's μ_G);
    nc1 = tr(Σ_W Σ_B⁺)/C, the pseudo-inverse dropping eigenvalues ≤ 1e-10·max. The variant with μ
    the unweighted mean of the class means is recorded as `class_mean_variant`.
  Isotropic uniformity: −4 + ln ₀F₁(; d/2; 4), the t = 2 uniformity of the uniform distribution
    on S^{d−1} (E over independent pairs), summed as a power series.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_OFFSET = 700000  # added to every data-generation seed
ROUND_DECIMALS = 9  # reference data are rounded to a 1e-9 grid (short, exact CSV reprs)
ALPHA_REQ_DROP = 1e-12
LIDAR_DELTA = 1e-6
LIDAR_EPS = 1e-7
UNIFORMITY_T = 2.0
TWONN_DISCARD = 0.1
NC1_PINV_TOL = 1e-10
ISOTROPIC_DIMS = (1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 2048)


def rng_for(base: int) -> np.random.Generator:
    return np.random.default_rng(int(base) + SEED_OFFSET)


# ----------------------------------------------------------------------------------------
# spec
# ----------------------------------------------------------------------------------------

def covariance_spectrum(Z: np.ndarray) -> np.ndarray:
    """λ_1 ≥ … of the covariance (divisor N−1) of the centred Z, the first min(N−1, d)."""
    n, d = Z.shape
    Zc = Z - Z.mean(axis=0)
    s = np.linalg.svd(Zc, compute_uv=False)
    return (s * s / (n - 1))[: min(n - 1, d)]


def alpha_req(Z: np.ndarray) -> dict:
    lam = covariance_spectrum(Z)
    ranks = np.arange(1, len(lam) + 1)
    keep = lam > ALPHA_REQ_DROP * lam[0]
    i, l = ranks[keep], lam[keep]
    if len(i) < 2:
        raise ValueError("fewer than 2 eigenvalues above the drop threshold")
    x, y = np.log(i.astype(np.float64)), np.log(l)
    xm, ym = x.mean(), y.mean()
    sxx = np.sum((x - xm) ** 2)
    slope = np.sum((x - xm) * (y - ym)) / sxx
    intercept = ym - slope * xm
    ss_tot = np.sum((y - ym) ** 2)
    ss_res = np.sum((y - intercept - slope * x) ** 2)
    r2 = None if ss_tot == 0 else float(1.0 - ss_res / ss_tot)
    # cross-check: numpy's least squares on the same points
    A = np.column_stack([np.ones_like(x), x])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    # cross-check: eigenvalues of the covariance matrix itself
    lam_eigh = np.sort(np.linalg.eigvalsh(np.cov(Z, rowvar=False)))[::-1][: len(lam)] \
        if Z.shape[1] > 1 else np.atleast_1d(np.cov(Z, rowvar=False))
    return {
        "value": float(-slope), "r2": r2, "intercept": float(intercept),
        "first_rank": int(i[0]), "last_rank": int(i[-1]), "points": int(len(i)),
        "eigenvalues_total": int(len(lam)), "dropped": int(np.sum(~keep)),
        "check_lstsq_alpha": float(-coef[1]),
        "check_eigh_max_rel_diff_kept": float(np.max(np.abs(lam_eigh[keep] - l) / l)),
    }


def lidar(V: np.ndarray) -> dict:
    n, k, d = V.shape
    mu_i = V.mean(axis=1)
    mu = mu_i.mean(axis=0)
    B = mu_i - mu
    sigma_b = B.T @ B / (n - 1)
    W = (V - mu_i[:, None, :]).reshape(n * k, d)
    sigma_w = W.T @ W / (n * (k - 1)) + LIDAR_DELTA * np.eye(d)
    w, U = np.linalg.eigh(sigma_w)
    inv_sqrt = (U / np.sqrt(w)) @ U.T
    sl = inv_sqrt @ sigma_b @ inv_sqrt
    sl = 0.5 * (sl + sl.T)
    lam = np.clip(np.linalg.eigvalsh(sl), 0.0, None)
    p = lam / lam.sum() + LIDAR_EPS
    value = math.exp(-float(np.sum(p * np.log(p))))
    # cross-check: the same spectrum as the generalised eigenproblem Σ_b x = λ Σ_w x
    lam_gen = np.clip(np.sort(np.real(np.linalg.eigvals(np.linalg.solve(sigma_w, sigma_b)))), 0.0, None)
    pg = lam_gen / lam_gen.sum() + LIDAR_EPS
    return {"value": value, "check_generalised_eig": math.exp(-float(np.sum(pg * np.log(pg)))),
            "sigma_w_min_eig": float(w.min()), "sigma_w_max_eig": float(w.max())}


def alignment(V: np.ndarray) -> dict:
    n, k, d = V.shape
    norms = np.sqrt(np.sum(V * V, axis=2))
    ok = np.all(norms > 0, axis=1)
    U = V[ok] / norms[ok][:, :, None]
    total, count = 0.0, 0
    for a in range(k):
        for b in range(a + 1, k):
            diff = U[:, a, :] - U[:, b, :]
            total += float(np.sum(diff * diff))
            count += U.shape[0]
    return {"value": total / count, "inputs": int(ok.sum()), "skipped": int((~ok).sum())}


def logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))


def uniformity(Z: np.ndarray) -> dict:
    norms = np.sqrt(np.sum(Z * Z, axis=1))
    nz = norms > 0
    U = Z[nz] / norms[nz][:, None]
    n = U.shape[0]
    iu, ju = np.triu_indices(n, 1)
    diff = U[iu] - U[ju]
    sq = np.sum(diff * diff, axis=1)
    value = logsumexp(-UNIFORMITY_T * sq) - math.log(len(sq))
    # cross-check: through the Gram matrix (‖u_i − u_j‖² = 2 − 2 u_i·u_j)
    G = U @ U.T
    check = logsumexp(-UNIFORMITY_T * (2.0 - 2.0 * G[iu, ju])) - math.log(len(sq))
    return {"value": value, "rows": int(n), "zero_rows": int((~nz).sum()), "check_gram": check}


def two_nn(Z: np.ndarray) -> dict:
    n = Z.shape[0]
    D = np.zeros((n, n))
    for c in range(Z.shape[1]):
        diff = Z[:, c, None] - Z[None, :, c]
        D += diff * diff
    D = np.sqrt(D)
    np.fill_diagonal(D, np.inf)
    part = np.partition(D, 1, axis=1)
    r1, r2 = part[:, 0], part[:, 1]
    dup = r1 == 0
    mu = np.sort(r2[~dup] / r1[~dup])
    m = len(mu)
    kept = int(m * (1 - TWONN_DISCARD))
    x = np.log(mu[:kept])
    j = np.arange(1, kept + 1)
    y = -np.log(1.0 - j / m)
    y0 = -np.log(1.0 - (j - 1) / m)
    return {"value": float(np.sum(x * y) / np.sum(x * x)), "used": kept, "duplicates": int(dup.sum()),
            "remaining": m, "zero_based_variant": float(np.sum(x * y0) / np.sum(x * x))}


def nc1(Z: np.ndarray, labels: np.ndarray) -> dict:
    n, d = Z.shape
    classes = np.unique(labels)
    c = len(classes)
    means = np.stack([Z[labels == k].mean(axis=0) for k in classes])
    sigma_w = np.zeros((d, d))
    for idx, k in enumerate(classes):
        R = Z[labels == k] - means[idx]
        sigma_w += R.T @ R
    sigma_w /= n

    def with_mean(mu_g):
        M = means - mu_g
        sigma_b = M.T @ M / c
        lam, U = np.linalg.eigh(sigma_b)
        keep = lam > NC1_PINV_TOL * lam.max()
        proj = np.einsum("ik,ij,jk->k", U[:, keep], sigma_w, U[:, keep])
        return float(np.sum(proj / lam[keep]) / c), int(keep.sum())

    value, rank = with_mean(Z.mean(axis=0))
    variant, _ = with_mean(means.mean(axis=0))
    # cross-check: numpy's pinv with the same relative cut-off
    M = means - Z.mean(axis=0)
    pinv = np.linalg.pinv(M.T @ M / c, rcond=NC1_PINV_TOL, hermitian=True)
    return {"value": value, "classes": int(c), "sigma_b_rank": rank,
            "class_sizes": [int(np.sum(labels == k)) for k in classes],
            "class_mean_variant": variant, "check_pinv": float(np.trace(sigma_w @ pinv) / c)}


def class_spread(Z: np.ndarray, labels: np.ndarray) -> list:
    """Per class (ascending label): count, RMS radius sqrt(mean |z_i - mu_c|^2), and the distance
    from mu_c to the nearest other class centre (None with one class)."""
    classes = np.unique(labels)
    means = np.stack([Z[labels == k].mean(axis=0) for k in classes])
    dist = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    out = []
    for idx, k in enumerate(classes):
        R = Z[labels == k] - means[idx]
        out.append({"label": int(k), "count": int(len(R)),
                    "radius": float(np.sqrt((R ** 2).sum(axis=1).mean())),
                    "nearest": float(dist[idx].min()) if len(classes) > 1 else None})
    return out


def hyp0f1(b: float, z: float) -> float:
    """₀F₁(; b; z) = Σ_k z^k / ((b)_k k!), summed until the terms stop changing the sum."""
    term, terms, k = 1.0, [1.0], 0
    while True:
        term *= z / ((b + k) * (k + 1))
        k += 1
        terms.append(term)
        if term < 1e-18 * sum(terms):
            return math.fsum(terms)


def uniformity_isotropic(d: int) -> float:
    return -2.0 * UNIFORMITY_T + math.log(hyp0f1(d / 2.0, UNIFORMITY_T * UNIFORMITY_T))


# ----------------------------------------------------------------------------------------
# datasets
# ----------------------------------------------------------------------------------------

def random_rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def gaussian_with_spectrum(rng, n, lam):
    d = len(lam)
    return (rng.standard_normal((n, d)) * np.sqrt(lam)) @ random_rotation(rng, d).T


def r9(A):
    return np.round(A, ROUND_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def shuffled_labels(rng, sizes):
    y = np.concatenate([np.full(s, c, dtype=np.int64) for c, s in enumerate(sizes)])
    return y[rng.permutation(len(y))]


def class_structured(rng, sizes, d, sep, noise_lam):
    y = shuffled_labels(rng, sizes)
    centres = rng.standard_normal((len(sizes), d)) * sep
    Z = centres[y] + gaussian_with_spectrum(rng, len(y), noise_lam)
    return Z, y


def make_views(rng, X, k, view_scale_per_input, view_lam):
    n, d = X.shape
    noise = (rng.standard_normal((n, k, d)) * np.sqrt(view_lam)) @ random_rotation(rng, d).T
    return X[:, None, :] + noise * view_scale_per_input[:, None, None]


def power(d, alpha, scale=1.0):
    return scale * np.arange(1, d + 1, dtype=np.float64) ** (-alpha)


def make_datasets():
    out = []

    def rows(name, base, gen, Z, labels=None, params=None):
        out.append({"name": name, "kind": "rows", "array": r9(Z), "labels": labels,
                    "generator": f"default_rng({base + SEED_OFFSET}): {gen}", "params": params or {}})

    def views(name, base, gen, V, params=None):
        out.append({"name": name, "kind": "views", "array": r9(V).reshape(-1, V.shape[2]), "labels": None,
                    "generator": f"default_rng({base + SEED_OFFSET}): {gen}", "params": params or {}})

    rng = rng_for(1)
    rows("powerlaw_a1_d32", 1, "Gaussian N=400, d=32, covariance eigenvalues i^-1 in a random rotation",
         gaussian_with_spectrum(rng, 400, power(32, 1.0)), params={"alpha": 1.0})
    rng = rng_for(2)
    rows("powerlaw_a2_d64_n50", 2,
         "Gaussian N=50, d=64 (N-1 < d: 49 ranks), covariance eigenvalues i^-2 in a random rotation",
         gaussian_with_spectrum(rng, 50, power(64, 2.0)), params={"alpha": 2.0})
    rng = rng_for(3)
    rows("powerlaw_a0.5_d48", 3, "Gaussian N=600, d=48, covariance eigenvalues i^-0.5, random rotation",
         gaussian_with_spectrum(rng, 600, power(48, 0.5)), params={"alpha": 0.5})
    rng = rng_for(4)
    lr = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 48)) + 0.05 * rng.standard_normal((300, 48))
    rows("lowrank5_noise_d48", 4, "N=300: rank-5 Gaussian factor model (5x48 loadings) + 0.05 N(0, I_48) noise", lr)
    rng = rng_for(5)
    rows("lowrank3_exact_d24", 5,
         "N=120: exact rank 3 (N(0,1) 120x3 times N(0,1) 3x24), then rounded: λ_4.. ~1e-19 dropped",
         rng.standard_normal((120, 3)) @ rng.standard_normal((3, 24)))
    rng = rng_for(6)
    rows("isotropic_d16", 6, "N(0, I_16), N=500", rng.standard_normal((500, 16)))
    rng = rng_for(7)
    base = rng.standard_normal((280, 8)) * np.sqrt(power(8, 0.7))
    dup_src = rng.choice(280, size=20, replace=False)
    Zd = np.concatenate([base, base[dup_src]])
    Zd = Zd[rng.permutation(len(Zd))]
    rows("duplicates_d8", 7, "280 Gaussian rows (eigenvalues i^-0.7, d=8) + exact copies of 20 of them, shuffled",
         Zd, params={"duplicated_rows": 20})
    rng = rng_for(8)
    Zz = rng.standard_normal((200, 12)) + 0.5
    Zz[rng.choice(200, size=5, replace=False)] = 0.0
    rows("zero_rows_d12", 8, "N(0.5, I_12), N=200, with 5 rows set to all zeros (also duplicates of each other)",
         Zz, params={"zero_rows": 5})
    rng = rng_for(9)
    Z, y = class_structured(rng, [40, 60, 70, 90, 100], 24, 1.0, power(24, 1.0, 0.5))
    rows("classes5_d24", 9, "5 classes of sizes 40,60,70,90,100 (shuffled); centres N(0, I_24); "
                            "within-class noise eigenvalues 0.5 i^-1, random rotation", Z, y)
    rng = rng_for(10)
    Z, y = class_structured(rng, [30, 70, 100], 64, 0.6, power(64, 0.5, 0.2))
    rows("classes3_d64", 10, "3 classes of sizes 30,70,100; centres 0.6 N(0, I_64); within-class noise "
                             "eigenvalues 0.2 i^-0.5 (Σ_B of rank 2: the pseudo-inverse drops 62)", Z, y)
    rng = rng_for(11)
    Z, y = class_structured(rng, [20, 30, 40, 50, 60, 80], 10, 2.0, power(10, 1.5))
    rows("classes6_d10", 11, "6 classes of sizes 20,30,40,50,60,80; centres 2 N(0, I_10); within-class "
                             "noise eigenvalues i^-1.5", Z, y)

    rng = rng_for(21)
    X = gaussian_with_spectrum(rng, 120, power(16, 1.0))
    scale = rng.uniform(0.1, 0.6, size=120)
    views("views_k4_d16", 21, "N'=120 inputs ~ Gaussian(eigenvalues i^-1, d=16); K=4 views = input + "
                              "s_i·N(0, Σ_v), s_i ~ U(0.1,0.6) per input, Σ_v eigenvalues i^-0.3 rotated",
          make_views(rng, X, 4, scale, power(16, 0.3)), params={"K": 4})
    rng = rng_for(22)
    X = gaussian_with_spectrum(rng, 100, power(64, 0.8))
    scale = rng.uniform(0.2, 0.4, size=100)
    views("views_k2_d64", 22, "N'=100, d=64, K=2: input ~ eigenvalues i^-0.8; view noise s_i·N(0, I), "
                              "s_i ~ U(0.2,0.4)", make_views(rng, X, 2, scale, np.ones(64)), params={"K": 2})
    rng = rng_for(23)
    X = gaussian_with_spectrum(rng, 60, power(32, 1.2))
    scale = rng.uniform(0.05, 0.5, size=60)
    views("views_k8_d32_aniso", 23, "N'=60, d=32, K=8: input ~ eigenvalues i^-1.2; view noise s_i·N(0, Σ_v), "
                                    "Σ_v eigenvalues i^-2 rotated (strongly anisotropic Σ_w), s_i ~ U(0.05,0.5)",
          make_views(rng, X, 8, scale, power(32, 2.0)), params={"K": 8})
    rng = rng_for(24)
    X = gaussian_with_spectrum(rng, 20, power(48, 0.5))
    scale = rng.uniform(0.1, 0.3, size=20)
    views("views_k2_d48_singular_w", 24, "N'=20, d=48, K=2: the within scatter has rank ≤ 20 < 48, so δ = 1e-6 "
                                         "fills Σ_w's null space; input ~ eigenvalues i^-0.5, noise s_i·N(0, I)",
          make_views(rng, X, 2, scale, np.ones(48)), params={"K": 2})
    rng = rng_for(25)
    X = rng.standard_normal((50, 8)) + 1.0
    V = make_views(rng, X, 3, np.full(50, 0.3), np.ones(8))
    zi = rng.choice(50, size=3, replace=False)
    for t, i in enumerate(zi):
        V[i, t % 3] = 0.0
    views("views_k3_d8_zero_views", 25, "N'=50, d=8, K=3: inputs N(1, I); noise 0.3 N(0, I); one view of 3 "
                                        "inputs set to all zeros (alignment skips those inputs)", V,
          params={"K": 3, "inputs_with_a_zero_view": 3})
    return out


def metrics_of(ds):
    A = ds["array"]
    if ds["kind"] == "rows":
        m = {"alpha_req": alpha_req(A), "uniformity": uniformity(A), "intrinsic_dim": two_nn(A)}
        if ds["labels"] is not None:
            m["nc1"] = nc1(A, ds["labels"])
        return m
    k = ds["params"]["K"]
    V = A.reshape(-1, k, A.shape[1])
    return {"lidar": lidar(V), "alignment": alignment(V)}


def permuted(ds, seed):
    """The same data in another order (rows; or inputs and the views within them)."""
    rng = np.random.default_rng(seed)
    A = ds["array"]
    if ds["kind"] == "rows":
        p = rng.permutation(A.shape[0])
        return {**ds, "array": A[p], "labels": None if ds["labels"] is None else ds["labels"][p]}
    k = ds["params"]["K"]
    V = A.reshape(-1, k, A.shape[1])
    V = V[rng.permutation(V.shape[0])][:, ::-1, :]
    return {**ds, "array": V.reshape(A.shape)}


def skdim_twonn(Z):
    import skdim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(skdim.id.TwoNN().fit(Z).dimension_)


def lib_versions():
    v = {p: md.version(p) for p in ("numpy", "scipy", "scikit-learn", "scikit-dimension")}
    v["python"] = sys.version.split()[0]
    return v


# ----------------------------------------------------------------------------------------
# CLI fixture: exported embeddings of hundreds of dimensions
# ----------------------------------------------------------------------------------------

FIXTURE_SEED = 77


def make_fixture():
    rng = rng_for(FIXTURE_SEED)
    n, d, c, n_views, k = 600, 256, 6, 150, 4
    sizes = [70, 85, 95, 100, 115, 135]
    y = shuffled_labels(rng, sizes)
    centres = rng.standard_normal((c, d)) * 0.35
    body = gaussian_with_spectrum(rng, n, power(d, 1.0, 2.0))
    noise = 0.05 * rng.standard_normal((n, d))
    emb = (centres[y] + body + noise).astype(np.float32)
    scale = rng.uniform(0.15, 0.35, size=n_views)
    view_noise = rng.standard_normal((n_views, k, d)) * np.sqrt(power(d, 0.5, 0.5))
    views = (emb[:n_views].astype(np.float64)[:, None, :] + view_noise * scale[:, None, None]).astype(np.float32)
    return emb, views, y


def fixture_expected(emb, views, labels):
    Z = emb.astype(np.float64)
    V = views.astype(np.float64)
    a = alpha_req(Z)
    t = two_nn(Z)
    return {
        "alpha_req": a["value"], "alpha_req_r2": a["r2"], "lidar": lidar(V)["value"],
        "alignment": alignment(V)["value"], "uniformity": uniformity(Z)["value"],
        "intrinsic_dim": t["value"], "nc1": nc1(Z, labels)["value"],
        "classes": class_spread(Z, labels),
        "uniformity_isotropic": uniformity_isotropic(Z.shape[1]),
        "details": {
            "alpha_req_points": a["points"], "alpha_req_first_rank": a["first_rank"],
            "alpha_req_last_rank": a["last_rank"], "intrinsic_dim_used": t["used"],
            "intrinsic_dim_duplicates": t["duplicates"],
            "intrinsic_dim_zero_based_variant": t["zero_based_variant"],
            "intrinsic_dim_skdim_twonn": skdim_twonn(Z),
            "shapes": {"emb": list(emb.shape), "views": list(views.shape), "labels": list(labels.shape)},
            "computed_by": "estimators/tests/reference/metrics/make_metric_refs.py --fixture tests/data/panel, "
                           "float64 from the stored float32 values",
        },
    }


def write_fixture(outdir):
    emb, views, y = make_fixture()
    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "emb.npy"), emb)
    np.save(os.path.join(outdir, "views.npy"), views)
    np.save(os.path.join(outdir, "labels.npy"), y)
    exp = fixture_expected(np.load(os.path.join(outdir, "emb.npy")), np.load(os.path.join(outdir, "views.npy")),
                           np.load(os.path.join(outdir, "labels.npy")))
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, allow_nan=False)
        f.write("\n")
    return exp


# ----------------------------------------------------------------------------------------
# I/O
# ----------------------------------------------------------------------------------------

def write_csv(path, A, prefix):
    with open(path, "w") as f:
        f.write(",".join(f"{prefix}{j}" for j in range(A.shape[1])) + "\n")
        for row in A:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def write_labels(path, y):
    with open(path, "w") as f:
        f.write("label\n")
        for v in y:
            f.write(f"{int(v)}\n")


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def build(outdir):
    res = {
        "meta": {
            "generated_by": "make_metric_refs.py (this folder); definitions in its docstring",
            "seed_offset": SEED_OFFSET,
            "seeds": "numpy default_rng(base + seed_offset); each generator string shows the seed used",
            "versions": lib_versions(),
            "data_rounding": f"data rounded to {ROUND_DECIMALS} decimals before use; CSV holds repr() of each double",
            "views_layout": "views datasets: N'·K CSV rows, row i·K + a = view a of input i",
            "constants": {"alpha_req_drop": ALPHA_REQ_DROP, "lidar_delta": LIDAR_DELTA, "lidar_eps": LIDAR_EPS,
                          "uniformity_t": UNIFORMITY_T, "twonn_discard": TWONN_DISCARD,
                          "nc1_pinv_tol": NC1_PINV_TOL},
            "fp_spread": "relative change of each value when the rows (or the inputs and their views) are "
                         "reordered: the floating-point uncertainty of the reference itself",
            "skdim": "skdim.id.TwoNN() with defaults, on every rows dataset (those with duplicate rows have "
                     "d ≤ 25, where skdim finds neighbours with a kd-tree and r₁ of a duplicate is exactly 0); "
                     "intrinsic_dim.skdim_rel_diff = |spec − skdim| / |skdim|",
        },
        "isotropic_uniformity": {},
        "datasets": {},
    }
    from scipy.special import hyp0f1 as sp_hyp0f1
    for d in ISOTROPIC_DIMS:
        v = uniformity_isotropic(d)
        check = -4.0 + math.log(float(sp_hyp0f1(d / 2.0, 4.0)))
        res["isotropic_uniformity"][str(d)] = {"value": v, "check_scipy_hyp0f1": check}
    os.makedirs(os.path.join(outdir, "data"), exist_ok=True)
    for ds in make_datasets():
        name, A = ds["name"], ds["array"]
        print(f"[{name}] {A.shape}", flush=True)
        write_csv(os.path.join(outdir, "data", f"{name}.csv"), A, "z" if ds["kind"] == "rows" else "v")
        entry = {"csv": f"data/{name}.csv", "shape": list(A.shape), "kind": ds["kind"],
                 "generator": ds["generator"], "params": ds["params"]}
        if ds["kind"] == "views":
            entry["K"] = ds["params"]["K"]
            entry["inputs"] = A.shape[0] // entry["K"]
        if ds["labels"] is not None:
            write_labels(os.path.join(outdir, "data", f"{name}_labels.csv"), ds["labels"])
            entry["labels_csv"] = f"data/{name}_labels.csv"
        m = metrics_of(ds)
        mp = metrics_of(permuted(ds, 1234))
        entry["fp_spread"] = {k: rel(mp[k]["value"], m[k]["value"]) for k in m}
        # with duplicates only where skdim's neighbours are exact (d ≤ 25: a kd-tree; above, it
        # uses Gram-trick distances, whose r₁ of a duplicate need not be exactly 0)
        if "intrinsic_dim" in m and (m["intrinsic_dim"]["duplicates"] == 0 or A.shape[1] <= 25):
            s = skdim_twonn(A)
            m["intrinsic_dim"]["skdim"] = s
            m["intrinsic_dim"]["skdim_rel_diff"] = rel(m["intrinsic_dim"]["value"], s)
        entry["metrics"] = m
        res["datasets"][name] = entry
    return res


def compare(old, new, tol=1e-12, path=""):
    """Number of differences between two JSON trees (numbers to `tol` relative)."""
    if isinstance(old, dict) and isinstance(new, dict):
        bad = 0
        for k in sorted(set(old) | set(new)):
            if k == "versions":
                continue
            if k not in old or k not in new:
                print(f"KEY {path}/{k} only in {'new' if k in new else 'old'}")
                bad += 1
            else:
                bad += compare(old[k], new[k], tol, f"{path}/{k}")
        return bad
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return sum(compare(a, b, tol, f"{path}[{i}]") for i, (a, b) in enumerate(zip(old, new)))
    if isinstance(old, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
        if abs(old - new) <= tol * max(abs(old), 1e-300) or (path.endswith("fp_spread") or "/fp_spread/" in path):
            return 0
    elif old == new:
        return 0
    print(f"DIFF {path}: {old!r} -> {new!r}")
    return 1


def check_files(a_dir, b_dir, names):
    bad = 0
    for n in names:
        pa, pb = os.path.join(a_dir, n), os.path.join(b_dir, n)
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            if fa.read() != fb.read():
                print("FILE DIFF", n)
                bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--check", action="store_true", help="recompute in a temp dir and compare")
    ap.add_argument("--fixture", metavar="DIR", help="write (or with --check, check) the CLI fixture in DIR")
    args = ap.parse_args()
    if args.fixture:
        if args.check:
            with open(os.path.join(args.fixture, "expected.json")) as f:
                old = json.load(f)
            with tempfile.TemporaryDirectory() as td:
                new = write_fixture(td)
                bad = check_files(td, args.fixture, ["emb.npy", "views.npy", "labels.npy"])
            bad += compare(old, new)
            print("fixture check:", "OK" if bad == 0 else f"{bad} differences")
            sys.exit(1 if bad else 0)
        exp = write_fixture(args.fixture)
        print(json.dumps({k: v for k, v in exp.items() if k != "details"}, indent=1))
        return
    if args.check:
        with open(os.path.join(args.out, "refs.json")) as f:
            old = json.load(f)
        with tempfile.TemporaryDirectory() as td:
            new = build(td)
            names = [e["csv"] for e in new["datasets"].values()] + \
                    [e["labels_csv"] for e in new["datasets"].values() if "labels_csv" in e]
            bad = check_files(td, args.out, names)
        bad += compare(old, new)
        print("check:", "OK" if bad == 0 else f"{bad} differences")
        sys.exit(1 if bad else 0)
    res = build(args.out)
    with open(os.path.join(args.out, "refs.json"), "w") as f:
        json.dump(res, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", os.path.join(args.out, "refs.json"))


if __name__ == "__main__":
    main()
