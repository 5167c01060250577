//! End-to-end CLI tests: `run --quick`, `check`, `report`, determinism and usage errors.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::{pseudo_random, write_npy};

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

/// The collapse-metric panel of every run and tensor (ARCHITECTURE.md §4): the projector has
/// its views, so every metric is a number; the other tensors have no views, so LiDAR and
/// alignment are null with the reason; no value anywhere is null without one.
#[test]
fn quick_run_has_the_metric_panel() {
    let record = read_json(&quick_run().join("run.json"));
    let panel = ib_reports::panel::FIELD_METRICS;
    for run in record["runs"].as_array().unwrap() {
        let last = run["epochs"].as_array().unwrap().last().unwrap();
        for (name, t) in last["tensors"].as_object().unwrap() {
            let m = &t["metrics"];
            for &metric in panel {
                let why = &t["unavailable"][metric];
                match name.as_str() {
                    "online.projector" => assert!(m[metric].is_f64(), "{name} {metric}: {why}"),
                    _ if metric == "lidar" || metric == "alignment" => {
                        assert!(m[metric].is_null());
                        assert!(why.as_str().unwrap().contains("online.projector"), "{why}");
                    }
                    _ => assert!(m[metric].is_f64(), "{name} {metric}: {why}"),
                }
            }
            for (metric, v) in m.as_object().unwrap() {
                assert!(
                    v.is_f64() || t["unavailable"][metric].is_string(),
                    "{metric}"
                );
            }
            let fit = &t["alpha_req_fit"];
            assert_eq!(fit["alpha"], m["alpha_req"]);
            assert!(t["reference"]["uniformity"].as_f64().unwrap() < -3.0);
        }
        let evidence = run["verdict"]["tensors"]["online.projector"]["evidence"]
            .as_array()
            .unwrap();
        assert!(evidence.iter().any(|e| e["advisory"] == true));
    }
}

/// The information rows of the last epoch (ARCHITECTURE.md §5): every interval contains its
/// estimate, every binned/merge quantity has an unsaturated row, no Lagrangian row rests on a
/// saturated estimate, and `run` states H(T) (its probe uses K fixed transforms).
#[test]
fn quick_run_information_rows_can_be_trusted() {
    let record = read_json(&quick_run().join("run.json"));
    for run in record["runs"].as_array().unwrap() {
        let last = run["epochs"].as_array().unwrap().last().unwrap();
        let rows = last["info"].as_array().unwrap();
        let mut with_ci = 0;
        for r in rows {
            if let (Some(ci), Some(v)) = (r["ci"].as_array(), r["value"].as_f64()) {
                let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
                assert!(lo <= v && v <= hi, "{}: {r}", run["name"]);
                assert!(r["ci_method"].as_str().unwrap().starts_with("jackknife-20"));
                with_ci += 1;
            }
        }
        assert!(with_ci > 50, "{}: {with_ci} intervals", run["name"]);
        let key = |r: &Value| {
            format!(
                "{} {} {} {}",
                r["tensor"], r["estimator"], r["space"], r["scale"]
            )
        };
        let mut saturated = std::collections::BTreeSet::new();
        let mut quantities = std::collections::BTreeMap::new();
        for r in rows
            .iter()
            .filter(|r| r["estimator"] == "binned" || r["estimator"] == "merge")
        {
            let sat = r["saturated"]
                .as_bool()
                .expect("plug-in rows say whether they saturate");
            if sat {
                saturated.insert(key(r));
            }
            let q = format!("{} {} {}", r["estimator"], r["space"], r["quantity"]);
            *quantities.entry(q).or_insert(0) += usize::from(!sat);
        }
        assert_eq!(quantities.len(), 20, "{quantities:?}");
        for (q, unsaturated) in &quantities {
            assert!(
                *unsaturated > 0,
                "{}: {q} saturated at every scale",
                run["name"]
            );
        }
        let lagrangian = last["lagrangian"].as_array().unwrap();
        assert!(!lagrangian.is_empty());
        for l in lagrangian {
            assert!(!saturated.contains(&key(l)), "{l}");
            assert!(l["theorem"].is_f64() && l["gap"].is_f64(), "{l}");
        }
    }
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
        let (v, t) = (
            e["value"].as_f64().unwrap(),
            e["threshold"].as_f64().unwrap(),
        );
        match e["op"].as_str().unwrap() {
            "<" => assert!(v < t, "{e}"),
            ">" => assert!(v > t && e["advisory"] == true, "{e}"),
            op => panic!("op {op}"),
        }
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
    assert_eq!(runs.len(), 5);
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

#[test]
fn trains_on_user_rows_and_images_with_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = tmp.path().join("rows.npy");
    write_npy(&rows, &[300, 12], &pseudo_random(300 * 12, 1));
    let labels = tmp.path().join("labels.npy");
    let y: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
    write_npy(&labels, &[300], &y);
    let out = tmp.path().join("rows-run");
    bin()
        .args([
            "run",
            "--quiet",
            "--methods",
            "simsiam",
            "--epochs",
            "2",
            "--dataset",
        ])
        .arg(&rows)
        .arg("--labels")
        .arg(&labels)
        .args(["--out"])
        .arg(&out)
        .assert()
        .success();
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["dataset"]["input_dim"], 12);
    let last = record["runs"][0]["epochs"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["knn_accuracy"].as_f64().is_some(),
        "labels give a kNN monitor"
    );

    let images = tmp.path().join("images.npy");
    write_npy(&images, &[200, 1, 6, 4], &pseudo_random(200 * 24, 2));
    let out = tmp.path().join("image-run");
    bin()
        .args([
            "run",
            "--quiet",
            "--methods",
            "simsiam",
            "--epochs",
            "1",
            "--dataset",
        ])
        .arg(&images)
        .args(["--out"])
        .arg(&out)
        .assert()
        .success();
    let manifest = read_json(&out.join("manifest.json"));
    // 6×4 images keep their shape under 4 dihedral transforms: the default K = 8 becomes 4.
    assert_eq!(manifest["dataset"]["k_views"], 4);
    assert!((manifest["dataset"]["h_t_nats"].as_f64().unwrap() - 4f64.ln()).abs() < 1e-12);
}

