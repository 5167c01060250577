//! The command line (ARCHITECTURE.md §3): clap types only, and their mapping onto the requests
//! the commands take.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::estimate::vocabulary::{Method, NormArg, Quantity};
use crate::estimate::EstimateRequest;
use crate::external::HtRequest;
use crate::gate::FailOn;
use crate::records::AnalyzeInputs;

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
    /// Measure and judge embeddings exported from elsewhere (e.g. PyTorch): metrics, information
    /// quantities, verdict; with --out also run.json and the report. Several INPUTs: one run
    /// each, compared in one report.
    Analyze(AnalyzeArgs),
    /// Judge a finished run directory; exit 1 when a run collapsed (a CI gate).
    ///
    /// Prints one line per run (name, verdict, epoch, the deciding signals). With GITHUB_ACTIONS=true
    /// it also prints an error annotation per failed run and a warning per run that is not healthy.
    Check(CheckArgs),
    /// Re-render the charts and report.html of a run directory from its run.json.
    Report(ReportArgs),
    /// Estimate an entropy, mutual information or conditional entropy (nats) from columns of a file.
    Estimate(EstimateArgs),
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
    /// Train on your own array instead (N×D rows or N×C×H×W images; .npy, .npz:KEY,
    /// .safetensors:NAME or .csv); sets dataset.kind = "file".
    #[arg(long, value_name = "FILE[:KEY]")]
    pub dataset: Option<String>,
    /// Labels for --dataset (N integers), used only for the kNN monitor.
    #[arg(long, value_name = "FILE[:KEY]", requires = "dataset")]
    pub labels: Option<String>,
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
Methods (each ablation differs from its parent by one switch):
  simsiam               SimSiam: predictor + stop-gradient (Chen & He, CVPR 2021)
  simsiam-no-stopgrad   SimSiam without stop-gradient (collapses, the paper's Fig. 2)
  simsiam-no-predictor  SimSiam without predictor (collapses, the paper's Table 1)
  byol                  BYOL: predictor + EMA target, tau 0.996 -> 1 cosine (Grill et al., 2020)
  byol-no-ema           BYOL with tau = 0: the target is the online network under stop-gradient
  barlow-twins          Barlow Twins: cross-correlation loss, lambda = 5e-3 (Zbontar et al., 2021)

Data: the synthetic content/style set (default; generated from the seed), scikit-learn's
bundled 8x8 digits (dataset.kind = \"digits\"), or your array (--dataset FILE, N x D rows or
N x C x H x W images). Nothing is downloaded.

Config (TOML; every key optional, defaults shown):
  name = \"contrast\"                 output directory prefix: a plain file name (no /, \\ or ..)
  methods = [\"simsiam\", \"simsiam-no-stopgrad\", \"simsiam-no-predictor\", \"byol\", \"barlow-twins\"]
  seed = 1                          every random draw derives from it
  epochs = 60                       at most 100000, and at most 1000 snapshots per method
  snapshot_every = 5                epochs between snapshots (epoch 0 and the last are always taken)
  [dataset]
  kind = \"synthetic\"                synthetic | digits | file
  path = \"emb.npz:x\"                file: the array (PATH or PATH:KEY), also --dataset
  labels = \"y.npy\"                  file: optional labels for the kNN monitor, also --labels
  n_train = 4096                    synthetic: training rows
  n_probe = 512                     held-out probe rows the snapshots are taken on
                                    (digits: 512 of 1797; file: at most a quarter of the rows)
  k_views = 8                       K probe transforms, H(T) = ln K: style offsets (synthetic),
                                    dihedral transforms (images), noise offsets (rows)
  style_shift_std = 3.0             synthetic: augmentation style += N(0, s^2)
  input_noise_std = 0.05            synthetic: augmentation input += N(0, s^2)
  image_dihedral = true             images: random rotation by 90 deg * k and flip
  image_shift_px = 1                images: random translation
  image_noise_std = 0.05            images: pixel noise
  vector_noise_std = 0.2            file rows (standardised): noise augmentation and probe offsets
  [model]
  encoder = \"mlp\"                   mlp | cnn (images)
  cnn_channels = [16, 32]           conv3x3 + BN + ReLU, conv3x3/2 + BN + ReLU, Linear + BN + ReLU
  encoder_hidden = 256              MLP encoder D-256-128 (Linear+BN+ReLU x2)
  feature_dim = 128
  projector_hidden = 128            projector 128-128(BN,ReLU)-64(BN)
  projection_dim = 64
  predictor_hidden = 16             predictor 64-16(BN,ReLU)-64 (BYOL: as wide as the projector)
  [optim]                           momentum SGD, weight decay, cosine schedule
  batch_size = 256
  lr = 0.1
  momentum = 0.9
  weight_decay = 5e-4
  [loss]
  byol_momentum_base = 0.996
  barlow_lambda = 5e-3
  barlow_scale = 0.025              Barlow Twins loss multiplier
  [verdict]                         thresholds (see README, \"Verdict\")
  complete_normalised_std_l2 = 0.1  sqrt(d)*std_l2 below this ...
  complete_effective_rank = 3.0     ... and uncentred effective rank below this ...
  complete_angular_spread = 0.2     ... and mean angle to the mean direction (rad): complete collapse
  dimensional_rank_ratio = 0.1      centred effective rank / min(N-1, d) below this ...
  dimensional_rank_ratio_raw = 0.15 ... and uncentred / min(N, d): dimensional collapse
  advisory_uniformity = -0.16       shown, not deciding: uniformity above it (complete)
  [knn]
  max_rows = 10000                  analyze: leave-one-out kNN accuracy on a seeded subsample
                                    of at most this many rows (also --knn-rows); also the
                                    rows of TwoNN and NC1 in the metric panel
  [panel]                           collapse-metric panel (docs/reference.md, \"What is measured\")
  alpha_req_first_rank = 1          alpha-ReQ fits ln(eigenvalue) on ln(rank) over these ranks
  alpha_req_last_rank = 0           of the centred covariance (0: up to min(N-1, d))
  [info]                            information estimates (docs/reference.md, \"What is measured\")
  scales = \"auto\"                  binned/merge at 50/20/5 % cell occupancy, pairwise sigma
                                    0.05-0.4 on the sphere (x rms raw); or a list of absolute
                                    scales (raw_scales = [...] for the raw space)
  ci_groups = 20                    delete-a-group jackknife intervals (0 = none)
  ci_level = 0.95                   their level; they cover sampling spread, not bias
  k = 3                             neighbours of the kNN estimators
  max_rows = 4096                   inputs used (seeded content-hash subsample)

Before anything is written, the config is checked against the data and the memory available
(MemAvailable on Linux): sizes that cannot fit, NaN or infinite numbers, thresholds <= 0, a
probe too small for the verdict (12 rows with the default thresholds), [info] ci_groups above
1000 and a name that is not a plain file name are refused, naming the key to change.

--quick: epochs = 25, n_probe = 256 (flags given with it still apply).";

#[derive(Debug, Args)]
#[command(after_long_help = ANALYZE_HELP)]
pub struct AnalyzeArgs {
    /// The embeddings V, N×d: .npy, .npz:KEY, .safetensors:NAME or .csv (numeric, header row);
    /// or a directory of epoch-NNNN.{npy,npz,safetensors} files, one run (see below). Several
    /// INPUTs (all files or all directories): one run each, compared in one record (see below).
    #[arg(value_name = "INPUT[:KEY]|DIR", required = true, num_args = 1..)]
    pub input: Vec<String>,
    /// The target network's output: the views' shape N'×K×d with --views, or without --views
    /// N×d paired with INPUT row by row. With several INPUTs: once per INPUT, in order.
    #[arg(long, value_name = "INPUT[:KEY]")]
    pub target: Vec<String>,
    /// K transformed views of each of N' inputs, N'×K×d, any N' ≥ 2 (gives H(V|X), I(X;V),
    /// I(V;V'), H(V|V')); N' = N: row i of the views belongs to row i of INPUT. With several
    /// INPUTs: once per INPUT, in order.
    #[arg(long, value_name = "INPUT[:KEY]")]
    pub views: Vec<String>,
    /// The K views are K fixed, equiprobable transforms of each input: H(T) = ln K (gives the
    /// Lagrangian's theorem form and the gap); needs views.
    #[arg(long, conflicts_with = "h_t")]
    pub fixed_transforms: bool,
    /// H(T) of the transforms behind the views, in nats (finite, ≥ 0); needs views.
    #[arg(long = "h-t", value_name = "NATS", allow_hyphen_values = true)]
    pub h_t: Option<f64>,
    /// N integer labels of INPUT's rows (leave-one-out kNN accuracy; never used otherwise);
    /// with a DIR, shared by every epoch file. With several INPUTs: once for all (they embed
    /// the same dataset) or once per INPUT, in order.
    #[arg(long, value_name = "INPUT[:KEY]")]
    pub labels: Vec<String>,
    /// Write a run directory (run.json, metrics.csv, charts, report.html) here; with a DIR it
    /// also keeps the per-epoch cache, and an OUT holding an earlier analysis of the run is
    /// updated.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The run's name with a DIR (a plain file name) [default: the directory's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The runs' names with several INPUTs, one per INPUT in order (plain file names)
    /// [default: each file's stem, its KEY where stems collide; a DIR's name].
    #[arg(long, value_delimiter = ',', value_name = "a,b,..")]
    pub names: Option<Vec<String>>,
    /// TOML with [verdict] thresholds and [info] settings (other keys are ignored here).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Print one JSON object on stdout (with several INPUTs: {"runs": [one object per run]}).
    #[arg(long)]
    pub json: bool,
    /// Leave-one-out kNN accuracy (--labels) on a seeded subsample of at most N rows
    /// [default: knn.max_rows of --config, 10000]; its cost grows as N²·d.
    #[arg(long, value_name = "N")]
    pub knn_rows: Option<usize>,
    /// Measure only the collapse signals of the spectrum and the rows (std_l2, raw and centred
    /// effective rank, spectrum, channel std, angular spread) and the verdict: no information
    /// estimates, no metric panel, no kNN. A C-order float .npy is streamed from disk twice
    /// rather than loaded (memory: the d×d Gram matrix and a few blocks of rows, whatever N).
    /// Refused with --views, --target, --labels, --fixed-transforms, --h-t and a DIR (see
    /// below).
    #[arg(long)]
    pub spectrum_only: bool,
}

impl AnalyzeArgs {
    /// The files each INPUT is analysed with, in the order of the INPUTs: `--views` and
    /// `--target` given once per INPUT (or not at all), `--labels` once per INPUT or once for
    /// all. Any other count is an error naming the flag and the counts.
    pub fn per_input(&self) -> anyhow::Result<Vec<AnalyzeInputs>> {
        let n = self.input.len();
        let pick = |flag: &str,
                    given: &[String],
                    shared: bool|
         -> anyhow::Result<Vec<Option<String>>> {
            match given.len() {
                0 => Ok(vec![None; n]),
                k if k == n => Ok(given.iter().cloned().map(Some).collect()),
                1 if shared => Ok(vec![Some(given[0].clone()); n]),
                // Views and a target are outputs of one model: another INPUT is another model,
                // with its own views (ARCHITECTURE.md §3).
                1 => anyhow::bail!(
                    "{flag} given once for {n} INPUTs: {flag} holds one model's outputs, and each \
                     INPUT is another model; give {flag} once per INPUT, in the order of the INPUTs \
                     (e.g. analyze a.npy b.npy {flag} a-{v}.npy {flag} b-{v}.npy), or drop it",
                    v = flag.trim_start_matches('-')
                ),
                k if n == 1 => anyhow::bail!(
                    "{flag} given {k} times for 1 INPUT: give it once (several models: give one \
                     INPUT per model, with {flag} once per INPUT)"
                ),
                k => anyhow::bail!(
                    "{flag} given {k} times for {n} INPUTs: give it once per INPUT, in their order{}",
                    if shared { ", or once for all" } else { "" }
                ),
            }
        };
        let target = pick("--target", &self.target, false)?;
        let views = pick("--views", &self.views, false)?;
        let labels = pick("--labels", &self.labels, true)?;
        Ok(self
            .input
            .iter()
            .zip(target.into_iter().zip(views).zip(labels))
            .map(|(input, ((target, views), labels))| AnalyzeInputs {
                input: input.clone(),
                target,
                views,
                labels,
            })
            .collect())
    }

    /// What `--fixed-transforms` / `--h-t` say of H(T); a NATS that is not a finite number
    /// ≥ 0 is an error naming the flag.
    pub fn h_t(&self) -> anyhow::Result<HtRequest> {
        match (self.fixed_transforms, self.h_t) {
            (true, _) => Ok(HtRequest::FixedTransforms),
            (false, Some(h)) if h.is_finite() && h >= 0.0 => Ok(HtRequest::Given(h)),
            (false, Some(h)) => anyhow::bail!(
                "--h-t {h}: H(T) is a finite number of nats ≥ 0 (ln K for K equiprobable transforms)"
            ),
            (false, None) => Ok(HtRequest::Unknown),
        }
    }
}

const ANALYZE_HELP: &str = "\
Export from PyTorch (three lines):
  import numpy as np
  z = torch.cat([model(x).detach().cpu() for x, _ in loader]).numpy()
  np.save(\"emb.npy\", z)            # then: ib-analyze analyze emb.npy

Large exports: a C-order float .npy, or a float tensor of a .safetensors, is streamed from disk
and kept in its own precision (f32 stays f32), so memory peaks near the file's size (a
1,000,000 x 128 f32 file: about 1.1x).
The std and spectral metrics use every row; the information estimates ([info] max_rows) and
the kNN accuracy (--knn-rows) use seeded subsamples whose size and seed are in the output.

A series (INPUT is a directory): one file per epoch, epoch-NNNN.npy (N x d), or
epoch-NNNN.safetensors / epoch-NNNN.npz holding the snapshot tensors of a `run`
(online.backbone, online.projector, online.predictor: judged; views.projector N x K x d and
target.projector: information; labels: kNN accuracy). The number in the name is the epoch and
orders the files; every file has the same extension, tensors and shapes. Names starting with
'.' are ignored: write `.epoch-0007.safetensors.tmp`, then rename it to `epoch-0007.safetensors`.
Any other name, two files of one epoch (epoch-3.npy and epoch-0003.npy), an empty directory or
a file that cannot be read is exit 2, naming the file, with nothing written. --views/--target
are refused (the files hold them); --labels FILE is shared by every epoch. With --out, each
epoch's result is cached in OUT/cache by a hash of the file, the tool version and the settings:
`analyze DIR --out OUT` after every epoch measures only the new file.

Several INPUTs (models side by side): each INPUT is its own run of one record and one report,
which compares them (verdicts, metrics, spectra, information at the same scales):
  ib-analyze analyze simclr.npy vicreg.npy mine.npz:z --labels labels.npy --out runs/cmp
  ib-analyze check runs/cmp           # one line per run; exit 1 if any run collapsed
The runs are named after the files' stems (where stems collide, after their KEYs:
x.npz:z1 x.npz:z2 -> z1, z2), or --names a,b,.. (one per INPUT, in order); names that still
repeat are exit 2. The judged tensor has one name in every run, so the report overlays them:
the KEY when every INPUT has the same KEY, else `embedding`. --labels once is shared (the
INPUTs embed the same dataset, in the same row order), or give it once per INPUT, in order.
--views and --target hold one model's outputs: give them once per INPUT, in order (once for
several INPUTs is exit 2). Several directories are several series (one run each, with epochs;
--names, not --name); files and directories are not mixed. OUT must be new or empty (no
per-epoch cache is kept for several series). The INPUTs are read one after another; nothing
is written unless every INPUT succeeds. --json prints {\"runs\": [one object per run, with
\"name\"]}.

Views of a subset: --views may hold views of N' inputs other than INPUT's N rows (e.g. K views of
a few hundred inputs, INPUT the whole validation set). H(V), spectra, verdict and kNN come from
INPUT; H(V|X), I(X;V), I(V;V'), H(V|V') from the views (`views_n` in --json). The Lagrangian's
theorem form and gap need H(T): --fixed-transforms (the K views are K fixed, equiprobable
transforms, H(T) = ln K) or --h-t NATS; without either they are null and a note says why (random
augmentations are not K fixed transforms). With a DIR the flags apply to views.projector.

Spectrum only (large embeddings, e.g. 50,000 x 2048 or 16,384 x 8192 f32):
  ib-analyze analyze emb.npy --spectrum-only --json
measures what the verdict needs and nothing else: std_l2, the raw and centred effective ranks
(RankMe) and their ratios, the singular-value spectrum, the channel std, the angular and
relative spread, then the verdict (its rules use only these; the panel's advisory uniformity
is absent). The values are those of a full `analyze` of the same file, bit for bit. A C-order
2-D float .npy (f32, f64, f16, bf16) is not loaded: it is read from disk twice, block by block,
so memory is the d x d f64 Gram matrix (8·d² bytes: 537 MB at d = 8192), a band of d x 129
values and a few blocks of rows, whatever N; other inputs are read whole first. A file that
changes size while it is read is exit 2. The report
(--out) shows the verdict, the metrics and the spectrum, without information or panel charts;
run.json's config says \"spectrum_only\": true. Works with several INPUT files; a DIR (series)
is refused: analyse its files one by one, or the DIR without --spectrum-only.

The exit code is 0 whatever the verdict (use `ib-analyze check` on the --out directory to gate CI);
2 on bad input (the message names the file and the fix).";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A run directory or its run.json.
    #[arg(value_name = "RUN_DIR|run.json")]
    pub path: PathBuf,
    /// Only judge these runs (repeatable).
    #[arg(long = "run", value_name = "NAME")]
    pub runs: Vec<String>,
    /// Only judge these runs: the comma-separated form of --run (both may be given).
    #[arg(long = "runs", value_delimiter = ',', value_name = "a,b,..")]
    pub run_list: Vec<String>,
    /// Fail on this verdict or worse.
    #[arg(long, value_enum, default_value = "complete")]
    pub fail_on: FailOn,
    /// Print one JSON object on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also write JUnit XML (one test case per run) for a CI system to display.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory containing run.json.
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_long_help = ESTIMATE_HELP)]
pub struct EstimateArgs {
    /// What to estimate: entropy H(X), mi I(X;Y), cond-entropy H(X|Y).
    #[arg(value_enum, value_name = "QUANTITY")]
    pub quantity: Quantity,
    /// The data: .npy, .npz:KEY, .safetensors:NAME or .csv (numeric, one header row); N×d
    /// (a 1-D array is one column).
    #[arg(value_name = "INPUT[:KEY]")]
    pub input: String,
    /// The estimator (see below for which exist for which quantity).
    #[arg(long, value_enum)]
    pub method: Method,
    /// Neighbour order of kl/ksg1/ksg2 [default: 3].
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,
    /// Bins per column of binned/binned-mm, over each column's [min, max] [default: 8].
    #[arg(long, value_name = "B")]
    pub bins: Option<usize>,
    /// Distance norm of kl [default: max]; KSG always uses the max-norm.
    #[arg(long, value_enum)]
    pub norm: Option<NormArg>,
    /// Columns of X, half-open and 0-based (A:B, A: or :B) [default for entropy: all].
    #[arg(long, value_name = "A:B", allow_hyphen_values = true)]
    pub x_cols: Option<String>,
    /// Columns of Y (mi, cond-entropy), half-open and 0-based.
    #[arg(long, value_name = "A:B", allow_hyphen_values = true)]
    pub y_cols: Option<String>,
    /// Ridge added to the covariance diagonal by the gaussian method [default: 0].
    #[arg(long, value_name = "EPS", allow_hyphen_values = true)]
    pub ridge: Option<f64>,
    /// Add N(0, SIGMA²) noise (absolute scale, seeded) to every value before estimating;
    /// breaks ties. Reported in the output.
    #[arg(long, value_name = "SIGMA", allow_hyphen_values = true)]
    pub jitter: Option<f64>,
    /// Seed of the --jitter noise and of the --ci groups (one seed serves both) [default: 0].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Also give a confidence interval at LEVEL (in (0, 1), e.g. 0.95): the delete-a-group
    /// jackknife (see below). Costs G + 1 estimates.
    #[arg(long, value_name = "LEVEL", allow_hyphen_values = true)]
    pub ci: Option<f64>,
    /// Jackknife groups of --ci, 2..=N [default: 20].
    #[arg(long, value_name = "G")]
    pub ci_groups: Option<usize>,
    /// Print a degenerate finite estimate (flagged) instead of refusing it (see below).
    #[arg(long)]
    pub allow_degenerate: bool,
    /// Print one JSON object on stdout instead of a line.
    #[arg(long)]
    pub json: bool,
}

impl EstimateArgs {
    /// The estimate these flags ask for.
    pub fn request(&self) -> EstimateRequest {
        EstimateRequest {
            quantity: self.quantity,
            input: self.input.clone(),
            method: self.method,
            k: self.k,
            bins: self.bins,
            norm: self.norm,
            x_cols: self.x_cols.clone(),
            y_cols: self.y_cols.clone(),
            ridge: self.ridge,
            jitter: self.jitter,
            seed: self.seed,
            ci: self.ci,
            ci_groups: self.ci_groups,
            allow_degenerate: self.allow_degenerate,
        }
    }
}

const ESTIMATE_HELP: &str = "\
Quantities and methods (all values in nats):
  entropy       H(X) of --x-cols (default: all columns)       kl, binned, binned-mm, gaussian
  mi            I(X;Y), X = --x-cols, Y = --y-cols (required)  ksg1, ksg2, binned, binned-mm, gaussian
  cond-entropy  H(X|Y) = H(X,Y) - H(Y), same flags as mi      kl, binned, binned-mm, gaussian

  kl         Kozachenko-Leonenko: psi(N) - psi(k) + ln V_d + (d/N) sum ln r_i (--k, --norm)
  ksg1/ksg2  Kraskov-Stoegbauer-Grassberger algorithm 1 / 2, max-norm (--k); negative values
             are not clipped
  binned     plug-in entropy of equal-width bins (--bins per column, each column's [min, max]);
             a discrete entropy of the bin labels: it depends on B and is not a differential
             entropy; MI and H(X|Y) by the chain rule
  binned-mm  binned + Miller-Madow correction (K_occupied - 1)/(2N)
  gaussian   1/2 ln det(2 pi e (Cov + ridge I)) (--ridge)

Degenerate data (ties, duplicate rows, constant columns, all rows equal, k >= N):
  * k >= N, too few rows, bad flags or bad input: exit 2 with a message naming the flag or file.
  * An estimate that is -inf or NaN by the definition (KL with a k-th neighbour at distance 0,
    e.g. all rows equal or >= k+1 copies of a row; gaussian with a singular covariance; a
    chain-rule difference -inf - (-inf) = NaN) is printed as such: \"value\": null,
    \"nonfinite\": \"-inf\"|\"nan\", \"degenerate\": true, with the cause in \"warnings\"; exit 0.
    -inf is the finding (a collapsed variable has differential entropy -inf).
  * A FINITE estimate the data make meaningless is refused with exit 2 and the cause:
    KSG with a joint k-th neighbour at distance 0 (ties, duplicates; on all-equal rows KSG-1
    gives psi(k)+psi(N)-2psi(1), a large positive number although a constant carries no
    information), KSG-2 with a constant X or Y, KL with a constant column (true entropy -inf,
    estimate finite). Fix: --jitter SIGMA [--seed N] to break ties, --x-cols/--y-cols to drop
    constant columns, or --allow-degenerate to print the value with \"degenerate\": true.
  * Other findings come with a warning and the estimate, exit 0: duplicate rows (biased kNN),
    a constant X with tie-free Y for KSG-1 (exactly 0), every sample in its own bin (binned
    entropy = ln N), overlapping --x-cols/--y-cols.

Intervals (--ci LEVEL [--ci-groups G] [--seed N]):
  The delete-a-group jackknife (Shao & Tu 1995): the rows are dealt into G groups (default 20)
  along a permutation seeded by --seed (default 0; the same seed also seeds --jitter), the
  estimate is recomputed with each group left out, and the interval is
  value +- t(G-1, (1+LEVEL)/2) * se,  se^2 = (G-1)/G * sum_j (value_j - mean)^2.
  It is centred on the estimate, so it always contains it. --jitter noise is added once to
  the whole sample before the groups are formed. Cost: G + 1 estimates.
  It covers the SAMPLING SPREAD of the estimate only, not the estimator's bias: a kNN
  estimate in high dimension, or a plug-in (binned) entropy of a sample too small for its
  bins, can be far from the truth with a narrow interval. On low-dimensional cases with a
  known truth, nominal 95% intervals covered it in 93-100% of 200 samples (docs/coverage.md:
  conservative for kl/ksg). No interval (\"ci\": null, with a warning) when the
  estimate or any of the G estimates without a group is not finite, degenerate or fails.

Output: one line on stdout (warnings on stderr), e.g.
  H(X) = 1.4189 nats (kl, k=3, max-norm, N=2000, d=1)
  H(X) = 1.8368 [1.7782, 1.8954] nats (kl, k=3, max-norm, N=2000, d=1, jackknife-20 t 95%, seed=0)
or with --json exactly one object:
  {\"quantity\", \"method\", \"value\": number|null, \"nonfinite\": null|\"-inf\"|\"inf\"|\"nan\",
   \"units\": \"nats\", \"k\", \"n\", \"d\" (= dx + dy), \"dx\", \"dy\", \"norm\", \"bins\", \"ridge\",
   \"jitter\", \"seed\", \"ci\": [lo, hi]|null, \"ci_method\": e.g. \"jackknife-20 t 95%\"|null,
   \"input\", \"x_cols\", \"y_cols\", \"degenerate\", \"warnings\": [..]}
Uses every core (set RAYON_NUM_THREADS to limit). Exit codes: 0 success, 2 bad input or usage.";

#[cfg(test)]
mod tests {
    use crate::config::RunConfig;

    /// `(table, key, value)` of every `key = value` line of `text`, a table starting at a
    /// `[name]` line; the value is the longest prefix of the rest of the line that is TOML.
    fn shown_values(text: &str) -> Vec<(String, String, toml::Value)> {
        let mut table = String::new();
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
                table = name.to_string();
                continue;
            }
            let Some((key, rest)) = line.split_once(" = ") else {
                continue;
            };
            if key.contains(' ') {
                continue;
            }
            let ends = rest
                .char_indices()
                .filter(|&(_, c)| c == ' ')
                .map(|(i, _)| i)
                .chain([rest.len()]);
            let value = ends
                .filter_map(|end| {
                    let t: toml::Table = toml::from_str(&format!("v = {}", &rest[..end])).ok()?;
                    t.get("v").cloned()
                })
                .next_back()
                .unwrap_or_else(|| panic!("no TOML value in `{line}`"));
            out.push((table.clone(), key.to_string(), value));
        }
        out
    }

    /// The value of `key` in `table` ("" = top level) of a config.
    fn value_of(cfg: &RunConfig, table: &str, key: &str) -> Option<toml::Value> {
        let all = toml::Value::try_from(cfg).unwrap();
        let section = if table.is_empty() {
            &all
        } else {
            all.get(table)?
        };
        section.get(key).cloned()
    }

    #[test]
    fn the_defaults_shown_by_run_help_are_the_default_config() {
        use clap::CommandFactory;
        let mut cli = crate::cli::Cli::command();
        let help = cli
            .find_subcommand_mut("run")
            .expect("a run subcommand")
            .render_long_help()
            .to_string();
        let (config, quick) = help
            .split_once("--quick:")
            .expect("the help describes --quick");
        let config = config
            .split_once("Config (TOML")
            .expect("the help lists the config keys")
            .1;
        let d = RunConfig::default_config();
        let shown = shown_values(config);
        assert!(shown.len() > 30, "{shown:?}");
        for (table, key, value) in &shown {
            match value_of(&d, table, key) {
                Some(v) => assert_eq!(&v, value, "[{table}] {key}"),
                // Examples of keys that have no default.
                None => assert!(
                    ["path", "labels"].contains(&key.as_str()),
                    "[{table}] {key}"
                ),
            }
        }
        // The --quick line: what it names is what `apply_quick` sets, and it names every
        // value `apply_quick` changes.
        let quick_line = quick.lines().next().unwrap().replace(',', "\n");
        let mut q = d.clone();
        q.apply_quick();
        let named: Vec<_> = shown_values(&quick_line)
            .into_iter()
            .map(|(_, key, value)| (key, value))
            .collect();
        assert!(!named.is_empty());
        let find = |cfg: &RunConfig, key: &str| {
            ["", "dataset"]
                .iter()
                .find_map(|t| value_of(cfg, t, key))
                .unwrap()
        };
        for (key, value) in &named {
            assert_eq!(&find(&q, key), value, "--quick {key}");
        }
        for key in ["epochs", "snapshot_every", "n_probe"] {
            if find(&q, key) != find(&d, key) {
                assert!(
                    named.iter().any(|(k, _)| k == key),
                    "--quick help omits {key}"
                );
            }
        }
    }
}
