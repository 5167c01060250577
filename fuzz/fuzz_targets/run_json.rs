//! Any bytes given as a run.json parse to a checked record or an error, never a panic; a
//! parsed record goes through the gate (`check`) and every rendering of its result without a
//! panic, the JUnit XML is well-formed, and no printed line can start a GitHub workflow command
//! the tool did not intend (ARCHITECTURE.md §3).
//!
//! Seeds: `fuzz/corpus/run_json/` (small records written by `ib-analyze analyze`).
#![no_main]
use ib_analyze::gate::{self, FailOn};
use ib_analyze::output;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = output::parse_record(data, "run.json") else {
        return;
    };
    let mut selections = vec![Vec::new()];
    if let Some(first) = record.runs.first() {
        selections.push(vec![first.name.clone(), first.name.clone()]);
    }
    for only in &selections {
        for fail_on in [FailOn::Complete, FailOn::Dimensional, FailOn::Any] {
            let Ok(report) = gate::check(&record, only, fail_on) else {
                continue;
            };
            assert!(!report.runs.is_empty(), "a gate that judged nothing");
            let xml = gate::junit_xml(&report, &record, 0.0);
            if let Err(e) = roxmltree::Document::parse(&xml) {
                panic!("JUnit XML not well-formed: {e}\n{xml}");
            }
            let lines = gate::render_lines(&report);
            assert_eq!(lines.lines().count(), report.runs.len(), "{lines}");
            for line in lines.lines() {
                assert!(line.starts_with("FAIL ") || line.starts_with("ok   "), "{line:?}");
            }
            let notes = gate::github_annotations(&report);
            for line in notes.lines() {
                assert!(
                    line.starts_with("::error title=ib-analyze check%3A ")
                        || line.starts_with("::warning title=ib-analyze check%3A "),
                    "{line:?}"
                );
                let body = &line[2..];
                let (_, rest) = body.split_once(" title=").unwrap();
                let (title, _) = rest.split_once("::").expect("the command's end");
                assert!(!title.contains([':', ',', '\r']), "{title:?}");
            }
        }
    }
});
