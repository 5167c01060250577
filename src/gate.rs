//! The CI gate behind `ib-analyze check`: judge the last epoch of every run of a record (or the
//! `--run` ones), fail when any verdict is at or above `--fail-on` (ARCHITECTURE.md §3), and say
//! so as lines, JSON, JUnit XML and GitHub workflow commands.

use anyhow::{bail, Result};
use ib_reports::record::{RunRecord, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub failed: bool,
    pub summary: String,
    pub tensors: BTreeMap<String, Verdict>,
}

/// Judge the selected runs (all when `only` is empty). Unknown names are a usage error.
pub fn check(record: &RunRecord, only: &[String], fail_on: FailOn) -> Result<CheckReport> {
    for name in only {
        if record.run(name).is_none() {
            let known: Vec<&str> = record.runs.iter().map(|r| r.name.as_str()).collect();
            bail!(
                "--run {name}: no such run in this record (it has: {})",
                known.join(", ")
            );
        }
    }
    let runs: Vec<CheckedRun> = record
        .runs
        .iter()
        .filter(|r| only.is_empty() || only.contains(&r.name))
        .map(|r| CheckedRun {
            name: r.name.clone(),
            verdict: r.verdict.verdict,
            epoch: r.verdict.epoch,
            failed: fail_on.fails(r.verdict.verdict),
            summary: r.verdict.summary.clone(),
            tensors: r
                .verdict
                .tensors
                .iter()
                .map(|(k, v)| (k.clone(), v.verdict))
                .collect(),
        })
        .collect();
    Ok(CheckReport {
        failed: runs.iter().any(|r| r.failed),
        fail_on,
        runs,
    })
}

/// One line per run: name, verdict, epoch, the deciding signals.
pub fn render_lines(report: &CheckReport) -> String {
    let width = report.runs.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in &report.runs {
        let mark = if r.failed { "FAIL" } else { "ok  " };
        s.push_str(&format!(
            "{mark} {:<width$}  {:<20}  epoch {:>4}  {}\n",
            r.name,
            r.verdict.as_str(),
            r.epoch,
            r.summary
        ));
    }
    s
}

/// JUnit XML of the check: one test case per run, a `<failure>` for each run at or above
/// `--fail-on`, with the evidence as its text. CI systems (GitHub, GitLab, Jenkins) display it.
pub fn junit_xml(report: &CheckReport, record: &RunRecord) -> String {
    let failures = report.runs.iter().filter(|r| r.failed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"ib-analyze check\" tests=\"{}\" failures=\"{failures}\">\n",
        report.runs.len()
    ));
    s.push_str(&format!(
        "  <testsuite name=\"collapse\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        report.runs.len()
    ));
    for r in &report.runs {
        s.push_str(&format!(
            "    <testcase classname=\"ib-analyze.{}\" name=\"{} (epoch {})\">\n",
            xml_escape(&record.dataset.name),
            xml_escape(&r.name),
            r.epoch
        ));
        let mut evidence = String::new();
        if let Some(run) = record.run(&r.name) {
            for (tensor, tv) in &run.verdict.tensors {
                evidence.push_str(&format!("{tensor}: {}\n", tv.verdict));
                for e in &tv.evidence {
                    evidence.push_str(&format!(
                        "  {} {} {} {} ({}{})\n",
                        e.signal,
                        crate::verdict::fmt_num(e.value),
                        e.op,
                        crate::verdict::fmt_num(e.threshold),
                        if e.fired {
                            "fired, supports "
                        } else {
                            "not fired, would support "
                        },
                        e.supports
                    ));
                }
            }
        }
        if r.failed {
            s.push_str(&format!(
                "      <failure message=\"{}: {}\" type=\"{}\">{}</failure>\n",
                xml_escape(r.verdict.as_str()),
                xml_escape(&r.summary),
                r.verdict,
                xml_escape(&evidence)
            ));
        } else {
            s.push_str(&format!(
                "      <system-out>{}: {}\n{}</system-out>\n",
                r.verdict,
                xml_escape(&r.summary),
                xml_escape(&evidence)
            ));
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// GitHub Actions workflow commands: an error annotation per failed run, a warning per run that
/// is not healthy but below `--fail-on`.
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
        s.push_str(&format!(
            "::{level} title=ib-analyze check%3A {}::{} is {} at epoch {} ({})\n",
            gh_escape(&r.name),
            gh_escape(&r.name),
            r.verdict,
            r.epoch,
            gh_escape(&r.summary)
        ));
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Escape the data part of a GitHub workflow command (`%`, CR, LF; `:` and `,` in properties).
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(xml_escape("a<b & 'c'"), "a&lt;b &amp; &apos;c&apos;");
        assert_eq!(gh_escape("x: 50%\ny"), "x%3A 50%25%0Ay");
    }
}
