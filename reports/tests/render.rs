//! Rendering tests on hand-written fixture records (tests/fixtures/*.json).
//!
//! Set `IB_REPORTS_PREVIEW_DIR=/some/dir` to keep a full report of every fixture there for a
//! visual check (`preview_reports_when_asked`).

use ib_reports::{render_html, render_svgs, write_pngs, write_report, Chart};
use std::path::Path;

mod common;
use common::fixture;

const FIXTURES: &[&str] = &[
    "healthy_and_collapse",
    "diverged",
    "single_epoch",
    "with_info",
    "with_caveats",
];
const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Every `http://` or `https://` in `page` is the SVG namespace inside an `xmlns="…"` attribute.
fn assert_only_svg_namespace_urls(page: &str) {
    for scheme in ["http://", "https://"] {
        for (at, _) in page.match_indices(scheme) {
            let before = &page[..at];
            assert!(
                before.ends_with("xmlns=\"") && page[at..].starts_with(&format!("{SVG_NS}\"")),
                "external URL at byte {at}: {:?}",
                &page[at.saturating_sub(40)..(at + 60).min(page.len())]
            );
        }
    }
}

fn chart<'a>(charts: &'a [Chart], name: &str) -> &'a Chart {
    charts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no chart {name}"))
}

fn names(charts: &[Chart]) -> Vec<&'static str> {
    charts.iter().map(|c| c.name).collect()
}

#[test]
fn svgs_are_svg_and_name_runs_and_the_reference() {
    let record = fixture("healthy_and_collapse");
    let charts = render_svgs(&record).unwrap();
    assert_eq!(
        names(&charts),
        [
            "figure2",
            "loss",
            "std_l2",
            "effective_rank",
            "spectrum",
            "channel_std"
        ]
    );
    for c in &charts {
        assert!(
            c.svg.trim_start().starts_with("<svg"),
            "{} is not an SVG",
            c.name
        );
        assert!(
            c.svg.trim_end().ends_with("</svg>"),
            "{} is not closed",
            c.name
        );
        for run in &record.runs {
            assert!(
                c.svg.contains(&run.name),
                "{} lacks run {}",
                c.name,
                run.name
            );
        }
        assert!(!c.title.is_empty());
    }
    let std_l2 = &chart(&charts, "std_l2").svg;
    assert!(
        std_l2.contains("1/√d"),
        "std_l2 chart lacks the 1/√d reference"
    );
    assert!(
        std_l2.contains("online.projector"),
        "default tensor is the projector"
    );
    assert!(chart(&charts, "effective_rank").svg.contains("centred"));
}

#[test]
fn every_chart_is_produced_from_a_record_with_information() {
    let record = fixture("with_info");
    let charts = render_svgs(&record).unwrap();
    // Every chart but the class structure (no labels in this record).
    let all: Vec<&str> = ib_reports::charts::CHART_NAMES
        .iter()
        .copied()
        .filter(|n| *n != "class_structure")
        .collect();
    assert_eq!(names(&charts), all);
    let plane = chart(&charts, "info_plane");
    assert!(
        plane.title.contains("pairwise-kl · l2 · scale 0.3"),
        "{}",
        plane.title
    );
    assert!(plane.svg.contains("epoch"), "colour bar label");
    let lb = chart(&charts, "lagrangian");
    assert!(
        lb.svg.contains("gap 1.809"),
        "gap of the healthy run is noted"
    );
    assert!(lb.svg.contains("H(T) = 2.079"));
    let info = chart(&charts, "info_epochs");
    for q in ["H(V)", "H(V|X)", "H(V|V&apos;)", "I(X;V)", "I(V;V&apos;)"] {
        assert!(info.svg.contains(q), "info_epochs lacks {q}");
    }
    assert!(chart(&charts, "figure2").svg.contains("kNN accuracy"));
    // Log axes: the collapsed spectrum reaches 2e-5.
    assert!(chart(&charts, "spectrum").svg.contains("1e-5"));
    for c in &charts {
        assert!(!c.svg.contains("no finite values recorded"), "{}", c.name);
    }
}

#[test]
fn html_has_the_information_section_only_with_information() {
    let record = fixture("with_info");
    let charts = render_svgs(&record).unwrap();
    let page = render_html(&record, &charts).unwrap();
    assert!(page.contains("<h2>Information</h2>"));
    assert!(page.contains("value (nats)"));
    assert!(page.contains("LB measured (nats)"));
    // The collapsed run's KL entropy on raw rows is -inf, shown as such, with its scale.
    assert!(page.contains(
        "<td class=\"num\">none</td><td class=\"num\">64</td><td class=\"num\">-inf</td>"
    ));
    assert!(page.contains("kNN accuracy 0.8700"));
    for c in &charts {
        assert!(page.contains(&format!("id=\"chart-{}\"", c.name)));
    }
    let plain = fixture("healthy_and_collapse");
    let page = render_html(&plain, &render_svgs(&plain).unwrap()).unwrap();
    assert!(!page.contains("<h2>Information</h2>"));
    assert!(!page.contains("chart-info_plane"));
    assert!(page.contains("<h2>Versions</h2>"));
}

