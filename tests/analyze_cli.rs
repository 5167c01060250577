//! `ib-analyze analyze` on embeddings of the kinds a user exports: the verdict must hold beyond
//! the built-in runs (hundreds of dimensions, batch-norm heads, shared offsets), the JSON shape of
//! ARCHITECTURE.md §3, the run directory, and bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{gaussian, low_rank, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

fn analyze_json(path: &Path) -> Value {
    let assert = bin()
        .arg("analyze")
        .arg(path)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

fn write(dir: &Path, name: &str, n: usize, d: usize, values: &[f64]) -> PathBuf {
    let p = dir.join(name);
    write_npy(&p, &[n, d], values);
    p
}

/// Batch-norm over the rows: each column to mean 0, variance 1 (what an output BN does).
fn batch_norm(x: &mut [f64], n: usize, d: usize) {
    for j in 0..d {
        let mean = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
        let var = (0..n).map(|i| (x[i * d + j] - mean).powi(2)).sum::<f64>() / n as f64;
        for i in 0..n {
            x[i * d + j] = (x[i * d + j] - mean) / (var + 1e-5).sqrt();
        }
    }
}

#[test]
fn verdicts_hold_beyond_the_built_in_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (1500, 256);
    let verdict = |name: &str, values: &[f64]| -> String {
        let p = write(tmp.path(), name, n, d, values);
        analyze_json(&p)["verdict"].as_str().unwrap().to_string()
    };
    // Isotropic 256-d embedding.
    assert_eq!(verdict("iso.npy", &gaussian(n * d, 1)), "healthy");
    // The same behind a large shared offset (eval-mode batch-norm statistics, a bias): the
    // std of l2-normalised rows is small, but the rows are not one vector.
    let mut offset = gaussian(n * d, 2);
    for (i, v) in offset.iter_mut().enumerate() {
        *v += if i % d < d / 2 { 20.0 } else { -20.0 };
    }
    let p = write(tmp.path(), "offset.npy", n, d, &offset);
    let json = analyze_json(&p);
    let m = &json["tensors"]["offset"]["metrics"];
    // The trap is real: two of the three complete-collapse signals fire ...
    assert!(m["normalised_std_l2"].as_f64().unwrap() < 0.1, "{m}");
    assert!(m["angular_spread"].as_f64().unwrap() < 0.2, "{m}");
    // ... but the uncentred rank is high, and the verdict is healthy.
    assert!(m["effective_rank"].as_f64().unwrap() > 10.0, "{m}");
    assert_eq!(json["verdict"], "healthy");
    // Rank-4 embedding through an output batch-norm: std_l2 stays at 1/√d, the rank collapsed.
    let mut bn = low_rank(n, d, 4, 3);
    batch_norm(&mut bn, n, d);
    let json = {
        let p = write(tmp.path(), "bn.npy", n, d, &bn);
        analyze_json(&p)
    };
    assert_eq!(json["verdict"], "dimensional-collapse");
    let std = json["tensors"]["bn"]["metrics"]["normalised_std_l2"]
        .as_f64()
        .unwrap();
    assert!(std > 0.9, "batch-norm keeps √d·std_l2 near 1, got {std}");
    // Every row the same vector plus float noise: complete collapse, not bad input.
    let base = gaussian(d, 4);
    let noise = gaussian(n * d, 5);
    let collapsed: Vec<f64> = (0..n * d).map(|i| base[i % d] + 1e-4 * noise[i]).collect();
    assert_eq!(verdict("collapsed.npy", &collapsed), "complete-collapse");
    let constant: Vec<f64> = (0..n * d).map(|i| base[i % d]).collect();
    assert_eq!(verdict("constant.npy", &constant), "complete-collapse");
}

