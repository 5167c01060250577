//! `ib-analyze analyze DIR`: a series of per-epoch files analysed as one run (ARCHITECTURE.md
//! §3, the series contract): ordering by the number in the name, the per-epoch cache in OUT
//! (reused, never trusted when corrupt, the same numbers as without it), every refusal of bad
//! input (exit 2 naming the file, nothing written), and `run`'s own snapshot directories.

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{analyze_json, bin};
use common::{gaussian, npy_f64, write_npy};

const N: usize = 32;
const D: usize = 4;

/// A directory `name` in `root` holding `epoch-<label>.npy` for each label, N×D Gaussian rows.
fn npy_series(root: &Path, name: &str, labels: &[&str]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, l) in labels.iter().enumerate() {
        write_npy(
            &dir.join(format!("epoch-{l}.npy")),
            &[N, D],
            &gaussian(N * D, 100 + i as u64),
        );
    }
    dir
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_json(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap()
}

fn epochs_of(record: &Value) -> Vec<u64> {
    record["runs"][0]["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["epoch"].as_u64().unwrap())
        .collect()
}

/// Exit 2 with stderr containing every one of `needles`; returns stderr.
fn fails(cmd: &mut Command, needles: &[&str]) -> String {
    let out = cmd.assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn epochs_are_ordered_by_the_number_and_the_run_is_named_after_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = npy_series(tmp.path(), "my-run", &["10", "9", "0100"]);
    // A writer's temporary file is ignored, whatever it holds.
    std::fs::write(dir.join(".epoch-0200.npy.tmp"), b"half").unwrap();
    let out = tmp.path().join("out");
    let j = analyze_json(&[dir.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(j["series"]["epochs"], 3);
    assert_eq!(j["series"]["first_epoch"], 9);
    assert_eq!(j["series"]["last_epoch"], 100);
    assert_eq!(j["series"]["cached"], 0);
    assert_eq!(j["series"]["measured"], 3);
    assert!(j["tensors"]["my-run"].is_object(), "{j}");
    let record = run_json(&out);
    assert_eq!(epochs_of(&record), [9, 10, 100]);
    assert_eq!(record["runs"][0]["name"], "my-run");
    assert_eq!(
        record["config"]["series"]["files"],
        serde_json::json!(["epoch-9.npy", "epoch-10.npy", "epoch-0100.npy"])
    );
    for f in ["manifest.json", "metrics.csv", "report.html"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.contains("my-run,100,my-run,effective_rank,"), "{csv}");
    // `check` reads it as any run directory.
    bin().arg("check").arg(&out).assert().code(0);

    // --name names the run (and its .npy tensor); without --out nothing is written.
    let j = analyze_json(&[dir.as_os_str(), "--name".as_ref(), "renamed".as_ref()]);
    assert!(j["tensors"]["renamed"].is_object(), "{j}");
    bin()
        .args(["analyze", "--name", "../x"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("plain file name"));
    // Text output says where the epochs came from.
    bin()
        .arg("analyze")
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("series: 3 epochs (0 from the cache, 3 measured)"));
}

/// The per-epoch results of a record (its epochs as JSON), for comparing analyses.
fn epochs_json(out: &Path) -> Value {
    run_json(out)["runs"][0]["epochs"].clone()
}

#[test]
fn the_cache_is_reused_and_gives_the_same_numbers_and_a_corrupt_entry_is_measured_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = npy_series(tmp.path(), "s", &["0000", "0001", "0002"]);
    let labels = tmp.path().join("y.npy");
    let y: Vec<f64> = (0..N).map(|i| (i % 3) as f64).collect();
    std::fs::write(&labels, npy_f64(&[N], &y)).unwrap();
    let out = tmp.path().join("out");
    let args = |out: &Path| -> Vec<std::ffi::OsString> {
        vec![
            dir.clone().into(),
            "--labels".into(),
            labels.clone().into(),
            "--out".into(),
            out.into(),
        ]
    };
    let run = |out: &Path| {
        let a = args(out);
        let refs: Vec<&std::ffi::OsStr> = a.iter().map(|s| s.as_os_str()).collect();
        analyze_json(&refs)
    };
    let j = run(&out);
    assert_eq!(
        (
            j["series"]["cached"].as_u64(),
            j["series"]["measured"].as_u64()
        ),
        (Some(0), Some(3))
    );
    assert!(j["knn_accuracy"].is_number(), "{j}");
    assert_eq!(std::fs::read_dir(out.join("cache")).unwrap().count(), 3);

    // The same OUT again: allowed, everything from the cache.
    let j = run(&out);
    assert_eq!(
        (
            j["series"]["cached"].as_u64(),
            j["series"]["measured"].as_u64()
        ),
        (Some(3), Some(0))
    );

    // A new epoch: only it is measured.
    write_npy(&dir.join("epoch-0003.npy"), &[N, D], &gaussian(N * D, 7));
    let j = run(&out);
    assert_eq!(
        (
            j["series"]["cached"].as_u64(),
            j["series"]["measured"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(epochs_of(&run_json(&out)), [0, 1, 2, 3]);

    // The same numbers as an analysis without any cache.
    let fresh = tmp.path().join("fresh");
    let j_fresh = run(&fresh);
    assert_eq!(j_fresh["series"]["measured"], 4);
    assert_eq!(epochs_json(&out), epochs_json(&fresh));
    assert_eq!(
        std::fs::read(out.join("metrics.csv")).unwrap(),
        std::fs::read(fresh.join("metrics.csv")).unwrap()
    );

    // Corrupt every entry in a different way: each is measured again, with the same numbers.
    let mut entries: Vec<PathBuf> = std::fs::read_dir(out.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 4);
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    // A number changed, the JSON still valid: the check refuses it.
    let digit = text.find(|c: char| c.is_ascii_digit() && c != '0').unwrap();
    let mut edited = text.clone();
    edited.replace_range(digit..digit + 1, "0");
    std::fs::write(&entries[0], edited).unwrap();
    // Truncated.
    let t1 = std::fs::read(&entries[1]).unwrap();
    std::fs::write(&entries[1], &t1[..t1.len() / 2]).unwrap();
    // Another entry's content under this name (stale).
    std::fs::copy(&entries[3], &entries[2]).unwrap();
    let j = run(&out);
    assert_eq!(
        (
            j["series"]["cached"].as_u64(),
            j["series"]["measured"].as_u64()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(epochs_json(&out), epochs_json(&fresh));

    // Other settings are other keys: nothing from the cache.
    let a = args(&out);
    let mut refs: Vec<&std::ffi::OsStr> = a.iter().map(|s| s.as_os_str()).collect();
    refs.extend([
        std::ffi::OsStr::new("--knn-rows"),
        std::ffi::OsStr::new("10"),
    ]);
    let j = analyze_json(&refs);
    assert_eq!(j["series"]["cached"], 0);
    assert_eq!(j["knn_subsample"]["rows"], 10);
}

#[test]
fn bad_directories_are_refused_naming_the_file_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let analyze = |dir: &Path| {
        let mut c = bin();
        c.arg("analyze").arg(dir).arg("--out").arg(&out);
        c
    };
    let check = |dir: &Path, needles: &[&str]| {
        fails(&mut analyze(dir), needles);
        assert!(!out.exists(), "{}", dir.display());
    };

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    check(&empty, &["empty", "holds no epoch files"]);
    // Only dotfiles: empty too.
    std::fs::write(empty.join(".epoch-0001.npy.tmp"), b"x").unwrap();
    check(&empty, &["holds no epoch files"]);

    let stray = npy_series(tmp.path(), "stray", &["0001", "0002"]);
    std::fs::write(stray.join("notes.txt"), b"x").unwrap();
    check(&stray, &["notes.txt", "is not an epoch file", "dotfile"]);

    let unreadable = npy_series(tmp.path(), "unreadable", &["0001", "0002", "0003"]);
    std::fs::write(unreadable.join("epoch-0002.npy"), b"not an array").unwrap();
    check(&unreadable, &["epoch-0002.npy"]);
    // Valid header, truncated data: found when the epoch is read, still nothing written.
    let trunc = npy_series(tmp.path(), "trunc", &["0001", "0002"]);
    let bytes = std::fs::read(trunc.join("epoch-0002.npy")).unwrap();
    std::fs::write(trunc.join("epoch-0002.npy"), &bytes[..bytes.len() - 8]).unwrap();
    check(&trunc, &["epoch-0002.npy", "truncated"]);

    let not_regular = npy_series(tmp.path(), "not-regular", &["0001"]);
    std::fs::create_dir(not_regular.join("epoch-0002.npy")).unwrap();
    check(&not_regular, &["epoch-0002.npy", "directory"]);

    let widths = npy_series(tmp.path(), "widths", &["0001"]);
    write_npy(
        &widths.join("epoch-0002.npy"),
        &[N, D + 2],
        &gaussian(N * (D + 2), 3),
    );
    check(
        &widths,
        &["epoch-0001.npy", "epoch-0002.npy", "d = 4 and d = 6"],
    );

    let dup = npy_series(tmp.path(), "dup", &["3", "0003"]);
    check(&dup, &["epoch-3.npy", "epoch-0003.npy", "both epoch 3"]);

    let mixed = npy_series(tmp.path(), "mixed", &["0001"]);
    write_safetensors(
        &mixed.join("epoch-0002.safetensors"),
        &[("online.projector", &[N, D], 1)],
    );
    check(&mixed, &["epoch-0001.npy", "epoch-0002.safetensors", "mix"]);

    let sets = tmp.path().join("sets");
    std::fs::create_dir(&sets).unwrap();
    write_safetensors(
        &sets.join("epoch-0001.safetensors"),
        &[("online.projector", &[N, D], 1)],
    );
    write_safetensors(
        &sets.join("epoch-0002.safetensors"),
        &[
            ("online.projector", &[N, D], 1),
            ("online.backbone", &[N, 6], 2),
        ],
    );
    check(
        &sets,
        &[
            "epoch-0001.safetensors",
            "epoch-0002.safetensors",
            "different tensors",
            "online.backbone",
        ],
    );

    // More files than a run may hold: refused from the names, before any file is opened.
    let many = tmp.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for e in 0..=1000 {
        std::fs::write(many.join(format!("epoch-{e:04}.npy")), b"").unwrap();
    }
    check(&many, &["1001 epoch files", "1000"]);

    let labels = npy_series(tmp.path(), "labels", &["0001"]);
    let y = tmp.path().join("y.npy");
    std::fs::write(&y, npy_f64(&[N - 1], &vec![0.0; N - 1])).unwrap();
    fails(
        analyze(&labels).arg("--labels").arg(&y),
        &["y.npy", "31 labels"],
    );
    assert!(!out.exists());
    fails(
        analyze(&labels)
            .arg("--views")
            .arg(labels.join("epoch-0001.npy")),
        &["--views", "directory"],
    );
    assert!(!out.exists());
    fails(
        bin()
            .args(["analyze", "--name", "x"])
            .arg(labels.join("epoch-0001.npy")),
        &["--name"],
    );
}

#[test]
fn an_out_holding_something_else_is_refused_and_a_failed_update_keeps_the_old_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = npy_series(tmp.path(), "s", &["0001", "0002"]);
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("keep.txt"), b"mine").unwrap();
    fails(
        bin().arg("analyze").arg(&dir).arg("--out").arg(&other),
        &["other", "not an earlier analysis"],
    );
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);

    let out = tmp.path().join("out");
    bin()
        .arg("analyze")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    // Another series' OUT: refused, naming both names.
    let dir2 = npy_series(tmp.path(), "t", &["0001"]);
    fails(
        bin().arg("analyze").arg(&dir2).arg("--out").arg(&out),
        &["'s'", "'t'", "another --out"],
    );
    // An update that fails on bad input leaves the earlier analysis as it was.
    let before: Vec<(PathBuf, Vec<u8>)> = walk(&out);
    std::fs::write(dir.join("epoch-0003.npy"), b"junk").unwrap();
    fails(
        bin().arg("analyze").arg(&dir).arg("--out").arg(&out),
        &["epoch-0003.npy"],
    );
    assert_eq!(walk(&out), before);
}

/// Every file under `dir` with its bytes, sorted.
fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

/// Writes a `.safetensors` of f32 tensors (name, shape, seed) and, when `labels`, i64 labels.
fn write_safetensors(path: &Path, tensors: &[(&str, &[usize], u64)]) {
    write_safetensors_with(path, tensors, None);
}

fn write_safetensors_with(path: &Path, tensors: &[(&str, &[usize], u64)], labels: Option<&[i64]>) {
    let data: Vec<(String, Vec<usize>, Vec<u8>, safetensors::Dtype)> = tensors
        .iter()
        .map(|(name, shape, seed)| {
            let count: usize = shape.iter().product();
            let bytes = gaussian(count, *seed)
                .iter()
                .flat_map(|v| (*v as f32).to_le_bytes())
                .collect();
            (
                name.to_string(),
                shape.to_vec(),
                bytes,
                safetensors::Dtype::F32,
            )
        })
        .chain(labels.map(|y| {
            (
                "labels".to_string(),
                vec![y.len()],
                y.iter().flat_map(|v| v.to_le_bytes()).collect(),
                safetensors::Dtype::I64,
            )
        }))
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = data
        .iter()
        .map(|(n, s, b, t)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(*t, s.clone(), b).unwrap(),
            )
        })
        .collect();
    std::fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
}

/// Fast information settings for the snapshot tests.
const INFO: &str = "[info]\nestimators = [\"pairwise\", \"gaussian\"]\nci_groups = 4\n";

#[test]
fn snapshot_files_give_information_and_knn_and_the_last_epoch_its_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("snaps");
    std::fs::create_dir(&dir).unwrap();
    let (k, n2) = (3, N);
    let y: Vec<i64> = (0..N as i64).map(|i| i % 2).collect();
    for e in 0..3u64 {
        write_safetensors_with(
            &dir.join(format!("epoch-{e:04}.safetensors")),
            &[
                ("online.backbone", &[N, 6], 10 * e + 1),
                ("online.projector", &[N, D], 10 * e + 2),
                ("views.projector", &[n2, k, D], 10 * e + 3),
                ("target.projector", &[n2, k, D], 10 * e + 4),
            ],
            Some(&y),
        );
    }
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, INFO).unwrap();
    let out = tmp.path().join("out");
    let j = analyze_json(&[
        dir.as_os_str(),
        "--config".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(j["tensors"]["online.backbone"].is_object(), "{j}");
    assert!(j["tensors"]["online.projector"].is_object(), "{j}");
    assert!(j["knn_accuracy"].is_number(), "{j}");
    let record = run_json(&out);
    assert_eq!(record["dataset"]["k_views"], 3);
    let epochs = record["runs"][0]["epochs"].as_array().unwrap();
    let has_interval = |e: &Value| {
        e["info"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("ci").is_some_and(|c| !c.is_null()))
    };
    assert!(epochs
        .iter()
        .all(|e| !e["info"].as_array().unwrap().is_empty()));
    assert!(has_interval(&epochs[2]), "{}", epochs[2]);
    assert!(!has_interval(&epochs[0]) && !has_interval(&epochs[1]));
    // The files hold labels: a shared --labels as well is ambiguous.
    let yfile = tmp.path().join("y.npy");
    std::fs::write(&yfile, npy_f64(&[N], &vec![0.0; N])).unwrap();
    fails(
        bin().arg("analyze").arg(&dir).arg("--labels").arg(&yfile),
        &["--labels", "epoch-0000.safetensors", "drop --labels"],
    );
    // A new epoch: the earlier ones come from the cache except the previous last one, which
    // is measured again without intervals (they belong to the last epoch only).
    write_safetensors_with(
        &dir.join("epoch-0003.safetensors"),
        &[
            ("online.backbone", &[N, 6], 31),
            ("online.projector", &[N, D], 32),
            ("views.projector", &[n2, k, D], 33),
            ("target.projector", &[n2, k, D], 34),
        ],
        Some(&y),
    );
    let j = analyze_json(&[
        dir.as_os_str(),
        "--config".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(
        (
            j["series"]["cached"].as_u64(),
            j["series"]["measured"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let epochs = run_json(&out)["runs"][0]["epochs"].clone();
    assert!(!has_interval(&epochs[2]) && has_interval(&epochs[3]));
}

#[test]
fn a_file_appearing_while_the_directory_is_read_is_left_for_the_next_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = npy_series(tmp.path(), "live", &["0000", "0001", "0002", "0003"]);
    let writer_dir = dir.clone();
    // A writer as training would run it: each file written under a dotfile name, then renamed
    // into place (the rule of the series contract), while `analyze` reads the directory.
    let writer = std::thread::spawn(move || {
        for e in 4..40u64 {
            let tmp = writer_dir.join(format!(".epoch-{e:04}.npy.tmp"));
            let bytes = npy_f64(&[N, D], &gaussian(N * D, e));
            let (a, b) = bytes.split_at(bytes.len() / 2);
            std::fs::write(&tmp, a).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
            let mut f = std::fs::OpenOptions::new().append(true).open(&tmp).unwrap();
            std::io::Write::write_all(&mut f, b).unwrap();
            drop(f);
            std::fs::rename(&tmp, writer_dir.join(format!("epoch-{e:04}.npy"))).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
    });
    let out = tmp.path().join("out");
    let result = bin()
        .arg("analyze")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    writer.join().unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let record = run_json(&out);
    let epochs = epochs_of(&record);
    // The epochs read are a run of consecutive files from 0: never a half-written one.
    assert!(epochs.len() >= 4);
    assert_eq!(epochs, (0..epochs.len() as u64).collect::<Vec<_>>());
    let j = json_of(&result);
    for f in j["series"]["appeared"].as_array().unwrap() {
        let e: u64 = f.as_str().unwrap()[6..10].parse().unwrap();
        assert!(e >= epochs.len() as u64, "{f}");
    }
    // The next analysis takes every file, the earlier ones from the cache.
    let j = analyze_json(&[dir.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(j["series"]["epochs"], 40);
    assert_eq!(j["series"]["cached"].as_u64(), Some(epochs.len() as u64));
}

#[test]
fn help_explains_the_series() {
    bin()
        .args(["analyze", "--help"])
        .assert()
        .success()
        .stdout(contains("epoch-NNNN.safetensors"))
        .stdout(contains("are ignored"))
        .stdout(contains("--name"));
}

/// A run that trains in about a second: one method, two epochs, narrow layers; a snapshot at
/// every epoch (0, 1, 2).
const TINY_RUN: &str = r#"
name = "tiny"
methods = ["simsiam"]
epochs = 2
snapshot_every = 1
[dataset]
n_train = 64
n_probe = 40
k_views = 2
[model]
encoder_hidden = 32
feature_dim = 16
projector_hidden = 16
projection_dim = 8
predictor_hidden = 4
[optim]
batch_size = 32
[info]
ci_groups = 3
"#;

/// `run`'s snapshot directory is a series: analysed with the run's settings and
/// `--fixed-transforms` (the run's probe uses K fixed transforms), its tensor metrics,
/// information and Lagrangian rows are the run's own; the kNN accuracy is not (see below).
/// Without the flag, H(T) is unknown: the same measured Lagrangian, theorem and gap null.
#[test]
fn a_runs_snapshot_directory_gives_the_runs_own_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("tiny.toml");
    std::fs::write(&cfg, TINY_RUN).unwrap();
    let run_out = tmp.path().join("run");
    bin()
        .args(["run", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&run_out)
        .assert()
        .success();
    let out = tmp.path().join("series");
    bin()
        .arg("analyze")
        .arg(run_out.join("snapshots/simsiam"))
        .arg("--config")
        .arg(&cfg)
        .arg("--fixed-transforms")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        run_json(&out)["config"]["h_t"],
        serde_json::json!({"nats": 2f64.ln(), "source": "fixed-transforms"})
    );
    let trained = run_json(&run_out)["runs"][0]["epochs"].clone();
    let analysed = run_json(&out)["runs"][0]["epochs"].clone();
    let (trained, analysed) = (trained.as_array().unwrap(), analysed.as_array().unwrap());
    assert_eq!(analysed.len(), 3);
    for (t, a) in trained.iter().zip(analysed) {
        assert_eq!(t["epoch"], a["epoch"]);
        for tensor in ["online.backbone", "online.projector"] {
            assert_eq!(
                t["tensors"][tensor], a["tensors"][tensor],
                "epoch {} {tensor}",
                t["epoch"]
            );
        }
        assert!(!a["info"].as_array().unwrap().is_empty());
        assert_eq!(t["info"], a["info"], "epoch {}", t["epoch"]);
        assert_eq!(t["lagrangian"], a["lagrangian"], "epoch {}", t["epoch"]);
        // The predictor: the same spectrum, but `run` knows the 4-wide hidden layer of
        // SimSiam's predictor (rank ≤ 4, + 1 uncentred) and a file does not (rank ≤ d = 8).
        let (tp, ap) = (
            &t["tensors"]["online.predictor"]["metrics"],
            &a["tensors"]["online.predictor"]["metrics"],
        );
        assert_eq!(tp["effective_rank"], ap["effective_rank"]);
        assert_eq!(
            (tp["rank_cap"].as_f64(), ap["rank_cap"].as_f64()),
            (Some(5.0), Some(8.0))
        );
        // kNN: `run` classifies the probe by a bank of training inputs; a series has only the
        // probe rows and their labels (leave-one-out), so both are accuracies of other tasks.
        assert!(t["knn_accuracy"].is_number() && a["knn_accuracy"].is_number());
    }
    // Bootstrap intervals on the last epoch only, as `run` does.
    let intervals = |e: &Value| {
        e["info"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["ci"].is_null())
            .count()
    };
    assert_eq!(intervals(&analysed[0]), 0);
    assert!(intervals(&analysed[2]) > 0);

    // Without --fixed-transforms: H(T) unknown.
    let unknown_out = tmp.path().join("unknown");
    let assert = bin()
        .arg("analyze")
        .arg(run_out.join("snapshots/simsiam"))
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&unknown_out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("H(T) unknown"), "{stderr}");
    let record = run_json(&unknown_out);
    assert!(record["config"]["h_t"].is_null() && record["dataset"]["h_t"].is_null());
    let unknown = record["runs"][0]["epochs"].clone();
    for (t, u) in trained.iter().zip(unknown.as_array().unwrap()) {
        assert_eq!(t["info"], u["info"], "epoch {}", t["epoch"]);
        let (tl, ul) = (
            t["lagrangian"].as_array().unwrap(),
            u["lagrangian"].as_array().unwrap(),
        );
        assert!(!tl.is_empty());
        assert_eq!(tl.len(), ul.len());
        for (a, b) in tl.iter().zip(ul) {
            assert!(a["theorem"].is_number() && a["gap"].is_number(), "{a}");
            assert!(b["theorem"].is_null() && b["gap"].is_null(), "{b}");
            assert_eq!(a["measured"], b["measured"]);
            assert_eq!(
                (&a["estimator"], &a["space"], &a["scale"], &a["beta"]),
                (&b["estimator"], &b["space"], &b["scale"], &b["beta"])
            );
        }
    }
}

/// H(T) shapes the theorem form and the gap: a cached epoch is not reused across another
/// H(T); the flags need views in the files.
#[test]
fn h_t_is_part_of_the_cache_key_and_needs_views() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("snaps");
    std::fs::create_dir(&dir).unwrap();
    for e in 0..2u64 {
        write_safetensors(
            &dir.join(format!("epoch-{e:04}.safetensors")),
            &[
                ("online.projector", &[N, D], 10 * e + 2),
                ("views.projector", &[N, 3, D], 10 * e + 3),
            ],
        );
    }
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[info]\nestimators = [\"binned\"]\nci_groups = 0\n").unwrap();
    let out = tmp.path().join("out");
    let analyse = |extra: &[&str]| -> Value {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            dir.as_os_str(),
            "--config".as_ref(),
            cfg.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        analyze_json(&args)
    };
    let counts = |j: &Value| {
        (
            j["series"]["cached"].as_u64().unwrap(),
            j["series"]["measured"].as_u64().unwrap(),
        )
    };
    let first = analyse(&["--fixed-transforms"]);
    assert_eq!(counts(&first), (0, 2));
    assert!(first["lagrangian"][0]["gap"].is_number(), "{first}");
    assert_eq!(counts(&analyse(&["--fixed-transforms"])), (2, 0));
    let unknown = analyse(&[]);
    assert_eq!(counts(&unknown), (0, 2));
    assert!(unknown["lagrangian"][0]["gap"].is_null(), "{unknown}");
    let given = analyse(&["--h-t", "0.5"]);
    assert_eq!(counts(&given), (0, 2));
    let gap = given["lagrangian"][0]["gap"].as_f64().unwrap();
    let fixed_gap = first["lagrangian"][0]["gap"].as_f64().unwrap();
    assert!((gap - (fixed_gap - 3f64.ln() + 0.5)).abs() < 1e-12);
    // A series without views: the flag is refused, naming it and the file.
    let plain = npy_series(tmp.path(), "plain", &["0000", "0001"]);
    for flag in [&["--fixed-transforms"][..], &["--h-t", "1"]] {
        fails(
            bin().arg("analyze").arg(&plain).args(flag),
            &[flag[0], "needs views", "epoch-0000.npy", "views.projector"],
        );
    }
}

/// Writes an `.npz` (deflated) of f64 arrays.
fn write_npz(path: &Path, members: &[(&str, Vec<u8>)]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(format!("{name}.npy"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    std::fs::write(path, w.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn npz_epochs_with_the_snapshot_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("npz");
    std::fs::create_dir(&dir).unwrap();
    let y: Vec<f64> = (0..N).map(|i| (i % 2) as f64).collect();
    for e in 0..2u64 {
        write_npz(
            &dir.join(format!("epoch-{e}.npz")),
            &[
                ("online.projector", npy_f64(&[N, D], &gaussian(N * D, e))),
                ("labels", npy_f64(&[N], &y)),
            ],
        );
    }
    let j = analyze_json(&[dir.as_os_str()]);
    assert_eq!(j["series"]["epochs"], 2);
    assert!(j["tensors"]["online.projector"].is_object(), "{j}");
    assert!(j["knn_accuracy"].is_number(), "{j}");
    // A member of another width in a later epoch: both files and both widths named.
    write_npz(
        &dir.join("epoch-2.npz"),
        &[
            ("online.projector", npy_f64(&[N, 3], &gaussian(N * 3, 9))),
            ("labels", npy_f64(&[N], &y)),
        ],
    );
    fails(
        bin().arg("analyze").arg(&dir),
        &[
            "epoch-0.npz",
            "epoch-2.npz",
            "online.projector",
            "d = 4 and d = 3",
        ],
    );
}

/// A series that collapses, recovers and collapses for good: `check` on its analysis exits 1
/// and names the epoch the final collapse began (ARCHITECTURE.md §6), in the text line and in
/// `--json`. The pattern is made by construction: Gaussian rows are healthy, one row repeated
/// with 1e-6 noise is complete collapse.
#[test]
fn check_on_a_collapsing_series_exits_1_and_names_the_onset_epoch() {
    const ROWS: usize = 200;
    const WIDTH: usize = 16;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir_all(&dir).unwrap();
    // Epochs 0, 2, 4, ...: healthy, healthy, collapsed, healthy, collapsed from epoch 8 on.
    let collapsed_at = [false, false, true, false, true, true, true];
    let centre = gaussian(WIDTH, 7);
    for (i, &collapsed) in collapsed_at.iter().enumerate() {
        let g = gaussian(ROWS * WIDTH, 300 + i as u64);
        let values: Vec<f64> = if collapsed {
            g.iter()
                .enumerate()
                .map(|(k, v)| centre[k % WIDTH] + 1e-6 * v)
                .collect()
        } else {
            g
        };
        write_npy(
            &dir.join(format!("epoch-{:04}.npy", 2 * i)),
            &[ROWS, WIDTH],
            &values,
        );
    }
    let out = tmp.path().join("out");
    bin()
        .arg("analyze")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = bin().arg("check").arg(&out).assert().code(1);
    let stdout = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(stdout.contains("complete-collapse"), "{stdout}");
    assert!(stdout.contains("since epoch 8"), "{stdout}");
    let json = bin().args(["check", "--json"]).arg(&out).assert().code(1);
    let v = json_of(json.get_output());
    assert_eq!(v["runs"][0]["name"], "mine");
    assert_eq!(v["runs"][0]["verdict"], "complete-collapse");
    assert_eq!(v["runs"][0]["onset_epoch"], 8);
    assert_eq!(v["runs"][0]["epoch"], 12);
    // The same series without its last three epochs ends healthy: no onset, exit 0.
    for e in [8, 10, 12] {
        std::fs::remove_file(dir.join(format!("epoch-{e:04}.npy"))).unwrap();
    }
    bin()
        .arg("analyze")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let json = bin().args(["check", "--json"]).arg(&out).assert().success();
    let v = json_of(json.get_output());
    assert_eq!(v["runs"][0]["verdict"], "healthy");
    assert!(v["runs"][0]["onset_epoch"].is_null());
}
