//! When collapse began (ARCHITECTURE.md §6, onset): `check` names the first analysed epoch from
//! which every analysed epoch is judged at least as severe as the run's final verdict, in its
//! text line, `--json` (`runs[].onset_epoch`), JUnit and GitHub annotations; `report` marks it.
//!
//! Two sources: a real run of the no-stop-gradient ablation that collapses (its onset is
//! re-derived here from the per-epoch metrics and the record's thresholds, by the rule as
//! ARCHITECTURE.md states it), and run.json fixtures built from that record whose per-epoch
//! metrics are rewritten to a known pattern, so that the onset is known by construction.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const RUN: &str = "simsiam-no-stopgrad";

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// One run of the no-stop-gradient ablation, 16 epochs on 4096 rows with a snapshot every epoch
/// and 256 probe rows: it collapses completely within the run (a few seconds).
fn collapsing_run() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join("c.toml");
        std::fs::write(&cfg, "snapshot_every = 1\n[dataset]\nn_probe = 256\n").unwrap();
        let out = tmp.path().join("run");
        bin()
            .args(["run", "--quiet", "--methods", RUN, "--epochs", "16"])
            .arg("--config")
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        (tmp, out)
    });
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn metric(t: &Value, name: &str) -> f64 {
    t["metrics"][name].as_f64().unwrap_or(f64::INFINITY)
}

/// The verdict word of one tensor's metrics, by the rule of ARCHITECTURE.md §6 (complete
/// collapse: all three complete signals below their thresholds; dimensional: both rank ratios
/// below theirs), with the thresholds `th` of the record's config.
fn tensor_word(t: &Value, th: &Value) -> u8 {
    let below = |m: &str, k: &str| metric(t, m) < th[k].as_f64().unwrap();
    if !t["finite"].as_bool().unwrap() {
        3
    } else if below("normalised_std_l2", "complete_normalised_std_l2")
        && below("effective_rank", "complete_effective_rank")
        && below("angular_spread", "complete_angular_spread")
    {
        2
    } else if below("effective_rank_centred_ratio", "dimensional_rank_ratio")
        && below("effective_rank_ratio", "dimensional_rank_ratio_raw")
    {
        1
    } else {
        0
    }
}

/// (epoch, worst tensor severity) of every analysed epoch of the first run.
fn epoch_words(record: &Value) -> Vec<(u64, u8)> {
    let th = &record["config"]["verdict"];
    record["runs"][0]["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let tensors = e["tensors"].as_object().unwrap();
            let worst = tensors.values().map(|t| tensor_word(t, th)).max()?;
            Some((e["epoch"].as_u64().unwrap(), worst))
        })
        .collect()
}

fn check_json(file: &Path) -> (i32, Value) {
    let out = bin().args(["check", "--json"]).arg(file).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json)
}

#[test]
fn a_collapsing_run_fails_the_gate_and_names_an_onset_its_epochs_support() {
    let run = collapsing_run().join("run.json");
    let record = read_json(&run);
    assert_eq!(record["runs"][0]["verdict"]["verdict"], "complete-collapse");
    let words = epoch_words(&record);
    assert!(words.len() >= 10, "{words:?}");
    // The onset by the rule: the first epoch from which every later epoch is complete collapse.
    let mut expected = None;
    for &(e, w) in words.iter().rev() {
        if w < 2 {
            break;
        }
        expected = Some(e);
    }
    let expected = expected.expect("the last epoch is complete collapse");
    // Not a trivial onset: the run started healthy.
    assert!(expected > 0 && words[0].1 == 0, "{words:?}");
    assert_eq!(record["runs"][0]["verdict"]["onset_epoch"], expected);

    let out = bin().arg("check").arg(&run).assert().code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("FAIL") && text.contains(&format!("(since epoch {expected})")),
        "{text}"
    );
    let (code, json) = check_json(&run);
    assert_eq!(code, 1);
    assert_eq!(json["runs"][0]["onset_epoch"], expected);

    // JUnit and GitHub annotations name it too.
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("junit.xml");
    bin()
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!(
            "<failure message=\"complete-collapse since epoch {expected}: "
        )),
        "{xml}"
    );
    let out = bin()
        .arg("check")
        .arg(&run)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains(&format!(
            "is complete-collapse at epoch 16 since epoch {expected} ("
        )),
        "{text}"
    );
}

