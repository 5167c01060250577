//! The collapse-metric panel through the CLI (ARCHITECTURE.md §4): the seven metrics of an
//! exported embedding against an independent numpy implementation, nulls with their reasons
//! when an input is missing, and degenerate inputs that give a null, never NaN or a panic.

mod common;

use common::{analyze_json, bin, gaussian, write_npy};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ib_reports::panel::FIELD_METRICS as PANEL;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/panel")
        .join(name)
}

/// The only tensor of an `analyze --json` object.
fn tensor(j: &Value) -> &Value {
    let tensors = j["tensors"].as_object().unwrap();
    assert_eq!(tensors.len(), 1);
    tensors.values().next().unwrap()
}

fn os(p: &Path) -> &OsStr {
    p.as_os_str()
}

#[test]
fn exported_embeddings_match_the_numpy_reference() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let (emb, views, labels) = (
        fixture("emb.npy"),
        fixture("views.npy"),
        fixture("labels.npy"),
    );
    let j = analyze_json(&[
        os(&emb),
        OsStr::new("--views"),
        os(&views),
        OsStr::new("--labels"),
        os(&labels),
    ]);
    let t = tensor(&j);
    for &name in PANEL {
        let want = expected[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} in expected.json"));
        let got = t["metrics"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: {}", t["metrics"][name]));
        let rel = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
        assert!(rel <= 1e-6, "{name}: {got} against {want} (rel {rel:e})");
    }
    assert!(t.get("unavailable").is_none(), "{t}");
    // The healthy export stays healthy, and the panel's signals are in the evidence, advisory.
    assert_eq!(t["verdict"], "healthy");
    let advisory: Vec<&str> = t["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["advisory"] == true)
        .map(|e| e["signal"].as_str().unwrap())
        .collect();
    assert_eq!(advisory, ["uniformity"]);
}

#[test]
fn class_spread_in_run_json_matches_the_numpy_reference() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let want = expected["classes"]
        .as_array()
        .expect("classes in expected.json");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    bin()
        .arg("analyze")
        .arg(fixture("emb.npy"))
        .arg("--labels")
        .arg(fixture("labels.npy"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let tensors = record["runs"][0]["epochs"][0]["tensors"]
        .as_object()
        .unwrap();
    let classes = &tensors.values().next().unwrap()["classes"];
    assert_eq!(classes["rows"], 600);
    let got = classes["classes"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    let close = |a: &Value, b: &Value, what: &str| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        let rel = (a - b).abs() / b.abs();
        assert!(rel <= 1e-9, "{what}: {a} against {b} (rel {rel:e})");
    };
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["label"], w["label"]);
        assert_eq!(g["count"], w["count"]);
        close(&g["radius"], &w["radius"], "radius");
        close(&g["nearest"], &w["nearest"], "nearest");
    }
    // Without labels there is no class structure.
    let bare = tmp.path().join("bare");
    bin()
        .arg("analyze")
        .arg(fixture("emb.npy"))
        .arg("--out")
        .arg(&bare)
        .assert()
        .success();
    let text = std::fs::read_to_string(bare.join("run.json")).unwrap();
    assert!(!text.contains("\"classes\""), "classes without labels");
}

/// A 300×24 Gaussian embedding written to `dir/NAME.npy`.
fn embedding(dir: &Path, name: &str, n: usize, d: usize, seed: u64) -> PathBuf {
    let p = dir.join(format!("{name}.npy"));
    write_npy(&p, &[n, d], &gaussian(n * d, seed));
    p
}

#[test]
fn missing_inputs_give_nulls_with_their_reasons_in_json_run_json_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let z = embedding(tmp.path(), "z", 300, 24, 1);
    let out = tmp.path().join("out");
    let j = analyze_json(&[os(&z), OsStr::new("--out"), os(&out)]);
    let t = tensor(&j);
    for name in ["lidar", "alignment", "nc1"] {
        assert!(
            t["metrics"][name].is_null(),
            "{name}: {}",
            t["metrics"][name]
        );
    }
    let why = &t["unavailable"];
    assert!(why["lidar"].as_str().unwrap().contains("--views"), "{why}");
    assert!(
        why["alignment"].as_str().unwrap().contains("--views"),
        "{why}"
    );
    assert!(why["nc1"].as_str().unwrap().contains("--labels"), "{why}");
    for name in ["alpha_req", "alpha_req_r2", "uniformity", "intrinsic_dim"] {
        let v = t["metrics"][name].as_f64().unwrap();
        assert!(v.is_finite(), "{name}");
    }
    // A 24-dimensional isotropic Gaussian: TwoNN near 24 (it underestimates at this N), a flat
    // spectrum (α near 0), uniformity near its isotropic reference.
    let m = &t["metrics"];
    assert!(m["alpha_req"].as_f64().unwrap().abs() < 0.5, "{m}");
    assert!(
        (10.0..30.0).contains(&m["intrinsic_dim"].as_f64().unwrap()),
        "{m}"
    );

    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let rt = &record["runs"][0]["epochs"][0]["tensors"]["z"];
    assert!(rt["metrics"]["lidar"].is_null());
    assert_eq!(rt["unavailable"], *why);
    let reference = rt["reference"]["uniformity"].as_f64().unwrap();
    assert!(
        (m["uniformity"].as_f64().unwrap() - reference).abs() < 0.05,
        "{m} {reference}"
    );
    assert_eq!(rt["reference"]["intrinsic_dim"], 24.0);
    assert!(rt["alpha_req_fit"]["last_rank"].as_u64().unwrap() <= 24);
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.lines().any(|l| l == "z,0,z,lidar,,"), "{csv}");
    assert!(csv
        .lines()
        .any(|l| l.starts_with("z,0,z,uniformity,,-") && l.len() > 22));
}

