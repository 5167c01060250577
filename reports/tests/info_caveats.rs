//! What the charts and the report say about information rows that carry caveats
//! (ARCHITECTURE.md §5): saturated plug-in rows, intervals with their method, the Lagrangian
//! without H(T), and scales chosen from the sample at each epoch (a scale rule).
//!
//! Each test starts from the `with_info` fixture and sets the new record fields itself; records
//! without them are covered, unchanged, by the golden snapshots.

use ib_reports::charts::{info_key, InfoKey, THEOREM_UNKNOWN};
use ib_reports::html::escape;
use ib_reports::html::view::{ReportView, INTERVAL_NOTE, SCALE_RULE_NOTE};
use ib_reports::record::{InfoRow, RunRecord};
use ib_reports::{render_html, render_svgs, Chart};

mod common;
use common::fixture;

fn chart<'a>(charts: &'a [Chart], name: &str) -> &'a Chart {
    charts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no chart {name}"))
}

/// Apply `f` to every info row of every epoch of every run.
fn each_row(record: &mut RunRecord, mut f: impl FnMut(usize, &mut InfoRow)) {
    for run in &mut record.runs {
        for e in &mut run.epochs {
            for r in &mut e.info {
                f(e.epoch, r);
            }
        }
    }
}

/// The part of `svg` after the legend background (`plot::style::LEGEND_BG`).
fn legend_part(svg: &str) -> &str {
    let at = svg.find("fill=\"#F6F8FA\"").expect("a legend");
    &svg[at..]
}

/// The text content of every `<text>` element of `svg`, joined by spaces.
fn texts(svg: &str) -> String {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let open_end = after.find('>').unwrap() + 1;
        let close = after.find("</text>").unwrap();
        out.push(after[open_end..close].trim().to_string());
        rest = &after[close..];
    }
    out.join(" ")
}

/// The 0.3 pairwise series of the fixture is the headline; once its rows are saturated at every
/// epoch, the unsaturated 0.1 series is chosen instead.
#[test]
fn a_saturated_series_is_never_the_headline_when_another_is_not() {
    let mut record = fixture("with_info");
    assert_eq!(info_key(&record).unwrap().scale, Some(0.3));
    each_row(&mut record, |_, r| {
        r.saturated = Some(r.scale == Some(0.3));
    });
    let key = info_key(&record).unwrap();
    assert_eq!(key.scale, Some(0.1), "{key:?}");
    let charts = render_svgs(&record).unwrap();
    assert!(chart(&charts, "info_plane").title.contains("scale 0.1"));
    assert!(chart(&charts, "info_epochs").title.contains("scale 0.1"));
    // Every series saturated: the headline is still drawn (there is nothing better), open.
    each_row(&mut record, |_, r| r.saturated = Some(true));
    assert_eq!(info_key(&record).unwrap().scale, Some(0.3));
}

/// Saturated estimates are drawn open (info plane: white fill; over epochs: grey outline), the
/// legend says what open markers mean, and the report says why beside the value.
#[test]
fn saturated_rows_are_drawn_open_and_explained() {
    let plain = fixture("with_info");
    let plain_charts = render_svgs(&plain).unwrap();
    let mut record = plain.clone();
    // The headline's I(X;V) at epoch 4 of every run: "every point has its own cell" (a value
    // of ln N); its H(V|X) at epoch 10: either case.
    each_row(&mut record, |epoch, r| {
        if r.scale == Some(0.3) && r.estimator == "pairwise-kl" {
            let hit =
                (epoch == 4 && r.quantity == "I(X;V)") || (epoch == 10 && r.quantity == "H(V|X)");
            r.saturated = Some(hit);
        }
    });
    let charts = render_svgs(&record).unwrap();
    let white = "fill=\"#FFFFFF\" stroke=\"none\"";
    let grey = "stroke=\"#969CA3\"";
    // Info plane: the epoch-4 marker of each of the 4 runs is white instead of its epoch colour.
    let plane = &chart(&charts, "info_plane").svg;
    let plane_plot = &plane[..plane.find("fill=\"#F6F8FA\"").unwrap()];
    let white_markers = plane_plot
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains(white) && l.contains("r=\"7\""))
        .count();
    assert_eq!(white_markers, 4, "{plane_plot}");
    assert!(texts(legend_part(plane)).contains("open: saturated"));
    assert!(!texts(&chart(&plain_charts, "info_plane").svg).contains("open: saturated"));
    // Over epochs: 4 runs' I(X;V) at epoch 4 and 3 runs' H(V|X) at 10 (one run stops at 4).
    let epochs = &chart(&charts, "info_epochs").svg;
    let epochs_plot = &epochs[..epochs.find("fill=\"#F6F8FA\"").unwrap()];
    let open = |plot: &str| {
        plot.lines()
            .filter(|l| l.starts_with("<circle") && l.contains(white) && l.contains("r=\"5\""))
            .count()
    };
    assert_eq!(open(epochs_plot), 4 + 3, "open markers over epochs");
    // Each outlined in its run's colour; grey is only the legend's key.
    assert!(!epochs_plot.contains(grey), "{epochs_plot}");
    assert!(legend_part(epochs).contains(grey));
    assert!(texts(legend_part(epochs)).contains("open: saturated"));
    let plain = &chart(&plain_charts, "info_epochs").svg;
    assert_eq!(open(&plain[..plain.find("fill=\"#F6F8FA\"").unwrap()]), 0);
    assert!(!plain.contains(grey));

    // The report: the last epoch's saturated H(V|X) rows say why, greyed.
    let page = render_html(&record, &charts).unwrap();
    let either = "saturated: every point has its own cell, or all share one, at this scale";
    assert_eq!(page.matches(either).count(), 3, "one per run with epoch 10");
    assert!(page.contains("<td class=\"num note\">0.2700<br><small>saturated:"));
    // An I(X;V) saturated at the last epoch reads as "every point has its own cell".
    each_row(&mut record, |epoch, r| {
        if epoch == 10 && r.quantity == "I(X;V)" && r.scale == Some(0.3) {
            r.saturated = Some(true);
        }
    });
    let page = render_html(&record, &render_svgs(&record).unwrap()).unwrap();
    assert!(page.contains(
        "saturated: every point has its own cell at this scale — the value is ln of the \
         sample size, whatever the embedding"
    ));
}

