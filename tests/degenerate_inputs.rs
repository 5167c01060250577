//! Degenerate and extreme-scale inputs through the command line (ARCHITECTURE.md §4, §6): a
//! completely collapsed embedding is `complete-collapse` whatever its scale (all zero included),
//! so `check` fails on it; rows with zero norm are counted (`zero_norm_rows`); the metrics, the
//! verdict, the kNN accuracy and the Gaussian / Kozachenko–Leonenko estimates do not depend on
//! the scale of the data (1e-300 … 1e300); one-column inputs are measured; an absurd `--k` is
//! refused with a message that names it.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{gaussian, npy_header, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

fn write(dir: &Path, name: &str, shape: &[usize], values: &[f64]) -> PathBuf {
    let p = dir.join(name);
    write_npy(&p, shape, values);
    p
}

fn write_labels(dir: &Path, labels: &[i64]) -> PathBuf {
    let p = dir.join("labels.npy");
    let mut bytes = npy_header("<i8", &format!("({},)", labels.len()));
    for v in labels {
        bytes.extend(v.to_le_bytes());
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `analyze FILE [ARGS] --json`, exit 0, the JSON object.
fn analyze_json(file: &Path, args: &[&str]) -> Value {
    let out = bin()
        .arg("analyze")
        .arg(file)
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// `analyze FILE --out DIR` then `check DIR`: the check's exit code and stdout.
fn analyze_then_check(file: &Path, out: &Path) -> (i32, String) {
    bin()
        .arg("analyze")
        .arg(file)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("run.json")).unwrap();
    let _: Value = serde_json::from_str(&text).unwrap();
    let o = bin().arg("check").arg(out).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).to_string(),
    )
}

#[test]
fn all_zero_rows_are_complete_collapse_and_fail_the_gate() {
    // np.zeros((500, 16)): no row has a direction. It was judged dimensional-collapse (an
    // angular spread of π/2) and `check` passed it.
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "zeros.npy", &[500, 16], &vec![0.0; 500 * 16]);
    let (code, stdout) = analyze_then_check(&f, &tmp.path().join("run"));
    assert_eq!(code, 1, "check must fail: {stdout}");
    assert!(stdout.contains("complete-collapse"), "{stdout}");
    assert!(stdout.contains("zero_norm_rows 500 > 499"), "{stdout}");
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("run/run.json")).unwrap())
            .unwrap();
    let run = &record["runs"][0];
    let metrics = &run["epochs"][0]["tensors"]["zeros"]["metrics"];
    assert_eq!(metrics["zero_norm_rows"], 500.0);
    let evidence = run["verdict"]["tensors"]["zeros"]["evidence"]
        .as_array()
        .unwrap();
    let zero = evidence
        .iter()
        .find(|e| e["signal"] == "zero_norm_rows")
        .expect("zero_norm_rows in the evidence");
    assert_eq!(zero["fired"], true);
    assert_eq!(zero["supports"], "complete-collapse");
}

#[test]
fn a_constant_embedding_is_complete_collapse_at_every_scale() {
    // Rows of 1e200: the squared norm overflowed, the normalised rows became 0 (and the
    // spectrum null in run.json); rows of 1e-150 or 1e-300 stayed near 0 under the 1e-12 floor.
    let tmp = tempfile::tempdir().unwrap();
    for (i, scale) in [1e-300, 1e-150, 1.0, 1e150, 1e200, 1e300, 0.0]
        .into_iter()
        .enumerate()
    {
        let values: Vec<f64> = (0..500 * 16)
            .map(|j| scale * (1.0 + (j % 16) as f64 / 16.0))
            .collect();
        let f = write(tmp.path(), &format!("c{i}.npy"), &[500, 16], &values);
        let json = analyze_json(&f, &[]);
        assert_eq!(
            json["verdict"], "complete-collapse",
            "scale {scale}: {json}"
        );
        let (code, stdout) = analyze_then_check(&f, &tmp.path().join(format!("run{i}")));
        assert_eq!(code, 1, "scale {scale}: {stdout}");
        let m = &json["tensors"][format!("c{i}")]["metrics"];
        let zero = if scale == 0.0 { 500.0 } else { 0.0 };
        assert_eq!(m["zero_norm_rows"], zero, "scale {scale}: {m}");
    }
}

