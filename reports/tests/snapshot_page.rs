//! The page of one snapshot and of several compared ones (ARCHITECTURE.md §10), from the
//! fixtures `single_snapshot` (one `analyze` run of the panel export, healthy, with classes and
//! a saturated binned series) and `two_runs` (`simclr` healthy, `byol` projected onto 6
//! directions: dimensional collapse), made by tests/fixtures/make_snapshots.py from real
//! `ib-analyze analyze` records. Expected values are read off the fixture files, not computed.
//!
//! Golden files: `glance__<fixture>` (the "At a glance" HTML without the spectrum figure).
//! After an intended change: `INSTA_UPDATE=always cargo test --release --test snapshot_page`,
//! then read the changed files under tests/snapshots/.

use ib_reports::charts::{chart_specs, LineStyleKind, EPOCH_CHARTS};
use ib_reports::html::glance::{self, GlanceView};
use ib_reports::html::view::{title, ReportView};
use ib_reports::record::{MethodRun, RunRecord};
use ib_reports::{render_html, render_svgs, CHART_NAMES};

mod common;
use common::fixture;

fn names(record: &RunRecord) -> Vec<&'static str> {
    chart_specs(record).iter().map(|s| s.name).collect()
}

/// `single_snapshot` with its epoch recorded again as epoch 1 (a two-epoch run).
fn two_epochs() -> RunRecord {
    let mut r = fixture("single_snapshot");
    let mut e = r.runs[0].epochs[0].clone();
    e.epoch = 1;
    e.loss = Some(-0.5);
    r.runs[0].epochs.push(e);
    r.runs[0].verdict.epoch = 1;
    r
}

/// `two_runs` with `extra` more copies of its runs, renamed `run2`, `run3`, ...
fn many_runs(extra: usize) -> RunRecord {
    let mut r = fixture("two_runs");
    let base: Vec<MethodRun> = r.runs.clone();
    for i in 0..extra {
        let mut run = base[i % base.len()].clone();
        run.name = format!("run{}", i + 2);
        r.runs.push(run);
    }
    r
}

#[test]
fn one_epoch_records_have_no_chart_over_epochs() {
    for name in ["single_snapshot", "two_runs", "single_epoch"] {
        let got = names(&fixture(name));
        for c in EPOCH_CHARTS {
            assert!(!got.contains(c), "{name}: {c} drawn for one-epoch runs");
        }
        assert!(got.contains(&"spectrum"), "{name}: {got:?}");
    }
    let single = names(&fixture("single_snapshot"));
    assert_eq!(
        single,
        [
            "lagrangian",
            "spectrum",
            "channel_std",
            "info_scale",
            "class_structure"
        ]
    );
}

