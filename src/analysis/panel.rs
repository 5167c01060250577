//! The collapse-metric panel of one tensor (ARCHITECTURE.md §4, the metric panel): α-ReQ,
//! LiDAR, alignment, uniformity, the TwoNN intrinsic dimension and NC1, computed with
//! [`ib_estimators::panel`] and written into the tensor's record, with labels also the
//! per-class spread behind the report's class-structure chart (`TensorRecord::classes`).
//!
//! A metric whose input is missing (no views, no labels) or that cannot be computed from it
//! (K = 1, one class, too few rows, a flat spectrum) is recorded as `null` with the reason in
//! `unavailable`, never as NaN. Uniformity uses at most [`UNIFORMITY_MAX_ROWS`] rows, TwoNN and
//! NC1 at most the kNN monitor's cap (`knn.max_rows`): above, the first rows of the seeded
//! content-hash order (the information estimates' and the kNN monitor's subsample), recorded in
//! `subsamples`.

use ib_estimators::panel::alpha_req::{self, FitRange};
use ib_estimators::panel::{classes, isotropic, lidar, nc1, sphere, twonn};
use ib_estimators::EstimatorError;
use ib_reports::record::{ClassSpread, ClassStructure, PowerLawFit, Subsample, TensorRecord};
use ndarray::{CowArray, Ix2};

use super::{Rows, Views};

pub use sphere::UNIFORMITY_MAX_ROWS;

/// The inputs of the panel beyond the tensor's rows.
pub struct PanelInputs<'a> {
    /// K views of N′ inputs through the same network as the tensor (LiDAR, alignment), or the
    /// reason there are none.
    pub views: Result<Views<'a>, String>,
    /// One class label per row (NC1), or the reason there are none.
    pub labels: Result<&'a [i64], String>,
    /// The ranks of α-ReQ's fit (`[panel]`).
    pub alpha_range: FitRange,
    /// Seed of the row subsamples (the run's information seed).
    pub seed: u64,
    /// Most rows of TwoNN and NC1 (the kNN monitor's `knn.max_rows`).
    pub max_rows: usize,
    /// The seeded row order whose first rows are the subsample (`info::subsample_order`, the
    /// information estimates' and the kNN monitor's; passed in, as the information layer
    /// builds on this one).
    pub subsample_order: fn(Rows, u64) -> Vec<usize>,
}

/// Why there are no views in `analyze` without `--views`.
pub const NO_VIEWS: &str =
    "no views: pass --views with K ≥ 2 augmented views of N′ inputs (N′×K×d)";

/// Why a snapshot tensor other than `online.projector` has no views (in `run` and in a series
/// of its snapshots alike).
pub fn views_of_the_projector(tensor: &str) -> String {
    format!("no views of {tensor}: the snapshot's views (views.projector) are of online.projector")
}

/// Why there are no labels in `analyze` without `--labels`.
pub const NO_LABELS: &str = "no labels: pass --labels with one class per row";

