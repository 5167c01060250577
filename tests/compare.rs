//! `ib-analyze analyze A B ... --out DIR`: several models side by side (ARCHITECTURE.md §3,
//! "Several INPUTs"): one run per INPUT in one record, named after the files (or their KEYs, or
//! `--names`), one tensor name for all; `--views`/`--target`/`--labels` per INPUT or (labels)
//! shared; several series directories; `check` judging each run; every refusal exit 2 with
//! nothing written.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{bin, gaussian, npy_f64, write_npy};

const N: usize = 120;
const D: usize = 8;

/// N×D standard Gaussian rows: a healthy embedding.
fn healthy(dir: &Path, name: &str, seed: u64) -> PathBuf {
    let p = dir.join(name);
    write_npy(&p, &[N, D], &gaussian(N * D, seed));
    p
}

/// N×D rows all on one line through the origin (row i = s_i·u, s_i > 0): every l2-normalised
/// row is u, the complete collapse of Jing et al. (2022) / Chen & He (2021).
fn collapsed(dir: &Path, name: &str) -> PathBuf {
    let u = gaussian(D, 99);
    let s = gaussian(N, 98);
    let values: Vec<f64> = (0..N)
        .flat_map(|i| {
            let si = 1.0 + s[i].abs();
            u.iter().map(move |uj| si * uj)
        })
        .collect();
    let p = dir.join(name);
    write_npy(&p, &[N, D], &values);
    p
}

/// N labels, 4 classes.
fn labels(dir: &Path, name: &str, n: usize) -> PathBuf {
    let p = dir.join(name);
    let y: Vec<f64> = (0..n).map(|i| (i % 4) as f64).collect();
    write_npy(&p, &[n], &y);
    p
}

fn run_json(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap()
}

fn run_names(record: &Value) -> Vec<String> {
    record["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// The tensor names of each run's last epoch.
fn tensor_names(record: &Value) -> Vec<Vec<String>> {
    record["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let last = r["epochs"].as_array().unwrap().last().unwrap();
            last["tensors"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        })
        .collect()
}

fn analyze(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Command {
    let mut cmd = bin();
    cmd.arg("analyze");
    for a in args {
        cmd.arg(a.as_ref());
    }
    cmd
}

/// Exit 2 with stderr containing every one of `needles`, nothing on stdout, no panic.
fn fails(cmd: &mut Command, needles: &[&str]) -> String {
    let out = cmd.assert().code(2);
    let o = out.get_output();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    stderr
}

fn stdout_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code);
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn two_inputs_make_two_runs_of_one_tensor_that_check_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let b = healthy(tmp.path(), "b.npy", 2);
    let out = tmp.path().join("out");
    let text = stdout_of(&mut analyze(&[&a, &b, &"--out", &out]), 0);
    // The gate line of each run, then the report.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("ok   a "), "{text}");
    assert!(lines[1].starts_with("ok   b "), "{text}");
    assert!(lines[2].starts_with("report: ") && lines[2].ends_with("report.html"));
    assert!(out.join("report.html").is_file());

    let record = run_json(&out);
    assert_eq!(run_names(&record), ["a", "b"]);
    // One tensor name for both (no common KEY), so the report overlays them.
    assert_eq!(tensor_names(&record), [["embedding"], ["embedding"]]);
    for run in record["runs"].as_array().unwrap() {
        assert_eq!(run["method"], "external");
        assert_eq!(run["verdict"]["verdict"], "healthy");
        assert_eq!(run["epochs"].as_array().unwrap().len(), 1);
    }
    let shown = format!("{}, {}", a.display(), b.display());
    assert_eq!(record["dataset"]["name"], shown.as_str());
    assert_eq!(record["dataset"]["n_probe"], N);
    assert_eq!(record["dataset"]["input_dim"], D);
    // Each run's inputs in the config, the shared settings once; the manifest says the same.
    let runs = record["config"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["name"], "a");
    assert_eq!(runs[0]["inputs"]["input"], a.to_str().unwrap());
    assert_eq!(runs[1]["inputs"]["input"], b.to_str().unwrap());
    assert!(runs[0].get("verdict").is_none());
    assert!(record["config"]["verdict"].is_object());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["config"], record["config"]);

    let text = stdout_of(bin().arg("check").arg(&out), 0);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("ok   a ") && text.contains("ok   b "),
        "{text}"
    );
    let text = stdout_of(bin().args(["check", "--runs", "b"]).arg(&out), 0);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("ok   b "), "{text}");
    let text = stdout_of(bin().args(["check", "--runs", "a,b"]).arg(&out), 0);
    assert_eq!(text.lines().count(), 2, "{text}");

    // `report` re-renders the same directory.
    bin().arg("report").arg(&out).assert().success();
}

