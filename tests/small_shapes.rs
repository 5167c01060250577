//! Property test over small shapes (N 1–64, d 1–3) and degenerate data kinds: `analyze` (with
//! and without `--views`, `--target`, `--labels`) and `estimate` never panic, abort or die on a
//! signal (exit code 0 or 2 only), and every JSON they write on success — `--json` stdout and
//! run.json — is strict JSON (no NaN or Infinity), and every run.json written is one `check`
//! can read (exit 0 or 1).
//!
//! Seeded and deterministic: the cases are a fixed grid, and the options of each case are
//! chosen by a fixed hash of the case. A failure names the case and the command line.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{npy_header, pseudo_random, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

/// The data kinds of the grid.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Uniform values in [−1, 1).
    Random,
    /// Every row the same non-zero vector.
    AllEqual,
    /// Every value 0.
    Zeros,
    /// Random, but column 0 constant.
    ConstantColumn,
    /// Values on three levels: many exact ties and duplicate rows.
    Ties,
    /// Random × 1e300.
    Huge,
    /// Random × 1e-300.
    Tiny,
    /// Every row the same vector of entries 1e200 (the squared norm overflows).
    HugeEqual,
}

const KINDS: [Kind; 8] = [
    Kind::Random,
    Kind::AllEqual,
    Kind::Zeros,
    Kind::ConstantColumn,
    Kind::Ties,
    Kind::Huge,
    Kind::Tiny,
    Kind::HugeEqual,
];

/// A spread of row counts over 1–64 (not all 64: the test stays fast).
const ROWS: [usize; 12] = [1, 2, 3, 4, 5, 7, 9, 16, 17, 32, 33, 64];

fn values(kind: Kind, count: usize, d: usize, seed: u64) -> Vec<f64> {
    let r = pseudo_random(count, seed);
    match kind {
        Kind::Random => r,
        Kind::AllEqual => (0..count).map(|i| 0.5 + (i % d) as f64).collect(),
        Kind::Zeros => vec![0.0; count],
        Kind::ConstantColumn => r
            .iter()
            .enumerate()
            .map(|(i, &v)| if i % d == 0 { 2.0 } else { v })
            .collect(),
        Kind::Ties => r.iter().map(|v| (v * 1.5).round()).collect(),
        Kind::Huge => r.iter().map(|v| v * 1e300).collect(),
        Kind::Tiny => r.iter().map(|v| v * 1e-300).collect(),
        Kind::HugeEqual => vec![1e200; count],
    }
}

/// A fixed hash of a case (SplitMix64 of the case's numbers).
fn mix(parts: &[u64]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &p in parts {
        h ^= p;
        h = h.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h = z ^ (z >> 31);
    }
    h
}

