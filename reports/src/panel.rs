//! The collapse-metric panel as the report names it: for each metric of a tensor record
//! (`TensorRecord::metrics`, ARCHITECTURE.md §4) its display name, a one-line definition with
//! the paper, and the short axis label of its curve over epochs. Only words live here: every
//! value shown comes from the record (ARCHITECTURE.md §1).

/// One metric of the panel, as the report presents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelMetric {
    /// The metric's key in `TensorRecord::metrics`.
    pub key: &'static str,
    /// Display name (table rows, chart captions).
    pub name: &'static str,
    /// One line: what it measures, with the paper.
    pub definition: &'static str,
    /// y-axis label of its panel over epochs.
    pub axis: &'static str,
}

/// The panel's rows, in display order: the rank and std metrics first (they have
/// isotropic-Gaussian references too), then the metrics of the field.
pub const PANEL_METRICS: &[PanelMetric] = &[
    PanelMetric {
        key: "effective_rank",
        name: "RankMe",
        definition: "RankMe — exp of the entropy of the normalised singular values, uncentred \
                     rows (Garrido et al. 2023)",
        axis: "dimensions",
    },
    PanelMetric {
        key: "effective_rank_centred",
        name: "RankMe, centred",
        definition: "RankMe of the centred rows (Garrido et al. 2023)",
        axis: "dimensions",
    },
    PanelMetric {
        key: "normalised_std_l2",
        name: "normalised std_l2",
        definition: "√d · std of the l2-normalised rows: ≈ 1 uncollapsed, ≪ 1 collapsed \
                     (Chen & He 2021)",
        axis: "√d · std_l2",
    },
    PanelMetric {
        key: "alpha_req",
        name: "α-ReQ",
        definition: "α-ReQ — power-law decay of the covariance spectrum, λ_i ∝ i^−α \
                     (Agrawal et al. 2022)",
        axis: "α",
    },
    PanelMetric {
        key: "alpha_req_r2",
        name: "α-ReQ R²",
        definition: "R² of the α-ReQ fit of ln λ_i on ln i (Agrawal et al. 2022)",
        axis: "R²",
    },
    PanelMetric {
        key: "lidar",
        name: "LiDAR",
        definition: "LiDAR — effective rank of Σ_w^−½ Σ_b Σ_w^−½, between-input over within-input \
                     covariance of the views (Thilak et al. 2024)",
        axis: "dimensions",
    },
    PanelMetric {
        key: "alignment",
        name: "alignment",
        definition: "alignment — mean ‖u_a − u_b‖² between l2-normalised views of one input; \
                     0 when identical (Wang & Isola 2020)",
        axis: "mean squared distance",
    },
    PanelMetric {
        key: "uniformity",
        name: "uniformity",
        definition: "uniformity — ln of the mean of exp(−2‖u_i − u_j‖²) over pairs of \
                     l2-normalised rows; lower is more uniform (Wang & Isola 2020)",
        axis: "ln mean exp(−2‖Δu‖²)",
    },
    PanelMetric {
        key: "intrinsic_dim",
        name: "intrinsic dimension (TwoNN)",
        definition: "TwoNN intrinsic dimension — from the ratio of second to first \
                     nearest-neighbour distances (Facco et al. 2017)",
        axis: "dimensions",
    },
    PanelMetric {
        key: "nc1",
        name: "NC1",
        definition: "NC1 — within-class over between-class variability, tr(Σ_W Σ_B⁺)/C, \
                     with labels (Papyan, Han & Donoho 2020)",
        axis: "tr(Σ_W Σ_B⁺)/C",
    },
];

/// The metrics of the field's papers (ARCHITECTURE.md §4, the metric panel); a tensor record
/// holding none of them and no reference value was written without the panel and shows none.
pub const FIELD_METRICS: &[&str] = &[
    "alpha_req",
    "alpha_req_r2",
    "lidar",
    "alignment",
    "uniformity",
    "intrinsic_dim",
    "nc1",
];

/// The metrics drawn over epochs (`panel_epochs`), in panel order.
pub const EPOCH_METRICS: &[&str] = &[
    "alpha_req",
    "lidar",
    "uniformity",
    "alignment",
    "intrinsic_dim",
    "nc1",
];

