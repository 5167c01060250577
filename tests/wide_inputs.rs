//! `analyze` on N ≤ d (ARCHITECTURE.md §6): a verdict, not a refusal. Complete collapse is judged
//! as usual; the rank ratios are taken against min(N−1, d) and min(N, d), and the output says
//! they are capped by N (text line, `--json`, run.json, report). Only N < 2 is refused.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{gaussian, low_rank, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

fn write(dir: &Path, name: &str, shape: &[usize], values: &[f64]) -> PathBuf {
    let p = dir.join(name);
    write_npy(&p, shape, values);
    p
}

fn analyze_json(args: &[&Path]) -> Value {
    let mut cmd = bin();
    cmd.arg("analyze");
    for a in args {
        cmd.arg(a);
    }
    let out = cmd.arg("--json").assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn capped(n: usize, d: usize) -> String {
    format!("N = {n} ≤ d = {d}: the rank ratios are capped by N")
}

#[test]
fn a_gaussian_embedding_with_n_at_most_d_is_healthy_with_the_warning() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, d) in [(64, 256), (2, 8), (32, 32)] {
        let file = write(
            tmp.path(),
            &format!("g{n}x{d}.npy"),
            &[n, d],
            &gaussian(n * d, n as u64),
        );
        let json = analyze_json(&[&file]);
        assert_eq!(json["verdict"], "healthy", "{n}×{d}: {json}");
        let name = format!("g{n}x{d}");
        let t = &json["tensors"][&name];
        let warning = t["warnings"][0].as_str().unwrap();
        assert!(warning.starts_with(&capped(n, d)), "{warning}");
        assert!(json["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{name}: {}", capped(n, d))));
        // The ratios are taken against min(N−1, d) = N − 1 and min(N, d) = N.
        let m = &t["metrics"];
        assert_eq!(m["rank_cap_centred"], (n - 1) as f64);
        assert_eq!(m["rank_cap"], n as f64);
        let ratio = m["effective_rank_centred_ratio"].as_f64().unwrap();
        let erc = m["effective_rank_centred"].as_f64().unwrap();
        assert!((ratio - erc / (n - 1) as f64).abs() < 1e-12);
        // The text line: a verdict (exit 0) and the warning on the same line.
        let out = bin().arg("analyze").arg(&file).assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let line = text.lines().next().unwrap();
        assert!(
            line.starts_with("ok ") && line.contains("healthy"),
            "{line}"
        );
        assert!(
            line.contains(&format!("[warning: {name}: {}", capped(n, d))),
            "{line}"
        );
    }
}

#[test]
fn n_above_d_has_no_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "tall.npy", &[65, 64], &gaussian(65 * 64, 9));
    let json = analyze_json(&[&file]);
    assert!(json.get("warnings").is_none(), "{json}");
    assert!(json["tensors"]["tall"].get("warnings").is_none());
    let out = bin().arg("analyze").arg(&file).assert().success();
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains("warning"));
}

#[test]
fn complete_collapse_with_n_below_d_is_found_and_fails_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (64, 256);
    let row = gaussian(d, 1);
    let noise = gaussian(n * d, 2);
    let values: Vec<f64> = (0..n * d).map(|k| row[k % d] + 1e-6 * noise[k]).collect();
    let file = write(tmp.path(), "same.npy", &[n, d], &values);
    let json = analyze_json(&[&file]);
    assert_eq!(json["verdict"], "complete-collapse", "{json}");
    assert!(json["warnings"][0]
        .as_str()
        .unwrap()
        .contains("capped by N"));
    // Through the run directory: check exits 1 and the warning reaches run.json and the report.
    let out = tmp.path().join("out");
    bin()
        .arg("analyze")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let t = &record["runs"][0]["epochs"][0]["tensors"]["same"];
    assert!(t["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with(&capped(n, d)));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(&format!("warning: same: {}", capped(n, d))));
    let check = bin()
        .args(["check", "--json"])
        .arg(out.join("run.json"))
        .assert()
        .code(1);
    let json: Value = serde_json::from_slice(&check.get_output().stdout).unwrap();
    assert_eq!(json["runs"][0]["verdict"], "complete-collapse");
    assert!(json["runs"][0]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("capped by N"));
    assert_eq!(json["runs"][0]["onset_epoch"], 0);
}

#[test]
fn a_low_rank_embedding_with_n_below_d_is_dimensional_collapse() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (64, 256);
    let file = write(tmp.path(), "r4.npy", &[n, d], &low_rank(n, d, 4, 3));
    let json = analyze_json(&[&file]);
    assert_eq!(json["verdict"], "dimensional-collapse", "{json}");
    let m = &json["tensors"]["r4"]["metrics"];
    assert!(m["effective_rank_centred"].as_f64().unwrap() <= 4.0 + 1e-9);
    // The same rank among as many rows as columns: still dimensional.
    let file = write(tmp.path(), "sq.npy", &[d, d], &low_rank(d, d, 4, 4));
    assert_eq!(analyze_json(&[&file])["verdict"], "dimensional-collapse");
}

#[test]
fn every_part_of_analyze_runs_with_n_at_most_d() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, d) in [(64, 256), (2, 8), (16, 16)] {
        let k = 4;
        let input = write(tmp.path(), "z.npy", &[n, d], &gaussian(n * d, 5));
        let views = write(tmp.path(), "v.npy", &[n, k, d], &gaussian(n * k * d, 6));
        let target = write(tmp.path(), "t.npy", &[n, k, d], &gaussian(n * k * d, 7));
        let labels = tmp.path().join("y.npy");
        let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        write_npy(&labels, &[n], &y);
        let out = bin()
            .arg("analyze")
            .arg(&input)
            .arg("--views")
            .arg(&views)
            .arg("--target")
            .arg(&target)
            .arg("--labels")
            .arg(&labels)
            .arg("--json")
            .assert()
            .success();
        let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(json["verdict"], "healthy", "{n}×{d}");
        let acc = json["knn_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        let info = json["info"].as_array().unwrap();
        assert!(!info.is_empty());
        for row in info {
            // A number, or null with the reason.
            assert!(
                row["value"].is_f64() || row["nonfinite"].is_string(),
                "{n}×{d}: {row}"
            );
        }
        for q in ["H(V)", "I(X;V)", "I(V;V')"] {
            assert!(info.iter().any(|r| r["quantity"] == q), "{n}×{d}: no {q}");
        }
        // The Gaussian log-determinant of N ≤ d rows is that of the ridge: no number, a reason.
        for r in info.iter().filter(|r| r["estimator"] == "gaussian") {
            let word = if r["quantity"] == "I(V;V')" {
                "nan"
            } else {
                "-inf"
            };
            assert_eq!(r["nonfinite"], word, "{n}×{d}: {r}");
            assert!(r["value"].is_null());
            assert!(
                r["warnings"].as_array().unwrap().iter().any(|w| w
                    .as_str()
                    .unwrap()
                    .contains("sample covariance is singular")),
                "{n}×{d}: {r}"
            );
        }
    }
}

#[test]
fn fewer_than_two_rows_is_still_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "one.npy", &[1, 8], &gaussian(8, 1));
    bin()
        .arg("analyze")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("one.npy").and(contains("at least 2 embeddings")));
}
