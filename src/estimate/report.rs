//! What `estimate` prints: the `--json` object (ARCHITECTURE.md §3) and the human line.

use serde::Serialize;

/// The `estimate --json` object. Fields are declared in alphabetical order, the key order of
/// every JSON object this tool prints (ARCHITECTURE.md §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateReport {
    /// Bins per column (binned methods).
    pub bins: Option<usize>,
    /// `[lo, hi]` of the `--ci` interval (ARCHITECTURE.md §4 "Intervals"); null without
    /// `--ci` or when there is none (a warning says why).
    pub ci: Option<[f64; 2]>,
    /// How the interval was made, e.g. `jackknife-20 t 95%`; null when `ci` is.
    pub ci_method: Option<String>,
    /// The sum of the X and Y widths.
    pub d: usize,
    /// The estimate flagged itself as degenerate (ties, collapse, constant columns).
    pub degenerate: bool,
    /// Width of X.
    pub dx: usize,
    /// Width of Y (mi, cond-entropy).
    pub dy: Option<usize>,
    /// The file (and key) read.
    pub input: String,
    /// The noise standard deviation of `--jitter`.
    pub jitter: Option<f64>,
    /// Neighbour order (k-NN methods).
    pub k: Option<usize>,
    /// The estimator's command-line word.
    pub method: &'static str,
    /// Rows used.
    pub n: usize,
    /// `"-inf"`, `"inf"` or `"nan"` when the value is not finite.
    pub nonfinite: Option<&'static str>,
    /// The distance norm (k-NN methods).
    pub norm: Option<&'static str>,
    /// The quantity's command-line word.
    pub quantity: &'static str,
    /// Covariance ridge (gaussian).
    pub ridge: Option<f64>,
    /// Seed of the jitter noise and of the jackknife groups (with `--jitter` or `--ci`).
    pub seed: Option<u64>,
    /// Always `"nats"`.
    pub units: &'static str,
    /// The estimate, when finite.
    pub value: Option<f64>,
    /// Findings that accompany the value.
    pub warnings: Vec<String>,
    /// Columns of X, `A:B`.
    pub x_cols: String,
    /// Columns of Y, `A:B`.
    pub y_cols: Option<String>,
}

impl EstimateReport {
    /// The human line, e.g. `H(X) = 1.4189 nats (kl, k=3, max-norm, N=2000, d=1)`; with `--ci`
    /// `H(X) = 1.4189 [lo, hi] nats (…, d=1, jackknife-20 t 95%, seed=0)`.
    pub fn line(&self, symbol: &str) -> String {
        let mut params = vec![self.method.to_string()];
        if let Some(k) = self.k {
            params.push(format!("k={k}"));
        }
        if let Some(nm) = self.norm {
            params.push(format!("{nm}-norm"));
        }
        if let Some(bins) = self.bins {
            params.push(format!("bins={bins}"));
        }
        if let Some(ridge) = self.ridge {
            params.push(format!("ridge={ridge:e}"));
        }
        if let Some(s) = self.jitter {
            params.push(format!("jitter={s:e} seed={}", self.seed.unwrap_or(0)));
        }
        params.push(format!("N={}", self.n));
        match self.dy {
            None => params.push(format!("d={}", self.dx)),
            Some(dy) => params.push(format!("dx={}, dy={dy}", self.dx)),
        }
        if let Some(method) = &self.ci_method {
            params.push(method.clone());
            if self.jitter.is_none() {
                params.push(format!("seed={}", self.seed.unwrap_or(0)));
            }
        }
        let mut value = match (self.value, self.nonfinite) {
            (Some(v), _) => format!("{v:.4}"),
            (None, Some(s)) => s.to_string(),
            (None, None) => "nan".to_string(),
        };
        if let Some([lo, hi]) = self.ci {
            value.push_str(&format!(" [{lo:.4}, {hi:.4}]"));
        }
        let mut line = format!("{symbol} = {value} nats ({})", params.join(", "));
        if self.degenerate {
            line.push_str(" [degenerate: see the warnings]");
        }
        line
    }
}