#[test]
fn json_shape_and_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k) = (300, 16, 4);
    let z = gaussian(n * d, 7);
    let input = write(tmp.path(), "emb.npy", n, d, &z);
    // K noisy views of each input, and a target close to them.
    let noise = gaussian(n * k * d, 8);
    let views: Vec<f64> = (0..n * k * d)
        .map(|i| z[(i / (k * d)) * d + i % d] + 0.05 * noise[i])
        .collect();
    let vpath = tmp.path().join("views.npy");
    write_npy(&vpath, &[n, k, d], &views);
    let noise2 = gaussian(n * k * d, 9);
    let target: Vec<f64> = views
        .iter()
        .zip(&noise2)
        .map(|(v, e)| v + 0.01 * e)
        .collect();
    let tpath = tmp.path().join("target.npy");
    write_npy(&tpath, &[n, k, d], &target);
    let labels: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
    let lpath = tmp.path().join("labels.npy");
    write_npy(&lpath, &[n], &labels);
    let out = tmp.path().join("out");
    let assert = bin()
        .arg("analyze")
        .arg(&input)
        .arg("--views")
        .arg(&vpath)
        .arg("--target")
        .arg(&tpath)
        .arg("--labels")
        .arg(&lpath)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["verdict"], "healthy");
    let t = &json["tensors"]["emb"];
    assert_eq!(t["verdict"], "healthy");
    for m in [
        "std_l2",
        "collapse_level",
        "effective_rank",
        "effective_rank_centred",
    ] {
        assert!(t["metrics"][m].is_number(), "metric {m}");
    }
    assert!(t["evidence"].as_array().unwrap().len() >= 3);
    assert!(json["knn_accuracy"].is_number());
    let info = json["info"].as_array().unwrap();
    for q in ["H(V)", "H(V|X)", "I(X;V)", "I(V;V')", "H(V|V')"] {
        assert!(info.iter().any(|r| r["quantity"] == q), "{q} missing");
    }
    // Every information row states its scale field and units are nats.
    assert!(info.iter().all(|r| r.get("scale").is_some()));
    assert_eq!(json["units"], "nats");
    let h_v_x = info
        .iter()
        .find(|r| r["quantity"] == "H(V|X)" && r["estimator"] == "merge")
        .and_then(|r| r["value"].as_f64())
        .unwrap();
    assert!(h_v_x <= (k as f64).ln() + 1e-12);
    // No H(T) given: the Lagrangian keeps its measured form, with the reason.
    let lagrangian = json["lagrangian"].as_array().unwrap();
    assert!(!lagrangian.is_empty());
    assert!(lagrangian.iter().all(|l| l["theorem"].is_null()));
    assert!(json["notes"][0].as_str().unwrap().contains("H(T) unknown"));
    assert_eq!(json["views_n"], n);
    for f in ["run.json", "metrics.csv", "report.html", "manifest.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    bin().arg("check").arg(&out).assert().code(0);
}

#[test]
fn bad_input_exits_2_naming_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    // N ≤ d is judged, not refused (tests/wide_inputs.rs); one row is refused.
    let one = write(tmp.path(), "one.npy", 1, 64, &gaussian(64, 1));
    bin()
        .arg("analyze")
        .arg(&one)
        .assert()
        .code(2)
        .stderr(contains("one.npy").and(contains("at least 2 embeddings")));
    let ok = write(tmp.path(), "ok.npy", 100, 8, &gaussian(800, 2));
    let labels = tmp.path().join("labels.npy");
    write_npy(&labels, &[99], &vec![0.0; 99]);
    bin()
        .arg("analyze")
        .arg(&ok)
        .arg("--labels")
        .arg(&labels)
        .assert()
        .code(2)
        .stderr(contains("99 labels"));
    let views = tmp.path().join("views.npy");
    write_npy(&views, &[10, 4, 7], &gaussian(280, 3));
    bin()
        .arg("analyze")
        .arg(&ok)
        .arg("--views")
        .arg(&views)
        .assert()
        .code(2)
        .stderr(contains("d = 7"));
    let target = tmp.path().join("target.npy");
    write_npy(&target, &[50, 8], &gaussian(400, 4));
    bin()
        .arg("analyze")
        .arg(&ok)
        .arg("--target")
        .arg(&target)
        .assert()
        .code(2)
        .stderr(contains("target.npy"));
    let mut nan = gaussian(800, 5);
    nan[3] = f64::NAN;
    let bad = write(tmp.path(), "nan.npy", 100, 8, &nan);
    let out = tmp.path().join("never");
    bin()
        .arg("analyze")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("nan.npy"));
    assert!(!out.exists(), "no output directory for bad input");
    bin()
        .args(["analyze", "/no/such/emb.npy"])
        .assert()
        .code(2)
        .stderr(contains("/no/such/emb.npy"));
}

/// Views, a target and an input of `n` rows for the H(T) tests.
fn views_case(dir: &Path, n: usize, d: usize, k: usize) -> (PathBuf, PathBuf) {
    let z = gaussian(n * d, 51);
    let input = write(dir, "z.npy", n, d, &z);
    let noise = gaussian(n * k * d, 52);
    let views: Vec<f64> = (0..n * k * d)
        .map(|i| z[(i / (k * d)) * d + i % d] + 0.1 * noise[i])
        .collect();
    let vpath = dir.join("v.npy");
    write_npy(&vpath, &[n, k, d], &views);
    (input, vpath)
}

/// Fast information settings: the Lagrangian families, no intervals.
const LAGRANGIAN_ONLY: &str =
    "[info]\nestimators = [\"binned\", \"merge\", \"pairwise\"]\nci_groups = 0\n";

