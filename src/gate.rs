//! The CI gate behind `ib-analyze check`: judge the last epoch of every run of a record (or the
//! `--run` ones), fail when any verdict is at or above `--fail-on` (ARCHITECTURE.md §3), name
//! the epoch each verdict began (onset, §6), and say so as lines, JSON, JUnit XML and GitHub
//! workflow commands.

use crate::config::VerdictConfig;
use crate::files::shown;
use crate::verdict::{judge_epoch, onset_epoch};
use anyhow::{bail, Result};
use ib_reports::record::{MethodRun, RunRecord, Verdict};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// The level at which `check` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Complete collapse or divergence.
    Complete,
    /// Dimensional collapse or worse.
    Dimensional,
    /// Anything that is not healthy.
    Any,
}

impl FailOn {
    fn fails(self, v: Verdict) -> bool {
        match self {
            FailOn::Complete => v >= Verdict::CompleteCollapse,
            FailOn::Dimensional | FailOn::Any => v >= Verdict::DimensionalCollapse,
        }
    }
}

/// The JSON of `check --json` (ARCHITECTURE.md §3).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub failed: bool,
    pub fail_on: FailOn,
    pub runs: Vec<CheckedRun>,
}

#[derive(Debug, Serialize)]
pub struct CheckedRun {
    pub name: String,
    pub verdict: Verdict,
    pub epoch: usize,
    /// When the verdict began ([`crate::verdict::onset_epoch`], ARCHITECTURE.md §6), computed
    /// from the record's epochs; `null` when healthy.
    pub onset_epoch: Option<usize>,
    pub failed: bool,
    pub summary: String,
    pub tensors: BTreeMap<String, Verdict>,
    /// Caveats of the judged epoch's tensors (`TENSOR: text`, e.g. N ≤ d); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Position of the run in `record.runs` (names may repeat); not part of the JSON.
    #[serde(skip)]
    pub index: usize,
}

/// Names quoted in the message of an unknown `--run`, at most.
const NAMES_SHOWN: usize = 20;

/// Judge the selected runs (all when `only` is empty; a name repeated in the record selects
/// every run of that name). A gate that judged nothing must not pass, so these are errors
/// (exit 2), not a pass: a record without runs, an unknown `--run` name, and a selected run whose
/// recorded verdict does not stand on its own evidence ([`check_run`]).
pub fn check(record: &RunRecord, only: &[String], fail_on: FailOn) -> Result<CheckReport> {
    if record.runs.is_empty() {
        bail!(
            "the record has no runs, so there is nothing to judge and the gate cannot pass: \
             check the run that wrote it (an edited or foreign run.json?)"
        );
    }
    for name in only {
        if record.run(name).is_none() {
            let known: Vec<String> = record
                .runs
                .iter()
                .take(NAMES_SHOWN)
                .map(|r| shown(&r.name).into_owned())
                .collect();
            let more = match record.runs.len().saturating_sub(NAMES_SHOWN) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            bail!(
                "--run {}: no such run in this record (it has: {}{more})",
                shown(name),
                known.join(", ")
            );
        }
    }
    let thresholds = record
        .config
        .get("verdict")
        .and_then(|v| VerdictConfig::deserialize(v).ok());
    let mut runs = Vec::new();
    for (index, r) in record.runs.iter().enumerate() {
        if !(only.is_empty() || only.contains(&r.name)) {
            continue;
        }
        check_run(r)?;
        let onset = check_onset(r, thresholds.as_ref())?;
        let warnings = r
            .epochs
            .iter()
            .rev()
            .find(|e| !e.tensors.is_empty())
            .map(|e| {
                e.tensors
                    .iter()
                    .flat_map(|(t, tr)| tr.warnings.iter().map(move |w| format!("{t}: {w}")))
                    .collect()
            })
            .unwrap_or_default();
        runs.push(CheckedRun {
            name: r.name.clone(),
            verdict: r.verdict.verdict,
            epoch: r.verdict.epoch,
            onset_epoch: onset,
            warnings,
            failed: fail_on.fails(r.verdict.verdict),
            summary: r.verdict.summary.clone(),
            tensors: r
                .verdict
                .tensors
                .iter()
                .map(|(k, v)| (k.clone(), v.verdict))
                .collect(),
            index,
        });
    }
    if runs.is_empty() {
        bail!("the --run selection left no run to judge, so the gate cannot pass");
    }
    Ok(CheckReport {
        failed: runs.iter().any(|r| r.failed),
        fail_on,
        runs,
    })
}

