//! `spectrum`: the singular-value spectrum of the chart tensor at each run's first and last epoch,
//! index on x, log y; with each run's α-ReQ fit at its last epoch, where recorded (dotted).

use super::plot::spec::{ChartSpec, LegendEntry, LineStyleKind, PanelSpec, Series, XAxis};
use super::plot::style::run_colour;
use super::select::tensor_suffix;
use super::series::{indexed, run_entry, with_field};
use crate::format::fmt_num;
use crate::record::{PowerLawFit, RunRecord};
use plotters::style::BLACK;

/// The spectrum's size: narrower than the other charts' [`super::plot::spec::SIZE`], as it
/// stands beside the gauges in the report's first screen (ARCHITECTURE.md §10), where it is
/// drawn at about 0.9 of this width, its smallest text near 11 px.
pub const SPECTRUM_SIZE: (u32, u32) = (720, 500);

/// Legend label of the fitted lines (its second line: [`FIT_DETAIL`]).
pub const FIT_LABEL: &str = "α-ReQ fit";

/// Second legend line of the fitted lines.
pub const FIT_DETAIL: &str = "(centred covariance)";

/// The stored α-ReQ fit of an N-row tensor drawn on the singular-value axis: over the ranks
/// `first_rank..=last_rank`, `s_i = √((N−1)·exp(intercept − α·ln i))`, the singular value of
/// the centred rows whose covariance eigenvalue (divisor N − 1) is the fitted λ_i
/// (`PowerLawFit`, Agrawal et al. 2022). A rendering of the record's fit, not a new metric.
pub fn fit_points(fit: &PowerLawFit, n: usize) -> Vec<(f64, f64)> {
    let scale = n.saturating_sub(1) as f64;
    (fit.first_rank.max(1)..=fit.last_rank)
        .map(|i| {
            let lambda = (fit.intercept - fit.alpha * (i as f64).ln()).exp();
            (i as f64, (scale * lambda).sqrt())
        })
        .collect()
}

/// One sentence with every run's α: the rank range said once when the fits share it.
fn alpha_note(alphas: &[(&str, f64, usize, usize)]) -> String {
    let shared = alphas
        .first()
        .map(|&(_, _, a, b)| (a, b))
        .filter(|r| alphas.iter().all(|&(_, _, a, b)| (a, b) == *r));
    let runs: Vec<String> = alphas
        .iter()
        .map(|&(name, alpha, a, b)| match shared {
            Some(_) => format!("{name} {}", fmt_num(alpha)),
            None => format!("{name} {} (ranks {a}–{b})", fmt_num(alpha)),
        })
        .collect();
    match shared {
        Some((a, b)) => format!("α-ReQ fit, ranks {a}–{b}: {}.", runs.join("; ")),
        None => format!("α-ReQ fit: {}.", runs.join("; ")),
    }
}

