//! Building the output rows: one [`InfoRow`] per value, and the parts of the Lagrangian rows.

use ib_estimators::{Estimate, EstimatorError};
use ib_reports::record::InfoRow;

use super::config::Space;

/// Row-building context of one tensor and space.
pub(super) struct Ctx<'a> {
    pub tensor: &'a str,
    pub space: Space,
    /// Inputs of the clean rows used.
    pub rows: usize,
    /// Inputs of the views used, when there are views.
    pub view_rows: Option<usize>,
    /// The rows pushed next come from the views (their `rows` is `view_rows`).
    pub on_views: bool,
    /// The `ci_method` of the rows pushed next with an interval.
    pub ci_method: Option<String>,
    pub seed: u64,
    pub out: Vec<InfoRow>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        quantity: &str,
        estimator: &str,
        scale: Option<f64>,
        dim: usize,
        value: f64,
        ci: Option<(f64, f64)>,
        warnings: Vec<String>,
    ) {
        let (value, nonfinite) = finite_or_word(value);
        self.out.push(InfoRow {
            tensor: self.tensor.to_string(),
            quantity: quantity.to_string(),
            estimator: estimator.to_string(),
            space: self.space.as_str().to_string(),
            scale,
            dim,
            value,
            nonfinite,
            ci: if value.is_some() { ci } else { None },
            ci_method: if value.is_some() && ci.is_some() {
                self.ci_method.clone()
            } else {
                None
            },
            scale_rule: None,
            saturated: None,
            rows: Some(match (self.on_views, self.view_rows) {
                (true, Some(v)) => v,
                _ => self.rows,
            }),
            seed: Some(self.seed),
            warnings,
        });
    }

    /// A row at a scale of a plug-in or pairwise family: its value, rule and saturation
    /// (`None` for families without cells).
    #[allow(clippy::too_many_arguments)]
    pub fn push_at(
        &mut self,
        quantity: &str,
        estimator: &str,
        scale: &ScalePoint,
        saturated: Option<bool>,
        dim: usize,
        value: f64,
        ci: Option<(f64, f64)>,
        warnings: Vec<String>,
    ) {
        self.push(quantity, estimator, scale.value, dim, value, ci, warnings);
        if let Some(r) = self.out.last_mut() {
            r.scale_rule = scale.rule.clone();
            r.saturated = saturated;
        }
    }

    /// A row from an estimator result: degenerate estimates become value None with the true
    /// value's word (`degenerate_word`) and the warnings.
    #[allow(clippy::too_many_arguments)]
    pub fn push_estimate(
        &mut self,
        quantity: &str,
        estimator: &str,
        dim: usize,
        est: Result<Estimate, EstimatorError>,
        degenerate_word: f64,
        ci: Option<(f64, f64)>,
        extra: &[String],
    ) {
        let mut warnings: Vec<String> = extra.to_vec();
        match est {
            Ok(e) => {
                warnings.extend(e.warning_messages());
                let v = if e.degenerate {
                    degenerate_word
                } else {
                    e.value
                };
                self.push(quantity, estimator, None, dim, v, ci, warnings);
            }
            Err(err) => {
                warnings.push(format!("not computed: {err}"));
                self.push(quantity, estimator, None, dim, f64::NAN, None, warnings);
            }
        }
    }
}

fn finite_or_word(v: f64) -> (Option<f64>, Option<String>) {
    if v.is_finite() {
        (Some(v), None)
    } else if v.is_nan() {
        (None, Some("nan".into()))
    } else if v > 0.0 {
        (None, Some("inf".into()))
    } else {
        (None, Some("-inf".into()))
    }
}

/// One scale of a plug-in or pairwise family: its absolute value (None when no width could be
/// chosen: every point equal) and, for a scale chosen from the sample, its rule (`cells 50%`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ScalePoint {
    pub value: Option<f64>,
    pub rule: Option<String>,
}

/// The parts of a Lagrangian at one scale.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Parts {
    /// Some part rests on a saturated estimate: no Lagrangian row.
    pub saturated: bool,
    pub h_v: Option<f64>,
    pub h_vx: Option<f64>,
    pub i_xv: Option<f64>,
    pub i_vv: Option<f64>,
    pub h_v_vp: Option<f64>,
}

/// The parts of a Lagrangian, all finite.
pub(super) struct Complete {
    pub h_v: f64,
    pub h_vx: f64,
    pub i_xv: f64,
    pub i_vv: f64,
    pub h_v_vp: f64,
}

impl Parts {
    /// Every part, if all are present and finite.
    pub fn complete(&self) -> Option<Complete> {
        if self.saturated {
            return None;
        }
        let f = |v: Option<f64>| v.filter(|x| x.is_finite());
        Some(Complete {
            h_v: f(self.h_v)?,
            h_vx: f(self.h_vx)?,
            i_xv: f(self.i_xv)?,
            i_vv: f(self.i_vv)?,
            h_v_vp: f(self.h_v_vp)?,
        })
    }
}