#[test]
fn html_is_self_contained_and_shows_every_verdict() {
    for name in FIXTURES {
        let record = fixture(name);
        let charts = render_svgs(&record).unwrap();
        let page = render_html(&record, &charts).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_only_svg_namespace_urls(&page);
        assert!(
            !page.contains("<script"),
            "{name}: no script needed or allowed"
        );
        assert!(!page.contains("<img"), "{name}: charts are inline SVG");
        assert!(!page.contains("{{"), "{name}: unfilled template slot");
        for run in &record.runs {
            assert!(
                page.contains(run.verdict.verdict.as_str()),
                "{name}: verdict word"
            );
            assert!(page.contains(&run.name));
        }
        // Every chart once, beside the glance gauges (inline SVG too).
        let gauges = page.matches("<svg class=\"gauge\"").count();
        assert_eq!(
            page.matches("<svg").count() - gauges,
            charts.len(),
            "{name}: charts inlined"
        );
    }
}

#[test]
fn html_contains_each_verdict_word_of_the_contrast() {
    let record = fixture("healthy_and_collapse");
    let page = render_html(&record, &render_svgs(&record).unwrap()).unwrap();
    assert!(page.contains(">healthy<"));
    assert!(page.contains(">complete-collapse<"));
    assert!(page.contains("synthetic-content-style"));
    assert!(page.contains("fixture written by hand"), "config is shown");
}

#[test]
fn record_strings_are_escaped_in_html_and_svg() {
    let mut record = fixture("healthy_and_collapse");
    record.runs[0].name = "<script>alert('x')</script>".into();
    record.runs[1].verdict.summary = "a & b < c".into();
    record.config = serde_json::json!({"note": "</pre><b>"});
    let charts = render_svgs(&record).unwrap();
    for c in &charts {
        assert!(!c.svg.contains("<script"), "{} leaks markup", c.name);
    }
    let page = render_html(&record, &charts).unwrap();
    assert!(!page.contains("<script"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("a &amp; b &lt; c"));
    assert!(page.contains("&lt;/pre&gt;&lt;b&gt;"));
    assert!(!page.contains("</pre><b>"));
}

#[test]
fn write_report_writes_every_file() {
    let record = fixture("healthy_and_collapse");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run-out");
    let files = write_report(&record, &out).unwrap();
    assert_eq!(files.html, out.join("report.html"));
    assert_eq!(files.svgs.len(), 6);
    assert_eq!(files.pngs.len(), 6);
    for name in ["std_l2", "effective_rank", "loss"] {
        assert!(files
            .svgs
            .contains(&out.join("charts").join(format!("{name}.svg"))));
        assert!(files
            .pngs
            .contains(&out.join("charts").join(format!("{name}.png"))));
    }
    for p in files.all() {
        assert!(p.is_file(), "{} missing", p.display());
    }
    for p in &files.pngs {
        let bytes = std::fs::read(p).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            p.display()
        );
        assert!(
            bytes.len() > 5 * 1024,
            "{} is only {} bytes",
            p.display(),
            bytes.len()
        );
    }
    let svg = std::fs::read_to_string(&files.svgs[0]).unwrap();
    assert!(svg.starts_with("<svg"));
    // No temporary files are left behind.
    for d in [out.clone(), out.join("charts")] {
        for entry in std::fs::read_dir(&d).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "leftover temporary file {name}");
        }
    }
    // Writing again over existing files works (rename replaces).
    write_report(&record, &out).unwrap();
}

#[test]
fn degenerate_records_render() {
    // Every tensor non-finite and no loss: no chart has data, so none is produced.
    let record = fixture("diverged");
    let charts = render_svgs(&record).unwrap();
    assert!(charts.is_empty(), "{:?}", names(&charts));
    let dir = tempfile::tempdir().unwrap();
    assert!(write_pngs(&record, dir.path()).unwrap().is_empty());
    let page = render_html(&record, &charts).unwrap();
    assert!(page.contains("No charts"));
    assert!(page.contains("diverged at epoch 0"));

    // One epoch of `analyze`: no chart over epochs (ARCHITECTURE.md §10), and no information
    // rows or labels, so neither info_scale nor class_structure.
    let record = fixture("single_epoch");
    let charts = render_svgs(&record).unwrap();
    assert_eq!(names(&charts), ["spectrum", "channel_std"]);
    let pngs = write_pngs(&record, dir.path()).unwrap();
    assert_eq!(pngs.len(), charts.len());
    render_html(&record, &charts).unwrap();
    assert!(
        charts[0].svg.contains("(z)"),
        "falls back to the first tensor"
    );
}