/// Singular values (descending, index on x, log y) at each run's first (dashed) and last
/// (solid) epoch with a finite spectrum, and the α-ReQ fit of that last epoch (dotted).
pub(super) fn spectrum(record: &RunRecord, tensor: &str) -> ChartSpec {
    let mut panel = PanelSpec::new("index", "singular value (log scale)", XAxis::Index);
    panel.y_log = true;
    let mut legend = Vec::new();
    let mut fits = Vec::new();
    // (run, α, first rank, last rank) of each drawn fit.
    let mut alphas: Vec<(&str, f64, usize, usize)> = Vec::new();
    for (i, run) in record.runs.iter().enumerate() {
        let first = with_field(run, tensor, |t| &t.spectrum).next();
        let last = with_field(run, tensor, |t| &t.spectrum).next_back();
        let mut entry = run_entry(i, run, first.is_some(), "no finite spectrum");
        match (first, last) {
            (Some((f, fv)), Some((l, lv))) if f.epoch != l.epoch => {
                entry
                    .detail
                    .get_or_insert(format!("epochs {} → {}", f.epoch, l.epoch));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Dashed,
                    indexed(fv.iter().copied()),
                ));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Solid,
                    indexed(lv.iter().copied()),
                ));
            }
            (_, Some((l, lv))) => {
                entry.detail.get_or_insert(format!("epoch {}", l.epoch));
                panel.series.push(Series::line(
                    run.name.clone(),
                    run_colour(i),
                    LineStyleKind::Solid,
                    indexed(lv.iter().copied()),
                ));
            }
            _ => {}
        }
        legend.push(entry);
        let fit = last.and_then(|(e, _)| {
            let t = e.tensors.get(tensor)?;
            Some((t.n, t.alpha_req_fit?))
        });
        if let Some((n, fit)) = fit {
            let points = fit_points(&fit, n);
            if !points.is_empty() {
                alphas.push((&run.name, fit.alpha, fit.first_rank, fit.last_rank));
                fits.push(Series::line(
                    FIT_LABEL,
                    run_colour(i),
                    LineStyleKind::Dotted,
                    points,
                ));
            }
        }
    }
    panel.thin_markers();
    // First and last epoch are told apart only where a run has both (ARCHITECTURE.md §10).
    if panel
        .series
        .iter()
        .any(|s| s.style == LineStyleKind::Dashed)
    {
        legend.push(LegendEntry::new(
            "first epoch",
            BLACK,
            LineStyleKind::Dashed,
        ));
        legend.push(LegendEntry::new("last epoch", BLACK, LineStyleKind::Solid));
    }
    let mut subtitle = "uncentred, descending; zeros are not drawn on the log axis".to_string();
    let mut notes = Vec::new();
    if !fits.is_empty() {
        legend.push(LegendEntry {
            label: FIT_LABEL.into(),
            detail: Some(FIT_DETAIL.into()),
            colour: BLACK,
            style: LineStyleKind::Dotted,
        });
        subtitle = "uncentred, descending; dotted: α-ReQ fit of the centred covariance, \
                    s_i = √((N−1)·λ_i)"
            .into();
        notes.push(alpha_note(&alphas));
        notes.push("Zeros are not drawn (log axis).".into());
    }
    // Fits are lines without markers, drawn over the measured spectra.
    for mut f in fits {
        f.markers = false;
        panel.series.push(f);
    }
    ChartSpec {
        name: "spectrum",
        title: format!("Singular-value spectrum{}", tensor_suffix(Some(tensor))),
        subtitle: Some(subtitle),
        size: SPECTRUM_SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_is_drawn_as_the_singular_values_of_its_eigenvalues() {
        // λ_i = 4 / i² (intercept ln 4, α = 2) on N = 5 rows: s_i = √(4 · 4 / i²) = 4 / i.
        let fit = PowerLawFit {
            first_rank: 2,
            last_rank: 4,
            intercept: 4f64.ln(),
            alpha: 2.0,
        };
        let points = fit_points(&fit, 5);
        let want = [(2.0, 2.0), (3.0, 4.0 / 3.0), (4.0, 1.0)];
        assert_eq!(points.len(), want.len());
        for ((x, y), (wx, wy)) in points.iter().zip(want) {
            assert_eq!(*x, wx);
            assert!((y - wy).abs() < 1e-12, "rank {x}: {y} vs {wy}");
        }
        // An empty range draws nothing.
        let empty = PowerLawFit {
            first_rank: 3,
            last_rank: 2,
            ..fit
        };
        assert!(fit_points(&empty, 5).is_empty());
    }

    #[test]
    fn the_alpha_note_says_a_shared_rank_range_once() {
        assert_eq!(
            alpha_note(&[("a", 1.5, 1, 63), ("b", 0.25, 1, 63)]),
            "α-ReQ fit, ranks 1–63: a 1.500; b 0.2500."
        );
        assert_eq!(
            alpha_note(&[("a", 1.5, 1, 63), ("b", 0.25, 1, 31)]),
            "α-ReQ fit: a 1.500 (ranks 1–63); b 0.2500 (ranks 1–31)."
        );
    }
}
