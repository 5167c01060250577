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
}