/// The epoch-0 tensor of the collapsing run with its metrics made healthy (as recorded at
/// epoch 0), dimensionally collapsed (both rank ratios 0.05) or completely collapsed (√d·std 0.01,
/// uncentred rank 1.2, angle 0.01 rad).
fn projector(record: &Value, word: char) -> Value {
    let mut t = record["runs"][0]["epochs"][0]["tensors"]["online.projector"].clone();
    let m = t["metrics"].as_object_mut().unwrap();
    match word {
        'H' => {}
        'D' => {
            m.insert("effective_rank_centred_ratio".into(), json!(0.05));
            m.insert("effective_rank_ratio".into(), json!(0.05));
        }
        'C' => {
            m.insert("normalised_std_l2".into(), json!(0.01));
            m.insert("effective_rank".into(), json!(1.2));
            m.insert("angular_spread".into(), json!(0.01));
        }
        _ => unreachable!(),
    }
    t
}

/// A record of one run whose epochs 0, 1, … have only `online.projector`, judged as `pattern`
/// says (H healthy, D dimensional, C complete; `.` an epoch that analysed nothing), with the
/// final verdict `verdict` over that tensor and no recorded onset (as records written before
/// the field existed).
fn fixture(pattern: &str, verdict: &str) -> Value {
    let base = read_json(&collapsing_run().join("run.json"));
    let mut record = base.clone();
    let run = &mut record["runs"][0];
    let template = run["epochs"][0].clone();
    let epochs: Vec<Value> = pattern
        .chars()
        .enumerate()
        .map(|(i, w)| {
            let mut e = template.clone();
            e["epoch"] = json!(i);
            e["tensors"] = if w == '.' {
                json!({})
            } else {
                json!({ "online.projector": projector(&base, w) })
            };
            e
        })
        .collect();
    let last = pattern.rfind(|c| c != '.').unwrap();
    run["epochs"] = Value::Array(epochs);
    run["verdict"] = json!({
        "verdict": verdict,
        "epoch": last,
        "summary": "edited",
        "tensors": { "online.projector": { "verdict": verdict, "evidence": [] } },
    });
    record
}

fn write(dir: &Path, name: &str, record: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
    path
}

#[test]
fn fixtures_with_a_known_onset() {
    let tmp = tempfile::tempdir().unwrap();
    // (pattern, final verdict, onset, exit code under the default --fail-on complete)
    let cases: &[(&str, &str, Option<u64>, i32)] = &[
        // Collapsed, recovered, collapsed again: the onset is the last return.
        ("HHCCHCCC", "complete-collapse", Some(5), 1),
        ("HCHCHCCC", "complete-collapse", Some(5), 1),
        // Collapsed only at the last epoch.
        ("HHHHHHHC", "complete-collapse", Some(7), 1),
        // Collapsed from the start.
        ("CCCC", "complete-collapse", Some(0), 1),
        // Worse counts as "holds": complete then dimensional is dimensional since the complete.
        ("HHCDD", "dimensional-collapse", Some(2), 0),
        // Milder does not: dimensional then complete is complete since the complete.
        ("HDDCC", "complete-collapse", Some(3), 1),
        // Epochs that analysed nothing neither start nor break it.
        ("HH.CC.C", "complete-collapse", Some(3), 1),
        ("HHC.HC", "complete-collapse", Some(5), 1),
        // Healthy at the end: no onset, whatever came before.
        ("HCCCH", "healthy", None, 0),
        ("HHHH", "healthy", None, 0),
    ];
    for (i, &(pattern, verdict, onset, code)) in cases.iter().enumerate() {
        let file = write(
            tmp.path(),
            &format!("f{i}.json"),
            &fixture(pattern, verdict),
        );
        let (got_code, json) = check_json(&file);
        assert_eq!(got_code, code, "{pattern}: {json}");
        let run = &json["runs"][0];
        assert!(
            run.as_object().unwrap().contains_key("onset_epoch"),
            "{pattern}: onset_epoch is always present: {run}"
        );
        assert_eq!(run["onset_epoch"], json!(onset), "{pattern}");
        let text = bin().arg("check").arg(&file).output().unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        match onset {
            Some(e) => assert!(text.contains(&format!("(since epoch {e}) ")), "{text}"),
            None => assert!(!text.contains("since epoch"), "{text}"),
        }
    }
}

