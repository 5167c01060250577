//! `run` refuses what it cannot do before it writes anything, names the key and the fix, and
//! leaves no half-written run behind: absurd sizes (checked against the memory available),
//! unbounded counts, non-finite numbers, names that leave the output root, settings only the
//! data's shape can refuse, a probe too small to judge, and a signal during the analysis.

use assert_cmd::Command;
use std::io::{BufRead, BufReader};
use std::path::Path;

mod common;
use common::{gaussian, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

/// A run that trains in well under a second: one method, one epoch, narrow layers.
const TINY: &str = r#"
name = "tiny"
methods = ["simsiam"]
epochs = 1
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
ci_groups = 0
"#;

/// `TINY` with `extra` TOML merged in (a table in `extra` replaces keys of the same table).
fn tiny_with(extra: &str) -> String {
    let mut base: toml::Table = toml::from_str(TINY).unwrap();
    let over: toml::Table = toml::from_str(extra).unwrap();
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => b.extend(o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    toml::to_string(&base).unwrap()
}

/// Runs `run --config` with `config` into `dir/out`; returns (exit code, stderr).
fn run_config(dir: &Path, config: &str) -> (Option<i32>, String) {
    let path = dir.join("c.toml");
    std::fs::write(&path, config).unwrap();
    let out = bin()
        .args(["run", "--quiet", "--config"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit 2 naming `key` (and each of `also`), no panic, and no output directory.
fn refused(dir: &Path, config: &str, key: &str, also: &[&str]) {
    let (code, stderr) = run_config(dir, config);
    assert_eq!(code, Some(2), "{key}: {stderr}");
    assert!(
        stderr.contains(key),
        "{key}: the message does not name it: {stderr}"
    );
    for a in also {
        assert!(
            stderr.contains(a),
            "{key}: the message lacks '{a}': {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !dir.join("out").exists(),
        "{key}: the output directory was created: {stderr}"
    );
}

#[test]
fn absurd_sizes_are_refused_against_the_memory_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    for (key, table, value) in [
        ("model.feature_dim", "model", "1000000000"),
        ("model.encoder_hidden", "model", "1000000000"),
        ("model.projection_dim", "model", "1000000000"),
        ("dataset.n_train", "dataset", "5000000000"),
    ] {
        let field = key.split('.').nth(1).unwrap();
        refused(
            tmp.path(),
            &tiny_with(&format!("[{table}]\n{field} = {value}\n")),
            &format!("{key} = {value}"),
            &["bytes", "available"],
        );
    }
}

#[test]
fn counts_are_bounded_and_name_their_key() {
    let tmp = tempfile::tempdir().unwrap();
    for (extra, key) in [
        ("[info]\nci_groups = 100000000\n", "info.ci_groups"),
        ("[info]\nbootstrap = 50\n", "info.ci_groups"),
        ("epochs = 10000000\n", "epochs"),
        ("epochs = 50000\nsnapshot_every = 1\n", "snapshot_every"),
        ("[dataset]\nk_views = 100000000\n", "dataset.k_views"),
        ("[info]\nk = 100000000\n", "info.k"),
        ("[info]\nk = 40\n", "info.k"),
        (
            &format!("[info]\nscales = [{}]\n", vec!["0.1"; 1000].join(", ")),
            "info.scales",
        ),
        ("[optim]\nbatch_size = 100000000\n", "optim.batch_size"),
        (
            "[dataset]\nkind = \"digits\"\nn_probe = 1797\n",
            "dataset.n_probe",
        ),
        (
            "[dataset]\nkind = \"digits\"\nimage_shift_px = 8\n",
            "dataset.image_shift_px",
        ),
        ("[info]\nspaces = [\"l2\", \"l2\"]\n", "info.spaces"),
    ] {
        refused(tmp.path(), &tiny_with(extra), key, &[]);
    }
}

/// Every float of the default config, as `table.key` (one level of tables).
fn float_keys() -> Vec<(String, String)> {
    let text = ib_analyze::config::DEFAULT_CONFIG;
    let table: toml::Table = toml::from_str(text).unwrap();
    let mut out = Vec::new();
    for (t, v) in &table {
        if let toml::Value::Table(inner) = v {
            for (k, v) in inner {
                if v.is_float() {
                    out.push((t.clone(), k.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn non_finite_numbers_are_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let emb = tmp.path().join("emb.npy");
    write_npy(&emb, &[60, 3], &gaussian(180, 7));
    let keys = float_keys();
    assert!(keys.len() >= 15, "{keys:?}");
    let mut cases: Vec<(String, String)> = Vec::new();
    for (i, (table, key)) in keys.iter().enumerate() {
        let value = ["nan", "inf", "-inf"][i % 3];
        cases.push((
            format!("[{table}]\n{key} = {value}\n"),
            format!("{table}.{key}"),
        ));
    }
    // Floats in lists and in the optional [info] table.
    cases.push((
        "[info]\nscales = [0.1, nan]\n".into(),
        "info.scales[1]".into(),
    ));
    cases.push(("[info]\nbetas = [0.0, inf]\n".into(), "info.betas".into()));
    cases.push(("[info]\nridge = nan\n".into(), "info.ridge".into()));
    cases.push((
        "[info]\nraw_scales = [-inf]\n".into(),
        "info.raw_scales".into(),
    ));
    let config = tmp.path().join("c.toml");
    for (extra, key) in &cases {
        std::fs::write(&config, tiny_with(extra)).unwrap();
        // `analyze` reads the same config and is quick: every case is refused there ...
        let out = bin()
            .arg("analyze")
            .arg(&emb)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(key.as_str()), "{key}: {stderr}");
    }
    // ... and by `run`, before it writes anything.
    refused(
        tmp.path(),
        &tiny_with("[verdict]\ncomplete_normalised_std_l2 = nan\n"),
        "verdict.complete_normalised_std_l2",
        &["finite"],
    );
    // A threshold of 0 turns its signal off: refused too.
    refused(
        tmp.path(),
        &tiny_with("[verdict]\ncomplete_effective_rank = 0.0\n"),
        "verdict.complete_effective_rank",
        &["> 0"],
    );
}

#[test]
fn names_are_plain_file_names_and_never_leave_the_output_root() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("a").join("b").join("c");
    std::fs::create_dir_all(&cwd).unwrap();
    for name in [
        "../../../x",
        "/tmp/abs",
        "a\\\\b",
        "..",
        ".",
        "",
        "a\\nb",
        "e\\u001b[31m",
    ] {
        let config = cwd.join("c.toml");
        std::fs::write(&config, tiny_with(&format!("name = \"{name}\"\n"))).unwrap();
        let out = bin()
            .current_dir(&cwd)
            .args(["run", "--quiet", "--config", "c.toml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("plain file name"), "{name}: {stderr}");
        // The message quotes the name with control characters escaped.
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    }
    // Nothing but the directories and the config: no `runs/`, no `x-<stamp>` above it.
    let names = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(tmp.path()), ["a"]);
    assert_eq!(names(&tmp.path().join("a")), ["b"]);
    assert_eq!(names(&tmp.path().join("a/b")), ["c"]);
    assert_eq!(names(&cwd), ["c.toml"]);
}

#[test]
fn a_config_error_found_against_the_data_leaves_nothing_and_the_retry_works() {
    let tmp = tempfile::tempdir().unwrap();
    // A CNN on vector data: found when the network is built, i.e. at the start of training.
    refused(
        tmp.path(),
        &tiny_with("[model]\nencoder = \"cnn\"\n"),
        "model.encoder",
        &["mlp"],
    );
    // The same --out works once the config is fixed.
    let (code, stderr) = run_config(tmp.path(), TINY);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(tmp.path().join("out/run.json").is_file());
    // An existing, empty --out is kept (and stays empty) when the run is refused.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let config = tmp.path().join("cnn.toml");
    std::fs::write(&config, tiny_with("[model]\nencoder = \"cnn\"\n")).unwrap();
    bin()
        .args(["run", "--quiet", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&empty)
        .assert()
        .code(2);
    assert!(empty.is_dir());
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

#[test]
fn a_probe_too_small_to_judge_is_refused_and_a_narrow_one_is_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    // 10 rows × 20 columns: the probe gets 2 rows, with which no verdict signal can fire.
    let rows = tmp.path().join("small.npy");
    write_npy(&rows, &[10, 20], &gaussian(200, 3));
    let out = tmp.path().join("out");
    let assert = bin()
        .args(["run", "--quiet", "--methods", "simsiam", "--epochs", "1"])
        .arg("--dataset")
        .arg(&rows)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for want in [
        "small.npy",
        "2 rows",
        "at least 12",
        "verdict.dimensional_rank_ratio",
    ] {
        assert!(stderr.contains(want), "lacks '{want}': {stderr}");
    }
    assert!(!out.exists());
    // The synthetic probe follows the same rule.
    refused(
        tmp.path(),
        &tiny_with("[dataset]\nn_probe = 8\n"),
        "dataset.n_probe = 8",
        &["at least 12"],
    );
    // A probe with N ≤ d for a judged tensor trains, with a note naming
    // the tensor and the key.
    let rows = tmp.path().join("narrow.npy");
    write_npy(&rows, &[64, 4], &gaussian(256, 5));
    let assert = bin()
        .args(["run", "--quiet", "--config"])
        .arg({
            let c = tmp.path().join("narrow.toml");
            std::fs::write(&c, TINY).unwrap();
            c
        })
        .arg("--dataset")
        .arg(&rows)
        .arg("--out")
        .arg(tmp.path().join("narrow"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("16 rows but online.backbone has d = 16 columns (model.feature_dim)"),
        "{stderr}"
    );
    assert!(!stderr.contains("online.projector"), "{stderr}");
}

/// SIGINT while the last snapshot is analysed: exit 130 and no run.json, as during training.
#[cfg(unix)]
#[test]
fn sigint_during_the_analysis_stops_the_run_without_run_json() {
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap();
    // Light training, a heavy last analysis (intervals are computed only there: 400 jackknife
    // groups, each re-evaluating every estimator).
    let config = tmp.path().join("heavy.toml");
    std::fs::write(
        &config,
        tiny_with("[dataset]\nn_probe = 400\nk_views = 8\n[info]\nci_groups = 400\n"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ib-analyze"))
        .env("RAYON_NUM_THREADS", "1")
        .args(["run", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    let mut signalled = false;
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if !signalled && line.contains("analysing the last snapshot") {
            let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
            assert_eq!(rc, 0);
            signalled = true;
        }
        line.clear();
    }
    let status = child.wait().unwrap();
    assert!(
        signalled,
        "no progress line announced the analysis phase: {seen}"
    );
    assert_eq!(status.code(), Some(130), "{status:?}: {seen}");
    assert!(seen.contains("stopped"), "{seen}");
    assert!(
        !out.join("run.json").exists(),
        "a stopped run left run.json"
    );
    assert!(out.join("manifest.json").is_file());
}
