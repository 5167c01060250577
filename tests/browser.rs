//! A real-browser test of report.html: headless Chromium, no network, renders the page of a
//! hand-written record and takes a screenshot; the page must render (not blank, the charts
//! drawn) and reference nothing outside itself. The pages of one snapshot and of two compared
//! snapshots (ARCHITECTURE.md §10) must show their verdicts, gauges and spectrum in the first
//! screen of a 1280×900 window.
//!
//! `.ci/run` installs Debian's chromium when it is missing. Outside CI, without a browser,
//! the test says so and returns; with CI=true a missing browser is a failure.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn headless(browser: &Path, profile: &Path) -> Process {
    let mut cmd = Process::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        // Any request leaving the machine fails: the page must not need one.
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--hide-scrollbars",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but no chromium: .ci/run must install Debian's chromium");
        }
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/tests/fixtures/with_info.json");
    std::fs::copy(&fixture, run.join("run.json")).unwrap();
    Command::cargo_bin("ib-analyze")
        .unwrap()
        .arg("report")
        .arg(&run)
        .assert()
        .success();
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let url = format!("file://{}", page.display());

    // The DOM the browser built holds every chart.
    let out = headless(&browser, &tmp.path().join("profile-dom"))
        .args(["--dump-dom", &url])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let charts_in_file = html.matches("<svg").count();
    assert!(
        charts_in_file >= 5,
        "the report should inline its charts, found {charts_in_file}"
    );
    assert_eq!(
        dom.matches("<svg").count(),
        charts_in_file,
        "every chart reached the DOM"
    );
    assert!(!dom.contains("<img"), "no external images");

    // The screenshot is not blank: it shows text, the coloured verdict badges and chart lines.
    let shot = tmp.path().join("shot.png");
    let status = headless(&browser, &tmp.path().join("profile-shot"))
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1280,4000", &url])
        .status()
        .expect("run chromium");
    assert!(status.success() && shot.exists(), "no screenshot");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    assert!(channels >= 3, "colour screenshot expected");
    let mut colours = std::collections::HashSet::new();
    let mut non_white = 0usize;
    let mut saturated = 0usize;
    for px in bytes.chunks_exact(channels) {
        let (r, g, b) = (px[0], px[1], px[2]);
        colours.insert((r >> 3, g >> 3, b >> 3));
        if r < 240 || g < 240 || b < 240 {
            non_white += 1;
        }
        if r.max(g).max(b) - r.min(g).min(b) > 80 {
            saturated += 1;
        }
    }
    let total = bytes.len() / channels;
    assert!(
        non_white * 100 > total,
        "page looks blank: {non_white} of {total} pixels not white"
    );
    assert!(
        colours.len() > 50,
        "too few colours ({}) for text and charts",
        colours.len()
    );
    assert!(
        saturated > 2000,
        "no coloured chart lines or badges rendered ({saturated} px)"
    );
}

/// Pixels of a PNG screenshot: (not white, distinct colours at 5 bits, strongly coloured, total).
fn screenshot_stats(shot: &Path) -> (usize, usize, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    assert!(channels >= 3, "colour screenshot expected");
    let mut colours = std::collections::HashSet::new();
    let (mut non_white, mut saturated) = (0usize, 0usize);
    for px in bytes.chunks_exact(channels) {
        let (r, g, b) = (px[0], px[1], px[2]);
        colours.insert((r >> 3, g >> 3, b >> 3));
        if r < 240 || g < 240 || b < 240 {
            non_white += 1;
        }
        if r.max(g).max(b) - r.min(g).min(b) > 80 {
            saturated += 1;
        }
    }
    (non_white, colours.len(), saturated, bytes.len() / channels)
}

#[test]
fn snapshot_and_comparison_pages_render_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but no chromium: .ci/run must install Debian's chromium");
        }
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
        return;
    };
    for (fixture, runs) in [("single_snapshot", 1), ("two_runs", 2)] {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reports/tests/fixtures")
            .join(format!("{fixture}.json"));
        std::fs::copy(&src, run.join("run.json")).unwrap();
        Command::cargo_bin("ib-analyze")
            .unwrap()
            .arg("report")
            .arg(&run)
            .assert()
            .success();
        let page = run.join("report.html");
        let html = std::fs::read_to_string(&page).unwrap();
        let url = format!("file://{}", page.display());

        let out = headless(&browser, &tmp.path().join("profile-dom"))
            .args(["--dump-dom", &url])
            .output()
            .expect("run chromium");
        assert!(
            out.status.success(),
            "{fixture}: chromium --dump-dom failed"
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let svgs = html.matches("<svg").count();
        assert_eq!(
            dom.matches("<svg").count(),
            svgs,
            "{fixture}: every SVG in the DOM"
        );
        let gauges = dom.matches("<svg class=\"gauge\"").count();
        assert!(gauges >= 5, "{fixture}: {gauges} gauges");
        // One marker per run on each gauge with values.
        assert!(
            dom.matches("<circle").count() >= gauges * runs,
            "{fixture}: markers"
        );
        assert!(!dom.contains("<img"), "{fixture}: no external images");
        assert!(
            dom.find("id=\"glance\"").unwrap() < dom.find("id=\"evidence\"").unwrap(),
            "{fixture}: glance first"
        );

        // The first screen (1280×900) shows the badges, the gauges and the spectrum: text and
        // coloured lines, not a blank page.
        let shot = tmp.path().join("shot.png");
        let status = headless(&browser, &tmp.path().join("profile-shot"))
            .arg(format!("--screenshot={}", shot.display()))
            .args(["--window-size=1280,900", &url])
            .status()
            .expect("run chromium");
        assert!(
            status.success() && shot.exists(),
            "{fixture}: no screenshot"
        );
        let (non_white, colours, saturated, total) = screenshot_stats(&shot);
        assert!(
            non_white * 100 > 5 * total,
            "{fixture}: first screen looks blank: {non_white} of {total} pixels not white"
        );
        assert!(colours > 50, "{fixture}: too few colours ({colours})");
        assert!(
            saturated > 1500,
            "{fixture}: no coloured badges, markers or spectrum lines in the first screen ({saturated} px)"
        );
    }
}
