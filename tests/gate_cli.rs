//! The CI gate (`check`) and the run.json reader (`check`, `report`) against hostile records:
//! a gate that judged nothing must not pass, a record of another schema is refused, names from
//! files cannot forge a CI log line or break the JUnit XML, and run.json is read with a bound.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A CSV of 60 rows × 4 columns: pseudo-random (healthy) or one repeated row (complete collapse).
fn write_csv(path: &Path, collapsed: bool) {
    let mut s = String::from("a,b,c,d\n");
    let mut x: u64 = 12345;
    for _ in 0..60 {
        let row: Vec<String> = (0..4)
            .map(|j| {
                if collapsed {
                    format!("{}", j + 1)
                } else {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    format!("{:.6}", (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
                }
            })
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// `analyze DIR/FILE --out DIR/out-N`: the run.json of one run named after FILE's stem.
fn analyzed(dir: &Path, file: &str, collapsed: bool) -> PathBuf {
    let input = dir.join(file);
    write_csv(&input, collapsed);
    let out = dir.join(format!("out-{}", std::fs::read_dir(dir).unwrap().count()));
    bin()
        .arg("analyze")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out.join("run.json")
}

/// `check FILE`, which must exit 2.
fn check_refuses(file: &Path) -> assert_cmd::assert::Assert {
    bin().arg("check").arg(file).assert().code(2)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Write `record` (edited) as `name` beside `like`.
fn write_beside(like: &Path, name: &str, record: &Value) -> PathBuf {
    let path = like.parent().unwrap().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
    path
}

#[test]
fn a_record_without_runs_does_not_pass_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "emb.csv", false);
    bin().arg("check").arg(&run).assert().code(0);
    let mut record = read_json(&run);
    record["runs"] = Value::Array(vec![]);
    let empty = write_beside(&run, "empty.json", &record);
    for args in [vec![], vec!["--json"], vec!["--fail-on", "any"]] {
        bin()
            .arg("check")
            .arg(&empty)
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains("no runs").and(contains("nothing to judge")));
    }
}

#[test]
fn a_record_of_another_schema_version_is_refused_by_check_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "emb.csv", false);
    for (i, (version, what)) in [
        (Value::from(2), "schema_version 2"),
        (Value::from(0), "schema_version 0"),
        (Value::from("1"), "schema_version \"1\""),
    ]
    .into_iter()
    .enumerate()
    {
        let mut record = read_json(&run);
        record["schema_version"] = version;
        let dir = tmp.path().join(format!("v-{i}"));
        std::fs::create_dir(&dir).unwrap();
        let file = write_beside(&dir.join("x"), "run.json", &record);
        check_refuses(&file).stderr(contains(what).and(contains("reads only schema_version 1")));
        bin()
            .arg("report")
            .arg(&dir)
            .assert()
            .code(2)
            .stderr(contains(what));
        assert!(!dir.join("report.html").exists(), "report rendered {what}");
    }
    let mut record = read_json(&run);
    record["schema_version"] = Value::Null;
    let file = write_beside(&run, "null-version.json", &record);
    check_refuses(&file).stderr(contains("has no schema_version"));
    record.as_object_mut().unwrap().remove("schema_version");
    let file = write_beside(&run, "unversioned.json", &record);
    check_refuses(&file).stderr(contains("has no schema_version"));
}