/// Where a metric sits on a collapsed and on a healthy embedding: the two ends of its gauge in
/// the report's "At a glance" panel (ARCHITECTURE.md §10). These are properties of the metric's
/// definition, not of any record; the isotropic-Gaussian value of the record's N and d
/// (`TensorRecord::reference`) and the verdict threshold (`Evidence`) are drawn beside them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricLevels {
    /// The metric's key in `TensorRecord::metrics`.
    pub key: &'static str,
    /// Its value when every row is the same point (complete collapse), if it has one.
    pub collapsed: Option<f64>,
    /// Its value on a healthy (uncollapsed) embedding, when the definition gives one; `None`
    /// when the healthy level is the isotropic-Gaussian reference of the record's N and d.
    pub healthy: Option<f64>,
    /// Where the levels come from, in one line.
    pub source: &'static str,
}

/// The reference levels of the metrics shown as gauges, in gauge order after the deciding
/// signals. `collapse_level` (= 1 − normalised_std_l2) is not gauged: it mirrors its neighbour.
pub const METRIC_LEVELS: &[MetricLevels] = &[
    MetricLevels {
        key: "normalised_std_l2",
        collapsed: Some(0.0),
        healthy: Some(1.0),
        source: "√d · std of the l2-normalised rows: 0 when all rows point one way, 1 for \
                 directions spread evenly over the sphere (Chen & He 2021)",
    },
    MetricLevels {
        key: "effective_rank",
        collapsed: Some(1.0),
        healthy: None,
        source: "RankMe, uncentred: 1 for a single direction, min(N, d) when every singular \
                 value is equal (Garrido et al. 2023)",
    },
    MetricLevels {
        key: "effective_rank_ratio",
        collapsed: Some(0.0),
        healthy: Some(1.0),
        source: "effective_rank / min(N, d): ≈ 0 for one direction, 1 for a flat spectrum",
    },
    MetricLevels {
        key: "effective_rank_centred",
        collapsed: Some(1.0),
        healthy: None,
        source: "RankMe of the centred rows: 1 when the rows vary along one direction only",
    },
    MetricLevels {
        key: "effective_rank_centred_ratio",
        collapsed: Some(0.0),
        healthy: Some(1.0),
        source: "centred effective rank / min(N − 1, d): ≈ 0 for one direction, 1 for a flat \
                 spectrum",
    },
    MetricLevels {
        key: "angular_spread",
        collapsed: Some(0.0),
        healthy: Some(std::f64::consts::FRAC_PI_2),
        source: "mean angle in radians between the rows and their mean direction: 0 when all \
                 rows point one way, π/2 for isotropic data",
    },
    MetricLevels {
        key: "uniformity",
        collapsed: Some(0.0),
        healthy: None,
        source: "ln mean exp(−2‖u_i − u_j‖²): 0 when all rows coincide, lower when spread \
                 (Wang & Isola 2020); healthy = the isotropic-Gaussian value",
    },
    MetricLevels {
        key: "alpha_req",
        collapsed: None,
        healthy: Some(1.0),
        source: "α of λ_i ∝ i^−α: 0 for a flat (white) spectrum, ≈ 1 for the best-transferring \
                 representations, larger as the spectrum collapses (Agrawal et al. 2022)",
    },
    MetricLevels {
        key: "intrinsic_dim",
        collapsed: Some(0.0),
        healthy: None,
        source: "TwoNN dimension: 0 for one point, d for an isotropic Gaussian (Facco et al. 2017)",
    },
];

/// The reference levels of `key`, if it is gauged.
pub fn metric_levels(key: &str) -> Option<&'static MetricLevels> {
    METRIC_LEVELS.iter().find(|m| m.key == key)
}

/// The panel entry of `key`, if it is a panel metric.
pub fn panel_metric(key: &str) -> Option<&'static PanelMetric> {
    PANEL_METRICS.iter().find(|m| m.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_epoch_metric_has_a_panel_entry() {
        for key in FIELD_METRICS.iter().chain(EPOCH_METRICS) {
            assert!(panel_metric(key).is_some(), "{key}");
        }
        let mut keys: Vec<&str> = PANEL_METRICS.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), PANEL_METRICS.len(), "keys are unique");
    }

    #[test]
    fn gauge_levels_are_unique_and_ordered_where_both_exist() {
        let mut keys: Vec<&str> = METRIC_LEVELS.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), METRIC_LEVELS.len());
        assert!(
            metric_levels("collapse_level").is_none(),
            "mirrors normalised_std_l2"
        );
        for m in METRIC_LEVELS {
            assert!(m.collapsed.is_some() || m.healthy.is_some(), "{}", m.key);
            if let (Some(c), Some(h)) = (m.collapsed, m.healthy) {
                assert!(c != h, "{}: a gauge needs two distinct ends", m.key);
            }
        }
    }
}