#[test]
fn bad_user_data_exits_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat.npy");
    write_npy(&flat, &[50], &pseudo_random(50, 3));
    bin()
        .args(["run", "--quiet", "--dataset"])
        .arg(&flat)
        .args(["--out"])
        .arg(tmp.path().join("a"))
        .assert()
        .code(2)
        .stderr(contains("flat.npy"));
    let rows = tmp.path().join("rows.npy");
    write_npy(&rows, &[100, 4], &pseudo_random(400, 4));
    let labels = tmp.path().join("labels.npy");
    write_npy(&labels, &[99], &vec![1.0; 99]);
    bin()
        .args(["run", "--quiet", "--dataset"])
        .arg(&rows)
        .arg("--labels")
        .arg(&labels)
        .args(["--out"])
        .arg(tmp.path().join("b"))
        .assert()
        .code(2)
        .stderr(contains("99 labels"));
    let mut nan = pseudo_random(400, 5);
    nan[17] = f64::NAN;
    write_npy(&rows, &[100, 4], &nan);
    bin()
        .args(["run", "--quiet", "--dataset"])
        .arg(&rows)
        .args(["--out"])
        .arg(tmp.path().join("c"))
        .assert()
        .code(2)
        .stderr(contains("rows.npy"));
}

#[test]
fn check_writes_junit_and_github_annotations() {
    let out = quick_run();
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("check.xml");
    let assert = bin()
        .arg("check")
        .arg(out)
        .arg("--junit")
        .arg(&junit)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("::error title=ib-analyze check%3A simsiam-no-stopgrad::"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("::error title=ib-analyze check%3A simsiam::"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), record_runs(out));
    assert!(
        xml.contains("<failure message=\"complete-collapse"),
        "{xml}"
    );
    let failed = json_failed_runs(out);
    assert_eq!(xml.matches("<failure ").count(), failed);
}

fn json_failed_runs(out: &Path) -> usize {
    let assert = bin().arg("check").arg(out).arg("--json").assert();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["failed"] == true)
        .count()
}

fn record_runs(out: &Path) -> usize {
    read_json(&out.join("run.json"))["runs"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_diverging_run_is_recorded_as_diverged_with_its_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("lr.toml");
    std::fs::write(&cfg, "[optim]\nlr = 1e6\n").unwrap();
    let out = tmp.path().join("div");
    bin()
        .args([
            "run",
            "--quiet",
            "--methods",
            "simsiam",
            "--epochs",
            "3",
            "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("diverged"));
    let record = read_json(&out.join("run.json"));
    let run = &record["runs"][0];
    assert_eq!(run["verdict"]["verdict"], "diverged");
    assert_eq!(run["diverged_at"], 1);
    // The report and the charts of what was finite are still written; nothing non-finite in JSON.
    assert!(out.join("report.html").is_file());
    bin()
        .arg("check")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(contains("diverged").and(contains("epoch 1")));
}

/// Start a long run and wait until its first snapshot exists.
fn start_long_run(out: &Path) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ib-analyze"))
        .args([
            "run",
            "--quiet",
            "--methods",
            "simsiam,byol",
            // Long enough to be stopped mid-training, within the 1000 snapshots a method may take.
            "--epochs",
            "4000",
            "--out",
        ])
        .arg(out)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = out.join("snapshots/simsiam/epoch-0000.safetensors");
    let start = std::time::Instant::now();
    while !first.exists() {
        assert!(
            start.elapsed().as_secs() < 120,
            "the run never wrote its first snapshot"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child
}

fn send(signal: &str, child: &std::process::Child) {
    let ok = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {signal}");
}

/// Every file of a run directory that has its final name must be complete.
fn assert_no_truncated_files(out: &Path) {
    for entry in std::fs::read_dir(out.join("snapshots/simsiam")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "safetensors") {
            let bytes = std::fs::read(&path).unwrap();
            safetensors::SafeTensors::deserialize(&bytes)
                .unwrap_or_else(|e| panic!("{} is truncated: {e}", path.display()));
        }
    }
    serde_json::from_slice::<Value>(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        !out.join("run.json").exists(),
        "an interrupted run must not look finished"
    );
    bin()
        .arg("check")
        .arg(out)
        .assert()
        .code(2)
        .stderr(contains("has no run.json"));
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_cleanly_and_the_directory_never_looks_finished() {
    let tmp = tempfile::tempdir().unwrap();
    for signal in ["-INT", "-TERM"] {
        let out = tmp.path().join(signal.trim_start_matches('-'));
        let child = start_long_run(&out);
        send(signal, &child);
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "{signal}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("interrupted") && stderr.contains("incomplete"),
            "{stderr}"
        );
        assert_no_truncated_files(&out);
        // A rerun into the same directory refuses.
        bin()
            .args(["run", "--epochs", "1", "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains("not empty"));
    }
}

#[cfg(unix)]
#[test]
fn after_kill_9_no_truncated_file_passes_for_a_complete_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("killed");
    let mut child = start_long_run(&out);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_no_truncated_files(&out);
}
