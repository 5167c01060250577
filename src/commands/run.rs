//! `ib-analyze run`: train the configured methods, probe every snapshot, judge, write the run
//! directory, print one line per run.

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::RunArgs;
use crate::config::{DatasetKind, Method, RunConfig};
use crate::{gate, interrupt, output, runner};

/// The command: the config, then everything checked against the data and the memory the run
/// needs (`runner::prepare`), and only then the run directory. A run that fails after that
/// removes what it wrote (a retry with the same `--out` works); a run stopped by a signal keeps
/// its complete files, without run.json.
pub fn execute(args: &RunArgs) -> Result<u8> {
    let cfg = resolve_config(args)?;
    let data = runner::prepare(&cfg)?;
    let dir = output::create_run_dir(args.out.as_deref(), &cfg.name)?;
    let out = dir.path.clone();
    interrupt::install().context("could not install the SIGINT/SIGTERM handlers")?;
    let record = runner::run(&cfg, &data, &out, !args.quiet).map_err(|e| {
        if e.downcast_ref::<interrupt::Interrupted>().is_some() || interrupt::requested() {
            anyhow::Error::new(interrupt::Interrupted).context(format!(
                "stopped: '{}' is incomplete (it has no run.json); rerun with a new --out",
                crate::files::shown_path(&out)
            ))
        } else {
            dir.discard();
            e
        }
    })?;
    let report = gate::check(&record, &[], gate::FailOn::Complete)?;
    print!("{}", gate::render_lines(&report));
    println!("wrote {}", out.display());
    println!("report: {}", out.join("report.html").display());
    Ok(0)
}

/// Default config, then `--config`, then `--quick`, then the explicit flags.
pub fn resolve_config(args: &RunArgs) -> Result<RunConfig> {
    let mut cfg = match &args.config {
        Some(path) => RunConfig::from_file(path)?,
        None => RunConfig::default_config(),
    };
    if args.quick {
        cfg.apply_quick();
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
        cfg.dataset.kind = DatasetKind::File;
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
