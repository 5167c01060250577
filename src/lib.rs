//! ib-analyze: train small latent-bootstrapping models with candle, snapshot their latents,
//! measure collapse, judge it, and report. See DESIGN.md for the contracts.

pub mod analysis;
pub mod analyze;
pub mod check;
pub mod cli;
pub mod config;
pub mod data;
pub mod estimate;
pub mod info;
pub mod input;
pub mod interrupt;
pub mod output;
pub mod pipeline;
pub mod snapshot;
pub mod train;
pub mod verdict;

use anyhow::{anyhow, bail, Context, Result};
use std::process::ExitCode;

use cli::{Cli, Command, RunArgs};
use config::RunConfig;
use train::Method;

/// `ib-analyze <version>`.
pub fn tool_version() -> String {
    format!("ib-analyze {}", env!("CARGO_PKG_VERSION"))
}

/// Run a parsed command line. `Ok(code)` is 0 or (for `check`) 1; errors map to exit code 2.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => {
            let cfg = resolve_config(&args)?;
            let out = output::create_run_dir(args.out.as_deref(), &cfg.name)?;
            interrupt::install();
            let record = pipeline::run(&cfg, &out, !args.quiet).map_err(|e| {
                if e.downcast_ref::<interrupt::Interrupted>().is_some() || interrupt::requested() {
                    anyhow::Error::new(interrupt::Interrupted).context(format!(
                        "stopped: '{}' is incomplete (it has no run.json); rerun with a new --out",
                        out.display()
                    ))
                } else {
                    e
                }
            })?;
            let report = check::check(&record, &[], check::FailOn::Complete)?;
            print!("{}", check::render_lines(&report));
            println!("wrote {}", out.display());
            println!("report: {}", out.join("report.html").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Analyze(args) => {
            let mut cfg = match &args.config {
                Some(path) => RunConfig::from_file(path)?,
                None => RunConfig::default_config(),
            };
            if let Some(rows) = args.knn_rows {
                if rows < 2 {
                    anyhow::bail!("--knn-rows {rows}: the kNN subsample needs at least 2 rows");
                }
                cfg.knn.max_rows = rows;
            }
            let inputs = analyze::AnalyzeInputs {
                input: args.input.clone(),
                target: args.target.clone(),
                views: args.views.clone(),
                labels: args.labels.clone(),
            };
            let record = analyze::analyze(&inputs, &cfg)?;
            if let Some(out) = &args.out {
                let dir = output::create_run_dir(Some(out), "analyze")?;
                analyze::write(&record, &dir)?;
            }
            if args.json {
                println!("{}", serde_json::to_string(&analyze::to_json(&record))?);
            } else {
                let report = check::check(&record, &[], check::FailOn::Complete)?;
                print!("{}", check::render_lines(&report));
                if let Some(out) = &args.out {
                    println!("report: {}", out.join("report.html").display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let (_, record) = output::read_record(&args.path)?;
            let report = check::check(&record, &args.runs, args.fail_on)?;
            if let Some(path) = &args.junit {
                output::atomic_write(path, check::junit_xml(&report, &record).as_bytes())
                    .with_context(|| format!("--junit {}", path.display()))?;
            }
            if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                // stdout holds exactly one JSON object under --json, so annotations go to stderr.
                let notes = check::github_annotations(&report);
                if args.json {
                    eprint!("{notes}");
                } else {
                    print!("{notes}");
                }
            }
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", check::render_lines(&report));
            }
            Ok(if report.failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Estimate(args) => {
            let out = estimate::run(&args)?;
            estimate::print(&out, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            let (file, record) = output::read_record(&args.dir)?;
            let dir = file.parent().map(|p| p.to_path_buf()).unwrap_or_default();
            ib_reports::write_report(&record, &dir)
                .map_err(|e| anyhow!(e))
                .with_context(|| format!("could not write the report into '{}'", dir.display()))?;
            println!("report: {}", dir.join("report.html").display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Default config, then `--config`, then `--quick`, then the explicit flags.
pub fn resolve_config(args: &RunArgs) -> Result<RunConfig> {
    let mut cfg = match &args.config {
        Some(path) => RunConfig::from_file(path)?,
        None => RunConfig::default_config(),
    };
    if args.quick {
        cfg.epochs = 25;
        cfg.dataset.n_probe = 256;
        cfg.snapshot_every = 5;
    }
    if let Some(methods) = &args.methods {
        cfg.methods = methods
            .iter()
            .map(|m| {
                Method::parse(m.trim()).ok_or_else(|| {
                    let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                    anyhow!(
                        "--methods: unknown method '{m}' (known: {})",
                        known.join(", ")
                    )
                })
            })
            .collect::<Result<_>>()?;
    }
    if let Some(path) = &args.dataset {
        cfg.dataset.kind = config::DatasetKind::File;
        cfg.dataset.path = Some(path.clone());
        cfg.dataset.labels = args.labels.clone();
    }
    if let Some(e) = args.epochs {
        cfg.epochs = e;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    if cfg.methods.is_empty() {
        bail!("--methods: name at least one method");
    }
    cfg.validate()?;
    Ok(cfg)
}