fn write_labels(path: &Path, labels: &[i64]) {
    let mut bytes = npy_header("<i8", &format!("({},)", labels.len()));
    for v in labels {
        bytes.extend(v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// An error if `text` holds a NaN or Infinity token outside string literals, or does not parse.
fn strict_json(text: &str, what: &str) -> Result<Value, String> {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
            continue;
        }
        let rest = &text[i..];
        if rest.starts_with("NaN") || rest.starts_with("Infinity") {
            return Err(format!(
                "{what}: non-strict JSON token at byte {i}: {}",
                rest.chars().take(40).collect::<String>()
            ));
        }
    }
    serde_json::from_str(text).map_err(|e| format!("{what}: not JSON ({e}): {text}"))
}

/// Runs `cmd`; an error unless the exit code is in `allowed` and stderr holds no panic message.
fn run(mut cmd: Command, what: &str, allowed: &[i32]) -> Result<(i32, String), String> {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code();
    if !code.is_some_and(|c| allowed.contains(&c)) {
        return Err(format!(
            "{what}: exit {code:?} (want one of {allowed:?}; a signal shows as None)\nstderr: {stderr}"
        ));
    }
    if stderr.contains("panicked") {
        return Err(format!("{what}: a panic message on stderr: {stderr}"));
    }
    Ok((
        code.unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    ))
}

/// The files of one case.
struct Case {
    dir: PathBuf,
    n: usize,
    d: usize,
    kind: Kind,
    input: PathBuf,
}

impl Case {
    fn new(root: &Path, n: usize, d: usize, kind: Kind) -> Case {
        let dir = root.join(format!("{kind:?}-{n}x{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        let seed = mix(&[n as u64, d as u64, kind as u64]);
        let input = dir.join("emb.npy");
        write_npy(&input, &[n, d], &values(kind, n * d, d, seed));
        Case {
            dir,
            n,
            d,
            kind,
            input,
        }
    }

    fn views(&self, k: usize, salt: u64) -> PathBuf {
        let p = self.dir.join(format!("views{k}-{salt}.npy"));
        let seed = mix(&[
            self.n as u64,
            self.d as u64,
            self.kind as u64,
            k as u64,
            salt,
        ]);
        write_npy(
            &p,
            &[self.n, k, self.d],
            &values(self.kind, self.n * k * self.d, self.d, seed),
        );
        p
    }

    fn target_rows(&self) -> PathBuf {
        let p = self.dir.join("target.npy");
        let seed = mix(&[self.n as u64, self.d as u64, self.kind as u64, 77]);
        write_npy(
            &p,
            &[self.n, self.d],
            &values(self.kind, self.n * self.d, self.d, seed),
        );
        p
    }

    fn labels(&self) -> PathBuf {
        let p = self.dir.join("labels.npy");
        let labels: Vec<i64> = (0..self.n).map(|i| (i % 3) as i64).collect();
        write_labels(&p, &labels);
        p
    }
}

/// `analyze` with the options `opts` selects (bit 0 views, bit 1 target, bit 2 labels, bit 3
/// --out): exit 0 or 2, strict JSON, a run.json that `check` reads.
fn analyze_case(case: &Case, opts: u64, out_root: &Path) -> Result<(), String> {
    let mut cmd = bin();
    cmd.arg("analyze").arg(&case.input).arg("--json");
    let mut what = format!("analyze {:?} {}x{}", case.kind, case.n, case.d);
    let k = 1 + (opts >> 4) as usize % 3;
    if opts & 1 != 0 {
        cmd.arg("--views").arg(case.views(k, 1));
        what += &format!(" --views (K = {k})");
        if opts & 2 != 0 {
            cmd.arg("--target").arg(case.views(k, 2));
            what += " --target (N×K×d)";
        }
    } else if opts & 2 != 0 {
        cmd.arg("--target").arg(case.target_rows());
        what += " --target (N×d)";
    }
    if opts & 4 != 0 {
        cmd.arg("--labels").arg(case.labels());
        what += " --labels";
    }
    let out_dir = out_root.join(format!("{:?}-{}x{}-{opts}", case.kind, case.n, case.d));
    if opts & 8 != 0 {
        cmd.arg("--out").arg(&out_dir);
        what += " --out";
    }
    let (code, stdout) = run(cmd, &what, &[0, 2])?;
    if code != 0 {
        return Ok(());
    }
    let json = strict_json(&stdout, &format!("{what}: --json"))?;
    if !json["verdict"].is_string() {
        return Err(format!("{what}: no verdict: {json}"));
    }
    // Metrics and evidence are numbers (a non-finite value is never written as null); a metric
    // is null only with the reason in `unavailable` (the panel's, ARCHITECTURE.md §4).
    for (name, t) in json["tensors"].as_object().into_iter().flatten() {
        let metrics = t["metrics"].as_object().into_iter().flatten();
        let evidence = t["evidence"].as_array().into_iter().flatten();
        let values = metrics
            .map(|(k, v)| (k.clone(), v, t["unavailable"][k].is_string()))
            .chain(evidence.map(|e| (format!("evidence {}", e["signal"]), &e["value"], false)));
        for (key, v, explained) in values {
            if !(v.is_number() || v.is_null() && explained) {
                return Err(format!("{what}: {name} {key} is {v}, not a number"));
            }
        }
    }
    if opts & 8 != 0 {
        let text = std::fs::read_to_string(out_dir.join("run.json")).unwrap();
        strict_json(&text, &format!("{what}: run.json"))?;
        let mut check = bin();
        check.arg("check").arg(&out_dir).arg("--json");
        let (_, stdout) = run(check, &format!("check after {what}"), &[0, 1])?;
        strict_json(&stdout, &format!("check after {what}: --json"))?;
    }
    Ok(())
}

/// One `estimate` chosen by `pick`: exit 0 or 2, strict JSON.
fn estimate_case(case: &Case, pick: u64) -> Result<(), String> {
    let d = case.d;
    let two = d >= 2;
    let args: &[&str] = match pick % 6 {
        0 => &["entropy", "--method", "kl"],
        1 => &["entropy", "--method", "kl", "--norm", "euclidean"],
        2 => &["entropy", "--method", "gaussian"],
        3 => &["entropy", "--method", "binned-mm", "--bins", "4"],
        4 if two => &[
            "mi", "--method", "ksg2", "--x-cols", "0:1", "--y-cols", "1:2",
        ],
        5 if two => &[
            "cond-entropy",
            "--method",
            "gaussian",
            "--x-cols",
            "0:1",
            "--y-cols",
            "1:2",
        ],
        _ => &["entropy", "--method", "binned", "--bins", "3"],
    };
    let mut cmd = bin();
    cmd.arg("estimate").args(args);
    cmd.arg(&case.input).arg("--json");
    let what = format!(
        "estimate {} {:?} {}x{}",
        args.join(" "),
        case.kind,
        case.n,
        case.d
    );
    let (code, stdout) = run(cmd, &what, &[0, 2])?;
    if code == 0 {
        let json = strict_json(&stdout, &what)?;
        if json["units"] != "nats" {
            return Err(format!("{what}: {json}"));
        }
    }
    Ok(())
}

#[test]
fn small_shapes_never_panic_and_write_strict_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out_root = tmp.path().join("out");
    let mut cases = 0;
    let mut failures = Vec::new();
    for &n in &ROWS {
        for d in 1..=3usize {
            for kind in KINDS {
                let case = Case::new(tmp.path(), n, d, kind);
                let h = mix(&[n as u64, d as u64, kind as u64, 1]);
                // The plain input, and one seeded choice of views/target/labels/--out (with
                // every option switched on for one case in four).
                let opts = if h.is_multiple_of(4) {
                    (h & !0xF) | 0xF
                } else {
                    h
                };
                for result in [
                    analyze_case(&case, 0, &out_root),
                    analyze_case(&case, opts, &out_root),
                    estimate_case(&case, h >> 8),
                ] {
                    failures.extend(result.err());
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, ROWS.len() * 3 * KINDS.len());
    assert!(
        failures.is_empty(),
        "{} of {} commands failed:\n{}",
        failures.len(),
        3 * cases,
        failures.join("\n\n")
    );
}
