//! `analyze --spectrum-only` (ARCHITECTURE.md §1 `analyze`, §4): the streamed collapse signals
//! and the verdict alone, a C-order float `.npy` read from disk block by block. Its values are
//! those of the full `analyze` bit for bit; the flags it would leave unused are refused.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{gaussian, npy_header, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A little-endian f32 .npy of `values` (rounded to f32).
fn write_f32(dir: &Path, name: &str, (n, d): (usize, usize), values: &[f64]) -> PathBuf {
    let mut bytes = npy_header("<f4", &format!("({n}, {d})"));
    for &v in values {
        bytes.extend((v as f32).to_le_bytes());
    }
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// An N×d embedding with structure: Gaussian rows over a shared offset, one zero row, one
/// row of 1e-30 and a block of rows 1e3 larger.
fn embedding(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut z = gaussian(n * d, seed);
    for (i, row) in z.chunks_mut(d).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v += 0.5 + (j % 3) as f64;
            if (100..140).contains(&i) {
                *v *= 1e3;
            }
        }
    }
    z[3 * d..4 * d].fill(0.0);
    z[7 * d..8 * d].iter_mut().for_each(|v| *v *= 1e-30);
    z
}

/// `analyze ARGS --json` (and `--out OUT`): the JSON object and run.json.
fn analyze(args: &[&std::ffi::OsStr], out: &Path) -> (Value, Value) {
    let output = bin()
        .arg("analyze")
        .args(args)
        .arg("--json")
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    let json = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let run = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    (json, run)
}

/// The bits of a JSON number, or of every number of a JSON array.
fn bits(v: &Value) -> Vec<u64> {
    match v {
        Value::Array(a) => a.iter().flat_map(bits).collect(),
        Value::Number(x) => vec![x.as_f64().unwrap().to_bits()],
        other => panic!("not a number: {other}"),
    }
}

/// `--spectrum-only` against the full analysis of `file` (tensor `name`): the same metrics,
/// spectra, channel std and verdict, bit for bit; nothing else measured.
fn assert_same_signals(file: &Path, name: &str, tmp: &Path) {
    let (full, full_run) = analyze(&[file.as_os_str()], &tmp.join("full"));
    let so_flag = std::ffi::OsStr::new("--spectrum-only");
    let (so, so_run) = analyze(&[file.as_os_str(), so_flag], &tmp.join("so"));
    let (ft, st) = (&full["tensors"][name], &so["tensors"][name]);
    for metric in [
        "std_l2",
        "normalised_std_l2",
        "effective_rank",
        "effective_rank_centred",
        "effective_rank_ratio",
        "effective_rank_centred_ratio",
        "angular_spread",
        "relative_spread",
        "zero_norm_rows",
    ] {
        assert_eq!(
            bits(&st["metrics"][metric]),
            bits(&ft["metrics"][metric]),
            "{metric}: {} vs {}",
            st["metrics"][metric],
            ft["metrics"][metric]
        );
    }
    assert_eq!(so["verdict"], full["verdict"]);
    // The panel's warnings (uniformity leaving out the zero row) are the full analysis' own.
    let warnings = |t: &Value| -> Vec<String> {
        t["warnings"].as_array().map_or_else(Vec::new, |w| {
            w.iter().map(|s| s.as_str().unwrap().to_string()).collect()
        })
    };
    let (fw, sw) = (warnings(ft), warnings(st));
    assert!(
        fw.iter()
            .any(|w| w.starts_with("uniformity leaves out 1 rows")),
        "{fw:?}"
    );
    assert!(sw.iter().all(|w| fw.contains(w)), "{sw:?} vs {fw:?}");
    let tensor = |run: &Value| run["runs"][0]["epochs"][0]["tensors"][name].clone();
    let (fr, sr) = (tensor(&full_run), tensor(&so_run));
    for key in ["spectrum", "channel_std"] {
        assert!(fr[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
        assert_eq!(bits(&sr[key]), bits(&fr[key]), "{key}");
    }
    // The panel, the information rows and the kNN accuracy are not computed.
    assert!(ft["metrics"]["alpha_req"].is_number(), "{ft}");
    assert!(st["metrics"].get("alpha_req").is_none(), "{st}");
    assert!(st["metrics"].get("uniformity").is_none(), "{st}");
    assert_eq!(so["info"], Value::Array(vec![]));
    assert!(!full["info"].as_array().unwrap().is_empty());
    assert_eq!(so_run["config"]["spectrum_only"], true);
    assert!(full_run["config"].get("spectrum_only").is_none());
}

#[test]
fn f32_npy_streamed_from_disk_has_the_bits_of_the_full_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    // d = 16: blocks of 4096 rows, so several blocks and a partial last one.
    let (n, d) = (4096 + 300, 16);
    let file = write_f32(tmp.path(), "emb.npy", (n, d), &embedding(n, d, 5));
    assert_same_signals(&file, "emb", tmp.path());
}

#[test]
fn f64_npy_and_csv_have_the_bits_of_the_full_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (600, 24);
    let z = embedding(n, d, 6);
    let npy = tmp.path().join("wide.npy");
    write_npy(&npy, &[n, d], &z);
    let dir = tmp.path().join("npy");
    std::fs::create_dir(&dir).unwrap();
    assert_same_signals(&npy, "wide", &dir);
    // A .csv is read whole (the in-memory path), with the same result.
    let csv = tmp.path().join("table.csv");
    let mut text = (0..d)
        .map(|j| format!("c{j}"))
        .collect::<Vec<_>>()
        .join(",");
    for row in z.chunks(d) {
        text.push('\n');
        text.push_str(
            &row.iter()
                .map(|v| format!("{v:e}"))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    std::fs::write(&csv, text).unwrap();
    let dir = tmp.path().join("csv");
    std::fs::create_dir(&dir).unwrap();
    assert_same_signals(&csv, "table", &dir);
}

#[test]
fn a_report_is_written_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (300, 8);
    // Every row one vector plus 1e-9 noise: complete collapse.
    let z: Vec<f64> = gaussian(n * d, 9)
        .iter()
        .enumerate()
        .map(|(i, v)| 1.0 + (i % d) as f64 + 1e-9 * v)
        .collect();
    let file = write_f32(tmp.path(), "flat.npy", (n, d), &z);
    let out = tmp.path().join("out");
    bin()
        .args(["analyze", "--spectrum-only", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("complete-collapse"),
        "the report shows the verdict"
    );
    assert!(out.join("charts/spectrum.svg").exists());
    let check = bin().arg("check").arg(&out).arg("--json").assert().code(1);
    let json: Value = serde_json::from_slice(&check.get_output().stdout).unwrap();
    assert_eq!(json["runs"][0]["verdict"], "complete-collapse", "{json}");
}

#[test]
fn n_at_most_d_gets_the_capped_by_n_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, d) = (20, 64);
    let file = write_f32(tmp.path(), "few.npy", (n, d), &gaussian(n * d, 3));
    let out = bin()
        .args(["analyze", "--spectrum-only", "--json"])
        .arg(&file)
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let warning = json["tensors"]["few"]["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("N = 20 ≤ d = 64: the rank ratios are capped by N"),
        "{warning}"
    );
    assert_eq!(json["tensors"]["few"]["metrics"]["rank_cap_centred"], 19.0);
}