#[test]
fn h_t_is_used_only_when_given() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k) = (60, 4, 3);
    let (input, views) = views_case(tmp.path(), n, d, k);
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, LAGRANGIAN_ONLY).unwrap();
    let run = |extra: &[&str], out: Option<&Path>| -> (Value, String) {
        let mut c = bin();
        c.arg("analyze")
            .arg(&input)
            .arg("--views")
            .arg(&views)
            .arg("--config")
            .arg(&cfg)
            .arg("--json")
            .args(extra);
        if let Some(o) = out {
            c.arg("--out").arg(o);
        }
        let a = c.assert().success();
        let o = a.get_output();
        (
            serde_json::from_slice(&o.stdout).unwrap(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let rows = |j: &Value| j["lagrangian"].as_array().unwrap().clone();
    let h_v_x = |j: &Value, l: &Value| -> f64 {
        j["info"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["quantity"] == "H(V|X)"
                    && r["estimator"] == l["estimator"]
                    && r["space"] == l["space"]
                    && r["scale"] == l["scale"]
            })
            .and_then(|r| r["value"].as_f64())
            .unwrap_or_else(|| panic!("no H(V|X) for {l}"))
    };
    let read =
        |p: PathBuf| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };

    // Unknown: measured only, theorem and gap null, and the reason on stderr and in --json.
    let out = tmp.path().join("unknown");
    let (unknown, stderr) = run(&[], Some(&out));
    assert!(!rows(&unknown).is_empty());
    for l in rows(&unknown) {
        assert!(
            l["measured"].is_number() && l["theorem"].is_null() && l["gap"].is_null(),
            "{l}"
        );
    }
    assert!(
        stderr.contains("H(T) unknown") && stderr.contains("--fixed-transforms"),
        "{stderr}"
    );
    assert!(unknown["notes"][0].as_str().unwrap().contains("--h-t NATS"));
    assert!(unknown["h_t"].is_null());
    assert!(read(out.join("run.json"))["config"]["h_t"].is_null());
    assert!(read(out.join("manifest.json"))["config"]["h_t"].is_null());

    // Given: gap = H(T) − H(V|X) and theorem = measured − gap on every row; the rest unchanged.
    let out = tmp.path().join("given");
    let (given, stderr) = run(&["--h-t", "1.5"], Some(&out));
    assert!(!stderr.contains("H(T) unknown"), "{stderr}");
    assert!(given.get("notes").is_none());
    assert_eq!(given["info"], unknown["info"]);
    let expected_h_t = serde_json::json!({"nats": 1.5, "source": "given"});
    assert_eq!(given["h_t"], expected_h_t);
    assert_eq!(read(out.join("run.json"))["config"]["h_t"], expected_h_t);
    assert_eq!(
        read(out.join("manifest.json"))["config"]["h_t"],
        expected_h_t
    );
    assert_eq!(read(out.join("run.json"))["dataset"]["h_t"], 1.5);
    assert_eq!(rows(&given).len(), rows(&unknown).len());
    for (g, u) in rows(&given).iter().zip(&rows(&unknown)) {
        assert_eq!(g["measured"], u["measured"]);
        let (gap, measured) = (g["gap"].as_f64().unwrap(), g["measured"].as_f64().unwrap());
        assert!((gap - (1.5 - h_v_x(&given, g))).abs() <= 1e-12, "{g}");
        let theorem = g["theorem"].as_f64().unwrap();
        assert!((theorem - (measured - gap)).abs() <= 1e-9, "{g}");
    }

    // Fixed transforms: H(T) = ln K.
    let (fixed, _) = run(&["--fixed-transforms"], None);
    assert_eq!(fixed["h_t"]["source"], "fixed-transforms");
    assert_eq!(fixed["h_t"]["nats"].as_f64(), Some((k as f64).ln()));
    for l in rows(&fixed) {
        let gap = l["gap"].as_f64().unwrap();
        assert!(
            (gap - ((k as f64).ln() - h_v_x(&fixed, &l))).abs() <= 1e-12,
            "{l}"
        );
        // The merge/binned H(V|X) is at most ln K: the gap is ≥ 0.
        assert!(gap >= -1e-12, "{l}");
    }
}

#[test]
fn h_t_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, views) = views_case(tmp.path(), 20, 4, 2);
    let with_views = || {
        let mut c = bin();
        c.arg("analyze").arg(&input).arg("--views").arg(&views);
        c
    };
    let refused = |c: &mut Command, needles: &[&str]| {
        let a = c.assert().code(2);
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        for n in needles {
            assert!(stderr.contains(n), "{n:?} not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    // Exclusive.
    refused(
        with_views().args(["--fixed-transforms", "--h-t", "1"]),
        &["--fixed-transforms", "--h-t"],
    );
    // Not a finite number of nats ≥ 0.
    for bad in ["nan", "-1", "inf", "-inf"] {
        refused(with_views().args(["--h-t", bad]), &["--h-t"]);
    }
    refused(with_views().args(["--h-t", "two"]), &["--h-t", "two"]);
    // Without views.
    for flag in [&["--fixed-transforms"][..], &["--h-t", "0.5"]] {
        refused(
            bin().arg("analyze").arg(&input).args(flag),
            &[flag[0], "needs views", "--views"],
        );
    }
    // H(T) = 0 is a valid value (a single transform).
    with_views().args(["--h-t", "0"]).assert().success();
}
