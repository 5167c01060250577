//! End-to-end CLI tests: `run --quick`, `check`, `report`, determinism and usage errors.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

/// One `run --quick` shared by the tests of this file.
fn quick_run() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("quick");
        bin()
            .args(["run", "--quick", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success()
            .stdout(contains("report.html"));
        (tmp, out)
    });
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn verdict_of(record: &Value, run: &str) -> String {
    record["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == run)
        .unwrap_or_else(|| panic!("no run {run}"))["verdict"]["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn quick_run_writes_the_run_directory() {
    let out = quick_run();
    for f in [
        "manifest.json",
        "run.json",
        "metrics.csv",
        "report.html",
        "charts/std_l2.png",
        "charts/std_l2.svg",
        "charts/effective_rank.png",
        "charts/effective_rank.svg",
        "snapshots/simsiam/epoch-0000.safetensors",
        "snapshots/simsiam/epoch-0025.safetensors",
        "snapshots/simsiam-no-stopgrad/epoch-0025.safetensors",
    ] {
        let p = out.join(f);
        assert!(p.is_file(), "missing {}", p.display());
        assert!(
            std::fs::metadata(&p).unwrap().len() > 0,
            "empty {}",
            p.display()
        );
    }
    let png = std::fs::read(out.join("charts/std_l2.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["dataset"]["k_views"], 8);
    assert!((manifest["dataset"]["h_t_nats"].as_f64().unwrap() - 8f64.ln()).abs() < 1e-12);
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("run,epoch,tensor,metric,scale,value\n"));
    assert!(csv.contains("simsiam,25,online.projector,std_l2,,"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("complete-collapse") && html.contains("<svg"));
}

#[test]
fn snapshots_hold_the_contract_tensors() {
    let bytes =
        std::fs::read(quick_run().join("snapshots/simsiam/epoch-0025.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let shape = |name: &str| {
        st.tensor(name)
            .unwrap_or_else(|_| panic!("no {name}"))
            .shape()
            .to_vec()
    };
    assert_eq!(shape("online.backbone"), vec![256, 128]);
    assert_eq!(shape("online.projector"), vec![256, 64]);
    assert_eq!(shape("online.predictor"), vec![256, 64]);
    assert_eq!(shape("views.backbone"), vec![256, 8, 128]);
    assert_eq!(shape("views.projector"), vec![256, 8, 64]);
    assert_eq!(shape("target.projector"), vec![256, 8, 64]);
    assert_eq!(shape("labels"), vec![256]);
    assert_eq!(
        st.tensor("labels").unwrap().dtype(),
        safetensors::Dtype::I64
    );
    assert_eq!(
        st.tensor("online.projector").unwrap().dtype(),
        safetensors::Dtype::F32
    );
}

#[test]
fn verdicts_come_from_the_signals() {
    let record = read_json(&quick_run().join("run.json"));
    assert_eq!(
        verdict_of(&record, "simsiam-no-stopgrad"),
        "complete-collapse"
    );
    let healthy = verdict_of(&record, "simsiam");
    assert_eq!(healthy, "healthy");
    // The evidence behind the collapse verdict is recorded with values and thresholds.
    let run = record["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "simsiam-no-stopgrad")
        .unwrap();
    let tensors = run["verdict"]["tensors"].as_object().unwrap();
    let fired: Vec<&Value> = tensors
        .values()
        .filter(|t| t["verdict"] == "complete-collapse")
        .flat_map(|t| t["evidence"].as_array().unwrap())
        .filter(|e| e["fired"] == true && e["supports"] == "complete-collapse")
        .collect();
    assert!(
        fired.len() >= 3,
        "a verdict needs several signals: {fired:?}"
    );
    for e in fired {
        assert!(e["value"].as_f64().unwrap() < e["threshold"].as_f64().unwrap());
    }
}

#[test]
fn check_exit_codes_and_json() {
    let out = quick_run();
    bin()
        .arg("check")
        .arg(out)
        .assert()
        .code(1)
        .stdout(contains("simsiam-no-stopgrad").and(contains("complete-collapse")));
    bin()
        .arg("check")
        .arg(out)
        .args(["--run", "simsiam"])
        .assert()
        .code(0);
    bin()
        .arg("check")
        .arg(out.join("run.json"))
        .args(["--run", "simsiam"])
        .assert()
        .code(0);
    let assert = bin().arg("check").arg(out).arg("--json").assert().code(1);
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["failed"], true);
    assert_eq!(json["fail_on"], "complete");
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        assert!(r["name"].is_string() && r["verdict"].is_string() && r["tensors"].is_object());
    }
    bin()
        .arg("check")
        .arg(out)
        .args(["--run", "nope"])
        .assert()
        .code(2)
        .stderr(contains("no such run"));
}

#[test]
fn check_on_a_missing_path_exits_2_with_a_message() {
    bin()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(contains("/definitely/not/here").and(contains("does not exist")));
    let empty = tempfile::tempdir().unwrap();
    bin()
        .arg("check")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(contains("has no run.json"));
}

#[test]
fn report_rebuilds_the_page_from_run_json() {
    let tmp = tempfile::tempdir().unwrap();
    let src = quick_run();
    std::fs::copy(src.join("run.json"), tmp.path().join("run.json")).unwrap();
    bin().arg("report").arg(tmp.path()).assert().success();
    let a = std::fs::read_to_string(src.join("report.html")).unwrap();
    let b = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert_eq!(a, b, "the report is a function of run.json alone");
    assert!(tmp.path().join("charts/effective_rank.svg").is_file());
}

#[test]
fn same_seed_same_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| -> Value {
        let out = tmp.path().join(name);
        bin()
            .args([
                "run",
                "--quiet",
                "--methods",
                "simsiam",
                "--epochs",
                "3",
                "--seed",
                seed,
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let mut v = read_json(&out.join("run.json"));
        v.as_object_mut().unwrap().remove("created");
        v
    };
    let a = run("a", "5");
    let b = run("b", "5");
    let c = run("c", "6");
    assert_eq!(a, b);
    assert_ne!(a["runs"], c["runs"]);
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    bin()
        .args(["run", "--methods", "simclr", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(contains("--methods").and(contains("simclr")));
    bin()
        .args(["run", "--config", "/no/such/config.toml"])
        .assert()
        .code(2)
        .stderr(contains("/no/such/config.toml"));
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, "[optim]\nlr = -3.0\n").unwrap();
    bin()
        .args(["run", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(contains("optim.lr"));
    std::fs::write(tmp.path().join("occupied"), b"").unwrap();
    bin()
        .args(["run", "--epochs", "1", "--out"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(contains("not empty"));
}
