//! End-to-end tests of `ib-analyze estimate`: values against the reference spec
//! (`estimators/tests/reference/refs.json`, data in `estimators/tests/reference/data/`),
//! identical values across .npy/.npz/.safetensors/.csv, column ranges, every usage and input
//! error (exit 2 + message), and the degenerate-data policy.

use predicates::str::contains;
use serde_json::Value;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::{bin, est_fails};

fn ref_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("estimators/tests/reference")
}

fn data(name: &str) -> String {
    ref_dir()
        .join("data")
        .join(format!("{name}.csv"))
        .display()
        .to_string()
}

fn refs() -> &'static Value {
    static REFS: OnceLock<Value> = OnceLock::new();
    REFS.get_or_init(|| {
        let text = std::fs::read_to_string(ref_dir().join("refs.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// The spec row of `dataset` for (quantity, estimator, k, norm, bins-prefix).
fn spec(
    dataset: &str,
    quantity: &str,
    estimator: &str,
    k: Option<u64>,
    norm: Option<&str>,
    bins: Option<&str>,
) -> Value {
    let rows = refs()["datasets"][dataset]["refs"].as_array().unwrap();
    rows.iter()
        .find(|r| {
            r["source"] == "spec"
                && r["quantity"] == quantity
                && r["estimator"] == estimator
                && k.is_none_or(|k| r["k"] == k)
                && norm.is_none_or(|n| r["norm"] == n)
                && bins.is_none_or(|b| r["bins"].as_str().is_some_and(|t| t.starts_with(b)))
        })
        .unwrap_or_else(|| panic!("no spec row {dataset} {quantity} {estimator} {k:?} {norm:?}"))
        .clone()
}

fn spec_value(
    dataset: &str,
    quantity: &str,
    estimator: &str,
    k: Option<u64>,
    norm: Option<&str>,
    bins: Option<&str>,
) -> f64 {
    spec(dataset, quantity, estimator, k, norm, bins)["value"]
        .as_f64()
        .unwrap()
}

/// Runs `estimate ... --json`, expects success and returns the object.
fn est_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("estimate")
        .args(args)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "exactly one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

fn value(j: &Value) -> f64 {
    j["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("finite value: {j}"))
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, spec {want} (|diff| = {:e})",
        (got - want).abs()
    );
}

#[test]
fn values_match_the_reference_spec() {
    let ds = "corr_pair_d2_rho0.8";
    let f = data(ds);
    let v = ["--x-cols", "0:2"];
    let pair = ["--x-cols", "0:2", "--y-cols", "2:4"];

    let j = est_json(&[&["entropy", &f, "--method", "kl"], &v[..]].concat());
    close(
        value(&j),
        spec_value(ds, "H(V)", "kl", Some(3), Some("max"), None),
        1e-9,
        "H(V) kl",
    );
    assert_eq!(j["quantity"], "entropy");
    assert_eq!(j["method"], "kl");
    assert_eq!(j["units"], "nats");
    assert_eq!(j["nonfinite"], Value::Null);
    assert_eq!(
        (j["k"].as_u64(), j["n"].as_u64(), j["d"].as_u64()),
        (Some(3), Some(2000), Some(2))
    );
    assert_eq!(j["warnings"], serde_json::json!([]));
    assert_eq!(j["degenerate"], false);

    let j = est_json(
        &[
            &[
                "entropy",
                &f,
                "--method",
                "kl",
                "--k",
                "5",
                "--norm",
                "euclidean",
            ],
            &v[..],
        ]
        .concat(),
    );
    close(
        value(&j),
        spec_value(ds, "H(V)", "kl", Some(5), Some("euclid"), None),
        1e-9,
        "H(V) kl k=5 euclid",
    );
    assert_eq!(j["norm"], "euclidean");

    for (method, est, k) in [("ksg1", "ksg1", "3"), ("ksg2", "ksg2", "5")] {
        let j = est_json(&[&["mi", &f, "--method", method, "--k", k], &pair[..]].concat());
        close(
            value(&j),
            spec_value(ds, "I(V;Vp)", est, Some(k.parse().unwrap()), None, None),
            1e-9,
            method,
        );
        assert_eq!(
            (j["dx"].as_u64(), j["dy"].as_u64(), j["d"].as_u64()),
            (Some(2), Some(2), Some(4))
        );
    }

    let j = est_json(&[&["cond-entropy", &f, "--method", "kl"], &pair[..]].concat());
    close(
        value(&j),
        spec_value(ds, "H(V|Vp)", "kl-chain", Some(3), None, None),
        1e-9,
        "H(V|Vp) kl-chain",
    );

    // Binned: 1e-12 (discrete).
    let j = est_json(&[&["entropy", &f, "--method", "binned"], &v[..]].concat());
    close(
        value(&j),
        spec_value(ds, "H(V)", "binned-plugin", None, None, Some("B=8 ")),
        1e-12,
        "binned H(V)",
    );
    assert_eq!(j["bins"], 8);
    assert_eq!(j["k"], Value::Null);
    let j = est_json(
        &[
            &["mi", &f, "--method", "binned-mm", "--bins", "16"],
            &pair[..],
        ]
        .concat(),
    );
    close(
        value(&j),
        spec_value(
            ds,
            "I(V;Vp)",
            "binned-miller-madow",
            None,
            None,
            Some("B=16 "),
        ),
        1e-12,
        "binned-mm I",
    );
    let j = est_json(&[&["cond-entropy", &f, "--method", "binned"], &pair[..]].concat());
    close(
        value(&j),
        spec_value(ds, "H(V|Vp)", "binned-plugin", None, None, Some("B=8 ")),
        1e-12,
        "binned H(V|Vp)",
    );

    // A second dataset, 1-D, small k.
    let ds = "tiny_pair";
    let f = data(ds);
    let j = est_json(&[
        "entropy", &f, "--method", "kl", "--k", "5", "--x-cols", "1:2",
    ]);
    close(
        value(&j),
        spec_value(ds, "H(Vp)", "kl", Some(5), Some("max"), None),
        1e-9,
        "tiny H(Vp)",
    );
    let j = est_json(&[
        "mi", &f, "--method", "ksg2", "--x-cols", "0:1", "--y-cols", "1:",
    ]);
    close(
        value(&j),
        spec_value(ds, "I(V;Vp)", "ksg2", Some(3), None, None),
        1e-9,
        "tiny ksg2",
    );
}

#[test]
fn the_human_line_and_warnings() {
    let f = data("corr_pair_d1_rho0.6");
    let out = bin()
        .args([
            "estimate", "entropy", &f, "--method", "kl", "--x-cols", "0:1",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let line = String::from_utf8(out.stdout).unwrap();
    let want = spec_value(
        "corr_pair_d1_rho0.6",
        "H(V)",
        "kl",
        Some(3),
        Some("max"),
        None,
    );
    assert_eq!(
        line.trim_end(),
        format!("H(X) = {want:.4} nats (kl, k=3, max-norm, N=2000, d=1)")
    );
    assert!(out.stderr.is_empty());

    let out = bin()
        .args([
            "estimate", "mi", &f, "--method", "ksg1", "--x-cols", "0:1", "--y-cols", "0:2",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("I(X;Y) = "), "{line}");
    assert!(
        line.contains("(ksg1, k=3, max-norm, N=2000, dx=1, dy=2)"),
        "{line}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning: --x-cols 0:1 and --y-cols 0:2 overlap"),
        "{err}"
    );
}

/// A deterministic 300×4 matrix with a dependence between columns 0..2 and 2..4.
fn matrix() -> Vec<[f64; 4]> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut u = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    (0..300)
        .map(|_| {
            let (a, b) = (u(), u());
            [a, b, a + 0.3 * u(), b * b + 0.3 * u()]
        })
        .collect()
}

fn le_bytes(rows: &[[f64; 4]]) -> Vec<u8> {
    rows.iter()
        .flat_map(|r| r.iter().flat_map(|v| v.to_le_bytes()))
        .collect()
}

fn npy(rows: &[[f64; 4]]) -> Vec<u8> {
    let values: Vec<f64> = rows.iter().flatten().copied().collect();
    common::npy_f64(&[rows.len(), 4], &values)
}

fn write_formats(dir: &Path) -> [String; 4] {
    let m = matrix();
    let p_npy = dir.join("emb.npy");
    std::fs::write(&p_npy, npy(&m)).unwrap();

    let p_npz = dir.join("emb.npz");
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [("other.npy", npy(&m[..10])), ("emb.npy", npy(&m))] {
        w.start_file(name, opts).unwrap();
        w.write_all(&bytes).unwrap();
    }
    std::fs::write(&p_npz, w.finish().unwrap().into_inner()).unwrap();

    let p_st = dir.join("emb.safetensors");
    let (a, b) = (le_bytes(&m), le_bytes(&m[..10]));
    let views = vec![
        (
            "online.projector".to_string(),
            safetensors::tensor::TensorView::new(safetensors::Dtype::F64, vec![300, 4], &a)
                .unwrap(),
        ),
        (
            "other".to_string(),
            safetensors::tensor::TensorView::new(safetensors::Dtype::F64, vec![10, 4], &b).unwrap(),
        ),
    ];
    std::fs::write(&p_st, safetensors::serialize(views, None).unwrap()).unwrap();

    let p_csv = dir.join("emb.csv");
    let mut csv = String::from("a,b,c,d\n");
    for r in &m {
        // `{:?}` is the shortest representation that round-trips.
        csv.push_str(&format!("{:?},{:?},{:?},{:?}\n", r[0], r[1], r[2], r[3]));
    }
    std::fs::write(&p_csv, csv).unwrap();

    [
        p_npy.display().to_string(),
        format!("{}:emb", p_npz.display()),
        format!("{}:online.projector", p_st.display()),
        p_csv.display().to_string(),
    ]
}

#[test]
fn every_format_gives_the_same_value() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_formats(dir.path());
    let cases: Vec<Vec<&str>> = vec![
        vec!["entropy", "--method", "kl", "--x-cols", "0:2"],
        vec![
            "mi", "--method", "ksg1", "--x-cols", "0:2", "--y-cols", "2:4",
        ],
        vec![
            "mi", "--method", "ksg2", "--k", "4", "--x-cols", "0:1", "--y-cols", "2:3",
        ],
        vec![
            "cond-entropy",
            "--method",
            "kl",
            "--norm",
            "euclidean",
            "--x-cols",
            "2:",
            "--y-cols",
            ":2",
        ],
        vec![
            "mi",
            "--method",
            "binned-mm",
            "--bins",
            "5",
            "--x-cols",
            "0:2",
            "--y-cols",
            "2:4",
        ],
        vec!["entropy", "--method", "gaussian"],
    ];
    for case in cases {
        let vals: Vec<u64> = inputs
            .iter()
            .map(|input| {
                let mut args = vec![case[0], input.as_str()];
                args.extend(&case[1..]);
                value(&est_json(&args)).to_bits()
            })
            .collect();
        assert!(vals.iter().all(|&v| v == vals[0]), "{case:?}: {vals:?}");
    }
}

#[test]
fn column_ranges_select_the_same_data_as_a_narrower_file() {
    let dir = tempfile::tempdir().unwrap();
    let [npy_path, ..] = write_formats(dir.path());
    let m = matrix();
    // Only columns 1..3 of the matrix, written as a 2-column CSV.
    let narrow = dir.path().join("narrow.csv");
    let mut csv = String::from("b,c\n");
    for r in &m {
        csv.push_str(&format!("{:?},{:?}\n", r[1], r[2]));
    }
    std::fs::write(&narrow, csv).unwrap();
    let narrow = narrow.display().to_string();
    let a = est_json(&["entropy", &npy_path, "--method", "kl", "--x-cols", "1:3"]);
    let b = est_json(&["entropy", &narrow, "--method", "kl"]);
    assert_eq!(value(&a), value(&b));
    assert_eq!(a["x_cols"], "1:3");
    assert_eq!(b["x_cols"], "0:2");
    let a = est_json(&[
        "mi", &npy_path, "--method", "ksg1", "--x-cols", "1:2", "--y-cols", "2:3",
    ]);
    let b = est_json(&[
        "mi", &narrow, "--method", "ksg1", "--x-cols", ":1", "--y-cols", "1:",
    ]);
    assert_eq!(value(&a), value(&b));

    // A 1-D array is one column.
    let one = dir.path().join("one.npy");
    let col: Vec<f64> = m.iter().map(|r| r[1]).collect();
    common::write_npy(&one, &[col.len()], &col);
    let c = est_json(&["entropy", &one.display().to_string(), "--method", "kl"]);
    let d = est_json(&["entropy", &npy_path, "--method", "kl", "--x-cols", "1:2"]);
    assert_eq!(value(&c), value(&d));
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let f = data("tiny_pair");
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["entropy", &f, "--method", "ksg1"],
            &[
                "--method ksg1",
                "valid methods: kl, binned, binned-mm, gaussian",
            ],
        ),
        (
            vec![
                "mi", &f, "--method", "kl", "--x-cols", "0:1", "--y-cols", "1:2",
            ],
            &["valid methods: ksg1, ksg2, binned, binned-mm, gaussian"],
        ),
        (
            vec![
                "cond-entropy",
                &f,
                "--method",
                "ksg2",
                "--x-cols",
                "0:1",
                "--y-cols",
                "1:2",
            ],
            &["valid methods: kl, binned, binned-mm, gaussian"],
        ),
        (
            vec!["mi", &f, "--method", "ksg1"],
            &["needs --x-cols A:B and --y-cols A:B"],
        ),
        (
            vec!["mi", &f, "--method", "ksg1", "--x-cols", "0:1"],
            &["needs --y-cols"],
        ),
        (
            vec!["cond-entropy", &f, "--method", "kl", "--y-cols", "0:1"],
            &["needs --x-cols"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--y-cols", "0:1"],
            &["--y-cols applies to"],
        ),
        (
            vec!["entropy", &f, "--method", "binned", "--k", "3"],
            &["--k applies to the k-NN methods"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--bins", "8"],
            &["--bins applies to"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--k", "0"],
            &["--k 0"],
        ),
        (
            vec!["entropy", &f, "--method", "binned", "--bins", "0"],
            &["--bins 0"],
        ),
        (
            vec![
                "mi",
                &f,
                "--method",
                "ksg1",
                "--norm",
                "euclidean",
                "--x-cols",
                "0:1",
                "--y-cols",
                "1:2",
            ],
            &["--norm euclidean", "max-norm"],
        ),
        (
            vec!["entropy", &f, "--method", "gaussian", "--norm", "max"],
            &["--norm max"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--ridge", "1e-6"],
            &["--ridge applies to"],
        ),
        (
            vec!["entropy", &f, "--method", "gaussian", "--ridge", "-1"],
            &["--ridge -1"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--seed", "3"],
            &["--seed applies to --jitter"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--jitter", "0"],
            &["--jitter 0", "> 0"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--jitter", "-1"],
            &["--jitter -1", "> 0"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--k", "20"],
            &["--k 20", "has 20 rows", "k < N"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--x-cols", "1:5"],
            &["--x-cols 1:5: out of range", "has 2 columns"],
        ),
        (
            vec!["entropy", &f, "--method", "kl", "--x-cols", "2"],
            &["--x-cols '2'", "A:B (half-open, 0-based)"],
        ),
        (
            vec![
                "mi", &f, "--method", "ksg1", "--x-cols", "0:1", "--y-cols", "1:1",
            ],
            &["--y-cols '1:1'"],
        ),
        (
            vec!["entropy", &f, "--method", "nope"],
            &["invalid value 'nope'", "kl"],
        ),
        (vec!["entropy", &f], &["--method"]),
        (
            vec!["variance", &f, "--method", "kl"],
            &["invalid value 'variance'"],
        ),
    ];
    for (args, needles) in cases {
        let err = est_fails(&args);
        for n in needles {
            assert!(err.contains(n), "{args:?}: missing '{n}' in: {err}");
        }
    }
}

#[test]
fn bad_input_exits_2_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = |name: &str| d.join(name).display().to_string();
    std::fs::write(d.join("nan.csv"), "a,b\n1,2\n3,nan\n4,5\n6,7\n8,9\n").unwrap();
    std::fs::write(d.join("text.csv"), "a,b\n1,2\n3,x\n").unwrap();
    std::fs::write(d.join("empty.npy"), b"").unwrap();
    std::fs::write(d.join("data.txt"), "1 2\n").unwrap();
    std::fs::write(d.join("data.csv"), "a\n1\n2\n3\n4\n5\n").unwrap();
    let [_, npz, st, _] = write_formats(d);
    let npz_path = npz.rsplit_once(':').unwrap().0.to_string();
    let st_path = st.rsplit_once(':').unwrap().0.to_string();
    let missing = p("missing.npy");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (missing.clone(), vec!["missing.npy", "no such file"]),
        (p("data.txt"), vec!["data.txt", "unknown input format"]),
        (
            p("nan.csv"),
            vec!["nan.csv", "non-finite", "row 1, column 1"],
        ),
        (p("text.csv"), vec!["text.csv", "'x' is not a number"]),
        (p("empty.npy"), vec!["empty.npy", "empty"]),
        (npz_path.clone(), vec!["holds 2 arrays", "emb, other"]),
        (format!("{npz_path}:nope"), vec!["no array 'nope'"]),
        (st_path.clone(), vec!["holds 2 arrays"]),
        (
            format!("{}:x", p("data.csv")),
            vec!["a .csv file holds a single array"],
        ),
    ];
    for (input, needles) in cases {
        let err = est_fails(&["entropy", &input, "--method", "kl"]);
        for n in needles {
            assert!(err.contains(n), "{input}: missing '{n}' in: {err}");
        }
    }
}

#[test]
fn collapsed_data_minus_infinity_refusal_or_flag() {
    let ds = "collapsed_all_pair_d8";
    let f = data(ds);
    // KL entropy of all-equal rows: -inf, reported as such with warnings.
    let j = est_json(&["entropy", &f, "--method", "kl", "--x-cols", "0:8"]);
    assert_eq!(j["value"], Value::Null);
    assert_eq!(j["nonfinite"], "-inf");
    assert_eq!(
        spec(ds, "H(V)", "kl", Some(3), Some("max"), None)["nonfinite"],
        "-inf"
    );
    assert_eq!(j["degenerate"], true);
    let w = j["warnings"].to_string();
    assert!(w.contains("every row is identical"), "{w}");
    // The human form says -inf and warns on stderr.
    bin()
        .args(["estimate", "entropy", &f, "--method", "kl"])
        .assert()
        .success()
        .stdout(contains("H(X) = -inf nats"))
        .stderr(contains("warning: "));
    // Chain rule: -inf - (-inf) = NaN, as in the spec.
    let j = est_json(&[
        "cond-entropy",
        &f,
        "--method",
        "kl",
        "--x-cols",
        "0:8",
        "--y-cols",
        "8:16",
    ]);
    assert_eq!(j["nonfinite"], "nan");
    assert_eq!(
        spec(ds, "H(V|Vp)", "kl-chain", Some(3), None, None)["nonfinite"],
        "nan"
    );
    // Gaussian: singular covariance, -inf.
    let j = est_json(&["entropy", &f, "--method", "gaussian"]);
    assert_eq!(j["nonfinite"], "-inf");

    // KSG on all-equal rows would be a large positive number: refused.
    let pair = ["--x-cols", "0:8", "--y-cols", "8:16"];
    for m in ["ksg1", "ksg2"] {
        let err = est_fails(&[&["mi", f.as_str(), "--method", m], &pair[..]].concat());
        for n in [
            "degenerate",
            "every row is identical",
            "--jitter",
            "--allow-degenerate",
        ] {
            assert!(err.contains(n), "{m}: missing '{n}' in {err}");
        }
    }
    // ... printed flagged on request, equal to the spec's artefact.
    let j = est_json(
        &[
            &["mi", f.as_str(), "--method", "ksg1", "--allow-degenerate"],
            &pair[..],
        ]
        .concat(),
    );
    close(
        value(&j),
        spec_value(ds, "I(V;Vp)", "ksg1", Some(3), None, None),
        1e-9,
        "ksg1 artefact",
    );
    assert_eq!(j["degenerate"], true);
    // ... or with tie-breaking noise: a small value, reproducible, the noise reported.
    let jit = [
        &[
            "mi",
            f.as_str(),
            "--method",
            "ksg1",
            "--jitter",
            "1e-3",
            "--seed",
            "7",
        ],
        &pair[..],
    ]
    .concat();
    let a = est_json(&jit);
    let b = est_json(&jit);
    assert_eq!(a["value"], b["value"]);
    assert!(value(&a).abs() < 0.2, "{a}");
    assert_eq!(a["jitter"], 1e-3);
    assert_eq!(a["seed"], 7);
    assert_eq!(a["degenerate"], false);
    // Binned on collapsed data: exactly 0 (one bin), not degenerate.
    let j = est_json(&[&["mi", f.as_str(), "--method", "binned"], &pair[..]].concat());
    assert_eq!(value(&j), 0.0);
}

#[test]
fn ties_and_constant_columns() {
    // Massive ties: KL -inf (spec), KSG refused unless asked.
    let ds = "ties_rounded_pair";
    let f = data(ds);
    let j = est_json(&["entropy", &f, "--method", "kl", "--x-cols", "0:1"]);
    assert_eq!(j["nonfinite"], "-inf");
    let err = est_fails(&[
        "mi", &f, "--method", "ksg1", "--x-cols", "0:1", "--y-cols", "1:2",
    ]);
    assert!(err.contains("neighbour at distance 0"), "{err}");
    let j = est_json(&[
        "mi",
        &f,
        "--method",
        "ksg2",
        "--x-cols",
        "0:1",
        "--y-cols",
        "1:2",
        "--allow-degenerate",
    ]);
    close(
        value(&j),
        spec_value(ds, "I(V;Vp)", "ksg2", Some(3), None, None),
        1e-9,
        "ties ksg2",
    );

    // One constant column per view: KL entropy finite but meaningless -> refused / flagged.
    let ds = "const_col_pair_d4";
    let f = data(ds);
    let err = est_fails(&["entropy", &f, "--method", "kl", "--x-cols", "0:4"]);
    assert!(err.contains("constant column"), "{err}");
    let j = est_json(&[
        "entropy",
        &f,
        "--method",
        "kl",
        "--x-cols",
        "0:4",
        "--allow-degenerate",
    ]);
    close(
        value(&j),
        spec_value(ds, "H(V)", "kl", Some(3), Some("max"), None),
        1e-9,
        "const-col H(V)",
    );
    assert_eq!(j["degenerate"], true);
    // KSG-1 with constant columns but no ties is an estimate: printed with the warning.
    let j = est_json(&[
        "mi", &f, "--method", "ksg1", "--x-cols", "0:4", "--y-cols", "4:8",
    ]);
    close(
        value(&j),
        spec_value(ds, "I(V;Vp)", "ksg1", Some(3), None, None),
        1e-9,
        "const-col ksg1",
    );
    assert!(j["warnings"].to_string().contains("constant column"));
    assert_eq!(j["degenerate"], false);
}
