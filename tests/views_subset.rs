//! `ib-analyze analyze INPUT --views V` with views of other inputs than INPUT's rows (N′ ≠ N,
//! ARCHITECTURE.md §3): H(V) of `kl`/`gaussian`, the spectra, the verdict and the kNN accuracy
//! come from INPUT, every other information quantity from the views; N′ = N is the paired case
//! (the same numbers as a series file holding the same tensors); f16 exports of hundreds of
//! dimensions; refusals naming both files and the shapes; every interval contains its value.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{analyze_json, bin};
use common::{gaussian, low_rank, npy_header, write_npy};

/// Exit 2 with stderr containing every one of `needles`.
fn fails(cmd: &mut Command, needles: &[&str]) {
    let out = cmd.assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// K noisy views (noise σ) of each of the first `n_views` rows of the n×d `z`; rows past n
/// are fresh Gaussian inputs (views of inputs INPUT does not hold).
fn views_of(z: &[f64], d: usize, n_views: usize, k: usize, sigma: f64, seed: u64) -> Vec<f64> {
    let n = z.len() / d;
    let extra = gaussian(n_views.saturating_sub(n) * d, seed + 1);
    let noise = gaussian(n_views * k * d, seed);
    (0..n_views * k * d)
        .map(|i| {
            let (row, col) = (i / (k * d), i % d);
            let clean = if row < n {
                z[row * d + col]
            } else {
                extra[(row - n) * d + col]
            };
            clean + sigma * noise[i]
        })
        .collect()
}

fn write(dir: &Path, name: &str, shape: &[usize], values: &[f64]) -> PathBuf {
    let p = dir.join(name);
    write_npy(&p, shape, values);
    p
}

fn info(json: &Value) -> &Vec<Value> {
    json["info"].as_array().unwrap()
}

/// Asserts lo ≤ value ≤ hi for every information row with an interval; returns their number.
fn intervals_contain_their_values(json: &Value) -> usize {
    let mut with_ci = 0;
    for r in info(json) {
        let Some(ci) = r.get("ci").filter(|c| !c.is_null()) else {
            continue;
        };
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        let v = r["value"].as_f64().unwrap();
        assert!(
            lo <= v && v <= hi,
            "interval [{lo}, {hi}] excludes {v}: {r}"
        );
        with_ci += 1;
    }
    with_ci
}

/// Rows computed from the clean rows of INPUT: H(V) of `kl` and `gaussian`.
fn from_input(r: &Value) -> bool {
    r["quantity"] == "H(V)" && (r["estimator"] == "kl" || r["estimator"] == "gaussian")
}

#[test]
fn views_of_a_subset_give_the_view_quantities_and_input_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k, nv) = (200, 8, 4, 60);
    let z = low_rank(n, d, 6, 1);
    let input = write(tmp.path(), "z.npy", &[n, d], &z);
    let sub = write(
        tmp.path(),
        "sub.npy",
        &[nv, k, d],
        &views_of(&z, d, nv, k, 0.1, 2),
    );
    let all = write(
        tmp.path(),
        "all.npy",
        &[n, k, d],
        &views_of(&z, d, n, k, 0.1, 3),
    );
    let labels = tmp.path().join("y.npy");
    let y: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
    write_npy(&labels, &[n], &y);
    let a = |views: &Path, input: &Path| {
        analyze_json(&[
            input.as_os_str(),
            "--views".as_ref(),
            views.as_os_str(),
            "--labels".as_ref(),
            labels.as_os_str(),
        ])
    };
    let j = a(&sub, &input);
    assert_eq!((j["n"].as_u64(), j["d"].as_u64()), (Some(200), Some(8)));
    assert_eq!(j["views_n"], 60, "{j}");
    for q in ["H(V)", "H(V|X)", "I(X;V)", "I(V;V')", "H(V|V')"] {
        assert!(info(&j).iter().any(|r| r["quantity"] == q), "{q} missing");
    }
    // The view quantities are of 60 inputs, the rows of kl/gaussian H(V) of INPUT's 200.
    for r in info(&j) {
        let rows = if from_input(r) { n } else { nv };
        assert_eq!(r["rows"], rows, "{r}");
    }
    assert!(intervals_contain_their_values(&j) > 0);
    assert!(j["knn_accuracy"].is_number());

    // The tensor metrics, the verdict and the kNN accuracy are INPUT's: the same without views,
    // but for the two panel metrics of the views (null without them, with the reason).
    let alone = analyze_json(&[input.as_os_str(), "--labels".as_ref(), labels.as_os_str()]);
    let mut with_views = j["tensors"].clone();
    let m = with_views["z"]["metrics"].as_object_mut().unwrap();
    for view_metric in ["lidar", "alignment"] {
        assert!(m[view_metric].is_number(), "{view_metric}");
        assert!(alone["tensors"]["z"]["metrics"][view_metric].is_null());
        m.insert(view_metric.into(), serde_json::Value::Null);
    }
    m.remove("lidar_cap");
    let reasons = alone["tensors"]["z"]["unavailable"].clone();
    with_views["z"]["unavailable"] = reasons;
    assert_eq!(with_views, alone["tensors"]);
    assert_eq!(j["verdict"], alone["verdict"]);
    assert_eq!(j["knn_accuracy"], alone["knn_accuracy"]);

    // H(V) of kl/gaussian is INPUT's whatever views come with it (all 200 rows are used either
    // way, in another order: equal up to rounding).
    let paired = a(&all, &input);
    assert_eq!(paired["views_n"], 200);
    let h_v = |j: &Value, est: &str, space: &str| -> f64 {
        info(j)
            .iter()
            .find(|r| r["quantity"] == "H(V)" && r["estimator"] == est && r["space"] == space)
            .and_then(|r| r["value"].as_f64())
            .unwrap()
    };
    for est in ["kl", "gaussian"] {
        for space in ["l2", "raw"] {
            let (s, p) = (h_v(&j, est, space), h_v(&paired, est, space));
            assert!(
                (s - p).abs() <= 1e-9 * (1.0 + p.abs()),
                "{est} {space}: {s} vs {p}"
            );
        }
    }

    // Every other row comes from the views alone: another INPUT of the same size and name
    // (rows name their tensor after the file), the same rows.
    std::fs::create_dir(tmp.path().join("other")).unwrap();
    let other = write(
        &tmp.path().join("other"),
        "z.npy",
        &[n, d],
        &gaussian(n * d, 9),
    );
    let j2 = a(&sub, &other);
    let view_rows =
        |j: &Value| -> Vec<Value> { info(j).iter().filter(|r| !from_input(r)).cloned().collect() };
    assert!(!view_rows(&j).is_empty());
    for (a, b) in view_rows(&j).iter().zip(&view_rows(&j2)) {
        assert_eq!(a, b);
    }
    assert_eq!(view_rows(&j).len(), view_rows(&j2).len());
    assert_ne!(
        h_v(&j, "kl", "raw"),
        h_v(&j2, "kl", "raw"),
        "kl H(V) is INPUT's"
    );
}

