//! `ib-analyze estimate`: one entropy, mutual-information or conditional-entropy estimate from
//! columns of a file (ARCHITECTURE.md §3, §4), in nats.
//!
//! Degenerate data (ARCHITECTURE.md §4) follows one rule, documented in `estimate --help`:
//! * a non-finite spec value (−∞ from ties or collapse, NaN from −∞ − (−∞)) is printed as such
//!   (`"value": null`, `"nonfinite": "-inf"`) with the warnings, exit 0: it is the finding;
//! * a *finite* value the estimator flags as degenerate (KSG on ties or all-equal rows, KSG-2
//!   with a constant variable, Kozachenko–Leonenko with a constant column) is an artefact, not
//!   information: the command refuses with exit 2 and names the cause, unless
//!   `--allow-degenerate` asks for it, in which case it is printed with `"degenerate": true`;
//! * other warnings (duplicate rows, one constant variable for KSG-1, singleton bins) accompany
//!   a value that is still an estimate: printed with the warnings, exit 0.
//!
//! `--ci LEVEL` adds a delete-a-group jackknife interval (`ci.rs`, ARCHITECTURE.md §4
//! "Intervals"); a degenerate or non-finite estimate or replicate gives none, with a warning.

mod ci;
mod report;
mod validate;
pub mod vocabulary;

use anyhow::{anyhow, bail, Context, Result};
use ib_estimators::{
    binned_conditional_entropy, binned_entropy, binned_mutual_information,
    gaussian_conditional_entropy, gaussian_entropy, gaussian_mutual_information,
    kl_conditional_entropy, kl_entropy, ksg_mutual_information, Binning, Correction, Estimate,
    EstimatorError, KnnParams, KsgAlgorithm, Norm,
};
use ndarray::{Array2, ArrayView2, Ix2};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use std::ops::Range;

use crate::input::{self, ColRange, InputSpec};
pub use report::EstimateReport;
pub use vocabulary::{Method, NormArg, Quantity, DEFAULT_BINS, DEFAULT_K};

/// One `estimate` request: the command line's flags, as the estimate needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRequest {
    /// What to estimate.
    pub quantity: Quantity,
    /// INPUT[:KEY].
    pub input: String,
    /// The estimator.
    pub method: Method,
    /// Neighbour order [default: [`DEFAULT_K`]].
    pub k: Option<usize>,
    /// Bins per column [default: [`DEFAULT_BINS`]].
    pub bins: Option<usize>,
    /// Distance norm of kl [default: max].
    pub norm: Option<NormArg>,
    /// Columns of X, `A:B`.
    pub x_cols: Option<String>,
    /// Columns of Y, `A:B`.
    pub y_cols: Option<String>,
    /// Covariance ridge of gaussian.
    pub ridge: Option<f64>,
    /// Standard deviation of seeded noise added before estimating.
    pub jitter: Option<f64>,
    /// Seed of the jitter and of the jackknife groups of `--ci`.
    pub seed: Option<u64>,
    /// Confidence level of the jackknife interval (`--ci`).
    pub ci: Option<f64>,
    /// Jackknife groups of `--ci` [default: `ib_estimators::interval::DEFAULT_GROUPS`].
    pub ci_groups: Option<usize>,
    /// Print a degenerate finite value (flagged) instead of refusing it.
    pub allow_degenerate: bool,
}

impl EstimateRequest {
    /// `quantity` by `method` on arrays (no INPUT), every option at its default.
    pub fn with_defaults(quantity: Quantity, method: Method) -> EstimateRequest {
        EstimateRequest {
            quantity,
            input: String::new(),
            method,
            k: None,
            bins: None,
            norm: None,
            x_cols: None,
            y_cols: None,
            ridge: None,
            jitter: None,
            seed: None,
            ci: None,
            ci_groups: None,
            allow_degenerate: false,
        }
    }

    /// Neighbour order, with its default.
    pub fn k(&self) -> usize {
        self.k.unwrap_or(DEFAULT_K)
    }

    /// Bins per column, with its default.
    pub fn bins(&self) -> usize {
        self.bins.unwrap_or(DEFAULT_BINS)
    }

    /// Covariance ridge, with its default (none).
    pub fn ridge(&self) -> f64 {
        self.ridge.unwrap_or(0.0)
    }
}

