//! `class_structure`: how the label classes sit in the chart tensor at each run's last epoch
//! (`TensorRecord::classes`, ARCHITECTURE.md §4, §10): one point per class, x = its RMS radius,
//! y = the distance from its centre to the nearest other class centre, with the line y = x.
//! A class above the line is farther from its neighbour than its own radius (cf. the
//! class-distance ratio of neural-collapse studies, Papyan, Han & Donoho 2020).

use super::plot::spec::{
    ChartSpec, LegendEntry, LineStyleKind, PanelSpec, PointLabel, Series, XAxis, SIZE,
};
use super::plot::style::{run_colour, REFERENCE};
use crate::record::{ClassStructure, EpochRecord, RunRecord};

/// Classes are labelled on the chart when there are at most this many points in all.
pub const MAX_LABELLED: usize = 12;

/// The axes are logarithmic when the largest drawn value exceeds the smallest by more than this.
pub const LOG_RATIO: f64 = 20.0;

/// Said under the legend: how to read the chart.
pub const ABOVE_NOTE: &str = "A class above the line y = x is farther from its nearest \
     neighbour class than its own RMS radius; below it, the classes overlap.";

/// The last epoch of each run whose `tensor` records classes.
fn last_classes<'a>(
    record: &'a RunRecord,
    tensor: &str,
) -> Vec<Option<(&'a EpochRecord, &'a ClassStructure)>> {
    record
        .runs
        .iter()
        .map(|run| {
            run.epochs.iter().rev().find_map(|e| {
                let t = e.tensors.get(tensor)?;
                t.finite.then_some(())?;
                Some((e, t.classes.as_ref()?))
            })
        })
        .collect()
}

/// `(label, radius, nearest)` of every class with a finite positive radius and neighbour distance.
fn class_points(c: &ClassStructure) -> Vec<(i64, f64, f64)> {
    c.classes
        .iter()
        .filter_map(|k| {
            let y = k.nearest?;
            (k.radius.is_finite() && y.is_finite() && k.radius > 0.0 && y > 0.0)
                .then_some((k.label, k.radius, y))
        })
        .collect()
}

