//! Numbers as text, by fixed rules so every chart title, legend and table shows the same digits
//! for the same value and the output is deterministic. Used by both the charts and the HTML page.

/// A number with about four significant digits: fixed decimals for 1e-3 ≤ |v| < 1e5, otherwise
/// scientific notation with three decimals; `NaN`, `inf`, `-inf` and `0` spelled out.
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.decimals$}")
}

/// A scale as shown in every chart title and table row (`none` for estimators without one).
pub fn scale_text(scale: Option<f64>) -> String {
    match scale {
        // Shortest round-trip form: 0.3 stays "0.3".
        Some(s) => s.to_string(),
        None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_num, scale_text};

    #[test]
    fn numbers_have_fixed_precision() {
        assert_eq!(fmt_num(0.125), "0.1250");
        assert_eq!(fmt_num(64.0), "64.00");
        assert_eq!(fmt_num(12345.0), "12345");
        assert_eq!(fmt_num(1.5e-5), "1.500e-5");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(-0.9876), "-0.9876");
    }

    #[test]
    fn scales_use_the_shortest_round_trip_form() {
        assert_eq!(scale_text(Some(0.3)), "0.3");
        assert_eq!(scale_text(Some(1.0)), "1");
        assert_eq!(scale_text(None), "none");
    }
}