#[test]
fn a_collapsed_input_beside_a_healthy_one_fails_check() {
    let tmp = tempfile::tempdir().unwrap();
    let good = healthy(tmp.path(), "good.npy", 3);
    let bad = collapsed(tmp.path(), "bad.npy");
    let out = tmp.path().join("out");
    let text = stdout_of(&mut analyze(&[&good, &bad, &"--out", &out]), 0);
    assert!(text.contains("ok   good "), "{text}");
    assert!(text.contains("FAIL bad "), "{text}");
    let record = run_json(&out);
    assert_eq!(record["runs"][0]["verdict"]["verdict"], "healthy");
    assert_eq!(record["runs"][1]["verdict"]["verdict"], "complete-collapse");

    let text = stdout_of(bin().arg("check").arg(&out), 1);
    assert!(
        text.contains("ok   good ") && text.contains("FAIL bad "),
        "{text}"
    );
    // Only the healthy run selected: the gate passes.
    stdout_of(bin().args(["check", "--run", "good"]).arg(&out), 0);
    let json: Value =
        serde_json::from_str(&stdout_of(bin().args(["check", "--json"]).arg(&out), 1)).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 2);
    assert_eq!(json["failed"], true);
}

#[test]
fn json_has_one_summary_per_run() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let b = collapsed(tmp.path(), "b.npy");
    let text = stdout_of(&mut analyze(&[&a, &b, &"--json"]), 0);
    let json: Value = serde_json::from_str(&text).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["name"], "a");
    assert_eq!(runs[0]["input"], a.to_str().unwrap());
    assert_eq!(runs[0]["verdict"], "healthy");
    assert_eq!(runs[1]["name"], "b");
    assert_eq!(runs[1]["verdict"], "complete-collapse");
    for r in runs {
        assert_eq!(r["n"], N);
        assert_eq!(r["d"], D);
        assert!(r["tensors"]["embedding"]["metrics"]["std_l2"].is_number());
    }
    // The same numbers as each input analysed alone (only the tensor's name differs).
    let alone: Value =
        serde_json::from_str(&stdout_of(bin().arg("analyze").arg(&a).arg("--json"), 0)).unwrap();
    assert_eq!(
        alone["tensors"]["a"]["metrics"],
        runs[0]["tensors"]["embedding"]["metrics"]
    );
}

#[test]
fn names_name_the_runs_and_must_fit_the_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let b = healthy(tmp.path(), "b.npy", 2);
    let out = tmp.path().join("out");
    analyze(&[&a, &b, &"--names", &"simclr,vicreg", &"--out", &out])
        .assert()
        .success();
    assert_eq!(run_names(&run_json(&out)), ["simclr", "vicreg"]);

    let none = tmp.path().join("none");
    fails(
        &mut analyze(&[&a, &b, &"--names", &"only-one", &"--out", &none]),
        &["--names gives 1 name(s) for 2 INPUTs"],
    );
    fails(
        &mut analyze(&[&a, &b, &"--names", &"x,x", &"--out", &none]),
        &["'x'", "--names"],
    );
    fails(
        &mut analyze(&[&a, &b, &"--names", &"x,y/z", &"--out", &none]),
        &["--names", "path separator"],
    );
    fails(
        &mut analyze(&[&a, &"--names", &"x"]),
        &["--names names the runs of several INPUTs"],
    );
    fails(&mut analyze(&[&a, &b, &"--name", &"x"]), &["--names a,b"]);
    assert!(!none.exists());
}

