//! Drawing one panel: its caption, mesh and tick labels, reference lines, series, point labels
//! and note.

use super::axes::{decimals_for, epoch_label, log_label};
use super::clip::Window;
use super::spec::{LineStyleKind, PanelSpec, XAxis};
use super::style::{text, GRID, GRID_LIGHT, MUTED};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Font sizes and label areas of one plot (the full chart, or one small panel).
pub(super) struct PlotStyle {
    desc: u32,
    ticks: u32,
    x_label_area: u32,
    y_label_area: u32,
    note: u32,
    caption: u32,
}

pub(super) const FULL: PlotStyle = PlotStyle {
    desc: 20,
    ticks: 17,
    x_label_area: 56,
    y_label_area: 84,
    note: 20,
    caption: 19,
};

pub(super) const SMALL: PlotStyle = PlotStyle {
    desc: 16,
    ticks: 14,
    x_label_area: 46,
    y_label_area: 70,
    note: 16,
    caption: 17,
};

/// Draw one panel (its caption, axes, reference lines, series, labels and note) into `area`.
pub(super) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &PanelSpec,
    ps: &PlotStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let plot = match &panel.caption {
        Some(c) => area.titled(c, text(ps.caption, &panel.caption_colour))?,
        None => area.clone(),
    };
    if panel.x_log {
        let logged = panel.to_log10_x();
        if logged.y_log {
            draw_plot(&plot, &logged.to_log10(), ps, true, true)
        } else {
            draw_plot(&plot, &logged, ps, false, true)
        }
    } else if panel.y_log {
        draw_plot(&plot, &panel.to_log10(), ps, true, false)
    } else {
        draw_plot(&plot, panel, ps, false, false)
    }
}