#[test]
fn a_verdict_that_does_not_stand_on_its_evidence_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "collapsed.csv", true);
    bin().arg("check").arg(&run).assert().code(1);
    let original = read_json(&run);
    assert_eq!(
        original["runs"][0]["verdict"]["verdict"],
        "complete-collapse"
    );

    // The run's verdict edited to healthy while its tensor says complete collapse.
    let mut milder = original.clone();
    milder["runs"][0]["verdict"]["verdict"] = "healthy".into();
    let file = write_beside(&run, "milder.json", &milder);
    check_refuses(&file).stderr(contains("recorded as healthy").and(contains("complete-collapse")));

    // A verdict that judged no tensor ("no snapshot was analysed") is nothing to gate on.
    let mut vacuous = original.clone();
    vacuous["runs"][0]["verdict"]["verdict"] = "healthy".into();
    vacuous["runs"][0]["verdict"]["tensors"] = serde_json::json!({});
    let file = write_beside(&run, "vacuous.json", &vacuous);
    check_refuses(&file).stderr(contains("judged no tensor"));

    // A later analysed epoch than the judged one: the verdict is stale.
    let mut stale = original.clone();
    let mut later = stale["runs"][0]["epochs"][0].clone();
    later["epoch"] = 7.into();
    stale["runs"][0]["epochs"]
        .as_array_mut()
        .unwrap()
        .push(later);
    stale["runs"][0]["verdict"]["verdict"] = "healthy".into();
    for t in stale["runs"][0]["verdict"]["tensors"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        t["verdict"] = "healthy".into();
    }
    let file = write_beside(&run, "stale.json", &stale);
    check_refuses(&file).stderr(contains("last analysed epoch is 7"));

    // A verdict over other tensors than the epoch's.
    let mut other = original.clone();
    let tensors = other["runs"][0]["verdict"]["tensors"]
        .as_object_mut()
        .unwrap();
    let (_, tv) = tensors
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    tensors.clear();
    tensors.insert("elsewhere".into(), tv);
    let file = write_beside(&run, "other.json", &other);
    check_refuses(&file).stderr(contains("elsewhere"));

    // A diverged run with nothing analysed is a finding, not a vacuous pass.
    let mut diverged = original.clone();
    diverged["runs"][0]["verdict"]["verdict"] = "diverged".into();
    diverged["runs"][0]["verdict"]["tensors"] = serde_json::json!({});
    diverged["runs"][0]["epochs"] = serde_json::json!([]);
    let file = write_beside(&run, "diverged.json", &diverged);
    bin()
        .arg("check")
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("diverged"));
}

/// Every line of `text` that starts a GitHub workflow command must be one of the tool's own
/// annotations.
fn assert_no_forged_command(text: &str) {
    for line in text.lines() {
        if line.trim_start().starts_with("::") {
            assert!(
                line.starts_with("::error title=ib-analyze check%3A ")
                    || line.starts_with("::warning title=ib-analyze check%3A "),
                "a line starts a workflow command the tool did not intend: {line:?}\n{text}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn names_from_files_cannot_forge_workflow_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = "emb\n::error title=INJECTED::x.csv";
    let failing = analyzed(tmp.path(), evil, true);
    let passing = analyzed(tmp.path(), "::warning::y.csv", false);
    for run in [&failing, &passing] {
        for json in [false, true] {
            let mut cmd = bin();
            cmd.arg("check")
                .arg(run)
                .env("GITHUB_ACTIONS", "true")
                .args(json.then_some("--json"));
            let out = cmd.output().unwrap();
            let stdout = String::from_utf8(out.stdout).unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_no_forged_command(&stdout);
            assert_no_forged_command(&stderr);
        }
    }
    let out = bin()
        .arg("check")
        .arg(&failing)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // The plain line shows the name escaped, on one line.
    assert!(
        stdout.contains("FAIL emb\\n::error title=INJECTED::x  complete-collapse"),
        "{stdout}"
    );
    // The annotation: the title property escapes ':' and ','; the message only '%', CR, LF,
    // so the runner shows the summary's ':' as ':' (not "%3A").
    let note = stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an error annotation");
    let (props, message) = note["::error ".len()..].split_once("::").unwrap();
    assert_eq!(
        props,
        "title=ib-analyze check%3A emb\\n%3A%3Aerror title=INJECTED%3A%3Ax"
    );
    assert!(
        message.starts_with(
            "emb\\n::error title=INJECTED::x is complete-collapse at epoch 0 since epoch 0 ("
        ),
        "{message}"
    );
    assert!(message.contains("x: normalised_std_l2"), "{message}");
    assert!(
        !message.contains("%3A") && !message.contains("%2C"),
        "{message}"
    );

    // Error messages quote names escaped too.
    let evil_run = "a\n::error title=FROM-FLAG::b";
    let out = bin()
        .arg("check")
        .arg(&failing)
        .args(["--run", evil_run])
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_no_forged_command(&stderr);
    assert!(stderr.contains("no such run"), "{stderr}");

    // A record whose strings fail to parse: serde quotes them in its message.
    let mut record = read_json(&failing);
    record["runs"][0]["verdict"]["verdict"] = "x\n::error title=SERDE::y".into();
    let file = write_beside(&failing, "bad-verdict.json", &record);
    let out = bin()
        .arg("check")
        .arg(&file)
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_no_forged_command(&stderr);
    assert!(
        stderr.contains("not a valid ib-analyze run.json"),
        "{stderr}"
    );
}

/// Parse `xml` strictly (well-formed XML 1.0), or fail the test with the parser's message.
fn parse_xml(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}"))
}

#[cfg(unix)]
#[test]
fn junit_is_well_formed_with_control_characters_and_distinct_repeated_names() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "a\u{1}b\tc\r\nd\"<&>.csv", true);
    // The same run twice (a merged record), and a summary with control characters.
    let mut record = read_json(&run);
    let first = record["runs"][0].clone();
    record["runs"].as_array_mut().unwrap().push(first);
    record["runs"][1]["verdict"]["summary"] = "s\u{1b}[31m\u{0}\u{7f}\u{fffe}".into();
    record["dataset"]["name"] = "set\u{2}\n".into();
    let file = write_beside(&run, "twice.json", &record);
    let junit = tmp.path().join("check.xml");
    bin()
        .arg("check")
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = parse_xml(&xml);
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let time: f64 = suite.attribute("time").unwrap().parse().unwrap();
    assert!((0.0..60.0).contains(&time), "{time}");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    // Tab, CR and LF survive as character references; U+0001 becomes a visible escape.
    assert_eq!(names[0], "a\\u{1}b\tc\r\nd\"<&> (epoch 0)");
    assert_eq!(names[1], "a\\u{1}b\tc\r\nd\"<&> #2 (epoch 0)");
    for c in &cases {
        assert_eq!(c.attribute("time"), Some("0"));
        assert_eq!(
            c.attribute("classname"),
            Some("ib-analyze.set\\u{2}\n"),
            "{xml}"
        );
        let failure = c.children().find(|n| n.has_tag_name("failure")).unwrap();
        assert!(failure
            .attribute("message")
            .unwrap()
            .starts_with("complete-collapse since epoch 0: "));
        assert!(failure.text().unwrap().contains("normalised_std_l2"));
    }
    let second = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        second.attribute("message"),
        Some("complete-collapse since epoch 0: s\\e[31m\\0\\u{7f}\\u{fffe}")
    );
}