#[test]
fn metrics_verdict_and_knn_accuracy_do_not_depend_on_the_scale() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (400, 12);
    let base = gaussian(n * d, 7);
    let labels: Vec<i64> = (0..n)
        .map(|i| i64::from(base[i * d] > 0.0) + 2 * i64::from(base[i * d + 1] > 0.0))
        .collect();
    let labels = write_labels(tmp.path(), &labels);
    let labels = labels.to_str().unwrap();
    let run = |scale: f64| {
        let v: Vec<f64> = base.iter().map(|x| x * scale).collect();
        let f = write(tmp.path(), "emb.npy", &[n, d], &v);
        analyze_json(&f, &["--labels", labels])
    };
    let reference = run(1.0);
    assert_eq!(reference["verdict"], "healthy");
    let rm = &reference["tensors"]["emb"]["metrics"];
    for scale in [1e-300, 1e-150, 1e150, 1e200, 1e300] {
        let json = run(scale);
        assert_eq!(json["verdict"], reference["verdict"], "scale {scale}");
        assert_eq!(
            json["knn_accuracy"], reference["knn_accuracy"],
            "scale {scale}"
        );
        let m = &json["tensors"]["emb"]["metrics"];
        for key in [
            "normalised_std_l2",
            "effective_rank",
            "effective_rank_centred",
            "angular_spread",
            "relative_spread",
        ] {
            let (a, b) = (m[key].as_f64().unwrap(), rm[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * b.abs(),
                "scale {scale}: {key} {a} vs {b}"
            );
        }
    }
}

#[test]
fn zero_rows_among_healthy_ones_are_counted_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (300, 8);
    let mut v = gaussian(n * d, 3);
    for i in [0, 10, 100, 299] {
        v[i * d..(i + 1) * d].fill(0.0);
    }
    let f = write(tmp.path(), "emb.npy", &[n, d], &v);
    let json = analyze_json(&f, &[]);
    assert_eq!(json["verdict"], "healthy");
    let t = &json["tensors"]["emb"];
    assert_eq!(t["metrics"]["zero_norm_rows"], 4.0);
    let ev = t["evidence"].as_array().unwrap();
    assert!(ev
        .iter()
        .any(|e| e["signal"] == "zero_norm_rows" && e["fired"] == false));
    // The l2 space of the information estimates says how many rows stayed off the sphere.
    let warned = json["info"].as_array().unwrap().iter().any(|r| {
        r["space"] == "l2"
            && r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().starts_with("4 rows have l2 norm 0"))
    });
    assert!(warned, "no zero-row warning in the l2 rows");
}

/// `estimate ... --json` on `file`: the JSON object (exit 0).
fn estimate_json(args: &[&str], file: &Path) -> Value {
    let out = bin()
        .arg("estimate")
        .args(args)
        .arg(file)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn gaussian_and_kl_estimates_are_finite_and_equivariant_at_extreme_scales() {
    // Well-conditioned data scaled by 1e300 gave −∞ "covariance singular" (the covariance
    // overflowed, or underflowed at 1e-300); the Euclidean Kozachenko–Leonenko estimate gave +∞
    // and −∞ (squared distances out of range).
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (2000, 3);
    let base = gaussian(n * d, 21);
    let file = |scale: f64, name: &str| {
        let v: Vec<f64> = base.iter().map(|x| x * scale).collect();
        write(tmp.path(), name, &[n, d], &v)
    };
    let one = file(1.0, "one.npy");
    let methods: [&[&str]; 3] = [
        &["entropy", "--method", "gaussian"],
        &["entropy", "--method", "kl", "--norm", "euclidean"],
        &["entropy", "--method", "kl"],
    ];
    for args in methods {
        let h = estimate_json(args, &one)["value"].as_f64().unwrap();
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            let json = estimate_json(args, &file(scale, "scaled.npy"));
            let want = h + d as f64 * scale.ln();
            let got = json["value"]
                .as_f64()
                .unwrap_or_else(|| panic!("{args:?} at {scale}: {json}"));
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "{args:?} at {scale}: {got} vs {want}"
            );
            assert_eq!(json["degenerate"], false, "{args:?} at {scale}: {json}");
            assert_eq!(json["warnings"], serde_json::json!([]), "{json}");
        }
    }
    // Mutual information and conditional entropy follow (the former is scale-free).
    let pair = ["--x-cols", "0:1", "--y-cols", "1:3"];
    let i1 = estimate_json(&[&["mi", "--method", "gaussian"][..], &pair].concat(), &one);
    let big = file(1e300, "big.npy");
    let i2 = estimate_json(&[&["mi", "--method", "gaussian"][..], &pair].concat(), &big);
    let (a, b) = (i1["value"].as_f64().unwrap(), i2["value"].as_f64().unwrap());
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    let c = estimate_json(
        &[&["cond-entropy", "--method", "gaussian"][..], &pair].concat(),
        &big,
    );
    assert!(c["value"].as_f64().unwrap().is_finite(), "{c}");
}