/// The recorded verdict of a run is what the gate acts on, so it must be the verdict of the run's
/// last analysed epoch as `verdict::judge_run` makes it (ARCHITECTURE.md §6): of that epoch,
/// over the same tensors, and no milder than its worst tensor. A run that judged no tensor is
/// refused unless it diverged (nothing was measured, so "healthy" would be vacuous).
fn check_run(run: &MethodRun) -> Result<()> {
    let name = shown(&run.name);
    let v = &run.verdict;
    let fix = "the record is inconsistent (edited by hand?): re-create it with `ib-analyze run` \
               or `ib-analyze analyze`";
    if v.tensors.is_empty() {
        if v.verdict == Verdict::Diverged {
            return Ok(());
        }
        bail!(
            "run '{name}' is recorded as {} but judged no tensor ({}): there is nothing to \
             gate on; check that the run analysed a snapshot",
            v.verdict,
            shown(&v.summary)
        );
    }
    if let Some((tensor, tv)) = v.tensors.iter().find(|(_, tv)| tv.verdict > v.verdict) {
        bail!(
            "run '{name}' is recorded as {} but its tensor '{}' as {}: {fix}",
            v.verdict,
            shown(tensor),
            tv.verdict
        );
    }
    let Some(last) = run.epochs.iter().rev().find(|e| !e.tensors.is_empty()) else {
        bail!(
            "run '{name}' has a verdict of epoch {} but no analysed epoch: {fix}",
            v.epoch
        );
    };
    if last.epoch != v.epoch {
        bail!(
            "run '{name}' has a verdict of epoch {} but its last analysed epoch is {}: {fix}",
            v.epoch,
            last.epoch
        );
    }
    if !last.tensors.keys().eq(v.tensors.keys()) {
        bail!(
            "run '{name}': the verdict's tensors ({}) are not those of epoch {} ({}): {fix}",
            list(v.tensors.keys()),
            last.epoch,
            list(last.tensors.keys())
        );
    }
    Ok(())
}

/// The onset of a run's verdict, computed from its epochs with the thresholds of the record's
/// `config.verdict` ([`onset_epoch`]), so that records written before the field existed get
/// one too. A recorded `onset_epoch` must agree with it. Refused (exit 2) when a run that is not
/// healthy has analysed epochs but no onset can be named: thresholds absent from the record, or
/// a last epoch that they judge milder than the recorded verdict. A diverged run that analysed
/// nothing keeps its recorded onset (or `diverged_at`): there is no epoch to judge.
fn check_onset(run: &MethodRun, thresholds: Option<&VerdictConfig>) -> Result<Option<usize>> {
    let name = shown(&run.name);
    let v = &run.verdict;
    let fix = "the record is inconsistent (edited by hand?): re-create it with `ib-analyze run` \
               or `ib-analyze analyze`";
    let Some(th) = thresholds else {
        if v.onset_epoch.is_some() || run.diverged_at.is_some() || v.verdict == Verdict::Healthy {
            return Ok(v.onset_epoch.or(run.diverged_at));
        }
        bail!(
            "run '{name}' is {} but the record's config holds no valid `verdict` thresholds, so \
             the epoch it began cannot be found: {fix}",
            v.verdict
        );
    };
    if v.tensors.is_empty() {
        // A diverged run that analysed nothing ([`check_run`]): no epoch to judge it against.
        return Ok(v.onset_epoch.or(run.diverged_at));
    }
    let onset = onset_epoch(&run.epochs, v.verdict, run.diverged_at, th);
    if let Some(recorded) = v.onset_epoch {
        if onset != Some(recorded) {
            bail!(
                "run '{name}' records its {} as begun at epoch {recorded}, but its epochs judged \
                 with the record's thresholds give {}: {fix}",
                v.verdict,
                onset.map_or("no onset".to_string(), |e| format!("epoch {e}"))
            );
        }
    }
    if onset.is_none() && v.verdict != Verdict::Healthy {
        let last = run
            .epochs
            .iter()
            .rev()
            .find_map(|e| Some((e.epoch, judge_epoch(e, th)?)));
        bail!(
            "run '{name}' is recorded as {} but the record's thresholds judge its last analysed \
             epoch{}: {fix}",
            v.verdict,
            last.map_or(String::new(), |(e, j)| format!(" ({e}) as {j}"))
        );
    }
    Ok(onset)
}