#[test]
fn views_of_more_inputs_than_input_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k, nv) = (40, 6, 3, 120);
    let z = gaussian(n * d, 11);
    let input = write(tmp.path(), "z.npy", &[n, d], &z);
    let views = views_of(&z, d, nv, k, 0.2, 12);
    let vpath = write(tmp.path(), "v.npy", &[nv, k, d], &views);
    let noise = gaussian(nv * k * d, 13);
    let target: Vec<f64> = views
        .iter()
        .zip(&noise)
        .map(|(v, e)| v + 0.05 * e)
        .collect();
    let tpath = write(tmp.path(), "t.npy", &[nv, k, d], &target);
    let j = analyze_json(&[
        input.as_os_str(),
        "--views".as_ref(),
        vpath.as_os_str(),
        "--target".as_ref(),
        tpath.as_os_str(),
        "--fixed-transforms".as_ref(),
    ]);
    assert_eq!(
        (j["n"].as_u64(), j["views_n"].as_u64()),
        (Some(40), Some(120))
    );
    for r in info(&j) {
        let rows = if from_input(r) { n } else { nv };
        assert_eq!(r["rows"], rows, "{r}");
    }
    assert!(!j["lagrangian"].as_array().unwrap().is_empty());
    for l in j["lagrangian"].as_array().unwrap() {
        assert!(l["theorem"].is_number() && l["gap"].is_number(), "{l}");
    }
    assert!(intervals_contain_their_values(&j) > 0);
}