#[test]
fn one_column_inputs_are_measured_with_every_option() {
    // N×1 embeddings, with and without views, target and labels (a layout assumption in the
    // pairwise distances panicked on them).
    let tmp = tempfile::tempdir().unwrap();
    for n in [2, 3, 40, 100] {
        let dir = tmp.path().join(format!("n{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let emb = write(&dir, "emb.npy", &[n, 1], &gaussian(n, 1));
        let rows = write(&dir, "rows.npy", &[n, 1], &gaussian(n, 2));
        let views = write(&dir, "views.npy", &[n, 3, 1], &gaussian(3 * n, 3));
        let target = write(&dir, "target.npy", &[n, 3, 1], &gaussian(3 * n, 4));
        let labels: Vec<i64> = (0..n as i64).map(|i| i % 2).collect();
        let labels = write_labels(&dir, &labels);
        let s = |p: &PathBuf| p.to_str().unwrap().to_string();
        let option_sets: Vec<Vec<String>> = vec![
            vec![],
            vec!["--views".into(), s(&views)],
            vec!["--target".into(), s(&rows)],
            vec![
                "--views".into(),
                s(&views),
                "--target".into(),
                s(&target),
                "--labels".into(),
                s(&labels),
            ],
            vec!["--labels".into(), s(&labels)],
        ];
        for opts in option_sets {
            let out = bin()
                .arg("analyze")
                .arg(&emb)
                .args(&opts)
                .arg("--json")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "N = {n} {opts:?}: {stderr}");
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(json["verdict"].is_string());
            let m = &json["tensors"]["emb"]["metrics"];
            assert!(m["effective_rank"].is_number(), "N = {n} {opts:?}: {m}");
        }
    }
}

#[test]
fn an_absurd_k_is_refused_with_its_value() {
    // k + 1 overflowed: "(at least 0 rows)".
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "x.npy", &[50, 2], &gaussian(100, 5));
    for method in ["kl", "ksg1"] {
        let mut cmd = bin();
        cmd.args(["estimate", if method == "kl" { "entropy" } else { "mi" }])
            .args(["--method", method, "--k", "18446744073709551615"]);
        if method == "ksg1" {
            cmd.args(["--x-cols", "0:1", "--y-cols", "1:2"]);
        }
        cmd.arg(&f)
            .assert()
            .code(2)
            .stderr(contains("--k 18446744073709551615"))
            .stderr(contains("at least 0 rows").not())
            .stderr(contains("panicked").not());
    }
    // A k just too large names the rows it needs and the largest k that works.
    bin()
        .args(["estimate", "entropy", "--method", "kl", "--k", "50"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("at least 51 rows"))
        .stderr(contains("--k 49"));
    bin()
        .args(["estimate", "entropy", "--method", "kl", "--k"])
        .arg(u64::MAX.to_string())
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("more than any input can hold"));
}

#[test]
fn entries_too_large_for_the_spectrum_are_refused_not_written_as_null() {
    // Singular values beyond the f64 range (entries near 1e308): exit 2 with the reason, and
    // no run directory that `check` could not read.
    let tmp = tempfile::tempdir().unwrap();
    let values: Vec<f64> = gaussian(500 * 16, 9).iter().map(|v| v * 1e307).collect();
    let f = write(tmp.path(), "huge.npy", &[500, 16], &values);
    bin()
        .arg("analyze")
        .arg(&f)
        .arg("--out")
        .arg(tmp.path().join("run"))
        .assert()
        .code(2)
        .stderr(contains("beyond the range of f64"))
        .stderr(contains("panicked").not());
    assert!(!tmp.path().join("run/run.json").exists());
}
