//! "At a glance", the first section of the page (ARCHITECTURE.md §10): per run its verdict and
//! summary, and one gauge per deciding metric and per panel metric with an isotropic-Gaussian
//! reference, for the chart tensor at each run's last epoch. A gauge places each run's value
//! (a marker in the run's chart colour) beside the metric's collapsed and healthy levels
//! ([`crate::panel::METRIC_LEVELS`]), the isotropic-Gaussian value of the record's N and d
//! (`TensorRecord::reference`) and the verdict thresholds of the evidence rows. Every number is
//! read from the record; the gauge's span only frames them.

use super::{escape, verdict_class};
use crate::charts::{chart_tensor, run_colour};
use crate::format::fmt_num;
use crate::panel::{metric_levels, panel_metric, METRIC_LEVELS};
use crate::record::{Evidence, MethodRun, RunRecord, TensorRecord};
use serde::Serialize;
use std::fmt::Write;

/// The view model of the section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlanceView {
    /// The tensor gauged (the chart tensor), if any.
    pub tensor: Option<String>,
    pub runs: Vec<GlanceRun>,
    pub gauges: Vec<Gauge>,
}

/// One run's verdict line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlanceRun {
    pub name: String,
    /// The run's chart colour (`#rrggbb`, [`run_colour`]).
    pub colour: String,
    pub verdict: String,
    pub verdict_class: String,
    pub summary: String,
    /// The epoch gauged (the run's last epoch with the tensor), if any.
    pub epoch: Option<String>,
}

/// One metric's gauge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gauge {
    pub metric: String,
    /// Display name ([`crate::panel::PanelMetric::name`], or the key).
    pub name: String,
    /// Where its collapsed and healthy levels come from, when it has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels_source: Option<String>,
    /// True when a verdict threshold of this metric decides (not advisory) for some run.
    pub deciding: bool,
    /// Left and right end of the drawn span.
    pub lo: f64,
    pub hi: f64,
    pub levels: Vec<GaugeLevel>,
    pub thresholds: Vec<GaugeThreshold>,
    pub markers: Vec<GaugeMarker>,
}

/// A reference level: `collapsed`, `healthy` or `isotropic` (the isotropic-Gaussian value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaugeLevel {
    pub kind: String,
    pub value: f64,
    pub text: String,
}

/// A verdict threshold: the signal fires when `value op threshold`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaugeThreshold {
    pub op: String,
    pub value: f64,
    pub text: String,
    /// The verdict it supports when it fires.
    pub supports: String,
    pub supports_class: String,
    /// Shown beside the deciding signals, never deciding.
    pub advisory: bool,
}

/// One run's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaugeMarker {
    pub run: String,
    pub colour: String,
    pub value: Option<f64>,
    /// The value as text, `–` when not recorded.
    pub text: String,
    /// True when this run's value fires one of the deciding thresholds.
    pub fired: bool,
}

/// `#rrggbb` of the run at `index`, as in the charts.
pub fn colour_hex(index: usize) -> String {
    let c = run_colour(index);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// The run's last epoch holding a finite `tensor`, with that epoch.
fn last_tensor<'a>(run: &'a MethodRun, tensor: &str) -> Option<(usize, &'a TensorRecord)> {
    run.epochs
        .iter()
        .rev()
        .find_map(|e| Some((e.epoch, e.tensors.get(tensor).filter(|t| t.finite)?)))
}

/// The run's evidence rows for `tensor`.
fn evidence<'a>(run: &'a MethodRun, tensor: &str) -> &'a [Evidence] {
    run.verdict
        .tensors
        .get(tensor)
        .map_or(&[], |t| t.evidence.as_slice())
}

impl GlanceView {
    /// Build the section of `record`.
    pub fn build(record: &RunRecord) -> Self {
        let tensor = chart_tensor(record);
        let t = tensor.as_deref().unwrap_or("");
        let lasts: Vec<Option<(usize, &TensorRecord)>> =
            record.runs.iter().map(|r| last_tensor(r, t)).collect();
        let runs = record
            .runs
            .iter()
            .zip(&lasts)
            .enumerate()
            .map(|(i, (run, last))| GlanceRun {
                name: run.name.clone(),
                colour: colour_hex(i),
                verdict: run.verdict.verdict.as_str().to_string(),
                verdict_class: verdict_class(run.verdict.verdict),
                summary: run.verdict.summary.clone(),
                epoch: last.map(|(e, _)| e.to_string()),
            })
            .collect();
        // Deciding signals first (evidence order, then advisory), then gauged metrics with a
        // reference value.
        let mut keys: Vec<String> = Vec::new();
        for advisory in [false, true] {
            for run in &record.runs {
                for e in evidence(run, t).iter().filter(|e| e.advisory == advisory) {
                    if !keys.contains(&e.signal) {
                        keys.push(e.signal.clone());
                    }
                }
            }
        }
        for m in METRIC_LEVELS {
            let has_reference = lasts
                .iter()
                .flatten()
                .any(|(_, tr)| tr.reference.contains_key(m.key));
            if has_reference && !keys.iter().any(|k| k == m.key) {
                keys.push(m.key.to_string());
            }
        }
        let gauges = keys
            .iter()
            .filter_map(|k| Gauge::build(record, t, &lasts, k))
            .collect();
        GlanceView {
            tensor,
            runs,
            gauges,
        }
    }
}

