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
        scales: Scales::List(vec![1e-3, 0.5]),
        pca_dim: None,
        max_dim: None,
        pairwise_queries: N,
        ci_groups: 20,
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
            // A scale where every point has its own cell, or all share one, is saturated:
            // no Lagrangian row rests on it.
            let saturated = rows
                .iter()
                .any(|r| r.estimator == est && r.scale == Some(s) && r.saturated == Some(true));
            assert_eq!(
                lagr.iter()
                    .filter(|l| l.estimator == est && l.scale == Some(s))
                    .count(),
                if saturated { 0 } else { cfg.betas.len() }
            );
        }
    }
    // σ → ∞: the noise swamps everything, every pairwise quantity → 0.
    let far = InfoConfig {
        scales: Scales::List(vec![1e6]),
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
        ci_groups: 30,
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
        ci_groups: 0,
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
    let cfg = InfoConfig {
        scales: Scales::List(vec![0.05]),
        ..InfoConfig::default()
    };
    let (rows, lagr) = information(&inputs, &cfg).unwrap();
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
        scales: Scales::List(vec![0.0]),
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
        for b in [0, 20] {
            let cfg = InfoConfig {
                estimators: vec![f],
                ci_groups: b,
                ..InfoConfig::default()
            };
            let t = std::time::Instant::now();
            run(&online, &views, &target, &cfg);
            eprintln!("{f:?} ci_groups {b}: {:.3} s", t.elapsed().as_secs_f64());
        }
    }
}

#[test]
fn intervals_contain_their_estimates_and_name_their_method() {
    let (online, views, target) = random_inputs(80, 4, 6, 11);
    let cfg = InfoConfig {
        pca_dim: Some(4),
        pairwise_queries: 20,
        ..InfoConfig::default()
    };
    let (rows, _) = run(&online, &views, &target, &cfg);
    let with_ci: Vec<_> = rows.iter().filter(|r| r.ci.is_some()).collect();
    // kl, ksg1, kl-minus-ksg1, the plug-in and the pairwise H(V), H(V|X), I(X;V) in both spaces.
    for est in [
        "kl",
        "ksg1",
        "kl-minus-ksg1",
        "binned",
        "merge",
        "pairwise-kl",
    ] {
        assert!(with_ci.iter().any(|r| r.estimator == est), "{est}");
    }
    for r in &with_ci {
        let (lo, hi) = r.ci.unwrap();
        let v = r.value.unwrap();
        assert!(lo <= v && v <= hi, "{r:?}");
        assert_eq!(r.ci_method.as_deref(), Some("jackknife-20 t 95%"), "{r:?}");
    }
    assert!(rows.iter().all(|r| r.ci.is_some() == r.ci_method.is_some()));
    // Off: no interval anywhere.
    let off = InfoConfig {
        ci_groups: 0,
        ..cfg.clone()
    };
    let (rows_off, _) = run(&online, &views, &target, &off);
    assert!(rows_off
        .iter()
        .all(|r| r.ci.is_none() && r.ci_method.is_none()));
    // The values do not depend on the intervals.
    assert_eq!(keyed(&rows), keyed(&rows_off));
}

#[test]
fn automatic_plugin_scales_are_informative_and_recorded() {
    let (online, views, target) = random_inputs(100, 4, 8, 12);
    let cfg = InfoConfig {
        pca_dim: Some(8),
        ..InfoConfig::default()
    };
    let (rows, lagr) = run(&online, &views, &target, &cfg);
    for est in ["binned", "merge"] {
        for space in ["l2", "raw"] {
            let h: Vec<_> = rows
                .iter()
                .filter(|r| r.estimator == est && r.space == space && r.quantity == "H(V)")
                .collect();
            let rules: Vec<_> = h.iter().map(|r| r.scale_rule.as_deref().unwrap()).collect();
            assert_eq!(
                rules,
                ["cells 50%", "cells 20%", "cells 5%"],
                "{est} {space}"
            );
            for r in &h {
                assert!(
                    r.scale.unwrap() > 0.0 && r.saturated == Some(false),
                    "{r:?}"
                );
            }
            // At about f·P cells the entropy is below ln(f·P) + a margin and above 0.
            let p = 400f64;
            for (r, f) in h.iter().zip([0.5, 0.2, 0.05]) {
                let v = r.value.unwrap();
                assert!(v > 0.0 && v < (f * p).ln() + 0.7, "{est} {space} {f}: {v}");
            }
        }
    }
    // Pairwise: absolute σ on the sphere, σ = s·rms in raw.
    let raw: Vec<_> = rows
        .iter()
        .filter(|r| r.estimator == "pairwise-kl" && r.space == "raw" && r.quantity == "H(V)")
        .collect();
    let rms = (views.iter().map(|v| v * v).sum::<f64>() / 400.0).sqrt();
    for (r, s) in raw.iter().zip([0.05, 0.1, 0.2, 0.4]) {
        assert!((r.scale.unwrap() - s * rms).abs() < 1e-9 * rms, "{r:?}");
        assert_eq!(r.scale_rule.as_deref(), Some(format!("{s}×rms").as_str()));
    }
    assert!(rows.iter().any(|r| r.estimator == "pairwise-kl"
        && r.space == "l2"
        && r.scale == Some(0.2)
        && r.scale_rule.is_none()));
    // Lagrangian rows carry the rule of their estimates.
    assert!(lagr
        .iter()
        .any(|l| l.estimator == "merge" && l.scale_rule.as_deref() == Some("cells 20%")));
}

