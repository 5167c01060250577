//! Clipping to the plot area, in data coordinates.
//!
//! plotters maps a value outside the axis range to a pixel outside the plot area and draws it
//! there (it has no clip region: a line to such a point crosses the axes, its tick labels and the
//! legend). Every series is therefore clipped here before it is drawn: line segments are cut at
//! the range edges (Liang–Barsky, "A new concept and method for line clipping", ACM TOG 3(1),
//! 1984), and markers and labels outside the range are not drawn. A polyline that lies inside the
//! range is returned unchanged, so charts whose data fit their axes are drawn exactly as before.

/// The axis ranges of a plot: `x0 ≤ x ≤ x1`, `y0 ≤ y ≤ y1` (data units; log10 units on a log axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Window {
    /// True when `p` lies in the window (edges included).
    pub fn contains(&self, p: (f64, f64)) -> bool {
        (self.x0..=self.x1).contains(&p.0) && (self.y0..=self.y1).contains(&p.1)
    }

    /// The part of the segment `a`–`b` inside the window, if any (Liang–Barsky).
    pub fn segment(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        // p·t ≤ q for each of the four edges.
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let at = |t: f64| {
            if t == 0.0 {
                a
            } else if t == 1.0 {
                b
            } else {
                // Clamp against rounding just past an edge.
                (
                    (a.0 + t * dx).clamp(self.x0, self.x1),
                    (a.1 + t * dy).clamp(self.y0, self.y1),
                )
            }
        };
        Some((at(t0), at(t1)))
    }

    /// The visible pieces of a polyline: `points` itself when every point is inside, otherwise
    /// each maximal run of consecutive clipped segments (pieces of at least two points).
    pub fn polyline(&self, points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        if points.iter().all(|&p| self.contains(p)) {
            return vec![points.to_vec()];
        }
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        for w in points.windows(2) {
            match self.segment(w[0], w[1]) {
                Some((s, e)) => {
                    if current.last() != Some(&s) {
                        if current.len() >= 2 {
                            pieces.push(std::mem::take(&mut current));
                        }
                        current.clear();
                        current.push(s);
                    }
                    current.push(e);
                }
                None => {
                    if current.len() >= 2 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
        }
        if current.len() >= 2 {
            pieces.push(current);
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    const W: Window = Window {
        x0: 0.0,
        x1: 10.0,
        y0: 0.0,
        y1: 5.0,
    };

    #[test]
    fn inside_polylines_are_unchanged() {
        let p = vec![(0.0, 0.0), (3.0, 4.0), (10.0, 5.0)];
        assert_eq!(W.polyline(&p), vec![p]);
    }

    #[test]
    fn segments_are_cut_at_the_edges() {
        // From (5, 2.5) to (-5, -2.5): leaves through the lower-left corner.
        assert_eq!(
            W.segment((5.0, 2.5), (-5.0, -2.5)),
            Some(((5.0, 2.5), (0.0, 0.0)))
        );
        // Crosses the window from left to right at y = 1.
        assert_eq!(
            W.segment((-10.0, 1.0), (20.0, 1.0)),
            Some(((0.0, 1.0), (10.0, 1.0)))
        );
        // Entirely above.
        assert_eq!(W.segment((1.0, 6.0), (9.0, 7.0)), None);
        // Passes by the upper-left corner outside (y = 5.75 at x = 0).
        assert_eq!(W.segment((-1.0, 4.5), (1.0, 7.0)), None);
        // Touches the corner: a point.
        assert_eq!(
            W.segment((-1.0, 4.0), (2.0, 7.0)),
            Some(((0.0, 5.0), (0.0, 5.0)))
        );
    }

    #[test]
    fn an_excursion_splits_a_polyline_into_pieces() {
        let p = vec![(1.0, 1.0), (2.0, 1.0), (3.0, 9.0), (4.0, 1.0), (5.0, 1.0)];
        let pieces = W.polyline(&p);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(1.0, 1.0), (2.0, 1.0), (2.5, 5.0)]);
        assert_eq!(pieces[1], vec![(3.5, 5.0), (4.0, 1.0), (5.0, 1.0)]);
        for piece in &pieces {
            assert!(piece.iter().all(|&q| W.contains(q)), "{piece:?}");
        }
        // Wholly outside: nothing to draw.
        assert!(W.polyline(&[(20.0, 1.0), (30.0, 2.0)]).is_empty());
    }
}