impl Gauge {
    fn build(
        record: &RunRecord,
        tensor: &str,
        lasts: &[Option<(usize, &TensorRecord)>],
        key: &str,
    ) -> Option<Self> {
        let rows: Vec<&Evidence> = record
            .runs
            .iter()
            .flat_map(|r| evidence(r, tensor))
            .filter(|e| e.signal == key)
            .collect();
        let mut thresholds: Vec<GaugeThreshold> = Vec::new();
        for e in &rows {
            if !e.threshold.is_finite() {
                continue;
            }
            let th = GaugeThreshold {
                op: e.op.clone(),
                value: e.threshold,
                text: fmt_num(e.threshold),
                supports: e.supports.as_str().to_string(),
                supports_class: verdict_class(e.supports),
                advisory: e.advisory,
            };
            if !thresholds.contains(&th) {
                thresholds.push(th);
            }
        }
        let markers: Vec<GaugeMarker> = record
            .runs
            .iter()
            .zip(lasts)
            .enumerate()
            .map(|(i, (run, last))| {
                let value = last
                    .and_then(|(_, tr)| tr.metric(key))
                    .or_else(|| {
                        evidence(run, tensor)
                            .iter()
                            .find(|e| e.signal == key)
                            .map(|e| e.value)
                    })
                    .filter(|v| v.is_finite());
                let fired = evidence(run, tensor)
                    .iter()
                    .any(|e| e.signal == key && e.fired && !e.advisory);
                GaugeMarker {
                    run: run.name.clone(),
                    colour: colour_hex(i),
                    value,
                    text: value.map_or_else(|| "–".to_string(), fmt_num),
                    fired,
                }
            })
            .collect();
        let defined = metric_levels(key);
        let mut levels = Vec::new();
        let mut push = |kind: &str, value: f64| {
            if value.is_finite()
                && !levels
                    .iter()
                    .any(|l: &GaugeLevel| l.kind == kind && l.value == value)
            {
                levels.push(GaugeLevel {
                    kind: kind.to_string(),
                    value,
                    text: fmt_num(value),
                });
            }
        };
        if let Some(c) = defined.and_then(|m| m.collapsed) {
            push("collapsed", c);
        }
        if let Some(h) = defined.and_then(|m| m.healthy) {
            push("healthy", h);
        }
        for (_, tr) in lasts.iter().flatten() {
            if let Some(r) = tr.reference.get(key) {
                push("isotropic", *r);
            }
        }
        if markers.iter().all(|m| m.value.is_none()) {
            return None;
        }
        let all = levels
            .iter()
            .map(|l| l.value)
            .chain(thresholds.iter().map(|t| t.value))
            .chain(markers.iter().filter_map(|m| m.value));
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (lo, hi) = if hi - lo > 0.0 {
            let pad = (hi - lo) * 0.04;
            (lo - pad, hi + pad)
        } else {
            (lo - 0.5, hi + 0.5)
        };
        Some(Gauge {
            metric: key.to_string(),
            name: panel_metric(key).map_or_else(|| key.to_string(), |m| m.name.to_string()),
            levels_source: defined.map(|m| m.source.to_string()),
            deciding: rows.iter().any(|e| !e.advisory),
            lo,
            hi,
            levels,
            thresholds,
            markers,
        })
    }

    /// The horizontal position of `v` in a gauge drawn from x = [`PAD`] to `WIDTH − PAD`.
    fn x(&self, v: f64) -> f64 {
        let t = (v - self.lo) / (self.hi - self.lo);
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        PAD + t * (WIDTH - 2.0 * PAD)
    }
}

/// Gauge drawing box (SVG user units; the SVG scales to its container's width).
const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 34.0;
const PAD: f64 = 10.0;
/// Track height (y) of the gauge line.
const TRACK: f64 = 17.0;

