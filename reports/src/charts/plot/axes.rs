//! The axes of a panel: the x and y ranges fitted to the data, the log10 transform of a log axis,
//! and the tick labels.

use super::spec::{PanelSpec, XAxis};

impl PanelSpec {
    /// The x range: the data, or a unit window around a single value.
    pub fn x_range(&self) -> (f64, f64) {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.x_range.into_iter().flat_map(|(a, b)| [a, b]));
        match min_max(xs) {
            None => (0.0, 1.0),
            Some((lo, hi)) if hi - lo < 1e-9 => (lo - 0.5, hi + 0.5),
            Some((lo, hi)) if self.x_axis == XAxis::Linear => {
                let pad = (hi - lo) * 0.04;
                (lo - pad, hi + pad)
            }
            Some(r) => r,
        }
    }

    /// The y range: fixed, or the data and reference lines with a 6 % margin.
    pub fn y_range(&self) -> (f64, f64) {
        if let Some(r) = self.y_range {
            return r;
        }
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(self.labels.iter().map(|l| l.y))
            .chain(self.ref_lines.iter().map(|r| r.y))
            .chain(self.y_include_zero.then_some(0.0));
        let Some((lo, hi)) = min_max(ys) else {
            return (0.0, 1.0);
        };
        let span = hi - lo;
        let pad = if span < 1e-12 {
            (hi.abs() * 0.1).max(0.5)
        } else {
            span * 0.06
        };
        let lo_out = if self.y_include_zero && lo == 0.0 {
            0.0
        } else {
            lo - pad
        };
        (lo_out, hi + pad)
    }

    /// The same panel with every y replaced by log10(y) (non-positive values dropped), so a
    /// linear axis with 10^v tick labels draws it on a logarithmic scale.
    pub(super) fn to_log10(&self) -> PanelSpec {
        let log = |y: f64| (y > 0.0).then(|| y.log10());
        let mut out = self.clone();
        out.map_points(|(x, y)| log(y).map(|ly| (x, ly)));
        out.ref_lines
            .retain_mut(|r| log(r.y).map(|ly| r.y = ly).is_some());
        out.labels
            .retain_mut(|l| log(l.y).map(|ly| l.y = ly).is_some());
        out.y_range = self.y_range.and_then(|(a, b)| Some((log(a)?, log(b)?)));
        out.y_include_zero = false;
        out.y_log = false;
        out
    }
}

impl PanelSpec {
    /// The same panel with every x replaced by log10(x) (non-positive values dropped), so a
    /// linear axis with 10^v tick labels draws it on a logarithmic scale.
    pub(super) fn to_log10_x(&self) -> PanelSpec {
        let log = |x: f64| (x > 0.0).then(|| x.log10());
        let mut out = self.clone();
        out.map_points(|(x, y)| log(x).map(|lx| (lx, y)));
        out.v_lines
            .retain_mut(|v| log(v.x).map(|lx| v.x = lx).is_some());
        out.labels
            .retain_mut(|l| log(l.x).map(|lx| l.x = lx).is_some());
        out.x_range = self.x_range.and_then(|(a, b)| Some((log(a)?, log(b)?)));
        out.x_log = false;
        out
    }
}

impl PanelSpec {
    /// Maps every series point through `f`, dropping the points it maps to None together with
    /// their colours and open-marker flags.
    fn map_points(&mut self, f: impl Fn((f64, f64)) -> Option<(f64, f64)>) {
        for s in &mut self.series {
            let kept: Vec<(usize, (f64, f64))> = s
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, &p)| f(p).map(|q| (i, q)))
                .collect();
            s.point_colours = kept
                .iter()
                .filter_map(|(i, _)| s.point_colours.get(*i).copied())
                .collect();
            if !s.open.is_empty() {
                s.open = kept.iter().map(|(i, _)| s.is_open(*i)).collect();
            }
            s.points = kept.into_iter().map(|(_, p)| p).collect();
        }
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Tick label for an epoch axis: integers only (ticks between epochs stay unlabelled).
pub(super) fn epoch_label(x: &f64) -> String {
    let r = x.round();
    if (x - r).abs() < 1e-9 && r >= 0.0 {
        format!("{r:.0}")
    } else {
        String::new()
    }
}

/// Number of decimals that distinguishes ticks spaced about `span / 8` apart.
pub(super) fn decimals_for(span: f64) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 2;
    }
    let step = span / 8.0;
    (-step.log10().floor()).clamp(0.0, 6.0) as usize
}

/// Tick label of a log10-transformed axis value: 10^v with two significant digits.
pub(super) fn log_label(v: &f64) -> String {
    let x = 10f64.powf(*v);
    if !x.is_finite() {
        return String::new();
    }
    let rounded = format!("{x:.1e}");
    // `{:e}` gives e.g. "3.2e-5"; show plain decimals for 1e-3 ≤ x < 1e4.
    if (1e-3..1e4).contains(&x) {
        let exp = x.log10().floor() as i32;
        let decimals = (1 - exp).max(0) as usize;
        let plain = format!("{x:.decimals$}");
        if plain.contains('.') {
            plain
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            plain
        }
    } else {
        rounded.replace(".0e", "e")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::plot::spec::{LineStyleKind, Series};
    use plotters::style::BLACK;

    fn panel(points: Vec<(f64, f64)>) -> PanelSpec {
        let mut p = PanelSpec::new("x", "y", XAxis::Epoch);
        p.series
            .push(Series::line("s", BLACK, LineStyleKind::Solid, points));
        p
    }

    #[test]
    fn ranges_of_empty_and_single_points_are_not_degenerate() {
        let empty = panel(vec![]);
        assert_eq!(empty.x_range(), (0.0, 1.0));
        assert_eq!(empty.y_range(), (0.0, 1.0));
        let one = panel(vec![(3.0, -0.9)]);
        assert_eq!(one.x_range(), (2.5, 3.5));
        let (lo, hi) = one.y_range();
        assert!(lo < -0.9 && hi > -0.9 && hi - lo > 0.1);
    }

    #[test]
    fn log_panels_drop_non_positive_values() {
        let mut p = panel(vec![(1.0, 100.0), (2.0, 0.0), (3.0, 0.01)]);
        p.y_log = true;
        assert!(p.has_data());
        let l = p.to_log10();
        assert_eq!(l.series[0].points, vec![(1.0, 2.0), (3.0, -2.0)]);
        let mut zeros = panel(vec![(1.0, 0.0)]);
        zeros.y_log = true;
        assert!(!zeros.has_data());
    }

    #[test]
    fn epoch_labels_are_integers_only() {
        assert_eq!(epoch_label(&2.0), "2");
        assert_eq!(epoch_label(&2.5), "");
        assert_eq!(epoch_label(&-1.0), "");
    }

    #[test]
    fn log_labels_are_compact() {
        assert_eq!(log_label(&0.0), "1");
        assert_eq!(log_label(&2.0), "100");
        assert_eq!(log_label(&-1.0), "0.1");
        assert_eq!(log_label(&-7.0), "1e-7");
        assert_eq!(log_label(&0.5), "3.2");
        assert_eq!(log_label(&5.0), "1e5");
    }

    #[test]
    fn decimals_follow_tick_spacing() {
        assert_eq!(decimals_for(0.16), 2);
        assert_eq!(decimals_for(80.0), 0);
        assert_eq!(decimals_for(f64::NAN), 2);
    }
}