/// A run that diverges midway keeps its finite epochs on every chart and says where it diverged.
#[test]
fn a_run_diverging_midway_is_drawn_up_to_its_divergence() {
    let record = fixture("with_info");
    let charts = render_svgs(&record).unwrap();
    for name in ["std_l2", "loss", "info_plane", "spectrum", "channel_std"] {
        assert!(
            chart(&charts, name).svg.contains("diverged at epoch 6"),
            "{name}"
        );
    }
}

#[test]
fn empty_record_renders() {
    let mut record = fixture("single_epoch");
    record.runs.clear();
    let charts = render_svgs(&record).unwrap();
    let page = render_html(&record, &charts).unwrap();
    assert!(page.contains("No runs recorded."));
    record = fixture("single_epoch");
    record.runs[0].epochs.clear();
    let charts = render_svgs(&record).unwrap();
    render_html(&record, &charts).unwrap();
}

#[test]
fn rendering_is_deterministic() {
    for name in FIXTURES {
        let record = fixture(name);
        let a = render_svgs(&record).unwrap();
        let b = render_svgs(&record).unwrap();
        assert_eq!(a, b, "{name}");
        assert_eq!(
            render_html(&record, &a).unwrap(),
            render_html(&record, &b).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn preview_reports_when_asked() {
    let Some(dir) = std::env::var_os("IB_REPORTS_PREVIEW_DIR") else {
        return;
    };
    for name in FIXTURES {
        write_report(&fixture(name), &Path::new(&dir).join(name)).unwrap();
    }
}

#[test]
fn losses_on_different_scales_get_one_panel_per_run() {
    let mut record = fixture("healthy_and_collapse");
    let overlay = render_svgs(&record).unwrap();
    assert!(!chart(&overlay, "loss").svg.contains("one panel per run"));
    // A Barlow-Twins-like loss in the hundreds next to a negative cosine near −1.
    for (i, e) in record.runs[1].epochs.iter_mut().enumerate() {
        e.loss = (i > 0).then(|| 900.0 / i as f64);
    }
    record.runs[1].name = "barlow-twins".into();
    let charts = render_svgs(&record).unwrap();
    let loss = chart(&charts, "loss");
    assert!(loss.svg.contains("one panel per run"));
    assert!(loss.svg.contains("barlow-twins"));
    if let Some(dir) = std::env::var_os("IB_REPORTS_PREVIEW_DIR") {
        let out = Path::new(&dir).join("mixed_scales");
        write_report(&record, &out).unwrap();
    }
}

#[test]
fn the_onset_is_marked_on_every_chart_over_epochs_and_only_there() {
    let mut record = fixture("healthy_and_collapse");
    let collapsed = record
        .runs
        .iter()
        .position(|r| r.verdict.verdict != ib_reports::record::Verdict::Healthy)
        .unwrap();
    // Records written before the field existed have no onset: no marker anywhere.
    for run in &mut record.runs {
        run.verdict.onset_epoch = None;
    }
    assert!(ib_reports::charts::chart_specs(&record)
        .iter()
        .all(|s| s.panels.iter().all(|p| p.v_lines.is_empty())));
    record.runs[collapsed].verdict.onset_epoch = Some(2);
    let label = ">\nonset 2\n</text>";
    let specs = ib_reports::charts::chart_specs(&record);
    for spec in &specs {
        for panel in &spec.panels {
            let over_epochs = panel.x_axis == ib_reports::charts::XAxis::Epoch;
            let xs: Vec<f64> = panel.v_lines.iter().map(|v| v.x).collect();
            assert_eq!(
                xs,
                if over_epochs { vec![2.0] } else { vec![] },
                "{}",
                spec.name
            );
        }
    }
    let charts = render_svgs(&record).unwrap();
    for name in ["figure2", "loss", "std_l2", "effective_rank"] {
        assert!(chart(&charts, name).svg.contains(label), "{name}");
    }
    for name in ["spectrum", "channel_std"] {
        assert!(!chart(&charts, name).svg.contains(label), "{name}");
    }
    assert!(chart(&charts, "std_l2")
        .svg
        .contains("complete since epoch 2"));
    let page = render_html(&record, &charts).unwrap();
    assert!(page.contains("since epoch 2: every analysed epoch from 2 on"));
}