/// Fill of the region where a threshold fires, by the verdict it supports.
fn fire_fill(supports: &str) -> &'static str {
    match supports {
        "complete-collapse" => "#ffd7d5",
        "dimensional-collapse" => "#fff1b8",
        _ => "#e6e9ed",
    }
}

/// Stroke of a reference level's tick.
fn level_stroke(kind: &str) -> &'static str {
    match kind {
        "collapsed" => "#a40e26",
        "healthy" => "#116329",
        _ => "#57606a",
    }
}

/// The legend line of the gauges (said once, above them).
pub const GAUGE_KEY: &str = "Each bar spans the metric's reference levels: ▼ red = collapsed, \
     ▼ green = healthy, ◆ grey = an isotropic Gaussian of the same N and d; the shaded part \
     lies beyond a verdict threshold (where that signal fires); one dot per run in its chart \
     colour.";

/// One gauge as an inline SVG (no external resource, every text escaped).
fn gauge_svg(g: &Gauge) -> String {
    let mut s = String::new();
    let label = format!(
        "{}: {}",
        g.name,
        g.markers
            .iter()
            .map(|m| format!("{} {}", m.run, m.text))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = write!(
        s,
        r#"<svg class="gauge" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(&label)
    );
    for t in &g.thresholds {
        let x = g.x(t.value);
        let (a, b) = if t.op == "<" {
            (PAD, x)
        } else {
            (x, WIDTH - PAD)
        };
        let _ = write!(
            s,
            r#"<rect x="{a:.1}" y="{}" width="{:.1}" height="14" fill="{}"{}/>"#,
            TRACK - 7.0,
            (b - a).max(0.0),
            fire_fill(&t.supports),
            if t.advisory { r#" opacity="0.5""# } else { "" }
        );
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="3" y2="31" stroke="#6e7781" stroke-width="1.5" stroke-dasharray="3 2"/>"##
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{PAD}" x2="{}" y1="{TRACK}" y2="{TRACK}" stroke="#8c959f" stroke-width="2"/>"##,
        WIDTH - PAD
    );
    for l in &g.levels {
        let x = g.x(l.value);
        let colour = level_stroke(&l.kind);
        if l.kind == "isotropic" {
            let _ = write!(
                s,
                r#"<path d="M{x:.1} {} l5 5 l-5 5 l-5 -5 z" fill="{colour}"/>"#,
                TRACK - 5.0
            );
        } else {
            let _ = write!(
                s,
                r#"<path d="M{:.1} 2 l10 0 l-5 8 z" fill="{colour}"/>"#,
                x - 5.0
            );
        }
    }
    // A run's dot that would cover an earlier one (closer than a dot's width) is drawn as a ring
    // around it instead, one size larger per dot already there, so every run stays visible.
    let mut drawn: Vec<f64> = Vec::new();
    for m in g.markers.iter() {
        if let Some(v) = m.value {
            let x = g.x(v);
            let under = drawn
                .iter()
                .filter(|&&d| (d - x).abs() < MARKER_WIDTH)
                .count();
            drawn.push(x);
            let colour = escape(&m.colour);
            if under == 0 {
                let _ = write!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{TRACK}" r="6" fill="{colour}" stroke="#fff" stroke-width="1.5"/>"##
                );
            } else {
                let r = ring_radius(under);
                let _ = write!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{TRACK}" r="{r}" fill="none" stroke="{colour}" stroke-width="2.5"/>"##
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// Width of a run's dot on a gauge (radius 6, with its outline).
const MARKER_WIDTH: f64 = 12.0;

/// Radius of the ring drawn for a dot that `under` earlier dots would hide: 9, 12, then 15 (the
/// gauge's half height).
fn ring_radius(under: usize) -> f64 {
    (6.0 + 3.0 * under as f64).min(TRACK - 2.0)
}

/// The levels and thresholds of a gauge as one line of text (accessible, and for print).
fn gauge_text(g: &Gauge) -> String {
    let mut parts: Vec<String> = g
        .levels
        .iter()
        .map(|l| {
            let word = match l.kind.as_str() {
                "isotropic" => "isotropic Gaussian",
                k => k,
            };
            format!("{word} {}", l.text)
        })
        .collect();
    for t in &g.thresholds {
        parts.push(format!(
            "fires {} {} → {}{}",
            t.op,
            t.text,
            t.supports,
            if t.advisory { " (advisory)" } else { "" }
        ));
    }
    parts.join(" · ")
}

/// The section's HTML; `spectrum` is the spectrum chart's `<figure>`, when there is one.
pub fn render(view: &GlanceView, verdicts: &str, spectrum: Option<&str>) -> String {
    // The verdicts span the page; the gauges and the spectrum share the row under them.
    let mut s = String::from(verdicts);
    s.push_str("<div class=\"glance-grid\">\n<div class=\"glance-panel\">\n");
    if !view.gauges.is_empty() {
        let tensor = view
            .tensor
            .as_deref()
            .map(|t| format!(" of <code>{}</code>", escape(t)))
            .unwrap_or_default();
        let epochs: Vec<&str> = view
            .runs
            .iter()
            .filter_map(|r| r.epoch.as_deref())
            .collect();
        let at = match epochs.first() {
            Some(e) if epochs.iter().all(|x| x == e) => format!(" at epoch {}", escape(e)),
            _ => " at each run's last epoch".into(),
        };
        let _ = writeln!(
            s,
            "<h3>Metrics{tensor}{at}</h3>\n<p class=\"meta gauge-key\">{}</p>",
            escape(GAUGE_KEY)
        );
        s.push_str("<div class=\"gauges\">\n");
        for g in &view.gauges {
            let values: String = g
                .markers
                .iter()
                .map(|m| {
                    format!(
                        "<span class=\"gauge-value{}\"><span class=\"swatch\" style=\"background:{}\"></span>{}{}</span>",
                        if m.fired { " fired" } else { "" },
                        escape(&m.colour),
                        if view.runs.len() > 1 {
                            format!("{} ", escape(&m.run))
                        } else {
                            String::new()
                        },
                        escape(&m.text)
                    )
                })
                .collect();
            let tag = if g.deciding {
                ""
            } else {
                " <span class=\"tag\">not deciding</span>"
            };
            let title = g
                .levels_source
                .as_deref()
                .map(|d| format!(" title=\"{}\"", escape(d)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "<div class=\"gauge-row\"><div class=\"gauge-head\"><code{title}>{}</code>{tag} {values}</div>{}<div class=\"gauge-levels\">{}</div></div>",
                escape(&g.metric),
                gauge_svg(g),
                escape(&gauge_text(g))
            );
        }
        s.push_str("</div>\n");
    }
    s.push_str("</div>\n");
    if let Some(fig) = spectrum {
        s.push_str("<div class=\"glance-chart\">\n");
        s.push_str(fig);
        s.push_str("\n</div>\n");
    }
    s.push_str("</div>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(lo: f64, hi: f64) -> Gauge {
        Gauge {
            metric: "m".into(),
            name: "m".into(),
            levels_source: None,
            deciding: true,
            lo,
            hi,
            levels: Vec::new(),
            thresholds: Vec::new(),
            markers: Vec::new(),
        }
    }

    #[test]
    fn positions_span_the_box_and_clamp() {
        let g = gauge(0.0, 2.0);
        assert_eq!(g.x(0.0), PAD);
        assert_eq!(g.x(2.0), WIDTH - PAD);
        assert_eq!(g.x(1.0), WIDTH / 2.0);
        assert_eq!(g.x(-5.0), PAD);
        assert_eq!(g.x(f64::NAN), PAD);
    }

    #[test]
    fn dots_that_would_cover_each_other_become_rings() {
        let mut g = gauge(0.0, 1.0);
        for (run, value) in [("a", 0.5), ("b", 0.5), ("c", 0.505), ("d", 0.9)] {
            g.markers.push(GaugeMarker {
                run: run.into(),
                colour: format!("#00000{}", g.markers.len()),
                value: Some(value),
                text: value.to_string(),
                fired: false,
            });
        }
        let svg = gauge_svg(&g);
        let circles: Vec<&str> = svg.split("<circle").skip(1).collect();
        assert_eq!(circles.len(), 4);
        // a: a dot; b: a ring of 9 around it; c (2.3 px away): a ring of 12; d: a dot.
        assert!(
            circles[0].contains(r##"r="6" fill="#000000""##),
            "{}",
            circles[0]
        );
        assert!(
            circles[1].contains(r##"r="9" fill="none" stroke="#000001""##),
            "{}",
            circles[1]
        );
        assert!(
            circles[2].contains(r##"r="12" fill="none" stroke="#000002""##),
            "{}",
            circles[2]
        );
        assert!(
            circles[3].contains(r##"r="6" fill="#000003""##),
            "{}",
            circles[3]
        );
        assert_eq!(ring_radius(3), 15.0);
        assert_eq!(ring_radius(9), 15.0);
    }

    #[test]
    fn colours_are_the_chart_palette() {
        assert_eq!(colour_hex(0), "#0072b2");
        assert_eq!(colour_hex(1), "#d55e00");
    }
}
