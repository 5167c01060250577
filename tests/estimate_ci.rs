//! End-to-end tests of `ib-analyze estimate --ci LEVEL [--ci-groups G] [--seed N]`: the
//! delete-a-group jackknife interval (ARCHITECTURE.md §3, §4 "Intervals") in `--json` and in the
//! text line, a delete-one interval recomputed by hand, every method, determinism, refused flags
//! and degenerate data.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{bin, est_fails};

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("estimators/tests/reference/data")
        .join(format!("{name}.csv"))
        .display()
        .to_string()
}

/// Writes a CSV with a header row and returns its path.
fn write_csv(dir: &Path, name: &str, cols: usize, rows: &[Vec<f64>]) -> String {
    let header: Vec<String> = (0..cols).map(|c| format!("c{c}")).collect();
    let mut text = header.join(",") + "\n";
    for r in rows {
        let line: Vec<String> = r.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn stdout_of(args: &[&str], threads: &str) -> String {
    let out = bin()
        .env("RAYON_NUM_THREADS", threads)
        .arg("estimate")
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `estimate ... --json` and returns the object and its text.
fn est_json(args: &[&str]) -> (Value, String) {
    let text = stdout_of(&[args, &["--json"]].concat(), "1");
    assert_eq!(text.lines().count(), 1, "exactly one JSON line: {text}");
    (serde_json::from_str(&text).unwrap(), text)
}

/// `[lo, hi]` of the object's `ci`.
fn ci(j: &Value) -> (f64, f64) {
    let a = j["ci"]
        .as_array()
        .unwrap_or_else(|| panic!("an interval: {j}"));
    assert_eq!(a.len(), 2, "{j}");
    (a[0].as_f64().unwrap(), a[1].as_f64().unwrap())
}

fn value(j: &Value) -> f64 {
    j["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("a value: {j}"))
}

#[test]
fn json_has_the_interval_and_its_method_in_key_order() {
    let f = data("gauss_d1");
    let (j, text) = est_json(&["entropy", &f, "--method", "kl", "--ci", "0.95"]);
    let (lo, hi) = ci(&j);
    let v = value(&j);
    assert!(lo < v && v < hi, "{text}");
    assert!(
        hi - lo < 0.5,
        "an interval of a 2000-row estimate is narrow: {text}"
    );
    assert_eq!(j["ci_method"], "jackknife-20 t 95%");
    assert_eq!(j["seed"], 0, "the groups' seed is reported");
    assert_eq!(j["jitter"], Value::Null);
    // Keys in alphabetical order (ARCHITECTURE.md §3).
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
    assert!(at("bins") < at("ci") && at("ci") < at("ci_method") && at("ci_method") < at("d"));

    // Without --ci the keys are there and null; the value is the same bits.
    let (plain, _) = est_json(&["entropy", &f, "--method", "kl"]);
    assert_eq!(plain["ci"], Value::Null);
    assert_eq!(plain["ci_method"], Value::Null);
    assert_eq!(plain["seed"], Value::Null);
    assert_eq!(value(&plain).to_bits(), v.to_bits());
}

#[test]
fn text_line_shows_value_and_interval() {
    let f = data("gauss_d1");
    let args = ["entropy", f.as_str(), "--method", "gaussian", "--ci", "0.9"];
    let (j, _) = est_json(&args);
    let (lo, hi) = ci(&j);
    let line = stdout_of(&args, "1");
    let want = format!(
        "H(X) = {:.4} [{lo:.4}, {hi:.4}] nats (gaussian, ridge=0e0, N=2000, d=1, jackknife-20 t 90%, seed=0)\n",
        value(&j)
    );
    assert_eq!(line, want);
}

/// Delete-one jackknife (G = N: each group is one row, whatever the seed) of the Gaussian
/// proxy H = ½ ln(2πe s²), s² with N − 1, recomputed here: se² = (N−1)/N Σ (θ₍ᵢ₎ − θ̄)²,
/// interval θ̂ ± t₁₁,₀.₉₇₅ se with t₁₁,₀.₉₇₅ = 2.200985 (tables).
#[test]
fn delete_one_interval_matches_the_formula() {
    let x = [
        0.3, -1.2, 2.5, 0.7, -0.4, 1.9, -2.2, 0.05, 1.1, -0.8, 0.6, 3.0,
    ];
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<f64>> = x.iter().map(|&v| vec![v]).collect();
    let f = write_csv(dir.path(), "x.csv", 1, &rows);
    let h = |v: &[f64]| {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let s2 = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1.0);
        0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * s2).ln()
    };
    let n = x.len();
    let theta = h(&x);
    let reps: Vec<f64> = (0..n)
        .map(|i| {
            let kept: Vec<f64> = (0..n).filter(|&j| j != i).map(|j| x[j]).collect();
            h(&kept)
        })
        .collect();
    let mean = reps.iter().sum::<f64>() / n as f64;
    let se =
        ((n as f64 - 1.0) / n as f64 * reps.iter().map(|r| (r - mean).powi(2)).sum::<f64>()).sqrt();
    let half = 2.200985 * se;
    for seed in ["0", "9"] {
        let (j, text) = est_json(&[
            "entropy",
            &f,
            "--method",
            "gaussian",
            "--ci",
            "0.95",
            "--ci-groups",
            "12",
            "--seed",
            seed,
        ]);
        let (lo, hi) = ci(&j);
        assert!((value(&j) - theta).abs() < 1e-12, "{text}");
        assert!(
            (lo - (theta - half)).abs() < 1e-5,
            "lo {lo} vs {}",
            theta - half
        );
        assert!(
            (hi - (theta + half)).abs() < 1e-5,
            "hi {hi} vs {}",
            theta + half
        );
        assert_eq!(j["ci_method"], "jackknife-12 t 95%");
    }
}

#[test]
fn every_method_gives_an_interval_that_contains_its_value() {
    let h = data("gauss_d2");
    let pair = data("corr_pair_d1_rho0.6");
    let xy = ["--x-cols", "0:1", "--y-cols", "1:2"];
    let cases: Vec<Vec<&str>> = vec![
        vec!["entropy", &h, "--method", "kl"],
        vec!["entropy", &h, "--method", "kl", "--norm", "euclidean"],
        vec!["entropy", &h, "--method", "binned"],
        vec!["entropy", &h, "--method", "binned-mm"],
        vec!["entropy", &h, "--method", "gaussian"],
        [&["mi", pair.as_str(), "--method", "ksg1"][..], &xy].concat(),
        [&["mi", pair.as_str(), "--method", "ksg2"][..], &xy].concat(),
        [&["mi", pair.as_str(), "--method", "binned"][..], &xy].concat(),
        [&["mi", pair.as_str(), "--method", "binned-mm"][..], &xy].concat(),
        [&["mi", pair.as_str(), "--method", "gaussian"][..], &xy].concat(),
        [&["cond-entropy", pair.as_str(), "--method", "kl"][..], &xy].concat(),
        [
            &["cond-entropy", pair.as_str(), "--method", "binned"][..],
            &xy,
        ]
        .concat(),
        [
            &["cond-entropy", pair.as_str(), "--method", "binned-mm"][..],
            &xy,
        ]
        .concat(),
        [
            &["cond-entropy", pair.as_str(), "--method", "gaussian"][..],
            &xy,
        ]
        .concat(),
    ];
    for args in cases {
        let (j, text) = est_json(&[&args[..], &["--ci", "0.95", "--ci-groups", "10"]].concat());
        let (lo, hi) = ci(&j);
        let v = value(&j);
        assert!(lo <= v && v <= hi && lo < hi, "{args:?}: {text}");
        assert_eq!(j["ci_method"], "jackknife-10 t 95%", "{args:?}");
        assert_eq!(j["warnings"], serde_json::json!([]), "{args:?}: {text}");
    }
}

#[test]
fn same_seed_same_interval_other_seed_other_interval() {
    let f = data("corr_pair_d1_rho0.6");
    let base = [
        "mi", &f, "--method", "ksg1", "--x-cols", "0:1", "--y-cols", "1:2", "--ci", "0.95",
    ];
    let run = |extra: &[&str], threads: &str| -> Value {
        let text = stdout_of(&[&base[..], extra, &["--json"]].concat(), threads);
        serde_json::from_str(&text).unwrap()
    };
    let bits = |j: &Value| {
        let (lo, hi) = ci(j);
        (lo.to_bits(), hi.to_bits())
    };
    let a = run(&["--seed", "5"], "1");
    assert_eq!(bits(&a), bits(&run(&["--seed", "5"], "1")));
    assert_eq!(bits(&a), bits(&run(&["--seed", "5"], "2")), "thread count");
    assert_eq!(
        bits(&run(&[], "1")),
        bits(&run(&["--seed", "0"], "1")),
        "default seed 0"
    );
    let b = run(&["--seed", "6"], "1");
    assert_ne!(bits(&a), bits(&b), "other groups, other interval");
    assert_eq!(
        value(&a).to_bits(),
        value(&b).to_bits(),
        "the estimate is the same"
    );
    assert_eq!(b["seed"], 6);
}

/// `--jitter` is added once to the whole sample: the value with `--ci` is the value without.
#[test]
fn jitter_is_added_before_the_jackknife() {
    let f = data("ties_rounded_pair");
    let args = [
        "entropy", &f, "--method", "kl", "--jitter", "1e-6", "--seed", "3",
    ];
    let (plain, _) = est_json(&args);
    let (with_ci, text) = est_json(&[&args[..], &["--ci", "0.95"]].concat());
    assert_eq!(value(&plain).to_bits(), value(&with_ci).to_bits());
    let (lo, hi) = ci(&with_ci);
    assert!(lo <= value(&with_ci) && value(&with_ci) <= hi, "{text}");
    let line = stdout_of(&[&args[..], &["--ci", "0.95"]].concat(), "1");
    assert!(
        line.contains("jitter=1e-6 seed=3") && line.ends_with("jackknife-20 t 95%)\n"),
        "{line}"
    );
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let f = data("gauss_d1");
    let kl = ["entropy", f.as_str(), "--method", "kl"];
    for (extra, needles) in [
        (vec!["--ci", "0"], vec!["--ci 0", "between 0 and 1"]),
        (vec!["--ci", "1"], vec!["--ci 1", "between 0 and 1"]),
        (vec!["--ci", "95"], vec!["--ci 95", "e.g. --ci 0.95"]),
        (vec!["--ci", "-0.5"], vec!["--ci -0.5", "between 0 and 1"]),
        (vec!["--ci", "NaN"], vec!["--ci NaN", "between 0 and 1"]),
        (vec!["--ci", "x"], vec!["--ci"]),
        (
            vec!["--ci-groups", "10"],
            vec!["--ci-groups applies to --ci", "add --ci LEVEL"],
        ),
        (
            vec!["--ci", "0.95", "--ci-groups", "1"],
            vec!["--ci-groups 1", "at least 2"],
        ),
        (
            vec!["--ci", "0.95", "--ci-groups", "2001"],
            vec!["--ci-groups 2001", "2000 rows", "--ci-groups 2000 or fewer"],
        ),
        (
            vec!["--seed", "4"],
            vec!["--seed applies to --jitter", "--ci LEVEL"],
        ),
    ] {
        let err = est_fails(&[&kl[..], &extra].concat());
        for n in needles {
            assert!(err.contains(n), "{extra:?}: missing '{n}' in {err}");
        }
    }
    // The default 20 groups need 20 rows.
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<f64>> = (0..12).map(|i| vec![i as f64 * 0.37 % 1.0]).collect();
    let small = write_csv(dir.path(), "small.csv", 1, &rows);
    let err = est_fails(&["entropy", &small, "--method", "gaussian", "--ci", "0.95"]);
    assert!(
        err.contains("--ci (with the default 20 jackknife groups)")
            && err.contains("12 rows")
            && err.contains("--ci-groups 12 or fewer"),
        "{err}"
    );
}

/// Degenerate data give no interval (null, with a warning saying why), never a panic.
#[test]
fn degenerate_data_give_no_interval() {
    let dir = tempfile::tempdir().unwrap();
    let warned = |j: &Value, needle: &str| {
        assert_eq!(j["ci"], Value::Null, "{j}");
        assert_eq!(j["ci_method"], Value::Null, "{j}");
        let w = j["warnings"].to_string();
        assert!(
            w.contains("--ci: no interval") && w.contains(needle),
            "{needle}: {w}"
        );
    };

    // A constant column: the Gaussian proxy is -inf (singular covariance).
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|i| vec![(i as f64 * 0.61) % 1.0, 2.0])
        .collect();
    let constant = write_csv(dir.path(), "constant.csv", 2, &rows);
    let (j, _) = est_json(&["entropy", &constant, "--method", "gaussian", "--ci", "0.95"]);
    assert_eq!(j["nonfinite"], "-inf");
    warned(&j, "the estimate is -inf");

    // Ties: KL with four copies of each row is -inf.
    let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![(i / 4) as f64]).collect();
    let ties = write_csv(dir.path(), "ties.csv", 1, &rows);
    let (j, _) = est_json(&["entropy", &ties, "--method", "kl", "--ci", "0.95"]);
    warned(&j, "the estimate is -inf");

    // A degenerate finite value printed on request (KL with a constant column).
    let (j, _) = est_json(&[
        "entropy",
        &constant,
        "--method",
        "kl",
        "--allow-degenerate",
        "--ci",
        "0.95",
    ]);
    assert_eq!(j["degenerate"], true);
    warned(&j, "degenerate");

    // A column constant but for one row: the estimate is finite, the replicate without that
    // row has a singular covariance.
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|i| vec![(i as f64 * 0.61) % 1.0, if i == 17 { 1.0 } else { 0.0 }])
        .collect();
    let spike = write_csv(dir.path(), "spike.csv", 2, &rows);
    let (j, _) = est_json(&[
        "entropy",
        &spike,
        "--method",
        "gaussian",
        "--ci",
        "0.95",
        "--ci-groups",
        "4",
    ]);
    assert!(j["value"].is_f64(), "{j}");
    warned(&j, "rows kept) is -inf");

    // The text line has no interval; the warning is on stderr.
    let out = bin()
        .args(["estimate", "entropy", &spike, "--method", "gaussian"])
        .args(["--ci", "0.95", "--ci-groups", "4"])
        .assert()
        .success()
        .get_output()
        .clone();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(!line.contains('[') && !line.contains("jackknife"), "{line}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("warning: --ci: no interval"), "{err}");
}