/// The bytes of a `.safetensors` file of f32 tensors.
fn safetensors_bytes(tensors: &[(&str, &[usize], &[f64])], dtype: safetensors::Dtype) -> Vec<u8> {
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, shape, values)| {
            let bytes = match dtype {
                safetensors::Dtype::F16 => values
                    .iter()
                    .flat_map(|v| half::f16::from_f64(*v).to_le_bytes())
                    .collect(),
                _ => values
                    .iter()
                    .flat_map(|v| (*v as f32).to_le_bytes())
                    .collect(),
            };
            (name.to_string(), shape.to_vec(), bytes)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = data
        .iter()
        .map(|(n, s, b)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(dtype, s.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

/// N′ = N is the paired case: the same information and Lagrangian rows as the series analysis
/// of one snapshot file holding the same tensors (`views.projector` N×K×d with
/// `online.projector`), which tests/series_cli.rs compares with `run`'s own numbers.
#[test]
fn paired_views_give_the_numbers_of_a_snapshot_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k) = (80, 8, 4);
    let z = low_rank(n, d, 5, 21);
    let views = views_of(&z, d, n, k, 0.1, 22);
    let bytes = safetensors_bytes(
        &[
            ("online.projector", &[n, d], &z),
            ("views.projector", &[n, k, d], &views),
        ],
        safetensors::Dtype::F32,
    );
    let dir = tmp.path().join("series");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("epoch-0000.safetensors");
    std::fs::write(&file, &bytes).unwrap();
    let online = format!("{}:online.projector", file.display());
    let vspec = format!("{}:views.projector", file.display());
    let single = analyze_json(&[
        online.as_ref(),
        "--views".as_ref(),
        vspec.as_ref(),
        "--fixed-transforms".as_ref(),
    ]);
    let series = analyze_json(&[dir.as_os_str(), "--fixed-transforms".as_ref()]);
    assert_eq!(single["views_n"], 80);
    assert_eq!(series["views_n"], 80);
    assert_eq!(single["h_t"], series["h_t"]);
    // The same rows; the series lists the headline rows first (RowOrder::HeadlineFirst).
    let sorted = |v: &Value| -> Vec<String> {
        let mut rows: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        rows.sort();
        rows
    };
    assert!(!info(&single).is_empty());
    assert_eq!(sorted(&single["info"]), sorted(&series["info"]));
    assert!(!single["lagrangian"].as_array().unwrap().is_empty());
    assert_eq!(sorted(&single["lagrangian"]), sorted(&series["lagrangian"]));
    assert!(intervals_contain_their_values(&single) > 0);
}

/// Exports as they come from PyTorch: f16, hundreds of dimensions, the whole validation set
/// as INPUT (.npy) and views of a few of its inputs (.safetensors).
#[test]
fn f16_exports_of_hundreds_of_dimensions() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d, k, nv) = (600, 384, 4, 150);
    let z = low_rank(n, d, 24, 31);
    let zpath = tmp.path().join("val.npy");
    let mut bytes = npy_header("<f2", &format!("({n}, {d})"));
    bytes.extend(z.iter().flat_map(|v| half::f16::from_f64(*v).to_le_bytes()));
    std::fs::write(&zpath, bytes).unwrap();
    let views = views_of(&z, d, nv, k, 0.3, 32);
    let noise = gaussian(nv * k * d, 33);
    let target: Vec<f64> = views.iter().zip(&noise).map(|(v, e)| v + 0.1 * e).collect();
    let vpath = tmp.path().join("views.safetensors");
    std::fs::write(
        &vpath,
        safetensors_bytes(
            &[
                ("views", &[nv, k, d], &views),
                ("target", &[nv, k, d], &target),
            ],
            safetensors::Dtype::F16,
        ),
    )
    .unwrap();
    let v = format!("{}:views", vpath.display());
    let t = format!("{}:target", vpath.display());
    let j = analyze_json(&[
        zpath.as_os_str(),
        "--views".as_ref(),
        v.as_ref(),
        "--target".as_ref(),
        t.as_ref(),
    ]);
    assert_eq!((j["n"].as_u64(), j["d"].as_u64()), (Some(600), Some(384)));
    assert_eq!(j["views_n"], 150);
    for q in ["H(V)", "H(V|X)", "I(X;V)", "I(V;V')", "H(V|V')"] {
        assert!(
            info(&j)
                .iter()
                .any(|r| r["quantity"] == q && r["value"].is_number()),
            "no finite {q}"
        );
    }
    // Without H(T): the measured form only, and the reason.
    let lagrangian = j["lagrangian"].as_array().unwrap();
    assert!(!lagrangian.is_empty());
    assert!(lagrangian
        .iter()
        .all(|l| l["measured"].is_number() && l["theorem"].is_null() && l["gap"].is_null()));
    assert!(j["notes"][0].as_str().unwrap().contains("H(T) unknown"));
    assert!(intervals_contain_their_values(&j) > 0);
}

