//! The command line (DESIGN §3).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::check::FailOn;

#[derive(Debug, Parser)]
#[command(
    name = "ib-analyze",
    version,
    about = "Tell whether and how self-supervised representations collapse, read as an information bottleneck",
    long_about = "ib-analyze trains small latent-bootstrapping models (SimSiam and its ablations) with candle \
on the CPU, snapshots their latents, measures the collapse signals (std of l2-normalised output, \
effective rank, angular spread), judges each run (healthy / dimensional-collapse / complete-collapse / \
diverged) and writes charts and a self-contained HTML report.\n\n\
Exit codes: 0 success; 1 `check` found collapse; 2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train the configured methods, snapshot, analyse, judge and write a run directory.
    Run(RunArgs),
    /// Judge a finished run directory; exit 1 when a run collapsed (a CI gate).
    Check(CheckArgs),
    /// Re-render the charts and report.html of a run directory from its run.json.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
#[command(after_long_help = RUN_HELP)]
pub struct RunArgs {
    /// TOML config; keys it leaves out keep their defaults (see below).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Output directory (must not exist or be empty) [default: runs/<name>-<yyyymmdd-hhmmss>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Comma-separated methods to train, overriding the config.
    #[arg(long, value_delimiter = ',', value_name = "a,b,..")]
    pub methods: Option<Vec<String>>,
    /// Number of training epochs, overriding the config.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Master seed, overriding the config; the same seed gives the same numbers.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// A short run (fewer epochs, smaller data) that still shows the contrast: under a minute.
    #[arg(long)]
    pub quick: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

const RUN_HELP: &str = "\
Methods:
  simsiam               SimSiam: predictor + stop-gradient (Chen & He, CVPR 2021)
  simsiam-no-stopgrad   SimSiam without stop-gradient (collapses to a constant)
  simsiam-no-predictor  SimSiam without predictor (collapses)

Config (TOML; every key optional, defaults shown):
  name = \"contrast\"                 output directory prefix
  methods = [\"simsiam\", \"simsiam-no-stopgrad\"]
  seed = 1                          every random draw derives from it
  epochs = 60
  snapshot_every = 5                epochs between snapshots (epoch 0 and the last are always taken)
  [dataset]                         synthetic content/style data (DESIGN §7)
  kind = \"synthetic\"
  n_train = 4096                    training rows
  n_probe = 512                     held-out probe rows the snapshots are taken on
  k_views = 8                       K fixed probe transforms: H(T) = ln K
  style_shift_std = 3.0             augmentation: style += N(0, s^2)
  input_noise_std = 0.05            augmentation: input += N(0, s^2)
  [model]
  encoder_hidden = 256              encoder 64-256-128 (Linear+BN+ReLU x2)
  feature_dim = 128
  projector_hidden = 128            projector 128-128(BN,ReLU)-64(BN)
  projection_dim = 64
  predictor_hidden = 16             predictor 64-16(BN,ReLU)-64
  [optim]                           momentum SGD, weight decay, cosine schedule
  batch_size = 256
  lr = 0.1
  momentum = 0.9
  weight_decay = 5e-4
  [verdict]                         thresholds (see README, \"Verdict\")
  complete_normalised_std_l2 = 0.1  sqrt(d)*std_l2 below this ...
  complete_effective_rank = 3.0     ... and uncentred effective rank below this ...
  complete_angular_spread = 0.2     ... and mean angle to the mean direction (rad): complete collapse
  dimensional_rank_ratio = 0.1      centred effective rank / min(N-1, d) below this ...
  dimensional_rank_ratio_raw = 0.15 ... and uncentred / min(N, d): dimensional collapse

--quick: epochs = 25, n_probe = 256 (flags given after it still apply).";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A run directory or its run.json.
    #[arg(value_name = "RUN_DIR|run.json")]
    pub path: PathBuf,
    /// Only judge these runs (repeatable).
    #[arg(long = "run", value_name = "NAME")]
    pub runs: Vec<String>,
    /// Fail on this verdict or worse.
    #[arg(long, value_enum, default_value = "complete")]
    pub fail_on: FailOn,
    /// Print one JSON object on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory containing run.json.
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
}
