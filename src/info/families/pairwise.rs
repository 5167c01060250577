//! The pairwise family (`pairwise-kl`, `pairwise-bhat`): Kolchinsky–Tracey bounds on the
//! Gaussian channel V + σN(0, I) ([`ib_estimators::pairwise`]).

use ib_estimators::pairwise::{joint_entropy, Kernel, KernelCache, ViewDistances};

use crate::info::ci::Jackknife;
use crate::info::config::{InfoConfig, ScalePlan, Space, AUTO_PAIRWISE};
use crate::info::rows::{Ctx, Parts, ScalePoint};
use crate::info::space::SpaceData;

/// The widths σ of the plan: a configured list as it is; `"auto"`: σ = s·ρ for s in
/// [`AUTO_PAIRWISE`], ρ = 1 on the unit sphere (no rule: absolute) and `radius` (the rows'
/// root-mean-square norm) in `raw`, rule `s×rms`.
fn sigmas(plan: &ScalePlan, space: Space, radius: f64) -> Vec<ScalePoint> {
    match plan {
        ScalePlan::Fixed(list) => list
            .iter()
            .map(|&s| ScalePoint {
                value: Some(s),
                rule: None,
            })
            .collect(),
        ScalePlan::Auto => AUTO_PAIRWISE
            .iter()
            .map(|&s| match space {
                Space::L2 => ScalePoint {
                    value: Some(s),
                    rule: None,
                },
                Space::Raw => ScalePoint {
                    value: Some(s * radius),
                    rule: Some(format!("{s}×rms")),
                },
            })
            .collect(),
    }
}

/// Rows of the pairwise family (`pairwise-kl`, `pairwise-bhat`).
pub(in crate::info) fn pairwise_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    k: Option<usize>,
    plan: &ScalePlan,
    radius: f64,
    cfg: &InfoConfig,
) -> Vec<(String, Vec<(ScalePoint, Parts)>)> {
    let points_all = sigmas(plan, ctx.space, radius);
    let scales: Vec<f64> = points_all.iter().filter_map(|p| p.value).collect();
    let (points, kk) = match (&sd.u, k) {
        (Some(u), Some(k)) => (u, k),
        _ => (&sd.clean, 1),
    };
    let with_views = k.is_some();
    let n = points.nrows() / kk;
    let nq = cfg.pairwise_queries.min(n);
    let du = ViewDistances::new(points.view(), n, kk, nq);
    let w_same = sd.w.is_some() && sd.w == sd.u;
    let dw =
        sd.w.as_ref()
            .filter(|_| with_views && !w_same)
            .map(|w| ViewDistances::new(w.view(), n, kk, nq));
    // Widths: σ (KL) and 2σ (Bhattacharyya), each computed once.
    let mut widths: Vec<f64> = scales.iter().flat_map(|&s| [s, 2.0 * s]).collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();
    struct At {
        h_v: f64,
        h_vx: f64,
        ci_h_v: Option<(f64, f64)>,
        ci_h_vx: Option<(f64, f64)>,
        ci_i_xv: Option<(f64, f64)>,
        pair: Option<(f64, f64)>,
    }
    let jack = Jackknife::new(n, cfg);
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let weights: Vec<Vec<f64>> = jack.iter().flat_map(|j| j.weights()).collect();
    let ones = vec![1.0; n];
    // Largest width first, so that halvings reuse the kernel values (see `Kernel::new`).
    widths.reverse();
    let (mut eu, mut ew) = (KernelCache::default(), KernelCache::default());
    let at: Vec<At> = widths
        .iter()
        .map(|&s| {
            let kv = Kernel::new(&du, s, &mut eu);
            let h_v = kv.h_v(&ones).unwrap_or(f64::NAN);
            let h_vx = kv.h_vx(&ones);
            let (mut r_hv, mut r_hvx, mut r_i) = (Vec::new(), Vec::new(), Vec::new());
            for m in &weights {
                let hv = kv.h_v(m).unwrap_or(f64::NAN);
                let hvx = kv.h_vx(m);
                r_hv.push(hv);
                r_hvx.push(hvx);
                r_i.push(hv - hvx);
            }
            let pair = if w_same && with_views {
                let h_j = joint_entropy(&kv, &kv);
                Some((2.0 * h_v - h_j, h_j - h_v))
            } else {
                dw.as_ref().map(|dw| {
                    let kw = Kernel::new(dw, s, &mut ew);
                    let h_w = kw.h_v(&ones).unwrap_or(f64::NAN);
                    let h_j = joint_entropy(&kv, &kw);
                    (h_v + h_w - h_j, h_j - h_w)
                })
            };
            let iv = |est: f64, r: &[f64]| jack.as_ref().and_then(|j| j.interval(est, r));
            At {
                h_v,
                h_vx,
                ci_h_v: iv(h_v, &r_hv),
                ci_h_vx: iv(h_vx, &r_hvx),
                ci_i_xv: iv(h_v - h_vx, &r_i),
                pair,
            }
        })
        .collect();
    let find = |s: f64| &at[widths.iter().position(|&w| w == s).expect("width computed")];
    let mut out = Vec::new();
    for (name, factor) in [("pairwise-kl", 1.0), ("pairwise-bhat", 2.0)] {
        let mut parts = Vec::new();
        for point in &points_all {
            let Some(sigma) = point.value else { continue };
            let a = find(factor * sigma);
            let mut warns = sd.warnings.clone();
            if nq < n {
                warns.push(format!(
                    "H(V) and the pair terms averaged over {nq} of {n} query inputs"
                ));
            }
            ctx.push_at(
                "H(V)",
                name,
                point,
                None,
                sd.dim,
                a.h_v,
                a.ci_h_v,
                warns.clone(),
            );
            let mut p = Parts {
                h_v: Some(a.h_v),
                ..Parts::default()
            };
            if with_views {
                let i_xv = a.h_v - a.h_vx;
                ctx.push_at(
                    "H(V|X)",
                    name,
                    point,
                    None,
                    sd.dim,
                    a.h_vx,
                    a.ci_h_vx,
                    warns.clone(),
                );
                ctx.push_at(
                    "I(X;V)",
                    name,
                    point,
                    None,
                    sd.dim,
                    i_xv,
                    a.ci_i_xv,
                    warns.clone(),
                );
                p.h_vx = Some(a.h_vx);
                p.i_xv = Some(i_xv);
                if let Some((i, h)) = a.pair {
                    ctx.push_at("I(V;V')", name, point, None, sd.dim, i, None, warns.clone());
                    ctx.push_at("H(V|V')", name, point, None, sd.dim, h, None, warns.clone());
                    p.i_vv = Some(i);
                    p.h_v_vp = Some(h);
                }
            }
            parts.push((point.clone(), p));
        }
        out.push((name.to_string(), parts));
    }
    out
}