#[test]
fn several_inputs_are_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write_f32(tmp.path(), "a.npy", (200, 8), &gaussian(1600, 1));
    let b = write_f32(tmp.path(), "b.npy", (200, 8), &vec![1.0; 1600]);
    let out = bin()
        .args(["analyze", "--spectrum-only", "--json"])
        .arg(&a)
        .arg(&b)
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let verdicts: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["healthy", "complete-collapse"], "{json}");
}

/// Runs `analyze ARGS`, expects exit 2 with nothing on stdout and no panic; returns stderr.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let out = bin().arg("analyze").args(args).assert().code(2);
    let out = out.get_output();
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn unused_flags_bad_files_and_directories_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_f32(tmp.path(), "z.npy", (50, 4), &gaussian(200, 2));
    let so = std::ffi::OsStr::new("--spectrum-only");
    let f = file.as_os_str();
    for flag in ["--views", "--target", "--labels"] {
        let err = refused(&[f, so, flag.as_ref(), f]);
        assert!(
            err.contains(&format!("--spectrum-only with {flag}")) && err.contains("drop"),
            "{err}"
        );
    }
    let err = refused(&[f, so, "--h-t".as_ref(), "1".as_ref()]);
    assert!(err.contains("--h-t 1 needs views"), "{err}");
    // A directory (a series).
    let dir = tmp.path().join("series");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&file, dir.join("epoch-0001.npy")).unwrap();
    let err = refused(&[dir.as_os_str(), so]);
    assert!(err.contains("--spectrum-only with the directory"), "{err}");
    // A truncated file: the reader's error, naming it.
    let bytes = std::fs::read(&file).unwrap();
    let cut = tmp.path().join("cut.npy");
    std::fs::write(&cut, &bytes[..bytes.len() - 6]).unwrap();
    let err = refused(&[cut.as_os_str(), so]);
    assert!(
        err.contains("cut.npy") && err.contains("truncated"),
        "{err}"
    );
    // NaN and inf: the same error as without --spectrum-only (count, first position).
    let mut z = gaussian(200, 2);
    z[4 * 4 + 1] = f64::NAN;
    z[9 * 4] = f64::INFINITY;
    let bad = write_f32(tmp.path(), "bad.npy", (50, 4), &z);
    let err = refused(&[bad.as_os_str(), so]);
    assert!(
        err.contains("bad.npy") && err.contains("row 4, column 1"),
        "{err}"
    );
    assert_eq!(err, refused(&[bad.as_os_str()]));
    // One row.
    let one = write_f32(tmp.path(), "one.npy", (1, 4), &[1.0, 2.0, 3.0, 4.0]);
    let err = refused(&[one.as_os_str(), so]);
    assert!(
        err.contains("one.npy") && err.contains("at least 2"),
        "{err}"
    );
}
