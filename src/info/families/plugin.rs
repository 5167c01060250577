//! The plug-in families on a discretised V: the ε-grid (`binned`) and single-linkage merging
//! at distance ε (`merge`), with jackknife intervals over inputs and a saturation flag.
//!
//! Scales (ARCHITECTURE.md §5): a configured list is absolute (the grid anchored at the
//! origin); `"auto"` chooses, at each snapshot, the widths at which the analysed points occupy
//! about 50 %, 20 % and 5 % as many cells as there are points (the grid anchored at the
//! column minima, so that a wide cell holds everything; single-linkage thresholds from the
//! minimum spanning tree, exact). A row is `saturated` when at least 90 % as many cells as
//! points are occupied (nearly every point alone: the value is about ln of the sample size)
//! or all points share one cell (the value is 0), whatever the embedding.

use ib_estimators::binned::{
    column_minima, grid_labels, grid_labels_from, grid_width_for_cells, linkage_labels,
    linkage_width_for_components, mst_edge_lengths, occupied, ViewCounts, ViewEntropies,
};
use ndarray::Array2;

use crate::info::ci::Jackknife;
use crate::info::config::{Family, InfoConfig, ScalePlan, AUTO_CELL_FRACTIONS};
use crate::info::rows::{Ctx, Parts, ScalePoint};
use crate::info::space::SpaceData;

/// Labels of V (and V') at one scale.
struct Level {
    scale: ScalePoint,
    u: Vec<usize>,
    w: Option<Vec<usize>>,
    note: Option<String>,
}

/// True when `cells` occupied cells for `points` points say nothing about the embedding.
fn saturated(cells: usize, points: usize) -> bool {
    points > 1 && (cells * 10 >= points * 9 || cells == 1)
}

/// The occupancy target (number of cells) of the fraction `f` of `p` points.
fn target(f: f64, p: usize) -> usize {
    ((f * p as f64).round() as usize).clamp(2, p.saturating_sub(1).max(2))
}

/// The grid widths of the automatic rules, one per fraction; None where every point is equal.
fn auto_grid(points: &Array2<f64>) -> (Vec<f64>, Vec<Option<f64>>) {
    let origin = column_minima(points.view());
    let p = points.nrows();
    let widths = AUTO_CELL_FRACTIONS
        .iter()
        .map(|&f| grid_width_for_cells(points.view(), &origin, target(f, p)).map(|(e, _)| e))
        .collect();
    (origin, widths)
}

/// The single-linkage thresholds of the automatic rules: the cut of the minimum spanning tree
/// closest to each target where no two edges tie.
fn auto_merge(points: &Array2<f64>) -> Vec<Option<f64>> {
    let edges = mst_edge_lengths(points.view());
    let p = points.nrows();
    AUTO_CELL_FRACTIONS
        .iter()
        .map(|&f| {
            let t = target(f, p);
            (0..p).find_map(|d| {
                [t.checked_sub(d), t.checked_add(d)]
                    .into_iter()
                    .flatten()
                    .find_map(|c| linkage_width_for_components(&edges, c))
            })
        })
        .collect()
}

fn rule(f: f64) -> String {
    format!("cells {}%", (f * 100.0).round())
}

/// The labels of every scale of the plan.
fn levels(sd: &SpaceData, points: &Array2<f64>, fam: Family, plan: &ScalePlan) -> Vec<Level> {
    let w = sd.w.as_ref().filter(|_| sd.u.is_some());
    let same_w = w.is_some() && sd.u.as_ref() == w;
    let grid_w = |eps: f64, anchored: bool| -> Option<Vec<usize>> {
        let w = w.filter(|_| !same_w)?;
        Some(if anchored {
            grid_labels_from(w.view(), eps, &column_minima(w.view()))
        } else {
            grid_labels(w.view(), eps)
        })
    };
    let one_cell = |scale: ScalePoint| Level {
        scale,
        u: vec![0; points.nrows()],
        w: w.filter(|_| !same_w).map(|w| vec![0; w.nrows()]),
        note: Some(format!(
            "the {} points are all equal: no width separates them, one cell",
            points.nrows()
        )),
    };
    match (plan, fam) {
        (ScalePlan::Fixed(scales), Family::Merge) => {
            let lu = linkage_labels(points.view(), scales);
            let mut lw = w
                .filter(|_| !same_w)
                .map(|w| linkage_labels(w.view(), scales).into_iter());
            scales
                .iter()
                .zip(lu)
                .map(|(&s, u)| Level {
                    scale: ScalePoint {
                        value: Some(s),
                        rule: None,
                    },
                    u,
                    w: lw.as_mut().and_then(Iterator::next),
                    note: None,
                })
                .collect()
        }
        (ScalePlan::Fixed(scales), _) => scales
            .iter()
            .map(|&s| Level {
                scale: ScalePoint {
                    value: Some(s),
                    rule: None,
                },
                u: grid_labels(points.view(), s),
                w: grid_w(s, false),
                note: None,
            })
            .collect(),
        (ScalePlan::Auto, Family::Merge) => {
            let eps = auto_merge(points);
            let found: Vec<f64> = eps.iter().flatten().copied().collect();
            let mut lu = linkage_labels(points.view(), &found).into_iter();
            let mut lw = w
                .filter(|_| !same_w)
                .map(|w| linkage_labels(w.view(), &found).into_iter());
            AUTO_CELL_FRACTIONS
                .iter()
                .zip(eps)
                .map(|(&f, e)| {
                    let scale = ScalePoint {
                        value: e,
                        rule: Some(rule(f)),
                    };
                    match (e, lu.next()) {
                        (Some(_), Some(u)) => Level {
                            scale,
                            u,
                            w: lw.as_mut().and_then(Iterator::next),
                            note: None,
                        },
                        _ => one_cell(scale),
                    }
                })
                .collect()
        }
        (ScalePlan::Auto, _) => {
            let (origin, widths) = auto_grid(points);
            AUTO_CELL_FRACTIONS
                .iter()
                .zip(widths)
                .map(|(&f, e)| {
                    let scale = ScalePoint {
                        value: e,
                        rule: Some(rule(f)),
                    };
                    match e {
                        Some(eps) => Level {
                            scale,
                            u: grid_labels_from(points.view(), eps, &origin),
                            w: grid_w(eps, true),
                            note: None,
                        },
                        None => one_cell(scale),
                    }
                })
                .collect()
        }
    }
}