#[test]
fn bad_views_are_refused_naming_both_files_and_the_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (50, 8);
    let input = write(tmp.path(), "emb.npy", &[n, d], &gaussian(n * d, 41));
    let views = |name: &str, shape: &[usize]| {
        let count = shape.iter().product();
        write(tmp.path(), name, shape, &gaussian(count, 42))
    };
    let run = |v: &Path| {
        let mut c = bin();
        c.arg("analyze").arg(&input).arg("--views").arg(v);
        c
    };
    // d differs.
    fails(
        &mut run(&views("wide.npy", &[20, 3, 9])),
        &["wide.npy", "emb.npy", "(20, 3, 9)", "(50, 8)", "d = 9"],
    );
    // N′ < 2.
    fails(
        &mut run(&views("one.npy", &[1, 3, 8])),
        &["one.npy", "emb.npy", "(1, 3, 8)", "(50, 8)", "at least 2"],
    );
    // K = 0.
    fails(
        &mut run(&views("none.npy", &[20, 0, 8])),
        &["none.npy", "emb.npy", "(20, 0, 8)", "(50, 8)"],
    );
    // A target of another shape than the views.
    let good = views("good.npy", &[20, 3, 8]);
    let target = views("target.npy", &[50, 3, 8]);
    fails(
        run(&good).arg("--target").arg(&target),
        &["target.npy", "good.npy", "(50, 3, 8)", "(20, 3, 8)"],
    );
    let flat = views("flat.npy", &[20, 8]);
    fails(
        run(&good).arg("--target").arg(&flat),
        &["flat.npy", "good.npy", "(20, 8)", "(20, 3, 8)"],
    );
    // Labels are INPUT's rows, not the views'.
    let labels = tmp.path().join("y.npy");
    write_npy(&labels, &[20], &[0.0; 20]);
    fails(
        run(&good).arg("--labels").arg(&labels),
        &["y.npy", "emb.npy", "20 labels", "50 rows"],
    );
}