#[test]
fn a_second_epoch_brings_the_charts_over_epochs_back() {
    let got = names(&two_epochs());
    for c in [
        "loss",
        "std_l2",
        "effective_rank",
        "panel_epochs",
        "info_plane",
        "info_epochs",
    ] {
        assert!(got.contains(&c), "{c} missing from {got:?}");
    }
    // info_scale describes the last snapshot: drawn with epochs too.
    assert!(got.contains(&"info_scale") && got.contains(&"class_structure"));
    // Every chart name is a known one, in display order.
    let order: Vec<usize> = got
        .iter()
        .map(|n| CHART_NAMES.iter().position(|c| c == n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{got:?}");
}

#[test]
fn the_verdict_table_has_an_epoch_column_only_over_epochs() {
    let page = |r: &RunRecord| render_html(r, &render_svgs(r).unwrap()).unwrap();
    let head = "<th>run</th><th>verdict</th><th>epoch</th><th>summary</th>";
    for name in ["single_snapshot", "two_runs"] {
        let html = page(&fixture(name));
        assert!(
            html.contains("<th>run</th><th>verdict</th><th>summary</th>"),
            "{name}"
        );
        assert!(
            !html.contains(head),
            "{name}: an epoch column for one snapshot"
        );
    }
    let html = page(&two_epochs());
    assert!(html.contains(head));
    assert!(
        html.contains("<td class=\"num\">1</td>"),
        "the judged epoch"
    );
}

#[test]
fn titles_name_the_file_or_the_runs() {
    assert_eq!(
        title(&fixture("single_snapshot")),
        "ib-analyze report: emb.npy"
    );
    assert_eq!(
        title(&fixture("two_runs")),
        "ib-analyze report: simclr vs byol"
    );
    assert_eq!(
        title(&many_runs(1)),
        "ib-analyze report: 3 runs: simclr, byol, run2"
    );
    // A training record keeps the dataset's name.
    assert_eq!(
        title(&fixture("with_info")),
        "ib-analyze report: synthetic-content-style"
    );
    let page = render_html(
        &fixture("single_snapshot"),
        &render_svgs(&fixture("single_snapshot")).unwrap(),
    )
    .unwrap();
    assert!(page.contains("<title>ib-analyze report: emb.npy</title>"));
    // The full path stays in the Dataset table.
    assert!(page.contains("<td>/data/exports/panel/emb.npy</td>"));
}

#[test]
fn the_glance_comes_first_with_the_spectrum_beside_the_gauges() {
    let record = fixture("single_snapshot");
    let charts = render_svgs(&record).unwrap();
    let page = render_html(&record, &charts).unwrap();
    let glance = page.find("<section id=\"glance\">").expect("glance");
    let evidence = page.find("<section id=\"evidence\">").unwrap();
    let charts_at = page.find("<section id=\"charts\">").unwrap();
    assert!(glance < evidence && evidence < charts_at);
    let spectrum = page.find("id=\"chart-spectrum\"").unwrap();
    assert!(
        glance < spectrum && spectrum < evidence,
        "spectrum in the glance"
    );
    assert_eq!(
        page.matches("id=\"chart-spectrum\"").count(),
        1,
        "not repeated"
    );
    assert!(page.find("id=\"chart-info_scale\"").unwrap() > charts_at);
    assert!(page.contains("@media print") && page.contains("size: A4"));
}

#[test]
fn gauges_put_the_value_beside_its_levels_and_threshold() {
    let view = GlanceView::build(&fixture("single_snapshot"));
    assert_eq!(view.tensor.as_deref(), Some("emb"));
    let g = |k: &str| view.gauges.iter().find(|g| g.metric == k).unwrap();
    // Values, references and thresholds from single_snapshot.json.
    let std = g("normalised_std_l2");
    assert!(std.deciding);
    let levels: Vec<(&str, f64)> = std
        .levels
        .iter()
        .map(|l| (l.kind.as_str(), l.value))
        .collect();
    assert_eq!(
        levels,
        [("collapsed", 0.0), ("healthy", 1.0), ("isotropic", 1.0)]
    );
    assert_eq!(std.thresholds.len(), 1);
    let t = &std.thresholds[0];
    assert_eq!(
        (t.op.as_str(), t.value, t.supports.as_str()),
        ("<", 0.1, "complete-collapse")
    );
    assert_eq!(std.markers[0].value, Some(0.914652));
    assert_eq!(std.markers[0].colour, "#0072b2");
    assert!(!std.markers[0].fired);
    // The gauge spans every level, threshold and value.
    assert!(std.lo < 0.0 && std.hi > 1.0);
    let uni = g("uniformity");
    assert!(!uni.deciding, "uniformity is advisory");
    assert!(uni
        .levels
        .iter()
        .any(|l| l.kind == "isotropic" && l.value == -3.96875));
    assert!(uni.thresholds[0].advisory);
    // Deciding signals come first, in evidence order.
    let keys: Vec<&str> = view.gauges.iter().map(|g| g.metric.as_str()).collect();
    assert_eq!(
        &keys[..5],
        [
            "normalised_std_l2",
            "effective_rank",
            "angular_spread",
            "effective_rank_centred_ratio",
            "effective_rank_ratio"
        ]
    );
    assert!(!keys.contains(&"collapse_level"));
}

#[test]
fn compared_runs_get_one_marker_each_and_the_fired_one_is_marked() {
    let view = GlanceView::build(&fixture("two_runs"));
    let ratio = view
        .gauges
        .iter()
        .find(|g| g.metric == "effective_rank_centred_ratio")
        .unwrap();
    let m: Vec<(&str, &str, Option<f64>, bool)> = ratio
        .markers
        .iter()
        .map(|m| (m.run.as_str(), m.colour.as_str(), m.value, m.fired))
        .collect();
    assert_eq!(
        m,
        [
            ("simclr", "#0072b2", Some(0.594431), false),
            ("byol", "#d55e00", Some(0.0671958), true)
        ]
    );
    assert_eq!(view.runs[1].verdict, "dimensional-collapse");
}

#[test]
fn info_scale_marks_saturation_and_compares_runs_by_line_style() {
    let specs = chart_specs(&fixture("single_snapshot"));
    let c = specs.iter().find(|s| s.name == "info_scale").unwrap();
    let binned = c
        .panels
        .iter()
        .find(|p| p.caption.as_deref() == Some("binned · l2"))
        .unwrap();
    assert!(binned.x_log);
    // The fixed 0.02 rows are saturated, the rule-chosen ones are not: one open point per
    // quantity, at the smallest scale.
    for s in &binned.series {
        assert_eq!(s.points.len(), 4, "{}", s.name);
        assert_eq!(s.points[0].0, 0.02);
        assert_eq!(s.open, [true, false, false, false], "{}", s.name);
    }
    assert!(c
        .legend
        .iter()
        .any(|e| e.style == LineStyleKind::OpenMarker));
    assert!(c.notes.iter().any(|n| n.contains("saturated")));
    assert!(c.notes.iter().any(|n| n.contains("cells P%")));
    // kl/ksg1 rows have no scale: no panel.
    assert!(c
        .panels
        .iter()
        .all(|p| !p.caption.as_deref().unwrap().starts_with("kl")));

    let specs = chart_specs(&fixture("two_runs"));
    let c = specs.iter().find(|s| s.name == "info_scale").unwrap();
    let p = &c.panels[0];
    let styles: Vec<(String, LineStyleKind)> =
        p.series.iter().map(|s| (s.name.clone(), s.style)).collect();
    assert_eq!(styles.len(), 6, "3 quantities × 2 runs");
    assert_eq!(styles[0], ("simclr I(X;V)".into(), LineStyleKind::Solid));
    assert_eq!(styles[1], ("simclr I(V;V')".into(), LineStyleKind::Dashed));
    assert_eq!(styles[3].0, "byol I(X;V)");
    assert_ne!(p.series[0].colour, p.series[3].colour, "one colour per run");
}

#[test]
fn class_structure_labels_few_classes_and_draws_the_diagonal() {
    let specs = chart_specs(&fixture("single_snapshot"));
    let c = specs.iter().find(|s| s.name == "class_structure").unwrap();
    let p = &c.panels[0];
    assert_eq!(p.series[0].points.len(), 6, "six classes");
    let labels: Vec<&str> = p.labels.iter().map(|l| l.text.as_str()).collect();
    for k in 0..6 {
        assert!(
            labels.contains(&format!("class {k}").as_str()),
            "{labels:?}"
        );
    }
    let diagonal = p.series.iter().find(|s| s.name == "y = x").unwrap();
    assert!(diagonal.points.iter().all(|(x, y)| x == y));
    assert_eq!(p.x_range, p.y_range, "one range on both axes");
    // Many classes: not labelled, said in a note.
    let r = many_runs(1);
    let specs = chart_specs(&r);
    let c = specs.iter().find(|s| s.name == "class_structure").unwrap();
    assert!(c.panels[0].labels.is_empty());
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("18 classes drawn: not labelled")));
    // Without classes, no chart.
    assert!(!names(&fixture("with_info")).contains(&"class_structure"));
}

