//! `ib-analyze estimate`: one entropy, mutual-information or conditional-entropy estimate from
//! columns of a file (DESIGN §3, §4), in nats.
//!
//! Degenerate data (DESIGN §4) follows one rule, documented in `estimate --help`:
//! * a non-finite spec value (−∞ from ties or collapse, NaN from −∞ − (−∞)) is printed as such
//!   (`"value": null`, `"nonfinite": "-inf"`) with the warnings, exit 0: it is the finding;
//! * a *finite* value the estimator flags as degenerate (KSG on ties or all-equal rows, KSG-2
//!   with a constant variable, Kozachenko–Leonenko with a constant column) is an artefact, not
//!   information: the command refuses with exit 2 and names the cause, unless
//!   `--allow-degenerate` asks for it, in which case it is printed with `"degenerate": true`;
//! * other warnings (duplicate rows, one constant variable for KSG-1, singleton bins) accompany
//!   a value that is still an estimate: printed with the warnings, exit 0.

use anyhow::{anyhow, bail, Context, Result};
use ib_estimators::{
    binned_conditional_entropy, binned_entropy, binned_mutual_information,
    gaussian_conditional_entropy, gaussian_entropy, gaussian_mutual_information,
    kl_conditional_entropy, kl_entropy, ksg_mutual_information, Binning, Correction, Estimate,
    EstimatorError, KnnParams, KsgAlgorithm, Norm,
};
use ndarray::{Array2, Ix2};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde_json::{json, Value};

use crate::cli::EstimateArgs;
use crate::input::{self, ColRange, InputSpec};

/// What to estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Quantity {
    /// H(X): differential entropy of the --x-cols (default: all columns).
    Entropy,
    /// I(X;Y): mutual information between --x-cols and --y-cols.
    Mi,
    /// H(X|Y): conditional entropy of --x-cols given --y-cols.
    CondEntropy,
}

impl Quantity {
    /// The command-line word.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Entropy => "entropy",
            Quantity::Mi => "mi",
            Quantity::CondEntropy => "cond-entropy",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Quantity::Entropy => "H(X)",
            Quantity::Mi => "I(X;Y)",
            Quantity::CondEntropy => "H(X|Y)",
        }
    }

    /// The methods that exist for this quantity.
    pub fn methods(self) -> &'static [Method] {
        use Method::*;
        match self {
            Quantity::Entropy => &[Kl, Binned, BinnedMm, Gaussian],
            Quantity::Mi => &[Ksg1, Ksg2, Binned, BinnedMm, Gaussian],
            Quantity::CondEntropy => &[Kl, Binned, BinnedMm, Gaussian],
        }
    }
}

/// How to estimate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Kozachenko–Leonenko k-NN entropy (conditional entropy by the chain rule).
    Kl,
    /// KSG algorithm 1 (mutual information).
    Ksg1,
    /// KSG algorithm 2 (mutual information).
    Ksg2,
    /// Plug-in entropy of equal-width bins (discrete; depends on --bins).
    Binned,
    /// Binned with the Miller–Madow correction.
    BinnedMm,
    /// Gaussian proxy ½ ln det(2πe Σ̂).
    Gaussian,
}

impl Method {
    /// The command-line word.
    pub fn name(self) -> &'static str {
        match self {
            Method::Kl => "kl",
            Method::Ksg1 => "ksg1",
            Method::Ksg2 => "ksg2",
            Method::Binned => "binned",
            Method::BinnedMm => "binned-mm",
            Method::Gaussian => "gaussian",
        }
    }

    fn is_knn(self) -> bool {
        matches!(self, Method::Kl | Method::Ksg1 | Method::Ksg2)
    }

    fn is_binned(self) -> bool {
        matches!(self, Method::Binned | Method::BinnedMm)
    }
}

/// Distance norm for Kozachenko–Leonenko.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NormArg {
    /// Max-norm (Chebyshev); the default, and the only norm of KSG.
    Max,
    /// Euclidean.
    Euclidean,
}

impl NormArg {
    fn name(self) -> &'static str {
        match self {
            NormArg::Max => "max",
            NormArg::Euclidean => "euclidean",
        }
    }
}

/// Default neighbour order.
pub const DEFAULT_K: usize = 3;
/// Default bins per column.
pub const DEFAULT_BINS: usize = 8;

