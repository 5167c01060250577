//! The look shared by every chart: the bundled font, the run palette, the fixed colours, colour
//! ramps, and text that fits its box.
//!
//! Text is laid out with the bundled DejaVu Sans (registered with plotters' `ab_glyph` feature),
//! so rendering needs no system fonts and the SVG bytes do not depend on the machine.

use crate::error::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

/// The font family every chart names; the bundled font is registered under it.
pub(super) const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
static FONT_REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Register the bundled DejaVu Sans as "sans-serif" (Normal; Bold falls back to it). Idempotent.
pub fn ensure_font() -> Result<(), ReportError> {
    FONT_REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "DejaVuSans.ttf is not a valid font file".to_string())
        })
        .clone()
        .map_err(ReportError::Font)
}

/// Colour-blind-safe palette (Okabe–Ito, with yellow replaced by a darker gold), by run index.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(153, 128, 0),   // dark gold
];

/// Colour of the run at `index` in `record.runs` (the same in every chart).
pub fn run_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

pub(super) const GRID: RGBColor = RGBColor(225, 228, 232);
pub(super) const GRID_LIGHT: RGBColor = RGBColor(243, 244, 246);
pub(super) const LEGEND_BG: RGBColor = RGBColor(246, 248, 250);
pub(super) const LEGEND_BORDER: RGBColor = RGBColor(208, 215, 222);
/// Colour of secondary text (tick labels, notes, legend details).
pub const MUTED: RGBColor = RGBColor(87, 96, 106);
/// Colour of reference lines (e.g. 1/√d).
pub const REFERENCE: RGBColor = RGBColor(110, 119, 129);

/// Outline of the legend's open marker, the key to open markers (points whose estimate says
/// nothing about the embedding: saturated plug-in rows, ARCHITECTURE.md §5); on the plot each
/// open marker is outlined in its series' colour.
pub const OPEN_MARKER: RGBColor = RGBColor(150, 156, 163);

/// Linear interpolation in a list of evenly spaced colour stops, `t` in [0, 1].
pub fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    match stops {
        [] => BLACK,
        [one] => *one,
        _ => {
            let t = if t.is_finite() {
                t.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let pos = t * (stops.len() - 1) as f64;
            let i = (pos.floor() as usize).min(stops.len() - 2);
            let f = pos - i as f64;
            let (a, b) = (stops[i], stops[i + 1]);
            let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
            RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
        }
    }
}

/// A text style in the chart font.
pub(super) fn text(size: u32, colour: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(colour)
}

/// Shorten `s` with an ellipsis until it fits `max_px` in `style`.
pub(super) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max_px: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(s, style)?.0 <= max_px {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if area.estimate_text_size(&candidate, style)?.0 <= max_px {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Break `s` into lines at spaces, each fitting `max_px` in `style` (a word longer than a line
/// is shortened with an ellipsis, [`fit_text`]).
pub(super) fn wrap_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max_px: u32,
) -> Result<Vec<String>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || area.estimate_text_size(&candidate, style)?.0 <= max_px {
            line = candidate;
        } else {
            lines.push(fit_text(area, &std::mem::take(&mut line), style, max_px)?);
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(fit_text(area, &line, style, max_px)?);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_interpolates_between_stops() {
        let stops = [RGBColor(0, 0, 0), RGBColor(200, 100, 50)];
        assert_eq!(ramp(&stops, 0.0), RGBColor(0, 0, 0));
        assert_eq!(ramp(&stops, 1.0), RGBColor(200, 100, 50));
        assert_eq!(ramp(&stops, 0.5), RGBColor(100, 50, 25));
        assert_eq!(ramp(&stops, f64::NAN), RGBColor(0, 0, 0));
    }
}
