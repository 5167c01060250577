//! The report of one analysed export (ARCHITECTURE.md §10): `ib-analyze analyze emb.npy
//! --labels ... --out DIR` writes a page that opens with "At a glance" (verdict, gauges, the
//! spectrum), draws no chart over epochs (one epoch: they would show one dot), adds the
//! information-against-scale and class-structure charts, and is titled by the file name.

mod common;

use common::bin;
use std::path::Path;

/// Charts over epochs (or of a trajectory): none of them for one snapshot.
const EPOCH_CHARTS: &[&str] = &[
    "figure2",
    "loss",
    "std_l2",
    "effective_rank",
    "knn_accuracy",
    "panel_epochs",
    "info_plane",
    "info_epochs",
];

fn panel_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/panel")
        .join(name)
}

#[test]
fn one_export_reads_at_a_glance() {
    let tmp = tempfile::tempdir().unwrap();
    // The input sits in nested directories: none of them may reach the title.
    let input_dir = tmp.path().join("exports").join("model one");
    std::fs::create_dir_all(&input_dir).unwrap();
    let input = input_dir.join("emb.npy");
    std::fs::copy(panel_file("emb.npy"), &input).unwrap();
    let out = tmp.path().join("out");
    bin()
        .arg("analyze")
        .arg(&input)
        .arg("--labels")
        .arg(panel_file("labels.npy"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();

    // Title: the file name, not its path; the path stays in the Dataset table.
    assert!(
        html.contains("<title>ib-analyze report: emb.npy</title>"),
        "{}",
        &html[..html.find("</title>").unwrap_or(0)]
    );
    assert!(html.contains("<h1>ib-analyze report: emb.npy</h1>"));
    assert!(!html[..html.find("</header>").unwrap()].contains("model one"));
    assert!(html.contains(&format!("<td>{}</td>", input.display())));

    // "At a glance" comes first: verdict badge, gauges and the spectrum, before the evidence
    // and the other charts.
    let glance = html
        .find("<section id=\"glance\">")
        .expect("glance section");
    let evidence = html.find("<section id=\"evidence\">").unwrap();
    let charts = html.find("<section id=\"charts\">").unwrap();
    assert!(glance < evidence && evidence < charts);
    let first = &html[glance..evidence];
    assert!(first.contains("class=\"badge v-healthy\""));
    assert!(first.contains("<svg class=\"gauge\""));
    assert!(first.contains("<code title=") && first.contains(">normalised_std_l2</code>"));
    assert!(first.contains("id=\"chart-spectrum\""));

    // No chart over epochs, in the page or as files; the snapshot charts are there.
    for name in EPOCH_CHARTS {
        assert!(
            !html.contains(&format!("id=\"chart-{name}\"")),
            "{name} drawn"
        );
        assert!(!out.join("charts").join(format!("{name}.png")).exists());
        assert!(!out.join("charts").join(format!("{name}.svg")).exists());
    }
    for name in ["spectrum", "channel_std", "info_scale", "class_structure"] {
        assert!(
            out.join("charts").join(format!("{name}.png")).is_file(),
            "{name}.png missing"
        );
        assert!(html.contains(&format!("id=\"chart-{name}\"")), "{name}");
    }
}
