//! Golden (insta) snapshots of the view model and of every SVG, from the hand-written fixtures
//! in tests/fixtures: `healthy_and_collapse` (a healthy and a completely collapsed run),
//! `diverged` (NaN from epoch 0), `single_epoch` (one `analyze` epoch) and `with_info` (healthy,
//! complete collapse, dimensional collapse and a run diverging midway, with information and
//! Lagrangian rows and kNN accuracy) and `with_caveats` (the same runs without H(T), with
//! interval methods, a binned series whose scale rule picks its bin width per epoch, and
//! saturated rows; made by make_with_caveats.py). `with_info`, `with_caveats` and
//! `single_epoch` carry the collapse-metric panel (values, nulls with their reason, reference
//! values, the α-ReQ fit and advisory evidence), which adds the `panel_epochs` chart, the fit on
//! the spectrum chart and the view model's `panel`. `single_snapshot` and `two_runs` (one
//! `analyze` snapshot, and two compared; made by make_snapshots.py from real records) have no
//! chart over epochs, and add `info_scale`, `class_structure` and the glance gauges.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test --release --test golden`, then read
//! the changed files under tests/snapshots/ before committing them.

use ib_reports::html::view::ReportView;
use ib_reports::render_svgs;

mod common;
use common::fixture;

const FIXTURES: &[&str] = &[
    "healthy_and_collapse",
    "diverged",
    "single_epoch",
    "with_info",
    "with_caveats",
    "single_snapshot",
    "two_runs",
];

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn view_models() {
    settings().bind(|| {
        for name in FIXTURES {
            let record = fixture(name);
            let charts = render_svgs(&record).unwrap();
            let view = ReportView::build(&record, &charts).unwrap();
            let json = serde_json::to_string_pretty(&view).unwrap();
            insta::assert_snapshot!(format!("view__{name}"), json);
        }
    });
}

#[test]
fn svgs() {
    settings().bind(|| {
        for name in FIXTURES {
            let record = fixture(name);
            let charts = render_svgs(&record).unwrap();
            let names: Vec<&str> = charts.iter().map(|c| c.name).collect();
            insta::assert_snapshot!(format!("charts__{name}"), names.join("\n"));
            for c in &charts {
                insta::assert_snapshot!(format!("svg__{name}__{}", c.name), c.svg);
            }
        }
    });
}