/// The class-structure chart of `tensor`; None when no run records classes for it.
pub(super) fn class_structure(record: &RunRecord, tensor: &str) -> Option<ChartSpec> {
    let lasts = last_classes(record, tensor);
    if lasts.iter().all(Option::is_none) {
        return None;
    }
    let per_run: Vec<Vec<(i64, f64, f64)>> = lasts
        .iter()
        .map(|l| l.map(|(_, c)| class_points(c)).unwrap_or_default())
        .collect();
    let values = per_run.iter().flatten().flat_map(|p| [p.1, p.2]);
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    let log = lo.is_finite() && hi / lo > LOG_RATIO;
    let scale_word = if log { " (log scale)" } else { "" };
    let mut panel = PanelSpec::new(
        format!("RMS radius of the class{scale_word}"),
        format!("distance to nearest class centre{scale_word}"),
        XAxis::Linear,
    );
    panel.x_log = log;
    panel.y_log = log;
    let total: usize = per_run.iter().map(Vec::len).sum();
    let several = record.runs.len() > 1;
    let mut legend = Vec::new();
    for (i, ((run, last), pts)) in record.runs.iter().zip(&lasts).zip(&per_run).enumerate() {
        let colour = run_colour(i);
        let mut entry = LegendEntry::new(run.name.clone(), colour, LineStyleKind::None);
        entry.detail = Some(match last {
            Some((e, c)) => format!("{} classes · epoch {}", c.classes.len(), e.epoch),
            None => "no classes recorded".into(),
        });
        legend.push(entry);
        let mut s = Series::line(
            run.name.clone(),
            colour,
            LineStyleKind::None,
            pts.iter().map(|p| (p.1, p.2)).collect(),
        );
        s.point_colours = vec![colour; pts.len()];
        panel.series.push(s);
        if total <= MAX_LABELLED {
            panel.labels.extend(pts.iter().map(|p| PointLabel {
                x: p.1,
                y: p.2,
                text: if several {
                    format!("{} {}", run.name, p.0)
                } else {
                    format!("class {}", p.0)
                },
                colour,
            }));
        }
    }
    if lo.is_finite() {
        // One range on both axes, so y = x is the diagonal (a straight line on log-log too).
        let (a, b) = if log {
            (lo / 1.5, hi * 1.5)
        } else {
            (lo * 0.9, hi * 1.06)
        };
        let top = spread_labels(&mut panel.labels, (a, b), log);
        let b = if log {
            b.max(top * 1.15)
        } else {
            b.max(top + 0.06 * (b - a))
        };
        panel.x_range = Some((a, b));
        panel.y_range = Some((a, b));
        let mut line = Series::line(
            "y = x",
            REFERENCE,
            LineStyleKind::Dashed,
            vec![(a, a), (b, b)],
        );
        line.markers = false;
        panel.series.push(line);
    }
    let mut reference = LegendEntry::new("y = x", REFERENCE, LineStyleKind::Dashed);
    reference.detail = Some("distance = radius".into());
    legend.push(reference);
    let mut notes = vec![ABOVE_NOTE.to_string()];
    if total > MAX_LABELLED {
        notes.push(format!(
            "{total} classes drawn: not labelled (more than {MAX_LABELLED}); each class's numbers \
             are in run.json (classes)."
        ));
    }
    for (run, last) in record.runs.iter().zip(&lasts) {
        if let Some((e, c)) = last {
            let n = e.tensors.get(tensor).map_or(0, |t| t.n);
            if c.rows < n {
                notes.push(format!(
                    "{}: measured on a seeded subsample of {} of {n} rows.",
                    run.name, c.rows
                ));
            }
        }
    }
    let shape = if log { "log-log" } else { "linear axes" };
    Some(ChartSpec {
        name: "class_structure",
        title: format!("Class structure ({tensor})"),
        subtitle: Some(format!(
            "one point per label class, raw units, {shape}; radius = √(mean ‖z − μ_c‖²)"
        )),
        size: SIZE,
        columns: 1,
        panels: vec![panel],
        legend,
        colour_bar: None,
        notes,
    })
}

/// Labels closer than this share of the axis span (about one line of tick text on the 960×560
/// chart) are moved apart vertically.
const LABEL_GAP: f64 = 0.045;

/// Move point labels apart vertically so that labels of nearby points do not overprint: in
/// ascending y, a label within [`LABEL_GAP`] of the span of the previous one (horizontally and
/// vertically) is raised to that gap. Positions are in data units (log10 on log axes).
/// Returns the highest label position (`a` without labels).
fn spread_labels(labels: &mut [PointLabel], (a, b): (f64, f64), log: bool) -> f64 {
    let to = |v: f64| if log { v.log10() } else { v };
    let from = |v: f64| if log { 10f64.powf(v) } else { v };
    let gap = LABEL_GAP * (to(b) - to(a));
    labels.sort_by(|p, q| p.y.total_cmp(&q.y));
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for l in labels.iter_mut() {
        let x = to(l.x);
        let mut y = to(l.y);
        for &(px, py) in &placed {
            if (x - px).abs() < 4.0 * gap && y < py + gap {
                y = py + gap;
            }
        }
        placed.push((x, y));
        l.y = from(y);
    }
    labels.iter().map(|l| l.y).fold(a, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ClassSpread;

    #[test]
    fn classes_without_a_neighbour_or_radius_are_not_drawn() {
        let c = ClassStructure {
            rows: 10,
            classes: vec![
                ClassSpread {
                    label: 0,
                    count: 5,
                    radius: 1.0,
                    nearest: Some(2.0),
                },
                ClassSpread {
                    label: 1,
                    count: 4,
                    radius: 0.0,
                    nearest: Some(2.0),
                },
                ClassSpread {
                    label: 2,
                    count: 1,
                    radius: 1.0,
                    nearest: None,
                },
            ],
        };
        assert_eq!(class_points(&c), vec![(0, 1.0, 2.0)]);
    }
}