/// Draw the axes, reference lines, series, labels and note of `spec` into `plot`. With `log_y`,
/// y values are already log10-transformed and tick labels show 10^v; likewise x with `log_x`.
fn draw_plot<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    spec: &PanelSpec,
    ps: &PlotStyle,
    log_y: bool,
    log_x: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x0, x1) = spec.x_range();
    let (y0, y1) = spec.y_range();
    let y_decimals = decimals_for(y1 - y0);
    let x_decimals = decimals_for(x1 - x0);
    let y_fmt = move |y: &f64| {
        if log_y {
            log_label(y)
        } else {
            format!("{:.*}", y_decimals, y)
        }
    };
    let x_fmt = move |x: &f64| match spec.x_axis {
        _ if log_x => log_label(x),
        XAxis::Epoch => epoch_label(x),
        XAxis::Index => match epoch_label(x).as_str() {
            "0" => String::new(),
            s => s.to_string(),
        },
        XAxis::Linear => format!("{:.*}", x_decimals, x),
    };
    let x_labels = match spec.x_axis {
        _ if log_x => 6,
        XAxis::Epoch => ((x1 - x0).round().max(1.0) as usize + 1).min(11),
        XAxis::Index => 10,
        XAxis::Linear => 8,
    };

    let mut chart = ChartBuilder::on(plot)
        .margin_left(12)
        .margin_right(16)
        .margin_top(12)
        .margin_bottom(8)
        .x_label_area_size(ps.x_label_area)
        .y_label_area_size(ps.y_label_area)
        .build_cartesian_2d(x0..x1, y0..y1)?;

    chart
        .configure_mesh()
        .x_desc(spec.x_desc.as_str())
        .y_desc(spec.y_desc.as_str())
        .axis_desc_style(text(ps.desc, &BLACK))
        .label_style(text(ps.ticks, &MUTED))
        .x_labels(x_labels)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .max_light_lines(1)
        .draw()?;

    // Reference lines under the data.
    for r in &spec.ref_lines {
        if !r.y.is_finite() || r.y < y0 || r.y > y1 {
            continue;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, r.y), (x1, r.y)],
            9,
            6,
            r.colour.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            r.label.clone(),
            (x1, r.y),
            text(ps.ticks, &r.colour).pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))?;
    }

    // Vertical markers under the data, labels stacked from the top so that several runs'
    // markers at one epoch stay readable.
    for (i, v) in spec.v_lines.iter().enumerate() {
        if !v.x.is_finite() || v.x < x0 || v.x > x1 {
            continue;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(v.x, y0), (v.x, y1)],
            3,
            4,
            v.colour.stroke_width(2),
        ))?;
        let (_, yr) = chart.plotting_area().get_pixel_range();
        let step = (yr.end - yr.start) as f64 / (y1 - y0);
        let dy = if step.is_finite() && step > 0.0 {
            (ps.ticks as f64 * 1.3 * i as f64) / step
        } else {
            0.0
        };
        // Labels in the right half of the plot are drawn to the left of the marker.
        let right = v.x > (x0 + x1) / 2.0;
        let (anchor, shift) = if right {
            (HPos::Right, -5)
        } else {
            (HPos::Left, 5)
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at((v.x, y1 - dy))
                + Text::new(
                    v.label.clone(),
                    (shift, 4),
                    text(ps.ticks, &v.colour).pos(Pos::new(anchor, VPos::Top)),
                ),
        ))?;
    }

    // Every series is clipped to the axis ranges (see `clip`): plotters would draw values
    // outside them past the axes.
    let window = Window { x0, x1, y0, y1 };
    for s in &spec.series {
        // (index in `s.points`, point): the index keys `point_colours` and `open`.
        let points: Vec<(usize, (f64, f64))> = s
            .points
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, p)| p.0.is_finite() && p.1.is_finite())
            .collect();
        if points.is_empty() {
            continue;
        }
        let style = s.colour.stroke_width(2);
        let line: Vec<(f64, f64)> = points.iter().map(|&(_, p)| p).collect();
        for piece in window.polyline(&line) {
            match s.style {
                LineStyleKind::Solid => {
                    chart.draw_series(LineSeries::new(piece, style))?;
                }
                LineStyleKind::Dashed => {
                    chart.draw_series(DashedLineSeries::new(piece, 8, 5, style))?;
                }
                LineStyleKind::Dotted => {
                    chart.draw_series(DashedLineSeries::new(piece, 2, 4, style))?;
                }
                LineStyleKind::None | LineStyleKind::OpenMarker => {}
            }
        }
        let single = points.len() == 1;
        let visible: Vec<(usize, (f64, f64))> = points
            .into_iter()
            .filter(|&(_, p)| window.contains(p))
            .collect();
        if !s.point_colours.is_empty() {
            // Ramp-coloured markers outlined in the series colour; open ones are white.
            chart.draw_series(visible.iter().map(|&(i, p)| {
                let fill = match s.point_colours.get(i) {
                    Some(_) if s.is_open(i) => WHITE,
                    Some(c) => *c,
                    None => s.colour,
                };
                Circle::new(p, 7, fill.filled())
            }))?;
            chart.draw_series(
                visible
                    .iter()
                    .map(|&(_, p)| Circle::new(p, 8, s.colour.stroke_width(2))),
            )?;
        } else if s.markers || single {
            let marker = if single { 5 } else { 3 };
            chart.draw_series(
                visible
                    .iter()
                    .filter(|(i, _)| !s.is_open(*i))
                    .map(|&(_, p)| match s.style {
                        LineStyleKind::Dashed | LineStyleKind::Dotted => {
                            Circle::new(p, marker, s.colour.stroke_width(2))
                        }
                        _ => Circle::new(p, marker, s.colour.filled()),
                    }),
            )?;
        }
        // Open markers (drawn even without `markers`, so the point stays marked), larger and
        // white inside, outlined in the series colour (which run it is stays visible).
        if s.point_colours.is_empty() {
            let open: Vec<(f64, f64)> = visible
                .iter()
                .filter(|(i, _)| s.is_open(*i))
                .map(|&(_, p)| p)
                .collect();
            chart.draw_series(open.iter().map(|&p| Circle::new(p, 5, WHITE.filled())))?;
            chart.draw_series(
                open.iter()
                    .map(|&p| Circle::new(p, 5, s.colour.stroke_width(2))),
            )?;
        }
    }

    for l in &spec.labels {
        // Outside the window, or not finite (NaN is in no range).
        if !window.contains((l.x, l.y)) {
            continue;
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((l.x, l.y))
                + Text::new(
                    l.text.clone(),
                    (9, -9),
                    text(ps.ticks, &l.colour).pos(Pos::new(HPos::Left, VPos::Bottom)),
                ),
        ))?;
    }

    let note = match (&spec.note, spec.has_data()) {
        (Some(n), _) => Some(n.as_str()),
        (None, false) => Some("no finite values recorded"),
        (None, true) => None,
    };
    if let Some(note) = note {
        // Pixel ranges are absolute; `plot` draws relative to its own top-left corner.
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (bx, by) = plot.get_base_pixel();
        let centre = ((xr.start + xr.end) / 2 - bx, (yr.start + yr.end) / 2 - by);
        plot.draw(&Text::new(
            note.to_string(),
            centre,
            text(ps.note, &MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}