/// Rows of a plug-in family; returns the Lagrangian parts per scale.
pub(in crate::info) fn plugin_rows(
    ctx: &mut Ctx,
    sd: &SpaceData,
    k: Option<usize>,
    fam: Family,
    name: &str,
    plan: &ScalePlan,
    cfg: &InfoConfig,
) -> Vec<(ScalePoint, Parts)> {
    let (points, kk) = match (&sd.u, k) {
        (Some(u), Some(k)) => (u, k),
        _ => (&sd.clean, 1),
    };
    let with_views = k.is_some();
    let n = points.nrows() / kk;
    let p = points.nrows();
    let jack = Jackknife::new(n, cfg);
    ctx.ci_method = jack.as_ref().map(Jackknife::method);
    let mut parts = Vec::new();
    for level in levels(sd, points, fam, plan) {
        // V' = V exactly (no target network, or one equal to the online network): same labels.
        let lw = match (&level.w, with_views && sd.w.is_some()) {
            (Some(w), true) => Some(w.as_slice()),
            (None, true) => Some(level.u.as_slice()),
            _ => None,
        };
        let data = ViewCounts::new(n, kk, &level.u, lw);
        let v = data.evaluate(&vec![1.0; n]);
        let reps: Vec<ViewEntropies> = jack
            .iter()
            .flat_map(|j| j.weights())
            .map(|m| data.evaluate(&m))
            .collect();
        let ci = |f: &dyn Fn(&ViewEntropies) -> f64, est: f64| {
            let r: Vec<f64> = reps.iter().map(f).collect();
            jack.as_ref().and_then(|j| j.interval(est, &r))
        };
        let cells_u = occupied(&level.u);
        let sat_u = saturated(cells_u, p);
        let sat_w = level
            .w
            .as_ref()
            .is_some_and(|w| saturated(occupied(w), w.len()));
        let mut warns = sd.warnings.clone();
        warns.extend(level.note.clone());
        if cells_u == p && p > 1 {
            warns.push(format!(
                "every one of the {p} points has its own cell at this scale: H(V) = ln of the sample size"
            ));
        } else if cells_u == 1 && p > 1 {
            warns.push(format!(
                "all {p} points share one cell at this scale: H(V) = 0"
            ));
        } else if sat_u {
            warns.push(format!(
                "{cells_u} cells for {p} points at this scale: nearly every point has its own cell, \
                 H(V) is close to ln of the sample size"
            ));
        }
        let mut warns_pair = warns.clone();
        if sat_w && !sat_u {
            warns_pair
                .push("V' nearly fills one cell per point (or one cell) at this scale".into());
        }
        ctx.push_at(
            "H(V)",
            name,
            &level.scale,
            Some(sat_u),
            sd.dim,
            v.h_v,
            ci(&|r| r.h_v, v.h_v),
            warns.clone(),
        );
        let mut part = Parts {
            h_v: Some(v.h_v),
            saturated: sat_u || sat_w,
            ..Parts::default()
        };
        if with_views {
            ctx.push_at(
                "H(V|X)",
                name,
                &level.scale,
                Some(sat_u),
                sd.dim,
                v.h_vx,
                ci(&|r| r.h_vx, v.h_vx),
                warns.clone(),
            );
            ctx.push_at(
                "I(X;V)",
                name,
                &level.scale,
                Some(sat_u),
                sd.dim,
                v.i_xv,
                ci(&|r| r.i_xv, v.i_xv),
                warns.clone(),
            );
            part.h_vx = Some(v.h_vx);
            part.i_xv = Some(v.i_xv);
            if let Some((i, h)) = v.pair {
                let ci_i = ci(&|r| r.pair.map_or(f64::NAN, |x| x.0), i);
                let ci_h = ci(&|r| r.pair.map_or(f64::NAN, |x| x.1), h);
                ctx.push_at(
                    "I(V;V')",
                    name,
                    &level.scale,
                    Some(sat_u || sat_w),
                    sd.dim,
                    i,
                    ci_i,
                    warns_pair.clone(),
                );
                ctx.push_at(
                    "H(V|V')",
                    name,
                    &level.scale,
                    Some(sat_u || sat_w),
                    sd.dim,
                    h,
                    ci_h,
                    warns_pair.clone(),
                );
                part.i_vv = Some(i);
                part.h_v_vp = Some(h);
            }
        }
        parts.push((level.scale, part));
    }
    parts
}