/// Every `font-size` of an SVG, in px.
fn font_sizes(svg: &str) -> Vec<f64> {
    svg.split("font-size=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse::<f64>().unwrap())
        .collect()
}

#[test]
fn every_chart_text_is_at_least_11_px() {
    let mut records: Vec<(String, RunRecord)> = [
        "single_snapshot",
        "two_runs",
        "with_info",
        "with_caveats",
        "healthy_and_collapse",
        "single_epoch",
        "diverged",
    ]
    .iter()
    .map(|n| (n.to_string(), fixture(n)))
    .collect();
    records.push(("five runs".into(), many_runs(3)));
    records.push(("two epochs".into(), two_epochs()));
    let mut seen = 0;
    for (name, record) in &records {
        for c in render_svgs(record).unwrap() {
            let sizes = font_sizes(&c.svg);
            assert!(!sizes.is_empty(), "{name} {}: no text", c.name);
            for s in sizes {
                assert!(s >= 11.0, "{name} {}: text of {s} px", c.name);
                seen += 1;
            }
        }
    }
    assert!(seen > 1000, "{seen}");
    assert_eq!(font_sizes(r#"<text font-size="10.5">a</text>"#), [10.5]);
}

#[test]
fn glance_sections() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for name in ["single_snapshot", "two_runs"] {
            let record = fixture(name);
            let view = ReportView::build(&record, &render_svgs(&record).unwrap()).unwrap();
            let html = glance::render(&view.glance, "<!-- verdicts -->\n", None);
            insta::assert_snapshot!(format!("glance__{name}"), html);
        }
    });
}