/// The finished estimate with everything the output needs.
#[derive(Debug, Clone)]
pub struct EstimateOutput {
    /// The estimate itself.
    pub estimate: Estimate,
    /// The `--json` object.
    pub report: EstimateReport,
    /// The human line.
    pub line: String,
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

/// True when every value of `a` is finite: a parallel scan of contiguous rows (the message of a
/// non-finite value, with its count and first position, is left to `input::check_finite`,
/// called only when this is false, so the outcome is the same as calling it alone).
fn all_finite(a: ArrayView2<f64>) -> bool {
    match a.as_slice() {
        Some(s) => s.par_iter().all(|v| v.is_finite()),
        None => false,
    }
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
fn explain(err: EstimatorError, args: &EstimateRequest, file: &str, n: usize) -> anyhow::Error {
    match err {
        EstimatorError::TooFewSamples { .. } if args.method.is_knn() => {
            let k = args.k();
            // k + 1 rows are needed (the row itself and k neighbours); k + 1 may not fit.
            let needed = match k.checked_add(1) {
                Some(rows) => format!("at least {rows} rows"),
                None => "more rows than any input can hold".to_string(),
            };
            let fix = match n.checked_sub(1) {
                Some(most) if most >= 1 => format!("use --k {most} or lower"),
                _ => "pass more rows".to_string(),
            };
            anyhow!(
                "--k {k}: '{file}' has {n} rows, but the k-th neighbour needs k < N ({needed}) — {fix}"
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
pub fn run(args: &EstimateRequest) -> Result<EstimateOutput> {
    validate::validate(args)?;
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
    on_columns(args, x, y, (xr, yr), file)
}

/// The estimate on in-memory columns (the Python package's entry, ARCHITECTURE.md §3): X (N×dx)
/// and, for `mi` and `cond-entropy`, Y (N×dy), named 'x' and 'y' in their checks and `name` in
/// the other messages and in `input`. The output is the one `estimate` gives for a file holding
/// the matrix [X | Y] with `--x-cols 0:dx --y-cols dx:dx+dy`: the same checks, warnings,
/// degenerate-data rules, `--jitter` (added to [X | Y] row by row) and `--ci`. `args.input`,
/// `x_cols` and `y_cols` are ignored. Without `--jitter`, the estimators read X and Y where they
/// are (no copy).
pub fn run_columns(
    args: &EstimateRequest,
    x: ArrayView2<f64>,
    y: Option<ArrayView2<f64>>,
    name: &str,
) -> Result<EstimateOutput> {
    let dx = x.ncols();
    let yr = y.map(|y| dx..dx + y.ncols());
    let args = EstimateRequest {
        input: name.to_string(),
        x_cols: y.is_some().then(|| format!("0:{dx}")),
        y_cols: yr.as_ref().map(|r| format!("{}:{}", r.start, r.end)),
        ..args.clone()
    };
    validate::validate(&args)?;
    for (what, a) in [("x", Some(x)), ("y", y)] {
        let Some(a) = a else { continue };
        input::check_matrix_shape(a.shape(), what)?;
        if !all_finite(a) {
            input::check_finite(&a, what)?;
        }
    }
    if let Some(y) = y {
        if y.nrows() != x.nrows() {
            bail!(
                "'x' has {} rows but 'y' has {}: row i of x and row i of y must be one sample — pass \
                 arrays of the same length",
                x.nrows(),
                y.nrows()
            );
        }
    }
    let xr = 0..dx;
    let Some(sigma) = args.jitter else {
        return on_columns(&args, x, y, (xr, yr), name.to_string());
    };
    let mut m = match y {
        Some(y) => ndarray::concatenate(ndarray::Axis(1), &[x, y])?,
        None => x.to_owned(),
    };
    add_jitter(&mut m, sigma, args.seed.unwrap_or(0))?;
    let x = m.slice(ndarray::s![.., xr.clone()]);
    let y = yr.clone().map(|r| m.slice(ndarray::s![.., r]));
    on_columns(&args, x, y, (xr, yr), name.to_string())
}

/// The estimate, warnings, refusal, interval and report of X (and Y), the columns `xr` (and
/// `yr`) of the input `file` after any jitter.
fn on_columns(
    args: &EstimateRequest,
    x: ArrayView2<f64>,
    y: Option<ArrayView2<f64>>,
    (xr, yr): (Range<usize>, Option<Range<usize>>),
    file: String,
) -> Result<EstimateOutput> {
    let n = x.nrows();
    ci::check_groups(args, n, &file)?;

    let est = compute(args, x, y, &file, n)?;

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

    let (mut ci, mut ci_method) = (None, None);
    if args.ci.is_some() {
        let found = ci::interval(args, x, y, &est, |x, y| {
            compute(args, x, y, &file, x.nrows())
        })?;
        match found {
            ci::Ci::Interval(iv, method) => {
                ci = Some(iv);
                ci_method = Some(method);
            }
            ci::Ci::Unavailable(why) => warnings.push(why),
        }
    }

    let (k, bins, ridge) = (args.k(), args.bins(), args.ridge());
    let dx = xr.len();
    let dy = yr.as_ref().map(|r| r.len());
    let norm_name = match args.method {
        Method::Kl => Some(args.norm.unwrap_or(NormArg::Max).name()),
        Method::Ksg1 | Method::Ksg2 => Some("max"),
        _ => None,
    };
    let report = EstimateReport {
        bins: args.method.is_binned().then_some(bins),
        ci,
        ci_method,
        d: dx + dy.unwrap_or(0),
        degenerate: est.degenerate,
        dx,
        dy,
        input: file,
        jitter: args.jitter,
        k: args.method.is_knn().then_some(k),
        method: args.method.name(),
        n: est.n,
        nonfinite: est.nonfinite(),
        norm: norm_name,
        quantity: args.quantity.name(),
        ridge: (args.method == Method::Gaussian).then_some(ridge),
        seed: (args.jitter.is_some() || args.ci.is_some()).then(|| args.seed.unwrap_or(0)),
        units: "nats",
        value: est.value.is_finite().then_some(est.value),
        warnings,
        x_cols: format!("{}:{}", xr.start, xr.end),
        y_cols: yr.as_ref().map(|r| format!("{}:{}", r.start, r.end)),
    };
    let line = report.line(args.quantity.symbol());
    Ok(EstimateOutput {
        estimate: est,
        report,
        line,
    })
}

/// Calls the estimator the request names on the X (and Y) columns.
fn compute(
    args: &EstimateRequest,
    x: ArrayView2<f64>,
    y: Option<ArrayView2<f64>>,
    file: &str,
    n: usize,
) -> Result<Estimate> {
    let k = args.k();
    let norm = match args.norm.unwrap_or(NormArg::Max) {
        NormArg::Max => Norm::Max,
        NormArg::Euclidean => Norm::Euclidean,
    };
    let knn = || -> Result<KnnParams> {
        Ok(KnnParams::new(k)
            .map_err(|e| explain(e, args, file, n))?
            .with_norm(norm))
    };
    let bins = args.bins();
    let binning = || Binning::new(bins).map_err(|e| explain(e, args, file, n));
    let correction = if args.method == Method::BinnedMm {
        Correction::MillerMadow
    } else {
        Correction::PlugIn
    };
    let ridge = args.ridge();

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
    result.map_err(|e| explain(e, args, file, n))
}

/// Prints the estimate: the JSON object, or the human line (stdout) and warnings (stderr).
pub fn print(out: &EstimateOutput, as_json: bool) -> Result<()> {
    if as_json {
        println!(
            "{}",
            serde_json::to_string(&out.report).context("could not serialise the estimate")?
        );
    } else {
        println!("{}", out.line);
        for w in &out.report.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2};

    fn kl_request() -> EstimateRequest {
        EstimateRequest::with_defaults(Quantity::Entropy, Method::Kl)
    }

    #[test]
    fn all_finite_scans_contiguous_rows_and_defers_the_rest() {
        let x = Array2::from_shape_fn((300, 3), |(i, j)| (i * 3 + j) as f64 * 0.5 - 40.0);
        assert!(all_finite(x.view()));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut y = x.clone();
            y[[299, 2]] = bad;
            assert!(!all_finite(y.view()), "{bad}");
        }
        // Not contiguous: left to input::check_finite.
        assert!(!all_finite(x.slice(s![.., 1..]))); // rows with a stride
        assert!(!all_finite(x.t()));
    }

    #[test]
    fn non_finite_arrays_keep_the_message_of_check_finite() {
        let mut x = Array2::from_shape_fn((50, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        x[[7, 1]] = f64::NAN;
        x[[9, 0]] = f64::INFINITY;
        let expected = "'x': 2 non-finite value(s) (NaN or ±inf) out of 100, the first at row 7, \
                        column 1";
        // C-contiguous (the parallel scan, then the message) and Fortran-ordered (the message).
        let f = x.t().as_standard_layout().into_owned();
        for view in [x.view(), f.t()] {
            let err = run_columns(&kl_request(), view, None, "<arrays>").unwrap_err();
            assert!(
                err.to_string().starts_with(expected),
                "{err} (standard layout: {})",
                view.is_standard_layout()
            );
        }
    }
}
