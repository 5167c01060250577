//! `ib-analyze analyze`: measure and judge embeddings exported from elsewhere; with `--out`,
//! write the same run directory as `run`.

use anyhow::{bail, Context, Result};
use std::process::ExitCode;

use crate::cli::AnalyzeArgs;
use crate::config::RunConfig;
use crate::records::{canonical, AnalyzeManifest, AnalyzeSummary};
use crate::{external, gate, output, tool_version};

/// The command.
pub fn execute(args: &AnalyzeArgs) -> Result<ExitCode> {
    let mut cfg = match &args.config {
        Some(path) => RunConfig::from_file(path)?,
        None => RunConfig::default_config(),
    };
    if let Some(rows) = args.knn_rows {
        if rows < 2 {
            bail!("--knn-rows {rows}: the kNN subsample needs at least 2 rows");
        }
        cfg.knn.max_rows = rows;
    }
    let record = external::analyze(&args.inputs(), &cfg)?;
    if let Some(out) = &args.out {
        // The directory is named by --out only: no name taken from the input reaches a path.
        let dir = output::create_run_dir(Some(out), "analyze")?;
        let manifest = AnalyzeManifest {
            tool: tool_version(),
            source: "analyze",
            config: record.config.clone(),
        };
        let written = output::write_manifest(&dir.path, &manifest)
            .and_then(|()| output::write_record(&record, &dir.path));
        if let Err(e) = written {
            dir.discard();
            return Err(e);
        }
    }
    if args.json {
        let summary = AnalyzeSummary::of(&record).context("the record holds no run")?;
        println!("{}", serde_json::to_string(&canonical(&summary)?)?);
    } else {
        let report = gate::check(&record, &[], gate::FailOn::Complete)?;
        print!("{}", gate::render_lines(&report));
        if let Some(out) = &args.out {
            println!("report: {}", out.join("report.html").display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
