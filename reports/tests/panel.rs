//! The collapse-metric panel in the report: the HTML panel table (values, nulls with their
//! reason, subsamples, isotropic-Gaussian references), advisory evidence shown apart from the
//! deciding signals, the α-ReQ fit on the spectrum chart and the `panel_epochs` chart, on the
//! hand-written fixtures (tests/fixtures: `with_info`, `with_caveats`, `single_epoch` carry the
//! panel; `healthy_and_collapse` predates it).

use ib_reports::charts::{chart_specs, ChartSpec, LineStyleKind, XAxis, FIT_DETAIL, FIT_LABEL};
use ib_reports::html::view::ReportView;
use ib_reports::record::{RunRecord, Subsample};
use ib_reports::{render_html, render_svgs};

mod common;
use common::fixture;

fn html_of(record: &RunRecord) -> String {
    render_html(record, &render_svgs(record).unwrap()).unwrap()
}

fn spec<'a>(specs: &'a [ChartSpec], name: &str) -> &'a ChartSpec {
    specs
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no chart {name}"))
}

/// The `<tr>` of the panel row of `metric` in `page`.
fn panel_row<'a>(page: &'a str, metric: &str) -> &'a str {
    let panel = &page[page.find("<section id=\"panel\">").expect("panel section")..];
    let at = panel
        .find(&format!("<code>{metric}</code>"))
        .unwrap_or_else(|| panic!("no panel row {metric}"));
    let start = panel[..at].rfind("<tr>").unwrap();
    let end = at + panel[at..].find("</tr>").unwrap();
    &panel[start..end]
}

#[test]
fn the_panel_shows_each_run_a_null_with_its_reason_and_the_reference() {
    let record = fixture("with_caveats");
    let page = html_of(&record);
    assert!(page.contains("<h2>Collapse-metric panel</h2>"));
    assert!(page.contains("<th>isotropic Gaussian</th>"));
    for run in &record.runs {
        assert!(page.contains(&format!("<th>{}<br><small>epoch", run.name)));
    }
    // α-ReQ: the fixture's values at epoch 10, the diverged run's non-finite tensor, and the
    // reference 0 (make_with_info.py).
    let alpha = panel_row(&page, "alpha_req");
    assert!(alpha.contains("α-ReQ"), "{alpha}");
    assert!(alpha.contains("(Agrawal et al. 2022)"), "{alpha}");
    for v in ["2.815", "3.679", "6.057"] {
        assert!(
            alpha.contains(&format!("<td class=\"num\">{v}</td>")),
            "{alpha}"
        );
    }
    assert!(alpha.contains("non-finite tensor (NaN or inf)"), "{alpha}");
    assert!(alpha.ends_with("<td class=\"num\">0</td>"), "{alpha}");
    // LiDAR without views: "—" with the reason as visible text, no reference.
    let lidar = panel_row(&page, "lidar");
    assert!(
        lidar.contains(
            "<td class=\"num\">—<br><small class=\"reason\">no views of this tensor \
             (analyze without --views)</small></td>"
        ),
        "{lidar}"
    );
    assert!(lidar.ends_with("<td class=\"num\"></td>"), "{lidar}");
    // The rank rows are in the panel with their references.
    assert!(panel_row(&page, "effective_rank").ends_with("<td class=\"num\">64.00</td>"));
    assert!(panel_row(&page, "uniformity").ends_with("<td class=\"num\">-3.875</td>"));
}

#[test]
fn a_record_without_panel_metrics_has_no_panel() {
    let record = fixture("healthy_and_collapse");
    assert!(!html_of(&record).contains("id=\"panel\""));
    let view = ReportView::build(&record, &[]).unwrap();
    assert!(view.panel.is_empty());
    assert!(!chart_specs(&record)
        .iter()
        .any(|s| s.name == "panel_epochs"));
}

