//! Drawing the legend column: one row per entry (line sample, label, optional detail line), then
//! an optional vertical colour bar with its end values, then optional notes wrapped to the column.

use super::spec::{ColourBar, LegendEntry, LineStyleKind};
use super::style::{fit_text, ramp, text, wrap_text, LEGEND_BG, LEGEND_BORDER, MUTED};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Draw the legend `entries` and the colour `bar` into `area` (the legend column).
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    bar: Option<&ColourBar>,
    notes: &[String],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    let (left, top, right) = (4i32, 14i32, w as i32 - 14);
    let sample = 30i32;
    let text_x = left + 12 + sample + 8;
    let max_text = (right - 8 - text_x).max(10) as u32;
    let label_style = text(17, &BLACK);
    let detail_style = text(15, &MUTED);

    let mut y_end = top;
    if !entries.is_empty() {
        let mut height = 10;
        for e in entries {
            height += if e.detail.is_some() { 44 } else { 26 };
        }
        area.draw(&Rectangle::new(
            [(left, top), (right, top + height)],
            LEGEND_BG.filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(left, top), (right, top + height)],
            LEGEND_BORDER.stroke_width(1),
        ))?;
        y_end = top + height;

        let mut y = top + 18;
        for e in entries {
            let line = vec![(left + 12, y), (left + 12 + sample, y)];
            let style = e.colour.stroke_width(2);
            match e.style {
                LineStyleKind::Solid => area.draw(&PathElement::new(line, style))?,
                LineStyleKind::Dashed => area.draw(&DashedPathElement::new(line, 7, 4, style))?,
                LineStyleKind::Dotted => area.draw(&DashedPathElement::new(line, 2, 4, style))?,
                LineStyleKind::None => area.draw(&Circle::new(
                    (left + 12 + sample / 2, y),
                    6,
                    e.colour.filled(),
                ))?,
                LineStyleKind::OpenMarker => {
                    let centre = (left + 12 + sample / 2, y);
                    area.draw(&Circle::new(centre, 6, WHITE.filled()))?;
                    area.draw(&Circle::new(centre, 6, e.colour.stroke_width(2)))?;
                }
            }
            let label = fit_text(area, &e.label, &label_style, max_text)?;
            area.draw(&Text::new(
                label,
                (text_x, y),
                label_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            if let Some(d) = &e.detail {
                let detail = fit_text(area, d, &detail_style, max_text)?;
                area.draw(&Text::new(
                    detail,
                    (text_x, y + 19),
                    detail_style.pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
                y += 44;
            } else {
                y += 26;
            }
        }
    }

    if let Some(bar) = bar {
        y_end = draw_bar(area, bar, y_end, left, right)?;
    }
    if !notes.is_empty() {
        // Wrapped sentences in the detail style, one blank half-line between notes.
        let mut y = y_end + 22;
        for note in notes {
            for line in wrap_text(area, note, &detail_style, (right - left - 8) as u32)? {
                area.draw(&Text::new(
                    line,
                    (left + 4, y),
                    detail_style.pos(Pos::new(HPos::Left, VPos::Top)),
                ))?;
                y += 19;
            }
            y += 9;
        }
    }
    Ok(())
}

/// Draw the colour `bar` under `y_end`; returns the y of its bottom edge.
fn draw_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bar: &ColourBar,
    y_end: i32,
    left: i32,
    right: i32,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let label_style = text(17, &BLACK);
    let detail_style = text(15, &MUTED);
    {
        // A vertical ramp, `hi` at the top, with the two end values and the label.
        let bx = left + 12;
        let by = y_end + 24;
        let label = fit_text(area, &bar.label, &label_style, (right - bx) as u32)?;
        area.draw(&Text::new(
            label,
            (bx, by),
            label_style.pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        // 32 bands of 5 px: smooth enough, and a short SVG.
        let (bar_top, bands, band_h, bar_w) = (by + 28, 32i32, 5i32, 22i32);
        let bar_h = bands * band_h;
        for i in 0..bands {
            let t = 1.0 - i as f64 / (bands - 1) as f64;
            let c = ramp(&bar.stops, t);
            let y = bar_top + i * band_h;
            area.draw(&Rectangle::new(
                [(bx, y), (bx + bar_w, y + band_h)],
                c.filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(bx, bar_top), (bx + bar_w, bar_top + bar_h)],
            LEGEND_BORDER.stroke_width(1),
        ))?;
        let value = |v: f64| {
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                format!("{r:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        for (v, y, vpos) in [
            (bar.hi, bar_top, VPos::Top),
            (bar.lo, bar_top + bar_h, VPos::Bottom),
        ] {
            area.draw(&Text::new(
                value(v),
                (bx + bar_w + 8, y),
                detail_style.pos(Pos::new(HPos::Left, vpos)),
            ))?;
        }
        Ok(bar_top + bar_h)
    }
}
