//! The plug-in families on a discretised V: the ε-grid (`binned`) and single-linkage merging
//! at distance ε (`merge`), with bootstrap intervals over inputs.

use ib_estimators::binned::{grid_labels, linkage_labels, ViewCounts, ViewEntropies};

use crate::info::bootstrap::{bootstrap_weights, interval};
use crate::info::config::{Family, InfoConfig};
use crate::info::rows::{Ctx, Parts};
use crate::info::space::SpaceData;

/// Rows of a plug-in family; returns the Lagrangian parts per scale.
pub(in crate::info) fn plugin_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    k: Option<usize>,
    fam: Family,
    name: &str,
    scales: &[f64],
    cfg: &InfoConfig,
) -> Vec<(f64, Parts)> {
    let (points, kk) = match (&sd.u, k) {
        (Some(u), Some(k)) => (u, k),
        _ => (&sd.clean, 1),
    };
    let with_views = k.is_some();
    let n = points.nrows() / kk;
    let labels_u: Vec<Vec<usize>> = match fam {
        Family::Merge => linkage_labels(points.view(), scales),
        _ => scales
            .iter()
            .map(|&e| grid_labels(points.view(), e))
            .collect(),
    };
    // V' = V exactly (no target network, or one equal to the online network): same labels.
    let labels_w: Option<Vec<Vec<usize>>> = sd.w.as_ref().filter(|_| with_views).map(|w| {
        if sd.u.as_ref() == Some(w) {
            return labels_u.clone();
        }
        match fam {
            Family::Merge => linkage_labels(w.view(), scales),
            _ => scales.iter().map(|&e| grid_labels(w.view(), e)).collect(),
        }
    });
    let weights = bootstrap_weights(n, cfg.bootstrap, cfg.seed, 0xD15C);
    let ones = vec![1.0; n];
    let mut parts = Vec::new();
    for (s, &scale) in scales.iter().enumerate() {
        let data = ViewCounts::new(
            n,
            kk,
            &labels_u[s],
            labels_w.as_ref().map(|l| l[s].as_slice()),
        );
        let v = data.evaluate(&ones);
        let reps: Vec<ViewEntropies> = weights.iter().map(|m| data.evaluate(m)).collect();
        let ci = |f: &dyn Fn(&ViewEntropies) -> f64| {
            interval(reps.iter().map(f).collect(), cfg.bootstrap)
        };
        let mut warns = sd.warnings.clone();
        let cells = labels_u[s].iter().max().map_or(0, |m| m + 1);
        if cells == points.nrows() && points.nrows() > 1 {
            warns.push(format!(
                "every one of the {} points has its own cell at this scale: H(V) = ln of the sample size",
                points.nrows()
            ));
        }
        let sc = Some(scale);
        ctx.push(
            "H(V)",
            name,
            sc,
            sd.dim,
            v.h_v,
            ci(&|r| r.h_v),
            warns.clone(),
        );
        let mut p = Parts {
            h_v: Some(v.h_v),
            ..Parts::default()
        };
        if with_views {
            ctx.push(
                "H(V|X)",
                name,
                sc,
                sd.dim,
                v.h_vx,
                ci(&|r| r.h_vx),
                warns.clone(),
            );
            ctx.push(
                "I(X;V)",
                name,
                sc,
                sd.dim,
                v.i_xv,
                ci(&|r| r.i_xv),
                warns.clone(),
            );
            p.h_vx = Some(v.h_vx);
            p.i_xv = Some(v.i_xv);
            if let Some((i, h)) = v.pair {
                let ci_i = ci(&|r| r.pair.map_or(f64::NAN, |x| x.0));
                let ci_h = ci(&|r| r.pair.map_or(f64::NAN, |x| x.1));
                ctx.push("I(V;V')", name, sc, sd.dim, i, ci_i, warns.clone());
                ctx.push("H(V|V')", name, sc, sd.dim, h, ci_h, warns.clone());
                p.i_vv = Some(i);
                p.h_v_vp = Some(h);
            }
        }
        parts.push((scale, p));
    }
    parts
}