/// Intervals show their method, the section says once what they cover, and kNN rows in more
/// than 3 dimensions carry a note on their bias.
#[test]
fn intervals_show_their_method_and_what_they_do_not_cover() {
    let mut record = fixture("with_info");
    let page = render_html(&record, &render_svgs(&record).unwrap()).unwrap();
    let note = escape(INTERVAL_NOTE);
    assert!(!page.contains(&note), "no method stated, no note");
    each_row(&mut record, |_, r| {
        if r.estimator == "kl" {
            let v = r.value.unwrap_or(0.0);
            r.ci = Some((v - 1.0, v + 1.0));
        }
        if r.ci.is_some() {
            r.ci_method = Some("jackknife-20 t 95%".into());
        }
    });
    let charts = render_svgs(&record).unwrap();
    let view = ReportView::build(&record, &charts).unwrap();
    let rows = || view.info.iter().flat_map(|t| t.rows.iter());
    for r in rows() {
        assert_eq!(r.ci_method.is_some(), r.ci != "–", "{r:?}");
        let knn_high_dim = r.estimator == "kl" && r.dim.parse::<usize>().unwrap() > 3;
        assert_eq!(r.bias_note.is_some(), knn_high_dim, "{r:?}");
    }
    let page = render_html(&record, &charts).unwrap();
    assert_eq!(page.matches(&note).count(), 1, "said once");
    assert!(page.contains("[5.740, 5.820]<br><small>jackknife-20 t 95%</small>"));
    assert!(page.contains(
        "<small class=\"warning\">kNN estimate in 64 dimensions: its bias is not in the interval \
         and can exceed it</small>"
    ));
}

/// Without H(T) the Lagrangian chart draws no theorem line and says why; the table shows n/a
/// with the reason once. With H(T), both are drawn as before.
#[test]
fn without_h_t_the_theorem_form_is_not_drawn_and_the_reason_is_given() {
    let known = fixture("with_info");
    let known_svg = chart(&render_svgs(&known).unwrap(), "lagrangian")
        .svg
        .clone();
    let mut record = known.clone();
    record.dataset.h_t = None;
    for run in &mut record.runs {
        for e in &mut run.epochs {
            for r in &mut e.lagrangian {
                r.theorem = None;
                r.gap = None;
            }
        }
    }
    let charts = render_svgs(&record).unwrap();
    let svg = &chart(&charts, "lagrangian").svg;
    // One solid measured line per run with rows, and no dashed theorem pieces: in the plot,
    // as many series polylines as runs (with H(T): many more, the dashes).
    let plot = |s: &str| {
        s[..s.find("fill=\"#F6F8FA\"").unwrap()]
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .count()
    };
    assert_eq!(plot(svg), record.runs.len());
    assert!(plot(&known_svg) > 2 * record.runs.len());
    let legend = texts(legend_part(svg));
    assert!(legend.contains(THEOREM_UNKNOWN), "{legend}");
    assert!(!legend.contains("H(V|X) taken as H(T)"), "{legend}");
    assert!(legend.contains("gap n/a"), "{legend}");
    assert!(!texts(&known_svg).contains("theorem form not available"));

    let page = render_html(&record, &charts).unwrap();
    let reason = format!("LB theorem and gap n/a: {THEOREM_UNKNOWN}");
    assert_eq!(page.matches(&reason).count(), 1, "said once");
    assert!(page.contains("<td class=\"num\">n/a</td>"));
    let known_page = render_html(&known, &render_svgs(&known).unwrap()).unwrap();
    assert!(!known_page.contains("theorem form not available"));
}