/// A zip of `.npy` members, as `numpy.savez` writes.
fn npz(path: &Path, members: &[(&str, Vec<u8>)]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in members {
        w.start_file(format!("{name}.npy"), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn colliding_stems_fall_back_to_the_key_or_ask_for_names() {
    let tmp = tempfile::tempdir().unwrap();
    let x = tmp.path().join("x.npz");
    npz(
        &x,
        &[
            ("z1", npy_f64(&[N, D], &gaussian(N * D, 1))),
            ("z2", npy_f64(&[N, D], &gaussian(N * D, 2))),
        ],
    );
    let out = tmp.path().join("out");
    let (z1, z2) = (format!("{}:z1", x.display()), format!("{}:z2", x.display()));
    analyze(&[&z1, &z2, &"--out", &out]).assert().success();
    let record = run_json(&out);
    assert_eq!(run_names(&record), ["z1", "z2"]);
    assert_eq!(tensor_names(&record), [["embedding"], ["embedding"]]);
    assert_eq!(record["dataset"]["name"], format!("{z1}, {z2}").as_str());

    // The same KEY in two files: the runs are the stems, the tensor is the KEY.
    let y = tmp.path().join("y.npz");
    npz(&y, &[("z1", npy_f64(&[N, D], &gaussian(N * D, 3)))]);
    let same_key = tmp.path().join("same-key");
    let y1 = format!("{}:z1", y.display());
    analyze(&[&z1, &y1, &"--out", &same_key]).assert().success();
    let record = run_json(&same_key);
    assert_eq!(run_names(&record), ["x", "y"]);
    assert_eq!(tensor_names(&record), [["z1"], ["z1"]]);

    // Two x.npy in two directories, no KEY to tell them apart.
    for sub in ["p", "q"] {
        std::fs::create_dir(tmp.path().join(sub)).unwrap();
        healthy(&tmp.path().join(sub), "x.npy", 4);
    }
    let (p, q) = (tmp.path().join("p/x.npy"), tmp.path().join("q/x.npy"));
    let none = tmp.path().join("none");
    fails(
        &mut analyze(&[&p, &q, &"--out", &none]),
        &["would both be the run 'x'", "--names"],
    );
    assert!(!none.exists());
    analyze(&[&p, &q, &"--names", &"p,q", &"--out", &none])
        .assert()
        .success();
}

#[test]
fn labels_shared_or_per_input() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let b = healthy(tmp.path(), "b.npy", 2);
    let y = labels(tmp.path(), "y.npy", N);
    let knn = |json: &Value| -> Vec<bool> {
        json["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["knn_accuracy"].is_number())
            .collect()
    };
    let shared: Value = serde_json::from_str(&stdout_of(
        &mut analyze(&[&a, &b, &"--labels", &y, &"--json"]),
        0,
    ))
    .unwrap();
    assert_eq!(knn(&shared), [true, true]);

    // Per input: the second input has other rows and its own labels.
    let short = tmp.path().join("short.npy");
    write_npy(&short, &[60, D], &gaussian(60 * D, 5));
    let y_short = labels(tmp.path(), "y-short.npy", 60);
    let per: Value = serde_json::from_str(&stdout_of(
        &mut analyze(&[
            &a,
            &short,
            &"--labels",
            &y,
            &"--labels",
            &y_short,
            &"--json",
        ]),
        0,
    ))
    .unwrap();
    assert_eq!(knn(&per), [true, true]);
    assert_eq!(per["runs"][1]["n"], 60);

    // Shared labels that do not fit the second input's rows: the files are named.
    let out = tmp.path().join("out");
    fails(
        &mut analyze(&[&a, &short, &"--labels", &y, &"--out", &out]),
        &["y.npy", "short.npy", "120 labels", "60 rows"],
    );
    assert!(!out.exists());
    let z = labels(tmp.path(), "z.npy", N);
    fails(
        &mut analyze(&[&a, &b, &"--labels", &y, &"--labels", &z, &"--labels", &y]),
        &["--labels given 3 times for 2 INPUTs", "or once for all"],
    );
}

/// N'×K×D views of the rows of `seed`'s embedding: each row plus small noise.
fn views(dir: &Path, name: &str, seed: u64, k: usize) -> PathBuf {
    let z = gaussian(N * D, seed);
    let noise = gaussian(N * k * D, seed + 50);
    let values: Vec<f64> = (0..N)
        .flat_map(|i| (0..k).flat_map(move |v| (0..D).map(move |j| (i, v, j))))
        .map(|(i, v, j)| z[i * D + j] + 0.1 * noise[(i * k + v) * D + j])
        .collect();
    let p = dir.join(name);
    write_npy(&p, &[N, k, D], &values);
    p
}

#[test]
fn views_are_given_once_per_input() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let b = healthy(tmp.path(), "b.npy", 2);
    let va = views(tmp.path(), "va.npy", 1, 2);
    let vb = views(tmp.path(), "vb.npy", 2, 4);
    let out = tmp.path().join("out");
    analyze(&[&a, &b, &"--views", &va, &"--views", &vb, &"--out", &out])
        .assert()
        .success();
    let record = run_json(&out);
    for run in record["runs"].as_array().unwrap() {
        let info = run["epochs"][0]["info"].as_array().unwrap();
        assert!(info.iter().any(|r| r["quantity"] == "I(X;V)"), "{info:?}");
    }
    // K differs (2 and 4): the record's k_views is null, each run's inputs name its views.
    assert!(record["dataset"]["k_views"].is_null());
    let runs = record["config"]["runs"].as_array().unwrap();
    assert_eq!(runs[0]["inputs"]["views"], va.to_str().unwrap());
    assert_eq!(runs[1]["inputs"]["views"], vb.to_str().unwrap());

    // The same K: said once for the record.
    let same = tmp.path().join("same");
    let vb2 = views(tmp.path(), "vb2.npy", 2, 2);
    analyze(&[&a, &b, &"--views", &va, &"--views", &vb2, &"--out", &same])
        .assert()
        .success();
    assert_eq!(run_json(&same)["dataset"]["k_views"], 2);

    let none = tmp.path().join("none");
    fails(
        &mut analyze(&[&a, &b, &"--views", &va, &"--out", &none]),
        &[
            "--views given once for 2 INPUTs",
            "give --views once per INPUT",
        ],
    );
    fails(
        &mut analyze(&[&a, &b, &"--target", &a, &"--out", &none]),
        &["--target given once for 2 INPUTs"],
    );
    fails(
        &mut analyze(&[&a, &"--views", &va, &"--views", &vb]),
        &["--views given 2 times for 1 INPUT"],
    );
    assert!(!none.exists());
}

#[test]
fn a_bad_second_input_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let a = healthy(tmp.path(), "a.npy", 1);
    let junk = tmp.path().join("junk.npy");
    std::fs::write(&junk, b"not an array").unwrap();
    let missing = tmp.path().join("missing.npy");
    let out = tmp.path().join("runs/out");
    fails(&mut analyze(&[&a, &junk, &"--out", &out]), &["junk.npy"]);
    fails(
        &mut analyze(&[&a, &missing, &"--out", &out]),
        &["missing.npy"],
    );
    assert!(!tmp.path().join("runs").exists());

    // A file and a directory are not compared.
    let dir = tmp.path().join("series");
    std::fs::create_dir(&dir).unwrap();
    write_npy(&dir.join("epoch-1.npy"), &[N, D], &gaussian(N * D, 1));
    fails(
        &mut analyze(&[&a, &dir, &"--out", &out]),
        &["is a directory (a series)", "a.npy", "is a file"],
    );
    assert!(!tmp.path().join("runs").exists());

    // A comparison is written to a new OUT only.
    let used = tmp.path().join("used");
    std::fs::create_dir(&used).unwrap();
    std::fs::write(used.join("keep.txt"), b"x").unwrap();
    fails(
        &mut analyze(&[&a, &a, &"--names", &"p,q", &"--out", &used]),
        &["already exists", "pass a new --out"],
    );
    assert_eq!(std::fs::read_dir(&used).unwrap().count(), 1);
}

#[test]
fn two_series_make_two_runs_with_epochs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (name, collapse_at) in [("base", None), ("mine", Some(3))] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        for e in 1..=3u64 {
            let p = dir.join(format!("epoch-{e:04}.npy"));
            if Some(e) == collapse_at {
                std::fs::copy(collapsed(tmp.path(), "c.npy"), &p).unwrap();
            } else {
                write_npy(&p, &[N, D], &gaussian(N * D, 10 * e));
            }
        }
        dirs.push(dir);
    }
    let out = tmp.path().join("out");
    let text = stdout_of(&mut analyze(&[&dirs[0], &dirs[1], &"--out", &out]), 0);
    assert!(text.contains("ok   base "), "{text}");
    assert!(text.contains("FAIL mine "), "{text}");
    assert!(text.contains("series base: 3 epochs"), "{text}");
    let record = run_json(&out);
    assert_eq!(run_names(&record), ["base", "mine"]);
    for run in record["runs"].as_array().unwrap() {
        let epochs: Vec<u64> = run["epochs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["epoch"].as_u64().unwrap())
            .collect();
        assert_eq!(epochs, [1, 2, 3]);
    }
    assert_eq!(tensor_names(&record), [["embedding"], ["embedding"]]);
    assert_eq!(record["config"]["runs"][1]["series"]["name"], "mine");
    // No per-epoch cache is kept for several series.
    assert!(!out.join("cache").exists());

    let json: Value =
        serde_json::from_str(&stdout_of(bin().args(["check", "--json"]).arg(&out), 1)).unwrap();
    assert_eq!(json["runs"][1]["name"], "mine");
    assert_eq!(json["runs"][1]["onset_epoch"], 3);
    assert!(json["runs"][0]["onset_epoch"].is_null());

    let named = tmp.path().join("named");
    let json: Value = serde_json::from_str(&stdout_of(
        &mut analyze(&[
            &dirs[0], &dirs[1], &"--names", &"b,m", &"--out", &named, &"--json",
        ]),
        0,
    ))
    .unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["name"], "m");
    assert_eq!(runs[1]["series"]["epochs"], 3);
    assert_eq!(run_names(&run_json(&named)), ["b", "m"]);
    fails(
        &mut analyze(&[
            &dirs[0], &dirs[1], &"--views", &dirs[0], &"--views", &dirs[1],
        ]),
        &["--views with a directory INPUT"],
    );
}

#[test]
fn help_shows_the_several_inputs_form() {
    let text = stdout_of(bin().args(["analyze", "--help"]), 0);
    assert!(text.contains("Several INPUTs"), "{text}");
    assert!(text.contains("--names"), "{text}");
}
