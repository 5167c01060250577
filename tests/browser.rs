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

/// The browser, or None when the test is to be skipped (never with CI=true: a failure then).
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but no chromium: .ci/run must install Debian's chromium");
        }
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
    }
    found
}

/// `ib-analyze report` of the record `fixture` in a run directory under `tmp`: the page's
/// `file://` URL and its HTML.
fn render(fixture: &Path, tmp: &Path) -> (String, String) {
    let run = tmp.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(fixture, run.join("run.json")).unwrap();
    Command::cargo_bin("ib-analyze")
        .unwrap()
        .arg("report")
        .arg(&run)
        .assert()
        .success();
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    (format!("file://{}", page.display()), html)
}

/// The DOM the browser built for `url`.
fn dump_dom(browser: &Path, tmp: &Path, url: &str, what: &str) -> String {
    let out = headless(browser, &tmp.join("profile-dom"))
        .args(["--dump-dom", url])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{what}: chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A screenshot of `url` in a window of `size` ("1280,900"), as a PNG under `tmp`.
fn screenshot(browser: &Path, tmp: &Path, url: &str, size: &str, what: &str) -> PathBuf {
    let shot = tmp.join("shot.png");
    let status = headless(browser, &tmp.join("profile-shot"))
        .arg(format!("--screenshot={}", shot.display()))
        .args([&format!("--window-size={size}"), url])
        .status()
        .expect("run chromium");
    assert!(status.success() && shot.exists(), "{what}: no screenshot");
    shot
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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reports/tests/fixtures")
        .join(format!("{name}.json"))
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (url, html) = render(&fixture("with_info"), tmp.path());

    // The DOM the browser built holds every chart.
    let dom = dump_dom(&browser, tmp.path(), &url, "with_info");
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
    let shot = screenshot(&browser, tmp.path(), &url, "1280,4000", "with_info");
    let (non_white, colours, saturated, total) = screenshot_stats(&shot);
    assert!(
        non_white * 100 > total,
        "page looks blank: {non_white} of {total} pixels not white"
    );
    assert!(
        colours > 50,
        "too few colours ({colours}) for text and charts"
    );
    assert!(
        saturated > 2000,
        "no coloured chart lines or badges rendered ({saturated} px)"
    );
}

#[test]
fn snapshot_and_comparison_pages_render_in_headless_chromium() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    for (name, runs) in [("single_snapshot", 1), ("two_runs", 2)] {
        let tmp = tempfile::tempdir().unwrap();
        let (url, html) = render(&fixture(name), tmp.path());
        let dom = dump_dom(&browser, tmp.path(), &url, name);
        let svgs = html.matches("<svg").count();
        assert_eq!(
            dom.matches("<svg").count(),
            svgs,
            "{name}: every SVG in the DOM"
        );
        let gauges = dom.matches("<svg class=\"gauge\"").count();
        assert!(gauges >= 5, "{name}: {gauges} gauges");
        // One marker per run on each gauge with values.
        assert!(
            dom.matches("<circle").count() >= gauges * runs,
            "{name}: markers"
        );
        assert!(!dom.contains("<img"), "{name}: no external images");
        assert!(
            dom.find("id=\"glance\"").unwrap() < dom.find("id=\"evidence\"").unwrap(),
            "{name}: glance first"
        );

        // The first screen (1280×900) shows the badges, the gauges and the spectrum: text and
        // coloured lines, not a blank page.
        let shot = screenshot(&browser, tmp.path(), &url, "1280,900", name);
        let (non_white, colours, saturated, total) = screenshot_stats(&shot);
        assert!(
            non_white * 100 > 5 * total,
            "{name}: first screen looks blank: {non_white} of {total} pixels not white"
        );
        assert!(colours > 50, "{name}: too few colours ({colours})");
        assert!(
            saturated > 1500,
            "{name}: no coloured badges, markers or spectrum lines in the first screen ({saturated} px)"
        );
    }
}