/// Names for a message, escaped and comma-separated.
fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names
        .map(|n| shown(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per run: name, verdict, epoch, `(since epoch E)` when the verdict has an onset, the
/// deciding signals, and any `[warning: …]` of the judged tensors. Names and summaries come from
/// files and configs, so they are printed through [`shown`]: no control character reaches the
/// terminal or a CI log, and no line starts with anything but `FAIL` or `ok`.
pub fn render_lines(report: &CheckReport) -> String {
    let names: Vec<Cow<str>> = report.runs.iter().map(|r| shown(&r.name)).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    for (r, name) in report.runs.iter().zip(&names) {
        let mark = if r.failed { "FAIL" } else { "ok  " };
        let since = r
            .onset_epoch
            .map_or(String::new(), |e| format!("(since epoch {e}) "));
        let warnings: String = r
            .warnings
            .iter()
            .map(|w| format!("  [warning: {}]", shown(w)))
            .collect();
        s.push_str(&format!(
            "{mark} {name:<width$}  {:<20}  epoch {:>4}  {since}{}{warnings}\n",
            r.verdict.as_str(),
            r.epoch,
            shown(&r.summary)
        ));
    }
    s
}

/// The test case names of the report's runs: `NAME (epoch E)`, with ` #2`, ` #3`, … after a name
/// that repeats, so that every judged run is its own test case.
fn case_names(report: &CheckReport) -> Vec<String> {
    let mut used = HashSet::new();
    report
        .runs
        .iter()
        .map(|r| {
            let mut name = format!("{} (epoch {})", r.name, r.epoch);
            let mut i = 2;
            while !used.insert(name.clone()) {
                name = format!("{} #{i} (epoch {})", r.name, r.epoch);
                i += 1;
            }
            name
        })
        .collect()
}

/// JUnit XML of the check: one test case per judged run (repeated names made distinct,
/// [`case_names`]), a `<failure>` for each run at or above `--fail-on`, with the evidence as its
/// text. CI systems (GitHub, GitLab, Jenkins) display it. `seconds` is the wall time of the
/// check, the `time` of the suite; each test case has `time="0"`: it reads a verdict recorded in
/// run.json, and the time the run took to train and analyse is not recorded there
/// (ARCHITECTURE.md §3). Text from the record is escaped for XML 1.0 ([`xml_text`],
/// [`xml_attr`]), so the document is well-formed whatever the names hold.
pub fn junit_xml(report: &CheckReport, record: &RunRecord, seconds: f64) -> String {
    let failures = report.runs.iter().filter(|r| r.failed).count();
    let time = if seconds.is_finite() && seconds >= 0.0 {
        format!("{seconds:.3}")
    } else {
        "0".to_string()
    };
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"ib-analyze check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">\n",
        report.runs.len()
    ));
    s.push_str(&format!(
        "  <testsuite name=\"collapse\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\">\n",
        report.runs.len()
    ));
    for (r, case) in report.runs.iter().zip(case_names(report)) {
        s.push_str(&format!(
            "    <testcase classname=\"ib-analyze.{}\" name=\"{}\" time=\"0\">\n",
            xml_attr(&record.dataset.name),
            xml_attr(&case),
        ));
        let mut evidence = String::new();
        if let Some(run) = record.runs.get(r.index) {
            for (tensor, tv) in &run.verdict.tensors {
                // One line per tensor and per signal: names as `shown` prints them.
                evidence.push_str(&format!("{}: {}\n", shown(tensor), tv.verdict));
                for e in &tv.evidence {
                    evidence.push_str(&format!(
                        "  {} {} {} {} ({}{}{})\n",
                        shown(&e.signal),
                        crate::verdict::fmt_num(e.value),
                        shown(&e.op),
                        crate::verdict::fmt_num(e.threshold),
                        if e.fired {
                            "fired, supports "
                        } else {
                            "not fired, would support "
                        },
                        e.supports,
                        if e.advisory { "; advisory" } else { "" }
                    ));
                }
            }
        }
        if r.failed {
            s.push_str(&format!(
                "      <failure message=\"{}{}: {}\" type=\"{}\">{}</failure>\n",
                r.verdict.as_str(),
                since(r),
                xml_attr(&r.summary),
                r.verdict,
                xml_text(&evidence)
            ));
        } else {
            s.push_str(&format!(
                "      <system-out>{}{}: {}\n{}</system-out>\n",
                r.verdict,
                since(r),
                xml_text(&r.summary),
                xml_text(&evidence)
            ));
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// GitHub Actions workflow commands: an error annotation per failed run, a warning per run that
/// is not healthy but below `--fail-on`. The runner decodes `%25`, `%0D`, `%0A` in the message
/// and also `%3A`, `%2C` in property values ([`gh_message`], [`gh_property`]); names and
/// summaries are first passed through [`shown`], so a name cannot end the command or start a
/// line of its own.
pub fn github_annotations(report: &CheckReport) -> String {
    let mut s = String::new();
    for r in &report.runs {
        let level = if r.failed {
            "error"
        } else if r.verdict != Verdict::Healthy {
            "warning"
        } else {
            continue;
        };
        let name = shown(&r.name);
        s.push_str(&format!(
            "::{level} title={}::{} is {} at epoch {}{} ({})\n",
            gh_property(&format!("ib-analyze check: {name}")),
            gh_message(&name),
            r.verdict,
            r.epoch,
            since(r),
            gh_message(&shown(&r.summary))
        ));
    }
    s
}

/// ` since epoch E` for a run whose verdict has an onset, else nothing.
fn since(r: &CheckedRun) -> String {
    r.onset_epoch
        .map_or(String::new(), |e| format!(" since epoch {e}"))
}

/// XML 1.0 character data: markup characters as entities, CR as `&#13;` (a raw CR would be read
/// back as LF), and the characters XML 1.0 does not allow even as references (C0 controls other
/// than tab, LF and CR; U+FFFE, U+FFFF), like the other control characters [`shown`] escapes, as
/// visible escapes (`\u{1}`). Tab and LF stay as they are.
fn xml_text(s: &str) -> String {
    xml_escape(s, false)
}

/// [`xml_text`] for an attribute value: LF and tab also as `&#10;` and `&#9;` (a parser would
/// normalise them to spaces), quotes as entities.
fn xml_attr(s: &str) -> String {
    xml_escape(s, true)
}

fn xml_escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => {
                let mut buf = [0u8; 4];
                out.push_str(&shown(c.encode_utf8(&mut buf)));
            }
        }
    }
    out
}

/// Escape the message of a GitHub workflow command: `%`, CR and LF, the only characters the
/// runner decodes there (`:` and `,` are shown as they are).
fn gh_message(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a GitHub workflow command (`title=`): `%`, CR, LF, `:` and `,`.
fn gh_property(s: &str) -> String {
    gh_message(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(xml_text("a<b & 'c'"), "a&lt;b &amp; &apos;c&apos;");
        assert_eq!(xml_attr("a\nb\tc\rd"), "a&#10;b&#9;c&#13;d");
        assert_eq!(xml_text("a\nb\tc\rd"), "a\nb\tc&#13;d");
        assert_eq!(xml_attr("x\u{1}y\u{1b}z\u{fffe}"), "x\\u{1}y\\ez\\u{fffe}");
        assert_eq!(xml_text("ünï ✓"), "ünï ✓");
        assert_eq!(gh_message("x: 50%,\ny\r"), "x: 50%25,%0Ay%0D");
        assert_eq!(gh_property("x: 50%,\ny"), "x%3A 50%25%2C%0Ay");
    }
}