/// The finished estimate with everything the output needs.
#[derive(Debug, Clone)]
pub struct EstimateOutput {
    /// The estimate itself.
    pub estimate: Estimate,
    /// The JSON object of `--json` (DESIGN §3).
    pub json: Value,
    /// The human line.
    pub line: String,
}

fn methods_list(q: Quantity) -> String {
    q.methods()
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the flags against each other before any file is read.
fn validate(args: &EstimateArgs) -> Result<()> {
    let (q, m) = (args.quantity, args.method);
    if !q.methods().contains(&m) {
        bail!(
            "--method {}: not available for `estimate {}` — valid methods: {}",
            m.name(),
            q.name(),
            methods_list(q)
        );
    }
    if args.k.is_some() && !m.is_knn() {
        bail!(
            "--k applies to the k-NN methods (kl, ksg1, ksg2), not to --method {} — remove --k",
            m.name()
        );
    }
    if args.k == Some(0) {
        bail!("--k 0: k must be at least 1 (3 is the usual choice)");
    }
    if args.bins.is_some() && !m.is_binned() {
        bail!(
            "--bins applies to --method binned or binned-mm, not to --method {} — remove --bins",
            m.name()
        );
    }
    if args.bins == Some(0) {
        bail!("--bins 0: use at least 1 bin per column (e.g. --bins 8)");
    }
    match (args.norm, m) {
        (None, _) | (Some(_), Method::Kl) | (Some(NormArg::Max), Method::Ksg1 | Method::Ksg2) => {}
        (Some(NormArg::Euclidean), Method::Ksg1 | Method::Ksg2) => bail!(
            "--norm euclidean: KSG is defined with the max-norm — remove --norm (or use --method kl)"
        ),
        (Some(n), _) => bail!(
            "--norm {}: applies to the k-NN methods (kl, ksg1, ksg2), not to --method {} — remove --norm",
            n.name(),
            m.name()
        ),
    }
    if let Some(r) = args.ridge {
        if m != Method::Gaussian {
            bail!(
                "--ridge applies to --method gaussian, not to --method {} — remove --ridge",
                m.name()
            );
        }
        if !(r.is_finite() && r >= 0.0) {
            bail!("--ridge {r}: the ridge must be a finite number >= 0 (e.g. --ridge 1e-6)");
        }
    }
    match q {
        Quantity::Entropy => {
            if args.y_cols.is_some() {
                bail!(
                    "--y-cols applies to `estimate mi` and `estimate cond-entropy`; for `estimate entropy` \
                     choose the columns with --x-cols A:B"
                );
            }
        }
        Quantity::Mi | Quantity::CondEntropy => {
            let what = if q == Quantity::Mi {
                "I(X;Y)"
            } else {
                "H(X|Y)"
            };
            match (&args.x_cols, &args.y_cols) {
                (Some(_), Some(_)) => {}
                (None, None) => bail!(
                    "`estimate {}` needs --x-cols A:B and --y-cols A:B (half-open, 0-based) to say \
                     which columns are X and which are Y in {what}, e.g. --x-cols 0:4 --y-cols 4:8",
                    q.name()
                ),
                (None, Some(_)) => bail!(
                    "`estimate {}` needs --x-cols A:B as well as --y-cols (X in {what}), e.g. --x-cols 0:4",
                    q.name()
                ),
                (Some(_), None) => bail!(
                    "`estimate {}` needs --y-cols A:B as well as --x-cols (Y in {what}), e.g. --y-cols 4:8",
                    q.name()
                ),
            }
        }
    }
    match (args.jitter, args.seed) {
        (Some(s), _) if !(s.is_finite() && s > 0.0) => {
            bail!("--jitter {s}: the noise standard deviation must be a finite number > 0 (e.g. --jitter 1e-6)")
        }
        (None, Some(_)) => bail!(
            "--seed applies to --jitter (the seed of the added noise) — add --jitter SIGMA or remove --seed"
        ),
        _ => {}
    }
    Ok(())
}

/// Reads INPUT as an N×d matrix; a 1-D array is taken as one column (N×1).
fn read_input(spec: &InputSpec) -> Result<Array2<f64>> {
    let file = spec.display_name();
    let a = input::read_array(spec)?;
    let a = if a.ndim() == 1 {
        let n = a.len();
        a.into_shape_with_order(ndarray::IxDyn(&[n, 1]))
            .map_err(|e| anyhow!("'{file}': cannot use the 1-D array as a column: {e}"))?
    } else {
        a
    };
    let m = input::into_matrix(a, &file)?;
    m.into_dimensionality::<Ix2>()
        .map_err(|e| anyhow!("'{file}': {e}"))
}

/// Adds seeded N(0, σ²) noise to every value, in row-major order.
fn add_jitter(m: &mut Array2<f64>, sigma: f64, seed: u64) -> Result<()> {
    let normal = Normal::new(0.0, sigma).map_err(|e| anyhow!("--jitter {sigma}: {e}"))?;
    let mut rng = StdRng::seed_from_u64(seed);
    for v in m.iter_mut() {
        *v += normal.sample(&mut rng);
    }
    Ok(())
}

/// Explains an estimator error in terms of the command line.
fn explain(err: EstimatorError, args: &EstimateArgs, file: &str, n: usize) -> anyhow::Error {
    match err {
        EstimatorError::TooFewSamples { needed, .. } if args.method.is_knn() => {
            let k = args.k.unwrap_or(DEFAULT_K);
            anyhow!(
                "--k {k}: '{file}' has {n} rows, but the k-th neighbour needs k < N (at least {needed} rows) \
                 — lower --k or pass more rows"
            )
        }
        EstimatorError::TooFewSamples { needed, .. } => anyhow!(
            "'{file}' has {n} rows, but --method {} needs at least {needed} — pass more rows",
            args.method.name()
        ),
        EstimatorError::InvalidParameter { name, reason } => anyhow!("--{name}: {reason}"),
        other => anyhow!("'{file}': {other}"),
    }
}

/// Runs the estimate the arguments describe.
pub fn run(args: &EstimateArgs) -> Result<EstimateOutput> {
    validate(args)?;
    let x_range = args
        .x_cols
        .as_deref()
        .map(|t| ColRange::parse("--x-cols", t))
        .transpose()?;
    let y_range = args
        .y_cols
        .as_deref()
        .map(|t| ColRange::parse("--y-cols", t))
        .transpose()?;
    let spec = InputSpec::parse(&args.input)?;
    let file = spec.display_name();
    let mut m = read_input(&spec)?;
    let ncols = m.ncols();
    let xr = match x_range {
        Some(r) => r.resolve("--x-cols", ncols, &file)?,
        None => 0..ncols,
    };
    let yr = y_range
        .map(|r| r.resolve("--y-cols", ncols, &file))
        .transpose()?;
    if let Some(sigma) = args.jitter {
        add_jitter(&mut m, sigma, args.seed.unwrap_or(0))?;
    }
    let x = m.slice(ndarray::s![.., xr.clone()]);
    let y = yr.clone().map(|r| m.slice(ndarray::s![.., r]));
    let n = m.nrows();

    let k = args.k.unwrap_or(DEFAULT_K);
    let norm = match args.norm.unwrap_or(NormArg::Max) {
        NormArg::Max => Norm::Max,
        NormArg::Euclidean => Norm::Euclidean,
    };
    let knn = || -> Result<KnnParams> {
        Ok(KnnParams::new(k)
            .map_err(|e| explain(e, args, &file, n))?
            .with_norm(norm))
    };
    let bins = args.bins.unwrap_or(DEFAULT_BINS);
    let binning = || Binning::new(bins).map_err(|e| explain(e, args, &file, n));
    let correction = if args.method == Method::BinnedMm {
        Correction::MillerMadow
    } else {
        Correction::PlugIn
    };
    let ridge = args.ridge.unwrap_or(0.0);

    let result = match (args.quantity, args.method, y) {
        (Quantity::Entropy, Method::Kl, _) => kl_entropy(x, &knn()?),
        (Quantity::Entropy, Method::Gaussian, _) => gaussian_entropy(x, ridge),
        (Quantity::Entropy, _, _) => binned_entropy(x, &binning()?, correction),
        (Quantity::Mi, Method::Ksg1, Some(y)) => {
            ksg_mutual_information(x, y, &knn()?, KsgAlgorithm::One)
        }
        (Quantity::Mi, Method::Ksg2, Some(y)) => {
            ksg_mutual_information(x, y, &knn()?, KsgAlgorithm::Two)
        }
        (Quantity::Mi, Method::Gaussian, Some(y)) => gaussian_mutual_information(x, y, ridge),
        (Quantity::Mi, _, Some(y)) => binned_mutual_information(x, y, &binning()?, correction),
        (Quantity::CondEntropy, Method::Kl, Some(y)) => kl_conditional_entropy(x, y, &knn()?),
        (Quantity::CondEntropy, Method::Gaussian, Some(y)) => {
            gaussian_conditional_entropy(x, y, ridge)
        }
        (Quantity::CondEntropy, _, Some(y)) => {
            binned_conditional_entropy(x, y, &binning()?, correction)
        }
        (_, _, None) => unreachable!("validate() requires --y-cols for mi and cond-entropy"),
    };
    let est = result.map_err(|e| explain(e, args, &file, n))?;

    let mut warnings = est.warning_messages();
    if let Some(yr) = &yr {
        if xr.start < yr.end && yr.start < xr.end {
            warnings.push(format!(
                "--x-cols {}:{} and --y-cols {}:{} overlap: X and Y share columns",
                xr.start, xr.end, yr.start, yr.end
            ));
        }
    }
    if est.degenerate && est.nonfinite().is_none() && !args.allow_degenerate {
        bail!(
            "'{file}': the {} estimate of {} is degenerate: it would be a finite number ({:.6}) that \
             measures the degeneracy, not information — {}. Fix: add tie-breaking noise with \
             --jitter SIGMA [--seed N], drop constant columns with --x-cols/--y-cols, or pass \
             --allow-degenerate to print the value flagged as degenerate",
            args.method.name(),
            args.quantity.symbol(),
            est.value,
            est.warning_messages().join("; ")
        );
    }

    let dx = xr.len();
    let dy = yr.as_ref().map(|r| r.len());
    let knn_method = args.method.is_knn();
    let norm_name = match args.method {
        Method::Kl => Some(args.norm.unwrap_or(NormArg::Max).name()),
        Method::Ksg1 | Method::Ksg2 => Some("max"),
        _ => None,
    };
    let json = json!({
        "quantity": args.quantity.name(),
        "method": args.method.name(),
        "value": est.value.is_finite().then_some(est.value),
        "nonfinite": est.nonfinite(),
        "units": "nats",
        "k": knn_method.then_some(k),
        "n": est.n,
        "d": dx + dy.unwrap_or(0),
        "dx": dx,
        "dy": dy,
        "norm": norm_name,
        "bins": args.method.is_binned().then_some(bins),
        "ridge": (args.method == Method::Gaussian).then_some(ridge),
        "jitter": args.jitter,
        "seed": args.jitter.map(|_| args.seed.unwrap_or(0)),
        "input": file,
        "x_cols": format!("{}:{}", xr.start, xr.end),
        "y_cols": yr.as_ref().map(|r| format!("{}:{}", r.start, r.end)),
        "degenerate": est.degenerate,
        "warnings": warnings,
    });

    let mut params = vec![args.method.name().to_string()];
    if knn_method {
        params.push(format!("k={k}"));
    }
    if let Some(nm) = norm_name {
        params.push(format!("{nm}-norm"));
    }
    if args.method.is_binned() {
        params.push(format!("bins={bins}"));
    }
    if args.method == Method::Gaussian {
        params.push(format!("ridge={ridge:e}"));
    }
    if let Some(s) = args.jitter {
        params.push(format!("jitter={s:e} seed={}", args.seed.unwrap_or(0)));
    }
    params.push(format!("N={}", est.n));
    match dy {
        None => params.push(format!("d={dx}")),
        Some(dy) => params.push(format!("dx={dx}, dy={dy}")),
    }
    let value = match est.nonfinite() {
        None => format!("{:.4}", est.value),
        Some(s) => s.to_string(),
    };
    let mut line = format!(
        "{} = {value} nats ({})",
        args.quantity.symbol(),
        params.join(", ")
    );
    if est.degenerate {
        line.push_str(" [degenerate: see the warnings]");
    }
    Ok(EstimateOutput {
        estimate: est,
        json,
        line,
    })
}

/// Prints the estimate: the JSON object, or the human line (stdout) and warnings (stderr).
pub fn print(out: &EstimateOutput, as_json: bool) -> Result<()> {
    if as_json {
        println!(
            "{}",
            serde_json::to_string(&out.json).context("could not serialise the estimate")?
        );
    } else {
        println!("{}", out.line);
        if let Some(ws) = out.json["warnings"].as_array() {
            for w in ws {
                eprintln!("warning: {}", w.as_str().unwrap_or_default());
            }
        }
    }
    Ok(())
}