#[test]
fn a_subsampled_metric_says_on_how_many_rows() {
    let mut record = fixture("single_epoch");
    let t = record.runs[0].epochs[0].tensors.get_mut("z").unwrap();
    t.subsamples.insert(
        "uniformity".into(),
        Subsample {
            rows: 200,
            of: 300,
            seed: 11,
        },
    );
    let page = html_of(&record);
    let row = panel_row(&page, "uniformity");
    assert!(
        row.contains("-2.710<br><small class=\"reason\">on 200 of 300 rows (seed 11)</small>"),
        "{row}"
    );
    assert!(!panel_row(&page, "intrinsic_dim").contains("rows (seed"));
}

#[test]
fn panel_text_from_the_record_is_escaped() {
    let mut record = fixture("single_epoch");
    let t = record.runs[0].epochs[0].tensors.get_mut("z").unwrap();
    t.unavailable
        .insert("nc1".into(), "no <b>labels</b> & no classes".into());
    record.runs[0].name = "run<i>".into();
    let page = html_of(&record);
    assert!(page.contains("no &lt;b&gt;labels&lt;/b&gt; &amp; no classes"));
    assert!(!page.contains("<b>labels"));
    assert!(!page.contains("run<i>"));
}

#[test]
fn advisory_evidence_is_shown_apart_and_never_counted_as_deciding() {
    // single_epoch: 4 deciding signals (1 fired), 2 advisory (alpha_req fired).
    let record = fixture("single_epoch");
    let view = ReportView::build(&record, &[]).unwrap();
    let t = &view.runs[0].tensors[0];
    assert_eq!((t.fired, t.total, t.rows.len()), (1, 4, 4));
    let advisory: Vec<(&str, bool)> = t
        .advisory
        .iter()
        .map(|e| (e.signal.as_str(), e.fired))
        .collect();
    assert_eq!(advisory, [("alpha_req", true), ("uniformity", false)]);
    assert!(t.rows.iter().all(|e| e.signal != "alpha_req"));
    let page = html_of(&record);
    assert!(page.contains("1 of 4 deciding signals fired · advisory: 1 of 2 fired"));
    assert!(page.contains("<span class=\"tag\">advisory</span>"));
    // The fired advisory row is not styled as a fired deciding signal.
    let fired_alpha = "<tr class=\"advisory-fired\"><td><code>alpha_req</code>";
    assert!(page.contains(fired_alpha));
    assert!(!page.contains("<tr class=\"fired\"><td><code>alpha_req</code>"));
    // Without advisory evidence the summary reads as before.
    let plain = fixture("healthy_and_collapse");
    assert!(html_of(&plain).contains("of 4 signals fired</summary>"));
}

#[test]
fn the_spectrum_shows_each_runs_alpha_req_fit_dotted() {
    let record = fixture("with_info");
    let specs = chart_specs(&record);
    let spectrum = spec(&specs, "spectrum");
    let fits: Vec<_> = spectrum.panels[0]
        .series
        .iter()
        .filter(|s| s.style == LineStyleKind::Dotted)
        .collect();
    // Every run's fit at the epoch of its last finite spectrum (the solid line): the diverged
    // run's at epoch 4, its last finite one.
    assert_eq!(fits.len(), 4);
    for f in &fits {
        assert_eq!(f.name, FIT_LABEL);
        assert_eq!(f.points.len(), 63, "ranks 2..=64");
        assert_eq!(f.points[0].0, 2.0);
        assert!(!f.markers);
    }
    // The healthy run's fit (intercept 3.326, α = 2.815, N = 512, make_with_info.py) at rank 2:
    // √(511 · e^(3.326 − 2.815 · ln 2)) = 44.95.
    let s2 = fits[0].points[0].1;
    assert!((s2 - 44.95).abs() < 0.01, "{s2}");
    assert!(spectrum
        .legend
        .iter()
        .any(|l| l.label == FIT_LABEL && l.detail.as_deref() == Some(FIT_DETAIL)));
    assert!(spectrum.subtitle.as_deref().unwrap().contains("α-ReQ fit"));
    assert_eq!(
        spectrum.notes[0],
        "α-ReQ fit, ranks 2–64: simsiam 2.815; simsiam-no-stopgrad 3.679; \
         simsiam-no-predictor 6.057; byol-lr10 4.282."
    );
    let svg = render_svgs(&record).unwrap();
    let svg = &svg.iter().find(|c| c.name == "spectrum").unwrap().svg;
    assert!(svg.contains(FIT_LABEL) && svg.contains(FIT_DETAIL));
    // A record without fits keeps its spectrum chart as it was.
    let plain = fixture("healthy_and_collapse");
    let specs = chart_specs(&plain);
    let spectrum = spec(&specs, "spectrum");
    assert!(spectrum.panels[0]
        .series
        .iter()
        .all(|s| s.style != LineStyleKind::Dotted));
    assert!(spectrum.notes.is_empty());
}

