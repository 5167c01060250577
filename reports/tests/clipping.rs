//! Every series is drawn inside its plot area, also when values leave the axis range.
//!
//! plotters draws a value outside the axis range at a pixel outside the plot area (it has no clip
//! region), so the drawer clips each series itself. These tests parse the SVG: the plot area of
//! each panel is the bounding box of its mesh lines, and every coordinate of every data element
//! drawn on that panel (series lines of stroke width 2, dashed reference and onset lines, and
//! markers) must lie in it. The legend column (after its background rectangle) is not a panel.

use ib_reports::charts::{
    render_svg, ChartSpec, LineStyleKind, PanelSpec, PointLabel, RefLine, Series, XAxis,
};
use ib_reports::render_svgs;
use plotters::style::RGBColor;

mod common;
use common::fixture;

/// Stroke colour of the bold mesh lines (`plot::style::GRID`).
const GRID: &str = "stroke=\"#E1E4E8\"";
/// Fill of the legend background (`plot::style::LEGEND_BG`): the legend starts here.
const LEGEND_BG: &str = "fill=\"#F6F8FA\"";

/// The value of attribute `name` in the element `line`.
fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = line.find(&key)? + key.len();
    let end = line[start..].find('"')? + start;
    Some(&line[start..end])
}

fn num(line: &str, name: &str) -> f64 {
    attr(line, name)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .parse()
        .unwrap_or_else(|e| panic!("{name} of {line}: {e}"))
}

/// A pixel rectangle, edges included.
#[derive(Debug, Clone, Copy)]
struct Area {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Area {
    fn grow(a: Option<Area>, x: f64, y: f64) -> Area {
        match a {
            None => Area {
                x0: x,
                x1: x,
                y0: y,
                y1: y,
            },
            Some(a) => Area {
                x0: a.x0.min(x),
                x1: a.x1.max(x),
                y0: a.y0.min(y),
                y1: a.y1.max(y),
            },
        }
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

/// Check every data coordinate of `svg` against the plot area of its panel; returns the number
/// of coordinates checked. Panics naming the first element outside.
fn assert_inside(svg: &str, chart: &str) -> usize {
    let mut area: Option<Area> = None;
    let mut in_grid = false;
    let mut checked = 0;
    for line in svg.lines().map(str::trim) {
        if line.contains(LEGEND_BG) {
            break;
        }
        if line.starts_with("<line") && line.contains(GRID) {
            // A new run of mesh lines starts a new panel.
            if !in_grid {
                area = None;
                in_grid = true;
            }
            area = Some(Area::grow(area, num(line, "x1"), num(line, "y1")));
            area = Some(Area::grow(area, num(line, "x2"), num(line, "y2")));
            continue;
        }
        let data = (line.starts_with("<polyline") && line.contains("stroke-width=\"2\""))
            || line.starts_with("<circle");
        if !data {
            if line.starts_with("<polyline") || line.starts_with("<line") {
                in_grid = false;
            }
            continue;
        }
        in_grid = false;
        let a = area.unwrap_or_else(|| panic!("{chart}: data before any plot area: {line}"));
        let points: Vec<(f64, f64)> = if line.starts_with("<circle") {
            vec![(num(line, "cx"), num(line, "cy"))]
        } else {
            attr(line, "points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        };
        for (x, y) in points {
            assert!(
                a.contains(x, y),
                "{chart}: ({x}, {y}) outside the plot area {a:?}: {line}"
            );
            checked += 1;
        }
    }
    checked
}

/// Values outside the fixed ranges of two charts over epochs (a kNN accuracy above 1 and below
/// 0, an effective rank far above the width) are clipped, in every chart that shows them.
#[test]
fn record_values_beyond_fixed_ranges_are_clipped() {
    let mut record = fixture("with_info");
    let run = &mut record.runs[0];
    let n = run.epochs.len();
    run.epochs[n / 2].knn_accuracy = Some(1.7);
    run.epochs[n - 1].knn_accuracy = Some(-0.4);
    let t = run.epochs[n / 2]
        .tensors
        .get_mut("online.projector")
        .expect("projector recorded");
    t.metrics
        .insert("effective_rank".into(), Some(40.0 * t.d as f64));
    let charts = render_svgs(&record).unwrap();
    for c in &charts {
        let checked = assert_inside(&c.svg, c.name);
        assert!(checked > 0, "{}: no data coordinate found", c.name);
    }
    // The excursions are drawn, up to the edge: the charts still have their lines.
    for name in ["knn_accuracy", "effective_rank", "figure2"] {
        assert!(charts.iter().any(|c| c.name == name), "no chart {name}");
    }
}

/// A panel with a fixed y range and a path leaving it through the lower-left corner, through
/// the top, and a marker, label and reference line outside: only the parts inside are drawn.
#[test]
fn a_path_leaving_a_fixed_range_is_cut_at_the_axes() {
    let colour = RGBColor(0, 114, 178);
    let mut panel = PanelSpec::new("I(X;V)", "I(V;V')", XAxis::Linear);
    panel.y_range = Some((0.0, 5.0));
    // x is fitted to the data (0..10); y is fixed to 0..5 and the path goes to y = -20 at x = 0
    // (the lower left), up to y = 30, and back.
    let points = vec![
        (0.0, -20.0),
        (4.0, 2.0),
        (6.0, 30.0),
        (8.0, 3.0),
        (10.0, 1.0),
    ];
    panel.series.push(Series {
        name: "run".into(),
        colour,
        style: LineStyleKind::Solid,
        point_colours: vec![colour; points.len()],
        open: vec![false, true, false, true, false],
        points: points.clone(),
        markers: true,
    });
    let mut dashed = Series::line("dashed", colour, LineStyleKind::Dashed, points);
    dashed.open = vec![true, false, true, false, false];
    panel.series.push(dashed);
    panel.labels.push(PointLabel {
        x: 6.0,
        y: 30.0,
        text: "far above".into(),
        colour,
    });
    panel.ref_lines.push(RefLine {
        y: 9.0,
        label: "above the range".into(),
        colour,
    });
    let spec = ChartSpec::single("clip", "clip".into(), panel, Vec::new());
    let svg = render_svg(&spec).unwrap();
    // Three inner markers, each filled and outlined, per series; pieces of both lines.
    let checked = assert_inside(&svg, "clip");
    assert!(checked >= 10, "only {checked} coordinates drawn");
    assert!(
        !svg.contains("far above"),
        "a label outside the range is drawn"
    );
    assert!(
        !svg.contains("above the range"),
        "a reference line outside the range is drawn"
    );
    // The same panel without a fixed range draws every point (nothing is lost by clipping).
    let mut fitted = spec.clone();
    fitted.panels[0].y_range = None;
    let all = render_svg(&fitted).unwrap();
    assert!(all.contains("far above"));
    assert!(assert_inside(&all, "fitted") > checked);
}
