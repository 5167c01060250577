//! `estimate --ci LEVEL`: the delete-a-group jackknife interval of one estimate
//! (ARCHITECTURE.md §4 "Intervals"; Shao & Tu, *The Jackknife and Bootstrap*, 1995, §2.1, §5.2).
//!
//! The rows (after `--jitter`, which is added once to the whole sample) are dealt into G groups
//! along a permutation seeded by `--seed`; the estimate is recomputed on the rows kept with each
//! group left out, and `ib_estimators::interval::jackknife_interval` turns the G replicates into
//! `θ̂ ± t_{G−1} · se`, centred on θ̂. The interval covers the sampling spread of θ̂, not the
//! estimator's bias. No interval (with a warning that says why) when θ̂ or any replicate is not
//! finite, is flagged degenerate, or fails.

use anyhow::{bail, Result};
use ib_estimators::interval::{
    jackknife, jackknife_interval, method_name, JackknifeGroups, DEFAULT_GROUPS,
};
use ib_estimators::Estimate;
use ndarray::{ArrayView2, Axis};

use super::EstimateRequest;

/// The interval of `--ci`, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Ci {
    /// `[lo, hi]` and the method name (`jackknife-20 t 95%`).
    Interval([f64; 2], String),
    /// No interval: the warning says why.
    Unavailable(String),
}

/// The number of jackknife groups `--ci` uses.
pub fn groups(args: &EstimateRequest) -> usize {
    args.ci_groups.unwrap_or(DEFAULT_GROUPS)
}

/// Refuses more groups than rows (exit 2), before any estimate is computed.
pub fn check_groups(args: &EstimateRequest, n: usize, file: &str) -> Result<()> {
    if args.ci.is_none() {
        return Ok(());
    }
    let g = groups(args);
    if g > n {
        let flag = match args.ci_groups {
            Some(_) => format!("--ci-groups {g}"),
            None => format!("--ci (with the default {DEFAULT_GROUPS} jackknife groups)"),
        };
        bail!(
            "{flag}: '{file}' has {n} rows, fewer than the {g} groups — use --ci-groups {} or fewer",
            n.max(2)
        );
    }
    Ok(())
}

/// A replicate the jackknife cannot use.
struct Unusable {
    group: usize,
    kept: usize,
    why: String,
}

/// The `--ci` interval of `est`, the estimate on all rows of `x` (and `y`); `estimate_on(x, y)`
/// recomputes it on a subset of the rows.
pub fn interval<F>(
    args: &EstimateRequest,
    x: ArrayView2<f64>,
    y: Option<ArrayView2<f64>>,
    est: &Estimate,
    mut estimate_on: F,
) -> Result<Ci>
where
    F: FnMut(ndarray::ArrayView2<f64>, Option<ndarray::ArrayView2<f64>>) -> Result<Estimate>,
{
    let Some(level) = args.ci else {
        bail!("internal: interval() without --ci");
    };
    if let Some(s) = est.nonfinite() {
        return Ok(Ci::Unavailable(format!(
            "--ci: no interval, the estimate is {s}"
        )));
    }
    if est.degenerate {
        return Ok(Ci::Unavailable(
            "--ci: no interval, the estimate is degenerate (see the other warnings)".to_string(),
        ));
    }
    let g = groups(args);
    let groups = JackknifeGroups::seeded(x.nrows(), g, args.seed.unwrap_or(0))?;
    let replicates = jackknife(&groups, |j, rows| {
        let unusable = |why: String| Unusable {
            group: j,
            kept: rows.len(),
            why,
        };
        let xs = x.select(Axis(0), rows);
        let ys = y.map(|y| y.select(Axis(0), rows));
        let rep = estimate_on(xs.view(), ys.as_ref().map(|y| y.view())).map_err(|e| {
            unusable(format!(
                "failed ({e:#}); fewer --ci-groups keep more rows in each estimate"
            ))
        })?;
        if let Some(s) = rep.nonfinite() {
            return Err(unusable(format!(
                "is {s} ({}); --jitter SIGMA breaks ties",
                rep.warning_messages().join("; ")
            )));
        }
        if rep.degenerate {
            return Err(unusable(format!(
                "is degenerate ({}); --jitter SIGMA breaks ties",
                rep.warning_messages().join("; ")
            )));
        }
        Ok(rep.value)
    });
    let replicates = match replicates {
        Ok(r) => r,
        Err(u) => {
            return Ok(Ci::Unavailable(format!(
            "--ci: no interval, the estimate without jackknife group {} of {g} ({} rows kept) {}",
            u.group + 1,
            u.kept,
            u.why
        )))
        }
    };
    Ok(match jackknife_interval(est.value, &replicates, level) {
        Some(iv) => Ci::Interval([iv.lo, iv.hi], method_name(g, level)),
        None => Ci::Unavailable(format!(
            "--ci: no interval, the jackknife standard error over {g} groups is not finite"
        )),
    })
}
