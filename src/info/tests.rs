//! Closed-form synthetic encoders (the identities of ARCHITECTURE.md §5) and properties of
//! [`information`].

use super::*;
use ndarray::{Array2, Array3, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const N: usize = 12;
const K: usize = 4;
const D: usize = 3;

/// A point of an integer lattice (spacing 1) for index p: distinct indices are ≥ 1 apart.
fn lattice(p: usize) -> [f64; D] {
    [(p % 7) as f64, ((p / 7) % 7) as f64, (p / 49) as f64]
}

/// Views from a map (input, transform) -> lattice index.
fn encoder(f: impl Fn(usize, usize) -> usize) -> (Array2<f64>, Array3<f64>) {
    let views = Array3::from_shape_fn((N, K, D), |(x, a, j)| lattice(f(x, a))[j]);
    // Clean output: the identity transform (view 0).
    let online = Array2::from_shape_fn((N, D), |(x, j)| views[[x, 0, j]]);
    (online, views)
}

/// Exact-regime config: raw space, no reduction, every input a query, scales between the
/// within-group distance (0) and the between-group distance (≥ 1).
fn exact_cfg() -> InfoConfig {
    InfoConfig {
        spaces: vec![Space::Raw],
        scales: vec![1e-3, 0.5],
        pca_dim: None,
        max_dim: None,
        pairwise_queries: N,
        bootstrap: 20,
        ..InfoConfig::default()
    }
}

fn get(rows: &[InfoRow], q: &str, est: &str, scale: f64) -> Option<f64> {
    let r = rows
        .iter()
        .find(|r| r.quantity == q && r.estimator == est && r.scale == Some(scale))
        .unwrap_or_else(|| panic!("no row {q} {est} {scale}"));
    r.value
}

struct Expect {
    h_v: f64,
    h_vx: f64,
    i_xv: f64,
    i_vv: f64,
    h_v_vp: f64,
}

fn check_exact(
    online: &Array2<f64>,
    views: &Array3<f64>,
    target: Option<&Array3<f64>>,
    e: &Expect,
) {
    let inputs = InfoInputs {
        tensor: "t",
        online: online.view().into(),
        views: Some(views.view().into()),
        target: target.map(|t| t.view().into()),
        h_t: Some((K as f64).ln()),
    };
    let cfg = exact_cfg();
    let (rows, lagr) = information(&inputs, &cfg).unwrap();
    let h_t = (K as f64).ln();
    let plugin_scales: &[f64] = &[1e-3, 0.5];
    for est in ["binned", "merge", "pairwise-kl", "pairwise-bhat"] {
        // The pairwise functional is exact only as σ → 0 (here exp(−1/(2σ²)) underflows to 0).
        let scales: &[f64] = if est.starts_with("pairwise") {
            &[1e-3]
        } else {
            plugin_scales
        };
        for &s in scales {
            let close = |q: &str, want: f64| {
                let v = get(&rows, q, est, s).unwrap();
                assert!(
                    (v - want).abs() < 1e-12,
                    "{est} {q} at {s}: got {v}, want {want}"
                );
            };
            close("H(V)", e.h_v);
            close("H(V|X)", e.h_vx);
            close("I(X;V)", e.i_xv);
            close("I(V;V')", e.i_vv);
            close("H(V|V')", e.h_v_vp);
            for l in lagr
                .iter()
                .filter(|l| l.estimator == est && l.scale == Some(s))
            {
                let b = l.beta;
                let measured = e.i_xv - b * e.i_vv;
                let theorem = (1.0 - b) * e.h_v + b * e.h_v_vp - h_t;
                assert!((l.measured - measured).abs() < 1e-12);
                assert!((l.theorem.unwrap() - theorem).abs() < 1e-12);
                assert!((l.gap.unwrap() - (h_t - e.h_vx)).abs() < 1e-12);
            }
            assert_eq!(
                lagr.iter()
                    .filter(|l| l.estimator == est && l.scale == Some(s))
                    .count(),
                cfg.betas.len()
            );
        }
    }
    // σ → ∞: the noise swamps everything, every pairwise quantity → 0.
    let far = InfoConfig {
        scales: vec![1e6],
        estimators: vec![Family::Pairwise],
        ..exact_cfg()
    };
    let (rows, _) = information(&inputs, &far).unwrap();
    for r in &rows {
        assert!(r.value.unwrap().abs() < 1e-9, "{r:?}");
    }
}

#[test]
fn injective_encoder() {
    let (online, views) = encoder(|x, a| x * K + a);
    let (n, k) = ((N as f64).ln(), (K as f64).ln());
    let e = Expect {
        h_v: n + k,
        h_vx: k,
        i_xv: n,
        i_vv: n,
        h_v_vp: k,
    };
    check_exact(&online, &views, None, &e);
    // A target network with the same partition in other places: same values.
    let target = views.mapv(|v| 3.0 * v + 100.0);
    check_exact(&online, &views, Some(&target), &e);
    // LB = (1−β) ln N in both forms (gap 0).
}

#[test]
fn perfectly_invariant_encoder() {
    let (online, views) = encoder(|x, _| x);
    let n = (N as f64).ln();
    let e = Expect {
        h_v: n,
        h_vx: 0.0,
        i_xv: n,
        i_vv: n,
        h_v_vp: 0.0,
    };
    check_exact(&online, &views, None, &e);
}

#[test]
fn constant_encoder() {
    let (online, views) = encoder(|_, _| 0);
    let e = Expect {
        h_v: 0.0,
        h_vx: 0.0,
        i_xv: 0.0,
        i_vv: 0.0,
        h_v_vp: 0.0,
    };
    check_exact(&online, &views, None, &e);
    // kNN and Gaussian estimates are not numbers here: None with a word, never a finite value.
    let inputs = InfoInputs {
        tensor: "t",
        online: online.view().into(),
        views: Some(views.view().into()),
        target: None,
        h_t: None,
    };
    let (rows, _) = information(&inputs, &InfoConfig::default()).unwrap();
    for (q, est, word) in [
        ("H(V)", "kl", "-inf"),
        ("I(V;V')", "ksg1", "nan"),
        ("H(V|V')", "kl-minus-ksg1", "nan"),
        ("H(V)", "gaussian", "-inf"),
    ] {
        for r in rows
            .iter()
            .filter(|r| r.quantity == q && r.estimator == est)
        {
            assert_eq!(r.value, None, "{r:?}");
            assert_eq!(r.nonfinite.as_deref(), Some(word), "{r:?}");
            assert!(!r.warnings.is_empty());
            assert_eq!(r.ci, None);
        }
    }
    // The l2 space of the zero vector is flagged.
    assert!(rows
        .iter()
        .any(|r| r.space == "l2" && r.warnings.iter().any(|w| w.contains("l2 norm"))));
}

#[test]
fn m_equal_mass_clusters() {
    const M: usize = 3; // N = 12 is a multiple of M
    let (online, views) = encoder(|x, _| x % M);
    let m = (M as f64).ln();
    let e = Expect {
        h_v: m,
        h_vx: 0.0,
        i_xv: m,
        i_vv: m,
        h_v_vp: 0.0,
    };
    check_exact(&online, &views, None, &e);
}

fn random_inputs(
    n: usize,
    k: usize,
    d: usize,
    seed: u64,
) -> (Array2<f64>, Array3<f64>, Array3<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    let online = Array2::from_shape_fn((n, d), |_| g());
    let views = Array3::from_shape_fn((n, k, d), |(x, _, j)| online[[x, j]] + 0.3 * g());
    let target = Array3::from_shape_fn((n, k, d), |(x, a, j)| views[[x, a, j]] + 0.1 * g());
    (online, views, target)
}

fn run(
    online: &Array2<f64>,
    views: &Array3<f64>,
    target: &Array3<f64>,
    cfg: &InfoConfig,
) -> (Vec<InfoRow>, Vec<LagrangianRow>) {
    let inputs = InfoInputs {
        tensor: "online.projector",
        online: online.view().into(),
        views: Some(views.view().into()),
        target: Some(target.view().into()),
        h_t: Some((views.dim().1 as f64).ln()),
    };
    information(&inputs, cfg).unwrap()
}

#[test]
fn lagrangian_identity_and_bounds_on_random_data() {
    let (online, views, target) = random_inputs(60, 5, 6, 1);
    let cfg = InfoConfig {
        pca_dim: Some(4),
        pairwise_queries: 20,
        bootstrap: 30,
        ..InfoConfig::default()
    };
    let (rows, lagr) = run(&online, &views, &target, &cfg);
    assert!(!lagr.is_empty());
    let ln_k = 5f64.ln();
    for l in &lagr {
        // LB_theorem − LB_measured = −gap, exactly (same H(V) in every part).
        let (theorem, gap) = (l.theorem.unwrap(), l.gap.unwrap());
        assert!((theorem - l.measured + gap).abs() < 1e-12, "{l:?}");
        assert!(gap >= -1e-12 && gap <= ln_k + 1e-12);
    }
    for est in ["binned", "merge", "pairwise-kl", "pairwise-bhat"] {
        for r in rows.iter().filter(|r| r.estimator == est) {
            let v = r.value.unwrap();
            let s = r.scale.unwrap();
            let (sp, sc) = (&r.space, r.scale);
            let same = |q: &str| {
                rows.iter()
                    .find(|x| {
                        x.quantity == q && x.estimator == est && &x.space == sp && x.scale == sc
                    })
                    .and_then(|x| x.value)
                    .unwrap()
            };
            match r.quantity.as_str() {
                "H(V|X)" => assert!((-1e-12..=ln_k + 1e-12).contains(&v), "{r:?}"),
                "I(X;V)" => {
                    assert!(v <= same("H(V)") + 1e-12, "{r:?}");
                    assert!((v - (same("H(V)") - same("H(V|X)"))).abs() < 1e-12);
                    if !est.starts_with("pairwise") {
                        assert!(v >= -1e-12, "{r:?}");
                    }
                }
                "H(V|V')" => {
                    assert!(
                        (v - (same("H(V)") - same("I(V;V')"))).abs() < 1e-12,
                        "{r:?}"
                    )
                }
                _ => {}
            }
            assert!(s > 0.0);
            if matches!(r.quantity.as_str(), "H(V|X)" | "I(X;V)") {
                let (lo, hi) = r.ci.unwrap_or_else(|| panic!("no CI: {r:?}"));
                assert!(lo <= hi);
            }
        }
    }
    // KL H(V) carries a CI; every estimator and both spaces are present; dims recorded.
    let kl: Vec<_> = rows.iter().filter(|r| r.estimator == "kl").collect();
    assert_eq!(kl.len(), 2);
    assert!(kl.iter().all(|r| r.ci.is_some() && r.dim == 4));
    for est in ["ksg1", "kl-minus-ksg1", "gaussian"] {
        assert!(rows.iter().any(|r| r.estimator == est && r.value.is_some()));
    }
}

/// Sorted (key, value) view of the rows for comparisons.
fn keyed(rows: &[InfoRow]) -> Vec<(String, Option<f64>)> {
    let mut v: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                format!("{} {} {} {:?}", r.quantity, r.estimator, r.space, r.scale),
                r.value,
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn deterministic_for_a_seed() {
    let (online, views, target) = random_inputs(40, 4, 5, 2);
    let cfg = InfoConfig {
        pca_dim: Some(3),
        pairwise_queries: 10,
        max_rows: 30,
        ..InfoConfig::default()
    };
    let a = run(&online, &views, &target, &cfg);
    let b = run(&online, &views, &target, &cfg);
    assert_eq!(a, b);
    let c = run(
        &online,
        &views,
        &target,
        &InfoConfig {
            seed: 9,
            ..cfg.clone()
        },
    );
    assert_ne!(a.0, c.0, "another seed subsamples differently");
    assert!(a.0.iter().all(|r| r.rows == Some(30) && r.seed == Some(0)));
}

#[test]
fn invariant_to_the_order_of_inputs() {
    let (online, views, target) = random_inputs(40, 4, 5, 3);
    let cfg = InfoConfig {
        pca_dim: None,
        max_dim: None,
        pairwise_queries: 15,
        max_rows: 30,
        bootstrap: 0,
        ..InfoConfig::default()
    };
    let a = run(&online, &views, &target, &cfg);
    let perm: Vec<usize> = (0..40).map(|i| (i * 17 + 5) % 40).collect();
    let b = run(
        &online.select(Axis(0), &perm),
        &views.select(Axis(0), &perm),
        &target.select(Axis(0), &perm),
        &cfg,
    );
    let (ka, kb) = (keyed(&a.0), keyed(&b.0));
    assert_eq!(ka.len(), kb.len());
    for ((na, va), (nb, vb)) in ka.iter().zip(&kb) {
        assert_eq!(na, nb);
        match (va, vb) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{na}: {x} vs {y}"),
            _ => assert_eq!(va, vb, "{na}"),
        }
    }
}

#[test]
fn without_views_only_h_v() {
    let (online, _, _) = random_inputs(30, 2, 4, 4);
    let inputs = InfoInputs {
        tensor: "t",
        online: online.view().into(),
        views: None,
        target: None,
        h_t: Some(8f64.ln()),
    };
    let (rows, lagr) = information(&inputs, &InfoConfig::default()).unwrap();
    assert!(lagr.is_empty());
    assert!(rows.iter().all(|r| r.quantity == "H(V)"));
    // Distinct rows at a fine scale: H(V) = ln N.
    let v = rows
        .iter()
        .find(|r| r.estimator == "merge" && r.space == "raw" && r.scale == Some(0.05))
        .and_then(|r| r.value)
        .unwrap();
    assert!((v - 30f64.ln()).abs() < 1e-12);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let online = Array2::<f64>::zeros((5, 3));
    // Views of another width, or of a single input, do not fit (views of 4 of the 5 inputs do).
    for shape in [(4, 2, 2), (1, 2, 3), (4, 0, 3)] {
        let views = Array3::<f64>::zeros(shape);
        let inputs = InfoInputs {
            tensor: "t",
            online: online.view().into(),
            views: Some(views.view().into()),
            target: None,
            h_t: None,
        };
        assert!(
            matches!(
                information(&inputs, &InfoConfig::default()),
                Err(InfoError::Shape(_))
            ),
            "{shape:?}"
        );
    }
    let mut bad = Array2::<f64>::zeros((5, 3));
    bad[[1, 1]] = f64::NAN;
    let inputs = InfoInputs {
        tensor: "t",
        online: bad.view().into(),
        views: None,
        target: None,
        h_t: None,
    };
    assert_eq!(
        information(&inputs, &InfoConfig::default()),
        Err(InfoError::NonFinite("online"))
    );
    let cfg = InfoConfig {
        scales: vec![0.0],
        ..InfoConfig::default()
    };
    assert!(cfg.validate().is_err());
}

#[test]
fn config_round_trips_and_rejects_unknown_keys() {
    let cfg = InfoConfig::default();
    let s = toml::to_string(&cfg).unwrap();
    let back: InfoConfig = toml::from_str(&s).unwrap();
    assert_eq!(cfg, back);
    assert!(toml::from_str::<InfoConfig>("scales = [0.1]\nbogus = 1").is_err());
    let partial: InfoConfig = toml::from_str("scales = [0.1]\nestimators = [\"merge\"]").unwrap();
    assert_eq!(partial.estimators, vec![Family::Merge]);
}

/// Timing on snapshot-sized and analyze-sized inputs (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn timing() {
    let (online, views, target) = random_inputs(512, 8, 128, 5);
    let cfg = InfoConfig::default();
    let t = std::time::Instant::now();
    let (rows, lagr) = run(&online, &views, &target, &cfg);
    eprintln!(
        "snapshot N=512 K=8 d=128: {:.3} s ({} rows, {} lagrangian rows)",
        t.elapsed().as_secs_f64(),
        rows.len(),
        lagr.len()
    );
    let mut rng = StdRng::seed_from_u64(6);
    let big = Array2::from_shape_fn((100_000, 2048), |_| {
        let v: f64 = StandardNormal.sample(&mut rng);
        v
    });
    let inputs = InfoInputs {
        tensor: "analyze",
        online: big.view().into(),
        views: None,
        target: None,
        h_t: None,
    };
    let t = std::time::Instant::now();
    let (rows, _) = information(&inputs, &cfg).unwrap();
    eprintln!(
        "analyze N=1e5 d=2048 (no views): {:.3} s ({} rows)",
        t.elapsed().as_secs_f64(),
        rows.len()
    );
}

#[test]
#[ignore]
fn timing_by_family() {
    let (online, views, target) = random_inputs(512, 8, 128, 5);
    for f in Family::ALL {
        for b in [0, 100] {
            let cfg = InfoConfig {
                estimators: vec![f],
                bootstrap: b,
                ..InfoConfig::default()
            };
            let t = std::time::Instant::now();
            run(&online, &views, &target, &cfg);
            eprintln!("{f:?} bootstrap {b}: {:.3} s", t.elapsed().as_secs_f64());
        }
    }
}