#[cfg(unix)]
#[test]
fn run_json_that_is_a_device_or_too_large_is_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["check", "report"] {
        bin()
            .arg(cmd)
            .arg("/dev/zero")
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(contains("/dev/zero").and(contains("character device")));
    }
    // A run directory whose run.json is a symlink to a device.
    let dir = tmp.path().join("linked");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("run.json")).unwrap();
    bin()
        .arg("report")
        .arg(&dir)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("run.json").and(contains("character device")));
    // A sparse file of 1 GiB + 1 byte (no disk space used): refused by its size, unread.
    let huge = tmp.path().join("huge").join("run.json");
    std::fs::create_dir(huge.parent().unwrap()).unwrap();
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    bin()
        .arg("report")
        .arg(huge.parent().unwrap())
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("run.json").and(contains("1073741825 bytes")));
}

#[cfg(target_os = "linux")]
#[test]
fn a_stdout_that_cannot_be_written_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "emb.csv", false);
    for args in [vec!["check"], vec!["check", "--json"], vec!["report"]] {
        let target = if args[0] == "report" {
            run.parent().unwrap().to_path_buf()
        } else {
            run.clone()
        };
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ib-analyze"))
            .args(&args)
            .arg(&target)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("standard output"), "{stderr}");
    }
}

#[test]
fn junit_onto_the_record_being_checked_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path(), "emb.csv", false);
    let before = std::fs::read(&run).unwrap();
    let dir = run.parent().unwrap();
    for junit in [run.clone(), dir.join(".").join("run.json")] {
        bin()
            .arg("check")
            .arg(dir)
            .arg("--junit")
            .arg(&junit)
            .assert()
            .code(2)
            .stderr(contains("the run.json being checked"));
    }
    assert_eq!(std::fs::read(&run).unwrap(), before);
}