/// Adds the panel's metrics, the isotropic-Gaussian references and the α-ReQ fit to `rec`, the
/// finite record of the N×d rows `z` whose centred singular values (descending) are `centred`.
pub fn add_panel(rec: &mut TensorRecord, z: Rows, centred: &[f64], p: &PanelInputs) {
    let (n, d) = z.dim();
    for (name, value) in isotropic::reference_values(n, d) {
        rec.reference.insert(name.to_string(), value);
    }
    let put = |rec: &mut TensorRecord, name: &str, value: Result<f64, String>| match value {
        Ok(v) if v.is_finite() => {
            rec.metrics.insert(name.to_string(), Some(v));
        }
        Ok(v) => unavailable(rec, name, format!("the value is not finite ({v})")),
        Err(reason) => unavailable(rec, name, reason),
    };

    // α-ReQ on the covariance eigenvalues of ranks 1..min(N−1, d).
    let eigen = alpha_req::covariance_eigenvalues(centred, n);
    match alpha_req::alpha_req(&eigen, p.alpha_range) {
        Ok(fit) => {
            put(rec, "alpha_req", Ok(fit.alpha));
            put(
                rec,
                "alpha_req_r2",
                fit.r2.ok_or_else(|| {
                    "every ln λ of the fit is equal (a flat spectrum): R² is undefined".to_string()
                }),
            );
            rec.alpha_req_fit = Some(PowerLawFit {
                first_rank: fit.first_rank,
                last_rank: fit.last_rank,
                intercept: fit.intercept,
                alpha: fit.alpha,
            });
        }
        Err(e) => {
            let reason = format!("α-ReQ: {e}");
            put(rec, "alpha_req", Err(reason.clone()));
            put(rec, "alpha_req_r2", Err(reason));
        }
    }

    // LiDAR and alignment from the views.
    match &p.views {
        Ok(Views::Array(v)) => {
            let l = lidar::lidar(*v).map_err(|e| views_reason(&e));
            if l.is_ok() {
                // N′ views' means span at most N′ − 1 directions: LiDAR's largest value.
                let (inputs, _, d) = v.dim();
                rec.metrics
                    .insert("lidar_cap".into(), Some((inputs - 1).min(d) as f64));
            }
            put(rec, "lidar", l);
            let a = sphere::alignment(*v).map_err(|e| views_reason(&e));
            if let Ok(a) = &a {
                if a.skipped > 0 {
                    rec.warnings.push(format!(
                        "alignment leaves out {} of {} inputs with a view of norm 0 (no direction)",
                        a.skipped,
                        a.skipped + a.inputs
                    ));
                }
            }
            put(rec, "alignment", a.map(|a| a.value));
        }
        Ok(Views::Rows(_)) => {
            let reason =
                "one view per input (K = 1): LiDAR and alignment need K ≥ 2 views of each input";
            put(rec, "lidar", Err(reason.into()));
            put(rec, "alignment", Err(reason.into()));
        }
        Err(reason) => {
            put(rec, "lidar", Err(reason.clone()));
            put(rec, "alignment", Err(reason.clone()));
        }
    }

    // Uniformity, TwoNN and NC1 on the rows (seeded subsamples of large inputs).
    let order = (n > UNIFORMITY_MAX_ROWS.min(p.max_rows)).then(|| (p.subsample_order)(z, p.seed));
    let take = |cap: usize| -> (CowArray<f64, Ix2>, Option<Vec<usize>>) {
        match &order {
            Some(o) if n > cap => {
                let sel = o[..cap].to_vec();
                (CowArray::from(z.select(&sel)), Some(sel))
            }
            _ => (z.to_f64(), None),
        }
    };
    let subsample = |rec: &mut TensorRecord, name: &str, sel: &Option<Vec<usize>>| {
        if let Some(sel) = sel {
            rec.subsamples.insert(
                name.to_string(),
                Subsample {
                    rows: sel.len(),
                    of: n,
                    seed: p.seed,
                },
            );
        }
    };

    let (rows, sel) = take(UNIFORMITY_MAX_ROWS);
    let u = sphere::uniformity(rows.view()).map_err(|e| e.to_string());
    if let Ok(u) = &u {
        if u.zero_rows > 0 {
            rec.warnings.push(format!(
                "uniformity leaves out {} rows of norm 0 (no direction)",
                u.zero_rows
            ));
        }
        subsample(rec, "uniformity", &sel);
    }
    put(rec, "uniformity", u.map(|u| u.value));

    // TwoNN and NC1 share one copy when their cap is the uniformity's.
    let (rows, sel) = if p.max_rows == UNIFORMITY_MAX_ROWS {
        (rows, sel)
    } else {
        drop(rows);
        take(p.max_rows)
    };
    let t = twonn::two_nn(rows.view()).map_err(|e| e.to_string());
    if let Ok(t) = &t {
        if t.duplicates > 0 {
            rec.warnings.push(format!(
                "TwoNN leaves out {} rows with an exact duplicate (first-neighbour distance 0)",
                t.duplicates
            ));
        }
        subsample(rec, "intrinsic_dim", &sel);
    }
    put(rec, "intrinsic_dim", t.map(|t| t.dimension));

    let c = match p.labels {
        Ok(labels) if labels.len() != n => Err(format!(
            "{} labels for {n} rows: NC1 needs one label per row",
            labels.len()
        )),
        Ok(labels) => {
            let y: Vec<i64> = match &sel {
                Some(sel) => sel.iter().map(|&i| labels[i]).collect(),
                None => labels.to_vec(),
            };
            let c = nc1::nc1(rows.view(), &y).map_err(|e| e.to_string());
            if c.is_ok() {
                subsample(rec, "nc1", &sel);
            }
            // The class-structure chart's data, on NC1's rows (it needs no second class).
            if let Ok(spread) = classes::class_spread(rows.view(), &y) {
                rec.classes = Some(ClassStructure {
                    rows: y.len(),
                    classes: spread
                        .into_iter()
                        .map(|s| ClassSpread {
                            label: s.label,
                            count: s.count,
                            radius: s.radius,
                            nearest: s.nearest,
                        })
                        .collect(),
                });
            }
            c
        }
        Err(ref reason) => Err(reason.clone()),
    };
    put(rec, "nc1", c);
}

/// Records `name` as null with `reason`.
fn unavailable(rec: &mut TensorRecord, name: &str, reason: String) {
    rec.metrics.insert(name.to_string(), None);
    rec.unavailable.insert(name.to_string(), reason);
}

/// The reason an estimator gives about the views.
fn views_reason(e: &EstimatorError) -> String {
    format!("views: {e}")
}
