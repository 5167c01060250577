//! The one chart drawer, generic over the plotters backend (SVG string or PNG bitmap), so the SVG
//! and the PNG of a chart never differ. It draws a [`ChartSpec`] and knows nothing of run records.
//!
//! `spec` holds the plain data, `axes` the ranges and tick labels, `panel` draws one plot,
//! `clip` keeps every series inside the axes, `legend` the legend column, `style` the font, colours and text fitting.

mod axes;
mod clip;
mod legend;
mod panel;
pub(super) mod spec;
pub(super) mod style;

use legend::draw_legend;
use panel::{draw_panel, FULL, SMALL};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use spec::ChartSpec;
use style::{fit_text, text, MUTED};

/// Width of the legend column to the right of the plot, in pixels.
const LEGEND_WIDTH: u32 = 250;

/// Draw `spec` on `root` (the whole canvas).
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let title_style = text(28, &BLACK);
    let title = fit_text(root, &spec.title, &title_style, w.saturating_sub(24))?;
    root.draw(&Text::new(
        title,
        (w as i32 / 2, 8),
        title_style.pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let mut top = 46;
    if let Some(sub) = &spec.subtitle {
        let sub_style = text(17, &MUTED);
        let sub = fit_text(root, sub, &sub_style, w.saturating_sub(24))?;
        root.draw(&Text::new(
            sub,
            (w as i32 / 2, top),
            sub_style.pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        top += 26;
    }
    let body = root.margin(top, 0, 0, 0);
    let (bw, _) = body.dim_in_pixel();
    let (plot, legend) = body.split_horizontally(bw.saturating_sub(LEGEND_WIDTH));

    match spec.panels.as_slice() {
        [] => {}
        [one] => draw_panel(&plot, one, &FULL)?,
        panels => {
            let cols = spec.columns.clamp(1, panels.len());
            let rows = panels.len().div_ceil(cols);
            for (area, panel) in plot.split_evenly((rows, cols)).iter().zip(panels) {
                draw_panel(area, panel, &SMALL)?;
            }
        }
    }
    draw_legend(&legend, &spec.legend, spec.colour_bar.as_ref(), &spec.notes)
}