#[test]
fn one_view_one_class_and_tiny_or_constant_inputs_give_nulls_not_nan() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let z = embedding(d, "z", 40, 6, 2);
    // K = 1 view per input.
    let v1 = d.join("v1.npy");
    write_npy(&v1, &[20, 1, 6], &gaussian(120, 3));
    // One class.
    let y1 = d.join("y1.npy");
    std::fs::write(
        &y1,
        [common::npy_header("<i8", "(40,)"), [0u8; 8].repeat(40)].concat(),
    )
    .unwrap();
    let j = analyze_json(&[
        os(&z),
        OsStr::new("--views"),
        os(&v1),
        OsStr::new("--labels"),
        os(&y1),
    ]);
    let t = tensor(&j);
    assert!(t["metrics"]["lidar"].is_null() && t["metrics"]["alignment"].is_null());
    assert!(t["unavailable"]["lidar"]
        .as_str()
        .unwrap()
        .contains("K = 1"));
    assert!(t["metrics"]["nc1"].is_null());
    assert!(t["unavailable"]["nc1"].as_str().unwrap().contains("class"));

    // N = 2 rows: no line through one rank, no second neighbour.
    let tiny = embedding(d, "tiny", 2, 3, 4);
    let j = analyze_json(&[os(&tiny)]);
    let t = tensor(&j);
    for name in ["alpha_req", "alpha_req_r2", "intrinsic_dim"] {
        assert!(t["metrics"][name].is_null(), "{name}: {t}");
        assert!(t["unavailable"][name].is_string(), "{name}: {t}");
    }

    // Constant rows: complete collapse; uniformity 0 (one direction), α and TwoNN null.
    let c = d.join("const.npy");
    write_npy(&c, &[50, 4], &[0.5; 200]);
    let out = bin()
        .args(["analyze", c.to_str().unwrap(), "--json"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains("NaN") && !text.contains("nan"), "{text}");
    let j: Value = serde_json::from_str(&text).unwrap();
    let t = tensor(&j);
    assert_eq!(t["verdict"], "complete-collapse");
    assert_eq!(t["metrics"]["uniformity"], 0.0);
    assert!(t["metrics"]["alpha_req"].is_null() && t["metrics"]["intrinsic_dim"].is_null());
    let fired: Vec<&str> = t["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["advisory"] == true && e["fired"] == true)
        .map(|e| e["signal"].as_str().unwrap())
        .collect();
    assert_eq!(fired, ["uniformity"], "{t}");
}

#[test]
fn alpha_req_fit_range_comes_from_the_config_and_bad_ranges_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let z = embedding(tmp.path(), "z", 200, 16, 5);
    let cfg = tmp.path().join("c.toml");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/default_config.toml"),
    )
    .unwrap();
    std::fs::write(
        &cfg,
        base.replace("alpha_req_last_rank = 0", "alpha_req_last_rank = 8"),
    )
    .unwrap();
    let j = analyze_json(&[os(&z), OsStr::new("--config"), os(&cfg)]);
    let all = analyze_json(&[os(&z)]);
    let (a8, a) = (
        tensor(&j)["metrics"]["alpha_req"].as_f64().unwrap(),
        tensor(&all)["metrics"]["alpha_req"].as_f64().unwrap(),
    );
    assert_ne!(a8, a);

    std::fs::write(
        &cfg,
        base.replace("alpha_req_last_rank = 0", "alpha_req_last_rank = 1"),
    )
    .unwrap();
    let out = bin()
        .args([
            "analyze",
            z.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("panel.alpha_req_last_rank"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