/// A scale chosen from the sample at each epoch changes its absolute value every epoch: the
/// series is followed by its rule, the titles name the rule, the tables show value and rule.
#[test]
fn series_with_a_scale_rule_are_matched_by_the_rule() {
    let mut record = fixture("with_info");
    let rule_scale = |epoch: usize| (30 + epoch) as f64 / 100.0;
    each_row(&mut record, |epoch, r| {
        if r.scale == Some(0.3) {
            r.scale = Some(rule_scale(epoch));
            r.scale_rule = Some("0.2×rms".into());
        }
    });
    for run in &mut record.runs {
        for e in &mut run.epochs {
            let epoch = e.epoch;
            for r in &mut e.lagrangian {
                r.scale = Some(rule_scale(epoch));
                r.scale_rule = Some("0.2×rms".into());
            }
        }
    }
    let key = info_key(&record).unwrap();
    assert_eq!(key.scale_rule.as_deref(), Some("0.2×rms"));
    // Matching ignores the absolute scale under a rule, and never mixes rule and no rule.
    let row = |scale: f64, rule: Option<&str>| InfoRow {
        tensor: key.tensor.clone(),
        quantity: "H(V)".into(),
        estimator: key.estimator.clone(),
        space: key.space.clone(),
        scale: Some(scale),
        dim: 64,
        value: Some(1.0),
        nonfinite: None,
        ci: None,
        ci_method: None,
        scale_rule: rule.map(str::to_string),
        saturated: None,
        rows: None,
        seed: None,
        warnings: Vec::new(),
    };
    assert!(key.matches_info(&row(9.0, Some("0.2×rms"))));
    assert!(!key.matches_info(&row(9.0, Some("cells 50%"))));
    let fixed = InfoKey {
        scale_rule: None,
        scale: Some(0.4),
        ..key.clone()
    };
    assert!(fixed.matches_info(&row(0.4, None)));
    assert!(!fixed.matches_info(&row(0.4, Some("0.2×rms"))));

    let charts = render_svgs(&record).unwrap();
    let title = "pairwise-kl · l2 · scale 0.2×rms (σ chosen per epoch)";
    for name in ["info_plane", "info_epochs", "lagrangian"] {
        assert!(chart(&charts, name).title.contains(title), "{name}");
    }
    // One point per epoch with rows in every run, as with the fixed scale: 6 + 6 + 6 + 3.
    let plane = &chart(&charts, "info_plane").svg;
    let outlines = plane
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains("r=\"8\""))
        .count();
    assert_eq!(outlines, 21);
    let page = render_html(&record, &charts).unwrap();
    assert!(
        page.contains("<td class=\"num\">0.4 (0.2×rms)</td>"),
        "last epoch, info"
    );
    assert_eq!(page.matches(&escape(SCALE_RULE_NOTE)).count(), 1);
    let plain = fixture("with_info");
    let plain_page = render_html(&plain, &render_svgs(&plain).unwrap()).unwrap();
    assert!(!plain_page.contains(&escape(SCALE_RULE_NOTE)));
    assert!(
        page.contains("<td class=\"num\">0.34 (0.2×rms)</td>"),
        "run stopping at 4"
    );
}

/// H(T) given in nats (not ln K of the recorded K) is labelled as given, not as ln K.
#[test]
fn a_given_h_t_is_not_called_ln_k() {
    let mut record = fixture("with_info");
    assert_eq!(record.dataset.k_views, Some(8));
    let labels = |record: &RunRecord| {
        let charts = render_svgs(record).unwrap();
        let view = ReportView::build(record, &charts).unwrap();
        let keys: Vec<String> = view.dataset.iter().map(|kv| kv.key.clone()).collect();
        (texts(&chart(&charts, "info_epochs").svg), keys)
    };
    let (svg, keys) = labels(&record);
    assert!(svg.contains("H(T) = ln K"));
    assert!(keys.contains(&"H(T) = ln K (nats)".to_string()));
    record.dataset.h_t = Some(1.5);
    let (svg, keys) = labels(&record);
    assert!(!svg.contains("ln K"), "{svg}");
    assert!(svg.contains("H(T) = given") && svg.contains("H(T) = 1.500"));
    assert!(keys.contains(&"H(T), given (nats)".to_string()), "{keys:?}");
}