#[test]
fn a_recorded_onset_must_agree_with_the_epochs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut record = fixture("HHCCHCCC", "complete-collapse");
    record["runs"][0]["verdict"]["onset_epoch"] = json!(5);
    let agreeing = write(tmp.path(), "agree.json", &record);
    assert_eq!(check_json(&agreeing).0, 1);
    record["runs"][0]["verdict"]["onset_epoch"] = json!(2);
    let edited = write(tmp.path(), "edited.json", &record);
    bin()
        .arg("check")
        .arg(&edited)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "records its complete-collapse as begun at epoch 2, but its epochs judged with the \
             record's thresholds give epoch 5",
        ));
    // A collapsed verdict over an epoch the thresholds judge healthy names no onset: refused.
    let mut record = fixture("HHCCH", "complete-collapse");
    record["runs"][0]["verdict"]["epoch"] = json!(4);
    let milder = write(tmp.path(), "milder.json", &record);
    bin()
        .arg("check")
        .arg(&milder)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "judge its last analysed epoch (4) as healthy",
        ));
    // Without thresholds in the config the onset cannot be found: refused, not guessed.
    let mut record = fixture("HHCC", "complete-collapse");
    record["config"].as_object_mut().unwrap().remove("verdict");
    let bare = write(tmp.path(), "bare.json", &record);
    bin()
        .arg("check")
        .arg(&bare)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "holds no valid `verdict` thresholds",
        ));
}

#[test]
fn the_report_marks_the_onset_on_the_charts_over_epochs_and_in_the_verdict_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture");
    std::fs::create_dir(&dir).unwrap();
    let mut record = fixture("HHCCHCCC", "complete-collapse");
    record["runs"][0]["verdict"]["onset_epoch"] = json!(5);
    write(&dir, "run.json", &record);
    bin().arg("report").arg(&dir).assert().success();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("complete-collapse since epoch 5: every analysed epoch from 5 on"),
        "no onset sentence in the verdict table"
    );
    // The marker's label, once per chart over epochs (std_l2, effective_rank, loss, figure2's
    // panels), and not on the spectrum or channel charts (over an index).
    let marked = html.matches(">\nonset 5\n</text>").count();
    assert!(marked >= 3, "{marked} onset markers");
    // Without an onset (the same record, healthy at the end) no marker is drawn.
    let healthy = fixture("HHCCH", "healthy");
    write(&dir, "run.json", &healthy);
    bin().arg("report").arg(&dir).assert().success();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("onset 5") && !html.contains("since epoch"));
}

#[test]
fn a_diverged_run_has_its_divergence_epoch_as_onset() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("lr.toml");
    std::fs::write(&cfg, "[optim]\nlr = 1e6\n").unwrap();
    let out = tmp.path().join("div");
    bin()
        .args(["run", "--quiet", "--methods", "simsiam", "--epochs", "3"])
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let record = read_json(&out.join("run.json"));
    let diverged_at = record["runs"][0]["diverged_at"].as_u64().unwrap();
    assert_eq!(record["runs"][0]["verdict"]["onset_epoch"], diverged_at);
    let (code, json) = check_json(&out.join("run.json"));
    assert_eq!(code, 1);
    assert_eq!(json["runs"][0]["verdict"], "diverged");
    assert_eq!(json["runs"][0]["onset_epoch"], diverged_at);
}