#[test]
fn panel_epochs_has_one_panel_per_recorded_metric_and_the_onsets() {
    let with_views = fixture("with_info");
    let specs = chart_specs(&with_views);
    let chart = spec(&specs, "panel_epochs");
    let captions: Vec<&str> = chart
        .panels
        .iter()
        .map(|p| p.caption.as_deref().unwrap())
        .collect();
    assert_eq!(
        captions,
        [
            "α-ReQ",
            "LiDAR",
            "uniformity",
            "alignment",
            "intrinsic dimension (TwoNN)",
            "NC1"
        ]
    );
    for p in &chart.panels {
        assert_eq!(p.x_axis, XAxis::Epoch);
        assert_eq!(p.series.len(), with_views.runs.len(), "one line per run");
        // Onsets of the three non-healthy runs (10, 10, 6).
        let mut onsets: Vec<f64> = p.v_lines.iter().map(|v| v.x).collect();
        onsets.sort_by(f64::total_cmp);
        assert_eq!(onsets, [6.0, 10.0, 10.0]);
    }
    // The diverged run stops at its last finite epoch (4).
    let lidar = &chart.panels[1];
    let byol = lidar.series.iter().find(|s| s.name == "byol-lr10").unwrap();
    assert_eq!(byol.points.last().unwrap().0, 4.0);
    // References only where the record has one: α-ReQ 0, uniformity -3.875, TwoNN d = 64.
    let refs: Vec<Vec<f64>> = chart
        .panels
        .iter()
        .map(|p| p.ref_lines.iter().map(|r| r.y).collect())
        .collect();
    assert_eq!(
        refs,
        [vec![0.0], vec![], vec![-3.875], vec![], vec![64.0], vec![]]
    );
    // Without views LiDAR and alignment are null at every epoch: no panel for them.
    let no_views = fixture("with_caveats");
    let specs = chart_specs(&no_views);
    let captions: Vec<&str> = spec(&specs, "panel_epochs")
        .panels
        .iter()
        .map(|p| p.caption.as_deref().unwrap())
        .collect();
    assert_eq!(
        captions,
        ["α-ReQ", "uniformity", "intrinsic dimension (TwoNN)", "NC1"]
    );
}

#[test]
fn only_tensors_recorded_with_the_panel_get_a_table() {
    // healthy_and_collapse judges online.backbone and online.projector; give one run's backbone
    // a panel metric: the backbone gets a table (every run a column), the projector none.
    let mut record = fixture("healthy_and_collapse");
    let last = record.runs[1].epochs.last_mut().unwrap();
    let t = last.tensors.get_mut("online.backbone").unwrap();
    t.metrics.insert("intrinsic_dim".into(), Some(7.25));
    let view = ReportView::build(&record, &[]).unwrap();
    assert_eq!(view.panel.len(), 1);
    let p = &view.panel[0];
    assert_eq!(p.tensor, "online.backbone");
    assert_eq!(p.runs.len(), record.runs.len());
    let rows: Vec<&str> = p.rows.iter().map(|r| r.metric.as_str()).collect();
    assert_eq!(
        rows,
        [
            "effective_rank",
            "effective_rank_centred",
            "normalised_std_l2",
            "intrinsic_dim"
        ]
    );
    let twonn = p.rows.last().unwrap();
    assert_eq!(twonn.values[1].value, "7.250");
    assert_eq!(twonn.values[0].value, "—");
    assert_eq!(twonn.values[0].note.as_deref(), Some("not recorded"));
    assert_eq!(twonn.reference, "");
}
