//! `ib-analyze check`: judge the last epoch of every run in a run directory (or the `--run` ones)
//! and fail when any verdict is at or above `--fail-on` (DESIGN §3).

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

/// The JSON of `check --json` (DESIGN §3).
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