#[test]
fn saturated_scales_are_flagged_and_kept_out_of_the_lagrangian() {
    let (online, views, target) = random_inputs(50, 4, 6, 13);
    let cfg = InfoConfig {
        pca_dim: Some(6),
        scales: Scales::List(vec![1e-6, 1e6]),
        ..InfoConfig::default()
    };
    let (rows, lagr) = run(&online, &views, &target, &cfg);
    for r in rows
        .iter()
        .filter(|r| matches!(r.estimator.as_str(), "binned" | "merge"))
    {
        // 1e-6: every point alone; 1e6: merge puts everything together (the origin-anchored grid
        // only into orthants: not necessarily one cell).
        if r.scale == Some(1e-6) || r.estimator == "merge" {
            assert_eq!(r.saturated, Some(true), "{r:?}");
        }
    }
    assert!(rows
        .iter()
        .filter(|r| r.estimator.starts_with("pairwise"))
        .all(|r| r.saturated.is_none()));
    assert!(!lagr
        .iter()
        .any(|l| l.scale == Some(1e-6) && matches!(l.estimator.as_str(), "binned" | "merge")));
    assert!(lagr.iter().any(|l| l.estimator == "pairwise-kl"));
}

#[test]
fn without_h_t_the_theorem_form_is_not_reported() {
    let (online, views, target) = random_inputs(40, 4, 5, 14);
    let inputs = InfoInputs {
        tensor: "t",
        online: online.view().into(),
        views: Some(views.view().into()),
        target: Some(target.view().into()),
        h_t: None,
    };
    let cfg = InfoConfig {
        pca_dim: Some(3),
        ..InfoConfig::default()
    };
    let (_, lagr) = information(&inputs, &cfg).unwrap();
    let (_, with) = run(&online, &views, &target, &cfg);
    assert!(!lagr.is_empty());
    assert_eq!(lagr.len(), with.len());
    for (a, b) in lagr.iter().zip(&with) {
        assert!(a.theorem.is_none() && a.gap.is_none());
        assert_eq!(a.measured, b.measured);
    }
    let bad = InfoInputs {
        h_t: Some(f64::NAN),
        ..inputs
    };
    assert!(matches!(information(&bad, &cfg), Err(InfoError::Config(_))));
}

#[test]
fn views_of_a_subset_of_the_inputs() {
    let (online, views, target) = random_inputs(60, 4, 5, 15);
    let cfg = InfoConfig {
        pca_dim: Some(3),
        pairwise_queries: 10,
        ..InfoConfig::default()
    };
    // Every input a pairwise query, so that the pairwise rows do not depend on the order.
    let cfg = InfoConfig {
        pairwise_queries: 100,
        ..cfg
    };
    // Views of 25 other inputs (N' < N), then of 90 (N' > N); N' = N below.
    let (o2, v2, t2) = random_inputs(90, 4, 5, 16);
    for nv in [25, 90] {
        let v = v2.slice(ndarray::s![..nv, .., ..]).to_owned();
        let t = t2.slice(ndarray::s![..nv, .., ..]).to_owned();
        let inputs = InfoInputs {
            tensor: "t",
            online: online.view().into(),
            views: Some(v.view().into()),
            target: Some(t.view().into()),
            h_t: Some(4f64.ln()),
        };
        let (rows, lagr) = information(&inputs, &cfg).unwrap();
        assert!(!lagr.is_empty());
        for r in &rows {
            let clean = matches!(r.estimator.as_str(), "kl")
                || (r.estimator == "gaussian" && r.quantity == "H(V)");
            assert_eq!(r.rows, Some(if clean { 60 } else { nv }), "{r:?}");
            assert!(r
                .warnings
                .iter()
                .any(|w| w.contains(&format!("views of {nv} inputs"))));
        }
        // The view quantities are those of the views alone: the same as with clean rows that
        // are the views' own inputs (N' = N), up to the PCA's rounding.
        let own = InfoInputs {
            online: o2.slice(ndarray::s![..nv, ..]).into(),
            ..inputs
        };
        let (rows_own, _) = information(
            &own,
            &InfoConfig {
                ci_groups: 0,
                ..cfg.clone()
            },
        )
        .unwrap();
        for r in rows.iter().filter(|r| {
            // Not ksg1: its view pairs are drawn along the input order, which differs.
            matches!(r.estimator.as_str(), "binned" | "merge" | "pairwise-kl")
        }) {
            let o = rows_own
                .iter()
                .find(|x| {
                    x.quantity == r.quantity
                        && x.estimator == r.estimator
                        && x.space == r.space
                        && x.scale_rule == r.scale_rule
                        && (x.scale_rule.is_some() || x.scale == r.scale)
                })
                .unwrap();
            let (a, b) = (r.value.unwrap(), o.value.unwrap());
            assert!((a - b).abs() < 1e-6, "{r:?} vs {o:?}");
        }
    }
    // N' = N keeps the joint order of the earlier releases: same rows as before.
    let (rows, _) = run(&online, &views, &target, &cfg);
    assert!(rows.iter().all(|r| r.rows == Some(60)));
    assert!(!rows
        .iter()
        .any(|r| r.warnings.iter().any(|w| w.contains("views of"))));
}
